"""The query file, and Byline's query syntax translated for FTS5 and Xapian.

Byline (README.md, "Query syntax"): words side by side mean AND; OR; NOT
and -x exclude; (groups); "phrases"; prefix*, also as the last word of a
phrase. Precedence, loosest first: OR, AND, NOT. A query is parsed into a
small tree, ("or", kids), ("and", kids), ("not", kid), ("word", text, prefix)
or ("phrase", words, prefix), and each engine's string is written from it.
A query an engine cannot express translates to None (counted, not run).
"""
import re

CLASSES = ("term", "AND", "OR", "phrase", "mixed")
_TOKEN = re.compile(r'\s*(?:(\()|(\))|"([^"]*)"?|(-)(?=[^\s)])|([^\s()"]+))')


def read(path):
    """[(class, query)] of a CLASS<TAB>QUERY file (# comments skipped)."""
    out = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            cls, sep, query = line.partition("\t")
            if not sep or cls not in CLASSES or not query.strip():
                raise SystemExit(f"compare: {path}:{lineno}: want CLASS<TAB>QUERY, "
                                 f"CLASS one of {', '.join(CLASSES)}")
            out.append((cls, query))
    return out


def _tokens(query):
    pos, out = 0, []
    while pos < len(query):
        m = _TOKEN.match(query, pos)
        if not m or m.end() == pos:
            break
        pos = m.end()
        lpar, rpar, phrase, minus, word = m.groups()
        if lpar:
            out.append("(")
        elif rpar:
            out.append(")")
        elif phrase is not None:
            out.append(("phrase", phrase))
        elif minus:
            out.append("-")
        elif word:
            out.append(word)
    return out


def parse(query):
    """The tree of a Byline query."""
    toks = _tokens(query)
    at = 0

    def peek():
        return toks[at] if at < len(toks) else None

    def take():
        nonlocal at
        at += 1
        return toks[at - 1]

    def or_expr():
        kids = [and_expr()]
        while peek() == "OR":
            take()
            kids.append(and_expr())
        return kids[0] if len(kids) == 1 else ("or", kids)

    def and_expr():
        kids = [unary()]
        while peek() not in (None, ")", "OR"):
            if peek() == "AND":
                take()
            kids.append(unary())
        return kids[0] if len(kids) == 1 else ("and", kids)

    def unary():
        if peek() in ("NOT", "-"):
            take()
            return ("not", unary())
        return primary()

    def primary():
        t = take()
        if t == "(":
            inner = or_expr()
            if peek() == ")":
                take()
            return inner
        if isinstance(t, tuple):
            words = t[1].split()
            prefix = bool(words) and words[-1].endswith("*")
            return ("phrase", [w.rstrip("*") for w in words], prefix)
        if t.endswith("*"):
            return ("word", t.rstrip("*"), True)
        if "-" in t.strip("-"):  # thomas-greenfield: a phrase
            return ("phrase", [w for w in t.split("-") if w], False)
        return ("word", t, False)

    tree = or_expr()
    return tree


def _split_not(kids):
    return [k for k in kids if k[0] != "not"], [k[1] for k in kids if k[0] == "not"]


def to_fts5(tree):
    """An FTS5 MATCH expression: every word quoted (so that U.S. or AT&T is
    read as text, not syntax), prefixes as "word" *, and NOT, which FTS5
    has only between two operands, after the words it excludes from."""
    kind = tree[0]
    if kind == "word":
        return '"%s"%s' % (tree[1].replace('"', '""'), " *" if tree[2] else "")
    if kind == "phrase":
        return '"%s"%s' % (" ".join(tree[1]).replace('"', '""'), " *" if tree[2] else "")
    if kind == "or":
        kids = [to_fts5(k) for k in tree[1]]
        return None if None in kids else "(" + " OR ".join(kids) + ")"
    pos, neg = _split_not(tree[1] if kind == "and" else [tree])
    kids, outs = [to_fts5(k) for k in pos], [to_fts5(k) for k in neg]
    if not kids or None in kids or None in outs:
        return None  # nothing to exclude from
    expr = kids[0] if len(kids) == 1 else "(" + " AND ".join(kids) + ")"
    for o in outs:
        expr = f"({expr} NOT {o})"
    return expr


def to_xapian(tree):
    """A Xapian QueryParser string (FLAG_BOOLEAN|FLAG_PHRASE|FLAG_WILDCARD,
    default operator AND): words side by side, OR, AND NOT. Xapian has no
    prefix inside a phrase."""
    kind = tree[0]
    if kind == "word":
        return tree[1] + ("*" if tree[2] else "")
    if kind == "phrase":
        return None if tree[2] else '"%s"' % " ".join(tree[1])
    if kind == "or":
        kids = [to_xapian(k) for k in tree[1]]
        return None if None in kids else "(" + " OR ".join(kids) + ")"
    pos, neg = _split_not(tree[1] if kind == "and" else [tree])
    kids, outs = [to_xapian(k) for k in pos], [to_xapian(k) for k in neg]
    if not kids or None in kids or None in outs:
        return None
    expr = kids[0] if len(kids) == 1 else "(" + " ".join(kids) + ")"
    for o in outs:
        expr = f"({expr} AND NOT {o})"
    return expr


def translate(query):
    """{engine: query string or None} for one Byline query."""
    tree = parse(query)
    fts, xap = to_fts5(tree), to_xapian(tree)
    # The outermost group needs no parentheses.
    strip = lambda s: s[1:-1] if s and s.startswith("(") and _balanced(s[1:-1]) else s
    return {"byline": query, "fts5": strip(fts), "xapian": strip(xap)}


def _balanced(s):
    depth = 0
    for ch in re.sub(r'"[^"]*"', "", s):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0
