/* test_crash.c: SIGKILL at any moment never breaks an index. Writers are
 * killed at random points while indexing (and merging after their commit),
 * deleting and optimizing; after each kill `byline check` must find the
 * index whole, holding exactly the articles of the last commit that
 * completed: the one before the killed run, or the killed run's own when
 * its manifest rename came first. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"

static char *tmp, *out, *err;

static void teardown(void) { bl_test_scratch_release(&tmp, &out, &err); }

#define run(...) bl_test_byline_f(&out, &err, __VA_ARGS__)

TestSuite(crash, .fini = teardown, .timeout = 600);

enum { N = 1200, PART = 60 };

static const char *vocab[] = {"oil", "bank", "rate", "market", "said", "share", "price", "gold"};

/* Writes articles [from, to) as JSONL: each holds "every" and its own
 * token "u<i>", so a count tells which articles an index holds. */
static void write_part(const char *path, size_t from, size_t to, bl_rng *r)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    for (size_t i = from; i < to; i++) {
        fprintf(f, "{\"id\":\"a%zu\",\"title\":\"every u%zu\",\"text\":\"", i, i);
        size_t len = 20 + bl_rng_below(r, 200);
        for (size_t k = 0; k < len; k++)
            fprintf(f, "%s ", vocab[bl_rng_below(r, 8)]);
        fputs("the end\"}\n", f);
    }
    cr_assert_eq(fclose(f), 0);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs byline with args (NULL-terminated) and kills it with SIGKILL after
 * delay seconds unless it ended first. Returns 1 if it was killed, 0 if it
 * exited with status 0 (fails the test on another status). *took gets the
 * time it ran. */
static int run_killed(char *const *args, double delay, double *took)
{
    double start = now();
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
        execv(bl_test_byline(), args);
        _exit(127);
    }
    int status = 0;
    pid_t got = 0;
    while ((got = waitpid(pid, &status, WNOHANG)) == 0 && now() - start < delay)
        usleep(200);
    if (got == 0) {
        kill(pid, SIGKILL);
        cr_assert_eq(waitpid(pid, &status, 0), pid);
    }
    *took = now() - start;
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        return 1;
    cr_assert(WIFEXITED(status), "byline %s: status %d", args[1], status);
    /* delete exits 1 when an id is missing: not here, every id is live */
    cr_assert_eq(WEXITSTATUS(status), 0, "byline %s exited %d", args[1], WEXITSTATUS(status));
    return 0;
}

/* Checks the index whole; *gen gets its generation, *total the articles
 * it holds and *held how many of those marked it holds (by their own
 * tokens). */
static void count_held(const char *idx, const unsigned char *mark, uint64_t *gen, size_t *held,
                       size_t *total)
{
    cr_assert_eq(run("check -i '%s'", idx), 0, "not whole after a kill: %s%s", out, err);
    const char *g = strstr(out, "generation ");
    cr_assert_not_null(g, "%s", out);
    *gen = strtoull(g + 11, NULL, 10);
    int rc = run("search -i '%s' --count every", idx);
    cr_assert(rc == 0 || rc == 1, "%s", err); /* 1: none (an empty first commit) */
    *total = strtoull(out, NULL, 10);
    /* the articles the last operation touched, one query */
    size_t cap = 16, len = 0;
    char *q = malloc(cap);
    q[0] = 0;
    for (size_t i = 0; i < N; i++) {
        if (!mark[i])
            continue;
        char w[32];
        int n = snprintf(w, sizeof w, "%su%zu", len ? " OR " : "", i);
        while (len + (size_t)n + 1 > cap)
            q = realloc(q, cap *= 2);
        memcpy(q + len, w, (size_t)n + 1);
        len += (size_t)n;
    }
    *held = 0;
    if (len) {
        rc = run("search -i '%s' --count '%s'", idx, q);
        cr_assert(rc == 0 || rc == 1, "%s", err);
        *held = strtoull(out, NULL, 10);
    }
    free(q);
}

Test(crash, sigkill_never_breaks_an_index)
{
    tmp = bl_test_tmpdir();
    bl_rng r;
    bl_rng_init(&r, bl_test_seed("sigkill_never_breaks_an_index"));
    char idx[512], path[512], list[512];
    snprintf(idx, sizeof idx, "%s/idx", tmp);
    snprintf(list, sizeof list, "%s/dels.txt", tmp);
    unsigned char in[N] = {0}, mark[N];
    size_t live = 0, next = 0, part = 0;
    uint64_t gen = 0;
    /* kills[op][k]: op 0 index, 1 delete, 2 optimize; k 0 before the
     * commit, 1 after it (the killed run's change is there), 2 ran to the
     * end */
    unsigned kills[3][3] = {{0}};
    /* each operation's usual time (a moving average of the runs that
     * ended): a kill lands at a uniform point of it */
    double typical[3] = {0.05, 0.05, 0.05};
    unsigned total_kills = 0;
    static const char *names[] = {"index (and its merges)", "delete", "optimize"};
    for (int round = 0; round < 600 && total_kills < 60; round++) {
        int op = next + PART > N ? 1 + (int)bl_rng_below(&r, 2)
                 : live < 100 ? 0 : (int)bl_rng_below(&r, 3);
        memset(mark, 0, sizeof mark);
        size_t before = live, after = live, expect_old = 0, expect_new = 0;
        char *args[16];
        int na = 0;
        args[na++] = (char *)"byline";
        if (op == 0) {
            snprintf(path, sizeof path, "%s/part%zu.jsonl", tmp, part++);
            write_part(path, next, next + PART, &r);
            for (size_t i = next; i < next + PART; i++)
                mark[i] = 1;
            expect_new = PART;
            after = live + PART;
            args[na++] = (char *)"index";
            args[na++] = (char *)"-q";
            args[na++] = (char *)"-j";
            args[na++] = (char *)"1";
            args[na++] = (char *)"--merge-factor";
            args[na++] = (char *)"2";
            args[na++] = (char *)"-o";
            args[na++] = idx;
            args[na++] = path;
        } else if (op == 1) {
            FILE *f = fopen(list, "w");
            for (size_t k = 0; k < 8 && live - k > 0; k++) {
                size_t i = bl_rng_below(&r, (uint32_t)next);
                if (!in[i] || mark[i])
                    continue;
                mark[i] = 1;
                fprintf(f, "a%zu\n", i);
                expect_old++;
            }
            fclose(f);
            after = live - expect_old;
            args[na++] = (char *)"delete";
            args[na++] = (char *)"-q";
            args[na++] = (char *)"-i";
            args[na++] = idx;
            args[na++] = (char *)"--delete-from";
            args[na++] = list;
        } else {
            args[na++] = (char *)"optimize";
            args[na++] = (char *)"-q";
            args[na++] = (char *)"-i";
            args[na++] = idx;
        }
        args[na] = NULL;
        double delay = (double)bl_rng_below(&r, 1000) / 1000.0 * typical[op], took;
        int killed = run_killed(args, delay, &took);
        if (!killed)
            typical[op] = 0.7 * typical[op] + 0.3 * took;
        total_kills += (unsigned)killed;
        if (part == 1 && op == 0 && killed) {
            /* a first run killed may leave no index at all: that is its
             * old state */
            char m[600];
            snprintf(m, sizeof m, "%s/MANIFEST", idx);
            if (access(m, F_OK) != 0) {
                kills[0][0]++;
                part = 0; /* write the same part again */
                continue;
            }
        }
        size_t held, total;
        uint64_t gen_now;
        count_held(idx, mark, &gen_now, &held, &total);
        /* committed (the generation moved on: its manifest is in place) or
         * not, the index holds exactly the articles of that commit */
        int now_new = gen_now > gen;
        if (now_new)
            cr_assert(total == after && held == (op == 0 ? expect_new : 0),
                      "round %d, %s %s and committed: the index holds %zu articles (%zu of "
                      "those the run touched), not %zu", round, names[op],
                      killed ? "killed" : "done", total, held, after);
        else
            cr_assert(total == before && held == (op == 0 ? 0 : expect_old),
                      "round %d, %s killed before its commit: the index holds %zu articles "
                      "(%zu of those the run touched), not %zu", round, names[op], total, held,
                      before);
        gen = gen_now;
        /* (a delete with no id to delete commits nothing) */
        cr_assert(killed || now_new || before == after,
                  "round %d: %s ran to the end but committed nothing", round, names[op]);
        kills[op][killed ? now_new : 2]++;
        if (now_new) {
            for (size_t i = 0; i < N; i++)
                if (mark[i])
                    in[i] = op == 0;
            live = after;
            if (op == 0)
                next += PART;
        } else if (op == 0) {
            part--; /* the part goes in again next time */
        }
    }
    fprintf(stderr, "crash.sigkill_never_breaks_an_index: after each kill the index was whole "
            "and held the articles of one commit:\n");
    for (int op = 0; op < 3; op++)
        fprintf(stderr, "  %-24s killed before its commit %u, after it %u; ran to the end %u\n",
                names[op], kills[op][0], kills[op][1], kills[op][2]);
    cr_assert(total_kills >= 60, "only %u runs were killed", total_kills);
    cr_assert_eq(run("check -i '%s'", idx), 0, "%s", out);
}
