/* index.h: an open index for reading: the manifest, every live segment and
 * the statistics BM25 needs over all of them.
 *
 * Doc ids are made global by giving each segment, in manifest order, a base
 * equal to the documents of the segments before it. Statistics (document
 * count, average length, document frequency) are summed over segments, so a
 * score does not depend on how the index happens to be split.
 */
#ifndef BL_INDEX_H
#define BL_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "manifest.h"
#include "segment.h"

typedef struct bl_index bl_index;

/* Opens the index in dir; verify != 0 checks every file's checksum.
 * Errors: BL_ENOTFOUND (no index there), BL_EIO, BL_ECORRUPT, BL_EVERSION,
 * BL_ENOMEM; the detail names the file. */
int bl_index_open(bl_index **out, const char *dir, int verify);

/* Opens the indexes in dirs[0..n) as one: their segments one after the
 * other (global ids in that order), the statistics summed over all, so a
 * document scores as in one index built from all their articles (shards,
 * README). bl_index_manifest gives the first index's manifest with every
 * segment's entry. Errors: those of bl_index_open, BL_EINVAL (indexes of
 * different languages or analyzer versions), BL_ETOOBIG. */
int bl_index_open_many(bl_index **out, const char *const *dirs, size_t n, int verify);

/* Closes everything; NULL does nothing. */
void bl_index_close(bl_index *idx);

const bl_manifest *bl_index_manifest(const bl_index *idx);
size_t bl_index_segment_count(const bl_index *idx);
/* Borrowed until bl_index_close. */
bl_segment *bl_index_segment(const bl_index *idx, size_t i);
/* Global id of segment i's doc 0. */
uint32_t bl_index_segment_base(const bl_index *idx, size_t i);

/* Documents in the index, deleted ones left out (BM25's N). */
uint64_t bl_index_doc_count(const bl_index *idx);
/* Global doc ids run from 0 to this, deleted documents' included. */
uint64_t bl_index_doc_space(const bl_index *idx);
/* Tokens of the documents not deleted. */
uint64_t bl_index_total_tokens(const bl_index *idx);
/* Mean length in tokens of the documents not deleted (1 for an empty
 * index). */
double bl_index_avg_doc_len(const bl_index *idx);

/* Documents containing term, summed over segments. Errors: BL_ECORRUPT. */
int bl_index_doc_freq(const bl_index *idx, const char *term, size_t len,
                      uint64_t *df);

/* Maps a global doc id to its segment and local id. Errors: BL_EINVAL. */
int bl_index_locate(const bl_index *idx, uint32_t global, size_t *seg,
                    uint32_t *local);

#endif
