/* load_jsonl.c: one JSON object per line, checked and read by json_scan.c
 * (jansson built every key and value of every line: `byline index` of
 * 207 MB of Reuters took 1.25x as long with it), streamed a chunk at a
 * time so a file of any size fits in memory; only one line (at most
 * BL_LOAD_MAX_RECORD bytes) is held at once.
 *
 * Fields: "title", "body" (or "text" when "body" is absent or empty),
 * "id" (string or number), "date", "url", or the keys opts->fields names
 * instead (a key with dots, "meta.date", is looked up as written, then as a
 * path through nested objects); other keys are ignored; null is the same
 * as absent. A line is bad if it is not JSON, not an object, or has a used
 * field of the wrong type. A number used as a field reads as JSON wrote it
 * (an integer of any length; -0 as 0), a real as the nearest double
 * printed with 17 digits. A \u0000 in a used string becomes a space, with
 * a warning. Blank lines are skipped. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "json_scan.h"
#include "load_internal.h"

typedef struct {
    bl_load_ctx *lc;
    const char *path;
    bl_buf line;     /* the current line, when it spans chunks */
    bl_buf source;   /* "PATH:LINE" of the current line */
    bl_buf decoded[BL_FIELD_COUNT]; /* strings unescaped, reals as text */
    /* The key of each field, then the one read when the text key is
     * empty (when there is one): nkeys in all. */
    const char *keys[BL_FIELD_COUNT + 1];
    size_t nkeys;
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

/* Reads string field f (value v of key) into *p, *n, trimmed (n = 0 when
 * absent or null); a \u0000 in it becomes a space, with a warning.
 * Returns 0, or non-zero (after bad_line or the warning's error) when the
 * line must be dropped, with *rc what to return for it. */
static int take(jsonl *j, bl_field f, const bl_json_value *v, const char *key,
                const char **p, size_t *n, int *rc)
{
    bl_buf *copy = &j->decoded[f];

    *p = NULL;
    *n = 0;
    if (v->kind == BL_JSON_ABSENT || v->kind == BL_JSON_NULL)
        return 0;
    if (v->kind != BL_JSON_STRING) {
        *rc = bad_line(j, "\"%s\" is not a string", key);
        return 1;
    }
    *p = v->raw;
    *n = v->len;
    if (v->escaped) { /* only an escape can give a NUL */
        if (bl_json_unescape(v, copy)) {
            *rc = bl_error_set(BL_ENOMEM, "%s: out of memory", j->path);
            return 1;
        }
        *p = (const char *)copy->data;
        *n = copy->len;
    }
    if (v->escaped && memchr(*p, 0, *n)) {
        int w = bl_load_warning(j->lc, BL_EFORMAT, ", read as a space",
                                "%s:%llu: \"%s\" holds a NUL character (\\u0000)",
                                j->path, (unsigned long long)j->lineno, key);
        if (w) {
            *rc = w < 0 ? w : 0;
            return 1;
        }
        for (size_t i = 0; i < *n; i++)
            if (copy->data[i] == 0)
                copy->data[i] = ' ';
    }
    bl_load_trim(p, n);
    return 0;
}

/* A field that may be a string or a number (an id, or a date given as
 * epoch seconds): an integer reads as written, a real is printed into buf
 * (40 bytes). */
static int take_scalar(jsonl *j, bl_field f, const bl_json_value *v, char *buf,
                       const char **p, size_t *n, int *rc)
{
    const char *key = j->keys[f];
    bl_buf *text = &j->decoded[f];
    double d;

    if (v->kind == BL_JSON_INTEGER) {
        int minus_zero = v->len == 2 && memcmp(v->raw, "-0", 2) == 0;
        *p = minus_zero ? v->raw + 1 : v->raw;
        *n = minus_zero ? 1 : v->len;
        return 0;
    }
    if (v->kind != BL_JSON_REAL)
        return take(j, f, v, key, p, n, rc);
    /* strtod needs a terminated copy; the number may be of any length. */
    bl_buf_clear(text);
    if (bl_buf_append(text, v->raw, v->len) || bl_buf_put_u8(text, 0)) {
        *rc = bl_error_set(BL_ENOMEM, "%s: out of memory", j->path);
        return 1;
    }
    errno = 0;
    d = strtod((const char *)text->data, NULL);
    if (errno == ERANGE && (d > 1 || d < -1)) {
        *rc = bad_line(j, "\"%s\" is a number too large for a double", key);
        return 1;
    }
    *n = (size_t)snprintf(buf, 40, "%.17g", d);
    *p = buf;
    return 0;
}

static int parse_line(jsonl *j, const char *p, size_t n)
{
    char idbuf[40], datebuf[40];
    bl_json_value got[BL_FIELD_COUNT + 1];
    bl_json_error err;
    bl_article a;
    int rc = 0;
    size_t i;

    if (n && p[n - 1] == '\r')
        n--;
    for (i = 0; i < n && bl_load_isspace((unsigned char)p[i]); i++)
        ;
    if (i == n)
        return 0; /* blank line */

    switch (bl_json_scan(p, n, j->keys, j->nkeys, got, &err)) {
    case BL_JSON_INVALID:
        return bad_line(j, "invalid JSON: %s (column %zu)", err.msg, err.offset + 1);
    case BL_JSON_NOT_OBJECT:
        return bad_line(j, "not a JSON object");
    }
    memset(&a, 0, sizeof a);
    if (take(j, BL_FIELD_TITLE, &got[BL_FIELD_TITLE], j->keys[BL_FIELD_TITLE], &a.title,
             &a.title_len, &rc) ||
        take(j, BL_FIELD_TEXT, &got[BL_FIELD_TEXT], j->keys[BL_FIELD_TEXT], &a.text,
             &a.text_len, &rc) ||
        (a.text_len == 0 && j->nkeys > BL_FIELD_COUNT &&
         take(j, BL_FIELD_TEXT, &got[BL_FIELD_COUNT], j->keys[BL_FIELD_COUNT], &a.text,
              &a.text_len, &rc)) ||
        take_scalar(j, BL_FIELD_DATE, &got[BL_FIELD_DATE], datebuf, &a.date, &a.date_len,
                    &rc) ||
        take(j, BL_FIELD_URL, &got[BL_FIELD_URL], j->keys[BL_FIELD_URL], &a.url, &a.url_len,
             &rc) ||
        take_scalar(j, BL_FIELD_ID, &got[BL_FIELD_ID], idbuf, &a.id, &a.id_len, &rc))
        return rc;
    rc = bl_load_source(&j->source, j->path, j->lineno, &a);
    if (rc == 0)
        rc = bl_load_emit(j->lc, &a);
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
    j->nkeys = BL_FIELD_COUNT;
    if (!(fields && fields->name[BL_FIELD_TEXT]))
        j->keys[j->nkeys++] = "text";
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
        bl_buf_init(&j.decoded[f]);
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
        bl_buf_release(&j.decoded[f]);
    return rc;
}
