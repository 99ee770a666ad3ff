/* docstore.c: the compressed document store (kind BLST, ".sto"), writer
 * and reader.
 *
 * The body of the file (filefmt.h frames it with the footer) is, with u32
 * and u64 little-endian and varint = LEB128 as in buf.h:
 *
 *   body      := chunk{nparts} entry{nblocks} part{nparts} tail
 *   chunk     := dict block{...}            a part's dictionary, then its
 *                                           blocks
 *   dict      := bytes[dict_len]            the part's preset dictionary
 *   block     := bytes[csize]               a raw deflate stream (RFC 1951,
 *                                           32 KiB window) inflated with
 *                                           its part's dict preset, to
 *                                           exactly usize bytes:
 *   inflated  := rel_first:varint count:varint record{count}
 *   record    := id:field title:field text:field source:field date:field
 *                url:field
 *   field     := len:varint bytes[len]
 *   entry     := first_doc:u32 offset:u64 csize:u32 usize:u32   (20 bytes)
 *   part      := first_block:u32 first_doc:u32 dict_off:u64 dict_len:u32
 *                                                                 (20 bytes)
 *   tail      := nparts:u32 nblocks:u32 doc_count:u32            (12 bytes)
 *
 *   part        blocks first_block up to the next part's first_block (or
 *               nblocks), compressed with one dictionary: a store the
 *               indexer writes has one part, a merge's store one per store
 *               it copied (their blocks are copied as they are, never
 *               inflated). Part 0 has first_block 0, first_doc 0 and
 *               dict_off 0; first_block rises strictly and stays below
 *               nblocks; first_doc is its first block's first_doc;
 *               nparts <= nblocks, and 0 only in an empty store
 *   dict_len    0 to BL_DOCSTORE_DICT_MAX; 0 means no dictionary
 *   first_doc   number of the block's first document: 0 for the first
 *               block, then strictly increasing and below doc_count
 *   rel_first   first_doc minus its part's first_doc: what the block was
 *               written with, which a copy keeps; the entry's first_doc
 *               minus the part's and the block header's agree
 *   count       documents in the block, >= 1: the next entry's first_doc
 *               (doc_count after the last entry) minus this one's
 *   offset      body offset of the block: its part's dict_off + dict_len
 *               for the part's first, then the previous offset + csize; a
 *               part's dict_off is where the previous part's last block
 *               ends, and the last block ends where the entries start
 *               (body length - 12 - 20 * (nblocks + nparts))
 *   csize       compressed bytes, >= 1
 *   usize       inflated bytes, 2 + 6 * count <= usize <=
 *               BL_DOCSTORE_MAX_RECORD + 10, and at most csize * 1032 + 64
 *               (deflate cannot do better than 1032:1, so a damaged usize
 *               cannot make a reader allocate much more than the file holds)
 *   doc_count   total documents; nblocks <= doc_count, and an empty store
 *               (doc_count 0) has no blocks, no parts and a body that is
 *               the tail alone
 *
 * Entries have a fixed width so a reader binary-searches them in place
 * (first_doc), or reads entry d directly when nblocks == doc_count (block d
 * can then only hold document d), and opening costs only the tail,
 * whatever the file's size.
 * Each entry is checked when it is read: against the bounds the search has
 * narrowed so far, the tail, and the header inflated from its block, so a
 * damaged entry fails the fetches that read it and nothing else.
 *
 * The writer packs whole records into a block while they fit in its block
 * target (bl_docstore_writer_set_block, BL_DOCSTORE_BLOCK by default); a
 * record that does not fit starts a new block, and a record of the target
 * or more gets a block to itself. A target of 0 gives every document its
 * own block: a fetch then inflates its own bytes only, but the store is
 * larger (20 bytes of entry and a deflate header a document) and slower
 * to write (every block primes its stream with the dictionary).
 * Blocks are compressed at zlib level 4. Measured with 16 KiB blocks on
 * 28 MB of Reuters JSONL (one thread, the whole indexing run): level 2
 * makes the store 6% larger and indexing 10% faster, level 3 (zlib's fast
 * path, no lazy matches) 2% larger for no time saved, level 6 4% smaller
 * for 40% slower. With the dictionary, level 4 keeps the store
 * near 0.4 of the JSONL it came from. The dictionary is built once
 * per store from the first SAMPLE_BYTES of records (so the writer holds
 * those back): DICT_CHUNK-byte pieces taken at even intervals, dict_len =
 * min(BL_DOCSTORE_DICT_MAX, sample / 32) rounded down to whole pieces, so
 * a small store does not pay for a dictionary larger than its savings.
 * Small blocks let a reader inflate little more than its document; the
 * dictionary gives each block the common strings of the collection that a
 * large block would have found in its own earlier text.
 *
 * The reader inflates a block into a cache only as far as the document it
 * is asked for, keeping the stream open for later documents of the same
 * block. Each record, once whole, is rewritten in place so that every
 * field is followed by a NUL (a field's length varint takes at least the
 * byte its NUL needs, so the rewrite never passes the bytes still to be
 * read; inflate keeps its own window, so earlier output may change).
 */
#include "docstore.h"

#define ZLIB_CONST
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "buf.h"
#include "deletes.h"
#include "error.h"
#include "filefmt.h"

/* Names the damage in the store s (filefmt.h). */
#define corrupt(s, ...) bl_mapped_corrupt(&(s)->m, __VA_ARGS__)

#define TAIL_BYTES 12
#define ENTRY_BYTES 20
#define PART_BYTES 24
#define NFIELDS 6
#define ZLEVEL 4
#define ZMEMLEVEL 8
/* Raw deflate (no zlib header or Adler-32: the page checksums cover the
 * bytes) with a 32 KiB window. */
#define ZWBITS (-15)
#define MAX_RATIO 1032
/* A block header is two varint32s. */
#define HEADER_MAX 10
#define MAX_USIZE (BL_DOCSTORE_MAX_RECORD + HEADER_MAX)
#define SAMPLE_BYTES (1u << 20)
#define DICT_CHUNK 256
#define DICT_SAMPLE_SHARE 32
/* Bytes inflated at least per step when a record's end is not yet known. */
#define INFLATE_STEP 1024
#define OUT_CHUNK (64 * 1024)
/* Caches larger than this are given back when a much smaller block comes. */
#define CACHE_KEEP (4u * 1024 * 1024)

static void doc_fields(const bl_stored_doc *doc, const char *p[NFIELDS], size_t len[NFIELDS])
{
    p[0] = doc->id;     len[0] = doc->id_len;
    p[1] = doc->title;  len[1] = doc->title_len;
    p[2] = doc->text;   len[2] = doc->text_len;
    p[3] = doc->source; len[3] = doc->source_len;
    p[4] = doc->date;   len[4] = doc->date_len;
    p[5] = doc->url;    len[5] = doc->url_len;
}

/* A run of blocks copied from one store, back to back: source blocks
 * [src_block, src_block + n), shifted by delta bytes, after deleted
 * documents of the source before it. A block that held deleted and live
 * documents is written again with its live ones only: a run of its own
 * (n = 1) whose entry, made then, is in `fresh` (fresh_entry set). */
struct copied_run {
    uint32_t src_block, n;
    int64_t delta;
    uint32_t deleted_before;
    int fresh_entry;
    uint8_t fresh[ENTRY_BYTES];
};

/* Encodes a part. */
static void put_part(uint8_t *p, uint32_t first_block, uint32_t first_doc, uint64_t dict_off,
                     uint32_t dict_len, uint32_t hdr_first)
{
    bl_put_u32le(p, first_block);
    bl_put_u32le(p + 4, first_doc);
    bl_put_u64le(p + 8, dict_off);
    bl_put_u32le(p + 16, dict_len);
    bl_put_u32le(p + 20, hdr_first);
}

/* ---- writer ------------------------------------------------------------ */

static int write_copied_entries(bl_docstore_writer *w);

struct bl_docstore_writer {
    bl_filewriter *fw;
    bl_buf block;        /* records of the open block, uncompressed */
    bl_buf index;        /* encoded entries so far */
    /* Until the dictionary is chosen: the records held back (encoded) and
     * their sizes. */
    bl_buf sample;
    size_t *sample_lens;
    size_t nsample, sample_cap;
    int have_dict;       /* the dictionary is written; blocks may follow */
    uint8_t dict[BL_DOCSTORE_DICT_MAX];
    size_t dict_len;
    z_stream zs;
    int zs_ready;
    /* A stream primed with the dictionary, copied to start each block:
     * priming hashes every byte of the dictionary, which per block (per
     * document, by default) costs more than the copy. */
    z_stream primed;
    int primed_ready;
    uint32_t block_docs; /* records in the open block */
    uint32_t ndocs;      /* documents added (held back ones included) */
    uint32_t packed;     /* documents placed in blocks (the open one included) */
    uint32_t nblocks;
    size_t block_target; /* a block closes once it holds this many bytes */
    int failed;          /* sticky: only abort/finish remain */
    /* Stores copied whole by bl_docstore_writer_append (their entries are
     * written from them at finish), with the first document and body
     * offset each was given. */
    bl_docstore **srcs;
    uint32_t *src_docs;
    uint64_t *src_offs;
    size_t nsrcs, srcs_cap;
    /* For a store copied without its deleted documents: the runs of
     * blocks kept, each moved as a whole (by source). */
    struct copied_run **src_runs;
    size_t *src_nruns;
    uint8_t *src_filtered; /* copied without its deleted documents */
    bl_buf parts;        /* encoded parts so far (appended stores') */
    uint32_t nparts;
    uint8_t out[OUT_CHUNK];
};

int bl_docstore_writer_new(bl_docstore_writer **out, const char *path)
{
    bl_docstore_writer *w = calloc(1, sizeof *w);
    if (!w)
        return BL_ENOMEM;
    bl_buf_init(&w->block);
    bl_buf_init(&w->index);
    bl_buf_init(&w->sample);
    bl_buf_init(&w->parts);
    if (deflateInit2(&w->zs, ZLEVEL, Z_DEFLATED, ZWBITS, ZMEMLEVEL, Z_DEFAULT_STRATEGY) != Z_OK) {
        free(w);
        return BL_ENOMEM;
    }
    w->zs_ready = 1;
    w->block_target = BL_DOCSTORE_BLOCK;
    int rc = bl_filewriter_open(&w->fw, path, BL_KIND_STORE);
    if (rc) {
        deflateEnd(&w->zs);
        free(w);
        return rc;
    }
    *out = w;
    return 0;
}

void bl_docstore_writer_set_block(bl_docstore_writer *w, size_t bytes)
{
    w->block_target = bytes;
}

static void free_writer(bl_docstore_writer *w)
{
    if (w->zs_ready)
        deflateEnd(&w->zs);
    if (w->primed_ready)
        deflateEnd(&w->primed);
    bl_buf_release(&w->block);
    bl_buf_release(&w->index);
    bl_buf_release(&w->sample);
    bl_buf_release(&w->parts);
    free(w->sample_lens);
    for (size_t i = 0; i < w->nsrcs; i++)
        free(w->src_runs[i]);
    free(w->src_runs);
    free(w->src_nruns);
    free(w->src_filtered);
    free(w->srcs);
    free(w->src_docs);
    free(w->src_offs);
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

/* Feeds n bytes to deflate (flush: Z_NO_FLUSH or Z_FINISH) and writes what
 * comes out; adds the bytes written to *csize. */
static int deflate_some(bl_docstore_writer *w, const uint8_t *p, size_t n, int flush,
                        uint64_t *csize)
{
    w->zs.next_in = p;
    w->zs.avail_in = (uInt)n; /* <= MAX_USIZE < 4 GiB */
    for (;;) {
        w->zs.next_out = w->out;
        w->zs.avail_out = sizeof w->out;
        int z = deflate(&w->zs, flush);
        if (z != Z_OK && z != Z_STREAM_END && z != Z_BUF_ERROR)
            return bl_error_set(BL_ENOMEM, "docstore writer: deflate failed (%d)", z);
        size_t got = sizeof w->out - w->zs.avail_out;
        int rc = got ? bl_filewriter_write(w->fw, w->out, got) : 0;
        if (rc)
            return rc;
        *csize += got;
        if (flush == Z_FINISH ? z == Z_STREAM_END : w->zs.avail_in == 0 && got < sizeof w->out)
            return 0;
    }
}

/* Makes w->zs a fresh stream with the dictionary preset (as deflateReset
 * then deflateSetDictionary would). */
static int start_stream(bl_docstore_writer *w)
{
    if (!w->dict_len) {
        if (deflateReset(&w->zs) != Z_OK)
            return bl_error_set(BL_ENOMEM, "docstore writer: deflateReset failed");
        return 0;
    }
    if (!w->primed_ready) {
        if (deflateInit2(&w->primed, ZLEVEL, Z_DEFLATED, ZWBITS, ZMEMLEVEL,
                         Z_DEFAULT_STRATEGY) != Z_OK)
            return bl_error_set(BL_ENOMEM, "docstore writer: no memory for deflate");
        w->primed_ready = 1;
        if (deflateSetDictionary(&w->primed, w->dict, (uInt)w->dict_len) != Z_OK)
            return bl_error_set(BL_ENOMEM, "docstore writer: deflateSetDictionary failed");
    }
    if (w->zs_ready)
        deflateEnd(&w->zs);
    w->zs_ready = deflateCopy(&w->zs, &w->primed) == Z_OK;
    return w->zs_ready ? 0 : bl_error_set(BL_ENOMEM, "docstore writer: deflateCopy failed");
}

static int flush_block(bl_docstore_writer *w)
{
    if (w->block_docs == 0)
        return 0;
    uint64_t offset = bl_filewriter_offset(w->fw);
    uint64_t csize = 0;
    uint32_t first_doc = w->packed - w->block_docs;
    uint8_t header[HEADER_MAX];
    size_t hlen = bl_varint_encode(header, first_doc);
    hlen += bl_varint_encode(header + hlen, w->block_docs);
    int rc = 0;
    if ((rc = start_stream(w)))
        goto fail;
    if ((rc = deflate_some(w, header, hlen, Z_NO_FLUSH, &csize)) ||
        (rc = deflate_some(w, w->block.data, w->block.len, Z_FINISH, &csize)))
        goto fail;
    uint8_t entry[ENTRY_BYTES];
    bl_put_u32le(entry, first_doc);
    bl_put_u64le(entry + 4, offset);
    bl_put_u32le(entry + 12, (uint32_t)csize); /* < 1.1 GiB: deflate's bound on MAX_USIZE */
    bl_put_u32le(entry + 16, (uint32_t)(hlen + w->block.len));
    if ((rc = bl_buf_append(&w->index, entry, sizeof entry)))
        goto fail;
    bl_buf_clear(&w->block);
    w->block_docs = 0;
    w->nblocks++;
    return 0;
fail:
    w->failed = 1;
    return rc;
}

/* Makes room in the open block for a record of rec bytes, first closing the
 * block if the record does not fit in it. */
static int start_record(bl_docstore_writer *w, size_t rec)
{
    int rc;
    if (w->block_docs && w->block.len + rec > w->block_target && (rc = flush_block(w)))
        return rc;
    if ((rc = bl_buf_reserve(&w->block, rec))) {
        w->failed = 1;
        return rc;
    }
    return 0;
}

/* Counts the record that was just appended to the open block. */
static int end_record(bl_docstore_writer *w)
{
    w->block_docs++;
    w->packed++;
    return w->block.len >= w->block_target ? flush_block(w) : 0;
}

/* Picks the dictionary from the records held back, writes it, then packs
 * those records into blocks. */
static int write_dict(bl_docstore_writer *w)
{
    size_t len = w->sample.len;
    size_t want = len / DICT_SAMPLE_SHARE;
    if (want > BL_DOCSTORE_DICT_MAX)
        want = BL_DOCSTORE_DICT_MAX;
    size_t pieces = want / DICT_CHUNK;
    /* Evenly spaced pieces: the gap len / pieces is at least 32 pieces, so
     * the last one ends inside the sample. */
    for (size_t i = 0; i < pieces; i++)
        memcpy(w->dict + i * DICT_CHUNK, w->sample.data + len / pieces * i, DICT_CHUNK);
    w->dict_len = pieces * DICT_CHUNK;
    w->have_dict = 1;
    int rc = w->dict_len ? bl_filewriter_write(w->fw, w->dict, w->dict_len) : 0;
    size_t at = 0;
    for (size_t i = 0; !rc && i < w->nsample; i++) {
        size_t n = w->sample_lens[i];
        if ((rc = start_record(w, n)) == 0) {
            memcpy(w->block.data + w->block.len, w->sample.data + at, n);
            w->block.len += n;
            rc = end_record(w);
        }
        at += n;
    }
    bl_buf_release(&w->sample);
    free(w->sample_lens);
    w->sample_lens = NULL;
    w->nsample = w->sample_cap = 0;
    if (rc)
        w->failed = 1;
    return rc;
}

/* Encodes a record into b, which has room for it. */
static void encode_record(bl_buf *b, const char *p[NFIELDS], const size_t len[NFIELDS])
{
    for (int f = 0; f < NFIELDS; f++) {
        b->len += bl_varint_encode(b->data + b->len, len[f]);
        if (len[f]) {
            memcpy(b->data + b->len, p[f], len[f]);
            b->len += len[f];
        }
    }
}

/* Holds a record back until the dictionary is chosen. */
static int hold_record(bl_docstore_writer *w, const char *p[NFIELDS], const size_t len[NFIELDS],
                       size_t rec)
{
    if (w->nsample == w->sample_cap) {
        size_t cap = w->sample_cap ? w->sample_cap * 2 : 256;
        size_t *v = realloc(w->sample_lens, cap * sizeof *v);
        if (!v)
            goto nomem;
        w->sample_lens = v;
        w->sample_cap = cap;
    }
    if (bl_buf_reserve(&w->sample, rec))
        goto nomem;
    encode_record(&w->sample, p, len);
    w->sample_lens[w->nsample++] = rec;
    return w->sample.len >= SAMPLE_BYTES ? write_dict(w) : 0;
nomem:
    w->failed = 1;
    return BL_ENOMEM;
}

int bl_docstore_writer_add(bl_docstore_writer *w, const bl_stored_doc *doc)
{
    if (w->failed)
        return BL_EIO;
    if (w->nsrcs)
        return bl_error_set(BL_EINVAL, "docstore writer: a store that copies others takes "
                            "no documents of its own");
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
        rec += bl_varint_len(len[f]) + len[f];
    }
    if (rec > BL_DOCSTORE_MAX_RECORD)
        return bl_error_set(BL_ETOOBIG, "docstore writer: document %u takes %llu bytes (limit %llu)",
                            w->ndocs, (unsigned long long)rec,
                            (unsigned long long)BL_DOCSTORE_MAX_RECORD);
    w->ndocs++;
    if (!w->have_dict)
        return hold_record(w, p, len, (size_t)rec);
    int rc = start_record(w, (size_t)rec);
    if (rc)
        return rc;
    encode_record(&w->block, p, len);
    return end_record(w);
}

int bl_docstore_writer_finish(bl_docstore_writer *w)
{
    int rc = w->failed ? BL_EIO : 0;
    if (!rc && w->nsrcs) {
        rc = write_copied_entries(w);
    } else if (!rc) {
        if (!w->have_dict)
            rc = write_dict(w);
        if (!rc)
            rc = flush_block(w);
        if (!rc && w->index.len)
            rc = bl_filewriter_write(w->fw, w->index.data, w->index.len);
        if (!rc && w->nblocks) {
            uint8_t part[PART_BYTES];
            put_part(part, 0, 0, 0, (uint32_t)w->dict_len, 0);
            rc = bl_buf_append(&w->parts, part, sizeof part);
            w->nparts = 1;
        }
    }
    if (!rc && w->parts.len)
        rc = bl_filewriter_write(w->fw, w->parts.data, w->parts.len);
    if (!rc) {
        uint8_t tail[TAIL_BYTES];
        bl_put_u32le(tail, w->nparts);
        bl_put_u32le(tail + 4, w->nblocks);
        bl_put_u32le(tail + 8, w->ndocs);
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

/* One block's entry, checked. */
typedef struct {
    uint32_t b;
    uint32_t first_doc;
    uint32_t count;      /* from the next entry (or the tail) */
    uint64_t off;
    uint32_t csize;
    uint32_t usize;
    uint32_t part_first_doc; /* its part's */
    uint32_t hdr_first;      /* its part's */
    uint64_t dict_off;
    uint32_t dict_len;
} block_ref;

/* One part, checked against its neighbours. */
typedef struct {
    uint32_t p;
    uint32_t first_block, end_block; /* its blocks: [first_block, end_block) */
    uint32_t first_doc, end_doc;     /* its documents */
    uint64_t dict_off;
    uint32_t dict_len;
    uint32_t hdr_first;              /* what its first block's header says */
} part_ref;

struct bl_docstore {
    bl_mapped m;
    uint32_t nblocks;
    uint32_t ndocs;
    uint32_t nparts;
    uint64_t index_off;  /* body offset of the first entry */
    uint64_t parts_off;  /* body offset of the first part */
    part_ref part;       /* the part last found */
    int have_part;
    z_stream zs;
    int zs_ready;
    /* The open block: inflated into cache[0..have), records parsed up to
     * byte raw, their fields rewritten NUL-terminated into cache[0..packed)
     * with starts[6 r + f] the start of field f of record r and
     * starts[6 parsed] the end of the last. */
    int open;
    block_ref cur;
    uint8_t *cache;
    size_t cache_cap;
    uint32_t *starts;
    size_t starts_cap;
    size_t have, raw, packed;
    uint32_t parsed;
    int ended;           /* inflate reached the end of the stream */
};

/* Reads the tail and checks what it alone can tell. */
static int read_tail(bl_docstore *s)
{
    const bl_mapped *m = &s->m;
    const uint8_t *t;
    int rc = bl_mapped_tail(m, TAIL_BYTES, &t);
    if (rc)
        return rc;
    uint64_t tail_off = m->len - TAIL_BYTES;
    s->nparts = bl_get_u32le(t);
    s->nblocks = bl_get_u32le(t + 4);
    s->ndocs = bl_get_u32le(t + 8);
    if (s->nblocks > s->ndocs || s->nparts > s->nblocks)
        return corrupt(s, tail_off, "%u parts and %u blocks for %u documents", s->nparts,
                       s->nblocks, s->ndocs);
    if (s->nblocks == 0) {
        if (s->ndocs != 0 || tail_off != 0)
            return corrupt(s, tail_off, "no blocks, but %u documents and %llu bytes of data",
                           s->ndocs, (unsigned long long)tail_off);
        return 0;
    }
    if (s->nparts == 0)
        return corrupt(s, tail_off, "%u blocks in no part", s->nblocks);
    /* The entries and parts, and at least one compressed byte per block,
     * must fit before the tail. */
    if ((uint64_t)s->nblocks * (ENTRY_BYTES + 1) + (uint64_t)s->nparts * PART_BYTES > tail_off)
        return corrupt(s, tail_off + 4, "%u blocks, %u parts and their entries cannot fit in %llu bytes",
                       s->nblocks, s->nparts, (unsigned long long)tail_off);
    s->parts_off = tail_off - (uint64_t)s->nparts * PART_BYTES;
    s->index_off = s->parts_off - (uint64_t)s->nblocks * ENTRY_BYTES;
    return 0;
}

int bl_docstore_open(bl_docstore **out, const char *path, int verify)
{
    bl_docstore *s = calloc(1, sizeof *s);
    if (!s)
        return BL_ENOMEM;
    int rc = bl_file_map(&s->m, path, BL_KIND_STORE, verify);
    if (!rc)
        rc = read_tail(s);
    if (!rc) {
        if (inflateInit2(&s->zs, ZWBITS) == Z_OK)
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
    free(s->cache);
    free(s->starts);
    free(s);
}

uint32_t bl_docstore_count(const bl_docstore *s) { return s->ndocs; }

/* ---- the block index, read in place ---- */

static uint64_t entry_off(const bl_docstore *s, uint32_t b)
{
    return s->index_off + (uint64_t)b * ENTRY_BYTES;
}

static uint64_t part_off(const bl_docstore *s, uint32_t p)
{
    return s->parts_off + (uint64_t)p * PART_BYTES;
}

/* The first field (u32) of row i of a table of the store (an entry or a
 * part) at body offset at: checked to be below limit, and 0 exactly for
 * row 0; what and unit name the row and the field's count for the
 * message. */
static int row_first(const bl_docstore *s, uint64_t at, size_t width, uint32_t i,
                     uint32_t limit, const char *what, const char *unit, uint32_t *first)
{
    int rc = bl_mapped_touch(&s->m, at, width);
    if (rc)
        return rc;
    *first = bl_get_u32le(s->m.data + at);
    if (*first >= limit || (i == 0) != (*first == 0))
        return corrupt(s, at, "%s %u starts at %s %u (store holds %u)", what, i, unit, *first,
                       limit);
    return 0;
}

/* first_block of part p, checked against the tail. */
static int part_first_block(const bl_docstore *s, uint32_t p, uint32_t *first)
{
    return row_first(s, part_off(s, p), PART_BYTES, p, s->nblocks, "part", "block", first);
}

/* Part p whole, checked against the next one (or the tail). */
static int part_read(const bl_docstore *s, uint32_t p, part_ref *pr)
{
    int rc = part_first_block(s, p, &pr->first_block);
    if (rc)
        return rc;
    uint64_t at = part_off(s, p);
    const uint8_t *e = s->m.data + at;
    pr->p = p;
    pr->first_doc = bl_get_u32le(e + 4);
    pr->dict_off = bl_get_u64le(e + 8);
    pr->dict_len = bl_get_u32le(e + 16);
    pr->hdr_first = bl_get_u32le(e + 20);
    if (p + 1 < s->nparts) {
        if ((rc = part_first_block(s, p + 1, &pr->end_block)))
            return rc;
        pr->end_doc = bl_get_u32le(s->m.data + part_off(s, p + 1) + 4);
    } else {
        pr->end_block = s->nblocks;
        pr->end_doc = s->ndocs;
    }
    uint32_t blocks = pr->end_block - pr->first_block;
    if (pr->end_block <= pr->first_block || pr->end_doc > s->ndocs ||
        (uint64_t)pr->first_doc + blocks > pr->end_doc || (p == 0 && pr->first_doc != 0))
        return corrupt(s, at, "part %u: blocks %u to %u, documents %u to %u (store holds %u)",
                       p, pr->first_block, pr->end_block, pr->first_doc, pr->end_doc,
                       s->ndocs);
    if (pr->dict_len > BL_DOCSTORE_DICT_MAX || (p == 0 && pr->dict_off != 0) ||
        pr->dict_off > s->index_off ||
        pr->dict_len + (uint64_t)blocks > s->index_off - pr->dict_off)
        return corrupt(s, at, "part %u: a %u-byte dictionary at offset %llu and %u blocks "
                       "cannot fit before offset %llu (limit %d bytes a dictionary)", p,
                       pr->dict_len, (unsigned long long)pr->dict_off, blocks,
                       (unsigned long long)s->index_off, BL_DOCSTORE_DICT_MAX);
    return 0;
}

/* The part holding block b (< nblocks): the one found last, else by binary
 * search over the parts' first blocks in place. */
static int find_part(bl_docstore *s, uint32_t b, part_ref *out)
{
    if (s->have_part && b - s->part.first_block < s->part.end_block - s->part.first_block) {
        *out = s->part;
        return 0;
    }
    uint32_t lo = 0, hi = s->nparts; /* b's part is in [lo, hi) */
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2, first;
        int rc = part_first_block(s, mid, &first);
        if (rc)
            return rc;
        if (first <= b)
            lo = mid;
        else
            hi = mid;
    }
    int rc = part_read(s, lo, out);
    if (rc)
        return rc;
    if (b < out->first_block || b >= out->end_block)
        return corrupt(s, part_off(s, lo), "block %u lies in no part (parts out of order)", b);
    s->part = *out;
    s->have_part = 1;
    return 0;
}

/* first_doc of entry b, checked against the tail. */
static int entry_first(const bl_docstore *s, uint32_t b, uint32_t *first)
{
    return row_first(s, entry_off(s, b), ENTRY_BYTES, b, s->ndocs, "block", "document", first);
}

/* The whole of entry b, checked against the tail, given the first
 * document of the next block (doc_count after the last). */
static int entry_read(bl_docstore *s, uint32_t b, uint32_t next_first, block_ref *br)
{
    int rc = entry_first(s, b, &br->first_doc);
    if (rc)
        return rc;
    uint64_t at = entry_off(s, b);
    const uint8_t *e = s->m.data + at;
    br->b = b;
    br->off = bl_get_u64le(e + 4);
    br->csize = bl_get_u32le(e + 12);
    br->usize = bl_get_u32le(e + 16);
    if (next_first <= br->first_doc)
        return corrupt(s, at, "block %u starts at document %u, the next at %u", b,
                       br->first_doc, next_first);
    br->count = next_first - br->first_doc;
    part_ref pr;
    if ((rc = find_part(s, b, &pr)))
        return rc;
    if (br->first_doc < pr.first_doc || next_first > pr.end_doc ||
        (b == pr.first_block && br->first_doc != pr.first_doc))
        return corrupt(s, at, "block %u holds documents %u to %u, outside its part's %u to %u",
                       b, br->first_doc, next_first, pr.first_doc, pr.end_doc);
    uint64_t lo = pr.dict_off + pr.dict_len;
    if (br->off < lo || br->off > s->index_off || br->csize == 0 ||
        br->csize > s->index_off - br->off)
        return corrupt(s, at, "block %u of %u bytes at offset %llu is outside its part's blocks [%llu, %llu)",
                       b, br->csize, (unsigned long long)br->off, (unsigned long long)lo,
                       (unsigned long long)s->index_off);
    br->part_first_doc = pr.first_doc;
    br->hdr_first = pr.hdr_first;
    br->dict_off = pr.dict_off;
    br->dict_len = pr.dict_len;
    if (br->usize < 2 + (uint64_t)br->count * NFIELDS || br->usize > MAX_USIZE ||
        br->usize > (uint64_t)br->csize * MAX_RATIO + 64)
        return corrupt(s, at, "block %u: %u documents in %u bytes inflated from %u", b,
                       br->count, br->usize, br->csize);
    return 0;
}

/* Finds and checks the entry of the block holding doc (< ndocs): directly
 * when every block holds one document, else by binary search. Each probe must lie strictly between the bounds found so far
 * (every block holds a document), so damage is either caught where it is
 * read or leads to a block whose header then disagrees. */
static int find_block(bl_docstore *s, uint32_t doc, block_ref *br)
{
    if (s->nblocks == s->ndocs) {
        /* A document a block (the default layout): first documents rise
         * strictly from 0 and stay below doc_count, so block doc holds
         * document doc and its entry is read without a search. */
        uint32_t first;
        int rc = entry_first(s, doc, &first);
        if (rc)
            return rc;
        if (first != doc)
            return corrupt(s, entry_off(s, doc), "block %u starts at document %u, out of order",
                           doc, first);
        return entry_read(s, doc, doc + 1, br);
    }
    uint32_t lo = 0, hi = s->nblocks;      /* doc is in [lo, hi) */
    uint64_t lo_first = 0, hi_first = s->ndocs;
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        uint32_t first;
        int rc = entry_first(s, mid, &first);
        if (rc)
            return rc;
        if (first < lo_first + (mid - lo) || first + (uint64_t)(hi - mid) > hi_first)
            return corrupt(s, entry_off(s, mid), "block %u starts at document %u, out of order",
                           mid, first);
        if (first <= doc) {
            lo = mid;
            lo_first = first;
        } else {
            hi = mid;
            hi_first = first;
        }
    }
    return entry_read(s, lo, (uint32_t)hi_first, br);
}

/* ---- inflating a block ---- */

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

/* Inflates the open block until at least target (<= usize) bytes are out. */
static int inflate_to(bl_docstore *s, size_t target)
{
    const block_ref *br = &s->cur;
    while (s->have < target) {
        if (s->ended)
            return corrupt(s, br->off, "block %u inflates to %zu bytes, %u recorded", br->b,
                           s->have, br->usize);
        s->zs.next_out = s->cache + s->have;
        s->zs.avail_out = (uInt)(target - s->have);
        int z = inflate(&s->zs, Z_NO_FLUSH);
        s->have = target - s->zs.avail_out;
        if (z == Z_STREAM_END)
            s->ended = 1;
        else if (z == Z_MEM_ERROR)
            return bl_error_set(BL_ENOMEM, "%s: inflate: out of memory", s->m.path);
        else if (z != Z_OK)
            return corrupt(s, br->off, "block %u does not inflate: %s", br->b,
                           s->zs.msg ? s->zs.msg : "stream cut short");
    }
    return 0;
}

/* Opens block br: resets the stream, inflates and checks the header. */
static int open_block(bl_docstore *s, const block_ref *br)
{
    s->open = 0;
    size_t nstarts = (size_t)br->count * NFIELDS + 1;
    if (ensure((void **)&s->cache, &s->cache_cap, br->usize, 1) ||
        ensure((void **)&s->starts, &s->starts_cap, nstarts, sizeof *s->starts))
        return bl_error_set(BL_ENOMEM, "%s: no memory for a block of %u bytes", s->m.path,
                            br->usize);
    int rc;
    if (br->dict_len && (rc = bl_mapped_touch(&s->m, br->dict_off, br->dict_len)))
        return rc;
    if ((rc = bl_mapped_touch(&s->m, br->off, br->csize)))
        return rc;
    if (inflateReset(&s->zs) != Z_OK ||
        (br->dict_len &&
         inflateSetDictionary(&s->zs, s->m.data + br->dict_off, br->dict_len) != Z_OK))
        return bl_error_set(BL_ENOMEM, "%s: inflateReset failed", s->m.path);
    s->zs.next_in = s->m.data + br->off;
    s->zs.avail_in = br->csize;
    s->cur = *br;
    s->have = s->raw = s->packed = 0;
    s->parsed = 0;
    s->ended = 0;
    if ((rc = inflate_to(s, br->usize < HEADER_MAX ? br->usize : HEADER_MAX)))
        return rc;
    bl_reader r;
    bl_reader_init(&r, s->cache, s->have);
    uint32_t first, count;
    if (bl_reader_varint32(&r, &first) || bl_reader_varint32(&r, &count))
        return corrupt(s, br->off, "block %u: unreadable header", br->b);
    /* (the header counts as the block's part says: its first block's
     * header holds hdr_first) */
    uint64_t doc0 = (uint64_t)first + br->part_first_doc - br->hdr_first;
    if (first < br->hdr_first || doc0 != br->first_doc || count != br->count)
        return corrupt(s, br->off, "block %u holds documents %llu to %llu, its entry (offset %llu) says %u to %llu",
                       br->b, (unsigned long long)doc0, (unsigned long long)doc0 + count - 1,
                       (unsigned long long)entry_off(s, br->b), br->first_doc,
                       (unsigned long long)br->first_doc + br->count - 1);
    s->raw = bl_reader_offset(&r);
    s->starts[0] = 0;
    s->open = 1;
    return 0;
}

/* Parses (and NUL-terminates) records of the open block until record k is
 * whole, inflating as little as it takes. */
static int parse_to(bl_docstore *s, uint32_t k)
{
    const block_ref *br = &s->cur;
    while (s->parsed <= k) {
        bl_reader r;
        bl_reader_init(&r, s->cache + s->raw, s->have - s->raw);
        uint64_t len[NFIELDS];
        size_t src[NFIELDS];
        uint64_t end = 0;
        int f;
        for (f = 0; f < NFIELDS; f++) {
            if (bl_reader_varint(&r, &len[f]))
                break; /* cut short (or invalid: then it stays so to usize) */
            src[f] = s->raw + bl_reader_offset(&r);
            if (len[f] > br->usize - src[f]) {
                f = -1;
                break;
            }
            end = src[f] + len[f];
            if (end > s->have) {
                f++;
                break;
            }
            const uint8_t *bytes;
            bl_reader_bytes(&r, (size_t)len[f], &bytes); /* inflated: end <= have */
        }
        if (f != NFIELDS || end > s->have) {
            /* Not whole yet: inflate up to its end if known, else at least
             * past the fields read so far, and a step. */
            size_t want = f == NFIELDS || end > s->have + INFLATE_STEP
                              ? (size_t)end : s->have + INFLATE_STEP;
            if (f < 0 || s->have == br->usize)
                return corrupt(s, br->off, "block %u: document %llu at byte %zu runs past the block's %u bytes",
                               br->b, (unsigned long long)br->first_doc + s->parsed, s->raw,
                               br->usize);
            int rc = inflate_to(s, want < br->usize ? want : br->usize);
            if (rc)
                return rc;
            continue;
        }
        /* Every destination ends before the source it came from (a length
         * varint took at least one byte), so the moves never overtake. */
        uint32_t *st = s->starts + (size_t)s->parsed * NFIELDS;
        for (f = 0; f < NFIELDS; f++) {
            st[f] = (uint32_t)s->packed;
            memmove(s->cache + s->packed, s->cache + src[f], (size_t)len[f]);
            s->packed += (size_t)len[f];
            s->cache[s->packed++] = 0;
        }
        st[NFIELDS] = (uint32_t)s->packed;
        s->raw = (size_t)end;
        s->parsed++;
    }
    return 0;
}

/* After the last record: the stream must end exactly at usize and csize. */
static int finish_block(bl_docstore *s)
{
    const block_ref *br = &s->cur;
    int rc = inflate_to(s, br->usize);
    if (rc)
        return rc;
    if (s->raw != br->usize)
        return corrupt(s, br->off, "block %u: %zu stray bytes after its %u documents", br->b,
                       br->usize - s->raw, br->count);
    if (!s->ended) {
        /* No room for output: only the end of the stream may remain. */
        s->zs.next_out = s->cache + s->have;
        s->zs.avail_out = 0;
        if (inflate(&s->zs, Z_NO_FLUSH) != Z_STREAM_END)
            return corrupt(s, br->off, "block %u inflates to more than %u bytes", br->b,
                           br->usize);
        s->ended = 1;
    }
    if (s->zs.avail_in != 0)
        return corrupt(s, br->off, "block %u: %u of its %u compressed bytes left over", br->b,
                       s->zs.avail_in, br->csize);
    return 0;
}

int bl_docstore_get(bl_docstore *s, uint32_t doc, bl_stored_doc *out)
{
    if (doc >= s->ndocs)
        return bl_error_set(BL_EINVAL, "%s: document %u out of range (store holds %u)",
                            s->m.path, doc, s->ndocs);
    int rc;
    if (!s->open || doc - s->cur.first_doc >= s->cur.count) {
        block_ref br;
        if ((rc = find_block(s, doc, &br)) || (rc = open_block(s, &br)))
            return rc;
    }
    uint32_t k = doc - s->cur.first_doc;
    if ((rc = parse_to(s, k))) {
        s->open = 0;
        return rc;
    }
    const uint32_t *st = s->starts + (size_t)k * NFIELDS;
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

/* Every entry against its neighbours: first documents from 0 up (a
 * disorder is blamed on the later entry), each part's dictionary and
 * blocks back to back from offset 0 to the entries. */
static int check_entries(bl_docstore *s)
{
    uint32_t prev = 0;
    for (uint32_t b = 0; b < s->nblocks; b++) {
        uint32_t first;
        int rc = entry_first(s, b, &first);
        if (rc)
            return rc;
        if (b && first <= prev)
            return corrupt(s, entry_off(s, b), "block %u starts at document %u, block %u at %u",
                           b, first, b - 1, prev);
        prev = first;
    }
    uint64_t next_off = 0;
    part_ref prev_part = {0};
    for (uint32_t p = 0; p < s->nparts; p++) {
        part_ref pr;
        int rc = part_read(s, p, &pr);
        if (rc)
            return rc;
        /* a part has a dictionary of its own, right after the blocks
         * before it, or shares the previous part's */
        int shared = p > 0 && pr.dict_off == prev_part.dict_off &&
                     pr.dict_len == prev_part.dict_len;
        if (!shared && pr.dict_off != next_off)
            return corrupt(s, part_off(s, p), "part %u's dictionary at offset %llu, expected %llu",
                           p, (unsigned long long)pr.dict_off, (unsigned long long)next_off);
        if (!shared)
            next_off += pr.dict_len;
        prev_part = pr;
        for (uint32_t b = pr.first_block; b < pr.end_block; b++) {
            uint32_t next_first = s->ndocs;
            block_ref br;
            rc = b + 1 < s->nblocks ? entry_first(s, b + 1, &next_first) : 0;
            if (rc || (rc = entry_read(s, b, next_first, &br)))
                return rc;
            if (br.off != next_off)
                return corrupt(s, entry_off(s, b), "block %u at offset %llu, expected %llu", b,
                               (unsigned long long)br.off, (unsigned long long)next_off);
            next_off += br.csize;
        }
    }
    if (s->nblocks && next_off != s->index_off)
        return corrupt(s, entry_off(s, s->nblocks - 1), "blocks end at offset %llu, entries start at %llu",
                       (unsigned long long)next_off, (unsigned long long)s->index_off);
    return 0;
}

int bl_docstore_check(bl_docstore *s)
{
    int rc = check_entries(s);
    for (uint32_t b = 0; !rc && b < s->nblocks; b++) {
        uint32_t next_first = s->ndocs;
        block_ref br;
        if ((rc = b + 1 < s->nblocks ? entry_first(s, b + 1, &next_first) : 0) ||
            (rc = entry_read(s, b, next_first, &br)) || (rc = open_block(s, &br)) ||
            (rc = parse_to(s, br.count - 1)) || (rc = finish_block(s)))
            s->open = 0;
    }
    return rc;
}

/* ---- copying stores whole (merges) ---- */

#define COPY_CHUNK (1u << 20)

/* Makes room for one more source in w's arrays. */
static int grow_srcs(bl_docstore_writer *w)
{
    if (w->nsrcs < w->srcs_cap)
        return 0;
    size_t cap = w->srcs_cap ? 2 * w->srcs_cap : 16;
    bl_docstore **v = realloc(w->srcs, cap * sizeof *v);
    if (v)
        w->srcs = v;
    uint32_t *d = realloc(w->src_docs, cap * sizeof *d);
    if (d)
        w->src_docs = d;
    uint64_t *o = realloc(w->src_offs, cap * sizeof *o);
    if (o)
        w->src_offs = o;
    struct copied_run **r = realloc(w->src_runs, cap * sizeof *r);
    if (r)
        w->src_runs = r;
    size_t *nr = realloc(w->src_nruns, cap * sizeof *nr);
    if (nr)
        w->src_nruns = nr;
    uint8_t *f = realloc(w->src_filtered, cap);
    if (f)
        w->src_filtered = f;
    if (!v || !d || !o || !r || !nr || !f)
        return BL_ENOMEM;
    w->srcs_cap = cap;
    return 0;
}

/* Copies src's bytes [from, to) to the end of w, each page verified as it
 * is read and given back after each chunk (read once: two merges at once
 * kept 64 MB of their stores resident when they were given back every
 * 32 MB). */
static int copy_bytes(bl_docstore_writer *w, bl_docstore *src, uint64_t from, uint64_t to)
{
    int rc = 0;
    for (uint64_t at = from; !rc && at < to; at += COPY_CHUNK) {
        size_t n = to - at < COPY_CHUNK ? (size_t)(to - at) : COPY_CHUNK;
        if (!(rc = bl_mapped_touch(&src->m, at, n)))
            rc = bl_filewriter_write(w->fw, src->m.data + at, n);
        bl_mapped_drop_range(&src->m, at, n);
    }
    return rc;
}

/* Copies src's parts whole, shifted. */
static int append_whole(bl_docstore_writer *w, bl_docstore *src, uint64_t base_off)
{
    int rc = 0;
    for (uint32_t p = 0; !rc && p < src->nparts; p++) {
        part_ref pr;
        uint8_t part[PART_BYTES];
        if (!(rc = part_read(src, p, &pr))) {
            put_part(part, w->nblocks + pr.first_block, w->ndocs + pr.first_doc,
                     base_off + pr.dict_off, pr.dict_len, pr.hdr_first);
            rc = bl_buf_append(&w->parts, part, sizeof part);
        }
    }
    if (!rc)
        rc = copy_bytes(w, src, 0, src->index_off);
    if (!rc) {
        w->ndocs += src->ndocs;
        w->nblocks += src->nblocks;
        w->nparts += src->nparts;
    }
    return rc;
}

/* Writes the live documents of src's block br (some of which del marks
 * deleted) as a new block numbered from new_first, compressed with the
 * dictionary of br's part pr; its header's first document is 0 (its part,
 * of this block alone, says hdr_first 0). Its entry goes to entry. */
static int rewrite_block(bl_docstore_writer *w, bl_docstore *src, const block_ref *br,
                         const part_ref *pr, const uint64_t *del, uint32_t new_first,
                         uint8_t entry[ENTRY_BYTES])
{
    bl_buf_clear(&w->block);
    uint32_t live = 0;
    int rc = 0;
    for (uint32_t d = br->first_doc; !rc && d < br->first_doc + br->count; d++) {
        if (bl_deleted(del, d))
            continue;
        bl_stored_doc sd;
        const char *p[NFIELDS];
        size_t len[NFIELDS];
        if ((rc = bl_docstore_get(src, d, &sd)))
            break;
        doc_fields(&sd, p, len);
        size_t rec = 0;
        for (int f = 0; f < NFIELDS; f++)
            rec += bl_varint_len(len[f]) + len[f];
        if (!(rc = bl_buf_reserve(&w->block, rec))) {
            encode_record(&w->block, p, len);
            live++;
        }
    }
    uint64_t offset = bl_filewriter_offset(w->fw), csize = 0;
    uint8_t header[HEADER_MAX];
    size_t hlen = bl_varint_encode(header, 0);
    hlen += bl_varint_encode(header + hlen, live);
    if (!rc && pr->dict_len)
        rc = bl_mapped_touch(&src->m, pr->dict_off, pr->dict_len);
    if (!rc && (deflateReset(&w->zs) != Z_OK ||
                (pr->dict_len && deflateSetDictionary(&w->zs, src->m.data + pr->dict_off,
                                                      pr->dict_len) != Z_OK)))
        rc = bl_error_set(BL_ENOMEM, "docstore writer: deflateReset failed");
    if (!rc && !(rc = deflate_some(w, header, hlen, Z_NO_FLUSH, &csize)))
        rc = deflate_some(w, w->block.data, w->block.len, Z_FINISH, &csize);
    bl_put_u32le(entry, new_first);
    bl_put_u64le(entry + 4, offset);
    bl_put_u32le(entry + 12, (uint32_t)csize);
    bl_put_u32le(entry + 16, (uint32_t)(hlen + w->block.len));
    bl_buf_clear(&w->block);
    return rc;
}

/* Copies src's blocks that hold no deleted document (del), each part's
 * dictionary once, a new part for each run of blocks kept (sharing it);
 * a block with deleted and live documents is written again (a part of its
 * own); the runs are kept for write_copied_entries. */
static int append_live(bl_docstore_writer *w, bl_docstore *src, const uint64_t *del,
                       struct copied_run **runs_out, size_t *nruns_out)
{
    struct copied_run *runs = NULL;
    size_t nruns = 0, cap = 0;
    uint32_t deleted = 0;
    int rc = 0;
    for (uint32_t p = 0; !rc && p < src->nparts; p++) {
        part_ref pr;
        if ((rc = part_read(src, p, &pr)))
            break;
        /* the dictionary goes out with the part's first run, if any */
        uint64_t dict_off = UINT64_MAX;
        int in_run = 0;
        for (uint32_t b = pr.first_block; !rc && b < pr.end_block; b++) {
            uint32_t next_first = src->ndocs;
            block_ref br;
            if ((rc = b + 1 < src->nblocks ? entry_first(src, b + 1, &next_first) : 0) ||
                (rc = entry_read(src, b, next_first, &br)))
                break;
            uint32_t gone = 0;
            for (uint32_t d = br.first_doc; d < br.first_doc + br.count; d++)
                gone += (uint32_t)bl_deleted(del, d);
            if (gone == br.count) {
                in_run = 0;
                deleted += gone;
                continue;
            }
            if (!in_run || gone) {
                if (nruns == cap) {
                    cap = cap ? 2 * cap : 16;
                    struct copied_run *r = realloc(runs, cap * sizeof *r);
                    if (!r) {
                        rc = BL_ENOMEM;
                        break;
                    }
                    runs = r;
                }
                if (dict_off == UINT64_MAX) {
                    dict_off = bl_filewriter_offset(w->fw);
                    if ((rc = copy_bytes(w, src, pr.dict_off, pr.dict_off + pr.dict_len)))
                        break;
                }
                uint64_t at = bl_filewriter_offset(w->fw);
                struct copied_run *run = &runs[nruns++];
                *run = (struct copied_run){b, 0, (int64_t)at - (int64_t)br.off, deleted, 0, {0}};
                /* a rewritten block's header says 0 (see rewrite_block) */
                uint8_t part[PART_BYTES];
                put_part(part, w->nblocks, w->ndocs + br.first_doc - deleted, dict_off,
                         pr.dict_len, gone ? 0 : br.first_doc - pr.first_doc + pr.hdr_first);
                if ((rc = bl_buf_append(&w->parts, part, sizeof part)))
                    break;
                w->nparts++;
                in_run = !gone;
                if (gone) {
                    run->n = 1;
                    run->fresh_entry = 1;
                    w->nblocks++;
                    rc = rewrite_block(w, src, &br, &pr, del, w->ndocs + br.first_doc - deleted,
                                       run->fresh);
                    deleted += gone;
                    continue;
                }
            }
            runs[nruns - 1].n++;
            w->nblocks++;
            rc = copy_bytes(w, src, br.off, br.off + br.csize);
        }
    }
    bl_mapped_drop(&src->m);
    w->ndocs += src->ndocs - deleted;
    *runs_out = runs;
    *nruns_out = nruns;
    return rc;
}

int bl_docstore_writer_append(bl_docstore_writer *w, bl_docstore *src, const uint64_t *del)
{
    if (w->failed)
        return BL_EIO;
    if (w->ndocs && !w->nsrcs)
        return bl_error_set(BL_EINVAL, "docstore writer: a store with documents of its own "
                            "cannot copy others");
    if ((uint64_t)w->ndocs + src->ndocs > UINT32_MAX)
        return bl_error_set(BL_ETOOBIG, "docstore writer: more than %u documents", UINT32_MAX);
    int rc = grow_srcs(w);
    if (rc)
        return rc;
    uint64_t base_off = bl_filewriter_offset(w->fw);
    uint32_t base_doc = w->ndocs;
    struct copied_run *runs = NULL;
    size_t nruns = 0;
    rc = del ? append_live(w, src, del, &runs, &nruns) : append_whole(w, src, base_off);
    if (rc) {
        free(runs);
        w->failed = 1;
        return rc;
    }
    bl_mapped_drop(&src->m);
    w->srcs[w->nsrcs] = src;
    w->src_docs[w->nsrcs] = base_doc;
    w->src_offs[w->nsrcs] = base_off;
    w->src_runs[w->nsrcs] = runs;
    w->src_nruns[w->nsrcs] = nruns;
    w->src_filtered[w->nsrcs] = del != NULL;
    w->nsrcs++;
    return 0;
}

/* Appends the entry of src's block b, moved by delta bytes and by
 * shift documents (both the copy's). */
static int copy_entry(bl_docstore_writer *w, bl_docstore *src, uint32_t b, int64_t delta,
                      int64_t shift)
{
    uint32_t next_first = src->ndocs;
    block_ref br;
    int rc;
    if ((rc = b + 1 < src->nblocks ? entry_first(src, b + 1, &next_first) : 0) ||
        (rc = entry_read(src, b, next_first, &br)))
        return rc;
    uint8_t entry[ENTRY_BYTES];
    bl_put_u32le(entry, (uint32_t)((int64_t)br.first_doc + shift));
    bl_put_u64le(entry + 4, (uint64_t)((int64_t)br.off + delta));
    bl_put_u32le(entry + 12, br.csize);
    bl_put_u32le(entry + 16, br.usize);
    if ((rc = bl_buf_append(&w->index, entry, sizeof entry)))
        return rc;
    if (w->index.len >= COPY_CHUNK) {
        rc = bl_filewriter_write(w->fw, w->index.data, w->index.len);
        bl_buf_clear(&w->index);
        bl_mapped_drop(&src->m);
    }
    return rc;
}

/* The entries of the copied stores, each read and checked in its own
 * store, moved on by the documents and bytes before it (and, for a store
 * copied without its deleted documents, by those before each run). */
static int write_copied_entries(bl_docstore_writer *w)
{
    int rc = 0;
    bl_buf_clear(&w->index);
    for (size_t i = 0; !rc && i < w->nsrcs; i++) {
        bl_docstore *src = w->srcs[i];
        if (!w->src_filtered[i]) {
            for (uint32_t b = 0; !rc && b < src->nblocks; b++)
                rc = copy_entry(w, src, b, (int64_t)w->src_offs[i], w->src_docs[i]);
            continue;
        }
        for (size_t r = 0; !rc && r < w->src_nruns[i]; r++) {
            const struct copied_run *run = &w->src_runs[i][r];
            if (run->fresh_entry) {
                rc = bl_buf_append(&w->index, run->fresh, sizeof run->fresh);
                continue;
            }
            for (uint32_t b = run->src_block; !rc && b < run->src_block + run->n; b++)
                rc = copy_entry(w, src, b, run->delta,
                                (int64_t)w->src_docs[i] - run->deleted_before);
        }
    }
    if (!rc && w->index.len)
        rc = bl_filewriter_write(w->fw, w->index.data, w->index.len);
    return rc;
}
