/* baselines.h: the outside libraries byline-bench --json measures Byline
 * against, behind one small interface: Daniel Lemire's streamvbyte (integer
 * codec) and CRoaring (compressed bitmaps), from Debian's libstreamvbyte-dev
 * and libroaring-dev. Only bin/byline-bench links them. baselines.c is
 * built with BL_HAVE_STREAMVBYTE / BL_HAVE_ROARING when the Makefile finds
 * their headers; without one, its *_available() says 0 and the other
 * functions of that library must not be called.
 */
#ifndef BL_BENCH_BASELINES_H
#define BL_BENCH_BASELINES_H

#include <stddef.h>
#include <stdint.h>

/* Non-zero when streamvbyte was built in. */
int bench_svb_available(void);

/* Most bytes an encoding of n values takes. */
size_t bench_svb_max_bytes(uint32_t n);

/* streamvbyte_encode / streamvbyte_decode: n values to bytes and back;
 * each returns the bytes written or read. */
size_t bench_svb_encode(const uint32_t *in, uint32_t n, uint8_t *out);
size_t bench_svb_decode(const uint8_t *in, uint32_t *out, uint32_t n);

/* The differential variant (streamvbyte_delta_*, starting from 0): encodes
 * increasing values as gaps and decodes straight back to the values. */
size_t bench_svb_delta_encode(const uint32_t *in, uint32_t n, uint8_t *out);
size_t bench_svb_delta_decode(const uint8_t *in, uint32_t *out, uint32_t n);

/* Non-zero when CRoaring was built in. */
int bench_roaring_available(void);

/* A CRoaring bitmap (roaring_bitmap_t). */
typedef struct bench_bitmap bench_bitmap;

/* A bitmap of docs[0..n), run-optimised as CRoaring's own benchmarks do;
 * NULL when out of memory. Free with bench_bitmap_free (NULL is fine). */
bench_bitmap *bench_bitmap_new(const uint32_t *docs, size_t n);
void bench_bitmap_free(bench_bitmap *b);

/* roaring_bitmap_and_cardinality / roaring_bitmap_or_cardinality. */
uint64_t bench_bitmap_and_count(const bench_bitmap *a, const bench_bitmap *b);
uint64_t bench_bitmap_or_count(const bench_bitmap *a, const bench_bitmap *b);

/* roaring_bitmap_and / roaring_bitmap_or: builds the result bitmap, takes
 * its cardinality and frees it; UINT64_MAX when out of memory. */
uint64_t bench_bitmap_and_build(const bench_bitmap *a, const bench_bitmap *b);
uint64_t bench_bitmap_or_build(const bench_bitmap *a, const bench_bitmap *b);

#endif
