/* test_idmap.c: a segment's id map, alone and through bl_segment_find_id. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "error.h"
#include "helpers.h"
#include "idmap.h"
#include "index.h"

static char *tmp;

static void setup(void)
{
    tmp = bl_test_tmpdir();
    cr_assert(tmp);
}

static void teardown(void)
{
    bl_test_rmtree(tmp);
    free(tmp);
}

TestSuite(idmap, .init = setup, .fini = teardown);

/* Random hashes, with deliberate collisions: every document is found under
 * its hash, and only there. */
Test(idmap, every_document_found_under_its_hash)
{
    bl_rng rng;
    bl_rng_init(&rng, bl_test_seed("idmap::every_document_found_under_its_hash"));
    enum { N = 5000 };
    static uint64_t hashes[N];
    for (uint32_t d = 0; d < N; d++)
        hashes[d] = d % 7 == 3 && d ? hashes[bl_rng_below(&rng, d)] : bl_rng_next(&rng);
    char path[4300];
    snprintf(path, sizeof path, "%s/x.ids", tmp);
    cr_assert(bl_idmap_write(path, hashes, N) == 0, "%s", bl_error_detail());
    bl_idmap *m;
    cr_assert(bl_idmap_open(&m, path, N, 1) == 0, "%s", bl_error_detail());
    cr_assert(bl_idmap_check(m) == 0, "%s", bl_error_detail());
    for (uint32_t d = 0; d < N; d++) {
        size_t first, n;
        cr_assert_eq(bl_idmap_find(m, hashes[d], &first, &n), 0);
        int found = 0;
        for (size_t i = first; i < first + n; i++) {
            cr_assert_eq(bl_idmap_entry_hash(m, i), hashes[d]);
            found |= bl_idmap_doc(m, i) == d;
        }
        cr_assert(found, "document %u not under its hash", d);
    }
    size_t first;
    size_t n;
    cr_assert_eq(bl_idmap_find(m, 0x1234567, &first, &n), 0);
    cr_assert_eq(n, 0);
    bl_idmap_close(m);
    cr_assert(bl_idmap_open(&m, path, N + 1, 0) == BL_ECORRUPT, "wrong count accepted");
}

/* Two entries swapped (checksum resealed): check finds the disorder. */
Test(idmap, check_catches_disorder_and_repeats)
{
    uint64_t hashes[4] = {40, 10, 30, 20};
    char path[4300];
    snprintf(path, sizeof path, "%s/y.ids", tmp);
    cr_assert(bl_idmap_write(path, hashes, 4) == 0);
    size_t len;
    char *data = bl_test_read_file(path, &len);
    cr_assert(data && len == 4 * 12 + 4 + 32);
    char first[12];
    memcpy(first, data, 12);
    memcpy(data, data + 12, 12);
    memcpy(data + 12, first, 12);
    cr_assert(bl_test_reseal((uint8_t *)data, len) == 0);
    cr_assert(bl_test_write_file(path, data, len) == 0);
    free(data);
    bl_idmap *m;
    cr_assert(bl_idmap_open(&m, path, 4, 0) == 0);
    cr_assert(bl_idmap_check(m) == BL_ECORRUPT);
    cr_assert(strstr(bl_error_detail(), "out of order"), "%s", bl_error_detail());
    bl_idmap_close(m);
}

Test(idmap, segment_finds_articles_by_id)
{
    bl_article arts[3] = {
        {.id = "alpha", .id_len = 5, .title = "A", .title_len = 1, .text = "one", .text_len = 3},
        {.id = "beta", .id_len = 4, .title = "B", .title_len = 1, .text = "two", .text_len = 3},
        {.id = "gamma", .id_len = 5, .title = "C", .title_len = 1, .text = "three", .text_len = 5},
    };
    char dir[4300];
    snprintf(dir, sizeof dir, "%s/idx", tmp);
    cr_assert(mkdir(dir, 0755) == 0);
    cr_assert(bl_test_build_index(dir, arts, 3, "english", 2) == 0, "%s", bl_error_detail());
    bl_index *idx;
    cr_assert(bl_index_open(&idx, dir, 1) == 0, "%s", bl_error_detail());
    cr_assert_eq(bl_index_segment_count(idx), 2);
    uint32_t doc;
    cr_assert(bl_segment_find_id(bl_index_segment(idx, 0), "beta", 4, &doc) == 0);
    cr_assert_eq(doc, 1);
    cr_assert(bl_segment_find_id(bl_index_segment(idx, 1), "gamma", 5, &doc) == 0);
    cr_assert_eq(doc, 0);
    cr_assert(bl_segment_find_id(bl_index_segment(idx, 1), "alpha", 5, &doc) == BL_ENOTFOUND);
    cr_assert(bl_segment_find_id(bl_index_segment(idx, 0), "bet", 3, &doc) == BL_ENOTFOUND);
    bl_index_close(idx);
}

/* An entry naming a document past the count (even 2^32-1) is reported by
 * check, never written through; find skips it. */
Test(idmap, document_past_the_count_is_caught)
{
    uint64_t hashes[3] = {10, 20, 30};
    char path[4300];
    snprintf(path, sizeof path, "%s/z.ids", tmp);
    cr_assert(bl_idmap_write(path, hashes, 3) == 0);
    size_t len;
    char *data = bl_test_read_file(path, &len);
    cr_assert(data && len == 3 * 12 + 4 + 32);
    memset(data + 12 + 8, 0xff, 4); /* entry 1: document 0xffffffff */
    cr_assert(bl_test_reseal((uint8_t *)data, len) == 0);
    cr_assert(bl_test_write_file(path, data, len) == 0);
    free(data);
    bl_idmap *m;
    cr_assert(bl_idmap_open(&m, path, 3, 0) == 0);
    cr_assert(bl_idmap_check(m) == BL_ECORRUPT);
    cr_assert(strstr(bl_error_detail(), "offset 20: document 4294967295 of 3"), "%s",
              bl_error_detail());
    size_t first;
    size_t n;
    cr_assert_eq(bl_idmap_find(m, 20, &first, &n), 0);
    cr_assert_eq(n, 1);
    cr_assert_eq(bl_idmap_doc(m, first), UINT32_MAX);
    bl_idmap_close(m);
}
