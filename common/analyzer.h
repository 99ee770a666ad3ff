/* analyzer.h: the text analysis shared by the indexer and the searcher:
 * tokenizer (normalisation, folding) then Snowball stemming. Documents and
 * queries go through the same code, so a query word matches exactly the
 * terms its forms in the text produced. Stop words are kept.
 */
#ifndef BL_ANALYZER_H
#define BL_ANALYZER_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *term;  /* stemmed, normalised term; NUL-terminated */
    size_t term_len;
    const char *norm;  /* normalised but unstemmed token (for prefixes) */
    size_t norm_len;
    uint32_t position;
    size_t start, end; /* byte offsets in the analysed text */
} bl_term_occ;

typedef struct bl_analyzer bl_analyzer;

/* Creates an analyzer for a Snowball language (see stemmer.h). Errors:
 * BL_EINVAL (unknown language), BL_ENOMEM. */
int bl_analyzer_new(bl_analyzer **out, const char *lang);

/* Frees a; NULL does nothing. */
void bl_analyzer_free(bl_analyzer *a);

/* Starts analysing text[0..len) (borrowed until the last next call). */
void bl_analyzer_reset(bl_analyzer *a, const char *text, size_t len,
                       uint32_t first_position);

/* Produces the next term. Returns 1, 0 at the end, or BL_ENOMEM. The strings
 * in *occ are borrowed until the next call on a. */
int bl_analyzer_next(bl_analyzer *a, bl_term_occ *occ);

/* Like bl_analyzer_next but without stemming: fills occ's norm, position
 * and offsets, and sets occ->term to NULL. For callers that need the term
 * of only some tokens, or of each distinct token once (snippets): they get
 * it from bl_analyzer_term. Returns 1, 0 at the end, or BL_ENOMEM. The
 * strings in *occ are borrowed until the next call on a. */
int bl_analyzer_next_token(bl_analyzer *a, bl_term_occ *occ);

/* The term of norm[0..len), a normalised token as bl_analyzer_next_token
 * gave it: exactly the term bl_analyzer_next gives that token. Stems go
 * through a fixed-size cache (1 MiB, allocated by bl_analyzer_new, words up
 * to 30 bytes; older entries are evicted), which only saves time. *term is
 * NUL-terminated and borrowed until the next call on a. Does not touch the
 * analysis started by bl_analyzer_reset. Errors: BL_ENOMEM. */
int bl_analyzer_term(bl_analyzer *a, const char *norm, size_t len, const char **term,
                     size_t *term_len);

/* A hint before bl_analyzer_term(a, norm, len): starts loading the cache
 * slots that call will read, so that a caller with many words to look up
 * can overlap the memory waits. Changes nothing else; cannot fail. */
void bl_analyzer_prefetch_term(const bl_analyzer *a, const char *norm, size_t len);

/* Position the next term would get (see bl_tokenizer_next_position). */
uint32_t bl_analyzer_next_position(const bl_analyzer *a);

/* Invalid UTF-8 bytes seen since the last reset. */
size_t bl_analyzer_invalid_bytes(const bl_analyzer *a);

/* The stemmer language's canonical name. Borrowed. */
const char *bl_analyzer_language(const bl_analyzer *a);

#endif
