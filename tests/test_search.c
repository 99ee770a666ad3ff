/* test_search.c: search results against a brute-force oracle on random
 * corpora and random queries (terms, phrases, prefixes, AND, OR, NOT), over
 * indexes split into several segments. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer.h"
#include "buf.h"
#include "error.h"
#include "eval.h"
#include "filefmt.h"
#include "helpers.h"
#include "impacts.h"
#include "index.h"
#include "pairs.h"
#include "postings.h"
#include "query.h"
#include "segment.h"
#include "snippet.h"

/* Words chosen so that some share stems (sanction/sanctions/sanctioned) and
 * prefixes (mar*, war*). */
static const char *base_vocab[] = {
    "war", "warn", "warning", "ward", "market", "marks", "mars", "march", "sanction",
    "sanctions", "sanctioned", "oil", "opec", "price", "prices", "the", "of", "north", "korea",
    "wagner", "group", "bank", "banks", "rate", "rates", "cut", "gold", "silver", "trade", "deficit",
};
#define NBASE (sizeof base_vocab / sizeof *base_vocab)

/* The words random texts and queries are made of: base_vocab, or that
 * followed by many synthetic words sharing prefixes. */
static const char **vocab = base_vocab;
static uint32_t nvocab = NBASE;

/* Word i of a synthetic vocabulary: "qx" and i in base 26, distinct words. */
static void synthetic_word(uint32_t i, char *w)
{
    size_t n = 0;
    w[n++] = 'q';
    w[n++] = 'x';
    do {
        w[n++] = (char)('a' + i % 26);
        i /= 26;
    } while (i);
    w[n] = 0;
}

typedef struct {
    char **terms; /* analysed terms, by position order */
    uint32_t *ids; /* each term's index in the corpus dictionary */
    uint32_t *pos;
    size_t n;
    uint32_t len;
} odoc;

typedef struct {
    odoc *docs;
    size_t n;
    double avgdl;
    /* distinct terms for df and prefix expansion */
    char **dict;
    uint64_t *df;
    size_t ndict;
} corpus;

static char *random_text(bl_rng *r, size_t max_words)
{
    size_t n = bl_rng_below(r, (uint32_t)max_words + 1);
    size_t cap = n * 12 + 1, len = 0;
    char *s = malloc(cap);
    s[0] = 0;
    for (size_t i = 0; i < n; i++) {
        /* Skewed: low indices are more frequent. */
        uint32_t a = bl_rng_below(r, nvocab), b = bl_rng_below(r, nvocab);
        const char *w = vocab[a < b ? a : b];
        len += (size_t)snprintf(s + len, cap - len, "%s%s", i ? (bl_rng_below(r, 8) ? " " : ", ") : "", w);
    }
    return s;
}

static void analyse_into(bl_analyzer *a, odoc *d, const char *text, uint32_t first, uint32_t *next)
{
    bl_analyzer_reset(a, text, strlen(text), first);
    bl_term_occ t;
    while (bl_analyzer_next(a, &t) == 1) {
        d->terms = realloc(d->terms, (d->n + 1) * sizeof *d->terms);
        d->pos = realloc(d->pos, (d->n + 1) * sizeof *d->pos);
        d->terms[d->n] = strdup(t.term);
        d->pos[d->n] = t.position;
        d->n++;
    }
    *next = bl_analyzer_next_position(a);
}

/* Where t is in the sorted dictionary, or where it would go (*found 0). */
static size_t dict_find(const corpus *c, const char *t, int *found)
{
    size_t lo = 0, hi = c->ndict;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int cmp = strcmp(c->dict[mid], t);
        if (cmp == 0) {
            *found = 1;
            return mid;
        }
        if (cmp < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = 0;
    return lo;
}

static int dict_index(const corpus *c, const char *t)
{
    int found;
    size_t i = dict_find(c, t, &found);
    return found ? (int)i : -1;
}

static void build_oracle(corpus *c, bl_analyzer *a, const bl_article *arts, size_t n)
{
    memset(c, 0, sizeof *c);
    c->docs = calloc(n, sizeof *c->docs);
    c->n = n;
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        odoc *d = &c->docs[i];
        uint32_t next = 0;
        analyse_into(a, d, arts[i].title, 0, &next);
        analyse_into(a, d, arts[i].text, next ? next + 1 : 0, &next);
        d->len = (uint32_t)d->n;
        total += d->len;
        for (size_t k = 0; k < d->n; k++) {
            int seen = 0;
            for (size_t j = 0; j < k; j++)
                seen |= strcmp(d->terms[j], d->terms[k]) == 0;
            if (seen)
                continue;
            int found;
            size_t di = dict_find(c, d->terms[k], &found);
            if (!found) {
                c->dict = realloc(c->dict, (c->ndict + 1) * sizeof *c->dict);
                c->df = realloc(c->df, (c->ndict + 1) * sizeof *c->df);
                memmove(c->dict + di + 1, c->dict + di, (c->ndict - di) * sizeof *c->dict);
                memmove(c->df + di + 1, c->df + di, (c->ndict - di) * sizeof *c->df);
                c->dict[di] = d->terms[k];
                c->df[di] = 0;
                c->ndict++;
            }
            c->df[di]++;
        }
    }
    c->avgdl = n && total ? (double)total / (double)n : 1.0;
    for (size_t i = 0; i < n; i++) {
        odoc *d = &c->docs[i];
        d->ids = malloc((d->n ? d->n : 1) * sizeof *d->ids);
        for (size_t k = 0; k < d->n; k++) {
            int found;
            d->ids[k] = (uint32_t)dict_find(c, d->terms[k], &found);
        }
    }
}

/* Frees the oracle of ndocs documents. */
static void free_oracle(corpus *c, size_t ndocs)
{
    for (size_t i = 0; i < ndocs; i++) {
        for (size_t k = 0; k < c->docs[i].n; k++)
            free(c->docs[i].terms[k]);
        free(c->docs[i].terms);
        free(c->docs[i].ids);
        free(c->docs[i].pos);
    }
    free(c->docs);
    free(c->dict);
    free(c->df);
}

/* Frees random articles (their title and text) and the oracle built on them. */
static void free_corpus(bl_article *arts, corpus *c, size_t ndocs)
{
    for (size_t i = 0; i < ndocs; i++) {
        free((char *)arts[i].title);
        free((char *)arts[i].text);
    }
    free(arts);
    free_oracle(c, ndocs);
}

static double o_idf(const corpus *c, const char *t)
{
    int i = dict_index(c, t);
    double df = i < 0 ? 0 : (double)c->df[i];
    return log(1.0 + ((double)c->n - df + 0.5) / (df + 0.5));
}

/* BM25 of one term in one document, rounded down to a multiple of 2^-36
 * as the engine's is (eval.c: so that sums are exact in any order); the
 * rounding is the engine's documented rule, not its code. */
static double o_bm25(const corpus *c, double idf, double tf, const odoc *d, const bl_bm25 *p)
{
    double s = idf * tf * (p->k1 + 1) / (tf + p->k1 * (1 - p->b + p->b * d->len / c->avgdl));
    return s >= 0 && s < 0x1p26 ? floor(s * 0x1p36) * 0x1p-36 : s;
}

static uint32_t o_tf(const odoc *d, const char *t)
{
    uint32_t tf = 0;
    for (size_t i = 0; i < d->n; i++)
        tf += strcmp(d->terms[i], t) == 0;
    return tf;
}

static int has_term_at(const odoc *d, const char *t, uint64_t pos)
{
    for (size_t i = 0; i < d->n; i++)
        if (d->pos[i] == pos && strcmp(d->terms[i], t) == 0)
            return 1;
    return 0;
}

/* Does term t stand for a prefix (normalised word) with stem (or NULL)? */
static int o_expands(const char *t, const char *prefix, const char *stem)
{
    return strncmp(t, prefix, strlen(prefix)) == 0 || (stem && strcmp(t, stem) == 0);
}

/* Is the k-th occurrence the first of its term in d? */
static int o_first_occurrence(const odoc *d, size_t k)
{
    for (size_t j = 0; j < k; j++)
        if (strcmp(d->terms[j], d->terms[k]) == 0)
            return 0;
    return 1;
}

/* A phrase whose last word is a prefix: the OR of the phrases it expands
 * to, each scored as a phrase (idf of the head's terms plus the expansion's). */
static int o_phrase_prefix(const corpus *c, const odoc *d, const bl_qnode *q, const bl_bm25 *p,
                           double *score)
{
    size_t last = q->nterms - 1;
    double head_idf = 0;
    for (size_t k = 0; k < last; k++)
        head_idf += o_idf(c, q->terms[k]);
    int any = 0;
    /* each distinct expansion e in d: count the phrase occurrences ending in e */
    for (size_t e = 0; e < d->n; e++) {
        if (!o_expands(d->terms[e], q->terms[last], q->last_stem) || !o_first_occurrence(d, e))
            continue;
        uint32_t freq = 0;
        for (size_t i = 0; i < d->n; i++) {
            if (strcmp(d->terms[i], q->terms[0]) != 0)
                continue;
            int ok = 1;
            for (size_t k = 1; k <= last && ok; k++)
                ok = has_term_at(d, k == last ? d->terms[e] : q->terms[k],
                                 (uint64_t)d->pos[i] + q->positions[k] - q->positions[0]);
            freq += ok;
        }
        if (freq) {
            any = 1;
            *score += o_bm25(c, head_idf + o_idf(c, d->terms[e]), freq, d, p);
        }
    }
    return any;
}

/* Returns whether d matches q; adds its BM25 contribution to *score. */
static int o_eval(const corpus *c, const odoc *d, const bl_qnode *q, const bl_bm25 *p,
                  double *score)
{
    switch (q->kind) {
    case BL_Q_TERM: {
        uint32_t tf = o_tf(d, q->terms[0]);
        if (tf)
            *score += o_bm25(c, o_idf(c, q->terms[0]), tf, d, p);
        return tf > 0;
    }
    case BL_Q_PHRASE: {
        if (q->prefix_last)
            return o_phrase_prefix(c, d, q, p, score);
        uint32_t freq = 0;
        for (size_t i = 0; i < d->n; i++) {
            if (strcmp(d->terms[i], q->terms[0]) != 0)
                continue;
            int ok = 1;
            for (size_t k = 1; k < q->nterms && ok; k++)
                ok = has_term_at(d, q->terms[k], (uint64_t)d->pos[i] + q->positions[k] - q->positions[0]);
            freq += ok;
        }
        if (freq) {
            double idf = 0;
            for (size_t k = 0; k < q->nterms; k++)
                idf += o_idf(c, q->terms[k]);
            *score += o_bm25(c, idf, freq, d, p);
        }
        return freq > 0;
    }
    case BL_Q_PREFIX: {
        /* Terms starting with the word, and its stem (terms[1]) exactly:
         * each distinct one in d adds its own BM25. */
        int any = 0;
        for (size_t k = 0; k < d->n; k++) {
            const char *t = d->terms[k];
            if (!o_expands(t, q->terms[0], q->nterms > 1 ? q->terms[1] : NULL) ||
                !o_first_occurrence(d, k))
                continue;
            any = 1;
            *score += o_bm25(c, o_idf(c, t), o_tf(d, t), d, p);
        }
        return any;
    }
    case BL_Q_AND: {
        double s = 0, ignored = 0;
        for (size_t i = 0; i < q->nkids; i++) {
            const bl_qnode *k = q->kids[i];
            if (k->kind == BL_Q_NOT) {
                if (o_eval(c, d, k->kids[0], p, &ignored))
                    return 0;
            } else if (!o_eval(c, d, k, p, &s)) {
                return 0;
            }
        }
        *score += s;
        return 1;
    }
    case BL_Q_OR: {
        int any = 0;
        for (size_t i = 0; i < q->nkids; i++)
            any |= o_eval(c, d, q->kids[i], p, score);
        return any;
    }
    case BL_Q_NOT: {
        double ignored = 0;
        return !o_eval(c, d, q->kids[0], p, &ignored);
    }
    }
    return 0;
}

static const char *random_word(bl_rng *r) { return vocab[bl_rng_below(r, nvocab)]; }

/* Appends a random query expression of the given depth to buf. */
static void random_query(bl_rng *r, char *buf, size_t cap, int depth)
{
    size_t len = strlen(buf);
    uint32_t pick = bl_rng_below(r, depth > 0 ? 11 : 7);
    if (pick >= 5 && pick < 7) {
        /* a phrase ending in a prefix, of two or three words */
        const char *w = random_word(r);
        snprintf(buf + len, cap - len, "\"%s%s%s %.*s*\"", random_word(r), pick == 6 ? " " : "",
                 pick == 6 ? random_word(r) : "", 1 + (int)bl_rng_below(r, 4), w);
        return;
    }
    pick = pick >= 7 ? pick - 2 : pick;
    switch (pick) {
    case 0:
    case 1:
        snprintf(buf + len, cap - len, "%s", random_word(r));
        break;
    case 2:
        snprintf(buf + len, cap - len, "\"%s %s\"", random_word(r), random_word(r));
        break;
    case 3: {
        const char *w = random_word(r);
        snprintf(buf + len, cap - len, "%.*s*", 1 + (int)bl_rng_below(r, 4), w);
        break;
    }
    case 4:
        snprintf(buf + len, cap - len, "\"%s %s %s\"", random_word(r), random_word(r), random_word(r));
        break;
    default: {
        static const char *ops[] = {" ", " AND ", " OR ", " -", " NOT "};
        snprintf(buf + len, cap - len, "(");
        random_query(r, buf, cap, depth - 1);
        len = strlen(buf);
        snprintf(buf + len, cap - len, "%s", ops[bl_rng_below(r, 5)]);
        random_query(r, buf, cap, depth - 1);
        len = strlen(buf);
        snprintf(buf + len, cap - len, ")");
    }
    }
}

typedef struct {
    uint32_t doc;
    double score;
} oscored;

static int cmp_oscored(const void *x, const void *y)
{
    const oscored *a = x, *b = y;
    if (a->score != b->score)
        return a->score < b->score ? 1 : -1;
    return (a->doc > b->doc) - (a->doc < b->doc);
}

/* A random corpus indexed in several segments, with its oracle. */
typedef struct {
    uint64_t seed;
    size_t ndocs;
    bl_article *arts;
    char *dir;
    bl_index *idx;
    bl_analyzer *a;
    corpus c;
    oscored *expect;
} oracle_env;

/* Indexes e->arts (titles and texts malloc'd, owned by e from now on) in
 * segments of per_segment documents, and builds their oracle. */
static void oracle_index(oracle_env *e, size_t per_segment)
{
    size_t ndocs = e->ndocs;
    e->dir = bl_test_tmpdir();
    cr_assert_not_null(e->dir);
    int rc = bl_test_build_index(e->dir, e->arts, ndocs, "english", per_segment);
    cr_assert_eq(rc, 0, "build failed: %s", bl_error_detail());
    cr_assert_eq(bl_index_open(&e->idx, e->dir, 1), 0, "%s", bl_error_detail());
    cr_assert_eq(bl_index_doc_count(e->idx), ndocs);
    cr_assert_eq(bl_analyzer_new(&e->a, "english"), 0);
    build_oracle(&e->c, e->a, e->arts, ndocs);
    cr_assert_float_eq(bl_index_avg_doc_len(e->idx), e->c.avgdl, 1e-9);
    e->expect = malloc(ndocs * sizeof *e->expect);
}

static void oracle_open(oracle_env *e, bl_rng *r, uint64_t seed, size_t ndocs, size_t per_segment)
{
    memset(e, 0, sizeof *e);
    e->seed = seed;
    e->ndocs = ndocs;
    e->arts = calloc(ndocs, sizeof *e->arts);
    for (size_t i = 0; i < ndocs; i++) {
        char *t = random_text(r, 4), *x = random_text(r, 80);
        e->arts[i].title = t;
        e->arts[i].title_len = strlen(t);
        e->arts[i].text = x;
        e->arts[i].text_len = strlen(x);
        e->arts[i].source = "random";
        e->arts[i].source_len = 6;
    }
    oracle_index(e, per_segment);
}

static void oracle_close(oracle_env *e)
{
    free(e->expect);
    bl_analyzer_free(e->a);
    bl_index_close(e->idx);
    bl_test_rmtree(e->dir);
    free(e->dir);
    free_corpus(e->arts, &e->c, e->ndocs);
}

/* How many pruned searches compare_pruned has seen report a lower bound
 * (so a test can check that pruning did skip documents), and how many it
 * has run. */
static unsigned long pruned_gte, pruned_runs;

/* Runs q with pruning from total_threshold on and compares with the
 * exhaustive results full: the same hits and the same scores, bit for bit;
 * the total exact when it says so, else a lower bound of at least the
 * threshold and k (pruning starts once both are reached). */
static void compare_pruned(oracle_env *e, const bl_qnode *q, const char *qs, size_t k,
                           uint64_t threshold, const bl_results *full)
{
    bl_bm25 params = BL_BM25_DEFAULT;
    bl_search_opts opts = {0, threshold, 1};
    bl_results res;
    unsigned long long seed = (unsigned long long)e->seed;
    int rc = bl_search_ex(e->idx, q, k, &params, &opts, &res);
    cr_assert_eq(rc, 0, "query %s: %s", qs, bl_error_detail());
    cr_assert_eq(res.nhits, full->nhits, "seed %llu query [%s] k %zu threshold %llu: %zu hits, "
                 "exhaustive %zu", seed, qs, k, (unsigned long long)threshold, res.nhits,
                 full->nhits);
    for (size_t i = 0; i < res.nhits; i++)
        cr_assert(res.hits[i].doc == full->hits[i].doc &&
                      memcmp(&res.hits[i].score, &full->hits[i].score, sizeof(double)) == 0,
                  "seed %llu query [%s] k %zu threshold %llu rank %zu: pruned doc %u score %a, "
                  "exhaustive doc %u score %a", seed, qs, k, (unsigned long long)threshold, i,
                  res.hits[i].doc, res.hits[i].score, full->hits[i].doc, full->hits[i].score);
    if (res.relation == BL_TOTAL_EQ) {
        cr_assert_eq(res.total, full->total, "seed %llu query [%s]: exact total %llu, want %llu",
                     seed, qs, (unsigned long long)res.total, (unsigned long long)full->total);
    } else {
        cr_assert(res.total >= threshold && res.total >= k && res.total <= full->total,
                  "seed %llu query [%s] k %zu threshold %llu: total at least %llu of %llu", seed,
                  qs, k, (unsigned long long)threshold, (unsigned long long)res.total,
                  (unsigned long long)full->total);
        pruned_gte++;
    }
    pruned_runs++;
    bl_results_release(&res);
}

/* Runs qs through the engine and the oracle and compares the counts and
 * the k best hits, exhaustively; then pruned (compare_pruned) from the
 * first match on and from the default threshold. Returns the number of
 * matches, or -1 if qs does not parse. */
static long oracle_compare(oracle_env *e, const char *qs, int any, size_t k)
{
    bl_qnode *q;
    size_t pos;
    bl_query_opts qo = {any};
    int rc = bl_query_parse(qs, e->a, &qo, &q, &pos);
    if (rc == BL_EQUERY)
        return -1; /* e.g. a group whose words all vanished */
    cr_assert_eq(rc, 0);
    bl_bm25 params = BL_BM25_DEFAULT;
    bl_search_opts exhaustive = {1, BL_TOTAL_THRESHOLD, 1};
    bl_results res;
    rc = bl_search_ex(e->idx, q, k, &params, &exhaustive, &res);
    cr_assert_eq(rc, 0, "query %s: %s", qs, bl_error_detail());
    cr_assert_eq(res.relation, BL_TOTAL_EQ);
    size_t nexp = 0;
    for (size_t d = 0; d < e->ndocs; d++) {
        double sc = 0;
        if (o_eval(&e->c, &e->c.docs[d], q, &params, &sc))
            e->expect[nexp++] = (oscored){(uint32_t)d, sc};
    }
    qsort(e->expect, nexp, sizeof *e->expect, cmp_oscored);
    char desc[4096];
    bl_qnode_describe(q, desc, sizeof desc);
    unsigned long long seed = (unsigned long long)e->seed;
    cr_assert_eq(res.total, nexp, "seed %llu query [%s] = %s: engine %llu matches, oracle %zu",
                 seed, qs, desc, (unsigned long long)res.total, nexp);
    cr_assert_eq(res.nhits, nexp < k ? nexp : k);
    for (size_t i = 0; i < res.nhits; i++) {
        /* Equal scores may legitimately differ in the last bits. */
        cr_assert(fabs(res.hits[i].score - e->expect[i].score) < 1e-9,
                  "seed %llu query [%s] rank %zu: engine %.12f oracle %.12f", seed, qs, i,
                  res.hits[i].score, e->expect[i].score);
        double sc = 0;
        cr_assert(o_eval(&e->c, &e->c.docs[res.hits[i].doc], q, &params, &sc),
                  "seed %llu query [%s]: engine returned non-matching doc %u", seed, qs,
                  res.hits[i].doc);
        cr_assert(fabs(sc - res.hits[i].score) < 1e-9);
    }
    compare_pruned(e, q, qs, k, 0, &res);
    compare_pruned(e, q, qs, k, BL_TOTAL_THRESHOLD, &res);
    bl_results_release(&res);
    /* counting alone (k = 0) takes its own paths (bitmaps of dense lists) */
    rc = bl_search_ex(e->idx, q, 0, &params, &exhaustive, &res);
    cr_assert_eq(rc, 0, "query %s: %s", qs, bl_error_detail());
    cr_assert_eq(res.total, nexp, "seed %llu query [%s] = %s: count alone %llu, oracle %zu",
                 seed, qs, desc, (unsigned long long)res.total, nexp);
    bl_results_release(&res);
    bl_qnode_free(q);
    return (long)nexp;
}

static void run_oracle_round(uint64_t seed, size_t ndocs, size_t per_segment, int nqueries)
{
    bl_rng r;
    bl_rng_init(&r, seed);
    oracle_env e;
    oracle_open(&e, &r, seed, ndocs, per_segment);
    int parsed = 0, nonempty = 0;
    for (int qi = 0; qi < nqueries; qi++) {
        char qs[2048] = "";
        random_query(&r, qs, sizeof qs, 3);
        int any = (int)bl_rng_below(&r, 2);
        long n = oracle_compare(&e, qs, any, 1 + bl_rng_below(&r, 50));
        parsed += n >= 0;
        nonempty += n > 0;
    }
    /* The oracle must have compared real work, not skipped it. */
    cr_assert(parsed >= nqueries * 9 / 10, "only %d of %d random queries parsed", parsed, nqueries);
    if (ndocs >= 20)
        cr_assert(nonempty >= parsed / 4, "only %d of %d queries matched anything", nonempty, parsed);
    fprintf(stderr, "  %zu docs: %d queries compared, %d with matches\n", ndocs, parsed, nonempty);
    oracle_close(&e);
}

Test(search, oracle_small_corpora_many_segments)
{
    uint64_t seed = bl_test_seed("search.oracle_small");
    for (int round = 0; round < 8; round++)
        run_oracle_round(seed + (uint64_t)round, 1 + round * 7, 1 + round, 60);
}

Test(search, oracle_multi_block_lists)
{
    /* Enough documents that frequent terms span many 128-posting blocks, so
     * seeks cross skip entries. */
    uint64_t seed = bl_test_seed("search.oracle_blocks");
    run_oracle_round(seed, 1500, 700, 150);
}

static int count_term(void *ctx, const char *term, size_t len, const bl_terminfo *ti)
{
    (void)term, (void)len, (void)ti;
    ++*(size_t *)ctx;
    return 0;
}

/* Prefixes with many expansions: "qx*" stands for more terms in one
 * segment than the 4096 that used to be refused, "qxa*" for hundreds, all
 * far more than BL_PREFIX_ITERS, so most expansions are gathered in advance
 * and the rest read through iterators. Counts and scores must still be the
 * oracle's, alone, in phrases and under AND, OR and NOT. */
Test(search, oracle_prefixes_with_many_expansions, .timeout = 120)
{
    enum { NSYNTH = 12000 };
    static char words[NSYNTH][16];
    static const char *mixed[NBASE + NSYNTH];
    for (size_t i = 0; i < NBASE; i++)
        mixed[i] = base_vocab[i];
    for (uint32_t i = 0; i < NSYNTH; i++) {
        synthetic_word(i, words[i]);
        mixed[NBASE + i] = words[i];
    }
    vocab = mixed;
    nvocab = NBASE + NSYNTH;
    uint64_t seed = bl_test_seed("search.oracle_many_expansions");
    bl_rng r;
    bl_rng_init(&r, seed);
    oracle_env e;
    oracle_open(&e, &r, seed, 1600, 800);

    size_t expansions = 0;
    bl_segment *seg = bl_index_segment(e.idx, 0);
    cr_assert_eq(bl_termdict_prefix(bl_segment_termdict(seg), "qx", 2, count_term, &expansions), 0);
    cr_assert_gt(expansions, 4096, "qx* has only %zu expansions in segment 0", expansions);

    static const char *const fixed[] = {
        "qx*", "q*", "qxa*", "qxb* qxc*", "qx* -qxa*", "qx* AND war", "qxa* OR oil",
        "war -qx*", "NOT qxa*", "(qxa* OR qxb*) -(qxab* OR the)", "\"the qx*\"",
        "\"war qxa*\"", "\"qxab qx*\"", "\"war qx*\" OR qxa*",
    };
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++)
        for (int any = 0; any < 2; any++) {
            long n = oracle_compare(&e, fixed[i], any, 15);
            cr_assert_geq(n, 0, "query [%s] did not parse: %s", fixed[i], bl_error_detail());
        }
    cr_expect_gt(oracle_compare(&e, "qx*", 0, 5), 1500);
    /* ANDs with more exclusions than are tried one by one (a union) */
    char many[2048] = "qx*", none[2048] = "";
    for (uint32_t i = 0; i < 40; i++) {
        strcat(many, " -");
        strcat(many, words[i]);
    }
    for (size_t i = 0; i < NBASE; i++) {
        strcat(none, " NOT ");
        strcat(none, base_vocab[i]);
    }
    for (int any = 0; any < 2; any++) {
        cr_expect_gt(oracle_compare(&e, many, any, 10), 100);
        cr_expect_gt(oracle_compare(&e, none, any, 10), 100);
    }
    /* ORs of more than 64 kids and of 9 to 64, inside an AND that prunes
     * (their scores must be the same bits on both paths) and alone */
    static const size_t sizes[] = {80, 12};
    for (size_t si = 0; si < 2; si++) {
        size_t nw = sizes[si];
        char ors[2048] = "(";
        for (uint32_t i = 0; i < nw; i++) {
            strcat(ors, i ? " OR " : "");
            strcat(ors, words[i * 7]);
        }
        strcat(ors, ")");
        char and_[2100];
        snprintf(and_, sizeof and_, "%s qx*", ors);
        long n_or = oracle_compare(&e, ors, 0, 10), n_and = oracle_compare(&e, and_, 0, 10);
        cr_expect(n_or > 20 && n_and > 10, "%zu words: %ld matches, %ld with the AND", nw, n_or,
                  n_and);
    }
    /* each base word followed by any synthetic word: real work, however
     * the random texts fell */
    long phrases = 0;
    for (size_t i = 0; i < NBASE; i++) {
        char qs[64];
        snprintf(qs, sizeof qs, "\"%s qx*\"", base_vocab[i]);
        phrases += oracle_compare(&e, qs, 0, 5);
    }
    cr_expect_gt(phrases, 100, "only %ld phrase matches", phrases);

    int parsed = 0, nonempty = 0;
    for (int qi = 0; qi < 100; qi++) {
        char qs[2048] = "";
        random_query(&r, qs, sizeof qs, 3);
        long n = oracle_compare(&e, qs, (int)bl_rng_below(&r, 2), 1 + bl_rng_below(&r, 50));
        parsed += n >= 0;
        nonempty += n > 0;
    }
    cr_assert(nonempty >= parsed / 4, "only %d of %d queries matched anything", nonempty, parsed);
    oracle_close(&e);
    vocab = base_vocab;
    nvocab = NBASE;
}

Test(search, top_k_zero_only_counts)
{
    bl_article arts[3] = {
        {.title = "a", .title_len = 1, .text = "oil prices", .text_len = 10},
        {.title = "b", .title_len = 1, .text = "oil", .text_len = 3},
        {.title = "c", .title_len = 1, .text = "gold", .text_len = 4},
    };
    char *dir = bl_test_tmpdir();
    cr_assert_eq(bl_test_build_index(dir, arts, 3, "english", 2), 0);
    bl_index *idx;
    cr_assert_eq(bl_index_open(&idx, dir, 1), 0);
    bl_analyzer *a;
    bl_analyzer_new(&a, "english");
    bl_qnode *q;
    size_t pos;
    bl_query_opts qo = {0};
    cr_assert_eq(bl_query_parse("oil", a, &qo, &q, &pos), 0);
    bl_results r;
    bl_bm25 p = BL_BM25_DEFAULT;
    cr_assert_eq(bl_search(idx, q, 0, &p, &r), 0);
    cr_expect_eq(r.total, 2);
    cr_expect_eq(r.nhits, 0);
    bl_results_release(&r);
    /* The shorter document ranks first for the same tf. */
    cr_assert_eq(bl_search(idx, q, 10, &p, &r), 0);
    cr_expect_eq(r.nhits, 2);
    cr_expect_eq(r.hits[0].doc, 1);
    bl_results_release(&r);
    bl_qnode_free(q);
    bl_analyzer_free(a);
    bl_index_close(idx);
    bl_test_rmtree(dir);
    free(dir);
}

typedef struct {
    const corpus *c;
    bl_segment *seg;
    uint32_t base;
    uint64_t terms;
    uint64_t pairs;
} readback_ctx;

/* Whether the segment indexes the pairs of word t (pairs.h). */
static int pair_word(bl_segment *seg, const char *t, uint32_t *df)
{
    bl_terminfo ti;
    if (bl_termdict_lookup(bl_segment_termdict(seg), t, strlen(t), &ti) != 0)
        return 0;
    *df = ti.doc_freq;
    return bl_pair_word(ti.doc_freq, bl_segment_info(seg)->doc_count,
                        bl_segment_info(seg)->dense_ratio);
}

/* For one pair of the segment: both its words are pair words, and its
 * list (no positions) holds the documents where they stand side by side,
 * as often as the oracle's analysis says. */
static int check_pair_postings(readback_ctx *r, const char *key, size_t len,
                               const bl_terminfo *ti)
{
    r->pairs++;
    const char *sep = memchr(key + 1, BL_PAIR_MARK, len - 1);
    cr_assert_not_null(sep, "pair key without a second mark");
    char a[BL_TERM_MAX_BYTES], b[BL_TERM_MAX_BYTES];
    snprintf(a, sizeof a, "%.*s", (int)(sep - key - 1), key + 1);
    snprintf(b, sizeof b, "%s", sep + 1);
    uint32_t dfa, dfb;
    cr_assert(pair_word(r->seg, a, &dfa) && pair_word(r->seg, b, &dfb), "pair '%s %s'", a, b);
    cr_assert(ti->positionless, "pair '%s %s' has positions", a, b);
    bl_posting_iter *it;
    cr_assert_eq(bl_posting_iter_new(bl_segment_postings(r->seg), ti, &it), 0);
    bl_docset *ds = bl_posting_iter_docset(it);
    uint32_t n = bl_segment_info(r->seg)->doc_count, seen = 0;
    int known_a, known_b;
    uint32_t ia = (uint32_t)dict_find(r->c, a, &known_a), ib = (uint32_t)dict_find(r->c, b, &known_b);
    cr_assert(known_a && known_b, "pair '%s %s' of words in no document", a, b);
    for (uint32_t d = 0; d < n; d++) {
        const odoc *od = &r->c->docs[r->base + d];
        uint32_t tf = 0;
        for (size_t i = 0; i + 1 < od->n; i++)
            tf += od->pos[i + 1] == od->pos[i] + 1 && od->ids[i] == ia && od->ids[i + 1] == ib;
        if (!tf)
            continue;
        seen++;
        cr_assert_eq(ds->doc, d, "pair '%s %s': expected doc %u, got %u", a, b, d, ds->doc);
        cr_assert_eq(bl_posting_iter_freq(it), tf, "pair '%s %s' doc %u", a, b, d);
        bl_docset_next(ds);
    }
    cr_assert_eq(ds->doc, BL_DOC_END, "pair '%s %s': doc %u too many", a, b, ds->doc);
    cr_assert_eq(ti->doc_freq, seen);
    bl_docset_free(ds);
    return 0;
}

static int cmp_str(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

/* Distinct pairs of pair words side by side in the segment's documents,
 * from the oracle. */
static uint64_t oracle_pair_count(const corpus *c, bl_segment *seg, uint32_t base)
{
    size_t n = 0, cap = 1024;
    char **keys = malloc(cap * sizeof *keys);
    for (uint32_t d = 0; d < bl_segment_info(seg)->doc_count; d++) {
        const odoc *od = &c->docs[base + d];
        for (size_t i = 0; i + 1 < od->n; i++) {
            uint32_t dfa, dfb;
            if (od->pos[i + 1] != od->pos[i] + 1 || !pair_word(seg, od->terms[i], &dfa) ||
                !pair_word(seg, od->terms[i + 1], &dfb))
                continue;
            if (n == cap)
                keys = realloc(keys, (cap *= 2) * sizeof *keys);
            size_t len = strlen(od->terms[i]) + strlen(od->terms[i + 1]) + 2;
            keys[n] = malloc(len);
            snprintf(keys[n++], len, "%s %s", od->terms[i], od->terms[i + 1]);
        }
    }
    qsort(keys, n, sizeof *keys, cmp_str);
    uint64_t distinct = 0;
    for (size_t i = 0; i < n; i++)
        distinct += i == 0 || strcmp(keys[i], keys[i - 1]) != 0;
    for (size_t i = 0; i < n; i++)
        free(keys[i]);
    free(keys);
    return distinct;
}

/* For one term of the segment: its postings (docs, tfs, positions) equal
 * what the oracle's analysis of the articles says. */
static int check_term_postings(void *ctx, const char *term, size_t len, const bl_terminfo *ti)
{
    readback_ctx *r = ctx;
    r->terms++;
    if (bl_term_is_pair(term, len))
        return check_pair_postings(r, term, len, ti);
    bl_posting_iter *it;
    cr_assert_eq(bl_posting_iter_new(bl_segment_postings(r->seg), ti, &it), 0);
    bl_docset *ds = bl_posting_iter_docset(it);
    uint32_t n = bl_segment_info(r->seg)->doc_count, seen = 0;
    /* by dictionary index: a term the oracle lacks is in no document */
    int known;
    uint32_t id = (uint32_t)dict_find(r->c, term, &known);
    for (uint32_t d = 0; d < n && known; d++) {
        const odoc *od = &r->c->docs[r->base + d];
        uint32_t tf = 0;
        for (size_t i = 0; i < od->n; i++)
            tf += od->ids[i] == id;
        if (!tf)
            continue;
        seen++;
        cr_assert_eq(ds->doc, d, "term '%s': expected doc %u, got %u", term, d, ds->doc);
        cr_assert_eq(bl_posting_iter_freq(it), tf, "term '%s' doc %u", term, d);
        const uint32_t *pos;
        uint32_t np;
        cr_assert_eq(bl_posting_iter_positions(it, &pos, &np), 0);
        cr_assert_eq(np, tf);
        for (uint32_t k = 0, i = 0; i < od->n; i++)
            if (od->ids[i] == id)
                cr_assert_eq(pos[k++], od->pos[i], "term '%s' doc %u position %u", term, d, k);
        bl_docset_next(ds);
    }
    cr_assert_eq(ds->doc, BL_DOC_END);
    cr_assert_eq(ds->err, 0);
    cr_assert_eq(ti->doc_freq, seen);
    bl_docset_free(ds);
    return 0;
}

/* Builds arts into an index of 128 documents a segment and reads back
 * everything against the oracle: stored fields, lengths, every term's
 * postings and positions, every pair. Frees arts (their texts too). */
static void read_back_everything(bl_article *arts, size_t ndocs)
{
    size_t nsegs = (ndocs + 127) / 128;
    char *dir = bl_test_tmpdir();
    cr_assert_eq(bl_test_build_index(dir, arts, ndocs, "english", 128), 0, "%s",
                 bl_error_detail());
    bl_index *idx;
    cr_assert_eq(bl_index_open(&idx, dir, 1), 0, "%s", bl_error_detail());
    bl_analyzer *a;
    bl_analyzer_new(&a, "english");
    corpus c;
    build_oracle(&c, a, arts, ndocs);
    cr_assert_eq(bl_index_segment_count(idx), nsegs);
    const bl_termdict *dicts[8];
    cr_assert(nsegs <= 8);
    for (size_t s = 0; s < bl_index_segment_count(idx); s++) {
        bl_segment *seg = bl_index_segment(idx, s);
        uint32_t base = bl_index_segment_base(idx, s);
        dicts[s] = bl_segment_termdict(seg);
        cr_assert_eq(bl_segment_check(seg), 0, "%s", bl_error_detail());
        for (uint32_t d = 0; d < bl_segment_info(seg)->doc_count; d++) {
            const bl_article *art = &arts[base + d];
            bl_stored_doc sd;
            cr_assert_eq(bl_docstore_get(bl_segment_docstore(seg), d, &sd), 0);
            cr_assert(sd.id_len == art->id_len && memcmp(sd.id, art->id, sd.id_len) == 0);
            cr_assert(sd.title_len == art->title_len &&
                      memcmp(sd.title, art->title, sd.title_len) == 0);
            cr_assert(sd.text_len == art->text_len && memcmp(sd.text, art->text, sd.text_len) == 0);
            cr_assert(sd.date_len == 10 && memcmp(sd.date, "2026-11-22", 10) == 0);
            cr_assert_eq(bl_segment_doc_len(seg, d), c.docs[base + d].len);
        }
        readback_ctx rc = {&c, seg, base, 0, 0};
        cr_assert_eq(bl_termdict_prefix(bl_segment_termdict(seg), "", 0, check_term_postings, &rc), 0);
        cr_assert_eq(rc.terms, bl_termdict_count(bl_segment_termdict(seg)));
        /* every pair is there (a reader relies on a missing one being absent) */
        uint64_t want = oracle_pair_count(&c, seg, base);
        cr_assert_eq(rc.pairs, want, "segment %zu: %llu pairs, the oracle says %llu", s,
                     (unsigned long long)rc.pairs, (unsigned long long)want);
        cr_assert_gt(want, 0);
    }
    uint64_t distinct;
    cr_assert_eq(bl_termdict_count_union(dicts, nsegs, &distinct), 0);
    cr_assert_eq(distinct, c.ndict);
    bl_analyzer_free(a);
    bl_index_close(idx);
    bl_test_rmtree(dir);
    free(dir);
    free_corpus(arts, &c, ndocs);
}

/* Text of n words drawn from a vocabulary of some 60,000 made-up words of
 * 1 to 34 letters, with English endings that stem away (so that several
 * tokens share a term): more words than the analyzer's stem cache holds,
 * so its sets collide and evict all along, and the term hash grows several
 * times; skewed, so words recur. */
static char *many_word_text(bl_rng *r, size_t n)
{
    static const char *const ends[] = {"", "s", "ing", "ed", "ly", "ness"};
    char *s = malloc(n * 48 + 1);
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t a = bl_rng_below(r, 10000), b = bl_rng_below(r, 10000);
        uint32_t w = a < b ? a : b, wlen = 1 + (w * 7919u) % 30;
        if (i)
            s[len++] = ' ';
        for (uint32_t k = 0, v = w; k < wlen; k++, v = v / 3 + k * 5)
            s[len++] = (char)('a' + (v + k * 11) % 26);
        const char *e = ends[bl_rng_below(r, 6)];
        memcpy(s + len, e, strlen(e));
        len += strlen(e);
    }
    s[len] = 0;
    return s;
}

/* ndocs articles (ids "doc-N", source, date and url alike) whose title
 * and text come from make(rng, title_words) and make(rng, text_words),
 * read back whole (read_back_everything). */
static void read_back_made_articles(const char *seed_name, size_t ndocs,
                                    char *(*make)(bl_rng *, size_t), size_t title_words,
                                    size_t text_words)
{
    bl_rng r;
    bl_rng_init(&r, bl_test_seed(seed_name));
    bl_article *arts = calloc(ndocs, sizeof *arts);
    char (*ids)[16] = calloc(ndocs, sizeof *ids);
    for (size_t i = 0; i < ndocs; i++) {
        char *t = make(&r, title_words), *x = make(&r, text_words);
        snprintf(ids[i], sizeof ids[i], "doc-%zu", i);
        arts[i] = (bl_article){ids[i], strlen(ids[i]), t, strlen(t), x, strlen(x),
                               "src", 3, "2026-11-22", 10, "u", 1};
    }
    read_back_everything(arts, ndocs);
    free(ids);
}

Test(search, build_then_read_back_everything)
{
    read_back_made_articles("search.read_back", 300, random_text, 5, 400);
}

Test(search, read_back_with_a_large_vocabulary)
{
    read_back_made_articles("search.read_back_many_words", 260, many_word_text, 4, 500);
}

/* An article without a single token (punctuation only) is still a document:
 * first in its segment, it is found by a purely negative query and its
 * length is 0. */
Test(search, article_without_tokens)
{
    bl_article arts[2] = {
        {.title = "!!!", .title_len = 3, .text = "-- ...", .text_len = 6},
        {.title = "oil", .title_len = 3, .text = "prices", .text_len = 6},
    };
    char *dir = bl_test_tmpdir();
    cr_assert_eq(bl_test_build_index(dir, arts, 2, "english", 2), 0, "%s", bl_error_detail());
    bl_index *idx;
    cr_assert_eq(bl_index_open(&idx, dir, 1), 0);
    cr_assert_eq(bl_segment_doc_len(bl_index_segment(idx, 0), 0), 0);
    bl_analyzer *a;
    bl_analyzer_new(&a, "english");
    bl_qnode *q;
    size_t pos;
    bl_query_opts qo = {0};
    cr_assert_eq(bl_query_parse("NOT oil", a, &qo, &q, &pos), 0);
    bl_results r;
    bl_bm25 p = BL_BM25_DEFAULT;
    cr_assert_eq(bl_search(idx, q, 10, &p, &r), 0);
    cr_expect_eq(r.total, 1);
    cr_expect_eq(r.hits[0].doc, 0);
    bl_results_release(&r);
    bl_qnode_free(q);
    bl_analyzer_free(a);
    bl_index_close(idx);
    bl_test_rmtree(dir);
    free(dir);
}

/* ---- query size ---------------------------------------------------------- */

/* Articles of words drawn from nwords synthetic words (owned). */
static bl_article *synthetic_articles(bl_rng *r, size_t ndocs, uint32_t nwords, size_t per_doc)
{
    bl_article *arts = calloc(ndocs, sizeof *arts);
    for (size_t i = 0; i < ndocs; i++) {
        char *text = malloc(per_doc * 12 + 1), w[16];
        size_t len = 0;
        for (size_t k = 0; k < per_doc; k++) {
            synthetic_word(bl_rng_below(r, nwords), w);
            len += (size_t)sprintf(text + len, "%s%s", k ? " " : "", w);
        }
        arts[i] = (bl_article){.title = strdup("t"), .title_len = 1, .text = text,
                               .text_len = len};
    }
    return arts;
}

static void free_articles(bl_article *arts, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free((char *)arts[i].title);
        free((char *)arts[i].text);
    }
    free(arts);
}

/* Parses, searches and makes the snippets of the k best hits, as the
 * search command does. Returns the number of matches. */
static uint64_t search_with_snippets(bl_index *idx, bl_analyzer *a, const char *qs, int any)
{
    bl_qnode *q;
    size_t pos;
    bl_query_opts qo = {any};
    cr_assert_eq(bl_query_parse(qs, a, &qo, &q, &pos), 0, "%s at %zu", bl_error_detail(), pos);
    bl_results res;
    bl_bm25 p = BL_BM25_DEFAULT;
    bl_search_opts exact = {0, UINT64_MAX, 1}; /* the caller checks the total */
    cr_assert_eq(bl_search_ex(idx, q, 10, &p, &exact, &res), 0, "%s", bl_error_detail());
    for (size_t i = 0; i < res.nhits; i++) {
        size_t seg;
        uint32_t local;
        bl_stored_doc d;
        bl_snippet snip;
        cr_assert_eq(bl_index_locate(idx, res.hits[i].doc, &seg, &local), 0);
        cr_assert_eq(bl_docstore_get(bl_segment_docstore(bl_index_segment(idx, seg)), local, &d), 0);
        cr_assert_eq(bl_snippet_make(a, q, d.text, d.text_len, 0, &snip), 0);
        cr_assert_gt(snip.nhighlights, 0, "hit %zu has no highlight", i);
        bl_snippet_release(&snip);
    }
    uint64_t total = res.total;
    bl_results_release(&res);
    bl_qnode_free(q);
    return total;
}

/* An index built from arts (per_segment articles a segment) in a fresh
 * directory, opened, with an English analyzer for its queries. */
typedef struct {
    char *dir;
    bl_index *idx;
    bl_analyzer *a;
} built_index;

static void build_and_open(built_index *b, bl_article *arts, size_t n, size_t per_segment)
{
    b->dir = bl_test_tmpdir();
    cr_assert_eq(bl_test_build_index(b->dir, arts, n, "english", per_segment), 0, "%s",
                 bl_error_detail());
    cr_assert_eq(bl_index_open(&b->idx, b->dir, 1), 0, "%s", bl_error_detail());
    cr_assert_eq(bl_analyzer_new(&b->a, "english"), 0);
}

static void close_and_remove(built_index *b)
{
    bl_analyzer_free(b->a);
    bl_index_close(b->idx);
    bl_test_rmtree(b->dir);
    free(b->dir);
}

/* An OR of 20,000 words (and the same words under --any) finds every
 * document, with snippets. How fast it is (it used to take seconds per hit)
 * is measured by bench/run.sh, not here. */
Test(search, or_of_20000_words_is_answered)
{
    enum { NWORDS = 20000, NDOCS = 2000 };
    bl_rng r;
    bl_rng_init(&r, bl_test_seed("search.or_of_20000_words"));
    bl_article *arts = synthetic_articles(&r, NDOCS, NWORDS, 40);
    built_index b;
    build_and_open(&b, arts, NDOCS, NDOCS / 2);
    bl_index *idx = b.idx;
    bl_analyzer *a = b.a;

    char *or = malloc(NWORDS * 12), *any = malloc(NWORDS * 12), w[16];
    size_t lo = 0, la = 0;
    for (uint32_t i = 0; i < NWORDS; i++) {
        synthetic_word(i, w);
        lo += (size_t)sprintf(or + lo, "%s%s", i ? " OR " : "", w);
        la += (size_t)sprintf(any + la, "%s%s", i ? " " : "", w);
    }
    /* Every document holds some of the words. */
    cr_expect_eq(search_with_snippets(idx, a, or, 0), NDOCS);
    cr_expect_eq(search_with_snippets(idx, a, any, 1), NDOCS);
    free(or);
    free(any);
    close_and_remove(&b);
    free_articles(arts, NDOCS);
}

/* The best hit of qs (asserts there is one). */
static bl_scored_doc best_hit(bl_index *idx, bl_analyzer *a, const char *qs, int any,
                              uint64_t *total)
{
    bl_qnode *q;
    size_t pos;
    bl_query_opts qo = {any};
    cr_assert_eq(bl_query_parse(qs, a, &qo, &q, &pos), 0, "%s", bl_error_detail());
    bl_results res;
    bl_bm25 p = BL_BM25_DEFAULT;
    bl_search_opts exact = {0, UINT64_MAX, 1}; /* the caller checks the total */
    cr_assert_eq(bl_search_ex(idx, q, 1, &p, &exact, &res), 0, "%s", bl_error_detail());
    cr_assert_eq(res.nhits, 1);
    bl_scored_doc best = res.hits[0];
    *total = res.total;
    bl_results_release(&res);
    bl_qnode_free(q);
    return best;
}

/* A word written 30,000 times is one list read once, its score counted
 * 30,000 times; it used to be 30,000 copies of the list, in a heap. */
Test(search, repeated_word_is_read_once)
{
    enum { NDOCS = 3000, TIMES = 30000 };
    bl_rng r;
    bl_rng_init(&r, bl_test_seed("search.repeated_word"));
    bl_article *arts = synthetic_articles(&r, NDOCS, 500, 10);
    for (size_t i = 0; i < NDOCS; i += 2) {
        free((char *)arts[i].title);
        arts[i].title = strdup("oil prices");
        arts[i].title_len = 10;
    }
    built_index b;
    build_and_open(&b, arts, NDOCS, NDOCS);
    bl_index *idx = b.idx;
    bl_analyzer *a = b.a;
    char *q = malloc(4 * TIMES + 1);
    for (size_t i = 0; i < TIMES; i++)
        memcpy(q + 4 * i, "oil ", 4);
    q[4 * TIMES] = 0;
    uint64_t once_total, total;
    bl_scored_doc once = best_hit(idx, a, "oil", 0, &once_total);
    cr_assert_eq(once_total, NDOCS / 2);
    for (int any = 0; any < 2; any++) {
        bl_scored_doc many = best_hit(idx, a, q, any, &total);
        cr_expect_eq(total, once_total);
        cr_expect_eq(many.doc, once.doc);
        cr_expect(fabs(many.score - TIMES * once.score) < 1e-9 * TIMES * once.score,
                  "score %.12f, want %d x %.12f", many.score, TIMES, once.score);
    }
    free(q);
    close_and_remove(&b);
    free_articles(arts, NDOCS);
}

/* A phrase is counted from its rarest word in each document, or from its
 * first word when every word occurs more than 256 times there: both ways
 * agree with the oracle, anchors in any place of the phrase. */
Test(search, phrases_counted_from_rare_and_frequent_words)
{
    static const char *const parts[] = {"oil prices ", "oil ", "prices oil ", "the white house ",
                                        "the the white "};
    static const unsigned reps[][5] = {{300, 0, 0, 0, 0}, {0, 300, 1, 0, 0}, {0, 0, 280, 0, 0},
                                       {0, 0, 0, 270, 2}, {0, 0, 1, 3, 300}, {1, 0, 0, 1, 1}};
    enum { NDOCS = sizeof reps / sizeof *reps };
    bl_article arts[NDOCS];
    for (size_t i = 0; i < NDOCS; i++) {
        char *text = malloc(16 * 1024);
        size_t len = 0;
        for (size_t k = 0; k < 5; k++)
            for (unsigned n = 0; n < reps[i][k]; n++)
                len += (size_t)sprintf(text + len, "%s", parts[k]);
        arts[i] = (bl_article){.title = "t", .title_len = 1, .text = text, .text_len = len};
    }
    char *dir = bl_test_tmpdir();
    cr_assert_eq(bl_test_build_index(dir, arts, NDOCS, "english", 3), 0, "%s", bl_error_detail());
    bl_index *idx;
    cr_assert_eq(bl_index_open(&idx, dir, 1), 0, "%s", bl_error_detail());
    bl_analyzer *a;
    cr_assert_eq(bl_analyzer_new(&a, "english"), 0);
    corpus c;
    build_oracle(&c, a, arts, NDOCS);
    static const char *const queries[] = {"\"oil prices\"", "\"prices oil\"",
                                          "\"the white house\"", "\"the the white\"",
                                          "\"white house the\"", "\"the white\"",
                                          "\"house the the white\"", "\"oil pri*\""};
    for (size_t i = 0; i < sizeof queries / sizeof *queries; i++) {
        bl_qnode *q;
        size_t pos;
        bl_query_opts qo = {0};
        cr_assert_eq(bl_query_parse(queries[i], a, &qo, &q, &pos), 0);
        bl_bm25 p = BL_BM25_DEFAULT;
        bl_search_opts all = {1, BL_TOTAL_THRESHOLD, 1};
        bl_results res;
        cr_assert_eq(bl_search_ex(idx, q, NDOCS, &p, &all, &res), 0, "%s", bl_error_detail());
        size_t nexp = 0;
        for (size_t d = 0; d < NDOCS; d++) {
            double sc = 0;
            nexp += o_eval(&c, &c.docs[d], q, &p, &sc);
        }
        cr_expect_eq(res.total, nexp, "[%s]", queries[i]);
        for (size_t h = 0; h < res.nhits; h++) {
            double sc = 0;
            cr_expect(o_eval(&c, &c.docs[res.hits[h].doc], q, &p, &sc));
            cr_expect(fabs(sc - res.hits[h].score) < 1e-9, "[%s] doc %u: %.12f, oracle %.12f",
                      queries[i], res.hits[h].doc, res.hits[h].score, sc);
        }
        bl_results_release(&res);
        bl_qnode_free(q);
    }
    for (size_t i = 0; i < NDOCS; i++)
        free((char *)arts[i].text);
    free_oracle(&c, NDOCS);
    bl_analyzer_free(a);
    bl_index_close(idx);
    bl_test_rmtree(dir);
    free(dir);
}

/* ---- pruning -------------------------------------------------------------- */

/* Articles where the best matches for "oil" are few and first: 0..99 say
 * "oil" four times in eight words (0..49 also "silver"), the rest once in
 * 43 words (their other words synthetic, never "oil", "gold" or "silver").
 * Owned; free with free_articles. */
static bl_article *few_good_articles(bl_rng *r, size_t n)
{
    bl_article *arts = calloc(n, sizeof *arts);
    for (size_t i = 0; i < n; i++) {
        char *text = malloc(40 * 12 + 64), w[16];
        size_t len;
        if (i < 100) {
            len = (size_t)sprintf(text, "oil prices oil prices oil gold %s", i < 50 ? "silver" : "");
        } else {
            len = (size_t)sprintf(text, "oil prices");
            for (int k = 0; k < 40; k++) {
                synthetic_word(bl_rng_below(r, 300), w);
                len += (size_t)sprintf(text + len, " %s", w);
            }
        }
        arts[i] = (bl_article){.title = strdup(i < 100 ? "oil" : "x"), .title_len = i < 100 ? 3 : 1,
                               .text = text, .text_len = len};
    }
    return arts;
}

/* Searches qs pruned from the first match on (threshold 0) and
 * exhaustively: the hits must be the same bits; returns the pruned
 * results (the caller releases them) and the exhaustive total. */
static bl_results pruned_and_exhaustive(bl_index *idx, bl_analyzer *a, const char *qs, size_t k,
                                        uint64_t *full_total)
{
    bl_qnode *q;
    size_t pos;
    bl_query_opts qo = {0};
    cr_assert_eq(bl_query_parse(qs, a, &qo, &q, &pos), 0, "%s", bl_error_detail());
    bl_bm25 p = BL_BM25_DEFAULT;
    bl_search_opts prune = {0, 0, 1}, all = {1, BL_TOTAL_THRESHOLD, 1};
    bl_results pr, ex;
    cr_assert_eq(bl_search_ex(idx, q, k, &p, &prune, &pr), 0, "%s", bl_error_detail());
    cr_assert_eq(bl_search_ex(idx, q, k, &p, &all, &ex), 0, "%s", bl_error_detail());
    cr_assert_eq(ex.relation, BL_TOTAL_EQ);
    cr_assert_eq(pr.nhits, ex.nhits, "[%s]", qs);
    for (size_t i = 0; i < pr.nhits; i++)
        cr_assert(pr.hits[i].doc == ex.hits[i].doc &&
                      memcmp(&pr.hits[i].score, &ex.hits[i].score, sizeof(double)) == 0,
                  "[%s] rank %zu: pruned %u %a, exhaustive %u %a", qs, i, pr.hits[i].doc,
                  pr.hits[i].score, ex.hits[i].doc, ex.hits[i].score);
    *full_total = ex.total;
    bl_results_release(&ex);
    bl_qnode_free(q);
    return pr;
}

/* Each kind of node skips the documents that cannot reach the top k:
 * after the first block, nothing can, in either segment (the second starts
 * from the first's floor). The total says it is a lower bound. */
Test(search, pruning_skips_what_cannot_reach_the_top)
{
    enum { NDOCS = 3000 };
    bl_rng r;
    bl_rng_init(&r, bl_test_seed("search.pruning_skips"));
    bl_article *arts = few_good_articles(&r, NDOCS);
    built_index b;
    build_and_open(&b, arts, NDOCS, NDOCS / 2);
    bl_index *idx = b.idx;
    bl_analyzer *a = b.a;
    static const char *const queries[] = {
        "oil", "oil OR gold", "oil OR silver", "oil prices", "\"oil prices\"", "oil -silver",
        "oi*", "\"oil pric*\"", "(oil prices) OR \"prices oil\"",
    };
    for (size_t i = 0; i < sizeof queries / sizeof *queries; i++) {
        uint64_t full;
        bl_results pr = pruned_and_exhaustive(idx, a, queries[i], 10, &full);
        cr_expect_eq(pr.nhits, 10, "[%s]", queries[i]);
        cr_expect_geq(full, NDOCS - 100, "[%s]", queries[i]);
        cr_expect_eq(pr.relation, BL_TOTAL_GTE, "[%s]", queries[i]);
        cr_expect(pr.total >= 10 && pr.total <= 300, "[%s]: %llu of %llu documents visited",
                  queries[i], (unsigned long long)pr.total, (unsigned long long)full);
        bl_results_release(&pr);
    }
    close_and_remove(&b);
    free_articles(arts, NDOCS);
}

/* Indexes arts[0..ndocs) (one segment; frees them) and runs each query
 * pruned and exhaustively (pruned_and_exhaustive checks they agree): the
 * top ten must be documents 0 to 9, and pruning must have passed over all
 * but at most two blocks' worth of the ndocs matches. */
static void expect_first_ten_few_visited(bl_article *arts, size_t ndocs,
                                         const char *const *queries, size_t nq)
{
    built_index b;
    build_and_open(&b, arts, ndocs, ndocs);
    bl_index *idx = b.idx;
    bl_analyzer *a = b.a;
    for (size_t i = 0; i < nq; i++) {
        uint64_t full;
        bl_results pr = pruned_and_exhaustive(idx, a, queries[i], 10, &full);
        cr_assert_eq(full, ndocs, "[%s]", queries[i]);
        for (uint32_t d = 0; d < 10; d++)
            cr_expect_eq(pr.hits[d].doc, d, "[%s] rank %u", queries[i], d);
        cr_expect(pr.relation == BL_TOTAL_GTE, "[%s]", queries[i]);
        cr_expect(pr.total <= 2 * BL_BLOCK_SIZE, "[%s]: %llu of %llu documents visited",
                  queries[i], (unsigned long long)pr.total, (unsigned long long)full);
        bl_results_release(&pr);
    }
    close_and_remove(&b);
    free_articles(arts, ndocs);
}

/* Blocks whose corner (highest tf, shortest length) could reach the top
 * but whose postings cannot: in every block of "oil" and "gold", one long
 * document holds them 9 times and the others, short, once each; the top
 * documents (the first ten, mid-length, 10 times each) outscore both kinds
 * but not the corner (tf 9 in a short document). Bounds from the blocks'
 * impacts skip every block after the first; the corners skipped none. The
 * phrase, whose bound combines one impact of each word, must give the
 * exhaustive answer here too. */
Test(search, pruning_skips_blocks_whose_corner_could_compete)
{
    enum { NDOCS = 6000 };
    bl_article *arts = calloc(NDOCS, sizeof *arts);
    for (size_t i = 0; i < NDOCS; i++) {
        char *text = malloc(400 * 6 + 64);
        size_t len = 0;
        int pairs = i < 10 ? 10 : i % 100 == 50 ? 9 : 1;
        int filler = i < 10 ? 0 : i % 100 == 50 ? 380 : 2;
        for (int k = 0; k < pairs; k++)
            len += (size_t)sprintf(text + len, "oil gold ");
        for (int k = 0; k < filler; k++)
            len += (size_t)sprintf(text + len, "lorem ");
        arts[i] = (bl_article){.title = strdup("x"), .title_len = 1, .text = text,
                               .text_len = len};
    }
    static const char *const queries[] = {"oil", "oil OR gold", "oil gold", "\"oil gold\""};
    expect_first_ten_few_visited(arts, NDOCS, queries, sizeof queries / sizeof *queries);
}

/* An OR whose best documents hold both words, where no block of either
 * word can be skipped (each holds a document scoring near the word's best)
 * but no document with one word can reach the floor: once the top ten are
 * in, both words are required and the search walks their AND. Without
 * that, every document of one word (about 3000) scored high enough with
 * the other word's bound to be looked at. */
/* n articles titled "x", article i's text text_of(i). */
static bl_article *articles_of(const char *(*text_of)(size_t i), size_t n)
{
    bl_article *arts = calloc(n, sizeof *arts);
    for (size_t i = 0; i < n; i++) {
        const char *text = text_of(i);
        arts[i] = (bl_article){.title = strdup("x"), .title_len = 1, .text = strdup(text),
                               .text_len = strlen(text)};
    }
    return arts;
}

static const char *two_required_words(size_t i)
{
    return i < 10           ? "oil gold oil gold oil gold"
           : i % 100 == 25 ? "oil oil oil oil oil oil"
           : i % 100 == 75 ? "gold gold gold gold gold gold"
           : i % 2         ? "gold gold lorem lorem lorem lorem"
                           : "oil oil lorem lorem lorem lorem";
}

Test(search, pruning_walks_an_or_as_an_and_once_every_word_is_required)
{
    enum { NDOCS = 6000 };
    static const char *const queries[] = {"oil OR gold", "gold OR oil", "oil OR gold OR nothing"};
    expect_first_ten_few_visited(articles_of(two_required_words, NDOCS), NDOCS, queries,
                                 sizeof queries / sizeof *queries);
}

/* The same with dense lists (each word in half the documents or more):
 * once the two weighty words are required, the candidates are the set
 * bits of their bitmaps' AND, and a third word in nearly every document
 * (like "reuter") is only probed. */
static const char *two_required_words_and_a_common_one(size_t i)
{
    return i < 10           ? "oil oil gold gold wire"
           : i % 100 == 25 ? "oil oil oil lorem lorem lorem lorem lorem"
           : i % 100 == 75 ? "gold gold gold lorem lorem lorem lorem lorem"
           : i % 10 == 3   ? "wire lorem ipsum dolor sit amet"
           : i % 2         ? "gold wire lorem lorem lorem lorem"
                           : "oil wire lorem lorem lorem lorem";
}

Test(search, pruning_walks_the_bitmaps_of_required_dense_words)
{
    enum { NDOCS = 6000 };
    static const char *const queries[] = {"oil OR gold OR wire", "wire OR gold OR oil",
                                          "(oil OR wire) OR gold OR nothing"};
    expect_first_ten_few_visited(articles_of(two_required_words_and_a_common_one, NDOCS), NDOCS,
                                 queries, sizeof queries / sizeof *queries);
}

/* Equal scores go to the lower ids with pruning too: once k documents of
 * score 0 are kept ("NOT gold"), no later one can enter, and the search
 * stops there; identical documents keep the first k. */
Test(search, pruning_keeps_ties_for_the_lower_ids)
{
    enum { NDOCS = 2000 };
    bl_article *arts = calloc(NDOCS, sizeof *arts);
    for (size_t i = 0; i < NDOCS; i++)
        arts[i] = (bl_article){.title = strdup("t"), .title_len = 1, .text = strdup("oil prices"),
                               .text_len = 10};
    built_index b;
    build_and_open(&b, arts, NDOCS, NDOCS / 2);
    bl_index *idx = b.idx;
    bl_analyzer *a = b.a;
    static const char *const queries[] = {"NOT gold", "oil", "oil OR prices", "\"oil prices\""};
    for (size_t i = 0; i < sizeof queries / sizeof *queries; i++) {
        uint64_t full;
        bl_results pr = pruned_and_exhaustive(idx, a, queries[i], 5, &full);
        cr_assert_eq(full, NDOCS);
        for (uint32_t d = 0; d < 5; d++)
            cr_expect_eq(pr.hits[d].doc, d, "[%s] rank %u", queries[i], d);
        if (i == 0)
            cr_expect(pr.relation == BL_TOTAL_GTE && pr.total == 5, "total %llu",
                      (unsigned long long)pr.total);
        bl_results_release(&pr);
    }
    close_and_remove(&b);
    free_articles(arts, NDOCS);
}

/* A phrase whose pair list the segment holds is scored with the sum of
 * its words' idfs, which for words that mostly come together exceeds the
 * pair's own idf: pruning must test candidates against that sum too (a
 * test with the pair's idf turned away documents of the true top k, the
 * best one included). alpha and beta come side by side in about a fifth
 * of the articles and alone in a few more, gamma in a quarter; lengths
 * vary; every article three times (equal scores at the edge of the top
 * k). */
Test(search, pruning_of_a_pair_phrase_beside_other_words_is_exact)
{
    enum { NDISTINCT = 1500, NDOCS = 3 * NDISTINCT };
    bl_rng r;
    bl_rng_init(&r, bl_test_seed("search.pruning_pair_phrase"));
    bl_article *arts = calloc(NDOCS, sizeof *arts);
    for (size_t i = 0; i < NDISTINCT; i++) {
        size_t cap = 4096, len = 0;
        char *x = malloc(cap);
        uint32_t words = 20 + bl_rng_below(&r, 200);
        for (uint32_t w = 0; w < words; w++) {
            uint32_t roll = bl_rng_below(&r, 10000);
            const char *word = roll < 20   ? "alpha beta"
                               : roll < 25 ? "alpha"
                               : roll < 30 ? "beta"
                               : roll < 60 ? "gamma"
                                           : NULL;
            char filler[16];
            if (!word) {
                snprintf(filler, sizeof filler, "w%u", bl_rng_below(&r, 5000));
                word = filler;
            }
            len += (size_t)snprintf(x + len, cap - len, "%s%s", w ? " " : "", word);
        }
        /* three copies far apart, as in a corpus that repeats itself:
         * equal scores at the edge of the top k */
        for (size_t c = 0; c < 3; c++)
            arts[i + c * NDISTINCT] = (bl_article){.title = strdup("t"), .title_len = 1,
                                                   .text = c ? strdup(x) : x, .text_len = len};
    }
    built_index b;
    build_and_open(&b, arts, NDOCS, NDOCS / 2);
    bl_index *idx = b.idx;
    bl_analyzer *a = b.a;
    static const char *const queries[] = {"\"alpha beta\" OR gamma", "\"alpha beta\" gamma",
                                          "gamma OR \"alpha beta\" OR w1",
                                          "\"alpha beta\" OR alpha"};
    static const size_t ks[] = {1, 3, 10, 40};
    for (size_t i = 0; i < sizeof queries / sizeof *queries; i++)
        for (size_t j = 0; j < sizeof ks / sizeof *ks; j++) {
            uint64_t full;
            bl_results pr = pruned_and_exhaustive(idx, a, queries[i], ks[j], &full);
            bl_results_release(&pr);
        }
    close_and_remove(&b);
    free_articles(arts, NDOCS);
}

/* Random queries over a larger index in four segments, top k of 1 to 50:
 * pruned equals exhaustive equals the oracle, and pruning did skip work in
 * a fair share of them. */
Test(search, oracle_pruned_top_k, .timeout = 300)
{
    uint64_t seed = bl_test_seed("search.oracle_pruned");
    bl_rng r;
    bl_rng_init(&r, seed);
    oracle_env e;
    oracle_open(&e, &r, seed, 3000, 750);
    unsigned long gte0 = pruned_gte, runs0 = pruned_runs;
    int parsed = 0;
    for (int qi = 0; qi < 200; qi++) {
        char qs[2048] = "";
        if (qi % 4 == 0) {
            /* frequent words, where pruning has most to skip */
            static const char *ops[] = {" OR ", " ", " OR ", "\" \""};
            uint32_t op = bl_rng_below(&r, 4);
            snprintf(qs, sizeof qs, "%s%s%s%s%s", op == 3 ? "\"" : "",
                     vocab[bl_rng_below(&r, 8)], ops[op], vocab[bl_rng_below(&r, 8)],
                     op == 3 ? "\"" : "");
        } else if (qi % 4 == 1) {
            /* a phrase of frequent words (its pair list, scored with the
             * sum of its words' idfs) beside other words */
            snprintf(qs, sizeof qs, "\"%s %s\" OR %s%s%s", vocab[bl_rng_below(&r, 8)],
                     vocab[bl_rng_below(&r, 8)], vocab[bl_rng_below(&r, 30)],
                     bl_rng_below(&r, 2) ? " OR " : " ", random_word(&r));
        } else {
            random_query(&r, qs, sizeof qs, 3);
        }
        parsed += oracle_compare(&e, qs, (int)bl_rng_below(&r, 2), 1 + bl_rng_below(&r, 50)) >= 0;
    }
    cr_assert(parsed >= 180, "only %d queries parsed", parsed);
    fprintf(stderr, "  pruned searches that skipped documents: %lu of %lu\n", pruned_gte - gte0,
            pruned_runs - runs0);
    cr_assert(pruned_gte - gte0 >= (pruned_runs - runs0) / 10,
              "pruning skipped documents in only %lu of %lu searches", pruned_gte - gte0,
              pruned_runs - runs0);
    oracle_close(&e);
}

/* ---- the command line -------------------------------------------------- */

/* Runs `byline ARGS` into *out and *err (see bl_test_byline_v). */
__attribute__((format(printf, 3, 4))) static int byline(char **out, char **err,
                                                         const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = bl_test_byline_v(out, err, fmt, ap);
    va_end(ap);
    return rc;
}

/* A small index of three articles in a fresh directory (owned path). */
static char *small_index(void)
{
    bl_article arts[3] = {
        {.title = "a", .title_len = 1, .text = "oil prices rose", .text_len = 15},
        {.title = "b", .title_len = 1, .text = "gold prices fell", .text_len = 16},
        {.title = "c", .title_len = 1, .text = "the white house said", .text_len = 20},
    };
    char *dir = bl_test_tmpdir();
    cr_assert_not_null(dir);
    cr_assert_eq(bl_test_build_index(dir, arts, 3, "english", 3), 0, "%s", bl_error_detail());
    return dir;
}

/* getopt reads "-oil" as options -o -i -l: the message must show how to
 * search for it. */
Test(search_cli, query_starting_with_minus_names_double_dash)
{
    char *dir = small_index(), *out = NULL, *err = NULL;
    cr_assert_eq(byline(&out, &err, "search -i '%s' -oil prices", dir), 2);
    cr_expect(strstr(err, "'--' ends the options"), "stderr: %s", err);
    cr_expect(strstr(err, "-i INDEX -- -oil prices"), "stderr: %s", err);
    /* and the advice works */
    cr_assert_eq(byline(&out, &err, "search -i '%s' --count -- -oil prices", dir), 0, "%s", err);
    cr_expect_str_eq(out, "1\n");
    cr_assert_eq(byline(&out, &err, "search -i '%s' -k", dir), 2);
    cr_expect(strstr(err, "'-k' needs a value"), "stderr: %s", err);
    free(out);
    free(err);
    bl_test_rmtree(dir);
    free(dir);
}

/* A query past the size limit is refused as malformed, with the limit and
 * the column where the query passes it. */
Test(search_cli, oversized_query_is_refused)
{
    char *dir = small_index(), *out = NULL, *err = NULL, path[4200];
    snprintf(path, sizeof path, "%s/queries", dir);
    size_t n = (size_t)BL_QUERY_MAX_BYTES + 10;
    char *q = malloc(n + 1);
    memset(q, ' ', n);
    memcpy(q, "oil", 3);
    q[n] = '\n';
    cr_assert_eq(bl_test_write_file(path, q, n + 1), 0);
    cr_assert_eq(byline(&out, &err, "search -i '%s' --count --queries '%s'", dir, path), 2);
    cr_expect(strstr(err, "longer than 1048576 bytes"), "stderr: %.300s", err);
    cr_expect(strstr(err, "column 1048577"), "stderr: %.300s", err);
    /* the same query within the limit is answered */
    q[BL_QUERY_MAX_BYTES - 1] = '\n';
    cr_assert_eq(bl_test_write_file(path, q, BL_QUERY_MAX_BYTES), 0);
    cr_assert_eq(byline(&out, &err, "search -i '%s' --count --queries '%s'", dir, path), 0,
                 "%.300s", err);
    /* One COUNT<TAB>QUERY record (the query echoed as given). */
    cr_expect(strncmp(out, "1\toil ", 6) == 0, "stdout: %.40s", out);
    free(q);
    free(out);
    free(err);
    bl_test_rmtree(dir);
    free(dir);
}


/* The part of out before its last line (the hits without the summary). */
static char *without_last_line(const char *out)
{
    size_t n = strlen(out);
    if (n && out[n - 1] == '\n')
        n--;
    while (n && out[n - 1] != '\n')
        n--;
    return strndup(out, n);
}

/* Hit totals: exact up to --total-threshold, beyond it a lower bound said
 * as such ("at least", "hits_relation": "gte"); --exhaustive,
 * --exact-count and --count count every match; the hits never change. */
Test(search_cli, hit_totals_are_exact_up_to_the_threshold)
{
    enum { NDOCS = 600 };
    bl_rng r;
    bl_rng_init(&r, bl_test_seed("search_cli.hit_totals"));
    bl_article *arts = few_good_articles(&r, NDOCS);
    char *dir = bl_test_tmpdir(), *out = NULL, *err = NULL, path[4200];
    cr_assert_eq(bl_test_build_index(dir, arts, NDOCS, "english", NDOCS), 0, "%s",
                 bl_error_detail());

    cr_assert_eq(byline(&out, &err, "search -i '%s' --json -k 3 --total-threshold 0 oil", dir), 0,
                 "%s", err);
    char *pruned_hits = without_last_line(out);
    cr_expect(strstr(out, "\"hits_relation\":\"gte\""), "%s", out);
    cr_expect(!strstr(out, "\"hits\":600,"), "%s", out);
    static const char *const exact[] = {"", "--exhaustive --total-threshold 0",
                                        "--exact-count --total-threshold 0"};
    for (size_t i = 0; i < 3; i++) {
        cr_assert_eq(byline(&out, &err, "search -i '%s' --json -k 3 %s oil", dir, exact[i]), 0,
                     "%s", err);
        cr_expect(strstr(out, "\"hits\":600,\"hits_relation\":\"eq\""), "[%s] %s", exact[i], out);
        char *hits = without_last_line(out);
        cr_expect_str_eq(hits, pruned_hits, "[%s]", exact[i]);
        free(hits);
    }
    cr_assert_eq(byline(&out, &err, "search -i '%s' -k 3 --total-threshold 0 oil", dir), 0);
    cr_expect(strstr(out, "\nat least ") && strstr(out, " matching documents, 3 shown ("), "%s",
              out);
    cr_assert_eq(byline(&out, &err, "search -i '%s' --count --total-threshold 0 oil", dir), 0);
    cr_expect_str_eq(out, "600\n");
    /* no match is still exit status 1; a bad threshold is bad usage */
    cr_expect_eq(byline(&out, &err, "search -i '%s' --total-threshold 0 nosuchword", dir), 1);
    cr_expect_eq(byline(&out, &err, "search -i '%s' --total-threshold lots oil", dir), 2);
    cr_expect(strstr(err, "--total-threshold wants a whole number"), "%s", err);
    /* --queries: one summary per query, each with its relation */
    snprintf(path, sizeof path, "%s/queries", dir);
    cr_assert_eq(bl_test_write_file(path, "oil\ngold\n", 9), 0);
    cr_assert_eq(byline(&out, &err, "search -i '%s' --json --stats -k 3 --total-threshold 0 "
                        "--queries '%s'", dir, path), 0, "%s", err);
    cr_expect(strstr(out, "{\"query\":\"oil\",\"hits\":") && strstr(out, "\"hits_relation\":\"gte\""),
              "%s", out);
    cr_expect(strstr(out, "{\"query\":\"gold\",\"hits\":100,\"hits_relation\":\"eq\""), "%s",
              out);
    cr_expect(strstr(err, "2 queries; latency ms"), "%s", err);
    free(pruned_hits);
    free(out);
    free(err);
    bl_test_rmtree(dir);
    free(dir);
    free_articles(arts, NDOCS);
}

/* ---- dense lists ---------------------------------------------------------- */

/* Runs qs (exhaustive, k hits) and returns the total; asserts success. */
static uint64_t total_of(bl_index *idx, bl_analyzer *a, const char *qs, size_t k)
{
    bl_qnode *q;
    size_t pos;
    bl_query_opts qo = {0};
    cr_assert_eq(bl_query_parse(qs, a, &qo, &q, &pos), 0, "%s", qs);
    bl_bm25 p = BL_BM25_DEFAULT;
    bl_search_opts all = {1, BL_TOTAL_THRESHOLD, 1};
    bl_results r;
    int rc = bl_search_ex(idx, q, k, &p, &all, &r);
    cr_assert_eq(rc, 0, "%s (k %zu): %s", qs, k, bl_error_detail());
    uint64_t n = r.total;
    bl_results_release(&r);
    bl_qnode_free(q);
    return n;
}

/* An AND counted alone (k = 0) goes through the bitmaps of its dense
 * words: all dense, one list without a bitmap, two (then the AND scorer
 * tests bits), a word the segment lacks, the same word twice. In a few
 * segments of different sizes, counts match a count by brute force and
 * the total of an exhaustive top 10. */
Test(search, count_of_an_and_by_bitmaps)
{
    enum { N = 3000 };
    static const char *const words[] = {"oil", "gold", "bank", "rate", "zinc", "tin"};
    /* doc d holds word w when d % mod[w] == rem[w]: oil 1/2, gold 1/3,
     * bank 1/5, rate 1/7 (dense: at least 1 in 16); zinc 1/40, tin 1/97 */
    static const uint32_t mod[] = {2, 3, 5, 7, 40, 97}, rem[] = {0, 1, 2, 0, 3, 5};
    bl_article *arts = calloc(N, sizeof *arts);
    char *texts = calloc(N, 64);
    for (uint32_t d = 0; d < N; d++) {
        char *t = texts + 64 * (size_t)d;
        strcpy(t, "news");
        for (size_t w = 0; w < 6; w++)
            if (d % mod[w] == rem[w])
                strcat(strcat(t, " "), words[w]);
        arts[d] = (bl_article){.title = "t", .title_len = 1, .text = t, .text_len = strlen(t)};
    }
    static const char *const queries[] = {
        "oil gold", "oil gold bank", "oil bank rate", "oil zinc", "gold bank zinc",
        "zinc oil rate", "zinc tin oil", "zinc tin", "oil platinum", "oil oil gold",
        "zinc zinc oil", "news oil",
    };
    for (size_t per = N; per >= N / 3; per -= N / 3) { /* 1 and 3 segments */
        char *dir = bl_test_tmpdir();
        cr_assert_eq(bl_test_build_index(dir, arts, N, "english", per), 0, "%s",
                     bl_error_detail());
        bl_index *idx;
        cr_assert_eq(bl_index_open(&idx, dir, 1), 0);
        bl_analyzer *a;
        cr_assert_eq(bl_analyzer_new(&a, "english"), 0);
        for (size_t qi = 0; qi < sizeof queries / sizeof *queries; qi++) {
            uint64_t want = 0;
            for (uint32_t d = 0; d < N; d++) {
                int all = 1;
                for (size_t w = 0; w < 6; w++)
                    if (strstr(queries[qi], words[w]) && d % mod[w] != rem[w])
                        all = 0;
                all &= strstr(queries[qi], "platinum") == NULL;
                want += (uint64_t)all;
            }
            cr_assert_eq(total_of(idx, a, queries[qi], 0), want, "[%s] in segments of %zu",
                         queries[qi], per);
            cr_assert_eq(total_of(idx, a, queries[qi], 10), want, "[%s] k 10", queries[qi]);
        }
        bl_analyzer_free(a);
        bl_index_close(idx);
        bl_test_rmtree(dir);
        free(dir);
    }
    free(arts);
    free(texts);
}

/* In an AND, a dense word that is not the lead, once it has rejected most
 * candidates of a window (256), rejects them by its bitmap, so its blocks
 * between two documents it shares with the lead are no longer read: damage
 * on such a page (checksum not resealed) fails a query that walks the word
 * (and byline check) but not the AND, whose results it does not change.
 * Without the bitmap, the AND would seek the word to every candidate of the
 * lead and read that page. */
Test(search, and_reads_no_block_its_bitmaps_rule_out, .timeout = 120)
{
    /* oil: every doc outside [LO, HI), the even ones inside, with tfs 1..8
     * (wide blocks); gold: docs 0..9 and HI..HI+9, and every 64th odd doc
     * inside (candidates oil never holds). */
    enum { N = 90000, LO = 5000, HI = 85000 };
    bl_article *arts = calloc(N, sizeof *arts);
    char *texts = calloc(N, 48);
    for (uint32_t d = 0; d < N; d++) {
        char *t = texts + 48 * (size_t)d;
        int in = d >= LO && d < HI;
        strcpy(t, "x");
        if (!in || d % 2 == 0)
            for (uint32_t k = 0; k <= (in ? d / 2 % 8 : 0); k++)
                strcat(t, " oil");
        if (d < 10 || (d >= HI && d < HI + 10) || (in && d % 128 == 1))
            strcat(t, " gold");
        arts[d] = (bl_article){.title = "t", .title_len = 1, .text = t, .text_len = strlen(t)};
    }
    char *dir = bl_test_tmpdir();
    cr_assert_eq(bl_test_build_index(dir, arts, N, "english", N), 0, "%s", bl_error_detail());
    free(arts);
    free(texts);

    /* Find a page of .doc holding only oil's blocks well inside [LO, HI). */
    bl_index *idx;
    cr_assert_eq(bl_index_open(&idx, dir, 1), 0);
    const bl_segment *seg = bl_index_segment(idx, 0);
    bl_terminfo ti;
    cr_assert_eq(bl_termdict_lookup(bl_segment_termdict(seg), "oil", 3, &ti), 0);
    const bl_mapped *f = bl_postings_docs_file(bl_segment_postings(seg));
    cr_assert(bl_postings_list_is_dense(ti.doc_freq, N, bl_segment_info(seg)->dense_ratio));
    bl_impact v[BL_IMPACTS_MAX];
    uint32_t nv, nb = (ti.doc_freq + BL_BLOCK_SIZE - 1) / BL_BLOCK_SIZE;
    size_t used;
    cr_assert_eq(bl_impacts_decode(f->data + ti.postings_offset, 64, v, &nv, &used), 0);
    size_t lasts = (((size_t)ti.postings_offset + used + 7) & ~(size_t)7) +
                   8 * (size_t)bl_postings_bitmap_words(N);
    /* skip data (FORMAT.md): last docs, block ends, position ends, bounds */
    size_t doc_ends = lasts + 4 * (size_t)nb, blocks = lasts + 17 * (size_t)nb;
    /* the first block starting after the first window's candidates (256 of
     * gold's, one in 128 documents from LO) and the last ending before
     * HI - 2000: pages between their starts hold oil's blocks in there */
    size_t lo = 0, hi = 0;
    for (uint32_t b = 1; b < nb; b++) {
        uint32_t first = bl_get_u32le(f->data + lasts + 4 * (size_t)(b - 1)) + 1;
        uint32_t last = bl_get_u32le(f->data + lasts + 4 * (size_t)b);
        size_t start = blocks + bl_get_u32le(f->data + doc_ends + 4 * (size_t)(b - 1));
        if (!lo && first > LO + 256 * 128 + 2000)
            lo = start;
        if (last < HI - 2000)
            hi = start;
    }
    size_t page = (lo + 4095) / 4096 * 4096;
    cr_assert(lo && page + 4096 <= hi, "no page of its own: blocks %zu..%zu", lo, hi);
    char doc[4200];
    snprintf(doc, sizeof doc, "%s/seg_00000001.doc", dir);
    bl_index_close(idx);

    size_t len;
    char *data = bl_test_read_file(doc, &len);
    data[page + 2048] ^= 0x10;
    cr_assert_eq(bl_test_write_file(doc, data, len), 0);
    free(data);
    cr_assert_eq(bl_index_open(&idx, dir, 0), 0, "%s", bl_error_detail());
    bl_analyzer *a;
    cr_assert_eq(bl_analyzer_new(&a, "english"), 0);
    cr_assert_eq(total_of(idx, a, "gold oil", 10), 20);
    cr_assert_eq(total_of(idx, a, "gold oil", 0), 20);
    /* the damage is real: walking oil reads it */
    bl_qnode *q;
    size_t pos;
    bl_query_opts qo = {0};
    cr_assert_eq(bl_query_parse("oil", a, &qo, &q, &pos), 0);
    bl_bm25 p = BL_BM25_DEFAULT;
    bl_results r;
    cr_assert_eq(bl_search(idx, q, 0, &p, &r), BL_ECORRUPT);
    cr_assert(strstr(bl_error_detail(), "seg_00000001.doc"), "%s", bl_error_detail());
    bl_qnode_free(q);
    bl_analyzer_free(a);
    bl_index_close(idx);
    bl_test_rmtree(dir);
    free(dir);
}

/* Words of the corpus of oracle_ands_of_dense_words, and how often a
 * document holds each (per mille), in documents without gold / with gold:
 * oil and gold lead; bank and zinc shun gold; tin shuns oil (see
 * draws_word); wheat is nearly everywhere; rice is rare. */
static const char *const dense_words[] = {"oil", "gold", "bank", "zinc", "tin", "wheat", "corn",
                                          "rice"};
static const uint32_t dense_permille[][2] = {{300, 300}, {150, 150}, {600, 40}, {110, 20},
                                             {400, 400}, {950, 950}, {300, 300}, {5, 5}};

/* Whether a document holding oil or not, gold or not, holds word w. */
static int draws_word(bl_rng *r, size_t w, int oil, int gold)
{
    if (w == 0)
        return oil;
    if (w == 1)
        return gold;
    uint32_t pm = dense_permille[w][gold];
    if (w == 4 && oil)
        pm /= 20;
    return bl_rng_below(r, 1000) < pm;
}

/* ANDs whose dense words reject most candidates switch to bit tests (a
 * window of 256 candidates with 7 in 8 rejected): dense words (bank, tin,
 * zinc) rarely in the documents of the words that lead (gold, oil), so the
 * leads bring hundreds of candidates that dense words mostly reject (and
 * some bring candidates they mostly accept). Counts and the k best,
 * exhaustive and pruned, and counts alone, all match the oracle, under
 * AND, NOT, OR and phrases. */
Test(search, oracle_ands_of_dense_words, .timeout = 300)
{
    uint64_t seed = bl_test_seed("search.oracle_ands_of_dense_words");
    bl_rng r;
    bl_rng_init(&r, seed);
    for (size_t per = 6000; per >= 3000; per -= 3000) {
        oracle_env e;
        memset(&e, 0, sizeof e);
        e.seed = seed;
        e.ndocs = 6000;
        e.arts = calloc(e.ndocs, sizeof *e.arts);
        for (size_t d = 0; d < e.ndocs; d++) {
            char *x = malloc(400);
            size_t len = 0;
            x[0] = 0; /* a document may hold no word at all */
            int oil = bl_rng_below(&r, 1000) < dense_permille[0][0];
            int gold = bl_rng_below(&r, 1000) < dense_permille[1][0];
            for (size_t w = 0; w < sizeof dense_words / sizeof *dense_words; w++)
                if (draws_word(&r, w, oil, gold))
                    for (uint32_t k = 1 + bl_rng_below(&r, bl_rng_below(&r, 4) ? 1 : 4); k > 0; k--)
                        len += (size_t)snprintf(x + len, 400 - len, "%s ", dense_words[w]);
            for (uint32_t k = bl_rng_below(&r, 30); k > 0; k--) /* lengths vary */
                len += (size_t)snprintf(x + len, 400 - len, "news ");
            char *t = malloc(2);
            strcpy(t, "t");
            e.arts[d] = (bl_article){.title = t, .title_len = 1, .text = x, .text_len = len,
                                     .source = "dense", .source_len = 5};
        }
        oracle_index(&e, per);
        static const char *const queries[] = {
            "gold bank", "gold zinc", "oil tin", "gold bank zinc", "gold bank tin",
            "gold bank -corn", "oil tin -bank", "gold \"bank wheat\"", "gold bank OR oil tin",
            "(gold bank) OR rice", "gold wheat", "corn bank wheat", "gold bank rice",
            "gold bank bank", "gold -bank", "oil tin mar*", "oil gold tin bank",
        };
        for (size_t qi = 0; qi < sizeof queries / sizeof *queries; qi++)
            for (size_t k = 1; k <= 100; k *= 10)
                cr_assert_geq(oracle_compare(&e, queries[qi], 0, k), 0, "[%s]", queries[qi]);
        oracle_close(&e);
    }
}

/* ---- phrases over segments with and without a word pair (pairs.h) ---- */

/* Words of the phrases, and what each segment does with them (segments of
 * PAIR_SEG documents): 0 indexes "oil price" in most documents (a list of
 * several blocks); 1 has "oil" in four documents only (no pair of "oil"
 * indexed, yet "oil price" occurs); 2 indexes both words but never "price
 * oil" (an indexed pair that is absent); 3 has "price" rare; 4 both. */
static const char *const pair_words[] = {"oil", "price", "gold", "rate", "cut"};
#define NPAIR_WORDS (sizeof pair_words / sizeof *pair_words)
#define PAIR_SEG 300
#define PAIR_NSEG 5
/* a token too long to index: it takes a position, so the words around it
 * are not side by side */
#define LONG_TOKEN "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"

static int pair_word_rare(size_t seg, size_t w)
{
    return (w == 0 && (seg == 1 || seg == 4)) || (w == 1 && (seg == 3 || seg == 4));
}

/* n random tokens of segment seg appended to s (cap bytes, len used):
 * fillers, the long token, and the segment's common words. */
static size_t pair_tokens(bl_rng *r, size_t seg, char *s, size_t cap, size_t len, uint32_t n)
{
    const char *prev = "";
    for (uint32_t i = 0; i < n; i++) {
        uint32_t roll = bl_rng_below(r, 100);
        char filler[16];
        const char *w;
        if (roll < 40) {
            synthetic_word(bl_rng_below(r, 1 + bl_rng_below(r, 200)), filler);
            w = filler;
        } else if (roll < 44) {
            w = LONG_TOKEN;
        } else {
            size_t k;
            do
                k = bl_rng_below(r, NPAIR_WORDS);
            while (pair_word_rare(seg, k));
            w = pair_words[k];
            if (seg == 2 && k == 0 && strcmp(prev, "price") == 0)
                w = "gold"; /* segment 2 never says "price oil" */
        }
        len += (size_t)snprintf(s + len, cap - len, "%s%s", len ? " " : "", w);
        prev = w;
    }
    return len;
}

static void pair_corpus(bl_rng *r, oracle_env *e, uint64_t seed)
{
    static const char *const rare_texts[] = {"oil price gold", "price oil", "gold oil price oil",
                                             "rate price oil price"};
    memset(e, 0, sizeof *e);
    e->seed = seed;
    e->ndocs = PAIR_SEG * PAIR_NSEG;
    e->arts = calloc(e->ndocs, sizeof *e->arts);
    for (size_t d = 0; d < e->ndocs; d++) {
        size_t seg = d / PAIR_SEG, i = d % PAIR_SEG;
        char *t = malloc(256), *x = malloc(1024);
        t[0] = x[0] = 0;
        size_t tl = pair_tokens(r, seg, t, 256, 0, 1 + bl_rng_below(r, 3)), xl = 0;
        if (seg == 0 && bl_rng_below(r, 10))
            xl += (size_t)snprintf(x, 1024, "oil price");
        xl = pair_tokens(r, seg, x, 1024, xl, 5 + bl_rng_below(r, 35));
        if (seg != 0 && seg != 2 && i < 4) /* the rare word's few documents */
            xl += (size_t)snprintf(x + xl, 1024 - xl, " %s", rare_texts[i]);
        e->arts[d] = (bl_article){.title = t, .title_len = tl, .text = x, .text_len = xl,
                                  .source = "pairs", .source_len = 5};
    }
    oracle_index(e, PAIR_SEG);
}

/* Whether segment s indexes the pair "a b", whether it holds it, and its
 * list's length. */
static void pair_state(const oracle_env *e, size_t s, const char *a, const char *b, int *indexed,
                       int *held, uint32_t *df)
{
    bl_segment *seg = bl_index_segment(e->idx, s);
    const bl_termdict *dict = bl_segment_termdict(seg);
    bl_terminfo ta, tb, tp;
    uint32_t dfa = 0, dfb = 0;
    if (bl_termdict_lookup(dict, a, strlen(a), &ta) == 0)
        dfa = ta.doc_freq;
    if (bl_termdict_lookup(dict, b, strlen(b), &tb) == 0)
        dfb = tb.doc_freq;
    *indexed = bl_pair_indexed(dfa, strlen(a), dfb, strlen(b), bl_segment_info(seg)->doc_count,
                               bl_segment_info(seg)->dense_ratio);
    char key[BL_TERM_MAX_BYTES];
    size_t len = bl_pair_key(a, strlen(a), b, strlen(b), key);
    int rc = bl_termdict_lookup(dict, key, len, &tp);
    cr_assert(rc == 0 || rc == BL_ENOTFOUND, "%s", bl_error_detail());
    *held = rc == 0;
    *df = *held ? tp.doc_freq : 0;
    cr_assert(!*held || *indexed, "segment %zu holds '%s %s', which it should not index", s, a, b);
}

/* A random phrase of 2 or 3 words (the first two words most often, now
 * and then a filler) into buf. */
static void pair_phrase(bl_rng *r, char *buf, size_t cap)
{
    size_t n = 2 + bl_rng_below(r, 2), len = (size_t)snprintf(buf, cap, "\"");
    for (size_t k = 0; k < n; k++) {
        const char *w = pair_words[bl_rng_below(r, bl_rng_below(r, 2) ? 2 : NPAIR_WORDS)];
        char filler[16];
        if (bl_rng_below(r, 12) == 0) {
            synthetic_word(bl_rng_below(r, 4), filler);
            w = filler;
        }
        len += (size_t)snprintf(buf + len, cap - len, "%s%s", k ? " " : "", w);
    }
    snprintf(buf + len, cap - len, "\"");
}

/* A query of phrases, alone or under AND / OR / NOT, with words. */
static void pair_query(bl_rng *r, char *buf, size_t cap, int depth)
{
    uint32_t pick = bl_rng_below(r, depth > 0 ? 6 : 3);
    size_t len = strlen(buf);
    if (pick < 2) {
        pair_phrase(r, buf + len, cap - len);
    } else if (pick == 2) {
        snprintf(buf + len, cap - len, "%s", pair_words[bl_rng_below(r, NPAIR_WORDS)]);
    } else {
        static const char *const ops[] = {" ", " AND ", " OR ", " -", " NOT "};
        snprintf(buf + len, cap - len, "(");
        pair_query(r, buf, cap, depth - 1);
        len = strlen(buf);
        snprintf(buf + len, cap - len, "%s", ops[bl_rng_below(r, 5)]);
        pair_query(r, buf, cap, depth - 1);
        len = strlen(buf);
        snprintf(buf + len, cap - len, ")");
    }
}

/* A phrase is answered from its pair's list where the segment indexes the
 * pair, from positions where it does not: over segments of both kinds
 * (and one where the indexed pair is absent), 2- and 3-word phrases, alone
 * and inside AND / OR / NOT, give the brute-force oracle's matches and
 * scores, exhaustive, pruned at random k, and counted alone. */
Test(search, oracle_phrases_with_and_without_pairs, .timeout = 300)
{
    uint64_t seed = bl_test_seed("search.oracle_phrases_with_and_without_pairs");
    bl_rng r;
    bl_rng_init(&r, seed);
    oracle_env e;
    pair_corpus(&r, &e, seed);
    cr_assert_eq(bl_index_segment_count(e.idx), PAIR_NSEG);
    /* the segments are what the test is about */
    int ix, held;
    uint32_t df;
    pair_state(&e, 0, "oil", "price", &ix, &held, &df);
    cr_assert(ix && held && df > 2 * BL_BLOCK_SIZE, "seed %llu: segment 0: df %u",
              (unsigned long long)seed, df);
    for (size_t s = 1; s < PAIR_NSEG; s += 2) {
        pair_state(&e, s, "oil", "price", &ix, &held, &df);
        cr_assert(!ix && !held, "segment %zu indexes 'oil price'", s);
    }
    pair_state(&e, 2, "oil", "price", &ix, &held, &df);
    cr_assert(ix && held);
    pair_state(&e, 2, "price", "oil", &ix, &held, &df);
    cr_assert(ix && !held, "segment 2: 'price oil' indexed %d, held %d", ix, held);
    pair_state(&e, 4, "gold", "rate", &ix, &held, &df);
    cr_assert(ix && held, "segment 4 indexes its common words' pairs");

    /* fixed phrases: each matches something */
    static const char *const fixed[] = {"\"oil price\"", "\"price oil\"", "\"oil price gold\"",
                                        "\"gold oil price\"", "\"oil price oil\"",
                                        "\"price oil price\"", "\"rate price oil\""};
    for (size_t q = 0; q < sizeof fixed / sizeof *fixed; q++) {
        long n = oracle_compare(&e, fixed[q], 0, 1 + bl_rng_below(&r, 50));
        cr_assert_gt(n, 0, "%s matches nothing", fixed[q]);
    }
    int parsed = 0, nonempty = 0;
    for (int qi = 0; qi < 200; qi++) {
        char qs[2048] = "";
        pair_query(&r, qs, sizeof qs, 2);
        long n = oracle_compare(&e, qs, (int)bl_rng_below(&r, 2), 1 + bl_rng_below(&r, 50));
        parsed += n >= 0;
        nonempty += n > 0;
    }
    fprintf(stderr, "  %d queries compared, %d with matches\n", parsed, nonempty);
    cr_assert(parsed >= 190 && nonempty >= parsed / 3, "%d parsed, %d matched", parsed,
              nonempty);
    oracle_close(&e);
}
