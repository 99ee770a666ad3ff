/* load_jsonl.c: one JSON object per line, parsed with jansson, streamed a
 * chunk at a time so a file of any size fits in memory; only one line (at
 * most BL_LOAD_MAX_RECORD bytes) is held at once.
 *
 * Fields: "title", "body" (or "text" when "body" is absent or empty),
 * "id" (string or number), "date", "url", or the keys opts->fields names
 * instead (a key with dots, "meta.date", is looked up as written, then as a
 * path through nested objects); other keys are ignored; null is the same
 * as absent. A line is bad if it is not JSON, not an object, or has a used
 * field of the wrong type. A \u0000 in a used string becomes a space, with
 * a warning. Blank lines are skipped. */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "load_internal.h"

typedef struct {
    bl_load_ctx *lc;
    const char *path;
    bl_buf line;     /* the current line, when it spans chunks */
    bl_buf source;   /* "PATH:LINE" of the current line */
    bl_buf nul_free[BL_FIELD_COUNT]; /* copies of strings that held \u0000 */
    const char *keys[BL_FIELD_COUNT];  /* the key of each field */
    const char *text_fallback;         /* read when the text key is empty */
    uint64_t lineno; /* 1-based number of the current line */
    int overlong;    /* the current line passed BL_LOAD_MAX_RECORD */
} jsonl;

/* Reports a bad line: fails, or returns 0 when skip_bad skipped it. */
static int bad_line(jsonl *j, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int bad_line(jsonl *j, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return bl_load_bad(j->lc, bl_error_set(BL_EFORMAT, "%s:%llu: %s", j->path,
                                           (unsigned long long)j->lineno, msg));
}

/* obj[key], or for a key with dots that obj lacks, the value at that path
 * through nested objects; NULL if absent. */
static json_t *lookup(json_t *obj, const char *key)
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

/* Reads field f (a string) into *p, *n, trimmed (n = 0 when absent or
 * null); a \u0000 in it becomes a space, in a copy, with a warning.
 * Returns 0, or non-zero (after bad_line or the warning's error) when the
 * line must be dropped, with *rc what to return for it. */
static int take(jsonl *j, json_t *obj, bl_field f, const char *key,
                const char **p, size_t *n, int *rc)
{
    json_t *v = lookup(obj, key);
    bl_buf *copy = &j->nul_free[f];

    *p = NULL;
    *n = 0;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v)) {
        *rc = bad_line(j, "\"%s\" is not a string", key);
        return 1;
    }
    *p = json_string_value(v);
    *n = json_string_length(v);
    if (memchr(*p, 0, *n)) {
        int w = bl_load_warning(j->lc, BL_EFORMAT, ", read as a space",
                                "%s:%llu: \"%s\" holds a NUL character (\\u0000)",
                                j->path, (unsigned long long)j->lineno, key);
        if (w) {
            *rc = w < 0 ? w : 0;
            return 1;
        }
        bl_buf_clear(copy);
        if (bl_buf_append(copy, *p, *n)) {
            *rc = bl_error_set(BL_ENOMEM, "%s: out of memory", j->path);
            return 1;
        }
        for (size_t i = 0; i < *n; i++)
            if (copy->data[i] == 0)
                copy->data[i] = ' ';
        *p = (const char *)copy->data;
    }
    bl_load_trim(p, n);
    return 0;
}

/* A field that may be a string or a number (an id, or a date given as
 * epoch seconds): a number is written out into buf (40 bytes). */
static int take_scalar(jsonl *j, json_t *obj, bl_field f, char *buf, const char **p, size_t *n,
                       int *rc)
{
    const char *key = j->keys[f];
    json_t *v = lookup(obj, key);

    if (json_is_integer(v)) {
        *n = (size_t)snprintf(buf, 40, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        *p = buf;
        return 0;
    }
    if (json_is_real(v)) {
        *n = (size_t)snprintf(buf, 40, "%.17g", json_real_value(v));
        *p = buf;
        return 0;
    }
    return take(j, obj, f, key, p, n, rc);
}

static int parse_line(jsonl *j, const char *p, size_t n)
{
    char idbuf[40], datebuf[40];
    json_error_t err;
    json_t *obj;
    bl_article a;
    int rc = 0;
    size_t i;

    if (n && p[n - 1] == '\r')
        n--;
    for (i = 0; i < n && bl_load_isspace((unsigned char)p[i]); i++)
        ;
    if (i == n)
        return 0; /* blank line */

    obj = json_loadb(p, n, JSON_ALLOW_NUL, &err);
    if (!obj)
        return bad_line(j, "invalid JSON: %s (column %d)", err.text, err.column);
    memset(&a, 0, sizeof a);
    if (!json_is_object(obj)) {
        rc = bad_line(j, "not a JSON object");
        goto out;
    }
    if (take(j, obj, BL_FIELD_TITLE, j->keys[BL_FIELD_TITLE], &a.title, &a.title_len, &rc) ||
        take(j, obj, BL_FIELD_TEXT, j->keys[BL_FIELD_TEXT], &a.text, &a.text_len, &rc) ||
        (a.text_len == 0 && j->text_fallback &&
         take(j, obj, BL_FIELD_TEXT, j->text_fallback, &a.text, &a.text_len, &rc)) ||
        take_scalar(j, obj, BL_FIELD_DATE, datebuf, &a.date, &a.date_len, &rc) ||
        take(j, obj, BL_FIELD_URL, j->keys[BL_FIELD_URL], &a.url, &a.url_len, &rc) ||
        take_scalar(j, obj, BL_FIELD_ID, idbuf, &a.id, &a.id_len, &rc))
        goto out;
    rc = bl_load_source(&j->source, j->path, j->lineno, &a);
    if (rc == 0)
        rc = bl_load_emit(j->lc, &a);
out:
    json_decref(obj);
    return rc;
}

/* Handles the line that just ended (p, n; n = 0 for an overlong one). */
static int end_line(jsonl *j, const char *p, size_t n)
{
    int rc;

    if (j->overlong)
        rc = bl_load_bad(j->lc, bl_error_set(BL_ETOOBIG,
                                             "%s:%llu: line longer than %zu MiB",
                                             j->path,
                                             (unsigned long long)j->lineno,
                                             BL_LOAD_MAX_RECORD >> 20));
    else
        rc = parse_line(j, p, n);
    bl_buf_clear(&j->line);
    j->overlong = 0;
    j->lineno++;
    return rc;
}

/* The key of each field: opts->fields, else the defaults. */
static void choose_keys(jsonl *j, const bl_field_map *fields)
{
    static const char *const defaults[BL_FIELD_COUNT] = {"id", "title", "body",
                                                         "date", "url"};

    for (int f = 0; f < BL_FIELD_COUNT; f++)
        j->keys[f] = fields && fields->name[f] ? fields->name[f] : defaults[f];
    j->text_fallback = fields && fields->name[BL_FIELD_TEXT] ? NULL : "text";
}

int bl_load_jsonl(bl_load_ctx *lc, bl_input *in)
{
    jsonl j = {.lc = lc, .path = in->path, .lineno = 1};
    const uint8_t *p;
    size_t n;
    int rc;

    bl_buf_init(&j.line);
    bl_buf_init(&j.source);
    for (int f = 0; f < BL_FIELD_COUNT; f++)
        bl_buf_init(&j.nul_free[f]);
    choose_keys(&j, lc->opts->fields);
    for (;;) {
        rc = bl_input_read(in, &p, &n);
        if (rc || n == 0)
            break;
        while (n) {
            const uint8_t *nl = memchr(p, '\n', n);
            size_t k = nl ? (size_t)(nl - p) : n;

            if (!j.overlong && k > BL_LOAD_MAX_RECORD - j.line.len) {
                j.overlong = 1;
                bl_buf_release(&j.line);
            }
            if (!j.overlong && (!nl || j.line.len) && bl_buf_append(&j.line, p, k)) {
                rc = bl_error_set(BL_ENOMEM, "%s: out of memory", j.path);
                goto done;
            }
            if (!nl)
                break;
            if (j.line.len)
                rc = end_line(&j, (const char *)j.line.data, j.line.len);
            else
                rc = end_line(&j, (const char *)p, k); /* whole line in this chunk */
            if (rc)
                goto done;
            p += k + 1;
            n -= k + 1;
        }
    }
    /* A last line without '\n'; not after a read error (it may be cut). */
    if (rc == 0 && (j.line.len || j.overlong))
        rc = end_line(&j, (const char *)j.line.data, j.line.len);
done:
    bl_buf_release(&j.line);
    bl_buf_release(&j.source);
    for (int f = 0; f < BL_FIELD_COUNT; f++)
        bl_buf_release(&j.nul_free[f]);
    return rc;
}
