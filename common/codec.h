/* codec.h: the integer block codec, one replaceable module.
 *
 * Postings store doc-id gaps, term frequencies and position gaps as arrays
 * of uint32_t, at most BL_BLOCK_SIZE per block. This module turns such an
 * array into bytes and back. v1 (BL_CODEC_VARINT) writes each value as
 * LEB128; the SIMD bit-packed codec of the next milestone gets a new id
 * and the same three functions, and the manifest records per segment which
 * codec wrote it, so old and new segments live side by side.
 *
 * Functions are pure and work on caller buffers. The decoder never reads
 * past in + in_len (no over-read padding is needed for v1; codecs that read
 * in wider words will state their padding here).
 */
#ifndef BL_CODEC_H
#define BL_CODEC_H

#include <stddef.h>
#include <stdint.h>

/* Postings per block: the unit of skipping and of block-max scores. */
#define BL_BLOCK_SIZE 128

/* Codec identifiers, as stored in the manifest. */
#define BL_CODEC_VARINT 1

/* Most bytes bl_codec_encode may write for n values. */
static inline size_t bl_codec_max_bytes(size_t n) { return n * 5; }

/* Encodes in[0..n) into out (room for bl_codec_max_bytes(n)); returns the
 * bytes written. Never fails. */
size_t bl_codec_encode(const uint32_t *in, size_t n, uint8_t *out);

/* Decodes exactly n values from in[0..in_len) into out; sets *consumed to
 * the bytes used. Errors: BL_ECORRUPT if the bytes run out or a value does
 * not fit 32 bits (no detail is set: the caller knows the file and offset). */
int bl_codec_decode(const uint8_t *in, size_t in_len, uint32_t *out, size_t n,
                    size_t *consumed);

/* Replaces sorted values v[0..n) by gaps: v[0]-base, v[i]-v[i-1]-1. Values
 * must be strictly increasing and v[0] >= base. */
void bl_delta_encode(uint32_t *v, size_t n, uint32_t base);

/* Inverse of bl_delta_encode. Errors: BL_ECORRUPT if a value would pass
 * UINT32_MAX - 1 (BL_DOC_END is reserved). */
int bl_delta_decode(uint32_t *v, size_t n, uint32_t base);

#endif
