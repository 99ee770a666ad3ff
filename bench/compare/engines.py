"""The three engines, each behind the same two calls:

  build(corpus_path)  -> (wall, cpu) seconds to index the corpus (an
                         existing index is removed first); cpu counts the
                         process and its children, user and system
  run(queries, scratch, k)
                      -> one result per query: {"ms", "hits", "error"},
                         hits a list of (id, title, snippet), the best k
                         first, the snippet's matches between [ and ]

`queries` holds the engine's own query strings (None: not expressible, not
run). Timings are taken inside the process that searches: Python's clock
around parse + search + top 10 with snippets for Xapian and FTS5, Byline's
own per-query "elapsed_ms" (parse to last hit printed) from its JSON output.
"""
import json
import os
import resource
import shutil
import subprocess
import time

import corpus

TOP = 10
SNIPPET_WORDS = 30  # Byline's default; FTS5 counts tokens, Xapian bytes
XAPIAN_SNIPPET_BYTES = 200  # about 30 words of news text


def dir_bytes(path):
    """Bytes of the files under path (a file's own size if it is one)."""
    if os.path.isfile(path):
        return os.path.getsize(path)
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs)


class Stopwatch:
    """Wall and CPU seconds (this process and its children) of a block."""

    @staticmethod
    def _cpu():
        return sum(r.ru_utime + r.ru_stime for r in (resource.getrusage(resource.RUSAGE_SELF),
                                                       resource.getrusage(resource.RUSAGE_CHILDREN)))

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), self._cpu()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.wall, self._cpu() - self.cpu

    def seconds(self):
        return self.wall, self.cpu


def _remove(path):
    if os.path.isdir(path):
        shutil.rmtree(path)
    elif os.path.exists(path):
        os.remove(path)


class Byline:
    name = "byline"

    def __init__(self, binary, path, index_opts=()):
        self.binary, self.path, self.index_opts = binary, path, list(index_opts)

    def version(self):
        out = subprocess.run([self.binary, "--version"], capture_output=True, text=True)
        return out.stdout.strip()

    def build(self, corpus_path):
        _remove(self.path)
        with Stopwatch() as clock:
            subprocess.run([self.binary, "index", "-q", "-o", self.path, "--format", "jsonl",
                            *self.index_opts, corpus_path], check=True)
        return clock.seconds()

    def run(self, queries, scratch, k=TOP):
        """One `byline search --json --queries` process for all queries."""
        todo = [q for q in queries if q is not None]
        qfile = os.path.join(scratch, "queries.byline.txt")
        with open(qfile, "w", encoding="utf-8") as f:
            f.writelines(q + "\n" for q in todo)
        proc = subprocess.run([self.binary, "search", "-i", self.path, "--json", "-k", str(k),
                               "--queries", qfile], capture_output=True, text=True)
        if proc.returncode not in (0, 2):  # 2: a query was malformed
            raise SystemExit(f"compare: byline search failed ({proc.returncode}): "
                             f"{proc.stderr.strip()}\n(an index of an older byline? "
                             "run again with --rebuild)")
        answers, hits = [], []
        for line in proc.stdout.splitlines():
            rec = json.loads(line)
            if "rank" in rec:
                hits.append((rec["id"], rec["title"], _marked(rec["snippet"], rec["highlights"])))
            elif "error" in rec:
                answers.append({"ms": None, "hits": [], "error": rec["error"]})
                hits = []
            else:
                answers.append({"ms": rec["elapsed_ms"], "hits": hits, "error": None})
                hits = []
        if len(answers) != len(todo):
            raise SystemExit(f"compare: byline answered {len(answers)} of {len(todo)} queries")
        it = iter(answers)
        return [next(it) if q is not None else _unsupported() for q in queries]


def _marked(snippet, spans):
    """Byline's JSON snippet with its highlights (code point ranges) marked."""
    out, at = [], 0
    for start, end in spans:
        out += [snippet[at:start], "[", snippet[start:end], "]"]
        at = end
    return "".join(out) + snippet[at:]


def _unsupported():
    return {"ms": None, "hits": [], "error": "not expressible in this engine's syntax"}


class Xapian:
    name = "xapian"

    def __init__(self, path):
        import xapian  # python3-xapian: only this engine needs it
        self.x, self.path = xapian, path

    def version(self):
        return "Xapian " + self.x.version_string()

    def build(self, corpus_path):
        x = self.x
        _remove(self.path)
        unfinished = self.path + ".tmp"
        _remove(unfinished)
        with Stopwatch() as clock:
            self._index(corpus_path, unfinished)
            # Compacted, as a finished index would be (xapian-compact): the
            # B-trees written full, as FTS5's 'optimize' and Byline's segments are.
            x.Database(unfinished).compact(self.path)
        _remove(unfinished)
        return clock.seconds()

    def _index(self, corpus_path, path):
        x = self.x
        db = x.WritableDatabase(path, x.DB_CREATE_OR_OVERWRITE)
        tg = x.TermGenerator()
        tg.set_stemmer(x.Stem("english"))
        tg.set_stemming_strategy(x.TermGenerator.STEM_SOME)
        for a in corpus.articles(corpus_path):
            doc = x.Document()
            tg.set_document(doc)
            tg.index_text(a["title"])
            tg.increase_termpos()  # no phrase across title and text
            tg.index_text(a["text"])
            doc.set_data(a["text"])
            doc.add_value(0, a["id"])
            doc.add_value(1, a["title"])
            db.add_document(doc)
        db.commit()
        db.close()

    def run(self, queries, scratch, k=TOP):
        x = self.x
        db = x.Database(self.path)
        stem = x.Stem("english")
        qp = x.QueryParser()
        qp.set_database(db)  # for wildcards
        qp.set_stemmer(stem)
        qp.set_stemming_strategy(x.QueryParser.STEM_SOME)
        qp.set_default_op(x.Query.OP_AND)
        flags = x.QueryParser.FLAG_PHRASE | x.QueryParser.FLAG_BOOLEAN | x.QueryParser.FLAG_WILDCARD
        enquire = x.Enquire(db)
        # BM25 with Byline's and FTS5's k1 = 1.2, b = 0.75 (Xapian's own
        # defaults are k1 = 1, b = 0.5); k2, k3, min_normlen as Xapian has them.
        enquire.set_weighting_scheme(x.BM25Weight(1.2, 0, 1, 0.75, 0.5))
        out = []
        for q in queries:
            if q is None:
                out.append(_unsupported())
                continue
            t0 = time.perf_counter()
            try:
                enquire.set_query(qp.parse_query(q, flags))
            except x.QueryParserError as e:
                out.append({"ms": None, "hits": [], "error": str(e)})
                continue
            mset = enquire.get_mset(0, k)
            hits = []
            for m in mset:
                doc = m.document
                snippet = mset.snippet(doc.get_data().decode(), XAPIAN_SNIPPET_BYTES, stem,
                                       x.MSet.SNIPPET_BACKGROUND_MODEL | x.MSet.SNIPPET_EXHAUSTIVE,
                                       "[", "]", "...").decode()
                hits.append((doc.get_value(0).decode(), doc.get_value(1).decode(), snippet))
            ms = (time.perf_counter() - t0) * 1e3
            out.append({"ms": ms, "hits": hits, "error": None})
        db.close()
        return out


FTS5_SCHEMA = ("CREATE VIRTUAL TABLE news USING fts5(id UNINDEXED, title, body, "
               "tokenize='porter unicode61')")


def fts5_query(k=TOP):
    """The SELECT of the top k with snippets; ? is the MATCH expression."""
    return ("SELECT id, title, snippet(news, 2, '[', ']', '...', %d) FROM news "
            "WHERE news MATCH ? ORDER BY rank LIMIT %d" % (SNIPPET_WORDS, k))


def fts5_in_python():
    """Does Python's sqlite3 module have FTS5?"""
    import sqlite3
    try:
        sqlite3.connect(":memory:").execute("CREATE VIRTUAL TABLE t USING fts5(x)")
        return True
    except sqlite3.OperationalError:
        return False


class Fts5:
    """SQLite FTS5 through Python's sqlite3 module."""
    name = "fts5"

    def __init__(self, path):
        import sqlite3
        self.sqlite3, self.path = sqlite3, path

    def version(self):
        return "SQLite FTS5 " + self.sqlite3.sqlite_version

    def build(self, corpus_path):
        _remove(self.path)
        with Stopwatch() as clock:
            self._index(corpus_path)
        return clock.seconds()

    def _index(self, corpus_path):
        con = self.sqlite3.connect(self.path)
        con.execute(FTS5_SCHEMA)
        with con:  # one transaction
            con.executemany("INSERT INTO news VALUES (?, ?, ?)",
                            ((a["id"], a["title"], a["text"]) for a in corpus.articles(corpus_path)))
        # Merge the index into one b-tree, as a finished index would be.
        with con:
            con.execute("INSERT INTO news(news) VALUES ('optimize')")
        con.close()

    def run(self, queries, scratch, k=TOP):
        con = self.sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
        sql = fts5_query(k)
        out = []
        for q in queries:
            if q is None:
                out.append(_unsupported())
                continue
            t0 = time.perf_counter()
            try:
                hits = con.execute(sql, (q,)).fetchall()
            except self.sqlite3.OperationalError as e:
                out.append({"ms": None, "hits": [], "error": str(e)})
                continue
            ms = (time.perf_counter() - t0) * 1e3
            out.append({"ms": ms, "hits": [tuple(h) for h in hits], "error": None})
        con.close()
        return out


class Fts5Cli(Fts5):
    """SQLite FTS5 through the sqlite3 program, for a Python whose sqlite3
    module lacks FTS5: the articles go in through .import of a file with
    ASCII unit and record separators (the corpus has no control characters),
    and one process answers every query with .timer on, whose "Run Time:
    real" is the in-process time of each statement."""

    def __init__(self, path, program="sqlite3"):
        self.path, self.program = path, program

    def version(self):
        out = subprocess.run([self.program, "--version"], capture_output=True, text=True)
        return "SQLite FTS5 " + out.stdout.split()[0] + " (sqlite3 program)"

    def _index(self, corpus_path):
        rows = self.path + ".rows"
        with open(rows, "w", encoding="utf-8") as f:
            for a in corpus.articles(corpus_path):
                f.write("\x1f".join((a["id"], a["title"], a["text"])) + "\x1e")
        script = "\n".join([FTS5_SCHEMA + ";", "CREATE TEMP TABLE r(id, title, body);",
                            ".mode ascii", f".import '{rows}' r",
                            "BEGIN; INSERT INTO news SELECT * FROM r; COMMIT;",
                            "INSERT INTO news(news) VALUES ('optimize');", ""])
        subprocess.run([self.program, self.path], input=script, text=True, check=True)
        os.remove(rows)

    def run(self, queries, scratch, k=TOP):
        lines = [".timer on", ".mode json"]
        todo = [q for q in queries if q is not None]
        for q in todo:
            lines.append(fts5_query(k).replace("?", "'" + q.replace("'", "''") + "'") + ";")
            lines.append(".print @@end")
        proc = subprocess.run([self.program, "-readonly", self.path], input="\n".join(lines),
                              capture_output=True, text=True)
        answers = []
        for block in proc.stdout.split("@@end\n")[:len(todo)]:
            ms, rows = None, []
            for line in block.splitlines():
                if line.startswith("Run Time: real"):
                    ms = float(line.split()[3]) * 1e3
                else:
                    rows.append(line)
            hits = [tuple(r.values()) for r in json.loads("".join(rows) or "[]")]
            answers.append({"ms": ms, "hits": hits, "error": None if ms is not None else "failed"})
        it = iter(answers)
        return [next(it, _unsupported()) if q is not None else _unsupported() for q in queries]
