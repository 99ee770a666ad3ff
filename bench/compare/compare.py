#!/usr/bin/env python3
"""Byline beside Xapian and SQLite FTS5 on one corpus and one query file.

Prints one table (build time, index size, latency per query class, top-10
overlap with Byline, one-shot process time) and writes every number, and
every engine's top 10 with snippets, to build/compare/results.json.
`make bench-compare` runs it; see bench/compare/README.md.
"""
import argparse
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import corpus  # noqa: E402
import engines  # noqa: E402
import queries as qfile  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(HERE))
LATENCY_CLASSES = ("term", "AND", "OR", "phrase", "mixed")
NAMES = {"byline": "Byline", "xapian": "Xapian", "fts5": "FTS5"}


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--corpus", default=os.path.join(ROOT, "../shared/corpora/reuters21578"),
                   help="Reuters-21578 directory or JSONL file (default: Reuters beside "
                        "the project)")
    p.add_argument("--target-mb", type=int, default=200,
                   help="repeat the corpus under new ids up to this size (default 200; "
                        "0: one copy)")
    p.add_argument("--queries", default=os.path.join(HERE, "queries.txt"))
    p.add_argument("--byline", default=os.path.join(ROOT, "bin/byline"))
    p.add_argument("--byline-opts", default="",
                   help="more options for byline index, e.g. '--compact'")
    p.add_argument("--out", default=os.path.join(ROOT, "build/compare"))
    p.add_argument("--rebuild", action="store_true", help="index again even if cached")
    p.add_argument("--repeat", type=int, default=3,
                   help="timed passes over the queries after the warm-up (default 3)")
    p.add_argument("--oneshot", type=int, default=20,
                   help="queries for the one-shot process row (default 20; 0: skip)")
    p.add_argument("--fts5-cli", action="store_true",
                   help="drive FTS5 through the sqlite3 program even if Python has FTS5")
    p.add_argument("--sample", default='"interest rates" (cut OR lower)',
                   help="query whose top 3 are shown under the table ('' for none)")
    return p.parse_args()


def make_engines(args, index_dir):
    fts5 = engines.Fts5Cli if args.fts5_cli or not engines.fts5_in_python() else engines.Fts5
    return [engines.Byline(args.byline, os.path.join(index_dir, "byline.idx"),
                           shlex.split(args.byline_opts)),
            engines.Xapian(os.path.join(index_dir, "xapian.db")),
            fts5(os.path.join(index_dir, "fts5.db"))]


def build_all(engs, corpus_path, index_dir, rebuild):
    """Indexes the corpus with each engine unless a cached index of the same
    corpus is there; returns {engine: {"seconds", "cpu_seconds"}} (cached
    ones as first measured)."""
    stamp_path = os.path.join(index_dir, "build.json")
    stamps = {}
    if os.path.exists(stamp_path) and not rebuild:
        with open(stamp_path) as f:
            stamps = json.load(f)
    signature = [os.path.abspath(corpus_path), os.path.getsize(corpus_path),
                 os.path.getmtime(corpus_path)]
    for e in engs:
        s = stamps.get(e.name)
        if s and s["corpus"] == signature and os.path.exists(e.path):
            continue
        print(f"compare: indexing with {NAMES[e.name]} ...", file=sys.stderr, flush=True)
        wall, cpu = e.build(corpus_path)
        stamps[e.name] = {"corpus": signature, "seconds": wall, "cpu_seconds": cpu}
        with open(stamp_path, "w") as f:
            json.dump(stamps, f)
    return {e.name: {"seconds": stamps[e.name]["seconds"],
                     "cpu_seconds": stamps[e.name].get("cpu_seconds")} for e in engs}


def measure(engine, queries, repeat, scratch):
    """Runs the queries once to warm the page cache, then `repeat` times;
    each query's time is its median over the timed passes."""
    engine.run(queries, scratch)
    passes = [engine.run(queries, scratch) for _ in range(max(1, repeat))]
    out = []
    for i in range(len(queries)):
        times = [p[i]["ms"] for p in passes if p[i]["ms"] is not None]
        r = dict(passes[-1][i])
        r["ms"] = statistics.median(times) if times else None
        out.append(r)
    return out


def percentile(values, p):
    """Nearest rank, as `byline search --stats` reports it."""
    v = sorted(values)
    rank = max(1, -(-len(v) * p // 100))
    return v[int(rank) - 1]


def distinct_top(engine, queries, copies, scratch, key):
    """Each query's first TOP distinct articles (untimed). Copies of an
    article score alike, and each engine orders ties its own way, so with
    c copies the best TOP * c results are fetched and each article kept
    once, as key(id) names it."""
    out = []
    for r in engine.run(queries, scratch, engines.TOP * copies):
        seen, hits = set(), []
        for h in r["hits"]:
            if key(h[0]) not in seen and len(hits) < engines.TOP:
                seen.add(key(h[0]))
                hits.append(h)
        out.append(dict(r, hits=hits))
    return out


def overlap(a, b, key):
    """Articles two top-10 lists share, over the longer list's length."""
    return len({key(h[0]) for h in a} & {key(h[0]) for h in b}) / max(len(a), len(b))


def summarise(qs, timed, results, key):
    """Per engine: latency percentiles (of the timed passes) and overlap
    with Byline (of the distinct top 10s) per class."""
    out = {}
    for name, res in results.items():
        lat, ovl = {}, {}
        for cls in LATENCY_CLASSES + ("all",):
            idx = [i for i, (c, _) in enumerate(qs) if cls in (c, "all")]
            ms = [timed[name][i]["ms"] for i in idx if timed[name][i]["ms"] is not None]
            if ms:
                lat[cls] = {"p50": percentile(ms, 50), "p95": percentile(ms, 95), "n": len(ms)}
            pairs = [(results["byline"][i]["hits"], res[i]["hits"]) for i in idx
                     if res[i]["error"] is None and results["byline"][i]["error"] is None
                     and (res[i]["hits"] or results["byline"][i]["hits"])]
            if pairs:
                ovl[cls] = sum(overlap(a, b, key) for a, b in pairs) / len(pairs)
        out[name] = {"latency": lat, "overlap": ovl,
                     "not_run": sum(r["error"] is not None for r in timed[name])}
    return out


def oneshot(args, engs, qs, translated, scratch):
    """Median wall time of a whole process per query: `byline search` and
    the sqlite3 program, over the same queries taken evenly from the four
    main classes; with hyperfine -N when it is installed."""
    picks = []
    for cls in ("term", "AND", "OR", "phrase"):
        idx = [i for i, (c, _) in enumerate(qs) if c == cls and translated[i]["fts5"]]
        per = max(1, args.oneshot // 4)
        picks += idx[::max(1, len(idx) // per)][:per]
    by = {e.name: e for e in engs}
    cmds = {"byline": [], "sqlite3": []}
    for i in picks:
        cmds["byline"].append([args.byline, "search", "-i", by["byline"].path, "--",
                               translated[i]["byline"]])
        sql = engines.fts5_query().replace("?", "'" + translated[i]["fts5"].replace("'", "''") + "'")
        cmds["sqlite3"].append(["sqlite3", "-readonly", by["fts5"].path, sql])
    if not shutil.which("sqlite3"):
        del cmds["sqlite3"]
    flat = [c for name in cmds for c in cmds[name]]
    hyperfine = shutil.which("hyperfine")
    if hyperfine:
        export = os.path.join(scratch, "hyperfine.json")
        subprocess.run([hyperfine, "-N", "-i", "--style", "none", "--warmup", "2", "--runs", "10",
                        "--export-json", export] + [shlex.join(c) for c in flat],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(export) as f:
            medians = [r["median"] * 1e3 for r in json.load(f)["results"]]
        tool = "hyperfine -N"
    else:
        medians = []
        for c in flat:
            subprocess.run(c, stdout=subprocess.DEVNULL)  # warm-up
            times = []
            for _ in range(10):
                t0 = time.perf_counter()
                subprocess.run(c, stdout=subprocess.DEVNULL)
                times.append((time.perf_counter() - t0) * 1e3)
            medians.append(statistics.median(times))
        tool = "Python subprocess"
    out, at = {"tool": tool, "queries": [qs[i][1] for i in picks]}, 0
    for name in cmds:
        out[name] = statistics.median(medians[at:at + len(cmds[name])])
        at += len(cmds[name])
    return out


def print_table(info, qs, versions, build, sizes, summary, shot, args):
    names = ["byline", "xapian", "fts5"]
    counts = {c: sum(1 for q in qs if q[0] == c) for c in LATENCY_CLASSES}
    head = f"{'':34}" + "".join(f"{NAMES[n]:>16}" for n in names)
    rule = "-" * len(head)
    lines = [f"Byline vs Xapian vs SQLite FTS5   ({'; '.join(versions[n] for n in names)})",
             f"corpus: {info['articles']:,} articles, {info['bytes'] / 1e6:.0f} MB "
             f"({info['unique_articles']:,} from {os.path.basename(info['source'])}"
             + (f" x {info['copies']} copies under new ids)" if info["copies"] > 1 else ")"),
             f"queries: {args.queries_shown}: "
             + ", ".join(f"{counts[c]} {c}" for c in LATENCY_CLASSES),
             "latency: in-process per query (parse, search, top 10 with snippets), warm cache, "
             f"median of {args.repeat} passes after one warm-up",
             rule, head, rule]

    def row(label, cells):
        lines.append(f"{label:34}" + "".join(f"{c:>16}" for c in cells))

    row("build seconds", [f"{build[n]['seconds']:.1f}" for n in names])
    row("build CPU seconds", [f"{build[n]['cpu_seconds']:.1f}" if build[n]["cpu_seconds"]
                              is not None else "-" for n in names])
    row("index MB (10^6 bytes)", [f"{sizes[n] / 1e6:.1f}" for n in names])
    lines.append("latency ms, p50 / p95")
    for cls in LATENCY_CLASSES + ("all",):
        cells = []
        for n in names:
            lat = summary[n]["latency"].get(cls)
            cells.append(f"{lat['p50']:.2f} / {lat['p95']:.2f}" if lat else "-")
        row(f"  {cls}", cells)
    lines.append("top-10 overlap with Byline (articles)")
    for cls in LATENCY_CLASSES + ("all",):
        cells = ["-"] + [f"{summary[n]['overlap'][cls]:.2f}" if cls in summary[n]["overlap"]
                         else "-" for n in names[1:]]
        row(f"  {cls}", cells)
    row("queries not run (syntax, errors)", [str(summary[n]["not_run"]) for n in names])
    if shot:
        row(f"one-shot process ms, median of {len(shot['queries'])}",
            [f"{shot['byline']:.2f}", "-", f"{shot['sqlite3']:.2f}" if "sqlite3" in shot else "-"])
        lines.append(f"  (`byline search -i IDX QUERY` vs `sqlite3 DB \"SELECT ... snippet() ... "
                     f"MATCH ... LIMIT 10\"`, {shot['tool']})")
    lines.append(rule)
    print("\n".join(lines))


def print_sample(query, qs, translated, results):
    idx = [i for i, (_, q) in enumerate(qs) if q == query]
    if not idx:
        return
    i = idx[0]
    print(f"\nSample: top 3 articles of {query}")
    for name in ("byline", "xapian", "fts5"):
        print(f"  {NAMES[name]}: {translated[i][name]}")
        for hit in results[name][i]["hits"][:3]:
            snippet = " ".join(hit[2].split())
            print(f"    {hit[0]:>9}  {hit[1][:60]}\n{'':15}{snippet[:150]}")


def main():
    args = parse_args()
    os.makedirs(args.out, exist_ok=True)
    corpus_path, info = corpus.prepare(args.corpus, args.target_mb, args.out, args.rebuild)
    index_dir = os.path.splitext(corpus_path)[0]
    os.makedirs(index_dir, exist_ok=True)
    engs = make_engines(args, index_dir)
    build = build_all(engs, corpus_path, index_dir, args.rebuild)
    sizes = {e.name: engines.dir_bytes(e.path) for e in engs}
    versions = {e.name: e.version() for e in engs}

    qs = qfile.read(args.queries)
    args.queries_shown = os.path.relpath(args.queries, ROOT)
    translated = [qfile.translate(q) for _, q in qs]
    key = corpus.base_id if info["copies"] > 1 else (lambda i: i)
    timed, results = {}, {}
    with tempfile.TemporaryDirectory(dir=args.out) as scratch:
        for e in engs:
            print(f"compare: querying {NAMES[e.name]} ...", file=sys.stderr, flush=True)
            mine = [t[e.name] for t in translated]
            timed[e.name] = measure(e, mine, args.repeat, scratch)
            results[e.name] = (distinct_top(e, mine, info["copies"], scratch, key)
                               if info["copies"] > 1 else timed[e.name])
        shot = oneshot(args, engs, qs, translated, scratch) if args.oneshot > 0 else None
    summary = summarise(qs, timed, results, key)

    print_table(info, qs, versions, build, sizes, summary, shot, args)
    if args.sample:
        print_sample(args.sample, qs, translated, results)
    report = {
        "corpus": dict(info, path=corpus_path), "queries_file": args.queries,
        "repeat": args.repeat, "engines": {
            e.name: dict(summary[e.name], version=versions[e.name], index=e.path,
                         build_seconds=build[e.name]["seconds"],
                         build_cpu_seconds=build[e.name]["cpu_seconds"],
                         index_bytes=sizes[e.name])
            for e in engs},
        "oneshot": shot,
        "queries": [{"class": c, "query": q, "translated": translated[i],
                     "results": {n: {"ms": timed[n][i]["ms"], "error": timed[n][i]["error"],
                                     "top10": results[n][i]["hits"]} for n in results}}
                    for i, (c, q) in enumerate(qs)],
    }
    path = os.path.join(args.out, "results.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(report, f, ensure_ascii=False, indent=1)
    print(f"\n(all numbers, and every engine's top 10 with snippets: {os.path.relpath(path)})")


if __name__ == "__main__":
    main()
