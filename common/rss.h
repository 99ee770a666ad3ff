/* rss.h: how much of the process is in memory, as the kernel counts it.
 *
 * The memory budget (`byline index --memory`) bounds the peak resident size
 * of the whole process, which counted bytes cannot see whole: the
 * allocator's free pages, a thread's arena, and the file pages a mapping
 * keeps once touched (the kernel maps up to 64 KiB around each fault) all
 * count. The indexer's loops read these figures now and then and act on
 * them: drop a merge's input pages, shrink the segments being built.
 */
#ifndef BL_RSS_H
#define BL_RSS_H

#include <stddef.h>

typedef struct {
    size_t anon; /* resident private pages: heap, stacks, arenas */
    size_t file; /* resident pages of mapped files (and shared memory) */
} bl_rss;

/* Reads the process's resident sizes in bytes from /proc/self/statm.
 * Returns 0, or BL_EIO where that file cannot be read (not Linux, no /proc):
 * callers then fall back on their own counts. Costs one open and read (a
 * few microseconds); safe from any thread. */
int bl_rss_read(bl_rss *out);

#endif
