/* segment.c: opening a segment's five files together; document lengths. */
#include "segment.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "codec.h"
#include "error.h"
#include "filefmt.h"
#include "deletes.h"
#include "idmap.h"
#include "pairs.h"

struct bl_segment {
    bl_manifest_segment info;
    bl_termdict *dict;
    bl_postings *postings;
    bl_docstore *store;
    bl_mapped lens;
    bl_idmap *ids;
    bl_mapped del;           /* deletions, when info.del_gen */
    _Atomic int lens_failed; /* a length's page failed its checksum */
};

/* Order matters: it is the order of the manifest's file fingerprints. */
const char *const bl_segment_exts[] = {"tdi", "doc", "pos", "len", "sto", "inf", "ids", NULL};
_Static_assert(sizeof bl_segment_exts / sizeof bl_segment_exts[0] == BL_SEGMENT_FILES + 1,
               "the manifest records one fingerprint per segment file");

enum { EXT_TDI, EXT_DOC, EXT_POS, EXT_LEN, EXT_STO, EXT_INF, EXT_IDS };

unsigned bl_segment_ext_bit(const char *ext)
{
    for (unsigned i = 0; bl_segment_exts[i]; i++)
        if (strcmp(bl_segment_exts[i], ext) == 0)
            return 1u << i;
    return 0;
}

void bl_segment_remove_some_files(const char *dir, uint64_t id, unsigned which)
{
    char path[4096];
    for (size_t i = 0; bl_segment_exts[i]; i++)
        if ((which >> i & 1) && bl_segment_path(path, sizeof path, dir, id, bl_segment_exts[i]) == 0)
            remove(path);
}

void bl_segment_remove_files(const char *dir, uint64_t id)
{
    bl_segment_remove_some_files(dir, id, ~0u);
}

uint64_t bl_segment_bytes(const char *dir, uint64_t id)
{
    char path[4096];
    struct stat st;
    uint64_t sum = 0;
    for (size_t i = 0; bl_segment_exts[i]; i++)
        if (bl_segment_path(path, sizeof path, dir, id, bl_segment_exts[i]) == 0 &&
            stat(path, &st) == 0)
            sum += (uint64_t)st.st_size;
    return sum;
}

int bl_doclens_write(const char *path, const uint32_t *lens, uint32_t n)
{
    bl_filewriter *w;
    int rc = bl_filewriter_open(&w, path, BL_KIND_DOCLENS);
    if (rc)
        return rc;
    uint8_t chunk[4096];
    for (uint32_t i = 0; i < n;) {
        size_t k = 0;
        for (; i < n && k + 4 <= sizeof chunk; i++, k += 4)
            bl_put_u32le(chunk + k, lens[i]);
        if ((rc = bl_filewriter_write(w, chunk, k)) != 0) {
            bl_filewriter_abort(w);
            return rc;
        }
    }
    return bl_filewriter_commit(w);
}

int bl_seginfo_write(const char *path, const bl_manifest_segment *info, const char *lang,
                     uint32_t analyzer_version)
{
    bl_buf b;
    bl_buf_init(&b);
    size_t lang_len = strlen(lang);
    int rc = lang_len > 255 ? bl_error_set(BL_EINVAL, "language name too long") : 0;
    if (!rc && (bl_buf_put_u64le(&b, info->id) | bl_buf_put_u32le(&b, info->doc_count) |
                bl_buf_put_u64le(&b, info->total_tokens) | bl_buf_put_u32le(&b, info->codec) |
                bl_buf_put_u32le(&b, info->dense_ratio) |
                bl_buf_put_u32le(&b, analyzer_version) | bl_buf_put_u8(&b, (uint8_t)lang_len) |
                bl_buf_append(&b, lang, lang_len)))
        rc = BL_ENOMEM;
    bl_filewriter *w = NULL;
    if (!rc && (rc = bl_filewriter_open(&w, path, BL_KIND_SEGINFO)) == 0) {
        if ((rc = bl_filewriter_write(w, b.data, b.len)) != 0)
            bl_filewriter_abort(w);
        else
            rc = bl_filewriter_commit(w);
    }
    bl_buf_release(&b);
    return rc;
}

int bl_segment_fingerprint(const char *dir, bl_manifest_segment *info)
{
    static const uint32_t kinds[BL_SEGMENT_FILES] = {
        BL_KIND_TERMDICT, BL_KIND_DOCS, BL_KIND_POSITIONS, BL_KIND_DOCLENS, BL_KIND_STORE,
        BL_KIND_SEGINFO, BL_KIND_IDMAP,
    };
    char path[4096];
    for (int i = 0; i < BL_SEGMENT_FILES; i++) {
        bl_mapped m;
        int rc = bl_segment_path(path, sizeof path, dir, info->id, bl_segment_exts[i]);
        if (rc || (rc = bl_file_map(&m, path, kinds[i], 0)) != 0)
            return rc;
        info->files[i].size = m.map_len;
        info->files[i].checksum = m.checksum;
        bl_file_unmap(&m);
    }
    return 0;
}

/* A file that is not the one the manifest recorded for this segment: from
 * another segment, another index, or an older run. */
static int check_bound(const bl_mapped *f, const bl_manifest_segment *info, int ext)
{
    const bl_file_fingerprint *want = &info->files[ext];
    if (f->map_len == want->size && f->checksum == want->checksum)
        return 0;
    return bl_error_set(BL_ECORRUPT, "%s: not the file the manifest records for segment %llu "
                        "(%zu bytes, checksum %016llx; expected %llu bytes, checksum %016llx): "
                        "swapped, stale or foreign", f->path, (unsigned long long)info->id,
                        f->map_len, (unsigned long long)f->checksum,
                        (unsigned long long)want->size, (unsigned long long)want->checksum);
}

/* The segment's own record of what it is must agree with the manifest's:
 * id, counts, codec, and the analyzer its terms came from. */
static int check_seginfo(const char *dir, const bl_manifest *m, const bl_manifest_segment *info)
{
    char path[4096];
    bl_mapped f;
    int rc = bl_segment_path(path, sizeof path, dir, info->id, "inf");
    if (rc || (rc = bl_file_map(&f, path, BL_KIND_SEGINFO, 1)) != 0)
        return rc;
    if ((rc = check_bound(&f, info, EXT_INF)) != 0)
        goto done;
    bl_reader r;
    bl_reader_init(&r, f.data, f.len);
    uint64_t id, tokens;
    uint32_t docs, codec, ratio, version;
    uint8_t lang_len;
    const uint8_t *lang;
    if (bl_reader_u64le(&r, &id) || bl_reader_u32le(&r, &docs) || bl_reader_u64le(&r, &tokens) ||
        bl_reader_u32le(&r, &codec) || bl_reader_u32le(&r, &ratio) ||
        bl_reader_u32le(&r, &version) ||
        bl_reader_u8(&r, &lang_len) || bl_reader_bytes(&r, lang_len, &lang) || bl_reader_left(&r)) {
        rc = bl_error_set(BL_ECORRUPT, "%s: offset %zu: bad segment info", path,
                          bl_reader_offset(&r));
        goto done;
    }
    if (id != info->id || docs != info->doc_count || tokens != info->total_tokens ||
        codec != info->codec || ratio != info->dense_ratio)
        rc = bl_error_set(BL_ECORRUPT, "%s: describes segment %llu (%u documents, %llu tokens, "
                          "codec %u, dense ratio %u); the manifest says segment %llu (%u, %llu, "
                          "%u, %u)", path, (unsigned long long)id, docs,
                          (unsigned long long)tokens, codec, ratio, (unsigned long long)info->id,
                          info->doc_count, (unsigned long long)info->total_tokens, info->codec,
                          info->dense_ratio);
    else if (version != m->analyzer_version || lang_len != strlen(m->lang) ||
             memcmp(lang, m->lang, lang_len) != 0)
        rc = bl_error_set(BL_ECORRUPT, "%s: segment analysed as '%.*s' with analyzer version "
                          "%u, but %s/" BL_MANIFEST_NAME " says '%s' with analyzer version %u",
                          path, (int)lang_len, (const char *)lang, version, dir, m->lang,
                          m->analyzer_version);
done:
    bl_file_unmap(&f);
    return rc;
}

/* Maps the segment's deletions, verified whole (a bit a document: it
 * is read for every match), and checks them against the manifest. */
static int open_deletes(bl_segment *s, const char *dir)
{
    const bl_manifest_segment *info = &s->info;
    char path[4096];
    int rc = bl_segment_del_path(path, sizeof path, dir, info->id, info->del_gen);
    if (rc || (rc = bl_file_map(&s->del, path, BL_KIND_DELETES, 1)) != 0)
        return rc;
    if (s->del.map_len != info->del_file.size || s->del.checksum != info->del_file.checksum)
        return bl_error_set(BL_ECORRUPT, "%s: not the file the manifest records for segment "
                            "%llu's deletions: swapped, stale or foreign", path,
                            (unsigned long long)info->id);
    if (s->del.len != bl_deletes_words(info->doc_count) * 8)
        return bl_error_set(BL_ECORRUPT, "%s: %zu bytes of deletions for %u documents", path,
                            s->del.len, info->doc_count);
    return 0;
}

int bl_segment_open(bl_segment **out, const char *dir, const bl_manifest *m, size_t index,
                    int verify)
{
    const bl_manifest_segment *info = &m->segments[index];
    bl_segment *s = calloc(1, sizeof *s);
    if (!s)
        return BL_ENOMEM;
    s->info = *info;
    char p1[4096], p2[4096];
    int rc;
    if (!bl_codec_get(info->codec)) {
        /* The codec number comes from the manifest, so that is the file named. */
        rc = bl_error_set(BL_EVERSION, "%s/" BL_MANIFEST_NAME ": segment %llu was written with "
                          "block codec %u, which this byline does not know", dir,
                          (unsigned long long)info->id, info->codec);
        goto fail;
    }
    if ((rc = check_seginfo(dir, m, info)) != 0)
        goto fail;
    if ((rc = bl_segment_path(p1, sizeof p1, dir, info->id, "tdi")) ||
        (rc = bl_termdict_open(&s->dict, p1, verify)) ||
        (rc = check_bound(bl_termdict_file(s->dict), info, EXT_TDI)))
        goto fail;
    if ((rc = bl_segment_path(p1, sizeof p1, dir, info->id, "doc")) ||
        (rc = bl_segment_path(p2, sizeof p2, dir, info->id, "pos")) ||
        (rc = bl_postings_open(&s->postings, p1, p2, info->doc_count, info->dense_ratio,
                               info->codec, verify)) ||
        (rc = check_bound(bl_postings_docs_file(s->postings), info, EXT_DOC)) ||
        (rc = check_bound(bl_postings_positions_file(s->postings), info, EXT_POS)))
        goto fail;
    if ((rc = bl_segment_path(p1, sizeof p1, dir, info->id, "sto")) ||
        (rc = bl_docstore_open(&s->store, p1, verify)) ||
        (rc = check_bound(bl_docstore_file(s->store), info, EXT_STO)))
        goto fail;
    if (bl_docstore_count(s->store) != info->doc_count) {
        rc = bl_error_set(BL_ECORRUPT, "%s: holds %u documents, manifest says %u", p1,
                          bl_docstore_count(s->store), info->doc_count);
        goto fail;
    }
    if ((rc = bl_segment_path(p1, sizeof p1, dir, info->id, "len")) ||
        (rc = bl_file_map(&s->lens, p1, BL_KIND_DOCLENS, verify)) ||
        (rc = check_bound(&s->lens, info, EXT_LEN)))
        goto fail;
    if ((rc = bl_segment_path(p1, sizeof p1, dir, info->id, "ids")) ||
        (rc = bl_idmap_open(&s->ids, p1, info->doc_count, verify)) ||
        (rc = check_bound(bl_idmap_file(s->ids), info, EXT_IDS)))
        goto fail;
    if (s->lens.len != (size_t)info->doc_count * 4) {
        rc = bl_error_set(BL_ECORRUPT, "%s: %zu bytes of lengths for %u documents", p1,
                          s->lens.len, info->doc_count);
        goto fail;
    }
    if (info->del_gen && (rc = open_deletes(s, dir)) != 0)
        goto fail;
    *out = s;
    return 0;
fail:
    bl_segment_close(s);
    return rc;
}

const bl_idmap *bl_segment_idmap(const bl_segment *s) { return s->ids; }

const uint64_t *bl_segment_deleted(const bl_segment *s)
{
    return s->del.map ? (const uint64_t *)s->del.data : NULL;
}

void bl_segment_drop_pages(bl_segment *s)
{
    bl_mapped_drop(bl_termdict_file(s->dict));
    bl_mapped_drop(bl_postings_docs_file(s->postings));
    bl_mapped_drop(bl_postings_positions_file(s->postings));
    bl_mapped_drop(bl_docstore_file(s->store));
    bl_mapped_drop(&s->lens);
    bl_mapped_drop(bl_idmap_file(s->ids));
}

void bl_segment_close(bl_segment *s)
{
    if (!s)
        return;
    bl_termdict_close(s->dict);
    bl_postings_close(s->postings);
    bl_docstore_close(s->store);
    bl_file_unmap(&s->lens);
    bl_file_unmap(&s->del);
    bl_idmap_close(s->ids);
    free(s);
}

const bl_manifest_segment *bl_segment_info(const bl_segment *s) { return &s->info; }
const bl_termdict *bl_segment_termdict(const bl_segment *s) { return s->dict; }
const bl_postings *bl_segment_postings(const bl_segment *s) { return s->postings; }
bl_docstore *bl_segment_docstore(bl_segment *s) { return s->store; }

void bl_segment_prefetch_lens(const bl_segment *s, uint32_t doc, uint32_t n)
{
    uint64_t at = (uint64_t)doc * 4, end = at + (uint64_t)n * 4;
    end = end < s->lens.len ? end : s->lens.len;
    /* one touch per cache line of 64 bytes */
    for (uint64_t k = at & ~(uint64_t)63; k < end; k += 64)
        __builtin_prefetch(s->lens.data + k);
}

void bl_segment_prefetch_docs(const bl_segment *s, const uint32_t *docs, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if ((uint64_t)docs[i] * 4 < s->lens.len)
            __builtin_prefetch(s->lens.data + (size_t)docs[i] * 4);
}

uint32_t bl_segment_doc_len(const bl_segment *s, uint32_t doc)
{
    if (bl_mapped_touch(&s->lens, (uint64_t)doc * 4, 4) != 0) {
        /* Sticky, reported by bl_segment_error; the segment is otherwise
         * immutable, and the flag is only ever set. */
        atomic_store_explicit(&((bl_segment *)s)->lens_failed, 1, memory_order_relaxed);
        return 0;
    }
    return bl_get_u32le(s->lens.data + (size_t)doc * 4);
}

int bl_segment_error(const bl_segment *s)
{
    if (!atomic_load_explicit(&((bl_segment *)s)->lens_failed, memory_order_relaxed))
        return 0;
    uint32_t n = s->info.doc_count;
    /* Name the first bad page again, for the detail. */
    int rc = bl_mapped_touch(&s->lens, 0, (uint64_t)n * 4);
    return rc ? rc : bl_error_set(BL_ECORRUPT, "%s: document lengths failed their checksum",
                                  s->lens.path);
}

int bl_segment_find_id(bl_segment *s, const char *id, size_t len, uint32_t *doc)
{
    size_t first, n;
    int frc = bl_idmap_find(s->ids, bl_idmap_hash(id, len), &first, &n);
    if (frc)
        return frc;
    const uint64_t *del = bl_segment_deleted(s);
    for (size_t i = first; i < first + n; i++) {
        uint32_t cand = bl_idmap_doc(s->ids, i);
        if (cand != UINT32_MAX && bl_deleted(del, cand))
            continue; /* a deleted document's id is free again */
        bl_stored_doc d;
        int rc = cand == UINT32_MAX ? bl_error_set(BL_ECORRUPT, "%s: entry %zu: no such document",
                                                   bl_idmap_file(s->ids)->path, i)
                                    : bl_docstore_get(s->store, cand, &d);
        if (rc)
            return rc;
        if (d.id_len == len && memcmp(d.id, id, len) == 0) {
            *doc = cand;
            return 0;
        }
    }
    return BL_ENOTFOUND;
}

/* Every stored id must be filed under its hash, for its own document.
 * bl_idmap_check makes sure each document has one entry; then the store is
 * read in document order (one inflate per block, not per entry). */
static int check_ids(bl_segment *s)
{
    int rc = bl_idmap_check(s->ids);
    if (rc)
        return rc;
    uint32_t n = s->info.doc_count;
    uint64_t *filed = malloc((n ? n : 1) * sizeof *filed);
    if (!filed)
        return BL_ENOMEM;
    for (size_t i = 0; i < n; i++)
        filed[bl_idmap_doc(s->ids, i)] = bl_idmap_entry_hash(s->ids, i);
    for (uint32_t d = 0; !rc && d < n; d++) {
        bl_stored_doc sd;
        if ((rc = bl_docstore_get(s->store, d, &sd)) == 0 &&
            filed[d] != bl_idmap_hash(sd.id, sd.id_len))
            rc = bl_error_set(BL_ECORRUPT, "%s: document %u's id is filed under another hash",
                              bl_idmap_file(s->ids)->path, d);
    }
    free(filed);
    return rc;
}

typedef struct {
    bl_segment *seg;
    uint64_t terms;
    int rc;
} check_ctx;

static uint32_t doc_len_of(const void *seg, uint32_t doc)
{
    return bl_segment_doc_len(seg, doc);
}

static int check_term(void *ctx, const char *term, size_t len, const bl_terminfo *info)
{
    check_ctx *c = ctx;
    (void)len;
    c->terms++;
    /* words have positions, pairs (pairs.h) none */
    if (info->positionless != bl_term_is_pair(term, len))
        return bl_error_set(BL_ECORRUPT, "term '%.64s' is %s positions", term,
                            info->positionless ? "a word without" : "a pair with");
    int rc = bl_postings_check_term_lens(c->seg->postings, info, c->seg->info.doc_count,
                                         doc_len_of, c->seg);
    if (rc) {
        /* Keep the postings detail and say which term it was. */
        char detail[900];
        snprintf(detail, sizeof detail, "%s", bl_error_detail());
        bl_error_set(rc, "%s (term '%.64s')", detail, term);
    }
    return rc;
}

int bl_segment_check(bl_segment *s)
{
    int rc = bl_termdict_check(s->dict, bl_postings_docs_bytes(s->postings),
                               bl_postings_positions_bytes(s->postings));
    if (rc)
        return rc;
    check_ctx c = {s, 0, 0};
    if ((rc = bl_termdict_prefix(s->dict, "", 0, check_term, &c)) != 0)
        return rc;
    if (c.terms != bl_termdict_count(s->dict))
        return bl_error_set(BL_ECORRUPT, "segment %llu: walked %llu terms of its dictionary, "
                            "which says it holds %llu", (unsigned long long)s->info.id,
                            (unsigned long long)c.terms,
                            (unsigned long long)bl_termdict_count(s->dict));
    if ((rc = bl_pairs_check(s->dict, s->postings, s->info.doc_count, s->info.dense_ratio)) != 0)
        return rc;
    uint64_t total = 0, del_tokens = 0;
    uint32_t deleted = 0;
    const uint64_t *del = bl_segment_deleted(s);
    for (uint32_t d = 0; d < s->info.doc_count; d++) {
        uint32_t len = bl_segment_doc_len(s, d);
        total += len;
        if (bl_deleted(del, d)) {
            deleted++;
            del_tokens += len;
        }
    }
    if (total != s->info.total_tokens)
        return bl_error_set(BL_ECORRUPT, "%s: lengths add up to %llu tokens, manifest says %llu",
                            s->lens.path, (unsigned long long)total,
                            (unsigned long long)s->info.total_tokens);
    size_t nw = bl_deletes_words(s->info.doc_count);
    if (del && s->info.doc_count % 64 && del[nw - 1] >> (s->info.doc_count % 64))
        return bl_error_set(BL_ECORRUPT, "%s: deletions past the segment's %u documents",
                            s->del.path, s->info.doc_count);
    if (deleted != s->info.del_count || del_tokens != s->info.del_tokens)
        return bl_error_set(BL_ECORRUPT, "%s: %u documents of %llu tokens deleted, manifest "
                            "says %u of %llu", del ? s->del.path : s->lens.path, deleted,
                            (unsigned long long)del_tokens, s->info.del_count,
                            (unsigned long long)s->info.del_tokens);
    if ((rc = bl_docstore_check(s->store)) != 0)
        return rc;
    return check_ids(s);
}
