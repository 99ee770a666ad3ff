/* test_analyzer.c: tokenizer plus stemmer, as the indexer and the query
 * parser see it, and the stemmer wrapper on its own. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer.h"
#include "error.h"
#include "helpers.h"
#include "stemmer.h"

#define MAX_OCCS 4096

typedef struct {
    char term[128], norm[128];
    uint32_t position;
    size_t start, end;
} occ_copy;

static occ_copy g_occ[MAX_OCCS];
static size_t g_n;

static bl_analyzer *new_analyzer(const char *lang)
{
    bl_analyzer *a = NULL;
    int rc = bl_analyzer_new(&a, lang);
    cr_assert_eq(rc, 0, "bl_analyzer_new(%s): %s", lang, bl_error_detail());
    cr_assert_not_null(a);
    return a;
}

/* Analyses text[0..len) into g_occ. */
static void analyse(bl_analyzer *a, const char *text, size_t len,
                    uint32_t first)
{
    bl_term_occ o;
    int rc;
    g_n = 0;
    bl_analyzer_reset(a, text, len, first);
    while ((rc = bl_analyzer_next(a, &o)) == 1) {
        cr_assert_lt(g_n, MAX_OCCS);
        cr_assert_eq(strlen(o.term), o.term_len);
        cr_assert_eq(strlen(o.norm), o.norm_len);
        snprintf(g_occ[g_n].term, sizeof g_occ[g_n].term, "%s", o.term);
        snprintf(g_occ[g_n].norm, sizeof g_occ[g_n].norm, "%s", o.norm);
        g_occ[g_n].position = o.position;
        g_occ[g_n].start = o.start;
        g_occ[g_n].end = o.end;
        g_n++;
    }
    cr_assert_eq(rc, 0);
}

/* The term of a text that must give exactly one. Copied to a rotating
 * buffer so two calls can be compared. */
static const char *term1(bl_analyzer *a, const char *text)
{
    static char bufs[4][256];
    static int k;
    analyse(a, text, strlen(text), 0);
    cr_assert_eq(g_n, 1, "\"%s\" gave %zu terms", text, g_n);
    k = (k + 1) % 4;
    snprintf(bufs[k], sizeof bufs[k], "%s", g_occ[0].term);
    return bufs[k];
}

Test(analyzer, english_stems)
{
    bl_analyzer *a = new_analyzer("english");
    cr_assert_str_eq(bl_analyzer_language(a), "english");
    cr_assert_str_eq(term1(a, "sanctions"), term1(a, "sanction"));
    cr_assert_str_eq(term1(a, "Sanctions"), "sanction");
    cr_assert_str_eq(term1(a, "running"), "run");
    cr_assert_str_eq(term1(a, "runs"), "run");
    cr_assert_str_eq(term1(a, "Wagner’s"), "wagner");
    cr_assert_str_eq(term1(a, "Wagner's"), "wagner");
    cr_assert_str_eq(term1(a, "Wagner"), "wagner");
    bl_analyzer_free(a);
}

Test(analyzer, folding_before_stemming)
{
    bl_analyzer *a = new_analyzer("english");
    const char *z = term1(a, "Zélensky");
    cr_assert_str_eq(z, term1(a, "zelensky"));
    cr_assert_str_eq(z, term1(a, "ZELENSKY"));
    cr_assert_str_eq(term1(a, "M\xFCnchen"), term1(a, "München"));
    cr_assert_eq(bl_analyzer_invalid_bytes(a), 0);
    analyse(a, "M\xFCnchen", 7, 0);
    cr_assert_eq(bl_analyzer_invalid_bytes(a), 1);
    cr_assert_str_eq(g_occ[0].norm, "munchen");
    cr_assert_str_eq(term1(a, "ＲＵＮＮＩＮＧ"), "run");
    bl_analyzer_free(a);
}

Test(analyzer, term_norm_positions_offsets)
{
    bl_analyzer *a = new_analyzer("english");
    static const char s[] = "The sanctions, “groundless theory”: Thomas-Greenfield";
    analyse(a, s, sizeof s - 1, 10);
    cr_assert_eq(g_n, 6);
    static const char *terms[] = {"the", "sanction", "groundless", "theori",
                                  "thoma", "greenfield"};
    static const char *norms[] = {"the", "sanctions", "groundless", "theory",
                                  "thomas", "greenfield"};
    static const char *src[] = {"The", "sanctions", "groundless", "theory",
                                "Thomas", "Greenfield"};
    for (size_t i = 0; i < g_n; i++) {
        cr_assert_str_eq(g_occ[i].term, terms[i], "term %zu", i);
        cr_assert_str_eq(g_occ[i].norm, norms[i], "term %zu", i);
        cr_assert_eq(g_occ[i].position, 10 + i);
        cr_assert_eq(g_occ[i].end - g_occ[i].start, strlen(src[i]));
        cr_assert(memcmp(s + g_occ[i].start, src[i], strlen(src[i])) == 0,
                  "term %zu", i);
    }
    cr_assert_eq(bl_analyzer_next_position(a), 16);
    bl_analyzer_free(a);
}

Test(analyzer, numbers_are_not_stemmed)
{
    bl_analyzer *a = new_analyzer("english");
    cr_assert_str_eq(term1(a, "1,000.50"), "1000.50");
    cr_assert_str_eq(term1(a, "1990s"), "1990s");
    cr_assert_str_eq(term1(a, "covid19s"), "covid19s");
    cr_assert_str_eq(term1(a, "٣s"), "٣s");
    analyse(a, "2023-01-05", 10, 0);
    cr_assert_eq(g_n, 3);
    cr_assert_str_eq(g_occ[0].term, "2023");
    cr_assert_str_eq(g_occ[2].term, "05");
    bl_analyzer_free(a);
}

/* An abbreviation is one term, the same in text and in a query word, and
 * its letters are not terms of their own. */
Test(analyzer, dotted_abbreviation_is_one_term)
{
    bl_analyzer *a = new_analyzer("english");
    cr_assert_str_eq(term1(a, "U.S."), term1(a, "us"));
    cr_assert_str_eq(term1(a, "U.S"), term1(a, "US"));
    cr_assert_str_eq(term1(a, "U.S.S.R."), "ussr");
    cr_assert_str_eq(term1(a, "I.Q."), "iq");
    static const char s[] = "the U.S. Coast Guard and the U.S.S.R.";
    analyse(a, s, sizeof s - 1, 0);
    cr_assert_eq(g_n, 7);
    static const char *terms[] = {"the", "us", "coast", "guard", "and", "the"};
    for (size_t i = 0; i < 6; i++)
        cr_assert_str_eq(g_occ[i].term, terms[i], "term %zu", i);
    cr_assert_str_eq(g_occ[6].term, "ussr", "no term r or s");
    cr_assert_eq(g_occ[1].end - g_occ[1].start, 4, "U.S. is covered whole");
    cr_assert_eq(g_occ[6].start, sizeof s - 1 - strlen("U.S.S.R."));
    cr_assert_eq(g_occ[6].end, sizeof s - 1);
    for (size_t i = 0; i < g_n; i++)
        cr_assert_eq(g_occ[i].position, i, "phrases see consecutive positions");
    bl_analyzer_free(a);
}

Test(analyzer, long_token_keeps_position)
{
    bl_analyzer *a = new_analyzer("english");
    size_t n = 5000;
    char *s = malloc(n + 16);
    cr_assert_not_null(s);
    memcpy(s, "one ", 4);
    memset(s + 4, 'z', n);
    memcpy(s + 4 + n, " two", 4);
    analyse(a, s, n + 8, 0);
    cr_assert_eq(g_n, 2);
    cr_assert_str_eq(g_occ[1].term, "two");
    cr_assert_eq(g_occ[1].position, 2);
    cr_assert_eq(g_occ[1].start, n + 5);
    cr_assert_eq(bl_analyzer_next_position(a), 3);
    free(s);
    bl_analyzer_free(a);
}

Test(analyzer, empty_and_punctuation)
{
    bl_analyzer *a = new_analyzer("english");
    analyse(a, "", 0, 3);
    cr_assert_eq(g_n, 0);
    cr_assert_eq(bl_analyzer_next_position(a), 3);
    analyse(a, "--- ... !!! “”", strlen("--- ... !!! “”"), 0);
    cr_assert_eq(g_n, 0);
    analyse(a, "a\0b", 3, 0);
    cr_assert_eq(g_n, 2);
    bl_analyzer_free(a);
}

Test(analyzer, french)
{
    bl_analyzer *a = new_analyzer("french");
    cr_assert_str_eq(bl_analyzer_language(a), "french");
    cr_assert_str_eq(term1(a, "nationales"), term1(a, "national"));
    cr_assert_str_eq(term1(a, "Élections"), term1(a, "élection"));
    cr_assert_str_eq(term1(a, "élections"), "elect");
    bl_analyzer_free(a);
}

Test(analyzer, language_aliases_and_case)
{
    bl_analyzer *a = new_analyzer("fr");
    cr_assert_str_eq(bl_analyzer_language(a), "french");
    bl_analyzer_free(a);
    a = new_analyzer("English");
    cr_assert_str_eq(bl_analyzer_language(a), "english");
    bl_analyzer_free(a);
    a = new_analyzer("eng");
    cr_assert_str_eq(bl_analyzer_language(a), "english");
    bl_analyzer_free(a);
    a = new_analyzer("porter");
    cr_assert_str_eq(bl_analyzer_language(a), "porter");
    cr_assert_str_eq(term1(a, "running"), "run");
    bl_analyzer_free(a);
}

Test(analyzer, none_does_not_stem)
{
    bl_analyzer *a = new_analyzer("none");
    cr_assert_str_eq(bl_analyzer_language(a), "none");
    analyse(a, "Sanctions running Wagner’s", strlen("Sanctions running Wagner’s"), 0);
    cr_assert_eq(g_n, 3);
    cr_assert_str_eq(g_occ[0].term, "sanctions");
    cr_assert_str_eq(g_occ[1].term, "running");
    cr_assert_str_eq(g_occ[2].term, "wagner's");
    for (size_t i = 0; i < g_n; i++)
        cr_assert_str_eq(g_occ[i].term, g_occ[i].norm);
    bl_analyzer_free(a);
}

Test(analyzer, unknown_language)
{
    static const char *bad[] = {"xx", "klingon", "", "englishenglishenglishenglishenglish"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        bl_analyzer *a = (bl_analyzer *)&a; /* must be overwritten */
        bl_error_clear();
        int rc = bl_analyzer_new(&a, bad[i]);
        cr_assert_eq(rc, BL_EINVAL, "lang '%s': rc %d", bad[i], rc);
        cr_assert_null(a);
        cr_assert_eq(bl_error_code(), BL_EINVAL);
        cr_assert_not_null(strstr(bl_error_detail(), "--help"), "%s",
                           bl_error_detail());
    }
    bl_analyzer *a;
    cr_assert_eq(bl_analyzer_new(&a, "xx"), BL_EINVAL);
    cr_assert_str_eq(bl_error_detail(),
                     "unknown language 'xx' (see byline index --help for the list)");
    bl_stemmer *s = (bl_stemmer *)&s;
    cr_assert_eq(bl_stemmer_new(&s, NULL), BL_EINVAL);
    cr_assert_null(s);
}

Test(analyzer, free_null)
{
    bl_analyzer_free(NULL);
    bl_stemmer_free(NULL);
}

/* ------------------------------------------------------ stemmer alone */

Test(analyzer, stemmer_direct)
{
    bl_stemmer *s;
    const char *out;
    size_t n;
    cr_assert_eq(bl_stemmer_new(&s, "english"), 0);
    /* The word need not be NUL-terminated; the result always is. */
    static const char buf[] = "sanctionsXYZ";
    cr_assert_eq(bl_stemmer_stem(s, buf, 9, &out, &n), 0);
    cr_assert_eq(n, 8);
    cr_assert_str_eq(out, "sanction");
    cr_assert_eq(bl_stemmer_stem(s, "x", 0, &out, &n), 0);
    cr_assert_eq(n, 0);
    cr_assert_str_eq(out, "");
    cr_assert_eq(bl_stemmer_stem(s, "running", 7, &out, &n), 0);
    cr_assert_str_eq(out, "run");
    bl_stemmer_free(s);

    cr_assert_eq(bl_stemmer_new(&s, "none"), 0);
    cr_assert_eq(bl_stemmer_stem(s, buf, 9, &out, &n), 0);
    cr_assert_str_eq(out, "sanctions");
    cr_assert_eq(n, 9);
    bl_stemmer_free(s);
}

Test(analyzer, stemmer_languages_list)
{
    const char **l = bl_stemmer_languages();
    int english = 0, french = 0;
    size_t n = 0;
    cr_assert_not_null(l);
    for (; l[n]; n++) {
        english |= strcmp(l[n], "english") == 0;
        french |= strcmp(l[n], "french") == 0;
        /* Every listed language can be created and names itself. */
        bl_stemmer *s;
        cr_assert_eq(bl_stemmer_new(&s, l[n]), 0, "%s", l[n]);
        cr_assert_str_eq(bl_stemmer_language(s), l[n]);
        bl_stemmer_free(s);
    }
    cr_assert(english && french);
    cr_assert_gt(n, 10);
}

/* Random text through every language: stemming never breaks UTF-8 or the
 * offsets, and never fails. */
Test(analyzer, random_text_all_languages)
{
    bl_rng r;
    bl_rng_init(&r, bl_test_seed("analyzer/random_text_all_languages"));
    static const char *const pieces[] = {
        "the ", "sanctions ", "élections ", "Wagner’s ", "nationales ",
        "Достоевский ", "ελληνικά ", "1,000.50 ", "running-", "\xFC", "\xE2\x82",
        "\0", "ｆｕｌｌ", "ﬁ", "'", "s", "ing", "ed ", "한국어 ", "مرحبا ",
    };
    const char **langs = bl_stemmer_languages();
    static char s[4096];
    for (size_t li = 0; langs[li]; li++) {
        bl_analyzer *a = new_analyzer(langs[li]);
        for (int iter = 0; iter < 50; iter++) {
            size_t n = 0, want = bl_rng_below(&r, sizeof s - 64);
            while (n < want) {
                const char *p = pieces[bl_rng_below(&r, sizeof pieces / sizeof pieces[0])];
                size_t k = *p ? strlen(p) : 1;
                memcpy(s + n, p, k);
                n += k;
            }
            analyse(a, s, n, 0);
            size_t prev_end = 0;
            for (size_t i = 0; i < g_n; i++) {
                cr_assert_geq(g_occ[i].start, prev_end, "%s", langs[li]);
                cr_assert_lt(g_occ[i].start, g_occ[i].end);
                cr_assert_leq(g_occ[i].end, n);
                cr_assert_gt(strlen(g_occ[i].term), 0, "%s: '%s' stems to nothing",
                             langs[li], g_occ[i].norm);
                prev_end = g_occ[i].end;
            }
        }
        bl_analyzer_free(a);
    }
}

/* ------------------------------------------------ stem cache, term API */

/* A random word: syllables that English stemming cuts in many ways, a
 * non-ASCII letter now and then, lengths past the cache's 30-byte words. */
static size_t random_word(bl_rng *r, char *w, size_t cap)
{
    static const char *const syl[] = {
        "a", "tion", "ing", "ed", "s", "ies", "ly", "ness", "ful", "ation", "er",
        "y", "e", "nat", "ur", "pro", "con", "st", "é", "ж", "7", "ss", "'s",
    };
    size_t n = 0, parts = 1 + bl_rng_below(r, 1 + bl_rng_below(r, 14));
    for (size_t i = 0; i < parts; i++) {
        const char *p = syl[bl_rng_below(r, sizeof syl / sizeof *syl)];
        size_t k = strlen(p);
        if (n + k >= cap)
            break;
        memcpy(w + n, p, k);
        n += k;
    }
    w[n] = 0;
    return n;
}

/* Far more distinct words than the cache holds, asked for in two rounds
 * and mixed with a few hot words: every answer is the stemmer's own, so
 * eviction and collisions never hand out another word's stem. */
Test(analyzer, term_cache_under_pressure_matches_stemmer)
{
    enum { NWORDS = 60000, WMAX = 64 };
    static char words[NWORDS][WMAX];
    static size_t lens[NWORDS];
    bl_rng r;
    bl_rng_init(&r, bl_test_seed("analyzer/term_cache_under_pressure_matches_stemmer"));
    bl_analyzer *a = new_analyzer("english");
    bl_stemmer *ref;
    cr_assert_eq(bl_stemmer_new(&ref, "english"), 0);
    for (size_t i = 0; i < NWORDS; i++)
        lens[i] = random_word(&r, words[i], WMAX);
    for (int round = 0; round < 2; round++) {
        for (size_t k = 0; k < NWORDS; k++) {
            /* Round 0 in order, round 1 at random; every third a hot word. */
            size_t i = round == 0 ? k : bl_rng_below(&r, NWORDS);
            if (k % 3 == 0)
                i = bl_rng_below(&r, 16);
            const char *t, *want;
            size_t tn, wn;
            cr_assert_eq(bl_analyzer_term(a, words[i], lens[i], &t, &tn), 0);
            cr_assert_eq(strlen(t), tn);
            char got[256];
            snprintf(got, sizeof got, "%s", t);
            cr_assert_eq(bl_stemmer_stem(ref, words[i], lens[i], &want, &wn), 0);
            cr_assert_eq(tn, wn, "round %d: \"%s\" gave \"%s\", want \"%s\"", round,
                         words[i], got, want);
            cr_assert_str_eq(got, want, "round %d: \"%s\"", round, words[i]);
        }
    }
    bl_stemmer_free(ref);
    bl_analyzer_free(a);
}

/* bl_analyzer_next_token then bl_analyzer_term gives what bl_analyzer_next
 * gives, field by field, on text[0..n). */
static void expect_split_api_agrees(bl_analyzer *whole, bl_analyzer *split, const char *what,
                                    const char *text, size_t n)
{
    bl_term_occ x, y;
    int rx, ry;
    size_t i = 0;
    bl_analyzer_reset(whole, text, n, 7);
    bl_analyzer_reset(split, text, n, 7);
    for (;; i++) {
        rx = bl_analyzer_next(whole, &x);
        ry = bl_analyzer_next_token(split, &y);
        cr_assert_eq(rx, ry, "%s: token %zu", what, i);
        if (rx != 1)
            break;
        cr_assert_null(y.term);
        cr_assert_eq(x.norm_len, y.norm_len, "%s: token %zu", what, i);
        cr_assert_eq(memcmp(x.norm, y.norm, x.norm_len), 0, "%s: token %zu", what, i);
        cr_assert_eq(x.position, y.position, "%s: token %zu", what, i);
        cr_assert_eq(x.start, y.start, "%s: token %zu", what, i);
        cr_assert_eq(x.end, y.end, "%s: token %zu", what, i);
        cr_assert_eq(bl_analyzer_term(split, y.norm, y.norm_len, &y.term, &y.term_len), 0);
        cr_assert_eq(x.term_len, y.term_len, "%s: token %zu \"%s\"", what, i, x.norm);
        cr_assert_str_eq(x.term, y.term, "%s: token %zu", what, i);
    }
    cr_assert_eq(rx, 0);
    cr_assert_eq(bl_analyzer_next_position(whole), bl_analyzer_next_position(split), "%s", what);
    cr_assert_eq(bl_analyzer_invalid_bytes(whole), bl_analyzer_invalid_bytes(split), "%s", what);
}

Test(analyzer, next_token_and_term_agree_with_next)
{
    bl_analyzer *whole = new_analyzer("english"), *split = new_analyzer("english");
    static const char *const files[] = {"reut2-003.sgm", "reut2-020.sgm"};
    int found = 0;
    for (size_t f = 0; f < sizeof files / sizeof *files; f++) {
        char path[4096];
        size_t n;
        snprintf(path, sizeof path, "%s/../shared/corpora/reuters21578/%s", bl_test_root(),
                 files[f]);
        char *text = bl_test_read_file(path, &n);
        if (!text)
            continue;
        found = 1;
        expect_split_api_agrees(whole, split, path, text, n);
        free(text);
    }
    static const char text[] = "U.S. officials said the Bundesbank's rates, 1,000.50 "
                               "don\x92t Zélensky ＦＵＬＬ \xFF running-runs";
    expect_split_api_agrees(whole, split, "sample", text, sizeof text - 1);
    bl_analyzer_free(whole);
    bl_analyzer_free(split);
    if (!found)
        cr_skip_test("Reuters corpus absent: only the sample text was compared");
}
