/* pending_deletes.h: deletions gathered for the next commit.
 *
 * `byline delete` and `byline index` (an article whose id is already in
 * the index replaces it) find each id's live document in the committed
 * segments and mark it here; at commit, every segment touched gets its
 * whole bitmap written anew (deletes.h) and its manifest entry updated,
 * so the manifest's rename makes the deletions visible with the rest of
 * the commit, or not at all.
 */
#ifndef BL_PENDING_DELETES_H
#define BL_PENDING_DELETES_H

#include <stddef.h>
#include <stdint.h>

#include "index.h"
#include "manifest.h"

typedef struct bl_pending_deletes bl_pending_deletes;

/* Deletions against the committed index idx (which must outlive p).
 * Errors: BL_ENOMEM. */
int bl_pending_new(bl_pending_deletes **out, bl_index *idx);

/* Marks the live document whose id is id[0..len) deleted. Errors:
 * BL_ENOTFOUND (no live document has that id, or it is already marked;
 * no detail), BL_ECORRUPT, BL_ENOMEM. */
int bl_pending_delete_id(bl_pending_deletes *p, const char *id, size_t len);

/* Documents marked so far. */
uint64_t bl_pending_count(const bl_pending_deletes *p);

/* Writes the deletions file of every segment with marks, for the commit
 * of generation gen, into dir, and updates that segment's entry in m (found
 * by id; segments m no longer lists are skipped). Errors: BL_EIO,
 * BL_ENOMEM, BL_ETOOBIG; the files written so far stay until
 * bl_pending_discard. */
int bl_pending_write(bl_pending_deletes *p, const char *dir, bl_manifest *m, uint64_t gen);

/* Removes the files bl_pending_write wrote (a commit that failed). */
void bl_pending_discard(bl_pending_deletes *p, const char *dir);

/* Frees p; NULL does nothing. */
void bl_pending_free(bl_pending_deletes *p);

#endif
