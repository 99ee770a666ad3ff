/* byline.c: the `byline` program: dispatches to its subcommands. */
#include <stdio.h>
#include <string.h>

#include "delete_cmd.h"
#include "index_cmd.h"
#include "optimize_cmd.h"
#include "search_cmd.h"
#include "termsafe.h"

#define BYLINE_VERSION "0.1.0"

static void usage(FILE *f)
{
    fputs("usage: byline COMMAND [options]\n"
          "\n"
          "Full-text search for news archives.\n"
          "\n"
          "  index    build or extend an index from article files\n"
          "  search   answer queries with ranked, highlighted snippets\n"
          "  delete   remove articles from an index by id\n"
          "  optimize merge an index's segments into one\n"
          "  check    verify an index's checksums and structure\n"
          "\n"
          "`byline COMMAND --help` describes each command.\n",
          f);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "index") == 0)
        return bl_cmd_index(argc - 1, argv + 1);
    if (strcmp(cmd, "search") == 0)
        return bl_cmd_search(argc - 1, argv + 1);
    if (strcmp(cmd, "delete") == 0)
        return bl_cmd_delete(argc - 1, argv + 1);
    if (strcmp(cmd, "optimize") == 0)
        return bl_cmd_optimize(argc - 1, argv + 1);
    if (strcmp(cmd, "check") == 0)
        return bl_cmd_check(argc - 1, argv + 1);
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("byline %s\n", BYLINE_VERSION);
        return 0;
    }
    bl_termsafe_printf(stderr, "byline: unknown command '%s'\n", cmd);
    usage(stderr);
    return 2;
}
