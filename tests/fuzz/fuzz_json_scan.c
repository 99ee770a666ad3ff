/* fuzz_json_scan.c: libFuzzer target for the JSONL scanner
 * (corpus/json_scan.h), with jansson as the oracle: every input either is
 * valid for both, with the same values at every key, or invalid for both.
 * `make fuzz-json` builds it with clang and runs it (FUZZ_SECONDS, 60 by
 * default); any disagreement aborts and leaves the input in build-fuzz/.
 *
 * Inputs with a raw NUL byte are only scanned, not compared: jansson
 * accepts some (after a number) and the loader never passes any (the
 * input layer refuses files holding NUL bytes). Numbers beyond jansson's
 * ranges and nesting past its limit are skipped the same way: the scanner
 * checks syntax, not range, and nests less deeply. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json_oracle.h"
#include "json_scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const keys[] = {"id",    "title",     "body",  "text", "date",
                                   "url",   "a.b.c",     "meta.date", "meta.", "a.b"};
#define NKEYS (sizeof keys / sizeof keys[0])

static bl_json_kind kind_of(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return BL_JSON_OBJECT;
    case JSON_ARRAY: return BL_JSON_ARRAY;
    case JSON_STRING: return BL_JSON_STRING;
    case JSON_INTEGER: return BL_JSON_INTEGER;
    case JSON_REAL: return BL_JSON_REAL;
    case JSON_TRUE: return BL_JSON_TRUE;
    case JSON_FALSE: return BL_JSON_FALSE;
    default: return BL_JSON_NULL;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    bl_json_value got[NKEYS];
    bl_json_error err;
    json_error_t jerr;
    json_t *j;
    int rc = bl_json_scan(text, size, keys, NKEYS, got, &err);

    if (rc == BL_JSON_INVALID && err.offset > size)
        abort();
    if (memchr(data, 0, size))
        return 0;
    j = json_loadb(text, size, JSON_ALLOW_NUL, &jerr);
    if (!j) {
        if (!strstr(jerr.text, "too big") && !strstr(jerr.text, "overflow") &&
            !strstr(jerr.text, "depth") && rc != BL_JSON_INVALID)
            abort();
        return 0;
    }
    if (rc != (json_is_object(j) ? BL_JSON_OK : BL_JSON_NOT_OBJECT))
        abort();
    for (size_t i = 0; rc == BL_JSON_OK && i < NKEYS; i++) {
        json_t *want = bl_test_json_lookup(j, keys[i]);
        bl_buf b;

        if (got[i].kind != (want ? kind_of(want) : BL_JSON_ABSENT))
            abort();
        if (!want || !json_is_string(want))
            continue;
        bl_buf_init(&b);
        if (bl_json_unescape(&got[i], &b) || b.len != json_string_length(want) ||
            memcmp(b.data, json_string_value(want), b.len) != 0)
            abort();
        bl_buf_release(&b);
    }
    json_decref(j);
    return 0;
}
