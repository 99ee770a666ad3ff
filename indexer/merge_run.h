/* merge_run.h: the merges the policy asks for, several at once.
 *
 * After a run of `byline index` a large index may owe many merges (10 GB
 * written as 110 segments owes 11), and one merge keeps one core busy. The
 * policy's merges of disjoint runs of segments are independent, so they
 * are built on threads, each with its share of the memory budget, and
 * committed one at a time as each ends: every commit is a manifest of its
 * own, whole, as with one merge at a time. A segment being merged is left
 * out of the next picks (bl_merge_pick_free), and the files of the merges
 * still being built survive the orphan removal of each commit.
 */
#ifndef BL_MERGE_RUN_H
#define BL_MERGE_RUN_H

#include <stddef.h>

#include "manifest.h"

/* Called (from the calling thread) when a merge starts, with the merges
 * running then and the segments of the committed manifest. */
typedef void (*bl_merge_progress_fn)(void *ctx, unsigned running, uint32_t segments);

/* Runs the merges bl_merge_pick_free asks for (policy factor, merge.h) on
 * the index in dir, whose writer lock the caller holds through lock_fd and
 * whose committed manifest is *m, up to jobs (at least 1) at a time, each
 * with memory / jobs bytes (as bl_merge_segments). Each is committed as it
 * ends and *m follows; *done counts the merges committed. After a failure
 * no merge starts, those running are finished and committed, and the first
 * error is returned (its detail set). Errors: as bl_merge_commit,
 * BL_ENOMEM (a thread could not start). */
int bl_merge_run_due(const char *dir, int lock_fd, bl_manifest *m, unsigned factor,
                     unsigned jobs, size_t memory, bl_merge_progress_fn progress, void *ctx,
                     unsigned *done);

#endif
