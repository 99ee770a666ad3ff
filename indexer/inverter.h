/* inverter.h: builds one segment in memory and writes it out.
 *
 * Articles are analysed as they arrive and their stored fields go straight
 * to the segment's document store; terms and positions accumulate in
 * memory, one compact varint stream per term. bl_inverter_finish sorts the
 * terms and writes the dictionary, postings, positions and lengths. The
 * caller watches bl_inverter_memory() and finishes a segment when it passes
 * its budget, which bounds the indexer's memory whatever the corpus size.
 */
#ifndef BL_INVERTER_H
#define BL_INVERTER_H

#include <stddef.h>
#include <stdint.h>

#include "analyzer.h"
#include "loader.h"
#include "manifest.h"

typedef struct bl_inverter bl_inverter;

/* Starts segment seg_id in dir (creates its .sto file at once). The
 * analyzer is borrowed. Errors: BL_EIO, BL_ENOMEM. */
int bl_inverter_new(bl_inverter **out, const char *dir, uint64_t seg_id,
                    bl_analyzer *a);

/* Chooses the codec (codec.h) of the segment's .doc and .pos files before
 * any article is added; BL_CODEC_DEFAULT otherwise. Errors: BL_EINVAL. */
int bl_inverter_set_codec(bl_inverter *inv, uint32_t codec);

/* Sets the dense ratio of the segment's lists (postings.h; default
 * BL_DENSE_RATIO): which words get bitmaps and word pairs. */
void bl_inverter_set_dense_ratio(bl_inverter *inv, uint32_t dense_ratio);

/* Analyses and adds one article (title, then text one position further on,
 * so that no phrase spans the two). Errors: BL_ENOMEM, BL_EIO, BL_ETOOBIG
 * (segment full: 2^31 documents; a field over the store's 1 GiB limit). */
int bl_inverter_add(bl_inverter *inv, const bl_article *art);

/* Documents added so far. */
uint32_t bl_inverter_doc_count(const bl_inverter *inv);

/* Approximate bytes of memory held. */
size_t bl_inverter_memory(const bl_inverter *inv);

/* Statistics of the segment so far. */
uint64_t bl_inverter_tokens(const bl_inverter *inv);
uint64_t bl_inverter_terms(const bl_inverter *inv);
uint64_t bl_inverter_invalid_bytes(const bl_inverter *inv);

/* Writes the remaining files and fsyncs them all, fills *out for the
 * manifest, and frees inv. On failure inv stays: the caller removes the
 * files it made with bl_inverter_abort, or, if it may no longer delete by
 * path, leaves them with bl_inverter_forget. Errors: BL_EIO, BL_ENOMEM. */
int bl_inverter_finish(bl_inverter *inv, bl_manifest_segment *out);

/* Removes the segment's files and frees inv; NULL does nothing. */
void bl_inverter_abort(bl_inverter *inv);

/* Frees inv and closes its files without removing any: for a writer whose
 * directory was moved or replaced, where its paths may name another
 * writer's files. NULL does nothing. */
void bl_inverter_forget(bl_inverter *inv);

#endif
