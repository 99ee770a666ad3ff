/* error.c: error names and the thread-local detail message. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local char detail[1024];
static _Thread_local int last_code;

const char *bl_strerror(int code)
{
    switch (code) {
    case BL_OK: return "success";
    case BL_ENOMEM: return "out of memory";
    case BL_EIO: return "input/output error";
    case BL_ECORRUPT: return "corrupt index";
    case BL_EFORMAT: return "malformed input";
    case BL_EINVAL: return "invalid argument";
    case BL_ENOTFOUND: return "not found";
    case BL_EVERSION: return "unsupported index format version";
    case BL_EQUERY: return "malformed query";
    case BL_ETOOBIG: return "limit exceeded";
    case BL_ELOCKED: return "index is locked by another writer";
    default: return "unknown error";
    }
}

int bl_error_set(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    last_code = code;
    return code;
}

const char *bl_error_detail(void)
{
    if (detail[0])
        return detail;
    return last_code ? bl_strerror(last_code) : "";
}

int bl_error_code(void) { return last_code; }

void bl_error_clear(void)
{
    detail[0] = '\0';
    last_code = 0;
}
