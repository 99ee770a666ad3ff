/* pairs.c: finding the word pairs of a segment (pairs.h).
 *
 * Documents arrive one at a time, each as its dense words' positions. A
 * document's positions go into a small hash table (position -> word), and
 * each position p asks the table who stands at p + 1: every such word
 * makes a pair. A pair's list grows as a varint stream (doc gap, tf), like
 * the inverter's term streams, and is decoded only when it is handed out.
 */
#include "pairs.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "error.h"

typedef struct {
    uint64_t key;       /* first word << 32 | second word */
    uint32_t df;
    uint32_t last_doc;  /* last doc written to stream */
    uint32_t cur_doc;   /* doc being counted, BL_DOC_END if none */
    uint32_t cur_tf;
    bl_buf stream;      /* per doc: doc gap (the first doc as is), tf */
} pair;

typedef struct {
    uint32_t pos, word, gen; /* gen != the table's: empty */
} slot;

struct bl_pair_builder {
    uint32_t nwords;
    const char *const *words;
    const uint32_t *lens;

    /* the document being gathered */
    uint32_t doc;        /* BL_DOC_END before the first */
    uint32_t *occ_pos, *occ_word;
    size_t nocc, occ_cap;
    slot *table;         /* position -> word, open addressing */
    size_t table_cap;    /* power of two */
    uint32_t gen;

    /* the pairs found, and a hash of their keys (entry index + 1) */
    pair *pairs;
    uint32_t npairs, pairs_cap;
    uint32_t *slots;
    uint32_t nslots;

    /* handing out, in key order */
    uint32_t *order;     /* indices into pairs, nsorted of them */
    uint32_t nsorted, next;
    bl_u32vec docs, tfs;
    char key[BL_TERM_MAX_BYTES];
};

size_t bl_pair_key(const char *a, size_t la, const char *b, size_t lb, char *out)
{
    if (2 + la + lb > BL_TERM_MAX_BYTES)
        return 0;
    out[0] = (char)BL_PAIR_MARK;
    memcpy(out + 1, a, la);
    out[1 + la] = (char)BL_PAIR_MARK;
    memcpy(out + 2 + la, b, lb);
    return 2 + la + lb;
}

int bl_pair_builder_new(bl_pair_builder **out, uint32_t nwords, const char *const *words,
                        const uint32_t *lens)
{
    bl_pair_builder *b = calloc(1, sizeof *b);
    if (!b)
        return bl_error_set(BL_ENOMEM, "pairs: no memory for a builder");
    b->nwords = nwords;
    b->words = words;
    b->lens = lens;
    b->doc = BL_DOC_END;
    *out = b;
    return 0;
}

static uint64_t mix(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return k;
}

static int grow_pairs(bl_pair_builder *b)
{
    uint32_t nslots = b->nslots ? b->nslots * 2 : 1024;
    uint32_t *s = calloc(nslots, sizeof *s);
    if (!s)
        return BL_ENOMEM;
    for (uint32_t i = 0; i < b->npairs; i++) {
        uint32_t h = (uint32_t)mix(b->pairs[i].key) & (nslots - 1);
        while (s[h])
            h = (h + 1) & (nslots - 1);
        s[h] = i + 1;
    }
    free(b->slots);
    b->slots = s;
    b->nslots = nslots;
    if (b->npairs == b->pairs_cap) {
        uint32_t cap = b->pairs_cap ? b->pairs_cap * 2 : 256;
        pair *p = realloc(b->pairs, cap * sizeof *p);
        if (!p)
            return BL_ENOMEM;
        b->pairs = p;
        b->pairs_cap = cap;
    }
    return 0;
}

/* The pair of key, added (empty) if new; NULL without memory. */
static pair *find_pair(bl_pair_builder *b, uint64_t key)
{
    if ((uint64_t)(b->npairs + 1) * 2 > b->nslots || b->npairs == b->pairs_cap)
        if (grow_pairs(b))
            return NULL;
    uint32_t h = (uint32_t)mix(key) & (b->nslots - 1);
    for (; b->slots[h]; h = (h + 1) & (b->nslots - 1))
        if (b->pairs[b->slots[h] - 1].key == key)
            return &b->pairs[b->slots[h] - 1];
    pair *p = &b->pairs[b->npairs];
    memset(p, 0, sizeof *p);
    p->key = key;
    p->cur_doc = BL_DOC_END;
    b->slots[h] = ++b->npairs;
    return p;
}

/* Writes the counted document of p to its stream. */
static int close_doc(pair *p)
{
    if (p->cur_doc == BL_DOC_END)
        return 0;
    if (bl_buf_put_varint(&p->stream, p->df ? p->cur_doc - p->last_doc : p->cur_doc) ||
        bl_buf_put_varint(&p->stream, p->cur_tf))
        return BL_ENOMEM;
    p->last_doc = p->cur_doc;
    p->df++;
    p->cur_doc = BL_DOC_END;
    return 0;
}

static int count_pair(bl_pair_builder *b, uint32_t first, uint32_t second, uint32_t doc)
{
    pair *p = find_pair(b, (uint64_t)first << 32 | second);
    if (!p)
        return BL_ENOMEM;
    if (p->cur_doc == doc) {
        p->cur_tf++;
        return 0;
    }
    if (close_doc(p))
        return BL_ENOMEM;
    p->cur_doc = doc;
    p->cur_tf = 1;
    return 0;
}

static inline size_t pos_hash(uint32_t pos, size_t cap)
{
    return (size_t)((pos * 0x9E3779B1u) & (cap - 1));
}

/* Finds the pairs of the gathered document. */
static int close_gathered(bl_pair_builder *b)
{
    size_t n = b->nocc;
    b->nocc = 0;
    if (n < 2)
        return 0;
    if (b->table_cap < 2 * n) {
        size_t cap = b->table_cap ? b->table_cap : 64;
        while (cap < 2 * n)
            cap *= 2;
        slot *t = calloc(cap, sizeof *t);
        if (!t)
            return BL_ENOMEM;
        free(b->table);
        b->table = t;
        b->table_cap = cap;
        b->gen = 0;
    }
    /* A new generation empties the table without clearing it. */
    if (++b->gen == 0) {
        memset(b->table, 0, b->table_cap * sizeof *b->table);
        b->gen = 1;
    }
    size_t mask = b->table_cap - 1;
    for (size_t i = 0; i < n; i++) {
        size_t h = pos_hash(b->occ_pos[i], b->table_cap);
        while (b->table[h].gen == b->gen)
            h = (h + 1) & mask;
        b->table[h] = (slot){b->occ_pos[i], b->occ_word[i], b->gen};
    }
    /* Every word at p + 1 (one, unless the source repeats a position). */
    for (size_t i = 0; i < n; i++) {
        uint32_t p = b->occ_pos[i];
        if (p == UINT32_MAX)
            continue;
        for (size_t h = pos_hash(p + 1, b->table_cap); b->table[h].gen == b->gen;
             h = (h + 1) & mask)
            if (b->table[h].pos == p + 1 && count_pair(b, b->occ_word[i], b->table[h].word,
                                                       b->doc))
                return BL_ENOMEM;
    }
    return 0;
}

int bl_pair_builder_add(bl_pair_builder *b, uint32_t doc, uint32_t w, const uint32_t *pos,
                        uint32_t n)
{
    if (w >= b->nwords || doc == BL_DOC_END || (b->doc != BL_DOC_END && doc < b->doc))
        return bl_error_set(BL_EINVAL, "pairs: word %u of %u, doc %u after doc %u", w,
                            b->nwords, doc, b->doc);
    if (doc != b->doc) {
        int rc = close_gathered(b);
        if (rc)
            return bl_error_set(rc, "pairs: no memory for the pairs of doc %u", b->doc);
        b->doc = doc;
    }
    if (b->nocc + n > b->occ_cap) {
        size_t cap = b->occ_cap ? b->occ_cap : 256;
        while (cap < b->nocc + n)
            cap *= 2;
        uint32_t *p = realloc(b->occ_pos, cap * sizeof *p);
        if (p)
            b->occ_pos = p;
        uint32_t *q = p ? realloc(b->occ_word, cap * sizeof *q) : NULL;
        if (!q)
            return bl_error_set(BL_ENOMEM, "pairs: no memory for %zu positions", cap);
        b->occ_word = q;
        b->occ_cap = cap;
    }
    for (uint32_t k = 0; k < n; k++) {
        b->occ_pos[b->nocc + k] = pos[k];
        b->occ_word[b->nocc + k] = w;
    }
    b->nocc += n;
    return 0;
}

int bl_pair_builder_flush(bl_pair_builder *b)
{
    int rc = close_gathered(b);
    if (rc)
        return bl_error_set(rc, "pairs: no memory for the pairs of doc %u", b->doc);
    return 0;
}

uint64_t bl_pair_builder_count(const bl_pair_builder *b) { return b->npairs; }

/* ---- feeding from a source ----------------------------------------------- */

/* Sifts heap[i] down a min-heap of words ordered by their current doc. */
static void heap_down(uint32_t *heap, uint32_t n, uint32_t i, const uint32_t *doc)
{
    for (;;) {
        uint32_t l = 2 * i + 1, m = i;
        if (l < n && doc[heap[l]] < doc[heap[m]])
            m = l;
        if (l + 1 < n && doc[heap[l + 1]] < doc[heap[m]])
            m = l + 1;
        if (m == i)
            return;
        uint32_t t = heap[i];
        heap[i] = heap[m];
        heap[m] = t;
        i = m;
    }
}

int bl_pair_builder_run(bl_pair_builder *b, uint32_t doc_count, bl_pair_source_fn next,
                        void *ctx)
{
    uint32_t nw = b->nwords;
    uint32_t *heap = malloc((nw ? nw : 1) * sizeof *heap);
    uint32_t *doc = malloc((nw ? nw : 1) * sizeof *doc);
    uint32_t *cnt = malloc((nw ? nw : 1) * sizeof *cnt);
    const uint32_t **pos = malloc((nw ? nw : 1) * sizeof *pos);
    int rc = heap && doc && cnt && pos ? 0 : bl_error_set(BL_ENOMEM, "pairs: no memory");
    uint32_t n = 0;
    for (uint32_t w = 0; w < nw && !rc; w++) {
        rc = next(ctx, w, &doc[w], &pos[w], &cnt[w]);
        if (!rc && doc[w] < doc_count)
            heap[n++] = w;
    }
    for (uint32_t i = n / 2; i-- > 0 && !rc;)
        heap_down(heap, n, i, doc);
    while (n && !rc) {
        uint32_t w = heap[0], d = doc[w];
        if ((rc = bl_pair_builder_add(b, d, w, pos[w], cnt[w])) != 0 ||
            (rc = next(ctx, w, &doc[w], &pos[w], &cnt[w])) != 0)
            break;
        if (doc[w] != BL_DOC_END && doc[w] <= d) {
            rc = bl_error_set(BL_ECORRUPT, "pairs: word %u: doc %u after doc %u", w, doc[w], d);
            break;
        }
        if (doc[w] >= doc_count)
            heap[0] = heap[--n];
        heap_down(heap, n, 0, doc);
    }
    if (!rc)
        rc = bl_pair_builder_flush(b);
    free(heap);
    free(doc);
    free(cnt);
    free((void *)pos);
    return rc;
}

/* ---- handing out ----------------------------------------------------------- */

/* A pair to sort: its words travel with it, so the comparison needs no
 * shared context. */
typedef struct {
    const char *a, *b;
    uint32_t la, lb;
    uint32_t index;
} sort_key;

static int cmp_keys(const void *p, const void *q)
{
    const sort_key *x = p, *y = q;
    char kx[BL_TERM_MAX_BYTES], ky[BL_TERM_MAX_BYTES];
    size_t lx = bl_pair_key(x->a, x->la, x->b, x->lb, kx);
    size_t ly = bl_pair_key(y->a, y->la, y->b, y->lb, ky);
    int c = memcmp(kx, ky, lx < ly ? lx : ly);
    return c ? c : (lx > ly) - (lx < ly);
}

int bl_pair_builder_sort(bl_pair_builder *b)
{
    int rc = bl_pair_builder_flush(b);
    if (rc)
        return rc;
    sort_key *keys = malloc((b->npairs ? b->npairs : 1) * sizeof *keys);
    free(b->order);
    b->order = malloc((b->npairs ? b->npairs : 1) * sizeof *b->order);
    if (!keys || !b->order) {
        free(keys);
        return bl_error_set(BL_ENOMEM, "pairs: no memory to sort %u pairs", b->npairs);
    }
    uint32_t n = 0;
    for (uint32_t i = 0; i < b->npairs; i++) {
        if (close_doc(&b->pairs[i])) {
            free(keys);
            return bl_error_set(BL_ENOMEM, "pairs: no memory");
        }
        uint32_t x = (uint32_t)(b->pairs[i].key >> 32), y = (uint32_t)b->pairs[i].key;
        /* a pair whose key would be too long is not indexed */
        if (2 + (uint64_t)b->lens[x] + b->lens[y] <= BL_TERM_MAX_BYTES)
            keys[n++] = (sort_key){b->words[x], b->words[y], b->lens[x], b->lens[y], i};
    }
    qsort(keys, n, sizeof *keys, cmp_keys);
    for (uint32_t i = 0; i < n; i++)
        b->order[i] = keys[i].index;
    free(keys);
    b->nsorted = n;
    b->next = 0;
    return 0;
}

int bl_pair_builder_next(bl_pair_builder *b, const char **key, size_t *len,
                         const uint32_t **docs, const uint32_t **tfs, uint32_t *n)
{
    if (!b->order || b->next >= b->nsorted)
        return 0;
    pair *p = &b->pairs[b->order[b->next++]];
    uint32_t x = (uint32_t)(p->key >> 32), y = (uint32_t)p->key;
    *len = bl_pair_key(b->words[x], b->lens[x], b->words[y], b->lens[y], b->key);
    *key = b->key;
    b->docs.n = b->tfs.n = 0;
    bl_reader r;
    bl_reader_init(&r, p->stream.data, p->stream.len);
    uint32_t doc = 0;
    for (uint32_t i = 0; i < p->df; i++) {
        uint32_t gap, tf;
        if (bl_reader_varint32(&r, &gap) || bl_reader_varint32(&r, &tf))
            return bl_error_set(BL_ECORRUPT, "pairs: a pair's stream is damaged");
        doc = i ? doc + gap : gap;
        if (bl_u32vec_push(&b->docs, doc) || bl_u32vec_push(&b->tfs, tf))
            return bl_error_set(BL_ENOMEM, "pairs: no memory for a list of %u", p->df);
    }
    bl_buf_release(&p->stream); /* handed out once: give the memory back */
    *docs = b->docs.v;
    *tfs = b->tfs.v;
    *n = p->df;
    return 1;
}

void bl_pair_builder_free(bl_pair_builder *b)
{
    if (!b)
        return;
    for (uint32_t i = 0; i < b->npairs; i++)
        bl_buf_release(&b->pairs[i].stream);
    free(b->pairs);
    free(b->slots);
    free(b->occ_pos);
    free(b->occ_word);
    free(b->table);
    free(b->order);
    bl_u32vec_release(&b->docs);
    bl_u32vec_release(&b->tfs);
    free(b);
}

/* ---- the check ------------------------------------------------------------ */

/* The segment's pair words, gathered by a walk of its dictionary. */
typedef struct {
    const bl_termdict *dict;
    const bl_postings *postings;
    uint32_t doc_count;
    char **words;
    uint32_t *lens;
    bl_posting_iter **its;
    uint8_t *moved;      /* by word: its iterator left its first doc */
    uint32_t n, cap;
    uint64_t pair_terms; /* pair keys walked */
    int rc;
} check_ctx;

static int gather_word(void *ctx, const char *term, size_t len, const bl_terminfo *info)
{
    check_ctx *c = ctx;
    if (bl_term_is_pair(term, len)) {
        c->pair_terms++;
        return 0;
    }
    if (!bl_pair_word(info->doc_freq, c->doc_count))
        return 0;
    if (c->n == c->cap) {
        uint32_t cap = c->cap ? c->cap * 2 : 64;
        char **w = realloc(c->words, cap * sizeof *w);
        if (w)
            c->words = w;
        uint32_t *l = w ? realloc(c->lens, cap * sizeof *l) : NULL;
        if (l)
            c->lens = l;
        bl_posting_iter **it = l ? realloc(c->its, cap * sizeof *it) : NULL;
        if (it)
            c->its = it;
        uint8_t *m = it ? realloc(c->moved, cap) : NULL;
        if (!m)
            return c->rc = BL_ENOMEM;
        c->moved = m;
        c->cap = cap;
    }
    if (!(c->words[c->n] = malloc(len + 1)))
        return c->rc = BL_ENOMEM;
    memcpy(c->words[c->n], term, len + 1);
    c->lens[c->n] = (uint32_t)len;
    c->moved[c->n] = 0;
    if ((c->rc = bl_posting_iter_new(c->postings, info, &c->its[c->n])) != 0) {
        free(c->words[c->n]);
        return c->rc;
    }
    c->n++;
    return 0;
}

/* Source of bl_pair_builder_run: the words' iterators (the first call for
 * a word reports the doc its new iterator stands on). */
static int next_from_index(void *ctx, uint32_t w, uint32_t *doc, const uint32_t **pos,
                           uint32_t *n)
{
    check_ctx *c = ctx;
    bl_posting_iter *it = c->its[w];
    bl_docset *ds = bl_posting_iter_docset(it);
    *n = 0;
    if (c->moved[w])
        bl_posting_iter_next(it);
    c->moved[w] = 1;
    *doc = ds->doc;
    if (ds->err)
        return ds->err;
    if (*doc == BL_DOC_END)
        return 0;
    return bl_posting_iter_positions(it, pos, n);
}

/* Compares a pair the builder found with the segment's list of its key. */
static int same_list(const check_ctx *c, const char *key, size_t len, const uint32_t *docs,
                     const uint32_t *tfs, uint32_t n)
{
    bl_terminfo info;
    int rc = bl_termdict_lookup(c->dict, key, len, &info);
    /* a pair holds at most 2 words of BL_TERM_MAX_BYTES: printable */
    const char *a = key + 1, *b = memchr(a, BL_PAIR_MARK, len - 1);
    int la = (int)(b - a), lb = (int)(len - 2) - la;
    b++;
    if (rc == BL_ENOTFOUND)
        return bl_error_set(BL_ECORRUPT, "pair '%.*s %.*s' occurs in %u documents and has no "
                            "list", la, a, lb, b, n);
    if (rc)
        return rc;
    if (!info.positionless || info.doc_freq != n)
        return bl_error_set(BL_ECORRUPT, "pair '%.*s %.*s': list of %u documents%s, the words' "
                            "positions give %u", la, a, lb, b, info.doc_freq,
                            info.positionless ? "" : " with positions", n);
    bl_posting_iter *it;
    if ((rc = bl_posting_iter_new(c->postings, &info, &it)) != 0)
        return rc;
    bl_docset *ds = bl_posting_iter_docset(it);
    for (uint32_t i = 0; i < n && !rc; i++, bl_posting_iter_next(it)) {
        if (ds->err)
            rc = ds->err;
        else if (ds->doc != docs[i] || bl_posting_iter_freq(it) != tfs[i])
            rc = bl_error_set(BL_ECORRUPT, "pair '%.*s %.*s': posting %u is doc %u tf %u, the "
                              "words' positions give doc %u tf %u", la, a, lb, b, i, ds->doc,
                              ds->doc == BL_DOC_END ? 0 : bl_posting_iter_freq(it), docs[i],
                              tfs[i]);
    }
    bl_docset_free(ds);
    return rc;
}

int bl_pairs_check(const bl_termdict *dict, const bl_postings *postings, uint32_t doc_count)
{
    check_ctx c = {dict, postings, doc_count, NULL, NULL, NULL, NULL, 0, 0, 0, 0};
    int rc = bl_termdict_prefix(dict, "", 0, gather_word, &c);
    bl_pair_builder *b = NULL;
    uint64_t built = 0;
    if (!rc && !c.rc && (rc = bl_pair_builder_new(&b, c.n, (const char *const *)c.words,
                                                  c.lens)) == 0) {
        rc = bl_pair_builder_run(b, doc_count, next_from_index, &c);
        if (!rc)
            rc = bl_pair_builder_sort(b);
        const char *key;
        size_t len;
        const uint32_t *docs, *tfs;
        uint32_t n;
        while (!rc && (rc = bl_pair_builder_next(b, &key, &len, &docs, &tfs, &n)) == 1) {
            built++;
            rc = same_list(&c, key, len, docs, tfs, n);
        }
    }
    if (!rc && c.rc)
        rc = c.rc;
    if (!rc && built != c.pair_terms)
        rc = bl_error_set(BL_ECORRUPT, "the dictionary holds %llu word pairs, the words' "
                          "positions give %llu", (unsigned long long)c.pair_terms,
                          (unsigned long long)built);
    bl_pair_builder_free(b);
    for (uint32_t w = 0; w < c.n; w++) {
        free(c.words[w]);
        bl_docset_free(bl_posting_iter_docset(c.its[w]));
    }
    free(c.words);
    free(c.lens);
    free(c.its);
    free(c.moved);
    return rc;
}
