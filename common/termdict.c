/* termdict.c: the sorted term dictionary (kind BLTD, ".tdi"), writer and
 * reader.
 *
 * The body of the file (filefmt.h frames it with the footer) is, with u8,
 * u32 and u64 little-endian and varint = LEB128 as in buf.h:
 *
 *   body     := block{nblocks} offsets tail
 *   block    := entry{count}
 *   entry    := shared:u8 suffix_len:u8 suffix:bytes[suffix_len]
 *               doc_freq:varint extra_freq:varint
 *               postings:varint positions:varint
 *               max_tf_flags:varint min_len:varint
 *   offsets  := block_offset:u64{nblocks}
 *   tail     := blocks_end:u64 term_count:u64 nblocks:u64 block_terms:u32
 *
 *   shared      bytes the term shares with the previous term of its block;
 *               0 for the first entry of a block, so a block starts with
 *               its first term whole: 0, len, bytes[len].
 *               The term is prev[0..shared) + suffix; 1..255 bytes.
 *   suffix_len  >= 1 (terms are distinct and sorted, so a term is never a
 *               prefix of the one before it)
 *   doc_freq    bl_terminfo.doc_freq, 1..2^32-1
 *   extra_freq  total_freq - doc_freq
 *   postings    postings_offset minus the previous entry's in the block;
 *   positions   positions_offset likewise; both absolute in the first
 *               entry of a block (offsets never decrease, so deltas >= 0)
 *   max_tf_flags  max_tf * 2 + positionless: max_tf is 1..2^32-1, at most
 *               extra_freq + 1, and doc_freq * max_tf >= total_freq;
 *               positionless is bl_terminfo.positionless (0 or 1)
 *   min_len     0..2^32-1 (0: unknown)
 *   count       block_terms for every block but the last, which holds the
 *               rest: term_count - (nblocks - 1) * block_terms, 1..block_terms
 *   block_offset  body offset of a block: 0 for the first, strictly
 *               increasing; a block ends where the next starts, the last
 *               at blocks_end
 *   blocks_end  body offset of offsets, which is exactly 8 * nblocks bytes
 *               long and followed by the tail, the last 28 bytes of the body
 *   term_count  number of terms
 *   nblocks     ceil(term_count / block_terms) (0 for an empty dictionary,
 *               whose body is the tail alone with blocks_end = 0)
 *   block_terms terms per block, 1..65535 (the writer uses BL_TERMDICT_BLOCK)
 *
 * Terms are strictly increasing in memcmp order (shorter first on a tie)
 * across the whole file, so the blocks' first terms are too.
 *
 * A reader maps the file and reads the tail only: what it can check there
 * in O(1) (the counts against the body's size) it checks at open. A lookup
 * binary-searches the offsets in place: each probe reads the block's
 * offset and its neighbours' (the next one is where the block ends) and
 * the block's first term, and checks what it read (block 0 at 0, offsets
 * below blocks_end and increasing, room for the block's entries, a whole
 * first entry inside the block);
 * then it scans one block, comparing suffixes against the key without
 * rebuilding terms. A prefix walk rebuilds each term in a stack buffer.
 * Neither allocates. Every byte is touched (page checksum) before it is
 * read. bl_termdict_check walks everything.
 */
#include "termdict.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "filefmt.h"
#include "pairs.h"

/* Names the damage in the dictionary d (filefmt.h). */
#define corrupt(d, ...) bl_mapped_corrupt(&(d)->m, __VA_ARGS__)

#define TAIL_BYTES 28
#define OFFSET_BYTES 8
#define MAX_BLOCK_TERMS 65535
/* Smallest encoding of an entry (shared, suffix_len, 1 suffix byte, six
 * 1-byte varints), used to bound counts against sizes before trusting them. */
#define MIN_ENTRY_BYTES 9

/* ---- shared helpers ---------------------------------------------------- */

static int term_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    int c = n ? memcmp(a, b, n) : 0;
    if (c)
        return c;
    return alen < blen ? -1 : alen > blen;
}

/* Whether frequencies can describe one list: doc_freq documents, each
 * holding the term 1..max_tf times, total_freq times in all. */
static int freqs_consistent(uint64_t doc_freq, uint64_t total_freq, uint64_t max_tf)
{
    return doc_freq >= 1 && doc_freq <= UINT32_MAX && total_freq >= doc_freq &&
           max_tf >= 1 && max_tf <= UINT32_MAX && max_tf - 1 <= total_freq - doc_freq &&
           total_freq / doc_freq + (total_freq % doc_freq != 0) <= max_tf;
}

/* ---- writer ------------------------------------------------------------ */

struct bl_termdict_writer {
    bl_filewriter *fw;
    bl_buf block;        /* encoded entries of the open block */
    bl_buf offsets;      /* block_offset:u64 of every block so far */
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
    bl_buf_init(&w->offsets);
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
    bl_buf_release(&w->offsets);
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
    int rc = bl_filewriter_write(w->fw, w->block.data, w->block.len);
    if (rc) {
        w->failed = 1;
        return rc;
    }
    bl_buf_clear(&w->block);
    w->in_block = 0;
    w->blocks++;
    return 0;
}

static int check_input(const bl_termdict_writer *w, const uint8_t *t, size_t len,
                       const bl_terminfo *info)
{
    if (!t || len == 0 || len > BL_TERM_MAX_BYTES)
        return bl_error_set(BL_EINVAL, "termdict writer: term of %zu bytes (must be 1..%d)",
                            len, BL_TERM_MAX_BYTES);
    if (!freqs_consistent(info->doc_freq, info->total_freq, info->max_tf))
        return bl_error_set(BL_EINVAL,
                            "termdict writer: term '%.*s': doc_freq %u, total_freq %llu, "
                            "max_tf %u do not describe a list",
                            (int)len, (const char *)t, info->doc_freq,
                            (unsigned long long)info->total_freq, info->max_tf);
    if (w->terms == 0)
        return 0;
    if (term_cmp(w->prev, w->prev_len, t, len) >= 0)
        return bl_error_set(BL_EINVAL, "termdict writer: term '%.*s' does not sort after '%.*s'",
                            (int)len, (const char *)t, (int)w->prev_len,
                            (const char *)w->prev);
    if (info->postings_offset < w->prev_info.postings_offset ||
        info->positions_offset < w->prev_info.positions_offset)
        return bl_error_set(BL_EINVAL, "termdict writer: term '%.*s': offsets go backwards",
                            (int)len, (const char *)t);
    return 0;
}

int bl_termdict_writer_add(bl_termdict_writer *w, const char *term, size_t len,
                           const bl_terminfo *info)
{
    const uint8_t *t = (const uint8_t *)term;
    if (w->failed)
        return BL_EIO;
    int rc = check_input(w, t, len, info);
    if (rc)
        return rc;

    size_t shared = 0;
    uint64_t dp = info->postings_offset, dq = info->positions_offset;
    if (w->in_block == 0) {
        /* The block starts at the current file offset: writes only happen
         * when a block is flushed. */
        if ((rc = bl_buf_put_u64le(&w->offsets, bl_filewriter_offset(w->fw))))
            goto fail;
    } else {
        size_t n = w->prev_len < len ? w->prev_len : len;
        while (shared < n && w->prev[shared] == t[shared])
            shared++;
        dp -= w->prev_info.postings_offset;
        dq -= w->prev_info.positions_offset;
    }
    uint8_t head[6 * BL_VARINT_MAX];
    if ((rc = bl_buf_reserve(&w->block, 2 + len + sizeof head)))
        goto fail;
    uint8_t lens[2] = {(uint8_t)shared, (uint8_t)(len - shared)};
    bl_buf_append(&w->block, lens, 2);
    bl_buf_append(&w->block, t + shared, len - shared);
    size_t h = bl_varint_encode(head, info->doc_freq);
    h += bl_varint_encode(head + h, info->total_freq - info->doc_freq);
    h += bl_varint_encode(head + h, dp);
    h += bl_varint_encode(head + h, dq);
    h += bl_varint_encode(head + h, (uint64_t)info->max_tf * 2 + (info->positionless != 0));
    h += bl_varint_encode(head + h, info->min_len);
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
    uint64_t blocks_end = bl_filewriter_offset(w->fw);
    if (!rc && w->offsets.len)
        rc = bl_filewriter_write(w->fw, w->offsets.data, w->offsets.len);
    if (!rc) {
        uint8_t tail[TAIL_BYTES];
        bl_put_u64le(tail, blocks_end);
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

/* ---- reader: open and the block offsets -------------------------------- */

struct bl_termdict {
    bl_mapped m;
    uint64_t nterms;
    uint64_t nblocks;
    uint64_t blocks_end;  /* body offset of the block offsets array */
    uint32_t block_terms;
    uint32_t last_count;  /* terms in the last block */
};

/* Reads the tail and checks, in O(1), that its counts fit the body's size.
 * Nothing else of the file is read. */
static int read_tail(bl_termdict *d)
{
    const bl_mapped *m = &d->m;
    const uint8_t *t;
    int rc = bl_mapped_tail(m, TAIL_BYTES, &t);
    if (rc)
        return rc;
    uint64_t tail_off = m->len - TAIL_BYTES;
    d->blocks_end = bl_get_u64le(t);
    d->nterms = bl_get_u64le(t + 8);
    d->nblocks = bl_get_u64le(t + 16);
    d->block_terms = bl_get_u32le(t + 24);
    if (d->block_terms == 0 || d->block_terms > MAX_BLOCK_TERMS)
        return corrupt(d, tail_off + 24, "block size of %u terms (must be 1..%d)",
                       d->block_terms, MAX_BLOCK_TERMS);
    uint64_t want_blocks = d->nterms / d->block_terms + (d->nterms % d->block_terms != 0);
    if (d->nblocks != want_blocks)
        return corrupt(d, tail_off + 16, "%llu blocks, but %llu terms need %llu",
                       (unsigned long long)d->nblocks, (unsigned long long)d->nterms,
                       (unsigned long long)want_blocks);
    if (d->nblocks > tail_off / OFFSET_BYTES ||
        d->blocks_end != tail_off - OFFSET_BYTES * d->nblocks)
        return corrupt(d, tail_off, "blocks end at %llu, but %llu block offsets end at %llu",
                       (unsigned long long)d->blocks_end, (unsigned long long)d->nblocks,
                       (unsigned long long)tail_off);
    if (d->nterms > d->blocks_end / MIN_ENTRY_BYTES)
        return corrupt(d, tail_off + 8, "%llu terms cannot fit %llu bytes of blocks",
                       (unsigned long long)d->nterms, (unsigned long long)d->blocks_end);
    if (d->nblocks == 0 && d->blocks_end != 0)
        return corrupt(d, tail_off, "no terms, but %llu bytes of blocks",
                       (unsigned long long)d->blocks_end);
    d->last_count = d->nblocks ? (uint32_t)(d->nterms - (d->nblocks - 1) * d->block_terms) : 0;
    return 0;
}

int bl_termdict_open(bl_termdict **out, const char *path, int verify)
{
    bl_termdict *d = calloc(1, sizeof *d);
    if (!d)
        return BL_ENOMEM;
    int rc = bl_file_map(&d->m, path, BL_KIND_TERMDICT, verify);
    if (!rc)
        rc = read_tail(d);
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
    free(d);
}

uint64_t bl_termdict_count(const bl_termdict *d) { return d->nterms; }

static uint32_t block_count(const bl_termdict *d, uint64_t b)
{
    return b + 1 == d->nblocks ? d->last_count : d->block_terms;
}

/* Where block b (< nblocks) starts and ends. Reads the offsets of blocks
 * b - 1, b and b + 1 (those that exist; the last block ends at blocks_end)
 * and checks each against the blocks' area (block 0 at 0) and each pair
 * for order, naming the entry at fault (for a pair, the later one), then
 * that the block has room for its entries. */
static int block_bounds(const bl_termdict *d, uint64_t b, uint64_t *start, uint64_t *end)
{
    uint64_t lo = b ? b - 1 : 0, hi = b + 1 < d->nblocks ? b + 1 : b;
    uint64_t base = d->blocks_end, v[3];
    int rc = bl_mapped_touch(&d->m, base + OFFSET_BYTES * lo, OFFSET_BYTES * (hi - lo + 1));
    if (rc)
        return rc;
    for (uint64_t i = lo; i <= hi; i++) {
        uint64_t at = base + OFFSET_BYTES * i;
        v[i - lo] = bl_get_u64le(d->m.data + at);
        if (i == 0 && v[0] != 0)
            return corrupt(d, at, "block 0 starts at %llu, not 0", (unsigned long long)v[0]);
        if (v[i - lo] >= d->blocks_end)
            return corrupt(d, at, "block %llu starts at %llu, past the blocks' end %llu",
                           (unsigned long long)i, (unsigned long long)v[i - lo],
                           (unsigned long long)d->blocks_end);
        if (i > lo && v[i - lo] <= v[i - lo - 1])
            return corrupt(d, at, "block %llu starts at %llu, not after block %llu (at %llu)",
                           (unsigned long long)i, (unsigned long long)v[i - lo],
                           (unsigned long long)i - 1, (unsigned long long)v[i - lo - 1]);
    }
    uint64_t s = v[b - lo], e = b < hi ? v[b + 1 - lo] : d->blocks_end;
    uint32_t count = block_count(d, b);
    if ((e - s) / MIN_ENTRY_BYTES < count)
        return corrupt(d, base + OFFSET_BYTES * b, "block %llu of %llu bytes cannot hold %u terms",
                       (unsigned long long)b, (unsigned long long)(e - s), count);
    *start = s;
    *end = e;
    return 0;
}

/* Block b's first term, stored whole at its start (a first entry shares
 * nothing); *first points into the mapping. Also returns the bounds. */
static int first_term(const bl_termdict *d, uint64_t b, const uint8_t **first, size_t *len,
                      uint64_t *start, uint64_t *end)
{
    int rc = block_bounds(d, b, start, end);
    if (!rc)
        rc = bl_mapped_touch(&d->m, *start, 2);
    if (rc)
        return rc;
    const uint8_t *p = d->m.data + *start;
    if (p[0] != 0 || p[1] == 0 || 2 + (uint64_t)p[1] > *end - *start)
        return corrupt(d, *start, "block %llu does not start with a whole term "
                       "(shares %u bytes, %u-byte suffix)",
                       (unsigned long long)b, p[0], p[1]);
    if ((rc = bl_mapped_touch(&d->m, *start + 2, p[1])) != 0)
        return rc;
    *first = p + 2;
    *len = p[1];
    return 0;
}

/* The last block whose first term is <= key (*b = -1 if key sorts before
 * every block), and that block's bounds. Probes O(log nblocks) blocks, each
 * checked as it is read. */
static int find_block(const bl_termdict *d, const uint8_t *key, size_t len, int64_t *b,
                      uint64_t *start, uint64_t *end)
{
    uint64_t lo = 0, hi = d->nblocks; /* answer in [lo, hi) after the loop: lo - 1 */
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2, s = 0, e = 0;
        const uint8_t *first = NULL;
        size_t flen = 0;
        int rc = first_term(d, mid, &first, &flen, &s, &e);
        if (rc)
            return rc;
        if (term_cmp(first, flen, key, len) <= 0) {
            lo = mid + 1;
            *start = s; /* the answer is the last block that went this way */
            *end = e;
        } else {
            hi = mid;
        }
    }
    *b = (int64_t)lo - 1;
    return 0;
}

/* ---- reader: decoding entries ------------------------------------------ */

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

/* Decodes an entry's six numbers into info, given the previous entry's
 * info of the block (unless first). */
static int read_info(const bl_termdict *d, bl_reader *r, uint64_t block, bl_terminfo *info,
                     int first)
{
    uint64_t at = bl_reader_offset(r);
    uint64_t df, extra, dp, dq, max_tf_flags, min_len;
    if (get_varint(r, &df) || get_varint(r, &extra) || get_varint(r, &dp) ||
        get_varint(r, &dq) || get_varint(r, &max_tf_flags) || get_varint(r, &min_len))
        return corrupt(d, at, "bad or truncated varint in term info (block %llu)",
                       (unsigned long long)block);
    uint64_t max_tf = max_tf_flags >> 1;
    if (extra > UINT64_MAX - df || !freqs_consistent(df, df + extra, max_tf))
        return corrupt(d, at, "doc_freq %llu, total_freq %llu + %llu, max_tf %llu do not "
                       "describe a list", (unsigned long long)df, (unsigned long long)df,
                       (unsigned long long)extra, (unsigned long long)max_tf);
    if (min_len > UINT32_MAX)
        return corrupt(d, at, "min_len %llu out of range", (unsigned long long)min_len);
    if (!first && (dp > UINT64_MAX - info->postings_offset ||
                   dq > UINT64_MAX - info->positions_offset))
        return corrupt(d, at, "offset delta overflows");
    info->doc_freq = (uint32_t)df;
    info->total_freq = df + extra;
    info->postings_offset = first ? dp : info->postings_offset + dp;
    info->positions_offset = first ? dq : info->positions_offset + dq;
    info->max_tf = (uint32_t)max_tf;
    info->min_len = (uint32_t)min_len;
    info->positionless = (uint8_t)(max_tf_flags & 1);
    return 0;
}

/* Reads an entry's term bytes: shared (<= prev_len, the previous term's
 * length, 0 for a block's first entry) and the suffix. */
static int read_term(const bl_termdict *d, bl_reader *r, uint64_t block, size_t prev_len,
                     uint8_t *shared, uint8_t *slen, const uint8_t **suffix)
{
    uint64_t at = bl_reader_offset(r);
    if (get_u8(r, shared) || get_u8(r, slen))
        return corrupt(d, at, "term entry runs past the end of block %llu",
                       (unsigned long long)block);
    if (*shared > prev_len)
        return corrupt(d, at, "term shares %u bytes with a previous term of %zu bytes",
                       *shared, prev_len);
    if (*slen == 0 || (size_t)*shared + *slen > BL_TERM_MAX_BYTES)
        return corrupt(d, at, "term of %u + %u bytes (must be 1..%d)", *shared, *slen,
                       BL_TERM_MAX_BYTES);
    if (bl_reader_bytes(r, *slen, suffix))
        return corrupt(d, at, "term suffix runs past the end of block %llu",
                       (unsigned long long)block);
    return 0;
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

/* Errors: BL_ECORRUPT if the block's offsets are damaged or its pages fail
 * their checksums. */
static int cursor_start(const bl_termdict *d, cursor *c, uint64_t b)
{
    uint64_t start, end;
    int rc = block_bounds(d, b, &start, &end);
    if (!rc)
        rc = bl_mapped_touch(&d->m, start, end - start);
    if (rc)
        return rc;
    c->r.base = d->m.data;
    c->r.p = d->m.data + start;
    c->r.end = d->m.data + end;
    c->left = block_count(d, b);
    c->block = b;
    c->len = 0;
    c->term[0] = 0;
    return 0;
}

/* Decodes the next entry of the block (the caller checks c->left first). */
static int cursor_next(const bl_termdict *d, cursor *c)
{
    uint8_t shared, slen;
    const uint8_t *suffix;
    int rc = read_term(d, &c->r, c->block, c->len, &shared, &slen, &suffix);
    if (!rc)
        rc = read_info(d, &c->r, c->block, &c->info, c->len == 0);
    if (rc)
        return rc;
    memcpy(c->term + shared, suffix, slen);
    c->len = (size_t)shared + slen;
    c->term[c->len] = 0;
    c->left--;
    return 0;
}

/* ---- reader: lookups and walks ----------------------------------------- */

int bl_termdict_lookup(const bl_termdict *d, const char *term, size_t len,
                       bl_terminfo *info)
{
    const uint8_t *key = (const uint8_t *)term;
    if (len == 0 || len > BL_TERM_MAX_BYTES || d->nblocks == 0)
        return BL_ENOTFOUND;
    int64_t b;
    uint64_t start = 0, end = 0;
    int rc = find_block(d, key, len, &b, &start, &end);
    if (rc)
        return rc;
    if (b < 0)
        return BL_ENOTFOUND;
    if ((rc = bl_mapped_touch(&d->m, start, end - start)) != 0)
        return rc;
    bl_reader r = {d->m.data, d->m.data + start, d->m.data + end};

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
    uint32_t count = block_count(d, (uint64_t)b);
    for (uint32_t i = 0; i < count; i++) {
        uint8_t shared, slen;
        const uint8_t *suffix;
        if ((rc = read_term(d, &r, (uint64_t)b, prev_len, &shared, &slen, &suffix)) != 0 ||
            (rc = read_info(d, &r, (uint64_t)b, &cur, i == 0)) != 0)
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
    int64_t start = 0;
    uint64_t s, e;
    if (len) {
        int rc = find_block(d, p, len, &start, &s, &e);
        if (rc)
            return rc;
    }
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
        /* pair keys (pairs.h) sort after every word: no word is left */
        if (!min || bl_term_is_pair(min->term, min->len))
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

/* ---- check ------------------------------------------------------------- */

/* Checks one decoded entry against the one before it (if any) and the
 * sizes of the files its offsets point into. */
static int check_entry(const bl_termdict *d, uint64_t at, uint64_t seen, const cursor *c,
                       const uint8_t *prev, size_t prev_len, const bl_terminfo *prev_info,
                       uint64_t docs_bytes, uint64_t positions_bytes)
{
    if (seen > 0) {
        if (term_cmp(prev, prev_len, c->term, c->len) >= 0)
            return corrupt(d, at, "term %llu does not sort after the one before it",
                           (unsigned long long)seen);
        if (c->info.postings_offset < prev_info->postings_offset ||
            c->info.positions_offset < prev_info->positions_offset)
            return corrupt(d, at, "term %llu: offsets go backwards", (unsigned long long)seen);
    }
    if (c->info.postings_offset >= docs_bytes)
        return corrupt(d, at, "term %llu: postings offset %llu past the %llu-byte postings file",
                       (unsigned long long)seen, (unsigned long long)c->info.postings_offset,
                       (unsigned long long)docs_bytes);
    /* a list without positions may start where the positions file ends */
    if (c->info.positions_offset > positions_bytes ||
        (c->info.positions_offset == positions_bytes && !c->info.positionless))
        return corrupt(d, at,
                       "term %llu: positions offset %llu past the %llu-byte positions file",
                       (unsigned long long)seen, (unsigned long long)c->info.positions_offset,
                       (unsigned long long)positions_bytes);
    return 0;
}

int bl_termdict_check(const bl_termdict *d, uint64_t docs_bytes, uint64_t positions_bytes)
{
    uint8_t prev[BL_TERM_MAX_BYTES];
    size_t prev_len = 0;
    bl_terminfo prev_info = {0};
    uint64_t seen = 0;
    cursor c;
    /* Each block's bounds come from its offset and the next one, and each
     * block must be exactly its entries: together these cover the blocks'
     * area from 0 to blocks_end with no gap, overlap or stray byte. */
    for (uint64_t b = 0; b < d->nblocks; b++) {
        int rc = cursor_start(d, &c, b);
        if (rc)
            return rc;
        while (c.left) {
            uint64_t at = bl_reader_offset(&c.r);
            if ((rc = cursor_next(d, &c)) != 0 ||
                (rc = check_entry(d, at, seen, &c, prev, prev_len, &prev_info, docs_bytes,
                                  positions_bytes)) != 0)
                return rc;
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
