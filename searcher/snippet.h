/* snippet.h: picks the best window of a stored article for a query and
 * marks what matched.
 *
 * The text is analysed again with the index's analyzer, so a highlight is
 * exactly a token that produced a query term: a TERM node matches tokens
 * whose term equals it, a PREFIX node tokens whose normalised form or term
 * starts with it, a PHRASE node runs of tokens that match its terms at its
 * relative positions (one highlight spanning the whole run). Terms that
 * appear only under a NOT are never highlighted. For a stored document,
 * bl_snippet_ctx_make_doc finds the same matches in the index's positions
 * (the terms those tokens produced at indexing) without analysing the
 * whole text, and gives the same snippet.
 *
 * The window is about window_words tokens long and is the one that covers
 * the most distinct query nodes, then the most matches, then comes first;
 * it is then slid back, when it can be without losing a match, so that
 * about five tokens of context come before its first match.
 * Whitespace runs in the window are shown as one space; " …" / "… " mark
 * where the text was cut. Highlights are given twice: as byte ranges in the
 * snippet string and as byte ranges in the original text.
 *
 * The snippet text, precisely:
 *  - it runs from the window's first token to its last, plus punctuation
 *    glued to either end ("“Wagner", "Wagner.") when a blank separates that
 *    punctuation from the neighbouring token;
 *  - runs of whitespace and control characters (C0 incl. NUL and ESC, DEL,
 *    C1, no-break and other Unicode spaces) become one space;
 *  - a byte that does not start valid UTF-8 is read as its Windows-1252
 *    character, as the tokenizer reads it, so the snippet is always
 *    valid UTF-8 and "M\xFCnchen" shows as "München";
 *  - a stretch between two tokens longer than 64 bytes once collapsed (a
 *    dropped over-long token, a wall of symbols) shows as " … ";
 *  - the body is cut, on a character boundary, at max(600, 20 *
 *    window_words) bytes (then " …" ends it and highlights past the cut are
 *    dropped, one straddling it is shortened).
 * A highlight is one query match: a token, or a whole phrase run; matches
 * that overlap or touch are merged, so highlights never overlap.
 */
#ifndef BL_SNIPPET_H
#define BL_SNIPPET_H

#include <stddef.h>
#include <stdint.h>

#include "analyzer.h"
#include "docstore.h"
#include "query.h"
#include "segment.h"

typedef struct {
    size_t start, end; /* [start, end) in bytes */
} bl_span;

typedef struct {
    char *text;             /* owned, NUL-terminated UTF-8 */
    size_t len;
    bl_span *highlights;    /* owned; ranges in text, increasing, disjoint */
    bl_span *source_spans;  /* owned; the same highlights in the original text */
    size_t nhighlights;
} bl_snippet;

/* Default window length in tokens. */
#define BL_SNIPPET_WORDS 30

/* Builds the snippet of text[0..len) for query q into *out (which the
 * caller then releases with bl_snippet_release). A text without matches
 * (or q NULL, or a query with only negative parts) gives its first window
 * with no highlights; a text without tokens (empty, only punctuation)
 * gives "". window_words 0 means BL_SNIPPET_WORDS. a must be the analyzer
 * the index was built with; its state is reset (do not interleave with
 * another use of a). *out is zeroed first and stays zeroed on failure.
 * Errors: BL_ENOMEM (from the analyzer too). */
int bl_snippet_make(bl_analyzer *a, const bl_qnode *q, const char *text,
                    size_t len, size_t window_words, bl_snippet *out);

/* The snippets of one query over many texts (the hits of a search): the
 * query's parts are gathered once, and each distinct word met in any of
 * the texts is stemmed and looked up among them once, not once per text.
 * The output of bl_snippet_ctx_make is exactly bl_snippet_make's. */
typedef struct bl_snippet_ctx bl_snippet_ctx;

/* Creates a context for query q (may be NULL: no highlights) and analyzer
 * a, both borrowed for the context's life; a must be the analyzer the
 * index was built with. Errors: BL_ENOMEM (*out is then NULL). */
int bl_snippet_ctx_new(bl_snippet_ctx **out, bl_analyzer *a, const bl_qnode *q);

/* bl_snippet_make of c's analyzer and query for text[0..len): same output,
 * errors and ownership of *out. Resets the analyzer's state. After an
 * error c stays usable. Memory held by c grows with the distinct words met
 * (bounded: past 65536 it starts again empty). */
int bl_snippet_ctx_make(bl_snippet_ctx *c, const char *text, size_t len, size_t window_words,
                        bl_snippet *out);

/* The snippet of stored document doc of segment seg, whose fields d holds
 * (as bl_docstore_get gave them): of d's text, or of its title when the
 * text is empty, byte for byte what bl_snippet_ctx_make gives for that
 * string. The matches come from the segment's positions of the query's
 * terms instead of an analysis of the whole text, and only the tokens up to
 * the window's end are read; this needs a text whose tokens all took their
 * positions (none dropped: bl_tokenizer_drops, a scan much cheaper than
 * tokenizing) and a query without prefixes and with at most 64 terms. In
 * every other case, and whenever the index disagrees with the text (a
 * length or position past its tokens, a token at a shown match without the
 * term the positions said) or cannot be read (a damaged page), it gives
 * way to bl_snippet_ctx_make. c's query must be the one searched and d the
 * document of seg and doc. Same errors and ownership as
 * bl_snippet_ctx_make; uses and resets c's analyzer. */
int bl_snippet_ctx_make_doc(bl_snippet_ctx *c, const bl_segment *seg, uint32_t doc,
                            const bl_stored_doc *d, size_t window_words, bl_snippet *out);

/* How many snippets bl_snippet_ctx_make_doc made on c from positions and
 * how many by analysing the text (for tests and statistics). */
void bl_snippet_ctx_counts(const bl_snippet_ctx *c, uint64_t *from_positions,
                           uint64_t *analysed);

/* Frees c; NULL does nothing. */
void bl_snippet_ctx_free(bl_snippet_ctx *c);

/* Frees what *s owns and zeroes it; safe on a zeroed struct. */
void bl_snippet_release(bl_snippet *s);

#endif
