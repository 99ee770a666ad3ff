/* termsafe.c: visible escapes for text printed to a terminal (rules in
 * termsafe.h). One scan, shared by the writer and the width count, cuts
 * the text into characters that pass unchanged and ones that are replaced
 * by an escape. */
#include "termsafe.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "error.h"
#include "utf8.h"

/* Longest escape written: "\u202e". */
#define ESC_MAX 8

static int is_unsafe(uint32_t c)
{
    return c < 0x20 || (c >= 0x7F && c < 0xA0) || c == 0x061C || c == 0x200E ||
           c == 0x200F || (c >= 0x2028 && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

/* Looks at the character at p[0..n) (n >= 1). Returns its length in bytes;
 * *cp gets the character, and esc the escape to write instead of it (NUL
 * terminated, empty when the bytes pass unchanged). */
static size_t scan(const uint8_t *p, size_t n, uint32_t *cp, char esc[ESC_MAX])
{
    static const char hex[] = "0123456789abcdef";
    size_t k = bl_utf8_decode(p, n, cp, NULL);

    esc[0] = '\0';
    if (k == 0) { /* not UTF-8: the byte itself, in hex */
        snprintf(esc, ESC_MAX, "\\x%c%c", hex[p[0] >> 4], hex[p[0] & 15]);
        *cp = p[0];
        return 1;
    }
    if (!is_unsafe(*cp))
        return k;
    if (*cp == '\t' || *cp == '\n' || *cp == '\r')
        snprintf(esc, ESC_MAX, "\\%c", *cp == '\t' ? 't' : *cp == '\n' ? 'n' : 'r');
    else if (*cp < 0x80)
        snprintf(esc, ESC_MAX, "\\x%c%c", hex[*cp >> 4], hex[*cp & 15]);
    else
        snprintf(esc, ESC_MAX, "\\u%04x", (unsigned)*cp);
    return k;
}

int bl_termsafe_write(FILE *f, const char *s, size_t len)
{
    const uint8_t *p = (const uint8_t *)s;
    size_t i = 0, run = 0; /* p[run..i) passes unchanged, not yet written */
    char esc[ESC_MAX];
    uint32_t cp;

    if (len == 0)
        return ferror(f) ? BL_EIO : 0;
    while (i < len) {
        size_t k = scan(p + i, len - i, &cp, esc);
        if (esc[0]) {
            fwrite(p + run, 1, i - run, f);
            fputs(esc, f);
            run = i + k;
        }
        i += k;
    }
    fwrite(p + run, 1, len - run, f);
    return ferror(f) ? BL_EIO : 0;
}

int bl_termsafe_printf(FILE *f, const char *fmt, ...)
{
    char small[1024], *text = small;
    va_list ap;
    int rc = 0;

    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return BL_EINVAL;
    size_t len = (size_t)n;
    if (len >= sizeof small) {
        text = malloc(len + 1);
        if (text) {
            va_start(ap, fmt);
            vsnprintf(text, len + 1, fmt, ap);
            va_end(ap);
        } else {
            text = small;
            len = sizeof small - 1;
            rc = BL_ENOMEM;
        }
    }
    /* The format's own final newline, even when the text was cut. */
    size_t flen = strlen(fmt);
    int newline = flen > 0 && fmt[flen - 1] == '\n';
    if (newline && len > 0 && text[len - 1] == '\n')
        len--;
    int wrc = bl_termsafe_write(f, text, len);
    if (newline)
        fputc('\n', f);
    if (text != small)
        free(text);
    if (rc)
        return rc;
    return wrc ? wrc : ferror(f) ? BL_EIO : 0;
}

size_t bl_termsafe_width(const char *s, size_t len)
{
    const uint8_t *p = (const uint8_t *)s;
    size_t i = 0, width = 0;
    char esc[ESC_MAX];
    uint32_t cp;

    while (i < len) {
        i += scan(p + i, len - i, &cp, esc);
        if (esc[0]) {
            width += strlen(esc);
        } else {
            int w = utf8proc_charwidth((utf8proc_int32_t)cp);
            width += w > 0 ? (size_t)w : 0;
        }
    }
    return width;
}
