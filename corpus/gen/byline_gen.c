/* byline_gen.c: bin/byline-gen writes a synthetic news corpus of any size as
 * JSON lines, for benchmarks and scale tests.
 *
 * Words are drawn from a Zipf distribution (exponent about 1, like word
 * frequencies in real text) over a vocabulary of pronounceable made-up
 * words, so posting-list lengths follow the same shape as in real news.
 * With --like PATH, sentences are drawn instead from a word chain learnt
 * from the articles at PATH (model.h), so the text has their vocabulary,
 * word frequencies and two-word phrases; one word in 50 is still a made-up
 * one (the names and rare words a real archive keeps adding as it grows),
 * and one in 30 is drawn regardless of the word before it (phrases the
 * corpus never had).
 * Everything is a function of --seed (and the files at PATH): the same
 * arguments give the same bytes on every machine.
 */
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

/* With --like: the share of words made up, and of words drawn whatever
 * the word before them (see above). */
#define NOVEL_SHARE (1.0 / 50)
#define FREE_SHARE (1.0 / 30)

typedef struct {
    uint64_t s;
} rng;

static uint64_t next(rng *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 0x2545f4914f6cdd1dull;
}

static double uniform(rng *r) { return (double)(next(r) >> 11) / 9007199254740992.0; }

/* A pronounceable word for rank i: alternating consonants and vowels,
 * longer for rarer words, as in natural language. */
static void make_word(uint32_t i, char *out)
{
    static const char cons[] = "bcdfghklmnprstvwz", vow[] = "aeiou";
    uint32_t syll = 1 + (i > 30) + (i > 800) + (i > 20000);
    uint64_t x = (uint64_t)i * 2654435761u + 12345;
    size_t n = 0;
    for (uint32_t k = 0; k < syll; k++) {
        out[n++] = cons[x % 17];
        x /= 17;
        out[n++] = vow[x % 5];
        x /= 5;
        if (x % 3 == 0)
            out[n++] = cons[(x / 3) % 17];
        x = x / 3 + (uint64_t)i * 40503u + k;
    }
    out[n] = 0;
}

typedef struct {
    double *cdf;
    uint32_t n;
} zipf;

static int zipf_init(zipf *z, uint32_t n, double s)
{
    z->cdf = malloc(n * sizeof *z->cdf);
    if (!z->cdf)
        return -1;
    z->n = n;
    double sum = 0;
    for (uint32_t i = 0; i < n; i++)
        z->cdf[i] = sum += 1.0 / pow(i + 1.0, s);
    for (uint32_t i = 0; i < n; i++)
        z->cdf[i] /= sum;
    return 0;
}

static uint32_t zipf_draw(const zipf *z, rng *r)
{
    double u = uniform(r);
    uint32_t lo = 0, hi = z->n - 1;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (z->cdf[mid] < u)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void usage(FILE *f)
{
    fputs("usage: byline-gen [--articles N] [--bytes SIZE] [--words N] [--vocab N] [--seed S]\n"
          "                  [--like PATH]\n"
          "Writes N synthetic articles (default 10000) of about --words words\n"
          "(default 300) as JSON lines on stdout: id, title, date, body.\n"
          "--like PATH learns words, their frequencies and which word follows which\n"
          "from the files at PATH (e.g. Reuters-21578's .sgm files) and writes\n"
          "sentences like theirs.\n"
          "--bytes SIZE (K, M or G: 2^10, 2^20, 2^30; e.g. 10G) stops after the\n"
          "article that reaches SIZE bytes (then --articles, if given, is a limit too).\n",
          f);
}

/* "10G", "500M", "64K" or a plain number of bytes; 0 on a malformed size. */
static uint64_t parse_size(const char *s)
{
    char *end;
    unsigned long long n = strtoull(s, &end, 10);
    if (end == s || s[0] == '-')
        return 0;
    int shift = 0;
    if (*end == 'K' || *end == 'k')
        shift = 10, end++;
    else if (*end == 'M' || *end == 'm')
        shift = 20, end++;
    else if (*end == 'G' || *end == 'g')
        shift = 30, end++;
    if (*end || n > (UINT64_MAX >> shift))
        return 0;
    return (uint64_t)n << shift;
}

/* What a run draws words from. */
typedef struct {
    rng r;
    zipf z;
    char (*dict)[40];
    const gen_model *model; /* NULL: Zipf over dict only */
} source;

/* s to stdout, adding its length to *bytes. */
static void out(uint64_t *bytes, const char *s)
{
    size_t n = strlen(s);
    fwrite(s, 1, n, stdout);
    *bytes += n;
}

/* printf to stdout, adding what it wrote to *bytes. */
__attribute__((format(printf, 2, 3))) static void put(uint64_t *bytes, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vprintf(fmt, ap);
    va_end(ap);
    if (n > 0)
        *bytes += (uint64_t)n;
}

/* Writes a sentence of at most max words drawn from the model (at least
 * one); returns the words written. */
static uint32_t model_sentence(source *src, uint32_t max, uint64_t *bytes)
{
    uint32_t n = 0, prev = GEN_BOUNDARY;
    while (n < max) {
        double u = uniform(&src->r);
        const char *w;
        if (u < NOVEL_SHARE) {
            w = src->dict[zipf_draw(&src->z, &src->r)];
        } else {
            uint32_t id = u < NOVEL_SHARE + FREE_SHARE
                              ? gen_model_any(src->model, uniform(&src->r))
                              : gen_model_next(src->model, prev, uniform(&src->r));
            if (id == GEN_BOUNDARY) {
                if (n)
                    break;
                continue;
            }
            prev = id;
            w = gen_model_word(src->model, id);
        }
        if (n++)
            out(bytes, " ");
        out(bytes, w);
    }
    return n;
}

int main(int argc, char **argv)
{
    uint64_t articles = 10000, seed = 1, max_bytes = 0;
    int articles_given = 0;
    uint32_t words = 300, vocab = 200000;
    const char *like = NULL;
    static const struct option longs[] = {
        {"articles", required_argument, 0, 'n'}, {"words", required_argument, 0, 'w'},
        {"vocab", required_argument, 0, 'v'},    {"seed", required_argument, 0, 's'},
        {"bytes", required_argument, 0, 'b'},    {"help", no_argument, 0, 'h'},
        {"like", required_argument, 0, 'l'},
        {0, 0, 0, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "n:w:v:s:b:l:h", longs, NULL)) != -1) {
        switch (c) {
        case 'n': articles = strtoull(optarg, NULL, 10); articles_given = 1; break;
        case 'b':
            if ((max_bytes = parse_size(optarg)) == 0) {
                fprintf(stderr, "byline-gen: --bytes wants a size such as 1000000, 64K, 500M "
                        "or 10G\n");
                return 2;
            }
            break;
        case 'w': words = (uint32_t)strtoul(optarg, NULL, 10); break;
        case 'v': vocab = (uint32_t)strtoul(optarg, NULL, 10); break;
        case 's': seed = strtoull(optarg, NULL, 10); break;
        case 'l': like = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (vocab < 10 || words < 1) {
        fprintf(stderr, "byline-gen: --vocab must be >= 10 and --words >= 1\n");
        return 2;
    }
    source src = {.r = {seed * 0x9e3779b97f4a7c15ull + 1}};
    src.dict = malloc((size_t)vocab * sizeof *src.dict);
    if (!src.dict || zipf_init(&src.z, vocab, 1.0) != 0) {
        fprintf(stderr, "byline-gen: out of memory\n");
        return 1;
    }
    for (uint32_t i = 0; i < vocab; i++)
        make_word(i, src.dict[i]);
    gen_model *model = NULL;
    if (like && !(src.model = model = gen_model_learn(like)))
        return 1;
    if (max_bytes && !articles_given)
        articles = UINT64_MAX;
    rng *r = &src.r;
    uint64_t bytes = 0;
    for (uint64_t a = 0; a < articles && (!max_bytes || bytes < max_bytes); a++) {
        uint32_t nw = words / 2 + (uint32_t)(next(r) % (words + 1));
        put(&bytes, "{\"id\":\"gen-%llu\",\"date\":\"20%02u-%02u-%02u\",\"title\":\"",
            (unsigned long long)a, (unsigned)(next(r) % 26), (unsigned)(1 + next(r) % 12),
            (unsigned)(1 + next(r) % 28));
        uint32_t tw = 4 + (uint32_t)(next(r) % 8);
        if (model) {
            model_sentence(&src, tw, &bytes);
            out(&bytes, "\",\"body\":\"");
            for (uint32_t k = 0; k < nw;) {
                k += model_sentence(&src, nw - k, &bytes);
                out(&bytes, ". ");
            }
        } else {
            for (uint32_t k = 0; k < tw; k++) {
                if (k)
                    out(&bytes, " ");
                out(&bytes, src.dict[zipf_draw(&src.z, r)]);
            }
            out(&bytes, "\",\"body\":\"");
            for (uint32_t k = 0; k < nw; k++) {
                out(&bytes, src.dict[zipf_draw(&src.z, r)]);
                /* Sentences of about 20 words. */
                out(&bytes, next(r) % 20 == 0 ? ". " : " ");
            }
        }
        out(&bytes, "\"}\n");
        if (ferror(stdout))
            break;
    }
    gen_model_free(model);
    free(src.z.cdf);
    free(src.dict);
    return fflush(stdout) == 0 ? 0 : 1;
}
