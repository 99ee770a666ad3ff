/* output.h: prints search results for people (text) and for scripts (JSON
 * lines).
 *
 * Text: one block per hit: "RANK. TITLE  (score S)", then "   SOURCE  DATE",
 * then the snippet indented, highlights in ANSI bold when color is on and
 * between ** markers when it is off.
 * JSON: one object per hit, keys in this order: rank, score, id, title,
 * source, date, snippet, highlights ([[start, end], ...] byte ranges in the
 * snippet string); then one summary object: query, hits (the exact number
 * of matching documents), returned, elapsed_ms. Every line is valid JSON;
 * invalid UTF-8 in stored text is replaced by U+FFFD before encoding.
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

/* Prints one hit for people. Errors: BL_EIO if the write fails. */
int bl_output_text_hit(FILE *f, const bl_hit *h, int color);

/* Prints the closing line for people: "N matching documents (X ms)". */
int bl_output_text_summary(FILE *f, uint64_t hits, uint32_t shown, double elapsed_ms);

/* Prints one hit as a JSON line. Errors: BL_ENOMEM, BL_EIO. */
int bl_output_json_hit(FILE *f, const bl_hit *h);

/* Prints the JSON summary line. Errors: BL_ENOMEM, BL_EIO. */
int bl_output_json_summary(FILE *f, const char *query, uint64_t hits,
                           uint32_t returned, double elapsed_ms);

#endif
