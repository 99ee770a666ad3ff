/* simd_path.h: choosing, at run time, which of a module's code paths
 * (scalar, SSE4.1, AVX2, ...) its kernels call, for bitmap.c and bitpack.c.
 *
 * A module describes each path as its own struct whose first member is a
 * bl_simd_path (name and CPU test), followed by the kernels' function
 * pointers, and lists the paths best first in a bl_simd_paths with the
 * last one always supported (the scalar path). The first call of
 * bl_simd_path_get() picks the best path the CPU supports, or the one
 * BYLINE_SIMD names if the CPU has it (read then, and never again); later
 * calls are one atomic load. Choosing is lock-free: threads racing on the
 * first call all compute the same answer, so a plain atomic store is
 * enough. A kernel gets its own struct back by casting the returned
 * pointer (a pointer to a struct's first member converts to the struct).
 */
#ifndef BL_SIMD_PATH_H
#define BL_SIMD_PATH_H

#include <stdatomic.h>
#include <stddef.h>

/* The head of a path: its name ("scalar", "avx2", ...) as BYLINE_SIMD and
 * the select functions spell it, and whether this CPU can run it (non-zero
 * if so; called whenever a path is looked up, so it must be cheap and
 * side-effect free). */
typedef struct {
    const char *name;
    int (*supported)(void);
} bl_simd_path;

/* The supported() of a path every CPU runs (the scalar one): 1. */
int bl_simd_path_always(void);

/* One module's paths and the one in use. Define it static with
 * BL_SIMD_PATHS. */
typedef struct {
    const bl_simd_path *const *paths; /* best first; the last is always supported */
    size_t npaths;
    _Atomic(const bl_simd_path *) current;
} bl_simd_paths;

/* Initializer of a bl_simd_paths over the array table (best first), with
 * no path chosen yet. */
#define BL_SIMD_PATHS(table) {.paths = (table), .npaths = sizeof(table) / sizeof((table)[0])}

/* The path called name if this CPU supports it, or for name NULL the best
 * one it supports. NULL if name is unknown or the CPU lacks that path.
 * Borrowed from the table (static in practice). */
const bl_simd_path *bl_simd_path_find(const bl_simd_paths *t, const char *name);

/* Chooses t's path now, storing and returning it: the one $BYLINE_SIMD
 * names if the CPU supports it, else (unset, empty, unknown or lacking) the
 * best supported. Never NULL. bl_simd_path_get() calls it on first use. */
const bl_simd_path *bl_simd_path_choose(bl_simd_paths *t) __attribute__((cold));

/* The path in use, chosen by bl_simd_path_choose() on the first call. On
 * every kernel call, hence inline: one acquire load once chosen. Never
 * NULL. */
static inline const bl_simd_path *bl_simd_path_get(bl_simd_paths *t)
{
    const bl_simd_path *p = atomic_load_explicit(&t->current, memory_order_acquire);
    return p ? p : bl_simd_path_choose(t);
}

/* Switches t to the path called name, or to the best supported for NULL
 * (the environment is not read again). Calls of bl_simd_path_get() that
 * start after it returns see the new path. Returns 0, or BL_EINVAL (t stays
 * as it was) if the name is unknown or the CPU lacks that path. */
int bl_simd_path_select(bl_simd_paths *t, const char *name);

#endif
