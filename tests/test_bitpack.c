/* test_bitpack.c: codec 2's bit packing (common/bitpack.h), every width
 * 0..32 on every path this CPU has, against oracles written from the layout
 * in bitpack.h bit by bit, and against codec.h's scalar bl_delta_decode.
 *
 * Random inputs come from a fixed seed, printed; BYLINE_SEED=N replays
 * another. Criterion runs each test in a fresh process, which the
 * BYLINE_SIMD tests rely on (the variable is read on first use). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bitpack.h"
#include "codec.h"
#include "error.h"
#include "helpers.h"

static const char *const path_names[] = {"scalar", "sse41", "avx2", "avx2-gather"};
#define NPATHS (sizeof path_names / sizeof path_names[0])

/* The inputs every run replays unless BYLINE_SEED names others. */
#define SEED 20240611

#define CHECK(cond, fmt, ...) BL_TEST_CHECK_ON_PATH(bl_bitpack_impl(), cond, fmt, ##__VA_ARGS__)

static uint32_t mask_of(unsigned bits) { return bits >= 32 ? UINT32_MAX : (1u << bits) - 1; }

/* Ways to fill a block at a width: uniform, every value at the maximum,
 * mostly small (a random number of low bits), and one maximum among zeros. */
enum { FILL_UNIFORM, FILL_MAX, FILL_SKEWED, FILL_ONE_MAX, NFILLS };

static void fill(bl_rng *r, int how, unsigned bits, uint32_t *v, size_t n)
{
    size_t one = n ? bl_rng_below(r, (uint32_t)n) : 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t x = (uint32_t)bl_rng_next(r);
        switch (how) {
        case FILL_UNIFORM: v[i] = x & mask_of(bits); break;
        case FILL_MAX: v[i] = mask_of(bits); break;
        case FILL_SKEWED: v[i] = x & mask_of(bl_rng_below(r, bits + 1)); break;
        default: v[i] = i == one ? mask_of(bits) : 0; break;
        }
    }
}

/* The block layout of bitpack.h, one bit at a time: bit q of value i is bit
 * k*b + q of lane i%4's stream, k = i/4; stream bit t is bit t%32 of the
 * lane's little-endian word t/32, and word w of lane j starts at byte
 * 16*w + 4*j. */
static void oracle_pack128(const uint32_t *v, unsigned b, uint8_t *out)
{
    memset(out, 0, 16 * (size_t)b);
    for (unsigned i = 0; i < 128; i++)
        for (unsigned q = 0; q < b; q++)
            if (v[i] >> q & 1) {
                unsigned t = i / 4 * b + q, w = t / 32, bit = t % 32;
                out[16 * w + 4 * (i % 4) + bit / 8] |= (uint8_t)(1u << bit % 8);
            }
}

/* The tail layout: bit q of value i is bit t = i*b + q of the stream, bit
 * t%8 of byte t/8. */
static void oracle_pack_tail(const uint32_t *v, size_t n, unsigned b, uint8_t *out)
{
    memset(out, 0, (n * b + 7) / 8);
    for (size_t i = 0; i < n; i++)
        for (unsigned q = 0; q < b; q++)
            if (v[i] >> q & 1) {
                size_t t = i * b + q;
                out[t / 8] |= (uint8_t)(1u << t % 8);
            }
}

/* ------------------------------------------------------------ blocks */

#define CANARY 0xa5
/* Room for the widest block, an odd offset (the API takes unaligned
 * pointers) and canary bytes after it. */
#define BUF_BYTES (16 * 32 + 64)

/* Packs v at bits through the current path into buf+off, checking it wrote
 * exactly 16*bits bytes, and that they are the oracle's. */
static void check_pack(const uint32_t *v, unsigned bits, size_t off, const char *what)
{
    uint8_t buf[BUF_BYTES], want[16 * 32];
    memset(buf, CANARY, sizeof buf);
    bl_pack128(v, bits, buf + off);
    oracle_pack128(v, bits, want);
    CHECK(memcmp(buf + off, want, 16 * (size_t)bits) == 0, "width %u, %s: bytes differ", bits,
          what);
    for (size_t i = 0; i < sizeof buf; i++)
        if (i < off || i >= off + 16 * (size_t)bits)
            CHECK(buf[i] == CANARY, "width %u, %s: wrote byte %zd of the block", bits, what,
                  (ssize_t)i - (ssize_t)off);
}

Test(bitpack, blocks_match_layout_on_every_path)
{
    bl_rng r;
    bl_rng_init(&r, bl_test_seed_or("bitpack/blocks_match_layout_on_every_path", SEED));
    int paths = 0;
    for (size_t p = 0; p < NPATHS; p++) {
        if (bl_bitpack_select(path_names[p]))
            continue;
        paths++;
        for (unsigned bits = 0; bits <= 32; bits++)
            for (int how = 0; how < NFILLS; how++)
                for (int rep = 0; rep < (how == FILL_MAX ? 1 : 4); rep++) {
                    uint32_t v[128], got[128], wide[128];
                    uint8_t bytes[16 * 32 + 3];
                    fill(&r, how, bits, v, 128);
                    size_t off = (size_t)rep % 4; /* 0..3: unaligned too */
                    check_pack(v, bits, off, "pack");
                    /* Bits above the width are masked off, not spilled. */
                    for (int i = 0; i < 128; i++)
                        wide[i] = v[i] | (~mask_of(bits) & (uint32_t)bl_rng_next(&r));
                    check_pack(wide, bits, off, "pack of wider values");

                    oracle_pack128(v, bits, bytes + off);
                    memset(got, 0xee, sizeof got);
                    bl_unpack128(bytes + off, bits, got);
                    for (unsigned i = 0; i < 128; i++) {
                        CHECK(got[i] == v[i], "width %u: value %u is %u, not %u", bits, i,
                              got[i], v[i]);
                        uint32_t one = bl_unpack128_get(bytes + off, bits, i);
                        CHECK(one == v[i], "width %u: get(%u) is %u, not %u", bits, i, one,
                              v[i]);
                    }
                }
    }
    CHECK(paths >= 1, "no path ran");
    fprintf(stderr, "bitpack: %d path(s) checked\n", paths);
}

/* Spot checks of the layout by hand, so the oracle itself is checked. */
Test(bitpack, layout_by_hand)
{
    uint32_t v[128] = {0};
    uint8_t out[16 * 32];
    /* Width 3: lane 0 holds v0, v4, v8, ...; v40 straddles words 0 and 1. */
    v[0] = 5;
    v[4] = 3;
    v[40] = 6; /* binary 110: low 2 bits (10) end word 0, the high 1 starts word 1 */
    v[1] = 7;  /* lane 1: byte 4 */
    bl_pack128(v, 3, out);
    cr_assert_eq(out[0], 5 | 3 << 3);
    cr_assert_eq(out[3], 2u << 6); /* bits 30..31 of word 0 */
    cr_assert_eq(out[16], 1);      /* bit 0 of row 1, lane 0 */
    cr_assert_eq(out[4], 7);
    /* Width 32 is the plain little-endian array. */
    for (uint32_t i = 0; i < 128; i++)
        v[i] = 0x01020304u * (i + 1);
    bl_pack128(v, 32, out);
    cr_assert_eq(out[4 * 5 + 0], (uint8_t)(v[5]));
    cr_assert_eq(out[4 * 5 + 3], (uint8_t)(v[5] >> 24));
}

Test(bitpack, bits_needed)
{
    bl_rng r;
    bl_rng_init(&r, bl_test_seed_or("bitpack/bits_needed", SEED));
    uint32_t v[300];
    for (size_t p = 0; p < NPATHS; p++) {
        if (bl_bitpack_select(path_names[p]))
            continue;
        CHECK(bl_bits_needed(v, 0) == 0, "empty array");
        for (int rep = 0; rep < 400; rep++) {
            size_t n = 1 + bl_rng_below(&r, 300);
            unsigned bits = bl_rng_below(&r, 33);
            fill(&r, FILL_SKEWED, bits, v, n);
            if (bits) /* the widest value anywhere, the tail included */
                v[bl_rng_below(&r, (uint32_t)n)] |= 1u << (bits - 1);
            unsigned got = bl_bits_needed(v, n);
            CHECK(got == bits, "n %zu: %u bits, not %u", n, got, bits);
        }
    }
}

/* ------------------------------------------------------------ sums */

/* codec.h's scalar decoder as the oracle of the minus-one prefix sums. */
static int oracle_sums(const uint32_t *gaps, size_t n, uint32_t base, uint32_t *out)
{
    memcpy(out, gaps, n * sizeof *out);
    return bl_delta_decode(out, n, base);
}

static uint64_t sum_of_steps(const uint32_t *gaps, size_t n)
{
    uint64_t s = 0;
    for (size_t i = 0; i < n; i++)
        s += gaps[i] + (i ? 1u : 0u);
    return s;
}

/* A base for gaps: random, or one that puts the last value right around
 * UINT32_MAX - 1 (the largest allowed) when the sums leave room. */
static uint32_t pick_base(bl_rng *r, const uint32_t *gaps, size_t n)
{
    uint64_t steps = sum_of_steps(gaps, n);
    uint32_t kind = bl_rng_below(r, 4);
    if (kind == 0 || steps + 2 > UINT32_MAX)
        return (uint32_t)bl_rng_next(r) >> bl_rng_below(r, 32);
    if (kind == 1)
        return 0;
    /* last = base + steps: UINT32_MAX - 3 .. UINT32_MAX + 1, when possible */
    int64_t base = (int64_t)UINT32_MAX - (int64_t)steps - 3 + bl_rng_below(r, 5);
    return base < 0 ? 0 : base > UINT32_MAX ? UINT32_MAX : (uint32_t)base;
}

static void check_sums(const uint32_t *gaps, size_t n, uint32_t base, int rc,
                       const uint32_t *got, const char *what, unsigned bits)
{
    uint32_t want[1024];
    int want_rc = oracle_sums(gaps, n, base, want);
    CHECK(rc == want_rc, "%s, width %u, n %zu, base %u: returned %d, not %d", what, bits, n,
          base, rc, want_rc);
    if (want_rc)
        return;
    for (size_t i = 0; i < n; i++)
        CHECK(got[i] == want[i], "%s, width %u, base %u: value %zu is %u, not %u", what, bits,
              base, i, got[i], want[i]);
}

Test(bitpack, unpack_delta1_matches_scalar_sums)
{
    bl_rng r;
    bl_rng_init(&r, bl_test_seed_or("bitpack/unpack_delta1_matches_scalar_sums", SEED));
    for (size_t p = 0; p < NPATHS; p++) {
        if (bl_bitpack_select(path_names[p]))
            continue;
        for (unsigned bits = 0; bits <= 32; bits++)
            for (int how = 0; how < NFILLS; how++)
                for (int rep = 0; rep < 6; rep++) {
                    uint32_t gaps[128], got[128];
                    uint8_t bytes[16 * 32 + 1];
                    fill(&r, how, bits, gaps, 128);
                    uint32_t base = pick_base(&r, gaps, 128);
                    oracle_pack128(gaps, bits, bytes + 1);
                    int rc = bl_unpack128_delta1(bytes + 1, bits, base, got);
                    check_sums(gaps, 128, base, rc, got, "delta1", bits);
                }
    }
}

/* The edges of the overflow check, built exactly: the last value at
 * UINT32_MAX - 1 is fine, at UINT32_MAX (or past it, one wrap or many) is
 * corrupt, whatever the width. */
Test(bitpack, unpack_delta1_overflow_edges)
{
    for (size_t p = 0; p < NPATHS; p++) {
        if (bl_bitpack_select(path_names[p]))
            continue;
        for (unsigned bits = 0; bits <= 32; bits++) {
            uint32_t gaps[128], got[128];
            uint8_t bytes[16 * 32];
            for (int i = 0; i < 128; i++)
                gaps[i] = mask_of(bits);
            bl_pack128(gaps, bits, bytes);
            uint64_t steps = sum_of_steps(gaps, 128);
            if (steps <= UINT32_MAX - 1) {
                uint32_t top = (uint32_t)(UINT32_MAX - 1 - steps);
                CHECK(bl_unpack128_delta1(bytes, bits, top, got) == 0, "width %u", bits);
                CHECK(got[127] == UINT32_MAX - 1, "width %u: last %u", bits, got[127]);
                CHECK(bl_unpack128_delta1(bytes, bits, top + 1, got) == BL_ECORRUPT,
                      "width %u: last value UINT32_MAX accepted", bits);
            } else {
                CHECK(bl_unpack128_delta1(bytes, bits, 0, got) == BL_ECORRUPT,
                      "width %u: sums of %llu accepted", bits, (unsigned long long)steps);
            }
            CHECK(bl_unpack128_delta1(bytes, bits, UINT32_MAX, got) == BL_ECORRUPT,
                  "width %u: base UINT32_MAX accepted", bits);
        }
    }
}

Test(bitpack, prefix_sum1_matches_scalar_sums)
{
    bl_rng r;
    bl_rng_init(&r, bl_test_seed_or("bitpack/prefix_sum1_matches_scalar_sums", SEED));
    static const size_t sizes[] = {0, 1, 3, 4, 5, 7, 8, 9, 15, 127, 128, 129, 255, 256, 300, 1000};
    for (size_t p = 0; p < NPATHS; p++) {
        if (bl_bitpack_select(path_names[p]))
            continue;
        for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++)
            for (int rep = 0; rep < 40; rep++) {
                size_t n = sizes[s];
                unsigned bits = bl_rng_below(&r, 33);
                uint32_t gaps[1000], got[1000];
                fill(&r, rep % NFILLS, bits, gaps, n);
                uint32_t base = pick_base(&r, gaps, n);
                memcpy(got, gaps, n * sizeof *got);
                int rc = bl_prefix_sum1(got, n, base);
                check_sums(gaps, n, base, rc, got, "prefix_sum1", bits);
            }
    }
}

/* ------------------------------------------------------------ no over-read */

/* A page whose end is followed by a PROT_NONE page: bytes placed so they
 * end at the boundary fault on any access past them. */
typedef struct {
    uint8_t *map;
    size_t page;
} guarded;

static guarded guarded_new(void)
{
    guarded g = {NULL, (size_t)sysconf(_SC_PAGESIZE)};
    void *m = mmap(NULL, 2 * g.page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert(m != MAP_FAILED, "mmap failed");
    g.map = m;
    cr_assert(mprotect(g.map + g.page, g.page, PROT_NONE) == 0, "mprotect failed");
    return g;
}

/* Where n bytes start so that they end at the guard page. */
static uint8_t *guarded_at(guarded *g, size_t n) { return g->map + g->page - n; }

Test(bitpack, block_access_stays_inside_its_bytes)
{
    bl_rng r;
    bl_rng_init(&r, bl_test_seed_or("bitpack/block_access_stays_inside_its_bytes", SEED));
    guarded g = guarded_new();
    for (size_t p = 0; p < NPATHS; p++) {
        if (bl_bitpack_select(path_names[p]))
            continue;
        for (unsigned bits = 0; bits <= 32; bits++) {
            uint32_t v[128], got[128];
            fill(&r, FILL_UNIFORM, bits, v, 128);
            uint8_t *at = guarded_at(&g, 16 * (size_t)bits);
            bl_pack128(v, bits, at); /* a write past the end faults too */
            bl_unpack128(at, bits, got);
            CHECK(memcmp(got, v, sizeof v) == 0, "width %u at the guard page", bits);
            check_sums(v, 128, 0, bl_unpack128_delta1(at, bits, 0, got), got, "delta1", bits);
            for (unsigned i = 0; i < 128; i++)
                CHECK(bl_unpack128_get(at, bits, i) == v[i], "width %u, get(%u)", bits, i);
            /* every start, a random length (to the end at times) */
            for (unsigned from = 0; from < 128; from++) {
                unsigned k = bl_rng_below(&r, 2) ? 128 - from : bl_rng_below(&r, 129 - from);
                memset(got, 0xAB, sizeof got);
                bl_unpack128_range(at, bits, from, k, got);
                CHECK(memcmp(got, v + from, k * sizeof *got) == 0,
                      "width %u, range %u + %u", bits, from, k);
            }
        }
    }
    munmap(g.map, 2 * g.page);
}

/* ------------------------------------------------------------ counting */

/* The oracle of bl_unpack128_delta1_count: the sums, then each id's bit
 * read from the bytes of the set (bit d % 8 of byte d / 8, the same bits
 * as little-endian words), ids at or past the set absent. */
static int oracle_count(const uint32_t *gaps, uint32_t base, const uint64_t *words,
                        uint32_t nwords, uint64_t *count, uint32_t *last)
{
    uint32_t v[128];
    const uint8_t *bytes = (const uint8_t *)words;
    int rc = oracle_sums(gaps, 128, base, v);
    *count = 0;
    for (size_t i = 0; i < 128 && !rc; i++)
        *count += v[i] / 64 < nwords && (bytes[v[i] / 8] >> (v[i] % 8) & 1);
    *last = v[127];
    return rc;
}

/* Decode-and-count against the oracle on every path and width, with the
 * set's words ending at a guard page: ids inside the set, ids running past
 * its end (counted as absent, never read), and sums that wrap (the error of
 * bl_unpack128_delta1). */
Test(bitpack, unpack_delta1_count_matches_bit_tests)
{
    bl_rng r;
    bl_rng_init(&r, bl_test_seed_or("bitpack/unpack_delta1_count_matches_bit_tests", SEED));
    guarded g = guarded_new();
    for (size_t p = 0; p < NPATHS; p++) {
        if (bl_bitpack_select(path_names[p]))
            continue;
        for (unsigned bits = 0; bits <= 32; bits++)
            for (int how = 0; how < NFILLS; how++)
                for (int rep = 0; rep < 8; rep++) {
                    uint32_t gaps[128];
                    uint8_t bytes[16 * 32 + 1];
                    fill(&r, how, bits, gaps, 128);
                    uint32_t base = rep < 4 ? (uint32_t)bl_rng_below(&r, 1u << 14)
                                            : pick_base(&r, gaps, 128);
                    oracle_pack128(gaps, bits, bytes + 1);
                    /* a set of 1 to 512 words, its bits dense or sparse */
                    uint32_t nw = 1 + bl_rng_below(&r, 512);
                    uint64_t *words = (uint64_t *)(void *)guarded_at(&g, 8 * (size_t)nw);
                    uint32_t density = bl_rng_below(&r, 4);
                    for (uint32_t i = 0; i < nw; i++) {
                        uint64_t w = bl_rng_next(&r);
                        words[i] = density == 0 ? w & bl_rng_next(&r) : density == 1 ? ~0ULL : w;
                    }
                    uint64_t want = 0, got = 0;
                    uint32_t want_last = 0, got_last = 0;
                    int want_rc = oracle_count(gaps, base, words, nw, &want, &want_last);
                    int rc = bl_unpack128_delta1_count(bytes + 1, bits, base, words, nw, &got,
                                                       &got_last);
                    CHECK(rc == want_rc, "width %u, base %u, %u words: returned %d, not %d",
                          bits, base, nw, rc, want_rc);
                    if (!want_rc)
                        CHECK(got == want && got_last == want_last,
                              "width %u, base %u, %u words: count %llu last %u, want %llu %u",
                              bits, base, nw, (unsigned long long)got, got_last,
                              (unsigned long long)want, want_last);
                }
    }
    munmap(g.map, 2 * g.page);
}

Test(bitpack, tail_access_stays_inside_its_bytes)
{
    bl_rng r;
    bl_rng_init(&r, bl_test_seed_or("bitpack/tail_access_stays_inside_its_bytes", SEED));
    guarded g = guarded_new();
    for (unsigned bits = 0; bits <= 32; bits++)
        for (size_t n = 0; n < 128; n++) {
            uint32_t v[128], got[128];
            fill(&r, FILL_UNIFORM, bits, v, n);
            size_t len = bl_pack_tail_bytes(n, bits);
            uint8_t *at = guarded_at(&g, len);
            CHECK(bl_pack_tail(v, n, bits, at) == len, "width %u, n %zu", bits, n);
            bl_unpack_tail(at, n, bits, got);
            for (size_t i = 0; i < n; i++) {
                CHECK(got[i] == v[i], "width %u, n %zu: value %zu", bits, n, i);
                CHECK(bl_unpack_tail_get(at, bits, i) == v[i], "width %u, n %zu: get(%zu)", bits,
                      n, i);
                /* from value i, a random length (to the end at times) */
                size_t k = bl_rng_below(&r, 2) ? n - i : bl_rng_below(&r, (uint32_t)(n - i + 1));
                uint32_t part[128];
                memset(part, 0xAB, sizeof part);
                bl_unpack_tail_range(at, n, bits, i, k, part);
                CHECK(memcmp(part, v + i, k * sizeof *part) == 0,
                      "width %u, n %zu: range %zu + %zu", bits, n, i, k);
            }
        }
    munmap(g.map, 2 * g.page);
}

/* ------------------------------------------------------------ tails */

Test(bitpack, tails_match_layout_for_every_length_and_width)
{
    bl_rng r;
    bl_rng_init(&r, bl_test_seed_or("bitpack/tails_match_layout_for_every_length_and_width", SEED));
    for (unsigned bits = 0; bits <= 32; bits++)
        for (size_t n = 0; n < 128; n++) {
            uint32_t v[128], got[128], wide[128];
            uint8_t buf[16 * 32 + 8], want[16 * 32];
            fill(&r, (int)(n % NFILLS), bits, v, n);
            for (size_t i = 0; i < n; i++)
                wide[i] = v[i] | (~mask_of(bits) & (uint32_t)bl_rng_next(&r));
            size_t len = (n * bits + 7) / 8;
            CHECK(bl_pack_tail_bytes(n, bits) == len, "width %u, n %zu", bits, n);
            memset(buf, CANARY, sizeof buf);
            CHECK(bl_pack_tail(wide, n, bits, buf + 1) == len, "width %u, n %zu", bits, n);
            oracle_pack_tail(v, n, bits, want);
            CHECK(memcmp(buf + 1, want, len) == 0, "width %u, n %zu: bytes differ", bits, n);
            CHECK(buf[0] == CANARY && buf[len + 1] == CANARY, "width %u, n %zu: wrote outside",
                  bits, n);
            memset(got, 0xee, sizeof got);
            bl_unpack_tail(want, n, bits, got);
            for (size_t i = 0; i < n; i++)
                CHECK(got[i] == v[i], "width %u, n %zu: value %zu is %u, not %u", bits, n, i,
                      got[i], v[i]);
            CHECK(got[n] == 0xeeeeeeee, "width %u, n %zu: wrote value %zu", bits, n,
                  n);
        }
}

/* ------------------------------------------------------------ paths */

static const char *best_path(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2"))
        return __builtin_cpu_is("intel") ? "avx2-gather" : "avx2";
    if (__builtin_cpu_supports("sse4.1"))
        return "sse41";
#endif
    return "scalar";
}

static int cpu_has(const char *name)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    if (strcmp(name, "avx2") == 0)
        return __builtin_cpu_supports("avx2");
    if (strcmp(name, "avx2-gather") == 0)
        return __builtin_cpu_supports("avx2") && __builtin_cpu_is("intel");
    if (strcmp(name, "sse41") == 0)
        return __builtin_cpu_supports("sse4.1");
#endif
    return strcmp(name, "scalar") == 0;
}

Test(bitpack, select_takes_supported_paths_and_refuses_others)
{
    cr_assert_str_eq(bl_bitpack_impl(), best_path(), "no BYLINE_SIMD: the best path");
    cr_assert_eq(bl_bitpack_select("scalar"), 0);
    cr_assert_str_eq(bl_bitpack_impl(), "scalar");
    cr_assert_eq(bl_bitpack_select("avx512"), BL_EINVAL);
    cr_assert_eq(bl_bitpack_select(""), BL_EINVAL);
    cr_assert_str_eq(bl_bitpack_impl(), "scalar", "a refused name changes nothing");
    for (size_t p = 0; p < NPATHS; p++) {
        int rc = bl_bitpack_select(path_names[p]);
        cr_assert_eq(rc, cpu_has(path_names[p]) ? 0 : BL_EINVAL, "%s", path_names[p]);
        if (rc == 0)
            cr_assert_str_eq(bl_bitpack_impl(), path_names[p]);
    }
    cr_assert_eq(bl_bitpack_select(NULL), 0);
    cr_assert_str_eq(bl_bitpack_impl(), best_path());
}

Test(bitpack, env_forces_scalar)
{
    setenv("BYLINE_SIMD", "scalar", 1);
    cr_assert_str_eq(bl_bitpack_impl(), "scalar");
}

Test(bitpack, env_forces_sse41_when_present)
{
    if (!cpu_has("sse41"))
        cr_skip_test("this CPU has no SSE4.1");
    setenv("BYLINE_SIMD", "sse41", 1);
    cr_assert_str_eq(bl_bitpack_impl(), "sse41");
}

Test(bitpack, env_ignores_unknown_path)
{
    setenv("BYLINE_SIMD", "avx512", 1);
    cr_assert_str_eq(bl_bitpack_impl(), best_path());
}
