/* index_cmd.c: `byline index -o INDEX [options] PATH...`.
 *
 * Holds the index's writer lock for the whole run, reads the current
 * manifest (if any), feeds every article to an inverter, starts a new
 * segment whenever the inverter passes its memory budget, and commits all
 * new segments with one manifest rename at the end. Any failure before that
 * rename removes the new segment files, so the index stays exactly as it was.
 */
#include "index_cmd.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "analyzer.h"
#include "codec.h"
#include "error.h"
#include "filefmt.h"
#include "id_guard.h"
#include "idmap.h"
#include "index.h"
#include "inverter.h"
#include "loader.h"
#include "manifest.h"
#include "merge.h"
#include "merge_run.h"
#include "parallel.h"
#include "pending_deletes.h"
#include "segment.h"
#include "stemmer.h"
#include "termdict.h"
#include "termsafe.h"

#define EXIT_USAGE 2
#define EXIT_RUNTIME 3

typedef struct {
    const char *out_dir;
    const char *lang;
    bl_format format;
    const char *csv_columns;
    bl_title_mode title;
    const bl_field_map *fields; /* NULL: default names */
    const char *files_from;     /* --files-from LIST, or NULL */
    int nul_list;               /* -0: LIST is NUL-separated */
    int skip_bad;
    int strict;
    int quiet;
    size_t memory_budget;
    uint32_t codec;             /* of new segments' postings */
    int compact;                /* --compact 1, --no-compact 0, neither -1 */
    unsigned jobs;              /* -j: worker threads (1: this thread does all) */
    unsigned merge_factor;      /* merge.h's policy; 0: never merge */
    uint32_t shard, nshards;    /* --shard I/N: keep shard I (1..N); N 0: all */
} index_opts;

/* What a run allocates beyond its options; bl_cmd_index frees it whatever
 * the outcome. */
typedef struct {
    bl_field_map fields;
    bl_id_guard *ids; /* every id of this run */
} run_resources;

typedef struct {
    const index_opts *opts;
    bl_analyzer *analyzer;
    bl_manifest *manifest;
    bl_inverter *inv;
    bl_par *par;               /* with -j N > 1: the workers, instead of inv */
    bl_manifest_segment *done; /* finished segments not yet committed */
    size_t ndone;
    bl_id_guard *ids;
    size_t par_written; /* segments of the pool the guard knows of */
    size_t ids_base;    /* the guard's memory when it was made */
    unsigned since_sync; /* articles since the guard last heard of the pool */
    bl_index *existing; /* the committed segments, for their ids; NULL if none */
    bl_pending_deletes *replaced; /* their documents this run replaces */
    uint64_t articles, tokens, invalid_bytes;
    uint64_t duplicates_skipped; /* under --skip-bad */
    uint64_t replacements;       /* articles whose id the index held */
    uint64_t other_shards;       /* articles left to the other shards */
    bl_load_stats *stats;
    double started, last_progress;
    int show_progress;
    uint64_t input_bytes; /* of all input, when known before reading (else 0) */
} run_state;

/* "1 file", "2 files": n and the word that fits it, written into buf (64
 * bytes). */
static const char *counted(char *buf, uint64_t n, const char *one, const char *many)
{
    snprintf(buf, 64, "%llu %s", (unsigned long long)n, n == 1 ? one : many);
    return buf;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void usage(FILE *f)
{
    fputs("usage: byline index -o INDEX [options] PATH...\n"
          "\n"
          "Indexes the articles in each PATH (a file or a directory tree; '-' is\n"
          "standard input, which needs --format) into the index directory INDEX,\n"
          "creating it, or adding a segment if it exists.\n"
          "\n"
          "  -o, --output DIR       index directory (required)\n"
          "  -l, --lang LANG        Snowball stemming language (default english;\n"
          "                         'none' disables stemming; see --list-langs)\n"
          "  -f, --format FMT       txt, jsonl, csv or sgml (default: from extension);\n"
          "                         with it, every file of a directory is read as FMT\n"
          "      --files-from LIST  also index the paths listed in LIST, one a line\n"
          "                         ('-': standard input)\n"
          "  -0                     LIST is NUL-separated (find -print0)\n"
          "      --fields MAP       JSONL keys / CSV columns of the fields, e.g.\n"
          "                         title=headline,text=content,date=meta.date,id=uuid\n"
          "      --csv-columns COLS names of the CSV columns when the file has no\n"
          "                         header row, e.g. class,title,body (AG News)\n"
          "      --title MODE       txt title: first-line (default), none (the whole\n"
          "                         file is the text) or filename\n"
          "      --skip-bad         warn about and skip bad records instead of stopping\n"
          "      --strict           warnings (empty file, empty article, ...) are errors\n"
          "  -j, --jobs N           worker threads (default: one per core); each fills\n"
          "                         its own segments\n"
          "  -m, --memory MB        memory of the run (default 256; the process peaks\n"
          "                         within it plus 64 MB): the segments being built share\n"
          "                         what the run's ids leave of it (the largest is written\n"
          "                         when they fill it), and merges keep their word pairs\n"
          "                         within half of it\n"
          "      --merge-factor N   after the commit, merge every N adjacent segments of\n"
          "                         a size level into one (default 10; 0: never)\n"
          "      --shard I/N        index only the articles whose id falls in shard I\n"
          "                         of N (by its hash): N runs over the same input\n"
          "                         build N indexes to search together (-i ... -i)\n"
          "      --compact          make the index compact from now on: word pairs and\n"
          "                         bitmaps only for words in a quarter of the articles\n"
          "                         (default: 1 in 16); a quarter smaller, phrases of\n"
          "                         common words slower (merges and optimize follow)\n"
          "      --no-compact       back to the default for new segments and merges\n"
          "      --codec NAME       posting codec of new segments: patched (default),\n"
          "                         bitpack or varint (for comparisons; all are read)\n"
          "  -q, --quiet            no progress or summary\n"
          "      --list-langs       print the stemming languages and exit\n"
          "  -h, --help             this help\n"
          "\n"
          "Formats: .txt (first non-empty line is the title), .jsonl/.ndjson\n"
          "(title, body or text, id, date, url), .csv (header row or --csv-columns),\n"
          ".sgm (Reuters-21578); any of them gzip-compressed (.gz).\n"
          "Exit status: 0 done, 2 bad usage, 3 bad input or I/O error (the index is\n"
          "left exactly as it was).\n",
          f);
}

static void warn(void *ctx, const char *msg)
{
    (void)ctx;
    bl_termsafe_printf(stderr, "byline index: warning: %s\n", msg);
}

static void progress(void *ctx, const struct bl_load_stats *st)
{
    run_state *s = ctx;
    if (!s->show_progress)
        return;
    double t = now();
    if (t - s->last_progress < 0.2)
        return;
    s->last_progress = t;
    double secs = t - s->started, rate = secs > 0 ? st->bytes / secs : 0.0;
    fprintf(stderr, "\r%llu files, %llu articles, %.1f MB, %.1f MB/s",
            (unsigned long long)st->files, (unsigned long long)st->articles, st->bytes / 1e6,
            rate / 1e6);
    if (s->input_bytes && st->bytes <= s->input_bytes && rate > 0) {
        unsigned long left = (unsigned long)((double)(s->input_bytes - st->bytes) / rate + 0.5);
        fprintf(stderr, ", %.0f%% of %.1f MB, %lu:%02lu left", 100.0 * st->bytes / s->input_bytes,
                s->input_bytes / 1e6, left / 60, left % 60);
    }
    fputs("   ", stderr);
}

/* The bytes the loader will read, when every PATH is a regular file (a
 * gzip file counts its compressed size, as the loader does); 0 when a
 * directory, standard input or a list makes it unknown in advance. */
static uint64_t known_input_bytes(int argc, char **argv, const index_opts *o)
{
    uint64_t total = 0;
    if (o->files_from)
        return 0;
    for (int i = optind; i < argc; i++) {
        struct stat st;
        if (strcmp(argv[i], "-") == 0 || stat(argv[i], &st) != 0 || !S_ISREG(st.st_mode))
            return 0;
        total += (uint64_t)st.st_size;
    }
    return total;
}

static int finish_segment(run_state *s)
{
    if (!s->inv)
        return 0;
    bl_inverter *inv = s->inv;
    s->inv = NULL;
    if (bl_inverter_doc_count(inv) == 0) {
        bl_inverter_abort(inv);
        return 0;
    }
    s->tokens += bl_inverter_tokens(inv);
    s->invalid_bytes += bl_inverter_invalid_bytes(inv);
    bl_manifest_segment seg;
    int rc = bl_inverter_finish(inv, &seg);
    if (rc) {
        s->inv = inv; /* for the failure path to abort or forget */
        return rc;
    }
    bl_manifest_segment *d = realloc(s->done, (s->ndone + 1) * sizeof *d);
    if (!d)
        return BL_ENOMEM;
    d[s->ndone++] = seg;
    s->done = d;
    /* every article so far is written: the guard may let their ids go */
    return bl_id_guard_written(s->ids, s->ndone, &seg, 1);
}

/* The memory the segments being built may take: the budget, less what the
 * run's ids hold (their filters stop growing at an eighth of it each:
 * id_guard.h), but never less than three quarters: a tiny budget (-m 1)
 * must still hold more than one article a segment. */
static size_t segments_budget(const run_state *s)
{
    size_t held = bl_id_guard_memory(s->ids), budget = s->opts->memory_budget;
    /* what it holds from the start (a first filter stage) is in the 64 MB
     * the budget leaves: only what grows with the run is taken from it */
    held = held > s->ids_base ? held - s->ids_base : 0;
    return held < budget / 4 ? budget - held : budget - budget / 4;
}

/* Tells the guard which articles the workers have written, every so many
 * articles, and gives the workers the budget the ids leave. */
static int sync_with_pool(run_state *s)
{
    if (++s->since_sync < 256)
        return 0;
    s->since_sync = 0;
    uint64_t below;
    bl_manifest_segment *segs;
    size_t n;
    int rc = bl_par_written(s->par, s->par_written, &below, &segs, &n);
    if (!rc)
        rc = bl_id_guard_written(s->ids, below, segs, n);
    if (!rc) {
        s->par_written += n;
        bl_par_set_budget(s->par, segments_budget(s));
    }
    free(segs);
    return rc;
}

/* An article whose id is already in a committed segment replaces that
 * document: it is marked deleted, in the same commit as the new segments
 * (each segment's id map answers by a binary search in its mapping). */
static int replace_in_index(run_state *s, const bl_article *a)
{
    if (!s->existing)
        return 0;
    int rc = bl_pending_delete_id(s->replaced, a->id, a->id_len);
    if (rc == 0)
        s->replacements++;
    return rc == BL_ENOTFOUND ? 0 : rc;
}

/* Every article needs an id, unique in the index: its own, else its source.
 * Returns 0 with *out filled in, 1 for a duplicate skipped under
 * --skip-bad, or an error. */
static int identify(run_state *s, const bl_article *a, bl_article *out)
{
    *out = *a;
    if (out->id_len == 0) {
        out->id = a->source;
        out->id_len = a->source_len;
    }
    /* the run's ids first: a second article of the run with one id is an
     * error, not a replacement */
    uint64_t tag = s->par ? bl_par_next_tag(s->par) : s->ndone;
    int maybe_in_index;
    int rc = bl_id_guard_add(s->ids, out->id, out->id_len, a->source, a->source_len, tag,
                             &maybe_in_index);
    if (!rc && maybe_in_index)
        rc = replace_in_index(s, out);
    if (rc != BL_EFORMAT || !s->opts->skip_bad)
        return rc;
    warn(NULL, bl_error_detail());
    bl_error_clear();
    s->duplicates_skipped++;
    return 1;
}

/* Whether an article whose id is id belongs to the shard this run builds:
 * shard I of N holds the ids whose XXH3 (the id map's hash) is I - 1
 * modulo N, so N runs over the same input split it without talking. */
static int in_shard(const index_opts *o, const char *id, size_t len)
{
    return o->nshards == 0 || bl_idmap_hash(id, len) % o->nshards == o->shard - 1;
}

static int add_article(void *ctx, const bl_article *in)
{
    run_state *s = ctx;
    if (s->opts->nshards &&
        !(in->id_len ? in_shard(s->opts, in->id, in->id_len)
                     : in_shard(s->opts, in->source, in->source_len))) {
        s->other_shards++;
        return 0;
    }
    bl_article art, *a = &art;
    int rc = identify(s, in, &art);
    if (rc)
        return rc < 0 ? rc : 0;
    if (s->par) {
        if ((rc = bl_par_add(s->par, a)) == 0) {
            s->articles++;
            rc = sync_with_pool(s);
        }
        return rc;
    }
    if (!s->inv && s->manifest->next_segment >= BL_MAX_SEGMENT_ID)
        return bl_error_set(BL_ETOOBIG, "%s: segment ids exhausted", s->opts->out_dir);
    if (!s->inv) {
        if ((rc = bl_inverter_new(&s->inv, s->opts->out_dir, s->manifest->next_segment++,
                                  s->analyzer)) != 0 ||
            (rc = bl_inverter_set_codec(s->inv, s->opts->codec)) != 0)
            return rc;
        bl_inverter_set_dense_ratio(s->inv, s->manifest->dense_ratio);
    }
    if ((rc = bl_inverter_add(s->inv, a)) != 0)
        return rc;
    s->articles++;
    if (bl_inverter_memory(s->inv) > bl_par_fill_budget(segments_budget(s)))
        return finish_segment(s);
    return 0;
}

/* Removes the files of segments this run wrote but never committed. */
static void discard_new_segments(run_state *s)
{
    bl_inverter_abort(s->inv);
    s->inv = NULL;
    for (size_t i = 0; i < s->ndone; i++)
        bl_segment_remove_files(s->opts->out_dir, s->done[i].id);
}

/* Undoes a first run's empty manifest (we hold the lock, and no commit of
 * ours followed it), so a failed first run leaves no index behind. */
static void remove_empty_manifest(const char *dir)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s/" BL_MANIFEST_NAME, dir) < (int)sizeof path &&
        unlink(path) == 0)
        bl_fsync_dir(dir);
}

/* Whether dir holds a committed manifest. */
static int index_exists(const char *dir)
{
    char path[4096];
    struct stat st;
    return snprintf(path, sizeof path, "%s/" BL_MANIFEST_NAME, dir) < (int)sizeof path &&
           lstat(path, &st) == 0;
}

/* Distinct terms over the segments this run wrote (a term in several
 * segments counts once). Only for the summary line: failures are quiet. */
static void count_terms(const index_opts *o, const run_state *s, uint64_t *terms)
{
    bl_termdict **d = calloc(s->ndone ? s->ndone : 1, sizeof *d);
    size_t n = 0;
    char path[4096];
    while (d && n < s->ndone &&
           bl_segment_path(path, sizeof path, o->out_dir, s->done[n].id, "tdi") == 0 &&
           bl_termdict_open(&d[n], path, 0) == 0)
        n++;
    if (d && n == s->ndone && bl_termdict_count_union((const bl_termdict *const *)d, n, terms))
        *terms = 0;
    for (size_t i = 0; d && i < n; i++)
        bl_termdict_close(d[i]);
    free(d);
    bl_error_clear();
}

/* Directories this run made, so that a failed first run can leave no
 * trace, as if it had never started. Each is a prefix of the index path,
 * kept as its length (deepest last). */
typedef struct {
    const char *dir; /* the index path */
    size_t len[512];
    int n;
} made_dirs;

/* Makes the directory path, which the caller found missing; another writer
 * may be making (or removing) it at the same moment. */
static int make_one_dir(const char *path, made_dirs *made)
{
    if (mkdir(path, 0755) != 0) {
        struct stat st;
        /* Another writer may have made it since we looked: that is fine. */
        if (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
            return 0;
        /* A parent went away under us: a failed first run cleaning up. */
        if (errno == ENOENT)
            return bl_error_set(BL_ENOTFOUND, "%s: a parent directory vanished", path);
        return bl_error_set(BL_EIO, "%s: cannot create: %s", path, strerror(errno));
    }
    if (made->n < (int)(sizeof made->len / sizeof made->len[0]))
        made->len[made->n++] = strlen(path);
    /* The new directory's own entry must be durable too. */
    char parent[4096];
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/') /* "a/b/" names b, whose parent is a */
        n--;
    while (n > 0 && path[n - 1] != '/')
        n--;
    while (n > 1 && path[n - 1] == '/')
        n--;
    if (n == 0)
        snprintf(parent, sizeof parent, ".");
    else
        snprintf(parent, sizeof parent, "%.*s", (int)n, path);
    return bl_fsync_dir(parent);
}

/* Makes dir and its missing parents, as `mkdir -p` (and `git init`) do. */
static int ensure_dir(const char *dir, made_dirs *made)
{
    struct stat st;
    if (stat(dir, &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            return bl_error_set(BL_EIO, "%s: exists and is not a directory", dir);
        if (access(dir, W_OK) != 0)
            return bl_error_set(BL_EIO, "%s: not writable: %s", dir, strerror(errno));
        return 0;
    }
    char path[4096];
    size_t len = strlen(dir);
    if (len >= sizeof path)
        return bl_error_set(BL_ETOOBIG, "%s: index path too long", dir);
    memcpy(path, dir, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if (i < len && (path[i] != '/' || path[i - 1] == '/'))
            continue;
        char saved = path[i];
        path[i] = 0;
        int rc = 0;
        if (stat(path, &st) != 0)
            rc = make_one_dir(path, made);
        else if (!S_ISDIR(st.st_mode))
            rc = bl_error_set(BL_EIO, "%s: exists and is not a directory", path);
        path[i] = saved;
        if (rc)
            return rc;
    }
    return 0;
}

/* Removes the directories this run made, deepest first; rmdir() leaves any
 * that is no longer empty (another writer may have moved in). */
static void remove_made_dirs(const made_dirs *made)
{
    char path[4096];
    for (int i = made->n - 1; i >= 0; i--)
        if (snprintf(path, sizeof path, "%.*s", (int)made->len[i], made->dir) >= (int)sizeof path ||
            rmdir(path) != 0)
            break;
}

/* Takes the writer lock, making the directory first. A writer whose failed
 * first run removes the directory (or its new parents) may do so between
 * our mkdir and our lock: then make them again. */
static int open_and_lock(const char *dir, made_dirs *made, int *lock)
{
    int rc = 0;
    made->dir = dir;
    for (int attempt = 0; attempt < 100; attempt++) {
        if ((rc = ensure_dir(dir, made)) == 0)
            rc = bl_manifest_lock(dir, lock);
        if (rc != BL_ENOTFOUND)
            return rc;
        bl_error_clear();
    }
    return bl_error_set(BL_ELOCKED, "%s: the directory keeps being removed by other writers", dir);
}

/* Reports a usage error in one line and returns EXIT_USAGE. */
__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
    va_list ap;
    fputs("byline index: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return EXIT_USAGE;
}

/* The checks that need every option: standard input read once and only
 * with a format; --title only for text. */
static int check_inputs(int argc, char **argv, const index_opts *o)
{
    int from_stdin = o->files_from && strcmp(o->files_from, BL_LOAD_STDIN) == 0;
    if (!o->out_dir || (optind >= argc && !o->files_from)) {
        usage_error("%s", !o->out_dir ? "missing -o INDEX" : "no PATH to index");
        usage(stderr);
        return EXIT_USAGE;
    }
    for (int i = optind; i < argc; i++) {
        if (strcmp(argv[i], BL_LOAD_STDIN) != 0)
            continue;
        if (o->format == BL_FORMAT_AUTO)
            return usage_error("'-' (standard input) needs --format (txt, jsonl, csv or sgml)");
        if (from_stdin++)
            return usage_error("standard input can be read only once ('-' and "
                               "--files-from -)");
    }
    if (o->nul_list && !o->files_from)
        return usage_error("-0 goes with --files-from");
    if (o->title != BL_TITLE_FIRST_LINE && o->format != BL_FORMAT_AUTO &&
        o->format != BL_FORMAT_TXT)
        return usage_error("--title is for txt input; it does not go with this --format");
    return 0;
}

static int parse_args(int argc, char **argv, index_opts *o, run_resources *res)
{
    static const struct option longs[] = {
        {"output", required_argument, 0, 'o'}, {"lang", required_argument, 0, 'l'},
        {"format", required_argument, 0, 'f'}, {"csv-columns", required_argument, 0, 'C'},
        {"skip-bad", no_argument, 0, 'S'},     {"memory", required_argument, 0, 'm'},
        {"quiet", no_argument, 0, 'q'},        {"list-langs", no_argument, 0, 'L'},
        {"help", no_argument, 0, 'h'},         {"title", required_argument, 0, 'T'},
        {"fields", required_argument, 0, 'F'}, {"strict", no_argument, 0, 's'},
        {"files-from", required_argument, 0, 'I'}, {"codec", required_argument, 0, 'K'},
        {"jobs", required_argument, 0, 'j'},   {"merge-factor", required_argument, 0, 'M'},
        {"shard", required_argument, 0, 'H'},  {"compact", no_argument, 0, 'P'},
        {"no-compact", no_argument, 0, 'N'},
        {0, 0, 0, 0},
    };
    memset(o, 0, sizeof *o);
    o->memory_budget = 256u << 20;
    o->codec = BL_CODEC_DEFAULT;
    o->compact = -1;
    o->merge_factor = BL_MERGE_FACTOR;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    o->jobs = cores < 1 ? 1 : cores > BL_PAR_MAX_JOBS ? BL_PAR_MAX_JOBS : (unsigned)cores;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "o:l:f:m:j:qh0", longs, NULL)) != -1) {
        switch (c) {
        case 'o': o->out_dir = optarg; break;
        case 'l': o->lang = optarg; break;
        case 'f':
            if (bl_format_parse(optarg, &o->format)) {
                bl_termsafe_printf(stderr, "byline index: unknown format '%s' (txt, jsonl, csv, "
                                   "sgml)\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'C': o->csv_columns = optarg; break;
        case 'S': o->skip_bad = 1; break;
        case 's': o->strict = 1; break;
        case 'I': o->files_from = optarg; break;
        case 'K': {
            const bl_codec *codec = bl_codec_by_name(optarg);
            if (!codec)
                return usage_error("unknown codec '%s' (patched, bitpack, varint)", optarg);
            o->codec = codec->id;
            break;
        }
        case '0': o->nul_list = 1; break;
        case 'P': o->compact = 1; break;
        case 'N': o->compact = 0; break;
        case 'T':
            if (bl_title_mode_parse(optarg, &o->title))
                return usage_error("%s", bl_error_detail());
            break;
        case 'F':
            if (o->fields)
                return usage_error("--fields given twice");
            if (bl_field_map_parse(&res->fields, optarg))
                return usage_error("%s", bl_error_detail());
            o->fields = &res->fields;
            break;
        case 'm': {
            char *end;
            unsigned long mb = strtoul(optarg, &end, 10);
            if (*end || mb < 1 || mb > (1ul << 20)) {
                fprintf(stderr, "byline index: --memory wants megabytes, 1 to 1048576\n");
                return EXIT_USAGE;
            }
            o->memory_budget = (size_t)mb << 20;
            break;
        }
        case 'j': {
            char *end;
            unsigned long n = strtoul(optarg, &end, 10);
            if (*end || optarg[0] == '-' || n < 1 || n > BL_PAR_MAX_JOBS)
                return usage_error("--jobs wants a number of threads, 1 to %d", BL_PAR_MAX_JOBS);
            o->jobs = (unsigned)n;
            break;
        }
        case 'M': {
            char *end;
            unsigned long n = strtoul(optarg, &end, 10);
            if (*end || optarg[0] == '-' || n == 1 || n > 1000)
                return usage_error("--merge-factor wants 0 (never merge) or 2 to 1000");
            o->merge_factor = (unsigned)n;
            break;
        }
        case 'H': {
            unsigned i, n;
            char tail;
            if (sscanf(optarg, "%u/%u%c", &i, &n, &tail) != 2 || n < 1 || n > 65536 || i < 1 ||
                i > n)
                return usage_error("--shard wants I/N, shard I of N (1 <= I <= N <= 65536)");
            o->shard = i;
            o->nshards = n;
            break;
        }
        case 'q': o->quiet = 1; break;
        case 'L':
            for (const char **l = bl_stemmer_languages(); *l; l++)
                printf("%s\n", *l);
            return -1;
        case 'h': usage(stdout); return -1;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    return check_inputs(argc, argv, o);
}

/* Reads the existing manifest, or starts a new one; checks the language. */
static int load_manifest(const index_opts *o, bl_manifest *m, int *fresh)
{
    int rc = bl_manifest_read(o->out_dir, m);
    *fresh = 0;
    if (rc == BL_ENOTFOUND) {
        /* A first run writes its MANIFEST before any segment file, so
         * segment files without one are a damaged index: starting afresh
         * would delete them as orphans. */
        if (bl_manifest_dir_has_segments(o->out_dir))
            return bl_error_set(BL_ECORRUPT, "%s: holds segment files but no " BL_MANIFEST_NAME
                                ": a damaged index (byline check says more); index into a new "
                                "directory", o->out_dir);
        bl_error_clear();
        *fresh = 1;
        memset(m, 0, sizeof *m);
        m->next_segment = 1;
        m->analyzer_version = BL_ANALYZER_VERSION;
        snprintf(m->lang, sizeof m->lang, "%s", o->lang ? o->lang : "english");
        return 0;
    }
    if (rc)
        return rc;
    if (m->analyzer_version != BL_ANALYZER_VERSION)
        return bl_error_set(BL_EVERSION, "%s: built with analyzer version %u, this byline has %d",
                            o->out_dir, m->analyzer_version, BL_ANALYZER_VERSION);
    if (o->lang) {
        /* Compare canonical names: "en" and "english" are one language. */
        bl_stemmer *st;
        int rc2 = bl_stemmer_new(&st, o->lang);
        if (rc2)
            return rc2;
        int same = strcmp(bl_stemmer_language(st), m->lang) == 0;
        bl_stemmer_free(st);
        if (!same)
            return bl_error_set(BL_EINVAL, "%s: index uses language '%s', not '%s'", o->out_dir,
                                m->lang, o->lang);
    }
    return 0;
}

static void show_merging(void *ctx, unsigned running, uint32_t segments)
{
    (void)ctx;
    fprintf(stderr, "\r\033[Kmerging: %u at once, %u segments...", running, segments);
}

/* Runs the merges the policy asks for, as many at once as there are jobs,
 * each committed on its own. A failure leaves the index whole (every
 * commit is), only less merged: it is reported, and the run's exit status
 * says so. */
static int merge_due(const index_opts *o, bl_manifest *m, int lock, int show_progress)
{
    double start = now();
    uint32_t before = m->nsegments;
    unsigned merges = 0;
    int rc = bl_merge_run_due(o->out_dir, lock, m, o->merge_factor, o->jobs, o->memory_budget,
                              show_progress ? show_merging : NULL, NULL, &merges);
    if (show_progress)
        fputs("\r\033[K", stderr);
    if (rc) {
        bl_termsafe_printf(stderr, "byline index: merging: %s\n", bl_error_detail()[0] ?
                           bl_error_detail() : bl_strerror(rc));
        bl_termsafe_printf(stderr, "byline index: the articles are committed and %s is whole, "
                           "but not all merges were done\n", o->out_dir);
    } else if (merges && !o->quiet) {
        fprintf(stderr, "merged: %u segments became %u in %u merge%s; %.2f s\n", before,
                m->nsegments, merges, merges == 1 ? "" : "s", now() - start);
    }
    return rc;
}

static int index_main(int argc, char **argv, run_resources *res)
{
    index_opts o;
    int rc = parse_args(argc, argv, &o, res);
    if (rc)
        return rc < 0 ? 0 : rc;

    bl_manifest m = {0};
    bl_load_stats stats = {0};
    run_state s = {.opts = &o, .manifest = &m, .stats = &stats};
    s.started = now();
    s.show_progress = !o.quiet && isatty(2);
    if (s.show_progress)
        s.input_bytes = known_input_bytes(argc, argv, &o);
    int lock = -1, exit_code = 0, fresh = 0, wrote_empty = 0;
    made_dirs made = {.n = 0};
    if ((rc = open_and_lock(o.out_dir, &made, &lock)) ||
        (rc = load_manifest(&o, &m, &fresh)) || (rc = bl_analyzer_new(&s.analyzer, m.lang)))
        goto fail;
    /* A stored name like "en" becomes the canonical "english". */
    snprintf(m.lang, sizeof m.lang, "%s", bl_analyzer_language(s.analyzer));
    uint32_t committed_ratio = m.dense_ratio;
    if (fresh || o.compact >= 0)
        m.dense_ratio = o.compact == 1 ? BL_DENSE_RATIO_COMPACT : BL_DENSE_RATIO;
    if (fresh) {
        /* An empty MANIFEST (generation 0) first, so that no segment file
         * ever exists without one; a failed first run removes it again. */
        int renamed = 0;
        rc = bl_manifest_commit(o.out_dir, &m, &renamed);
        wrote_empty = renamed;
        if (rc)
            goto fail;
        committed_ratio = m.dense_ratio;
    }
    bl_manifest_remove_orphans(o.out_dir, &m);
    if (m.nsegments && ((rc = bl_index_open(&s.existing, o.out_dir, 0)) != 0 ||
                        (rc = bl_pending_new(&s.replaced, s.existing)) != 0))
        goto fail;
    /* a batch of ids is about 1/128 of the budget (some 40 bytes an id),
     * but never so small that its registry's first arena chunk dwarfs it */
    size_t batch_ids = o.memory_budget / 128 / 40;
    bl_id_guard_opts go = {o.out_dir, &m, s.existing, o.memory_budget / 8,
                           batch_ids > 1024 ? batch_ids : 1024};
    if ((rc = bl_id_guard_new(&res->ids, &go)) != 0)
        goto fail;
    s.ids = res->ids;
    s.ids_base = bl_id_guard_memory(s.ids);
    if (o.jobs > 1) {
        bl_par_opts po = {o.out_dir, m.lang, o.codec, m.dense_ratio, o.jobs, o.memory_budget,
                          &m.next_segment, BL_MAX_SEGMENT_ID};
        if ((rc = bl_par_new(&s.par, &po)) != 0)
            goto fail;
    }

    bl_load_opts lo = {
        .format = o.format, .csv_columns = o.csv_columns, .title = o.title,
        .fields = o.fields, .skip_bad = o.skip_bad, .strict = o.strict,
        .warn = warn, .progress = progress, .progress_ctx = &s,
    };
    struct stat self;
    if (stat(o.out_dir, &self) == 0) {
        lo.exclude_set = 1;
        lo.exclude_dev = (unsigned long long)self.st_dev;
        lo.exclude_ino = (unsigned long long)self.st_ino;
    }
    for (int i = optind; i < argc; i++)
        if ((rc = bl_load_path(argv[i], &lo, add_article, &s, &stats)) != 0)
            goto fail;
    if (o.files_from &&
        (rc = bl_load_list(o.files_from, o.nul_list, &lo, add_article, &s, &stats)) != 0)
        goto fail;
    if ((rc = finish_segment(&s)) != 0)
        goto fail;
    if (s.par) {
        if ((rc = bl_par_finish(s.par, &s.done, &s.ndone, &s.tokens, &s.invalid_bytes)) != 0)
            goto fail;
        s.par = NULL;
    }
    if (s.articles == 0 && s.other_shards > 0) {
        /* A shard the input has no article for: an empty index, which
         * searches together with the other shards as they should. */
        if (!o.quiet)
            fprintf(stderr, "no article of the %llu read falls in shard %u of %u; %s holds "
                    "none of them\n", (unsigned long long)s.other_shards, o.shard, o.nshards,
                    o.out_dir);
        /* --compact or --no-compact still holds for later runs */
        if (m.dense_ratio != committed_ratio) {
            m.generation++;
            int renamed = 0;
            if ((rc = bl_manifest_commit_held(o.out_dir, lock, &m, &renamed)) != 0 && !renamed)
                goto fail;
            if (rc) {
                bl_termsafe_printf(stderr, "byline index: %s\n", bl_error_detail());
                exit_code = EXIT_RUNTIME;
            }
        }
        goto done;
    }
    if (s.articles == 0) {
        rc = bl_error_set(BL_EFORMAT, "no articles found in the given paths (%llu files read, "
                          "%llu ignored for their extension: see --format)",
                          (unsigned long long)stats.files, (unsigned long long)stats.files_ignored);
        goto fail;
    }
    for (size_t i = 0; i < s.ndone; i++)
        if ((rc = bl_manifest_add_segment(&m, &s.done[i])) != 0)
            goto fail;
    m.generation++;
    if (s.replaced && (rc = bl_pending_write(s.replaced, o.out_dir, &m, m.generation)) != 0)
        goto fail;
    int renamed = 0;
    if ((rc = bl_manifest_commit_held(o.out_dir, lock, &m, &renamed)) != 0) {
        if (!renamed)
            goto fail;
        /* The new manifest is live: its segments must stay. */
        bl_termsafe_printf(stderr, "byline index: %s\n", bl_error_detail());
        fputs("byline index: the index was updated, but the update may not survive a power "
              "loss\n", stderr);
        exit_code = EXIT_RUNTIME;
    }
    if (s.replacements)
        bl_manifest_remove_orphans(o.out_dir, &m); /* replaced deletions files */

    if (s.show_progress)
        fputs("\r\033[K", stderr);
    if (!o.quiet) {
        uint64_t index_bytes = 0, terms = 0;
        char n1[64], n2[64], n3[64], n4[64], n5[64], n6[64], n7[64];
        count_terms(&o, &s, &terms);
        for (size_t i = 0; i < s.ndone; i++)
            index_bytes += bl_segment_bytes(o.out_dir, s.done[i].id);
        fprintf(stderr, "indexed %s, %s, %s, %s; read %s in %s; wrote %s; %.2f s",
                counted(n1, s.articles, "article", "articles"),
                counted(n2, s.tokens, "token", "tokens"),
                counted(n3, terms, "distinct term", "distinct terms"),
                counted(n4, s.ndone, "segment", "segments"),
                counted(n5, stats.bytes, "byte", "bytes"),
                counted(n6, stats.files, "file", "files"),
                counted(n7, index_bytes, "index byte", "index bytes"), now() - s.started);
        if (s.replacements)
            fprintf(stderr, "; %s",
                    counted(n1, s.replacements, "article replaced", "articles replaced"));
        if (s.other_shards)
            fprintf(stderr, "; %s",
                    counted(n1, s.other_shards, "article left to other shards",
                            "articles left to other shards"));
        if (stats.files_ignored)
            fprintf(stderr, "; %s (unknown extension; see --format)",
                    counted(n1, stats.files_ignored, "file ignored", "files ignored"));
        if (stats.warnings)
            fprintf(stderr, "; %s", counted(n1, stats.warnings, "warning", "warnings"));
        if (stats.skipped + s.duplicates_skipped)
            fprintf(stderr, "; skipped %s",
                    counted(n1, stats.skipped + s.duplicates_skipped, "bad record", "bad records"));
        if (s.invalid_bytes)
            fprintf(stderr, "; %s read as Windows-1252",
                    counted(n1, s.invalid_bytes, "invalid UTF-8 byte", "invalid UTF-8 bytes"));
        fputc('\n', stderr);
    }
    /* the run's ids are committed: their memory goes before the merges' */
    bl_id_guard_free(res->ids);
    res->ids = s.ids = NULL;
    if (!exit_code && o.merge_factor && merge_due(&o, &m, lock, s.show_progress) != 0)
        exit_code = EXIT_RUNTIME;
done:
    free(s.done);
    bl_analyzer_free(s.analyzer);
    bl_pending_free(s.replaced);
    bl_index_close(s.existing);
    bl_manifest_release(&m);
    bl_manifest_unlock(lock);
    return exit_code;
fail:
    if (s.show_progress)
        fputs("\r\033[K", stderr);
    /* Only files this run created go; a writer that lost the lock race
     * (lock < 0) created nothing and removes nothing, and one whose
     * directory was moved or replaced meanwhile touches nothing more: its
     * paths may now name another writer's index. */
    int ours = lock >= 0 && bl_manifest_lock_holds(o.out_dir, lock);
    bl_par_abort(s.par, ours);
    s.par = NULL;
    if (ours) {
        discard_new_segments(&s);
        bl_pending_discard(s.replaced, o.out_dir);
    } else {
        bl_inverter_forget(s.inv);
        s.inv = NULL;
    }
    free(s.done);
    bl_analyzer_free(s.analyzer);
    bl_pending_free(s.replaced);
    bl_index_close(s.existing);
    bl_manifest_release(&m);
    bl_termsafe_printf(stderr, "byline index: %s\n",
                       bl_error_detail()[0] ? bl_error_detail() : bl_strerror(rc));
    if (wrote_empty && ours)
        remove_empty_manifest(o.out_dir);
    if (ours && made.n > 0 && !index_exists(o.out_dir)) {
        /* We made the directory and hold its lock, and no run committed
         * into it: leave no trace of a failed first run. LOCK goes while
         * still held, so nobody can lock it after we have let go. */
        bl_manifest_unlock_remove(o.out_dir, lock);
        remove_made_dirs(&made);
    } else {
        bl_manifest_unlock(lock);
        if (rc != BL_ELOCKED)
            bl_termsafe_printf(stderr, "byline index: nothing was committed; %s is unchanged\n",
                               o.out_dir);
    }
    return rc == BL_EINVAL ? EXIT_USAGE : EXIT_RUNTIME;
}

int bl_cmd_index(int argc, char **argv)
{
    run_resources res = {0};
    int code = index_main(argc, argv, &res);
    bl_id_guard_free(res.ids);
    bl_field_map_release(&res.fields);
    return code;
}
