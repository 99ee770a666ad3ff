/* test_termdict.c: the term dictionary against a brute-force oracle, writer
 * argument checks, and a byte-flip corruption sweep.
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

#include "buf.h"
#include "error.h"
#include "filefmt.h"
#include "analyzer.h"
#include "helpers.h"
#include "index.h"
#include "pairs.h"
#include "termdict.h"

/* ---- helpers ----------------------------------------------------------- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
    /* splitmix64 */
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t below(uint64_t n) { return n ? rnd() % n : 0; }

static uint64_t seed_rng(const char *test)
{
    const char *env = getenv("BYLINE_SEED");
    uint64_t seed = env && *env ? strtoull(env, NULL, 0)
                                : (uint64_t)time(NULL) * 1000003u ^ (uint64_t)getpid();
    fprintf(stderr, "termdict.%s: seed %" PRIu64 " (replay: BYLINE_SEED=%" PRIu64 ")\n",
            test, seed, seed);
    rng_state = seed;
    return seed;
}

static char tmpdir[64];

static void make_tmpdir(void)
{
    strcpy(tmpdir, "/tmp/byline-termdict-XXXXXX");
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

typedef struct {
    uint16_t len;
    uint8_t b[BL_TERM_MAX_BYTES];
    bl_terminfo info;
} term;

static int term_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    int c = n ? memcmp(a, b, n) : 0;
    if (c)
        return c;
    return alen < blen ? -1 : alen > blen;
}

static int term_qcmp(const void *x, const void *y)
{
    const term *a = x, *b = y;
    return term_cmp(a->b, a->len, b->b, b->len);
}

static int info_eq(const bl_terminfo *a, const bl_terminfo *b)
{
    return a->doc_freq == b->doc_freq && a->total_freq == b->total_freq &&
           a->postings_offset == b->postings_offset &&
           a->positions_offset == b->positions_offset && a->max_tf == b->max_tf &&
           a->min_len == b->min_len;
}

/* Random frequencies that describe some list, extremes included: total_freq
 * lies between doc_freq + max_tf - 1 (one document holds the term max_tf
 * times, the others once) and doc_freq * max_tf. */
static void gen_freqs(bl_terminfo *in)
{
    in->doc_freq = below(50) == 0 ? UINT32_MAX : 1 + (uint32_t)below(1000);
    in->max_tf = below(50) == 0 ? UINT32_MAX : 1 + (uint32_t)below(below(2) ? 3 : 1000);
    uint64_t least = (uint64_t)in->doc_freq + in->max_tf - 1;
    uint64_t span = (uint64_t)(in->doc_freq - 1) * (in->max_tf - 1);
    uint64_t pick = below(3);
    in->total_freq = least + (pick == 0 ? 0 : pick == 1 ? span : below(span + 1));
    pick = below(10);
    in->min_len = pick == 0 ? 0 : pick == 1 ? UINT32_MAX : (uint32_t)below(5000);
}

static const uint8_t small_alpha[] = {0x00, 0x01, 'a', 'b', 'c', 0x7f, 0x80, 0xfe, 0xff};

/* Random, sorted, distinct terms with monotone offsets; returns the count. */
static size_t gen_terms(term *t, size_t want)
{
    int small = below(2);
    size_t maxlen = below(4) == 0 ? BL_TERM_MAX_BYTES : 1 + below(16);
    for (size_t i = 0; i < want; i++) {
        size_t len = 1 + below(maxlen);
        size_t keep = 0;
        if (i > 0 && below(2)) { /* share a prefix with an earlier term */
            const term *o = &t[below(i)];
            keep = below(o->len + 1);
            memcpy(t[i].b, o->b, keep);
            if (len < keep)
                len = keep + (keep < BL_TERM_MAX_BYTES && below(2));
            if (len == 0)
                len = 1;
        }
        for (size_t k = keep; k < len; k++)
            t[i].b[k] = small ? small_alpha[below(sizeof small_alpha)] : (uint8_t)rnd();
        t[i].len = (uint16_t)len;
    }
    qsort(t, want, sizeof *t, term_qcmp);
    size_t n = 0;
    for (size_t i = 0; i < want; i++)
        if (n == 0 || term_qcmp(&t[n - 1], &t[i]) != 0)
            t[n++] = t[i];
    uint64_t po = below(1000), qo = below(1000);
    for (size_t i = 0; i < n; i++) {
        bl_terminfo *in = &t[i].info;
        gen_freqs(in);
        if (below(4))
            po += below(100) == 0 ? (uint64_t)1 << 40 : below(5000);
        if (below(4))
            qo += below(100) == 0 ? (uint64_t)1 << 40 : below(5000);
        in->postings_offset = po;
        in->positions_offset = qo;
    }
    return n;
}

static void write_dict(const char *path, const term *t, size_t n)
{
    bl_termdict_writer *w;
    cr_assert_eq(bl_termdict_writer_new(&w, path), 0, "%s", bl_error_detail());
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(bl_termdict_writer_add(w, (const char *)t[i].b, t[i].len, &t[i].info), 0,
                     "term %zu: %s", i, bl_error_detail());
    cr_assert_eq(bl_termdict_writer_finish(w), 0, "%s", bl_error_detail());
}

/* Index of key in t[0..n), or -1. */
static ptrdiff_t find(const term *t, size_t n, const uint8_t *key, size_t len)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = term_cmp(t[mid].b, t[mid].len, key, len);
        if (c == 0)
            return (ptrdiff_t)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

static void expect_lookup(const bl_termdict *d, const term *t, size_t n, const uint8_t *key,
                          size_t len)
{
    bl_terminfo info;
    int rc = bl_termdict_lookup(d, (const char *)key, len, &info);
    ptrdiff_t at = len >= 1 && len <= BL_TERM_MAX_BYTES ? find(t, n, key, len) : -1;
    if (at < 0) {
        cr_assert_eq(rc, BL_ENOTFOUND, "absent key of %zu bytes: rc %d", len, rc);
    } else {
        cr_assert_eq(rc, 0, "key %zd of %zu bytes: rc %d (%s)", at, len, rc, bl_error_detail());
        cr_assert(info_eq(&info, &t[at].info), "key %zd: wrong info", at);
    }
}

typedef struct {
    const term *t;
    size_t n;
    const uint8_t *prefix;
    size_t plen;
    size_t next;      /* index in t of the next term expected */
    size_t visited;
    size_t stop_after; /* 0: never stop */
    int bad;
} walk;

static int starts_with(const term *t, const uint8_t *p, size_t plen)
{
    return t->len >= plen && (plen == 0 || memcmp(t->b, p, plen) == 0);
}

static int visit(void *ctx, const char *s, size_t len, const bl_terminfo *info)
{
    walk *w = ctx;
    while (w->next < w->n && !starts_with(&w->t[w->next], w->prefix, w->plen))
        w->next++;
    if (w->next >= w->n || len != w->t[w->next].len || s[len] != 0 ||
        memcmp(s, w->t[w->next].b, len) != 0 || !info_eq(info, &w->t[w->next].info)) {
        w->bad = 1;
        return 99;
    }
    w->next++;
    w->visited++;
    if (w->stop_after && w->visited == w->stop_after)
        return 42;
    return 0;
}

static void expect_prefix(const bl_termdict *d, const term *t, size_t n, const uint8_t *p,
                          size_t plen)
{
    walk w = {t, n, p, plen, 0, 0, 0, 0};
    int rc = bl_termdict_prefix(d, (const char *)p, plen, visit, &w);
    cr_assert_eq(w.bad, 0, "prefix of %zu bytes: visited a wrong term after %zu", plen,
                 w.visited);
    cr_assert_eq(rc, 0, "prefix of %zu bytes: rc %d (%s)", plen, rc, bl_error_detail());
    size_t want = 0;
    for (size_t i = 0; i < n; i++)
        want += starts_with(&t[i], p, plen);
    cr_assert_eq(w.visited, want, "prefix of %zu bytes: %zu visited, %zu expected", plen,
                 w.visited, want);
}

/* ---- round trip -------------------------------------------------------- */

static void roundtrip_one(size_t want, int round)
{
    term *t = malloc((want ? want : 1) * sizeof *t);
    cr_assert_not_null(t);
    size_t n = gen_terms(t, want);
    char path[128], name[32];
    snprintf(name, sizeof name, "rt%d.tdi", round);
    tmp_path(path, sizeof path, name);
    write_dict(path, t, n);

    bl_termdict *d;
    cr_assert_eq(bl_termdict_open(&d, path, round & 1), 0, "%s", bl_error_detail());
    cr_assert_eq(bl_termdict_count(d), n);
    cr_assert_eq(bl_termdict_check(d, UINT64_MAX, UINT64_MAX), 0, "%s", bl_error_detail());
    if (n > 0) {
        uint64_t last_p = t[n - 1].info.postings_offset;
        cr_assert_eq(bl_termdict_check(d, last_p, UINT64_MAX), BL_ECORRUPT);
        cr_assert_eq(bl_termdict_check(d, last_p + 1, t[n - 1].info.positions_offset + 1), 0,
                     "%s", bl_error_detail());
    }

    /* Every term, then keys next to every term (present or not: the oracle says). */
    uint8_t key[BL_TERM_MAX_BYTES + 2];
    for (size_t i = 0; i < n; i++) {
        bl_terminfo info;
        cr_assert_eq(bl_termdict_lookup(d, (const char *)t[i].b, t[i].len, &info), 0,
                     "term %zu: %s", i, bl_error_detail());
        cr_assert(info_eq(&info, &t[i].info), "term %zu: wrong info", i);
        size_t len = t[i].len;
        memcpy(key, t[i].b, len);
        key[len] = 0;
        expect_lookup(d, t, n, key, len + 1);  /* just after; 256 bytes: too long */
        if (len > 1)
            expect_lookup(d, t, n, key, len - 1);
        if (key[len - 1] != 0xff) {
            key[len - 1]++;
            expect_lookup(d, t, n, key, len);
            key[len - 1]--;
        }
        if (key[len - 1] != 0x00) {
            key[len - 1]--;
            expect_lookup(d, t, n, key, len);
        }
    }
    memset(key, 0xff, sizeof key);
    expect_lookup(d, t, n, key, BL_TERM_MAX_BYTES);
    expect_lookup(d, t, n, key, 1);
    memset(key, 0, sizeof key);
    expect_lookup(d, t, n, key, 1);
    expect_lookup(d, t, n, key, 0);
    for (int k = 0; k < 200; k++) {
        size_t len = 1 + below(8);
        for (size_t j = 0; j < len; j++)
            key[j] = small_alpha[below(sizeof small_alpha)];
        expect_lookup(d, t, n, key, len);
    }

    /* Prefix walks against a filter of the sorted list. */
    uint8_t p[300];
    expect_prefix(d, t, n, p, 0);
    memset(p, 0xff, sizeof p);
    expect_prefix(d, t, n, p, 1);
    expect_prefix(d, t, n, p, 2);
    expect_prefix(d, t, n, p, BL_TERM_MAX_BYTES);
    memset(p, 0, sizeof p);
    expect_prefix(d, t, n, p, 1);
    for (int k = 0; k < 40 && n > 0; k++) {
        const term *o = &t[below(n)];
        size_t plen = 1 + below(o->len);
        memcpy(p, o->b, plen);
        expect_prefix(d, t, n, p, plen);
    }
    for (int k = 0; k < 20; k++) {
        size_t plen = 1 + below(3);
        for (size_t j = 0; j < plen; j++)
            p[j] = small_alpha[below(sizeof small_alpha)];
        expect_prefix(d, t, n, p, plen);
    }
    if (n > 0) { /* a whole term and longer than any term */
        const term *o = &t[below(n)];
        memcpy(p, o->b, o->len);
        expect_prefix(d, t, n, p, o->len);
        memset(p + o->len, 'a', sizeof p - o->len);
        expect_prefix(d, t, n, p, sizeof p);
    }
    /* A walk that stops early returns the callback's value. */
    walk w = {t, n, NULL, 0, 0, 0, 1 + below(n + 1), 0};
    int rc = bl_termdict_prefix(d, "", 0, visit, &w);
    cr_assert_eq(w.bad, 0);
    if (w.stop_after <= n) {
        cr_assert_eq(rc, 42);
        cr_assert_eq(w.visited, w.stop_after);
    } else {
        cr_assert_eq(rc, 0);
    }

    bl_termdict_close(d);
    free(t);
}

Test(termdict, roundtrip_random)
{
    seed_rng("roundtrip_random");
    make_tmpdir();
    size_t sizes[] = {below(50001), below(50001), below(1000), 60 + below(140), below(3), 1,
                      BL_TERMDICT_BLOCK, BL_TERMDICT_BLOCK + 1};
    for (int r = 0; r < (int)(sizeof sizes / sizeof *sizes); r++)
        roundtrip_one(sizes[r], r);
    remove_tmpdir();
}

Test(termdict, empty_dictionary)
{
    make_tmpdir();
    char path[128];
    tmp_path(path, sizeof path, "empty.tdi");
    write_dict(path, NULL, 0);
    bl_termdict *d;
    cr_assert_eq(bl_termdict_open(&d, path, 1), 0, "%s", bl_error_detail());
    cr_assert_eq(bl_termdict_count(d), 0);
    bl_terminfo info;
    cr_assert_eq(bl_termdict_lookup(d, "a", 1, &info), BL_ENOTFOUND);
    cr_assert_eq(bl_termdict_lookup(d, "", 0, &info), BL_ENOTFOUND);
    walk w = {NULL, 0, NULL, 0, 0, 0, 0, 0};
    cr_assert_eq(bl_termdict_prefix(d, "", 0, visit, &w), 0);
    cr_assert_eq(bl_termdict_prefix(d, "a", 1, visit, &w), 0);
    cr_assert_eq(w.visited, 0);
    cr_assert_eq(bl_termdict_check(d, 0, 0), 0, "%s", bl_error_detail());
    bl_termdict_close(d);
    bl_termdict_close(NULL);
    remove_tmpdir();
}

Test(termdict, writer_rejects_bad_input)
{
    make_tmpdir();
    char path[128];
    tmp_path(path, sizeof path, "bad.tdi");
    bl_termdict_writer *w;
    cr_assert_eq(bl_termdict_writer_new(&w, path), 0);
    bl_terminfo ok = {.doc_freq = 2, .total_freq = 5, .postings_offset = 100,
                      .positions_offset = 200, .max_tf = 3, .min_len = 7};
    cr_assert_eq(bl_termdict_writer_add(w, "b", 1, &ok), 0);
    cr_assert_eq(bl_termdict_writer_add(w, "a", 1, &ok), BL_EINVAL, "unsorted");
    cr_assert_eq(bl_termdict_writer_add(w, "b", 1, &ok), BL_EINVAL, "duplicate");
    cr_assert_eq(bl_termdict_writer_add(w, "", 0, &ok), BL_EINVAL, "empty");
    char longt[BL_TERM_MAX_BYTES + 1];
    memset(longt, 'z', sizeof longt);
    cr_assert_eq(bl_termdict_writer_add(w, longt, sizeof longt, &ok), BL_EINVAL, "too long");
    bl_terminfo bad = ok;
    bad.doc_freq = 0;
    cr_assert_eq(bl_termdict_writer_add(w, "c", 1, &bad), BL_EINVAL, "doc_freq 0");
    bad = ok;
    bad.total_freq = 1;
    cr_assert_eq(bl_termdict_writer_add(w, "c", 1, &bad), BL_EINVAL, "total < doc_freq");
    bad = ok;
    bad.max_tf = 0;
    cr_assert_eq(bl_termdict_writer_add(w, "c", 1, &bad), BL_EINVAL, "max_tf 0");
    bad.max_tf = 5; /* 2 docs, 5 occurrences: the other doc would have none */
    cr_assert_eq(bl_termdict_writer_add(w, "c", 1, &bad), BL_EINVAL, "max_tf too high");
    bad.max_tf = 2; /* 2 docs of at most 2 cannot hold 5 */
    cr_assert_eq(bl_termdict_writer_add(w, "c", 1, &bad), BL_EINVAL, "max_tf too low");
    bad = ok;
    bad.postings_offset = 99;
    cr_assert_eq(bl_termdict_writer_add(w, "c", 1, &bad), BL_EINVAL, "postings backwards");
    bad = ok;
    bad.positions_offset = 199;
    cr_assert_eq(bl_termdict_writer_add(w, "c", 1, &bad), BL_EINVAL, "positions backwards");
    cr_assert_eq(bl_termdict_writer_add(w, "ba", 2, &ok), 0, "the writer stays usable");
    cr_assert_eq(bl_termdict_writer_add(w, longt, BL_TERM_MAX_BYTES, &ok), 0, "255 bytes is fine");
    cr_assert_eq(bl_termdict_writer_finish(w), 0, "%s", bl_error_detail());

    bl_termdict *d;
    cr_assert_eq(bl_termdict_open(&d, path, 1), 0, "%s", bl_error_detail());
    cr_assert_eq(bl_termdict_count(d), 3);
    bl_terminfo info;
    cr_assert_eq(bl_termdict_lookup(d, "a", 1, &info), BL_ENOTFOUND);
    cr_assert_eq(bl_termdict_lookup(d, "c", 1, &info), BL_ENOTFOUND);
    cr_assert_eq(bl_termdict_lookup(d, "ba", 2, &info), 0);
    cr_assert(info_eq(&info, &ok));
    cr_assert_eq(bl_termdict_lookup(d, longt, BL_TERM_MAX_BYTES, &info), 0);
    bl_termdict_close(d);

    /* An existing file is not overwritten; abort removes the partial file. */
    cr_assert_eq(bl_termdict_writer_new(&w, path), BL_EIO);
    tmp_path(path, sizeof path, "aborted.tdi");
    cr_assert_eq(bl_termdict_writer_new(&w, path), 0);
    cr_assert_eq(bl_termdict_writer_add(w, "x", 1, &ok), 0);
    bl_termdict_writer_abort(w);
    bl_termdict_writer_abort(NULL);
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

static int any_visit(void *ctx, const char *s, size_t len, const bl_terminfo *info)
{
    (void)info;
    size_t *count = ctx;
    cr_assert(len >= 1 && len <= BL_TERM_MAX_BYTES && s[len] == 0);
    ++*count;
    return 0;
}

static void expect_corrupt_or(int rc, int ok1, int ok2, const char *path, const char *what,
                              size_t at)
{
    if (rc == ok1 || rc == ok2)
        return;
    cr_assert_eq(rc, BL_ECORRUPT, "byte %zu: %s: rc %d", at, what, rc);
    cr_assert_not_null(strstr(bl_error_detail(), path), "byte %zu: %s: detail '%s'", at, what,
                       bl_error_detail());
}

/* Short terms over a small alphabet: several blocks in a small file. */
static size_t small_terms(term *t, size_t want)
{
    for (size_t i = 0; i < want; i++) {
        t[i].len = (uint16_t)(1 + below(6));
        for (size_t k = 0; k < t[i].len; k++)
            t[i].b[k] = small_alpha[below(sizeof small_alpha)];
    }
    qsort(t, want, sizeof *t, term_qcmp);
    size_t n = 0;
    for (size_t i = 0; i < want; i++)
        if (n == 0 || term_qcmp(&t[n - 1], &t[i]) != 0)
            t[n++] = t[i];
    for (size_t i = 0; i < n; i++)
        t[i].info = (bl_terminfo){.doc_freq = 1 + (uint32_t)i, .total_freq = 2 + 2 * i,
                                  .postings_offset = 10 * i, .positions_offset = 20 * i,
                                  .max_tf = 2, .min_len = 5 + (uint32_t)i};
    return n;
}

/* Runs every reader entry point on a damaged dictionary opened without
 * verify: none may crash, and each error must name the file. Returns
 * whether bl_termdict_check failed. */
static int exercise_damaged(const bl_termdict *d, const term *t, size_t n, const char *path,
                            size_t at)
{
    for (size_t k = 0; k < n; k++) {
        bl_terminfo info;
        int rc = bl_termdict_lookup(d, (const char *)t[k].b, t[k].len, &info);
        expect_corrupt_or(rc, 0, BL_ENOTFOUND, path, "lookup", at);
    }
    size_t count = 0;
    int rc = bl_termdict_prefix(d, "", 0, any_visit, &count);
    expect_corrupt_or(rc, 0, 0, path, "prefix", at);
    cr_assert(count <= bl_termdict_count(d));
    for (size_t k = 0; k < sizeof small_alpha; k++) {
        rc = bl_termdict_prefix(d, (const char *)&small_alpha[k], 1, any_visit, &count);
        expect_corrupt_or(rc, 0, 0, path, "prefix", at);
    }
    bl_termdict_iter *it;
    rc = bl_termdict_iter_new(d, &it);
    expect_corrupt_or(rc, 0, 0, path, "iter_new", at);
    if (rc == 0) {
        const char *s;
        size_t len;
        bl_terminfo info;
        while ((rc = bl_termdict_iter_next(it, &s, &len, &info)) == 1)
            ;
        expect_corrupt_or(rc, 0, 0, path, "iter_next", at);
        bl_termdict_iter_free(it);
    }
    rc = bl_termdict_check(d, UINT64_MAX, UINT64_MAX);
    expect_corrupt_or(rc, 0, 0, path, "check", at);
    return rc != 0;
}

/* Flips every byte of a dictionary: as is (the page checksums must catch
 * every flip with verify, and readers without verify must fail cleanly),
 * then resealed (bl_test_reseal), so that only the structural checks of
 * open, the readers and check stand between a damaged body and a crash. */
Test(termdict, corrupt_bytes)
{
    seed_rng("corrupt_bytes");
    make_tmpdir();
    term *t = malloc(150 * sizeof *t);
    cr_assert_not_null(t);
    size_t n = small_terms(t, 150);
    char good[128], bad[128];
    tmp_path(good, sizeof good, "good.tdi");
    tmp_path(bad, sizeof bad, "bad.tdi");
    write_dict(good, t, n);
    size_t len;
    uint8_t *orig = read_file(good, &len);
    uint8_t *copy = malloc(len);
    cr_assert_not_null(copy);
    size_t version_at = len - BL_FOOTER_BYTES + 4, flags_at = len - 8;
    uint64_t body_len = bl_get_u64le(orig + len - BL_FOOTER_BYTES + 8);
    uint64_t blocks_end = bl_get_u64le(orig + body_len - 28);
    cr_assert(blocks_end > 0 && blocks_end < body_len);
    size_t opened = 0, check_failed = 0, sealed = 0, sealed_opened = 0, sealed_caught = 0;

    for (int pass = 0; pass < 3; pass++) {
        int reseal = pass == 2;
        size_t end = reseal ? (size_t)body_len : len;
        for (size_t i = 0; i < end; i++) {
            memcpy(copy, orig, len);
            copy[i] ^= pass == 0 ? 0xff : (uint8_t)(1u << below(8));
            if (reseal)
                cr_assert_eq(bl_test_reseal(copy, len), 0);
            write_file(bad, copy, len);

            bl_termdict *d = NULL;
            int rc = bl_termdict_open(&d, bad, 1);
            if (reseal) {
                sealed++;
                cr_assert(rc == 0 || rc == BL_ECORRUPT, "byte %zu: resealed: rc %d", i, rc);
                bl_termdict_close(d);
            } else if (i >= version_at && i < version_at + 4) {
                cr_assert_eq(rc, BL_EVERSION, "byte %zu: rc %d", i, rc);
            } else if (rc == 0 && i >= flags_at && i < flags_at + 4) {
                /* The page size is not checksummed: another one that cuts
                 * this small body into the same single page goes unseen. */
                uint32_t flags = bl_get_u32le(copy + flags_at);
                cr_assert(flags >= 9 && flags <= 24 && (body_len - 1) >> flags == 0,
                          "byte %zu: flags %08x accepted", i, flags);
                bl_termdict_close(d);
            } else {
                cr_assert_eq(rc, BL_ECORRUPT, "byte %zu: verify=1 gave rc %d", i, rc);
            }

            rc = bl_termdict_open(&d, bad, 0);
            if (rc) {
                cr_assert(rc == BL_ECORRUPT || rc == BL_EVERSION, "byte %zu: rc %d", i, rc);
                expect_corrupt_or(rc, BL_EVERSION, BL_EVERSION, bad, "open", i);
                sealed_caught += reseal;
                continue;
            }
            int failed = exercise_damaged(d, t, n, bad, i);
            opened += !reseal;
            check_failed += !reseal && failed;
            sealed_opened += reseal;
            sealed_caught += reseal && failed;
            /* The block offsets and the tail are covered end to end: a
             * flip there that open lets through, check reports. */
            if (reseal && i >= blocks_end)
                cr_assert(failed, "byte %zu (block offsets/tail): resealed flip not caught", i);
            bl_termdict_close(d);
        }
    }
    fprintf(stderr, "termdict.corrupt_bytes: %zu-byte file; flips as is: %zu opened "
            "without verify, check caught %zu of them; %zu resealed flips: %zu opened, "
            "%zu caught by open or check\n", len, opened, check_failed, sealed, sealed_opened,
            sealed_caught);
    free(copy);
    free(orig);
    free(t);
    remove_tmpdir();
}

/* The iterator yields every term in order with its info, and the union
 * count equals a brute-force count of distinct terms over several
 * dictionaries that share some of their terms. */
Test(termdict, iterator_and_union_count)
{
    seed_rng("iterator_and_union_count");
    make_tmpdir();
    enum { NDICT = 4 };
    size_t want = 3000;
    term *all = calloc(want, sizeof *all);
    cr_assert_not_null(all);
    size_t n = gen_terms(all, want);
    bl_termdict *d[NDICT];
    size_t expect_union = 0;
    uint8_t *in_any = calloc(n ? n : 1, 1);
    for (int k = 0; k < NDICT; k++) {
        /* Each dictionary holds a random subset (k == 0: all, or none). */
        term *sub = calloc(n ? n : 1, sizeof *sub);
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (below(3) == 0) {
                sub[m++] = all[i];
                in_any[i] = 1;
            }
        char path[128], name[32];
        snprintf(name, sizeof name, "u%d.tdi", k);
        tmp_path(path, sizeof path, name);
        write_dict(path, sub, m);
        cr_assert_eq(bl_termdict_open(&d[k], path, 1), 0, "%s", bl_error_detail());
        bl_termdict_iter *it;
        cr_assert_eq(bl_termdict_iter_new(d[k], &it), 0);
        const char *t;
        size_t len;
        bl_terminfo info;
        for (size_t i = 0; i < m; i++) {
            cr_assert_eq(bl_termdict_iter_next(it, &t, &len, &info), 1, "term %zu of %zu", i, m);
            cr_assert_eq(len, sub[i].len);
            cr_assert(memcmp(t, sub[i].b, len) == 0 && t[len] == 0);
            cr_assert(info_eq(&info, &sub[i].info));
        }
        cr_assert_eq(bl_termdict_iter_next(it, &t, &len, &info), 0);
        bl_termdict_iter_free(it);
        free(sub);
    }
    /* pair keys (0xFF first, pairs.h) are not words: not counted */
    for (size_t i = 0; i < n; i++)
        expect_union += in_any[i] && !bl_term_is_pair((const char *)all[i].b, all[i].len);
    uint64_t got;
    cr_assert_eq(bl_termdict_count_union((const bl_termdict *const *)d, NDICT, &got), 0);
    cr_assert_eq(got, expect_union, "union of %d dictionaries: %llu, expected %zu", NDICT,
                 (unsigned long long)got, expect_union);
    cr_assert_eq(bl_termdict_count_union(NULL, 0, &got), 0);
    cr_assert_eq(got, 0);
    for (int k = 0; k < NDICT; k++)
        bl_termdict_close(d[k]);
    free(in_any);
    free(all);
    remove_tmpdir();
}

/* ---- constant-time open ------------------------------------------------ */

/* Pages of m whose checksum has been verified so far: what readers read. */
static size_t verified_pages(const bl_mapped *m)
{
    size_t n = 0;
    for (size_t p = 0; p < m->npages; p++)
        n += atomic_load(&m->verified[p >> 6]) >> (p & 63) & 1;
    return n;
}

/* Opening reads the tail only, whatever the size: a dictionary of a few
 * hundred pages and one of a single page both verify at most the two pages
 * the tail may straddle. A lookup then reads O(log blocks) pages, not the
 * block index. (Structural, not timed: the count of pages a reader had to
 * touch is what grows with the file when open is not constant-time.) */
Test(termdict, open_reads_only_the_tail)
{
    seed_rng("open_reads_only_the_tail");
    make_tmpdir();
    size_t sizes[] = {40, 150000};
    for (int k = 0; k < 2; k++) {
        term *t = malloc(sizes[k] * sizeof *t);
        cr_assert_not_null(t);
        /* A draw of short terms over a small alphabet has few distinct
         * ones: draw again until the big dictionary is big. */
        size_t n = gen_terms(t, sizes[k]);
        for (int tries = 0; k && n < sizes[k] / 2 && tries < 50; tries++)
            n = gen_terms(t, sizes[k]);
        char path[128];
        tmp_path(path, sizeof path, k ? "big.tdi" : "small.tdi");
        write_dict(path, t, n);
        bl_termdict *d;
        cr_assert_eq(bl_termdict_open(&d, path, 0), 0, "%s", bl_error_detail());
        const bl_mapped *m = bl_termdict_file(d);
        cr_assert(k == 0 || m->npages > 200, "big dictionary: only %zu pages", m->npages);
        cr_assert(verified_pages(m) <= 2, "open of %zu pages verified %zu", m->npages,
                  verified_pages(m));
        cr_assert_eq(bl_termdict_count(d), n);

        /* Each probe: its offsets (<= 2 pages) and first term (<= 2);
         * then the block scanned. */
        size_t blocks = (n + BL_TERMDICT_BLOCK - 1) / BL_TERMDICT_BLOCK, probes = 1;
        while ((size_t)1 << probes < blocks + 1)
            probes++;
        const term *want = &t[below(n)];
        bl_terminfo info;
        cr_assert_eq(bl_termdict_lookup(d, (const char *)want->b, want->len, &info), 0, "%s",
                     bl_error_detail());
        cr_assert(info_eq(&info, &want->info));
        size_t after = verified_pages(m);
        cr_assert(after <= 2 + 4 * probes + 6, "lookup verified %zu of %zu pages (%zu probes)",
                  after, m->npages, probes);
        cr_assert(k == 0 || after < m->npages / 4, "lookup verified %zu of %zu pages", after,
                  m->npages);
        bl_termdict_close(d);
        free(t);
    }
    remove_tmpdir();
}

/* ---- a damaged block offset -------------------------------------------- */

/* 20 blocks of short terms (the last one partial). */
#define DAMAGE_BLOCKS 20

static size_t damage_terms(term *t)
{
    size_t want = DAMAGE_BLOCKS * BL_TERMDICT_BLOCK - 10, n = 0;
    /* Distinct by construction: a 4-letter base-26 counter, spread out. */
    for (size_t i = 0; i < want; i++) {
        size_t v = i * 7 + below(7);
        t[n].len = 4;
        for (int k = 3; k >= 0; k--, v /= 26)
            t[n].b[k] = (uint8_t)('a' + v % 26);
        t[n].info = (bl_terminfo){.doc_freq = 1 + (uint32_t)below(9), .postings_offset = 3 * i,
                                  .positions_offset = 5 * i, .max_tf = 1,
                                  .min_len = (uint32_t)below(100)};
        t[n].info.total_freq = t[n].info.doc_freq;
        n++;
    }
    return n;
}

/* Writes orig with block k's offset replaced by value, resealed. */
static void write_with_offset(const char *path, const uint8_t *orig, size_t len, size_t k,
                              uint64_t value)
{
    uint8_t *copy = malloc(len);
    cr_assert_not_null(copy);
    memcpy(copy, orig, len);
    uint64_t body_len = bl_get_u64le(copy + len - BL_FOOTER_BYTES + 8);
    uint64_t blocks_end = bl_get_u64le(copy + body_len - 28);
    bl_put_u64le(copy + blocks_end + 8 * k, value);
    cr_assert_eq(bl_test_reseal(copy, len), 0);
    write_file(path, copy, len);
    free(copy);
}

static int detail_names(const char *path, uint64_t off)
{
    char want[64];
    snprintf(want, sizeof want, ": offset %llu: ", (unsigned long long)off);
    const char *detail = bl_error_detail();
    return strstr(detail, path) && strstr(detail, want);
}

/* A dictionary whose block offsets are damaged in the middle (and resealed,
 * so the page checksums pass) still opens; lookups whose binary search
 * stays away from the damage succeed; one that probes it, and check, report
 * BL_ECORRUPT naming the file and the offset of the damaged entry; no
 * lookup answers wrongly. */
Test(termdict, damaged_block_offset_is_found_where_read)
{
    seed_rng("damaged_block_offset_is_found_where_read");
    make_tmpdir();
    term *t = malloc(DAMAGE_BLOCKS * BL_TERMDICT_BLOCK * sizeof *t);
    cr_assert_not_null(t);
    size_t n = damage_terms(t);
    char good[128], bad[128];
    tmp_path(good, sizeof good, "good.tdi");
    tmp_path(bad, sizeof bad, "bad.tdi");
    write_dict(good, t, n);
    size_t len;
    uint8_t *orig = read_file(good, &len);
    uint64_t body_len = bl_get_u64le(orig + len - BL_FOOTER_BYTES + 8);
    uint64_t blocks_end = bl_get_u64le(orig + body_len - 28);
    cr_assert_eq(bl_get_u64le(orig + body_len - 12), DAMAGE_BLOCKS);

    const size_t k = DAMAGE_BLOCKS - 5;
    const uint64_t entry_at = blocks_end + 8 * k;
    uint64_t prev_start = bl_get_u64le(orig + entry_at - 8);
    /* Past the blocks, then equal to the previous block's start. */
    uint64_t values[] = {blocks_end + 12345, prev_start};
    for (int v = 0; v < 2; v++) {
        write_with_offset(bad, orig, len, k, values[v]);
        bl_termdict *d;
        cr_assert_eq(bl_termdict_open(&d, bad, 1), 0, "%s", bl_error_detail());
        bl_termdict_close(d);
        cr_assert_eq(bl_termdict_open(&d, bad, 0), 0, "%s", bl_error_detail());
        cr_assert_eq(bl_termdict_count(d), n);

        /* A binary search for a term of the first blocks only probes
         * blocks below the middle, far from block k. */
        size_t intact = (DAMAGE_BLOCKS / 2 - 1) * BL_TERMDICT_BLOCK;
        size_t failed = 0;
        for (size_t i = 0; i < n; i++) {
            bl_terminfo info;
            int rc = bl_termdict_lookup(d, (const char *)t[i].b, t[i].len, &info);
            if (i < intact)
                cr_assert_eq(rc, 0, "term %zu (block %zu): rc %d: %s", i,
                             i / BL_TERMDICT_BLOCK, rc, bl_error_detail());
            if (rc == 0) {
                cr_assert(info_eq(&info, &t[i].info), "term %zu: wrong info", i);
            } else {
                cr_assert_eq(rc, BL_ECORRUPT, "term %zu: rc %d", i, rc);
                cr_assert(detail_names(bad, entry_at), "term %zu: '%s'", i, bl_error_detail());
                failed++;
            }
        }
        /* Finding block k's first term needs block k's first term. */
        bl_terminfo info;
        const term *first = &t[k * BL_TERMDICT_BLOCK];
        cr_assert_eq(bl_termdict_lookup(d, (const char *)first->b, first->len, &info),
                     BL_ECORRUPT);
        cr_assert(detail_names(bad, entry_at), "'%s'", bl_error_detail());
        cr_assert_eq(bl_termdict_check(d, UINT64_MAX, UINT64_MAX), BL_ECORRUPT);
        cr_assert(detail_names(bad, entry_at), "check: '%s'", bl_error_detail());
        size_t count = 0;
        cr_assert_eq(bl_termdict_prefix(d, "", 0, any_visit, &count), BL_ECORRUPT);
        cr_assert(detail_names(bad, entry_at), "walk: '%s'", bl_error_detail());
        cr_assert_eq(count, (k - 1) * BL_TERMDICT_BLOCK, "the walk stops before block %zu - 1",
                     k);
        fprintf(stderr, "termdict.damaged_block_offset: damage %d: %zu of %zu lookups "
                "reported it\n", v, failed, n);
        bl_termdict_close(d);
    }
    free(orig);
    free(t);
    remove_tmpdir();
}

/* ---- max_tf and min_len ------------------------------------------------ */

/* A dictionary of one term whose stored max_tf is replaced (resealed): the
 * reader refuses values that cannot describe the list. */
Test(termdict, inconsistent_max_tf_is_corrupt)
{
    make_tmpdir();
    char path[128];
    tmp_path(path, sizeof path, "one.tdi");
    bl_terminfo ok = {.doc_freq = 2, .total_freq = 5, .postings_offset = 100,
                      .positions_offset = 200, .max_tf = 3, .min_len = 7};
    bl_termdict_writer *w;
    cr_assert_eq(bl_termdict_writer_new(&w, path), 0);
    cr_assert_eq(bl_termdict_writer_add(w, "a", 1, &ok), 0);
    cr_assert_eq(bl_termdict_writer_finish(w), 0);
    size_t len;
    uint8_t *orig = read_file(path, &len);
    /* shared 0, suffix_len 1, 'a', then varints 2, 3, 100, 200 (2 bytes),
     * max_tf 3 (as 2 * 3 + positionless 0), min_len 7. */
    static const uint8_t entry[] = {0, 1, 'a', 2, 3, 100, 0xc8, 0x01, 6, 7};
    cr_assert(memcmp(orig, entry, sizeof entry) == 0, "unexpected entry bytes");
    const size_t max_tf_at = 8, info_at = 3;
    uint8_t values[] = {0, 2, 5, 4, 3};   /* 4 and 3 are valid (5 = 4 + 1) */
    /* (each written as max_tf_flags 2 * value + 1: the flag comes back) */
    for (size_t v = 0; v < sizeof values; v++) {
        uint8_t *copy = malloc(len);
        memcpy(copy, orig, len);
        copy[max_tf_at] = (uint8_t)(2 * values[v] + 1);
        cr_assert_eq(bl_test_reseal(copy, len), 0);
        char bad[128];
        tmp_path(bad, sizeof bad, "bad.tdi");
        write_file(bad, copy, len);
        free(copy);
        bl_termdict *d;
        cr_assert_eq(bl_termdict_open(&d, bad, 1), 0, "%s", bl_error_detail());
        bl_terminfo info;
        int rc = bl_termdict_lookup(d, "a", 1, &info);
        if (values[v] >= 3 && values[v] <= 4) {
            cr_assert_eq(rc, 0, "max_tf %u: %s", values[v], bl_error_detail());
            cr_assert_eq(info.max_tf, values[v]);
            cr_assert_eq(info.min_len, 7);
            cr_assert_eq(info.positionless, 1);
        } else {
            cr_assert_eq(rc, BL_ECORRUPT, "max_tf %u: rc %d", values[v], rc);
            cr_assert(detail_names(bad, info_at), "max_tf %u: '%s'", values[v],
                      bl_error_detail());
            cr_assert_eq(bl_termdict_check(d, UINT64_MAX, UINT64_MAX), BL_ECORRUPT);
        }
        bl_termdict_close(d);
    }
    free(orig);
    remove_tmpdir();
}

/* One (document, term) pair of the oracle: the term's frequency in the
 * document and the document's length. */
typedef struct {
    char *term;
    uint32_t tf, doc_len;
} occ_rec;

static int occ_cmp(const void *x, const void *y)
{
    const occ_rec *a = x, *b = y;
    return term_cmp((const uint8_t *)a->term, strlen(a->term), (const uint8_t *)b->term,
                    strlen(b->term));
}

static int str_qcmp(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

/* Appends the (term, tf, length) pairs of one article, analysed as the
 * inverter does (title, then text one position further on). */
static void oracle_doc(bl_analyzer *a, const bl_article *art, occ_rec **recs, size_t *n)
{
    char **terms = NULL;
    size_t nt = 0;
    const char *fields[2] = {art->title, art->text};
    size_t lens[2] = {art->title_len, art->text_len};
    uint32_t next = 0;
    for (int f = 0; f < 2; f++) {
        bl_analyzer_reset(a, fields[f], lens[f], f == 0 ? 0 : next ? next + 1 : 0);
        bl_term_occ o;
        while (bl_analyzer_next(a, &o) == 1) {
            terms = realloc(terms, (nt + 1) * sizeof *terms);
            terms[nt++] = strdup(o.term);
        }
        next = bl_analyzer_next_position(a);
    }
    if (nt)
        qsort(terms, nt, sizeof *terms, str_qcmp);
    for (size_t i = 0; i < nt;) {
        size_t j = i;
        while (j < nt && strcmp(terms[j], terms[i]) == 0)
            j++;
        *recs = realloc(*recs, (*n + 1) * sizeof **recs);
        (*recs)[(*n)++] = (occ_rec){strdup(terms[i]), (uint32_t)(j - i), (uint32_t)nt};
        i = j;
    }
    for (size_t i = 0; i < nt; i++)
        free(terms[i]);
    free(terms);
}

typedef struct {
    const occ_rec *recs; /* sorted by term */
    size_t n, at;        /* at: first record of the next term expected */
    size_t terms;
} oracle_walk;

/* Checks one dictionary term against the brute-force max and min over the
 * records of that term. */
static int oracle_visit(void *ctx, const char *word, size_t len, const bl_terminfo *info)
{
    oracle_walk *w = ctx;
    if (bl_term_is_pair(word, len)) {
        w->terms++;
        return 0; /* pairs: test_search's read-back checks them */
    }
    cr_assert(w->at < w->n, "dictionary term '%s' not in the articles", word);
    const occ_rec *r = &w->recs[w->at];
    cr_assert(strlen(r->term) == len && memcmp(r->term, word, len) == 0,
              "dictionary term '%s', articles' next term '%s'", word, r->term);
    uint32_t max_tf = 0, min_len = UINT32_MAX, df = 0;
    uint64_t total = 0;
    for (; w->at < w->n && strcmp(w->recs[w->at].term, r->term) == 0; w->at++) {
        const occ_rec *o = &w->recs[w->at];
        max_tf = o->tf > max_tf ? o->tf : max_tf;
        min_len = o->doc_len < min_len ? o->doc_len : min_len;
        total += o->tf;
        df++;
    }
    cr_assert_eq(info->doc_freq, df, "'%s'", word);
    cr_assert_eq(info->total_freq, total, "'%s'", word);
    cr_assert_eq(info->max_tf, max_tf, "'%s': max_tf %u, expected %u", word, info->max_tf,
                 max_tf);
    cr_assert_eq(info->min_len, min_len, "'%s': min_len %u, expected %u", word, info->min_len,
                 min_len);
    w->terms++;
    return 0;
}

/* Builds a real index (two segments, lists long enough for several
 * postings blocks) and checks every term's max_tf and min_len, as the
 * dictionary gives them, against a brute-force count over the articles. */
Test(termdict, max_tf_and_min_len_from_a_real_index)
{
    uint64_t seed = bl_test_seed("termdict.max_tf_and_min_len_from_a_real_index");
    bl_rng r;
    bl_rng_init(&r, seed);
    static const char *const vocab[] = {
        "market", "oil", "price", "bank", "wheat", "shares", "dollar", "trade", "tonnes",
        "profit", "quarter", "export", "grain", "coffee", "gold", "yen", "rate", "loss",
        "merger", "dividend", "crude", "barrel", "tariff", "copper", "sugar", "cocoa"};
    const size_t nvocab = sizeof vocab / sizeof *vocab, ndocs = 420, per_segment = 300;
    bl_article *arts = calloc(ndocs, sizeof *arts);
    cr_assert_not_null(arts);
    for (size_t i = 0; i < ndocs; i++) {
        char *f[2];
        for (int k = 0; k < 2; k++) {
            size_t words = bl_rng_below(&r, k ? 60 : 4), cap = words * 12 + 1, len = 0;
            f[k] = malloc(cap);
            f[k][0] = 0;
            for (size_t w = 0; w < words; w++) {
                /* Skewed, so the first words appear in most documents,
                 * often several times. */
                uint32_t a = bl_rng_below(&r, (uint32_t)nvocab);
                uint32_t b = bl_rng_below(&r, (uint32_t)nvocab);
                len += (size_t)snprintf(f[k] + len, cap - len, "%s%s", w ? " " : "",
                                        vocab[a < b ? a : b]);
            }
        }
        arts[i] = (bl_article){.title = f[0], .title_len = strlen(f[0]), .text = f[1],
                               .text_len = strlen(f[1]), .source = "gen", .source_len = 3};
    }
    char *dir = bl_test_tmpdir();
    cr_assert_not_null(dir);
    cr_assert_eq(bl_test_build_index(dir, arts, ndocs, "english", per_segment), 0, "%s",
                 bl_error_detail());
    bl_index *idx;
    cr_assert_eq(bl_index_open(&idx, dir, 1), 0, "%s", bl_error_detail());
    cr_assert_eq(bl_index_segment_count(idx), 2);
    bl_analyzer *a;
    cr_assert_eq(bl_analyzer_new(&a, "english"), 0);
    size_t multi_block = 0;
    for (size_t s = 0; s < 2; s++) {
        size_t from = s * per_segment, to = from + per_segment < ndocs ? from + per_segment
                                                                      : ndocs;
        occ_rec *recs = NULL;
        size_t nrec = 0;
        for (size_t i = from; i < to; i++)
            oracle_doc(a, &arts[i], &recs, &nrec);
        qsort(recs, nrec, sizeof *recs, occ_cmp); /* stable enough: ties agree on term */
        oracle_walk w = {recs, nrec, 0, 0};
        const bl_termdict *d = bl_segment_termdict(bl_index_segment(idx, s));
        cr_assert_eq(bl_termdict_prefix(d, "", 0, oracle_visit, &w), 0, "%s",
                     bl_error_detail());
        cr_assert_eq(w.at, nrec, "segment %zu: articles hold terms the dictionary lacks", s);
        cr_assert_eq(w.terms, bl_termdict_count(d));
        /* Lookups give the same as the walk. */
        for (size_t i = 0; i < nrec; i++) {
            bl_terminfo info;
            cr_assert_eq(bl_termdict_lookup(d, recs[i].term, strlen(recs[i].term), &info), 0);
            multi_block += info.doc_freq > 128 && (i == 0 || occ_cmp(&recs[i - 1], &recs[i]));
        }
        for (size_t i = 0; i < nrec; i++)
            free(recs[i].term);
        free(recs);
    }
    cr_assert(multi_block > 0, "no list spans several postings blocks");
    bl_analyzer_free(a);
    bl_index_close(idx);
    bl_test_rmtree(dir);
    free(dir);
    for (size_t i = 0; i < ndocs; i++) {
        free((char *)arts[i].title);
        free((char *)arts[i].text);
    }
    free(arts);
}
