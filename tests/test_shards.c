/* test_shards.c: `byline index --shard I/N` and `byline search -i A -i B`:
 * shards built from the same input split it, and searched together they
 * answer as one index of all the articles. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

static char *tmp, *out, *err;

static void teardown(void) { bl_test_scratch_release(&tmp, &out, &err); }

#define run(...) bl_test_byline_f(&out, &err, __VA_ARGS__)

TestSuite(shards, .fini = teardown, .timeout = 300);

static const char *words[] = {"the", "oil", "bank", "rate", "market", "said", "share",
                              "price", "gold", "opec", "dollar", "yen"};

/* n articles of random words as JSONL at path. */
static void write_corpus(const char *path, size_t n, uint64_t seed)
{
    bl_rng r;
    bl_rng_init(&r, seed);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "{\"id\":\"a%zu\",\"title\":\"%s %s\",\"text\":\"", i,
                words[bl_rng_below(&r, 12)], words[bl_rng_below(&r, 12)]);
        size_t len = 3 + bl_rng_below(&r, 60);
        for (size_t k = 0; k < len; k++)
            fprintf(f, "%s%s", k ? " " : "", bl_rng_below(&r, 3) ? words[bl_rng_below(&r, 12)]
                                                                  : "w");
        fputs("\"}\n", f);
    }
    cr_assert_eq(fclose(f), 0);
}

static int cmp_lines(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every match of query as "score id" lines, sorted: the same set whatever
 * the order of equal scores. */
static char *all_matches(const char *indexes, const char *query)
{
    cr_assert_eq(run("search %s --json -k 100000 '%s'", indexes, query), 0, "%s", err);
    size_t n = 0, cap = 64;
    char **lines = malloc(cap * sizeof *lines);
    for (char *p = out; (p = strstr(p, "{\"rank\"")) != NULL; p++) {
        char *sc = strstr(p, "\"score\":"), *id = strstr(p, "\"id\":\"");
        cr_assert(sc && id);
        char *end = strchr(id + 6, '"'), *sc_end = strchr(sc + 8, ',');
        cr_assert(end && sc_end);
        char line[128];
        snprintf(line, sizeof line, "%.*s %.*s", (int)(sc_end - sc - 8), sc + 8,
                 (int)(end - id - 6), id + 6);
        if (n == cap)
            lines = realloc(lines, (cap *= 2) * sizeof *lines);
        lines[n++] = strdup(line);
    }
    qsort(lines, n, sizeof *lines, cmp_lines);
    size_t total = 1;
    for (size_t i = 0; i < n; i++)
        total += strlen(lines[i]) + 1;
    char *all = calloc(total, 1);
    for (size_t i = 0; i < n; i++) {
        strcat(all, lines[i]);
        strcat(all, "\n");
        free(lines[i]);
    }
    free(lines);
    return all;
}

/* Three shards of one input hold every article once, and searched
 * together give every query the same matches and scores as one index of
 * all of them (statistics are summed over the shards). */
Test(shards, shards_answer_as_one_index)
{
    tmp = bl_test_tmpdir();
    char src[512], all[512], shard[3][512], three[2048];
    snprintf(src, sizeof src, "%s/in.jsonl", tmp);
    write_corpus(src, 700, bl_test_seed("shards_answer_as_one_index"));
    snprintf(all, sizeof all, "%s/all", tmp);
    cr_assert_eq(run("index -q -o '%s' '%s'", all, src), 0, "%s", err);
    size_t docs = 0;
    three[0] = 0;
    for (int i = 0; i < 3; i++) {
        snprintf(shard[i], sizeof shard[i], "%s/s%d", tmp, i + 1);
        cr_assert_eq(run("index -o '%s' --shard %d/3 '%s'", shard[i], i + 1, src), 0, "%s", err);
        cr_assert(strstr(err, "left to other shards"), "%s", err);
        cr_assert_eq(run("check -i '%s'", shard[i]), 0, "%s", out);
        /* "ok: DIR: generation G, S segment(s), D documents, ..." */
        const char *seg = strstr(out, " segment");
        cr_assert(seg && strchr(seg, ','), "%s", out);
        docs += strtoull(strchr(seg, ',') + 1, NULL, 10);
        size_t at = strlen(three);
        snprintf(three + at, sizeof three - at, " -i '%s'", shard[i]);
    }
    cr_assert_eq(docs, 700, "the shards hold %zu articles", docs);
    static const char *queries[] = {"the", "oil bank", "oil OR gold OR yen", "\"the oil\"",
                                    "rate NOT dollar", "market share price"};
    char one[600];
    snprintf(one, sizeof one, "-i '%s'", all);
    for (size_t q = 0; q < sizeof queries / sizeof *queries; q++) {
        char *a = all_matches(one, queries[q]), *b = all_matches(three, queries[q]);
        cr_assert(strlen(a) > 0, "%s matches nothing", queries[q]);
        size_t at = 0;
        while (a[at] && a[at] == b[at])
            at++;
        cr_assert(a[at] == b[at], "query %s: at byte %zu of %zu/%zu: one index %.60s, shards %.60s",
                  queries[q], at, strlen(a), strlen(b), a + at, b + at);
        free(a);
        free(b);
        cr_assert_eq(run("search %s --count '%s'", one, queries[q]), 0);
        char *c1 = strdup(out);
        cr_assert_eq(run("search %s --count '%s'", three, queries[q]), 0);
        cr_assert_str_eq(out, c1, "query %s", queries[q]);
        free(c1);
    }
}

/* Bad shard specs are usage errors; indexes of other languages do not mix. */
Test(shards, bad_specs_and_mixed_indexes)
{
    tmp = bl_test_tmpdir();
    char src[512], a[512], b[512];
    snprintf(src, sizeof src, "%s/in.jsonl", tmp);
    write_corpus(src, 20, 7);
    static const char *bad[] = {"0/3", "4/3", "1/0", "1/3x", "x", "-1/3"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        cr_assert_eq(run("index -q -o '%s/x' --shard '%s' '%s'", tmp, bad[i], src), 2,
                     "--shard %s: %s", bad[i], err);
    snprintf(a, sizeof a, "%s/en", tmp);
    snprintf(b, sizeof b, "%s/fr", tmp);
    cr_assert_eq(run("index -q -o '%s' '%s'", a, src), 0, "%s", err);
    cr_assert_eq(run("index -q -o '%s' --lang french '%s'", b, src), 0, "%s", err);
    cr_assert_neq(run("search -i '%s' -i '%s' oil", a, b), 0);
    cr_assert(strstr(err, "analysis"), "%s", err);
}
