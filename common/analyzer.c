/* analyzer.c: the tokenizer's tokens, stemmed. Kept this small on purpose:
 * the indexer and the query parser both call it, and any step added here
 * changes the terms of every existing index (so it would need a format
 * version bump). */
#include "analyzer.h"

#include "error.h"
#include "stemmer.h"
#include "tokenizer.h"

#include <stdlib.h>
#include <string.h>

/* Snowball dominates analysis time (a few thousand instructions a word),
 * and news text repeats its words (Zipf): a cache of token -> stem answers
 * most tokens without stemming. Stemming is a pure function of the token,
 * so the cache cannot change any term.
 *
 * Each slot is one 64-byte cache line holding a word of up to
 * STEM_CACHE_WORD_MAX bytes and its stem (longer ones, rare, are stemmed
 * every time). Slots go in sets of two: a new word takes the first slot of
 * its set and moves the older one to the second, so a pair of colliding
 * frequent words does not evict each other. The memory is fixed at
 * STEM_CACHE_SETS * 2 * 64 bytes (1 MiB), allocated by bl_analyzer_new. */
#define STEM_CACHE_SETS 8192
#define STEM_CACHE_WORD_MAX 30
#define STEM_CACHE_STEM_MAX 31

typedef struct {
    uint8_t len; /* 0: empty slot */
    uint8_t stem_len;
    char word[STEM_CACHE_WORD_MAX];
    char stem[STEM_CACHE_STEM_MAX + 1]; /* NUL-terminated */
} stem_slot;

_Static_assert(sizeof(stem_slot) == 64, "a stem cache slot is one cache line");

typedef struct {
    stem_slot way[2];
} stem_set;

struct bl_analyzer {
    bl_tokenizer *tok;
    bl_stemmer *stem;
    stem_set *cache;
};

/* FNV-1a over the word, then a multiply so the top bits pick the set: the
 * words are short, and a library hash costs more in its setup than here. */
static size_t set_of(const char *word, size_t len)
{
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (uint8_t)word[i]) * 0x100000001b3u;
    return (size_t)((h * 0x9E3779B97F4A7C15u) >> 51); /* 13 bits: 8192 sets */
}

static int slot_holds(const stem_slot *e, const char *word, size_t len)
{
    return e->len == len && memcmp(e->word, word, len) == 0;
}

static int stem_cached(bl_analyzer *a, const char *word, size_t len, const char **out,
                       size_t *out_len)
{
    if (len == 0 || len > STEM_CACHE_WORD_MAX)
        return bl_stemmer_stem(a->stem, word, len, out, out_len);
    stem_set *set = &a->cache[set_of(word, len)];
    for (int w = 0; w < 2; w++) {
        if (slot_holds(&set->way[w], word, len)) {
            *out = set->way[w].stem;
            *out_len = set->way[w].stem_len;
            return 0;
        }
    }
    int rc = bl_stemmer_stem(a->stem, word, len, out, out_len);
    if (rc == 0 && *out_len <= STEM_CACHE_STEM_MAX) {
        stem_slot *e = &set->way[0];
        set->way[1] = *e;
        e->len = (uint8_t)len;
        memcpy(e->word, word, len);
        e->stem_len = (uint8_t)*out_len;
        memcpy(e->stem, *out, *out_len);
        e->stem[*out_len] = 0;
    }
    return rc;
}

int bl_analyzer_new(bl_analyzer **out, const char *lang)
{
    int rc;
    bl_analyzer *a = calloc(1, sizeof *a);

    *out = NULL;
    if (!a)
        return bl_error_set(BL_ENOMEM, "out of memory creating an analyzer");
    rc = bl_stemmer_new(&a->stem, lang);
    if (rc < 0)
        goto fail;
    rc = bl_tokenizer_new(&a->tok);
    if (rc < 0)
        goto fail;
    a->cache = calloc(STEM_CACHE_SETS, sizeof *a->cache);
    if (!a->cache) {
        rc = bl_error_set(BL_ENOMEM, "out of memory creating an analyzer");
        goto fail;
    }
    *out = a;
    return 0;

fail:
    bl_analyzer_free(a);
    return rc;
}

void bl_analyzer_free(bl_analyzer *a)
{
    if (!a)
        return;
    bl_tokenizer_free(a->tok);
    bl_stemmer_free(a->stem);
    free(a->cache);
    free(a);
}

void bl_analyzer_reset(bl_analyzer *a, const char *text, size_t len,
                       uint32_t first_position)
{
    bl_tokenizer_reset(a->tok, text, len, first_position);
}

int bl_analyzer_next_token(bl_analyzer *a, bl_term_occ *occ)
{
    bl_token t;
    int rc = bl_tokenizer_next(a->tok, &t);
    if (rc <= 0)
        return rc;
    occ->term = NULL;
    occ->term_len = 0;
    occ->norm = t.text;
    occ->norm_len = t.len;
    occ->position = t.position;
    occ->start = t.start;
    occ->end = t.end;
    return 1;
}

void bl_analyzer_prefetch_term(const bl_analyzer *a, const char *norm, size_t len)
{
    if (len == 0 || len > STEM_CACHE_WORD_MAX)
        return;
    const stem_set *set = &a->cache[set_of(norm, len)];
    __builtin_prefetch(&set->way[0]);
    __builtin_prefetch(&set->way[1]);
}

int bl_analyzer_term(bl_analyzer *a, const char *norm, size_t len, const char **term,
                     size_t *term_len)
{
    return stem_cached(a, norm, len, term, term_len);
}

int bl_analyzer_next(bl_analyzer *a, bl_term_occ *occ)
{
    int rc = bl_analyzer_next_token(a, occ);
    if (rc <= 0)
        return rc;
    rc = stem_cached(a, occ->norm, occ->norm_len, &occ->term, &occ->term_len);
    return rc < 0 ? rc : 1;
}

uint32_t bl_analyzer_next_position(const bl_analyzer *a)
{
    return bl_tokenizer_next_position(a->tok);
}

size_t bl_analyzer_invalid_bytes(const bl_analyzer *a)
{
    return bl_tokenizer_invalid_bytes(a->tok);
}

const char *bl_analyzer_language(const bl_analyzer *a)
{
    return bl_stemmer_language(a->stem);
}
