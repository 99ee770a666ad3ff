/* tokenizer.h: splits UTF-8 text into normalised tokens with positions and
 * byte offsets in the original text.
 *
 * The rules (docs/ARCHITECTURE.md repeats them for users):
 *  - Input is UTF-8. A byte that does not start a valid UTF-8 sequence
 *    (overlong forms, surrogates, stray continuation bytes, truncated
 *    sequences) is decoded as its Windows-1252 character (bl_utf8_fallback:
 *    Latin-1 but for Windows punctuation in 0x80..0x9F), so "M\xFCnchen"
 *    reads as "München" and "don\x92t" as "don’t"; each such byte is
 *    counted. NUL and
 *    other control characters are separators.
 *  - A token is a maximal run of letters (L*), digits (N*) and combining
 *    marks (M*) that starts with a letter or digit.
 *  - An apostrophe (U+0027, U+2019, U+02BC) between two letters stays inside
 *    the token and is normalised to U+0027: "don't", "Wagner's".
 *  - A '.' or ',' between two digits joins them; commas are dropped and
 *    points kept: "1,000.50" -> "1000.50", "3.5" -> "3.5".
 *  - A dotted abbreviation is one token, its periods dropped: "U.S." is
 *    "us", "U.S.S.R" "ussr", "e.g." "eg". It is two or more single letters
 *    at the start of a token, each followed by exactly one period, which
 *    is optional after the last one. A single letter is one letter (L*,
 *    with its marks) followed by neither a letter nor a digit, so "U.Sa"
 *    is "u" "sa", "U.S.Army" is "us" "army", "A.5" is "a" "5", and "a. b."
 *    (spaces) or "U..S" stay apart. Digits never form abbreviations:
 *    numbers join as below. The token's offsets cover the final period.
 *  - Compatibility forms of ' . , (full-width "＇．，", U+FE52, U+2024...)
 *    act like the ASCII characters, so "１，０００" is "1000" too. A letter or
 *    digit whose NFKC form holds anything but letters and digits ("½" is
 *    1⁄2, "⑴" is (1), "⒈" is 1.) separates, so "1½" is not read as 112.
 *  - Everything else separates tokens, hyphens included: "Thomas-Greenfield"
 *    is "thomas" then "greenfield" at consecutive positions, so the query
 *    "thomas greenfield" (a phrase) finds it.
 *  - The token text is normalised: NFKC, Unicode case folding and accent
 *    stripping (utf8proc), so "Zelensky", "ZELENSKY" and "Zélensky" agree.
 *    Stripping removes every combining mark (M*), Indic vowel signs
 *    included; queries are normalised the same way, so they still match.
 *  - A token whose normalised form exceeds BL_TOKEN_MAX_BYTES is dropped but
 *    still takes a position, so phrases never bridge it.
 *  - Positions count tokens from first_position; offsets are byte offsets of
 *    the token's first byte and one past its last byte in the input.
 */
#ifndef BL_TOKENIZER_H
#define BL_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

/* Longest normalised token kept, in bytes. */
#define BL_TOKEN_MAX_BYTES 64

typedef struct {
    const char *text; /* normalised token, NUL-terminated; borrowed until the next call */
    size_t len;       /* bytes in text */
    uint32_t position;
    size_t start, end; /* byte offsets in the original input: [start, end) */
} bl_token;

typedef struct bl_tokenizer bl_tokenizer;

/* Creates a tokenizer. Errors: BL_ENOMEM. Free with bl_tokenizer_free(). */
int bl_tokenizer_new(bl_tokenizer **out);

/* Frees t; NULL does nothing. */
void bl_tokenizer_free(bl_tokenizer *t);

/* Starts tokenizing text[0..len). text is borrowed and must outlive the
 * calls to bl_tokenizer_next(); it may be NULL when len is 0. The first token
 * gets first_position. */
void bl_tokenizer_reset(bl_tokenizer *t, const char *text, size_t len,
                        uint32_t first_position);

/* Produces the next token into *tok. Returns 1 for a token, 0 at the end
 * (and again on later calls), BL_ENOMEM if normalisation could not allocate
 * (the current implementation works in buffers sized at bl_tokenizer_new(),
 * so it never does). tok->text is borrowed until the next call on t. */
int bl_tokenizer_next(bl_tokenizer *t, bl_token *tok);

/* Turns the ASCII fast path on (the default) or off. Both paths give
 * the same tokens; off, every token goes through the general loop, which
 * tests use as the reference for the fast one. */
void bl_tokenizer_set_fast_path(bl_tokenizer *t, int on);

/* Position the next token would get (one past the last token's position,
 * counting dropped over-long tokens). */
uint32_t bl_tokenizer_next_position(const bl_tokenizer *t);

/* Bytes of invalid UTF-8 (decoded as Windows-1252) seen since the last reset. */
size_t bl_tokenizer_invalid_bytes(const bl_tokenizer *t);

/* Like bl_tokenizer_next, the same tokens at the same positions and
 * offsets, but without their text: tok->text is NULL and tok->len 0. A
 * run of ASCII letters and digits that no joining rule can extend (most
 * words) is passed without being normalised or copied; anything else is
 * read by bl_tokenizer_next. Calls to both may be mixed on one text. For
 * callers that need where the tokens are, not what they say. */
int bl_tokenizer_next_span(bl_tokenizer *t, bl_token *tok);

/* 1 if tokenizing text[0..len) drops a token (one over BL_TOKEN_MAX_BYTES
 * once normalised, which takes a position but is not given out), else 0:
 * then the tokens bl_tokenizer_next gives take consecutive positions, token
 * i at first_position + i. Much cheaper than tokenizing (eight bytes at a
 * step): no token spans a blank (a byte up to 0x20), and a run of
 * non-blank bytes cannot hold a token that long when it is at most
 * BL_TOKEN_MAX_BYTES bytes of ASCII (which normalises to at most a byte a
 * byte) or at most BL_TOKENIZER_SAFE_STRETCH bytes of anything (no
 * character normalises to more than 8/3 bytes a byte, as test_tokenizer
 * checks for every code point); only longer runs are tokenized, each on
 * its own (the tokenizer never looks past a blank), with t. Resets t (reset
 * it again before reading tokens with it). Cannot fail. */
int bl_tokenizer_drops(bl_tokenizer *t, const char *text, size_t len);

/* Longest run of non-ASCII text that cannot hold a dropped token (see
 * bl_tokenizer_drops): 3/8 of BL_TOKEN_MAX_BYTES. */
#define BL_TOKENIZER_SAFE_STRETCH (BL_TOKEN_MAX_BYTES * 3 / 8)

#endif
