/* bench_store.c: byline-bench --store, what reaching a stored article
 * costs: fetching random documents of a real index (a fixed seed), reading
 * them in document order, and, for the top hits of a file of queries, the
 * fetch and the snippet of each hit, as search does it. Beside them,
 * memcpy of the fetched bytes, measured in the same run. Each figure is
 * the median of --runs repetitions; the first repetition also pays for
 * verifying the pages it touches. Times are the process's CPU time, not
 * wall time, so that other work on a shared machine counts less.
 */
#include "bench_store.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analyzer.h"
#include "docstore.h"
#include "error.h"
#include "eval.h"
#include "index.h"
#include "query.h"
#include "segment.h"
#include "snippet.h"

typedef struct {
    const char *index_dir;
    const char *queries;
    uint64_t seed;
    int runs;
    uint32_t fetches;
    size_t k;
} store_opts;

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545f4914f6cdd1dull;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static volatile uint64_t sink;

/* The stored document with global id doc; strings borrowed until the next
 * fetch from its segment. */
static int fetch(const bl_index *idx, uint32_t doc, bl_stored_doc *out)
{
    size_t seg;
    uint32_t local;
    int rc = bl_index_locate(idx, doc, &seg, &local);
    return rc ? rc : bl_docstore_get(bl_segment_docstore(bl_index_segment(idx, seg)), local, out);
}

static size_t doc_bytes(const bl_stored_doc *d)
{
    return d->id_len + d->title_len + d->text_len + d->source_len + d->date_len + d->url_len;
}

/* Fetches docs[0..n); returns ns per document, or a negative value. */
static double time_fetches(const bl_index *idx, const uint32_t *docs, uint32_t n, uint64_t *bytes)
{
    double t0 = now_ns();
    uint64_t total = 0;
    for (uint32_t i = 0; i < n; i++) {
        bl_stored_doc d;
        if (fetch(idx, docs[i], &d))
            return -1;
        total += doc_bytes(&d) + (unsigned char)d.text[0];
    }
    double t = now_ns() - t0;
    sink += total;
    *bytes = total;
    return t / n;
}

/* The baseline: copying the same bytes (each document's fields laid end to
 * end in one arena beforehand) into one buffer, ns per document. */
static double time_copies(const bl_index *idx, const uint32_t *docs, uint32_t n, int runs,
                          double *out)
{
    size_t *len = malloc(n * sizeof *len), total = 0, longest = 0;
    char *arena = NULL, *buf = NULL;
    int rc = -1;
    if (!len)
        return -1;
    for (uint32_t i = 0; i < n; i++) {
        bl_stored_doc d;
        if (fetch(idx, docs[i], &d))
            goto out;
        len[i] = doc_bytes(&d);
        total += len[i];
        longest = len[i] > longest ? len[i] : longest;
    }
    if (!(arena = malloc(total + 1)) || !(buf = malloc(longest + 1)))
        goto out;
    for (uint32_t i = 0, at = 0; i < n; at += len[i], i++) {
        bl_stored_doc d;
        if (fetch(idx, docs[i], &d))
            goto out;
        const char *p[6] = {d.id, d.title, d.text, d.source, d.date, d.url};
        size_t l[6] = {d.id_len, d.title_len, d.text_len, d.source_len, d.date_len, d.url_len};
        for (size_t f = 0, w = at; f < 6; w += l[f], f++)
            memcpy(arena + w, p[f], l[f]);
    }
    for (int r = 0; r < runs; r++) {
        double t0 = now_ns();
        size_t at = 0;
        for (uint32_t i = 0; i < n; i++) {
            memcpy(buf, arena + at, len[i]);
            at += len[i];
            sink += (unsigned char)buf[0];
        }
        out[r] = (now_ns() - t0) / n;
    }
    rc = 0;
out:
    free(len);
    free(arena);
    free(buf);
    return rc;
}

static int bench_fetch(const store_opts *o, const bl_index *idx)
{
    uint64_t ndocs = bl_index_doc_space(idx);
    if (ndocs == 0) {
        printf("  (the index holds no documents)\n");
        return 0;
    }
    uint32_t *random = malloc(o->fetches * sizeof *random);
    uint32_t *ordered = malloc(ndocs * sizeof *ordered);
    double *t_rand = malloc(o->runs * sizeof(double));
    double *t_seq = malloc(o->runs * sizeof(double));
    double *t_copy = malloc(o->runs * sizeof(double));
    int rc = 1;
    if (!random || !ordered || !t_rand || !t_seq || !t_copy)
        goto out;
    uint64_t s = o->seed;
    for (uint32_t i = 0; i < o->fetches; i++)
        random[i] = (uint32_t)(rng_next(&s) % ndocs);
    for (uint64_t i = 0; i < ndocs; i++)
        ordered[i] = (uint32_t)i;
    uint64_t bytes = 0, seq_bytes = 0;
    for (int r = 0; r < o->runs; r++) {
        t_rand[r] = time_fetches(idx, random, o->fetches, &bytes);
        t_seq[r] = time_fetches(idx, ordered, (uint32_t)ndocs, &seq_bytes);
        if (t_rand[r] < 0 || t_seq[r] < 0) {
            fprintf(stderr, "byline-bench: %s\n", bl_error_detail());
            goto out;
        }
    }
    if (time_copies(idx, random, o->fetches, o->runs, t_copy)) {
        fprintf(stderr, "byline-bench: %s\n", bl_error_detail());
        goto out;
    }
    printf("  fetch, random documents:  %9.0f ns per article (%u fetches, %.0f bytes each; "
           "memcpy of their bytes %.0f ns)\n",
           median(t_rand, o->runs), o->fetches, (double)bytes / o->fetches,
           median(t_copy, o->runs));
    printf("  fetch, in document order: %9.0f ns per article (%llu articles)\n",
           median(t_seq, o->runs), (unsigned long long)ndocs);
    rc = 0;
out:
    free(random);
    free(ordered);
    free(t_rand);
    free(t_seq);
    free(t_copy);
    return rc;
}

/* The queries of path, one a line, blank and '#' lines skipped. */
static char **read_queries(const char *path, size_t *n)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char **v = NULL, *line = NULL;
    size_t cap = 0, lcap = 0;
    ssize_t len;
    *n = 0;
    while ((len = getline(&line, &lcap, f)) >= 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = 0;
        if (len == 0 || line[0] == '#')
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            char **nv = realloc(v, cap * sizeof *v);
            if (!nv)
                break;
            v = nv;
        }
        if (!(v[*n] = strdup(line)))
            break;
        (*n)++;
    }
    free(line);
    fclose(f);
    return v;
}

typedef struct {
    double fetch, snippet; /* ns, summed over hits */
    size_t hits;
} hit_times;

/* Times the fetch and the snippet of each of the top k hits of every query. */
static int time_hits(const store_opts *o, const bl_index *idx, bl_analyzer *a,
                     bl_qnode *const *qs, size_t nq, hit_times *ht)
{
    bl_bm25 bm25 = BL_BM25_DEFAULT;
    memset(ht, 0, sizeof *ht);
    for (size_t i = 0; i < nq; i++) {
        if (!qs[i])
            continue;
        bl_results r;
        int rc = bl_search(idx, qs[i], o->k, &bm25, &r);
        if (rc)
            return rc;
        /* As search does: one snippet context for the query's hits, its
         * cost counted with the snippets. */
        bl_snippet_ctx *sc = NULL;
        double c0 = now_ns();
        if (r.nhits)
            rc = bl_snippet_ctx_new(&sc, a, qs[i]);
        ht->snippet += now_ns() - c0;
        for (size_t h = 0; !rc && h < r.nhits; h++) {
            bl_stored_doc d;
            bl_snippet snip;
            double t0 = now_ns();
            if ((rc = fetch(idx, r.hits[h].doc, &d)))
                break;
            double t1 = now_ns();
            const char *text = d.text_len ? d.text : d.title;
            size_t len = d.text_len ? d.text_len : d.title_len;
            rc = bl_snippet_ctx_make(sc, text, len, 0, &snip);
            double t2 = now_ns();
            sink += snip.len;
            bl_snippet_release(&snip);
            ht->fetch += t1 - t0;
            ht->snippet += t2 - t1;
            ht->hits++;
        }
        bl_snippet_ctx_free(sc);
        bl_results_release(&r);
        if (rc)
            return rc;
    }
    return 0;
}

static int bench_hits(const store_opts *o, const bl_index *idx)
{
    size_t nq = 0;
    char **lines = read_queries(o->queries, &nq);
    if (!lines) {
        fprintf(stderr, "byline-bench: cannot read %s\n", o->queries);
        return 1;
    }
    bl_analyzer *a = NULL;
    bl_qnode **qs = calloc(nq ? nq : 1, sizeof *qs);
    double *tf = malloc(o->runs * sizeof(double));
    double *ts = malloc(o->runs * sizeof(double));
    int rc = 1;
    if (!qs || !tf || !ts || bl_analyzer_new(&a, bl_index_manifest(idx)->lang))
        goto out;
    bl_query_opts qo = {0};
    for (size_t i = 0; i < nq; i++) {
        size_t pos;
        if (bl_query_parse(lines[i], a, &qo, &qs[i], &pos))
            qs[i] = NULL; /* a malformed query is skipped, as search reports it */
    }
    hit_times ht = {0};
    for (int r = 0; r < o->runs; r++) {
        if (time_hits(o, idx, a, qs, nq, &ht)) {
            fprintf(stderr, "byline-bench: %s\n", bl_error_detail());
            goto out;
        }
        tf[r] = ht.hits ? ht.fetch / ht.hits : 0;
        ts[r] = ht.hits ? ht.snippet / ht.hits : 0;
    }
    double f = median(tf, o->runs), sn = median(ts, o->runs);
    printf("  per hit (%zu queries of %s, top %zu, %zu hits): fetch %.0f ns, snippet %.0f ns, "
           "total %.0f ns\n",
           nq, o->queries, o->k, ht.hits, f, sn, f + sn);
    rc = 0;
out:
    for (size_t i = 0; i < nq; i++) {
        bl_qnode_free(qs ? qs[i] : NULL);
        free(lines[i]);
    }
    free(lines);
    free(qs);
    free(tf);
    free(ts);
    bl_analyzer_free(a);
    return rc;
}

int bl_bench_store(int argc, char **argv)
{
    store_opts o = {NULL, NULL, 42, 7, 20000, 10};
    static const struct option longs[] = {
        {"index", required_argument, 0, 'i'},   {"queries", required_argument, 0, 'q'},
        {"seed", required_argument, 0, 's'},    {"runs", required_argument, 0, 'r'},
        {"fetches", required_argument, 0, 'n'}, {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "i:q:s:r:n:h", longs, NULL)) != -1) {
        switch (c) {
        case 'i': o.index_dir = optarg; break;
        case 'q': o.queries = optarg; break;
        case 's': o.seed = strtoull(optarg, NULL, 10) | 1; break;
        case 'r': o.runs = atoi(optarg) > 0 ? atoi(optarg) : 1; break;
        case 'n': o.fetches = (uint32_t)strtoul(optarg, NULL, 10); break;
        case 'h':
            printf("usage: byline-bench --store --index DIR [--queries FILE] [--seed S] [--runs N]\n"
                   "                    [--fetches N]\n"
                   "Times fetching N stored articles of an index (random ids from seed S; 0\n"
                   "skips this), then every article in document order, and, with --queries, the fetch and the snippet of each\n"
                   "of the top 10 hits of every query; every figure is a median of N runs.\n");
            return 0;
        default: return 2;
        }
    }
    if (!o.index_dir) {
        fprintf(stderr, "byline-bench --store: --index DIR is required\n");
        return 2;
    }
    bl_index *idx;
    if (bl_index_open(&idx, o.index_dir, 0)) {
        fprintf(stderr, "byline-bench: %s\n", bl_error_detail());
        return 1;
    }
    printf("byline-bench --store: %s (%llu documents, %zu segments), seed %llu, median of %d runs, CPU time\n",
           o.index_dir, (unsigned long long)bl_index_doc_count(idx),
           bl_index_segment_count(idx), (unsigned long long)o.seed, o.runs);
    int rc = o.fetches ? bench_fetch(&o, idx) : 0;
    if (!rc && o.queries)
        rc = bench_hits(&o, idx);
    bl_index_close(idx);
    return rc;
}
