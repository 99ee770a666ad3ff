/* rss.c: the process's resident sizes (rss.h). */
#include "rss.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "error.h"

int bl_rss_read(bl_rss *out)
{
    /* statm: size resident shared text lib data dt, in pages; "shared"
     * is the resident file-backed and shared-memory pages */
    char text[256];
    int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return BL_EIO;
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    if (n <= 0)
        return BL_EIO;
    text[n] = '\0';
    unsigned long long size, resident, shared;
    if (sscanf(text, "%llu %llu %llu", &size, &resident, &shared) != 3 || shared > resident)
        return BL_EIO;
    long page = sysconf(_SC_PAGESIZE);
    if (page <= 0)
        return BL_EIO;
    out->anon = (size_t)(resident - shared) * (size_t)page;
    out->file = (size_t)shared * (size_t)page;
    return 0;
}
