/* intersect.h: how many documents two posting lists of a segment share,
 * by the fastest path their forms allow (postings.h: a dense list carries
 * a bitmap besides its blocks):
 *
 *   both dense     AND + popcount of the two bitmaps (bitmap.h), one word
 *                  pair per 64 documents, whatever the lists hold
 *   one dense      the other list decoded block by block (doc ids only,
 *                  straight from the mapping, no iterator:
 *                  bl_postings_count_in) and each id tested against the
 *                  bitmap, with no branch on the outcome: the cost
 *                  follows the shorter list
 *   neither        a leapfrog of two posting iterators from the rarer list
 *
 * A dense list is at least 1/BL_DENSE_RATIO of the segment, so the first
 * path reads at most 2 * BL_DENSE_RATIO bits per posting, and the second
 * is what an array-against-bitmap intersection does in CRoaring.
 */
#ifndef BL_INTERSECT_H
#define BL_INTERSECT_H

#include <stdint.h>

#include "postings.h"
#include "termdict.h"

/* Sets *count to the number of documents in both lists a and b (term infos
 * of p's dictionary). Touches (verifies) the pages it reads. Errors:
 * BL_ECORRUPT (detail names the file and offset), BL_ENOMEM; *count is
 * then 0. */
int bl_postings_intersect_count(const bl_postings *p, const bl_terminfo *a,
                                const bl_terminfo *b, uint64_t *count);

/* The documents two iterators share from where they stand, by leapfrog:
 * the one with fewer postings proposes, the other seeks (no bitmap is
 * used). Leaves both at or near BL_DOC_END; damage ends the walk early
 * with the docset's err set (the count is then short). */
uint64_t bl_posting_iter_intersect_count(bl_posting_iter *a, bl_posting_iter *b);

#endif
