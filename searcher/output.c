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

/* C0 and C1 controls, line separators, and the bidi embeddings, overrides
 * and isolates (U+202A-E, U+2066-9), which could make a terminal show text
 * in an order it does not have. */
static int is_control(uint32_t c)
{
    return c < 0x20 || (c >= 0x7F && c < 0xA0) || (c >= 0x2028 && c <= 0x202E) ||
           (c >= 0x2066 && c <= 0x2069);
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

/* Code points in the UTF-8 bytes p[0..n): the bytes that start one. */
static size_t code_points(const uint8_t *p, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += (p[i] & 0xC0) != 0x80;
    return c;
}

/* Appends s[0..len) cleaned (see append_clean) to b and adds the code
 * points it took to *cps. */
static int append_counted(bl_buf *b, const char *s, size_t len, int controls, size_t *cps)
{
    size_t before = b->len;
    if (append_clean(b, s, len, controls))
        return BL_ENOMEM;
    *cps += code_points(b->data + before, b->len - before);
    return 0;
}

/* Appends snippet s to b as it is shown: each highlight between on and off,
 * control characters as spaces if controls is set. If cp is not NULL (room
 * for s->nhighlights spans), each highlight shown gets there the code point
 * range of its text in what was appended, markers excluded; *ncp gets how
 * many. Spans out of order or out of range are skipped rather than
 * trusted. Errors: BL_ENOMEM. */
static int append_snippet(bl_buf *b, const bl_snippet *s, const char *on, const char *off,
                          int controls, bl_span *cp, size_t *ncp)
{
    size_t at = 0, cps = 0, n = 0;
    for (size_t i = 0; i < s->nhighlights; i++) {
        bl_span sp = s->highlights[i];
        if (sp.start < at || sp.end <= sp.start || sp.end > s->len)
            continue;
        if (append_counted(b, s->text + at, sp.start - at, controls, &cps) ||
            append_counted(b, on, strlen(on), 0, &cps))
            return BL_ENOMEM;
        size_t start = cps;
        if (append_counted(b, s->text + sp.start, sp.end - sp.start, controls, &cps))
            return BL_ENOMEM;
        if (cp)
            cp[n] = (bl_span){start, cps};
        n++;
        if (append_counted(b, off, strlen(off), 0, &cps))
            return BL_ENOMEM;
        at = sp.end;
    }
    if (append_counted(b, s->text + at, s->len - at, controls, &cps))
        return BL_ENOMEM;
    if (ncp)
        *ncp = n;
    return 0;
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

/* put_key for a chain of keys: takes v in every case; once one key has
 * failed (*bad set; o NULL counts as failed) it only frees v. */
static void put_sticky(json_t *o, const char *key, json_t *v, int *bad)
{
    if (*bad)
        json_decref(v);
    else
        *bad = put_key(o, key, v) != 0;
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

/* The snippet of a JSON hit: its text (with ** markers if marks is set)
 * into *text and its highlights as code point ranges into *spans; both NULL
 * when out of memory. */
static void json_snippet(const bl_snippet *s, int marks, json_t **text, json_t **spans)
{
    const char *mark = marks ? MARK : "";
    bl_span *cp = calloc(s->nhighlights ? s->nhighlights : 1, sizeof *cp);
    size_t ncp = 0;
    bl_buf b;
    bl_buf_init(&b);
    *text = *spans = NULL;
    if (!cp || (s->text && append_snippet(&b, s, mark, mark, 0, cp, &ncp)))
        goto out;
    *text = json_stringn(b.data ? (const char *)b.data : "", b.len);
    *spans = json_array();
    for (size_t i = 0; *spans && i < ncp; i++) {
        json_t *pair = json_pack("[II]", (json_int_t)cp[i].start, (json_int_t)cp[i].end);
        if (!pair || json_array_append_new(*spans, pair) != 0) {
            json_decref(*spans);
            *spans = NULL;
        }
    }
out:
    if (!*text || !*spans) {
        json_decref(*text);
        json_decref(*spans);
        *text = *spans = NULL;
    }
    bl_buf_release(&b);
    free(cp);
}

int bl_output_json_hit(FILE *f, const bl_hit *h, unsigned style)
{
    static const bl_stored_doc empty_doc;
    static const bl_snippet empty_snippet;
    const bl_stored_doc *d = h->doc ? h->doc : &empty_doc;
    const bl_snippet *s = h->snippet ? h->snippet : &empty_snippet;
    json_t *o = json_object(), *snip, *spans;
    int bad = !o;

    json_snippet(s, (style & BL_OUT_MARKS) != 0, &snip, &spans);
    put_sticky(o, "rank", json_integer(h->rank), &bad);
    put_sticky(o, "score", json_number(h->score), &bad);
    /* Indexes built before ids were filled in store some empty. */
    put_sticky(o, "id", d->id_len ? json_text(d->id, d->id_len) : json_text(d->source, d->source_len),
               &bad);
    put_sticky(o, "title", json_text(d->title, d->title_len), &bad);
    put_sticky(o, "source", json_text(d->source, d->source_len), &bad);
    put_sticky(o, "date", json_text(d->date, d->date_len), &bad);
    put_sticky(o, "url", json_text(d->url, d->url_len), &bad);
    put_sticky(o, "snippet", snip, &bad);
    put_sticky(o, "highlights", spans, &bad);
    if (bad) {
        json_decref(o);
        return bl_error_set(BL_ENOMEM, "out of memory building JSON");
    }
    return write_json_line(f, o);
}

int bl_output_json_summary(FILE *f, const char *query, uint64_t hits, int at_least,
                           uint32_t returned, double elapsed_ms)
{
    json_t *o = json_object();
    json_int_t nhits = hits > (uint64_t)INT64_MAX ? INT64_MAX : (json_int_t)hits;
    /* Microseconds are the most a timing can honestly claim. */
    double ms = isfinite(elapsed_ms) ? round(elapsed_ms * 1000.0) / 1000.0 : elapsed_ms;

    if (!o || put_key(o, "query", json_text(query, query ? strlen(query) : 0)) ||
        put_key(o, "hits", json_integer(nhits)) ||
        put_key(o, "hits_relation", json_string(at_least ? "gte" : "eq")) ||
        put_key(o, "returned", json_integer(returned)) ||
        put_key(o, "elapsed_ms", json_number(ms))) {
        json_decref(o);
        return bl_error_set(BL_ENOMEM, "out of memory building JSON");
    }
    return write_json_line(f, o);
}

/* ---- text ---------------------------------------------------------- */

int bl_output_text_hit(FILE *f, const bl_hit *h, unsigned style)
{
    static const bl_stored_doc empty_doc;
    const bl_stored_doc *d = h->doc ? h->doc : &empty_doc;
    const bl_snippet *s = h->snippet;
    int bold = (style & BL_OUT_BOLD) != 0, marks = (style & BL_OUT_MARKS) != 0;
    char on[16], off[16];
    snprintf(on, sizeof on, "%s%s", marks ? MARK : "", bold ? BOLD_ON : "");
    snprintf(off, sizeof off, "%s%s", bold ? BOLD_OFF : "", marks ? MARK : "");
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

    /* The snippet on one line, highlights marked. */
    if (s && s->text && s->len) {
        if (bl_buf_append_str(&b, "   ") || append_snippet(&b, s, on, off, 1, NULL, NULL) ||
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

int bl_output_text_summary(FILE *f, uint64_t hits, int at_least, uint32_t shown,
                           double elapsed_ms)
{
    int n;
    const char *noun = hits == 1 ? "document" : "documents";
    const char *bound = at_least ? "at least " : "";
    if (shown < hits)
        n = fprintf(f, "%s%llu matching %s, %u shown (%.1f ms)\n", bound,
                    (unsigned long long)hits, noun, (unsigned)shown, elapsed_ms);
    else
        n = fprintf(f, "%s%llu matching %s (%.1f ms)\n", bound, (unsigned long long)hits,
                    noun, elapsed_ms);
    return n < 0 ? bl_error_set(BL_EIO, "cannot write results") : 0;
}

int bl_output_json_error(FILE *f, const char *query, size_t len, const char *message)
{
    json_t *o = json_object();
    int bad = !o;
    put_sticky(o, "query", json_text(query, len), &bad);
    put_sticky(o, "error", json_text(message, message ? strlen(message) : 0), &bad);
    if (bad) {
        json_decref(o);
        return bl_error_set(BL_ENOMEM, "out of memory building JSON");
    }
    return write_json_line(f, o);
}

int bl_output_count_line(FILE *f, const uint64_t *count, const char *query, size_t len)
{
    char num[32];
    bl_buf b;
    int rc = 0;
    if (count)
        snprintf(num, sizeof num, "%llu\t", (unsigned long long)*count);
    else
        snprintf(num, sizeof num, "error\t");
    bl_buf_init(&b);
    if (bl_buf_append_str(&b, num) || append_clean(&b, query, query ? len : 0, 1) ||
        bl_buf_append_str(&b, "\n"))
        rc = bl_error_set(BL_ENOMEM, "out of memory printing results");
    else if (fwrite(b.data, 1, b.len, f) != b.len)
        rc = bl_error_set(BL_EIO, "cannot write results");
    bl_buf_release(&b);
    return rc;
}
