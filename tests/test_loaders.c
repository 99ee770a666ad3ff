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

static void on_progress(void *ctx, const bl_load_stats *s)
{
    (void)ctx;
    nprogress++;
    cr_assert_eq(s->files, (uint64_t)nprogress);
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
                 "{\"title\": \"t\", \"body\": \"a\\u0000b\"}\n"
                 "{\"title\": \"fine\"}\n");
    cr_assert_eq(load(p, &o), BL_EFORMAT);
    assert_detail_has(":1: not a JSON object");
    cr_assert_eq(nrecs, 0);

    o = opts(1);
    cr_assert_eq(load(p, &o), 0, "%s", bl_error_detail());
    cr_assert_eq(st.skipped, 4);
    cr_assert_eq(nrecs, 1);
    cr_assert_str_eq(recs[0].title, "fine");
    cr_assert(strstr(last_warn, ":4: \"body\" holds a NUL") != NULL, "%s", last_warn);
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

    /* Without the option the first row is a header naming nothing useful. */
    o.csv_columns = NULL;
    cr_assert_eq(load(p, &o), BL_EFORMAT);
    assert_detail_has(":1: CSV header names no title");

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

Test(loaders, csv_empty_row_is_bad)
{
    const char *p = tp("e.csv");
    bl_load_opts o = opts(1);

    write_str(p, "title,body\n,\nx,y\n");
    cr_assert_eq(load(p, &o), 0, "%s", bl_error_detail());
    cr_assert_eq(nrecs, 1);
    cr_assert_eq(st.skipped, 1);
    cr_assert(strstr(last_warn, ":2: CSV row has neither title nor text") != NULL,
              "%s", last_warn);
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
        char want[PATH_MAX + 16];
        if (names[i][0] == 'w')
            write_str(p, " \n\t\r\n  \n");
        else if (strstr(names[i], ".gz"))
            write_gz(p, "", 0);
        else
            write_str(p, "");
        cr_assert_eq(load(p, &o), BL_EFORMAT, "%s", names[i]);
        snprintf(want, sizeof want, "%s: empty file", p);
        cr_assert_str_eq(bl_error_detail(), want);
    }

    o = opts(1);
    cr_assert_eq(load(tp("e.txt"), &o), 0);
    cr_assert_eq(st.skipped, 1);
    cr_assert_eq(st.files, 1);
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

    /* A forced format applies to the files the walk picks, not to others. */
    write_str(tp("d/sub/c.jsonl"), "Plain title\n");
    write_str(tp("d/sub/a.sgml"), "Plain too\n");
    write_str(tp("d/z.csv.gz"), "And this\n");
    o.format = BL_FORMAT_TXT;
    cr_assert_eq(load(tp("d"), &o), 0, "%s", bl_error_detail());
    cr_assert_eq(nrecs, 6);
    cr_assert_eq(st.files_ignored, 3);
}

Test(loaders, directory_skip_bad_goes_on)
{
    bl_load_opts o = opts(0);

    cr_assert_eq(mkdir(tp("d"), 0755), 0);
    write_str(tp("d/1.txt"), "one\n");
    write_str(tp("d/2.txt"), "");
    write_str(tp("d/3.jsonl"), "{\"title\": \"three\"}\n{broken\n");
    write_str(tp("d/4.txt"), "four\n");
    cr_assert_eq(load(tp("d"), &o), BL_EFORMAT);
    assert_detail_has("2.txt: empty file");
    cr_assert_eq(nrecs, 1);

    o = opts(1);
    cr_assert_eq(load(tp("d"), &o), 0, "%s", bl_error_detail());
    cr_assert_eq(nrecs, 3);
    cr_assert_eq(st.skipped, 2);
    cr_assert_eq(nwarn, 2);
    cr_assert_eq(st.files, 4);
    cr_assert_eq(nprogress, 4);
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
            cr_assert(st.skipped > 0 && nwarn == (int)st.skipped, "seed %llu, %s",
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
