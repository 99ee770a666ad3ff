/* eval.h: evaluates a query tree over an index, document at a time.
 *
 * Each segment gets its own tree of scorers built from the query: a term is
 * a posting iterator, a phrase leapfrogs its terms' iterators and checks
 * positions only where they all share a document, AND leapfrogs seeks from
 * its cheapest child and drops documents its NOT children hold (held as one
 * union when there are several; a child word whose list is dense tests a
 * bit instead of seeking while such tests reject nearly every candidate), OR walks the union from a heap of its
 * children, a prefix is the OR of the terms it expands to (and of the
 * prefix word's stem), and a phrase whose last word is a prefix is the OR
 * of the phrases it expands to. A kid that an AND or OR holds several
 * times ("the the the") is built once and its score counted as often, so
 * the work grows with the distinct parts of a query, not its length.
 * Matching documents are scored with BM25 using statistics of the whole
 * index and offered to a top-k heap. Counting alone (k == 0) an AND of
 * plain words with dense lists needs no tree: their bitmaps are ANDed and
 * counted, or the one list without a bitmap is tested against them.
 *
 * Pruning (unless bl_search_opts.exhaustive): once the heap holds k hits
 * and total_threshold matches have been counted, documents that cannot
 * score above the k-th hit are skipped, by the block-max data of the
 * posting lists (eval.c says what each kind of node skips). The k hits and
 * their scores are exactly those of an exhaustive evaluation (same bits);
 * only the total changes: it is then a lower bound (relation BL_TOTAL_GTE),
 * as in Lucene and Elasticsearch. Totals up to total_threshold are exact.
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

/* How bl_results.total relates to the number of matching documents. */
typedef enum {
    BL_TOTAL_EQ,  /* total is the number of matching documents */
    BL_TOTAL_GTE, /* at least total documents match (pruning skipped some) */
} bl_total_relation;

typedef struct {
    bl_scored_doc *hits; /* owned; best first */
    size_t nhits;        /* min(k, number of matching documents) */
    uint64_t total;      /* matching documents counted (see relation) */
    bl_total_relation relation;
} bl_results;

/* The hit total is exact up to this many matches by default (Lucene's
 * and Elasticsearch's default too). */
#define BL_TOTAL_THRESHOLD 1000

typedef struct {
    /* Nonzero: every matching document is scored, nothing is pruned, and
     * the total is exact. */
    int exhaustive;
    /* Pruning starts once this many matches are counted (and the heap is
     * full), so totals up to it are exact; UINT64_MAX: exact totals, which
     * today means no pruning. */
    uint64_t total_threshold;
    /* Above 1: the segments are split into up to this many parts of about
     * equal size, searched on threads side by side (each pruning against
     * its own k best; the hits are the same, a GTE total may differ). */
    unsigned threads;
} bl_search_opts;

#define BL_SEARCH_OPTS_DEFAULT ((bl_search_opts){0, BL_TOTAL_THRESHOLD, 1})

/* Runs q over idx and keeps the k best documents (k may be 0 to only
 * count; then nothing is pruned and the total is exact). opts NULL means
 * BL_SEARCH_OPTS_DEFAULT. Ties go to the lower document id. Errors:
 * BL_ECORRUPT (a damaged posting list; detail names the file and offset),
 * BL_EQUERY (a phrase of more than 64 words), BL_ENOMEM. On error *out is
 * left empty. */
int bl_search_ex(const bl_index *idx, const bl_qnode *q, size_t k, const bl_bm25 *params,
                 const bl_search_opts *opts, bl_results *out);

/* bl_search_ex with the default options. */
int bl_search(const bl_index *idx, const bl_qnode *q, size_t k, const bl_bm25 *params,
              bl_results *out);

/* Frees what r owns; safe on a zeroed struct. */
void bl_results_release(bl_results *r);

#endif
