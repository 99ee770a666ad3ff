/* docstore.c: the compressed document store (kind BLST, ".sto"), writer
 * and reader.
 *
 * The body of the file (filefmt.h frames it with the footer) is, with u32
 * and u64 little-endian and varint = LEB128 as in buf.h:
 *
 *   body        := block{nblocks} index tail
 *   block       := zlib:bytes[csize]         a zlib stream (RFC 1950) that
 *                                            inflates to exactly usize bytes:
 *   inflated    := record{count}
 *   record      := id:field title:field text:field source:field date:field
 *                  url:field
 *   field       := len:varint bytes[len]
 *   index       := index_entry{nblocks}
 *   index_entry := first_doc:varint offset:varint csize:varint usize:varint
 *                  count:varint
 *   tail        := index_offset:u64 nblocks:u32 doc_count:u32
 *
 *   first_doc   number of the block's first document: 0 for the first
 *               block, then the previous first_doc + count
 *   offset      body offset of the block: 0 for the first block, then the
 *               previous offset + csize (blocks are contiguous and the last
 *               one ends at index_offset)
 *   csize       compressed bytes, >= 1
 *   usize       inflated bytes, 6 * count <= usize <= BL_DOCSTORE_MAX_RECORD,
 *               and at most csize * 1032 + 64 (deflate cannot compress
 *               better than 1032:1, so a damaged usize cannot make a reader
 *               allocate much more than the file holds)
 *   count       documents in the block, >= 1
 *   index_offset  body offset of index; the tail is the last 16 bytes of
 *               the body and index runs exactly up to it
 *   doc_count   sum of all counts (0 for an empty store, whose body is the
 *               tail alone)
 *
 * The writer fills a block with whole records while they fit in
 * BL_DOCSTORE_BLOCK bytes; a record that does not fit starts a new block,
 * and a record of BL_DOCSTORE_BLOCK bytes or more gets a block to itself.
 * So every block holds at most max(BL_DOCSTORE_BLOCK, largest record)
 * bytes. Blocks are compressed at zlib level 6.
 *
 * The reader inflates a block into a cache and rewrites it in place so that
 * every field is followed by a NUL (a field's length varint takes at least
 * the byte its NUL needs, so the rewritten block never outgrows the
 * inflated one); returned strings point into that cache.
 */
#include "docstore.h"

#define ZLIB_CONST
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "buf.h"
#include "error.h"
#include "filefmt.h"

#define TAIL_BYTES 16
#define NFIELDS 6
#define ZLEVEL 6
#define MAX_RATIO 1032
#define MIN_INDEX_ENTRY_BYTES 5
#define OUT_CHUNK (64 * 1024)
/* Caches larger than this are given back when a much smaller block comes. */
#define CACHE_KEEP (4u * 1024 * 1024)

static size_t varint_len(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static void doc_fields(const bl_stored_doc *doc, const char *p[NFIELDS], size_t len[NFIELDS])
{
    p[0] = doc->id;     len[0] = doc->id_len;
    p[1] = doc->title;  len[1] = doc->title_len;
    p[2] = doc->text;   len[2] = doc->text_len;
    p[3] = doc->source; len[3] = doc->source_len;
    p[4] = doc->date;   len[4] = doc->date_len;
    p[5] = doc->url;    len[5] = doc->url_len;
}

/* ---- writer ------------------------------------------------------------ */

struct bl_docstore_writer {
    bl_filewriter *fw;
    bl_buf block;        /* records of the open block, uncompressed */
    bl_buf index;        /* encoded index entries so far */
    z_stream zs;
    int zs_ready;
    uint32_t block_docs; /* records in the open block */
    uint32_t ndocs;
    uint32_t nblocks;
    int failed;          /* sticky: only abort/finish remain */
    uint8_t out[OUT_CHUNK];
};

int bl_docstore_writer_new(bl_docstore_writer **out, const char *path)
{
    bl_docstore_writer *w = calloc(1, sizeof *w);
    if (!w)
        return BL_ENOMEM;
    bl_buf_init(&w->block);
    bl_buf_init(&w->index);
    if (deflateInit(&w->zs, ZLEVEL) != Z_OK) {
        free(w);
        return BL_ENOMEM;
    }
    w->zs_ready = 1;
    int rc = bl_filewriter_open(&w->fw, path, BL_KIND_STORE);
    if (rc) {
        deflateEnd(&w->zs);
        free(w);
        return rc;
    }
    *out = w;
    return 0;
}

static void free_writer(bl_docstore_writer *w)
{
    if (w->zs_ready)
        deflateEnd(&w->zs);
    bl_buf_release(&w->block);
    bl_buf_release(&w->index);
    free(w);
}

void bl_docstore_writer_abort(bl_docstore_writer *w)
{
    if (!w)
        return;
    bl_filewriter_abort(w->fw);
    free_writer(w);
}

void bl_docstore_writer_forget(bl_docstore_writer *w)
{
    if (!w)
        return;
    bl_filewriter_forget(w->fw);
    free_writer(w);
}

static int flush_block(bl_docstore_writer *w)
{
    if (w->block_docs == 0)
        return 0;
    uint64_t offset = bl_filewriter_offset(w->fw);
    uint64_t csize = 0;
    int rc = 0;
    if (deflateReset(&w->zs) != Z_OK) {
        rc = bl_error_set(BL_ENOMEM, "docstore writer: deflateReset failed");
        goto fail;
    }
    w->zs.next_in = w->block.data;
    w->zs.avail_in = (uInt)w->block.len; /* <= BL_DOCSTORE_MAX_RECORD */
    for (;;) {
        w->zs.next_out = w->out;
        w->zs.avail_out = sizeof w->out;
        int z = deflate(&w->zs, Z_FINISH);
        if (z != Z_OK && z != Z_STREAM_END && z != Z_BUF_ERROR) {
            rc = bl_error_set(BL_ENOMEM, "docstore writer: deflate failed (%d)", z);
            goto fail;
        }
        size_t n = sizeof w->out - w->zs.avail_out;
        if (n && (rc = bl_filewriter_write(w->fw, w->out, n)))
            goto fail;
        csize += n;
        if (z == Z_STREAM_END)
            break;
    }
    uint32_t first_doc = w->ndocs - w->block_docs;
    if ((rc = bl_buf_put_varint(&w->index, first_doc)) ||
        (rc = bl_buf_put_varint(&w->index, offset)) ||
        (rc = bl_buf_put_varint(&w->index, csize)) ||
        (rc = bl_buf_put_varint(&w->index, w->block.len)) ||
        (rc = bl_buf_put_varint(&w->index, w->block_docs)))
        goto fail;
    bl_buf_clear(&w->block);
    w->block_docs = 0;
    w->nblocks++;
    return 0;
fail:
    w->failed = 1;
    return rc;
}

int bl_docstore_writer_add(bl_docstore_writer *w, const bl_stored_doc *doc)
{
    if (w->failed)
        return BL_EIO;
    if (w->ndocs == UINT32_MAX)
        return bl_error_set(BL_ETOOBIG, "docstore writer: more than %u documents",
                            UINT32_MAX);
    const char *p[NFIELDS];
    size_t len[NFIELDS];
    doc_fields(doc, p, len);
    uint64_t rec = 0;
    for (int f = 0; f < NFIELDS; f++) {
        if (len[f] > BL_DOCSTORE_MAX_FIELD)
            return bl_error_set(BL_ETOOBIG, "docstore writer: field %d of document %u is %zu bytes (limit %llu)",
                                f, w->ndocs, len[f], (unsigned long long)BL_DOCSTORE_MAX_FIELD);
        rec += varint_len(len[f]) + len[f];
    }
    if (rec > BL_DOCSTORE_MAX_RECORD)
        return bl_error_set(BL_ETOOBIG, "docstore writer: document %u takes %llu bytes (limit %llu)",
                            w->ndocs, (unsigned long long)rec,
                            (unsigned long long)BL_DOCSTORE_MAX_RECORD);
    int rc;
    if (w->block_docs && w->block.len + rec > BL_DOCSTORE_BLOCK && (rc = flush_block(w)))
        return rc;
    if ((rc = bl_buf_reserve(&w->block, (size_t)rec))) {
        w->failed = 1;
        return rc;
    }
    for (int f = 0; f < NFIELDS; f++) {
        w->block.len += bl_varint_encode(w->block.data + w->block.len, len[f]);
        if (len[f]) {
            memcpy(w->block.data + w->block.len, p[f], len[f]);
            w->block.len += len[f];
        }
    }
    w->block_docs++;
    w->ndocs++;
    if (w->block.len >= BL_DOCSTORE_BLOCK)
        return flush_block(w);
    return 0;
}

int bl_docstore_writer_finish(bl_docstore_writer *w)
{
    int rc = w->failed ? BL_EIO : flush_block(w);
    uint64_t index_offset = bl_filewriter_offset(w->fw);
    if (!rc && w->index.len)
        rc = bl_filewriter_write(w->fw, w->index.data, w->index.len);
    if (!rc) {
        uint8_t tail[TAIL_BYTES];
        bl_put_u64le(tail, index_offset);
        bl_put_u32le(tail + 8, w->nblocks);
        bl_put_u32le(tail + 12, w->ndocs);
        rc = bl_filewriter_write(w->fw, tail, sizeof tail);
    }
    if (rc)
        bl_filewriter_abort(w->fw);
    else
        rc = bl_filewriter_commit(w->fw);
    free_writer(w);
    return rc;
}

/* ---- reader ------------------------------------------------------------ */

typedef struct {
    uint64_t off;
    uint32_t first_doc;
    uint32_t count;
    uint32_t csize;
    uint32_t usize;
} block_ref;

struct bl_docstore {
    bl_mapped m;
    block_ref *blocks;
    uint32_t nblocks;
    uint32_t ndocs;
    uint64_t index_offset;
    z_stream zs;
    int zs_ready;
    int64_t cached;      /* block held in cache, or -1 */
    uint8_t *cache;      /* the cached block, fields NUL-terminated */
    size_t cache_cap;
    uint32_t *starts;    /* per doc of the cached block, 6 field starts; then the end */
    size_t starts_cap;
};

__attribute__((format(printf, 3, 4)))
static int corrupt(const bl_docstore *s, uint64_t off, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return bl_error_set(BL_ECORRUPT, "%s: offset %llu: %s", s->m.path,
                        (unsigned long long)off, what);
}

static int load_index(bl_docstore *s)
{
    const bl_mapped *m = &s->m;
    if (m->len < TAIL_BYTES)
        return corrupt(s, 0, "body of %zu bytes is shorter than the %d-byte tail", m->len,
                       TAIL_BYTES);
    uint64_t tail_off = m->len - TAIL_BYTES;
    int rc = bl_mapped_touch(m, tail_off, TAIL_BYTES);
    if (rc)
        return rc;
    const uint8_t *t = m->data + tail_off;
    s->index_offset = bl_get_u64le(t);
    s->nblocks = bl_get_u32le(t + 8);
    s->ndocs = bl_get_u32le(t + 12);
    if (s->index_offset > tail_off)
        return corrupt(s, tail_off, "index offset %llu past the tail",
                       (unsigned long long)s->index_offset);
    uint64_t index_len = tail_off - s->index_offset;
    if (s->nblocks > index_len / MIN_INDEX_ENTRY_BYTES)
        return corrupt(s, tail_off + 8, "%u blocks cannot fit an index of %llu bytes",
                       s->nblocks, (unsigned long long)index_len);
    if (s->nblocks == 0) {
        if (s->index_offset != 0 || index_len != 0 || s->ndocs != 0)
            return corrupt(s, tail_off, "no blocks, but %u documents and %llu bytes of data",
                           s->ndocs, (unsigned long long)tail_off);
        return 0;
    }
    if ((rc = bl_mapped_touch(m, s->index_offset, index_len)) != 0)
        return rc;
    s->blocks = calloc(s->nblocks, sizeof *s->blocks);
    if (!s->blocks)
        return BL_ENOMEM;
    bl_reader r = {m->data, m->data + s->index_offset, m->data + tail_off};
    uint64_t next_doc = 0, next_off = 0;
    for (uint32_t b = 0; b < s->nblocks; b++) {
        uint64_t at = bl_reader_offset(&r);
        uint64_t first, off, csize, usize, count;
        if (bl_reader_varint(&r, &first) || bl_reader_varint(&r, &off) ||
            bl_reader_varint(&r, &csize) || bl_reader_varint(&r, &usize) ||
            bl_reader_varint(&r, &count))
            return corrupt(s, at, "block index entry %u runs past the tail", b);
        if (first != next_doc)
            return corrupt(s, at, "block %u starts at document %llu, expected %llu", b,
                           (unsigned long long)first, (unsigned long long)next_doc);
        if (off != next_off)
            return corrupt(s, at, "block %u at offset %llu, expected %llu", b,
                           (unsigned long long)off, (unsigned long long)next_off);
        if (csize == 0 || csize > s->index_offset - off)
            return corrupt(s, at, "block %u of %llu compressed bytes overruns the index", b,
                           (unsigned long long)csize);
        if (count == 0 || count > UINT32_MAX - next_doc)
            return corrupt(s, at, "block %u holds %llu documents", b, (unsigned long long)count);
        if (usize < count * NFIELDS || usize > BL_DOCSTORE_MAX_RECORD ||
            usize > csize * MAX_RATIO + 64)
            return corrupt(s, at, "block %u: %llu documents in %llu bytes inflated from %llu",
                           b, (unsigned long long)count, (unsigned long long)usize,
                           (unsigned long long)csize);
        if (csize > UINT32_MAX)
            return corrupt(s, at, "block %u: %llu compressed bytes", b,
                           (unsigned long long)csize);
        block_ref *br = &s->blocks[b];
        br->off = off;
        br->first_doc = (uint32_t)first;
        br->count = (uint32_t)count;
        br->csize = (uint32_t)csize;
        br->usize = (uint32_t)usize;
        next_doc += count;
        next_off += csize;
    }
    if (bl_reader_left(&r) != 0)
        return corrupt(s, bl_reader_offset(&r), "%zu stray bytes after the block index",
                       bl_reader_left(&r));
    if (next_off != s->index_offset)
        return corrupt(s, tail_off, "blocks end at offset %llu, index starts at %llu",
                       (unsigned long long)next_off, (unsigned long long)s->index_offset);
    if (next_doc != s->ndocs)
        return corrupt(s, tail_off + 12, "blocks hold %llu documents, tail says %u",
                       (unsigned long long)next_doc, s->ndocs);
    return 0;
}

int bl_docstore_open(bl_docstore **out, const char *path, int verify)
{
    bl_docstore *s = calloc(1, sizeof *s);
    if (!s)
        return BL_ENOMEM;
    s->cached = -1;
    int rc = bl_file_map(&s->m, path, BL_KIND_STORE, verify);
    if (!rc)
        rc = load_index(s);
    if (!rc) {
        if (inflateInit(&s->zs) == Z_OK)
            s->zs_ready = 1;
        else
            rc = BL_ENOMEM;
    }
    if (rc) {
        bl_docstore_close(s);
        return rc;
    }
    *out = s;
    return 0;
}

const bl_mapped *bl_docstore_file(const bl_docstore *s) { return &s->m; }

void bl_docstore_close(bl_docstore *s)
{
    if (!s)
        return;
    if (s->zs_ready)
        inflateEnd(&s->zs);
    bl_file_unmap(&s->m);
    free(s->blocks);
    free(s->cache);
    free(s->starts);
    free(s);
}

uint32_t bl_docstore_count(const bl_docstore *s) { return s->ndocs; }

/* Makes *p hold at least need elements of size sz (contents not kept).
 * Gives back a large allocation when a much smaller one is asked for. */
static int ensure(void **p, size_t *cap, size_t need, size_t sz)
{
    if (need <= *cap && !(*cap * sz > CACHE_KEEP && need < *cap / 4))
        return 0;
    free(*p);
    *p = malloc(need * sz);
    *cap = *p ? need : 0;
    return *p ? 0 : BL_ENOMEM;
}

/* Inflates block b into the cache and indexes its fields. */
static int load_block(bl_docstore *s, uint32_t b)
{
    const block_ref *br = &s->blocks[b];
    s->cached = -1;
    size_t nstarts = (size_t)br->count * NFIELDS + 1;
    if (ensure((void **)&s->cache, &s->cache_cap, br->usize, 1) ||
        ensure((void **)&s->starts, &s->starts_cap, nstarts, sizeof *s->starts))
        return bl_error_set(BL_ENOMEM, "%s: no memory for a block of %u bytes", s->m.path,
                            br->usize);

    int rc = bl_mapped_touch(&s->m, br->off, br->csize);
    if (rc)
        return rc;
    if (inflateReset(&s->zs) != Z_OK)
        return bl_error_set(BL_ENOMEM, "%s: inflateReset failed", s->m.path);
    s->zs.next_in = s->m.data + br->off;
    s->zs.avail_in = br->csize;
    s->zs.next_out = s->cache;
    s->zs.avail_out = br->usize;
    int z = inflate(&s->zs, Z_FINISH);
    if (z == Z_MEM_ERROR)
        return bl_error_set(BL_ENOMEM, "%s: inflate: out of memory", s->m.path);
    if (z != Z_STREAM_END)
        return corrupt(s, br->off, "block %u does not inflate to %u bytes: %s", b, br->usize,
                       s->zs.msg ? s->zs.msg
                       : s->zs.avail_out == 0 ? "more data than recorded"
                       : "stream cut short");
    if (s->zs.avail_out != 0 || s->zs.avail_in != 0)
        return corrupt(s, br->off, "block %u inflates to %u of %u bytes, %u compressed bytes left over",
                       b, br->usize - s->zs.avail_out, br->usize, s->zs.avail_in);

    /* Rewrite in place: each "len:varint bytes" becomes "bytes NUL". The
     * write position never passes the read position. */
    bl_reader r;
    bl_reader_init(&r, s->cache, br->usize);
    size_t w = 0, k = 0;
    for (uint32_t d = 0; d < br->count; d++) {
        for (int f = 0; f < NFIELDS; f++) {
            uint64_t at = bl_reader_offset(&r);
            uint64_t len;
            const uint8_t *src;
            if (bl_reader_varint(&r, &len) || bl_reader_bytes(&r, len, &src))
                return corrupt(s, br->off, "block %u: document %llu, field %d at byte %llu runs past the block",
                               b, (unsigned long long)br->first_doc + d, f,
                               (unsigned long long)at);
            s->starts[k++] = (uint32_t)w;
            memmove(s->cache + w, src, len);
            w += len;
            s->cache[w++] = 0;
        }
    }
    s->starts[k] = (uint32_t)w;
    if (bl_reader_left(&r) != 0)
        return corrupt(s, br->off, "block %u: %zu stray bytes after its %u documents", b,
                       bl_reader_left(&r), br->count);
    s->cached = b;
    return 0;
}

int bl_docstore_get(bl_docstore *s, uint32_t doc, bl_stored_doc *out)
{
    if (doc >= s->ndocs)
        return bl_error_set(BL_EINVAL, "%s: document %u out of range (store holds %u)",
                            s->m.path, doc, s->ndocs);
    uint32_t b;
    if (s->cached >= 0 && doc - s->blocks[s->cached].first_doc < s->blocks[s->cached].count) {
        b = (uint32_t)s->cached;
    } else {
        uint32_t lo = 0, hi = s->nblocks; /* last block with first_doc <= doc */
        while (hi - lo > 1) {
            uint32_t mid = lo + (hi - lo) / 2;
            if (s->blocks[mid].first_doc <= doc)
                lo = mid;
            else
                hi = mid;
        }
        b = lo;
        int rc = load_block(s, b);
        if (rc)
            return rc;
    }
    const uint32_t *st = s->starts + (size_t)(doc - s->blocks[b].first_doc) * NFIELDS;
    const char *c = (const char *)s->cache;
#define FIELD(i, p, l) (out->p = c + st[i], out->l = st[i + 1] - st[i] - 1)
    FIELD(0, id, id_len);
    FIELD(1, title, title_len);
    FIELD(2, text, text_len);
    FIELD(3, source, source_len);
    FIELD(4, date, date_len);
    FIELD(5, url, url_len);
#undef FIELD
    return 0;
}

int bl_docstore_check(bl_docstore *s)
{
    for (uint32_t b = 0; b < s->nblocks; b++) {
        int rc = load_block(s, b);
        if (rc)
            return rc;
    }
    return 0;
}
