/* output.c: search results as text for people and as JSON lines.
 *
 * Stored fields are bytes, not guaranteed UTF-8: before they reach JSON
 * (which must be valid UTF-8) or a terminal, each byte that is not UTF-8
 * is read as Windows-1252, as the tokenizer reads it; for the terminal,
 * control characters also become spaces so a stored title cannot move the
 * cursor or change colours.
 */
#include "output.h"

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
        /* Printable ASCII, most of any article, passes as a run. */
        size_t j = i;
        while (j < len && p[j] >= 0x20 && p[j] < 0x7F)
            j++;
        if (j > i) {
            if (bl_buf_append(b, p + i, j - i))
                return BL_ENOMEM;
            i = j;
            continue;
        }
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

/* ---- JSON ---------------------------------------------------------- */

/* JSON lines are written straight into a buffer, byte for byte what
 * jansson's json_dumps(JSON_COMPACT | JSON_PRESERVE_ORDER |
 * JSON_REAL_PRECISION(15)) writes for the same object (test_output holds
 * them to it): building jansson objects for every hit was a fifth of the
 * instructions of a --json query with snippets (callgrind, 60 queries of
 * bench/compare on a 200 MB index). */

static int put_raw(bl_buf *b, const char *s) { return bl_buf_append(b, s, strlen(s)); }

/* Appends s[0..len) as a JSON string: cleaned as append_clean does (bytes
 * that are not UTF-8 read as Windows-1252), then '"', '\\' and the C0
 * controls escaped as jansson escapes them. */
static int put_string(bl_buf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *p = (const unsigned char *)s;
    int rc = bl_buf_append(b, "\"", 1);
    size_t i = 0;
    while (!rc && i < len) {
        size_t j = i;
        while (j < len && p[j] >= 0x20 && p[j] < 0x80 && p[j] != '"' && p[j] != '\\')
            j++;
        if (j > i) {
            rc = bl_buf_append(b, p + i, j - i);
            i = j;
            continue;
        }
        uint32_t c = p[i];
        if (c < 0x80) {
            char esc[7] = {'\\', 0, 0, 0, 0, 0, 0};
            switch (c) {
            case '"': esc[1] = '"'; break;
            case '\\': esc[1] = '\\'; break;
            case '\b': esc[1] = 'b'; break;
            case '\f': esc[1] = 'f'; break;
            case '\n': esc[1] = 'n'; break;
            case '\r': esc[1] = 'r'; break;
            case '\t': esc[1] = 't'; break;
            default:
                memcpy(esc + 1, "u00", 3);
                esc[4] = hex[c >> 4];
                esc[5] = hex[c & 15];
            }
            rc = put_raw(b, esc);
            i++;
            continue;
        }
        size_t n = bl_utf8_decode(p + i, len - i, &c, NULL);
        if (n == 0) {
            c = bl_utf8_fallback(p[i]);
            n = 1;
        }
        uint8_t enc[BL_UTF8_MAX];
        rc = bl_buf_append(b, enc, bl_utf8_encode(c, enc));
        i += n;
    }
    return rc ? rc : bl_buf_append(b, "\"", 1);
}

/* "key": followed by a string, as above. */
static int put_key_string(bl_buf *b, const char *key, const char *s, size_t len)
{
    return put_raw(b, key) || put_string(b, s ? s : "", s ? len : 0) ? BL_ENOMEM : 0;
}

static int put_int(bl_buf *b, long long v)
{
    char num[32];
    snprintf(num, sizeof num, "%lld", v);
    return put_raw(b, num);
}

/* A real as jansson writes it: %.15g, ".0" added when that looks like an
 * integer, the exponent without '+' or leading zeros; null if not finite
 * (JSON has no NaN). */
static int put_real(bl_buf *b, double x)
{
    if (!isfinite(x))
        return put_raw(b, "null");
    char num[64];
    snprintf(num, sizeof num - 2, "%.15g", x);
    if (!strchr(num, '.') && !strchr(num, 'e'))
        strcat(num, ".0");
    char *e = strchr(num, 'e');
    if (e) {
        char *start = e + 1, *end = e + 2;
        if (*start == '-')
            start++;
        while (*end == '0')
            end++;
        if (end != start)
            memmove(start, end, strlen(end) + 1);
    }
    return put_raw(b, num);
}

/* Writes b and a newline to f and releases b. */
static int write_line(FILE *f, bl_buf *b, int rc)
{
    if (!rc)
        rc = bl_buf_append(b, "\n", 1);
    if (rc) {
        bl_buf_release(b);
        return bl_error_set(BL_ENOMEM, "out of memory building JSON");
    }
    int bad = fwrite(b->data, 1, b->len, f) != b->len;
    bl_buf_release(b);
    return bad ? bl_error_set(BL_EIO, "cannot write results") : 0;
}

/* "snippet": its text (with ** markers if marks is set), "highlights":
 * their code point ranges. */
static int put_snippet(bl_buf *b, const bl_snippet *s, int marks)
{
    const char *mark = marks ? MARK : "";
    bl_span *cp = calloc(s->nhighlights ? s->nhighlights : 1, sizeof *cp);
    size_t ncp = 0;
    bl_buf t;
    bl_buf_init(&t);
    int rc = !cp || (s->text && append_snippet(&t, s, mark, mark, 0, cp, &ncp));
    if (!rc)
        rc = put_key_string(b, ",\"snippet\":", (const char *)t.data, t.len) ||
             put_raw(b, ",\"highlights\":[");
    for (size_t i = 0; !rc && i < ncp; i++)
        rc = put_raw(b, i ? ",[" : "[") || put_int(b, (long long)cp[i].start) ||
             put_raw(b, ",") || put_int(b, (long long)cp[i].end) || put_raw(b, "]");
    if (!rc)
        rc = put_raw(b, "]");
    bl_buf_release(&t);
    free(cp);
    return rc ? BL_ENOMEM : 0;
}

int bl_output_json_hit(FILE *f, const bl_hit *h, unsigned style)
{
    static const bl_stored_doc empty_doc;
    static const bl_snippet empty_snippet;
    const bl_stored_doc *d = h->doc ? h->doc : &empty_doc;
    const bl_snippet *s = h->snippet ? h->snippet : &empty_snippet;
    bl_buf b;
    bl_buf_init(&b);
    /* Indexes built before ids were filled in store some empty. */
    const char *id = d->id_len ? d->id : d->source;
    size_t id_len = d->id_len ? d->id_len : d->source_len;
    int rc = put_raw(&b, "{\"rank\":") || put_int(&b, (long long)h->rank) ||
             put_raw(&b, ",\"score\":") || put_real(&b, h->score) ||
             put_key_string(&b, ",\"id\":", id, id_len) ||
             put_key_string(&b, ",\"title\":", d->title, d->title_len) ||
             put_key_string(&b, ",\"source\":", d->source, d->source_len) ||
             put_key_string(&b, ",\"date\":", d->date, d->date_len) ||
             put_key_string(&b, ",\"url\":", d->url, d->url_len) ||
             put_snippet(&b, s, (style & BL_OUT_MARKS) != 0) || put_raw(&b, "}");
    return write_line(f, &b, rc);
}

int bl_output_json_summary(FILE *f, const char *query, uint64_t hits, int at_least,
                           uint32_t returned, double elapsed_ms)
{
    long long nhits = hits > (uint64_t)INT64_MAX ? INT64_MAX : (long long)hits;
    /* Microseconds are the most a timing can honestly claim. */
    double ms = isfinite(elapsed_ms) ? round(elapsed_ms * 1000.0) / 1000.0 : elapsed_ms;
    bl_buf b;
    bl_buf_init(&b);
    int rc = put_key_string(&b, "{\"query\":", query, query ? strlen(query) : 0) ||
             put_raw(&b, ",\"hits\":") || put_int(&b, nhits) ||
             put_raw(&b, at_least ? ",\"hits_relation\":\"gte\"" : ",\"hits_relation\":\"eq\"") ||
             put_raw(&b, ",\"returned\":") || put_int(&b, (long long)returned) ||
             put_raw(&b, ",\"elapsed_ms\":") || put_real(&b, ms) || put_raw(&b, "}");
    return write_line(f, &b, rc);
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
    bl_buf b;
    bl_buf_init(&b);
    int rc = put_key_string(&b, "{\"query\":", query, len) ||
             put_key_string(&b, ",\"error\":", message, message ? strlen(message) : 0) ||
             put_raw(&b, "}");
    return write_line(f, &b, rc);
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
