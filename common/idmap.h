/* idmap.h: a segment's id map (kind BLID, ".ids"): from an article's id to
 * the document that holds it, without reading the document store.
 *
 *   body  := entry{doc_count}
 *   entry := hash:u64 doc:u32          12 bytes, sorted by (hash, doc)
 *
 * hash is XXH3-64 (seed 0) of the id's bytes; every document has exactly
 * one entry. Looking an id up is a binary search in the mapping, so it
 * costs the same whatever the segment's size and needs no memory; two ids
 * may share a hash, so a caller confirms a candidate against the stored id
 * (bl_segment_find_id does). This is what keeps ids unique across runs,
 * and what updates and deletes will key on.
 */
#ifndef BL_IDMAP_H
#define BL_IDMAP_H

#include <stddef.h>
#include <stdint.h>

#include "filefmt.h"

#define BL_IDMAP_ENTRY_BYTES 12

/* The hash an id is filed under. */
uint64_t bl_idmap_hash(const char *id, size_t len);

/* Writes an id map for documents 0..n-1, document d's id hashing to
 * hashes[d]. Errors: BL_EIO, BL_ENOMEM. */
int bl_idmap_write(const char *path, const uint64_t *hashes, uint32_t n);

typedef struct bl_idmap bl_idmap;

/* Writes the id map of a merge: source i's documents become base[i] +
 * their own numbers, less the deleted ones before them (del[i], a
 * deletions bitmap, deletes.h, or NULL; del itself may be NULL), whose
 * entries are left out; the ranges must not overlap. The n maps' sorted
 * entries are merged in one pass, with memory for n entries and each
 * deletions bitmap's rank. Each source is verified (page checksums) and its
 * entries checked for order as they are read. Errors: BL_ECORRUPT (a
 * source's damage, named), BL_ETOOBIG, BL_EIO, BL_ENOMEM; the file is
 * removed on any. */
int bl_idmap_write_merged(const char *path, const bl_idmap *const *src, const uint32_t *base,
                          const uint64_t *const *del, size_t n);

/* Maps the id map at path, which must hold doc_count entries; verify != 0
 * also checks the checksum. Errors: BL_EIO, BL_ECORRUPT, BL_EVERSION,
 * BL_ENOMEM. */
int bl_idmap_open(bl_idmap **out, const char *path, uint32_t doc_count, int verify);

/* Unmaps and frees m; NULL does nothing. */
void bl_idmap_close(bl_idmap *m);

/* The mapped file (for its size and footer checksum); borrowed until
 * bl_idmap_close. */
const bl_mapped *bl_idmap_file(const bl_idmap *m);

/* Sets *first and *n so that the entries whose hash is hash are entries
 * *first .. *first + *n - 1 (*n = 0: no document has an id with that hash).
 * Every entry it reads is checked against its page checksum first, and the
 * returned entries are too. Errors: BL_ECORRUPT (detail names the file). */
int bl_idmap_find(const bl_idmap *m, uint64_t hash, size_t *first, size_t *n);

/* Entry i (i < the document count): its document, or UINT32_MAX when the
 * entry names a document past the count (a damaged file). */
uint32_t bl_idmap_doc(const bl_idmap *m, size_t i);

/* Entry i's hash (i < the document count). */
uint64_t bl_idmap_entry_hash(const bl_idmap *m, size_t i);

/* Checks that entries are sorted and that every document 0..doc_count-1
 * appears exactly once. Errors: BL_ECORRUPT (file and offset named),
 * BL_ENOMEM. */
int bl_idmap_check(const bl_idmap *m);

#endif
