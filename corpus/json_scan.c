/* json_scan.c: a validating scan of one JSON text that records where a few
 * keys' values are (see json_scan.h).
 *
 * Recursive descent over the grammar of RFC 8259; objects and arrays
 * recurse (depth bounded by BL_JSON_MAX_DEPTH), so the C stack holds at
 * most that many small frames. Nearly all the bytes of a news line are
 * inside strings, so the string loop skips 8 plain bytes at a time.
 */
#include "json_scan.h"

#include <stdint.h>
#include <string.h>

#include "error.h"
#include "utf8.h"

typedef struct {
    const char *start, *p, *end;
    const char *const *keys;
    size_t nkeys;
    size_t key_len[BL_JSON_MAX_KEYS];
    unsigned dotted; /* bit i: keys[i] holds a dot, so it may be a path */
    /* Per key, the value of the top object's key spelled the same, and the
     * value found along the key's path through nested objects. */
    bl_json_value literal[BL_JSON_MAX_KEYS];
    bl_json_value path[BL_JSON_MAX_KEYS];
    const char *msg;
} scan;

static int fail(scan *s, const char *p, const char *msg)
{
    s->p = p;
    s->msg = msg;
    return -1;
}

static void skip_space(scan *s)
{
    const char *p = s->p;

    while (p < s->end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    s->p = p;
}

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* The first byte at or after p that is a quote, a backslash, a control
 * character or not ASCII; end if none. Eight bytes at a time: a byte of
 * x is zero exactly where (x - ONES) & ~x has its high bit set, when no
 * lower byte borrowed; a borrow comes only from a byte that is itself a
 * hit, so a word without a real hit never shows one. */
static const char *skip_plain(const char *p, const char *end)
{
    while (end - p >= 8) {
        uint64_t v, q, b, hit;

        memcpy(&v, p, 8);
        q = v ^ (ONES * '"');
        b = v ^ (ONES * '\\');
        hit = ((q - ONES) & ~q) | ((b - ONES) & ~b) | ((v - ONES * 0x20) & ~v) | v;
        if (hit & HIGHS)
            break;
        p += 8;
    }
    while (p < end) {
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80)
            break;
        p++;
    }
    return p;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The 4 hex digits at p (p + 4 <= end is the caller's), or -1. */
static long hex4(const char *p)
{
    long v = 0;

    for (int i = 0; i < 4; i++) {
        int d = hex_digit(p[i]);
        if (d < 0)
            return -1;
        v = v << 4 | d;
    }
    return v;
}

/* Checks the escape at p (a backslash) and returns what follows it, or
 * NULL after fail(). */
static const char *check_escape(scan *s, const char *p, int in_key)
{
    long cp, lo;

    if (s->end - p < 2)
        return fail(s, p, "unterminated string"), NULL;
    switch (p[1]) {
    case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
        return p + 2;
    case 'u':
        break;
    default:
        return fail(s, p, "invalid escape"), NULL;
    }
    if (s->end - p < 6 || (cp = hex4(p + 2)) < 0)
        return fail(s, p, "invalid \\u escape"), NULL;
    if (cp >= 0xDC00 && cp <= 0xDFFF)
        return fail(s, p, "unpaired surrogate in a \\u escape"), NULL;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (s->end - p < 12 || p[6] != '\\' || p[7] != 'u' || (lo = hex4(p + 8)) < 0 ||
            lo < 0xDC00 || lo > 0xDFFF)
            return fail(s, p, "unpaired surrogate in a \\u escape"), NULL;
        return p + 12;
    }
    if (cp == 0 && in_key)
        return fail(s, p, "NUL (\\u0000) in a key"), NULL;
    return p + 6;
}

/* A string whose opening quote is just before s->p; s->p ends past the
 * closing quote. */
static int string(scan *s, bl_json_value *v, int in_key)
{
    const char *p = s->p;
    int escaped = 0;

    v->raw = p;
    for (;;) {
        unsigned char c;

        p = skip_plain(p, s->end);
        if (p == s->end)
            return fail(s, v->raw - 1, "unterminated string");
        c = (unsigned char)*p;
        if (c == '"')
            break;
        if (c == '\\') {
            escaped = 1;
            if (!(p = check_escape(s, p, in_key)))
                return -1;
        } else if (c < 0x20) {
            return fail(s, p, "control character in a string (write it as an escape)");
        } else {
            uint32_t cp;
            size_t k = bl_utf8_decode((const uint8_t *)p, (size_t)(s->end - p), &cp, NULL);
            if (!k)
                return fail(s, p, "invalid UTF-8");
            p += k;
        }
    }
    v->kind = BL_JSON_STRING;
    v->len = (size_t)(p - v->raw);
    v->escaped = escaped;
    s->p = p + 1;
    return 0;
}

static int is_digit(const char *p, const char *end)
{
    return p < end && *p >= '0' && *p <= '9';
}

static const char *digits(const char *p, const char *end)
{
    while (is_digit(p, end))
        p++;
    return p;
}

static int number(scan *s, bl_json_value *v)
{
    const char *p = s->p, *end = s->end;
    int real = 0;

    v->raw = p;
    if (*p == '-')
        p++;
    if (!is_digit(p, end))
        return fail(s, p, "invalid number");
    p = *p == '0' ? p + 1 : digits(p, end);
    if (p < end && *p == '.') {
        real = 1;
        if (!is_digit(++p, end))
            return fail(s, p, "invalid number");
        p = digits(p, end);
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        real = 1;
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (!is_digit(p, end))
            return fail(s, p, "invalid number");
        p = digits(p, end);
    }
    v->kind = real ? BL_JSON_REAL : BL_JSON_INTEGER;
    v->len = (size_t)(p - v->raw);
    s->p = p;
    return 0;
}

static int word(scan *s, const char *w, bl_json_kind kind, bl_json_value *v)
{
    size_t n = strlen(w);

    if ((size_t)(s->end - s->p) < n || memcmp(s->p, w, n) != 0)
        return fail(s, s->p, "unexpected character");
    s->p += n;
    v->kind = kind;
    return 0;
}

/* Decodes the escape at *p (a backslash, checked by check_escape) into
 * out (at most 4 bytes) and moves *p past it; returns the byte count. */
static size_t decode_escape(const char **p, uint8_t *out)
{
    const char *e = *p;
    long cp, lo;

    *p = e + 2;
    switch (e[1]) {
    case 'b': out[0] = '\b'; return 1;
    case 'f': out[0] = '\f'; return 1;
    case 'n': out[0] = '\n'; return 1;
    case 'r': out[0] = '\r'; return 1;
    case 't': out[0] = '\t'; return 1;
    case 'u': break;
    default: out[0] = (uint8_t)e[1]; return 1; /* " \ / */
    }
    cp = hex4(e + 2);
    *p = e + 6;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        lo = hex4(e + 8);
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        *p = e + 12;
    }
    return bl_utf8_encode((uint32_t)cp, out);
}

/* Whether the key k (scanned) spells want[0 .. n). */
static int key_is(const bl_json_value *k, const char *want, size_t n)
{
    const char *p = k->raw, *end = k->raw + k->len;
    size_t at = 0;

    if (!k->escaped)
        return k->len == n && memcmp(k->raw, want, n) == 0;
    while (p < end) {
        uint8_t one[4];
        size_t m;

        if (*p != '\\') {
            one[0] = (uint8_t)*p++;
            m = 1;
        } else {
            m = decode_escape(&p, one);
        }
        if (m > n - at || memcmp(want + at, one, m) != 0)
            return 0;
        at += m;
    }
    return at == n;
}

/* The d-th dot-separated part of key i: *part and *n; 1 if it is the last
 * part, 0 if more follow, -1 if the key has fewer parts. */
static int key_part(const scan *s, size_t i, unsigned d, const char **part, size_t *n)
{
    const char *p = s->keys[i], *end = p + s->key_len[i], *dot;

    for (; d; d--) {
        dot = memchr(p, '.', (size_t)(end - p));
        if (!dot)
            return -1;
        p = dot + 1;
    }
    dot = memchr(p, '.', (size_t)(end - p));
    *part = p;
    *n = (size_t)((dot ? dot : end) - p);
    return dot == NULL;
}

static int value(scan *s, unsigned depth, unsigned paths, bl_json_value *v);

/* Opens an object or array whose opening bracket is just before s->p, at
 * nesting depth: 1 when items follow, 0 when close ends it at once, -1
 * after fail() (nested too deep). */
static int open_container(scan *s, unsigned depth, char close)
{
    if (depth > BL_JSON_MAX_DEPTH)
        return fail(s, s->p - 1, "objects and arrays nested too deep");
    skip_space(s);
    if (s->p < s->end && *s->p == close) {
        s->p++;
        return 0;
    }
    return 1;
}

/* After an item: 1 when a ',' says another follows, 0 when close ends the
 * container, -1 after fail(msg). */
static int after_item(scan *s, char close, const char *msg)
{
    skip_space(s);
    if (s->p < s->end && *s->p == ',') {
        s->p++;
        skip_space(s);
        return 1;
    }
    if (s->p < s->end && *s->p == close) {
        s->p++;
        return 0;
    }
    return fail(s, s->p, msg);
}

/* An object whose '{' is just before s->p, at nesting depth (the top
 * object is 1); bit i of paths: the object lies on keys[i]'s path, whose
 * part depth - 1 is matched against its keys. */
static int object(scan *s, unsigned depth, unsigned paths)
{
    int more = open_container(s, depth, '}');

    while (more > 0) {
        bl_json_value key, val = {0};
        unsigned literal = 0, last = 0, deeper = 0;

        if (s->p == s->end || *s->p != '"')
            return fail(s, s->p, "a key (a string in quotes) expected");
        s->p++;
        if (string(s, &key, 1))
            return -1;
        skip_space(s);
        if (s->p == s->end || *s->p != ':')
            return fail(s, s->p, "':' expected after a key");
        s->p++;
        skip_space(s);
        for (size_t i = 0; i < s->nkeys; i++) {
            const char *part;
            size_t n;
            int end;

            if (depth == 1 && key_is(&key, s->keys[i], s->key_len[i]))
                literal |= 1u << i;
            if (!(paths >> i & 1) || (end = key_part(s, i, depth - 1, &part, &n)) < 0 ||
                !key_is(&key, part, n))
                continue;
            if (end)
                last |= 1u << i;
            else
                deeper |= 1u << i;
        }
        /* A key given again replaces its earlier value, paths through it
         * included. */
        for (size_t i = 0; i < s->nkeys; i++)
            if (deeper >> i & 1)
                s->path[i].kind = BL_JSON_ABSENT;
        if (value(s, depth, deeper, &val))
            return -1;
        for (size_t i = 0; i < s->nkeys; i++) {
            if (literal >> i & 1)
                s->literal[i] = val;
            if (last >> i & 1)
                s->path[i] = val;
        }
        more = after_item(s, '}', "',' or '}' expected");
    }
    return more;
}

/* An array whose '[' is just before s->p. */
static int array(scan *s, unsigned depth)
{
    int more = open_container(s, depth, ']');

    while (more > 0) {
        bl_json_value val;

        if (value(s, depth, 0, &val))
            return -1;
        more = after_item(s, ']', "',' or ']' expected");
    }
    return more;
}

/* A value starting at s->p, inside a container at depth; paths as for
 * object() when the value is one. */
static int value(scan *s, unsigned depth, unsigned paths, bl_json_value *v)
{
    v->raw = s->p;
    v->len = 0;
    v->escaped = 0;
    if (s->p == s->end)
        return fail(s, s->p, "a value expected");
    switch (*s->p) {
    case '{':
        s->p++;
        v->kind = BL_JSON_OBJECT;
        return object(s, depth + 1, paths);
    case '[':
        s->p++;
        v->kind = BL_JSON_ARRAY;
        return array(s, depth + 1);
    case '"':
        s->p++;
        return string(s, v, 0);
    case 't':
        return word(s, "true", BL_JSON_TRUE, v);
    case 'f':
        return word(s, "false", BL_JSON_FALSE, v);
    case 'n':
        return word(s, "null", BL_JSON_NULL, v);
    case '-': case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9':
        return number(s, v);
    default:
        return fail(s, s->p, "unexpected character");
    }
}

int bl_json_scan(const char *p, size_t n, const char *const *keys, size_t nkeys,
                 bl_json_value *got, bl_json_error *err)
{
    scan s = {.start = p, .p = p, .end = p + n, .keys = keys, .nkeys = nkeys};
    bl_json_value top;
    int rc;

    if (nkeys > BL_JSON_MAX_KEYS)
        nkeys = s.nkeys = BL_JSON_MAX_KEYS;
    for (size_t i = 0; i < nkeys; i++) {
        s.key_len[i] = strlen(keys[i]);
        if (memchr(keys[i], '.', s.key_len[i]))
            s.dotted |= 1u << i;
    }
    memset(got, 0, nkeys * sizeof *got);
    skip_space(&s);
    if (s.p == s.end || (*s.p != '{' && *s.p != '['))
        rc = fail(&s, s.p, "'{' expected (a JSON object)");
    else
        rc = value(&s, 0, s.dotted, &top);
    if (rc == 0) {
        skip_space(&s);
        if (s.p != s.end)
            rc = fail(&s, s.p, "text after the end of the object");
    }
    if (rc) {
        err->msg = s.msg;
        err->offset = (size_t)(s.p - s.start);
        return BL_JSON_INVALID;
    }
    if (top.kind != BL_JSON_OBJECT)
        return BL_JSON_NOT_OBJECT;
    for (size_t i = 0; i < nkeys; i++)
        got[i] = s.literal[i].kind != BL_JSON_ABSENT ? s.literal[i] : s.path[i];
    return BL_JSON_OK;
}

int bl_json_unescape(const bl_json_value *v, bl_buf *out)
{
    const char *p = v->raw, *end = v->raw + v->len;
    uint8_t *o;

    bl_buf_clear(out);
    /* An escape never decodes to more bytes than it is written with. */
    if (bl_buf_reserve(out, v->len + 1))
        return bl_error_set(BL_ENOMEM, "out of memory unescaping a JSON string");
    o = out->data;
    while (p < end) {
        const char *bs = memchr(p, '\\', (size_t)(end - p));
        size_t plain = (size_t)((bs ? bs : end) - p);

        memcpy(o, p, plain);
        o += plain;
        p += plain;
        if (!bs)
            break;
        o += decode_escape(&p, o);
    }
    out->len = (size_t)(o - out->data);
    out->data[out->len] = 0;
    return 0;
}
