/* test_index_input.c: what `byline index` reads, end to end: folders of
 * files without extensions, standard input and lists of paths, other
 * field names, text without a title line, warnings and --strict, ids
 * (always filled, unique per run), and the summary line.
 *
 * Each test works in a fresh directory; an index that a failing run must
 * not touch is compared byte for byte before and after. The program is
 * $BYLINE_BIN (else bin/byline). */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"

static const char *const NOT_LOCK[] = {"LOCK", NULL};

static char *tmp;
static char **paths; /* handed out by at(), freed by teardown */
static size_t npaths;
static char *out, *err;

static void setup(void)
{
    tmp = bl_test_tmpdir();
    cr_assert(tmp, "cannot make a temporary directory");
}

static void teardown(void)
{
    for (size_t i = 0; i < npaths; i++)
        free(paths[i]);
    free(paths);
    paths = NULL;
    npaths = 0;
    bl_test_scratch_release(&tmp, &out, &err);
}

TestSuite(index_input, .init = setup, .fini = teardown, .timeout = 60);

/* Runs `byline ARGS` into out/err; fails the test on a signal or a
 * sanitizer report. Returns the exit status. */
#define run(...) bl_test_byline_f(&out, &err, __VA_ARGS__)

/* Runs `PRODUCER | byline ARGS` (a real pipe on byline's standard input). */
__attribute__((format(printf, 2, 3))) static int run_piped(const char *producer,
                                                          const char *fmt, ...)
{
    char args[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    free(out);
    free(err);
    out = err = NULL;
    int rc = bl_test_runf(&out, &err, "%s | '%s' %s", producer, bl_test_byline(), args);
    cr_assert(rc >= 0 && rc < 128, "%s | byline %s: status %d\n%s", producer, args, rc,
              err ? err : "");
    cr_assert(!bl_test_sanitizer_report(err), "sanitizer report:\n%s", err);
    cr_assert(out && err);
    return rc;
}

/* tmp/NAME; valid until the test ends. */
static const char *at(const char *name)
{
    char **grown = realloc(paths, (npaths + 1) * sizeof *paths);
    cr_assert(grown);
    paths = grown;
    size_t len = strlen(tmp) + strlen(name) + 2;
    paths[npaths] = malloc(len);
    cr_assert(paths[npaths]);
    snprintf(paths[npaths], len, "%s/%s", tmp, name);
    return paths[npaths++];
}

static const char *put(const char *name, const char *text)
{
    const char *path = at(name);
    cr_assert(bl_test_write_file(path, text, strlen(text)) == 0, "cannot write %s", path);
    return path;
}

static void make_dir(const char *name)
{
    cr_assert_eq(mkdir(at(name), 0755), 0, "mkdir %s", name);
}

/* Every hit of `search --json -k 100 QUERY` in index dir (the summary line
 * left out), as a JSON array the caller frees. */
static json_t *hits(const char *dir, const char *query)
{
    int rc = run("search -i '%s' --json -k 100 '%s'", dir, query);
    cr_assert(rc == 0 || rc == 1, "search %s: exit %d: %s", query, rc, err);
    json_t *all = json_array();
    for (char *s = out, *nl; *s; s = nl + 1) {
        nl = strchr(s, '\n');
        cr_assert(nl, "last line not terminated");
        *nl = 0;
        json_error_t e;
        json_t *j = json_loads(s, 0, &e);
        cr_assert(j, "not JSON: %s", s);
        if (json_object_get(j, "rank"))
            json_array_append(all, j);
        json_decref(j);
    }
    return all;
}

static const char *field(json_t *hit, const char *key)
{
    const char *v = json_string_value(json_object_get(hit, key));
    cr_assert(v, "hit has no string %s", key);
    return v;
}

/* Exactly one hit for query; its key as a string (owned by the caller). */
static char *one(const char *dir, const char *query, const char *key)
{
    json_t *h = hits(dir, query);
    cr_assert_eq(json_array_size(h), 1, "'%s': %zu hits", query, json_array_size(h));
    char *v = strdup(field(json_array_get(h, 0), key));
    json_decref(h);
    return v;
}

static void expect_one(const char *dir, const char *query, const char *key, const char *want)
{
    char *got = one(dir, query, key);
    cr_expect_str_eq(got, want, "'%s': %s is '%s', want '%s'", query, key, got, want);
    free(got);
}

/* ---- folders of files without extensions ---- */

Test(index_input, format_reads_a_folder_of_files_without_extensions)
{
    make_dir("ng");
    make_dir("ng/sci.space");
    make_dir("ng/rec.autos");
    put("ng/sci.space/60150", "Subject: Shuttle launch\n\nThe shuttle flew at dawn.\n");
    put("ng/sci.space/60151", "Subject: Moon base\n\nA base on the moon.\n");
    put("ng/rec.autos/101551", "Subject: Brakes\n\nThe brakes squeal.\n");
    put("ng/rec.autos/.hidden", "Subject: hidden\n\nNot an article.\n");

    int rc = run("index -o '%s' '%s'", at("plain.idx"), at("ng"));
    cr_expect_eq(rc, 3, "without --format nothing is an article: %s", err);
    cr_expect(strstr(err, "3 ignored"), "%s", err);

    rc = run("index -o '%s' --format txt '%s'", at("ng.idx"), at("ng"));
    cr_assert_eq(rc, 0, "%s", err);
    cr_expect(strstr(err, "indexed 3 articles"), "%s", err);
    expect_one(at("ng.idx"), "shuttle", "source", at("ng/sci.space/60150"));
    expect_one(at("ng.idx"), "brakes", "title", "Subject: Brakes");
    json_t *h = hits(at("ng.idx"), "hidden");
    cr_expect_eq(json_array_size(h), 0, "hidden files stay out");
    json_decref(h);
}

/* ---- text without a title line ---- */

static const char STORY[] = "The Bank of Japan left interest rates unchanged on Tuesday, as "
                            "economists had expected.\nAnalysts forecast no move before spring.\n";

Test(index_input, title_none_and_filename)
{
    make_dir("c50");
    put("c50/412369newsML.txt", STORY);

    cr_assert_eq(run("index -o '%s' --title none '%s'", at("none.idx"), at("c50")), 0, "%s", err);
    expect_one(at("none.idx"), "economists", "title", "");
    char *snip = one(at("none.idx"), "economists", "snippet");
    cr_expect(strstr(snip, "Bank of Japan"), "the first line is in the text: %s", snip);
    free(snip);

    cr_assert_eq(run("index -o '%s' --title filename '%s'", at("name.idx"), at("c50")), 0, "%s",
                 err);
    expect_one(at("name.idx"), "economists", "title", "412369newsML");

    cr_expect_eq(run("index -o '%s' --title headline '%s'", at("x.idx"), at("c50")), 2);
    cr_expect(strstr(err, "first-line, none or filename"), "%s", err);
    cr_expect_eq(run("index -o '%s' --title none --format jsonl '%s'", at("x.idx"), at("c50")), 2);
    cr_expect(strstr(err, "--title is for txt input"), "%s", err);
}

/* ---- standard input and lists ---- */

static const char FEED[] = "{\"headline\":\"Wombat census\",\"content\":\"Rangers counted wombats.\"}\n"
                           "{\"headline\":\"Quokka census\",\"content\":\"Rangers counted quokkas.\","
                           "\"uuid\":\"q-1\"}\n";

Test(index_input, gzip_piped_into_stdin)
{
    const char *feed = put("feed.jsonl", FEED);
    char producer[4400];
    snprintf(producer, sizeof producer, "gzip -c '%s'", feed);
    int rc = run_piped(producer, "index -o '%s' --format jsonl --fields title=headline,"
                                 "text=content,id=uuid -", at("p.idx"));
    cr_assert_eq(rc, 0, "%s", err);
    cr_expect(strstr(err, "indexed 2 articles"), "%s", err);
    expect_one(at("p.idx"), "wombats", "id", "stdin:1");
    expect_one(at("p.idx"), "wombats", "source", "stdin:1");
    expect_one(at("p.idx"), "quokkas", "id", "q-1");
    expect_one(at("p.idx"), "quokkas", "title", "Quokka census");
}

Test(index_input, stdin_errors_name_stdin_and_the_line)
{
    const char *feed = put("bad.jsonl", "{\"title\":\"one\"}\n{\"title\":\"two\"}\n{oops\n");
    char producer[4400];
    snprintf(producer, sizeof producer, "cat '%s'", feed);
    int rc = run_piped(producer, "index -o '%s' --format jsonl -", at("s.idx"));
    cr_expect_eq(rc, 3, "%s", err);
    cr_expect(strstr(err, "stdin:3: invalid JSON"), "%s", err);
}

Test(index_input, stdin_usage_errors)
{
    const char *f = put("a.txt", "A\n");
    cr_expect_eq(run("index -o '%s' -", at("u.idx")), 2);
    cr_expect(strstr(err, "'-' (standard input) needs --format"), "%s", err);
    cr_expect_eq(run("index -o '%s' --format txt - - < '%s'", at("u.idx"), f), 2);
    cr_expect(strstr(err, "standard input can be read only once"), "%s", err);
    cr_expect_eq(run("index -o '%s' --format txt --files-from - - < '%s'", at("u.idx"), f), 2);
    cr_expect(strstr(err, "only once"), "%s", err);
    cr_expect_eq(run("index -o '%s' -0 '%s'", at("u.idx"), f), 2);
    cr_expect(strstr(err, "-0 goes with --files-from"), "%s", err);
    struct stat st;
    cr_expect(stat(at("u.idx"), &st) != 0, "a usage error creates no index");
}

Test(index_input, files_from_find_print0)
{
    make_dir("mail");
    put("mail/1", "Meeting moved\n\nThe meeting is on Friday.\n");
    put("mail/2 with space", "Lunch\n\nLunch at noon, wombat burgers.\n");
    char producer[4400];
    snprintf(producer, sizeof producer, "find '%s' -type f -print0", at("mail"));
    int rc = run_piped(producer, "index -o '%s' --format txt --files-from - -0", at("m.idx"));
    cr_assert_eq(rc, 0, "%s", err);
    cr_expect(strstr(err, "indexed 2 articles"), "%s", err);
    expect_one(at("m.idx"), "wombat", "source", at("mail/2 with space"));

    /* A list file, one path a line; a missing path is named by its line. */
    char list[9000];
    snprintf(list, sizeof list, "%s\n%s\n", at("mail/1"), at("mail/3"));
    const char *lf = put("list.txt", list);
    rc = run("index -o '%s' --format txt --files-from '%s'", at("l.idx"), lf);
    cr_expect_eq(rc, 3, "%s", err);
    cr_expect(strstr(err, "list.txt:2: ") && strstr(err, "mail/3"), "%s", err);
    rc = run("index -o '%s' --skip-bad --format txt --files-from '%s'", at("l.idx"), lf);
    cr_expect_eq(rc, 0, "%s", err);
    cr_expect(strstr(err, "indexed 1 article,") && strstr(err, "skipped 1 bad record"), "%s",
              err);
}

/* ---- other field names ---- */

Test(index_input, fields_rename_jsonl_keys)
{
    const char *f = put("dump.jsonl",
                        "{\"uuid\":\"a-1\",\"headline\":\"Rates held\",\"content\":\"The bank "
                        "waited.\",\"meta\":{\"date\":\"2024-05-01\"},\"link\":\"http://x/1\"}\n");
    cr_assert_eq(run("index -o '%s' --fields title=headline,text=content,date=meta.date,id=uuid,"
                     "url=link '%s'",
                     at("f.idx"), f),
                 0, "%s", err);
    expect_one(at("f.idx"), "bank", "title", "Rates held");
    expect_one(at("f.idx"), "bank", "id", "a-1");
    expect_one(at("f.idx"), "bank", "date", "2024-05-01");
    expect_one(at("f.idx"), "bank", "url", "http://x/1");

    static const char *const bad[] = {"title", "title=", "author=byline", "title=a,title=b",
                                      "title=a,"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_expect_eq(run("index -o '%s' --fields '%s' '%s'", at("g.idx"), bad[i], f), 2,
                     "--fields '%s': %s", bad[i], err);
        cr_expect(strstr(err, "--fields"), "--fields '%s': %s", bad[i], err);
    }
}

/* ---- warnings, --strict, malformed records ---- */

Test(index_input, warnings_are_counted_and_strict_makes_them_errors)
{
    make_dir("in");
    put("in/a.txt", "Wombats\n\nWombats dig burrows.\n");
    put("in/b.txt", "   \n");
    put("in/c.jsonl", "{\"title\":\"Numbat\",\"body\":\"A numbat \\u0000 ate.\"}\n"
                      "{\"url\":\"http://x/\"}\n");
    int rc = run("index -o '%s' '%s'", at("w.idx"), at("in"));
    cr_assert_eq(rc, 0, "%s", err);
    cr_expect(strstr(err, "warning: ") && strstr(err, "b.txt: empty file, skipped\n"), "%s", err);
    cr_expect(strstr(err, "c.jsonl:1: \"body\" holds a NUL character (\\u0000), read as a "
                          "space\n"),
              "%s", err);
    cr_expect(strstr(err, "c.jsonl:2: article has no title and no text, skipped\n"), "%s", err);
    cr_expect(strstr(err, "indexed 2 articles") && strstr(err, "; 3 warnings"), "%s", err);

    /* --strict on an existing index (of other articles: ids are unique in
     * an index) fails at the first warning and leaves it as it was. */
    cr_assert(mkdir(at("other"), 0755) == 0);
    put("other/z.txt", "Wombat\n\nA wombat dug.\n");
    cr_assert_eq(run("index -q -o '%s' '%s'", at("x.idx"), at("other")), 0, "%s", err);
    size_t len;
    char *before = bl_test_dir_snapshot(at("x.idx"), NOT_LOCK, &len);
    cr_assert(before);
    rc = run("index -o '%s' --strict '%s'", at("x.idx"), at("in"));
    cr_expect_eq(rc, 3, "%s", err);
    cr_expect(strstr(err, "b.txt: empty file") && !strstr(err, "warning"), "%s", err);
    cr_expect(strstr(err, "is unchanged"), "%s", err);
    size_t len2;
    char *after = bl_test_dir_snapshot(at("x.idx"), NOT_LOCK, &len2);
    cr_expect(after && len == len2 && memcmp(before, after, len) == 0, "the index changed");
    free(before);
    free(after);

    /* --strict --skip-bad: what would be warned about is skipped as bad. */
    rc = run("index -o '%s' --strict --skip-bad '%s'", at("s.idx"), at("in"));
    cr_expect_eq(rc, 0, "%s", err);
    cr_expect(strstr(err, "indexed 1 article,") && strstr(err, "skipped 3 bad records"), "%s",
              err);
}

Test(index_input, unclosed_title_and_extra_csv_fields_are_errors)
{
    const char *sgm = put("r.sgm", "<REUTERS NEWID=\"1\">\n<TEXT><TITLE>COFFEE\n"
                                   "<BODY>Prices rose.</BODY></TEXT>\n</REUTERS>\n");
    cr_expect_eq(run("index -o '%s' '%s'", at("r.idx"), sgm), 3, "%s", err);
    cr_expect(strstr(err, "r.sgm:1: <TITLE> not closed by </TITLE>"), "%s", err);

    const char *csv = put("n.csv", "title,body\nRates,Held\nOil,Prices rose, then fell\n");
    cr_expect_eq(run("index -o '%s' '%s'", at("n.idx"), csv), 3, "%s", err);
    cr_expect(strstr(err, "n.csv:3: CSV row has 3 fields, but the header names 2 columns"), "%s",
              err);
}

/* ---- identity ---- */

Test(index_input, every_hit_has_an_id)
{
    make_dir("mix");
    put("mix/a.txt", "Wombat news\n\nA wombat.\n");
    put("mix/b.jsonl", "{\"title\":\"Wombat feed\",\"body\":\"Another wombat.\"}\n");
    put("mix/c.csv", "title,body\nWombat row,Third wombat.\n");
    cr_assert_eq(run("index -o '%s' '%s'", at("i.idx"), at("mix")), 0, "%s", err);
    json_t *h = hits(at("i.idx"), "wombat");
    cr_assert_eq(json_array_size(h), 3);
    for (size_t i = 0; i < 3; i++) {
        json_t *hit = json_array_get(h, i);
        cr_expect_str_eq(field(hit, "id"), field(hit, "source"));
        cr_expect_neq(strlen(field(hit, "id")), 0);
    }
    json_decref(h);
}

Test(index_input, duplicate_ids_are_bad_records)
{
    const char *f = put("dup.jsonl", "{\"id\":7,\"title\":\"Wombat\"}\n"
                                     "{\"id\":8,\"title\":\"Numbat\"}\n"
                                     "{\"id\":\"7\",\"title\":\"Quokka\"}\n");
    const char *ok = put("ok.txt", "Seed\n\nThe index before.\n");
    cr_assert_eq(run("index -q -o '%s' '%s'", at("d.idx"), ok), 0, "%s", err);
    size_t len;
    char *before = bl_test_dir_snapshot(at("d.idx"), NOT_LOCK, &len);

    char want[4400];
    snprintf(want, sizeof want, "%s:3: duplicate id \"7\" (first seen at %s:1)", f, f);
    cr_expect_eq(run("index -o '%s' '%s'", at("d.idx"), f), 3);
    cr_expect(strstr(err, want), "want '%s' in: %s", want, err);
    size_t len2;
    char *after = bl_test_dir_snapshot(at("d.idx"), NOT_LOCK, &len2);
    cr_expect(before && after && len == len2 && memcmp(before, after, len) == 0,
              "the index changed");
    free(before);
    free(after);

    cr_expect_eq(run("index -o '%s' --skip-bad '%s'", at("d.idx"), f), 0, "%s", err);
    cr_expect(strstr(err, "warning: ") && strstr(err, want), "%s", err);
    cr_expect(strstr(err, "indexed 2 articles") && strstr(err, "skipped 1 bad record"), "%s",
              err);

    /* The same file twice: its path is its id. */
    cr_expect_eq(run("index -o '%s' '%s' '%s'", at("e.idx"), ok, ok), 3);
    snprintf(want, sizeof want, "%s: duplicate id \"%s\" (first seen at %s)", ok, ok, ok);
    cr_expect(strstr(err, want), "%s", err);
}

/* A run's ids leave memory once their segment is written (id_guard.h):
 * a duplicate far behind its first is still caught, on one thread and on
 * two, and named with the first one's source, read back from the segment
 * that holds it. -m 1 cuts the input into many segments. */
Test(index_input, duplicates_far_apart_are_caught)
{
    enum { N = 6000 };
    char path[4096];
    snprintf(path, sizeof path, "%s", at("far.jsonl"));
    FILE *f = fopen(path, "w");
    cr_assert(f);
    for (int i = 1; i <= N; i++) {
        int id = i == N ? 1 : i == N - 1 ? 2500 : i;
        fprintf(f, "{\"id\":\"a%d\",\"title\":\"Story %d\",\"body\":\"", id, i);
        for (int w = 0; w < 40; w++)
            fprintf(f, "w%dx%d ", (i * 7 + w * 13) % 5000, w);
        fputs("\"}\n", f);
    }
    fclose(f);
    char want[9000], want2[9000];
    snprintf(want, sizeof want, "%s:%d: duplicate id \"a2500\" (first seen at %s:2500)", path,
             N - 1, path);
    snprintf(want2, sizeof want2, "%s:%d: duplicate id \"a1\" (first seen at %s:1)", path, N,
             path);
    for (int jobs = 1; jobs <= 2; jobs++) {
        const char *idx = jobs == 1 ? at("far1.idx") : at("far2.idx");
        cr_expect_eq(run("index -m 1 -j %d -o '%s' '%s'", jobs, idx, path), 3);
        cr_expect(strstr(err, want), "-j %d: want '%s' in: %s", jobs, want, err);
        cr_expect_eq(run("index -m 1 -j %d --merge-factor 0 --skip-bad -o '%s' '%s'", jobs, idx,
                         path), 0, "%s", err);
        cr_expect(strstr(err, want) && strstr(err, want2), "-j %d: %s", jobs, err);
        char counts[128];
        snprintf(counts, sizeof counts, "indexed %d articles", N - 2);
        cr_expect(strstr(err, counts) && strstr(err, "skipped 2 bad records"), "%s", err);
        const char *segs = strstr(err, " segments;");
        cr_expect(segs && atoi(segs - 3) >= 3, "too few segments to test: %s", err);
    }
}

/* ---- the summary ---- */

Test(index_input, summary_says_one_in_the_singular)
{
    const char *f = put("one.txt", "Wombat\n\nOne wombat.\n");
    cr_assert_eq(run("index -o '%s' '%s'", at("o.idx"), f), 0, "%s", err);
    cr_expect(strstr(err, "indexed 1 article, "), "%s", err);
    cr_expect(strstr(err, " 1 segment;"), "%s", err);
    cr_expect(strstr(err, " in 1 file;"), "%s", err);
    cr_expect(!strstr(err, " 1 articles") && !strstr(err, " 1 files"), "%s", err);
}

/* A CSV without a header row (AG News) is read with guessed columns, and
 * says so; a header of unknown names is still an error; --strict refuses
 * to guess. */
Test(index_input, headerless_csv_columns_are_guessed_aloud)
{
    const char *csv = put("ag.csv", "\"3\",\"Fears for pension after talks\",\"Unions representing "
                                    "workers at Turner Newall say they are disappointed.\"\n"
                                    "\"4\",\"Quokka found\",\"A quokka was found smiling near the "
                                    "river on Tuesday morning.\"\n");
    cr_assert_eq(run("index -o '%s' '%s'", at("ag.idx"), csv), 0, "%s", err);
    cr_expect(strstr(err, "no CSV header row; reading column 2 as the title and column 3 as the "
                          "text") && strstr(err, "indexed 2 articles"), "%s", err);
    cr_assert_eq(run("search -i '%s' --json quokka", at("ag.idx")), 0, "%s", err);
    cr_expect(strstr(out, "\"title\": \"Quokka found\"") || strstr(out, "\"title\":\"Quokka found\""),
              "%s", out);
    cr_assert_eq(run("search -i '%s' --count pension", at("ag.idx")), 0, "%s", err);

    const char *named = put("named.csv", "headline,content\nRates,Held steady\n");
    cr_expect_eq(run("index -o '%s' '%s'", at("n.idx"), named), 3, "%s", err);
    cr_expect(strstr(err, "named.csv:1: CSV header names no title"), "%s", err);

    cr_expect_eq(run("index -o '%s' --strict '%s'", at("s.idx"), csv), 3, "%s", err);
    cr_expect(strstr(err, "no CSV header row"), "%s", err);
}

/* A symlink back up the tree is walked once, not 64 levels deep. */
Test(index_input, symlink_loop_is_walked_once)
{
    put("loop.txt", "Loop\n\nAn article about a numbat.\n");
    cr_assert(mkdir(at("tree"), 0755) == 0 && mkdir(at("tree/a"), 0755) == 0);
    put("tree/a/n.txt", "Numbat\n\nA numbat in a tree.\n");
    cr_assert(symlink("..", at("tree/a/up")) == 0);
    cr_assert_eq(run("index -o '%s' '%s'", at("t.idx"), at("tree")), 0, "%s", err);
    cr_expect(strstr(err, "symbolic link loop") && strstr(err, "indexed 1 article,"), "%s", err);
}
