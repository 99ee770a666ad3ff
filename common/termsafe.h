/* termsafe.h: printing text that Byline does not control (file names,
 * queries, index paths, error details that quote them) on a terminal
 * without letting it act on the terminal.
 *
 * A file name holding ESC [ 2 J clears the screen when printed raw, one
 * holding U+202E (RIGHT-TO-LEFT OVERRIDE) shows "gpj.exe" as "exe.jpg", a
 * lone 0x9B byte is CSI for a terminal in 8-bit mode. So every character
 * below is written as a visible escape instead:
 *  - C0 controls and DEL as \xNN (tab, newline and carriage return as \t,
 *    \n, \r): a message is one line, whatever its arguments hold;
 *  - C1 controls U+0080..U+009F (UTF-8 encoded) as \u0080..\u009f;
 *  - bidirectional controls U+061C, U+200E, U+200F, U+202A..U+202E,
 *    U+2066..U+2069, and the line and paragraph separators U+2028, U+2029,
 *    as \u061c, \u202e...;
 *  - each byte that is not part of valid UTF-8 as \xNN.
 * Everything else, backslashes included, is written unchanged: the escaped
 * form is for people to read, not a quoting that can be reversed. Only the
 * printing escapes; strings such as bl_error_detail() keep their bytes.
 * These functions return a code but record no error detail, so printing
 * the detail of an error never replaces it.
 */
#ifndef BL_TERMSAFE_H
#define BL_TERMSAFE_H

#include <stddef.h>
#include <stdio.h>

/* Writes s[0..len) to f, escaped as above (s may be NULL when len is 0).
 * Errors: BL_EIO if f reports a write error. */
int bl_termsafe_write(FILE *f, const char *s, size_t len);

/* Formats like fprintf, then writes the result escaped as above, except
 * that a newline ending fmt is written as a newline: the format string is
 * trusted, its arguments are not, and the message stays one line. Errors:
 * BL_EINVAL (bad format), BL_ENOMEM (the text is then written cut to its
 * first 1023 bytes), BL_EIO. */
int bl_termsafe_printf(FILE *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Terminal columns that the escaped form of s[0..len) takes (wide East
 * Asian characters count 2, combining marks 0, as utf8proc_charwidth
 * says): where a caret goes under a given character of s. */
size_t bl_termsafe_width(const char *s, size_t len);

#endif
