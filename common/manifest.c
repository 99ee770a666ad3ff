/* manifest.c: reading and atomically committing the segment list. */
#include "manifest.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "error.h"
#include "filefmt.h"
#include "postings.h"
#include "stemmer.h"

#define MAX_SEGMENTS 1000000u

int bl_segment_path(char *buf, size_t cap, const char *dir, uint64_t id,
                    const char *ext)
{
    int n = snprintf(buf, cap, "%s/seg_%08llu.%s", dir, (unsigned long long)id, ext);
    if (n < 0 || (size_t)n >= cap)
        return bl_error_set(BL_ETOOBIG, "%s: index path too long", dir);
    return 0;
}

int bl_segment_del_path(char *buf, size_t cap, const char *dir, uint64_t id, uint64_t gen)
{
    int n = snprintf(buf, cap, "%s/seg_%08llu.del.%llu", dir, (unsigned long long)id,
                     (unsigned long long)gen);
    if (n < 0 || (size_t)n >= cap)
        return bl_error_set(BL_ETOOBIG, "%s: index path too long", dir);
    return 0;
}

static int manifest_path(char *buf, size_t cap, const char *dir, const char *name)
{
    int n = snprintf(buf, cap, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= cap)
        return bl_error_set(BL_ETOOBIG, "%s: index path too long", dir);
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Two entries for one segment would count its documents twice. */
static int check_unique_ids(const char *path, const bl_manifest *m)
{
    if (m->nsegments < 2)
        return 0;
    uint64_t *ids = malloc(m->nsegments * sizeof *ids);
    if (!ids)
        return BL_ENOMEM;
    for (uint32_t i = 0; i < m->nsegments; i++)
        ids[i] = m->segments[i].id;
    qsort(ids, m->nsegments, sizeof *ids, cmp_u64);
    int rc = 0;
    for (uint32_t i = 1; i < m->nsegments && !rc; i++)
        if (ids[i] == ids[i - 1])
            rc = bl_error_set(BL_ECORRUPT, "%s: segment %llu is listed twice", path,
                              (unsigned long long)ids[i]);
    free(ids);
    return rc;
}

static int parse(const bl_mapped *m, bl_manifest *out)
{
    bl_reader r;
    bl_reader_init(&r, m->data, m->len);
    uint8_t lang_len;
    const uint8_t *lang;
    if (bl_reader_u64le(&r, &out->generation) || bl_reader_u64le(&r, &out->next_segment) ||
        bl_reader_u8(&r, &lang_len) || lang_len >= sizeof out->lang ||
        bl_reader_bytes(&r, lang_len, &lang) ||
        bl_reader_u32le(&r, &out->analyzer_version) || bl_reader_u32le(&r, &out->dense_ratio) ||
        bl_reader_u32le(&r, &out->nsegments) ||
        out->nsegments > MAX_SEGMENTS || out->next_segment > BL_MAX_SEGMENT_ID)
        return bl_error_set(BL_ECORRUPT, "%s: offset %zu: bad manifest header", m->path,
                            bl_reader_offset(&r));
    if (out->dense_ratio > BL_DENSE_RATIO_MAX)
        return bl_error_set(BL_ECORRUPT, "%s: offset %zu: bad manifest header (dense ratio "
                            "%u, above %d)", m->path, (size_t)21 + lang_len, out->dense_ratio,
                            BL_DENSE_RATIO_MAX);
    memcpy(out->lang, lang, lang_len);
    out->lang[lang_len] = 0;
    /* A language this build cannot stem means the manifest is damaged (or
     * from a build with other stemmers); either way, say where. */
    bl_stemmer *st;
    if (memchr(lang, 0, lang_len) || bl_stemmer_new(&st, out->lang) != 0)
        return bl_error_set(BL_ECORRUPT, "%s: offset 17: unknown analyzer language '%.*s'",
                            m->path, (int)lang_len, (const char *)lang);
    bl_stemmer_free(st);
    out->segments = calloc(out->nsegments ? out->nsegments : 1, sizeof *out->segments);
    if (!out->segments)
        return BL_ENOMEM;
    for (uint32_t i = 0; i < out->nsegments; i++) {
        bl_manifest_segment *s = &out->segments[i];
        uint8_t nfiles;
        if (bl_reader_u64le(&r, &s->id) || bl_reader_u32le(&r, &s->doc_count) ||
            bl_reader_u64le(&r, &s->total_tokens) || bl_reader_u32le(&r, &s->codec) ||
            bl_reader_u32le(&r, &s->dense_ratio) || bl_reader_u8(&r, &nfiles))
            return bl_error_set(BL_ECORRUPT, "%s: offset %zu: truncated segment entry %u",
                                m->path, bl_reader_offset(&r), i);
        if (s->dense_ratio > BL_DENSE_RATIO_MAX)
            return bl_error_set(BL_ECORRUPT, "%s: offset %zu: segment entry %u has dense ratio "
                                "%u, above %d", m->path, bl_reader_offset(&r) - 5, i,
                                s->dense_ratio, BL_DENSE_RATIO_MAX);
        if (nfiles != BL_SEGMENT_FILES)
            return bl_error_set(BL_ECORRUPT, "%s: offset %zu: segment entry %u lists %u files, "
                                "not %d", m->path, bl_reader_offset(&r) - 1, i, nfiles,
                                BL_SEGMENT_FILES);
        for (int f = 0; f < BL_SEGMENT_FILES; f++)
            if (bl_reader_u64le(&r, &s->files[f].size) ||
                bl_reader_u64le(&r, &s->files[f].checksum))
                return bl_error_set(BL_ECORRUPT, "%s: offset %zu: truncated segment entry %u",
                                    m->path, bl_reader_offset(&r), i);
        if (s->id >= out->next_segment)
            return bl_error_set(BL_ECORRUPT, "%s: segment id %llu not below next id %llu",
                                m->path, (unsigned long long)s->id,
                                (unsigned long long)out->next_segment);
        size_t at = bl_reader_offset(&r);
        if (bl_reader_u64le(&r, &s->del_gen) ||
            (s->del_gen && (bl_reader_u32le(&r, &s->del_count) ||
                            bl_reader_u64le(&r, &s->del_tokens) ||
                            bl_reader_u64le(&r, &s->del_file.size) ||
                            bl_reader_u64le(&r, &s->del_file.checksum))))
            return bl_error_set(BL_ECORRUPT, "%s: offset %zu: truncated segment entry %u",
                                m->path, bl_reader_offset(&r), i);
        if (s->del_gen > out->generation || s->del_count > s->doc_count ||
            s->del_tokens > s->total_tokens || (s->del_gen && s->del_count == 0))
            return bl_error_set(BL_ECORRUPT, "%s: offset %zu: segment %llu: deletions of "
                                "generation %llu (%u documents, %llu tokens) do not fit it",
                                m->path, at, (unsigned long long)s->id,
                                (unsigned long long)s->del_gen, s->del_count,
                                (unsigned long long)s->del_tokens);
    }
    if (bl_reader_left(&r))
        return bl_error_set(BL_ECORRUPT, "%s: offset %zu: trailing bytes", m->path,
                            bl_reader_offset(&r));
    return check_unique_ids(m->path, out);
}

int bl_manifest_read(const char *dir, bl_manifest *out)
{
    memset(out, 0, sizeof *out);
    char path[4096];
    int rc = manifest_path(path, sizeof path, dir, BL_MANIFEST_NAME);
    if (rc)
        return rc;
    struct stat st;
    if (lstat(path, &st) != 0) { /* lstat: a dangling symlink is no missing manifest */
        if (errno == ENOENT)
            return bl_error_set(BL_ENOTFOUND, "%s: no index here (no %s file)", dir,
                                BL_MANIFEST_NAME);
        return bl_error_set(BL_EIO, "%s: %s", path, strerror(errno));
    }
    bl_mapped m;
    if ((rc = bl_file_map(&m, path, BL_KIND_MANIFEST, 1)) != 0)
        return rc;
    rc = parse(&m, out);
    bl_file_unmap(&m);
    if (rc)
        bl_manifest_release(out);
    return rc;
}

int bl_manifest_add_segment(bl_manifest *m, const bl_manifest_segment *s)
{
    bl_manifest_segment *n = realloc(m->segments, (m->nsegments + 1) * sizeof *n);
    if (!n)
        return BL_ENOMEM;
    n[m->nsegments++] = *s;
    m->segments = n;
    return 0;
}

static int serialize(const bl_manifest *m, bl_buf *b)
{
    size_t lang_len = strlen(m->lang);
    int rc = bl_buf_put_u64le(b, m->generation) | bl_buf_put_u64le(b, m->next_segment) |
             bl_buf_put_u8(b, (uint8_t)lang_len) | bl_buf_append(b, m->lang, lang_len) |
             bl_buf_put_u32le(b, m->analyzer_version) | bl_buf_put_u32le(b, m->dense_ratio) |
             bl_buf_put_u32le(b, m->nsegments);
    for (uint32_t i = 0; i < m->nsegments; i++) {
        const bl_manifest_segment *s = &m->segments[i];
        rc |= bl_buf_put_u64le(b, s->id) | bl_buf_put_u32le(b, s->doc_count) |
              bl_buf_put_u64le(b, s->total_tokens) | bl_buf_put_u32le(b, s->codec) |
              bl_buf_put_u32le(b, s->dense_ratio) | bl_buf_put_u8(b, BL_SEGMENT_FILES);
        for (int f = 0; f < BL_SEGMENT_FILES; f++)
            rc |= bl_buf_put_u64le(b, s->files[f].size) | bl_buf_put_u64le(b, s->files[f].checksum);
        rc |= bl_buf_put_u64le(b, s->del_gen);
        if (s->del_gen)
            rc |= bl_buf_put_u32le(b, s->del_count) | bl_buf_put_u64le(b, s->del_tokens) |
                  bl_buf_put_u64le(b, s->del_file.size) |
                  bl_buf_put_u64le(b, s->del_file.checksum);
    }
    return rc ? BL_ENOMEM : 0;
}

int bl_manifest_commit(const char *dir, const bl_manifest *m, int *renamed)
{
    *renamed = 0;
    char tmp[4096], final[4096], name[64];
    snprintf(name, sizeof name, "%s.tmp.%ld", BL_MANIFEST_NAME, (long)getpid());
    int rc = manifest_path(tmp, sizeof tmp, dir, name);
    if (!rc)
        rc = manifest_path(final, sizeof final, dir, BL_MANIFEST_NAME);
    if (rc)
        return rc;
    bl_buf b;
    bl_buf_init(&b);
    if ((rc = serialize(m, &b)) != 0)
        goto fail;
    unlink(tmp); /* a leftover of a crashed run with our pid */
    bl_filewriter *w;
    if ((rc = bl_filewriter_open(&w, tmp, BL_KIND_MANIFEST)) != 0)
        goto fail;
    if ((rc = bl_filewriter_write(w, b.data, b.len)) != 0) {
        bl_filewriter_abort(w);
        goto fail;
    }
    if ((rc = bl_filewriter_commit(w)) != 0)
        goto fail;
    /* Make the new segment files' and the temporary manifest's directory
     * entries durable before the rename can make anything refer to them. */
    if ((rc = bl_fsync_dir(dir)) != 0) {
        unlink(tmp);
        goto fail;
    }
    if (rename(tmp, final) != 0) {
        rc = bl_error_set(BL_EIO, "%s: cannot rename to %s: %s", tmp, final, strerror(errno));
        unlink(tmp);
        goto fail;
    }
    *renamed = 1;
    rc = bl_fsync_dir(dir);
fail:
    bl_buf_release(&b);
    return rc;
}

void bl_manifest_release(bl_manifest *m)
{
    free(m->segments);
    memset(m, 0, sizeof *m);
}

/* One attempt at the lock. Returns 1 (and *fd) when it holds a lock on the
 * file that is dir/LOCK right now; 0 when the file it locked was unlinked or
 * replaced meanwhile (a first run's cleanup removes LOCK while holding it,
 * and a lock on an unlinked inode would guard nothing), so the caller tries
 * again; or a negative error. */
static int lock_once(const char *path, const char *dir, int *fd)
{
    /* O_NOFOLLOW: a symlink named LOCK must not make us create or lock its
     * target; O_NONBLOCK: a FIFO named LOCK must not hang the open. */
    int f = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0644);
    if (f < 0) {
        if (errno == ENOENT) /* (or it went while we were at it) */
            return bl_error_set(BL_ENOTFOUND, "%s: no index here (no such directory)", dir);
        if (errno == ELOOP)
            return bl_error_set(BL_EIO, "%s: is a symbolic link; refusing to follow it", path);
        return bl_error_set(BL_EIO, "%s: cannot open: %s", path, strerror(errno));
    }
    struct stat held, named;
    if (fstat(f, &held) != 0 || !S_ISREG(held.st_mode)) {
        close(f);
        return bl_error_set(BL_EIO, "%s: not a regular file", path);
    }
    if (flock(f, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        close(f);
        if (e == EWOULDBLOCK)
            return bl_error_set(BL_ELOCKED, "%s: another byline process is writing this index",
                                dir);
        return bl_error_set(BL_EIO, "%s: cannot lock: %s", path, strerror(e));
    }
    if (lstat(path, &named) != 0 || named.st_dev != held.st_dev || named.st_ino != held.st_ino) {
        close(f);
        return 0;
    }
    *fd = f;
    return 1;
}

int bl_manifest_lock(const char *dir, int *fd)
{
    char path[4096];
    int rc = manifest_path(path, sizeof path, dir, "LOCK");
    if (rc)
        return rc;
    /* Each retry means another writer removed LOCK between our open and our
     * flock; it cannot keep doing so for long, but never loop forever. */
    for (int attempt = 0; attempt < 1000; attempt++)
        if ((rc = lock_once(path, dir, fd)) != 0)
            return rc < 0 ? rc : 0;
    return bl_error_set(BL_ELOCKED, "%s: the lock file keeps being replaced", dir);
}

void bl_manifest_unlock(int fd)
{
    if (fd >= 0)
        close(fd);
}

void bl_manifest_unlock_remove(const char *dir, int fd)
{
    char path[4096];
    if (fd >= 0 && manifest_path(path, sizeof path, dir, "LOCK") == 0)
        unlink(path);
    bl_manifest_unlock(fd);
}

int bl_manifest_dir_has_segments(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    struct dirent *e;
    int found = 0;
    while (!found && (e = readdir(d)) != NULL)
        found = strncmp(e->d_name, "seg_", 4) == 0;
    closedir(d);
    return found;
}

int bl_manifest_lock_holds(const char *dir, int fd)
{
    char path[4096];
    struct stat held, named;
    return fd >= 0 && manifest_path(path, sizeof path, dir, "LOCK") == 0 && fstat(fd, &held) == 0 &&
           lstat(path, &named) == 0 && held.st_dev == named.st_dev && held.st_ino == named.st_ino;
}

int bl_manifest_commit_held(const char *dir, int fd, const bl_manifest *m, int *renamed)
{
    *renamed = 0;
    if (!bl_manifest_lock_holds(dir, fd))
        return bl_error_set(BL_EIO, "%s: the index directory was moved or replaced meanwhile; "
                            "nothing was committed", dir);
    return bl_manifest_commit(dir, m, renamed);
}

static int listed(const bl_manifest *m, uint64_t id)
{
    for (uint32_t i = 0; i < m->nsegments; i++)
        if (m->segments[i].id == id)
            return 1;
    return 0;
}

/* Whether seg_ID.del.GEN is segment id's current deletions file. */
static int listed_del(const bl_manifest *m, uint64_t id, uint64_t gen)
{
    for (uint32_t i = 0; i < m->nsegments; i++)
        if (m->segments[i].id == id)
            return m->segments[i].del_gen == gen;
    return 0;
}

void bl_manifest_remove_orphans(const char *dir, const bl_manifest *m)
{
    bl_manifest_remove_orphans_but(dir, m, NULL, 0);
}

static int kept(const uint64_t *keep, size_t nkeep, unsigned long long id)
{
    for (size_t i = 0; i < nkeep; i++)
        if (keep[i] == id)
            return 1;
    return 0;
}

void bl_manifest_remove_orphans_but(const char *dir, const bl_manifest *m,
                                    const uint64_t *keep, size_t nkeep)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    char path[4096];
    while ((e = readdir(d)) != NULL) {
        unsigned long long id, gen;
        char ext[8];
        int orphan = (sscanf(e->d_name, "seg_%llu.%7s", &id, ext) == 2 && !listed(m, id)) ||
                     (sscanf(e->d_name, "seg_%llu.del.%llu", &id, &gen) == 2 &&
                      !listed_del(m, id, gen)) ||
                     strncmp(e->d_name, BL_MANIFEST_NAME ".tmp.", sizeof BL_MANIFEST_NAME + 4) == 0;
        if (orphan && strncmp(e->d_name, "seg_", 4) == 0 &&
            sscanf(e->d_name, "seg_%llu.", &id) == 1 && kept(keep, nkeep, id))
            orphan = 0;
        if (orphan && snprintf(path, sizeof path, "%s/%s", dir, e->d_name) < (int)sizeof path)
            remove(path);
    }
    closedir(d);
}
