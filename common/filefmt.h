/* filefmt.h: how every Byline index file is framed and written durably.
 *
 * Each file is a body, a table of page checksums and a 32-byte footer (all
 * integers little-endian):
 *
 *   file     := body pagesums footer
 *   pagesums := sum:u32{npages}        npages = ceil(body_len / page_size)
 *   footer   := kind:u32 version:u32 body_len:u64 checksum:u64 flags:u32 end:u32
 *
 *   body      the file kind's own data (each module documents its grammar)
 *   sum       low 32 bits of XXH3-64 (seed 0) of one page of the body: bytes
 *             [i * page_size, min((i + 1) * page_size, body_len))
 *   kind      four ASCII bytes naming the file kind (BL_KIND_*)
 *   version   BL_FORMAT_VERSION of the writer. Readers refuse any other
 *             version: a newer one as unknown, an older one with a message
 *             to rebuild the index (until a release promises more, the
 *             format moves on and old indexes are rebuilt, never misread).
 *             Version 2 added the .inf segment file and the manifest's file
 *             fingerprints; version 3 the page checksums, bit-packed
 *             postings and skip data read in place; version 4 the impacts
 *             of each posting block and list (postings.h); version 5 the
 *             bitmaps of dense lists (postings.h); version 6 the lists of word
 *             pairs (pairs.h) and lists without positions.
 *   body_len  bytes of the body
 *   checksum  XXH3-64 (seed 0) of the pagesums table: it covers the whole
 *             body through the page sums, and fingerprints the file
 *   flags     log2(page_size) in the low 8 bits (12: 4 KiB pages in
 *             version 3); the other bits are 0
 *   end       the bytes "BYL1"
 *
 * The file's size must be body_len + 4 * npages + 32.
 *
 * Why pages: a reader maps a file and checks only its footer, so opening
 * an index costs the same whatever its size. Each page is verified the
 * first time a reader touches it (bl_mapped_touch), so a flipped byte still
 * fails cleanly, naming the file and offset, and a query pays for checking
 * only the pages it reads. bl_file_verify checks everything (byline check).
 *
 * A writer streams the body, then the table and the footer, then fsyncs;
 * a file is never rewritten in place.
 */
#ifndef BL_FILEFMT_H
#define BL_FILEFMT_H

#include <stddef.h>
#include <stdatomic.h>
#include <stdint.h>

#define BL_FORMAT_VERSION 9
#define BL_FOOTER_BYTES 32
/* Bytes per checksummed page of a body (as log2), written by this version. */
#define BL_PAGE_SHIFT 12

#define BL_FOURCC(a, b, c, d) \
    ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)
#define BL_KIND_MANIFEST  BL_FOURCC('B', 'L', 'M', 'F')
#define BL_KIND_TERMDICT  BL_FOURCC('B', 'L', 'T', 'D')
#define BL_KIND_DOCS      BL_FOURCC('B', 'L', 'D', 'C')
#define BL_KIND_POSITIONS BL_FOURCC('B', 'L', 'P', 'S')
#define BL_KIND_DOCLENS   BL_FOURCC('B', 'L', 'L', 'N')
#define BL_KIND_STORE     BL_FOURCC('B', 'L', 'S', 'T')
#define BL_KIND_SEGINFO   BL_FOURCC('B', 'L', 'S', 'I')
#define BL_KIND_IDMAP     BL_FOURCC('B', 'L', 'I', 'D')
#define BL_KIND_DELETES   BL_FOURCC('B', 'L', 'D', 'L')

typedef struct bl_filewriter bl_filewriter;

/* Creates path (which must not exist: O_EXCL) for writing a file of the
 * given kind. Errors: BL_EIO (detail names path and errno), BL_ENOMEM. */
int bl_filewriter_open(bl_filewriter **out, const char *path, uint32_t kind);

/* Appends n bytes to the body. Errors: BL_EIO. After an error the writer
 * only accepts bl_filewriter_abort(). */
int bl_filewriter_write(bl_filewriter *w, const void *p, size_t n);

/* Bytes of body written so far (the offset the next write lands at). */
uint64_t bl_filewriter_offset(const bl_filewriter *w);

/* Writes the footer, fsyncs and closes, and frees w whatever the outcome.
 * Errors: BL_EIO (the file is removed). */
int bl_filewriter_commit(bl_filewriter *w);

/* Closes and removes the partial file and frees w; NULL does nothing. */
void bl_filewriter_abort(bl_filewriter *w);

/* Closes the file without removing it and frees w; NULL does nothing. */
void bl_filewriter_forget(bl_filewriter *w);

/* A read-only mapping of a framed file. */
typedef struct {
    const uint8_t *data; /* the body */
    size_t len;          /* body length */
    uint32_t kind;
    uint64_t checksum;   /* from the footer: the fingerprint of the file */
    char *path;          /* owned copy, for error messages */
    void *map;           /* whole mapping (body + pagesums + footer) */
    size_t map_len;
    const uint8_t *pagesums;    /* the table of page checksums */
    unsigned page_shift;
    size_t npages;
    /* One bit per page, set once the page matched its sum. Atomic so that
     * threads sharing a mapping may verify pages concurrently. */
    _Atomic uint64_t *verified;
} bl_mapped;

/* Maps path and checks its footer: size, kind, version, page size, end
 * magic; and every checksum if verify is non-zero. Without verify nothing
 * but the footer is read, so the cost does not grow with the file. Only a
 * regular file is opened: a FIFO, device or symlink in its place is
 * BL_ECORRUPT at once, never a hang. Errors: BL_EIO (cannot open/map),
 * BL_ECORRUPT (short file, bad footer, wrong kind, checksum mismatch, not a
 * regular file; the detail names the file and offset), BL_EVERSION,
 * BL_ENOMEM. */
int bl_file_map(bl_mapped *out, const char *path, uint32_t kind, int verify);

/* Checks the whole file: the pagesums table against the footer's checksum
 * and every page against its sum. Errors: BL_ECORRUPT with a detail naming
 * the file and the offset of the first bad page. */
int bl_file_verify(const bl_mapped *m);

/* Slow path of bl_mapped_touch: verifies the not yet verified pages that
 * overlap body bytes [off, off + len). */
int bl_mapped_touch_pages(const bl_mapped *m, uint64_t off, uint64_t len);

/* Makes sure body bytes [off, off + len) are intact before a reader trusts
 * them: each page they overlap is checked against its sum the first time
 * any reader of this mapping touches it; later touches cost one bit test.
 * A range reaching past the body is BL_ECORRUPT (callers bound their
 * offsets first; this is a second line). len 0 always succeeds.
 * Errors: BL_ECORRUPT, detail "PATH: offset N: page checksum mismatch". */
static inline int bl_mapped_touch(const bl_mapped *m, uint64_t off, uint64_t len)
{
    uint64_t first = off >> m->page_shift;
    if (len && off + len <= m->len && first == (off + len - 1) >> m->page_shift &&
        (atomic_load_explicit(&m->verified[first >> 6], memory_order_acquire) >>
         (first & 63) & 1))
        return 0;
    return bl_mapped_touch_pages(m, off, len);
}

/* Records "PATH: offset OFF: <message>" (m's path, printf-style message)
 * as the error detail and returns BL_ECORRUPT: how every reader names the
 * damage it finds. */
int bl_mapped_corrupt(const bl_mapped *m, uint64_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Points *tail at the last n bytes of m's body, once their pages are
 * verified: where the readers of the dictionary and the store find their
 * counts. Errors: BL_ECORRUPT (a body shorter than n, or a bad page). */
int bl_mapped_tail(const bl_mapped *m, size_t n, const uint8_t **tail);

/* Lets the kernel take back the pages of m this process has read (they
 * stay in the page cache and come back on the next read, verified still):
 * for a walk through whole files, a merge's, whose resident size would
 * otherwise grow by every byte it reads. */
void bl_mapped_drop(const bl_mapped *m);

/* The same for the pages of body bytes [off, off + n) alone, but the page
 * the range ends in (unless it ends the body), which a copy reading each
 * byte once, in order, reads again next. */
void bl_mapped_drop_range(const bl_mapped *m, uint64_t off, size_t n);

/* Unmaps m and frees its path; safe on a zeroed or already-unmapped struct. */
void bl_file_unmap(bl_mapped *m);

/* fsyncs a directory so renames and creations in it are durable.
 * Errors: BL_EIO. */
int bl_fsync_dir(const char *dir);

#endif
