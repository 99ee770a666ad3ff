/* id_guard.c: see id_guard.h. */
#include "id_guard.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "error.h"
#include "filefmt.h"
#include "id_filter.h"
#include "id_registry.h"
#include "idmap.h"
#include "segment.h"

/* A written id map is looked up through the hash of every GROUP-th entry,
 * kept in memory (8 bytes a group), then one read of GROUP entries. Its
 * pages are never mapped: a mapping's pages stay resident once touched
 * (and the kernel maps 64 KiB around each), so lookups through mappings
 * of a hundred id maps made the run's resident size grow with its
 * segments. */
#define GROUP 256

typedef struct {
    bl_id_registry *ids;
    uint64_t last_tag;
} batch;

typedef struct {
    bl_manifest_segment info;
    uint64_t *fence; /* the hash of entries 0, GROUP, 2 * GROUP, ... */
} written_seg;

struct bl_id_guard {
    bl_id_guard_opts o;
    batch *batches; /* oldest first; the last takes new ids */
    size_t nbatches, batches_cap;
    bl_id_filter *retired;  /* hashes of ids in written segments */
    bl_id_filter *in_index; /* hashes of the committed segments' ids */
    written_seg *written;
    size_t nwritten, written_cap;
    uint64_t count;
    uint8_t group[GROUP * BL_IDMAP_ENTRY_BYTES]; /* a group of entries read */
};

static int new_batch(bl_id_guard *g, uint64_t tag)
{
    if (g->nbatches == g->batches_cap) {
        size_t cap = g->batches_cap ? 2 * g->batches_cap : 8;
        batch *grown = realloc(g->batches, cap * sizeof *grown);
        if (!grown)
            return bl_error_set(BL_ENOMEM, "id guard: out of memory");
        g->batches = grown;
        g->batches_cap = cap;
    }
    batch *b = &g->batches[g->nbatches];
    int rc = bl_id_registry_new(&b->ids);
    if (rc)
        return rc;
    b->last_tag = tag;
    g->nbatches++;
    return 0;
}

/* Puts every committed id's hash into g->in_index. */
static int read_existing(bl_id_guard *g)
{
    for (size_t i = 0; i < bl_index_segment_count(g->o.existing); i++) {
        bl_segment *seg = bl_index_segment(g->o.existing, i);
        const bl_idmap *map = bl_segment_idmap(seg);
        const bl_mapped *file = bl_idmap_file(map);
        uint32_t n = bl_segment_info(seg)->doc_count;
        int rc = bl_mapped_touch_pages(file, 0, (uint64_t)n * BL_IDMAP_ENTRY_BYTES);
        for (uint32_t d = 0; d < n && !rc; d++)
            rc = bl_id_filter_add(g->in_index, bl_idmap_entry_hash(map, d));
        bl_mapped_drop(file);
        if (rc)
            return rc;
    }
    return 0;
}

int bl_id_guard_new(bl_id_guard **out, const bl_id_guard_opts *o)
{
    *out = NULL;
    bl_id_guard *g = calloc(1, sizeof *g);
    if (!g)
        return bl_error_set(BL_ENOMEM, "id guard: out of memory");
    g->o = *o;
    int rc = bl_id_filter_new(&g->retired, o->max_filter_bytes);
    if (!rc)
        rc = new_batch(g, 0);
    if (!rc && o->existing && (rc = bl_id_filter_new(&g->in_index, o->max_filter_bytes)) == 0)
        rc = read_existing(g);
    if (rc) {
        bl_id_guard_free(g);
        return rc;
    }
    *out = g;
    return 0;
}

void bl_id_guard_free(bl_id_guard *g)
{
    if (!g)
        return;
    for (size_t i = 0; i < g->nbatches; i++)
        bl_id_registry_free(g->batches[i].ids);
    free(g->batches);
    for (size_t i = 0; i < g->nwritten; i++)
        free(g->written[i].fence);
    free(g->written);
    bl_id_filter_free(g->retired);
    bl_id_filter_free(g->in_index);
    free(g);
}

/* A length for "%.*s" in a message: long ids are cut to keep it one line. */
static int shown(size_t len)
{
    return len > 200 ? 200 : (int)len;
}

static int duplicate(const char *id, size_t id_len, const char *source, size_t source_len,
                     const char *first, size_t first_len)
{
    return bl_error_set(BL_EFORMAT, "%.*s: duplicate id \"%.*s\" (first seen at %.*s)",
                        shown(source_len), source, shown(id_len), id, shown(first_len), first);
}

/* Opens written segment w whole and looks for id there: BL_ENOTFOUND, or
 * the duplicate's error with the source its store recorded. */
static int confirm_in(bl_id_guard *g, const written_seg *w, const char *id, size_t id_len,
                      const char *source, size_t source_len)
{
    bl_manifest one = *g->o.manifest;
    bl_manifest_segment info = w->info;
    one.nsegments = 1;
    one.segments = &info;
    bl_segment *seg;
    int rc = bl_segment_open(&seg, g->o.dir, &one, 0, 0);
    if (rc)
        return rc;
    uint32_t doc;
    bl_stored_doc sd;
    if ((rc = bl_segment_find_id(seg, id, id_len, &doc)) == 0 &&
        (rc = bl_docstore_get(bl_segment_docstore(seg), doc, &sd)) == 0)
        rc = duplicate(id, id_len, source, source_len, sd.source, sd.source_len);
    bl_segment_close(seg);
    return rc;
}

/* The id map file of written segment w. */
static int ids_path(const bl_id_guard *g, const written_seg *w, char *path, size_t cap)
{
    return bl_segment_path(path, cap, g->o.dir, w->info.id, "ids");
}

/* Whether written segment w's id map holds an entry with this hash (an id
 * map's body, idmap.h, starts the file: entry i at i * 12). */
static int holds_hash(bl_id_guard *g, const written_seg *w, uint64_t hash, int *found)
{
    *found = 0;
    uint32_t n = w->info.doc_count, ngroups = (n + GROUP - 1) / GROUP;
    /* the group before the first whose first hash is not below hash: an
     * equal hash may end a group and start the next */
    uint32_t lo = 0, hi = ngroups;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (w->fence[mid] < hash)
            lo = mid + 1;
        else
            hi = mid;
    }
    uint32_t first = lo ? lo - 1 : 0;
    if (first >= ngroups)
        return 0;
    char path[4096];
    int rc = ids_path(g, w, path, sizeof path);
    int fd = rc ? -1 : open(path, O_RDONLY | O_CLOEXEC);
    if (!rc && fd < 0)
        rc = bl_error_set(BL_EIO, "%s: cannot open", path);
    for (uint32_t grp = first; !rc && grp < ngroups && w->fence[grp] <= hash; grp++) {
        size_t count = grp + 1 < ngroups ? GROUP : n - (size_t)grp * GROUP;
        size_t bytes = count * BL_IDMAP_ENTRY_BYTES;
        off_t at = (off_t)grp * GROUP * BL_IDMAP_ENTRY_BYTES;
        if (pread(fd, g->group, bytes, at) != (ssize_t)bytes) {
            rc = bl_error_set(BL_EIO, "%s: cannot read", path);
            break;
        }
        for (size_t k = 0; k < count; k++) {
            uint64_t h = bl_get_u64le(g->group + k * BL_IDMAP_ENTRY_BYTES);
            if (h >= hash) {
                *found = h == hash;
                close(fd);
                return 0;
            }
        }
    }
    if (fd >= 0)
        close(fd);
    return rc;
}

/* The filter of written ids says id may be among them: looks in each
 * written segment's id map, and confirms a hash found there. */
static int find_written(bl_id_guard *g, uint64_t hash, const char *id, size_t id_len,
                        const char *source, size_t source_len)
{
    int rc = BL_ENOTFOUND;
    for (size_t i = 0; i < g->nwritten && rc == BL_ENOTFOUND; i++) {
        int found;
        if ((rc = holds_hash(g, &g->written[i], hash, &found)) == 0)
            rc = found ? confirm_in(g, &g->written[i], id, id_len, source, source_len)
                       : BL_ENOTFOUND;
    }
    return rc;
}

int bl_id_guard_add(bl_id_guard *g, const char *id, size_t id_len, const char *source,
                    size_t source_len, uint64_t tag, int *maybe_in_index)
{
    *maybe_in_index = 0;
    uint64_t hash = bl_idmap_hash(id, id_len);
    int rc;
    /* the batches not yet written, the newest apart: it adds and checks in one */
    for (size_t i = 0; i + 1 < g->nbatches; i++) {
        const char *first;
        size_t first_len;
        rc = bl_id_registry_find(g->batches[i].ids, id, id_len, &first, &first_len);
        if (rc == 0)
            return duplicate(id, id_len, source, source_len, first, first_len);
        if (rc != BL_ENOTFOUND)
            return rc;
    }
    if (bl_id_filter_may_hold(g->retired, hash) &&
        (rc = find_written(g, hash, id, id_len, source, source_len)) != BL_ENOTFOUND)
        return rc;
    batch *b = &g->batches[g->nbatches - 1];
    /* a batch closes at its size, so that a written stretch of the input
     * leaves memory soon */
    if (bl_id_registry_count(b->ids) >= g->o.batch_ids) {
        if ((rc = new_batch(g, tag)) != 0)
            return rc;
        b = &g->batches[g->nbatches - 1];
    }
    if ((rc = bl_id_registry_add(b->ids, id, id_len, source, source_len)) != 0)
        return rc;
    b->last_tag = tag;
    g->count++;
    *maybe_in_index = g->in_index && bl_id_filter_may_hold(g->in_index, hash);
    return 0;
}

static int retire_id(void *ctx, const char *id, size_t id_len)
{
    return bl_id_filter_add(ctx, bl_idmap_hash(id, id_len));
}

/* Reads written segment w's id map once, keeping the hash of every
 * GROUP-th entry. */
static int read_fences(bl_id_guard *g, written_seg *w)
{
    uint32_t n = w->info.doc_count, ngroups = (n + GROUP - 1) / GROUP;
    if (!(w->fence = malloc((ngroups ? ngroups : 1) * sizeof *w->fence)))
        return bl_error_set(BL_ENOMEM, "id guard: out of memory");
    char path[4096];
    int rc = ids_path(g, w, path, sizeof path);
    int fd = rc ? -1 : open(path, O_RDONLY | O_CLOEXEC);
    if (!rc && fd < 0)
        rc = bl_error_set(BL_EIO, "%s: cannot open", path);
    for (uint32_t grp = 0; !rc && grp < ngroups; grp++) {
        uint8_t e[BL_IDMAP_ENTRY_BYTES];
        off_t at = (off_t)grp * GROUP * BL_IDMAP_ENTRY_BYTES;
        if (pread(fd, e, sizeof e, at) != (ssize_t)sizeof e)
            rc = bl_error_set(BL_EIO, "%s: cannot read", path);
        else
            w->fence[grp] = bl_get_u64le(e);
    }
    if (fd >= 0)
        close(fd);
    if (rc) {
        free(w->fence);
        w->fence = NULL;
    }
    return rc;
}

int bl_id_guard_written(bl_id_guard *g, uint64_t below, const bl_manifest_segment *segs,
                        size_t n)
{
    if (g->nwritten + n > g->written_cap) {
        size_t cap = g->written_cap ? g->written_cap : 16;
        while (cap < g->nwritten + n)
            cap *= 2;
        written_seg *grown = realloc(g->written, cap * sizeof *grown);
        if (!grown)
            return bl_error_set(BL_ENOMEM, "id guard: out of memory");
        g->written = grown;
        g->written_cap = cap;
    }
    for (size_t i = 0; i < n; i++) {
        written_seg *w = &g->written[g->nwritten];
        w->info = segs[i];
        int rc = read_fences(g, w);
        if (rc)
            return rc;
        g->nwritten++;
    }
    /* batches whose every article is written: their ids become hashes in
     * the filter (the newest too, then a fresh one takes its place) */
    size_t keep = 0;
    while (keep < g->nbatches && g->batches[keep].last_tag < below) {
        int rc = bl_id_registry_each(g->batches[keep].ids, retire_id, g->retired);
        if (rc)
            return rc;
        keep++;
    }
    if (keep == 0)
        return 0;
    for (size_t i = 0; i < keep; i++)
        bl_id_registry_free(g->batches[i].ids);
    memmove(g->batches, g->batches + keep, (g->nbatches - keep) * sizeof *g->batches);
    g->nbatches -= keep;
    return g->nbatches ? 0 : new_batch(g, below);
}

uint64_t bl_id_guard_count(const bl_id_guard *g)
{
    return g->count;
}

size_t bl_id_guard_memory(const bl_id_guard *g)
{
    size_t bytes = sizeof *g + g->batches_cap * sizeof *g->batches +
                   g->written_cap * sizeof *g->written + bl_id_filter_memory(g->retired);
    for (size_t i = 0; i < g->nwritten; i++)
        bytes += ((size_t)g->written[i].info.doc_count + GROUP - 1) / GROUP * sizeof(uint64_t);
    for (size_t i = 0; i < g->nbatches; i++)
        bytes += bl_id_registry_memory(g->batches[i].ids);
    if (g->in_index)
        bytes += bl_id_filter_memory(g->in_index);
    return bytes;
}
