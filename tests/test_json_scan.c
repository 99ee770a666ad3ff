/* test_json_scan.c: the JSONL loader's scanner (corpus/json_scan.h), case
 * by case, then against jansson as an oracle on random and randomly broken
 * JSON: the same texts valid, the same values found. */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_oracle.h"
#include "json_scan.h"

static const char *const keys[] = {"id",  "title", "body",      "text",  "date",
                                   "url", "a.b.c", "meta.date", "meta.", "a.b"};
#define NKEYS (sizeof keys / sizeof keys[0])

static int scan_str(const char *text, bl_json_value *got, bl_json_error *err)
{
    return bl_json_scan(text, strlen(text), keys, NKEYS, got, err);
}

static int key_index(const char *k)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (!strcmp(keys[i], k))
            return (int)i;
    cr_assert_fail("no key %s", k);
    return -1;
}

/* got's value for k, unescaped if a string, as a NUL-terminated copy. */
static char *text_of(const bl_json_value *got, const char *k)
{
    const bl_json_value *v = &got[key_index(k)];
    bl_buf b;
    char *s;

    bl_buf_init(&b);
    if (v->kind == BL_JSON_STRING) {
        cr_assert_eq(bl_json_unescape(v, &b), 0);
    } else {
        cr_assert_eq(bl_buf_append(&b, v->raw, v->len), 0);
    }
    s = strndup((const char *)b.data, b.len);
    bl_buf_release(&b);
    return s;
}

static void expect_text(const bl_json_value *got, const char *k, bl_json_kind kind,
                        const char *want)
{
    char *s = text_of(got, k);

    cr_expect_eq(got[key_index(k)].kind, kind, "%s: kind %d", k, got[key_index(k)].kind);
    cr_expect_str_eq(s, want, "%s", k);
    free(s);
}

Test(json_scan, finds_top_level_values_of_every_kind)
{
    bl_json_value got[NKEYS];
    bl_json_error err;

    cr_assert_eq(scan_str(" {\"id\": -12, \"title\":\"T\\u00e9 \\\"q\\\"\", \"body\" : null,"
                          "\"text\":[1,{\"x\":2}], \"date\": 1.5e3, \"url\": true,"
                          "\"other\": {\"id\": \"inner\"}}\r\n",
                          got, &err),
                 BL_JSON_OK, "%s", err.msg);
    expect_text(got, "id", BL_JSON_INTEGER, "-12");
    expect_text(got, "title", BL_JSON_STRING, "T\xc3\xa9 \"q\"");
    cr_expect(got[key_index("title")].escaped);
    cr_expect_eq(got[key_index("body")].kind, BL_JSON_NULL);
    cr_expect_eq(got[key_index("text")].kind, BL_JSON_ARRAY);
    expect_text(got, "date", BL_JSON_REAL, "1.5e3");
    cr_expect_eq(got[key_index("url")].kind, BL_JSON_TRUE);
    cr_expect_eq(got[key_index("a.b")].kind, BL_JSON_ABSENT);
}

Test(json_scan, dotted_keys_literal_first_then_path_last_value_wins)
{
    bl_json_value got[NKEYS];
    bl_json_error err;

    cr_assert_eq(scan_str("{\"meta\": {\"date\": \"path\"}, \"meta.date\": \"literal\","
                          " \"a\": {\"b\": {\"c\": 5}}, \"a.b\": null}",
                          got, &err),
                 BL_JSON_OK);
    expect_text(got, "meta.date", BL_JSON_STRING, "literal");
    expect_text(got, "a.b.c", BL_JSON_INTEGER, "5");
    cr_expect_eq(got[key_index("a.b")].kind, BL_JSON_NULL);

    /* A key given again replaces the object its path went through. */
    cr_assert_eq(scan_str("{\"meta\": {\"date\": \"x\"}, \"meta\": {\"y\": 1}, "
                          "\"a\": {\"b\": {\"c\": 1}}, \"a\": 3, \"title\": \"1\", \"title\": \"2\"}",
                          got, &err),
                 BL_JSON_OK);
    cr_expect_eq(got[key_index("meta.date")].kind, BL_JSON_ABSENT);
    cr_expect_eq(got[key_index("a.b.c")].kind, BL_JSON_ABSENT);
    expect_text(got, "title", BL_JSON_STRING, "2");

    /* "meta." is the key "" of the object "meta"; a path stops at arrays. */
    cr_assert_eq(scan_str("{\"meta\": {\"\": \"empty key\"}, \"a\": [{\"b\": 1}]}", got, &err),
                 BL_JSON_OK);
    expect_text(got, "meta.", BL_JSON_STRING, "empty key");
    cr_expect_eq(got[key_index("a.b")].kind, BL_JSON_ABSENT);

    /* Keys match after unescaping, in the path too. */
    cr_assert_eq(scan_str("{\"\\u0074itle\": \"t\", \"m\\u0065ta\": {\"d\\u0061te\": 7}}", got,
                          &err),
                 BL_JSON_OK);
    expect_text(got, "title", BL_JSON_STRING, "t");
    expect_text(got, "meta.date", BL_JSON_INTEGER, "7");
}

Test(json_scan, escapes_decode_to_utf8)
{
    bl_json_value got[NKEYS];
    bl_json_error err;
    const char *t = "{\"title\": \"\\b\\f\\n\\r\\t\\/\\\\\\u0041\\u00e9\\u20ac\\ud83d\\ude00\\u0000.\"}";
    char *s;

    cr_assert_eq(scan_str(t, got, &err), BL_JSON_OK, "%s", err.msg);
    s = text_of(got, "title");
    cr_expect_eq(memcmp(s, "\b\f\n\r\t/\\A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 18), 0);
    free(s);
    /* text_of stops at the NUL: check the bytes after it via unescape. */
    bl_buf b;
    bl_buf_init(&b);
    cr_assert_eq(bl_json_unescape(&got[key_index("title")], &b), 0);
    cr_expect_eq(b.len, 19);
    cr_expect_eq(b.data[17], 0);
    cr_expect_eq(b.data[18], '.');
    bl_buf_release(&b);
}

static void expect_invalid(const char *text, size_t offset, const char *msg_part)
{
    bl_json_value got[NKEYS];
    bl_json_error err;

    cr_expect_eq(bl_json_scan(text, strlen(text), keys, NKEYS, got, &err), BL_JSON_INVALID,
                 "%s", text);
    cr_expect_eq(err.offset, offset, "%s: offset %zu (%s)", text, err.offset, err.msg);
    cr_expect(strstr(err.msg, msg_part), "%s: %s", text, err.msg);
}

Test(json_scan, refuses_what_is_not_json_saying_where)
{
    expect_invalid("", 0, "'{' expected");
    expect_invalid("\"just a string\"", 0, "'{' expected");
    expect_invalid("{\"a\": 1,}", 8, "a key");
    expect_invalid("{\"a\" 1}", 5, "':' expected");
    expect_invalid("{\"a\": 1 \"b\": 2}", 8, "',' or '}'");
    expect_invalid("{\"a\": [1 2]}", 9, "',' or ']'");
    expect_invalid("{\"a\": \"open}", 6, "unterminated string");
    expect_invalid("{\"a\": \"x\\q\"}", 8, "invalid escape");
    expect_invalid("{\"a\": \"\\u12g4\"}", 7, "invalid \\u escape");
    expect_invalid("{\"a\": \"\\udc00\"}", 7, "unpaired surrogate");
    expect_invalid("{\"a\": \"\\ud800\\u0041\"}", 7, "unpaired surrogate");
    expect_invalid("{\"a\": \"\\ud800\"}", 7, "unpaired surrogate");
    expect_invalid("{\"a\": \"\\udfff\\udfff\"}", 7, "unpaired surrogate");
    expect_invalid("{\"a\": \"\\udbff\\udbff\"}", 7, "unpaired surrogate");
    expect_invalid("{\"a\\u0000\": 1}", 3, "NUL");
    expect_invalid("{\"a\": \"tab\there\"}", 10, "control character");
    expect_invalid("{\"a\": \"\xc3\x28\"}", 7, "invalid UTF-8");
    expect_invalid("{\"a\": \"\xed\xa0\x80\"}", 7, "invalid UTF-8"); /* a surrogate */
    expect_invalid("{\"a\": \"\xc0\xaf\"}", 7, "invalid UTF-8");     /* overlong */
    expect_invalid("{\"a\": \"\xf4\x90\x80\x80\"}", 7, "invalid UTF-8"); /* > U+10FFFF */
    expect_invalid("{\"a\": 01}", 7, "',' or '}'");
    expect_invalid("{\"a\": 1.}", 8, "invalid number");
    expect_invalid("{\"a\": -}", 7, "invalid number");
    expect_invalid("{\"a\": 1e}", 8, "invalid number");
    expect_invalid("{\"a\": .5}", 6, "unexpected character");
    expect_invalid("{\"a\": tru}", 6, "unexpected character");
    expect_invalid("{\"a\": nul", 6, "unexpected character");
    expect_invalid("{\"a\": 1} x", 9, "text after");
    expect_invalid("{\"a\": 1}{}", 8, "text after");
    expect_invalid("{\"a\": 1", 7, "',' or '}'");
    expect_invalid("{\"a\": 1\f}", 7, "',' or '}'");
}

Test(json_scan, nesting_is_bounded)
{
    size_t depth = BL_JSON_MAX_DEPTH;
    char *t = malloc(2 * depth + 16);
    bl_json_value got[NKEYS];
    bl_json_error err;

    /* BL_JSON_MAX_DEPTH levels (the object and depth - 1 arrays): fine. */
    strcpy(t, "{\"a\":");
    memset(t + 5, '[', depth - 1);
    memset(t + 5 + depth - 1, ']', depth - 1);
    strcpy(t + 5 + 2 * (depth - 1), "}");
    cr_expect_eq(scan_str(t, got, &err), BL_JSON_OK);
    /* One more: refused where the extra level opens. */
    strcpy(t, "{\"a\":");
    memset(t + 5, '[', depth);
    memset(t + 5 + depth, ']', depth);
    strcpy(t + 5 + 2 * depth, "}");
    cr_expect_eq(scan_str(t, got, &err), BL_JSON_INVALID);
    cr_expect_eq(err.offset, 5 + depth - 1);
    cr_expect(strstr(err.msg, "too deep"));
    free(t);
}

/* Numbers are checked for syntax, not range: an id of 30 digits is kept. */
Test(json_scan, numbers_of_any_length)
{
    bl_json_value got[NKEYS];
    bl_json_error err;

    cr_assert_eq(scan_str("{\"id\": 123456789012345678901234567890, \"date\": -0.0e-400}", got,
                          &err),
                 BL_JSON_OK);
    expect_text(got, "id", BL_JSON_INTEGER, "123456789012345678901234567890");
    expect_text(got, "date", BL_JSON_REAL, "-0.0e-400");
}

/* Every special byte at every place around the 8-byte steps of the
 * string loop is seen. */
Test(json_scan, special_bytes_at_every_offset)
{
    char t[160], want[96];
    bl_json_value got[NKEYS];
    bl_json_error err;

    for (int at = 0; at < 40; at++) {
        for (int what = 0; what < 4; what++) {
            static const char *const ins[] = {"\\\"", "\x01", "\xc3\xa9", "\xff"};
            int n = snprintf(t, sizeof t, "{\"title\": \"%.*s%s%.*s\"}", at,
                             "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", ins[what], 40 - at,
                             "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
            int rc = bl_json_scan(t, (size_t)n, keys, NKEYS, got, &err);

            if (what == 1 || what == 3) {
                cr_expect_eq(rc, BL_JSON_INVALID, "at %d what %d", at, what);
                cr_expect_eq(err.offset, (size_t)(11 + at), "at %d what %d: %zu", at, what,
                             err.offset);
                continue;
            }
            cr_assert_eq(rc, BL_JSON_OK, "at %d what %d: %s", at, what, err.msg);
            snprintf(want, sizeof want, "%.*s%s%.*s", at,
                     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", what == 0 ? "\"" : ins[what],
                     40 - at, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
            expect_text(got, "title", BL_JSON_STRING, want);
        }
    }
}

/* ---- against jansson ---- */

typedef struct {
    char *p;
    size_t n, cap;
} text;

static void put(text *t, const char *s, size_t n)
{
    if (t->n + n + 1 > t->cap) {
        t->cap = (t->n + n + 1) * 2;
        t->p = realloc(t->p, t->cap);
        cr_assert_not_null(t->p);
    }
    memcpy(t->p + t->n, s, n);
    t->n += n;
    t->p[t->n] = 0;
}

static void puts_(text *t, const char *s) { put(t, s, strlen(s)); }

static uint64_t rng_state;

static uint32_t rnd(uint32_t n)
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)((rng_state >> 33) % n);
}

static void gen_string(text *t, int is_key)
{
    static const char *const key_words[] = {"id", "title", "body", "text", "date", "url",
                                            "meta", "a",  "b",    "c",    "meta.date", "",
                                            "\\u0074itle", "ti\\u0074le", "a.b", "x"};
    static const char *const pieces[] = {
        "word", " ", "\\n", "\\\"", "\\\\", "\\/", "\\u00e9", "\\u0000", "\\ud83d\\ude00",
        "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\\t", "\\b\\f\\r", "longer words here",
        ".", "\\u002e", "\\uD834\\uDD1E", "\\uDBFF\\uDFFF", "\\uD800\\uDC00"};

    puts_(t, "\"");
    if (is_key) {
        puts_(t, key_words[rnd(sizeof key_words / sizeof *key_words)]);
    } else {
        for (int i = (int)rnd(6); i > 0; i--)
            puts_(t, pieces[rnd(sizeof pieces / sizeof *pieces)]);
    }
    puts_(t, "\"");
}

static void gen_value(text *t, int depth)
{
    static const char *const numbers[] = {"0",      "-0",     "7",        "-12",
                                          "1.5",    "0.1",    "2e10",     "-3.25E-2",
                                          "1e+2",   "123456789012", "9223372036854775807",
                                          "-9223372036854775808", "0.0", "1E400"};
    uint32_t r = rnd(depth > 3 ? 6 : 8);

    switch (r) {
    case 0: puts_(t, "null"); break;
    case 1: puts_(t, rnd(2) ? "true" : "false"); break;
    case 2: case 3: gen_string(t, 0); break;
    case 4: case 5: puts_(t, numbers[rnd(sizeof numbers / sizeof *numbers)]); break;
    case 6: {
        puts_(t, "[");
        for (int i = (int)rnd(4); i > 0; i--) {
            gen_value(t, depth + 1);
            if (i > 1)
                puts_(t, rnd(8) ? "," : " , ");
        }
        puts_(t, "]");
        break;
    }
    default: {
        puts_(t, rnd(4) ? "{" : "{ ");
        for (int i = (int)rnd(5); i > 0; i--) {
            gen_string(t, 1);
            puts_(t, rnd(4) ? ":" : " :\t");
            gen_value(t, depth + 1);
            if (i > 1)
                puts_(t, ",");
        }
        puts_(t, "}");
    }
    }
}

/* Breaks t in one of several small ways. */
static void mutate(text *t)
{
    static const char bytes[] = "\"\\{}[],:0-e.+ u\x01\x80\xc3\xed\xff\tna";
    size_t at = t->n ? rnd((uint32_t)t->n) : 0;

    switch (rnd(4)) {
    case 0: /* delete a byte */
        if (t->n) {
            memmove(t->p + at, t->p + at + 1, t->n - at);
            t->n--;
        }
        break;
    case 1: /* replace one */
        if (t->n)
            t->p[at] = bytes[rnd(sizeof bytes - 1)];
        break;
    case 2: { /* insert one */
        char c = bytes[rnd(sizeof bytes - 1)];
        put(t, "", 0);
        put(t, " ", 1);
        memmove(t->p + at + 1, t->p + at, t->n - at - 1);
        t->p[at] = c;
        break;
    }
    default: /* cut the end */
        t->n = at;
        t->p[t->n] = 0;
    }
}

static void expect_same_value(const char *t, const char *key, json_t *want,
                              const bl_json_value *v)
{
    bl_buf b;

    if (!want) {
        cr_expect_eq(v->kind, BL_JSON_ABSENT, "%s: %s", t, key);
        return;
    }
    switch (json_typeof(want)) {
    case JSON_NULL: cr_expect_eq(v->kind, BL_JSON_NULL, "%s: %s", t, key); break;
    case JSON_TRUE: cr_expect_eq(v->kind, BL_JSON_TRUE, "%s: %s", t, key); break;
    case JSON_FALSE: cr_expect_eq(v->kind, BL_JSON_FALSE, "%s: %s", t, key); break;
    case JSON_OBJECT: cr_expect_eq(v->kind, BL_JSON_OBJECT, "%s: %s", t, key); break;
    case JSON_ARRAY: cr_expect_eq(v->kind, BL_JSON_ARRAY, "%s: %s", t, key); break;
    case JSON_STRING:
        cr_assert_eq(v->kind, BL_JSON_STRING, "%s: %s", t, key);
        bl_buf_init(&b);
        cr_assert_eq(bl_json_unescape(v, &b), 0);
        cr_expect(b.len == json_string_length(want) &&
                      memcmp(b.data, json_string_value(want), b.len) == 0,
                  "%s: %s", t, key);
        bl_buf_release(&b);
        break;
    case JSON_INTEGER: {
        char s[32], *raw = strndup(v->raw, v->len);
        cr_assert_eq(v->kind, BL_JSON_INTEGER, "%s: %s", t, key);
        snprintf(s, sizeof s, "%" JSON_INTEGER_FORMAT, json_integer_value(want));
        cr_expect(!strcmp(raw, s) || (!strcmp(raw, "-0") && !strcmp(s, "0")), "%s: %s", t, key);
        free(raw);
        break;
    }
    case JSON_REAL: {
        char *raw = strndup(v->raw, v->len);
        cr_assert_eq(v->kind, BL_JSON_REAL, "%s: %s", t, key);
        cr_expect(strtod(raw, NULL) == json_real_value(want), "%s: %s", t, key);
        free(raw);
        break;
    }
    }
}

static void against_jansson(text *t, int *nvalid, int *ninvalid)
{
    bl_json_value got[NKEYS];
    bl_json_error err;
    json_error_t jerr;
    json_t *j = json_loadb(t->p, t->n, JSON_ALLOW_NUL, &jerr);
    int rc = bl_json_scan(t->p, t->n, keys, NKEYS, got, &err);

    if (!j) {
        /* jansson refuses integers beyond 64 bits and reals beyond a
         * double; the scanner leaves ranges to its caller. */
        if (strstr(jerr.text, "too big") || strstr(jerr.text, "overflow"))
            return;
        cr_expect_eq(rc, BL_JSON_INVALID, "jansson: %s; scan said valid: [%s]", jerr.text, t->p);
        cr_expect_leq(err.offset, t->n);
        (*ninvalid)++;
        return;
    }
    (*nvalid)++;
    if (!json_is_object(j)) {
        cr_expect_eq(rc, BL_JSON_NOT_OBJECT, "[%s] (%s)", t->p, rc ? err.msg : "");
    } else {
        cr_expect_eq(rc, BL_JSON_OK, "[%s] (%s at %zu)", t->p, rc ? err.msg : "", err.offset);
        for (size_t i = 0; rc == BL_JSON_OK && i < NKEYS; i++)
            expect_same_value(t->p, keys[i], bl_test_json_lookup(j, keys[i]), &got[i]);
    }
    json_decref(j);
}

Test(json_scan, agrees_with_jansson_on_random_and_broken_json)
{
    text t = {0};
    int nvalid = 0, ninvalid = 0;

    rng_state = 20261203;
    for (int i = 0; i < 60000; i++) {
        t.n = 0;
        put(&t, "", 0);
        if (rnd(2))
            gen_value(&t, 1);
        else {
            puts_(&t, "{");
            for (int k = (int)rnd(6); k > 0; k--) {
                gen_string(&t, 1);
                puts_(&t, ":");
                gen_value(&t, 1);
                if (k > 1)
                    puts_(&t, ",");
            }
            puts_(&t, "}");
        }
        for (int m = i % 3 ? (int)rnd(3) : 0; m > 0; m--)
            mutate(&t);
        against_jansson(&t, &nvalid, &ninvalid);
    }
    free(t.p);
    /* Both sides of the comparison were exercised. */
    cr_expect_gt(nvalid, 20000);
    cr_expect_gt(ninvalid, 10000);
}
