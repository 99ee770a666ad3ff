/* buf.h: byte slices, a growable byte buffer, little-endian and varint
 * helpers, and a bounds-checked reader for bytes that come from disk.
 *
 * bl_buf follows git's strbuf: the caller owns the struct (bl_buf_init /
 * bl_buf_release), the buffer owns its bytes. bl_reader never reads past
 * its end: every get returns BL_ECORRUPT instead, so a damaged file cannot
 * make a decoder run off the end of a mapping.
 */
#ifndef BL_BUF_H
#define BL_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* A borrowed run of bytes. */
typedef struct {
    const uint8_t *ptr;
    size_t len;
} bl_slice;

/* A growable byte buffer. data is NULL until the first append. */
typedef struct {
    uint8_t *data;
    size_t len;
    size_t cap;
} bl_buf;

/* Sets b to empty without allocating. */
void bl_buf_init(bl_buf *b);
/* Frees b's bytes and leaves it empty (re-usable). */
void bl_buf_release(bl_buf *b);
/* Makes room for `extra` more bytes. Errors: BL_ENOMEM. */
int bl_buf_reserve(bl_buf *b, size_t extra);
/* Appends n bytes. Errors: BL_ENOMEM. */
int bl_buf_append(bl_buf *b, const void *p, size_t n);
/* Appends a NUL-free string and keeps a NUL after len (not counted). */
int bl_buf_append_str(bl_buf *b, const char *s);
int bl_buf_put_u8(bl_buf *b, uint8_t v);
int bl_buf_put_u32le(bl_buf *b, uint32_t v);
int bl_buf_put_u64le(bl_buf *b, uint64_t v);
/* Appends v as LEB128 (7 bits a byte, low first, high bit = more). A value
 * below 128 with room left, the usual case of the inverter's streams (doc
 * gaps, tfs, position gaps), is stored inline without a call. */
int bl_buf_put_varint_any(bl_buf *b, uint64_t v);
static inline int bl_buf_put_varint(bl_buf *b, uint64_t v)
{
    if (v < 0x80 && b->len < b->cap) {
        b->data[b->len++] = (uint8_t)v;
        return 0;
    }
    return bl_buf_put_varint_any(b, v);
}
/* Empties b, keeping its allocation. */
static inline void bl_buf_clear(bl_buf *b) { b->len = 0; }

/* A growable array of uint32_t: v[0..n), room for cap. A zeroed struct is
 * an empty array. */
typedef struct {
    uint32_t *v;
    size_t n;
    size_t cap;
} bl_u32vec;

/* Appends x, doubling the room when full. Errors: BL_ENOMEM (a is
 * unchanged). */
int bl_u32vec_push(bl_u32vec *a, uint32_t x);
/* Frees a's values and leaves it empty (re-usable). */
void bl_u32vec_release(bl_u32vec *a);

/* Most bytes a varint of a uint64_t takes. */
#define BL_VARINT_MAX 10

/* Writes v as LEB128 at p (room for BL_VARINT_MAX bytes); returns bytes written. */
size_t bl_varint_encode(uint8_t *p, uint64_t v);

/* Bytes the varint of v takes (1 to BL_VARINT_MAX), without writing it. */
static inline size_t bl_varint_len(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static inline void bl_put_u32le(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static inline uint32_t bl_get_u32le(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}
static inline void bl_put_u64le(uint8_t *p, uint64_t v)
{
    bl_put_u32le(p, (uint32_t)v);
    bl_put_u32le(p + 4, (uint32_t)(v >> 32));
}
static inline uint64_t bl_get_u64le(const uint8_t *p)
{
    return (uint64_t)bl_get_u32le(p) | (uint64_t)bl_get_u32le(p + 4) << 32;
}

/* A bounds-checked cursor over bytes read from disk. */
typedef struct {
    const uint8_t *base; /* start of the region, for offsets in messages */
    const uint8_t *p;    /* next byte */
    const uint8_t *end;  /* one past the last readable byte */
} bl_reader;

/* Starts a reader over [p, p+len). */
static inline void bl_reader_init(bl_reader *r, const uint8_t *p, size_t len)
{
    r->base = r->p = p;
    r->end = p + len;
}
/* Offset of the next byte from base. */
static inline size_t bl_reader_offset(const bl_reader *r)
{
    return (size_t)(r->p - r->base);
}
static inline size_t bl_reader_left(const bl_reader *r)
{
    return (size_t)(r->end - r->p);
}
/* Each get returns 0, or BL_ECORRUPT (no detail set) if the bytes run out
 * or a varint is longer than its type allows. */
int bl_reader_varint(bl_reader *r, uint64_t *out);
int bl_reader_varint32(bl_reader *r, uint32_t *out);
int bl_reader_u8(bl_reader *r, uint8_t *out);
int bl_reader_u32le(bl_reader *r, uint32_t *out);
int bl_reader_u64le(bl_reader *r, uint64_t *out);
/* Borrows the next n bytes. */
int bl_reader_bytes(bl_reader *r, size_t n, const uint8_t **out);

#endif
