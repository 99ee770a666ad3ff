/* filefmt.c: buffered, checksummed, fsynced file writing; mapped reading. */
#include "filefmt.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
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
#define PAGE_BYTES ((size_t)1 << BL_PAGE_SHIFT)
/* A multiple of the page size, so each full buffer holds whole pages. */
#define WBUF_BYTES (64 * PAGE_BYTES)

struct bl_filewriter {
    int fd;
    uint32_t kind;
    int failed;
    uint64_t written;    /* body bytes accepted */
    size_t fill;         /* bytes in buf; buf starts at a page boundary */
    bl_buf sums;         /* the pagesums table so far */
    char *path;
    uint8_t buf[WBUF_BYTES];
};

static uint32_t page_sum(const uint8_t *p, size_t n)
{
    return (uint32_t)XXH3_64bits(p, n);
}

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

/* Sums the buffer's pages (the last may be partial only at commit) and
 * writes the buffer out. */
static int flush_buf(bl_filewriter *w)
{
    for (size_t at = 0; at < w->fill; at += PAGE_BYTES) {
        size_t n = w->fill - at < PAGE_BYTES ? w->fill - at : PAGE_BYTES;
        if (bl_buf_put_u32le(&w->sums, page_sum(w->buf + at, n))) {
            w->failed = 1;
            return bl_error_set(BL_ENOMEM, "%s: no memory for page checksums", w->path);
        }
    }
    int rc = write_all(w, w->buf, w->fill);
    w->fill = 0;
    return rc;
}

int bl_filewriter_open(bl_filewriter **out, const char *path, uint32_t kind)
{
    bl_filewriter *w = calloc(1, sizeof *w);
    if (!w)
        return BL_ENOMEM;
    bl_buf_init(&w->sums);
    w->path = strdup(path);
    if (!w->path) {
        free(w);
        return BL_ENOMEM;
    }
    w->kind = kind;
    w->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (w->fd < 0) {
        int rc = bl_error_set(BL_EIO, "%s: cannot create: %s", path, strerror(errno));
        free(w->path);
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
    const uint8_t *s = p;
    w->written += n;
    while (n) {
        size_t k = WBUF_BYTES - w->fill < n ? WBUF_BYTES - w->fill : n;
        memcpy(w->buf + w->fill, s, k);
        w->fill += k;
        s += k;
        n -= k;
        if (w->fill == WBUF_BYTES && flush_buf(w))
            return BL_EIO;
    }
    return 0;
}

uint64_t bl_filewriter_offset(const bl_filewriter *w) { return w->written; }

static void free_writer(bl_filewriter *w)
{
    bl_buf_release(&w->sums);
    free(w->path);
    free(w);
}

int bl_filewriter_commit(bl_filewriter *w)
{
    int rc = w->failed ? BL_EIO : flush_buf(w);
    if (!rc)
        rc = write_all(w, w->sums.data, w->sums.len);
    if (!rc) {
        uint8_t f[BL_FOOTER_BYTES];
        bl_put_u32le(f, w->kind);
        bl_put_u32le(f + 4, BL_FORMAT_VERSION);
        bl_put_u64le(f + 8, w->written);
        bl_put_u64le(f + 16, XXH3_64bits(w->sums.data, w->sums.len));
        bl_put_u32le(f + 24, BL_PAGE_SHIFT);
        bl_put_u32le(f + 28, END_MAGIC);
        rc = write_all(w, f, sizeof f);
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

/* Checks the footer of the mapping in m (map, map_len, path set) and fills
 * the rest of m. */
static int check_footer(bl_mapped *m, uint32_t kind)
{
    size_t size = m->map_len, foff = size - BL_FOOTER_BYTES;
    const uint8_t *f = (const uint8_t *)m->map + foff;
    const char *path = m->path;
    if (bl_get_u32le(f + 28) != END_MAGIC)
        return bl_error_set(BL_ECORRUPT, "%s: offset %zu: bad footer magic", path, foff + 28);
    if (bl_get_u32le(f) != kind)
        return bl_error_set(BL_ECORRUPT, "%s: offset %zu: wrong file kind %.4s", path, foff,
                            (const char *)f);
    if (bl_get_u32le(f + 4) != BL_FORMAT_VERSION)
        return version_error(path, bl_get_u32le(f + 4));
    uint32_t flags = bl_get_u32le(f + 24);
    if (flags < 9 || flags > 24)
        return bl_error_set(BL_ECORRUPT, "%s: offset %zu: bad footer flags %08x", path,
                            foff + 24, flags);
    unsigned shift = flags;
    uint64_t body = bl_get_u64le(f + 8);
    uint64_t npages = body ? ((body - 1) >> shift) + 1 : 0;
    if (body > foff || npages * 4 != foff - body)
        return bl_error_set(BL_ECORRUPT, "%s: offset %zu: footer says the body is %llu bytes, "
                            "which does not fit a file of %zu bytes", path, foff + 8,
                            (unsigned long long)body, size);
    m->verified = calloc((size_t)(npages >> 6) + 1, sizeof *m->verified);
    if (!m->verified)
        return bl_error_set(BL_ENOMEM, "%s: no memory for page flags", path);
    m->data = m->map;
    m->len = (size_t)body;
    m->kind = kind;
    m->checksum = bl_get_u64le(f + 16);
    m->pagesums = (const uint8_t *)m->map + body;
    m->page_shift = shift;
    m->npages = (size_t)npages;
    return 0;
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
    int rc = check_footer(out, kind);
    if (!rc && verify)
        rc = bl_file_verify(out);
    if (rc) {
        bl_file_unmap(out);
        return rc;
    }
    return 0;
}

int bl_file_verify(const bl_mapped *m)
{
    size_t table = m->npages * 4;
    uint64_t h = XXH3_64bits(m->pagesums, table);
    if (h != m->checksum)
        return bl_error_set(BL_ECORRUPT,
                            "%s: offset %zu: page checksum table does not match the footer "
                            "(stored %016llx, computed %016llx)",
                            m->path, m->len, (unsigned long long)m->checksum,
                            (unsigned long long)h);
    return bl_mapped_touch_pages(m, 0, m->len);
}

/* Whether pages first..last are all verified already: 64 pages a load, so
 * a long range read again (a dense list's bitmap) costs a few loads. */
static int pages_verified(const bl_mapped *m, uint64_t first, uint64_t last)
{
    for (uint64_t p = first; p <= last;) {
        uint64_t end = (p | 63) < last ? (p | 63) : last; /* last page in this word */
        uint64_t want = (~0ULL >> (63 - (end & 63))) & (~0ULL << (p & 63));
        if ((atomic_load_explicit(&m->verified[p >> 6], memory_order_acquire) & want) != want)
            return 0;
        p = end + 1;
    }
    return 1;
}

int bl_mapped_touch_pages(const bl_mapped *m, uint64_t off, uint64_t len)
{
    if (len == 0)
        return 0;
    if (off > m->len || len > m->len - off)
        return bl_error_set(BL_ECORRUPT, "%s: offset %llu: %llu bytes read past the end of the "
                            "body (%zu bytes)", m->path, (unsigned long long)off,
                            (unsigned long long)len, m->len);
    uint64_t first = off >> m->page_shift, last = (off + len - 1) >> m->page_shift;
    if (last > first && pages_verified(m, first, last))
        return 0;
    size_t page = (size_t)1 << m->page_shift;
    for (uint64_t p = first; p <= last; p++) {
        _Atomic uint64_t *word = &m->verified[p >> 6];
        uint64_t bit = (uint64_t)1 << (p & 63);
        if (atomic_load_explicit(word, memory_order_acquire) & bit)
            continue;
        size_t at = (size_t)p * page;
        size_t n = m->len - at < page ? m->len - at : page;
        uint32_t want = bl_get_u32le(m->pagesums + 4 * p);
        uint32_t got = page_sum(m->data + at, n);
        if (got != want)
            return bl_error_set(BL_ECORRUPT, "%s: offset %zu: page checksum mismatch over bytes "
                                "%zu..%zu (stored %08x, computed %08x)", m->path, at, at,
                                at + n, want, got);
        atomic_fetch_or_explicit(word, bit, memory_order_release);
    }
    return 0;
}

int bl_mapped_corrupt(const bl_mapped *m, uint64_t off, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return bl_error_set(BL_ECORRUPT, "%s: offset %llu: %s", m->path, (unsigned long long)off,
                        what);
}

int bl_mapped_tail(const bl_mapped *m, size_t n, const uint8_t **tail)
{
    if (m->len < n)
        return bl_mapped_corrupt(m, 0, "body of %zu bytes is shorter than the %zu-byte tail",
                                 m->len, n);
    int rc = bl_mapped_touch(m, m->len - n, n);
    if (!rc)
        *tail = m->data + (m->len - n);
    return rc;
}

void bl_mapped_drop(const bl_mapped *m)
{
    /* A private read-only mapping holds only clean file pages: dropping
     * them loses nothing. */
    if (m->map)
        madvise(m->map, m->map_len, MADV_DONTNEED);
}

void bl_mapped_drop_range(const bl_mapped *m, uint64_t off, size_t n)
{
    if (!m->map || off >= m->len)
        return;
    if (n > m->len - off)
        n = (size_t)(m->len - off);
    /* the page the range ends in may be read next, so it stays; the one it
     * starts in goes (a copy in order read its start last time) */
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t from = (uintptr_t)(m->data + off), to = from + n;
    from &= ~(page - 1);
    if (to != (uintptr_t)(m->data + m->len))
        to &= ~(page - 1);
    else
        to = (to + page - 1) & ~(page - 1);
    if (to > from)
        madvise((void *)from, to - from, MADV_DONTNEED);
}

void bl_file_unmap(bl_mapped *m)
{
    if (m->map)
        munmap(m->map, m->map_len);
    free(m->path);
    free((void *)m->verified);
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
