/* load_csv.c: one article per CSV row, parsed with libcsv in streaming
 * mode (a chunk at a time, so a file of any size fits in memory).
 *
 * The columns are named by the first row, or by opts->csv_columns when set
 * (then every row is data). Names are matched without regard to case:
 * id, title, body|text|description, date, url, or for a field that
 * opts->fields maps, only the name it gives; the first column with a
 * name wins and other columns are ignored. A short row reads its missing
 * fields as empty; a row with more fields than there are names is bad if
 * an extra field holds text (a comma too many would drop it silently),
 * and fine if they are all empty (a trailing comma). libcsv runs in its tolerant
 * mode (a stray quote inside a field is kept); the one quote error caught
 * is a quoted field still open at the end of the file, reported at the
 * line where its row starts.
 *
 * libcsv does not count lines, so the file is fed to it one line at a time
 * and a row's line is the first line fed that holds more than whitespace
 * since the previous row ended. */
#include <csv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "error.h"
#include "load_internal.h"

/* The roles are the bl_field values. */
enum { COL_ID = BL_FIELD_ID, COL_TITLE = BL_FIELD_TITLE, COL_TEXT = BL_FIELD_TEXT,
       COL_DATE = BL_FIELD_DATE, COL_URL = BL_FIELD_URL, NCOLS = BL_FIELD_COUNT };

typedef struct {
    size_t off, len;
} span;

typedef struct {
    bl_load_ctx *lc;
    const char *path;
    long col[NCOLS];    /* field index of each role, -1 if none */
    int have_columns;   /* col[] is set (header read, or csv_columns) */
    size_t ncolumns;    /* columns named by the header or csv_columns */
    bl_buf row;         /* the fields of the current row, back to back */
    bl_buf source;      /* "PATH:LINE" of the current row */
    span *fields;
    size_t nfields, cap;
    uint64_t line;      /* 1-based number of the line being fed */
    uint64_t row_line;  /* line where the current row starts, 0 if none yet */
    int rc;             /* sticky: once set, callbacks do nothing */
} csv_state;

static int same_name(const char *name, size_t len, const char *want)
{
    return strlen(want) == len && strncasecmp(name, want, len) == 0;
}

/* The role of a column named [name, name + len), or -1. */
static int role_of(const csv_state *s, const char *name, size_t len)
{
    static const struct {
        const char *name;
        int role;
    } names[] = {
        {"id", COL_ID},       {"title", COL_TITLE},
        {"body", COL_TEXT},   {"text", COL_TEXT},
        {"description", COL_TEXT}, {"date", COL_DATE},
        {"url", COL_URL},
    };
    const bl_field_map *map = s->lc->opts->fields;

    bl_load_trim(&name, &len);
    for (int role = 0; map && role < NCOLS; role++)
        if (map->name[role] && same_name(name, len, map->name[role]))
            return role;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if ((!map || !map->name[names[i].role]) && same_name(name, len, names[i].name))
            return names[i].role;
    return -1;
}

static void name_column(csv_state *s, long index, const char *name, size_t len)
{
    int role = role_of(s, name, len);

    if (role >= 0 && s->col[role] < 0)
        s->col[role] = index;
    s->ncolumns = (size_t)index + 1;
}

/* What a title and a text column may be called, for messages. */
static void wanted_names(const csv_state *s, const char **title, const char **text)
{
    const bl_field_map *map = s->lc->opts->fields;

    *title = map && map->name[COL_TITLE] ? map->name[COL_TITLE] : "title";
    *text = map && map->name[COL_TEXT] ? map->name[COL_TEXT] : "body/text/description";
}

/* Sets the roles from opts->csv_columns ("class,title,body"). */
static int columns_from_option(csv_state *s, const char *spec)
{
    long index = 0;

    for (const char *p = spec;; index++) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        name_column(s, index, p, len);
        if (!comma)
            break;
        p = comma + 1;
    }
    if (s->col[COL_TITLE] < 0 && s->col[COL_TEXT] < 0) {
        const char *title, *text;
        wanted_names(s, &title, &text);
        return bl_error_set(BL_EINVAL,
                            "csv_columns \"%s\" names no %s or %s column",
                            spec, title, text);
    }
    s->have_columns = 1;
    return 0;
}

/* Field i's bytes. A row of empty fields has no buffer at all, and NULL + 0
 * is undefined in C, hence the "". */
static const char *field_at(const csv_state *s, size_t i)
{
    return s->row.data ? (const char *)s->row.data + s->fields[i].off : "";
}

static void field_of(const csv_state *s, int role, const char **p, size_t *n)
{
    long i = s->col[role];

    *p = NULL;
    *n = 0;
    if (i < 0 || (size_t)i >= s->nfields)
        return;
    *p = field_at(s, (size_t)i);
    *n = s->fields[i].len;
    bl_load_trim(p, n);
}

/* Does the row have fields past the named columns that hold text? */
static int extra_text(const csv_state *s)
{
    for (size_t i = s->ncolumns; i < s->nfields; i++) {
        const char *p = field_at(s, i);
        size_t n = s->fields[i].len;
        bl_load_trim(&p, &n);
        if (n)
            return 1;
    }
    return 0;
}

/* Whether a trimmed field is a number (digits, maybe signed or with a
 * decimal point): a header row never names a column "3". */
static int is_number(const char *p, size_t n)
{
    size_t digits = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] >= '0' && p[i] <= '9')
            digits++;
        else if (!((p[i] == '-' || p[i] == '+') && i == 0) && p[i] != '.')
            return 0;
    }
    return digits > 0;
}

/* A first row that names no known column is a header of unknown names,
 * or no header at all. It is data if a field is a number or longer than
 * any column name would be (AG News: "3","Fears for T N pension ...",
 * "Unions representing workers ..."). */
static int looks_like_data(const csv_state *s)
{
    if (s->lc->opts->fields || s->nfields < 2)
        return 0; /* names were given: a mismatch is the user's to fix */
    for (size_t i = 0; i < s->nfields; i++) {
        const char *p = field_at(s, i);
        size_t n = s->fields[i].len;
        bl_load_trim(&p, &n);
        if (is_number(p, n) || n > 40)
            return 1;
    }
    return 0;
}

/* No header: the longest field of the first row is the text (the last of
 * the longest), and the
 * nearest field before it that is not a number (else after it) the title.
 * Says so in a warning, so the guess is never silent (and --strict refuses
 * it). Returns 0 with the roles set, 1 if the warning dropped the file, or
 * an error. */
static int guess_columns(csv_state *s)
{
    size_t text = 0, best = 0;
    long title = -1;
    for (size_t i = 0; i < s->nfields; i++) {
        const char *p = field_at(s, i);
        size_t n = s->fields[i].len;
        bl_load_trim(&p, &n);
        if (n >= best) { /* on a tie the later column: the text follows the title */
            best = n;
            text = i;
        }
    }
    for (size_t k = 1; k < s->nfields && title < 0; k++) {
        size_t cand[2] = {text - k, text + k}; /* before, then after */
        for (int j = 0; j < 2 && title < 0; j++) {
            if (cand[j] >= s->nfields) /* also catches text - k wrapping below 0 */
                continue;
            const char *p = field_at(s, cand[j]);
            size_t n = s->fields[cand[j]].len;
            bl_load_trim(&p, &n);
            if (n && !is_number(p, n))
                title = (long)cand[j];
        }
    }
    int rc;
    if (title >= 0)
        rc = bl_load_warning(s->lc, BL_EFORMAT, "", "%s: no CSV header row; reading column %ld "
                             "as the title and column %zu as the text (--csv-columns names "
                             "the columns)", s->path, title + 1, text + 1);
    else
        rc = bl_load_warning(s->lc, BL_EFORMAT, "", "%s: no CSV header row; reading column %zu "
                             "as the text (--csv-columns names the columns)", s->path, text + 1);
    if (rc)
        return rc < 0 ? rc : 1;
    s->col[COL_TEXT] = (long)text;
    s->col[COL_TITLE] = title;
    s->ncolumns = s->nfields;
    s->have_columns = 1;
    return 0;
}

/* A whole row has been parsed: the header, or an article. */
static int end_row(csv_state *s)
{
    bl_article a;
    int rc;

    if (!s->have_columns) {
        for (size_t i = 0; i < s->nfields; i++)
            name_column(s, (long)i, field_at(s, i), s->fields[i].len);
        if (s->col[COL_TITLE] < 0 && s->col[COL_TEXT] < 0) {
            if (looks_like_data(s)) {
                rc = guess_columns(s);
                if (rc)
                    return rc < 0 ? rc : 0;
            } else {
                const char *title, *text;
                wanted_names(s, &title, &text);
                return bl_error_set(BL_EFORMAT,
                                    "%s:%llu: CSV header names no %s or %s column "
                                    "(--csv-columns or --fields names them)",
                                    s->path, (unsigned long long)s->row_line,
                                    title, text);
            }
        } else {
            s->have_columns = 1;
            return 0;
        }
    }
    if (s->row.len > BL_LOAD_MAX_RECORD)
        return bl_load_bad(s->lc, bl_error_set(BL_ETOOBIG,
                                               "%s:%llu: CSV row longer than %zu MiB",
                                               s->path,
                                               (unsigned long long)s->row_line,
                                               BL_LOAD_MAX_RECORD >> 20));
    if (extra_text(s))
        return bl_load_bad(s->lc, bl_error_set(BL_EFORMAT,
                                               "%s:%llu: CSV row has %zu fields, "
                                               "but %s names %zu columns",
                                               s->path,
                                               (unsigned long long)s->row_line,
                                               s->nfields,
                                               s->lc->opts->csv_columns
                                                   ? "--csv-columns"
                                                   : "the header",
                                               s->ncolumns));
    memset(&a, 0, sizeof a);
    field_of(s, COL_ID, &a.id, &a.id_len);
    field_of(s, COL_TITLE, &a.title, &a.title_len);
    field_of(s, COL_TEXT, &a.text, &a.text_len);
    field_of(s, COL_DATE, &a.date, &a.date_len);
    field_of(s, COL_URL, &a.url, &a.url_len);
    rc = bl_load_source(&s->source, s->path, s->row_line, &a);
    return rc ? rc : bl_load_emit(s->lc, &a);
}

/* libcsv: one field of the current row has ended. */
static void on_field(void *field, size_t len, void *data)
{
    csv_state *s = data;

    if (s->rc)
        return;
    if (!s->row_line)
        s->row_line = s->line; /* a row that began after a lone '\r' */
    if (s->nfields == s->cap) {
        size_t ncap = s->cap ? s->cap * 2 : 16;
        span *grown = realloc(s->fields, ncap * sizeof *grown);
        if (!grown)
            goto nomem;
        s->fields = grown;
        s->cap = ncap;
    }
    s->fields[s->nfields].off = s->row.len;
    s->fields[s->nfields].len = len;
    s->nfields++;
    /* Past the limit the bytes are dropped; end_row reports the row. */
    if (s->row.len <= BL_LOAD_MAX_RECORD) {
        if (len && bl_buf_append(&s->row, field, len))
            goto nomem;
    } else {
        s->fields[s->nfields - 1].len = 0;
    }
    return;
nomem:
    s->rc = bl_error_set(BL_ENOMEM, "%s: out of memory", s->path);
}

/* libcsv: the current row has ended (c is its terminator, -1 at EOF). */
static void on_row(int c, void *data)
{
    csv_state *s = data;

    (void)c;
    if (s->rc)
        return;
    s->rc = end_row(s);
    bl_buf_clear(&s->row);
    s->nfields = 0;
    s->row_line = 0;
}

static int has_text(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!bl_load_isspace(p[i]))
            return 1;
    return 0;
}

/* Feeds one chunk to libcsv a line at a time. */
static int feed(csv_state *s, struct csv_parser *parser, const uint8_t *p, size_t n)
{
    while (n && !s->rc) {
        const uint8_t *nl = memchr(p, '\n', n);
        size_t k = nl ? (size_t)(nl - p) + 1 : n;

        if (!s->row_line && has_text(p, k))
            s->row_line = s->line;
        if (csv_parse(parser, p, k, on_field, on_row, s) != k && !s->rc)
            s->rc = bl_error_set(BL_ENOMEM, "%s:%llu: CSV parser: %s", s->path,
                                 (unsigned long long)s->line,
                                 csv_strerror(csv_error(parser)));
        if (!s->rc && csv_get_buffer_size(parser) > BL_LOAD_MAX_RECORD)
            s->rc = bl_error_set(BL_ETOOBIG,
                                 "%s:%llu: CSV field longer than %zu MiB "
                                 "(an unbalanced quote?)",
                                 s->path, (unsigned long long)s->row_line,
                                 BL_LOAD_MAX_RECORD >> 20);
        if (nl)
            s->line++;
        p += k;
        n -= k;
    }
    return s->rc;
}

int bl_load_csv(bl_load_ctx *lc, bl_input *in)
{
    struct csv_parser parser;
    csv_state s;
    const uint8_t *p;
    size_t n;
    int rc;

    memset(&s, 0, sizeof s);
    s.lc = lc;
    s.path = in->path;
    s.line = 1;
    for (int i = 0; i < NCOLS; i++)
        s.col[i] = -1;
    bl_buf_init(&s.row);
    bl_buf_init(&s.source);
    if (lc->opts->csv_columns) {
        rc = columns_from_option(&s, lc->opts->csv_columns);
        if (rc)
            return rc;
    }
    if (csv_init(&parser, 0) != 0)
        return bl_error_set(BL_ENOMEM, "%s: out of memory", s.path);

    for (;;) {
        rc = bl_input_read(in, &p, &n);
        if (rc || n == 0)
            break;
        rc = feed(&s, &parser, p, n);
        if (rc)
            break;
    }
    if (rc == 0) {
        /* Strict only now, so that csv_fini reports a quote left open. */
        csv_set_opts(&parser, CSV_STRICT | CSV_STRICT_FINI);
        if (csv_fini(&parser, on_field, on_row, &s) != 0)
            rc = bl_load_bad(lc, bl_error_set(BL_EFORMAT,
                                              "%s:%llu: unbalanced quote: the "
                                              "row's last field runs to the end "
                                              "of the file",
                                              s.path,
                                              (unsigned long long)s.row_line));
        else
            rc = s.rc;
    }
    csv_free(&parser);
    bl_buf_release(&s.row);
    bl_buf_release(&s.source);
    free(s.fields);
    return rc;
}
