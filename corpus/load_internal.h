/* load_internal.h: what the loader's files share; not part of Byline's API.
 *
 * loader.c walks paths, picks a format and applies skip_bad; load_input.c
 * reads one file through zlib (plain or gzip) and rejects NUL bytes and
 * broken gzip data; load_txt.c, load_jsonl.c, load_csv.c and load_sgml.c
 * each parse one format and hand articles to bl_load_emit().
 *
 * A format loader returns 0 or a BL_E* code with its detail set. It reports
 * a bad record through bl_load_bad() and goes on if that returns 0 (the
 * record was skipped), and a warning through bl_load_warning(). It never
 * reports an empty file itself: the caller does, from bl_input.seen_text,
 * so a loader given only whitespace simply returns 0 without calling
 * bl_load_emit().
 */
#ifndef BL_LOAD_INTERNAL_H
#define BL_LOAD_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <zlib.h>

#include "buf.h"
#include "loader.h"

/* Largest file read whole (.txt, .sgm): refused beyond with BL_ETOOBIG. */
#define BL_LOAD_MAX_FILE ((uint64_t)256 << 20)
/* Largest JSONL line or CSV row: the streaming formats' only limit. */
#define BL_LOAD_MAX_RECORD ((size_t)64 << 20)
/* Bytes handed out by one bl_input_read(). */
#define BL_INPUT_CHUNK ((size_t)64 << 10)

/* One open article file. Fields are read-only outside load_input.c. */
typedef struct {
    const char *path;  /* borrowed from the caller of bl_input_open */
    gzFile gz;
    uint64_t size;     /* bytes on disk (compressed size for gzip) */
    uint64_t offset;   /* decompressed bytes read so far */
    int seen_text;     /* a byte other than whitespace has been read */
    int eof;
    uint8_t *chunk;
} bl_input;

/* Opens path for reading (gzip or plain, told apart by zlib).
 * Errors: BL_EIO (cannot open, not a regular file), BL_ENOMEM. */
int bl_input_open(bl_input *in, const char *path);

/* Opens standard input the same way (a pipe or a file; in->path is
 * "stdin"; in->size is 0 unless it is a regular file). Standard input
 * itself stays open. Errors: BL_EIO, BL_ENOMEM. */
int bl_input_open_stdin(bl_input *in);

/* Reads the next chunk: *p is borrowed until the next call, *n is 0 at the
 * end of the file. A UTF-8 byte-order mark at the start is dropped.
 * Errors: BL_EFORMAT (NUL byte, corrupt or truncated gzip), BL_EIO. */
int bl_input_read(bl_input *in, const uint8_t **p, size_t *n);

/* Appends the rest of the file to out (NUL-terminated after out->len).
 * Errors: those of bl_input_read, BL_ETOOBIG past BL_LOAD_MAX_FILE,
 * BL_ENOMEM. */
int bl_input_slurp(bl_input *in, bl_buf *out);

/* Closes in (harmless if bl_input_open failed) and returns rc when it is
 * non-zero, leaving its detail alone; else the close's own error:
 * BL_EFORMAT for a gzip stream that ended early, BL_EIO. */
int bl_input_close(bl_input *in, int rc);

/* Directories nested deeper than this are skipped with a warning. */
#define BL_LOAD_MAX_DEPTH 64

/* The state of one bl_load_path call. */
typedef struct {
    const bl_load_opts *opts; /* never NULL */
    bl_article_fn fn;
    void *fn_ctx;
    bl_load_stats *stats;     /* never NULL */
    int stopped;              /* fn returned non-zero: pass it up, skip nothing */
    /* The directories being walked, outermost first, as (st_dev, st_ino):
     * a directory met again among its own ancestors is a symlink loop. */
    unsigned long long walking[BL_LOAD_MAX_DEPTH + 2][2];
    int nwalking;
    /* The file being read, and stats->bytes before it: progress within a
     * file counts the bytes it has read so far. */
    bl_input *cur;
    uint64_t cur_before;
} bl_load_ctx;

/* Hands a to the callback and counts it. Returns the callback's result;
 * a non-zero one sets lc->stopped. */
int bl_load_emit(bl_load_ctx *lc, const bl_article *a);

/* Called with the code of a bad record or file, whose detail is set. Under
 * skip_bad a BL_EFORMAT, BL_ETOOBIG or BL_EIO is warned about, counted in
 * stats->skipped and forgotten (returns 0); anything else is returned. */
int bl_load_bad(bl_load_ctx *lc, int code);

/* Reports a warning (see loader.h): a one-line printf-style message naming
 * the file and line, then outcome (", skipped"). Returns 0 after warning:
 * the caller goes on as outcome says. Under opts->strict the message
 * (without outcome) is instead a bad record of the given code (BL_EFORMAT,
 * BL_ETOOBIG) passed to bl_load_bad: returns its error, or 1 if skip_bad
 * skipped it; either way the caller drops what the warning is about. */
int bl_load_warning(bl_load_ctx *lc, int code, const char *outcome, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Writes "PATH:LINE" into b and sets a->source to it (borrowed from b).
 * Errors: BL_ENOMEM. */
int bl_load_source(bl_buf *b, const char *path, uint64_t line, bl_article *a);

int bl_load_txt(bl_load_ctx *lc, bl_input *in);
int bl_load_jsonl(bl_load_ctx *lc, bl_input *in);
int bl_load_csv(bl_load_ctx *lc, bl_input *in);
int bl_load_sgml(bl_load_ctx *lc, bl_input *in);

/* ASCII whitespace, the only bytes an empty file may hold. */
static inline int bl_load_isspace(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
           c == '\v';
}

/* Narrows [*p, *p + *len) to drop leading and trailing whitespace. */
static inline void bl_load_trim(const char **p, size_t *len)
{
    const char *s = *p;
    size_t n = *len;
    while (n && bl_load_isspace((unsigned char)s[0])) {
        s++;
        n--;
    }
    while (n && bl_load_isspace((unsigned char)s[n - 1]))
        n--;
    *p = s;
    *len = n;
}

#endif
