/* json_scan.h: one line of JSONL checked whole and read for a few values,
 * without building it in memory.
 *
 * The JSONL loader needs five or six values of each object and nothing
 * else; a full parser (jansson) allocated every key and value of every
 * line and was the reading thread's largest cost (see load_jsonl.c). This
 * scanner validates the text as strictly as RFC 8259 asks (UTF-8, escapes
 * and surrogate pairs, numbers, nesting) and hands back where the wanted
 * values are in the text; strings are unescaped only when asked.
 *
 * Not part of Byline's API: corpus/ alone uses it.
 */
#ifndef BL_JSON_SCAN_H
#define BL_JSON_SCAN_H

#include <stddef.h>

#include "buf.h"

/* At most this many keys per scan. */
#define BL_JSON_MAX_KEYS 16
/* Objects and arrays nested deeper than this are refused. */
#define BL_JSON_MAX_DEPTH 512

typedef enum {
    BL_JSON_ABSENT = 0, /* the key is not there */
    BL_JSON_NULL,
    BL_JSON_FALSE,
    BL_JSON_TRUE,
    BL_JSON_STRING,
    BL_JSON_INTEGER, /* a number without fraction or exponent */
    BL_JSON_REAL,    /* a number with one */
    BL_JSON_OBJECT,
    BL_JSON_ARRAY,
} bl_json_kind;

/* A value found by bl_json_scan, borrowed from the scanned text. */
typedef struct {
    bl_json_kind kind;
    /* A string's bytes between its quotes, escapes as written; a number's
     * text; other kinds: the value's first byte (len 0). */
    const char *raw;
    size_t len;
    int escaped; /* a string holding a backslash: bl_json_unescape it */
} bl_json_value;

/* Why a text is not JSON: a fixed message and the byte offset (0-based)
 * in the text where the scan stopped. */
typedef struct {
    const char *msg;
    size_t offset;
} bl_json_error;

enum {
    BL_JSON_OK = 0,         /* valid JSON, an object: got[] is filled */
    BL_JSON_NOT_OBJECT = 1, /* valid JSON, an array */
    BL_JSON_INVALID = -1,   /* not JSON (or nested too deep): *err says why */
};

/* Scans text (p, n), which must be one JSON object or array with only
 * whitespace (space, tab, CR, LF) around it, and finds in an object the
 * value of each of keys[0 .. nkeys) (nkeys <= BL_JSON_MAX_KEYS) into
 * got[i]. A key is looked up among the object's own keys; when it holds
 * dots and the object has no such key, it is also looked up as a path
 * through nested objects ("meta.date": the key "date" of the object that
 * is the value of "meta"). A key given twice counts at its last place.
 * Keys in the text are compared after unescaping. Numbers are checked for
 * syntax only, never for range. Returns BL_JSON_OK, BL_JSON_NOT_OBJECT
 * (got[] all absent) or BL_JSON_INVALID with *err set. */
int bl_json_scan(const char *p, size_t n, const char *const *keys, size_t nkeys,
                 bl_json_value *got, bl_json_error *err);

/* Replaces out's contents with string value v unescaped (UTF-8; \u0000
 * gives a NUL byte). v must come from a successful bl_json_scan.
 * Errors: BL_ENOMEM. */
int bl_json_unescape(const bl_json_value *v, bl_buf *out);

#endif
