/* id_registry.c: see id_registry.h.
 *
 * Arena entry: varint id length, varint source code, the id's bytes, then
 * by code: 0: none (no longer written); 1: the source is the id; 2: "FILE:LINE", as
 * varint file number and varint line (the file names are arena entries of
 * their own, varint length and bytes, so a million records of one file
 * store its name once); n + 3: a source of n bytes, its bytes. An entry
 * never spans chunks; one longer than a chunk gets a chunk of its own.
 *
 * Table slot (uint64_t): 0 is empty; else the entry's reference (chunk
 * number << 20 | offset in chunk) + 1 in the high 44 bits and the top 20
 * bits of the id's hash in the low 20, so most probes that miss never
 * touch the arena.
 */
#include "id_registry.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "buf.h"
#include "error.h"

#define CHUNK_BITS 20
#define CHUNK_SIZE ((size_t)1 << CHUNK_BITS)
#define TAG_BITS 20
#define TAG_MASK (((uint64_t)1 << TAG_BITS) - 1)
/* References must fit the slot's 44 bits with the +1. */
#define MAX_CHUNKS (((uint64_t)1 << (64 - TAG_BITS - CHUNK_BITS)) - 1)

enum { SOURCE_NONE = 0, SOURCE_IS_ID = 1, SOURCE_FILE_LINE = 2, SOURCE_LEN_BIAS = 3 };

typedef struct {
    uint8_t *data;
    size_t used, cap;
} chunk;

struct bl_id_registry {
    chunk *chunks;
    size_t nchunks, chunks_cap;
    uint64_t *slots;
    size_t mask;   /* table size - 1 (a power of two) */
    size_t count;
    size_t arena_bytes;
    uint64_t *files; /* arena references of the FILE parts of sources */
    size_t nfiles, files_cap;
    bl_buf text;     /* a source written out, or a message's source */
};

/* A decoded arena entry. */
typedef struct {
    const char *id;
    size_t id_len;
    uint64_t code;
    const char *source; /* code >= SOURCE_LEN_BIAS: the raw source */
    uint64_t file, line; /* SOURCE_FILE_LINE */
} entry;

static uint64_t hash_of(const char *id, size_t len)
{
    return XXH3_64bits(id, len);
}

static uint64_t tag_of(uint64_t h)
{
    return h >> (64 - TAG_BITS);
}

/* Reads a varint written by bl_varint_encode (arena bytes are our own). */
static const uint8_t *get_varint(const uint8_t *p, uint64_t *v)
{
    int shift = 0;

    *v = 0;
    do {
        *v |= (uint64_t)(*p & 0x7F) << shift;
        shift += 7;
    } while (*p++ & 0x80);
    return p;
}

/* The bytes at an arena reference. */
static const uint8_t *at_ref(const bl_id_registry *r, uint64_t ref)
{
    return r->chunks[ref >> CHUNK_BITS].data + (ref & (CHUNK_SIZE - 1));
}

static entry decode(const bl_id_registry *r, uint64_t ref)
{
    const uint8_t *p = at_ref(r, ref);
    uint64_t id_len;
    entry e = {0};

    p = get_varint(p, &id_len);
    p = get_varint(p, &e.code);
    e.id = (const char *)p;
    e.id_len = (size_t)id_len;
    p += id_len;
    if (e.code == SOURCE_FILE_LINE) {
        p = get_varint(p, &e.file);
        get_varint(p, &e.line);
    } else if (e.code >= SOURCE_LEN_BIAS) {
        e.source = (const char *)p;
    }
    return e;
}

/* A file name stored in the arena. */
static void file_name(const bl_id_registry *r, uint64_t file, const char **p, size_t *n)
{
    uint64_t len;
    const uint8_t *q = get_varint(at_ref(r, r->files[file]), &len);

    *p = (const char *)q;
    *n = (size_t)len;
}

/* The source of e, written into r->text when it must be put together.
 * *p is NULL when e has no source. Errors: BL_ENOMEM. */
static int source_of(bl_id_registry *r, const entry *e, const char **p, size_t *n)
{
    const char *name;
    size_t len;
    char line[24];

    *p = NULL;
    *n = 0;
    if (e->code == SOURCE_IS_ID) {
        *p = e->id;
        *n = e->id_len;
    } else if (e->code >= SOURCE_LEN_BIAS) {
        *p = e->source;
        *n = (size_t)(e->code - SOURCE_LEN_BIAS);
    } else if (e->code == SOURCE_FILE_LINE) {
        file_name(r, e->file, &name, &len);
        snprintf(line, sizeof line, ":%llu", (unsigned long long)e->line);
        bl_buf_clear(&r->text);
        if (bl_buf_append(&r->text, name, len) || bl_buf_append_str(&r->text, line))
            return bl_error_set(BL_ENOMEM, "id registry: out of memory");
        *p = (const char *)r->text.data;
        *n = r->text.len;
    }
    return 0;
}

int bl_id_registry_new(bl_id_registry **out)
{
    bl_id_registry *r = calloc(1, sizeof *r);

    *out = NULL;
    if (!r)
        return bl_error_set(BL_ENOMEM, "id registry: out of memory");
    r->mask = 1023;
    r->slots = calloc(r->mask + 1, sizeof *r->slots);
    if (!r->slots) {
        free(r);
        return bl_error_set(BL_ENOMEM, "id registry: out of memory");
    }
    *out = r;
    return 0;
}

void bl_id_registry_free(bl_id_registry *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nchunks; i++)
        free(r->chunks[i].data);
    free(r->chunks);
    free(r->slots);
    free(r->files);
    bl_buf_release(&r->text);
    free(r);
}

/* The slot holding id, or the empty slot where it would go. */
static size_t probe(const bl_id_registry *r, const char *id, size_t len, uint64_t h)
{
    uint64_t tag = tag_of(h);
    size_t i = (size_t)h & r->mask;

    for (;; i = (i + 1) & r->mask) {
        uint64_t s = r->slots[i];
        if (s == 0)
            return i;
        if ((s & TAG_MASK) == tag) {
            entry e = decode(r, (s >> TAG_BITS) - 1);
            if (e.id_len == len && (len == 0 || memcmp(e.id, id, len) == 0))
                return i;
        }
    }
}

/* Doubles the table once it is three quarters full. */
static int grow_table(bl_id_registry *r)
{
    size_t cap = (r->mask + 1) * 2;
    uint64_t *old = r->slots;
    size_t old_cap = r->mask + 1;

    if ((r->count + 1) * 4 <= (r->mask + 1) * 3)
        return 0;
    r->slots = calloc(cap, sizeof *r->slots);
    if (!r->slots) {
        r->slots = old;
        return bl_error_set(BL_ENOMEM, "id registry: out of memory");
    }
    r->mask = cap - 1;
    for (size_t i = 0; i < old_cap; i++) {
        if (old[i]) {
            entry e = decode(r, (old[i] >> TAG_BITS) - 1);
            size_t j = (size_t)hash_of(e.id, e.id_len) & r->mask;
            while (r->slots[j])
                j = (j + 1) & r->mask;
            r->slots[j] = old[i];
        }
    }
    free(old);
    return 0;
}

/* Room for n bytes at the end of the arena; returns the reference of the
 * first one through *ref. */
static int arena_reserve(bl_id_registry *r, size_t n, uint64_t *ref)
{
    chunk *c = r->nchunks ? &r->chunks[r->nchunks - 1] : NULL;

    if (!c || c->cap - c->used < n) {
        /* chunks start small (a registry may hold a few ids) and double
         * up to CHUNK_SIZE */
        size_t cap = r->nchunks < 8 ? (size_t)8192 << r->nchunks : CHUNK_SIZE;
        cap = n > cap ? n : cap;
        if (r->nchunks >= MAX_CHUNKS)
            return bl_error_set(BL_ETOOBIG, "id registry: too many ids");
        if (r->nchunks == r->chunks_cap) {
            size_t ncap = r->chunks_cap ? r->chunks_cap * 2 : 16;
            chunk *grown = realloc(r->chunks, ncap * sizeof *grown);
            if (!grown)
                return bl_error_set(BL_ENOMEM, "id registry: out of memory");
            r->chunks = grown;
            r->chunks_cap = ncap;
        }
        c = &r->chunks[r->nchunks];
        c->data = malloc(cap);
        if (!c->data)
            return bl_error_set(BL_ENOMEM, "id registry: out of memory");
        c->used = 0;
        c->cap = cap;
        r->nchunks++;
        r->arena_bytes += cap;
    }
    *ref = (uint64_t)(r->nchunks - 1) << CHUNK_BITS | c->used;
    return 0;
}

/* Copies bytes head, then a, then b into the arena as one entry; returns
 * its reference. */
static int arena_put(bl_id_registry *r, const uint8_t *head, size_t head_len, const void *a,
                     size_t a_len, const void *b, size_t b_len, uint64_t *ref)
{
    int rc = arena_reserve(r, head_len + a_len + b_len, ref);
    chunk *c;

    if (rc)
        return rc;
    c = &r->chunks[r->nchunks - 1];
    memcpy(c->data + c->used, head, head_len);
    if (a_len)
        memcpy(c->data + c->used + head_len, a, a_len);
    if (b_len)
        memcpy(c->data + c->used + head_len + a_len, b, b_len);
    c->used += head_len + a_len + b_len;
    return 0;
}

/* Splits "FILE:LINE" (LINE plain decimal, no leading zero); 0 if source
 * is not of that form. */
static int split_file_line(const char *source, size_t len, size_t *file_len, uint64_t *line)
{
    size_t i = len, digits;

    while (i > 0 && source[i - 1] >= '0' && source[i - 1] <= '9')
        i--;
    digits = len - i;
    if (i < 2 || source[i - 1] != ':' || digits == 0 || digits > 19 ||
        (digits > 1 && source[i] == '0'))
        return 0;
    *line = 0;
    for (size_t k = i; k < len; k++)
        *line = *line * 10 + (uint64_t)(source[k] - '0');
    *file_len = i - 1;
    return 1;
}

/* The number of file name [p, p + n): the last one stored if it is the
 * same (records of one file come in a row), else a new one. */
static int file_number(bl_id_registry *r, const char *p, size_t n, uint64_t *out)
{
    uint8_t head[BL_VARINT_MAX];
    uint64_t ref = 0;
    const char *last;
    size_t last_len;
    int rc;

    if (r->nfiles) {
        file_name(r, r->nfiles - 1, &last, &last_len);
        if (last_len == n && memcmp(last, p, n) == 0) {
            *out = r->nfiles - 1;
            return 0;
        }
    }
    if (r->nfiles == r->files_cap) {
        size_t ncap = r->files_cap ? r->files_cap * 2 : 16;
        uint64_t *grown = realloc(r->files, ncap * sizeof *grown);
        if (!grown)
            return bl_error_set(BL_ENOMEM, "id registry: out of memory");
        r->files = grown;
        r->files_cap = ncap;
    }
    rc = arena_put(r, head, bl_varint_encode(head, n), p, n, NULL, 0, &ref);
    if (rc)
        return rc;
    r->files[r->nfiles] = ref;
    *out = r->nfiles++;
    return 0;
}

/* Copies a new entry into the arena and points slot i at it. */
static int insert(bl_id_registry *r, size_t i, uint64_t h, const char *id, size_t id_len,
                  const char *source, size_t source_len, uint64_t code)
{
    uint8_t head[2 * BL_VARINT_MAX], tail[2 * BL_VARINT_MAX];
    size_t head_len = bl_varint_encode(head, id_len), tail_len = 0, file_len;
    uint64_t ref = 0, file = 0, line = 0;
    const void *raw = NULL;
    int rc;

    if (code == SOURCE_FILE_LINE) {
        if (!split_file_line(source, source_len, &file_len, &line))
            code = SOURCE_LEN_BIAS + (uint64_t)source_len;
        else if ((rc = file_number(r, source, file_len, &file)) != 0)
            return rc;
    }
    if (code == SOURCE_FILE_LINE) {
        tail_len = bl_varint_encode(tail, file);
        tail_len += bl_varint_encode(tail + tail_len, line);
        raw = tail;
    } else if (code >= SOURCE_LEN_BIAS) {
        raw = source;
        tail_len = source_len;
    }
    head_len += bl_varint_encode(head + head_len, code);
    rc = arena_put(r, head, head_len, id, id_len, raw, tail_len, &ref);
    if (rc)
        return rc;
    r->slots[i] = (ref + 1) << TAG_BITS | tag_of(h);
    r->count++;
    return 0;
}

/* Adds id unless present; *found says whether it was, and *i is its slot. */
static int add(bl_id_registry *r, const char *id, size_t id_len, const char *source,
               size_t source_len, uint64_t code, int *found, size_t *i)
{
    uint64_t h = hash_of(id, id_len);
    int rc = grow_table(r);

    if (rc)
        return rc;
    *i = probe(r, id, id_len, h);
    *found = r->slots[*i] != 0;
    if (*found)
        return 0;
    return insert(r, *i, h, id, id_len, source, source_len, code);
}

/* A length for "%.*s" in a message: long ids are cut to keep it one line. */
static int shown(size_t len)
{
    return len > 200 ? 200 : (int)len;
}

int bl_id_registry_add(bl_id_registry *r, const char *id, size_t id_len,
                       const char *source, size_t source_len)
{
    uint64_t code = SOURCE_FILE_LINE; /* or raw bytes, if it is not FILE:LINE */
    const char *first;
    size_t first_len;
    int found, rc;
    size_t i;
    entry e;

    if (source_len == id_len && (id_len == 0 || memcmp(source, id, id_len) == 0))
        code = SOURCE_IS_ID;
    rc = add(r, id, id_len, source, source_len, code, &found, &i);
    if (rc || !found)
        return rc;
    e = decode(r, (r->slots[i] >> TAG_BITS) - 1);
    if ((rc = source_of(r, &e, &first, &first_len)) != 0)
        return rc;
    return bl_error_set(BL_EFORMAT, "%.*s: duplicate id \"%.*s\" (first seen at %.*s)",
                        shown(source_len), source, shown(id_len), id, shown(first_len), first);
}

int bl_id_registry_find(bl_id_registry *r, const char *id, size_t id_len,
                        const char **source, size_t *source_len)
{
    size_t i = probe(r, id, id_len, hash_of(id, id_len)), n;
    const char *p;
    entry e;
    int rc;

    if (r->slots[i] == 0)
        return BL_ENOTFOUND;
    e = decode(r, (r->slots[i] >> TAG_BITS) - 1);
    if ((rc = source_of(r, &e, &p, &n)) != 0)
        return rc;
    if (source)
        *source = p;
    if (source_len)
        *source_len = n;
    return 0;
}

int bl_id_registry_each(const bl_id_registry *r,
                        int (*fn)(void *ctx, const char *id, size_t id_len), void *ctx)
{
    for (size_t i = 0; i <= r->mask; i++) {
        if (r->slots[i]) {
            entry e = decode(r, (r->slots[i] >> TAG_BITS) - 1);
            int rc = fn(ctx, e.id, e.id_len);
            if (rc)
                return rc;
        }
    }
    return 0;
}

size_t bl_id_registry_count(const bl_id_registry *r)
{
    return r->count;
}

size_t bl_id_registry_memory(const bl_id_registry *r)
{
    return sizeof *r + r->arena_bytes + r->chunks_cap * sizeof *r->chunks +
           (r->mask + 1) * sizeof *r->slots + r->files_cap * sizeof *r->files + r->text.cap;
}
