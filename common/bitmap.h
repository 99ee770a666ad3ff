/* bitmap.h: sets of doc ids as arrays of 64-bit words, the form of a dense
 * posting list's bitmap (postings.h): doc d is bit d % 64 of word d / 64,
 * each word little-endian as stored in the .doc file, so the arrays are
 * read in place from the mapping.
 *
 * The kernels over whole arrays (AND + popcount) have paths chosen at run
 * time, as bitpack.h's are: "scalar" (portable C, always built), "popcnt"
 * (x86's POPCNT instruction) and "avx2" (a nibble-table popcount of 256
 * bits at a time); all give the same counts. The best the CPU supports is
 * chosen on the first call (thread-safe, lock-free); BYLINE_SIMD=scalar or
 * BYLINE_SIMD=avx2, read at that moment, forces that path here too (any
 * other value, or a path the CPU lacks, leaves the best one).
 * Word-by-word helpers (a bit test, a word) are inline and scalar.
 */
#ifndef BL_BITMAP_H
#define BL_BITMAP_H

#include <stddef.h>
#include <stdint.h>

/* Word i of a stored bitmap, in host order. */
static inline uint64_t bl_bitmap_word(const uint64_t *words, size_t i)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return __builtin_bswap64(words[i]);
#else
    return words[i];
#endif
}

/* 1 if doc is in the set, else 0; doc / 64 must be below the words'
 * count (a posting list's ids are below its segment's doc_count). */
static inline int bl_bitmap_test(const uint64_t *words, uint32_t doc)
{
    return (int)(bl_bitmap_word(words, doc >> 6) >> (doc & 63) & 1);
}

/* Bits set in x, by halving sums: no instruction a CPU may lack, and no
 * call (a plain __builtin_popcountll calls libgcc on baseline x86-64). */
static inline uint64_t bl_popcount64(uint64_t x)
{
    x = x - (x >> 1 & 0x5555555555555555ULL);
    x = (x & 0x3333333333333333ULL) + (x >> 2 & 0x3333333333333333ULL);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
    return x * 0x0101010101010101ULL >> 56;
}

/* The first doc >= from in the set of nwords words, or UINT32_MAX when
 * there is none (from may be anything). */
uint32_t bl_bitmap_next(const uint64_t *words, uint32_t nwords, uint32_t from);

/* Number of docs in both a and b (n words each): AND + popcount. */
uint64_t bl_bitmap_and_count(const uint64_t *a, const uint64_t *b, size_t n);

/* Number of docs in all k sets maps[0..k) (k >= 1, n words each): ANDed a
 * chunk of words at a time, without allocating. */
uint64_t bl_bitmap_and_count_many(const uint64_t *const *maps, size_t k, size_t n);

/* How many of docs[0..n) are in all k sets maps[0..k) (k >= 1; each doc /
 * 64 below the sets' word count): bit tests, with no branch on their
 * outcome. */
uint64_t bl_bitmap_count_docs(const uint64_t *const *maps, size_t k, const uint32_t *docs,
                              size_t n);

/* How many of docs[0..n) are in the set of nwords words, for ids not yet
 * checked (decoded from bytes that may be damaged): any value may be
 * given, one at or past 64 * nwords is not in the set and is never read
 * past. Scalar, no branch on the outcome. */
uint64_t bl_bitmap_count_any(const uint64_t *words, uint32_t nwords, const uint32_t *docs,
                             size_t n);

/* Name of the path in use: "scalar", "popcnt" or "avx2". Static string. */
const char *bl_bitmap_impl(void);

/* Switches this process to the named path ("scalar", "popcnt", "avx2"), or
 * to the best the CPU supports for NULL; for tests and benchmarks. Returns
 * 0, or BL_EINVAL (nothing changes) for an unknown name or one the CPU
 * lacks. */
int bl_bitmap_select(const char *name);

#endif
