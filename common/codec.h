/* codec.h: the integer codecs of posting lists, one table of functions per
 * codec id.
 *
 * Postings store doc-id gaps, term frequencies and position gaps as runs of
 * at most BL_BLOCK_SIZE uint32_t values. A codec turns one run into bytes
 * and back. The manifest records, for each segment, the id of the codec
 * that wrote its .doc and .pos files, and the reader is handed that codec's
 * table (bl_codec_get), so segments written by different codecs live side
 * by side in one index.
 *
 *   1  varint    every value as LEB128 (format version 2's only codec)
 *   2  bitpack   a width byte w (0..32), then the run bit-packed at w bits:
 *                a full run of 128 in bitpack.h's 4-lane block layout
 *                (16*w bytes, SIMD), a shorter run as a tail bit stream
 *                (ceil(n*w/8) bytes). The size of a run follows from its
 *                first byte, so a reader hops over runs without decoding.
 *   3  patched   bitpack at the width that makes the run smallest, the few
 *                wider values (exceptions) completed by their indexes and
 *                high bits after it; a run without exceptions is a codec 2
 *                run. The size follows from at most three header bytes.
 *
 * Decoders never read past in + avail (no padding is needed) and report
 * BL_ECORRUPT without a detail: the caller knows the file and offset.
 */
#ifndef BL_CODEC_H
#define BL_CODEC_H

#include <stddef.h>
#include <stdint.h>

/* Postings per block: the unit of skipping and of block-max scores, and
 * the longest run a codec is given. */
#define BL_BLOCK_SIZE 128

/* Codec identifiers, as stored in the manifest and the .inf file. */
#define BL_CODEC_VARINT 1
#define BL_CODEC_BITPACK 2
#define BL_CODEC_PATCHED 3
/* What new segments are written with. */
#define BL_CODEC_DEFAULT BL_CODEC_PATCHED

typedef struct bl_codec {
    uint32_t id;
    const char *name;
    /* Most bytes encode may write for a run of n values (n <= 128). */
    size_t (*max_bytes)(size_t n);
    /* Encodes in[0..n) (n <= 128) into out; returns the bytes written. */
    size_t (*encode)(const uint32_t *in, size_t n, uint8_t *out);
    /* Decodes a run of exactly n values from in[0..avail) into out; sets
     * *used. Errors: BL_ECORRUPT. */
    int (*decode)(const uint8_t *in, size_t avail, uint32_t *out, size_t n, size_t *used);
    /* Like decode, then turns minus-one coded gaps into values from base
     * (out[0] = base + g[0], out[i] = out[i-1] + g[i] + 1). Errors:
     * BL_ECORRUPT, also if a value would reach UINT32_MAX. */
    int (*decode_delta1)(const uint8_t *in, size_t avail, uint32_t base, uint32_t *out,
                         size_t n, size_t *used);
    /* Like decode_delta1, but instead of storing the values counts those
     * whose bit is set in the bitset words[0..nwords) (nwords >= 1;
     * bitmap.h's layout): *count, and the last value in *last (n >= 1).
     * A value at or past 64 * nwords counts as absent and is never read
     * past, so the run may be damaged; callers check *last. Errors:
     * BL_ECORRUPT. */
    int (*count_delta1)(const uint8_t *in, size_t avail, uint32_t base, const uint64_t *words,
                        uint32_t nwords, size_t n, size_t *used, uint64_t *count,
                        uint32_t *last);
    /* Sets *bytes to the size of the run of n values at in[0..avail)
     * without decoding it (bitpack reads one byte; varint scans).
     * Errors: BL_ECORRUPT. */
    int (*run_bytes)(const uint8_t *in, size_t avail, size_t n, size_t *bytes);
    /* Values at..at+k-1 (at + k <= n) of the run of n values at in into
     * out[0..k), without decoding the others; NULL when the codec has no
     * random access (varint). Only for a run run_bytes accepted, with
     * in[0..bytes) in bounds. */
    void (*get_range)(const uint8_t *in, size_t n, size_t at, size_t k, uint32_t *out);
} bl_codec;

/* The codec with this id, or NULL if this build knows none. */
const bl_codec *bl_codec_get(uint32_t id);

/* The codec with this name ("varint", "bitpack"), or NULL. */
const bl_codec *bl_codec_by_name(const char *name);

/* Most bytes bl_codec_encode may write for n values. */
static inline size_t bl_codec_max_bytes(size_t n) { return n * 5; }

/* LEB128 of each of in[0..n) into out (room for bl_codec_max_bytes(n));
 * returns the bytes written. Codec 1's run, and any count of values. */
size_t bl_codec_encode(const uint32_t *in, size_t n, uint8_t *out);

/* Decodes exactly n LEB128 values from in[0..in_len) into out; sets
 * *consumed. Errors: BL_ECORRUPT if the bytes run out or a value does not
 * fit 32 bits. */
int bl_codec_decode(const uint8_t *in, size_t in_len, uint32_t *out, size_t n,
                    size_t *consumed);

/* Replaces sorted values v[0..n) by gaps: v[0]-base, v[i]-v[i-1]-1. Values
 * must be strictly increasing and v[0] >= base. */
void bl_delta_encode(uint32_t *v, size_t n, uint32_t base);

/* Inverse of bl_delta_encode. Errors: BL_ECORRUPT if a value would pass
 * UINT32_MAX - 1 (BL_DOC_END is reserved). */
int bl_delta_decode(uint32_t *v, size_t n, uint32_t base);

#endif
