/* parallel.h: indexing on several threads (byline index -j N).
 *
 * The reading thread parses the input and checks ids as it does alone, then
 * hands the articles over in chunks: copies of their fields, about
 * BL_PAR_CHUNK_BYTES at a time, in a queue of at most two per worker. Each
 * of the N workers takes the next chunk, analyses and inverts its articles
 * with its own analyzer and inverter, and fills its own segment. The
 * segments being filled share bl_par_fill_budget of the memory budget:
 * when they pass it together, the largest is written and its worker starts
 * another. Segments are listed in the order of their first article in the
 * input, and each holds its articles in input order.
 *
 * BM25 scores use the statistics of the whole index, so every document has
 * the same score whatever N is, and a query matches the same documents.
 * What N (and, for N > 1, the timing of the threads) changes is how the
 * documents are cut into segments and interleaved, so only which of two
 * equal scores is ranked first may differ. The writers of the segments'
 * files are the same as with one thread.
 */
#ifndef BL_PARALLEL_H
#define BL_PARALLEL_H

#include <stddef.h>
#include <stdint.h>

#include "loader.h"
#include "manifest.h"

/* A chunk closes once its articles' fields take this many bytes (a single
 * larger article makes a chunk of its own). */
#define BL_PAR_CHUNK_BYTES (1u << 20)

/* Most workers. */
#define BL_PAR_MAX_JOBS 256

typedef struct bl_par bl_par;

typedef struct {
    const char *dir;       /* the index directory */
    const char *lang;      /* the analyzer's language (analyzer.h) */
    uint32_t codec;        /* of the segments' postings (codec.h) */
    uint32_t dense_ratio;  /* which of their lists are dense (postings.h) */
    unsigned jobs;         /* workers, 1 to BL_PAR_MAX_JOBS */
    size_t memory_budget;  /* of all workers together */
    /* Where segment ids come from: the workers take them in turn (under
     * the pool's lock) while the pool runs; the caller must not touch it
     * until bl_par_finish or bl_par_abort returns. */
    uint64_t *next_segment;
    uint64_t max_segment;  /* ids stay below this (BL_ETOOBIG past it) */
} bl_par_opts;

/* Of a memory budget, what the segments being filled may take together
 * (four fifths): the rest is for writing one, whose sort and pair builder
 * take about a third of its size at its peak. The indexer on one thread
 * keeps its segment within it too. */
size_t bl_par_fill_budget(size_t memory_budget);

/* Starts the workers. Errors: BL_EINVAL (jobs out of range), BL_ENOMEM,
 * BL_EIO (a thread could not be started), an analyzer's error. */
int bl_par_new(bl_par **out, const bl_par_opts *o);

/* Copies the article into the current chunk, handing the chunk to the
 * workers when it is full (waiting while the queue is). When it hands a
 * chunk over after a worker has failed, returns that worker's error (with
 * its detail); the caller then stops and calls bl_par_abort. Errors:
 * BL_ENOMEM, and any of bl_inverter_add's or bl_inverter_finish's. */
int bl_par_add(bl_par *p, const bl_article *a);

/* Changes the memory budget of all workers together (from their next
 * article on). */
void bl_par_set_budget(bl_par *p, size_t memory_budget);

/* The tag of the next article bl_par_add takes: the number of the chunk
 * it goes into (chunks are numbered in input order from 0). */
uint64_t bl_par_next_tag(const bl_par *p);

/* What the workers have written so far: *segs (owned by the caller,
 * free(); NULL when *n is 0) are the segments written after the first
 * `from`, in the order they were written, and every article added with a
 * tag below *below is in one of the segments written. Errors: BL_ENOMEM. */
int bl_par_written(bl_par *p, size_t from, uint64_t *below, bl_manifest_segment **segs,
                   size_t *n);

/* Hands over the last chunk, waits for the workers to write their last
 * segments, and sets *segs (owned by the caller, free()) to the *nsegs
 * segments written, in input order; adds the run's tokens and invalid
 * UTF-8 bytes to *tokens and *invalid_bytes, and frees p. On error p
 * stays, its files with it, for bl_par_abort. Errors: as bl_par_add. */
int bl_par_finish(bl_par *p, bl_manifest_segment **segs, size_t *nsegs, uint64_t *tokens,
                  uint64_t *invalid_bytes);

/* Stops the workers and frees p: with remove_files, every file the pool
 * wrote is removed; without, none is touched (a writer whose directory was
 * moved or replaced). NULL does nothing. */
void bl_par_abort(bl_par *p, int remove_files);

#endif
