/* bitpack.h: bit-packing primitives of codec 2 (SIMD, chosen at run time).
 *
 * A block is BL_PACK_BLOCK = 128 uint32_t values stored at one width b
 * (0..32 bits each) in exactly 16*b bytes; a tail (n < 128 values, the end
 * of a list) is a plain little-endian bit stream of ceil(n*b/8) bytes. The
 * postings codec picks b per block with bl_bits_needed() and stores it
 * itself; this module never writes a header. Functions are pure and work on
 * caller buffers; none allocates, none reads or writes a byte outside the
 * ranges stated (no padding is needed: the input may be an mmap that ends
 * right after the block).
 *
 * Block layout (the "4-lane vertical" layout; one layout for every path,
 * scalar, SSE4.1 and AVX2 read and write the same bytes):
 *
 *   The 16*b bytes are b rows of 16 bytes. Row r holds four 32-bit
 *   little-endian words W[r][0..3], W[r][j] at byte offset 16*r + 4*j.
 *   Value i (0..127) belongs to lane j = i % 4 and is number k = i / 4 of
 *   that lane. Lane j's words W[0][j], W[1][j], ..., W[b-1][j] form a bit
 *   stream of 32*b bits: stream bit t is bit t % 32 (0 = least significant)
 *   of W[t / 32][j]. Value number k of the lane takes stream bits k*b ..
 *   k*b + b-1, its least significant bit first; a value that does not fit
 *   in the rest of a word continues in the low bits of the lane's next word.
 *   32 values of b bits fill b words exactly, so no bit is padding. As a
 *   formula, with t = k*b, w = t / 32, s = t % 32:
 *
 *     value[i] = ((W[w][j] >> s) | (s + b > 32 ? W[w+1][j] << (32 - s) : 0))
 *                & (2^b - 1)
 *
 *   Example, b = 3: W[0][0] = v0 | v4 << 3 | v8 << 6 | ... | v36 << 27 |
 *   (low 2 bits of v40) << 30, and W[1][0] starts with the high bit of v40,
 *   then v44 at bits 1..3; W[0][1] does the same for v1, v5, v9, ...
 *   b = 0 stores nothing (every value is 0); b = 32 stores value i as the
 *   word at byte offset 4*i, i.e. the plain little-endian array.
 *
 * Tail layout: value i (0..n-1) takes bits i*b .. i*b + b-1 of a bit stream
 * whose bit t is bit t % 8 (0 = least significant) of byte t / 8, least
 * significant bit of the value first; ceil(n*b/8) bytes; the unused high
 * bits of the last byte are written as 0 and ignored on reading. A postings
 * writer may store tails this way or as varints (bl_codec_encode in
 * codec.h); both take the values as they are.
 *
 * Doc ids are stored as gaps minus one (gap[0] = doc[0] - base, gap[i] =
 * doc[i] - doc[i-1] - 1), so a run of consecutive documents packs at width 0.
 *
 * Paths: "scalar" (always), "sse41", "avx2" and "avx2-gather" (x86 with GCC
 * or Clang; avx2-gather is avx2 with more of its counts done by gathers,
 * on Intel CPUs, whose gathers are fast). The best path the CPU supports
 * is chosen on the first call of any function below (thread-safe,
 * lock-free); the environment variable
 * BYLINE_SIMD=scalar|sse41|avx2|avx2-gather read at that moment forces one. A name the
 * CPU lacks, or an unknown one, is ignored (the best path is used);
 * bl_bitpack_impl() tells which path runs. All paths give identical bytes
 * and values; the AVX2 path packs with the SSE4.1 loop (packing is not on
 * the query path).
 *
 * Widths: every bits argument must be 0..32 (asserted). A width read from a
 * file must be checked by the caller first (BL_ECORRUPT).
 */
#ifndef BL_BITPACK_H
#define BL_BITPACK_H

#include <stddef.h>
#include <stdint.h>

/* Values per packed block. */
#define BL_PACK_BLOCK 128

/* Largest width, in bits. */
#define BL_PACK_MAX_BITS 32

/* Bytes of a block packed at `bits`: 16 * bits. */
static inline size_t bl_pack128_bytes(unsigned bits) { return (size_t)16 * bits; }

/* Bytes of n values packed as a tail at `bits`: ceil(n * bits / 8). */
static inline size_t bl_pack_tail_bytes(size_t n, unsigned bits)
{
    return (n * bits + 7) / 8;
}

/* Width of the largest of v[0..n): 0 when all are 0 (or n == 0), else
 * 1 + the index of its highest set bit (32 for values >= 2^31). */
unsigned bl_bits_needed(const uint32_t *v, size_t n);

/* Packs in[0..128) at `bits` into out[0..16*bits); writes exactly those
 * bytes (nothing for bits 0). Values wider than `bits` are masked to their
 * low `bits` bits (callers pass bl_bits_needed() or more, so none is). */
void bl_pack128(const uint32_t *in, unsigned bits, uint8_t *out);

/* Unpacks a block packed at `bits` from in[0..16*bits) into out[0..128).
 * Reads exactly those bytes, never more; `in` needs no alignment. */
void bl_unpack128(const uint8_t *in, unsigned bits, uint32_t *out);

/* Unpacks gaps g[0..128) like bl_unpack128 and writes their sums minus-one
 * coded: out[0] = base + g[0], out[i] = out[i-1] + g[i] + 1. Returns 0, or
 * BL_ECORRUPT if some value would be UINT32_MAX or more (doc ids stop at
 * UINT32_MAX - 1, BL_DOC_END is reserved); out is then unspecified. Reads
 * exactly in[0..16*bits). The check is this function's: callers need not
 * compare the last value with a skip entry to catch a wrap (they may, to
 * catch a corrupt skip entry). */
int bl_unpack128_delta1(const uint8_t *in, unsigned bits, uint32_t base, uint32_t *out);

/* Decodes a block as bl_unpack128_delta1 does, but instead of storing the
 * ids counts those whose bit is set in the bitset words[0..nwords)
 * (nwords >= 1; bitmap.h's layout, 8-byte aligned): *count, and the last id
 * in *last. An id at or past 64 * nwords counts as absent and is never
 * read past, so ids decoded from damaged bytes are safe to give: callers
 * check *last against what they know of the block. The AVX2 path fuses
 * the three steps for gaps of 11 to 25 bits (ids far apart, tested in the
 * register by gathers), the avx2-gather path for 5 to 25 bits; other
 * widths and paths unpack, sum and test in passes.
 * Returns 0, or BL_ECORRUPT as bl_unpack128_delta1 (*count, *last are then
 * unspecified). Reads exactly in[0..16*bits). */
int bl_unpack128_delta1_count(const uint8_t *in, unsigned bits, uint32_t base,
                              const uint64_t *words, uint32_t nwords, uint64_t *count,
                              uint32_t *last);

/* Value i (0..127) of a block packed at `bits`, without unpacking the rest:
 * reads at most 8 bytes, all inside in[0..16*bits). Scalar. */
uint32_t bl_unpack128_get(const uint8_t *in, unsigned bits, unsigned i);

/* Values at..at+k-1 (at + k <= 128) of a block packed at `bits` into
 * out[0..k), without unpacking the others: reads only inside
 * in[0..16*bits). Scalar. */
void bl_unpack128_range(const uint8_t *in, unsigned bits, unsigned at, unsigned k,
                        uint32_t *out);

/* In place, v[0..n) from minus-one coded gaps to values: v[0] += base,
 * v[i] += v[i-1] + 1 (the inverse of bl_delta_encode in codec.h, SIMD).
 * Returns 0, or BL_ECORRUPT if some value would be UINT32_MAX or more; v is
 * then unspecified. For tails decoded by bl_unpack_tail or as varints. */
int bl_prefix_sum1(uint32_t *v, size_t n, uint32_t base);

/* Packs in[0..n) at `bits` as a tail into out[0..bl_pack_tail_bytes(n,
 * bits)) and returns that count; values are masked as in bl_pack128. Any n
 * works; the codec uses it for n < 128. Scalar. */
size_t bl_pack_tail(const uint32_t *in, size_t n, unsigned bits, uint8_t *out);

/* Unpacks n values of a tail packed at `bits` from in[0..bl_pack_tail_bytes
 * (n, bits)) into out[0..n); reads exactly those bytes. Scalar. */
void bl_unpack_tail(const uint8_t *in, size_t n, unsigned bits, uint32_t *out);

/* Value i of a tail packed at `bits`: reads only the (at most 5) bytes that
 * hold its bits, all inside in[0..bl_pack_tail_bytes(i + 1, bits)). */
uint32_t bl_unpack_tail_get(const uint8_t *in, unsigned bits, size_t i);

/* Values at..at+k-1 (at + k <= n) of a tail of n values packed at `bits`
 * into out[0..k): reads only inside in[0..bl_pack_tail_bytes(n, bits)). */
void bl_unpack_tail_range(const uint8_t *in, size_t n, unsigned bits, size_t at, size_t k,
                          uint32_t *out);

/* Name of the path in use: "scalar", "sse41", "avx2" or "avx2-gather".
 * Static string. */
const char *bl_bitpack_impl(void);

/* Switches this process to the named path, for tests and benchmarks:
 * "scalar", "sse41", "avx2", "avx2-gather", or NULL for the best the CPU
 * supports (the
 * environment is not read again). Calls that start after it returns use the
 * new path; calls in flight finish on the old one. Returns 0, or BL_EINVAL
 * (the path stays as it was) if the name is unknown or the CPU lacks it. */
int bl_bitpack_select(const char *name);

#endif
