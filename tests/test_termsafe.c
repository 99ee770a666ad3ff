/* test_termsafe.c: the visible escapes of termsafe.h, one test per class of
 * character, then random bytes checked against an independent scan of the
 * output: valid UTF-8, no character that acts on a terminal, and a width
 * that is the output's own.
 *
 * The random test prints its seed; set BYLINE_SEED=N to replay it. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "error.h"
#include "helpers.h"
#include "termsafe.h"

/* What bl_termsafe_write() writes for s[0..len); owned by the test. */
static char *escaped_len(const char *s, size_t len, size_t *out_len)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    cr_assert(f);
    cr_assert_eq(bl_termsafe_write(f, s, len), 0);
    cr_assert_eq(fclose(f), 0);
    if (out_len)
        *out_len = n;
    return buf;
}

/* Checks that s[0..len) is written as want. */
static void expect_len(const char *s, size_t len, const char *want)
{
    size_t n;
    char *got = escaped_len(s, len, &n);
    cr_expect(n == strlen(want) && memcmp(got, want, n) == 0,
              "escaped \"%.*s\" is \"%s\", want \"%s\"", (int)len, s, got, want);
    free(got);
}

#define EXPECT(s, want) expect_len(s, sizeof(s) - 1, want)

Test(termsafe, c0_controls_and_del)
{
    EXPECT("a\x1b[2Jb", "a\\x1b[2Jb");
    EXPECT("bell\x07 bs\x08 del\x7f", "bell\\x07 bs\\x08 del\\x7f");
    EXPECT("\0x", "\\x00x");
    /* A message stays on one line. */
    EXPECT("one\ttwo\nthree\rfour", "one\\ttwo\\nthree\\rfour");
}

Test(termsafe, c1_controls)
{
    /* U+009B is CSI, U+0085 NEL, U+009D OSC: UTF-8 encoded code points. */
    EXPECT("a\xc2\x9b" "31mb\xc2\x85\xc2\x9d", "a\\u009b31mb\\u0085\\u009d");
    /* U+00A0 (no-break space) is printable. */
    EXPECT("a\xc2\xa0" "b", "a\xc2\xa0" "b");
}

Test(termsafe, bidi_controls)
{
    EXPECT("gpj\xe2\x80\xae.exe", "gpj\\u202e.exe");
    EXPECT("\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad",
           "\\u202a\\u202b\\u202c\\u202d");
    EXPECT("\xe2\x81\xa6\xe2\x81\xa7\xe2\x81\xa8\xe2\x81\xa9",
           "\\u2066\\u2067\\u2068\\u2069");
    EXPECT("\xe2\x80\x8e\xe2\x80\x8f\xd8\x9c", "\\u200e\\u200f\\u061c");
    /* Line and paragraph separators. */
    EXPECT("a\xe2\x80\xa8" "b\xe2\x80\xa9", "a\\u2028b\\u2029");
    /* Neighbours of the ranges pass: U+2027, U+202F, U+2065, U+206A,
     * U+200D (zero width joiner, part of emoji). */
    EXPECT("\xe2\x80\xa7\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa\xe2\x80\x8d",
           "\xe2\x80\xa7\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa\xe2\x80\x8d");
}

Test(termsafe, invalid_utf8_bytes)
{
    /* A lone 0x9B is CSI to an 8-bit terminal. */
    EXPECT("a\x9b" "31m", "a\\x9b31m");
    EXPECT("M\xfcnchen", "M\\xfcnchen");
    /* Overlong, surrogate, truncated, beyond U+10FFFF: byte by byte. */
    EXPECT("\xc0\xaf", "\\xc0\\xaf");
    EXPECT("\xed\xa0\x80", "\\xed\\xa0\\x80");
    EXPECT("x\xe2\x80", "x\\xe2\\x80");
    EXPECT("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80");
    /* A truncated sequence does not swallow the ESC after it. */
    EXPECT("\xe2\x80\x1b", "\\xe2\\x80\\x1b");
}

Test(termsafe, ordinary_text_unchanged)
{
    static const char s[] = "Zélensky met 東京 officials \\ \"quoted\" 'x' ~ \xf0\x9f\x98\x80 "
                            "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d";
    EXPECT(s, s);
    expect_len(NULL, 0, "");
}

Test(termsafe, printf_keeps_only_the_final_newline)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    cr_assert(f);
    cr_assert_eq(bl_termsafe_printf(f, "file %s: line %d\n", "a\nb\x1b", 3), 0);
    cr_assert_eq(bl_termsafe_printf(f, "no newline %s", "\t"), 0);
    /* A newline from an argument at the end is not the format's. */
    cr_assert_eq(bl_termsafe_printf(f, "%s", "x\n"), 0);
    cr_assert_eq(fclose(f), 0);
    cr_expect_str_eq(buf, "file a\\nb\\x1b: line 3\nno newline \\tx\\n");
    free(buf);
}

Test(termsafe, printf_long_message_whole)
{
    size_t len = 5000;
    char *arg = malloc(len + 1);
    cr_assert(arg);
    memset(arg, 'q', len);
    arg[len] = '\0';
    arg[len - 1] = '\x1b';
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    cr_assert(f);
    cr_assert_eq(bl_termsafe_printf(f, "<%s>\n", arg), 0);
    cr_assert_eq(fclose(f), 0);
    cr_expect_eq(n, 1 + (len - 1) + 4 + 2, "%zu bytes", n);
    cr_expect(strcmp(buf + n - 6, "\\x1b>\n") == 0, "ends with '%s'", buf + n - 6);
    free(arg);
    free(buf);
}

Test(termsafe, printf_leaves_the_error_detail)
{
    bl_error_set(BL_EIO, "the real problem");
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    cr_assert(f);
    bl_termsafe_printf(f, "%s\n", bl_error_detail());
    cr_assert_eq(fclose(f), 0);
    cr_expect_str_eq(bl_error_detail(), "the real problem");
    free(buf);
}

Test(termsafe, width_counts_terminal_columns)
{
    cr_expect_eq(bl_termsafe_width("abc", 3), 3);
    cr_expect_eq(bl_termsafe_width("a\x1b" "b", 3), 6, "\\x1b takes 4 columns");
    cr_expect_eq(bl_termsafe_width("\xe2\x80\xae", 3), 6, "\\u202e takes 6");
    cr_expect_eq(bl_termsafe_width("\xff", 1), 4);
    cr_expect_eq(bl_termsafe_width("東京", strlen("東京")), 4, "wide characters take 2");
    cr_expect_eq(bl_termsafe_width("e\xcc\x81", 3), 1, "a combining mark takes none");
    cr_expect_eq(bl_termsafe_width(NULL, 0), 0);
}

/* ------------------------------------------------------------ random */

/* Bidirectional formatting characters, by utf8proc's bidi classes rather
 * than by the list in termsafe.c, plus the three marks. */
static int is_bidi_control(utf8proc_int32_t c)
{
    switch (utf8proc_get_property(c)->bidi_class) {
    case UTF8PROC_BIDI_CLASS_LRE: case UTF8PROC_BIDI_CLASS_RLE:
    case UTF8PROC_BIDI_CLASS_LRO: case UTF8PROC_BIDI_CLASS_RLO:
    case UTF8PROC_BIDI_CLASS_PDF: case UTF8PROC_BIDI_CLASS_LRI:
    case UTF8PROC_BIDI_CLASS_RLI: case UTF8PROC_BIDI_CLASS_FSI:
    case UTF8PROC_BIDI_CLASS_PDI:
        return 1;
    default:
        return c == 0x200E || c == 0x200F || c == 0x061C;
    }
}

/* Terminal columns of already escaped text, measured with utf8proc alone;
 * fails the test if the text is not valid UTF-8 or still holds a
 * character that acts on a terminal. */
static size_t check_clean(const char *s, size_t n, int iter)
{
    size_t width = 0;
    utf8proc_ssize_t i = 0;
    while ((size_t)i < n) {
        utf8proc_int32_t c;
        utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
                                              (utf8proc_ssize_t)n - i, &c);
        cr_assert(k > 0, "iteration %d: invalid UTF-8 at byte %zd of the output", iter, i);
        utf8proc_category_t cat = utf8proc_category(c);
        cr_assert(cat != UTF8PROC_CATEGORY_CC && cat != UTF8PROC_CATEGORY_ZL &&
                      cat != UTF8PROC_CATEGORY_ZP && !is_bidi_control(c),
                  "iteration %d: U+%04X left raw", iter, (unsigned)c);
        int w = utf8proc_charwidth(c);
        width += w > 0 ? (size_t)w : 0;
        i += k;
    }
    return width;
}

Test(termsafe, random_bytes_come_out_clean)
{
    bl_rng r;
    bl_rng_init(&r, bl_test_seed("termsafe/random_bytes_come_out_clean"));
    static const char *const pieces[] = {
        "a", " ", "\\", "\x1b", "\t", "\n", "\x7f", "\xc2\x9b", "\xe2\x80\xae", "\xe2\x81\xa6",
        "\xe2\x80\x8f", "\xe2\x80\xa8", "é", "東", "e\xcc\x81", "\xf0\x9f\x98\x80", "\xe2\x80",
        "\xc0\xaf", "\xed\xa0\x80", "\xff", "\x9b",
    };
    char s[512];
    for (int iter = 0; iter < 3000; iter++) {
        size_t n = 0, want = bl_rng_below(&r, sizeof s - 8);
        int raw = bl_rng_below(&r, 2);
        while (n < want) {
            if (raw) {
                s[n++] = (char)bl_rng_next(&r);
                continue;
            }
            const char *p = pieces[bl_rng_below(&r, sizeof pieces / sizeof pieces[0])];
            memcpy(s + n, p, strlen(p));
            n += strlen(p);
        }
        size_t out_len;
        char *out = escaped_len(s, n, &out_len);
        size_t width = check_clean(out, out_len, iter);
        cr_assert_eq(bl_termsafe_width(s, n), width,
                     "iteration %d: width %zu, the output takes %zu", iter,
                     bl_termsafe_width(s, n), width);
        free(out);
    }
}
