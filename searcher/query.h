/* query.h: parses Byline's query language into a tree.
 *
 * Grammar (precedence from loosest to tightest):
 *   query   := or
 *   or      := and ( "OR" and )*
 *   and     := unary ( ["AND"] unary )*     juxtaposition means AND
 *   unary   := "NOT" unary | "-" primary | primary
 *   primary := "(" or ")" | '"' words '"' | word | word"*"
 * With opts.any, juxtaposition means OR instead (explicit AND still binds
 * tighter than OR): "a b AND c" is a OR (b AND c); a negated kid of such an
 * OR that is not written next to an explicit "OR" still excludes:
 * "a b -c" is (a OR b) AND NOT c, while "a OR -c" keeps its meaning.
 * Operators are upper-case; "and", "or", "not" in lower case are words.
 * A word is a run of characters other than space, quote and parentheses; it
 * is analysed exactly like article text: one term gives a TERM node, several
 * (e.g. "thomas-greenfield") a PHRASE node, none (pure punctuation) nothing.
 * word* is a PREFIX node: terms[0] is the normalised, unstemmed word (all
 * terms starting with it match) and, when it differs, terms[1] is the
 * word's stem (matched exactly: the dictionary holds stems, so "stories*"
 * must find "stori").
 * A word longer than BL_TOKEN_MAX_BYTES is an error: the index does not
 * hold such tokens, and in a phrase it would leave a hole.
 * A query with no positive part ("NOT x", "-x") matches every document
 * that the negative part does not.
 *
 * Details (query.c repeats them at the top):
 *  - '"', U+201C and U+201D all open and close a phrase; inside one,
 *    operators are plain words. A '*' right after the phrase's last word
 *    (only blanks may follow it before the closing quote) makes that word a
 *    prefix, as in FTS5: "white hou*" matches "white house" and "white
 *    houses". A '*' anywhere else in a phrase is an error; a phrase of one
 *    word with '*' is a plain PREFIX.
 *  - "-" negates only at the start of a token and only when something other
 *    than whitespace or ")" follows it; what follows is never an operator
 *    ("-OR" excludes the word "or"). A lone "-" is punctuation.
 *  - word* must analyse to exactly one token; '*' anywhere but at the end of
 *    a word ("**", "a*b") is an error.
 *  - Double negation cancels: "NOT NOT x", "NOT -x" and "-(-x)" give x.
 *  - Words that analyse to nothing are dropped with their operator:
 *    "a OR !!!" is a.
 *  - Size limits, so that a query is either answered in bounded time and
 *    memory or refused at once: at most BL_QUERY_MAX_BYTES bytes, at most
 *    BL_QUERY_MAX_WORDS words (every word of a phrase counts) and at most
 *    BL_QUERY_MAX_PREFIXES prefixes (each may stand for thousands of terms).
 */
#ifndef BL_QUERY_H
#define BL_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "analyzer.h"

/* Deepest nesting of parentheses bl_query_parse accepts (BL_EQUERY beyond),
 * which bounds the recursion of the parser, bl_qnode_free and describe. */
#define BL_QUERY_MAX_DEPTH 100

/* Longest query bl_query_parse accepts, in bytes. */
#define BL_QUERY_MAX_BYTES (1 << 20)

/* Most words (after analysis; a phrase counts each of its words) and most
 * prefixes (word*, or a phrase ending in one) in one query. */
#define BL_QUERY_MAX_WORDS 65536
#define BL_QUERY_MAX_PREFIXES 64

typedef enum {
    BL_Q_TERM,   /* terms[0] */
    BL_Q_PHRASE, /* terms[0..nterms) at relative positions positions[]; with
                    prefix_last, terms[nterms-1] is a prefix */
    BL_Q_PREFIX, /* terms[0] the prefix (normalised, unstemmed); terms[1] its stem */
    BL_Q_AND,    /* all kids; kids of kind BL_Q_NOT exclude */
    BL_Q_OR,     /* any kid */
    BL_Q_NOT,    /* kids[0] excluded (only inside AND, or alone at the top) */
} bl_qkind;

typedef struct bl_qnode {
    bl_qkind kind;
    char **terms;         /* TERM/PHRASE/PREFIX: NUL-terminated, owned */
    uint32_t *positions;  /* PHRASE: position of terms[i] relative to terms[0] */
    size_t nterms;
    struct bl_qnode **kids; /* AND/OR/NOT: owned */
    size_t nkids;
    size_t offset;        /* byte offset of the node's text in the query */
    /* PHRASE only: its last word is a prefix ("white hou*"). Then
     * terms[nterms-1] is that word normalised but unstemmed (terms starting
     * with it match there), and last_stem (owned, or NULL) is its stem when
     * that differs, matched exactly, as terms[1] of a PREFIX. */
    int prefix_last;
    char *last_stem;
} bl_qnode;

typedef struct {
    int any; /* juxtaposition means OR */
} bl_query_opts;

/* Parses query with analyzer a. On success *out owns the tree (free with
 * bl_qnode_free). AND and OR nodes are flattened ((a b) c -> AND(a,b,c)) and
 * a one-kid AND/OR is replaced by its kid.
 * Errors: BL_EQUERY with *err_pos the 0-based byte offset of the problem and
 * a one-line detail (bl_error_detail) such as "unbalanced quote",
 * "missing closing parenthesis", "OR needs a term on its right", "empty
 * query", "query has no searchable words", "a word longer than 64 bytes is
 * not indexed", "in a phrase, '*' may only end the last word", a size limit
 * passed (for BL_QUERY_MAX_BYTES *err_pos is the first byte past it; the
 * query is refused without being read further); BL_ENOMEM; BL_EINVAL if query, a
 * or out is NULL. *err_pos (err_pos may be NULL) is 0 for the two
 * whole-query errors ("empty query", "no searchable words") and for errors
 * other than BL_EQUERY; it is always <= strlen(query). query may hold any bytes (invalid UTF-8 is
 * analysed as the tokenizer says). On failure *out is NULL. */
int bl_query_parse(const char *query, bl_analyzer *a, const bl_query_opts *opts,
                   bl_qnode **out, size_t *err_pos);

/* Frees a tree; NULL does nothing. */
void bl_qnode_free(bl_qnode *n);

/* Writes a canonical S-expression of n into buf (at most cap bytes, always
 * NUL-terminated): (AND wagner (PHRASE north korea) (NOT patriot) (PREFIX tax)).
 * A TERM prints as its term; a PHRASE term that does not directly follow the
 * previous one prints with its relative position: (PHRASE north korea@2); a
 * phrase's prefix prints like a PREFIX: (PHRASE white (PREFIX houses hous)).
 * Returns the length it needed, like snprintf. For tests and --explain. */
size_t bl_qnode_describe(const bl_qnode *n, char *buf, size_t cap);

#endif
