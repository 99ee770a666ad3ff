/* manifest.h: the file that says which segments make up an index.
 *
 * An index is a directory. Its MANIFEST file (kind BLMF) lists the live
 * segments; every segment is a set of immutable files named
 * seg_NNNNNNNN.{tdi,doc,pos,len,sto}. A commit writes and fsyncs the new
 * segment files, then writes the new manifest to a temporary name, fsyncs
 * it, renames it over MANIFEST and fsyncs the directory. rename() is
 * atomic, so a crash at any moment leaves either the old or the new
 * manifest, each naming only complete, fsynced segments.
 *
 *   body    := generation:u64 next_segment:u64 lang_len:u8 lang:bytes
 *              analyzer_version:u32 dense_ratio:u32 nsegments:u32
 *              segment{nsegments}
 *   segment := id:u64 doc_count:u32 total_tokens:u64 codec:u32
 *              dense_ratio:u32 nfiles:u8 file{nfiles}
 *   file    := size:u64 checksum:u64
 *
 * The files of a segment are listed in the order of bl_segment_exts
 * (segment.h); nfiles is BL_SEGMENT_FILES. size is the whole file's length
 * and checksum the XXH3 its footer records (filefmt.h), so a reader binds
 * every file to its segment by reading its footer alone: a file swapped in
 * from another segment or index, or left over from an older one, differs
 * in one or the other. Segment ids are unique within a manifest.
 * The header's dense_ratio is the index's: what new segments and merges
 * write; each segment's is the one it was written with (postings.h). A
 * ratio above BL_DENSE_RATIO_MAX is refused as damage.
 *
 * Writers hold an exclusive flock() on the file LOCK in the directory for
 * the whole run (bl_manifest_lock), so two indexers cannot interleave.
 */
#ifndef BL_MANIFEST_H
#define BL_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#define BL_MANIFEST_NAME "MANIFEST"
/* Bumped whenever tokenisation rules change, so an index built by another
 * analyzer is not silently mixed with new segments (2: bytes that are not
 * UTF-8 read as Windows-1252 rather than Latin-1; 3: dotted abbreviations
 * are one token, "U.S." is us where it was u, s). */
#define BL_ANALYZER_VERSION 3

/* Segment ids stay below this; a manifest whose next id passes it is
 * damaged (and a writer stops before it, never wrapping around). */
#define BL_MAX_SEGMENT_ID ((uint64_t)1 << 48)

/* Number of files in a segment (segment.h lists them). */
#define BL_SEGMENT_FILES 7

/* What the manifest knows of one segment file without reading its body. */
typedef struct {
    uint64_t size;     /* bytes, footer included */
    uint64_t checksum; /* the XXH3 of the body, as its footer records it */
} bl_file_fingerprint;

typedef struct {
    uint64_t id;           /* names the files: seg_%08llu.* */
    uint32_t doc_count;
    uint64_t total_tokens; /* sum of document lengths */
    uint32_t codec;        /* BL_CODEC_* that wrote its postings */
    uint32_t dense_ratio;  /* which of its lists are dense (postings.h) */
    bl_file_fingerprint files[BL_SEGMENT_FILES]; /* in bl_segment_exts order */
    /* Deletions (deletes.h): 0, or the generation of the commit that wrote
     * the segment's current .del file (seg_ID.del.GEN) */
    uint64_t del_gen;
    uint32_t del_count;    /* documents deleted (0 when del_gen is 0) */
    uint64_t del_tokens;   /* the sum of their lengths */
    bl_file_fingerprint del_file;
} bl_manifest_segment;

typedef struct {
    uint64_t generation;     /* +1 on each commit */
    uint64_t next_segment;   /* id the next new segment gets */
    char lang[64];           /* Snowball language of the analyzer */
    uint32_t analyzer_version;
    uint32_t dense_ratio;    /* of the segments written from now on */
    uint32_t nsegments;
    bl_manifest_segment *segments; /* owned */
} bl_manifest;

/* Reads dir/MANIFEST into *out (verifying its checksum). A manifest that
 * names one segment twice is corrupt. Errors: BL_ENOTFOUND (no index in
 * dir; detail says so), BL_EIO, BL_ECORRUPT, BL_EVERSION (an index from an
 * older byline: the detail says to rebuild it), BL_ENOMEM. */
int bl_manifest_read(const char *dir, bl_manifest *out);

/* Atomically replaces dir/MANIFEST by m with m->generation as given (the
 * caller increments it). Sets *renamed once the new manifest is in place:
 * from then on readers see m, even if the call still fails (the directory
 * fsync after the rename), so the caller must not delete m's segments.
 * Errors: BL_EIO, BL_ENOMEM; with *renamed == 0 the old manifest is
 * untouched. */
int bl_manifest_commit(const char *dir, const bl_manifest *m, int *renamed);

/* Appends a segment to m. Errors: BL_ENOMEM. */
int bl_manifest_add_segment(bl_manifest *m, const bl_manifest_segment *s);

/* Frees what m owns; safe on a zeroed struct. */
void bl_manifest_release(bl_manifest *m);

/* Takes the writer lock of dir (creating dir/LOCK, a regular file; a symlink
 * or FIFO there is refused, not followed); *fd receives the lock's
 * descriptor, to pass to bl_manifest_unlock. Never waits. The holder may
 * unlink LOCK before releasing it (bl_manifest_unlock_remove); a lock taken
 * on a file unlinked meanwhile is dropped and taken again.
 * Errors: BL_ELOCKED if another process holds it, BL_ENOTFOUND if dir does
 * not exist (it may have just been removed by a failed first run),
 * BL_EIO. */
int bl_manifest_lock(const char *dir, int *fd);

/* Releases the writer lock. */
void bl_manifest_unlock(int fd);

/* Whether the lock held through fd is still dir/LOCK: false once the
 * directory was moved away or replaced while a writer ran. A writer checks
 * it before it commits or deletes anything, since both go through paths
 * that may now name someone else's index. */
int bl_manifest_lock_holds(const char *dir, int fd);

/* bl_manifest_commit, by the writer holding the lock through fd: only
 * while that lock is still dir/LOCK (bl_manifest_lock_holds), since dir may
 * otherwise name another index by now. Errors: as bl_manifest_commit, and
 * BL_EIO (detail: the directory was moved or replaced) with nothing
 * written. */
int bl_manifest_commit_held(const char *dir, int fd, const bl_manifest *m, int *renamed);

/* Unlinks dir/LOCK, then releases the lock held through fd: for a writer
 * that leaves no trace of a failed first run. Only the lock's holder may
 * call it; writers that opened the old file notice and retry. */
void bl_manifest_unlock_remove(const char *dir, int fd);

/* Whether dir holds any segment file (seg_*). Byline writes a MANIFEST
 * before any segment file, so segment files without one are damage, not
 * an empty index. */
int bl_manifest_dir_has_segments(const char *dir);

/* Removes what no manifest needs: files seg_N.* whose segment m does not
 * list (left by a run that crashed before its commit, or by one that
 * crashed after a merge's commit but before removing the merged
 * segments), deletions files other than a segment's current one, and
 * temporary manifests. Only the writer lock's holder may
 * call it, with the committed manifest. */
void bl_manifest_remove_orphans(const char *dir, const bl_manifest *m);

/* As bl_manifest_remove_orphans, but the files of the segment ids
 * keep[0..nkeep) stay (segments a merge is still writing). */
void bl_manifest_remove_orphans_but(const char *dir, const bl_manifest *m,
                                    const uint64_t *keep, size_t nkeep);

/* Writes the path of the deletions file of segment id written by the
 * commit of generation gen: DIR/seg_ID.del.GEN. Errors: BL_ETOOBIG. */
int bl_segment_del_path(char *buf, size_t cap, const char *dir, uint64_t id, uint64_t gen);

/* Writes the path of segment file `ext` ("tdi", "doc", ...) into buf.
 * Errors: BL_ETOOBIG if it does not fit in cap. */
int bl_segment_path(char *buf, size_t cap, const char *dir, uint64_t id,
                    const char *ext);

#endif
