/* helpers.h: shared test utilities: seeds, random numbers, temp dirs, and
 * building an index straight from articles in memory. */
#ifndef BL_TEST_HELPERS_H
#define BL_TEST_HELPERS_H

#include <stddef.h>
#include <stdint.h>

#include "loader.h"

/* The seed for randomized tests: $BYLINE_SEED if set, else time-based.
 * Prints "NAME: seed N (replay with BYLINE_SEED=N)" to stderr. */
uint64_t bl_test_seed(const char *name);

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

/* Builds (or extends) an index in dir from arts[0..n), starting a new
 * segment every per_segment articles. Returns 0 or a BL_E code. */
int bl_test_build_index(const char *dir, const bl_article *arts, size_t n,
                        const char *lang, size_t per_segment);

/* Writes data to path (creating it). Returns 0 or -1. */
int bl_test_write_file(const char *path, const void *data, size_t len);

/* Reads a whole file; returns an owned NUL-terminated buffer or NULL. */
char *bl_test_read_file(const char *path, size_t *len);

/* Runs a shell command line, capturing stdout and stderr into owned
 * strings (either out pointer may be NULL); returns the exit status, or -1. */
int bl_test_run(const char *cmdline, char **out, char **err);

/* Path of bin/byline for end-to-end tests ($BYLINE_BIN, else bin/byline). */
const char *bl_test_byline(void);

/* Project root ($BYLINE_ROOT, else "."). */
const char *bl_test_root(void);

#endif
