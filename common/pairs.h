/* pairs.h: the pair index of a segment, for phrases of common words.
 *
 * A phrase of two common words ("company reported") is costly to check by
 * positions: most documents hold both words, few hold them side by side,
 * and each candidate has its positions read. So a segment also lists, for
 * every two words whose own lists are dense (postings.h:
 * bl_postings_list_is_dense) and that stand side by side in some document
 * (a at position p, b at p + 1), the documents where they do and how often
 * (tf = number of such p). Such a pair's list is a term of the dictionary
 * like any other, under a key no word can have (bl_pair_key: it starts with
 * byte 0xFF, which UTF-8 never holds), written without positions
 * (bl_terminfo.positionless) and so without a bitmap. A phrase reads it instead of checking the
 * positions of every document holding both words.
 *
 * The set is complete: when a and b are both dense in a segment and their
 * key fits (bl_pair_indexed), a missing key means no document of the
 * segment holds "a b". A reader may rely on that; `byline check` rebuilds
 * the pairs from the words' positions and compares.
 *
 * The builder finds the pairs from each document's positions of the dense
 * words, fed one document at a time (bl_pair_builder_run), so the indexer
 * (from its memory) and the check (from the index) share it.
 */
#ifndef BL_PAIRS_H
#define BL_PAIRS_H

#include <stddef.h>
#include <stdint.h>

#include "postings.h"
#include "termdict.h"

/* First byte of every pair key. */
#define BL_PAIR_MARK 0xFF

/* Whether a dictionary term is a pair's key rather than a word. */
static inline int bl_term_is_pair(const char *term, size_t len)
{
    return len > 0 && (unsigned char)term[0] == BL_PAIR_MARK;
}

/* Writes the key of the pair "a b" to out (room for BL_TERM_MAX_BYTES):
 * 0xFF, a, 0xFF, b. Returns its length, or 0 when that would pass
 * BL_TERM_MAX_BYTES (such a pair is never indexed). */
size_t bl_pair_key(const char *a, size_t la, const char *b, size_t lb, char *out);

/* Whether a word of doc_freq df takes part in the pairs of a segment of
 * doc_count documents and ratio dense_ratio: whether its list is dense. */
static inline int bl_pair_word(uint32_t df, uint32_t doc_count, uint32_t dense_ratio)
{
    return bl_postings_list_is_dense(df, doc_count, dense_ratio);
}

/* Whether a segment of doc_count documents and ratio dense_ratio indexes
 * the pair of two words of doc_freqs dfa and dfb and byte lengths la and
 * lb: both lists dense and the key short enough. The one rule the writer,
 * the check and the readers share. */
static inline int bl_pair_indexed(uint32_t dfa, size_t la, uint32_t dfb, size_t lb,
                                  uint32_t doc_count, uint32_t dense_ratio)
{
    return bl_pair_word(dfa, doc_count, dense_ratio) &&
           bl_pair_word(dfb, doc_count, dense_ratio) && 2 + la + lb <= BL_TERM_MAX_BYTES;
}

typedef struct bl_pair_builder bl_pair_builder;

/* A builder over nwords words (word w is words[w], lens[w] bytes; both
 * arrays are borrowed until the builder is freed). Errors: BL_ENOMEM. */
int bl_pair_builder_new(bl_pair_builder **out, uint32_t nwords, const char *const *words,
                        const uint32_t *lens);

/* Bounds the memory of the pairs' lists: once they pass max_bytes (0: no
 * bound) at a document's end, they are written to a temporary file in dir
 * (unlinked as soon as made: nothing stays behind) and the builder goes on
 * empty; bl_pair_builder_sort and _next then merge them back by key. What
 * is handed out is the same either way. Call it before the first add.
 * Errors: BL_ENOMEM. */
int bl_pair_builder_limit(bl_pair_builder *b, const char *dir, size_t max_bytes);

/* The words whose pairs are wanted in document doc: bit w % 64 of
 * mask[w / 64] set for word w; NULL for every pair. */
typedef const uint64_t *(*bl_pair_wanted_fn)(void *ctx, uint32_t doc);

/* From now on, counts in each document only the pairs "a b" where a or b
 * has its bit set in wanted(ctx, doc): a merge wants, in a document of an
 * input, the pairs of the words not dense there (the input's own lists
 * hold the others). Documents with no such word cost only their gathering.
 * wanted NULL: every pair, as before the first call. */
void bl_pair_builder_want(bl_pair_builder *b, bl_pair_wanted_fn wanted, void *ctx);

/* Reports that word w occurs in doc at positions pos[0..n) (copied).
 * Documents come in increasing order, each whole (all its words) before
 * the next: the pairs of a document are found when the next one starts or
 * at bl_pair_builder_flush. Errors: BL_ENOMEM, BL_EINVAL (w out of range,
 * doc BL_DOC_END or below the document before). */
int bl_pair_builder_add(bl_pair_builder *b, uint32_t doc, uint32_t w, const uint32_t *pos,
                        uint32_t n);

/* Finds the pairs of the last document added. Errors: BL_ENOMEM. */
int bl_pair_builder_flush(bl_pair_builder *b);

/* A source of each word's documents and positions, in increasing doc
 * order: next(ctx, w, &doc, &pos, &n) moves word w to its next document
 * (the first one on the first call) and sets doc (BL_DOC_END after the
 * last) and its positions (valid until the next call for w). Returns 0 or
 * an error code. */
typedef int (*bl_pair_source_fn)(void *ctx, uint32_t w, uint32_t *doc, const uint32_t **pos,
                                 uint32_t *n);

/* Feeds the builder every document below doc_count from next, merging
 * the words' documents in order (one document's positions in memory at a
 * time), and flushes. Errors: those of next, BL_ENOMEM, BL_ECORRUPT (a
 * source's docs do not increase). */
int bl_pair_builder_run(bl_pair_builder *b, uint32_t doc_count, bl_pair_source_fn next,
                        void *ctx);

/* Pairs found so far (of a limited builder: since its last spill). */
uint64_t bl_pair_builder_count(const bl_pair_builder *b);

/* After the last flush: orders the pairs by key, for bl_pair_builder_next.
 * Errors: BL_ENOMEM, BL_EIO (the temporary file of a limited builder). */
int bl_pair_builder_sort(bl_pair_builder *b);

/* The next pair in key order: its key and its list (docs increasing, tfs
 * >= 1), valid until the next call. Returns 1, 0 after the last, or an
 * error code (BL_ENOMEM; BL_EIO, BL_ECORRUPT reading back a limited
 * builder's temporary file). */
int bl_pair_builder_next(bl_pair_builder *b, const char **key, size_t *len,
                         const uint32_t **docs, const uint32_t **tfs, uint32_t *n);

/* Checks a segment's pairs (dictionary dict, lists postings, doc_count
 * documents, ratio dense_ratio) against its words: rebuilds every pair from the positions of
 * the pair words and compares each with the list under its key (present,
 * without positions, the same documents and tfs), then that the
 * dictionary holds no other pair. Reads every pair word's positions.
 * Errors: BL_ECORRUPT (detail names the pair), BL_ENOMEM, and the
 * damage the lists' own reads report. */
int bl_pairs_check(const bl_termdict *dict, const bl_postings *postings, uint32_t doc_count,
                   uint32_t dense_ratio);

/* Frees b; NULL does nothing. */
void bl_pair_builder_free(bl_pair_builder *b);

#endif
