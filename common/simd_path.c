/* simd_path.c: run-time choice among a module's code paths (see
 * simd_path.h). */
#include "simd_path.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"

int bl_simd_path_always(void) { return 1; }

const bl_simd_path *bl_simd_path_find(const bl_simd_paths *t, const char *name)
{
    for (size_t i = 0; i < t->npaths; i++) {
        const bl_simd_path *p = t->paths[i];
        /* A named path the CPU lacks is an answer too: NULL, not the next. */
        if (name ? strcmp(p->name, name) == 0 : p->supported())
            return p->supported() ? p : NULL;
    }
    return NULL;
}

const bl_simd_path *bl_simd_path_choose(bl_simd_paths *t)
{
    const char *env = getenv("BYLINE_SIMD");
    const bl_simd_path *p = env && *env ? bl_simd_path_find(t, env) : NULL;
    if (!p)
        p = bl_simd_path_find(t, NULL);
    atomic_store_explicit(&t->current, p, memory_order_release);
    return p;
}

int bl_simd_path_select(bl_simd_paths *t, const char *name)
{
    const bl_simd_path *p = bl_simd_path_find(t, name);
    if (!p)
        return BL_EINVAL;
    atomic_store_explicit(&t->current, p, memory_order_release);
    return 0;
}
