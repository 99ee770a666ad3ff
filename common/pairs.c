/* pairs.c: finding the word pairs of a segment (pairs.h).
 *
 * Documents arrive one at a time, each as its dense words' positions. A
 * document's positions go into a small hash table (position -> word), and
 * each position p asks the table who stands at p + 1: every such word
 * makes a pair. A pair's list grows as a varint stream (doc gap, tf), like
 * the inverter's term streams, and is decoded only when it is handed out.
 *
 * With a memory limit (bl_pair_builder_limit), the lists found so far are
 * written out in key order as a run of a temporary file whenever they pass
 * it, and the builder starts again empty; handing out then merges the
 * runs by key, a pair's parts in run order, which is document order.
 */
#include "pairs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* A run of the spill file being read back: entries of (first word, second
 * word, df, stream length, stream), u32s little-endian, in key order. */
typedef struct {
    uint64_t off, end;   /* the part of the file not yet buffered */
    uint8_t *buf;
    size_t buf_len, buf_at, buf_cap;
    int done;
    uint32_t x, y, df;
    bl_buf bytes;        /* the current entry's stream */
    char key[BL_TERM_MAX_BYTES];
    size_t key_len;
} run_cursor;

/* Each run read back has a buffer of RUN_BUFFER bytes, smaller when the
 * runs are many: all of them together stay within the memory limit (a
 * 16 MB merge of 100 MB of news made 600 runs, 150 MB of 256 KiB
 * buffers), but never below RUN_BUFFER_MIN. */
#define RUN_BUFFER (256u << 10)
#define RUN_BUFFER_MIN (4u << 10)

struct bl_pair_builder;
static size_t builder_memory(const struct bl_pair_builder *b);
static int spill_run(struct bl_pair_builder *b);
static int order_pairs(struct bl_pair_builder *b);
static int start_merging(struct bl_pair_builder *b);
static int next_merged(struct bl_pair_builder *b, const char **key, size_t *len,
                       const uint32_t **docs, const uint32_t **tfs, uint32_t *n);

/* A position's word in a document, for documents whose positions are few
 * enough to index an array by: gen != the builder's: none. */
typedef struct {
    uint32_t word, gen;
} at_pos;

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
    at_pos *by_pos;      /* position -> word, direct */
    size_t by_pos_cap;
    uint32_t gen;        /* of both: a new one empties them */
    bl_pair_wanted_fn wanted; /* the pairs to count (NULL: all) */
    void *wanted_ctx;

    /* the pairs found, and a hash of their keys (entry index + 1) */
    pair *pairs;
    uint32_t npairs, pairs_cap;
    uint32_t *slots;
    uint32_t nslots;

    /* spilling past max_bytes (0: never) */
    char *spill_dir;
    size_t max_bytes;
    size_t stream_bytes; /* capacity of the pairs' streams */
    FILE *spill;         /* the runs, one after another; unlinked */
    run_cursor *runs;
    uint32_t nruns, runs_cap;
    int merging;         /* handing out from the runs */
    /* While merging: the runs not done, a min-heap by (key, run index), so
     * a key's parts come out in run (document) order; with many runs a scan
     * of all of them per key made the merge quadratic. */
    uint32_t *run_heap;
    uint32_t nheap;

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
    size_t cap = p->stream.cap;
    if (close_doc(p))
        return BL_ENOMEM;
    b->stream_bytes += p->stream.cap - cap;
    p->cur_doc = doc;
    p->cur_tf = 1;
    return 0;
}

static inline size_t pos_hash(uint32_t pos, size_t cap)
{
    return (size_t)((pos * 0x9E3779B1u) & (cap - 1));
}

/* A new generation for the position tables (clearing them when it wraps). */
static void next_gen(bl_pair_builder *b)
{
    if (++b->gen == 0) {
        if (b->table)
            memset(b->table, 0, b->table_cap * sizeof *b->table);
        if (b->by_pos)
            memset(b->by_pos, 0, b->by_pos_cap * sizeof *b->by_pos);
        b->gen = 1;
    }
}

static inline int is_wanted(const uint64_t *mask, uint32_t w)
{
    return (int)(mask[w / 64] >> (w % 64) & 1);
}

/* The word at position p of the gathered document, from the direct array. */
static inline int find_direct(const bl_pair_builder *b, uint32_t p, uint32_t *word)
{
    const at_pos *a = &b->by_pos[p];
    *word = a->word;
    return a->gen == b->gen;
}

typedef int (*find_fn)(const bl_pair_builder *b, uint32_t p, uint32_t *word);

/* Counts the pairs of occurrence i of the gathered document under mask
 * (the words wanted): the one with the word after it, and the one with the
 * word before it when that word is not wanted (a wanted one counts that
 * pair from its own occurrence), so each wanted pair counts once. find
 * gives the word at a position. */
static inline int count_wanted(bl_pair_builder *b, size_t i, const uint64_t *mask, find_fn find)
{
    uint32_t p = b->occ_pos[i], w = b->occ_word[i], x;
    if (p != UINT32_MAX && find(b, p + 1, &x) && count_pair(b, w, x, b->doc))
        return BL_ENOMEM;
    if (p > 0 && find(b, p - 1, &x) && !is_wanted(mask, x) && count_pair(b, x, w, b->doc))
        return BL_ENOMEM;
    return 0;
}

/* close_gathered for a document whose positions are below max_pos + 1,
 * not many more than its occurrences: an array indexed by position finds
 * the word at p + 1 in one read, where the hash table probes. Returns 1,
 * having done nothing, when two occurrences share a position (a damaged
 * source; the general path counts every word there). */
static int close_gathered_direct(bl_pair_builder *b, size_t n, uint32_t max_pos,
                                 const uint64_t *mask)
{
    size_t need = (size_t)max_pos + 2;
    if (b->by_pos_cap < need) {
        size_t cap = b->by_pos_cap ? b->by_pos_cap : 1024;
        while (cap < need)
            cap *= 2;
        at_pos *t = calloc(cap, sizeof *t);
        if (!t)
            return BL_ENOMEM;
        free(b->by_pos);
        b->by_pos = t;
        b->by_pos_cap = cap;
    }
    next_gen(b);
    at_pos *t = b->by_pos;
    for (size_t i = 0; i < n; i++) {
        if (t[b->occ_pos[i]].gen == b->gen)
            return 1;
        t[b->occ_pos[i]] = (at_pos){b->occ_word[i], b->gen};
    }
    if (mask) {
        for (size_t i = 0; i < n; i++)
            if (is_wanted(mask, b->occ_word[i]) && count_wanted(b, i, mask, find_direct))
                return BL_ENOMEM;
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        const at_pos *next = &t[b->occ_pos[i] + 1];
        if (next->gen == b->gen && count_pair(b, b->occ_word[i], next->word, b->doc))
            return BL_ENOMEM;
    }
    return 0;
}

/* The first word at position p of the gathered document, from the hash
 * table (a damaged source may repeat a position: the filtered path counts
 * one word there, the full one every word). */
static inline int find_hashed(const bl_pair_builder *b, uint32_t p, uint32_t *word)
{
    size_t mask = b->table_cap - 1;
    for (size_t h = pos_hash(p, b->table_cap); b->table[h].gen == b->gen; h = (h + 1) & mask)
        if (b->table[h].pos == p) {
            *word = b->table[h].word;
            return 1;
        }
    return 0;
}

/* Finds the pairs of the gathered document. */
static int close_gathered(bl_pair_builder *b)
{
    size_t n = b->nocc;
    b->nocc = 0;
    if (n < 2)
        return 0;
    const uint64_t *mask = b->wanted ? b->wanted(b->wanted_ctx, b->doc) : NULL;
    if (mask) {
        size_t i = 0;
        while (i < n && !is_wanted(mask, b->occ_word[i]))
            i++;
        if (i == n)
            return 0; /* none of its pairs is wanted */
    }
    uint32_t max_pos = 0;
    for (size_t i = 0; i < n; i++)
        max_pos = b->occ_pos[i] > max_pos ? b->occ_pos[i] : max_pos;
    /* the array is for the usual document: positions spread over no more
     * than 8 times the occurrences */
    if ((uint64_t)max_pos < 8 * (uint64_t)n + 4096) {
        int rc = close_gathered_direct(b, n, max_pos, mask);
        if (rc <= 0)
            return rc;
    }
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
    }
    /* A new generation empties the table without clearing it. */
    next_gen(b);
    size_t hmask = b->table_cap - 1;
    for (size_t i = 0; i < n; i++) {
        size_t h = pos_hash(b->occ_pos[i], b->table_cap);
        while (b->table[h].gen == b->gen)
            h = (h + 1) & hmask;
        b->table[h] = (slot){b->occ_pos[i], b->occ_word[i], b->gen};
    }
    if (mask) {
        for (size_t i = 0; i < n; i++)
            if (is_wanted(mask, b->occ_word[i]) && count_wanted(b, i, mask, find_hashed))
                return BL_ENOMEM;
        return 0;
    }
    /* Every word at p + 1 (one, unless the source repeats a position). */
    for (size_t i = 0; i < n; i++) {
        uint32_t p = b->occ_pos[i];
        if (p == UINT32_MAX)
            continue;
        for (size_t h = pos_hash(p + 1, b->table_cap); b->table[h].gen == b->gen;
             h = (h + 1) & hmask)
            if (b->table[h].pos == p + 1 && count_pair(b, b->occ_word[i], b->table[h].word,
                                                       b->doc))
                return BL_ENOMEM;
    }
    return 0;
}

void bl_pair_builder_want(bl_pair_builder *b, bl_pair_wanted_fn wanted, void *ctx)
{
    b->wanted = wanted;
    b->wanted_ctx = ctx;
}

/* Whether the lists found so far are to be spilled. The pair array and
 * its hash keep their size after a spill: counting them alone past the
 * limit spilled a run after every document (a 16 MB merge of 100 MB of
 * news: thousands of runs); the lists' streams always get a quarter of
 * it. */
static int past_limit(const bl_pair_builder *b)
{
    size_t fixed = builder_memory(b) - b->stream_bytes;
    size_t room = fixed < b->max_bytes / 4 * 3 ? b->max_bytes - fixed : b->max_bytes / 4;
    return b->stream_bytes > room;
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
        if (b->max_bytes && past_limit(b) && (rc = spill_run(b)) != 0)
            return rc;
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

/* ---- spilling --------------------------------------------------------------- */

int bl_pair_builder_limit(bl_pair_builder *b, const char *dir, size_t max_bytes)
{
    char *d = strdup(dir);
    if (!d)
        return bl_error_set(BL_ENOMEM, "pairs: no memory");
    free(b->spill_dir);
    b->spill_dir = d;
    b->max_bytes = max_bytes;
    return 0;
}

static size_t builder_memory(const bl_pair_builder *b)
{
    return b->stream_bytes + (size_t)b->pairs_cap * sizeof(pair) +
           (size_t)b->nslots * sizeof(uint32_t);
}

/* The spill file, made on first use: created in the spill directory and
 * unlinked at once, so that nothing is left behind whatever happens. */
static int open_spill(bl_pair_builder *b)
{
    if (b->spill)
        return 0;
    size_t n = strlen(b->spill_dir) + 32;
    char *path = malloc(n);
    if (!path)
        return bl_error_set(BL_ENOMEM, "pairs: no memory");
    snprintf(path, n, "%s/.pairs-XXXXXX", b->spill_dir);
    int fd = mkstemp(path);
    if (fd < 0) {
        int rc = bl_error_set(BL_EIO, "%s: cannot make a temporary file for word pairs",
                              b->spill_dir);
        free(path);
        return rc;
    }
    unlink(path);
    free(path);
    if (!(b->spill = fdopen(fd, "w+b"))) {
        close(fd);
        return bl_error_set(BL_ENOMEM, "pairs: no memory");
    }
    return 0;
}

/* Writes the pairs found so far as a run, in key order, and empties the
 * builder (its tables stay for the next documents). */
static int spill_run(bl_pair_builder *b)
{
    int rc = open_spill(b);
    if (!rc)
        rc = order_pairs(b);
    if (!rc && b->nruns == b->runs_cap) {
        uint32_t cap = b->runs_cap ? 2 * b->runs_cap : 8;
        run_cursor *r = realloc(b->runs, cap * sizeof *r);
        if (!r)
            return bl_error_set(BL_ENOMEM, "pairs: no memory");
        b->runs = r;
        b->runs_cap = cap;
    }
    if (rc)
        return rc;
    off_t start = ftello(b->spill);
    for (uint32_t i = 0; i < b->nsorted; i++) {
        pair *p = &b->pairs[b->order[i]];
        uint8_t head[16];
        bl_put_u32le(head, (uint32_t)(p->key >> 32));
        bl_put_u32le(head + 4, (uint32_t)p->key);
        bl_put_u32le(head + 8, p->df);
        bl_put_u32le(head + 12, (uint32_t)p->stream.len);
        if (fwrite(head, 1, sizeof head, b->spill) != sizeof head ||
            fwrite(p->stream.data, 1, p->stream.len, b->spill) != p->stream.len)
            return bl_error_set(BL_EIO, "%s: cannot write word pairs to a temporary file",
                                b->spill_dir);
    }
    off_t end = ftello(b->spill);
    if (start < 0 || end < 0)
        return bl_error_set(BL_EIO, "%s: temporary file of word pairs", b->spill_dir);
    for (uint32_t i = 0; i < b->npairs; i++)
        bl_buf_release(&b->pairs[i].stream);
    b->npairs = 0;
    b->stream_bytes = 0;
    memset(b->slots, 0, (size_t)b->nslots * sizeof *b->slots);
    free(b->order);
    b->order = NULL;
    b->nsorted = 0;
    b->runs[b->nruns++] = (run_cursor){.off = (uint64_t)start, .end = (uint64_t)end};
    return 0;
}

/* Reads n bytes of c's run into dst (through its buffer). */
static int cursor_read(bl_pair_builder *b, run_cursor *c, void *dst, size_t n)
{
    uint8_t *out = dst;
    while (n) {
        if (c->buf_at == c->buf_len) {
            size_t want = c->end - c->off < c->buf_cap ? (size_t)(c->end - c->off) : c->buf_cap;
            ssize_t got = want ? pread(fileno(b->spill), c->buf, want, (off_t)c->off) : 0;
            if (got <= 0)
                return bl_error_set(BL_EIO, "%s: cannot read back the temporary file of word "
                                    "pairs", b->spill_dir);
            c->off += (uint64_t)got;
            c->buf_len = (size_t)got;
            c->buf_at = 0;
        }
        size_t k = c->buf_len - c->buf_at < n ? c->buf_len - c->buf_at : n;
        memcpy(out, c->buf + c->buf_at, k);
        c->buf_at += k;
        out += k;
        n -= k;
    }
    return 0;
}

/* Moves c to its run's next entry (or sets done). */
static int cursor_next(bl_pair_builder *b, run_cursor *c)
{
    if (c->off == c->end && c->buf_at == c->buf_len) {
        c->done = 1;
        return 0;
    }
    uint8_t head[16];
    int rc = cursor_read(b, c, head, sizeof head);
    if (rc)
        return rc;
    c->x = bl_get_u32le(head);
    c->y = bl_get_u32le(head + 4);
    c->df = bl_get_u32le(head + 8);
    uint32_t len = bl_get_u32le(head + 12);
    if (c->x >= b->nwords || c->y >= b->nwords)
        return bl_error_set(BL_ECORRUPT, "pairs: the temporary file of word pairs is damaged");
    c->bytes.len = 0;
    if ((rc = bl_buf_reserve(&c->bytes, len)) != 0)
        return bl_error_set(rc, "pairs: no memory");
    if ((rc = cursor_read(b, c, c->bytes.data, len)) != 0)
        return rc;
    c->bytes.len = len;
    c->key_len = bl_pair_key(b->words[c->x], b->lens[c->x], b->words[c->y], b->lens[c->y],
                             c->key);
    return 0;
}

static int key_cmp(const run_cursor *x, const run_cursor *y)
{
    int c = memcmp(x->key, y->key, x->key_len < y->key_len ? x->key_len : y->key_len);
    return c ? c : (x->key_len > y->key_len) - (x->key_len < y->key_len);
}

/* Whether run i comes out before run j: by key, then by run. */
static int run_before(const bl_pair_builder *b, uint32_t i, uint32_t j)
{
    int c = key_cmp(&b->runs[i], &b->runs[j]);
    return c < 0 || (c == 0 && i < j);
}

/* Sifts run_heap[at] down to its place. */
static void run_heap_down(bl_pair_builder *b, uint32_t at)
{
    uint32_t *h = b->run_heap, n = b->nheap;
    for (;;) {
        uint32_t l = 2 * at + 1, m = at;
        if (l < n && run_before(b, h[l], h[m]))
            m = l;
        if (l + 1 < n && run_before(b, h[l + 1], h[m]))
            m = l + 1;
        if (m == at)
            return;
        uint32_t t = h[at];
        h[at] = h[m];
        h[m] = t;
        at = m;
    }
}

static int start_merging(bl_pair_builder *b)
{
    int rc = spill_run(b); /* the last documents' pairs */
    if (!rc && fflush(b->spill) != 0)
        rc = bl_error_set(BL_EIO, "%s: cannot write word pairs to a temporary file",
                          b->spill_dir);
    if (!rc && !(b->run_heap = malloc((b->nruns ? b->nruns : 1) * sizeof *b->run_heap)))
        rc = bl_error_set(BL_ENOMEM, "pairs: no memory");
    size_t each = b->nruns ? b->max_bytes / b->nruns : RUN_BUFFER;
    each = each > RUN_BUFFER ? RUN_BUFFER : each < RUN_BUFFER_MIN ? RUN_BUFFER_MIN : each;
    for (uint32_t i = 0; i < b->nruns && !rc; i++) {
        run_cursor *c = &b->runs[i];
        c->buf_cap = each;
        if (!(c->buf = malloc(each)))
            return bl_error_set(BL_ENOMEM, "pairs: no memory");
        bl_buf_init(&c->bytes);
        if (!(rc = cursor_next(b, c)) && !c->done)
            b->run_heap[b->nheap++] = i;
    }
    for (uint32_t i = b->nheap / 2; i-- > 0;)
        run_heap_down(b, i);
    b->merging = 1;
    return rc;
}

/* bl_pair_builder_next from the runs: the least key, its parts in run
 * (document) order. */
static int next_merged(bl_pair_builder *b, const char **key, size_t *len,
                       const uint32_t **docs, const uint32_t **tfs, uint32_t *n)
{
    if (!b->nheap)
        return 0;
    const run_cursor *least = &b->runs[b->run_heap[0]];
    memcpy(b->key, least->key, least->key_len);
    *len = least->key_len;
    *key = b->key;
    b->docs.n = b->tfs.n = 0;
    while (b->nheap) {
        run_cursor *c = &b->runs[b->run_heap[0]];
        if (c->key_len != *len || memcmp(c->key, b->key, *len) != 0)
            break;
        bl_reader r;
        bl_reader_init(&r, c->bytes.data, c->bytes.len);
        uint32_t doc = 0;
        for (uint32_t k = 0; k < c->df; k++) {
            uint32_t gap, tf;
            if (bl_reader_varint32(&r, &gap) || bl_reader_varint32(&r, &tf))
                return bl_error_set(BL_ECORRUPT, "pairs: the temporary file of word pairs is "
                                    "damaged");
            doc = k ? doc + gap : gap;
            if (b->docs.n && doc <= b->docs.v[b->docs.n - 1])
                return bl_error_set(BL_ECORRUPT, "pairs: runs of word pairs out of order");
            if (bl_u32vec_push(&b->docs, doc) || bl_u32vec_push(&b->tfs, tf))
                return bl_error_set(BL_ENOMEM, "pairs: no memory for a list");
        }
        int rc = cursor_next(b, c);
        if (rc)
            return rc;
        if (c->done)
            b->run_heap[0] = b->run_heap[--b->nheap];
        run_heap_down(b, 0);
    }
    *docs = b->docs.v;
    *tfs = b->tfs.v;
    *n = (uint32_t)b->docs.n;
    return 1;
}

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

/* Sifts heap[i] up a min-heap of words ordered by their current doc. */
static void heap_up(uint32_t *heap, uint32_t i, const uint32_t *doc)
{
    while (i > 0) {
        uint32_t parent = (i - 1) / 2;
        if (doc[heap[parent]] <= doc[heap[i]])
            return;
        uint32_t t = heap[i];
        heap[i] = heap[parent];
        heap[parent] = t;
        i = parent;
    }
}

/* Words wait for their next document in a ring of RING buckets, one per
 * document ahead (the dense words' next documents are mostly a few ahead),
 * and in a min-heap when it is farther: feeding a (word, document) costs a
 * bucket push instead of a heap's log(words) sift. */
#define RING 4096u

int bl_pair_builder_run(bl_pair_builder *b, uint32_t doc_count, bl_pair_source_fn next,
                        void *ctx)
{
    uint32_t nw = b->nwords, m = nw ? nw : 1;
    uint32_t *heap = malloc(m * sizeof *heap);
    uint32_t *doc = malloc(m * sizeof *doc);
    uint32_t *cnt = malloc(m * sizeof *cnt);
    uint32_t *link = malloc(m * sizeof *link); /* next word in the same bucket */
    uint32_t *bucket = malloc(RING * sizeof *bucket);
    const uint32_t **pos = malloc(m * sizeof *pos);
    int rc = heap && doc && cnt && link && bucket && pos
                 ? 0 : bl_error_set(BL_ENOMEM, "pairs: no memory");
    uint32_t nheap = 0, waiting = 0; /* waiting: words in buckets */
    uint32_t cur = 0;                /* the document the ring starts at */
    for (uint32_t i = 0; !rc && i < RING; i++)
        bucket[i] = UINT32_MAX;
    for (uint32_t w = 0; w < nw && !rc; w++) {
        rc = next(ctx, w, &doc[w], &pos[w], &cnt[w]);
        if (!rc && doc[w] < doc_count)
            heap[nheap++] = w;
    }
    for (uint32_t i = nheap / 2; i-- > 0 && !rc;)
        heap_down(heap, nheap, i, doc);
    while (!rc && (waiting || nheap)) {
        if (!waiting)
            cur = doc[heap[0]]; /* nothing near: jump to the nearest */
        /* the words whose next document came within reach of the ring */
        while (nheap && doc[heap[0]] - cur < RING) {
            uint32_t w = heap[0];
            link[w] = bucket[doc[w] % RING];
            bucket[doc[w] % RING] = w;
            waiting++;
            heap[0] = heap[--nheap];
            heap_down(heap, nheap, 0, doc);
        }
        uint32_t w = bucket[cur % RING];
        bucket[cur % RING] = UINT32_MAX;
        while (w != UINT32_MAX && !rc) {
            uint32_t after = link[w]; /* before w waits again */
            waiting--;
            if ((rc = bl_pair_builder_add(b, cur, w, pos[w], cnt[w])) != 0 ||
                (rc = next(ctx, w, &doc[w], &pos[w], &cnt[w])) != 0)
                break;
            if (doc[w] != BL_DOC_END && doc[w] <= cur) {
                rc = bl_error_set(BL_ECORRUPT, "pairs: word %u: doc %u after doc %u", w, doc[w],
                                  cur);
                break;
            }
            if (doc[w] < doc_count && doc[w] - cur < RING) {
                link[w] = bucket[doc[w] % RING];
                bucket[doc[w] % RING] = w;
                waiting++;
            } else if (doc[w] < doc_count) {
                heap[nheap] = w;
                heap_up(heap, nheap++, doc);
            }
            w = after;
        }
        cur++;
    }
    if (!rc)
        rc = bl_pair_builder_flush(b);
    free(heap);
    free(doc);
    free(cnt);
    free(link);
    free(bucket);
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

/* Puts the pairs' indices in key order into b->order (b->nsorted of them,
 * leaving out those whose key would be too long), each pair's last
 * document closed. */
static int order_pairs(bl_pair_builder *b)
{
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

int bl_pair_builder_sort(bl_pair_builder *b)
{
    int rc = bl_pair_builder_flush(b);
    if (rc)
        return rc;
    if (b->nruns)
        return start_merging(b);
    return order_pairs(b);
}

int bl_pair_builder_next(bl_pair_builder *b, const char **key, size_t *len,
                         const uint32_t **docs, const uint32_t **tfs, uint32_t *n)
{
    if (b->merging)
        return next_merged(b, key, len, docs, tfs, n);
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
    free(b->by_pos);
    for (uint32_t i = 0; i < b->nruns; i++) {
        free(b->runs[i].buf);
        bl_buf_release(&b->runs[i].bytes);
    }
    free(b->runs);
    free(b->run_heap);
    if (b->spill)
        fclose(b->spill);
    free(b->spill_dir);
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
    uint32_t doc_count, dense_ratio;
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
    if (!bl_pair_word(info->doc_freq, c->doc_count, c->dense_ratio))
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

int bl_pairs_check(const bl_termdict *dict, const bl_postings *postings, uint32_t doc_count,
                   uint32_t dense_ratio)
{
    check_ctx c = {dict, postings, doc_count, dense_ratio, NULL, NULL, NULL, NULL, 0, 0, 0, 0};
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
