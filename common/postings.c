/* postings.c: doc-id/frequency lists (.doc) and positions (.pos).
 *
 * The on-disk grammar is at the top of postings.h. In short, per term:
 *
 *   .doc:  [skip{nblocks}] block{nblocks}     skips only when nblocks > 1
 *          skip  := last_doc_gap doc_bytes pos_bytes max_tf min_len (varints)
 *          block := doc_gaps:codec[m] tf_minus_1:codec[m]
 *   .pos:  per block, one codec run of sum(tf) position gaps
 *
 * The writer buffers one term's skips, blocks and positions in bl_bufs and
 * hands them to the two bl_filewriters. The reader maps both files; an
 * iterator decodes the skip table once into arrays (last doc, absolute .doc
 * and .pos offsets of every block, max_tf, min_len) and one block of doc ids
 * and tfs at a time. seek() gallops over the last-doc array, so any block
 * is reached without decoding the blocks before it. Positions are decoded
 * per block on first use, with prefix sums of tf giving each doc's slice.
 *
 * Every byte comes from a mapping of a file that may be damaged: each
 * decode is bounded by the region the skip table (or the end of the file)
 * gives it, and each offset is checked against the body size.
 */
#include "postings.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "codec.h"
#include "error.h"
#include "filefmt.h"

/* ---------------------------------------------------------------- writer */

struct bl_postings_writer {
    bl_filewriter *docs;
    bl_filewriter *pos;
    int failed;          /* sticky: first I/O error; only finish/abort after */
    bl_buf skips;        /* one term's skip table */
    bl_buf blocks;       /* one term's doc blocks */
    bl_buf positions;    /* one term's position runs */
    uint32_t *gaps;      /* position gaps of one block */
    size_t gaps_cap;
};

int bl_postings_writer_new(bl_postings_writer **out, const char *doc_path,
                           const char *pos_path)
{
    bl_postings_writer *w = calloc(1, sizeof *w);
    if (!w)
        return BL_ENOMEM;
    bl_buf_init(&w->skips);
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
    bl_buf_release(&w->skips);
    bl_buf_release(&w->blocks);
    bl_buf_release(&w->positions);
    free(w->gaps);
    free(w);
}

/* Checks one term's input; sets *total to sum(tfs). */
static int validate_input(const uint32_t *docs, const uint32_t *tfs, uint32_t ndocs,
                          const uint32_t *positions, uint64_t *total)
{
    if (ndocs == 0 || !docs || !tfs || !positions)
        return bl_error_set(BL_EINVAL, "postings writer: %s",
                            ndocs == 0 ? "empty list" : "NULL array");
    uint64_t sum = 0;
    for (uint32_t i = 0; i < ndocs; i++) {
        if (docs[i] == BL_DOC_END)
            return bl_error_set(BL_EINVAL, "postings writer: doc %u: id %u is reserved",
                                i, docs[i]);
        if (i && docs[i] <= docs[i - 1])
            return bl_error_set(BL_EINVAL,
                                "postings writer: doc ids not increasing at %u (%u after %u)",
                                i, docs[i], docs[i - 1]);
        if (tfs[i] == 0)
            return bl_error_set(BL_EINVAL, "postings writer: doc %u has tf 0", docs[i]);
        const uint32_t *p = positions + sum;
        for (uint32_t k = 0; k < tfs[i]; k++) {
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

/* Encodes the whole list into w->skips, w->blocks and w->positions. */
static int encode_list(bl_postings_writer *w, const uint32_t *docs, const uint32_t *tfs,
                       uint32_t ndocs, const uint32_t *positions, const uint32_t *doc_lens)
{
    uint32_t tmp[BL_BLOCK_SIZE];
    uint32_t nblocks = (uint32_t)(((uint64_t)ndocs + BL_BLOCK_SIZE - 1) / BL_BLOCK_SIZE);
    const uint32_t *pos = positions;
    uint32_t prev_last = 0;

    bl_buf_clear(&w->skips);
    bl_buf_clear(&w->blocks);
    bl_buf_clear(&w->positions);
    for (uint32_t b = 0; b < nblocks; b++) {
        uint32_t start = b * BL_BLOCK_SIZE;
        uint32_t m = ndocs - start < BL_BLOCK_SIZE ? ndocs - start : BL_BLOCK_SIZE;
        const uint32_t *d = docs + start, *f = tfs + start;

        /* doc gaps and tf - 1 */
        if (bl_buf_reserve(&w->blocks, 2 * bl_codec_max_bytes(m)))
            return BL_ENOMEM;
        size_t before = w->blocks.len;
        memcpy(tmp, d, m * sizeof *tmp);
        bl_delta_encode(tmp, m, b ? prev_last + 1 : 0);
        w->blocks.len += bl_codec_encode(tmp, m, w->blocks.data + w->blocks.len);
        uint32_t max_tf = 0, min_len = UINT32_MAX;
        uint64_t npos = 0;
        for (uint32_t j = 0; j < m; j++) {
            tmp[j] = f[j] - 1;
            npos += f[j];
            if (f[j] > max_tf)
                max_tf = f[j];
            uint32_t len = doc_lens ? doc_lens[d[j]] : 0;
            if (len < min_len)
                min_len = len;
        }
        w->blocks.len += bl_codec_encode(tmp, m, w->blocks.data + w->blocks.len);
        size_t doc_bytes = w->blocks.len - before;

        /* positions: one codec run of the block's gaps */
        if (npos > w->gaps_cap) {
            size_t cap = w->gaps_cap ? w->gaps_cap : 1024;
            while (cap < npos)
                cap *= 2;
            uint32_t *g = realloc(w->gaps, cap * sizeof *g);
            if (!g)
                return BL_ENOMEM;
            w->gaps = g;
            w->gaps_cap = cap;
        }
        memcpy(w->gaps, pos, npos * sizeof *pos);
        for (uint64_t k = 0, j = 0; j < m; k += f[j], j++)
            bl_delta_encode(w->gaps + k, f[j], 0);
        pos += npos;
        if (bl_buf_reserve(&w->positions, bl_codec_max_bytes(npos)))
            return BL_ENOMEM;
        size_t pos_bytes = bl_codec_encode(w->gaps, npos, w->positions.data + w->positions.len);
        w->positions.len += pos_bytes;

        uint32_t last = d[m - 1];
        if (nblocks > 1) {
            uint8_t e[5 * BL_VARINT_MAX], *q = e;
            q += bl_varint_encode(q, last - (b ? prev_last : 0));
            q += bl_varint_encode(q, doc_bytes);
            q += bl_varint_encode(q, pos_bytes);
            q += bl_varint_encode(q, max_tf);
            q += bl_varint_encode(q, min_len);
            if (bl_buf_append(&w->skips, e, (size_t)(q - e)))
                return BL_ENOMEM;
        }
        prev_last = last;
    }
    return 0;
}

int bl_postings_writer_add(bl_postings_writer *w, const uint32_t *docs,
                           const uint32_t *tfs, uint32_t ndocs,
                           const uint32_t *positions, const uint32_t *doc_lens,
                           bl_terminfo *info)
{
    if (w->failed)
        return w->failed;
    uint64_t total = 0;
    int rc = validate_input(docs, tfs, ndocs, positions, &total);
    if (rc)
        return rc;
    rc = encode_list(w, docs, tfs, ndocs, positions, doc_lens);
    if (rc)
        return bl_error_set(rc, "postings writer: out of memory encoding %u docs", ndocs);

    uint64_t doc_off = bl_filewriter_offset(w->docs);
    uint64_t pos_off = bl_filewriter_offset(w->pos);
    if (w->skips.len)
        rc = bl_filewriter_write(w->docs, w->skips.data, w->skips.len);
    if (!rc)
        rc = bl_filewriter_write(w->docs, w->blocks.data, w->blocks.len);
    if (!rc && w->positions.len)
        rc = bl_filewriter_write(w->pos, w->positions.data, w->positions.len);
    if (rc) {
        w->failed = rc;
        return rc;
    }
    info->doc_freq = ndocs;
    info->total_freq = total;
    info->postings_offset = doc_off;
    info->positions_offset = pos_off;
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
    uint32_t doc_count; /* every doc id must be below it */
};

int bl_postings_open(bl_postings **out, const char *doc_path, const char *pos_path,
                     uint32_t doc_count, int verify)
{
    bl_postings *p = calloc(1, sizeof *p);
    if (!p)
        return BL_ENOMEM;
    p->doc_count = doc_count;
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

/* Most values a codec run of `bytes` bytes can hold: v1 spends at least one
 * byte a value. Bounds allocations driven by tfs read from disk. */
static inline uint64_t codec_max_values(uint64_t bytes) { return bytes; }

#define NO_BLOCK UINT32_MAX

struct bl_posting_iter {
    bl_docset ds;           /* first: the iterator is a docset */
    /* hot: next() and seek() */
    uint32_t i;             /* index of the current doc in docs[] */
    uint32_t m;             /* postings in the current block (0 at the end) */
    uint32_t block;         /* current block */
    uint32_t nblocks;
    const uint32_t *last;   /* last doc of every block */
    uint32_t docs[BL_BLOCK_SIZE];
    uint32_t tfs[BL_BLOCK_SIZE];
    /* cold: block decoding, positions, block-max data */
    const bl_postings *p;
    uint32_t last_m;        /* postings in the last block */
    uint32_t pos_block;     /* block whose positions pos[] holds, NO_BLOCK if none */
    uint64_t *doc_off;      /* nblocks + 1 absolute .doc offsets of blocks */
    uint64_t *pos_off;      /* nblocks + 1 absolute .pos offsets of blocks */
    uint32_t *max_tf;
    uint32_t *min_len;
    uint32_t *pos;          /* decoded positions of block pos_block */
    size_t pos_cap;
    uint32_t pos_start[BL_BLOCK_SIZE + 1]; /* prefix sums of tfs */
    /* the skip arrays of a single-block list (no skip table on disk) */
    uint64_t one_doc_off[2], one_pos_off[2];
    uint32_t one_last, one_max_tf, one_min_len;
    uint32_t term_max_tf, term_min_len; /* over every block */
    /* for nblocks > 1 the skip arrays follow the struct (one allocation) */
};

/* Records a corruption detail "PATH: offset N: ..." and returns BL_ECORRUPT. */
static int corrupt(const bl_mapped *m, uint64_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int corrupt(const bl_mapped *m, uint64_t off, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return bl_error_set(BL_ECORRUPT, "%s: offset %llu: %s", m->path,
                        (unsigned long long)off, msg);
}

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

/* Decodes block b's doc ids and tfs into docs/tfs (room for BL_BLOCK_SIZE).
 * Checks the bytes used against the skip table and the last doc against it.
 * Errors: BL_ECORRUPT with detail. */
static int decode_block_into(const bl_posting_iter *it, uint32_t b, uint32_t *docs,
                             uint32_t *tfs)
{
    const bl_mapped *f = &it->p->docs;
    uint32_t m = block_len(it, b);
    uint64_t off = it->doc_off[b];
    size_t avail = (size_t)(it->doc_off[b + 1] - off);
    const uint8_t *in = f->data + off;
    size_t c1, c2;

    if (bl_codec_decode(in, avail, docs, m, &c1))
        return corrupt(f, off, "block %u: doc gaps do not decode", b);
    if (bl_codec_decode(in + c1, avail - c1, tfs, m, &c2))
        return corrupt(f, off + c1, "block %u: term frequencies do not decode", b);
    if (it->nblocks > 1 && c1 + c2 != avail)
        return corrupt(f, off, "block %u holds %zu bytes, skip table says %zu", b, c1 + c2,
                       avail);
    if (bl_delta_decode(docs, m, b ? it->last[b - 1] + 1 : 0))
        return corrupt(f, off, "block %u: doc id overflows", b);
    if (it->nblocks > 1 && docs[m - 1] != it->last[b])
        return corrupt(f, off, "block %u ends at doc %u, skip table says %u", b, docs[m - 1],
                       it->last[b]);
    /* Ids index per-document arrays (lengths, stored docs): one compare per
     * block keeps a damaged list from reading outside them. */
    if (docs[m - 1] >= it->p->doc_count)
        return corrupt(f, off, "block %u: doc id %u, but the segment has %u documents", b,
                       docs[m - 1], it->p->doc_count);
    uint32_t bad = 0;
    for (uint32_t j = 0; j < m; j++) {
        uint32_t t = tfs[j] + 1;
        bad |= (t == 0);
        tfs[j] = t;
    }
    if (bad)
        return corrupt(f, off + c1, "block %u: term frequency overflows", b);
    return 0;
}

/* Makes block b current. On error ends the iterator and records the error. */
static int load_block(bl_posting_iter *it, uint32_t b)
{
    int rc = decode_block_into(it, b, it->docs, it->tfs);
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

/* Index of the first of v[0..n) >= target; v[n-1] >= target, n >= 1.
 * Branchless: the same number of steps whatever the data. */
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

static uint32_t iter_seek(bl_docset *s, uint32_t target)
{
    bl_posting_iter *it = (bl_posting_iter *)s;
    if (target <= s->doc)
        return s->doc; /* also covers BL_DOC_END */
    uint32_t from = it->i + 1;
    if (target > it->docs[it->m - 1]) {
        uint32_t b = (uint32_t)bl_gallop_u32(it->last, it->block + 1, it->nblocks, target);
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
    uint32_t i = from + lower_bound(it->docs + from, it->m - from, target);
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

/* Reads the skip table of a multi-block list into the iterator's arrays and
 * turns byte counts into absolute offsets, checking them all. */
static int read_skips(bl_posting_iter *it, const bl_terminfo *info)
{
    const bl_mapped *df = &it->p->docs, *pf = &it->p->pos;
    bl_reader r;
    bl_reader_init(&r, df->data, df->len);
    r.p += info->postings_offset;
    uint64_t prev = 0, doc_end = 0, pos_end = info->positions_offset;
    uint32_t *last = (uint32_t *)it->last;
    for (uint32_t b = 0; b < it->nblocks; b++) {
        uint64_t at = bl_reader_offset(&r), gap, db, pb;
        uint32_t mt, ml;
        if (bl_reader_varint(&r, &gap) || bl_reader_varint(&r, &db) ||
            bl_reader_varint(&r, &pb) || bl_reader_varint32(&r, &mt) ||
            bl_reader_varint32(&r, &ml))
            return corrupt(df, at, "skip entry %u of %u does not decode", b, it->nblocks);
        /* block b holds m docs, all above the previous block's last */
        uint64_t need = block_len(it, b) - (b ? 0 : 1);
        if (gap < need || gap >= UINT32_MAX || prev + gap >= UINT32_MAX)
            return corrupt(df, at, "skip entry %u: bad last-doc gap %llu", b,
                           (unsigned long long)gap);
        prev += gap;
        last[b] = (uint32_t)prev;
        if (db > df->len || pb > pf->len)
            return corrupt(df, at, "skip entry %u: block sizes %llu/%llu exceed the files", b,
                           (unsigned long long)db, (unsigned long long)pb);
        it->doc_off[b + 1] = db; /* sizes for now */
        it->max_tf[b] = mt;
        it->min_len[b] = ml;
        pos_end += pb;
        it->pos_off[b + 1] = pos_end;
        if (pos_end > pf->len)
            return corrupt(df, at, "skip entry %u: positions run past the end of %s (%zu bytes)",
                           b, pf->path, pf->len);
    }
    doc_end = bl_reader_offset(&r);
    it->doc_off[0] = doc_end;
    for (uint32_t b = 0; b < it->nblocks; b++) {
        doc_end += it->doc_off[b + 1];
        if (doc_end > df->len)
            return corrupt(df, it->doc_off[b], "block %u runs past the end of the file", b);
        it->doc_off[b + 1] = doc_end;
    }
    it->pos_off[0] = info->positions_offset;
    return 0;
}

int bl_posting_iter_new(const bl_postings *p, const bl_terminfo *info,
                        bl_posting_iter **out)
{
    uint32_t n = info->doc_freq;
    uint32_t nblocks = (uint32_t)(((uint64_t)n + BL_BLOCK_SIZE - 1) / BL_BLOCK_SIZE);
    const bl_mapped *df = &p->docs, *pf = &p->pos;

    if (n && info->postings_offset >= df->len)
        return corrupt(df, info->postings_offset,
                       "term's postings start past the end of the file (%zu bytes)", df->len);
    if (n && info->positions_offset >= pf->len)
        return corrupt(pf, info->positions_offset,
                       "term's positions start past the end of the file (%zu bytes)", pf->len);
    /* each skip entry takes at least 5 bytes: bound the allocation */
    if (nblocks > 1 && (uint64_t)nblocks * 5 > df->len - info->postings_offset)
        return corrupt(df, info->postings_offset,
                       "doc_freq %u needs a longer skip table than the file holds", n);

    size_t extra = 0;
    if (nblocks > 1)
        extra = (size_t)(nblocks + 1) * 2 * sizeof(uint64_t) +
                (size_t)nblocks * 3 * sizeof(uint32_t);
    bl_posting_iter *it = malloc(sizeof *it + extra);
    if (!it)
        return bl_error_set(BL_ENOMEM, "postings: no memory for an iterator of %u docs", n);
    memset(it, 0, sizeof *it);
    it->ds.ops = &iter_ops;
    it->ds.cost = n;
    it->p = p;
    it->nblocks = nblocks;
    it->last_m = n - (nblocks ? (nblocks - 1) * BL_BLOCK_SIZE : 0);
    it->pos_block = NO_BLOCK;
    if (nblocks == 0) {
        set_end(it);
        *out = it;
        return 0;
    }

    int rc;
    if (nblocks > 1) {
        uint64_t *o = (uint64_t *)(it + 1);
        it->doc_off = o;
        it->pos_off = o + nblocks + 1;
        uint32_t *u = (uint32_t *)(o + 2 * ((size_t)nblocks + 1));
        it->last = u;
        it->max_tf = u + nblocks;
        it->min_len = u + 2 * (size_t)nblocks;
        if ((rc = read_skips(it, info)) != 0)
            goto fail;
        if ((rc = load_block(it, 0)) != 0)
            goto fail;
    } else {
        it->doc_off = it->one_doc_off;
        it->pos_off = it->one_pos_off;
        it->last = &it->one_last;
        it->max_tf = &it->one_max_tf;
        it->min_len = &it->one_min_len;
        it->doc_off[0] = info->postings_offset;
        it->doc_off[1] = df->len;
        it->pos_off[0] = info->positions_offset;
        it->pos_off[1] = pf->len;
        if ((rc = load_block(it, 0)) != 0)
            goto fail;
        uint32_t mt = 0;
        for (uint32_t j = 0; j < it->m; j++)
            mt = it->tfs[j] > mt ? it->tfs[j] : mt;
        it->one_last = it->docs[it->m - 1];
        it->one_max_tf = mt;
        it->one_min_len = 0; /* not stored for single-block lists */
    }
    it->term_max_tf = 0;
    it->term_min_len = UINT32_MAX;
    for (uint32_t b = 0; b < nblocks; b++) {
        it->term_max_tf = it->max_tf[b] > it->term_max_tf ? it->max_tf[b] : it->term_max_tf;
        it->term_min_len = it->min_len[b] < it->term_min_len ? it->min_len[b] : it->term_min_len;
    }
    *out = it;
    return 0;
fail:
    free(it);
    return rc;
}

uint32_t bl_posting_iter_freq(const bl_posting_iter *it) { return it->tfs[it->i]; }

/* Decodes the positions of the current block into it->pos and fills
 * pos_start. Errors: BL_ECORRUPT (detail), BL_ENOMEM. */
static int decode_positions(bl_posting_iter *it)
{
    const bl_mapped *f = &it->p->pos;
    uint32_t b = it->block, m = it->m;
    uint64_t off = it->pos_off[b];
    size_t avail = (size_t)(it->pos_off[b + 1] - off);
    uint64_t count = 0;
    for (uint32_t j = 0; j < m; j++) {
        it->pos_start[j] = (uint32_t)count;
        count += it->tfs[j];
        if (count > codec_max_values(avail) || count > UINT32_MAX)
            return corrupt(f, off, "block %u: %llu+ positions cannot fit in %zu bytes", b,
                           (unsigned long long)count, avail);
    }
    it->pos_start[m] = (uint32_t)count;
    if (count > it->pos_cap) {
        size_t cap = it->pos_cap ? it->pos_cap * 2 : 1024;
        if (cap < count)
            cap = (size_t)count;
        uint32_t *np = realloc(it->pos, cap * sizeof *np);
        if (!np)
            return bl_error_set(BL_ENOMEM, "postings: no memory for %llu positions",
                                (unsigned long long)count);
        it->pos = np;
        it->pos_cap = cap;
    }
    size_t used;
    if (bl_codec_decode(f->data + off, avail, it->pos, (size_t)count, &used))
        return corrupt(f, off, "block %u: positions do not decode", b);
    if (it->nblocks > 1 && used != avail)
        return corrupt(f, off, "block %u: positions hold %zu bytes, skip table says %zu", b,
                       used, avail);
    for (uint32_t j = 0; j < m; j++)
        if (bl_delta_decode(it->pos + it->pos_start[j], it->tfs[j], 0))
            return corrupt(f, off, "block %u: position overflows in doc %u", b, it->docs[j]);
    it->pos_block = b;
    return 0;
}

int bl_posting_iter_positions(bl_posting_iter *it, const uint32_t **pos, uint32_t *n)
{
    *pos = it->pos;
    *n = 0;
    if (it->ds.doc == BL_DOC_END)
        return it->ds.err;
    if (it->pos_block != it->block) {
        int rc = decode_positions(it);
        if (rc) {
            fail_iter(it, rc);
            return rc;
        }
    }
    *pos = it->pos + it->pos_start[it->i];
    *n = it->tfs[it->i];
    return 0;
}

void bl_posting_iter_block_info(const bl_posting_iter *it, uint32_t *last_doc,
                                uint32_t *max_tf, uint32_t *min_len)
{
    if (it->ds.doc == BL_DOC_END) {
        *last_doc = BL_DOC_END;
        *max_tf = 0;
        *min_len = 0;
        return;
    }
    *last_doc = it->last[it->block];
    *max_tf = it->max_tf[it->block];
    *min_len = it->min_len[it->block];
}

void bl_posting_iter_term_bound(const bl_posting_iter *it, uint32_t *max_tf, uint32_t *min_len)
{
    *max_tf = it->nblocks ? it->term_max_tf : 0;
    *min_len = it->nblocks ? it->term_min_len : 0;
}

void bl_posting_iter_shallow(const bl_posting_iter *it, uint32_t target, uint32_t *block_last,
                             uint32_t *max_tf, uint32_t *min_len)
{
    uint32_t b = it->nblocks;
    if (it->ds.doc != BL_DOC_END)
        b = (uint32_t)bl_gallop_u32(it->last, it->block, it->nblocks, target);
    if (b >= it->nblocks) {
        *block_last = BL_DOC_END;
        *max_tf = 0;
        *min_len = 0;
        return;
    }
    *block_last = it->last[b];
    *max_tf = it->max_tf[b];
    *min_len = it->min_len[b];
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
        if (tfs)
            memcpy(tfs, it->tfs, it->m * sizeof *tfs);
    }
    for (uint32_t b = 1; b < it->nblocks && !rc; b++) {
        size_t at = (size_t)b * BL_BLOCK_SIZE;
        rc = decode_block_into(it, b, docs + at, tfs ? tfs + at : it->tfs);
    }
    iter_free(&it->ds);
    return rc;
}

int bl_postings_check_term(const bl_postings *p, const bl_terminfo *info,
                           uint32_t doc_count)
{
    const bl_mapped *df = &p->docs;
    if (info->doc_freq == 0)
        return corrupt(df, info->postings_offset, "term has doc_freq 0");
    bl_posting_iter *it;
    int rc = bl_posting_iter_new(p, info, &it);
    if (rc)
        return rc;
    uint64_t total = 0;
    for (uint32_t b = 0; b < it->nblocks; b++) {
        if (b && (rc = load_block(it, b)) != 0)
            goto done;
        uint32_t mt = 0;
        for (uint32_t j = 0; j < it->m; j++) {
            mt = it->tfs[j] > mt ? it->tfs[j] : mt;
            total += it->tfs[j];
        }
        if (it->docs[it->m - 1] >= doc_count) {
            rc = corrupt(df, it->doc_off[b], "block %u: doc %u is not below doc count %u", b,
                         it->docs[it->m - 1], doc_count);
            goto done;
        }
        if (it->nblocks > 1 && mt != it->max_tf[b]) {
            rc = corrupt(df, it->doc_off[b], "block %u: max tf is %u, skip table says %u", b,
                         mt, it->max_tf[b]);
            goto done;
        }
        /* decoding checks the byte count and that positions increase */
        if ((rc = decode_positions(it)) != 0)
            goto done;
    }
    if (total != info->total_freq)
        rc = corrupt(df, info->postings_offset,
                     "term frequencies add up to %llu, dictionary says %llu",
                     (unsigned long long)total, (unsigned long long)info->total_freq);
done:
    iter_free(&it->ds);
    return rc;
}
