/* bench_store.h: the stored-article benchmark (byline-bench --store). */
#ifndef BL_BENCH_STORE_H
#define BL_BENCH_STORE_H

/* Runs the benchmark with the arguments after "--store" (argv[0] is
 * "--store"); returns the process exit status. */
int bl_bench_store(int argc, char **argv);

#endif
