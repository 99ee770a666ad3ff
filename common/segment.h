/* segment.h: one immutable segment, read side, its document lengths and
 * its segment info.
 *
 * A segment is seven files sharing the name seg_NNNNNNNN (manifest.h):
 *   .tdi  term dictionary         termdict.h
 *   .doc  doc ids + frequencies   postings.h
 *   .pos  positions               postings.h
 *   .len  document lengths        below
 *   .sto  stored documents        docstore.h
 *   .inf  segment info            below
 *   .ids  article id -> doc       idmap.h
 * Doc ids inside a segment are 0..doc_count-1 in the order articles were
 * added; the index (index.h) gives each segment a base so that ids are
 * unique across the index.
 *
 * The .len file (kind BLLN) is doc_count little-endian u32 token counts:
 *   body := len:u32{doc_count}
 *
 * The .inf file (kind BLSI) is what the segment knows of itself, so that a
 * manifest that disagrees with it (edited, or from another index) is caught:
 *   body := id:u64 doc_count:u32 total_tokens:u64 codec:u32
 *           dense_ratio:u32 analyzer_version:u32 lang_len:u8 lang:bytes
 */
#ifndef BL_SEGMENT_H
#define BL_SEGMENT_H

#include <stdint.h>

#include "docstore.h"
#include "manifest.h"
#include "postings.h"
#include "termdict.h"

typedef struct bl_segment bl_segment;

/* Opens the files of segment m->segments[index] in dir. verify != 0 checks
 * every file's checksum. Always checks, from footers and the small .inf
 * alone, that each file is the one the manifest recorded (size and
 * checksum), that .inf agrees with the manifest (id, counts, codec,
 * dense ratio, language, analyzer version), and the .len and .sto document counts.
 * Errors: BL_EIO, BL_ECORRUPT, BL_EVERSION, BL_ENOMEM (detail names the
 * file). */
int bl_segment_open(bl_segment **out, const char *dir, const bl_manifest *m, size_t index,
                    int verify);

/* Writes a segment's .inf file at path from info, the analyzer's language
 * and version. Errors: BL_EIO, BL_EINVAL, BL_ENOMEM. */
int bl_seginfo_write(const char *path, const bl_manifest_segment *info, const char *lang,
                     uint32_t analyzer_version);

/* Fills info->files from the footers of segment info->id's files in dir,
 * all of which must exist. Errors: BL_EIO, BL_ECORRUPT, BL_ENOMEM. */
int bl_segment_fingerprint(const char *dir, bl_manifest_segment *info);

/* Closes all files and frees s; NULL does nothing. */
void bl_segment_close(bl_segment *s);

/* Borrowed accessors, valid until bl_segment_close. */
const bl_manifest_segment *bl_segment_info(const bl_segment *s);
const bl_termdict *bl_segment_termdict(const bl_segment *s);
const bl_postings *bl_segment_postings(const bl_segment *s);
bl_docstore *bl_segment_docstore(bl_segment *s);
/* Lets the kernel take back every page of the segment's files this
 * process has read (bl_mapped_drop), for walks through whole segments. */
void bl_segment_drop_pages(bl_segment *s);

/* The segment's deletions bitmap (deletes.h: bl_deleted), verified, or
 * NULL when none of its documents is deleted. Little-endian words, read
 * as they lie (Byline runs on little-endian hosts). */
const uint64_t *bl_segment_deleted(const bl_segment *s);

/* The segment's id map (idmap.h), for merges. */
const struct bl_idmap *bl_segment_idmap(const bl_segment *s);

/* Finds the document, not deleted, whose stored id is id[0..len) (hash
 * candidates from the id map, confirmed against the store). Errors:
 * BL_ENOTFOUND (no such id; no detail set), BL_ECORRUPT, BL_ENOMEM. */
int bl_segment_find_id(bl_segment *s, const char *id, size_t len, uint32_t *doc);

/* Length in tokens of doc (doc < doc_count, unchecked). Its page of the
 * .len file is verified on first use; if that fails the length reads as 0
 * and the failure sticks, for bl_segment_error: scoring loops call this per
 * document and check once at the end. */
uint32_t bl_segment_doc_len(const bl_segment *s, uint32_t doc);

/* Asks the CPU to fetch the lengths of docs [doc, doc + n) into its
 * cache (a hint: reads nothing, checks nothing, never fails), for a loop
 * that knows which documents it will score next: a length read is a
 * scattered load that misses the cache. */
void bl_segment_prefetch_lens(const bl_segment *s, uint32_t doc, uint32_t n);

/* The same for the lengths of docs[0..n), scattered documents. */
void bl_segment_prefetch_docs(const bl_segment *s, const uint32_t *docs, uint32_t n);

/* 0, or BL_ECORRUPT (detail names the .len file and the bad page) if a
 * bl_segment_doc_len call met a damaged page. */
int bl_segment_error(const bl_segment *s);

/* Deep check: every term's postings, the dictionary, the store, and that
 * the lengths add up to the manifest's total. Errors: BL_ECORRUPT with a
 * detail naming the file and offset. */
int bl_segment_check(bl_segment *s);

/* The extensions of a segment's files, NULL-terminated. */
extern const char *const bl_segment_exts[];

/* Removes every file of segment id in dir (missing files are fine). */
void bl_segment_remove_files(const char *dir, uint64_t id);

/* The bit of extension ext in a file mask (1 << its index in
 * bl_segment_exts), or 0 if ext is not a segment file's. */
unsigned bl_segment_ext_bit(const char *ext);

/* Removes the files of segment id whose bits are set in which. */
void bl_segment_remove_some_files(const char *dir, uint64_t id, unsigned which);

/* Total bytes of segment id's files in dir (0 for missing ones). */
uint64_t bl_segment_bytes(const char *dir, uint64_t id);

/* Writes a .len file. Errors: BL_EIO, BL_ENOMEM. */
int bl_doclens_write(const char *path, const uint32_t *lens, uint32_t n);

#endif
