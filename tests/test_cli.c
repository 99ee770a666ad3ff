/* test_cli.c: bin/byline end to end, as a user drives it: index the sample
 * corpus, search it in every output mode, check exit statuses and messages,
 * add a segment, read each input format, and (when the shared corpora are
 * present) index all of Reuters-21578 and answer the dev queries.
 *
 * The program is $BYLINE_BIN (else bin/byline); the project root, for
 * corpus/sample and ../shared/corpora, is $BYLINE_ROOT (else "."). */
#include <criterion/criterion.h>
#include <ctype.h>
#include <glob.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <utf8proc.h>
#include <zlib.h>

#include "buf.h"
#include "codec.h"
#include "helpers.h"
#include "postings.h"

#define DOC_A "000_97fc659374a10e1e.txt"
#define DOC_B "003_5db955b745abaab7.txt"

/* ---- fixture: the sample corpus indexed into a fresh directory ---- */

static char *tmp;      /* scratch directory of this test */
static char idx[4200]; /* tmp/idx: the sample's index */
static char sample[4200];

/* Frees the strings of the previous run, so a test can call run() in a row. */
static char *out, *err;

static void forget(void)
{
    free(out);
    free(err);
    out = err = NULL;
}

/* Runs `byline ARGS`; the output lands in out/err. Returns the exit status
 * and fails the test if byline died from a signal or a sanitizer spoke. */
#define run(...) bl_test_byline_f(&out, &err, __VA_ARGS__)

static void teardown(void);

static void setup(void)
{
    tmp = bl_test_tmpdir();
    cr_assert(tmp, "cannot make a temporary directory");
    snprintf(idx, sizeof idx, "%s/idx", tmp);
    snprintf(sample, sizeof sample, "%s/corpus/sample", bl_test_root());
    if (run("index -q -o '%s' '%s'", idx, sample) != 0) {
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", err);
        teardown(); /* .fini does not follow a failed .init */
        cr_assert_fail("indexing %s failed: %s", sample, msg);
    }
}

static void teardown(void)
{
    forget();
    if (tmp)
        bl_test_rmtree(tmp);
    free(tmp);
    tmp = NULL;
}

TestSuite(cli, .init = setup, .fini = teardown, .timeout = 60);

/* ---- small tools ---- */

/* `byline search -i INDEX --count QUERY` as a number; asserts the output is
 * one number and the exit status agrees with it. */
static long count_in(const char *index, const char *query)
{
    int rc = run("search -i '%s' --count '%s'", index, query);
    char *end;
    long n = strtol(out, &end, 10);
    cr_assert(end != out && strcmp(end, "\n") == 0, "--count '%s' printed '%s' (stderr: %s)",
              query, out, err);
    cr_assert_eq(rc, n > 0 ? 0 : 1, "--count '%s': %ld hits but exit status %d", query, n, rc);
    return n;
}

/* Which of the sample's two documents the text output names: bit 0 for
 * DOC_A, bit 1 for DOC_B. */
static int docs_found(const char *query)
{
    int rc = run("search -i '%s' -k 100 '%s'", idx, query);
    cr_assert(rc == 0 || rc == 1, "search '%s': exit %d, stderr %s", query, rc, err);
    return (strstr(out, DOC_A) ? 1 : 0) | (strstr(out, DOC_B) ? 2 : 0);
}

/* Splits s into lines in place; returns how many (a final newline ends the
 * last line, it does not start an empty one). */
static size_t split_lines(char *s, char **lines, size_t max)
{
    size_t n = 0;
    while (*s && n < max) {
        lines[n++] = s;
        char *nl = strchr(s, '\n');
        if (!nl)
            break;
        *nl = 0;
        s = nl + 1;
    }
    return n;
}

/* Parses one JSON line (\u0000 allowed: JSON has it, and a query line
 * with a NUL byte is echoed with it); fails the test with the line if it is
 * not JSON. */
static json_t *parse_line(const char *line)
{
    json_error_t e;
    json_t *j = json_loads(line, JSON_ALLOW_NUL, &e);
    cr_assert(j, "not JSON (%s at column %d): %s", e.text, e.column, line);
    return j;
}

/* Does the highlighted text hl[0..n) spell word, ignoring case? A stemmed
 * match may add letters ("wombats" for "wombat"), nothing else. */
static int spells(const char *hl, size_t n, const char *word)
{
    size_t w = strlen(word);
    if (n < w)
        return 0;
    for (size_t i = 0; i < w; i++)
        if (tolower((unsigned char)hl[i]) != tolower((unsigned char)word[i]))
            return 0;
    for (size_t i = w; i < n; i++)
        if (!isalpha((unsigned char)hl[i]))
            return 0;
    return 1;
}

/* Checks one hit object: its keys in the documented order and types, and
 * that every highlight is a code point range of the snippet spelling `word`
 * (any case). Returns the number of highlights. */
static size_t check_hit(json_t *hit, uint32_t want_rank, const char *word)
{
    static const char *keys[] = {"rank", "score", "id", "title", "source", "date", "url",
                                 "snippet", "highlights"};
    size_t k = 0;
    const char *key;
    json_t *v;
    json_object_foreach(hit, key, v) {
        cr_assert(k < 9, "hit has an extra key '%s'", key);
        cr_expect_str_eq(key, keys[k], "hit key %zu is '%s', want '%s'", k, key, keys[k]);
        k++;
    }
    cr_assert_eq(k, 9, "hit has %zu keys, want 9", k);
    cr_expect(json_is_integer(json_object_get(hit, "rank")));
    cr_expect_eq(json_integer_value(json_object_get(hit, "rank")), want_rank);
    cr_expect(json_is_number(json_object_get(hit, "score")));
    for (int i = 2; i < 8; i++)
        cr_expect(json_is_string(json_object_get(hit, keys[i])), "hit.%s is not a string",
                  keys[i]);
    const char *snip = json_string_value(json_object_get(hit, "snippet"));
    size_t snip_len = json_string_length(json_object_get(hit, "snippet"));
    json_t *hl = json_object_get(hit, "highlights");
    cr_assert(json_is_array(hl), "highlights is not an array");
    size_t i;
    json_t *r;
    json_array_foreach(hl, i, r) {
        cr_assert(json_is_array(r) && json_array_size(r) == 2, "highlight %zu is not [s,e]", i);
        json_int_t s = json_integer_value(json_array_get(r, 0));
        json_int_t e = json_integer_value(json_array_get(r, 1));
        cr_assert(0 <= s && s < e, "highlight [%lld,%lld] is empty or reversed", (long long)s,
                  (long long)e);
        size_t at, n = bl_test_cp_slice(snip, snip_len, (size_t)s, (size_t)e, &at);
        cr_expect(spells(snip + at, n, word), "highlight [%lld,%lld] is '%.*s', want '%s'",
                  (long long)s, (long long)e, (int)n, snip + at, word);
    }
    return json_array_size(hl);
}

/* Checks --json output of one query: hit lines then one summary; returns
 * the number of hit lines. */
static size_t check_json_output(char *text, const char *query, const char *word)
{
    size_t max = 1;
    for (const char *c = text; *c; c++)
        max += *c == '\n';
    char **lines = malloc(max * sizeof *lines);
    cr_assert(lines);
    size_t n = split_lines(text, lines, max);
    cr_assert(n >= 1, "no JSON output for '%s'", query);
    for (size_t i = 0; i + 1 < n; i++) {
        json_t *hit = parse_line(lines[i]);
        cr_expect(check_hit(hit, (uint32_t)i + 1, word) > 0, "hit %zu has no highlight", i + 1);
        json_decref(hit);
    }
    json_t *sum = parse_line(lines[n - 1]);
    static const char *keys[] = {"query", "hits", "hits_relation", "returned", "elapsed_ms"};
    size_t k = 0;
    const char *key;
    json_t *v;
    json_object_foreach(sum, key, v) {
        cr_assert(k < 5, "summary has an extra key '%s'", key);
        cr_expect_str_eq(key, keys[k]);
        k++;
    }
    cr_expect_eq(k, 5, "summary has %zu keys", k);
    cr_expect_str_eq(json_string_value(json_object_get(sum, "hits_relation")), "eq");
    cr_expect_str_eq(json_string_value(json_object_get(sum, "query")), query);
    cr_expect_eq(json_integer_value(json_object_get(sum, "hits")), (json_int_t)(n - 1),
                 "summary says %lld hits, %zu hit lines",
                 (long long)json_integer_value(json_object_get(sum, "hits")), n - 1);
    cr_expect_eq(json_integer_value(json_object_get(sum, "returned")), (json_int_t)(n - 1));
    cr_expect(json_is_number(json_object_get(sum, "elapsed_ms")) &&
              json_number_value(json_object_get(sum, "elapsed_ms")) >= 0);
    json_decref(sum);
    free(lines);
    return n - 1;
}

/* Writes a file under tmp; returns its path in a static buffer. */
static const char *put(const char *name, const char *text)
{
    static char path[4200];
    snprintf(path, sizeof path, "%s/%s", tmp, name);
    cr_assert(bl_test_write_file(path, text, strlen(text)) == 0, "cannot write %s", path);
    return path;
}

/* ---- the sample corpus ---- */

Test(cli, sample_queries_find_the_right_documents)
{
    cr_expect_eq(docs_found("wagner"), 3);
    cr_expect_eq(docs_found("\"north korea\" prigozhin"), 3);
    cr_expect_eq(docs_found("\"gossip and speculation\""), 1);
    cr_expect_eq(docs_found("patriot"), 2);
    cr_expect_eq(docs_found("prigozhin NOT patriot"), 1);
    cr_expect_eq(docs_found("sanction"), 3, "stemming: the texts say 'sanctions'");
    cr_expect_eq(count_in(idx, "wagner"), 2);
    cr_expect_eq(count_in(idx, "patriot"), 1);
    cr_expect_eq(count_in(idx, "sanction"), 2);
}

Test(cli, case_does_not_matter)
{
    run("search -i '%s' Zelensky", idx);
    char *upper = strdup(out);
    run("search -i '%s' zelensky", idx);
    /* The last line holds the time taken; everything before must agree. */
    char *a = strrchr(upper, '\n'), *b = strrchr(out, '\n');
    cr_assert(a && b);
    *a = 0;
    *b = 0;
    a = strrchr(upper, '\n');
    b = strrchr(out, '\n');
    cr_assert(a && b, "expected hits then a summary line");
    a[1] = b[1] = 0;
    cr_expect_str_eq(upper, out, "Zelensky and zelensky differ");
    cr_expect_eq(count_in(idx, "Zelensky"), count_in(idx, "zelensky"));
    cr_expect_eq(count_in(idx, "zelensky"), 1);
    free(upper);
}

Test(cli, json_lines_are_valid_and_complete)
{
    cr_assert_eq(run("search -i '%s' --json -k 100 Patriot", idx), 0, "%s", err);
    cr_expect_eq(check_json_output(out, "Patriot", "patriot"), 1);
    cr_assert_eq(run("search -i '%s' --json -k 100 wagner", idx), 0, "%s", err);
    cr_expect_eq(check_json_output(out, "wagner", "Wagner"), 2);
    /* k smaller than the hits: hits counts all, returned what is shown. */
    cr_assert_eq(run("search -i '%s' --json -k 1 wagner", idx), 0, "%s", err);
    char *lines[8];
    size_t n = split_lines(out, lines, 8);
    cr_assert_eq(n, 2, "-k 1 printed %zu lines", n);
    json_t *sum = parse_line(lines[1]);
    cr_expect_eq(json_integer_value(json_object_get(sum, "hits")), 2);
    cr_expect_eq(json_integer_value(json_object_get(sum, "returned")), 1);
    json_decref(sum);
    /* No match: just the summary, exit 1. */
    cr_expect_eq(run("search -i '%s' --json nosuchwordzzz", idx), 1);
    cr_expect_eq(check_json_output(out, "nosuchwordzzz", "-"), 0);
}

Test(cli, count_prints_the_number)
{
    cr_assert_eq(run("search -i '%s' --count wagner", idx), 0);
    cr_expect_str_eq(out, "2\n");
    cr_assert_eq(run("search -i '%s' --count 'wagner OR patriot'", idx), 0);
    cr_expect_str_eq(out, "2\n");
    cr_assert_eq(run("search -i '%s' --count nosuchwordzzz", idx), 1);
    cr_expect_str_eq(out, "0\n");
}

Test(cli, exit_status_for_match_and_no_match)
{
    cr_expect_eq(run("search -i '%s' wagner", idx), 0);
    cr_expect_eq(run("search -i '%s' nosuchwordzzz", idx), 1);
    /* "-word" after the query's first word is an exclusion, not an option. */
    cr_expect_eq(run("search -i '%s' --count prigozhin -patriot", idx), 0);
    cr_expect_eq(atoi(out), 1, "prigozhin -patriot: %s", out);
    cr_expect_str_eq(err, "", "no match is not an error: %s", err);
}

/* A malformed query: exit 2, nothing on stdout, a message naming the
 * problem, then the query and a line with a caret. */
static void expect_malformed(const char *query, const char *problem)
{
    int rc = run("search -i '%s' '%s'", idx, query);
    cr_expect_eq(rc, 2, "query '%s': exit %d", query, rc);
    char *lines[16];
    char *e = strdup(err);
    size_t n = split_lines(e, lines, 16);
    cr_expect(n >= 2, "query '%s': stderr has %zu lines: %s", query, n, err);
    if (n >= 1)
        cr_expect(strstr(lines[0], problem), "query '%s': message '%s' does not mention '%s'",
                  query, lines[0], problem);
    int caret = 0;
    for (size_t i = 1; i < n; i++)
        if (strchr(lines[i], '^') && strspn(lines[i], " ^") == strlen(lines[i]))
            caret = 1;
    cr_expect(caret, "query '%s': no caret line in: %s", query, err);
    free(e);
}

Test(cli, malformed_queries_exit_2_with_a_caret)
{
    expect_malformed("\"north korea", "quote");
    expect_malformed("(a OR b", "parenthes");
    expect_malformed("a OR", "OR");
    expect_malformed("", "empty");
}

Test(cli, bad_usage_exits_2)
{
    cr_expect_eq(run("search wagner"), 2, "missing -i");
    cr_expect(strstr(err, "-i"), "stderr should say -i is missing: %s", err);
    cr_expect_eq(run("search -i '%s'", idx), 2, "no query");
    cr_expect_eq(run("search -i '%s' -k banana wagner", idx), 2, "bad -k");
    cr_expect_eq(run("search -i '%s' --color sometimes wagner", idx), 2, "bad --color");
    cr_expect_eq(run("search -i '%s' --no-such-option wagner", idx), 2);
    cr_expect_eq(run("index '%s'", sample), 2, "index without -o");
    cr_expect_eq(run("index -o '%s/new'", tmp), 2, "index without a path");
    cr_expect_eq(run("check"), 2, "check without -i");
    cr_expect_eq(run(" "), 2, "no command");
    cr_expect_eq(run("frobnicate"), 2, "unknown command");
}

Test(cli, missing_index_exits_3)
{
    cr_expect_eq(run("search -i '%s/nothing-here' wagner", tmp), 3);
    cr_expect(strstr(err, "nothing-here"), "stderr should name the path: %s", err);
}

/* The commands that write an index say there is none, not that it went. */
Test(cli, missing_index_for_delete_optimize_check_exits_2)
{
    static const char *cmds[] = {"delete -i '%s/nothing-here' a1", "optimize -i '%s/nothing-here'",
                                 "check -i '%s/nothing-here'"};
    for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++) {
        char cmd[4400];
        snprintf(cmd, sizeof cmd, cmds[i], tmp);
        cr_expect_eq(run("%s", cmd), 2, "byline %s", cmd);
        cr_expect(strstr(err, "nothing-here") && strstr(err, "no index here"),
                  "byline %s: %s", cmd, err);
    }
}

Test(cli, help_exits_0_and_prints_usage)
{
    static const char *cmds[] = {"--help", "index --help", "search --help", "check --help",
                                 "search -h", "help"};
    for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++) {
        cr_expect_eq(run("%s", cmds[i]), 0, "byline %s", cmds[i]);
        cr_expect(strstr(out, "usage: byline"), "byline %s printed no usage: %s", cmds[i], out);
        cr_expect_str_eq(err, "", "byline %s wrote to stderr", cmds[i]);
    }
    cr_expect(run("index --help") == 0 && strstr(out, "Exit status"));
    cr_expect(run("search --help") == 0 && strstr(out, "Exit status"));
    cr_expect(run("check --help") == 0 && strstr(out, "Exit status"));
}

Test(cli, any_makes_words_optional)
{
    /* "patriot" is only in 003, "speculation" only in 000. (Not "gossip":
     * 003 says it too.) */
    cr_expect_eq(count_in(idx, "patriot speculation"), 0);
    cr_assert_eq(run("search -i '%s' --any --count 'patriot speculation'", idx), 0, "%s", err);
    cr_expect_str_eq(out, "2\n");
    cr_assert_eq(run("search -i '%s' --any --json 'patriot speculation'", idx), 0, "%s", err);
    char *lines[8];
    cr_expect_eq(split_lines(out, lines, 8), 3, "two hits and a summary");
}

Test(cli, color_always_and_never)
{
    cr_assert_eq(run("search -i '%s' --color always wagner", idx), 0);
    cr_expect(strstr(out, "\033[1m"), "--color always shows no ANSI bold: %s", out);
    cr_expect(!strstr(out, "**"), "--color always still shows ** markers");
    /* never: plain text, no markup at all. */
    cr_assert_eq(run("search -i '%s' --color never wagner", idx), 0);
    cr_expect(strstr(out, "Wagner"), "%s", out);
    cr_expect(!strstr(out, "**"), "--color never shows ** markers: %s", out);
    cr_expect(!strchr(out, '\033'), "--color never printed an escape");
    /* Output to a file is not a terminal: auto means plain. */
    cr_assert_eq(run("search -i '%s' wagner", idx), 0);
    cr_expect(!strchr(out, '\033'), "--color auto colored a file");
    cr_expect(!strstr(out, "**"), "--color auto marked a file: %s", out);
}

Test(cli, marks_put_stars_around_highlights)
{
    cr_assert_eq(run("search -i '%s' --marks wagner", idx), 0);
    cr_expect(strstr(out, "**Wagner**"), "--marks shows no ** markers: %s", out);
    cr_expect(!strchr(out, '\033'), "--marks alone printed an escape");
    cr_assert_eq(run("search -i '%s' --marks --color always wagner", idx), 0);
    cr_expect(strstr(out, "**\033[1mWagner\033[0m**"), "marks and bold together: %s", out);
    /* JSON: the snippet carries ** only when asked, and the highlights
     * still slice out the word. */
    cr_assert_eq(run("search -i '%s' --json --color always wagner", idx), 0);
    cr_expect(!strstr(out, "**") && !strchr(out, '\033'), "plain JSON has markup: %s", out);
    cr_assert_eq(run("search -i '%s' --json --marks wagner", idx), 0);
    cr_expect(strstr(out, "**Wagner**"), "--json --marks: %s", out);
    cr_expect_eq(check_json_output(out, "wagner", "Wagner"), 2);
}

/* An article whose snippet has non-ASCII text before the word. */
static const char ZE_ARTICLE[] =
    "Kyiv visit\n\nZelenskyy\xE2\x80\x99s aide \xE2\x80\x94 na\xC3\xAFve \xE2\x80\x9Cquotes\xE2\x80\x9D \xE2\x80\x94 "
    "says Z\xC3\xA9lensky met the envoy; Z\xC3\xA9lensky left.\n";

Test(cli, json_highlights_slice_by_code_points)
{
    char dir[4300];
    snprintf(dir, sizeof dir, "%s/ze", tmp);
    cr_assert(mkdir(dir, 0755) == 0);
    put("ze/a.txt", ZE_ARTICLE);
    char zidx[4300];
    snprintf(zidx, sizeof zidx, "%s/ze.idx", tmp);
    cr_assert_eq(run("index -q -o '%s' '%s'", zidx, dir), 0, "%s", err);
    for (int marks = 0; marks < 2; marks++) {
        cr_assert_eq(run("search -i '%s' --json %s zelensky", zidx, marks ? "--marks" : ""), 0,
                     "%s", err);
        char *lines[4];
        cr_assert_eq(split_lines(out, lines, 4), 2, "%s", out);
        json_t *hit = parse_line(lines[0]);
        const char *snip = json_string_value(json_object_get(hit, "snippet"));
        json_t *hl = json_object_get(hit, "highlights");
        cr_assert_eq(json_array_size(hl), 2, "%s", lines[0]);
        for (size_t i = 0; i < 2; i++) {
            json_t *r = json_array_get(hl, i);
            size_t at, n = bl_test_cp_slice(snip, strlen(snip),
                                            (size_t)json_integer_value(json_array_get(r, 0)),
                                            (size_t)json_integer_value(json_array_get(r, 1)), &at);
            cr_expect(n == strlen("Z\xC3\xA9lensky") && !memcmp(snip + at, "Z\xC3\xA9lensky", n),
                      "highlight %zu slices '%.*s' out of %s", i, (int)n, snip + at, snip);
        }
        cr_expect(!marks == !strstr(snip, "**Z\xC3\xA9lensky**"), "marks %d: %s", marks, snip);
        json_decref(hit);
    }
}

Test(cli, queries_file_with_stats)
{
    const char *qf = put("queries.txt", "# a comment\nwagner\n\npatriot\nnosuchwordzzz\n");
    cr_assert_eq(run("search -i '%s' --queries '%s' --stats --json", idx, qf), 0, "%s", err);
    cr_expect(strstr(err, "p50") && strstr(err, "p95"), "no latency line: %s", err);
    char *lines[64];
    size_t n = split_lines(out, lines, 64);
    size_t summaries = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *j = parse_line(lines[i]);
        if (json_object_get(j, "query"))
            summaries++;
        json_decref(j);
    }
    cr_expect_eq(summaries, 3, "three queries, %zu summaries", summaries);
    cr_expect_eq(n, 2 + 1 + 3, "2 + 1 hits and 3 summaries, got %zu lines", n);
}

Test(cli, queries_file_with_a_malformed_line)
{
    const char *qf = put("bad-queries.txt", "wagner\n\"north korea\npatriot\n");
    char qfile[4200];
    snprintf(qfile, sizeof qfile, "%s", qf);
    cr_expect_eq(run("search -i '%s' --queries '%s' --json", idx, qfile), 2);
    char where[4300];
    snprintf(where, sizeof where, "%s:2", qfile);
    cr_expect(strstr(err, where), "stderr does not name %s: %s", where, err);
    cr_expect(strstr(err, "quote"), "stderr does not say what is wrong: %s", err);
    char *lines[64];
    size_t n = split_lines(out, lines, 64);
    int saw_wagner = 0, saw_patriot = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *j = parse_line(lines[i]);
        const char *q = json_string_value(json_object_get(j, "query"));
        if (q && !strcmp(q, "wagner"))
            saw_wagner = json_integer_value(json_object_get(j, "hits")) == 2;
        if (q && !strcmp(q, "patriot"))
            saw_patriot = json_integer_value(json_object_get(j, "hits")) == 1;
        json_decref(j);
    }
    cr_expect(saw_wagner && saw_patriot, "the good queries were not all answered: %s", out);
    /* Text mode, too: every query is echoed, the good ones answered. */
    cr_expect_eq(run("search -i '%s' --queries '%s'", idx, qfile), 2);
    cr_expect(strstr(out, "## wagner") && strstr(out, "## patriot"), "%s", out);
}

/* A query file with comments, blank lines, a malformed query and one with
 * a NUL byte; its queries in order. */
static const char BATCH[] = "# a comment\nwagner\n\n\"north korea\n   \npatriot\nmi\0ne\n"
                            "nosuchwordzzz\n#patriot\n";
#define Q(s) {s, sizeof s - 1}
static const struct {
    const char *text;
    size_t len;
} BATCH_QUERIES[] = {Q("wagner"), Q("\"north korea"), Q("patriot"), Q("mi\0ne"),
                     Q("nosuchwordzzz")};
#undef Q
#define BATCH_N 5

static const char *put_batch(void)
{
    static char path[4200];
    snprintf(path, sizeof path, "%s/batch.txt", tmp);
    cr_assert(bl_test_write_file(path, BATCH, sizeof BATCH - 1) == 0);
    return path;
}

/* --queries - reads standard input; a directory is refused, not read as
 * an empty file of queries. */
Test(cli, queries_from_stdin_and_not_from_a_directory)
{
    const char *qf = put("good2.txt", "wagner\npatriot\n");
    cr_expect_eq(run("search -i '%s' --count --queries - < '%s'", idx, qf), 0, "%s", err);
    cr_expect_str_eq(out, "2\twagner\n1\tpatriot\n");
    cr_expect_eq(run("search -i '%s' --count --queries '%s'", idx, tmp), 3, "%s", out);
    cr_expect(strstr(err, "is a directory"), "%s", err);
}

Test(cli, queries_count_one_line_per_query)
{
    const char *qf = put_batch();
    cr_expect_eq(run("search -i '%s' --count --queries '%s'", idx, qf), 2, "%s", err);
    cr_expect_str_eq(out, "2\twagner\n"
                          "error\t\"north korea\n"
                          "1\tpatriot\n"
                          "error\tmi ne\n"
                          "0\tnosuchwordzzz\n");
    cr_expect(strstr(err, "batch.txt:4: malformed query") && strstr(err, "quote"), "%s", err);
    cr_expect(strstr(err, "batch.txt:7: NUL byte"), "%s", err);
    /* A file of good queries: exit 0, even when one matches nothing. */
    qf = put("good.txt", "wagner\nnosuchwordzzz\n");
    cr_expect_eq(run("search -i '%s' --count --queries '%s'", idx, qf), 0, "%s", err);
    cr_expect_str_eq(out, "2\twagner\n0\tnosuchwordzzz\n");
}

Test(cli, queries_json_one_summary_or_error_per_query)
{
    const char *qf = put_batch();
    for (int count = 0; count < 2; count++) {
        cr_expect_eq(run("search -i '%s' --json %s --queries '%s'", idx, count ? "--count" : "",
                         qf), 2, "%s", err);
        char *lines[64];
        size_t n = split_lines(out, lines, 64), q = 0;
        for (size_t i = 0; i < n; i++) {
            json_t *j = parse_line(lines[i]);
            json_t *query = json_object_get(j, "query");
            if (query) {
                cr_assert(q < BATCH_N, "more records than queries: %s", lines[i]);
                size_t len = BATCH_QUERIES[q].len;
                cr_expect(json_string_length(query) == len &&
                              !memcmp(json_string_value(query), BATCH_QUERIES[q].text, len),
                          "record %zu is for '%s'", q, json_string_value(query));
                int failed = q == 1 || q == 3;
                cr_expect(!failed == !json_object_get(j, "error"), "record %zu: %s", q, lines[i]);
                cr_expect(!failed == !!json_object_get(j, "hits"), "record %zu: %s", q, lines[i]);
                if (failed)
                    cr_expect_eq(json_object_size(j), 2, "%s", lines[i]);
                q++;
            } else {
                cr_expect(!count, "--count printed a hit: %s", lines[i]);
            }
            json_decref(j);
        }
        cr_expect_eq(q, BATCH_N, "%zu records for %d queries", q, BATCH_N);
    }
    cr_assert_eq(run("search -i '%s' --json --count --queries '%s'", idx, qf), 2);
    char *lines[8];
    cr_expect_eq(split_lines(out, lines, 8), BATCH_N, "%s", out);
    json_t *e = parse_line(lines[1]);
    const char *msg = json_string_value(json_object_get(e, "error"));
    cr_expect(msg && strstr(msg, "quote"), "%s", lines[1]);
    json_decref(e);
}

Test(cli, queries_text_block_per_query)
{
    const char *qf = put_batch();
    cr_expect_eq(run("search -i '%s' --queries '%s'", idx, qf), 2, "%s", err);
    /* Each header, in order, and what ends each block. */
    static const char *const want[] = {
        "## wagner\n", "\n2 matching documents",
        "\n## \"north korea\nerror: malformed query at column 1: ", "\n## patriot\n",
        "\n1 matching document (", "\n## mi", "\nerror: NUL byte in query",
        "\n## nosuchwordzzz\n0 matching documents ("};
    const char *at = out;
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        const char *next = strstr(at, want[i]);
        cr_assert(next, "'%s' missing or out of order in: %s", want[i], out);
        at = next + strlen(want[i]);
    }
    cr_expect(!strstr(out, "comment") && !strstr(out, "## #"), "a comment was a query: %s", out);
}

Test(cli, summaries_say_one_or_many)
{
    cr_assert_eq(run("search -i '%s' --stats patriot", idx), 0);
    cr_expect(strstr(out, "\n1 matching document ("), "%s", out);
    cr_expect(strstr(err, "1 query;") && !strstr(err, "queries"), "%s", err);
    cr_assert_eq(run("search -i '%s' --stats -k 1 wagner", idx), 0);
    cr_expect(strstr(out, "\n2 matching documents, 1 shown ("), "%s", out);
    const char *qf = put("two.txt", "wagner\npatriot\n");
    cr_assert_eq(run("search -i '%s' --stats --count --queries '%s'", idx, qf), 0);
    cr_expect(strstr(err, "2 queries;"), "%s", err);
    /* check: one segment, one document, one term. */
    char one[4300];
    snprintf(one, sizeof one, "%s/one", tmp);
    cr_assert(mkdir(one, 0755) == 0);
    put("one/a.txt", "Quokka\n\nquokka\n");
    char oidx[4300];
    snprintf(oidx, sizeof oidx, "%s/one.idx", tmp);
    cr_assert_eq(run("index -q -o '%s' '%s'", oidx, one), 0, "%s", err);
    cr_assert_eq(run("check -i '%s'", oidx), 0, "%s", err);
    cr_expect(strstr(out, " 1 segment, 1 document, 1 distinct term,"), "%s", out);
    cr_assert_eq(run("check -i '%s'", idx), 0, "%s", err);
    cr_expect(strstr(out, " 1 segment, 2 documents, "), "%s", out);
}

Test(cli, queries_file_missing)
{
    cr_expect_eq(run("search -i '%s' --queries '%s/none.txt'", idx, tmp), 3);
    cr_expect(strstr(err, "none.txt"), "%s", err);
}

/* ---- growing an index ---- */

Test(cli, second_run_adds_a_segment)
{
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/extra", tmp);
    mkdir(dir, 0755);
    put("extra/quokka.txt",
        "Quokka sighting on Rottnest Island\n\n"
        "A Wagner tuba player photographed a quokka on Rottnest Island on Monday.\n");
    cr_assert_eq(run("index -o '%s' '%s'", idx, dir), 0, "%s", err);
    cr_expect(strstr(err, "indexed 1 article"), "summary: %s", err);
    cr_expect_eq(count_in(idx, "quokka"), 1);
    cr_expect_eq(count_in(idx, "wagner"), 3, "2 in segment 1 + 1 in segment 2");
    cr_expect_eq(count_in(idx, "patriot"), 1);
    cr_expect_eq(count_in(idx, "wagner OR quokka"), 3);
    cr_expect_eq(count_in(idx, "wagner NOT quokka"), 2);
    cr_assert_eq(run("search -i '%s' -k 10 --json wagner", idx), 0);
    cr_expect_eq(check_json_output(out, "wagner", "wagner"), 3);
    cr_expect_eq(run("check -i '%s'", idx), 0, "%s%s", out, err);
    cr_expect(strncmp(out, "ok", 2) == 0, "check: %s", out);
    cr_expect(strstr(out, "2 segments"), "check: %s", out);
    cr_expect(strstr(out, "3 documents"), "check: %s", out);
}

Test(cli, lang_mismatch_leaves_the_index_alone)
{
    static const char *skip[] = {"LOCK", NULL};
    size_t n0, n1;
    char *before = bl_test_dir_snapshot(idx, skip, &n0);
    cr_assert(before);
    cr_expect_eq(run("index -o '%s' --lang french '%s'", idx, sample), 2);
    cr_expect(strstr(err, "english") && strstr(err, "french"), "stderr: %s", err);
    char *after = bl_test_dir_snapshot(idx, skip, &n1);
    cr_assert(after);
    cr_expect(n0 == n1 && memcmp(before, after, n0) == 0, "the index changed");
    cr_expect_eq(count_in(idx, "wagner"), 2);
    free(before);
    free(after);
}

Test(cli, lang_alias_names_the_same_language)
{
    /* The index was made with the default, english; "en" and "English"
     * name the same stemmer, so adding with them is no mismatch. */
    put("one.txt", "Quokka news\n\nA quokka smiled.\n");
    cr_expect_eq(run("index -q -o '%s' --lang english '%s/one.txt'", idx, tmp), 0, "%s", err);
    put("two.txt", "Quokka news\n\nA quokka smiled again.\n");
    cr_expect_eq(run("index -q -o '%s' --lang en '%s/two.txt'", idx, tmp), 0, "%s", err);
    cr_expect_eq(count_in(idx, "quokka"), 2);
    cr_expect_eq(run("check -i '%s'", idx), 0, "%s", out);
    cr_expect(strstr(out, "language english"), "%s", out);
}

/* Writes n small articles tmp/NAME/aNNNNN.txt of random words; returns the
 * folder (static buffer). */
static const char *many_articles(const char *name, size_t n, uint64_t seed)
{
    static char dir[4300];
    snprintf(dir, sizeof dir, "%s/%s", tmp, name);
    cr_assert(mkdir(dir, 0755) == 0);
    bl_rng rng;
    bl_rng_init(&rng, seed);
    char text[4096];
    for (size_t i = 0; i < n; i++) {
        int len = snprintf(text, sizeof text, "Dispatch %zu\n\nBy dispatch: ", i);
        for (int w = 0; w < 100; w++)
            len += snprintf(text + len, sizeof text - (size_t)len, "w%u ",
                            bl_rng_below(&rng, 20000));
        text[len - 1] = '\n';
        char file[64];
        snprintf(file, sizeof file, "%s/a%05zu.txt", name, i);
        put(file, text);
    }
    return dir;
}

Test(cli, memory_budget_splits_one_run_into_segments)
{
    const char *dir = many_articles("many", 600, 42);
    char big[4300];
    snprintf(big, sizeof big, "%s/big", tmp);
    cr_assert_eq(run("index -m 1 -o '%s' '%s'", big, dir), 0, "%s", err);
    cr_expect(strstr(err, "indexed 600 articles"), "%s", err);
    cr_expect(!strstr(err, " 1 segment;"), "-m 1 should need several segments: %s", err);
    cr_expect_eq(count_in(big, "dispatch"), 600);
    cr_expect_eq(count_in(big, "dispatch 599"), 1);
    cr_assert_eq(run("check -i '%s'", big), 0, "%s%s", out, err);
    cr_expect(strstr(out, "600 documents") && !strstr(out, " 1 segments"), "check: %s", out);
    cr_assert_eq(run("search -i '%s' --json -k 1000 dispatch", big), 0);
    cr_expect_eq(check_json_output(out, "dispatch", "dispatch"), 600);
}

/* Drops the "elapsed_ms" values of JSON summaries, in place. */
static void drop_elapsed(char *s)
{
    char *w = s;
    for (const char *r = s; *r;) {
        if (strncmp(r, "\"elapsed_ms\":", 13) == 0) {
            r += 13;
            while (*r && *r != ',' && *r != '}')
                r++;
            continue;
        }
        *w++ = *r++;
    }
    *w = 0;
}

/* The codec of segment seg of index dir, from its .inf. */
static uint32_t segment_codec(const char *dir, int seg)
{
    char path[4400];
    size_t len;
    uint32_t codec;

    snprintf(path, sizeof path, "%s/seg_%08d.inf", dir, seg);
    char *inf = bl_test_read_file(path, &len);
    cr_assert(inf && len > 28, "%s", path);
    codec = bl_get_u32le((const uint8_t *)inf + 20);
    free(inf);
    return codec;
}

/* Segments written by different codecs live in one index: each is read
 * with its own, answers equal those of an index of one codec, and a merge
 * writes them all as one segment of the default codec. */
Test(cli, segments_of_every_codec_answer_alike)
{
    char parts[3][4300], mixed[4300], plain[4300], queries[4300];
    static const char *const codec_opts[] = {"--codec varint", "--codec bitpack", ""};
    static const char *const names[] = {"part1", "part2", "part3"};
    for (int i = 0; i < 3; i++)
        snprintf(parts[i], sizeof parts[i], "%s", many_articles(names[i], 150, 7 + i));
    snprintf(mixed, sizeof mixed, "%s/mixed", tmp);
    snprintf(plain, sizeof plain, "%s/plain", tmp);
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(run("index -q %s -o '%s' '%s'", codec_opts[i], mixed, parts[i]), 0, "%s", err);
        cr_assert_eq(run("index -q -o '%s' '%s'", plain, parts[i]), 0, "%s", err);
    }
    cr_assert_eq(run("check -i '%s'", mixed), 0, "%s%s", out, err);
    cr_expect_eq(segment_codec(mixed, 1), BL_CODEC_VARINT, "segment 1's codec");
    cr_expect_eq(segment_codec(mixed, 2), BL_CODEC_BITPACK, "segment 2's codec");
    cr_expect_eq(segment_codec(mixed, 3), BL_CODEC_PATCHED, "segment 3's codec");
    snprintf(queries, sizeof queries, "%s/q.txt", tmp);
    const char *q = "dispatch\nw1*\n\"by dispatch\"\nw17 OR w230 OR w5\n\"dispatch 14\" "
                    "OR \"dispatch 140\"\nw1 w2 -w3\n";
    cr_assert(bl_test_write_file(queries, q, strlen(q)) == 0);
    cr_assert_eq(run("search -i '%s' --json -k 50 --queries '%s'", plain, queries), 0, "%s", err);
    char *want = out;
    out = NULL;
    drop_elapsed(want);
    for (int pass = 0; pass < 2; pass++) {
        cr_assert_eq(run("search -i '%s' --json -k 50 --queries '%s'", mixed, queries), 0, "%s",
                     err);
        drop_elapsed(out);
        cr_expect_str_eq(out, want, "%s", pass ? "the merged segment answers differently"
                                               : "segments of several codecs answer differently");
        if (pass == 0) {
            /* one segment answers as the three did, scores to the last bit
             * (a prefix's expansions are summed in another order) */
            cr_assert_eq(run("optimize -i '%s'", mixed), 0, "%s", err);
            cr_assert_eq(run("check -i '%s'", mixed), 0, "%s%s", out, err);
            cr_expect_eq(segment_codec(mixed, 4), BL_CODEC_DEFAULT, "the merged segment's codec");
        }
    }
    free(want);
    cr_expect_eq(run("index -o '%s' --codec zip '%s'", mixed, parts[0]), 2);
    cr_expect(strstr(err, "zip"), "%s", err);
}

/* Writes n articles to tmp/NAME, their words drawn from 300 by Zipf's law
 * (word r with weight 1 / (r + 1)), 80 a text: the first words are in
 * nearly every article, w20 in about half, w50 in a fifth, w200 in one in
 * 16; side by side, they make word pairs of every density. */
static const char *zipf_articles(const char *name, size_t n, uint64_t seed)
{
    static char dir[4300];
    snprintf(dir, sizeof dir, "%s/%s", tmp, name);
    cr_assert(mkdir(dir, 0755) == 0);
    static uint32_t cum[300];
    uint32_t total = 0;
    for (int r = 0; r < 300; r++)
        cum[r] = total += 100000 / (uint32_t)(r + 1);
    bl_rng rng;
    bl_rng_init(&rng, seed);
    char text[4096];
    for (size_t i = 0; i < n; i++) {
        int len = snprintf(text, sizeof text, "Zipf %zu\n\n", i);
        for (int w = 0; w < 80; w++) {
            uint32_t x = (uint32_t)bl_rng_below(&rng, total), r = 0;
            while (cum[r] <= x)
                r++;
            len += snprintf(text + len, sizeof text - (size_t)len, "w%u ", r);
        }
        text[len - 1] = '\n';
        char file[64];
        snprintf(file, sizeof file, "%s/z%05zu.txt", name, i);
        put(file, text);
    }
    return dir;
}

static uint32_t segment_dense_ratio(const char *dir, int seg)
{
    char path[4400];
    size_t len;
    snprintf(path, sizeof path, "%s/seg_%08d.inf", dir, seg);
    char *inf = bl_test_read_file(path, &len);
    cr_assert(inf && len > 32, "%s", path);
    uint32_t ratio = bl_get_u32le((const uint8_t *)inf + 24);
    free(inf);
    return ratio;
}

static long long file_bytes(const char *dir, int seg, const char *ext)
{
    char path[4400];
    struct stat st;
    snprintf(path, sizeof path, "%s/seg_%08d.%s", dir, seg, ext);
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

/* Searches the queries in dir; returns the JSON lines without timings. */
static char *answers(const char *dir, const char *queries)
{
    cr_assert_eq(run("search -i '%s' --json -k 20 --queries '%s'", dir, queries), 0, "%s", err);
    char *got = out;
    out = NULL;
    drop_elapsed(got);
    return got;
}

/* A compact index (fewer word pairs and bitmaps) answers exactly as the
 * default one, whatever mix of segments it holds; the setting stays with
 * the index (later runs and merges follow it) until changed, and optimize
 * rewrites a segment of the other kind. */
Test(cli, compact_index_answers_alike)
{
    char parts[3][4300], plain[4300], compact[4300], queries[4300];
    static const char *const names[] = {"z1", "z2", "z3"};
    for (int i = 0; i < 3; i++)
        snprintf(parts[i], sizeof parts[i], "%s", zipf_articles(names[i], 200, 11 + i));
    snprintf(plain, sizeof plain, "%s/plain", tmp);
    snprintf(compact, sizeof compact, "%s/compact", tmp);
    /* compact, then compact again by inheritance, then back to the default */
    static const char *const opts[] = {"--compact", "", "--no-compact"};
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(run("index -q %s -o '%s' '%s'", opts[i], compact, parts[i]), 0, "%s", err);
        cr_assert_eq(run("index -q -o '%s' '%s'", plain, parts[i]), 0, "%s", err);
    }
    cr_assert_eq(run("check -i '%s'", compact), 0, "%s%s", out, err);
    cr_expect(!strstr(out, ", compact"), "the index is no longer compact: %s", out);
    cr_expect_eq(segment_dense_ratio(compact, 1), BL_DENSE_RATIO_COMPACT);
    cr_expect_eq(segment_dense_ratio(compact, 2), BL_DENSE_RATIO_COMPACT);
    cr_expect_eq(segment_dense_ratio(compact, 3), BL_DENSE_RATIO);
    cr_expect_eq(segment_dense_ratio(plain, 1), BL_DENSE_RATIO);
    cr_expect_lt(file_bytes(compact, 1, "doc"), file_bytes(plain, 1, "doc"),
                 "the compact segment is no smaller");
    cr_expect_eq(file_bytes(compact, 3, "doc"), file_bytes(plain, 3, "doc"));

    /* phrases of words of every density, and ANDs of them */
    bl_rng rng;
    bl_rng_init(&rng, 5);
    bl_buf q;
    bl_buf_init(&q);
    static const uint32_t tops[] = {10, 60, 300};
    for (int i = 0; i < 60; i++) {
        uint32_t top = tops[i % 3];
        char line[96];
        int len = i % 4 == 3 ? snprintf(line, sizeof line, "w%u w%u\n",
                                        (unsigned)bl_rng_below(&rng, top),
                                        (unsigned)bl_rng_below(&rng, top))
                             : snprintf(line, sizeof line, "\"w%u w%u%s\"\n",
                                        (unsigned)bl_rng_below(&rng, top),
                                        (unsigned)bl_rng_below(&rng, top), i % 5 ? "" : " w1");
        cr_assert(bl_buf_append(&q, line, (size_t)len) == 0);
    }
    snprintf(queries, sizeof queries, "%s/zq.txt", tmp);
    cr_assert(bl_test_write_file(queries, (const char *)q.data, q.len) == 0);
    bl_buf_release(&q);

    char *want = answers(plain, queries), *got = answers(compact, queries);
    size_t lines = 0, empty = 0;
    for (const char *c = want; (c = strstr(c, "{\"query\":")) != NULL; c++)
        lines++;
    for (const char *c = want; (c = strstr(c, "\"returned\":0,")) != NULL; c++)
        empty++;
    cr_expect(lines == 60 && empty * 2 < lines, "%zu of %zu queries found nothing", empty,
              lines);
    cr_expect_str_eq(got, want, "a partly compact index answers differently");
    free(got);

    /* merged into one compact segment (the flag of optimize), then back */
    cr_assert_eq(run("optimize -q -i '%s'", plain), 0, "%s", err);
    free(want);
    want = answers(plain, queries);
    cr_assert_eq(run("optimize -q --compact -i '%s'", compact), 0, "%s", err);
    cr_expect_eq(segment_dense_ratio(compact, 4), BL_DENSE_RATIO_COMPACT);
    cr_expect_lt(file_bytes(compact, 4, "doc"), file_bytes(plain, 4, "doc"));
    cr_assert_eq(run("check -i '%s'", compact), 0, "%s%s", out, err);
    cr_expect(strstr(out, ", compact\n"), "check does not say the index is compact: %s", out);
    got = answers(compact, queries);
    cr_expect_str_eq(got, want, "the compact merged segment answers differently");
    free(got);
    /* one segment of the other kind is written again */
    cr_assert_eq(run("optimize -q --no-compact -i '%s'", compact), 0, "%s", err);
    cr_expect_eq(segment_dense_ratio(compact, 5), BL_DENSE_RATIO);
    cr_expect_eq(file_bytes(compact, 5, "doc"), file_bytes(plain, 4, "doc"));
    got = answers(compact, queries);
    cr_expect_str_eq(got, want, "the segment made default again answers differently");
    free(got);
    free(want);
}

/* A change of setting that rewrites no segment still holds for later runs:
 * an index run whose shard gets no article, and optimize of an index whose
 * one segment is already of the wanted kind. */
Test(cli, compact_setting_kept_when_nothing_is_rewritten)
{
    char sidx[4300], manifest[4400];
    const char *part = zipf_articles("zs", 60, 3);
    snprintf(sidx, sizeof sidx, "%s/setting", tmp);
    snprintf(manifest, sizeof manifest, "%s/MANIFEST", sidx);
    cr_assert_eq(run("index -q --compact -o '%s' '%s'", sidx, part), 0, "%s", err);
    /* a shard of 65536 that none of the 60 articles falls in (the first
     * that a trial run finds empty: nearly any) */
    int empty_shard = -1;
    for (int i = 1; i <= 20 && empty_shard < 0; i++) {
        char probe[4400];
        snprintf(probe, sizeof probe, "%s/probe%d", tmp, i);
        cr_assert_eq(run("index --shard %d/65536 -o '%s' '%s'", i, probe, part), 0, "%s", err);
        if (strstr(err, "no article of the 60 read falls in shard"))
            empty_shard = i;
    }
    cr_assert_geq(empty_shard, 1, "20 shards of 65536 each got an article");
    cr_assert_eq(run("index --no-compact --shard %d/65536 -o '%s' '%s'", empty_shard, sidx, part), 0,
                 "%s", err);
    cr_assert_eq(run("check -i '%s'", sidx), 0, "%s", err);
    cr_expect(!strstr(out, ", compact"), "--no-compact of an empty shard run was lost: %s", out);
    cr_expect_eq(segment_dense_ratio(sidx, 1), BL_DENSE_RATIO_COMPACT);

    /* the one segment is compact already: only the setting changes */
    cr_assert_eq(run("optimize --compact -i '%s'", sidx), 0, "%s", err);
    cr_expect(strstr(err, "now compact"), "%s", err);
    cr_assert_eq(run("check -i '%s'", sidx), 0, "%s", err);
    cr_expect(strstr(out, ", compact\n"), "optimize --compact was lost: %s", out);
    cr_assert_eq(run("index -q -o '%s' '%s'", sidx, zipf_articles("zt", 60, 4)), 0, "%s", err);
    cr_expect_eq(segment_dense_ratio(sidx, 2), BL_DENSE_RATIO_COMPACT,
                 "a later run did not follow the setting");
    cr_assert_eq(run("check -i '%s'", sidx), 0, "%s%s", out, err);
}

/* ---- input formats end to end ---- */

/* Indexes one file into a fresh index named after it (FILE.idx); returns
 * the index path (static buffer). */
static const char *index_file(const char *file, const char *opts)
{
    static char dir[4300];
    snprintf(dir, sizeof dir, "%s.idx", file);
    cr_assert_eq(run("index -o '%s' %s '%s'", dir, opts, file), 0, "indexing %s: %s", file, err);
    return dir;
}

/* Returns the hit object of the one document QUERY finds in index dir. */
static json_t *find_one(const char *dir, const char *query)
{
    cr_assert_eq(run("search -i '%s' --json '%s'", dir, query), 0, "search %s in %s: %s", query,
                 dir, err);
    char *lines[8];
    size_t n = split_lines(out, lines, 8);
    cr_assert_eq(n, 2, "'%s' should find one document in %s: %s", query, dir, out);
    json_t *sum = parse_line(lines[1]);
    cr_expect_eq(json_integer_value(json_object_get(sum, "hits")), 1);
    json_decref(sum);
    json_t *hit = parse_line(lines[0]);
    check_hit(hit, 1, query);
    return hit;
}

static void expect_field(json_t *hit, const char *key, const char *want)
{
    const char *got = json_string_value(json_object_get(hit, key));
    cr_expect(got && strcmp(got, want) == 0, "%s is '%s', want '%s'", key, got ? got : "(none)",
              want);
}

static const char JSONL[] =
    "{\"id\":\"j-1\",\"title\":\"Wombat census\",\"body\":\"Rangers counted wombats.\","
    "\"date\":\"2023-01-02\",\"url\":\"http://example.com/1\"}\n"
    "\n"
    "{\"id\":17,\"title\":\"Quokka census\",\"text\":\"Rangers counted one quokka.\","
    "\"date\":\"2023-01-03\"}\n"
    "{\"title\":\"Numbat news\",\"body\":\"A numbat was seen.\"}\n";

Test(cli, format_jsonl)
{
    const char *dir = index_file(put("news.jsonl", JSONL), "");
    cr_expect(strstr(err, "indexed 3 articles"), "blank line skipped, 3 articles: %s", err);
    json_t *hit = find_one(dir, "quokka");
    expect_field(hit, "id", "17");
    expect_field(hit, "date", "2023-01-03");
    expect_field(hit, "title", "Quokka census");
    json_decref(hit);
    hit = find_one(dir, "wombat");
    expect_field(hit, "id", "j-1");
    expect_field(hit, "date", "2023-01-02");
    expect_field(hit, "url", "http://example.com/1");
    json_decref(hit);
    cr_expect_eq(count_in(dir, "rangers"), 2);
}

Test(cli, format_csv_with_header)
{
    const char *dir = index_file(put("news.csv", "id,date,title,body,extra\n"
                                                 "c-1,1999-12-31,Millennium bug,\"Programmers, "
                                                 "tired, fixed the \"\"bug\"\".\",x\n"
                                                 "c-2,2000-01-01,New year,Nothing broke at "
                                                 "midnight.,y\n"),
                                 "");
    json_t *hit = find_one(dir, "programmers");
    expect_field(hit, "id", "c-1");
    expect_field(hit, "date", "1999-12-31");
    expect_field(hit, "title", "Millennium bug");
    json_decref(hit);
    hit = find_one(dir, "midnight");
    expect_field(hit, "id", "c-2");
    json_decref(hit);
    cr_expect_eq(count_in(dir, "extra"), 0, "unknown columns are not indexed");
}

Test(cli, format_csv_columns_option)
{
    const char *dir = index_file(put("ag.csv", "\"3\",\"Wall St. Bears Claw Back\",\"Short-sellers, "
                                               "Wall Street's dwindling band of ultra-cynics.\"\n"
                                               "\"2\",\"Kicker wins\",\"The kicker scored twice.\"\n"),
                                 "--csv-columns class,title,body");
    cr_expect(strstr(err, "indexed 2 articles"), "the first row is an article: %s", err);
    json_t *hit = find_one(dir, "cynics");
    expect_field(hit, "title", "Wall St. Bears Claw Back");
    json_decref(hit);
    hit = find_one(dir, "kicker");
    expect_field(hit, "title", "Kicker wins");
    json_decref(hit);
}

static const char SGML[] =
    "<!DOCTYPE lewis SYSTEM \"lewis.dtd\">\n"
    "<REUTERS TOPICS=\"YES\" LEWISSPLIT=\"TRAIN\" CGISPLIT=\"TRAINING-SET\" OLDID=\"5544\" "
    "NEWID=\"42\">\n"
    "<DATE>26-FEB-1987 15:01:01.79</DATE>\n"
    "<TOPICS><D>cocoa</D></TOPICS>\n"
    "<TEXT>&#2;\n"
    "<TITLE>BAHIA COCOA REVIEW</TITLE>\n"
    "<DATELINE>    SALVADOR, Feb 26 - </DATELINE><BODY>Showers continued throughout the week "
    "in the Bahia cocoa zone &amp; alleviating the drought.\n"
    " Reuter\n"
    "&#3;</BODY></TEXT>\n"
    "</REUTERS>\n"
    "<REUTERS TOPICS=\"NO\" NEWID=\"43\">\n"
    "<DATE>26-FEB-1987 15:02:20.00</DATE>\n"
    "<TEXT TYPE=\"BRIEF\">&#2;\n"
    "<TITLE>STANDARD OIL &lt;SRD> TO FORM FINANCIAL UNIT</TITLE>\n"
    "&#3;</TEXT>\n"
    "</REUTERS>\n";

Test(cli, format_sgml)
{
    const char *dir = index_file(put("reut2-test.sgm", SGML), "");
    json_t *hit = find_one(dir, "showers");
    expect_field(hit, "id", "42");
    expect_field(hit, "date", "1987-02-26T15:01:01");
    expect_field(hit, "title", "BAHIA COCOA REVIEW");
    json_decref(hit);
    hit = find_one(dir, "financial");
    expect_field(hit, "id", "43");
    expect_field(hit, "title", "STANDARD OIL <SRD> TO FORM FINANCIAL UNIT");
    json_decref(hit);
}

Test(cli, format_gzip_jsonl)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/news.jsonl.gz", tmp);
    gzFile gz = gzopen(path, "wb");
    cr_assert(gz);
    cr_assert_eq(gzputs(gz, JSONL), (int)strlen(JSONL));
    cr_assert_eq(gzclose(gz), Z_OK);
    const char *dir = index_file(path, "");
    json_t *hit = find_one(dir, "numbat");
    char source[4300];
    snprintf(source, sizeof source, "%s:4", path);
    expect_field(hit, "id", source); /* no id of its own: its source */
    expect_field(hit, "title", "Numbat news");
    json_decref(hit);
    hit = find_one(dir, "quokka");
    expect_field(hit, "id", "17");
    expect_field(hit, "date", "2023-01-03");
    json_decref(hit);
}

Test(cli, format_option_overrides_extension)
{
    const char *f = put("feed.data", JSONL);
    const char *dir = index_file(f, "--format jsonl");
    json_t *hit = find_one(dir, "numbat");
    expect_field(hit, "title", "Numbat news");
    json_decref(hit);
    cr_expect_eq(run("index -o '%s/x' --format yaml '%s/feed.data'", tmp, tmp), 2);
}

/* ---- dotted abbreviations ---- */

static const char ABBREV_JSONL[] =
    "{\"id\":\"a\",\"title\":\"Rescue\",\"body\":\"The U.S. Coast Guard saved two men.\"}\n"
    "{\"id\":\"b\",\"title\":\"History\",\"body\":\"The U.S.S.R. fell in 1991.\"}\n"
    "{\"id\":\"c\",\"title\":\"Letters\",\"body\":\"Plan r, then plan s.\"}\n";

/* "U.S." is the word us and "U.S.S.R." the word ussr, in text and queries
 * alike; their letters are no words of their own. */
Test(cli, dotted_abbreviations_are_words)
{
    const char *dir = index_file(put("abbrev.jsonl", ABBREV_JSONL), "");
    cr_expect_eq(count_in(dir, "\"us coast guard\""), 1);
    cr_expect_eq(count_in(dir, "\"U.S. coast guard\""), 1);
    cr_expect_eq(count_in(dir, "ussr"), 1);
    cr_expect_eq(count_in(dir, "U.S.S.R"), 1);
    cr_expect_eq(count_in(dir, "r"), 1, "only the plain r, not every U.S.S.R.");
    cr_expect_eq(count_in(dir, "\"u s\""), 0);

    /* The highlight covers the abbreviation whole, periods included. */
    cr_assert_eq(run("search -i '%s' --json '\"us coast guard\"'", dir), 0, "%s", err);
    *strchr(out, '\n') = 0;
    json_t *hit = parse_line(out);
    const char *snip = json_string_value(json_object_get(hit, "snippet"));
    json_t *hl = json_array_get(json_object_get(hit, "highlights"), 0);
    cr_assert(snip && hl, "no snippet or highlight");
    json_int_t b = json_integer_value(json_array_get(hl, 0));
    json_int_t e = json_integer_value(json_array_get(hl, 1));
    cr_expect(e - b == 16 && memcmp(snip + b, "U.S. Coast Guard", 16) == 0 && snip[e - 1] == 'd',
              "highlight [%lld,%lld] of '%s'", (long long)b, (long long)e, snip);
    json_decref(hit);
    /* Its final period too. */
    cr_assert_eq(run("search -i '%s' --color never --marks ussr", dir), 0, "%s", err);
    cr_expect(strstr(out, "**U.S.S.R.**"), "%s", out);
}

/* ---- names and queries that would act on a terminal ---- */

/* Clear the screen, set the window title, then RIGHT-TO-LEFT OVERRIDE. */
#define NASTY "\033[2J\033]0;pwned\007\342\200\256"
/* How byline shows it. */
#define NASTY_SHOWN "\\x1b[2J\\x1b]0;pwned\\x07\\u202e"

/* Fails the test if output s holds anything that acts on a terminal: a
 * control character other than newline, a bidi control, or bytes that are
 * not UTF-8. */
static void expect_inert(const char *what, const char *s)
{
    size_t n = strlen(s);
    utf8proc_ssize_t i = 0;
    while ((size_t)i < n) {
        utf8proc_int32_t c;
        utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
                                              (utf8proc_ssize_t)n - i, &c);
        cr_assert(k > 0, "%s: not UTF-8 at byte %zd: %s", what, i, s);
        int control = (c < 0x20 && c != '\n') || (c >= 0x7F && c < 0xA0);
        int bidi = c == 0x061C || c == 0x200E || c == 0x200F || (c >= 0x2028 && c <= 0x202E) ||
                   (c >= 0x2066 && c <= 0x2069);
        cr_assert(!control && !bidi, "%s: raw U+%04X at byte %zd: %s", what, (unsigned)c, i, s);
        i += k;
    }
}

Test(cli, file_names_in_index_errors_and_warnings_are_escaped)
{
    cr_expect_eq(run("index -o '%s/i1' '%s/missing" NASTY ".txt'", tmp, tmp), 3);
    cr_expect(strstr(err, "missing" NASTY_SHOWN ".txt"), "%s", err);
    expect_inert("index of a missing file", err);

    const char *bad = put("bad" NASTY ".jsonl", "{\"title\":\"fine\"}\n{broken\n");
    cr_expect_eq(run("index -o '%s/i2' '%s'", tmp, bad), 3);
    cr_expect(strstr(err, "bad" NASTY_SHOWN ".jsonl:2"), "%s", err);
    expect_inert("index error", err);
    cr_expect_eq(run("index --skip-bad -o '%s/i3" NASTY "' '%s'", tmp, bad), 0, "%s", err);
    cr_expect(strstr(err, "warning") && strstr(err, "bad" NASTY_SHOWN ".jsonl:2"), "%s", err);
    expect_inert("index warning", err);

    /* An existing index that cannot be extended names itself. */
    cr_expect_eq(run("index -l french -o '%s/i3" NASTY "' '%s'", tmp, sample), 2);
    cr_expect(strstr(err, "i3" NASTY_SHOWN), "%s", err);
    expect_inert("index of another language", err);
    cr_expect_eq(run("index -o '%s/i3" NASTY "' '%s'", tmp, bad), 3);
    cr_expect(strstr(err, "nothing was committed; ") && strstr(err, "i3" NASTY_SHOWN " is"),
              "%s", err);
    expect_inert("failed update", err);
}

Test(cli, index_paths_in_search_and_check_are_escaped)
{
    cr_expect_eq(run("search -i '%s/none" NASTY "' wagner", tmp), 3);
    cr_expect(strstr(err, "none" NASTY_SHOWN), "%s", err);
    expect_inert("search of a missing index", err);
    cr_expect_eq(run("check -i '%s/none" NASTY "'", tmp), 2);
    cr_expect(strstr(err, "none" NASTY_SHOWN), "%s", err);
    expect_inert("check of a missing index", err);

    cr_assert_eq(run("index -q -o '%s/ok" NASTY "' '%s'", tmp, sample), 0, "%s", err);
    cr_expect_eq(run("check -i '%s/ok" NASTY "'", tmp), 0, "%s", err);
    cr_expect(strncmp(out, "ok: ", 4) == 0 && strstr(out, "ok" NASTY_SHOWN), "%s", out);
    expect_inert("check of a whole index", out);
    char victim[4300];
    snprintf(victim, sizeof victim, "%s/ok" NASTY "/seg_00000001.len", tmp);
    cr_assert_eq(remove(victim), 0, "%s", victim);
    cr_expect_eq(run("check -i '%s/ok" NASTY "'", tmp), 1, "%s", err);
    cr_expect(strstr(out, "damaged: ") && strstr(out, "ok" NASTY_SHOWN "/seg_"), "%s", out);
    expect_inert("check of a damaged index", out);

    cr_expect_eq(run("'no-such-command" NASTY "'"), 2);
    expect_inert("unknown command", err);
}

/* The malformed query is echoed escaped, with the caret still under the
 * character at fault (here the O of a dangling OR). */
Test(cli, malformed_query_echo_is_escaped_and_the_caret_aligned)
{
    cr_expect_eq(run("search -i '%s' 'a" NASTY "b OR'", idx), 2);
    expect_inert("malformed query", err);
    char *lines[16];
    size_t n = split_lines(err, lines, 16);
    cr_assert_eq(n, 3, "message, echo, caret: %zu lines", n);
    cr_expect(strstr(lines[1], "a" NASTY_SHOWN "b OR"), "echo: %s", lines[1]);
    const char *caret = strchr(lines[2], '^');
    cr_assert(caret && strstr(lines[1], "OR"), "%s", lines[2]);
    cr_expect_eq(caret - lines[2], strstr(lines[1], "OR") - lines[1], "\n%s\n%s", lines[1],
                 lines[2]);

    /* Wide characters take two columns each. */
    cr_expect_eq(run("search -i '%s' '東京 OR'", idx), 2);
    n = split_lines(err, lines, 16);
    cr_assert_eq(n, 3);
    caret = strchr(lines[2], '^');
    cr_expect(caret && caret - lines[2] == 2 + 5, "\n%s\n%s", lines[1], lines[2]);
}

Test(cli, queries_file_headers_and_errors_are_escaped)
{
    const char *qf = put("q" NASTY ".txt", "wagner" NASTY "\n(" NASTY "\n");
    char qfile[4200];
    snprintf(qfile, sizeof qfile, "%s", qf);
    cr_expect_eq(run("search -i '%s' --queries '%s'", idx, qfile), 2);
    cr_expect(strstr(out, "## wagner" NASTY_SHOWN "\n"), "%s", out);
    cr_expect(strstr(out, "## (" NASTY_SHOWN "\n"), "%s", out);
    cr_expect(strstr(err, "q" NASTY_SHOWN ".txt:2: malformed query"), "%s", err);
    expect_inert("--queries stdout", out);
    expect_inert("--queries stderr", err);
}

/* ---- Reuters-21578 and the dev queries ---- */

Test(cli, reuters_end_to_end, .timeout = 600)
{
    char dir[4200], pattern[4300];
    if (!bl_test_shared_corpus("reuters21578", dir, sizeof dir)) {
        teardown(); /* a skipped test gets no .fini */
        cr_skip_test("%s is absent: Reuters end-to-end test skipped", dir);
    }
    snprintf(pattern, sizeof pattern, "%s/reut2-*.sgm", dir);
    glob_t g;
    cr_assert_eq(glob(pattern, 0, NULL, &g), 0, "no reut2-*.sgm files in %s", dir);
    cr_expect_eq(g.gl_pathc, 22);
    size_t len = 0;
    for (size_t i = 0; i < g.gl_pathc; i++)
        len += strlen(g.gl_pathv[i]) + 3;
    char *files = malloc(len + 1), *p = files;
    for (size_t i = 0; i < g.gl_pathc; i++)
        p += sprintf(p, "'%s' ", g.gl_pathv[i]);
    globfree(&g);

    char reu[4200];
    snprintf(reu, sizeof reu, "%s/reuters", tmp);
    cr_assert_eq(run("index -o '%s' %s", reu, files), 0, "%s", err);
    free(files);
    cr_expect(strstr(err, "indexed 21578 articles"), "summary: %s", err);

    cr_expect_eq(run("check -i '%s'", reu), 0, "%s%s", out, err);
    cr_expect(strncmp(out, "ok", 2) == 0 && strstr(out, "21578 documents"), "check: %s", out);

    cr_expect_gt(count_in(reu, "opec"), 0);
    cr_expect_gt(count_in(reu, "\"interest rates\""), 0);
    long oil = count_in(reu, "oil");
    cr_expect_gt(oil, 50);

    cr_assert_eq(run("search -i '%s' --json -k 50 oil", reu), 0, "%s", err);
    char **lines = malloc(64 * sizeof *lines);
    size_t n = split_lines(out, lines, 64);
    cr_expect_eq(n, 51, "50 hits and a summary, got %zu lines", n);
    for (size_t i = 0; i < n; i++) {
        json_t *j = parse_line(lines[i]);
        if (i + 1 < n) {
            check_hit(j, (uint32_t)i + 1, "oil");
            cr_expect(strlen(json_string_value(json_object_get(j, "id"))) > 0,
                      "Reuters hits carry their NEWID");
        } else {
            /* exact, or (pruned past the 1,000 threshold) a lower bound */
            long hits = (long)json_integer_value(json_object_get(j, "hits"));
            const char *rel = json_string_value(json_object_get(j, "hits_relation"));
            cr_expect(rel && (strcmp(rel, "eq") == 0 ? hits == oil
                                                     : strcmp(rel, "gte") == 0 &&
                                                           hits >= 1000 && hits <= oil),
                      "hits %ld (%s) of %ld", hits, rel ? rel : "?", oil);
            cr_expect_eq(json_integer_value(json_object_get(j, "returned")), 50);
        }
        json_decref(j);
    }
    free(lines);

    /* The whole dev query file, in one process, as JSON. */
    char qf[4300];
    snprintf(qf, sizeof qf, "%s/../shared/corpora/queries-dev.txt", bl_test_root());
    int rc = run("search -i '%s' --queries '%s' --json --stats", reu, qf);
    cr_expect_eq(rc, 0, "queries-dev.txt: exit %d: %s", rc, err);
    cr_expect(strstr(err, "p50") && strstr(err, "p95"), "no latency line: %s", err);
    size_t nq = 0, nlines = 0;
    for (char *s = out, *nl; *s; s = nl + 1) {
        nl = strchr(s, '\n');
        cr_assert(nl, "last line not terminated");
        *nl = 0;
        json_t *j = parse_line(s);
        nq += json_object_get(j, "query") != NULL;
        nlines++;
        json_decref(j);
    }
    char *qtext = bl_test_read_file(qf, NULL);
    size_t want = 0;
    for (char *s = qtext; s && *s;) {
        char *nl = strchr(s, '\n');
        size_t l = nl ? (size_t)(nl - s) : strlen(s);
        if (l && s[0] != '#')
            want++;
        s = nl ? nl + 1 : s + l;
    }
    free(qtext);
    cr_expect_eq(nq, want, "%zu queries in the file, %zu summaries", want, nq);
    cr_expect_gt(nlines, nq);
}

/* byline-gen --like: the text comes from the corpus's words and the words
 * that follow them there (markup and entities left out), the same for the
 * same seed; a corpus too small to learn from is refused. */
Test(cli, gen_like_draws_from_a_corpus)
{
    char dir[4300], path[4400];
    snprintf(dir, sizeof dir, "%s/like", tmp);
    cr_assert_eq(mkdir(dir, 0755), 0);
    snprintf(path, sizeof path, "%s/a.sgm", dir);
    FILE *f = fopen(path, "w");
    cr_assert(f);
    for (int i = 0; i < 40; i++)
        fprintf(f, "<REUTERS NEWID=\"%d\"><BODY>Crude oil prices rose &amp; wheat fell. "
                   "Traders said crude oil stocks were low.</BODY></REUTERS>\n", i);
    fclose(f);
    char *out1 = NULL;
    for (int round = 0; round < 2; round++) {
        char *o = NULL, *e = NULL;
        cr_assert_eq(bl_test_runf(&o, &e, "bin/byline-gen --like '%s' --articles 50 --seed 4",
                                  dir), 0, "%s", e);
        if (round == 0) {
            out1 = o;
            o = NULL;
        } else {
            cr_expect_str_eq(o, out1, "not the same bytes");
        }
        free(o);
        free(e);
    }
    /* "crude" is followed by "oil" every time in the corpus */
    size_t crude = 0, crude_oil = 0;
    for (const char *p = out1; (p = strstr(p, "Crude ")) != NULL; p++)
        crude++, crude_oil += strncmp(p, "Crude oil", 9) == 0;
    for (const char *p = out1; (p = strstr(p, "crude ")) != NULL; p++)
        crude++, crude_oil += strncmp(p, "crude oil", 9) == 0;
    cr_expect_gt(crude, 20, "%s", out1);
    cr_expect_geq(crude_oil * 10, crude * 8, "%zu of %zu", crude_oil, crude); /* some are free draws */
    cr_expect(!strstr(out1, "REUTERS") && !strstr(out1, "NEWID") && !strstr(out1, "amp") &&
              !strstr(out1, "BODY"), "markup in the text: %s", out1);
    free(out1);

    snprintf(path, sizeof path, "%s/tiny", tmp);
    cr_assert_eq(mkdir(path, 0755), 0);
    char *o = NULL, *e = NULL;
    cr_expect_eq(bl_test_runf(&o, &e, "bin/byline-gen --like '%s' --articles 5", path), 1);
    cr_expect(strstr(e, "too few words"), "%s", e);
    free(o);
    free(e);
}

/* byline-gen --bytes: stops after the article that reaches the size (so
 * the output without its last line is shorter), gives the same bytes for
 * the same arguments, lets --articles cap it, and refuses a bad size. */
Test(cli, gen_stops_at_a_size)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/gen.jsonl", tmp);
    for (int round = 0; round < 2; round++) {
        char *o = NULL, *e = NULL;
        cr_assert_eq(bl_test_runf(&o, &e, "bin/byline-gen --bytes 64K --seed 3 > '%s'", path), 0,
                     "%s", e);
        free(o);
        free(e);
        size_t len = 0;
        char *data = bl_test_read_file(path, &len);
        cr_assert(data && len >= 65536, "%zu bytes", len);
        cr_assert(data[len - 1] == '\n');
        char *last = data + len - 1;
        while (last > data && last[-1] != '\n')
            last--;
        cr_expect((size_t)(last - data) < 65536, "the last article is the one that reached it");
        static char first[1 << 18];
        static size_t first_len;
        if (round == 0) {
            cr_assert(len < sizeof first);
            memcpy(first, data, len);
            first_len = len;
        } else {
            cr_expect(len == first_len && memcmp(first, data, len) == 0, "not the same bytes");
        }
        free(data);
    }
    char *o = NULL, *e = NULL;
    cr_assert_eq(bl_test_runf(&o, &e, "bin/byline-gen --bytes 1G --articles 3 | wc -l"), 0);
    cr_expect_eq(atoi(o), 3, "%s", o);
    free(o);
    free(e);
    o = e = NULL;
    cr_expect_eq(bl_test_runf(&o, &e, "bin/byline-gen --bytes 12X"), 2);
    cr_expect(strstr(e, "--bytes"), "%s", e);
    free(o);
    free(e);
}
