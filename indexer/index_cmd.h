/* index_cmd.h: `byline index`, the command that builds or extends an index. */
#ifndef BL_INDEX_CMD_H
#define BL_INDEX_CMD_H

/* Runs `byline index` with argv[0] == "index". Returns the process exit
 * code: 0 done, 2 bad usage, 3 bad input or I/O error (index unchanged). */
int bl_cmd_index(int argc, char **argv);

#endif
