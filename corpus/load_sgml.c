/* load_sgml.c: Reuters-21578 SGML, one article per record:
 *
 *   <REUTERS ... NEWID="1">
 *     <DATE>26-FEB-1987 15:01:01.79</DATE> ...
 *     <TEXT>&#2;
 *       <TITLE>...</TITLE> <DATELINE>...</DATELINE><BODY>...</BODY>
 *     </TEXT>
 *   </REUTERS>
 *
 * <TEXT TYPE="BRIEF"> holds only a TITLE (its body is a placeholder);
 * <TEXT TYPE="UNPROC"> holds raw text with no inner markup, which becomes
 * the article's text. The file is read whole (up to BL_LOAD_MAX_FILE).
 * Entities are decoded; bytes that are not entities pass through as they
 * are, invalid UTF-8 included. A record with no </REUTERS> before the next
 * <REUTERS> or the end of the file is bad, reported at its first line; so
 * is one whose DATE, TEXT, TITLE, DATELINE or BODY is not closed inside it
 * (its text would be lost without a word). */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "error.h"
#include "utf8.h"
#include "load_internal.h"

typedef struct {
    const char *p, *end;
} range;

typedef struct {
    bl_load_ctx *lc;
    const char *path;
    bl_buf out; /* decoded fields of the current record */
    bl_buf source; /* "PATH:LINE" of the current record */
} sgml;

/* Finds needle in [p, end), or NULL. */
static const char *find(const char *p, const char *end, const char *needle)
{
    size_t n = strlen(needle);

    while ((size_t)(end - p) >= n) {
        const char *c = memchr(p, needle[0], (size_t)(end - p) - n + 1);
        if (!c)
            return NULL;
        if (memcmp(c, needle, n) == 0)
            return c;
        p = c + 1;
    }
    return NULL;
}

/* Finds the start tag "<NAME" (followed by '>' or whitespace) in [p, end). */
static const char *find_open(const char *p, const char *end, const char *name)
{
    size_t n = strlen(name);

    for (;;) {
        const char *c = find(p, end, "<");
        if (!c)
            return NULL;
        if ((size_t)(end - c) > n + 1 && memcmp(c + 1, name, n) == 0 &&
            (c[n + 1] == '>' || bl_load_isspace((unsigned char)c[n + 1])))
            return c;
        p = c + 1;
    }
}

/* Finds element NAME in [p, end): its attributes (between the name and
 * '>') and its content. Returns 0 if absent or unclosed. */
static int element(const char *p, const char *end, const char *name,
                   range *attrs, range *content)
{
    char close[32];
    const char *open = find_open(p, end, name), *gt, *stop;

    if (!open)
        return 0;
    gt = memchr(open, '>', (size_t)(end - open));
    if (!gt)
        return 0;
    snprintf(close, sizeof close, "</%s>", name);
    stop = find(gt + 1, end, close);
    if (!stop)
        return 0;
    if (attrs) {
        attrs->p = open + 1 + strlen(name);
        attrs->end = gt;
    }
    content->p = gt + 1;
    content->end = stop;
    return 1;
}

/* Is there a start tag "<NAME" in [p, end) without its '>' or its
 * "</NAME>" after it? */
static int unclosed(const char *p, const char *end, const char *name)
{
    range content;
    const char *open = find_open(p, end, name);

    return open && !element(open, end, name, NULL, &content);
}

/* The first element of the record [p, end) that is opened but not closed
 * (TITLE, DATELINE and BODY inside TEXT), or NULL. */
static const char *unclosed_element(const char *p, const char *end)
{
    static const char *const outer[] = {"DATE", "TEXT"};
    static const char *const inner[] = {"TITLE", "DATELINE", "BODY"};
    range attrs, text;

    for (size_t i = 0; i < sizeof outer / sizeof outer[0]; i++)
        if (unclosed(p, end, outer[i]))
            return outer[i];
    if (!element(p, end, "TEXT", &attrs, &text))
        return NULL;
    for (size_t i = 0; i < sizeof inner / sizeof inner[0]; i++)
        if (unclosed(text.p, text.end, inner[i]))
            return inner[i];
    return NULL;
}

/* Finds attribute NAME (any case) in an attribute list; its value is
 * quoted with " or ', or unquoted up to whitespace. */
static int attribute(range attrs, const char *name, range *value)
{
    const char *p = attrs.p, *end = attrs.end;
    size_t n = strlen(name);

    while (p < end) {
        const char *key;
        size_t key_len;

        while (p < end && bl_load_isspace((unsigned char)*p))
            p++;
        key = p;
        while (p < end && *p != '=' && !bl_load_isspace((unsigned char)*p))
            p++;
        key_len = (size_t)(p - key);
        while (p < end && bl_load_isspace((unsigned char)*p))
            p++;
        if (p < end && *p == '=') {
            p++;
            while (p < end && bl_load_isspace((unsigned char)*p))
                p++;
            if (p < end && (*p == '"' || *p == '\'')) {
                const char *q = memchr(p + 1, *p, (size_t)(end - p - 1));
                value->p = p + 1;
                value->end = q ? q : end;
                p = q ? q + 1 : end;
            } else {
                value->p = p;
                while (p < end && !bl_load_isspace((unsigned char)*p))
                    p++;
                value->end = p;
            }
        } else {
            value->p = value->end = p; /* a bare name */
        }
        if (key_len == n && strncasecmp(key, name, n) == 0)
            return 1;
    }
    return 0;
}

/* Decodes the entity at p (p[0] == '&') into d; returns the bytes of
 * input it used, or 0 if it is not an entity (the '&' stays as it is). */
static size_t entity(const char *p, const char *end, char *d, size_t *dlen)
{
    static const struct {
        const char *name;
        char c;
    } named[] = {{"lt;", '<'}, {"gt;", '>'}, {"amp;", '&'}, {"quot;", '"'},
                 {"apos;", '\''}};
    size_t left = (size_t)(end - p) - 1;
    unsigned long c = 0;
    size_t i = 2, digits = 0;
    int hex;

    for (size_t k = 0; k < sizeof named / sizeof named[0]; k++) {
        size_t n = strlen(named[k].name);
        if (left >= n && memcmp(p + 1, named[k].name, n) == 0) {
            d[0] = named[k].c;
            *dlen = 1;
            return n + 1;
        }
    }
    if (left < 3 || p[1] != '#')
        return 0;
    hex = p[2] == 'x' || p[2] == 'X';
    i += (size_t)hex;
    for (; p + i < end && digits < 8; i++, digits++) {
        int ch = (unsigned char)p[i];
        if (ch >= '0' && ch <= '9')
            c = c * (hex ? 16 : 10) + (unsigned long)(ch - '0');
        else if (hex && ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'f'))
            c = c * 16 + (unsigned long)((ch | 0x20) - 'a' + 10);
        else
            break;
    }
    if (digits == 0 || p + i >= end || p[i] != ';')
        return 0;
    if (c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return 0;
    if (c < 0x20 || (c >= 0x7F && c < 0xA0)) /* control characters */
        c = ' ';
    *dlen = bl_utf8_encode((uint32_t)c, (uint8_t *)d);
    return i + 1;
}

/* Appends [r.p, r.end) to out with entities decoded and the result
 * trimmed. Returns the decoded span's offset, or -1 on ENOMEM. */
static int decode(bl_buf *out, range r, size_t *off, size_t *len)
{
    size_t start = out->len;
    const char *p = r.p;

    *off = start;
    *len = 0;
    if (r.p == r.end)
        return 0;
    if (bl_buf_reserve(out, (size_t)(r.end - r.p)))
        return -1;
    while (p < r.end) {
        const char *amp = memchr(p, '&', (size_t)(r.end - p));
        const char *stop = amp ? amp : r.end;
        char d[4];
        size_t dlen, used;

        memcpy(out->data + out->len, p, (size_t)(stop - p));
        out->len += (size_t)(stop - p);
        if (!amp)
            break;
        used = entity(amp, r.end, d, &dlen);
        if (used == 0) {
            out->data[out->len++] = '&';
            p = amp + 1;
        } else {
            /* Decoded never longer than its entity ("&#N;" >= 4 bytes
             * for each 4 bytes of UTF-8), so the reservation holds. */
            memcpy(out->data + out->len, d, dlen);
            out->len += dlen;
            p = amp + used;
        }
    }
    {
        const char *s = (const char *)out->data + start;
        size_t n = out->len - start;
        bl_load_trim(&s, &n);
        *off = (size_t)(s - (const char *)out->data);
        *len = n;
    }
    return 0;
}

static int ascii_digits(const char *p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return 0;
        v = v * 10 + (p[i] - '0');
    }
    *out = v;
    return 1;
}

/* Rewrites "26-FEB-1987 15:01:01.79" (after trimming; anything after the
 * seconds is ignored) as "1987-02-26T15:01:01" into iso (20 bytes).
 * Returns the length, or 0 if the date does not parse. */
static size_t iso_date(const char *s, size_t n, char *iso)
{
    static const char months[] = "JANFEBMARAPRMAYJUNJULAUGSEPOCTNOVDEC";
    const char *end = s + n;
    int day = 0, month = 0, year, h, m, sec;
    size_t dl = 0;

    while (dl < 2 && s + dl < end && s[dl] >= '0' && s[dl] <= '9')
        dl++;
    if (dl == 0 || !ascii_digits(s, (int)dl, &day) || end - s < (ptrdiff_t)dl + 9)
        return 0;
    s += dl;
    if (s[0] != '-' || s[4] != '-')
        return 0;
    for (int i = 0; i < 12; i++)
        if (strncasecmp(s + 1, months + 3 * i, 3) == 0)
            month = i + 1;
    if (!month || !ascii_digits(s + 5, 4, &year) || day < 1 || day > 31)
        return 0;
    s += 9;
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    if (end - s >= 8 && s[2] == ':' && s[5] == ':' && ascii_digits(s, 2, &h) &&
        ascii_digits(s + 3, 2, &m) && ascii_digits(s + 6, 2, &sec) && h < 24 &&
        m < 60 && sec < 61)
        return (size_t)snprintf(iso, 20, "%04d-%02d-%02dT%02d:%02d:%02d", year,
                                month, day, h, m, sec);
    return (size_t)snprintf(iso, 20, "%04d-%02d-%02d", year, month, day);
}

/* Turns line breaks and tabs in a title into spaces. */
static void flatten(bl_buf *out, size_t off, size_t len)
{
    for (size_t i = off; i < off + len; i++)
        if (out->data[i] == '\n' || out->data[i] == '\r' || out->data[i] == '\t')
            out->data[i] = ' ';
}

/* Appends the text of a story: DATELINE, a space, BODY, decoded one after
 * the other and then the body moved up against the dateline. */
static int story(bl_buf *out, range text, size_t *off, size_t *len)
{
    size_t dl_off = 0, dl_len = 0, b_off, b_len;
    range r;

    if (element(text.p, text.end, "DATELINE", NULL, &r) &&
        decode(out, r, &dl_off, &dl_len))
        return -1;
    *off = dl_off;
    *len = dl_len;
    if (!element(text.p, text.end, "BODY", NULL, &r))
        return 0;
    if (bl_buf_put_u8(out, ' ') || decode(out, r, &b_off, &b_len))
        return -1;
    if (dl_len == 0) {
        *off = b_off;
        *len = b_len;
    } else if (b_len) {
        memmove(out->data + dl_off + dl_len + 1, out->data + b_off, b_len);
        out->data[dl_off + dl_len] = ' ';
        *len = dl_len + 1 + b_len;
    }
    return 0;
}

/* Parses the record [rec, close) that starts on line `line` and emits it. */
static int record(sgml *g, const char *rec, const char *close, uint64_t line)
{
    range attrs, text, type, r, id = {NULL, NULL};
    size_t id_off = 0, id_len = 0, t_off = 0, t_len = 0, x_off = 0, x_len = 0;
    size_t d_off = 0, d_len = 0;
    char iso[20];
    bl_article a;
    const char *gt = memchr(rec, '>', (size_t)(close - rec));
    const char *open;
    int brief = 0, unproc = 0;

    if (!gt)
        return bl_load_bad(g->lc, bl_error_set(BL_EFORMAT,
                                               "%s:%llu: <REUTERS> tag not closed "
                                               "by '>'",
                                               g->path, (unsigned long long)line));
    open = unclosed_element(gt + 1, close);
    if (open)
        return bl_load_bad(g->lc, bl_error_set(BL_EFORMAT,
                                               "%s:%llu: <%s> not closed by </%s> "
                                               "inside its record",
                                               g->path, (unsigned long long)line,
                                               open, open));
    bl_buf_clear(&g->out);
    if (bl_buf_reserve(&g->out, 256)) /* so data is never NULL below */
        goto nomem;
    attrs.p = rec + 8;
    attrs.end = gt;
    if (attribute(attrs, "NEWID", &id) &&
        decode(&g->out, id, &id_off, &id_len))
        goto nomem;

    if (element(gt + 1, close, "DATE", NULL, &r)) {
        if (decode(&g->out, r, &d_off, &d_len))
            goto nomem;
    }
    if (element(gt + 1, close, "TEXT", &attrs, &text)) {
        if (attribute(attrs, "TYPE", &type)) {
            size_t n = (size_t)(type.end - type.p);
            brief = n == 5 && strncasecmp(type.p, "BRIEF", 5) == 0;
            unproc = n == 6 && strncasecmp(type.p, "UNPROC", 6) == 0;
        }
        if (!unproc && element(text.p, text.end, "TITLE", NULL, &r)) {
            if (decode(&g->out, r, &t_off, &t_len))
                goto nomem;
            flatten(&g->out, t_off, t_len);
        }
        if (unproc) {
            if (decode(&g->out, text, &x_off, &x_len))
                goto nomem;
        } else if (!brief && story(&g->out, text, &x_off, &x_len)) {
            goto nomem;
        }
    }
    /* A record with a NEWID and an empty TEXT (NEWID 12793) is still an
     * article: bl_load_emit warns about it and keeps it for its id. */
    memset(&a, 0, sizeof a);
    a.id = (const char *)g->out.data + id_off;
    a.id_len = id_len;
    a.title = (const char *)g->out.data + t_off;
    a.title_len = t_len;
    a.text = (const char *)g->out.data + x_off;
    a.text_len = x_len;
    if (bl_load_source(&g->source, g->path, line, &a))
        goto nomem;
    if (d_len) {
        const char *d = (const char *)g->out.data + d_off;
        size_t n = iso_date(d, d_len, iso);
        a.date = n ? iso : d;
        a.date_len = n ? n : d_len;
    }
    return bl_load_emit(g->lc, &a);

nomem:
    return bl_error_set(BL_ENOMEM, "%s: out of memory", g->path);
}

static uint64_t count_lines(const char *p, const char *end)
{
    uint64_t n = 0;

    while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        n++;
        p++;
    }
    return n;
}

int bl_load_sgml(bl_load_ctx *lc, bl_input *in)
{
    sgml g = {.lc = lc, .path = in->path};
    bl_buf file;
    const char *p, *end, *counted, *close_at = NULL;
    uint64_t line = 1;
    int rc, records = 0;

    bl_buf_init(&file);
    bl_buf_init(&g.out);
    bl_buf_init(&g.source);
    rc = bl_input_slurp(in, &file);
    if (rc || file.len == 0)
        goto done;
    p = counted = (const char *)file.data;
    end = p + file.len;
    for (;;) {
        const char *rec = find_open(p, end, "REUTERS"), *close, *next;

        if (!rec)
            break;
        records++;
        line += count_lines(counted, rec);
        counted = rec;
        /* Searched again only once passed, so that many unterminated
         * records cannot make the scan quadratic; end stands for none. */
        if (!close_at || close_at < rec) {
            close_at = find(rec, end, "</REUTERS>");
            if (!close_at)
                close_at = end;
        }
        close = close_at == end ? NULL : close_at;
        next = find_open(rec + 8, close ? close : end, "REUTERS");
        if (!close || next) {
            rc = bl_load_bad(lc, bl_error_set(BL_EFORMAT,
                                              "%s:%llu: unterminated <REUTERS> "
                                              "record (no </REUTERS> before %s)",
                                              g.path, (unsigned long long)line,
                                              next ? "the next record"
                                                   : "the end of the file"));
            if (rc || !next)
                goto done;
            p = next;
            continue;
        }
        rc = record(&g, rec, close, line);
        if (rc)
            goto done;
        p = close + strlen("</REUTERS>");
    }
    if (records == 0 && in->seen_text)
        rc = bl_error_set(BL_EFORMAT, "%s: no <REUTERS> record", g.path);
done:
    bl_buf_release(&file);
    bl_buf_release(&g.out);
    bl_buf_release(&g.source);
    return rc;
}
