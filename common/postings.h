/* postings.h: a segment's doc-id/frequency lists (kind BLDC, ".doc") and
 * positions (kind BLPS, ".pos"), writer and reader.
 *
 * A term's list is cut into blocks of BL_BLOCK_SIZE postings (the last may
 * be shorter). Its layout in the .doc file, at bl_terminfo.postings_offset,
 * with n = doc_freq and nb = ceil(n / 128), known from the dictionary (u32
 * little-endian; run = one run of the segment's codec, codec.h; impacts =
 * one impacts set, impacts.h):
 *
 *   list    := [term_imp:impacts] [pad bitmap] [skip] block{nb}
 *   pad     := 0:u8{0..7}                          only when dense
 *   bitmap  := word:u64{nw}                        only when dense
 *   skip    := last_doc:u32{nb} doc_end:u32{nb} [pos_end:u32{nb}] bound{nb}
 *                                                  only when nb > 1; pos_end
 *                                                  only with positions
 *   bound   := imp_len:u8 max_tf:u16 min_len:u16
 *   block   := doc_gaps:run[m] tf_minus_1:run[m] [block_imp:impacts]
 *                                                  m = postings in block;
 *                                                  block_imp when nb > 1
 *
 *   term_imp   the impacts (Pareto front of (tf, doc length), capped at
 *              BL_IMPACTS_MAX pairs) of the whole list; self-delimiting:
 *              the bitmap, skip or single block starts right after it.
 *              Absent when n = 1: the one pair is (max_tf, min_len) of
 *              the dictionary (bl_terminfo)
 *   dense      a list is dense when bl_postings_list_is_dense(n,
 *              doc_count, dense_ratio) holds (at least 1 in dense_ratio
 *              of the segment's doc_count documents hold the term; the
 *              segment records its ratio, BL_DENSE_RATIO by default), and has a
 *              bitmap when it also has positions (bl_postings_has_bitmap):
 *              writer, reader and check all decide it from the dictionary
 *   pad        zero bytes up to the next .doc offset that is a multiple
 *              of 8 (none when term_imp ends on one), so the words can be
 *              read in place as aligned u64
 *   bitmap     nw = ceil(doc_count / 64) words, little-endian: bit d % 64
 *              of word d / 64 is set iff doc d is in the list (bits at
 *              doc_count and above are 0); an extra access path to the
 *              same doc set, the blocks below are written as for any list
 *              and the skip (or single block) starts right after it
 *   last_doc   last doc id of each block, strictly increasing: a seek
 *              searches this array in place
 *   doc_end    end of block b, its impacts included, in bytes from the
 *              start of block 0 (block b starts where block b-1 ends,
 *              block 0 right after the skip data)
 *   pos_end    end of block b's positions, in bytes from the term's
 *              bl_terminfo.positions_offset
 *   imp_len    bytes of block b's impacts, the last of the block (1 to
 *              BL_IMPACTS_MAX_BYTES)
 *   max_tf     highest term frequency in the block    } the block's corner:
 *   min_len    shortest document length in the block  } its impacts' last
 *              tf and first length, each saturated at 65535: a max_tf of
 *              65535 reads as no bound, a min_len of 65535 is at most the
 *              true length (so both still bound scores from above)
 *   block_imp  block b's impacts: every posting (tf, len) of the block is
 *              dominated by a pair (tf' >= tf, len' <= len)
 *   doc_gaps   the block's doc ids as minus-one gaps from base = the
 *              previous block's last doc + 1 (0 for block 0): g[0] = d[0] -
 *              base, g[i] = d[i] - d[i-1] - 1
 *
 * Positions, at bl_terminfo.positions_offset in the .pos file, block after
 * block: a block's positions are the sum(tf) values, doc after doc, of each
 * document's positions as gaps (the first as is, then p[i] - p[i-1] - 1),
 * cut into runs of 128 values (the last run shorter). A reader reaches one
 * document's positions by hopping over the runs before them.
 *
 * A list of one block has no skip data: its block ends where its two runs
 * end, its positions where its runs do; its max_tf and min_len are the
 * term's, in the dictionary (bl_terminfo), and its impacts the term's.
 * Skip data stores max_tf and min_len as u16: a block's min_len is capped
 * at 65535 (still a lower bound) and a max_tf of 65535 or more reads back
 * as UINT32_MAX, no bound; the dictionary's are exact (with no lengths
 * given to the writer, every length is 0, which bounds scores safely). Doc ids are below the segment's
 * doc_count (at most BL_DOC_END) and positions below UINT32_MAX; a list's
 * blocks and positions each take less than 4 GiB (the writer refuses
 * more).
 *
 * Bitmaps give dense lists the access paths of an uncompressed set: a
 * test of one bit instead of a seek, and AND + popcount of words instead
 * of a leapfrog (intersect.h). Below 1 in BL_DENSE_RATIO, a list's blocks
 * are both smaller and fast enough to walk. A compact index
 * (BL_DENSE_RATIO_COMPACT) keeps bitmaps, and word pairs (pairs.h), for its
 * most frequent words only: a quarter smaller, slower on phrases of
 * moderately common words.
 */
#ifndef BL_POSTINGS_H
#define BL_POSTINGS_H

#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "docset.h"
#include "impacts.h"
#include "termdict.h"

typedef struct bl_postings_writer bl_postings_writer;

/* A list is dense, and carries a bitmap of its doc ids, when at least one
 * in dense_ratio of the segment's documents hold its term; each segment
 * records its ratio (segment.h), which is BL_DENSE_RATIO unless the index
 * is compact. A bitmap takes doc_count / 8 bytes whatever the list, at most
 * 2 * dense_ratio bits per posting (docs/FORMAT.md weighs the cost). A
 * ratio of 0 makes no list dense. */
#define BL_DENSE_RATIO 16
/* The highest ratio a segment or manifest may record: beyond it bitmaps
 * would cost more than 128 bits a posting; readers refuse more as damage. */
#define BL_DENSE_RATIO_MAX 64
/* The ratio of a compact index (byline index --compact): bitmaps and pairs
 * for words in at least a quarter of the documents. */
#define BL_DENSE_RATIO_COMPACT 4

/* Whether a list of doc_freq documents in a segment of doc_count documents
 * and ratio dense_ratio is dense. */
static inline int bl_postings_list_is_dense(uint32_t doc_freq, uint32_t doc_count,
                                            uint32_t dense_ratio)
{
    return doc_freq > 0 && (uint64_t)doc_freq * dense_ratio >= doc_count;
}

/* Whether the list info describes carries a bitmap: a dense list with
 * positions (a word's; a pair's list, pairs.h, never has one). The one
 * rule the writer, the readers and the check share. */
static inline int bl_postings_has_bitmap(const bl_terminfo *info, uint32_t doc_count,
                                         uint32_t dense_ratio)
{
    return !info->positionless &&
           bl_postings_list_is_dense(info->doc_freq, doc_count, dense_ratio);
}

/* Bytes of skip data per block of a multi-block list (docs/FORMAT.md):
 * last_doc, doc_end, pos_end (lists with positions only) as u32, and a
 * bound of 5 bytes. */
#define BL_SKIP_ENTRY_BYTES(positions) ((positions) ? 17u : 13u)

/* Words of a bitmap over doc_count documents: ceil(doc_count / 64). */
static inline uint32_t bl_postings_bitmap_words(uint32_t doc_count)
{
    return (uint32_t)(((uint64_t)doc_count + 63) / 64);
}

/* Creates the .doc and .pos files of a segment of doc_count documents (ids
 * 0..doc_count-1; with dense_ratio it decides which lists are dense, and a
 * reader must be opened with the same count and ratio), to be written with
 * codec id codec (codec.h). BL_DOC_END as doc_count allows every id and, at
 * BL_DENSE_RATIO, makes no list of under 2^28 documents dense. Errors:
 * BL_EINVAL (unknown codec, dense_ratio above BL_DENSE_RATIO_MAX), BL_EIO,
 * BL_ENOMEM. */
int bl_postings_writer_new(bl_postings_writer **out, const char *doc_path,
                           const char *pos_path, uint32_t doc_count, uint32_t dense_ratio,
                           uint32_t codec);

/* Writes one term's list, with its bitmap when it is dense. docs[0..ndocs)
 * strictly increasing, each below the writer's doc_count; tfs[i] >= 1;
 * positions holds, doc after doc, tfs[i] strictly increasing positions
 * below UINT32_MAX (sum(tfs) values in all), or is NULL for a list
 * without positions (info->positionless is then 1: its skip data has no
 * pos_end and the .pos file gets nothing);
 * doc_lens[d] is the length (tokens) of doc d, indexed by doc id, or NULL
 * (every min_len is then written as 0, a safe bound for pruning). Fills
 * *info (doc_freq, total_freq, both offsets, max_tf and min_len). Nothing
 * is written when the input is rejected, and w stays usable. Errors:
 * BL_EINVAL (unsorted input, ndocs == 0, NULL arrays; detail set),
 * BL_ETOOBIG (over 4 GiB for one list), BL_ENOMEM, BL_EIO (after these
 * three w only accepts finish or abort, and finish fails). */
int bl_postings_writer_add(bl_postings_writer *w, const uint32_t *docs,
                           const uint32_t *tfs, uint32_t ndocs,
                           const uint32_t *positions, const uint32_t *doc_lens,
                           bl_terminfo *info);

/* The same list written a posting at a time, for lists too long to hold
 * whole (a merge's): begin announces ndocs postings, with positions or
 * without; push adds one (doc above the previous one and below the
 * writer's doc_count, tf >= 1, pos its tf increasing positions below
 * UINT32_MAX or NULL without positions, len its document's length or 0);
 * end writes the list and fills *info as bl_postings_writer_add does. The
 * writer holds one block of postings, the list's doc-id blocks and skip
 * data (a few bytes a posting), never its positions, which go to the .pos
 * file a block at a time. A term must end before the next begins, and end
 * fails unless exactly ndocs were pushed. Any error of push or end (those
 * of add, BL_EINVAL for a posting out of order or range or a wrong count)
 * leaves w accepting only finish or abort. */
int bl_postings_writer_begin(bl_postings_writer *w, uint32_t ndocs, int with_positions);
int bl_postings_writer_push(bl_postings_writer *w, uint32_t doc, uint32_t tf,
                            const uint32_t *pos, uint32_t len);
int bl_postings_writer_end(bl_postings_writer *w, bl_terminfo *info);

/* Pushes m postings at once, as m calls of push would but with each
 * document's positions given as stored (its first position, then each
 * next one minus the one before minus 1; their sum below UINT32_MAX), doc
 * after doc in gaps (NULL without positions), and lens[j] the length of
 * docs[j] (lens NULL: 0): what bl_posting_iter_block_all hands out, so a
 * merge copies positions without making them absolute and back. Errors
 * and their effect: as push. */
int bl_postings_writer_push_gaps(bl_postings_writer *w, const uint32_t *docs,
                                 const uint32_t *tfs, const uint32_t *lens,
                                 const uint32_t *gaps, uint32_t m);

/* Commits (fsyncs) both files and frees w whatever the outcome; on any
 * error both files are removed. Errors: BL_EIO. */
int bl_postings_writer_finish(bl_postings_writer *w);

/* Removes both partial files and frees w; NULL does nothing. */
void bl_postings_writer_abort(bl_postings_writer *w);

/* The two mapped files of a segment. */
typedef struct bl_postings bl_postings;

/* Maps both files of a segment of doc_count documents written with codec
 * id codec; verify != 0 checks all their checksums now (otherwise pages are
 * checked as iterators first read them). Iterators report a doc id >=
 * doc_count as corruption, so ids can safely index per-document arrays
 * (pass BL_DOC_END when there are none). doc_count and dense_ratio also
 * say which lists are dense: they must be the writer's. Errors: BL_EIO, BL_ECORRUPT,
 * BL_EVERSION (unknown codec), BL_ENOMEM. */
int bl_postings_open(bl_postings **out, const char *doc_path,
                     const char *pos_path, uint32_t doc_count, uint32_t dense_ratio,
                     uint32_t codec, int verify);

/* The codec the segment's lists are read with. */
const struct bl_codec *bl_postings_codec(const bl_postings *p);

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
 * dictionary). p must outlive it. Reads the skip data in place (it is
 * never copied or decoded whole) and decodes the first block; later blocks
 * as they are reached. doc_freq == 0 gives an empty iterator. One
 * allocation, plus one growable positions array on first use of positions.
 * Errors: BL_ENOMEM, BL_ECORRUPT (offsets outside the file, skip data or
 * first block damaged; detail names the file and offset). Free with
 * bl_docset_free((bl_docset *)it). */
int bl_posting_iter_new(const bl_postings *p, const bl_terminfo *info,
                        bl_posting_iter **out);

static inline bl_docset *bl_posting_iter_docset(bl_posting_iter *it)
{
    return (bl_docset *)it;
}

/* bl_docset_next and bl_docset_seek on the iterator, as direct calls for
 * callers that know they hold a posting iterator (a leapfrog pays an
 * indirect call per step otherwise). */
uint32_t bl_posting_iter_next(bl_posting_iter *it);
uint32_t bl_posting_iter_seek(bl_posting_iter *it, uint32_t target);

/* Term frequency in the current doc (undefined at BL_DOC_END). A block's
 * frequencies are decoded on the first call in it (walks that only count
 * or intersect never pay for them); if they are damaged, the iterator ends
 * with its err set and 1 is returned. */
uint32_t bl_posting_iter_freq(bl_posting_iter *it);

/* Positions of the term in the current doc, increasing; *pos is borrowed
 * until the iterator moves or this is called again. Decodes only the runs
 * holding this doc's positions.
 * At BL_DOC_END gives *n = 0 and returns the docset's err. Errors:
 * BL_ECORRUPT, BL_ENOMEM (also recorded in the docset's err, and the
 * iterator ends). */
int bl_posting_iter_positions(bl_posting_iter *it, const uint32_t **pos,
                              uint32_t *n);

/* The whole current block, the iterator on its first doc: sets *docs and
 * *tfs to its doc ids and tfs and, for a list with positions, *gaps to
 * its positions as stored (each document's first position, then each next
 * minus the one before minus 1; tfs[0] + ... of them, document after
 * document; NULL without positions), and returns its postings: a merge
 * copies a block without making positions absolute. Borrowed until the
 * iterator moves; it stays on the first doc (seek past the last to go on).
 * Returns 0 at BL_DOC_END or on an error, which ends the iterator with its
 * err set (BL_ECORRUPT, BL_ENOMEM, BL_EINVAL when not on a block's first
 * doc). */
uint32_t bl_posting_iter_block_all(bl_posting_iter *it, const uint32_t **docs,
                                   const uint32_t **tfs, const uint32_t **gaps);

/* The doc ids of the current block from the current doc on (decoded
 * already): sets *docs and returns how many (0 at BL_DOC_END). Borrowed
 * until the iterator moves. */
uint32_t bl_posting_iter_block_rest(const bl_posting_iter *it, const uint32_t **docs);

/* Block-max data of the block holding the current doc: its last doc,
 * highest tf and shortest document length (a single block has the term's).
 * As skip data stores them, a max_tf of UINT32_MAX bounds nothing and
 * min_len is at most 65535. At BL_DOC_END: BL_DOC_END, 0, 0. Never
 * decodes. */
void bl_posting_iter_block_info(const bl_posting_iter *it, uint32_t *last_doc,
                                uint32_t *max_tf, uint32_t *min_len);

/* Highest tf and shortest document length over the whole list, from the
 * dictionary (UINT32_MAX and 0, bounds that prune nothing, when the
 * dictionary recorded none). */
void bl_posting_iter_term_bound(const bl_posting_iter *it, uint32_t *max_tf,
                                uint32_t *min_len);

/* Block-max data of the block that would hold target: the first block,
 * from the current one on, whose last doc is >= target. Neither decodes it
 * nor moves the iterator. BL_DOC_END, 0, 0 past the end. A max_tf of
 * UINT32_MAX (a tf of 65535 or more) bounds nothing. */
void bl_posting_iter_shallow(const bl_posting_iter *it, uint32_t target, uint32_t *block_last,
                             uint32_t *max_tf, uint32_t *min_len);

/* The impacts of the block that would hold target (the block
 * bl_posting_iter_shallow describes) into out (room for BL_IMPACTS_MAX):
 * *n pairs, read from the mapping; a single block's are the term's. Never
 * decodes the block nor moves the iterator. Past the end: BL_DOC_END and
 * *n = 0. If the impacts are damaged (bad page, bytes that do not decode):
 * the one pair (UINT32_MAX, 0), a bound that prunes nothing (loading the
 * block or bl_postings_check_term reports the damage). */
void bl_posting_iter_shallow_impacts(const bl_posting_iter *it, uint32_t target,
                                     uint32_t *block_last, bl_impact *out, uint32_t *n);

/* The impacts of the whole list (decoded when the iterator was opened):
 * *out is borrowed until the iterator is freed; *n is 0 for an empty
 * iterator. */
void bl_posting_iter_term_impacts(const bl_posting_iter *it, const bl_impact **out,
                                  uint32_t *n);

/* The bitmap of a dense list (the one of term info in this segment): *words
 * points at its *nwords words in the mapping, aligned, borrowed until
 * bl_postings_close; read them with bl_bitmap_test / bl_bitmap_word
 * (bitmap.h). Its pages are verified before it is handed out. A list that
 * is not dense gives *words = NULL and *nwords = 0, and returns 0.
 * Errors: BL_ECORRUPT (the term's impacts do not decode, the bitmap runs
 * past the file, a bad page; detail names the file and offset). */
int bl_postings_bitmap(const bl_postings *p, const bl_terminfo *info, const uint64_t **words,
                       uint32_t *nwords);

/* Whether the iterator's list carries a bitmap (bl_postings_has_bitmap). */
int bl_posting_iter_has_bitmap(const bl_posting_iter *it);

/* The same for the list an iterator walks (its position is not used): the
 * bitmap's place is known from when it was opened, so this only verifies
 * its pages (once; later calls cost a bit test per page). */
int bl_posting_iter_bitmap(const bl_posting_iter *it, const uint64_t **words,
                           uint32_t *nwords);

/* Whether bl_posting_iter_tf_at can read this list: it has a bitmap and
 * its codec reads a run's values in place (bit-packing does; varint not). */
int bl_posting_iter_has_tf_at(const bl_posting_iter *it);

/* The tf of doc, a document of the list (its bit set in the bitmap), read
 * in place without moving the iterator or decoding a block: doc's rank
 * among the list's documents is counted in the bitmap (its block is rank
 * / 128, its place there rank % 128) and that one tf is read from the
 * block's bit-packed run. A dense list's scorer so learns a candidate's tf
 * for a popcount and a few loads. Cheapest when docs come in increasing
 * order (the count goes on from the previous doc's word); any order is
 * answered. Pages are verified as they are first read. Errors: BL_EINVAL
 * (the list does not qualify, bl_posting_iter_has_tf_at; or doc is not in
 * it), BL_ECORRUPT (detail names the file and offset; recorded in the
 * docset's err, and the iterator ends); *tf is then 1. */
int bl_posting_iter_tf_at(bl_posting_iter *it, uint32_t doc, uint32_t *tf);

/* How many docs of the list, from the current one on, are in every one of
 * the bitmaps maps[0..nmaps) (nmaps >= 1; bitmaps of this segment's lists,
 * or any sets of bl_postings_bitmap_words(doc_count) words). The fastest
 * walk through a list: each block's doc ids are decoded at once (nothing
 * else is) and tested a block at a time, with no branch on the outcome.
 * Leaves the iterator at BL_DOC_END; damage ends the walk early with the
 * docset's err set (the count is then short). */
uint64_t bl_posting_iter_count_in(bl_posting_iter *it, const uint64_t *const *maps,
                                  size_t nmaps);

/* How many docs of the list of term info (in this segment's dictionary)
 * are in the bitset words[0..nwords) (nwords >= 1: a bitmap of this
 * segment's lists, bl_postings_bitmap, or any set of
 * bl_postings_bitmap_words(doc_count) words): what bl_posting_iter_count_in
 * counts from the list's start, without an iterator. Only the doc ids are
 * decoded, a block at a time, straight from the mapping (the skip data
 * bounds each block's bytes); nothing is allocated, and the tfs, block
 * impacts and positions are not looked at. Each block's last doc is
 * checked against the skip data and doc_count, and the pages read are
 * touched (verified). Errors: BL_ECORRUPT (detail names the file and
 * offset); *count is then 0. */
int bl_postings_count_in(const bl_postings *p, const bl_terminfo *info, const uint64_t *words,
                         uint32_t nwords, uint64_t *count);

/* Walks one whole list checking every block decodes, doc ids increase and
 * stay below doc_count, the skip data's last docs, block sizes, position
 * sizes and max_tf match the blocks, every document's positions decode,
 * and the tfs add up to total_freq and their maximum to the dictionary's
 * max_tf; a dense list's padding is zero and its bitmap holds exactly its
 * doc ids (dense as the postings were opened: a list that should be and
 * was written without a bitmap reads as damage). (min_len needs the
 * documents' lengths: see below.)
 * Errors: BL_ECORRUPT (detail names the file and offset), BL_ENOMEM. */
int bl_postings_check_term(const bl_postings *p, const bl_terminfo *info,
                           uint32_t doc_count);

/* The length in tokens of document doc, for checks. */
typedef uint32_t (*bl_doc_len_fn)(const void *ctx, uint32_t doc);

/* bl_postings_check_term, and with len_of (NULL: as above) also that each
 * block's min_len and the dictionary's are the shortest length among their
 * documents: a bound above it would let pruning drop real hits. */
int bl_postings_check_term_lens(const bl_postings *p, const bl_terminfo *info,
                                uint32_t doc_count, bl_doc_len_fn len_of, const void *ctx);

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
