/* bench_bitpack.c: `byline-bench --bitpack`: ns per integer of codec 2's
 * block primitives at every width on every path this CPU has.
 *
 * NBLOCKS blocks of 128 values are packed once per width (a few hundred KB
 * at most, so they stay in L2, as a posting list being read would), then
 * decoded one after the other into the same 128-value buffer, which is how
 * a posting iterator consumes them. Each block has one value with the top
 * bit of its width, the rest uniform below 2^23, so the doc-id sums of
 * delta1 stay valid at every width (a wrap would make it return early).
 * The baseline, from the same run: memcpy of each block's 128 values as raw
 * uint32_t (512 bytes), what a decoder writes. */
#include "bench_bitpack.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bitpack.h"

#define NBLOCKS 512
#define NINTS (NBLOCKS * BL_PACK_BLOCK)
/* Passes over the blocks per timing: enough for ~100 us at 0.1 ns/int. */
#define PASSES 8

static const char *const path_names[] = {"scalar", "sse41", "avx2", "avx2-gather"};
#define NPATHS (sizeof path_names / sizeof path_names[0])

enum { OP_UNPACK, OP_DELTA1, OP_PACK, NOPS };
static const char *const op_names[NOPS] = {"unpack", "delta1", "pack"};

typedef struct {
    unsigned bits;
    uint32_t *values; /* NINTS */
    uint8_t *packed;  /* NBLOCKS * 16 * bits */
    uint8_t *scratch; /* as large, for pack and memcpy */
    int failed;
} bp_ctx;

static volatile uint64_t bp_sink;

static double secs_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t next_rand(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545f4914f6cdd1dull;
}

static int cmp_secs(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Seconds of PASSES passes of one operation over every block. */
static double time_op(bp_ctx *c, int op)
{
    uint32_t out[BL_PACK_BLOCK];
    size_t bytes = bl_pack128_bytes(c->bits);
    uint64_t sum = 0;
    double t0 = secs_now();
    for (int pass = 0; pass < PASSES; pass++)
        for (size_t b = 0; b < NBLOCKS; b++) {
            const uint8_t *in = c->packed + b * bytes;
            switch (op) {
            case OP_UNPACK:
                bl_unpack128(in, c->bits, out);
                sum += out[b % BL_PACK_BLOCK];
                break;
            case OP_DELTA1:
                c->failed |= bl_unpack128_delta1(in, c->bits, (uint32_t)b, out);
                sum += out[b % BL_PACK_BLOCK];
                break;
            case OP_PACK:
                bl_pack128(c->values + b * BL_PACK_BLOCK, c->bits, c->scratch + b * bytes);
                break;
            default: /* the baseline: memcpy of the raw values */
                memcpy(out, c->values + b * BL_PACK_BLOCK, sizeof out);
                sum += out[b % BL_PACK_BLOCK];
                break;
            }
        }
    double t = secs_now() - t0;
    bp_sink += sum;
    return t;
}

/* Median ns per integer of `runs` timings, after a warm-up. */
static double ns_per_int(bp_ctx *c, int op, int runs)
{
    double t[64];
    if (runs > 64)
        runs = 64;
    time_op(c, op);
    for (int i = 0; i < runs; i++)
        t[i] = time_op(c, op);
    qsort(t, (size_t)runs, sizeof *t, cmp_secs);
    return t[runs / 2] * 1e9 / ((double)NINTS * PASSES);
}

static void fill_values(bp_ctx *c, uint64_t *rng)
{
    uint32_t small = c->bits < 23 ? c->bits : 23;
    for (size_t i = 0; i < NINTS; i++)
        c->values[i] = small ? (uint32_t)next_rand(rng) & ((1u << small) - 1) : 0;
    if (c->bits)
        for (size_t b = 0; b < NBLOCKS; b++)
            c->values[b * BL_PACK_BLOCK + next_rand(rng) % BL_PACK_BLOCK] |= 1u << (c->bits - 1);
}

/* Packs every block with the current path and checks that it decodes back. */
static int pack_and_check(bp_ctx *c)
{
    size_t bytes = bl_pack128_bytes(c->bits);
    for (size_t b = 0; b < NBLOCKS; b++)
        bl_pack128(c->values + b * BL_PACK_BLOCK, c->bits, c->packed + b * bytes);
    uint32_t out[BL_PACK_BLOCK];
    for (size_t b = 0; b < NBLOCKS; b++) {
        bl_unpack128(c->packed + b * bytes, c->bits, out);
        if (memcmp(out, c->values + b * BL_PACK_BLOCK, sizeof out)) {
            fprintf(stderr, "byline-bench: %s decodes width %u wrongly\n", bl_bitpack_impl(),
                    c->bits);
            return 1;
        }
    }
    return 0;
}

int bench_bitpack(int runs, uint64_t seed)
{
    bp_ctx c = {0, malloc(NINTS * sizeof(uint32_t)), malloc((size_t)NBLOCKS * 16 * 32),
                malloc((size_t)NBLOCKS * 16 * 32), 0};
    int rc = 0;
    if (!c.values || !c.packed || !c.scratch) {
        fprintf(stderr, "byline-bench: out of memory\n");
        rc = 1;
        goto done;
    }
    int have[NPATHS];
    printf("bitpack: ns per integer, median of %d runs of %d passes over %d blocks of 128 "
           "(seed %llu); paths:",
           runs, PASSES, NBLOCKS, (unsigned long long)seed);
    for (size_t p = 0; p < NPATHS; p++) {
        have[p] = bl_bitpack_select(path_names[p]) == 0;
        if (have[p])
            printf(" %s", path_names[p]);
    }
    printf("\nwidth");
    for (size_t p = 0; p < NPATHS; p++)
        for (int op = 0; op < NOPS && have[p]; op++)
            printf(" %6.6s.%-6s", path_names[p], op_names[op]);
    putchar('\n');
    uint64_t rng = seed ? seed : 1;
    for (unsigned bits = 0; bits <= 32; bits++) {
        c.bits = bits;
        fill_values(&c, &rng);
        printf("%5u", bits);
        for (size_t p = 0; p < NPATHS; p++) {
            if (!have[p])
                continue;
            bl_bitpack_select(path_names[p]);
            if (pack_and_check(&c)) {
                rc = 1;
                goto done;
            }
            for (int op = 0; op < NOPS; op++)
                printf(" %13.3f", ns_per_int(&c, op, runs));
        }
        putchar('\n');
        if (c.failed) {
            fprintf(stderr, "byline-bench: delta1 refused valid sums at width %u\n", bits);
            rc = 1;
            goto done;
        }
    }
    c.bits = 32;
    printf("baseline: memcpy of 128 raw values per block, %.3f ns/int\n",
           ns_per_int(&c, NOPS, runs));
done:
    bl_bitpack_select(NULL);
    free(c.values);
    free(c.packed);
    free(c.scratch);
    return rc;
}
