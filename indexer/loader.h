/* loader.h: reads article files of every supported format and hands each
 * article to a callback.
 *
 * Formats (detected from the file name unless opts->format says otherwise;
 * a trailing ".gz" means gzip and is stripped before detection):
 *   .txt            one article per file; the first non-empty line is the
 *                   title, the rest (after that line) is the text.
 *   .jsonl .ndjson  one JSON object per line: "title", "body" or "text",
 *                   optional "id", "date", "url" (strings; numbers accepted
 *                   for id). Blank lines are skipped.
 *   .csv            a header row names the columns, unless opts->csv_columns
 *                   names them ("class,title,body" for AG News). Recognised
 *                   names: id, title, body|text|description, date, url;
 *                   other columns are ignored.
 *   .sgm .sgml      Reuters-21578: one <REUTERS ...> record per article;
 *                   NEWID is the id, TITLE the title, DATELINE + BODY the
 *                   text (or the raw TEXT of TYPE="UNPROC" records), DATE
 *                   the date (as ISO 8601 "1987-02-26T15:01:01" when it
 *                   parses). Entities &lt; &gt; &amp; &quot; &apos; and
 *                   &#N; are decoded (control characters become spaces).
 * A directory is walked recursively in byte order of names; files with
 * other extensions are skipped and counted; hidden entries are skipped.
 *
 * Bad input: a file that cannot be read, is empty, holds NUL bytes (binary),
 * is a truncated or corrupt gzip, or holds a malformed record (broken JSON
 * line, unterminated SGML record, CSV row with an unbalanced quote, article
 * with neither title nor text) is an error: the callback is not called for
 * the bad record and bl_load_path returns BL_EFORMAT (or BL_EIO) with a
 * detail naming the file and the line (or byte offset). With
 * opts->skip_bad the bad record/file is reported through opts->warn and
 * counted in stats->skipped, and loading goes on.
 */
#ifndef BL_LOADER_H
#define BL_LOADER_H

#include <stddef.h>
#include <stdint.h>

/* One article. All strings are borrowed for the duration of the callback
 * only; lengths are in bytes; absent fields have len 0 (ptr may be NULL). */
typedef struct {
    const char *id;     size_t id_len;     /* external id (NEWID, JSON id) */
    const char *title;  size_t title_len;
    const char *text;   size_t text_len;   /* the body */
    const char *source; size_t source_len; /* file path, plus ":LINE" for JSONL/CSV */
    const char *date;   size_t date_len;
    const char *url;    size_t url_len;
} bl_article;

typedef enum {
    BL_FORMAT_AUTO = 0,
    BL_FORMAT_TXT,
    BL_FORMAT_JSONL,
    BL_FORMAT_CSV,
    BL_FORMAT_SGML,
} bl_format;

/* Parses "txt", "jsonl", "csv", "sgml" (also "auto"). Errors: BL_EINVAL. */
int bl_format_parse(const char *name, bl_format *out);

/* Called for each article; a non-zero return stops loading and is returned
 * by bl_load_path. */
typedef int (*bl_article_fn)(void *ctx, const bl_article *a);

/* Called with a one-line warning (no trailing newline) for skipped input. */
typedef void (*bl_warn_fn)(void *ctx, const char *message);

/* Declared ahead so that bl_load_opts.progress names the same type. */
struct bl_load_stats;

typedef struct {
    bl_format format;        /* BL_FORMAT_AUTO: from the extension */
    const char *csv_columns; /* comma-separated column names, or NULL: header row */
    int skip_bad;            /* report and skip bad records instead of failing */
    bl_warn_fn warn;         /* may be NULL */
    void *warn_ctx;
    /* Called after each file with the stats so far (progress display); may be NULL. */
    void (*progress)(void *ctx, const struct bl_load_stats *stats);
    void *progress_ctx;
} bl_load_opts;

typedef struct bl_load_stats {
    uint64_t files;          /* article files read */
    uint64_t files_ignored;  /* files skipped for their extension */
    uint64_t bytes;          /* bytes read from disk (compressed size for .gz) */
    uint64_t articles;       /* articles handed to the callback */
    uint64_t skipped;        /* bad records/files skipped under skip_bad */
} bl_load_stats;

/* Loads a file or a directory tree, calling fn for each article. stats is
 * added to (not reset), so one struct can span several paths.
 * Errors: BL_EIO (unreadable path), BL_EFORMAT (bad input, see above),
 * BL_EINVAL (unknown extension on an explicitly named file without
 * opts->format), BL_ENOMEM, or fn's non-zero return. */
int bl_load_path(const char *path, const bl_load_opts *opts, bl_article_fn fn,
                 void *ctx, bl_load_stats *stats);

#endif
