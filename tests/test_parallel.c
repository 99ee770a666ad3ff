/* test_parallel.c: byline index -j N. Workers cut the input into other
 * segments than one thread does, but every query must match the same
 * documents with the same scores; a failed run must leave the index as it
 * was; the option is checked; --memory bounds the whole process. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "helpers.h"

static char *tmp;
static char *out, *err;

#define run(...) bl_test_byline_f(&out, &err, __VA_ARGS__)

static void setup(void)
{
    tmp = bl_test_tmpdir();
    cr_assert(tmp, "cannot make a temporary directory");
}

static void teardown(void)
{
    bl_test_scratch_release(&tmp, &out, &err);
}

TestSuite(parallel, .init = setup, .fini = teardown, .timeout = 600);

static const char *const words[] = {
    "market", "oil",   "bank",  "rate",   "share", "price", "trade", "dollar", "profit", "tonne",
    "crude",  "wheat", "grain", "export", "loss",  "net",   "year",  "said",   "state",  "unit",
    "cut",    "rise",  "bond",  "yield",  "gold",  "coffee", "sugar", "steel", "debt",   "talks",
};
#define NWORDS (sizeof words / sizeof *words)

/* A word, the first ones far more often (ties and dense lists). */
static const char *draw_word(bl_rng *r)
{
    uint32_t a = bl_rng_below(r, NWORDS), b = bl_rng_below(r, NWORDS);
    return words[a < b ? a : b];
}

/* Writes n JSONL articles (ids a0, a1, ...) of 5 to 80 drawn words, some
 * of them the same text as an earlier one (equal scores), to path, and,
 * with a broken line, a line that is not JSON at the end. */
static void write_corpus(const char *path, uint32_t n, uint64_t seed, int broken)
{
    bl_rng r;
    bl_rng_init(&r, seed);
    FILE *f = fopen(path, "w");
    cr_assert(f, "cannot write %s", path);
    char body[1024], prev[1024] = "oil market";
    for (uint32_t i = 0; i < n; i++) {
        size_t len = 0;
        if (i > 0 && bl_rng_below(&r, 10) == 0) {
            snprintf(body, sizeof body, "%s", prev);
        } else {
            uint32_t nw = 5 + bl_rng_below(&r, 76);
            body[0] = 0;
            for (uint32_t w = 0; w < nw; w++)
                len += (size_t)snprintf(body + len, sizeof body - len, "%s%s", w ? " " : "",
                                        draw_word(&r));
            snprintf(prev, sizeof prev, "%s", body);
        }
        fprintf(f, "{\"id\": \"a%u\", \"title\": \"%s\", \"body\": \"%s\"}\n", i,
                draw_word(&r), body);
    }
    if (broken)
        fputs("{broken\n", f);
    cr_assert(fclose(f) == 0);
}

static int cmp_lines(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

/* The hits of a --json search, each without its rank (equal scores may
 * come in any order) and with the summary's timing dropped, sorted. */
static char *hit_set(const char *json)
{
    char *copy = strdup(json);
    size_t n = 0, cap = 16;
    char **lines = malloc(cap * sizeof *lines);
    for (char *save = NULL, *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        if (strncmp(l, "{\"rank\":", 8) == 0)
            l = strchr(l, ',') + 1;
        char *t = strstr(l, ",\"elapsed_ms\"");
        if (t)
            *t = 0;
        if (n == cap)
            lines = realloc(lines, (cap *= 2) * sizeof *lines);
        lines[n++] = l;
    }
    qsort(lines, n, sizeof *lines, cmp_lines);
    size_t total = 1;
    for (size_t i = 0; i < n; i++)
        total += strlen(lines[i]) + 1;
    char *set = malloc(total), *p = set;
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "%s\n", lines[i]);
    *p = 0;
    free(lines);
    free(copy);
    return set;
}

static const char *const queries[] = {
    "oil",          "market",           "oil market",       "oil OR market",
    "bank OR rate OR share", "\"crude oil\"", "\"oil market\" OR gold", "dollar -profit",
    "wheat AND (grain OR export)", "\"net loss\"", "tal*", "sugar coffee steel",
    "coffee OR debt OR talks OR bond", "\"said state unit\"", "year NOT said",
    /* prefixes of many words: sums in an order each segment decides */
    "s*",           "co* OR oil",       "p* m*",
};

/* Indexes the same corpus with 1, 2 and 3 jobs and a budget of 1 MB (many
 * segments, cut differently): every query gives the same hits with the
 * same scores (all of them, and the top 10 by score), the same totals,
 * and each index checks. */
Test(parallel, jobs_give_the_same_hits_and_scores)
{
    char corpus[4200], idx[3][4200];
    snprintf(corpus, sizeof corpus, "%s/corpus.jsonl", tmp);
    write_corpus(corpus, 12000, bl_test_seed_or("parallel/jobs_give_the_same_hits", 7), 0);
    for (int j = 0; j < 3; j++) {
        snprintf(idx[j], sizeof idx[j], "%s/idx%d", tmp, j + 1);
        cr_assert_eq(run("index -j %d -m 1 -o '%s' '%s'", j + 1, idx[j], corpus), 0, "%s", err);
        cr_assert(strstr(err, "indexed 12000 articles"), "-j %d: %s", j + 1, err);
        if (j == 2)
            cr_assert(!strstr(err, " 1 segment;"), "-j 3 with 1 MB makes several segments: %s",
                      err);
        cr_assert_eq(run("check -i '%s'", idx[j]), 0, "-j %d: %s", j + 1, out);
    }
    for (size_t q = 0; q < sizeof queries / sizeof *queries; q++) {
        char *want = NULL, *want_count = NULL;
        for (int j = 0; j < 3; j++) {
            cr_assert(run("search -i '%s' --json -k 100000 --exhaustive --snippet-words 4 '%s'",
                          idx[j], queries[q]) <= 1, "%s", err);
            char *got = hit_set(out);
            run("search -i '%s' --count '%s'", idx[j], queries[q]);
            char *count = strdup(out);
            if (!want) {
                want = got;
                want_count = count;
                cr_assert(strstr(want, "\"score\""), "[%s] matches nothing", queries[q]);
                continue;
            }
            cr_expect_str_eq(got, want, "[%s] -j %d and -j 1 differ", queries[q], j + 1);
            cr_expect_str_eq(count, want_count, "[%s] -j %d: count", queries[q], j + 1);
            free(got);
            free(count);
        }
        free(want);
        free(want_count);
    }
}

/* Names of the files in dir, sorted, one a line. */
static char *listing(const char *dir)
{
    DIR *d = opendir(dir);
    cr_assert(d, "%s", dir);
    char *names[256];
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL && n < 256;)
        if (e->d_name[0] != '.')
            names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, n, sizeof *names, cmp_lines);
    char *s = calloc(n * 300 + 1, 1);
    for (size_t i = 0; i < n; i++) {
        strcat(strcat(s, names[i]), "\n");
        free(names[i]);
    }
    return s;
}

/* A bad line after megabytes of good ones, the workers having written
 * segments by then: the run fails with the line named, and the index
 * keeps exactly its files and manifest. */
Test(parallel, failed_run_leaves_the_index_as_it_was)
{
    char first[4200], corpus[4200], idx[4200], manifest[4300];
    snprintf(first, sizeof first, "%s/first.jsonl", tmp);
    snprintf(corpus, sizeof corpus, "%s/more.jsonl", tmp);
    snprintf(idx, sizeof idx, "%s/idx", tmp);
    snprintf(manifest, sizeof manifest, "%s/MANIFEST", idx);
    write_corpus(first, 50, 11, 0);
    cr_assert_eq(run("index -q -o '%s' '%s'", idx, first), 0, "%s", err);
    char *before = listing(idx);
    size_t mlen;
    char *mbefore = bl_test_read_file(manifest, &mlen);
    /* other ids than first.jsonl's: a0.. again would be duplicates */
    write_corpus(corpus, 15000, 12, 1);
    char renamed[4300];
    snprintf(renamed, sizeof renamed, "%s/more-b.jsonl", tmp);
    free(out);
    free(err);
    out = err = NULL;
    cr_assert_eq(bl_test_runf(&out, &err, "sed 's/\"id\": \"a/\"id\": \"b/' '%s' > '%s'", corpus,
                              renamed), 0);
    cr_assert_eq(run("index -j 3 -m 1 -o '%s' '%s'", idx, renamed), 3, "%s", err);
    cr_expect(strstr(err, "more-b.jsonl:15001"), "the bad line is named: %s", err);
    cr_expect(strstr(err, "nothing was committed"), "%s", err);
    char *after = listing(idx);
    cr_expect_str_eq(after, before, "the run left files behind");
    size_t alen;
    char *mafter = bl_test_read_file(manifest, &alen);
    cr_expect(alen == mlen && memcmp(mafter, mbefore, mlen) == 0, "the manifest changed");
    cr_assert_eq(run("search -i '%s' --count oil", idx), 0, "%s", err);
    free(before);
    free(after);
    free(mbefore);
    free(mafter);
}

Test(parallel, jobs_option_is_checked)
{
    char idx[4200];
    snprintf(idx, sizeof idx, "%s/idx", tmp);
    const char *bad[] = {"0", "257", "-1", "two", ""};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cr_assert_eq(run("index -j '%s' -o '%s' /dev/null", bad[i], idx), 2, "-j '%s'", bad[i]);
        cr_expect(strstr(err, "--jobs"), "-j '%s': %s", bad[i], err);
    }
}

/* --memory bounds the peak resident size of the whole run, merges and
 * their inputs' mapped pages included, to the budget plus 64 MB. A small
 * budget over 40 MB of generated news (needs ../shared/corpora) makes many segments, spilled word
 * pairs and merges; the peak is the largest of the children this test
 * waited for (getrusage). Sanitized builds are left out: their shadow
 * memory and quarantine are no part of the budget. */
Test(parallel, memory_budget_bounds_the_peak)
{
    int sanitized = 0;
#if defined(__SANITIZE_ADDRESS__)
    sanitized = 1;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
    sanitized = 1;
#endif
#endif
    /* news-like text (Reuters' words and phrases) makes the word pairs
     * that made-up words would not */
    char like[4200], corpus[4200];
    int have_like = bl_test_shared_corpus("reuters21578", like, sizeof like);
    if (sanitized || !have_like) {
        teardown(); /* a skipped test gets no .fini */
        cr_skip_test("%s", sanitized ? "AddressSanitizer's memory is outside the budget"
                                     : "../shared/corpora/reuters21578 is absent");
    }
    snprintf(corpus, sizeof corpus, "%s/gen.jsonl", tmp);
    cr_assert_eq(bl_test_runf(&out, &err, "bin/byline-gen --bytes 40M --seed 11 --like '%s' > '%s'",
                              like, corpus), 0, "%s", err);
    const long budget_mb = 16;
    char idx[2][4200];
    for (int j = 1; j <= 2; j++) {
        snprintf(idx[j - 1], sizeof idx[j - 1], "%s/idx%d", tmp, j);
        cr_assert_eq(run("index -j %d -m %ld -o '%s' '%s'", j, budget_mb, idx[j - 1], corpus), 0,
                     "%s", err);
        cr_assert(!strstr(err, " 1 segment;"), "-j %d: merges were to run: %s", j, err);
        struct rusage ru;
        cr_assert_eq(getrusage(RUSAGE_CHILDREN, &ru), 0);
        cr_expect_leq(ru.ru_maxrss, (budget_mb + 64) * 1024, "-j %d: peak %ld KB", j,
                      ru.ru_maxrss);
    }
    /* last: a check maps every file of the index, and would count */
    for (int j = 1; j <= 2; j++)
        cr_assert_eq(run("check -i '%s'", idx[j - 1]), 0, "-j %d: %s", j, out);
}
