/* merge.h: merging adjacent segments of an index into one.
 *
 * A merge reads n segments that stand side by side in the manifest and
 * writes one segment holding their documents in the same order, but the
 * deleted ones, so scores and the order of equal scores are the same before
 * and after (but for the deleted documents' share of document frequencies,
 * which is gone). It streams: each word's list is read from the inputs' iterators
 * and written a posting at a time (postings.h: bl_postings_writer_push),
 * the stores' compressed blocks are copied as they are (docstore.h:
 * bl_docstore_writer_append), the id maps merged in one pass; the word
 * pairs (pairs.h) of the merged segment's dense words are copied from each
 * input where both words are dense too, and found again from the
 * positions of the others (a word dense in the whole need not be dense in
 * each part), in the documents that hold such a word only. The
 * inputs are never changed: the caller commits a manifest that lists the
 * new segment in their place (bl_merge_replace), and deletes their files
 * once no manifest names them.
 */
#ifndef BL_MERGE_H
#define BL_MERGE_H

#include <stddef.h>
#include <stdint.h>

#include "manifest.h"

/* Writes segments first .. first + n - 1 of m (in dir; n >= 1) as one new
 * segment numbered new_id, with the default codec, every file fsynced, and
 * fills *out with its manifest entry. Deleted documents (deletes.h) are
 * left out and the others numbered on. Its memory is that of the pair
 * builder (the pairs' lists: past memory / 2 bytes they go to a temporary
 * file in dir, pairs.h; memory 0: never), the output's lengths (4 bytes a
 * document), each input's deletions rank and a few bytes per block of the
 * longest list; no list or store is held whole, and the inputs' pages are
 * given back as they are read. On error every file it created is removed.
 * Errors: those of reading the inputs (BL_ECORRUPT naming the file),
 * BL_ETOOBIG (over BL_DOC_END documents), BL_EIO, BL_ENOMEM. */
int bl_merge_segments(const char *dir, const bl_manifest *m, size_t first, size_t n,
                      uint64_t new_id, size_t memory, bl_manifest_segment *out);

/* Replaces segments first .. first + n - 1 of m by seg (at first): m's
 * list shrinks by n - 1. Errors: BL_EINVAL (range outside m). */
int bl_merge_replace(bl_manifest *m, size_t first, size_t n, const bl_manifest_segment *seg);

/* Merges segments first .. first + n - 1 of the index in dir (memory as
 * bl_merge_segments), whose writer
 * lock the caller holds through lock_fd and whose committed manifest is
 * *m, and commits the result as a manifest of its own (generation + 1):
 * the merged segment takes their place and gets the id next_segment (when
 * every one of their documents is deleted, they just leave the manifest). Once
 * the new manifest is in place *m becomes it and the old segments' files
 * are removed (a reader that has them open keeps reading them; one that
 * read the old manifest but not yet the files starts again, index.h).
 * Failing before that, *m and the directory are as they were. *renamed
 * says whether the new manifest is live, for an error after the rename
 * (the directory's fsync). Errors: as bl_merge_segments, BL_EIO (the lock
 * no longer names dir/LOCK), BL_ETOOBIG (segment ids exhausted). */
int bl_merge_commit(const char *dir, int lock_fd, bl_manifest *m, size_t first, size_t n,
                    size_t memory, int *renamed);

/* The commit half of bl_merge_commit, for a segment seg that
 * bl_merge_segments built from segments first .. first + n - 1 of *m
 * (NULL when every one of their documents is deleted): commits the
 * manifest with seg in their place (next_segment raised past seg's id if
 * need be), then removes the files no manifest lists but those of the
 * segment ids keep[0..nkeep) (merges still being built). When the new
 * manifest did not go live, seg's files are removed. *renamed as
 * bl_merge_commit. Errors: BL_EINVAL (range outside m), BL_EIO, BL_ENOMEM. */
int bl_merge_install(const char *dir, int lock_fd, bl_manifest *m, size_t first, size_t n,
                     const bl_manifest_segment *seg, const uint64_t *keep, size_t nkeep,
                     int *renamed);

/* The merge policy. A segment with at least BL_MERGE_RECLAIM_PCT percent
 * of its documents deleted is written again alone, without them. Then
 * segments are grouped into levels by size (the tokens of their live
 * documents): level 0 below BL_MERGE_FLOOR_TOKENS * factor, each level then
 * factor times larger. A merge takes factor segments of level L that
 * stand side by side but for smaller ones between them (which it takes
 * too), for the lowest L where such a run exists (the leftmost such run),
 * so small segments are merged first, into the next level, and the index
 * keeps fewer than factor segments of each level: a segment count
 * logarithmic in the index's size, each article rewritten about once per
 * level, and never a large segment rewritten for small ones beside it.
 * Adjacent only, so documents keep their order. */
#define BL_MERGE_FACTOR 10
/* Largest factor the policy takes (more is no policy: never merge). */
#define BL_MERGE_MAX_FACTOR 1000
#define BL_MERGE_FLOOR_TOKENS 1000000
#define BL_MERGE_RECLAIM_PCT 30

/* The next merge m needs under the policy with the given factor (2 to
 * BL_MERGE_MAX_FACTOR): returns 1 and sets *first and *n, or 0 when none
 * is due. */
int bl_merge_pick(const bl_manifest *m, unsigned factor, size_t *first, size_t *n);

/* As bl_merge_pick, with the segments i where busy[i] is set (being merged
 * already; busy NULL: none) left out: a run never spans one. */
int bl_merge_pick_free(const bl_manifest *m, unsigned factor, const unsigned char *busy,
                       size_t *first, size_t *n);

#endif
