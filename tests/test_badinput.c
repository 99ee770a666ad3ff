/* test_badinput.c: bin/byline fed bad input and damaged indexes.
 *
 * Bad input: each broken article file, bad path or bad output directory is
 * given to `byline index -o IDX` where IDX already holds the sample corpus;
 * the run must fail (status 3, bad input or I/O), name the file (and line),
 * and leave IDX byte for byte as it was (LOCK aside) and searchable.
 *
 * Damage: one byte flipped at several offsets of every index file, files
 * cut short, files deleted; `byline check` must exit 1 naming the file and
 * `byline search` must exit 3 with a message, never die from a signal. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>
#include <zlib.h>

#include "buf.h"
#include "error.h"
#include "filefmt.h"
#include "helpers.h"
#include "impacts.h"
#include "index.h"
#include "pairs.h"
#include "postings.h"
#include "segment.h"
#include "termdict.h"

static const char *const NOT_LOCK[] = {"LOCK", NULL};

static char *tmp;
static char idx[4200], sample[4200];
static char *snap; /* the index before the test touched it */
static size_t snap_len;
static char *out, *err;

static void forget(void)
{
    free(out);
    free(err);
    out = err = NULL;
}

/* Runs `byline ARGS` into out/err; fails the test on a signal or a
 * sanitizer report. */
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
    snap = bl_test_dir_snapshot(idx, NOT_LOCK, &snap_len);
    cr_assert(snap, "cannot read %s", idx);
}

static void teardown(void)
{
    forget();
    free(snap);
    snap = NULL;
    if (tmp)
        bl_test_rmtree(tmp);
    free(tmp);
    tmp = NULL;
}

TestSuite(badinput, .init = setup, .fini = teardown, .timeout = 60);

/* The index is exactly as setup() left it, and still answers. */
static void expect_index_unchanged(const char *what)
{
    size_t len;
    char *now = bl_test_dir_snapshot(idx, NOT_LOCK, &len);
    cr_assert(now, "%s: cannot read %s", what, idx);
    cr_expect(len == snap_len && memcmp(now, snap, len) == 0,
              "%s: the existing index changed (files or bytes)", what);
    free(now);
    int rc = run("search -i '%s' --count wagner", idx);
    cr_expect(rc == 0 && strcmp(out, "2\n") == 0, "%s: index no longer answers: exit %d, %s%s",
              what, rc, out, err);
    rc = run("check -i '%s'", idx);
    cr_expect_eq(rc, 0, "%s: check after: %s%s", what, out, err);
}

/* `byline index -o IDX [opts] PATH` must fail with status 3 and a message
 * holding `names`; the index is left alone. */
static void expect_rejected(const char *opts, const char *path, const char *names)
{
    int rc = run("index -o '%s' %s '%s'", idx, opts, path);
    cr_expect_eq(rc, 3, "index %s %s: exit %d, want 3; stderr: %s", opts, path, rc, err);
    cr_expect(strstr(err, names), "index %s: stderr does not name '%s': %s", path, names, err);
    expect_index_unchanged(path);
}

static const char *put(const char *name, const void *data, size_t len)
{
    static char path[4200];
    snprintf(path, sizeof path, "%s/%s", tmp, name);
    cr_assert(bl_test_write_file(path, data, len) == 0, "cannot write %s", path);
    return path;
}

static const char *put_str(const char *name, const char *text)
{
    return put(name, text, strlen(text));
}

/* ---- bad article files ---- */

Test(badinput, empty_txt)
{
    /* Alone, an empty file leaves no article; with --strict it is an error. */
    expect_rejected("", put_str("empty.txt", ""), "empty.txt");
    expect_rejected("--strict", put_str("empty.txt", ""), "empty.txt: empty file");
}

Test(badinput, binary_file_named_txt)
{
    static const unsigned char bin[] = {0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0, 0, 0, 0xff, 0xfe,
                                        0,    0,   0,   0,   3, 0, 0x3e, 0, 1, 0, 0, 0};
    expect_rejected("", put("program.txt", bin, sizeof bin), "program.txt");
}

Test(badinput, nul_bytes_inside_txt)
{
    static const char text[] = "A fine title\n\nThe first paragraph is plain text.\0\0\0 And "
                               "then it goes on.\n";
    expect_rejected("", put("nul.txt", text, sizeof text - 1), "nul.txt");
}

static const char JSONL[] = "{\"id\":\"1\",\"title\":\"Wombat census\",\"body\":\"Rangers counted "
                            "wombats.\"}\n"
                            "{\"id\":\"2\",\"title\":\"Quokka census\",\"body\":\"Rangers counted "
                            "quokkas.\"}\n"
                            "{\"id\":\"3\",\"title\":\"Broken\",\"body\":\"no end\n"
                            "{\"id\":\"4\",\"title\":\"Numbat census\",\"body\":\"Rangers counted "
                            "numbats.\"}\n";

Test(badinput, truncated_gzip)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/cut.jsonl.gz", tmp);
    gzFile gz = gzopen(path, "wb");
    cr_assert(gz);
    for (int i = 0; i < 50; i++) /* enough for more than one deflate block's worth */
        cr_assert(gzprintf(gz, "{\"id\":\"%d\",\"title\":\"Article %d\",\"body\":\"Text number %d "
                               "about wombats and quokkas.\"}\n",
                           i, i, i * 7919) > 0);
    cr_assert_eq(gzclose(gz), Z_OK);
    size_t len;
    char *data = bl_test_read_file(path, &len);
    cr_assert(data && len > 40);
    cr_assert(bl_test_write_file(path, data, len - 20) == 0);
    free(data);
    expect_rejected("", path, "cut.jsonl.gz");
}

Test(badinput, jsonl_broken_line_3)
{
    const char *path = put_str("broken.jsonl", JSONL);
    expect_rejected("", path, "broken.jsonl:3");
}

Test(badinput, jsonl_skip_bad_goes_on)
{
    const char *path = put_str("broken.jsonl", JSONL);
    int rc = run("index -o '%s' --skip-bad '%s'", idx, path);
    cr_assert_eq(rc, 0, "--skip-bad: exit %d: %s", rc, err);
    cr_expect(strstr(err, "broken.jsonl:3"), "the warning does not name line 3: %s", err);
    cr_expect(strstr(err, "warning"), "no warning: %s", err);
    cr_expect(strstr(err, "indexed 3 articles"), "lines 1, 2 and 4 are articles: %s", err);
    rc = run("search -i '%s' --count 'rangers counted'", idx);
    cr_expect(rc == 0 && strcmp(out, "3\n") == 0, "3 good records: %s", out);
    rc = run("search -i '%s' --count numbat", idx);
    cr_expect(rc == 0 && strcmp(out, "1\n") == 0, "the line after the bad one: %s", out);
    rc = run("search -i '%s' --count wagner", idx);
    cr_expect(rc == 0 && strcmp(out, "2\n") == 0, "the old segment still answers: %s", out);
}

Test(badinput, sgml_unterminated_record)
{
    const char *path = put_str(
        "reut2-cut.sgm",
        "<!DOCTYPE lewis SYSTEM \"lewis.dtd\">\n"
        "<REUTERS NEWID=\"1\">\n<DATE>26-FEB-1987 15:01:01.79</DATE>\n"
        "<TEXT><TITLE>COCOA</TITLE><BODY>Showers continued.</BODY></TEXT>\n</REUTERS>\n"
        "<REUTERS NEWID=\"2\">\n<DATE>26-FEB-1987 15:02:20.00</DATE>\n"
        "<TEXT><TITLE>OIL</TITLE><BODY>Prices rose and then the file just\n");
    int rc = run("index -o '%s' '%s'", idx, path);
    cr_expect_eq(rc, 3, "exit %d: %s", rc, err);
    /* The line of the bad record: where it starts (6) or where the file
     * ends (8); either way a number after the colon. */
    const char *p = strstr(err, "reut2-cut.sgm:");
    cr_expect(p && p[14] >= '1' && p[14] <= '9', "no file:line: %s", err);
    expect_index_unchanged(path);
}

Test(badinput, bad_file_after_several_segments)
{
    /* -m 1 makes the run write segments before it meets the bad file at
     * the end; none of them may stay behind. */
    char dir[4300];
    snprintf(dir, sizeof dir, "%s/many", tmp);
    cr_assert(mkdir(dir, 0755) == 0);
    bl_rng rng;
    bl_rng_init(&rng, 7);
    char text[4096], name[64];
    for (int i = 0; i < 600; i++) {
        int len = snprintf(text, sizeof text, "Dispatch %d\n\n", i);
        for (int w = 0; w < 100; w++)
            len += snprintf(text + len, sizeof text - (size_t)len, "w%u ",
                            bl_rng_below(&rng, 20000));
        snprintf(name, sizeof name, "many/a%05d.txt", i);
        put_str(name, text);
    }
    put("many/zz_last.txt", "Title\n\0\0", 8); /* binary: an error */
    int rc = run("index -m 1 -o '%s' '%s'", idx, dir);
    cr_expect_eq(rc, 3, "exit %d: %s", rc, err);
    cr_expect(strstr(err, "zz_last.txt"), "%s", err);
    expect_index_unchanged("a bad file after several segments");
}

Test(badinput, index_locked_by_another_writer)
{
    char lock[4400];
    snprintf(lock, sizeof lock, "%s/LOCK", idx);
    int fd = open(lock, O_RDWR | O_CREAT, 0644);
    cr_assert(fd >= 0);
    cr_assert(flock(fd, LOCK_EX | LOCK_NB) == 0, "cannot take the lock: %s", strerror(errno));
    int rc = run("index -o '%s' '%s'", idx, sample);
    cr_expect_eq(rc, 3, "exit %d: %s", rc, err);
    cr_expect(strstr(err, "lock") || strstr(err, "another byline process"),
              "message does not say locked: %s", err);
    /* Readers do not need the lock. */
    rc = run("search -i '%s' --count wagner", idx);
    cr_expect(rc == 0 && !strcmp(out, "2\n"), "search while locked: %d %s%s", rc, out, err);
    close(fd);
    expect_index_unchanged("a locked index");
    char fresh[4300];
    snprintf(fresh, sizeof fresh, "%s/fresh.txt", tmp);
    const char *text = "Fresh\n\nA fresh article.\n";
    cr_assert(bl_test_write_file(fresh, text, strlen(text)) == 0);
    rc = run("index -q -o '%s' '%s'", idx, fresh);
    cr_expect_eq(rc, 0, "after the lock is gone: %s", err);
}

/* ---- bad paths ---- */

Test(badinput, path_does_not_exist)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/no-such-file.txt", tmp);
    expect_rejected("", path, "no-such-file.txt");
}

Test(badinput, directory_without_articles)
{
    char dir[4300];
    snprintf(dir, sizeof dir, "%s/notes", tmp);
    cr_assert(mkdir(dir, 0755) == 0);
    put_str("notes/README.md", "# not an article\n");
    put_str("notes/data.bin", "\x01\x02");
    int rc = run("index -o '%s' '%s'", idx, dir);
    cr_expect_neq(rc, 0);
    cr_expect_eq(rc, 3, "exit %d", rc);
    cr_expect(strstr(err, "no articles"), "unclear message: %s", err);
    expect_index_unchanged("a directory without articles");
    /* Into a new index: fails too, and leaves nothing behind. */
    rc = run("index -o '%s/new' '%s'", tmp, dir);
    cr_expect_eq(rc, 3, "exit %d: %s", rc, err);
    struct stat st;
    cr_expect(stat(dir, &st) == 0 && access(tmp, F_OK) == 0);
    char newdir[4300];
    snprintf(newdir, sizeof newdir, "%s/new", tmp);
    cr_expect(stat(newdir, &st) != 0, "a failed first run left %s behind", newdir);
}

Test(badinput, output_is_a_regular_file)
{
    char file[4300];
    snprintf(file, sizeof file, "%s/plain", tmp);
    put_str("plain", "I am a file.\n");
    int rc = run("index -o '%s' '%s'", file, sample);
    cr_expect_eq(rc, 3, "exit %d: %s", rc, err);
    cr_expect(strstr(err, "plain"), "stderr does not name the file: %s", err);
    size_t len;
    char *data = bl_test_read_file(file, &len);
    cr_expect(data && strcmp(data, "I am a file.\n") == 0, "the file was changed");
    free(data);
    /* Also as a parent: -o FILE/sub. */
    rc = run("index -o '%s/sub' '%s'", file, sample);
    cr_expect_eq(rc, 3, "exit %d: %s", rc, err);
    cr_expect(strstr(err, "plain"), "%s", err);
}

/* Root ignores directory permissions; find out by trying. */
static int writes_are_refused(const char *dir)
{
    char probe[4400];
    snprintf(probe, sizeof probe, "%.4300s/probe", dir);
    if (bl_test_write_file(probe, "x", 1) == 0) {
        unlink(probe);
        return 0;
    }
    return 1;
}

Test(badinput, unwritable_output_directory)
{
    char ro[4300];
    snprintf(ro, sizeof ro, "%s/readonly", tmp);
    cr_assert(mkdir(ro, 0755) == 0);
    cr_assert(chmod(ro, 0555) == 0);
    if (!writes_are_refused(ro)) {
        teardown(); /* a skipped test gets no .fini */
        cr_skip_test("running as root: chmod 0555 does not stop writes, so the unwritable "
                     "output directory case cannot be tested here");
    }
    int rc = run("index -o '%s/sub' '%s'", ro, sample);
    cr_expect_eq(rc, 3, "into a subdirectory of a read-only directory: exit %d: %s", rc, err);
    cr_expect(strstr(err, "readonly/sub"), "stderr does not name the directory: %s", err);
    rc = run("index -o '%s' '%s'", ro, sample);
    cr_expect_eq(rc, 3, "into a read-only directory: exit %d: %s", rc, err);
    cr_expect(strstr(err, "readonly"), "stderr does not name the directory: %s", err);
    size_t len;
    char *listing = bl_test_dir_snapshot(ro, NULL, &len);
    cr_expect(listing && len == 1, "something was created in %s", ro);
    free(listing);
    expect_index_unchanged("unwritable output");
}

Test(badinput, read_only_existing_index)
{
    /* An index directory that lost its write permission. */
    cr_assert(chmod(idx, 0555) == 0);
    if (!writes_are_refused(idx)) {
        teardown(); /* a skipped test gets no .fini */
        cr_skip_test("running as root: chmod 0555 does not stop writes, so the read-only "
                     "index case cannot be tested here");
    }
    put_str("one.txt", "Title\n\nSome text.\n");
    char one[4300];
    snprintf(one, sizeof one, "%s/one.txt", tmp);
    int rc = run("index -o '%s' '%s'", idx, one);
    cr_expect_eq(rc, 3, "exit %d: %s", rc, err);
    cr_expect(strstr(err, idx), "%s", err);
    chmod(idx, 0755);
    expect_index_unchanged("read-only index");
}

/* ---- damaged indexes ---- */

/* The names of the files of dir (not LOCK), sorted; returns how many. */
static size_t index_files(const char *dir, char names[][256], size_t max)
{
    struct dirent **list;
    int n = scandir(dir, &list, NULL, alphasort);
    cr_assert(n >= 0, "cannot list %s", dir);
    size_t k = 0;
    for (int i = 0; i < n; i++) {
        const char *name = list[i]->d_name;
        if (name[0] != '.' && strcmp(name, "LOCK") != 0 && k < max)
            snprintf(names[k++], 256, "%s", name);
        free(list[i]);
    }
    free(list);
    return k;
}

/* A fresh copy of the sample index in tmp/copy; returns its path. */
static const char *fresh_copy(void)
{
    static char copy[4300];
    snprintf(copy, sizeof copy, "%s/copy", tmp);
    bl_test_rmtree(copy);
    cr_assert(bl_test_copy_dir(idx, copy) == 0, "cannot copy %s", idx);
    return copy;
}

/* Cuts the " (1.8 ms)" timing off text summary lines, in place. */
static void strip_timing(char *s)
{
    char *w = s;
    for (char *line = s; *line;) {
        char *nl = strchr(line, '\n');
        size_t n = nl ? (size_t)(nl - line) : strlen(line);
        size_t keep = n;
        if (n > 4 && memcmp(line + n - 4, " ms)", 4) == 0)
            for (size_t i = n; i-- > 0;)
                if (line[i] == '(' && i > 0 && line[i - 1] == ' ') {
                    keep = i - 1;
                    break;
                }
        memmove(w, line, keep);
        w += keep;
        if (nl)
            *w++ = '\n';
        line += n + (nl != NULL);
    }
    *w = 0;
}

/* A query that reads the dictionary, doc lists, positions, lengths and the
 * store (for snippets). */
#define PROBE_QUERY "'\"north korea\" OR wagner OR sanction*'"

/* check must report the damage naming the file. search must not give a
 * wrong answer: with strict it must fail with 3 and say why (damage found
 * at open); otherwise it may also answer exactly as the undamaged index
 * does, since pages are verified only when a query reads them. `what`
 * describes the damage for messages. */
static void expect_damage_reported(const char *copy, const char *name, const char *what,
                                   int strict)
{
    int rc = run("check -i '%s'", copy);
    cr_expect_eq(rc, 1, "%s: check exit %d, want 1: %s%s", what, rc, out, err);
    cr_expect(strstr(out, name) || strstr(err, name), "%s: check does not name %s: %s%s", what,
              name, out, err);
    rc = run("search -i '%s' " PROBE_QUERY, idx);
    cr_assert_eq(rc, 0, "search of the clean index: exit %d: %s", rc, err);
    char *want = out;
    out = NULL;
    strip_timing(want);
    rc = run("search -i '%s' " PROBE_QUERY, copy);
    if (rc == 0 && !strict) {
        strip_timing(out);
        cr_expect_str_eq(out, want, "%s: search answered differently from the clean index",
                         what);
    } else {
        cr_expect_eq(rc, 3, "%s: search exit %d, want 3: %s", what, rc, err);
        cr_expect(strstr(err, name) || strstr(err, "corrupt") || strstr(err, "checksum"),
                  "%s: search's message says nothing of the damage: %s", what, err);
    }
    free(want);
}

Test(badinput, flipped_bytes_in_every_file, .timeout = 300)
{
    char names[32][256];
    size_t n = index_files(idx, names, 32);
    cr_assert_geq(n, 6, "MANIFEST and five segment files expected, found %zu", n);
    for (size_t f = 0; f < n; f++) {
        char path[4400];
        snprintf(path, sizeof path, "%s/%s", idx, names[f]);
        struct stat st;
        cr_assert(stat(path, &st) == 0);
        size_t size = (size_t)st.st_size;
        cr_assert_gt(size, 32, "%s is smaller than its footer", names[f]);
        /* start, middle of the body, each footer field, last byte */
        size_t offsets[] = {0,         (size - 32) / 2, size - 32, size - 28, size - 24,
                            size - 16, size - 8,        size - 5,  size - 1};
        for (size_t k = 0; k < sizeof offsets / sizeof *offsets; k++) {
            const char *copy = fresh_copy();
            char victim[4400];
            snprintf(victim, sizeof victim, "%s/%s", copy, names[f]);
            size_t len;
            char *data = bl_test_read_file(victim, &len);
            cr_assert(data && len == size);
            data[offsets[k]] ^= 0x5a;
            cr_assert(bl_test_write_file(victim, data, len) == 0);
            free(data);
            char what[400];
            snprintf(what, sizeof what, "%s byte %zu of %zu flipped", names[f], offsets[k], size);
            /* A flipped footer is seen at open; a flipped body byte or page
             * sum only when a query reads that page. */
            expect_damage_reported(copy, names[f], what, offsets[k] >= size - 32);
        }
    }
}

/* Pages are verified when a query first reads them, not at open: damage
 * in the middle of a larger store stops the queries that read it, with the
 * file named, and no other. */
Test(badinput, damaged_page_fails_only_the_queries_that_read_it, .timeout = 60)
{
    /* 400 articles of pseudo-random words: a store of several pages. */
    char dir[4300], big[4400];
    snprintf(dir, sizeof dir, "%s/big", tmp);
    cr_assert(mkdir(dir, 0755) == 0);
    bl_rng rng;
    bl_rng_init(&rng, 7);
    for (int a = 0; a < 400; a++) {
        char name[4500], text[4096];
        int w = snprintf(text, sizeof text, "Title %d\n\n%s ", a, a == 0 ? "aardvark" : "news");
        for (int i = 0; i < 150; i++)
            w += snprintf(text + w, sizeof text - (size_t)w, "w%u ", bl_rng_below(&rng, 100000));
        snprintf(name, sizeof name, "%s/a%03d.txt", dir, a);
        cr_assert(bl_test_write_file(name, text, (size_t)w) == 0);
    }
    snprintf(big, sizeof big, "%s/big.idx", tmp);
    int rc = run("index -q -o '%s' '%s'", big, dir);
    cr_assert_eq(rc, 0, "%s", err);
    char sto[4500];
    snprintf(sto, sizeof sto, "%s/seg_00000001.sto", big);
    size_t len;
    char *data = bl_test_read_file(sto, &len);
    cr_assert(data && len > 5 * 4096, "store of %zu bytes, want several pages", len);
    size_t body = (size_t)bl_get_u64le((const uint8_t *)data + len - 24);
    data[body / 2] ^= 0x20;
    cr_assert(bl_test_write_file(sto, data, len) == 0);
    free(data);

    rc = run("search -i '%s' aardvark", big);
    cr_expect_eq(rc, 0, "the first article's page is intact: exit %d: %s", rc, err);
    cr_expect(strstr(out, "Title 0"), "%s", out);
    rc = run("search -i '%s' --count news", big);
    cr_expect_eq(rc, 0, "counting reads no stored text: exit %d: %s", rc, err);
    cr_expect(strstr(out, "399"), "%s", out);
    rc = run("search -i '%s' -k 400 news", big);
    cr_expect_eq(rc, 3, "snippets of every article read the damaged page: exit %d", rc);
    cr_expect(strstr(err, "seg_00000001.sto") && strstr(err, "checksum"), "%s", err);
    rc = run("check -i '%s'", big);
    cr_expect_eq(rc, 1, "check reads everything: exit %d: %s", rc, out);
    cr_expect(strstr(out, "seg_00000001.sto") || strstr(err, "seg_00000001.sto"), "%s%s", out,
              err);
}

/* Snippets read the positions of each hit's words, but a query that needs
 * no positions to find its hits must not fail on a damaged positions page:
 * its snippets are made from the stored text instead, the same as from
 * the intact index; check still reports the damage. */
Test(badinput, damaged_positions_leave_snippets_alone, .timeout = 60)
{
    char dir[4300], big[4400], intact[4400];
    snprintf(dir, sizeof dir, "%s/words", tmp);
    cr_assert(mkdir(dir, 0755) == 0);
    bl_rng rng;
    bl_rng_init(&rng, 11);
    for (int a = 0; a < 300; a++) {
        char name[4500], text[4096];
        int w = snprintf(text, sizeof text, "Title %d\n\nnews ", a);
        for (int i = 0; i < 150; i++)
            w += snprintf(text + w, sizeof text - (size_t)w, "%s%u ", i % 9 ? "w" : "news w",
                          bl_rng_below(&rng, 300));
        snprintf(name, sizeof name, "%s/a%03d.txt", dir, a);
        cr_assert(bl_test_write_file(name, text, (size_t)w) == 0);
    }
    snprintf(big, sizeof big, "%s/big.idx", tmp);
    snprintf(intact, sizeof intact, "%s/intact.idx", tmp);
    cr_assert_eq(run("index -q -o '%s' '%s'", big, dir), 0, "%s", err);
    cr_assert(bl_test_copy_dir(big, intact) == 0);
    char pos[4500];
    snprintf(pos, sizeof pos, "%s/seg_00000001.pos", big);
    size_t len;
    char *data = bl_test_read_file(pos, &len);
    cr_assert(data && len > 4 * 4096, ".pos of %zu bytes, want several pages", len);
    size_t body = (size_t)bl_get_u64le((const uint8_t *)data + len - 24);
    for (size_t at = 100; at < body; at += 4096)
        data[at] ^= 0x20; /* every page */
    cr_assert(bl_test_write_file(pos, data, len) == 0);
    free(data);

    const char *queries[] = {"news", "w17 OR w230", "news -w5"};
    for (size_t q = 0; q < sizeof queries / sizeof *queries; q++) {
        int rc = run("search -i '%s' --marks -k 300 '%s'", intact, queries[q]);
        cr_assert_eq(rc, 0, "%s", err);
        char *want = out;
        out = NULL;
        rc = run("search -i '%s' --marks -k 300 '%s'", big, queries[q]);
        cr_expect_eq(rc, 0, "%s: exit %d: %s", queries[q], rc, err);
        strip_timing(want);
        strip_timing(out);
        cr_expect(strstr(out, "**"), "%s: no highlight: %s", queries[q], out);
        cr_expect_str_eq(out, want, "%s: snippets differ from the intact index's", queries[q]);
        free(want);
    }
    /* (a two-word phrase of frequent words reads its pair's list, pairs.h:
     * a phrase that ends in a prefix reads positions) */
    int rc = run("search -i '%s' '\"news w1*\"'", big);
    cr_expect_eq(rc, 3, "a phrase reads the damaged positions: exit %d", rc);
    rc = run("check -i '%s'", big);
    cr_expect_eq(rc, 1, "check reads everything: exit %d: %s", rc, out);
    cr_expect(strstr(out, "seg_00000001.pos") || strstr(err, "seg_00000001.pos"), "%s%s", out,
              err);
}

Test(badinput, truncated_files, .timeout = 120)
{
    char names[32][256];
    size_t n = index_files(idx, names, 32);
    cr_assert_geq(n, 6);
    for (size_t f = 0; f < n; f++) {
        const size_t cuts[] = {0, 1, 2}; /* to half, to nothing, one byte short */
        for (size_t c = 0; c < 3; c++) {
            const char *copy = fresh_copy();
            char victim[4400];
            snprintf(victim, sizeof victim, "%s/%s", copy, names[f]);
            size_t len;
            char *data = bl_test_read_file(victim, &len);
            cr_assert(data);
            size_t keep = cuts[c] == 0 ? len / 2 : cuts[c] == 1 ? 0 : len - 1;
            cr_assert(bl_test_write_file(victim, data, keep) == 0);
            free(data);
            char what[400];
            snprintf(what, sizeof what, "%s cut from %zu to %zu bytes", names[f], len, keep);
            expect_damage_reported(copy, names[f], what, 1);
        }
    }
}

Test(badinput, deleted_files, .timeout = 120)
{
    char names[32][256];
    size_t n = index_files(idx, names, 32);
    cr_assert_geq(n, 6);
    for (size_t f = 0; f < n; f++) {
        const char *copy = fresh_copy();
        char victim[4400];
        snprintf(victim, sizeof victim, "%s/%s", copy, names[f]);
        cr_assert(unlink(victim) == 0);
        char what[400];
        snprintf(what, sizeof what, "%s deleted", names[f]);
        expect_damage_reported(copy, names[f], what, 1);
    }
}

Test(badinput, damaged_index_is_not_extended)
{
    /* Adding to an index whose manifest is damaged must fail, not start
     * over and throw the old segments away. */
    const char *copy = fresh_copy();
    char victim[4400];
    snprintf(victim, sizeof victim, "%s/MANIFEST", copy);
    size_t len;
    char *data = bl_test_read_file(victim, &len);
    cr_assert(data && len > 0);
    data[0] ^= 0x5a;
    cr_assert(bl_test_write_file(victim, data, len) == 0);
    free(data);
    size_t before_len;
    char *before = bl_test_dir_snapshot(copy, NOT_LOCK, &before_len);
    int rc = run("index -o '%s' '%s'", copy, sample);
    cr_expect_eq(rc, 3, "exit %d: %s", rc, err);
    cr_expect(strstr(err, "MANIFEST"), "%s", err);
    size_t after_len;
    char *after = bl_test_dir_snapshot(copy, NOT_LOCK, &after_len);
    cr_expect(before && after && before_len == after_len && !memcmp(before, after, after_len),
              "the damaged index was changed");
    free(before);
    free(after);
}

/* FTS5-style: damage the body of each file and fix its checksum. Whatever
 * the bytes say, byline must answer with a status, never a crash or a
 * sanitizer report; check may find the damage (1) or not (0), and when it
 * finds none, search must not call the index corrupt either. */
Test(badinput, resealed_damage_never_crashes, .timeout = 600)
{
    uint64_t seed = bl_test_seed("badinput::resealed_damage_never_crashes");
    bl_rng rng;
    bl_rng_init(&rng, seed);
    char names[32][256];
    size_t n = index_files(idx, names, 32);
    cr_assert_geq(n, 6);
    static const char *queries[] = {"wagner", "\"north korea\" prigozhin", "sanction*",
                                    "patriot OR gossip"};
    for (size_t f = 0; f < n; f++) {
        char path[4400];
        snprintf(path, sizeof path, "%s/%s", idx, names[f]);
        struct stat st;
        cr_assert(stat(path, &st) == 0);
        size_t size = (size_t)st.st_size, body = 0;
        for (int round = 0; round < 12; round++) {
            const char *copy = fresh_copy();
            char victim[4400];
            snprintf(victim, sizeof victim, "%s/%s", copy, names[f]);
            size_t len;
            char *data = bl_test_read_file(victim, &len);
            cr_assert(data && len == size);
            body = (size_t)bl_get_u64le((const uint8_t *)data + len - 24); /* footer body_len */
            /* One to four damaged bytes, sometimes all-ones or zero. */
            int nflip = 1 + (int)bl_rng_below(&rng, 4);
            char what[400];
            int w = snprintf(what, sizeof what, "seed %llu: %s bytes", (unsigned long long)seed,
                             names[f]);
            for (int i = 0; i < nflip; i++) {
                size_t off = bl_rng_below(&rng, (uint32_t)body);
                uint32_t how = bl_rng_below(&rng, 4);
                data[off] = how == 0 ? (char)0xff : how == 1 ? 0 : data[off] ^ (char)(1 + bl_rng_below(&rng, 255));
                if (w < (int)sizeof what - 24)
                    w += snprintf(what + w, sizeof what - (size_t)w, " %zu", off);
            }
            cr_assert(bl_test_reseal((uint8_t *)data, len) == 0);
            cr_assert(bl_test_write_file(victim, data, len) == 0);
            free(data);
            int crc = run("check -i '%s'", copy);
            cr_expect(crc == 0 || crc == 1, "%s: check exit %d: %s%s", what, crc, out, err);
            /* The damage may show as a disagreement with another file
             * (the manifest's counts against the .len file), so check
             * must name an index file, not necessarily this one. */
            if (crc == 1)
                cr_expect(strstr(out, "seg_") || strstr(out, "MANIFEST") ||
                              strstr(err, "seg_") || strstr(err, "MANIFEST"),
                          "%s: check does not name a file: %s%s", what, out, err);
            for (size_t q = 0; q < sizeof queries / sizeof *queries; q++) {
                int src = run("search -i '%s' --json '%s'", copy, queries[q]);
                cr_expect(src == 0 || src == 1 || src == 3, "%s: search '%s' exit %d: %s", what,
                          queries[q], src, err);
                if (src == 3)
                    cr_expect(crc == 1, "%s: check said ok but search '%s' failed: %s", what,
                              queries[q], err);
            }
        }
    }
}

/* A manifest whose next_segment (body bytes 8..15) is not past its
 * segments' ids, with a valid checksum. The next `byline index` treats
 * files seg_N with N >= next_segment as leftovers of a crash and removes
 * them, so such a manifest must be reported by check and refused by
 * index, never allowed to cost the committed segments. */
Test(badinput, manifest_next_segment_behind)
{
    const char *copy = fresh_copy();
    char victim[4400];
    snprintf(victim, sizeof victim, "%s/MANIFEST", copy);
    size_t len;
    char *data = bl_test_read_file(victim, &len);
    cr_assert(data && len > 48);
    cr_assert_eq(data[8], 2, "the sample index should have next_segment 2");
    data[8] = 1;
    cr_assert(bl_test_reseal((uint8_t *)data, len) == 0);
    cr_assert(bl_test_write_file(victim, data, len) == 0);
    free(data);
    int rc = run("check -i '%s'", copy);
    cr_expect_eq(rc, 1, "check exit %d: %s%s", rc, out, err);
    cr_expect(strstr(out, "MANIFEST") || strstr(err, "MANIFEST"), "%s%s", out, err);

    put_str("one.txt", "Quokka news\n\nA quokka smiled.\n");
    char one[4300];
    snprintf(one, sizeof one, "%s/one.txt", tmp);
    size_t n0, n1;
    char *before = bl_test_dir_snapshot(copy, NOT_LOCK, &n0);
    rc = run("index -o '%s' '%s'", copy, one);
    cr_expect_eq(rc, 3, "index into it: exit %d: %s", rc, err);
    char *after = bl_test_dir_snapshot(copy, NOT_LOCK, &n1);
    cr_expect(before && after && n0 == n1 && !memcmp(before, after, n0),
              "index changed the damaged index (segment files removed?)");
    free(before);
    free(after);
}

/* A manifest naming a language no stemmer has (checksum intact): check
 * must call it damage, and search must say where the problem is. */
Test(badinput, manifest_unknown_language)
{
    const char *copy = fresh_copy();
    char victim[4400];
    snprintf(victim, sizeof victim, "%s/MANIFEST", copy);
    size_t len;
    char *data = bl_test_read_file(victim, &len);
    cr_assert(data && len > 48);
    cr_assert(memcmp(data + 16, "\x07" "english", 8) == 0, "lang expected at body offset 16");
    data[23] = 'x'; /* "englisx" */
    cr_assert(bl_test_reseal((uint8_t *)data, len) == 0);
    cr_assert(bl_test_write_file(victim, data, len) == 0);
    free(data);
    int rc = run("check -i '%s'", copy);
    cr_expect_eq(rc, 1, "check exit %d: %s%s", rc, out, err);
    cr_expect(strstr(out, "MANIFEST") || strstr(err, "MANIFEST"), "%s%s", out, err);
    rc = run("search -i '%s' wagner", copy);
    cr_expect_eq(rc, 3, "search exit %d: %s", rc, err);
    cr_expect(strstr(err, "MANIFEST") || strstr(err, "corrupt"),
              "search does not point at the index: %s", err);
}

/* An index whose MANIFEST says another analyzer built it (2: before dotted
 * abbreviations were one word): search refuses (its queries would be
 * analysed differently), and so does appending. */
Test(badinput, other_analyzer_version)
{
    const char *copy = fresh_copy();
    char victim[4400];
    snprintf(victim, sizeof victim, "%s/MANIFEST", copy);
    size_t len;
    char *data = bl_test_read_file(victim, &len);
    cr_assert(data && len > 48);
    /* body: generation u64, next_segment u64, lang_len u8, lang, analyzer_version u32 */
    size_t at = 17 + (unsigned char)data[16];
    data[at] = 2;
    cr_assert(bl_test_reseal((uint8_t *)data, len) == 0);
    cr_assert(bl_test_write_file(victim, data, len) == 0);
    free(data);
    int rc = run("search -i '%s' wagner", copy);
    cr_expect_eq(rc, 3, "search exit %d: %s", rc, err);
    cr_expect(strstr(err, "analyzer version 2"), "%s", err);
    rc = run("check -i '%s'", copy);
    cr_expect_eq(rc, 1, "check exit %d: %s", rc, out);
    cr_expect(strstr(out, "MANIFEST") && strstr(out, "analyzer version 2"), "%s", out);
    rc = run("index -q -o '%s' '%s'", copy, sample);
    cr_expect_eq(rc, 3, "index exit %d: %s", rc, err);
    cr_expect(strstr(err, "analyzer version 2"), "%s", err);
}

typedef struct {
    uint8_t *doc;    /* the .doc file */
    size_t len;
    int forged;
} impacts_forgery;

/* Lowers the first term's impacts that can be lowered in place: its first
 * pair's length raised by one (the same bytes long), so the posting that
 * pair came from is no longer covered. */
static int forge_term_impacts(void *ctx, const char *term, size_t len, const bl_terminfo *ti)
{
    (void)term, (void)len;
    impacts_forgery *f = ctx;
    bl_impact v[BL_IMPACTS_MAX];
    uint32_t n;
    size_t used;
    uint8_t *at = f->doc + ti->postings_offset, enc[BL_IMPACTS_MAX_BYTES];
    if (ti->doc_freq == 1)
        return 0; /* its impacts are the dictionary's */
    cr_assert(bl_impacts_decode(at, f->len - ti->postings_offset, v, &n, &used) == 0);
    v[0].len++;
    if ((n > 1 && v[0].len >= v[1].len) || bl_impacts_encode(v, n, enc) != used)
        return 0;
    memcpy(at, enc, used);
    f->forged = 1;
    return 1;
}

/* Writes a forged .doc of copy's first segment with its checksums
 * resealed, and gives the manifest its new fingerprint (the footer's
 * checksum, at 16 in the footer), so that only check can tell. */
static void write_resealed_doc(const char *copy, const char *doc, uint8_t *data, size_t len)
{
    uint8_t old_sum[8], new_sum[8];
    memcpy(old_sum, data + len - BL_FOOTER_BYTES + 16, 8);
    cr_assert(bl_test_reseal(data, len) == 0);
    memcpy(new_sum, data + len - BL_FOOTER_BYTES + 16, 8);
    cr_assert(bl_test_write_file(doc, (const char *)data, len) == 0);
    char mpath[4400];
    snprintf(mpath, sizeof mpath, "%s/MANIFEST", copy);
    size_t mlen;
    uint8_t *m = (uint8_t *)bl_test_read_file(mpath, &mlen), *hit = NULL;
    cr_assert(m && mlen > BL_FOOTER_BYTES + 8);
    for (size_t i = 0; i + 8 <= mlen - BL_FOOTER_BYTES && !hit; i++)
        hit = memcmp(m + i, old_sum, 8) == 0 ? m + i : NULL;
    cr_assert(hit, "the manifest does not hold the .doc's fingerprint");
    memcpy(hit, new_sum, 8);
    cr_assert(bl_test_reseal(m, mlen) == 0);
    cr_assert(bl_test_write_file(mpath, (const char *)m, mlen) == 0);
    free(m);
}

/* Reads the fresh copy's .doc into *doc (*len bytes), walks its dictionary
 * with forge (ctx), which damages *doc, sets *forged and stops the walk;
 * writes the .doc back resealed (checksums and manifest) and returns the
 * exit status of `byline check` on the copy. */
static int check_forged_doc(const char *copy, bl_termdict_visit_fn forge, void *ctx,
                            uint8_t **doc, size_t *len, const int *forged)
{
    char tdi[4400], path[4400];
    snprintf(tdi, sizeof tdi, "%s/seg_00000001.tdi", copy);
    snprintf(path, sizeof path, "%s/seg_00000001.doc", copy);
    *doc = (uint8_t *)bl_test_read_file(path, len);
    cr_assert(*doc && *len > BL_FOOTER_BYTES);
    bl_termdict *d;
    cr_assert_eq(bl_termdict_open(&d, tdi, 1), 0, "%s", bl_error_detail());
    cr_assert_eq(bl_termdict_prefix(d, "", 0, forge, ctx), 1);
    bl_termdict_close(d);
    cr_assert(*forged);
    write_resealed_doc(copy, path, *doc, *len);
    free(*doc);
    *doc = NULL;
    return run("check -i '%s'", copy);
}

/* Impacts below a posting (forged, checksums resealed) would let pruning
 * drop that document: `byline check` must find them and name the .doc. */
Test(badinput, impacts_below_a_posting)
{
    const char *copy = fresh_copy();
    impacts_forgery f = {0};
    int rc = check_forged_doc(copy, forge_term_impacts, &f, &f.doc, &f.len, &f.forged);
    cr_expect_eq(rc, 1, "check exit %d: %s%s", rc, out, err);
    cr_expect(strstr(out, "seg_00000001.doc") && strstr(out, "impacts are below"), "%s%s", out,
              err);
}

typedef struct {
    uint8_t *doc; /* the .doc file */
    size_t len;
    size_t word;  /* body offset of the forged bitmap word */
    int forged;
} bitmap_forgery;

/* Flips the highest bit of the first word of the first term's bitmap: in
 * the sample's segment of a few documents every list is dense, and that
 * bit is past the documents (or, with 64, the last one's). */
static int forge_bitmap_bit(void *ctx, const char *term, size_t len, const bl_terminfo *ti)
{
    (void)term, (void)len;
    bitmap_forgery *f = ctx;
    bl_impact v[BL_IMPACTS_MAX];
    uint32_t n;
    size_t used = 0; /* a list of one posting has no term impacts */
    if (ti->doc_freq > 1)
        cr_assert(bl_impacts_decode(f->doc + ti->postings_offset, f->len - ti->postings_offset,
                                    v, &n, &used) == 0);
    f->word = ((size_t)ti->postings_offset + used + 7) & ~(size_t)7;
    f->doc[f->word + 7] ^= 0x80;
    f->forged = 1;
    return 1;
}

/* A dense list's bitmap that disagrees with its list (one bit flipped,
 * checksums resealed) would make intersections miscount: `byline check`
 * must find it, naming the .doc and the offset of the word. */
Test(badinput, bitmap_disagreeing_with_its_list)
{
    const char *copy = fresh_copy();
    bitmap_forgery f = {0};
    int rc = check_forged_doc(copy, forge_bitmap_bit, &f, &f.doc, &f.len, &f.forged);
    char at[64];
    snprintf(at, sizeof at, "offset %zu: bitmap word 0", f.word);
    cr_expect_eq(rc, 1, "check exit %d: %s%s", rc, out, err);
    cr_expect(strstr(out, "seg_00000001.doc") && strstr(out, at), "want \"%s\" in: %s%s", at,
              out, err);
}

/* ---- word pairs (pairs.h) ---- */

/* Eight documents of the same length (so a list's impacts and bounds stay
 * true when its documents or tfs are swapped), every word dense: "alpha
 * beta" stands in document 2 only (document 3 holds both words apart),
 * "gamma delta" once in document 4 and twice in 5. */
static const char PAIRS_JSONL[] =
    "{\"id\":\"d0\",\"title\":\"Report\",\"body\":\"omega zeta omega zeta omega zeta\"}\n"
    "{\"id\":\"d1\",\"title\":\"Report\",\"body\":\"zeta omega zeta omega zeta omega\"}\n"
    "{\"id\":\"d2\",\"title\":\"Report\",\"body\":\"alpha beta omega zeta omega zeta\"}\n"
    "{\"id\":\"d3\",\"title\":\"Report\",\"body\":\"beta omega alpha zeta omega zeta\"}\n"
    "{\"id\":\"d4\",\"title\":\"Report\",\"body\":\"gamma delta omega zeta omega zeta\"}\n"
    "{\"id\":\"d5\",\"title\":\"Report\",\"body\":\"gamma delta gamma delta omega zeta\"}\n"
    "{\"id\":\"d6\",\"title\":\"Report\",\"body\":\"omega zeta omega zeta omega zeta\"}\n"
    "{\"id\":\"d7\",\"title\":\"Report\",\"body\":\"zeta omega zeta omega zeta omega\"}\n";
#define PAIRS_NDOCS 8

/* Indexes PAIRS_JSONL into tmp/pairs (checked clean) and copies it to a
 * fresh tmp/pairs_copy; returns the copy's path. lens gets the documents'
 * lengths. */
static const char *pairs_index_copy(uint32_t *lens)
{
    static char dir[4300], copy[4300];
    snprintf(dir, sizeof dir, "%s/pairs", tmp);
    snprintf(copy, sizeof copy, "%s/pairs_copy", tmp);
    const char *src = put_str("pairs.jsonl", PAIRS_JSONL);
    int rc = run("index -q -o '%s' '%s'", dir, src);
    cr_assert_eq(rc, 0, "index: %s", err);
    rc = run("check -i '%s'", dir);
    cr_assert_eq(rc, 0, "check of the clean index: %s%s", out, err);
    bl_index *ix;
    cr_assert_eq(bl_index_open(&ix, dir, 1), 0, "%s", bl_error_detail());
    cr_assert_eq(bl_index_segment_count(ix), 1);
    bl_segment *seg = bl_index_segment(ix, 0);
    cr_assert_eq(bl_segment_info(seg)->doc_count, PAIRS_NDOCS);
    for (uint32_t d = 0; d < PAIRS_NDOCS; d++)
        lens[d] = bl_segment_doc_len(seg, d);
    bl_index_close(ix);
    bl_test_rmtree(copy);
    cr_assert(bl_test_copy_dir(dir, copy) == 0, "cannot copy %s", dir);
    return copy;
}

typedef struct {
    uint8_t *doc;               /* the .doc file */
    size_t len;
    const char *a, *b;          /* the pair */
    const uint32_t *lens;       /* the segment's document lengths */
    uint32_t n;                 /* postings of its list */
    uint32_t docs[2], tfs[2];   /* as indexed */
    uint32_t fdocs[2], ftfs[2]; /* as forged */
    int forged;
} pair_forgery;

/* The bytes the postings writer gives a list without positions of n
 * postings in a segment of PAIRS_NDOCS documents (owned; *len bytes). */
static uint8_t *list_bytes(const uint32_t *docs, const uint32_t *tfs, uint32_t n,
                           const uint32_t *lens, size_t *len)
{
    char dpath[4400], ppath[4400];
    snprintf(dpath, sizeof dpath, "%s/forge.doc", tmp);
    snprintf(ppath, sizeof ppath, "%s/forge.pos", tmp);
    bl_postings_writer *w;
    bl_terminfo info;
    cr_assert_eq(bl_postings_writer_new(&w, dpath, ppath, PAIRS_NDOCS, BL_DENSE_RATIO,
                                        BL_CODEC_DEFAULT), 0);
    cr_assert_eq(bl_postings_writer_add(w, docs, tfs, n, NULL, lens, &info), 0, "%s",
                 bl_error_detail());
    cr_assert_eq(bl_postings_writer_finish(w), 0, "%s", bl_error_detail());
    size_t flen;
    uint8_t *f = (uint8_t *)bl_test_read_file(dpath, &flen);
    cr_assert(f && flen > BL_FOOTER_BYTES);
    *len = (size_t)bl_get_u64le(f + flen - 24); /* the footer's body_len */
    unlink(dpath);
    unlink(ppath);
    return f;
}

/* Rewrites the list of the pair f->a f->b in f->doc with the forged docs
 * and tfs, after checking that the writer gives its bytes as indexed (the
 * same codec and lengths), so the forged list is exactly as the writer
 * would have made it. */
static int forge_pair_list(void *ctx, const char *term, size_t len, const bl_terminfo *ti)
{
    pair_forgery *f = ctx;
    char key[BL_TERM_MAX_BYTES];
    size_t klen = bl_pair_key(f->a, strlen(f->a), f->b, strlen(f->b), key);
    if (len != klen || memcmp(term, key, len) != 0)
        return 0;
    cr_assert(ti->positionless && ti->doc_freq == f->n, "pair '%s %s': df %u", f->a, f->b,
              ti->doc_freq);
    size_t olen, flen;
    uint8_t *orig = list_bytes(f->docs, f->tfs, f->n, f->lens, &olen);
    uint8_t *forged = list_bytes(f->fdocs, f->ftfs, f->n, f->lens, &flen);
    cr_assert(olen == flen && ti->postings_offset + olen <= f->len);
    cr_assert(memcmp(f->doc + ti->postings_offset, orig, olen) == 0,
              "pair '%s %s': the index's list is not the one expected", f->a, f->b);
    cr_assert(memcmp(orig, forged, olen) != 0);
    memcpy(f->doc + ti->postings_offset, forged, flen);
    free(orig);
    free(forged);
    f->forged = 1;
    return 1;
}

/* check must fail naming the pair; searches that read the list must
 * answer (the forged list is well formed), never crash. */
static void expect_pair_forgery_found(const char *copy, pair_forgery *f)
{
    int rc = check_forged_doc(copy, forge_pair_list, f, &f->doc, &f->len, &f->forged);
    char name[64];
    snprintf(name, sizeof name, "pair '%s %s'", f->a, f->b);
    cr_expect_eq(rc, 1, "%s: check exit %d: %s%s", name, rc, out, err);
    cr_expect(strstr(out, name) || strstr(err, name), "check does not name %s: %s%s", name, out,
              err);
    const char *queries[] = {"\"alpha beta\"", "\"gamma delta\"", "\"alpha beta omega\"",
                             "\"gamma delta gamma\"", "zeta AND \"gamma delta\" -\"alpha beta\""};
    for (size_t q = 0; q < sizeof queries / sizeof *queries; q++) {
        rc = run("search -i '%s' --json '%s'", copy, queries[q]);
        cr_expect(rc == 0 || rc == 1, "%s: search %s: exit %d: %s", name, queries[q], rc, err);
        rc = run("search -i '%s' --count '%s'", copy, queries[q]);
        cr_expect(rc == 0 || rc == 1, "%s: search --count %s: exit %d: %s", name, queries[q], rc,
                  err);
    }
}

/* A pair's list that lost its document for another (resealed, so only the
 * check can tell): the pairs rebuilt from the words' positions disagree. */
Test(badinput, pair_list_with_a_wrong_document)
{
    uint32_t lens[PAIRS_NDOCS];
    const char *copy = pairs_index_copy(lens);
    pair_forgery f = {.a = "alpha", .b = "beta", .lens = lens, .n = 1, .docs = {2},
                      .tfs = {1}, .fdocs = {3}, .ftfs = {1}};
    expect_pair_forgery_found(copy, &f);
}

/* A pair's list whose tfs were swapped (the same documents, total, maximum
 * and impacts) is found too. */
Test(badinput, pair_list_with_wrong_tfs)
{
    uint32_t lens[PAIRS_NDOCS];
    const char *copy = pairs_index_copy(lens);
    pair_forgery f = {.a = "gamma", .b = "delta", .lens = lens, .n = 2, .docs = {4, 5},
                      .tfs = {1, 2}, .fdocs = {4, 5}, .ftfs = {2, 1}};
    expect_pair_forgery_found(copy, &f);
}

/* The byte offset of the max_tf_flags varint of every entry of a .tdi body
 * (FORMAT.md), in dictionary order, with each entry's term: calls
 * visit(ctx, term, len, at) until it returns non-zero. */
static void tdi_walk(const uint8_t *data, size_t flen,
                     int (*visit)(void *, const char *, size_t, size_t), void *ctx)
{
    size_t body = (size_t)bl_get_u64le(data + flen - 24);
    const uint8_t *tail = data + body - 28;
    uint64_t blocks_end = bl_get_u64le(tail), count = bl_get_u64le(tail + 8);
    uint64_t nblocks = bl_get_u64le(tail + 16);
    uint32_t per = bl_get_u32le(tail + 24);
    cr_assert(nblocks > 0 && blocks_end + 8 * nblocks <= body);
    char term[BL_TERM_MAX_BYTES + 1];
    for (uint64_t b = 0; b < nblocks; b++) {
        size_t at = (size_t)bl_get_u64le(data + blocks_end + 8 * b);
        uint64_t n = b + 1 < nblocks ? per : count - (nblocks - 1) * per;
        for (uint64_t e = 0; e < n; e++) {
            size_t shared = data[at], suffix = data[at + 1];
            cr_assert(shared + suffix <= BL_TERM_MAX_BYTES);
            memcpy(term + shared, data + at + 2, suffix);
            term[shared + suffix] = 0;
            at += 2 + suffix;
            for (int v = 0; v < 4; v++) /* doc_freq extra_freq postings positions */
                while (data[at++] & 0x80)
                    ;
            if (visit(ctx, term, shared + suffix, at))
                return;
            for (int v = 0; v < 2; v++) /* max_tf_flags min_len */
                while (data[at++] & 0x80)
                    ;
        }
    }
}

typedef struct {
    int pair;          /* forge a pair (else a word) */
    size_t at;         /* where its max_tf_flags starts */
    char term[BL_TERM_MAX_BYTES + 1];
    size_t len;
} flag_forgery;

static int find_flag(void *ctx, const char *term, size_t len, size_t at)
{
    flag_forgery *f = ctx;
    if (bl_term_is_pair(term, len) != f->pair)
        return 0;
    memcpy(f->term, term, len + 1);
    f->len = len;
    f->at = at;
    return 1;
}

/* Flips the positionless flag (max_tf_flags' low bit) of the sample
 * index's first word, or first pair, in a fresh copy's .tdi, resealed
 * with the manifest's fingerprint; returns the copy. */
static const char *forge_flag(flag_forgery *f)
{
    const char *copy = fresh_copy();
    char path[4400];
    snprintf(path, sizeof path, "%s/seg_00000001.tdi", copy);
    size_t len;
    uint8_t *data = (uint8_t *)bl_test_read_file(path, &len);
    cr_assert(data && len > BL_FOOTER_BYTES + 28);
    tdi_walk(data, len, find_flag, f);
    cr_assert(f->len > 0, "the sample index has no %s", f->pair ? "pair" : "word");
    cr_assert_eq(data[f->at] & 1, f->pair, "the flag of '%s' is not as written", f->term);
    data[f->at] ^= 1;
    write_resealed_doc(copy, path, data, len);
    free(data);
    return copy;
}

/* A word's list marked as having no positions (resealed) is damage that
 * check reports, naming the word and what is wrong with it; searches
 * answer or fail cleanly. */
Test(badinput, word_marked_without_positions)
{
    flag_forgery f = {.pair = 0};
    const char *copy = forge_flag(&f);
    int rc = run("check -i '%s'", copy);
    cr_expect_eq(rc, 1, "check exit %d: %s%s", rc, out, err);
    char name[BL_TERM_MAX_BYTES + 8];
    snprintf(name, sizeof name, "'%s'", f.term);
    /* (a word read as if it had no positions fails in other ways too, but
     * the message must say what is wrong with it) */
    cr_expect(strstr(out, name) && strstr(out, "without positions"),
              "check does not say %s lacks positions: %s%s", name, out, err);
    rc = run("search -i '%s' --json '%s'", copy, f.term);
    cr_expect(rc == 0 || rc == 1 || rc == 3, "search %s: exit %d: %s", f.term, rc, err);
    rc = run("search -i '%s' --json '\"%s %s\"'", copy, f.term, f.term);
    cr_expect(rc == 0 || rc == 1 || rc == 3, "search: exit %d: %s", rc, err);
}

/* A pair's list marked as having positions (resealed) is damage that check
 * reports in the dictionary (naming it, or saying a pair has positions);
 * searches answer or fail cleanly. */
Test(badinput, pair_marked_with_positions)
{
    flag_forgery f = {.pair = 1};
    const char *copy = forge_flag(&f);
    int rc = run("check -i '%s'", copy);
    cr_expect_eq(rc, 1, "check exit %d: %s%s", rc, out, err);
    cr_expect(strstr(out, "seg_00000001.tdi") || strstr(out, "pair with positions"), "%s%s", out,
              err);
    const char *sep = memchr(f.term + 1, 0xFF, f.len - 1);
    cr_assert_not_null(sep);
    char phrase[2 * BL_TERM_MAX_BYTES + 8];
    snprintf(phrase, sizeof phrase, "\"%.*s %s\"", (int)(sep - f.term - 1), f.term + 1, sep + 1);
    rc = run("search -i '%s' --json '%s'", copy, phrase);
    cr_expect(rc == 0 || rc == 1 || rc == 3, "search %s: exit %d: %s", phrase, rc, err);
    rc = run("check -i '%s'", idx);
    cr_expect_eq(rc, 0, "the clean index: %s%s", out, err);
}
