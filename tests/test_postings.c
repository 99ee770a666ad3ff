/* test_postings.c: the block codec and the postings writer/reader, checked
 * against brute-force oracles on random lists.
 *
 * Every test prints its seed; set BYLINE_SEED=N to replay one. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bitmap.h"
#include "buf.h"
#include "codec.h"
#include "error.h"
#include "filefmt.h"
#include "helpers.h"
#include "intersect.h"
#include "postings.h"

/* ------------------------------------------------------------ randomness */

static unsigned long long g_seed;
static uint64_t g_rng;
/* The codec lists are written with; tests that matter for both loop. */
static uint32_t g_codec = BL_CODEC_DEFAULT;
static const uint32_t codecs[] = {BL_CODEC_VARINT, BL_CODEC_BITPACK, BL_CODEC_PATCHED};
#define NCODECS (sizeof codecs / sizeof codecs[0])

#define CHECK(cond, fmt, ...)                                                        \
    do {                                                                             \
        if (!(cond))                                                                 \
            cr_assert_fail("seed %llu: %s: " fmt, g_seed, #cond, ##__VA_ARGS__);     \
    } while (0)

static void seed_init(const char *test)
{
    const char *e = getenv("BYLINE_SEED");
    if (e && *e) {
        g_seed = strtoull(e, NULL, 0);
    } else {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        g_seed = (unsigned long long)ts.tv_sec * 1000000007ULL ^
                 (unsigned long long)ts.tv_nsec ^ (unsigned long long)getpid() << 20;
    }
    g_rng = g_seed;
    fprintf(stderr, "postings/%s: seed %llu (replay: BYLINE_SEED=%llu)\n", test, g_seed,
            g_seed);
}

/* Three tests of one body, seeded apart: one for each codec. */
#define EACH_CODEC(name, body)                                                     \
    Test(postings, name##_varint, .timeout = 300)                                  \
    {                                                                              \
        seed_init(#name "_varint");                                                \
        g_codec = BL_CODEC_VARINT;                                                 \
        body();                                                                    \
    }                                                                              \
    Test(postings, name##_bitpack, .timeout = 300)                                 \
    {                                                                              \
        seed_init(#name "_bitpack");                                               \
        g_codec = BL_CODEC_BITPACK;                                                \
        body();                                                                    \
    }                                                                              \
    Test(postings, name##_patched, .timeout = 300)                                 \
    {                                                                              \
        seed_init(#name "_patched");                                               \
        g_codec = BL_CODEC_PATCHED;                                                \
        body();                                                                    \
    }

static uint64_t rnd64(void)
{
    uint64_t z = (g_rng += 0x9e3779b97f4a7c15ULL); /* splitmix64 */
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Uniform in [0, n); n > 0. */
static uint64_t rnd(uint64_t n) { return rnd64() % n; }

/* ------------------------------------------------------------ temp files */

typedef struct {
    char dir[64];
    char doc[96];
    char pos[96];
} tmpfiles;

static void tmp_make(tmpfiles *t)
{
    const char *base = getenv("TMPDIR");
    snprintf(t->dir, sizeof t->dir, "%s/bl_postings_XXXXXX", base && *base ? base : "/tmp");
    cr_assert(mkdtemp(t->dir) != NULL, "mkdtemp failed");
    snprintf(t->doc, sizeof t->doc, "%s/seg.doc", t->dir);
    snprintf(t->pos, sizeof t->pos, "%s/seg.pos", t->dir);
}

static void tmp_remove(tmpfiles *t)
{
    unlink(t->doc);
    unlink(t->pos);
    rmdir(t->dir);
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert(f != NULL);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)n + 1);
    cr_assert(fread(b, 1, (size_t)n, f) == (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return b;
}

static void spit(const char *path, const uint8_t *b, size_t len)
{
    FILE *f = fopen(path, "wb");
    cr_assert(f != NULL);
    cr_assert(fwrite(b, 1, len, f) == len);
    fclose(f);
}

/* ------------------------------------------------------------ random lists */

typedef struct {
    uint32_t n;
    uint32_t *docs, *tfs, *pos;
    uint64_t *pstart; /* n + 1 prefix sums of tfs */
    uint32_t *lens;   /* doc lengths by doc id, or NULL */
    bl_terminfo info;
} tlist;

#define MAX_DOC (UINT32_MAX - 1)

/* A random list of n docs: gaps of a random style (dense, medium, with
 * huge gaps near 2^31, or shifted up to end at the largest doc id), tfs
 * 1..50, random increasing positions. */
static void gen_list(tlist *l, uint32_t n)
{
    memset(l, 0, sizeof *l);
    l->n = n;
    l->docs = malloc(n * sizeof *l->docs);
    l->tfs = malloc(n * sizeof *l->tfs);
    l->pstart = malloc(((size_t)n + 1) * sizeof *l->pstart);
    int style = (int)rnd(4);
    uint64_t prev = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t gap;
        switch (style) {
        case 0: gap = rnd(3); break;
        case 1: gap = rnd(200); break;
        case 2:
            gap = rnd(500) == 0 ? (1ULL << 31) - rnd(1u << 20) : rnd(1000);
            break;
        default: gap = rnd(4) ? rnd(20) : rnd(5000); break;
        }
        /* leave room for the docs still to come */
        uint64_t budget = (uint64_t)MAX_DOC - (i ? prev + 1 : 0) - (n - 1 - i);
        if (gap > budget)
            gap = budget;
        uint64_t d = i ? prev + 1 + gap : gap;
        l->docs[i] = (uint32_t)d;
        prev = d;
    }
    if (rnd(5) == 0) { /* push the list to the very top of the id space */
        uint32_t shift = MAX_DOC - l->docs[n - 1];
        for (uint32_t i = 0; i < n; i++)
            l->docs[i] += shift;
    }
    uint64_t total = 0;
    for (uint32_t i = 0; i < n; i++) {
        l->tfs[i] = 1 + (uint32_t)rnd(rnd(8) ? 8 : 50);
        l->pstart[i] = total;
        total += l->tfs[i];
    }
    l->pstart[n] = total;
    l->pos = malloc(total * sizeof *l->pos);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t tf = l->tfs[i];
        uint32_t *p = l->pos + l->pstart[i];
        uint64_t cur = rnd(10) ? rnd(1000) : rnd(UINT32_MAX - 100);
        for (uint32_t k = 0; k < tf; k++) {
            uint64_t limit = (uint64_t)UINT32_MAX - 1 - (tf - k); /* room for the rest */
            if (cur > limit)
                cur = limit;
            p[k] = (uint32_t)cur;
            cur += 1 + (rnd(50) ? rnd(30) : rnd(1u << 30));
        }
    }
    if (l->docs[n - 1] < (1u << 21)) {
        size_t nl = (size_t)l->docs[n - 1] + 1;
        l->lens = malloc(nl * sizeof *l->lens);
        for (size_t d = 0; d < nl; d++)
            l->lens[d] = 1 + (uint32_t)rnd(5000);
    }
}

static void free_list(tlist *l)
{
    free(l->docs);
    free(l->tfs);
    free(l->pos);
    free(l->pstart);
    free(l->lens);
}

/* Writes lists[0..nl) into fresh files in t (in order), for a segment of
 * doc_count documents. */
static void write_lists_in(tmpfiles *t, tlist *lists, size_t nl, uint32_t doc_count)
{
    bl_postings_writer *w;
    int rc = bl_postings_writer_new(&w, t->doc, t->pos, doc_count, BL_DENSE_RATIO, g_codec);
    cr_assert(rc == 0, "writer_new: %s", bl_error_detail());
    for (size_t i = 0; i < nl; i++) {
        tlist *l = &lists[i];
        rc = bl_postings_writer_add(w, l->docs, l->tfs, l->n, l->pos, l->lens, &l->info);
        CHECK(rc == 0, "add: %s", bl_error_detail());
        CHECK(l->info.doc_freq == l->n, "");
        CHECK(l->info.total_freq == l->pstart[l->n], "");
    }
    rc = bl_postings_writer_finish(w);
    cr_assert(rc == 0, "finish: %s", bl_error_detail());
}

/* The same with no per-document arrays: any id allowed, no list dense. */
static void write_lists(tmpfiles *t, tlist *lists, size_t nl)
{
    write_lists_in(t, lists, nl, BL_DOC_END);
}

/* ------------------------------------------------------------ oracles */

static uint32_t nblocks_of(uint32_t n) { return (n + BL_BLOCK_SIZE - 1) / BL_BLOCK_SIZE; }

/* Index of the first doc >= target in docs[from..n), n if none. */
static uint32_t oracle_lower_bound(const tlist *l, uint32_t from, uint32_t target)
{
    uint32_t lo = from, hi = l->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (l->docs[mid] < target)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Block b's last doc, highest tf and shortest length, brute force (min_len
 * 0 for a single-block list, which stores none). */
static void oracle_block(const tlist *l, uint32_t b, uint32_t *last, uint32_t *mt, uint32_t *ml)
{
    uint32_t s = b * BL_BLOCK_SIZE;
    uint32_t e = s + BL_BLOCK_SIZE < l->n ? s + BL_BLOCK_SIZE : l->n;
    *mt = 0;
    *ml = UINT32_MAX;
    for (uint32_t j = s; j < e; j++) {
        if (l->tfs[j] > *mt)
            *mt = l->tfs[j];
        uint32_t len = l->lens ? l->lens[l->docs[j]] : 0;
        if (len < *ml)
            *ml = len;
    }
    *last = l->docs[e - 1];
}

static uint32_t len_at(const tlist *l, uint32_t j)
{
    return l->lens ? l->lens[l->docs[j]] : 0;
}

/* The Pareto front of the (tf, len) pairs of postings [s, e) of l, brute
 * force: the distinct pairs no other pair dominates, by tf; into out (room
 * for e - s). */
static uint32_t oracle_front(const tlist *l, uint32_t s, uint32_t e, bl_impact *out)
{
    uint32_t n = 0;
    for (uint32_t i = s; i < e; i++) {
        bl_impact x = {l->tfs[i], len_at(l, i)};
        int beaten = 0;
        for (uint32_t j = s; j < e && !beaten; j++) {
            bl_impact y = {l->tfs[j], len_at(l, j)};
            beaten = y.tf >= x.tf && y.len <= x.len && (y.tf != x.tf || y.len != x.len);
        }
        for (uint32_t j = 0; j < n && !beaten; j++)
            beaten = out[j].tf == x.tf && out[j].len == x.len;
        if (beaten)
            continue;
        uint32_t at = n++;
        for (; at > 0 && out[at - 1].tf > x.tf; at--)
            out[at] = out[at - 1];
        out[at] = x;
    }
    return n;
}

/* v[0..n) are the impacts of postings [s, e) of l: the exact front when it
 * has at most BL_IMPACTS_MAX pairs; else BL_IMPACTS_MAX pairs, sorted,
 * each made of a tf and a length of the postings, dominating every one. */
static void expect_impacts(const bl_impact *v, uint32_t n, const tlist *l, uint32_t s,
                           uint32_t e, const char *what)
{
    bl_impact *want = malloc((e - s) * sizeof *want);
    uint32_t nw = oracle_front(l, s, e, want);
    if (nw <= BL_IMPACTS_MAX) {
        CHECK(n == nw, "%s: %u impacts, want %u", what, n, nw);
        for (uint32_t i = 0; i < n; i++)
            CHECK(v[i].tf == want[i].tf && v[i].len == want[i].len,
                  "%s: impact %u is (%u, %u), want (%u, %u)", what, i, v[i].tf, v[i].len,
                  want[i].tf, want[i].len);
    } else {
        CHECK(n == BL_IMPACTS_MAX, "%s: %u impacts of a front of %u", what, n, nw);
        for (uint32_t i = 1; i < n; i++)
            CHECK(v[i].tf > v[i - 1].tf && v[i].len > v[i - 1].len, "%s: unsorted", what);
        for (uint32_t i = 0; i < n; i++) {
            int tf_seen = 0, len_seen = 0;
            for (uint32_t j = s; j < e; j++) {
                tf_seen |= l->tfs[j] == v[i].tf;
                len_seen |= len_at(l, j) == v[i].len;
            }
            CHECK(tf_seen && len_seen, "%s: (%u, %u) is no posting's", what, v[i].tf,
                  v[i].len);
        }
    }
    for (uint32_t j = s; j < e; j++)
        CHECK(bl_impacts_dominate(v, n, l->tfs[j], len_at(l, j)),
              "%s: posting %u (tf %u, len %u) not dominated", what, j, l->tfs[j], len_at(l, j));
    free(want);
}

static void check_block_info(bl_posting_iter *it, const tlist *l, uint32_t k)
{
    uint32_t last, mt, ml, want_last, want_mt, want_ml;
    bl_posting_iter_block_info(it, &last, &mt, &ml);
    if (k >= l->n) {
        CHECK(last == BL_DOC_END && mt == 0 && ml == 0, "");
        return;
    }
    uint32_t b = k / BL_BLOCK_SIZE;
    oracle_block(l, b, &want_last, &want_mt, &want_ml);
    CHECK(last == want_last, "block %u: last %u want %u", b, last, want_last);
    CHECK(mt == want_mt, "block %u: max_tf %u want %u", b, mt, want_mt);
    CHECK(ml == want_ml, "block %u: min_len %u want %u", b, ml, want_ml);
}

static void check_at(bl_posting_iter *it, const tlist *l, uint32_t k);

/* The iterator stands on index k of l: bl_posting_iter_shallow(target)
 * must describe the first block from k's on whose last doc >= target, and
 * leave the iterator where it was. */
static void check_shallow(bl_posting_iter *it, const tlist *l, uint32_t k, uint32_t target)
{
    uint32_t last, mt, ml, want_last = BL_DOC_END, want_mt = 0, want_ml = 0;
    bl_posting_iter_shallow(it, target, &last, &mt, &ml);
    if (k < l->n) {
        for (uint32_t b = k / BL_BLOCK_SIZE; b < nblocks_of(l->n); b++) {
            oracle_block(l, b, &want_last, &want_mt, &want_ml);
            if (want_last >= target)
                break;
            want_last = BL_DOC_END;
            want_mt = want_ml = 0;
        }
    }
    CHECK(last == want_last && mt == want_mt && ml == want_ml,
          "shallow(%u) from index %u: %u/%u/%u, want %u/%u/%u", target, k, last, mt, ml,
          want_last, want_mt, want_ml);
    /* the same block's impacts */
    bl_impact v[BL_IMPACTS_MAX];
    uint32_t n, ilast;
    bl_posting_iter_shallow_impacts(it, target, &ilast, v, &n);
    CHECK(ilast == want_last, "shallow_impacts(%u): last %u, want %u", target, ilast,
          want_last);
    if (want_last == BL_DOC_END) {
        CHECK(n == 0, "past the end: %u impacts", n);
    } else {
        uint32_t e = oracle_lower_bound(l, 0, want_last) + 1;
        uint32_t s = (e - 1) / BL_BLOCK_SIZE * BL_BLOCK_SIZE;
        /* a single block's impacts are the term's: the same front */
        expect_impacts(v, n, l, s, e, "block impacts");
    }
    check_at(it, l, k);
}

/* bl_posting_iter_term_bound: the highest tf and shortest length of all
 * blocks (from the dictionary entry the writer filled). */
static void check_term_bound(const bl_posting_iter *it, const tlist *l)
{
    uint32_t mt, ml, want_mt = 0, want_ml = UINT32_MAX;
    bl_posting_iter_term_bound(it, &mt, &ml);
    for (uint32_t b = 0; b < nblocks_of(l->n); b++) {
        uint32_t last, bmt, bml;
        oracle_block(l, b, &last, &bmt, &bml);
        want_mt = bmt > want_mt ? bmt : want_mt;
        want_ml = bml < want_ml ? bml : want_ml;
    }
    CHECK(mt == want_mt && ml == want_ml, "term bound %u/%u, want %u/%u", mt, ml, want_mt,
          want_ml);
}

static void check_positions(bl_posting_iter *it, const tlist *l, uint32_t k)
{
    if (!l->pos)
        return; /* a list without positions: see positionless_lists_body */
    const uint32_t *p;
    uint32_t n;
    int rc = bl_posting_iter_positions(it, &p, &n);
    CHECK(rc == 0, "positions: %s", bl_error_detail());
    CHECK(n == l->tfs[k], "doc %u: %u positions, want %u", l->docs[k], n, l->tfs[k]);
    CHECK(memcmp(p, l->pos + l->pstart[k], n * sizeof *p) == 0, "doc %u: positions differ",
          l->docs[k]);
}

/* Checks the iterator stands on index k of l (k == n: at the end). */
static void check_at(bl_posting_iter *it, const tlist *l, uint32_t k)
{
    bl_docset *ds = bl_posting_iter_docset(it);
    CHECK(ds->err == 0, "err %d: %s", ds->err, bl_error_detail());
    if (k >= l->n) {
        CHECK(ds->doc == BL_DOC_END, "doc %u, want the end", ds->doc);
        return;
    }
    CHECK(ds->doc == l->docs[k], "index %u: doc %u want %u", k, ds->doc, l->docs[k]);
    CHECK(bl_posting_iter_freq(it) == l->tfs[k], "doc %u: tf %u want %u", l->docs[k],
          bl_posting_iter_freq(it), l->tfs[k]);
}

static void walk_next(const bl_postings *p, const tlist *l)
{
    bl_posting_iter *it;
    int rc = bl_posting_iter_new(p, &l->info, &it);
    CHECK(rc == 0, "iter_new: %s", bl_error_detail());
    bl_docset *ds = bl_posting_iter_docset(it);
    CHECK(ds->cost == l->n, "");
    uint32_t want_mt = 0, want_ml = UINT32_MAX, mt, ml;
    for (uint32_t k = 0; k < l->n; k++) {
        want_mt = l->tfs[k] > want_mt ? l->tfs[k] : want_mt;
        uint32_t len = l->lens ? l->lens[l->docs[k]] : 0;
        want_ml = len < want_ml ? len : want_ml;
    }
    CHECK(l->info.max_tf == want_mt && l->info.min_len == want_ml, "writer's term bound");
    bl_posting_iter_term_bound(it, &mt, &ml);
    CHECK(mt == want_mt && ml == want_ml, "term bound %u/%u, want %u/%u", mt, ml, want_mt,
          want_ml);
    const bl_impact *tv;
    uint32_t tn;
    bl_posting_iter_term_impacts(it, &tv, &tn);
    expect_impacts(tv, tn, l, 0, l->n, "term impacts");
    CHECK(tv[tn - 1].tf == want_mt && tv[0].len == want_ml, "term impacts' corner");
    uint32_t every = l->n > 5000 ? 7 : 1;
    for (uint32_t k = 0; k < l->n; k++) {
        check_at(it, l, k);
        if (k % every == 0) {
            check_positions(it, l, k);
            check_block_info(it, l, k);
        }
        uint32_t d = bl_docset_next(ds);
        CHECK(d == (k + 1 < l->n ? l->docs[k + 1] : BL_DOC_END), "next returned %u", d);
    }
    check_at(it, l, l->n);
    CHECK(bl_docset_next(ds) == BL_DOC_END, "");
    CHECK(bl_docset_next(ds) == BL_DOC_END, "");
    CHECK(bl_docset_seek(ds, 5) == BL_DOC_END, "");
    CHECK(ds->ops->seek(ds, BL_DOC_END) == BL_DOC_END, "");
    check_block_info(it, l, l->n);
    const uint32_t *pp;
    uint32_t np = 7;
    CHECK(bl_posting_iter_positions(it, &pp, &np) == 0 && np == 0, "");
    CHECK(ds->err == 0, "");
    bl_docset_free(ds);
}

/* Random next/seek sequences against the brute-force lower bound. */
static void walk_seeks(const bl_postings *p, const tlist *l, int rounds)
{
    for (int r = 0; r < rounds; r++) {
        bl_posting_iter *it;
        int rc = bl_posting_iter_new(p, &l->info, &it);
        CHECK(rc == 0, "iter_new: %s", bl_error_detail());
        bl_docset *ds = bl_posting_iter_docset(it);
        uint32_t k = 0, n = l->n;
        check_term_bound(it, l);
        for (int steps = 0; k < n && steps < 2000; steps++) {
            uint32_t cur = l->docs[k], b = k / BL_BLOCK_SIZE, target, idx;
            uint32_t bend = (b + 1) * BL_BLOCK_SIZE < n ? (b + 1) * BL_BLOCK_SIZE : n;
            switch (rnd(10)) {
            case 0: /* next */
                bl_docset_next(ds);
                k++;
                check_at(it, l, k);
                continue;
            case 1: /* the current doc, or below it: no move */
                target = rnd(2) ? cur : (uint32_t)rnd((uint64_t)cur + 1);
                break;
            case 2: /* a doc inside the current block, or just below one */
                idx = k + (uint32_t)rnd(bend - k);
                target = l->docs[idx] - (idx > k && rnd(2) ? 1 : 0);
                break;
            case 3: /* somewhere in the next block */
                idx = bend + (uint32_t)rnd(BL_BLOCK_SIZE);
                idx = idx < n ? idx : n - 1;
                target = l->docs[idx] + (rnd(3) == 0 && l->docs[idx] < MAX_DOC);
                break;
            case 4: /* far ahead */
                idx = k + (uint32_t)rnd(n - k);
                target = l->docs[idx] + (rnd(2) && l->docs[idx] < MAX_DOC);
                break;
            case 5: /* past the end */
                target = l->docs[n - 1] == MAX_DOC ? BL_DOC_END
                         : l->docs[n - 1] + 1 + (uint32_t)rnd(MAX_DOC - l->docs[n - 1]);
                break;
            case 6: /* anything */
                target = (uint32_t)rnd64();
                break;
            case 8: /* exactly the last doc of a later block, or one past it */
                idx = b + 1 + (uint32_t)rnd(nblocks_of(n) - b);
                idx = idx * BL_BLOCK_SIZE < n ? idx * BL_BLOCK_SIZE - 1 : n - 1;
                target = l->docs[idx] + (rnd(4) == 0 && l->docs[idx] < MAX_DOC);
                break;
            case 7: /* the very next doc id */
                target = cur + (cur < MAX_DOC);
                break;
            default: /* the last doc of the current block */
                target = l->docs[bend - 1];
                break;
            }
            uint32_t want = target <= cur ? k : oracle_lower_bound(l, k, target);
            check_shallow(it, l, k, target);
            uint32_t got = rnd(4) ? bl_docset_seek(ds, target) : ds->ops->seek(ds, target);
            CHECK(got == ds->doc, "");
            k = want;
            check_at(it, l, k);
            if (k < n && rnd(3) == 0)
                check_positions(it, l, k);
            if (rnd(4) == 0)
                check_block_info(it, l, k);
        }
        check_shallow(it, l, k, (uint32_t)rnd64());
        bl_docset_free(ds);
    }
}

static bl_postings *open_postings(const tmpfiles *t, int verify)
{
    bl_postings *p;
    int rc = bl_postings_open(&p, t->doc, t->pos, BL_DOC_END, BL_DENSE_RATIO, g_codec, verify);
    cr_assert(rc == 0, "open: %s", bl_error_detail());
    return p;
}

/* ------------------------------------------------------------ codec */

Test(postings, codec_roundtrip_random)
{
    seed_init("codec_roundtrip_random");
    uint32_t in[300], out[301];
    uint8_t enc[300 * 5 + 8];
    for (int trial = 0; trial < 3000; trial++) {
        size_t n = (size_t)rnd(301);
        int width = (int)rnd(34); /* 33: mixed widths */
        for (size_t i = 0; i < n; i++) {
            int w = width == 33 ? (int)rnd(33) : width;
            uint32_t v = w == 0 ? 0 : (uint32_t)(rnd64() >> (64 - w));
            if (w && rnd(4) == 0)
                v |= 1u << (w - 1); /* exactly w bits */
            in[i] = v;
        }
        size_t len = bl_codec_encode(in, n, enc);
        CHECK(len <= bl_codec_max_bytes(n), "");
        size_t used = 12345;
        out[n] = 0xdeadbeef;
        CHECK(bl_codec_decode(enc, len, out, n, &used) == 0, "n %zu", n);
        CHECK(used == len, "");
        CHECK(memcmp(in, out, n * sizeof *in) == 0, "n %zu width %d", n, width);
        CHECK(out[n] == 0xdeadbeef, "decoder wrote past n");
        if (len) /* one byte short never decodes */
            CHECK(bl_codec_decode(enc, len - 1, out, n, &used) == BL_ECORRUPT, "");
    }
    /* values that do not fit 32 bits */
    const uint8_t big[] = {0xff, 0xff, 0xff, 0xff, 0x10};
    const uint8_t longv[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
    const uint8_t maxv[] = {0xff, 0xff, 0xff, 0xff, 0x0f};
    size_t used;
    CHECK(bl_codec_decode(big, sizeof big, out, 1, &used) == BL_ECORRUPT, "");
    CHECK(bl_codec_decode(longv, sizeof longv, out, 1, &used) == BL_ECORRUPT, "");
    CHECK(bl_codec_decode(maxv, sizeof maxv, out, 1, &used) == 0 && out[0] == UINT32_MAX, "");
    CHECK(bl_codec_decode(NULL, 0, out, 0, &used) == 0 && used == 0, "");
}

Test(postings, delta_roundtrip_random)
{
    seed_init("delta_roundtrip_random");
    uint32_t v[300], orig[300];
    for (int trial = 0; trial < 3000; trial++) {
        size_t n = (size_t)rnd(301);
        uint32_t base = rnd(3) ? (uint32_t)rnd(1000) : (uint32_t)rnd(UINT32_MAX - 400);
        uint64_t cur = base;
        for (size_t i = 0; i < n; i++) {
            uint64_t gap = rnd(3) ? rnd(10) : rnd(1u << (int)rnd(32));
            uint64_t limit = (uint64_t)MAX_DOC - (n - 1 - i);
            cur = (i ? cur + 1 : cur) + gap;
            if (cur > limit)
                cur = limit;
            if (i && cur <= orig[i - 1])
                cur = orig[i - 1] + 1;
            orig[i] = v[i] = (uint32_t)cur;
        }
        if (n && orig[0] < base)
            continue; /* the clamp went below base: not a valid input */
        bl_delta_encode(v, n, base);
        for (size_t i = 0; i < n; i++)
            CHECK(v[i] == (i ? orig[i] - orig[i - 1] - 1 : orig[0] - base), "");
        CHECK(bl_delta_decode(v, n, base) == 0, "");
        CHECK(memcmp(v, orig, n * sizeof *v) == 0, "n %zu base %u", n, base);
    }
    /* the reserved id BL_DOC_END is never produced */
    uint32_t a[2] = {UINT32_MAX - 1, 0};
    CHECK(bl_delta_decode(a, 1, 0) == 0 && a[0] == UINT32_MAX - 1, "");
    a[0] = UINT32_MAX - 1;
    a[1] = 0;
    CHECK(bl_delta_decode(a, 2, 0) == BL_ECORRUPT, "");
    a[0] = 5;
    CHECK(bl_delta_decode(a, 1, UINT32_MAX - 5) == BL_ECORRUPT, "");
    a[0] = UINT32_MAX;
    CHECK(bl_delta_decode(a, 1, 1) == BL_ECORRUPT, "");
}

/* ------------------------------------------------------------ round trips */

static const uint32_t sizes[] = {1, 127, 128, 129, 1000, 100000};
#define NSIZES (sizeof sizes / sizeof sizes[0])

Test(postings, roundtrip_random_lists, .timeout = 300)
{
    seed_init("roundtrip_random_lists");
    for (size_t ci = 0; ci < NCODECS; ci++)
    for (size_t s = 0; s < NSIZES; s++) {
        g_codec = codecs[ci];
        for (int rep = 0; rep < (sizes[s] > 1000 ? 2 : 6); rep++) {
            tmpfiles t;
            tmp_make(&t);
            tlist l;
            gen_list(&l, sizes[s]);
            write_lists(&t, &l, 1);
            bl_postings *p = open_postings(&t, rep & 1);
            CHECK(l.info.postings_offset == 0 && l.info.positions_offset == 0, "");
            CHECK(bl_postings_check_term(p, &l.info, l.docs[l.n - 1] + 1) == 0, "check: %s",
                  bl_error_detail());
            walk_next(p, &l);
            walk_seeks(p, &l, sizes[s] > 1000 ? 20 : 10);
            bl_postings_close(p);
            free_list(&l);
            tmp_remove(&t);
        }
    }
}

static void multiple_terms_by_offset_body(void)
{
    seed_init("multiple_terms_by_offset");
    tmpfiles t;
    tmp_make(&t);
    enum { NT = 60 };
    tlist lists[NT];
    for (int i = 0; i < NT; i++) {
        uint32_t n = i < (int)NSIZES - 1 ? sizes[i] : 1 + (uint32_t)rnd(rnd(4) ? 300 : 3000);
        gen_list(&lists[i], n);
    }
    write_lists(&t, lists, NT);
    for (int i = 1; i < NT; i++) {
        CHECK(lists[i].info.postings_offset > lists[i - 1].info.postings_offset, "");
        CHECK(lists[i].info.positions_offset > lists[i - 1].info.positions_offset, "");
    }
    bl_postings *p = open_postings(&t, 1);
    /* visit the terms in a random order */
    int order[NT];
    for (int i = 0; i < NT; i++)
        order[i] = i;
    for (int i = NT - 1; i > 0; i--) {
        int j = (int)rnd((uint64_t)i + 1), x = order[i];
        order[i] = order[j];
        order[j] = x;
    }
    uint32_t *docs = malloc(3000 * sizeof *docs), *tfs = malloc(3000 * sizeof *tfs);
    for (int oi = 0; oi < NT; oi++) {
        const tlist *l = &lists[order[oi]];
        CHECK(bl_postings_check_term(p, &l->info, l->docs[l->n - 1] + 1) == 0, "check: %s",
              bl_error_detail());
        walk_next(p, l);
        walk_seeks(p, l, 3);
        CHECK(bl_postings_read_docs(p, &l->info, docs, oi & 1 ? tfs : NULL) == 0, "%s",
              bl_error_detail());
        CHECK(memcmp(docs, l->docs, l->n * sizeof *docs) == 0, "read_docs");
        if (oi & 1)
            CHECK(memcmp(tfs, l->tfs, l->n * sizeof *tfs) == 0, "read_docs tfs");
    }
    free(docs);
    free(tfs);
    /* several iterators over different terms at once */
    bl_posting_iter *its[NT];
    for (int i = 0; i < NT; i++)
        CHECK(bl_posting_iter_new(p, &lists[i].info, &its[i]) == 0, "");
    for (uint32_t k = 0; k < 3000; k++)
        for (int i = 0; i < NT; i++) {
            check_at(its[i], &lists[i], k < lists[i].n ? k : lists[i].n);
            if (k < lists[i].n && k % 5 == 0)
                check_positions(its[i], &lists[i], k);
            bl_docset_next(bl_posting_iter_docset(its[i]));
        }
    for (int i = 0; i < NT; i++)
        bl_docset_free(bl_posting_iter_docset(its[i]));
    bl_postings_close(p);
    for (int i = 0; i < NT; i++)
        free_list(&lists[i]);
    tmp_remove(&t);
}

Test(postings, multiple_terms_by_offset_varint, .timeout = 300)
{
    g_codec = BL_CODEC_VARINT;
    multiple_terms_by_offset_body();
}

Test(postings, multiple_terms_by_offset_bitpack, .timeout = 300)
{
    g_codec = BL_CODEC_BITPACK;
    multiple_terms_by_offset_body();
}

Test(postings, multiple_terms_by_offset_patched, .timeout = 300)
{
    g_codec = BL_CODEC_PATCHED;
    multiple_terms_by_offset_body();
}

Test(postings, empty_term_and_sizes)
{
    seed_init("empty_term_and_sizes");
    tmpfiles t;
    tmp_make(&t);
    tlist l;
    gen_list(&l, 300);
    write_lists(&t, &l, 1);
    bl_postings *p = open_postings(&t, 1);
    size_t dlen, plen;
    free(slurp(t.doc, &dlen));
    free(slurp(t.pos, &plen));
    /* body + one 4-byte sum per 4 KiB page + footer */
    uint64_t db = bl_postings_docs_bytes(p), pb = bl_postings_positions_bytes(p);
    CHECK(db + 4 * ((db + 4095) / 4096) + BL_FOOTER_BYTES == dlen, "");
    CHECK(pb + 4 * ((pb + 4095) / 4096) + BL_FOOTER_BYTES == plen, "");
    bl_terminfo none = {0};
    bl_posting_iter *it;
    CHECK(bl_posting_iter_new(p, &none, &it) == 0, "");
    bl_docset *ds = bl_posting_iter_docset(it);
    CHECK(ds->doc == BL_DOC_END && ds->cost == 0, "");
    CHECK(bl_docset_next(ds) == BL_DOC_END, "");
    bl_docset_free(ds);
    bl_docset_free(NULL);
    bl_postings_close(p);
    bl_postings_close(NULL);
    free_list(&l);
    tmp_remove(&t);
}

/* ------------------------------------------------------------ writer input */

Test(postings, writer_rejects_bad_input)
{
    seed_init("writer_rejects_bad_input");
    tmpfiles t;
    tmp_make(&t);
    bl_postings_writer *w;
    cr_assert(bl_postings_writer_new(&w, t.doc, t.pos, BL_DOC_END, BL_DENSE_RATIO, g_codec) == 0);
    bl_terminfo info;
    uint32_t docs[] = {3, 5, 9}, tfs[] = {1, 2, 1}, pos[] = {4, 1, 7, 0};
    uint32_t bad_docs[] = {3, 3, 9}, bad_tfs[] = {1, 0, 1}, bad_pos[] = {4, 7, 7, 0};
    uint32_t top_docs[] = {3, 5, UINT32_MAX}, top_pos[] = {4, 1, 7, UINT32_MAX};
    CHECK(bl_postings_writer_add(w, docs, tfs, 0, pos, NULL, &info) == BL_EINVAL, "");
    CHECK(bl_postings_writer_add(w, bad_docs, tfs, 3, pos, NULL, &info) == BL_EINVAL, "");
    CHECK(bl_postings_writer_add(w, docs, bad_tfs, 3, pos, NULL, &info) == BL_EINVAL, "");
    CHECK(bl_postings_writer_add(w, docs, tfs, 3, bad_pos, NULL, &info) == BL_EINVAL, "");
    CHECK(bl_postings_writer_add(w, top_docs, tfs, 3, pos, NULL, &info) == BL_EINVAL, "");
    CHECK(bl_postings_writer_add(w, docs, tfs, 3, top_pos, NULL, &info) == BL_EINVAL, "");
    /* still usable, and nothing was written */
    CHECK(bl_postings_writer_add(w, docs, tfs, 3, pos, NULL, &info) == 0, "%s",
          bl_error_detail());
    CHECK(info.postings_offset == 0 && info.positions_offset == 0, "");
    CHECK(info.doc_freq == 3 && info.total_freq == 4, "");
    cr_assert(bl_postings_writer_finish(w) == 0);
    /* existing files are not overwritten */
    CHECK(bl_postings_writer_new(&w, t.doc, t.pos, BL_DOC_END, BL_DENSE_RATIO, g_codec) == BL_EIO, "");
    bl_postings *p = open_postings(&t, 1);
    CHECK(bl_postings_check_term(p, &info, 10) == 0, "%s", bl_error_detail());
    CHECK(bl_postings_check_term(p, &info, 9) == BL_ECORRUPT, "doc 9 >= doc_count 9");
    bl_terminfo wrong = info;
    wrong.total_freq = 5;
    CHECK(bl_postings_check_term(p, &wrong, 10) == BL_ECORRUPT, "total_freq");
    bl_postings_close(p);
    tmp_remove(&t);

    /* abort removes both files */
    tmp_make(&t);
    cr_assert(bl_postings_writer_new(&w, t.doc, t.pos, BL_DOC_END, BL_DENSE_RATIO, g_codec) == 0);
    CHECK(bl_postings_writer_add(w, docs, tfs, 3, pos, NULL, &info) == 0, "");
    bl_postings_writer_abort(w);
    bl_postings_writer_abort(NULL);
    CHECK(access(t.doc, F_OK) != 0 && access(t.pos, F_OK) != 0, "");
    tmp_remove(&t);
}

/* ------------------------------------------------------------ corruption */

/* Walks whatever a damaged list gives: it must either report an error or
 * look valid (increasing docs, at most doc_freq of them), never crash. */
static void walk_damaged(const bl_postings *p, const bl_terminfo *info)
{
    bl_posting_iter *it;
    int rc = bl_posting_iter_new(p, info, &it);
    if (rc) {
        CHECK(rc == BL_ECORRUPT, "rc %d", rc);
        CHECK(strlen(bl_error_detail()) > 0, "");
        return;
    }
    bl_docset *ds = bl_posting_iter_docset(it);
    uint64_t seen = 0;
    uint32_t prev = 0;
    int first = 1;
    while (ds->doc != BL_DOC_END) {
        CHECK(first || ds->doc > prev, "doc %u after %u", ds->doc, prev);
        first = 0;
        prev = ds->doc;
        seen++;
        CHECK(seen <= info->doc_freq, "more docs than doc_freq");
        uint32_t tf = bl_posting_iter_freq(it), last, mt, ml;
        bl_posting_iter_block_info(it, &last, &mt, &ml);
        if (rnd(2)) {
            const uint32_t *pp;
            uint32_t np;
            if (bl_posting_iter_positions(it, &pp, &np) == 0) {
                CHECK(np == tf, "");
                for (uint32_t k = 1; k < np; k++)
                    CHECK(pp[k] > pp[k - 1], "");
            } else {
                CHECK(ds->err != 0 && ds->doc == BL_DOC_END, "");
                break;
            }
        }
        if (rnd(3) == 0) {
            uint64_t t64 = (uint64_t)ds->doc + 1 + rnd(rnd(2) ? 300 : 1u << 30);
            uint32_t target = t64 < BL_DOC_END ? (uint32_t)t64 : BL_DOC_END;
            uint32_t got = bl_docset_seek(ds, target);
            CHECK(got == BL_DOC_END || got >= target, "seek %u gave %u", target, got);
        } else {
            bl_docset_next(ds);
        }
    }
    CHECK(ds->err == 0 || ds->err == BL_ECORRUPT || ds->err == BL_ENOMEM, "");
    if (ds->err)
        CHECK(strlen(bl_error_detail()) > 0, "");
    bl_docset_free(ds);
}

static void corrupt_files_never_crash_body(void)
{
    seed_init("corrupt_files_never_crash");
    tmpfiles t;
    tmp_make(&t);
    static const uint32_t dfs[] = {1, 5, 127, 128, 129, 300, 1000, 4000};
    enum { NT = sizeof dfs / sizeof dfs[0] };
    tlist lists[NT];
    for (int i = 0; i < NT; i++)
        gen_list(&lists[i], dfs[i]);
    write_lists(&t, lists, NT);
    size_t dlen, plen;
    uint8_t *dorig = slurp(t.doc, &dlen), *porig = slurp(t.pos, &plen);
    uint8_t *dcur = malloc(dlen), *pcur = malloc(plen);
    size_t dbody = (size_t)bl_get_u64le(dorig + dlen - 24);
    size_t pbody = (size_t)bl_get_u64le(porig + plen - 24);
    int errors = 0;
    for (int trial = 0; trial < 300; trial++) {
        memcpy(dcur, dorig, dlen);
        memcpy(pcur, porig, plen);
        int flips = 1 + (int)rnd(4);
        for (int f = 0; f < flips; f++) {
            int in_pos = rnd(4) == 0;
            uint8_t *b = in_pos ? pcur : dcur;
            size_t at = (size_t)rnd(in_pos ? pbody : dbody);
            b[at] = rnd(2) ? (uint8_t)(b[at] ^ (1u << rnd(8))) : (uint8_t)rnd64();
        }
        /* structural checks alone must cope */
        CHECK(bl_test_reseal(dcur, dlen) == 0 && bl_test_reseal(pcur, plen) == 0, "");
        spit(t.doc, dcur, dlen);
        spit(t.pos, pcur, plen);
        bl_postings *p = open_postings(&t, 0);
        for (int i = 0; i < NT; i++) {
            bl_error_clear();
            walk_damaged(p, &lists[i].info);
            errors += bl_error_code() != 0;
        }
        bl_postings_close(p);
    }
    /* nonsense term infos over good files */
    spit(t.doc, dorig, dlen);
    spit(t.pos, porig, plen);
    bl_postings *p = open_postings(&t, 1);
    for (int trial = 0; trial < 2000; trial++) {
        bl_terminfo info = lists[rnd(NT)].info;
        switch (rnd(6)) {
        case 5: info.positionless ^= 1; break; /* the other skip layout */
        case 0: info.postings_offset = rnd(dbody + 8); break;
        case 1: info.positions_offset = rnd(pbody + 8); break;
        case 2: info.doc_freq = (uint32_t)rnd(rnd(2) ? 10000 : UINT32_MAX); break;
        case 3: info.postings_offset = rnd64(); info.positions_offset = rnd64(); break;
        default:
            info.postings_offset = rnd(dbody + 1);
            info.positions_offset = rnd(pbody + 1);
            info.doc_freq = 1 + (uint32_t)rnd(5000);
            break;
        }
        walk_damaged(p, &info);
        int rc = bl_postings_check_term(p, &info, UINT32_MAX);
        CHECK(rc == 0 || rc == BL_ECORRUPT || rc == BL_ENOMEM, "");
    }
    bl_postings_close(p);
    fprintf(stderr, "corrupt_files_never_crash: %d damaged term walks reported errors\n",
            errors);
    CHECK(errors > 0, "no corruption was ever detected");
    free(dorig);
    free(porig);
    free(dcur);
    free(pcur);
    for (int i = 0; i < NT; i++)
        free_list(&lists[i]);
    tmp_remove(&t);
}

Test(postings, corrupt_files_never_crash_varint, .timeout = 300)
{
    g_codec = BL_CODEC_VARINT;
    corrupt_files_never_crash_body();
}

Test(postings, corrupt_files_never_crash_bitpack, .timeout = 300)
{
    g_codec = BL_CODEC_BITPACK;
    corrupt_files_never_crash_body();
}

Test(postings, corrupt_files_never_crash_patched, .timeout = 300)
{
    g_codec = BL_CODEC_PATCHED;
    corrupt_files_never_crash_body();
}

/* Bytes of the term's impacts at the start of its list. */
static size_t term_impacts_bytes(const uint8_t *body, size_t len, const bl_terminfo *info)
{
    bl_impact v[BL_IMPACTS_MAX];
    uint32_t n;
    size_t used, at = (size_t)info->postings_offset;
    if (info->doc_freq == 1)
        return 0; /* its one pair is in the dictionary */
    cr_assert(bl_impacts_decode(body + at, len - at, v, &n, &used) == 0);
    return used;
}

/* Where the parts of a multi-block list without a bitmap lie in the .doc
 * body (FORMAT.md): its skip arrays and its first block. */
typedef struct {
    uint32_t nb;
    size_t lasts, doc_ends, pos_ends, bounds, blocks;
} skip_layout;

static skip_layout skip_of(const uint8_t *body, size_t len, const bl_terminfo *info)
{
    skip_layout s;
    s.nb = nblocks_of(info->doc_freq);
    s.lasts = (size_t)info->postings_offset + term_impacts_bytes(body, len, info);
    s.doc_ends = s.lasts + 4 * (size_t)s.nb;
    s.pos_ends = s.doc_ends + 4 * (size_t)s.nb;
    s.bounds = s.doc_ends + (info->positionless ? 4 : 8) * (size_t)s.nb;
    s.blocks = s.bounds + 5 * (size_t)s.nb;
    return s;
}

/* Block b's bytes: its runs are [*lo, *mid), its impacts [*mid, *hi). */
static void block_at(const uint8_t *body, const skip_layout *s, uint32_t b, size_t *lo,
                     size_t *mid, size_t *hi)
{
    *lo = s->blocks + (b ? bl_get_u32le(body + s->doc_ends + 4 * (size_t)(b - 1)) : 0);
    *hi = s->blocks + bl_get_u32le(body + s->doc_ends + 4 * (size_t)b);
    *mid = *hi - body[s->bounds + 5 * (size_t)b];
}

static void check_term_detects_flipped_doc_block_byte_body(void)
{
    seed_init("check_term_detects_flipped_doc_block_byte");
    tmpfiles t;
    tmp_make(&t);
    static const uint32_t dfs[] = {129, 1000, 60, 3000};
    enum { NT = sizeof dfs / sizeof dfs[0] };
    tlist lists[NT];
    for (int i = 0; i < NT; i++)
        gen_list(&lists[i], dfs[i]);
    write_lists(&t, lists, NT);
    size_t dlen;
    uint8_t *orig = slurp(t.doc, &dlen), *cur = malloc(dlen);
    {
        bl_postings *p = open_postings(&t, 1);
        for (int i = 0; i < NT; i++)
            CHECK(bl_postings_check_term(p, &lists[i].info, lists[i].docs[lists[i].n - 1] + 1) == 0,
                  "good data: %s", bl_error_detail());
        bl_postings_close(p);
    }
    for (int trial = 0; trial < 400; trial++) {
        int i = rnd(2) ? 1 : (rnd(2) ? 0 : 3); /* the multi-block lists */
        const bl_terminfo *info = &lists[i].info;
        /* a byte of a block's runs (its impacts are a bound, checked
         * apart: check_finds_impacts_below_a_posting) */
        skip_layout sk = skip_of(orig, dlen, info);
        size_t start, end, imps;
        block_at(orig, &sk, (uint32_t)rnd(sk.nb), &start, &end, &imps);
        size_t at = start + (size_t)rnd(end - start);
        memcpy(cur, orig, dlen);
        /* Bit-packed values have no redundancy: flipping two bits can add 1
         * to one gap (or tf) and take 1 from its neighbour, a block as valid
         * as the original that only the page checksum can tell apart. One
         * flipped bit always changes a sum the skip data or the dictionary
         * records. Varints break on any change of bytes. */
        uint8_t flip = (uint8_t)(rnd(2) || g_codec != BL_CODEC_VARINT ? 1u << rnd(8)
                                                                      : 1 + rnd(255));
        cur[at] ^= flip;
        CHECK(bl_test_reseal(cur, dlen) == 0, "");
        spit(t.doc, cur, dlen);
        bl_postings *p = open_postings(&t, 0);
        bl_error_clear();
        int rc = bl_postings_check_term(p, info, lists[i].docs[lists[i].n - 1] + 1);
        CHECK(rc == BL_ECORRUPT, "flip at %zu in term %d went unnoticed", at, i);
        CHECK(strstr(bl_error_detail(), t.dir) != NULL && strstr(bl_error_detail(), "offset "),
              "detail: %s", bl_error_detail());
        /* the neighbours are untouched */
        if (i + 1 < NT)
            CHECK(bl_postings_check_term(p, &lists[i + 1].info,
                                         lists[i + 1].docs[lists[i + 1].n - 1] + 1) == 0,
                  "%s", bl_error_detail());
        bl_postings_close(p);
        /* and, unresealed, the page checksum catches it too */
        memcpy(cur + (dlen - BL_FOOTER_BYTES), orig + (dlen - BL_FOOTER_BYTES), BL_FOOTER_BYTES);
        memcpy(cur + bl_get_u64le(orig + dlen - 24), orig + bl_get_u64le(orig + dlen - 24),
               dlen - BL_FOOTER_BYTES - bl_get_u64le(orig + dlen - 24));
        spit(t.doc, cur, dlen);
        bl_postings *q;
        CHECK(bl_postings_open(&q, t.doc, t.pos, BL_DOC_END, BL_DENSE_RATIO, g_codec, 1) == BL_ECORRUPT, "");
    }
    /* a wrong max_tf in a skip entry (u16 at bound + 1; tf <= 50) */
    const bl_terminfo *info = &lists[1].info;
    skip_layout sk = skip_of(orig, dlen, info);
    for (uint32_t b = 0; b < sk.nb; b++) {
        size_t at = sk.bounds + 5 * (size_t)b + 1;
        cr_assert(orig[at] >= 1 && orig[at] <= 50 && orig[at + 1] == 0);
        memcpy(cur, orig, dlen);
        cur[at] ^= 1;
        CHECK(bl_test_reseal(cur, dlen) == 0, "");
        spit(t.doc, cur, dlen);
        bl_postings *p = open_postings(&t, 0);
        CHECK(bl_postings_check_term(p, info, lists[1].docs[lists[1].n - 1] + 1) == BL_ECORRUPT,
              "max_tf of block %u", b);
        CHECK(strstr(bl_error_detail(), "max tf") != NULL, "%s", bl_error_detail());
        bl_postings_close(p);
    }
    free(orig);
    free(cur);
    for (int i = 0; i < NT; i++)
        free_list(&lists[i]);
    tmp_remove(&t);
}

/* A skip entry whose extent cannot be a block's (forged, resealed) is
 * refused by every reader of it: the iterator, the count without one and
 * the check, each naming "skip entry". Cases: no impacts (imp_len 0),
 * impacts as long as the block or longer, a doc_end below the one
 * before, a doc_end past the file's end. */
Test(postings, skip_entry_extents_are_checked)
{
    seed_init("skip_entry_extents_are_checked");
    g_codec = BL_CODEC_PATCHED;
    tmpfiles t;
    tmp_make(&t);
    tlist l;
    gen_list(&l, 1000);
    write_lists(&t, &l, 1);
    size_t dlen;
    uint8_t *orig = slurp(t.doc, &dlen), *cur = malloc(dlen);
    skip_layout sk = skip_of(orig, dlen, &l.info);
    cr_assert(sk.nb >= 3);
    uint32_t dc = l.docs[l.n - 1] + 1, nw = bl_postings_bitmap_words(dc);
    uint64_t *all = malloc(nw * sizeof *all);
    memset(all, 0xff, nw * sizeof *all);
    enum { NCASES = 5 };
    for (int c = 0; c < NCASES; c++) {
        uint32_t b = 1;
        size_t lo, mid, hi;
        block_at(orig, &sk, b, &lo, &mid, &hi);
        memcpy(cur, orig, dlen);
        size_t imp = sk.bounds + 5 * (size_t)b, end = sk.doc_ends + 4 * (size_t)b;
        if (c == 0)
            cur[imp] = 0;
        else if (c == 1)
            cur[imp] = (uint8_t)(hi - lo);
        else if (c == 2)
            cur[imp] = 255;
        else if (c == 3) /* block 1 ends before block 0 does */
            bl_put_u32le(cur + end, bl_get_u32le(orig + end - 4) - 1);
        else
            bl_put_u32le(cur + end, (uint32_t)(dlen - sk.blocks));
        CHECK(bl_test_reseal(cur, dlen) == 0, "");
        spit(t.doc, cur, dlen);
        bl_postings *p = open_postings(&t, 0);
        /* the iterator, walked to its end */
        bl_posting_iter *it;
        int rc = bl_posting_iter_new(p, &l.info, &it);
        if (rc == 0) {
            while (bl_posting_iter_next(it) != BL_DOC_END)
                ;
            rc = bl_posting_iter_docset(it)->err;
            bl_docset_free(bl_posting_iter_docset(it));
        }
        CHECK(rc == BL_ECORRUPT && strstr(bl_error_detail(), "skip entry"), "case %d: rc %d, %s",
              c, rc, bl_error_detail());
        uint64_t n = 7;
        bl_error_clear();
        rc = bl_postings_count_in(p, &l.info, all, nw, &n);
        CHECK(rc == BL_ECORRUPT && n == 0 && strstr(bl_error_detail(), "skip entry"),
              "case %d: count rc %d, %s", c, rc, bl_error_detail());
        bl_error_clear();
        rc = bl_postings_check_term(p, &l.info, dc);
        CHECK(rc == BL_ECORRUPT, "case %d: check rc %d", c, rc);
        bl_postings_close(p);
    }
    free(all);
    free(orig);
    free(cur);
    free_list(&l);
    tmp_remove(&t);
}

Test(postings, check_term_detects_flipped_doc_block_byte_varint, .timeout = 300)
{
    g_codec = BL_CODEC_VARINT;
    check_term_detects_flipped_doc_block_byte_body();
}

Test(postings, check_term_detects_flipped_doc_block_byte_bitpack, .timeout = 300)
{
    g_codec = BL_CODEC_BITPACK;
    check_term_detects_flipped_doc_block_byte_body();
}

Test(postings, check_term_detects_flipped_doc_block_byte_patched, .timeout = 300)
{
    g_codec = BL_CODEC_PATCHED;
    check_term_detects_flipped_doc_block_byte_body();
}

/* A doc id at or past the segment's document count (a damaged list whose
 * checksum still matches) ends the walk with BL_ECORRUPT instead of letting
 * callers index per-document arrays with it. */
Test(postings, doc_id_past_doc_count_is_corrupt)
{
    seed_init("doc_id_past_doc_count_is_corrupt");
    tmpfiles t;
    tmp_make(&t);
    tlist l;
    /* Written with no doc count, read with one: the list must not look
     * dense to the reader (it would look for a bitmap the writer never
     * wrote), so one whose ids spread far enough is drawn. */
    for (gen_list(&l, 1000); bl_postings_list_is_dense(l.n, l.docs[l.n - 1], BL_DENSE_RATIO); gen_list(&l, 1000))
        free_list(&l);
    write_lists(&t, &l, 1);
    uint32_t last = l.docs[l.n - 1];
    bl_postings *p;
    cr_assert_eq(bl_postings_open(&p, t.doc, t.pos, last, BL_DENSE_RATIO, g_codec, 1), 0, "%s", bl_error_detail());
    bl_posting_iter *it;
    int rc = bl_posting_iter_new(p, &l.info, &it);
    if (rc == 0) {
        bl_docset *ds = bl_posting_iter_docset(it);
        uint32_t n = 0;
        while (ds->doc != BL_DOC_END) {
            CHECK(ds->doc < last, "doc %u yielded, segment has %u", ds->doc, last);
            bl_docset_next(ds);
            n++;
        }
        CHECK(ds->err == BL_ECORRUPT, "walk ended with err %d after %u docs", ds->err, n);
        bl_docset_free(ds);
    } else {
        CHECK(rc == BL_ECORRUPT, "iter_new: %d", rc);
    }
    bl_postings_close(p);
    /* One more document, and the same list is whole. */
    cr_assert_eq(bl_postings_open(&p, t.doc, t.pos, last + 1, BL_DENSE_RATIO, g_codec, 1), 0);
    cr_assert_eq(bl_postings_check_term(p, &l.info, last + 1), 0, "%s", bl_error_detail());
    bl_postings_close(p);
    free_list(&l);
    tmp_remove(&t);
}

static uint32_t tlist_len(const void *ctx, uint32_t doc)
{
    return ((const tlist *)ctx)->lens[doc];
}

/* gen_list, drawn again until the list has document lengths. */
static void gen_list_with_lens(tlist *l, uint32_t n)
{
    for (gen_list(l, n); !l->lens; gen_list(l, n))
        free_list(l);
}

/* A block's corner is kept in 16 bits: a tf of 65535 or more reads back as
 * no bound (UINT32_MAX), a length of 65535 or more as 65535 (below the
 * true one, so still a bound from above on scores); the check accepts
 * both, and the exact values stay in the impacts and the dictionary. */
Test(postings, block_corners_saturate_safely)
{
    seed_init("block_corners_saturate_safely");
    tmpfiles t;
    tmp_make(&t);
    tlist l;
    memset(&l, 0, sizeof l);
    l.n = 5 * BL_BLOCK_SIZE;
    l.docs = malloc(l.n * sizeof *l.docs);
    l.tfs = malloc(l.n * sizeof *l.tfs);
    l.pstart = malloc(((size_t)l.n + 1) * sizeof *l.pstart);
    l.lens = malloc(l.n * sizeof *l.lens);
    uint64_t total = 0;
    for (uint32_t i = 0; i < l.n; i++) {
        l.docs[i] = i;
        /* block 1 holds a tf past 16 bits, block 2 only long documents,
         * blocks 3 and 4 a tf at the edge of saturation and one below */
        l.tfs[i] = i == BL_BLOCK_SIZE + 7       ? 70000
                   : i == 3 * BL_BLOCK_SIZE + 1 ? 65535
                   : i == 4 * BL_BLOCK_SIZE + 2 ? 65534
                                                : 1 + (uint32_t)rnd(3);
        l.lens[i] = i / BL_BLOCK_SIZE == 2 ? 65535 + (uint32_t)rnd(100000) : 1000 + i;
        l.pstart[i] = total;
        total += l.tfs[i];
    }
    l.pstart[l.n] = total;
    l.pos = malloc(total * sizeof *l.pos);
    for (uint32_t i = 0; i < l.n; i++)
        for (uint32_t k = 0; k < l.tfs[i]; k++)
            l.pos[l.pstart[i] + k] = k;
    write_lists(&t, &l, 1);
    bl_postings *p = open_postings(&t, 1);
    CHECK(bl_postings_check_term_lens(p, &l.info, l.n, tlist_len, &l) == 0, "%s",
          bl_error_detail());
    uint32_t shortest = UINT32_MAX;
    for (uint32_t i = 0; i < l.n; i++)
        shortest = l.lens[i] < shortest ? l.lens[i] : shortest;
    CHECK(l.info.max_tf == 70000 && l.info.min_len == shortest, "%u %u", l.info.max_tf,
          l.info.min_len);
    bl_posting_iter *it;
    CHECK(bl_posting_iter_new(p, &l.info, &it) == 0, "%s", bl_error_detail());
    uint32_t last, tf, len;
    bl_posting_iter_shallow(it, 0, &last, &tf, &len);
    CHECK(last == BL_BLOCK_SIZE - 1 && tf <= 3 && len == 1000, "%u %u %u", last, tf, len);
    bl_posting_iter_shallow(it, BL_BLOCK_SIZE, &last, &tf, &len);
    CHECK(last == 2 * BL_BLOCK_SIZE - 1 && tf == UINT32_MAX && len == 1000 + BL_BLOCK_SIZE,
          "%u %u %u", last, tf, len);
    bl_posting_iter_shallow(it, 2 * BL_BLOCK_SIZE, &last, &tf, &len);
    CHECK(last == 3 * BL_BLOCK_SIZE - 1 && tf <= 3 && len == 65535, "%u %u %u", last, tf, len);
    bl_posting_iter_shallow(it, 3 * BL_BLOCK_SIZE, &last, &tf, &len);
    CHECK(tf == UINT32_MAX && len == 1000 + 3 * BL_BLOCK_SIZE, "%u %u", tf, len);
    bl_posting_iter_shallow(it, 4 * BL_BLOCK_SIZE, &last, &tf, &len);
    CHECK(tf == 65534 && len == 1000 + 4 * BL_BLOCK_SIZE, "%u %u", tf, len);
    /* the exact impacts are kept: block 1's top pair is the tf itself */
    bl_impact v[BL_IMPACTS_MAX];
    uint32_t n;
    bl_posting_iter_shallow_impacts(it, BL_BLOCK_SIZE, &last, v, &n);
    CHECK(n >= 1 && v[n - 1].tf == 70000, "%u pairs, top tf %u", n, n ? v[n - 1].tf : 0);
    bl_docset_free(bl_posting_iter_docset(it));
    bl_postings_close(p);
    free_list(&l);
    tmp_remove(&t);
}

/* min_len bounds scores for pruning: a block's or the dictionary's that is
 * above the true shortest length (forged, checksums resealed) is found by
 * the check that is given the lengths. */
Test(postings, check_finds_a_min_len_above_the_shortest_document)
{
    seed_init("check_finds_a_min_len_above_the_shortest_document");
    tmpfiles t;
    tmp_make(&t);
    tlist l;
    gen_list_with_lens(&l, 1000);
    write_lists(&t, &l, 1);
    bl_postings *p = open_postings(&t, 1);
    uint32_t end = l.docs[l.n - 1] + 1;
    CHECK(bl_postings_check_term_lens(p, &l.info, end, tlist_len, &l) == 0, "%s",
          bl_error_detail());
    bl_terminfo forged = l.info;
    forged.min_len++;
    CHECK(bl_postings_check_term_lens(p, &forged, end, tlist_len, &l) == BL_ECORRUPT, "");
    CHECK(strstr(bl_error_detail(), "shortest document"), "%s", bl_error_detail());
    CHECK(bl_postings_check_term(p, &forged, end) == 0, "without lengths nothing to see");
    bl_postings_close(p);

    size_t dlen;
    uint8_t *orig = slurp(t.doc, &dlen);
    skip_layout sk = skip_of(orig, dlen, &l.info);
    uint32_t b = (uint32_t)rnd(sk.nb);
    size_t at = sk.bounds + 5 * (size_t)b + 3; /* min_len, u16 */
    uint32_t raised = (uint32_t)(orig[at] | orig[at + 1] << 8) + 1;
    cr_assert(raised < 65535);
    orig[at] = (uint8_t)raised;
    orig[at + 1] = (uint8_t)(raised >> 8);
    CHECK(bl_test_reseal(orig, dlen) == 0, "");
    spit(t.doc, orig, dlen);
    p = open_postings(&t, 1);
    CHECK(bl_postings_check_term_lens(p, &l.info, end, tlist_len, &l) == BL_ECORRUPT,
          "block %u's min_len raised", b);
    CHECK(strstr(bl_error_detail(), "min len"), "%s", bl_error_detail());
    bl_postings_close(p);
    free(orig);
    free_list(&l);
    tmp_remove(&t);
}

/* Impacts bound scores for pruning: a block's set lowered below one of its
 * postings (a length raised, checksums resealed so only the check can
 * tell) is found by the check given the lengths, naming the .doc file. */
Test(postings, check_finds_impacts_below_a_posting)
{
    seed_init("check_finds_impacts_below_a_posting");
    for (size_t ci = 0; ci < NCODECS; ci++) {
        g_codec = codecs[ci];
        tmpfiles t;
        tmp_make(&t);
        tlist l;
        gen_list_with_lens(&l, 3000);
        write_lists(&t, &l, 1);
        bl_postings *p = open_postings(&t, 1);
        uint32_t end = l.docs[l.n - 1] + 1;
        CHECK(bl_postings_check_term_lens(p, &l.info, end, tlist_len, &l) == 0, "%s",
              bl_error_detail());
        bl_postings_close(p);

        size_t dlen;
        uint8_t *orig = slurp(t.doc, &dlen);
        uint32_t forged = 0;
        skip_layout sk = skip_of(orig, dlen, &l.info);
        for (uint32_t b = 0; b < sk.nb && !forged; b++) {
            size_t runs, lo, hi;
            block_at(orig, &sk, b, &runs, &lo, &hi);
            bl_impact v[BL_IMPACTS_MAX];
            uint32_t n;
            size_t used;
            CHECK(bl_impacts_decode(orig + lo, hi - lo, v, &n, &used) == 0 && used == hi - lo,
                  "");
            for (uint32_t i = 1; i < n && !forged; i++) {
                if (i + 1 < n && v[i + 1].len - v[i].len < 2)
                    continue;
                uint8_t enc[BL_IMPACTS_MAX_BYTES];
                v[i].len++;
                if (bl_impacts_encode(v, n, enc) == used) {
                    memcpy(orig + lo, enc, used);
                    forged = 1;
                } else {
                    v[i].len--;
                }
            }
        }
        cr_assert(forged, "seed %llu: no block to forge", g_seed);
        CHECK(bl_test_reseal(orig, dlen) == 0, "");
        spit(t.doc, orig, dlen);
        p = open_postings(&t, 1);
        bl_error_clear();
        CHECK(bl_postings_check_term_lens(p, &l.info, end, tlist_len, &l) == BL_ECORRUPT,
              "impacts lowered");
        CHECK(strstr(bl_error_detail(), t.doc) && strstr(bl_error_detail(), "impacts are below"),
              "%s", bl_error_detail());
        bl_postings_close(p);
        free(orig);
        free_list(&l);
        tmp_remove(&t);
    }
}

/* Damaged impacts (a bad page under a block's set) never give a bound:
 * shallow_impacts falls back to (UINT32_MAX, 0), which prunes nothing, and
 * loading the block reports the damage. */
Test(postings, damaged_block_impacts_bound_nothing)
{
    seed_init("damaged_block_impacts_bound_nothing");
    tmpfiles t;
    tmp_make(&t);
    tlist l;
    do { /* with lengths: sets of several pairs, a larger area */
        gen_list(&l, 100000);
        if (!l.lens)
            free_list(&l);
    } while (!l.lens);
    write_lists(&t, &l, 1);
    size_t dlen;
    uint8_t *orig = slurp(t.doc, &dlen);
    skip_layout sk = skip_of(orig, dlen, &l.info);
    uint32_t nb = sk.nb;
    /* a block whose set lies on pages that neither the skip data (read
     * when the iterator opens) nor block 0 (decoded then) share */
    size_t first_runs, first_imps, first_end;
    block_at(orig, &sk, 0, &first_runs, &first_imps, &first_end);
    uint32_t b = 1;
    size_t runs = 0, lo = 0, hi = 0;
    for (; b < nb; b++) {
        block_at(orig, &sk, b, &runs, &lo, &hi);
        if (lo / 4096 > (first_end - 1) / 4096)
            break;
    }
    cr_assert(b < nb, "seed %llu: no block impacts on a page of their own", g_seed);
    orig[lo] ^= 0x40; /* not resealed: the page checksum fails */
    spit(t.doc, orig, dlen);
    bl_postings *p = open_postings(&t, 0);
    bl_posting_iter *it;
    CHECK(bl_posting_iter_new(p, &l.info, &it) == 0, "%s", bl_error_detail());
    bl_impact v[BL_IMPACTS_MAX];
    uint32_t n, last;
    uint32_t target = l.docs[b * BL_BLOCK_SIZE];
    bl_posting_iter_shallow_impacts(it, target, &last, v, &n);
    CHECK(last == l.docs[b * BL_BLOCK_SIZE + BL_BLOCK_SIZE - 1], "");
    CHECK(n == 1 && v[0].tf == UINT32_MAX && v[0].len == 0, "%u impacts (%u, %u)", n, v[0].tf,
          v[0].len);
    /* and reaching the block reports the damage */
    bl_docset *ds = bl_posting_iter_docset(it);
    CHECK(bl_docset_seek(ds, target) == BL_DOC_END && ds->err == BL_ECORRUPT, "doc %u err %d",
          ds->doc, ds->err);
    CHECK(strstr(bl_error_detail(), "checksum"), "%s", bl_error_detail());
    bl_docset_free(bl_posting_iter_docset(it));
    bl_postings_close(p);
    free(orig);
    free_list(&l);
    tmp_remove(&t);
}

/* ------------------------------------------------------------ dense lists */

/* A list over docs 0..doc_count-1, each doc in it with probability p (at
 * least one doc); tfs 1..8, positions increasing; lengths for every doc. */
static void gen_dense_list(tlist *l, uint32_t doc_count, double p)
{
    memset(l, 0, sizeof *l);
    l->docs = malloc((size_t)doc_count * sizeof *l->docs);
    for (uint32_t d = 0; d < doc_count; d++)
        if ((double)rnd(1u << 30) < p * (double)(1u << 30))
            l->docs[l->n++] = d;
    if (l->n == 0)
        l->docs[l->n++] = (uint32_t)rnd(doc_count);
    l->tfs = malloc((size_t)l->n * sizeof *l->tfs);
    l->pstart = malloc(((size_t)l->n + 1) * sizeof *l->pstart);
    uint64_t total = 0;
    for (uint32_t i = 0; i < l->n; i++) {
        l->tfs[i] = 1 + (uint32_t)rnd(rnd(4) ? 2 : 8);
        l->pstart[i] = total;
        total += l->tfs[i];
    }
    l->pstart[l->n] = total;
    l->pos = malloc(total * sizeof *l->pos);
    for (uint32_t i = 0; i < l->n; i++)
        for (uint32_t k = 0, cur = (uint32_t)rnd(50); k < l->tfs[i]; k++, cur += 1 + (uint32_t)rnd(40))
            l->pos[l->pstart[i] + k] = cur;
    l->lens = malloc((size_t)doc_count * sizeof *l->lens);
    for (uint32_t d = 0; d < doc_count; d++)
        l->lens[d] = 1 + (uint32_t)rnd(900);
}

/* Whether doc d is in l (binary search). */
static int list_holds(const tlist *l, uint32_t d)
{
    uint32_t k = oracle_lower_bound(l, 0, d);
    return k < l->n && l->docs[k] == d;
}

/* Densities around BL_DENSE_RATIO's threshold and far from it. */
static double draw_density(uint32_t doc_count)
{
    static const double ps[] = {0.0, 0.01, 0.05, 0.0625, 0.07, 0.2, 0.5, 0.9, 1.0};
    double p = ps[rnd(sizeof ps / sizeof *ps)];
    return p > 0 ? p : 1.0 / doc_count; /* a single doc, dense in a tiny segment */
}

static bl_postings *open_postings_in(const tmpfiles *t, uint32_t doc_count, int verify)
{
    bl_postings *p;
    int rc = bl_postings_open(&p, t->doc, t->pos, doc_count, BL_DENSE_RATIO, g_codec, verify);
    cr_assert(rc == 0, "open: %s", bl_error_detail());
    return p;
}

/* Body offset of a dense list's bitmap, from the file's bytes. */
static size_t bitmap_at(const uint8_t *body, size_t len, const bl_terminfo *info)
{
    return ((size_t)info->postings_offset + term_impacts_bytes(body, len, info) + 7) & ~(size_t)7;
}

Test(postings, dense_rule)
{
    const uint32_t R = BL_DENSE_RATIO;
    CHECK(!bl_postings_list_is_dense(0, 0, R) && !bl_postings_list_is_dense(0, 100, R), "");
    CHECK(bl_postings_list_is_dense(1, 16, R) && !bl_postings_list_is_dense(1, 17, R), "");
    CHECK(bl_postings_list_is_dense(1, 1, R) && bl_postings_list_is_dense(7, 100, R), "");
    CHECK(!bl_postings_list_is_dense(6, 100, R), "");
    /* no overflow: 2^28 * 16 = 2^32 > UINT32_MAX */
    CHECK(bl_postings_list_is_dense(1u << 28, UINT32_MAX, R), "");
    CHECK(!bl_postings_list_is_dense((1u << 28) - 1, UINT32_MAX, R), "");
    CHECK(bl_postings_list_is_dense(UINT32_MAX, UINT32_MAX, R), "");
    CHECK(bl_postings_list_is_dense(1, 1, UINT32_MAX), "");
    /* the segment's ratio decides: a quarter, or nothing at 0 */
    CHECK(bl_postings_list_is_dense(25, 100, 4) && !bl_postings_list_is_dense(24, 100, 4), "");
    CHECK(!bl_postings_list_is_dense(100, 100, 0), "");
    CHECK(bl_postings_bitmap_words(0) == 0 && bl_postings_bitmap_words(1) == 1, "");
    CHECK(bl_postings_bitmap_words(64) == 1 && bl_postings_bitmap_words(65) == 2, "");
    CHECK(bl_postings_bitmap_words(UINT32_MAX) == 1u << 26, "");
}

/* nl random lists at densities around the threshold, written whole into
 * fresh files t for a segment of dc documents. */
static void write_dense_lists(tmpfiles *t, tlist *lists, int nl, uint32_t dc)
{
    tmp_make(t);
    for (int i = 0; i < nl; i++)
        gen_dense_list(&lists[i], dc, draw_density(dc));
    write_lists_in(t, lists, (size_t)nl, dc);
}

/* Both files of x and y hold the same bytes (a segment of dc documents). */
static void expect_same_files(const tmpfiles *x, const tmpfiles *y, uint32_t dc)
{
    size_t n1, n2, n3, n4;
    uint8_t *d1 = slurp(x->doc, &n1), *d2 = slurp(y->doc, &n2);
    uint8_t *p1 = slurp(x->pos, &n3), *p2 = slurp(y->pos, &n4);
    CHECK(n1 == n2 && memcmp(d1, d2, n1) == 0, "segment of %u: .doc differs", dc);
    CHECK(n3 == n4 && memcmp(p1, p2, n3) == 0, "segment of %u: .pos differs", dc);
    free(d1);
    free(d2);
    free(p1);
    free(p2);
}

/* The start of a copy test: lists written to *a (write_dense_lists) and a
 * writer on fresh files *b, for the same document count. */
static bl_postings_writer *copy_setup(tmpfiles *a, tmpfiles *b, tlist *lists, int nl,
                                      uint32_t dc)
{
    bl_postings_writer *w;
    write_dense_lists(a, lists, nl, dc);
    tmp_make(b);
    cr_assert(bl_postings_writer_new(&w, b->doc, b->pos, dc, BL_DENSE_RATIO, g_codec) == 0);
    return w;
}

/* Document counts the copy tests run at: one block, a dense list's bitmap
 * just past a word, many blocks. */
static const uint32_t copy_counts[] = {64, 2049, 20000};

/* Lists written a posting at a time (bl_postings_writer_push) are the
 * same bytes as written whole, dense ones and lists without positions
 * among them; and the streaming writer refuses postings out of order, a
 * wrong count, and a push outside a term, after which it only aborts. */
static void push_writes_what_add_writes_body(void)
{
    for (size_t ci = 0; ci < sizeof copy_counts / sizeof *copy_counts; ci++) {
        uint32_t dc = copy_counts[ci];
        tmpfiles a, b;
        enum { NL = 8 };
        tlist lists[NL];
        bl_postings_writer *w = copy_setup(&a, &b, lists, NL, dc);
        for (int i = 0; i < NL; i++) {
            const tlist *l = &lists[i];
            int with_pos = i != 3; /* one list without positions */
            bl_terminfo info;
            CHECK(bl_postings_writer_begin(w, l->n, with_pos) == 0, "%s", bl_error_detail());
            for (uint32_t k = 0; k < l->n; k++)
                CHECK(bl_postings_writer_push(w, l->docs[k], l->tfs[k],
                                              with_pos ? l->pos + l->pstart[k] : NULL,
                                              l->lens ? l->lens[l->docs[k]] : 0) == 0,
                      "%s", bl_error_detail());
            CHECK(bl_postings_writer_end(w, &info) == 0, "%s", bl_error_detail());
            CHECK(info.doc_freq == l->n && info.total_freq == l->pstart[l->n], "");
            CHECK(info.positionless == !with_pos, "");
            if (i < 3) /* (later lists lie elsewhere: list 3 is shorter here) */
                CHECK(info.postings_offset == l->info.postings_offset &&
                          info.positions_offset == l->info.positions_offset &&
                          info.max_tf == l->info.max_tf && info.min_len == l->info.min_len,
                      "list %d: another terminfo", i);
        }
        cr_assert(bl_postings_writer_finish(w) == 0, "%s", bl_error_detail());
        /* the same bytes, but for the list without positions (written by
         * add with them): compare a second set written by add likewise */
        tmpfiles c;
        tmp_make(&c);
        cr_assert(bl_postings_writer_new(&w, c.doc, c.pos, dc, BL_DENSE_RATIO, g_codec) == 0);
        for (int i = 0; i < NL; i++) {
            const tlist *l = &lists[i];
            bl_terminfo info;
            CHECK(bl_postings_writer_add(w, l->docs, l->tfs, l->n, i != 3 ? l->pos : NULL,
                                         l->lens, &info) == 0, "%s", bl_error_detail());
        }
        cr_assert(bl_postings_writer_finish(w) == 0);
        expect_same_files(&b, &c, dc);
        for (int i = 0; i < NL; i++)
            free_list(&lists[i]);
        tmp_remove(&a);
        tmp_remove(&b);
        tmp_remove(&c);
    }

    uint32_t pos[] = {1, 2};
    bl_terminfo info;
    static const int kinds = 6;
    for (int kind = 0; kind < kinds; kind++) {
        tmpfiles t;
        tmp_make(&t);
        bl_postings_writer *w;
        cr_assert(bl_postings_writer_new(&w, t.doc, t.pos, 100, BL_DENSE_RATIO, g_codec) == 0);
        int rc = 0;
        switch (kind) {
        case 0: /* a doc not above the previous one */
            CHECK(bl_postings_writer_begin(w, 2, 1) == 0, "");
            CHECK(bl_postings_writer_push(w, 5, 1, pos, 3) == 0, "");
            rc = bl_postings_writer_push(w, 5, 1, pos, 3);
            break;
        case 1: /* fewer postings than announced */
            CHECK(bl_postings_writer_begin(w, 2, 1) == 0, "");
            CHECK(bl_postings_writer_push(w, 5, 1, pos, 3) == 0, "");
            rc = bl_postings_writer_end(w, &info);
            break;
        case 2: /* more */
            CHECK(bl_postings_writer_begin(w, 1, 0) == 0, "");
            CHECK(bl_postings_writer_push(w, 5, 1, NULL, 3) == 0, "");
            rc = bl_postings_writer_push(w, 6, 1, NULL, 3);
            break;
        case 3: /* a doc past the segment */
            CHECK(bl_postings_writer_begin(w, 1, 1) == 0, "");
            rc = bl_postings_writer_push(w, 100, 1, pos, 3);
            break;
        case 4: /* positions not increasing */
            CHECK(bl_postings_writer_begin(w, 1, 1) == 0, "");
            rc = bl_postings_writer_push(w, 1, 2, (uint32_t[]){4, 4}, 3);
            break;
        default: /* outside a term */
            rc = bl_postings_writer_push(w, 1, 1, pos, 3);
            break;
        }
        CHECK(rc == BL_EINVAL, "kind %d: %d", kind, rc);
        CHECK(bl_postings_writer_begin(w, 1, 1) != 0, "kind %d: still accepts a term", kind);
        CHECK(bl_postings_writer_finish(w) != 0, "kind %d: finish succeeded", kind);
        CHECK(access(t.doc, F_OK) != 0 && access(t.pos, F_OK) != 0, "kind %d: files left", kind);
        tmp_remove(&t);
    }
}
EACH_CODEC(push_writes_what_add_writes, push_writes_what_add_writes_body)

/* A merge's copy: each block of a list read whole (bl_posting_iter_block_all,
 * positions as stored) and pushed by bl_postings_writer_push_gaps, in
 * pieces of any size or a posting at a time by push, writes the same bytes
 * as the list written whole; push_gaps refuses what push refuses and
 * positions that would pass UINT32_MAX - 1. */
static void push_gaps_copies_blocks_body(void)
{
    for (size_t ci = 0; ci < sizeof copy_counts / sizeof *copy_counts; ci++) {
        uint32_t dc = copy_counts[ci];
        tmpfiles a, b;
        enum { NL = 8 };
        tlist lists[NL];
        bl_postings_writer *w = copy_setup(&a, &b, lists, NL, dc);
        bl_postings *pa = open_postings_in(&a, dc, 1);
        uint32_t lens[BL_BLOCK_SIZE];
        for (int i = 0; i < NL; i++) {
            const tlist *l = &lists[i];
            bl_posting_iter *it;
            CHECK(bl_posting_iter_new(pa, &l->info, &it) == 0, "%s", bl_error_detail());
            bl_docset *ds = bl_posting_iter_docset(it);
            CHECK(bl_postings_writer_begin(w, l->n, 1) == 0, "%s", bl_error_detail());
            uint32_t k = 0; /* postings copied */
            while (ds->doc != BL_DOC_END) {
                const uint32_t *d, *f, *g;
                uint32_t m = bl_posting_iter_block_all(it, &d, &f, &g);
                CHECK(m > 0 && m <= BL_BLOCK_SIZE && k + m <= l->n && g,
                      "list %d: block of %u after %u (err %d: %s)", i, m, k, ds->err,
                      bl_error_detail());
                /* the block's values, positions as stored */
                uint64_t at = 0;
                for (uint32_t j = 0; j < m; j++) {
                    CHECK(d[j] == l->docs[k + j] && f[j] == l->tfs[k + j],
                          "list %d: posting %u: doc %u tf %u, want %u %u", i, k + j, d[j], f[j],
                          l->docs[k + j], l->tfs[k + j]);
                    const uint32_t *p = l->pos + l->pstart[k + j];
                    for (uint32_t q = 0; q < f[j]; q++, at++)
                        CHECK(g[at] == (q ? p[q] - p[q - 1] - 1 : p[q]),
                              "list %d: posting %u position %u", i, k + j, q);
                    lens[j] = l->lens ? l->lens[d[j]] : 0;
                }
                /* pushed in two pieces cut anywhere, or a posting at a time */
                if (rnd(4)) {
                    uint32_t cut = (uint32_t)rnd(m + 1);
                    uint64_t first = 0;
                    for (uint32_t j = 0; j < cut; j++)
                        first += f[j];
                    CHECK(bl_postings_writer_push_gaps(w, d, f, lens, g, cut) == 0 &&
                              bl_postings_writer_push_gaps(w, d + cut, f + cut, lens + cut,
                                                           g + first, m - cut) == 0,
                          "%s", bl_error_detail());
                } else {
                    for (uint32_t j = 0; j < m; j++)
                        CHECK(bl_postings_writer_push(w, d[j], f[j],
                                                      l->pos + l->pstart[k + j], lens[j]) == 0,
                              "%s", bl_error_detail());
                }
                k += m;
                bl_posting_iter_seek(it, d[m - 1] + 1);
            }
            CHECK(ds->err == 0 && k == l->n, "list %d: %u of %u postings copied", i, k, l->n);
            bl_docset_free(ds);
            bl_terminfo info;
            CHECK(bl_postings_writer_end(w, &info) == 0, "%s", bl_error_detail());
            CHECK(info.postings_offset == l->info.postings_offset &&
                      info.positions_offset == l->info.positions_offset,
                  "list %d: another place", i);
        }
        cr_assert(bl_postings_writer_finish(w) == 0, "%s", bl_error_detail());
        bl_postings_close(pa);
        expect_same_files(&a, &b, dc);
        for (int i = 0; i < NL; i++)
            free_list(&lists[i]);
        tmp_remove(&a);
        tmp_remove(&b);
    }

    /* refused, after which the writer only aborts */
    uint32_t docs[] = {5, 6}, tfs[] = {2, 1}, ok_gaps[] = {1, 0, 7};
    uint32_t big[] = {UINT32_MAX - 3, 1};  /* positions UINT32_MAX - 3 and - 1 */
    uint32_t over[] = {UINT32_MAX - 3, 2, 0}; /* doc 5's second at UINT32_MAX */
    static const int kinds = 6;
    for (int kind = 0; kind < kinds; kind++) {
        tmpfiles t;
        tmp_make(&t);
        bl_postings_writer *w;
        cr_assert(bl_postings_writer_new(&w, t.doc, t.pos, 100, BL_DENSE_RATIO, g_codec) == 0);
        int rc = 0;
        switch (kind) {
        case 0: /* up to UINT32_MAX - 1, then a position at UINT32_MAX */
            CHECK(bl_postings_writer_begin(w, 2, 1) == 0, "");
            CHECK(bl_postings_writer_push_gaps(w, docs, tfs, NULL, big, 1) == 0, "%s",
                  bl_error_detail());
            rc = bl_postings_writer_push_gaps(w, docs + 1, tfs + 1, NULL,
                                              (uint32_t[]){UINT32_MAX}, 1);
            break;
        case 1: /* the second position of doc 5 at UINT32_MAX */
            CHECK(bl_postings_writer_begin(w, 2, 1) == 0, "");
            rc = bl_postings_writer_push_gaps(w, docs, tfs, NULL, over, 2);
            break;
        case 2: /* more than announced */
            CHECK(bl_postings_writer_begin(w, 1, 1) == 0, "");
            rc = bl_postings_writer_push_gaps(w, docs, tfs, NULL, ok_gaps, 2);
            break;
        case 3: /* without positions in a term with them */
            CHECK(bl_postings_writer_begin(w, 2, 1) == 0, "");
            rc = bl_postings_writer_push_gaps(w, docs, tfs, NULL, NULL, 2);
            break;
        case 4: /* a doc not above the one pushed before */
            CHECK(bl_postings_writer_begin(w, 3, 1) == 0, "");
            CHECK(bl_postings_writer_push(w, 6, 1, (uint32_t[]){3}, 0) == 0, "");
            rc = bl_postings_writer_push_gaps(w, docs, tfs, NULL, ok_gaps, 2);
            break;
        default: /* outside a term */
            rc = bl_postings_writer_push_gaps(w, docs, tfs, NULL, ok_gaps, 2);
            break;
        }
        CHECK(rc == BL_EINVAL, "kind %d: %d", kind, rc);
        CHECK(bl_postings_writer_begin(w, 1, 1) != 0, "kind %d: still accepts a term", kind);
        CHECK(bl_postings_writer_finish(w) != 0, "kind %d: finish succeeded", kind);
        tmp_remove(&t);
    }

    /* a whole block is asked of its first doc only */
    tmpfiles t;
    tmp_make(&t);
    tlist l;
    gen_dense_list(&l, 2049, 0.5);
    write_lists_in(&t, &l, 1, 2049);
    bl_postings *p = open_postings_in(&t, 2049, 1);
    bl_posting_iter *it;
    cr_assert(bl_posting_iter_new(p, &l.info, &it) == 0);
    const uint32_t *d, *f, *g;
    bl_posting_iter_next(it);
    CHECK(bl_posting_iter_block_all(it, &d, &f, &g) == 0, "");
    CHECK(bl_posting_iter_docset(it)->err == BL_EINVAL, "");
    CHECK(bl_posting_iter_docset(it)->doc == BL_DOC_END, "");
    bl_docset_free(bl_posting_iter_docset(it));
    bl_postings_close(p);
    free_list(&l);
    tmp_remove(&t);
}
EACH_CODEC(push_gaps_copies_blocks, push_gaps_copies_blocks_body)

/* Lists at densities around the threshold, in segments of a few sizes:
 * exactly the dense ones carry a bitmap, aligned in the mapping, holding
 * exactly their docs; and every list still reads, seeks and checks as
 * before (the bitmap moves the rest of a dense list on). */
static void dense_lists_carry_their_bitmap_body(void)
{
    static const uint32_t counts[] = {1, 63, 64, 65, 300, 2048, 2049, 20000};
    for (size_t ci = 0; ci < sizeof counts / sizeof *counts; ci++) {
        uint32_t dc = counts[ci];
        tmpfiles t;
        tmp_make(&t);
        enum { NL = 10 };
        tlist lists[NL];
        for (int i = 0; i < NL; i++)
            gen_dense_list(&lists[i], dc, draw_density(dc));
        write_lists_in(&t, lists, NL, dc);
        bl_postings *p = open_postings_in(&t, dc, ci & 1);
        size_t dlen;
        uint8_t *file = slurp(t.doc, &dlen);
        for (int i = 0; i < NL; i++) {
            const tlist *l = &lists[i];
            int dense = bl_postings_list_is_dense(l->n, dc, BL_DENSE_RATIO);
            const uint64_t *w = (const uint64_t *)1;
            uint32_t nw = 7;
            CHECK(bl_postings_bitmap(p, &l->info, &w, &nw) == 0, "%s", bl_error_detail());
            CHECK(dense ? w != NULL : w == NULL && nw == 0, "dc %u df %u: bitmap %p", dc, l->n,
                  (const void *)w);
            if (dense) {
                CHECK(nw == (dc + 63) / 64 && ((uintptr_t)w & 7) == 0, "dc %u: %u words", dc,
                      nw);
                CHECK((const uint8_t *)w - bl_postings_docs_file(p)->data ==
                          (ptrdiff_t)bitmap_at(file, dlen, &l->info), "where FORMAT says");
                for (uint32_t d = 0; d < 64 * nw; d++)
                    CHECK(bl_bitmap_test(w, d) == (d < dc && list_holds(l, d)),
                          "dc %u df %u: bit %u", dc, l->n, d);
                if (i + 1 < NL) /* the bitmap is stored in the list, not beside it */
                    CHECK(lists[i + 1].info.postings_offset - l->info.postings_offset >=
                              8 * (uint64_t)nw, "");
            }
            bl_posting_iter *it;
            CHECK(bl_posting_iter_new(p, &l->info, &it) == 0, "%s", bl_error_detail());
            const uint64_t *wi;
            uint32_t nwi;
            CHECK(bl_posting_iter_bitmap(it, &wi, &nwi) == 0 && wi == w && nwi == nw, "");
            bl_docset_free(bl_posting_iter_docset(it));
            CHECK(bl_postings_check_term_lens(p, &l->info, dc, tlist_len, l) == 0, "check: %s",
                  bl_error_detail());
            walk_next(p, l);
            walk_seeks(p, l, 3);
            uint32_t *docs = malloc(l->n * sizeof *docs);
            CHECK(bl_postings_read_docs(p, &l->info, docs, NULL) == 0 &&
                      memcmp(docs, l->docs, l->n * sizeof *docs) == 0, "read_docs");
            free(docs);
        }
        free(file);
        bl_postings_close(p);
        for (int i = 0; i < NL; i++)
            free_list(&lists[i]);
        tmp_remove(&t);
    }
}

EACH_CODEC(dense_lists_carry_their_bitmap, dense_lists_carry_their_bitmap_body)

/* bl_posting_iter_tf_at on lists around the dense threshold: a dense
 * list of the bit-packing codec gives every doc's tf, asked in increasing
 * order, in random order (far jumps, and back) and between the iterator's
 * own steps, which it never moves; a list it cannot read (not dense, or
 * varint) and a doc outside the list are refused with BL_EINVAL. */
static void tf_at_reads_tfs_in_place_body(void)
{
    static const uint32_t counts[] = {1, 64, 300, 2048, 2049, 20000, 70000};
    for (size_t ci = 0; ci < sizeof counts / sizeof *counts; ci++) {
        uint32_t dc = counts[ci];
        tmpfiles t;
        tmp_make(&t);
        enum { NL = 6 };
        tlist lists[NL];
        for (int i = 0; i < NL; i++)
            gen_dense_list(&lists[i], dc, draw_density(dc));
        write_lists_in(&t, lists, NL, dc);
        bl_postings *p = open_postings_in(&t, dc, ci & 1);
        for (int i = 0; i < NL; i++) {
            const tlist *l = &lists[i];
            bl_posting_iter *it;
            CHECK(bl_posting_iter_new(p, &l->info, &it) == 0, "%s", bl_error_detail());
            int can = bl_posting_iter_has_tf_at(it);
            CHECK(can == (bl_postings_list_is_dense(l->n, dc, BL_DENSE_RATIO) && g_codec != BL_CODEC_VARINT),
                  "dc %u df %u: has_tf_at %d", dc, l->n, can);
            uint32_t tf = 0;
            if (!can) {
                CHECK(bl_posting_iter_tf_at(it, l->docs[0], &tf) == BL_EINVAL && tf == 1, "");
                bl_docset_free(bl_posting_iter_docset(it));
                continue;
            }
            for (uint32_t k = 0; k < l->n; k += 1 + (uint32_t)rnd(3)) {
                CHECK(bl_posting_iter_tf_at(it, l->docs[k], &tf) == 0, "%s", bl_error_detail());
                CHECK(tf == l->tfs[k], "dc %u df %u: doc %u tf %u, not %u", dc, l->n,
                      l->docs[k], tf, l->tfs[k]);
            }
            for (int r = 0; r < 500; r++) {
                uint32_t k = (uint32_t)rnd(l->n);
                CHECK(bl_posting_iter_tf_at(it, l->docs[k], &tf) == 0 && tf == l->tfs[k],
                      "dc %u df %u: doc %u at random: tf %u, not %u", dc, l->n, l->docs[k], tf,
                      l->tfs[k]);
            }
            CHECK(bl_posting_iter_docset(it)->doc == l->docs[0], "the iterator moved");
            uint32_t absent = 0;
            while (absent < dc && list_holds(l, absent))
                absent++;
            if (absent < dc)
                CHECK(bl_posting_iter_tf_at(it, absent, &tf) == BL_EINVAL, "doc %u", absent);
            CHECK(bl_posting_iter_tf_at(it, dc, &tf) == BL_EINVAL, "a doc past the segment");
            /* between the iterator's steps, asking ahead of it */
            uint32_t k = 0;
            for (uint32_t d = bl_posting_iter_docset(it)->doc; d != BL_DOC_END;
                 d = bl_posting_iter_next(it), k++) {
                CHECK(d == l->docs[k] && bl_posting_iter_freq(it) == l->tfs[k], "walk at %u", k);
                uint32_t ahead = k + (uint32_t)rnd(300);
                if (ahead < l->n)
                    CHECK(bl_posting_iter_tf_at(it, l->docs[ahead], &tf) == 0 &&
                              tf == l->tfs[ahead], "doc %u ahead of %u", l->docs[ahead], d);
                /* block-max lookups start from tf_at's block when they can:
                 * they must find the same blocks */
                uint32_t near = ahead < l->n ? l->docs[ahead] : d;
                uint32_t targets[] = {d, near > d ? near - 1 : d, near, near + 1};
                if (rnd(8) == 0)
                    for (size_t ti = 0; ti < sizeof targets / sizeof *targets; ti++)
                        check_shallow(it, l, k, targets[ti]);
            }
            CHECK(k == l->n, "walked %u of %u", k, l->n);
            bl_docset_free(bl_posting_iter_docset(it));
        }
        bl_postings_close(p);
        for (int i = 0; i < NL; i++)
            free_list(&lists[i]);
        tmp_remove(&t);
    }
}

EACH_CODEC(tf_at_reads_tfs_in_place, tf_at_reads_tfs_in_place_body)

/* A damaged page under the block a tf is read from fails tf_at with
 * BL_ECORRUPT naming the .doc file, and ends the iterator with that err. */
Test(postings, tf_at_reports_a_damaged_block)
{
    seed_init("tf_at_reports_a_damaged_block");
    tmpfiles t;
    tmp_make(&t);
    uint32_t dc = 60000;
    tlist l;
    gen_dense_list(&l, dc, 0.5);
    write_lists_in(&t, &l, 1, dc);
    bl_postings *p = open_postings_in(&t, dc, 0);
    size_t body = (size_t)bl_postings_docs_bytes(p), dlen;
    bl_postings_close(p);
    uint8_t *file = slurp(t.doc, &dlen);
    file[body - 1] ^= 0x40; /* the last block's tf run, on the body's last page */
    spit(t.doc, file, dlen);
    p = open_postings_in(&t, dc, 0);
    bl_posting_iter *it;
    CHECK(bl_posting_iter_new(p, &l.info, &it) == 0, "block 0 lies on an earlier page: %s",
          bl_error_detail());
    uint32_t tf = 0;
    CHECK(bl_posting_iter_tf_at(it, l.docs[0], &tf) == 0 && tf == l.tfs[0], "%s",
          bl_error_detail());
    bl_error_clear();
    CHECK(bl_posting_iter_tf_at(it, l.docs[l.n - 1], &tf) == BL_ECORRUPT && tf == 1, "");
    CHECK(strstr(bl_error_detail(), t.doc) != NULL, "%s", bl_error_detail());
    CHECK(bl_posting_iter_docset(it)->err == BL_ECORRUPT &&
              bl_posting_iter_docset(it)->doc == BL_DOC_END, "the iterator ends");
    CHECK(bl_posting_iter_tf_at(it, l.docs[0], &tf) == BL_ECORRUPT, "and stays failed");
    bl_docset_free(bl_posting_iter_docset(it));
    bl_postings_close(p);
    free(file);
    free_list(&l);
    tmp_remove(&t);
}

/* Ids are below the writer's doc count: one at or past it is refused
 * before anything is written. */
Test(postings, writer_refuses_ids_past_its_doc_count)
{
    tmpfiles t;
    tmp_make(&t);
    bl_postings_writer *w;
    cr_assert(bl_postings_writer_new(&w, t.doc, t.pos, 10, BL_DENSE_RATIO, g_codec) == 0);
    bl_terminfo info;
    uint32_t docs[] = {3, 10}, ok[] = {3, 9}, tfs[] = {1, 1}, pos[] = {0, 0};
    CHECK(bl_postings_writer_add(w, docs, tfs, 2, pos, NULL, &info) == BL_EINVAL, "");
    CHECK(strstr(bl_error_detail(), "10") != NULL, "%s", bl_error_detail());
    CHECK(bl_postings_writer_add(w, ok, tfs, 2, pos, NULL, &info) == 0, "%s",
          bl_error_detail());
    CHECK(info.postings_offset == 0, "the refused list wrote nothing");
    cr_assert(bl_postings_writer_finish(w) == 0);
    tmp_remove(&t);
}

/* Docs of l in every one of lists ms[0..k), from index `from` on. */
static uint64_t oracle_count_in(const tlist *l, uint32_t from, const tlist *const *ms, size_t k)
{
    uint64_t n = 0;
    for (uint32_t i = from; i < l->n; i++) {
        int all = 1;
        for (size_t j = 0; j < k; j++)
            all &= list_holds(ms[j], l->docs[i]);
        n += (uint64_t)all;
    }
    return n;
}

/* bl_postings_intersect_count takes whichever path the pair allows (both
 * dense, one, neither): each counts what a merge of the two lists counts.
 * bl_posting_iter_count_in counts from wherever the iterator stands. */
Test(postings, intersect_count_matches_a_merge, .timeout = 300)
{
    seed_init("intersect_count_matches_a_merge");
    for (int round = 0; round < 12; round++) {
        g_codec = codecs[round % NCODECS];
        uint32_t dc = 1 + (uint32_t)rnd(rnd(3) ? 40000 : 700);
        tmpfiles t;
        tmp_make(&t);
        enum { NL = 8 };
        tlist lists[NL];
        for (int i = 0; i < NL; i++)
            gen_dense_list(&lists[i], dc, draw_density(dc));
        write_lists_in(&t, lists, NL, dc);
        bl_postings *p = open_postings_in(&t, dc, round & 2);
        for (int a = 0; a < NL; a++)
            for (int b = 0; b < NL; b++) {
                const tlist *x = &lists[a], *ys[1] = {&lists[b]};
                uint64_t got = 12345, want = oracle_count_in(x, 0, ys, 1);
                CHECK(bl_postings_intersect_count(p, &x->info, &ys[0]->info, &got) == 0, "%s",
                      bl_error_detail());
                CHECK(got == want, "dc %u, df %u and %u: %llu, want %llu", dc, x->n, ys[0]->n,
                      (unsigned long long)got, (unsigned long long)want);
            }
        /* count_in against one to three dense lists, from a seek target */
        const tlist *dense[NL];
        const uint64_t *maps[NL];
        size_t nd = 0;
        for (int i = 0; i < NL; i++) {
            uint32_t nw;
            CHECK(bl_postings_bitmap(p, &lists[i].info, &maps[nd], &nw) == 0, "");
            if (maps[nd])
                dense[nd++] = &lists[i];
        }
        for (int trial = 0; trial < 20 && nd; trial++) {
            const tlist *l = &lists[rnd(NL)];
            size_t k = 1 + (size_t)rnd(nd < 3 ? nd : 3), first = (size_t)rnd(nd - k + 1);
            uint32_t target = (uint32_t)rnd(dc + 1);
            bl_posting_iter *it;
            CHECK(bl_posting_iter_new(p, &l->info, &it) == 0, "%s", bl_error_detail());
            bl_docset *ds = bl_posting_iter_docset(it);
            bl_docset_seek(ds, target);
            uint64_t want = oracle_count_in(l, oracle_lower_bound(l, 0, target), dense + first, k);
            uint64_t got = bl_posting_iter_count_in(it, maps + first, k);
            CHECK(got == want && ds->err == 0 && ds->doc == BL_DOC_END,
                  "from %u in %zu sets: %llu, want %llu", target, k, (unsigned long long)got,
                  (unsigned long long)want);
            CHECK(bl_posting_iter_count_in(it, maps + first, k) == 0, "at the end: nothing");
            bl_docset_free(ds);
        }
        bl_postings_close(p);
        for (int i = 0; i < NL; i++)
            free_list(&lists[i]);
        tmp_remove(&t);
    }
}

/* A set of doc_count's bitmap words: each bit with probability p. */
static uint64_t *random_set(uint32_t doc_count, double p, uint32_t *nwords)
{
    uint32_t nw = bl_postings_bitmap_words(doc_count);
    uint64_t *w = calloc(nw, sizeof *w);
    for (uint32_t d = 0; d < doc_count; d++)
        if ((double)rnd(1u << 30) < p * (double)(1u << 30))
            w[d / 64] |= (uint64_t)1 << (d % 64);
    *nwords = nw;
    return w;
}

/* Docs of l whose bit is set in words. */
static uint64_t oracle_count_set(const tlist *l, const uint64_t *words)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < l->n; i++)
        n += words[l->docs[i] / 64] >> (l->docs[i] % 64) & 1;
    return n;
}

/* bl_postings_count_in (no iterator) counts what a bit-by-bit oracle and an
 * iterator's count_in count, for every list (dense or not, one block or
 * many) against the segment's bitmaps and random sets. */
Test(postings, count_in_without_an_iterator_matches, .timeout = 300)
{
    seed_init("count_in_without_an_iterator_matches");
    for (int round = 0; round < 12; round++) {
        g_codec = codecs[round % NCODECS];
        uint32_t dc = 1 + (uint32_t)rnd(rnd(3) ? 60000 : 700);
        tmpfiles t;
        tmp_make(&t);
        enum { NL = 8, NS = NL + 3 };
        tlist lists[NL];
        for (int i = 0; i < NL; i++)
            gen_dense_list(&lists[i], dc, draw_density(dc));
        write_lists_in(&t, lists, NL, dc);
        bl_postings *p = open_postings_in(&t, dc, round & 2);
        const uint64_t *sets[NS];
        uint64_t *owned[3];
        uint32_t nsets = 0, nw = bl_postings_bitmap_words(dc);
        for (int i = 0; i < NL; i++) {
            uint32_t n;
            CHECK(bl_postings_bitmap(p, &lists[i].info, &sets[nsets], &n) == 0, "");
            nsets += sets[nsets] != NULL;
        }
        static const double ps[] = {0.001, 0.3, 1.0};
        for (int i = 0; i < 3; i++)
            sets[nsets++] = owned[i] = random_set(dc, ps[i], &nw);
        for (int i = 0; i < NL; i++)
            for (uint32_t k = 0; k < nsets; k++) {
                const tlist *l = &lists[i];
                uint64_t got = 12345, want = oracle_count_set(l, sets[k]);
                CHECK(bl_postings_count_in(p, &l->info, sets[k], nw, &got) == 0, "%s",
                      bl_error_detail());
                CHECK(got == want, "dc %u, df %u, set %u: %llu, want %llu", dc, l->n, k,
                      (unsigned long long)got, (unsigned long long)want);
                bl_posting_iter *it;
                CHECK(bl_posting_iter_new(p, &l->info, &it) == 0, "%s", bl_error_detail());
                CHECK(bl_posting_iter_count_in(it, &sets[k], 1) == want, "the iterator's");
                bl_docset_free(bl_posting_iter_docset(it));
            }
        for (int i = 0; i < 3; i++)
            free(owned[i]);
        bl_postings_close(p);
        for (int i = 0; i < NL; i++)
            free_list(&lists[i]);
        tmp_remove(&t);
    }
}

/* Random damage (checksums resealed, so only the decoding can tell) never
 * crashes bl_postings_count_in: it reports BL_ECORRUPT with a count of 0,
 * or counts at most the list's docs; and whenever an iterator walks the
 * damaged list without error, the count is the iterator's (both decode
 * the same doc-id runs; the iterator checks more of the rest). */
Test(postings, count_in_on_damaged_lists, .timeout = 300)
{
    seed_init("count_in_on_damaged_lists");
    for (size_t ci = 0; ci < NCODECS; ci++) {
        g_codec = codecs[ci];
        tmpfiles t;
        tmp_make(&t);
        uint32_t dc = 20000, nw;
        enum { NL = 5 };
        tlist lists[NL];
        static const double ps[NL] = {0.002, 0.02, 0.05, 0.2, 0.7};
        for (int i = 0; i < NL; i++)
            gen_dense_list(&lists[i], dc, ps[i]);
        write_lists_in(&t, lists, NL, dc);
        uint64_t *set = random_set(dc, 0.5, &nw);
        size_t dlen;
        uint8_t *orig = slurp(t.doc, &dlen), *cur = malloc(dlen);
        size_t body = (size_t)bl_get_u64le(orig + dlen - 24);
        int errors = 0, agreed = 0;
        for (int trial = 0; trial < 200; trial++) {
            memcpy(cur, orig, dlen);
            for (int f = 0, flips = 1 + (int)rnd(3); f < flips; f++) {
                size_t at = (size_t)rnd(body);
                cur[at] = rnd(2) ? (uint8_t)(cur[at] ^ (1u << rnd(8))) : (uint8_t)rnd64();
            }
            CHECK(bl_test_reseal(cur, dlen) == 0, "");
            spit(t.doc, cur, dlen);
            bl_postings *p = open_postings_in(&t, dc, 0);
            for (int i = 0; i < NL; i++) {
                uint64_t n = 12345;
                int rc = bl_postings_count_in(p, &lists[i].info, set, nw, &n);
                CHECK(rc == 0 ? n <= lists[i].n : rc == BL_ECORRUPT && n == 0, "rc %d", rc);
                errors += rc != 0;
                bl_posting_iter *it;
                if (bl_posting_iter_new(p, &lists[i].info, &it) != 0)
                    continue;
                const uint64_t *maps[1] = {set};
                uint64_t want = bl_posting_iter_count_in(it, maps, 1);
                if (bl_posting_iter_docset(it)->err == 0) {
                    CHECK(rc == 0 && n == want, "list %d: rc %d, %llu, the iterator %llu", i, rc,
                          (unsigned long long)n, (unsigned long long)want);
                    agreed++;
                }
                bl_docset_free(bl_posting_iter_docset(it));
            }
            bl_postings_close(p);
        }
        CHECK(errors > 0 && agreed > 0, "errors %d, agreed %d", errors, agreed);
        free(set);
        free(orig);
        free(cur);
        for (int i = 0; i < NL; i++)
            free_list(&lists[i]);
        tmp_remove(&t);
    }
}

/* A bitmap that disagrees with its list (a bit set or cleared, a padding
 * byte or bit made non-zero; page checksums resealed so only the check can
 * tell) is found by bl_postings_check_term, naming the .doc file and the
 * offset of the damage; unresealed, reading the bitmap reports the page. */
Test(postings, check_finds_a_forged_bitmap)
{
    seed_init("check_finds_a_forged_bitmap");
    for (int kind = 0; kind < 6; kind++) {
        g_codec = codecs[kind % NCODECS];
        tmpfiles t;
        tmp_make(&t);
        uint32_t dc = kind == 2 ? 1000 + 64 * (uint32_t)rnd(50) + 1 + (uint32_t)rnd(62)
                                : 1000 + (uint32_t)rnd(30000);
        if (kind == 2 && dc % 64 == 0) /* (1000 is 40 mod 64) no bit would lie past it */
            dc++;
        tlist l[2];
        gen_dense_list(&l[0], dc, 0.3);
        gen_dense_list(&l[1], dc, 0.01);
        write_lists_in(&t, l, 2, dc);
        size_t dlen;
        uint8_t *orig = slurp(t.doc, &dlen), *cur = malloc(dlen);
        size_t imp_end = (size_t)l[0].info.postings_offset + term_impacts_bytes(orig, dlen,
                                                                                 &l[0].info);
        size_t at = bitmap_at(orig, dlen, &l[0].info), damaged;
        memcpy(cur, orig, dlen);
        if (kind == 0 || kind == 1) { /* a bit of a doc the list lacks, or holds */
            uint32_t d;
            do
                d = (uint32_t)rnd(dc);
            while (list_holds(&l[0], d) != (kind == 1));
            damaged = at + 8 * (size_t)(d / 64);
            cur[at + d / 8] ^= (uint8_t)(1u << (d % 8));
        } else if (kind == 2) { /* a bit past doc_count, in the last word */
            uint32_t d = dc + (uint32_t)rnd(64 - dc % 64);
            damaged = at + 8 * (size_t)(d / 64);
            cur[at + d / 8] ^= (uint8_t)(1u << (d % 8));
        } else { /* the padding before the bitmap (the file's first list) */
            if (at == imp_end) { /* no padding this time: another bit instead */
                damaged = at;
                cur[at] ^= 1;
            } else {
                damaged = imp_end + (size_t)rnd(at - imp_end);
                cur[damaged] = (uint8_t)(1 + rnd(255));
            }
        }
        CHECK(bl_test_reseal(cur, dlen) == 0, "");
        spit(t.doc, cur, dlen);
        bl_postings *p = open_postings_in(&t, dc, 1);
        bl_error_clear();
        CHECK(bl_postings_check_term(p, &l[0].info, dc) == BL_ECORRUPT, "kind %d", kind);
        char want[128];
        snprintf(want, sizeof want, "offset %zu:", damaged);
        CHECK(strstr(bl_error_detail(), t.doc) && strstr(bl_error_detail(), want),
              "kind %d: want %s in: %s", kind, want, bl_error_detail());
        CHECK(bl_postings_check_term(p, &l[1].info, dc) == 0, "the next list: %s",
              bl_error_detail());
        bl_postings_close(p);
        /* unresealed: the page checksum of the bitmap's page */
        memcpy(cur + (dlen - BL_FOOTER_BYTES), orig + (dlen - BL_FOOTER_BYTES), BL_FOOTER_BYTES);
        size_t body = (size_t)bl_get_u64le(orig + dlen - 24);
        memcpy(cur + body, orig + body, dlen - BL_FOOTER_BYTES - body);
        spit(t.doc, cur, dlen);
        p = open_postings_in(&t, dc, 0);
        const uint64_t *w;
        uint32_t nw;
        uint64_t n;
        if (kind != 3 || at != imp_end) {
            int rc = bl_postings_bitmap(p, &l[0].info, &w, &nw);
            if (kind == 3) /* the padding's page may hold the impacts */
                rc = rc ? rc : bl_postings_check_term(p, &l[0].info, dc);
            CHECK(rc == BL_ECORRUPT && strstr(bl_error_detail(), "checksum"), "kind %d: %s",
                  kind, bl_error_detail());
            CHECK(bl_postings_intersect_count(p, &l[0].info, &l[1].info, &n) == BL_ECORRUPT &&
                      n == 0, "");
        }
        bl_postings_close(p);
        free(orig);
        free(cur);
        free_list(&l[0]);
        free_list(&l[1]);
        tmp_remove(&t);
    }
}

/* Random damage to a segment of dense lists (checksums resealed) never
 * crashes a reader: bitmaps, intersections, walks and the check report
 * BL_ECORRUPT or read something well-formed. */
Test(postings, damaged_dense_lists_never_crash, .timeout = 300)
{
    seed_init("damaged_dense_lists_never_crash");
    for (size_t ci = 0; ci < NCODECS; ci++) {
        g_codec = codecs[ci];
        tmpfiles t;
        tmp_make(&t);
        uint32_t dc = 3000;
        enum { NL = 5 };
        tlist lists[NL];
        for (int i = 0; i < NL; i++)
            gen_dense_list(&lists[i], dc, i == NL - 1 ? 0.01 : 0.1 + 0.2 * i);
        write_lists_in(&t, lists, NL, dc);
        size_t dlen;
        uint8_t *orig = slurp(t.doc, &dlen), *cur = malloc(dlen);
        size_t body = (size_t)bl_get_u64le(orig + dlen - 24);
        int errors = 0;
        for (int trial = 0; trial < 150; trial++) {
            memcpy(cur, orig, dlen);
            for (int f = 0, flips = 1 + (int)rnd(4); f < flips; f++) {
                size_t at = (size_t)rnd(body);
                cur[at] = rnd(2) ? (uint8_t)(cur[at] ^ (1u << rnd(8))) : (uint8_t)rnd64();
            }
            CHECK(bl_test_reseal(cur, dlen) == 0, "");
            spit(t.doc, cur, dlen);
            bl_postings *p = open_postings_in(&t, dc, 0);
            for (int i = 0; i < NL; i++) {
                const uint64_t *w;
                uint32_t nw;
                uint64_t n;
                int rc = bl_postings_bitmap(p, &lists[i].info, &w, &nw);
                CHECK(rc == 0 || rc == BL_ECORRUPT, "");
                rc = bl_postings_intersect_count(p, &lists[i].info, &lists[(i + 1) % NL].info, &n);
                CHECK(rc == 0 ? n <= lists[i].n : rc == BL_ECORRUPT && n == 0, "rc %d", rc);
                walk_damaged(p, &lists[i].info);
                rc = bl_postings_check_term(p, &lists[i].info, dc);
                CHECK(rc == 0 || rc == BL_ECORRUPT, "");
                errors += rc != 0;
            }
            bl_postings_close(p);
        }
        CHECK(errors > 0, "no damage was ever found");
        free(orig);
        free(cur);
        for (int i = 0; i < NL; i++)
            free_list(&lists[i]);
        tmp_remove(&t);
    }
}

/* ------------------------------------------------------------ lists without positions */

/* Lists without positions (a word pair's, pairs.h) among lists with, in
 * segments of a few sizes: they read, seek and check like any list (docs,
 * tfs, impacts, bounds), say positionless, carry no bitmap even when dense,
 * take no byte of .pos, and refuse to give positions (damage, not a crash). */
static void positionless_lists_body(void)
{
    static const uint32_t counts[] = {1, 16, 17, 300, 2049, 20000};
    for (size_t ci = 0; ci < sizeof counts / sizeof *counts; ci++) {
        uint32_t dc = counts[ci];
        /* in one segment every list lacks positions */
        int all = dc == 300;
        tmpfiles t;
        tmp_make(&t);
        enum { NL = 10 };
        tlist lists[NL];
        int dense_without = 0;
        for (int i = 0; i < NL; i++) {
            /* the first two dense, the rest at any density */
            gen_dense_list(&lists[i], dc, i < 2 ? 0.5 : draw_density(dc));
            if (all || i % 2 == 0 || rnd(3) == 0) {
                free(lists[i].pos);
                lists[i].pos = NULL;
                dense_without += bl_postings_list_is_dense(lists[i].n, dc, BL_DENSE_RATIO);
            }
        }
        CHECK(dense_without > 0, "dc %u: no dense list without positions", dc);
        write_lists_in(&t, lists, NL, dc);
        bl_postings *p = open_postings_in(&t, dc, ci & 1);
        if (all)
            CHECK(bl_postings_positions_bytes(p) == 0, "dc %u: %llu bytes of positions", dc,
                  (unsigned long long)bl_postings_positions_bytes(p));
        for (int i = 0; i < NL; i++) {
            tlist *l = &lists[i];
            int without = l->pos == NULL;
            CHECK(l->info.positionless == without, "dc %u list %d: positionless %u", dc, i,
                  l->info.positionless);
            if (without && i + 1 < NL) /* nothing of it in .pos */
                CHECK(lists[i + 1].info.positions_offset == l->info.positions_offset,
                      "dc %u list %d: %llu bytes of positions", dc, i,
                      (unsigned long long)(lists[i + 1].info.positions_offset -
                                           l->info.positions_offset));
            int bitmap = !without && bl_postings_list_is_dense(l->n, dc, BL_DENSE_RATIO);
            const uint64_t *w = (const uint64_t *)1;
            uint32_t nw = 7;
            CHECK(bl_postings_bitmap(p, &l->info, &w, &nw) == 0, "%s", bl_error_detail());
            CHECK(bitmap ? w != NULL : w == NULL && nw == 0, "dc %u df %u %s positions: bitmap",
                  dc, l->n, without ? "without" : "with");
            bl_posting_iter *it;
            CHECK(bl_posting_iter_new(p, &l->info, &it) == 0, "%s", bl_error_detail());
            CHECK(bl_posting_iter_has_bitmap(it) == bitmap, "dc %u df %u", dc, l->n);
            CHECK(bl_posting_iter_bitmap(it, &w, &nw) == 0 && (bitmap ? w != NULL : w == NULL),
                  "");
            bl_docset_free(bl_posting_iter_docset(it));
            CHECK(bl_postings_check_term_lens(p, &l->info, dc, tlist_len, l) == 0,
                  "dc %u list %d: check: %s", dc, i, bl_error_detail());
            CHECK(bl_postings_check_term_lens(p, &l->info, dc, NULL, NULL) == 0,
                  "dc %u list %d: check without lengths: %s", dc, i, bl_error_detail());
            walk_next(p, l);
            walk_seeks(p, l, 3);
            uint32_t *docs = malloc(l->n * sizeof *docs), *tfs = malloc(l->n * sizeof *tfs);
            CHECK(bl_postings_read_docs(p, &l->info, docs, tfs) == 0, "%s", bl_error_detail());
            CHECK(memcmp(docs, l->docs, l->n * sizeof *docs) == 0 &&
                      memcmp(tfs, l->tfs, l->n * sizeof *tfs) == 0, "read_docs");
            free(docs);
            free(tfs);
            if (!without)
                continue;
            /* positions asked of it: damage, reported, and the iterator stops */
            CHECK(bl_posting_iter_new(p, &l->info, &it) == 0, "%s", bl_error_detail());
            bl_docset *ds = bl_posting_iter_docset(it);
            uint32_t k = (uint32_t)rnd(l->n);
            CHECK(bl_docset_seek(ds, l->docs[k]) == l->docs[k], "");
            const uint32_t *pp;
            uint32_t np = 7;
            CHECK(bl_posting_iter_positions(it, &pp, &np) == BL_ECORRUPT && np == 0,
                  "dc %u list %d: positions of doc %u", dc, i, l->docs[k]);
            CHECK(ds->err == BL_ECORRUPT && ds->doc == BL_DOC_END, "err %d doc %u", ds->err,
                  ds->doc);
            bl_docset_free(ds);
        }
        bl_postings_close(p);
        for (int i = 0; i < NL; i++)
            free_list(&lists[i]);
        tmp_remove(&t);
    }
}

EACH_CODEC(positionless_lists, positionless_lists_body)

/* A list of one posting at a random doc below dc (tf 1..50), with or
 * without positions and document lengths. */
static void gen_one(tlist *l, uint32_t dc, int positions, int lens)
{
    memset(l, 0, sizeof *l);
    l->n = 1;
    l->docs = malloc(sizeof *l->docs);
    l->tfs = malloc(sizeof *l->tfs);
    l->pstart = malloc(2 * sizeof *l->pstart);
    l->docs[0] = (uint32_t)rnd(dc == BL_DOC_END ? (uint64_t)MAX_DOC + 1 : dc);
    l->tfs[0] = 1 + (uint32_t)rnd(rnd(2) ? 3 : 50);
    l->pstart[0] = 0;
    l->pstart[1] = l->tfs[0];
    if (positions) {
        l->pos = malloc(l->tfs[0] * sizeof *l->pos);
        for (uint32_t k = 0, cur = (uint32_t)rnd(1000); k < l->tfs[0]; k++, cur += 1 + (uint32_t)rnd(9))
            l->pos[k] = cur;
    }
    if (lens) {
        size_t nl = (size_t)l->docs[0] + 1;
        l->lens = malloc(nl * sizeof *l->lens);
        for (size_t d = 0; d < nl; d++)
            l->lens[d] = 1 + (uint32_t)rnd(5000);
    }
}

/* A list of one posting keeps its impacts in the dictionary (max_tf,
 * min_len) and none in .doc: it reads back (doc, tf, positions, its one
 * impact, its bounds), seeks, and checks, with and without lengths and
 * positions, dense (in a segment of a few documents) or not, beside longer
 * lists whose offsets follow it. */
static void lists_of_one_posting_body(void)
{
    static const uint32_t counts[] = {1, 2, 16, 17, 1000, 100000};
    for (size_t ci = 0; ci < sizeof counts / sizeof *counts; ci++) {
        uint32_t dc = counts[ci];
        tmpfiles t;
        tmp_make(&t);
        enum { NL = 16 };
        tlist lists[NL];
        for (int i = 0; i < NL; i++) {
            if (i % 4 == 3) /* a longer list between them */
                gen_dense_list(&lists[i], dc, draw_density(dc));
            else
                gen_one(&lists[i], dc, i % 2 == 0, (i / 2) % 2 == 0);
        }
        write_lists_in(&t, lists, NL, dc);
        bl_postings *p = open_postings_in(&t, dc, ci & 1);
        for (int i = 0; i < NL; i++) {
            tlist *l = &lists[i];
            if (l->n == 1) {
                uint32_t len = l->lens ? l->lens[l->docs[0]] : 0;
                CHECK(l->info.max_tf == l->tfs[0] && l->info.min_len == len,
                      "dc %u list %d: dictionary's max_tf %u min_len %u, want %u %u", dc, i,
                      l->info.max_tf, l->info.min_len, l->tfs[0], len);
                CHECK(l->info.positionless == (l->pos == NULL), "");
            }
            CHECK(bl_postings_check_term_lens(p, &l->info, dc, l->lens ? tlist_len : NULL, l) ==
                      0, "dc %u list %d (df %u, %s positions, %s lengths): %s", dc, i, l->n,
                  l->pos ? "with" : "without", l->lens ? "with" : "without", bl_error_detail());
            walk_next(p, l);
            walk_seeks(p, l, 3);
            if (l->n == 1 && l->lens) { /* a min_len above its document is found */
                bl_terminfo forged = l->info;
                forged.min_len++;
                CHECK(bl_postings_check_term_lens(p, &forged, dc, tlist_len, l) == BL_ECORRUPT,
                      "dc %u list %d: min_len raised", dc, i);
            }
        }
        bl_postings_close(p);
        for (int i = 0; i < NL; i++)
            free_list(&lists[i]);
        tmp_remove(&t);
    }
}

EACH_CODEC(lists_of_one_posting, lists_of_one_posting_body)
