/* id_filter.c: see id_filter.h. */
#include "id_filter.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"

#define WORDS 8 /* 32-bit words a block */

typedef struct {
    uint32_t (*blocks)[WORDS];
    uint64_t nblocks, count, capacity;
} stage;

struct bl_id_filter {
    stage *stages;
    size_t nstages, cap;
    size_t bytes, max_bytes;
    uint64_t count;
};

/* Odd multipliers, one a word: each spreads the hash's low half over the
 * word's 32 bit positions in its own way. */
static const uint32_t spread[WORDS] = {
    0x8f4a3b27u, 0x5c1d94e3u, 0xa7e0c6b5u, 0x3b9f2d71u,
    0xd2658a19u, 0x61c3f04fu, 0xf0b7d52du, 0x2e8a6c93u,
};

/* The block of s that hash picks (its high half, scaled to the count). */
static uint32_t *block_of(const stage *s, uint64_t hash)
{
    return s->blocks[((hash >> 32) * s->nblocks) >> 32];
}

static void set_bits(uint32_t *b, uint32_t low)
{
    for (int i = 0; i < WORDS; i++)
        b[i] |= (uint32_t)1 << ((low * spread[i]) >> 27);
}

static int has_bits(const uint32_t *b, uint32_t low)
{
    for (int i = 0; i < WORDS; i++)
        if (!(b[i] & (uint32_t)1 << ((low * spread[i]) >> 27)))
            return 0;
    return 1;
}

/* Appends a stage for capacity ids (24 bits each: 3 bytes). */
static int add_stage(bl_id_filter *f, uint64_t capacity)
{
    if (f->nstages == f->cap) {
        size_t cap = f->cap ? 2 * f->cap : 8;
        stage *grown = realloc(f->stages, cap * sizeof *grown);
        if (!grown)
            return bl_error_set(BL_ENOMEM, "id filter: out of memory");
        f->stages = grown;
        f->cap = cap;
    }
    stage *s = &f->stages[f->nstages];
    s->nblocks = capacity * 3 / 32;
    s->blocks = calloc(s->nblocks, sizeof *s->blocks);
    if (!s->blocks)
        return bl_error_set(BL_ENOMEM, "id filter: out of memory");
    s->count = 0;
    s->capacity = capacity;
    f->bytes += s->nblocks * sizeof *s->blocks;
    f->nstages++;
    return 0;
}

int bl_id_filter_new(bl_id_filter **out, size_t max_bytes)
{
    bl_id_filter *f = calloc(1, sizeof *f);
    *out = NULL;
    if (!f)
        return bl_error_set(BL_ENOMEM, "id filter: out of memory");
    f->max_bytes = max_bytes;
    int rc = add_stage(f, BL_ID_FILTER_FIRST_CAPACITY);
    if (rc) {
        bl_id_filter_free(f);
        return rc;
    }
    *out = f;
    return 0;
}

void bl_id_filter_free(bl_id_filter *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->nstages; i++)
        free(f->stages[i].blocks);
    free(f->stages);
    free(f);
}

int bl_id_filter_add(bl_id_filter *f, uint64_t hash)
{
    stage *last = &f->stages[f->nstages - 1];
    if (last->count >= last->capacity) {
        /* a full stage makes room for twice as many, while the limit
         * allows; past it the last stage takes them all */
        uint64_t next = 2 * last->capacity;
        if (f->bytes + next * 3 / 32 * sizeof *last->blocks <= f->max_bytes) {
            int rc = add_stage(f, next);
            if (rc)
                return rc;
            last = &f->stages[f->nstages - 1];
        }
    }
    set_bits(block_of(last, hash), (uint32_t)hash);
    last->count++;
    f->count++;
    return 0;
}

int bl_id_filter_may_hold(const bl_id_filter *f, uint64_t hash)
{
    for (size_t i = 0; i < f->nstages; i++)
        if (f->stages[i].count && has_bits(block_of(&f->stages[i], hash), (uint32_t)hash))
            return 1;
    return 0;
}

uint64_t bl_id_filter_count(const bl_id_filter *f)
{
    return f->count;
}

size_t bl_id_filter_memory(const bl_id_filter *f)
{
    return sizeof *f + f->cap * sizeof *f->stages + f->bytes;
}
