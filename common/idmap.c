/* idmap.c: writing, searching and checking a segment's id map. */
#include "idmap.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "buf.h"
#include "deletes.h"
#include "error.h"

struct bl_idmap {
    bl_mapped m;
    uint32_t count;
};

typedef struct {
    uint64_t hash;
    uint32_t doc;
} entry;

uint64_t bl_idmap_hash(const char *id, size_t len) { return XXH3_64bits(id, len); }

static int cmp_entries(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    if (x->hash != y->hash)
        return x->hash < y->hash ? -1 : 1;
    return x->doc < y->doc ? -1 : x->doc > y->doc;
}

int bl_idmap_write(const char *path, const uint64_t *hashes, uint32_t n)
{
    entry *e = malloc((n ? n : 1) * sizeof *e);
    if (!e)
        return BL_ENOMEM;
    for (uint32_t d = 0; d < n; d++)
        e[d] = (entry){hashes[d], d};
    qsort(e, n, sizeof *e, cmp_entries);
    bl_filewriter *w;
    int rc = bl_filewriter_open(&w, path, BL_KIND_IDMAP);
    uint8_t chunk[BL_IDMAP_ENTRY_BYTES * 512];
    for (uint32_t i = 0; !rc && i < n;) {
        size_t k = 0;
        for (; i < n && k < sizeof chunk; i++, k += BL_IDMAP_ENTRY_BYTES) {
            bl_put_u64le(chunk + k, e[i].hash);
            bl_put_u32le(chunk + k + 8, e[i].doc);
        }
        if ((rc = bl_filewriter_write(w, chunk, k)) != 0)
            bl_filewriter_abort(w);
    }
    if (!rc)
        rc = bl_filewriter_commit(w);
    free(e);
    return rc;
}

int bl_idmap_open(bl_idmap **out, const char *path, uint32_t doc_count, int verify)
{
    bl_idmap *m = calloc(1, sizeof *m);
    if (!m)
        return BL_ENOMEM;
    int rc = bl_file_map(&m->m, path, BL_KIND_IDMAP, verify);
    if (!rc && m->m.len != (size_t)doc_count * BL_IDMAP_ENTRY_BYTES)
        rc = bl_error_set(BL_ECORRUPT, "%s: %zu bytes of id map for %u documents", path, m->m.len,
                          doc_count);
    if (rc) {
        bl_idmap_close(m);
        return rc;
    }
    m->count = doc_count;
    *out = m;
    return 0;
}

void bl_idmap_close(bl_idmap *m)
{
    if (!m)
        return;
    bl_file_unmap(&m->m);
    free(m);
}

const bl_mapped *bl_idmap_file(const bl_idmap *m) { return &m->m; }

static uint64_t hash_at(const bl_idmap *m, size_t i)
{
    return bl_get_u64le(m->m.data + i * BL_IDMAP_ENTRY_BYTES);
}

static int touch_entry(const bl_idmap *m, size_t i)
{
    return bl_mapped_touch(&m->m, (uint64_t)i * BL_IDMAP_ENTRY_BYTES, BL_IDMAP_ENTRY_BYTES);
}

int bl_idmap_find(const bl_idmap *m, uint64_t hash, size_t *first, size_t *n)
{
    size_t lo = 0, hi = m->count; /* first entry with hash_at >= hash */
    int rc = 0;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if ((rc = touch_entry(m, mid)) != 0)
            return rc;
        if (hash_at(m, mid) < hash)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t end = lo;
    while (end < m->count && !(rc = touch_entry(m, end)) && hash_at(m, end) == hash)
        end++;
    if (rc)
        return rc;
    *first = lo;
    *n = end - lo;
    return 0;
}

uint32_t bl_idmap_doc(const bl_idmap *m, size_t i)
{
    uint32_t doc = bl_get_u32le(m->m.data + i * BL_IDMAP_ENTRY_BYTES + 8);
    return doc < m->count ? doc : UINT32_MAX;
}

uint64_t bl_idmap_entry_hash(const bl_idmap *m, size_t i) { return hash_at(m, i); }

int bl_idmap_check(const bl_idmap *m)
{
    uint8_t *seen = calloc(m->count / 8 + 1, 1);
    if (!seen)
        return BL_ENOMEM;
    int rc = 0;
    uint64_t prev_hash = 0;
    uint32_t prev_doc = 0;
    for (size_t i = 0; i < m->count && !rc; i++) {
        size_t off = i * BL_IDMAP_ENTRY_BYTES;
        uint64_t h = bl_get_u64le(m->m.data + off);
        uint32_t d = bl_get_u32le(m->m.data + off + 8);
        if (d >= m->count)
            rc = bl_error_set(BL_ECORRUPT, "%s: offset %zu: document %u of %u", m->m.path,
                              off + 8, d, m->count);
        else if (i && (h < prev_hash || (h == prev_hash && d <= prev_doc)))
            rc = bl_error_set(BL_ECORRUPT, "%s: offset %zu: entries out of order", m->m.path, off);
        else if (seen[d / 8] >> (d % 8) & 1)
            rc = bl_error_set(BL_ECORRUPT, "%s: offset %zu: document %u listed twice", m->m.path,
                              off + 8, d);
        else
            seen[d / 8] |= (uint8_t)(1u << (d % 8));
        prev_hash = h;
        prev_doc = d;
    }
    free(seen);
    return rc;
}

/* One source of a merge: its next entry. */
typedef struct {
    const bl_idmap *m;
    size_t at;
    uint32_t base;  /* the source's first document in the merge */
    const uint64_t *del; /* its deletions and their rank, or NULL */
    uint32_t *rank;
    uint64_t hash;  /* of entry at */
    uint32_t doc;   /* its document's number in the merge */
} merge_head;

static int head_less(const merge_head *a, const merge_head *b)
{
    return a->hash != b->hash ? a->hash < b->hash : a->doc < b->doc;
}

/* Restores the heap order below slot i of h[0..n). */
static void sift_down(merge_head *h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, best = i;
        if (l < n && head_less(&h[l], &h[best]))
            best = l;
        if (l + 1 < n && head_less(&h[l + 1], &h[best]))
            best = l + 1;
        if (best == i)
            return;
        merge_head t = h[i];
        h[i] = h[best];
        h[best] = t;
        i = best;
    }
}

/* Loads entry h->at of its source, or the next one whose document is
 * not deleted, checked: 0 at its end, 1 when loaded, or an error. */
static int head_load(merge_head *h)
{
    for (; h->at < h->m->count; h->at++) {
        uint64_t hash = hash_at(h->m, h->at);
        uint32_t doc = bl_idmap_doc(h->m, h->at);
        if (doc == UINT32_MAX || (h->at && hash < h->hash))
            return bl_error_set(BL_ECORRUPT, "%s: offset %zu: %s", h->m->m.path,
                                h->at * BL_IDMAP_ENTRY_BYTES,
                                doc == UINT32_MAX ? "document out of range"
                                                  : "entries out of order");
        h->hash = hash;
        if (bl_deleted(h->del, doc))
            continue;
        h->doc = h->base + doc - (h->del ? bl_deletes_before(h->del, h->rank, doc) : 0);
        return 1;
    }
    return 0;
}

/* Entries a merge writes between two drops of its inputs' pages. */
#define DROP_EVERY_ENTRIES 65536

int bl_idmap_write_merged(const char *path, const bl_idmap *const *src, const uint32_t *base,
                          const uint64_t *const *del, size_t n)
{
    merge_head *h = calloc(n ? n : 1, sizeof *h);
    uint32_t **ranks = calloc(n ? n : 1, sizeof *ranks);
    if (!h || !ranks) {
        free(h);
        free(ranks);
        return BL_ENOMEM;
    }
    int rc = 0;
    size_t live = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        if ((rc = bl_mapped_touch(&src[i]->m, 0, src[i]->m.len)))
            break;
        bl_mapped_drop(&src[i]->m); /* verified: read again as the merge goes */
        if ((uint64_t)base[i] + src[i]->count > UINT32_MAX) {
            rc = bl_error_set(BL_ETOOBIG, "id map merge: over 2^32 documents");
            break;
        }
        if (del && del[i] && !(ranks[i] = bl_deletes_rank(del[i], src[i]->count))) {
            rc = BL_ENOMEM;
            break;
        }
        h[live] = (merge_head){src[i], 0, base[i], del ? del[i] : NULL, ranks[i], 0, 0};
        int got = head_load(&h[live]);
        if (got < 0)
            rc = got;
        live += got == 1;
    }
    for (size_t i = live; i-- > 0;)
        sift_down(h, live, i);
    bl_filewriter *w = NULL;
    if (!rc)
        rc = bl_filewriter_open(&w, path, BL_KIND_IDMAP);
    uint8_t chunk[BL_IDMAP_ENTRY_BYTES * 512];
    size_t k = 0;
    uint64_t since_drop = 0;
    while (!rc && live) {
        /* each input is read once, in order: its pages go as it is read
         * (two merges at once held the whole of their inputs' maps, 60 MB
         * each for 5 million articles) */
        if (++since_drop == DROP_EVERY_ENTRIES) {
            since_drop = 0;
            for (size_t i = 0; i < n; i++)
                bl_mapped_drop(&src[i]->m);
        }
        bl_put_u64le(chunk + k, h[0].hash);
        bl_put_u32le(chunk + k + 8, h[0].doc);
        k += BL_IDMAP_ENTRY_BYTES;
        if (k == sizeof chunk) {
            rc = bl_filewriter_write(w, chunk, k);
            k = 0;
        }
        h[0].at++;
        int got = head_load(&h[0]);
        if (got < 0)
            rc = got;
        else if (!got)
            h[0] = h[--live];
        sift_down(h, live, 0);
    }
    if (!rc && k)
        rc = bl_filewriter_write(w, chunk, k);
    if (w) {
        if (rc)
            bl_filewriter_abort(w);
        else
            rc = bl_filewriter_commit(w);
    }
    for (size_t i = 0; i < n; i++)
        free(ranks[i]);
    free(ranks);
    free(h);
    return rc;
}
