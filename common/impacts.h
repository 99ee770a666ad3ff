/* impacts.h: the impacts of a run of postings, for exact block-max bounds.
 *
 * A posting's impact on a BM25 score is its (tf, len) pair: the term's
 * frequency in the document and the document's length. BM25 grows with tf
 * and falls with len, so the highest score any posting of a run can reach
 * is reached on its Pareto front: the pairs that no other pair beats on
 * both counts (no other has a tf at least as high and a length at most as
 * short). Sorted by tf, a front's lengths increase too, both strictly.
 *
 * A front is kept to at most BL_IMPACTS_MAX pairs: beyond, neighbours are
 * merged into their corner (the higher tf, the shorter length), which
 * dominates both, so a bound taken over the capped set is still an upper
 * bound of every posting's score, only less tight.
 *
 * Encoding (postings.h places these sets in the .doc file):
 *
 *   impacts := count:u8 (tf_gap:varint len_gap:varint){count}
 *
 *   count    1..BL_IMPACTS_MAX
 *   tf_gap   tf[0] - 1, then tf[i] - tf[i-1] - 1 (tfs strictly increase)
 *   len_gap  len[0], then len[i] - len[i-1] - 1 (lengths strictly increase)
 *
 * Varints are LEB128 (buf.h); every tf and length fits a uint32.
 */
#ifndef BL_IMPACTS_H
#define BL_IMPACTS_H

#include <stddef.h>
#include <stdint.h>

/* Most pairs in one set. */
#define BL_IMPACTS_MAX 16
/* Most bytes an encoded set takes: the count, then two 5-byte varints a pair. */
#define BL_IMPACTS_MAX_BYTES (1 + 10 * BL_IMPACTS_MAX)

/* One posting's impact: term frequency and document length (tokens). */
typedef struct {
    uint32_t tf;
    uint32_t len;
} bl_impact;

/* Replaces v[0..n) (every tf >= 1) by its Pareto front, sorted by tf
 * ascending (lengths then ascending too, both strictly; equal pairs kept
 * once); returns its size (1..n, 0 when n == 0). Works in place (buckets
 * small tfs, sorts otherwise); allocates nothing. */
size_t bl_impacts_front(bl_impact *v, size_t n);

/* The front of the union of two fronts a[0..na) and b[0..nb) (each sorted
 * as bl_impacts_front leaves it) into out (room for na + nb; must not
 * overlap a or b); returns its size. Linear. */
size_t bl_impacts_union(const bl_impact *a, size_t na, const bl_impact *b, size_t nb,
                        bl_impact *out);

/* Shrinks front v[0..n) to at most max (>= 1) pairs by merging neighbours
 * into their corner, the pair whose merge raises a reference BM25 score
 * least first; returns the new size. Every pair of the input stays
 * dominated by some pair of the output, and the output stays sorted as a
 * front. */
size_t bl_impacts_cap(bl_impact *v, size_t n, size_t max);

/* Writes front v[0..n) (1 <= n <= BL_IMPACTS_MAX) to out (room for
 * BL_IMPACTS_MAX_BYTES); returns the bytes written. */
size_t bl_impacts_encode(const bl_impact *v, size_t n, uint8_t *out);

/* Reads a set from p[0..avail) into out (room for BL_IMPACTS_MAX): sets *n
 * and *used (bytes read). Errors: BL_ECORRUPT (no detail set: the caller
 * names the file and offset) when the count is 0 or above BL_IMPACTS_MAX,
 * the bytes run out, or a tf or length overflows a uint32. */
int bl_impacts_decode(const uint8_t *p, size_t avail, bl_impact *out, uint32_t *n,
                      size_t *used);

/* Whether some pair of v[0..n) dominates (tf, len): tf' >= tf, len' <= len. */
int bl_impacts_dominate(const bl_impact *v, size_t n, uint32_t tf, uint32_t len);

#endif
