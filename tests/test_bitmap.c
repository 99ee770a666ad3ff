/* test_bitmap.c: the word-array kernels of common/bitmap.h on every path
 * this CPU has, against a bit-by-bit oracle, on random sets of random
 * lengths (every remainder of the SIMD loops, and past one chunk of
 * bl_bitmap_and_count_many).
 *
 * Random inputs come from a fixed seed, printed; BYLINE_SEED=N replays
 * another. Criterion runs each test in a fresh process, which the
 * BYLINE_SIMD tests rely on (the variable is read on first use). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "bitmap.h"
#include "error.h"
#include "helpers.h"

static const char *const path_names[] = {"scalar", "popcnt", "avx2"};
#define NPATHS (sizeof path_names / sizeof path_names[0])

/* The inputs every run replays unless BYLINE_SEED names others. */
#define SEED 20250117

#define CHECK(cond, fmt, ...) BL_TEST_CHECK_ON_PATH(bl_bitmap_impl(), cond, fmt, ##__VA_ARGS__)

static int cpu_has(const char *name)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    if (strcmp(name, "avx2") == 0)
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt");
    if (strcmp(name, "popcnt") == 0)
        return __builtin_cpu_supports("popcnt");
#endif
    return strcmp(name, "scalar") == 0;
}

static const char *best_path(void)
{
    return cpu_has("avx2") ? "avx2" : cpu_has("popcnt") ? "popcnt" : "scalar";
}

/* n random words, each bit set with probability about 2^-k for a random
 * k of 0..4 per word (sparse, half full, full words all occur). */
static void fill(bl_rng *r, uint64_t *w, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t x = ~0ULL;
        for (uint32_t k = bl_rng_below(r, 6); k > 0; k--)
            x &= bl_rng_next(r);
        w[i] = bl_rng_below(r, 8) ? x : bl_rng_below(r, 2) ? 0 : ~0ULL;
    }
}

static int oracle_bit(const uint64_t *w, uint64_t d) { return (int)(w[d / 64] >> (d % 64) & 1); }

/* Docs in all of maps[0..k) (n words each), bit by bit. */
static uint64_t oracle_and(const uint64_t *const *maps, size_t k, size_t n)
{
    uint64_t c = 0;
    for (uint64_t d = 0; d < 64 * (uint64_t)n; d++) {
        int all = 1;
        for (size_t j = 0; j < k; j++)
            all &= oracle_bit(maps[j], d);
        c += (uint64_t)all;
    }
    return c;
}

Test(bitmap, and_count_matches_the_oracle_on_every_path)
{
    bl_rng r;
    bl_rng_init(&r, bl_test_seed_or("bitmap/and_count_matches_the_oracle_on_every_path", SEED));
    enum { MAXW = 5000 }; /* past two chunks of and_count_many */
    uint64_t *m[5];
    for (int j = 0; j < 5; j++)
        m[j] = malloc(MAXW * sizeof *m[j]);
    for (size_t p = 0; p < NPATHS; p++) {
        if (bl_bitmap_select(path_names[p]))
            continue;
        for (int trial = 0; trial < 200; trial++) {
            size_t n = trial < 40 ? (size_t)trial : bl_rng_below(&r, trial & 1 ? 70 : MAXW + 1);
            /* a misaligned start in half the trials: the SIMD paths load unaligned */
            size_t off = bl_rng_below(&r, 2);
            for (int j = 0; j < 5; j++)
                fill(&r, m[j], MAXW);
            const uint64_t *v[5] = {m[0] + off, m[1], m[2] + off, m[3], m[4]};
            CHECK(bl_bitmap_and_count(v[0], v[1], n) == oracle_and(v, 2, n), "n %zu", n);
            size_t k = 1 + bl_rng_below(&r, 5);
            CHECK(bl_bitmap_and_count_many(v, k, n) == oracle_and(v, k, n), "n %zu k %zu", n,
                  k);
        }
    }
    for (int j = 0; j < 5; j++)
        free(m[j]);
}

Test(bitmap, count_docs_matches_the_oracle)
{
    bl_rng r;
    bl_rng_init(&r, bl_test_seed_or("bitmap/count_docs_matches_the_oracle", SEED));
    enum { W = 100, MAXD = 300 };
    uint64_t m[3][W];
    uint32_t docs[MAXD];
    for (int trial = 0; trial < 300; trial++) {
        for (int j = 0; j < 3; j++)
            fill(&r, m[j], W);
        size_t n = bl_rng_below(&r, MAXD + 1);
        for (size_t i = 0; i < n; i++)
            docs[i] = bl_rng_below(&r, 64 * W); /* any order, repeats allowed */
        const uint64_t *v[3] = {m[0], m[1], m[2]};
        size_t k = 1 + bl_rng_below(&r, 3);
        uint64_t want = 0;
        for (size_t i = 0; i < n; i++) {
            int all = 1;
            for (size_t j = 0; j < k; j++)
                all &= oracle_bit(v[j], docs[i]);
            want += (uint64_t)all;
        }
        CHECK(bl_bitmap_count_docs(v, k, docs, n) == want, "n %zu k %zu", n, k);
    }
}

/* A stored bitmap is little-endian: bit d of the set is bit d % 8 of byte
 * d / 8, whatever the host. */
Test(bitmap, words_are_read_little_endian)
{
    uint8_t bytes[16] = {0};
    bytes[0] = 0x01;  /* doc 0 */
    bytes[1] = 0x80;  /* doc 15 */
    bytes[8] = 0x02;  /* doc 65 */
    bytes[15] = 0x80; /* doc 127 */
    uint64_t w[2];
    memcpy(w, bytes, sizeof w);
    for (uint32_t d = 0; d < 128; d++)
        cr_assert_eq(bl_bitmap_test(w, d), d == 0 || d == 15 || d == 65 || d == 127, "doc %u",
                     d);
    cr_assert_eq(bl_bitmap_word(w, 1), 0x8000000000000002ULL);
}

Test(bitmap, select_takes_supported_paths_and_refuses_others)
{
    cr_assert_str_eq(bl_bitmap_impl(), best_path(), "no BYLINE_SIMD: the best path");
    cr_assert_eq(bl_bitmap_select("scalar"), 0);
    cr_assert_str_eq(bl_bitmap_impl(), "scalar");
    cr_assert_eq(bl_bitmap_select("sse41"), BL_EINVAL);
    cr_assert_str_eq(bl_bitmap_impl(), "scalar", "a refused name changes nothing");
    for (size_t p = 0; p < NPATHS; p++) {
        int rc = bl_bitmap_select(path_names[p]);
        cr_assert_eq(rc, cpu_has(path_names[p]) ? 0 : BL_EINVAL, "%s", path_names[p]);
        if (rc == 0)
            cr_assert_str_eq(bl_bitmap_impl(), path_names[p]);
    }
    cr_assert_eq(bl_bitmap_select(NULL), 0);
    cr_assert_str_eq(bl_bitmap_impl(), best_path());
}

Test(bitmap, env_forces_scalar)
{
    setenv("BYLINE_SIMD", "scalar", 1);
    cr_assert_str_eq(bl_bitmap_impl(), "scalar");
}

Test(bitmap, env_leaves_the_best_path_for_names_it_lacks)
{
    setenv("BYLINE_SIMD", "sse41", 1); /* a bitpack path, not one of these */
    cr_assert_str_eq(bl_bitmap_impl(), best_path());
}

/* bl_bitmap_next is the first set bit at or after from, bit by bit. */
Test(bitmap, next_matches_the_oracle)
{
    bl_rng r;
    bl_rng_init(&r, bl_test_seed_or("bitmap/next_matches_the_oracle", SEED));
    enum { W = 40 };
    uint64_t m[W];
    for (int trial = 0; trial < 300; trial++) {
        fill(&r, m, W);
        if (trial % 3 == 0) /* long runs of empty words */
            for (int i = 0; i < W; i++)
                m[i] = bl_rng_below(&r, 8) ? 0 : m[i];
        uint32_t nw = bl_rng_below(&r, W + 1);
        for (int q = 0; q < 50; q++) {
            uint32_t from = bl_rng_below(&r, 64 * W + 100);
            uint32_t want = UINT32_MAX;
            for (uint64_t d = from; d < 64 * (uint64_t)nw; d++)
                if (oracle_bit(m, d)) {
                    want = (uint32_t)d;
                    break;
                }
            CHECK(bl_bitmap_next(m, nw, from) == want, "from %u in %u words", from, nw);
        }
        CHECK(bl_bitmap_next(m, nw, UINT32_MAX) == UINT32_MAX, "");
    }
}
