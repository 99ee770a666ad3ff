/* codec.c: the codec table: 1 varint (LEB128), 2 bitpack (bitpack.h), 3
 * patched (bitpack with exceptions). */
#include "codec.h"

#include <stdint.h>
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

/* A codec 2 run of in[0..n) at width bits (their widest value's). */
static size_t bitpack_encode_at(const uint32_t *in, size_t n, unsigned bits, uint8_t *out)
{
    out[0] = (uint8_t)bits;
    if (n == BL_PACK_BLOCK) {
        bl_pack128(in, bits, out + 1);
        return 1 + bl_pack128_bytes(bits);
    }
    return 1 + bl_pack_tail(in, n, bits, out + 1);
}

static size_t bitpack_encode(const uint32_t *in, size_t n, uint8_t *out)
{
    return bitpack_encode_at(in, n, bl_bits_needed(in, n), out);
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

/* ---- codec 3: patched bitpack ------------------------------------------ */

/* A run is codec 2's packing of its values' low b bits, with the few values
 * wider than b (the exceptions) completed by a list after it: their indexes
 * and their high bits (value >> b), themselves bit-packed. The encoder
 * picks the b that makes the run smallest (but see PATCH_MIN_SAVING), so
 * a run of gaps mostly 3 bits wide with one of 12 costs 3 bits a value
 * plus that one, not 12 bits each.
 *
 *   run  := w:u8 [e:u8] low{packed(n, b)} [hb:u8 index:u8{e} check:u8 high{tail(e, hb)}]
 *   w    := b | 0x40 when the run has exceptions (then e, 1..n, and the
 *           bracketed parts follow); b is 0..32
 *   hb   := width of the largest high part (1..32-b); every high part >= 1
 *   index:  strictly increasing, < n
 *   check:  (e + sum of the indexes) mod 256, so that one flipped bit of
 *           an index, which moves a high part without changing any sum
 *           the skip data or the dictionary records, is still caught.
 * A run without exceptions is a codec 2 run (its width then the largest
 * value's, which a tail checks). */

#define PATCHED_FLAG 0x40
/* A run takes exceptions only when they save at least this many bytes: a
 * run with exceptions costs its readers a longer header, a patch loop and
 * a prefix sum apart from the unpacking. The 60 slowest of the scale
 * queries over 1 GB, twelve rounds in turn (median): 1.13x the time of
 * bitpack with any saving taken, 1.05x with 8 bytes; Reuters postings
 * 8.9% and 8.1% smaller than bitpack's. */
#define PATCH_MIN_SAVING 8

/* Where the parts of a run are, as its header bytes say. */
typedef struct {
    unsigned b, e, hb;
    size_t low;    /* offset of the packed low bits */
    size_t index;  /* offset of the indexes (exceptions only) */
    size_t high;   /* offset of the packed high parts */
    size_t bytes;  /* the whole run */
} patched_run;

static size_t patched_max_bytes(size_t n) { return 2 + 4 * n; }

static unsigned width_of(uint32_t v) { return v ? 32 - (unsigned)__builtin_clz(v) : 0; }

/* How many of in[0..n) are wider than b bits. A full run's loop has a
 * fixed count, which compilers vectorise at -O2. */
static unsigned wider_than(const uint32_t *in, size_t n, unsigned b)
{
    uint32_t mask = (uint32_t)((1ull << b) - 1);
    unsigned e = 0;

    if (n == BL_PACK_BLOCK) {
        for (size_t i = 0; i < BL_PACK_BLOCK; i++)
            e += in[i] > mask;
        return e;
    }
    for (size_t i = 0; i < n; i++)
        e += in[i] > mask;
    return e;
}

static size_t patched_encode(const uint32_t *in, size_t n, uint8_t *out)
{
    unsigned maxb = bl_bits_needed(in, n), best_b, e, best_e = 0;
    uint32_t low[BL_PACK_BLOCK], high[BL_PACK_BLOCK];
    size_t best, at, i;

    size_t plain = 1 + packed_bytes(n, maxb);
    best_b = maxb;
    best = SIZE_MAX;
    /* Each narrower width turns the values wider than it into exceptions;
     * ties keep the wider, fewer exceptions to patch. The search stops
     * once more than a quarter of the run would be exceptions (each costs
     * 8 bits of index besides its high bits): on 207 MB of Reuters that
     * leaves the postings 0.015% larger than trying every width, and
     * spares merges, which encode every run again, most of the search. */
    for (unsigned b = maxb; b-- > 0;) {
        e = wider_than(in, n, b);
        if (e > n / 4)
            break;
        size_t bytes = 4 + packed_bytes(n, b) + e + bl_pack_tail_bytes(e, maxb - b);
        if (bytes < best) {
            best = bytes;
            best_b = b;
            best_e = e;
        }
    }
    if (best_e == 0 || best + PATCH_MIN_SAVING > plain)
        return bitpack_encode_at(in, n, maxb, out);
    uint32_t mask = (uint32_t)((1ull << best_b) - 1);
    unsigned k = 0, check = best_e;
    out[0] = (uint8_t)(best_b | PATCHED_FLAG);
    out[1] = (uint8_t)best_e;
    at = 2;
    for (i = 0; i < n; i++)
        low[i] = in[i] & mask;
    if (n == BL_PACK_BLOCK) {
        bl_pack128(low, best_b, out + at);
        at += bl_pack128_bytes(best_b);
    } else {
        at += bl_pack_tail(low, n, best_b, out + at);
    }
    out[at++] = (uint8_t)(maxb - best_b);
    /* Without branches (exceptions fall at random): every index and high
     * part is written, and kept only when it is an exception's. There is
     * room: the check byte and best_e < n high parts follow. */
    for (i = 0; i < n; i++) {
        unsigned is = in[i] > mask;
        out[at] = (uint8_t)i;
        high[k] = in[i] >> best_b;
        check += is * (unsigned)i;
        at += is;
        k += is;
    }
    out[at++] = (uint8_t)check;
    return at + bl_pack_tail(high, best_e, maxb - best_b, out + at);
}

/* Where the parts of a run with exceptions are (its header bytes must be
 * readable: patched_header checks them). */
static void patched_layout(const uint8_t *in, size_t n, patched_run *r)
{
    r->b = in[0] & ~(unsigned)PATCHED_FLAG;
    r->e = in[1];
    r->low = 2;
    r->index = r->low + packed_bytes(n, r->b) + 1;
    r->hb = in[r->index - 1];
    r->high = r->index + r->e + 1;
    r->bytes = r->high + bl_pack_tail_bytes(r->e, r->hb);
}

/* Reads the header of a run with exceptions and checks its parts fit in
 * avail. */
static int patched_header(const uint8_t *in, size_t avail, size_t n, patched_run *r)
{
    unsigned b;

    if (avail < 2 || n == 0 || n > BL_PACK_BLOCK || !(in[0] & PATCHED_FLAG))
        return BL_ECORRUPT;
    b = in[0] & ~(unsigned)PATCHED_FLAG;
    if (b > 32 || in[1] == 0 || in[1] > n || 2 + packed_bytes(n, b) >= avail)
        return BL_ECORRUPT;
    patched_layout(in, n, r);
    if (r->hb == 0 || r->hb > 32 - r->b)
        return BL_ECORRUPT;
    return r->bytes <= avail ? 0 : BL_ECORRUPT;
}

/* Adds the high parts to out[0..n), the run's low bits; checks the
 * exception list is the encoder's (see the grammar). */
static int patch(const uint8_t *in, const patched_run *r, size_t n, uint32_t *out)
{
    uint32_t high[BL_PACK_BLOCK];
    const uint8_t *index = in + r->index;
    unsigned check = r->e;
    uint32_t any = 0; /* the high parts or'ed: their width must be hb */
    int prev = -1;

    bl_unpack_tail(in + r->high, r->e, r->hb, high);
    for (unsigned k = 0; k < r->e; k++) {
        if ((int)index[k] <= prev || index[k] >= n || high[k] == 0)
            return BL_ECORRUPT;
        prev = index[k];
        check += index[k];
        any |= high[k];
        out[index[k]] |= high[k] << r->b;
    }
    unsigned spare = (r->e * r->hb) % 8;
    if ((uint8_t)check != index[r->e] || width_of(any) != r->hb ||
        (spare && in[r->bytes - 1] >> spare))
        return BL_ECORRUPT;
    return 0;
}

/* The low bits of a run with exceptions into out[0..n). */
static int unpack_low(const uint8_t *in, const patched_run *r, size_t n, uint32_t *out)
{
    if (n == BL_PACK_BLOCK) {
        bl_unpack128(in + r->low, r->b, out);
        return 0;
    }
    bl_unpack_tail(in + r->low, n, r->b, out);
    unsigned spare = (unsigned)((n * r->b) % 8);
    return spare && in[r->index - 2] >> spare ? BL_ECORRUPT : 0;
}

static int patched_decode(const uint8_t *in, size_t avail, uint32_t *out, size_t n,
                          size_t *used)
{
    patched_run r;
    if (avail && !(in[0] & PATCHED_FLAG))
        return bitpack_decode(in, avail, out, n, used);
    if (patched_header(in, avail, n, &r))
        return BL_ECORRUPT;
    *used = r.bytes;
    return unpack_low(in, &r, n, out) || patch(in, &r, n, out) ? BL_ECORRUPT : 0;
}

static int patched_decode_delta1(const uint8_t *in, size_t avail, uint32_t base,
                                 uint32_t *out, size_t n, size_t *used)
{
    if (avail && !(in[0] & PATCHED_FLAG))
        return bitpack_decode_delta1(in, avail, base, out, n, used);
    if (patched_decode(in, avail, out, n, used))
        return BL_ECORRUPT;
    return bl_prefix_sum1(out, n, base);
}

static int patched_count_delta1(const uint8_t *in, size_t avail, uint32_t base,
                                const uint64_t *words, uint32_t nwords, size_t n, size_t *used,
                                uint64_t *count, uint32_t *last)
{
    uint32_t v[BL_PACK_BLOCK];
    if (avail && !(in[0] & PATCHED_FLAG))
        return bitpack_count_delta1(in, avail, base, words, nwords, n, used, count, last);
    if (n == 0 || n > BL_PACK_BLOCK || patched_decode_delta1(in, avail, base, v, n, used))
        return BL_ECORRUPT;
    *count = count_decoded(words, nwords, v, n);
    *last = v[n - 1];
    return 0;
}

static int patched_run_bytes(const uint8_t *in, size_t avail, size_t n, size_t *bytes)
{
    patched_run r;
    /* Readers hop over position runs by their sizes: a run without
     * exceptions takes codec 2's one-byte reading. */
    if (avail && !(in[0] & PATCHED_FLAG))
        return bitpack_run_bytes(in, avail, n, bytes);
    if (patched_header(in, avail, n, &r))
        return BL_ECORRUPT;
    *bytes = r.bytes;
    return 0;
}

static void patched_get_range(const uint8_t *in, size_t n, size_t at, size_t k, uint32_t *out)
{
    patched_run r;
    if (!(in[0] & PATCHED_FLAG)) {
        bitpack_get_range(in, n, at, k, out);
        return;
    }
    patched_layout(in, n, &r); /* run_bytes has checked the run */
    if (n == BL_PACK_BLOCK)
        bl_unpack128_range(in + r.low, r.b, (unsigned)at, (unsigned)k, out);
    else
        bl_unpack_tail_range(in + r.low, n, r.b, at, k, out);
    for (unsigned j = 0; j < r.e; j++) {
        size_t i = in[r.index + j];
        if (i >= at + k)
            break;
        if (i >= at)
            out[i - at] |= bl_unpack_tail_get(in + r.high, r.hb, j) << r.b;
    }
}

static const bl_codec patched_codec = {
    BL_CODEC_PATCHED, "patched", patched_max_bytes, patched_encode, patched_decode,
    patched_decode_delta1, patched_count_delta1, patched_run_bytes, patched_get_range,
};

const bl_codec *bl_codec_get(uint32_t id)
{
    switch (id) {
    case BL_CODEC_VARINT:
        return &varint_codec;
    case BL_CODEC_BITPACK:
        return &bitpack_codec;
    case BL_CODEC_PATCHED:
        return &patched_codec;
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
    if (strcmp(name, patched_codec.name) == 0)
        return &patched_codec;
    return NULL;
}
