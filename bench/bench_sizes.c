/* bench_sizes.c: byline-bench --sizes, where an index's .doc and .pos bytes
 * go, by kind of list: words by document frequency (dense words with their
 * bitmaps apart), and word pairs. Each list's .doc bytes are split into its
 * bitmap, its skip entries, the runs of doc gaps and tfs (as the segment's
 * codec writes them, encoded again from the decoded values), and the rest (impacts and
 * padding). Beside the packed runs it prints what a patched codec would
 * take for the same values (each run packed at the width that minimises
 * its size, the values that do not fit stored apart as a one-byte index
 * and a varint of their high bits, as PFor codecs do): an estimate, to tell
 * how much a codec change could save before writing one.
 */
#include "bench_sizes.h"

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "codec.h"
#include "docset.h"
#include "error.h"
#include "index.h"
#include "pairs.h"
#include "postings.h"
#include "segment.h"
#include "termdict.h"

enum { K_DF1, K_DF16, K_DF128, K_SPARSE, K_DENSE, K_PAIR_DF1, K_PAIR_DF128, K_PAIR_MORE, NKINDS };

static const char *const kind_names[NKINDS] = {
    "word df 1",    "word df 2-16", "word df 17-128", "word df > 128", "word dense",
    "pair df 1",    "pair df 2-128", "pair df > 128",
};

typedef struct {
    uint64_t terms, postings, positions;
    uint64_t doc_bytes, bitmap_bytes, skip_bytes, pos_bytes;
    uint64_t runs_packed, runs_patched;         /* doc gaps and tfs */
    uint64_t pos_runs_packed, pos_runs_patched; /* position gaps */
} kind_sizes;

static unsigned bits_of(uint32_t v) { return v ? 32u - (unsigned)__builtin_clz(v) : 0; }

/* Bytes of one run of k values as the segment's codec c writes it. */
static uint64_t packed_run(const bl_codec *c, const uint32_t *v, size_t k)
{
    uint8_t out[BL_BLOCK_SIZE * 8]; /* any codec writes a u32 in at most 5 bytes */
    return c->encode(v, k, out);
}

/* Bytes of the same run under a patched codec: width and exception count,
 * k values at the width b that minimises the total, and for each value of
 * more than b bits its index and the varint of its high bits. */
static uint64_t patched_run(const uint32_t *v, size_t k)
{
    uint64_t best = UINT64_MAX;
    for (unsigned b = 0; b <= 32; b++) {
        uint64_t bytes = 2 + (k * b + 7) / 8;
        for (size_t i = 0; i < k && b < 32; i++)
            if (bits_of(v[i]) > b)
                bytes += 1 + bl_varint_len(v[i] >> b);
        if (bytes < best)
            best = bytes;
    }
    return best;
}

/* Adds the runs of n values (cut into runs of BL_BLOCK_SIZE) to *packed and
 * *patched. */
static void add_runs(const bl_codec *c, const uint32_t *v, size_t n, uint64_t *packed,
                     uint64_t *patched)
{
    for (size_t at = 0; at < n; at += BL_BLOCK_SIZE) {
        size_t k = n - at < BL_BLOCK_SIZE ? n - at : BL_BLOCK_SIZE;
        *packed += packed_run(c, v + at, k);
        *patched += patched_run(v + at, k);
    }
}

typedef struct {
    uint32_t *docs, *tfs, *pos; /* one block's doc gaps, tfs - 1, position gaps */
    size_t pos_n, pos_cap;
} block_vals;

/* Decodes the list of info block by block and adds its runs to k. */
static int measure_runs(const bl_postings *p, const bl_terminfo *info, block_vals *bv,
                        kind_sizes *k)
{
    const bl_codec *c = bl_postings_codec(p);
    bl_posting_iter *it;
    int rc = bl_posting_iter_new(p, info, &it);
    if (rc)
        return rc;
    bl_docset *ds = bl_posting_iter_docset(it);
    uint32_t in_block = 0, base = 0, prev = 0;
    for (uint32_t d = ds->doc; d != BL_DOC_END; d = bl_posting_iter_next(it)) {
        /* gaps minus one, from the last block's last doc + 1 (FORMAT.md) */
        bv->docs[in_block] = in_block ? d - prev - 1 : d - base;
        bv->tfs[in_block] = bl_posting_iter_freq(it) - 1;
        prev = d;
        if (!info->positionless) {
            const uint32_t *pos;
            uint32_t n;
            if ((rc = bl_posting_iter_positions(it, &pos, &n)))
                break;
            if (bv->pos_n + n > bv->pos_cap) {
                size_t cap = (bv->pos_n + n) * 2;
                uint32_t *grown = realloc(bv->pos, cap * sizeof *grown);
                if (!grown) {
                    rc = BL_ENOMEM;
                    break;
                }
                bv->pos = grown;
                bv->pos_cap = cap;
            }
            for (uint32_t j = 0; j < n; j++)
                bv->pos[bv->pos_n++] = j ? pos[j] - pos[j - 1] - 1 : pos[j];
        }
        if (++in_block == BL_BLOCK_SIZE) {
            add_runs(c, bv->docs, in_block, &k->runs_packed, &k->runs_patched);
            add_runs(c, bv->tfs, in_block, &k->runs_packed, &k->runs_patched);
            add_runs(c, bv->pos, bv->pos_n, &k->pos_runs_packed, &k->pos_runs_patched);
            in_block = 0;
            bv->pos_n = 0;
            base = d + 1;
        }
    }
    if (!rc)
        rc = ds->err;
    if (!rc && in_block) {
        add_runs(c, bv->docs, in_block, &k->runs_packed, &k->runs_patched);
        add_runs(c, bv->tfs, in_block, &k->runs_packed, &k->runs_patched);
        add_runs(c, bv->pos, bv->pos_n, &k->pos_runs_packed, &k->pos_runs_patched);
    }
    bv->pos_n = 0;
    bl_docset_free(ds);
    return rc;
}

static int kind_of(const char *term, size_t len, const bl_terminfo *info, uint32_t doc_count,
                   uint32_t ratio)
{
    uint32_t df = info->doc_freq;
    if (len && (unsigned char)term[0] == BL_PAIR_MARK)
        return df == 1 ? K_PAIR_DF1 : df <= 128 ? K_PAIR_DF128 : K_PAIR_MORE;
    if (bl_postings_has_bitmap(info, doc_count, ratio))
        return K_DENSE;
    return df == 1 ? K_DF1 : df <= 16 ? K_DF16 : df <= 128 ? K_DF128 : K_SPARSE;
}

/* Adds one term's list, which ends at doc_end in .doc and pos_end in .pos. */
static int add_list(const bl_postings *p, const char *term, size_t len, const bl_terminfo *info,
                    uint64_t doc_end, uint64_t pos_end, uint32_t doc_count, uint32_t ratio,
                    block_vals *bv, kind_sizes *kinds)
{
    kind_sizes *k = &kinds[kind_of(term, len, info, doc_count, ratio)];
    k->terms++;
    k->postings += info->doc_freq;
    k->doc_bytes += doc_end - info->postings_offset;
    uint32_t nblocks = (info->doc_freq + BL_BLOCK_SIZE - 1) / BL_BLOCK_SIZE;
    if (nblocks > 1)
        k->skip_bytes += (uint64_t)nblocks * BL_SKIP_ENTRY_BYTES(!info->positionless);
    if (bl_postings_has_bitmap(info, doc_count, ratio))
        k->bitmap_bytes += (uint64_t)bl_postings_bitmap_words(doc_count) * 8;
    if (!info->positionless) {
        k->positions += info->total_freq;
        k->pos_bytes += pos_end - info->positions_offset;
    }
    return measure_runs(p, info, bv, k);
}

/* Walks one segment's dictionary: lists lie in .doc and .pos in dictionary
 * order, so each ends where the next term's begins. */
static int add_segment(const bl_segment *seg, block_vals *bv, kind_sizes *kinds)
{
    const bl_termdict *d = bl_segment_termdict(seg);
    const bl_postings *p = bl_segment_postings(seg);
    uint32_t doc_count = bl_segment_info(seg)->doc_count;
    uint32_t ratio = bl_segment_info(seg)->dense_ratio;
    bl_termdict_iter *it;
    int rc = bl_termdict_iter_new(d, &it);
    if (rc)
        return rc;
    char prev_term[BL_TERM_MAX_BYTES];
    size_t prev_len = 0;
    bl_terminfo prev;
    int have_prev = 0;
    for (;;) {
        const char *term;
        size_t len;
        bl_terminfo info;
        int more = bl_termdict_iter_next(it, &term, &len, &info);
        if (more < 0) {
            rc = more;
            break;
        }
        uint64_t doc_end = more ? info.postings_offset : bl_postings_docs_bytes(p);
        uint64_t pos_end = bl_postings_positions_bytes(p);
        if (more && !info.positionless)
            pos_end = info.positions_offset;
        if (have_prev) {
            if (doc_end < prev.postings_offset ||
                (!prev.positionless && pos_end < prev.positions_offset)) {
                fprintf(stderr, "byline-bench: lists out of dictionary order\n");
                rc = BL_ECORRUPT;
                break;
            }
            if ((rc = add_list(p, prev_term, prev_len, &prev, doc_end, pos_end, doc_count, ratio,
                               bv, kinds)))
                break;
        }
        if (!more)
            break;
        memcpy(prev_term, term, len);
        prev_len = len;
        prev = info;
        have_prev = 1;
    }
    bl_termdict_iter_free(it);
    return rc;
}

static double mb(uint64_t bytes) { return (double)bytes / 1e6; }

static void print_row(const char *name, const kind_sizes *k, double raw)
{
    uint64_t other = k->doc_bytes - k->bitmap_bytes - k->skip_bytes - k->runs_packed;
    printf("%-15s %8llu %10llu %9.3f %8.3f %8.3f %8.3f %8.3f %9.3f %6.3f %8.3f %8.3f\n", name,
           (unsigned long long)k->terms, (unsigned long long)k->postings, mb(k->doc_bytes),
           mb(k->bitmap_bytes), mb(k->skip_bytes), mb(k->runs_packed), mb(other),
           mb(k->pos_bytes), raw > 0 ? (double)(k->doc_bytes + k->pos_bytes) / raw : 0.0,
           mb(k->runs_patched), mb(k->pos_runs_patched));
}

static void add_into(kind_sizes *to, const kind_sizes *k)
{
    to->terms += k->terms;
    to->postings += k->postings;
    to->positions += k->positions;
    to->doc_bytes += k->doc_bytes;
    to->bitmap_bytes += k->bitmap_bytes;
    to->skip_bytes += k->skip_bytes;
    to->pos_bytes += k->pos_bytes;
    to->runs_packed += k->runs_packed;
    to->runs_patched += k->runs_patched;
    to->pos_runs_packed += k->pos_runs_packed;
    to->pos_runs_patched += k->pos_runs_patched;
}

int bl_bench_sizes(int argc, char **argv)
{
    const char *dir = NULL;
    double raw = 0;
    static const struct option longs[] = {
        {"index", required_argument, 0, 'i'},
        {"raw", required_argument, 0, 'r'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "i:r:h", longs, NULL)) != -1) {
        switch (c) {
        case 'i': dir = optarg; break;
        case 'r': raw = strtod(optarg, NULL); break;
        case 'h':
            printf("usage: byline-bench --sizes -i INDEX [--raw BYTES]\n"
                   "Splits the index's .doc and .pos bytes by kind of list (MB): bitmaps,\n"
                   "skip entries, runs of doc gaps and tfs, the rest (impacts, padding),\n"
                   "positions; with --raw, each kind's .doc + .pos as a share of BYTES (the\n"
                   "text indexed). The last two columns estimate the runs under a patched\n"
                   "codec (exceptions stored apart, as PFor): what a codec change could save.\n");
            return 0;
        default: return 2;
        }
    }
    if (!dir) {
        fprintf(stderr, "byline-bench --sizes: -i INDEX is required\n");
        return 2;
    }
    bl_index *idx;
    int rc = bl_index_open(&idx, dir, 1);
    if (rc) {
        fprintf(stderr, "byline-bench --sizes: %s: %s\n", dir,
                bl_error_detail()[0] ? bl_error_detail() : bl_strerror(rc));
        return 1;
    }
    kind_sizes kinds[NKINDS] = {{0}};
    block_vals bv = {malloc(BL_BLOCK_SIZE * sizeof *bv.docs),
                     malloc(BL_BLOCK_SIZE * sizeof *bv.tfs), NULL, 0, 0};
    rc = bv.docs && bv.tfs ? 0 : BL_ENOMEM;
    for (size_t s = 0; !rc && s < bl_index_segment_count(idx); s++)
        rc = add_segment(bl_index_segment(idx, s), &bv, kinds);
    free(bv.docs);
    free(bv.tfs);
    free(bv.pos);
    bl_index_close(idx);
    if (rc) {
        fprintf(stderr, "byline-bench --sizes: %s: %s\n", dir,
                bl_error_detail()[0] ? bl_error_detail() : bl_strerror(rc));
        return 1;
    }

    printf("%-15s %8s %10s %9s %8s %8s %8s %8s %9s %6s %8s %8s\n", "kind", "terms", "postings",
           ".doc MB", "bitmaps", "skips", "runs", "other", ".pos MB", "x raw", "runs pt",
           "pos pt");
    kind_sizes words = {0}, pairs = {0}, all = {0};
    for (int k = 0; k < NKINDS; k++) {
        print_row(kind_names[k], &kinds[k], raw);
        add_into(k < K_PAIR_DF1 ? &words : &pairs, &kinds[k]);
        add_into(&all, &kinds[k]);
    }
    print_row("all words", &words, raw);
    print_row("all pairs", &pairs, raw);
    print_row("all", &all, raw);
    if (raw > 0) {
        uint64_t total = all.doc_bytes + all.pos_bytes;
        uint64_t patched = total - all.runs_packed - all.pos_runs_packed + all.runs_patched +
                           all.pos_runs_patched;
        printf(".doc + .pos: %.3f of raw; without pair lists %.3f; without pairs and "
               "bitmaps %.3f; patched runs (estimate) %.3f, and without pairs and bitmaps "
               "%.3f\n",
               (double)total / raw, (double)(total - pairs.doc_bytes) / raw,
               (double)(total - pairs.doc_bytes - all.bitmap_bytes) / raw,
               (double)patched / raw,
               (double)(patched - pairs.doc_bytes - pairs.runs_patched + pairs.runs_packed -
                        all.bitmap_bytes) /
                   raw);
    }
    return 0;
}
