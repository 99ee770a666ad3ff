/* output.h: prints search results for people (text) and for scripts (JSON
 * lines).
 *
 * Text: one block per hit: "RANK. TITLE  (score S)" (S with 4 decimals, an
 * empty title shown as "(untitled)"), then "   SOURCE  DATE" (whichever
 * exist; no line if neither), then the snippet on one line indented by 3
 * spaces (no line if it is empty), highlights in ANSI bold ("\033[1m" ..
 * "\033[0m") when color is on and between ** markers when it is off, then
 * a blank line. Control characters in stored fields print as spaces (so a
 * stored title cannot drive the terminal) and bytes that are not UTF-8 as
 * their Windows-1252 characters, as the tokenizer read them.
 * JSON: one object per hit, keys in this order: rank, score, id (the
 * source when the stored id is empty), title, source, date, url, snippet, highlights ([[start, end], ...] byte ranges in the
 * snippet string); then one summary object: query, hits (the exact number
 * of matching documents), returned, elapsed_ms. Every line is valid JSON
 * (compact, UTF-8 not escaped, reals with up to 15 significant digits, a
 * non-finite score as null); bytes of stored text that are not UTF-8 are
 * encoded as their Windows-1252 characters. A NULL
 * hit snippet prints as "" with no highlights; NULL doc fields as "".
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

/* Prints one hit for people. Errors: BL_EIO if the write fails, BL_ENOMEM. */
int bl_output_text_hit(FILE *f, const bl_hit *h, int color);

/* Prints the closing line for people: "N matching documents (X ms)", or
 * "N matching documents, M shown (X ms)" when shown < hits; X with one
 * decimal. Errors: BL_EIO. */
int bl_output_text_summary(FILE *f, uint64_t hits, uint32_t shown, double elapsed_ms);

/* Prints one hit as a JSON line. Errors: BL_ENOMEM, BL_EIO. */
int bl_output_json_hit(FILE *f, const bl_hit *h);

/* Prints the JSON summary line (query NULL prints as ""; elapsed_ms is
 * rounded to microseconds). Errors: BL_ENOMEM, BL_EIO. */
int bl_output_json_summary(FILE *f, const char *query, uint64_t hits,
                           uint32_t returned, double elapsed_ms);

#endif
