/* eval.c: scorers (docsets that can score their current doc), the tree
 * built from a query for one segment, and the top-k loop. */
#include "eval.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "error.h"
#include "postings.h"

typedef struct scorer scorer;
struct scorer {
    bl_docset ds; /* first: a scorer is a docset */
    double (*score)(scorer *s);
};

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

static inline uint32_t s_next(scorer *s) { return bl_docset_next(&s->ds); }
static inline uint32_t s_seek(scorer *s, uint32_t t) { return bl_docset_seek(&s->ds, t); }

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
    return &a->base;
}

/* ---- term --------------------------------------------------------------- */

typedef struct {
    scorer base;
    bl_posting_iter *it;
    const bl_segment *seg;
    double idf, k1, b, avgdl;
} term_scorer;

static double bm25(double idf, double tf, double len, double k1, double b, double avgdl)
{
    return idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len / avgdl));
}

static double idf_of(uint64_t df, uint64_t n)
{
    return log(1.0 + ((double)n - (double)df + 0.5) / ((double)df + 0.5));
}

static uint32_t term_next(bl_docset *s)
{
    term_scorer *t = (term_scorer *)s;
    return s->doc = bl_docset_next(bl_posting_iter_docset(t->it));
}
static uint32_t term_seek(bl_docset *s, uint32_t target)
{
    term_scorer *t = (term_scorer *)s;
    return s->doc = bl_docset_seek(bl_posting_iter_docset(t->it), target);
}
/* The iterator itself is owned by the build context. */
static const bl_docset_ops term_ops = {term_next, term_seek, plain_free};

static double term_score(scorer *s)
{
    term_scorer *t = (term_scorer *)s;
    return bm25(t->idf, bl_posting_iter_freq(t->it), bl_segment_doc_len(t->seg, s->ds.doc),
                t->k1, t->b, t->avgdl);
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
    t->idf = idf_of(df, bl_index_doc_count(c->idx));
    t->k1 = c->bm25.k1;
    t->b = c->bm25.b;
    t->avgdl = c->avgdl;
    bl_docset *d = bl_posting_iter_docset(t->it);
    t->base.ds = (bl_docset){&term_ops, d->doc, d->cost, 0};
    t->base.score = term_score;
    *out = &t->base;
    return 0;
}

/* ---- phrase ------------------------------------------------------------- */

typedef struct {
    scorer base;
    size_t n;
    bl_posting_iter **its; /* in phrase order */
    uint32_t *rel;         /* relative positions */
    size_t lead;           /* cheapest iterator, drives the leapfrog */
    uint32_t freq;         /* phrase occurrences in the current doc */
    const bl_segment *seg;
    double idf, k1, b, avgdl;
} phrase_scorer;

/* Counts occurrences of the phrase in the doc all iterators are on. */
static uint32_t phrase_freq(phrase_scorer *p)
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
    }
    return freq;
}

/* Moves all iterators to the first doc >= target where every term occurs. */
static uint32_t phrase_align(phrase_scorer *p, uint32_t target)
{
    for (;;) {
        uint32_t doc = bl_docset_seek(bl_posting_iter_docset(p->its[p->lead]), target);
        if (doc == BL_DOC_END)
            return BL_DOC_END;
        int agreed = 1;
        for (size_t k = 0; k < p->n; k++) {
            uint32_t d = bl_docset_seek(bl_posting_iter_docset(p->its[k]), doc);
            if (d != doc) {
                target = d;
                agreed = 0;
                break;
            }
        }
        if (agreed && (p->freq = phrase_freq(p)) > 0)
            return doc;
        if (agreed)
            target = doc + 1;
        if (target == BL_DOC_END)
            return BL_DOC_END;
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
    free(p->its);
    free(p->rel);
    free(p);
}
static const bl_docset_ops phrase_ops = {phrase_next, phrase_seek, phrase_free};

static double phrase_score(scorer *s)
{
    phrase_scorer *p = (phrase_scorer *)s;
    return bm25(p->idf, p->freq, bl_segment_doc_len(p->seg, s->ds.doc), p->k1, p->b, p->avgdl);
}

/* ---- AND with exclusions ------------------------------------------------- */

typedef struct {
    scorer base;
    scorer **pos;  /* sorted by cost, cheapest first */
    size_t npos;
    scorer **neg;
    size_t nneg;
} and_scorer;

static int excluded(and_scorer *a, uint32_t doc)
{
    for (size_t i = 0; i < a->nneg; i++)
        if (s_seek(a->neg[i], doc) == doc)
            return 1;
    return 0;
}

static uint32_t and_align(and_scorer *a, uint32_t target)
{
    for (;;) {
        uint32_t doc = s_seek(a->pos[0], target);
        if (doc == BL_DOC_END)
            return BL_DOC_END;
        size_t i = 1;
        for (; i < a->npos; i++) {
            uint32_t d = s_seek(a->pos[i], doc);
            if (d != doc) {
                target = d;
                break;
            }
        }
        if (i < a->npos) {
            if (target == BL_DOC_END)
                return BL_DOC_END;
            continue;
        }
        if (!excluded(a, doc))
            return doc;
        if (doc + 1 == BL_DOC_END)
            return BL_DOC_END;
        target = doc + 1;
    }
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
    free(a);
}
static const bl_docset_ops and_ops = {and_next, and_seek, and_free};

static double and_score(scorer *s)
{
    and_scorer *a = (and_scorer *)s;
    double sum = 0;
    for (size_t i = 0; i < a->npos; i++)
        sum += a->pos[i]->score(a->pos[i]);
    return sum;
}

static int cmp_cost(const void *x, const void *y)
{
    const scorer *a = *(scorer *const *)x, *b = *(scorer *const *)y;
    return (a->ds.cost > b->ds.cost) - (a->ds.cost < b->ds.cost);
}

/* Takes ownership of the arrays and the scorers in them. */
static scorer *new_and(scorer **pos, size_t npos, scorer **neg, size_t nneg)
{
    and_scorer *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    qsort(pos, npos, sizeof *pos, cmp_cost);
    a->pos = pos;
    a->npos = npos;
    a->neg = neg;
    a->nneg = nneg;
    a->base.ds = (bl_docset){&and_ops, 0, pos[0]->ds.cost, 0};
    a->base.score = and_score;
    a->base.ds.doc = and_align(a, 0);
    return &a->base;
}

/* ---- OR ----------------------------------------------------------------- */

/* The kids form a min-heap on their current doc, so moving on costs
 * O(log n) per kid that moves, not O(n) per doc: a prefix may have
 * thousands of kids. */
typedef struct {
    scorer base;
    scorer **heap;
    size_t n;
} or_scorer;

static void or_sift_down(scorer **h, size_t n, size_t i)
{
    scorer *x = h[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && h[c + 1]->ds.doc < h[c]->ds.doc)
            c++;
        if (h[c]->ds.doc >= x->ds.doc)
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
    while (o->heap[0]->ds.doc == d) {
        s_next(o->heap[0]);
        or_sift_down(o->heap, o->n, 0);
    }
    return s->doc = o->heap[0]->ds.doc;
}

static uint32_t or_seek(bl_docset *s, uint32_t t)
{
    or_scorer *o = (or_scorer *)s;
    while (o->heap[0]->ds.doc < t) {
        s_seek(o->heap[0], t);
        or_sift_down(o->heap, o->n, 0);
    }
    return s->doc = o->heap[0]->ds.doc;
}

static void or_free(bl_docset *s)
{
    or_scorer *o = (or_scorer *)s;
    for (size_t i = 0; i < o->n; i++)
        bl_docset_free(&o->heap[i]->ds);
    free(o->heap);
    free(o);
}
static const bl_docset_ops or_ops = {or_next, or_seek, or_free};

/* Sums the kids on doc: they are the root's subtree of nodes on doc (a
 * node's children are never on a smaller doc), so the walk stops early. */
static double or_sum(scorer **h, size_t n, size_t i, uint32_t doc)
{
    if (i >= n || h[i]->ds.doc != doc)
        return 0;
    return h[i]->score(h[i]) + or_sum(h, n, 2 * i + 1, doc) + or_sum(h, n, 2 * i + 2, doc);
}

static double or_score(scorer *s)
{
    or_scorer *o = (or_scorer *)s;
    return or_sum(o->heap, o->n, 0, s->ds.doc);
}

/* Takes ownership of kids and the scorers in it. */
static scorer *new_or(scorer **kids, size_t n)
{
    if (n == 0) {
        free(kids);
        return new_empty();
    }
    or_scorer *o = calloc(1, sizeof *o);
    if (!o)
        return NULL;
    o->heap = kids;
    o->n = n;
    uint64_t cost = 0;
    for (size_t i = 0; i < n; i++)
        cost += kids[i]->ds.cost;
    for (size_t i = n / 2; i-- > 0;)
        or_sift_down(kids, n, i);
    o->base.ds = (bl_docset){&or_ops, kids[0]->ds.doc, cost, 0};
    o->base.score = or_score;
    return &o->base;
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

static int build_phrase(build_ctx *c, const bl_qnode *q, scorer **out)
{
    if (q->nterms > 64)
        return bl_error_set(BL_EQUERY, "phrase of %zu words; at most 64", q->nterms);
    phrase_scorer *p = calloc(1, sizeof *p);
    if (!p)
        return BL_ENOMEM;
    p->its = calloc(q->nterms, sizeof *p->its);
    p->rel = calloc(q->nterms, sizeof *p->rel);
    int rc = p->its && p->rel ? 0 : BL_ENOMEM;
    for (size_t k = 0; k < q->nterms && !rc; k++) {
        bl_terminfo ti;
        uint64_t df;
        rc = lookup(c, q->terms[k], &ti);
        if (rc == BL_ENOTFOUND) {
            phrase_free(&p->base.ds);
            *out = new_empty();
            return *out ? 0 : BL_ENOMEM;
        }
        if (!rc)
            rc = doc_freq(c, q->terms[k], strlen(q->terms[k]), &df);
        if (!rc)
            rc = open_iter(c, &ti, &p->its[k]);
        if (!rc) {
            p->idf += idf_of(df, bl_index_doc_count(c->idx));
            p->rel[k] = q->positions ? q->positions[k] : (uint32_t)k;
            if (bl_posting_iter_docset(p->its[k])->cost <
                bl_posting_iter_docset(p->its[p->lead])->cost)
                p->lead = k;
        }
    }
    if (rc) {
        phrase_free(&p->base.ds);
        return rc;
    }
    p->n = q->nterms;
    p->seg = c->seg;
    p->k1 = c->bm25.k1;
    p->b = c->bm25.b;
    p->avgdl = c->avgdl;
    p->base.ds = (bl_docset){&phrase_ops, 0, bl_posting_iter_docset(p->its[p->lead])->cost, 0};
    p->base.score = phrase_score;
    p->base.ds.doc = phrase_align(p, 0);
    *out = &p->base;
    return 0;
}

typedef struct {
    build_ctx *c;
    scorer **kids;
    size_t n, cap;
    int rc;
    const char *prefix;
} prefix_walk;

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

static int visit_prefix(void *ctx, const char *term, size_t len, const bl_terminfo *ti)
{
    prefix_walk *w = ctx;
    if (w->n >= BL_PREFIX_MAX_TERMS)
        return bl_error_set(BL_EQUERY, "'%s*' matches more than %d terms; make the prefix longer",
                            w->prefix, BL_PREFIX_MAX_TERMS);
    uint64_t df;
    scorer *s;
    int rc = doc_freq(w->c, term, len, &df);
    if (!rc)
        rc = new_term(w->c, ti, df, &s);
    if (!rc && (rc = push_scorer(&w->kids, &w->n, &w->cap, s)) != 0)
        bl_docset_free(&s->ds);
    return rc;
}

static void free_scorers(scorer **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        bl_docset_free(&v[i]->ds);
    free(v);
}

/* The OR of every term starting with the prefix word, and of the word's
 * stem itself (terms[1], when the parser found one: the dictionary holds
 * stems, so "stories*" must find "stori"). The stem is one exact term, not
 * a second prefix: "running*" must not find "runner". */
static int build_prefix(build_ctx *c, const bl_qnode *q, scorer **out)
{
    const char *word = q->terms[0], *stem = q->nterms > 1 ? q->terms[1] : NULL;
    prefix_walk w = {c, NULL, 0, 0, 0, word};
    int rc = bl_termdict_prefix(bl_segment_termdict(c->seg), word, strlen(word), visit_prefix,
                                &w);
    if (!rc && stem && strncmp(stem, word, strlen(word)) != 0) {
        bl_terminfo ti;
        rc = bl_termdict_lookup(bl_segment_termdict(c->seg), stem, strlen(stem), &ti);
        if (rc == BL_ENOTFOUND)
            rc = 0;
        else if (!rc)
            rc = visit_prefix(&w, stem, strlen(stem), &ti);
    }
    if (rc) {
        free_scorers(w.kids, w.n);
        return rc;
    }
    if (w.n == 0) {
        free(w.kids);
        *out = new_empty();
    } else {
        *out = new_or(w.kids, w.n);
        if (!*out)
            free_scorers(w.kids, w.n);
    }
    return *out ? 0 : BL_ENOMEM;
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

static int build_and(build_ctx *c, const bl_qnode *q, scorer **out)
{
    scorer **pos = NULL, **neg = NULL;
    size_t np = 0, pc = 0, nn = 0, nc = 0;
    int rc = 0;
    for (size_t i = 0; i < q->nkids && !rc; i++) {
        const bl_qnode *k = q->kids[i];
        scorer *s;
        if ((rc = build(c, k->kind == BL_Q_NOT ? k->kids[0] : k, &s)) != 0)
            break;
        rc = k->kind == BL_Q_NOT ? push_scorer(&neg, &nn, &nc, s) : push_scorer(&pos, &np, &pc, s);
        if (rc)
            bl_docset_free(&s->ds);
    }
    if (!rc && np == 0) {
        scorer *all = new_all(bl_segment_info(c->seg)->doc_count);
        rc = all ? push_scorer(&pos, &np, &pc, all) : BL_ENOMEM;
    }
    if (!rc && !(*out = new_and(pos, np, neg, nn)))
        rc = BL_ENOMEM;
    if (rc) {
        free_scorers(pos, np);
        free_scorers(neg, nn);
    }
    return rc;
}

static int build_or(build_ctx *c, const bl_qnode *q, scorer **out)
{
    scorer **kids = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    for (size_t i = 0; i < q->nkids && !rc; i++) {
        scorer *s;
        rc = build(c, q->kids[i], &s);
        if (!rc && (rc = push_scorer(&kids, &n, &cap, s)) != 0)
            bl_docset_free(&s->ds);
    }
    if (!rc && !(*out = new_or(kids, n)))
        rc = BL_ENOMEM;
    if (rc)
        free_scorers(kids, n);
    return rc;
}

static int build(build_ctx *c, const bl_qnode *q, scorer **out)
{
    switch (q->kind) {
    case BL_Q_TERM: return build_term(c, q->terms[0], out);
    case BL_Q_PHRASE:
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

int bl_search(const bl_index *idx, const bl_qnode *q, size_t k, const bl_bm25 *params,
              bl_results *out)
{
    memset(out, 0, sizeof *out);
    bl_scored_doc *heap = malloc((k ? k : 1) * sizeof *heap);
    if (!heap)
        return BL_ENOMEM;
    size_t n = 0;
    uint64_t total = 0;
    int rc = 0;
    df_cache dfs = {0};
    for (size_t si = 0; si < bl_index_segment_count(idx) && !rc; si++) {
        build_ctx c = {idx, bl_index_segment(idx, si), *params, bl_index_avg_doc_len(idx),
                       &dfs, NULL, 0, 0};
        uint32_t base = bl_index_segment_base(idx, si);
        scorer *root = NULL;
        rc = build(&c, q, &root);
        if (!rc) {
            for (uint32_t d = root->ds.doc; d != BL_DOC_END; d = s_next(root)) {
                total++;
                offer(heap, &n, k, (bl_scored_doc){base + d, root->score(root)});
            }
            for (size_t i = 0; i < c.niters && !rc; i++)
                rc = bl_posting_iter_docset(c.iters[i])->err;
            bl_docset_free(&root->ds);
        }
        for (size_t i = 0; i < c.niters; i++)
            bl_docset_free(bl_posting_iter_docset(c.iters[i]));
        free(c.iters);
    }
    df_cache_release(&dfs);
    if (rc) {
        free(heap);
        return rc;
    }
    qsort(heap, n, sizeof *heap, cmp_best_first);
    out->hits = heap;
    out->nhits = n;
    out->total = total;
    return 0;
}

void bl_results_release(bl_results *r)
{
    free(r->hits);
    memset(r, 0, sizeof *r);
}
