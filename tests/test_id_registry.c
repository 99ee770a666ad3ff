/* test_id_registry.c: the set of article ids of one indexing run
 * (indexer/id_registry.h): duplicates named with their first source, ids
 * added without a source, odd bytes and sizes, and a randomized run
 * against a sorted-array oracle (replay with BYLINE_SEED=N). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "helpers.h"
#include "id_registry.h"

static bl_id_registry *reg;

static void setup(void)
{
    cr_assert_eq(bl_id_registry_new(&reg), 0);
}

static void teardown(void)
{
    bl_id_registry_free(reg);
    reg = NULL;
}

TestSuite(id_registry, .init = setup, .fini = teardown);

static int add(const char *id, const char *source)
{
    bl_error_clear();
    return bl_id_registry_add(reg, id, strlen(id), source, strlen(source));
}

/* The first source of id, as a string ("(none)" for none, "(absent)"). */
static const char *first_source(const char *id, size_t len)
{
    static char buf[256];
    const char *src;
    size_t n;

    if (bl_id_registry_find(reg, id, len, &src, &n) != 0)
        return "(absent)";
    if (!src)
        return "(none)";
    snprintf(buf, sizeof buf, "%.*s", (int)n, src);
    return buf;
}

Test(id_registry, duplicate_names_both_sources)
{
    cr_assert_eq(add("17", "a.jsonl:1"), 0);
    cr_assert_eq(add("18", "a.jsonl:2"), 0);
    cr_assert_eq(add("17", "b.jsonl:9"), BL_EFORMAT);
    cr_assert_str_eq(bl_error_detail(),
                     "b.jsonl:9: duplicate id \"17\" (first seen at a.jsonl:1)");
    cr_assert_str_eq(first_source("17", 2), "a.jsonl:1"); /* unchanged */
    cr_assert_str_eq(first_source("18", 2), "a.jsonl:2");
    cr_assert_str_eq(first_source("19", 2), "(absent)");
    cr_assert_eq(bl_id_registry_count(reg), 2);
}

Test(id_registry, id_that_is_its_source)
{
    cr_assert_eq(add("news/a.txt", "news/a.txt"), 0);
    cr_assert_str_eq(first_source("news/a.txt", 10), "news/a.txt");
    cr_assert_eq(add("news/a.txt", "news/a.txt"), BL_EFORMAT);
    cr_assert_str_eq(bl_error_detail(),
                     "news/a.txt: duplicate id \"news/a.txt\" (first seen at news/a.txt)");
}

Test(id_registry, any_bytes_any_length)
{
    static const char nul_a[] = {'x', 0, 'a'}, nul_b[] = {'x', 0, 'b'};
    size_t big = (size_t)3 << 20; /* longer than an arena chunk */
    char *huge = malloc(big);

    cr_assert_not_null(huge);
    memset(huge, 'h', big);
    cr_assert_eq(bl_id_registry_add(reg, "", 0, "empty:1", 7), 0);
    cr_assert_eq(bl_id_registry_add(reg, nul_a, 3, "n:1", 3), 0);
    cr_assert_eq(bl_id_registry_add(reg, nul_b, 3, "n:2", 3), 0);
    cr_assert_eq(bl_id_registry_add(reg, huge, big, huge, big), 0);
    cr_assert_eq(bl_id_registry_add(reg, "after", 5, "a:1", 3), 0);
    cr_assert_eq(bl_id_registry_count(reg), 5);
    cr_assert_str_eq(first_source("", 0), "empty:1");
    cr_assert_str_eq(first_source(nul_b, 3), "n:2");
    cr_assert_str_eq(first_source("after", 5), "a:1");
    cr_assert_eq(bl_id_registry_add(reg, "", 0, "empty:2", 7), BL_EFORMAT);
    huge[big - 1] = 'i';
    cr_assert_eq(bl_id_registry_add(reg, huge, big, "x", 1), 0);
    huge[big - 1] = 'h';
    cr_assert_eq(bl_id_registry_add(reg, huge, big, "y", 1), BL_EFORMAT);
    /* The message stays one readable line: long ids are cut. */
    cr_assert_lt(strlen(bl_error_detail()), 700);
    free(huge);
}

/* Sources that look like FILE:LINE are stored in pieces; every source
 * must still come back exactly as given. */
Test(id_registry, sources_come_back_byte_for_byte)
{
    static const char *const sources[] = {
        "a.jsonl:1", "a.jsonl:2", "b.csv:18446744073709551615", "a.jsonl:3", "x:007",
        ":5", "x:", "x:0", "stdin:12", "C:\\news\\a.txt", "dir:1/file.txt:9", "9",
        "a.jsonl:99999999999999999999",
    };
    char id[16];

    for (size_t i = 0; i < sizeof sources / sizeof sources[0]; i++) {
        snprintf(id, sizeof id, "id%zu", i);
        cr_assert_eq(add(id, sources[i]), 0, "%s", bl_error_detail());
    }
    for (size_t i = 0; i < sizeof sources / sizeof sources[0]; i++) {
        snprintf(id, sizeof id, "id%zu", i);
        cr_assert_str_eq(first_source(id, strlen(id)), sources[i]);
        cr_assert_eq(add(id, "later:1"), BL_EFORMAT);
        cr_assert(strstr(bl_error_detail(), sources[i]), "%s", bl_error_detail());
    }
}

/* A million records of one JSONL file with ids of their own: the file's
 * name is not stored a million times. */
Test(id_registry, records_of_one_file_share_its_name)
{
    static const char file[] = "/data/archive/2024/wire-service-dump.jsonl";
    char id[32], src[96];
    size_t n = 200000;

    for (size_t i = 0; i < n; i++) {
        int len = snprintf(id, sizeof id, "%zx", i * 2654435761u);
        int slen = snprintf(src, sizeof src, "%s:%zu", file, i + 1);
        cr_assert_eq(bl_id_registry_add(reg, id, (size_t)len, src, (size_t)slen), 0);
    }
    /* About 8 MB: 4 of table, 18 bytes of arena an id. With the 50-byte
     * source stored each time it would be over 18 MB. */
    cr_assert_lt(bl_id_registry_memory(reg), (size_t)12 << 20, "%zu bytes",
                 bl_id_registry_memory(reg));
    cr_assert_str_eq(first_source("0", 1), "/data/archive/2024/wire-service-dump.jsonl:1");
}

/* Ids "id-N" drawn at random, some more than once; the oracle is an array
 * indexed by N holding the line where N was first drawn (0: not yet). */
Test(id_registry, random_against_an_array_oracle, .timeout = 120)
{
    enum { RANGE = 200000, DRAWS = 300000 };
    size_t *first = calloc(RANGE, sizeof *first), distinct = 0;
    char id[16], src[32], want[64];
    bl_rng rng;

    cr_assert_not_null(first);
    bl_rng_init(&rng, bl_test_seed("id_registry random"));
    for (size_t line = 1; line <= DRAWS; line++) {
        uint32_t v = bl_rng_below(&rng, RANGE);
        int len = snprintf(id, sizeof id, "id-%u", v);
        int slen = snprintf(src, sizeof src, "feed.jsonl:%zu", line);
        int rc = bl_id_registry_add(reg, id, (size_t)len, src, (size_t)slen);

        if (first[v]) {
            cr_assert_eq(rc, BL_EFORMAT, "%s at %s: not caught", id, src);
            snprintf(want, sizeof want, "(first seen at feed.jsonl:%zu)", first[v]);
            cr_assert(strstr(bl_error_detail(), want), "%s", bl_error_detail());
        } else {
            cr_assert_eq(rc, 0, "%s at %s: %s", id, src, bl_error_detail());
            first[v] = line;
            distinct++;
        }
    }
    cr_assert_eq(bl_id_registry_count(reg), distinct);
    for (uint32_t v = 0; v < RANGE; v++) {
        int len = snprintf(id, sizeof id, "id-%u", v);
        if (first[v])
            snprintf(want, sizeof want, "feed.jsonl:%zu", first[v]);
        else
            snprintf(want, sizeof want, "(absent)");
        cr_assert_str_eq(first_source(id, (size_t)len), want);
    }
    free(first);
}

Test(id_registry, memory_stays_small)
{
    char id[32];
    size_t n = 200000;

    for (size_t i = 0; i < n; i++) {
        int len = snprintf(id, sizeof id, "reuters-%zu", i);
        cr_assert_eq(bl_id_registry_add(reg, id, (size_t)len, id, (size_t)len), 0);
    }
    cr_assert_eq(bl_id_registry_count(reg), n);
    /* About 16 bytes of id and header, and at most 21 of table, per id;
     * the arena's last chunk may be nearly empty. */
    cr_assert_lt(bl_id_registry_memory(reg), n * 40 + ((size_t)1 << 20),
                 "%zu bytes for %zu ids", bl_id_registry_memory(reg), n);
}
