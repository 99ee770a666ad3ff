/* load_jsonl.c: one JSON object per line, parsed with jansson, streamed a
 * chunk at a time so a file of any size fits in memory; only one line (at
 * most BL_LOAD_MAX_RECORD bytes) is held at once.
 *
 * Fields: "title", "body" (or "text" when "body" is absent or empty),
 * "id" (string or number), "date", "url"; other keys are ignored; null is
 * the same as absent. A line is bad if it is not JSON, not an object, has
 * a used field of the wrong type or holding \u0000, or has neither title
 * nor text. Blank lines are skipped. */
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

/* Borrows the string at obj[key] into *p, *n (n = 0 when absent or null).
 * Returns 1 if the value is not a string, 2 if it holds a NUL. */
static int get_string(json_t *obj, const char *key, const char **p, size_t *n)
{
    json_t *v = json_object_get(obj, key);

    *p = NULL;
    *n = 0;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return 1;
    *p = json_string_value(v);
    *n = json_string_length(v);
    if (memchr(*p, 0, *n))
        return 2;
    bl_load_trim(p, n);
    return 0;
}

/* Fills one field of the article; returns non-zero (after bad_line) when
 * the line must be dropped. */
static int take(jsonl *j, json_t *obj, const char *key, const char **p,
                size_t *n, int *rc)
{
    int r = get_string(obj, key, p, n);

    if (r == 1)
        *rc = bad_line(j, "\"%s\" is not a string", key);
    else if (r == 2)
        *rc = bad_line(j, "\"%s\" holds a NUL character (\\u0000)", key);
    return r;
}

static int parse_line(jsonl *j, const char *p, size_t n)
{
    char idbuf[40];
    json_error_t err;
    json_t *obj, *id;
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
    if (take(j, obj, "title", &a.title, &a.title_len, &rc) ||
        take(j, obj, "body", &a.text, &a.text_len, &rc) ||
        (a.text_len == 0 && take(j, obj, "text", &a.text, &a.text_len, &rc)) ||
        take(j, obj, "date", &a.date, &a.date_len, &rc) ||
        take(j, obj, "url", &a.url, &a.url_len, &rc))
        goto out;

    id = json_object_get(obj, "id");
    if (json_is_integer(id)) {
        a.id_len = (size_t)snprintf(idbuf, sizeof idbuf, "%" JSON_INTEGER_FORMAT,
                                    json_integer_value(id));
        a.id = idbuf;
    } else if (json_is_real(id)) {
        a.id_len = (size_t)snprintf(idbuf, sizeof idbuf, "%.17g", json_real_value(id));
        a.id = idbuf;
    } else if (id && !json_is_null(id) &&
               take(j, obj, "id", &a.id, &a.id_len, &rc)) {
        goto out;
    }

    if (a.title_len == 0 && a.text_len == 0) {
        rc = bad_line(j, "object has neither \"title\" nor \"body\"/\"text\"");
        goto out;
    }
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

int bl_load_jsonl(bl_load_ctx *lc, bl_input *in)
{
    jsonl j = {.lc = lc, .path = in->path, .lineno = 1};
    const uint8_t *p;
    size_t n;
    int rc;

    bl_buf_init(&j.line);
    bl_buf_init(&j.source);
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
    return rc;
}
