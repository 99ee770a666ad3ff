/* snippet.c: the best window of an article for a query, with highlights.
 *
 * Steps (1 once per bl_snippet_ctx, the others once per text):
 *  1. collect the positive leaves of the query (TERM, PHRASE, PREFIX not
 *     under a NOT), dropping duplicates (a hash set, so a query of 20,000
 *     words costs 20,000 steps, not 20,000 squared);
 *  2. tokenize the text once into an array of tokens; each token points to
 *     its word, one per distinct normalised form (a hash table kept by the
 *     bl_snippet_ctx, so across the hits of a query), and only a new word
 *     is stemmed (through the analyzer's cache) and looked up among the
 *     leaves: an article repeats most of its words, and articles share
 *     many, so most tokens cost a tokenizer step and one probe;
 *  3. mark matches: each is a range of tokens [first, last] and a leaf; the
 *     leaves are indexed by the term a match must start with (and prefixes
 *     by their text), so each word knows its few candidate leaves;
 *  4. sweep every window start once, keeping per-leaf match counts, and keep
 *     the start with the most distinct leaves, then the most matches, then
 *     the earliest; then slide it (without losing a covered match) so that
 *     about CONTEXT_BEFORE tokens come before its first match;
 *  5. copy the window's bytes, whitespace and control runs collapsed to one
 *     space, invalid UTF-8 bytes read as Windows-1252 (as the tokenizer does),
 *     over-long runs between two tokens elided, the whole capped in bytes;
 *     highlights are mapped to snippet offsets while copying.
 * For a stored document (bl_snippet_ctx_make_doc), steps 2 and 3 can come
 * from the index instead: the matches from the positions of the leaves'
 * terms, then the offsets of the tokens up to the window's end; steps 4
 * and 5 are the same code ("the index path" below says when).
 */
#include "snippet.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "buf.h"
#include "error.h"
#include "postings.h"
#include "termdict.h"
#include "tokenizer.h"
#include "utf8.h"

/* Tokens shown before the first match when the window can move back. */
#define CONTEXT_BEFORE 5
/* Most bytes of body (without the ellipses) for the default window; longer
 * windows get BODY_BYTES_PER_WORD a word. Only absurd texts reach it. */
#define BODY_MAX_BYTES 600
#define BODY_BYTES_PER_WORD 20
/* A run between two tokens longer than this (once collapsed) is shown as
 * " … " (a dropped over-long token, a wall of symbols). */
#define GAP_MAX_BYTES 64

static const char ELLIPSIS[] = "\xE2\x80\xA6"; /* U+2026 */

typedef struct {
    uint32_t pos;
    size_t start, end;        /* bytes in the text */
    size_t word;              /* index in scratch.words (0 without leaves) */
} tok;

/* A distinct normalised token of the text. */
typedef struct {
    size_t norm, norm_len;    /* in the pool */
    size_t term, term_len;    /* in the pool */
    uint64_t key;             /* word_key() of the normalised form */
    size_t cand, ncand;       /* its candidate leaves: scratch.wcands[cand..+ncand) */
} word;

typedef struct {
    size_t first, last; /* token indexes, inclusive */
    size_t leaf;
    size_t anchor;      /* token index of the leaf's terms[0] */
} match;

typedef struct {
    size_t key, m;
} event;

/* An open-addressing multimap from a borrowed string to leaf indexes: the
 * key a token must equal (or, for prefixes, start with) for the leaf to be
 * able to match there. */
typedef struct {
    const char *key; /* NULL: empty slot */
    size_t len, leaf;
} slot;

typedef struct {
    slot *v;
    size_t cap, n; /* cap is a power of two, or 0 */
    /* Bit min(len, 63) is set for every key's length: a lookup of a length
     * no key has returns without hashing (most words of an article). */
    uint64_t lens;
} leafmap;

static uint64_t len_bit(size_t len)
{
    return (uint64_t)1 << (len < 63 ? len : 63);
}

typedef struct {
    const bl_qnode **leaves;
    size_t nleaves, capleaves;
    size_t *seen;           /* hash set of leaf indexes + 1 (0 empty), for dedup */
    size_t seen_cap;
    leafmap exact;          /* first term of TERM/PHRASE, stem of PREFIX */
    leafmap prefix;         /* the word of PREFIX */
    uint8_t *prefix_lens;   /* prefix_lens[n]: some prefix is n bytes long */
    size_t max_prefix_len;
    size_t *cands;          /* scratch: candidate leaves of one token */
    size_t ncands, capcands;
    tok *toks;
    size_t ntoks, captoks;
    word *words;
    size_t nwords, capwords;
    size_t resolved;        /* words[0..resolved) have their term and candidates */
    size_t *word_slots;     /* hash table of word indexes + 1 (0 empty) */
    size_t word_slots_cap;  /* a power of two, or 0 */
    size_t *wcands;         /* candidate leaves of every word, back to back */
    size_t nwcands, capwcands;
    bl_buf pool;
    match *matches;
    size_t nmatches, capmatches;
    event *enters, *exits;  /* choose_window's */
    size_t capevents, capexits;
    size_t *count;          /* choose_window's, per leaf */
    size_t capcount;
} scratch;

/* Makes room for need elements in *arr. Errors: BL_ENOMEM. */
static int grow(void **arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t ncap = *cap ? *cap : 16;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2 / elem)
            return BL_ENOMEM;
        ncap *= 2;
    }
    void *p = realloc(*arr, ncap * elem);
    if (!p)
        return BL_ENOMEM;
    *arr = p;
    *cap = ncap;
    return 0;
}

/* ---- UTF-8 --------------------------------------------------------- */

/* Whitespace and control characters: shown as (part of) one space. */
static int is_blank(uint32_t c)
{
    if (c <= 0x20 || (c >= 0x7F && c <= 0xA0))
        return 1; /* C0, space, DEL, C1 (NEL included), no-break space */
    if (c >= 0x2000 && c <= 0x200A)
        return 1;
    switch (c) {
    case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F:
    case 0x3000:
        return 1;
    case 0x202A: case 0x202B: case 0x202C: case 0x202D: case 0x202E:
    case 0x2066: case 0x2067: case 0x2068: case 0x2069:
        return 1; /* bidi controls: a snippet must not reorder the terminal */
    default:
        return 0;
    }
}

/* ---- query leaves -------------------------------------------------- */

static int same_leaf(const bl_qnode *x, const bl_qnode *y)
{
    if (x->kind != y->kind || x->nterms != y->nterms || x->prefix_last != y->prefix_last ||
        !x->last_stem != !y->last_stem ||
        (x->last_stem && strcmp(x->last_stem, y->last_stem) != 0))
        return 0;
    for (size_t i = 0; i < x->nterms; i++) {
        if (strcmp(x->terms[i], y->terms[i]) != 0)
            return 0;
        if (x->kind == BL_Q_PHRASE && x->positions[i] != y->positions[i])
            return 0;
    }
    return 1;
}

static uint64_t leaf_hash(const bl_qnode *n)
{
    uint64_t h = ((uint64_t)n->kind * 2 + (n->prefix_last != 0)) * 0x9E3779B97F4A7C15u;
    for (size_t i = 0; i < n->nterms; i++) {
        h = (h ^ XXH3_64bits(n->terms[i], strlen(n->terms[i]))) * 0x100000001B3u;
        if (n->kind == BL_Q_PHRASE)
            h = (h ^ n->positions[i]) * 0x100000001B3u;
    }
    return h;
}

static void seen_insert(size_t *set, size_t cap, const scratch *sc, size_t i)
{
    size_t j = leaf_hash(sc->leaves[i]) & (cap - 1);
    while (set[j])
        j = (j + 1) & (cap - 1);
    set[j] = i + 1;
}

/* Adds leaf index i (the newest leaf) to the dedup set. */
static int seen_add(scratch *sc, size_t i)
{
    if ((i + 1) * 2 > sc->seen_cap) {
        size_t cap = sc->seen_cap ? sc->seen_cap * 2 : 64;
        size_t *v = calloc(cap, sizeof *v);
        if (!v)
            return BL_ENOMEM;
        for (size_t k = 0; k < i; k++)
            seen_insert(v, cap, sc, k);
        free(sc->seen);
        sc->seen = v;
        sc->seen_cap = cap;
    }
    seen_insert(sc->seen, sc->seen_cap, sc, i);
    return 0;
}

static int seen_has(const scratch *sc, const bl_qnode *n)
{
    if (!sc->seen_cap)
        return 0;
    for (size_t j = leaf_hash(n) & (sc->seen_cap - 1); sc->seen[j];
         j = (j + 1) & (sc->seen_cap - 1))
        if (same_leaf(sc->leaves[sc->seen[j] - 1], n))
            return 1;
    return 0;
}

static int collect_leaves(scratch *sc, const bl_qnode *n)
{
    switch (n->kind) {
    case BL_Q_NOT:
        return 0;
    case BL_Q_AND:
    case BL_Q_OR:
        for (size_t i = 0; i < n->nkids; i++) {
            int rc = collect_leaves(sc, n->kids[i]);
            if (rc)
                return rc;
        }
        return 0;
    case BL_Q_TERM:
    case BL_Q_PHRASE:
    case BL_Q_PREFIX:
        if (n->nterms == 0 || (n->kind == BL_Q_PHRASE && !n->positions) ||
            (n->kind == BL_Q_PREFIX && n->terms[0][0] == '\0'))
            return 0;
        if (seen_has(sc, n))
            return 0;
        if (grow((void **)&sc->leaves, &sc->capleaves, sc->nleaves + 1,
                 sizeof *sc->leaves))
            return BL_ENOMEM;
        sc->leaves[sc->nleaves] = n;
        if (seen_add(sc, sc->nleaves))
            return BL_ENOMEM;
        sc->nleaves++;
        return 0;
    }
    return 0;
}

/* ---- tokens and matches -------------------------------------------- */

static int term_is(const scratch *sc, const tok *t, const char *s)
{
    const word *w = &sc->words[t->word];
    size_t n = strlen(s);
    return w->term_len == n && memcmp(sc->pool.data + w->term, s, n) == 0;
}

static int starts_with(const uint8_t *p, size_t n, const char *prefix)
{
    size_t k = strlen(prefix);
    return n >= k && memcmp(p, prefix, k) == 0;
}

/* Index of the token at position pos, or SIZE_MAX. Positions increase by
 * at least one a token, so it is at index near + (pos - toks[near].pos) or
 * before; that guess is right whenever no token was dropped between them
 * (nearly always), and a binary search finds it otherwise. */
static size_t find_pos(const scratch *sc, size_t near, uint64_t pos)
{
    if (pos >= sc->toks[near].pos) {
        uint64_t ahead = pos - sc->toks[near].pos;
        if (ahead < sc->ntoks - near && sc->toks[near + ahead].pos == pos)
            return near + ahead;
    }
    size_t lo = 0, hi = sc->ntoks;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (sc->toks[mid].pos < pos)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < sc->ntoks && sc->toks[lo].pos == pos ? lo : SIZE_MAX;
}

/* Does token t match prefix (normalised, unstemmed) or, exactly, stem
 * (NULL if none)? */
static int prefix_matches(const scratch *sc, const tok *t, const char *prefix, const char *stem)
{
    const word *w = &sc->words[t->word];
    return starts_with(sc->pool.data + w->norm, w->norm_len, prefix) ||
           starts_with(sc->pool.data + w->term, w->term_len, prefix) ||
           (stem && term_is(sc, t, stem));
}

/* Does leaf l match starting at token i? Sets the covered token range. */
static int leaf_matches(const scratch *sc, const bl_qnode *l, size_t i,
                        size_t *first, size_t *last)
{
    const tok *t = &sc->toks[i];
    *first = *last = i;
    switch (l->kind) {
    case BL_Q_TERM:
        return term_is(sc, t, l->terms[0]);
    case BL_Q_PREFIX:
        /* terms[1], when present, is the prefix word's stem: an exact term. */
        return prefix_matches(sc, t, l->terms[0], l->nterms > 1 ? l->terms[1] : NULL);
    case BL_Q_PHRASE:
        if (!term_is(sc, t, l->terms[0]))
            return 0;
        for (size_t k = 1; k < l->nterms; k++) {
            int64_t want = (int64_t)t->pos + (int64_t)l->positions[k] -
                           (int64_t)l->positions[0];
            if (want < 0)
                return 0;
            size_t j = find_pos(sc, i, (uint64_t)want);
            int prefix = l->prefix_last && k + 1 == l->nterms;
            if (j == SIZE_MAX ||
                !(prefix ? prefix_matches(sc, &sc->toks[j], l->terms[k], l->last_stem)
                         : term_is(sc, &sc->toks[j], l->terms[k])))
                return 0;
            if (j < *first) *first = j;
            if (j > *last) *last = j;
        }
        return 1;
    default:
        return 0;
    }
}

/* ---- candidate leaves of a token ------------------------------------ */

static int map_put(leafmap *m, const char *key, size_t leaf)
{
    if ((m->n + 1) * 2 > m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 64;
        slot *v = calloc(cap, sizeof *v);
        if (!v)
            return BL_ENOMEM;
        for (size_t i = 0; i < m->cap; i++) {
            if (!m->v[i].key)
                continue;
            size_t j = XXH3_64bits(m->v[i].key, m->v[i].len) & (cap - 1);
            while (v[j].key)
                j = (j + 1) & (cap - 1);
            v[j] = m->v[i];
        }
        free(m->v);
        m->v = v;
        m->cap = cap;
    }
    size_t len = strlen(key);
    size_t j = XXH3_64bits(key, len) & (m->cap - 1);
    while (m->v[j].key)
        j = (j + 1) & (m->cap - 1);
    m->v[j] = (slot){key, len, leaf};
    m->n++;
    m->lens |= len_bit(len);
    return 0;
}

/* Appends to sc->cands every leaf filed under key[0..len). */
static int map_get(scratch *sc, const leafmap *m, const uint8_t *key, size_t len)
{
    if (!(m->lens & len_bit(len)))
        return 0;
    for (size_t j = XXH3_64bits(key, len) & (m->cap - 1); m->v[j].key;
         j = (j + 1) & (m->cap - 1)) {
        const slot *e = &m->v[j];
        if (e->len != len || memcmp(e->key, key, len) != 0)
            continue;
        if (grow((void **)&sc->cands, &sc->capcands, sc->ncands + 1, sizeof *sc->cands))
            return BL_ENOMEM;
        sc->cands[sc->ncands++] = e->leaf;
    }
    return 0;
}

/* Files every leaf under the term a match of it must start with. */
static int index_leaves(scratch *sc)
{
    for (size_t l = 0; l < sc->nleaves; l++) {
        const bl_qnode *n = sc->leaves[l];
        if (n->kind == BL_Q_PREFIX && strlen(n->terms[0]) > sc->max_prefix_len)
            sc->max_prefix_len = strlen(n->terms[0]);
    }
    if (sc->max_prefix_len && !(sc->prefix_lens = calloc(sc->max_prefix_len + 1, 1)))
        return BL_ENOMEM;
    for (size_t l = 0; l < sc->nleaves; l++) {
        const bl_qnode *n = sc->leaves[l];
        int rc = 0;
        if (n->kind != BL_Q_PREFIX) {
            rc = map_put(&sc->exact, n->terms[0], l);
        } else {
            sc->prefix_lens[strlen(n->terms[0])] = 1;
            rc = map_put(&sc->prefix, n->terms[0], l);
            if (!rc && n->nterms > 1)
                rc = map_put(&sc->exact, n->terms[1], l);
        }
        if (rc)
            return rc;
    }
    return 0;
}

/* Appends the prefix leaves that s[0..n) starts with. */
static int prefix_cands(scratch *sc, const uint8_t *s, size_t n)
{
    for (size_t k = 1; k <= n && k <= sc->max_prefix_len; k++) {
        int rc = sc->prefix_lens[k] ? map_get(sc, &sc->prefix, s, k) : 0;
        if (rc)
            return rc;
    }
    return 0;
}

static int cmp_size(const void *x, const void *y)
{
    size_t a = *(const size_t *)x, b = *(const size_t *)y;
    return (a > b) - (a < b);
}

/* Leaves that may match at a token of word w, in increasing order, each
 * once, into sc->cands. */
static int word_cands(scratch *sc, const word *w)
{
    int rc;
    sc->ncands = 0;
    if ((rc = map_get(sc, &sc->exact, sc->pool.data + w->term, w->term_len)) != 0)
        return rc;
    if (sc->prefix.n) {
        if ((rc = prefix_cands(sc, sc->pool.data + w->norm, w->norm_len)) != 0 ||
            (rc = prefix_cands(sc, sc->pool.data + w->term, w->term_len)) != 0)
            return rc;
    }
    if (sc->ncands > 1) {
        qsort(sc->cands, sc->ncands, sizeof *sc->cands, cmp_size);
        size_t kept = 1;
        for (size_t i = 1; i < sc->ncands; i++)
            if (sc->cands[i] != sc->cands[kept - 1])
                sc->cands[kept++] = sc->cands[i];
        sc->ncands = kept;
    }
    return 0;
}

/* ---- tokens and their words ---------------------------------------- */

/* Longest word whose key is its bytes. */
#define PACKED_MAX 8

/* A word of up to PACKED_MAX bytes packed into an integer that, with the
 * length, tells it apart from every other such word (two overlapping
 * four-byte loads cover 4 to 8 bytes, three single bytes 1 to 3), so that
 * finding it again needs no memcmp: most words of news text and tables are
 * that short. A longer word's key is a hash of its bytes, compared too. */
static inline uint64_t word_key(const char *p, size_t n)
{
    uint32_t a, b;
    if (n > PACKED_MAX)
        return XXH3_64bits(p, n);
    if (n >= 4) {
        memcpy(&a, p, 4);
        memcpy(&b, p + n - 4, 4);
        return (uint64_t)a << 32 | b;
    }
    if (n == 0)
        return 0;
    return (uint64_t)(uint8_t)p[0] << 16 | (uint64_t)(uint8_t)p[n / 2] << 8 | (uint8_t)p[n - 1];
}

/* Slot of a word in the table, from its key and length (splitmix64's
 * finaliser: the top bits, which choose the slot, depend on every bit). */
static size_t slot_of(const scratch *sc, uint64_t key, size_t n)
{
    uint64_t h = key + n * 0x9E3779B97F4A7C15u;
    h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9u;
    h = (h ^ (h >> 27)) * 0x94D049BB133111EBu;
    h ^= h >> 31;
    return (size_t)(h >> 32) & (sc->word_slots_cap - 1);
}

/* Doubles the word table (or creates it). Errors: BL_ENOMEM. */
static int grow_word_slots(scratch *sc)
{
    size_t cap = sc->word_slots_cap ? sc->word_slots_cap * 2 : 256;
    size_t *v = calloc(cap, sizeof *v);
    if (!v)
        return BL_ENOMEM;
    free(sc->word_slots);
    sc->word_slots = v;
    sc->word_slots_cap = cap;
    for (size_t i = 0; i < sc->nwords; i++) {
        size_t j = slot_of(sc, sc->words[i].key, sc->words[i].norm_len);
        while (v[j])
            j = (j + 1) & (cap - 1);
        v[j] = i + 1;
    }
    return 0;
}

/* Appends p[0..n) to the pool; *at gets its offset. Inline for the common
 * case (room left): every distinct word comes here twice. */
static int pool_add(scratch *sc, const void *p, size_t n, size_t *at)
{
    *at = sc->pool.len;
    if (sc->pool.cap - sc->pool.len >= n) {
        memcpy(sc->pool.data + sc->pool.len, p, n);
        sc->pool.len += n;
        return 0;
    }
    return bl_buf_append(&sc->pool, p, n);
}

/* Adds the word norm[0..n) with key k at table slot j; its term comes
 * later (resolve_words). Errors: BL_ENOMEM. */
static int add_word(scratch *sc, const char *norm, size_t n, uint64_t k, size_t j,
                    size_t *out)
{
    if (grow((void **)&sc->words, &sc->capwords, sc->nwords + 1, sizeof *sc->words))
        return BL_ENOMEM;
    word *w = &sc->words[sc->nwords];
    memset(w, 0, sizeof *w);
    w->key = k;
    w->norm_len = n;
    if (pool_add(sc, norm, n, &w->norm))
        return BL_ENOMEM;
    sc->word_slots[j] = sc->nwords + 1;
    *out = sc->nwords++;
    return 0;
}

/* The index of the word norm[0..n), added if new. Errors: BL_ENOMEM. */
static int word_of(scratch *sc, const char *norm, size_t n, size_t *out)
{
    if ((sc->nwords + 1) * 2 > sc->word_slots_cap && grow_word_slots(sc))
        return BL_ENOMEM;
    uint64_t k = word_key(norm, n);
    size_t j = slot_of(sc, k, n);
    for (; sc->word_slots[j]; j = (j + 1) & (sc->word_slots_cap - 1)) {
        const word *w = &sc->words[sc->word_slots[j] - 1];
        if (w->key == k && w->norm_len == n &&
            (n <= PACKED_MAX || memcmp(sc->pool.data + w->norm, norm, n) == 0)) {
            *out = sc->word_slots[j] - 1;
            return 0;
        }
    }
    return add_word(sc, norm, n, k, j, out);
}

/* Gives every word its term and its candidate leaves. The analyzer's stem
 * cache is large and mostly out of the CPU caches by the next article, so
 * its slots are all requested first: the memory waits then overlap instead
 * of coming one after another. Errors: BL_ENOMEM. */
static int resolve_words(scratch *sc, bl_analyzer *a)
{
    for (size_t i = sc->resolved; i < sc->nwords; i++)
        bl_analyzer_prefetch_term(a, (const char *)sc->pool.data + sc->words[i].norm,
                                  sc->words[i].norm_len);
    for (size_t i = sc->resolved; i < sc->nwords; i++) {
        word *w = &sc->words[i];
        const char *term;
        size_t term_len;
        int rc = bl_analyzer_term(a, (const char *)sc->pool.data + w->norm, w->norm_len,
                                  &term, &term_len);
        if (rc)
            return rc;
        w->term_len = term_len;
        if (pool_add(sc, term, term_len, &w->term))
            return BL_ENOMEM;
        if ((rc = word_cands(sc, w)) != 0)
            return rc;
        if (grow((void **)&sc->wcands, &sc->capwcands, sc->nwcands + sc->ncands,
                 sizeof *sc->wcands))
            return BL_ENOMEM;
        w->cand = sc->nwcands;
        w->ncand = sc->ncands;
        if (sc->ncands)
            memcpy(sc->wcands + sc->nwcands, sc->cands, sc->ncands * sizeof *sc->cands);
        sc->nwcands += sc->ncands;
        sc->resolved = i + 1;
    }
    return 0;
}

static int analyse(scratch *sc, bl_analyzer *a, const char *text, size_t len)
{
    int want_words = sc->nleaves > 0;
    bl_term_occ occ;
    size_t prev_end = 0;
    int rc;
    /* Room for a text of ordinary words (news runs 8 to 9 bytes a token,
     * its distinct words and their terms take less than the text), so the
     * arrays rarely grow. */
    size_t guess = len / 6 + 16;
    if (grow((void **)&sc->toks, &sc->captoks, guess, sizeof *sc->toks) ||
        (want_words &&
         (grow((void **)&sc->words, &sc->capwords, sc->nwords + guess, sizeof *sc->words) ||
          bl_buf_reserve(&sc->pool, len))))
        return BL_ENOMEM;
    bl_analyzer_reset(a, text, len, 0);
    for (;;) {
        int r = bl_analyzer_next_token(a, &occ);
        if (r < 0)
            return r;
        if (r == 0)
            return want_words ? resolve_words(sc, a) : 0;
        /* Offsets we cannot copy from are skipped, not trusted. */
        if (occ.start >= occ.end || occ.end > len || occ.start < prev_end)
            continue;
        if (sc->ntoks && occ.position <= sc->toks[sc->ntoks - 1].pos)
            continue;
        if (grow((void **)&sc->toks, &sc->captoks, sc->ntoks + 1, sizeof *sc->toks))
            return BL_ENOMEM;
        tok *t = &sc->toks[sc->ntoks++];
        t->pos = occ.position;
        t->start = occ.start;
        t->end = occ.end;
        t->word = 0;
        prev_end = occ.end;
        if (want_words && (rc = word_of(sc, occ.norm, occ.norm_len, &t->word)) != 0)
            return rc;
    }
}

static int find_matches(scratch *sc)
{
    if (!sc->nleaves)
        return 0;
    for (size_t i = 0; i < sc->ntoks; i++) {
        const word *w = &sc->words[sc->toks[i].word];
        for (size_t c = 0; c < w->ncand; c++) {
            size_t l = sc->wcands[w->cand + c], first, last;
            if (!leaf_matches(sc, sc->leaves[l], i, &first, &last))
                continue;
            if (grow((void **)&sc->matches, &sc->capmatches, sc->nmatches + 1,
                     sizeof *sc->matches))
                return BL_ENOMEM;
            sc->matches[sc->nmatches++] = (match){first, last, l, i};
        }
    }
    return 0;
}

/* ---- the window ---------------------------------------------------- */

static int event_cmp(const void *x, const void *y)
{
    const event *a = x, *b = y;
    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    return a->m < b->m ? -1 : a->m > b->m;
}

/* Sorts events by event_cmp. They mostly come in order already (matches
 * are found token by token), and a check of that is cheaper than qsort. */
static void sort_events(event *v, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        if (event_cmp(&v[i - 1], &v[i]) > 0) {
            qsort(v, n, sizeof *v, event_cmp);
            return;
        }
    }
}

/* Picks the first token *s of a window of w tokens (ntoks > w). */
static int choose_window(scratch *sc, size_t w, size_t *s_out)
{
    size_t nstarts = sc->ntoks - w + 1, nev = 0;

    *s_out = 0;
    if (sc->nmatches == 0)
        return 0;
    /* Kept across texts: most hits would otherwise pay three allocations. */
    if (grow((void **)&sc->enters, &sc->capevents, sc->nmatches, sizeof *sc->enters) ||
        grow((void **)&sc->exits, &sc->capexits, sc->nmatches, sizeof *sc->exits) ||
        grow((void **)&sc->count, &sc->capcount, sc->nleaves, sizeof *sc->count))
        return BL_ENOMEM;
    event *enters = sc->enters, *exits = sc->exits;
    size_t *count = sc->count;
    memset(count, 0, sc->nleaves * sizeof *count);
    /* Match m lies inside the window at s iff last-w+1 <= s <= first. */
    for (size_t m = 0; m < sc->nmatches; m++) {
        const match *mt = &sc->matches[m];
        if (mt->last - mt->first + 1 > w)
            continue;
        enters[nev] = (event){mt->last + 1 >= w ? mt->last + 1 - w : 0, m};
        exits[nev] = (event){mt->first + 1, m};
        nev++;
    }
    sort_events(enters, nev);
    sort_events(exits, nev);

    /* The counts change only at the keys of events: visit those starts
     * alone. The first start of a run of equal counts is the one a visit of
     * every start would keep (only a strictly better window replaces it). */
    size_t ie = 0, ix = 0, distinct = 0, total = 0;
    size_t best = 0, best_distinct = 0, best_total = 0;
    for (size_t s = 0; s < nstarts;) {
        for (; ie < nev && enters[ie].key <= s; ie++) {
            if (count[sc->matches[enters[ie].m].leaf]++ == 0)
                distinct++;
            total++;
        }
        for (; ix < nev && exits[ix].key <= s; ix++) {
            if (--count[sc->matches[exits[ix].m].leaf] == 0)
                distinct--;
            total--;
        }
        if (distinct > best_distinct ||
            (distinct == best_distinct && total > best_total)) {
            best = s, best_distinct = distinct, best_total = total;
        }
        if (ie == nev && ix == nev)
            break;
        size_t next = SIZE_MAX;
        if (ie < nev)
            next = enters[ie].key;
        if (ix < nev && exits[ix].key < next)
            next = exits[ix].key;
        s = next;
    }

    /* Starts that keep every match of the best window: [lo, hi]. Prefer
     * CONTEXT_BEFORE tokens before the first of them. */
    size_t lo = 0, hi = SIZE_MAX;
    for (size_t m = 0; m < sc->nmatches; m++) {
        const match *mt = &sc->matches[m];
        if (mt->first < best || mt->last >= best + w)
            continue;
        if (mt->last + 1 >= w && mt->last + 1 - w > lo)
            lo = mt->last + 1 - w;
        if (mt->first < hi)
            hi = mt->first;
    }
    if (hi == SIZE_MAX) {
        *s_out = best;
    } else {
        if (hi > nstarts - 1)
            hi = nstarts - 1;
        size_t s = hi >= CONTEXT_BEFORE ? hi - CONTEXT_BEFORE : 0;
        if (s < lo)
            s = lo;
        *s_out = s;
    }
    return 0;
}

/* ---- building the text --------------------------------------------- */

typedef struct {
    bl_buf out;
    const unsigned char *text;
    size_t body_start;   /* where the body begins in out */
    size_t cap;          /* most body bytes */
    int space;           /* the last byte written is a collapsed blank */
    int cut;             /* cap reached */
    int err;
    size_t last_out;     /* out length after the last non-blank written */
    size_t last_src;     /* source offset after that character */
} emitter;

static void put(emitter *em, const void *p, size_t n, int blank, size_t src_end)
{
    if (em->cut || em->err)
        return;
    if (em->out.len - em->body_start + n > em->cap) {
        em->cut = 1;
        return;
    }
    if (em->out.cap - em->out.len >= n) { /* reserved up front by build() */
        memcpy(em->out.data + em->out.len, p, n);
        em->out.len += n;
    } else if (bl_buf_append(&em->out, p, n)) {
        em->err = BL_ENOMEM;
        return;
    }
    em->space = blank;
    if (!blank) {
        em->last_out = em->out.len;
        em->last_src = src_end;
    }
}

/* put() of one collapsed blank: a space, unless the last byte written is
 * one. Inline for the commonest gap between two tokens. */
static inline void put_space(emitter *em)
{
    if (em->space || em->cut || em->err)
        return;
    if (em->out.len - em->body_start + 1 > em->cap || em->out.len == em->out.cap) {
        put(em, " ", 1, 1, 0);
        return;
    }
    em->out.data[em->out.len++] = ' ';
    em->space = 1;
}

/* Copies text[from..to), blank runs as one space, invalid bytes as Windows-1252.
 * Stops silently when the cap is reached (em->cut). */
static void emit_range(emitter *em, size_t from, size_t to)
{
    size_t i = from;
    while (i < to && !em->cut && !em->err) {
        /* Printable ASCII is copied straight in, as put() would add it a
         * character at a time, up to the cap (then the next put() cuts). */
        size_t o = em->out.len, k = i, limit = em->body_start + em->cap;
        if (limit > em->out.cap)
            limit = em->out.cap;
        size_t stop = o >= limit ? i : limit - o < to - i ? i + (limit - o) : to;
        const unsigned char *src = em->text; /* locals: stores cannot alias them */
        uint8_t *dst = em->out.data;
        while (k < stop && (uint8_t)(src[k] - 0x21) < 0x7F - 0x21)
            dst[o++] = src[k++];
        if (k > i) {
            em->out.len = em->last_out = o;
            em->last_src = k;
            em->space = 0;
            i = k;
            continue;
        }
        uint32_t c;
        size_t n = bl_utf8_decode(em->text + i, to - i, &c, NULL);
        if (n == 0)
            c = bl_utf8_fallback(em->text[i]), n = 1;
        if (is_blank(c)) {
            if (!em->space)
                put(em, " ", 1, 1, i + n);
        } else if (n > 1 || c < 0x80) {
            put(em, em->text + i, n, 0, i + n);
        } else {
            uint8_t enc[BL_UTF8_MAX];
            put(em, enc, bl_utf8_encode(c, enc), 0, i + n);
        }
        i += n;
    }
}

/* Bytes text[from..to) would take once collapsed, stopping past limit. */
static size_t collapsed_len(const unsigned char *text, size_t from, size_t to,
                            size_t limit)
{
    size_t i = from, len = 0;
    int space = 0;
    while (i < to && len <= limit) {
        uint32_t c;
        size_t n = bl_utf8_decode(text + i, to - i, &c, NULL);
        if (n == 0)
            c = bl_utf8_fallback(text[i]), n = 1;
        if (is_blank(c)) {
            len += !space;
            space = 1;
        } else {
            len += n > 1 ? n : c < 0x80 ? 1 : 2;
            space = 0;
        }
        i += n;
    }
    return len;
}

/* Where the window's text starts: at its first token, or earlier by the
 * punctuation glued to it ("“Wagner", "(AP)") when a blank or the text start
 * comes before that punctuation. from is the end of the previous token. */
static size_t lead_start(const unsigned char *text, size_t from, size_t at)
{
    size_t i = from, start = from == 0 ? 0 : SIZE_MAX;
    while (i < at) {
        uint32_t c;
        size_t n = bl_utf8_decode(text + i, at - i, &c, NULL);
        if (n == 0)
            c = bl_utf8_fallback(text[i]), n = 1;
        i += n;
        if (is_blank(c))
            start = i;
    }
    if (start == SIZE_MAX || at - start > GAP_MAX_BYTES)
        return at;
    return start;
}

/* Where the window's text ends: after its last token and the punctuation
 * glued to it ("Wagner.", "Wagner,\""), unless that runs into the next token
 * (to is its start, or the text length). */
static size_t trail_end(const unsigned char *text, size_t at, size_t to, int last)
{
    size_t i = at;
    while (i < to && i - at <= GAP_MAX_BYTES) {
        uint32_t c;
        size_t n = bl_utf8_decode(text + i, to - i, &c, NULL);
        if (n == 0)
            c = bl_utf8_fallback(text[i]), n = 1;
        if (is_blank(c))
            return i;
        i += n;
    }
    return i == to && last && i - at <= GAP_MAX_BYTES ? i : at;
}

static int span_cmp(const void *x, const void *y)
{
    const bl_span *a = x, *b = y;
    if (a->start != b->start)
        return a->start < b->start ? -1 : 1;
    return a->end < b->end ? -1 : a->end > b->end;
}

/* Fills out from tokens [s, e] and the matches inside them. */
static int build(const scratch *sc, const char *text, size_t len, size_t s,
                 size_t e, size_t w, bl_snippet *out)
{
    emitter em = {.text = (const unsigned char *)text};
    bl_span *src = NULL, *dst = NULL;
    size_t nspans = 0;
    int rc = BL_ENOMEM;

    bl_buf_init(&em.out);
    em.cap = w * BODY_BYTES_PER_WORD > BODY_MAX_BYTES ? w * BODY_BYTES_PER_WORD
                                                     : BODY_MAX_BYTES;
    /* The body, the two ellipses and the NUL: the buffer never grows. */
    if (bl_buf_reserve(&em.out, em.cap + 16))
        goto fail;

    /* Source spans of the matches inside the window, sorted and merged. */
    if (sc->nmatches) {
        src = malloc(sc->nmatches * sizeof *src);
        if (!src)
            goto fail;
    }
    for (size_t m = 0; m < sc->nmatches; m++) {
        const match *mt = &sc->matches[m];
        if (mt->first >= s && mt->last <= e)
            src[nspans++] = (bl_span){sc->toks[mt->first].start,
                                      sc->toks[mt->last].end};
    }
    for (size_t i = 1; i < nspans; i++) {
        if (span_cmp(&src[i - 1], &src[i]) > 0) {
            qsort(src, nspans, sizeof *src, span_cmp);
            break;
        }
    }
    size_t merged = 0;
    for (size_t i = 0; i < nspans; i++) {
        if (merged && src[i].start <= src[merged - 1].end) {
            if (src[i].end > src[merged - 1].end)
                src[merged - 1].end = src[i].end;
        } else {
            src[merged++] = src[i];
        }
    }
    nspans = merged;
    if (nspans) {
        dst = malloc(nspans * sizeof *dst);
        if (!dst)
            goto fail;
    }

    if (s > 0 && bl_buf_append_str(&em.out, "\xE2\x80\xA6 "))
        goto fail;
    em.body_start = em.out.len;
    em.last_out = em.out.len;
    size_t lead = lead_start(em.text, s > 0 ? sc->toks[s - 1].end : 0,
                             sc->toks[s].start);
    emit_range(&em, lead, sc->toks[s].start);

    size_t h = 0, nout = 0;
    int open = 0;
    for (size_t j = s; j <= e && !em.cut && !em.err; j++) {
        const tok *t = &sc->toks[j];
        if (!open && h < nspans && src[h].start <= t->start) {
            dst[nout].start = em.out.len;
            open = 1;
        }
        emit_range(&em, t->start, t->end);
        if (em.cut || em.err)
            break;
        if (open && src[h].end <= t->end) {
            dst[nout].end = em.out.len;
            src[nout] = src[h];
            nout++, h++, open = 0;
        }
        if (j == e)
            break;
        size_t gs = t->end, ge = sc->toks[j + 1].start;
        if (ge - gs == 1 && em.text[gs] <= 0x20) {
            put_space(&em); /* one blank: what emit_range writes for it */
        } else if (collapsed_len(em.text, gs, ge, GAP_MAX_BYTES) > GAP_MAX_BYTES) {
            if (!em.space)
                put(&em, " ", 1, 1, gs);
            put(&em, ELLIPSIS, sizeof ELLIPSIS - 1, 0, ge);
            put(&em, " ", 1, 1, ge);
        } else {
            emit_range(&em, gs, ge);
        }
    }
    if (!em.cut) {
        int last = e + 1 == sc->ntoks;
        size_t to = last ? len : sc->toks[e + 1].start;
        emit_range(&em, sc->toks[e].end, trail_end(em.text, sc->toks[e].end, to, last));
    }
    if (em.err) {
        rc = em.err;
        goto fail;
    }
    if (em.cut) {
        /* End on the last visible character; close a highlight cut short. */
        em.out.len = em.last_out;
        if (open && em.last_out > dst[nout].start) {
            dst[nout].end = em.last_out;
            src[nout].start = src[h].start;
            src[nout].end = em.last_src;
            nout++;
        }
    }
    if ((em.cut || e + 1 < sc->ntoks) && bl_buf_append_str(&em.out, " \xE2\x80\xA6"))
        goto fail;
    if (bl_buf_put_u8(&em.out, 0))
        goto fail;

    out->text = (char *)em.out.data;
    out->len = em.out.len - 1;
    out->highlights = dst;
    out->source_spans = src;
    out->nhighlights = nout;
    if (nout == 0) {
        free(dst);
        free(src);
        out->highlights = out->source_spans = NULL;
    }
    return 0;
fail:
    bl_buf_release(&em.out);
    free(src);
    free(dst);
    return rc;
}

/* ---- public -------------------------------------------------------- */

/* Words remembered across the texts of one context: beyond this many, the
 * memo starts again empty, so a long run of hits holds bounded memory. */
#define WORD_MEMO_MAX 65536

/* ---- the index path ------------------------------------------------ */

/* The positions path reads the matches of the leaves from the segment's
 * positions instead of analysing the text: every token of the text took
 * its term and position at indexing, so a leaf's matches are exactly the
 * positions of its terms (a phrase's at its relative positions) inside the
 * text. Then only the tokens up to the window's end are read, for their
 * byte offsets, and no word is stemmed or looked up. See
 * bl_snippet_ctx_make_doc for when it gives way to the analysis. */

/* Most leaf terms (a phrase counts each) the positions path reads: each
 * costs a seek per hit, and past this many the analysis is cheaper. */
#define GUIDED_MAX_TERMS 64

/* Not an error: the positions cannot give the same answer as the analysis
 * (or the index disagrees with the text); the analysis gives it. */
#define GUIDED_FALLBACK 1

/* One segment's view of the leaf terms. */
typedef struct {
    const bl_segment *seg;
    bl_terminfo *info;     /* per term */
    int8_t *state;         /* per term: 0 not looked up, 1 in the segment, -1 absent */
    bl_posting_iter **its; /* per term: NULL until first needed */
} seg_terms;

struct bl_snippet_ctx {
    bl_analyzer *a;
    scratch sc;
    /* The positions path (bl_snippet_ctx_make_doc). */
    int guided;             /* every leaf can be matched from positions */
    bl_tokenizer *tokenizer; /* created on first use */
    const char **terms;     /* the distinct terms of the leaves */
    size_t nterms;
    size_t *leaf_terms;     /* leaf l's k-th term is terms[leaf_terms[leaf_first[l] + k]] */
    size_t *leaf_first;
    seg_terms *segs;
    size_t nsegs, capsegs;
    uint32_t *pos;          /* the document's positions of term j: pos[pos_at[j]..+pos_n[j]) */
    size_t npos, cappos;
    size_t *pos_at, *pos_n;
    const char **expect;    /* term of each window token a shown match covers */
    size_t capexpect;
    uint64_t from_positions, analysed; /* bl_snippet_ctx_make_doc's snippets, by path */
};

/* Gathers the distinct terms of the leaves, or leaves c->guided 0 when a
 * leaf's matches do not follow from positions: a PREFIX (and a phrase
 * ending in one) also matches a token whose unstemmed form starts with it,
 * which the index does not record. Errors: BL_ENOMEM. */
static int guided_init(bl_snippet_ctx *c)
{
    const scratch *sc = &c->sc;
    size_t total = 0;
    for (size_t l = 0; l < sc->nleaves; l++) {
        const bl_qnode *n = sc->leaves[l];
        if (n->kind == BL_Q_PREFIX || (n->kind == BL_Q_PHRASE && n->prefix_last))
            return 0;
        total += n->kind == BL_Q_PHRASE ? n->nterms : 1;
    }
    if (total > GUIDED_MAX_TERMS)
        return 0;
    c->terms = malloc((total + 1) * sizeof *c->terms);
    c->leaf_terms = malloc((total + 1) * sizeof *c->leaf_terms);
    c->leaf_first = malloc((sc->nleaves + 1) * sizeof *c->leaf_first);
    c->pos_at = malloc((total + 1) * sizeof *c->pos_at);
    c->pos_n = malloc((total + 1) * sizeof *c->pos_n);
    if (!c->terms || !c->leaf_terms || !c->leaf_first || !c->pos_at || !c->pos_n)
        return BL_ENOMEM;
    size_t k = 0;
    for (size_t l = 0; l < sc->nleaves; l++) {
        const bl_qnode *n = sc->leaves[l];
        c->leaf_first[l] = k;
        for (size_t i = 0; i < (n->kind == BL_Q_PHRASE ? n->nterms : 1); i++) {
            size_t j = 0;
            while (j < c->nterms && strcmp(c->terms[j], n->terms[i]) != 0)
                j++;
            if (j == c->nterms)
                c->terms[c->nterms++] = n->terms[i];
            c->leaf_terms[k++] = j;
        }
    }
    c->guided = 1;
    return 0;
}

static void seg_terms_release(seg_terms *st, size_t nterms)
{
    for (size_t j = 0; st->its && j < nterms; j++)
        bl_docset_free(st->its[j] ? bl_posting_iter_docset(st->its[j]) : NULL);
    free(st->its);
    free(st->info);
    free(st->state);
}

/* The view of segment seg, made on first use. Errors: BL_ENOMEM. */
static int seg_terms_of(bl_snippet_ctx *c, const bl_segment *seg, seg_terms **out)
{
    for (size_t i = 0; i < c->nsegs; i++) {
        if (c->segs[i].seg == seg) {
            *out = &c->segs[i];
            return 0;
        }
    }
    if (grow((void **)&c->segs, &c->capsegs, c->nsegs + 1, sizeof *c->segs))
        return BL_ENOMEM;
    seg_terms *st = &c->segs[c->nsegs];
    memset(st, 0, sizeof *st);
    st->seg = seg;
    st->info = calloc(c->nterms + 1, sizeof *st->info);
    st->state = calloc(c->nterms + 1, sizeof *st->state);
    st->its = calloc(c->nterms + 1, sizeof *st->its);
    if (!st->info || !st->state || !st->its) {
        seg_terms_release(st, c->nterms);
        return BL_ENOMEM;
    }
    c->nsegs++;
    *out = st;
    return 0;
}

/* BL_ENOMEM stays an error; any other failure to read what the index holds
 * (a damaged page) gives way to the analysis, which does not need it. */
static int fallback_unless_nomem(int rc)
{
    return rc == BL_ENOMEM ? rc : GUIDED_FALLBACK;
}

/* Reads the positions of term j in doc into c->pos. The term's iterator
 * seeks forward; a hit before the last one (hits come by rank) opens it
 * again. Errors: BL_ENOMEM, GUIDED_FALLBACK. */
static int term_positions(bl_snippet_ctx *c, seg_terms *st, size_t j, uint32_t doc)
{
    int rc;
    c->pos_at[j] = c->npos;
    c->pos_n[j] = 0;
    if (st->state[j] == 0) {
        const char *t = c->terms[j];
        rc = bl_termdict_lookup(bl_segment_termdict(st->seg), t, strlen(t), &st->info[j]);
        if (rc && rc != BL_ENOTFOUND)
            return fallback_unless_nomem(rc);
        st->state[j] = rc ? -1 : 1;
    }
    if (st->state[j] < 0)
        return 0; /* no token of the segment has this term */
    bl_posting_iter *it = st->its[j];
    if (it && bl_posting_iter_docset(it)->doc > doc) {
        bl_docset_free(bl_posting_iter_docset(it));
        it = st->its[j] = NULL;
    }
    if (!it) {
        if ((rc = bl_posting_iter_new(bl_segment_postings(st->seg), &st->info[j], &it)) != 0)
            return fallback_unless_nomem(rc);
        st->its[j] = it;
    }
    if (bl_posting_iter_seek(it, doc) != doc) {
        rc = bl_posting_iter_docset(it)->err;
        return rc ? fallback_unless_nomem(rc) : 0;
    }
    const uint32_t *p;
    uint32_t n;
    if ((rc = bl_posting_iter_positions(it, &p, &n)) != 0)
        return fallback_unless_nomem(rc);
    if (grow((void **)&c->pos, &c->cappos, c->npos + n, sizeof *c->pos))
        return BL_ENOMEM;
    memcpy(c->pos + c->npos, p, (size_t)n * sizeof *p);
    c->npos += n;
    c->pos_n[j] = n;
    return 0;
}

/* Does term j occur at position want? */
static int term_at(const bl_snippet_ctx *c, size_t j, int64_t want)
{
    const uint32_t *p = c->pos + c->pos_at[j];
    size_t lo = 0, hi = c->pos_n[j];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if ((int64_t)p[mid] < want)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < c->pos_n[j] && (int64_t)p[lo] == want;
}

/* The matches of every leaf in the text, whose tokens are those at
 * positions base.. (base + ntoks - 1), token i at base + i: as
 * find_matches finds them, in another order. Errors: GUIDED_FALLBACK (a
 * position past the text's tokens), BL_ENOMEM. */
static int index_matches(bl_snippet_ctx *c, uint32_t base, size_t ntoks)
{
    scratch *sc = &c->sc;
    for (size_t l = 0; l < sc->nleaves; l++) {
        const bl_qnode *n = sc->leaves[l];
        const size_t *tj = c->leaf_terms + c->leaf_first[l];
        size_t nt = n->kind == BL_Q_PHRASE ? n->nterms : 1;
        const uint32_t *p0 = c->pos + c->pos_at[tj[0]];
        for (size_t i = 0; i < c->pos_n[tj[0]]; i++) {
            if (p0[i] < base)
                continue; /* in the title, before the text */
            int64_t first = p0[i], last = p0[i];
            size_t k = 1;
            for (; k < nt; k++) {
                int64_t want = (int64_t)p0[i] + n->positions[k] - n->positions[0];
                if (want < base || !term_at(c, tj[k], want))
                    break;
                if (want < first) first = want;
                if (want > last) last = want;
            }
            if (k < nt)
                continue;
            if ((uint64_t)(last - base) >= ntoks)
                return GUIDED_FALLBACK;
            if (grow((void **)&sc->matches, &sc->capmatches, sc->nmatches + 1,
                     sizeof *sc->matches))
                return BL_ENOMEM;
            sc->matches[sc->nmatches++] = (match){(size_t)(first - base), (size_t)(last - base),
                                                  l, p0[i] - base};
        }
    }
    return 0;
}

/* Notes, for each token of the window [s, e] that a match shown there
 * covers, the term it must have. Errors: GUIDED_FALLBACK (two leaves want
 * different terms of one token), BL_ENOMEM. */
static int expect_terms(bl_snippet_ctx *c, size_t s, size_t e)
{
    const scratch *sc = &c->sc;
    if (grow((void **)&c->expect, &c->capexpect, e - s + 1, sizeof *c->expect))
        return BL_ENOMEM;
    memset(c->expect, 0, (e - s + 1) * sizeof *c->expect);
    for (size_t m = 0; m < sc->nmatches; m++) {
        const match *mt = &sc->matches[m];
        if (mt->first < s || mt->last > e)
            continue;
        const bl_qnode *n = sc->leaves[mt->leaf];
        for (size_t k = 0; k < (n->kind == BL_Q_PHRASE ? n->nterms : 1); k++) {
            size_t at = mt->anchor;
            if (n->kind == BL_Q_PHRASE)
                at = (size_t)((int64_t)at + n->positions[k] - n->positions[0]);
            const char **x = &c->expect[at - s];
            if (*x && strcmp(*x, n->terms[k]) != 0)
                return GUIDED_FALLBACK;
            *x = n->terms[k];
        }
    }
    return 0;
}

/* Reads the text's tokens up to the one after the window [s, e] (or to
 * the end) into sc->toks, checking them against the index: token i at
 * position i, the tokens of the matches shown with the terms the
 * positions said, and the text ending after ntoks tokens when the window
 * reaches its end. Errors: GUIDED_FALLBACK, BL_ENOMEM. */
static int window_tokens(bl_snippet_ctx *c, const char *text, size_t len, size_t ntoks,
                         size_t s, size_t e)
{
    scratch *sc = &c->sc;
    size_t need = e + 1 < ntoks ? e + 2 : ntoks;
    int rc;
    if (grow((void **)&sc->toks, &sc->captoks, need, sizeof *sc->toks))
        return BL_ENOMEM;
    if ((rc = expect_terms(c, s, e)) != 0)
        return rc;
    bl_tokenizer_reset(c->tokenizer, text, len, 0);
    bl_token t;
    size_t prev_end = 0;
    for (size_t i = 0; i < need; i++) {
        /* The text of a token is read only where a match must be checked. */
        const char *want = i >= s && i <= e ? c->expect[i - s] : NULL;
        int r = want ? bl_tokenizer_next(c->tokenizer, &t)
                     : bl_tokenizer_next_span(c->tokenizer, &t);
        if (r != 1 || t.position != i || t.start >= t.end || t.end > len || t.start < prev_end)
            return GUIDED_FALLBACK;
        prev_end = t.end;
        sc->toks[i] = (tok){(uint32_t)i, t.start, t.end, 0};
        if (want) {
            const char *term;
            size_t term_len;
            if ((rc = bl_analyzer_term(c->a, t.text, t.len, &term, &term_len)) != 0)
                return rc;
            if (term_len != strlen(want) || memcmp(term, want, term_len) != 0)
                return GUIDED_FALLBACK;
        }
    }
    if (need == ntoks && bl_tokenizer_next_span(c->tokenizer, &t) != 0)
        return GUIDED_FALLBACK;
    return 0;
}

/* Tokens and positions (dropped tokens included) of s[0..n). */
static void count_tokens(bl_tokenizer *t, const char *s, size_t n, uint32_t *tokens,
                         uint32_t *positions)
{
    bl_token one;
    uint32_t k = 0;
    bl_tokenizer_reset(t, s, n, 0);
    while (bl_tokenizer_next_span(t, &one) == 1)
        k++;
    *tokens = k;
    *positions = bl_tokenizer_next_position(t);
}

/* bl_snippet_ctx_make of text[0..len), d's text or title, from the
 * positions of doc in seg. Errors: GUIDED_FALLBACK, BL_ENOMEM. */
static int guided_make(bl_snippet_ctx *c, const bl_segment *seg, uint32_t doc,
                       const bl_stored_doc *d, const char *text, size_t len, size_t w,
                       bl_snippet *out)
{
    scratch *sc = &c->sc;
    int rc;
    if (!c->tokenizer && bl_tokenizer_new(&c->tokenizer))
        return BL_ENOMEM;
    /* The indexer gave the title positions from 0 and the text from the
     * title's next position + 1 (0 after a title without tokens); a text
     * with no bytes leaves the title to show, from 0. */
    uint32_t base = 0, title_tokens = 0;
    if (d->text_len) {
        uint32_t title_positions;
        count_tokens(c->tokenizer, d->title, d->title_len, &title_tokens, &title_positions);
        base = title_positions ? title_positions + 1 : 0;
    }
    uint32_t doc_len = bl_segment_doc_len(seg, doc);
    if (bl_segment_error(seg) || doc_len < title_tokens)
        return GUIDED_FALLBACK;
    /* Without dropped tokens, token i of the text is at base + i. */
    size_t ntoks = doc_len - title_tokens;
    if (bl_tokenizer_drops(c->tokenizer, text, len))
        return GUIDED_FALLBACK;

    sc->ntoks = ntoks;
    sc->nmatches = 0;
    c->npos = 0;
    if (c->nterms) {
        seg_terms *st;
        if ((rc = seg_terms_of(c, seg, &st)) != 0)
            return rc;
        for (size_t j = 0; j < c->nterms; j++)
            if ((rc = term_positions(c, st, j, doc)) != 0)
                return rc;
        if ((rc = index_matches(c, base, ntoks)) != 0)
            return rc;
    }
    if (ntoks == 0) {
        bl_token t;
        bl_tokenizer_reset(c->tokenizer, text, len, 0);
        if (bl_tokenizer_next_span(c->tokenizer, &t) != 0)
            return GUIDED_FALLBACK;
        out->text = calloc(1, 1);
        return out->text ? 0 : BL_ENOMEM;
    }
    size_t s = 0;
    if (ntoks > w && (rc = choose_window(sc, w, &s)) != 0)
        return rc;
    size_t e = ntoks > w ? s + w - 1 : ntoks - 1;
    if ((rc = window_tokens(c, text, len, ntoks, s, e)) != 0)
        return rc;
    return build(sc, text, len, s, e, w, out);
}

void bl_snippet_ctx_free(bl_snippet_ctx *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->nsegs; i++)
        seg_terms_release(&c->segs[i], c->nterms);
    free(c->segs);
    bl_tokenizer_free(c->tokenizer);
    free(c->terms);
    free(c->leaf_terms);
    free(c->leaf_first);
    free(c->pos);
    free(c->pos_at);
    free(c->pos_n);
    free(c->expect);
    scratch *sc = &c->sc;
    free(sc->leaves);
    free(sc->seen);
    free(sc->exact.v);
    free(sc->prefix.v);
    free(sc->prefix_lens);
    free(sc->cands);
    free(sc->toks);
    free(sc->words);
    free(sc->word_slots);
    free(sc->wcands);
    free(sc->matches);
    free(sc->enters);
    free(sc->exits);
    free(sc->count);
    bl_buf_release(&sc->pool);
    free(c);
}

int bl_snippet_ctx_new(bl_snippet_ctx **out, bl_analyzer *a, const bl_qnode *q)
{
    *out = NULL;
    bl_snippet_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return BL_ENOMEM;
    c->a = a;
    scratch *sc = &c->sc;
    bl_buf_init(&sc->pool);
    int rc = BL_ENOMEM;
    if (bl_buf_reserve(&sc->pool, 256)) /* never NULL: offsets index it */
        goto fail;
    if (q && (rc = collect_leaves(sc, q)) != 0)
        goto fail;
    if (sc->nleaves && (rc = index_leaves(sc)) != 0)
        goto fail;
    if ((rc = guided_init(c)) != 0)
        goto fail;
    *out = c;
    return 0;
fail:
    bl_snippet_ctx_free(c);
    return rc;
}

/* Forgets the words of earlier texts (their terms stay right, but the memo
 * is full). */
static void forget_words(scratch *sc)
{
    sc->nwords = sc->resolved = sc->nwcands = 0;
    sc->pool.len = 0;
    memset(sc->word_slots, 0, sc->word_slots_cap * sizeof *sc->word_slots);
}

int bl_snippet_ctx_make(bl_snippet_ctx *c, const char *text, size_t len, size_t window_words,
                        bl_snippet *out)
{
    scratch *sc = &c->sc;
    int rc;

    memset(out, 0, sizeof *out);
    if (window_words == 0)
        window_words = BL_SNIPPET_WORDS;
    if (!text)
        len = 0;
    sc->ntoks = sc->nmatches = 0;
    if (sc->nwords > WORD_MEMO_MAX)
        forget_words(sc);

    if (len > 0 && (rc = analyse(sc, c->a, text, len)) != 0)
        goto fail;
    if (sc->ntoks == 0) {
        out->text = calloc(1, 1);
        return out->text ? 0 : BL_ENOMEM;
    }
    if ((rc = find_matches(sc)) != 0)
        goto fail;

    size_t s = 0;
    if (sc->ntoks > window_words && (rc = choose_window(sc, window_words, &s)) != 0)
        goto fail;
    size_t e = sc->ntoks > window_words ? s + window_words - 1 : sc->ntoks - 1;
    if ((rc = build(sc, text, len, s, e, window_words, out)) != 0)
        goto fail;
    return 0;
fail:
    bl_snippet_release(out);
    return rc;
}

int bl_snippet_ctx_make_doc(bl_snippet_ctx *c, const bl_segment *seg, uint32_t doc,
                            const bl_stored_doc *d, size_t window_words, bl_snippet *out)
{
    const char *text = d->text_len ? d->text : d->title;
    size_t len = d->text_len ? d->text_len : d->title_len;
    memset(out, 0, sizeof *out);
    if (window_words == 0)
        window_words = BL_SNIPPET_WORDS;
    if (c->guided && text && len) {
        int rc = guided_make(c, seg, doc, d, text, len, window_words, out);
        if (rc != GUIDED_FALLBACK) {
            if (rc)
                bl_snippet_release(out);
            else
                c->from_positions++;
            return rc;
        }
        bl_snippet_release(out);
    }
    int rc = bl_snippet_ctx_make(c, text, len, window_words, out);
    if (!rc)
        c->analysed++;
    return rc;
}

void bl_snippet_ctx_counts(const bl_snippet_ctx *c, uint64_t *from_positions,
                           uint64_t *analysed)
{
    *from_positions = c->from_positions;
    *analysed = c->analysed;
}

int bl_snippet_make(bl_analyzer *a, const bl_qnode *q, const char *text,
                    size_t len, size_t window_words, bl_snippet *out)
{
    bl_snippet_ctx *c;
    memset(out, 0, sizeof *out);
    int rc = bl_snippet_ctx_new(&c, a, q);
    if (rc)
        return rc;
    rc = bl_snippet_ctx_make(c, text, len, window_words, out);
    bl_snippet_ctx_free(c);
    return rc;
}

void bl_snippet_release(bl_snippet *s)
{
    if (!s)
        return;
    free(s->text);
    free(s->highlights);
    free(s->source_spans);
    memset(s, 0, sizeof *s);
}
