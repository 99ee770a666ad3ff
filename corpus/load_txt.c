/* load_txt.c: one article per file. The first line holding more than
 * whitespace is the title (trimmed); everything after that line, trimmed,
 * is the text. The BBC corpus has this shape: headline, blank line, one
 * paragraph per line. */
#include <string.h>

#include "error.h"
#include "load_internal.h"

int bl_load_txt(bl_load_ctx *lc, bl_input *in)
{
    bl_buf b;
    bl_article a;
    const char *p, *end;
    int rc;

    bl_buf_init(&b);
    rc = bl_input_slurp(in, &b);
    if (rc || b.len == 0)
        goto done;
    p = (const char *)b.data;
    end = p + b.len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *line_end = nl ? nl : end;
        const char *title = p;
        size_t title_len = (size_t)(line_end - p);

        bl_load_trim(&title, &title_len);
        if (title_len == 0) {
            p = nl ? nl + 1 : end;
            continue;
        }
        memset(&a, 0, sizeof a);
        a.title = title;
        a.title_len = title_len;
        a.text = line_end;
        a.text_len = (size_t)(end - line_end);
        bl_load_trim(&a.text, &a.text_len);
        a.source = in->path;
        a.source_len = strlen(in->path);
        rc = bl_load_emit(lc, &a);
        break;
    }
    /* Only whitespace: nothing emitted; the caller reports the empty file. */
done:
    bl_buf_release(&b);
    return rc;
}
