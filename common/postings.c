/* postings.c: doc-id/frequency lists (.doc) and positions (.pos).
 *
 * The on-disk grammar is at the top of postings.h. In short, per term:
 *
 *   .doc:  term_imp [pad bitmap] [skip] block{nb}
 *          skip  := last_doc:u32{nb} doc_end:u32{nb} [pos_end:u32{nb}] bound{nb}
 *          bound := imp_len:u8 max_tf:u16 min_len:u16
 *          block := doc_gaps:run[m] tf_minus_1:run[m] [block_imp]
 *          bitmap when dense; skip and block_imp when nb > 1; pos_end
 *          when the list has positions
 *   .pos:  per block, its positions as runs of 128 (the last shorter)
 *
 * Runs are written by the segment's codec (codec.h). The writer buffers one
 * term's skip data, blocks and positions in bl_bufs and hands them to the
 * two bl_filewriters. The reader maps both files and reads the skip data in
 * place: an iterator holds pointers into the mapping, never a decoded copy,
 * so opening one costs the same for ten postings or ten million. seek()
 * gallops over the mapped last-doc array, so any block is reached without
 * decoding the blocks before it. Positions are decoded per document: the
 * runs before the document's first position are hopped over (a bitpack run
 * gives its size in its first byte), and only the runs holding its
 * positions are decoded.
 *
 * A dense list's bitmap sits between its term impacts and its skip data,
 * at an offset that is a multiple of 8: a reader finds it from the term
 * impacts' size and hands out a pointer into the mapping; it is verified
 * (its pages touched) only when asked for, so walks that never test a bit
 * never pay for it.
 *
 * Every byte comes from a mapping of a file that may be damaged: each
 * region is bounded by the skip data (or the file's end) before it is read,
 * touched (page checksums, filefmt.h) before it is trusted, and each block
 * is checked against its skip entry as it is decoded.
 */
#include "postings.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "bitmap.h"
#include "bitpack.h"
#include "buf.h"
#include "codec.h"
#include "error.h"
#include "filefmt.h"
#include "impacts.h"

/* Names the damage at an offset of a mapped file (filefmt.h). */
#define corrupt bl_mapped_corrupt

/* The bound of a skip entry: imp_len:u8 max_tf:u16 min_len:u16. */
#define BOUND_BYTES 5
/* Saturation of a bound's u16 fields: a max_tf of BOUND_MAX means "at
 * least that" (read as UINT32_MAX, no bound), a min_len of BOUND_MAX is
 * below any longer length (a safe bound from above for scores). */
#define BOUND_MAX 65535u

static inline uint16_t bound_u16(uint32_t v) { return (uint16_t)(v < BOUND_MAX ? v : BOUND_MAX); }
/* A stored max_tf as readers take it: BOUND_MAX bounds nothing. */
static inline uint32_t bound_tf_read(uint32_t v) { return v == BOUND_MAX ? UINT32_MAX : v; }

/* ---------------------------------------------------------------- writer */

struct bl_postings_writer {
    bl_filewriter *docs;
    bl_filewriter *pos;
    const bl_codec *codec;
    uint32_t doc_count;  /* ids are below it; with dense_ratio, decides which */
    uint32_t dense_ratio; /* lists are dense */
    uint8_t *bitmap;     /* one dense list's bitmap, as stored (zeroed after) */
    int failed;          /* sticky: first I/O error; only finish/abort after */
    /* The term being written (between term_begin and term_end): */
    int in_term;
    int with_positions;
    int dense;           /* its bits go to bitmap */
    uint32_t want;       /* documents it was announced with */
    uint32_t ndocs;      /* documents put so far (pending ones included) */
    uint32_t prev_last;  /* last doc of the previous block */
    uint32_t last_doc;   /* last doc pushed, for the order check */
    uint64_t total;      /* sum of tfs */
    uint64_t pos_off;    /* .pos offset of its positions */
    uint64_t pos_bytes;  /* bytes of positions written so far */
    uint32_t max_tf, min_len;
    bl_buf lasts;        /* one term's skip data: last-doc array, */
    bl_buf doc_ends;     /* block ends, */
    bl_buf pos_ends;     /* position ends */
    bl_buf bounds;       /* and bounds */
    bl_buf blocks;       /* one term's doc blocks, with their impacts */
    bl_buf positions;    /* one block's position runs */
    uint8_t term_impacts[BL_IMPACTS_MAX_BYTES]; /* its encoded term impacts */
    size_t term_impacts_len;
    uint32_t *gaps;      /* position gaps of one block */
    size_t gaps_cap;
    bl_impact *front;    /* the term's impacts so far (uncapped) */
    bl_impact *merged;   /* room for the next union */
    size_t front_n, front_cap;
    /* bl_postings_writer_push's block in the making */
    uint32_t pend_docs[BL_BLOCK_SIZE], pend_tfs[BL_BLOCK_SIZE], pend_lens[BL_BLOCK_SIZE];
    uint32_t npend;
    uint32_t *pend_pos;
    size_t pend_pos_n, pend_pos_cap;
};

int bl_postings_writer_new(bl_postings_writer **out, const char *doc_path,
                           const char *pos_path, uint32_t doc_count, uint32_t dense_ratio,
                           uint32_t codec)
{
    const bl_codec *c = bl_codec_get(codec);
    if (!c)
        return bl_error_set(BL_EINVAL, "postings writer: unknown codec %u", codec);
    if (dense_ratio > BL_DENSE_RATIO_MAX)
        return bl_error_set(BL_EINVAL, "postings writer: dense ratio %u is above %d",
                            dense_ratio, BL_DENSE_RATIO_MAX);
    bl_postings_writer *w = calloc(1, sizeof *w);
    if (!w)
        return BL_ENOMEM;
    w->codec = c;
    w->doc_count = doc_count;
    w->dense_ratio = dense_ratio;
    bl_buf_init(&w->lasts);
    bl_buf_init(&w->doc_ends);
    bl_buf_init(&w->pos_ends);
    bl_buf_init(&w->bounds);
    bl_buf_init(&w->blocks);
    bl_buf_init(&w->positions);
    int rc = bl_filewriter_open(&w->docs, doc_path, BL_KIND_DOCS);
    if (rc)
        goto fail;
    rc = bl_filewriter_open(&w->pos, pos_path, BL_KIND_POSITIONS);
    if (rc)
        goto fail;
    *out = w;
    return 0;
fail:
    bl_filewriter_abort(w->docs);
    free(w);
    return rc;
}

static void writer_free(bl_postings_writer *w)
{
    bl_buf_release(&w->lasts);
    bl_buf_release(&w->doc_ends);
    bl_buf_release(&w->pos_ends);
    bl_buf_release(&w->bounds);
    bl_buf_release(&w->blocks);
    bl_buf_release(&w->positions);
    free(w->gaps);
    free(w->bitmap);
    free(w->front);
    free(w->merged);
    free(w->pend_pos);
    free(w);
}

/* Checks one term's input (ids below doc_count); sets *total to sum(tfs). */
static int validate_input(const uint32_t *docs, const uint32_t *tfs, uint32_t ndocs,
                          const uint32_t *positions, uint32_t doc_count, uint64_t *total)
{
    if (ndocs == 0 || !docs || !tfs)
        return bl_error_set(BL_EINVAL, "postings writer: %s",
                            ndocs == 0 ? "empty list" : "NULL array");
    uint64_t sum = 0;
    for (uint32_t i = 0; i < ndocs; i++) {
        if (docs[i] >= doc_count)
            return bl_error_set(BL_EINVAL, "postings writer: doc %u: id %u is not below "
                                "the segment's %u documents", i, docs[i], doc_count);
        if (i && docs[i] <= docs[i - 1])
            return bl_error_set(BL_EINVAL,
                                "postings writer: doc ids not increasing at %u (%u after %u)",
                                i, docs[i], docs[i - 1]);
        if (tfs[i] == 0)
            return bl_error_set(BL_EINVAL, "postings writer: doc %u has tf 0", docs[i]);
        const uint32_t *p = positions ? positions + sum : NULL;
        for (uint32_t k = 0; p && k < tfs[i]; k++) {
            if (p[k] == UINT32_MAX || (k && p[k] <= p[k - 1]))
                return bl_error_set(BL_EINVAL,
                                    "postings writer: doc %u: positions not increasing at %u",
                                    docs[i], k);
        }
        sum += tfs[i];
    }
    *total = sum;
    return 0;
}

/* Appends n values as runs of at most BL_BLOCK_SIZE to b. */
static int put_runs(const bl_codec *c, bl_buf *b, const uint32_t *v, uint64_t n)
{
    for (uint64_t at = 0; at < n; at += BL_BLOCK_SIZE) {
        size_t k = n - at < BL_BLOCK_SIZE ? (size_t)(n - at) : BL_BLOCK_SIZE;
        if (bl_buf_reserve(b, c->max_bytes(k)))
            return BL_ENOMEM;
        b->len += c->encode(v + at, k, b->data + b->len);
    }
    return 0;
}

/* Makes *v (of capacity *cap) hold at least n values. */
static int reserve_u32(uint32_t **v, size_t *cap, uint64_t n)
{
    if (n <= *cap)
        return 0;
    size_t c = *cap ? *cap : 1024;
    while (c < n)
        c *= 2;
    uint32_t *g = realloc(*v, c * sizeof *g);
    if (!g)
        return BL_ENOMEM;
    *v = g;
    *cap = c;
    return 0;
}

/* The impacts of one block's postings (f[j], lens[j]), j < m, into v (room
 * for BL_BLOCK_SIZE): their whole front, uncapped; returns its size. Most
 * blocks of most terms hold tf 1 only: one pair, found without sorting. */
static size_t block_front(const uint32_t *f, const uint32_t *lens, uint32_t m, bl_impact *v)
{
    uint32_t max_tf = 0, min_len = UINT32_MAX;
    for (uint32_t j = 0; j < m; j++) {
        v[j] = (bl_impact){f[j], lens[j]};
        max_tf = f[j] > max_tf ? f[j] : max_tf;
        min_len = lens[j] < min_len ? lens[j] : min_len;
    }
    if (max_tf == 1) {
        v[0] = (bl_impact){1, min_len};
        return 1;
    }
    return bl_impacts_front(v, m);
}

/* Adds a block's front b[0..nb) to the term's front (w->front). */
static int grow_term_front(bl_postings_writer *w, const bl_impact *b, size_t nb)
{
    size_t need = w->front_n + nb;
    if (need > w->front_cap) {
        size_t cap = w->front_cap ? w->front_cap : 2 * BL_BLOCK_SIZE;
        while (cap < need)
            cap *= 2;
        bl_impact *f = realloc(w->front, cap * sizeof *f);
        if (!f)
            return BL_ENOMEM;
        w->front = f;
        bl_impact *m = realloc(w->merged, cap * sizeof *m);
        if (!m)
            return BL_ENOMEM;
        w->merged = m;
        w->front_cap = cap;
    }
    size_t n = bl_impacts_union(w->front, w->front_n, b, nb, w->merged);
    bl_impact *t = w->front;
    w->front = w->merged;
    w->front_n = n;
    w->merged = t;
    return 0;
}

/* Bytes of a bitmap of the writer's segment. */
static size_t bitmap_bytes(const bl_postings_writer *w)
{
    return (size_t)bl_postings_bitmap_words(w->doc_count) * 8;
}

/* Starts a term of ndocs documents, with positions or without. */
static int term_begin(bl_postings_writer *w, uint32_t ndocs, int with_positions)
{
    if (w->failed)
        return w->failed;
    if (w->in_term)
        return bl_error_set(BL_EINVAL, "postings writer: a term is still open");
    if (ndocs == 0)
        return bl_error_set(BL_EINVAL, "postings writer: empty list");
    /* (bl_postings_has_bitmap: a list without positions has none) */
    w->dense = with_positions && bl_postings_list_is_dense(ndocs, w->doc_count, w->dense_ratio);
    if (w->dense && !w->bitmap && !(w->bitmap = calloc(bitmap_bytes(w) + 1, 1)))
        return bl_error_set(BL_ENOMEM, "postings writer: no memory for a bitmap of %u "
                            "documents", w->doc_count);
    w->in_term = 1;
    w->with_positions = with_positions;
    w->want = ndocs;
    w->ndocs = w->npend = 0;
    w->pend_pos_n = 0;
    w->prev_last = 0;
    w->total = 0;
    w->pos_off = bl_filewriter_offset(w->pos);
    w->pos_bytes = 0;
    w->max_tf = 0;
    w->min_len = UINT32_MAX;
    w->front_n = 0;
    bl_buf_clear(&w->lasts);
    bl_buf_clear(&w->doc_ends);
    bl_buf_clear(&w->pos_ends);
    bl_buf_clear(&w->bounds);
    bl_buf_clear(&w->blocks);
    return 0;
}

/* Encodes one block of the open term: m postings d, f with their
 * documents' lengths lens, and (with positions) their npos positions, doc
 * after doc. The doc-id and impact data stay in w's buffers until
 * term_end; the positions go to the .pos file now. */
static int put_block(bl_postings_writer *w, const uint32_t *d, const uint32_t *f,
                     const uint32_t *lens, uint32_t m, const uint32_t *pos, uint64_t npos,
                     int pos_are_gaps)
{
    const bl_codec *c = w->codec;
    uint32_t tmp[BL_BLOCK_SIZE];
    bl_impact front[BL_BLOCK_SIZE];
    uint8_t enc[BL_IMPACTS_MAX_BYTES];
    uint32_t b = (uint32_t)(w->lasts.len / 4);

    memcpy(tmp, d, m * sizeof *tmp);
    bl_delta_encode(tmp, m, b ? w->prev_last + 1 : 0);
    if (put_runs(c, &w->blocks, tmp, m))
        return BL_ENOMEM;
    for (uint32_t j = 0; j < m; j++)
        tmp[j] = f[j] - 1;
    if (put_runs(c, &w->blocks, tmp, m))
        return BL_ENOMEM;
    if (w->dense)
        for (uint32_t j = 0; j < m; j++)
            w->bitmap[d[j] >> 3] |= (uint8_t)(1u << (d[j] & 7));

    /* impacts: the whole front joins the term's, the capped one is
     * stored; its ends are the block's corner */
    size_t nf = block_front(f, lens, m, front);
    if (grow_term_front(w, front, nf))
        return BL_ENOMEM;
    nf = bl_impacts_cap(front, nf, BL_IMPACTS_MAX);
    uint32_t max_tf = front[nf - 1].tf, min_len = front[0].len;
    /* (a list of one block has the term's impacts only) */
    size_t imp_len = 0;
    if (w->want > BL_BLOCK_SIZE) {
        imp_len = bl_impacts_encode(front, nf, enc);
        if (bl_buf_append(&w->blocks, enc, imp_len))
            return BL_ENOMEM;
    }

    /* positions: each doc's as gaps, the block's as runs of 128 */
    if (pos) {
        if (!pos_are_gaps) {
            if (reserve_u32(&w->gaps, &w->gaps_cap, npos))
                return BL_ENOMEM;
            memcpy(w->gaps, pos, npos * sizeof *pos);
            for (uint64_t k = 0, j = 0; j < m; k += f[j], j++)
                bl_delta_encode(w->gaps + k, f[j], 0);
            pos = w->gaps;
        }
        bl_buf_clear(&w->positions);
        if (put_runs(c, &w->positions, pos, npos))
            return BL_ENOMEM;
        w->pos_bytes += w->positions.len;
    }

    if (w->blocks.len > UINT32_MAX || w->pos_bytes > UINT32_MAX)
        return bl_error_set(BL_ETOOBIG, "postings writer: a list of %u documents takes "
                            "over 4 GiB", w->want);
    if (pos) {
        int rc = bl_filewriter_write(w->pos, w->positions.data, w->positions.len);
        if (rc)
            return rc;
    }
    uint32_t last = d[m - 1];
    uint8_t bound[BOUND_BYTES] = {(uint8_t)imp_len};
    uint16_t tf16 = bound_u16(max_tf), len16 = bound_u16(min_len);
    bound[1] = (uint8_t)tf16;
    bound[2] = (uint8_t)(tf16 >> 8);
    bound[3] = (uint8_t)len16;
    bound[4] = (uint8_t)(len16 >> 8);
    if (bl_buf_put_u32le(&w->lasts, last) ||
        bl_buf_put_u32le(&w->doc_ends, (uint32_t)w->blocks.len) ||
        (w->with_positions && bl_buf_put_u32le(&w->pos_ends, (uint32_t)w->pos_bytes)) ||
        bl_buf_append(&w->bounds, bound, sizeof bound))
        return BL_ENOMEM;
    w->prev_last = last;
    w->max_tf = max_tf > w->max_tf ? max_tf : w->max_tf;
    w->min_len = min_len < w->min_len ? min_len : w->min_len;
    return 0;
}

/* Writes the padding and the bitmap of a dense list (whose term impacts
 * were just written) from w->bitmap, then zeroes it for the next list (a
 * dense list sets at least 1 bit in dense_ratio, so clearing all is no
 * dearer than clearing its bits). The bitmap is built as bytes, bit d % 8
 * of byte d / 8: the same bits as little-endian u64 words on any host. */
static int write_bitmap(bl_postings_writer *w)
{
    static const uint8_t zeros[8];
    size_t bytes = bitmap_bytes(w);
    size_t pad = (size_t)(-bl_filewriter_offset(w->docs) & 7);
    int rc = bl_filewriter_write(w->docs, zeros, pad);
    if (!rc)
        rc = bl_filewriter_write(w->docs, w->bitmap, bytes);
    memset(w->bitmap, 0, bytes);
    return rc;
}

/* Writes the open term's .doc data and fills *info. */
static int term_end(bl_postings_writer *w, bl_terminfo *info)
{
    int rc = 0;
    size_t nt = bl_impacts_cap(w->front, w->front_n, BL_IMPACTS_MAX);
    w->term_impacts_len = bl_impacts_encode(w->front, nt, w->term_impacts);
    uint64_t doc_off = bl_filewriter_offset(w->docs);
    /* (a list of one posting has its impacts in the dictionary) */
    if (w->ndocs > 1)
        rc = bl_filewriter_write(w->docs, w->term_impacts, w->term_impacts_len);
    if (!rc && w->dense)
        rc = write_bitmap(w);
    if (!rc && w->ndocs > BL_BLOCK_SIZE) {
        rc = bl_filewriter_write(w->docs, w->lasts.data, w->lasts.len);
        if (!rc)
            rc = bl_filewriter_write(w->docs, w->doc_ends.data, w->doc_ends.len);
        if (!rc)
            rc = bl_filewriter_write(w->docs, w->pos_ends.data, w->pos_ends.len);
        if (!rc)
            rc = bl_filewriter_write(w->docs, w->bounds.data, w->bounds.len);
    }
    if (!rc)
        rc = bl_filewriter_write(w->docs, w->blocks.data, w->blocks.len);
    if (rc)
        return rc;
    w->in_term = 0;
    info->doc_freq = w->ndocs;
    info->total_freq = w->total;
    info->postings_offset = doc_off;
    info->positions_offset = w->pos_off;
    info->max_tf = w->max_tf;
    info->min_len = w->min_len;
    info->positionless = !w->with_positions;
    return 0;
}

/* Makes an error sticky: the files now hold part of a term. */
static int fail_writer(bl_postings_writer *w, int rc)
{
    if (rc == BL_ENOMEM)
        bl_error_set(rc, "postings writer: out of memory encoding %u docs", w->want);
    w->failed = rc;
    return rc;
}

int bl_postings_writer_add(bl_postings_writer *w, const uint32_t *docs,
                           const uint32_t *tfs, uint32_t ndocs,
                           const uint32_t *positions, const uint32_t *doc_lens,
                           bl_terminfo *info)
{
    if (w->failed)
        return w->failed;
    uint64_t total = 0;
    int rc = validate_input(docs, tfs, ndocs, positions, w->doc_count, &total);
    if (rc || (rc = term_begin(w, ndocs, positions != NULL)))
        return rc;
    uint32_t lens[BL_BLOCK_SIZE];
    const uint32_t *pos = positions;
    for (uint32_t start = 0; start < ndocs; start += BL_BLOCK_SIZE) {
        uint32_t m = ndocs - start < BL_BLOCK_SIZE ? ndocs - start : BL_BLOCK_SIZE;
        uint64_t npos = 0;
        for (uint32_t j = 0; j < m; j++) {
            lens[j] = doc_lens ? doc_lens[docs[start + j]] : 0;
            npos += tfs[start + j];
        }
        if ((rc = put_block(w, docs + start, tfs + start, lens, m, pos, npos, 0)))
            return fail_writer(w, rc);
        if (pos)
            pos += npos;
    }
    w->ndocs = ndocs;
    w->total = total;
    if ((rc = term_end(w, info)))
        return fail_writer(w, rc);
    return 0;
}

int bl_postings_writer_begin(bl_postings_writer *w, uint32_t ndocs, int with_positions)
{
    return term_begin(w, ndocs, with_positions);
}

int bl_postings_writer_push(bl_postings_writer *w, uint32_t doc, uint32_t tf,
                            const uint32_t *pos, uint32_t len)
{
    if (w->failed)
        return w->failed;
    if (!w->in_term)
        return fail_writer(w, bl_error_set(BL_EINVAL, "postings writer: push outside a term"));
    if (doc >= w->doc_count || (w->ndocs && doc <= w->last_doc) || tf == 0 ||
        w->ndocs == w->want || (w->with_positions && !pos))
        return fail_writer(w, bl_error_set(BL_EINVAL, "postings writer: posting %u of %u "
                                           "(doc %u, tf %u) out of order or range",
                                           w->ndocs, w->want, doc, tf));
    if (w->with_positions) {
        if (reserve_u32(&w->pend_pos, &w->pend_pos_cap, w->pend_pos_n + tf))
            return fail_writer(w, BL_ENOMEM);
        /* checked and kept as gaps (as stored), which push_gaps appends */
        uint32_t *gap = w->pend_pos + w->pend_pos_n;
        for (uint32_t k = 0; k < tf; k++) {
            if (pos[k] == UINT32_MAX || (k && pos[k] <= pos[k - 1]))
                return fail_writer(w, bl_error_set(BL_EINVAL, "postings writer: doc %u: "
                                                   "positions not increasing at %u", doc, k));
            gap[k] = k ? pos[k] - pos[k - 1] - 1 : pos[k];
        }
        w->pend_pos_n += tf;
    }
    w->pend_docs[w->npend] = doc;
    w->pend_tfs[w->npend] = tf;
    w->pend_lens[w->npend] = len;
    w->last_doc = doc;
    w->total += tf;
    w->ndocs++;
    if (++w->npend == BL_BLOCK_SIZE) {
        int rc = put_block(w, w->pend_docs, w->pend_tfs, w->pend_lens, w->npend,
                           w->with_positions ? w->pend_pos : NULL, w->pend_pos_n, 1);
        if (rc)
            return fail_writer(w, rc);
        w->npend = 0;
        w->pend_pos_n = 0;
    }
    return 0;
}

int bl_postings_writer_push_gaps(bl_postings_writer *w, const uint32_t *docs,
                                 const uint32_t *tfs, const uint32_t *lens,
                                 const uint32_t *gaps, uint32_t m)
{
    if (w->failed)
        return w->failed;
    if (!w->in_term)
        return fail_writer(w, bl_error_set(BL_EINVAL, "postings writer: push outside a term"));
    if (w->with_positions != (gaps != NULL) || m > w->want - w->ndocs)
        return fail_writer(w, bl_error_set(BL_EINVAL, "postings writer: %u postings %s "
                                           "positions after %u of %u", m,
                                           gaps ? "with" : "without", w->ndocs, w->want));
    for (uint32_t j = 0; j < m;) {
        /* as many as the block in the making takes */
        uint32_t room = BL_BLOCK_SIZE - w->npend, k = m - j < room ? m - j : room;
        uint64_t npos = 0;
        int after = w->ndocs > 0; /* a doc must come after prev */
        uint32_t prev = w->last_doc;
        for (uint32_t x = j; x < j + k; x++) {
            uint32_t doc = docs[x], tf = tfs[x];
            if (doc >= w->doc_count || (after && doc <= prev) || tf == 0)
                return fail_writer(w, bl_error_set(BL_EINVAL, "postings writer: posting %u "
                                                   "of %u (doc %u, tf %u) out of order or "
                                                   "range", w->ndocs + (x - j), w->want, doc,
                                                   tf));
            npos += tf;
            prev = doc;
            after = 1;
        }
        if (gaps) {
            /* a document's last position is at most all the gaps plus their
             * count: only when that passes does each document need a look */
            uint64_t sum = npos;
            for (uint64_t q = 0; q < npos; q++)
                sum += gaps[q];
            for (uint64_t at = 0, x = j; sum >= UINT32_MAX && x < j + k; at += tfs[x], x++) {
                uint64_t p = gaps[at];
                for (uint32_t q = 1; q < tfs[x]; q++)
                    p += (uint64_t)gaps[at + q] + 1;
                if (p >= UINT32_MAX)
                    return fail_writer(w, bl_error_set(BL_EINVAL, "postings writer: doc %u: "
                                                       "positions pass %u", docs[x],
                                                       UINT32_MAX - 1));
            }
            if (reserve_u32(&w->pend_pos, &w->pend_pos_cap, w->pend_pos_n + npos))
                return fail_writer(w, BL_ENOMEM);
            memcpy(w->pend_pos + w->pend_pos_n, gaps, npos * sizeof *gaps);
            w->pend_pos_n += npos;
            gaps += npos;
        }
        memcpy(w->pend_docs + w->npend, docs + j, k * sizeof *docs);
        memcpy(w->pend_tfs + w->npend, tfs + j, k * sizeof *tfs);
        if (lens)
            memcpy(w->pend_lens + w->npend, lens + j, k * sizeof *lens);
        else
            memset(w->pend_lens + w->npend, 0, k * sizeof *lens);
        w->npend += k;
        w->last_doc = docs[j + k - 1];
        w->total += npos;
        w->ndocs += k;
        if (w->npend == BL_BLOCK_SIZE) {
            int rc = put_block(w, w->pend_docs, w->pend_tfs, w->pend_lens, w->npend,
                               gaps ? w->pend_pos : NULL, w->pend_pos_n, 1);
            if (rc)
                return fail_writer(w, rc);
            w->npend = 0;
            w->pend_pos_n = 0;
        }
        j += k;
    }
    return 0;
}

int bl_postings_writer_end(bl_postings_writer *w, bl_terminfo *info)
{
    if (w->failed)
        return w->failed;
    if (!w->in_term || w->ndocs != w->want)
        return fail_writer(w, bl_error_set(BL_EINVAL, "postings writer: a term announced "
                                           "with %u documents ends after %u", w->want,
                                           w->ndocs));
    int rc = 0;
    if (w->npend)
        rc = put_block(w, w->pend_docs, w->pend_tfs, w->pend_lens, w->npend,
                       w->with_positions ? w->pend_pos : NULL, w->pend_pos_n, 1);
    w->npend = 0;
    w->pend_pos_n = 0;
    if (rc || (rc = term_end(w, info)))
        return fail_writer(w, rc);
    return 0;
}

int bl_postings_writer_finish(bl_postings_writer *w)
{
    int rc = w->failed;
    if (rc) {
        bl_filewriter_abort(w->docs);
        bl_filewriter_abort(w->pos);
    } else {
        rc = bl_filewriter_commit(w->docs);
        if (rc) {
            bl_filewriter_abort(w->pos);
        } else {
            rc = bl_filewriter_commit(w->pos);
        }
    }
    writer_free(w);
    return rc;
}

void bl_postings_writer_abort(bl_postings_writer *w)
{
    if (!w)
        return;
    bl_filewriter_abort(w->docs);
    bl_filewriter_abort(w->pos);
    writer_free(w);
}

/* ---------------------------------------------------------------- reader */

struct bl_postings {
    bl_mapped docs;
    bl_mapped pos;
    const bl_codec *codec;
    uint32_t doc_count; /* every doc id must be below it */
    uint32_t dense_ratio; /* with doc_count, says which lists are dense */
};

int bl_postings_open(bl_postings **out, const char *doc_path, const char *pos_path,
                     uint32_t doc_count, uint32_t dense_ratio, uint32_t codec, int verify)
{
    const bl_codec *c = bl_codec_get(codec);
    if (!c)
        return bl_error_set(BL_EVERSION, "%s: written with block codec %u, which this byline "
                            "does not know", doc_path, codec);
    bl_postings *p = calloc(1, sizeof *p);
    if (!p)
        return BL_ENOMEM;
    p->doc_count = doc_count;
    p->dense_ratio = dense_ratio;
    p->codec = c;
    int rc = bl_file_map(&p->docs, doc_path, BL_KIND_DOCS, verify);
    if (!rc)
        rc = bl_file_map(&p->pos, pos_path, BL_KIND_POSITIONS, verify);
    if (rc) {
        bl_postings_close(p);
        return rc;
    }
    *out = p;
    return 0;
}

const bl_mapped *bl_postings_docs_file(const bl_postings *p) { return &p->docs; }
const bl_mapped *bl_postings_positions_file(const bl_postings *p) { return &p->pos; }
const bl_codec *bl_postings_codec(const bl_postings *p) { return p->codec; }

void bl_postings_close(bl_postings *p)
{
    if (!p)
        return;
    bl_file_unmap(&p->docs);
    bl_file_unmap(&p->pos);
    free(p);
}

uint64_t bl_postings_docs_bytes(const bl_postings *p) { return p->docs.len; }
uint64_t bl_postings_positions_bytes(const bl_postings *p) { return p->pos.len; }

#define NO_BLOCK UINT32_MAX

/* Checks the last doc of block b (decoded from off) against the skip data
 * (lasts, the mapped last-doc array of a multi-block list, or NULL) and
 * the segment's size. */
static int check_last_doc(const bl_postings *p, const uint8_t *lasts, uint32_t b, uint32_t last,
                          uint64_t off)
{
    const bl_mapped *f = &p->docs;
    uint32_t want = lasts ? bl_get_u32le(lasts + 4 * (size_t)b) : last;
    if (last != want)
        return corrupt(f, off, "block %u ends at doc %u, skip data says %u", b, last, want);
    /* Ids index per-document arrays (lengths, stored docs, bitmaps): one
     * compare per block keeps a damaged list from reading outside them. */
    if (last >= p->doc_count)
        return corrupt(f, off, "block %u: doc id %u, but the segment has %u documents", b,
                       last, p->doc_count);
    return 0;
}

struct bl_posting_iter {
    bl_docset ds;           /* first: the iterator is a docset */
    /* hot: next() and seek() */
    uint32_t i;             /* index of the current doc in docs[] */
    uint32_t m;             /* postings in the current block (0 at the end) */
    uint32_t block;         /* current block */
    uint32_t nblocks;
    const uint8_t *lasts;   /* mapped last-doc array (nblocks > 1), or NULL */
    uint32_t tfs_block;     /* block whose tfs tfs[] holds, NO_BLOCK if none */
    /* cold: block decoding, positions, block-max data */
    uint64_t tf_off;        /* .doc offset of the current block's tf run */
    const bl_postings *p;
    const bl_codec *codec;
    const uint8_t *doc_ends; /* mapped skip data (nblocks > 1): block ends, */
    const uint8_t *pos_ends; /* position ends (NULL without positions), */
    const uint8_t *bounds;   /* bounds */
    uint64_t blocks_at;     /* .doc offset of block 0 */
    uint32_t term_nimp;     /* the term's impacts (term_imp), decoded when opened */
    uint64_t pos_at;        /* .pos offset of the term's positions */
    uint32_t last_m;        /* postings in the last block */
    uint32_t term_max_tf, term_min_len;
    uint64_t imp_end;       /* .doc offset where the term's impacts end */
    uint64_t bitmap_at;     /* .doc offset of a dense list's bitmap ... */
    int dense;              /* ... when this is set (it may be at 0) */
    int positionless;       /* the list has no positions (bl_terminfo) */
    /* the current block: its regions and block-max data */
    uint64_t doc_lo, doc_hi;    /* .doc bytes of the block */
    uint64_t pos_lo, pos_hi;    /* .pos bytes of its positions */
    uint32_t blk_max_tf, blk_min_len;
    /* positions of the current block, decoded per document */
    uint32_t pos_block;     /* block pos_start[] belongs to, NO_BLOCK if none */
    uint64_t hop_run;       /* a run whose start is known ... */
    uint64_t hop_off;       /* ... at this .pos offset */
    size_t hop_bytes;       /* its size once checked, else 0 */
    int full_decode;        /* decode whole runs (check: every bit checked) */
    uint64_t run_cached;    /* run whose values run_vals holds, UINT64_MAX if none */
    uint32_t *pos;          /* the current doc's positions */
    size_t pos_cap;
    /* bl_posting_iter_tf_at: the bitmap (NULL until first used), the
     * count of its set bits before word rank_w (rank_ok: known), and the
     * block whose tf run tfa_run points at (NO_BLOCK: none) */
    const uint64_t *tfa_words;
    uint32_t rank_w;
    int rank_ok;
    uint64_t rank_n;
    uint32_t tfa_block, tfa_m;
    const uint8_t *tfa_run;
    /* The arrays last: opening an iterator zeroes only what comes before
     * docs (short lists are opened by the thousand), the arrays are
     * written before they are read. */
    uint32_t docs[BL_BLOCK_SIZE];
    uint32_t tfs[BL_BLOCK_SIZE];
    bl_impact term_imp[BL_IMPACTS_MAX];
    uint32_t pos_start[BL_BLOCK_SIZE + 1]; /* prefix sums of tfs */
    uint32_t run_vals[BL_BLOCK_SIZE];
};

static uint32_t set_end(bl_posting_iter *it)
{
    it->ds.doc = BL_DOC_END;
    it->i = 0;
    it->m = 0;
    it->block = it->nblocks;
    return BL_DOC_END;
}

/* Records the first error in the docset and ends it. */
static uint32_t fail_iter(bl_posting_iter *it, int rc)
{
    if (!it->ds.err)
        it->ds.err = rc;
    return set_end(it);
}

static inline uint32_t block_len(const bl_posting_iter *it, uint32_t b)
{
    return b + 1 < it->nblocks ? BL_BLOCK_SIZE : it->last_m;
}

static inline uint32_t last_doc(const bl_posting_iter *it, uint32_t b)
{
    return bl_get_u32le(it->lasts + 4 * (size_t)b);
}

/* Block b's end in bytes from block 0's start (its impacts included). */
static inline uint32_t doc_end(const bl_posting_iter *it, uint32_t b)
{
    return bl_get_u32le(it->doc_ends + 4 * (size_t)b);
}

/* Block b's positions' end from the term's first (0 without positions). */
static inline uint32_t pos_end(const bl_posting_iter *it, uint32_t b)
{
    return it->pos_ends ? bl_get_u32le(it->pos_ends + 4 * (size_t)b) : 0;
}

/* Bytes of block b's impacts, the last of the block. */
static inline uint32_t imp_len(const bl_posting_iter *it, uint32_t b)
{
    return it->bounds[BOUND_BYTES * (size_t)b];
}

/* Block b's corner: its highest tf (UINT32_MAX when saturated: no bound)
 * and its shortest length (saturated from above: still a bound). */
static inline uint32_t bound_max_tf(const bl_posting_iter *it, uint32_t b)
{
    const uint8_t *q = it->bounds + BOUND_BYTES * (size_t)b + 1;
    return bound_tf_read((uint32_t)q[0] | (uint32_t)q[1] << 8);
}

static inline uint32_t bound_min_len(const bl_posting_iter *it, uint32_t b)
{
    const uint8_t *q = it->bounds + BOUND_BYTES * (size_t)b + 3;
    return (uint32_t)q[0] | (uint32_t)q[1] << 8;
}

/* .doc offset of block b's doc_end, to name damage found through it. */
static inline uint64_t entry_offset(const bl_posting_iter *it, uint32_t b)
{
    return (uint64_t)(it->doc_ends - it->p->docs.data) + 4 * (uint64_t)b;
}

/* Turns decoded tf - 1 values into tfs. Errors: BL_ECORRUPT (a tf would
 * wrap to 0). */
static int tfs_plus_one(const bl_posting_iter *it, uint32_t b, uint32_t *tfs, uint32_t m,
                        uint64_t off)
{
    uint32_t bad = 0, j = 0;
#ifdef __SSE2__
    /* four at a time: a block's tfs are decoded for every scored posting */
    const __m128i one = _mm_set1_epi32(1), zero = _mm_setzero_si128();
    __m128i wrapped = zero;
    for (; j + 4 <= m; j += 4) {
        __m128i t = _mm_add_epi32(_mm_loadu_si128((const __m128i *)(tfs + j)), one);
        wrapped = _mm_or_si128(wrapped, _mm_cmpeq_epi32(t, zero));
        _mm_storeu_si128((__m128i *)(tfs + j), t);
    }
    bad = (uint32_t)_mm_movemask_epi8(wrapped);
#endif
    for (; j < m; j++) {
        uint32_t t = tfs[j] + 1;
        bad |= (t == 0);
        tfs[j] = t;
    }
    return bad ? corrupt(&it->p->docs, off, "block %u: term frequency overflows", b) : 0;
}

/* Finds and checks the .doc bytes of block b of a multi-block list from
 * its skip arrays doc_ends and bounds (in df, bounded and touched whole)
 * and where its blocks start: its runs are [*lo, *mid), its impacts [*mid,
 * *hi). The one check of a block's extent, for iterators and counts.
 * Errors: BL_ECORRUPT. */
static inline int skip_block_span(const bl_mapped *df, const uint8_t *doc_ends,
                                  const uint8_t *bounds, uint64_t blocks_at, uint32_t b,
                                  uint64_t *lo, uint64_t *mid, uint64_t *hi)
{
    uint64_t dlo = b ? bl_get_u32le(doc_ends + 4 * (size_t)(b - 1)) : 0;
    uint64_t dhi = bl_get_u32le(doc_ends + 4 * (size_t)b);
    uint64_t ilen = bounds[BOUND_BYTES * (size_t)b];
    if (dhi <= dlo + ilen || blocks_at + dhi > df->len || ilen == 0)
        return corrupt(df, (uint64_t)(doc_ends - df->data) + 4 * (uint64_t)b,
                       "skip entry %u: block bytes %llu..%llu (%llu of impacts) do not fit "
                       "the file", b, (unsigned long long)dlo, (unsigned long long)dhi,
                       (unsigned long long)ilen);
    *lo = blocks_at + dlo;
    *mid = blocks_at + dhi - ilen;
    *hi = blocks_at + dhi;
    return 0;
}

/* skip_block_span for an iterator's list. */
static inline int block_bytes(const bl_posting_iter *it, uint32_t b, uint64_t *lo,
                              uint64_t *mid, uint64_t *hi)
{
    return skip_block_span(&it->p->docs, it->doc_ends, it->bounds, it->blocks_at, b, lo, mid,
                           hi);
}

/* The runs of block b: .doc bytes [*lo, *hi). */
static inline int block_doc_bytes(const bl_posting_iter *it, uint32_t b, uint64_t *lo, uint64_t *hi)
{
    uint64_t end;
    return block_bytes(it, b, lo, hi, &end);
}

/* Block b's impacts: .doc bytes [*lo, *hi), touched. Errors: BL_ECORRUPT. */
static int impacts_range(const bl_posting_iter *it, uint32_t b, uint64_t *lo, uint64_t *hi)
{
    uint64_t start;
    int rc = block_bytes(it, b, &start, lo, hi);
    return rc ? rc : bl_mapped_touch(&it->p->docs, *lo, *hi - *lo);
}

/* Finds and checks the .doc and .pos regions of block b of a multi-block
 * list from its skip data. */
static int block_regions(bl_posting_iter *it, uint32_t b)
{
    const bl_mapped *df = &it->p->docs, *pf = &it->p->pos;
    uint64_t plo, phi, dlo = 0, dhi = 0, end = 0;
    int rc = block_bytes(it, b, &dlo, &dhi, &end);
    if (rc)
        return rc;
    plo = b ? pos_end(it, b - 1) : 0;
    phi = pos_end(it, b);
    if (!it->positionless && (phi <= plo || it->pos_at + phi > pf->len))
        return corrupt(df, (uint64_t)(it->pos_ends - df->data) + 4 * (uint64_t)b,
                       "skip entry %u: position bytes %llu..%llu do not fit %s", b,
                       (unsigned long long)plo, (unsigned long long)phi, pf->path);
    /* The block's impacts are only read by bounds, which fall back to no
     * bound when they are damaged: their pages are checked here too, so
     * the damage is reported rather than only costing speed. */
    if ((rc = bl_mapped_touch(df, dhi, end - dhi)) != 0)
        return rc;
    it->doc_lo = dlo;
    it->doc_hi = dhi;
    it->pos_lo = it->pos_at + plo;
    it->pos_hi = it->pos_at + phi;
    it->blk_max_tf = bound_max_tf(it, b);
    it->blk_min_len = bound_min_len(it, b);
    return 0;
}

/* Checks the last doc of block b (decoded from off) against the skip data
 * and the segment's size. */
static int check_block_end(const bl_posting_iter *it, uint32_t b, uint32_t last, uint64_t off)
{
    return check_last_doc(it->p, it->lasts, b, last, off);
}

/* Decodes block b's doc ids into docs (room for BL_BLOCK_SIZE), and its
 * tfs into tfs unless that is NULL (then only the tf run's size is read,
 * and *tf_off is where it starts, for decode_tfs). Regions come from
 * block_regions (for a single-block list: from the list's start to the
 * file's end). Checks the bytes used against the skip entry and the last
 * doc against it. Errors: BL_ECORRUPT with detail. */
static int decode_block_into(bl_posting_iter *it, uint32_t b, uint32_t *docs, uint32_t *tfs,
                             uint64_t *tf_off)
{
    const bl_mapped *f = &it->p->docs;
    const bl_codec *c = it->codec;
    uint32_t m = block_len(it, b);
    int rc;
    if (it->lasts && (rc = block_regions(it, b)) != 0)
        return rc;
    uint64_t off = it->doc_lo;
    size_t avail = (size_t)(it->doc_hi - off);
    /* A single-block list runs to the end of the file as far as anything
     * says; its block takes at most two runs. */
    size_t most = 2 * c->max_bytes(m);
    if ((rc = bl_mapped_touch(f, off, avail < most ? avail : most)) != 0)
        return rc;
    const uint8_t *in = f->data + off;
    uint32_t base = b ? last_doc(it, b - 1) + 1 : 0;
    size_t c1, c2;
    if (c->decode_delta1(in, avail, base, docs, m, &c1))
        return corrupt(f, off, "block %u: doc gaps do not decode", b);
    if (tfs ? c->decode(in + c1, avail - c1, tfs, m, &c2)
            : c->run_bytes(in + c1, avail - c1, m, &c2))
        return corrupt(f, off + c1, "block %u: term frequencies do not decode", b);
    if (it->lasts && c1 + c2 != avail)
        return corrupt(f, off, "block %u holds %zu bytes, skip entry says %zu", b, c1 + c2,
                       avail);
    if ((rc = check_block_end(it, b, docs[m - 1], off)) != 0)
        return rc;
    if (!it->lasts)
        it->doc_hi = off + c1 + c2; /* now known */
    *tf_off = off + c1;
    return tfs ? tfs_plus_one(it, b, tfs, m, off + c1) : 0;
}

/* Decodes block b (> 0) of a multi-block list into it->docs, its doc ids
 * only: for walks that need nothing else, the skip entry's other fields,
 * the positions' and impacts' regions and the tf run are not looked at.
 * Leaves it->block and the block's regions as they were. most: the
 * codec's max_bytes(BL_BLOCK_SIZE). Errors: BL_ECORRUPT. */
static inline int decode_block_docs(bl_posting_iter *it, uint32_t b, size_t most)
{
    const bl_mapped *f = &it->p->docs;
    const bl_codec *c = it->codec;
    uint32_t m = block_len(it, b);
    uint64_t lo = 0, hi = 0;
    int rc = block_doc_bytes(it, b, &lo, &hi);
    if (rc)
        return rc;
    size_t avail = (size_t)(hi - lo), used;
    if ((rc = bl_mapped_touch(f, lo, avail < most ? avail : most)) != 0)
        return rc;
    if (c->decode_delta1(f->data + lo, avail, last_doc(it, b - 1) + 1, it->docs, m, &used))
        return corrupt(f, lo, "block %u: doc gaps do not decode", b);
    return check_block_end(it, b, it->docs[m - 1], lo);
}

uint64_t bl_posting_iter_count_in(bl_posting_iter *it, const uint64_t *const *maps,
                                  size_t nmaps)
{
    if (it->ds.doc == BL_DOC_END)
        return 0;
    uint64_t n = bl_bitmap_count_docs(maps, nmaps, it->docs + it->i, it->m - it->i);
    size_t most = it->codec->max_bytes(BL_BLOCK_SIZE);
    for (uint32_t b = it->block + 1; b < it->nblocks; b++) {
        int rc = decode_block_docs(it, b, most);
        if (rc) {
            fail_iter(it, rc);
            return n;
        }
        n += bl_bitmap_count_docs(maps, nmaps, it->docs, block_len(it, b));
    }
    it->tfs_block = NO_BLOCK; /* docs[] no longer holds block it->block */
    set_end(it);
    return n;
}

/* Makes block b current. On error ends the iterator and records the error. */
static int load_block(bl_posting_iter *it, uint32_t b)
{
    /* tfs are decoded when first asked for: counting and intersecting
     * never need them */
    int rc = decode_block_into(it, b, it->docs, NULL, &it->tf_off);
    it->tfs_block = NO_BLOCK;
    if (rc) {
        fail_iter(it, rc);
        return rc;
    }
    it->block = b;
    it->m = block_len(it, b);
    it->i = 0;
    it->ds.doc = it->docs[0];
    return 0;
}

static __attribute__((noinline)) uint32_t next_block(bl_posting_iter *it)
{
    uint32_t b = it->block + 1;
    if (b >= it->nblocks)
        return set_end(it);
    if (load_block(it, b))
        return BL_DOC_END;
    return it->ds.doc;
}

static uint32_t iter_next(bl_docset *s)
{
    bl_posting_iter *it = (bl_posting_iter *)s;
    uint32_t i = it->i + 1;
    if (i < it->m) {
        it->i = i;
        return s->doc = it->docs[i];
    }
    return next_block(it);
}

size_t bl_gallop_u32(const uint32_t *a, size_t lo, size_t n, uint32_t target)
{
    size_t hi = lo, step = 1;
    while (hi < n && a[hi] < target) {
        lo = hi + 1;
        hi += step;
        step <<= 1;
    }
    if (hi > n)
        hi = n;
    /* a[0..lo) < target; hi == n or a[hi] >= target */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a[mid] < target)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* bl_gallop_u32 over the mapped little-endian last-doc array: the first
 * block b in [lo, nblocks) whose last doc is >= target, or nblocks. */
static uint32_t gallop_lasts(const bl_posting_iter *it, uint32_t lo, uint32_t target)
{
    uint32_t n = it->nblocks, hi = lo, step = 1;
    while (hi < n && last_doc(it, hi) < target) {
        lo = hi + 1;
        hi += step;
        step <<= 1;
    }
    if (hi > n)
        hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (last_doc(it, mid) < target)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* gallop_lasts from lo, or from the block bl_posting_iter_tf_at last read
 * when target is past the blocks before it: a scorer that reads tfs in
 * place leaves its iterator behind, and its bounds then ask for blocks
 * far ahead of the iterator's. */
static uint32_t find_block(const bl_posting_iter *it, uint32_t lo, uint32_t target)
{
    uint32_t h = it->tfa_block;
    if (h != NO_BLOCK && h > lo && last_doc(it, h - 1) < target)
        lo = h;
    return gallop_lasts(it, lo, target);
}

/* Index of the first of v[0..n) >= target; v[n-1] >= target, n >= 1.
 * Branchless: the same number of steps whatever the data. */
/* Groups of 8 docs count_below compares before it binary-searches. */
#define SCAN_GROUPS 2

static inline uint32_t lower_bound(const uint32_t *v, uint32_t n, uint32_t target)
{
    const uint32_t *base = v;
    while (n > 1) {
        uint32_t half = n / 2;
        base = base[half - 1] < target ? base + half : base;
        n -= half;
    }
    return (uint32_t)(base - v);
}

/* Docs of v[0..n) below target, v ascending. A leapfrog's target is
 * usually a few docs ahead, where a binary search pays a chain of
 * dependent loads and a mispredicted exit: so the first groups of 8 are
 * compared at once (SSE2, part of x86-64), and only a far target falls back
 * to the binary search. */
static inline uint32_t count_below(const uint32_t *v, uint32_t n, uint32_t target)
{
    uint32_t i = 0;
#ifdef __SSE2__
    const __m128i bias = _mm_set1_epi32(INT32_MIN); /* unsigned order as signed */
    const __m128i t = _mm_xor_si128(_mm_set1_epi32((int)target), bias);
    for (int group = 0; group < SCAN_GROUPS && i + 8 <= n; group++, i += 8) {
        __m128i lo = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(v + i)), bias);
        __m128i hi = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(v + i + 4)), bias);
        unsigned below = (unsigned)_mm_movemask_ps(_mm_castsi128_ps(_mm_cmpgt_epi32(t, lo))) |
                         (unsigned)_mm_movemask_ps(_mm_castsi128_ps(_mm_cmpgt_epi32(t, hi))) << 4;
        if (below != 0xff) /* ascending: the docs below target are a prefix */
            return i + (uint32_t)__builtin_ctz(~below);
    }
#endif
    return i + lower_bound(v + i, n - i, target);
}

static uint32_t iter_seek(bl_docset *s, uint32_t target)
{
    bl_posting_iter *it = (bl_posting_iter *)s;
    if (target <= s->doc)
        return s->doc; /* also covers BL_DOC_END */
    uint32_t from = it->i + 1;
    if (target > it->docs[it->m - 1]) {
        if (!it->lasts)
            return set_end(it);
        uint32_t b = gallop_lasts(it, it->block + 1, target);
        if (b >= it->nblocks)
            return set_end(it);
        if (load_block(it, b))
            return BL_DOC_END;
        if (it->docs[0] >= target)
            return s->doc;
        from = 1;
    } else if (it->docs[from] >= target) {
        it->i = from; /* the common leapfrog case: the very next doc */
        return s->doc = it->docs[from];
    }
    uint32_t i = from + count_below(it->docs + from, it->m - from, target);
    it->i = i;
    return s->doc = it->docs[i];
}

static void iter_free(bl_docset *s)
{
    bl_posting_iter *it = (bl_posting_iter *)s;
    free(it->pos);
    free(it);
}

static const bl_docset_ops iter_ops = {iter_next, iter_seek, iter_free};

uint32_t bl_posting_iter_next(bl_posting_iter *it) { return iter_next(&it->ds); }

uint32_t bl_posting_iter_seek(bl_posting_iter *it, uint32_t target)
{
    return iter_seek(&it->ds, target);
}

/* Where a multi-block list's skip data (at, nblocks blocks) lies in the
 * mapping: its last-doc array, block ends, position ends (NULL for a list
 * without positions) and bounds, and where its blocks start. Checks that
 * the skip data fits the file; each block's bytes are checked as they are
 * read. The skip data is searched by every seek: touched whole, once.
 * Errors: BL_ECORRUPT. */
static int locate_skips(const bl_mapped *df, const bl_terminfo *info, uint64_t at,
                        uint32_t nblocks, const uint8_t **lasts, const uint8_t **doc_ends,
                        const uint8_t **pos_ends, const uint8_t **bounds, uint64_t *blocks_at)
{
    uint64_t skip_bytes = (uint64_t)nblocks * BL_SKIP_ENTRY_BYTES(!info->positionless);
    if (skip_bytes > df->len - at)
        return corrupt(df, at,
                       "doc_freq %u needs %llu bytes of skip data, more than the file holds",
                       info->doc_freq, (unsigned long long)skip_bytes);
    int rc = bl_mapped_touch(df, at, skip_bytes);
    if (rc)
        return rc;
    *lasts = df->data + at;
    *doc_ends = *lasts + 4 * (size_t)nblocks;
    *pos_ends = info->positionless ? NULL : *doc_ends + 4 * (size_t)nblocks;
    *bounds = *doc_ends + (info->positionless ? 4 : 8) * (size_t)nblocks;
    *blocks_at = at + skip_bytes;
    return 0;
}

/* Points the iterator at a multi-block list's skip data in the mapping. */
static int map_skips(bl_posting_iter *it, const bl_terminfo *info, uint64_t at)
{
    return locate_skips(&it->p->docs, info, at, it->nblocks, &it->lasts, &it->doc_ends,
                        &it->pos_ends, &it->bounds, &it->blocks_at);
}

/* Decodes the term's impacts at the start of its list (at off, inside the
 * file) into v (room for BL_IMPACTS_MAX), *nv pairs; *after is where they
 * end. A list of one posting stores none: its one pair is the dictionary's
 * max_tf and min_len. Errors: BL_ECORRUPT. */
static int read_term_impacts(const bl_mapped *df, const bl_terminfo *info, bl_impact *v,
                             uint32_t *nv, uint64_t *after)
{
    uint64_t off = info->postings_offset;
    if (info->doc_freq == 1) {
        v[0] = (bl_impact){info->max_tf, info->min_len};
        *nv = 1;
        *after = off;
        return 0;
    }
    uint64_t left = df->len - off;
    size_t avail = left < BL_IMPACTS_MAX_BYTES ? (size_t)left : BL_IMPACTS_MAX_BYTES, used;
    int rc = bl_mapped_touch(df, off, avail);
    if (rc)
        return rc;
    if (bl_impacts_decode(df->data + off, avail, v, nv, &used))
        return corrupt(df, off, "the term's impacts do not decode");
    *after = off + used;
    return 0;
}

/* Where the bitmap of a dense list whose term impacts end at imp_end
 * starts: the next multiple of 8. Checks it fits the file (its pages are
 * touched when it is asked for). Errors: BL_ECORRUPT. */
static int locate_bitmap(const bl_postings *p, uint64_t imp_end, uint64_t *at)
{
    const bl_mapped *df = &p->docs;
    uint64_t start = (imp_end + 7) & ~(uint64_t)7;
    uint64_t bytes = (uint64_t)bl_postings_bitmap_words(p->doc_count) * 8;
    if (start > df->len || bytes > df->len - start)
        return corrupt(df, imp_end, "a dense list's %llu-byte bitmap runs past the end of the "
                       "file", (unsigned long long)bytes);
    *at = start;
    return 0;
}

/* The head of a list of n >= 1 postings: its term impacts into imp
 * (room for BL_IMPACTS_MAX, *nimp pairs), where they end (*imp_end), its
 * bitmap's offset if it has one (*bitmap_at, else 0), and where its skip
 * data or single block starts (*body_at). Errors: BL_ECORRUPT. */
static int list_head(const bl_postings *p, const bl_terminfo *info, bl_impact *imp,
                     uint32_t *nimp, uint64_t *imp_end, uint64_t *bitmap_at, uint64_t *body_at)
{
    const bl_mapped *df = &p->docs;
    *bitmap_at = 0;
    if (info->postings_offset >= df->len)
        return corrupt(df, info->postings_offset,
                       "term's postings start past the end of the file (%zu bytes)", df->len);
    int rc = read_term_impacts(df, info, imp, nimp, imp_end);
    *body_at = *imp_end;
    if (!rc && bl_postings_has_bitmap(info, p->doc_count, p->dense_ratio)) {
        rc = locate_bitmap(p, *imp_end, bitmap_at);
        *body_at = *bitmap_at + (uint64_t)bl_postings_bitmap_words(p->doc_count) * 8;
    }
    return rc;
}

/* Verifies the pages of the bitmap at and points *words at it. The body
 * starts a page-aligned mapping and at is a multiple of 8: the words are
 * aligned. Errors: BL_ECORRUPT. */
static int map_bitmap(const bl_postings *p, uint64_t at, const uint64_t **words,
                      uint32_t *nwords)
{
    uint32_t nw = bl_postings_bitmap_words(p->doc_count);
    int rc = bl_mapped_touch(&p->docs, at, (uint64_t)nw * 8);
    if (rc)
        return rc;
    *words = (const uint64_t *)(const void *)(p->docs.data + at);
    *nwords = nw;
    return 0;
}

int bl_postings_bitmap(const bl_postings *p, const bl_terminfo *info, const uint64_t **words,
                       uint32_t *nwords)
{
    *words = NULL;
    *nwords = 0;
    if (!bl_postings_has_bitmap(info, p->doc_count, p->dense_ratio))
        return 0;
    bl_impact v[BL_IMPACTS_MAX];
    uint32_t nv;
    uint64_t imp_end, at, body_at;
    int rc = list_head(p, info, v, &nv, &imp_end, &at, &body_at);
    return rc ? rc : map_bitmap(p, at, words, nwords);
}

int bl_posting_iter_has_bitmap(const bl_posting_iter *it) { return it->dense; }

int bl_posting_iter_bitmap(const bl_posting_iter *it, const uint64_t **words,
                           uint32_t *nwords)
{
    *words = NULL;
    *nwords = 0;
    return it->dense ? map_bitmap(it->p, it->bitmap_at, words, nwords) : 0;
}

int bl_posting_iter_new(const bl_postings *p, const bl_terminfo *info,
                        bl_posting_iter **out)
{
    uint32_t n = info->doc_freq;
    uint32_t nblocks = (uint32_t)(((uint64_t)n + BL_BLOCK_SIZE - 1) / BL_BLOCK_SIZE);
    const bl_mapped *df = &p->docs, *pf = &p->pos;

    /* a list without positions may start where the file ends */
    if (n && (info->positions_offset > pf->len ||
              (info->positions_offset == pf->len && !info->positionless)))
        return corrupt(pf, info->positions_offset,
                       "term's positions start past the end of the file (%zu bytes)", pf->len);

    bl_posting_iter *it = malloc(sizeof *it);
    if (!it)
        return bl_error_set(BL_ENOMEM, "postings: no memory for an iterator of %u docs", n);
    memset(it, 0, offsetof(bl_posting_iter, docs));
    it->ds.ops = &iter_ops;
    it->ds.cost = n;
    it->p = p;
    it->codec = p->codec;
    it->nblocks = nblocks;
    it->last_m = n - (nblocks ? (nblocks - 1) * BL_BLOCK_SIZE : 0);
    it->pos_block = NO_BLOCK;
    it->tfa_block = NO_BLOCK;
    it->run_cached = UINT64_MAX;
    it->pos_at = info->positions_offset;
    it->positionless = info->positionless != 0;
    /* 0 means "not recorded": no bound then (UINT32_MAX / 0 are safe). */
    it->term_max_tf = info->max_tf ? info->max_tf : UINT32_MAX;
    it->term_min_len = info->max_tf ? info->min_len : 0;
    if (nblocks == 0) {
        set_end(it);
        *out = it;
        return 0;
    }
    uint64_t list_at = 0;
    int rc = list_head(p, info, it->term_imp, &it->term_nimp, &it->imp_end, &it->bitmap_at,
                       &list_at);
    if (rc)
        goto fail;
    it->dense = bl_postings_has_bitmap(info, p->doc_count, p->dense_ratio);
    if (nblocks > 1) {
        if ((rc = map_skips(it, info, list_at)) != 0)
            goto fail;
    } else {
        it->blocks_at = list_at;
        it->doc_lo = list_at;
        it->doc_hi = df->len;
        it->pos_lo = info->positions_offset;
        it->pos_hi = pf->len;
        it->blk_max_tf = it->term_max_tf;
        it->blk_min_len = it->term_min_len;
    }
    if ((rc = load_block(it, 0)) != 0)
        goto fail;
    *out = it;
    return 0;
fail:
    free(it);
    return rc;
}

/* Decodes the current block's tfs. Errors: BL_ECORRUPT (the iterator
 * ends). */
static __attribute__((noinline)) int decode_tfs(bl_posting_iter *it)
{
    const bl_mapped *f = &it->p->docs;
    size_t avail = (size_t)(it->doc_hi - it->tf_off), used;
    int rc = 0;
    if (it->codec->decode(f->data + it->tf_off, avail, it->tfs, it->m, &used))
        rc = corrupt(f, it->tf_off, "block %u: term frequencies do not decode", it->block);
    if (!rc)
        rc = tfs_plus_one(it, it->block, it->tfs, it->m, it->tf_off);
    if (rc) {
        fail_iter(it, rc);
        return rc;
    }
    it->tfs_block = it->block;
    return 0;
}

uint32_t bl_posting_iter_freq(bl_posting_iter *it)
{
    if (it->tfs_block != it->block && decode_tfs(it))
        return 1; /* the iterator has ended; its err says why */
    return it->tfs[it->i];
}

int bl_posting_iter_has_tf_at(const bl_posting_iter *it)
{
    return it->dense && it->codec->get_range != NULL;
}

/* Block b's tf run, located for bl_posting_iter_tf_at: its doc-gap run is
 * hopped over by its size (never decoded), and both runs' sizes are
 * checked against the block's bytes. Errors: BL_ECORRUPT. */
static int tfa_locate(bl_posting_iter *it, uint32_t b)
{
    const bl_mapped *f = &it->p->docs;
    const bl_codec *c = it->codec;
    uint32_t m = block_len(it, b);
    uint64_t lo = it->blocks_at, hi = it->doc_hi;
    int rc;
    if (it->lasts && (rc = block_doc_bytes(it, b, &lo, &hi)) != 0)
        return rc;
    size_t avail = (size_t)(hi - lo), most = 2 * c->max_bytes(m), c1, c2;
    if ((rc = bl_mapped_touch(f, lo, avail < most ? avail : most)) != 0)
        return rc;
    const uint8_t *in = f->data + lo;
    if (c->run_bytes(in, avail, m, &c1) || c->run_bytes(in + c1, avail - c1, m, &c2))
        return corrupt(f, lo, "block %u: runs do not decode", b);
    if (it->lasts && c1 + c2 != avail)
        return corrupt(f, lo, "block %u holds %zu bytes, skip entry says %zu", b, c1 + c2,
                       avail);
    it->tfa_block = b;
    it->tfa_m = m;
    it->tfa_run = in + c1;
    return 0;
}

/* Set bits of a word below bit k. */
static inline uint64_t bits_below(uint64_t word, uint32_t k)
{
    return bl_popcount64(word & (((uint64_t)1 << k) - 1));
}

/* Words a rank count walks on from where it stopped before it starts
 * again from the block of the doc (found in the skip data) instead. */
#define RANK_WALK_WORDS 64

/* The rank of doc (set in the bitmap) among the list's docs: the set bits
 * before it. Counting goes on from the last call's word, so docs asked in
 * increasing order cost a popcount per 64 documents passed; a doc far
 * ahead (or behind) restarts from its block's first doc, whose rank is
 * 128 * block. */
static uint64_t tfa_rank(bl_posting_iter *it, uint32_t doc)
{
    const uint64_t *words = it->tfa_words;
    uint32_t w = doc >> 6;
    if (!it->rank_ok || w < it->rank_w || w - it->rank_w > RANK_WALK_WORDS) {
        uint32_t b = it->lasts ? find_block(it, 0, doc) : 0, start = 0;
        if (b >= it->nblocks)
            b = it->nblocks - 1; /* doc past the list: damage, caught by the caller */
        if (b)
            start = last_doc(it, b - 1) + 1;
        it->rank_w = start >> 6;
        it->rank_n = (uint64_t)b * BL_BLOCK_SIZE -
                     bits_below(bl_bitmap_word(words, it->rank_w), start & 63);
        it->rank_ok = 1;
        if (w < it->rank_w) /* doc before its block: damage */
            return UINT64_MAX;
    }
    for (; it->rank_w < w; it->rank_w++)
        it->rank_n += bl_popcount64(bl_bitmap_word(words, it->rank_w));
    return it->rank_n + bits_below(bl_bitmap_word(words, w), doc & 63);
}

int bl_posting_iter_tf_at(bl_posting_iter *it, uint32_t doc, uint32_t *tf)
{
    const bl_mapped *f = &it->p->docs;
    int rc;
    *tf = 1;
    if (it->ds.err)
        return it->ds.err;
    if (!bl_posting_iter_has_tf_at(it))
        return bl_error_set(BL_EINVAL, "%s: the list has no bitmap or its codec no random "
                            "access", f->path);
    if (!it->tfa_words) {
        uint32_t nw;
        if ((rc = map_bitmap(it->p, it->bitmap_at, &it->tfa_words, &nw)) != 0) {
            fail_iter(it, rc);
            return rc;
        }
    }
    if ((uint64_t)doc >= it->p->doc_count || !bl_bitmap_test(it->tfa_words, doc))
        return bl_error_set(BL_EINVAL, "%s: doc %u is not in the list", f->path, doc);
    uint64_t r = tfa_rank(it, doc);
    uint64_t n = (uint64_t)(it->nblocks - 1) * BL_BLOCK_SIZE + it->last_m;
    if (r >= n) {
        rc = corrupt(f, it->bitmap_at, "the bitmap holds more documents (by doc %u) than the "
                     "list's %llu", doc, (unsigned long long)n);
        fail_iter(it, rc);
        return rc;
    }
    uint32_t b = (uint32_t)(r / BL_BLOCK_SIZE);
    if (b != it->tfa_block && (rc = tfa_locate(it, b)) != 0) {
        fail_iter(it, rc);
        return rc;
    }
    uint32_t v;
    it->codec->get_range(it->tfa_run, it->tfa_m, (size_t)(r % BL_BLOCK_SIZE), 1, &v);
    if (v == UINT32_MAX) {
        rc = corrupt(f, (uint64_t)(it->tfa_run - f->data), "block %u: term frequency "
                     "overflows", b);
        fail_iter(it, rc);
        return rc;
    }
    *tf = v + 1;
    return 0;
}

/* Prepares per-document access to the current block's positions: prefix
 * sums of tfs, and the start of its first run. Errors: BL_ECORRUPT. */
static int start_positions(bl_posting_iter *it)
{
    const bl_mapped *f = &it->p->pos;
    /* pos_start[j + 1] = tfs[0] + ... + tfs[j]: as minus-one gaps from 1,
     * the SIMD prefix sum the doc ids use */
    it->pos_start[0] = 0;
    uint32_t j = 0;
#ifdef __SSE2__
    const __m128i one = _mm_set1_epi32(1);
    for (; j + 4 <= it->m; j += 4)
        _mm_storeu_si128((__m128i *)(it->pos_start + j + 1),
                         _mm_sub_epi32(_mm_loadu_si128((const __m128i *)(it->tfs + j)), one));
#endif
    for (; j < it->m; j++)
        it->pos_start[j + 1] = it->tfs[j] - 1;
    if (bl_prefix_sum1(it->pos_start + 1, it->m, 1))
        return corrupt(f, it->pos_lo, "block %u: more than %u positions", it->block,
                       UINT32_MAX - 1);
    uint64_t count = it->pos_start[it->m];
    /* a run of 128 values takes at least a byte: bounds counts read from a
     * damaged file before they size anything */
    if (count > (it->pos_hi - it->pos_lo) * BL_BLOCK_SIZE)
        return corrupt(f, it->pos_lo, "block %u: %llu positions cannot fit in %llu bytes",
                       it->block, (unsigned long long)count,
                       (unsigned long long)(it->pos_hi - it->pos_lo));
    it->pos_block = it->block;
    it->hop_run = 0;
    it->hop_off = it->pos_lo;
    it->hop_bytes = 0;
    it->run_cached = UINT64_MAX;
    return 0;
}

/* Values in run r of the current block's positions. */
static inline size_t run_len(const bl_posting_iter *it, uint64_t r)
{
    uint64_t total = it->pos_start[it->m], left = total - r * BL_BLOCK_SIZE;
    return left < BL_BLOCK_SIZE ? (size_t)left : BL_BLOCK_SIZE;
}

/* Finds run r of the current block's positions: hops over the runs before
 * it (from the last known run start, when that is not past r) and checks
 * r's own header, leaving hop_run = r, hop_off at its start and hop_bytes
 * its size. Errors: BL_ECORRUPT. */
static int locate_run(bl_posting_iter *it, uint64_t r)
{
    const bl_mapped *f = &it->p->pos;
    const bl_codec *c = it->codec;
    if (r < it->hop_run) {
        it->hop_run = 0;
        it->hop_off = it->pos_lo;
        it->hop_bytes = 0;
    } else if (r == it->hop_run && it->hop_bytes) {
        return 0;
    }
    for (;;) {
        size_t n = run_len(it, it->hop_run), avail = (size_t)(it->pos_hi - it->hop_off), bytes;
        size_t most = c->max_bytes(n);
        int rc = bl_mapped_touch(f, it->hop_off, avail < most ? avail : most);
        if (rc)
            return rc;
        if (c->run_bytes(f->data + it->hop_off, avail, n, &bytes))
            return corrupt(f, it->hop_off, "block %u: position run %llu runs past its end",
                           it->block, (unsigned long long)it->hop_run);
        if (it->hop_run == r) {
            it->hop_bytes = bytes;
            return 0;
        }
        it->hop_off += bytes;
        it->hop_run++;
    }
}

/* Decodes run r of the current block's positions into run_vals. Errors:
 * BL_ECORRUPT. */
static int load_run(bl_posting_iter *it, uint64_t r)
{
    const bl_mapped *f = &it->p->pos;
    int rc = locate_run(it, r);
    if (rc)
        return rc;
    size_t n = run_len(it, r), used;
    if (it->codec->decode(f->data + it->hop_off, it->hop_bytes, it->run_vals, n, &used))
        return corrupt(f, it->hop_off, "block %u: position run %llu does not decode",
                       it->block, (unsigned long long)r);
    /* the last run must end the block's positions exactly */
    if (it->lasts && (r + 1) * BL_BLOCK_SIZE >= it->pos_start[it->m] &&
        it->hop_off + used != it->pos_hi)
        return corrupt(f, it->hop_off, "block %u: positions end at %llu, skip entry says %llu",
                       it->block, (unsigned long long)(it->hop_off + used),
                       (unsigned long long)it->pos_hi);
    it->run_cached = r;
    return 0;
}

/* Fewer values than this from one run are read one by one (a bitpack run
 * gives random access) instead of decoding the run's 128. */
#define FEW_VALUES 8

/* Copies values [at, at + k) of run r (all inside it) to out. */
static int read_run_values(bl_posting_iter *it, uint64_t r, size_t at, size_t k, uint32_t *out)
{
    int rc;
    if (r != it->run_cached && k < FEW_VALUES && it->codec->get_range && !it->full_decode) {
        if ((rc = locate_run(it, r)) != 0)
            return rc;
        it->codec->get_range(it->p->pos.data + it->hop_off, run_len(it, r), at, k, out);
        return 0;
    }
    if (r != it->run_cached && (rc = load_run(it, r)) != 0)
        return rc;
    memcpy(out, it->run_vals + at, k * sizeof *out);
    return 0;
}

/* The common case of decode_doc_positions, kept lean for phrase checks:
 * a few positions inside one run that is not decoded whole, read by random
 * access and summed here. Returns 1 when done, 0 when the general path
 * must run, or an error. */
static int doc_positions_in_run(bl_posting_iter *it, uint32_t first, uint32_t tf)
{
    uint64_t r = first / BL_BLOCK_SIZE;
    size_t at = first % BL_BLOCK_SIZE;
    if (tf >= FEW_VALUES || tf > it->pos_cap || at + tf > BL_BLOCK_SIZE ||
        r == it->run_cached || !it->codec->get_range || it->full_decode)
        return 0;
    int rc;
    if (!(r == it->hop_run && it->hop_bytes) && (rc = locate_run(it, r)) != 0)
        return rc;
    uint32_t *v = it->pos;
    it->codec->get_range(it->p->pos.data + it->hop_off, run_len(it, r), at, tf, v);
    /* gaps minus one to positions; no position may reach UINT32_MAX */
    uint64_t p = v[0];
    v[0] = (uint32_t)p;
    for (uint32_t j = 1; j < tf; j++) {
        p += (uint64_t)v[j] + 1;
        v[j] = (uint32_t)p;
    }
    if (p >= UINT32_MAX)
        return corrupt(&it->p->pos, it->pos_lo, "block %u: position overflows in doc %u",
                       it->block, it->docs[it->i]);
    return 1;
}

/* Decodes the positions of the current doc into it->pos: only the runs
 * that hold them, and only its values of each. */
static int decode_doc_positions(bl_posting_iter *it, uint32_t *n)
{
    const bl_mapped *f = &it->p->pos;
    uint32_t first = it->pos_start[it->i], tf = it->tfs[it->i];
    int fast = doc_positions_in_run(it, first, tf);
    if (fast) {
        *n = tf;
        return fast < 0 ? fast : 0;
    }
    if (tf > it->pos_cap) {
        size_t cap = it->pos_cap ? it->pos_cap * 2 : 64;
        while (cap < tf)
            cap *= 2;
        uint32_t *np = realloc(it->pos, cap * sizeof *np);
        if (!np)
            return bl_error_set(BL_ENOMEM, "postings: no memory for %u positions", tf);
        it->pos = np;
        it->pos_cap = cap;
    }
    uint64_t at = first, end = (uint64_t)first + tf;
    while (at < end) {
        uint64_t r = at / BL_BLOCK_SIZE, run_end = (r + 1) * BL_BLOCK_SIZE;
        size_t k = (size_t)((end < run_end ? end : run_end) - at);
        int rc = read_run_values(it, r, (size_t)(at - r * BL_BLOCK_SIZE), k,
                                 it->pos + (at - first));
        if (rc)
            return rc;
        at += k;
    }
    if (bl_delta_decode(it->pos, tf, 0))
        return corrupt(f, it->pos_lo, "block %u: position overflows in doc %u", it->block,
                       it->docs[it->i]);
    *n = tf;
    return 0;
}

int bl_posting_iter_positions(bl_posting_iter *it, const uint32_t **pos, uint32_t *n)
{
    *pos = it->pos;
    *n = 0;
    if (it->ds.doc == BL_DOC_END)
        return it->ds.err;
    int rc = 0;
    if (it->positionless)
        rc = corrupt(&it->p->docs, it->doc_lo, "block %u: positions asked of a list that has "
                     "none", it->block);
    if (!rc && it->tfs_block != it->block)
        rc = decode_tfs(it);
    if (!rc && it->pos_block != it->block)
        rc = start_positions(it);
    if (!rc)
        rc = decode_doc_positions(it, n);
    if (rc) {
        *n = 0;
        fail_iter(it, rc);
        return rc;
    }
    *pos = it->pos;
    return 0;
}

uint32_t bl_posting_iter_block_all(bl_posting_iter *it, const uint32_t **docs,
                                   const uint32_t **tfs, const uint32_t **gaps)
{
    *docs = it->docs;
    *tfs = it->tfs;
    *gaps = NULL;
    if (it->ds.doc == BL_DOC_END)
        return 0;
    int rc = it->i ? bl_error_set(BL_EINVAL, "postings: a whole block asked of doc %u of "
                                  "block %u", it->i, it->block) : 0;
    if (!rc && it->tfs_block != it->block)
        rc = decode_tfs(it);
    if (!rc && !it->positionless && it->pos_block != it->block)
        rc = start_positions(it);
    uint64_t count = it->positionless || rc ? 0 : it->pos_start[it->m];
    if (!rc && count > it->pos_cap) {
        size_t cap = it->pos_cap ? it->pos_cap * 2 : 64;
        while (cap < count)
            cap *= 2;
        uint32_t *np = realloc(it->pos, cap * sizeof *np);
        if (!np)
            rc = bl_error_set(BL_ENOMEM, "postings: no memory for %llu positions",
                              (unsigned long long)count);
        else {
            it->pos = np;
            it->pos_cap = cap;
        }
    }
    /* every run whole, straight into the array: values as stored */
    for (uint64_t r = 0; !rc && r * BL_BLOCK_SIZE < count; r++) {
        size_t n = run_len(it, r);
        if (r == it->run_cached)
            memcpy(it->pos + r * BL_BLOCK_SIZE, it->run_vals, n * sizeof *it->pos);
        else if (!(rc = load_run(it, r)))
            memcpy(it->pos + r * BL_BLOCK_SIZE, it->run_vals, n * sizeof *it->pos);
    }
    if (rc) {
        fail_iter(it, rc);
        return 0;
    }
    if (!it->positionless)
        *gaps = it->pos;
    return it->m;
}

uint32_t bl_posting_iter_block_rest(const bl_posting_iter *it, const uint32_t **docs)
{
    *docs = it->docs + it->i;
    return it->ds.doc == BL_DOC_END ? 0 : it->m - it->i;
}

void bl_posting_iter_block_info(const bl_posting_iter *it, uint32_t *last,
                                uint32_t *max_tf, uint32_t *min_len)
{
    if (it->ds.doc == BL_DOC_END) {
        *last = BL_DOC_END;
        *max_tf = 0;
        *min_len = 0;
        return;
    }
    *last = it->docs[it->m - 1];
    *max_tf = it->blk_max_tf;
    *min_len = it->blk_min_len;
}

void bl_posting_iter_term_bound(const bl_posting_iter *it, uint32_t *max_tf, uint32_t *min_len)
{
    *max_tf = it->term_max_tf;
    *min_len = it->term_min_len;
}

void bl_posting_iter_shallow(const bl_posting_iter *it, uint32_t target, uint32_t *block_last,
                             uint32_t *max_tf, uint32_t *min_len)
{
    if (it->ds.doc == BL_DOC_END || target > (it->lasts ? last_doc(it, it->nblocks - 1)
                                                        : it->docs[it->m - 1])) {
        *block_last = BL_DOC_END;
        *max_tf = 0;
        *min_len = 0;
        return;
    }
    if (target <= it->docs[it->m - 1]) {
        bl_posting_iter_block_info(it, block_last, max_tf, min_len);
        return;
    }
    /* (the skip data was touched whole when the iterator opened) */
    uint32_t b = find_block(it, it->block + 1, target);
    *block_last = last_doc(it, b);
    *max_tf = bound_max_tf(it, b);
    *min_len = bound_min_len(it, b);
}

/* Reads block b's impacts from the mapping into out (room for
 * BL_IMPACTS_MAX). A single-block list's are the term's. Errors:
 * BL_ECORRUPT with detail (bad page, entries out of order or past the
 * area, a set that does not decode or does not fill its bytes). */
static int block_impacts(const bl_posting_iter *it, uint32_t b, bl_impact *out, uint32_t *n)
{
    if (!it->lasts) {
        memcpy(out, it->term_imp, it->term_nimp * sizeof *out);
        *n = it->term_nimp;
        return 0;
    }
    const bl_mapped *df = &it->p->docs;
    uint64_t lo = 0, hi = 0;
    int rc = impacts_range(it, b, &lo, &hi);
    if (rc)
        return rc;
    size_t used;
    if (bl_impacts_decode(df->data + lo, (size_t)(hi - lo), out, n, &used) || used != hi - lo)
        return corrupt(df, lo, "block %u: impacts do not decode", b);
    return 0;
}

void bl_posting_iter_shallow_impacts(const bl_posting_iter *it, uint32_t target,
                                     uint32_t *block_last, bl_impact *out, uint32_t *n)
{
    if (it->ds.doc == BL_DOC_END || target > (it->lasts ? last_doc(it, it->nblocks - 1)
                                                        : it->docs[it->m - 1])) {
        *block_last = BL_DOC_END;
        *n = 0;
        return;
    }
    uint32_t b = it->block;
    if (target > it->docs[it->m - 1])
        b = find_block(it, it->block + 1, target);
    *block_last = it->lasts ? last_doc(it, b) : it->docs[it->m - 1];
    if (block_impacts(it, b, out, n) != 0) {
        /* No bound can be trusted; the block's load will report it. */
        out[0] = (bl_impact){UINT32_MAX, 0};
        *n = 1;
    }
}

void bl_posting_iter_term_impacts(const bl_posting_iter *it, const bl_impact **out,
                                  uint32_t *n)
{
    *out = it->term_imp;
    *n = it->term_nimp;
}

/* ------------------------------------------------ counting, no iterator */

/* Counts the docs of block b (m ids from base, the codec's run at the .doc
 * bytes [lo, hi)) that are in words, checking its last doc as a load
 * does. Only the doc-id run is read. */
static inline int count_block(const bl_postings *p, const uint8_t *lasts, uint32_t b,
                              uint32_t m, uint32_t base, uint64_t lo, uint64_t hi,
                              const uint64_t *words, uint32_t nwords, uint64_t *count)
{
    const bl_mapped *f = &p->docs;
    size_t avail = (size_t)(hi - lo), most = p->codec->max_bytes(m), used;
    uint32_t last;
    int rc = bl_mapped_touch(f, lo, avail < most ? avail : most);
    if (rc)
        return rc;
    if (p->codec->count_delta1(f->data + lo, avail, base, words, nwords, m, &used, count, &last))
        return corrupt(f, lo, "block %u: doc gaps do not decode", b);
    return check_last_doc(p, lasts, b, last, lo);
}

/* bl_postings_count_in for a multi-block list whose skip data starts at
 * at: the skip data is read in place, as an iterator reads it (bounded,
 * touched whole), and each block's doc bytes come from its entry. */
static int count_blocks(const bl_postings *p, const bl_terminfo *info, uint64_t at,
                        uint32_t nblocks, const uint64_t *words, uint32_t nwords,
                        uint64_t *count)
{
    const bl_mapped *df = &p->docs;
    const uint8_t *lasts, *doc_ends, *pos_ends, *bounds;
    uint64_t blocks_at, n = 0;
    int rc = locate_skips(df, info, at, nblocks, &lasts, &doc_ends, &pos_ends, &bounds,
                          &blocks_at);
    if (rc)
        return rc;
    for (uint32_t b = 0; b < nblocks; b++) {
        /* the runs only: the block's impacts are its last imp_len bytes */
        uint64_t lo = 0, mid = 0, hi = 0;
        if ((rc = skip_block_span(df, doc_ends, bounds, blocks_at, b, &lo, &mid, &hi)) != 0)
            return rc;
        /* block b - 1's last doc was checked against this array: below
         * doc_count, so the base does not wrap */
        uint32_t base = b ? bl_get_u32le(lasts + 4 * (size_t)(b - 1)) + 1 : 0;
        uint32_t m = b + 1 < nblocks ? BL_BLOCK_SIZE
                                     : info->doc_freq - (nblocks - 1) * BL_BLOCK_SIZE;
        uint64_t c;
        if ((rc = count_block(p, lasts, b, m, base, lo, mid, words, nwords, &c)) != 0)
            return rc;
        n += c;
    }
    *count = n;
    return 0;
}

int bl_postings_count_in(const bl_postings *p, const bl_terminfo *info, const uint64_t *words,
                         uint32_t nwords, uint64_t *count)
{
    const bl_mapped *df = &p->docs;
    uint32_t n = info->doc_freq;
    uint32_t nblocks = (uint32_t)(((uint64_t)n + BL_BLOCK_SIZE - 1) / BL_BLOCK_SIZE);
    *count = 0;
    if (n == 0)
        return 0;
    /* The term's impacts are decoded only to find where they end. */
    bl_impact imp[BL_IMPACTS_MAX];
    uint32_t nimp;
    uint64_t imp_end, bitmap_at, at = 0;
    int rc = list_head(p, info, imp, &nimp, &imp_end, &bitmap_at, &at);
    if (rc)
        return rc;
    if (nblocks > 1)
        rc = count_blocks(p, info, at, nblocks, words, nwords, count);
    else /* one block, no skip data: it runs to the file's end as far as anything says */
        rc = count_block(p, NULL, 0, n, 0, at, df->len, words, nwords, count);
    if (rc)
        *count = 0;
    return rc;
}

int bl_postings_read_docs(const bl_postings *p, const bl_terminfo *info, uint32_t *docs,
                          uint32_t *tfs)
{
    bl_posting_iter *it;
    int rc = bl_posting_iter_new(p, info, &it);
    if (rc)
        return rc;
    if (it->nblocks) {
        memcpy(docs, it->docs, it->m * sizeof *docs);
        if (tfs && (rc = decode_tfs(it)) == 0)
            memcpy(tfs, it->tfs, it->m * sizeof *tfs);
    }
    uint64_t tf_off;
    for (uint32_t b = 1; b < it->nblocks && !rc; b++) {
        size_t at = (size_t)b * BL_BLOCK_SIZE;
        rc = decode_block_into(it, b, docs + at, tfs ? tfs + at : NULL, &tf_off);
    }
    iter_free(&it->ds);
    return rc;
}

/* .doc offset of block b's impacts (of the term's, for a single block). */
static uint64_t impacts_offset(const bl_posting_iter *it, const bl_terminfo *info, uint32_t b)
{
    if (!it->lasts)
        return info->postings_offset;
    uint64_t lo = 0, hi = 0;
    return impacts_range(it, b, &lo, &hi) ? info->postings_offset : lo;
}

/* A block's highest tf and shortest length as its skip data gives them
 * back (saturated, see BOUND_MAX). */
static uint32_t stored_max_tf(uint32_t tf) { return bound_tf_read(bound_u16(tf)); }
static uint32_t stored_min_len(uint32_t len) { return bound_u16(len); }

/* Whether x is one of v[0..n). */
static int holds(const uint32_t *v, uint32_t n, uint32_t x)
{
    for (uint32_t i = 0; i < n; i++)
        if (v[i] == x)
            return 1;
    return 0;
}

/* Checks the current block's impacts against its postings (tfs decoded;
 * lens[j] the length of docs[j] when len_of, else NULL): the corner
 * matches the skip entry, every posting is dominated by a pair (of the
 * block's set and of the term's: a pair too low would let pruning drop
 * hits), and every pair is made of a tf and a length of the block's
 * postings (a pair or a merged corner of pairs). */
static int check_block_impacts(const bl_posting_iter *it, const bl_terminfo *info,
                               const uint32_t *lens)
{
    const bl_mapped *df = &it->p->docs;
    uint32_t b = it->block, n;
    bl_impact v[BL_IMPACTS_MAX];
    int rc = block_impacts(it, b, v, &n);
    if (rc)
        return rc;
    uint64_t at = impacts_offset(it, info, b);
    if (it->lasts && (stored_max_tf(v[n - 1].tf) != it->blk_max_tf ||
                      stored_min_len(v[0].len) != it->blk_min_len))
        return corrupt(df, at, "block %u: impacts end at tf %u and start at length %u, "
                       "skip entry says %u and %u", b, v[n - 1].tf, v[0].len,
                       it->blk_max_tf, it->blk_min_len);
    for (uint32_t j = 0; j < it->m; j++) {
        uint32_t len = lens ? lens[j] : UINT32_MAX;
        if (!bl_impacts_dominate(v, n, it->tfs[j], len))
            return corrupt(df, at, "block %u: impacts are below doc %u's (tf %u, length %u)",
                           b, it->docs[j], it->tfs[j], len);
        if (lens && !bl_impacts_dominate(it->term_imp, it->term_nimp, it->tfs[j], len))
            return corrupt(df, info->postings_offset, "the term's impacts are below doc "
                           "%u's (tf %u, length %u)", it->docs[j], it->tfs[j], len);
    }
    for (uint32_t i = 0; i < n; i++)
        if (!holds(it->tfs, it->m, v[i].tf) || (lens && !holds(lens, it->m, v[i].len)))
            return corrupt(df, at, "block %u: impact (%u, %u) is no posting's", b, v[i].tf,
                           v[i].len);
    return 0;
}

/* A dense list's bitmap compared, word by word, with the doc ids the check
 * walks (increasing): word `at` must hold exactly the bits acc gathers. */
typedef struct {
    const uint64_t *words;
    uint32_t nwords;
    uint32_t at;
    uint64_t acc;
} bitmap_cmp;

/* Compares the words before `word` (then done) with the docs seen. */
static int bitmap_cmp_upto(const bl_posting_iter *it, bitmap_cmp *c, uint32_t word)
{
    for (; c->at < word; c->at++, c->acc = 0) {
        uint64_t got = bl_bitmap_word(c->words, c->at);
        if (got != c->acc)
            return corrupt(&it->p->docs, it->bitmap_at + 8 * (uint64_t)c->at,
                           "bitmap word %u is %016llx, the list's documents make %016llx "
                           "(docs %u..%u)", c->at, (unsigned long long)got,
                           (unsigned long long)c->acc, c->at * 64, c->at * 64 + 63);
    }
    return 0;
}

/* Starts comparing a dense list's bitmap: its padding must be zero. */
static int bitmap_cmp_start(const bl_posting_iter *it, bitmap_cmp *c)
{
    const bl_mapped *df = &it->p->docs;
    memset(c, 0, sizeof *c);
    int rc = bl_mapped_touch(df, it->imp_end, it->bitmap_at - it->imp_end);
    if (rc)
        return rc;
    for (uint64_t at = it->imp_end; at < it->bitmap_at; at++)
        if (df->data[at])
            return corrupt(df, at, "padding byte before a dense list's bitmap is %u, not 0",
                           df->data[at]);
    return bl_posting_iter_bitmap(it, &c->words, &c->nwords);
}

/* Adds the current block's docs (below the postings' doc_count, which
 * decoding checked) to the comparison. */
static int bitmap_cmp_block(const bl_posting_iter *it, bitmap_cmp *c)
{
    for (uint32_t j = 0; j < it->m; j++) {
        uint32_t d = it->docs[j];
        int rc = bitmap_cmp_upto(it, c, d >> 6);
        if (rc)
            return rc;
        c->acc |= (uint64_t)1 << (d & 63);
    }
    return 0;
}

int bl_postings_check_term(const bl_postings *p, const bl_terminfo *info,
                           uint32_t doc_count)
{
    return bl_postings_check_term_lens(p, info, doc_count, NULL, NULL);
}

int bl_postings_check_term_lens(const bl_postings *p, const bl_terminfo *info,
                                uint32_t doc_count, bl_doc_len_fn len_of, const void *ctx)
{
    const bl_mapped *df = &p->docs;
    if (info->doc_freq == 0)
        return corrupt(df, info->postings_offset, "term has doc_freq 0");
    bl_posting_iter *it;
    int rc = bl_posting_iter_new(p, info, &it);
    if (rc)
        return rc;
    uint64_t total = 0;
    uint32_t term_max_tf = 0, term_min_len = UINT32_MAX;
    bitmap_cmp bits = {0};
    if (it->dense && (rc = bitmap_cmp_start(it, &bits)) != 0)
        goto done;
    it->full_decode = 1;
    for (uint32_t b = 0; b < it->nblocks; b++) {
        if ((b && (rc = load_block(it, b)) != 0) || (rc = decode_tfs(it)) != 0)
            goto done;
        if (it->dense && (rc = bitmap_cmp_block(it, &bits)) != 0)
            goto done;
        uint32_t mt = 0;
        for (uint32_t j = 0; j < it->m; j++) {
            mt = it->tfs[j] > mt ? it->tfs[j] : mt;
            total += it->tfs[j];
        }
        term_max_tf = mt > term_max_tf ? mt : term_max_tf;
        if (it->docs[it->m - 1] >= doc_count) {
            rc = corrupt(df, it->doc_lo, "block %u: doc %u is not below doc count %u", b,
                         it->docs[it->m - 1], doc_count);
            goto done;
        }
        if (it->nblocks > 1 && stored_max_tf(mt) != it->blk_max_tf) {
            rc = corrupt(df, it->doc_lo, "block %u: max tf is %u, skip entry says %u", b, mt,
                         it->blk_max_tf);
            goto done;
        }
        /* min_len bounds scores for pruning: one too high drops hits */
        uint32_t lens[BL_BLOCK_SIZE];
        if (len_of) {
            uint32_t ml = UINT32_MAX;
            for (uint32_t j = 0; j < it->m; j++) {
                uint32_t len = len_of(ctx, it->docs[j]);
                lens[j] = len;
                ml = len < ml ? len : ml;
            }
            term_min_len = ml < term_min_len ? ml : term_min_len;
            if (it->nblocks > 1 && stored_min_len(ml) != it->blk_min_len) {
                rc = corrupt(df, it->doc_lo, "block %u: min len is %u, skip entry says %u", b,
                             ml, it->blk_min_len);
                goto done;
            }
        }
        if ((rc = check_block_impacts(it, info, len_of ? lens : NULL)) != 0)
            goto done;
        /* every doc's positions decode, increase, and the runs end where
         * the skip entry says (a list without any has pos_end 0 in every
         * skip entry, which block_regions checked) */
        for (it->i = 0; !it->positionless && it->i < it->m; it->i++) {
            const uint32_t *pp;
            uint32_t n;
            if ((rc = bl_posting_iter_positions(it, &pp, &n)) != 0)
                goto done;
        }
        it->i = 0;
    }
    if (it->dense && (rc = bitmap_cmp_upto(it, &bits, bits.nwords)) != 0)
        goto done;
    if (total != info->total_freq)
        rc = corrupt(df, info->postings_offset,
                     "term frequencies add up to %llu, dictionary says %llu",
                     (unsigned long long)total, (unsigned long long)info->total_freq);
    else if (info->max_tf && term_max_tf != info->max_tf)
        rc = corrupt(df, info->postings_offset, "highest term frequency is %u, dictionary "
                     "says %u", term_max_tf, info->max_tf);
    else if (len_of && info->max_tf && term_min_len != info->min_len)
        rc = corrupt(df, info->postings_offset, "shortest document is %u tokens, dictionary "
                     "says %u", term_min_len, info->min_len);
    else if (it->term_imp[it->term_nimp - 1].tf != term_max_tf ||
             (len_of && it->term_imp[0].len != term_min_len))
        rc = corrupt(df, info->postings_offset, "the term's impacts end at tf %u and start "
                     "at length %u, its postings at %u and %u",
                     it->term_imp[it->term_nimp - 1].tf, it->term_imp[0].len, term_max_tf,
                     term_min_len);
done:
    iter_free(&it->ds);
    return rc;
}
