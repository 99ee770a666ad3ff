/* loader.h: reads article files of every supported format and hands each
 * article to a callback.
 *
 * Formats (detected from the file name unless opts->format says otherwise;
 * a trailing ".gz" means gzip and is stripped before detection; extensions
 * are matched case-sensitively, so "README.TXT" is not an article):
 *   .txt            one article per file; the first line holding more than
 *                   whitespace is the title (trimmed), the rest after that
 *                   line is the text (trimmed).
 *   .jsonl .ndjson  one JSON object per line: "title", "body" or "text"
 *                   ("text" when "body" is absent or empty), optional "id",
 *                   "date", "url" (strings; numbers accepted for id; null
 *                   is absent). Blank lines are skipped. Streamed: any file
 *                   size, one line at most 64 MiB.
 *   .csv            a header row names the columns, unless opts->csv_columns
 *                   names them ("class,title,body" for AG News). Recognised
 *                   names (any case): id, title, body|text|description,
 *                   date, url; other columns are ignored. A short row reads
 *                   its missing fields as empty. Streamed: any file size.
 *   .sgm .sgml      Reuters-21578: one <REUTERS ...> record per article;
 *                   NEWID is the id, TITLE the title, DATELINE + " " + BODY
 *                   the text (or the raw TEXT of TYPE="UNPROC" records;
 *                   TYPE="BRIEF" records have a title only), DATE the date
 *                   (as ISO 8601 "1987-02-26T15:01:01" when it parses, else
 *                   as written). Entities &lt; &gt; &amp; &quot; &apos;
 *                   &#N; and &#xH; are decoded (control characters become
 *                   spaces); other bytes pass through unchanged, invalid
 *                   UTF-8 included. A record with a NEWID but an empty TEXT
 *                   is still an article (Reuters NEWID 12793).
 * .txt and .sgm files are read whole and refused (BL_ETOOBIG) over 256 MiB.
 * A UTF-8 byte-order mark at the start of a file is dropped.
 * A directory is walked recursively in byte order of names (strcmp);
 * hidden entries (".name") are skipped; files without one of the
 * extensions above are skipped and counted in stats->files_ignored (with
 * opts->format set, the walk still picks files by extension, and the format
 * then chooses how they are parsed).
 *
 * Bad input: a file that cannot be read, is empty (no byte other than
 * whitespace), holds a NUL byte (binary), is a truncated or corrupt gzip,
 * or holds a malformed record (broken JSON line, unterminated SGML record,
 * CSV row with an unbalanced quote, JSON or CSV article with neither title
 * nor text) is an error: the callback is not called for the bad record and
 * bl_load_path returns BL_EFORMAT (BL_EIO, BL_ETOOBIG) with a detail naming
 * the file and the line where the record starts (or the byte offset).
 * Streamed files are checked as they are read, so the articles before a
 * NUL byte or a gzip error further in have already been handed over. With
 * opts->skip_bad the bad record/file is reported through opts->warn and
 * counted in stats->skipped (one per record, or one for a file given up
 * on), and loading goes on; the path named to bl_load_path must still
 * exist, and the callback's own non-zero return is never skipped.
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
    const char *source; size_t source_len; /* file path, plus ":LINE" for JSONL/CSV/SGML */
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

/* Parses "txt", "jsonl", "csv", "sgml" (also "auto", "ndjson", "sgm"; any
 * case). Errors: BL_EINVAL. */
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
    /* Called after each article file (skipped ones included) with the stats
     * so far (progress display); may be NULL. */
    void (*progress)(void *ctx, const struct bl_load_stats *stats);
    void *progress_ctx;
} bl_load_opts;

typedef struct bl_load_stats {
    uint64_t files;          /* article files opened */
    uint64_t files_ignored;  /* files skipped for their extension (or not regular) */
    uint64_t bytes;          /* bytes read from disk (compressed size for .gz) */
    uint64_t articles;       /* articles handed to the callback */
    uint64_t skipped;        /* bad records/files skipped under skip_bad */
} bl_load_stats;

/* Loads a file or a directory tree, calling fn for each article. stats is
 * added to (not reset), so one struct can span several paths; opts and
 * stats may be NULL (defaults; no counts kept).
 * Errors: BL_EIO (unreadable path), BL_EFORMAT (bad input, see above),
 * BL_ETOOBIG (a limit above), BL_EINVAL (unknown extension on an
 * explicitly named file without opts->format, a csv_columns naming no
 * title or body column, no fn), BL_ENOMEM, or fn's non-zero return. */
int bl_load_path(const char *path, const bl_load_opts *opts, bl_article_fn fn,
                 void *ctx, bl_load_stats *stats);

#endif
