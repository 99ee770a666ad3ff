/* load_input.c: reads one article file through zlib, which passes plain
 * files through unchanged, and vets the bytes for every format: no NUL
 * byte (binary file), no corrupt or truncated gzip stream. */
#include "load_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"

/* Finishes opening fd (owned from here on) as in->path. */
static int open_fd(bl_input *in, int fd)
{
    in->chunk = malloc(BL_INPUT_CHUNK);
    if (!in->chunk) {
        close(fd);
        return bl_error_set(BL_ENOMEM, "%s: out of memory", in->path);
    }
    in->gz = gzdopen(fd, "rb");
    if (!in->gz) {
        close(fd);
        free(in->chunk);
        in->chunk = NULL;
        return bl_error_set(BL_ENOMEM, "%s: out of memory", in->path);
    }
    gzbuffer(in->gz, 128 * 1024);
    return 0;
}

int bl_input_open(bl_input *in, const char *path)
{
    struct stat st;
    int fd;

    memset(in, 0, sizeof *in);
    in->path = path;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return bl_error_set(BL_EIO, "%s: cannot open: %s", path, strerror(errno));
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return bl_error_set(BL_EIO, "%s: cannot stat: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return bl_error_set(BL_EIO, "%s: not a regular file", path);
    }
    in->size = (uint64_t)st.st_size;
    return open_fd(in, fd);
}

int bl_input_open_stdin(bl_input *in)
{
    struct stat st;
    /* A copy, so that closing the input leaves descriptor 0 alone. */
    int fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 0);

    memset(in, 0, sizeof *in);
    in->path = "stdin";
    if (fd < 0)
        return bl_error_set(BL_EIO, "stdin: cannot read: %s", strerror(errno));
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
        in->size = (uint64_t)st.st_size;
    return open_fd(in, fd);
}

/* Turns zlib's error state after a short or failed read into a code. */
static int gz_failure(bl_input *in)
{
    int errnum = Z_OK;
    const char *msg = gzerror(in->gz, &errnum);

    if (errnum == Z_ERRNO)
        return bl_error_set(BL_EIO, "%s: read failed: %s", in->path,
                            strerror(errno));
    if (errnum == Z_BUF_ERROR)
        return bl_error_set(BL_EFORMAT,
                            "%s: truncated gzip data (ends after %llu "
                            "decompressed bytes)",
                            in->path, (unsigned long long)in->offset);
    if (errnum == Z_MEM_ERROR)
        return bl_error_set(BL_ENOMEM, "%s: out of memory", in->path);
    if (errnum != Z_OK)
        return bl_error_set(BL_EFORMAT,
                            "%s: corrupt gzip data after %llu decompressed "
                            "bytes: %s",
                            in->path, (unsigned long long)in->offset, msg);
    return 0;
}

int bl_input_read(bl_input *in, const uint8_t **p, size_t *n)
{
    const uint8_t *c = in->chunk;
    const uint8_t *nul;
    uint64_t start = in->offset;
    int got, rc;

    *p = c;
    *n = 0;
    if (in->eof)
        return 0;
    got = gzread(in->gz, in->chunk, (unsigned)BL_INPUT_CHUNK);
    if (got < 0) {
        in->eof = 1;
        rc = gz_failure(in);
        return rc ? rc : bl_error_set(BL_EIO, "%s: read failed", in->path);
    }
    if (got == 0) {
        in->eof = 1;
        return gz_failure(in); /* a truncated gzip shows only here */
    }
    in->offset += (uint64_t)got;
    nul = memchr(c, 0, (size_t)got);
    if (nul)
        return bl_error_set(BL_EFORMAT, "%s: byte %llu: NUL byte, not a text file",
                            in->path, (unsigned long long)(start + (uint64_t)(nul - c)));
    if (start == 0 && got >= 3 && c[0] == 0xEF && c[1] == 0xBB && c[2] == 0xBF) {
        c += 3;
        got -= 3;
    }
    for (int i = 0; !in->seen_text && i < got; i++)
        in->seen_text = !bl_load_isspace(c[i]);
    *p = c;
    *n = (size_t)got;
    return 0;
}

int bl_input_slurp(bl_input *in, bl_buf *out)
{
    const uint8_t *p;
    size_t n;
    int rc;

    if (in->size > BL_LOAD_MAX_FILE)
        goto too_big;
    for (;;) {
        rc = bl_input_read(in, &p, &n);
        if (rc)
            return rc;
        if (n == 0)
            break;
        if (out->len + n > BL_LOAD_MAX_FILE)
            goto too_big;
        if (bl_buf_append(out, p, n))
            return bl_error_set(BL_ENOMEM, "%s: out of memory", in->path);
    }
    if (bl_buf_reserve(out, 1))
        return bl_error_set(BL_ENOMEM, "%s: out of memory", in->path);
    out->data[out->len] = 0;
    return 0;

too_big:
    return bl_error_set(BL_ETOOBIG,
                        "%s: over %llu MiB, the limit for a file read whole",
                        in->path, (unsigned long long)(BL_LOAD_MAX_FILE >> 20));
}

int bl_input_close(bl_input *in, int rc)
{
    if (in->gz) {
        int z = gzclose_r(in->gz);
        in->gz = NULL;
        /* An earlier error and its detail come first. */
        if (rc == 0 && z == Z_BUF_ERROR)
            rc = bl_error_set(BL_EFORMAT, "%s: truncated gzip data", in->path);
        else if (rc == 0 && z == Z_ERRNO)
            rc = bl_error_set(BL_EIO, "%s: close failed: %s", in->path,
                              strerror(errno));
    }
    free(in->chunk);
    in->chunk = NULL;
    return rc;
}
