/* test_merge.c: merging segments (indexer/merge.h): `byline optimize`,
 * the merge policy of `byline index`, and what a merge must keep: every
 * answer, every check, the index whole when a merge fails, and readers
 * answered while merges commit. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.h"
#include "helpers.h"
#include "manifest.h"
#include "merge.h"
#include "merge_run.h"

static char *tmp, *out, *err;

static void teardown(void) { bl_test_scratch_release(&tmp, &out, &err); }

#define run(...) bl_test_byline_f(&out, &err, __VA_ARGS__)

TestSuite(merge, .fini = teardown, .timeout = 300);

/* ---- articles ---- */

/* A few common words (dense: they make word pairs) and a long tail. */
static const char *common[] = {"the", "market", "said", "oil", "bank", "rate", "share", "price"};

typedef struct {
    bl_article *a;
    char **bufs; /* owned strings: id, title, text per article */
    size_t n;
} corpus;

static char *fmt_word(bl_rng *r, char *p)
{
    uint32_t k = bl_rng_below(r, 100);
    if (k < 55)
        return p + sprintf(p, "%s ", common[bl_rng_below(r, 8)]);
    /* a tail word: a few hundred of them, some frequent */
    return p + sprintf(p, "w%u ", bl_rng_below(r, 1 + bl_rng_below(r, 400)));
}

static corpus make_corpus(size_t n, uint64_t seed)
{
    bl_rng r;
    bl_rng_init(&r, seed);
    corpus c = {calloc(n, sizeof *c.a), calloc(3 * n, sizeof *c.bufs), n};
    cr_assert(c.a && c.bufs);
    for (size_t i = 0; i < n; i++) {
        char *id = malloc(32), *title = malloc(200), *text = malloc(4096);
        cr_assert(id && title && text);
        snprintf(id, 32, "art-%zu", i);
        char *p = title;
        for (int k = 0; k < 4; k++)
            p = fmt_word(&r, p);
        *p = 0;
        p = text;
        size_t words = 5 + bl_rng_below(&r, 150);
        for (size_t k = 0; k < words; k++)
            p = fmt_word(&r, p);
        *p = 0;
        c.bufs[3 * i] = id;
        c.bufs[3 * i + 1] = title;
        c.bufs[3 * i + 2] = text;
        c.a[i] = (bl_article){.id = id, .id_len = strlen(id), .title = title,
                              .title_len = strlen(title), .text = text,
                              .text_len = strlen(text), .source = "gen", .source_len = 3};
    }
    return c;
}

static void free_corpus(corpus *c)
{
    for (size_t i = 0; i < 3 * c->n; i++)
        free(c->bufs[i]);
    free(c->bufs);
    free(c->a);
}

/* Writes articles [from, to) of c as a JSONL file. */
static void write_jsonl(const corpus *c, size_t from, size_t to, const char *path)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    for (size_t i = from; i < to; i++)
        fprintf(f, "{\"id\":\"%s\",\"title\":\"%s\",\"text\":\"%s\"}\n", c->a[i].id,
                c->a[i].title, c->a[i].text);
    cr_assert_eq(fclose(f), 0);
}

/* ---- answers ---- */

static const char *queries[] = {
    "the",           "oil",          "w3",          "market share",      "oil AND bank",
    "w1 OR w2 OR price", "\"the market\"", "\"said oil\"", "\"oil price rate\"", "bank NOT rate",
    "\"w1 the\"",    "w0 w5 w17",    "rate OR \"share price\"",
};

#define NQUERIES (sizeof queries / sizeof *queries)

/* The ranked results (rank, score, id, snippet, but not the source file)
 * of each query, JSON lines, without the summary line, whose total may be a lower bound that pruning
 * reaches differently, and whose time differs; then its exact count. */
typedef struct {
    char *q[NQUERIES];
} answer_set;

static answer_set answers(const char *dir)
{
    answer_set a;
    for (size_t q = 0; q < NQUERIES; q++) {
        cr_assert_eq(run("search -i '%s' --json -k 30 '%s'", dir, queries[q]), 0, "%s: %s",
                     queries[q], err);
        size_t cap = strlen(out) + 64, len = 0;
        char *all = malloc(cap);
        cr_assert_not_null(all);
        for (char *line = out; *line;) {
            char *end = strchr(line, '\n');
            size_t n = end ? (size_t)(end - line + 1) : strlen(line);
            if (strncmp(line, "{\"rank\"", 7) == 0) {
                /* all but the source, which names the file read */
                const char *src = strstr(line, "\"source\":\""), *stop = NULL;
                if (src && src < line + n)
                    stop = strstr(src + 10, "\",");
                size_t head = stop ? (size_t)(src - line) : n;
                memcpy(all + len, line, head);
                len += head;
                if (stop) {
                    size_t tail = n - (size_t)(stop + 2 - line);
                    memcpy(all + len, stop + 2, tail);
                    len += tail;
                }
            }
            line += n;
        }
        cr_assert_eq(run("search -i '%s' --count '%s'", dir, queries[q]), 0, "%s", err);
        snprintf(all + len, cap - len, "count %s", out);
        a.q[q] = all;
    }
    return a;
}

/* Fails unless both sets are the same, naming the first query that
 * differs; frees got. */
static void expect_answers(answer_set *got, const answer_set *want, const char *what)
{
    for (size_t q = 0; q < NQUERIES; q++) {
        const char *g = got->q[q], *w = want->q[q];
        size_t at = 0;
        while (g[at] && g[at] == w[at])
            at++;
        size_t line = at;
        while (line > 0 && g[line - 1] != '\n')
            line--;
        cr_assert(g[at] == w[at], "%s: query %s: at byte %zu:\n got %.300s\nwant %.300s", what,
                  queries[q], at, g + line, w + line);
        free(got->q[q]);
    }
}

static void free_answers(answer_set *a)
{
    for (size_t q = 0; q < NQUERIES; q++)
        free(a->q[q]);
}

static uint32_t segments_of(const char *dir)
{
    bl_manifest m;
    cr_assert_eq(bl_manifest_read(dir, &m), 0, "%s", bl_error_detail());
    uint32_t n = m.nsegments;
    bl_manifest_release(&m);
    return n;
}

static void expect_whole(const char *dir)
{
    cr_assert_eq(run("check -i '%s'", dir), 0, "check: %s%s", out, err);
}

static int same_file(const char *a, const char *b)
{
    size_t la, lb;
    char *x = bl_test_read_file(a, &la), *y = bl_test_read_file(b, &lb);
    int same = x && y && la == lb && memcmp(x, y, la) == 0;
    free(x);
    free(y);
    return same;
}

/* Fails unless dir holds one segment whose postings, dictionary, lengths
 * and id map are byte for byte those of one_dir's segment 1 (a fresh
 * one-segment build of the same articles), and no deletions. */
static void expect_fresh_build(const char *dir, const char *one_dir)
{
    bl_manifest m;
    cr_assert_eq(bl_manifest_read(dir, &m), 0);
    cr_assert_eq(m.nsegments, 1);
    uint64_t id = m.segments[0].id;
    cr_assert_eq(m.segments[0].del_gen, 0);
    bl_manifest_release(&m);
    static const char *same[] = {"doc", "pos", "tdi", "len", "ids"};
    for (size_t k = 0; k < 5; k++) {
        char a[600], b[600];
        snprintf(a, sizeof a, "%s/seg_%08llu.%s", dir, (unsigned long long)id, same[k]);
        snprintf(b, sizeof b, "%s/seg_00000001.%s", one_dir, same[k]);
        cr_assert(same_file(a, b), ".%s differs from a one-segment build", same[k]);
    }
}

/* ---- tests ---- */

/* 600 articles indexed twice in a fresh temporary directory: in 12
 * segments at many, in one at one (each 512 bytes). */
static corpus many_and_one(const char *name, char *many, char *one)
{
    tmp = bl_test_tmpdir();
    corpus c = make_corpus(600, bl_test_seed(name));
    snprintf(many, 512, "%s/many", tmp);
    snprintf(one, 512, "%s/one", tmp);
    cr_assert(mkdir(many, 0755) == 0 && mkdir(one, 0755) == 0);
    cr_assert_eq(bl_test_build_index(many, c.a, 600, "english", 50), 0, "%s",
                 bl_error_detail());
    cr_assert_eq(bl_test_build_index(one, c.a, 600, "english", 600), 0, "%s",
                 bl_error_detail());
    return c;
}

/* A merge whose word pairs pass its memory goes through temporary runs
 * (pairs.h) and writes the very same segment; nothing stays behind. */
Test(merge, pairs_spilled_to_disk_merge_the_same)
{
    char many[512], one[512];
    corpus c = many_and_one("pairs_spilled_to_disk_merge_the_same", many, one);
    int lock = -1, renamed = 0;
    bl_manifest m;
    cr_assert_eq(bl_manifest_lock(many, &lock), 0);
    cr_assert_eq(bl_manifest_read(many, &m), 0);
    /* 4 KiB for the pairs: a run every document or so */
    cr_assert_eq(bl_merge_commit(many, lock, &m, 0, m.nsegments, 8192, &renamed), 0, "%s",
                 bl_error_detail());
    cr_assert(renamed);
    bl_manifest_release(&m);
    bl_manifest_unlock(lock);
    expect_whole(many);
    expect_fresh_build(many, one);
    free(out);
    free(err);
    cr_assert_eq(bl_test_runf(&out, &err, "ls -a '%s' | grep -c pairs", many), 1);
    cr_assert_eq(atoi(out), 0, "temporary files left: %s", out);
    free_corpus(&c);
}

/* Twelve segments optimized into one answer every query as before (same
 * documents, scores, order and snippets), check whole, leave no file of the
 * old segments, and hold the very postings, dictionary, lengths and id map
 * of the same articles indexed as one segment. */
Test(merge, optimize_keeps_every_answer)
{
    char many[512], one[512];
    corpus c = many_and_one("optimize_keeps_every_answer", many, one);
    cr_assert_eq(segments_of(many), 12);
    answer_set before = answers(many);
    cr_assert_eq(run("optimize -i '%s'", many), 0, "%s", err);
    cr_assert(strstr(err, "12 segments became 1"), "%s", err);
    cr_assert_eq(segments_of(many), 1);
    expect_whole(many);
    answer_set after = answers(many);
    expect_answers(&after, &before, "optimized");
    answer_set single = answers(one);
    expect_answers(&single, &before, "one segment");

    bl_manifest m;
    cr_assert_eq(bl_manifest_read(many, &m), 0);
    cr_assert_eq(m.generation, 2);
    cr_assert_eq(m.segments[0].doc_count, 600);
    bl_manifest_release(&m);
    expect_fresh_build(many, one);
    /* only the merged segment's files, the manifest and the lock remain */
    free(out);
    free(err);
    cr_assert_eq(bl_test_runf(&out, &err, "ls '%s' | wc -l", many), 0);
    cr_assert_eq(atoi(out), 9, "%s", out);
    /* a second run has nothing to do and changes nothing */
    size_t l1, l2;
    char *snap1 = bl_test_dir_snapshot(many, NULL, &l1);
    cr_assert_eq(run("optimize -i '%s'", many), 0, "%s", err);
    cr_assert(strstr(err, "nothing to do"), "%s", err);
    char *snap2 = bl_test_dir_snapshot(many, NULL, &l2);
    cr_assert(l1 == l2 && memcmp(snap1, snap2, l1) == 0);
    free(snap1);
    free(snap2);
    free_answers(&before);
    free_corpus(&c);
}

/* Runs of `byline index`, one file each, keep fewer than factor segments
 * per size level (here all one level: fewer than factor in all) and answer
 * as one run over all the files does. */
Test(merge, index_merges_as_it_goes)
{
    tmp = bl_test_tmpdir();
    corpus c = make_corpus(700, bl_test_seed("index_merges_as_it_goes"));
    char all[512], runs[512], path[512];
    snprintf(all, sizeof all, "%s/all", tmp);
    snprintf(runs, sizeof runs, "%s/runs", tmp);
    enum { FILES = 14, FACTOR = 3 };
    uint32_t most = 0;
    int merged = 0;
    for (size_t f = 0; f < FILES; f++) {
        snprintf(path, sizeof path, "%s/part%02zu.jsonl", tmp, f);
        write_jsonl(&c, f * 50, (f + 1) * 50, path);
        cr_assert_eq(run("index -j 1 --merge-factor %d -o '%s' '%s'", FACTOR, runs, path), 0,
                     "run %zu: %s", f, err);
        merged |= strstr(err, "merged:") != NULL;
        uint32_t segs = segments_of(runs);
        most = segs > most ? segs : most;
        cr_assert(segs < FACTOR, "run %zu: %u segments", f, segs);
    }
    cr_assert(merged);
    expect_whole(runs);
    cr_assert_eq(run("index -q -j 1 --merge-factor 0 -o '%s' '%s'", all, tmp), 0, "%s", err);
    cr_assert_eq(segments_of(all), 1);
    answer_set a = answers(all), b = answers(runs);
    expect_answers(&b, &a, "merged runs");
    free_answers(&a);
    /* --merge-factor 0 never merges */
    char none[512];
    snprintf(none, sizeof none, "%s/none", tmp);
    for (size_t f = 0; f < 4; f++) {
        snprintf(path, sizeof path, "%s/part%02zu.jsonl", tmp, f);
        cr_assert_eq(run("index -q -j 1 --merge-factor 0 -o '%s' '%s'", none, path), 0, "%s",
                     err);
    }
    cr_assert_eq(segments_of(none), 4);
    cr_assert_neq(run("index -j 1 --merge-factor 1 -o '%s' '%s'", none, path), 0);
    free_corpus(&c);
}

/* The policy on made-up manifests: the leftmost run of factor segments of
 * the lowest level (smaller ones between them ride along); none while
 * every level has fewer. */
Test(merge, pick_follows_levels)
{
    bl_manifest_segment segs[32];
    bl_manifest m = {.segments = segs};
    size_t first = 99, n = 99;
    const uint64_t small = 1000, big = (uint64_t)BL_MERGE_FLOOR_TOKENS * 10 * 3;
#define SET(i, tok) (segs[i] = (bl_manifest_segment){.id = (i) + 1, .doc_count = 10, \
                                                     .total_tokens = (tok)})
    for (int i = 0; i < 9; i++)
        SET(i, small);
    m.nsegments = 9;
    cr_assert_eq(bl_merge_pick(&m, 10, &first, &n), 0);
    SET(9, small);
    m.nsegments = 10;
    cr_assert_eq(bl_merge_pick(&m, 10, &first, &n), 1);
    cr_assert(first == 0 && n == 10);
    /* a large segment first: the small ones after it merge */
    SET(0, big);
    SET(10, small);
    m.nsegments = 11;
    cr_assert_eq(bl_merge_pick(&m, 10, &first, &n), 1);
    cr_assert(first == 1 && n == 10, "%zu %zu", first, n);
    /* nine small, a large one, nine small: no level has ten side by side,
     * and a large one is never rewritten for small ones beside it */
    for (int i = 0; i < 19; i++)
        SET(i, i == 9 ? big : small);
    m.nsegments = 19;
    cr_assert_eq(bl_merge_pick(&m, 10, &first, &n), 0);
    /* seven large, three small (what 10 GB in one run left): none either */
    for (int i = 0; i < 10; i++)
        SET(i, i < 7 ? big : small);
    m.nsegments = 10;
    cr_assert_eq(bl_merge_pick(&m, 10, &first, &n), 0);
    /* ten large with two small between them: the small ones ride along */
    for (int i = 0; i < 12; i++)
        SET(i, i == 5 || i == 6 ? small : big);
    m.nsegments = 12;
    cr_assert_eq(bl_merge_pick(&m, 10, &first, &n), 1);
    cr_assert(first == 0 && n == 12, "%zu %zu", first, n);
    /* ten of the large level, after small ones: the small ones first */
    for (int i = 0; i < 20; i++)
        SET(i, i < 10 ? big : small);
    m.nsegments = 20;
    cr_assert_eq(bl_merge_pick(&m, 10, &first, &n), 1);
    cr_assert(first == 10 && n == 10, "%zu %zu", first, n);
    /* a run whose documents would not fit one segment is passed over */
    for (int i = 0; i < 11; i++)
        SET(i, small);
    segs[0].doc_count = UINT32_MAX - 20;
    m.nsegments = 11;
    cr_assert_eq(bl_merge_pick(&m, 10, &first, &n), 1);
    cr_assert(first == 1, "%zu", first);
    segs[5].doc_count = UINT32_MAX - 20;
    cr_assert_eq(bl_merge_pick(&m, 10, &first, &n), 0);
    cr_assert_eq(bl_merge_pick(&m, 1, &first, &n), 0);
    /* deletions: a segment 30% deleted is written again alone; one 29%
     * deleted is not; a large segment mostly deleted counts as small */
    for (int i = 0; i < 9; i++)
        SET(i, small);
    m.nsegments = 9;
    segs[4].del_count = 2;
    segs[4].del_tokens = 10;
    cr_assert_eq(bl_merge_pick(&m, 10, &first, &n), 0, "20%% deleted");
    segs[4].del_count = 3;
    cr_assert_eq(bl_merge_pick(&m, 10, &first, &n), 1);
    cr_assert(first == 4 && n == 1, "%zu %zu", first, n);
    segs[4].del_count = 0;
    segs[4].del_tokens = 0;
    SET(9, big);
    segs[9].del_count = 2;
    segs[9].del_tokens = big - small;
    m.nsegments = 10;
    cr_assert_eq(bl_merge_pick(&m, 10, &first, &n), 1);
    cr_assert(first == 0 && n == 10, "%zu %zu", first, n);
#undef SET
}

/* A merge that fails (a damaged input) leaves the index exactly as it was:
 * no new file, the same manifest; the damage is named. */
Test(merge, failed_optimize_changes_nothing)
{
    tmp = bl_test_tmpdir();
    corpus c = make_corpus(300, bl_test_seed("failed_optimize_changes_nothing"));
    char dir[512], path[600];
    snprintf(dir, sizeof dir, "%s/idx", tmp);
    cr_assert_eq(mkdir(dir, 0755), 0);
    cr_assert_eq(bl_test_build_index(dir, c.a, 300, "english", 100), 0);
    /* damage the middle segment's positions, deep in the file */
    snprintf(path, sizeof path, "%s/seg_00000002.pos", dir);
    size_t len;
    char *bytes = bl_test_read_file(path, &len);
    cr_assert(bytes && len > 64);
    bytes[len / 3] ^= 0x5a;
    cr_assert_eq(bl_test_write_file(path, bytes, len), 0);
    free(bytes);
    size_t l1, l2;
    static const char *const lock[] = {"LOCK", NULL}; /* the writer lock optimize creates */
    char *snap1 = bl_test_dir_snapshot(dir, lock, &l1);
    cr_assert_eq(run("optimize -i '%s'", dir), 3, "%s", err);
    cr_assert(strstr(err, "seg_00000002.pos"), "%s", err);
    cr_assert(strstr(err, "unchanged"), "%s", err);
    char *snap2 = bl_test_dir_snapshot(dir, lock, &l2);
    cr_assert(l1 == l2 && memcmp(snap1, snap2, l1) == 0, "the index changed");
    free(snap1);
    free(snap2);
    /* no index, bad usage */
    cr_assert_eq(run("optimize -i '%s/nowhere'", tmp), 2);
    cr_assert_eq(run("optimize"), 2);
    free_corpus(&c);
}

/* Searches running while runs of `byline index` merge and commit are all
 * answered: each sees the index before or after a commit, whole, although
 * the merged segments' files are removed right after each commit. */
Test(merge, readers_are_answered_during_merges)
{
    tmp = bl_test_tmpdir();
    corpus c = make_corpus(800, bl_test_seed("readers_are_answered_during_merges"));
    char dir[512], path[512];
    snprintf(dir, sizeof dir, "%s/idx", tmp);
    snprintf(path, sizeof path, "%s/p0.jsonl", tmp);
    write_jsonl(&c, 0, 50, path);
    cr_assert_eq(run("index -q -j 1 -o '%s' '%s'", dir, path), 0, "%s", err);
    char stop[600];
    snprintf(stop, sizeof stop, "%s/stop", tmp);
    pid_t child = fork();
    cr_assert(child >= 0);
    if (child == 0) {
        /* search until told to stop; any failure ends the loop with 1 */
        char cmd[2048];
        snprintf(cmd, sizeof cmd,
                 "n=0; while [ ! -e '%s' ]; do '%s' search -i '%s' -k 5 'the market' "
                 ">/dev/null || exit 1; n=$((n+1)); done; [ $n -gt 0 ]",
                 stop, bl_test_byline(), dir);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    for (size_t f = 1; f < 16; f++) {
        snprintf(path, sizeof path, "%s/p%zu.jsonl", tmp, f);
        write_jsonl(&c, f * 50, (f + 1) * 50, path);
        cr_assert_eq(run("index -q -j 1 --merge-factor 2 -o '%s' '%s'", dir, path), 0, "%s",
                     err);
    }
    cr_assert_eq(run("optimize -i '%s'", dir), 0, "%s", err);
    cr_assert_eq(bl_test_write_file(stop, "", 0), 0);
    int status;
    cr_assert_eq(waitpid(child, &status, 0), child);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "a search failed while merges committed (status %d)", status);
    expect_whole(dir);
    free_corpus(&c);
}

/* Writes the articles of c listed in order[0..n) as JSONL, the text of
 * article text_from[k] (or its own, when NULL) under article order[k]'s id. */
static void write_jsonl_as(const corpus *c, const size_t *order, const size_t *text_from,
                           size_t n, const char *path)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    for (size_t k = 0; k < n; k++) {
        const bl_article *a = &c->a[order[k]], *t = &c->a[text_from ? text_from[k] : order[k]];
        fprintf(f, "{\"id\":\"%s\",\"title\":\"%s\",\"text\":\"%s\"}\n", a->id, t->title,
                t->text);
    }
    cr_assert_eq(fclose(f), 0);
}

/* Deleted and replaced articles leave counts at once, and a merge reclaims
 * them: the optimized index answers exactly as a fresh index of the
 * articles left (scores included: document frequencies are exact again)
 * and holds that index's very postings, dictionary, lengths and id map. */
Test(merge, merges_reclaim_deleted_articles)
{
    tmp = bl_test_tmpdir();
    enum { N = 600, PARTS = 6, DELS = 60, UPDS = 30 };
    corpus c = make_corpus(N + UPDS, bl_test_seed("merges_reclaim_deleted_articles"));
    bl_rng r;
    bl_rng_init(&r, bl_test_last_seed() ^ 77);
    char idx[512], fresh[512], path[512];
    snprintf(idx, sizeof idx, "%s/idx", tmp);
    snprintf(fresh, sizeof fresh, "%s/fresh", tmp);
    size_t order[N];
    for (size_t i = 0; i < N; i++)
        order[i] = i;
    for (size_t p = 0; p < PARTS; p++) {
        snprintf(path, sizeof path, "%s/p%zu.jsonl", tmp, p);
        write_jsonl_as(&c, order + p * (N / PARTS), NULL, N / PARTS, path);
        cr_assert_eq(run("index -q -j 1 --merge-factor 0 -o '%s' '%s'", idx, path), 0, "%s",
                     err);
    }
    /* gone[i]: 1 deleted, 2 replaced (its new text is article N + k's) */
    int gone[N] = {0};
    snprintf(path, sizeof path, "%s/dels.txt", tmp);
    FILE *f = fopen(path, "w");
    for (size_t k = 0; k < DELS;) {
        size_t i = bl_rng_below(&r, N);
        if (gone[i])
            continue;
        gone[i] = 1;
        fprintf(f, "%s\n", c.a[i].id);
        k++;
    }
    fclose(f);
    cr_assert_eq(run("delete -i '%s' --delete-from '%s' no-such-id", idx, path), 1, "%s", err);
    cr_assert(strstr(err, "deleted 60 articles") && strstr(err, "no-such-id"), "%s", err);
    size_t upd[UPDS], upd_text[UPDS];
    for (size_t k = 0; k < UPDS;) {
        size_t i = bl_rng_below(&r, N);
        if (gone[i])
            continue;
        gone[i] = 2;
        upd[k] = i;
        upd_text[k] = N + k;
        k++;
    }
    snprintf(path, sizeof path, "%s/upd.jsonl", tmp);
    write_jsonl_as(&c, upd, upd_text, UPDS, path);
    cr_assert_eq(run("index -j 1 --merge-factor 0 -o '%s' '%s'", idx, path), 0, "%s", err);
    cr_assert(strstr(err, "30 articles replaced"), "%s", err);
    expect_whole(idx);

    /* the articles left, in index order: the parts' kept ones, then the
     * replacements */
    size_t left[N], left_text[N], nleft = 0;
    for (size_t i = 0; i < N; i++)
        if (!gone[i]) {
            left[nleft] = i;
            left_text[nleft++] = i;
        }
    for (size_t k = 0; k < UPDS; k++) {
        left[nleft] = upd[k];
        left_text[nleft++] = upd_text[k];
    }
    snprintf(path, sizeof path, "%s/left.jsonl", tmp);
    write_jsonl_as(&c, left, left_text, nleft, path);
    cr_assert_eq(run("index -q -j 1 --merge-factor 0 -o '%s' '%s'", fresh, path), 0, "%s", err);
    cr_assert_eq(segments_of(fresh), 1);

    /* before the merge: the same documents match */
    for (size_t q = 0; q < NQUERIES; q++) {
        cr_assert_eq(run("search -i '%s' --count '%s'", idx, queries[q]), 0, "%s", err);
        char *got = strdup(out);
        cr_assert_eq(run("search -i '%s' --count '%s'", fresh, queries[q]), 0, "%s", err);
        cr_assert_str_eq(got, out, "query %s", queries[q]);
        free(got);
    }
    cr_assert_eq(run("optimize -i '%s'", idx), 0, "%s", err);
    expect_whole(idx);
    cr_assert_eq(run("check -i '%s'", idx), 0);
    cr_assert(!strstr(out, "deleted"), "%s", out);
    answer_set want = answers(fresh), got = answers(idx);
    expect_answers(&got, &want, "optimized after deletes");
    free_answers(&want);

    expect_fresh_build(idx, fresh);
    /* no deletions file is left behind */
    free(out);
    free(err);
    cr_assert_eq(bl_test_runf(&out, &err, "ls '%s' | grep -c del", idx), 1);
    free_corpus(&c);
}

/* A merge copies an input's list of a pair whose two words are dense in
 * that input, and finds the other pairs from positions, in the documents
 * that hold a word not dense there: here "zed" is dense in the whole and
 * in the first and last parts, but not in the middle one, so the middle
 * part's "zed ..." pairs must be found from the positions of its two
 * documents with "zed", its pairs of the other words copied. The merged
 * segment is byte for byte a one-segment build of the same articles. */
Test(merge, merges_copy_complete_pair_lists)
{
    tmp = bl_test_tmpdir();
    char src[512], parts[512], one[512], path[512];
    snprintf(src, sizeof src, "%s/all.jsonl", tmp);
    snprintf(parts, sizeof parts, "%s/parts", tmp);
    snprintf(one, sizeof one, "%s/one", tmp);
    bl_rng r;
    bl_rng_init(&r, bl_test_seed("merges_copy_complete_pair_lists"));
    static const char *words[] = {"alpha", "beta", "gamma", "delta"};
    FILE *all = fopen(src, "w");
    cr_assert_not_null(all);
    for (int p = 0; p < 3; p++) {
        snprintf(path, sizeof path, "%s/p%d.jsonl", tmp, p);
        FILE *f = fopen(path, "w");
        cr_assert_not_null(f);
        for (int i = 0; i < 100; i++) {
            char text[2048];
            size_t len = 0;
            int zed = p != 1 || i < 2; /* the middle part: in 2 documents of 100 */
            for (int k = 0; k < 30; k++) {
                const char *w = zed && bl_rng_below(&r, 5) == 0 ? "zed" : words[bl_rng_below(&r, 4)];
                len += (size_t)snprintf(text + len, sizeof text - len, "%s ", w);
            }
            if (zed)
                len += (size_t)snprintf(text + len, sizeof text - len, "zed alpha");
            char line[2200];
            snprintf(line, sizeof line, "{\"id\":\"p%d-%d\",\"title\":\"t\",\"text\":\"%s\"}\n", p,
                     i, text);
            fputs(line, f);
            fputs(line, all);
        }
        cr_assert_eq(fclose(f), 0);
        cr_assert_eq(run("index -q -j 1 --merge-factor 0 -o '%s' '%s'", parts, path), 0, "%s",
                     err);
    }
    cr_assert_eq(fclose(all), 0);
    cr_assert_eq(run("index -q -j 1 --merge-factor 0 -o '%s' '%s'", one, src), 0, "%s", err);
    cr_assert_eq(segments_of(parts), 3);
    cr_assert_eq(run("search -i '%s' --count '\"zed alpha\"'", parts), 0);
    char *before = strdup(out);
    cr_assert_eq(run("optimize -i '%s'", parts), 0, "%s", err);
    expect_whole(parts);
    expect_fresh_build(parts, one);
    cr_assert_eq(run("search -i '%s' --count '\"zed alpha\"'", parts), 0);
    cr_assert_str_eq(out, before);
    free(before);
}

/* Runs every merge the policy (factor 3) asks for in dir with jobs at once;
 * returns how many were committed. */
static unsigned merge_all(const char *dir, unsigned jobs)
{
    int lock = -1;
    bl_manifest m;
    unsigned done = 0;
    cr_assert_eq(bl_manifest_lock(dir, &lock), 0);
    cr_assert_eq(bl_manifest_read(dir, &m), 0);
    cr_assert_eq(bl_merge_run_due(dir, lock, &m, 3, jobs, 1 << 20, NULL, NULL, &done), 0,
                 "%s", bl_error_detail());
    bl_manifest_release(&m);
    bl_manifest_unlock(lock);
    return done;
}

/* Merges run on threads, several at once: each commit is whole, every
 * answer stays, the policy owes nothing after, and no file but the
 * manifest's remains. (Their groupings may differ from one at a time:
 * below the policy's floor a merged segment stays at level 0 and one at a
 * time merges it again with the next two, while the threads had taken
 * those already.) */
Test(merge, merges_on_threads_keep_every_answer)
{
    char many[512], one[512];
    corpus c = many_and_one("merges_on_threads_keep_every_answer", many, one);
    answer_set before = answers(many);
    /* 12 segments of level 0: 4 merges of 3, 3 at once, then more */
    unsigned merges = merge_all(many, 3);
    cr_assert_geq(merges, 5, "%u merges", merges);
    expect_whole(many);
    answer_set after = answers(many);
    expect_answers(&after, &before, "merged on threads");
    bl_manifest m;
    size_t first, n;
    cr_assert_eq(bl_manifest_read(many, &m), 0);
    cr_assert_eq(m.generation, 1 + merges);
    cr_assert_eq(bl_merge_pick(&m, 3, &first, &n), 0, "a merge is still due");
    uint64_t docs = 0;
    for (uint32_t i = 0; i < m.nsegments; i++)
        docs += m.segments[i].doc_count;
    cr_assert_eq(docs, 600);
    free(out);
    free(err);
    cr_assert_eq(bl_test_runf(&out, &err, "ls '%s' | wc -l", many), 0);
    cr_assert_eq((uint32_t)atoi(out), 2 + 7 * m.nsegments, "files left: %s", out);
    bl_manifest_release(&m);
    free_answers(&before);
    free_corpus(&c);
}
