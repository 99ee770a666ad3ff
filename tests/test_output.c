/* test_output.c: text and JSON-lines result output. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer.h"
#include "helpers.h"
#include "output.h"
#include "query.h"
#include "snippet.h"

/* Output captured in memory. */
typedef struct {
    FILE *f;
    char *data;
    size_t len;
} capture;

static void cap_open(capture *c)
{
    c->data = NULL;
    c->len = 0;
    c->f = open_memstream(&c->data, &c->len);
    cr_assert_not_null(c->f);
}

/* Closes the stream; c->data then holds everything written. */
static void cap_close(capture *c)
{
    cr_assert_eq(fclose(c->f), 0);
    c->f = NULL;
}

/* Parses line number n (0-based) of c as JSON. */
static json_t *json_line(const capture *c, int n)
{
    const char *p = c->data;
    for (int i = 0; i < n; i++) {
        p = strchr(p, '\n');
        cr_assert_not_null(p, "no line %d", n);
        p++;
    }
    const char *end = strchr(p, '\n');
    cr_assert_not_null(end, "line %d has no newline", n);
    json_error_t err;
    json_t *j = json_loadb(p, (size_t)(end - p), JSON_ALLOW_NUL, &err);
    cr_assert_not_null(j, "line %d is not JSON: %s: %.*s", n, err.text, (int)(end - p), p);
    return j;
}

static int count_lines(const capture *c)
{
    int n = 0;
    for (size_t i = 0; i < c->len; i++)
        n += c->data[i] == '\n';
    return n;
}

static bl_stored_doc doc_of(const char *id, const char *title, const char *source,
                            const char *date)
{
    bl_stored_doc d;
    memset(&d, 0, sizeof d);
    d.id = id, d.id_len = strlen(id);
    d.title = title, d.title_len = strlen(title);
    d.source = source, d.source_len = strlen(source);
    d.date = date, d.date_len = strlen(date);
    return d;
}

/* A snippet of text for query, made by the real analyzer and parser. */
static void snippet_of(const char *query, const char *text, bl_snippet *sn)
{
    bl_analyzer *a;
    bl_qnode *q;
    size_t err;
    cr_assert_eq(bl_analyzer_new(&a, "english"), 0);
    cr_assert_eq(bl_query_parse(query, a, NULL, &q, &err), 0);
    cr_assert_eq(bl_snippet_make(a, q, text, strlen(text), 0, sn), 0);
    bl_qnode_free(q);
    bl_analyzer_free(a);
}

Test(output, json_hit_keys_in_order)
{
    bl_stored_doc d = doc_of("a-17", "Wagner returns", "Reuters", "2023-06-24");
    bl_snippet sn;
    snippet_of("wagner", "Yesterday Wagner troops returned; Wagner said so.", &sn);
    bl_hit h = {.rank = 3, .score = 12.34567, .doc = &d, .snippet = &sn};
    capture c;
    cap_open(&c);
    cr_assert_eq(bl_output_json_hit(c.f, &h, 0), 0);
    cap_close(&c);
    cr_assert_eq(count_lines(&c), 1);

    /* Key order as written, before parsing. */
    const char *keys[] = {"\"rank\":", "\"score\":", "\"id\":", "\"title\":", "\"source\":",
                          "\"date\":", "\"url\":", "\"snippet\":", "\"highlights\":"};
    const char *prev = c.data;
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        const char *at = strstr(c.data, keys[i]);
        cr_assert_not_null(at, "missing %s in %s", keys[i], c.data);
        cr_assert_geq(at, prev, "%s out of order: %s", keys[i], c.data);
        prev = at;
    }

    json_t *j = json_line(&c, 0);
    cr_assert_eq(json_object_size(j), 9);
    cr_assert_eq(json_integer_value(json_object_get(j, "rank")), 3);
    cr_assert(json_is_real(json_object_get(j, "score")));
    cr_assert_float_eq(json_real_value(json_object_get(j, "score")), 12.34567, 1e-9);
    cr_assert_str_eq(json_string_value(json_object_get(j, "id")), "a-17");
    cr_assert_str_eq(json_string_value(json_object_get(j, "title")), "Wagner returns");
    cr_assert_str_eq(json_string_value(json_object_get(j, "source")), "Reuters");
    cr_assert_str_eq(json_string_value(json_object_get(j, "date")), "2023-06-24");
    const char *snip = json_string_value(json_object_get(j, "snippet"));
    cr_assert_str_eq(snip, sn.text);

    /* Highlights are ranges inside the snippet string (ASCII here, so
     * code points and bytes agree). */
    json_t *hl = json_object_get(j, "highlights");
    cr_assert(json_is_array(hl));
    cr_assert_eq(json_array_size(hl), 2);
    for (size_t i = 0; i < json_array_size(hl); i++) {
        json_t *pair = json_array_get(hl, i);
        cr_assert_eq(json_array_size(pair), 2);
        json_int_t s = json_integer_value(json_array_get(pair, 0));
        json_int_t e = json_integer_value(json_array_get(pair, 1));
        cr_assert(0 <= s && s < e && (size_t)e <= strlen(snip));
        cr_assert_eq(e - s, 6);
        cr_assert_eq(strncmp(snip + s, "Wagner", 6), 0);
    }
    json_decref(j);
    free(c.data);
    bl_snippet_release(&sn);
}

/* Indexes made before ids were filled in store empty ones: the id shown
 * is then the source, so a JSON id is never empty. */
Test(output, json_id_falls_back_to_the_source)
{
    bl_stored_doc d = doc_of("", "Old article", "news/old.txt", "");
    bl_hit h = {.rank = 1, .score = 1.0, .doc = &d, .snippet = NULL};
    capture c;
    cap_open(&c);
    cr_assert_eq(bl_output_json_hit(c.f, &h, 0), 0);
    cap_close(&c);
    json_t *j = json_line(&c, 0);
    cr_assert_str_eq(json_string_value(json_object_get(j, "id")), "news/old.txt");
    cr_assert_str_eq(json_string_value(json_object_get(j, "source")), "news/old.txt");
    json_decref(j);
    free(c.data);
}

Test(output, json_escapes_and_invalid_utf8)
{
    const char title[] = "He said \"no\" \\ then\nleft\t\x01\x1f \xFF M\xFCnchen \xE2\x82 \xC3\xA9t\xC3\xA9 \xF0\x9F\x93\xB0";
    bl_stored_doc d = doc_of("id\"1\\", title, "So\xC0urce", "");
    d.date = NULL; /* empty fields may be NULL */
    bl_hit h = {.rank = 1, .score = 0.1, .doc = &d, .snippet = NULL};
    capture c;
    cap_open(&c);
    cr_assert_eq(bl_output_json_hit(c.f, &h, 0), 0);
    cap_close(&c);
    cr_assert_eq(count_lines(&c), 1, "raw newline leaked: %s", c.data);
    cr_assert_not_null(strstr(c.data, "\"score\":0.1,"), "%s", c.data);

    json_t *j = json_line(&c, 0);
    cr_assert_str_eq(json_string_value(json_object_get(j, "id")), "id\"1\\");
    cr_assert_str_eq(json_string_value(json_object_get(j, "title")),
                     "He said \"no\" \\ then\nleft\t\x01\x1f \xC3\xBF M\xC3\xBCnchen "
                     "\xC3\xA2\xE2\x80\x9A \xC3\xA9t\xC3\xA9 \xF0\x9F\x93\xB0");
    cr_assert_str_eq(json_string_value(json_object_get(j, "source")),
                     "So\xC3\x80urce");
    cr_assert_str_eq(json_string_value(json_object_get(j, "date")), "");
    cr_assert_str_eq(json_string_value(json_object_get(j, "snippet")), "");
    cr_assert_eq(json_array_size(json_object_get(j, "highlights")), 0);
    json_decref(j);
    free(c.data);
}

Test(output, json_nul_and_nonfinite_score)
{
    const char title[] = "a\0b";
    bl_stored_doc d = doc_of("x", "", "", "");
    d.title = title, d.title_len = 3;
    bl_hit h = {.rank = 2, .score = NAN, .doc = &d, .snippet = NULL};
    capture c;
    cap_open(&c);
    cr_assert_eq(bl_output_json_hit(c.f, &h, 0), 0);
    cap_close(&c);
    json_t *j = json_line(&c, 0);
    json_t *t = json_object_get(j, "title");
    cr_assert_eq(json_string_length(t), 3);
    cr_assert_eq(memcmp(json_string_value(t), "a\0b", 3), 0);
    cr_assert(json_is_null(json_object_get(j, "score")));
    json_decref(j);
    free(c.data);
}

Test(output, json_summary)
{
    capture c;
    cap_open(&c);
    cr_assert_eq(bl_output_json_summary(c.f, "\"north korea\" -patriot \xFF", 123456789012ULL,
                                        0, 10, 12.3456789),
                 0);
    cr_assert_eq(bl_output_json_summary(c.f, NULL, 0, 0, 0, 0.0), 0);
    cr_assert_eq(bl_output_json_summary(c.f, "oil", 1000, 1, 10, 1.0), 0);
    cap_close(&c);
    cr_assert_eq(count_lines(&c), 3);
    cr_assert_eq(strncmp(c.data, "{\"query\":", 9), 0, "%s", c.data);

    json_t *j = json_line(&c, 0);
    cr_assert_eq(json_object_size(j), 5);
    cr_assert_str_eq(json_string_value(json_object_get(j, "query")),
                     "\"north korea\" -patriot \xC3\xBF");
    cr_assert_eq(json_integer_value(json_object_get(j, "hits")), 123456789012LL);
    cr_assert_str_eq(json_string_value(json_object_get(j, "hits_relation")), "eq");
    cr_assert_eq(json_integer_value(json_object_get(j, "returned")), 10);
    cr_assert_float_eq(json_number_value(json_object_get(j, "elapsed_ms")), 12.346, 1e-9);
    json_decref(j);

    j = json_line(&c, 1);
    cr_assert_str_eq(json_string_value(json_object_get(j, "query")), "");
    cr_assert_eq(json_integer_value(json_object_get(j, "hits")), 0);
    json_decref(j);

    /* a lower bound: hits, then its relation */
    cr_assert(strstr(c.data, "{\"query\":\"oil\",\"hits\":1000,\"hits_relation\":\"gte\","),
              "%s", c.data);
    free(c.data);
}

Test(output, text_hit_markers)
{
    bl_stored_doc d = doc_of("a1", "Budget talks", "AP", "2024-01-05");
    bl_snippet sn;
    snippet_of("budget", "The budget grew.\nAnother budget line.", &sn);
    bl_hit h = {.rank = 1, .score = 3.14159265, .doc = &d, .snippet = &sn};

    /* Each style, and style 0 (--color never) plain, with no markup. */
    static const struct {
        unsigned style;
        const char *snippet;
    } want[] = {
        {0, "The budget grew. Another budget line."},
        {BL_OUT_MARKS, "The **budget** grew. Another **budget** line."},
        {BL_OUT_BOLD, "The \033[1mbudget\033[0m grew. Another \033[1mbudget\033[0m line."},
        {BL_OUT_BOLD | BL_OUT_MARKS,
         "The **\033[1mbudget\033[0m** grew. Another **\033[1mbudget\033[0m** line."},
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        char expect[256];
        snprintf(expect, sizeof expect,
                 "1. Budget talks  (score 3.1416)\n   AP  2024-01-05\n   %s\n\n", want[i].snippet);
        capture c;
        cap_open(&c);
        cr_assert_eq(bl_output_text_hit(c.f, &h, want[i].style), 0);
        cap_close(&c);
        cr_expect_str_eq(c.data, expect, "style %u", want[i].style);
        free(c.data);
    }
    bl_snippet_release(&sn);
}

Test(output, text_hit_untitled_and_controls)
{
    bl_stored_doc d = doc_of("a2", "", "", "2024-02-02");
    bl_hit h = {.rank = 12, .score = 0.5, .doc = &d, .snippet = NULL};
    capture c;
    cap_open(&c);
    cr_assert_eq(bl_output_text_hit(c.f, &h, 0), 0);
    cap_close(&c);
    cr_assert_str_eq(c.data, "12. (untitled)  (score 0.5000)\n   2024-02-02\n\n");
    free(c.data);

    /* Control characters in stored fields cannot reach the terminal. */
    bl_stored_doc e = doc_of("a3", "Evil\033[2J\ntitle \xFF", "Src\r", "");
    h.doc = &e;
    cap_open(&c);
    cr_assert_eq(bl_output_text_hit(c.f, &h, 1), 0);
    cap_close(&c);
    cr_assert_str_eq(c.data, "12. Evil [2J title \xC3\xBF  (score 0.5000)\n   Src \n\n");
    free(c.data);

    /* Nor can bidi overrides and isolates (U+202E, U+2066) reorder it. */
    bl_stored_doc g = doc_of("a4", "gpj.\xE2\x80\xAE" "exe", "x\xE2\x81\xA6y.txt", "");
    h.doc = &g;
    cap_open(&c);
    cr_assert_eq(bl_output_text_hit(c.f, &h, 0), 0);
    cap_close(&c);
    cr_assert_str_eq(c.data, "12. gpj. exe  (score 0.5000)\n   x y.txt\n\n");
    free(c.data);
}

Test(output, text_summary)
{
    capture c;
    cap_open(&c);
    cr_assert_eq(bl_output_text_summary(c.f, 42, 0, 42, 3.25), 0);
    cr_assert_eq(bl_output_text_summary(c.f, 1234, 0, 10, 12.0), 0);
    cr_assert_eq(bl_output_text_summary(c.f, 1, 0, 1, 0.5), 0);
    cr_assert_eq(bl_output_text_summary(c.f, 0, 0, 0, 0.5), 0);
    cr_assert_eq(bl_output_text_summary(c.f, 1000, 1, 10, 2.0), 0);
    cr_assert_eq(bl_output_text_summary(c.f, 10, 1, 10, 2.0), 0);
    cap_close(&c);
    cr_assert_str_eq(c.data, "42 matching documents (3.2 ms)\n"
                             "1234 matching documents, 10 shown (12.0 ms)\n"
                             "1 matching document (0.5 ms)\n"
                             "0 matching documents (0.5 ms)\n"
                             "at least 1000 matching documents, 10 shown (2.0 ms)\n"
                             "at least 10 matching documents (2.0 ms)\n");
    free(c.data);
}

/* The text of highlight i of a parsed JSON hit, sliced from its snippet by
 * code points as Python or jq would; an owned string. */
static char *highlight_text(json_t *hit, size_t i)
{
    json_t *snip = json_object_get(hit, "snippet");
    json_t *pair = json_array_get(json_object_get(hit, "highlights"), i);
    cr_assert(json_is_string(snip) && json_array_size(pair) == 2);
    json_int_t s = json_integer_value(json_array_get(pair, 0));
    json_int_t e = json_integer_value(json_array_get(pair, 1));
    cr_assert(0 <= s && s < e, "highlight [%lld, %lld]", (long long)s, (long long)e);
    size_t at, n = bl_test_cp_slice(json_string_value(snip), json_string_length(snip), (size_t)s,
                                    (size_t)e, &at);
    return strndup(json_string_value(snip) + at, n);
}

/* Non-ASCII text before the highlight: byte and code point offsets differ,
 * and the code point slice is the word. */
static const char ZE_TEXT[] = "Zelenskyy\xE2\x80\x99s aide \xE2\x80\x94 says Z\xC3\xA9lensky, "
                              "and \xE2\x80\x9CZ\xC3\xA9lensky\xE2\x80\x9D again.";

Test(output, json_highlights_are_code_points)
{
    bl_stored_doc d = doc_of("z", "Z", "", "");
    bl_snippet sn;
    snippet_of("zelensky", ZE_TEXT, &sn);
    cr_assert_eq(sn.nhighlights, 2, "the test needs two highlights in: %s", sn.text);
    bl_hit h = {.rank = 1, .score = 1, .doc = &d, .snippet = &sn};
    capture c;
    cap_open(&c);
    cr_assert_eq(bl_output_json_hit(c.f, &h, 0), 0);
    cap_close(&c);
    json_t *j = json_line(&c, 0);
    cr_assert_str_eq(json_string_value(json_object_get(j, "snippet")), sn.text);
    cr_assert_eq(json_array_size(json_object_get(j, "highlights")), 2);
    for (size_t i = 0; i < 2; i++) {
        char *word = highlight_text(j, i);
        cr_expect_str_eq(word, "Z\xC3\xA9lensky", "highlight %zu", i);
        free(word);
        /* Bytes would be further right: the test does see the difference. */
        json_int_t s = json_integer_value(json_array_get(json_array_get(json_object_get(j, "highlights"), i), 0));
        cr_expect_lt((size_t)s, sn.highlights[i].start);
    }
    json_decref(j);
    free(c.data);
    bl_snippet_release(&sn);
}

Test(output, json_marks_put_stars_in_the_snippet)
{
    bl_stored_doc d = doc_of("z", "Z", "", "");
    bl_snippet sn;
    snippet_of("zelensky", ZE_TEXT, &sn);
    bl_hit h = {.rank = 1, .score = 1, .doc = &d, .snippet = &sn};
    capture c;
    cap_open(&c);
    cr_assert_eq(bl_output_json_hit(c.f, &h, BL_OUT_MARKS | BL_OUT_BOLD), 0);
    cr_assert_eq(bl_output_json_hit(c.f, &h, BL_OUT_BOLD), 0);
    cap_close(&c);
    cr_assert_null(strchr(c.data, '\033'), "JSON never carries ANSI: %s", c.data);

    json_t *j = json_line(&c, 0);
    const char *snip = json_string_value(json_object_get(j, "snippet"));
    cr_expect_str_eq(snip, "Zelenskyy\xE2\x80\x99s aide \xE2\x80\x94 says **Z\xC3\xA9lensky**, "
                           "and \xE2\x80\x9C**Z\xC3\xA9lensky**\xE2\x80\x9D again.");
    cr_assert_eq(json_array_size(json_object_get(j, "highlights")), 2);
    for (size_t i = 0; i < 2; i++) {
        char *word = highlight_text(j, i);
        cr_expect_str_eq(word, "Z\xC3\xA9lensky", "highlight %zu of %s", i, snip);
        free(word);
    }
    json_decref(j);

    j = json_line(&c, 1);
    cr_expect_str_eq(json_string_value(json_object_get(j, "snippet")), sn.text,
                     "no ** without BL_OUT_MARKS");
    json_decref(j);
    free(c.data);
    bl_snippet_release(&sn);
}

Test(output, json_bad_spans_are_left_out)
{
    char text[] = "alpha beta gamma";
    bl_span spans[] = {{6, 10}, {2, 4}, {11, 99}, {11, 16}};
    bl_snippet sn = {.text = text, .len = strlen(text), .highlights = spans, .nhighlights = 4};
    bl_hit h = {.rank = 1, .score = 1, .doc = NULL, .snippet = &sn};
    capture c;
    cap_open(&c);
    cr_assert_eq(bl_output_json_hit(c.f, &h, 0), 0);
    cap_close(&c);
    json_t *j = json_line(&c, 0);
    cr_assert_eq(json_array_size(json_object_get(j, "highlights")), 2, "%s", c.data);
    char *w0 = highlight_text(j, 0), *w1 = highlight_text(j, 1);
    cr_expect_str_eq(w0, "beta");
    cr_expect_str_eq(w1, "gamma");
    free(w0);
    free(w1);
    json_decref(j);
    free(c.data);
}

Test(output, json_error_record)
{
    capture c;
    cap_open(&c);
    cr_assert_eq(bl_output_json_error(c.f, "\"north korea", 12, "unbalanced quote"), 0);
    cr_assert_eq(bl_output_json_error(c.f, "a\0b", 3, "NUL byte in query"), 0);
    cap_close(&c);
    cr_assert_eq(count_lines(&c), 2);
    cr_expect_eq(strncmp(c.data, "{\"query\":", 9), 0, "query comes first: %s", c.data);
    json_t *j = json_line(&c, 0);
    cr_expect_eq(json_object_size(j), 2);
    cr_expect_str_eq(json_string_value(json_object_get(j, "query")), "\"north korea");
    cr_expect_str_eq(json_string_value(json_object_get(j, "error")), "unbalanced quote");
    json_decref(j);
    j = json_line(&c, 1);
    json_t *q = json_object_get(j, "query");
    cr_expect(json_string_length(q) == 3 && memcmp(json_string_value(q), "a\0b", 3) == 0);
    json_decref(j);
    free(c.data);
}

Test(output, count_lines)
{
    uint64_t two = 2, zero = 0;
    capture c;
    cap_open(&c);
    cr_assert_eq(bl_output_count_line(c.f, &two, "wagner", 6), 0);
    cr_assert_eq(bl_output_count_line(c.f, NULL, "\"north korea", 12), 0);
    const char odd[] = "tab\there \033[2J \xFF";
    cr_assert_eq(bl_output_count_line(c.f, &zero, odd, strlen(odd)), 0);
    cap_close(&c);
    cr_expect_str_eq(c.data, "2\twagner\n"
                             "error\t\"north korea\n"
                             "0\ttab here  [2J \xC3\xBF\n");
    free(c.data);
}

/* A random valid UTF-8 string of up to max bytes, rich in what JSON must
 * escape: quotes, backslashes, C0 controls (NUL included), DEL, C1
 * controls, and 2-, 3- and 4-byte characters. */
static size_t random_utf8(bl_rng *r, char *out, size_t max)
{
    static const char *const pieces[] = {"\"", "\\", "/", "\n", "\t", "\r", "\b", "\f",
                                         "\x01", "\x1f", "\x7f", "\xc2\x85", "\xc3\xa9",
                                         "\xe2\x80\xa8", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
                                         "a", "Z", "0", " ", "<", "}"};
    size_t n = 0, want = bl_rng_below(r, (uint32_t)max / 4);
    while (n < want) {
        if (bl_rng_below(r, 8) == 0) {
            out[n++] = 0;
            continue;
        }
        const char *p = pieces[bl_rng_below(r, sizeof pieces / sizeof *pieces)];
        size_t k = strlen(p);
        memcpy(out + n, p, k);
        n += k;
    }
    return n;
}

/* JSON lines are written by hand: they must be byte for byte what jansson
 * writes for the same object with the flags the output used to pass it. */
Test(output, json_lines_equal_janssons)
{
    bl_rng rng;
    bl_rng_init(&rng, bl_test_seed("output::json_lines_equal_janssons"));
    static const double fixed[] = {0.0, -0.0, 1.0, 0.1, 1e-7, 1.5e-300, 123456789012345678.0,
                                   1e15, 1e16, 2.5e21, -3.25, 8.30270001, 1.0 / 3.0};
    size_t flags = JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15);
    for (int rd = 0; rd < 400; rd++) {
        char f[6][160];
        size_t fl[6];
        for (int i = 0; i < 6; i++) {
            fl[i] = random_utf8(&rng, f[i], sizeof f[i] - 1);
            f[i][fl[i]] = 0; /* the summary and error take C strings */
        }
        double score = rd < 13 ? fixed[rd]
                                  : ldexp((double)bl_rng_next(&rng) / 4294967296.0,
                                          (int)bl_rng_below(&rng, 200) - 100);
        bl_stored_doc d = {f[0], fl[0], f[1], fl[1], f[2], fl[2], f[3], fl[3], f[4], fl[4],
                           f[5], fl[5]};
        bl_hit h = {1 + bl_rng_below(&rng, 1000), score, &d, NULL};
        capture c;
        cap_open(&c);
        cr_assert_eq(bl_output_json_hit(c.f, &h, 0), 0);
        cr_assert_eq(bl_output_json_summary(c.f, f[1], bl_rng_next(&rng) >> 20, rd & 1,
                                            h.rank, score * 1000),
                     0);
        cr_assert_eq(bl_output_json_error(c.f, f[2], fl[2], f[3]), 0);
        cap_close(&c);

        json_t *o = json_pack("{s:I,s:f,s:s%,s:s%,s:s%,s:s%,s:s%,s:s#,s:[]}", "rank",
                              (json_int_t)h.rank, "score", score, "id", fl[0] ? f[0] : f[3],
                              fl[0] ? fl[0] : fl[3], "title",
                              f[1], fl[1], "source", f[3], fl[3], "date", f[4], fl[4], "url",
                              f[5], fl[5], "snippet", "", (int)0, "highlights");
        cr_assert_not_null(o);
        char *want = json_dumps(o, flags);
        cr_assert_not_null(want);
        json_decref(o);
        size_t wl = strlen(want);
        if (!(c.len > wl && memcmp(c.data, want, wl) == 0 && c.data[wl] == '\n')) {
            fprintf(stderr, "want %s\ngot  %.*s\n", want, (int)wl + 10, c.data);
            cr_assert_fail("round %d: hit line differs from jansson's", rd);
        }
        free(want);
        /* the summary and the error record after it */
        char *line2 = c.data + wl + 1, *line3 = strchr(line2, '\n');
        cr_assert_not_null(line3);
        *line3++ = 0;
        double ms = round(score * 1000 * 1000.0) / 1000.0;
        json_t *sum = json_pack("{s:s,s:I,s:s,s:I,s:f}", "query", f[1], "hits",
                                (json_int_t)0, "hits_relation", rd & 1 ? "gte" : "eq",
                                "returned", (json_int_t)h.rank, "elapsed_ms", ms);
        cr_assert_not_null(sum);
        char *hits_at = strstr(line2, "\"hits\":");
        cr_assert_not_null(hits_at);
        json_object_set_new(sum, "hits", json_integer(strtoll(hits_at + 7, NULL, 10)));
        want = json_dumps(sum, flags);
        json_decref(sum);
        cr_assert_str_eq(line2, want, "round %d: summary differs from jansson's", rd);
        free(want);
        json_t *e = json_pack("{s:s%,s:s}", "query", f[2], fl[2], "error", f[3]);
        cr_assert_not_null(e);
        want = json_dumps(e, flags);
        json_decref(e);
        cr_assert(strncmp(line3, want, strlen(want)) == 0 && line3[strlen(want)] == '\n',
                  "round %d: error record differs from jansson's", rd);
        free(want);
        free(c.data);
    }
}
