/* inverter.c: in-memory inversion of one segment.
 *
 * Each distinct term gets an entry in a hash table (open addressing over an
 * array of entry indices) and a growable byte stream holding, per document
 * that contains it: doc gap, tf, then tf position gaps, all varints. This
 * keeps memory near the size of the compressed postings while indexing.
 */
#include "inverter.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "buf.h"
#include "codec.h"
#include "docstore.h"
#include "error.h"
#include "idmap.h"
#include "pairs.h"
#include "postings.h"
#include "segment.h"
#include "termdict.h"

typedef struct {
    uint32_t str_off; /* in the string arena */
    uint32_t len;
    uint64_t hash;
    uint32_t last_doc;
    uint32_t df;
    bl_buf stream;
    /* In the current document: its first and last occurrence (NO_OCC: it
     * has none yet) and how many. */
    uint32_t doc_first, doc_last, doc_tf;
} term_entry;

/* One occurrence of the current document, chained to the term's next. */
typedef struct {
    uint32_t term;
    uint32_t position;
    uint32_t next; /* NO_OCC: the term's last */
} occurrence;

#define NO_OCC UINT32_MAX

struct bl_inverter {
    char *dir;
    uint64_t seg_id;
    bl_analyzer *analyzer;
    uint32_t codec;      /* of the .doc and .pos files */
    uint32_t dense_ratio; /* which lists are dense (postings.h) */
    bl_docstore_writer *store;
    /* Files of this segment the inverter itself created (bit i: extension
     * bl_segment_exts[i]): the only ones a failure may remove, so that a
     * file someone else made under the same name is never touched. */
    unsigned created;

    bl_buf strings;      /* term bytes, each followed by a NUL */
    term_entry *terms;
    uint32_t nterms, terms_cap;
    uint32_t *slots;     /* entry index + 1; 0 = empty */
    uint32_t nslots;     /* power of two */

    uint32_t *lens;      /* document lengths */
    uint64_t *id_hashes; /* bl_idmap_hash of each document's id */
    uint32_t ndocs, lens_cap;
    uint64_t tokens;
    uint64_t invalid_bytes;
    size_t stream_bytes; /* capacity held by all term streams */

    /* The current document's occurrences in text order, each term's
     * chained (term_entry.doc_first), and its terms in order of first
     * occurrence: a document is written term by term without sorting. */
    occurrence *occ;
    size_t nocc, occ_cap;
    uint32_t *doc_terms;
    size_t ndoc_terms, doc_terms_cap;
};

int bl_inverter_new(bl_inverter **out, const char *dir, uint64_t seg_id, bl_analyzer *a)
{
    bl_inverter *inv = calloc(1, sizeof *inv);
    if (!inv || !(inv->dir = strdup(dir))) {
        free(inv);
        return BL_ENOMEM;
    }
    inv->seg_id = seg_id;
    inv->analyzer = a;
    inv->codec = BL_CODEC_DEFAULT;
    inv->dense_ratio = BL_DENSE_RATIO;
    inv->nslots = 1u << 14;
    inv->slots = calloc(inv->nslots, sizeof *inv->slots);
    char path[4096];
    int rc = inv->slots ? 0 : BL_ENOMEM;
    if (!rc)
        rc = bl_segment_path(path, sizeof path, dir, seg_id, "sto");
    if (!rc)
        rc = bl_docstore_writer_new(&inv->store, path);
    if (!rc)
        inv->created |= bl_segment_ext_bit("sto");
    if (rc) {
        free(inv->slots);
        free(inv->dir);
        free(inv);
        return rc;
    }
    *out = inv;
    return 0;
}

static int grow_slots(bl_inverter *inv)
{
    uint32_t n = inv->nslots * 2;
    uint32_t *s = calloc(n, sizeof *s);
    if (!s)
        return BL_ENOMEM;
    for (uint32_t i = 0; i < inv->nterms; i++) {
        uint32_t j = (uint32_t)inv->terms[i].hash & (n - 1);
        while (s[j])
            j = (j + 1) & (n - 1);
        s[j] = i + 1;
    }
    free(inv->slots);
    inv->slots = s;
    inv->nslots = n;
    return 0;
}

/* Finds or inserts term; returns its entry index through *id. */
static int intern(bl_inverter *inv, const char *term, size_t len, uint32_t *id)
{
    uint64_t h = XXH3_64bits(term, len);
    uint32_t mask = inv->nslots - 1, j = (uint32_t)h & mask;
    for (; inv->slots[j]; j = (j + 1) & mask) {
        term_entry *e = &inv->terms[inv->slots[j] - 1];
        if (e->hash == h && e->len == len &&
            memcmp(inv->strings.data + e->str_off, term, len) == 0) {
            *id = inv->slots[j] - 1;
            return 0;
        }
    }
    if (inv->nterms == inv->terms_cap) {
        uint32_t cap = inv->terms_cap ? inv->terms_cap * 2 : 1024;
        term_entry *t = realloc(inv->terms, cap * sizeof *t);
        if (!t)
            return BL_ENOMEM;
        inv->terms = t;
        inv->terms_cap = cap;
    }
    if (inv->strings.len > UINT32_MAX - len - 1)
        return bl_error_set(BL_ETOOBIG, "segment term arena full");
    term_entry *e = &inv->terms[inv->nterms];
    e->str_off = (uint32_t)inv->strings.len;
    e->len = (uint32_t)len;
    e->hash = h;
    e->last_doc = 0;
    e->df = 0;
    e->doc_first = e->doc_last = NO_OCC;
    e->doc_tf = 0;
    bl_buf_init(&e->stream);
    if (bl_buf_append(&inv->strings, term, len) || bl_buf_put_u8(&inv->strings, 0))
        return BL_ENOMEM;
    inv->slots[j] = ++inv->nterms;
    *id = inv->nterms - 1;
    if (inv->nterms * 2 > inv->nslots)
        return grow_slots(inv);
    return 0;
}

static int push_occurrence(bl_inverter *inv, uint32_t term, uint32_t position)
{
    if (inv->nocc == inv->occ_cap) {
        if (inv->occ_cap >= NO_OCC / 2)
            return bl_error_set(BL_ETOOBIG, "a document of over 2^31 tokens");
        size_t cap = inv->occ_cap ? inv->occ_cap * 2 : 4096;
        occurrence *o = realloc(inv->occ, cap * sizeof *o);
        if (!o)
            return BL_ENOMEM;
        inv->occ = o;
        inv->occ_cap = cap;
    }
    term_entry *e = &inv->terms[term];
    uint32_t at = (uint32_t)inv->nocc++;
    inv->occ[at] = (occurrence){term, position, NO_OCC};
    if (e->doc_first == NO_OCC) {
        if (inv->ndoc_terms == inv->doc_terms_cap) {
            size_t cap = inv->doc_terms_cap ? inv->doc_terms_cap * 2 : 1024;
            uint32_t *t = realloc(inv->doc_terms, cap * sizeof *t);
            if (!t)
                return BL_ENOMEM;
            inv->doc_terms = t;
            inv->doc_terms_cap = cap;
        }
        inv->doc_terms[inv->ndoc_terms++] = term;
        e->doc_first = at;
    } else {
        inv->occ[e->doc_last].next = at;
    }
    e->doc_last = at;
    e->doc_tf++;
    return 0;
}

static int analyse(bl_inverter *inv, const char *text, size_t len, uint32_t first_pos,
                   uint32_t *next_pos)
{
    bl_analyzer_reset(inv->analyzer, text, len, first_pos);
    bl_term_occ t;
    int rc;
    while ((rc = bl_analyzer_next(inv->analyzer, &t)) == 1) {
        uint32_t id = 0;
        if ((rc = intern(inv, t.term, t.term_len, &id)) != 0 ||
            (rc = push_occurrence(inv, id, t.position)) != 0)
            return rc;
    }
    inv->invalid_bytes += bl_analyzer_invalid_bytes(inv->analyzer);
    *next_pos = bl_analyzer_next_position(inv->analyzer);
    return rc;
}

/* Appends the current document's occurrences to each term's stream, the
 * term's chain giving its positions in increasing order (they were met in
 * text order). A failure leaves the inverter unusable (bl_inverter_add
 * says so). */
static int flush_occurrences(bl_inverter *inv, uint32_t doc)
{
    int rc = 0;
    for (size_t i = 0; i < inv->ndoc_terms; i++) {
        term_entry *e = &inv->terms[inv->doc_terms[i]];
        size_t before = e->stream.cap;
        rc |= bl_buf_put_varint(&e->stream, e->df ? doc - e->last_doc : doc) |
              bl_buf_put_varint(&e->stream, e->doc_tf);
        uint32_t prev = 0;
        for (uint32_t k = e->doc_first; k != NO_OCC && !rc; k = inv->occ[k].next) {
            uint32_t p = inv->occ[k].position;
            rc = bl_buf_put_varint(&e->stream, k == e->doc_first ? p : p - prev - 1);
            prev = p;
        }
        inv->stream_bytes += e->stream.cap - before;
        e->last_doc = doc;
        e->df++;
        e->doc_first = e->doc_last = NO_OCC;
        e->doc_tf = 0;
    }
    inv->nocc = 0;
    inv->ndoc_terms = 0;
    return rc ? BL_ENOMEM : 0;
}

int bl_inverter_set_codec(bl_inverter *inv, uint32_t codec)
{
    if (!bl_codec_get(codec))
        return bl_error_set(BL_EINVAL, "unknown block codec %u", codec);
    inv->codec = codec;
    return 0;
}

void bl_inverter_set_dense_ratio(bl_inverter *inv, uint32_t dense_ratio)
{
    inv->dense_ratio = dense_ratio;
}

int bl_inverter_add(bl_inverter *inv, const bl_article *art)
{
    if (inv->ndocs >= (1u << 31))
        return bl_error_set(BL_ETOOBIG, "segment holds 2^31 documents");
    bl_stored_doc sd = {
        art->id, art->id_len, art->title, art->title_len, art->text, art->text_len,
        art->source, art->source_len, art->date, art->date_len, art->url, art->url_len,
    };
    int rc = bl_docstore_writer_add(inv->store, &sd);
    if (rc)
        return rc;
    uint32_t next = 0;
    if ((rc = analyse(inv, art->title, art->title_len, 0, &next)) != 0)
        return rc;
    /* One empty position between title and text keeps phrases inside a field. */
    if ((rc = analyse(inv, art->text, art->text_len, next ? next + 1 : 0, &next)) != 0)
        return rc;
    if (inv->ndocs == inv->lens_cap) {
        uint32_t cap = inv->lens_cap ? inv->lens_cap * 2 : 1024;
        uint32_t *l = realloc(inv->lens, cap * sizeof *l);
        if (!l)
            return BL_ENOMEM;
        inv->lens = l;
        uint64_t *h = realloc(inv->id_hashes, cap * sizeof *h);
        if (!h)
            return BL_ENOMEM;
        inv->id_hashes = h;
        inv->lens_cap = cap;
    }
    uint32_t doc = inv->ndocs;
    inv->lens[doc] = (uint32_t)inv->nocc;
    inv->id_hashes[doc] = bl_idmap_hash(art->id, art->id_len);
    inv->tokens += inv->nocc;
    inv->ndocs++;
    return flush_occurrences(inv, doc);
}

uint32_t bl_inverter_doc_count(const bl_inverter *inv) { return inv->ndocs; }
uint64_t bl_inverter_tokens(const bl_inverter *inv) { return inv->tokens; }
uint64_t bl_inverter_terms(const bl_inverter *inv) { return inv->nterms; }
uint64_t bl_inverter_invalid_bytes(const bl_inverter *inv) { return inv->invalid_bytes; }

size_t bl_inverter_memory(const bl_inverter *inv)
{
    return inv->stream_bytes + inv->strings.cap + (size_t)inv->terms_cap * sizeof(term_entry) +
           (size_t)inv->nslots * 4 + (size_t)inv->lens_cap * 12 +
           inv->occ_cap * sizeof(occurrence) + inv->doc_terms_cap * sizeof(uint32_t);
}

/* A term to sort: its bytes travel with it, so the comparison needs no
 * shared context (and several inverters can sort on several threads). */
typedef struct {
    const uint8_t *bytes;
    uint32_t len;
    uint32_t id;
} sort_key;

static int cmp_terms(const void *a, const void *b)
{
    const sort_key *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->bytes, y->bytes, n);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

static int decode_stream(const term_entry *e, bl_u32vec *docs, bl_u32vec *tfs,
                         bl_u32vec *pos)
{
    bl_reader r;
    bl_reader_init(&r, e->stream.data, e->stream.len);
    docs->n = tfs->n = pos->n = 0;
    uint32_t doc = 0;
    for (uint32_t i = 0; i < e->df; i++) {
        uint32_t gap, tf;
        if (bl_reader_varint32(&r, &gap) || bl_reader_varint32(&r, &tf))
            return bl_error_set(BL_ECORRUPT, "inverter stream damaged");
        doc = i ? doc + gap : gap;
        if (bl_u32vec_push(docs, doc) || bl_u32vec_push(tfs, tf))
            return BL_ENOMEM;
        uint32_t p = 0;
        for (uint32_t k = 0; k < tf; k++) {
            uint32_t g;
            if (bl_reader_varint32(&r, &g))
                return bl_error_set(BL_ECORRUPT, "inverter stream damaged");
            p = k ? p + g + 1 : g;
            if (bl_u32vec_push(pos, p))
                return BL_ENOMEM;
        }
    }
    return 0;
}

/* Each dense word's stream, read a document at a time for the pair
 * builder (pairs.h). */
typedef struct {
    const bl_inverter *inv;
    const uint32_t *ids;  /* term of each dense word */
    bl_reader *readers;
    uint32_t *left, *doc; /* documents not yet read, last doc read */
    bl_u32vec *pos;       /* positions of that doc */
} dense_streams;

static int next_dense_doc(void *ctx, uint32_t w, uint32_t *doc, const uint32_t **pos,
                          uint32_t *n)
{
    dense_streams *d = ctx;
    const term_entry *e = &d->inv->terms[d->ids[w]];
    *doc = BL_DOC_END;
    *n = 0;
    if (d->left[w] == 0)
        return 0;
    uint32_t gap, tf;
    bl_reader *r = &d->readers[w];
    if (bl_reader_varint32(r, &gap) || bl_reader_varint32(r, &tf))
        return bl_error_set(BL_ECORRUPT, "inverter stream damaged");
    d->doc[w] = d->left[w] == e->df ? gap : d->doc[w] + gap;
    d->left[w]--;
    bl_u32vec *v = &d->pos[w];
    v->n = 0;
    uint32_t p = 0;
    for (uint32_t k = 0; k < tf; k++) {
        uint32_t g;
        if (bl_reader_varint32(r, &g))
            return bl_error_set(BL_ECORRUPT, "inverter stream damaged");
        p = k ? p + g + 1 : g;
        if (bl_u32vec_push(v, p))
            return BL_ENOMEM;
    }
    *doc = d->doc[w];
    *pos = v->v;
    *n = tf;
    return 0;
}

/* Finds the segment's word pairs (pairs.h) from the dense words' streams,
 * which it leaves as they were. The builder borrows *words and *lens: the
 * caller frees them after it. */
/* Finds the pairs of the pair words' streams; the builder's lists spill
 * to a temporary file past max_bytes (pairs.h). */
static int find_pairs(bl_inverter *inv, size_t max_bytes, bl_pair_builder **out,
                      const char ***words_out, uint32_t **lens_out)
{
    *out = NULL;
    uint32_t n = 0;
    for (uint32_t i = 0; i < inv->nterms; i++)
        n += bl_pair_word(inv->terms[i].df, inv->ndocs, inv->dense_ratio);
    size_t m = n ? n : 1;
    uint32_t *ids = malloc(m * sizeof *ids), *lens = malloc(m * sizeof *lens);
    const char **words = malloc(m * sizeof *words);
    dense_streams d = {inv, ids, calloc(m, sizeof(bl_reader)), calloc(m, sizeof(uint32_t)),
                       calloc(m, sizeof(uint32_t)), calloc(m, sizeof(bl_u32vec))};
    int rc = ids && lens && words && d.readers && d.left && d.doc && d.pos ? 0 : BL_ENOMEM;
    for (uint32_t i = 0, w = 0; i < inv->nterms && !rc; i++) {
        const term_entry *e = &inv->terms[i];
        if (!bl_pair_word(e->df, inv->ndocs, inv->dense_ratio))
            continue;
        ids[w] = i;
        words[w] = (const char *)inv->strings.data + e->str_off;
        lens[w] = e->len;
        bl_reader_init(&d.readers[w], e->stream.data, e->stream.len);
        d.left[w] = e->df;
        w++;
    }
    bl_pair_builder *b = NULL;
    if (!rc && (rc = bl_pair_builder_new(&b, n, words, lens)) == 0 &&
        (rc = bl_pair_builder_limit(b, inv->dir, max_bytes)) == 0 &&
        (rc = bl_pair_builder_run(b, inv->ndocs, next_dense_doc, &d)) == 0)
        rc = bl_pair_builder_sort(b);
    for (uint32_t w = 0; d.pos && w < n; w++)
        bl_u32vec_release(&d.pos[w]);
    free(d.readers);
    free(d.left);
    free(d.doc);
    free(d.pos);
    free(ids);
    if (rc) {
        bl_pair_builder_free(b);
        free(lens);
        free(words);
        return rc;
    }
    *words_out = words;
    *lens_out = lens;
    *out = b;
    return 0;
}

/* Writes the pairs' lists (without positions) after the words'. */
static int write_pairs(bl_inverter *inv, bl_pair_builder *b, bl_postings_writer *pw,
                       bl_termdict_writer *tw)
{
    const char *key;
    size_t len;
    const uint32_t *docs, *tfs;
    uint32_t n;
    int rc;
    while ((rc = bl_pair_builder_next(b, &key, &len, &docs, &tfs, &n)) == 1) {
        bl_terminfo info;
        if ((rc = bl_postings_writer_add(pw, docs, tfs, n, NULL, inv->lens, &info)) != 0 ||
            (rc = bl_termdict_writer_add(tw, key, len, &info)) != 0)
            return rc;
    }
    return rc;
}

/* The streams just freed are many small blocks among live ones; the
 * allocator keeps their pages, and the pair builder's large arrays would
 * come from new ones, so a segment's writing would peak at the inverter's
 * size plus the builder's. Handing the free pages back to the kernel here
 * keeps the peak at the inverter's size (measured: 148 -> 141 MB for a
 * 128 MB segment, and the resident size falls to half after its words). */
static void give_back_free_pages(void)
{
#ifdef __GLIBC__
    malloc_trim(0);
#endif
}

static int write_postings(bl_inverter *inv, unsigned *created)
{
    char dpath[4096], ppath[4096], tpath[4096];
    int rc;
    if ((rc = bl_segment_path(dpath, sizeof dpath, inv->dir, inv->seg_id, "doc")) ||
        (rc = bl_segment_path(ppath, sizeof ppath, inv->dir, inv->seg_id, "pos")) ||
        (rc = bl_segment_path(tpath, sizeof tpath, inv->dir, inv->seg_id, "tdi")))
        return rc;
    /* the pairs' lists may take a quarter of what the inverter held, while
     * the pair words' streams are still held: writing a segment never
     * takes much more than filling it did */
    size_t pairs_memory = bl_inverter_memory(inv) / 4;
    sort_key *order = malloc((inv->nterms ? inv->nterms : 1) * sizeof *order);
    if (!order)
        return BL_ENOMEM;
    for (uint32_t i = 0; i < inv->nterms; i++)
        order[i] = (sort_key){inv->strings.data + inv->terms[i].str_off, inv->terms[i].len, i};
    qsort(order, inv->nterms, sizeof *order, cmp_terms);

    bl_postings_writer *pw = NULL;
    bl_termdict_writer *tw = NULL;
    bl_pair_builder *pairs = NULL;
    const char **pair_words = NULL;
    uint32_t *pair_lens = NULL;
    bl_u32vec docs = {0}, tfs = {0}, pos = {0};
    if ((rc = bl_postings_writer_new(&pw, dpath, ppath, inv->ndocs, inv->dense_ratio,
                                     inv->codec)) != 0)
        goto fail;
    *created |= bl_segment_ext_bit("doc") | bl_segment_ext_bit("pos");
    if ((rc = bl_termdict_writer_new(&tw, tpath)) != 0)
        goto fail;
    *created |= bl_segment_ext_bit("tdi");
    for (uint32_t i = 0; i < inv->nterms; i++) {
        term_entry *e = &inv->terms[order[i].id];
        bl_terminfo info;
        if ((rc = decode_stream(e, &docs, &tfs, &pos)) != 0 ||
            (rc = bl_postings_writer_add(pw, docs.v, tfs.v, (uint32_t)docs.n, pos.v, inv->lens,
                                         &info)) != 0 ||
            (rc = bl_termdict_writer_add(tw, (const char *)inv->strings.data + e->str_off,
                                         e->len, &info)) != 0)
            goto fail;
        /* The stream is no longer needed: give memory back as we go. A
         * pair word's is, for find_pairs below. */
        if (!bl_pair_word(e->df, inv->ndocs, inv->dense_ratio))
            bl_buf_release(&e->stream);
    }
    /* The pairs are found from the pair words' streams once the others'
     * memory is given back (the builder holds every pair's list), and
     * written after the words: their keys start with 0xFF. */
    give_back_free_pages();
    if ((rc = find_pairs(inv, pairs_memory, &pairs, &pair_words, &pair_lens)) != 0)
        goto fail;
    for (uint32_t i = 0; i < inv->nterms; i++)
        bl_buf_release(&inv->terms[i].stream);
    if ((rc = write_pairs(inv, pairs, pw, tw)) != 0)
        goto fail;
    rc = bl_postings_writer_finish(pw);
    pw = NULL;
    if (!rc)
        rc = bl_termdict_writer_finish(tw);
    tw = NULL;
fail:
    bl_postings_writer_abort(pw);
    bl_termdict_writer_abort(tw);
    bl_pair_builder_free(pairs);
    free(pair_words);
    free(pair_lens);
    bl_u32vec_release(&docs);
    bl_u32vec_release(&tfs);
    bl_u32vec_release(&pos);
    free(order);
    return rc;
}

static void free_inverter(bl_inverter *inv)
{
    for (uint32_t i = 0; i < inv->nterms; i++)
        bl_buf_release(&inv->terms[i].stream);
    free(inv->terms);
    free(inv->slots);
    bl_buf_release(&inv->strings);
    free(inv->lens);
    free(inv->id_hashes);
    free(inv->occ);
    free(inv->doc_terms);
    free(inv->dir);
    free(inv);
}

int bl_inverter_finish(bl_inverter *inv, bl_manifest_segment *out)
{
    char path[4096];
    int rc = bl_docstore_writer_finish(inv->store);
    inv->store = NULL;
    if (!rc)
        rc = write_postings(inv, &inv->created);
    if (!rc)
        rc = bl_segment_path(path, sizeof path, inv->dir, inv->seg_id, "len");
    if (!rc && (rc = bl_doclens_write(path, inv->lens, inv->ndocs)) == 0)
        inv->created |= bl_segment_ext_bit("len");
    if (!rc)
        rc = bl_segment_path(path, sizeof path, inv->dir, inv->seg_id, "ids");
    if (!rc && (rc = bl_idmap_write(path, inv->id_hashes, inv->ndocs)) == 0)
        inv->created |= bl_segment_ext_bit("ids");
    memset(out, 0, sizeof *out);
    out->id = inv->seg_id;
    out->doc_count = inv->ndocs;
    out->total_tokens = inv->tokens;
    out->codec = inv->codec;
    out->dense_ratio = inv->dense_ratio;
    if (!rc)
        rc = bl_segment_path(path, sizeof path, inv->dir, inv->seg_id, "inf");
    if (!rc && (rc = bl_seginfo_write(path, out, bl_analyzer_language(inv->analyzer),
                                      BL_ANALYZER_VERSION)) == 0)
        inv->created |= bl_segment_ext_bit("inf");
    if (!rc)
        rc = bl_segment_fingerprint(inv->dir, out);
    if (rc)
        return rc; /* the caller aborts or forgets inv */
    free_inverter(inv);
    /* the next segment grows from nothing: the pages of this one, free
     * among the allocator's, would otherwise stay resident beside it */
    give_back_free_pages();
    return 0;
}

void bl_inverter_forget(bl_inverter *inv)
{
    if (!inv)
        return;
    bl_docstore_writer_forget(inv->store);
    free_inverter(inv);
}

void bl_inverter_abort(bl_inverter *inv)
{
    if (!inv)
        return;
    bl_docstore_writer_abort(inv->store);
    bl_segment_remove_some_files(inv->dir, inv->seg_id, inv->created);
    free_inverter(inv);
}
