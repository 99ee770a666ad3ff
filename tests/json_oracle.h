/* json_oracle.h: the JSONL loader's old lookup with jansson, kept as the
 * oracle its scanner (corpus/json_scan.h) is tested against: obj[key],
 * else for a key with dots the value at that path through nested objects
 * (NULL if absent). Shared by test_json_scan.c and tests/fuzz/. */
#ifndef BL_JSON_ORACLE_H
#define BL_JSON_ORACLE_H

#include <jansson.h>
#include <string.h>

static inline json_t *bl_test_json_lookup(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    const char *p = key, *dot;

    if (v || !strchr(key, '.'))
        return v;
    while ((dot = strchr(p, '.')) != NULL && json_is_object(obj)) {
        obj = json_object_getn(obj, p, (size_t)(dot - p));
        p = dot + 1;
    }
    return json_is_object(obj) && !dot ? json_object_get(obj, p) : NULL;
}

#endif
