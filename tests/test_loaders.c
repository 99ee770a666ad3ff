/* test_loaders.c: the article loaders (indexer/loader.h) on small files made
 * in a temporary directory, in each format, plain and gzip, and broken in
 * each way the contract names; then on the real corpora in
 * $BYLINE_ROOT/../shared/corpora, skipped when that folder is absent. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "error.h"
#include "loader.h"

/* ---- fixture: a temporary directory and a record of what was loaded ---- */

typedef struct {
    char *id, *title, *text, *source, *date, *url;
} rec;

static char tmp[PATH_MAX];
static rec *recs;
static size_t nrecs, caprecs;
static int nwarn;
static char last_warn[1024];
static int nprogress;
static uint64_t last_files, last_bytes, last_articles; /* the last progress report's */
static bl_load_stats st;

static void rmtree(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *e;

    if (!d) {
        unlink(path);
        return;
    }
    while ((e = readdir(d)) != NULL) {
        char child[PATH_MAX];
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(child, sizeof child, "%s/%s", path, e->d_name);
        rmtree(child);
    }
    closedir(d);
    rmdir(path);
}

static void forget(void)
{
    for (size_t i = 0; i < nrecs; i++) {
        free(recs[i].id);
        free(recs[i].title);
        free(recs[i].text);
        free(recs[i].source);
        free(recs[i].date);
        free(recs[i].url);
    }
    free(recs);
    recs = NULL;
    nrecs = caprecs = 0;
    nwarn = nprogress = 0;
    last_files = last_bytes = last_articles = 0;
    last_warn[0] = '\0';
    memset(&st, 0, sizeof st);
}

static void setup(void)
{
    snprintf(tmp, sizeof tmp, "%s/byline-loaders-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    cr_assert_not_null(mkdtemp(tmp), "mkdtemp failed");
}

static void teardown(void)
{
    forget();
    rmtree(tmp);
}

TestSuite(loaders, .init = setup, .fini = teardown);

/* snprintf into a PATH_MAX buffer, failing the test if it does not fit. */
static void fmt_path(char *dst, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void fmt_path(char *dst, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(dst, PATH_MAX, fmt, ap);
    va_end(ap);
    cr_assert(n >= 0 && n < PATH_MAX, "path too long");
}

/* A path inside the temporary directory (a few rotating buffers). */
static const char *tp(const char *name)
{
    static char bufs[8][PATH_MAX];
    static int next;
    char *b = bufs[next++ % 8];
    fmt_path(b, "%s/%s", tmp, name);
    return b;
}

static void write_bytes(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "cannot create %s", path);
    cr_assert_eq(fwrite(data, 1, n, f), n);
    cr_assert_eq(fclose(f), 0);
}

static void write_str(const char *path, const char *s)
{
    write_bytes(path, s, strlen(s));
}

static void write_gz(const char *path, const void *data, size_t n)
{
    gzFile gz = gzopen(path, "wb");
    cr_assert_not_null(gz, "cannot create %s", path);
    cr_assert_eq(gzwrite(gz, data, (unsigned)n), (int)n);
    cr_assert_eq(gzclose(gz), Z_OK);
}

static off_t file_size(const char *path)
{
    struct stat sb;
    cr_assert_eq(stat(path, &sb), 0, "stat %s", path);
    return sb.st_size;
}

static char *copy(const char *p, size_t n)
{
    char *s = malloc(n + 1);
    cr_assert_not_null(s);
    if (n)
        memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

static int collect(void *ctx, const bl_article *a)
{
    (void)ctx;
    if (nrecs == caprecs) {
        caprecs = caprecs ? caprecs * 2 : 16;
        recs = realloc(recs, caprecs * sizeof *recs);
        cr_assert_not_null(recs);
    }
    recs[nrecs].id = copy(a->id, a->id_len);
    recs[nrecs].title = copy(a->title, a->title_len);
    recs[nrecs].text = copy(a->text, a->text_len);
    recs[nrecs].source = copy(a->source, a->source_len);
    recs[nrecs].date = copy(a->date, a->date_len);
    recs[nrecs].url = copy(a->url, a->url_len);
    nrecs++;
    return 0;
}

static void on_warn(void *ctx, const char *msg)
{
    (void)ctx;
    nwarn++;
    snprintf(last_warn, sizeof last_warn, "%s", msg);
}

/* Reports only go forward; nprogress counts the files reported (a long
 * file is also reported now and then while it is read). */
static void on_progress(void *ctx, const bl_load_stats *s)
{
    (void)ctx;
    cr_assert(s->files >= last_files && s->bytes >= last_bytes && s->articles >= last_articles,
              "progress went back");
    if (s->files != last_files) {
        nprogress++;
        cr_assert_eq(s->files, (uint64_t)nprogress);
    }
    last_files = s->files;
    last_bytes = s->bytes;
    last_articles = s->articles;
}

static bl_load_opts opts(int skip_bad)
{
    bl_load_opts o = {0};
    o.skip_bad = skip_bad;
    o.warn = on_warn;
    o.progress = on_progress;
    return o;
}

/* Loads path afresh into recs/st. */
static int load(const char *path, const bl_load_opts *o)
{
    forget();
    bl_error_clear();
    return bl_load_path(path, o, collect, NULL, &st);
}

#define assert_detail_has(s)                                                 \
    cr_assert(strstr(bl_error_detail(), (s)) != NULL,                        \
              "detail \"%s\" lacks \"%s\"", bl_error_detail(), (s))

/* ---- formats ---- */

Test(loaders, format_parse)
{
    bl_format f;
    cr_assert_eq(bl_format_parse("jsonl", &f), 0);
    cr_assert_eq(f, BL_FORMAT_JSONL);
    cr_assert_eq(bl_format_parse("SGML", &f), 0);
    cr_assert_eq(f, BL_FORMAT_SGML);
    cr_assert_eq(bl_format_parse("auto", &f), 0);
    cr_assert_eq(f, BL_FORMAT_AUTO);
    cr_assert_eq(bl_format_parse("xml", &f), BL_EINVAL);
}

Test(loaders, txt_title_then_text)
{
    const char *p = tp("a.txt");
    bl_load_opts o = opts(0);

    write_str(p, "\n  \n  Budget day \r\n\nFirst paragraph.\nSecond one.\n\n");
    cr_assert_eq(load(p, &o), 0, "%s", bl_error_detail());
    cr_assert_eq(nrecs, 1);
    cr_assert_str_eq(recs[0].title, "Budget day");
    cr_assert_str_eq(recs[0].text, "First paragraph.\nSecond one.");
    cr_assert_str_eq(recs[0].source, p);
    cr_assert_str_eq(recs[0].id, "");
    cr_assert_eq(st.files, 1);
    cr_assert_eq(st.articles, 1);
    cr_assert_eq(st.bytes, (uint64_t)file_size(p));
    cr_assert_eq(nprogress, 1);
}

Test(loaders, txt_title_only_and_latin1)
{
    const char *p = tp("b.txt");
    bl_load_opts o = opts(0);

    write_str(p, "M\xFCnchen wins");
    cr_assert_eq(load(p, &o), 0, "%s", bl_error_detail());
    cr_assert_eq(nrecs, 1);
    cr_assert_str_eq(recs[0].title, "M\xFCnchen wins");
    cr_assert_str_eq(recs[0].text, "");
}

static const char jsonl_good[] =
    "{\"id\": 7, \"title\": \"One\", \"body\": \"Body one\", \"date\": "
    "\"2024-01-02\", \"url\": \"http://x/1\"}\n"
    "\n"
    "{\"id\": \"b-2\", \"title\": \"Two\", \"text\": \"Text two\", \"extra\": [1]}\r\n"
    "   \n"
    "{\"text\": \"Only text\", \"id\": null, \"tags\": \"a\\u0000b\"}";

Test(loaders, jsonl_fields)
{
    const char *p = tp("a.jsonl");
    char src[PATH_MAX + 16];
    bl_load_opts o = opts(0);

    write_str(p, jsonl_good);
    cr_assert_eq(load(p, &o), 0, "%s", bl_error_detail());
    cr_assert_eq(nrecs, 3);
    cr_assert_str_eq(recs[0].id, "7");
    cr_assert_str_eq(recs[0].title, "One");
    cr_assert_str_eq(recs[0].text, "Body one");
    cr_assert_str_eq(recs[0].date, "2024-01-02");
    cr_assert_str_eq(recs[0].url, "http://x/1");
    snprintf(src, sizeof src, "%s:1", p);
    cr_assert_str_eq(recs[0].source, src);
    cr_assert_str_eq(recs[1].id, "b-2");
    cr_assert_str_eq(recs[1].text, "Text two");
    snprintf(src, sizeof src, "%s:3", p);
    cr_assert_str_eq(recs[1].source, src);
    cr_assert_str_eq(recs[2].id, "");
    cr_assert_str_eq(recs[2].title, "");
    cr_assert_str_eq(recs[2].text, "Only text");
    snprintf(src, sizeof src, "%s:5", p);
    cr_assert_str_eq(recs[2].source, src);
}

/* Dumps often give dates as epoch seconds: a number is kept as written,
 * not refused as "not a string". */
Test(loaders, jsonl_numeric_date)
{
    const char *p = tp("n.jsonl");
    bl_load_opts o = opts(0);

    write_str(p, "{\"title\": \"T\", \"date\": 1700000000}\n"
                 "{\"title\": \"U\", \"date\": 1.5}\n");
    cr_assert_eq(load(p, &o), 0, "%s", bl_error_detail());
    cr_assert_eq(nrecs, 2);
    cr_assert_str_eq(recs[0].date, "1700000000");
    cr_assert_str_eq(recs[1].date, "1.5");
}

/* A number used as a field reads as JSON wrote it, an integer of any
 * length included; a real beyond a double is a bad line. */
Test(loaders, jsonl_numbers_read_as_written)
{
    const char *p = tp("num.jsonl");
    bl_load_opts o = opts(0);

    write_str(p, "{\"title\": \"T\", \"id\": 123456789012345678901234567890, \"date\": -0}\n"
                 "{\"title\": \"U\", \"id\": -7, \"date\": 0.1}\n"
                 "{\"title\": \"V\", \"date\": 1e400}\n");
    cr_assert_eq(load(p, &o), BL_EFORMAT);
    assert_detail_has("num.jsonl:3: \"date\" is a number too large");
    cr_assert_eq(nrecs, 2);
    cr_assert_str_eq(recs[0].id, "123456789012345678901234567890");
    cr_assert_str_eq(recs[0].date, "0");
    cr_assert_str_eq(recs[1].id, "-7");
    cr_assert_str_eq(recs[1].date, "0.10000000000000001");
}

static const char jsonl_broken[] =
    "{\"title\": \"L1\"}\n"
    "{\"title\": \"L2\"}\n"
    "{\"title\": \"L3\", \"body\": oops}\n"
    "{\"title\": \"L4\"}\n"
    "{\"title\": \"L5\"}\n";

Test(loaders, jsonl_broken_line)
{
    const char *p = tp("news.jsonl");
    char want[PATH_MAX + 32];
    bl_load_opts o = opts(0);

    write_str(p, jsonl_broken);
    cr_assert_eq(load(p, &o), BL_EFORMAT);
    snprintf(want, sizeof want, "%s:3: invalid JSON: ", p);
    assert_detail_has(want);
    assert_detail_has("(column ");
    cr_assert_eq(nrecs, 2); /* the lines before the bad one arrived */

    o = opts(1);
    cr_assert_eq(load(p, &o), 0, "%s", bl_error_detail());
    cr_assert_eq(nrecs, 4);
    cr_assert_str_eq(recs[2].title, "L4");
    cr_assert_eq(st.skipped, 1);
    cr_assert_eq(st.articles, 4);
    cr_assert_eq(nwarn, 1);
    cr_assert(strstr(last_warn, want) != NULL, "warning: %s", last_warn);
}

Test(loaders, jsonl_bad_records)
{
    const char *p = tp("bad.jsonl");
    bl_load_opts o = opts(0);

    write_str(p, "[1, 2]\n"
                 "{\"id\": 3, \"url\": \"u\"}\n"
                 "{\"title\": 5}\n"
                 "{\"url\": \"only a url\"}\n"
                 "{\"title\": \"fine\"}\n");
    cr_assert_eq(load(p, &o), BL_EFORMAT);
    assert_detail_has(":1: not a JSON object");
    cr_assert_eq(nrecs, 0);

    /* Lines 1 and 3 are bad; 2 and 4 have neither title nor text: a
     * warning each, and line 2 is kept for its id. */
    o = opts(1);
    cr_assert_eq(load(p, &o), 0, "%s", bl_error_detail());
    cr_assert_eq(st.skipped, 2);
    cr_assert_eq(st.warnings, 2);
    cr_assert_eq(nwarn, 4);
    cr_assert_eq(nrecs, 2);
    cr_assert_str_eq(recs[0].id, "3");
    cr_assert_str_eq(recs[0].url, "u");
    cr_assert_str_eq(recs[1].title, "fine");
    cr_assert(strstr(last_warn, ":4: article has no title and no text, skipped") != NULL,
              "%s", last_warn);
}

Test(loaders, jsonl_nul_character_is_a_space)
{
    const char *p = tp("nul.jsonl");
    char want[PATH_MAX + 64];
    bl_load_opts o = opts(0);

    write_str(p, "{\"title\": \"t\\u0000u\", \"body\": \"a\\u0000b\"}\n"
                 "{\"title\": \"next\"}\n");
    cr_assert_eq(load(p, &o), 0, "%s", bl_error_detail());
    cr_assert_eq(nrecs, 2);
    cr_assert_str_eq(recs[0].title, "t u");
    cr_assert_str_eq(recs[0].text, "a b");
    cr_assert_eq(st.warnings, 2); /* one line for each field */
    cr_assert_eq(nwarn, 2);
    snprintf(want, sizeof want, "%s:1: \"body\" holds a NUL character (\\u0000), read as a space",
             p);
    cr_assert_str_eq(last_warn, want);

    /* Strict: an error naming the line; the article never arrives. */
    o.strict = 1;
    cr_assert_eq(load(p, &o), BL_EFORMAT);
    snprintf(want, sizeof want, "%s:1: \"title\" holds a NUL character", p);
    assert_detail_has(want);
    cr_assert_eq(nrecs, 0);
    cr_assert_eq(st.warnings, 0);

    /* Strict and skip_bad: the record is skipped as bad. */
    o.skip_bad = 1;
    cr_assert_eq(load(p, &o), 0, "%s", bl_error_detail());
    cr_assert_eq(nrecs, 1);
    cr_assert_str_eq(recs[0].title, "next");
    cr_assert_eq(st.skipped, 1);
}

Test(loaders, jsonl_overlong_line)
{
    const char *p = tp("long.jsonl.gz");
    size_t big = ((size_t)64 << 20) + 100;
    char *line = malloc(big + 64);
    gzFile gz;
    bl_load_opts o = opts(1);

    cr_assert_not_null(line);
    memcpy(line, "{\"title\": \"", 11);
    memset(line + 11, 'a', big - 11);
    memcpy(line + big, "\"}\n", 3);
    gz = gzopen(p, "wb1");
    cr_assert_not_null(gz);
    cr_assert_eq(gzwrite(gz, "{\"title\": \"first\"}\n", 19), 19);
    cr_assert_eq(gzwrite(gz, line, (unsigned)(big + 3)), (int)(big + 3));
    cr_assert_eq(gzwrite(gz, "{\"title\": \"last\"}\n", 18), 18);
    cr_assert_eq(gzclose(gz), Z_OK);
    free(line);

    cr_assert_eq(load(p, &o), 0, "%s", bl_error_detail());
    cr_assert_eq(nrecs, 2);
    cr_assert_str_eq(recs[1].title, "last");
    cr_assert_eq(st.skipped, 1);
    cr_assert(strstr(last_warn, ":2: line longer than 64 MiB") != NULL, "%s", last_warn);
}

Test(loaders, csv_with_header)
{
    const char *p = tp("h.csv");
    char src[PATH_MAX + 16];
    bl_load_opts o = opts(0);

    write_str(p, "ID, Title ,Body,extra\n"
                 "1,T1,B1,x\n"
                 "\n"
                 "2,\"T,2\",\"multi\nline \"\"q\"\"\",y\n"
                 "3,T3\n"
                 "4,T4,\"B4\"");
    cr_assert_eq(load(p, &o), 0, "%s", bl_error_detail());
    cr_assert_eq(nrecs, 4);
    cr_assert_str_eq(recs[0].id, "1");
    cr_assert_str_eq(recs[0].title, "T1");
    cr_assert_str_eq(recs[0].text, "B1");
    cr_assert_str_eq(recs[1].title, "T,2");
    cr_assert_str_eq(recs[1].text, "multi\nline \"q\"");
    snprintf(src, sizeof src, "%s:4", p);
    cr_assert_str_eq(recs[1].source, src);
    cr_assert_str_eq(recs[2].text, ""); /* a short row: missing fields empty */
    snprintf(src, sizeof src, "%s:6", p);
    cr_assert_str_eq(recs[2].source, src);
    cr_assert_str_eq(recs[3].text, "B4"); /* no newline at the end */
}

Test(loaders, csv_columns_option)
{
    const char *p = tp("ag.csv");
    bl_load_opts o = opts(0);

    write_str(p, "\"3\",\"Fears for pension\",\"Unions said \"\"no\"\".\"\n"
                 "\"4\",\"Second\",\"Body two\"\n");
    o.csv_columns = "class,title,body";
    cr_assert_eq(load(p, &o), 0, "%s", bl_error_detail());
    cr_assert_eq(nrecs, 2);
    cr_assert_str_eq(recs[0].title, "Fears for pension");
    cr_assert_str_eq(recs[0].text, "Unions said \"no\".");
    cr_assert_str_eq(recs[1].id, "");

    /* Without the option, a first row holding a number is data: the
     * columns are guessed (the longest field is the text, the field before
     * it the title), with a warning. */
    o.csv_columns = NULL;
    cr_assert_eq(load(p, &o), 0, "%s", bl_error_detail());
    cr_assert_eq(nrecs, 2);
    cr_assert_str_eq(recs[0].title, "Fears for pension");
    cr_assert_str_eq(recs[0].text, "Unions said \"no\".");
    cr_assert_str_eq(recs[1].title, "Second");

    o.csv_columns = "class,label";
    cr_assert_eq(load(p, &o), BL_EINVAL);
}

Test(loaders, csv_unbalanced_quote)
{
    const char *p = tp("q.csv");
    char want[PATH_MAX + 32];
    bl_load_opts o = opts(0);

    write_str(p, "title,body\n"
                 "a,b\n"
                 "c,d\n"
                 "e,\"never closed\n"
                 "f,g\n");
    cr_assert_eq(load(p, &o), BL_EFORMAT);
    snprintf(want, sizeof want, "%s:4: unbalanced quote", p);
    assert_detail_has(want);
    cr_assert_eq(nrecs, 2);

    o = opts(1);
    cr_assert_eq(load(p, &o), 0, "%s", bl_error_detail());
    cr_assert_eq(nrecs, 2);
    cr_assert_eq(st.skipped, 1);
    cr_assert_eq(nwarn, 1);
}

Test(loaders, csv_empty_row_is_a_warning)
{
    const char *p = tp("e.csv");
    bl_load_opts o = opts(0);

    write_str(p, "id,title,body\n,,\n7,,\nx,y,z\n");
    cr_assert_eq(load(p, &o), 0, "%s", bl_error_detail());
    cr_assert_eq(nrecs, 2); /* row 3 has an id: kept */
    cr_assert_str_eq(recs[0].id, "7");
    cr_assert_str_eq(recs[1].title, "y");
    cr_assert_eq(st.skipped, 0);
    cr_assert_eq(st.warnings, 2);
    cr_assert(strstr(last_warn, ":3: article has no title and no text (kept for its id)") != NULL,
              "%s", last_warn);

    o.strict = 1;
    cr_assert_eq(load(p, &o), BL_EFORMAT);
    assert_detail_has(":2: article has no title and no text");
    cr_assert(strstr(bl_error_detail(), "skipped") == NULL, "%s", bl_error_detail());
}

Test(loaders, csv_extra_fields_are_bad)
{
    const char *p = tp("x.csv");
    char want[PATH_MAX + 64];
    bl_load_opts o = opts(0);

    /* Row 3 has an unquoted comma: its text would be cut at it. Row 4 only
     * has a trailing comma: nothing is lost. */
    write_str(p, "title,body\n"
                 "a,b\n"
                 "c,d, and the rest\n"
                 "e,f,\n");
    cr_assert_eq(load(p, &o), BL_EFORMAT);
    snprintf(want, sizeof want, "%s:3: CSV row has 3 fields, but the header names 2 columns", p);
    assert_detail_has(want);
    cr_assert_eq(nrecs, 1);

    o = opts(1);
    cr_assert_eq(load(p, &o), 0, "%s", bl_error_detail());
    cr_assert_eq(nrecs, 2);
    cr_assert_str_eq(recs[1].text, "f");
    cr_assert_eq(st.skipped, 1);

    /* The same count holds for names given by csv_columns. */
    write_str(p, "1,t,b\n2,t,b,more\n");
    o = opts(0);
    o.csv_columns = "class,title,body";
    cr_assert_eq(load(p, &o), BL_EFORMAT);
    assert_detail_has(":2: CSV row has 4 fields, but --csv-columns names 3 columns");
}

static const char sgml_doc[] =
    "<!DOCTYPE lewis SYSTEM \"lewis.dtd\">\n"
    "<REUTERS TOPICS=\"YES\" OLDID=\"5544\" NEWID=\"1\">\n"
    "<DATE>26-FEB-1987 15:01:01.79</DATE>\n"
    "<TOPICS><D>cocoa</D></TOPICS>\n"
    "<TEXT>&#2;\n"
    "<TITLE>BAHIA &lt;BCR&gt; COCOA &amp; SUGAR</TITLE>\n"
    "<DATELINE>    SALVADOR, Feb 26 - </DATELINE><BODY>Showers &quot;continued&apos;\n"
    "caf&#233; &#x41;&#1;B\n"
    " Reuter\n"
    "&#3;</BODY></TEXT>\n"
    "</REUTERS>\n"
    "<REUTERS NEWID=\"2\">\n"
    "<DATE>  3-MAR-1987  09:15:05.40&#5;&#5;RM</DATE>\n"
    "<TEXT TYPE=\"BRIEF\">&#2;\n"
    "******<TITLE>ASSETS OF MONEY\nFUNDS ROSE\n</TITLE>Blah blah blah.\n"
    "&#3;\n"
    "</TEXT>\n"
    "</REUTERS>\n"
    "<REUTERS NEWID=\"3\">\n"
    "<DATE>not a date</DATE>\n"
    "<TEXT TYPE=\"UNPROC\">&#2;\n"
    "FEDERAL RESERVE WEEKLY REPORT\n"
    " Net free reserves...644\n"
    "&#3;</TEXT>\n"
    "</REUTERS>\n";

Test(loaders, sgml_records)
{
    const char *p = tp("r.sgm");
    bl_load_opts o = opts(0);

    write_str(p, sgml_doc);
    cr_assert_eq(load(p, &o), 0, "%s", bl_error_detail());
    cr_assert_eq(nrecs, 3);
    cr_assert_str_eq(recs[0].id, "1");
    cr_assert_str_eq(recs[0].title, "BAHIA <BCR> COCOA & SUGAR");
    cr_assert_str_eq(recs[0].date, "1987-02-26T15:01:01");
    cr_assert_str_eq(recs[0].text, "SALVADOR, Feb 26 - Showers \"continued'\n"
                                   "caf\xC3\xA9 A B\n Reuter");
    char src[4200];
    snprintf(src, sizeof src, "%s:2", p); /* the record starts on line 2 */
    cr_assert_str_eq(recs[0].source, src);
    cr_assert_str_eq(recs[1].id, "2");
    cr_assert_str_eq(recs[1].title, "ASSETS OF MONEY FUNDS ROSE");
    cr_assert_str_eq(recs[1].text, "");
    cr_assert_str_eq(recs[1].date, "1987-03-03T09:15:05");
    cr_assert_str_eq(recs[2].id, "3");
    cr_assert_str_eq(recs[2].title, "");
    cr_assert_str_eq(recs[2].text, "FEDERAL RESERVE WEEKLY REPORT\n"
                                   " Net free reserves...644");
    cr_assert_str_eq(recs[2].date, "not a date");
}

Test(loaders, sgml_entities)
{
    const char *p = tp("ent.sgml");
    bl_load_opts o = opts(0);

    write_str(p, "<REUTERS NEWID=\"9\"><TEXT><TITLE>a&#0;b &#127;c &foo; AT&T &#;"
                 " &#99999999; &#xD800; &#x20AC;&#8364; &amp;lt; &lt&gt;"
                 "</TITLE></TEXT></REUTERS>");
    cr_assert_eq(load(p, &o), 0, "%s", bl_error_detail());
    cr_assert_eq(nrecs, 1);
    cr_assert_str_eq(recs[0].title,
                     "a b  c &foo; AT&T &#; &#99999999; &#xD800; "
                     "\xE2\x82\xAC\xE2\x82\xAC &lt; &lt>");
}

Test(loaders, sgml_unterminated_record)
{
    const char *p = tp("u.sgm");
    char want[PATH_MAX + 32];
    bl_load_opts o = opts(0);

    write_str(p, "<REUTERS NEWID=\"1\"><TEXT><TITLE>one</TITLE></TEXT></REUTERS>\n"
                 "\n"
                 "<REUTERS NEWID=\"2\"><TEXT><TITLE>two</TITLE></TEXT>\n"
                 "<REUTERS NEWID=\"3\"><TEXT><TITLE>three</TITLE></TEXT></REUTERS>\n"
                 "<REUTERS NEWID=\"4\"><TEXT><TITLE>four</TITLE>\n");
    cr_assert_eq(load(p, &o), BL_EFORMAT);
    snprintf(want, sizeof want, "%s:3: unterminated <REUTERS> record", p);
    assert_detail_has(want);
    cr_assert_eq(nrecs, 1);

    o = opts(1);
    cr_assert_eq(load(p, &o), 0, "%s", bl_error_detail());
    cr_assert_eq(nrecs, 2);
    cr_assert_str_eq(recs[1].title, "three");
    cr_assert_eq(st.skipped, 2);
    snprintf(want, sizeof want, "%s:5: unterminated", p);
    cr_assert(strstr(last_warn, want) != NULL, "%s", last_warn);
}

Test(loaders, sgml_unclosed_element)
{
    const char *p = tp("t.sgm");
    char want[PATH_MAX + 64];
    bl_load_opts o = opts(0);

    /* Record 2's TITLE never closes: its title and body would be lost. */
    write_str(p, "<REUTERS NEWID=\"1\"><TEXT><TITLE>one</TITLE></TEXT></REUTERS>\n"
                 "<REUTERS NEWID=\"2\">\n"
                 "<TEXT><TITLE>COFFEE PRICES\n"
                 "<DATELINE>SAO PAULO</DATELINE><BODY>Prices rose.</BODY></TEXT>\n"
                 "</REUTERS>\n"
                 "<REUTERS NEWID=\"3\"><DATE>1-MAR-1987\n<TEXT><BODY>x</BODY></TEXT></REUTERS>\n"
                 "<REUTERS NEWID=\"4\"><TEXT><TITLE>four</TITLE><BODY>y</TEXT></REUTERS>\n"
                 "<REUTERS NEWID=\"5\"><TEXT><TITLE>five</TITLE></REUTERS>\n");
    cr_assert_eq(load(p, &o), BL_EFORMAT);
    snprintf(want, sizeof want, "%s:2: <TITLE> not closed by </TITLE>", p);
    assert_detail_has(want);
    cr_assert_eq(nrecs, 1);

    o = opts(1);
    cr_assert_eq(load(p, &o), 0, "%s", bl_error_detail());
    cr_assert_eq(nrecs, 1);
    cr_assert_eq(st.skipped, 4);
    cr_assert(strstr(last_warn, ":9: <TEXT> not closed") != NULL, "%s", last_warn);
}

Test(loaders, sgml_record_without_text)
{
    const char *p = tp("e.sgm");
    bl_load_opts o = opts(0);

    write_str(p, "<REUTERS NEWID=\"12793\"><TEXT>&#2;\n</TEXT></REUTERS>\n"
                 "<REUTERS><TEXT> </TEXT></REUTERS>\n"
                 "<REUTERS NEWID=\"3\"><TEXT><TITLE>t</TITLE></TEXT></REUTERS>\n");
    cr_assert_eq(load(p, &o), 0, "%s", bl_error_detail());
    cr_assert_eq(nrecs, 2);
    cr_assert_str_eq(recs[0].id, "12793");
    cr_assert_eq(st.warnings, 2);
    cr_assert(strstr(last_warn, ":3: article has no title and no text, skipped") != NULL,
              "%s", last_warn);
}

Test(loaders, sgml_without_records)
{
    const char *p = tp("none.sgm");
    bl_load_opts o = opts(0);

    write_str(p, "<!DOCTYPE lewis SYSTEM \"lewis.dtd\">\n");
    cr_assert_eq(load(p, &o), BL_EFORMAT);
    assert_detail_has("no <REUTERS> record");
}

/* ---- gzip ---- */

/* The same article file, plain and gzipped, gives the same articles. */
static void check_gzip_twin(const char *name, const char *content, size_t want)
{
    char gzname[64];
    const char *plain = tp(name), *packed;
    bl_load_opts o = opts(0);
    char **titles;

    snprintf(gzname, sizeof gzname, "%s.gz", name);
    packed = tp(gzname);
    write_str(plain, content);
    write_gz(packed, content, strlen(content));

    cr_assert_eq(load(plain, &o), 0, "%s", bl_error_detail());
    cr_assert_eq(nrecs, want, "%s: %zu articles", name, nrecs);
    titles = malloc(want * sizeof *titles);
    cr_assert_not_null(titles);
    for (size_t i = 0; i < want; i++)
        titles[i] = strdup(recs[i].title);

    cr_assert_eq(load(packed, &o), 0, "%s", bl_error_detail());
    cr_assert_eq(nrecs, want, "%s: %zu articles", gzname, nrecs);
    cr_assert_eq(st.bytes, (uint64_t)file_size(packed));
    for (size_t i = 0; i < want; i++) {
        cr_assert_str_eq(recs[i].title, titles[i]);
        free(titles[i]);
    }
    free(titles);
}

Test(loaders, gzip_each_format)
{
    check_gzip_twin("a.txt", "Title\n\nBody\n", 1);
    check_gzip_twin("a.jsonl", jsonl_good, 3);
    check_gzip_twin("a.ndjson", jsonl_good, 3);
    check_gzip_twin("a.csv", "title,body\nx,y\n\"z\",w\n", 2);
    check_gzip_twin("a.sgm", sgml_doc, 3);
}

/* Writes content gzipped, then keeps only `keep` bytes of it. */
static void write_gz_cut(const char *path, const char *content, size_t keep)
{
    write_gz(path, content, strlen(content));
    cr_assert(keep < (size_t)file_size(path));
    cr_assert_eq(truncate(path, (off_t)keep), 0);
}

Test(loaders, gzip_truncated)
{
    static char big[20000];
    const char *p;
    bl_load_opts o = opts(0);

    for (size_t i = 0; i + 1 < sizeof big; i++)
        big[i] = "abcdefghij klmnop\nqrstu vwxyz"[(i * 7 + i / 13) % 29];

    p = tp("cut.txt.gz");
    write_gz_cut(p, big, 200);
    cr_assert_eq(load(p, &o), BL_EFORMAT);
    assert_detail_has("cut.txt.gz: truncated gzip");
    cr_assert_eq(nrecs, 0);

    p = tp("cut.jsonl.gz");
    write_gz_cut(p, jsonl_good, 30);
    cr_assert_eq(load(p, &o), BL_EFORMAT);
    assert_detail_has("cut.jsonl.gz: truncated gzip data (ends after ");

    /* Only the 8-byte trailer (CRC, length) missing. */
    p = tp("trailer.csv.gz");
    write_gz(p, "title\nx\n", 8);
    cr_assert_eq(truncate(p, file_size(p) - 4), 0);
    cr_assert_eq(load(p, &o), BL_EFORMAT);
    assert_detail_has("truncated gzip");

    o = opts(1);
    p = tp("cut.sgm.gz");
    write_gz_cut(p, sgml_doc, 100);
    cr_assert_eq(load(p, &o), 0, "%s", bl_error_detail());
    cr_assert_eq(st.skipped, 1);
    cr_assert_eq(nwarn, 1);
}

Test(loaders, gzip_corrupt)
{
    const char *p = tp("bad.jsonl.gz");
    bl_load_opts o = opts(0);
    unsigned char data[512];
    FILE *f;
    size_t n;

    write_gz(p, jsonl_good, strlen(jsonl_good));
    f = fopen(p, "rb");
    cr_assert_not_null(f);
    n = fread(data, 1, sizeof data, f);
    fclose(f);
    data[n - 6] ^= 0xFF; /* the stored CRC: the check at the end fails */
    write_bytes(p, data, n);
    cr_assert_eq(load(p, &o), BL_EFORMAT);
    assert_detail_has("bad.jsonl.gz: corrupt gzip data");
}

/* ---- empty and binary files ---- */

Test(loaders, empty_files)
{
    static const char *names[] = {"e.txt", "e.jsonl", "e.csv", "e.sgm",
                                  "w.txt", "w.jsonl", "w.csv", "w.sgm",
                                  "e.txt.gz"};
    bl_load_opts o = opts(0);

    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const char *p = tp(names[i]);
        char want[PATH_MAX + 32];
        if (names[i][0] == 'w')
            write_str(p, " \n\t\r\n  \n");
        else if (strstr(names[i], ".gz"))
            write_gz(p, "", 0);
        else
            write_str(p, "");
        /* A warning: skipped, loading goes on. */
        o = opts(0);
        cr_assert_eq(load(p, &o), 0, "%s: %s", names[i], bl_error_detail());
        cr_assert_eq(nrecs, 0);
        cr_assert_eq(st.files, 1);
        cr_assert_eq(st.warnings, 1);
        cr_assert_eq(st.skipped, 0);
        snprintf(want, sizeof want, "%s: empty file, skipped", p);
        cr_assert_str_eq(last_warn, want);
        /* Strict: an error. */
        o.strict = 1;
        cr_assert_eq(load(p, &o), BL_EFORMAT, "%s", names[i]);
        snprintf(want, sizeof want, "%s: empty file", p);
        cr_assert_str_eq(bl_error_detail(), want);
        cr_assert_eq(nwarn, 0);
    }

    o = opts(1);
    o.strict = 1;
    cr_assert_eq(load(tp("e.txt"), &o), 0);
    cr_assert_eq(st.skipped, 1);
    cr_assert_eq(st.warnings, 0);
    cr_assert_eq(nwarn, 1);
    cr_assert(strstr(last_warn, "empty file") != NULL, "%s", last_warn);
}

Test(loaders, binary_files)
{
    static const char bin[] = "Title\n\0\x01\x02 body";
    bl_load_opts o = opts(0);
    const char *p;

    p = tp("bin.txt");
    write_bytes(p, bin, sizeof bin - 1);
    cr_assert_eq(load(p, &o), BL_EFORMAT);
    assert_detail_has("bin.txt: byte 6: NUL byte, not a text file");

    p = tp("bin.jsonl.gz");
    write_gz(p, bin, sizeof bin - 1);
    cr_assert_eq(load(p, &o), BL_EFORMAT);
    assert_detail_has("bin.jsonl.gz: byte 6: NUL byte");

    p = tp("bin.csv");
    write_bytes(p, bin, sizeof bin - 1);
    o = opts(1);
    cr_assert_eq(load(p, &o), 0);
    cr_assert_eq(st.skipped, 1);
    cr_assert_eq(nrecs, 0);
}

Test(loaders, file_too_big)
{
    const char *p = tp("huge.txt");
    int fd = open(p, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    bl_load_opts o = opts(0);

    cr_assert_geq(fd, 0);
    cr_assert_eq(ftruncate(fd, ((off_t)256 << 20) + 1), 0); /* sparse */
    close(fd);
    cr_assert_eq(load(p, &o), BL_ETOOBIG);
    assert_detail_has("huge.txt: over 256 MiB");

    o = opts(1);
    cr_assert_eq(load(p, &o), 0);
    cr_assert_eq(st.skipped, 1);
}

/* ---- paths ---- */

Test(loaders, unknown_extension)
{
    const char *p = tp("notes.md");
    bl_load_opts o = opts(0);

    write_str(p, "Heading\n\nText\n");
    cr_assert_eq(load(p, &o), BL_EINVAL);
    assert_detail_has("notes.md: unknown extension");
    cr_assert_eq(load(tp("missing.txt"), &o), BL_EIO);
    o.format = BL_FORMAT_TXT;
    cr_assert_eq(load(p, &o), 0, "%s", bl_error_detail());
    cr_assert_str_eq(recs[0].title, "Heading");
}

Test(loaders, directory_walk)
{
    bl_load_opts o = opts(0);
    char want[PATH_MAX];

    cr_assert_eq(mkdir(tp("d"), 0755), 0);
    cr_assert_eq(mkdir(tp("d/sub"), 0755), 0);
    cr_assert_eq(mkdir(tp("d/.git"), 0755), 0);
    cr_assert_eq(mkdir(tp("d/B"), 0755), 0);
    write_str(tp("d/b.txt"), "b\n");
    write_str(tp("d/a.txt"), "a\n");
    write_str(tp("d/B/x.txt"), "B/x\n");
    write_str(tp("d/sub/c.jsonl"), "{\"title\": \"sub/c1\"}\n{\"title\": \"sub/c2\"}\n");
    write_str(tp("d/sub/a.sgml"), "<REUTERS NEWID=\"1\"><TEXT><TITLE>sub/a"
                                  "</TITLE></TEXT></REUTERS>");
    write_gz(tp("d/z.csv.gz"), "title\nz\n", 8);
    write_str(tp("d/.hidden.txt"), "hidden\n");
    write_str(tp("d/.git/h.txt"), "hidden too\n");
    write_str(tp("d/README.TXT"), "upper case: ignored\n");
    write_str(tp("d/notes.md"), "ignored\n");
    write_str(tp("d/txt"), "ignored: no extension\n");

    snprintf(want, sizeof want, "%s/", tp("d")); /* a trailing slash is fine */
    cr_assert_eq(load(want, &o), 0, "%s", bl_error_detail());
    cr_assert_eq(nrecs, 7);
    const char *order[] = {"B/x", "a", "b", "sub/a", "sub/c1", "sub/c2", "z"};
    for (size_t i = 0; i < 7; i++)
        cr_assert_str_eq(recs[i].title, order[i]);
    snprintf(want, sizeof want, "%s/sub/a.sgml:1", tp("d"));
    cr_assert_str_eq(recs[3].source, want);
    cr_assert_eq(st.files, 6);
    cr_assert_eq(st.files_ignored, 3);
    cr_assert_eq(nprogress, 6);

    /* A forced format reads every regular file, whatever its name; hidden
     * ones stay out. */
    write_str(tp("d/sub/c.jsonl"), "Plain title\n");
    write_str(tp("d/sub/a.sgml"), "Plain too\n");
    write_str(tp("d/z.csv.gz"), "And this\n");
    o.format = BL_FORMAT_TXT;
    cr_assert_eq(load(tp("d"), &o), 0, "%s", bl_error_detail());
    cr_assert_eq(nrecs, 9);
    cr_assert_eq(st.files_ignored, 0);
    const char *forced[] = {"B/x", "upper case: ignored", "a", "b", "ignored", "Plain too",
                            "Plain title", "ignored: no extension", "And this"};
    for (size_t i = 0; i < 9; i++)
        cr_assert_str_eq(recs[i].title, forced[i]);
}

/* 20 Newsgroups keeps one message a file, named by number, no extension. */
Test(loaders, format_reads_files_without_extension)
{
    bl_load_opts o = opts(0);
    char want[PATH_MAX];

    cr_assert_eq(mkdir(tp("ng"), 0755), 0);
    cr_assert_eq(mkdir(tp("ng/sci.space"), 0755), 0);
    write_str(tp("ng/sci.space/60150"), "Subject: Shuttle launch\n\nThe shuttle flew.\n");
    write_str(tp("ng/sci.space/60151"), "Subject: Moon base\n\nA base on the moon.\n");
    write_str(tp("ng/sci.space/.overview"), "hidden\n");
    cr_assert_eq(load(tp("ng"), &o), 0, "%s", bl_error_detail());
    cr_assert_eq(nrecs, 0);
    cr_assert_eq(st.files_ignored, 2); /* without a format, as before */

    o.format = BL_FORMAT_TXT;
    cr_assert_eq(load(tp("ng"), &o), 0, "%s", bl_error_detail());
    cr_assert_eq(nrecs, 2);
    cr_assert_str_eq(recs[0].title, "Subject: Shuttle launch");
    fmt_path(want, "%s/sci.space/60151", tp("ng"));
    cr_assert_str_eq(recs[1].source, want);
    cr_assert_eq(st.files_ignored, 0);
}

Test(loaders, directory_skip_bad_goes_on)
{
    bl_load_opts o = opts(0);

    cr_assert_eq(mkdir(tp("d"), 0755), 0);
    write_str(tp("d/1.txt"), "one\n");
    write_str(tp("d/2.txt"), "");
    write_str(tp("d/3.jsonl"), "{\"title\": \"three\"}\n{broken\n");
    write_bytes(tp("d/4.txt"), "\x01\x02\x00 binary\n", 11);
    write_str(tp("d/5.txt"), "five\n");
    cr_assert_eq(load(tp("d"), &o), BL_EFORMAT);
    assert_detail_has("3.jsonl:2: invalid JSON");
    cr_assert_eq(nrecs, 2);
    cr_assert_eq(st.warnings, 1); /* 2.txt, empty */

    o = opts(1);
    cr_assert_eq(load(tp("d"), &o), 0, "%s", bl_error_detail());
    cr_assert_eq(nrecs, 3);
    cr_assert_eq(st.skipped, 2);
    cr_assert_eq(st.warnings, 1);
    cr_assert_eq(nwarn, 3);
    cr_assert_eq(st.files, 5);
    cr_assert_eq(nprogress, 5);
}

static int stop_at_second(void *ctx, const bl_article *a)
{
    int *seen = ctx;
    (void)a;
    return ++*seen == 2 ? BL_EFORMAT : 0; /* a callback's own code */
}

Test(loaders, callback_stops_loading)
{
    const char *p = tp("s.jsonl");
    bl_load_opts o = opts(1);
    int seen = 0;

    write_str(p, "{\"title\": \"1\"}\n{\"title\": \"2\"}\n{\"title\": \"3\"}\n");
    /* Even under skip_bad, the callback's code stops everything. */
    cr_assert_eq(bl_load_path(p, &o, stop_at_second, &seen, &st), BL_EFORMAT);
    cr_assert_eq(seen, 2);
    cr_assert_eq(st.skipped, 0);
    cr_assert_eq(nwarn, 0);
}

Test(loaders, stats_add_up_and_null_args)
{
    const char *a = tp("a.txt"), *b = tp("b.txt");
    bl_load_stats sum = {0};

    write_str(a, "A\n");
    write_str(b, "B\n");
    cr_assert_eq(bl_load_path(a, NULL, collect, NULL, &sum), 0);
    cr_assert_eq(bl_load_path(b, NULL, collect, NULL, &sum), 0);
    cr_assert_eq(bl_load_path(b, NULL, collect, NULL, NULL), 0);
    cr_assert_eq(sum.files, 2);
    cr_assert_eq(sum.articles, 2);
    cr_assert_eq(sum.bytes, 4);
    cr_assert_eq(bl_load_path(a, NULL, NULL, NULL, NULL), BL_EINVAL);
}

/* ---- txt titles ---- */

/* Reuter 50/50 stories start with their first paragraph, not a headline. */
static const char story[] = "  The Bank of Japan left rates unchanged on Tuesday, as "
                            "expected.\nAnalysts had forecast no move.\n";

Test(loaders, title_modes)
{
    const char *p = tp("412369newsML.txt");
    bl_load_opts o = opts(0);
    bl_title_mode m;

    write_str(p, story);
    cr_assert_eq(load(p, &o), 0, "%s", bl_error_detail());
    cr_assert_str_eq(recs[0].title, "The Bank of Japan left rates unchanged on Tuesday, as expected.");
    cr_assert_str_eq(recs[0].text, "Analysts had forecast no move.");

    cr_assert_eq(bl_title_mode_parse("none", &m), 0);
    o.title = m;
    cr_assert_eq(load(p, &o), 0, "%s", bl_error_detail());
    cr_assert_eq(nrecs, 1);
    cr_assert_str_eq(recs[0].title, "");
    cr_assert_str_eq(recs[0].text, "The Bank of Japan left rates unchanged on Tuesday, as "
                                   "expected.\nAnalysts had forecast no move.");

    cr_assert_eq(bl_title_mode_parse("FILENAME", &m), 0);
    o.title = m;
    cr_assert_eq(load(p, &o), 0, "%s", bl_error_detail());
    cr_assert_str_eq(recs[0].title, "412369newsML");
    cr_assert_str_eq(recs[0].text, "The Bank of Japan left rates unchanged on Tuesday, as "
                                   "expected.\nAnalysts had forecast no move.");

    /* The base name loses ".gz" and one extension, no more. */
    write_gz(tp("a.b.txt.gz"), story, strlen(story));
    cr_assert_eq(load(tp("a.b.txt.gz"), &o), 0, "%s", bl_error_detail());
    cr_assert_str_eq(recs[0].title, "a.b");
    write_str(tp("53068"), "x\n");
    o.format = BL_FORMAT_TXT;
    cr_assert_eq(load(tp("53068"), &o), 0, "%s", bl_error_detail());
    cr_assert_str_eq(recs[0].title, "53068");
    cr_assert_str_eq(recs[0].text, "x");

    /* Whitespace only is still an empty file in every mode. */
    write_str(p, " \n\n");
    cr_assert_eq(load(p, &o), 0, "%s", bl_error_detail());
    cr_assert_eq(nrecs, 0);
    cr_assert_eq(st.warnings, 1);

    cr_assert_eq(bl_title_mode_parse("first", &m), BL_EINVAL);
    assert_detail_has("first-line, none or filename");
}

/* ---- --fields ---- */

Test(loaders, field_map_parse)
{
    bl_field_map m;

    cr_assert_eq(bl_field_map_parse(&m, "title=headline,body=content,date=meta.date,"
                                        "id=uuid,url=link"), 0, "%s", bl_error_detail());
    cr_assert_str_eq(m.name[BL_FIELD_TITLE], "headline");
    cr_assert_str_eq(m.name[BL_FIELD_TEXT], "content");
    cr_assert_str_eq(m.name[BL_FIELD_DATE], "meta.date");
    cr_assert_str_eq(m.name[BL_FIELD_ID], "uuid");
    cr_assert_str_eq(m.name[BL_FIELD_URL], "link");
    bl_field_map_release(&m);
    cr_assert_null(m.name[BL_FIELD_TITLE]);

    cr_assert_eq(bl_field_map_parse(&m, "text=content"), 0);
    cr_assert_null(m.name[BL_FIELD_TITLE]);
    bl_field_map_release(&m);

    static const struct {
        const char *spec, *says;
    } bad[] = {
        {"", "empty"},
        {"headline", "\"headline\" is not TARGET=NAME"},
        {"title=", "\"title=\" is not TARGET=NAME"},
        {"=headline", "is not TARGET=NAME"},
        {"title=a,", "\"\" is not TARGET=NAME"},
        {"title=a,,text=b", "is not TARGET=NAME"},
        {"author=byline", "unknown field \"author\""},
        {"Title=x", "unknown field \"Title\""},
        {"title=a,title=b", "title is named twice"},
        {"body=a,text=b", "text is named twice"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        bl_error_clear();
        cr_assert_eq(bl_field_map_parse(&m, bad[i].spec), BL_EINVAL, "\"%s\"", bad[i].spec);
        assert_detail_has(bad[i].says);
        for (int f = 0; f < BL_FIELD_COUNT; f++)
            cr_assert_null(m.name[f]);
    }
}

Test(loaders, fields_jsonl)
{
    const char *p = tp("dump.jsonl");
    bl_field_map m;
    bl_load_opts o = opts(0);

    write_str(p, "{\"uuid\": \"a-1\", \"headline\": \"Rates\", \"content\": \"Held.\", "
                 "\"published_at\": \"2024-05-01\", \"link\": \"http://x/1\", "
                 "\"title\": \"ignored\", \"id\": 99}\n"
                 "{\"uuid\": 42, \"headline\": \"Nested\", \"content\": \"\", \"text\": \"not used\","
                 " \"meta\": {\"published_at\": \"2024-05-02\"}}\n"
                 "{\"uuid\": \"a-3\", \"headline\": \"Literal key\", \"meta.published_at\": \"lit\","
                 " \"meta\": {\"published_at\": \"nested\"}}\n"
                 "{\"uuid\": \"a-4\", \"headline\": \"No meta\", \"meta\": \"flat\"}\n");
    cr_assert_eq(bl_field_map_parse(&m, "title=headline,text=content,date=published_at,"
                                        "id=uuid,url=link"), 0);
    o.fields = &m;
    cr_assert_eq(load(p, &o), 0, "%s", bl_error_detail());
    cr_assert_eq(nrecs, 4);
    cr_assert_str_eq(recs[0].id, "a-1");
    cr_assert_str_eq(recs[0].title, "Rates");
    cr_assert_str_eq(recs[0].text, "Held.");
    cr_assert_str_eq(recs[0].date, "2024-05-01");
    cr_assert_str_eq(recs[0].url, "http://x/1");
    cr_assert_str_eq(recs[1].id, "42");
    cr_assert_str_eq(recs[1].text, ""); /* a renamed text has no fallback */
    cr_assert_str_eq(recs[1].date, ""); /* no dots in the name: no nesting */
    bl_field_map_release(&m);

    cr_assert_eq(bl_field_map_parse(&m, "title=headline,date=meta.published_at"), 0);
    o.fields = &m;
    cr_assert_eq(load(p, &o), 0, "%s", bl_error_detail());
    cr_assert_eq(nrecs, 4);
    cr_assert_str_eq(recs[0].id, "99"); /* id keeps its default name */
    cr_assert_str_eq(recs[1].date, "2024-05-02");
    cr_assert_str_eq(recs[1].text, "not used"); /* body/text defaults apply */
    cr_assert_str_eq(recs[2].date, "lit");
    cr_assert_str_eq(recs[3].date, "");

    /* A renamed field of the wrong type is bad, named by its key. */
    write_str(p, "{\"headline\": \"x\", \"meta\": {\"published_at\": [5]}}\n");
    cr_assert_eq(load(p, &o), BL_EFORMAT);
    assert_detail_has(":1: \"meta.published_at\" is not a string");
    bl_field_map_release(&m);
}

Test(loaders, fields_csv)
{
    const char *p = tp("dump.csv");
    bl_field_map m;
    bl_load_opts o = opts(0);

    write_str(p, "uuid,Headline,content,title,published_at\n"
                 "u1,Rates held,The bank waited.,not this one,2024-05-01\n");
    cr_assert_eq(bl_field_map_parse(&m, "title=headline,text=content,date=published_at,id=uuid"),
                 0);
    o.fields = &m;
    cr_assert_eq(load(p, &o), 0, "%s", bl_error_detail());
    cr_assert_eq(nrecs, 1);
    cr_assert_str_eq(recs[0].id, "u1");
    cr_assert_str_eq(recs[0].title, "Rates held");
    cr_assert_str_eq(recs[0].text, "The bank waited.");
    cr_assert_str_eq(recs[0].date, "2024-05-01");
    bl_field_map_release(&m);

    /* A header without the renamed columns says what it looked for. */
    cr_assert_eq(bl_field_map_parse(&m, "title=heading,text=story"), 0);
    cr_assert_eq(load(p, &o), BL_EFORMAT);
    assert_detail_has(":1: CSV header names no heading or story column");
    bl_field_map_release(&m);
}

/* ---- standard input and lists of paths ---- */

/* Makes path the process's standard input (each Criterion test runs in a
 * process of its own). */
static void stdin_from(const char *path)
{
    int fd = open(path, O_RDONLY);
    cr_assert_geq(fd, 0);
    cr_assert_eq(dup2(fd, STDIN_FILENO), STDIN_FILENO);
    close(fd);
}

/* Feeds data to standard input through a pipe, as `zcat | byline` does. */
static void stdin_pipe(const void *data, size_t n)
{
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    cr_assert(n < 60000, "keep it under the pipe's buffer");
    cr_assert_eq(write(fds[1], data, n), (ssize_t)n);
    close(fds[1]);
    cr_assert_eq(dup2(fds[0], STDIN_FILENO), STDIN_FILENO);
    close(fds[0]);
}

Test(loaders, stdin_needs_a_format)
{
    bl_load_opts o = opts(0);

    cr_assert_eq(load("-", &o), BL_EINVAL);
    assert_detail_has("stdin: reading standard input needs a format");
}

Test(loaders, stdin_jsonl_through_a_pipe)
{
    bl_load_opts o = opts(0);

    stdin_pipe(jsonl_good, strlen(jsonl_good));
    o.format = BL_FORMAT_JSONL;
    cr_assert_eq(load("-", &o), 0, "%s", bl_error_detail());
    cr_assert_eq(nrecs, 3);
    cr_assert_str_eq(recs[1].source, "stdin:3");
    cr_assert_eq(st.files, 1);
    cr_assert_eq(st.bytes, strlen(jsonl_good));
}

Test(loaders, stdin_gzip_is_told_by_its_magic)
{
    const char *gz = tp("feed.gz");
    bl_load_opts o = opts(0);
    unsigned char *data;
    size_t n;
    FILE *f;

    write_gz(gz, jsonl_broken, strlen(jsonl_broken));
    data = malloc(4096);
    f = fopen(gz, "rb");
    cr_assert(data && f);
    n = fread(data, 1, 4096, f);
    fclose(f);
    stdin_pipe(data, n);
    free(data);
    o.format = BL_FORMAT_JSONL;
    cr_assert_eq(load("-", &o), BL_EFORMAT);
    assert_detail_has("stdin:3: invalid JSON");
    cr_assert_eq(nrecs, 2);
    cr_assert_str_eq(recs[1].title, "L2");
}

Test(loaders, stdin_txt_is_one_article)
{
    const char *p = tp("in.txt");
    bl_load_opts o = opts(0);

    write_str(p, "Headline\n\nBody.\n");
    stdin_from(p);
    o.format = BL_FORMAT_TXT;
    cr_assert_eq(load("-", &o), 0, "%s", bl_error_detail());
    cr_assert_eq(nrecs, 1);
    cr_assert_str_eq(recs[0].source, "stdin");
    cr_assert_str_eq(recs[0].title, "Headline");
    cr_assert_eq(st.bytes, (uint64_t)file_size(p));
}

/* Loads a list file afresh into recs/st. */
static int load_list(const char *list, int nul, const bl_load_opts *o)
{
    forget();
    bl_error_clear();
    return bl_load_list(list, nul, o, collect, NULL, &st);
}

Test(loaders, list_of_paths)
{
    bl_load_opts o = opts(0);
    char list[3 * PATH_MAX];
    int n;

    cr_assert_eq(mkdir(tp("d"), 0755), 0);
    write_str(tp("d/x.txt"), "x\n");
    write_str(tp("d/y.txt"), "y\n");
    write_str(tp("a.jsonl"), "{\"title\": \"a\"}\n");
    write_str(tp("-"), "dash\n"); /* in a list, "-" is a file named "-" */
    n = snprintf(list, sizeof list, "%s\r\n\n%s\n-\n", tp("a.jsonl"), tp("d"));
    cr_assert(n > 0 && (size_t)n < sizeof list);
    write_str(tp("list.txt"), list);
    cr_assert_eq(chdir(tmp), 0);
    o.format = BL_FORMAT_AUTO;
    cr_assert_eq(load_list(tp("list.txt"), 0, &o), BL_EINVAL); /* "-": no extension */
    o.format = BL_FORMAT_TXT;
    write_str(tp("a.jsonl"), "a\n");
    cr_assert_eq(load_list(tp("list.txt"), 0, &o), 0, "%s", bl_error_detail());
    cr_assert_eq(nrecs, 4);
    cr_assert_str_eq(recs[0].title, "a");
    cr_assert_str_eq(recs[1].title, "x");
    cr_assert_str_eq(recs[2].title, "y");
    cr_assert_str_eq(recs[3].title, "dash");
    cr_assert_eq(st.files, 4);
}

Test(loaders, list_nul_separated_from_stdin)
{
    bl_load_opts o = opts(0);
    char list[3 * PATH_MAX];
    size_t n = 0;

    write_str(tp("odd\nname.txt"), "odd\n");
    write_str(tp("b.txt"), "b\n");
    n += (size_t)snprintf(list + n, sizeof list - n, "%s", tp("odd\nname.txt")) + 1;
    n += (size_t)snprintf(list + n, sizeof list - n, "%s", tp("b.txt")) + 1;
    stdin_pipe(list, n);
    cr_assert_eq(load_list("-", 1, &o), 0, "%s", bl_error_detail());
    cr_assert_eq(nrecs, 2);
    cr_assert_str_eq(recs[0].title, "odd");
    cr_assert_str_eq(recs[1].title, "b");
}

Test(loaders, list_names_a_missing_path)
{
    bl_load_opts o = opts(0);
    char list[3 * PATH_MAX], want[PATH_MAX + 64];

    write_str(tp("a.txt"), "a\n");
    snprintf(list, sizeof list, "%s\n%s\n%s\n", tp("a.txt"), tp("gone.txt"), tp("a.txt"));
    write_str(tp("list"), list);
    cr_assert_eq(load_list(tp("list"), 0, &o), BL_EIO);
    snprintf(want, sizeof want, "%s:2: %s: No such file", tp("list"), tp("gone.txt"));
    assert_detail_has(want);
    cr_assert_eq(nrecs, 1);

    o = opts(1);
    cr_assert_eq(load_list(tp("list"), 0, &o), 0, "%s", bl_error_detail());
    cr_assert_eq(nrecs, 2);
    cr_assert_eq(st.skipped, 1);
    cr_assert(strstr(last_warn, want) != NULL, "%s", last_warn);

    /* A NUL-separated list read as lines. */
    write_bytes(tp("list0"), "a.txt\0b.txt\0", 12);
    o = opts(0);
    cr_assert_eq(load_list(tp("list0"), 0, &o), BL_EFORMAT);
    assert_detail_has("list0:1: NUL byte in a path (a NUL-separated list needs -0)");
    cr_assert_eq(load_list(tp("no-list"), 0, &o), BL_EIO);
    assert_detail_has("no-list: cannot open");
}

/* ---- paths the walker will not follow ---- */

Test(loaders, directories_too_deep_are_a_warning)
{
    bl_load_opts o = opts(0);
    char path[PATH_MAX];
    size_t n;

    n = (size_t)snprintf(path, sizeof path, "%s/deep", tmp);
    cr_assert_eq(mkdir(path, 0755), 0);
    write_str(tp("deep/top.txt"), "top\n");
    for (int i = 0; i < 66; i++) {
        n += (size_t)snprintf(path + n, sizeof path - n, "/d");
        cr_assert_eq(mkdir(path, 0755), 0);
    }
    snprintf(path + n, sizeof path - n, "/bottom.txt");
    write_str(path, "bottom\n");

    cr_assert_eq(load(tp("deep"), &o), 0, "%s", bl_error_detail());
    cr_assert_eq(nrecs, 1);
    cr_assert_str_eq(recs[0].title, "top");
    cr_assert_eq(st.warnings, 1);
    cr_assert(strstr(last_warn, "directories nested deeper than 64 levels, skipped"), "%s",
              last_warn);

    o.strict = 1;
    cr_assert_eq(load(tp("deep"), &o), BL_ETOOBIG);
    assert_detail_has("directories nested deeper than 64 levels");
}

Test(loaders, paths_too_long_are_a_warning)
{
    bl_load_opts o = opts(0);
    char name[251], cmd[PATH_MAX + 32];
    int dir;

    memset(name, 'n', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    cr_assert_eq(mkdir(tp("long"), 0755), 0);
    write_str(tp("long/short.txt"), "short\n");
    /* 17 levels of 250-byte names: past PATH_MAX, built with *at() calls
     * since no single path may be that long. */
    dir = open(tp("long"), O_RDONLY | O_DIRECTORY);
    cr_assert_geq(dir, 0);
    for (int i = 0; i < 17; i++) {
        int next;
        cr_assert_eq(mkdirat(dir, name, 0755), 0);
        next = openat(dir, name, O_RDONLY | O_DIRECTORY);
        cr_assert_geq(next, 0);
        close(dir);
        dir = next;
    }
    int fd = openat(dir, "deep.txt", O_CREAT | O_WRONLY, 0644);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, "deep\n", 5), 5);
    close(fd);
    close(dir);

    cr_assert_eq(load(tp("long"), &o), 0, "%s", bl_error_detail());
    cr_assert_eq(nrecs, 1);
    cr_assert_str_eq(recs[0].title, "short");
    cr_assert_eq(st.warnings, 1);
    cr_assert(strstr(last_warn, "bytes, skipped"), "%s", last_warn);
    cr_assert(strstr(last_warn, "path longer than"), "%s", last_warn);
    o.strict = 1;
    cr_assert_eq(load(tp("long"), &o), BL_ETOOBIG);

    /* The fixture's rmtree cannot reach that far down; rm can. */
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tp("long"));
    cr_assert_eq(system(cmd), 0);
}

/* ---- damaged input never crashes ---- */

static uint64_t rng_next(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* Random byte flips, cuts and copies of good files in each format. Loaded
 * strictly the load stops at the first problem; under skip_bad it must
 * succeed and deliver at least the same articles. Replay a failure with
 * BYLINE_SEED=<seed printed in the message>. */
Test(loaders, mutated_inputs_never_crash, .timeout = 120)
{
    static const char *const exts[] = {"sgm", "jsonl", "csv", "txt"};
    static const char csv_doc[] = "id,title,body\n1,\"A, b\",\"c \"\"d\"\"\"\n2,e,f\n3,g,h\n";
    static const char special[] = "<>&;#\"\n\r,{}[]\\x019 \0\xff";
    const char *env = getenv("BYLINE_SEED");
    uint64_t seed = env ? strtoull(env, NULL, 10) : (uint64_t)time(NULL);
    uint64_t x = seed * 2654435761u + 1;
    char *buf = malloc(65536);

    cr_assert_not_null(buf);
    for (int it = 0; it < 300; it++) {
        int f = (int)(rng_next(&x) % 4);
        const char *src = f == 0 ? sgml_doc : f == 1 ? jsonl_good
                        : f == 2 ? csv_doc : "Title\n\nSome text.\n";
        size_t len = strlen(src), strict_n;
        char name[32];
        const char *p;
        int rc, edits = 1 + (int)(rng_next(&x) % 8);
        bl_load_opts o;

        memcpy(buf, src, len);
        for (int e = 0; e < edits && len > 1; e++) {
            size_t i = rng_next(&x) % len, n = 1 + rng_next(&x) % 40;
            switch (rng_next(&x) % 3) {
            case 0: buf[i] = special[rng_next(&x) % (sizeof special - 1)]; break;
            case 1:
                n = n < len - i ? n : len - i;
                memmove(buf + i, buf + i + n, len - i - n);
                len -= n;
                break;
            default: {
                size_t from = rng_next(&x) % len;
                n = n < len - from ? n : len - from;
                if (len + n > 65536)
                    break;
                memmove(buf + i + n, buf + i, len - i);
                memmove(buf + i, buf + (from >= i ? from + n : from), n);
                len += n;
            }
            }
        }
        snprintf(name, sizeof name, "m%d.%s%s", it, exts[f],
                 rng_next(&x) % 4 == 0 ? ".gz" : "");
        p = tp(name);
        if (strstr(name, ".gz"))
            write_gz(p, buf, len);
        else
            write_bytes(p, buf, len);
        if (strstr(name, ".gz") && rng_next(&x) % 2)
            cr_assert_eq(truncate(p, (off_t)(rng_next(&x) % (uint64_t)file_size(p))), 0);

        o = opts(0);
        o.progress = NULL;
        rc = load(p, &o);
        cr_assert(rc == 0 || rc == BL_EFORMAT, "seed %llu, %s: rc %d: %s",
                  (unsigned long long)seed, name, rc, bl_error_detail());
        strict_n = nrecs;
        o.skip_bad = 1;
        cr_assert_eq(load(p, &o), 0, "seed %llu, %s: %s", (unsigned long long)seed,
                     name, bl_error_detail());
        cr_assert(nrecs >= strict_n, "seed %llu, %s: %zu articles < %zu",
                  (unsigned long long)seed, name, nrecs, strict_n);
        if (rc == 0)
            cr_assert(nrecs == strict_n && st.skipped == 0, "seed %llu, %s",
                      (unsigned long long)seed, name);
        else
            cr_assert(st.skipped > 0, "seed %llu, %s", (unsigned long long)seed, name);
        cr_assert(nwarn == (int)(st.skipped + st.warnings), "seed %llu, %s",
                  (unsigned long long)seed, name);
        unlink(p);
    }
    free(buf);
}

/* ---- the real corpora ---- */

static const char *corpus(const char *sub)
{
    static char path[PATH_MAX];
    const char *root = getenv("BYLINE_ROOT");
    struct stat sb;

    fmt_path(path, "%s/../shared/corpora/%s", root ? root : ".", sub);
    if (stat(path, &sb) != 0)
        return NULL;
    return path;
}

typedef struct {
    uint64_t count;
    unsigned char *seen; /* by NEWID */
    int dup_or_bad_id;
    int newid1_ok, fc_byte;
} reuters_check;

static int check_reuters(void *ctx, const bl_article *a)
{
    reuters_check *c = ctx;
    char id[16] = "";
    long n;

    c->count++;
    if (a->id_len && a->id_len < sizeof id)
        memcpy(id, a->id, a->id_len);
    n = strtol(id, NULL, 10);
    if (n < 1 || n > 21578 || c->seen[n])
        c->dup_or_bad_id++;
    else
        c->seen[n] = 1;
    if (n == 1) {
        c->newid1_ok =
            a->title_len == 18 && !memcmp(a->title, "BAHIA COCOA REVIEW", 18) &&
            a->date_len == 19 && !memcmp(a->date, "1987-02-26T15:01:01", 19) &&
            a->text_len > 40 &&
            !memcmp(a->text, "SALVADOR, Feb 26 - Showers continued", 36);
    }
    if (n == 17980 && memchr(a->text, 0xFC, a->text_len))
        c->fc_byte = 1;
    return 0;
}

Test(loaders, corpus_reuters, .timeout = 120)
{
    const char *dir = corpus("reuters21578");
    reuters_check c = {0};
    bl_load_opts o = {0};
    char path[PATH_MAX];

    if (!dir)
        cr_skip_test("reuters21578 corpus absent");
    c.seen = calloc(21579, 1);
    cr_assert_not_null(c.seen);
    for (int i = 0; i < 22; i++) {
        fmt_path(path, "%s/reut2-%03d.sgm", dir, i);
        cr_assert_eq(bl_load_path(path, &o, check_reuters, &c, &st), 0, "%s",
                     bl_error_detail());
    }
    free(c.seen);
    cr_assert_eq(st.files, 22);
    cr_assert_eq(c.count, 21578);
    cr_assert_eq(st.articles, 21578);
    cr_assert_eq(c.dup_or_bad_id, 0);
    cr_assert(c.newid1_ok, "NEWID=1 title/date/text not as expected");
    cr_assert(c.fc_byte, "the 0xFC byte of NEWID=17980 did not pass through");
}

static int count_only(void *ctx, const bl_article *a)
{
    (void)ctx;
    (void)a;
    return 0;
}

Test(loaders, corpus_ag_news, .timeout = 120)
{
    const char *dir = corpus("ag_news");
    char path[PATH_MAX];
    bl_load_opts o = opts(0);

    if (!dir)
        cr_skip_test("ag_news corpus absent");
    fmt_path(path, "%s/test.csv", dir);
    o.csv_columns = "class,title,body";
    cr_assert_eq(load(path, &o), 0, "%s", bl_error_detail());
    cr_assert_eq(st.articles, 7600);
    cr_assert_str_eq(recs[0].title, "Fears for T N pension after talks");
    cr_assert_eq(st.skipped, 0);
}

Test(loaders, corpus_bbc, .timeout = 120)
{
    const char *dir = corpus("bbc");
    bl_load_opts o = {0};

    if (!dir)
        cr_skip_test("bbc corpus absent");
    cr_assert_eq(bl_load_path(dir, &o, count_only, NULL, &st), 0, "%s",
                 bl_error_detail());
    cr_assert_eq(st.articles, 2225);
    cr_assert_eq(st.files, 2225);
    cr_assert_eq(st.files_ignored, 1); /* README.TXT */
}
