/* termdict.h: a segment's sorted term dictionary (file kind BLTD, ".tdi").
 *
 * Terms are byte strings sorted by memcmp order. They are stored in blocks
 * of BL_TERMDICT_BLOCK terms (the last may hold fewer), each term prefix-
 * compressed against the one before it in its block (the first whole),
 * followed by its bl_terminfo. A fixed-width array of block offsets sits at
 * the end of the file; a lookup binary-searches it in place in the mapping,
 * reading each probed block's first term, then scans one block. Opening
 * reads only the fixed-size tail, so it costs the same whatever the
 * dictionary's size; each read checks the bytes it uses. A prefix lookup
 * starts at the block that may hold the prefix and walks forward. The exact
 * grammar is at the top of termdict.c and in docs/FORMAT.md.
 */
#ifndef BL_TERMDICT_H
#define BL_TERMDICT_H

#include <stddef.h>
#include <stdint.h>

#include "filefmt.h"

/* Terms per dictionary block. */
#define BL_TERMDICT_BLOCK 16
/* Longest term accepted by the writer (the tokenizer keeps 64 bytes; the
 * stemmer never lengthens much). */
#define BL_TERM_MAX_BYTES 255

/* What the dictionary says about one term in one segment. */
typedef struct {
    uint32_t doc_freq;          /* documents containing the term */
    uint64_t total_freq;        /* occurrences in all documents (>= doc_freq) */
    uint64_t postings_offset;   /* where the term's list starts in the .doc file */
    uint64_t positions_offset;  /* where its positions start in the .pos file */
    /* Bounds for block-max pruning (a per-term maximum score): */
    uint32_t max_tf;            /* highest term frequency in the list, 1..; at
                                 * most total_freq - doc_freq + 1 and at least
                                 * total_freq / doc_freq (rounded up) */
    uint32_t min_len;           /* shortest length (tokens) of a document
                                 * containing the term; 0 when unknown */
    /* 1: the list has doc ids and frequencies but no positions (postings.h;
     * a word pair's list, pairs.h); 0: a term's list with positions. */
    uint8_t positionless;
} bl_terminfo;

typedef struct bl_termdict_writer bl_termdict_writer;

/* Creates the dictionary file at path. Errors: BL_EIO, BL_ENOMEM. */
int bl_termdict_writer_new(bl_termdict_writer **out, const char *path);

/* Adds a term; terms must come in strictly increasing memcmp order, be
 * 1..BL_TERM_MAX_BYTES long, and have doc_freq >= 1, total_freq >=
 * doc_freq and max_tf within the bounds above. Offsets must not decrease.
 * Errors: BL_EINVAL (order/length/info; the term is skipped and the writer
 * stays usable), BL_EIO, BL_ENOMEM (after these only finish or abort
 * remain, and finish fails). */
int bl_termdict_writer_add(bl_termdict_writer *w, const char *term, size_t len,
                           const bl_terminfo *info);

/* Writes the last block and the block offsets, commits (fsync) the file and
 * frees w whatever the outcome. Errors: BL_EIO, BL_ENOMEM. */
int bl_termdict_writer_finish(bl_termdict_writer *w);

/* Removes the partial file and frees w; NULL does nothing. */
void bl_termdict_writer_abort(bl_termdict_writer *w);

typedef struct bl_termdict bl_termdict;

/* Maps and opens a dictionary; verify != 0 also checks every checksum.
 * Reads only the tail (its page is verified) and checks its counts against
 * the file's size, so without verify the cost does not grow with the file;
 * the block offsets and blocks are checked where they are read (each
 * lookup, walk and bl_termdict_check). Errors: BL_EIO, BL_ECORRUPT (detail
 * names the file and offset), BL_EVERSION, BL_ENOMEM. */
int bl_termdict_open(bl_termdict **out, const char *path, int verify);

/* Unmaps and frees d; NULL does nothing. */
void bl_termdict_close(bl_termdict *d);

/* The mapped .tdi file (for its size and footer checksum); borrowed until
 * bl_termdict_close. */
const bl_mapped *bl_termdict_file(const bl_termdict *d);

/* Number of terms. */
uint64_t bl_termdict_count(const bl_termdict *d);

/* Finds term. Returns 0 and fills *info if present, BL_ENOTFOUND if not
 * (also for len 0 or len > BL_TERM_MAX_BYTES), BL_ECORRUPT (detail names
 * the file and offset) if a block offset or first term the binary search
 * probes, or the block it scans, is damaged. Allocates nothing. Thread-safe
 * (no hidden state). */
int bl_termdict_lookup(const bl_termdict *d, const char *term, size_t len,
                       bl_terminfo *info);

/* Called for each term visited; return non-zero to stop the walk (that
 * value is returned by the walking function). term is NUL-terminated and
 * borrowed until the callback returns. */
typedef int (*bl_termdict_visit_fn)(void *ctx, const char *term, size_t len,
                                    const bl_terminfo *info);

/* Visits, in order, every term that starts with prefix[0..len) (all terms
 * when len == 0). Returns 0 when done, the callback's non-zero value if it
 * stopped, or BL_ECORRUPT/BL_ENOMEM. */
int bl_termdict_prefix(const bl_termdict *d, const char *prefix, size_t len,
                       bl_termdict_visit_fn fn, void *ctx);

/* An in-order walk over all terms, one at a time (for merges: several
 * dictionaries can be walked side by side, which a callback cannot do). */
typedef struct bl_termdict_iter bl_termdict_iter;

/* Starts a walk over d, which must outlive it. Errors: BL_ENOMEM,
 * BL_ECORRUPT (the first block or its offsets are damaged). */
int bl_termdict_iter_new(const bl_termdict *d, bl_termdict_iter **out);

/* Moves to the next term: returns 1 and sets *term (NUL-terminated,
 * borrowed until the next call), *len and *info; 0 after the last term;
 * BL_ECORRUPT (with detail) if a block is damaged. */
int bl_termdict_iter_next(bl_termdict_iter *it, const char **term, size_t *len,
                          bl_terminfo *info);

/* Frees it; NULL does nothing. */
void bl_termdict_iter_free(bl_termdict_iter *it);

/* Counts the distinct words of n dictionaries together (a word present in
 * several counts once; pair keys, pairs.h, do not count), by walking them
 * side by side in memory bounded by n. Errors: BL_ECORRUPT, BL_ENOMEM. */
int bl_termdict_count_union(const bl_termdict *const *d, size_t n, uint64_t *out);

/* Walks every block offset and every block and checks the structure:
 * block offsets that start at 0, increase and leave room for their blocks'
 * terms; blocks that hold exactly their count of entries, no stray bytes;
 * terms sorted across the file; postings/positions offsets that never
 * decrease and stay below the given .doc/.pos body sizes; frequencies and
 * max_tf within their bounds. (It cannot check max_tf or min_len against
 * the postings; the checksums are bl_termdict_open's job, with verify.)
 * Errors: BL_ECORRUPT with a detail naming the file and offset. */
int bl_termdict_check(const bl_termdict *d, uint64_t docs_bytes, uint64_t positions_bytes);

#endif
