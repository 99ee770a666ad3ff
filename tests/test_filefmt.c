/* test_filefmt.c: page checksums verified on first touch (filefmt.h). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "filefmt.h"
#include "helpers.h"

static void spit(const char *path, const uint8_t *b, size_t len)
{
    FILE *f = fopen(path, "wb");
    cr_assert(f != NULL && fwrite(b, 1, len, f) == len);
    fclose(f);
}

/* Ranges touched again and again, some inside pages already verified
 * (checked 64 pages a load), some reaching a damaged page nobody has
 * verified: a touch fails exactly when its range holds the damaged page,
 * however many verified pages surround it. */
Test(filefmt, touch_finds_a_damaged_page_among_verified_ones)
{
    const char *env = getenv("BYLINE_SEED");
    uint64_t seed = env && *env ? strtoull(env, NULL, 10) : 20250117;
    fprintf(stderr, "filefmt/touch: seed %llu (replay with BYLINE_SEED=N)\n",
            (unsigned long long)seed);
    bl_rng r;
    bl_rng_init(&r, seed);
    char dir[] = "/tmp/bl_filefmt_XXXXXX", path[64];
    cr_assert(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/f.doc", dir);
    enum { PAGES = 300 };
    size_t body = (size_t)PAGES * 4096 - 100;
    uint8_t *b = malloc(body);
    for (size_t i = 0; i < body; i++)
        b[i] = (uint8_t)bl_rng_next(&r);
    bl_filewriter *w;
    cr_assert_eq(bl_filewriter_open(&w, path, BL_KIND_DOCS), 0);
    cr_assert_eq(bl_filewriter_write(w, b, body), 0);
    cr_assert_eq(bl_filewriter_commit(w), 0);
    size_t len;
    uint8_t *orig = (uint8_t *)bl_test_read_file(path, &len), *cur = malloc(len);
    for (int round = 0; round < 20; round++) {
        uint32_t bad = bl_rng_below(&r, PAGES);
        memcpy(cur, orig, len);
        cur[(size_t)bad * 4096 + bl_rng_below(&r, bad + 1 < PAGES ? 4096 : 4096 - 100)] ^= 1;
        spit(path, cur, len);
        bl_mapped m;
        cr_assert_eq(bl_file_map(&m, path, BL_KIND_DOCS, 0), 0);
        for (int t = 0; t < 400; t++) {
            uint64_t first = bl_rng_below(&r, PAGES), last = first + bl_rng_below(&r, 140);
            last = last < PAGES ? last : PAGES - 1;
            uint64_t off = first * 4096 + bl_rng_below(&r, 4096);
            uint64_t end = last * 4096 + bl_rng_below(&r, 4096) + 1;
            off = off < body ? off : body - 1;
            end = end > body ? body : end;
            if (end <= off)
                end = off + 1;
            int covers = off / 4096 <= bad && bad <= (end - 1) / 4096;
            cr_assert_eq(bl_mapped_touch(&m, off, end - off), covers ? BL_ECORRUPT : 0,
                         "seed %llu: bytes %llu..%llu, bad page %u", (unsigned long long)seed,
                         (unsigned long long)off, (unsigned long long)end, bad);
        }
        bl_file_unmap(&m);
    }
    unlink(path);
    rmdir(dir);
    free(b);
    free(orig);
    free(cur);
}
