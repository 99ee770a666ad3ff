/* impacts.c: Pareto fronts of (tf, len) pairs, their cap and their codec
 * (the grammar is at the top of impacts.h). */
#include "impacts.h"

#include <stdlib.h>

#include "buf.h"
#include "error.h"

/* tf descending, then len ascending: the order the front is swept in. */
static int cmp_sweep(const void *x, const void *y)
{
    const bl_impact *a = x, *b = y;
    if (a->tf != b->tf)
        return (a->tf < b->tf) - (a->tf > b->tf);
    return (a->len > b->len) - (a->len < b->len);
}

static void reverse(bl_impact *v, size_t n)
{
    for (size_t i = 0, j = n; i + 1 < j--; i++) {
        bl_impact t = v[i];
        v[i] = v[j];
        v[j] = t;
    }
}

/* Most tfs bucketed on the stack by front_small. */
#define SMALL_TF 256

/* bl_impacts_front when every tf is at most SMALL_TF (most blocks): the
 * shortest length per tf, then the same sweep from the highest tf down,
 * without sorting. */
static size_t front_small(bl_impact *v, size_t n, uint32_t max_tf)
{
    uint32_t shortest[SMALL_TF + 1];
    for (uint32_t t = 1; t <= max_tf; t++)
        shortest[t] = UINT32_MAX;
    uint8_t seen[SMALL_TF + 1] = {0};
    for (size_t i = 0; i < n; i++) {
        seen[v[i].tf] = 1;
        if (v[i].len < shortest[v[i].tf])
            shortest[v[i].tf] = v[i].len;
    }
    size_t m = 0;
    for (uint32_t t = max_tf; t >= 1; t--)
        if (seen[t] && (m == 0 || shortest[t] < v[m - 1].len))
            v[m++] = (bl_impact){t, shortest[t]};
    reverse(v, m);
    return m;
}

size_t bl_impacts_front(bl_impact *v, size_t n)
{
    if (n == 0)
        return 0;
    uint32_t max_tf = 0;
    for (size_t i = 0; i < n; i++)
        max_tf = v[i].tf > max_tf ? v[i].tf : max_tf;
    if (max_tf <= SMALL_TF)
        return front_small(v, n, max_tf);
    qsort(v, n, sizeof *v, cmp_sweep);
    /* From the highest tf down, a pair is on the front when it is shorter
     * than every pair of a higher (or equal) tf seen so far. */
    size_t m = 1;
    for (size_t i = 1; i < n; i++)
        if (v[i].len < v[m - 1].len)
            v[m++] = v[i];
    reverse(v, m);
    return m;
}

size_t bl_impacts_union(const bl_impact *a, size_t na, const bl_impact *b, size_t nb,
                        bl_impact *out)
{
    /* The same sweep as bl_impacts_front, merging the two from their
     * highest tf down; out is filled in descending order, then reversed. */
    size_t i = na, j = nb, m = 0;
    while (i || j) {
        bl_impact x;
        if (!j || (i && (a[i - 1].tf > b[j - 1].tf ||
                         (a[i - 1].tf == b[j - 1].tf && a[i - 1].len <= b[j - 1].len))))
            x = a[--i];
        else
            x = b[--j];
        if (m == 0 || x.len < out[m - 1].len)
            out[m++] = x;
    }
    reverse(out, m);
    return m;
}

/* A reference BM25 term-frequency factor (k1 = 1.2, b = 0.75, lengths
 * relative to avg): only to choose which neighbours to merge. */
static double ref_score(bl_impact p, double avg)
{
    return p.tf / (p.tf + 1.2 * (0.25 + 0.75 * p.len / avg));
}

/* How much merging v[i] and v[i + 1] into their corner raises the best
 * reference score of the two. */
static double merge_loss(const bl_impact *v, size_t i, double avg)
{
    bl_impact corner = {v[i + 1].tf, v[i].len};
    double a = ref_score(v[i], avg), b = ref_score(v[i + 1], avg);
    return ref_score(corner, avg) - (a > b ? a : b);
}

size_t bl_impacts_cap(bl_impact *v, size_t n, size_t max)
{
    if (n <= max)
        return n;
    double avg = 0;
    for (size_t i = 0; i < n; i++)
        avg += v[i].len;
    avg = avg / (double)n + 1;
    while (n > max) {
        size_t best = 0;
        double best_loss = merge_loss(v, 0, avg);
        for (size_t i = 1; i + 1 < n; i++) {
            double l = merge_loss(v, i, avg);
            if (l < best_loss) {
                best_loss = l;
                best = i;
            }
        }
        /* The corner keeps the shorter length (v[best]'s) and the higher
         * tf (v[best + 1]'s): still strictly between its neighbours. */
        v[best].tf = v[best + 1].tf;
        for (size_t i = best + 1; i + 1 < n; i++)
            v[i] = v[i + 1];
        n--;
    }
    return n;
}

size_t bl_impacts_encode(const bl_impact *v, size_t n, uint8_t *out)
{
    size_t k = 0;
    out[k++] = (uint8_t)n;
    for (size_t i = 0; i < n; i++) {
        uint32_t tf_gap = i ? v[i].tf - v[i - 1].tf - 1 : v[i].tf - 1;
        uint32_t len_gap = i ? v[i].len - v[i - 1].len - 1 : v[i].len;
        k += bl_varint_encode(out + k, tf_gap);
        k += bl_varint_encode(out + k, len_gap);
    }
    return k;
}

/* bl_reader_varint32, with the one- and two-byte forms (nearly every gap)
 * read inline: pruning decodes a block's impacts per bound. */
static inline int read_gap(bl_reader *r, uint32_t *v)
{
    if (r->end - r->p >= 2) {
        if (!(r->p[0] & 0x80)) {
            *v = r->p[0];
            r->p += 1;
            return 0;
        }
        if (!(r->p[1] & 0x80)) {
            *v = (uint32_t)(r->p[0] & 0x7f) | (uint32_t)r->p[1] << 7;
            r->p += 2;
            return 0;
        }
    }
    return bl_reader_varint32(r, v);
}

int bl_impacts_decode(const uint8_t *p, size_t avail, bl_impact *out, uint32_t *n,
                      size_t *used)
{
    bl_reader r;
    bl_reader_init(&r, p, avail);
    uint8_t count;
    if (bl_reader_u8(&r, &count) || count == 0 || count > BL_IMPACTS_MAX)
        return BL_ECORRUPT;
    uint64_t tf = 0, len = 0;
    for (uint32_t i = 0; i < count; i++) {
        uint32_t tf_gap, len_gap;
        if (read_gap(&r, &tf_gap) || read_gap(&r, &len_gap))
            return BL_ECORRUPT;
        /* the first tf is gap + 1, the first length the gap itself */
        tf += (uint64_t)tf_gap + 1;
        len += (uint64_t)len_gap + (i > 0);
        if (tf > UINT32_MAX || len > UINT32_MAX)
            return BL_ECORRUPT;
        out[i] = (bl_impact){(uint32_t)tf, (uint32_t)len};
    }
    *n = count;
    *used = bl_reader_offset(&r);
    return 0;
}

int bl_impacts_dominate(const bl_impact *v, size_t n, uint32_t tf, uint32_t len)
{
    for (size_t i = 0; i < n; i++)
        if (v[i].tf >= tf && v[i].len <= len)
            return 1;
    return 0;
}
