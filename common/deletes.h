/* deletes.h: a segment's deletions (kind BLDL), the documents removed
 * from it since it was written, as a bitmap.
 *
 *   body := word:u64{ceil(doc_count / 64)}      little-endian
 *
 * Bit d % 64 of word d / 64 is set iff document d is deleted; bits at
 * doc_count and above are 0. Segment files never change, so a commit that
 * deletes documents writes the segment's whole bitmap anew as
 * seg_ID.del.GEN (GEN: the commit's generation) and the manifest names it
 * with its count, the deleted documents' tokens and its fingerprint
 * (manifest.h); the file it replaces is removed once no manifest lists
 * it. A merge leaves deleted documents out, reclaiming their space.
 */
#ifndef BL_DELETES_H
#define BL_DELETES_H

#include <stddef.h>
#include <stdint.h>

#include "bitmap.h"

/* Words of the bitmap of a segment of doc_count documents. */
static inline size_t bl_deletes_words(uint32_t doc_count)
{
    return ((size_t)doc_count + 63) / 64;
}

/* Whether doc is deleted in the bitmap words (NULL: none is). */
static inline int bl_deleted(const uint64_t *words, uint32_t doc)
{
    return words && (words[doc >> 6] >> (doc & 63) & 1);
}

/* The deleted documents before each word of the bitmap words of a
 * segment of doc_count documents: rank[w] counts those below document
 * 64 w (w up to bl_deletes_words(doc_count)). Owned by the caller (free);
 * NULL when out of memory. */
uint32_t *bl_deletes_rank(const uint64_t *words, uint32_t doc_count);

/* Deleted documents below doc, from the bitmap and its rank. A merge
 * numbers a kept document doc - bl_deletes_before(doc) on from its
 * segment's first. */
static inline uint32_t bl_deletes_before(const uint64_t *words, const uint32_t *rank,
                                         uint32_t doc)
{
    uint64_t below = words[doc >> 6] & (((uint64_t)1 << (doc & 63)) - 1);
    return rank[doc >> 6] + (uint32_t)bl_popcount64(below);
}

/* Writes the bitmap words (bl_deletes_words(doc_count) of them) to path as
 * a deletions file, fsynced; *size and *checksum get its fingerprint for
 * the manifest. Errors: BL_EIO, BL_ENOMEM. */
int bl_deletes_write(const char *path, const uint64_t *words, uint32_t doc_count,
                     uint64_t *size, uint64_t *checksum);

#endif
