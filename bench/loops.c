/* loops.c: the posting loops byline-bench times, and the Zipf list maker. */
#include <stdlib.h>

#include "bench.h"
#include "intersect.h"

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545f4914f6cdd1dull;
}

void bench_synth_free(synth_list *l)
{
    free(l->docs);
    free(l->tfs);
    free(l->pos);
    l->docs = l->tfs = l->pos = NULL;
    l->n = 0;
}

int bench_synth_list(uint64_t *rng, uint32_t universe, double density, synth_list *l)
{
    size_t cap = (size_t)(universe * density * 1.2) + 16;
    size_t npos = 0, pos_cap = cap * 2;
    l->docs = malloc(cap * sizeof *l->docs);
    l->tfs = malloc(cap * sizeof *l->tfs);
    l->pos = malloc(pos_cap * sizeof *l->pos);
    l->n = 0;
    if (!l->docs || !l->tfs || !l->pos)
        goto nomem;
    uint64_t threshold = (uint64_t)(density * 18446744073709551615.0);
    for (uint32_t d = 0; d < universe && l->n < cap; d++) {
        if (rng_next(rng) > threshold)
            continue;
        /* Geometric tf with mean about 1.5, positions spread over 300 tokens. */
        uint32_t tf = 1;
        while (tf < 20 && (rng_next(rng) & 3) == 0)
            tf++;
        if (npos + tf > pos_cap) {
            pos_cap = pos_cap * 2 + tf;
            uint32_t *grown = realloc(l->pos, pos_cap * sizeof *l->pos);
            if (!grown)
                goto nomem;
            l->pos = grown;
        }
        uint32_t p = 0;
        for (uint32_t k = 0; k < tf; k++) {
            p += 1 + (uint32_t)(rng_next(rng) % (300 / tf));
            l->pos[npos++] = p;
        }
        l->docs[l->n] = d;
        l->tfs[l->n++] = tf;
    }
    return 0;
nomem:
    bench_synth_free(l);
    return -1;
}

uint64_t bench_leapfrog(bl_posting_iter *a, bl_posting_iter *b)
{
    return bl_posting_iter_intersect_count(a, b);
}

uint64_t bench_merge(bl_posting_iter *a, bl_posting_iter *b)
{
    bl_docset *x = bl_posting_iter_docset(a), *y = bl_posting_iter_docset(b);
    uint64_t n = 0;
    while (x->doc != BL_DOC_END || y->doc != BL_DOC_END) {
        uint32_t m = x->doc < y->doc ? x->doc : y->doc;
        n++;
        if (x->doc == m)
            bl_posting_iter_next(a);
        if (y->doc == m)
            bl_posting_iter_next(b);
    }
    return n;
}

uint64_t bench_phrase(bl_posting_iter *a, bl_posting_iter *b, int *err)
{
    bl_docset *x = bl_posting_iter_docset(a), *y = bl_posting_iter_docset(b);
    uint64_t hits = 0;
    uint32_t doc = x->doc;
    *err = 0;
    while (doc != BL_DOC_END) {
        uint32_t d = bl_docset_seek(y, doc);
        if (d != doc) {
            doc = bl_docset_seek(x, d);
            continue;
        }
        const uint32_t *pa, *pb;
        uint32_t na, nb, j = 0;
        if ((*err = bl_posting_iter_positions(a, &pa, &na)) != 0 ||
            (*err = bl_posting_iter_positions(b, &pb, &nb)) != 0)
            break;
        for (uint32_t i = 0; i < na; i++) {
            while (j < nb && pb[j] < pa[i] + 1)
                j++;
            hits += j < nb && pb[j] == pa[i] + 1;
        }
        doc = bl_docset_next(x);
    }
    return hits;
}

int bench_open_pair(const bl_postings *p, const bl_terminfo *a, const bl_terminfo *b,
                    bl_posting_iter **ia, bl_posting_iter **ib)
{
    int rc = bl_posting_iter_new(p, a, ia);
    if (rc)
        return rc;
    rc = bl_posting_iter_new(p, b, ib);
    if (rc)
        bl_docset_free(bl_posting_iter_docset(*ia));
    return rc;
}
