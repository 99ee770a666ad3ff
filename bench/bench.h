/* bench.h: what the parts of bin/byline-bench share: its options, the
 * synthetic Zipf lists, the bare posting loops (leapfrog AND, merge OR,
 * phrase) that both the table (bench_postings.c) and the JSON rows
 * (bench_json.c) time, and the JSON mode's entry point.
 */
#ifndef BL_BENCH_H
#define BL_BENCH_H

#include <stdint.h>

#include "docset.h"
#include "postings.h"

typedef struct {
    int runs;              /* repetitions of each measurement */
    uint64_t seed;         /* of the synthetic lists */
    uint32_t universe;     /* documents of the synthetic segment */
    const char *index_dir; /* a real index, or NULL */
    const char *index_name; /* its name in JSON rows (default: the folder's) */
    int top_terms;
    double min_run_ms;     /* JSON mode: each timed run lasts at least this */
} bench_opts;

/* One synthetic list: docs[0..n) increasing, tfs[i] >= 1, and pos holding
 * tfs[i] increasing positions per doc, doc after doc. Owned arrays. */
typedef struct {
    uint32_t *docs, *tfs, *pos;
    uint32_t n;
} synth_list;

/* Draws a list over docs 0..universe-1, each doc in it with probability
 * density, from the xorshift state *rng (which it advances). Returns 0, or
 * -1 when out of memory (l is then empty). */
int bench_synth_list(uint64_t *rng, uint32_t universe, double density, synth_list *l);

/* Frees l's arrays; safe on an empty list. */
void bench_synth_free(synth_list *l);

/* The loops. Each walks docsets that are already open and positioned on
 * their first doc, and returns what it counted; a docset error ends the
 * walk early (the caller checks each docset's err). */

/* Docs in both a and b: the rarer list proposes, the other seeks (by the
 * direct calls the evaluator uses for plain terms). */
uint64_t bench_leapfrog(bl_posting_iter *a, bl_posting_iter *b);

/* Docs in a or b, by a two-way merge of next calls. */
uint64_t bench_merge(bl_posting_iter *a, bl_posting_iter *b);

/* Occurrences of the phrase "a b": where both lists hold a doc, positions
 * p of a with p + 1 a position of b. Sets *err to a positions error. */
uint64_t bench_phrase(bl_posting_iter *a, bl_posting_iter *b, int *err);

/* Opens iterators over the lists a and b of p; 0, or a BL_E code with
 * nothing left open. */
int bench_open_pair(const bl_postings *p, const bl_terminfo *a, const bl_terminfo *b,
                    bl_posting_iter **ia, bl_posting_iter **ib);

/* --json: prints one JSON object per measured row on stdout. Returns the
 * exit status. */
int bench_json_main(const bench_opts *o);

#endif
