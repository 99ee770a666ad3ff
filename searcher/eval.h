/* eval.h: evaluates a query tree over an index, document at a time.
 *
 * Each segment gets its own tree of scorers built from the query: a term is
 * a posting iterator, a phrase leapfrogs its terms' iterators and checks
 * positions only where they all share a document, AND leapfrogs seeks from
 * its cheapest child and drops documents its NOT children hold (held as one
 * union when there are several), OR walks the union from a heap of its
 * children, a prefix is the OR of the terms it expands to (and of the
 * prefix word's stem), and a phrase whose last word is a prefix is the OR
 * of the phrases it expands to. A kid that an AND or OR holds several
 * times ("the the the") is built once and its score counted as often, so
 * the work grows with the distinct parts of a query, not its length. Every
 * matching document is scored with
 * BM25 using statistics of the whole index and offered to a top-k heap, so
 * the number of matches is exact.
 *
 * BM25 of a document is the sum over the positive leaves it matches of
 *   idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len / avglen))
 * with idf = ln(1 + (N - df + 0.5) / (df + 0.5)). A phrase counts as one
 * leaf whose tf is the number of times the phrase occurs and whose idf is
 * the sum of its terms' idfs. So a prefix scores the sum, over the
 * expansions a document holds, of each one's BM25, and "white hou*" the
 * sum over the expanded phrases it holds ("white house", "white houses")
 * of each phrase's BM25. Documents matched only through "all but"
 * (a purely negative query) score 0. Ties go to the lower document id.
 */
#ifndef BL_EVAL_H
#define BL_EVAL_H

#include <stddef.h>
#include <stdint.h>

#include "index.h"
#include "query.h"

typedef struct {
    double k1; /* term-frequency saturation, default 1.2 */
    double b;  /* length normalisation, default 0.75 */
} bl_bm25;

#define BL_BM25_DEFAULT ((bl_bm25){1.2, 0.75})

/* A prefix may expand to any number of terms. In each segment the
 * BL_PREFIX_ITERS expansions with the most documents are read through
 * iterators, lazily; the others are read once, when the segment's tree is
 * built, into one bitset and one score per document. Memory per prefix is
 * so bounded by the segment's size, whatever the expansions. */
#define BL_PREFIX_ITERS 32

typedef struct {
    uint32_t doc; /* global doc id (index.h) */
    double score;
} bl_scored_doc;

typedef struct {
    bl_scored_doc *hits; /* owned; best first */
    size_t nhits;        /* min(k, total) */
    uint64_t total;      /* exact number of matching documents */
} bl_results;

/* Runs q over idx and keeps the k best documents (k may be 0 to only
 * count). Errors: BL_ECORRUPT (a damaged posting list; detail names the
 * file and offset), BL_EQUERY (a phrase of more than 64 words),
 * BL_ENOMEM. On error *out is left empty. */
int bl_search(const bl_index *idx, const bl_qnode *q, size_t k, const bl_bm25 *params,
              bl_results *out);

/* Frees what r owns; safe on a zeroed struct. */
void bl_results_release(bl_results *r);

#endif
