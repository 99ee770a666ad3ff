/* termdict.c: the sorted term dictionary (kind BLTD, ".tdi"), writer and
 * reader.
 *
 * The body of the file (filefmt.h frames it with the footer) is, with u8,
 * u32 and u64 little-endian and varint = LEB128 as in buf.h:
 *
 *   body        := block{nblocks} index tail
 *   block       := entry{count}                  count from the block's index entry
 *   entry       := shared:u8 suffix_len:u8 suffix:bytes[suffix_len]
 *                  doc_freq:varint extra_freq:varint
 *                  postings:varint positions:varint
 *   index       := index_entry{nblocks}
 *   index_entry := first_len:u8 first:bytes[first_len]
 *                  block_offset:varint count:varint
 *   tail        := index_offset:u64 term_count:u64 nblocks:u64 block_terms:u32
 *
 *   shared      bytes the term shares with the previous term of its block;
 *               0 for the first entry of a block (which is stored whole).
 *               The term is prev[0..shared) + suffix; 1..255 bytes.
 *   suffix_len  >= 1 (terms are distinct and sorted, so a term is never a
 *               prefix of the one before it)
 *   doc_freq    bl_terminfo.doc_freq, 1..2^32-1
 *   extra_freq  total_freq - doc_freq
 *   postings    postings_offset minus the previous entry's in the block;
 *   positions   positions_offset likewise; both absolute in the first
 *               entry of a block (offsets never decrease, so deltas >= 0)
 *   first       the first term of the block, whole (equal to the term its
 *               first entry decodes to)
 *   block_offset  body offset of the block: 0 for the first block, strictly
 *               increasing; a block ends where the next starts, the last
 *               one at index_offset
 *   count       terms in the block, 1..block_terms (the writer fills every
 *               block but the last to block_terms = BL_TERMDICT_BLOCK)
 *   index_offset  body offset of index; the tail is the last 28 bytes of
 *               the body and index runs exactly up to it
 *   term_count  sum of all counts
 *   nblocks     number of blocks (0 for an empty dictionary, whose body is
 *               the tail alone with index_offset = 0)
 *   block_terms most terms a block may hold, 1..65535
 *
 * Terms are strictly increasing in memcmp order (shorter first on a tie)
 * across the whole file, so the first terms in the index are too.
 *
 * A reader maps the file, reads the tail, checks the index against it and
 * keeps one small struct per block in memory, pointing at the first term in
 * the mapping. A lookup binary-searches those first terms and scans one
 * block, comparing suffixes against the key without rebuilding terms; a
 * prefix walk rebuilds each term in a stack buffer. Neither allocates.
 */
#include "termdict.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "filefmt.h"

#define TAIL_BYTES 28
#define MAX_BLOCK_TERMS 65535
/* Smallest encodings, used to bound counts before trusting them:
 * entry: shared, suffix_len, 1 suffix byte, four 1-byte varints;
 * index entry: first_len, 1 byte of first, two 1-byte varints. */
#define MIN_ENTRY_BYTES 7
#define MIN_INDEX_ENTRY_BYTES 4

/* ---- shared helpers ---------------------------------------------------- */

static int term_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    int c = n ? memcmp(a, b, n) : 0;
    if (c)
        return c;
    return alen < blen ? -1 : alen > blen;
}

/* ---- writer ------------------------------------------------------------ */

struct bl_termdict_writer {
    bl_filewriter *fw;
    bl_buf block;        /* encoded entries of the open block */
    bl_buf index;        /* encoded index entries so far */
    uint8_t prev[BL_TERM_MAX_BYTES];
    size_t prev_len;     /* 0 before the first term */
    bl_terminfo prev_info;
    uint32_t in_block;   /* entries in the open block */
    uint64_t terms;
    uint64_t blocks;
    int failed;          /* sticky: a write failed, only abort/finish remain */
};

int bl_termdict_writer_new(bl_termdict_writer **out, const char *path)
{
    bl_termdict_writer *w = calloc(1, sizeof *w);
    if (!w)
        return BL_ENOMEM;
    bl_buf_init(&w->block);
    bl_buf_init(&w->index);
    int rc = bl_filewriter_open(&w->fw, path, BL_KIND_TERMDICT);
    if (rc) {
        free(w);
        return rc;
    }
    *out = w;
    return 0;
}

static void free_writer(bl_termdict_writer *w)
{
    bl_buf_release(&w->block);
    bl_buf_release(&w->index);
    free(w);
}

void bl_termdict_writer_abort(bl_termdict_writer *w)
{
    if (!w)
        return;
    bl_filewriter_abort(w->fw);
    free_writer(w);
}

static int flush_block(bl_termdict_writer *w)
{
    if (w->in_block == 0)
        return 0;
    int rc = bl_buf_put_varint(&w->index, w->in_block);
    if (!rc)
        rc = bl_filewriter_write(w->fw, w->block.data, w->block.len);
    if (rc) {
        w->failed = 1;
        return rc;
    }
    bl_buf_clear(&w->block);
    w->in_block = 0;
    w->blocks++;
    return 0;
}

int bl_termdict_writer_add(bl_termdict_writer *w, const char *term, size_t len,
                           const bl_terminfo *info)
{
    const uint8_t *t = (const uint8_t *)term;
    if (w->failed)
        return BL_EIO;
    if (!term || len == 0 || len > BL_TERM_MAX_BYTES)
        return bl_error_set(BL_EINVAL, "termdict writer: term of %zu bytes (must be 1..%d)",
                            len, BL_TERM_MAX_BYTES);
    if (info->doc_freq == 0 || info->total_freq < info->doc_freq)
        return bl_error_set(BL_EINVAL,
                            "termdict writer: term '%.*s': doc_freq %u, total_freq %llu",
                            (int)len, term, info->doc_freq,
                            (unsigned long long)info->total_freq);
    if (w->terms > 0) {
        if (term_cmp(w->prev, w->prev_len, t, len) >= 0)
            return bl_error_set(BL_EINVAL,
                                "termdict writer: term '%.*s' does not sort after '%.*s'",
                                (int)len, term, (int)w->prev_len, (const char *)w->prev);
        if (info->postings_offset < w->prev_info.postings_offset ||
            info->positions_offset < w->prev_info.positions_offset)
            return bl_error_set(BL_EINVAL,
                                "termdict writer: term '%.*s': offsets go backwards",
                                (int)len, term);
    }

    int rc = 0;
    size_t shared = 0;
    if (w->in_block == 0) {
        /* The block starts at the current file offset: writes only happen
         * when a block is flushed. */
        if ((rc = bl_buf_put_u8(&w->index, (uint8_t)len)) ||
            (rc = bl_buf_append(&w->index, t, len)) ||
            (rc = bl_buf_put_varint(&w->index, bl_filewriter_offset(w->fw))))
            goto fail;
    } else {
        size_t n = w->prev_len < len ? w->prev_len : len;
        while (shared < n && w->prev[shared] == t[shared])
            shared++;
    }
    uint64_t dp = info->postings_offset, dq = info->positions_offset;
    if (w->in_block) {
        dp -= w->prev_info.postings_offset;
        dq -= w->prev_info.positions_offset;
    }
    uint8_t head[2 + 4 * BL_VARINT_MAX];
    size_t h = 0;
    head[h++] = (uint8_t)shared;
    head[h++] = (uint8_t)(len - shared);
    if ((rc = bl_buf_reserve(&w->block, sizeof head + len)))
        goto fail;
    bl_buf_append(&w->block, head, h);
    bl_buf_append(&w->block, t + shared, len - shared);
    h = bl_varint_encode(head, info->doc_freq);
    h += bl_varint_encode(head + h, info->total_freq - info->doc_freq);
    h += bl_varint_encode(head + h, dp);
    h += bl_varint_encode(head + h, dq);
    bl_buf_append(&w->block, head, h);

    memcpy(w->prev, t, len);
    w->prev_len = len;
    w->prev_info = *info;
    w->terms++;
    if (++w->in_block == BL_TERMDICT_BLOCK)
        return flush_block(w);
    return 0;
fail:
    w->failed = 1;
    return rc;
}

int bl_termdict_writer_finish(bl_termdict_writer *w)
{
    int rc = w->failed ? BL_EIO : flush_block(w);
    uint64_t index_offset = bl_filewriter_offset(w->fw);
    if (!rc && w->index.len)
        rc = bl_filewriter_write(w->fw, w->index.data, w->index.len);
    if (!rc) {
        uint8_t tail[TAIL_BYTES];
        bl_put_u64le(tail, index_offset);
        bl_put_u64le(tail + 8, w->terms);
        bl_put_u64le(tail + 16, w->blocks);
        bl_put_u32le(tail + 24, BL_TERMDICT_BLOCK);
        rc = bl_filewriter_write(w->fw, tail, sizeof tail);
    }
    if (rc) {
        bl_filewriter_abort(w->fw);
    } else {
        rc = bl_filewriter_commit(w->fw);
    }
    free_writer(w);
    return rc;
}

/* ---- reader ------------------------------------------------------------ */

typedef struct {
    const uint8_t *first; /* first term, in the mapping */
    uint32_t first_len;
    uint32_t count;
    uint64_t off;         /* body offset of the block */
    uint64_t end;         /* one past its last byte */
} block_ref;

struct bl_termdict {
    bl_mapped m;
    block_ref *blocks;
    uint64_t nblocks;
    uint64_t nterms;
    uint64_t index_offset;
    uint32_t block_terms;
};

/* Records "PATH: offset N: what" as a BL_ECORRUPT detail. */
__attribute__((format(printf, 3, 4)))
static int corrupt(const bl_termdict *d, uint64_t off, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return bl_error_set(BL_ECORRUPT, "%s: offset %llu: %s", d->m.path,
                        (unsigned long long)off, what);
}

/* A position inside one block, and the entry last decoded there. */
typedef struct {
    bl_reader r;       /* over the block; base = start of the body */
    uint32_t left;     /* entries not yet decoded */
    uint64_t block;    /* block number, for messages */
    size_t len;        /* length of term */
    bl_terminfo info;
    uint8_t term[BL_TERM_MAX_BYTES + 1]; /* NUL-terminated */
} cursor;

/* Errors: BL_ECORRUPT if the block's pages fail their checksums. */
static int cursor_start(const bl_termdict *d, cursor *c, uint64_t b)
{
    const block_ref *br = &d->blocks[b];
    int rc = bl_mapped_touch(&d->m, br->off, br->end - br->off);
    if (rc)
        return rc;
    c->r.base = d->m.data;
    c->r.p = d->m.data + br->off;
    c->r.end = d->m.data + br->end;
    c->left = br->count;
    c->block = b;
    c->len = 0;
    c->term[0] = 0;
    return 0;
}

/* bl_reader gets with the common one-byte case inlined. */
static inline int get_u8(bl_reader *r, uint8_t *out)
{
    if (r->p < r->end) {
        *out = *r->p++;
        return 0;
    }
    return BL_ECORRUPT;
}

static inline int get_varint(bl_reader *r, uint64_t *out)
{
    if (r->p < r->end && *r->p < 0x80) {
        *out = *r->p++;
        return 0;
    }
    return bl_reader_varint(r, out);
}

/* Turns an entry's four numbers into info, given the previous entry's info
 * (unless first). at is the offset of the numbers, for messages. */
static int fill_info(const bl_termdict *d, uint64_t at, bl_terminfo *info, int first,
                     uint64_t df, uint64_t extra, uint64_t dp, uint64_t dq)
{
    if (df == 0 || df > UINT32_MAX)
        return corrupt(d, at, "doc_freq %llu out of range", (unsigned long long)df);
    if (extra > UINT64_MAX - df)
        return corrupt(d, at, "total_freq overflows");
    info->doc_freq = (uint32_t)df;
    info->total_freq = df + extra;
    info->max_tf = 0; /* not recorded yet */
    info->min_len = 0;
    if (first) {
        info->postings_offset = dp;
        info->positions_offset = dq;
    } else {
        if (dp > UINT64_MAX - info->postings_offset ||
            dq > UINT64_MAX - info->positions_offset)
            return corrupt(d, at, "offset delta overflows");
        info->postings_offset += dp;
        info->positions_offset += dq;
    }
    return 0;
}

/* Decodes the next entry of the block (the caller checks c->left first). */
static int cursor_next(const bl_termdict *d, cursor *c)
{
    bl_reader *r = &c->r;
    uint64_t at = bl_reader_offset(r);
    int first = c->len == 0;
    uint8_t shared, slen;
    const uint8_t *suffix;
    if (get_u8(r, &shared) || get_u8(r, &slen))
        return corrupt(d, at, "term entry runs past the end of block %llu",
                       (unsigned long long)c->block);
    if (shared > c->len)
        return corrupt(d, at, "term shares %u bytes with a previous term of %zu bytes",
                       shared, c->len);
    if (slen == 0 || (size_t)shared + slen > BL_TERM_MAX_BYTES)
        return corrupt(d, at, "term of %u + %u bytes (must be 1..%d)", shared, slen,
                       BL_TERM_MAX_BYTES);
    if (bl_reader_bytes(r, slen, &suffix))
        return corrupt(d, at, "term suffix runs past the end of block %llu",
                       (unsigned long long)c->block);
    memcpy(c->term + shared, suffix, slen);
    c->len = (size_t)shared + slen;
    c->term[c->len] = 0;

    uint64_t df, extra, dp, dq;
    at = bl_reader_offset(r);
    if (get_varint(r, &df) || get_varint(r, &extra) || get_varint(r, &dp) ||
        get_varint(r, &dq))
        return corrupt(d, at, "bad or truncated varint in term info (block %llu)",
                       (unsigned long long)c->block);
    int rc = fill_info(d, at, &c->info, first, df, extra, dp, dq);
    if (rc)
        return rc;
    c->left--;
    return 0;
}

static int load_index(bl_termdict *d)
{
    const bl_mapped *m = &d->m;
    if (m->len < TAIL_BYTES)
        return corrupt(d, 0, "body of %zu bytes is shorter than the %d-byte tail", m->len,
                       TAIL_BYTES);
    uint64_t tail_off = m->len - TAIL_BYTES;
    int rc = bl_mapped_touch(m, tail_off, TAIL_BYTES);
    if (rc)
        return rc;
    const uint8_t *t = m->data + tail_off;
    d->index_offset = bl_get_u64le(t);
    d->nterms = bl_get_u64le(t + 8);
    d->nblocks = bl_get_u64le(t + 16);
    d->block_terms = bl_get_u32le(t + 24);
    if (d->index_offset > tail_off)
        return corrupt(d, tail_off, "index offset %llu past the tail",
                       (unsigned long long)d->index_offset);
    if (d->block_terms == 0 || d->block_terms > MAX_BLOCK_TERMS)
        return corrupt(d, tail_off + 24, "block size of %u terms", d->block_terms);
    uint64_t index_len = tail_off - d->index_offset;
    if (d->nblocks > index_len / MIN_INDEX_ENTRY_BYTES)
        return corrupt(d, tail_off + 16, "%llu blocks cannot fit an index of %llu bytes",
                       (unsigned long long)d->nblocks, (unsigned long long)index_len);
    if (d->nblocks == 0) {
        if (d->index_offset != 0 || index_len != 0 || d->nterms != 0)
            return corrupt(d, tail_off, "no blocks, but %llu terms and %llu bytes of data",
                           (unsigned long long)d->nterms, (unsigned long long)tail_off);
        return 0;
    }
    if ((rc = bl_mapped_touch(m, d->index_offset, index_len)) != 0)
        return rc;
    d->blocks = calloc((size_t)d->nblocks, sizeof *d->blocks);
    if (!d->blocks)
        return BL_ENOMEM;

    bl_reader r = {m->data, m->data + d->index_offset, m->data + tail_off};
    uint64_t terms = 0;
    for (uint64_t b = 0; b < d->nblocks; b++) {
        block_ref *br = &d->blocks[b];
        uint64_t at = bl_reader_offset(&r);
        uint8_t flen;
        uint64_t off, count;
        if (bl_reader_u8(&r, &flen) || bl_reader_bytes(&r, flen, &br->first) ||
            bl_reader_varint(&r, &off) || bl_reader_varint(&r, &count))
            return corrupt(d, at, "block index entry %llu runs past the tail",
                           (unsigned long long)b);
        if (flen == 0)
            return corrupt(d, at, "block %llu has an empty first term", (unsigned long long)b);
        br->first_len = flen;
        if (count == 0 || count > d->block_terms)
            return corrupt(d, at, "block %llu holds %llu terms (must be 1..%u)",
                           (unsigned long long)b, (unsigned long long)count, d->block_terms);
        br->count = (uint32_t)count;
        terms += count;
        if (b == 0 ? off != 0 : off <= d->blocks[b - 1].off)
            return corrupt(d, at, "block %llu at offset %llu is out of order",
                           (unsigned long long)b, (unsigned long long)off);
        if (off >= d->index_offset)
            return corrupt(d, at, "block %llu at offset %llu starts past the index",
                           (unsigned long long)b, (unsigned long long)off);
        br->off = off;
        if (b > 0) {
            block_ref *pb = &d->blocks[b - 1];
            pb->end = off;
            if (term_cmp(pb->first, pb->first_len, br->first, br->first_len) >= 0)
                return corrupt(d, at, "first term of block %llu does not sort after block %llu's",
                               (unsigned long long)b, (unsigned long long)b - 1);
        }
    }
    d->blocks[d->nblocks - 1].end = d->index_offset;
    if (bl_reader_left(&r) != 0)
        return corrupt(d, bl_reader_offset(&r), "%zu stray bytes after the block index",
                       bl_reader_left(&r));
    if (terms != d->nterms)
        return corrupt(d, tail_off + 8, "blocks hold %llu terms, tail says %llu",
                       (unsigned long long)terms, (unsigned long long)d->nterms);
    for (uint64_t b = 0; b < d->nblocks; b++) {
        const block_ref *br = &d->blocks[b];
        if ((br->end - br->off) / MIN_ENTRY_BYTES < br->count)
            return corrupt(d, br->off, "block %llu of %llu bytes cannot hold %u terms",
                           (unsigned long long)b, (unsigned long long)(br->end - br->off),
                           br->count);
    }
    return 0;
}

int bl_termdict_open(bl_termdict **out, const char *path, int verify)
{
    bl_termdict *d = calloc(1, sizeof *d);
    if (!d)
        return BL_ENOMEM;
    int rc = bl_file_map(&d->m, path, BL_KIND_TERMDICT, verify);
    if (!rc)
        rc = load_index(d);
    if (rc) {
        bl_termdict_close(d);
        return rc;
    }
    *out = d;
    return 0;
}

const bl_mapped *bl_termdict_file(const bl_termdict *d) { return &d->m; }

void bl_termdict_close(bl_termdict *d)
{
    if (!d)
        return;
    bl_file_unmap(&d->m);
    free(d->blocks);
    free(d);
}

uint64_t bl_termdict_count(const bl_termdict *d) { return d->nterms; }

/* The last block whose first term is <= key, or -1 if key sorts before
 * every block. */
static int64_t find_block(const bl_termdict *d, const uint8_t *key, size_t len)
{
    uint64_t lo = 0, hi = d->nblocks; /* answer in [lo, hi) after the loop: lo - 1 */
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        const block_ref *br = &d->blocks[mid];
        if (term_cmp(br->first, br->first_len, key, len) <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (int64_t)lo - 1;
}

int bl_termdict_lookup(const bl_termdict *d, const char *term, size_t len,
                       bl_terminfo *info)
{
    const uint8_t *key = (const uint8_t *)term;
    if (len == 0 || len > BL_TERM_MAX_BYTES || d->nblocks == 0)
        return BL_ENOTFOUND;
    int64_t b = find_block(d, key, len);
    if (b < 0)
        return BL_ENOTFOUND;
    const block_ref *br = &d->blocks[b];
    int rc = bl_mapped_touch(&d->m, br->off, br->end - br->off);
    if (rc)
        return rc;
    bl_reader r = {d->m.data, d->m.data + br->off, d->m.data + br->end};

    /* The scan never rebuilds a term. While the previous term sorts before
     * key, m is the length of their common prefix; for the next term, which
     * shares `shared` bytes with the previous one:
     *   shared > m   it agrees with the previous term where key differs, so
     *                it still sorts before key (and m stays);
     *   shared < m   it differs from the previous term where that agrees with
     *                key, upwards (terms increase): it sorts after key, stop;
     *   shared == m  compare its suffix with key[m..). */
    size_t m = 0, prev_len = 0;
    bl_terminfo cur = {0};
    for (uint32_t i = 0; i < br->count; i++) {
        uint64_t at = bl_reader_offset(&r);
        uint8_t shared, slen;
        const uint8_t *suffix;
        uint64_t df, extra, dp, dq;
        if (get_u8(&r, &shared) || get_u8(&r, &slen) || shared > prev_len || slen == 0 ||
            (size_t)shared + slen > BL_TERM_MAX_BYTES || bl_reader_bytes(&r, slen, &suffix))
            return corrupt(d, at, "bad term entry %u in block %lld", i, (long long)b);
        uint64_t info_at = bl_reader_offset(&r);
        if (get_varint(&r, &df) || get_varint(&r, &extra) || get_varint(&r, &dp) ||
            get_varint(&r, &dq))
            return corrupt(d, info_at, "bad or truncated varint in term info (block %lld)",
                           (long long)b);
        rc = fill_info(d, info_at, &cur, i == 0, df, extra, dp, dq);
        if (rc)
            return rc;
        prev_len = (size_t)shared + slen;
        if (shared > m)
            continue;
        if (shared < m)
            return BL_ENOTFOUND;
        size_t rest = len - m, n = slen < rest ? slen : rest, j = 0;
        while (j < n && suffix[j] == key[m + j])
            j++;
        if (j < n) {
            if (suffix[j] > key[m + j])
                return BL_ENOTFOUND;
            m += j;
        } else if (slen == rest) {
            *info = cur;
            return 0;
        } else if (slen < rest) {
            m += slen;   /* the term is a proper prefix of key */
        } else {
            return BL_ENOTFOUND;  /* key is a proper prefix of the term */
        }
    }
    return BL_ENOTFOUND;
}

int bl_termdict_prefix(const bl_termdict *d, const char *prefix, size_t len,
                       bl_termdict_visit_fn fn, void *ctx)
{
    const uint8_t *p = (const uint8_t *)prefix;
    if (d->nblocks == 0)
        return 0;
    /* Terms with the prefix form one run that starts in the last block whose
     * first term is <= prefix (or in block 0). */
    int64_t start = len ? find_block(d, p, len) : 0;
    if (start < 0)
        start = 0;
    cursor c;
    for (uint64_t b = (uint64_t)start; b < d->nblocks; b++) {
        int rc = cursor_start(d, &c, b);
        if (rc)
            return rc;
        while (c.left) {
            rc = cursor_next(d, &c);
            if (rc)
                return rc;
            if (c.len >= len && (len == 0 || memcmp(c.term, p, len) == 0)) {
                rc = fn(ctx, (const char *)c.term, c.len, &c.info);
                if (rc)
                    return rc;
            } else if (term_cmp(c.term, c.len, p, len) > 0) {
                return 0; /* past the run */
            }
        }
    }
    return 0;
}

struct bl_termdict_iter {
    const bl_termdict *d;
    uint64_t block; /* the block the cursor is in */
    cursor c;
};

int bl_termdict_iter_new(const bl_termdict *d, bl_termdict_iter **out)
{
    bl_termdict_iter *it = calloc(1, sizeof *it);
    if (!it)
        return BL_ENOMEM;
    it->d = d;
    int rc = d->nblocks ? cursor_start(d, &it->c, 0) : 0;
    if (rc) {
        free(it);
        return rc;
    }
    *out = it;
    return 0;
}

int bl_termdict_iter_next(bl_termdict_iter *it, const char **term, size_t *len,
                          bl_terminfo *info)
{
    while (it->c.left == 0) {
        if (it->block + 1 >= it->d->nblocks)
            return 0;
        int rc = cursor_start(it->d, &it->c, ++it->block);
        if (rc)
            return rc;
    }
    int rc = cursor_next(it->d, &it->c);
    if (rc)
        return rc;
    *term = (const char *)it->c.term;
    *len = it->c.len;
    *info = it->c.info;
    return 1;
}

void bl_termdict_iter_free(bl_termdict_iter *it) { free(it); }

/* One walker of the merge: its current term, or done. */
typedef struct {
    bl_termdict_iter *it;
    const char *term;
    size_t len;
    int done;
} union_walker;

static int walker_step(union_walker *w)
{
    bl_terminfo info;
    int rc = bl_termdict_iter_next(w->it, &w->term, &w->len, &info);
    if (rc < 0)
        return rc;
    w->done = rc == 0;
    return 0;
}

int bl_termdict_count_union(const bl_termdict *const *d, size_t n, uint64_t *out)
{
    union_walker *w = calloc(n ? n : 1, sizeof *w);
    if (!w)
        return BL_ENOMEM;
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++)
        if (!(rc = bl_termdict_iter_new(d[i], &w[i].it)))
            rc = walker_step(&w[i]);
    uint64_t count = 0;
    while (!rc) {
        /* The smallest current term is one distinct term; every walker on it
         * moves on. */
        const union_walker *min = NULL;
        for (size_t i = 0; i < n; i++)
            if (!w[i].done && (!min || term_cmp((const uint8_t *)w[i].term, w[i].len,
                                                (const uint8_t *)min->term, min->len) < 0))
                min = &w[i];
        if (!min)
            break;
        count++;
        char cur[BL_TERM_MAX_BYTES + 1];
        size_t cur_len = min->len;
        memcpy(cur, min->term, cur_len);
        for (size_t i = 0; i < n && !rc; i++)
            if (!w[i].done && w[i].len == cur_len && memcmp(w[i].term, cur, cur_len) == 0)
                rc = walker_step(&w[i]);
    }
    for (size_t i = 0; i < n; i++)
        bl_termdict_iter_free(w[i].it);
    free(w);
    if (!rc)
        *out = count;
    return rc;
}

int bl_termdict_check(const bl_termdict *d, uint64_t docs_bytes, uint64_t positions_bytes)
{
    uint8_t prev[BL_TERM_MAX_BYTES];
    size_t prev_len = 0;
    bl_terminfo prev_info = {0};
    uint64_t seen = 0;
    cursor c;
    for (uint64_t b = 0; b < d->nblocks; b++) {
        const block_ref *br = &d->blocks[b];
        int rc = cursor_start(d, &c, b);
        if (rc)
            return rc;
        while (c.left) {
            uint64_t at = bl_reader_offset(&c.r);
            rc = cursor_next(d, &c);
            if (rc)
                return rc;
            if (c.left + 1 == br->count &&
                term_cmp(c.term, c.len, br->first, br->first_len) != 0)
                return corrupt(d, at, "block %llu starts with a term other than its index says",
                               (unsigned long long)b);
            if (seen > 0) {
                if (term_cmp(prev, prev_len, c.term, c.len) >= 0)
                    return corrupt(d, at, "term %llu does not sort after the one before it",
                                   (unsigned long long)seen);
                if (c.info.postings_offset < prev_info.postings_offset ||
                    c.info.positions_offset < prev_info.positions_offset)
                    return corrupt(d, at, "term %llu: offsets go backwards",
                                   (unsigned long long)seen);
            }
            if (c.info.postings_offset >= docs_bytes)
                return corrupt(d, at, "term %llu: postings offset %llu past the %llu-byte postings file",
                               (unsigned long long)seen,
                               (unsigned long long)c.info.postings_offset,
                               (unsigned long long)docs_bytes);
            if (c.info.positions_offset >= positions_bytes)
                return corrupt(d, at, "term %llu: positions offset %llu past the %llu-byte positions file",
                               (unsigned long long)seen,
                               (unsigned long long)c.info.positions_offset,
                               (unsigned long long)positions_bytes);
            memcpy(prev, c.term, c.len);
            prev_len = c.len;
            prev_info = c.info;
            seen++;
        }
        if (bl_reader_left(&c.r) != 0)
            return corrupt(d, bl_reader_offset(&c.r), "%zu stray bytes at the end of block %llu",
                           bl_reader_left(&c.r), (unsigned long long)b);
    }
    if (seen != d->nterms)
        return corrupt(d, d->m.len - TAIL_BYTES + 8, "walked %llu terms, tail says %llu",
                       (unsigned long long)seen, (unsigned long long)d->nterms);
    return 0;
}
