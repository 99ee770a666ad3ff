/* test_indexdir.c: the index directory under attack: concurrent writers,
 * files that are not regular files, files swapped between segments, forged
 * manifests, and missing parent directories.
 *
 * Concurrent writers: several `byline index -o DIR` processes start at once
 * into one directory (new or existing). Each adds one article holding its
 * own marker word; some are given a bad file and must fail. Afterwards
 * `check` passes and the index holds exactly the markers of the writers
 * that exited 0: a writer that lost the lock race removes nothing, and a
 * failed writer removes only what it created. */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "manifest.h"
#include "postings.h"

static char *tmp;
static char *out, *err;

#define run(...) bl_test_byline_f(&out, &err, __VA_ARGS__)

static void forget(void)
{
    free(out);
    free(err);
    out = err = NULL;
}

static void setup(void)
{
    tmp = bl_test_tmpdir();
    cr_assert(tmp, "cannot make a temporary directory");
}

static void teardown(void)
{
    forget();
    if (tmp)
        bl_test_rmtree(tmp);
    free(tmp);
    tmp = NULL;
}

TestSuite(indexdir, .init = setup, .fini = teardown, .timeout = 600);

/* Starts `byline index -q -o dir file` in the background; returns its pid. */
static pid_t spawn_index(const char *dir, const char *file)
{
    pid_t pid = fork();
    cr_assert(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0) {
            dup2(null, 1);
            dup2(null, 2);
        }
        execl(bl_test_byline(), "byline", "index", "-q", "-o", dir, file, (char *)NULL);
        _exit(127);
    }
    return pid;
}

#define WRITERS 6

/* One round: WRITERS processes at once into dir, every third one with a
 * bad file. Checks the outcome described at the top of the file. */
static void writers_round(const char *dir, int round)
{
    char files[WRITERS][4200];
    pid_t pids[WRITERS];
    for (int w = 0; w < WRITERS; w++) {
        int bad = w % 3 == 2;
        snprintf(files[w], sizeof files[w], "%s/in_%d_%d.%s", tmp, round, w,
                 bad ? "jsonl" : "txt");
        char text[200];
        int n = bad ? snprintf(text, sizeof text, "{\"title\": \"marker%dx%d\"}\n{broken\n", round, w)
                    : snprintf(text, sizeof text, "Title %d\n\nmarker%dx%d is here.\n", w, round, w);
        cr_assert(bl_test_write_file(files[w], text, (size_t)n) == 0);
    }
    for (int w = 0; w < WRITERS; w++)
        pids[w] = spawn_index(dir, files[w]);
    int ok[WRITERS], any_ok = 0;
    for (int w = 0; w < WRITERS; w++) {
        int status;
        cr_assert(waitpid(pids[w], &status, 0) == pids[w]);
        cr_assert(WIFEXITED(status), "round %d: writer %d died from a signal", round, w);
        ok[w] = WEXITSTATUS(status) == 0;
        cr_assert(!(ok[w] && w % 3 == 2), "round %d: writer %d indexed a broken file", round, w);
        any_ok |= ok[w];
    }
    struct stat st;
    char manifest[4300];
    snprintf(manifest, sizeof manifest, "%s/MANIFEST", dir);
    if (!any_ok && stat(manifest, &st) != 0)
        return; /* no writer committed into a new directory: nothing to check */
    cr_assert(run("check -i '%s'", dir) == 0, "round %d: check failed: %s%s", round, out, err);
    for (int w = 0; w < WRITERS; w++) {
        run("search -i '%s' --count marker%dx%d", dir, round, w);
        cr_assert(atoi(out) == ok[w], "round %d: writer %d exited %s but its article is %s", round,
                  w, ok[w] ? "0" : "non-zero", atoi(out) ? "there" : "missing");
    }
}

Test(indexdir, concurrent_writers_into_a_new_directory)
{
    for (int round = 0; round < 25; round++) {
        char dir[4200];
        snprintf(dir, sizeof dir, "%s/new%d", tmp, round);
        writers_round(dir, round);
    }
}

Test(indexdir, concurrent_writers_into_an_existing_index)
{
    char dir[4200], seed[4200];
    snprintf(dir, sizeof dir, "%s/idx", tmp);
    snprintf(seed, sizeof seed, "%s/corpus/sample", bl_test_root());
    cr_assert(run("index -q -o '%s' '%s'", dir, seed) == 0, "%s", err);
    for (int round = 0; round < 10; round++)
        writers_round(dir, round);
    cr_assert(run("search -i '%s' --count wagner", dir) == 0, "the first articles were lost");
}

/* A first run that fails leaves no trace, parents included; a writer that
 * lost the race leaves the winner's directory alone. */
Test(indexdir, failed_first_run_into_missing_parents_leaves_no_trace)
{
    char dir[4200], bad[4200], top[4200];
    snprintf(top, sizeof top, "%s/a", tmp);
    snprintf(dir, sizeof dir, "%s/a/b/idx", tmp);
    snprintf(bad, sizeof bad, "%s/bad.jsonl", tmp);
    cr_assert(bl_test_write_file(bad, "{broken\n", 8) == 0);
    cr_assert(run("index -q -o '%s' '%s'", dir, bad) == 3);
    struct stat st;
    cr_assert(stat(top, &st) != 0 && errno == ENOENT, "%s was left behind", top);
}

Test(indexdir, missing_parents_are_created)
{
    char dir[4200], seed[4200];
    snprintf(dir, sizeof dir, "%s/a/b/idx", tmp);
    snprintf(seed, sizeof seed, "%s/corpus/sample", bl_test_root());
    cr_assert(run("index -q -o '%s' '%s'", dir, seed) == 0, "%s", err);
    cr_assert(run("search -i '%s' --count wagner", dir) == 0, "%s", err);
}

/* Builds the sample index in tmp/idx (into path, which must hold 4200). */
static void sample_index(char *path)
{
    char seed[4200];
    snprintf(path, 4200, "%s/idx", tmp);
    snprintf(seed, sizeof seed, "%s/corpus/sample", bl_test_root());
    cr_assert(run("index -q -o '%s' '%s'", path, seed) == 0, "%s", err);
}

/* Replaces dir/name by a FIFO; search and check must fail at once, not
 * block on opening it (timeout exits 124). */
static void fifo_in_place_of(const char *name)
{
    char idx[4200], path[4400];
    sample_index(idx);
    snprintf(path, sizeof path, "%s/%s", idx, name);
    cr_assert(unlink(path) == 0 && mkfifo(path, 0644) == 0, "%s: %s", path, strerror(errno));
    forget();
    int rc = bl_test_runf(NULL, &err, "timeout 20 '%s' search -i '%s' wagner", bl_test_byline(), idx);
    cr_assert(rc == 3, "search with a FIFO for %s: status %d (124: it hung)", name, rc);
    cr_assert(strstr(err, name), "the message does not name %s: %s", name, err);
    forget();
    rc = bl_test_runf(&out, &err, "timeout 20 '%s' check -i '%s'", bl_test_byline(), idx);
    cr_assert(rc == 1, "check with a FIFO for %s: status %d (124: it hung)", name, rc);
    cr_assert(strstr(out, name) && strstr(out, "not a regular file"), "%s", out);
}

Test(indexdir, fifo_segment_file_fails_fast) { fifo_in_place_of("seg_00000001.sto"); }
Test(indexdir, fifo_dictionary_fails_fast) { fifo_in_place_of("seg_00000001.tdi"); }
Test(indexdir, fifo_manifest_fails_fast) { fifo_in_place_of("MANIFEST"); }

Test(indexdir, lock_symlink_is_not_followed)
{
    char idx[4200], lock[4400], target[4400], seed[4200];
    sample_index(idx);
    snprintf(lock, sizeof lock, "%s/LOCK", idx);
    snprintf(target, sizeof target, "%s/victim", tmp);
    cr_assert(unlink(lock) == 0 && symlink(target, lock) == 0);
    snprintf(seed, sizeof seed, "%s/corpus/sample", bl_test_root());
    cr_assert(run("index -q -o '%s' '%s'", idx, seed) == 3, "indexing through a LOCK symlink");
    cr_assert(strstr(err, "LOCK"), "%s", err);
    struct stat st;
    cr_assert(lstat(target, &st) != 0, "the symlink's target was created");
}

Test(indexdir, lock_fifo_does_not_hang)
{
    char idx[4200], lock[4400], seed[4200];
    sample_index(idx);
    snprintf(lock, sizeof lock, "%s/LOCK", idx);
    cr_assert(unlink(lock) == 0 && mkfifo(lock, 0644) == 0);
    snprintf(seed, sizeof seed, "%s/corpus/sample", bl_test_root());
    forget();
    int rc = bl_test_runf(NULL, &err, "timeout 20 '%s' index -q -o '%s' '%s'", bl_test_byline(),
                          idx, seed);
    cr_assert(rc == 3, "status %d (124: it hung): %s", rc, err);
}

/* Two segments in tmp/idx, one article file each. */
static void two_segment_index(char *path)
{
    char a[4200], b[4200];
    snprintf(path, 4200, "%s/idx", tmp);
    snprintf(a, sizeof a, "%s/a.txt", tmp);
    snprintf(b, sizeof b, "%s/b.txt", tmp);
    const char *ta = "Alpha title\n\nThe first article mentions wagner.\n";
    const char *tb = "Beta title\n\nThe second article mentions patriot missiles twice: patriot.\n";
    cr_assert(bl_test_write_file(a, ta, strlen(ta)) == 0 && bl_test_write_file(b, tb, strlen(tb)) == 0);
    cr_assert(run("index -q -o '%s' '%s'", path, a) == 0, "%s", err);
    cr_assert(run("index -q -o '%s' '%s'", path, b) == 0, "%s", err);
}

/* Copying a file of segment 2 over the same file of segment 1 (both well
 * formed, checksums intact) must be caught by check and search alike. */
Test(indexdir, file_swapped_between_segments_is_caught)
{
    static const char *const exts[] = {"tdi", "doc", "pos", "len", "sto", "inf", "ids"};
    char idx[4200];
    two_segment_index(idx);
    char pristine[4300];
    snprintf(pristine, sizeof pristine, "%s/pristine", tmp);
    cr_assert(bl_test_copy_dir(idx, pristine) == 0);
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
        char copy[4300], from[4400], to[4400], name[64];
        snprintf(copy, sizeof copy, "%s/swap_%s", tmp, exts[i]);
        cr_assert(bl_test_copy_dir(pristine, copy) == 0);
        snprintf(name, sizeof name, "seg_00000001.%s", exts[i]);
        snprintf(from, sizeof from, "%s/seg_00000002.%s", copy, exts[i]);
        snprintf(to, sizeof to, "%s/%s", copy, name);
        size_t len;
        char *data = bl_test_read_file(from, &len);
        cr_assert(data && bl_test_write_file(to, data, len) == 0);
        free(data);
        cr_expect_eq(run("check -i '%s'", copy), 1, "check passed with %s swapped: %s", name, out);
        cr_expect(strstr(out, name), "check does not name %s: %s", name, out);
        cr_expect_eq(run("search -i '%s' wagner", copy), 3, "search with %s swapped: %s%s", name,
                     out, err);
        cr_expect(strstr(err, name), "search does not name %s: %s", name, err);
    }
}

/* Rewrites idx/MANIFEST through the manifest API (a well-formed forgery). */
static void forge_manifest(const char *idx, void (*edit)(bl_manifest *))
{
    bl_manifest m;
    cr_assert(bl_manifest_read(idx, &m) == 0);
    edit(&m);
    int renamed;
    cr_assert(bl_manifest_commit(idx, &m, &renamed) == 0);
    bl_manifest_release(&m);
}

static void list_first_segment_twice(bl_manifest *m) { m->segments[1] = m->segments[0]; }
static void say_french(bl_manifest *m) { snprintf(m->lang, sizeof m->lang, "french"); }

/* A two-segment index whose manifest edit forged (checksum sealed) is
 * refused by check (exit 1, its report holding says and says_too) and by
 * search (exit 3, its message holding says). */
static void expect_forged_manifest_refused(void (*edit)(bl_manifest *), const char *says,
                                           const char *says_too)
{
    char idx[4200];
    two_segment_index(idx);
    forge_manifest(idx, edit);
    cr_expect_eq(run("check -i '%s'", idx), 1, "%s", out);
    cr_expect(strstr(out, says) && strstr(out, says_too), "%s", out);
    cr_expect_eq(run("search -i '%s' wagner", idx), 3, "%s", err);
    cr_expect(strstr(err, says), "%s", err);
}

Test(indexdir, manifest_listing_a_segment_twice_is_refused)
{
    expect_forged_manifest_refused(list_first_segment_twice, "listed twice", "listed twice");
}

Test(indexdir, manifest_language_differing_from_segments_is_refused)
{
    expect_forged_manifest_refused(say_french, "french", "english");
}

static void say_compact(bl_manifest *m) { m->segments[0].dense_ratio = BL_DENSE_RATIO_COMPACT; }

/* A segment's dense ratio says which of its lists have bitmaps and which
 * pairs it holds: a manifest that disagrees with the segment's .inf would
 * have it misread, so it is refused; the index's own setting (the
 * header's) is only what new segments get. */
Test(indexdir, manifest_dense_ratio_differing_from_segment_is_refused)
{
    expect_forged_manifest_refused(say_compact, "dense ratio 16", ".inf");
}

static void index_ratio_too_high(bl_manifest *m) { m->dense_ratio = BL_DENSE_RATIO_MAX + 1; }
static void segment_ratio_too_high(bl_manifest *m)
{
    m->segments[1].dense_ratio = BL_DENSE_RATIO_MAX + 1;
}

/* A dense ratio no writer records (one that would give every word a
 * bitmap and every adjacent pair a list in new segments) is damage. */
Test(indexdir, manifest_dense_ratio_out_of_range_is_refused)
{
    char idx[4200];
    void (*const edits[])(bl_manifest *) = {index_ratio_too_high, segment_ratio_too_high};
    for (int i = 0; i < 2; i++) {
        two_segment_index(idx);
        forge_manifest(idx, edits[i]);
        cr_expect_eq(run("check -i '%s'", idx), 1, "%s", out);
        cr_expect(strstr(out, "dense ratio 65") && strstr(out, "MANIFEST: offset "), "%s", out);
        char manifest[4400], seed[4300];
        snprintf(manifest, sizeof manifest, "%s/MANIFEST", idx);
        snprintf(seed, sizeof seed, "%s/corpus/sample", bl_test_root());
        size_t len_before, len_after;
        char *before = bl_test_read_file(manifest, &len_before);
        cr_expect_eq(run("index -q -o '%s' '%s'", idx, seed), 3, "%s", err);
        cr_expect(strstr(err, "dense ratio 65"), "%s", err);
        char *after = bl_test_read_file(manifest, &len_after);
        cr_expect(before && after && len_before == len_after &&
                  memcmp(before, after, len_after) == 0, "the refused run changed the manifest");
        free(before);
        free(after);
        char aside[4300]; /* the next round builds its index at the same path */
        snprintf(aside, sizeof aside, "%s.%d", idx, i);
        cr_assert(rename(idx, aside) == 0);
    }
}

/* A file of an older format version (footer field at offset -28) is
 * refused with a message that says to rebuild, never misread. */
Test(indexdir, older_format_is_refused_with_rebuild_advice)
{
    char idx[4200], path[4400];
    sample_index(idx);
    snprintf(path, sizeof path, "%s/MANIFEST", idx);
    size_t len;
    char *data = bl_test_read_file(path, &len);
    cr_assert(data && len > 32);
    data[len - 28] = 1;
    data[len - 27] = data[len - 26] = data[len - 25] = 0;
    cr_assert(bl_test_write_file(path, data, len) == 0);
    free(data);
    cr_expect_eq(run("search -i '%s' wagner", idx), 3, "%s", err);
    cr_expect(strstr(err, "older byline") && strstr(err, "index the articles again"), "%s", err);
}

/* An article whose id is already in the index replaces it: indexing the
 * same files again leaves one copy of each (the old ones deleted in the
 * same commit), a changed file's new text is what a search finds, and two
 * articles of one run with the same id are still refused. */
Test(indexdir, reindexing_replaces_articles)
{
    char idx[4200], copy[4200], path[4400];
    snprintf(copy, sizeof copy, "%s/sample", tmp);
    char seed[4200];
    snprintf(seed, sizeof seed, "%s/corpus/sample", bl_test_root());
    cr_assert_eq(bl_test_copy_dir(seed, copy), 0);
    snprintf(idx, sizeof idx, "%s/idx", tmp);
    cr_assert_eq(run("index -q -o '%s' '%s'", idx, copy), 0, "%s", err);
    run("search -i '%s' --count wagner", idx);
    cr_assert_eq(atoi(out), 2, "wagner: %s", out);

    cr_assert_eq(run("index -o '%s' '%s'", idx, copy), 0, "%s", err);
    cr_expect(strstr(err, "2 articles replaced"), "%s", err);
    run("search -i '%s' --count wagner", idx);
    cr_expect_eq(atoi(out), 2, "wagner after indexing again: %s", out);
    cr_assert_eq(run("check -i '%s'", idx), 0, "%s", out);
    /* the old segment, all of it replaced, left at once (merge policy) */
    cr_expect(strstr(out, "1 segment, 2 documents,"), "%s", out);

    /* a changed article: the old text no longer matches, the new does */
    snprintf(path, sizeof path, "%s/000_97fc659374a10e1e.txt", copy);
    const char *text = "Mercenaries\n\nA rewritten article about zeppelins.\n";
    cr_assert(unlink(path) == 0 && bl_test_write_file(path, text, strlen(text)) == 0);
    cr_assert_eq(run("index -q -o '%s' '%s'", idx, path), 0, "%s", err);
    run("search -i '%s' --count wagner", idx);
    cr_expect_eq(atoi(out), 1, "wagner after the change: %s", out);
    run("search -i '%s' --count zeppelins", idx);
    cr_expect_eq(atoi(out), 1, "zeppelins: %s", out);
    cr_assert_eq(run("check -i '%s'", idx), 0, "%s", out);

    /* one id twice in a run is an error, and the index stays as it was */
    static const char *const not_lock[] = {"LOCK", NULL};
    size_t before_len, after_len;
    char *before = bl_test_dir_snapshot(idx, not_lock, &before_len);
    snprintf(path, sizeof path, "%s/twice.jsonl", tmp);
    const char *twice = "{\"id\":\"x1\",\"text\":\"one\"}\n{\"id\":\"x1\",\"text\":\"two\"}\n";
    cr_assert(bl_test_write_file(path, twice, strlen(twice)) == 0);
    cr_assert_eq(run("index -q -o '%s' '%s'", idx, path), 3, "%s", err);
    cr_expect(strstr(err, "duplicate id"), "%s", err);
    char *after = bl_test_dir_snapshot(idx, not_lock, &after_len);
    cr_assert(before && after && before_len == after_len && memcmp(before, after, before_len) == 0,
              "the index changed");
    free(before);
    free(after);
}

/* An index inside the folder being indexed is never read as articles. */
Test(indexdir, index_inside_the_input_folder_is_not_read)
{
    char dir[4200], idx[4300], path[4300];
    snprintf(dir, sizeof dir, "%s/folder", tmp);
    snprintf(idx, sizeof idx, "%s/idx", dir);
    snprintf(path, sizeof path, "%s/note", dir);
    cr_assert(mkdir(dir, 0755) == 0);
    const char *text = "Note\n\nA note about wagner.\n";
    cr_assert(bl_test_write_file(path, text, strlen(text)) == 0);
    cr_assert_eq(run("index -q -o '%s' --format txt '%s'", idx, dir), 0, "%s", err);
    cr_assert_eq(run("index -o '%s' --format txt --skip-bad '%s'", idx, dir), 0, "%s", err);
    cr_expect(!strstr(err, "seg_") && !strstr(err, "MANIFEST"), "read its own files: %s", err);
    run("search -i '%s' --count wagner", idx);
    cr_expect_eq(atoi(out), 1, "%s", out);
}

/* Segment files without a MANIFEST are a damaged index, never orphans to
 * delete: index refuses to touch them. */
Test(indexdir, segments_without_manifest_are_left_alone)
{
    static const char *const none[] = {NULL};
    char idx[4200], path[4400];
    two_segment_index(idx);
    snprintf(path, sizeof path, "%s/MANIFEST", idx);
    cr_assert(unlink(path) == 0);
    size_t before_len, after_len;
    char *before = bl_test_dir_snapshot(idx, none, &before_len);
    char fresh[4300];
    snprintf(fresh, sizeof fresh, "%s/c.txt", tmp);
    const char *text = "Gamma\n\nA third article.\n";
    cr_assert(bl_test_write_file(fresh, text, strlen(text)) == 0);
    cr_assert_eq(run("index -q -o '%s' '%s'", idx, fresh), 3, "%s", err);
    cr_expect(strstr(err, "segment files but no MANIFEST"), "%s", err);
    char *after = bl_test_dir_snapshot(idx, none, &after_len);
    cr_expect(before && after && before_len == after_len && !memcmp(before, after, before_len),
              "segment files were touched");
    free(before);
    free(after);
    cr_expect_eq(run("check -i '%s'", idx), 1, "%s", out);
}

/* What a first run killed mid-way leaves: an empty (generation 0) MANIFEST
 * and orphan segment files. The next writer removes the orphans and
 * indexes; a first run that fails removes its empty MANIFEST too. */
Test(indexdir, first_run_killed_midway_is_recovered)
{
    char idx[4200], orphan[4400], fresh[4300];
    snprintf(idx, sizeof idx, "%s/idx", tmp);
    cr_assert(mkdir(idx, 0755) == 0);
    bl_manifest m = {.next_segment = 1, .analyzer_version = BL_ANALYZER_VERSION,
                     .dense_ratio = BL_DENSE_RATIO};
    snprintf(m.lang, sizeof m.lang, "english");
    int renamed;
    cr_assert(bl_manifest_commit(idx, &m, &renamed) == 0);
    snprintf(orphan, sizeof orphan, "%s/seg_00000001.sto", idx);
    cr_assert(bl_test_write_file(orphan, "partial", 7) == 0);
    snprintf(fresh, sizeof fresh, "%s/c.txt", tmp);
    const char *text = "Gamma\n\nA third article about wagner.\n";
    cr_assert(bl_test_write_file(fresh, text, strlen(text)) == 0);
    cr_assert_eq(run("index -q -o '%s' '%s'", idx, fresh), 0, "%s", err);
    cr_assert_eq(run("check -i '%s'", idx), 0, "%s", out);
    run("search -i '%s' --count wagner", idx);
    cr_expect_eq(atoi(out), 1, "%s", out);

    /* A failed first run into an existing empty directory leaves it empty. */
    char empty[4300], bad[4300], manifest[4400];
    snprintf(empty, sizeof empty, "%s/empty", tmp);
    snprintf(bad, sizeof bad, "%s/bad.jsonl", tmp);
    snprintf(manifest, sizeof manifest, "%s/MANIFEST", empty);
    cr_assert(mkdir(empty, 0755) == 0 && bl_test_write_file(bad, "{broken\n", 8) == 0);
    cr_assert_eq(run("index -q -o '%s' '%s'", empty, bad), 3, "%s", err);
    struct stat st;
    cr_expect(lstat(manifest, &st) != 0, "the failed first run left a MANIFEST");
}

/* Writer A holds the lock on DIR and is still reading articles from its
 * stdin when DIR is moved away and writer B makes a new index at the same
 * path. Whether A then fails (a broken last line) or succeeds, it must not
 * delete B's files nor commit into B's index. */
static void writer_outlived_by_its_directory(int a_fails)
{
    char idx[4200], moved[4200], b_in[4300];
    snprintf(idx, sizeof idx, "%s/idx", tmp);
    snprintf(moved, sizeof moved, "%s/idx.old", tmp);
    signal(SIGPIPE, SIG_IGN); /* should A exit early, fail an assert, not die */
    int pipefd[2];
    cr_assert(pipe(pipefd) == 0);
    pid_t a = fork();
    cr_assert(a >= 0);
    if (a == 0) {
        dup2(pipefd[0], 0);
        close(pipefd[1]);
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
        /* -j 1: one thread starts its segment at the first article, which
         * the test waits for; workers start theirs when a chunk fills */
        execl(bl_test_byline(), "byline", "index", "-q", "-j", "1", "-o", idx, "--format",
              "jsonl", "-", (char *)NULL);
        _exit(127);
    }
    close(pipefd[0]);
    const char *first = "{\"id\": \"a1\", \"title\": \"Alpha\", \"body\": \"first numbat\"}\n";
    cr_assert(write(pipefd[1], first, strlen(first)) == (ssize_t)strlen(first));
    /* Blank lines (skipped) push the first article through A's read buffer. */
    static char blanks[256 * 1024];
    memset(blanks, '\n', sizeof blanks);
    cr_assert(write(pipefd[1], blanks, sizeof blanks) == (ssize_t)sizeof blanks);
    /* Wait until A has started its segment (so it holds the lock). Probing
     * the lock itself could make A lose it. */
    char started[4400];
    snprintf(started, sizeof started, "%s/seg_00000001.sto", idx);
    struct stat st;
    for (int i = 0; i < 4000 && stat(started, &st) != 0; i++)
        usleep(5000);
    cr_assert(stat(started, &st) == 0, "writer A did not start");
    cr_assert(rename(idx, moved) == 0, "rename: %s", strerror(errno));
    snprintf(b_in, sizeof b_in, "%s/b.txt", tmp);
    const char *text = "Beta\n\nThe second writer's quokka.\n";
    cr_assert(bl_test_write_file(b_in, text, strlen(text)) == 0);
    cr_assert_eq(run("index -q -o '%s' '%s'", idx, b_in), 0, "%s", err);
    const char *last = a_fails ? "{broken\n"
                               : "{\"id\": \"a2\", \"title\": \"Alpha 2\", \"body\": \"numbat\"}\n";
    cr_assert(write(pipefd[1], last, strlen(last)) == (ssize_t)strlen(last));
    close(pipefd[1]);
    int status;
    cr_assert(waitpid(a, &status, 0) == a && WIFEXITED(status));
    cr_expect_eq(WEXITSTATUS(status), 3, "A committed into a directory that is no longer its own");
    cr_assert_eq(run("check -i '%s'", idx), 0, "B's index was damaged: %s", out);
    run("search -i '%s' --count quokka", idx);
    cr_expect_eq(atoi(out), 1, "%s", out);
    run("search -i '%s' --count numbat", idx);
    cr_expect_eq(atoi(out), 0, "A's articles went into B's index: %s", out);
}

Test(indexdir, failing_writer_whose_directory_was_replaced)
{
    writer_outlived_by_its_directory(1);
}

Test(indexdir, succeeding_writer_whose_directory_was_replaced)
{
    writer_outlived_by_its_directory(0);
}
