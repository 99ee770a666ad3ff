/* parallel.c: a queue of article chunks and the workers that invert them
 * (see parallel.h).
 *
 * One mutex guards the queue, the spare chunks, the segment ids, the list
 * of written segments and the failure; each worker's analyzer and inverter
 * are its own, and the reading thread alone fills the chunk being built.
 * A worker that fails records its error and detail (details are
 * thread-local) and wakes everyone: the reading thread returns the error
 * from its next call, and the other workers stop at their next chunk.
 */
#include "parallel.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer.h"
#include "buf.h"
#include "error.h"
#include "inverter.h"
#include "segment.h"

#define NFIELDS 6
#define NONE UINT64_MAX

/* Articles in input order, their fields back to back. */
typedef struct {
    uint64_t index;  /* the chunk's place in the input */
    bl_buf bytes;
    size_t *lens;    /* NFIELDS per article */
    size_t narts, cap;
} chunk;

/* A written segment and the place of its first article in the input. */
typedef struct {
    bl_manifest_segment seg;
    uint64_t chunk, article;
} done_seg;

typedef struct {
    bl_par *pool;
    pthread_t thread;
    int started;
    bl_analyzer *analyzer;
    bl_inverter *inv;            /* the segment being filled, or NULL */
    uint64_t inv_chunk, inv_art; /* the place of its first article */
    /* The first chunk with articles the worker holds unwritten (NONE: it
     * holds none); read and set under the pool's lock. */
    uint64_t holding;
    uint64_t tokens, invalid_bytes;
    /* What the other workers may read of this one without the lock: the
     * memory of the segment it fills, and whether it is writing one. */
    _Atomic size_t held;
    _Atomic int writing;
} worker;

struct bl_par {
    bl_par_opts o;
    /* memory the segments being filled may take together (the reading
     * thread may lower it while the workers run: bl_par_set_budget) */
    _Atomic size_t fill_budget;
    pthread_mutex_t mu;
    pthread_cond_t have_work; /* a chunk is queued, or closing, or failed */
    pthread_cond_t have_room; /* the queue has room, or failed */
    chunk **queue;            /* ring of qcap */
    size_t qhead, qlen, qcap;
    chunk **spare;            /* emptied chunks, for reuse */
    size_t nspare;
    int closing, failed, joined;
    int err;
    char detail[1024];
    done_seg *done; /* in the order written, until bl_par_finish sorts them */
    size_t ndone, done_cap;
    chunk *filling; /* the reading thread's */
    uint64_t next_chunk;
    worker *workers;
    unsigned nworkers;
};

size_t bl_par_fill_budget(size_t memory_budget)
{
    return memory_budget / 5 * 4;
}

static void chunk_free(chunk *c)
{
    if (!c)
        return;
    bl_buf_release(&c->bytes);
    free(c->lens);
    free(c);
}

/* Records the first failure (with the calling thread's detail) and wakes
 * everyone. Called with the lock held. */
static void fail_locked(bl_par *p, int rc)
{
    if (!p->failed) {
        p->failed = 1;
        p->err = rc;
        const char *d = bl_error_detail();
        snprintf(p->detail, sizeof p->detail, "%s", d[0] ? d : bl_strerror(rc));
    }
    pthread_cond_broadcast(&p->have_work);
    pthread_cond_broadcast(&p->have_room);
}

static void fail(bl_par *p, int rc)
{
    pthread_mutex_lock(&p->mu);
    fail_locked(p, rc);
    pthread_mutex_unlock(&p->mu);
}

/* The recorded failure, as this thread's error. */
static int report(bl_par *p)
{
    return bl_error_set(p->err, "%s", p->detail);
}

/* Starts a segment for the worker, its first article at (ci, ai). */
static int start_segment(worker *w, uint64_t ci, uint64_t ai)
{
    bl_par *p = w->pool;
    uint64_t id = 0;
    int full;
    pthread_mutex_lock(&p->mu);
    full = *p->o.next_segment >= p->o.max_segment;
    if (!full)
        id = (*p->o.next_segment)++;
    pthread_mutex_unlock(&p->mu);
    if (full)
        return bl_error_set(BL_ETOOBIG, "%s: segment ids exhausted", p->o.dir);
    int rc = bl_inverter_new(&w->inv, p->o.dir, id, w->analyzer);
    if (!rc)
        bl_inverter_set_dense_ratio(w->inv, p->o.dense_ratio);
    if (!rc && (rc = bl_inverter_set_codec(w->inv, p->o.codec)) != 0) {
        bl_inverter_abort(w->inv);
        w->inv = NULL;
    }
    w->inv_chunk = ci;
    w->inv_art = ai;
    return rc;
}

/* Writes the worker's segment (an empty one is dropped) and lists it;
 * holding is what the worker holds unwritten after it (the chunk it is in
 * the middle of, or NONE). On failure the inverter stays with the worker,
 * for bl_par_abort. */
static int finish_segment(worker *w, uint64_t holding)
{
    bl_par *p = w->pool;
    bl_inverter *inv = w->inv;
    if (!inv)
        return 0;
    if (bl_inverter_doc_count(inv) == 0) {
        bl_inverter_abort(inv);
        w->inv = NULL;
        atomic_store_explicit(&w->held, 0, memory_order_relaxed);
        pthread_mutex_lock(&p->mu);
        w->holding = holding;
        pthread_mutex_unlock(&p->mu);
        return 0;
    }
    uint64_t tokens = bl_inverter_tokens(inv), invalid = bl_inverter_invalid_bytes(inv);
    bl_manifest_segment seg;
    atomic_store_explicit(&w->writing, 1, memory_order_relaxed);
    int rc = bl_inverter_finish(inv, &seg);
    atomic_store_explicit(&w->held, 0, memory_order_relaxed);
    atomic_store_explicit(&w->writing, 0, memory_order_relaxed);
    if (rc)
        return rc;
    w->inv = NULL;
    w->tokens += tokens;
    w->invalid_bytes += invalid;
    pthread_mutex_lock(&p->mu);
    if (p->ndone == p->done_cap) {
        size_t cap = p->done_cap ? 2 * p->done_cap : 16;
        done_seg *d = realloc(p->done, cap * sizeof *d);
        if (!d) {
            pthread_mutex_unlock(&p->mu);
            /* written but not listed: remove it here */
            bl_segment_remove_files(p->o.dir, seg.id);
            return bl_error_set(BL_ENOMEM, "indexing: no memory to list a segment");
        }
        p->done = d;
        p->done_cap = cap;
    }
    p->done[p->ndone++] = (done_seg){seg, w->inv_chunk, w->inv_art};
    w->holding = holding;
    pthread_mutex_unlock(&p->mu);
    return 0;
}

static bl_article article_at(const chunk *c, size_t i, size_t *at)
{
    const size_t *len = c->lens + NFIELDS * i;
    const char *b = (const char *)c->bytes.data + *at;
    bl_article a;
    a.id = b;                  a.id_len = len[0];     b += len[0];
    a.title = b;               a.title_len = len[1];  b += len[1];
    a.text = b;                a.text_len = len[2];   b += len[2];
    a.source = b;              a.source_len = len[3]; b += len[3];
    a.date = b;                a.date_len = len[4];   b += len[4];
    a.url = b;                 a.url_len = len[5];    b += len[5];
    *at = (size_t)(b - (const char *)c->bytes.data);
    return a;
}

/* Whether worker w, whose segment now holds mine bytes, writes it. The
 * workers share one budget, as Lucene's writers share their RAM buffer:
 * when the segments being filled pass it together, the largest is
 * written. Workers fill at about the same pace, so the segments written
 * settle near two thirds of the budget (with two workers) and their
 * writing is staggered: the memory of one write comes on top of the
 * budget, not N at once. While a worker writes, the others go on past
 * the budget, up to a quarter more, rather than all write small
 * segments at the same moment; past that, any worker writes. */
static int should_write(bl_par *p, worker *w, size_t mine)
{
    size_t budget = atomic_load_explicit(&p->fill_budget, memory_order_relaxed);
    if (mine > budget)
        return 1;
    size_t total = 0, largest_other = 0;
    int writing = 0;
    for (unsigned i = 0; i < p->nworkers; i++) {
        worker *v = &p->workers[i];
        size_t held = v == w ? mine : atomic_load_explicit(&v->held, memory_order_relaxed);
        total += held;
        if (atomic_load_explicit(&v->writing, memory_order_relaxed))
            writing = 1;
        else if (v != w && held > largest_other)
            largest_other = held;
    }
    if (total <= budget)
        return 0;
    /* past a quarter more, whoever checks writes: the largest may be
     * writing, or waiting for a chunk */
    if (total > budget + budget / 4)
        return 1;
    return !writing && mine >= largest_other;
}

/* Inverts a chunk's articles into the worker's segments. */
static int invert_chunk(worker *w, const chunk *c)
{
    bl_par *p = w->pool;
    size_t at = 0;
    int rc = 0;
    for (size_t i = 0; i < c->narts && !rc; i++) {
        bl_article a = article_at(c, i, &at);
        if (!w->inv && (rc = start_segment(w, c->index, i)) != 0)
            break;
        if ((rc = bl_inverter_add(w->inv, &a)) != 0)
            break;
        size_t mine = bl_inverter_memory(w->inv);
        atomic_store_explicit(&w->held, mine, memory_order_relaxed);
        if (should_write(p, w, mine))
            rc = finish_segment(w, i + 1 < c->narts ? c->index : NONE);
    }
    return rc;
}

/* Gives an emptied chunk back for reuse (or frees it). */
static void recycle(bl_par *p, chunk *c)
{
    bl_buf_clear(&c->bytes);
    c->narts = 0;
    pthread_mutex_lock(&p->mu);
    if (p->nspare < p->qcap + p->nworkers + 1)
        p->spare[p->nspare++] = c, c = NULL;
    pthread_mutex_unlock(&p->mu);
    chunk_free(c);
}

static void *work(void *arg)
{
    worker *w = arg;
    bl_par *p = w->pool;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        while (!p->qlen && !p->closing && !p->failed)
            pthread_cond_wait(&p->have_work, &p->mu);
        if (p->failed || !p->qlen) { /* failed, or closing with nothing left */
            int done = !p->failed;
            pthread_mutex_unlock(&p->mu);
            int rc = done ? finish_segment(w, NONE) : 0;
            if (rc)
                fail(p, rc);
            return NULL;
        }
        chunk *c = p->queue[p->qhead];
        p->qhead = (p->qhead + 1) % p->qcap;
        p->qlen--;
        if (w->holding == NONE)
            w->holding = c->index;
        pthread_cond_signal(&p->have_room);
        pthread_mutex_unlock(&p->mu);
        int rc = invert_chunk(w, c);
        recycle(p, c);
        if (rc) {
            fail(p, rc);
            return NULL;
        }
    }
}

/* Stops (if still running) and joins the workers. */
static void join_all(bl_par *p)
{
    if (p->joined)
        return;
    pthread_mutex_lock(&p->mu);
    if (!p->closing)
        p->failed = 1; /* stop: nothing more will come */
    pthread_cond_broadcast(&p->have_work);
    pthread_mutex_unlock(&p->mu);
    for (unsigned i = 0; i < p->nworkers; i++)
        if (p->workers[i].started)
            pthread_join(p->workers[i].thread, NULL);
    p->joined = 1;
}

static void free_pool(bl_par *p)
{
    for (unsigned i = 0; i < p->nworkers; i++)
        bl_analyzer_free(p->workers[i].analyzer);
    for (size_t i = 0; i < p->qlen; i++)
        chunk_free(p->queue[(p->qhead + i) % p->qcap]);
    for (size_t i = 0; i < p->nspare; i++)
        chunk_free(p->spare[i]);
    chunk_free(p->filling);
    free(p->queue);
    free(p->spare);
    free(p->done);
    free(p->workers);
    pthread_cond_destroy(&p->have_work);
    pthread_cond_destroy(&p->have_room);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

void bl_par_abort(bl_par *p, int remove_files)
{
    if (!p)
        return;
    join_all(p);
    for (unsigned i = 0; i < p->nworkers; i++) {
        worker *w = &p->workers[i];
        if (remove_files)
            bl_inverter_abort(w->inv);
        else
            bl_inverter_forget(w->inv);
        w->inv = NULL;
    }
    for (size_t i = 0; remove_files && i < p->ndone; i++)
        bl_segment_remove_files(p->o.dir, p->done[i].seg.id);
    free_pool(p);
}

int bl_par_new(bl_par **out, const bl_par_opts *o)
{
    *out = NULL;
    if (o->jobs < 1 || o->jobs > BL_PAR_MAX_JOBS)
        return bl_error_set(BL_EINVAL, "jobs must be 1 to %d", BL_PAR_MAX_JOBS);
    bl_par *p = calloc(1, sizeof *p);
    if (!p)
        return BL_ENOMEM;
    p->o = *o;
    atomic_init(&p->fill_budget, bl_par_fill_budget(o->memory_budget));
    p->qcap = 2 * (size_t)o->jobs;
    p->queue = calloc(p->qcap, sizeof *p->queue);
    p->spare = calloc(p->qcap + o->jobs + 1, sizeof *p->spare);
    p->workers = calloc(o->jobs, sizeof *p->workers);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->have_work, NULL);
    pthread_cond_init(&p->have_room, NULL);
    p->joined = 1; /* until a thread starts */
    if (!p->queue || !p->spare || !p->workers) {
        free_pool(p);
        return BL_ENOMEM;
    }
    p->nworkers = o->jobs;
    int rc = 0;
    for (unsigned i = 0; i < o->jobs && !rc; i++) {
        p->workers[i].pool = p;
        p->workers[i].holding = NONE;
        atomic_init(&p->workers[i].held, 0);
        atomic_init(&p->workers[i].writing, 0);
        rc = bl_analyzer_new(&p->workers[i].analyzer, o->lang);
    }
    for (unsigned i = 0; i < o->jobs && !rc; i++) {
        if (pthread_create(&p->workers[i].thread, NULL, work, &p->workers[i]) != 0) {
            rc = bl_error_set(BL_EIO, "indexing: could not start worker thread %u of %u", i + 1,
                              o->jobs);
            break;
        }
        p->workers[i].started = 1;
        p->joined = 0;
    }
    if (rc) {
        bl_par_abort(p, 1);
        return rc;
    }
    *out = p;
    return 0;
}

/* Queues the chunk being filled, waiting for room. */
static int dispatch(bl_par *p)
{
    chunk *c = p->filling;
    if (!c || c->narts == 0)
        return 0;
    pthread_mutex_lock(&p->mu);
    while (p->qlen == p->qcap && !p->failed)
        pthread_cond_wait(&p->have_room, &p->mu);
    if (p->failed) {
        pthread_mutex_unlock(&p->mu);
        return report(p);
    }
    p->queue[(p->qhead + p->qlen) % p->qcap] = c;
    p->qlen++;
    p->filling = NULL;
    pthread_cond_signal(&p->have_work);
    pthread_mutex_unlock(&p->mu);
    return 0;
}

/* A chunk to fill: a spare one, or a new one. */
static int new_chunk(bl_par *p)
{
    chunk *c = NULL;
    pthread_mutex_lock(&p->mu);
    if (p->nspare)
        c = p->spare[--p->nspare];
    pthread_mutex_unlock(&p->mu);
    if (!c) {
        if (!(c = calloc(1, sizeof *c)))
            return BL_ENOMEM;
        bl_buf_init(&c->bytes);
    }
    c->index = p->next_chunk++;
    p->filling = c;
    return 0;
}

int bl_par_add(bl_par *p, const bl_article *a)
{
    int rc;
    if (!p->filling && (rc = new_chunk(p)) != 0)
        return rc;
    chunk *c = p->filling;
    if (c->narts == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 256;
        size_t *lens = realloc(c->lens, cap * NFIELDS * sizeof *lens);
        if (!lens)
            return BL_ENOMEM;
        c->lens = lens;
        c->cap = cap;
    }
    const char *f[NFIELDS] = {a->id, a->title, a->text, a->source, a->date, a->url};
    size_t n[NFIELDS] = {a->id_len, a->title_len, a->text_len,
                         a->source_len, a->date_len, a->url_len};
    size_t total = 0;
    for (int i = 0; i < NFIELDS; i++)
        total += n[i];
    if ((rc = bl_buf_reserve(&c->bytes, total)) != 0)
        return rc;
    for (int i = 0; i < NFIELDS; i++) {
        if (n[i])
            bl_buf_append(&c->bytes, f[i], n[i]); /* reserved: cannot fail */
        c->lens[NFIELDS * c->narts + (size_t)i] = n[i];
    }
    c->narts++;
    return c->bytes.len >= BL_PAR_CHUNK_BYTES ? dispatch(p) : 0;
}

void bl_par_set_budget(bl_par *p, size_t memory_budget)
{
    atomic_store_explicit(&p->fill_budget, bl_par_fill_budget(memory_budget), memory_order_relaxed);
}

uint64_t bl_par_next_tag(const bl_par *p)
{
    return p->filling ? p->filling->index : p->next_chunk;
}

int bl_par_written(bl_par *p, size_t from, uint64_t *below, bl_manifest_segment **segs,
                   size_t *n)
{
    *segs = NULL;
    *n = 0;
    pthread_mutex_lock(&p->mu);
    /* chunks are handed out in order: the oldest one anybody still holds
     * unwritten is a worker's, or the queue's head, or the one being filled */
    uint64_t low = bl_par_next_tag(p);
    if (p->qlen && p->queue[p->qhead]->index < low)
        low = p->queue[p->qhead]->index;
    for (unsigned i = 0; i < p->nworkers; i++)
        if (p->workers[i].holding < low)
            low = p->workers[i].holding;
    size_t count = p->ndone > from ? p->ndone - from : 0;
    bl_manifest_segment *out = count ? malloc(count * sizeof *out) : NULL;
    for (size_t i = 0; out && i < count; i++)
        out[i] = p->done[from + i].seg;
    pthread_mutex_unlock(&p->mu);
    if (count && !out)
        return bl_error_set(BL_ENOMEM, "indexing: out of memory");
    *below = low;
    *segs = out;
    *n = count;
    return 0;
}

static int cmp_done(const void *x, const void *y)
{
    const done_seg *a = x, *b = y;
    if (a->chunk != b->chunk)
        return a->chunk < b->chunk ? -1 : 1;
    return a->article < b->article ? -1 : a->article > b->article;
}

int bl_par_finish(bl_par *p, bl_manifest_segment **segs, size_t *nsegs, uint64_t *tokens,
                  uint64_t *invalid_bytes)
{
    *segs = NULL;
    *nsegs = 0;
    int rc = dispatch(p);
    if (rc)
        return rc;
    pthread_mutex_lock(&p->mu);
    p->closing = 1;
    pthread_cond_broadcast(&p->have_work);
    pthread_mutex_unlock(&p->mu);
    join_all(p);
    if (p->failed)
        return report(p);
    bl_manifest_segment *out = malloc((p->ndone ? p->ndone : 1) * sizeof *out);
    if (!out)
        return BL_ENOMEM;
    if (p->ndone > 1)
        qsort(p->done, p->ndone, sizeof *p->done, cmp_done);
    for (size_t i = 0; i < p->ndone; i++)
        out[i] = p->done[i].seg;
    for (unsigned i = 0; i < p->nworkers; i++) {
        *tokens += p->workers[i].tokens;
        *invalid_bytes += p->workers[i].invalid_bytes;
    }
    *segs = out;
    *nsegs = p->ndone;
    free_pool(p);
    return 0;
}
