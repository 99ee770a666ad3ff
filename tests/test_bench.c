/* test_bench.c: bin/byline-bench --json end to end: every row is a JSON
 * object with the fields a script reads, every op and skew is there, the
 * baselines agree with Byline on what they count, and an index gives rows
 * of its own. Timings are not asserted (runs of 0 ms, one run each).
 *
 * The program is $BYLINE_BENCH_BIN (else bin/byline-bench); indexes are
 * built with $BYLINE_BIN. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "index.h"
#include "postings.h"
#include "segment.h"

/* Small and quick: the rarest Zipf list (1 doc in 2,000) still has docs. */
#define QUICK "--universe 20000 --min-ms 0 --runs 1"

static char *tmp, *out, *err;

static void setup(void)
{
    tmp = bl_test_tmpdir();
    cr_assert(tmp, "cannot make a temporary directory");
}

static void teardown(void)
{
    bl_test_scratch_release(&tmp, &out, &err);
}

TestSuite(bench, .init = setup, .fini = teardown, .timeout = 120);

static const char *bench_bin(void)
{
    const char *b = getenv("BYLINE_BENCH_BIN");
    return b && *b ? b : "bin/byline-bench";
}

/* Runs byline-bench with args; output in out/err. */
__attribute__((format(printf, 1, 2))) static int bench(const char *fmt, ...)
{
    char args[4096], cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "'%s' %s", bench_bin(), args);
    free(out);
    free(err);
    out = err = NULL;
    int rc = bl_test_run(cmd, &out, &err);
    cr_assert(out && err, "output of %s not captured", cmd);
    cr_assert(rc < 128, "%s died from signal %d: %s", cmd, rc - 128, err);
    cr_assert(!bl_test_sanitizer_report(err), "sanitizer report from %s:\n%s", cmd, err);
    return rc;
}

/* The rows of out, each checked to carry the fields every row has. */
static json_t *parse_rows(void)
{
    json_t *rows = json_array();
    char *save = NULL;
    for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        json_error_t e;
        json_t *r = json_loads(line, 0, &e);
        cr_assert(json_is_object(r), "not a JSON object: %s (%s)", line, e.text);
        const char *keys[] = {"op", "impl", "input", "stat", "clock"};
        for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
            cr_assert(json_is_string(json_object_get(r, keys[i])), "no %s in %s", keys[i],
                      line);
        cr_assert(json_integer_value(json_object_get(r, "n")) > 0, "n not positive: %s", line);
        cr_assert(json_real_value(json_object_get(r, "ns_per_int")) > 0, "%s", line);
        cr_assert(json_real_value(json_object_get(r, "ints_per_s")) > 0, "%s", line);
        cr_assert_str_eq(json_string_value(json_object_get(r, "stat")), "min");
        json_array_append_new(rows, r);
    }
    free(out);
    out = NULL;
    return rows;
}

static const char *str(const json_t *r, const char *key)
{
    const char *s = json_string_value(json_object_get(r, key));
    return s ? s : "";
}

/* Rows matching op, impl (NULL: any), input prefix and skew (NULL: any). */
static size_t count_rows(const json_t *rows, const char *op, const char *impl,
                         const char *input_prefix, const char *skew)
{
    size_t i, n = 0;
    json_t *r;
    json_array_foreach(rows, i, r) {
        if (strcmp(str(r, "op"), op) || (impl && strcmp(str(r, "impl"), impl)) ||
            strncmp(str(r, "input"), input_prefix, strlen(input_prefix)) ||
            (skew && strcmp(str(r, "skew"), skew)))
            continue;
        n++;
    }
    return n;
}

/* Every row of op on input with the same hits as Byline's row there, and
 * (with CRoaring built in) `rows_per_input` rows on each input. */
static void assert_hits_agree(const json_t *rows, const char *op, size_t rows_per_input)
{
    size_t i, j;
    json_t *r, *b;
    json_array_foreach(rows, i, r) {
        if (strcmp(str(r, "op"), op) || strcmp(str(r, "impl"), "byline"))
            continue;
        json_int_t hits = json_integer_value(json_object_get(r, "hits"));
        size_t others = 0;
        json_array_foreach(rows, j, b) {
            if (strcmp(str(b, "op"), op) || strcmp(str(b, "input"), str(r, "input")))
                continue;
            cr_assert_eq(json_integer_value(json_object_get(b, "hits")), hits,
                         "%s %s on %s: hits differ from byline's", op, str(b, "impl"),
                         str(r, "input"));
            others++;
        }
        if (!strstr(err, "without CRoaring"))
            cr_assert_eq(others, rows_per_input, "%s on %s: %zu rows expected (Byline's and "
                         "two CRoaring ones), got %zu", op, str(r, "input"), rows_per_input,
                         others);
    }
}

static const char *const skews[] = {"1:1", "1:10", "1:100", "1:1000"};

/* What any dataset named prefix must give: decode rows beside memcpy (and
 * streamvbyte when built in), intersect and union at every skew, counted
 * alike by every implementation. */
static void assert_dataset_rows(const json_t *rows, const char *prefix)
{
    /* byline and streamvbyte decode each list twice: doc+tf, and doc ids
     * alone */
    size_t lists = count_rows(rows, "decode", "byline", prefix, NULL) / 2;
    cr_assert_eq(lists, 5, "%s: 2 decode rows for 5 lists expected, got %zu", prefix, 2 * lists);
    cr_assert_eq(count_rows(rows, "decode", "memcpy", prefix, NULL), lists);
    cr_assert_eq(count_rows(rows, "decode", "byline-iter", prefix, NULL), lists);
    size_t svb = strstr(err, "without streamvbyte") ? 0 : 2 * lists;
    cr_assert_eq(count_rows(rows, "decode", "streamvbyte", prefix, NULL), svb);
    cr_assert_eq(count_rows(rows, "decode", "streamvbyte-delta", prefix, NULL), svb);
    for (size_t i = 0; i < 4; i++) {
        cr_assert_eq(count_rows(rows, "intersect", "byline", prefix, skews[i]), 1,
                     "%s: no byline intersect row at %s", prefix, skews[i]);
        cr_assert_eq(count_rows(rows, "intersect", "byline-leapfrog", prefix, skews[i]), 1,
                     "%s: no byline-leapfrog intersect row at %s", prefix, skews[i]);
        cr_assert_eq(count_rows(rows, "union", "byline", prefix, skews[i]), 1,
                     "%s: no byline union row at %s", prefix, skews[i]);
    }
    assert_hits_agree(rows, "intersect", 4); /* byline, byline-leapfrog, CRoaring's two */
    assert_hits_agree(rows, "union", 3);
}

Test(bench, json_rows_for_zipf_lists)
{
    cr_assert_eq(bench("--json " QUICK), 0, "%s", err);
    json_t *rows = parse_rows();
    assert_dataset_rows(rows, "zipf-s1.0-seed42:");
    for (size_t i = 0; i < 4; i++) {
        cr_assert_eq(count_rows(rows, "phrase", "byline", "zipf-s1.0-seed42:", skews[i]), 1);
        cr_assert_eq(count_rows(rows, "and", "byline", "zipf-s1.0-seed42:", skews[i]), 1);
    }
    /* The AND of a pair finds what the intersection row found. */
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r) {
        if (strcmp(str(r, "op"), "and"))
            continue;
        size_t j;
        json_t *x;
        json_array_foreach(rows, j, x) {
            if (!strcmp(str(x, "op"), "intersect") && !strcmp(str(x, "impl"), "byline") &&
                !strcmp(str(x, "input"), str(r, "input")))
                cr_assert_eq(json_integer_value(json_object_get(x, "hits")),
                             json_integer_value(json_object_get(r, "hits")));
        }
    }
    json_decref(rows);
}

Test(bench, seed_names_the_input_and_changes_the_lists)
{
    cr_assert_eq(bench("--json --seed 7 " QUICK), 0, "%s", err);
    json_t *a = parse_rows();
    cr_assert_gt(count_rows(a, "decode", "byline", "zipf-s1.0-seed7:", NULL), 0);
    cr_assert_eq(bench("--json --seed 8 " QUICK), 0, "%s", err);
    json_t *b = parse_rows();
    /* Lists drawn from another seed differ in length. */
    size_t i;
    json_t *r;
    int differ = 0;
    json_array_foreach(a, i, r) {
        json_t *s = json_array_get(b, i);
        differ |= json_integer_value(json_object_get(r, "n")) !=
                  json_integer_value(json_object_get(s, "n"));
    }
    cr_assert(differ, "seeds 7 and 8 drew the same lists");
    json_decref(a);
    json_decref(b);
}

Test(bench, table_stays_the_default)
{
    cr_assert_eq(bench("--universe 20000 --runs 1"), 0, "%s", err);
    cr_assert(strncmp(out, "byline-bench: median of 1 runs", 30) == 0, "%s", out);
    cr_assert_null(strstr(out, "{\""), "JSON in the table: %s", out);
}

Test(bench, too_small_a_universe_is_refused)
{
    cr_assert_eq(bench("--json --universe 100 --min-ms 0 --runs 1"), 1);
    cr_assert(strstr(err, "--universe 100 is too small"), "%s", err);
}

Test(bench, missing_index_is_refused)
{
    cr_assert_eq(bench("--json " QUICK " --index '%s/none'", tmp), 1);
    cr_assert(strstr(err, "/none"), "the message names the index: %s", err);
}

/* A JSONL corpus whose words have skewed frequencies, and the phrases the
 * bench looks for. */
static void write_corpus(const char *path)
{
    static const char *const words[] = {"market", "bank", "trade", "dollar", "shares",
                                        "profit", "tonnes", "wheat", "gold", "yen"};
    bl_rng rng;
    bl_rng_init(&rng, bl_test_seed("bench_corpus"));
    FILE *f = fopen(path, "w");
    cr_assert(f, "cannot write %s", path);
    for (int d = 0; d < 3000; d++) {
        fprintf(f, "{\"id\": \"a%d\", \"title\": \"t\", \"body\": \"said it", d);
        if (d % 3 == 0)
            fputs(" the united states", f);
        if (d % 7 == 0)
            fputs(" interest rates rose", f);
        if (d % 11 == 0)
            fputs(" crude oil", f);
        /* word i in about 1 of i + 1 documents: df from 1/1 to 1/10 */
        for (uint32_t i = 0; i < 10; i++)
            if (bl_rng_below(&rng, i + 1) == 0)
                fprintf(f, " %s", words[i]);
        fputs("\"}\n", f);
    }
    fclose(f);
}

/* The hits of the row of op and impl on input exactly; -1 if there is no
 * such row. */
static json_int_t row_hits(const json_t *rows, const char *op, const char *impl,
                           const char *input)
{
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r) {
        if (!strcmp(str(r, "op"), op) && !strcmp(str(r, "impl"), impl) &&
            !strcmp(str(r, "input"), input))
            return json_integer_value(json_object_get(r, "hits"));
    }
    return -1;
}

/* Every top-k row: its query, k, hits and relation, and a row of the other
 * impl on the same input; the exhaustive total is exact, and the pruned
 * one the same, or at most it when pruning passed documents over. */
static void assert_topk_rows(const json_t *rows)
{
    size_t i, n = 0;
    json_t *r;
    json_array_foreach(rows, i, r) {
        const char *op = str(r, "op"), *impl = str(r, "impl"), *in = str(r, "input");
        if (strncmp(op, "topk_", 5))
            continue;
        n++;
        cr_assert(*str(r, "query") == '(', "%s on %s: no query", op, in);
        size_t j, same = 0;
        json_t *x;
        json_array_foreach(rows, j, x) {
            same += !strcmp(str(x, "op"), op) && !strcmp(str(x, "impl"), impl) &&
                    !strcmp(str(x, "input"), in);
        }
        cr_assert_eq(same, 1, "%s %s on %s: %zu rows, one expected", op, impl, in, same);
        cr_assert_eq(json_integer_value(json_object_get(r, "k")), 10);
        json_int_t full = row_hits(rows, op, "byline-exhaustive", in);
        json_int_t pruned = row_hits(rows, op, "byline", in);
        cr_assert(full > 0 && pruned > 0, "%s on %s: both impls expected with hits", op, in);
        if (!strcmp(impl, "byline-exhaustive")) {
            cr_assert_str_eq(str(r, "relation"), "eq");
            cr_assert_null(json_object_get(r, "total_threshold"));
        } else {
            cr_assert_str_eq(impl, "byline");
            cr_assert_eq(json_integer_value(json_object_get(r, "total_threshold")), 1000);
            if (!strcmp(str(r, "relation"), "eq"))
                cr_assert_eq(pruned, full, "%s on %s: exact totals differ", op, in);
            else
                cr_assert(!strcmp(str(r, "relation"), "gte") && pruned >= 1000 &&
                              pruned <= full,
                          "%s on %s: pruned total %lld beside %lld", op, in,
                          (long long)pruned, (long long)full);
        }
    }
    cr_assert_gt(n, 0, "no top-k rows");
}

/* Top-k rows of an index of one segment named small: the OR and AND of
 * each pair the intersect rows use (matching what union and intersect
 * counted), of three words, of the fixed queries, and each phrase beside
 * the AND of its words. */
static void assert_index_topk_rows(const json_t *rows)
{
    assert_topk_rows(rows);
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r) {
        if (strcmp(str(r, "op"), "intersect") || strcmp(str(r, "impl"), "byline") ||
            strncmp(str(r, "input"), "small:", 6))
            continue;
        const char *in = str(r, "input"), *skew = str(r, "skew");
        cr_assert_eq(count_rows(rows, "topk_or", "byline", in, skew), 1, "%s", in);
        cr_assert_eq(count_rows(rows, "topk_and", "byline", in, skew), 1, "%s", in);
        cr_assert_eq(row_hits(rows, "topk_and", "byline-exhaustive", in),
                     json_integer_value(json_object_get(r, "hits")), "%s", in);
        cr_assert_eq(row_hits(rows, "topk_or", "byline-exhaustive", in),
                     row_hits(rows, "union", "byline", in), "%s", in);
    }
    /* The most frequent word with its partners at 1:1 and 1:10. */
    char pair1[600] = "", three[900] = "";
    json_array_foreach(rows, i, r) {
        if (!strcmp(str(r, "op"), "intersect") && !strcmp(str(r, "skew"), "1:1") &&
            !strncmp(str(r, "input"), "small:", 6))
            snprintf(pair1, sizeof pair1, "%s", str(r, "input"));
    }
    json_array_foreach(rows, i, r) {
        if (!strcmp(str(r, "op"), "intersect") && !strcmp(str(r, "skew"), "1:10") &&
            !strncmp(str(r, "input"), "small:", 6))
            snprintf(three, sizeof three, "%s+%s", pair1, strrchr(str(r, "input"), '+') + 1);
    }
    cr_assert_gt(row_hits(rows, "topk_or", "byline", three), 0, "no row on %s", three);
    cr_assert_gt(row_hits(rows, "topk_and", "byline", three), 0, "no row on %s", three);
    const char *fixed[] = {"small:bank+rate", "small:oil+market", "small:bank+share",
                           "small:bank+interest+rate", "small:oil+trade+market",
                           "small:dollar+profit+share"};
    for (size_t k = 0; k < sizeof fixed / sizeof *fixed; k++) {
        cr_assert_gt(row_hits(rows, "topk_or", "byline", fixed[k]), 0, "%s", fixed[k]);
        cr_assert_gt(row_hits(rows, "topk_and", "byline", fixed[k]), 0, "%s", fixed[k]);
    }
    /* A phrase occurs in no more documents than its words together. */
    const char *phrases[] = {"small:unit+state", "small:interest+rate", "small:crude+oil",
                             "small:said+it"};
    for (size_t k = 0; k < 4; k++) {
        json_int_t p = row_hits(rows, "topk_phrase", "byline-exhaustive", phrases[k]);
        cr_assert_gt(p, 0, "%s", phrases[k]);
        cr_assert_leq(p, row_hits(rows, "topk_and", "byline-exhaustive", phrases[k]));
    }
    cr_assert_eq(row_hits(rows, "topk_phrase", "byline-exhaustive", "small:said+it"), 3000);
    cr_assert_eq(row_hits(rows, "topk_phrase", "byline-exhaustive", "small:unit+state"), 1000);
}

Test(bench, json_rows_for_an_index)
{
    char corpus[4200], idx[4200];
    snprintf(corpus, sizeof corpus, "%s/news.jsonl", tmp);
    snprintf(idx, sizeof idx, "%s/news.idx", tmp);
    write_corpus(corpus);
    char *o = NULL, *e = NULL;
    char cmd[9000];
    snprintf(cmd, sizeof cmd, "'%s' index -q -o '%s' '%s'", bl_test_byline(), idx, corpus);
    cr_assert_eq(bl_test_run(cmd, &o, &e), 0, "indexing failed: %s", e);
    free(o);
    free(e);

    cr_assert_eq(bench("--json " QUICK " --index '%s' --index-name small", idx), 0, "%s", err);
    json_t *rows = parse_rows();
    assert_dataset_rows(rows, "small:");
    /* Each phrase of the corpus as phrase and AND rows, under its stems. */
    const char *inputs[] = {"small:unit+state", "small:interest+rate", "small:crude+oil",
                            "small:said+it"};
    for (size_t i = 0; i < 4; i++) {
        cr_assert_eq(count_rows(rows, "phrase", "byline", inputs[i], NULL), 1, "%s", inputs[i]);
        cr_assert_eq(count_rows(rows, "and", "byline", inputs[i], NULL), 1, "%s", inputs[i]);
    }
    /* Every document holds "said it" once; every third "united states". */
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r) {
        if (!strncmp(str(r, "op"), "topk_", 5))
            continue; /* their hits are totals: pruned ones may be lower */
        if (!strcmp(str(r, "input"), "small:said+it"))
            cr_assert_eq(json_integer_value(json_object_get(r, "hits")), 3000);
        if (!strcmp(str(r, "input"), "small:unit+state"))
            cr_assert_eq(json_integer_value(json_object_get(r, "hits")), 1000);
    }
    assert_index_topk_rows(rows);
    /* Without --index-name, rows are named after the index folder. */
    cr_assert_eq(bench("--json " QUICK " --index '%s/'", idx), 0, "%s", err);
    json_t *named = parse_rows();
    cr_assert_gt(count_rows(named, "decode", "byline", "news.idx:", NULL), 0);
    json_decref(named);
    json_decref(rows);
}

Test(bench, index_of_too_few_words_is_refused)
{
    char corpus[4200], idx[4200], cmd[9000];
    snprintf(corpus, sizeof corpus, "%s/tiny.jsonl", tmp);
    snprintf(idx, sizeof idx, "%s/tiny.idx", tmp);
    const char text[] = "{\"id\": \"1\", \"title\": \"alpha\", \"body\": \"beta 1987\"}\n"
                        "{\"id\": \"2\", \"title\": \"alpha\", \"body\": \"gamma 2.5\"}\n";
    cr_assert_eq(bl_test_write_file(corpus, text, sizeof text - 1), 0);
    char *o = NULL, *e = NULL;
    snprintf(cmd, sizeof cmd, "'%s' index -q -o '%s' '%s'", bl_test_byline(), idx, corpus);
    cr_assert_eq(bl_test_run(cmd, &o, &e), 0, "indexing failed: %s", e);
    free(o);
    free(e);
    /* Five terms, but two are numbers: three words are too few for 5 lists. */
    cr_assert_eq(bench("--json " QUICK " --index '%s'", idx), 1);
    cr_assert(strstr(err, "fewer than 5 words"), "%s", err);
}

/* The row of byline-bench --sizes named name: its columns, parsed. */
typedef struct {
    unsigned long long terms, postings;
    double doc, bitmaps, skips, runs, other, pos, x_raw, runs_pt, pos_pt;
} size_row;

static int find_size_row(const char *text, const char *name, size_row *r)
{
    size_t n = strlen(name);
    for (const char *line = text; line && *line;
         line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        const char *at = line + n;
        if (strncmp(line, name, n) || *at != ' ')
            continue;
        while (*at == ' ')
            at++;
        if (*at < '0' || *at > '9')
            continue; /* a longer name that starts with this one */
        return sscanf(at, "%llu %llu %lf %lf %lf %lf %lf %lf %lf %lf %lf", &r->terms,
                      &r->postings, &r->doc, &r->bitmaps, &r->skips, &r->runs, &r->other, &r->pos,
                      &r->x_raw, &r->runs_pt, &r->pos_pt) == 11;
    }
    return 0;
}

Test(bench, sizes_split_every_byte_of_the_postings)
{
    char corpus[4200], idx[4300], cmd[9000];
    snprintf(corpus, sizeof corpus, "%s/news.jsonl", tmp);
    write_corpus(corpus);
    /* and words of two documents each, far from dense */
    FILE *f = fopen(corpus, "a");
    cr_assert(f);
    for (int d = 0; d < 200; d++)
        fprintf(f, "{\"id\": \"r%d\", \"title\": \"t\", \"body\": \"rare%d\"}\n", d, d / 2);
    fclose(f);
    /* under each codec: the runs are measured as the segment's codec writes them */
    static const char *const codecs[] = {"bitpack", "varint"};
    size_row first = {0};
    for (size_t ci = 0; ci < 2; ci++) {
        snprintf(idx, sizeof idx, "%s/news-%s.idx", tmp, codecs[ci]);
        char *o = NULL, *e = NULL;
        snprintf(cmd, sizeof cmd, "'%s' index -q -j 1 --codec %s -o '%s' '%s'", bl_test_byline(),
                 codecs[ci], idx, corpus);
        cr_assert_eq(bl_test_run(cmd, &o, &e), 0, "indexing failed: %s", e);
        free(o);
        free(e);

        cr_assert_eq(bench("--sizes -i '%s' --raw 1000000", idx), 0, "%s", err);
        size_row all, words, pairs, dense, sparse;
        cr_assert(find_size_row(out, "all", &all) && find_size_row(out, "all words", &words) &&
                      find_size_row(out, "all pairs", &pairs) &&
                      find_size_row(out, "word dense", &dense) &&
                      find_size_row(out, "word df 2-16", &sparse),
                  "rows missing:\n%s", out);
        /* "said" and "it" are in every document: dense, with bitmaps, and
         * their pair is indexed; only dense words have bitmaps, only words
         * positions */
        cr_assert_gt(dense.terms, 0);
        cr_assert_gt(dense.bitmaps, 0);
        cr_assert_geq(sparse.terms, 100);
        cr_assert_eq(sparse.bitmaps, 0);
        cr_assert_gt(pairs.terms, 0);
        cr_assert_eq(pairs.pos, 0);
        cr_assert_gt(words.pos, 0);
        cr_assert_eq(all.terms, words.terms + pairs.terms);
        /* the parts add up to the list bytes, and the list bytes to the files */
        cr_assert_float_eq(all.doc, all.bitmaps + all.skips + all.runs + all.other, 0.0025, "%s",
                           out);
        cr_assert_float_eq(all.x_raw, all.doc + all.pos, 0.002, "%s", out);
        /* the same lists under another codec: only the runs differ (the
         * rest, impacts and padding, is not the codec's) */
        if (ci == 0)
            first = all;
        else
            cr_assert(all.postings == first.postings && all.bitmaps == first.bitmaps &&
                          all.skips == first.skips && all.other == first.other &&
                          all.runs != first.runs,
                      "%s", out);

        /* the files' body bytes, from the index's own reader */
        bl_index *index;
        cr_assert_eq(bl_index_open(&index, idx, 0), 0);
        uint64_t doc_bytes = 0, pos_bytes = 0;
        for (size_t s = 0; s < bl_index_segment_count(index); s++) {
            const bl_postings *p = bl_segment_postings(bl_index_segment(index, s));
            doc_bytes += bl_postings_docs_bytes(p);
            pos_bytes += bl_postings_positions_bytes(p);
        }
        bl_index_close(index);
        cr_assert_float_eq(all.doc, doc_bytes / 1e6, 0.0006, "%s", out);
        cr_assert_float_eq(all.pos, pos_bytes / 1e6, 0.0006, "%s", out);
    }

    cr_assert_eq(bench("--sizes -i '%s/none'", tmp), 1);
    cr_assert(strstr(err, "none"), "%s", err);
}
