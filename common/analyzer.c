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
#include <xxhash.h>

/* Snowball dominates analysis time, and news text repeats its words
 * (Zipf): a direct-mapped cache of recent token -> stem answers most
 * tokens without stemming. Stemming is a pure function of the token, so
 * the cache cannot change any term. */
#define STEM_CACHE_SLOTS 8192
#define STEM_CACHE_STEM_MAX (2 * BL_TOKEN_MAX_BYTES)

typedef struct {
    uint8_t len;      /* 0: empty slot */
    uint8_t stem_len;
    char word[BL_TOKEN_MAX_BYTES];
    char stem[STEM_CACHE_STEM_MAX + 1];
} stem_slot;

struct bl_analyzer {
    bl_tokenizer *tok;
    bl_stemmer *stem;
    stem_slot *cache;
};

static int stem_cached(bl_analyzer *a, const char *word, size_t len, const char **out,
                       size_t *out_len)
{
    if (len == 0 || len > BL_TOKEN_MAX_BYTES)
        return bl_stemmer_stem(a->stem, word, len, out, out_len);
    stem_slot *e = &a->cache[XXH3_64bits(word, len) & (STEM_CACHE_SLOTS - 1)];
    if (e->len == len && memcmp(e->word, word, len) == 0) {
        *out = e->stem;
        *out_len = e->stem_len;
        return 0;
    }
    int rc = bl_stemmer_stem(a->stem, word, len, out, out_len);
    if (rc == 0 && *out_len <= STEM_CACHE_STEM_MAX) {
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
    a->cache = calloc(STEM_CACHE_SLOTS, sizeof *a->cache);
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

int bl_analyzer_next(bl_analyzer *a, bl_term_occ *occ)
{
    bl_token t;
    int rc = bl_tokenizer_next(a->tok, &t);
    if (rc <= 0)
        return rc;
    rc = stem_cached(a, t.text, t.len, &occ->term, &occ->term_len);
    if (rc < 0)
        return rc;
    occ->norm = t.text;
    occ->norm_len = t.len;
    occ->position = t.position;
    occ->start = t.start;
    occ->end = t.end;
    return 1;
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
