/* test_rss.c: bl_rss_read sees pages the process touches: private pages
 * as anon, the pages of a mapped file as file, and neither one as the
 * other. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "rss.h"

#define SIZE ((size_t)32 << 20)
#define SLACK ((size_t)4 << 20)

Test(rss, touched_private_pages_count_as_anon)
{
    bl_rss before, after;
    cr_assert_eq(bl_rss_read(&before), 0);
    uint8_t *p = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert(p != MAP_FAILED);
    memset(p, 1, SIZE);
    cr_assert_eq(bl_rss_read(&after), 0);
    cr_expect_geq(after.anon, before.anon + SIZE - SLACK, "anon %zu -> %zu", before.anon,
                  after.anon);
    cr_expect_leq(after.file, before.file + SLACK, "file %zu -> %zu", before.file, after.file);
    munmap(p, SIZE);
    cr_assert_eq(bl_rss_read(&after), 0);
    cr_expect_leq(after.anon, before.anon + SLACK, "anon after unmap %zu", after.anon);
}

Test(rss, read_pages_of_a_mapped_file_count_as_file)
{
    char path[] = "/tmp/byline-rss-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    unlink(path);
    cr_assert_eq(ftruncate(fd, (off_t)SIZE), 0);
    bl_rss before, after;
    cr_assert_eq(bl_rss_read(&before), 0);
    const volatile uint8_t *p = mmap(NULL, SIZE, PROT_READ, MAP_PRIVATE, fd, 0);
    cr_assert(p != MAP_FAILED);
    unsigned sum = 0;
    for (size_t i = 0; i < SIZE; i += 4096)
        sum += p[i];
    cr_assert_eq(sum, 0);
    cr_assert_eq(bl_rss_read(&after), 0);
    cr_expect_geq(after.file, before.file + SIZE - SLACK, "file %zu -> %zu", before.file,
                  after.file);
    cr_expect_leq(after.anon, before.anon + SLACK, "anon %zu -> %zu", before.anon, after.anon);
    /* what the merges do to shed them */
    madvise((void *)p, SIZE, MADV_DONTNEED);
    cr_assert_eq(bl_rss_read(&after), 0);
    cr_expect_leq(after.file, before.file + SLACK, "file after drop %zu", after.file);
    munmap((void *)p, SIZE);
    close(fd);
}
