/* codec.c: v1 block codec: LEB128 varints, scalar. */
#include "codec.h"

#include "error.h"

size_t bl_codec_encode(const uint32_t *in, size_t n, uint8_t *out)
{
    uint8_t *p = out;
    for (size_t i = 0; i < n; i++) {
        uint32_t v = in[i];
        while (v >= 0x80) {
            *p++ = (uint8_t)(v | 0x80);
            v >>= 7;
        }
        *p++ = (uint8_t)v;
    }
    return (size_t)(p - out);
}

int bl_codec_decode(const uint8_t *in, size_t in_len, uint32_t *out, size_t n,
                    size_t *consumed)
{
    const uint8_t *p = in, *end = in + in_len;
    for (size_t i = 0; i < n; i++) {
        uint32_t v = 0;
        unsigned shift = 0;
        for (;;) {
            if (p == end)
                return BL_ECORRUPT;
            uint8_t b = *p++;
            if (shift == 28 && b > 0x0f)
                return BL_ECORRUPT;
            v |= (uint32_t)(b & 0x7f) << shift;
            if (!(b & 0x80))
                break;
            shift += 7;
            if (shift > 28)
                return BL_ECORRUPT;
        }
        out[i] = v;
    }
    *consumed = (size_t)(p - in);
    return 0;
}

void bl_delta_encode(uint32_t *v, size_t n, uint32_t base)
{
    uint32_t prev = base;
    for (size_t i = 0; i < n; i++) {
        uint32_t cur = v[i];
        v[i] = i ? cur - prev - 1 : cur - base;
        prev = cur;
    }
}

int bl_delta_decode(uint32_t *v, size_t n, uint32_t base)
{
    uint64_t cur = base;
    for (size_t i = 0; i < n; i++) {
        cur += (uint64_t)v[i] + (i ? 1 : 0);
        if (cur >= UINT32_MAX)
            return BL_ECORRUPT;
        v[i] = (uint32_t)cur;
    }
    return 0;
}
