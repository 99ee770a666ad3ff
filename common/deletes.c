/* deletes.c: writing a segment's deletions bitmap (deletes.h). */
#include "deletes.h"

#include <stdlib.h>

#include "buf.h"
#include "error.h"
#include "filefmt.h"

int bl_deletes_write(const char *path, const uint64_t *words, uint32_t doc_count,
                     uint64_t *size, uint64_t *checksum)
{
    bl_filewriter *w;
    int rc = bl_filewriter_open(&w, path, BL_KIND_DELETES);
    if (rc)
        return rc;
    uint8_t chunk[4096];
    size_t n = bl_deletes_words(doc_count), k = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        bl_put_u64le(chunk + k, words[i]);
        if ((k += 8) == sizeof chunk || i + 1 == n) {
            rc = bl_filewriter_write(w, chunk, k);
            k = 0;
        }
    }
    if (rc) {
        bl_filewriter_abort(w);
        return rc;
    }
    if ((rc = bl_filewriter_commit(w)))
        return rc;
    bl_mapped m;
    if ((rc = bl_file_map(&m, path, BL_KIND_DELETES, 0)))
        return rc;
    *size = m.map_len;
    *checksum = m.checksum;
    bl_file_unmap(&m);
    return 0;
}

uint32_t *bl_deletes_rank(const uint64_t *words, uint32_t doc_count)
{
    size_t n = bl_deletes_words(doc_count);
    uint32_t *rank = malloc((n + 1) * sizeof *rank);
    if (!rank)
        return NULL;
    uint32_t sum = 0;
    for (size_t w = 0; w < n; w++) {
        rank[w] = sum;
        sum += (uint32_t)bl_popcount64(words[w]);
    }
    rank[n] = sum;
    return rank;
}
