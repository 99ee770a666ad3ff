/* delete_cmd.h: `byline delete`, which removes articles by id. */
#ifndef BL_DELETE_CMD_H
#define BL_DELETE_CMD_H

/* Runs `byline delete` with argv[0] == "delete". Returns the process exit
 * code: 0 every id deleted, 1 some id was not in the index (the others
 * were deleted), 2 bad usage or no index there, 3 an error (the index is
 * left as it was). */
int bl_cmd_delete(int argc, char **argv);

#endif
