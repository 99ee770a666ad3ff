/* index.c: all segments of an index opened together, with global stats. */
#include "index.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

struct bl_index {
    bl_manifest manifest;
    bl_segment **segs;
    uint32_t *bases;
    uint64_t docs;      /* the id space: every segment's documents */
    uint64_t live;      /* those not deleted */
    uint64_t tokens;
};

static int open_once(bl_index **out, const char *dir, int verify, int *read,
                     uint64_t *generation);

/* How often a reader starts again when a writer replaced the manifest
 * while it was opening the segments. */
#define OPEN_TRIES 16

int bl_index_open(bl_index **out, const char *dir, int verify)
{
    /* A commit (a merge's, say) may remove segment files right after the
     * manifest that dropped them is in place: a reader that read the old
     * manifest then fails to open them. If the manifest changed meanwhile,
     * the new one is whole: start again from it. */
    for (int tries = 1;; tries++) {
        int read = 0;
        uint64_t generation = 0;
        int rc = open_once(out, dir, verify, &read, &generation);
        if (rc == 0 || !read || tries == OPEN_TRIES)
            return rc;
        char detail[1024];
        snprintf(detail, sizeof detail, "%s", bl_error_detail());
        bl_manifest now = {0};
        int changed = bl_manifest_read(dir, &now) == 0 && now.generation != generation;
        bl_manifest_release(&now);
        if (!changed)
            return bl_error_set(rc, "%s", detail);
    }
}

static int open_once(bl_index **out, const char *dir, int verify, int *read,
                     uint64_t *generation)
{
    bl_index *idx = calloc(1, sizeof *idx);
    if (!idx)
        return BL_ENOMEM;
    int rc = bl_manifest_read(dir, &idx->manifest);
    if (rc)
        goto fail;
    *read = 1;
    *generation = idx->manifest.generation;
    size_t n = idx->manifest.nsegments;
    idx->segs = calloc(n ? n : 1, sizeof *idx->segs);
    idx->bases = calloc(n ? n : 1, sizeof *idx->bases);
    if (!idx->segs || !idx->bases) {
        rc = BL_ENOMEM;
        goto fail;
    }
    for (size_t i = 0; i < n; i++) {
        const bl_manifest_segment *s = &idx->manifest.segments[i];
        if (idx->docs + s->doc_count >= UINT32_MAX) {
            rc = bl_error_set(BL_ETOOBIG, "%s: more than %u documents", dir, UINT32_MAX - 1);
            goto fail;
        }
        idx->bases[i] = (uint32_t)idx->docs;
        idx->docs += s->doc_count;
        idx->live += s->doc_count - s->del_count;
        idx->tokens += s->total_tokens - s->del_tokens;
        if ((rc = bl_segment_open(&idx->segs[i], dir, &idx->manifest, i, verify)) != 0)
            goto fail;
    }
    *out = idx;
    return 0;
fail:
    bl_index_close(idx);
    return rc;
}

void bl_index_close(bl_index *idx)
{
    if (!idx)
        return;
    if (idx->segs)
        for (size_t i = 0; i < idx->manifest.nsegments; i++)
            bl_segment_close(idx->segs[i]);
    free(idx->segs);
    free(idx->bases);
    bl_manifest_release(&idx->manifest);
    free(idx);
}

const bl_manifest *bl_index_manifest(const bl_index *idx) { return &idx->manifest; }
size_t bl_index_segment_count(const bl_index *idx) { return idx->manifest.nsegments; }
bl_segment *bl_index_segment(const bl_index *idx, size_t i) { return idx->segs[i]; }
uint32_t bl_index_segment_base(const bl_index *idx, size_t i) { return idx->bases[i]; }
uint64_t bl_index_doc_count(const bl_index *idx) { return idx->live; }
uint64_t bl_index_doc_space(const bl_index *idx) { return idx->docs; }
uint64_t bl_index_total_tokens(const bl_index *idx) { return idx->tokens; }

double bl_index_avg_doc_len(const bl_index *idx)
{
    if (!idx->live || !idx->tokens)
        return 1.0;
    return (double)idx->tokens / (double)idx->live;
}

int bl_index_doc_freq(const bl_index *idx, const char *term, size_t len, uint64_t *df)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < idx->manifest.nsegments; i++) {
        bl_terminfo ti;
        int rc = bl_termdict_lookup(bl_segment_termdict(idx->segs[i]), term, len, &ti);
        if (rc == 0)
            sum += ti.doc_freq;
        else if (rc != BL_ENOTFOUND)
            return rc;
    }
    *df = sum;
    return 0;
}

int bl_index_locate(const bl_index *idx, uint32_t global, size_t *seg, uint32_t *local)
{
    size_t lo = 0, hi = idx->manifest.nsegments;
    /* Last segment whose base <= global. */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (idx->bases[mid] <= global)
            lo = mid;
        else
            hi = mid;
    }
    if (lo >= idx->manifest.nsegments ||
        global - idx->bases[lo] >= idx->manifest.segments[lo].doc_count)
        return bl_error_set(BL_EINVAL, "document %u is not in the index", global);
    *seg = lo;
    *local = global - idx->bases[lo];
    return 0;
}

int bl_index_open_many(bl_index **out, const char *const *dirs, size_t n, int verify)
{
    if (n == 0)
        return bl_error_set(BL_EINVAL, "no index to open");
    if (n == 1)
        return bl_index_open(out, dirs[0], verify);
    bl_index **parts = calloc(n, sizeof *parts);
    bl_index *all = calloc(1, sizeof *all);
    int rc = parts && all ? 0 : BL_ENOMEM;
    size_t nsegs = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        if ((rc = bl_index_open(&parts[i], dirs[i], verify)))
            break;
        const bl_manifest *m = &parts[i]->manifest, *m0 = &parts[0]->manifest;
        if (strcmp(m->lang, m0->lang) != 0 || m->analyzer_version != m0->analyzer_version)
            rc = bl_error_set(BL_EINVAL, "%s: analysed as '%s' (analyzer version %u), %s as "
                              "'%s' (version %u): indexes searched together must share their "
                              "analysis", dirs[i], m->lang, m->analyzer_version, dirs[0],
                              m0->lang, m0->analyzer_version);
        nsegs += m->nsegments;
    }
    if (!rc) {
        all->manifest = parts[0]->manifest;
        all->manifest.segments = calloc(nsegs ? nsegs : 1, sizeof *all->manifest.segments);
        all->segs = calloc(nsegs ? nsegs : 1, sizeof *all->segs);
        all->bases = calloc(nsegs ? nsegs : 1, sizeof *all->bases);
        if (!all->manifest.segments || !all->segs || !all->bases)
            rc = BL_ENOMEM;
    }
    /* the segments of every index, one after the other, with global ids
     * and statistics over all of them */
    all->manifest.nsegments = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        bl_index *p = parts[i];
        if (all->docs + p->docs >= UINT32_MAX) {
            rc = bl_error_set(BL_ETOOBIG, "%s and the indexes before it: more than %u documents",
                              dirs[i], UINT32_MAX - 1);
            break;
        }
        for (uint32_t k = 0; k < p->manifest.nsegments; k++) {
            uint32_t j = all->manifest.nsegments++;
            all->manifest.segments[j] = p->manifest.segments[k];
            all->segs[j] = p->segs[k];
            all->bases[j] = (uint32_t)all->docs + p->bases[k];
            p->segs[k] = NULL;
        }
        all->docs += p->docs;
        all->live += p->live;
        all->tokens += p->tokens;
    }
    for (size_t i = 0; parts && i < n; i++) {
        if (parts[i] && rc == 0)
            parts[i]->manifest.nsegments = 0; /* its segments are all's now */
        bl_index_close(parts[i]);
    }
    free(parts);
    if (rc) {
        if (all && all->segs)
            for (uint32_t j = 0; j < all->manifest.nsegments; j++)
                bl_segment_close(all->segs[j]);
        if (all) {
            all->manifest.nsegments = 0;
            bl_index_close(all);
        }
        return rc;
    }
    *out = all;
    return 0;
}
