/* eval.c: scorers (docsets that can score their current doc), the tree
 * built from a query for one segment, and the top-k loop.
 *
 * Pruning. Once the top-k heap is full and the hit total has reached its
 * threshold, a new document must score above the heap's worst (the floor)
 * to enter: documents are visited in increasing global id, so one that only
 * ties the floor loses to the heap's (lower) ids. Every scorer can bound
 * its score over a stretch of documents without moving (bound_ops.bound):
 * a term from its blocks' impacts (each block's Pareto front of (tf,
 * length) pairs, postings.h: BM25 grows with tf and falls with length, so
 * the best of the pairs bounds every posting of the block), a phrase from the smallest of its terms'
 * highest tfs and the largest of their shortest lengths (a phrase occurs at
 * most as often as each of its words), an AND or OR from the sum of its
 * kids' bounds. The root alone prunes (bound_ops.prune): it then skips what
 * cannot score above the floor:
 *  - a term skips whole blocks, found with bl_posting_iter_shallow before
 *    they are decoded;
 *  - a phrase skips stretches where the bound of its terms' blocks is too
 *    low, and documents whose bound from the terms' tfs and the document's
 *    length is, before reading positions;
 *  - an AND skips stretches where the sum of its kids' bounds is too low;
 *  - an OR runs block-max MaxScore (see struct maxscore);
 *  - documents gathered in advance (rare prefix expansions, phrases ending
 *    in a prefix) skip each document whose score is too low.
 * NOT kids only exclude: they are read as before, never bounded. A prefix
 * is an OR and prunes as one, but its rare expansions are still gathered in
 * full when the tree is built, and an OR of more than OR_BOUND_KIDS kids
 * does not prune. Scores of the documents kept are computed exactly as
 * without pruning (an OR adds its kids' scores in their order in the
 * query whatever the path), so pruned and exhaustive results are the same
 * bits. Bounds are computed with the same BM25 expression as scores, and
 * a bound is only trusted when bound * (1 + BOUND_SLACK) <= floor: the
 * slack covers the rounding of sums taken in a different order (a relative
 * error below 1e-11 for the largest queries allowed) and of BM25 itself,
 * which in floating point may fall by an ulp as a huge tf grows. So a
 * document scoring exactly a bound does not make it prune: of many equal
 * scores, only zeros (purely negative queries) are skipped as ties. */
#include "eval.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "bitmap.h"
#include "buf.h"
#include "deletes.h"
#include "error.h"
#include "pairs.h"
#include "postings.h"

typedef struct scorer scorer;

/* The state pruning shares between the top-k loop and the root scorer. */
typedef struct {
    double floor;  /* a document must score above this to enter the heap */
    int skipped;   /* a document that may match was passed over */
    uint32_t docs; /* documents in the segment searched */
} prune_ctx;

/* How a scorer bounds its scores and prunes (see the top of the file). */
typedef struct {
    /* An upper bound of s's score over its documents in [from, to], from at
     * or after s's current doc; never moves s. INFINITY: no bound known. */
    double (*bound)(scorer *s, uint32_t from, uint32_t to);
    /* The last doc (>= target) of the stretch from target on that bound()
     * sees as one block, BL_DOC_END if s has no blocks. */
    uint32_t (*region_end)(scorer *s, uint32_t target);
    /* Root only, NULL if s cannot: from now on s's next() and seek() pass
     * over documents that cannot score above p->floor, setting p->skipped
     * when they do. Moves s to the first doc, from its current one on, that
     * may. Returns 0 (and changes nothing) when s does not prune after all. */
    int (*prune)(scorer *s, prune_ctx *p);
} bound_ops;

struct scorer {
    bl_docset ds; /* first: a scorer is a docset */
    double (*score)(scorer *s);
    const bound_ops *bounds;
};

#define BOUND_SLACK 1e-9

/* Whether a document whose score is at most bound cannot enter the heap.
 * NaN never prunes. */
static inline int cannot_compete(double bound, const prune_ctx *p)
{
    return bound * (1 + BOUND_SLACK) <= p->floor;
}

static inline double s_bound(scorer *s, uint32_t from, uint32_t to)
{
    return s->bounds->bound(s, from, to);
}
static inline uint32_t s_region_end(scorer *s, uint32_t target)
{
    return s->bounds->region_end(s, target);
}

static double zero_bound(scorer *s, uint32_t from, uint32_t to)
{
    (void)s, (void)from, (void)to;
    return 0.0;
}
static uint32_t no_region(scorer *s, uint32_t target)
{
    (void)s, (void)target;
    return BL_DOC_END;
}
/* Scores of 0 (nothing to skip by score) and the empty scorer. */
static const bound_ops zero_bounds = {zero_bound, no_region, NULL};

/* Everything one segment's evaluation allocates, for cleanup and for the
 * error check after the loop. */
/* Index-wide document frequencies already looked up during one search:
 * each segment's tree needs the same ones, and each lookup visits every
 * segment, so without it a query would cost segments^2 dictionary lookups. */
typedef struct {
    char **terms; /* open addressing; NULL = empty */
    uint64_t *dfs;
    size_t cap, n; /* cap is a power of two */
} df_cache;

typedef struct {
    const bl_index *idx;
    bl_segment *seg;
    bl_bm25 bm25;
    double avgdl;
    df_cache *dfs;
    bl_posting_iter **iters;
    size_t niters, iters_cap;
    int bounded; /* BM25 parameters under which scores can be bounded */
} build_ctx;

static int df_cache_grow(df_cache *dc)
{
    size_t cap = dc->cap ? dc->cap * 2 : 64;
    char **terms = calloc(cap, sizeof *terms);
    uint64_t *dfs = calloc(cap, sizeof *dfs);
    if (!terms || !dfs) {
        free(terms);
        free(dfs);
        return BL_ENOMEM;
    }
    for (size_t i = 0; i < dc->cap; i++) {
        if (!dc->terms[i])
            continue;
        size_t j = XXH3_64bits(dc->terms[i], strlen(dc->terms[i])) & (cap - 1);
        while (terms[j])
            j = (j + 1) & (cap - 1);
        terms[j] = dc->terms[i];
        dfs[j] = dc->dfs[i];
    }
    free(dc->terms);
    free(dc->dfs);
    dc->terms = terms;
    dc->dfs = dfs;
    dc->cap = cap;
    return 0;
}

static void df_cache_release(df_cache *dc)
{
    for (size_t i = 0; i < dc->cap; i++)
        free(dc->terms[i]);
    free(dc->terms);
    free(dc->dfs);
    memset(dc, 0, sizeof *dc);
}

/* The index-wide document frequency of term, looked up once per search. */
static int doc_freq(build_ctx *c, const char *term, size_t len, uint64_t *df)
{
    df_cache *dc = c->dfs;
    int rc;
    if (dc->n * 2 >= dc->cap && (rc = df_cache_grow(dc)) != 0)
        return rc;
    size_t j = XXH3_64bits(term, len) & (dc->cap - 1);
    for (; dc->terms[j]; j = (j + 1) & (dc->cap - 1))
        if (strlen(dc->terms[j]) == len && memcmp(dc->terms[j], term, len) == 0) {
            *df = dc->dfs[j];
            return 0;
        }
    if ((rc = bl_index_doc_freq(c->idx, term, len, df)) != 0)
        return rc;
    char *copy = malloc(len + 1);
    if (!copy)
        return BL_ENOMEM;
    memcpy(copy, term, len);
    copy[len] = 0;
    dc->terms[j] = copy;
    dc->dfs[j] = *df;
    dc->n++;
    return 0;
}

static uint32_t term_next(bl_docset *s);
static uint32_t term_seek(bl_docset *s, uint32_t target);
static const bl_docset_ops term_ops;

/* Plain terms, the commonest kids, are called directly: a leapfrog step
 * through two indirect calls costs about as much as the step itself. */
static inline uint32_t s_next(scorer *s)
{
    return s->ds.ops == &term_ops ? term_next(&s->ds) : bl_docset_next(&s->ds);
}
static inline uint32_t s_seek(scorer *s, uint32_t t)
{
    if (t <= s->ds.doc)
        return s->ds.doc;
    return s->ds.ops == &term_ops ? term_seek(&s->ds, t) : s->ds.ops->seek(&s->ds, t);
}

/* ---- empty and all-documents ------------------------------------------ */

static uint32_t end_next(bl_docset *s) { return s->doc = BL_DOC_END; }
static uint32_t end_seek(bl_docset *s, uint32_t t) { (void)t; return s->doc = BL_DOC_END; }
static void plain_free(bl_docset *s) { free(s); }
static double zero_score(scorer *s) { (void)s; return 0.0; }
static const bl_docset_ops empty_ops = {end_next, end_seek, plain_free};

static scorer *new_empty(void)
{
    scorer *s = calloc(1, sizeof *s);
    if (s) {
        s->ds = (bl_docset){&empty_ops, BL_DOC_END, 0, 0};
        s->score = zero_score;
        s->bounds = &zero_bounds;
    }
    return s;
}

typedef struct {
    scorer base;
    uint32_t n;
} all_scorer;

static uint32_t all_next(bl_docset *s)
{
    all_scorer *a = (all_scorer *)s;
    return s->doc = s->doc + 1 < a->n ? s->doc + 1 : BL_DOC_END;
}
static uint32_t all_seek(bl_docset *s, uint32_t t)
{
    all_scorer *a = (all_scorer *)s;
    return s->doc = t < a->n ? t : BL_DOC_END;
}
static const bl_docset_ops all_ops = {all_next, all_seek, plain_free};

static scorer *new_all(uint32_t n)
{
    all_scorer *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->n = n;
    a->base.ds = (bl_docset){&all_ops, n ? 0 : BL_DOC_END, n, 0};
    a->base.score = zero_score;
    a->base.bounds = &zero_bounds;
    return &a->base;
}

/* ---- term --------------------------------------------------------------- */

/* Block bounds a term scorer keeps (by the block's last doc): the same
 * blocks are bounded again and again (per MaxScore window, per stretch an
 * AND bounds, per doc a phrase checks), and each bound reads the block's
 * impacts. */
#define BOUND_CACHE 4

typedef struct {
    scorer base;
    bl_posting_iter *it;
    const bl_segment *seg;
    double idf, k1, b, avgdl;
    /* BM25 as numerator / denominator without its divisions, for tests
     * against a limit: idf * tf * (k1 + 1) / (tf + norm0 + norm1 * len) */
    double num1, norm0, norm1;
    int bounded;
    double term_max;   /* the bound over the whole list; NAN until asked */
    uint32_t cache_last[BOUND_CACHE]; /* BL_DOC_END: empty */
    double cache_bound[BOUND_CACHE];
    /* pruning (root only): the block the iterator is in, and its bound */
    prune_ctx *prune;
    uint32_t blk_last;
    double blk_bound;
} term_scorer;

/* BM25 of one term in one document, rounded down to a multiple of 2^-36.
 * A document's score is a sum of these in an order that depends on how the
 * index is cut into segments and on the path that scores it (which prefix
 * expansions get iterators, which kid a pruned OR probes first): doubles
 * that are multiples of 2^-36 add exactly while the sum stays below 2^17,
 * so every order gives the same bits, and an index answers with the same
 * scores whatever -j built it, merged or not, or cut into shards. Rounding
 * down keeps every bound of the formula an upper bound. */
static double bm25(double idf, double tf, double len, double k1, double b, double avgdl)
{
    double s = idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len / avgdl));
    if (s >= 0 && s < 0x1p26)
        return (double)(int64_t)(s * 0x1p36) * 0x1p-36;
    return s;
}

static double idf_of(uint64_t df, uint64_t n)
{
    /* df counts deleted documents until a merge drops them, n does not */
    if (df > n)
        df = n;
    return log(1.0 + ((double)n - (double)df + 0.5) / ((double)df + 0.5));
}

/* Bound of the term's score in documents of at least len tokens holding it
 * at most tf times (BM25 grows with tf and falls with the length). */
static double term_bm25_bound(const term_scorer *t, uint32_t tf, uint32_t len)
{
    return t->bounded ? bm25(t->idf, tf, len, t->k1, t->b, t->avgdl) : INFINITY;
}

/* The term's highest score over impacts v[0..n): BM25 is highest on one of
 * them (it grows with tf and falls with the length). NaN never prunes. */
static double impacts_bound(const term_scorer *t, const bl_impact *v, uint32_t n)
{
    if (!t->bounded)
        return INFINITY;
    double best = 0;
    for (uint32_t i = 0; i < n; i++) {
        double s = bm25(t->idf, v[i].tf, v[i].len, t->k1, t->b, t->avgdl);
        if (isnan(s))
            return s;
        best = s > best ? s : best;
    }
    return best;
}

/* The bound over the whole list, from the term's impacts. */
static double term_max_bound(term_scorer *t)
{
    if (isnan(t->term_max)) {
        const bl_impact *v;
        uint32_t n;
        bl_posting_iter_term_impacts(t->it, &v, &n);
        t->term_max = impacts_bound(t, v, n);
    }
    return t->term_max;
}

/* The exact bound of the block ending at last that would hold target (as
 * bl_posting_iter_shallow found it), from the block's impacts. */
static double term_block_bound(term_scorer *t, uint32_t target, uint32_t last)
{
    size_t slot = (uint32_t)(last * 0x9E3779B1u) >> 30; /* 4 slots */
    if (t->cache_last[slot] == last)
        return t->cache_bound[slot];
    bl_impact v[BL_IMPACTS_MAX];
    uint32_t n, at;
    bl_posting_iter_shallow_impacts(t->it, target, &at, v, &n);
    double b = impacts_bound(t, v, n);
    t->cache_last[slot] = last;
    t->cache_bound[slot] = b;
    return b;
}

/* How many blocks a bound over a stretch reads before it settles for the
 * whole list's bound. */
#define BOUND_BLOCKS 8

/* The highest tf (*tf) and shortest length (*len) of the blocks of it that
 * may hold a doc in [from, to], from at or after its current doc. Returns 0
 * when there are none (the list ends before from). */
static int blocks_bound(const bl_posting_iter *it, uint32_t from, uint32_t to, uint32_t *tf,
                        uint32_t *len)
{
    *tf = 0;
    *len = UINT32_MAX;
    for (int n = 0;; n++) {
        uint32_t last, mt, ml;
        bl_posting_iter_shallow(it, from, &last, &mt, &ml);
        if (last == BL_DOC_END)
            break;
        if (n == BOUND_BLOCKS) {
            bl_posting_iter_term_bound(it, tf, len);
            break;
        }
        *tf = mt > *tf ? mt : *tf;
        *len = ml < *len ? ml : *len;
        if (last >= to)
            break;
        from = last + 1;
    }
    return *tf > 0;
}

/* The highest of the exact bounds of the blocks that may hold a doc in
 * [from, to] (blocks_bound's walk, with each block's impacts). */
static double term_bound(scorer *s, uint32_t from, uint32_t to)
{
    term_scorer *t = (term_scorer *)s;
    double best = 0;
    for (int n = 0;; n++) {
        uint32_t last, mt, ml;
        bl_posting_iter_shallow(t->it, from, &last, &mt, &ml);
        if (last == BL_DOC_END)
            break;
        if (n == BOUND_BLOCKS)
            return term_max_bound(t);
        double b = term_block_bound(t, from, last);
        if (!(b <= best))
            best = b; /* NaN too: it never prunes */
        if (last >= to)
            break;
        from = last + 1;
    }
    return best;
}

static uint32_t term_region_end(scorer *s, uint32_t target)
{
    uint32_t last, mt, ml;
    bl_posting_iter_shallow(((term_scorer *)s)->it, target, &last, &mt, &ml);
    return last;
}

static uint32_t term_next(bl_docset *s)
{
    term_scorer *t = (term_scorer *)s;
    return s->doc = bl_posting_iter_next(t->it);
}
static uint32_t term_seek(bl_docset *s, uint32_t target)
{
    term_scorer *t = (term_scorer *)s;
    return s->doc = bl_posting_iter_seek(t->it, target);
}
/* The iterator itself is owned by the build context. */
static const bl_docset_ops term_ops = {term_next, term_seek, plain_free};

/* Pruning: the first doc >= target in a block that may score above the
 * floor. Blocks are judged by their skip entries (bl_posting_iter_shallow):
 * first by their corner, which needs nothing more, then, when the corner
 * may compete, by their impacts; only the block chosen is decoded. */
static uint32_t term_competitive(term_scorer *t, uint32_t target)
{
    bl_docset *d = bl_posting_iter_docset(t->it);
    for (;;) {
        uint32_t last, mt, ml;
        bl_posting_iter_shallow(t->it, target, &last, &mt, &ml);
        if (last == BL_DOC_END)
            return t->base.ds.doc = bl_docset_seek(d, BL_DOC_END);
        double b = term_bm25_bound(t, mt, ml);
        if (!cannot_compete(b, t->prune))
            b = term_block_bound(t, target, last);
        if (!cannot_compete(b, t->prune)) {
            t->blk_last = last;
            t->blk_bound = b;
            t->base.ds.doc = bl_docset_seek(d, target);
            /* every document of a competitive block is scored, each
             * reading its length: fetched for all of them at once */
            const uint32_t *docs;
            uint32_t n = bl_posting_iter_block_rest(t->it, &docs);
            bl_segment_prefetch_docs(t->seg, docs, n);
            return t->base.ds.doc;
        }
        t->prune->skipped = 1;
        target = last + 1;
    }
}

static uint32_t term_pruned_next(bl_docset *s)
{
    term_scorer *t = (term_scorer *)s;
    if (s->doc == BL_DOC_END)
        return BL_DOC_END;
    /* Within a block already judged, unless the floor has risen past it. */
    if (s->doc < t->blk_last && !cannot_compete(t->blk_bound, t->prune))
        return s->doc = bl_posting_iter_next(t->it);
    return term_competitive(t, s->doc + 1);
}
static uint32_t term_pruned_seek(bl_docset *s, uint32_t target)
{
    return term_competitive((term_scorer *)s, target);
}
static const bl_docset_ops term_pruned_ops = {term_pruned_next, term_pruned_seek, plain_free};

static int term_prune(scorer *s, prune_ctx *p)
{
    term_scorer *t = (term_scorer *)s;
    t->prune = p;
    s->ds.ops = &term_pruned_ops;
    term_competitive(t, s->ds.doc);
    return 1;
}

static const bound_ops term_bounds = {term_bound, term_region_end, term_prune};

static double term_score(scorer *s)
{
    term_scorer *t = (term_scorer *)s;
    return bm25(t->idf, bl_posting_iter_freq(t->it), bl_segment_doc_len(t->seg, s->ds.doc),
                t->k1, t->b, t->avgdl);
}

/* The floor divided by 1 + 2 * BOUND_SLACK, recomputed only when it
 * changed (*seen, *strict: the caller's cache): a sum of scores at most
 * this cannot compete, however BM25 rounds. */
static inline double strict_floor(const prune_ctx *p, double *seen, double *strict)
{
    if (p->floor != *seen) {
        *seen = p->floor;
        *strict = p->floor / (1 + 2 * BOUND_SLACK);
    }
    return *strict;
}

/* Whether plain word t's score on d at frequency tf is at most limit (a
 * part of strict_floor); else sets *score, term_score's BM25 of tf and
 * d's length. The test compares tf * num1 with limit * (tf + norm0 +
 * norm1 * len), BM25 without its two divisions: a pruned loop turns most
 * candidates away here, and the divisions' latency was most of their
 * cost. strict_floor's margin, twice cannot_compete's slack, dwarfs the
 * few ulps by which the two forms round apart, so the test turns away no
 * document that a test on the BM25 itself would keep. */
static inline int term_falls_short(const term_scorer *t, double limit, uint32_t d, uint32_t tf,
                                   double *score)
{
    double len = bl_segment_doc_len(t->seg, d);
    if (t->bounded && tf * t->num1 <= limit * (tf + t->norm0 + t->norm1 * len))
        return 1;
    *score = bm25(t->idf, tf, len, t->k1, t->b, t->avgdl);
    return 0;
}

static int open_iter(build_ctx *c, const bl_terminfo *ti, bl_posting_iter **out)
{
    if (c->niters == c->iters_cap) {
        size_t cap = c->iters_cap ? c->iters_cap * 2 : 16;
        bl_posting_iter **v = realloc(c->iters, cap * sizeof *v);
        if (!v)
            return BL_ENOMEM;
        c->iters = v;
        c->iters_cap = cap;
    }
    int rc = bl_posting_iter_new(bl_segment_postings(c->seg), ti, out);
    if (!rc)
        c->iters[c->niters++] = *out;
    return rc;
}

/* Gives t its idf and what follows from it: the numerator of the
 * division-free test (term_falls_short) and whether it may prune. */
static void term_set_idf(build_ctx *c, term_scorer *t, double idf)
{
    t->idf = idf;
    t->num1 = idf * (t->k1 + 1);
    t->bounded = c->bounded && idf >= 0 && isfinite(idf);
}

static int new_term(build_ctx *c, const bl_terminfo *ti, uint64_t df, scorer **out)
{
    term_scorer *t = calloc(1, sizeof *t);
    if (!t)
        return BL_ENOMEM;
    int rc = open_iter(c, ti, &t->it);
    if (rc) {
        free(t);
        return rc;
    }
    t->seg = c->seg;
    t->k1 = c->bm25.k1;
    t->b = c->bm25.b;
    t->avgdl = c->avgdl;
    term_set_idf(c, t, idf_of(df, bl_index_doc_count(c->idx)));
    t->norm0 = t->k1 * (1 - t->b);
    t->norm1 = t->k1 * t->b / t->avgdl;
    t->term_max = NAN;
    for (size_t i = 0; i < BOUND_CACHE; i++)
        t->cache_last[i] = BL_DOC_END;
    bl_docset *d = bl_posting_iter_docset(t->it);
    t->base.ds = (bl_docset){&term_ops, d->doc, d->cost, 0};
    t->base.score = term_score;
    t->base.bounds = &term_bounds;
    *out = &t->base;
    return 0;
}

/* ---- phrase ------------------------------------------------------------- */

typedef struct {
    scorer base;
    size_t n;
    bl_posting_iter **its; /* in phrase order */
    uint32_t *rel;         /* relative positions */
    /* its, then the lists of the phrase's indexed word pairs (pairs.h):
     * every list a document must be in, nall of them */
    bl_posting_iter **all;
    size_t nall;
    size_t lead;           /* in all: the cheapest, drives the leapfrog */
    uint32_t freq;         /* phrase occurrences in the current doc */
    const bl_segment *seg;
    double idf, k1, b, avgdl;
    int bounded;
    /* With record set, the position of terms[0] in every occurrence found
     * is appended to starts (for a phrase that ends in a prefix). */
    int record;
    bl_u32vec starts;
    /* pruning (root only): a stretch of documents [reg_from, reg_end] and
     * the bound of the phrase's score there */
    prune_ctx *prune;
    uint32_t reg_from, reg_end;
    double reg_bound;
    /* When every word's list is dense: their bitmaps (nwords words each),
     * whose AND gives the documents holding every word. */
    const uint64_t **bits;
    uint32_t nwords;
} phrase_scorer;

static int push_start(phrase_scorer *p, uint32_t pos)
{
    return bl_u32vec_push(&p->starts, pos);
}

/* Counts occurrences of the phrase in the doc all iterators are on, from
 * each position of its first word. */
static uint32_t phrase_freq_plain(phrase_scorer *p)
{
    const uint32_t *pos0, *posk;
    uint32_t n0, nk;
    if (bl_posting_iter_positions(p->its[0], &pos0, &n0))
        return 0;
    /* cursor[k] walks term k's positions as the candidate start grows. */
    uint32_t cursor[64] = {0};
    uint32_t freq = 0;
    for (uint32_t i = 0; i < n0; i++) {
        uint32_t start = pos0[i];
        int ok = 1;
        for (size_t k = 1; k < p->n && ok; k++) {
            if (bl_posting_iter_positions(p->its[k], &posk, &nk))
                return 0;
            uint64_t want = (uint64_t)start + p->rel[k] - p->rel[0];
            while (cursor[k] < nk && posk[cursor[k]] < want)
                cursor[k]++;
            ok = cursor[k] < nk && posk[cursor[k]] == want;
        }
        freq += ok;
        if (ok && p->record && !p->base.ds.err && push_start(p, start) != 0)
            p->base.ds.err = BL_ENOMEM;
    }
    return freq;
}

/* Most occurrences of its rarest word in a document that phrase_freq
 * anchors on the stack; past it, phrase_freq_plain counts. */
#define PHRASE_ANCHORS 256

/* Counts occurrences of the phrase in the doc all iterators are on. The
 * word occurring least often there anchors the count, and the others are
 * checked from the rarest on, each one's positions decoded only while some
 * anchor may still start an occurrence: a frequent word's positions ("the"
 * in "the white house") cost a large decode, often not needed at all. */
static uint32_t phrase_freq_two(phrase_scorer *p)
{
    const uint32_t *pa, *pb;
    uint32_t na, nb;
    if (bl_posting_iter_positions(p->its[0], &pa, &na) ||
        bl_posting_iter_positions(p->its[1], &pb, &nb))
        return 0;
    /* word 1 must stand at word 0's position + off */
    int64_t off = (int64_t)p->rel[1] - p->rel[0];
    uint32_t freq = 0;
    for (uint32_t i = 0, j = 0; i < na && j < nb; i++) {
        int64_t want = (int64_t)pa[i] + off;
        while (j < nb && pb[j] < want)
            j++;
        if (j < nb && pb[j] == want) {
            freq++;
            if (p->record && !p->base.ds.err && push_start(p, pa[i]) != 0)
                p->base.ds.err = BL_ENOMEM;
        }
    }
    return freq;
}

static uint32_t phrase_freq(phrase_scorer *p)
{
    /* Two words, both read anyway: a plain merge of their positions. */
    if (p->n == 2)
        return phrase_freq_two(p);
    uint32_t tf[64], order[64], m = 0;
    size_t a = 0;
    tf[0] = bl_posting_iter_freq(p->its[0]);
    for (size_t k = 1; k < p->n; k++) {
        tf[k] = bl_posting_iter_freq(p->its[k]);
        a = tf[k] < tf[a] ? k : a;
    }
    if (tf[a] > PHRASE_ANCHORS)
        return phrase_freq_plain(p);
    for (size_t k = 0; k < p->n; k++) {
        if (k == a)
            continue;
        uint32_t j = m++;
        for (; j > 0 && tf[order[j - 1]] > tf[k]; j--)
            order[j] = order[j - 1];
        order[j] = (uint32_t)k;
    }
    const uint32_t *pos;
    uint32_t np, cand[PHRASE_ANCHORS];
    size_t nc = 0;
    if (bl_posting_iter_positions(p->its[a], &pos, &np))
        return 0;
    /* anchor position - lead = where the phrase would start */
    int64_t lead = (int64_t)p->rel[a] - p->rel[0];
    for (uint32_t i = 0; i < np; i++)
        if ((int64_t)pos[i] >= lead)
            cand[nc++] = pos[i];
    for (uint32_t o = 0; o < m && nc; o++) {
        size_t k = order[o], keep = 0;
        if (bl_posting_iter_positions(p->its[k], &pos, &np))
            return 0;
        int64_t off = (int64_t)p->rel[k] - p->rel[a];
        for (size_t i = 0, j = 0; i < nc; i++) {
            int64_t want = (int64_t)cand[i] + off;
            while (j < np && pos[j] < want)
                j++;
            if (j < np && pos[j] == want)
                cand[keep++] = cand[i];
        }
        nc = keep;
    }
    for (size_t i = 0; i < nc && p->record && !p->base.ds.err; i++)
        if (push_start(p, (uint32_t)(cand[i] - lead)) != 0)
            p->base.ds.err = BL_ENOMEM;
    return (uint32_t)nc;
}

/* phrase_words_align from the words' bitmaps: the set bits of their AND,
 * 64 documents a word, each word's iterator then sought to the document.
 * One that does not land there (its list and bitmap disagree: damage the
 * check reports) makes it no candidate. */
static uint32_t phrase_words_align_bits(phrase_scorer *p, uint32_t target)
{
    for (uint64_t w = target >> 6; w < p->nwords; w++) {
        uint64_t word = bl_bitmap_word(p->bits[0], w);
        for (size_t k = 1; k < p->n && word; k++)
            word &= bl_bitmap_word(p->bits[k], w);
        if (w == target >> 6)
            word &= ~(uint64_t)0 << (target & 63);
        for (; word; word &= word - 1) {
            uint32_t doc = (uint32_t)(w * 64 + (uint64_t)__builtin_ctzll(word)), d = doc;
            for (size_t k = 0; k < p->n && d == doc; k++)
                d = bl_posting_iter_seek(p->its[k], doc);
            if (d == doc)
                return doc;
            if (d == BL_DOC_END)
                return BL_DOC_END;
        }
    }
    return BL_DOC_END;
}

/* Moves all iterators to the first doc >= target where every word occurs
 * (positions unread); BL_DOC_END if there is none. */
static uint32_t phrase_words_align(phrase_scorer *p, uint32_t target)
{
    if (p->bits)
        return phrase_words_align_bits(p, target);
    for (;;) {
        uint32_t doc = bl_posting_iter_seek(p->all[p->lead], target);
        if (doc == BL_DOC_END)
            return BL_DOC_END;
        /* pairs first: they reject more */
        size_t k = 0;
        for (; k < p->nall; k++) {
            uint32_t d = bl_posting_iter_seek(p->all[p->nall - 1 - k], doc);
            if (d != doc) {
                target = d;
                break;
            }
        }
        if (k == p->nall)
            return doc;
        if (target == BL_DOC_END)
            return BL_DOC_END;
    }
}

/* Moves all iterators to the first doc >= target where the phrase occurs. */
static uint32_t phrase_align(phrase_scorer *p, uint32_t target)
{
    for (;;) {
        uint32_t doc = phrase_words_align(p, target);
        if (doc != BL_DOC_END) /* scored after its positions are read */
            bl_segment_prefetch_lens(p->seg, doc, 1);
        if (doc == BL_DOC_END || (p->freq = phrase_freq(p)) > 0)
            return doc;
        if (doc + 1 == BL_DOC_END)
            return BL_DOC_END;
        target = doc + 1;
    }
}

static uint32_t phrase_seek(bl_docset *s, uint32_t target)
{
    return s->doc = phrase_align((phrase_scorer *)s, target);
}
static uint32_t phrase_next(bl_docset *s)
{
    return s->doc = s->doc == BL_DOC_END ? BL_DOC_END : phrase_align((phrase_scorer *)s, s->doc + 1);
}
static void phrase_free(bl_docset *s)
{
    phrase_scorer *p = (phrase_scorer *)s;
    free(p->all);
    free(p->rel);
    free(p->bits);
    bl_u32vec_release(&p->starts);
    free(p);
}
static const bl_docset_ops phrase_ops = {phrase_next, phrase_seek, phrase_free};

/* A phrase under an AND is walked in two phases: its docset stops at every
 * document holding all its words, and the AND reads positions
 * (phrase_verify) only where every other part agrees. */
static uint32_t phrase_words_seek(bl_docset *s, uint32_t target)
{
    ((phrase_scorer *)s)->freq = 0;
    return s->doc = phrase_words_align((phrase_scorer *)s, target);
}
static uint32_t phrase_words_next(bl_docset *s)
{
    ((phrase_scorer *)s)->freq = 0;
    return s->doc = s->doc == BL_DOC_END ? BL_DOC_END
                                         : phrase_words_align((phrase_scorer *)s, s->doc + 1);
}
static const bl_docset_ops phrase_words_ops = {phrase_words_next, phrase_words_seek, phrase_free};

/* Whether the phrase occurs in the document its words are on (counting
 * its occurrences for the score). */
static int phrase_verify(scorer *s)
{
    phrase_scorer *p = (phrase_scorer *)s;
    return (p->freq = phrase_freq(p)) > 0;
}

static double phrase_score(scorer *s)
{
    phrase_scorer *p = (phrase_scorer *)s;
    return bm25(p->idf, p->freq, bl_segment_doc_len(p->seg, s->ds.doc), p->k1, p->b, p->avgdl);
}

/* Bound of the phrase's score where it occurs at most tf times in documents
 * of at least len tokens. */
static double phrase_bm25_bound(const phrase_scorer *p, uint32_t tf, uint32_t len)
{
    return p->bounded ? bm25(p->idf, tf, len, p->k1, p->b, p->avgdl) : INFINITY;
}

/* phrase_bound of a two-word phrase whose stretch [from, to] lies in one
 * block of each word, from the blocks' impacts: a document holding the
 * phrase f times holds each word at least f times, so each word's block
 * has a pair (T, L) with T >= f and L <= the document's length, and the
 * phrase scores at most BM25(min of the two T, max of the two L) for some
 * choice of one pair per word. Returns 0 when the stretch spans blocks
 * (*bound unset; the caller uses the corners). */
static int phrase_pair_bound(phrase_scorer *p, uint32_t from, uint32_t to, double *bound)
{
    bl_impact a[BL_IMPACTS_MAX], b[BL_IMPACTS_MAX];
    uint32_t la, lb, na, nb;
    bl_posting_iter_shallow_impacts(p->its[0], from, &la, a, &na);
    bl_posting_iter_shallow_impacts(p->its[1], from, &lb, b, &nb);
    if (la == BL_DOC_END || lb == BL_DOC_END) {
        *bound = 0.0; /* a word has nothing left */
        return 1;
    }
    if (la < to || lb < to)
        return 0;
    /* Both fronts rise in tf and length. A pair whose smaller tf is a[i]'s
     * is dominated by a[i] with the first pair of b holding at least as
     * many (the shortest such), and the same the other way round: those
     * at most na + nb pairs give the best of all na * nb. */
    double best = 0;
    for (int side = 0; side < 2; side++) {
        const bl_impact *u = side ? b : a, *v = side ? a : b;
        uint32_t nu = side ? nb : na, nv = side ? na : nb;
        for (uint32_t i = 0, j = 0; i < nu; i++) {
            while (j < nv && v[j].tf < u[i].tf)
                j++;
            if (j == nv)
                break;
            double s = phrase_bm25_bound(p, u[i].tf, u[i].len > v[j].len ? u[i].len : v[j].len);
            if (isnan(s)) {
                *bound = s; /* it never prunes */
                return 1;
            }
            best = s > best ? s : best;
        }
    }
    *bound = best;
    return 1;
}

/* A document holding the phrase holds each of its words at least as often,
 * and is at least as long as the shortest document of each word's block
 * (for two words, from their impacts when the stretch allows). */
static double phrase_bound(scorer *s, uint32_t from, uint32_t to)
{
    phrase_scorer *p = (phrase_scorer *)s;
    double pair;
    if (p->nall == 2 && phrase_pair_bound(p, from, to, &pair))
        return pair;
    /* (an indexed pair's list bounds the phrase's tf like a word's) */
    uint32_t tf = UINT32_MAX, len = 0;
    for (size_t k = 0; k < p->nall; k++) {
        uint32_t mt, ml;
        if (!blocks_bound(p->all[k], from, to, &mt, &ml))
            return 0.0;
        tf = mt < tf ? mt : tf;
        len = ml > len ? ml : len;
    }
    return phrase_bm25_bound(p, tf, len);
}

static uint32_t phrase_region_end(scorer *s, uint32_t target)
{
    phrase_scorer *p = (phrase_scorer *)s;
    uint32_t end = BL_DOC_END;
    for (size_t k = 0; k < p->nall; k++) {
        uint32_t last, mt, ml;
        bl_posting_iter_shallow(p->all[k], target, &last, &mt, &ml);
        end = last < end ? last : end;
    }
    return end;
}

/* phrase_align under pruning: stretches whose bound cannot reach the floor
 * are skipped by their skip entries alone, and a document where all words
 * occur is only checked for positions if the bound from its words' tfs and
 * its length can. */
static uint32_t phrase_align_pruned(phrase_scorer *p, uint32_t target)
{
    prune_ctx *pc = p->prune;
    for (;;) {
        uint32_t doc = bl_posting_iter_seek(p->all[p->lead], target);
        if (doc == BL_DOC_END)
            return BL_DOC_END;
        bl_segment_prefetch_lens(p->seg, doc, 1); /* read below, after the seeks */
        if (doc < p->reg_from || doc > p->reg_end) {
            p->reg_from = doc;
            p->reg_end = phrase_region_end(&p->base, doc);
            p->reg_bound = phrase_bound(&p->base, doc, p->reg_end);
        }
        if (cannot_compete(p->reg_bound, pc)) {
            pc->skipped = 1;
            if (p->reg_end == BL_DOC_END)
                return BL_DOC_END;
            target = p->reg_end + 1;
            continue;
        }
        uint32_t tf = UINT32_MAX;
        size_t k = 0;
        for (; k < p->nall; k++) {
            bl_posting_iter *it = p->all[p->nall - 1 - k];
            uint32_t d = bl_posting_iter_seek(it, doc);
            if (d != doc) {
                target = d;
                break;
            }
            uint32_t f = bl_posting_iter_freq(it);
            tf = f < tf ? f : tf;
        }
        if (k < p->nall) {
            if (target == BL_DOC_END)
                return BL_DOC_END;
            continue;
        }
        if (!cannot_compete(phrase_bm25_bound(p, tf, bl_segment_doc_len(p->seg, doc)), pc)) {
            if ((p->freq = phrase_freq(p)) > 0)
                return doc;
        } else {
            pc->skipped = 1;
        }
        if (doc + 1 == BL_DOC_END)
            return BL_DOC_END;
        target = doc + 1;
    }
}

static uint32_t phrase_pruned_seek(bl_docset *s, uint32_t target)
{
    return s->doc = phrase_align_pruned((phrase_scorer *)s, target);
}
static uint32_t phrase_pruned_next(bl_docset *s)
{
    return s->doc = s->doc == BL_DOC_END ? BL_DOC_END
                                         : phrase_align_pruned((phrase_scorer *)s, s->doc + 1);
}
static const bl_docset_ops phrase_pruned_ops = {phrase_pruned_next, phrase_pruned_seek,
                                                phrase_free};

static int phrase_prune(scorer *s, prune_ctx *pc)
{
    phrase_scorer *p = (phrase_scorer *)s;
    p->prune = pc;
    p->reg_from = BL_DOC_END; /* no stretch yet */
    p->reg_end = 0;
    s->ds.ops = &phrase_pruned_ops;
    s->ds.doc = phrase_align_pruned(p, s->ds.doc);
    return 1;
}

static const bound_ops phrase_bounds = {phrase_bound, phrase_region_end, phrase_prune};


/* ---- AND with exclusions ------------------------------------------------- */

typedef struct {
    scorer base;
    scorer **pos;  /* sorted by cost, cheapest first */
    size_t npos;
    /* qord[q]: the index in pos of the q-th positive kid in query order.
     * Scores are added in query order, not pos's: costs differ from
     * segment to segment, and a document's score must be the same bits
     * however the index is cut into segments. */
    uint32_t *qord;
    /* Dense kids (plain terms but the lead whose lists carry a bitmap):
     * dense[i] is kid i's iterator or NULL, bits[i] its bitmap (nwords
     * words) once fetched; dense is NULL when no kid is. In bit mode such
     * kids reject a candidate by a bit test and their iterators are sought
     * only to candidates every bit accepts. A bit test costs about what a
     * seek within a block costs, and a candidate every kid accepts pays
     * both: bits pay only where dense kids reject nearly every candidate.
     * So a watch (watching) counts, over a window of BITS_WINDOW
     * candidates, the rejections by dense kids (by bit or by seek): bit
     * mode is on for the next window if they were at least BITS_REJECT_NUM
     * / BITS_REJECT_DEN of it; else nothing is counted for a while
     * (bits_wait matches, doubling up to BITS_WAIT_MAX windows' worth). */
    bl_posting_iter **dense;
    const uint64_t **bits;
    uint32_t nwords;
    int watching, bit_mode, bits_fetched;
    uint32_t bit_tries, bit_rejects, bits_wait, bits_backoff;
    /* phrases among pos, walked by their words: their positions are read
     * (phrase_verify) once every other part holds the document */
    scorer **verify;
    size_t nverify;
    scorer **neg;
    size_t nneg;
    /* pruning (root only): a stretch [reg_from, reg_end] and its bound */
    prune_ctx *prune;
    uint32_t reg_from, reg_end;
    double reg_bound;
    /* pair_bound's backoff: misses in a row, stretches left to wait,
     * and the next wait */
    uint32_t pair_misses, pair_wait, pair_backoff;
    /* and_new_region's backoff: stretches in a row not skipped and the
     * documents they spanned, the next unbounded stretch's length (0: none)
     * and its multiplier */
    uint32_t reg_misses, reg_wait, reg_backoff;
    uint64_t reg_span;
    /* Each positive kid's bound in the stretch (kb, by kid; kb_ok when
     * the stretch was bounded) and the kids by it, highest first (kord):
     * a candidate is scored kid by kid in that order only while it can
     * still reach the floor (and_may_reach). */
    double *kb;
    uint32_t *kord;
    int kb_ok;
    double *kmax; /* by kid: a plain word's whole-list bound, else NAN */
    const bl_segment *seg; /* whose lengths are prefetched, or NULL */
    /* Pruning an AND of dense plain words only (and_fast_prune): their
     * bitmaps (fbits, by kid) propose the candidates, and each kid's tf is
     * read in place; the kids' scores on the candidate fdoc (fscore, by
     * kid) are kept for and_fast_score. floor_seen and floor_strict as in
     * maxscore. */
    const uint64_t **fbits;
    double *fscore;
    uint32_t fdoc;
    uint64_t f_lens_ahead;
    double floor_seen, floor_strict;
} and_scorer;

/* A candidate's length is read when it is scored, after its kids are
 * sought: fetched from here on, the load overlaps the seeks. */
static inline void and_prefetch_len(const and_scorer *a, uint32_t doc)
{
    if (a->seg)
        bl_segment_prefetch_lens(a->seg, doc, 1);
}

#define REGION_TRIES 8
#define REGION_WAIT_MAX 16

#define PAIR_TRIES 8
#define PAIR_WAIT_MAX 1024

#define BITS_WINDOW 256
#define BITS_REJECT_NUM 7
#define BITS_REJECT_DEN 8
#define BITS_WAIT_MAX 64

static int excluded(and_scorer *a, uint32_t doc)
{
    for (size_t i = 0; i < a->nneg; i++)
        if (s_seek(a->neg[i], doc) == doc)
            return 1;
    return 0;
}

/* Fetches the dense kids' bitmaps (verifying their pages) the first time
 * bits are tested. A kid whose bitmap is damaged is then read by its
 * iterator alone, as every kid is without bitmaps (the damage is
 * byline check's to report; this query's results do not depend on it). */
static void and_fetch_bits(and_scorer *a)
{
    a->bits_fetched = 1;
    for (size_t i = 1; i < a->npos; i++) {
        uint32_t nw;
        if (a->dense[i] && bl_posting_iter_bitmap(a->dense[i], &a->bits[i], &nw) == 0 &&
            a->bits[i])
            a->nwords = nw;
        else
            a->bits[i] = NULL;
    }
}

/* 0 with *target set to the next doc after doc of a kid's bitmap when one
 * lacks doc (the doc its iterator would reach: the next candidate), else 1.
 * Ids stay below the segment's documents; the guard keeps a reading inside
 * the words whatever the lead gave. */
static int and_bits_hold(and_scorer *a, uint32_t doc, uint32_t *target)
{
    if (!a->bits_fetched)
        and_fetch_bits(a);
    for (size_t i = 1; i < a->npos; i++)
        if (a->bits[i] && (doc >= (uint64_t)a->nwords * 64 || !bl_bitmap_test(a->bits[i], doc))) {
            uint32_t next = bl_bitmap_next(a->bits[i], a->nwords, doc + 1);
            *target = next == UINT32_MAX ? BL_DOC_END : next;
            return 0;
        }
    return 1;
}

/* Ends a window of candidates: bits are tested in the next one if dense
 * kids rejected at least BITS_REJECT_NUM / BITS_REJECT_DEN of this one's. */
static void and_judge_bits(and_scorer *a)
{
    a->bit_mode = (uint64_t)BITS_REJECT_DEN * a->bit_rejects >=
                  (uint64_t)BITS_REJECT_NUM * a->bit_tries;
    a->bit_tries = a->bit_rejects = 0;
    if (a->bit_mode) {
        a->bits_backoff = 1;
        return;
    }
    a->watching = 0;
    a->bits_wait = BITS_WINDOW * a->bits_backoff;
    a->bits_backoff = a->bits_backoff < BITS_WAIT_MAX ? 2 * a->bits_backoff : BITS_WAIT_MAX;
}

/* Whether to run the loop that watches dense kids: while a watch is on,
 * else once bits_wait matches have passed (a new watch starts). */
static inline int and_watch(and_scorer *a)
{
    if (!a->dense || a->watching)
        return a->watching;
    if (a->bits_wait && --a->bits_wait)
        return 0;
    a->bit_tries = a->bit_rejects = 0;
    return a->watching = 1;
}

/* With every positive kid on doc: 1 if no NOT kid holds doc and every
 * phrase among the kids occurs there; else 0 with *target = doc + 1. */
static inline int and_rest_holds(and_scorer *a, uint32_t doc, uint32_t *target)
{
    if (!excluded(a, doc)) {
        size_t i = 0;
        while (i < a->nverify && phrase_verify(a->verify[i]))
            i++;
        if (i == a->nverify)
            return 1;
    }
    *target = doc + 1 == BL_DOC_END ? BL_DOC_END : doc + 1;
    return 0;
}

/* With the first positive kid on doc: 1 if every other positive kid holds
 * doc and no NOT kid does; else 0 with *target set to the next doc worth
 * trying (BL_DOC_END when there is none). The loops that call it are
 * compiled twice, dense a constant 0 or 1 (and_has_dense), so an AND
 * without dense kids pays nothing for them: with dense kids, in bit mode
 * they are asked by a bit first, their iterators then move only to
 * documents they hold (where scores need their tf), and a damaged bitmap
 * that claims more is overruled by the seek. */
static inline __attribute__((always_inline)) int and_confirm(and_scorer *a, uint32_t doc,
                                                            uint32_t *target, int dense)
{
    if (dense) {
        if (++a->bit_tries == BITS_WINDOW)
            and_judge_bits(a);
        if (a->bit_mode && !and_bits_hold(a, doc, target)) {
            a->bit_rejects++;
            return 0;
        }
    }
    for (size_t i = 1; i < a->npos; i++) {
        uint32_t d = s_seek(a->pos[i], doc);
        if (d != doc) {
            if (dense)
                a->bit_rejects += a->dense[i] != NULL;
            *target = d;
            return 0;
        }
    }
    return and_rest_holds(a, doc, target);
}

static inline __attribute__((always_inline)) uint32_t and_align_with(and_scorer *a,
                                                                     uint32_t target,
                                                                     int dense)
{
    for (;;) {
        uint32_t doc = s_seek(a->pos[0], target);
        if (doc == BL_DOC_END)
            return BL_DOC_END;
        and_prefetch_len(a, doc);
        if (and_confirm(a, doc, &target, dense))
            return doc;
        if (target == BL_DOC_END)
            return BL_DOC_END;
    }
}

static uint32_t and_align(and_scorer *a, uint32_t target)
{
    return and_watch(a) ? and_align_with(a, target, 1) : and_align_with(a, target, 0);
}

static uint32_t and_seek(bl_docset *s, uint32_t t) { return s->doc = and_align((and_scorer *)s, t); }
static uint32_t and_next(bl_docset *s)
{
    return s->doc = s->doc == BL_DOC_END ? BL_DOC_END : and_align((and_scorer *)s, s->doc + 1);
}
static void and_free(bl_docset *s)
{
    and_scorer *a = (and_scorer *)s;
    for (size_t i = 0; i < a->npos; i++)
        bl_docset_free(&a->pos[i]->ds);
    for (size_t i = 0; i < a->nneg; i++)
        bl_docset_free(&a->neg[i]->ds);
    free(a->pos);
    free(a->neg);
    free(a->verify);
    free(a->dense);
    free(a->bits);
    free(a->kb);
    free(a->kord);
    free(a->qord);
    free(a->kmax);
    free(a->fbits);
    free(a->fscore);
    free(a);
}
static const bl_docset_ops and_ops = {and_next, and_seek, and_free};

static double and_score(scorer *s)
{
    and_scorer *a = (and_scorer *)s;
    double sum = 0;
    for (size_t q = 0; q < a->npos; q++) {
        scorer *k = a->pos[a->qord[q]];
        sum += k->score(k);
    }
    return sum;
}

/* The bound of documents holding both plain words x and y in [from, to],
 * when that stretch lies in one block of each, from the blocks' impacts: a
 * document holding both is dominated by one pair (T, L) of each word's
 * block, so it holds each word at most T times and is at least as long as
 * the greater L; it scores at most the best, over one pair per word, of
 * the two BM25s at that length. That is below the sum of the words' own
 * bounds when one word's best postings are in short documents and the
 * other's in long ones. Returns 0 when it does not apply. */
static int pair_bound(scorer *sx, scorer *sy, uint32_t from, uint32_t to, double *bound)
{
    if (sx->ds.ops != &term_ops || sy->ds.ops != &term_ops)
        return 0;
    const term_scorer *x = (const term_scorer *)sx, *y = (const term_scorer *)sy;
    if (!x->bounded || !y->bounded)
        return 0;
    bl_impact u[BL_IMPACTS_MAX], v[BL_IMPACTS_MAX];
    uint32_t lx, ly, nu, nv;
    bl_posting_iter_shallow_impacts(x->it, from, &lx, u, &nu);
    bl_posting_iter_shallow_impacts(y->it, from, &ly, v, &nv);
    if (lx == BL_DOC_END || ly == BL_DOC_END) {
        *bound = 0.0; /* a word has nothing left */
        return 1;
    }
    if (lx < to || ly < to)
        return 0;
    /* Both fronts rise in tf and length. Among the pairs no longer than
     * some length L, the last pair of each front within L dominates the
     * others; so taking L from each pair of either front in turn, with the
     * other front's last pair within it, gives the best of all nu * nv. */
    double best = 0;
    for (int side = 0; side < 2; side++) {
        const bl_impact *p = side ? v : u, *q = side ? u : v;
        uint32_t np = side ? nv : nu, nq = side ? nu : nv;
        for (uint32_t i = 0, j = 0; i < np; i++) {
            while (j < nq && q[j].len <= p[i].len)
                j++;
            if (j == 0)
                continue; /* every pair of q is longer */
            const bl_impact *pu = side ? &q[j - 1] : &p[i], *pv = side ? &p[i] : &q[j - 1];
            uint32_t len = pu->len > pv->len ? pu->len : pv->len;
            double s = bm25(x->idf, pu->tf, len, x->k1, x->b, x->avgdl) +
                       bm25(y->idf, pv->tf, len, y->k1, y->b, y->avgdl);
            if (isnan(s)) {
                *bound = s; /* it never prunes */
                return 1;
            }
            best = s > best ? s : best;
        }
    }
    *bound = best;
    return 1;
}

/* The sum of the positive kids' bounds (for two words, from their
 * impacts when the stretch allows); exclusions only remove documents. */
static double and_bound(scorer *s, uint32_t from, uint32_t to)
{
    and_scorer *a = (and_scorer *)s;
    double sum = 0;
    for (size_t i = 0; i < a->npos; i++) {
        double b = s_bound(a->pos[i], from, to);
        if (a->kb)
            a->kb[i] = b;
        sum += b;
    }
    /* The tighter pair_bound costs more: only when the sum cannot prune,
     * and, after PAIR_TRIES in a row that did not prune either, only after
     * a wait that doubles each time (up to PAIR_WAIT_MAX stretches). */
    double pair;
    if (!a->prune || cannot_compete(sum, a->prune))
        return sum;
    if (a->pair_wait) {
        a->pair_wait--;
        return sum;
    }
    if (a->npos != 2 || !pair_bound(a->pos[0], a->pos[1], from, to, &pair))
        return sum;
    if (cannot_compete(pair, a->prune)) {
        a->pair_misses = 0;
        a->pair_backoff = 1;
    } else if (++a->pair_misses == PAIR_TRIES) {
        a->pair_misses = 0;
        a->pair_wait = a->pair_backoff;
        a->pair_backoff = a->pair_backoff < PAIR_WAIT_MAX ? 2 * a->pair_backoff : PAIR_WAIT_MAX;
    }
    return pair < sum ? pair : sum;
}

static uint32_t and_region_end(scorer *s, uint32_t target)
{
    and_scorer *a = (and_scorer *)s;
    uint32_t end = BL_DOC_END;
    for (size_t i = 0; i < a->npos; i++) {
        uint32_t e = s_region_end(a->pos[i], target);
        end = e < end ? e : end;
    }
    return end;
}

/* Starts the stretch holding doc: up to the first block end of any kid,
 * bounded from the kids' blocks. Bounding costs a few block reads per
 * stretch, which buys nothing while the floor stays below every bound: so
 * after REGION_TRIES stretches in a row that could not be skipped, the
 * next stretch spans as many documents as that many stretches did and is
 * not bounded (it skips nothing, which is always exact), twice as many
 * after the next such run, up to REGION_WAIT_MAX times. */
/* Orders the kids by their bounds in the new stretch (kb), highest first;
 * a NaN bound (it never prunes) leaves the per-candidate check off. */
static void and_order_kids(and_scorer *a)
{
    a->kb_ok = a->kb != NULL;
    for (size_t i = 0; i < a->npos && a->kb_ok; i++) {
        if (isnan(a->kb[i]))
            a->kb_ok = 0;
        size_t j = i;
        for (; j > 0 && a->kb[a->kord[j - 1]] < a->kb[i]; j--)
            a->kord[j] = a->kord[j - 1];
        a->kord[j] = (uint32_t)i;
    }
}

/* Whether a candidate every kid holds may score above the floor: its
 * kids' scores, highest bound first, plus the bounds of the kids not yet
 * scored (each sum added anew, so its rounding is a sum's, which
 * cannot_compete's slack covers). Two words of similar weight mostly stop
 * after the first: its exact score with the other's bound falls short. */
static int and_may_reach(and_scorer *a)
{
    if (!a->kb_ok)
        return 1;
    double sum = 0;
    for (size_t j = 0; j < a->npos; j++) {
        double rest = 0;
        for (size_t k = j; k < a->npos; k++)
            rest += a->kb[a->kord[k]];
        if (cannot_compete(sum + rest, a->prune))
            return 0;
        scorer *kid = a->pos[a->kord[j]];
        sum += kid->score(kid);
    }
    return !cannot_compete(sum, a->prune);
}

static void and_new_region(and_scorer *a, uint32_t doc)
{
    a->reg_from = doc;
    if (a->reg_wait) {
        uint64_t end = (uint64_t)doc + a->reg_wait;
        a->reg_end = end < BL_DOC_END ? (uint32_t)end : BL_DOC_END - 1;
        a->reg_bound = INFINITY;
        a->reg_wait = 0;
        /* the stretch is not bounded, but each word's whole list is */
        if (a->kb) {
            memcpy(a->kb, a->kmax, a->npos * sizeof *a->kb);
            and_order_kids(a);
        }
        return;
    }
    a->reg_end = and_region_end(&a->base, doc);
    a->reg_bound = and_bound(&a->base, doc, a->reg_end);
    and_order_kids(a);
    if (cannot_compete(a->reg_bound, a->prune)) {
        a->reg_misses = 0;
        a->reg_backoff = 1;
        a->reg_span = 0;
        return;
    }
    uint64_t span = a->reg_end == BL_DOC_END ? 0 : (uint64_t)a->reg_end - doc + 1;
    a->reg_span += span;
    if (++a->reg_misses == REGION_TRIES) {
        uint64_t wait = a->reg_span * a->reg_backoff;
        a->reg_wait = wait < UINT32_MAX ? (uint32_t)wait : UINT32_MAX;
        a->reg_misses = 0;
        a->reg_span = 0;
        a->reg_backoff = a->reg_backoff < REGION_WAIT_MAX ? 2 * a->reg_backoff : REGION_WAIT_MAX;
    }
}

/* and_align under pruning: before the other kids are sought to a
 * candidate of the cheapest, the stretch holding it is bounded from the
 * kids' blocks, and skipped whole if the bound cannot reach the floor. */
static inline __attribute__((always_inline)) uint32_t and_align_pruned_with(and_scorer *a,
                                                                            uint32_t target,
                                                                            int dense)
{
    prune_ctx *p = a->prune;
    for (;;) {
        uint32_t doc = s_seek(a->pos[0], target);
        if (doc == BL_DOC_END)
            return BL_DOC_END;
        and_prefetch_len(a, doc);
        if (doc < a->reg_from || doc > a->reg_end)
            and_new_region(a, doc);
        if (cannot_compete(a->reg_bound, p)) {
            p->skipped = 1;
            if (a->reg_end == BL_DOC_END)
                return BL_DOC_END;
            target = a->reg_end + 1;
            continue;
        }
        if (and_confirm(a, doc, &target, dense)) {
            if (and_may_reach(a))
                return doc;
            p->skipped = 1;
            if (doc + 1 == BL_DOC_END)
                return BL_DOC_END;
            target = doc + 1;
            continue;
        }
        if (target == BL_DOC_END)
            return BL_DOC_END;
    }
}

static uint32_t and_align_pruned(and_scorer *a, uint32_t target)
{
    return and_watch(a) ? and_align_pruned_with(a, target, 1)
                        : and_align_pruned_with(a, target, 0);
}

static uint32_t and_pruned_seek(bl_docset *s, uint32_t t)
{
    return s->doc = and_align_pruned((and_scorer *)s, t);
}
static uint32_t and_pruned_next(bl_docset *s)
{
    return s->doc = s->doc == BL_DOC_END ? BL_DOC_END
                                         : and_align_pruned((and_scorer *)s, s->doc + 1);
}
static const bl_docset_ops and_pruned_ops = {and_pruned_next, and_pruned_seek, and_free};

/* ---- pruning an AND of dense words ---- */

/* Bitmap words (of 64 documents) ahead of the candidates whose lengths
 * are prefetched (here and in the OR's ms_required_bits). */
#define LENS_AHEAD 4

/* The candidates of an AND of dense words: the first word, from from's
 * on, of the AND of the n >= 1 bitmaps bits[] (of nwords words) that has
 * a bit set in [from, last] (last below 64 * nwords), with the bits
 * outside it cleared; its index in *w. 0 when there is none. Each
 * candidate is scored, reading its length, a scattered load that misses
 * the cache: seg's lengths are fetched LENS_AHEAD words ahead of each word
 * returned (*lens_ahead: the last such word). */
static inline uint64_t bits_and_word(const uint64_t *const *bits, size_t n, uint32_t nwords,
                                     uint64_t from, uint64_t last, const bl_segment *seg,
                                     uint64_t *lens_ahead, uint64_t *w)
{
    for (uint64_t i = from >> 6; i <= last >> 6; i++) {
        uint64_t word = bl_bitmap_word(bits[0], i);
        for (size_t k = 1; k < n && word; k++)
            word &= bl_bitmap_word(bits[k], i);
        if (i == from >> 6)
            word &= ~(uint64_t)0 << (from & 63);
        if (i == last >> 6 && (last & 63) != 63)
            word &= ((uint64_t)1 << ((last & 63) + 1)) - 1;
        if (!word)
            continue;
        if (seg && i != *lens_ahead) {
            *lens_ahead = i;
            if (i + LENS_AHEAD < nwords)
                bl_segment_prefetch_lens(seg, (uint32_t)((i + LENS_AHEAD) * 64), 64);
        }
        *w = i;
        return word;
    }
    return 0;
}

/* Whether candidate d, which every kid holds, may score above the floor:
 * the kids are scored highest bound in the stretch first (kb and kord, as
 * and_new_region left them), each tf read in place, until what is known
 * plus the others' bounds cannot reach it (term_falls_short). When it
 * may, every kid's score is in fscore. */
static int and_fast_competes(and_scorer *a, uint32_t d)
{
    double floor = strict_floor(a->prune, &a->floor_seen, &a->floor_strict);
    double sum = 0, rest = 0;
    for (size_t j = 0; j < a->npos; j++)
        rest += a->kb[j];
    for (size_t j = 0; j < a->npos; j++) {
        uint32_t i = a->kord[j];
        term_scorer *t = (term_scorer *)a->pos[i];
        uint32_t tf;
        rest -= a->kb[i];
        if (bl_posting_iter_tf_at(t->it, d, &tf)) {
            a->fscore[i] = 0; /* damage: the iterator has ended with its err */
            continue;
        }
        if (term_falls_short(t, floor - sum - rest, d, tf, &a->fscore[i]))
            return 0;
        sum += a->fscore[i];
    }
    a->fdoc = d;
    return 1;
}

/* The first doc >= from that every kid holds, no NOT kid does, and that
 * may score above the floor: the set bits of the kids' bitmaps' AND (their
 * lengths fetched LENS_AHEAD words ahead, as the OR does), in stretches
 * bounded as and_align_pruned bounds them (and_new_region), a stretch
 * that cannot reach the floor passed over whole. */
static uint32_t and_fast_next(and_scorer *a, uint32_t from)
{
    prune_ctx *p = a->prune;
    uint64_t last = (uint64_t)a->nwords * 64 - 1, w, word;
    while (from <= last && (word = bits_and_word(a->fbits, a->npos, a->nwords, from, last,
                                                 a->seg, &a->f_lens_ahead, &w)) != 0) {
        from = w * 64 + 64; /* after this word, unless a stretch says otherwise */
        for (; word; word &= word - 1) {
            uint32_t d = (uint32_t)(w * 64 + (uint64_t)__builtin_ctzll(word));
            if (d < a->reg_from || d > a->reg_end)
                and_new_region(a, d);
            if (cannot_compete(a->reg_bound, p)) {
                p->skipped = 1;
                if (a->reg_end >= last)
                    return BL_DOC_END;
                from = (uint64_t)a->reg_end + 1;
                break;
            }
            if ((a->nneg && excluded(a, d)) || !and_fast_competes(a, d)) {
                p->skipped = 1;
                continue;
            }
            return d;
        }
    }
    return BL_DOC_END;
}

static uint32_t and_fast_seek(bl_docset *s, uint32_t t)
{
    return s->doc = t == BL_DOC_END ? BL_DOC_END : and_fast_next((and_scorer *)s, t);
}
static uint32_t and_fast_nextdoc(bl_docset *s)
{
    return s->doc = s->doc == BL_DOC_END ? BL_DOC_END : and_fast_next((and_scorer *)s, s->doc + 1);
}
static const bl_docset_ops and_fast_ops = {and_fast_nextdoc, and_fast_seek, and_free};

/* and_score's sum, in the same order, of the scores and_fast_competes
 * kept: the same bits as the exhaustive walk's. */
static double and_fast_score(scorer *s)
{
    and_scorer *a = (and_scorer *)s;
    double sum = 0;
    for (size_t q = 0; q < a->npos; q++)
        sum += a->fscore[a->qord[q]];
    return sum;
}

/* Prunes an AND whose positive kids are all dense plain words read in
 * place (bl_posting_iter_has_tf_at), two or more, one of them in at most
 * half the documents, with no phrase, from
 * their bitmaps (and_fast_next): the AND of their words gives each
 * candidate at once, where the leapfrog seeks one list to the other's
 * docs, and no block is decoded. Needs and_prune's kb, kord and kmax,
 * and its stretch reset. Returns 0 when the AND does not qualify. */
static int and_fast_prune(and_scorer *a)
{
    /* Words in most documents (the lead is the cheapest) propose nearly
     * every document, where and_align_pruned's stretches skip whole
     * blocks: `reuter of` took 3x its time here. */
    if (a->npos < 2 || a->nverify || !a->kmax || !a->seg ||
        a->pos[0]->ds.cost > a->prune->docs / 2)
        return 0;
    for (size_t i = 0; i < a->npos; i++) {
        if (a->pos[i]->ds.ops != &term_ops || isnan(a->kmax[i]))
            return 0;
        bl_posting_iter *it = ((term_scorer *)a->pos[i])->it;
        if (!bl_posting_iter_has_tf_at(it) || !((term_scorer *)a->pos[i])->bounded)
            return 0;
    }
    const uint64_t **bits = calloc(a->npos, sizeof *bits);
    double *fscore = calloc(a->npos, sizeof *fscore);
    uint32_t nwords = 0;
    int ok = bits && fscore;
    for (size_t i = 0; i < a->npos && ok; i++) {
        uint32_t nw;
        ok = bl_posting_iter_bitmap(((term_scorer *)a->pos[i])->it, &bits[i], &nw) == 0 &&
             bits[i] && (i == 0 || nw == nwords);
        nwords = nw;
    }
    if (!ok) { /* a damaged bitmap: the iterators read the lists */
        free(bits);
        free(fscore);
        bl_error_clear();
        return 0;
    }
    a->fbits = bits;
    a->fscore = fscore;
    a->nwords = nwords;
    a->fdoc = BL_DOC_END;
    a->f_lens_ahead = UINT64_MAX;
    a->floor_seen = NAN;
    a->base.ds.ops = &and_fast_ops;
    a->base.score = and_fast_score;
    a->base.ds.doc = and_fast_next(a, a->base.ds.doc);
    return 1;
}

static int and_prune(scorer *s, prune_ctx *p)
{
    and_scorer *a = (and_scorer *)s;
    a->prune = p;
    /* without them, candidates are only checked by their stretch */
    a->kb = malloc(a->npos * sizeof *a->kb);
    a->kord = malloc(a->npos * sizeof *a->kord);
    a->kmax = malloc(a->npos * sizeof *a->kmax);
    if (!a->kb || !a->kord || !a->kmax) {
        free(a->kb);
        free(a->kord);
        free(a->kmax);
        a->kb = a->kmax = NULL;
        a->kord = NULL;
    } else {
        for (size_t i = 0; i < a->npos; i++)
            a->kmax[i] = a->pos[i]->ds.ops == &term_ops
                             ? term_max_bound((term_scorer *)a->pos[i])
                             : NAN;
    }
    a->reg_from = BL_DOC_END; /* no stretch yet */
    a->reg_end = 0;
    a->pair_backoff = 1;
    a->reg_backoff = 1;
    if (a->kb && and_fast_prune(a))
        return 1;
    s->ds.ops = &and_pruned_ops;
    s->ds.doc = and_align_pruned(a, s->ds.doc);
    return 1;
}

static const bound_ops and_bounds = {and_bound, and_region_end, and_prune};

/* A positive kid and its place in the query. */
typedef struct {
    scorer *s;
    uint32_t q;
} ranked_kid;

static int cmp_cost(const void *x, const void *y)
{
    const ranked_kid *a = x, *b = y;
    if (a->s->ds.cost != b->s->ds.cost)
        return a->s->ds.cost > b->s->ds.cost ? 1 : -1;
    return (a->q > b->q) - (a->q < b->q);
}

/* Takes ownership of the arrays and the scorers in them. */
static scorer *new_and(scorer **pos, size_t npos, scorer **neg, size_t nneg)
{
    and_scorer *a = calloc(1, sizeof *a);
    ranked_kid *r = malloc((npos ? npos : 1) * sizeof *r);
    if (a)
        a->qord = malloc((npos ? npos : 1) * sizeof *a->qord);
    if (!a || !r || !a->qord) {
        if (a)
            free(a->qord);
        free(a);
        free(r);
        return NULL;
    }
    for (size_t i = 0; i < npos; i++)
        r[i] = (ranked_kid){pos[i], (uint32_t)i};
    qsort(r, npos, sizeof *r, cmp_cost);
    for (size_t i = 0; i < npos; i++) {
        pos[i] = r[i].s;
        a->qord[r[i].q] = (uint32_t)i;
    }
    free(r);
    size_t nphrases = 0;
    for (size_t i = 0; i < npos; i++)
        nphrases += pos[i]->ds.ops == &phrase_ops;
    if (nphrases && !(a->verify = malloc(nphrases * sizeof *a->verify))) {
        free(a->qord);
        free(a);
        return NULL;
    }
    for (size_t i = 0; i < npos; i++)
        if (pos[i]->ds.ops == &phrase_ops) {
            pos[i]->ds.ops = &phrase_words_ops; /* it stays on a true match */
            a->verify[a->nverify++] = pos[i];
        }
    a->pos = pos;
    a->npos = npos;
    a->neg = neg;
    a->nneg = nneg;
    a->base.ds = (bl_docset){&and_ops, 0, pos[0]->ds.cost, 0};
    a->base.score = and_score;
    a->base.bounds = &and_bounds;
    a->base.ds.doc = and_align(a, 0);
    return &a->base;
}

/* Ties a to its segment seg: marks its plain-term kids but the lead whose
 * lists carry a bitmap (fetched when first tested), and keeps seg for
 * length prefetches. Errors: BL_ENOMEM. */
static int and_attach(and_scorer *a, const bl_segment *seg)
{
    a->seg = seg;
    for (size_t i = 1; i < a->npos; i++) {
        if (a->pos[i]->ds.ops != &term_ops ||
            !bl_posting_iter_has_bitmap(((term_scorer *)a->pos[i])->it))
            continue;
        if (!a->dense && (!(a->dense = calloc(a->npos, sizeof *a->dense)) ||
                          !(a->bits = calloc(a->npos, sizeof *a->bits))))
            return BL_ENOMEM;
        a->dense[i] = ((term_scorer *)a->pos[i])->it;
    }
    return 0;
}

/* ---- OR ----------------------------------------------------------------- */

static void free_scorers(scorer **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        bl_docset_free(&v[i]->ds);
    free(v);
}

/* The kids form a min-heap on their current doc, so moving on costs
 * O(log n) per kid that moves, not O(n) per doc: a prefix may have
 * thousands of kids. Each heap entry keeps its kid's doc beside the
 * pointer, so sifting compares without visiting the kids. */
typedef struct {
    uint32_t doc;
    uint32_t idx; /* the kid's place among the OR's kids (their order in the query) */
    scorer *s;
} or_kid;

typedef struct maxscore maxscore;

/* Beyond this many kids an OR's bound is the sum of its kids' bounds over
 * the whole segment (one sum, kept), not recomputed per stretch; and the OR
 * does not prune as a root. */
#define OR_BOUND_KIDS 64
typedef struct {
    scorer base;
    or_kid *heap;
    size_t n;
    scorer **kids;    /* by idx */
    or_kid *on_doc;   /* room for n: the kids on the current doc, for or_score */
    double sum_bound; /* with more than OR_BOUND_KIDS kids: the bound, NAN until asked */
    maxscore *ms;     /* pruning (root only) */
} or_scorer;

static void or_sift_down(or_kid *h, size_t n, size_t i)
{
    or_kid x = h[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && h[c + 1].doc < h[c].doc)
            c++;
        if (h[c].doc >= x.doc)
            break;
        h[i] = h[c];
        i = c;
    }
    h[i] = x;
}

static uint32_t or_next(bl_docset *s)
{
    or_scorer *o = (or_scorer *)s;
    uint32_t d = s->doc;
    if (d == BL_DOC_END)
        return d;
    while (o->heap[0].doc == d) {
        o->heap[0].doc = s_next(o->heap[0].s);
        or_sift_down(o->heap, o->n, 0);
    }
    return s->doc = o->heap[0].doc;
}

static uint32_t or_seek(bl_docset *s, uint32_t t)
{
    or_scorer *o = (or_scorer *)s;
    while (o->heap[0].doc < t) {
        o->heap[0].doc = s_seek(o->heap[0].s, t);
        or_sift_down(o->heap, o->n, 0);
    }
    return s->doc = o->heap[0].doc;
}

static void maxscore_free(maxscore *ms);

static void or_free(bl_docset *s)
{
    or_scorer *o = (or_scorer *)s;
    free_scorers(o->kids, o->n);
    free(o->heap);
    free(o->on_doc);
    maxscore_free(o->ms);
    free(o);
}
static const bl_docset_ops or_ops = {or_next, or_seek, or_free};

/* Appends the kids on doc to out: they are the root's subtree of nodes on
 * doc (a node's children are never on a smaller doc), so the walk stops
 * early. */
static void or_collect(const or_kid *h, size_t n, size_t i, uint32_t doc, or_kid *out, size_t *m)
{
    if (i >= n || h[i].doc != doc)
        return;
    out[(*m)++] = h[i];
    or_collect(h, n, 2 * i + 1, doc, out, m);
    or_collect(h, n, 2 * i + 2, doc, out, m);
}

static int cmp_idx(const void *x, const void *y)
{
    const or_kid *a = x, *b = y;
    return (a->idx > b->idx) - (a->idx < b->idx);
}

/* The kids on doc as bits of their idx (an OR of at most 64 kids): the
 * root's subtree of nodes on doc. */
static uint64_t or_mask(const or_kid *h, size_t n, size_t i, uint32_t doc)
{
    if (i >= n || h[i].doc != doc)
        return 0;
    return (uint64_t)1 << h[i].idx | or_mask(h, n, 2 * i + 1, doc) | or_mask(h, n, 2 * i + 2, doc);
}

/* Adds up the scores of the kids on the current doc in the kids' order,
 * whatever the shape of the heap: pruning reaches documents by other paths,
 * and a document's score must be the same bits on every path. */
static double or_score(scorer *s)
{
    or_scorer *o = (or_scorer *)s;
    uint32_t doc = s->ds.doc;
    double sum = 0;
    if (o->n <= 8) { /* a few kids are quicker to look at in turn */
        for (size_t i = 0; i < o->n; i++)
            if (o->kids[i]->ds.doc == doc)
                sum += o->kids[i]->score(o->kids[i]);
        return sum;
    }
    if (o->n <= 64) {
        for (uint64_t m = or_mask(o->heap, o->n, 0, doc); m; m &= m - 1) {
            scorer *k = o->kids[__builtin_ctzll(m)];
            sum += k->score(k);
        }
        return sum;
    }
    or_kid *on = o->on_doc;
    size_t m = 0;
    or_collect(o->heap, o->n, 0, doc, on, &m);
    if (m > 16) {
        qsort(on, m, sizeof *on, cmp_idx);
    } else {
        for (size_t i = 1; i < m; i++) {
            or_kid x = on[i];
            size_t j = i;
            for (; j > 0 && on[j - 1].idx > x.idx; j--)
                on[j] = on[j - 1];
            on[j] = x;
        }
    }
    for (size_t i = 0; i < m; i++)
        sum += on[i].s->score(on[i].s);
    return sum;
}

/* or_score for an OR walked the same way with or without pruning (a root
 * that does not prune): the kids on the doc are added in the heap's order,
 * which is then the same on both paths, without sorting them. */
static double or_heap_sum(const or_kid *h, size_t n, size_t i, uint32_t doc)
{
    if (i >= n || h[i].doc != doc)
        return 0;
    return h[i].s->score(h[i].s) + or_heap_sum(h, n, 2 * i + 1, doc) +
           or_heap_sum(h, n, 2 * i + 2, doc);
}

static double or_heap_score(scorer *s)
{
    or_scorer *o = (or_scorer *)s;
    return or_heap_sum(o->heap, o->n, 0, s->ds.doc);
}

/* The sum of the bounds of the kids that may have a document in [from, to]. */
static double or_bound(scorer *s, uint32_t from, uint32_t to)
{
    or_scorer *o = (or_scorer *)s;
    if (o->n > OR_BOUND_KIDS) {
        if (isnan(o->sum_bound)) {
            double sum = 0;
            for (size_t i = 0; i < o->n; i++) {
                scorer *k = o->kids[i];
                if (k->ds.doc != BL_DOC_END)
                    sum += s_bound(k, k->ds.doc, BL_DOC_END);
            }
            o->sum_bound = sum;
        }
        return o->sum_bound;
    }
    double sum = 0;
    for (size_t i = 0; i < o->n; i++) {
        scorer *k = o->kids[i];
        if (k->ds.doc <= to && k->ds.doc != BL_DOC_END)
            sum += s_bound(k, from > k->ds.doc ? from : k->ds.doc, to);
    }
    return sum;
}

static uint32_t or_region_end(scorer *s, uint32_t target)
{
    or_scorer *o = (or_scorer *)s;
    uint32_t end = BL_DOC_END;
    if (o->n > OR_BOUND_KIDS)
        return end;
    for (size_t i = 0; i < o->n; i++) {
        scorer *k = o->kids[i];
        if (k->ds.doc == BL_DOC_END)
            continue;
        uint32_t e = s_region_end(k, target > k->ds.doc ? target : k->ds.doc);
        end = e < end ? e : end;
    }
    return end;
}

/* Pruning an OR: block-max MaxScore (Turtle and Flood's MaxScore with the
 * kids' bounds taken per window of documents, not per list, as Lucene's
 * MaxScoreBulkScorer does). Chosen over block-max WAND because an OR's kids
 * here are phrases, ANDs and prefixes as well as terms: WAND keeps its
 * cursors sorted by doc and moves several of them to each pivot, while
 * MaxScore draws candidates only from the kids that could reach the floor
 * without the others (the essential ones) and seeks each other kid, most
 * bounded first, only while the candidate can still reach it; the order of
 * the kids on a document never matters, so nothing is sorted per document.
 *
 * The documents are cut into windows, each ending where the first of the
 * kids' blocks (bound_ops.region_end) ends. In a window, the kids are
 * ordered by their bound there; the longest run of the smallest bounds
 * whose sum cannot reach the floor is non-essential (the run grows as the
 * floor rises). When every kid is, the window is skipped whole. */
struct maxscore {
    prune_ctx *p;
    int win_ok;       /* wb, order and psum describe the window ending at win_end */
    uint32_t win_end;
    size_t ness;      /* order[0..ness) are non-essential */
    double *wb;       /* by kid: its bound in the window */
    uint32_t *order;  /* kids by wb, ascending */
    double *psum;     /* psum[j] = wb[order[0]] + ... + wb[order[j - 1]] */
    double *kscore;   /* by kid: its score on document kdoc[kid] */
    /* p->floor when last seen, and it divided by 1 + 2 * BOUND_SLACK: a
     * sum at most this cannot compete however its BM25 rounds */
    double floor_seen, floor_strict;
    uint32_t *kdoc;
    /* The kids every competitive document of the window holds, the one
     * with the fewest postings first (nreq 0: none), as found for the
     * window and the floor req_floor. */
    uint32_t *req;
    size_t nreq;
    int req_leads; /* whether they propose the candidates (ms_required) */
    double req_floor;
    /* By kid: the bitmap of a plain word's dense list, NULL for any other
     * kid (or a damaged one), fetched when first required (kbits_known). */
    const uint64_t **kbits;
    uint8_t *kbits_known;
    uint32_t nwords;
    /* By kid: 1 for a plain word whose bitmap ms_competes tests and whose
     * tf it reads in place (bl_posting_iter_tf_at) instead of seeking it;
     * such a kid's iterator stays where it was, behind the candidates. */
    uint8_t *kfast;
    /* When every required kid has a bitmap (at least two of them), their
     * bitmaps: candidates are the set bits of their AND, 64 documents a
     * word, and no kid is sought to a document another lacks. */
    const uint64_t **rbits;
    size_t nrbits;
    /* the segment whose lengths are prefetched (NULL: no kid is a plain
     * word), and the bitmap word last done */
    const bl_segment *seg;
    uint64_t lens_ahead;
};

static void maxscore_free(maxscore *ms)
{
    if (!ms)
        return;
    free(ms->wb);
    free(ms->order);
    free(ms->psum);
    free(ms->kscore);
    free(ms->kdoc);
    free(ms->req);
    free(ms->kbits);
    free(ms->kbits_known);
    free(ms->kfast);
    free(ms->rbits);
    free(ms);
}

/* Starts the window holding from: ends it at the first block end of any
 * kid, bounds each kid there, and sorts the kids by their bounds. */
static void ms_window(or_scorer *o, uint32_t from)
{
    maxscore *ms = o->ms;
    uint32_t end = or_region_end(&o->base, from);
    for (size_t i = 0; i < o->n; i++) {
        scorer *k = o->kids[i];
        uint32_t d = k->ds.doc;
        ms->wb[i] = d == BL_DOC_END || d > end ? 0.0 : s_bound(k, from > d ? from : d, end);
        /* insertion sort: an OR that prunes has at most OR_BOUND_KIDS kids */
        size_t j = i;
        for (; j > 0 && ms->wb[ms->order[j - 1]] > ms->wb[i]; j--)
            ms->order[j] = ms->order[j - 1];
        ms->order[j] = (uint32_t)i;
    }
    ms->psum[0] = 0;
    for (size_t j = 0; j < o->n; j++)
        ms->psum[j + 1] = ms->psum[j] + ms->wb[ms->order[j]];
    ms->ness = 0;
    ms->win_end = end;
    ms->win_ok = 1;
    ms->nreq = 0;
    ms->req_leads = 0;
    ms->req_floor = NAN; /* compares unequal: found anew */
}

/* Kid i's bitmap (fetched the first time): a plain word's dense list's,
 * else NULL. A bitmap whose pages fail their checksum is not used: the
 * kid is read by its iterator, which meets (and reports) the damage if
 * it matters. */
static const uint64_t *ms_kid_bits(or_scorer *o, size_t i)
{
    maxscore *ms = o->ms;
    if (!ms->kbits_known[i]) {
        ms->kbits_known[i] = 1;
        scorer *k = o->kids[i];
        const uint64_t *w = NULL;
        uint32_t nw = 0;
        if (k->ds.ops == &term_ops &&
            bl_posting_iter_bitmap(((term_scorer *)k)->it, &w, &nw) == 0 && w &&
            (ms->nwords == 0 || nw == ms->nwords)) {
            ms->kbits[i] = w;
            ms->nwords = nw;
        }
    }
    return ms->kbits[i];
}

/* Whether the nreq required kids (ms->req) in at most half the documents
 * are two or more, all with bitmaps; if so they are set up to propose
 * candidates (ms_required_bits). A kid in more than half (a word like
 * "reuter") would reject few candidates and cost a seek each: it is left
 * to ms_competes, as in the leapfrog. */
static int ms_required_bits_ready(or_scorer *o, size_t nreq)
{
    maxscore *ms = o->ms;
    size_t n = 0;
    for (size_t r = 0; r < nreq; r++) {
        uint32_t i = ms->req[r];
        if (o->kids[i]->ds.cost > ms->p->docs / 2)
            continue;
        if (!ms_kid_bits(o, i))
            return 0;
        n++;
    }
    if (n < 2)
        return 0;
    n = 0;
    for (size_t r = 0; r < nreq; r++) {
        uint32_t i = ms->req[r];
        if (o->kids[i]->ds.cost <= ms->p->docs / 2) {
            ms->req[n] = i;
            ms->rbits[n++] = ms->kbits[i];
        }
    }
    ms->nrbits = ms->nreq = n;
    ms->lens_ahead = UINT64_MAX;
    return 1;
}

/* A kid is required when the bounds of all the others together cannot
 * reach the floor: a document without it cannot either. Required kids
 * alone then propose candidates, by leapfrog, so an OR of words that the
 * best documents all hold (once the floor is above any one word's bound)
 * walks like their AND instead of through every document of its
 * commonest word. Only the kids of highest bound can be required, so the
 * search stops at the first that is not. Each sum is added up anew (not
 * psum minus one bound), so its rounding is that of a sum of bounds, which
 * cannot_compete's slack covers. */
static int ms_required(or_scorer *o)
{
    maxscore *ms = o->ms;
    if (ms->req_floor == ms->p->floor)
        return ms->req_leads;
    ms->req_floor = ms->p->floor;
    size_t nreq = 0, lead = SIZE_MAX;
    for (size_t j = o->n; j-- > 0;) {
        uint32_t i = ms->order[j];
        double others = 0;
        for (size_t k = 0; k < o->n; k++)
            others += k == i ? 0.0 : ms->wb[k];
        if (!cannot_compete(others, ms->p))
            break;
        ms->req[nreq++] = i;
        if (lead == SIZE_MAX || o->kids[i]->ds.cost < o->kids[ms->req[lead]]->ds.cost)
            lead = nreq - 1;
    }
    ms->nreq = 0;
    ms->req_leads = 0;
    ms->nrbits = 0;
    if (!nreq)
        return 0;
    if (nreq >= 2 && ms_required_bits_ready(o, nreq))
        return ms->req_leads = 1;
    /* The lead first; of the others only those in at most half the
     * documents: a kid in nearly all of them (a word like "reuter") rejects
     * few candidates for a seek each, which the bound probes of ms_competes
     * do more cheaply. */
    uint32_t first = ms->req[lead];
    ms->req[lead] = ms->req[0];
    ms->req[0] = first;
    ms->nreq = 1;
    for (size_t r = 1; r < nreq; r++)
        if (o->kids[ms->req[r]]->ds.cost <= ms->p->docs / 2)
            ms->req[ms->nreq++] = ms->req[r];
    uint64_t essential = 0;
    for (size_t j = ms->ness; j < o->n; j++)
        essential += o->kids[ms->order[j]]->ds.cost;
    ms->req_leads = ms->nreq > 1 || o->kids[first]->ds.cost < essential;
    return ms->req_leads;
}

/* The first doc in [from, window end] that every kid of req holds (all of
 * them on it then), or a doc past the window end when there is none. Kids
 * are never sought past the window end: a kid's documents between its doc
 * and a target are dropped for good, which the window's bounds justify
 * only inside the window. */
/* A candidate's length, read when it is scored (ms->seg: see maxscore). */
static inline void ms_prefetch_len(const maxscore *ms, uint32_t doc)
{
    if (ms->seg && doc != BL_DOC_END)
        bl_segment_prefetch_lens(ms->seg, doc, 1);
}

static uint32_t ms_required_next(or_scorer *o, uint32_t from)
{
    maxscore *ms = o->ms;
    uint32_t d = s_seek(o->kids[ms->req[0]], from);
    ms_prefetch_len(ms, d);
    for (size_t r = 1; r < ms->nreq && d <= ms->win_end;) {
        uint32_t e = s_seek(o->kids[ms->req[r]], d);
        if (e == d) {
            r++;
        } else if (e > ms->win_end) {
            return e;
        } else {
            d = s_seek(o->kids[ms->req[0]], e);
            ms_prefetch_len(ms, d);
            r = 1;
        }
    }
    return d;
}

/* ms_required_next from the required kids' bitmaps: the first set bit of
 * their AND in [from, window end] (every required kid holds it; none is
 * sought there yet: ms_competes seeks those it needs), or a doc past the
 * window end when there is none. */
static uint32_t ms_required_bits(or_scorer *o, uint32_t from)
{
    maxscore *ms = o->ms;
    uint64_t last = (uint64_t)ms->nwords * 64 - 1, w;
    if (ms->win_end < last)
        last = ms->win_end;
    uint64_t word = bits_and_word(ms->rbits, ms->nrbits, ms->nwords, from, last, ms->seg,
                                  &ms->lens_ahead, &w);
    if (word)
        return (uint32_t)(w * 64 + (uint64_t)__builtin_ctzll(word));
    return ms->win_end == BL_DOC_END ? BL_DOC_END : ms->win_end + 1;
}

/* Whether plain word t's score on d, at frequency tf, added to what is
 * known (sum) and the bounds of the kids left to probe (rest), cannot
 * reach the floor (term_falls_short); else sets *score. Only when some
 * kid is non-essential (ms->ness): then ms_competes turns away every
 * document short of the floor, and the total is already a lower bound;
 * otherwise such documents are returned and counted. */
static int ms_term_falls_short(maxscore *ms, const term_scorer *t, uint32_t d, uint32_t tf,
                               double sum, double rest, double *score)
{
    return term_falls_short(t, ms->ness ? strict_floor(ms->p, &ms->floor_seen,
                                                       &ms->floor_strict) - sum - rest
                                        : -INFINITY,
                            d, tf, score);
}

/* Whether candidate d (at most the window's end) may score above the
 * floor: probes the kids, highest bound first, each sought to d (or, if
 * kfast, its bit tested) only when the candidate still needs it, until
 * the sum of what is known and what is left to probe (psum) cannot reach
 * the floor: two words of similar weight that are both required mostly
 * stop after the first. When it may, every kid holding d is scored on d
 * (kdoc), on d itself unless it is kfast. A kfast kid's tf is read in
 * place (bl_posting_iter_tf_at); damage there ends its iterator with its
 * err set, which the search reports. */
static int ms_competes(or_scorer *o, uint32_t d)
{
    maxscore *ms = o->ms;
    double sum = 0;
    for (size_t j = o->n; j-- > 0;) {
        if (cannot_compete(sum + ms->psum[j + 1], ms->p))
            return 0;
        uint32_t i = ms->order[j];
        scorer *k = o->kids[i];
        double *score = &ms->kscore[i];
        int short_of = 0;
        if (k->ds.doc < d && ms->kfast[i]) {
            term_scorer *t = (term_scorer *)k;
            uint32_t tf;
            if (!bl_bitmap_test(ms->kbits[i], d) || bl_posting_iter_tf_at(t->it, d, &tf))
                continue;
            short_of = ms_term_falls_short(ms, t, d, tf, sum, ms->psum[j], score);
        } else if (s_seek(k, d) != d) {
            continue;
        } else if (k->ds.ops == &term_ops) {
            term_scorer *t = (term_scorer *)k;
            short_of = ms_term_falls_short(ms, t, d, bl_posting_iter_freq(t->it), sum,
                                           ms->psum[j], score);
        } else {
            *score = k->score(k);
        }
        if (short_of)
            return 0;
        ms->kdoc[i] = d;
        sum += *score;
    }
    /* Every kid is known now: a document short of the floor is not
     * returned (sum rounds differently from or_pruned_score's order, which
     * cannot_compete's slack covers). */
    if (ms->ness && cannot_compete(sum, ms->p))
        return 0;
    return 1;
}

/* The first doc >= from that may score above the floor, or BL_DOC_END. */
static uint32_t ms_next(or_scorer *o, uint32_t from)
{
    maxscore *ms = o->ms;
    prune_ctx *p = ms->p;
    while (from != BL_DOC_END) {
        if (!ms->win_ok || from > ms->win_end)
            ms_window(o, from);
        while (ms->ness < o->n && cannot_compete(ms->psum[ms->ness + 1], p))
            ms->ness++;
        /* Documents only non-essential kids hold are passed over. */
        if (ms->ness)
            p->skipped = 1;
        uint32_t d = BL_DOC_END;
        if (ms->ness == o->n) {
            /* nothing in the window can reach the floor */
        } else if (ms_required(o)) {
            /* Documents a required kid lacks are passed over; the other
             * essential kids are brought to the candidate for ms_competes. */
            p->skipped = 1;
            d = ms->nrbits ? ms_required_bits(o, from) : ms_required_next(o, from);
        } else {
            for (size_t j = ms->ness; j < o->n; j++) {
                uint32_t kd = s_seek(o->kids[ms->order[j]], from);
                d = kd < d ? kd : d;
            }
        }
        if (d == BL_DOC_END || d > ms->win_end) {
            if (ms->win_end == BL_DOC_END)
                return BL_DOC_END;
            from = ms->win_end + 1;
            ms->win_ok = 0;
            continue;
        }
        if (ms_competes(o, d))
            return d;
        from = d + 1;
    }
    return BL_DOC_END;
}

static uint32_t or_pruned_next(bl_docset *s)
{
    return s->doc = s->doc == BL_DOC_END ? BL_DOC_END : ms_next((or_scorer *)s, s->doc + 1);
}
static uint32_t or_pruned_seek(bl_docset *s, uint32_t t)
{
    return s->doc = ms_next((or_scorer *)s, t);
}
static const bl_docset_ops or_pruned_ops = {or_pruned_next, or_pruned_seek, or_free};

/* or_score under pruning: the kids holding the doc were scored by
 * ms_competes (kfast ones without being moved to it). */
static double or_pruned_score(scorer *s)
{
    or_scorer *o = (or_scorer *)s;
    uint32_t doc = s->ds.doc;
    double sum = 0;
    for (size_t i = 0; i < o->n; i++) {
        scorer *k = o->kids[i];
        if (o->ms->kdoc[i] == doc)
            sum += o->ms->kscore[i];
        else if (k->ds.doc == doc)
            sum += k->score(k);
    }
    return sum;
}

static int or_prune(scorer *s, prune_ctx *p)
{
    or_scorer *o = (or_scorer *)s;
    if (o->n > OR_BOUND_KIDS)
        return 0;
    maxscore *ms = calloc(1, sizeof *ms);
    if (!ms)
        return 0;
    ms->wb = malloc(o->n * sizeof *ms->wb);
    ms->order = malloc(o->n * sizeof *ms->order);
    ms->psum = malloc((o->n + 1) * sizeof *ms->psum);
    ms->kscore = malloc(o->n * sizeof *ms->kscore);
    ms->kdoc = malloc(o->n * sizeof *ms->kdoc);
    ms->req = malloc(o->n * sizeof *ms->req);
    ms->kbits = calloc(o->n, sizeof *ms->kbits);
    ms->kbits_known = calloc(o->n, 1);
    ms->rbits = calloc(o->n, sizeof *ms->rbits);
    ms->kfast = calloc(o->n, 1);
    if (!ms->wb || !ms->order || !ms->psum || !ms->kscore || !ms->kdoc || !ms->req ||
        !ms->kbits || !ms->kbits_known || !ms->rbits || !ms->kfast) {
        maxscore_free(ms); /* without pruning the search still runs */
        return 0;
    }
    for (size_t i = 0; i < o->n; i++) {
        ms->kdoc[i] = BL_DOC_END;
        if (!ms->seg && o->kids[i]->ds.ops == &term_ops)
            ms->seg = ((term_scorer *)o->kids[i])->seg;
    }
    ms->p = p;
    o->ms = ms;
    for (size_t i = 0; i < o->n; i++)
        ms->kfast[i] = ms_kid_bits(o, i) &&
                       bl_posting_iter_has_tf_at(((term_scorer *)o->kids[i])->it);
    s->ds.ops = &or_pruned_ops;
    s->score = or_pruned_score;
    s->ds.doc = ms_next(o, s->ds.doc);
    return 1;
}

static const bound_ops or_bounds = {or_bound, or_region_end, or_prune};

/* Called on the root of each segment's tree before the search: an OR root
 * too large to prune is walked the same way with or without pruning, so
 * it may add its kids in heap order, without sorting them. */
static void or_as_root(scorer *s)
{
    if (s->bounds == &or_bounds && ((or_scorer *)s)->n > OR_BOUND_KIDS)
        s->score = or_heap_score;
}

/* On success takes ownership of kids and the scorers in it; on failure
 * (NULL) leaves them to the caller. Kids that match nothing (a word
 * missing from the segment) are freed at once rather than kept in the
 * heap. */
static scorer *new_or(scorer **kids, size_t n)
{
    size_t live = 0;
    for (size_t i = 0; i < n; i++)
        live += kids[i]->ds.doc != BL_DOC_END;
    if (live == 0) {
        scorer *e = new_empty();
        if (e)
            free_scorers(kids, n);
        return e;
    }
    or_scorer *o = calloc(1, sizeof *o);
    or_kid *heap = o ? malloc(live * sizeof *heap) : NULL;
    or_kid *on_doc = heap ? malloc(live * sizeof *on_doc) : NULL;
    if (!on_doc) {
        free(heap);
        free(o);
        return NULL;
    }
    uint64_t cost = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (kids[i]->ds.doc == BL_DOC_END) {
            bl_docset_free(&kids[i]->ds);
            continue;
        }
        heap[k] = (or_kid){kids[i]->ds.doc, (uint32_t)k, kids[i]};
        cost += kids[i]->ds.cost;
        kids[k++] = kids[i];
    }
    o->kids = kids;
    o->heap = heap;
    o->on_doc = on_doc;
    o->n = live;
    o->sum_bound = NAN;
    for (size_t i = live / 2; i-- > 0;)
        or_sift_down(heap, live, i);
    o->base.ds = (bl_docset){&or_ops, heap[0].doc, cost, 0};
    o->base.score = or_score;
    o->base.bounds = &or_bounds;
    return &o->base;
}

/* ---- documents gathered in advance ------------------------------------- */

/* The documents of many posting lists, walked once each and gathered into
 * a bitset with each document's summed score: memory is bounded by the
 * segment's size however many lists went in, where an iterator per list
 * would cost a decoded block each. Used for the rarer expansions of a
 * prefix and for the phrases a phrase ending in a prefix expands to. */
typedef struct {
    scorer base;
    uint64_t *bits;
    double *scores; /* by doc; meaningful where the bit is set */
    uint32_t n;     /* doc_count */
    double max;     /* the highest score gathered */
    prune_ctx *prune;
} acc_scorer;

static uint32_t acc_from(const acc_scorer *a, uint32_t t)
{
    if (t >= a->n)
        return BL_DOC_END;
    size_t w = t >> 6, nw = ((size_t)a->n + 63) >> 6;
    uint64_t word = a->bits[w] & (~(uint64_t)0 << (t & 63));
    while (!word) {
        if (++w == nw)
            return BL_DOC_END;
        word = a->bits[w];
    }
    return (uint32_t)(w << 6) + (uint32_t)__builtin_ctzll(word);
}

static uint32_t acc_next(bl_docset *s)
{
    return s->doc = s->doc == BL_DOC_END ? BL_DOC_END : acc_from((acc_scorer *)s, s->doc + 1);
}
static uint32_t acc_seek(bl_docset *s, uint32_t t) { return s->doc = acc_from((acc_scorer *)s, t); }
static void acc_free(bl_docset *s)
{
    acc_scorer *a = (acc_scorer *)s;
    free(a->bits);
    free(a->scores);
    free(a);
}
static const bl_docset_ops acc_ops = {acc_next, acc_seek, acc_free};

static double acc_score(scorer *s)
{
    acc_scorer *a = (acc_scorer *)s;
    return a->scores[s->ds.doc];
}

static double acc_bound(scorer *s, uint32_t from, uint32_t to)
{
    (void)from, (void)to;
    return ((acc_scorer *)s)->max;
}

/* Pruning: the first gathered doc >= t whose (known) score may enter. */
static uint32_t acc_competitive(acc_scorer *a, uint32_t t)
{
    uint32_t d = acc_from(a, t);
    while (d != BL_DOC_END && cannot_compete(a->scores[d], a->prune)) {
        a->prune->skipped = 1;
        d = acc_from(a, d + 1);
    }
    return a->base.ds.doc = d;
}
static uint32_t acc_pruned_next(bl_docset *s)
{
    return s->doc == BL_DOC_END ? BL_DOC_END : acc_competitive((acc_scorer *)s, s->doc + 1);
}
static uint32_t acc_pruned_seek(bl_docset *s, uint32_t t)
{
    return acc_competitive((acc_scorer *)s, t);
}
static const bl_docset_ops acc_pruned_ops = {acc_pruned_next, acc_pruned_seek, acc_free};

static int acc_prune(scorer *s, prune_ctx *p)
{
    acc_scorer *a = (acc_scorer *)s;
    a->prune = p;
    s->ds.ops = &acc_pruned_ops;
    acc_competitive(a, s->ds.doc);
    return 1;
}

static const bound_ops acc_bounds = {acc_bound, no_region, acc_prune};

/* An empty gathering for a segment of n documents (not yet positioned). */
static acc_scorer *acc_new(uint32_t n)
{
    acc_scorer *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->n = n;
    a->bits = calloc(((size_t)n + 63) >> 6 ? ((size_t)n + 63) >> 6 : 1, sizeof *a->bits);
    a->scores = calloc(n ? n : 1, sizeof *a->scores);
    if (!a->bits || !a->scores) {
        free(a->bits);
        free(a->scores);
        free(a);
        return NULL;
    }
    a->base.ds = (bl_docset){&acc_ops, BL_DOC_END, 0, 0};
    a->base.score = acc_score;
    a->base.bounds = &acc_bounds;
    return a;
}

static void acc_add(acc_scorer *a, uint32_t doc, double score)
{
    a->bits[doc >> 6] |= (uint64_t)1 << (doc & 63);
    a->scores[doc] += score;
}

/* Positions a on its first doc once everything is gathered. */
static void acc_start(acc_scorer *a)
{
    uint64_t cost = 0;
    double max = 0;
    for (size_t w = 0; w < ((size_t)a->n + 63) >> 6; w++) {
        cost += (uint64_t)__builtin_popcountll(a->bits[w]);
        for (uint64_t word = a->bits[w]; word; word &= word - 1) {
            double sc = a->scores[(w << 6) + (size_t)__builtin_ctzll(word)];
            /* a NaN score (degenerate parameters) leaves no bound */
            max = sc > max || isnan(sc) ? sc : max;
        }
    }
    a->max = isnan(max) ? INFINITY : max;
    a->base.ds.cost = cost;
    a->base.ds.doc = acc_from(a, 0);
}

/* ---- building a segment's tree ----------------------------------------- */

static int build(build_ctx *c, const bl_qnode *q, scorer **out);

static int lookup(build_ctx *c, const char *term, bl_terminfo *ti)
{
    int rc = bl_termdict_lookup(bl_segment_termdict(c->seg), term, strlen(term), ti);
    return rc;
}

static int build_term(build_ctx *c, const char *term, scorer **out)
{
    bl_terminfo ti;
    int rc = lookup(c, term, &ti);
    if (rc == BL_ENOTFOUND) {
        *out = new_empty();
        return *out ? 0 : BL_ENOMEM;
    }
    uint64_t df;
    if (rc || (rc = doc_freq(c, term, strlen(term), &df)))
        return rc;
    return new_term(c, &ti, df, out);
}

/* A phrase scorer over terms[0..n) at relative positions rel (NULL:
 * consecutive). *out is NULL when a term is missing from the segment (no
 * document can match). */
/* Sets p->bits when every word of p (two or more) has a dense list whose
 * bitmap reads (pages verified); else the phrase leapfrogs its iterators.
 * A damaged bitmap only costs that speed: the lists are read as ever. */
static void phrase_find_bits(phrase_scorer *p)
{
    if (p->n < 2 || p->nall > p->n || !(p->bits = calloc(p->n, sizeof *p->bits)))
        return;
    for (size_t k = 0; k < p->n; k++) {
        uint32_t nw = 0;
        if (bl_posting_iter_bitmap(p->its[k], &p->bits[k], &nw) != 0 || !p->bits[k] ||
            (k && nw != p->nwords)) {
            free(p->bits);
            p->bits = NULL;
            return;
        }
        p->nwords = nw;
    }
}

/* Looks up the pair of words k and k + 1 of a phrase (pairs.h) whose
 * lists in this segment are described by a and b: 1 with *ti set when the
 * segment indexes the pair and holds it, 0 when it does not index it, -1
 * when it indexes it and no document holds it (so none holds the phrase). */
static int lookup_pair(build_ctx *c, const char *wa, const bl_terminfo *a, const char *wb,
                       const bl_terminfo *b, bl_terminfo *ti, int *rc)
{
    size_t la = strlen(wa), lb = strlen(wb);
    *rc = 0;
    const bl_manifest_segment *seg = bl_segment_info(c->seg);
    if (!bl_pair_indexed(a->doc_freq, la, b->doc_freq, lb, seg->doc_count, seg->dense_ratio))
        return 0;
    char key[BL_TERM_MAX_BYTES];
    size_t len = bl_pair_key(wa, la, wb, lb, key);
    *rc = bl_termdict_lookup(bl_segment_termdict(c->seg), key, len, ti);
    if (*rc == BL_ENOTFOUND) {
        *rc = 0;
        return -1;
    }
    return *rc ? 0 : 1;
}

/* Opens the lists of the phrase's indexed pairs (words side by side in
 * the query) after its words' in p->all. Returns -1 when a pair is indexed
 * but absent (the phrase matches nothing here), else 0; *rc an error. */
static int open_pairs(build_ctx *c, phrase_scorer *p, char *const *terms,
                      const bl_terminfo *ti, int *rc)
{
    *rc = 0;
    for (size_t k = 0; k + 1 < p->n && !*rc; k++) {
        bl_terminfo pt;
        if (p->rel[k + 1] != p->rel[k] + 1)
            continue;
        int found = lookup_pair(c, terms[k], &ti[k], terms[k + 1], &ti[k + 1], &pt, rc);
        if (found < 0)
            return -1;
        if (found > 0 && !(*rc = open_iter(c, &pt, &p->all[p->nall])))
            p->nall++;
    }
    return 0;
}

static int new_phrase(build_ctx *c, char *const *terms, const uint32_t *rel, size_t n,
                      phrase_scorer **out)
{
    *out = NULL;
    if (n > 64)
        return bl_error_set(BL_EQUERY, "phrase of %zu words; at most 64", n);
    phrase_scorer *p = calloc(1, sizeof *p);
    if (!p)
        return BL_ENOMEM;
    /* words, then at most n - 1 pairs */
    p->all = calloc(2 * n, sizeof *p->all);
    p->its = p->all;
    p->rel = calloc(n, sizeof *p->rel);
    bl_terminfo ti[64];
    int rc = p->all && p->rel ? 0 : BL_ENOMEM;
    for (size_t k = 0; k < n && !rc; k++) {
        uint64_t df;
        rc = lookup(c, terms[k], &ti[k]);
        if (rc == BL_ENOTFOUND) {
            phrase_free(&p->base.ds);
            return 0;
        }
        if (!rc)
            rc = doc_freq(c, terms[k], strlen(terms[k]), &df);
        if (!rc)
            rc = open_iter(c, &ti[k], &p->its[k]);
        if (!rc) {
            p->idf += idf_of(df, bl_index_doc_count(c->idx));
            p->rel[k] = rel ? rel[k] : (uint32_t)k;
        }
    }
    p->n = p->nall = n;
    if (!rc && open_pairs(c, p, terms, ti, &rc) < 0) {
        phrase_free(&p->base.ds);
        return 0;
    }
    if (rc) {
        phrase_free(&p->base.ds);
        return rc;
    }
    for (size_t k = 1; k < p->nall; k++)
        if (bl_posting_iter_docset(p->all[k])->cost <
            bl_posting_iter_docset(p->all[p->lead])->cost)
            p->lead = k;
    phrase_find_bits(p);
    p->seg = c->seg;
    p->k1 = c->bm25.k1;
    p->b = c->bm25.b;
    p->avgdl = c->avgdl;
    p->bounded = c->bounded && p->idf >= 0 && isfinite(p->idf);
    p->base.ds = (bl_docset){&phrase_ops, 0, bl_posting_iter_docset(p->all[p->lead])->cost, 0};
    p->base.score = phrase_score;
    p->base.bounds = &phrase_bounds;
    *out = p;
    return 0;
}

/* A phrase of two words whose pair the segment indexes is the pair's
 * list: a term scorer over it, with the phrase's idf (the sum of its
 * words'), scores what the phrase scorer would (the pair's tf is the
 * phrase's frequency) without reading a position. Returns 1 with *out set
 * (the empty scorer when no document holds the pair), 0 when the pair is
 * not indexed here; *rc an error. */
static int build_pair_phrase(build_ctx *c, const bl_qnode *q, scorer **out, int *rc)
{
    *rc = 0;
    if (q->nterms != 2 || (q->positions && q->positions[1] != q->positions[0] + 1))
        return 0;
    bl_terminfo a, b, pt;
    if (lookup(c, q->terms[0], &a) || lookup(c, q->terms[1], &b))
        return 0; /* a missing word (or an error): the phrase scorer says so */
    int found = lookup_pair(c, q->terms[0], &a, q->terms[1], &b, &pt, rc);
    if (*rc || found == 0)
        return 0;
    if (found < 0) {
        *out = new_empty();
        *rc = *out ? 0 : BL_ENOMEM;
        return 1;
    }
    uint64_t dfa, dfb;
    if ((*rc = doc_freq(c, q->terms[0], strlen(q->terms[0]), &dfa)) != 0 ||
        (*rc = doc_freq(c, q->terms[1], strlen(q->terms[1]), &dfb)) != 0 ||
        (*rc = new_term(c, &pt, pt.doc_freq, out)) != 0)
        return 1;
    uint64_t n = bl_index_doc_count(c->idx);
    term_set_idf(c, (term_scorer *)*out, idf_of(dfa, n) + idf_of(dfb, n));
    return 1;
}

static int build_phrase(build_ctx *c, const bl_qnode *q, scorer **out)
{
    int rc;
    if (build_pair_phrase(c, q, out, &rc))
        return rc;
    if (rc)
        return rc;
    phrase_scorer *p;
    rc = new_phrase(c, q->terms, q->positions, q->nterms, &p);
    if (rc)
        return rc;
    if (!p) {
        *out = new_empty();
        return *out ? 0 : BL_ENOMEM;
    }
    p->base.ds.doc = phrase_align(p, 0);
    *out = &p->base;
    return 0;
}

static int push_scorer(scorer ***v, size_t *n, size_t *cap, scorer *s)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 8;
        scorer **nv = realloc(*v, nc * sizeof *nv);
        if (!nv)
            return BL_ENOMEM;
        *v = nv;
        *cap = nc;
    }
    (*v)[(*n)++] = s;
    return 0;
}

/* Calls fn for every term a prefix stands for in this segment: those
 * starting with word, then stem (NULL if none) exactly unless the walk
 * already met it. The stem is one exact term, not a second prefix:
 * "running*" must not find "runner". */
static int walk_expansions(build_ctx *c, const char *word, const char *stem,
                           bl_termdict_visit_fn fn, void *ctx)
{
    const bl_termdict *d = bl_segment_termdict(c->seg);
    int rc = bl_termdict_prefix(d, word, strlen(word), fn, ctx);
    if (!rc && stem && strncmp(stem, word, strlen(word)) != 0) {
        bl_terminfo ti;
        rc = bl_termdict_lookup(d, stem, strlen(stem), &ti);
        if (rc == BL_ENOTFOUND)
            rc = 0;
        else if (!rc)
            rc = fn(ctx, stem, strlen(stem), &ti);
    }
    return rc;
}

/* ---- prefix ------------------------------------------------------------- */

/* A prefix is the OR of its expansions. The BL_PREFIX_ITERS expansions with
 * the most documents in the segment get iterators (they are where seeking
 * past documents pays); every other one is walked once, at build time, into
 * an acc_scorer, so a prefix of any number of expansions costs at most
 * BL_PREFIX_ITERS iterators and one bitset and score per document. */
typedef struct {
    bl_terminfo ti;
    uint64_t df; /* index-wide */
} expansion;

typedef struct {
    build_ctx *c;
    expansion top[BL_PREFIX_ITERS]; /* min-heap on ti.doc_freq */
    size_t ntop;
    acc_scorer *acc;
} prefix_walk;

static void top_sift_down(expansion *h, size_t n, size_t i)
{
    expansion x = h[i];
    for (;;) {
        size_t k = 2 * i + 1;
        if (k >= n)
            break;
        if (k + 1 < n && h[k + 1].ti.doc_freq < h[k].ti.doc_freq)
            k++;
        if (h[k].ti.doc_freq >= x.ti.doc_freq)
            break;
        h[i] = h[k];
        i = k;
    }
    h[i] = x;
}

static void top_push(expansion *h, size_t *n, expansion e)
{
    size_t i = (*n)++;
    for (; i > 0 && h[(i - 1) / 2].ti.doc_freq > e.ti.doc_freq; i = (i - 1) / 2)
        h[i] = h[(i - 1) / 2];
    h[i] = e;
}

/* Adds every document of e's list, with e's BM25 there, to w->acc. */
static int gather(prefix_walk *w, const expansion *e)
{
    build_ctx *c = w->c;
    if (!w->acc && !(w->acc = acc_new(bl_segment_info(c->seg)->doc_count)))
        return BL_ENOMEM;
    bl_posting_iter *it;
    int rc = bl_posting_iter_new(bl_segment_postings(c->seg), &e->ti, &it);
    if (rc)
        return rc;
    bl_docset *ds = bl_posting_iter_docset(it);
    double idf = idf_of(e->df, bl_index_doc_count(c->idx));
    for (uint32_t d = ds->doc; d != BL_DOC_END; d = bl_docset_next(ds))
        acc_add(w->acc, d, bm25(idf, bl_posting_iter_freq(it), bl_segment_doc_len(c->seg, d),
                                c->bm25.k1, c->bm25.b, c->avgdl));
    rc = ds->err;
    bl_docset_free(ds);
    return rc;
}

static int visit_prefix(void *ctx, const char *term, size_t len, const bl_terminfo *ti)
{
    prefix_walk *w = ctx;
    expansion e = {*ti, 0};
    int rc = doc_freq(w->c, term, len, &e.df);
    if (rc)
        return rc;
    if (w->ntop < BL_PREFIX_ITERS) {
        top_push(w->top, &w->ntop, e);
        return 0;
    }
    if (e.ti.doc_freq > w->top[0].ti.doc_freq) {
        expansion out = w->top[0];
        w->top[0] = e;
        top_sift_down(w->top, w->ntop, 0);
        e = out;
    }
    return gather(w, &e);
}

static int build_prefix(build_ctx *c, const bl_qnode *q, scorer **out)
{
    prefix_walk w = {.c = c};
    scorer **kids = NULL;
    size_t n = 0, cap = 0;
    int rc = walk_expansions(c, q->terms[0], q->nterms > 1 ? q->terms[1] : NULL, visit_prefix,
                             &w);
    for (size_t i = 0; i < w.ntop && !rc; i++) {
        scorer *s;
        rc = new_term(c, &w.top[i].ti, w.top[i].df, &s);
        if (!rc && (rc = push_scorer(&kids, &n, &cap, s)) != 0)
            bl_docset_free(&s->ds);
    }
    if (!rc && w.acc) {
        acc_start(w.acc);
        rc = push_scorer(&kids, &n, &cap, &w.acc->base);
        if (!rc)
            w.acc = NULL;
    }
    if (!rc && !(*out = new_or(kids, n)))
        rc = BL_ENOMEM;
    if (rc) {
        free_scorers(kids, n);
        if (w.acc)
            acc_free(&w.acc->base.ds);
    }
    return rc;
}

/* ---- phrase ending in a prefix ------------------------------------------ */

/* "white hou*" is the OR of the phrases it expands to ("white house",
 * "white houses", ...), each scored as a phrase. Built in two passes, so
 * that memory does not grow with the number of expansions: the phrase
 * without its last word (the head) is run over the segment once, keeping
 * the documents it occurs in and where the last word must then be; then
 * each expansion's list is walked once against those documents, and the
 * phrase occurrences found are scored into an acc_scorer. */
typedef struct {
    build_ctx *c;
    uint32_t *docs;     /* documents where the head occurs, increasing */
    size_t *first;      /* ndocs + 1 indexes into want */
    size_t ndocs;
    const uint32_t *want; /* per document, increasing: where the last word must be */
    double head_idf;
    acc_scorer *acc;
} phrase_prefix_walk;

/* Occurrences of want[0..n) among pos[0..m) (both increasing). */
static uint32_t count_common(const uint32_t *want, size_t n, const uint32_t *pos, uint32_t m)
{
    uint32_t freq = 0;
    for (size_t i = 0, j = 0; i < n && j < m;) {
        if (want[i] < pos[j])
            i++;
        else if (want[i] > pos[j])
            j++;
        else
            freq++, i++, j++;
    }
    return freq;
}

static int visit_phrase_prefix(void *ctx, const char *term, size_t len, const bl_terminfo *ti)
{
    phrase_prefix_walk *w = ctx;
    build_ctx *c = w->c;
    uint64_t df;
    bl_posting_iter *it;
    int rc = doc_freq(c, term, len, &df);
    if (rc || (rc = bl_posting_iter_new(bl_segment_postings(c->seg), ti, &it)) != 0)
        return rc;
    bl_docset *ds = bl_posting_iter_docset(it);
    double idf = w->head_idf + idf_of(df, bl_index_doc_count(c->idx));
    /* Leapfrog between the head's documents and the expansion's. */
    for (size_t k = 0; k < w->ndocs && ds->doc != BL_DOC_END && !rc;) {
        uint32_t d = ds->doc;
        if (d < w->docs[k]) {
            bl_docset_seek(ds, w->docs[k]);
            continue;
        }
        if (d > w->docs[k]) {
            k = bl_gallop_u32(w->docs, k, w->ndocs, d);
            continue;
        }
        const uint32_t *pos;
        uint32_t m;
        if ((rc = bl_posting_iter_positions(it, &pos, &m)) != 0)
            break;
        uint32_t freq = count_common(w->want + w->first[k], w->first[k + 1] - w->first[k], pos, m);
        if (freq)
            acc_add(w->acc, d, bm25(idf, freq, bl_segment_doc_len(c->seg, d), c->bm25.k1,
                                    c->bm25.b, c->avgdl));
        k++;
        bl_docset_next(ds);
    }
    if (!rc)
        rc = ds->err;
    bl_docset_free(ds);
    return rc;
}

static int grow_head(phrase_prefix_walk *w, size_t *cap)
{
    size_t nc = *cap ? *cap * 2 : 64;
    uint32_t *docs = realloc(w->docs, nc * sizeof *docs);
    if (!docs)
        return BL_ENOMEM;
    w->docs = docs;
    size_t *first = realloc(w->first, (nc + 1) * sizeof *first);
    if (!first)
        return BL_ENOMEM;
    w->first = first;
    *cap = nc;
    return 0;
}

/* Runs the head phrase p over the segment into w: its documents, and per
 * document the positions where the last word (at relative position last)
 * must be. */
static int collect_head(phrase_scorer *p, uint32_t last, phrase_prefix_walk *w)
{
    size_t cap = 0;
    int rc = 0;
    p->record = 1;
    for (uint32_t d = phrase_align(p, 0); d != BL_DOC_END && !rc;
         d = d + 1 == BL_DOC_END ? BL_DOC_END : phrase_align(p, d + 1)) {
        if (w->ndocs == cap && (rc = grow_head(w, &cap)) != 0)
            break;
        if (w->ndocs == 0)
            w->first[0] = 0;
        w->docs[w->ndocs++] = d;
        w->first[w->ndocs] = p->starts.n;
        rc = p->base.ds.err;
    }
    /* Positions stay below UINT32_MAX, so a want that would pass it can
     * match nothing: saturating keeps the lists increasing. */
    uint32_t *st = p->starts.v;
    for (size_t i = 0; i < p->starts.n; i++)
        st[i] = st[i] > UINT32_MAX - last ? UINT32_MAX : st[i] + last;
    for (size_t k = 0; k < p->nall && !rc; k++)
        rc = bl_posting_iter_docset(p->all[k])->err;
    w->want = p->starts.v;
    return rc;
}

static int build_phrase_prefix(build_ctx *c, const bl_qnode *q, scorer **out)
{
    size_t n = q->nterms;
    phrase_scorer *head;
    phrase_prefix_walk w = {.c = c};
    *out = NULL;
    /* The head is terms[0..n-1); positions are relative to terms[0]. */
    int rc = new_phrase(c, q->terms, q->positions, n - 1, &head);
    if (!rc && head)
        rc = collect_head(head, q->positions[n - 1], &w);
    if (!rc && w.ndocs) {
        w.head_idf = head->idf;
        if (!(w.acc = acc_new(bl_segment_info(c->seg)->doc_count)))
            rc = BL_ENOMEM;
        if (!rc)
            rc = walk_expansions(c, q->terms[n - 1], q->last_stem, visit_phrase_prefix, &w);
    }
    if (head)
        phrase_free(&head->base.ds);
    free(w.docs);
    free(w.first);
    if (rc) {
        if (w.acc)
            acc_free(&w.acc->base.ds);
        return rc;
    }
    if (!w.acc) {
        *out = new_empty();
        return *out ? 0 : BL_ENOMEM;
    }
    acc_start(w.acc);
    *out = &w.acc->base;
    return 0;
}

/* "everything but kid": AND(all documents, NOT kid). */
static int build_all_but(build_ctx *c, const bl_qnode *kid, scorer **out)
{
    scorer **pos = malloc(sizeof *pos), **neg = malloc(sizeof *neg);
    int rc = pos && neg ? 0 : BL_ENOMEM;
    if (!rc && !(pos[0] = new_all(bl_segment_info(c->seg)->doc_count)))
        rc = BL_ENOMEM;
    if (!rc && (rc = build(c, kid, &neg[0])) != 0)
        bl_docset_free(&pos[0]->ds);
    if (!rc && !(*out = new_and(pos, 1, neg, 1))) {
        bl_docset_free(&pos[0]->ds);
        bl_docset_free(&neg[0]->ds);
        rc = BL_ENOMEM;
    }
    if (rc) {
        free(pos);
        free(neg);
    }
    return rc;
}

/* ---- identical kids ------------------------------------------------------ */

/* A kid written n times ("the the the ...") is built once and its score
 * counted n times: n copies of the same list would cost n times the
 * work for the same documents. */
typedef struct {
    scorer base;
    scorer *in;
    double weight;
} weighted_scorer;

static uint32_t weighted_next(bl_docset *s)
{
    return s->doc = s_next(((weighted_scorer *)s)->in);
}
static uint32_t weighted_seek(bl_docset *s, uint32_t t)
{
    return s->doc = s_seek(((weighted_scorer *)s)->in, t);
}
static void weighted_free(bl_docset *s)
{
    bl_docset_free(&((weighted_scorer *)s)->in->ds);
    free(s);
}
static const bl_docset_ops weighted_ops = {weighted_next, weighted_seek, weighted_free};

static double weighted_score(scorer *s)
{
    weighted_scorer *w = (weighted_scorer *)s;
    return w->weight * w->in->score(w->in);
}

static double weighted_bound(scorer *s, uint32_t from, uint32_t to)
{
    weighted_scorer *w = (weighted_scorer *)s;
    return w->weight * s_bound(w->in, from, to);
}
static uint32_t weighted_region_end(scorer *s, uint32_t target)
{
    return s_region_end(((weighted_scorer *)s)->in, target);
}
static const bound_ops weighted_bounds = {weighted_bound, weighted_region_end, NULL};

/* in weighted by n (n > 1), or NULL (in left to the caller). */
static scorer *new_weighted(scorer *in, uint32_t n)
{
    weighted_scorer *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->in = in;
    w->weight = n;
    w->base.ds = (bl_docset){&weighted_ops, in->ds.doc, in->ds.cost, 0};
    w->base.score = weighted_score;
    w->base.bounds = &weighted_bounds;
    return &w->base;
}

static int is_leaf(const bl_qnode *n)
{
    return n->kind == BL_Q_TERM || n->kind == BL_Q_PHRASE || n->kind == BL_Q_PREFIX;
}

/* Leaves, and NOTs of leaves, compare by content; other nodes only with
 * themselves. */
static int same_node(const bl_qnode *a, const bl_qnode *b)
{
    if (a == b)
        return 1;
    if (a->kind != b->kind)
        return 0;
    if (a->kind == BL_Q_NOT)
        return is_leaf(a->kids[0]) && same_node(a->kids[0], b->kids[0]);
    if (!is_leaf(a) || a->nterms != b->nterms || a->prefix_last != b->prefix_last ||
        !a->last_stem != !b->last_stem || (a->last_stem && strcmp(a->last_stem, b->last_stem)))
        return 0;
    for (size_t i = 0; i < a->nterms; i++)
        if (strcmp(a->terms[i], b->terms[i]) != 0 ||
            (a->positions && a->positions[i] != b->positions[i]))
            return 0;
    return 1;
}

static uint64_t node_hash(const bl_qnode *n)
{
    if (n->kind == BL_Q_NOT && is_leaf(n->kids[0]))
        return ~node_hash(n->kids[0]);
    if (!is_leaf(n))
        return XXH3_64bits(&n, sizeof n);
    uint64_t h = (uint64_t)n->kind * 0x9E3779B97F4A7C15u;
    for (size_t i = 0; i < n->nterms; i++)
        h = (h ^ XXH3_64bits(n->terms[i], strlen(n->terms[i]))) * 0x100000001B3u;
    return h;
}

/* (*copies)[i] (owned array) is how many kids of q are identical to kid i
 * if i is the first of them, 0 if it repeats an earlier one. */
static int count_copies(const bl_qnode *q, uint32_t **copies)
{
    size_t n = q->nkids, cap = 16;
    while (cap < 2 * n)
        cap *= 2;
    uint32_t *c = calloc(n, sizeof *c);
    size_t *slot = calloc(cap, sizeof *slot); /* kid index + 1, 0 empty */
    if (!c || !slot) {
        free(c);
        free(slot);
        return BL_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        size_t j = node_hash(q->kids[i]) & (cap - 1);
        while (slot[j] && !same_node(q->kids[slot[j] - 1], q->kids[i]))
            j = (j + 1) & (cap - 1);
        if (slot[j]) {
            c[slot[j] - 1]++;
        } else {
            slot[j] = i + 1;
            c[i] = 1;
        }
    }
    free(slot);
    *copies = c;
    return 0;
}

/* Builds kid (written copies times) of an AND or OR. */
static int build_kid(build_ctx *c, const bl_qnode *kid, uint32_t copies, scorer **out)
{
    int rc = build(c, kid, out);
    if (rc || copies <= 1)
        return rc;
    scorer *w = new_weighted(*out, copies);
    if (!w) {
        bl_docset_free(&(*out)->ds);
        return BL_ENOMEM;
    }
    *out = w;
    return 0;
}

/* From how many NOT kids on an AND checks them as one union. */
#define NEG_UNION_MIN 16

static int build_and(build_ctx *c, const bl_qnode *q, scorer **out)
{
    scorer **pos = NULL, **neg = NULL;
    size_t np = 0, pc = 0, nn = 0, nc = 0;
    uint32_t *copies = NULL;
    int rc = count_copies(q, &copies);
    if (rc)
        return rc;
    for (size_t i = 0; i < q->nkids && !rc; i++) {
        const bl_qnode *k = q->kids[i];
        scorer *s;
        if (!copies[i])
            continue;
        if ((rc = k->kind == BL_Q_NOT ? build(c, k->kids[0], &s)
                                      : build_kid(c, k, copies[i], &s)) != 0)
            break;
        rc = k->kind == BL_Q_NOT ? push_scorer(&neg, &nn, &nc, s) : push_scorer(&pos, &np, &pc, s);
        if (rc)
            bl_docset_free(&s->ds);
    }
    if (!rc && np == 0) {
        scorer *all = new_all(bl_segment_info(c->seg)->doc_count);
        rc = all ? push_scorer(&pos, &np, &pc, all) : BL_ENOMEM;
    }
    /* Many exclusions are checked as one union (a heap): a candidate then
     * costs O(log n), not a seek in each of them. A few are cheaper to try
     * in turn, stopping at the first that holds the candidate. */
    if (!rc && nn > NEG_UNION_MIN) {
        scorer *any = new_or(neg, nn); /* owns neg once made */
        scorer **one = any ? malloc(sizeof *one) : NULL;
        if (!any) {
            rc = BL_ENOMEM;
        } else if (!one) {
            bl_docset_free(&any->ds);
            neg = NULL;
            nn = 0;
            rc = BL_ENOMEM;
        } else {
            one[0] = any;
            neg = one;
            nn = nc = 1;
        }
    }
    if (!rc && !(*out = new_and(pos, np, neg, nn)))
        rc = BL_ENOMEM;
    if (rc) {
        free_scorers(pos, np);
        free_scorers(neg, nn);
    } else if ((rc = and_attach((and_scorer *)*out, c->seg)) != 0) {
        bl_docset_free(&(*out)->ds); /* it owns the kids now */
    }
    free(copies);
    return rc;
}

static int build_or(build_ctx *c, const bl_qnode *q, scorer **out)
{
    scorer **kids = NULL;
    size_t n = 0, cap = 0;
    uint32_t *copies = NULL;
    int rc = count_copies(q, &copies);
    for (size_t i = 0; i < q->nkids && !rc; i++) {
        scorer *s;
        if (!copies[i])
            continue;
        rc = build_kid(c, q->kids[i], copies[i], &s);
        if (!rc && (rc = push_scorer(&kids, &n, &cap, s)) != 0)
            bl_docset_free(&s->ds);
    }
    if (!rc && !(*out = new_or(kids, n)))
        rc = BL_ENOMEM;
    if (rc)
        free_scorers(kids, n);
    free(copies);
    return rc;
}

static int build(build_ctx *c, const bl_qnode *q, scorer **out)
{
    switch (q->kind) {
    case BL_Q_TERM: return build_term(c, q->terms[0], out);
    case BL_Q_PHRASE:
        if (q->prefix_last && q->nterms > 1)
            return build_phrase_prefix(c, q, out);
        if (q->nterms == 1)
            return build_term(c, q->terms[0], out);
        return build_phrase(c, q, out);
    case BL_Q_PREFIX: return build_prefix(c, q, out);
    case BL_Q_AND: return build_and(c, q, out);
    case BL_Q_OR: return build_or(c, q, out);
    case BL_Q_NOT: return build_all_but(c, q->kids[0], out);
    }
    return bl_error_set(BL_EINVAL, "unknown query node kind %d", (int)q->kind);
}

/* ---- top-k -------------------------------------------------------------- */

/* Heap order: the root is the worst kept hit. */
static int worse(const bl_scored_doc *a, const bl_scored_doc *b)
{
    return a->score < b->score || (a->score == b->score && a->doc > b->doc);
}

static void sift_down(bl_scored_doc *h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && worse(&h[l], &h[m]))
            m = l;
        if (r < n && worse(&h[r], &h[m]))
            m = r;
        if (m == i)
            return;
        bl_scored_doc t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

static void offer(bl_scored_doc *h, size_t *n, size_t k, bl_scored_doc d)
{
    if (*n < k) {
        size_t i = (*n)++;
        h[i] = d;
        while (i && worse(&h[i], &h[(i - 1) / 2])) {
            bl_scored_doc t = h[i];
            h[i] = h[(i - 1) / 2];
            h[(i - 1) / 2] = t;
            i = (i - 1) / 2;
        }
    } else if (k && worse(&h[0], &d)) {
        h[0] = d;
        sift_down(h, *n, 0);
    }
}

static int cmp_best_first(const void *x, const void *y)
{
    const bl_scored_doc *a = x, *b = y;
    return worse(a, b) ? 1 : worse(b, a) ? -1 : 0;
}

/* The k best hits so far, the matches counted, and pruning's state. */
typedef struct {
    bl_scored_doc *heap;
    size_t n, k;
    uint64_t total;
    uint64_t threshold; /* pruning may start once total reaches it */
    prune_ctx prune;
} topk;

/* Offers every match of one segment's tree (global ids from base) to t,
 * but its deleted documents (del, deletes.h; NULL: none).
 * Once the heap is full and the count has reached the threshold, the root
 * is asked to prune; from then on the floor follows the heap's worst hit,
 * across segments too (a later segment starts pruning at once). */
static void collect(topk *t, scorer *root, uint32_t base, const uint64_t *del)
{
    int pruning = 0, may_prune = t->k > 0 && t->threshold != UINT64_MAX;
    for (;;) {
        if (!pruning && may_prune && t->n == t->k && t->total >= t->threshold) {
            t->prune.floor = t->heap[0].score;
            pruning = root->bounds->prune && root->bounds->prune(root, &t->prune);
            may_prune = pruning;
        }
        uint32_t d = root->ds.doc;
        if (d == BL_DOC_END)
            break;
        if (bl_deleted(del, d)) {
            s_next(root);
            continue;
        }
        t->total++;
        if (t->k)
            offer(t->heap, &t->n, t->k, (bl_scored_doc){base + d, root->score(root)});
        if (pruning)
            t->prune.floor = t->heap[0].score;
        s_next(root);
    }
}

/* ---- counting an AND of words by bitmaps ------------------------------- */

/* The word of a query node that is one plain term, else NULL. */
static const char *plain_word(const bl_qnode *n)
{
    if (n->kind == BL_Q_TERM || (n->kind == BL_Q_PHRASE && n->nterms == 1 && !n->prefix_last))
        return n->terms[0];
    return NULL;
}

/* The number of c's segment's documents holding every word of q, when q
 * is an AND of plain words of which at most one has a list without a
 * bitmap and at least one has a bitmap: the bitmaps ANDed and counted a
 * word at a time, or the one other list's ids tested against them a block
 * at a time. Returns 1 with *n set, 0 when q is no such AND (it is then
 * evaluated as usual: an AND with two or more lists without bitmaps tests
 * its other kids' bits per candidate), or a BL_E code. */
static int count_and_by_bitmaps(build_ctx *c, const bl_qnode *q, uint64_t *n)
{
    if (q->kind != BL_Q_AND)
        return 0;
    for (size_t i = 0; i < q->nkids; i++)
        if (!plain_word(q->kids[i]))
            return 0;
    const bl_postings *p = bl_segment_postings(c->seg);
    const uint64_t **maps = malloc(q->nkids * sizeof *maps);
    if (!maps)
        return BL_ENOMEM;
    bl_terminfo ti, other = {0};
    size_t nmaps = 0, nothers = 0;
    uint32_t nwords = 0;
    int rc = 0, missing = 0, ours = 1;
    *n = 0;
    for (size_t i = 0; i < q->nkids && !rc && !missing && ours; i++) {
        rc = lookup(c, plain_word(q->kids[i]), &ti);
        if (rc == BL_ENOTFOUND) {
            rc = 0;
            missing = 1; /* no document of this segment has them all */
        } else if (!rc && (rc = bl_postings_bitmap(p, &ti, &maps[nmaps], &nwords)) == 0) {
            if (maps[nmaps])
                nmaps++;
            else if (nothers++ == 0)
                other = ti;
            else /* a second list without a bitmap (the same word again is one) */
                ours = other.postings_offset == ti.postings_offset;
        }
    }
    if (!rc && !missing && ours && nmaps > 0) {
        if (nothers == 0) {
            *n = bl_bitmap_and_count_many(maps, nmaps, nwords);
        } else {
            bl_posting_iter *it;
            if ((rc = bl_posting_iter_new(p, &other, &it)) == 0) {
                *n = bl_posting_iter_count_in(it, maps, nmaps);
                rc = bl_posting_iter_docset(it)->err;
                bl_docset_free(bl_posting_iter_docset(it));
            }
        }
    } else if (!missing) {
        ours = 0; /* no bitmap, or two other lists: counted as usual */
    }
    free(maps);
    return rc ? rc : ours;
}

/* BM25 is monotone (grows with tf, falls with length), which every bound
 * relies on, for k1 >= 0, 0 <= b <= 1 and a positive average length. */
static int bm25_boundable(const bl_bm25 *p, double avgdl)
{
    return p->k1 >= 0 && isfinite(p->k1) && p->b >= 0 && p->b <= 1 && avgdl > 0 &&
           isfinite(avgdl);
}

/* One search over segments [from, to) of an index into its own top-k:
 * the whole search, or one thread's share of it. */
typedef struct {
    const bl_index *idx;
    const bl_qnode *q;
    size_t k;
    const bl_bm25 *params;
    bl_search_opts o;
    double avgdl;
    size_t from, to;
    topk t;
    int rc;
    char detail[512]; /* the error's detail, from the thread that met it */
} search_part;

static void search_segments(search_part *sp)
{
    topk *t = &sp->t;
    *t = (topk){malloc((sp->k ? sp->k : 1) * sizeof *t->heap), 0, sp->k, 0,
                sp->o.exhaustive ? UINT64_MAX : sp->o.total_threshold, {-INFINITY, 0, 0}};
    if (!t->heap) {
        sp->rc = BL_ENOMEM;
        return;
    }
    int rc = 0;
    df_cache dfs = {0};
    for (size_t si = sp->from; si < sp->to && !rc; si++) {
        build_ctx c = {sp->idx, bl_index_segment(sp->idx, si), *sp->params, sp->avgdl, &dfs,
                       NULL, 0, 0, bm25_boundable(sp->params, sp->avgdl)};
        uint64_t n;
        const uint64_t *del = bl_segment_deleted(c.seg);
        if (sp->k == 0 && !del && (rc = count_and_by_bitmaps(&c, sp->q, &n)) != 0) {
            if (rc == 1) {
                t->total += n;
                rc = 0;
            }
            continue;
        }
        scorer *root = NULL;
        rc = build(&c, sp->q, &root);
        if (!rc) {
            or_as_root(root);
            t->prune.docs = bl_segment_info(c.seg)->doc_count;
            collect(t, root, bl_index_segment_base(sp->idx, si), del);
            for (size_t i = 0; i < c.niters && !rc; i++)
                rc = bl_posting_iter_docset(c.iters[i])->err;
            if (!rc)
                rc = bl_segment_error(c.seg);
            bl_docset_free(&root->ds);
        }
        for (size_t i = 0; i < c.niters; i++)
            bl_docset_free(bl_posting_iter_docset(c.iters[i]));
        free(c.iters);
    }
    df_cache_release(&dfs);
    sp->rc = rc;
    if (rc)
        snprintf(sp->detail, sizeof sp->detail, "%s", bl_error_detail());
}

static void *search_thread(void *arg)
{
    search_segments(arg);
    return NULL;
}

/* Splits the segments into parts of about equal documents, one a thread
 * (at most nthreads, at most one a segment), searches them side by side
 * and merges their top-k lists: the same k best as one pass, since each
 * part keeps its own k best. Returns the number of parts in *np. */
static int search_parallel(search_part *base, unsigned nthreads, search_part **out, size_t *np)
{
    size_t nseg = bl_index_segment_count(base->idx);
    size_t n = nthreads < nseg ? nthreads : nseg;
    search_part *parts = calloc(n, sizeof *parts);
    pthread_t *tids = calloc(n, sizeof *tids);
    if (!parts || !tids) {
        free(parts);
        free(tids);
        return BL_ENOMEM;
    }
    uint64_t docs = bl_index_doc_space(base->idx), per = docs / n + 1, acc = 0;
    size_t si = 0;
    for (size_t p = 0; p < n; p++) {
        parts[p] = *base;
        parts[p].from = si;
        /* at least one segment a part, and enough left for the others */
        do {
            acc += bl_segment_info(bl_index_segment(base->idx, si))->doc_count;
            si++;
        } while (si < nseg - (n - 1 - p) && acc < per * (p + 1));
        parts[p].to = p + 1 == n ? nseg : si;
    }
    size_t started = 0;
    for (size_t p = 1; p < n; p++)
        if (pthread_create(&tids[p], NULL, search_thread, &parts[p]) == 0)
            started = p;
        else
            break;
    /* parts no thread took are searched here */
    search_segments(&parts[0]);
    for (size_t p = started + 1; p < n; p++)
        search_segments(&parts[p]);
    for (size_t p = 1; p <= started; p++)
        pthread_join(tids[p], NULL);
    free(tids);
    *out = parts;
    *np = n;
    return 0;
}

int bl_search_ex(const bl_index *idx, const bl_qnode *q, size_t k, const bl_bm25 *params,
                 const bl_search_opts *opts, bl_results *out)
{
    memset(out, 0, sizeof *out);
    search_part base = {.idx = idx, .q = q, .k = k, .params = params,
                        .o = opts ? *opts : BL_SEARCH_OPTS_DEFAULT,
                        .avgdl = bl_index_avg_doc_len(idx), .from = 0,
                        .to = bl_index_segment_count(idx)};
    search_part *parts = &base;
    size_t np = 1;
    int rc = 0;
    if (base.o.threads > 1 && base.to > 1)
        rc = search_parallel(&base, base.o.threads, &parts, &np);
    else
        search_segments(&base);
    if (rc)
        return rc;
    /* the parts' hits together, the k best kept */
    size_t total_hits = 0;
    for (size_t p = 0; p < np && !rc; p++) {
        if (parts[p].rc && !rc) {
            rc = bl_error_set(parts[p].rc, "%s", parts[p].detail);
        }
        total_hits += parts[p].t.n;
    }
    bl_scored_doc *hits = rc ? NULL : malloc((total_hits ? total_hits : 1) * sizeof *hits);
    if (!rc && !hits)
        rc = BL_ENOMEM;
    size_t nh = 0;
    for (size_t p = 0; p < np; p++) {
        if (hits) {
            memcpy(hits + nh, parts[p].t.heap, parts[p].t.n * sizeof *hits);
            nh += parts[p].t.n;
            out->total += parts[p].t.total;
            if (parts[p].t.prune.skipped)
                out->relation = BL_TOTAL_GTE;
        }
        free(parts[p].t.heap);
    }
    if (parts != &base)
        free(parts);
    if (rc) {
        free(hits);
        memset(out, 0, sizeof *out);
        return rc;
    }
    qsort(hits, nh, sizeof *hits, cmp_best_first);
    out->hits = hits;
    out->nhits = nh < k ? nh : k;
    return 0;
}

int bl_search(const bl_index *idx, const bl_qnode *q, size_t k, const bl_bm25 *params,
              bl_results *out)
{
    return bl_search_ex(idx, q, k, params, NULL, out);
}

void bl_results_release(bl_results *r)
{
    free(r->hits);
    memset(r, 0, sizeof *r);
}
