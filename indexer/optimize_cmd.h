/* optimize_cmd.h: `byline optimize`, which merges an index into one
 * segment. */
#ifndef BL_OPTIMIZE_CMD_H
#define BL_OPTIMIZE_CMD_H

/* Runs `byline optimize` with argv[0] == "optimize". Returns the process
 * exit code: 0 done (or nothing to do), 2 bad usage or no index there, 3
 * an error (the index is left as its last commit had it). */
int bl_cmd_optimize(int argc, char **argv);

#endif
