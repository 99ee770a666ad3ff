/* tokenizer.c: UTF-8 text to normalised tokens (rules in tokenizer.h).
 *
 * One pass over the bytes, no allocation after bl_tokenizer_new(). Each
 * character is classified on its own code point; a token's characters are
 * then normalised one at a time with utf8proc_decompose_char() (NFKC's
 * compatibility decomposition, case folding and mark stripping), which is
 * what utf8proc_map() does internally, minus its malloc.
 *
 * A token made of ASCII bytes, with ASCII bytes around its ' . , (most of
 * news text and of its tables: "said", "1,001,900", "don't") is taken first
 * by ascii_token(), a loop over the class table that gives the same token,
 * after skip_ascii_separators() has passed the blanks and punctuation before
 * it; anything else goes through the general loop.
 *
 * Two output paths share the general token loop:
 *  - bytes: while every normalised character is ASCII (plain English, and
 *    also "Zélensky", whose é decomposes to e), the token is lower-cased
 *    straight into t->out; no utf8proc call happens for ASCII input.
 *  - code points: the first normalised character above U+007F moves the
 *    token into t->cps, which is composed (utf8proc_normalize_utf32) and
 *    encoded into t->out when the token ends.
 * Once marks are stripped, the only code points left that canonical
 * composition can join are Hangul jamo (every other second half of a
 * canonical pair is a mark; test_tokenizer checks this against utf8proc's
 * tables), so the bytes path is exact and the code point path composes only
 * tokens that hold jamo.
 */
#include "tokenizer.h"

#include "error.h"
#include "utf8.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* Character classes, decided on the input code point. */
enum {
    K_SEP,    /* ends a token: spaces, punctuation, symbols, controls */
    K_LETTER, /* L* */
    K_DIGIT,  /* N* */
    K_MARK,   /* M*: inside a token, removed by normalisation */
    K_APOS,   /* U+0027, U+2019, U+02BC (and compatibility forms of ') */
    K_POINT,  /* '.' (and compatibility forms) */
    K_COMMA,  /* ',' (and compatibility forms) */
    K_HIGH,   /* only in ascii_class: a byte above 0x7F, to be decoded */
};

/* Decomposed code points a token may collect before it is known to be too
 * long. Each normalised character comes from at most three decomposed ones
 * (a Hangul syllable) and then takes three bytes, otherwise from one, so
 * more than BL_TOKEN_MAX_BYTES code points always normalise to more than
 * BL_TOKEN_MAX_BYTES bytes; twice that leaves a safe margin. */
#define CP_LIMIT (2 * BL_TOKEN_MAX_BYTES)

/* Room for one character's decomposition: the longest in Unicode (U+FDFA)
 * is 18 code points. */
#define DECOMP_MAX 32

#define DECOMP_OPTS                                                         \
    (UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD |            \
     UTF8PROC_STRIPMARK)
#define COMPOSE_OPTS (UTF8PROC_STABLE | UTF8PROC_COMPOSE)

struct bl_tokenizer {
    const uint8_t *text;
    size_t len;
    size_t pos;          /* next byte to look at */
    uint32_t next_position;
    size_t invalid;      /* bytes decoded as Windows-1252 */
    int fast;            /* skip_ascii_separators() and ascii_token() first (the default) */
    /* The token handed out, and room for ascii_token() to store eight
     * bytes at any length up to the limit. */
    char out[BL_TOKEN_MAX_BYTES + 8];
    utf8proc_int32_t cps[CP_LIMIT];   /* code point path of the token */
};

/* Classes of the ASCII bytes: letters, digits, ' . , and separators for
 * the rest, NUL and the control characters included; K_HIGH for the bytes
 * above 0x7F, so that loops over ASCII need one lookup a byte. */
#define S K_SEP
#define L K_LETTER
#define D K_DIGIT
#define H K_HIGH
static const uint8_t ascii_class[256] = {
    S, S, S, S, S, S, S, S, S, S, S, S, S, S, S, S, /* 0x00 */
    S, S, S, S, S, S, S, S, S, S, S, S, S, S, S, S, /* 0x10 */
    S, S, S, S, S, S, S, K_APOS, S, S, S, S, K_COMMA, S, K_POINT, S,
    D, D, D, D, D, D, D, D, D, D, S, S, S, S, S, S, /* 0x30 */
    S, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, /* 0x40 */
    L, L, L, L, L, L, L, L, L, L, L, S, S, S, S, S, /* 0x50 */
    S, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, /* 0x60 */
    L, L, L, L, L, L, L, L, L, L, L, S, S, S, S, S, /* 0x70 */
    H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, /* 0x80 */
    H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, /* 0x90 */
    H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, /* 0xA0 */
    H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, /* 0xB0 */
    H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, /* 0xC0 */
    H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, /* 0xD0 */
    H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, /* 0xE0 */
    H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, /* 0xF0 */
};
#undef H
#undef S
#undef L
#undef D

/* Decodes the character at p (n >= 1 bytes left) into *cp and returns its
 * length. A byte that does not start a complete, shortest-form, non-surrogate
 * sequence up to U+10FFFF is returned alone as its Windows-1252 character,
 * with *bad set: Windows and Latin-1 text still in news feeds then keeps its
 * letters instead of losing whole words. */
static inline size_t decode(const uint8_t *p, size_t n, int32_t *cp, int *bad)
{
    uint32_t c;
    size_t k = bl_utf8_decode(p, n, &c, NULL);
    *bad = k == 0;
    if (k == 0) {
        *cp = (int32_t)bl_utf8_fallback(p[0]);
        return 1;
    }
    *cp = (int32_t)c;
    return k;
}

/* Class of a code point by its general category alone. */
static int category_class(utf8proc_category_t cat)
{
    switch (cat) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
        return K_LETTER;
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
        return K_DIGIT;
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME:
        return K_MARK;
    default:
        return K_SEP;
    }
}

/* Class of a code point above U+007F. Two cases look through the
 * compatibility decomposition, so the class agrees with the normalised text:
 *  - compatibility forms of ' . , (full-width ones in CJK text, U+FE52,
 *    U+2024...) act like the ASCII character: "１，０００" joins as "1,000";
 *  - a letter or digit whose compatibility form holds anything but letters
 *    and digits ("½" is 1⁄2, "⑴" is (1), "⒈" is 1.) is a separator:
 *    dropping the extra characters would make "1½" the number 112. */
static int classify(int32_t cp)
{
    const utf8proc_property_t *prop;
    utf8proc_int32_t d[DECOMP_MAX];
    utf8proc_ssize_t n, i;
    int k;

    if (cp == 0x2019 || cp == 0x02BC)
        return K_APOS;
    prop = utf8proc_get_property(cp);
    k = category_class(prop->category);
    if (prop->category == UTF8PROC_CATEGORY_PO) {
        n = utf8proc_decompose_char(cp, d, DECOMP_MAX,
                                    UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT, NULL);
        if (n == 1 && d[0] < 0x80 && ascii_class[d[0]] != K_SEP)
            return ascii_class[d[0]];
        return K_SEP;
    }
    if ((k == K_LETTER || k == K_DIGIT) && prop->decomp_type != 0) {
        n = utf8proc_decompose_char(cp, d, DECOMP_MAX, DECOMP_OPTS, NULL);
        if (n < 1 || n > DECOMP_MAX)
            return K_SEP;
        for (i = 0; i < n; i++) {
            int dk = d[i] < 0x80 ? ascii_class[d[i]]
                                 : category_class(utf8proc_category(d[i]));
            if (dk != K_LETTER && dk != K_DIGIT)
                return K_SEP;
        }
    }
    return k;
}

/* Class of the character at text[p], K_SEP past the end. Only looks: the
 * caller counts invalid bytes when it moves past them. */
static int class_at(const uint8_t *text, size_t len, size_t p)
{
    int32_t cp;
    int bad;
    if (p >= len)
        return K_SEP;
    if (text[p] < 0x80)
        return ascii_class[text[p]];
    decode(text + p, len - p, &cp, &bad);
    return classify(cp);
}

/* Bytes of the character at text[p] (p < len). */
static size_t char_len(const uint8_t *text, size_t len, size_t p)
{
    int32_t cp;
    int bad;
    if (text[p] < 0x80)
        return 1;
    return decode(text + p, len - p, &cp, &bad);
}

static inline int is_ascii_alnum(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* If a dotted abbreviation ("U.S.", "e.g.", "U.S.S.R") starts at the letter
 * text[p], returns the offset just past it, its last period included;
 * otherwise 0. It is two or more single letters (a letter and its marks,
 * not followed by another letter or a digit), each but the last followed
 * by exactly one period; the last one's period is optional. Most words
 * fail on their second character, so the cost is two class lookups. */
static size_t abbreviation_end(const uint8_t *text, size_t len, size_t p)
{
    size_t end = 0, letters = 0;
    int k;

    /* Most words start with two ASCII letters or digits: no abbreviation,
     * and no need to decode and classify the second character. */
    if (p + 1 < len && text[p] < 0x80 && is_ascii_alnum(text[p + 1]))
        return 0;
    while (class_at(text, len, p) == K_LETTER) {
        p += char_len(text, len, p);
        while ((k = class_at(text, len, p)) == K_MARK)
            p += char_len(text, len, p);
        if (k == K_LETTER || k == K_DIGIT)
            break; /* a longer word, not a single letter */
        letters++;
        end = p;
        if (k != K_POINT)
            break;
        p += char_len(text, len, p);
        end = p;
    }
    return letters >= 2 ? end : 0;
}

/* A token under construction. */
typedef struct {
    size_t olen;   /* bytes in t->out (bytes path) */
    size_t ncp;    /* code points in t->cps (code point path) */
    int on_cps;    /* moved to the code point path */
    int jamo;      /* t->cps holds Hangul jamo: compose them */
    int too_long;  /* over the limit: keep scanning, stop collecting */
} building;

static inline void put_ascii(bl_tokenizer *t, building *b, uint8_t c)
{
    if (b->too_long)
        return;
    if (b->on_cps) {
        if (b->ncp < CP_LIMIT)
            t->cps[b->ncp++] = c;
        else
            b->too_long = 1;
    } else if (b->olen < BL_TOKEN_MAX_BYTES) {
        t->out[b->olen++] = (char)c;
    } else {
        b->too_long = 1;
    }
}

/* Appends the normalised form of a letter or digit above U+007F (classify()
 * has made sure that it is made of letters and digits only). */
static void put_cp(bl_tokenizer *t, building *b, int32_t cp)
{
    utf8proc_int32_t d[DECOMP_MAX];
    utf8proc_ssize_t n, i;
    int ascii = 1;

    if (b->too_long)
        return;
    n = utf8proc_decompose_char(cp, d, DECOMP_MAX, DECOMP_OPTS, NULL);
    if (n < 0 || n > DECOMP_MAX) { /* cannot happen for a decoded scalar */
        b->too_long = 1;
        return;
    }
    for (i = 0; i < n; i++)
        ascii &= d[i] < 0x80;
    if (ascii && !b->on_cps) {
        for (i = 0; i < n; i++)
            put_ascii(t, b, (uint8_t)d[i]);
        return;
    }
    if (!b->on_cps) {
        /* The ASCII bytes so far become code points; they fit, since
         * olen <= BL_TOKEN_MAX_BYTES < CP_LIMIT. */
        for (size_t j = 0; j < b->olen; j++)
            t->cps[j] = (uint8_t)t->out[j];
        b->ncp = b->olen;
        b->on_cps = 1;
    }
    if (b->ncp + (size_t)n > CP_LIMIT) {
        b->too_long = 1;
        return;
    }
    for (i = 0; i < n; i++) {
        b->jamo |= d[i] >= 0x1100 && d[i] <= 0x11FF;
        t->cps[b->ncp++] = d[i];
    }
}

/* Composes and encodes the code point path into t->out; sets too_long if
 * the result is over BL_TOKEN_MAX_BYTES. */
static void finish_cps(bl_tokenizer *t, building *b)
{
    utf8proc_ssize_t n = (utf8proc_ssize_t)b->ncp;
    uint8_t enc[4];
    if (b->jamo)
        n = utf8proc_normalize_utf32(t->cps, n, COMPOSE_OPTS);
    b->olen = 0;
    for (utf8proc_ssize_t i = 0; i < n; i++) {
        utf8proc_ssize_t m = utf8proc_encode_char(t->cps[i], enc);
        if (b->olen + (size_t)m > BL_TOKEN_MAX_BYTES) {
            b->too_long = 1;
            return;
        }
        memcpy(t->out + b->olen, enc, (size_t)m);
        b->olen += (size_t)m;
    }
}

static inline int is_word_class(int k)
{
    return k == K_LETTER || k == K_DIGIT;
}

/* Eight bytes at a time (SWAR) where the first byte in memory is the low
 * one and a count of trailing zero bits exists; elsewhere byte by byte. */
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SWAR 1
#else
#define SWAR 0
#endif

#define ONES8 0x0101010101010101u
#define HIGH8 0x8080808080808080u

/* Bit 7 of each byte of the result is set when that byte of w is an ASCII
 * letter or digit. The range checks add to the bytes' low seven bits only,
 * so no sum carries into the next byte. */
static inline uint64_t word_bytes8(uint64_t w)
{
    uint64_t x = w & ~HIGH8;
    uint64_t l = x | 0x20 * ONES8; /* 'A'..'Z' become 'a'..'z'; digits keep bit 5 */
    uint64_t digit = (x + (0x80 - '0') * ONES8) & ~(x + (0x7F - '9') * ONES8);
    uint64_t letter = (l + (0x80 - 'a') * ONES8) & ~(l + (0x7F - 'z') * ONES8);
    return (digit | letter) & ~w & HIGH8;
}

/* Index of the first byte whose bit 7 is set in m (not 0). */
static inline size_t first_marked(uint64_t m)
{
#if SWAR
    return (size_t)__builtin_ctzll(m) / 8;
#else
    size_t i = 0;
    while (!((m >> (8 * i)) & 0x80))
        i++;
    return i;
#endif
}

/* The first byte at or after p that is not an ASCII separator (nor ' . ,
 * which cannot start a token): a letter, a digit, a byte above 0x7F or the
 * end. Tables pad their columns with runs of spaces: eight bytes at a time. */
static size_t skip_ascii_separators(const uint8_t *s, size_t len, size_t p)
{
#if SWAR
    while (len - p >= 8) {
        uint64_t w;
        memcpy(&w, s + p, 8);
        uint64_t stop = word_bytes8(w) | (w & HIGH8);
        if (stop)
            return p + first_marked(stop);
        p += 8;
    }
#endif
    while (p < len) {
        int k = ascii_class[s[p]];
        if (is_word_class(k) || k == K_HIGH)
            break;
        p++;
    }
    return p;
}

/* Appends the run of ASCII letters and digits at s[*q] to out[*n], lower-
 * cased, and moves both past it. Returns 0, or -1 when the run does not fit
 * in BL_TOKEN_MAX_BYTES of output (*n <= BL_TOKEN_MAX_BYTES on entry; out
 * has room for eight bytes past it). */
static inline int copy_word_run(const uint8_t *s, size_t len, size_t *q, char *out,
                                size_t *n)
{
    size_t i = *q, o = *n;
#if SWAR
    while (len - i >= 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        uint64_t other = ~word_bytes8(w) & HIGH8;
        size_t run = other ? first_marked(other) : 8;
        if (o + run > BL_TOKEN_MAX_BYTES)
            return -1;
        w |= 0x20 * ONES8; /* lower case; '0'..'9' already have bit 5 */
        memcpy(out + o, &w, 8);
        i += run, o += run;
        if (run < 8) {
            *q = i, *n = o;
            return 0;
        }
    }
#endif
    for (; i < len && is_word_class(ascii_class[s[i]]); i++) {
        if (o == BL_TOKEN_MAX_BYTES)
            return -1;
        out[o++] = (char)(s[i] | 0x20);
    }
    *q = i, *n = o;
    return 0;
}

/* The token that starts at the ASCII letter or digit s[p] when every byte
 * the general loop below would look at to read it is ASCII: its letters and
 * digits, the ' . , inside it and the bytes on either side of each of them.
 * Reads it the way that loop does (letters lower-cased, an apostrophe kept
 * between letters, a period kept and a comma dropped between digits: "don't",
 * "1,001,900" is 1001900, "2.5"), writing it into out, and returns its end
 * with *olen set. Returns 0 when the general loop must decide: a byte above
 * 0x7F where it matters, a single letter before a period or a byte above 0x7F
 * (an abbreviation may start there: one starts with a single letter, and
 * the first letter of a token can be single only when a byte that is not
 * an ASCII letter or digit follows), more than BL_TOKEN_MAX_BYTES of output.
 * News text and tables are mostly such tokens, and this loop costs a few
 * instructions a byte. */
static size_t ascii_token(const uint8_t *s, size_t len, size_t p, char *out, size_t *olen)
{
    size_t q = p, n = 0;

    for (;;) {
        if (copy_word_run(s, len, &q, out, &n))
            return 0; /* too long: dropped by the general loop */
        if (q == len)
            break;
        int k = ascii_class[s[q]];
        if (k == K_SEP)
            break;
        if (k == K_HIGH)
            return 0; /* a letter, mark or joiner to decode */
        if (k == K_POINT && q - p == 1 && ascii_class[s[p]] == K_LETTER)
            return 0; /* "U." may start an abbreviation */
        /* q > p: the token starts with a letter or digit, and a joiner is
         * only passed when one follows it. */
        if (q + 1 == len)
            break; /* nothing after ' . , to join with */
        int last = ascii_class[s[q - 1]], after = ascii_class[s[q + 1]];
        if (after == K_HIGH)
            return 0;
        if (k == K_APOS ? last == K_LETTER && after == K_LETTER
                        : last == K_DIGIT && after == K_DIGIT) {
            if (k != K_COMMA) {
                if (n == BL_TOKEN_MAX_BYTES)
                    return 0;
                out[n++] = (char)s[q];
            }
            q++;
            continue;
        }
        break;
    }
    *olen = n;
    return q;
}

int bl_tokenizer_new(bl_tokenizer **out)
{
    bl_tokenizer *t = calloc(1, sizeof *t);
    *out = t;
    if (!t)
        return bl_error_set(BL_ENOMEM, "out of memory creating a tokenizer");
    t->fast = 1;
    return 0;
}

void bl_tokenizer_set_fast_path(bl_tokenizer *t, int on)
{
    t->fast = on != 0;
}

void bl_tokenizer_free(bl_tokenizer *t)
{
    free(t);
}

void bl_tokenizer_reset(bl_tokenizer *t, const char *text, size_t len,
                        uint32_t first_position)
{
    t->text = (const uint8_t *)text;
    t->len = len;
    t->pos = 0;
    t->next_position = first_position;
    t->invalid = 0;
}

/* Out of line, so that the fast path of bl_tokenizer_next() stays a small
 * function that saves few registers: most tokens never come here. */
#if defined(__GNUC__)
#define NOINLINE __attribute__((noinline))
#else
#define NOINLINE
#endif

/* What general_token() found. */
enum { GOT_END = 0, GOT_TOKEN = 1, GOT_NOTHING = 2 };

/* Reads the token at the first letter or digit at or after t->pos with the
 * general loop. Returns GOT_TOKEN, GOT_END, or GOT_NOTHING when the token
 * was dropped (over-long, or nothing left after normalisation) and t->pos
 * moved past it. */
static NOINLINE int general_token(bl_tokenizer *t, bl_token *tok)
{
    const uint8_t *s = t->text;
    size_t len = t->len, p = t->pos;
    size_t start, n, stop;
    int32_t cp;
    int k, bad, last, in_abbrev;
    building b = {0, 0, 0, 0, 0};

    /* Skip to the first letter or digit. */
    for (;;) {
        if (p >= len) {
            t->pos = p;
            return GOT_END;
        }
        if (s[p] < 0x80) {
            k = ascii_class[s[p]];
            if (k == K_LETTER || k == K_DIGIT)
                break;
            p++;
            continue;
        }
        n = decode(s + p, len - p, &cp, &bad);
        k = classify(cp);
        if (k == K_LETTER || k == K_DIGIT)
            break; /* the token loop counts it */
        t->invalid += (size_t)bad;
        p += n;
    }

    /* Collect the token. last is the class of its last letter or digit,
     * so a mark after a letter still lets an apostrophe join. An
     * abbreviation is collected up to its end, its periods dropped. */
    start = p;
    last = K_SEP;
    stop = k == K_LETTER ? abbreviation_end(s, len, p) : 0;
    in_abbrev = stop != 0;
    if (!in_abbrev)
        stop = len;
    while (p < stop) {
        uint8_t c = s[p];
        if (c < 0x80) {
            k = ascii_class[c];
            if (k == K_LETTER) {
                put_ascii(t, &b, c | 0x20);
                last = K_LETTER;
                p++;
                continue;
            }
            if (k == K_DIGIT) {
                put_ascii(t, &b, c);
                last = K_DIGIT;
                p++;
                continue;
            }
            cp = c;
            n = 1;
            bad = 0;
        } else {
            n = decode(s + p, len - p, &cp, &bad);
            k = classify(cp);
        }
        if (k == K_LETTER || k == K_DIGIT) {
            put_cp(t, &b, cp);
            last = k;
        } else if (k == K_MARK) {
            /* stripped by normalisation */
        } else if (k == K_APOS && last == K_LETTER &&
                   class_at(s, len, p + n) == K_LETTER) {
            put_ascii(t, &b, '\'');
        } else if ((k == K_POINT || k == K_COMMA) && last == K_DIGIT &&
                   class_at(s, len, p + n) == K_DIGIT) {
            if (k == K_POINT)
                put_ascii(t, &b, '.');
        } else if (k == K_POINT && in_abbrev) {
            /* dropped: "U.S." is us */
        } else {
            break;
        }
        t->invalid += (size_t)bad;
        p += n;
    }

    if (b.on_cps && !b.too_long)
        finish_cps(t, &b);
    if (b.too_long) {
        /* Dropped, but it still takes its position so that a phrase
         * cannot match across it. */
        t->next_position++;
        t->pos = p;
        return GOT_NOTHING;
    }
    if (b.olen == 0) {
        t->pos = p; /* nothing left after normalisation: not a word */
        return GOT_NOTHING;
    }

    t->out[b.olen] = '\0';
    t->pos = p;
    tok->text = t->out;
    tok->len = b.olen;
    tok->position = t->next_position++;
    tok->start = start;
    tok->end = p;
    return GOT_TOKEN;
}

int bl_tokenizer_next(bl_tokenizer *t, bl_token *tok)
{
    for (;;) {
        if (t->fast) {
            /* A token of ASCII bytes read without the general loop. */
            const uint8_t *s = t->text;
            size_t len = t->len, p = skip_ascii_separators(s, len, t->pos), olen = 0;
            size_t end = p < len && s[p] < 0x80 ? ascii_token(s, len, p, t->out, &olen) : 0;
            t->pos = p;
            if (end) {
                t->out[olen] = '\0';
                t->pos = end;
                tok->text = t->out;
                tok->len = olen;
                tok->position = t->next_position++;
                tok->start = p;
                tok->end = end;
                return 1;
            }
        }
        int r = general_token(t, tok);
        if (r != GOT_NOTHING)
            return r;
    }
}

uint32_t bl_tokenizer_next_position(const bl_tokenizer *t)
{
    return t->next_position;
}

size_t bl_tokenizer_invalid_bytes(const bl_tokenizer *t)
{
    return t->invalid;
}

/* ---- spans only ---- */

/* A run of ASCII letters and digits that ends at the text's end, at an
 * ASCII separator, or at ' . , not followed by a letter, digit or byte
 * above 0x7F is one whole token (none of the joining rules can apply, and
 * one single letter before a period is not an abbreviation), dropped when
 * over BL_TOKEN_MAX_BYTES; everything else goes to bl_tokenizer_next.
 * Byte by byte through the class table: news words are short, and for
 * them this costs less than the eight-byte steps of ascii_token. */
/* For the byte loops of next_span: W for an ASCII letter or digit, H for
 * a byte above 0x7F, 0 for the rest (ascii_class in one test a byte). */
#define W 1
#define H 2
static const uint8_t span_class[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x00 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x10 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x20 */
    W, W, W, W, W, W, W, W, W, W, 0, 0, 0, 0, 0, 0, /* 0x30 */
    0, W, W, W, W, W, W, W, W, W, W, W, W, W, W, W, /* 0x40 */
    W, W, W, W, W, W, W, W, W, W, W, 0, 0, 0, 0, 0, /* 0x50 */
    0, W, W, W, W, W, W, W, W, W, W, W, W, W, W, W, /* 0x60 */
    W, W, W, W, W, W, W, W, W, W, W, 0, 0, 0, 0, 0, /* 0x70 */
    H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, /* 0x80 */
    H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, /* 0x90 */
    H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, /* 0xA0 */
    H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, /* 0xB0 */
    H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, /* 0xC0 */
    H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, /* 0xD0 */
    H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, /* 0xE0 */
    H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, /* 0xF0 */
};
#undef W
#undef H

int bl_tokenizer_next_span(bl_tokenizer *t, bl_token *tok)
{
    const uint8_t *s = t->text;
    size_t len = t->len, p = t->pos;
    for (;;) {
        while (p < len && !span_class[s[p]])
            p++;
        t->pos = p;
        if (p == len)
            return 0;
        if (s[p] >= 0x80)
            break;
        size_t q = p + 1;
        while (q < len && span_class[s[q]] == 1)
            q++;
        int k = q < len ? ascii_class[s[q]] : K_SEP;
        if (k != K_SEP) {
            int after = q + 1 < len ? ascii_class[s[q + 1]] : K_SEP;
            if (k == K_HIGH || is_word_class(after) || after == K_HIGH)
                break; /* t->pos is p: the general loops read the token */
        }
        t->pos = q;
        if (q - p > BL_TOKEN_MAX_BYTES) {
            t->next_position++; /* dropped, as the general loop drops it */
            p = q;
            continue;
        }
        tok->text = NULL;
        tok->len = 0;
        tok->position = t->next_position++;
        tok->start = p;
        tok->end = q;
        return 1;
    }
    int r = bl_tokenizer_next(t, tok);
    if (r == 1) {
        tok->text = NULL;
        tok->len = 0;
    }
    return r;
}

/* ---- dropped tokens ---- */

/* Does s[0..n), a stretch of the text with a blank or the text's end on
 * either side, drop a token? Tokens never span a blank, and nothing the
 * tokenizer does looks past one (it reads as the end of the text would),
 * so the stretch tokenized alone gives the tokens and positions it gives
 * inside the whole text. */
static int stretch_drops(bl_tokenizer *t, const uint8_t *s, size_t n)
{
    bl_token tok;
    uint32_t tokens = 0;
    int r;
    bl_tokenizer_reset(t, (const char *)s, n, 0);
    while ((r = bl_tokenizer_next(t, &tok)) == 1)
        tokens++;
    return r < 0 || t->next_position != tokens;
}

static int all_ascii(const uint8_t *s, size_t n)
{
    uint8_t any = 0;
    for (size_t i = 0; i < n; i++)
        any |= s[i];
    return any < 0x80;
}

/* Bit 7 of each byte of the result is set when that byte of w is a blank
 * or control character (0x00 to 0x20): an ASCII separator. */
static inline uint64_t blank_bytes8(uint64_t w)
{
    uint64_t x = w & ~HIGH8;
    return ~(x + (0x80 - 0x21) * ONES8) & ~w & HIGH8;
}

/* Does the run of non-blank bytes s[from..to) drop a token? Runs are cut
 * at blanks only (a subset of the bytes that end tokens), so a run is at
 * least as long as any stretch inside it: a short one is safe. */
static int run_drops(bl_tokenizer *t, const uint8_t *s, size_t from, size_t to)
{
    size_t n = to - from;
    if (n <= BL_TOKENIZER_SAFE_STRETCH || (n <= BL_TOKEN_MAX_BYTES && all_ascii(s + from, n)))
        return 0;
    return stretch_drops(t, s + from, n);
}

/* The run of non-blank bytes around s[i], whose bounds *from and *to get. */
static void run_around(const uint8_t *s, size_t len, size_t i, size_t *from, size_t *to)
{
    size_t a = i, b = i;
    while (a > 0 && s[a - 1] > 0x20)
        a--;
    while (b < len && s[b] > 0x20)
        b++;
    *from = a;
    *to = b;
}

int bl_tokenizer_drops(bl_tokenizer *t, const char *text, size_t len)
{
    const uint8_t *s = (const uint8_t *)text;
    size_t i = 0, from, to;
#if SWAR
    /* Eight bytes a step: a run longer than BL_TOKENIZER_SAFE_STRETCH (24)
     * covers two whole steps, so only where two steps in a row hold no
     * blank is the run around them measured. */
    int clear = 0; /* the last step held no blank */
    while (len - i >= 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        if (blank_bytes8(w)) {
            clear = 0;
            i += 8;
            continue;
        }
        if (!clear) {
            clear = 1;
            i += 8;
            continue;
        }
        run_around(s, len, i, &from, &to);
        if (run_drops(t, s, from, to))
            return 1;
        clear = 0;
        i = to; /* a blank, or the end */
    }
#endif
    /* The rest, byte by byte, from the start of the run it is in. */
    run_around(s, len, i < len ? i : len, &from, &to);
    for (i = from; i < len; i++) {
        if (s[i] > 0x20)
            continue;
        if (run_drops(t, s, from, i))
            return 1;
        from = i + 1;
    }
    return run_drops(t, s, from, len);
}
