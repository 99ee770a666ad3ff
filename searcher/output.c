/* output.c: search results as text for people and as JSON lines (jansson).
 *
 * Stored fields are bytes, not guaranteed UTF-8: before they reach jansson
 * (which refuses invalid UTF-8) or a terminal, each byte that is not UTF-8
 * is read as Windows-1252, as the tokenizer reads it; for the terminal,
 * control characters also become spaces so a stored title cannot move the
 * cursor or change colours.
 */
#include "output.h"

#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "utf8.h"

#define BOLD_ON "\033[1m"
#define BOLD_OFF "\033[0m"
#define MARK "**"

static int is_control(uint32_t c)
{
    return c < 0x20 || (c >= 0x7F && c < 0xA0);
}

/* Appends s[0..len) to b with bytes that are not UTF-8 read as Windows-1252
 * (as the tokenizer reads them, so what is shown is what was indexed) and,
 * if controls is set, control characters replaced by a space. */
static int append_clean(bl_buf *b, const char *s, size_t len, int controls)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        uint32_t c;
        size_t n = bl_utf8_decode(p + i, len - i, &c, NULL);
        int rc;
        if (n == 0) {
            c = bl_utf8_fallback(p[i]);
            n = 1;
        }
        if (controls && is_control(c)) {
            rc = bl_buf_append(b, " ", 1);
        } else {
            uint8_t enc[BL_UTF8_MAX];
            rc = bl_buf_append(b, enc, bl_utf8_encode(c, enc));
        }
        if (rc)
            return BL_ENOMEM;
        i += n;
    }
    return 0;
}

/* A JSON string of s[0..len) (NULL s means ""); NULL when out of memory. */
static json_t *json_text(const char *s, size_t len)
{
    bl_buf b;
    json_t *j;
    if (!s)
        len = 0;
    bl_buf_init(&b);
    if (append_clean(&b, s, len, 0)) {
        bl_buf_release(&b);
        return NULL;
    }
    j = json_stringn(b.data ? (const char *)b.data : "", b.len);
    bl_buf_release(&b);
    return j;
}

/* A JSON number for x, or null if x is not finite (JSON has no NaN). */
static json_t *json_number(double x)
{
    return isfinite(x) ? json_real(x) : json_null();
}

/* Sets key to v in o, taking v; fails (and frees v) if v is NULL. */
static int put_key(json_t *o, const char *key, json_t *v)
{
    if (!v || json_object_set_new(o, key, v) != 0)
        return BL_ENOMEM;
    return 0;
}

/* Writes o as one compact line to f and frees o. */
static int write_json_line(FILE *f, json_t *o)
{
    /* 15 significant digits: 0.1 prints as 0.1, not 0.10000000000000001. */
    size_t flags = JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15);
    char *line = json_dumps(o, flags);
    json_decref(o);
    if (!line)
        return bl_error_set(BL_ENOMEM, "cannot encode a JSON line");
    int bad = fputs(line, f) == EOF || fputc('\n', f) == EOF;
    free(line);
    if (bad)
        return bl_error_set(BL_EIO, "cannot write results");
    return 0;
}

int bl_output_json_hit(FILE *f, const bl_hit *h)
{
    static const bl_stored_doc empty_doc;
    static const bl_snippet empty_snippet;
    const bl_stored_doc *d = h->doc ? h->doc : &empty_doc;
    const bl_snippet *s = h->snippet ? h->snippet : &empty_snippet;
    json_t *o = json_object(), *spans = json_array();
    int rc = BL_ENOMEM;

    if (!o || !spans)
        goto fail;
    for (size_t i = 0; i < s->nhighlights; i++) {
        json_t *pair = json_pack("[II]", (json_int_t)s->highlights[i].start,
                                 (json_int_t)s->highlights[i].end);
        if (!pair || json_array_append_new(spans, pair) != 0)
            goto fail;
    }
    if (put_key(o, "rank", json_integer(h->rank)) ||
        put_key(o, "score", json_number(h->score)) ||
        /* Indexes built before ids were filled in store some empty. */
        put_key(o, "id", d->id_len ? json_text(d->id, d->id_len)
                                   : json_text(d->source, d->source_len)) ||
        put_key(o, "title", json_text(d->title, d->title_len)) ||
        put_key(o, "source", json_text(d->source, d->source_len)) ||
        put_key(o, "date", json_text(d->date, d->date_len)) ||
        put_key(o, "url", json_text(d->url, d->url_len)) ||
        put_key(o, "snippet", json_text(s->text, s->len)))
        goto fail;
    rc = put_key(o, "highlights", spans);
    spans = NULL; /* taken, even on failure */
    if (rc)
        goto fail;
    return write_json_line(f, o);
fail:
    json_decref(spans);
    json_decref(o);
    return rc == BL_ENOMEM ? bl_error_set(rc, "out of memory building JSON") : rc;
}

int bl_output_json_summary(FILE *f, const char *query, uint64_t hits,
                           uint32_t returned, double elapsed_ms)
{
    json_t *o = json_object();
    json_int_t nhits = hits > (uint64_t)INT64_MAX ? INT64_MAX : (json_int_t)hits;
    /* Microseconds are the most a timing can honestly claim. */
    double ms = isfinite(elapsed_ms) ? round(elapsed_ms * 1000.0) / 1000.0 : elapsed_ms;

    if (!o || put_key(o, "query", json_text(query, query ? strlen(query) : 0)) ||
        put_key(o, "hits", json_integer(nhits)) ||
        put_key(o, "returned", json_integer(returned)) ||
        put_key(o, "elapsed_ms", json_number(ms))) {
        json_decref(o);
        return bl_error_set(BL_ENOMEM, "out of memory building JSON");
    }
    return write_json_line(f, o);
}

/* ---- text ---------------------------------------------------------- */

int bl_output_text_hit(FILE *f, const bl_hit *h, int color)
{
    static const bl_stored_doc empty_doc;
    const bl_stored_doc *d = h->doc ? h->doc : &empty_doc;
    const bl_snippet *s = h->snippet;
    const char *on = color ? BOLD_ON : MARK, *off = color ? BOLD_OFF : MARK;
    char num[64];
    bl_buf b;
    int rc = BL_ENOMEM;

    bl_buf_init(&b);
    snprintf(num, sizeof num, "%u. ", (unsigned)h->rank);
    if (bl_buf_append_str(&b, num))
        goto fail;
    if (d->title && d->title_len) {
        if (append_clean(&b, d->title, d->title_len, 1))
            goto fail;
    } else if (bl_buf_append_str(&b, "(untitled)")) {
        goto fail;
    }
    snprintf(num, sizeof num, "  (score %.4f)\n", h->score);
    if (bl_buf_append_str(&b, num))
        goto fail;

    /* "   SOURCE  DATE", whichever of them exist. */
    int has_source = d->source && d->source_len, has_date = d->date && d->date_len;
    if (has_source || has_date) {
        if (bl_buf_append_str(&b, "   ") ||
            (has_source && append_clean(&b, d->source, d->source_len, 1)) ||
            (has_source && has_date && bl_buf_append_str(&b, "  ")) ||
            (has_date && append_clean(&b, d->date, d->date_len, 1)) ||
            bl_buf_append_str(&b, "\n"))
            goto fail;
    }

    /* The snippet on one line, highlights marked; spans that are out of
     * order or out of range are ignored rather than trusted. */
    if (s && s->text && s->len) {
        size_t at = 0;
        if (bl_buf_append_str(&b, "   "))
            goto fail;
        for (size_t i = 0; i < s->nhighlights; i++) {
            bl_span sp = s->highlights[i];
            if (sp.start < at || sp.end <= sp.start || sp.end > s->len)
                continue;
            if (append_clean(&b, s->text + at, sp.start - at, 1) ||
                bl_buf_append_str(&b, on) ||
                append_clean(&b, s->text + sp.start, sp.end - sp.start, 1) ||
                bl_buf_append_str(&b, off))
                goto fail;
            at = sp.end;
        }
        if (append_clean(&b, s->text + at, s->len - at, 1) ||
            bl_buf_append_str(&b, "\n"))
            goto fail;
    }
    if (bl_buf_append_str(&b, "\n"))
        goto fail;

    if (fwrite(b.data, 1, b.len, f) != b.len) {
        rc = bl_error_set(BL_EIO, "cannot write results");
        goto out;
    }
    rc = 0;
    goto out;
fail:
    rc = bl_error_set(BL_ENOMEM, "out of memory printing results");
out:
    bl_buf_release(&b);
    return rc;
}

int bl_output_text_summary(FILE *f, uint64_t hits, uint32_t shown, double elapsed_ms)
{
    int n;
    const char *noun = hits == 1 ? "document" : "documents";
    if (shown < hits)
        n = fprintf(f, "%llu matching %s, %u shown (%.1f ms)\n", (unsigned long long)hits,
                    noun, (unsigned)shown, elapsed_ms);
    else
        n = fprintf(f, "%llu matching %s (%.1f ms)\n", (unsigned long long)hits, noun,
                    elapsed_ms);
    return n < 0 ? bl_error_set(BL_EIO, "cannot write results") : 0;
}
