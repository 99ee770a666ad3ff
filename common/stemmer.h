/* stemmer.h: a thin wrapper over Snowball's libstemmer.
 *
 * The language names are libstemmer's ("english", "french", "porter", ...,
 * and the ISO 639 codes it accepts such as "en", "fr"); "none" means no
 * stemming (the word is returned as is).
 */
#ifndef BL_STEMMER_H
#define BL_STEMMER_H

#include <stddef.h>

typedef struct bl_stemmer bl_stemmer;

/* Creates a UTF-8 stemmer for lang. Errors: BL_EINVAL for an unknown
 * language (detail lists how to see the valid ones), BL_ENOMEM. */
int bl_stemmer_new(bl_stemmer **out, const char *lang);

/* Frees s; NULL does nothing. */
void bl_stemmer_free(bl_stemmer *s);

/* Stems word[0..len) (UTF-8, already case-folded). *out is borrowed until the
 * next call on s; it is NUL-terminated. Words containing a digit are not
 * stemmed, and a word the algorithm would cut to nothing is returned as is,
 * so a non-empty word never gives an empty stem. Errors: BL_ENOMEM. */
int bl_stemmer_stem(bl_stemmer *s, const char *word, size_t len,
                    const char **out, size_t *out_len);

/* The canonical name of s's language ("english", or "none"). Borrowed. */
const char *bl_stemmer_language(const bl_stemmer *s);

/* NULL-terminated list of the languages libstemmer supports. Static. */
const char **bl_stemmer_languages(void);

#endif
