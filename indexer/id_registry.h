/* id_registry.h: the set of article ids one `byline index` run has seen,
 * each with the source where it was first seen, so that a second article
 * with the same id is caught and both places can be named.
 *
 * Ids and sources are byte strings of any content and length. They are
 * copied into an arena of 1 MiB chunks; an open-addressing hash table
 * (XXH3, linear probing) of 8-byte slots points into it. A source equal to
 * its id is not stored twice, and a "FILE:LINE" source stores FILE once for
 * all the records of that file in a row, so an id costs its length and
 * about 2 to 8 bytes of arena, and 11 to 21 bytes of table. Messages show
 * at most 200 bytes of an id or a source.
 */
#ifndef BL_ID_REGISTRY_H
#define BL_ID_REGISTRY_H

#include <stddef.h>

typedef struct bl_id_registry bl_id_registry;

/* Makes an empty registry. Errors: BL_ENOMEM. */
int bl_id_registry_new(bl_id_registry **out);

/* Frees r; NULL does nothing. */
void bl_id_registry_free(bl_id_registry *r);

/* Adds id, seen at source (both copied). Returns 0 if the id is new.
 * Errors: BL_EFORMAT if it was seen before, with the detail
 * "SOURCE: duplicate id "ID" (first seen at FIRST)"; the registry is
 * unchanged. BL_ENOMEM, BL_ETOOBIG (16 TiB of ids). */
int bl_id_registry_add(bl_id_registry *r, const char *id, size_t id_len,
                       const char *source, size_t source_len);

/* Looks id up: 0 and its first source in *source, *source_len (borrowed
 * until the next call on r),
 * or BL_ENOTFOUND (no detail set). Either out pointer may be NULL.
 * Errors: BL_ENOMEM (writing out a FILE:LINE source). */
int bl_id_registry_find(bl_id_registry *r, const char *id, size_t id_len,
                        const char **source, size_t *source_len);

/* Calls fn(ctx, id, id_len) for every id added, in no particular order;
 * stops at fn's first non-zero return and returns it. */
int bl_id_registry_each(const bl_id_registry *r,
                        int (*fn)(void *ctx, const char *id, size_t id_len), void *ctx);

/* Number of distinct ids added. */
size_t bl_id_registry_count(const bl_id_registry *r);

/* Bytes of memory held (arena and table). */
size_t bl_id_registry_memory(const bl_id_registry *r);

#endif
