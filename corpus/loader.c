/* loader.c: bl_load_path and bl_load_list. Walks a directory tree in byte
 * order of names, picks each file's format from its name (or opts->format),
 * opens it through load_input.c, hands it to the format's loader, and
 * applies opts->skip_bad and opts->strict. */
#include "loader.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "error.h"
#include "load_internal.h"

/* Deeper directory trees are skipped with a warning (symlink loops are
 * caught before, by walking's ancestor list). */
#define MAX_DEPTH BL_LOAD_MAX_DEPTH

int bl_format_parse(const char *name, bl_format *out)
{
    static const struct {
        const char *name;
        bl_format format;
    } names[] = {
        {"auto", BL_FORMAT_AUTO}, {"txt", BL_FORMAT_TXT},
        {"jsonl", BL_FORMAT_JSONL}, {"ndjson", BL_FORMAT_JSONL},
        {"csv", BL_FORMAT_CSV}, {"sgml", BL_FORMAT_SGML},
        {"sgm", BL_FORMAT_SGML},
    };
    for (size_t i = 0; name && i < sizeof names / sizeof names[0]; i++) {
        if (strcasecmp(name, names[i].name) == 0) {
            *out = names[i].format;
            return 0;
        }
    }
    return bl_error_set(BL_EINVAL,
                        "unknown format \"%s\" (expected auto, txt, jsonl, csv "
                        "or sgml)",
                        name ? name : "");
}

static int ends_with(const char *s, size_t len, const char *suffix)
{
    size_t n = strlen(suffix);
    return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

/* The format a file name's extension implies (a trailing ".gz" stripped),
 * or BL_FORMAT_AUTO for an unknown one. Case matters: "README.TXT" is not
 * an article. */
static bl_format format_of_name(const char *path)
{
    static const struct {
        const char *ext;
        bl_format format;
    } exts[] = {
        {".txt", BL_FORMAT_TXT},  {".jsonl", BL_FORMAT_JSONL},
        {".ndjson", BL_FORMAT_JSONL}, {".csv", BL_FORMAT_CSV},
        {".sgm", BL_FORMAT_SGML}, {".sgml", BL_FORMAT_SGML},
    };
    const char *base = strrchr(path, '/');
    size_t len;

    base = base ? base + 1 : path;
    len = strlen(base);
    if (ends_with(base, len, ".gz"))
        len -= 3;
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
        size_t n = strlen(exts[i].ext);
        if (len > n && ends_with(base, len, exts[i].ext))
            return exts[i].format;
    }
    return BL_FORMAT_AUTO;
}

/* Articles between two progress reports within a file (a power of 2). */
#define PROGRESS_EVERY 1024

int bl_load_emit(bl_load_ctx *lc, const bl_article *a)
{
    int rc;

    /* Nothing to search: an own id still makes it worth keeping (Reuters
     * NEWID 12793 has an empty TEXT; the corpus counts it). */
    if (a->title_len == 0 && a->text_len == 0) {
        rc = bl_load_warning(lc, BL_EFORMAT, a->id_len ? " (kept for its id)" : ", skipped",
                             "%.*s: article has no title and no text",
                             (int)a->source_len, a->source);
        if (rc || a->id_len == 0)
            return rc < 0 ? rc : 0;
    }
    lc->stats->articles++;
    /* Within a long file too, now and then: the bytes read so far (on
     * disk: compressed ones for gzip) */
    if (lc->opts->progress && lc->cur && (lc->stats->articles & (PROGRESS_EVERY - 1)) == 0) {
        z_off_t at = gzoffset(lc->cur->gz);
        if (at >= 0 && (uint64_t)at <= lc->cur->size) {
            lc->stats->bytes = lc->cur_before + (uint64_t)at;
            lc->opts->progress(lc->opts->progress_ctx, lc->stats);
        }
    }
    rc = lc->fn(lc->fn_ctx, a);
    if (rc)
        lc->stopped = 1;
    return rc;
}

int bl_load_bad(bl_load_ctx *lc, int code)
{
    if (code == 0 || lc->stopped || !lc->opts->skip_bad)
        return code;
    if (code != BL_EFORMAT && code != BL_ETOOBIG && code != BL_EIO)
        return code;
    if (lc->opts->warn)
        lc->opts->warn(lc->opts->warn_ctx, bl_error_detail());
    lc->stats->skipped++;
    bl_error_clear();
    return 0;
}

int bl_load_warning(bl_load_ctx *lc, int code, const char *outcome, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    int rc;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (lc->opts->strict) {
        rc = bl_load_bad(lc, bl_error_set(code, "%s", msg));
        return rc ? rc : 1;
    }
    if (lc->opts->warn) {
        size_t n = strlen(msg);
        snprintf(msg + n, sizeof msg - n, "%s", outcome);
        lc->opts->warn(lc->opts->warn_ctx, msg);
    }
    lc->stats->warnings++;
    return 0;
}

int bl_load_source(bl_buf *b, const char *path, uint64_t line, bl_article *a)
{
    size_t cap = strlen(path) + 24; /* ':' and 20 digits at most */

    bl_buf_clear(b);
    if (bl_buf_reserve(b, cap))
        return bl_error_set(BL_ENOMEM, "%s: out of memory", path);
    b->len = (size_t)snprintf((char *)b->data, cap, "%s:%llu", path,
                              (unsigned long long)line);
    a->source = (const char *)b->data;
    a->source_len = b->len;
    return 0;
}

static int load_file(bl_load_ctx *lc, const char *path, bl_format format,
                     int from_stdin)
{
    bl_input in;
    int rc;

    rc = from_stdin ? bl_input_open_stdin(&in) : bl_input_open(&in, path);
    if (rc)
        return rc;
    lc->stats->files++;
    lc->cur = &in;
    lc->cur_before = lc->stats->bytes;
    switch (format) {
    case BL_FORMAT_TXT: rc = bl_load_txt(lc, &in); break;
    case BL_FORMAT_JSONL: rc = bl_load_jsonl(lc, &in); break;
    case BL_FORMAT_CSV: rc = bl_load_csv(lc, &in); break;
    case BL_FORMAT_SGML: rc = bl_load_sgml(lc, &in); break;
    default: rc = bl_error_set(BL_EINVAL, "%s: no format", in.path); break;
    }
    lc->cur = NULL;
    /* the whole file; a pipe: what came through it */
    lc->stats->bytes = lc->cur_before + (in.size ? in.size : in.offset);
    if (rc == 0 && !in.seen_text) {
        rc = bl_load_warning(lc, BL_EFORMAT, ", skipped", "%s: empty file", in.path);
        if (rc > 0)
            rc = 0; /* skipped as a bad file under strict + skip_bad */
    }
    return bl_input_close(&in, rc);
}

/* Loads one file, skipping it under skip_bad, then reports progress. */
static int visit_file(bl_load_ctx *lc, const char *path, bl_format format,
                      int from_stdin)
{
    int rc = load_file(lc, path, format, from_stdin);

    if (rc && !lc->stopped)
        rc = bl_load_bad(lc, rc);
    if (rc == 0 && lc->opts->progress)
        lc->opts->progress(lc->opts->progress_ctx, lc->stats);
    return rc;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads the names in dir, hidden ones left out, sorted by strcmp. */
static int list_dir(const char *dir, char ***out, size_t *count)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **names = NULL;
    size_t n = 0, cap = 0;

    if (!d)
        return bl_error_set(BL_EIO, "%s: cannot open directory: %s", dir,
                            strerror(errno));
    for (;;) {
        errno = 0;
        e = readdir(d);
        if (!e) {
            if (errno) {
                bl_error_set(BL_EIO, "%s: cannot read directory: %s", dir,
                             strerror(errno));
                goto fail;
            }
            break;
        }
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 32;
            char **grown = realloc(names, ncap * sizeof *names);
            if (!grown)
                goto nomem;
            names = grown;
            cap = ncap;
        }
        names[n] = strdup(e->d_name);
        if (!names[n])
            goto nomem;
        n++;
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof *names, by_name);
    *out = names;
    *count = n;
    return 0;

nomem:
    bl_error_set(BL_ENOMEM, "%s: out of memory listing the directory", dir);
fail:
    closedir(d);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return bl_error_code();
}

static int walk(bl_load_ctx *lc, const char *dir, int depth);

static int excluded(const bl_load_ctx *lc, const struct stat *st)
{
    return lc->opts->exclude_set && (unsigned long long)st->st_dev == lc->opts->exclude_dev &&
           (unsigned long long)st->st_ino == lc->opts->exclude_ino;
}

/* Visits one entry of a directory: a subdirectory, an article file or an
 * ignored file. */
static int visit_entry(bl_load_ctx *lc, const char *path, int depth)
{
    struct stat st;
    bl_format format;

    if (stat(path, &st) != 0)
        return bl_load_bad(lc, bl_error_set(BL_EIO, "%s: cannot stat: %s",
                                            path, strerror(errno)));
    if (S_ISDIR(st.st_mode))
        return excluded(lc, &st) ? 0 : walk(lc, path, depth + 1);
    format = lc->opts->format;
    if (format == BL_FORMAT_AUTO)
        format = format_of_name(path);
    if (!S_ISREG(st.st_mode) || format == BL_FORMAT_AUTO) {
        lc->stats->files_ignored++;
        return 0;
    }
    return visit_file(lc, path, format, 0);
}

/* A warning that drops what it is about: returns 0 or an error. */
static int drop_with_warning(int rc)
{
    return rc < 0 ? rc : 0;
}

/* Loads every article file under dir. Problems with dir itself go through
 * bl_load_bad, except at depth 0 (the path the caller named). */
static int walk(bl_load_ctx *lc, const char *dir, int depth)
{
    char **names = NULL;
    size_t count = 0, i;
    size_t dlen = strlen(dir);
    int rc;

    if (depth > MAX_DEPTH)
        return drop_with_warning(bl_load_warning(
            lc, BL_ETOOBIG, ", skipped", "%s: directories nested deeper than %d levels",
            dir, MAX_DEPTH));
    struct stat st;
    memset(&st, 0, sizeof st);
    if (stat(dir, &st) == 0) {
        for (int k = 0; k < lc->nwalking; k++)
            if (lc->walking[k][0] == (unsigned long long)st.st_dev &&
                lc->walking[k][1] == (unsigned long long)st.st_ino)
                return drop_with_warning(bl_load_warning(
                    lc, BL_EFORMAT, ", skipped",
                    "%s: a symbolic link loop (the directory holds itself)", dir));
    }
    rc = list_dir(dir, &names, &count);
    if (rc)
        return depth ? bl_load_bad(lc, rc) : rc;
    lc->walking[lc->nwalking][0] = (unsigned long long)st.st_dev;
    lc->walking[lc->nwalking][1] = (unsigned long long)st.st_ino;
    lc->nwalking++;
    if (dlen && dir[dlen - 1] == '/')
        dlen--;
    for (i = 0; i < count && rc == 0; i++) {
        size_t nlen = strlen(names[i]), len = dlen + 1 + nlen + 1;
        char *path;

        /* The system would refuse it (ENAMETOOLONG): say so once, go on. */
        if (len > PATH_MAX) {
            rc = drop_with_warning(bl_load_warning(
                lc, BL_ETOOBIG, ", skipped", "%.200s.../%.40s: path longer than %d bytes",
                dir, names[i], PATH_MAX));
            continue;
        }
        path = malloc(len);
        if (!path) {
            rc = bl_error_set(BL_ENOMEM, "%s: out of memory", dir);
            break;
        }
        memcpy(path, dir, dlen);
        path[dlen] = '/';
        memcpy(path + dlen + 1, names[i], nlen + 1);
        rc = visit_entry(lc, path, depth);
        free(path);
    }
    lc->nwalking--;
    for (i = 0; i < count; i++)
        free(names[i]);
    free(names);
    return rc;
}

/* Sets up lc for one bl_load_path or bl_load_list call. */
static int start(bl_load_ctx *lc, const bl_load_opts *opts, bl_article_fn fn,
                 void *ctx, bl_load_stats *stats, bl_load_stats *scratch)
{
    static const bl_load_opts defaults;

    lc->opts = opts ? opts : &defaults;
    lc->fn = fn;
    lc->fn_ctx = ctx;
    lc->stats = stats ? stats : scratch;
    lc->stopped = 0;
    lc->nwalking = 0;
    if (!fn)
        return bl_error_set(BL_EINVAL, "bl_load_path: no callback");
    if ((unsigned)lc->opts->format > BL_FORMAT_SGML)
        return bl_error_set(BL_EINVAL, "bl_load_path: bad format %d",
                            (int)lc->opts->format);
    return 0;
}

/* Loads a path the caller named (st is its stat): a directory tree, or a
 * file whose format the options or its name give. */
static int load_named(bl_load_ctx *lc, const char *path, const struct stat *st)
{
    bl_format format;

    if (S_ISDIR(st->st_mode))
        return excluded(lc, st) ? 0 : walk(lc, path, 0);
    format = lc->opts->format;
    if (format == BL_FORMAT_AUTO)
        format = format_of_name(path);
    if (format == BL_FORMAT_AUTO)
        return bl_error_set(BL_EINVAL,
                            "%s: unknown extension (expected .txt .jsonl "
                            ".ndjson .csv .sgm .sgml, optionally + .gz), and "
                            "no format given",
                            path);
    return visit_file(lc, path, format, 0);
}

int bl_load_path(const char *path, const bl_load_opts *opts, bl_article_fn fn,
                 void *ctx, bl_load_stats *stats)
{
    bl_load_stats scratch = {0};
    bl_load_ctx lc;
    struct stat st;
    int rc;

    if (!path)
        return bl_error_set(BL_EINVAL, "bl_load_path: no path");
    rc = start(&lc, opts, fn, ctx, stats, &scratch);
    if (rc)
        return rc;
    if (strcmp(path, BL_LOAD_STDIN) == 0) {
        if (lc.opts->format == BL_FORMAT_AUTO)
            return bl_error_set(BL_EINVAL, "stdin: reading standard input "
                                           "needs a format (--format)");
        return visit_file(&lc, "stdin", lc.opts->format, 1);
    }
    if (stat(path, &st) != 0)
        return bl_error_set(BL_EIO, "%s: %s", path, strerror(errno));
    return load_named(&lc, path, &st);
}

/* Loads one path of a list; a missing one is a bad record at LIST:LINE. */
static int load_listed(bl_load_ctx *lc, const char *path, const char *list,
                       uint64_t line)
{
    struct stat st;

    if (stat(path, &st) != 0)
        return bl_load_bad(lc, bl_error_set(BL_EIO, "%s:%llu: %s: %s", list,
                                            (unsigned long long)line, path,
                                            strerror(errno)));
    return load_named(lc, path, &st);
}

int bl_load_list(const char *list, int nul_separated, const bl_load_opts *opts,
                 bl_article_fn fn, void *ctx, bl_load_stats *stats)
{
    bl_load_stats scratch = {0};
    bl_load_ctx lc;
    int from_stdin, rc;
    const char *name;
    FILE *f;
    char *entry = NULL;
    size_t cap = 0;
    ssize_t got;
    uint64_t line = 0;

    if (!list)
        return bl_error_set(BL_EINVAL, "bl_load_list: no list");
    rc = start(&lc, opts, fn, ctx, stats, &scratch);
    if (rc)
        return rc;
    from_stdin = strcmp(list, BL_LOAD_STDIN) == 0;
    name = from_stdin ? "stdin" : list;
    f = from_stdin ? stdin : fopen(list, "r");
    if (!f)
        return bl_error_set(BL_EIO, "%s: cannot open: %s", list, strerror(errno));
    while (rc == 0 && (got = getdelim(&entry, &cap, nul_separated ? '\0' : '\n', f)) > 0) {
        size_t n = (size_t)got;

        line++;
        if (entry[n - 1] == (nul_separated ? '\0' : '\n'))
            n--;
        if (!nul_separated && n && entry[n - 1] == '\r')
            n--;
        entry[n] = '\0';
        if (n == 0)
            continue;
        if (strlen(entry) != n) /* a NUL in a line: names cut short */
            rc = bl_load_bad(&lc, bl_error_set(BL_EFORMAT,
                                               "%s:%llu: NUL byte in a path "
                                               "(a NUL-separated list needs -0)",
                                               name, (unsigned long long)line));
        else
            rc = load_listed(&lc, entry, name, line);
    }
    if (rc == 0 && ferror(f))
        rc = bl_error_set(BL_EIO, "%s: cannot read: %s", name, strerror(errno));
    free(entry);
    if (!from_stdin)
        fclose(f);
    return rc;
}
