/* check_cmd.c: `byline check -i INDEX`: verifies every file's checksum and
 * every structural invariant, segment by segment, and names the file and
 * offset of anything wrong. */
#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "index.h"
#include "manifest.h"
#include "search_cmd.h"
#include "segment.h"
#include "termsafe.h"

static void usage(FILE *f)
{
    fputs("usage: byline check -i INDEX\n"
          "\n"
          "Verifies the checksum of every index file and walks every term list,\n"
          "dictionary block and stored document. Prints what is damaged (file and\n"
          "byte offset) or one line saying the index is whole.\n"
          "Exit status: 0 whole, 1 damage found (or an index this byline cannot\n"
          "search), 2 bad usage (or no index there).\n",
          f);
}

int bl_cmd_check(int argc, char **argv)
{
    static const struct option longs[] = {
        {"index", required_argument, 0, 'i'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    const char *dir = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "i:h", longs, NULL)) != -1) {
        if (c == 'i')
            dir = optarg;
        else if (c == 'h') {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (!dir || optind < argc) {
        usage(stderr);
        return 2;
    }
    bl_manifest m;
    int rc = bl_manifest_read(dir, &m);
    if (rc) {
        /* No index at all is a wrong path (usage); segments without their
         * manifest are damage. */
        if (rc == BL_ENOTFOUND && !bl_manifest_dir_has_segments(dir)) {
            bl_termsafe_printf(stderr, "byline check: %s\n", bl_error_detail());
            return 2;
        }
        bl_termsafe_printf(stdout, "damaged: %s\n", bl_error_detail());
        return 1;
    }
    int damaged = 0;
    uint64_t docs = 0, terms = 0, deleted = 0;
    const bl_termdict **dicts = calloc(m.nsegments ? m.nsegments : 1, sizeof *dicts);
    bl_segment **segs = calloc(m.nsegments ? m.nsegments : 1, sizeof *segs);
    if (!dicts || !segs) {
        fprintf(stderr, "byline check: out of memory\n");
        free(dicts);
        free(segs);
        bl_manifest_release(&m);
        return 1;
    }
    for (uint32_t i = 0; i < m.nsegments; i++) {
        rc = bl_segment_open(&segs[i], dir, &m, i, 1);
        if (!rc) {
            rc = bl_segment_check(segs[i]);
            dicts[i] = bl_segment_termdict(segs[i]);
        }
        if (rc) {
            bl_termsafe_printf(stdout, "damaged: segment %llu: %s\n",
                               (unsigned long long)m.segments[i].id, bl_error_detail());
            damaged = 1;
        }
        docs += m.segments[i].doc_count - m.segments[i].del_count;
        deleted += m.segments[i].del_count;
    }
    if (m.analyzer_version != BL_ANALYZER_VERSION) {
        /* Whole, perhaps, but not searchable by this byline. */
        bl_termsafe_printf(stdout, "unusable: %s/" BL_MANIFEST_NAME ": built with analyzer "
                           "version %u, this byline has version %d; index the articles again\n",
                           dir, m.analyzer_version, BL_ANALYZER_VERSION);
        damaged = 1;
    }
    if (!damaged && bl_termdict_count_union(dicts, m.nsegments, &terms) != 0) {
        bl_termsafe_printf(stdout, "damaged: %s\n", bl_error_detail());
        damaged = 1;
    }
    for (uint32_t i = 0; i < m.nsegments; i++)
        bl_segment_close(segs[i]);
    free(segs);
    free(dicts);
    char dels[64] = "";
    if (deleted)
        snprintf(dels, sizeof dels, " (%llu deleted, to be reclaimed by merges)",
                 (unsigned long long)deleted);
    if (!damaged)
        bl_termsafe_printf(stdout, "ok: %s: generation %llu, %u segment%s, %llu document%s%s, "
                           "%llu distinct term%s, language %s%s\n",
                           dir, (unsigned long long)m.generation, m.nsegments,
                           m.nsegments == 1 ? "" : "s", (unsigned long long)docs,
                           docs == 1 ? "" : "s", dels,
                           (unsigned long long)terms, terms == 1 ? "" : "s", m.lang,
                           m.dense_ratio == BL_DENSE_RATIO_COMPACT ? ", compact" : "");
    bl_manifest_release(&m);
    return damaged;
}
