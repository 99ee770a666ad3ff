/* delete_cmd.c: `byline delete -i INDEX [--delete-from FILE] [ID...]`:
 * takes the writer lock, marks each id's document deleted
 * (pending_deletes.h) and commits the segments' new deletions with one
 * manifest rename: every deletion of the run becomes visible at once, or
 * none does. */
#include "delete_cmd.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "index.h"
#include "manifest.h"
#include "pending_deletes.h"
#include "termsafe.h"

#define EXIT_MISSING 1
#define EXIT_USAGE 2
#define EXIT_RUNTIME 3

static void usage(FILE *f)
{
    fputs("usage: byline delete -i INDEX [--delete-from FILE] [ID...]\n"
          "\n"
          "Removes the articles with the given ids from INDEX: they leave search\n"
          "results and the statistics that score them (document count, average\n"
          "length) at once; merges reclaim their space. All deletions of a run are\n"
          "committed together.\n"
          "\n"
          "  -i, --index DIR         the index\n"
          "      --delete-from FILE  also delete the ids listed in FILE, one a line\n"
          "                          ('-': standard input)\n"
          "  -q, --quiet             no summary\n"
          "  -h, --help              this help\n"
          "\n"
          "Exit status: 0 all deleted, 1 some id was not in the index (the others\n"
          "were deleted), 2 bad usage or no index, 3 an error (index unchanged).\n",
          f);
}

typedef struct {
    bl_pending_deletes *p;
    uint64_t missing;
    int quiet;
} run;

static int delete_one(run *r, const char *id, size_t len)
{
    int rc = bl_pending_delete_id(r->p, id, len);
    if (rc != BL_ENOTFOUND)
        return rc;
    r->missing++;
    if (!r->quiet)
        bl_termsafe_printf(stderr, "byline delete: not in the index: %.*s\n", (int)len, id);
    return 0;
}

static int delete_listed(run *r, const char *path)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (!f)
        return bl_error_set(BL_EIO, "%s: cannot open: %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = 0;
    while (!rc && (n = getline(&line, &cap, f)) >= 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            n--;
        if (n > 0)
            rc = delete_one(r, line, (size_t)n);
    }
    if (!rc && ferror(f))
        rc = bl_error_set(BL_EIO, "%s: read error: %s", path, strerror(errno));
    free(line);
    if (f != stdin)
        fclose(f);
    return rc;
}

int bl_cmd_delete(int argc, char **argv)
{
    static const struct option longs[] = {{"index", required_argument, 0, 'i'},
                                          {"delete-from", required_argument, 0, 'D'},
                                          {"quiet", no_argument, 0, 'q'},
                                          {"help", no_argument, 0, 'h'},
                                          {0, 0, 0, 0}};
    const char *dir = NULL, *from = NULL;
    run r = {0};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "i:qh", longs, NULL)) != -1) {
        switch (c) {
        case 'i': dir = optarg; break;
        case 'D': from = optarg; break;
        case 'q': r.quiet = 1; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    if (!dir || (optind == argc && !from)) {
        usage(stderr);
        return EXIT_USAGE;
    }
    int lock = -1, renamed = 0;
    bl_manifest m = {0};
    bl_index *idx = NULL;
    int rc = bl_manifest_lock(dir, &lock);
    if (!rc)
        rc = bl_manifest_read(dir, &m);
    if (rc == BL_ENOTFOUND) {
        bl_termsafe_printf(stderr, "byline delete: %s\n", bl_error_detail());
        if (lock >= 0)
            bl_manifest_unlock(lock);
        return EXIT_USAGE;
    }
    if (!rc) {
        bl_manifest_remove_orphans(dir, &m);
        rc = bl_index_open(&idx, dir, 0);
    }
    if (!rc)
        rc = bl_pending_new(&r.p, idx);
    for (int i = optind; !rc && i < argc; i++)
        rc = delete_one(&r, argv[i], strlen(argv[i]));
    if (!rc && from)
        rc = delete_listed(&r, from);
    uint64_t deleted = r.p ? bl_pending_count(r.p) : 0;
    if (!rc && deleted) {
        uint64_t gen = m.generation + 1;
        rc = bl_pending_write(r.p, dir, &m, gen);
        m.generation = gen;
        if (!rc)
            rc = bl_manifest_commit_held(dir, lock, &m, &renamed);
        if (!renamed && bl_manifest_lock_holds(dir, lock))
            bl_pending_discard(r.p, dir);
        if (renamed)
            bl_manifest_remove_orphans(dir, &m); /* the replaced deletions files */
    }
    int code = 0;
    if (rc) {
        bl_termsafe_printf(stderr, "byline delete: %s\n",
                           bl_error_detail()[0] ? bl_error_detail() : bl_strerror(rc));
        bl_termsafe_printf(stderr, renamed ? "byline delete: the deletions were committed, but "
                           "may not survive a power loss\n"
                           : "byline delete: nothing was deleted; %s is unchanged\n", dir);
        code = EXIT_RUNTIME;
    } else {
        if (!r.quiet)
            fprintf(stderr, "deleted %llu article%s%s", (unsigned long long)deleted,
                    deleted == 1 ? "" : "s", r.missing ? "; " : "\n");
        if (!r.quiet && r.missing)
            fprintf(stderr, "%llu id%s not in the index\n", (unsigned long long)r.missing,
                    r.missing == 1 ? "" : "s");
        code = r.missing ? EXIT_MISSING : 0;
    }
    bl_pending_free(r.p);
    bl_index_close(idx);
    bl_manifest_release(&m);
    if (lock >= 0)
        bl_manifest_unlock(lock);
    return code;
}
