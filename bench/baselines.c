/* baselines.c: streamvbyte and CRoaring behind baselines.h, each compiled
 * in only when the Makefile found its headers. */
#include <stdlib.h>

#include "baselines.h"

#ifdef BL_HAVE_STREAMVBYTE
#include <streamvbyte.h>
#include <streamvbytedelta.h>

int bench_svb_available(void) { return 1; }

size_t bench_svb_max_bytes(uint32_t n) { return streamvbyte_max_compressedbytes(n); }

size_t bench_svb_encode(const uint32_t *in, uint32_t n, uint8_t *out)
{
    return streamvbyte_encode(in, n, out);
}

size_t bench_svb_decode(const uint8_t *in, uint32_t *out, uint32_t n)
{
    return streamvbyte_decode(in, out, n);
}

size_t bench_svb_delta_encode(const uint32_t *in, uint32_t n, uint8_t *out)
{
    return streamvbyte_delta_encode(in, n, out, 0);
}

size_t bench_svb_delta_decode(const uint8_t *in, uint32_t *out, uint32_t n)
{
    return streamvbyte_delta_decode(in, out, n, 0);
}
#else
/* Not built in: bench_svb_available() says so, and nothing else is called. */
int bench_svb_available(void) { return 0; }
size_t bench_svb_max_bytes(uint32_t n) { return (size_t)n * 5; }

size_t bench_svb_encode(const uint32_t *in, uint32_t n, uint8_t *out)
{
    (void)in, (void)n, (void)out;
    abort();
}

size_t bench_svb_decode(const uint8_t *in, uint32_t *out, uint32_t n)
{
    (void)in, (void)n, (void)out;
    abort();
}

size_t bench_svb_delta_encode(const uint32_t *in, uint32_t n, uint8_t *out)
{
    (void)in, (void)n, (void)out;
    abort();
}

size_t bench_svb_delta_decode(const uint8_t *in, uint32_t *out, uint32_t n)
{
    (void)in, (void)n, (void)out;
    abort();
}
#endif

#ifdef BL_HAVE_ROARING
#include <roaring/roaring.h>

int bench_roaring_available(void) { return 1; }

/* The opaque type is CRoaring's own bitmap. */
static const roaring_bitmap_t *rb(const bench_bitmap *b) { return (const roaring_bitmap_t *)b; }

bench_bitmap *bench_bitmap_new(const uint32_t *docs, size_t n)
{
    roaring_bitmap_t *r = roaring_bitmap_of_ptr(n, docs);
    if (r)
        roaring_bitmap_run_optimize(r);
    return (bench_bitmap *)r;
}

void bench_bitmap_free(bench_bitmap *b)
{
    if (b)
        roaring_bitmap_free(rb(b));
}

uint64_t bench_bitmap_and_count(const bench_bitmap *a, const bench_bitmap *b)
{
    return roaring_bitmap_and_cardinality(rb(a), rb(b));
}

uint64_t bench_bitmap_or_count(const bench_bitmap *a, const bench_bitmap *b)
{
    return roaring_bitmap_or_cardinality(rb(a), rb(b));
}

/* Cardinality of a freshly built result, which it frees. */
static uint64_t count_and_free(roaring_bitmap_t *r)
{
    if (!r)
        return UINT64_MAX;
    uint64_t n = roaring_bitmap_get_cardinality(r);
    roaring_bitmap_free(r);
    return n;
}

uint64_t bench_bitmap_and_build(const bench_bitmap *a, const bench_bitmap *b)
{
    return count_and_free(roaring_bitmap_and(rb(a), rb(b)));
}

uint64_t bench_bitmap_or_build(const bench_bitmap *a, const bench_bitmap *b)
{
    return count_and_free(roaring_bitmap_or(rb(a), rb(b)));
}
#else
/* Not built in: no bitmap is ever made, so the counts are never called. */
int bench_roaring_available(void) { return 0; }

bench_bitmap *bench_bitmap_new(const uint32_t *docs, size_t n)
{
    (void)docs, (void)n;
    return NULL;
}

void bench_bitmap_free(bench_bitmap *b) { (void)b; }

uint64_t bench_bitmap_and_count(const bench_bitmap *a, const bench_bitmap *b)
{
    (void)a, (void)b;
    abort();
}

uint64_t bench_bitmap_or_count(const bench_bitmap *a, const bench_bitmap *b)
{
    (void)a, (void)b;
    abort();
}

uint64_t bench_bitmap_and_build(const bench_bitmap *a, const bench_bitmap *b)
{
    (void)a, (void)b;
    abort();
}

uint64_t bench_bitmap_or_build(const bench_bitmap *a, const bench_bitmap *b)
{
    (void)a, (void)b;
    abort();
}
#endif
