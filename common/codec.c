/* codec.c: the codec table: 1 varint (LEB128), 2 bitpack (bitpack.h). */
#include "codec.h"

#include <string.h>

#include "bitmap.h"
#include "bitpack.h"
#include "error.h"

size_t bl_codec_encode(const uint32_t *in, size_t n, uint8_t *out)
{
    uint8_t *p = out;
    for (size_t i = 0; i < n; i++) {
        uint32_t v = in[i];
        while (v >= 0x80) {
            *p++ = (uint8_t)(v | 0x80);
            v >>= 7;
        }
        *p++ = (uint8_t)v;
    }
    return (size_t)(p - out);
}

int bl_codec_decode(const uint8_t *in, size_t in_len, uint32_t *out, size_t n,
                    size_t *consumed)
{
    const uint8_t *p = in, *end = in + in_len;
    for (size_t i = 0; i < n; i++) {
        uint32_t v = 0;
        unsigned shift = 0;
        for (;;) {
            if (p == end)
                return BL_ECORRUPT;
            uint8_t b = *p++;
            if (shift == 28 && b > 0x0f)
                return BL_ECORRUPT;
            v |= (uint32_t)(b & 0x7f) << shift;
            if (!(b & 0x80))
                break;
            shift += 7;
            if (shift > 28)
                return BL_ECORRUPT;
        }
        out[i] = v;
    }
    *consumed = (size_t)(p - in);
    return 0;
}

void bl_delta_encode(uint32_t *v, size_t n, uint32_t base)
{
    uint32_t prev = base;
    for (size_t i = 0; i < n; i++) {
        uint32_t cur = v[i];
        v[i] = i ? cur - prev - 1 : cur - base;
        prev = cur;
    }
}

int bl_delta_decode(uint32_t *v, size_t n, uint32_t base)
{
    uint64_t cur = base;
    for (size_t i = 0; i < n; i++) {
        cur += (uint64_t)v[i] + (i ? 1 : 0);
        if (cur >= UINT32_MAX)
            return BL_ECORRUPT;
        v[i] = (uint32_t)cur;
    }
    return 0;
}

/* ---- codec 1: varint ---------------------------------------------------- */

static size_t varint_max_bytes(size_t n) { return bl_codec_max_bytes(n); }

static int varint_decode_delta1(const uint8_t *in, size_t avail, uint32_t base, uint32_t *out,
                                size_t n, size_t *used)
{
    if (bl_codec_decode(in, avail, out, n, used))
        return BL_ECORRUPT;
    return bl_delta_decode(out, n, base);
}

/* Counts the ids of a run decoded into v[0..n) (n >= 1) for count_delta1:
 * they increase, so the last bounds them all. */
static uint64_t count_decoded(const uint64_t *words, uint32_t nwords, const uint32_t *v,
                              size_t n)
{
    if ((v[n - 1] >> 6) < nwords)
        return bl_bitmap_count_docs(&words, 1, v, n);
    return bl_bitmap_count_any(words, nwords, v, n);
}

static int varint_count_delta1(const uint8_t *in, size_t avail, uint32_t base,
                               const uint64_t *words, uint32_t nwords, size_t n, size_t *used,
                               uint64_t *count, uint32_t *last)
{
    uint32_t v[BL_BLOCK_SIZE];
    if (n == 0 || n > BL_BLOCK_SIZE || varint_decode_delta1(in, avail, base, v, n, used))
        return BL_ECORRUPT;
    *count = count_decoded(words, nwords, v, n);
    *last = v[n - 1];
    return 0;
}

static int varint_run_bytes(const uint8_t *in, size_t avail, size_t n, size_t *bytes)
{
    size_t i = 0, seen = 0; /* bytes read, values ended */
    while (seen < n) {
        if (i == avail)
            return BL_ECORRUPT;
        seen += !(in[i++] & 0x80);
    }
    *bytes = i;
    return 0;
}

static const bl_codec varint_codec = {
    BL_CODEC_VARINT, "varint", varint_max_bytes, bl_codec_encode, bl_codec_decode,
    varint_decode_delta1, varint_count_delta1, varint_run_bytes, NULL,
};

/* ---- codec 2: bitpack --------------------------------------------------- */

static size_t bitpack_max_bytes(size_t n) { return 1 + 4 * n; }

static inline size_t packed_bytes(size_t n, unsigned bits)
{
    return n == BL_PACK_BLOCK ? bl_pack128_bytes(bits) : bl_pack_tail_bytes(n, bits);
}

static size_t bitpack_encode(const uint32_t *in, size_t n, uint8_t *out)
{
    unsigned bits = bl_bits_needed(in, n);
    out[0] = (uint8_t)bits;
    if (n == BL_PACK_BLOCK) {
        bl_pack128(in, bits, out + 1);
        return 1 + bl_pack128_bytes(bits);
    }
    return 1 + bl_pack_tail(in, n, bits, out + 1);
}

/* Reads the width byte and checks the run fits; sets *bits and *bytes
 * (the whole run, width byte included). */
static inline int run_header(const uint8_t *in, size_t avail, size_t n, unsigned *bits,
                             size_t *bytes)
{
    if (avail == 0 || in[0] > BL_PACK_MAX_BITS || n > BL_PACK_BLOCK)
        return BL_ECORRUPT;
    *bits = in[0];
    *bytes = 1 + packed_bytes(n, *bits);
    return *bytes <= avail ? 0 : BL_ECORRUPT;
}

/* A tail's unused high bits are written as 0, and its width is the one
 * its largest value needs: requiring both keeps every bit meaningful, so a
 * damaged byte never decodes as if intact. (A full block's width sets its
 * size, which the skip data checks.) */
static inline int tail_canonical(const uint8_t *in, size_t used, size_t n, unsigned bits,
                                 const uint32_t *out)
{
    unsigned spare = (unsigned)((n * bits) % 8);
    return (spare == 0 || (in[used - 1] >> spare) == 0) && bl_bits_needed(out, n) == bits;
}

static int bitpack_decode(const uint8_t *in, size_t avail, uint32_t *out, size_t n,
                          size_t *used)
{
    unsigned bits;
    if (run_header(in, avail, n, &bits, used))
        return BL_ECORRUPT;
    if (n == BL_PACK_BLOCK) {
        bl_unpack128(in + 1, bits, out);
        return 0;
    }
    bl_unpack_tail(in + 1, n, bits, out);
    return tail_canonical(in, *used, n, bits, out) ? 0 : BL_ECORRUPT;
}

static int bitpack_decode_delta1(const uint8_t *in, size_t avail, uint32_t base, uint32_t *out,
                                 size_t n, size_t *used)
{
    unsigned bits;
    if (run_header(in, avail, n, &bits, used))
        return BL_ECORRUPT;
    if (n == BL_PACK_BLOCK)
        return bl_unpack128_delta1(in + 1, bits, base, out);
    bl_unpack_tail(in + 1, n, bits, out);
    if (!tail_canonical(in, *used, n, bits, out))
        return BL_ECORRUPT;
    return bl_prefix_sum1(out, n, base);
}

static int bitpack_count_delta1(const uint8_t *in, size_t avail, uint32_t base,
                                const uint64_t *words, uint32_t nwords, size_t n, size_t *used,
                                uint64_t *count, uint32_t *last)
{
    unsigned bits;
    if (n == 0 || run_header(in, avail, n, &bits, used))
        return BL_ECORRUPT;
    if (n == BL_PACK_BLOCK)
        return bl_unpack128_delta1_count(in + 1, bits, base, words, nwords, count, last);
    uint32_t v[BL_PACK_BLOCK];
    bl_unpack_tail(in + 1, n, bits, v);
    if (!tail_canonical(in, *used, n, bits, v) || bl_prefix_sum1(v, n, base))
        return BL_ECORRUPT;
    *count = count_decoded(words, nwords, v, n);
    *last = v[n - 1];
    return 0;
}

static int bitpack_run_bytes(const uint8_t *in, size_t avail, size_t n, size_t *bytes)
{
    unsigned bits;
    return run_header(in, avail, n, &bits, bytes);
}

static void bitpack_get_range(const uint8_t *in, size_t n, size_t at, size_t k, uint32_t *out)
{
    if (n == BL_PACK_BLOCK)
        bl_unpack128_range(in + 1, in[0], (unsigned)at, (unsigned)k, out);
    else
        bl_unpack_tail_range(in + 1, n, in[0], at, k, out);
}

static const bl_codec bitpack_codec = {
    BL_CODEC_BITPACK, "bitpack", bitpack_max_bytes, bitpack_encode, bitpack_decode,
    bitpack_decode_delta1, bitpack_count_delta1, bitpack_run_bytes, bitpack_get_range,
};

const bl_codec *bl_codec_get(uint32_t id)
{
    switch (id) {
    case BL_CODEC_VARINT:
        return &varint_codec;
    case BL_CODEC_BITPACK:
        return &bitpack_codec;
    default:
        return NULL;
    }
}

const bl_codec *bl_codec_by_name(const char *name)
{
    if (strcmp(name, varint_codec.name) == 0)
        return &varint_codec;
    if (strcmp(name, bitpack_codec.name) == 0)
        return &bitpack_codec;
    return NULL;
}
