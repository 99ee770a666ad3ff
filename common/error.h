/* error.h: Byline's error codes and the detail message of the last error.
 *
 * Every fallible function in Byline returns int: 0 on success, a negative
 * BL_E* code on failure. Where a code alone says too little (which file,
 * which byte offset, which line), the failing function also records a
 * detail message with bl_error_set(); callers print it with bl_error_detail().
 * The detail is thread-local, so later multi-threaded indexing needs no lock.
 */
#ifndef BL_ERROR_H
#define BL_ERROR_H

enum {
    BL_OK = 0,
    BL_ENOMEM = -1,    /* allocation failed */
    BL_EIO = -2,       /* read/write/open/fsync failed (errno in the detail) */
    BL_ECORRUPT = -3,  /* an index file is damaged: bad checksum, bad bytes */
    BL_EFORMAT = -4,   /* an input article file is malformed */
    BL_EINVAL = -5,    /* bad argument or option */
    BL_ENOTFOUND = -6, /* a lookup found nothing (not always an error) */
    BL_EVERSION = -7,  /* index written by an unsupported format version */
    BL_EQUERY = -8,    /* malformed query */
    BL_ETOOBIG = -9,   /* a limit was exceeded (file, token, count) */
    BL_ELOCKED = -10,  /* another process is writing the index */
};

/* Returns a static, human-readable name for code ("corrupt index", ...). */
const char *bl_strerror(int code);

/* Records a printf-style detail message for the current thread and returns
 * code unchanged, so a failure path can read `return bl_error_set(...)`. */
int bl_error_set(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Returns the detail message of the last bl_error_set() on this thread, or
 * bl_strerror() of its code if it had none; "" when no error was recorded.
 * Borrowed: valid until the next bl_error_set()/bl_error_clear(). */
const char *bl_error_detail(void);

/* Returns the code of the last recorded error on this thread (0 if none). */
int bl_error_code(void);

/* Forgets the last recorded error. */
void bl_error_clear(void);

#endif
