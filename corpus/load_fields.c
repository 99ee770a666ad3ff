/* load_fields.c: bl_field_map, the --fields option that tells the JSONL and
 * CSV loaders what a dump calls its title, text, date, id and url. */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "loader.h"

/* The target names, by bl_field; "body" is read as "text" too. */
static const char *const targets[BL_FIELD_COUNT] = {"id", "title", "text", "date", "url"};

static int target_of(const char *p, size_t n)
{
    if (n == 4 && memcmp(p, "body", 4) == 0)
        return BL_FIELD_TEXT;
    for (int i = 0; i < BL_FIELD_COUNT; i++)
        if (strlen(targets[i]) == n && memcmp(p, targets[i], n) == 0)
            return i;
    return -1;
}

void bl_field_map_release(bl_field_map *m)
{
    for (int i = 0; i < BL_FIELD_COUNT; i++) {
        free(m->name[i]);
        m->name[i] = NULL;
    }
}

/* Parses one "target=name" pair [p, p + n). */
static int parse_pair(bl_field_map *m, const char *spec, const char *p, size_t n)
{
    const char *eq = memchr(p, '=', n);
    int target;

    if (!eq || eq == p || eq == p + n - 1)
        return bl_error_set(BL_EINVAL,
                            "--fields \"%s\": \"%.*s\" is not TARGET=NAME", spec,
                            (int)n, p);
    target = target_of(p, (size_t)(eq - p));
    if (target < 0)
        return bl_error_set(BL_EINVAL,
                            "--fields \"%s\": unknown field \"%.*s\" (expected "
                            "id, title, text, date or url)",
                            spec, (int)(eq - p), p);
    if (m->name[target])
        return bl_error_set(BL_EINVAL, "--fields \"%s\": %s is named twice", spec,
                            targets[target]);
    m->name[target] = strndup(eq + 1, (size_t)(p + n - eq - 1));
    if (!m->name[target])
        return bl_error_set(BL_ENOMEM, "--fields: out of memory");
    return 0;
}

int bl_field_map_parse(bl_field_map *m, const char *spec)
{
    const char *p = spec;
    int rc = 0;

    memset(m, 0, sizeof *m);
    if (!spec || !*spec)
        return bl_error_set(BL_EINVAL, "--fields: empty (expected e.g. "
                                       "title=headline,text=content)");
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);

        rc = parse_pair(m, spec, p, n);
        if (rc || !comma)
            break;
        p = comma + 1;
    }
    if (rc)
        bl_field_map_release(m);
    return rc;
}
