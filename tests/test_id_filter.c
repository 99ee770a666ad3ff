/* test_id_filter.c: the filter of id hashes (indexer/id_filter.h): never a
 * "no" for a hash added, through all its stages and past its memory limit;
 * "perhaps" for hashes never added about as rarely as it says; memory
 * within the limit. Random hashes: replay with BYLINE_SEED=N. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

#include "helpers.h"
#include "id_filter.h"

static uint64_t mix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Adds n random hashes (a copy kept), checks each is held, and returns the
 * share of n other random hashes that the filter says it may hold. */
static double fill_and_probe(bl_id_filter *f, size_t n, uint64_t seed)
{
    uint64_t s = seed, *added = malloc(n * sizeof *added);
    cr_assert(added);
    for (size_t i = 0; i < n; i++) {
        added[i] = mix(&s);
        cr_assert_eq(bl_id_filter_add(f, added[i]), 0);
    }
    for (size_t i = 0; i < n; i++)
        cr_assert(bl_id_filter_may_hold(f, added[i]), "hash %zu of %zu lost", i, n);
    size_t yes = 0;
    for (size_t i = 0; i < n; i++)
        yes += (size_t)bl_id_filter_may_hold(f, mix(&s));
    free(added);
    cr_assert_eq(bl_id_filter_count(f), n);
    return (double)yes / (double)n;
}

Test(id_filter, holds_everything_and_rarely_says_perhaps_otherwise)
{
    uint64_t seed = bl_test_seed("id_filter/holds");
    bl_id_filter *f;
    cr_assert_eq(bl_id_filter_new(&f, (size_t)64 << 20), 0);
    /* 600,000 ids: four stages (64 Ki, 128 Ki, 256 Ki, 512 Ki) */
    double fp = fill_and_probe(f, 600000, seed);
    fprintf(stderr, "  id_filter: %.5f false positives at 24 bits an id\n", fp);
    cr_expect_lt(fp, 0.0015, "false positives %.5f", fp);
    /* 24 bits an id and some room still free in the last stage */
    cr_expect_leq(bl_id_filter_memory(f), (size_t)3 * 1024 * 1024);
    cr_expect_geq(bl_id_filter_memory(f), (size_t)600000 * 3);
    bl_id_filter_free(f);
}

Test(id_filter, past_its_limit_it_still_holds_everything)
{
    uint64_t seed = bl_test_seed("id_filter/limit");
    bl_id_filter *f;
    /* room for the first stage only: 200,000 ids go into 192 KiB */
    cr_assert_eq(bl_id_filter_new(&f, 250 * 1024), 0);
    double fp = fill_and_probe(f, 200000, seed);
    cr_expect_leq(bl_id_filter_memory(f), (size_t)250 * 1024);
    /* overfull (8 bits an id): many more "perhaps", still not all */
    cr_expect_gt(fp, 0.005, "false positives %.4f", fp);
    cr_expect_lt(fp, 0.5, "false positives %.4f", fp);
    bl_id_filter_free(f);
}

Test(id_filter, empty_filter_holds_nothing)
{
    bl_id_filter *f;
    cr_assert_eq(bl_id_filter_new(&f, 0), 0);
    uint64_t s = 1;
    for (int i = 0; i < 1000; i++)
        cr_expect_not(bl_id_filter_may_hold(f, mix(&s)));
    cr_expect_eq(bl_id_filter_count(f), 0);
    bl_id_filter_free(f);
}
