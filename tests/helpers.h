/* helpers.h: shared test utilities: seeds, random numbers, temp dirs, and
 * building an index straight from articles in memory. */
#ifndef BL_TEST_HELPERS_H
#define BL_TEST_HELPERS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "loader.h"

/* The seed for randomized tests: $BYLINE_SEED if set (and not empty), else
 * time-based. Prints "NAME: seed N (replay with BYLINE_SEED=N)" to stderr. */
uint64_t bl_test_seed(const char *name);

/* bl_test_seed with a fixed seed instead of a time-based one, for suites
 * that replay the same inputs on every run unless $BYLINE_SEED says
 * otherwise. */
uint64_t bl_test_seed_or(const char *name, uint64_t fallback);

/* The seed bl_test_seed or bl_test_seed_or last returned in this process
 * (Criterion runs each test in its own), 0 before the first. */
uint64_t bl_test_last_seed(void);

/* Fails the current Criterion test unless cond, naming the seed of the
 * test's random inputs and the SIMD path (impl, a string) it ran on. */
#define BL_TEST_CHECK_ON_PATH(impl, cond, fmt, ...)                                \
    do {                                                                           \
        if (!(cond))                                                               \
            cr_assert_fail("seed %llu, path %s: %s: " fmt,                         \
                           (unsigned long long)bl_test_last_seed(), (impl), #cond, \
                           ##__VA_ARGS__);                                         \
    } while (0)

/* xorshift64* generator. */
typedef struct {
    uint64_t s;
} bl_rng;
void bl_rng_init(bl_rng *r, uint64_t seed);
uint64_t bl_rng_next(bl_rng *r);
/* Uniform in [0, n). */
uint32_t bl_rng_below(bl_rng *r, uint32_t n);

/* Creates a fresh directory under $TMPDIR; returns an owned path. */
char *bl_test_tmpdir(void);

/* Removes a directory tree (rm -rf). */
void bl_test_rmtree(const char *path);

/* A suite's teardown of its scratch: frees *out and *err (captured
 * output), removes the directory *tmp and frees its path; all set to NULL
 * (any may be NULL already). */
void bl_test_scratch_release(char **tmp, char **out, char **err);

/* Builds (or extends) an index in dir from arts[0..n), starting a new
 * segment every per_segment articles. Returns 0 or a BL_E code. */
int bl_test_build_index(const char *dir, const bl_article *arts, size_t n,
                        const char *lang, size_t per_segment);

/* Writes data to path (creating it). Returns 0 or -1. */
int bl_test_write_file(const char *path, const void *data, size_t len);

/* Re-seals a framed index file (filefmt.h) after its body was changed in
 * place: recomputes every page checksum and the footer's checksum, so only
 * structural checks can see the damage. Returns 0, or -1 if data[0..len)
 * does not end in a footer whose sizes fit len. */
int bl_test_reseal(uint8_t *data, size_t len);

/* Reads a whole file; returns an owned NUL-terminated buffer or NULL. */
char *bl_test_read_file(const char *path, size_t *len);

/* Runs a shell command line, capturing stdout and stderr into owned
 * strings (either out pointer may be NULL); returns the exit status, 128+N
 * if the command was killed by signal N (as a shell reports it), or -1 if
 * it could not be run. */
int bl_test_run(const char *cmdline, char **out, char **err);

/* bl_test_run with a printf-style command line. */
int bl_test_runf(char **out, char **err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Non-zero if a captured stderr holds an AddressSanitizer/UBSan report
 * (under SANITIZE=1 those exit with status 1, which a test could mistake
 * for an expected exit status). NULL counts as clean. */
int bl_test_sanitizer_report(const char *err);

/* A byte-exact picture of a flat directory: the sorted names of its
 * entries, each regular file's size and bytes, leaving out the names in
 * skip (a NULL-terminated list, or NULL). Two snapshots are equal iff the
 * lengths and bytes are. Returns an owned buffer (*len gets its length),
 * or NULL if the directory cannot be read. */
char *bl_test_dir_snapshot(const char *dir, const char *const *skip, size_t *len);

/* Copies the regular files of directory src (not recursive) into dst,
 * creating dst. Returns 0 or -1. */
int bl_test_copy_dir(const char *src, const char *dst);

/* Runs `byline ARGS` (ARGS from fmt, shell-quoted by the caller) with its
 * stdout and stderr in *out and *err (freed first, so the caller can keep
 * calling with the same pointers); fails the current Criterion test if
 * byline died from a signal, a sanitizer reported, or output was not
 * captured. Returns the exit status. */
int bl_test_byline_v(char **out, char **err, const char *fmt, va_list ap);

/* bl_test_byline_v with the arguments given directly. Suites that keep
 * their last output in out and err define run(...) as
 * bl_test_byline_f(&out, &err, __VA_ARGS__). */
int bl_test_byline_f(char **out, char **err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The bytes of code points [from, to) of the UTF-8 string s[0..len), as a
 * JSON user slices it (Python's s[from:to], jq's .[from:to]): *start gets
 * the byte offset, the return value the byte length. Fails the current
 * test if s is not UTF-8 or the range is out of s. */
size_t bl_test_cp_slice(const char *s, size_t len, size_t from, size_t to, size_t *start);

/* Path of bin/byline for end-to-end tests ($BYLINE_BIN, else bin/byline). */
const char *bl_test_byline(void);

/* Project root ($BYLINE_ROOT, else "."). */
const char *bl_test_root(void);

/* Writes the path of the shared corpus `name` (../shared/corpora/NAME
 * beside the project root) into buf; returns 1 if it is there, 0 if not
 * (tests then skip: a machine outside this workplace has none). */
int bl_test_shared_corpus(const char *name, char *buf, size_t n);

#endif
