/* test_codec.c: each codec of codec.h on single runs: round trips of runs
 * of every length and many value shapes through every entry of the table,
 * refusals of cut runs, and for the patched codec its sizes and that a
 * flipped bit never goes unseen. (The postings suites run whole lists
 * through every codec.) */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "bitmap.h"
#include "codec.h"
#include "error.h"

static const uint32_t ids[] = {BL_CODEC_VARINT, BL_CODEC_BITPACK, BL_CODEC_PATCHED};

static uint64_t rng = 88172645463325252ULL;

static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return n ? (uint32_t)(rng % n) : 0;
}

/* A run of n values of one of several shapes: small gaps with a few wide
 * ones (what the patched codec is for), all equal, all zero, uniform of a
 * random width, the widest values. */
static void make_run(uint32_t *v, size_t n, int shape)
{
    unsigned w = rnd(33);
    for (size_t i = 0; i < n; i++) {
        switch (shape) {
        case 0: v[i] = rnd(8) + (rnd(10) == 0 ? rnd(1u << 20) : 0); break;
        case 1: v[i] = 5; break;
        case 2: v[i] = 0; break;
        case 3: v[i] = w == 32 ? (uint32_t)rng : rnd(1u << w); break;
        case 4: v[i] = rnd(3) ? 1 : UINT32_MAX - rnd(4); break;
        default: v[i] = rnd(2) ? 0 : 1u << rnd(32); break;
        }
    }
}

static void check_run(const bl_codec *c, const uint32_t *v, size_t n)
{
    uint8_t enc[2 + 5 * 128];
    uint32_t out[128], sums[128];
    uint64_t words[4], sum = 0;
    size_t bytes, used, run;

    bytes = c->encode(v, n, enc);
    cr_assert_leq(bytes, c->max_bytes(n), "%s n %zu", c->name, n);
    cr_assert_eq(c->run_bytes(enc, bytes, n, &run), 0, "%s n %zu", c->name, n);
    cr_assert_eq(run, bytes, "%s n %zu", c->name, n);
    cr_assert_eq(c->decode(enc, bytes, out, n, &used), 0, "%s n %zu", c->name, n);
    cr_assert_eq(used, bytes);
    cr_assert_arr_eq(out, v, n * sizeof *v, "%s n %zu", c->name, n);

    /* Cut anywhere, the run is refused, never read past. */
    uint8_t *cut = malloc(bytes ? bytes : 1);
    for (size_t k = 0; k < bytes; k += 1 + bytes / 7) {
        memcpy(cut, enc, k);
        cr_assert_eq(c->decode(cut, k, out, n, &used), BL_ECORRUPT, "%s cut at %zu", c->name, k);
        cr_assert_eq(c->run_bytes(cut, k, n, &run), BL_ECORRUPT);
    }
    free(cut);

    if (c->get_range) {
        size_t at = rnd((uint32_t)n), k = 1 + rnd((uint32_t)(n - at));
        memset(out, 0xA5, sizeof out);
        c->get_range(enc, n, at, k, out);
        cr_assert_arr_eq(out, v + at, k * sizeof *v, "%s range %zu+%zu of %zu", c->name, at, k,
                         n);
        /* nothing written past the k values asked for */
        cr_assert(k == 128 || out[k] == 0xA5A5A5A5u, "%s range %zu+%zu of %zu", c->name, at, k,
                  n);
    }

    /* As gaps: the same ids as a prefix sum, counted against a bitset. */
    for (size_t i = 0; i < n; i++) {
        sum += (uint64_t)v[i] + (i ? 1 : 0);
        sums[i] = (uint32_t)sum;
    }
    if (sum >= UINT32_MAX) {
        cr_assert_eq(c->decode_delta1(enc, bytes, 0, out, n, &used), BL_ECORRUPT);
        return;
    }
    cr_assert_eq(c->decode_delta1(enc, bytes, 0, out, n, &used), 0, "%s", c->name);
    cr_assert_arr_eq(out, sums, n * sizeof *v, "%s delta1 n %zu", c->name, n);
    for (int i = 0; i < 4; i++)
        words[i] = ((uint64_t)rnd(UINT32_MAX) << 32) | rnd(UINT32_MAX);
    uint64_t want = 0, count;
    uint32_t last;
    for (size_t i = 0; i < n; i++)
        want += sums[i] < 256 && (words[sums[i] >> 6] >> (sums[i] & 63) & 1);
    cr_assert_eq(c->count_delta1(enc, bytes, 0, words, 4, n, &used, &count, &last), 0);
    cr_assert_eq(count, want, "%s count n %zu", c->name, n);
    cr_assert_eq(last, sums[n - 1]);
}

Test(codec, every_codec_round_trips_runs_of_every_length_and_shape)
{
    uint32_t v[128];

    for (size_t ci = 0; ci < sizeof ids / sizeof *ids; ci++) {
        const bl_codec *c = bl_codec_get(ids[ci]);
        cr_assert_not_null(c);
        cr_assert_eq(bl_codec_by_name(c->name), c);
        for (size_t n = 1; n <= 128; n++) {
            for (int shape = 0; shape < 6; shape++) {
                make_run(v, n, shape);
                check_run(c, v, n);
            }
        }
    }
}

/* Never larger than codec 2; smaller when a few values are much wider
 * than the rest. */
Test(codec, patched_runs_are_never_larger_than_bitpack)
{
    const bl_codec *pat = bl_codec_get(BL_CODEC_PATCHED), *bp = bl_codec_get(BL_CODEC_BITPACK);
    uint8_t a[2 + 5 * 128], b[2 + 5 * 128];
    uint32_t v[128];

    for (int rep = 0; rep < 3000; rep++) {
        size_t n = rep % 2 ? 128 : 1 + rnd(128);
        make_run(v, n, rep % 6);
        cr_assert_leq(pat->encode(v, n, a), bp->encode(v, n, b), "n %zu shape %d", n, rep % 6);
    }
    for (size_t i = 0; i < 128; i++)
        v[i] = i % 3;
    v[77] = 1u << 30;
    /* 2 bits a value and one exception, against 31 bits a value */
    cr_assert_lt(pat->encode(v, 128, a), 16 * 2 + 12);
    cr_assert_eq(bp->encode(v, 128, b), 1 + 16 * 31);
}

/* The postings suites rely on this: one flipped bit of a run changes its
 * size, or is refused, or changes the sum of its values (which the skip
 * data or the dictionary records). */
Test(codec, patched_runs_show_every_flipped_bit)
{
    const bl_codec *c = bl_codec_get(BL_CODEC_PATCHED);
    uint8_t enc[2 + 5 * 128];
    uint32_t v[128], out[128];
    int with_exceptions = 0;

    for (int rep = 0; rep < 300; rep++) {
        size_t n = rep % 2 ? 128 : 1 + rnd(128), bytes, run, used;
        uint64_t sum = 0;

        make_run(v, n, 0);
        bytes = c->encode(v, n, enc);
        with_exceptions += (enc[0] & 0x40) != 0;
        for (size_t i = 0; i < n; i++)
            sum += v[i];
        for (size_t bit = 0; bit < bytes * 8; bit++) {
            enc[bit / 8] ^= (uint8_t)(1u << bit % 8);
            if (c->run_bytes(enc, bytes, n, &run) == 0 && run == bytes &&
                c->decode(enc, bytes, out, n, &used) == 0) {
                uint64_t s = 0;
                for (size_t i = 0; i < n; i++)
                    s += out[i];
                cr_assert_neq(s, sum, "rep %d: flipped bit %zu of %zu bytes unseen", rep, bit,
                              bytes);
            }
            enc[bit / 8] ^= (uint8_t)(1u << bit % 8);
        }
    }
    cr_assert_gt(with_exceptions, 100);
}
