/* test_tokenizer.c: the tokenizer rules of tokenizer.h, one test per rule,
 * then random inputs checked for invariants and, for ASCII, against a
 * brute-force reference tokenizer.
 *
 * The random tests print their seed; set BYLINE_SEED=N to replay one. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "error.h"
#include "helpers.h"
#include "tokenizer.h"

/* ------------------------------------------------------------- helpers */

#define MAX_TOKS 4096

typedef struct {
    char text[BL_TOKEN_MAX_BYTES + 1];
    size_t len;
    uint32_t position;
    size_t start, end;
} tok_copy;

typedef struct {
    tok_copy t[MAX_TOKS];
    size_t n;
    size_t invalid;
    uint32_t next_position;
} tok_list;

static bl_tokenizer *g_tok;

static void setup(void)
{
    cr_assert_eq(bl_tokenizer_new(&g_tok), 0);
}

static void teardown(void)
{
    bl_tokenizer_free(g_tok);
    g_tok = NULL;
}

/* Tokenizes text[0..len) from first_position into *out (static storage:
 * the lists are too big for the stack under ASan). */
static void run_len(tok_list *out, const char *text, size_t len,
                    uint32_t first_position)
{
    bl_token tok;
    int rc;

    out->n = 0;
    bl_tokenizer_reset(g_tok, text, len, first_position);
    while ((rc = bl_tokenizer_next(g_tok, &tok)) == 1) {
        cr_assert_lt(out->n, MAX_TOKS);
        cr_assert_leq(tok.len, BL_TOKEN_MAX_BYTES);
        cr_assert_eq(strlen(tok.text), tok.len);
        tok_copy *c = &out->t[out->n++];
        memcpy(c->text, tok.text, tok.len + 1);
        c->len = tok.len;
        c->position = tok.position;
        c->start = tok.start;
        c->end = tok.end;
    }
    cr_assert_eq(rc, 0, "bl_tokenizer_next returned %d", rc);
    /* The end is sticky. */
    cr_assert_eq(bl_tokenizer_next(g_tok, &tok), 0);
    out->invalid = bl_tokenizer_invalid_bytes(g_tok);
    out->next_position = bl_tokenizer_next_position(g_tok);
}

static tok_list g_list, g_list2;

static tok_list *run(const char *text)
{
    run_len(&g_list, text, strlen(text), 0);
    return &g_list;
}

/* Checks that text tokenizes to exactly the space-separated words of
 * expect ("" for none). */
static void expect_tokens(const char *text, size_t len, const char *expect)
{
    char buf[1024], *save = NULL, *w;
    size_t i = 0;

    run_len(&g_list, text, len, 0);
    snprintf(buf, sizeof buf, "%s", expect);
    for (w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save), i++) {
        cr_assert_lt(i, g_list.n, "input \"%.*s\": token %zu missing, want \"%s\"",
                     (int)len, text, i, w);
        cr_assert_str_eq(g_list.t[i].text, w, "input \"%.*s\": token %zu",
                         (int)len, text, i);
        cr_assert_eq(g_list.t[i].position, (uint32_t)i);
    }
    cr_assert_eq(g_list.n, i, "input \"%.*s\": %zu tokens, want %zu (first "
                 "extra \"%s\")", (int)len, text, g_list.n, i,
                 g_list.n > i ? g_list.t[i].text : "");
}

#define EXPECT(text, expect) expect_tokens(text, sizeof(text) - 1, expect)

/* The normalised form of a text that must be a single token. */
static const char *one(const char *text)
{
    run(text);
    cr_assert_eq(g_list.n, 1, "\"%s\" gave %zu tokens", text, g_list.n);
    return g_list.t[0].text;
}

/* Strict UTF-8 check, written independently of the tokenizer's decoder. */
static int valid_utf8(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint32_t cp, min;
        size_t k;
        if (s[i] < 0x80) {
            i++;
            continue;
        } else if ((s[i] & 0xE0) == 0xC0) {
            k = 1, cp = s[i] & 0x1F, min = 0x80;
        } else if ((s[i] & 0xF0) == 0xE0) {
            k = 2, cp = s[i] & 0x0F, min = 0x800;
        } else if ((s[i] & 0xF8) == 0xF0) {
            k = 3, cp = s[i] & 0x07, min = 0x10000;
        } else {
            return 0;
        }
        if (i + k >= n)
            return 0;
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xC0) != 0x80)
                return 0;
            cp = cp << 6 | (s[i + j] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += k + 1;
    }
    return 1;
}

/* --------------------------------------------------------- basic shape */

TestSuite(tokenizer, .init = setup, .fini = teardown);

Test(tokenizer, words_positions_offsets)
{
    const char *s = "Hello, World!  foo";
    tok_list *l = run(s);
    cr_assert_eq(l->n, 3);
    cr_assert_str_eq(l->t[0].text, "hello");
    cr_assert_eq(l->t[0].start, 0);
    cr_assert_eq(l->t[0].end, 5);
    cr_assert_str_eq(l->t[1].text, "world");
    cr_assert_eq(l->t[1].start, 7);
    cr_assert_eq(l->t[1].end, 12);
    cr_assert_str_eq(l->t[2].text, "foo");
    cr_assert_eq(l->t[2].start, 15);
    cr_assert_eq(l->t[2].end, 18);
    for (size_t i = 0; i < l->n; i++)
        cr_assert_eq(l->t[i].position, i);
    cr_assert_eq(l->next_position, 3);
    cr_assert_eq(l->invalid, 0);
}

Test(tokenizer, first_position)
{
    run_len(&g_list, "a b c", 5, 1000);
    cr_assert_eq(g_list.n, 3);
    cr_assert_eq(g_list.t[0].position, 1000);
    cr_assert_eq(g_list.t[2].position, 1002);
    cr_assert_eq(g_list.next_position, 1003);
}

Test(tokenizer, empty_text)
{
    run_len(&g_list, "", 0, 7);
    cr_assert_eq(g_list.n, 0);
    cr_assert_eq(g_list.next_position, 7);
    cr_assert_eq(g_list.invalid, 0);
    run_len(&g_list, NULL, 0, 0);
    cr_assert_eq(g_list.n, 0);
    /* A non-empty buffer tokenized with len 0 sees nothing. */
    run_len(&g_list, "abc", 0, 0);
    cr_assert_eq(g_list.n, 0);
}

Test(tokenizer, only_punctuation)
{
    EXPECT("...!?--,;:'\"()[]{}<>/\\|@#$%^&*_+=~` \t\r\n", "");
    cr_assert_eq(g_list.next_position, 0);
    EXPECT("— – “ ” ‘ ’ « » … · • ¿ ¡ ‰ € £ ©", "");
    cr_assert_eq(g_list.invalid, 0);
}

Test(tokenizer, nul_and_control_characters_separate)
{
    EXPECT("abc\0def\0\0 ghi\0", "abc def ghi");
    cr_assert_eq(g_list.t[1].start, 4);
    cr_assert_eq(g_list.t[1].end, 7);
    cr_assert_eq(g_list.t[2].start, 10);
    EXPECT("a\tb\x01" "c\x7f" "d\x1b" "e\r\nf", "a b c d e f");
    /* C1 controls (U+0085 NEL, U+009C) and a zero width space too. */
    EXPECT("a\xc2\x85" "b\xc2\x9c" "c\xe2\x80\x8b" "d", "a b c d");
    cr_assert_eq(g_list.invalid, 0);
    /* NUL between digits does not join them. */
    EXPECT("1\0" "2", "1 2");
}

Test(tokenizer, reset_restarts_counts)
{
    run("M\xFCnchen \xFF");
    cr_assert_eq(g_list.invalid, 2);
    run("plain");
    cr_assert_eq(g_list.invalid, 0);
}

/* --------------------------------------------------------- invalid UTF-8 */

Test(tokenizer, latin1_bytes)
{
    tok_list *l = run("M\xFCnchen");
    cr_assert_eq(l->n, 1);
    cr_assert_str_eq(l->t[0].text, "munchen");
    cr_assert_eq(l->t[0].start, 0);
    cr_assert_eq(l->t[0].end, 7);
    cr_assert_eq(l->invalid, 1);
    /* Same token as the UTF-8 spelling. */
    cr_assert_str_eq(one("München"), "munchen");
    cr_assert_eq(g_list.invalid, 0);
    /* Latin-1 words, each byte counted once; \xD7 (×) separates. */
    EXPECT("caf\xE9 na\xEFve 3\xD7" "4 \xC9T\xC9", "cafe naive 3 4 ete");
    cr_assert_eq(g_list.invalid, 5);
}

Test(tokenizer, invalid_stray_continuation)
{
    /* 0x80 (Windows-1252 €) and 0xA0 (no-break space) are separators. */
    EXPECT("a\x80" "b\xA0" "c", "a b c");
    cr_assert_eq(g_list.invalid, 2);
    cr_assert_eq(g_list.t[1].start, 2);
    cr_assert_eq(g_list.t[1].end, 3);
}

Test(tokenizer, invalid_overlong)
{
    /* "/" as 2, 3 and 4 bytes: each byte becomes a Latin-1 character. C0 and
     * C1 are letters (À Á), E0 is à, F0 is ð; 80 is a control and AF (¯) a
     * symbol. */
    EXPECT("x\xC0\xAFy", "xa y");
    cr_assert_eq(g_list.invalid, 2);
    EXPECT("x\xC1\xBF", "xa");
    cr_assert_eq(g_list.invalid, 2);
    EXPECT("\xE0\x80\xAF", "a");
    cr_assert_eq(g_list.invalid, 3);
    EXPECT("\xF0\x80\x80\xAF", "ð");
    cr_assert_eq(g_list.invalid, 4);
    /* The smallest valid forms are accepted. */
    EXPECT("\xC2\xAA \xE0\xA0\x80 \xF0\x90\x80\x80", "a \xE0\xA0\x80 \xF0\x90\x80\x80");
    cr_assert_eq(g_list.invalid, 0);
}

Test(tokenizer, invalid_surrogates)
{
    /* U+D800 and U+DFFF encoded directly: ED is í, A0/BF/80 are not
     * letters. */
    EXPECT("a\xED\xA0\x80" "b c\xED\xBF\xBF", "ai b ci");
    cr_assert_eq(g_list.invalid, 6);
    /* ED 9F BB is U+D7FB, just below the surrogates: a Hangul jamo. */
    EXPECT("\xED\x9F\xBB", "\xED\x9F\xBB");
    cr_assert_eq(g_list.invalid, 0);
}

Test(tokenizer, invalid_above_max)
{
    /* U+110000 (F4 90 80 80) and lead bytes F5..FF never start UTF-8: F4 is
     * ô, F5 õ, FF ÿ; 0x80 and 0x90 are controls. */
    EXPECT("\xF4\x90\x80\x80" "a \xF5\x80\x80\x80 \xFF", "o a o y");
    cr_assert_eq(g_list.invalid, 9);
    /* U+10FFFF itself is valid (a non-character: a separator). */
    EXPECT("a\xF4\x8F\xBF\xBF" "b", "a b");
    cr_assert_eq(g_list.invalid, 0);
}

Test(tokenizer, invalid_truncated)
{
    /* "€" is E2 82 AC; cut after two bytes, at the end and in the middle. */
    EXPECT("ab\xE2\x82", "aba");
    cr_assert_eq(g_list.invalid, 2);
    cr_assert_eq(g_list.t[0].end, 3);
    EXPECT("\xE2\x82x", "a x");
    cr_assert_eq(g_list.invalid, 2);
    /* Windows-1252: 0x9F is Ÿ (a letter, folded to y), 0x98 is ˜ (a symbol). */
    EXPECT("\xF0\x9F\x98", "ðy");
    cr_assert_eq(g_list.invalid, 3);
    EXPECT("q\xC3", "qa");
    cr_assert_eq(g_list.invalid, 1);
    /* A valid 4-byte character: U+1D400 MATHEMATICAL BOLD CAPITAL A. */
    EXPECT("\xF0\x9D\x90\x80" "b", "ab");
    cr_assert_eq(g_list.invalid, 0);
}

Test(tokenizer, invalid_counted_once_across_lookahead)
{
    /* The byte after the apostrophe is looked at twice, counted once. */
    EXPECT("a'\xFC" "b", "a'ub");
    cr_assert_eq(g_list.invalid, 1);
    EXPECT("1.\xB2", "1.2");
    cr_assert_eq(g_list.invalid, 1);
    /* Dropped long tokens still count their invalid bytes. */
    char s[200];
    memset(s, 'a', sizeof s);
    s[100] = (char)0xE9;
    expect_tokens(s, sizeof s, "");
    cr_assert_eq(g_list.invalid, 1);
}

/* ------------------------------------------------------ normalisation */

Test(tokenizer, case_and_accents)
{
    const char *forms[] = {"Zelensky", "ZELENSKY", "Zélensky", "ZÉLENSKY",
                           "Ze\xCC\x81lensky", "zelensky"};
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++)
        cr_assert_str_eq(one(forms[i]), "zelensky", "form %zu", i);
    cr_assert_str_eq(one("Straße"), "strasse");
    cr_assert_str_eq(one("STRASSE"), "strasse");
    cr_assert_str_eq(one("İstanbul"), "istanbul");
    cr_assert_str_eq(one("ΟΔΟΣ"), "οδοσ");
    cr_assert_str_eq(one("οδος"), "οδοσ");
    cr_assert_str_eq(one("Ελληνικά"), "ελληνικα");
    cr_assert_str_eq(one("Достоевский"), "достоевскии");
    cr_assert_str_eq(one("Øresund"), "øresund");
}

Test(tokenizer, combining_marks_stay_inside)
{
    /* A decomposed accent is part of its word and of its offsets. */
    const char *s = "cafe\xCC\x81 x";
    tok_list *l = run(s);
    cr_assert_eq(l->n, 2);
    cr_assert_str_eq(l->t[0].text, "cafe");
    cr_assert_eq(l->t[0].end, 6);
    /* A mark cannot start a token. */
    EXPECT("\xCC\x81" "abc \xCC\x81", "abc");
    /* Many marks on one letter (zalgo) normalise away. */
    char z[2 + 2 * 1000];
    z[0] = 'a';
    for (int i = 0; i < 1000; i++)
        z[1 + 2 * i] = (char)0xCC, z[2 + 2 * i] = (char)0x81;
    z[sizeof z - 1] = 'b';
    expect_tokens(z, sizeof z, "ab");
}

Test(tokenizer, compatibility_forms)
{
    cr_assert_str_eq(one("ｆｕｌｌ"), "full");
    cr_assert_str_eq(one("ＦＵＬＬ"), "full");
    cr_assert_str_eq(one("ﬁ"), "fi");
    cr_assert_str_eq(one("ﬁnance"), "finance");
    cr_assert_str_eq(one("oﬄine"), "offline");
    cr_assert_str_eq(one("km²"), "km2");
    cr_assert_str_eq(one("①"), "1");
    cr_assert_str_eq(one("Ⅻ"), "xii");
    cr_assert_str_eq(one("\xE2\x84\xAA"), "k"); /* KELVIN SIGN */
    /* Full-width digits, comma and point join like ASCII ones. */
    cr_assert_str_eq(one("１，０００．５"), "1000.5");
    /* Letters and digits whose compatibility form has punctuation in it
     * separate: "1½" must not become 112. */
    EXPECT("1½ ⑴ x⒈y", "1 x y");
    /* Hangul stays composed (NFC of decomposed jamo). */
    cr_assert_str_eq(one("한국어"), "한국어");
    cr_assert_str_eq(one("\xE1\x84\x92\xE1\x85\xA1\xE1\x86\xAB"), "한");
    /* CJK and Arabic letters pass through. */
    cr_assert_str_eq(one("東京"), "東京");
    cr_assert_str_eq(one("مرحبا"), "مرحبا");
}

/* The tokenizer composes only tokens holding Hangul jamo. That is exact as
 * long as every canonical decomposition's non-first code points are marks
 * (stripped) or jamo; check it over all of Unicode as utf8proc knows it. */
Test(tokenizer, only_jamo_compose_after_mark_stripping)
{
    for (int32_t cp = 0; cp <= 0x10FFFF; cp++) {
        utf8proc_int32_t d[32];
        if (cp >= 0xD800 && cp <= 0xDFFF)
            continue;
        utf8proc_ssize_t n = utf8proc_decompose_char(cp, d, 32, UTF8PROC_DECOMPOSE, NULL);
        cr_assert(n >= 1 && n <= 32);
        for (utf8proc_ssize_t i = 1; i < n; i++) {
            utf8proc_category_t c = utf8proc_category(d[i]);
            int mark = c == UTF8PROC_CATEGORY_MN || c == UTF8PROC_CATEGORY_MC ||
                       c == UTF8PROC_CATEGORY_ME;
            cr_assert(mark || (d[i] >= 0x1100 && d[i] <= 0x11FF),
                      "U+%04X decomposes with U+%04X", (unsigned)cp, (unsigned)d[i]);
        }
    }
}

/* ------------------------------------------------ apostrophes and quotes */

Test(tokenizer, apostrophes)
{
    EXPECT("don't", "don't");
    EXPECT("Wagner’s", "wagner's");
    EXPECT("Wagnerʼs", "wagner's");
    EXPECT("Wagner＇s", "wagner's"); /* full-width apostrophe */
    EXPECT("rock'n'roll", "rock'n'roll");
    /* Only between two letters. */
    EXPECT("'quoted' 'tis dogs' rock 'n' roll", "quoted tis dogs rock n roll");
    EXPECT("1'2 a'1 1'a a''b a' 'a", "1 2 a 1 1 a a b a a");
    /* A left quote is never an apostrophe. */
    EXPECT("Wagner‘s", "wagner s");
    /* Offsets cover the original (3-byte) apostrophe. */
    run("Wagner’s men");
    cr_assert_eq(g_list.t[0].start, 0);
    cr_assert_eq(g_list.t[0].end, 10);
    cr_assert_eq(g_list.t[1].start, 11);
}

Test(tokenizer, curly_quotes_separate)
{
    const char *s = "called it a “groundless theory”.";
    tok_list *l = run(s);
    cr_assert_eq(l->n, 5);
    cr_assert_str_eq(l->t[3].text, "groundless");
    cr_assert_str_eq(l->t[4].text, "theory");
    cr_assert_eq(l->t[3].start, (size_t)(strstr(s, "groundless") - s));
    cr_assert_eq(l->t[4].end, (size_t)(strstr(s, "”") - s));
    EXPECT("«Paris» „Berlin“ ‚x‘", "paris berlin x");
}

Test(tokenizer, hyphens_split)
{
    tok_list *l = run("Thomas-Greenfield said");
    cr_assert_eq(l->n, 3);
    cr_assert_str_eq(l->t[0].text, "thomas");
    cr_assert_str_eq(l->t[1].text, "greenfield");
    cr_assert_eq(l->t[0].position + 1, l->t[1].position);
    cr_assert_eq(l->t[1].start, 7);
    EXPECT("2010–2012 a—b x‐y e-mail", "2010 2012 a b x y e mail");
    /* U+00AD (soft hyphen) is a format character: it separates too. */
    EXPECT("co\xC2\xADop", "co op");
}

/* ------------------------------------------------------------ numbers */

Test(tokenizer, numbers)
{
    tok_list *l = run("1,000.50");
    cr_assert_eq(l->n, 1);
    cr_assert_str_eq(l->t[0].text, "1000.50");
    cr_assert_eq(l->t[0].start, 0);
    cr_assert_eq(l->t[0].end, 8);
    EXPECT("3.5", "3.5");
    EXPECT("2023-01-05", "2023 01 05");
    EXPECT("v1.2.3 10,000,000 192.168.0.1", "v1.2.3 10000000 192.168.0.1");
    /* Joins need a digit on both sides. */
    EXPECT("3. .5 3.x x.3 1,a a,1 1..2 1,,2 1.,2", "3 5 3 x x 3 1 a a 1 1 2 1 2 1 2");
    EXPECT("In 2023, 5 people", "in 2023 5 people");
    EXPECT("covid-19 B2B 4x4", "covid 19 b2b 4x4");
    /* Non-ASCII digits are digits. */
    EXPECT("٣.٥", "٣.٥");
}

/* ---------------------------------------------------------- long tokens */

Test(tokenizer, long_token_dropped_keeps_position)
{
    size_t n = 5000;
    char *s = malloc(n + 32);
    cr_assert_not_null(s);
    memcpy(s, "before ", 7);
    memset(s + 7, 'x', n);
    memcpy(s + 7 + n, " after", 7);
    tok_list *l = run(s);
    cr_assert_eq(l->n, 2);
    cr_assert_str_eq(l->t[0].text, "before");
    cr_assert_eq(l->t[0].position, 0);
    cr_assert_str_eq(l->t[1].text, "after");
    cr_assert_eq(l->t[1].position, 2);
    cr_assert_eq(l->t[1].start, 7 + n + 1);
    cr_assert_eq(l->next_position, 3);

    /* The same with a long non-ASCII token (2-byte ж). */
    size_t k = 0;
    memcpy(s, "a ", 2), k = 2;
    for (size_t i = 0; i < 2000; i++)
        s[k++] = (char)0xD0, s[k++] = (char)0xB6;
    memcpy(s + k, " b", 2), k += 2;
    run_len(&g_list, s, k, 0);
    cr_assert_eq(g_list.n, 2);
    cr_assert_str_eq(g_list.t[0].text, "a");
    cr_assert_eq(g_list.t[0].position, 0);
    cr_assert_str_eq(g_list.t[1].text, "b");
    cr_assert_eq(g_list.t[1].position, 2);
    free(s);
}

Test(tokenizer, token_length_limit)
{
    char s[BL_TOKEN_MAX_BYTES * 4 + 8];
    /* Exactly the limit is kept, one more byte is dropped. */
    memset(s, 'q', BL_TOKEN_MAX_BYTES);
    run_len(&g_list, s, BL_TOKEN_MAX_BYTES, 0);
    cr_assert_eq(g_list.n, 1);
    cr_assert_eq(g_list.t[0].len, BL_TOKEN_MAX_BYTES);
    memset(s, 'q', BL_TOKEN_MAX_BYTES + 1);
    run_len(&g_list, s, BL_TOKEN_MAX_BYTES + 1, 0);
    cr_assert_eq(g_list.n, 0);
    cr_assert_eq(g_list.next_position, 1);

    /* The limit applies to the normalised form: 64 é (128 bytes) are 64
     * bytes once accents go, 32 ж are 64 bytes, 33 are 66. */
    for (int i = 0; i < BL_TOKEN_MAX_BYTES; i++)
        s[2 * i] = (char)0xC3, s[2 * i + 1] = (char)0xA9;
    run_len(&g_list, s, 2 * BL_TOKEN_MAX_BYTES, 0);
    cr_assert_eq(g_list.n, 1);
    cr_assert_eq(g_list.t[0].len, BL_TOKEN_MAX_BYTES);
    for (int i = 0; i < 33; i++)
        s[2 * i] = (char)0xD0, s[2 * i + 1] = (char)0xB6;
    run_len(&g_list, s, 64, 0);
    cr_assert_eq(g_list.n, 1);
    cr_assert_eq(g_list.t[0].len, 64);
    run_len(&g_list, s, 66, 0);
    cr_assert_eq(g_list.n, 0);
    cr_assert_eq(g_list.next_position, 1);

    /* 60 ASCII letters then 3 ж: over the limit only after the switch to
     * the code point path. */
    memset(s, 'q', 60);
    for (int i = 0; i < 3; i++)
        s[60 + 2 * i] = (char)0xD0, s[61 + 2 * i] = (char)0xB6;
    run_len(&g_list, s, 64, 0);
    cr_assert_eq(g_list.n, 1);
    cr_assert_eq(g_list.t[0].len, 64);
    run_len(&g_list, s, 66, 0);
    cr_assert_eq(g_list.n, 0);
    /* A ligature expanding past the limit: 63 letters then ﬃ. */
    memset(s, 'q', 63);
    memcpy(s + 63, "ﬃ", 3);
    run_len(&g_list, s, 66, 0);
    cr_assert_eq(g_list.n, 0);
    cr_assert_eq(g_list.next_position, 1);
}

/* ------------------------------------------------------------ offsets */

/* Every token's bytes text[start..end), tokenized alone, give back that one
 * token: offsets point at exactly the original bytes. */
static void check_offsets_roundtrip(const char *text, size_t len)
{
    run_len(&g_list, text, len, 0);
    size_t prev_end = 0;
    for (size_t i = 0; i < g_list.n; i++) {
        tok_copy *t = &g_list.t[i];
        cr_assert_lt(t->start, t->end);
        cr_assert_leq(t->end, len);
        cr_assert_geq(t->start, prev_end);
        if (i)
            cr_assert_gt(t->position, g_list.t[i - 1].position);
        prev_end = t->end;
        bl_tokenizer *alone;
        bl_token one_tok;
        cr_assert_eq(bl_tokenizer_new(&alone), 0);
        bl_tokenizer_reset(alone, text + t->start, t->end - t->start, 0);
        cr_assert_eq(bl_tokenizer_next(alone, &one_tok), 1);
        cr_assert_str_eq(one_tok.text, t->text, "token %zu", i);
        cr_assert_eq(one_tok.start, 0);
        cr_assert_eq(one_tok.end, t->end - t->start);
        cr_assert_eq(bl_tokenizer_next(alone, &one_tok), 0);
        bl_tokenizer_free(alone);
    }
}

Test(tokenizer, offsets_point_at_original_bytes)
{
    static const char s[] =
        "Zélensky met Thomas-Greenfield on 2023-01-05; “groundless theory”, "
        "Wagner’s \xFCrzburg M\xFCnchen \xE2\x82 1,000.50 ｆｕｌｌ ﬁnance "
        "cafe\xCC\x81 한국어 don't \0 x\x80y 3.5% (ΟΔΟΣ) rock'n'roll.";
    static const char *want[] = {
        "zelensky", "met", "thomas", "greenfield", "on", "2023", "01", "05",
        "groundless", "theory", "wagner's", "urzburg", "munchen", "a",
        "1000.50", "full", "finance", "cafe", "한국어", "don't", "x", "y",
        "3.5", "οδοσ", "rock'n'roll"};
    static const char *src[] = {
        "Zélensky", "met", "Thomas", "Greenfield", "on", "2023", "01", "05",
        "groundless", "theory", "Wagner’s", "\xFCrzburg", "M\xFCnchen", "\xE2",
        "1,000.50", "ｆｕｌｌ", "ﬁnance", "cafe\xCC\x81", "한국어", "don't",
        "x", "y", "3.5", "ΟΔΟΣ", "rock'n'roll"};
    size_t n = sizeof want / sizeof want[0];

    check_offsets_roundtrip(s, sizeof s - 1);
    cr_assert_eq(g_list.n, n);
    for (size_t i = 0; i < n; i++) {
        tok_copy *t = &g_list.t[i];
        cr_assert_str_eq(t->text, want[i], "token %zu", i);
        cr_assert_eq(t->end - t->start, strlen(src[i]), "token %zu", i);
        cr_assert(memcmp(s + t->start, src[i], strlen(src[i])) == 0,
                  "token %zu: text[start..end) is \"%.*s\"", i,
                  (int)(t->end - t->start), s + t->start);
    }
    cr_assert_eq(g_list.invalid, 5);
}

/* ------------------------------------------------------ abbreviations */

Test(tokenizer, dotted_abbreviations_are_one_word)
{
    EXPECT("U.S. Coast Guard", "us coast guard");
    EXPECT("U.S.S.R. I.Q. e.g. i.e.", "ussr iq eg ie");
    /* The last period is optional. */
    EXPECT("U.S", "us");
    EXPECT("the U.S.S.R", "the ussr");
    /* Marks belong to their letter; compatibility periods count. */
    EXPECT("e\xCC\x81.t.e\xCC\x81.", "ete");
    EXPECT("Ｕ．Ｓ． U\xE2\x80\xA4S", "us us");
    /* Windows-1252 letters too, each invalid byte counted once. */
    EXPECT("\xC9.U.", "eu");
    cr_assert_eq(g_list.invalid, 1);
    /* Non-Latin letters. */
    EXPECT("т.е.", "те");
}

Test(tokenizer, what_is_not_an_abbreviation)
{
    /* One letter, spaces, longer words, doubled periods. */
    EXPECT("J. Smith", "j smith");
    EXPECT("a. b. c.", "a b c");
    EXPECT("U.Sa No.S. Mr.X.Y.", "u sa no s mr xy");
    EXPECT("U..S. U.,S. U-S", "u s u s u s");
    /* Digits are not letters here: numbers keep joining as before, and a
     * letter next to a digit is not a single letter. */
    EXPECT("3.5 A.5 5.A. B2.C. A.B2", "3.5 a 5 5 a b2 c a b2");
    EXPECT("v1.2.3 U.S.1", "v1.2.3 us 1");
    /* A longer word after the letters ends the abbreviation at its last
     * period. */
    EXPECT("U.S.Army U.S.-based U.S's", "us army us based us s");
    /* An apostrophe word keeps its rule. */
    EXPECT("O'Neil O.J's", "o'neil oj s");
}

Test(tokenizer, abbreviation_offsets_cover_every_period)
{
    const char *s = "the U.S. said U.S.S.R, then e.g.";
    tok_list *l = run(s);
    cr_assert_eq(l->n, 6);
    cr_assert_str_eq(l->t[1].text, "us");
    cr_assert_eq(l->t[1].start, 4);
    cr_assert_eq(l->t[1].end, 8, "\"U.S.\" whole, final period included");
    cr_assert_str_eq(l->t[3].text, "ussr");
    cr_assert_eq(l->t[3].start, 14);
    cr_assert_eq(l->t[3].end, 21, "no period after the R: the comma is not taken");
    cr_assert_str_eq(l->t[5].text, "eg");
    cr_assert_eq(l->t[5].end, strlen(s));
    for (size_t i = 0; i < l->n; i++)
        cr_assert_eq(l->t[i].position, i);
    check_offsets_roundtrip(s, strlen(s));
}

Test(tokenizer, long_abbreviation_dropped_keeps_position)
{
    /* 65 letters normalise to 65 bytes: over the limit. */
    char s[2 + 2 * 65 + 2];
    size_t k = 0;
    s[k++] = 'x', s[k++] = ' ';
    for (int i = 0; i < 65; i++)
        s[k++] = 'Q', s[k++] = '.';
    s[k++] = ' ', s[k++] = 'y';
    run_len(&g_list, s, k, 0);
    cr_assert_eq(g_list.n, 2);
    cr_assert_str_eq(g_list.t[1].text, "y");
    cr_assert_eq(g_list.t[1].position, 2);
    /* 64 letters are kept. */
    run_len(&g_list, s + 2, 2 * 64, 0);
    cr_assert_eq(g_list.n, 1);
    cr_assert_eq(g_list.t[0].len, 64);
}

/* ------------------------------------------------------------ random */

/* A brute-force reference for ASCII input, written from the rules rather
 * than from the tokenizer: an abbreviation (two or more letters standing
 * alone, each followed by one '.', optional after the last), else a run of
 * alphanumerics, ' between letters and . or , between digits; lower-case
 * it, drop commas (and an abbreviation's points); drop it if long. */
static int is_alpha(int c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
static int is_digit(int c) { return c >= '0' && c <= '9'; }
static int is_alnum(int c) { return is_alpha(c) || is_digit(c); }

/* End of the abbreviation at s[i], or i if there is none. */
static size_t reference_abbreviation(const char *s, size_t n, size_t i)
{
    size_t j = i, end = i, letters = 0;
    while (j < n && is_alpha(s[j]) && !(j + 1 < n && is_alnum(s[j + 1]))) {
        letters++;
        end = j + 1;
        if (!(j + 1 < n && s[j + 1] == '.'))
            break;
        end = j + 2;
        j += 2;
    }
    return letters >= 2 ? end : i;
}

static void reference_ascii(const char *s, size_t n, tok_list *out)
{
    uint32_t pos = 0;
    size_t i = 0;
    out->n = 0;
    while (i < n) {
        if (!is_alnum((unsigned char)s[i])) {
            i++;
            continue;
        }
        size_t j = reference_abbreviation(s, n, i);
        int abbrev = j > i;
        while (!abbrev) {
            if (j < n && is_alnum((unsigned char)s[j])) {
                j++;
            } else if (j + 1 < n && s[j] == '\'' && is_alpha(s[j - 1]) &&
                       is_alpha(s[j + 1])) {
                j++;
            } else if (j + 1 < n && (s[j] == '.' || s[j] == ',') &&
                       is_digit(s[j - 1]) && is_digit(s[j + 1])) {
                j++;
            } else {
                break;
            }
        }
        char buf[8192];
        size_t m = 0;
        for (size_t k = i; k < j; k++)
            if (s[k] != ',' && !(abbrev && s[k] == '.'))
                buf[m++] = is_alpha(s[k]) ? (char)(s[k] | 0x20) : s[k];
        if (m <= BL_TOKEN_MAX_BYTES) {
            tok_copy *t = &out->t[out->n++];
            memcpy(t->text, buf, m);
            t->text[m] = '\0';
            t->len = m;
            t->position = pos;
            t->start = i;
            t->end = j;
        }
        pos++;
        i = j;
    }
    out->next_position = pos;
}

Test(tokenizer, random_ascii_matches_reference)
{
    bl_rng r;
    bl_rng_init(&r, bl_test_seed("tokenizer/random_ascii_matches_reference"));
    static const char alpha[] = "aAbZz09'.,- \0\t";
    char s[2048];
    for (int iter = 0; iter < 2000; iter++) {
        size_t n = bl_rng_below(&r, sizeof s);
        for (size_t i = 0; i < n; i++) {
            /* Mostly small alphabet (many joins), sometimes long runs. */
            if (bl_rng_below(&r, 50) == 0) {
                size_t run_len_ = bl_rng_below(&r, 100);
                for (; run_len_ && i < n; run_len_--, i++)
                    s[i] = 'k';
                if (i >= n)
                    break;
            }
            s[i] = alpha[bl_rng_below(&r, sizeof alpha - 1)];
        }
        reference_ascii(s, n, &g_list2);
        char *e = malloc(n ? n : 1);
        cr_assert_not_null(e);
        memcpy(e, s, n);
        run_len(&g_list, e, n, 0);
        free(e);
        cr_assert_eq(g_list.n, g_list2.n, "iteration %d: %zu tokens, want %zu",
                     iter, g_list.n, g_list2.n);
        for (size_t i = 0; i < g_list.n; i++) {
            tok_copy *a = &g_list.t[i], *b = &g_list2.t[i];
            cr_assert_str_eq(a->text, b->text, "iteration %d token %zu", iter, i);
            cr_assert_eq(a->position, b->position, "iteration %d token %zu", iter, i);
            cr_assert_eq(a->start, b->start, "iteration %d token %zu", iter, i);
            cr_assert_eq(a->end, b->end, "iteration %d token %zu", iter, i);
        }
        cr_assert_eq(g_list.next_position, g_list2.next_position);
        cr_assert_eq(g_list.invalid, 0);
    }
}

/* Pieces random text is made of: raw bytes, valid characters of every
 * length, joiners, marks, compatibility forms and broken sequences. */
static const char *const pieces[] = {
    "a", "Z", "7", "'", ".", ",", "-", " ", "\0", "’", "ʼ", "é", "e\xCC\x81",
    "\xCC\x81", "ж", "한", "東", "ｆ", "，", "．", "ﬁ", "½", "⑴", "²", "İ", "ß",
    "\xF0\x9D\x90\x80", "\xE2\x82", "\xED\xA0\x80", "\xC0\xAF", "\xF4\x90\x80\x80",
    "\xFF", "\x80", "\xFC", "\xF0\x9F\x98\x80", "“", "”", "٣",
};

Test(tokenizer, random_bytes_invariants)
{
    bl_rng r;
    bl_rng_init(&r, bl_test_seed("tokenizer/random_bytes_invariants"));
    static uint8_t s[8192];
    for (int iter = 0; iter < 3000; iter++) {
        size_t n = 0, want = bl_rng_below(&r, sizeof s - 8);
        int mode = (int)bl_rng_below(&r, 3);
        while (n < want) {
            if (mode == 0 || (mode == 2 && bl_rng_below(&r, 2))) {
                s[n++] = (uint8_t)bl_rng_next(&r);
            } else {
                const char *p = pieces[bl_rng_below(&r, sizeof pieces / sizeof pieces[0])];
                size_t k = *p ? strlen(p) : 1;
                if (n + k > want)
                    break;
                memcpy(s + n, p, k);
                n += k;
            }
            if (bl_rng_below(&r, 200) == 0) /* an occasional long run */
                for (size_t k = bl_rng_below(&r, 300); k && n < want; k--)
                    s[n++] = 'w';
        }
        /* An exact-size copy, so that ASan sees any read past the end. */
        char *e = malloc(n ? n : 1);
        cr_assert_not_null(e);
        memcpy(e, s, n);
        run_len(&g_list, e, n, 5);
        uint32_t prev_pos = 4;
        size_t prev_end = 0;
        for (size_t i = 0; i < g_list.n; i++) {
            tok_copy *t = &g_list.t[i];
            cr_assert_gt(t->len, 0, "iteration %d token %zu empty", iter, i);
            cr_assert_lt(t->start, t->end, "iteration %d token %zu", iter, i);
            cr_assert_leq(t->end, n, "iteration %d token %zu", iter, i);
            cr_assert_geq(t->start, prev_end, "iteration %d token %zu", iter, i);
            cr_assert_gt(t->position, prev_pos, "iteration %d token %zu", iter, i);
            cr_assert(valid_utf8((const uint8_t *)t->text, t->len),
                      "iteration %d token %zu not UTF-8", iter, i);
            prev_end = t->end;
            prev_pos = t->position;
        }
        cr_assert_geq(g_list.next_position, prev_pos + 1);
        cr_assert_leq(g_list.invalid, n);
        /* Every fifth input: each token found again from its own bytes. */
        if (iter % 5 == 0)
            check_offsets_roundtrip(e, n);
        free(e);
    }
}

/* Text from Windows tools: bytes 0x80..0x9F are Windows-1252 punctuation,
 * so a 0x92 apostrophe joins like ’ and 0x93/0x94 quotes separate. */
Test(tokenizer, windows_1252_bytes)
{
    EXPECT("Wagner\x92s \x93gossip\x94 \x96 don\x92t", "wagner's gossip don't");
    EXPECT("\x80" "5 caf\xE9", "5 cafe");
}

/* ------------------------------------------- fast path against general */

/* Tokenizes text[0..n) with the plain-ASCII fast path on and off, in
 * lockstep, and fails on the first token that differs in any field. */
static void expect_paths_agree(const char *what, const char *text, size_t n)
{
    bl_tokenizer *slow;
    bl_token a, b;
    int ra, rb;
    size_t i = 0;

    cr_assert_eq(bl_tokenizer_new(&slow), 0);
    bl_tokenizer_set_fast_path(slow, 0);
    bl_tokenizer_reset(g_tok, text, n, 3);
    bl_tokenizer_reset(slow, text, n, 3);
    do {
        ra = bl_tokenizer_next(g_tok, &a);
        rb = bl_tokenizer_next(slow, &b);
        cr_assert_eq(ra, rb, "%s: token %zu: fast returned %d, general %d", what, i, ra, rb);
        if (ra == 1) {
            cr_assert_eq(a.len, b.len, "%s: token %zu \"%s\" vs \"%s\"", what, i, a.text, b.text);
            cr_assert_str_eq(a.text, b.text, "%s: token %zu", what, i);
            cr_assert_eq(a.position, b.position, "%s: token %zu", what, i);
            cr_assert_eq(a.start, b.start, "%s: token %zu", what, i);
            cr_assert_eq(a.end, b.end, "%s: token %zu", what, i);
        }
        i++;
    } while (ra == 1);
    cr_assert_eq(bl_tokenizer_next_position(g_tok), bl_tokenizer_next_position(slow), "%s", what);
    cr_assert_eq(bl_tokenizer_invalid_bytes(g_tok), bl_tokenizer_invalid_bytes(slow), "%s", what);
    bl_tokenizer_free(slow);
}

/* Appends part p ("" stands for one NUL byte) to s[0..*n) if it fits in
 * cap; returns whether it did. */
static int append_part(char *s, size_t *n, size_t cap, const char *p)
{
    size_t k = *p ? strlen(p) : 1;
    if (*n + k > cap)
        return 0;
    memcpy(s + *n, p, k);
    *n += k;
    return 1;
}

/* expect_paths_agree on a copy of s[0..n) in a buffer of exactly n bytes,
 * so ASan sees any read past the text. */
static void expect_paths_agree_exact(int iter, const char *s, size_t n)
{
    char *e = malloc(n ? n : 1);
    cr_assert_not_null(e);
    memcpy(e, s, n);
    char what[32];
    snprintf(what, sizeof what, "iteration %d", iter);
    expect_paths_agree(what, e, n);
    free(e);
}

/* Random text mixing the fast path's cases with everything that must send a
 * token to the general loop: joiners on either side, single letters before
 * periods, non-ASCII letters, marks and bytes next to ASCII words, runs at
 * and around the length limit, the text's end right after any of them. */
Test(tokenizer, fast_path_matches_general_on_random_text)
{
    static const char *const parts[] = {
        "a", "Z", "7", "said", "U", "1000", "x9", "'", ".", ",", "-", " ", "\n", "\0",
        "’", "é", "e\xCC\x81", "\xCC\x81", "ж", "½", "٣", "\xFF", "\x92", "．",
        "U.S.", "e.g", "1,000.50", "don't", "5.", "a.", "I'", "'s",
    };
    bl_rng r;
    bl_rng_init(&r, bl_test_seed("tokenizer/fast_path_matches_general_on_random_text"));
    static char s[4096];
    for (int iter = 0; iter < 3000; iter++) {
        size_t n = 0, want = bl_rng_below(&r, 600);
        while (n < want) {
            if (bl_rng_below(&r, 40) == 0) { /* a run near the length limit */
                size_t k = BL_TOKEN_MAX_BYTES - 2 + bl_rng_below(&r, 5);
                for (; k && n < sizeof s; k--)
                    s[n++] = "kQ4"[bl_rng_below(&r, 3)];
                continue;
            }
            const char *p = parts[bl_rng_below(&r, sizeof parts / sizeof *parts)];
            if (!append_part(s, &n, sizeof s, p))
                break;
        }
        expect_paths_agree_exact(iter, s, n);
    }
}

/* The Reuters files as they are (SGML, some Windows-1252 bytes): every
 * token the same on both paths. Skipped when the corpus is absent. */
Test(tokenizer, fast_path_matches_general_on_reuters)
{
    static const char *const files[] = {"reut2-000.sgm", "reut2-011.sgm", "reut2-017.sgm"};
    for (size_t f = 0; f < sizeof files / sizeof *files; f++) {
        char path[4096];
        size_t n;
        snprintf(path, sizeof path, "%s/../shared/corpora/reuters21578/%s", bl_test_root(),
                 files[f]);
        char *text = bl_test_read_file(path, &n);
        if (!text)
            cr_skip_test("%s is absent: Reuters comparison skipped", path);
        expect_paths_agree(path, text, n);
        free(text);
    }
}

/* Random text shaped like the tables of news feeds (USDA and market reports:
 * columns padded with runs of spaces, "1,001,900", "2,400-x", "Named-A",
 * "E.O.A.-C", "4/2/87") with invalid UTF-8, non-ASCII joiners and marks
 * mixed in: every token the same on both paths, the blank skipping and the
 * ASCII token reader included. Runs of spaces of every length up to 40 meet
 * the text's end, so the eight-at-a-time skip is checked near it. */
Test(tokenizer, fast_path_matches_general_on_random_tables)
{
    static const char *const parts[] = {
        "1,001,900", "2,400-x", "Named-A", "E.O.A.-C", "4/2/87", "nil", "NA", "1.5", "0.",
        ",", ".", "-", "'", "/", "(", ")", "*", ":", "--", "...", ",,", "..", "x", "Q", "a.b",
        "9", "12", "34.", ".5", ",7", "7,", "it's", "o'", "'t", "\t", "\n", "\r\n", "\0",
        "\xFF", "\x92", "\xC3", "é", "\xCC\x81", "٣", "’", "．", "，", "\xE2\x80\x94",
    };
    bl_rng r;
    bl_rng_init(&r, bl_test_seed("tokenizer/fast_path_matches_general_on_random_tables"));
    static char s[4096];
    for (int iter = 0; iter < 3000; iter++) {
        size_t n = 0, want = bl_rng_below(&r, 800);
        while (n < want) {
            unsigned pick = (unsigned)bl_rng_below(&r, 10);
            if (pick < 4) { /* column padding */
                size_t k = 1 + bl_rng_below(&r, 40);
                for (; k && n < sizeof s; k--)
                    s[n++] = ' ';
                continue;
            }
            if (pick == 4) { /* digit groups, some near the length limit */
                size_t k = 1 + bl_rng_below(&r, BL_TOKEN_MAX_BYTES + 8);
                for (size_t i = 0; i < k && n < sizeof s; i++) {
                    int sep = i % 4 == 3 && bl_rng_below(&r, 3);
                    s[n++] = sep ? ",.'"[bl_rng_below(&r, 3)] : (char)('0' + bl_rng_below(&r, 10));
                }
                continue;
            }
            const char *p = parts[bl_rng_below(&r, sizeof parts / sizeof *parts)];
            if (!append_part(s, &n, sizeof s, p))
                break;
        }
        expect_paths_agree_exact(iter, s, n);
    }
}

/* ------------------------------------------ spans and dropped tokens */

/* Random text for the span and drop tests: the parts of the tests above,
 * column padding, and runs of letters (ASCII, Cyrillic, U+FDF2, which
 * normalises to 8 bytes from 3) around the length limit once normalised,
 * so that some tokens are dropped, some just kept. */
static size_t random_span_text(bl_rng *r, char *s, size_t cap)
{
    static const char *const parts[] = {
        "a", "Z", "7", "said", "U", "1000", "x9", "'", ".", ",", "-", " ", "\n", "\0", "\t",
        "’", "é", "e\xCC\x81", "\xCC\x81", "ж", "½", "٣", "\xFF", "\x92", "．", "U.S.",
        "e.g", "1,000.50", "don't", "5.", "a.", "I'", "'s", "2,400-x", "E.O.A.-C", "4/2/87",
        "a.b", ".5", ",7", "7,", "o'", "\xC3", "，", "\xE2\x80\x94", "“", "(", ")",
    };
    static const char *const letters[] = {"k", "Q4", "ж", "\xEF\xB7\xB2", "é", "e\xCC\x81"};
    size_t n = 0, want = bl_rng_below(r, (uint32_t)cap);
    while (n < want) {
        unsigned pick = (unsigned)bl_rng_below(r, 20);
        if (pick == 0) { /* column padding */
            for (size_t k = 1 + bl_rng_below(r, 20); k && n < cap; k--)
                s[n++] = ' ';
        } else if (pick == 1) { /* a run of one letter near the limit */
            const char *p = letters[bl_rng_below(r, sizeof letters / sizeof *letters)];
            size_t k = (BL_TOKEN_MAX_BYTES - 4 + bl_rng_below(r, 9)) / (strlen(p) > 1 ? 2 : 1);
            if (strcmp(p, "\xEF\xB7\xB2") == 0)
                k = 7 + bl_rng_below(r, 3); /* 56, 64 or 72 bytes once normalised */
            for (; k && append_part(s, &n, cap, p); k--)
                ;
        } else if (!append_part(s, &n, cap,
                                parts[bl_rng_below(r, sizeof parts / sizeof *parts)])) {
            break;
        }
    }
    return n;
}

/* Tokens of text[0..n) read with next, next_span or a random mix of both
 * on the same tokenizer: the same positions and offsets; next_span gives
 * no text. */
static void expect_spans_agree(bl_rng *r, int iter, const char *text, size_t n)
{
    bl_tokenizer *spans;
    bl_token a, b;
    int ra, rb, mix = (int)bl_rng_below(r, 2);
    size_t i = 0;
    cr_assert_eq(bl_tokenizer_new(&spans), 0);
    bl_tokenizer_reset(g_tok, text, n, 7);
    bl_tokenizer_reset(spans, text, n, 7);
    do {
        ra = bl_tokenizer_next(g_tok, &a);
        int by_span = !mix || bl_rng_below(r, 2);
        rb = by_span ? bl_tokenizer_next_span(spans, &b) : bl_tokenizer_next(spans, &b);
        cr_assert_eq(ra, rb, "iteration %d token %zu: next %d, span %d", iter, i, ra, rb);
        if (ra == 1) {
            cr_assert_eq(a.position, b.position, "iteration %d token %zu", iter, i);
            cr_assert_eq(a.start, b.start, "iteration %d token %zu (\"%s\")", iter, i, a.text);
            cr_assert_eq(a.end, b.end, "iteration %d token %zu (\"%s\")", iter, i, a.text);
            if (by_span)
                cr_assert(b.text == NULL && b.len == 0, "iteration %d token %zu", iter, i);
        }
        i++;
    } while (ra == 1);
    cr_assert_eq(bl_tokenizer_next_span(spans, &b), 0, "the end is sticky");
    cr_assert_eq(bl_tokenizer_next_position(g_tok), bl_tokenizer_next_position(spans),
                 "iteration %d", iter);
    bl_tokenizer_free(spans);
}

Test(tokenizer, next_span_matches_next_on_random_text)
{
    bl_rng r;
    bl_rng_init(&r, bl_test_seed("tokenizer/next_span_matches_next_on_random_text"));
    static char s[2048];
    for (int iter = 0; iter < 4000; iter++) {
        size_t n = random_span_text(&r, s, sizeof s);
        char *e = malloc(n ? n : 1); /* exact size: ASan sees reads past the end */
        cr_assert_not_null(e);
        memcpy(e, s, n);
        expect_spans_agree(&r, iter, e, n);
        free(e);
    }
}

/* The cases next_span takes without the general loop, and those at their
 * edges that it must not: each gives the tokens bl_tokenizer_next gives. */
Test(tokenizer, next_span_edges)
{
    static const char *const texts[] = {
        "said. Said, said' said.'", "A. B.C. a.b a.", "U.S", "x.", "x'", "x'y", "1,", "1,2",
        "1.x", "q\xC3\xA9", "q\xCC\x81", "q\xE2\x80\x99s", "q'\xC3\xA9", "q.\xC3\xA9", "7'7",
        "  \t\n", "", "ab'", "'ab", "..ab..", "a-b", "a_b", "a\x7F" "b",
    };
    bl_rng r;
    bl_rng_init(&r, 1);
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        size_t n = strlen(texts[i]);
        char *e = malloc(n ? n : 1);
        cr_assert_not_null(e);
        memcpy(e, texts[i], n);
        expect_spans_agree(&r, (int)i, e, n);
        free(e);
    }
}

/* Does tokenizing text[0..n) drop a token? By tokenizing it. */
static int drops_by_tokenizing(const char *text, size_t n)
{
    bl_token t;
    uint32_t tokens = 0;
    bl_tokenizer_reset(g_tok, text, n, 0);
    while (bl_tokenizer_next(g_tok, &t) == 1)
        tokens++;
    return bl_tokenizer_next_position(g_tok) != tokens;
}

Test(tokenizer, drops_matches_tokenizing_on_random_text)
{
    bl_rng r;
    bl_rng_init(&r, bl_test_seed("tokenizer/drops_matches_tokenizing_on_random_text"));
    static char s[2048];
    bl_tokenizer *scan;
    cr_assert_eq(bl_tokenizer_new(&scan), 0);
    int dropped = 0, kept = 0;
    for (int iter = 0; iter < 6000; iter++) {
        size_t n = random_span_text(&r, s, iter % 2 ? 200 : sizeof s);
        char *e = malloc(n ? n : 1);
        cr_assert_not_null(e);
        memcpy(e, s, n);
        int want = drops_by_tokenizing(e, n);
        cr_assert_eq(bl_tokenizer_drops(scan, e, n), want, "iteration %d", iter);
        dropped += want, kept += !want;
        free(e);
    }
    bl_tokenizer_free(scan);
    cr_assert(dropped > 100 && kept > 100, "%d texts drop, %d do not", dropped, kept);
}

/* At the limits: the longest kept and shortest dropped tokens of ASCII and
 * of U+FDF2 (8 bytes once normalised from 3: 8 of them are 24 bytes, the
 * longest run the scan takes as safe unseen), at every offset from an
 * eight-byte boundary, at the text's start and end, inside punctuation. */
Test(tokenizer, drops_at_the_limits)
{
    static char s[512];
    bl_tokenizer *scan;
    cr_assert_eq(bl_tokenizer_new(&scan), 0);
    for (int unit = 0; unit < 2; unit++) {
        for (int extra = 0; extra < 2; extra++) {
            for (size_t lead = 0; lead < 10; lead++) {
                for (int wrap = 0; wrap < 3; wrap++) {
                    size_t n = 0;
                    for (size_t i = 0; i < lead; i++) /* words, then a blank */
                        s[n++] = i % 3 == 2 || i + 1 == lead ? ' ' : 'a';
                    if (wrap == 1)
                        s[n++] = '(';
                    size_t k = unit ? 8 + (size_t)extra : BL_TOKEN_MAX_BYTES + (size_t)extra;
                    for (size_t i = 0; i < k; i++)
                        n += (size_t)snprintf(s + n, sizeof s - n, "%s", unit ? "\xEF\xB7\xB2" : "w");
                    if (wrap == 1)
                        s[n++] = ')';
                    if (wrap == 2)
                        n += (size_t)snprintf(s + n, sizeof s - n, " tail words");
                    char *e = malloc(n);
                    cr_assert_not_null(e);
                    memcpy(e, s, n);
                    cr_assert_eq(drops_by_tokenizing(e, n), extra);
                    cr_assert_eq(bl_tokenizer_drops(scan, e, n), extra,
                                 "unit %d extra %d lead %zu wrap %d", unit, extra, lead, wrap);
                    free(e);
                }
            }
        }
    }
    cr_assert_eq(bl_tokenizer_drops(scan, NULL, 0), 0);
    bl_tokenizer_free(scan);
}

/* What bl_tokenizer_drops rests on: no character normalises to more than
 * 8/3 of its bytes (U+FDF2, 3 bytes, is the worst: 8), nor a byte that is
 * not UTF-8 (read as Windows-1252) to more than 2. Every code point. */
Test(tokenizer, no_character_normalises_past_eight_thirds, .timeout = 120)
{
    uint8_t buf[8];
    bl_token t;
    size_t worst_out = 0, worst_in = 1;
    for (uint32_t cp = 0x80; cp < 0x110000; cp++) {
        if (cp >= 0xD800 && cp < 0xE000)
            continue;
        size_t n = (size_t)utf8proc_encode_char((utf8proc_int32_t)cp, buf);
        size_t out = 0;
        bl_tokenizer_reset(g_tok, (const char *)buf, n, 0);
        while (bl_tokenizer_next(g_tok, &t) == 1)
            out += t.len;
        cr_assert_eq(bl_tokenizer_next_position(g_tok), out ? 1u : 0u, "U+%04X dropped", cp);
        cr_assert_leq(3 * out, 8 * n, "U+%04X: %zu bytes normalise to %zu", cp, n, out);
        if (out * worst_in > worst_out * n)
            worst_out = out, worst_in = n;
    }
    cr_assert_eq(3 * worst_out, 8 * worst_in, "the bound is tight (U+FDF2)");
    for (unsigned b = 0x80; b < 0x100; b++) {
        char c = (char)b;
        size_t out = 0;
        bl_tokenizer_reset(g_tok, &c, 1, 0);
        while (bl_tokenizer_next(g_tok, &t) == 1)
            out += t.len;
        cr_assert_leq(out, 2, "byte 0x%02X normalises to %zu bytes", b, out);
    }
}
