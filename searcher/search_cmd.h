/* search_cmd.h: `byline search` and `byline check`, the reading commands. */
#ifndef BL_SEARCH_CMD_H
#define BL_SEARCH_CMD_H

/* Runs `byline search` (argv[0] == "search"). Returns the exit code:
 * 0 at least one match, 1 no match, 2 bad usage or malformed query,
 * 3 unreadable or damaged index. */
int bl_cmd_search(int argc, char **argv);

/* Runs `byline check` (argv[0] == "check"). Returns 0 if the index is
 * whole, 1 if damage was found, 2 on bad usage. */
int bl_cmd_check(int argc, char **argv);

#endif
