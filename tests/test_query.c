/* test_query.c: the query parser (searcher/query.c) against the real
 * English analyzer: valid queries through bl_qnode_describe, malformed ones
 * with their exact error offsets, and random strings that must parse or fail
 * cleanly (seed printed; BYLINE_SEED=<n> replays a run). */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analyzer.h"
#include "error.h"
#include "query.h"

static bl_analyzer *an;

static void setup(void)
{
    cr_assert_eq(bl_analyzer_new(&an, "english"), 0, "%s", bl_error_detail());
}

static void teardown(void)
{
    bl_analyzer_free(an);
    an = NULL;
}

TestSuite(query, .init = setup, .fini = teardown);

/* Parses q and returns its description in a static buffer (asserts success). */
static const char *parse_describe(const char *q, int any)
{
    static char buf[4096];
    bl_query_opts opts = {.any = any};
    bl_qnode *n = NULL;
    size_t pos = 12345;
    int rc = bl_query_parse(q, an, &opts, &n, &pos);

    cr_assert_eq(rc, 0, "query [%s]: rc %d (%s) at %zu", q, rc,
                 bl_error_detail(), pos);
    cr_assert_not_null(n, "query [%s]", q);
    size_t need = bl_qnode_describe(n, buf, sizeof buf);
    cr_assert_lt(need, sizeof buf);
    cr_assert_eq(need, strlen(buf));
    bl_qnode_free(n);
    return buf;
}

static void ok(const char *q, const char *want)
{
    const char *got = parse_describe(q, 0);
    cr_expect_str_eq(got, want, "query [%s]: got %s, want %s", q, got, want);
}

static void ok_any(const char *q, const char *want)
{
    const char *got = parse_describe(q, 1);
    cr_expect_str_eq(got, want, "query [%s] (any): got %s, want %s", q, got,
                     want);
}

static void bad(const char *q, size_t want_pos, const char *want_detail)
{
    bl_qnode *n = (bl_qnode *)1;
    size_t pos = 12345;
    int rc = bl_query_parse(q, an, NULL, &n, &pos);

    cr_expect_eq(rc, BL_EQUERY, "query [%s]: rc %d", q, rc);
    cr_expect_null(n, "query [%s]", q);
    cr_expect_eq(pos, want_pos, "query [%s]: err_pos %zu, want %zu (%s)", q,
                 pos, want_pos, bl_error_detail());
    cr_expect_not_null(strstr(bl_error_detail(), want_detail),
                       "query [%s]: detail [%s] lacks [%s]", q,
                       bl_error_detail(), want_detail);
    cr_expect_null(strchr(bl_error_detail(), '\n'), "detail is one line");
}

/* ---- valid queries -------------------------------------------------- */

Test(query, single_terms_are_analysed)
{
    ok("wagner", "wagner");
    ok("Wagner", "wagner");
    ok("sanctions", "sanction");
    ok("  sanctions  ", "sanction");
    ok("SANCTIONS", "sanction");
    ok("(sanctions)", "sanction");
    ok("((sanctions))", "sanction");
}

Test(query, the_header_example)
{
    ok("Wagner \"North Korea\" -patriot tax*",
       "(AND wagner (PHRASE north korea) (NOT patriot) (PREFIX tax))");
}

Test(query, juxtaposition_is_and_and_binds_tighter_than_or)
{
    ok("a b", "(AND a b)");
    ok("a AND b", "(AND a b)");
    ok("a b OR c", "(OR (AND a b) c)");
    ok("a OR b c", "(OR a (AND b c))");
    ok("a OR b AND c OR d", "(OR a (AND b c) d)");
    ok("a AND b c OR d e", "(OR (AND a b c) (AND d e))");
}

Test(query, any_mode_juxtaposition_is_or)
{
    ok_any("a b", "(OR a b)");
    ok_any("a b c", "(OR a b c)");
    ok_any("a b AND c", "(OR a (AND b c))");
    ok_any("a AND b c AND d", "(OR (AND a b) (AND c d))");
    ok_any("a OR b c", "(OR a b c)");
    /* Beside other words, "-b" still excludes under --any. */
    ok_any("a -b", "(AND a (NOT b))");
    ok_any("a b -c", "(AND (OR a b) (NOT c))");
    ok_any("-c", "(NOT c)");
    /* Written next to an explicit OR, a NOT keeps its boolean meaning. */
    ok_any("a OR -b", "(OR a (NOT b))");
    ok_any("-b OR a", "(OR (NOT b) a)");
    ok_any("(a OR -b) c", "(OR a (NOT b) c)");
    ok_any("a b -c OR d", "(OR a b (NOT c) d)");
    ok_any("(a b) AND c", "(AND (OR a b) c)");
}

Test(query, parentheses_group_and_flatten)
{
    ok("(a OR b) c", "(AND (OR a b) c)");
    ok("c (a OR b)", "(AND c (OR a b))");
    ok("a (b c) d", "(AND a b c d)");
    ok("(a OR b) OR (c OR d)", "(OR a b c d)");
    ok("((a OR b) OR c) OR d", "(OR a b c d)");
    ok("(a b) OR (c d)", "(OR (AND a b) (AND c d))");
    ok("(a)(b)", "(AND a b)");
    ok("a(b OR c)d", "(AND a (OR b c) d)");
    ok("(((a OR (b))))", "(OR a b)");
}

Test(query, negation)
{
    ok("-patriot", "(NOT patriot)");
    ok("NOT patriot", "(NOT patriot)");
    ok("a -b", "(AND a (NOT b))");
    ok("a NOT b", "(AND a (NOT b))");
    ok("a AND NOT b", "(AND a (NOT b))");
    ok("a OR -b", "(OR a (NOT b))");
    ok("NOT a b", "(AND (NOT a) b)");
    ok("NOT a OR b", "(OR (NOT a) b)");
    ok("-(a b)", "(NOT (AND a b))");
    ok("-(a OR b) c", "(AND (NOT (OR a b)) c)");
    ok("-\"north korea\"", "(NOT (PHRASE north korea))");
    ok("-tax*", "(NOT (PREFIX tax))");
    ok("-a -b", "(AND (NOT a) (NOT b))");
}

Test(query, double_negation_cancels)
{
    ok("NOT NOT a", "a");
    ok("NOT NOT NOT a", "(NOT a)");
    ok("NOT -a", "a");
    ok("-(-a)", "a");
    ok("-(NOT a) b", "(AND a b)");
}

Test(query, minus_rules)
{
    ok("a - b", "(AND a b)");        /* a lone '-' is punctuation */
    ok("a -", "a");
    ok("a-b", "(PHRASE a b)");       /* inside a word: a hyphen */
    ok("--a", "(NOT a)");            /* the primary is the word "-a" */
    ok("-OR", "(NOT or)");           /* never an operator after '-' */
    ok("x -AND", "(AND x (NOT and))");
    ok("(a)-b", "(AND a (NOT b))");
    ok("\"a\"-b", "(AND a (NOT b))");
}

Test(query, lower_case_operators_are_words)
{
    ok("cats and dogs", "(AND cat and dog)");
    ok("this or that", "(AND this or that)");
    ok("not now", "(AND not now)");
    ok("a And b", "(AND a and b)");
    ok("ANDROID ORDER NOTE", "(AND android order note)");
}

Test(query, hyphenated_words_become_phrases)
{
    ok("Thomas-Greenfield", "(PHRASE thoma greenfield)");
    ok("Linda Thomas-Greenfield", "(AND linda (PHRASE thoma greenfield))");
    ok("e-mail OR email", "(OR (PHRASE e mail) email)");
}

Test(query, phrases)
{
    ok("\"north korea\"", "(PHRASE north korea)");
    ok("\"North Korea's sanctions\"", "(PHRASE north korea sanction)");
    ok("\"sanctions\"", "sanction");
    ok("\"a OR b\"", "(PHRASE a or b)");
    ok("\"NOT a\"", "(PHRASE not a)");
    ok("\"(a b)\"", "(PHRASE a b)");
    ok("\"tax*\"", "(PREFIX tax)");
    ok("\"\" a", "a");
    ok("a\"b c\"d", "(AND a (PHRASE b c) d)");
    ok("\"a b\" OR \"c d\"", "(OR (PHRASE a b) (PHRASE c d))");
}

/* A word too long to be indexed would leave a hole in a phrase that any
 * word (or the gap between title and text) could fill: refused. */
Test(query, words_too_long_to_index_are_refused)
{
    char q[256];
    const char *x70 = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";
    snprintf(q, sizeof q, "\"north %s korea\"", x70);
    bad(q, 0, "longer than 64 bytes");
    snprintf(q, sizeof q, "wagner %s", x70);
    bad(q, 7, "longer than 64 bytes");
    snprintf(q, sizeof q, "%s*", x70);
    bad(q, 0, "longer than 64 bytes");
}

Test(query, curly_quotes_open_and_close_phrases)
{
    ok("\xe2\x80\x9cnorth korea\xe2\x80\x9d", "(PHRASE north korea)");
    ok("\xe2\x80\x9cnorth korea\xe2\x80\x9d sanctions",
       "(AND (PHRASE north korea) sanction)");
    ok("\xe2\x80\x9dnorth korea\xe2\x80\x9c", "(PHRASE north korea)");
    ok("\"north korea\xe2\x80\x9d", "(PHRASE north korea)");
    ok("a\xe2\x80\x9c" "b c\xe2\x80\x9d", "(AND a (PHRASE b c))");
}

Test(query, prefixes)
{
    ok("tax*", "(PREFIX tax)");
    ok("Resign*", "(PREFIX resign)");
    /* The word as typed, and its stem (the dictionary holds stems). */
    ok("Resignations*", "(PREFIX resignations resign)");
    ok("stories*", "(PREFIX stories stori)");
    ok("Z\xc3\xa9lensk*", "(PREFIX zelensk)");    /* folded and unaccented */
    ok("(tax*)", "(PREFIX tax)");
    ok("tax* OR tariffs", "(OR (PREFIX tax) tariff)");
    ok("\"tax*\" tax*", "(AND (PREFIX tax) (PREFIX tax))");
}

/* As in FTS5, a '*' ending the last word of a phrase makes it a prefix. */
Test(query, prefix_ends_a_phrase)
{
    ok("\"white hou*\"", "(PHRASE white (PREFIX hou))");
    ok("\"White Houses*\"", "(PHRASE white (PREFIX houses hous))");
    ok("\"white hou*  \"", "(PHRASE white (PREFIX hou))");
    ok("\"the white hou*\" OR senate", "(OR (PHRASE the white (PREFIX hou)) senat)");
    ok("-\"white hou*\" oil", "(AND (NOT (PHRASE white (PREFIX hou))) oil)");
    ok("\"thomas-gr*\"", "(PHRASE thoma (PREFIX gr))");
    ok("\xe2\x80\x9cwhite hou*\xe2\x80\x9d", "(PHRASE white (PREFIX hou))");
    /* one word: a plain prefix, its stem included */
    ok("\"stories*\"", "(PREFIX stories stori)");
    ok("\"  Resign* \"", "(PREFIX resign)");
    /* unquoted, a hyphenated word is a phrase, so its '*' ends a phrase */
    ok("white-hou*", "(PHRASE white (PREFIX hou))");
    ok("oil thomas-gr*", "(AND oil (PHRASE thoma (PREFIX gr)))");
}

/* A '*' that is not right after a phrase's last word used to vanish as
 * punctuation: refused, with the caret under it. */
Test(query, star_elsewhere_in_a_phrase_is_refused)
{
    bad("\"wh* house\"", 3, "'*' may only end the last word");
    bad("a \"white * house\"", 9, "'*' may only end the last word");
    bad("\"*\"", 1, "'*' may only end the last word");
    bad("\"*\" a", 1, "'*' may only end the last word");
    bad("\"hou**\"", 5, "'*' may only end the last word");
    bad("\"hou*.\"", 4, "'*' may only end the last word");
    bad("\"a*b c\"", 2, "'*' may only end the last word");
    bad("\"white hou *\"", 11, "'*' may only end the last word");
}

Test(query, words_without_letters_are_dropped)
{
    ok("a OR !!!", "a");
    ok("!!! a", "a");
    ok("a (!!!)", "a");
    ok("a -!!!", "a");
    ok("a NOT ???", "a");
    ok("a AND --- AND b", "(AND a b)");
}

Test(query, invalid_utf8_is_analysed_not_rejected)
{
    ok("caf\xe9", "cafe"); /* Latin-1 fallback, then accent stripping */
    ok("M\xfcnchen", "munchen");
}

Test(query, node_offsets)
{
    bl_qnode *n = NULL;
    size_t pos;
    cr_assert_eq(bl_query_parse("a -b \"c d\" e*", an, NULL, &n, &pos), 0);
    cr_assert_eq(n->kind, BL_Q_AND);
    cr_assert_eq(n->nkids, 4);
    cr_expect_eq(n->offset, 0);
    cr_expect_eq(n->kids[0]->kind, BL_Q_TERM);
    cr_expect_eq(n->kids[0]->offset, 0);
    cr_expect_eq(n->kids[1]->kind, BL_Q_NOT);
    cr_expect_eq(n->kids[1]->offset, 2);
    cr_expect_eq(n->kids[1]->kids[0]->offset, 3);
    cr_expect_eq(n->kids[2]->kind, BL_Q_PHRASE);
    cr_expect_eq(n->kids[2]->offset, 5);
    cr_expect_eq(n->kids[2]->nterms, 2);
    cr_expect_eq(n->kids[2]->positions[0], 0);
    cr_expect_eq(n->kids[2]->positions[1], 1);
    cr_expect_eq(n->kids[3]->kind, BL_Q_PREFIX);
    cr_expect_eq(n->kids[3]->offset, 11);
    cr_expect_str_eq(n->kids[3]->terms[0], "e");
    bl_qnode_free(n);
}

Test(query, describe_truncates_like_snprintf)
{
    bl_qnode *n = NULL;
    size_t pos;
    char buf[8];
    cr_assert_eq(bl_query_parse("a OR bb", an, NULL, &n, &pos), 0);
    cr_expect_eq(bl_qnode_describe(n, buf, sizeof buf), strlen("(OR a bb)"));
    cr_expect_str_eq(buf, "(OR a b");
    cr_expect_eq(bl_qnode_describe(n, buf, 1), 9);
    cr_expect_str_eq(buf, "");
    cr_expect_eq(bl_qnode_describe(n, NULL, 0), 9);
    cr_expect_eq(bl_qnode_describe(NULL, buf, sizeof buf), 0);
    cr_expect_str_eq(buf, "");
    bl_qnode_free(n);
    bl_qnode_free(NULL);
}

Test(query, deep_nesting_up_to_the_limit)
{
    char q[2 * BL_QUERY_MAX_DEPTH + 8];
    size_t k = 0;
    for (int i = 0; i < BL_QUERY_MAX_DEPTH; i++)
        q[k++] = '(';
    q[k++] = 'a';
    for (int i = 0; i < BL_QUERY_MAX_DEPTH; i++)
        q[k++] = ')';
    q[k] = '\0';
    ok(q, "a");
}

/* ---- malformed queries ---------------------------------------------- */

Test(query, unbalanced_quotes)
{
    bad("\"north korea", 0, "unbalanced quote");
    bad("\"", 0, "unbalanced quote");
    bad("a \"", 2, "unbalanced quote");
    bad("\"a\" \"b", 4, "unbalanced quote");
    bad("\xe2\x80\x9cnorth korea", 0, "unbalanced quote");
    bad("a -\"b", 3, "unbalanced quote");
}

Test(query, parentheses)
{
    bad("(a OR b", 0, "missing closing parenthesis");
    bad("(", 0, "missing closing parenthesis");
    bad("a (b OR (c", 8, "missing closing parenthesis");
    bad("a )", 2, "unexpected ')'");
    bad(")", 0, "unexpected ')'");
    bad("(a) b)", 5, "unexpected ')'");
    bad("()", 0, "empty group");
    bad("a ( )", 2, "empty group");
    bad("-()", 1, "empty group");
}

Test(query, dangling_operators)
{
    bad("a OR", 2, "OR needs a term on its right");
    bad("OR a", 0, "OR needs a term on its left");
    bad("a AND", 2, "AND needs a term on its right");
    bad("AND a", 0, "AND needs a term on its left");
    bad("a NOT", 2, "NOT needs a term on its right");
    bad("NOT", 0, "NOT needs a term on its right");
    bad("a OR OR b", 2, "OR needs a term on its right");
    bad("a AND OR b", 2, "AND needs a term on its right");
    bad("(OR a)", 1, "OR needs a term on its left");
    bad("(a OR) b", 3, "OR needs a term on its right");
    bad("OR", 0, "OR needs a term on its left");
}

Test(query, empty_queries)
{
    bad("", 0, "empty query");
    bad("   ", 0, "empty query");
    bad("\t\n", 0, "empty query");
    bad("!!! ???", 0, "no searchable words");
    bad("-", 0, "no searchable words");
    bad("\"\"", 0, "no searchable words");
    bad("NOT !!!", 0, "no searchable words");
    bad("(!!!) OR ...", 0, "no searchable words");
}

Test(query, bad_prefixes)
{
    bad("*", 0, "needs a word");
    bad("a *", 2, "needs a word");
    bad("!!!*", 0, "needs a word");
    bad("**", 0, "only allowed at the end");
    bad("a**", 1, "only allowed at the end");
    bad("tax*es", 3, "only allowed at the end");
    bad("*tax", 0, "only allowed at the end");
    ok("e-mail*", "(PHRASE e (PREFIX mail))"); /* a phrase prefix, as "e-mail*" */
    bad("x -*", 3, "needs a word");
}

Test(query, too_deep_nesting)
{
    char q[2 * BL_QUERY_MAX_DEPTH + 8];
    size_t k = 0;
    for (int i = 0; i <= BL_QUERY_MAX_DEPTH; i++)
        q[k++] = '(';
    q[k++] = 'a';
    for (int i = 0; i <= BL_QUERY_MAX_DEPTH; i++)
        q[k++] = ')';
    q[k] = '\0';
    bad(q, BL_QUERY_MAX_DEPTH, "nest");
}

Test(query, null_arguments)
{
    bl_qnode *n = NULL;
    size_t pos;
    cr_expect_eq(bl_query_parse(NULL, an, NULL, &n, &pos), BL_EINVAL);
    cr_expect_eq(bl_query_parse("a", NULL, NULL, &n, &pos), BL_EINVAL);
    cr_expect_eq(bl_query_parse("a", an, NULL, NULL, &pos), BL_EINVAL);
    cr_expect_eq(bl_query_parse("a OR", an, NULL, &n, NULL), BL_EQUERY);
    cr_expect_null(n);
}

/* ---- random input --------------------------------------------------- */

/* Checks the tree shape the evaluator relies on. */
static void check_shape(const bl_qnode *n, int parent_kind)
{
    switch (n->kind) {
    case BL_Q_TERM:
    case BL_Q_PREFIX:
        /* A prefix may carry its stem as a second term. */
        cr_assert(n->nterms == 1 || (n->kind == BL_Q_PREFIX && n->nterms == 2));
        cr_assert_gt(strlen(n->terms[0]), 0);
        cr_assert_eq(n->nkids, 0);
        cr_assert(!n->prefix_last && !n->last_stem);
        break;
    case BL_Q_PHRASE:
        cr_assert_geq(n->nterms, 2);
        cr_assert_eq(n->positions[0], 0);
        for (size_t i = 1; i < n->nterms; i++)
            cr_assert_gt(n->positions[i], n->positions[i - 1]);
        cr_assert(n->prefix_last || !n->last_stem, "a stem without a prefix");
        break;
    case BL_Q_AND:
    case BL_Q_OR:
        cr_assert_geq(n->nkids, 2);
        cr_assert_neq((int)n->kind, parent_kind, "unflattened");
        for (size_t i = 0; i < n->nkids; i++)
            check_shape(n->kids[i], (int)n->kind);
        break;
    case BL_Q_NOT:
        cr_assert_eq(n->nkids, 1);
        cr_assert_neq(n->kids[0]->kind, BL_Q_NOT, "double negation");
        check_shape(n->kids[0], (int)n->kind);
        break;
    default:
        cr_assert_fail("bad kind %d", (int)n->kind);
    }
}

/* Writes n back as query text (fully parenthesised, explicit operators). */
static void render(const bl_qnode *n, char *buf, size_t cap)
{
    size_t len = strlen(buf);
    const char *op = n->kind == BL_Q_AND ? " AND " : " OR ";

    switch (n->kind) {
    case BL_Q_TERM:
        snprintf(buf + len, cap - len, "%s", n->terms[0]);
        break;
    case BL_Q_PREFIX:
        snprintf(buf + len, cap - len, "%s*", n->terms[0]);
        break;
    case BL_Q_PHRASE:
        snprintf(buf + len, cap - len, "\"");
        for (size_t i = 0; i < n->nterms; i++) {
            len = strlen(buf);
            snprintf(buf + len, cap - len, "%s%s", i ? " " : "", n->terms[i]);
        }
        len = strlen(buf);
        snprintf(buf + len, cap - len, "%s\"", n->prefix_last ? "*" : "");
        break;
    case BL_Q_NOT:
        snprintf(buf + len, cap - len, "-(");
        render(n->kids[0], buf, cap);
        len = strlen(buf);
        snprintf(buf + len, cap - len, ")");
        break;
    default:
        snprintf(buf + len, cap - len, "(");
        for (size_t i = 0; i < n->nkids; i++) {
            len = strlen(buf);
            if (i)
                snprintf(buf + len, cap - len, "%s", op);
            render(n->kids[i], buf, cap);
        }
        len = strlen(buf);
        snprintf(buf + len, cap - len, ")");
        break;
    }
}

static unsigned seed_from_env(void)
{
    const char *s = getenv("BYLINE_SEED");
    unsigned seed = s && *s ? (unsigned)strtoul(s, NULL, 10)
                            : (unsigned)time(NULL) ^ (unsigned)clock();
    fprintf(stderr, "query.random_strings: seed %u (BYLINE_SEED=%u replays)\n",
            seed, seed);
    return seed;
}

static uint32_t rnd(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(*s >> 33);
}

/* Drops the stems prefixes carry (terms[1], last_stem): a re-parse with the plain
 * analyzer cannot derive them again. */
static void drop_prefix_stems(bl_qnode *n)
{
    if (n->kind == BL_Q_PREFIX && n->nterms == 2) {
        free(n->terms[1]);
        n->nterms = 1;
    }
    free(n->last_stem);
    n->last_stem = NULL;
    for (size_t i = 0; i < n->nkids; i++)
        drop_prefix_stems(n->kids[i]);
}

/* Returns 1 if q parsed, 0 if it failed with BL_EQUERY (asserts the rest). */
static int check_random_query(const char *q, int any, bl_analyzer *plain,
                              unsigned seed)
{
    static char desc[1 << 16], again[1 << 16], text[1 << 16];
    bl_qnode *n = (bl_qnode *)1, *m = NULL;
    bl_query_opts opts = {.any = any};
    size_t pos = (size_t)-1;
    int rc = bl_query_parse(q, an, &opts, &n, &pos);

    if (rc != 0) {
        cr_assert_eq(rc, BL_EQUERY, "seed %u query [%s]: rc %d", seed, q, rc);
        cr_assert_null(n, "seed %u query [%s]", seed, q);
        cr_assert_leq(pos, strlen(q), "seed %u query [%s]", seed, q);
        cr_assert_gt(strlen(bl_error_detail()), 0);
        return 0;
    }
    check_shape(n, -1);
    drop_prefix_stems(n);
    bl_qnode_describe(n, desc, sizeof desc);
    /* Writing the tree back as a query and parsing it gives the same tree.
     * The second parse does not stem: stemming is not idempotent
     * ("andye" -> "andy" -> "andi"), and the terms are stems already. */
    text[0] = '\0';
    render(n, text, sizeof text);
    rc = bl_query_parse(text, plain, NULL, &m, &pos);
    cr_assert_eq(rc, 0, "seed %u query [%s] -> [%s]: %s", seed, q, text,
                 bl_error_detail());
    bl_qnode_describe(m, again, sizeof again);
    cr_assert_str_eq(again, desc, "seed %u query [%s] -> [%s]", seed, q, text);
    bl_qnode_free(m);
    bl_qnode_free(n);
    return 1;
}

Test(query, random_strings_parse_or_fail_cleanly)
{
    static const char *const pieces[] = {
        "a", "b", "\"", "(", ")", "-", "*", " ", "AND", "OR", "NOT",
        "\xc3\xa9", "\xff",
    };
    const size_t npieces = sizeof pieces / sizeof pieces[0];
    unsigned seed = seed_from_env();
    uint64_t s = seed;
    char q[256];
    int parsed = 0, iters = 20000;
    bl_analyzer *plain = NULL;

    cr_assert_eq(bl_analyzer_new(&plain, "none"), 0);

    for (int iter = 0; iter < iters; iter++) {
        size_t len = 0, n = rnd(&s) % 24;
        q[0] = '\0';
        for (size_t i = 0; i < n; i++) {
            const char *p = pieces[rnd(&s) % npieces];
            memcpy(q + len, p, strlen(p) + 1);
            len += strlen(p);
        }
        parsed += check_random_query(q, iter & 1, plain, seed);
    }
    bl_analyzer_free(plain);
    /* both outcomes must be common, or the test exercises little */
    cr_expect_gt(parsed, iters / 20, "seed %u: %d parsed", seed, parsed);
    cr_expect_lt(parsed, iters - iters / 20, "seed %u: %d parsed", seed, parsed);
}

Test(query, large_hostile_inputs)
{
    const size_t size = 100 * 1024;
    char *q = malloc(size + 1);
    uint64_t s = 42;
    bl_qnode *n = NULL;
    size_t pos;
    cr_assert_not_null(q);

    /* one huge word: longer than any token, so it cannot be searched */
    memset(q, 'x', size);
    q[size] = '\0';
    bad(q, 0, "longer than 64 bytes");
    /* many words: one big flat AND */
    for (size_t i = 0; i < size; i++)
        q[i] = i % 2 ? ' ' : 'a';
    cr_assert_eq(bl_query_parse(q, an, NULL, &n, &pos), 0);
    cr_assert_eq(n->kind, BL_Q_AND);
    cr_assert_eq(n->nkids, size / 2);
    bl_qnode_free(n);
    /* many opening parentheses, NOTs, quotes, minus signs */
    memset(q, '(', size);
    bad(q, BL_QUERY_MAX_DEPTH, "nest");
    for (size_t i = 0; i < size; i++)
        q[i] = "NOT "[i % 4];
    bad(q, size - 4, "NOT needs a term on its right");
    memset(q, '"', size);
    bad(q, 0, "no searchable words");
    memset(q, '-', size);
    bad(q, 0, "no searchable words");
    /* random bytes 1..255 */
    for (int round = 0; round < 20; round++) {
        for (size_t i = 0; i < size; i++)
            q[i] = (char)(1 + rnd(&s) % 255);
        int rc = bl_query_parse(q, an, NULL, &n, &pos);
        cr_assert(rc == 0 || rc == BL_EQUERY, "rc %d", rc);
        cr_assert_leq(pos, size);
        bl_qnode_free(n);
        n = NULL;
    }
    free(q);
}

/* Many repetitions of unit (NUL-terminated, owned). */
static char *repeat(const char *unit, size_t times)
{
    size_t n = strlen(unit);
    char *q = malloc(n * times + 1);
    cr_assert_not_null(q);
    for (size_t i = 0; i < times; i++)
        memcpy(q + i * n, unit, n);
    q[n * times] = '\0';
    return q;
}

/* The documented limits hold exactly, and a query past them is refused
 * at once, whatever its size. */
Test(query, size_limits)
{
    bl_qnode *n = NULL;
    size_t pos;

    char *q = repeat("a ", BL_QUERY_MAX_WORDS);
    cr_assert_eq(bl_query_parse(q, an, NULL, &n, &pos), 0, "%s", bl_error_detail());
    cr_expect_eq(n->nkids, BL_QUERY_MAX_WORDS);
    bl_qnode_free(n);
    free(q);
    q = repeat("a ", BL_QUERY_MAX_WORDS + 1);
    bad(q, 2 * (size_t)BL_QUERY_MAX_WORDS, "more than 65536 words");
    free(q);
    /* every word of a phrase counts */
    q = repeat("\"a b\" ", BL_QUERY_MAX_WORDS / 2 + 1);
    bad(q, 6 * (size_t)(BL_QUERY_MAX_WORDS / 2), "more than 65536 words");
    free(q);

    q = repeat("a* ", BL_QUERY_MAX_PREFIXES);
    cr_assert_eq(bl_query_parse(q, an, NULL, &n, &pos), 0, "%s", bl_error_detail());
    bl_qnode_free(n);
    free(q);
    q = repeat("a* ", BL_QUERY_MAX_PREFIXES + 1);
    bad(q, 3 * (size_t)BL_QUERY_MAX_PREFIXES, "more than 64 prefixes");
    free(q);
    q = repeat("\"b a*\" ", BL_QUERY_MAX_PREFIXES + 1);
    bad(q, 7 * (size_t)BL_QUERY_MAX_PREFIXES, "more than 64 prefixes");
    free(q);

    /* Exactly the byte limit parses; one byte more, or 64 MiB, is refused
     * at the first byte past the limit, in far less than a second. */
    q = repeat(" ", BL_QUERY_MAX_BYTES);
    q[0] = 'a';
    cr_assert_eq(bl_query_parse(q, an, NULL, &n, &pos), 0, "%s", bl_error_detail());
    bl_qnode_free(n);
    free(q);
    q = repeat("a ", BL_QUERY_MAX_BYTES / 2 + 1);
    bad(q, BL_QUERY_MAX_BYTES, "longer than 1048576 bytes");
    free(q);
    q = repeat("a ", 32u << 20);
    clock_t t0 = clock();
    bad(q, BL_QUERY_MAX_BYTES, "longer than 1048576 bytes");
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    cr_expect_lt(secs, 0.25, "refusing a 64 MiB query took %.3f s", secs);
    free(q);
}
