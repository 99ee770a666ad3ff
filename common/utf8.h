/* utf8.h: strict UTF-8 decoding and encoding, shared by the tokenizer, the
 * snippet builder, the output printer and the SGML entity decoder. Inline,
 * because the tokenizer calls the decoder once per character of every
 * article.
 */
#ifndef BL_UTF8_H
#define BL_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Decodes the character at p[0..n) (n >= 1). Returns its length (1..4) and
 * sets *cp, or returns 0 if p does not start a well-formed sequence
 * (overlong form, surrogate, beyond U+10FFFF, stray continuation byte,
 * truncated sequence); then *bad, when not NULL, gets the length of the
 * maximal ill-formed subpart (>= 1), the bytes Unicode recommends replacing
 * with one U+FFFD. */
static inline size_t bl_utf8_decode(const uint8_t *p, size_t n, uint32_t *cp, size_t *bad)
{
    uint8_t b = p[0];
    if (b < 0x80) {
        *cp = b;
        return 1;
    }
    size_t need;
    uint32_t v;
    /* The second byte's range rules out overlongs (E0, F0), surrogates (ED)
     * and code points past U+10FFFF (F4). */
    uint8_t lo = 0x80, hi = 0xBF;
    if (b >= 0xC2 && b <= 0xDF) {
        need = 1, v = b & 0x1F;
    } else if (b >= 0xE0 && b <= 0xEF) {
        need = 2, v = b & 0x0F;
        lo = b == 0xE0 ? 0xA0 : 0x80;
        hi = b == 0xED ? 0x9F : 0xBF;
    } else if (b >= 0xF0 && b <= 0xF4) {
        need = 3, v = b & 0x07;
        lo = b == 0xF0 ? 0x90 : 0x80;
        hi = b == 0xF4 ? 0x8F : 0xBF;
    } else {
        if (bad)
            *bad = 1;
        return 0;
    }
    for (size_t i = 1; i <= need; i++) {
        if (i >= n || p[i] < lo || p[i] > hi) {
            if (bad)
                *bad = i;
            return 0;
        }
        v = v << 6 | (p[i] & 0x3F);
        lo = 0x80, hi = 0xBF;
    }
    *cp = v;
    return need + 1;
}

/* What a byte that is not valid UTF-8 is read as: its Windows-1252
 * character. That is Latin-1 (0xFC is ü) except in 0x80..0x9F, where
 * Windows puts the punctuation that news written with its tools carries
 * (0x92 ’, 0x93 “, 0x96 –, 0x80 €); the five bytes Windows leaves undefined
 * stay Latin-1 control characters. */
static inline uint32_t bl_utf8_fallback(uint8_t b)
{
    static const uint16_t c1[32] = {
        0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
        0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
        0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
        0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
    };
    return b >= 0x80 && b < 0xA0 ? c1[b - 0x80] : b;
}

/* Most bytes one encoded character takes. */
#define BL_UTF8_MAX 4

/* Writes cp (at most U+10FFFF) as UTF-8 at o (room for BL_UTF8_MAX bytes);
 * returns the bytes written. */
static inline size_t bl_utf8_encode(uint32_t cp, uint8_t *o)
{
    if (cp < 0x80) {
        o[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (uint8_t)(0xC0 | cp >> 6);
        o[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (uint8_t)(0xE0 | cp >> 12);
        o[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
        o[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (uint8_t)(0xF0 | cp >> 18);
    o[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3F));
    o[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
    o[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

#endif
