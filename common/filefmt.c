/* filefmt.c: buffered, checksummed, fsynced file writing; mapped reading. */
#include "filefmt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "buf.h"
#include "error.h"

#define END_MAGIC BL_FOURCC('B', 'Y', 'L', '1')
#define WBUF_BYTES (256 * 1024)

struct bl_filewriter {
    int fd;
    uint32_t kind;
    int failed;
    uint64_t written;
    XXH3_state_t *hash;
    size_t fill;
    char *path;
    uint8_t buf[WBUF_BYTES];
};

static int write_all(bl_filewriter *w, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t k = write(w->fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            w->failed = 1;
            return bl_error_set(BL_EIO, "%s: write failed: %s", w->path,
                                k < 0 ? strerror(errno) : "no progress");
        }
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

static int flush_buf(bl_filewriter *w)
{
    int rc = write_all(w, w->buf, w->fill);
    w->fill = 0;
    return rc;
}

int bl_filewriter_open(bl_filewriter **out, const char *path, uint32_t kind)
{
    bl_filewriter *w = calloc(1, sizeof *w);
    if (!w)
        return BL_ENOMEM;
    w->path = strdup(path);
    w->hash = XXH3_createState();
    if (!w->path || !w->hash) {
        free(w->path);
        XXH3_freeState(w->hash);
        free(w);
        return BL_ENOMEM;
    }
    XXH3_64bits_reset(w->hash);
    w->kind = kind;
    w->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (w->fd < 0) {
        int rc = bl_error_set(BL_EIO, "%s: cannot create: %s", path, strerror(errno));
        free(w->path);
        XXH3_freeState(w->hash);
        free(w);
        return rc;
    }
    *out = w;
    return 0;
}

int bl_filewriter_write(bl_filewriter *w, const void *p, size_t n)
{
    if (w->failed)
        return BL_EIO;
    XXH3_64bits_update(w->hash, p, n);
    w->written += n;
    const uint8_t *s = p;
    if (w->fill + n > WBUF_BYTES) {
        if (flush_buf(w))
            return BL_EIO;
        if (n >= WBUF_BYTES)
            return write_all(w, s, n);
    }
    memcpy(w->buf + w->fill, s, n);
    w->fill += n;
    return 0;
}

uint64_t bl_filewriter_offset(const bl_filewriter *w) { return w->written; }

static void free_writer(bl_filewriter *w)
{
    XXH3_freeState(w->hash);
    free(w->path);
    free(w);
}

int bl_filewriter_commit(bl_filewriter *w)
{
    uint8_t f[BL_FOOTER_BYTES];
    bl_put_u32le(f, w->kind);
    bl_put_u32le(f + 4, BL_FORMAT_VERSION);
    bl_put_u64le(f + 8, w->written);
    bl_put_u64le(f + 16, XXH3_64bits_digest(w->hash));
    bl_put_u32le(f + 24, 0);
    bl_put_u32le(f + 28, END_MAGIC);
    int rc = w->failed ? BL_EIO : 0;
    if (!rc && w->fill + sizeof f > WBUF_BYTES)
        rc = flush_buf(w);
    if (!rc) {
        memcpy(w->buf + w->fill, f, sizeof f);
        w->fill += sizeof f;
        rc = flush_buf(w);
    }
    if (!rc && fsync(w->fd) != 0)
        rc = bl_error_set(BL_EIO, "%s: fsync failed: %s", w->path, strerror(errno));
    if (close(w->fd) != 0 && !rc)
        rc = bl_error_set(BL_EIO, "%s: close failed: %s", w->path, strerror(errno));
    if (rc)
        unlink(w->path);
    free_writer(w);
    return rc;
}

void bl_filewriter_forget(bl_filewriter *w)
{
    if (!w)
        return;
    close(w->fd);
    free_writer(w);
}

void bl_filewriter_abort(bl_filewriter *w)
{
    if (!w)
        return;
    close(w->fd);
    unlink(w->path);
    free_writer(w);
}

static int version_error(const char *path, uint32_t version)
{
    if (version >= 1 && version < BL_FORMAT_VERSION)
        return bl_error_set(BL_EVERSION, "%s: written by an older byline (format version %u; this "
                            "one reads version %d): index the articles again into a new "
                            "directory", path, version, BL_FORMAT_VERSION);
    return bl_error_set(BL_EVERSION, "%s: format version %u, this byline reads version %d", path,
                        version, BL_FORMAT_VERSION);
}

int bl_file_map(bl_mapped *out, const char *path, uint32_t kind, int verify)
{
    memset(out, 0, sizeof *out);
    /* Index files are regular files written by byline. O_NONBLOCK: opening
     * a FIFO put in their place must fail below, not wait for a writer;
     * O_NOFOLLOW: a symlink is not a file we wrote. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);
    if (fd < 0) {
        if (errno == ELOOP)
            return bl_error_set(BL_ECORRUPT, "%s: is a symbolic link, not an index file", path);
        return bl_error_set(BL_EIO, "%s: cannot open: %s", path, strerror(errno));
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int rc = bl_error_set(BL_EIO, "%s: cannot stat: %s", path, strerror(errno));
        close(fd);
        return rc;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return bl_error_set(BL_ECORRUPT, "%s: not a regular file", path);
    }
    if (st.st_size < BL_FOOTER_BYTES) {
        close(fd);
        return bl_error_set(BL_ECORRUPT, "%s: file is %lld bytes, shorter than its %d-byte footer",
                            path, (long long)st.st_size, BL_FOOTER_BYTES);
    }
    size_t size = (size_t)st.st_size;
    void *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED)
        return bl_error_set(BL_EIO, "%s: cannot map: %s", path, strerror(errno));
    out->map = map;
    out->map_len = size;
    out->path = strdup(path);
    if (!out->path) {
        bl_file_unmap(out);
        return BL_ENOMEM;
    }
    const uint8_t *f = (const uint8_t *)map + size - BL_FOOTER_BYTES;
    size_t foff = size - BL_FOOTER_BYTES;
    int rc = 0;
    if (bl_get_u32le(f + 28) != END_MAGIC)
        rc = bl_error_set(BL_ECORRUPT, "%s: offset %zu: bad footer magic", path, foff + 28);
    else if (bl_get_u32le(f) != kind)
        rc = bl_error_set(BL_ECORRUPT, "%s: offset %zu: wrong file kind %.4s", path, foff,
                          (const char *)f);
    else if (bl_get_u32le(f + 4) != BL_FORMAT_VERSION)
        rc = version_error(path, bl_get_u32le(f + 4));
    else if (bl_get_u64le(f + 8) != foff)
        rc = bl_error_set(BL_ECORRUPT, "%s: offset %zu: footer says body is %llu bytes, file holds %zu",
                          path, foff + 8, (unsigned long long)bl_get_u64le(f + 8), foff);
    else if (bl_get_u32le(f + 24) != 0)
        rc = bl_error_set(BL_ECORRUPT, "%s: offset %zu: unknown footer flags", path, foff + 24);
    if (rc) {
        bl_file_unmap(out);
        return rc;
    }
    out->data = map;
    out->len = foff;
    out->kind = kind;
    out->checksum = bl_get_u64le(f + 16);
    if (verify && (rc = bl_file_verify(out)) != 0) {
        bl_file_unmap(out);
        return rc;
    }
    return 0;
}

int bl_file_verify(const bl_mapped *m)
{
    uint64_t h = XXH3_64bits(m->data, m->len);
    if (h != m->checksum)
        return bl_error_set(BL_ECORRUPT,
                            "%s: checksum mismatch over bytes 0..%zu (stored %016llx, computed %016llx)",
                            m->path, m->len, (unsigned long long)m->checksum,
                            (unsigned long long)h);
    return 0;
}

void bl_file_unmap(bl_mapped *m)
{
    if (m->map)
        munmap(m->map, m->map_len);
    free(m->path);
    memset(m, 0, sizeof *m);
}

int bl_fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return bl_error_set(BL_EIO, "%s: cannot open directory: %s", dir, strerror(errno));
    int rc = 0;
    if (fsync(fd) != 0)
        rc = bl_error_set(BL_EIO, "%s: fsync failed: %s", dir, strerror(errno));
    close(fd);
    return rc;
}
