/* buf.c: growable buffers, varints and the bounds-checked reader. */
#include "buf.h"

#include <stdlib.h>

#include "error.h"

void bl_buf_init(bl_buf *b)
{
    b->data = NULL;
    b->len = b->cap = 0;
}

void bl_buf_release(bl_buf *b)
{
    free(b->data);
    bl_buf_init(b);
}

int bl_buf_reserve(bl_buf *b, size_t extra)
{
    if (extra <= b->cap - b->len)
        return 0;
    if (extra > SIZE_MAX / 2 - b->len)
        return BL_ENOMEM;
    size_t need = b->len + extra + 1; /* +1: room for a NUL terminator */
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    uint8_t *d = realloc(b->data, cap);
    if (!d)
        return BL_ENOMEM;
    b->data = d;
    b->cap = cap - 1;
    return 0;
}

int bl_buf_append(bl_buf *b, const void *p, size_t n)
{
    if (n == 0)
        return 0;
    if (bl_buf_reserve(b, n))
        return BL_ENOMEM;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

int bl_buf_append_str(bl_buf *b, const char *s)
{
    size_t n = strlen(s);
    /* reserve(0) allocates nothing, but the NUL below needs a byte. */
    if (bl_buf_reserve(b, n ? n : 1))
        return BL_ENOMEM;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = 0;
    return 0;
}

int bl_buf_put_u8(bl_buf *b, uint8_t v) { return bl_buf_append(b, &v, 1); }

int bl_buf_put_u32le(bl_buf *b, uint32_t v)
{
    uint8_t t[4];
    bl_put_u32le(t, v);
    return bl_buf_append(b, t, 4);
}

int bl_buf_put_u64le(bl_buf *b, uint64_t v)
{
    uint8_t t[8];
    bl_put_u64le(t, v);
    return bl_buf_append(b, t, 8);
}

size_t bl_varint_encode(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

int bl_buf_put_varint_any(bl_buf *b, uint64_t v)
{
    /* in place when there is room for the longest (the usual case), else
     * through a copy, so that the buffer grows exactly when it must */
    if (b->cap - b->len >= BL_VARINT_MAX) {
        b->len += bl_varint_encode(b->data + b->len, v);
        return 0;
    }
    uint8_t t[BL_VARINT_MAX];
    return bl_buf_append(b, t, bl_varint_encode(t, v));
}

int bl_reader_varint(bl_reader *r, uint64_t *out)
{
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (r->p >= r->end)
            return BL_ECORRUPT;
        uint8_t byte = *r->p++;
        if (shift == 63 && byte > 1)
            return BL_ECORRUPT;
        v |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return BL_ECORRUPT;
}

int bl_reader_varint32(bl_reader *r, uint32_t *out)
{
    uint64_t v;
    if (bl_reader_varint(r, &v) || v > UINT32_MAX)
        return BL_ECORRUPT;
    *out = (uint32_t)v;
    return 0;
}

int bl_reader_u8(bl_reader *r, uint8_t *out)
{
    if (r->p >= r->end)
        return BL_ECORRUPT;
    *out = *r->p++;
    return 0;
}

int bl_reader_u32le(bl_reader *r, uint32_t *out)
{
    if (bl_reader_left(r) < 4)
        return BL_ECORRUPT;
    *out = bl_get_u32le(r->p);
    r->p += 4;
    return 0;
}

int bl_reader_u64le(bl_reader *r, uint64_t *out)
{
    if (bl_reader_left(r) < 8)
        return BL_ECORRUPT;
    *out = bl_get_u64le(r->p);
    r->p += 8;
    return 0;
}

int bl_reader_bytes(bl_reader *r, size_t n, const uint8_t **out)
{
    if (bl_reader_left(r) < n)
        return BL_ECORRUPT;
    *out = r->p;
    r->p += n;
    return 0;
}

int bl_u32vec_push(bl_u32vec *a, uint32_t x)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 64;
        uint32_t *v = realloc(a->v, cap * sizeof *v);
        if (!v)
            return BL_ENOMEM;
        a->v = v;
        a->cap = cap;
    }
    a->v[a->n++] = x;
    return 0;
}

void bl_u32vec_release(bl_u32vec *a)
{
    free(a->v);
    a->v = NULL;
    a->n = a->cap = 0;
}
