/* output.h: prints search results for people (text) and for scripts (JSON
 * lines).
 *
 * Highlights are shown as the caller's style says: BL_OUT_BOLD wraps each
 * in ANSI bold ("\033[1m" .. "\033[0m"; text only), BL_OUT_MARKS in "**"
 * markers (then "**\033[1mword\033[0m**" with both); style 0 prints the
 * snippet plain, with no markup at all.
 *
 * Text: one block per hit: "RANK. TITLE  (score S)" (S with 4 decimals, an
 * empty title shown as "(untitled)"), then "   SOURCE  DATE" (whichever
 * exist; no line if neither), then the snippet on one line indented by 3
 * spaces (no line if it is empty), then a blank line. Control characters
 * in stored fields print as spaces (so a stored title cannot drive the
 * terminal) and bytes that are not UTF-8 as their Windows-1252 characters,
 * as the tokenizer read them.
 * JSON: one object per hit, keys in this order: rank, score, id (the source
 * when the stored id is empty), title,
 * source, date, url, snippet, highlights ([[start, end], ...]: Unicode code
 * point offsets into the snippet string as printed, "**" markers included
 * when asked for, each range covering the highlighted word without its
 * markers, so Python's snippet[start:end] and jq's .snippet[start:end] give
 * the word); then one summary object: query, hits (the number of matching
 * documents counted), hits_relation ("eq": hits is exact; "gte": at least
 * hits documents match, pruning skipped some), returned, elapsed_ms. Every line is valid JSON
 * (compact, UTF-8 not escaped, reals with up to 15 significant digits, a
 * non-finite score as null); bytes of stored text that are not UTF-8 are
 * encoded as their Windows-1252 characters. A NULL hit snippet prints as
 * "" with no highlights; NULL doc fields as "". Highlight spans out of
 * order or out of range are left out, in text and JSON alike.
 */
#ifndef BL_OUTPUT_H
#define BL_OUTPUT_H

#include <stdint.h>
#include <stdio.h>

#include "docstore.h"
#include "snippet.h"

typedef struct {
    uint32_t rank;            /* 1-based */
    double score;
    const bl_stored_doc *doc; /* borrowed */
    const bl_snippet *snippet;
} bl_hit;

/* Highlight styles, or-ed together (see the top of this file). */
#define BL_OUT_BOLD 1u
#define BL_OUT_MARKS 2u

/* Prints one hit for people. Errors: BL_EIO if the write fails, BL_ENOMEM. */
int bl_output_text_hit(FILE *f, const bl_hit *h, unsigned style);

/* Prints the closing line for people: "N matching documents (X ms)", or
 * "N matching documents, M shown (X ms)" when shown < hits ("document"
 * when N is 1); X with one decimal. at_least nonzero (hits is a lower
 * bound) prefixes "at least ": "at least N matching documents, M shown".
 * Errors: BL_EIO. */
int bl_output_text_summary(FILE *f, uint64_t hits, int at_least, uint32_t shown,
                           double elapsed_ms);

/* Prints one hit as a JSON line; of style, only BL_OUT_MARKS counts.
 * Errors: BL_ENOMEM, BL_EIO. */
int bl_output_json_hit(FILE *f, const bl_hit *h, unsigned style);

/* Prints the JSON summary line (query NULL prints as ""; hits_relation
 * "gte" when at_least is nonzero, else "eq"; elapsed_ms is rounded to
 * microseconds). Errors: BL_ENOMEM, BL_EIO. */
int bl_output_json_summary(FILE *f, const char *query, uint64_t hits, int at_least,
                           uint32_t returned, double elapsed_ms);

/* Prints the JSON line that stands for a query that could not be answered
 * (in a --queries run): {"query": QUERY, "error": MESSAGE}, the query being
 * query[0..len) (NUL bytes kept, as \u0000). Errors: BL_ENOMEM, BL_EIO. */
int bl_output_json_error(FILE *f, const char *query, size_t len, const char *message);

/* Prints a --count --queries line: "COUNT<TAB>QUERY", or "error<TAB>QUERY"
 * when count is NULL (a malformed query). The query, query[0..len), is
 * printed as stored fields are (control characters, the tab included, as
 * spaces), so the line holds exactly one tab. Errors: BL_ENOMEM, BL_EIO. */
int bl_output_count_line(FILE *f, const uint64_t *count, const char *query, size_t len);

#endif
