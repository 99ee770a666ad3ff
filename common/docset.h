/* docset.h: the one iterator shape every posting source has.
 *
 * A docset walks doc ids in increasing order. It is positioned on its first
 * doc as soon as it is created (doc == BL_DOC_END if it is empty), next()
 * moves one doc on, seek(target) moves to the first doc >= target (and does
 * nothing if the current doc is already >= target). AND is a leapfrog of
 * seeks from the cheapest docset; that loop is what bench/ measures.
 *
 * Errors while iterating (a corrupt block) do not abort the loop: the docset
 * records the first one in err, sets a detail with bl_error_set, and ends
 * (doc = BL_DOC_END). Whoever drives the loop checks err afterwards.
 */
#ifndef BL_DOCSET_H
#define BL_DOCSET_H

#include <stdint.h>

#define BL_DOC_END UINT32_MAX

typedef struct bl_docset bl_docset;

typedef struct {
    uint32_t (*next)(bl_docset *s);
    uint32_t (*seek)(bl_docset *s, uint32_t target);
    void (*free)(bl_docset *s);
} bl_docset_ops;

struct bl_docset {
    const bl_docset_ops *ops;
    uint32_t doc;  /* current doc id, BL_DOC_END when exhausted */
    uint64_t cost; /* upper estimate of the docs it yields (df for a term) */
    int err;       /* first error met (0 if none) */
};

/* Moves to the next doc; returns it (BL_DOC_END at the end). */
static inline uint32_t bl_docset_next(bl_docset *s) { return s->ops->next(s); }

/* Moves to the first doc >= target; returns it. */
static inline uint32_t bl_docset_seek(bl_docset *s, uint32_t target)
{
    return target <= s->doc ? s->doc : s->ops->seek(s, target);
}

/* Frees s; NULL does nothing. */
static inline void bl_docset_free(bl_docset *s)
{
    if (s)
        s->ops->free(s);
}

#endif
