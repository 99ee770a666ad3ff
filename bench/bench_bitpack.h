/* bench_bitpack.h: `byline-bench --bitpack`, the micro-benchmark of
 * common/bitpack (codec 2's block primitives). */
#ifndef BL_BENCH_BITPACK_H
#define BL_BENCH_BITPACK_H

#include <stdint.h>

/* Prints ns per integer of bl_unpack128, bl_unpack128_delta1 and
 * bl_pack128 at every width 0..32 on every path the CPU has, beside memcpy
 * of the same bytes; each figure is the median of `runs` timings; inputs
 * come from `seed`. Leaves the best path selected. Returns 0, or 1 if a
 * decode disagrees with the values packed. */
int bench_bitpack(int runs, uint64_t seed);

#endif
