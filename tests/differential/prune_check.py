#!/usr/bin/env python3
"""prune_check.py: pruned search against exhaustive search, on real words.

Pruning (block-max bounds, MaxScore, the division-free test, pair lists
standing in for phrases) must never change a top k: the documents and their
scores must be those of `byline search --exhaustive`. Random synthetic text
rarely has the word statistics where a wrong bound shows (words that mostly
come together, copies of one article tying at the edge of the top k), so
this draws queries from a real corpus: its frequent words, bigrams and
prefixes, joined by OR, AND, NOT and parentheses. Both runs go through the
command line; each query's JSON lines are compared without timings and hit
totals (a pruned total may be a lower bound). Exit 1 and the first
differences when any query differs. Never part of `make check`: it needs an
index and a corpus of some size (`make prune-check`).
"""
import argparse
import collections
import os
import random
import re
import subprocess
import sys
import tempfile

STRIP = re.compile(r'"elapsed_ms":[0-9.eE+-]*|"hits":[0-9]+,"hits_relation":"[a-z]+"')


def vocabulary(corpus, max_bytes):
    """Frequent words and bigrams of the first max_bytes of corpus."""
    words, bigrams = collections.Counter(), collections.Counter()
    with open(corpus, "rb") as f:
        text = f.read(max_bytes).decode("utf-8", "replace").lower()
    for line in text.splitlines():
        toks = re.findall(r"[a-z]+", line)
        words.update(toks)
        bigrams.update(zip(toks, toks[1:]))
    w = [t for t, _ in words.most_common(4000) if len(t) > 1]
    b = [" ".join(p) for p, _ in bigrams.most_common(3000)]
    if len(w) < 50 or len(b) < 50:
        sys.exit("prune_check: %s has too few words to draw queries from" % corpus)
    return w, b


def make_queries(rng, words, bigrams, n):
    def atom():
        r = rng.random()
        if r < 0.30:  # a phrase of a common bigram (often a pair list)
            return '"%s"' % rng.choice(bigrams[:300] if rng.random() < 0.5 else bigrams)
        if r < 0.35:  # three words
            return '"%s %s"' % (rng.choice(bigrams).split()[0], rng.choice(bigrams))
        if r < 0.45:  # a prefix
            w = rng.choice(words[:1000])
            return w[: rng.randint(2, min(5, len(w)))] + "*"
        return rng.choice(words[:100] if rng.random() < 0.4 else words)

    queries = []
    for _ in range(n):
        parts = [atom() for _ in range(rng.randint(1, 4))]
        q = parts[0]
        for p in parts[1:]:
            q += rng.choice([" OR ", " ", " OR ", " -", " AND "]) + p
        if rng.random() < 0.15:
            q = "(%s) %s" % (q, atom())
        queries.append(q)
    return queries


def answers(byline, index, qfile, k, exhaustive):
    cmd = [byline, "search", "-i", index, "-k", str(k), "--json", "--snippet-words", "4"]
    if exhaustive:
        cmd.append("--exhaustive")
    cmd += ["--queries", qfile]
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=False)
    if out.returncode > 1:
        sys.exit("prune_check: %s exited %d" % (" ".join(cmd), out.returncode))
    # one record per query: its hits, then its summary line (put first)
    records, hits = [], []
    for line in out.stdout.decode("utf-8", "replace").splitlines():
        line = STRIP.sub("", line)
        if line.startswith('{"query"'):
            records.append([line] + hits)
            hits = []
        else:
            hits.append(line)
    return records


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--index", required=True, help="the index to search")
    ap.add_argument("--corpus", required=True, help="a text or JSONL file to draw words from")
    ap.add_argument("--byline", default=os.path.join(here, "../../bin/byline"))
    ap.add_argument("--queries", type=int, default=2000, help="queries per seed")
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--k", default="1,10,50", help="top k values to try")
    ap.add_argument("--bytes", type=int, default=30 << 20, help="corpus bytes to read")
    a = ap.parse_args()
    words, bigrams = vocabulary(a.corpus, a.bytes)
    differing = total = 0
    with tempfile.TemporaryDirectory() as tmp:
        qfile = os.path.join(tmp, "queries.txt")
        for seed in [int(s) for s in a.seeds.split(",")]:
            queries = make_queries(random.Random(seed), words, bigrams, a.queries)
            with open(qfile, "w") as f:
                f.write("\n".join(queries) + "\n")
            for k in [int(x) for x in a.k.split(",")]:
                pruned = answers(a.byline, a.index, qfile, k, False)
                full = answers(a.byline, a.index, qfile, k, True)
                if len(pruned) != len(full):
                    sys.exit("prune_check: %d records pruned, %d exhaustive" %
                             (len(pruned), len(full)))
                for p, e in zip(pruned, full):
                    total += 1
                    if p != e:
                        differing += 1
                        if differing <= 3:
                            print("seed %d, k %d: %s" % (seed, k, p[0]))
                            for x, y in zip(p[1:], e[1:]):
                                if x != y:
                                    print("  pruned:     " + x[:160])
                                    print("  exhaustive: " + y[:160])
                                    break
    print("prune_check: %d of %d searches differ from --exhaustive" % (differing, total))
    sys.exit(1 if differing else 0)


if __name__ == "__main__":
    main()
