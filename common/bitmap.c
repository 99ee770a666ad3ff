/* bitmap.c: AND + popcount over word arrays (layout and paths in bitmap.h).
 *
 * AND + popcount of two bitmaps is how two dense lists intersect. Their
 * words come from a file mapping that the intersection reads once, so the
 * loop mostly waits for memory; what the paths buy is not being slower
 * than that: the scalar path's portable popcount takes a dozen operations
 * a word, POPCNT one, and AVX2 counts four words at once by looking up
 * each nibble's bits in a 16-entry table (vpshufb), summing bytes with
 * vpsadbw. The SIMD code carries __attribute__((target)), so the file needs
 * no special flags and runs on any x86-64.
 */
#include "bitmap.h"

#include "simd_path.h"

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define BL_X86 1
#include <immintrin.h>
#endif

/* ---- scalar ------------------------------------------------------------ */

static uint64_t scalar_and_count(const uint64_t *a, const uint64_t *b, size_t n)
{
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += bl_popcount64(a[i] & b[i]);
    return total;
}

/* ---- POPCNT and AVX2 --------------------------------------------------- */

#ifdef BL_X86
#define POPCNT __attribute__((target("popcnt")))
#define AVX2 __attribute__((target("avx2,popcnt")))

static POPCNT uint64_t popcnt_and_count(const uint64_t *a, const uint64_t *b, size_t n)
{
    /* Two sums, so consecutive POPCNTs do not wait on one another. */
    uint64_t s0 = 0, s1 = 0;
    size_t i = 0;
    for (; i + 2 <= n; i += 2) {
        s0 += (uint64_t)__builtin_popcountll(a[i] & b[i]);
        s1 += (uint64_t)__builtin_popcountll(a[i + 1] & b[i + 1]);
    }
    if (i < n)
        s0 += (uint64_t)__builtin_popcountll(a[i] & b[i]);
    return s0 + s1;
}

/* Per-byte bit counts of v: each nibble's count from a 16-entry table. */
static inline AVX2 __m256i avx_byte_counts(__m256i v)
{
    const __m256i table = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,
                                           0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
    const __m256i low = _mm256_set1_epi8(0x0f);
    __m256i lo = _mm256_shuffle_epi8(table, _mm256_and_si256(v, low));
    __m256i hi = _mm256_shuffle_epi8(table, _mm256_and_si256(_mm256_srli_epi16(v, 4), low));
    return _mm256_add_epi8(lo, hi);
}

/* Rounds of 8 words (two vectors, at most 16 bits a byte) a byte counter
 * takes before it could pass 255: 15 rounds reach 240. */
#define AVX_ROUNDS 15

static AVX2 uint64_t avx_and_count(const uint64_t *a, const uint64_t *b, size_t n)
{
    const __m256i zero = _mm256_setzero_si256();
    __m256i total = zero;
    size_t i = 0;
    while (i + 8 <= n) {
        __m256i bytes = zero;
        for (int r = 0; r < AVX_ROUNDS && i + 8 <= n; r++, i += 8) {
            __m256i x = _mm256_and_si256(_mm256_loadu_si256((const __m256i *)(a + i)),
                                         _mm256_loadu_si256((const __m256i *)(b + i)));
            __m256i y = _mm256_and_si256(_mm256_loadu_si256((const __m256i *)(a + i + 4)),
                                         _mm256_loadu_si256((const __m256i *)(b + i + 4)));
            bytes = _mm256_add_epi8(bytes, _mm256_add_epi8(avx_byte_counts(x),
                                                           avx_byte_counts(y)));
        }
        total = _mm256_add_epi64(total, _mm256_sad_epu8(bytes, zero));
    }
    uint64_t lanes[4];
    _mm256_storeu_si256((__m256i *)lanes, total);
    return lanes[0] + lanes[1] + lanes[2] + lanes[3] + popcnt_and_count(a + i, b + i, n - i);
}
#endif

/* ---- choosing a path --------------------------------------------------- */

typedef struct {
    bl_simd_path head; /* first: the table holds &path.head */
    uint64_t (*and_count)(const uint64_t *a, const uint64_t *b, size_t n);
} bitmap_path;

static const bitmap_path scalar_path = {{"scalar", bl_simd_path_always}, scalar_and_count};

#ifdef BL_X86
static int has_popcnt(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("popcnt");
}

static int has_avx2(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt");
}

static const bitmap_path popcnt_path = {{"popcnt", has_popcnt}, popcnt_and_count};
static const bitmap_path avx2_path = {{"avx2", has_avx2}, avx_and_count};
#endif

/* Best first; the last, scalar, runs everywhere. */
static const bl_simd_path *const all_paths[] = {
#ifdef BL_X86
    &avx2_path.head, &popcnt_path.head,
#endif
    &scalar_path.head,
};
static bl_simd_paths paths = BL_SIMD_PATHS(all_paths);

static const bitmap_path *path(void) { return (const bitmap_path *)bl_simd_path_get(&paths); }

const char *bl_bitmap_impl(void) { return bl_simd_path_get(&paths)->name; }

int bl_bitmap_select(const char *name) { return bl_simd_path_select(&paths, name); }

/* ---- kernels ----------------------------------------------------------- */

uint64_t bl_bitmap_and_count(const uint64_t *a, const uint64_t *b, size_t n)
{
    return path()->and_count(a, b, n);
}

uint32_t bl_bitmap_next(const uint64_t *words, uint32_t nwords, uint32_t from)
{
    uint32_t i = from >> 6;
    if (i >= nwords)
        return UINT32_MAX;
    uint64_t w = bl_bitmap_word(words, i) & (~0ULL << (from & 63));
    while (w == 0) {
        if (++i == nwords)
            return UINT32_MAX;
        w = bl_bitmap_word(words, i);
    }
    /* below 2^32: nwords <= 2^26 for 32-bit doc ids */
    return (uint32_t)((uint64_t)i * 64 + (uint64_t)__builtin_ctzll(w));
}

/* Words ANDed at a time by bl_bitmap_and_count_many (16 KiB of stack). */
#define AND_CHUNK 2048

uint64_t bl_bitmap_and_count_many(const uint64_t *const *maps, size_t k, size_t n)
{
    const bitmap_path *p = path();
    if (k == 1)
        return p->and_count(maps[0], maps[0], n);
    if (k == 2)
        return p->and_count(maps[0], maps[1], n);
    uint64_t tmp[AND_CHUNK], total = 0;
    for (size_t at = 0; at < n; at += AND_CHUNK) {
        size_t m = n - at < AND_CHUNK ? n - at : AND_CHUNK;
        for (size_t j = 0; j < m; j++)
            tmp[j] = maps[0][at + j] & maps[1][at + j];
        for (size_t i = 2; i + 1 < k; i++)
            for (size_t j = 0; j < m; j++)
                tmp[j] &= maps[i][at + j];
        total += p->and_count(tmp, maps[k - 1] + at, m);
    }
    return total;
}

/* bl_bitmap_count_docs of one set: the loop an intersection spends its
 * time in when one list is dense. */
static uint64_t count_docs_in(const uint64_t *words, const uint32_t *docs, size_t n)
{
    /* Four sums: the loads are independent, the additions need not be. */
    uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += (uint64_t)bl_bitmap_test(words, docs[i]);
        s1 += (uint64_t)bl_bitmap_test(words, docs[i + 1]);
        s2 += (uint64_t)bl_bitmap_test(words, docs[i + 2]);
        s3 += (uint64_t)bl_bitmap_test(words, docs[i + 3]);
    }
    for (; i < n; i++)
        s0 += (uint64_t)bl_bitmap_test(words, docs[i]);
    return s0 + s1 + s2 + s3;
}

uint64_t bl_bitmap_count_docs(const uint64_t *const *maps, size_t k, const uint32_t *docs,
                              size_t n)
{
    if (k == 1)
        return count_docs_in(maps[0], docs, n);
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        int in = 1;
        for (size_t j = 0; j < k; j++)
            in &= bl_bitmap_test(maps[j], docs[i]);
        total += (uint64_t)in;
    }
    return total;
}

/* One doc of bl_bitmap_count_any: an id past the set reads word 0 and is
 * masked out, so the load never depends on a branch. */
static inline uint64_t test_any(const uint64_t *words, uint32_t nwords, uint32_t doc)
{
    uint32_t w = doc >> 6;
    uint64_t in = w < nwords;
    return in & bl_bitmap_word(words, in ? w : 0) >> (doc & 63);
}

uint64_t bl_bitmap_count_any(const uint64_t *words, uint32_t nwords, const uint32_t *docs,
                             size_t n)
{
    uint64_t s0 = 0, s1 = 0;
    size_t i = 0;
    for (; i + 2 <= n; i += 2) {
        s0 += test_any(words, nwords, docs[i]);
        s1 += test_any(words, nwords, docs[i + 1]);
    }
    if (i < n)
        s0 += test_any(words, nwords, docs[i]);
    return s0 + s1;
}
