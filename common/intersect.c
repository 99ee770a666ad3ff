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

/* The neither-dense path: a leapfrog of two iterators. */
static int count_by_iterators(const bl_postings *p, const bl_terminfo *a, const bl_terminfo *b,
                              uint64_t *count)
{
    bl_posting_iter *ia = NULL, *ib = NULL;
    int rc = bl_posting_iter_new(p, a, &ia);
    if (!rc)
        rc = bl_posting_iter_new(p, b, &ib);
    if (!rc) {
        *count = bl_posting_iter_intersect_count(ia, ib);
        rc = bl_posting_iter_docset(ia)->err;
        if (!rc)
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
    /* one dense: the other's doc ids against its bitmap, no iterator (a
     * short list's count costs little more than its blocks' decoding) */
    if (wa)
        rc = bl_postings_count_in(p, b, wa, na, count);
    else if (wb)
        rc = bl_postings_count_in(p, a, wb, nb, count);
    else
        rc = count_by_iterators(p, a, b, count);
    if (rc)
        *count = 0;
    return rc;
}
