/* model.h: a word model learnt from real text, for bin/byline-gen --like.
 *
 * Reading a corpus (any files: SGML or JSON markup between '<' and '>' and
 * '&...;' entities is skipped) gives the words with their counts and, for
 * each word, the words that follow it in a sentence with their counts: a
 * first-order Markov chain. Text drawn from it has the corpus's vocabulary,
 * word frequencies and two-word phrases, which is what posting lists,
 * positions and phrase queries see. Words are runs of letters and digits
 * (with '.' or ',' inside a number, and '\'' or '-' inside a word); a '.',
 * '!' or '?' before a space ends a sentence.
 */
#ifndef BL_GEN_MODEL_H
#define BL_GEN_MODEL_H

#include <stdint.h>

typedef struct gen_model gen_model;

/* Learns a model from every regular file under path (a file or a
 * directory tree). Returns NULL with a message on stderr when the path
 * cannot be read or holds fewer than 100 words. */
gen_model *gen_model_learn(const char *path);

void gen_model_free(gen_model *m);

/* Word id of a sentence's boundary: drawn as the next word, it ends the
 * sentence; given as the previous word, it draws a sentence's first. */
#define GEN_BOUNDARY 0u

/* A word to follow prev (GEN_BOUNDARY: the first of a sentence), drawn by
 * its count after prev; u is uniform in [0, 1). */
uint32_t gen_model_next(const gen_model *m, uint32_t prev, double u);

/* A word drawn by its count in the whole corpus (never GEN_BOUNDARY). */
uint32_t gen_model_any(const gen_model *m, double u);

/* The text of word id (not GEN_BOUNDARY). */
const char *gen_model_word(const gen_model *m, uint32_t id);

/* Distinct words learnt, and words read. */
uint32_t gen_model_words(const gen_model *m);
uint64_t gen_model_tokens(const gen_model *m);

#endif
