/* bench_json.c: byline-bench --json, one JSON object a line per measured
 * row, Byline beside outside baselines timed in the same run:
 *
 *   op "decode"     a whole doc list to doc ids and tfs ("values": "doc+tf")
 *                   and to doc ids alone ("doc", or "gap"): Byline
 *                   (bl_postings_read_docs, and "byline-iter", a docset walk
 *                   reading each tf), "memcpy" of the list's encoded bytes,
 *                   "streamvbyte" (the same gaps and tfs as two streams)
 *                   and "streamvbyte-delta" (doc ids straight from the
 *                   differential codec, tfs as before)
 *   op "intersect"  two lists at a skew ("1:1" ... "1:1000"): "byline"
 *                   (bl_postings_intersect_count: bitmaps of dense lists
 *                   when it has them), "byline-leapfrog" (a leapfrog of
 *                   two posting iterators, as the evaluator's AND),
 *                   "croaring" (roaring_bitmap_and_cardinality) and
 *                   "croaring-and" (roaring_bitmap_and, building the result)
 *   op "union"      the same pairs: Byline's merge, roaring_bitmap_or_*
 *   op "phrase"     "a b" by positions, beside op "and" of the same terms
 *                   (the leapfrog: what a phrase walks before positions)
 *   op "topk_or", "topk_and", "topk_phrase"
 *                   (index only) bl_search_ex's top 10 over the whole index,
 *                   "byline" pruned (default options) beside
 *                   "byline-exhaustive"; ids and score bits must agree
 *
 * Inputs: synthetic Zipf lists (the r-th most frequent word in 0.5 / r^1.0
 * of the documents, drawn with --seed) in a segment written through the
 * postings writer, and, with --index, lists of that index's largest
 * segment: its most frequent term, partners whose doc counts are nearest
 * 1/1, 1/10, 1/100 and 1/1000 of it, and a few real phrases; top-k rows
 * take those pairs, the three most frequent of those words, fixed queries
 * and the phrases (the Zipf lists are no index, so they have none).
 *
 * Timing: repetitions per run are calibrated until one run lasts at least
 * --min-ms of the thread's CPU time (after a warm-up call); then --runs
 * runs, and each row reports the fastest ("stat": "min") and the median
 * run, per repetition and per posting. Byline's times include opening its iterators (decoding skip
 * tables), which a query pays; CRoaring's bitmaps are built beforehand, as
 * an index of bitmaps would be. Every implementation's result (decoded
 * values, counts) is checked against a plain merge of the decoded lists
 * before it is timed.
 *
 * Only public APIs are used (postings.h, index.h, docset.h and the
 * segment and dictionary accessors), so the rows survive codec changes.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analyzer.h"
#include "baselines.h"
#include "bench.h"
#include "codec.h"
#include "error.h"
#include "eval.h"
#include "pairs.h"
#include "index.h"
#include "intersect.h"
#include "postings.h"
#include "query.h"

#define ZIPF_S 1.0
#define ZIPF_TOP_DENSITY 0.5
#define MAX_RUNS 64

/* The skews of the pair rows: partner i has about 1/skews[i] of the docs of
 * the long list. */
static const uint32_t skews[] = {1, 10, 100, 1000};
#define NSKEWS (sizeof skews / sizeof skews[0])

/* Real phrases for the phrase and AND rows of an index (news English);
 * a phrase whose words are not both in the index is left out. */
static const char *const index_phrases[] = {"united states", "interest rates", "crude oil",
                                            "said it"};

/* Keeps the optimiser from deleting the measured work. */
static volatile uint64_t sink;

/* ---- inputs ------------------------------------------------------------- */

typedef struct {
    char label[300];       /* "r10", or the term */
    bl_terminfo info;
    const uint8_t *bytes;  /* its encoded doc list, in the mapped .doc file */
    uint64_t nbytes;
    uint32_t *docs, *tfs;  /* decoded once: the baselines' input and the oracle */
    bench_bitmap *bitmap;  /* CRoaring's bitmap of docs, when built in */
} list_in;

typedef struct {
    char name[300];        /* "zipf-s1.0-seed42", "reuters-x50" */
    const bl_postings *p;
    uint32_t doc_count;    /* of the segment */
    list_in lists[1 + NSKEWS]; /* [0] the long list, [1 + i] its partner at skews[i] */
    /* every list's offset in the .doc file, sorted, to size a list */
    uint64_t *offsets;
    size_t noffsets;
} dataset;

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Encoded bytes of the list at off: up to the next list or the body's end. */
static uint64_t list_bytes(const dataset *d, uint64_t off)
{
    size_t lo = 0, hi = d->noffsets;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (d->offsets[mid] <= off)
            lo = mid + 1;
        else
            hi = mid;
    }
    uint64_t end = lo < d->noffsets ? d->offsets[lo] : bl_postings_docs_bytes(d->p);
    return end - off;
}

/* Locates l's encoded bytes, decodes it once and builds its bitmap.
 * Returns 0 or -1 with a message printed. */
static int list_load(const dataset *d, list_in *l)
{
    uint32_t n = l->info.doc_freq;
    l->bytes = bl_postings_docs_file(d->p)->data + l->info.postings_offset;
    l->nbytes = list_bytes(d, l->info.postings_offset);
    l->docs = malloc((size_t)n * sizeof *l->docs);
    l->tfs = malloc((size_t)n * sizeof *l->tfs);
    if (!l->docs || !l->tfs) {
        fprintf(stderr, "byline-bench: out of memory\n");
        return -1;
    }
    if (bl_postings_read_docs(d->p, &l->info, l->docs, l->tfs)) {
        fprintf(stderr, "byline-bench: %s: %s\n", l->label, bl_error_detail());
        return -1;
    }
    if (bench_roaring_available() && !(l->bitmap = bench_bitmap_new(l->docs, n))) {
        fprintf(stderr, "byline-bench: out of memory\n");
        return -1;
    }
    return 0;
}

static void list_release(list_in *l)
{
    free(l->docs);
    free(l->tfs);
    bench_bitmap_free(l->bitmap);
    memset(l, 0, sizeof *l);
}

static void dataset_release(dataset *d)
{
    for (size_t i = 0; i < 1 + NSKEWS; i++)
        list_release(&d->lists[i]);
    free(d->offsets);
    d->offsets = NULL;
}

/* ---- timing ------------------------------------------------------------- */

/* One repetition of a measured operation; *result is what it computed (a
 * count, a decoded value), to check and to keep the work alive. */
typedef int (*op_fn)(void *ctx, uint64_t *result);

typedef struct {
    double min_s, median_s; /* seconds per repetition */
    uint64_t reps;          /* repetitions in each timed run */
    int runs;
} timing;

/* The thread's CPU time, not wall time: on a shared machine a run of 50 ms
 * is often descheduled, which wall time would count as work (twice the
 * time at a load of 4 on 2 cores); CPU time leaves that out, and on an idle
 * machine the two agree for this single-threaded, CPU-bound work. */
static double clock_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int timed_run(op_fn fn, void *ctx, uint64_t reps, double *secs)
{
    double t0 = clock_s();
    for (uint64_t i = 0; i < reps; i++) {
        uint64_t r;
        int rc = fn(ctx, &r);
        if (rc)
            return rc;
        sink += r;
    }
    *secs = clock_s() - t0;
    return 0;
}

/* Repetitions for a run of at least min_s, given that reps took s. */
static uint64_t grow_reps(uint64_t reps, double s, double min_s)
{
    double grow = s > 0 ? min_s * 1.3 / s : 1e3;
    return (uint64_t)((double)reps * (grow < 2 ? 2 : grow > 1e6 ? 1e6 : grow));
}

static int measure(const bench_opts *o, op_fn fn, void *ctx, timing *t)
{
    double min_s = o->min_run_ms / 1e3, s, per[MAX_RUNS];
    uint64_t reps = 1;
    int rc, n = 0;
    t->runs = o->runs < MAX_RUNS ? o->runs : MAX_RUNS;
    /* A first call warms caches and pages the lists in. */
    if ((rc = timed_run(fn, ctx, 1, &s)) != 0)
        return rc;
    /* Calibration: grow the repetitions until a run lasts min_s. */
    while (s < min_s && reps < (1ull << 40)) {
        reps = grow_reps(reps, s, min_s);
        if ((rc = timed_run(fn, ctx, reps, &s)) != 0)
            return rc;
    }
    while (n < t->runs) {
        if ((rc = timed_run(fn, ctx, reps, &s)) != 0)
            return rc;
        if (s < min_s) {
            /* Calibrated on a slow (cold) run: grow and start counting again. */
            reps = grow_reps(reps, s, min_s);
            n = 0;
            continue;
        }
        per[n++] = s / (double)reps;
    }
    qsort(per, (size_t)t->runs, sizeof *per, cmp_double);
    t->reps = reps;
    t->min_s = per[0];
    t->median_s = per[t->runs / 2];
    return 0;
}

/* ---- rows --------------------------------------------------------------- */

typedef struct {
    const char *op, *impl;
    char input[700];
    const char *skew;    /* pair rows at a set skew, else NULL */
    const char *phrase;  /* the phrase as written, for the index's phrase rows */
    const char *values;  /* what a decode produces */
    uint32_t docs;       /* documents in the segment */
    uint64_t n;          /* postings processed per repetition */
    uint64_t n_a, n_b;   /* pair rows: each list's postings */
    uint64_t bytes;      /* decode rows: encoded bytes read */
    uint64_t result;     /* pair rows: docs (or phrase occurrences) found */
    /* top-k rows (op "topk_*"): the query, k, and how result (the matches
     * counted) relates to the matching documents ("eq" or "gte") */
    const char *query;
    size_t k;
    const char *relation;
    uint64_t total_threshold; /* pruned rows: totals exact up to this */
} row;

static void set_str(json_t *j, const char *key, const char *s)
{
    json_t *v = json_string(s);
    /* A term that is not UTF-8 would be refused; show it as a placeholder. */
    json_object_set_new(j, key, v ? v : json_string("(not UTF-8)"));
}

static void set_int(json_t *j, const char *key, uint64_t v)
{
    json_object_set_new(j, key, json_integer((json_int_t)v));
}

static void emit(const bench_opts *o, const row *r, const timing *t)
{
    /* One clock tick at least, so the rates stay finite. */
    double best = t->min_s > 1e-9 ? t->min_s : 1e-9;
    double median = t->median_s > 1e-9 ? t->median_s : 1e-9;
    json_t *j = json_object();
    set_str(j, "op", r->op);
    set_str(j, "impl", r->impl);
    set_str(j, "input", r->input);
    if (r->skew)
        set_str(j, "skew", r->skew);
    if (r->phrase)
        set_str(j, "phrase", r->phrase);
    set_int(j, "docs", r->docs);
    set_int(j, "n", r->n);
    if (r->values)
        set_str(j, "values", r->values);
    if (r->bytes)
        set_int(j, "bytes", r->bytes);
    if (r->n_a || r->n_b) {
        set_int(j, "n_a", r->n_a);
        set_int(j, "n_b", r->n_b);
        set_int(j, "hits", r->result);
    }
    if (r->query) {
        set_str(j, "query", r->query);
        set_int(j, "k", r->k);
        set_int(j, "hits", r->result);
        set_str(j, "relation", r->relation);
        if (r->total_threshold)
            set_int(j, "total_threshold", r->total_threshold);
    }
    json_object_set_new(j, "ns_per_int", json_real(best * 1e9 / (double)r->n));
    json_object_set_new(j, "ints_per_s", json_real(round((double)r->n / best)));
    json_object_set_new(j, "ns_per_int_median", json_real(median * 1e9 / (double)r->n));
    set_str(j, "stat", "min");
    set_str(j, "clock", "thread-cpu");
    json_object_set_new(j, "runs", json_integer(t->runs));
    set_int(j, "reps_per_run", t->reps);
    json_object_set_new(j, "min_run_ms", json_real(o->min_run_ms));
    char *line = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
    if (line)
        printf("%s\n", line);
    fflush(stdout);
    free(line);
    json_decref(j);
}

/* Measures fn and prints its row; -1 with a message if it failed. */
static int time_row(const bench_opts *o, row *r, op_fn fn, void *ctx)
{
    timing t;
    int rc = measure(o, fn, ctx, &t);
    if (rc) {
        fprintf(stderr, "byline-bench: %s %s on %s: %s\n", r->op, r->impl, r->input,
                bl_error_detail());
        return -1;
    }
    emit(o, r, &t);
    return 0;
}

/* ---- decode rows -------------------------------------------------------- */

typedef struct {
    const bl_postings *p;
    const list_in *l;
    uint32_t *docs, *tfs;             /* output */
    uint8_t *copy;                    /* memcpy's destination */
    uint8_t *gaps_enc, *tfs_enc, *delta_enc; /* streamvbyte's encodings */
} decode_ctx;

static int op_decode_byline(void *ctx, uint64_t *result)
{
    decode_ctx *c = ctx;
    int rc = bl_postings_read_docs(c->p, &c->l->info, c->docs, c->tfs);
    *result = c->docs[c->l->info.doc_freq - 1] + c->tfs[0];
    return rc;
}

/* Doc ids alone (tfs stay encoded): the doc-id gap blocks the issue's
 * decode target speaks of. */
static int op_decode_byline_docs(void *ctx, uint64_t *result)
{
    decode_ctx *c = ctx;
    int rc = bl_postings_read_docs(c->p, &c->l->info, c->docs, NULL);
    *result = c->docs[c->l->info.doc_freq - 1];
    return rc;
}

static int op_decode_svb_docs(void *ctx, uint64_t *result)
{
    decode_ctx *c = ctx;
    uint32_t n = c->l->info.doc_freq;
    bench_svb_decode(c->gaps_enc, c->docs, n);
    *result = c->docs[n - 1];
    return 0;
}

static int op_decode_svb_delta_docs(void *ctx, uint64_t *result)
{
    decode_ctx *c = ctx;
    uint32_t n = c->l->info.doc_freq;
    bench_svb_delta_decode(c->delta_enc, c->docs, n);
    *result = c->docs[n - 1];
    return 0;
}

static int op_decode_iter(void *ctx, uint64_t *result)
{
    decode_ctx *c = ctx;
    bl_posting_iter *it;
    int rc = bl_posting_iter_new(c->p, &c->l->info, &it);
    if (rc)
        return rc;
    bl_docset *d = bl_posting_iter_docset(it);
    uint64_t sum = 0;
    for (uint32_t doc = d->doc; doc != BL_DOC_END; doc = bl_docset_next(d))
        sum += doc + bl_posting_iter_freq(it);
    rc = d->err;
    bl_docset_free(d);
    *result = sum;
    return rc;
}

static int op_memcpy(void *ctx, uint64_t *result)
{
    decode_ctx *c = ctx;
    memcpy(c->copy, c->l->bytes, c->l->nbytes);
    *result = c->copy[c->l->nbytes / 2];
    return 0;
}

static int op_decode_svb(void *ctx, uint64_t *result)
{
    decode_ctx *c = ctx;
    uint32_t n = c->l->info.doc_freq;
    bench_svb_decode(c->gaps_enc, c->docs, n);
    bench_svb_decode(c->tfs_enc, c->tfs, n);
    *result = c->docs[n - 1] + c->tfs[0];
    return 0;
}

static int op_decode_svb_delta(void *ctx, uint64_t *result)
{
    decode_ctx *c = ctx;
    uint32_t n = c->l->info.doc_freq;
    bench_svb_delta_decode(c->delta_enc, c->docs, n);
    bench_svb_decode(c->tfs_enc, c->tfs, n);
    *result = c->docs[n - 1] + c->tfs[0];
    return 0;
}

/* What a decode must have produced: doc ids or gaps, with tfs or not. */
enum { DOCS_TFS = 0, GAPS_TFS = 1, DOCS_ONLY = -1, GAPS_ONLY = -2 };

/* Non-zero if the output buffers hold exactly l's docs (or doc gaps) and,
 * unless told otherwise, its tfs; clears them for the next implementation. */
static int decoded_ok(const decode_ctx *c, int what)
{
    const list_in *l = c->l;
    uint32_t n = l->info.doc_freq;
    int gaps = what == GAPS_TFS || what == GAPS_ONLY;
    int ok = what < 0 || memcmp(c->tfs, l->tfs, (size_t)n * sizeof *l->tfs) == 0;
    for (uint32_t i = 0; i < n && ok; i++)
        ok = c->docs[i] == (gaps && i ? l->docs[i] - l->docs[i - 1] : l->docs[i]);
    memset(c->docs, 0xff, (size_t)n * sizeof *c->docs);
    memset(c->tfs, 0xff, (size_t)n * sizeof *c->tfs);
    return ok;
}

static int wrong_result(const row *r)
{
    fprintf(stderr, "byline-bench: %s %s on %s: wrong result; nothing timed\n", r->op, r->impl,
            r->input);
    return -1;
}

/* Encodes l's gaps, tfs and doc ids with streamvbyte into c. */
static int svb_encode_list(decode_ctx *c, size_t *gap_bytes, size_t *delta_bytes,
                           size_t *tf_bytes)
{
    const list_in *l = c->l;
    uint32_t n = l->info.doc_freq;
    size_t max = bench_svb_max_bytes(n);
    c->gaps_enc = malloc(max);
    c->tfs_enc = malloc(max);
    c->delta_enc = malloc(max);
    if (!c->gaps_enc || !c->tfs_enc || !c->delta_enc)
        return -1;
    /* The gaps in c->docs as scratch: doc ids as Byline stores them. */
    for (uint32_t i = 0; i < n; i++)
        c->docs[i] = i ? l->docs[i] - l->docs[i - 1] : l->docs[i];
    *gap_bytes = bench_svb_encode(c->docs, n, c->gaps_enc);
    *tf_bytes = bench_svb_encode(l->tfs, n, c->tfs_enc);
    *delta_bytes = bench_svb_delta_encode(l->docs, n, c->delta_enc);
    return 0;
}

static int decode_rows(const bench_opts *o, const dataset *d, const list_in *l)
{
    uint32_t n = l->info.doc_freq;
    decode_ctx c = {d->p, l, malloc((size_t)n * sizeof *c.docs),
                    malloc((size_t)n * sizeof *c.tfs), malloc(l->nbytes), NULL, NULL, NULL};
    row r = {"decode", "byline", "", NULL, NULL, "doc+tf", d->doc_count, n, 0, 0, l->nbytes, 0,
             NULL, 0, NULL, 0};
    snprintf(r.input, sizeof r.input, "%s:%s", d->name, l->label);
    int rc = -1;
    uint64_t v;
    if (!c.docs || !c.tfs || !c.copy)
        goto nomem;
    if (op_decode_byline(&c, &v) || !decoded_ok(&c, DOCS_TFS)) {
        wrong_result(&r);
        goto done;
    }
    if (time_row(o, &r, op_decode_byline, &c))
        goto done;
    r.impl = "byline-iter";
    if (time_row(o, &r, op_decode_iter, &c))
        goto done;
    r.impl = "byline";
    r.values = "doc";
    if (op_decode_byline_docs(&c, &v) || !decoded_ok(&c, DOCS_ONLY)) {
        wrong_result(&r);
        goto done;
    }
    if (time_row(o, &r, op_decode_byline_docs, &c))
        goto done;
    r.impl = "memcpy";
    r.values = "encoded bytes";
    if (time_row(o, &r, op_memcpy, &c))
        goto done;
    if (bench_svb_available()) {
        size_t gap_bytes, delta_bytes, tf_bytes;
        if (svb_encode_list(&c, &gap_bytes, &delta_bytes, &tf_bytes))
            goto nomem;
        r.impl = "streamvbyte";
        r.values = "gap+tf";
        r.bytes = gap_bytes + tf_bytes;
        if (op_decode_svb(&c, &v) || !decoded_ok(&c, GAPS_TFS)) {
            wrong_result(&r);
            goto done;
        }
        if (time_row(o, &r, op_decode_svb, &c))
            goto done;
        r.impl = "streamvbyte-delta";
        r.values = "doc+tf";
        r.bytes = delta_bytes + tf_bytes;
        if (op_decode_svb_delta(&c, &v) || !decoded_ok(&c, DOCS_TFS)) {
            wrong_result(&r);
            goto done;
        }
        if (time_row(o, &r, op_decode_svb_delta, &c))
            goto done;
        r.impl = "streamvbyte";
        r.values = "gap";
        r.bytes = gap_bytes;
        if (op_decode_svb_docs(&c, &v) || !decoded_ok(&c, GAPS_ONLY)) {
            wrong_result(&r);
            goto done;
        }
        if (time_row(o, &r, op_decode_svb_docs, &c))
            goto done;
        r.impl = "streamvbyte-delta";
        r.values = "doc";
        r.bytes = delta_bytes;
        if (op_decode_svb_delta_docs(&c, &v) || !decoded_ok(&c, DOCS_ONLY)) {
            wrong_result(&r);
            goto done;
        }
        if (time_row(o, &r, op_decode_svb_delta_docs, &c))
            goto done;
    }
    rc = 0;
    goto done;
nomem:
    fprintf(stderr, "byline-bench: out of memory\n");
done:
    free(c.docs);
    free(c.tfs);
    free(c.copy);
    free(c.gaps_enc);
    free(c.tfs_enc);
    free(c.delta_enc);
    return rc;
}

/* ---- pair rows ---------------------------------------------------------- */

typedef struct {
    const bl_postings *p;
    const bl_terminfo *a, *b;
    const bench_bitmap *ba, *bb;
} pair_ctx;

/* Runs loop over fresh iterators on both lists; its error is theirs. */
static int with_pair(const pair_ctx *c, uint64_t (*loop)(bl_posting_iter *, bl_posting_iter *),
                     uint64_t *result)
{
    bl_posting_iter *ia, *ib;
    int rc = bench_open_pair(c->p, c->a, c->b, &ia, &ib);
    if (rc)
        return rc;
    bl_docset *x = bl_posting_iter_docset(ia), *y = bl_posting_iter_docset(ib);
    *result = loop(ia, ib);
    rc = x->err ? x->err : y->err;
    bl_docset_free(x);
    bl_docset_free(y);
    return rc;
}

static int op_and_byline(void *ctx, uint64_t *result)
{
    pair_ctx *c = ctx;
    return bl_postings_intersect_count(c->p, c->a, c->b, result);
}

static int op_and_leapfrog(void *ctx, uint64_t *result)
{
    return with_pair(ctx, bench_leapfrog, result);
}

static int op_or_byline(void *ctx, uint64_t *result)
{
    return with_pair(ctx, bench_merge, result);
}

static int op_phrase_byline(void *ctx, uint64_t *result)
{
    pair_ctx *c = ctx;
    bl_posting_iter *ia, *ib;
    int err, rc = bench_open_pair(c->p, c->a, c->b, &ia, &ib);
    if (rc)
        return rc;
    *result = bench_phrase(ia, ib, &err);
    bl_docset *x = bl_posting_iter_docset(ia), *y = bl_posting_iter_docset(ib);
    rc = err ? err : x->err ? x->err : y->err;
    bl_docset_free(x);
    bl_docset_free(y);
    return rc;
}

static int op_and_roaring(void *ctx, uint64_t *result)
{
    pair_ctx *c = ctx;
    *result = bench_bitmap_and_count(c->ba, c->bb);
    return 0;
}

static int op_and_roaring_build(void *ctx, uint64_t *result)
{
    pair_ctx *c = ctx;
    *result = bench_bitmap_and_build(c->ba, c->bb);
    return *result == UINT64_MAX ? BL_ENOMEM : 0;
}

static int op_or_roaring(void *ctx, uint64_t *result)
{
    pair_ctx *c = ctx;
    *result = bench_bitmap_or_count(c->ba, c->bb);
    return 0;
}

static int op_or_roaring_build(void *ctx, uint64_t *result)
{
    pair_ctx *c = ctx;
    *result = bench_bitmap_or_build(c->ba, c->bb);
    return *result == UINT64_MAX ? BL_ENOMEM : 0;
}

/* The oracle: docs in both and in either of two sorted arrays. */
static void count_both_either(const list_in *a, const list_in *b, uint64_t *both,
                              uint64_t *either)
{
    uint32_t na = a->info.doc_freq, nb = b->info.doc_freq, i = 0, j = 0;
    uint64_t common = 0;
    while (i < na && j < nb) {
        if (a->docs[i] < b->docs[j])
            i++;
        else if (a->docs[i] > b->docs[j])
            j++;
        else
            common++, i++, j++;
    }
    *both = common;
    *either = (uint64_t)na + nb - common;
}

typedef struct {
    const char *impl;
    op_fn fn;
    int roaring; /* needs CRoaring */
} impl_fn;

/* Checks each implementation against the expected count, then times it. */
static int time_impls(const bench_opts *o, row *r, const impl_fn *impls, size_t nimpls,
                      pair_ctx *c, uint64_t expect)
{
    for (size_t i = 0; i < nimpls; i++) {
        if (impls[i].roaring && !bench_roaring_available())
            continue;
        uint64_t got;
        r->impl = impls[i].impl;
        if (impls[i].fn(c, &got) || got != expect)
            return wrong_result(r);
        r->result = got;
        if (time_row(o, r, impls[i].fn, c))
            return -1;
    }
    return 0;
}

static int pair_rows(const bench_opts *o, const dataset *d, const list_in *a, const list_in *b,
                     const char *skew)
{
    static const impl_fn and_impls[] = {{"byline", op_and_byline, 0},
                                        {"byline-leapfrog", op_and_leapfrog, 0},
                                        {"croaring", op_and_roaring, 1},
                                        {"croaring-and", op_and_roaring_build, 1}};
    static const impl_fn or_impls[] = {{"byline", op_or_byline, 0},
                                       {"croaring", op_or_roaring, 1},
                                       {"croaring-or", op_or_roaring_build, 1}};
    pair_ctx c = {d->p, &a->info, &b->info, a->bitmap, b->bitmap};
    row r = {"intersect", NULL, "", skew, NULL, NULL, d->doc_count,
             (uint64_t)a->info.doc_freq + b->info.doc_freq, a->info.doc_freq, b->info.doc_freq,
             0, 0, NULL, 0, NULL, 0};
    snprintf(r.input, sizeof r.input, "%s:%s+%s", d->name, a->label, b->label);
    uint64_t both, either;
    count_both_either(a, b, &both, &either);
    if (time_impls(o, &r, and_impls, sizeof and_impls / sizeof *and_impls, &c, both))
        return -1;
    r.op = "union";
    return time_impls(o, &r, or_impls, 3, &c, either);
}

/* op "phrase" and op "and" of the same two terms; phrase is the text as
 * written (index rows) or NULL. */
static int phrase_rows(const bench_opts *o, const dataset *d, const char *input,
                       const char *phrase, const char *skew, const bl_terminfo *a,
                       const bl_terminfo *b)
{
    pair_ctx c = {d->p, a, b, NULL, NULL};
    row r = {"phrase", "byline", "", skew, phrase, NULL, d->doc_count,
             (uint64_t)a->doc_freq + b->doc_freq, a->doc_freq, b->doc_freq, 0, 0, NULL, 0, NULL,
             0};
    snprintf(r.input, sizeof r.input, "%s", input);
    if (op_phrase_byline(&c, &r.result) || time_row(o, &r, op_phrase_byline, &c))
        return -1;
    r.op = "and";
    if (op_and_leapfrog(&c, &r.result) || time_row(o, &r, op_and_leapfrog, &c))
        return -1;
    return 0;
}

/* Every row of a dataset but the phrases of an index. */
static int dataset_rows(const bench_opts *o, const dataset *d, int zipf_phrases)
{
    for (size_t i = 0; i < 1 + NSKEWS; i++)
        if (decode_rows(o, d, &d->lists[i]))
            return -1;
    for (size_t i = 0; i < NSKEWS; i++) {
        char skew[32];
        snprintf(skew, sizeof skew, "1:%u", skews[i]);
        const list_in *a = &d->lists[0], *b = &d->lists[1 + i];
        if (pair_rows(o, d, a, b, skew))
            return -1;
        if (zipf_phrases) {
            char input[700];
            snprintf(input, sizeof input, "%s:%s+%s", d->name, a->label, b->label);
            if (phrase_rows(o, d, input, NULL, skew, &a->info, &b->info))
                return -1;
        }
    }
    return 0;
}

/* ---- the Zipf segment --------------------------------------------------- */

typedef struct {
    char dir[64], doc_path[96], pos_path[96];
    bl_postings *p;
} zipf_files;

static void zipf_files_remove(zipf_files *z)
{
    bl_postings_close(z->p);
    remove(z->doc_path);
    remove(z->pos_path);
    remove(z->dir);
}

/* Draws the long list (rank 1) and its partners (a second rank-1 list for
 * 1:1, then ranks 10, 100, 1000), writes them as one segment and opens it. */
static int zipf_write(const bench_opts *o, zipf_files *z, dataset *d)
{
    static const char *const labels[] = {"r1", "r1b", "r10", "r100", "r1000"};
    static const double ranks[] = {1, 1, 10, 100, 1000};
    uint64_t rng = o->seed ? o->seed : 1; /* xorshift needs a non-zero state */
    bl_postings_writer *w;
    if (bl_postings_writer_new(&w, z->doc_path, z->pos_path, o->universe, BL_DENSE_RATIO,
                               BL_CODEC_DEFAULT)) {
        fprintf(stderr, "byline-bench: %s\n", bl_error_detail());
        return -1;
    }
    for (size_t i = 0; i < 1 + NSKEWS; i++) {
        synth_list l;
        double density = ZIPF_TOP_DENSITY / pow(ranks[i], ZIPF_S);
        if (bench_synth_list(&rng, o->universe, density, &l)) {
            fprintf(stderr, "byline-bench: out of memory\n");
            bl_postings_writer_abort(w);
            return -1;
        }
        if (l.n == 0) {
            fprintf(stderr, "byline-bench: --universe %u is too small: list %s is empty\n",
                    o->universe, labels[i]);
            bench_synth_free(&l);
            bl_postings_writer_abort(w);
            return -1;
        }
        snprintf(d->lists[i].label, sizeof d->lists[i].label, "%s", labels[i]);
        int rc = bl_postings_writer_add(w, l.docs, l.tfs, l.n, l.pos, NULL, &d->lists[i].info);
        bench_synth_free(&l);
        if (rc) {
            fprintf(stderr, "byline-bench: %s\n", bl_error_detail());
            bl_postings_writer_abort(w);
            return -1;
        }
    }
    if (bl_postings_writer_finish(w) ||
        bl_postings_open(&z->p, z->doc_path, z->pos_path, o->universe, BL_DENSE_RATIO,
                         BL_CODEC_DEFAULT, 1)) {
        fprintf(stderr, "byline-bench: %s\n", bl_error_detail());
        return -1;
    }
    return 0;
}

/* Checks that the lists read back as drawn (the same seed draws them again). */
static int zipf_check(const bench_opts *o, const dataset *d)
{
    uint64_t rng = o->seed ? o->seed : 1;
    static const double ranks[] = {1, 1, 10, 100, 1000};
    for (size_t i = 0; i < 1 + NSKEWS; i++) {
        synth_list l;
        if (bench_synth_list(&rng, o->universe, ZIPF_TOP_DENSITY / pow(ranks[i], ZIPF_S), &l))
            return -1;
        const list_in *li = &d->lists[i];
        int same = l.n == li->info.doc_freq &&
                   memcmp(l.docs, li->docs, (size_t)l.n * sizeof *l.docs) == 0 &&
                   memcmp(l.tfs, li->tfs, (size_t)l.n * sizeof *l.tfs) == 0;
        bench_synth_free(&l);
        if (!same) {
            fprintf(stderr, "byline-bench: list %s does not read back as written\n", li->label);
            return -1;
        }
    }
    return 0;
}

static int zipf_rows(const bench_opts *o)
{
    dataset d;
    memset(&d, 0, sizeof d);
    zipf_files z;
    memset(&z, 0, sizeof z);
    snprintf(z.dir, sizeof z.dir, "/tmp/byline-bench-XXXXXX");
    if (!mkdtemp(z.dir)) {
        perror("byline-bench: mkdtemp");
        return -1;
    }
    snprintf(z.doc_path, sizeof z.doc_path, "%s/s.doc", z.dir);
    snprintf(z.pos_path, sizeof z.pos_path, "%s/s.pos", z.dir);
    snprintf(d.name, sizeof d.name, "zipf-s%.1f-seed%llu", ZIPF_S, (unsigned long long)o->seed);
    int rc = -1;
    if (zipf_write(o, &z, &d))
        goto done;
    d.p = z.p;
    d.doc_count = o->universe;
    d.noffsets = 1 + NSKEWS;
    if (!(d.offsets = malloc(d.noffsets * sizeof *d.offsets)))
        goto done;
    for (size_t i = 0; i < d.noffsets; i++)
        d.offsets[i] = d.lists[i].info.postings_offset;
    qsort(d.offsets, d.noffsets, sizeof *d.offsets, cmp_u64);
    for (size_t i = 0; i < 1 + NSKEWS; i++)
        if (list_load(&d, &d.lists[i]))
            goto done;
    if (zipf_check(o, &d))
        goto done;
    fprintf(stderr, "byline-bench: %s: %u documents, lists of %u, %u, %u, %u, %u docs\n", d.name,
            d.doc_count, d.lists[0].info.doc_freq, d.lists[1].info.doc_freq,
            d.lists[2].info.doc_freq, d.lists[3].info.doc_freq, d.lists[4].info.doc_freq);
    rc = dataset_rows(o, &d, 1);
done:
    dataset_release(&d);
    zipf_files_remove(&z);
    return rc;
}

/* ---- an index ----------------------------------------------------------- */

typedef struct {
    char *term;
    bl_terminfo info;
} term_entry;

typedef struct {
    term_entry *e;
    size_t n, cap;
} term_list;

static int collect_term(void *ctx, const char *term, size_t len, const bl_terminfo *info)
{
    term_list *t = ctx;
    if (bl_term_is_pair(term, len))
        return 0; /* lists of words only */
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 4096;
        term_entry *grown = realloc(t->e, cap * sizeof *grown);
        if (!grown)
            return BL_ENOMEM;
        t->e = grown;
        t->cap = cap;
    }
    if (!(t->e[t->n].term = strndup(term, len)))
        return BL_ENOMEM;
    t->e[t->n++].info = *info;
    return 0;
}

/* Most documents first; ties in term order, so the choice is repeatable. */
static int cmp_df_desc(const void *a, const void *b)
{
    const term_entry *x = a, *y = b;
    if (x->info.doc_freq != y->info.doc_freq)
        return x->info.doc_freq < y->info.doc_freq ? 1 : -1;
    return strcmp(x->term, y->term);
}

/* Lists are picked among words: numbers ("2.2", "1987") would make odd
 * query terms. */
static int is_word(const char *term)
{
    return strpbrk(term, "0123456789") == NULL;
}

/* The word, other than the taken ones, whose doc count is nearest target
 * as a ratio; t->n if there is none. */
static size_t nearest_df(const term_list *t, double target, const size_t *taken, size_t ntaken)
{
    size_t best = t->n;
    double best_dist = INFINITY;
    for (size_t i = 0; i < t->n; i++) {
        int used = !is_word(t->e[i].term);
        for (size_t k = 0; k < ntaken; k++)
            used |= taken[k] == i;
        double dist = fabs(log((double)t->e[i].info.doc_freq / target));
        if (!used && dist < best_dist) {
            best = i;
            best_dist = dist;
        }
    }
    return best;
}

/* The long list is the most frequent word; its partner at 1:1 the next
 * one, at 1:k the word nearest df / k. */
static int pick_lists(const term_list *t, dataset *d)
{
    size_t taken[1 + NSKEWS];
    taken[0] = 0;
    while (taken[0] < t->n && !is_word(t->e[taken[0]].term))
        taken[0]++;
    for (size_t i = 1; i < 1 + NSKEWS && taken[0] < t->n; i++) {
        double target = (double)t->e[taken[0]].info.doc_freq / skews[i - 1];
        if ((taken[i] = nearest_df(t, target, taken, i)) == t->n) {
            taken[0] = t->n;
            break;
        }
    }
    if (taken[0] == t->n) {
        fprintf(stderr, "byline-bench: the index has fewer than %zu words\n", 1 + NSKEWS);
        return -1;
    }
    for (size_t i = 0; i < 1 + NSKEWS; i++) {
        snprintf(d->lists[i].label, sizeof d->lists[i].label, "%s", t->e[taken[i]].term);
        d->lists[i].info = t->e[taken[i]].info;
    }
    return 0;
}

/* The index's own analysis of a phrase, when it gives exactly two terms. */
static int phrase_terms(bl_analyzer *an, const char *phrase, char out[2][BL_TERM_MAX_BYTES + 1])
{
    bl_term_occ occ;
    int n = 0, rc;
    bl_analyzer_reset(an, phrase, strlen(phrase), 0);
    while ((rc = bl_analyzer_next(an, &occ)) == 1) {
        if (n < 2)
            snprintf(out[n], BL_TERM_MAX_BYTES + 1, "%s", occ.term);
        n++;
    }
    return rc == 0 && n == 2 ? 0 : -1;
}

static int index_phrase_rows(const bench_opts *o, const bl_index *idx, const bl_segment *seg,
                             const dataset *d)
{
    bl_analyzer *an;
    if (bl_analyzer_new(&an, bl_index_manifest(idx)->lang)) {
        fprintf(stderr, "byline-bench: %s\n", bl_error_detail());
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; i < sizeof index_phrases / sizeof *index_phrases && !rc; i++) {
        char terms[2][BL_TERM_MAX_BYTES + 1], input[700];
        bl_terminfo a, b;
        const bl_termdict *td = bl_segment_termdict(seg);
        if (phrase_terms(an, index_phrases[i], terms) ||
            bl_termdict_lookup(td, terms[0], strlen(terms[0]), &a) ||
            bl_termdict_lookup(td, terms[1], strlen(terms[1]), &b)) {
            fprintf(stderr, "byline-bench: \"%s\" is not two terms of the index; left out\n",
                    index_phrases[i]);
            continue;
        }
        snprintf(input, sizeof input, "%s:%s+%s", d->name, terms[0], terms[1]);
        rc = phrase_rows(o, d, input, index_phrases[i], NULL, &a, &b);
    }
    bl_analyzer_free(an);
    return rc;
}

/* ---- top-k rows --------------------------------------------------------- */

/* Hits kept by the top-k rows, as on a results page. */
#define TOPK 10
#define QUERY_MAX_TERMS 3

/* Fixed queries of two and three frequent news words, each run as an OR
 * and as an AND of its terms; one whose words are not all in the index is
 * left out. */
static const char *const index_queries[] = {"bank rates",       "oil market",
                                            "bank shares",      "bank interest rates",
                                            "oil trade market", "dollar profit shares"};

typedef struct {
    char terms[QUERY_MAX_TERMS][BL_TERM_MAX_BYTES + 1];
    size_t n;
} term_set;

/* Terms are at most BL_TERM_MAX_BYTES (a list's label is its term). */
static void set_term(term_set *t, size_t i, const char *term)
{
    snprintf(t->terms[i], sizeof t->terms[i], "%.*s", BL_TERM_MAX_BYTES, term);
}

/* A node of kind (BL_Q_TERM, or BL_Q_PHRASE of words side by side) over
 * t->terms[from..from+n); NULL when out of memory. */
static bl_qnode *leaf_new(bl_qkind kind, const term_set *t, size_t from, size_t n)
{
    bl_qnode *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    q->kind = kind;
    q->terms = calloc(n, sizeof *q->terms);
    if (kind == BL_Q_PHRASE && (q->positions = calloc(n, sizeof *q->positions)) != NULL)
        for (size_t i = 0; i < n; i++)
            q->positions[i] = (uint32_t)i;
    if (!q->terms || (kind == BL_Q_PHRASE && !q->positions)) {
        bl_qnode_free(q);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (!(q->terms[i] = strdup(t->terms[from + i]))) {
            bl_qnode_free(q);
            return NULL;
        }
        q->nterms++;
    }
    return q;
}

/* The phrase of t's terms, or the AND or OR of one term node each (the
 * tree bl_query_parse gives for "a b c" or "a OR b OR c"); NULL when out
 * of memory. Built by hand: the terms are stems already. */
static bl_qnode *query_new(bl_qkind kind, const term_set *t)
{
    if (kind == BL_Q_PHRASE)
        return leaf_new(kind, t, 0, t->n);
    bl_qnode *q = calloc(1, sizeof *q);
    if (!q || !(q->kids = calloc(t->n, sizeof *q->kids))) {
        free(q);
        return NULL;
    }
    q->kind = kind;
    for (; q->nkids < t->n; q->nkids++) {
        if (!(q->kids[q->nkids] = leaf_new(BL_Q_TERM, t, q->nkids, 1))) {
            bl_qnode_free(q);
            return NULL;
        }
    }
    return q;
}

/* The index-wide document frequency of term; 0 if it is nowhere (or the
 * dictionary is damaged: then the search reports it). */
static uint64_t index_df(const bl_index *idx, const char *term)
{
    uint64_t df;
    return bl_index_doc_freq(idx, term, strlen(term), &df) == 0 ? df : 0;
}

typedef struct {
    const bl_index *idx;
    const bl_qnode *q;
    bl_search_opts opts;
} topk_ctx;

static int op_topk(void *ctx, uint64_t *result)
{
    topk_ctx *c = ctx;
    bl_bm25 params = BL_BM25_DEFAULT;
    bl_results r;
    int rc = bl_search_ex(c->idx, c->q, TOPK, &params, &c->opts, &r);
    if (rc)
        return rc;
    *result = r.total + (r.nhits ? r.hits[0].doc : 0);
    bl_results_release(&r);
    return 0;
}

/* Whether pruning kept the exhaustive results: the same ids with the same
 * score bits in the same order, and the exhaustive (exact) total, or at
 * most it when pruning passed documents over. */
static int same_topk(const bl_results *pruned, const bl_results *full)
{
    if (pruned->nhits != full->nhits || full->relation != BL_TOTAL_EQ ||
        (pruned->relation == BL_TOTAL_EQ ? pruned->total != full->total
                                         : pruned->total > full->total))
        return 0;
    for (size_t i = 0; i < full->nhits; i++)
        if (pruned->hits[i].doc != full->hits[i].doc ||
            memcmp(&pruned->hits[i].score, &full->hits[i].score, sizeof(double)) != 0)
            return 0;
    return 1;
}

/* Rows of op for the query of kind over t: bl_search_ex's top TOPK with
 * pruning ("byline", default options) and without ("byline-exhaustive"),
 * timed once both are seen to give the same hits. */
static int topk_rows(const bench_opts *o, const bl_index *idx, const char *name, const char *op,
                     const char *skew, bl_qkind kind, const term_set *t)
{
    bl_qnode *q = query_new(kind, t);
    if (!q) {
        fprintf(stderr, "byline-bench: out of memory\n");
        return -1;
    }
    char desc[3 * (BL_TERM_MAX_BYTES + 1) + 32];
    bl_qnode_describe(q, desc, sizeof desc);
    row r = {op, "byline", "", skew, NULL, NULL, (uint32_t)bl_index_doc_count(idx), 0, 0, 0, 0, 0,
             desc, TOPK, "eq", BL_TOTAL_THRESHOLD};
    int len = snprintf(r.input, sizeof r.input, "%s:", name);
    for (size_t i = 0; i < t->n; i++) {
        r.n += index_df(idx, t->terms[i]);
        len += snprintf(r.input + len, sizeof r.input - (size_t)len, "%s%s", i ? "+" : "",
                        t->terms[i]);
    }
    topk_ctx pruned = {idx, q, BL_SEARCH_OPTS_DEFAULT}, full = {idx, q, {1, UINT64_MAX, 1}};
    bl_bm25 params = BL_BM25_DEFAULT;
    bl_results rp = {0}, rf = {0};
    int rc = -1;
    if (bl_search_ex(idx, q, TOPK, &params, &pruned.opts, &rp) ||
        bl_search_ex(idx, q, TOPK, &params, &full.opts, &rf)) {
        fprintf(stderr, "byline-bench: %s on %s: %s\n", op, r.input, bl_error_detail());
        goto done;
    }
    if (!same_topk(&rp, &rf)) {
        wrong_result(&r);
        goto done;
    }
    r.result = rp.total;
    r.relation = rp.relation == BL_TOTAL_EQ ? "eq" : "gte";
    if (time_row(o, &r, op_topk, &pruned))
        goto done;
    r.impl = "byline-exhaustive";
    r.result = rf.total;
    r.relation = "eq";
    r.total_threshold = 0;
    rc = time_row(o, &r, op_topk, &full);
done:
    bl_results_release(&rp);
    bl_results_release(&rf);
    bl_qnode_free(q);
    return rc;
}

/* The index's own analysis of text into t: 0 if it gives from 1 to
 * QUERY_MAX_TERMS terms, each somewhere in idx. */
static int analyze_terms(bl_analyzer *an, const bl_index *idx, const char *text, term_set *t)
{
    bl_term_occ occ;
    int rc;
    t->n = 0;
    bl_analyzer_reset(an, text, strlen(text), 0);
    while ((rc = bl_analyzer_next(an, &occ)) == 1) {
        if (t->n == QUERY_MAX_TERMS)
            return -1;
        set_term(t, t->n++, occ.term);
    }
    for (size_t i = 0; i < t->n && rc == 0; i++)
        rc = index_df(idx, t->terms[i]) ? 0 : -1;
    return rc == 0 && t->n > 0 ? 0 : -1;
}

/* Top-k rows on an index: the OR and the AND of each pair the intersect
 * rows use, of the three most frequent of those words, and of the fixed
 * queries; each real phrase beside the AND of its words. */
static int index_topk_rows(const bench_opts *o, const bl_index *idx, const dataset *d)
{
    term_set t;
    int rc = 0;
    for (size_t i = 0; i < NSKEWS && !rc; i++) {
        char skew[32];
        snprintf(skew, sizeof skew, "1:%u", skews[i]);
        t.n = 2;
        set_term(&t, 0, d->lists[0].label);
        set_term(&t, 1, d->lists[1 + i].label);
        rc = topk_rows(o, idx, d->name, "topk_or", skew, BL_Q_OR, &t) ||
             topk_rows(o, idx, d->name, "topk_and", skew, BL_Q_AND, &t);
    }
    t.n = 3;
    for (size_t i = 0; i < 3; i++)
        set_term(&t, i, d->lists[i].label);
    rc = rc || topk_rows(o, idx, d->name, "topk_or", NULL, BL_Q_OR, &t) ||
         topk_rows(o, idx, d->name, "topk_and", NULL, BL_Q_AND, &t);
    bl_analyzer *an;
    if (rc || bl_analyzer_new(&an, bl_index_manifest(idx)->lang)) {
        if (!rc)
            fprintf(stderr, "byline-bench: %s\n", bl_error_detail());
        return -1;
    }
    for (size_t i = 0; i < sizeof index_queries / sizeof *index_queries && !rc; i++) {
        if (analyze_terms(an, idx, index_queries[i], &t) || t.n < 2) {
            fprintf(stderr, "byline-bench: \"%s\" is not 2 or 3 words of the index; left out\n",
                    index_queries[i]);
            continue;
        }
        rc = topk_rows(o, idx, d->name, "topk_or", NULL, BL_Q_OR, &t) ||
             topk_rows(o, idx, d->name, "topk_and", NULL, BL_Q_AND, &t);
    }
    for (size_t i = 0; i < sizeof index_phrases / sizeof *index_phrases && !rc; i++) {
        if (analyze_terms(an, idx, index_phrases[i], &t) || t.n != 2)
            continue; /* index_phrase_rows said so */
        rc = topk_rows(o, idx, d->name, "topk_phrase", NULL, BL_Q_PHRASE, &t) ||
             topk_rows(o, idx, d->name, "topk_and", NULL, BL_Q_AND, &t);
    }
    bl_analyzer_free(an);
    return rc ? -1 : 0;
}

/* The segment with the most documents (it holds the longest lists). */
static size_t largest_segment(const bl_index *idx)
{
    size_t best = 0;
    for (size_t i = 1; i < bl_index_segment_count(idx); i++)
        if (bl_segment_info(bl_index_segment(idx, i))->doc_count >
            bl_segment_info(bl_index_segment(idx, best))->doc_count)
            best = i;
    return best;
}

/* The name of an index in rows: --index-name, else the folder's base name. */
static void index_name(const bench_opts *o, char *out, size_t size)
{
    if (o->index_name) {
        snprintf(out, size, "%s", o->index_name);
        return;
    }
    size_t len = strlen(o->index_dir);
    while (len > 1 && o->index_dir[len - 1] == '/')
        len--;
    size_t start = len;
    while (start > 0 && o->index_dir[start - 1] != '/')
        start--;
    snprintf(out, size, "%.*s", (int)(len - start), o->index_dir + start);
}

static int index_rows(const bench_opts *o)
{
    bl_index *idx;
    if (bl_index_open(&idx, o->index_dir, 1)) {
        fprintf(stderr, "byline-bench: %s\n", bl_error_detail());
        return -1;
    }
    dataset d;
    memset(&d, 0, sizeof d);
    term_list t = {NULL, 0, 0};
    int rc = -1;
    if (bl_index_segment_count(idx) == 0) {
        fprintf(stderr, "byline-bench: %s holds no segment\n", o->index_dir);
        goto done;
    }
    bl_segment *seg = bl_index_segment(idx, largest_segment(idx));
    index_name(o, d.name, sizeof d.name);
    d.p = bl_segment_postings(seg);
    d.doc_count = bl_segment_info(seg)->doc_count;
    if (bl_termdict_prefix(bl_segment_termdict(seg), "", 0, collect_term, &t)) {
        fprintf(stderr, "byline-bench: %s\n", bl_error_detail());
        goto done;
    }
    if (!(d.offsets = malloc((t.n ? t.n : 1) * sizeof *d.offsets)))
        goto done;
    for (size_t i = 0; i < t.n; i++)
        d.offsets[d.noffsets++] = t.e[i].info.postings_offset;
    qsort(d.offsets, d.noffsets, sizeof *d.offsets, cmp_u64);
    qsort(t.e, t.n, sizeof *t.e, cmp_df_desc);
    if (pick_lists(&t, &d))
        goto done;
    for (size_t i = 0; i < 1 + NSKEWS; i++)
        if (list_load(&d, &d.lists[i]))
            goto done;
    fprintf(stderr, "byline-bench: %s: segment of %u documents (of %llu in %zu segments), %zu "
                    "terms; lists %s %u, %s %u, %s %u, %s %u, %s %u\n",
            d.name, d.doc_count, (unsigned long long)bl_index_doc_count(idx),
            bl_index_segment_count(idx), t.n, d.lists[0].label, d.lists[0].info.doc_freq,
            d.lists[1].label, d.lists[1].info.doc_freq, d.lists[2].label,
            d.lists[2].info.doc_freq, d.lists[3].label, d.lists[3].info.doc_freq,
            d.lists[4].label, d.lists[4].info.doc_freq);
    if (dataset_rows(o, &d, 0) == 0 && index_phrase_rows(o, idx, seg, &d) == 0 &&
        index_topk_rows(o, idx, &d) == 0)
        rc = 0;
done:
    for (size_t i = 0; i < t.n; i++)
        free(t.e[i].term);
    free(t.e);
    dataset_release(&d);
    bl_index_close(idx);
    return rc;
}

int bench_json_main(const bench_opts *o)
{
    if (!bench_svb_available())
        fprintf(stderr, "byline-bench: built without streamvbyte (libstreamvbyte-dev); "
                        "its decode rows are left out\n");
    if (!bench_roaring_available())
        fprintf(stderr, "byline-bench: built without CRoaring (libroaring-dev); "
                        "its intersect and union rows are left out\n");
    if (zipf_rows(o))
        return 1;
    if (o->index_dir && index_rows(o))
        return 1;
    return 0;
}
