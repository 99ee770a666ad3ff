/* docstore.h: a segment's compressed document store (kind BLST, ".sto").
 *
 * Documents are numbered 0..n-1 in the order they were added. Their stored
 * fields are packed into blocks, each deflated on its own but with a preset
 * dictionary sampled from the segment's first documents, so small blocks
 * compress almost as well as large ones. A block holds the documents that
 * fit in BL_DOCSTORE_BLOCK bytes (bl_docstore_writer_set_block: 0 gives
 * each document a block, so a fetch inflates that document alone). An index of
 * fixed-width entries (first doc, offset, sizes) is read in place in the
 * mapping, so opening reads only the file's tail whatever its size, and
 * fetching a document inflates its block only up to the end of that
 * document. The grammar is at the top of docstore.c and in docs/FORMAT.md.
 */
#ifndef BL_DOCSTORE_H
#define BL_DOCSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "filefmt.h"

/* A writer's default block target (see bl_docstore_writer_set_block), in
 * uncompressed bytes. Measured on 28 MB of Reuters JSONL (one thread),
 * against one document a block: the store 19% smaller (0.395x of the
 * text instead of 0.489x, with zlib level 4 instead of 2), indexing 1.18x
 * faster (a block primes its deflate stream with the dictionary once, not
 * once a document), and a random fetch 41 us instead of 6 (it inflates
 * the documents before its own, half a block on average). */
#define BL_DOCSTORE_BLOCK (16 * 1024)
/* Largest preset dictionary (deflate's window). */
#define BL_DOCSTORE_DICT_MAX (32 * 1024)
/* Longest field the writer accepts. */
#define BL_DOCSTORE_MAX_FIELD ((uint64_t)1 << 30)
/* Most bytes one document may take once encoded (six fields plus their
 * length varints); a block inflates to at most this plus its 10-byte
 * header. */
#define BL_DOCSTORE_MAX_RECORD (((uint64_t)1 << 30) + ((uint64_t)1 << 20))

/* The stored fields of one article. Strings are not NUL-terminated by
 * contract (the reader does NUL-terminate them for convenience). */
typedef struct {
    const char *id;     size_t id_len;
    const char *title;  size_t title_len;
    const char *text;   size_t text_len;
    const char *source; size_t source_len;
    const char *date;   size_t date_len;
    const char *url;    size_t url_len;
} bl_stored_doc;

typedef struct bl_docstore_writer bl_docstore_writer;

/* Creates the store at path. Errors: BL_EIO, BL_ENOMEM. */
int bl_docstore_writer_new(bl_docstore_writer **out, const char *path);

/* Sets the uncompressed bytes a block of w may hold (records are packed
 * into a block while they fit; a larger record gets a block to itself);
 * 0, the default, gives each document its own block. Call it before the
 * first bl_docstore_writer_add; the reader takes either layout. */
void bl_docstore_writer_set_block(bl_docstore_writer *w, size_t bytes);

/* Copies the store src to the end of w's, documents and compressed bytes
 * as they are (its pages verified as they are read; nothing is inflated
 * but the blocks written again, below):
 * src's documents follow those copied before, but those set in del (a
 * deletions bitmap, deletes.h; NULL: none), which are left out, and the
 * documents after them numbered on without gaps. A block of several
 * documents some of which are deleted is written again with the live ones
 * (inflated, deflated with its dictionary); one all deleted is left out,
 * the others are copied as they are. The entries are
 * read from src at bl_docstore_writer_finish, so src must stay open until
 * then. A writer either copies stores or takes documents of its own
 * (bl_docstore_writer_add), never both. Errors: BL_EINVAL (w has documents
 * of its own), BL_ETOOBIG
 * (over 2^32 - 1 documents in all), BL_ECORRUPT, BL_EIO, BL_ENOMEM. */
struct bl_docstore;
int bl_docstore_writer_append(bl_docstore_writer *w, struct bl_docstore *src,
                              const uint64_t *del);

/* Appends the next document (its number is the count added before it).
 * The fields are copied; a pointer may be NULL when its length is 0. The
 * first MiB or so of documents is held in memory until the dictionary is
 * chosen from it (nothing is written to the file until then).
 * Errors: BL_EIO, BL_ENOMEM, BL_ETOOBIG (a field over BL_DOCSTORE_MAX_FIELD,
 * the document over BL_DOCSTORE_MAX_RECORD, or 2^32-1 documents already);
 * BL_ETOOBIG leaves the writer usable, BL_EIO/BL_ENOMEM do not. */
int bl_docstore_writer_add(bl_docstore_writer *w, const bl_stored_doc *doc);

/* Writes the dictionary if not yet written (from the documents held back),
 * the last blocks and the block index, commits (fsync) and frees w
 * whatever the outcome. Errors: BL_EIO, BL_ENOMEM. */
int bl_docstore_writer_finish(bl_docstore_writer *w);

/* Removes the partial file and frees w; NULL does nothing. */
void bl_docstore_writer_abort(bl_docstore_writer *w);

/* Closes and frees w, leaving the partial file where it is (for a writer
 * that may no longer delete by path); NULL does nothing. */
void bl_docstore_writer_forget(bl_docstore_writer *w);

typedef struct bl_docstore bl_docstore;

/* Maps and opens a store, reading only its footer and tail (constant
 * time); verify != 0 also checks every page checksum. Block index entries
 * and blocks are checked when a fetch reads them, and all of them by
 * bl_docstore_check. Errors: BL_EIO, BL_ECORRUPT (detail names the file and
 * offset), BL_EVERSION, BL_ENOMEM. */
int bl_docstore_open(bl_docstore **out, const char *path, int verify);

/* Unmaps and frees s; NULL does nothing. */
void bl_docstore_close(bl_docstore *s);

/* The mapped .sto file (for its size and footer checksum); borrowed until
 * bl_docstore_close. */
const bl_mapped *bl_docstore_file(const bl_docstore *s);

/* Number of documents. */
uint32_t bl_docstore_count(const bl_docstore *s);

/* Fetches document doc into *out. The strings are borrowed until the next
 * bl_docstore_get or bl_docstore_close on s. The block is inflated only up
 * to the end of doc and stays open, so a later document of the same block
 * costs only the bytes between them. Reads (and checks) the index entries
 * of a binary search, the document's block entry and the next one, and the
 * block's header. Not thread-safe on one handle.
 * Errors: BL_EINVAL (doc out of range), BL_ECORRUPT (bad index entry,
 * inflate failure, bad record, page checksum mismatch; the detail names
 * the file and offset), BL_ENOMEM. */
int bl_docstore_get(bl_docstore *s, uint32_t doc, bl_stored_doc *out);

/* Checks the whole store: every index entry against its neighbours and the
 * tail, then every block inflated to its end, its header and every record
 * (page checksums are checked as the bytes are touched; the pagesums table
 * itself is bl_docstore_open's job, with verify). Invalidates strings from
 * an earlier bl_docstore_get. Errors: BL_ECORRUPT, BL_ENOMEM. */
int bl_docstore_check(bl_docstore *s);

#endif
