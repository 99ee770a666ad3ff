/* test_docstore.c: the document store against the documents written
 * (random documents across block boundaries, access orders), limits, the
 * dictionary's size, the store's size on a real corpus, damage read in
 * place (one block index entry, a page of it), and a byte-flip corruption
 * sweep with and without resealed checksums.
 *
 * Random tests print their seed; BYLINE_SEED=N replays one.
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "docstore.h"
#include "error.h"
#include "filefmt.h"
#include "helpers.h"
#include "loader.h"

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

/* Frees docs[0..n) and the array. */
static void free_docs(doc *docs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free_doc(&docs[i]);
    free(docs);
}

static bl_stored_doc as_stored(const doc *d)
{
    return (bl_stored_doc){d->f[0], d->len[0], d->f[1], d->len[1], d->f[2], d->len[2],
                           d->f[3], d->len[3], d->f[4], d->len[4], d->f[5], d->len[5]};
}

/* Blocks of several documents (the writer's default gives each document
 * its own), so that the reader's paths through a shared block stay tested. */
#define MULTI_BLOCK 4096

/* Writes docs[0..n) with blocks of up to target bytes (0: a document a
 * block). */
static void write_store_blocks(const char *path, const doc *docs, size_t n, size_t target)
{
    bl_docstore_writer *w;
    unlink(path); /* the writer creates, never replaces */
    cr_assert_eq(bl_docstore_writer_new(&w, path), 0, "%s", bl_error_detail());
    bl_docstore_writer_set_block(w, target);
    for (size_t i = 0; i < n; i++) {
        bl_stored_doc s = as_stored(&docs[i]);
        cr_assert_eq(bl_docstore_writer_add(w, &s), 0, "doc %zu: %s", i, bl_error_detail());
    }
    cr_assert_eq(bl_docstore_writer_finish(w), 0, "%s", bl_error_detail());
}

/* Writes docs[0..n) as bl_docstore_writer_add does by default. */
static void write_store(const char *path, const doc *docs, size_t n)
{
    write_store_blocks(path, docs, n, BL_DOCSTORE_BLOCK);
}

/* Writes docs[0..n) (n >= 3, n <= 4096) to path as a merge does: as four
 * stores (the first half a document a block, an empty one, the rest but
 * one in blocks of up to 4 KiB, and a last document alone, too small for a
 * dictionary), copied one after the other with bl_docstore_writer_append.
 * With live non-NULL, about a quarter of the first and third stores'
 * documents and the last one are deleted on the way (live[i]: whether
 * docs[i] was kept): in the third, blocks of several documents lose some
 * of them and are written again. */
static void write_merged_store_live(const char *path, const doc *docs, size_t n, int *live)
{
    size_t half = n / 2, cut[] = {0, half, half, n - 1, n};
    bl_docstore *src[4];
    char sub[4][160];
    for (int i = 0; i < 4; i++) {
        snprintf(sub[i], sizeof sub[i], "%s.%d", path, i);
        write_store_blocks(sub[i], docs + cut[i], cut[i + 1] - cut[i], i == 2 ? 4096 : 0);
        cr_assert_eq(bl_docstore_open(&src[i], sub[i], 1), 0, "%s", bl_error_detail());
    }
    bl_docstore_writer *w;
    unlink(path);
    cr_assert_eq(bl_docstore_writer_new(&w, path), 0, "%s", bl_error_detail());
    uint64_t del[4][64] = {{0}};
    cr_assert(n <= 64 * 64);
    for (size_t i = 0; i < n; i++)
        if (live)
            live[i] = 1;
    for (int s = 0; live && s < 4; s += 2)
        for (size_t i = cut[s]; i < cut[s + 1]; i++)
            if (below(4) == 0) {
                size_t d = i - cut[s];
                del[s][d / 64] |= (uint64_t)1 << (d % 64);
                live[i] = 0;
            }
    if (live) {
        del[3][0] = 1;
        live[n - 1] = 0;
    }
    for (int i = 0; i < 4; i++) {
        const uint64_t *d = live && i != 1 ? del[i] : NULL;
        cr_assert_eq(bl_docstore_writer_append(w, src[i], d), 0, "%s", bl_error_detail());
    }
    bl_stored_doc one = as_stored(&docs[0]);
    cr_assert_eq(bl_docstore_writer_add(w, &one), BL_EINVAL, "a copying writer took a document");
    cr_assert_eq(bl_docstore_writer_finish(w), 0, "%s", bl_error_detail());
    for (int i = 0; i < 4; i++) {
        bl_docstore_close(src[i]);
        unlink(sub[i]);
    }
}

static void write_merged_store(const char *path, const doc *docs, size_t n)
{
    write_merged_store_live(path, docs, n, NULL);
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
            big = MULTI_BLOCK - 100 + below(200); /* around a shared block's size */
        make_doc(&docs[i], big);
    }
    char path[128];
    tmp_path(path, sizeof path, "rt.sto");

    /* A document a block, then shared blocks; each opened without and
     * with verifying. */
    for (int run = 0; run < 4; run++) {
        int verify = run & 1;
        if (!verify)
            write_store_blocks(path, docs, n, run ? MULTI_BLOCK : 0);
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
    free_docs(docs, n);
    remove_tmpdir();
}

/* A store copied from others reads every document as written, in any
 * order, and checks whole; a writer with documents of its own refuses to
 * copy. */
Test(docstore, append_copies_stores_whole, .timeout = 120)
{
    seed_rng("append_copies_stores_whole");
    make_tmpdir();
    size_t n = 400;
    doc *docs = calloc(n, sizeof *docs);
    cr_assert_not_null(docs);
    for (size_t i = 0; i < n; i++)
        make_doc(&docs[i], i % 7 == 0 ? 1000 + below(5000) : 0);
    char path[128];
    tmp_path(path, sizeof path, "merged.sto");
    write_merged_store(path, docs, n);
    bl_docstore *s;
    cr_assert_eq(bl_docstore_open(&s, path, 1), 0, "%s", bl_error_detail());
    cr_assert_eq(bl_docstore_count(s), n);
    for (size_t k = 0; k < 3 * n; k++) {
        uint32_t d = (uint32_t)below(n);
        expect_doc(s, d, &docs[d]);
    }
    for (size_t d = 0; d < n; d++)
        expect_doc(s, (uint32_t)d, &docs[d]);
    cr_assert_eq(bl_docstore_check(s), 0, "%s", bl_error_detail());

    char other[128];
    tmp_path(other, sizeof other, "own.sto");
    bl_docstore_writer *w;
    cr_assert_eq(bl_docstore_writer_new(&w, other), 0);
    bl_stored_doc one = as_stored(&docs[0]);
    cr_assert_eq(bl_docstore_writer_add(w, &one), 0);
    cr_assert_eq(bl_docstore_writer_append(w, s, NULL), BL_EINVAL);
    cr_assert_eq(bl_docstore_writer_finish(w), 0, "%s", bl_error_detail());
    bl_docstore_close(s);
    free_docs(docs, n);
    remove_tmpdir();
}

/* Stores copied without their deleted documents hold the others, in
 * order and numbered on without gaps, and check whole; a block of several
 * documents some of which are deleted is refused, not half copied. */
Test(docstore, append_leaves_deleted_documents_out, .timeout = 120)
{
    seed_rng("append_leaves_deleted_documents_out");
    make_tmpdir();
    size_t n = 400;
    doc *docs = calloc(n, sizeof *docs);
    int *live = calloc(n, sizeof *live);
    cr_assert(docs && live);
    for (size_t i = 0; i < n; i++)
        make_doc(&docs[i], i % 7 == 0 ? 1000 + below(5000) : 0);
    char path[128];
    tmp_path(path, sizeof path, "merged.sto");
    write_merged_store_live(path, docs, n, live);
    bl_docstore *s;
    cr_assert_eq(bl_docstore_open(&s, path, 1), 0, "%s", bl_error_detail());
    size_t kept = 0;
    for (size_t i = 0; i < n; i++)
        kept += (size_t)live[i];
    cr_assert(kept < n - 1, "nothing deleted");
    cr_assert_eq(bl_docstore_count(s), kept);
    for (size_t i = 0, d = 0; i < n; i++)
        if (live[i])
            expect_doc(s, (uint32_t)d++, &docs[i]);
    cr_assert_eq(bl_docstore_check(s), 0, "%s", bl_error_detail());
    bl_docstore_close(s);

    /* Blocks of several documents, some deleted, copied twice over (the
     * second copy deletes within blocks the first one wrote again). */
    char multi[128], out[128], out2[128];
    tmp_path(multi, sizeof multi, "multi.sto");
    tmp_path(out, sizeof out, "out.sto");
    tmp_path(out2, sizeof out2, "out2.sto");
    write_store_blocks(multi, docs, 50, 4096);
    cr_assert_eq(bl_docstore_open(&s, multi, 1), 0);
    bl_docstore_writer *w;
    cr_assert_eq(bl_docstore_writer_new(&w, out), 0);
    uint64_t del[1] = {(1u << 1) | (1u << 7) | (1u << 8) | (0x3Fu << 20)};
    cr_assert_eq(bl_docstore_writer_append(w, s, del), 0, "%s", bl_error_detail());
    cr_assert_eq(bl_docstore_writer_finish(w), 0, "%s", bl_error_detail());
    bl_docstore_close(s);
    size_t left[50], nleft = 0;
    for (size_t i = 0; i < 50; i++)
        if (!(del[0] >> i & 1))
            left[nleft++] = i;
    cr_assert_eq(bl_docstore_open(&s, out, 1), 0, "%s", bl_error_detail());
    cr_assert_eq(bl_docstore_count(s), nleft);
    for (size_t i = 0; i < nleft; i++)
        expect_doc(s, (uint32_t)i, &docs[left[i]]);
    cr_assert_eq(bl_docstore_check(s), 0, "%s", bl_error_detail());
    cr_assert_eq(bl_docstore_writer_new(&w, out2), 0);
    uint64_t del2[1] = {(1u << 0) | (1u << 6) | (1u << 30)};
    cr_assert_eq(bl_docstore_writer_append(w, s, del2), 0, "%s", bl_error_detail());
    cr_assert_eq(bl_docstore_writer_finish(w), 0, "%s", bl_error_detail());
    bl_docstore_close(s);
    cr_assert_eq(bl_docstore_open(&s, out2, 1), 0, "%s", bl_error_detail());
    size_t kept2 = 0;
    for (size_t i = 0; i < nleft; i++)
        if (!(del2[0] >> i & 1))
            expect_doc(s, (uint32_t)kept2++, &docs[left[i]]);
    cr_assert_eq(bl_docstore_count(s), kept2);
    cr_assert_eq(bl_docstore_check(s), 0, "%s", bl_error_detail());
    bl_docstore_close(s);
    free(live);
    free_docs(docs, n);
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

/* Where the parts of a .sto file are (the grammar in docstore.c). */
#define ENTRY_BYTES 20
#define PART_BYTES 24
#define TAIL_BYTES 12

typedef struct {
    size_t body;      /* body length */
    uint32_t nparts, nblocks, ndocs;
    uint32_t dict_len; /* part 0's */
    size_t entries;   /* offset of the first block index entry */
    size_t parts;     /* offset of the first part */
} sto_layout;

static sto_layout layout_of(const uint8_t *b, size_t len)
{
    sto_layout l;
    cr_assert(len >= BL_FOOTER_BYTES + TAIL_BYTES);
    l.body = (size_t)bl_get_u64le(b + len - BL_FOOTER_BYTES + 8);
    cr_assert(l.body >= TAIL_BYTES && l.body < len);
    const uint8_t *t = b + l.body - TAIL_BYTES;
    l.nparts = bl_get_u32le(t);
    l.nblocks = bl_get_u32le(t + 4);
    l.ndocs = bl_get_u32le(t + 8);
    cr_assert((uint64_t)(l.nblocks + l.nparts) * ENTRY_BYTES <= l.body - TAIL_BYTES);
    l.parts = l.body - TAIL_BYTES - (size_t)l.nparts * PART_BYTES;
    l.entries = l.parts - (size_t)l.nblocks * ENTRY_BYTES;
    l.dict_len = l.nparts ? bl_get_u32le(b + l.parts + 16) : 0;
    return l;
}

static size_t entry_at(const sto_layout *l, uint32_t b) { return l->entries + (size_t)b * ENTRY_BYTES; }

static uint32_t entry_first(const uint8_t *file, const sto_layout *l, uint32_t b)
{
    return b < l->nblocks ? bl_get_u32le(file + entry_at(l, b)) : l->ndocs;
}


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

/* Opens path without verifying and reads every document and then the
 * whole store: each failure must be BL_ECORRUPT naming the file, each
 * string returned must be in bounds and NUL-terminated (ASan watches).
 * Returns -1 if it did not open, 1 if a get or the check failed, else 0. */
static int read_all(const char *path, size_t at, uint32_t written)
{
    bl_docstore *s = NULL;
    int rc = bl_docstore_open(&s, path, 0);
    if (rc) {
        cr_assert(rc == BL_ECORRUPT || rc == BL_EVERSION, "byte %zu: rc %d", at, rc);
        return -1;
    }
    /* A damaged count may be huge: past the documents written, only the
     * last few and the first out of range are tried. */
    uint64_t count = bl_docstore_count(s);
    int failed = 0;
    for (uint64_t d = 0; d < count + 1; d++) {
        if (d == written && count > (uint64_t)written + 3)
            d = count - 3;
        bl_stored_doc got;
        rc = bl_docstore_get(s, (uint32_t)d, &got);
        if (d >= count) {
            cr_assert_eq(rc, BL_EINVAL);
            continue;
        }
        expect_ok_or_corrupt(rc, path, "get", at);
        failed |= rc != 0;
        if (rc == 0) {
            size_t sum = got.id_len + got.title_len + got.text_len + got.source_len +
                         got.date_len + got.url_len;
            cr_assert(sum <= BL_DOCSTORE_MAX_RECORD);
            volatile char x = got.text[got.text_len];
            cr_assert_eq(x, 0);
            cr_assert_eq(got.id[got.id_len], 0);
            cr_assert_eq(got.url[got.url_len], 0);
        }
    }
    rc = bl_docstore_check(s);
    expect_ok_or_corrupt(rc, path, "check", at);
    failed |= rc != 0;
    bl_docstore_close(s);
    return failed;
}

/* Flips bytes of a store of 80 documents written with blocks of up to
 * target bytes (0: a document a block), or copied from several stores
 * (merged). */
static void corrupt_sweep(size_t target, int merged)
{
    make_tmpdir();
    size_t n = 80;
    doc *docs = calloc(n, sizeof *docs);
    cr_assert_not_null(docs);
    for (size_t i = 0; i < n; i++)
        make_doc(&docs[i], i % 3 == 0 ? 2000 + below(4000) : 0);
    char good[128], bad[128];
    tmp_path(good, sizeof good, "good.sto");
    tmp_path(bad, sizeof bad, "bad.sto");
    int *live = merged == 2 ? calloc(n, sizeof *live) : NULL;
    if (merged)
        write_merged_store_live(good, docs, n, live);
    else
        write_store_blocks(good, docs, n, target);
    free(live);
    size_t len;
    uint8_t *orig = read_file(good, &len);
    uint8_t *copy = malloc(len);
    cr_assert_not_null(copy);
    sto_layout l = layout_of(orig, len);
    cr_assert(l.nblocks > 10 && (target || merged || l.nblocks == n), "%u blocks", l.nblocks);
    cr_assert(merged == 2 ? l.nparts > 3 : l.nparts == (merged ? 3u : 1u), "%u parts",
              l.nparts);
    size_t version_at = len - BL_FOOTER_BYTES + 4;
    /* Every byte from the end of the last block on (block index, tail,
     * page sums, footer); a stride elsewhere, about 1000 flips. */
    size_t dense_from = l.entries > 64 ? l.entries - 64 : 0;
    size_t stride = dense_from / 1000 + 1;
    size_t flips = 0, opened = 0, caught = 0, resealed = 0, resealed_caught = 0;

    for (size_t i = 0; i < len; i += i < dense_from ? stride : 1) {
        uint8_t mask = flips & 1 ? (uint8_t)(1u << below(8)) : 0xff;
        memcpy(copy, orig, len);
        copy[i] ^= mask;
        flips++;
        write_file(bad, copy, len);

        /* As flipped: the page checksums (or the footer) catch it. */
        bl_docstore *s = NULL;
        int rc = bl_docstore_open(&s, bad, 1);
        if (i >= version_at && i < version_at + 4)
            cr_assert_eq(rc, BL_EVERSION, "byte %zu: rc %d", i, rc);
        else
            cr_assert_eq(rc, BL_ECORRUPT, "byte %zu: verify=1 gave rc %d", i, rc);
        int r = read_all(bad, i, (uint32_t)n);
        opened += r >= 0;
        caught += r > 0;

        /* Resealed, so that only the structure can tell: never a crash, and
         * damage to the block index or the tail is always found. */
        if (i >= l.body)
            continue;
        cr_assert_eq(bl_test_reseal(copy, len), 0);
        write_file(bad, copy, len);
        rc = bl_docstore_open(&s, bad, 1);
        cr_assert(rc == 0 || rc == BL_ECORRUPT, "byte %zu: resealed, rc %d", i, rc);
        if (rc == 0)
            bl_docstore_close(s);
        r = read_all(bad, i, (uint32_t)n);
        resealed++;
        resealed_caught += r != 0;
        if (i >= l.entries)
            cr_assert(r != 0, "byte %zu (^%02x) of the block index or tail: resealed damage "
                      "not found", i, mask);
    }
    fprintf(stderr, "docstore.corrupt_bytes: %s: %zu-byte file, %zu flips, "
            "%zu opened without verify, get/check caught %zu of them; %zu resealed, %zu "
            "caught\n", merged == 2 ? "merged without deleted documents" : merged ? "merged"
                         : target ? "blocks of 4 KiB" : "a document a block",
            len, flips, opened, caught, resealed, resealed_caught);
    free(copy);
    free(orig);
    free_docs(docs, n);
    remove_tmpdir();
}

Test(docstore, corrupt_bytes, .timeout = 300)
{
    seed_rng("corrupt_bytes");
    corrupt_sweep(0, 0);           /* 80 blocks */
    corrupt_sweep(MULTI_BLOCK, 0); /* a few dozen, several documents each */
    corrupt_sweep(0, 1);           /* three parts copied from four stores */
    corrupt_sweep(0, 2);           /* the same, deleted documents left out */
}

/* ---- layout -------------------------------------------------------------- */

static size_t record_bytes(const doc *d)
{
    size_t n = 0;
    for (int f = 0; f < NF; f++) {
        uint8_t v[10];
        n += bl_varint_encode(v, d->len[f]) + d->len[f];
    }
    return n;
}

static void expect_all(bl_docstore *s, const doc *docs, const uint32_t *order, size_t n)
{
    for (size_t i = 0; i < n; i++)
        expect_doc(s, order[i], &docs[order[i]]);
}

Test(docstore, roundtrip_across_blocks, .timeout = 300)
{
    seed_rng("roundtrip_across_blocks");
    make_tmpdir();
    /* Runs of empty documents, records about one block long, articles of
     * many blocks, and ordinary ones between them. */
    size_t n = 3000;
    doc *docs = calloc(n, sizeof *docs);
    cr_assert_not_null(docs);
    size_t largest = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t r = below(40);
        if (r < 4)
            continue; /* every field empty */
        if (r < 8)
            make_doc(&docs[i], MULTI_BLOCK - 300 + below(600));
        else if (r < 10)
            make_doc(&docs[i], MULTI_BLOCK * (2 + below(40)) + below(100));
        else
            make_doc(&docs[i], 0);
        if (record_bytes(&docs[i]) > largest)
            largest = record_bytes(&docs[i]);
    }
    char path[128];
    tmp_path(path, sizeof path, "blocks.sto");
    write_store_blocks(path, docs, n, MULTI_BLOCK);

    /* Blocks are small: one holds several records only while they fit in
     * MULTI_BLOCK bytes (its header aside). */
    size_t len;
    uint8_t *file = read_file(path, &len);
    sto_layout l = layout_of(file, len);
    cr_assert_eq(l.ndocs, n);
    cr_assert(l.nblocks > n / 10, "%u blocks for %zu documents", l.nblocks, n);
    for (uint32_t b = 0; b < l.nblocks; b++) {
        uint32_t count = entry_first(file, &l, b + 1) - entry_first(file, &l, b);
        uint32_t usize = bl_get_u32le(file + entry_at(&l, b) + 16);
        cr_assert(count == 1 || usize <= MULTI_BLOCK + 10,
                  "block %u: %u documents in %u bytes", b, count, usize);
        cr_assert(usize <= largest + 10, "block %u: %u bytes", b, usize);
    }
    free(file);

    bl_docstore *s;
    cr_assert_eq(bl_docstore_open(&s, path, 0), 0, "%s", bl_error_detail());
    uint32_t *order = malloc(3 * n * sizeof *order);
    cr_assert_not_null(order);
    /* Backwards: every block is opened at its last document first. */
    for (size_t i = 0; i < n; i++)
        order[i] = (uint32_t)(n - 1 - i);
    expect_all(s, docs, order, n);
    /* Zigzag: a document, the one before (already parsed), the one after
     * (the stream goes on). */
    size_t k = 0;
    for (size_t i = 1; i + 1 < n; i += 3) {
        order[k++] = (uint32_t)i;
        order[k++] = (uint32_t)i - 1;
        order[k++] = (uint32_t)i + 1;
    }
    expect_all(s, docs, order, k);
    /* Random. */
    for (size_t i = 0; i < n; i++)
        order[i] = (uint32_t)below(n);
    expect_all(s, docs, order, n);
    cr_assert_eq(bl_docstore_check(s), 0, "%s", bl_error_detail());
    bl_docstore_close(s);
    free(order);
    free_docs(docs, n);
    remove_tmpdir();
}

/* By default each document gets a block of its own, so that a fetch
 * inflates that document alone; a block target packs several. */
Test(docstore, default_block_holds_one_document, .timeout = 120)
{
    seed_rng("default_block_holds_one_document");
    make_tmpdir();
    size_t n = 500;
    doc *docs = calloc(n, sizeof *docs);
    cr_assert_not_null(docs);
    for (size_t i = 0; i < n; i++)
        make_doc(&docs[i], i % 50 == 0 ? MULTI_BLOCK * 3 : 0);
    char path[128];
    tmp_path(path, sizeof path, "one.sto");
    for (int multi = 0; multi < 2; multi++) {
        write_store_blocks(path, docs, n, multi ? MULTI_BLOCK : 0);
        size_t len;
        uint8_t *file = read_file(path, &len);
        sto_layout l = layout_of(file, len);
        cr_assert_eq(l.ndocs, n);
        if (multi) {
            cr_assert(l.nblocks < n / 2, "%u blocks for %zu documents", l.nblocks, n);
        } else {
            cr_assert_eq(l.nblocks, n);
            for (uint32_t b = 0; b < l.nblocks; b++) {
                cr_assert_eq(entry_first(file, &l, b), b);
                uint32_t usize = bl_get_u32le(file + entry_at(&l, b) + 16);
                cr_assert_leq(usize, record_bytes(&docs[b]) + 10, "block %u: %u bytes", b, usize);
            }
        }
        free(file);
        bl_docstore *s;
        cr_assert_eq(bl_docstore_open(&s, path, 1), 0, "%s", bl_error_detail());
        for (size_t i = 0; i < n; i++) {
            uint32_t d = (uint32_t)below(n);
            expect_doc(s, d, &docs[d]);
        }
        cr_assert_eq(bl_docstore_check(s), 0, "%s", bl_error_detail());
        bl_docstore_close(s);
    }
    free_docs(docs, n);
    remove_tmpdir();
}

/* A document of word-like text of about text_len bytes, short other fields. */
static void make_text_doc(doc *d, size_t text_len)
{
    static const size_t lens[NF] = {6, 40, 0, 30, 19, 0};
    for (int f = 0; f < NF; f++) {
        d->len[f] = f == 2 ? text_len : lens[f];
        d->f[f] = d->len[f] ? malloc(d->len[f]) : NULL;
        size_t i = 0;
        while (i < d->len[f]) {
            const char *w = words[below(14)];
            size_t wl = strlen(w);
            if (wl > d->len[f] - i)
                wl = d->len[f] - i;
            memcpy(d->f[f] + i, w, wl);
            i += wl;
            if (i < d->len[f])
                d->f[f][i++] = ' ';
        }
    }
}

/* Writes documents of about total bytes of text, reads them back and
 * returns the store's dictionary length; *records gets the bytes of their
 * records. */
static uint32_t dict_len_for(size_t total, const char *name, size_t *records)
{
    size_t n = total / 700;
    doc *docs = calloc(n ? n : 1, sizeof *docs);
    cr_assert_not_null(docs);
    *records = 0;
    for (size_t i = 0; i < n; i++) {
        make_text_doc(&docs[i], 400 + below(600));
        *records += record_bytes(&docs[i]);
    }
    char path[128];
    tmp_path(path, sizeof path, name);
    write_store(path, docs, n);
    size_t len;
    uint8_t *file = read_file(path, &len);
    sto_layout l = layout_of(file, len);
    free(file);
    bl_docstore *s;
    cr_assert_eq(bl_docstore_open(&s, path, 1), 0, "%s", bl_error_detail());
    for (size_t i = 0; i < n; i++)
        expect_doc(s, (uint32_t)i, &docs[i]);
    cr_assert_eq(bl_docstore_check(s), 0, "%s", bl_error_detail());
    bl_docstore_close(s);
    free_docs(docs, n);
    return l.dict_len;
}

Test(docstore, dictionary_sized_to_the_store, .timeout = 120)
{
    seed_rng("dictionary_sized_to_the_store");
    make_tmpdir();
    size_t rec;
    cr_assert_eq(dict_len_for(0, "empty.sto", &rec), 0);
    /* Under 8 KiB of records: no dictionary (it would cost more than it
     * saves), though the documents take a few blocks. */
    cr_assert_eq(dict_len_for(6000, "small.sto", &rec), 0);
    cr_assert(rec > MULTI_BLOCK && rec < 8192, "%zu bytes", rec);
    /* Up to 1 MiB: a 32nd of the records, in whole 256-byte pieces. */
    uint32_t d = dict_len_for(200 * 1024, "mid.sto", &rec);
    cr_assert_eq(d, rec / 32 / 256 * 256, "dictionary %u for %zu bytes", d, rec);
    cr_assert(d > 0 && d < BL_DOCSTORE_DICT_MAX);
    /* Beyond: the largest, taken from the first MiB. */
    cr_assert_eq(dict_len_for(3 << 20, "big.sto", &rec), BL_DOCSTORE_DICT_MAX);
    remove_tmpdir();
}

/* ---- the store's size on a real corpus ------------------------------------ */

static int add_article(void *ctx, const bl_article *a)
{
    bl_stored_doc d = {a->id, a->id_len, a->title, a->title_len, a->text, a->text_len,
                       a->source, a->source_len, a->date, a->date_len, a->url, a->url_len};
    return bl_docstore_writer_add(ctx, &d);
}

/* The bound: stored articles take at most 0.40 of the corpus. */
Test(docstore, reuters_store_within_ratio, .timeout = 120)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/../shared/corpora/reuters21578", bl_test_root());
    if (access(dir, R_OK) != 0)
        cr_skip_test("reuters21578 corpus absent");
    make_tmpdir();
    char path[128];
    tmp_path(path, sizeof path, "reuters.sto");
    bl_docstore_writer *w;
    cr_assert_eq(bl_docstore_writer_new(&w, path), 0, "%s", bl_error_detail());
    bl_load_stats st = {0};
    for (int i = 0; i < 4; i++) {
        char file[PATH_MAX + 32];
        snprintf(file, sizeof file, "%s/reut2-%03d.sgm", dir, i);
        cr_assert_eq(bl_load_path(file, NULL, add_article, w, &st), 0, "%s", bl_error_detail());
    }
    cr_assert_eq(bl_docstore_writer_finish(w), 0, "%s", bl_error_detail());
    size_t len;
    uint8_t *file = read_file(path, &len);
    free(file);
    double ratio = (double)len / (double)st.bytes;
    fprintf(stderr, "docstore.reuters_store_within_ratio: %" PRIu64 " articles, %" PRIu64
            " corpus bytes, store %zu bytes (%.3f)\n", st.articles, st.bytes, len, ratio);
    cr_assert(ratio <= 0.40, "store is %.3f of the corpus", ratio);
    bl_docstore *s;
    cr_assert_eq(bl_docstore_open(&s, path, 1), 0, "%s", bl_error_detail());
    cr_assert_eq(bl_docstore_count(s), st.articles);
    cr_assert_eq(bl_docstore_check(s), 0, "%s", bl_error_detail());
    bl_docstore_close(s);
    remove_tmpdir();
}

/* ---- damage read in place ------------------------------------------------ */

/* A store of n word-like documents with blocks of up to target bytes (0:
 * a document a block; MULTI_BLOCK: a few hundred blocks for n = 2000). */
static doc *many_blocks(const char *path, size_t n, size_t target)
{
    doc *docs = calloc(n, sizeof *docs);
    cr_assert_not_null(docs);
    for (size_t i = 0; i < n; i++)
        make_text_doc(&docs[i], 300 + below(1500));
    write_store_blocks(path, docs, n, target);
    return docs;
}

typedef struct {
    const char *what;
    size_t field;     /* byte of the entry */
    int wide;         /* a u64 field */
    uint64_t value;
    int block_only;   /* only the block's own documents read the field */
} entry_damage;

/* One entry in the middle of the block index damaged (checksums resealed):
 * the store still opens, a fetch that reads the entry fails naming the
 * file and the entry's offset, every other fetch returns its document, and
 * check finds the entry. */
static void damage_one_entry(size_t target)
{
    make_tmpdir();
    size_t n = 2000;
    char good[128], bad[128];
    tmp_path(good, sizeof good, "good.sto");
    tmp_path(bad, sizeof bad, "bad.sto");
    doc *docs = many_blocks(good, n, target);
    size_t len;
    uint8_t *orig = read_file(good, &len);
    uint8_t *copy = malloc(len);
    cr_assert_not_null(copy);
    sto_layout l = layout_of(orig, len);
    cr_assert(l.nblocks > 100 && l.dict_len > 0, "%u blocks, dictionary %u", l.nblocks,
              l.dict_len);
    /* Not the binary search's first probe, which every fetch reads. */
    uint32_t m = l.nblocks / 2 + 3;
    size_t at = entry_at(&l, m);
    uint32_t first = entry_first(orig, &l, m), end = entry_first(orig, &l, m + 1);
    const entry_damage cases[] = {
        {"offset past the blocks", 4, 1, l.entries, 1},
        {"offset inside the dictionary", 4, 1, l.dict_len / 2, 1},
        {"no compressed bytes", 12, 0, 0, 1},
        {"more inflated bytes than deflate can make", 16, 0, 0xfffffff0u, 1},
        {"first document out of range", 0, 0, l.ndocs + 7, 0},
        {"first document of the block before", 0, 0, entry_first(orig, &l, m - 1), 0},
        {"first document 0", 0, 0, 0, 0},
    };
    char want[64];
    snprintf(want, sizeof want, "offset %zu", at);
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        const entry_damage *dm = &cases[c];
        memcpy(copy, orig, len);
        if (dm->wide)
            bl_put_u64le(copy + at + dm->field, dm->value);
        else
            bl_put_u32le(copy + at + dm->field, (uint32_t)dm->value);
        cr_assert_eq(bl_test_reseal(copy, len), 0);
        write_file(bad, copy, len);
        bl_docstore *s;
        cr_assert_eq(bl_docstore_open(&s, bad, 1), 0, "%s: %s", dm->what, bl_error_detail());
        size_t failed = 0;
        for (uint32_t d = 0; d < n; d++) {
            bl_stored_doc got;
            bl_error_clear();
            int rc = bl_docstore_get(s, d, &got);
            int in_block = d >= first && d < end;
            if (rc == 0) {
                cr_assert(!in_block, "%s: document %u of the damaged block was read", dm->what, d);
                expect_doc(s, d, &docs[d]);
                continue;
            }
            failed++;
            cr_assert_eq(rc, BL_ECORRUPT, "%s: document %u: rc %d", dm->what, d, rc);
            cr_assert(strstr(bl_error_detail(), bad) && strstr(bl_error_detail(), want),
                      "%s: document %u: '%s' does not name %s", dm->what, d, bl_error_detail(),
                      want);
            cr_assert(in_block || !dm->block_only, "%s: document %u of another block failed: %s",
                      dm->what, d, bl_error_detail());
        }
        if (dm->block_only)
            cr_assert_eq(failed, end - first, "%s", dm->what);
        cr_assert(failed >= end - first && failed < n / 2, "%s: %zu fetches failed", dm->what,
                  failed);
        cr_assert_eq(bl_docstore_check(s), BL_ECORRUPT, "%s", dm->what);
        cr_assert(strstr(bl_error_detail(), bad) && strstr(bl_error_detail(), want),
                  "%s: check: '%s' does not name %s", dm->what, bl_error_detail(), want);
        bl_docstore_close(s);
    }
    free(copy);
    free(orig);
    free_docs(docs, n);
    remove_tmpdir();
}

Test(docstore, damaged_entry_fails_only_its_fetches, .timeout = 300)
{
    seed_rng("damaged_entry_fails_only_its_fetches");
    damage_one_entry(0);           /* read directly */
    damage_one_entry(MULTI_BLOCK); /* found by binary search */
}

/* Opening reads the tail only: a page of the block index that fails its
 * checksum is found by the fetches (and the check) that touch it, not at
 * open. */
Test(docstore, open_reads_only_the_tail, .timeout = 120)
{
    seed_rng("open_reads_only_the_tail");
    make_tmpdir();
    size_t n = 4000;
    char good[128], bad[128];
    tmp_path(good, sizeof good, "good.sto");
    tmp_path(bad, sizeof bad, "bad.sto");
    doc *docs = many_blocks(good, n, MULTI_BLOCK);
    size_t len;
    uint8_t *file = read_file(good, &len);
    sto_layout l = layout_of(file, len);
    /* An entry on a page of its own: not the tail's or the part's (every
     * fetch reads them), not the one every binary search reads first. */
    size_t tail_page = (l.body - TAIL_BYTES) / 4096, root_page = entry_at(&l, l.nblocks / 2) / 4096;
    size_t part_page = l.parts / 4096;
    uint32_t b = l.nblocks - 1;
    while (b > 0 && (entry_at(&l, b) / 4096 == tail_page || entry_at(&l, b) / 4096 == root_page ||
                     entry_at(&l, b) / 4096 == part_page ||
                     (entry_at(&l, b) + ENTRY_BYTES - 1) / 4096 == tail_page ||
                     (entry_at(&l, b) + ENTRY_BYTES - 1) / 4096 == part_page))
        b--;
    cr_assert(b > l.nblocks / 2, "no page of the block index to damage");
    size_t at = entry_at(&l, b) + 1;
    file[at] ^= 0x40;
    write_file(bad, file, len);
    free(file);

    bl_docstore *s;
    cr_assert_eq(bl_docstore_open(&s, bad, 1), BL_ECORRUPT);
    cr_assert_eq(bl_docstore_open(&s, bad, 0), 0, "%s", bl_error_detail());
    size_t failed = 0;
    for (uint32_t d = 0; d < n; d++) {
        bl_stored_doc got;
        int rc = bl_docstore_get(s, d, &got);
        if (rc == 0) {
            expect_doc(s, d, &docs[d]);
            continue;
        }
        failed++;
        cr_assert_eq(rc, BL_ECORRUPT);
        cr_assert(strstr(bl_error_detail(), bad) && strstr(bl_error_detail(), "checksum"), "%s",
                  bl_error_detail());
    }
    cr_assert(failed > 0 && failed < n, "%zu of %zu fetches failed", failed, n);
    cr_assert_eq(bl_docstore_check(s), BL_ECORRUPT);
    cr_assert(strstr(bl_error_detail(), "checksum"), "%s", bl_error_detail());
    bl_docstore_close(s);
    free_docs(docs, n);
    remove_tmpdir();
}
