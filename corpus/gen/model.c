/* model.c: see model.h. */
#include "model.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_WORD 63

struct gen_model {
    char *text;           /* the words, each NUL-terminated */
    size_t text_len, text_cap;
    uint64_t *word_at;    /* id -> offset in text */
    uint64_t *count;      /* id -> times read */
    uint32_t nwords, words_cap;
    uint32_t *word_slots; /* id + 1, 0 empty */
    uint32_t word_mask;
    /* (prev << 32 | next) -> count while learning */
    uint64_t *pair_key, *pair_count;
    uint64_t npairs, pair_mask;
    /* then, for each prev: its successors with running counts */
    uint64_t *first;      /* nwords + 1 */
    uint32_t *succ;
    uint64_t *running;
    uint64_t *any_running; /* running counts of all words, for gen_model_any */
    uint64_t tokens;
};

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h ^ (h >> 29);
}

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    return x ^ (x >> 33);
}

static void die_oom(void)
{
    fputs("byline-gen: out of memory\n", stderr);
    exit(1);
}

static void *grow(void *p, size_t n, size_t size)
{
    void *q = realloc(p, n * size);
    if (!q)
        die_oom();
    return q;
}

static void *zeroed(size_t n, size_t size)
{
    void *q = calloc(n, size);
    if (!q)
        die_oom();
    return q;
}

static int strcmp_ptr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void word_table_rehash(gen_model *m, uint32_t cap)
{
    free(m->word_slots);
    m->word_slots = zeroed(cap, sizeof *m->word_slots);
    m->word_mask = cap - 1;
    for (uint32_t id = 1; id < m->nwords; id++) {
        const char *w = m->text + m->word_at[id];
        uint32_t i = (uint32_t)hash_bytes(w, strlen(w)) & m->word_mask;
        while (m->word_slots[i])
            i = (i + 1) & m->word_mask;
        m->word_slots[i] = id + 1;
    }
}

static uint32_t intern(gen_model *m, const char *w, size_t n)
{
    uint32_t i = (uint32_t)hash_bytes(w, n) & m->word_mask;
    for (; m->word_slots[i]; i = (i + 1) & m->word_mask) {
        uint32_t id = m->word_slots[i] - 1;
        const char *s = m->text + m->word_at[id];
        if (strncmp(s, w, n) == 0 && s[n] == 0)
            return id;
    }
    if (m->nwords == m->words_cap) {
        m->words_cap *= 2;
        m->word_at = grow(m->word_at, m->words_cap, sizeof *m->word_at);
        m->count = grow(m->count, m->words_cap, sizeof *m->count);
    }
    if (m->text_len + n + 1 > m->text_cap) {
        while (m->text_len + n + 1 > m->text_cap)
            m->text_cap *= 2;
        m->text = grow(m->text, m->text_cap, 1);
    }
    uint32_t id = m->nwords++;
    memcpy(m->text + m->text_len, w, n);
    m->text[m->text_len + n] = 0;
    m->word_at[id] = m->text_len;
    m->count[id] = 0;
    m->text_len += n + 1;
    m->word_slots[i] = id + 1;
    if ((uint64_t)m->nwords * 2 > m->word_mask)
        word_table_rehash(m, 2 * (m->word_mask + 1));
    return id;
}

static void pair_table_grow(gen_model *m)
{
    uint64_t cap = 2 * (m->pair_mask + 1), *keys = m->pair_key, *counts = m->pair_count;
    uint64_t old = m->pair_mask + 1;
    m->pair_key = zeroed(cap, sizeof *m->pair_key);
    m->pair_count = zeroed(cap, sizeof *m->pair_count);
    m->pair_mask = cap - 1;
    for (uint64_t i = 0; i < old; i++) {
        if (!counts[i])
            continue;
        uint64_t j = mix(keys[i]) & m->pair_mask;
        while (m->pair_count[j])
            j = (j + 1) & m->pair_mask;
        m->pair_key[j] = keys[i];
        m->pair_count[j] = counts[i];
    }
    free(keys);
    free(counts);
}

static void count_pair(gen_model *m, uint32_t prev, uint32_t next)
{
    uint64_t key = (uint64_t)prev << 32 | next, i = mix(key) & m->pair_mask;
    while (m->pair_count[i] && m->pair_key[i] != key)
        i = (i + 1) & m->pair_mask;
    if (!m->pair_count[i]) {
        m->pair_key[i] = key;
        if (++m->npairs * 2 > m->pair_mask) {
            m->pair_count[i] = 1;
            pair_table_grow(m);
            return;
        }
    }
    m->pair_count[i]++;
}

/* The reader's state across a file's bytes. */
typedef struct {
    char word[MAX_WORD + 1];
    size_t len;
    int in_tag, in_entity;
    int pending_end; /* a '.', '!' or '?' right after a word */
    uint32_t prev;
} reader;

static void end_word(gen_model *m, reader *r)
{
    if (r->len == 0)
        return;
    /* a trailing '.', ',', '-' or '\'' belongs to the sentence, not the word */
    while (r->len && strchr(".,-'", r->word[r->len - 1]))
        r->len--;
    if (r->len) {
        uint32_t id = intern(m, r->word, r->len);
        m->count[id]++;
        m->tokens++;
        count_pair(m, r->prev, id);
        r->prev = id;
    }
    r->len = 0;
}

static void end_sentence(gen_model *m, reader *r)
{
    if (r->prev != GEN_BOUNDARY)
        count_pair(m, r->prev, GEN_BOUNDARY);
    r->prev = GEN_BOUNDARY;
    r->pending_end = 0;
}

static void read_byte(gen_model *m, reader *r, int c)
{
    if (r->in_tag) {
        r->in_tag = c != '>';
        return;
    }
    if (r->in_entity) {
        r->in_entity = isalnum(c) || c == '#';
        if (r->in_entity || c == ';')
            return;
    }
    if (isalnum(c)) {
        if (r->pending_end && r->len == 0)
            r->pending_end = 0; /* "U.S" or "1.5": not an end */
        if (r->len < MAX_WORD)
            r->word[r->len++] = (char)c;
        return;
    }
    int inner = r->len > 0 && (c == '.' || c == ',' || c == '-' || c == '\'');
    if (inner) {
        if (c == '.')
            r->pending_end = 1;
        if (r->len < MAX_WORD)
            r->word[r->len++] = (char)c;
        return;
    }
    end_word(m, r);
    if (c == '!' || c == '?')
        r->pending_end = 1;
    else if (c == '<' || c == '"' || (isspace(c) && r->pending_end))
        end_sentence(m, r);
    r->in_tag = c == '<';
    r->in_entity = c == '&';
}

static void learn_file(gen_model *m, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return;
    reader r = {.prev = GEN_BOUNDARY};
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        for (size_t i = 0; i < n; i++)
            read_byte(m, &r, (unsigned char)buf[i]);
    end_word(m, &r);
    end_sentence(m, &r);
    fclose(f);
}

static void learn_path(gen_model *m, const char *path, int depth)
{
    struct stat st;
    if (stat(path, &st) != 0 || depth > 32)
        return;
    if (S_ISREG(st.st_mode)) {
        learn_file(m, path);
        return;
    }
    if (!S_ISDIR(st.st_mode))
        return;
    DIR *d = opendir(path);
    if (!d)
        return;
    /* in name order, so the model (and the output) is the same everywhere */
    char **names = NULL;
    size_t nn = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        names = grow(names, nn + 1, sizeof *names);
        names[nn] = grow(NULL, strlen(path) + strlen(e->d_name) + 2, 1);
        sprintf(names[nn++], "%s/%s", path, e->d_name);
    }
    closedir(d);
    qsort(names, nn, sizeof *names, strcmp_ptr);
    for (size_t i = 0; i < nn; i++) {
        learn_path(m, names[i], depth + 1);
        free(names[i]);
    }
    free(names);
}

/* Turns the pair counts into each word's successors with running counts. */
static void build_chain(gen_model *m)
{
    m->first = zeroed((size_t)m->nwords + 1, sizeof *m->first);
    for (uint64_t i = 0; i <= m->pair_mask; i++)
        if (m->pair_count[i])
            m->first[(m->pair_key[i] >> 32) + 1]++;
    for (uint32_t w = 0; w < m->nwords; w++)
        m->first[w + 1] += m->first[w];
    m->succ = zeroed(m->npairs ? m->npairs : 1, sizeof *m->succ);
    m->running = zeroed(m->npairs ? m->npairs : 1, sizeof *m->running);
    uint64_t *fill = zeroed(m->nwords, sizeof *fill);
    for (uint64_t i = 0; i <= m->pair_mask; i++) {
        if (!m->pair_count[i])
            continue;
        uint32_t prev = (uint32_t)(m->pair_key[i] >> 32);
        uint64_t at = m->first[prev] + fill[prev]++;
        m->succ[at] = (uint32_t)m->pair_key[i];
        m->running[at] = m->pair_count[i];
    }
    free(fill);
    /* the table's order depends on its hashing only: sort each word's
     * successors by id so that running counts are the same everywhere */
    for (uint32_t w = 0; w < m->nwords; w++) {
        uint64_t a = m->first[w], b = m->first[w + 1];
        for (uint64_t i = a + 1; i < b; i++) { /* insertion sort: lists are short */
            uint32_t s = m->succ[i];
            uint64_t c = m->running[i], j = i;
            for (; j > a && m->succ[j - 1] > s; j--) {
                m->succ[j] = m->succ[j - 1];
                m->running[j] = m->running[j - 1];
            }
            m->succ[j] = s;
            m->running[j] = c;
        }
        for (uint64_t i = a + 1; i < b; i++)
            m->running[i] += m->running[i - 1];
    }
    m->any_running = zeroed(m->nwords, sizeof *m->any_running);
    for (uint32_t w = 1; w < m->nwords; w++)
        m->any_running[w] = m->any_running[w - 1] + m->count[w];
    free(m->pair_key);
    free(m->pair_count);
    m->pair_key = m->pair_count = NULL;
}

gen_model *gen_model_learn(const char *path)
{
    gen_model *m = zeroed(1, sizeof *m);
    m->words_cap = 1024;
    m->word_at = grow(NULL, m->words_cap, sizeof *m->word_at);
    m->count = grow(NULL, m->words_cap, sizeof *m->count);
    m->text_cap = 1 << 16;
    m->text = grow(NULL, m->text_cap, 1);
    /* id 0 is the sentence boundary, never looked up by its text */
    m->text[0] = 0;
    m->text_len = 1;
    m->word_at[0] = 0;
    m->count[0] = 0;
    m->nwords = 1;
    word_table_rehash(m, 1024);
    m->pair_mask = 1023;
    m->pair_key = zeroed(m->pair_mask + 1, sizeof *m->pair_key);
    m->pair_count = zeroed(m->pair_mask + 1, sizeof *m->pair_count);
    learn_path(m, path, 0);
    if (m->tokens < 100) {
        fprintf(stderr, "byline-gen: %s: too few words to learn from (%llu)\n", path,
                (unsigned long long)m->tokens);
        gen_model_free(m);
        return NULL;
    }
    build_chain(m);
    return m;
}

void gen_model_free(gen_model *m)
{
    if (!m)
        return;
    free(m->text);
    free(m->word_at);
    free(m->count);
    free(m->word_slots);
    free(m->pair_key);
    free(m->pair_count);
    free(m->first);
    free(m->succ);
    free(m->running);
    free(m->any_running);
    free(m);
}

/* The first i in [a, b) with running[i] > x (x below running[b - 1]). */
static uint64_t search(const uint64_t *running, uint64_t a, uint64_t b, uint64_t x)
{
    while (a < b) {
        uint64_t mid = a + (b - a) / 2;
        if (running[mid] <= x)
            a = mid + 1;
        else
            b = mid;
    }
    return a;
}

uint32_t gen_model_next(const gen_model *m, uint32_t prev, double u)
{
    uint64_t a = m->first[prev], b = m->first[prev + 1];
    if (a == b)
        return GEN_BOUNDARY;
    /* running counts start again at each word's first successor */
    uint64_t x = (uint64_t)(u * (double)m->running[b - 1]);
    return m->succ[search(m->running, a, b, x)];
}

uint32_t gen_model_any(const gen_model *m, double u)
{
    uint64_t x = (uint64_t)(u * (double)m->any_running[m->nwords - 1]);
    uint64_t i = search(m->any_running, 1, m->nwords, x);
    return (uint32_t)(i < m->nwords ? i : m->nwords - 1);
}

const char *gen_model_word(const gen_model *m, uint32_t id)
{
    return m->text + m->word_at[id];
}

uint32_t gen_model_words(const gen_model *m)
{
    return m->nwords - 1;
}

uint64_t gen_model_tokens(const gen_model *m)
{
    return m->tokens;
}
