/* stemmer.c: Snowball stemming through libstemmer, plus "none".
 *
 * The stem is copied into a buffer the wrapper owns: libstemmer's own
 * result is not documented to be NUL-terminated, and "none" and words with
 * digits must hand back a terminated copy of the caller's bytes anyway.
 */
#include "stemmer.h"

#include "buf.h"
#include "error.h"

#include <libstemmer.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

struct bl_stemmer {
    struct sb_stemmer *sb; /* NULL for "none" */
    const char *lang;      /* canonical name: static, or name below */
    char name[32];         /* the name as given, lower-cased */
    bl_buf out;
};

/* libstemmer also accepts ISO 639-1 and 639-2 codes; it has no call that
 * names the algorithm behind one, so the codes it knows are listed here to
 * give every index the same language name whichever spelling built it. */
static const struct {
    const char *code, *lang;
} aliases[] = {
    {"ar", "arabic"},      {"ara", "arabic"},     {"hy", "armenian"},
    {"hye", "armenian"},   {"arm", "armenian"},   {"eu", "basque"},
    {"eus", "basque"},     {"baq", "basque"},     {"ca", "catalan"},
    {"cat", "catalan"},    {"da", "danish"},      {"dan", "danish"},
    {"nl", "dutch"},       {"dut", "dutch"},      {"nld", "dutch"},
    {"en", "english"},     {"eng", "english"},    {"fi", "finnish"},
    {"fin", "finnish"},    {"fr", "french"},      {"fre", "french"},
    {"fra", "french"},     {"de", "german"},      {"ger", "german"},
    {"deu", "german"},     {"el", "greek"},       {"gre", "greek"},
    {"ell", "greek"},      {"hi", "hindi"},       {"hin", "hindi"},
    {"hu", "hungarian"},   {"hun", "hungarian"},  {"id", "indonesian"},
    {"ind", "indonesian"}, {"ga", "irish"},       {"gle", "irish"},
    {"it", "italian"},     {"ita", "italian"},    {"lt", "lithuanian"},
    {"lit", "lithuanian"}, {"ne", "nepali"},      {"nep", "nepali"},
    {"no", "norwegian"},   {"nor", "norwegian"},  {"pt", "portuguese"},
    {"por", "portuguese"}, {"ro", "romanian"},    {"rum", "romanian"},
    {"ron", "romanian"},   {"ru", "russian"},     {"rus", "russian"},
    {"sr", "serbian"},     {"srp", "serbian"},    {"es", "spanish"},
    {"esl", "spanish"},    {"spa", "spanish"},    {"sv", "swedish"},
    {"swe", "swedish"},    {"ta", "tamil"},       {"tam", "tamil"},
    {"tr", "turkish"},     {"tur", "turkish"},    {"yi", "yiddish"},
    {"yid", "yiddish"},
};

/* The static name for lang in libstemmer's list, following the aliases;
 * NULL if it is in neither. */
static const char *canonical(const char *lang)
{
    const char **l;
    size_t i;
    for (i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (strcmp(lang, aliases[i].code) == 0) {
            lang = aliases[i].lang;
            break;
        }
    for (l = sb_stemmer_list(); *l; l++)
        if (strcmp(lang, *l) == 0)
            return *l;
    return NULL;
}

int bl_stemmer_new(bl_stemmer **out, const char *lang)
{
    size_t i, n;
    bl_stemmer *s;
    char *name;

    *out = NULL;
    n = lang ? strlen(lang) : 0;
    if (n == 0 || n >= sizeof s->name)
        goto unknown;
    s = calloc(1, sizeof *s);
    if (!s)
        return bl_error_set(BL_ENOMEM, "out of memory creating a stemmer");
    bl_buf_init(&s->out);
    /* Names are matched without regard to case: "English" is english. */
    name = s->name;
    for (i = 0; i <= n; i++)
        name[i] = (char)(lang[i] >= 'A' && lang[i] <= 'Z' ? lang[i] | 0x20
                                                         : lang[i]);
    if (strcmp(name, "none") == 0) {
        s->lang = "none";
        *out = s;
        return 0;
    }
    s->sb = sb_stemmer_new(name, "UTF_8");
    if (!s->sb) {
        /* libstemmer says NULL both for an unknown name and for a failed
         * malloc; a name it lists can only have failed the malloc. */
        int known = canonical(name) != NULL;
        free(s);
        if (known)
            return bl_error_set(BL_ENOMEM, "out of memory creating the "
                                           "'%s' stemmer", lang);
        goto unknown;
    }
    s->lang = canonical(name);
    if (!s->lang) /* an alias libstemmer knows and the table above does not */
        s->lang = s->name;
    *out = s;
    return 0;

unknown:
    return bl_error_set(BL_EINVAL,
                        "unknown language '%s' (see byline index --help for "
                        "the list)", lang ? lang : "(null)");
}

void bl_stemmer_free(bl_stemmer *s)
{
    if (!s)
        return;
    if (s->sb)
        sb_stemmer_delete(s->sb);
    bl_buf_release(&s->out);
    free(s);
}

/* Whether word has a digit (N*: "2023", "covid19", "٣"). Stemming those
 * would cut numbers and codes into wrong terms ("1990s" is not "1990"). */
static int has_digit(const char *word, size_t len)
{
    const uint8_t *p = (const uint8_t *)word, *end = p + len;
    while (p < end) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t n;
        if (*p < 0x80) {
            if (*p >= '0' && *p <= '9')
                return 1;
            p++;
            continue;
        }
        n = utf8proc_iterate(p, end - p, &cp);
        if (n < 1) { /* not UTF-8: skip the byte, it is no digit */
            p++;
            continue;
        }
        switch (utf8proc_category(cp)) {
        case UTF8PROC_CATEGORY_ND:
        case UTF8PROC_CATEGORY_NL:
        case UTF8PROC_CATEGORY_NO:
            return 1;
        default:
            break;
        }
        p += n;
    }
    return 0;
}

int bl_stemmer_stem(bl_stemmer *s, const char *word, size_t len,
                    const char **out, size_t *out_len)
{
    const char *src = word;
    size_t n = len;

    if (s->sb && len > 0 && len <= INT_MAX && !has_digit(word, len)) {
        const sb_symbol *r = sb_stemmer_stem(s->sb, (const sb_symbol *)word,
                                             (int)len);
        if (!r)
            return bl_error_set(BL_ENOMEM, "out of memory stemming a word");
        /* Some algorithms cut a short word to nothing (porter: "s" gives
         * ""); an empty term could match nothing sensible, so such a word
         * stays as it is. */
        if (sb_stemmer_length(s->sb) > 0) {
            src = (const char *)r;
            n = (size_t)sb_stemmer_length(s->sb);
        }
    }
    bl_buf_clear(&s->out);
    if (bl_buf_reserve(&s->out, n + 1) < 0)
        return bl_error_set(BL_ENOMEM, "out of memory stemming a word");
    if (n)
        memcpy(s->out.data, src, n);
    s->out.data[n] = '\0';
    s->out.len = n;
    *out = (const char *)s->out.data;
    *out_len = n;
    return 0;
}

const char *bl_stemmer_language(const bl_stemmer *s)
{
    return s->lang;
}

const char **bl_stemmer_languages(void)
{
    return sb_stemmer_list();
}
