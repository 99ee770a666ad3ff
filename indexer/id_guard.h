/* id_guard.h: every article id of one `byline index` run, checked for
 * duplicates in memory that does not grow with the run.
 *
 * The ids of articles still on their way into a segment are kept whole,
 * with their sources, in batches of an id registry (id_registry.h). Once a
 * batch's articles are all in written segments, its ids leave memory: only
 * their hashes stay, in a filter (id_filter.h), and a later id the filter
 * may have seen is looked up in the written segments' id maps and, on a
 * hash match, confirmed against the stored id. The committed index's ids
 * go into a filter of their own, so that an article is looked up in the
 * index (to replace the one there) only when it may be there.
 *
 * Batches are numbered by the caller with tags that never decrease (the
 * parallel pool's chunk numbers, or the number of segments written so far
 * on one thread); bl_id_guard_written says below which tag every article
 * is written.
 */
#ifndef BL_ID_GUARD_H
#define BL_ID_GUARD_H

#include <stddef.h>
#include <stdint.h>

#include "index.h"
#include "manifest.h"

typedef struct bl_id_guard bl_id_guard;

typedef struct {
    const char *dir;             /* the index directory the run writes */
    const bl_manifest *manifest; /* its language and analyzer version */
    bl_index *existing;          /* its committed segments, or NULL */
    size_t max_filter_bytes;     /* for each of the two filters */
    size_t batch_ids;            /* ids a batch takes before the next */
} bl_id_guard_opts;

/* Makes a guard; with o->existing, reads every committed id map once (its
 * pages verified, then given back). Errors: BL_ENOMEM, BL_ECORRUPT. */
int bl_id_guard_new(bl_id_guard **out, const bl_id_guard_opts *o);

/* Frees g; NULL does nothing. */
void bl_id_guard_free(bl_id_guard *g);

/* Checks that no earlier article of the run has id, then records it, seen
 * at source, in batch tag (never less than the last call's). On success
 * *maybe_in_index is 1 if the committed index may hold the id, 0 if it
 * certainly does not. Errors: BL_EFORMAT for a duplicate, with the detail
 * "SOURCE: duplicate id "ID" (first seen at FIRST)", g unchanged;
 * BL_ENOMEM, BL_ECORRUPT, BL_EIO (a written segment that cannot be read). */
int bl_id_guard_add(bl_id_guard *g, const char *id, size_t id_len, const char *source,
                    size_t source_len, uint64_t tag, int *maybe_in_index);

/* Tells g of segments newly written by the run (segs[0..n), added to those
 * of earlier calls; n may be 0), and that every article of a tag below
 * `below` is in one of them: g reads each new id map once, keeping every
 * 256th hash. Id maps are then read by pread, never mapped, and without
 * their page checksums (the run wrote them minutes ago); a hash found is
 * confirmed through the segment's verified reads. The segments' files
 * must stay until g is freed. Errors: BL_ENOMEM, BL_EIO (an id map that
 * cannot be opened or read). */
int bl_id_guard_written(bl_id_guard *g, uint64_t below, const bl_manifest_segment *segs,
                        size_t n);

/* Ids of the run so far. */
uint64_t bl_id_guard_count(const bl_id_guard *g);

/* Bytes of memory held (batches, filters, the written segments' list). */
size_t bl_id_guard_memory(const bl_id_guard *g);

#endif
