/* test_pairs.c: the word pairs of a segment (common/pairs.h).
 *
 * Keys: their layout (0xFF a 0xFF b), the length limit at its exact
 * boundary, and which terms are pairs. The builder: random documents
 * (random words at random increasing positions, with gaps, one word per
 * position as the analyzer gives them) fed a document at a time
 * (bl_pair_builder_add) and through a source (bl_pair_builder_run), against
 * a brute-force oracle that scans each document's positions: the pairs in
 * memcmp order of their keys, each with its documents and tfs, and none
 * whose key would be too long. Then a source that repeats positions (must
 * not crash, and finds the pairs that stand side by side), and the errors.
 *
 * Random inputs come from a printed seed; BYLINE_SEED=N replays one. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "helpers.h"
#include "pairs.h"

#define CHECK(cond, fmt, ...)                                                             \
    do {                                                                                  \
        if (!(cond))                                                                      \
            cr_assert_fail("seed %llu: %s: " fmt, (unsigned long long)bl_test_last_seed(), \
                           #cond, ##__VA_ARGS__);                                         \
    } while (0)

/* ---- keys ------------------------------------------------------------------ */

/* A key of exactly the room bl_pair_key may use: a sanitized build sees a
 * byte written past it. */
static size_t key_of(const char *a, size_t la, const char *b, size_t lb, char **out)
{
    *out = malloc(BL_TERM_MAX_BYTES);
    cr_assert_not_null(*out);
    return bl_pair_key(a, la, b, lb, *out);
}

Test(pairs, key_layout_and_length_limit)
{
    char *k;
    size_t n = key_of("north", 5, "korea", 5, &k);
    cr_assert_eq(n, 12);
    cr_assert(memcmp(k, "\xff" "north" "\xff" "korea", 12) == 0);
    cr_assert(bl_term_is_pair(k, n));
    free(k);
    /* the same word twice, and words with bytes above 0x7F */
    n = key_of("\xc3\xa9t\xc3\xa9", 5, "\xc3\xa9t\xc3\xa9", 5, &k);
    cr_assert(n == 12 && memcmp(k, "\xff\xc3\xa9t\xc3\xa9\xff\xc3\xa9t\xc3\xa9", 12) == 0);
    free(k);

    /* 2 + la + lb == BL_TERM_MAX_BYTES fits; one byte more does not */
    char a[BL_TERM_MAX_BYTES], b[BL_TERM_MAX_BYTES];
    memset(a, 'a', sizeof a);
    memset(b, 'b', sizeof b);
    for (size_t la = 1; la < BL_TERM_MAX_BYTES - 2; la++) {
        size_t lb = BL_TERM_MAX_BYTES - 2 - la;
        n = key_of(a, la, b, lb, &k);
        cr_assert_eq(n, BL_TERM_MAX_BYTES, "la %zu lb %zu", la, lb);
        cr_assert((unsigned char)k[0] == 0xFF && (unsigned char)k[1 + la] == 0xFF);
        cr_assert(memcmp(k + 1, a, la) == 0 && memcmp(k + 2 + la, b, lb) == 0);
        free(k);
        cr_assert_eq(key_of(a, la, b, lb + 1, &k), 0, "la %zu lb %zu", la, lb + 1);
        free(k);
        cr_assert_eq(key_of(a, la + 1, b, lb, &k), 0, "la %zu lb %zu", la + 1, lb);
        free(k);
    }
    cr_assert_eq(key_of(a, 200, b, 200, &k), 0);
    free(k);
    cr_assert_eq(key_of(a, BL_TERM_MAX_BYTES, b, 1, &k), 0);
    free(k);
}

Test(pairs, which_terms_are_pairs)
{
    cr_assert(!bl_term_is_pair("", 0));
    cr_assert(!bl_term_is_pair("a", 1));
    cr_assert(!bl_term_is_pair("\xc3\xa9", 2));
    cr_assert(!bl_term_is_pair("\xfe\xff", 2));
    cr_assert(!bl_term_is_pair("a\xff" "b", 3));
    cr_assert(bl_term_is_pair("\xff", 1));
    cr_assert(bl_term_is_pair("\xff" "a\xff" "b", 4));
    /* a pair's key sorts after the largest UTF-8 word (U+10FFFF) */
    char *k;
    size_t n = key_of("a", 1, "a", 1, &k);
    cr_assert(memcmp(k, "\xf4\x8f\xbf\xbf", 4) > 0);
    free(k);
    (void)n;
}

Test(pairs, which_words_and_pairs_are_indexed)
{
    const uint32_t R = BL_DENSE_RATIO;
    cr_assert(!bl_pair_word(0, 0, R) && !bl_pair_word(0, 5, R));
    cr_assert(bl_pair_word(1, 1, R) && bl_pair_word(1, R, R));
    cr_assert(!bl_pair_word(1, R + 1, R));
    cr_assert(bl_pair_word(7, 7 * R, R) && !bl_pair_word(7, 7 * R + 1, R));
    /* no overflow: 2^28 * 16 = 2^32 */
    cr_assert(bl_pair_word(1u << 28, UINT32_MAX, R) &&
              !bl_pair_word((1u << 28) - 1, UINT32_MAX, R));
    cr_assert(bl_pair_word(UINT32_MAX, UINT32_MAX, R));
    cr_assert(bl_pair_word(UINT32_MAX, UINT32_MAX, UINT32_MAX));
    uint32_t dc = 1000, dense = 63, rare = 62; /* 63 * 16 = 1008 */
    cr_assert(bl_pair_indexed(dense, 3, dense, 4, dc, R));
    cr_assert(!bl_pair_indexed(dense, 3, rare, 4, dc, R) &&
              !bl_pair_indexed(rare, 3, dense, 4, dc, R));
    cr_assert(bl_pair_indexed(dense, 100, dense, BL_TERM_MAX_BYTES - 102, dc, R));
    cr_assert(!bl_pair_indexed(dense, 100, dense, BL_TERM_MAX_BYTES - 101, dc, R));
    /* a compact segment's pair words are in a quarter of its documents */
    cr_assert(bl_pair_word(250, 1000, BL_DENSE_RATIO_COMPACT) &&
              !bl_pair_word(249, 1000, BL_DENSE_RATIO_COMPACT));
    cr_assert(!bl_pair_indexed(dense, 3, dense, 4, dc, BL_DENSE_RATIO_COMPACT));
    /* ratio 0: no word is dense, not even one in every document */
    cr_assert(!bl_pair_word(1000, 1000, 0) && !bl_pair_word(UINT32_MAX, UINT32_MAX, 0));
}

/* ---- random documents and their oracle ------------------------------------- */

typedef struct {
    uint32_t doc;
    uint32_t n;       /* occurrences, by position */
    uint32_t *pos, *word;
} tdoc;

typedef struct {
    uint32_t nwords;
    char **words;
    uint32_t *lens;
    tdoc *docs;
    uint32_t ndocs;
} tcorpus;

static char *dup_bytes(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

/* Words: some that are prefixes of others ("a", "ab", "abc"), some with
 * bytes above 0x7F (signed comparisons would put them first), long ones
 * whose pairs reach the key limit exactly (125 + 128, 126 + 127) or pass
 * it (127 + 127, 128 + 126), then random short ones; in a random order, so
 * word ids say nothing of key order. */
static void make_words(bl_rng *r, tcorpus *c)
{
    static const char *const fixed[] = {"a", "ab", "abc", "b", "ba", "\xc3\xa9", "\xc3\xa9" "a",
                                        "z", "\xe2\x82\xac"};
    static const uint32_t long_lens[] = {125, 126, 127, 128, 200};
    uint32_t nfixed = sizeof fixed / sizeof *fixed, nlong = sizeof long_lens / sizeof *long_lens;
    uint32_t nrand = bl_rng_below(r, 40);
    uint32_t n = nfixed + nlong + nrand;
    c->nwords = n;
    c->words = calloc(n, sizeof *c->words);
    c->lens = calloc(n, sizeof *c->lens);
    uint32_t w = 0;
    for (uint32_t i = 0; i < nfixed; i++, w++)
        c->words[w] = dup_bytes(fixed[i], strlen(fixed[i]));
    for (uint32_t i = 0; i < nlong; i++, w++) {
        char buf[256];
        for (uint32_t k = 0; k < long_lens[i]; k++)
            buf[k] = (char)('a' + bl_rng_below(r, 3));
        c->words[w] = dup_bytes(buf, long_lens[i]);
    }
    while (w < n) {
        char buf[8];
        uint32_t len = 1 + bl_rng_below(r, 4);
        for (uint32_t k = 0; k < len; k++)
            buf[k] = (char)('a' + bl_rng_below(r, 4));
        int dup = 0;
        for (uint32_t j = 0; j < w && !dup; j++)
            dup = strlen(c->words[j]) == len && memcmp(c->words[j], buf, len) == 0;
        if (!dup)
            c->words[w++] = dup_bytes(buf, len);
    }
    for (uint32_t i = n; i-- > 1;) {
        uint32_t j = bl_rng_below(r, i + 1);
        char *t = c->words[i];
        c->words[i] = c->words[j];
        c->words[j] = t;
    }
    for (uint32_t i = 0; i < n; i++)
        c->lens[i] = (uint32_t)strlen(c->words[i]);
}

/* Word of an occurrence: skewed to low ids, so pairs repeat (and a word
 * often follows itself). */
static uint32_t draw_word(bl_rng *r, uint32_t nwords)
{
    uint32_t a = bl_rng_below(r, nwords), b = bl_rng_below(r, nwords);
    return a < b ? a : b;
}

/* Random documents at increasing ids with gaps (some near the top of the
 * id space), each a run of positions: mostly consecutive, with gaps (a
 * title/body boundary, a token too long to index), sometimes long (the
 * builder's tables grow), sometimes at the top of the position space and
 * also at 0 (position UINT32_MAX has no next one: 0 is not it). With
 * repeat, some positions hold two occurrences. */
static void make_docs(bl_rng *r, tcorpus *c, int repeat)
{
    uint32_t nd = 1 + bl_rng_below(r, bl_rng_below(r, 4) ? 60 : 400);
    c->ndocs = nd;
    c->docs = calloc(nd, sizeof *c->docs);
    uint64_t doc = bl_rng_below(r, 3) ? bl_rng_below(r, 5) : bl_rng_below(r, 1u << 31);
    if (bl_rng_below(r, 8) == 0)
        doc = (uint64_t)UINT32_MAX - 1 - nd - bl_rng_below(r, 20); /* ids at the very top */
    for (uint32_t i = 0; i < nd; i++) {
        tdoc *d = &c->docs[i];
        d->doc = (uint32_t)doc;
        uint64_t room = (uint64_t)UINT32_MAX - 1 - doc - (nd - 1 - i);
        uint64_t gap = 1 + (bl_rng_below(r, 4) ? bl_rng_below(r, 3) : bl_rng_below(r, 100000));
        doc += gap < room ? gap : (room ? room : 1);
        uint32_t len = bl_rng_below(r, 10) ? bl_rng_below(r, 40) : 500 + bl_rng_below(r, 4000);
        d->pos = malloc((2 * (size_t)len + 2) * sizeof *d->pos);
        d->word = malloc((2 * (size_t)len + 2) * sizeof *d->word);
        int top = bl_rng_below(r, 10) == 0;
        uint64_t p = top ? 0 : bl_rng_below(r, 4) ? bl_rng_below(r, 5) : bl_rng_below(r, 1u << 30);
        for (uint32_t k = 0; k < len; k++) {
            if (top && k == len / 2)
                p = (uint64_t)UINT32_MAX - (len - k - 1); /* ends at UINT32_MAX */
            if (p > UINT32_MAX)
                break;
            d->pos[d->n] = (uint32_t)p;
            d->word[d->n++] = draw_word(r, c->nwords);
            if (repeat && bl_rng_below(r, 6) == 0) {
                d->pos[d->n] = (uint32_t)p;
                d->word[d->n++] = draw_word(r, c->nwords);
            }
            /* (a run to the top of the position space is unbroken) */
            p += bl_rng_below(r, 5) || (top && k >= len / 2) ? 1 : 2 + bl_rng_below(r, 3);
        }
    }
}

static void free_corpus(tcorpus *c)
{
    for (uint32_t w = 0; w < c->nwords; w++)
        free(c->words[w]);
    free(c->words);
    free(c->lens);
    for (uint32_t i = 0; i < c->ndocs; i++) {
        free(c->docs[i].pos);
        free(c->docs[i].word);
    }
    free(c->docs);
}

/* One expected pair: its key and list. */
typedef struct {
    char key[BL_TERM_MAX_BYTES];
    size_t len;
    uint32_t *docs, *tfs;
    uint32_t n, cap;
} opair;

typedef struct {
    opair *pairs;   /* by a * nwords + b, then sorted by key */
    uint32_t npairs;
    uint64_t found; /* distinct pairs side by side, keys too long included */
} oracle;

static int cmp_opair(const void *x, const void *y)
{
    const opair *p = x, *q = y;
    int c = memcmp(p->key, q->key, p->len < q->len ? p->len : q->len);
    return c ? c : (p->len > q->len) - (p->len < q->len);
}

/* A filter for bl_pair_builder_want: below doc split the words of lo,
 * from it on those of hi (NULL: every pair). */
typedef struct {
    uint32_t split;
    const uint64_t *lo, *hi;
} want_split;

static const uint64_t *wanted_by_split(void *ctx, uint32_t doc)
{
    const want_split *w = ctx;
    return doc < w->split ? w->lo : w->hi;
}

static int has_word(const uint64_t *mask, uint32_t w)
{
    return (int)(mask[w / 64] >> (w % 64) & 1);
}

/* The pairs of c's documents below doc_count, brute force: for every two
 * occurrences, the second one position after the first. With unique
 * positions that is a scan of neighbours; with repeated ones every
 * combination counts (the tfs then only need to be >= 1). With want, only
 * the pairs bl_pair_builder_want would have counted. */
static void oracle_build(const tcorpus *c, uint32_t doc_count, const want_split *want, oracle *o)
{
    uint32_t nw = c->nwords;
    opair *all = calloc((size_t)nw * nw, sizeof *all);
    for (uint32_t i = 0; i < c->ndocs; i++) {
        const tdoc *d = &c->docs[i];
        if (d->doc >= doc_count)
            continue;
        for (uint32_t x = 0; x < d->n; x++) {
            if (d->pos[x] == UINT32_MAX)
                continue;
            for (uint32_t y = x + 1; y < d->n && d->pos[y] <= d->pos[x] + 1; y++) {
                if (d->pos[y] != d->pos[x] + 1)
                    continue;
                const uint64_t *mask = want ? wanted_by_split((void *)want, d->doc) : NULL;
                if (mask && !has_word(mask, d->word[x]) && !has_word(mask, d->word[y]))
                    continue;
                opair *p = &all[(size_t)d->word[x] * nw + d->word[y]];
                if (p->n && p->docs[p->n - 1] == d->doc) {
                    p->tfs[p->n - 1]++;
                    continue;
                }
                if (p->n == p->cap) {
                    p->cap = p->cap ? 2 * p->cap : 4;
                    p->docs = realloc(p->docs, p->cap * sizeof *p->docs);
                    p->tfs = realloc(p->tfs, p->cap * sizeof *p->tfs);
                }
                p->docs[p->n] = d->doc;
                p->tfs[p->n++] = 1;
            }
        }
    }
    o->npairs = 0;
    o->found = 0;
    for (uint32_t a = 0; a < nw; a++)
        for (uint32_t b = 0; b < nw; b++) {
            opair *p = &all[(size_t)a * nw + b];
            if (!p->n)
                continue;
            o->found++;
            if (2 + (size_t)c->lens[a] + c->lens[b] > BL_TERM_MAX_BYTES) {
                free(p->docs);
                free(p->tfs);
                continue;
            }
            p->key[0] = (char)0xFF;
            memcpy(p->key + 1, c->words[a], c->lens[a]);
            p->key[1 + c->lens[a]] = (char)0xFF;
            memcpy(p->key + 2 + c->lens[a], c->words[b], c->lens[b]);
            p->len = 2 + (size_t)c->lens[a] + c->lens[b];
            all[o->npairs++] = *p;
        }
    qsort(all, o->npairs, sizeof *all, cmp_opair);
    o->pairs = all;
}

static void oracle_free(oracle *o)
{
    for (uint32_t i = 0; i < o->npairs; i++) {
        free(o->pairs[i].docs);
        free(o->pairs[i].tfs);
    }
    free(o->pairs);
}

/* Sorts b's pairs and compares them, in order, with the oracle's. exact_tf
 * 0: only that each tf is at least 1 (sources that repeat positions). */
static void expect_oracle(bl_pair_builder *b, const oracle *o, int exact_tf, const char *how)
{
    int spilled = strstr(how, "spilling") != NULL; /* its count is the last run's */
    CHECK(bl_pair_builder_sort(b) == 0, "%s: sort: %s", how, bl_error_detail());
    CHECK(spilled || (bl_pair_builder_count(b) >= o->npairs && bl_pair_builder_count(b) <= o->found),
          "%s: %llu pairs found, the oracle has %u that fit of %llu", how,
          (unsigned long long)bl_pair_builder_count(b), o->npairs, (unsigned long long)o->found);
    const char *key;
    size_t len;
    const uint32_t *docs, *tfs;
    uint32_t n, i = 0;
    int rc;
    while ((rc = bl_pair_builder_next(b, &key, &len, &docs, &tfs, &n)) == 1) {
        CHECK(i < o->npairs, "%s: more than the oracle's %u pairs", how, o->npairs);
        const opair *p = &o->pairs[i];
        CHECK(len == p->len && memcmp(key, p->key, len) == 0,
              "%s: pair %u: key of %zu bytes '%.*s', want %zu bytes '%.*s'", how, i, len,
              (int)len, key, p->len, (int)p->len, p->key);
        CHECK(n == p->n, "%s: pair '%.*s': %u docs, want %u", how, (int)len, key, n, p->n);
        for (uint32_t k = 0; k < n; k++) {
            CHECK(docs[k] == p->docs[k], "%s: pair '%.*s' posting %u: doc %u, want %u", how,
                  (int)len, key, k, docs[k], p->docs[k]);
            CHECK(exact_tf ? tfs[k] == p->tfs[k] : tfs[k] >= 1,
                  "%s: pair '%.*s' doc %u: tf %u, want %u", how, (int)len, key, docs[k], tfs[k],
                  p->tfs[k]);
        }
        i++;
    }
    CHECK(rc == 0, "%s: next: %d %s", how, rc, bl_error_detail());
    CHECK(i == o->npairs, "%s: %u pairs, want %u", how, i, o->npairs);
    CHECK(bl_pair_builder_next(b, &key, &len, &docs, &tfs, &n) == 0, "%s: after the end", how);
}

/* Feeds c's documents below doc_count one at a time, each word's
 * positions in one call, the words of a document in a random order. */
static void feed_by_add(bl_rng *r, const tcorpus *c, bl_pair_builder *b, uint32_t doc_count)
{
    uint32_t *pos = NULL, *order = malloc(c->nwords * sizeof *order);
    for (uint32_t i = 0; i < c->ndocs; i++) {
        const tdoc *d = &c->docs[i];
        if (d->doc >= doc_count)
            continue;
        pos = realloc(pos, (d->n + 1) * sizeof *pos);
        for (uint32_t w = 0; w < c->nwords; w++)
            order[w] = w;
        for (uint32_t w = c->nwords; w-- > 1;) {
            uint32_t j = bl_rng_below(r, w + 1), t = order[w];
            order[w] = order[j];
            order[j] = t;
        }
        for (uint32_t k = 0; k < c->nwords; k++) {
            uint32_t w = order[k], n = 0;
            for (uint32_t x = 0; x < d->n; x++)
                if (d->word[x] == w)
                    pos[n++] = d->pos[x];
            if (n)
                CHECK(bl_pair_builder_add(b, d->doc, w, pos, n) == 0, "add doc %u word %u: %s",
                      d->doc, w, bl_error_detail());
        }
    }
    CHECK(bl_pair_builder_flush(b) == 0, "flush: %s", bl_error_detail());
    free(pos);
    free(order);
}

/* A source over c: each word's documents (those holding it) in order. */
typedef struct {
    const tcorpus *c;
    uint32_t *at;      /* by word: index into c->docs of its next document */
    uint32_t **pos;    /* by word: positions handed out last */
    uint64_t calls;
} tsource;

static int next_from_corpus(void *ctx, uint32_t w, uint32_t *doc, const uint32_t **pos,
                            uint32_t *n)
{
    tsource *s = ctx;
    const tcorpus *c = s->c;
    CHECK(w < c->nwords, "source asked for word %u of %u", w, c->nwords);
    s->calls++;
    for (; s->at[w] < c->ndocs; s->at[w]++) {
        const tdoc *d = &c->docs[s->at[w]];
        uint32_t k = 0;
        free(s->pos[w]);
        s->pos[w] = malloc((d->n + 1) * sizeof *s->pos[w]);
        for (uint32_t x = 0; x < d->n; x++)
            if (d->word[x] == w)
                s->pos[w][k++] = d->pos[x];
        if (k) {
            s->at[w]++;
            *doc = d->doc;
            *pos = s->pos[w];
            *n = k;
            return 0;
        }
    }
    *doc = BL_DOC_END;
    *n = 0;
    return 0;
}

static void feed_by_run(const tcorpus *c, bl_pair_builder *b, uint32_t doc_count)
{
    tsource s = {c, calloc(c->nwords + 1, sizeof *s.at), calloc(c->nwords + 1, sizeof *s.pos), 0};
    int rc = bl_pair_builder_run(b, doc_count, next_from_corpus, &s);
    CHECK(rc == 0, "run: %d %s", rc, bl_error_detail());
    for (uint32_t w = 0; w < c->nwords; w++)
        free(s.pos[w]);
    free(s.pos);
    free(s.at);
}

/* A document count that keeps every document, or cuts the list short
 * (documents at or past it are not the segment's). */
static uint32_t draw_doc_count(bl_rng *r, const tcorpus *c)
{
    uint32_t last = c->docs[c->ndocs - 1].doc;
    switch (bl_rng_below(r, 4)) {
    case 0: return BL_DOC_END;
    case 1: return c->docs[bl_rng_below(r, c->ndocs)].doc; /* that one is out */
    default: return last + 1; /* at most BL_DOC_END */
    }
}

static void builder_matches_oracle(int repeat)
{
    bl_rng r;
    bl_rng_init(&r, bl_test_seed(repeat ? "pairs.repeated_positions_do_not_crash"
                                        : "pairs.builder_matches_oracle"));
    uint64_t pairs_seen = 0, long_dropped = 0, limit_kept = 0;
    for (int round = 0; round < 60; round++) {
        tcorpus c;
        make_words(&r, &c);
        make_docs(&r, &c, repeat);
        uint32_t doc_count = draw_doc_count(&r, &c);
        oracle o, of;
        oracle_build(&c, doc_count, NULL, &o);
        /* a filter: random words wanted below a random document, other
         * random words (or every pair) from it on */
        uint64_t lo[8] = {0}, hi[8] = {0};
        for (uint32_t w = 0; w < c.nwords && w < 512; w++) {
            if (bl_rng_below(&r, 3) == 0)
                lo[w / 64] |= 1ull << (w % 64);
            if (bl_rng_below(&r, 4) == 0)
                hi[w / 64] |= 1ull << (w % 64);
        }
        want_split ws = {c.docs[bl_rng_below(&r, c.ndocs)].doc, lo,
                         bl_rng_below(&r, 4) ? hi : NULL};
        oracle_build(&c, doc_count, &ws, &of);
        pairs_seen += o.npairs;
        long_dropped += o.found - o.npairs;
        for (uint32_t i = 0; i < o.npairs; i++)
            limit_kept += o.pairs[i].len == BL_TERM_MAX_BYTES;
        /* via 2 and 3: run, with the lists spilled to a temporary file
         * after every document, or every few KiB */
        /* via 4: run with the filter (a source that repeats positions
         * may lose pairs there with it: the merges' sources never do) */
        for (int via = 0; via < (repeat ? 4 : 5); via++) {
            bl_pair_builder *b;
            CHECK(bl_pair_builder_new(&b, c.nwords, (const char *const *)c.words, c.lens) == 0,
                  "");
            if (via == 2 || via == 3)
                CHECK(bl_pair_builder_limit(b, "/tmp", via == 2 ? 1 : 8192) == 0, "");
            char how[96];
            snprintf(how, sizeof how, "round %d via %s, %u docs, doc_count %u", round,
                     via == 0   ? "add"
                     : via == 1 ? "run"
                     : via == 2 ? "run, spilling each doc"
                     : via == 3 ? "run, spilling 8 KiB"
                                : "run, pairs of some words only",
                     c.ndocs, doc_count);
            if (via == 4)
                bl_pair_builder_want(b, wanted_by_split, &ws);
            if (via)
                feed_by_run(&c, b, doc_count);
            else
                feed_by_add(&r, &c, b, doc_count);
            expect_oracle(b, via == 4 ? &of : &o, !repeat, how);
            bl_pair_builder_free(b);
        }
        oracle_free(&o);
        oracle_free(&of);
        free_corpus(&c);
    }
    /* the inputs did reach the cases that matter */
    fprintf(stderr, "  %llu pairs, %llu dropped as too long, %llu of exactly %d bytes\n",
            (unsigned long long)pairs_seen, (unsigned long long)long_dropped,
            (unsigned long long)limit_kept, BL_TERM_MAX_BYTES);
    CHECK(pairs_seen > 1000, "only %llu pairs", (unsigned long long)pairs_seen);
    if (!repeat)
        CHECK(long_dropped > 0 && limit_kept > 0, "no pair at or past the key limit");
}

Test(pairs, builder_matches_oracle, .timeout = 120)
{
    builder_matches_oracle(0);
}

/* A source that gives two occurrences at one position (the analyzer never
 * does) must not crash the builder: it finds every pair standing side by
 * side, in the right documents. */
Test(pairs, repeated_positions_do_not_crash, .timeout = 120)
{
    builder_matches_oracle(1);
}

Test(pairs, empty_builder)
{
    bl_pair_builder *b;
    cr_assert_eq(bl_pair_builder_new(&b, 0, NULL, NULL), 0);
    tcorpus c = {0};
    tsource s = {&c, NULL, NULL, 0};
    cr_assert_eq(bl_pair_builder_run(b, 100, next_from_corpus, &s), 0);
    cr_assert_eq(s.calls, 0);
    cr_assert_eq(bl_pair_builder_sort(b), 0);
    const char *key;
    size_t len;
    const uint32_t *docs, *tfs;
    uint32_t n;
    cr_assert_eq(bl_pair_builder_next(b, &key, &len, &docs, &tfs, &n), 0);
    cr_assert_eq(bl_pair_builder_count(b), 0);
    bl_pair_builder_free(b);
    bl_pair_builder_free(NULL);
}

/* ---- errors ------------------------------------------------------------------ */

/* The pairs of b, sorted, as "a b:doc/tf,doc/tf;" lines into out. */
static void describe(bl_pair_builder *b, char *out, size_t cap)
{
    cr_assert_eq(bl_pair_builder_sort(b), 0, "%s", bl_error_detail());
    const char *key;
    size_t len, at = 0;
    const uint32_t *docs, *tfs;
    uint32_t n;
    out[0] = 0;
    while (bl_pair_builder_next(b, &key, &len, &docs, &tfs, &n) == 1) {
        const char *sep = memchr(key + 1, 0xFF, len - 1);
        cr_assert_not_null(sep);
        at += (size_t)snprintf(out + at, cap - at, "%.*s %.*s:", (int)(sep - key - 1), key + 1,
                               (int)(key + len - sep - 1), sep + 1);
        for (uint32_t k = 0; k < n; k++)
            at += (size_t)snprintf(out + at, cap - at, "%s%u/%u", k ? "," : "", docs[k], tfs[k]);
        at += (size_t)snprintf(out + at, cap - at, ";");
    }
}

/* A document below the one before, a word out of range and BL_DOC_END are
 * refused, and change nothing: the pairs are those of the calls that were
 * taken. */
Test(pairs, add_refuses_bad_calls)
{
    static const char *const words[] = {"x", "y", "z"};
    static const uint32_t lens[] = {1, 1, 1};
    bl_pair_builder *b;
    cr_assert_eq(bl_pair_builder_new(&b, 3, words, lens), 0);
    uint32_t p10[] = {10}, p11[] = {11}, p12[] = {12}, p0[] = {0}, p1[] = {1}, p2[] = {2};
    cr_assert_eq(bl_pair_builder_add(b, 5, 0, p10, 1), 0);
    cr_assert_eq(bl_pair_builder_add(b, 4, 1, p11, 1), BL_EINVAL, "a doc below the one before");
    cr_assert_eq(bl_pair_builder_add(b, 5, 3, p11, 1), BL_EINVAL, "word 3 of 3");
    cr_assert_eq(bl_pair_builder_add(b, 5, UINT32_MAX, p11, 1), BL_EINVAL, "word 2^32 - 1");
    cr_assert_eq(bl_pair_builder_add(b, BL_DOC_END, 2, p12, 1), BL_EINVAL, "BL_DOC_END");
    cr_assert_eq(bl_pair_builder_add(b, 5, 1, p11, 1), 0, "%s", bl_error_detail());
    cr_assert_eq(bl_pair_builder_add(b, 5, 2, p12, 1), 0, "%s", bl_error_detail());
    cr_assert_eq(bl_pair_builder_add(b, 7, 2, p1, 1), 0, "%s", bl_error_detail());
    cr_assert_eq(bl_pair_builder_add(b, 7, 0, p0, 1), 0, "the words of a doc in any order");
    cr_assert_eq(bl_pair_builder_add(b, 6, 1, p2, 1), BL_EINVAL, "a doc below the one before");
    cr_assert_eq(bl_pair_builder_add(b, 7, 1, p2, 1), 0, "%s", bl_error_detail());
    char got[256];
    describe(b, got, sizeof got);
    cr_assert_str_eq(got, "x y:5/1;x z:7/1;y z:5/1;z y:7/1;");
    bl_pair_builder_free(b);
}

/* A source whose documents do not increase is damage: BL_ECORRUPT. */
typedef struct {
    const uint32_t *docs[2]; /* by word, ending in BL_DOC_END */
    uint32_t at[2];
    uint32_t pos[2];         /* by word: word 0 at 0, word 1 at 1 */
    int fail_at;             /* call number that fails with BL_EIO, or -1 */
    int calls;
} fixed_source;

static int next_fixed(void *ctx, uint32_t w, uint32_t *doc, const uint32_t **pos, uint32_t *n)
{
    fixed_source *s = ctx;
    if (s->calls++ == s->fail_at)
        return bl_error_set(BL_EIO, "test: source failed");
    *doc = s->docs[w][s->at[w]];
    if (*doc != BL_DOC_END)
        s->at[w]++;
    s->pos[w] = w; /* a pair in every doc of both words */
    *pos = &s->pos[w];
    *n = *doc == BL_DOC_END ? 0 : 1;
    return 0;
}

static int run_fixed(const uint32_t *d0, const uint32_t *d1, int fail_at, char *got, size_t cap)
{
    static const char *const words[] = {"x", "y"};
    static const uint32_t lens[] = {1, 1};
    bl_pair_builder *b;
    cr_assert_eq(bl_pair_builder_new(&b, 2, words, lens), 0);
    fixed_source s = {{d0, d1}, {0, 0}, {0, 0}, fail_at, 0};
    bl_error_clear();
    int rc = bl_pair_builder_run(b, BL_DOC_END, next_fixed, &s);
    if (rc == 0 && got)
        describe(b, got, cap);
    bl_pair_builder_free(b);
    return rc;
}

Test(pairs, run_refuses_a_source_out_of_order)
{
    static const uint32_t good0[] = {1, 3, 8, BL_DOC_END}, good1[] = {3, 4, 8, BL_DOC_END};
    char got[128];
    cr_assert_eq(run_fixed(good0, good1, -1, got, sizeof got), 0, "%s", bl_error_detail());
    cr_assert_str_eq(got, "x y:3/1,8/1;");

    static const uint32_t down[] = {3, 2, BL_DOC_END}, same[] = {3, 3, BL_DOC_END};
    static const uint32_t late_down[] = {1, 5, 9, 6, BL_DOC_END};
    cr_assert_eq(run_fixed(down, good1, -1, NULL, 0), BL_ECORRUPT);
    cr_assert(strstr(bl_error_detail(), "doc 2 after doc 3"), "%s", bl_error_detail());
    cr_assert_eq(run_fixed(good0, same, -1, NULL, 0), BL_ECORRUPT);
    cr_assert_eq(run_fixed(good0, late_down, -1, NULL, 0), BL_ECORRUPT);
    /* the source's own error comes back as it is, at any call */
    for (int at = 0; at < 8; at++)
        cr_assert_eq(run_fixed(good0, good1, at, NULL, 0), BL_EIO, "failing call %d", at);
}
