/* test_snippet.c: windows and highlights of bl_snippet_make, and the same
 * snippets made from an index's positions (bl_snippet_ctx_make_doc). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analyzer.h"
#include "error.h"
#include "helpers.h"
#include "index.h"
#include "query.h"
#include "snippet.h"
#include "tokenizer.h"

static bl_analyzer *A;

static void setup(void)
{
    cr_assert_eq(bl_analyzer_new(&A, "english"), 0);
}

static void teardown(void)
{
    bl_analyzer_free(A);
    A = NULL;
}

TestSuite(snippet, .init = setup, .fini = teardown);

/* Is s[0..n) valid UTF-8 (no NUL)? */
static int valid_utf8(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned char c = p[i];
        size_t k;
        uint32_t v;
        if (c == 0)
            return 0;
        if (c < 0x80) { i++; continue; }
        if (c >= 0xC2 && c <= 0xDF) k = 1, v = c & 0x1F;
        else if (c >= 0xE0 && c <= 0xEF) k = 2, v = c & 0x0F;
        else if (c >= 0xF0 && c <= 0xF4) k = 3, v = c & 0x07;
        else return 0;
        for (size_t j = 1; j <= k; j++) {
            if (i + j >= n || (p[i + j] & 0xC0) != 0x80)
                return 0;
            v = v << 6 | (p[i + j] & 0x3F);
        }
        if ((k == 2 && v < 0x800) || (k == 3 && (v < 0x10000 || v > 0x10FFFF)) ||
            (v >= 0xD800 && v <= 0xDFFF))
            return 0;
        i += k + 1;
    }
    return 1;
}

/* The contract every snippet keeps, whatever the input. */
static void check_invariants(const bl_snippet *sn, size_t text_len)
{
    cr_assert_not_null(sn->text);
    cr_assert_eq(strlen(sn->text), sn->len, "snippet has a NUL inside");
    cr_assert(valid_utf8(sn->text, sn->len), "snippet is not UTF-8: %s", sn->text);
    size_t prev = 0;
    for (size_t i = 0; i < sn->nhighlights; i++) {
        bl_span h = sn->highlights[i], s = sn->source_spans[i];
        cr_assert(h.start < h.end && h.end <= sn->len, "bad span %zu", i);
        cr_assert(i == 0 || h.start >= prev, "spans overlap or go back");
        cr_assert(s.start < s.end && s.end <= text_len, "bad source span %zu", i);
        cr_assert(i == 0 || s.start >= sn->source_spans[i - 1].end);
        prev = h.end;
    }
}

/* Builds the snippet of text for query with window w; checks invariants. */
static bl_snippet make(const char *query, const char *text, size_t len, size_t w)
{
    bl_qnode *q = NULL;
    size_t err = 0;
    bl_snippet sn;
    cr_assert_eq(bl_query_parse(query, A, NULL, &q, &err), 0, "parse %s", query);
    cr_assert_eq(bl_snippet_make(A, q, text, len, w, &sn), 0);
    bl_qnode_free(q);
    check_invariants(&sn, len);
    return sn;
}

/* Highlight i as a string (static buffer). */
static const char *hl(const bl_snippet *sn, size_t i)
{
    static char buf[1024];
    size_t n = sn->highlights[i].end - sn->highlights[i].start;
    cr_assert_lt(n, sizeof buf);
    memcpy(buf, sn->text + sn->highlights[i].start, n);
    buf[n] = 0;
    return buf;
}

static int starts_with(const char *s, const char *p) { return strncmp(s, p, strlen(p)) == 0; }
static int ends_with(const char *s, const char *p)
{
    size_t n = strlen(s), k = strlen(p);
    return n >= k && strcmp(s + n - k, p) == 0;
}

/* "w0 w1 ... " filler words that never stem to a query term. */
static void filler(char *out, size_t cap, int from, int n)
{
    size_t len = strlen(out);
    for (int i = from; i < from + n; i++)
        len += (size_t)snprintf(out + len, cap - len, "filler%d ", i);
}

#define ELL "\xE2\x80\xA6"

Test(snippet, single_term_in_long_text)
{
    static char text[8192];
    text[0] = 0;
    filler(text, sizeof text, 0, 100);
    strcat(text, "Wagner ");
    filler(text, sizeof text, 100, 100);
    bl_snippet sn = make("wagner", text, strlen(text), 0);
    cr_assert(starts_with(sn.text, ELL " "), "%s", sn.text);
    cr_assert(ends_with(sn.text, " " ELL), "%s", sn.text);
    cr_assert_eq(sn.nhighlights, 1);
    cr_assert_str_eq(hl(&sn, 0), "Wagner");
    cr_assert_eq(memcmp(text + sn.source_spans[0].start, "Wagner", 6), 0);
    cr_assert_eq(sn.source_spans[0].end - sn.source_spans[0].start, 6);
    /* About five words of context come before the match. */
    cr_assert(strstr(sn.text, "filler95 filler96 filler97 filler98 filler99 Wagner"),
              "%s", sn.text);
    cr_assert_null(strstr(sn.text, "filler93"), "%s", sn.text);
    bl_snippet_release(&sn);
    bl_snippet_release(&sn); /* safe twice */
}

Test(snippet, phrase_is_one_span)
{
    const char *text = "There was gossip, and much gossip and speculation about it.";
    bl_snippet sn = make("\"gossip and speculation\"", text, strlen(text), 0);
    cr_assert_eq(sn.nhighlights, 1, "%zu", sn.nhighlights);
    cr_assert_str_eq(hl(&sn, 0), "gossip and speculation");
    cr_assert_str_eq(sn.text, text);
    bl_snippet_release(&sn);
}

Test(snippet, phrase_and_term_overlap_merge)
{
    const char *text = "North Korea and the north.";
    bl_snippet sn = make("\"north korea\" OR north", text, strlen(text), 0);
    cr_assert_eq(sn.nhighlights, 2);
    cr_assert_str_eq(hl(&sn, 0), "North Korea");
    cr_assert_str_eq(hl(&sn, 1), "north");
    bl_snippet_release(&sn);
}

Test(snippet, stemmed_forms_match)
{
    const char *text = "One sanction, then sanctions; the firm was sanctioned. Sanctimonious.";
    bl_snippet sn = make("sanctions", text, strlen(text), 0);
    cr_assert_eq(sn.nhighlights, 3, "%zu", sn.nhighlights);
    cr_assert_str_eq(hl(&sn, 0), "sanction");
    cr_assert_str_eq(hl(&sn, 1), "sanctions");
    cr_assert_str_eq(hl(&sn, 2), "sanctioned");
    bl_snippet_release(&sn);
}

Test(snippet, prefix_matches)
{
    const char *text = "New taxes on tobacco, said the tax office; Texas was quiet.";
    bl_snippet sn = make("tax*", text, strlen(text), 0);
    cr_assert_eq(sn.nhighlights, 2, "%zu", sn.nhighlights);
    cr_assert_str_eq(hl(&sn, 0), "taxes");
    cr_assert_str_eq(hl(&sn, 1), "tax");
    bl_snippet_release(&sn);
}

/* "white hou*": the whole phrase is one highlight, whichever expansion
 * ends it; "white horse" is not one of them. */
Test(snippet, phrase_ending_in_a_prefix)
{
    const char *text = "The White House and the white houses; a white horse, white hounds.";
    bl_snippet sn = make("\"white hou*\"", text, strlen(text), 0);
    cr_assert_eq(sn.nhighlights, 3, "%zu", sn.nhighlights);
    cr_assert_str_eq(hl(&sn, 0), "White House");
    cr_assert_str_eq(hl(&sn, 1), "white houses");
    cr_assert_str_eq(hl(&sn, 2), "white hounds");
    bl_snippet_release(&sn);
    /* the prefix word's stem matches exactly: "stories*" finds "story" */
    text = "Short stories and a story, stored.";
    sn = make("\"short stories*\" OR \"a stories*\"", text, strlen(text), 0);
    cr_assert_eq(sn.nhighlights, 2, "%zu", sn.nhighlights);
    cr_assert_str_eq(hl(&sn, 0), "Short stories");
    cr_assert_str_eq(hl(&sn, 1), "a story");
    bl_snippet_release(&sn);
}

Test(snippet, not_terms_are_not_highlighted)
{
    const char *text = "The budget deficit grew while the budget shrank.";
    bl_snippet sn = make("budget -deficit", text, strlen(text), 0);
    cr_assert_eq(sn.nhighlights, 2);
    cr_assert_str_eq(hl(&sn, 0), "budget");
    cr_assert_str_eq(hl(&sn, 1), "budget");
    bl_snippet_release(&sn);

    sn = make("budget AND NOT (deficit OR shrank)", text, strlen(text), 0);
    cr_assert_eq(sn.nhighlights, 2);
    bl_snippet_release(&sn);

    /* Only negative: no highlights, first window. */
    sn = make("-deficit", text, strlen(text), 0);
    cr_assert_eq(sn.nhighlights, 0);
    cr_assert_str_eq(sn.text, text);
    bl_snippet_release(&sn);
}

Test(snippet, window_prefers_most_distinct_terms)
{
    static char text[8192];
    text[0] = 0;
    filler(text, sizeof text, 0, 10);
    strcat(text, "rain rain rain rain rain ");
    filler(text, sizeof text, 10, 100);
    strcat(text, "rain fell before the snow ");
    filler(text, sizeof text, 110, 100);
    bl_snippet sn = make("rain snow", text, strlen(text), 0);
    cr_assert_eq(sn.nhighlights, 2, "%s", sn.text);
    cr_assert_str_eq(hl(&sn, 0), "rain");
    cr_assert_str_eq(hl(&sn, 1), "snow");
    cr_assert(strstr(sn.text, "filler105 filler106"), "%s", sn.text);
    bl_snippet_release(&sn);

    /* With one term only, the first of the equal windows wins ... */
    sn = make("rain", text, strlen(text), 0);
    cr_assert_eq(sn.nhighlights, 5, "%s", sn.text);
    bl_snippet_release(&sn);
}

Test(snippet, no_match_gives_first_window)
{
    static char text[4096];
    text[0] = 0;
    filler(text, sizeof text, 0, 50);
    bl_snippet sn = make("absent", text, strlen(text), 10);
    cr_assert_eq(sn.nhighlights, 0);
    cr_assert_str_eq(sn.text, "filler0 filler1 filler2 filler3 filler4 filler5 "
                              "filler6 filler7 filler8 filler9 " ELL);
    bl_snippet_release(&sn);
}

Test(snippet, short_text_has_no_ellipses)
{
    const char *text = "  Short text about Wagner.  ";
    bl_snippet sn = make("wagner", text, strlen(text), 0);
    cr_assert_str_eq(sn.text, "Short text about Wagner.");
    cr_assert_eq(sn.nhighlights, 1);
    cr_assert_str_eq(hl(&sn, 0), "Wagner");
    bl_snippet_release(&sn);
}

Test(snippet, empty_and_tokenless_text)
{
    bl_snippet sn = make("wagner", "", 0, 0);
    cr_assert_str_eq(sn.text, "");
    cr_assert_eq(sn.len, 0);
    cr_assert_eq(sn.nhighlights, 0);
    bl_snippet_release(&sn);

    sn = make("wagner", "... --- !!! \n", 13, 0);
    cr_assert_str_eq(sn.text, "");
    bl_snippet_release(&sn);

    bl_snippet zero;
    memset(&zero, 0, sizeof zero);
    bl_snippet_release(&zero);
}

Test(snippet, whitespace_collapsed_offsets_right)
{
    const char text[] = "First line\n\n  second\tline with\r\nWagner\0 and\x01\x1b[31m more wagner's\x7f";
    size_t len = sizeof text - 1;
    bl_snippet sn = make("wagner OR second", text, len, 0);
    cr_assert_str_eq(sn.text, "First line second line with Wagner and [31m more wagner's",
                     "%s", sn.text);
    cr_assert_geq(sn.nhighlights, 2);
    for (size_t i = 0; i < sn.nhighlights; i++) {
        bl_span h = sn.highlights[i], s = sn.source_spans[i];
        cr_assert_eq(h.end - h.start, s.end - s.start);
        cr_assert_eq(memcmp(sn.text + h.start, text + s.start, h.end - h.start), 0,
                     "highlight %zu: %s", i, hl(&sn, i));
    }
    bl_snippet_release(&sn);
}

Test(snippet, invalid_utf8_and_latin1)
{
    const char *text = "In M\xFC" "nchen \xFF\xFE odd \xE2\x80 bytes \xC0\xAF and \xED\xA0\x80 M\xC3\xBC" "nchen again.";
    bl_snippet sn = make("m\xC3\xBC" "nchen", text, strlen(text), 0);
    /* 0xFC reads as Latin-1 u-umlaut, as the tokenizer reads it. */
    cr_assert(starts_with(sn.text, "In M\xC3\xBC" "nchen "), "%s", sn.text);
    cr_assert_eq(sn.nhighlights, 2, "%zu: %s", sn.nhighlights, sn.text);
    cr_assert_str_eq(hl(&sn, 0), "M\xC3\xBC" "nchen");
    cr_assert_str_eq(hl(&sn, 1), "M\xC3\xBC" "nchen");
    cr_assert_eq(sn.source_spans[0].end - sn.source_spans[0].start, 7);
    cr_assert_eq(sn.source_spans[1].end - sn.source_spans[1].start, 8);
    bl_snippet_release(&sn);
}

Test(snippet, huge_runs_are_bounded)
{
    size_t n = 20000;
    char *text = malloc(n + 200);
    cr_assert_not_null(text);

    /* A 20000-letter token (dropped by the tokenizer, still a position). */
    strcpy(text, "Before ");
    memset(text + 7, 'a', n);
    strcpy(text + 7 + n, " after wagner end");
    bl_snippet sn = make("wagner", text, strlen(text), 0);
    cr_assert_leq(sn.len, 600 + 8);
    cr_assert_eq(sn.nhighlights, 1);
    cr_assert_str_eq(hl(&sn, 0), "wagner");
    cr_assert_str_eq(sn.text, "Before " ELL " after wagner end", "%s", sn.text);
    bl_snippet_release(&sn);

    /* 20000 punctuation bytes between two words. */
    strcpy(text, "start ");
    memset(text + 6, '-', n);
    strcpy(text + 6 + n, " wagner");
    sn = make("wagner", text, strlen(text), 0);
    cr_assert_str_eq(sn.text, "start " ELL " wagner", "%s", sn.text);
    cr_assert_str_eq(hl(&sn, 0), "wagner");
    bl_snippet_release(&sn);

    /* One token of 'a' and thousands of combining accents: cut at 600 bytes
     * on a character boundary. */
    size_t k = 0;
    text[k++] = 'a';
    while (k + 2 < 9000) {
        text[k++] = '\xCC';
        text[k++] = '\x81'; /* U+0301 */
    }
    strcpy(text + k, " wagner");
    sn = make("wagner", text, strlen(text), 0);
    cr_assert_leq(sn.len, 600 + 4, "%zu", sn.len);
    cr_assert(ends_with(sn.text, " " ELL), "cut must be marked");
    bl_snippet_release(&sn);

    /* The same token after a long window of matches is also cut safely. */
    sn = make("a", text, strlen(text), 0);
    cr_assert_leq(sn.len, 600 + 4);
    bl_snippet_release(&sn);
    free(text);
}

Test(snippet, window_words_respected)
{
    static char text[4096];
    text[0] = 0;
    filler(text, sizeof text, 0, 40);
    strcat(text, "target ");
    filler(text, sizeof text, 40, 40);
    bl_snippet sn = make("target", text, strlen(text), 5);
    cr_assert_str_eq(sn.text, ELL " filler36 filler37 filler38 filler39 target " ELL,
                     "%s", sn.text);
    bl_snippet_release(&sn);

    /* A phrase longer than the window is not highlighted, nothing breaks. */
    sn = make("\"filler1 filler2 filler3\"", text, strlen(text), 2);
    cr_assert_eq(sn.nhighlights, 0);
    bl_snippet_release(&sn);
}

/* Random texts over a small vocabulary: the snippet's window must cover as
 * many distinct query words as the best window found by brute force, and
 * then as many matches. */
Test(snippet, random_windows_match_brute_force)
{
    static const char *vocab[] = {"cat", "dog", "fish", "bird", "tree", "rock", "lake", "hill"};
    unsigned seed = (unsigned)time(NULL);
    const char *env = getenv("BYLINE_SEED");
    if (env)
        seed = (unsigned)strtoul(env, NULL, 10);
    fprintf(stderr, "snippet random seed: %u (BYLINE_SEED to replay)\n", seed);
    srand(seed);

    for (int iter = 0; iter < 300; iter++) {
        int nwords = 1 + rand() % 120, w = 1 + rand() % 20, nq = 1 + rand() % 3;
        int words[120], qw[3];
        char text[1200] = "", query[64] = "";
        for (int i = 0; i < nwords; i++) {
            words[i] = rand() % 8;
            strcat(text, vocab[words[i]]);
            strcat(text, rand() % 5 ? " " : " , ");
        }
        for (int i = 0; i < nq; i++) {
            qw[i] = rand() % 8;
            strcat(query, vocab[qw[i]]);
            strcat(query, " OR ");
        }
        query[strlen(query) - 4] = 0;

        /* Brute force: best (distinct, total) over all windows. */
        int best_d = 0, best_t = 0, starts = nwords > w ? nwords - w + 1 : 1;
        for (int s = 0; s < starts; s++) {
            int seen[8] = {0}, d = 0, t = 0;
            for (int i = s; i < s + w && i < nwords; i++)
                for (int j = 0; j < nq; j++)
                    if (words[i] == qw[j]) {
                        t++;
                        if (!seen[qw[j]]++)
                            d++;
                        break;
                    }
            if (d > best_d || (d == best_d && t > best_t))
                best_d = d, best_t = t;
        }

        bl_snippet sn = make(query, text, strlen(text), (size_t)w);
        int seen[8] = {0}, d = 0;
        for (size_t i = 0; i < sn.nhighlights; i++) {
            const char *h = hl(&sn, i);
            for (int v = 0; v < 8; v++)
                if (strcmp(h, vocab[v]) == 0 && !seen[v]++)
                    d++;
        }
        cr_assert_eq(d, best_d, "seed %u iter %d: distinct %d want %d: %s / %s", seed,
                     iter, d, best_d, query, sn.text);
        cr_assert_eq((int)sn.nhighlights, best_t, "seed %u iter %d: total %zu want %d",
                     seed, iter, sn.nhighlights, best_t);
        bl_snippet_release(&sn);
    }
}

/* Random bytes (invalid UTF-8, controls, NUL, long runs) mixed with query
 * words: whatever the text, the snippet keeps its contract. */
Test(snippet, random_bytes_keep_invariants)
{
    static const char *pieces[] = {"tax", "taxes", " ", "\n", "\t\r", "\0", "\xFF", "\xC3",
                                   "\xC3\xA9", "\xE2\x80", "\xF0\x9F\x93\xB0", "-", "'",
                                   "north", "korea", "North-Korea", "\xCC\x81", "1,000.5",
                                   "...", "\x1b[1m", "\xED\xA0\x80", "don't"};
    static const char *queries[] = {"tax", "tax*", "\"north korea\"", "north OR tax* -korea",
                                    "don't", "1000.5", "korea AND (tax OR north)"};
    unsigned seed = (unsigned)time(NULL) ^ 0x5eed;
    const char *env = getenv("BYLINE_SEED");
    if (env)
        seed = (unsigned)strtoul(env, NULL, 10);
    fprintf(stderr, "snippet bytes seed: %u (BYLINE_SEED to replay)\n", seed);
    srand(seed);

    char *text = malloc(20000);
    cr_assert_not_null(text);
    for (int iter = 0; iter < 300; iter++) {
        size_t len = 0, target = (size_t)(rand() % 4000);
        while (len < target) {
            const char *p = pieces[rand() % (sizeof pieces / sizeof *pieces)];
            size_t n = *p ? strlen(p) : 1;
            int reps = rand() % 50 == 0 ? 200 : 1;
            for (int r = 0; r < reps && len + n < 20000; r++) {
                memcpy(text + len, p, n);
                len += n;
            }
            if (len + 1 >= 20000)
                break;
        }
        const char *q = queries[rand() % (sizeof queries / sizeof *queries)];
        bl_snippet sn = make(q, text, len, (size_t)(1 + rand() % 40));
        cr_assert_leq(sn.len, 40 * 20 + 8, "seed %u iter %d", seed, iter);
        bl_snippet_release(&sn);
    }
    free(text);
}

/* Real text (slices of a Reuters file, markup and all), one word of it as
 * the query, a window wider than the slice: the highlights are exactly the
 * tokens whose term, as bl_analyzer_next gives it, is the query's term (the
 * snippet finds them through its per-word table and the tokenizer's fast
 * path). Skipped when the corpus is absent. */
Test(snippet, highlights_are_the_analyzer_terms_on_reuters)
{
    char path[4096];
    size_t n;
    snprintf(path, sizeof path, "%s/../shared/corpora/reuters21578/reut2-004.sgm",
             bl_test_root());
    char *file = bl_test_read_file(path, &n);
    if (!file)
        cr_skip_test("%s is absent", path);
    bl_analyzer *ref;
    cr_assert_eq(bl_analyzer_new(&ref, "english"), 0);
    bl_rng r;
    bl_rng_init(&r, bl_test_seed("snippet/highlights_are_the_analyzer_terms_on_reuters"));
    enum { SLICE = 1500, MAXT = 1024 };
    static char terms[MAXT][130];
    static bl_span spans[MAXT];
    for (int iter = 0; iter < 200 && n > SLICE; iter++) {
        const char *text = file + bl_rng_below(&r, (uint32_t)(n - SLICE));
        size_t nt = 0;
        bl_term_occ o;
        bl_analyzer_reset(ref, text, SLICE, 0);
        while (bl_analyzer_next(ref, &o) == 1 && nt < MAXT) {
            snprintf(terms[nt], sizeof terms[nt], "%s", o.term);
            spans[nt++] = (bl_span){o.start, o.end};
        }
        if (nt == 0)
            continue;
        /* A query word: the normalised form of a random token, letters and
         * digits only (no query syntax). */
        size_t pick = bl_rng_below(&r, (uint32_t)nt);
        bl_analyzer_reset(ref, text + spans[pick].start, spans[pick].end - spans[pick].start, 0);
        cr_assert_eq(bl_analyzer_next(ref, &o), 1);
        char word[130];
        snprintf(word, sizeof word, "%s", o.norm);
        if (strspn(word, "abcdefghijklmnopqrstuvwxyz0123456789") != strlen(word))
            continue;
        const char *want = terms[pick];
        bl_snippet sn = make(word, text, SLICE, 1000);
        size_t k = 0;
        for (size_t i = 0; i < nt; i++) {
            if (strcmp(terms[i], want) != 0)
                continue;
            cr_assert_lt(k, sn.nhighlights, "iteration %d, query %s: token %zu (%zu..%zu) "
                         "not highlighted", iter, word, i, spans[i].start, spans[i].end);
            /* Touching matches are merged into one highlight. */
            size_t end = spans[i].end;
            while (i + 1 < nt && strcmp(terms[i + 1], want) == 0 && spans[i + 1].start <= end)
                end = spans[++i].end;
            cr_assert_eq(sn.source_spans[k].end, end, "iteration %d, query %s", iter, word);
            k++;
        }
        cr_assert_eq(k, sn.nhighlights, "iteration %d, query %s: %zu highlights, want %zu",
                     iter, word, sn.nhighlights, k);
        bl_snippet_release(&sn);
    }
    bl_analyzer_free(ref);
    free(file);
}

/* Words are matched against the query's terms by length first (lengths
 * past 62 share one bucket): terms of 62, 63 and 64 bytes are each found,
 * and a word of a shared length that is not a term is not. */
Test(snippet, long_terms_at_the_length_bucket_edge)
{
    char w62[63], w63[64], w64[65], other64[65];
    memset(w62, 'q', 62), w62[62] = 0;
    memset(w63, 'q', 63), w63[63] = 0;
    memset(w64, 'q', 64), w64[64] = 0;
    memset(other64, 'z', 64), other64[64] = 0;
    char text[512], query[256];
    snprintf(text, sizeof text, "a %s b %s c %s d %s e", other64, w62, w64, w63);
    snprintf(query, sizeof query, "%s OR %s OR %s", w64, w63, w62);
    bl_snippet sn = make(query, text, strlen(text), 0);
    cr_assert_eq(sn.nhighlights, 3, "%zu highlights in %s", sn.nhighlights, sn.text);
    cr_assert_str_eq(hl(&sn, 0), w62);
    cr_assert_str_eq(hl(&sn, 1), w64);
    cr_assert_str_eq(hl(&sn, 2), w63);
    bl_snippet_release(&sn);
}

/* Snippet and highlights of a and b are the same. */
static void expect_same_snippet(const bl_snippet *a, const bl_snippet *b, const char *what)
{
    cr_assert_eq(a->len, b->len, "%s: %s | %s", what, a->text, b->text);
    cr_assert_eq(memcmp(a->text, b->text, a->len), 0, "%s: %s | %s", what, a->text, b->text);
    cr_assert_eq(a->nhighlights, b->nhighlights, "%s: %s", what, a->text);
    for (size_t i = 0; i < a->nhighlights; i++) {
        cr_assert(a->highlights[i].start == b->highlights[i].start &&
                  a->highlights[i].end == b->highlights[i].end &&
                  a->source_spans[i].start == b->source_spans[i].start &&
                  a->source_spans[i].end == b->source_spans[i].end,
                  "%s: highlight %zu differs", what, i);
    }
}

/* Random words from a small vocabulary of related forms, so that texts
 * share words and stems (what a context remembers), with a few fresh
 * words each. */
static size_t random_text(bl_rng *r, char *out, size_t cap, size_t nwords)
{
    static const char *vocab[] = {
        "market", "markets", "marketing", "Marked", "sanction", "sanctions", "sanctioned",
        "oil", "OIL", "prices", "price", "fell", "falling", "the", "of", "and", "U.S.",
        "gold", "silver", "\"quoted\"", "exchange", "rate", "rates", "M\xC3\xBCnchen", "--",
    };
    size_t len = 0;
    for (size_t i = 0; i < nwords && len + 40 < cap; i++) {
        if (bl_rng_below(r, 10) == 0)
            len += (size_t)snprintf(out + len, cap - len, "fresh%u ", bl_rng_below(r, 100000));
        else
            len += (size_t)snprintf(out + len, cap - len, "%s%s",
                                    vocab[bl_rng_below(r, sizeof vocab / sizeof *vocab)],
                                    bl_rng_below(r, 8) ? " " : ". ");
    }
    out[len] = 0;
    return len;
}

/* A context gives, text after text, exactly what bl_snippet_make gives for
 * each text alone: words remembered from earlier texts change nothing,
 * also after the memo is full and starts again. */
Test(snippet, context_matches_single_calls, .timeout = 120)
{
    static const char *queries[] = {
        "market", "sanctions OR price", "\"oil prices\" -gold", "mark* rate",
        "\"exchange rate*\"", "gold NOT silver", "fell \"the market\" munchen",
    };
    bl_rng r;
    bl_rng_init(&r, bl_test_seed("snippet/context_matches_single_calls"));
    static char text[1 << 20];
    for (size_t qi = 0; qi < sizeof queries / sizeof *queries; qi++) {
        bl_qnode *q = NULL;
        size_t err = 0;
        cr_assert_eq(bl_query_parse(queries[qi], A, NULL, &q, &err), 0, "%s", queries[qi]);
        bl_snippet_ctx *c;
        cr_assert_eq(bl_snippet_ctx_new(&c, A, q), 0);
        for (int t = 0; t < 60; t++) {
            size_t len;
            if (t == 30) {
                /* More distinct words than the memo keeps. */
                len = 0;
                for (unsigned i = 0; i < 70000; i++)
                    len += (size_t)snprintf(text + len, sizeof text - len, "w%u ", i);
            } else {
                len = random_text(&r, text, sizeof text, 20 + bl_rng_below(&r, 200));
            }
            size_t w = bl_rng_below(&r, 3) ? 0 : 1 + bl_rng_below(&r, 40);
            bl_snippet got, want;
            cr_assert_eq(bl_snippet_ctx_make(c, text, len, w, &got), 0);
            cr_assert_eq(bl_snippet_make(A, q, text, len, w, &want), 0);
            char what[128];
            snprintf(what, sizeof what, "query '%s', text %d", queries[qi], t);
            expect_same_snippet(&got, &want, what);
            bl_snippet_release(&got);
            bl_snippet_release(&want);
        }
        bl_snippet_ctx_free(c);
        bl_qnode_free(q);
    }
    bl_snippet_ctx_free(NULL);
}

/* A phrase's later words are found by position: past dropped over-long
 * tokens (which keep their position, so the phrase does not match across
 * one) and with the tokens' positions running ahead of their indexes. */
Test(snippet, phrase_found_by_position_past_dropped_tokens)
{
    char lng[BL_TOKEN_MAX_BYTES + 8];
    memset(lng, 'x', sizeof lng - 1);
    lng[sizeof lng - 1] = 0;
    char text[1024];
    snprintf(text, sizeof text, "%s %s wagner %s group then wagner group ends", lng, lng, lng);
    bl_snippet sn = make("\"wagner group\"", text, strlen(text), 0);
    cr_assert_eq(sn.nhighlights, 1, "%s", sn.text);
    cr_assert_str_eq(hl(&sn, 0), "wagner group");
    cr_assert(strstr(sn.text, "then wagner group ends") != NULL, "%s", sn.text);
    bl_snippet_release(&sn);
}

/* Random texts of words and single spaces: the window starts exactly where
 * the rule says. The best start is the first with the most distinct query
 * words, then the most matches; it then moves back, keeping every match it
 * covers, to show up to five tokens before its first match. */
Test(snippet, window_start_is_the_first_best_moved_back)
{
    static const char *vocab[] = {"cat", "dog", "fish", "bird", "tree", "rock", "lake", "hill"};
    bl_rng r;
    bl_rng_init(&r, bl_test_seed("snippet/window_start_is_the_first_best_moved_back"));
    for (int iter = 0; iter < 400; iter++) {
        int n = 1 + (int)bl_rng_below(&r, 150), w = 1 + (int)bl_rng_below(&r, 25);
        int nq = 1 + (int)bl_rng_below(&r, 3), words[150], inq[8] = {0};
        char text[1200] = "", query[64] = "";
        for (int i = 0; i < n; i++) {
            words[i] = (int)bl_rng_below(&r, 8);
            strcat(text, vocab[words[i]]);
            strcat(text, " ");
        }
        for (int i = 0; i < nq; i++) {
            int v = (int)bl_rng_below(&r, 8);
            inq[v] = 1;
            strcat(query, vocab[v]);
            strcat(query, " OR ");
        }
        query[strlen(query) - 4] = 0;

        int s = 0, starts = n > w ? n - w + 1 : 1;
        if (n > w) {
            int best = 0, best_d = 0, best_t = 0;
            for (int b = 0; b < starts; b++) {
                int seen[8] = {0}, d = 0, t = 0;
                for (int i = b; i < b + w; i++)
                    if (inq[words[i]]) {
                        t++;
                        d += !seen[words[i]]++;
                    }
                if (d > best_d || (d == best_d && t > best_t))
                    best = b, best_d = d, best_t = t;
            }
            int lo = 0, hi = -1;
            for (int i = best; i < best + w; i++) {
                if (!inq[words[i]])
                    continue;
                if (i + 1 - w > lo)
                    lo = i + 1 - w;
                if (hi < 0)
                    hi = i;
            }
            s = best;
            if (hi >= 0) {
                if (hi > starts - 1)
                    hi = starts - 1;
                s = hi >= 5 ? hi - 5 : 0;
                if (s < lo)
                    s = lo;
            }
        }
        int e = n > w ? s + w - 1 : n - 1;
        char want[1400] = "";
        if (s > 0)
            strcat(want, ELL " ");
        for (int i = s; i <= e; i++) {
            strcat(want, vocab[words[i]]);
            if (i < e)
                strcat(want, " ");
        }
        if (e + 1 < n)
            strcat(want, " " ELL);

        bl_snippet sn = make(query, text, strlen(text), (size_t)w);
        cr_assert_str_eq(sn.text, want, "iteration %d: %s / %s", iter, query, text);
        bl_snippet_release(&sn);
    }
}

/* Words that differ in one byte, at every position of every length around
 * the shortest words the word table tells apart by their packed bytes: only
 * the query's own word is highlighted. */
Test(snippet, words_differing_in_one_byte_stay_apart)
{
    for (size_t n = 1; n <= 12; n++) {
        char base[16], text[4096] = "";
        for (size_t i = 0; i < n; i++)
            base[i] = (char)('1' + i % 9);
        base[n] = 0;
        for (size_t i = 0; i < n; i++) {
            char v[16];
            memcpy(v, base, n + 1);
            v[i] = '0';
            strcat(text, v);
            strcat(text, " ");
        }
        strcat(text, base);
        bl_snippet sn = make(base, text, strlen(text), 40);
        cr_assert_eq(sn.nhighlights, 1, "length %zu: %s", n, sn.text);
        cr_assert_str_eq(hl(&sn, 0), base);
        bl_snippet_release(&sn);
    }
}

/* ------------------------------------------- snippets from positions */

/* An index built from articles whose strings the test owns. */
typedef struct {
    char *dir;
    bl_index *idx;
    bl_article *arts;
    size_t n;
} doc_index;

static char *dup_str(const char *s)
{
    char *d = strdup(s);
    cr_assert_not_null(d);
    return d;
}

/* Article i of x: title and text copied. */
static void set_article(doc_index *x, size_t i, const char *title, const char *text)
{
    bl_article *a = &x->arts[i];
    memset(a, 0, sizeof *a);
    a->title = dup_str(title);
    a->title_len = strlen(title);
    a->text = dup_str(text);
    a->text_len = strlen(text);
    a->source = "test";
    a->source_len = 4;
}

static void doc_index_new(doc_index *x, size_t n)
{
    memset(x, 0, sizeof *x);
    x->n = n;
    x->arts = calloc(n, sizeof *x->arts);
    cr_assert_not_null(x->arts);
}

/* Writes the index (per_segment articles a segment) and opens it. */
static void doc_index_build(doc_index *x, size_t per_segment)
{
    x->dir = bl_test_tmpdir();
    cr_assert_not_null(x->dir);
    cr_assert_eq(bl_test_build_index(x->dir, x->arts, x->n, "english", per_segment), 0, "%s",
                 bl_error_detail());
    cr_assert_eq(bl_index_open(&x->idx, x->dir, 0), 0, "%s", bl_error_detail());
}

static void doc_index_free(doc_index *x)
{
    bl_index_close(x->idx);
    if (x->dir)
        bl_test_rmtree(x->dir);
    free(x->dir);
    for (size_t i = 0; i < x->n; i++) {
        free((char *)x->arts[i].title);
        free((char *)x->arts[i].text);
    }
    free(x->arts);
}

/* The snippet of document doc (global id) from c's positions, checked equal
 * to the analysis of the text it shows (the title when the text is empty). */
static void expect_doc_snippet(bl_snippet_ctx *c, const bl_qnode *q, const doc_index *x,
                               uint32_t doc, size_t w, const char *what)
{
    size_t seg;
    uint32_t local;
    cr_assert_eq(bl_index_locate(x->idx, doc, &seg, &local), 0);
    bl_segment *sg = bl_index_segment(x->idx, seg);
    bl_stored_doc d;
    cr_assert_eq(bl_docstore_get(bl_segment_docstore(sg), local, &d), 0, "%s", bl_error_detail());
    bl_snippet got, want;
    cr_assert_eq(bl_snippet_ctx_make_doc(c, sg, local, &d, w, &got), 0, "%s", what);
    const char *text = d.text_len ? d.text : d.title;
    size_t len = d.text_len ? d.text_len : d.title_len;
    cr_assert_eq(bl_snippet_make(A, q, text, len, w, &want), 0);
    char msg[256];
    snprintf(msg, sizeof msg, "%s, document %u, %zu words", what, doc, w);
    expect_same_snippet(&got, &want, msg);
    check_invariants(&got, len);
    bl_snippet_release(&got);
    bl_snippet_release(&want);
}

static bl_qnode *parse(const char *query)
{
    bl_qnode *q = NULL;
    size_t err = 0;
    cr_assert_eq(bl_query_parse(query, A, NULL, &q, &err), 0, "parse %s", query);
    return q;
}

/* Snippets of docs[0..n) of x for query (in that order), compared with the
 * analysis; returns how many came from positions. */
static uint64_t expect_docs(const doc_index *x, const char *query, const uint32_t *docs,
                            size_t n, size_t w)
{
    bl_qnode *q = parse(query);
    bl_snippet_ctx *c;
    cr_assert_eq(bl_snippet_ctx_new(&c, A, q), 0);
    for (size_t i = 0; i < n; i++)
        expect_doc_snippet(c, q, x, docs[i], w, query);
    uint64_t guided, analysed;
    bl_snippet_ctx_counts(c, &guided, &analysed);
    cr_assert_eq(guided + analysed, n);
    bl_snippet_ctx_free(c);
    bl_qnode_free(q);
    return guided;
}

/* A long article and texts and titles of every shape; random queries of
 * every kind; every document in a random order (so the iterators also go
 * back), with random window lengths: the snippet from positions is the
 * snippet of the analysis, and most come from positions. */
Test(snippet, doc_snippets_match_analysis_on_random_articles, .timeout = 240)
{
    static const char *queries[] = {
        "market", "sanctions OR price", "\"oil prices\" -gold", "fell \"the market\" munchen",
        "gold NOT silver", "\"exchange rate\"", "u.s. oil", "\"rate rates\" OR zzzabsent",
        "zzzabsent", "the", "\"the of\" OR \"of the\"", "price -price", "oil OR -gold",
        "marketing \"sanctioned oil\" fresh7", "-gold", "mark* rate", "\"exchange rat*\"",
    };
    bl_rng r;
    bl_rng_init(&r, bl_test_seed("snippet/doc_snippets_match_analysis_on_random_articles"));
    static char text[1 << 16], title[512];
    char lng[BL_TOKEN_MAX_BYTES + 2];
    memset(lng, 'x', sizeof lng - 1);
    lng[sizeof lng - 1] = 0;
    doc_index x;
    doc_index_new(&x, 150);
    for (size_t i = 0; i < x.n; i++) {
        unsigned shape = (unsigned)bl_rng_below(&r, 12);
        size_t words = shape == 0 ? 1500 + bl_rng_below(&r, 1500) : bl_rng_below(&r, 120);
        random_text(&r, text, sizeof text, words);
        random_text(&r, title, sizeof title, bl_rng_below(&r, 8));
        if (shape == 1)
            text[0] = 0; /* the title is shown */
        if (shape == 2)
            snprintf(text, sizeof text, "-- ... !!");
        if (shape == 3)
            title[0] = 0;
        if (shape == 4)
            snprintf(title, sizeof title, "%s", lng); /* a title of one dropped token */
        if (shape == 5) { /* a dropped token in the text: analysed */
            size_t at = strlen(text) / 2;
            while (at > 0 && text[at - 1] != ' ')
                at--;
            memmove(text + at + sizeof lng, text + at, strlen(text + at) + 1);
            memcpy(text + at, lng, sizeof lng - 1);
            text[at + sizeof lng - 1] = ' ';
        }
        set_article(&x, i, title, text);
    }
    doc_index_build(&x, 60);
    uint32_t order[150];
    for (uint32_t i = 0; i < x.n; i++)
        order[i] = i;
    for (size_t qi = 0; qi < sizeof queries / sizeof *queries; qi++) {
        for (size_t i = x.n; i > 1; i--) {
            uint32_t j = bl_rng_below(&r, (uint32_t)i), t = order[i - 1];
            order[i - 1] = order[j];
            order[j] = t;
        }
        size_t w = bl_rng_below(&r, 3) ? 0 : 1 + bl_rng_below(&r, 60);
        uint64_t guided = expect_docs(&x, queries[qi], order, x.n, w);
        if (strchr(queries[qi], '*'))
            cr_assert_eq(guided, 0, "%s: a prefix is not found from positions", queries[qi]);
        else
            cr_assert_gt(guided, x.n * 3 / 4, "%s: %llu of %zu from positions", queries[qi],
                         (unsigned long long)guided, x.n);
    }
    doc_index_free(&x);
}

/* A long article with the phrase near its start, in its middle and at its
 * very end (the window then reaches the last token): from positions, and
 * equal to the analysis, at several window lengths. */
Test(snippet, doc_windows_at_start_middle_and_end)
{
    static char text[64 * 1024];
    doc_index x;
    doc_index_new(&x, 3);
    for (int k = 0; k < 3; k++) {
        text[0] = 0;
        filler(text, sizeof text, 0, 2000);
        const char *at = strstr(text, k == 0 ? "filler3 " : k == 1 ? "filler1000 " : "filler1999 ");
        cr_assert_not_null(at);
        size_t off = (size_t)(at - text);
        memmove(text + off + 13, text + off, strlen(text + off) + 1);
        memcpy(text + off, "wagner group ", 13);
        set_article(&x, (size_t)k, "Filler report", text);
    }
    doc_index_build(&x, 3);
    uint32_t docs[] = {0, 1, 2, 2, 1, 0};
    for (size_t w = 1; w <= 61; w += 15)
        cr_assert_eq(expect_docs(&x, "\"wagner group\" filler7", docs, 6, w), 6);
    doc_index_free(&x);
}

/* Titles: a text that is empty shows the title, highlighted from the title's
 * positions; a word only in the title highlights nothing in the text; a
 * phrase does not match across the end of the title and the start of the
 * text; a title of dropped tokens still moves the text's positions. */
Test(snippet, doc_titles)
{
    char lng[BL_TOKEN_MAX_BYTES + 2];
    memset(lng, 'y', sizeof lng - 1);
    lng[sizeof lng - 1] = 0;
    char t4[256];
    snprintf(t4, sizeof t4, "%s %s", lng, lng);
    doc_index x;
    doc_index_new(&x, 5);
    set_article(&x, 0, "Oil prices rise, oil exporters say", "");
    set_article(&x, 1, "Wagner news", "Nothing about that here, only group talk.");
    set_article(&x, 2, "Talks with Wagner", "group leaders met; the Wagner group said no.");
    set_article(&x, 3, "", "Wagner group: no title at all.");
    set_article(&x, 4, t4, "wagner group after two dropped words");
    doc_index_build(&x, 5);
    uint32_t docs[] = {0, 1, 2, 3, 4};
    cr_assert_eq(expect_docs(&x, "oil OR \"wagner group\" OR talks", docs, 5, 0), 5);
    cr_assert_eq(expect_docs(&x, "\"oil exporters\" OR news", docs, 5, 3), 5);

    /* The first title shows with its words highlighted. */
    bl_qnode *q = parse("oil");
    bl_snippet_ctx *c;
    cr_assert_eq(bl_snippet_ctx_new(&c, A, q), 0);
    bl_stored_doc d;
    bl_segment *sg = bl_index_segment(x.idx, 0);
    cr_assert_eq(bl_docstore_get(bl_segment_docstore(sg), 0, &d), 0);
    bl_snippet sn;
    cr_assert_eq(bl_snippet_ctx_make_doc(c, sg, 0, &d, 0, &sn), 0);
    cr_assert_str_eq(sn.text, "Oil prices rise, oil exporters say");
    cr_assert_eq(sn.nhighlights, 2);
    bl_snippet_release(&sn);
    /* The phrase across title and text of article 2 is not highlighted
     * there, only inside the text. */
    bl_qnode_free(q);
    bl_snippet_ctx_free(c);
    q = parse("\"wagner group\"");
    cr_assert_eq(bl_snippet_ctx_new(&c, A, q), 0);
    cr_assert_eq(bl_docstore_get(bl_segment_docstore(sg), 2, &d), 0);
    cr_assert_eq(bl_snippet_ctx_make_doc(c, sg, 2, &d, 0, &sn), 0);
    cr_assert_eq(sn.nhighlights, 1, "%s", sn.text);
    cr_assert_str_eq(hl(&sn, 0), "Wagner group");
    uint64_t guided, analysed;
    bl_snippet_ctx_counts(c, &guided, &analysed);
    cr_assert_eq(guided, 1);
    bl_snippet_release(&sn);
    bl_snippet_ctx_free(c);
    bl_qnode_free(q);
    doc_index_free(&x);
}

/* A phrase with a hole (a query word the parser would refuse, built by
 * hand): it matches from positions exactly where the analysis matches it,
 * and not from the title's last word into the text's first, although in
 * the index the two are two positions apart. */
Test(snippet, doc_phrase_with_a_hole)
{
    doc_index x;
    doc_index_new(&x, 2);
    set_article(&x, 0, "Report on wagner", "group leaders; wagner and group; wagner of group.");
    set_article(&x, 1, "", "wagner x group");
    doc_index_build(&x, 2);
    char *terms[] = {"wagner", "group"};
    uint32_t positions[] = {0, 2};
    bl_qnode q = {.kind = BL_Q_PHRASE, .terms = terms, .positions = positions, .nterms = 2};
    /* Written backwards: "group" with "wagner" two positions before it,
     * which in article 0 is the title's last word. */
    char *back_terms[] = {"group", "wagner"};
    uint32_t back_positions[] = {2, 0};
    bl_qnode back = {.kind = BL_Q_PHRASE, .terms = back_terms, .positions = back_positions,
                     .nterms = 2};
    const bl_qnode *qs[] = {&q, &back};
    for (int k = 0; k < 2; k++) {
        bl_snippet_ctx *c;
        cr_assert_eq(bl_snippet_ctx_new(&c, A, qs[k]), 0);
        for (uint32_t doc = 0; doc < 2; doc++)
            expect_doc_snippet(c, qs[k], &x, doc, 0, k ? "wagner _ group backwards" : "wagner _ group");
        uint64_t guided, analysed;
        bl_snippet_ctx_counts(c, &guided, &analysed);
        cr_assert_eq(guided, 2);
        bl_snippet_ctx_free(c);
    }
    doc_index_free(&x);
}

/* Texts with a dropped token, queries with a prefix or with more terms than
 * the positions path reads: analysed, with the same result. */
Test(snippet, doc_snippets_analysed_when_positions_cannot_tell)
{
    char text[2048];
    char lng[BL_TOKEN_MAX_BYTES + 2];
    memset(lng, 'z', sizeof lng - 1);
    lng[sizeof lng - 1] = 0;
    doc_index x;
    doc_index_new(&x, 2);
    snprintf(text, sizeof text, "oil %s prices and more oil prices at the end", lng);
    set_article(&x, 0, "Dropped", text);
    set_article(&x, 1, "Plain", "oil prices and more oil prices at the end");
    doc_index_build(&x, 2);
    uint32_t docs[] = {0, 1};
    cr_assert_eq(expect_docs(&x, "\"oil prices\"", docs, 2, 4), 1, "the dropped token");
    cr_assert_eq(expect_docs(&x, "pri*", docs, 2, 4), 0);
    char many[2048] = "oil";
    for (int i = 0; i < 70; i++)
        snprintf(many + strlen(many), sizeof many - strlen(many), " OR w%d", i);
    cr_assert_eq(expect_docs(&x, many, docs, 2, 4), 0);
    doc_index_free(&x);
}

/* A dropped token after the window the positions would pick: past it,
 * tokens sit one position after their index, which brings the later "b a
 * b" into one window of 3 (the analysis shows it) while their positions
 * span 4. The scan for dropped tokens sends the text to the analysis. */
Test(snippet, doc_dropped_token_after_the_window)
{
    char lng[BL_TOKEN_MAX_BYTES + 2], text[1024] = "a f b";
    memset(lng, 'q', sizeof lng - 1);
    lng[sizeof lng - 1] = 0;
    for (int i = 0; i < 20; i++)
        strcat(text, " f");
    snprintf(text + strlen(text), sizeof text - strlen(text), " b %s a b f f f f f", lng);
    doc_index x;
    doc_index_new(&x, 1);
    set_article(&x, 0, "Dropped later", text);
    doc_index_build(&x, 1);
    uint32_t docs[] = {0};
    cr_assert_eq(expect_docs(&x, "a OR b", docs, 1, 3), 0);
    bl_snippet sn = make("a OR b", text, strlen(text), 3);
    cr_assert_eq(sn.nhighlights, 3, "%s", sn.text);
    bl_snippet_release(&sn);
    doc_index_free(&x);
}

/* When the index and the text disagree in a way the positions path can
 * see (a window past the text's tokens; a match whose token has another
 * term; tokens after the last the index knows), the snippet is the
 * analysis of the text given. */
Test(snippet, doc_snippets_analysed_when_the_text_disagrees)
{
    static char text[16 * 1024];
    text[0] = 0;
    filler(text, sizeof text, 0, 300);
    strcat(text, "and it ends with wagner"); /* the window reaches the last token */
    doc_index x;
    doc_index_new(&x, 1);
    set_article(&x, 0, "T", text);
    doc_index_build(&x, 1);
    bl_qnode *q = parse("wagner");
    bl_snippet_ctx *c;
    cr_assert_eq(bl_snippet_ctx_new(&c, A, q), 0);
    bl_segment *sg = bl_index_segment(x.idx, 0);
    bl_stored_doc d;
    cr_assert_eq(bl_docstore_get(bl_segment_docstore(sg), 0, &d), 0);
    bl_stored_doc cut = d, swapped = d, longer = d;
    cut.text_len = d.text_len / 2; /* the match is past its end */
    char *other = dup_str(d.text);
    memcpy(strstr(other, "wagner"), "wigner", 6);
    swapped.text = other;
    char *more = malloc(d.text_len + 32);
    cr_assert_not_null(more);
    snprintf(more, d.text_len + 32, "%s and more", d.text);
    longer.text = more;
    longer.text_len = strlen(more);
    const bl_stored_doc *tries[] = {&cut, &swapped, &longer};
    for (int i = 0; i < 3; i++) {
        bl_snippet got, want;
        cr_assert_eq(bl_snippet_ctx_make_doc(c, sg, 0, tries[i], 0, &got), 0);
        cr_assert_eq(bl_snippet_make(A, q, tries[i]->text, tries[i]->text_len, 0, &want), 0);
        expect_same_snippet(&got, &want, i == 0 ? "cut text" : i == 1 ? "swapped word" : "longer");
        cr_assert_eq(got.nhighlights, i == 2, "%s", got.text);
        bl_snippet_release(&got);
        bl_snippet_release(&want);
    }
    uint64_t guided, analysed;
    bl_snippet_ctx_counts(c, &guided, &analysed);
    cr_assert_eq(guided, 0);
    cr_assert_eq(analysed, 3);
    free(other);
    free(more);
    bl_snippet_ctx_free(c);
    bl_qnode_free(q);
    doc_index_free(&x);
}

/* Damaged positions (a page of the .pos file that fails its checksum):
 * the snippet is made from the text, the same as from an intact index. */
Test(snippet, doc_snippets_survive_damaged_positions)
{
    static char text[16 * 1024];
    doc_index x;
    doc_index_new(&x, 40);
    bl_rng r;
    bl_rng_init(&r, 7);
    for (size_t i = 0; i < x.n; i++) {
        random_text(&r, text, sizeof text, 200);
        set_article(&x, i, "Damaged", text);
    }
    doc_index_build(&x, 40);
    uint32_t docs[40];
    for (uint32_t i = 0; i < 40; i++)
        docs[i] = i;
    cr_assert_eq(expect_docs(&x, "\"oil prices\" OR market", docs, 40, 0), 40);
    bl_index_close(x.idx);
    x.idx = NULL;
    /* Flip a byte in every page of the positions. */
    char path[4096];
    snprintf(path, sizeof path, "%s/seg_00000001.pos", x.dir);
    size_t len;
    char *data = bl_test_read_file(path, &len);
    cr_assert_not_null(data);
    for (size_t at = 5; at + 64 < len; at += 4096)
        data[at] ^= 0x5A;
    cr_assert_eq(bl_test_write_file(path, data, len), 0);
    free(data);
    cr_assert_eq(bl_index_open(&x.idx, x.dir, 0), 0, "%s", bl_error_detail());
    cr_assert_eq(expect_docs(&x, "\"oil prices\" OR market", docs, 40, 0), 0);
    doc_index_free(&x);
}
