/* test_impacts.c: Pareto fronts of (tf, len) pairs, their cap and their
 * codec, against brute force on random inputs (seed printed; replay with
 * BYLINE_SEED=N). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "helpers.h"
#include "impacts.h"

/* Random pairs: tfs and lengths from small or wide ranges, so that fronts
 * are sometimes one pair, sometimes dozens, with many repeats. */
static size_t random_pairs(bl_rng *r, bl_impact *v, size_t max)
{
    size_t n = 1 + bl_rng_below(r, (uint32_t)max);
    uint32_t tf_span = bl_rng_below(r, 2) ? 4 : 200;
    uint32_t len_span = bl_rng_below(r, 2) ? 10 : 100000;
    for (size_t i = 0; i < n; i++) {
        v[i].tf = 1 + bl_rng_below(r, tf_span);
        v[i].len = bl_rng_below(r, 8) ? bl_rng_below(r, len_span) : UINT32_MAX - bl_rng_below(r, 3);
        if (bl_rng_below(r, 50) == 0)
            v[i].tf = UINT32_MAX - bl_rng_below(r, 3);
    }
    return n;
}

static int dominates(bl_impact a, bl_impact b) { return a.tf >= b.tf && a.len <= b.len; }

/* Whether x is on the front of v[0..n): no other distinct pair dominates it. */
static int on_front(const bl_impact *v, size_t n, bl_impact x)
{
    for (size_t j = 0; j < n; j++)
        if (dominates(v[j], x) && (v[j].tf != x.tf || v[j].len != x.len))
            return 0;
    return 1;
}

/* f[0..nf) is exactly the front of v[0..n): sorted strictly on both, each
 * pair one of v's and on its front, and every pair of v's front in it. */
static void expect_front(const bl_impact *f, size_t nf, const bl_impact *v, size_t n,
                         uint64_t seed)
{
    for (size_t i = 1; i < nf; i++)
        cr_assert(f[i].tf > f[i - 1].tf && f[i].len > f[i - 1].len, "seed %llu: unsorted at %zu",
                  (unsigned long long)seed, i);
    for (size_t i = 0; i < nf; i++)
        cr_assert(on_front(v, n, f[i]), "seed %llu: (%u, %u) is dominated",
                  (unsigned long long)seed, f[i].tf, f[i].len);
    for (size_t j = 0; j < n; j++) {
        int found = 0;
        for (size_t i = 0; i < nf && !found; i++)
            found = f[i].tf == v[j].tf && f[i].len == v[j].len;
        cr_assert(found || !on_front(v, n, v[j]), "seed %llu: (%u, %u) missing from the front",
                  (unsigned long long)seed, v[j].tf, v[j].len);
    }
}

Test(impacts, front_is_the_pareto_front)
{
    uint64_t seed = bl_test_seed("impacts.front");
    bl_rng r;
    bl_rng_init(&r, seed);
    bl_impact v[300], f[300];
    for (int round = 0; round < 2000; round++) {
        size_t n = random_pairs(&r, v, 300);
        memcpy(f, v, n * sizeof *v);
        size_t nf = bl_impacts_front(f, n);
        cr_assert(nf >= 1 && nf <= n);
        expect_front(f, nf, v, n, seed);
    }
    cr_assert_eq(bl_impacts_front(f, 0), 0);
}

Test(impacts, union_is_the_front_of_both)
{
    uint64_t seed = bl_test_seed("impacts.union");
    bl_rng r;
    bl_rng_init(&r, seed);
    bl_impact a[200], b[200], both[400], out[400];
    for (int round = 0; round < 2000; round++) {
        size_t na = random_pairs(&r, a, 200), nb = random_pairs(&r, b, 200);
        memcpy(both, a, na * sizeof *a);
        memcpy(both + na, b, nb * sizeof *b);
        size_t nboth = na + nb;
        na = bl_impacts_front(a, na);
        nb = bl_impacts_front(b, nb);
        size_t n = bl_impacts_union(a, na, b, nb, out);
        expect_front(out, n, both, nboth, seed);
        /* and with an empty side */
        cr_assert_eq(bl_impacts_union(a, na, b, 0, out), na);
        cr_assert(memcmp(out, a, na * sizeof *a) == 0);
    }
}

/* A capped front keeps at most max pairs, stays sorted, dominates every
 * input pair, and is made of the input's tfs and lengths; under the cap it
 * is left alone. */
Test(impacts, cap_stays_sound)
{
    uint64_t seed = bl_test_seed("impacts.cap");
    bl_rng r;
    bl_rng_init(&r, seed);
    bl_impact v[300], f[300], c[300];
    int capped = 0;
    for (int round = 0; round < 2000; round++) {
        size_t n = random_pairs(&r, v, 300);
        memcpy(f, v, n * sizeof *v);
        size_t nf = bl_impacts_front(f, n);
        size_t max = 1 + bl_rng_below(&r, BL_IMPACTS_MAX);
        memcpy(c, f, nf * sizeof *f);
        size_t nc = bl_impacts_cap(c, nf, max);
        cr_assert_eq(nc, nf < max ? nf : max, "seed %llu", (unsigned long long)seed);
        capped += nf > max;
        if (nf <= max)
            cr_assert(memcmp(c, f, nf * sizeof *f) == 0);
        for (size_t i = 1; i < nc; i++)
            cr_assert(c[i].tf > c[i - 1].tf && c[i].len > c[i - 1].len, "seed %llu",
                      (unsigned long long)seed);
        for (size_t j = 0; j < n; j++)
            cr_assert(bl_impacts_dominate(c, nc, v[j].tf, v[j].len),
                      "seed %llu: (%u, %u) not dominated after the cap",
                      (unsigned long long)seed, v[j].tf, v[j].len);
        for (size_t i = 0; i < nc; i++) {
            int tf_seen = 0, len_seen = 0;
            for (size_t j = 0; j < nf; j++) {
                tf_seen |= f[j].tf == c[i].tf;
                len_seen |= f[j].len == c[i].len;
            }
            cr_assert(tf_seen && len_seen, "seed %llu", (unsigned long long)seed);
        }
        /* the corner survives: the highest tf and the shortest length */
        cr_assert(c[nc - 1].tf == f[nf - 1].tf && c[0].len == f[0].len);
    }
    cr_assert(capped > 100, "only %d rounds were capped", capped);
}

Test(impacts, codec_roundtrip_and_damage)
{
    uint64_t seed = bl_test_seed("impacts.codec");
    bl_rng r;
    bl_rng_init(&r, seed);
    bl_impact v[300], out[BL_IMPACTS_MAX];
    uint8_t enc[BL_IMPACTS_MAX_BYTES + 8];
    for (int round = 0; round < 2000; round++) {
        size_t n = bl_impacts_front(v, random_pairs(&r, v, 300));
        n = bl_impacts_cap(v, n, BL_IMPACTS_MAX);
        size_t bytes = bl_impacts_encode(v, n, enc);
        cr_assert(bytes <= BL_IMPACTS_MAX_BYTES);
        uint32_t m;
        size_t used;
        cr_assert_eq(bl_impacts_decode(enc, bytes, out, &m, &used), 0, "seed %llu",
                     (unsigned long long)seed);
        cr_assert(m == n && used == bytes && memcmp(out, v, n * sizeof *v) == 0, "seed %llu",
                  (unsigned long long)seed);
        /* cut short anywhere: an error, never a read past the end */
        size_t cut = bl_rng_below(&r, (uint32_t)bytes);
        cr_assert_eq(bl_impacts_decode(enc, cut, out, &m, &used), BL_ECORRUPT);
    }
    uint8_t zero[] = {0}, many[] = {BL_IMPACTS_MAX + 1, 0, 0};
    uint32_t m;
    size_t used;
    cr_assert_eq(bl_impacts_decode(zero, sizeof zero, out, &m, &used), BL_ECORRUPT);
    cr_assert_eq(bl_impacts_decode(many, sizeof many, out, &m, &used), BL_ECORRUPT);
    /* a tf or a length past UINT32_MAX */
    size_t k = 0;
    enc[k++] = 2;
    k += bl_varint_encode(enc + k, UINT32_MAX - 1); /* tf UINT32_MAX */
    k += bl_varint_encode(enc + k, 5);
    k += bl_varint_encode(enc + k, 0); /* tf UINT32_MAX + 1 */
    k += bl_varint_encode(enc + k, 0);
    cr_assert_eq(bl_impacts_decode(enc, k, out, &m, &used), BL_ECORRUPT);
    k = 0;
    enc[k++] = 2;
    k += bl_varint_encode(enc + k, 0);
    k += bl_varint_encode(enc + k, UINT32_MAX);
    k += bl_varint_encode(enc + k, 0);
    k += bl_varint_encode(enc + k, 0); /* length UINT32_MAX + 1 */
    cr_assert_eq(bl_impacts_decode(enc, k, out, &m, &used), BL_ECORRUPT);
}
