/* id_filter.h: a filter over 64-bit id hashes that answers "certainly not
 * seen" or "perhaps seen", in a few bytes per id.
 *
 * It lets an indexing run check every article's id against the ids it has
 * already written to segments (and those of the index it adds to) without
 * keeping those ids in memory: only a "perhaps" sends the caller to the
 * segments' id maps to make sure. About 1 in 10,000 ids never seen
 * answers "perhaps" in each full stage of the chain below, so about 1 in
 * 2,000 for a chain of five (test_id_filter: 0.05% at 600,000 ids) while
 * the filter is within its memory limit; past the limit it
 * keeps taking ids and answers "perhaps" more often, so memory stays
 * bounded whatever the input's size and only the confirmations grow.
 *
 * It is a chain of split-block Bloom filters, each twice the capacity of
 * the one before: a block is 32 bytes, 8 words of 32 bits, and an id sets
 * one bit in each word of the block its hash picks (24 bits of filter an
 * id). An id is looked up in every filter of the chain (a handful).
 */
#ifndef BL_ID_FILTER_H
#define BL_ID_FILTER_H

#include <stddef.h>
#include <stdint.h>

typedef struct bl_id_filter bl_id_filter;

/* Ids the first filter of a chain holds before the next one is made. */
#define BL_ID_FILTER_FIRST_CAPACITY 65536

/* Makes an empty filter that will hold at most max_bytes of filters
 * (at least the first, 192 KiB, whatever max_bytes says). Errors:
 * BL_ENOMEM. */
int bl_id_filter_new(bl_id_filter **out, size_t max_bytes);

/* Frees f; NULL does nothing. */
void bl_id_filter_free(bl_id_filter *f);

/* Adds an id's hash (any well-mixed 64-bit hash; Byline uses the id map's,
 * bl_idmap_hash). Errors: BL_ENOMEM (f unchanged). */
int bl_id_filter_add(bl_id_filter *f, uint64_t hash);

/* 0 if no id with this hash was added; 1 if one may have been. */
int bl_id_filter_may_hold(const bl_id_filter *f, uint64_t hash);

/* Ids added. */
uint64_t bl_id_filter_count(const bl_id_filter *f);

/* Bytes of memory held. */
size_t bl_id_filter_memory(const bl_id_filter *f);

#endif
