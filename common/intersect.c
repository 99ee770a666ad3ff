/* intersect.c: two-list intersection counts (paths in intersect.h). */
#include "intersect.h"

#include "bitmap.h"
#include "docset.h"

uint64_t bl_posting_iter_intersect_count(bl_posting_iter *a, bl_posting_iter *b)
{
    if (bl_posting_iter_docset(a)->cost > bl_posting_iter_docset(b)->cost) {
        bl_posting_iter *t = a;
        a = b;
        b = t;
    }
    uint64_t hits = 0;
    uint32_t doc = bl_posting_iter_docset(a)->doc;
    while (doc != BL_DOC_END) {
        uint32_t d = bl_posting_iter_seek(b, doc);
        if (d == doc) {
            hits++;
            doc = bl_posting_iter_next(a);
        } else {
            doc = bl_posting_iter_seek(a, d);
        }
    }
    return hits;
}

/* The one-dense and neither-dense paths: walks over iterators. words is
 * the bitmap of b, or NULL. */
static int count_by_iterators(const bl_postings *p, const bl_terminfo *a, const bl_terminfo *b,
                              const uint64_t *words, uint64_t *count)
{
    bl_posting_iter *ia = NULL, *ib = NULL;
    int rc = bl_posting_iter_new(p, a, &ia);
    if (!rc && !words)
        rc = bl_posting_iter_new(p, b, &ib);
    if (!rc) {
        *count = words ? bl_posting_iter_count_in(ia, &words, 1) : bl_posting_iter_intersect_count(ia, ib);
        rc = bl_posting_iter_docset(ia)->err;
        if (!rc && ib)
            rc = bl_posting_iter_docset(ib)->err;
    }
    if (ia)
        bl_docset_free(bl_posting_iter_docset(ia));
    if (ib)
        bl_docset_free(bl_posting_iter_docset(ib));
    return rc;
}

int bl_postings_intersect_count(const bl_postings *p, const bl_terminfo *a,
                                const bl_terminfo *b, uint64_t *count)
{
    const uint64_t *wa, *wb;
    uint32_t na, nb;
    *count = 0;
    int rc = bl_postings_bitmap(p, a, &wa, &na);
    if (!rc)
        rc = bl_postings_bitmap(p, b, &wb, &nb);
    if (rc)
        return rc;
    if (wa && wb) {
        *count = bl_bitmap_and_count(wa, wb, na);
        return 0;
    }
    if (wa) /* walk the one without a bitmap */
        rc = count_by_iterators(p, b, a, wa, count);
    else
        rc = count_by_iterators(p, a, b, wb, count);
    if (rc)
        *count = 0;
    return rc;
}
