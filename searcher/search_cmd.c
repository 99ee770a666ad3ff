/* search_cmd.c: `byline search -i INDEX [options] QUERY...`: parse, evaluate,
 * fetch stored articles, make snippets, print. One process can answer a
 * whole file of queries (--queries) and report latency percentiles. */
#include "search_cmd.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "analyzer.h"
#include "error.h"
#include "eval.h"
#include "index.h"
#include "output.h"
#include "query.h"
#include "snippet.h"
#include "termsafe.h"

#define EXIT_NOMATCH 1
#define EXIT_USAGE 2
#define EXIT_RUNTIME 3

/* Indexes one search may span (-i given again). */
#define MAX_INDEXES 256

typedef struct {
    const char *index_dir;             /* the first -i */
    const char *dirs[MAX_INDEXES];     /* every -i, searched as one */
    size_t ndirs;
    size_t k;
    int json, count, any, stats;
    unsigned style; /* BL_OUT_BOLD, BL_OUT_MARKS */
    const char *queries_file;
    bl_bm25 bm25;
    bl_search_opts search; /* pruning and hit totals */
    size_t window;
} search_opts;

typedef struct {
    const search_opts *o;
    bl_index *idx;
    bl_analyzer *analyzer;
    double *latencies;
    size_t nlat, lat_cap;
} searcher;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void usage(FILE *f)
{
    fputs("usage: byline search -i INDEX [options] QUERY...   (options before the query)\n"
          "       byline search -i INDEX [options] --queries FILE\n"
          "\n"
          "  -i, --index DIR        index directory (required); given again, the\n"
          "                         indexes are searched as one (shards)\n"
          "  -k N                   show the N best matches (default 10)\n"
          "      --any              words side by side mean OR (ranked retrieval)\n"
          "      --json             one JSON object per hit, then a summary object\n"
          "      --count            print only the number of matching documents\n"
          "      --color WHEN       highlight with ANSI bold: auto (on a terminal),\n"
          "                         always, never (plain text)\n"
          "      --marks            highlight with **markers** (text and JSON)\n"
          "      --queries FILE     answer one query per line of FILE ('-': stdin; blank\n"
          "                         lines and lines starting with # are skipped); one record per\n"
          "                         query: with --count \"COUNT<TAB>QUERY\" (or\n"
          "                         \"error<TAB>QUERY\"), with --json a summary (or\n"
          "                         {\"query\", \"error\"}), else \"## QUERY\" and results\n"
          "      --stats            print latency percentiles on stderr\n"
          "      --total-threshold N  count matches exactly up to N (default 1000); beyond,\n"
          "                         documents that cannot reach the top k are skipped and\n"
          "                         the total is a lower bound (\"at least N\", JSON\n"
          "                         \"hits_relation\": \"gte\")\n"
          "      --exact-count      always count every match (no skipping)\n"
          "      --exhaustive       score every match: no pruning at all (same hits)\n"
          "      --k1 X, --b X      BM25 parameters (default 1.2 and 0.75)\n"
          "      --snippet-words N  snippet length in words (default 30)\n"
          "  -h, --help             this help\n"
          "\n"
          "Query syntax: words (all must match), \"exact phrase\", AND, OR, NOT, -word,\n"
          "(groups), prefix*. NOT and - bind tightest, then AND (or juxtaposition),\n"
          "then OR. Operators are upper case.\n"
          "Exit status: 0 matches found, 1 no match, 2 bad usage or malformed query,\n"
          "3 unreadable or damaged index.\n",
          f);
}

static int parse_double(const char *s, double lo, double hi, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (*s == 0 || *end || !(v >= lo && v <= hi))
        return -1;
    *out = v;
    return 0;
}

static int parse_args(int argc, char **argv, search_opts *o, char **query)
{
    enum { O_JSON = 256, O_COUNT, O_COLOR, O_MARKS, O_ANY, O_QUERIES, O_STATS, O_K1, O_B,
           O_WORDS, O_EXHAUSTIVE, O_EXACT_COUNT, O_THRESHOLD };
    static const struct option longs[] = {
        {"index", required_argument, 0, 'i'},  {"json", no_argument, 0, O_JSON},
        {"count", no_argument, 0, O_COUNT},    {"color", required_argument, 0, O_COLOR},
        {"colour", required_argument, 0, O_COLOR}, {"marks", no_argument, 0, O_MARKS},
        {"any", no_argument, 0, O_ANY},
        {"queries", required_argument, 0, O_QUERIES}, {"stats", no_argument, 0, O_STATS},
        {"k1", required_argument, 0, O_K1},    {"b", required_argument, 0, O_B},
        {"snippet-words", required_argument, 0, O_WORDS}, {"help", no_argument, 0, 'h'},
        {"exhaustive", no_argument, 0, O_EXHAUSTIVE},
        {"exact-count", no_argument, 0, O_EXACT_COUNT},
        {"total-threshold", required_argument, 0, O_THRESHOLD},
        {0, 0, 0, 0},
    };
    memset(o, 0, sizeof *o);
    o->k = 10;
    o->bm25 = BL_BM25_DEFAULT;
    o->search = BL_SEARCH_OPTS_DEFAULT;
    o->window = BL_SNIPPET_WORDS;
    int exact_count = 0;
    const char *color = "auto";
    optind = 1;
    int c;
    double v;
    /* "+": options stop at the first query word, so that a later "-word"
     * is a query exclusion, not an unknown option. ":": we word the errors,
     * naming the argument getopt stopped at (argv[at]). */
    int at = optind;
    while ((c = getopt_long(argc, argv, "+:i:k:h", longs, NULL)) != -1) {
        switch (c) {
        case 'i':
            if (o->ndirs == MAX_INDEXES) {
                fprintf(stderr, "byline search: at most %d indexes (-i)\n", MAX_INDEXES);
                return EXIT_USAGE;
            }
            o->dirs[o->ndirs++] = optarg;
            o->index_dir = o->dirs[0];
            break;
        case 'k':
            if (parse_double(optarg, 0, 1e6, &v) || v != (size_t)v) {
                fprintf(stderr, "byline search: -k wants a whole number from 0 to 1000000\n");
                return EXIT_USAGE;
            }
            o->k = (size_t)v;
            break;
        case O_JSON: o->json = 1; break;
        case O_COUNT: o->count = 1; break;
        case O_COLOR: color = optarg; break;
        case O_MARKS: o->style |= BL_OUT_MARKS; break;
        case O_ANY: o->any = 1; break;
        case O_QUERIES: o->queries_file = optarg; break;
        case O_STATS: o->stats = 1; break;
        case O_K1:
        case O_B:
            if (parse_double(optarg, 0, c == O_B ? 1 : 100, &v)) {
                fprintf(stderr, "byline search: --%s wants a number %s\n",
                        c == O_B ? "b" : "k1", c == O_B ? "from 0 to 1" : "from 0 to 100");
                return EXIT_USAGE;
            }
            *(c == O_B ? &o->bm25.b : &o->bm25.k1) = v;
            break;
        case O_WORDS:
            if (parse_double(optarg, 1, 1000, &v)) {
                fprintf(stderr, "byline search: --snippet-words wants 1 to 1000\n");
                return EXIT_USAGE;
            }
            o->window = (size_t)v;
            break;
        case O_EXHAUSTIVE: o->search.exhaustive = 1; break;
        case O_EXACT_COUNT: exact_count = 1; break;
        case O_THRESHOLD:
            if (parse_double(optarg, 0, 1e15, &v) || v != (double)(uint64_t)v) {
                fprintf(stderr, "byline search: --total-threshold wants a whole number from 0 "
                                "to 10^15\n");
                return EXIT_USAGE;
            }
            o->search.total_threshold = (uint64_t)v;
            break;
        case 'h': usage(stdout); return -1;
        case ':':
            fprintf(stderr, "byline search: option '%s' needs a value\n", argv[at]);
            usage(stderr);
            return EXIT_USAGE;
        default:
            /* Most often a query that starts with '-' ("-oil"). */
            fprintf(stderr, "byline search: unknown option '%s'; '--' ends the options, so a "
                            "query starting with '-' goes after it: byline search -i INDEX --",
                    argv[at]);
            for (int i = at; i < argc; i++)
                fprintf(stderr, " %s", argv[i]);
            fputc('\n', stderr);
            return EXIT_USAGE;
        }
        at = optind;
    }
    /* --count counts every match: it has no top k to prune for. */
    if (exact_count || o->count)
        o->search.total_threshold = UINT64_MAX;
    if (strcmp(color, "always") == 0) {
        o->style |= BL_OUT_BOLD;
    } else if (strcmp(color, "auto") == 0) {
        const char *term = getenv("TERM");
        if (isatty(1) && !getenv("NO_COLOR") && term && strcmp(term, "dumb") != 0)
            o->style |= BL_OUT_BOLD;
    } else if (strcmp(color, "never") != 0) {
        fprintf(stderr, "byline search: --color wants auto, always or never\n");
        return EXIT_USAGE;
    }
    if (o->ndirs > 1) {
        /* shards are searched side by side, a thread per core at most */
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        size_t t = cores < 1 ? 1 : (size_t)cores;
        o->search.threads = (unsigned)(t < o->ndirs ? t : o->ndirs);
    }
    if (!o->index_dir) {
        fprintf(stderr, "byline search: missing -i INDEX\n");
        usage(stderr);
        return EXIT_USAGE;
    }
    if (!o->queries_file == (optind >= argc)) {
        fprintf(stderr, "byline search: give a QUERY or --queries FILE (not both)\n");
        return EXIT_USAGE;
    }
    /* An option written after the query would silently become a word or an
     * exclusion ("oil --count" = oil, not count): refuse it, unless "--"
     * said that everything after it is the query. */
    int after_dashdash = optind > 1 && strcmp(argv[optind - 1], "--") == 0;
    for (int i = optind; i < argc && !after_dashdash; i++) {
        const char *a = argv[i];
        int is_opt = strcmp(a, "-i") == 0 || strcmp(a, "-k") == 0 || strcmp(a, "-h") == 0;
        for (const struct option *l = longs; !is_opt && l->name; l++) {
            size_t n = strlen(l->name);
            is_opt = a[0] == '-' && a[1] == '-' && strncmp(a + 2, l->name, n) == 0 &&
                     (a[2 + n] == 0 || a[2 + n] == '=');
        }
        if (is_opt) {
            bl_termsafe_printf(stderr, "byline search: option '%s' after the query: options go "
                               "before it (to search for '%s', put -- before the query)\n", a, a);
            return EXIT_USAGE;
        }
    }
    *query = NULL;
    if (!o->queries_file) {
        /* The words of the command line form one query. */
        size_t len = 0;
        for (int i = optind; i < argc; i++)
            len += strlen(argv[i]) + 1;
        char *q = malloc(len + 1), *end = q;
        if (!q)
            return EXIT_RUNTIME;
        /* Appending at a moving end, not strcat: a query of thousands of
         * words must not cost their number squared. */
        for (int i = optind; i < argc; i++) {
            size_t n = strlen(argv[i]);
            if (i > optind)
                *end++ = ' ';
            memcpy(end, argv[i], n);
            end += n;
        }
        *end = 0;
        *query = q;
    }
    return 0;
}

/* Characters (code points) in s[0..n): where a caret goes under UTF-8 text. */
static size_t columns(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xC0) != 0x80;
    return c;
}

/* Reports a malformed query on stderr; msg[0..cap) gets its one-line
 * message (without where), for the query's record in a --queries run. */
static void report_query_error(const char *query, size_t pos, const char *where, char *msg,
                               size_t cap)
{
    size_t len = strlen(query);
    if (pos > len)
        pos = len;
    snprintf(msg, cap, "malformed query at column %zu: %s", columns(query, pos) + 1,
             bl_error_detail());
    bl_termsafe_printf(stderr, "byline search: %s%s\n", where, msg);
    /* Echo the query with a caret under the offending character (a long
     * query is shown around the position only). */
    size_t from = pos > 60 ? pos - 40 : 0;
    while (from > 0 && ((unsigned char)query[from] & 0xC0) == 0x80)
        from--;
    size_t to = len - from > 100 ? from + 100 : len;
    while (to < len && ((unsigned char)query[to] & 0xC0) == 0x80)
        to++;
    bl_termsafe_printf(stderr, "  %.*s\n", (int)(to - from), query + from);
    fprintf(stderr, "  %*s^\n", (int)bl_termsafe_width(query + from, pos - from), "");
}

static int record_latency(searcher *s, double ms)
{
    if (s->nlat == s->lat_cap) {
        size_t cap = s->lat_cap ? s->lat_cap * 2 : 256;
        double *v = realloc(s->latencies, cap * sizeof *v);
        if (!v)
            return BL_ENOMEM;
        s->latencies = v;
        s->lat_cap = cap;
    }
    s->latencies[s->nlat++] = ms;
    return 0;
}

static int print_hit(searcher *s, bl_snippet_ctx *sc, const bl_scored_doc *sd, uint32_t rank)
{
    size_t seg;
    uint32_t local;
    int rc = bl_index_locate(s->idx, sd->doc, &seg, &local);
    bl_stored_doc doc;
    if (!rc)
        rc = bl_docstore_get(bl_segment_docstore(bl_index_segment(s->idx, seg)), local, &doc);
    if (rc)
        return rc;
    bl_snippet snip = {0};
    if ((rc = bl_snippet_ctx_make_doc(sc, bl_index_segment(s->idx, seg), local, &doc,
                                      s->o->window, &snip)) != 0)
        return rc;
    bl_hit h = {rank, sd->score, &doc, &snip};
    rc = s->o->json ? bl_output_json_hit(stdout, &h, s->o->style)
                    : bl_output_text_hit(stdout, &h, s->o->style);
    bl_snippet_release(&snip);
    return rc;
}

/* Answers one query. Returns 0 with *hits set, EXIT_USAGE for a malformed
 * query (reported on stderr; its message in msg[0..cap)), or a negative
 * BL_E code. */
static int answer(searcher *s, const char *query, const char *where, uint64_t *hits, char *msg,
                  size_t cap)
{
    double t0 = now_ms();
    bl_qnode *q = NULL;
    size_t pos = 0;
    bl_query_opts qo = {s->o->any};
    int rc = bl_query_parse(query, s->analyzer, &qo, &q, &pos);
    if (rc == BL_EQUERY) {
        report_query_error(query, pos, where, msg, cap);
        return EXIT_USAGE;
    }
    if (rc)
        return rc;
    bl_results r;
    rc = bl_search_ex(s->idx, q, s->o->count ? 0 : s->o->k, &s->o->bm25, &s->o->search, &r);
    if (rc == BL_EQUERY) {
        snprintf(msg, cap, "%s", bl_error_detail());
        bl_termsafe_printf(stderr, "byline search: %s%s\n", where, msg);
        bl_qnode_free(q);
        return EXIT_USAGE;
    }
    /* One snippet context for the query's hits: their shared words are
     * stemmed once. */
    bl_snippet_ctx *sc = NULL;
    if (!rc && r.nhits)
        rc = bl_snippet_ctx_new(&sc, s->analyzer, q);
    for (size_t i = 0; !rc && i < r.nhits; i++)
        rc = print_hit(s, sc, &r.hits[i], (uint32_t)i + 1);
    bl_snippet_ctx_free(sc);
    double ms = now_ms() - t0;
    if (!rc) {
        *hits = r.total;
        if (s->o->count && !s->o->json && s->o->queries_file)
            rc = bl_output_count_line(stdout, &r.total, query, strlen(query));
        else if (s->o->count && !s->o->json)
            printf("%llu\n", (unsigned long long)r.total);
        else if (s->o->json)
            rc = bl_output_json_summary(stdout, query, r.total, r.relation == BL_TOTAL_GTE,
                                        (uint32_t)r.nhits, ms);
        else
            rc = bl_output_text_summary(stdout, r.total, r.relation == BL_TOTAL_GTE,
                                        (uint32_t)r.nhits, ms);
    }
    if (!rc)
        rc = record_latency(s, ms);
    bl_results_release(&r);
    bl_qnode_free(q);
    return rc;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double percentile(const double *sorted, size_t n, double p)
{
    /* Nearest rank: the smallest value with at least p% of values <= it. */
    size_t rank = (size_t)(p / 100.0 * (double)n + 0.999999);
    return sorted[rank ? rank - 1 : 0];
}

static void print_stats(searcher *s)
{
    if (!s->nlat)
        return;
    qsort(s->latencies, s->nlat, sizeof *s->latencies, cmp_double);
    double sum = 0;
    for (size_t i = 0; i < s->nlat; i++)
        sum += s->latencies[i];
    fprintf(stderr, "%zu %s; latency ms: p50 %.3f  p95 %.3f  p99 %.3f  max %.3f  mean %.3f\n",
            s->nlat, s->nlat == 1 ? "query" : "queries", percentile(s->latencies, s->nlat, 50),
            percentile(s->latencies, s->nlat, 95), percentile(s->latencies, s->nlat, 99),
            s->latencies[s->nlat - 1], sum / s->nlat);
}

/* The record of a query of a --queries run that could not be answered:
 * what stands in place of its results in each output mode. */
static int print_failed(searcher *s, const char *query, size_t len, const char *msg)
{
    if (s->o->json)
        return bl_output_json_error(stdout, query, len, msg);
    if (s->o->count)
        return bl_output_count_line(stdout, NULL, query, len);
    if (printf("error: %s\n", msg) < 0)
        return bl_error_set(BL_EIO, "cannot write results");
    return 0;
}

/* Answers each query of the file, one record each, in order; blank lines
 * and lines starting with # are not queries and print nothing. */
static int run_batch(searcher *s, uint64_t *total_hits, int *bad)
{
    int from_stdin = strcmp(s->o->queries_file, "-") == 0;
    FILE *f = from_stdin ? stdin : fopen(s->o->queries_file, "r");
    if (!f)
        return bl_error_set(BL_EIO, "%s: cannot open: %m", s->o->queries_file);
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        if (!from_stdin)
            fclose(f);
        return bl_error_set(BL_EIO, "%s: is a directory, not a file of queries",
                            s->o->queries_file);
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    unsigned long lineno = 0;
    int rc = 0;
    while (!rc && (len = getline(&line, &cap, f)) != -1) {
        lineno++;
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = 0;
        if (len == 0 || line[0] == '#' || strspn(line, " \t") == (size_t)len)
            continue;
        char where[512], msg[512];
        snprintf(where, sizeof where, "%s:%lu: ", s->o->queries_file, lineno);
        if (!s->o->json && !s->o->count)
            bl_termsafe_printf(stdout, "## %s\n", line);
        uint64_t hits = 0;
        if (strlen(line) != (size_t)len) {
            snprintf(msg, sizeof msg, "NUL byte in query");
            bl_termsafe_printf(stderr, "byline search: %s%s\n", where, msg);
            rc = EXIT_USAGE;
        } else {
            rc = answer(s, line, where, &hits, msg, sizeof msg);
        }
        if (rc == EXIT_USAGE) {
            *bad = 1;
            rc = print_failed(s, line, (size_t)len, msg);
        }
        *total_hits += hits;
    }
    /* getline's -1 is also a read error: never take one for the end. */
    if (!rc && ferror(f))
        rc = bl_error_set(BL_EIO, "%s: read error after line %lu", s->o->queries_file, lineno);
    free(line);
    if (!from_stdin)
        fclose(f);
    return rc;
}

int bl_cmd_search(int argc, char **argv)
{
    search_opts o;
    char *query = NULL;
    int rc = parse_args(argc, argv, &o, &query);
    if (rc)
        return rc < 0 ? 0 : rc;
    searcher s = {.o = &o};
    int exit_code = 0, bad = 0;
    uint64_t hits = 0;
    if ((rc = bl_index_open_many(&s.idx, o.dirs, o.ndirs, 0)) != 0)
        goto done;
    /* Queries must be analysed as the text was, or words silently miss. */
    if (bl_index_manifest(s.idx)->analyzer_version != BL_ANALYZER_VERSION) {
        rc = bl_error_set(BL_EVERSION, "%s: built with analyzer version %u, this byline has "
                          "version %d; index the articles again", o.index_dir,
                          bl_index_manifest(s.idx)->analyzer_version, BL_ANALYZER_VERSION);
        goto done;
    }
    if ((rc = bl_analyzer_new(&s.analyzer, bl_index_manifest(s.idx)->lang)) != 0)
        goto done;
    if (o.queries_file) {
        rc = run_batch(&s, &hits, &bad);
        if (!rc)
            exit_code = bad ? EXIT_USAGE : 0;
    } else {
        char msg[512];
        rc = answer(&s, query, "", &hits, msg, sizeof msg);
        if (rc == EXIT_USAGE) {
            exit_code = EXIT_USAGE;
            rc = 0;
        } else if (!rc) {
            exit_code = hits ? 0 : EXIT_NOMATCH;
        }
    }
    if (!rc && o.stats)
        print_stats(&s);
done:
    if (fflush(stdout) != 0 && !rc)
        rc = bl_error_set(BL_EIO, "cannot write results: %m");
    if (rc) {
        bl_termsafe_printf(stderr, "byline search: %s\n", bl_error_detail());
        exit_code = rc == BL_EQUERY ? EXIT_USAGE : EXIT_RUNTIME;
    }
    bl_analyzer_free(s.analyzer);
    bl_index_close(s.idx);
    free(s.latencies);
    free(query);
    return exit_code;
}
