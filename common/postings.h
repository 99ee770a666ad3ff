/* postings.h: a segment's doc-id/frequency lists (kind BLDC, ".doc") and
 * positions (kind BLPS, ".pos"), writer and reader.
 *
 * A term's list is cut into blocks of BL_BLOCK_SIZE postings (the last may
 * be shorter). Its layout in the .doc file, at bl_terminfo.postings_offset,
 * with n = doc_freq and nblocks = ceil(n / 128), known from the dictionary:
 *
 *   list      := [skips] block{nblocks}
 *   skips     := skip{nblocks}                 only when nblocks > 1
 *   skip      := last_doc_gap:varint doc_bytes:varint pos_bytes:varint
 *                max_tf:varint min_len:varint
 *   block     := doc_gaps:codec[m] tf_minus_1:codec[m]     m = postings in block
 *
 *   last_doc_gap  last doc of the block minus the previous block's last doc
 *                 (the first block: its last doc itself)
 *   doc_bytes     bytes of this block in the .doc file
 *   pos_bytes     bytes of this block's positions in the .pos file
 *   max_tf        highest term frequency in the block    } what block-max
 *   min_len       shortest document length in the block  } pruning needs
 *   doc_gaps      bl_delta_encode of the block's doc ids with base = previous
 *                 block's last doc + 1 (0 for the first block)
 *   codec[m]      m values written by bl_codec_encode (codec.h)
 *
 * Positions, at bl_terminfo.positions_offset in the .pos file, block by
 * block in the same order: for each block, one codec run of sum(tf) values:
 * for each doc of the block, its tf positions as gaps (the first position
 * as is, then p[i] - p[i-1] - 1; positions strictly increase in a doc).
 * A reader skipping whole blocks adds up pos_bytes to find a block's start.
 *
 * Doc ids are below BL_DOC_END and positions below UINT32_MAX. A list of
 * one block has no skip table: the block ends where its two codec runs end,
 * and a reader takes its last doc and max_tf from the block itself (its
 * min_len is unknown and reported as 0). The reader checks every block
 * against its skip entry (last doc, doc_bytes, pos_bytes) as it decodes it.
 */
#ifndef BL_POSTINGS_H
#define BL_POSTINGS_H

#include <stddef.h>
#include <stdint.h>

#include "docset.h"
#include "termdict.h"

typedef struct bl_postings_writer bl_postings_writer;

/* Creates the .doc and .pos files. Errors: BL_EIO, BL_ENOMEM. */
int bl_postings_writer_new(bl_postings_writer **out, const char *doc_path,
                           const char *pos_path);

/* Writes one term's list. docs[0..ndocs) strictly increasing, each below
 * BL_DOC_END; tfs[i] >= 1; positions holds, doc after doc, tfs[i] strictly
 * increasing positions below UINT32_MAX (sum(tfs) values in all);
 * doc_lens[d] is the length (tokens) of doc d, indexed by doc id, or NULL
 * (every min_len is then written as 0, a safe bound for pruning). Fills
 * *info (doc_freq, total_freq and both offsets). Nothing is written when
 * the input is rejected, and w stays usable. Errors: BL_EINVAL (unsorted
 * input, ndocs == 0, NULL arrays; detail set), BL_ENOMEM, BL_EIO (after
 * which w only accepts finish or abort, and finish fails). */
int bl_postings_writer_add(bl_postings_writer *w, const uint32_t *docs,
                           const uint32_t *tfs, uint32_t ndocs,
                           const uint32_t *positions, const uint32_t *doc_lens,
                           bl_terminfo *info);

/* Commits (fsyncs) both files and frees w whatever the outcome; on any
 * error both files are removed. Errors: BL_EIO. */
int bl_postings_writer_finish(bl_postings_writer *w);

/* Removes both partial files and frees w; NULL does nothing. */
void bl_postings_writer_abort(bl_postings_writer *w);

/* The two mapped files of a segment. */
typedef struct bl_postings bl_postings;

/* Maps both files of a segment of doc_count documents; verify != 0 checks
 * their checksums. Iterators report a doc id >= doc_count as corruption,
 * so ids can safely index per-document arrays (pass BL_DOC_END when there
 * are none). Errors: BL_EIO, BL_ECORRUPT, BL_EVERSION, BL_ENOMEM. */
int bl_postings_open(bl_postings **out, const char *doc_path,
                     const char *pos_path, uint32_t doc_count, int verify);

/* Unmaps and frees p; NULL does nothing. */
void bl_postings_close(bl_postings *p);

/* The mapped .doc and .pos files (for their sizes and footer checksums);
 * borrowed until bl_postings_close. */
const bl_mapped *bl_postings_docs_file(const bl_postings *p);
const bl_mapped *bl_postings_positions_file(const bl_postings *p);

/* Body sizes of the .doc and .pos files (for bl_termdict_check). */
uint64_t bl_postings_docs_bytes(const bl_postings *p);
uint64_t bl_postings_positions_bytes(const bl_postings *p);

/* An iterator over one term's list. Its first member is a bl_docset, so
 * (bl_docset *)it works with every docset function; it is positioned on its
 * first doc when created. cost = doc_freq. */
typedef struct bl_posting_iter bl_posting_iter;

/* Creates an iterator for the term described by info (from this segment's
 * dictionary). p must outlive it. Decodes the skip table eagerly (checking
 * every offset against the file sizes) and the first block; later blocks
 * lazily. doc_freq == 0 gives an empty iterator. One allocation, plus one
 * growable positions array on first use of positions. Errors: BL_ENOMEM,
 * BL_ECORRUPT (offsets outside the file, bad skip table or first block;
 * detail names the file and offset). Free with
 * bl_docset_free((bl_docset *)it). */
int bl_posting_iter_new(const bl_postings *p, const bl_terminfo *info,
                        bl_posting_iter **out);

static inline bl_docset *bl_posting_iter_docset(bl_posting_iter *it)
{
    return (bl_docset *)it;
}

/* Term frequency in the current doc (undefined at BL_DOC_END). */
uint32_t bl_posting_iter_freq(const bl_posting_iter *it);

/* Positions of the term in the current doc, increasing; *pos is borrowed
 * until the iterator moves. Decodes the block's positions on first use.
 * At BL_DOC_END gives *n = 0 and returns the docset's err. Errors:
 * BL_ECORRUPT, BL_ENOMEM (also recorded in the docset's err, and the
 * iterator ends). */
int bl_posting_iter_positions(bl_posting_iter *it, const uint32_t **pos,
                              uint32_t *n);

/* Block-max data of the block holding the current doc (for pruning later):
 * its last doc, highest tf and shortest document length. A single-block
 * list has no skip table: max_tf is computed from the block and min_len is
 * 0 (a safe bound). At BL_DOC_END: BL_DOC_END, 0, 0. Never decodes. */
void bl_posting_iter_block_info(const bl_posting_iter *it, uint32_t *last_doc,
                                uint32_t *max_tf, uint32_t *min_len);

/* Highest tf and shortest document length over the whole list (for a
 * term's score bound): computed when the iterator is created, from the skip
 * table, or for a single-block list from the block (its min_len is 0, a
 * safe bound). An empty list gives 0, 0. Never decodes. */
void bl_posting_iter_term_bound(const bl_posting_iter *it, uint32_t *max_tf,
                                uint32_t *min_len);

/* Block-max data of the block that would hold target: the first block, from
 * the current one on, whose last doc >= target (the current block when
 * target is at or before the current doc). Neither decodes that block nor
 * moves the iterator. Past the end of the list, or at BL_DOC_END:
 * BL_DOC_END, 0, 0. */
void bl_posting_iter_shallow(const bl_posting_iter *it, uint32_t target, uint32_t *block_last,
                             uint32_t *max_tf, uint32_t *min_len);

/* Walks one whole list checking every block decodes, doc ids increase and
 * stay below doc_count, the skip table's last docs, block sizes, position
 * sizes and max_tf match the blocks (min_len needs the doc lengths: not
 * checked), positions increase, and the tfs add up to total_freq.
 * Errors: BL_ECORRUPT (detail names the file and offset), BL_ENOMEM. */
int bl_postings_check_term(const bl_postings *p, const bl_terminfo *info,
                           uint32_t doc_count);

/* Decodes a whole list at once into docs[0..doc_freq) and, unless tfs is
 * NULL, tfs[0..doc_freq), without a docset in between: for benchmarks
 * (raw decode speed) and tools. Errors: as bl_posting_iter_new, and
 * BL_ECORRUPT for any later block. */
int bl_postings_read_docs(const bl_postings *p, const bl_terminfo *info,
                          uint32_t *docs, uint32_t *tfs);

/* First i in [lo, n) with a[i] >= target in the ascending array a, or n:
 * gallops from lo (a near answer costs a compare or two, a far one the log
 * of its distance), then binary-searches the last doubling step. */
size_t bl_gallop_u32(const uint32_t *a, size_t lo, size_t n, uint32_t target);

#endif
