/* bitpack.c: codec 2's bit packing (layout in bitpack.h).
 *
 * Only unpacking is on the query path, so only it is specialised: each
 * SIMD path (SSE4.1, AVX2) writes its unpack kernel once, as an
 * always-inline function of the width, and BL_EACH_WIDTH stamps out one
 * copy per width 0..32, in which the compiler unrolls the 32 steps and
 * folds every shift count and row offset into constants. Packing, prefix
 * sums and the scalar path are one loop for every width. The SIMD code
 * carries __attribute__((target)), so this file needs no special compiler
 * flags and runs on any x86-64: a table of function pointers per path is
 * chosen once, on first use. (Unrolling all 33 widths is what the compile
 * time of this file goes to; a sanitized build multiplies it.)
 */
#include "bitpack.h"

#include <assert.h>
#include <string.h>

#include "bitmap.h"
#include "error.h"
#include "simd_path.h"

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define BL_X86 1
#include <immintrin.h>
#endif

#define ALWAYS_INLINE inline __attribute__((always_inline))
/* Unrolling is what turns the per-step shift counts into immediates. */
#define UNROLL_32 _Pragma("GCC unroll 32")

#define BL_EACH_WIDTH(X)                                                                  \
    X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13) X(14) X(15)  \
    X(16) X(17) X(18) X(19) X(20) X(21) X(22) X(23) X(24) X(25) X(26) X(27) X(28) X(29)   \
    X(30) X(31) X(32)

#define NWIDTHS (BL_PACK_MAX_BITS + 1)

/* The widths of the fused counts (avx_count_body): 5 to 25, 25 the widest
 * whose sums a fused count makes in 32 bits (sum_gaps: 128 gaps of up to
 * 25 bits wrap at most once). The avx2 path fuses the widths of
 * BL_WIDTHS_GATHERED, the avx2-gather path the narrow ones too (see
 * avx_count_body for why). */
#define BL_WIDTHS_NARROW_GATHERED(X) X(5) X(6) X(7) X(8) X(9) X(10)
#define BL_WIDTHS_GATHERED(X)                                                             \
    X(11) X(12) X(13) X(14) X(15) X(16) X(17) X(18) X(19) X(20) X(21) X(22) X(23) X(24)   \
    X(25)

static ALWAYS_INLINE uint32_t low_mask(unsigned bits)
{
    return bits >= 32 ? UINT32_MAX : (1u << bits) - 1;
}

static ALWAYS_INLINE uint32_t load_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static ALWAYS_INLINE void store_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* Word w of lane j (see the layout in bitpack.h). */
static ALWAYS_INLINE const uint8_t *word_at(const uint8_t *block, unsigned w, unsigned j)
{
    return block + 16 * w + 4 * j;
}

/* ---- scalar ------------------------------------------------------------ */

/* One loop for every width: the portable fallback and the plainest reading
 * of the layout. Step k handles word position k*b of the four lanes, which
 * share their shift, so compilers may vectorise the inner loop. */
static void scalar_pack(const uint32_t *restrict in, unsigned b, uint8_t *restrict out)
{
    const uint32_t mask = low_mask(b);
    uint32_t acc[4] = {0, 0, 0, 0};
    unsigned w = 0, s = 0;
    for (unsigned k = 0; k < 32 && b; k++) {
        for (unsigned j = 0; j < 4; j++)
            acc[j] |= (in[4 * k + j] & mask) << s;
        if (s + b < 32) {
            s += b;
            continue;
        }
        /* word w of each lane is full; the values' high bits start word w+1 */
        for (unsigned j = 0; j < 4; j++) {
            store_le32(out + 16 * w + 4 * j, acc[j]);
            acc[j] = s + b > 32 ? (in[4 * k + j] & mask) >> (32 - s) : 0;
        }
        w++;
        s = s + b - 32;
    }
}

static void scalar_unpack(const uint8_t *restrict in, unsigned b, uint32_t *restrict out)
{
    if (b == 0) {
        memset(out, 0, BL_PACK_BLOCK * sizeof *out);
        return;
    }
    const uint32_t mask = low_mask(b);
    unsigned w = 0, s = 0;
    for (unsigned k = 0; k < 32; k++) {
        if (s + b > 32)
            for (unsigned j = 0; j < 4; j++)
                out[4 * k + j] = (load_le32(word_at(in, w, j)) >> s |
                                  load_le32(word_at(in, w + 1, j)) << (32 - s)) & mask;
        else
            for (unsigned j = 0; j < 4; j++)
                out[4 * k + j] = load_le32(word_at(in, w, j)) >> s & mask;
        s += b;
        w += s / 32;
        s %= 32;
    }
}

/* v[0..n) from gaps to values, modulo 2^32 (the caller checks for a wrap). */
static void scalar_prefix1(uint32_t *v, size_t n, uint32_t base)
{
    uint32_t cur = base - 1; /* wraps for base 0; the first +1 undoes it */
    for (size_t i = 0; i < n; i++) {
        cur += v[i] + 1;
        v[i] = cur;
    }
}

static uint32_t scalar_or_all(const uint32_t *v, size_t n)
{
    uint32_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= v[i];
    return acc;
}

/* ---- SSE4.1 ------------------------------------------------------------ */

#ifdef BL_X86
#define SSE41 __attribute__((target("sse4.1")))

static ALWAYS_INLINE SSE41 __m128i sse_load_row(const uint8_t *block, unsigned r)
{
    return _mm_loadu_si128((const __m128i *)(const void *)(block + 16 * r));
}

/* Packing is not on the query path: one loop for every width, with shift
 * counts in a register. Step k handles word position k*b of the four
 * lanes, i.e. values 4k..4k+3, in the order they sit in memory. */
static SSE41 void sse_pack(const uint32_t *restrict in, unsigned b, uint8_t *restrict out)
{
    const __m128i mask = _mm_set1_epi32((int)low_mask(b));
    __m128i acc = _mm_setzero_si128();
    unsigned w = 0, s = 0;
    for (unsigned k = 0; k < 32 && b; k++) {
        __m128i v = _mm_and_si128(_mm_loadu_si128((const __m128i *)(const void *)(in + 4 * k)),
                                  mask);
        acc = _mm_or_si128(acc, _mm_sll_epi32(v, _mm_cvtsi32_si128((int)s)));
        if (s + b < 32) {
            s += b;
            continue;
        }
        /* word w of each lane is full; the values' high bits start word w+1 */
        _mm_storeu_si128((__m128i *)(void *)(out + 16 * w), acc);
        acc = s + b > 32 ? _mm_srl_epi32(v, _mm_cvtsi32_si128((int)(32 - s)))
                         : _mm_setzero_si128();
        w++;
        s = s + b - 32;
    }
}

/* Adds one to each gap and sums the four in the register: lane i gets
 * g[0]+...+g[i] + i + 1. */
static ALWAYS_INLINE SSE41 __m128i sse_local_sum1(__m128i g)
{
    g = _mm_add_epi32(g, _mm_set1_epi32(1));
    g = _mm_add_epi32(g, _mm_slli_si128(g, 4));
    return _mm_add_epi32(g, _mm_slli_si128(g, 8));
}

/* One register holds word k of the four lanes, so step k of the loop
 * yields values 4k..4k+3, in the order they sit in memory. */
static ALWAYS_INLINE SSE41 void sse_unpack_body(const uint8_t *restrict in, const unsigned b,
                                                uint32_t *restrict out)
{
    const __m128i mask = _mm_set1_epi32((int)low_mask(b));
    __m128i cur = b ? sse_load_row(in, 0) : _mm_setzero_si128();
    UNROLL_32
    for (unsigned k = 0; k < 32; k++) {
        unsigned t = k * b, w = t / 32, s = t % 32;
        __m128i v = _mm_srli_epi32(cur, (int)s);
        if (s + b >= 32 && w + 1 < b) {
            cur = sse_load_row(in, w + 1);
            if (s + b > 32)
                v = _mm_or_si128(v, _mm_slli_epi32(cur, (int)(32 - s)));
        }
        if (b < 32)
            v = _mm_and_si128(v, mask);
        _mm_storeu_si128((__m128i *)(void *)(out + 4 * k), v);
    }
}

/* The minus-one prefix sums of v[0..n) in place, modulo 2^32: carry holds
 * the last value so far, broadcast (base - 1 at the start). */
static SSE41 void sse_prefix1(uint32_t *v, size_t n, uint32_t base)
{
    __m128i carry = _mm_set1_epi32((int)(base - 1));
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        __m128i g = sse_local_sum1(_mm_loadu_si128((const __m128i *)(const void *)(v + i)));
        __m128i total = _mm_shuffle_epi32(g, 0xff);
        _mm_storeu_si128((__m128i *)(void *)(v + i), _mm_add_epi32(g, carry));
        carry = _mm_add_epi32(carry, total);
    }
    if (i < n)
        scalar_prefix1(v + i, n - i, (uint32_t)_mm_cvtsi128_si32(carry) + 1);
}

static SSE41 uint32_t sse_or_all(const uint32_t *v, size_t n)
{
    __m128i acc = _mm_setzero_si128();
    size_t i = 0;
    for (; i + 4 <= n; i += 4)
        acc = _mm_or_si128(acc, _mm_loadu_si128((const __m128i *)(const void *)(v + i)));
    acc = _mm_or_si128(acc, _mm_shuffle_epi32(acc, 0x4e));
    acc = _mm_or_si128(acc, _mm_shuffle_epi32(acc, 0xb1));
    return (uint32_t)_mm_cvtsi128_si32(acc) | scalar_or_all(v + i, n - i);
}

#define SSE_KERNELS(b)                                                                    \
    static SSE41 void sse_unpack_##b(const uint8_t *restrict in, unsigned bits,           \
                                     uint32_t *restrict out)                              \
    {                                                                                     \
        (void)bits;                                                                       \
        sse_unpack_body(in, b, out);                                                      \
    }
BL_EACH_WIDTH(SSE_KERNELS)

/* ---- AVX2 -------------------------------------------------------------- */

#define AVX2 __attribute__((target("avx2")))

/* Row lo in the low 128 bits, row hi in the high 128 bits. */
static ALWAYS_INLINE AVX2 __m256i avx_load_rows(const uint8_t *block, unsigned lo, unsigned hi)
{
    __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(block + 16 * lo));
    __m128i c = _mm_loadu_si128((const __m128i *)(const void *)(block + 16 * hi));
    return _mm256_inserti128_si256(_mm256_castsi128_si256(a), c, 1);
}

/* The layout is 4 lanes wide; a 256-bit register takes steps k and k+1 of
 * the four lanes, i.e. values 4k..4k+7, each half with its own row and
 * shift (variable shifts). A half whose value does not spill into the next
 * word shifts its spill row by 32, which AVX2 defines as giving 0; that row
 * must still lie inside the block (no over-read), hence the clamp below. */
static ALWAYS_INLINE AVX2 __m256i avx_unpack_pair(const uint8_t *in, const unsigned b,
                                                  unsigned k)
{
    if (b == 0)
        return _mm256_setzero_si256();
    unsigned t0 = k * b, w0 = t0 / 32, s0 = t0 % 32;
    unsigned t1 = t0 + b, w1 = t1 / 32, s1 = t1 % 32;
    __m256i v = _mm256_srlv_epi32(avx_load_rows(in, w0, w1),
                                  _mm256_setr_epi32((int)s0, (int)s0, (int)s0, (int)s0,
                                                    (int)s1, (int)s1, (int)s1, (int)s1));
    int spill0 = s0 + b > 32, spill1 = s1 + b > 32;
    if (spill0 || spill1) {
        unsigned r0 = w0 + 1 < b ? w0 + 1 : w0, r1 = w1 + 1 < b ? w1 + 1 : w1;
        int l0 = spill0 ? (int)(32 - s0) : 32, l1 = spill1 ? (int)(32 - s1) : 32;
        __m256i hi = _mm256_sllv_epi32(avx_load_rows(in, r0, r1),
                                       _mm256_setr_epi32(l0, l0, l0, l0, l1, l1, l1, l1));
        v = _mm256_or_si256(v, hi);
    }
    if (b < 32)
        v = _mm256_and_si256(v, _mm256_set1_epi32((int)low_mask(b)));
    return v;
}

/* Adds one to each of 8 gaps and sums them in the register. */
static ALWAYS_INLINE AVX2 __m256i avx_local_sum1(__m256i g)
{
    g = _mm256_add_epi32(g, _mm256_set1_epi32(1));
    g = _mm256_add_epi32(g, _mm256_slli_si256(g, 4)); /* within each 128-bit half */
    g = _mm256_add_epi32(g, _mm256_slli_si256(g, 8));
    /* The low half's total, moved to the high half (0x08: low half zeroed). */
    __m256i t = _mm256_shuffle_epi32(g, 0xff);
    __m256i low_total = _mm256_permute2x128_si256(t, t, 0x08);
    return _mm256_add_epi32(g, low_total);
}

static ALWAYS_INLINE AVX2 void avx_unpack_body(const uint8_t *restrict in, const unsigned b,
                                               uint32_t *restrict out)
{
    UNROLL_32
    for (unsigned k = 0; k < 32; k += 2)
        _mm256_storeu_si256((__m256i *)(void *)(out + 4 * k), avx_unpack_pair(in, b, k));
}

/* As sse_prefix1, 8 at a time. */
static AVX2 void avx_prefix1(uint32_t *v, size_t n, uint32_t base)
{
    __m256i carry = _mm256_set1_epi32((int)(base - 1));
    const __m256i last = _mm256_set1_epi32(7);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256i g = avx_local_sum1(_mm256_loadu_si256((const __m256i *)(const void *)(v + i)));
        __m256i total = _mm256_permutevar8x32_epi32(g, last);
        _mm256_storeu_si256((__m256i *)(void *)(v + i), _mm256_add_epi32(g, carry));
        carry = _mm256_add_epi32(carry, total);
    }
    if (i < n)
        scalar_prefix1(v + i, n - i, (uint32_t)_mm256_cvtsi256_si32(carry) + 1);
}

static AVX2 uint32_t avx_or_all(const uint32_t *v, size_t n)
{
    __m256i acc = _mm256_setzero_si256();
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        acc = _mm256_or_si256(acc, _mm256_loadu_si256((const __m256i *)(const void *)(v + i)));
    __m128i x = _mm_or_si128(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
    x = _mm_or_si128(x, _mm_shuffle_epi32(x, 0x4e));
    x = _mm_or_si128(x, _mm_shuffle_epi32(x, 0xb1));
    return (uint32_t)_mm_cvtsi128_si32(x) | scalar_or_all(v + i, n - i);
}

#define AVX_KERNELS(b)                                                                    \
    static AVX2 void avx_unpack_##b(const uint8_t *restrict in, unsigned bits,            \
                                    uint32_t *restrict out)                               \
    {                                                                                     \
        (void)bits;                                                                       \
        avx_unpack_body(in, b, out);                                                      \
    }
BL_EACH_WIDTH(AVX_KERNELS)

/* Adds to acc, lane by lane, whether each of the 8 ids in docs has its bit
 * set in the bitset read as 32-bit words w32 (bit d % 32 of word d / 32 on
 * a little-endian host, which x86 is): one gather for the 8. lim is the
 * last word's index broadcast; the lanes of ids past it are masked off,
 * so the gather never reads past the set and they count as absent. */
static ALWAYS_INLINE AVX2 __m256i avx_count_set(__m256i docs, const int *w32, __m256i lim,
                                                __m256i acc)
{
    __m256i idx = _mm256_srli_epi32(docs, 5);
    __m256i in = _mm256_cmpeq_epi32(_mm256_min_epu32(idx, lim), idx);
    __m256i w = _mm256_mask_i32gather_epi32(_mm256_setzero_si256(), w32, idx, in, 4);
    __m256i bit = _mm256_srlv_epi32(w, _mm256_and_si256(docs, _mm256_set1_epi32(31)));
    return _mm256_add_epi32(acc, _mm256_and_si256(bit, _mm256_set1_epi32(1)));
}

/* Narrowest gaps the fused count is used for: 11 bits on the avx2 path
 * (BL_WIDTHS_GATHERED). Measured on Reuters x50 lists against a
 * 1M-document bitmap and on random lists against a 4M-document one
 * (Zen 4): for gaps of 12 bits (ids ~1000 apart) the gathers took less
 * time than unpacking, summing and testing in three passes; for 10 bits
 * (ids ~100 apart, several to a cache line) more; 11 was within the noise
 * either way. 5 bits on the avx2-gather path (BL_WIDTHS_NARROW_GATHERED
 * too): on an Intel Xeon with AVX-512, against a 1M-document bitmap, the
 * fused counts from 5 bits took 0.53x the time of the three passes on
 * Reuters x50's "abil" (gaps of about 7 bits), and 0.63x on random lists
 * at 1:100 and 0.55x at 1:10. Lists with gaps under 5 bits are mostly
 * dense, and intersect by their bitmaps. */

/* bl_unpack128_delta1_count for gaps of 5 or 11 (see above) to 25 bits,
 * fused: each step unpacks 8 gaps, sums them into ids in the register
 * (avx_prefix1's steps; the carry is added last, so the chain between
 * steps is one add) and tests them there by a gather; no id is stored.
 * Ids this far apart miss L1 one by one against a big set, and the
 * gathers keep more of those loads in flight than a scalar loop. */
static ALWAYS_INLINE AVX2 int avx_count_body(const uint8_t *restrict in, const unsigned b,
                                             uint32_t base, const uint64_t *words,
                                             uint32_t nwords, uint64_t *count, uint32_t *last)
{
    const int *w32 = (const int *)(const void *)words;
    const __m256i lim = _mm256_set1_epi32((int)(2 * nwords - 1)), top = _mm256_set1_epi32(7);
    __m256i carry = _mm256_set1_epi32((int)(base - 1)), acc = _mm256_setzero_si256();
    UNROLL_32
    for (unsigned k = 0; k < 32; k += 2) {
        __m256i g = avx_local_sum1(avx_unpack_pair(in, b, k));
        __m256i total = _mm256_permutevar8x32_epi32(g, top);
        acc = avx_count_set(_mm256_add_epi32(g, carry), w32, lim, acc);
        carry = _mm256_add_epi32(carry, total);
    }
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
    *count = (uint32_t)_mm_cvtsi128_si32(s);
    /* the wrap check of sum_gaps: 128 gaps of <= 25 bits wrap at most once */
    uint32_t l = (uint32_t)_mm256_cvtsi256_si32(carry);
    *last = l;
    return l < base || l == UINT32_MAX ? BL_ECORRUPT : 0;
}

#define AVX_COUNT_KERNELS(b)                                                              \
    static AVX2 int avx_count_##b(const uint8_t *restrict in, unsigned bits, uint32_t base, \
                                  const uint64_t *words, uint32_t nwords, uint64_t *count,  \
                                  uint32_t *last)                                           \
    {                                                                                     \
        (void)bits;                                                                       \
        return avx_count_body(in, b, base, words, nwords, count, last);                   \
    }
BL_WIDTHS_NARROW_GATHERED(AVX_COUNT_KERNELS)
BL_WIDTHS_GATHERED(AVX_COUNT_KERNELS)
#endif /* BL_X86 */

/* ---- the paths --------------------------------------------------------- */

/* Unpack kernels take the width even where it is built in, so that the
 * generic scalar loop fits the same table. */
typedef void (*unpack_fn)(const uint8_t *restrict in, unsigned b, uint32_t *restrict out);
typedef int (*count_fn)(const uint8_t *restrict in, unsigned b, uint32_t base,
                        const uint64_t *words, uint32_t nwords, uint64_t *count, uint32_t *last);

typedef struct {
    bl_simd_path head; /* first: the table holds &path.head */
    void (*pack)(const uint32_t *restrict in, unsigned b, uint8_t *restrict out);
    unpack_fn unpack[NWIDTHS];
    void (*prefix1)(uint32_t *v, size_t n, uint32_t base);
    uint32_t (*or_all)(const uint32_t *v, size_t n);
    /* bl_unpack128_delta1_count fused per width, or NULL: unpack, sum and
     * test in three passes (the unpack and prefix kernels above) */
    count_fn count[NWIDTHS];
} bitpack_path;

#define SCALAR_UNPACK(b) scalar_unpack,

static const bitpack_path scalar_path = {
    {"scalar", bl_simd_path_always}, scalar_pack, {BL_EACH_WIDTH(SCALAR_UNPACK)}, scalar_prefix1,
    scalar_or_all, {0},
};

#ifdef BL_X86
#define SSE_UNPACK(b) sse_unpack_##b,
#define AVX_UNPACK(b) avx_unpack_##b,

static int has_sse41(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("sse4.1");
}

static int has_avx2(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2");
}

static const bitpack_path sse41_path = {
    {"sse41", has_sse41}, sse_pack, {BL_EACH_WIDTH(SSE_UNPACK)}, sse_prefix1, sse_or_all, {0},
};

/* AVX2 machines have SSE4.1: packing reuses its loop. */
#define AVX_COUNT(b) [b] = avx_count_##b,

static const bitpack_path avx2_path = {
    {"avx2", has_avx2}, sse_pack, {BL_EACH_WIDTH(AVX_UNPACK)}, avx_prefix1, avx_or_all,
    {BL_WIDTHS_GATHERED(AVX_COUNT)},
};

/* Gathers are fast on Intel's cores since Skylake (a load per lane, a
 * few cycles for 8) and microcoded, slower, on AMD's up to Zen 4, where
 * the avx2 path's 11 bits were measured; so Intel takes the narrow fused
 * counts too. (Intel's microcode against Gather Data Sampling slows gathers on
 * the cores from Skylake to Ice Lake; not measured here.) */
static int has_fast_gathers(void)
{
    return has_avx2() && __builtin_cpu_is("intel");
}

static const bitpack_path avx2_gather_path = {
    {"avx2-gather", has_fast_gathers}, sse_pack, {BL_EACH_WIDTH(AVX_UNPACK)}, avx_prefix1,
    avx_or_all, {BL_WIDTHS_NARROW_GATHERED(AVX_COUNT) BL_WIDTHS_GATHERED(AVX_COUNT)},
};
#endif

/* Best first; the last, scalar, runs everywhere. */
static const bl_simd_path *const all_paths[] = {
#ifdef BL_X86
    &avx2_gather_path.head, &avx2_path.head, &sse41_path.head,
#endif
    &scalar_path.head,
};
static bl_simd_paths paths = BL_SIMD_PATHS(all_paths);

static const bitpack_path *path(void) { return (const bitpack_path *)bl_simd_path_get(&paths); }

const char *bl_bitpack_impl(void) { return bl_simd_path_get(&paths)->name; }

int bl_bitpack_select(const char *name) { return bl_simd_path_select(&paths, name); }

/* ---- blocks ------------------------------------------------------------ */

unsigned bl_bits_needed(const uint32_t *v, size_t n)
{
    uint32_t all = path()->or_all(v, n);
    return all ? 32 - (unsigned)__builtin_clz(all) : 0;
}

void bl_pack128(const uint32_t *in, unsigned bits, uint8_t *out)
{
    assert(bits <= BL_PACK_MAX_BITS);
    path()->pack(in, bits, out);
}

void bl_unpack128(const uint8_t *in, unsigned bits, uint32_t *out)
{
    assert(bits <= BL_PACK_MAX_BITS);
    path()->unpack[bits](in, bits, out);
}

/* Turns gaps v[0..n) (n <= 128) of at most `bits` bits into their minus-one
 * sums from base, in place; BL_ECORRUPT if a sum would reach UINT32_MAX.
 * Gaps of up to 25 bits total at most 128 * (2^25 - 1) + 127 < 2^32 with
 * the +1s, so summed modulo 2^32 they wrap at most once, and a wrap leaves
 * the last value below base: one comparison after the fact. Wider gaps are
 * totalled in 64 bits first (rare: such a block spans 2^25 documents). */
static int sum_gaps(const bitpack_path *p, uint32_t *v, size_t n, uint32_t base, unsigned bits)
{
    assert(n <= BL_PACK_BLOCK);
    if (n == 0)
        return 0;
    if (bits > 25) {
        uint64_t last = (uint64_t)base + (n - 1);
        for (size_t i = 0; i < n; i++)
            last += v[i];
        if (last >= UINT32_MAX)
            return BL_ECORRUPT;
        p->prefix1(v, n, base);
        return 0;
    }
    p->prefix1(v, n, base);
    return v[n - 1] < base || v[n - 1] == UINT32_MAX ? BL_ECORRUPT : 0;
}

int bl_unpack128_delta1(const uint8_t *in, unsigned bits, uint32_t base, uint32_t *out)
{
    assert(bits <= BL_PACK_MAX_BITS);
    const bitpack_path *p = path();
    /* A separate pass over the 512 bytes just written (still in L1): as
     * fast here as summing inside the unpack kernels, at half the code. */
    p->unpack[bits](in, bits, out);
    return sum_gaps(p, out, BL_PACK_BLOCK, base, bits);
}

int bl_unpack128_delta1_count(const uint8_t *in, unsigned bits, uint32_t base,
                              const uint64_t *words, uint32_t nwords, uint64_t *count,
                              uint32_t *last)
{
    assert(bits <= BL_PACK_MAX_BITS && nwords > 0);
    const bitpack_path *p = path();
    if (p->count[bits])
        return p->count[bits](in, bits, base, words, nwords, count, last);
    uint32_t v[BL_PACK_BLOCK];
    p->unpack[bits](in, bits, v);
    if (sum_gaps(p, v, BL_PACK_BLOCK, base, bits))
        return BL_ECORRUPT;
    /* no wrap: the ids increase, so the last bounds them all */
    uint32_t l = v[BL_PACK_BLOCK - 1];
    *count = (l >> 6) < nwords ? bl_bitmap_count_docs(&words, 1, v, BL_PACK_BLOCK)
                               : bl_bitmap_count_any(words, nwords, v, BL_PACK_BLOCK);
    *last = l;
    return 0;
}

int bl_prefix_sum1(uint32_t *v, size_t n, uint32_t base)
{
    const bitpack_path *p = path();
    for (size_t at = 0; at < n; at += BL_PACK_BLOCK) {
        size_t len = n - at < BL_PACK_BLOCK ? n - at : BL_PACK_BLOCK;
        uint32_t all = p->or_all(v + at, len);
        if (sum_gaps(p, v + at, len, base, all ? 32 - (unsigned)__builtin_clz(all) : 0))
            return BL_ECORRUPT;
        base = v[at + len - 1] + 1; /* < UINT32_MAX: checked just above */
    }
    return 0;
}

uint32_t bl_unpack128_get(const uint8_t *in, unsigned bits, unsigned i)
{
    assert(bits <= BL_PACK_MAX_BITS && i < BL_PACK_BLOCK);
    if (bits == 0)
        return 0;
    unsigned j = i % 4, t = i / 4 * bits, w = t / 32, s = t % 32;
    uint32_t v = load_le32(word_at(in, w, j)) >> s;
    if (s + bits > 32)
        v |= load_le32(word_at(in, w + 1, j)) << (32 - s);
    return v & low_mask(bits);
}

void bl_unpack128_range(const uint8_t *in, unsigned bits, unsigned at, unsigned k,
                        uint32_t *out)
{
    assert(bits <= BL_PACK_MAX_BITS && at + k <= BL_PACK_BLOCK);
    if (bits == 0) {
        memset(out, 0, k * sizeof *out);
        return;
    }
    const uint32_t mask = low_mask(bits);
    for (unsigned i = at; i < at + k; i++) {
        unsigned j = i % 4, t = i / 4 * bits, w = t / 32, s = t % 32;
        uint32_t v = load_le32(word_at(in, w, j)) >> s;
        if (s + bits > 32)
            v |= load_le32(word_at(in, w + 1, j)) << (32 - s);
        *out++ = v & mask;
    }
}

/* ---- tails ------------------------------------------------------------- */

size_t bl_pack_tail(const uint32_t *in, size_t n, unsigned bits, uint8_t *out)
{
    assert(bits <= BL_PACK_MAX_BITS);
    const uint32_t mask = low_mask(bits);
    uint8_t *p = out;
    uint64_t acc = 0; /* pending bits, fewer than 8 + 32 */
    unsigned have = 0;
    for (size_t i = 0; i < n; i++) {
        acc |= (uint64_t)(in[i] & mask) << have;
        for (have += bits; have >= 8; have -= 8, acc >>= 8)
            *p++ = (uint8_t)acc;
    }
    if (have)
        *p++ = (uint8_t)acc;
    return (size_t)(p - out);
}

static ALWAYS_INLINE uint64_t load_le64(const uint8_t *p)
{
    return (uint64_t)load_le32(p) | (uint64_t)load_le32(p + 4) << 32;
}

void bl_unpack_tail(const uint8_t *in, size_t n, unsigned bits, uint32_t *out)
{
    assert(bits <= BL_PACK_MAX_BITS);
    const uint32_t mask = low_mask(bits);
    /* While the 8 bytes from a value's first byte are all inside the tail,
     * one load gets it (it spans at most 7 + 32 bits): the byte loop below,
     * whose trip count changes from value to value, only ends the tail. */
    size_t nbytes = bl_pack_tail_bytes(n, bits), i = 0;
    for (; i < n && (i * bits >> 3) + 8 <= nbytes; i++) {
        size_t t = i * bits;
        out[i] = (uint32_t)(load_le64(in + (t >> 3)) >> (t & 7)) & mask;
    }
    if (i == n)
        return;
    in += i * bits >> 3;
    unsigned skip = (unsigned)(i * bits & 7);
    uint64_t acc = skip ? (uint64_t)*in++ >> skip : 0;
    unsigned have = skip ? 8 - skip : 0;
    for (; i < n; i++) {
        /* Only the bytes this value needs: the tail may end the mapping. */
        for (; have < bits; have += 8)
            acc |= (uint64_t)*in++ << have;
        out[i] = (uint32_t)acc & mask;
        acc >>= bits;
        have -= bits;
    }
}

uint32_t bl_unpack_tail_get(const uint8_t *in, unsigned bits, size_t i)
{
    assert(bits <= BL_PACK_MAX_BITS);
    if (bits == 0)
        return 0;
    size_t t = i * bits;
    unsigned s = (unsigned)(t % 8);
    const uint8_t *p = in + t / 8;
    uint64_t acc = 0;
    for (unsigned k = 0; k * 8 < s + bits; k++)
        acc |= (uint64_t)p[k] << (8 * k);
    return (uint32_t)(acc >> s) & low_mask(bits);
}

void bl_unpack_tail_range(const uint8_t *in, size_t n, unsigned bits, size_t at, size_t k,
                          uint32_t *out)
{
    assert(bits <= BL_PACK_MAX_BITS && at + k <= n);
    const uint32_t mask = low_mask(bits);
    const size_t bytes = bl_pack_tail_bytes(n, bits);
    for (size_t i = at; i < at + k; i++) {
        size_t t = i * bits, p = t / 8;
        unsigned s = (unsigned)(t % 8);
        /* One 8-byte load holds the value's at most 39 bits; near the
         * tail's end (it may end the mapping) the bytes are read one by one. */
        if (p + 8 <= bytes) {
            *out++ = (uint32_t)(load_le64(in + p) >> s) & mask;
        } else {
            uint64_t acc = 0;
            for (unsigned b = 0; b * 8 < s + bits; b++)
                acc |= (uint64_t)in[p + b] << (8 * b);
            *out++ = (uint32_t)(acc >> s) & mask;
        }
    }
}
