/* test_docstore.c: the document store against the documents written,
 * limits, and a byte-flip corruption sweep.
 *
 * Random tests print their seed; BYLINE_SEED=N replays one.
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "docstore.h"
#include "error.h"
#include "filefmt.h"

/* ---- helpers ----------------------------------------------------------- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t below(uint64_t n) { return n ? rnd() % n : 0; }

static void seed_rng(const char *test)
{
    const char *env = getenv("BYLINE_SEED");
    uint64_t seed = env && *env ? strtoull(env, NULL, 0)
                                : (uint64_t)time(NULL) * 1000003u ^ (uint64_t)getpid();
    fprintf(stderr, "docstore.%s: seed %" PRIu64 " (replay: BYLINE_SEED=%" PRIu64 ")\n",
            test, seed, seed);
    rng_state = seed;
}

static char tmpdir[64];

static void make_tmpdir(void)
{
    strcpy(tmpdir, "/tmp/byline-docstore-XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
}

static void tmp_path(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", tmpdir, name);
}

static void remove_tmpdir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    cr_assert_eq(system(cmd), 0);
}

#define NF 6

/* A document owned by the test: six malloc'd fields. */
typedef struct {
    char *f[NF];
    size_t len[NF];
} doc;

static const char *words[] = {"the", "minister", "said", "on", "tuesday", "that", "markets",
                              "fell", "after", "storm", "in", "harbour", "council", "vote",
                              "\xc3\xa9lection", "\xe2\x80\x94", "\n", "\t"};

/* Fills p[0..len) in one of a few styles: text-like, binary, runs. */
static void fill(char *p, size_t len)
{
    switch (below(4)) {
    case 0: /* binary, NULs and 0xff included */
        for (size_t i = 0; i < len; i++)
            p[i] = (char)rnd();
        break;
    case 1: /* a run of one byte */
        memset(p, (int)below(256), len);
        break;
    default: { /* words */
        size_t i = 0;
        while (i < len) {
            const char *w = words[below(sizeof words / sizeof *words)];
            size_t n = strlen(w);
            if (n > len - i)
                n = len - i;
            memcpy(p + i, w, n);
            i += n;
            if (i < len)
                p[i++] = ' ';
        }
    }
    }
}

static void make_doc(doc *d, size_t big_field)
{
    for (int f = 0; f < NF; f++) {
        size_t len;
        switch (below(5)) {
        case 0: len = 0; break;
        case 1: len = below(4); break;
        default: len = below(f == 2 ? 400 : 60);
        }
        if (f == 2 && big_field)
            len = big_field;
        d->len[f] = len;
        d->f[f] = len ? malloc(len) : NULL;
        if (len) {
            cr_assert_not_null(d->f[f]);
            fill(d->f[f], len);
        }
    }
}

static void free_doc(doc *d)
{
    for (int f = 0; f < NF; f++)
        free(d->f[f]);
}

static bl_stored_doc as_stored(const doc *d)
{
    return (bl_stored_doc){d->f[0], d->len[0], d->f[1], d->len[1], d->f[2], d->len[2],
                           d->f[3], d->len[3], d->f[4], d->len[4], d->f[5], d->len[5]};
}

static void write_store(const char *path, const doc *docs, size_t n)
{
    bl_docstore_writer *w;
    cr_assert_eq(bl_docstore_writer_new(&w, path), 0, "%s", bl_error_detail());
    for (size_t i = 0; i < n; i++) {
        bl_stored_doc s = as_stored(&docs[i]);
        cr_assert_eq(bl_docstore_writer_add(w, &s), 0, "doc %zu: %s", i, bl_error_detail());
    }
    cr_assert_eq(bl_docstore_writer_finish(w), 0, "%s", bl_error_detail());
}

static void expect_doc(bl_docstore *s, uint32_t i, const doc *want)
{
    bl_stored_doc got;
    cr_assert_eq(bl_docstore_get(s, i, &got), 0, "doc %u: %s", i, bl_error_detail());
    const char *p[NF] = {got.id, got.title, got.text, got.source, got.date, got.url};
    size_t len[NF] = {got.id_len, got.title_len, got.text_len, got.source_len, got.date_len,
                      got.url_len};
    for (int f = 0; f < NF; f++) {
        cr_assert_eq(len[f], want->len[f], "doc %u field %d: %zu bytes, want %zu", i, f,
                     len[f], want->len[f]);
        cr_assert_not_null(p[f]);
        cr_assert(len[f] == 0 || memcmp(p[f], want->f[f], len[f]) == 0,
                  "doc %u field %d differs", i, f);
        cr_assert_eq(p[f][len[f]], 0, "doc %u field %d not NUL-terminated", i, f);
    }
}

/* ---- round trip -------------------------------------------------------- */

Test(docstore, roundtrip_random, .timeout = 300)
{
    seed_rng("roundtrip_random");
    make_tmpdir();
    size_t n = 10000 + below(200);
    doc *docs = calloc(n, sizeof *docs);
    cr_assert_not_null(docs);
    for (size_t i = 0; i < n; i++) {
        size_t big = 0;
        uint64_t r = below(10000);
        if (r < 4)
            big = (1u << 20) + below(1000); /* ~1 MB text */
        else if (r < 20)
            big = BL_DOCSTORE_BLOCK - 100 + below(200); /* around the block size */
        make_doc(&docs[i], big);
    }
    char path[128];
    tmp_path(path, sizeof path, "rt.sto");
    write_store(path, docs, n);

    for (int verify = 0; verify < 2; verify++) {
        bl_docstore *s;
        cr_assert_eq(bl_docstore_open(&s, path, verify), 0, "%s", bl_error_detail());
        cr_assert_eq(bl_docstore_count(s), n);
        /* random order */
        uint32_t *order = malloc(n * sizeof *order);
        cr_assert_not_null(order);
        for (size_t i = 0; i < n; i++)
            order[i] = (uint32_t)i;
        for (size_t i = n - 1; i > 0; i--) {
            size_t j = below(i + 1);
            uint32_t t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        for (size_t i = 0; i < n; i++)
            expect_doc(s, order[i], &docs[order[i]]);
        /* in order, which keeps hitting the cached block */
        for (size_t i = 0; i < n; i++)
            expect_doc(s, (uint32_t)i, &docs[i]);
        free(order);

        bl_stored_doc got;
        bl_error_clear();
        cr_assert_eq(bl_docstore_get(s, (uint32_t)n, &got), BL_EINVAL);
        cr_assert_not_null(strstr(bl_error_detail(), "out of range"));
        cr_assert_eq(bl_docstore_get(s, UINT32_MAX, &got), BL_EINVAL);
        cr_assert_eq(bl_docstore_check(s), 0, "%s", bl_error_detail());
        expect_doc(s, 0, &docs[0]); /* still fine after check */
        bl_docstore_close(s);
    }
    for (size_t i = 0; i < n; i++)
        free_doc(&docs[i]);
    free(docs);
    remove_tmpdir();
}

Test(docstore, small_and_empty)
{
    make_tmpdir();
    char path[128];
    tmp_path(path, sizeof path, "empty.sto");
    write_store(path, NULL, 0);
    bl_docstore *s;
    cr_assert_eq(bl_docstore_open(&s, path, 1), 0, "%s", bl_error_detail());
    cr_assert_eq(bl_docstore_count(s), 0);
    bl_stored_doc got;
    cr_assert_eq(bl_docstore_get(s, 0, &got), BL_EINVAL);
    cr_assert_eq(bl_docstore_check(s), 0);
    bl_docstore_close(s);
    bl_docstore_close(NULL);

    /* One document, every field empty (NULL pointers with length 0). */
    doc e = {{NULL}, {0}};
    tmp_path(path, sizeof path, "one.sto");
    write_store(path, &e, 1);
    cr_assert_eq(bl_docstore_open(&s, path, 1), 0, "%s", bl_error_detail());
    cr_assert_eq(bl_docstore_count(s), 1);
    expect_doc(s, 0, &e);
    cr_assert_eq(bl_docstore_get(s, 1, &got), BL_EINVAL);
    cr_assert_eq(bl_docstore_check(s), 0);
    bl_docstore_close(s);
    remove_tmpdir();
}

Test(docstore, writer_limits)
{
    make_tmpdir();
    char path[128];
    tmp_path(path, sizeof path, "limits.sto");
    bl_docstore_writer *w;
    cr_assert_eq(bl_docstore_writer_new(&w, path), 0);
    /* Lengths are checked before any byte is read, so a short buffer will do. */
    bl_stored_doc big = {"x", BL_DOCSTORE_MAX_FIELD + 1, "", 0, "", 0, "", 0, "", 0, "", 0};
    cr_assert_eq(bl_docstore_writer_add(w, &big), BL_ETOOBIG);
    big = (bl_stored_doc){"", 0, "x", 1, "x", BL_DOCSTORE_MAX_FIELD, "x", BL_DOCSTORE_MAX_FIELD,
                          "", 0, "", 0};
    cr_assert_eq(bl_docstore_writer_add(w, &big), BL_ETOOBIG);
    bl_stored_doc ok = {"id1", 3, "t", 1, "text", 4, "src", 3, "2024-01-01", 10, "u", 1};
    cr_assert_eq(bl_docstore_writer_add(w, &ok), 0, "the writer stays usable");
    cr_assert_eq(bl_docstore_writer_finish(w), 0, "%s", bl_error_detail());
    bl_docstore *s;
    cr_assert_eq(bl_docstore_open(&s, path, 1), 0);
    cr_assert_eq(bl_docstore_count(s), 1);
    bl_stored_doc got;
    cr_assert_eq(bl_docstore_get(s, 0, &got), 0);
    cr_assert_str_eq(got.date, "2024-01-01");
    cr_assert_str_eq(got.text, "text");
    bl_docstore_close(s);

    cr_assert_eq(bl_docstore_writer_new(&w, path), BL_EIO, "an existing file is kept");
    tmp_path(path, sizeof path, "aborted.sto");
    cr_assert_eq(bl_docstore_writer_new(&w, path), 0);
    cr_assert_eq(bl_docstore_writer_add(w, &ok), 0);
    bl_docstore_writer_abort(w);
    bl_docstore_writer_abort(NULL);
    cr_assert_neq(access(path, F_OK), 0);
    remove_tmpdir();
}

/* ---- corruption -------------------------------------------------------- */

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)n);
    cr_assert_not_null(b);
    cr_assert_eq(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return b;
}

static void write_file(const char *path, const uint8_t *b, size_t len)
{
    unlink(path);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(b, 1, len, f), len);
    cr_assert_eq(fclose(f), 0);
}

static void expect_ok_or_corrupt(int rc, const char *path, const char *what, size_t at)
{
    if (rc == 0)
        return;
    cr_assert_eq(rc, BL_ECORRUPT, "byte %zu: %s: rc %d", at, what, rc);
    cr_assert_not_null(strstr(bl_error_detail(), path), "byte %zu: %s: detail '%s'", at, what,
                       bl_error_detail());
}

Test(docstore, corrupt_bytes, .timeout = 300)
{
    seed_rng("corrupt_bytes");
    make_tmpdir();
    /* A few blocks of word-like text, several documents each. */
    size_t n = 80;
    doc *docs = calloc(n, sizeof *docs);
    cr_assert_not_null(docs);
    for (size_t i = 0; i < n; i++)
        make_doc(&docs[i], i % 3 == 0 ? 2000 + below(4000) : 0);
    char good[128], bad[128];
    tmp_path(good, sizeof good, "good.sto");
    tmp_path(bad, sizeof bad, "bad.sto");
    write_store(good, docs, n);
    size_t len;
    uint8_t *orig = read_file(good, &len);
    uint8_t *copy = malloc(len);
    cr_assert_not_null(copy);
    size_t version_at = len - BL_FOOTER_BYTES + 4;
    /* Every byte of the last 512 (index, tail, footer); a stride elsewhere
     * so the sweep stays near 1500 flips. */
    size_t dense_from = len > 512 ? len - 512 : 0;
    size_t stride = dense_from / 1000 + 1;
    size_t flips = 0, opened = 0, caught = 0;

    for (size_t i = 0; i < len; i += i < dense_from ? stride : 1) {
        memcpy(copy, orig, len);
        copy[i] ^= flips & 1 ? (uint8_t)(1u << below(8)) : 0xff;
        flips++;
        write_file(bad, copy, len);

        bl_docstore *s = NULL;
        int rc = bl_docstore_open(&s, bad, 1);
        if (i >= version_at && i < version_at + 4)
            cr_assert_eq(rc, BL_EVERSION, "byte %zu: rc %d", i, rc);
        else
            cr_assert_eq(rc, BL_ECORRUPT, "byte %zu: verify=1 gave rc %d", i, rc);

        rc = bl_docstore_open(&s, bad, 0);
        if (rc) {
            cr_assert(rc == BL_ECORRUPT || rc == BL_EVERSION, "byte %zu: rc %d", i, rc);
            continue;
        }
        opened++;
        uint32_t count = bl_docstore_count(s);
        int failed = 0;
        for (uint32_t d = 0; d < count + 2; d++) {
            bl_stored_doc got;
            rc = bl_docstore_get(s, d, &got);
            if (d >= count) {
                cr_assert_eq(rc, BL_EINVAL);
                continue;
            }
            expect_ok_or_corrupt(rc, bad, "get", i);
            failed |= rc != 0;
            if (rc == 0) { /* touch every byte: ASan sees any stray pointer */
                size_t sum = got.id_len + got.title_len + got.text_len + got.source_len +
                             got.date_len + got.url_len;
                cr_assert(sum <= BL_DOCSTORE_MAX_RECORD);
                volatile char x = got.text[got.text_len];
                cr_assert_eq(x, 0);
                cr_assert_eq(got.url[got.url_len], 0);
            }
        }
        rc = bl_docstore_check(s);
        expect_ok_or_corrupt(rc, bad, "check", i);
        caught += rc != 0 || failed;
        bl_docstore_close(s);
    }
    fprintf(stderr, "docstore.corrupt_bytes: %zu-byte file, %zu flips, %zu opened without "
            "verify, get/check caught %zu of them\n", len, flips, opened, caught);
    free(copy);
    free(orig);
    for (size_t i = 0; i < n; i++)
        free_doc(&docs[i]);
    free(docs);
    remove_tmpdir();
}
