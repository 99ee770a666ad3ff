/* bench_sizes.h: where an index's postings bytes go (byline-bench --sizes). */
#ifndef BL_BENCH_SIZES_H
#define BL_BENCH_SIZES_H

/* Runs the breakdown with the arguments after "--sizes" (argv[0] is
 * "--sizes"); returns the process exit status. */
int bl_bench_sizes(int argc, char **argv);

#endif
