/* bench_postings.c: bin/byline-bench, the benchmark of the posting-merge
 * loop: block decode, iterator walk, two-list intersection and union, and
 * phrase matching, each beside memcpy of the same encoded bytes measured in
 * the same run, so results can be compared across noisy machines as ratios.
 *
 * Inputs are repeatable: synthetic lists drawn from a Zipf-like vocabulary
 * with a fixed seed (--seed), and, with --index DIR, the most frequent
 * terms of a real index. Each figure is the median of --runs repetitions.
 * --json prints rows with outside baselines instead (bench_json.c).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analyzer.h"
#include "bench.h"
#include "bench_bitpack.h"
#include "bench_sizes.h"
#include "bench_store.h"
#include "buf.h"
#include "codec.h"
#include "error.h"
#include "eval.h"
#include "pairs.h"
#include "filefmt.h"
#include "index.h"
#include "postings.h"
#include "query.h"
#include "termdict.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Keeps the optimiser from deleting the measured work. */
static volatile uint64_t sink;

typedef double (*bench_fn)(void *ctx);

/* Median seconds of `runs` calls of fn. */
static double measure(int runs, bench_fn fn, void *ctx)
{
    double t[64];
    if (runs > 64)
        runs = 64;
    fn(ctx); /* warm caches and page in the mapping */
    for (int i = 0; i < runs; i++)
        t[i] = fn(ctx);
    qsort(t, (size_t)runs, sizeof *t, cmp_double);
    return t[runs / 2];
}

/* ---- the measured loops ------------------------------------------------ */

typedef struct {
    const bl_postings *p;
    const bl_terminfo *a, *b;
    const uint8_t *bytes;
    size_t nbytes;
    uint8_t *copy;
} loop_ctx;

static double run_memcpy(void *ctx)
{
    loop_ctx *c = ctx;
    double t0 = now_s();
    memcpy(c->copy, c->bytes, c->nbytes);
    sink += c->copy[c->nbytes / 2];
    return now_s() - t0;
}

static double run_walk(void *ctx)
{
    loop_ctx *c = ctx;
    bl_posting_iter *it;
    if (bl_posting_iter_new(c->p, c->a, &it))
        return 0;
    bl_docset *d = bl_posting_iter_docset(it);
    double t0 = now_s();
    uint64_t sum = 0;
    for (uint32_t doc = d->doc; doc != BL_DOC_END; doc = bl_docset_next(d))
        sum += doc + bl_posting_iter_freq(it);
    double t = now_s() - t0;
    sink += sum;
    bl_docset_free(d);
    return t;
}

/* Opens iterators over lists a and b; -1 (nothing open) on failure. */
static int open_pair(const loop_ctx *c, bl_posting_iter **ia, bl_posting_iter **ib)
{
    return bench_open_pair(c->p, c->a, c->b, ia, ib) ? -1 : 0;
}

static double run_intersect(void *ctx)
{
    loop_ctx *c = ctx;
    bl_posting_iter *ia, *ib;
    if (open_pair(c, &ia, &ib))
        return 0;
    bl_docset *x = bl_posting_iter_docset(ia), *y = bl_posting_iter_docset(ib);
    double t0 = now_s();
    uint64_t hits = bench_leapfrog(ia, ib);
    double t = now_s() - t0;
    sink += hits;
    bl_docset_free(x);
    bl_docset_free(y);
    return t;
}

static double run_union(void *ctx)
{
    loop_ctx *c = ctx;
    bl_posting_iter *ia, *ib;
    if (open_pair(c, &ia, &ib))
        return 0;
    bl_docset *x = bl_posting_iter_docset(ia), *y = bl_posting_iter_docset(ib);
    double t0 = now_s();
    uint64_t n = bench_merge(ia, ib);
    double t = now_s() - t0;
    sink += n;
    bl_docset_free(x);
    bl_docset_free(y);
    return t;
}

/* Phrase "a b": intersect, then compare position lists where docs agree. */
static double run_phrase(void *ctx)
{
    loop_ctx *c = ctx;
    bl_posting_iter *ia, *ib;
    if (open_pair(c, &ia, &ib))
        return 0;
    int err;
    double t0 = now_s();
    uint64_t hits = bench_phrase(ia, ib, &err);
    double t = now_s() - t0;
    sink += hits;
    bl_docset_free(bl_posting_iter_docset(ia));
    bl_docset_free(bl_posting_iter_docset(ib));
    return t;
}

/* ---- reporting --------------------------------------------------------- */

static void report(const char *what, uint64_t ints, double secs, double memcpy_secs)
{
    double ns = ints ? secs * 1e9 / (double)ints : 0;
    printf("  %-34s %11llu ints  %8.1f Mint/s  %6.2f ns/int", what, (unsigned long long)ints,
           secs > 0 ? ints / secs / 1e6 : 0.0, ns);
    if (memcpy_secs > 0)
        printf("  %7.1fx memcpy time", secs / memcpy_secs);
    putchar('\n');
}

static void bench_pair(const bench_opts *o, const bl_postings *p, const char *label_a,
                       const bl_terminfo *a, uint64_t bytes_a, const char *label_b,
                       const bl_terminfo *b, uint64_t bytes_b, const uint8_t *base)
{
    loop_ctx c = {p, a, b, NULL, 0, NULL};
    /* The doc lists of both terms, copied as one run of bytes. */
    c.bytes = base;
    c.nbytes = (size_t)(bytes_a + bytes_b);
    c.copy = malloc(c.nbytes ? c.nbytes : 1);
    double mc = measure(o->runs, run_memcpy, &c);
    printf("\n%s (df %u) and %s (df %u): %zu bytes of doc lists, memcpy %.2f GB/s\n", label_a,
           a->doc_freq, label_b, b->doc_freq, c.nbytes, mc > 0 ? c.nbytes / mc / 1e9 : 0.0);
    loop_ctx ca = c;
    ca.b = a;
    double wa = measure(o->runs, run_walk, &ca);
    report("walk (decode doc+tf) list A", (uint64_t)a->doc_freq * 2, wa, mc * bytes_a / (double)c.nbytes);
    loop_ctx cb = c;
    cb.a = b;
    double wb = measure(o->runs, run_walk, &cb);
    report("walk (decode doc+tf) list B", (uint64_t)b->doc_freq * 2, wb, mc * bytes_b / (double)c.nbytes);
    uint64_t both = (uint64_t)a->doc_freq + b->doc_freq;
    report("intersect A AND B (leapfrog)", both, measure(o->runs, run_intersect, &c), mc);
    report("union A OR B", both, measure(o->runs, run_union, &c), mc);
    report("phrase \"A B\" (positions)", both, measure(o->runs, run_phrase, &c), mc);
    free(c.copy);
}

/* ---- synthetic lists --------------------------------------------------- */

static int bench_synthetic(const bench_opts *o)
{
    /* Zipf: the r-th most frequent word occurs in about 1/r of the documents
     * for a top density of 0.5; we take ranks 1, 8 and 64. */
    static const double densities[] = {0.5, 0.5 / 8, 0.5 / 64};
    static const char *names[] = {"zipf rank 1", "zipf rank 8", "zipf rank 64"};
    char dir[] = "/tmp/byline-bench-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    char dpath[64], ppath[64];
    snprintf(dpath, sizeof dpath, "%s/s.doc", dir);
    snprintf(ppath, sizeof ppath, "%s/s.pos", dir);
    uint32_t *lens = malloc((size_t)o->universe * sizeof *lens);
    for (uint32_t i = 0; i < o->universe; i++)
        lens[i] = 300;
    uint64_t rng = o->seed;
    bl_postings_writer *w;
    bl_terminfo info[3];
    uint64_t bytes[3];
    int rc = bl_postings_writer_new(&w, dpath, ppath, o->universe, BL_DENSE_RATIO,
                                    BL_CODEC_DEFAULT);
    for (int i = 0; i < 3 && !rc; i++) {
        synth_list l;
        if (bench_synth_list(&rng, o->universe, densities[i], &l)) {
            bl_postings_writer_abort(w);
            free(lens);
            fprintf(stderr, "byline-bench: out of memory\n");
            return 1;
        }
        rc = bl_postings_writer_add(w, l.docs, l.tfs, l.n, l.pos, lens, &info[i]);
        bench_synth_free(&l);
    }
    if (!rc)
        rc = bl_postings_writer_finish(w);
    free(lens);
    bl_postings *p = NULL;
    if (!rc)
        rc = bl_postings_open(&p, dpath, ppath, o->universe, BL_DENSE_RATIO, BL_CODEC_DEFAULT, 1);
    if (rc) {
        fprintf(stderr, "byline-bench: %s\n", bl_error_detail());
        return 1;
    }
    uint64_t total = bl_postings_docs_bytes(p);
    for (int i = 0; i < 3; i++)
        bytes[i] = (i < 2 ? info[i + 1].postings_offset : total) - info[i].postings_offset;
    printf("synthetic: universe %u documents, seed %llu, lists of df %u, %u, %u\n", o->universe,
           (unsigned long long)o->seed, info[0].doc_freq, info[1].doc_freq, info[2].doc_freq);
    /* The encoded lists are adjacent in the file; memcpy copies their bytes. */
    bl_mapped m;
    bl_file_map(&m, dpath, BL_KIND_DOCS, 0);
    bench_pair(o, p, names[0], &info[0], bytes[0], names[1], &info[1], bytes[1],
               m.data + info[0].postings_offset);
    bench_pair(o, p, names[1], &info[1], bytes[1], names[2], &info[2], bytes[2],
               m.data + info[1].postings_offset);
    bl_file_unmap(&m);
    bl_postings_close(p);
    remove(dpath);
    remove(ppath);
    remove(dir);
    return 0;
}

/* ---- the evaluator itself ---------------------------------------------- */

typedef struct {
    const bl_index *idx;
    bl_qnode *q;
} search_ctx;

static double run_search(void *ctx)
{
    search_ctx *c = ctx;
    bl_results r;
    bl_bm25 p = BL_BM25_DEFAULT;
    double t0 = now_s();
    int rc = bl_search(c->idx, c->q, 10, &p, &r);
    double t = now_s() - t0;
    if (!rc) {
        sink += r.total;
        bl_results_release(&r);
    }
    return t;
}

/* Times bl_search (scorers, BM25, top-10 heap) on queries over terms a and
 * b: the loop a user's query runs, beside the bare loops above. */
static void bench_queries(const bench_opts *o, const bl_index *idx, const char *a,
                          const char *b, uint64_t postings)
{
    bl_analyzer *an;
    if (bl_analyzer_new(&an, "none"))
        return;
    char text[3][600];
    snprintf(text[0], sizeof text[0], "%s %s", a, b);
    snprintf(text[1], sizeof text[1], "%s OR %s", a, b);
    snprintf(text[2], sizeof text[2], "\"%s %s\"", a, b);
    static const char *what[] = {"bl_search A B (BM25, top 10)", "bl_search A OR B",
                                 "bl_search \"A B\""};
    for (int i = 0; i < 3; i++) {
        search_ctx c = {idx, NULL};
        size_t pos;
        bl_query_opts qo = {0};
        if (bl_query_parse(text[i], an, &qo, &c.q, &pos))
            continue;
        double t = measure(o->runs, run_search, &c);
        report(what[i], postings, t, 0);
        bl_qnode_free(c.q);
    }
    bl_analyzer_free(an);
}

/* ---- lists from a real index ------------------------------------------- */

typedef struct {
    char term[256];
    bl_terminfo info;
} top_term;

typedef struct {
    top_term *top;
    int n, cap;
    uint64_t *offsets; /* every term's postings offset, to size lists */
    size_t noff, off_cap;
} top_ctx;

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Bytes of a list: up to the next list's start (or the end of the file). */
static uint64_t list_size(const top_ctx *t, uint64_t file_bytes, uint64_t off)
{
    size_t lo = 0, hi = t->noff;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (t->offsets[mid] <= off)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (lo < t->noff ? t->offsets[lo] : file_bytes) - off;
}

static int collect_top(void *ctx, const char *term, size_t len, const bl_terminfo *info)
{
    top_ctx *t = ctx;
    if (t->noff == t->off_cap) {
        t->off_cap = t->off_cap ? t->off_cap * 2 : 4096;
        t->offsets = realloc(t->offsets, t->off_cap * sizeof *t->offsets);
        if (!t->offsets)
            return BL_ENOMEM;
    }
    t->offsets[t->noff++] = info->postings_offset;
    if (bl_term_is_pair(term, len))
        return 0; /* the lists of words only */
    int slot = -1;
    if (t->n < t->cap)
        slot = t->n++;
    else {
        int min = 0;
        for (int i = 1; i < t->n; i++)
            if (t->top[i].info.doc_freq < t->top[min].info.doc_freq)
                min = i;
        if (t->top[min].info.doc_freq < info->doc_freq)
            slot = min;
    }
    if (slot >= 0) {
        snprintf(t->top[slot].term, sizeof t->top[slot].term, "%.*s", (int)len, term);
        t->top[slot].info = *info;
    }
    return 0;
}

static int cmp_top(const void *a, const void *b)
{
    const top_term *x = a, *y = b;
    return (x->info.doc_freq < y->info.doc_freq) - (x->info.doc_freq > y->info.doc_freq);
}

static int bench_index(const bench_opts *o)
{
    bl_index *idx;
    int rc = bl_index_open(&idx, o->index_dir, 0);
    if (rc) {
        fprintf(stderr, "byline-bench: %s\n", bl_error_detail());
        return 1;
    }
    /* The largest segment holds the longest lists. */
    size_t best = 0;
    for (size_t i = 1; i < bl_index_segment_count(idx); i++)
        if (bl_segment_info(bl_index_segment(idx, i))->doc_count >
            bl_segment_info(bl_index_segment(idx, best))->doc_count)
            best = i;
    bl_segment *seg = bl_index_segment(idx, best);
    top_ctx t = {calloc((size_t)o->top_terms, sizeof(top_term)), 0, o->top_terms, NULL, 0, 0};
    if (bl_termdict_prefix(bl_segment_termdict(seg), "", 0, collect_top, &t)) {
        fprintf(stderr, "byline-bench: %s\n", bl_error_detail());
        return 1;
    }
    qsort(t.offsets, t.noff, sizeof *t.offsets, cmp_u64);
    qsort(t.top, (size_t)t.n, sizeof *t.top, cmp_top);
    printf("\nindex %s: segment %zu of %zu, %u documents; %d most frequent terms\n", o->index_dir,
           best + 1, bl_index_segment_count(idx), bl_segment_info(seg)->doc_count, t.n);
    const bl_postings *p = bl_segment_postings(seg);
    char dpath[4096];
    bl_segment_path(dpath, sizeof dpath, o->index_dir, bl_segment_info(seg)->id, "doc");
    bl_mapped m;
    if (bl_file_map(&m, dpath, BL_KIND_DOCS, 0) == 0) {
        /* Pairs: most frequent with the 2nd, and with the median of the top. */
        for (int k = 1; k < t.n && k <= 2; k++) {
            int j = k == 1 ? 1 : t.n / 2;
            top_term *a = &t.top[0], *b = &t.top[j];
            uint64_t sa = list_size(&t, m.len, a->info.postings_offset);
            uint64_t sb = list_size(&t, m.len, b->info.postings_offset);
            /* memcpy copies A's bytes and as many following bytes as B has. */
            if (a->info.postings_offset + sa + sb > m.len)
                sb = m.len - a->info.postings_offset - sa;
            bench_pair(o, p, a->term, &a->info, sa, b->term, &b->info, sb,
                       m.data + a->info.postings_offset);
            bench_queries(o, idx, a->term, b->term,
                          (uint64_t)a->info.doc_freq + b->info.doc_freq);
        }
        bl_file_unmap(&m);
    }
    free(t.top);
    free(t.offsets);
    bl_index_close(idx);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--store") == 0)
        return bl_bench_store(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "--sizes") == 0)
        return bl_bench_sizes(argc - 1, argv + 1);
    bench_opts o = {0, 42, 4000000, NULL, NULL, 50, 50};
    int json = 0, bitpack = 0;
    enum { OPT_JSON = 256, OPT_MIN_MS, OPT_INDEX_NAME };
    static const struct option longs[] = {
        {"runs", required_argument, 0, 'r'},  {"seed", required_argument, 0, 's'},
        {"universe", required_argument, 0, 'u'}, {"index", required_argument, 0, 'i'},
        {"json", no_argument, 0, OPT_JSON},   {"min-ms", required_argument, 0, OPT_MIN_MS},
        {"index-name", required_argument, 0, OPT_INDEX_NAME},
        {"bitpack", no_argument, 0, 'b'},
        {"help", no_argument, 0, 'h'},        {0, 0, 0, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "r:s:u:i:h", longs, NULL)) != -1) {
        switch (c) {
        case 'r': o.runs = atoi(optarg) > 0 ? atoi(optarg) : 1; break;
        case 's': o.seed = strtoull(optarg, NULL, 10); break;
        case 'u': o.universe = (uint32_t)strtoul(optarg, NULL, 10); break;
        case 'i': o.index_dir = optarg; break;
        case OPT_JSON: json = 1; break;
        case OPT_MIN_MS: o.min_run_ms = atof(optarg) > 0 ? atof(optarg) : 0; break;
        case OPT_INDEX_NAME: o.index_name = optarg; break;
        case 'b': bitpack = 1; break;
        case 'h':
            printf("usage: byline-bench [--json] [--runs N] [--min-ms MS] [--seed S]\n"
                   "                    [--universe DOCS] [--index DIR [--index-name NAME]]\n"
                   "       byline-bench --bitpack [--runs N] [--seed S]\n"
                   "       byline-bench --store ... | --sizes ... (--help for each)\n"
                   "Benchmarks the posting-merge loop (decode, intersect, union, phrase) on\n"
                   "synthetic Zipf lists and, with --index, on the most frequent terms of an\n"
                   "index. The table (default) gives medians of N runs (default 7) beside\n"
                   "memcpy of the same bytes; --json prints one JSON object per row instead,\n"
                   "with streamvbyte and CRoaring baselines when built in, each figure the\n"
                   "fastest of N runs (default 5) of at least MS milliseconds (default 50).\n"
                   "--bitpack times codec 2's bit packing (ns/int per width and path).\n");
            return 0;
        default: return 2;
        }
    }
    if (bitpack)
        return bench_bitpack(o.runs ? o.runs : 7, o.seed);
    if (json) {
        if (!o.runs)
            o.runs = 5;
        return bench_json_main(&o);
    }
    if (!o.runs)
        o.runs = 7;
    printf("byline-bench: median of %d runs; \"x memcpy time\" = loop time / memcpy time of the "
           "same encoded bytes\n",
           o.runs);
    if (bench_synthetic(&o))
        return 1;
    if (o.index_dir && bench_index(&o))
        return 1;
    return 0;
}
