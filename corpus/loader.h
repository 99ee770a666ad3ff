/* loader.h: reads article files of every supported format and hands each
 * article to a callback.
 *
 * Formats (detected from the file name unless opts->format says otherwise;
 * a trailing ".gz" means gzip and is stripped before detection; extensions
 * are matched case-sensitively, so "README.TXT" is not an article):
 *   .txt            one article per file. By default (opts->title
 *                   BL_TITLE_FIRST_LINE) the first line holding more than
 *                   whitespace is the title (trimmed), the rest after that
 *                   line is the text (trimmed); BL_TITLE_NONE: no title, the
 *                   whole file is the text; BL_TITLE_FILENAME: the file's
 *                   base name without ".gz" and one extension is the title,
 *                   the whole file the text.
 *   .jsonl .ndjson  one JSON object per line: "title", "body" or "text"
 *                   ("text" when "body" is absent or empty), optional "id",
 *                   "date", "url" (strings; numbers accepted for id and date; null
 *                   is absent). opts->fields renames any of them; a renamed
 *                   key with dots ("meta.date") is looked up as written,
 *                   then as a path through nested objects. Blank lines are
 *                   skipped. Streamed: any file size, one line at most
 *                   64 MiB.
 *   .csv            a header row names the columns, unless opts->csv_columns
 *                   names them ("class,title,body" for AG News). Recognised
 *                   names (any case): id, title, body|text|description,
 *                   date, url, or those opts->fields gives. Other columns
 *                   are ignored. A short row reads its missing fields as
 *                   empty. A first row that names no known column but
 *                   holds a number or a field over 40 bytes is no header
 *                   (unless opts->fields is set): it is data, the last of
 *                   its longest fields is the text and the nearest other
 *                   non-numeric field the title, which a warning says.
 *                   Streamed: any file size.
 *   .sgm .sgml      Reuters-21578: one <REUTERS ...> record per article;
 *                   NEWID is the id, TITLE the title, DATELINE + " " + BODY
 *                   the text (or the raw TEXT of TYPE="UNPROC" records;
 *                   TYPE="BRIEF" records have a title only), DATE the date
 *                   (as ISO 8601 "1987-02-26T15:01:01" when it parses, else
 *                   as written). Entities &lt; &gt; &amp; &quot; &apos;
 *                   &#N; and &#xH; are decoded (control characters become
 *                   spaces); other bytes pass through unchanged, invalid
 *                   UTF-8 included.
 * .txt and .sgm files are read whole and refused (BL_ETOOBIG) over 256 MiB.
 * A UTF-8 byte-order mark at the start of a file is dropped.
 *
 * Paths: a directory is walked recursively in byte order of names (strcmp);
 * hidden entries (".name") are skipped. Without opts->format, files
 * without one of the extensions above are skipped and counted in
 * stats->files_ignored; with opts->format, every regular file is read in
 * that format whatever its name. The path "-" (BL_LOAD_STDIN) is standard
 * input, which needs opts->format; it may be gzip-compressed (told by its
 * magic bytes) and is named "stdin" in sources and messages.
 *
 * Every article has a source: the path of a one-article file, or
 * "PATH:LINE" for a record of a multi-record file (JSONL, CSV, SGML).
 *
 * Warnings: these are reported and loading goes on: a file with no byte
 * other than whitespace (skipped); an article with neither title nor text
 * (skipped; handed over if it has its own id, as Reuters NEWID 12793); a
 * NUL character (\u0000) in a JSON string (read as a space); a directory
 * nested deeper than 64 levels or a path longer than PATH_MAX (skipped).
 * Each is one line through opts->warn, naming the file and line, counted in
 * stats->warnings. Under opts->strict each is instead a bad record (below),
 * and an article it concerns is never handed over.
 *
 * Bad input: a file that cannot be read, holds a NUL byte (binary), is a
 * truncated or corrupt gzip, or holds a malformed record (broken JSON line,
 * unterminated SGML record or element such as a <TITLE> without
 * </TITLE>, CSV row with an unbalanced quote or with more fields holding
 * text than the header names) is an error: the callback is not called for
 * the bad record and loading returns BL_EFORMAT (BL_EIO, BL_ETOOBIG) with a
 * detail naming the file and the line where the record starts (or the byte
 * offset). Streamed files are checked as they are read, so the articles
 * before a NUL byte or a gzip error further in have already been handed
 * over. With opts->skip_bad the bad record/file is reported through
 * opts->warn and counted in stats->skipped (one per record, or one for a
 * file given up on), and loading goes on; the path named to bl_load_path
 * must still exist, and the callback's own non-zero return is never
 * skipped.
 */
#ifndef BL_LOADER_H
#define BL_LOADER_H

#include <stddef.h>
#include <stdint.h>

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

/* Where a .txt file's title comes from (see the top of this file). */
typedef enum {
    BL_TITLE_FIRST_LINE = 0,
    BL_TITLE_NONE,
    BL_TITLE_FILENAME,
} bl_title_mode;

/* Parses "first-line", "none" or "filename". Errors: BL_EINVAL (detail
 * names the accepted words). */
int bl_title_mode_parse(const char *name, bl_title_mode *out);

/* The article fields an input may name differently. */
typedef enum {
    BL_FIELD_ID,
    BL_FIELD_TITLE,
    BL_FIELD_TEXT,
    BL_FIELD_DATE,
    BL_FIELD_URL,
    BL_FIELD_COUNT
} bl_field;

/* The input's name for each field (a JSON key, a CSV column), or NULL for
 * the default names. Owned: release with bl_field_map_release. */
typedef struct {
    char *name[BL_FIELD_COUNT];
} bl_field_map;

/* Parses "title=headline,text=content,date=published_at,id=uuid,url=link"
 * (any subset, any order; "body" is another word for "text") into *m,
 * which it initialises. Errors: BL_EINVAL for an unknown target, a field
 * named twice, or a malformed pair (no '=', an empty name, a stray comma),
 * with a detail saying which; BL_ENOMEM. On error *m holds nothing. */
int bl_field_map_parse(bl_field_map *m, const char *spec);

/* Frees the names; m may be empty (all NULL). */
void bl_field_map_release(bl_field_map *m);

/* One article. All strings are borrowed for the duration of the callback
 * only; lengths are in bytes; absent fields have len 0 (ptr may be NULL). */
typedef struct {
    const char *id;     size_t id_len;     /* the input's own id (NEWID, JSON id) */
    const char *title;  size_t title_len;
    const char *text;   size_t text_len;   /* the body */
    const char *source; size_t source_len; /* file path, plus ":LINE" for JSONL/CSV/SGML */
    const char *date;   size_t date_len;
    const char *url;    size_t url_len;
} bl_article;

/* Called for each article; a non-zero return stops loading and is returned
 * by bl_load_path. */
typedef int (*bl_article_fn)(void *ctx, const bl_article *a);

/* Called with a one-line message (no trailing newline) for a warning or for
 * skipped input. */
typedef void (*bl_warn_fn)(void *ctx, const char *message);

/* Declared ahead so that bl_load_opts.progress names the same type. */
struct bl_load_stats;

typedef struct {
    bl_format format;        /* BL_FORMAT_AUTO: from the extension */
    const char *csv_columns; /* comma-separated column names, or NULL: header row */
    bl_title_mode title;     /* .txt files: where the title comes from */
    const bl_field_map *fields; /* JSONL keys / CSV columns, or NULL: defaults */
    int skip_bad;            /* report and skip bad records instead of failing */
    int strict;              /* warnings are bad records */
    bl_warn_fn warn;         /* may be NULL */
    void *warn_ctx;
    /* Called after each article file (skipped ones included), and every
     * 1,024 articles within a file, with the stats so far (progress
     * display; stats.bytes then counts the bytes of the file read so far);
     * may be NULL. */
    void (*progress)(void *ctx, const struct bl_load_stats *stats);
    void *progress_ctx;
    /* A directory never read (the index being written, so that `byline
     * index -o idx --format txt .` does not read its own files), as its
     * st_dev and st_ino; ignored when exclude_set is 0. */
    int exclude_set;
    unsigned long long exclude_dev, exclude_ino;
} bl_load_opts;

typedef struct bl_load_stats {
    uint64_t files;          /* article files opened */
    uint64_t files_ignored;  /* files skipped for their extension (or not regular) */
    uint64_t bytes;          /* bytes read (compressed size for .gz) */
    uint64_t articles;       /* articles handed to the callback */
    uint64_t skipped;        /* bad records/files skipped under skip_bad */
    uint64_t warnings;       /* warnings reported (none under strict) */
} bl_load_stats;

/* The path that names standard input. */
#define BL_LOAD_STDIN "-"

/* Loads a file or a directory tree, calling fn for each article. stats is
 * added to (not reset), so one struct can span several paths; opts and
 * stats may be NULL (defaults; no counts kept).
 * Errors: BL_EIO (unreadable path), BL_EFORMAT (bad input, see above),
 * BL_ETOOBIG (a limit above), BL_EINVAL (unknown extension on an
 * explicitly named file without opts->format, "-" without opts->format, a
 * csv_columns naming no title or body column, no fn), BL_ENOMEM, or fn's
 * non-zero return. */
int bl_load_path(const char *path, const bl_load_opts *opts, bl_article_fn fn,
                 void *ctx, bl_load_stats *stats);

/* Loads every path listed in the file `list` ("-": standard input), one a
 * line (a trailing '\r' dropped), or NUL-separated when nul_separated (as
 * `find -print0` writes); empty entries are skipped. Each path is loaded
 * as bl_load_path loads it, except that "-" in a list is a file named "-".
 * A listed path that does not exist is a bad record named "LIST:LINE"
 * (LINE counts entries when nul_separated).
 * Errors: those of bl_load_path; BL_EIO if the list cannot be read. */
int bl_load_list(const char *list, int nul_separated, const bl_load_opts *opts,
                 bl_article_fn fn, void *ctx, bl_load_stats *stats);

#endif
