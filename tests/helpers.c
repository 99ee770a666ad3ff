/* helpers.c: shared test utilities. */
#include "helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "analyzer.h"
#include "error.h"
#include "inverter.h"
#include "manifest.h"

uint64_t bl_test_seed(const char *name)
{
    const char *env = getenv("BYLINE_SEED");
    uint64_t seed = env ? strtoull(env, NULL, 10) : (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 20);
    fprintf(stderr, "%s: seed %llu (replay with BYLINE_SEED=%llu)\n", name,
            (unsigned long long)seed, (unsigned long long)seed);
    return seed;
}

void bl_rng_init(bl_rng *r, uint64_t seed) { r->s = seed ? seed : 0x9e3779b97f4a7c15ull; }

uint64_t bl_rng_next(bl_rng *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 0x2545f4914f6cdd1dull;
}

uint32_t bl_rng_below(bl_rng *r, uint32_t n) { return n ? (uint32_t)(bl_rng_next(r) % n) : 0; }

char *bl_test_tmpdir(void)
{
    const char *base = getenv("TMPDIR");
    char tmpl[4096];
    snprintf(tmpl, sizeof tmpl, "%s/byline-test-XXXXXX", base ? base : "/tmp");
    if (!mkdtemp(tmpl))
        return NULL;
    return strdup(tmpl);
}

void bl_test_rmtree(const char *path)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", path);
}

int bl_test_build_index(const char *dir, const bl_article *arts, size_t n, const char *lang,
                        size_t per_segment)
{
    bl_manifest m;
    int rc = bl_manifest_read(dir, &m);
    if (rc == BL_ENOTFOUND) {
        memset(&m, 0, sizeof m);
        m.next_segment = 1;
        m.analyzer_version = BL_ANALYZER_VERSION;
        snprintf(m.lang, sizeof m.lang, "%s", lang);
        rc = 0;
    }
    if (rc)
        return rc;
    bl_analyzer *a;
    if ((rc = bl_analyzer_new(&a, m.lang)) != 0)
        goto out;
    for (size_t i = 0; i < n && !rc; i += per_segment) {
        bl_inverter *inv;
        if ((rc = bl_inverter_new(&inv, dir, m.next_segment++, a)) != 0)
            break;
        for (size_t j = i; j < n && j < i + per_segment && !rc; j++)
            rc = bl_inverter_add(inv, &arts[j]);
        bl_manifest_segment seg;
        if (rc) {
            bl_inverter_abort(inv);
            break;
        }
        if ((rc = bl_inverter_finish(inv, &seg)) == 0)
            rc = bl_manifest_add_segment(&m, &seg);
    }
    m.generation++;
    if (!rc)
        rc = bl_manifest_commit(dir, &m);
    bl_analyzer_free(a);
out:
    bl_manifest_release(&m);
    return rc;
}

int bl_test_write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = fwrite(data, 1, len, f);
    return (fclose(f) == 0 && w == len) ? 0 : -1;
}

char *bl_test_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    size_t k;
    while (buf && (k = fread(buf + n, 1, cap - n, f)) > 0) {
        n += k;
        if (n == cap) {
            char *b = realloc(buf, cap * 2 + 1);
            if (!b) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = b;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf) {
        buf[n] = 0;
        if (len)
            *len = n;
    }
    return buf;
}

int bl_test_run(const char *cmdline, char **out, char **err)
{
    char *dir = bl_test_tmpdir();
    if (!dir)
        return -1;
    size_t cap = strlen(cmdline) + 2 * strlen(dir) + 64;
    char *cmd = malloc(cap);
    snprintf(cmd, cap, "( %s ) >'%s/out' 2>'%s/err'", cmdline, dir, dir);
    int st = system(cmd);
    free(cmd);
    char path[4200];
    if (out) {
        snprintf(path, sizeof path, "%s/out", dir);
        *out = bl_test_read_file(path, NULL);
    }
    if (err) {
        snprintf(path, sizeof path, "%s/err", dir);
        *err = bl_test_read_file(path, NULL);
    }
    bl_test_rmtree(dir);
    free(dir);
    if (st == -1 || !WIFEXITED(st))
        return -1;
    return WEXITSTATUS(st);
}

const char *bl_test_byline(void)
{
    const char *b = getenv("BYLINE_BIN");
    return b ? b : "bin/byline";
}

const char *bl_test_root(void)
{
    const char *r = getenv("BYLINE_ROOT");
    return r ? r : ".";
}
