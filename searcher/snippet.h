/* snippet.h: picks the best window of a stored article for a query and
 * marks what matched.
 *
 * The text is analysed again with the index's analyzer, so a highlight is
 * exactly a token that produced a query term: a TERM node matches tokens
 * whose term equals it, a PREFIX node tokens whose normalised form or term
 * starts with it, a PHRASE node runs of tokens that match its terms at its
 * relative positions (one highlight spanning the whole run). Terms that
 * appear only under a NOT are never highlighted.
 *
 * The window is about window_words tokens long and is the one that covers
 * the most distinct query nodes, then the most matches, then comes first.
 * Whitespace runs in the window are shown as one space; " …" / "… " mark
 * where the text was cut. Highlights are given twice: as byte ranges in the
 * snippet string and as byte ranges in the original text.
 */
#ifndef BL_SNIPPET_H
#define BL_SNIPPET_H

#include <stddef.h>

#include "analyzer.h"
#include "query.h"

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
 * gives its first window with no highlights; an empty text gives "".
 * Errors: BL_ENOMEM. */
int bl_snippet_make(bl_analyzer *a, const bl_qnode *q, const char *text,
                    size_t len, size_t window_words, bl_snippet *out);

/* Frees what *s owns and zeroes it; safe on a zeroed struct. */
void bl_snippet_release(bl_snippet *s);

#endif
