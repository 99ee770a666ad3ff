/* merge_run.c: the merges the policy asks for, several at once
 * (merge_run.h). The calling thread picks merges, commits them and removes
 * files; the threads only build segments (bl_merge_segments), each from a
 * copy of its inputs' manifest entries, so the manifest is never shared.
 */
#include "merge_run.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "merge.h"
#include "segment.h"

typedef struct merge_run merge_run;

/* One merge being built: a slot of the run. */
typedef struct {
    merge_run *run;
    pthread_t thread;
    int used;             /* the slot holds a merge started and not yet committed */
    bl_manifest inputs;   /* the merged segments' entries alone (owned) */
    uint64_t out_id;
    bl_manifest_segment out;
    int finished;         /* under run->mu */
    int rc;
    char detail[512];
} merge_slot;

struct merge_run {
    const char *dir;
    size_t memory;        /* each merge's */
    pthread_mutex_t mu;
    pthread_cond_t ended;
    merge_slot *slots;
    unsigned nslots;
    int rc;               /* the first error */
    char detail[512];
};

static void *build(void *arg)
{
    merge_slot *s = arg;
    int rc = bl_merge_segments(s->run->dir, &s->inputs, 0, s->inputs.nsegments, s->out_id,
                               s->run->memory, &s->out);
    if (rc)
        snprintf(s->detail, sizeof s->detail, "%s",
                 bl_error_detail()[0] ? bl_error_detail() : bl_strerror(rc));
    pthread_mutex_lock(&s->run->mu);
    s->rc = rc;
    s->finished = 1;
    pthread_cond_signal(&s->run->ended);
    pthread_mutex_unlock(&s->run->mu);
    return NULL;
}

/* Keeps the first error of the run (rc, with the current detail). */
static void note_error(merge_run *r, int rc, const char *detail)
{
    if (r->rc || !rc)
        return;
    r->rc = rc;
    snprintf(r->detail, sizeof r->detail, "%s",
             detail ? detail : bl_error_detail()[0] ? bl_error_detail() : bl_strerror(rc));
}

/* The ids of the segments the running merges write, into keep (nslots
 * long); returns how many. */
static size_t building_ids(const merge_run *r, uint64_t *keep)
{
    size_t n = 0;
    for (unsigned i = 0; i < r->nslots; i++)
        if (r->slots[i].used)
            keep[n++] = r->slots[i].out_id;
    return n;
}

/* Marks in busy (m->nsegments long) the segments the running merges read. */
static void mark_busy(const merge_run *r, const bl_manifest *m, unsigned char *busy)
{
    memset(busy, 0, m->nsegments);
    for (unsigned i = 0; i < r->nslots; i++) {
        const merge_slot *s = &r->slots[i];
        if (!s->used)
            continue;
        for (uint32_t k = 0; k < m->nsegments; k++)
            for (uint32_t j = 0; j < s->inputs.nsegments; j++)
                if (m->segments[k].id == s->inputs.segments[j].id)
                    busy[k] = 1;
    }
}

/* Commits the merge built in slot s (finished, joined) in *m: its inputs
 * are still side by side there, since only this thread changes m and no
 * other merge takes them. */
static void install(merge_run *r, int lock_fd, bl_manifest *m, merge_slot *s, uint64_t *keep,
                    unsigned *done)
{
    const bl_manifest *in = &s->inputs;
    uint32_t first = 0;
    while (first < m->nsegments && m->segments[first].id != in->segments[0].id)
        first++;
    int side_by_side = first + in->nsegments <= m->nsegments;
    for (uint32_t j = 0; side_by_side && j < in->nsegments; j++)
        side_by_side = m->segments[first + j].id == in->segments[j].id;
    if (!side_by_side) {
        bl_segment_remove_files(r->dir, s->out_id);
        note_error(r, BL_EINVAL, "merge: its segments moved while it ran");
        return;
    }
    int renamed = 0;
    int rc = bl_merge_install(r->dir, lock_fd, m, first, in->nsegments, &s->out, keep,
                              building_ids(r, keep), &renamed);
    *done += (unsigned)renamed;
    note_error(r, rc, NULL);
}

/* Starts the next merge the policy asks for in a free slot (returns 1),
 * or commits at once one whose documents are all deleted (returns 2).
 * Returns 0 when no merge is due or on error (r->rc set). */
static int start_next(merge_run *r, int lock_fd, bl_manifest *m, unsigned factor,
                      uint64_t *next_id, unsigned char *busy, uint64_t *keep, unsigned *done)
{
    size_t first, n;
    mark_busy(r, m, busy);
    if (!bl_merge_pick_free(m, factor, busy, &first, &n))
        return 0;
    uint64_t live = 0;
    for (size_t i = 0; i < n; i++)
        live += m->segments[first + i].doc_count - m->segments[first + i].del_count;
    if (!live) {
        int renamed = 0;
        int rc = bl_merge_install(r->dir, lock_fd, m, first, n, NULL, keep,
                                  building_ids(r, keep), &renamed);
        *done += (unsigned)renamed;
        note_error(r, rc, NULL);
        return rc ? 0 : 2;
    }
    if (*next_id + 1 >= BL_MAX_SEGMENT_ID) {
        note_error(r, bl_error_set(BL_ETOOBIG, "%s: segment ids exhausted", r->dir), NULL);
        return 0;
    }
    merge_slot *s = NULL;
    for (unsigned i = 0; i < r->nslots && !s; i++)
        if (!r->slots[i].used)
            s = &r->slots[i];
    bl_manifest_segment *segs = malloc(n * sizeof *segs);
    if (!s || !segs) {
        free(segs);
        note_error(r, BL_ENOMEM, NULL);
        return 0;
    }
    memcpy(segs, m->segments + first, n * sizeof *segs);
    *s = (merge_slot){.run = r, .used = 1, .inputs = *m, .out_id = (*next_id)++};
    s->inputs.segments = segs;
    s->inputs.nsegments = (uint32_t)n;
    if (pthread_create(&s->thread, NULL, build, s) != 0) {
        free(segs);
        s->used = 0;
        note_error(r, bl_error_set(BL_ENOMEM, "merge: no thread to merge on"), NULL);
        return 0;
    }
    return 1;
}

int bl_merge_run_due(const char *dir, int lock_fd, bl_manifest *m, unsigned factor,
                     unsigned jobs, size_t memory, bl_merge_progress_fn progress, void *ctx,
                     unsigned *done)
{
    *done = 0;
    jobs = jobs ? jobs : 1;
    merge_run r = {.dir = dir, .memory = memory / jobs, .nslots = jobs};
    r.slots = calloc(jobs, sizeof *r.slots);
    uint64_t *keep = calloc(jobs, sizeof *keep);
    if (!r.slots || !keep) {
        free(r.slots);
        free(keep);
        return BL_ENOMEM;
    }
    pthread_mutex_init(&r.mu, NULL);
    pthread_cond_init(&r.ended, NULL);
    uint64_t next_id = m->next_segment;
    unsigned running = 0;
    for (;;) {
        while (!r.rc && running < jobs) {
            /* the busy marks need room for every segment, which merges
             * only ever reduce */
            unsigned char *busy = malloc(m->nsegments ? m->nsegments : 1);
            if (!busy) {
                note_error(&r, BL_ENOMEM, NULL);
                break;
            }
            int started = start_next(&r, lock_fd, m, factor, &next_id, busy, keep, done);
            free(busy);
            if (!started)
                break;
            if (started == 1) {
                running++;
                if (progress)
                    progress(ctx, running, m->nsegments);
            }
        }
        if (!running)
            break;
        pthread_mutex_lock(&r.mu);
        merge_slot *s = NULL;
        while (!s) {
            for (unsigned i = 0; i < r.nslots && !s; i++)
                if (r.slots[i].used && r.slots[i].finished)
                    s = &r.slots[i];
            if (!s)
                pthread_cond_wait(&r.ended, &r.mu);
        }
        pthread_mutex_unlock(&r.mu);
        pthread_join(s->thread, NULL);
        running--;
        s->used = 0; /* its id is no longer one to keep once committed or failed */
        /* a merge built is committed even after another one failed */
        if (s->rc)
            note_error(&r, s->rc, s->detail);
        else
            install(&r, lock_fd, m, s, keep, done);
        free(s->inputs.segments);
        s->inputs.segments = NULL;
    }
    pthread_cond_destroy(&r.ended);
    pthread_mutex_destroy(&r.mu);
    free(r.slots);
    free(keep);
    if (r.rc)
        bl_error_set(r.rc, "%s", r.detail);
    return r.rc;
}
