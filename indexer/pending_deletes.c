/* pending_deletes.c: deletions gathered for the next commit. */
#include "pending_deletes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deletes.h"
#include "error.h"
#include "segment.h"

/* One segment's bitmap: its committed deletions and the new marks. */
typedef struct {
    uint64_t *words;   /* NULL until the segment gets a mark */
    uint32_t marked;   /* new marks */
    uint64_t tokens;   /* their lengths */
    uint64_t written_gen; /* generation of the file written, 0 if none */
} seg_marks;

struct bl_pending_deletes {
    bl_index *idx;
    seg_marks *segs;   /* one per segment of idx */
    uint64_t count;
};

int bl_pending_new(bl_pending_deletes **out, bl_index *idx)
{
    bl_pending_deletes *p = calloc(1, sizeof *p);
    size_t n = bl_index_segment_count(idx);
    if (!p || !(p->segs = calloc(n ? n : 1, sizeof *p->segs))) {
        free(p);
        return BL_ENOMEM;
    }
    p->idx = idx;
    *out = p;
    return 0;
}

int bl_pending_delete_id(bl_pending_deletes *p, const char *id, size_t len)
{
    for (size_t i = 0; i < bl_index_segment_count(p->idx); i++) {
        bl_segment *seg = bl_index_segment(p->idx, i);
        uint32_t doc;
        int rc = bl_segment_find_id(seg, id, len, &doc);
        if (rc == BL_ENOTFOUND)
            continue;
        if (rc)
            return rc;
        seg_marks *sm = &p->segs[i];
        uint32_t count = bl_segment_info(seg)->doc_count;
        if (!sm->words) {
            size_t nw = bl_deletes_words(count);
            if (!(sm->words = calloc(nw ? nw : 1, sizeof *sm->words)))
                return BL_ENOMEM;
            const uint64_t *old = bl_segment_deleted(seg);
            if (old)
                memcpy(sm->words, old, nw * sizeof *sm->words);
        }
        if (bl_deleted(sm->words, doc))
            continue; /* marked already: its id is gone */
        sm->words[doc >> 6] |= (uint64_t)1 << (doc & 63);
        sm->marked++;
        sm->tokens += bl_segment_doc_len(seg, doc);
        p->count++;
        return bl_segment_error(seg);
    }
    return BL_ENOTFOUND;
}

uint64_t bl_pending_count(const bl_pending_deletes *p) { return p->count; }

int bl_pending_write(bl_pending_deletes *p, const char *dir, bl_manifest *m, uint64_t gen)
{
    for (size_t i = 0; i < bl_index_segment_count(p->idx); i++) {
        seg_marks *sm = &p->segs[i];
        if (!sm->marked)
            continue;
        const bl_manifest_segment *info = bl_segment_info(bl_index_segment(p->idx, i));
        bl_manifest_segment *e = NULL;
        for (uint32_t k = 0; k < m->nsegments && !e; k++)
            if (m->segments[k].id == info->id)
                e = &m->segments[k];
        if (!e)
            continue;
        char path[4096];
        int rc = bl_segment_del_path(path, sizeof path, dir, info->id, gen);
        if (rc)
            return rc;
        sm->written_gen = gen;
        if ((rc = bl_deletes_write(path, sm->words, info->doc_count, &e->del_file.size,
                                   &e->del_file.checksum)))
            return rc;
        e->del_gen = gen;
        e->del_count = info->del_count + sm->marked;
        e->del_tokens = info->del_tokens + sm->tokens;
    }
    return 0;
}

void bl_pending_discard(bl_pending_deletes *p, const char *dir)
{
    for (size_t i = 0; p && i < bl_index_segment_count(p->idx); i++) {
        char path[4096];
        if (p->segs[i].written_gen &&
            bl_segment_del_path(path, sizeof path, dir,
                                bl_segment_info(bl_index_segment(p->idx, i))->id,
                                p->segs[i].written_gen) == 0)
            remove(path);
    }
}

void bl_pending_free(bl_pending_deletes *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < bl_index_segment_count(p->idx); i++)
        free(p->segs[i].words);
    free(p->segs);
    free(p);
}
