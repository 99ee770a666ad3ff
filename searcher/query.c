/* query.c: Byline's query language: a small lexer and a recursive-descent
 * parser that turn a query string into a bl_qnode tree (see query.h).
 *
 * Grammar, loosest to tightest binding:
 *
 *   query   := or END
 *   or      := and ( "OR" and )*           opts.any: and ( ["OR"] and )*
 *   and     := unary ( ["AND"] unary )*    opts.any: unary ( "AND" unary )*
 *   unary   := "NOT" unary | "-" primary | primary
 *   primary := "(" or ")" | PHRASE | WORD | PREFIX
 *
 * So "a b OR c" is (a AND b) OR c, "NOT a b" is (NOT a) AND b, and with
 * opts.any "a b AND c" is a OR (b AND c).
 *
 * Tokens (the lexer reads one token ahead of the parser):
 *   - ASCII whitespace separates tokens; "(", ")" and quotes end a word.
 *   - A quote is '"', U+201C or U+201D; any of the three opens a phrase and
 *     any of them closes it (smart-quote keyboards mix them up). PHRASE is
 *     every byte up to the closing quote, operators and '*' included; it is
 *     analysed as one piece of text. A '*' in it must directly follow the
 *     phrase's last token with only blanks after it: that token is then a
 *     prefix ("white hou*"). Any other '*' in a phrase is an error, never
 *     silently dropped.
 *   - WORD is a run of bytes other than whitespace, parentheses and quotes.
 *     "AND", "OR" and "NOT" written in upper case as a whole word are
 *     operators; in any other case they are words.
 *   - PREFIX is a word whose last byte is '*'. A '*' anywhere else in a word
 *     ("**", "a*b") is an error.
 *   - "-" at the start of a token, directly followed by anything but
 *     whitespace or ")", negates the primary after it. That primary is never
 *     an operator: "-OR" excludes the word "or", "--x" excludes "x". A "-"
 *     standing alone is punctuation and analyses to nothing.
 *
 * Tree shaping:
 *   - A WORD or PHRASE analysing to one term is a TERM node, to several a
 *     PHRASE node (relative positions kept), to none nothing at all: it is
 *     dropped with its operator ("a OR !!!" is a). A PREFIX keeps the
 *     normalised, unstemmed form of its single token, then its stem when
 *     that differs. A token too long to index is an error.
 *   - With opts.any, the NOT kids of an implicit OR that are not next to an
 *     explicit "OR" move out into an AND: "a b -c" is AND(OR(a, b), NOT c).
 *   - AND and OR nodes absorb children of the same kind; a one-child AND/OR
 *     is replaced by the child.
 *   - Double negation cancels: "NOT NOT x", "NOT -x" and "-(-x)" are x.
 *   - Parentheses nest at most BL_QUERY_MAX_DEPTH deep, so the recursion
 *     (and bl_qnode_free/describe) stays shallow on hostile input.
 *   - A query over BL_QUERY_MAX_BYTES is refused before it is read; words
 *     and prefixes are counted as leaves are made, and the first one past
 *     BL_QUERY_MAX_WORDS or BL_QUERY_MAX_PREFIXES is an error. Every step
 *     is linear in the query (flattening moves a kid at most once per
 *     level of parentheses), so a refusal or a parse takes milliseconds.
 */
#include "query.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "tokenizer.h"

/* ---- lexer ------------------------------------------------------------ */

typedef enum {
    T_END,
    T_WORD,   /* [start, end) is the word */
    T_PREFIX, /* [start, end) is the word without its '*' */
    T_PHRASE, /* [start, end) is the text between the quotes */
    T_LPAREN,
    T_RPAREN,
    T_AND,
    T_OR,
    T_NOT,
    T_MINUS,
} tkind;

typedef struct {
    tkind kind;
    size_t pos;        /* first byte of the token in the query */
    size_t start, end; /* text to analyse (WORD, PREFIX, PHRASE) */
} token;

typedef struct {
    const char *q;
    size_t len;
    size_t at;       /* where the next token is lexed */
    int after_minus; /* the next token is a primary, never an operator */
    token tok;       /* lookahead */
    bl_analyzer *a;
    int any;
    unsigned depth;
    size_t nwords, nprefixes; /* counted against the size limits */
    size_t err_pos;
} parser;

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
           c == '\v';
}

/* Bytes of the quote starting at q[i] ('"', U+201C, U+201D), 0 if none. */
static size_t quote_len(const parser *p, size_t i)
{
    const unsigned char *u = (const unsigned char *)p->q + i;
    if (u[0] == '"')
        return 1;
    if (i + 3 <= p->len && u[0] == 0xE2 && u[1] == 0x80 &&
        (u[2] == 0x9C || u[2] == 0x9D))
        return 3;
    return 0;
}

static int ends_word(const parser *p, size_t i)
{
    char c = p->q[i];
    return is_space(c) || c == '(' || c == ')' || quote_len(p, i) > 0;
}

/* Records a BL_EQUERY at byte pos with a printf-style one-line detail. */
static int qerr(parser *p, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int qerr(parser *p, size_t pos, const char *fmt, ...)
{
    char msg[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    p->err_pos = pos;
    return bl_error_set(BL_EQUERY, "%s", msg);
}

static int lex_phrase(parser *p, size_t i, size_t qlen)
{
    size_t j = i + qlen, close = 0;
    while (j < p->len && (close = quote_len(p, j)) == 0)
        j++;
    if (j >= p->len)
        return qerr(p, i, "unbalanced quote");
    p->tok = (token){T_PHRASE, i, i + qlen, j};
    p->at = j + close;
    return 0;
}

static tkind word_kind(const char *w, size_t n)
{
    if (n == 3 && memcmp(w, "AND", 3) == 0)
        return T_AND;
    if (n == 2 && memcmp(w, "OR", 2) == 0)
        return T_OR;
    if (n == 3 && memcmp(w, "NOT", 3) == 0)
        return T_NOT;
    return T_WORD;
}

static int lex_word(parser *p, size_t i, int force_word)
{
    size_t j = i;
    while (j < p->len && !ends_word(p, j))
        j++;
    for (size_t k = i; k + 1 < j; k++)
        if (p->q[k] == '*')
            return qerr(p, k, "'*' is only allowed at the end of a word");
    if (p->q[j - 1] == '*')
        p->tok = (token){T_PREFIX, i, i, j - 1};
    else
        p->tok = (token){force_word ? T_WORD : word_kind(p->q + i, j - i),
                         i, i, j};
    p->at = j;
    return 0;
}

/* Lexes the next token into p->tok. Errors: BL_EQUERY. */
static int advance(parser *p)
{
    size_t i = p->at, qlen;
    int force_word = p->after_minus;

    p->after_minus = 0;
    while (i < p->len && is_space(p->q[i]))
        i++;
    p->tok = (token){T_END, i, i, i};
    p->at = i + 1;
    if (i >= p->len) {
        p->at = i;
        return 0;
    }
    if (p->q[i] == '(') {
        p->tok.kind = T_LPAREN;
    } else if (p->q[i] == ')') {
        p->tok.kind = T_RPAREN;
    } else if ((qlen = quote_len(p, i)) > 0) {
        return lex_phrase(p, i, qlen);
    } else if (p->q[i] == '-' && !force_word && i + 1 < p->len &&
               !is_space(p->q[i + 1]) && p->q[i + 1] != ')') {
        p->tok.kind = T_MINUS;
        p->after_minus = 1;
    } else {
        return lex_word(p, i, force_word);
    }
    return 0;
}

static int starts_unary(tkind k)
{
    return k == T_WORD || k == T_PREFIX || k == T_PHRASE || k == T_LPAREN ||
           k == T_NOT || k == T_MINUS;
}

static const char *op_name(tkind k)
{
    return k == T_AND ? "AND" : k == T_OR ? "OR" : "NOT";
}

/* Steps over the operator in p->tok and checks that a term follows it. */
static int skip_operator(parser *p)
{
    token op = p->tok;
    int rc = advance(p);
    if (rc < 0)
        return rc;
    if (!starts_unary(p->tok.kind))
        return qerr(p, op.pos, "%s needs a term on its right",
                    op_name(op.kind));
    return 0;
}

/* ---- nodes ------------------------------------------------------------ */

void bl_qnode_free(bl_qnode *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->nterms; i++)
        free(n->terms[i]);
    free(n->terms);
    free(n->positions);
    free(n->last_stem);
    for (size_t i = 0; i < n->nkids; i++)
        bl_qnode_free(n->kids[i]);
    free(n->kids);
    free(n);
}

static bl_qnode *node_new(bl_qkind kind, size_t offset)
{
    bl_qnode *n = calloc(1, sizeof *n);
    if (n) {
        n->kind = kind;
        n->offset = offset;
    }
    return n;
}

/* Wraps kid (owned) in a NOT, or unwraps it if it is a NOT already. NULL
 * (a dropped operand) stays NULL. */
static int make_not(bl_qnode *kid, size_t offset, bl_qnode **out)
{
    bl_qnode *n;

    *out = NULL;
    if (!kid)
        return 0;
    if (kid->kind == BL_Q_NOT) {
        *out = kid->kids[0];
        kid->nkids = 0;
        bl_qnode_free(kid);
        return 0;
    }
    if (!(n = node_new(BL_Q_NOT, offset)) ||
        !(n->kids = malloc(sizeof *n->kids))) {
        free(n);
        bl_qnode_free(kid);
        return BL_ENOMEM;
    }
    n->kids[0] = kid;
    n->nkids = 1;
    *out = n;
    return 0;
}

/* The children of an AND or OR being built. */
typedef struct {
    bl_qnode **v;
    size_t n, cap;
} kidlist;

static int kids_reserve(kidlist *l, size_t extra)
{
    size_t cap = l->cap ? l->cap : 4;
    bl_qnode **v;

    if (extra > SIZE_MAX / sizeof *v - l->n)
        return BL_ENOMEM;
    if (l->n + extra <= l->cap)
        return 0;
    while (cap < l->n + extra)
        cap *= 2;
    if (!(v = realloc(l->v, cap * sizeof *v)))
        return BL_ENOMEM;
    l->v = v;
    l->cap = cap;
    return 0;
}

/* Adds n (owned; NULL is skipped) to l; a node of the list's own kind gives
 * its children instead, which flattens (a AND b) AND c. */
static int kids_push(kidlist *l, bl_qnode *n, bl_qkind kind)
{
    size_t add;

    if (!n)
        return 0;
    add = n->kind == kind ? n->nkids : 1;
    if (kids_reserve(l, add) < 0) {
        bl_qnode_free(n);
        return BL_ENOMEM;
    }
    if (n->kind != kind) {
        l->v[l->n++] = n;
        return 0;
    }
    memcpy(l->v + l->n, n->kids, add * sizeof *n->kids);
    l->n += add;
    n->nkids = 0;
    bl_qnode_free(n);
    return 0;
}

static void kids_release(kidlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        bl_qnode_free(l->v[i]);
    free(l->v);
    *l = (kidlist){0};
}

/* Turns l into one node: nothing, its only child, or an AND/OR. */
static int kids_build(kidlist *l, bl_qkind kind, bl_qnode **out)
{
    bl_qnode *n;

    *out = NULL;
    if (l->n <= 1) {
        if (l->n == 1)
            *out = l->v[0];
        free(l->v);
        *l = (kidlist){0};
        return 0;
    }
    if (!(n = node_new(kind, l->v[0]->offset))) {
        kids_release(l);
        return BL_ENOMEM;
    }
    n->kids = l->v;
    n->nkids = l->n;
    *l = (kidlist){0};
    *out = n;
    return 0;
}

/* ---- analysis of words and phrases ------------------------------------ */

/* Terms of one analysed piece of text. */
typedef struct {
    char **terms;
    uint32_t *positions;
    size_t n, cap;
    /* the last token: where it ends in the text, its normalised form */
    size_t last_end;
    char last_norm[BL_TOKEN_MAX_BYTES + 1];
} termlist;

static void terms_release(termlist *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->terms[i]);
    free(t->terms);
    free(t->positions);
    *t = (termlist){0};
}

static int terms_push(termlist *t, const char *s, size_t len, uint32_t pos)
{
    char *copy;

    if (t->n == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 4;
        char **terms = realloc(t->terms, cap * sizeof *terms);
        if (!terms)
            return BL_ENOMEM;
        t->terms = terms;
        uint32_t *positions = realloc(t->positions, cap * sizeof *positions);
        if (!positions)
            return BL_ENOMEM;
        t->positions = positions;
        t->cap = cap;
    }
    if (!(copy = malloc(len + 1)))
        return BL_ENOMEM;
    memcpy(copy, s, len);
    copy[len] = '\0';
    t->terms[t->n] = copy;
    t->positions[t->n++] = pos;
    return 0;
}

/* Analyses query[start, end) into t: stemmed terms, or the unstemmed
 * normalised tokens if norm is set. A token too long to be indexed is an
 * error: it would leave a hole that any word, or the gap between title and
 * text, could fill. */
static int analyse(parser *p, size_t start, size_t end, int norm, termlist *t)
{
    bl_term_occ occ;
    int rc;

    bl_analyzer_reset(p->a, p->q + start, end - start, 0);
    while ((rc = bl_analyzer_next(p->a, &occ)) == 1) {
        rc = norm ? terms_push(t, occ.norm, occ.norm_len, occ.position)
                  : terms_push(t, occ.term, occ.term_len, occ.position);
        if (rc < 0)
            return rc;
        /* The tokenizer drops longer tokens; the check below refuses them. */
        size_t nl = occ.norm_len < BL_TOKEN_MAX_BYTES ? occ.norm_len : BL_TOKEN_MAX_BYTES;
        memcpy(t->last_norm, occ.norm, nl);
        t->last_norm[nl] = '\0';
        t->last_end = occ.end;
    }
    if (rc < 0)
        return rc;
    if (bl_analyzer_next_position(p->a) != t->n)
        return qerr(p, p->tok.pos, "a word longer than %d bytes is not indexed, so it "
                    "cannot be searched", BL_TOKEN_MAX_BYTES);
    return 0;
}

/* Moves t into a new leaf of kind (TERM, PHRASE or PREFIX). */
static int leaf_from_terms(termlist *t, bl_qkind kind, size_t offset,
                           bl_qnode **out)
{
    bl_qnode *n = node_new(kind, offset);

    if (!n) {
        terms_release(t);
        return BL_ENOMEM;
    }
    n->terms = t->terms;
    n->nterms = t->n;
    if (kind == BL_Q_PHRASE) {
        n->positions = t->positions;
        for (size_t i = t->n; i-- > 0;)
            n->positions[i] -= n->positions[0];
    } else {
        free(t->positions);
    }
    *t = (termlist){0};
    *out = n;
    return 0;
}

/* Counts the words and prefixes of the leaf being made from p->tok against
 * the query's limits. */
static int count_leaf(parser *p, size_t words, int prefix)
{
    p->nwords += words;
    p->nprefixes += prefix != 0;
    if (p->nwords > BL_QUERY_MAX_WORDS)
        return qerr(p, p->tok.pos, "query has more than %d words", BL_QUERY_MAX_WORDS);
    if (p->nprefixes > BL_QUERY_MAX_PREFIXES)
        return qerr(p, p->tok.pos, "query has more than %d prefixes (word*)",
                    BL_QUERY_MAX_PREFIXES);
    return 0;
}

/* A WORD or PHRASE token: TERM, PHRASE or nothing (*out = NULL). */
static int word_leaf(parser *p, bl_qnode **out)
{
    termlist t = {0};
    int rc = analyse(p, p->tok.start, p->tok.end, 0, &t);

    *out = NULL;
    if (rc == 0)
        rc = count_leaf(p, t.n, 0);
    if (rc < 0 || t.n == 0) {
        terms_release(&t);
        return rc;
    }
    return leaf_from_terms(&t, t.n == 1 ? BL_Q_TERM : BL_Q_PHRASE,
                           p->tok.pos, out);
}

/* The first '*' in the query's bytes [from, to), or NULL. */
static const char *find_star(const parser *p, size_t from, size_t to)
{
    return memchr(p->q + from, '*', to - from);
}

/* Checks the '*'s of the phrase in p->tok against its analysis t: there
 * must be one, right after the last token, with only blanks after it. */
static int check_phrase_star(parser *p, const termlist *t, size_t star)
{
    size_t start = p->tok.start, end = p->tok.end;
    int ok = t->n > 0 && start + t->last_end == star;
    for (size_t i = star + 1; ok && i < end; i++)
        ok = is_space(p->q[i]);
    if (ok)
        return 0;
    /* The caret goes under the first '*' that is not right after the last
     * word (else under the only one, which something follows). */
    size_t bad = star;
    if (t->n > 0 && start + t->last_end == star) {
        const char *next = find_star(p, star + 1, end);
        if (next)
            bad = (size_t)(next - p->q);
    }
    return qerr(p, bad, "in a phrase, '*' may only end the last word");
}

/* The prefix word of a phrase or PREFIX token, once analysed into t (its
 * last term stemmed): the word normalised, then its stem when that differs
 * (the dictionary holds stems, so "stories*" must also find "stori"). The
 * stem goes into *stem (owned, or NULL). */
static int split_prefix(termlist *t, char **stem)
{
    char *last = t->terms[t->n - 1];
    *stem = NULL;
    if (strcmp(last, t->last_norm) != 0) {
        size_t len = strlen(t->last_norm);
        char *norm = malloc(len + 1);
        if (!norm)
            return BL_ENOMEM;
        memcpy(norm, t->last_norm, len + 1);
        *stem = last;
        t->terms[t->n - 1] = norm;
    }
    return 0;
}

/* A PHRASE token: as word_leaf, unless a '*' ends its last word: then a
 * PHRASE with prefix_last, or a PREFIX for a one-word phrase. */
static int phrase_leaf(parser *p, bl_qnode **out)
{
    const char *star = find_star(p, p->tok.start, p->tok.end);
    termlist t = {0};
    char *stem = NULL;
    int rc;

    *out = NULL;
    if (!star)
        return word_leaf(p, out);
    if ((rc = analyse(p, p->tok.start, p->tok.end, 0, &t)) == 0 &&
        (rc = check_phrase_star(p, &t, (size_t)(star - p->q))) == 0 &&
        (rc = count_leaf(p, t.n, 1)) == 0)
        rc = split_prefix(&t, &stem);
    int single = t.n == 1;
    if (rc == 0 && single && stem) {
        rc = terms_push(&t, stem, strlen(stem), 0);
        free(stem);
        stem = NULL;
    }
    if (rc < 0) {
        terms_release(&t);
        free(stem);
        return rc;
    }
    if (single)
        return leaf_from_terms(&t, BL_Q_PREFIX, p->tok.pos, out);
    if ((rc = leaf_from_terms(&t, BL_Q_PHRASE, p->tok.pos, out)) < 0) {
        free(stem);
        return rc;
    }
    (*out)->prefix_last = 1;
    (*out)->last_stem = stem;
    return 0;
}

/* A PREFIX token: exactly one token, kept unstemmed, plus its stem when
 * that differs: the dictionary holds stems, so "stories*" must also look
 * for terms starting with "stori". */
static int prefix_leaf(parser *p, bl_qnode **out)
{
    termlist t = {0}, stem = {0};
    int rc = analyse(p, p->tok.start, p->tok.end, 1, &t);

    *out = NULL;
    if (rc == 0 && t.n > 1) {
        /* "white-hou*": a hyphenated word is a phrase, so this is a phrase
         * ending in a prefix, as "white hou*" in quotes. The token ends
         * before its '*'; the phrase's text takes it in. */
        terms_release(&t);
        p->tok.end++;
        return phrase_leaf(p, out);
    }
    if (rc == 0 && t.n == 0)
        rc = qerr(p, p->tok.pos, "prefix needs a word before '*'");
    else if (rc == 0 && t.n > 1)
        rc = qerr(p, p->tok.pos, "prefix must be a single word");
    if (rc == 0)
        rc = count_leaf(p, 1, 1);
    if (rc == 0)
        rc = analyse(p, p->tok.start, p->tok.end, 0, &stem);
    if (rc == 0 && stem.n == 1 && strcmp(stem.terms[0], t.terms[0]) != 0)
        rc = terms_push(&t, stem.terms[0], strlen(stem.terms[0]), 0);
    terms_release(&stem);
    if (rc < 0) {
        terms_release(&t);
        return rc;
    }
    return leaf_from_terms(&t, BL_Q_PREFIX, p->tok.pos, out);
}

/* ---- parser ----------------------------------------------------------- */

static int parse_or(parser *p, bl_qnode **out);

/* "(" or ")" with p->tok at the "(". */
static int parse_group(parser *p, bl_qnode **out)
{
    size_t open = p->tok.pos;
    int rc;

    *out = NULL;
    if (++p->depth > BL_QUERY_MAX_DEPTH)
        return qerr(p, open, "parentheses nest deeper than %d levels",
                    BL_QUERY_MAX_DEPTH);
    if ((rc = advance(p)) < 0)
        return rc;
    if (p->tok.kind == T_RPAREN)
        return qerr(p, open, "empty group '()'");
    if (p->tok.kind != T_END && (rc = parse_or(p, out)) < 0)
        return rc;
    /* parse_or stops only at ')' or at the end of the query. */
    if (p->tok.kind != T_RPAREN) {
        bl_qnode_free(*out);
        *out = NULL;
        return qerr(p, open, "missing closing parenthesis");
    }
    p->depth--;
    if ((rc = advance(p)) < 0) {
        bl_qnode_free(*out);
        *out = NULL;
    }
    return rc;
}

static int parse_primary(parser *p, bl_qnode **out)
{
    int rc;

    *out = NULL;
    switch (p->tok.kind) {
    case T_LPAREN:
        return parse_group(p, out);
    case T_WORD:
    case T_PHRASE:
    case T_PREFIX:
        rc = p->tok.kind == T_PREFIX ? prefix_leaf(p, out)
             : p->tok.kind == T_PHRASE ? phrase_leaf(p, out)
                                       : word_leaf(p, out);
        if (rc == 0 && (rc = advance(p)) < 0) {
            bl_qnode_free(*out);
            *out = NULL;
        }
        return rc;
    case T_RPAREN:
        return qerr(p, p->tok.pos, "unexpected ')'");
    case T_AND:
    case T_OR:
        return qerr(p, p->tok.pos, "%s needs a term on its left",
                    op_name(p->tok.kind));
    default: /* the callers make sure a primary follows; kept for safety */
        return qerr(p, p->tok.pos, "a term is missing here");
    }
}

/* unary := "NOT" unary | "-" primary | primary, with the NOT chain read in
 * a loop so that "NOT NOT NOT ..." cannot exhaust the stack. */
static int parse_unary(parser *p, bl_qnode **out)
{
    size_t pos = p->tok.pos;
    int neg = 0, rc;
    bl_qnode *n;

    *out = NULL;
    while (p->tok.kind == T_NOT) {
        neg ^= 1;
        if ((rc = skip_operator(p)) < 0)
            return rc;
    }
    if (p->tok.kind == T_MINUS) {
        neg ^= 1;
        if ((rc = advance(p)) < 0)
            return rc;
    }
    if ((rc = parse_primary(p, &n)) < 0)
        return rc;
    if (!neg) {
        *out = n;
        return 0;
    }
    return make_not(n, pos, out);
}

static int parse_and(parser *p, bl_qnode **out)
{
    kidlist kids = {0};
    bl_qnode *n;
    int rc;

    for (;;) {
        if ((rc = parse_unary(p, &n)) < 0 ||
            (rc = kids_push(&kids, n, BL_Q_AND)) < 0)
            goto fail;
        if (p->tok.kind == T_AND) {
            if ((rc = skip_operator(p)) < 0)
                goto fail;
        } else if (p->any || !starts_unary(p->tok.kind)) {
            break;
        }
    }
    return kids_build(&kids, BL_Q_AND, out);
fail:
    kids_release(&kids);
    *out = NULL;
    return rc;
}

/* With opts.any, "-x" beside other words still excludes x (rather than
 * adding "every document without x" to the union): the NOT kids of the OR
 * that were not written next to an explicit "OR" (explicit[i] == 0) become
 * exclusions of an AND around the OR of the others. "a OR -b" keeps its
 * boolean meaning. */
static int build_any_or(kidlist *kids, const uint8_t *explicit, bl_qnode **out)
{
    kidlist pos = {0}, and = {0};
    bl_qnode *either = NULL;
    int rc = 0;

    *out = NULL;
    for (size_t i = 0; i < kids->n; i++) {
        bl_qnode *k = kids->v[i];
        if (rc == 0)
            rc = k->kind == BL_Q_NOT && !explicit[i] ? kids_push(&and, k, BL_Q_AND)
                                                     : kids_push(&pos, k, BL_Q_OR);
        else
            bl_qnode_free(k);
    }
    free(kids->v);
    *kids = (kidlist){0};
    if (rc == 0)
        rc = kids_build(&pos, BL_Q_OR, &either);
    if (rc == 0 && and.n == 0) {
        *out = either;
        return 0;
    }
    /* The OR goes first, then the exclusions; an AND in its place (the only
     * positive kid was "a AND b") is flattened into the new AND. */
    if (rc == 0 && either) {
        kidlist res = {0};
        rc = kids_push(&res, either, BL_Q_AND);
        either = NULL;
        if (rc == 0 && (rc = kids_reserve(&res, and.n)) == 0) {
            memcpy(res.v + res.n, and.v, and.n * sizeof *and.v);
            res.n += and.n;
            free(and.v);
            and = res;
        } else {
            kids_release(&res);
        }
    }
    if (rc == 0)
        return kids_build(&and, BL_Q_AND, out);
    bl_qnode_free(either);
    kids_release(&pos);
    kids_release(&and);
    return rc;
}

/* Per kid of an OR being built under opts.any: was it written beside an
 * explicit "OR" (or does it come from a group's OR, already shaped)? */
typedef struct {
    uint8_t *v;
    size_t cap;
} flags;

static int flags_set(flags *f, size_t from, size_t to, uint8_t value)
{
    if (to > f->cap) {
        size_t cap = f->cap ? f->cap : 8;
        while (cap < to)
            cap *= 2;
        uint8_t *v = realloc(f->v, cap);
        if (!v)
            return BL_ENOMEM;
        f->v = v;
        f->cap = cap;
    }
    for (size_t i = from; i < to; i++)
        f->v[i] = value;
    return 0;
}

static int parse_or(parser *p, bl_qnode **out)
{
    kidlist kids = {0};
    flags explicit = {0};
    bl_qnode *n;
    int rc, after_or = 0;

    for (;;) {
        size_t before = kids.n;
        if ((rc = parse_and(p, &n)) < 0)
            goto fail;
        int from_or = n && n->kind == BL_Q_OR; /* a group's OR, flattened in */
        if ((rc = kids_push(&kids, n, BL_Q_OR)) < 0 ||
            (rc = flags_set(&explicit, before, kids.n, (uint8_t)(after_or || from_or))) < 0)
            goto fail;
        after_or = p->tok.kind == T_OR;
        if (after_or) {
            /* "x OR y": x is beside an explicit OR too. */
            if (kids.n > before && (rc = flags_set(&explicit, kids.n - 1, kids.n, 1)) < 0)
                goto fail;
            if ((rc = skip_operator(p)) < 0)
                goto fail;
        } else if (!p->any || !starts_unary(p->tok.kind)) {
            break;
        }
    }
    if (p->any)
        rc = build_any_or(&kids, explicit.v, out);
    else
        rc = kids_build(&kids, BL_Q_OR, out);
    free(explicit.v);
    return rc;
fail:
    kids_release(&kids);
    free(explicit.v);
    *out = NULL;
    return rc;
}

int bl_query_parse(const char *query, bl_analyzer *a, const bl_query_opts *opts,
                   bl_qnode **out, size_t *err_pos)
{
    parser p = {.q = query, .a = a, .any = opts ? opts->any : 0};
    bl_qnode *root = NULL;
    int rc;

    if (err_pos)
        *err_pos = 0;
    if (!out)
        return bl_error_set(BL_EINVAL, "bl_query_parse: out is NULL");
    *out = NULL;
    if (!query || !a)
        return bl_error_set(BL_EINVAL, "bl_query_parse: query or analyzer is NULL");
    /* strnlen: a huge query is refused without reading all of it. */
    p.len = strnlen(query, (size_t)BL_QUERY_MAX_BYTES + 1);
    if (p.len > BL_QUERY_MAX_BYTES) {
        rc = qerr(&p, BL_QUERY_MAX_BYTES, "query longer than %d bytes", BL_QUERY_MAX_BYTES);
        goto fail;
    }
    if ((rc = advance(&p)) < 0)
        goto fail;
    if (p.tok.kind == T_END) {
        rc = qerr(&p, 0, "empty query");
        goto fail;
    }
    if ((rc = parse_or(&p, &root)) < 0)
        goto fail;
    if (p.tok.kind == T_RPAREN)
        rc = qerr(&p, p.tok.pos, "unexpected ')'");
    else if (!root)
        rc = qerr(&p, 0, "query has no searchable words");
    if (rc < 0)
        goto fail;
    *out = root;
    return 0;
fail:
    bl_qnode_free(root);
    if (err_pos && rc == BL_EQUERY)
        *err_pos = p.err_pos;
    return rc;
}

/* ---- describe --------------------------------------------------------- */

/* An snprintf-like sink: counts every byte, stores what fits. */
typedef struct {
    char *buf;
    size_t cap, len;
} writer;

static void put(writer *w, const char *s, size_t n)
{
    if (w->cap > 0 && w->len < w->cap - 1) {
        size_t room = w->cap - 1 - w->len;
        memcpy(w->buf + w->len, s, n < room ? n : room);
    }
    w->len += n;
}

static void puts_(writer *w, const char *s) { put(w, s, strlen(s)); }

static void describe_phrase(writer *w, const bl_qnode *n)
{
    char at[16];

    puts_(w, "(PHRASE");
    for (size_t i = 0; i < n->nterms; i++) {
        int prefix = n->prefix_last && i + 1 == n->nterms;
        puts_(w, prefix ? " (PREFIX " : " ");
        puts_(w, n->terms[i]);
        if (prefix && n->last_stem) {
            puts_(w, " ");
            puts_(w, n->last_stem);
        }
        puts_(w, prefix ? ")" : "");
        if (i > 0 && n->positions[i] != n->positions[i - 1] + 1) {
            snprintf(at, sizeof at, "@%u", (unsigned)n->positions[i]);
            puts_(w, at);
        }
    }
    puts_(w, ")");
}

static void describe(writer *w, const bl_qnode *n)
{
    static const char *const open[] = {
        [BL_Q_AND] = "(AND", [BL_Q_OR] = "(OR", [BL_Q_NOT] = "(NOT",
        [BL_Q_PREFIX] = "(PREFIX ",
    };

    switch (n->kind) {
    case BL_Q_TERM:
        puts_(w, n->nterms ? n->terms[0] : "");
        return;
    case BL_Q_PHRASE:
        describe_phrase(w, n);
        return;
    case BL_Q_PREFIX:
        puts_(w, open[n->kind]);
        for (size_t i = 0; i < n->nterms; i++) {
            puts_(w, i ? " " : "");
            puts_(w, n->terms[i]);
        }
        puts_(w, ")");
        return;
    case BL_Q_AND:
    case BL_Q_OR:
    case BL_Q_NOT:
        puts_(w, open[n->kind]);
        for (size_t i = 0; i < n->nkids; i++) {
            puts_(w, " ");
            describe(w, n->kids[i]);
        }
        puts_(w, ")");
        return;
    }
}

size_t bl_qnode_describe(const bl_qnode *n, char *buf, size_t cap)
{
    writer w = {buf, cap, 0};

    if (n)
        describe(&w, n);
    if (cap > 0)
        buf[w.len < cap ? w.len : cap - 1] = '\0';
    return w.len;
}
