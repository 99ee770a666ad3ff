/* helpers.c: shared test utilities. */
#include "helpers.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utf8proc.h>
#include <xxhash.h>

#include "analyzer.h"
#include "buf.h"
#include "filefmt.h"
#include "error.h"
#include "inverter.h"
#include "manifest.h"
#include "postings.h"

/* The seed most recently handed out, for BL_TEST_CHECK_ON_PATH. */
static uint64_t last_seed;

uint64_t bl_test_seed_or(const char *name, uint64_t fallback)
{
    const char *env = getenv("BYLINE_SEED");
    last_seed = env && *env ? strtoull(env, NULL, 10) : fallback;
    fprintf(stderr, "%s: seed %llu (replay with BYLINE_SEED=%llu)\n", name,
            (unsigned long long)last_seed, (unsigned long long)last_seed);
    return last_seed;
}

uint64_t bl_test_seed(const char *name)
{
    return bl_test_seed_or(name, (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 20));
}

uint64_t bl_test_last_seed(void) { return last_seed; }

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
    char cmd[8500];
    /* chmod first: tests make read-only directories, which a non-root rm
     * could not empty. */
    snprintf(cmd, sizeof cmd, "chmod -R u+rwx '%s' 2>/dev/null; rm -rf '%s'", path, path);
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
        m.dense_ratio = BL_DENSE_RATIO;
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
        bl_inverter_set_dense_ratio(inv, m.dense_ratio);
        for (size_t j = i; j < n && j < i + per_segment && !rc; j++)
            rc = bl_inverter_add(inv, &arts[j]);
        bl_manifest_segment seg;
        if (rc) {
            bl_inverter_abort(inv);
            break;
        }
        if ((rc = bl_inverter_finish(inv, &seg)) != 0) {
            bl_inverter_abort(inv);
            break;
        }
        rc = bl_manifest_add_segment(&m, &seg);
    }
    m.generation++;
    if (!rc)
    {
        int renamed;
        rc = bl_manifest_commit(dir, &m, &renamed);
    }
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
    if (!cmd) {
        bl_test_rmtree(dir);
        free(dir);
        return -1;
    }
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
    if (st == -1)
        return -1;
    if (WIFSIGNALED(st))
        return 128 + WTERMSIG(st);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int bl_test_runf(char **out, char **err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -1;
    char *cmd = malloc((size_t)n + 1);
    if (!cmd)
        return -1;
    va_start(ap, fmt);
    vsnprintf(cmd, (size_t)n + 1, fmt, ap);
    va_end(ap);
    int rc = bl_test_run(cmd, out, err);
    free(cmd);
    return rc;
}

int bl_test_sanitizer_report(const char *err)
{
    return err && (strstr(err, "AddressSanitizer") || strstr(err, "LeakSanitizer") ||
                   strstr(err, "runtime error:"));
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

/* Appends n bytes to a growing buffer; returns -1 when out of memory. */
static int snap_put(char **buf, size_t *len, size_t *cap, const void *p, size_t n)
{
    if (*len + n > *cap) {
        size_t c = *cap ? *cap : 4096;
        while (c < *len + n)
            c *= 2;
        char *b = realloc(*buf, c);
        if (!b)
            return -1;
        *buf = b;
        *cap = c;
    }
    memcpy(*buf + *len, p, n);
    *len += n;
    return 0;
}

char *bl_test_dir_snapshot(const char *dir, const char *const *skip, size_t *len)
{
    struct dirent **names;
    int n = scandir(dir, &names, NULL, by_name);
    if (n < 0)
        return NULL;
    char *buf = NULL;
    size_t blen = 0, cap = 0;
    int bad = 0;
    for (int i = 0; i < n; i++) {
        const char *name = names[i]->d_name;
        int skipped = !strcmp(name, ".") || !strcmp(name, "..");
        for (const char *const *s = skip; s && *s && !skipped; s++)
            skipped = !strcmp(name, *s);
        if (!skipped && !bad) {
            char path[4200];
            struct stat st;
            snprintf(path, sizeof path, "%s/%s", dir, name);
            bad = snap_put(&buf, &blen, &cap, name, strlen(name) + 1) != 0 || lstat(path, &st) != 0;
            if (!bad && S_ISREG(st.st_mode)) {
                size_t flen = 0;
                char *data = bl_test_read_file(path, &flen);
                char hdr[40];
                int h = snprintf(hdr, sizeof hdr, "f%zu:", flen);
                bad = !data || snap_put(&buf, &blen, &cap, hdr, (size_t)h) ||
                      snap_put(&buf, &blen, &cap, data, flen);
                free(data);
            } else if (!bad) {
                char hdr[40];
                int h = snprintf(hdr, sizeof hdr, "m%o:", (unsigned)st.st_mode);
                bad = snap_put(&buf, &blen, &cap, hdr, (size_t)h);
            }
        }
        free(names[i]);
    }
    free(names);
    if (!bad && !buf)
        bad = snap_put(&buf, &blen, &cap, "", 1); /* an empty directory */
    if (bad) {
        free(buf);
        return NULL;
    }
    if (len)
        *len = blen;
    return buf;
}

int bl_test_copy_dir(const char *src, const char *dst)
{
    if (mkdir(dst, 0755) != 0)
        return -1;
    DIR *d = opendir(src);
    if (!d)
        return -1;
    struct dirent *e;
    int rc = 0;
    while (!rc && (e = readdir(d)) != NULL) {
        char from[4200], to[4200];
        struct stat st;
        snprintf(from, sizeof from, "%s/%s", src, e->d_name);
        snprintf(to, sizeof to, "%s/%s", dst, e->d_name);
        if (stat(from, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        size_t len = 0;
        char *data = bl_test_read_file(from, &len);
        rc = data && bl_test_write_file(to, data, len) == 0 ? 0 : -1;
        free(data);
    }
    closedir(d);
    return rc;
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

int bl_test_shared_corpus(const char *name, char *buf, size_t n)
{
    snprintf(buf, n, "%s/../shared/corpora/%s", bl_test_root(), name);
    struct stat st;
    return stat(buf, &st) == 0;
}

int bl_test_byline_v(char **out, char **err, const char *fmt, va_list ap)
{
    char args[8192];
    vsnprintf(args, sizeof args, fmt, ap);
    free(*out);
    free(*err);
    *out = *err = NULL;
    int rc = bl_test_runf(out, err, "'%s' %s", bl_test_byline(), args);
    cr_assert(rc >= 0 && rc < 128, "byline %s: status %d (killed by a signal?)\nstderr: %s", args,
              rc, *err ? *err : "");
    cr_assert(!bl_test_sanitizer_report(*err), "byline %s: sanitizer report:\n%s", args, *err);
    cr_assert(*out && *err, "byline %s: output not captured", args);
    return rc;
}

void bl_test_scratch_release(char **tmp, char **out, char **err)
{
    free(*out);
    free(*err);
    *out = *err = NULL;
    if (*tmp)
        bl_test_rmtree(*tmp);
    free(*tmp);
    *tmp = NULL;
}

int bl_test_byline_f(char **out, char **err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = bl_test_byline_v(out, err, fmt, ap);
    va_end(ap);
    return rc;
}

size_t bl_test_cp_slice(const char *s, size_t len, size_t from, size_t to, size_t *start)
{
    cr_assert(from <= to, "code point range [%zu, %zu) is reversed", from, to);
    size_t at = 0, cp = 0, begin = 0;
    while (cp < to) {
        if (cp == from)
            begin = at;
        cr_assert(at < len, "code point %zu is past the end of \"%.*s\"", cp, (int)len, s);
        utf8proc_int32_t c;
        utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)s + at,
                                              (utf8proc_ssize_t)(len - at), &c);
        cr_assert(n > 0, "not UTF-8 at byte %zu of \"%.*s\"", at, (int)len, s);
        at += (size_t)n;
        cp++;
    }
    if (from == to)
        begin = at;
    *start = begin;
    return at - begin;
}

int bl_test_reseal(uint8_t *data, size_t len)
{
    if (len < BL_FOOTER_BYTES)
        return -1;
    uint8_t *f = data + len - BL_FOOTER_BYTES;
    uint64_t body = bl_get_u64le(f + 8);
    unsigned shift = bl_get_u32le(f + 24) & 0xff;
    if (shift < 9 || shift > 24 || body > len - BL_FOOTER_BYTES)
        return -1;
    size_t page = (size_t)1 << shift, npages = body ? (size_t)((body - 1) >> shift) + 1 : 0;
    if (body + 4 * npages + BL_FOOTER_BYTES != len)
        return -1;
    uint8_t *sums = data + body;
    for (size_t i = 0; i < npages; i++) {
        size_t at = i * page, n = body - at < page ? (size_t)body - at : page;
        bl_put_u32le(sums + 4 * i, (uint32_t)XXH3_64bits(data + at, n));
    }
    bl_put_u64le(f + 16, XXH3_64bits(sums, 4 * npages));
    return 0;
}
