/* merge.c: n adjacent segments written again as one (merge.h). */
#include "merge.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "codec.h"
#include "deletes.h"
#include "docset.h"
#include "docstore.h"
#include "error.h"
#include "filefmt.h"
#include "idmap.h"
#include "pairs.h"
#include "postings.h"
#include "rss.h"
#include "segment.h"
#include "termdict.h"

typedef struct dict_walk dict_walk;

/* The inputs and what the output is built from. */
typedef struct {
    const char *dir;
    size_t memory; /* the pair builder spills past half of it (0: never) */
    uint64_t id;            /* the new segment's */
    size_t n;
    bl_segment **segs;
    uint32_t *base;         /* input i's first document in the output */
    const uint64_t **del;   /* input i's deletions (deletes.h), or NULL */
    uint32_t **rank;        /* and their rank */
    uint32_t *lens;         /* the output's document lengths */
    uint32_t doc_count;
    uint32_t dense_ratio;   /* the output's: the manifest's (postings.h) */
    bl_postings_writer *pw;
    bl_termdict_writer *tw;
    unsigned created;       /* bl_segment_ext_bit of the files made */
    /* The pair words (those dense in the output), in dictionary order. */
    char **words;
    uint32_t *word_lens;
    uint32_t nwords, words_cap;
    uint64_t read_since_drop;  /* about how many input bytes were read */
    uint64_t read_since_check; /* and since the resident size was read */
    uint32_t calls_since_check;
    dict_walk *walks;       /* each input's dictionary walk, words then pairs */
    uint8_t *complete;      /* input i's own pair lists are complete for the
                             * output's pair words (all dense in it) */
    /* For input i, bit w of dense[i]: output pair word w is dense in it
     * (so input i's lists hold every pair of two such words); and for an
     * input not complete, bit d of sparse_docs[i]: its document d holds a
     * pair word that is not dense in it, the only documents whose pairs
     * are found again from positions. */
    uint64_t **dense;
    uint64_t **sparse_docs;
    /* For an input not complete, the complement of dense[i]: the words
     * whose pairs the builder counts in its documents (the others' are in
     * its lists); want_at: the input of the builder's last document. */
    uint64_t **not_dense;
    size_t want_at;
} merge;

static inline void set_bit(uint64_t *bits, uint32_t i)
{
    bits[i >> 6] |= (uint64_t)1 << (i & 63);
}

static inline int has_bit(const uint64_t *bits, uint32_t i)
{
    return (int)(bits[i >> 6] >> (i & 63) & 1);
}

/* The first set bit of bits at or after from, or end if none below end. */
static uint32_t next_bit(const uint64_t *bits, uint32_t from, uint32_t end)
{
    if (from >= end)
        return end;
    uint32_t k = from >> 6;
    uint64_t word = bits[k] & (~(uint64_t)0 << (from & 63));
    while (!word) {
        if ((uint64_t)(++k) * 64 >= end)
            return end;
        word = bits[k];
    }
    uint32_t at = k * 64 + (uint32_t)__builtin_ctzll(word);
    return at < end ? at : end;
}

/* A merge reads its inputs whole, through their mappings, and each page
 * it touches stays resident until dropped; dropped, it comes back from
 * the page cache if read again (a minor fault). Counted reads cannot say
 * how much is resident (the kernel maps up to 64 KiB around each fault,
 * and a list's first block or bitmap is more than its postings), so every
 * CHECK_EVERY bytes counted, or CHECK_CALLS reads (a dictionary lookup or
 * a skip counts few bytes and touches pages), the process's resident file
 * pages are read, and the inputs dropped when they pass FILE_PAGES_HELD
 * (10 GB of news, two merges at once, held 200 MB of them with drops every
 * 32 MB counted; a cap of 32 MB made the pair phase read again what it
 * dropped, 30% slower). Where they cannot be read, inputs are dropped
 * every DROP_EVERY counted. */
#define CHECK_EVERY ((uint64_t)1 << 20)
#define CHECK_CALLS 4096
#define FILE_PAGES_HELD ((size_t)48 << 20)
#define DROP_EVERY ((uint64_t)32 << 20)

/* Counts n bytes read from the inputs, and drops their pages when the
 * process holds too many file pages. */
static void count_read(merge *g, uint64_t n)
{
    g->read_since_drop += n;
    g->read_since_check += n;
    if (g->read_since_check < CHECK_EVERY && ++g->calls_since_check < CHECK_CALLS)
        return;
    g->read_since_check = 0;
    g->calls_since_check = 0;
    bl_rss rss;
    int measured = bl_rss_read(&rss) == 0;
    if (measured ? rss.file <= FILE_PAGES_HELD : g->read_since_drop < DROP_EVERY)
        return;
    g->read_since_drop = 0;
    for (size_t i = 0; i < g->n; i++)
        bl_segment_drop_pages(g->segs[i]);
}

/* One input's dictionary walk. */
struct dict_walk {
    bl_termdict_iter *it;
    const char *term;       /* current word, NULL once past the words */
    size_t len;
    bl_terminfo info;
    const char *pair;       /* current pair key, once past the words */
    size_t pair_len;
    bl_terminfo pair_info;
};

/* Input i's document d in the output, or UINT32_MAX when it is deleted. */
static inline uint32_t out_doc(const merge *g, size_t i, uint32_t d)
{
    const uint64_t *del = g->del[i];
    if (!del)
        return g->base[i] + d;
    if (bl_deleted(del, d))
        return UINT32_MAX;
    return g->base[i] + d - bl_deletes_before(del, g->rank[i], d);
}

/* ---- words ---- */

/* Moves walk w to its next word; pair keys, which sort after every word,
 * end it (the first one stays in pair, pair_len, pair_info, for
 * merge_pairs). */
static int walk_next(dict_walk *w)
{
    int got = bl_termdict_iter_next(w->it, &w->term, &w->len, &w->info);
    if (got < 0)
        return got;
    if (got == 1 && bl_term_is_pair(w->term, w->len)) {
        w->pair = w->term;
        w->pair_len = w->len;
        w->pair_info = w->info;
    }
    if (got == 0 || bl_term_is_pair(w->term, w->len))
        w->term = NULL;
    return 0;
}

/* Moves walk w to its next pair key (pair NULL after the last). */
static int walk_next_pair(dict_walk *w)
{
    int got = bl_termdict_iter_next(w->it, &w->pair, &w->pair_len, &w->pair_info);
    if (got < 0)
        return got;
    if (got == 0)
        w->pair = NULL;
    return 0;
}

static int term_cmp(const char *a, size_t la, const char *b, size_t lb)
{
    int c = memcmp(a, b, la < lb ? la : lb);
    return c ? c : (la > lb) - (la < lb);
}


/* Called by walk_list for each document of an input's list that is not
 * deleted, the iterator on it and to its number in the output; a non-zero
 * return stops the walk. */
typedef int (*list_fn)(merge *g, bl_posting_iter *it, uint32_t to, void *ctx);

/* Walks input i's list info in output numbers, deleted documents left out. */
/* Counts what opening input i's list info reads besides its postings: its
 * skip data and first block, and a dense list's bitmap, which per posting
 * counts would miss (10 GB of news kept 440 MB of input pages resident
 * while pair lists were walked). */
static void count_open(merge *g, size_t i, const bl_terminfo *info)
{
    const bl_manifest_segment *in = bl_segment_info(g->segs[i]);
    uint32_t docs = in->doc_count;
    int dense = bl_postings_has_bitmap(info, docs, in->dense_ratio);
    count_read(g, 512 + (dense ? docs / 8 : 0));
}

/* An iterator over input i's list info, its opening counted. */
static int open_list(merge *g, size_t i, const bl_terminfo *info, bl_posting_iter **it)
{
    count_open(g, i, info);
    return bl_posting_iter_new(bl_segment_postings(g->segs[i]), info, it);
}

static int walk_list(merge *g, size_t i, const bl_terminfo *info, list_fn fn, void *ctx)
{
    bl_posting_iter *it;
    int rc = open_list(g, i, info, &it);
    if (rc)
        return rc;
    bl_docset *ds = bl_posting_iter_docset(it);
    for (uint32_t d = ds->doc; d != BL_DOC_END && !rc; d = bl_posting_iter_next(it)) {
        uint32_t to = out_doc(g, i, d);
        if (to != UINT32_MAX)
            rc = fn(g, it, to, ctx);
    }
    if (!rc)
        rc = ds->err;
    bl_docset_free(ds);
    return rc;
}

static int count_one(merge *g, bl_posting_iter *it, uint32_t to, void *ctx)
{
    (void)g, (void)it, (void)to;
    ++*(uint32_t *)ctx;
    return 0;
}

/* Documents of input i's list info that are not deleted. */
static int live_postings(merge *g, size_t i, const bl_terminfo *info, uint32_t *n)
{
    *n = g->del[i] ? 0 : info->doc_freq;
    return g->del[i] ? walk_list(g, i, info, count_one, n) : 0;
}

static int push_posting(merge *g, bl_posting_iter *it, uint32_t to, void *ctx)
{
    const int *with_positions = ctx;
    const uint32_t *pos = NULL;
    uint32_t tf;
    int rc = 0;
    if (*with_positions)
        rc = bl_posting_iter_positions(it, &pos, &tf);
    else
        tf = bl_posting_iter_freq(it);
    if (!rc)
        rc = bl_postings_writer_push(g->pw, to, tf, pos, g->lens[to]);
    count_read(g, 2 + (uint64_t)tf); /* about a byte a posting and a position */
    return rc;
}

/* Appends the list info of input i, which has no deletions, to the open
 * list a block at a time, its positions as stored (bl_posting_iter_block_all).
 * A posting at a time, each document's positions made absolute by the
 * reader and gaps again by the writer, cost `optimize` of 1 GB a sixth of
 * its time. */
static int copy_blocks(merge *g, size_t i, const bl_terminfo *info)
{
    bl_posting_iter *it;
    int rc = open_list(g, i, info, &it);
    if (rc)
        return rc;
    bl_docset *ds = bl_posting_iter_docset(it);
    uint32_t out[BL_BLOCK_SIZE], lens[BL_BLOCK_SIZE];
    while (!rc && ds->doc != BL_DOC_END) {
        const uint32_t *docs, *tfs, *gaps;
        uint32_t m = bl_posting_iter_block_all(it, &docs, &tfs, &gaps);
        if (!m)
            break; /* its error, if any, is the docset's */
        uint64_t npos = 0;
        for (uint32_t j = 0; j < m; j++) {
            out[j] = g->base[i] + docs[j];
            lens[j] = g->lens[out[j]];
            npos += tfs[j];
        }
        rc = bl_postings_writer_push_gaps(g->pw, out, tfs, lens, gaps, m);
        count_read(g, 2 * (uint64_t)m + npos); /* about a byte a posting and a position */
        if (!rc)
            bl_posting_iter_seek(it, docs[m - 1] + 1);
    }
    if (!rc)
        rc = ds->err;
    bl_docset_free(ds);
    return rc;
}

/* Appends input i's list info (a word's or a pair's) to the open list. */
static int copy_list(merge *g, size_t i, const bl_terminfo *info)
{
    int with_positions = !info->positionless;
    return g->del[i] ? walk_list(g, i, info, push_posting, &with_positions)
                     : copy_blocks(g, i, info);
}

static int remember_pair_word(merge *g, const char *term, size_t len)
{
    if (g->nwords == g->words_cap) {
        uint32_t cap = g->words_cap ? 2 * g->words_cap : 256;
        char **w = realloc(g->words, cap * sizeof *w);
        if (w)
            g->words = w;
        uint32_t *l = realloc(g->word_lens, cap * sizeof *l);
        if (l)
            g->word_lens = l;
        if (!w || !l)
            return BL_ENOMEM;
        g->words_cap = cap;
    }
    char *copy = malloc(len + 1);
    if (!copy)
        return BL_ENOMEM;
    memcpy(copy, term, len);
    copy[len] = 0;
    g->words[g->nwords] = copy;
    g->word_lens[g->nwords++] = (uint32_t)len;
    return 0;
}


/* Walks the inputs' dictionaries side by side and writes each word's
 * merged list, inputs in order; a word all of whose documents are
 * deleted is left out. */
static int merge_words(merge *g)
{
    dict_walk *w = g->walks = calloc(g->n, sizeof *w);
    size_t *holders = malloc(g->n * sizeof *holders);
    int rc = w && holders ? 0 : BL_ENOMEM;
    for (size_t i = 0; i < g->n && !rc; i++)
        if (!(rc = bl_termdict_iter_new(bl_segment_termdict(g->segs[i]), &w[i].it)))
            rc = walk_next(&w[i]);
    char term[BL_TERM_MAX_BYTES + 1];
    while (!rc) {
        /* the least current word, and the inputs that hold it */
        size_t nh = 0, len = 0;
        const char *least = NULL;
        for (size_t i = 0; i < g->n; i++) {
            if (!w[i].term)
                continue;
            int c = least ? term_cmp(w[i].term, w[i].len, least, len) : -1;
            if (c < 0) {
                least = w[i].term;
                len = w[i].len;
                nh = 0;
            }
            if (c <= 0)
                holders[nh++] = i;
        }
        if (!least)
            break;
        memcpy(term, least, len);
        uint64_t df = 0;
        for (size_t k = 0; k < nh && !rc; k++) {
            uint32_t live;
            rc = live_postings(g, holders[k], &w[holders[k]].info, &live);
            df += live;
        }
        bl_terminfo info;
        if (!rc && df)
            rc = bl_postings_writer_begin(g->pw, (uint32_t)df, 1);
        for (size_t k = 0; k < nh && !rc && df; k++)
            rc = copy_list(g, holders[k], &w[holders[k]].info);
        if (!rc && df)
            rc = bl_postings_writer_end(g->pw, &info);
        if (!rc && df)
            rc = bl_termdict_writer_add(g->tw, term, len, &info);
        if (!rc && df && bl_pair_word(info.doc_freq, g->doc_count, g->dense_ratio))
            rc = remember_pair_word(g, term, len);
        for (size_t k = 0; k < nh && !rc; k++)
            rc = walk_next(&w[holders[k]]);
    }
    free(holders);
    return rc;
}

/* ---- pairs ---- */

/* Each pair word's walk through the inputs, for bl_pair_builder_run. */
typedef struct {
    merge *g;
    size_t *seg;            /* input the word's iterator is in (n: none yet) */
    bl_posting_iter **it;
    int *started;
    uint8_t *only_sparse;   /* the word is dense in its input: only that
                             * input's sparse_docs are wanted of it */
} pair_source;

/* Moves input s's iterator it, if need be, to its first document that is
 * not deleted and, with only_sparse, is one of s's sparse_docs. */
static int settle(merge *g, size_t s, int only_sparse, bl_posting_iter *it)
{
    uint32_t count = bl_segment_info(g->segs[s])->doc_count;
    for (;;) {
        uint32_t d = bl_posting_iter_docset(it)->doc;
        if (bl_posting_iter_docset(it)->err)
            return bl_posting_iter_docset(it)->err;
        if (d == BL_DOC_END)
            return 0;
        if (only_sparse && !has_bit(g->sparse_docs[s], d)) {
            /* (count: past every doc id of s, so the iterator ends) */
            bl_posting_iter_seek(it, next_bit(g->sparse_docs[s], d + 1, count));
            continue;
        }
        if (out_doc(g, s, d) != UINT32_MAX)
            return 0;
        bl_posting_iter_next(it);
    }
}

static int next_pair_doc(void *ctx, uint32_t w, uint32_t *doc, const uint32_t **pos,
                         uint32_t *n)
{
    pair_source *ps = ctx;
    merge *g = ps->g;
    bl_posting_iter *it = ps->it[w];
    if (it && ps->started[w]) {
        bl_posting_iter_next(it);
        int err = settle(g, ps->seg[w], ps->only_sparse[w], it);
        if (err)
            return err;
    }
    ps->started[w] = 1;
    /* past the inputs' ends */
    while (!it || bl_posting_iter_docset(it)->doc == BL_DOC_END) {
        if (it) {
            bl_docset_free(bl_posting_iter_docset(it));
            ps->it[w] = it = NULL;
        }
        size_t s = ps->seg[w] == g->n ? 0 : ps->seg[w] + 1;
        if (s >= g->n) {
            ps->seg[w] = g->n + 1; /* done */
            *doc = BL_DOC_END;
            *n = 0;
            return 0;
        }
        ps->seg[w] = s;
        if (g->complete[s])
            continue; /* its pair lists are copied instead */
        bl_terminfo info;
        int rc = bl_termdict_lookup(bl_segment_termdict(g->segs[s]), g->words[w],
                                    g->word_lens[w], &info);
        if (rc == BL_ENOTFOUND)
            continue;
        if (rc)
            return rc;
        if ((rc = open_list(g, s, &info, &ps->it[w])))
            return rc;
        it = ps->it[w];
        ps->only_sparse[w] = (uint8_t)has_bit(g->dense[s], w);
        if ((rc = settle(g, s, ps->only_sparse[w], it)))
            return rc;
    }
    int rc = bl_posting_iter_positions(it, pos, n);
    if (rc)
        return rc;
    *doc = out_doc(g, ps->seg[w], bl_posting_iter_docset(it)->doc);
    count_read(g, 2 + (uint64_t)*n);
    return 0;
}

/* The index of the word term[0..len) among the output's pair words (they
 * are in dictionary order), or UINT32_MAX if it is not one. */
static uint32_t pair_word_index(const merge *g, const char *term, size_t len)
{
    uint32_t lo = 0, hi = g->nwords;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int c = term_cmp(g->words[mid], g->word_lens[mid], term, len);
        if (c == 0)
            return mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return UINT32_MAX;
}

/* The output pair words a pair key (0xFF a 0xFF b, pairs.h) joins:
 * returns 0 (and sets *a, *b) unless the key does not join two of them. */
static int pair_words_of(const merge *g, const char *key, size_t len, uint32_t *a, uint32_t *b)
{
    const char *second = len > 1 ? memchr(key + 1, BL_PAIR_MARK, len - 1) : NULL;
    if (!second)
        return -1;
    *a = pair_word_index(g, key + 1, (size_t)(second - key - 1));
    *b = pair_word_index(g, second + 1, len - (size_t)(second + 1 - key));
    return *a != UINT32_MAX && *b != UINT32_MAX ? 0 : -1;
}

/* Whether a pair key joins two of the output's pair words that are both
 * dense in input i: then input i's list of it is the whole of input i's
 * part. */
static int pair_of_dense(const merge *g, size_t i, const char *key, size_t len)
{
    uint32_t a, b;
    return pair_words_of(g, key, len, &a, &b) == 0 && has_bit(g->dense[i], a) &&
           has_bit(g->dense[i], b);
}

/* Moves input i's walk to its next pair key that joins two output pair
 * words dense in it. */
static int next_output_pair(merge *g, size_t i)
{
    dict_walk *w = &g->walks[i];
    int rc = 0;
    while (!rc && w->pair && !pair_of_dense(g, i, w->pair, w->pair_len))
        rc = walk_next_pair(w);
    return rc;
}

/* Marks in bits (input i's sparse_docs) the documents of input i's list
 * of the word w (there when found). */
static int mark_docs(merge *g, size_t i, uint32_t w, uint64_t *bits)
{
    bl_terminfo info;
    int rc = bl_termdict_lookup(bl_segment_termdict(g->segs[i]), g->words[w], g->word_lens[w],
                                &info);
    if (rc == BL_ENOTFOUND)
        return 0;
    bl_posting_iter *it;
    if (rc || (rc = open_list(g, i, &info, &it)))
        return rc;
    for (uint32_t d = bl_posting_iter_docset(it)->doc; d != BL_DOC_END;
         d = bl_posting_iter_next(it))
        set_bit(bits, d);
    rc = bl_posting_iter_docset(it)->err;
    count_read(g, info.doc_freq);
    bl_docset_free(bl_posting_iter_docset(it));
    return rc;
}

/* Finds which output pair words are dense in each input (pairs.h: then
 * its lists hold every pair of them, and a missing key means no
 * occurrence), the inputs where all are (complete: their lists are copied,
 * nothing is found again) and, for the others, the documents that hold a
 * pair word not dense there: pairs are found again from positions in
 * those documents only. */
static int find_dense_words(merge *g)
{
    if (!(g->complete = calloc(g->n, 1)) || !(g->dense = calloc(g->n, sizeof *g->dense)) ||
        !(g->sparse_docs = calloc(g->n, sizeof *g->sparse_docs)) ||
        !(g->not_dense = calloc(g->n, sizeof *g->not_dense)))
        return BL_ENOMEM;
    for (size_t i = 0; i < g->n; i++) {
        uint32_t count = bl_segment_info(g->segs[i])->doc_count;
        uint32_t ratio = bl_segment_info(g->segs[i])->dense_ratio;
        if (!(g->dense[i] = calloc((g->nwords + 63) / 64 + 1, sizeof **g->dense)))
            return BL_ENOMEM;
        int all = 1;
        for (uint32_t w = 0; w < g->nwords; w++) {
            bl_terminfo info;
            int rc = bl_termdict_lookup(bl_segment_termdict(g->segs[i]), g->words[w],
                                        g->word_lens[w], &info);
            if (rc && rc != BL_ENOTFOUND)
                return rc;
            if (rc == 0 && bl_pair_word(info.doc_freq, count, ratio))
                set_bit(g->dense[i], w);
            else
                all = 0;
        }
        g->complete[i] = (uint8_t)all;
        if (!all) {
            size_t nw = (g->nwords + 63) / 64 + 1;
            if (!(g->sparse_docs[i] = calloc((count + 63) / 64 + 1, sizeof **g->sparse_docs)) ||
                !(g->not_dense[i] = malloc(nw * sizeof **g->not_dense)))
                return BL_ENOMEM;
            for (size_t k = 0; k < nw; k++)
                g->not_dense[i][k] = ~g->dense[i][k];
            for (uint32_t w = 0; w < g->nwords; w++) {
                int rc = has_bit(g->dense[i], w) ? 0 : mark_docs(g, i, w, g->sparse_docs[i]);
                if (rc)
                    return rc;
            }
        }
        if (g->walks[i].pair) {
            int rc = next_output_pair(g, i);
            if (rc)
                return rc;
        }
    }
    return 0;
}

/* bl_pair_wanted_fn for the builder of a merge: in a document of input i,
 * the pairs of words not dense in i (documents come in increasing order,
 * and only from inputs that are not complete). */
static const uint64_t *wanted_in_input(void *ctx, uint32_t doc)
{
    merge *g = ctx;
    while (g->want_at + 1 < g->n && doc >= g->base[g->want_at + 1])
        g->want_at++;
    return g->not_dense[g->want_at];
}

/* Finds the output's pairs and writes them after the words, merged key by
 * key in dictionary order, each list's documents input after input: an
 * input's part of a pair of two words dense in it is its own list of it;
 * the other parts are found again from the positions of the pair words
 * (in the documents of the input that hold a word not dense there: the
 * others have no such pair). */
static int merge_pairs(merge *g)
{
    int rc = find_dense_words(g);
    if (rc)
        return rc;
    size_t m = g->nwords ? g->nwords : 1;
    pair_source ps = {g, malloc(m * sizeof *ps.seg), calloc(m, sizeof *ps.it),
                      calloc(m, sizeof *ps.started), calloc(m, 1)};
    bl_pair_builder *b = NULL;
    if (!ps.seg || !ps.it || !ps.started || !ps.only_sparse)
        rc = BL_ENOMEM;
    for (uint32_t w = 0; !rc && w < g->nwords; w++)
        ps.seg[w] = g->n;
    if (!rc && !(rc = bl_pair_builder_new(&b, g->nwords, (const char *const *)g->words,
                                          g->word_lens)) &&
        (!g->memory || !(rc = bl_pair_builder_limit(b, g->dir, g->memory / 2)))) {
        g->want_at = 0;
        bl_pair_builder_want(b, wanted_in_input, g);
        rc = bl_pair_builder_run(b, g->doc_count, next_pair_doc, &ps);
    }
    if (!rc)
        rc = bl_pair_builder_sort(b);
    for (uint32_t w = 0; ps.it && w < g->nwords; w++)
        if (ps.it[w])
            bl_docset_free(bl_posting_iter_docset(ps.it[w]));
    free(ps.seg);
    free(ps.it);
    free(ps.started);
    free(ps.only_sparse);

    /* the builder's next pair, then the inputs' own lists */
    const char *bkey = NULL;
    size_t blen = 0;
    const uint32_t *bdocs = NULL, *btfs = NULL;
    uint32_t bn = 0;
    int bmore = 0;
    if (!rc && (bmore = bl_pair_builder_next(b, &bkey, &blen, &bdocs, &btfs, &bn)) < 0)
        rc = bmore;
    char key[BL_TERM_MAX_BYTES + 1];
    uint8_t *own = malloc(g->n ? g->n : 1); /* input i's part is its own list */
    uint32_t *bfrom = malloc((g->n + 1) * sizeof *bfrom); /* its builder documents */
    if (!rc && (!own || !bfrom))
        rc = BL_ENOMEM;
    while (!rc) {
        const char *least = bmore == 1 ? bkey : NULL;
        size_t len = blen;
        for (size_t i = 0; i < g->n; i++) {
            const dict_walk *w = &g->walks[i];
            if (w->pair && (!least || term_cmp(w->pair, w->pair_len, least, len) < 0)) {
                least = w->pair;
                len = w->pair_len;
            }
        }
        if (!least)
            break;
        memcpy(key, least, len);
        int from_builder = bmore == 1 && term_cmp(bkey, blen, key, len) == 0;
        /* each input's part and their documents: the list is written as it
         * is read, its length said first */
        uint64_t df = 0;
        uint32_t bat = 0, wa, wb;
        int joins = pair_words_of(g, key, len, &wa, &wb) == 0;
        for (size_t i = 0; i < g->n && !rc; i++) {
            dict_walk *w = &g->walks[i];
            bfrom[i] = bat;
            while (from_builder && bat < bn && bdocs[bat] < g->base[i + 1])
                bat++;
            /* where both words are dense in the input, the builder found
             * nothing: the input's own list, if it has one, holds them all */
            if (!g->complete[i] &&
                !(joins && has_bit(g->dense[i], wa) && has_bit(g->dense[i], wb))) {
                own[i] = 0;
                df += bat - bfrom[i];
                continue;
            }
            own[i] = w->pair && term_cmp(w->pair, w->pair_len, key, len) == 0;
            uint32_t live = 0;
            if (own[i] && !(rc = live_postings(g, i, &w->pair_info, &live)))
                df += live;
        }
        bfrom[g->n] = bat;
        bl_terminfo info;
        if (!rc && df && !(rc = bl_postings_writer_begin(g->pw, (uint32_t)df, 0))) {
            for (size_t i = 0; i < g->n && !rc; i++) {
                if (own[i]) {
                    rc = copy_list(g, i, &g->walks[i].pair_info);
                    continue;
                }
                uint32_t lens[BL_BLOCK_SIZE];
                for (uint32_t at = bfrom[i]; at < bfrom[i + 1] && !rc; at += BL_BLOCK_SIZE) {
                    uint32_t k = bfrom[i + 1] - at < BL_BLOCK_SIZE ? bfrom[i + 1] - at
                                                                   : BL_BLOCK_SIZE;
                    for (uint32_t j = 0; j < k; j++)
                        lens[j] = g->lens[bdocs[at + j]];
                    rc = bl_postings_writer_push_gaps(g->pw, bdocs + at, btfs + at, lens, NULL, k);
                }
            }
            if (!rc && !(rc = bl_postings_writer_end(g->pw, &info)))
                rc = bl_termdict_writer_add(g->tw, key, len, &info);
        }
        for (size_t i = 0; i < g->n && !rc; i++)
            if (own[i] && !(rc = walk_next_pair(&g->walks[i])))
                rc = next_output_pair(g, i);
        if (!rc && from_builder &&
            (bmore = bl_pair_builder_next(b, &bkey, &blen, &bdocs, &btfs, &bn)) < 0)
            rc = bmore;
    }
    free(own);
    free(bfrom);
    bl_pair_builder_free(b);
    return rc;
}

/* ---- the other files ---- */

/* The output's lengths, from the inputs' (kept documents only). */
static int gather_lens(merge *g)
{
    if (!(g->lens = malloc((g->doc_count ? g->doc_count : 1) * sizeof *g->lens)))
        return BL_ENOMEM;
    int rc = 0;
    for (size_t i = 0; i < g->n && !rc; i++) {
        const bl_segment *s = g->segs[i];
        uint32_t count = bl_segment_info(s)->doc_count;
        for (uint32_t d = 0; d < count; d++) {
            uint32_t to = out_doc(g, i, d);
            if (to != UINT32_MAX)
                g->lens[to] = bl_segment_doc_len(s, d);
        }
        rc = bl_segment_error(s);
        bl_segment_drop_pages(g->segs[i]); /* its lengths are read once */
    }
    return rc;
}

static int write_lens(merge *g)
{
    char path[4096];
    int rc = bl_segment_path(path, sizeof path, g->dir, g->id, "len");
    if (!rc) {
        g->created |= bl_segment_ext_bit("len");
        rc = bl_doclens_write(path, g->lens, g->doc_count);
    }
    return rc;
}

static int write_store(merge *g)
{
    char path[4096];
    bl_docstore_writer *w;
    int rc = bl_segment_path(path, sizeof path, g->dir, g->id, "sto");
    if (rc || (rc = bl_docstore_writer_new(&w, path)))
        return rc;
    g->created |= bl_segment_ext_bit("sto");
    for (size_t i = 0; i < g->n && !rc; i++) {
        rc = bl_docstore_writer_append(w, bl_segment_docstore(g->segs[i]),
                                       bl_segment_deleted(g->segs[i]));
        bl_segment_drop_pages(g->segs[i]);
    }
    if (rc) {
        bl_docstore_writer_abort(w);
        return rc;
    }
    return bl_docstore_writer_finish(w);
}

static int write_ids(merge *g)
{
    char path[4096];
    const bl_idmap **maps = malloc(g->n * sizeof *maps);
    if (!maps)
        return BL_ENOMEM;
    for (size_t i = 0; i < g->n; i++)
        maps[i] = bl_segment_idmap(g->segs[i]);
    int rc = bl_segment_path(path, sizeof path, g->dir, g->id, "ids");
    if (!rc) {
        g->created |= bl_segment_ext_bit("ids");
        rc = bl_idmap_write_merged(path, maps, g->base, g->del, g->n);
    }
    free(maps);
    return rc;
}

static int write_postings(merge *g)
{
    char dpath[4096], ppath[4096], tpath[4096];
    int rc;
    if ((rc = bl_segment_path(dpath, sizeof dpath, g->dir, g->id, "doc")) ||
        (rc = bl_segment_path(ppath, sizeof ppath, g->dir, g->id, "pos")) ||
        (rc = bl_segment_path(tpath, sizeof tpath, g->dir, g->id, "tdi")))
        return rc;
    if ((rc = bl_postings_writer_new(&g->pw, dpath, ppath, g->doc_count, g->dense_ratio,
                                     BL_CODEC_DEFAULT)))
        return rc;
    g->created |= bl_segment_ext_bit("doc") | bl_segment_ext_bit("pos");
    if ((rc = bl_termdict_writer_new(&g->tw, tpath)))
        return rc;
    g->created |= bl_segment_ext_bit("tdi");
    if ((rc = merge_words(g)) || (rc = merge_pairs(g)))
        return rc;
    for (size_t i = 0; i < g->n && !rc; i++)
        rc = bl_segment_error(g->segs[i]);
    if (rc)
        return rc;
    rc = bl_postings_writer_finish(g->pw);
    g->pw = NULL;
    if (!rc)
        rc = bl_termdict_writer_finish(g->tw);
    g->tw = NULL;
    return rc;
}

int bl_merge_segments(const char *dir, const bl_manifest *m, size_t first, size_t n,
                      uint64_t new_id, size_t memory, bl_manifest_segment *out)
{
    if (n == 0 || first > m->nsegments || n > m->nsegments - first)
        return bl_error_set(BL_EINVAL, "merge: segments %zu to %zu of %u", first, first + n,
                            m->nsegments);
    merge g = {.dir = dir, .memory = memory, .id = new_id, .n = n, .dense_ratio = m->dense_ratio};
    g.segs = calloc(n, sizeof *g.segs);
    g.base = malloc((n + 1) * sizeof *g.base);
    g.del = calloc(n, sizeof *g.del);
    g.rank = calloc(n, sizeof *g.rank);
    if (!g.segs || !g.base || !g.del || !g.rank) {
        free(g.segs);
        free(g.base);
        free(g.del);
        free(g.rank);
        return BL_ENOMEM;
    }
    memset(out, 0, sizeof *out);
    out->id = new_id;
    out->codec = BL_CODEC_DEFAULT;
    out->dense_ratio = m->dense_ratio;
    uint64_t docs = 0;
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        const bl_manifest_segment *s = &m->segments[first + i];
        g.base[i] = (uint32_t)docs;
        docs += s->doc_count - s->del_count;
        out->total_tokens += s->total_tokens - s->del_tokens;
        if (docs >= BL_DOC_END)
            rc = bl_error_set(BL_ETOOBIG, "merge: %llu documents in one segment (limit %u)",
                              (unsigned long long)docs, BL_DOC_END - 1);
        else
            rc = bl_segment_open(&g.segs[i], dir, m, first + i, 0);
        if (!rc && (g.del[i] = bl_segment_deleted(g.segs[i])) &&
            !(g.rank[i] = bl_deletes_rank(g.del[i], s->doc_count)))
            rc = BL_ENOMEM;
    }
    g.doc_count = (uint32_t)docs;
    g.base[n] = g.doc_count;
    out->doc_count = g.doc_count;
    char path[4096];
    if (!rc)
        rc = gather_lens(&g);
    if (!rc)
        rc = write_postings(&g);
    if (!rc)
        rc = write_lens(&g);
    if (!rc)
        rc = write_ids(&g);
    if (!rc)
        rc = write_store(&g);
    if (!rc && !(rc = bl_segment_path(path, sizeof path, dir, new_id, "inf"))) {
        g.created |= bl_segment_ext_bit("inf");
        rc = bl_seginfo_write(path, out, m->lang, m->analyzer_version);
    }
    if (!rc)
        rc = bl_segment_fingerprint(dir, out);
    bl_postings_writer_abort(g.pw);
    bl_termdict_writer_abort(g.tw);
    for (size_t i = 0; i < n; i++) {
        bl_segment_close(g.segs[i]);
        free(g.rank[i]);
    }
    free(g.rank);
    free(g.del);
    free(g.lens);
    for (size_t i = 0; g.walks && i < n; i++)
        bl_termdict_iter_free(g.walks[i].it);
    free(g.walks);
    free(g.complete);
    for (size_t i = 0; g.dense && i < n; i++)
        free(g.dense[i]);
    for (size_t i = 0; g.sparse_docs && i < n; i++)
        free(g.sparse_docs[i]);
    for (size_t i = 0; g.not_dense && i < n; i++)
        free(g.not_dense[i]);
    free(g.dense);
    free(g.sparse_docs);
    free(g.not_dense);
    for (uint32_t w = 0; w < g.nwords; w++)
        free(g.words[w]);
    free(g.words);
    free(g.word_lens);
    free(g.segs);
    free(g.base);
    if (rc)
        bl_segment_remove_some_files(dir, new_id, g.created);
    return rc;
}

int bl_merge_replace(bl_manifest *m, size_t first, size_t n, const bl_manifest_segment *seg)
{
    if (n == 0 || first > m->nsegments || n > m->nsegments - first)
        return bl_error_set(BL_EINVAL, "merge: segments %zu to %zu of %u", first, first + n,
                            m->nsegments);
    m->segments[first] = *seg;
    memmove(m->segments + first + 1, m->segments + first + n,
            (m->nsegments - first - n) * sizeof *m->segments);
    m->nsegments -= (uint32_t)(n - 1);
    return 0;
}

int bl_merge_install(const char *dir, int lock_fd, bl_manifest *m, size_t first, size_t n,
                     const bl_manifest_segment *seg, const uint64_t *keep, size_t nkeep,
                     int *renamed)
{
    *renamed = 0;
    if (n == 0 || first > m->nsegments || n > m->nsegments - first) {
        if (seg)
            bl_segment_remove_files(dir, seg->id);
        return bl_error_set(BL_EINVAL, "merge: segments %zu to %zu of %u", first, first + n,
                            m->nsegments);
    }
    bl_manifest next = *m;
    next.segments = malloc((m->nsegments ? m->nsegments : 1) * sizeof *next.segments);
    if (!next.segments) {
        if (seg)
            bl_segment_remove_files(dir, seg->id);
        return BL_ENOMEM;
    }
    memcpy(next.segments, m->segments, m->nsegments * sizeof *m->segments);
    int rc = 0;
    if (!seg) {
        /* every document deleted: the segments just leave the manifest */
        memmove(next.segments + first, next.segments + first + n,
                (m->nsegments - first - n) * sizeof *next.segments);
        next.nsegments -= (uint32_t)n;
    } else {
        bl_merge_replace(&next, first, n, seg);
        if (next.next_segment <= seg->id)
            next.next_segment = seg->id + 1;
    }
    next.generation = m->generation + 1;
    if (!bl_manifest_lock_holds(dir, lock_fd)) {
        /* dir may now be another index: touch nothing there */
        rc = bl_error_set(BL_EIO, "%s: the index directory was moved or replaced while merging; "
                          "nothing was committed", dir);
        goto out;
    }
    rc = bl_manifest_commit(dir, &next, renamed);
    if (!*renamed) {
        if (seg)
            bl_segment_remove_files(dir, seg->id);
        goto out;
    }
    bl_manifest_segment *t = m->segments;
    *m = next;
    next.segments = t;
    /* the merged segments' files, their deletions files among them */
    bl_manifest_remove_orphans_but(dir, m, keep, nkeep);
out:
    free(next.segments);
    return rc;
}

int bl_merge_commit(const char *dir, int lock_fd, bl_manifest *m, size_t first, size_t n,
                    size_t memory, int *renamed)
{
    *renamed = 0;
    uint64_t id = m->next_segment;
    if (id + 1 >= BL_MAX_SEGMENT_ID)
        return bl_error_set(BL_ETOOBIG, "%s: segment ids exhausted", dir);
    if (n == 0 || first > m->nsegments || n > m->nsegments - first)
        return bl_error_set(BL_EINVAL, "merge: segments %zu to %zu of %u", first, first + n,
                            m->nsegments);
    uint64_t live = 0;
    for (size_t i = 0; i < n; i++)
        live += m->segments[first + i].doc_count - m->segments[first + i].del_count;
    bl_manifest_segment seg;
    int rc;
    if (live && (rc = bl_merge_segments(dir, m, first, n, id, memory, &seg)))
        return rc;
    return bl_merge_install(dir, lock_fd, m, first, n, live ? &seg : NULL, NULL, 0, renamed);
}

/* A segment's level under the policy. */
static unsigned level_of(uint64_t tokens, unsigned factor)
{
    unsigned level = 0;
    for (uint64_t top = (uint64_t)BL_MERGE_FLOOR_TOKENS * factor; tokens >= top && level < 63;
         top *= factor)
        level++;
    return level;
}

/* A segment's level: by the tokens of its live documents. */
static unsigned segment_level(const bl_manifest_segment *s, unsigned factor)
{
    return level_of(s->total_tokens - s->del_tokens, factor);
}

int bl_merge_pick(const bl_manifest *m, unsigned factor, size_t *first, size_t *n)
{
    return bl_merge_pick_free(m, factor, NULL, first, n);
}

int bl_merge_pick_free(const bl_manifest *m, unsigned factor, const unsigned char *busy,
                       size_t *first, size_t *n)
{
    if (factor < 2 || factor > BL_MERGE_MAX_FACTOR)
        return 0;
    /* a segment mostly deleted is written again alone, reclaiming them */
    for (uint32_t i = 0; i < m->nsegments; i++) {
        const bl_manifest_segment *s = &m->segments[i];
        if (busy && busy[i])
            continue;
        if (s->del_count && (uint64_t)s->del_count * 100 >= (uint64_t)s->doc_count *
                                                                 BL_MERGE_RECLAIM_PCT) {
            *first = i;
            *n = 1;
            return 1;
        }
    }
    if (m->nsegments < factor)
        return 0;
    unsigned top = 0;
    for (uint32_t i = 0; i < m->nsegments; i++) {
        unsigned l = segment_level(&m->segments[i], factor);
        top = l > top ? l : top;
    }
    for (unsigned level = 0; level <= top; level++) {
        /* the leftmost run, none above level, that holds factor segments
         * of the level itself (smaller ones between them ride along) and
         * whose documents fit in one segment: a level with fewer than
         * factor segments is left alone, however many smaller ones follow
         * (seven large segments and three small are ten segments, but no
         * reason to rewrite the large ones) */
        size_t at[BL_MERGE_MAX_FACTOR]; /* the run's last factor of the level */
        size_t count = 0;
        for (uint32_t i = 0; i < m->nsegments; i++) {
            unsigned l = segment_level(&m->segments[i], factor);
            if (l > level || (busy && busy[i])) {
                count = 0;
                continue;
            }
            if (l < level)
                continue;
            if (count == factor) {
                memmove(at, at + 1, (factor - 1) * sizeof *at);
                count--;
            }
            at[count++] = i;
            if (count < factor)
                continue;
            uint64_t docs = 0;
            for (size_t k = at[0]; k <= i; k++)
                docs += m->segments[k].doc_count;
            if (docs < BL_DOC_END) {
                *first = at[0];
                *n = i + 1 - at[0];
                return 1;
            }
        }
    }
    return 0;
}
