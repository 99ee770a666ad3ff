/* load_txt.c: one article per file. By default the first line holding more
 * than whitespace is the title (trimmed) and everything after that line,
 * trimmed, is the text: the BBC corpus has this shape (headline, blank
 * line, one paragraph per line). Corpora without a headline line (Reuter
 * 50/50, 20 Newsgroups) read better with opts->title BL_TITLE_NONE (the
 * whole file is the text) or BL_TITLE_FILENAME (the base name is the
 * title). */
#include <string.h>
#include <strings.h>

#include "error.h"
#include "load_internal.h"

int bl_title_mode_parse(const char *name, bl_title_mode *out)
{
    static const struct {
        const char *name;
        bl_title_mode mode;
    } names[] = {
        {"first-line", BL_TITLE_FIRST_LINE},
        {"none", BL_TITLE_NONE},
        {"filename", BL_TITLE_FILENAME},
    };
    for (size_t i = 0; name && i < sizeof names / sizeof names[0]; i++) {
        if (strcasecmp(name, names[i].name) == 0) {
            *out = names[i].mode;
            return 0;
        }
    }
    return bl_error_set(BL_EINVAL,
                        "unknown title mode \"%s\" (expected first-line, none "
                        "or filename)",
                        name ? name : "");
}

/* The base name of path without a trailing ".gz" and then one extension
 * ("a/012.txt.gz" gives "012"; a name that is all extension, ".txt", stays
 * whole). */
static void title_from_name(const char *path, const char **p, size_t *n)
{
    const char *base = strrchr(path, '/');
    size_t len;
    const char *dot;

    base = base ? base + 1 : path;
    len = strlen(base);
    if (len > 3 && memcmp(base + len - 3, ".gz", 3) == 0)
        len -= 3;
    for (dot = base + len; dot > base && dot[-1] != '.'; dot--)
        ;
    if (dot > base + 1)
        len = (size_t)(dot - 1 - base);
    *p = base;
    *n = len;
}

/* Splits the file at its first line holding more than whitespace. Returns 0
 * when the file holds only whitespace. */
static int split_first_line(const char *p, const char *end, bl_article *a)
{
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *line_end = nl ? nl : end;

        a->title = p;
        a->title_len = (size_t)(line_end - p);
        bl_load_trim(&a->title, &a->title_len);
        if (a->title_len) {
            a->text = line_end;
            a->text_len = (size_t)(end - line_end);
            bl_load_trim(&a->text, &a->text_len);
            return 1;
        }
        p = nl ? nl + 1 : end;
    }
    return 0;
}

int bl_load_txt(bl_load_ctx *lc, bl_input *in)
{
    bl_buf b;
    bl_article a;
    int rc;

    bl_buf_init(&b);
    rc = bl_input_slurp(in, &b);
    /* Only whitespace: nothing emitted; the caller reports the empty file. */
    if (rc || !in->seen_text)
        goto done;
    memset(&a, 0, sizeof a);
    a.source = in->path;
    a.source_len = strlen(in->path);
    if (lc->opts->title == BL_TITLE_FIRST_LINE) {
        const char *p = (const char *)b.data;
        if (!split_first_line(p, p + b.len, &a))
            goto done;
    } else {
        a.text = (const char *)b.data;
        a.text_len = b.len;
        bl_load_trim(&a.text, &a.text_len);
        if (lc->opts->title == BL_TITLE_FILENAME)
            title_from_name(in->path, &a.title, &a.title_len);
    }
    rc = bl_load_emit(lc, &a);
done:
    bl_buf_release(&b);
    return rc;
}
