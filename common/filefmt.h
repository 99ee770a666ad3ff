/* filefmt.h: how every Byline index file is framed and written durably.
 *
 * Each file is a body followed by a 32-byte footer (all integers
 * little-endian):
 *
 *   file   := body footer
 *   footer := kind:u32 version:u32 body_len:u64 checksum:u64 flags:u32 end:u32
 *
 *   kind      four ASCII bytes naming the file kind (BL_KIND_*)
 *   version   BL_FORMAT_VERSION of the writer. Readers refuse any other
 *             version: a newer one as unknown, an older one with a message
 *             to rebuild the index (until a release promises more, the
 *             format moves on and old indexes are rebuilt, never misread).
 *             Version 2 added the .inf segment file and the manifest's file
 *             fingerprints.
 *   body_len  bytes before the footer (must equal file size - 32)
 *   checksum  XXH3-64 (seed 0) of the body
 *   flags     0 in version 1
 *   end       the bytes "BYL1"
 *
 * A writer streams the body, then the footer, then fsyncs; a file is never
 * rewritten in place. Readers map the file read-only and check the footer
 * before trusting any offset in it.
 */
#ifndef BL_FILEFMT_H
#define BL_FILEFMT_H

#include <stddef.h>
#include <stdint.h>

#define BL_FORMAT_VERSION 2
#define BL_FOOTER_BYTES 32

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
    uint64_t checksum;   /* from the footer */
    char *path;          /* owned copy, for error messages */
    void *map;           /* whole mapping (body + footer) */
    size_t map_len;
} bl_mapped;

/* Maps path and checks its footer: size, kind, version, end magic; and the
 * checksum if verify is non-zero. Only a regular file is opened: a FIFO,
 * device or symlink in its place is BL_ECORRUPT at once, never a hang.
 * Errors: BL_EIO (cannot open/map), BL_ECORRUPT (short file, bad footer,
 * wrong kind, checksum mismatch, not a regular file; the detail names the
 * file and offset), BL_EVERSION, BL_ENOMEM. */
int bl_file_map(bl_mapped *out, const char *path, uint32_t kind, int verify);

/* Recomputes the body checksum and compares it with the footer's.
 * Errors: BL_ECORRUPT with a detail naming the file. */
int bl_file_verify(const bl_mapped *m);

/* Unmaps m and frees its path; safe on a zeroed or already-unmapped struct. */
void bl_file_unmap(bl_mapped *m);

/* fsyncs a directory so renames and creations in it are durable.
 * Errors: BL_EIO. */
int bl_fsync_dir(const char *dir);

#endif
