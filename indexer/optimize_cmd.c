/* optimize_cmd.c: `byline optimize -i INDEX`: takes the writer lock and
 * merges every segment into one (merge.h), committed like any change: a
 * failure or a crash leaves the index as its last commit had it. */
#include "optimize_cmd.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "manifest.h"
#include "merge.h"
#include "segment.h"
#include "termsafe.h"

#define EXIT_USAGE 2
#define EXIT_RUNTIME 3

static void usage(FILE *f)
{
    fputs("usage: byline optimize -i INDEX [-m MB] [--compact | --no-compact] [-q]\n"
          "\n"
          "Merges all segments of INDEX into one: searches then open one segment\n"
          "and read one list per word. Results and scores stay the same. Readers\n"
          "may search meanwhile: they see the index before or after, whole.\n"
          "\n"
          "  -i, --index DIR   the index\n"
          "  -m, --memory MB   memory the merge's word pairs may take before they\n"
          "                    go to a temporary file in INDEX (default 256)\n"
          "      --compact     make the index compact (as byline index --compact):\n"
          "                    word pairs and bitmaps for the most common words only\n"
          "      --no-compact  make it the default kind again\n"
          "  -q, --quiet       no summary\n"
          "  -h, --help        this help\n"
          "\n"
          "Exit status: 0 done (or already one segment), 2 bad usage or no index,\n"
          "3 an error (the index is left as it was).\n",
          f);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int bl_cmd_optimize(int argc, char **argv)
{
    static const struct option longs[] = {{"index", required_argument, 0, 'i'},
                                          {"quiet", no_argument, 0, 'q'},
                                          {"memory", required_argument, 0, 'm'},
                                          {"help", no_argument, 0, 'h'},
                                          {"compact", no_argument, 0, 'P'},
                                          {"no-compact", no_argument, 0, 'N'},
                                          {0, 0, 0, 0}};
    const char *dir = NULL;
    int quiet = 0, compact = -1, c;
    size_t memory = (size_t)256 << 20;
    optind = 1;
    while ((c = getopt_long(argc, argv, "i:m:qh", longs, NULL)) != -1) {
        switch (c) {
        case 'i': dir = optarg; break;
        case 'm': {
            char *end;
            unsigned long mb = strtoul(optarg, &end, 10);
            if (end == optarg || *end || optarg[0] == '-' || mb < 1 || mb > 1048576) {
                fputs("byline optimize: -m wants megabytes, 1 to 1048576\n", stderr);
                return EXIT_USAGE;
            }
            memory = (size_t)mb << 20;
            break;
        }
        case 'q': quiet = 1; break;
        case 'P': compact = 1; break;
        case 'N': compact = 0; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    if (!dir || optind < argc) {
        usage(stderr);
        return EXIT_USAGE;
    }
    double start = now();
    int lock = -1;
    bl_manifest m = {0};
    int rc = bl_manifest_lock(dir, &lock);
    if (!rc)
        rc = bl_manifest_read(dir, &m);
    if (rc) {
        bl_termsafe_printf(stderr, "byline optimize: %s\n",
                           bl_error_detail()[0] ? bl_error_detail() : bl_strerror(rc));
        if (lock >= 0)
            bl_manifest_unlock(lock);
        return rc == BL_ENOTFOUND ? EXIT_USAGE : EXIT_RUNTIME;
    }
    bl_manifest_remove_orphans(dir, &m);
    uint32_t before = m.nsegments;
    uint64_t gen_before = m.generation;
    uint64_t bytes_before = 0;
    for (uint32_t i = 0; i < m.nsegments; i++)
        bytes_before += bl_segment_bytes(dir, m.segments[i].id);
    int code = 0, said = 0;
    uint32_t ratio_before = m.dense_ratio;
    if (compact >= 0)
        m.dense_ratio = compact ? BL_DENSE_RATIO_COMPACT : BL_DENSE_RATIO;
    /* one segment with deletions, or of another dense ratio than the
     * index's, is written again */
    if (m.nsegments > 1 ||
        (m.nsegments == 1 &&
         (m.segments[0].del_count || m.segments[0].dense_ratio != m.dense_ratio))) {
        int renamed = 0;
        rc = bl_merge_commit(dir, lock, &m, 0, m.nsegments, memory, &renamed);
        if (rc) {
            bl_termsafe_printf(stderr, "byline optimize: %s\n",
                               bl_error_detail()[0] ? bl_error_detail() : bl_strerror(rc));
            if (renamed)
                fputs("byline optimize: the index was merged, but the change may not survive "
                      "a power loss\n", stderr);
            else
                bl_termsafe_printf(stderr, "byline optimize: nothing was committed; %s is "
                                   "unchanged\n", dir);
            code = EXIT_RUNTIME;
        }
    } else if (m.dense_ratio != ratio_before) {
        /* nothing to rewrite, but the setting must stay for later runs */
        int renamed = 0;
        m.generation++;
        rc = bl_manifest_commit_held(dir, lock, &m, &renamed);
        if (rc) {
            bl_termsafe_printf(stderr, "byline optimize: %s\n",
                               bl_error_detail()[0] ? bl_error_detail() : bl_strerror(rc));
            if (renamed)
                fputs("byline optimize: the setting may not survive a power loss\n", stderr);
            code = EXIT_RUNTIME;
        } else if (!quiet) {
            bl_termsafe_printf(stderr, "%s: now %s; no segment needed rewriting\n", dir,
                               compact ? "compact" : "of the default kind");
            said = 1;
        }
    }
    if (!code && !quiet && !said) {
        if (before <= 1 && !rc && m.generation == gen_before)
            bl_termsafe_printf(stderr, "%s: already %u segment; nothing to do\n", dir,
                               before);
        else
            bl_termsafe_printf(stderr, "optimized %s: %u segment%s became 1 (%llu bytes, "
                               "%llu before); %.2f s\n", dir, before, before == 1 ? "" : "s",
                               (unsigned long long)bl_segment_bytes(dir, m.segments[0].id),
                               (unsigned long long)bytes_before, now() - start);
    }
    bl_manifest_release(&m);
    bl_manifest_unlock(lock);
    return code;
}
