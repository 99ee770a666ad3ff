"""The corpus all three engines index: JSON lines of {id, title, text}.

A Reuters-21578 directory (its reut2-*.sgm files) is converted once, as
Byline's SGML loader reads it: NEWID is the id, TITLE the title, DATELINE and
BODY the text (the raw TEXT of an UNPROC record). A JSONL file is read as it
is (fields id, title, and text or body). Either is then written out, repeated
under new ids ("ID~2", "ID~3", ...) until it reaches the target size, to
build/compare/, where later runs find it again.
"""
import html
import json
import os
import re

COPY_MARK = "~"  # copy k of article ID has the id ID~k (k >= 2)

_RECORD = re.compile(rb"<REUTERS\b([^>]*)>(.*?)</REUTERS>", re.S)
_NEWID = re.compile(rb'NEWID="(\d+)"')
_TEXT = re.compile(rb"<TEXT\b([^>]*)>(.*?)</TEXT>", re.S)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _element(name, data):
    m = re.search(rb"<" + name + rb">(.*?)</" + name + rb">", data, re.S)
    return m.group(1) if m else b""


def _decode(raw):
    """Bytes as text: UTF-8, else Windows-1252 (as Byline reads them),
    entities decoded, control characters as spaces."""
    try:
        s = raw.decode("utf-8")
    except UnicodeDecodeError:
        s = raw.decode("cp1252", errors="replace")
    return _CONTROL.sub(" ", html.unescape(s)).strip()


def read_reuters(directory):
    """Yields {id, title, text} for each record of the reut2-*.sgm files."""
    names = sorted(n for n in os.listdir(directory) if re.fullmatch(r"reut2-\d+\.sgm", n))
    if not names:
        raise SystemExit(f"compare: no reut2-*.sgm files in {directory}")
    for name in names:
        with open(os.path.join(directory, name), "rb") as f:
            data = f.read()
        for rec in _RECORD.finditer(data):
            newid = _NEWID.search(rec.group(1))
            text = _TEXT.search(rec.group(2))
            if not newid or not text:
                continue
            attrs, inner = text.groups()
            if b'TYPE="UNPROC"' in attrs:
                title, body = "", _decode(inner)
            else:
                title = " ".join(_decode(_element(b"TITLE", inner)).split())
                dateline = _decode(_element(b"DATELINE", inner))
                body = " ".join(p for p in (dateline, _decode(_element(b"BODY", inner))) if p)
            if title or body:
                yield {"id": newid.group(1).decode(), "title": title, "text": body}


def read_jsonl(path):
    """Yields {id, title, text} for each line of a JSONL file (line number
    as id when it has none)."""
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                raise SystemExit(f"compare: {path}:{lineno}: {e}")
            text = obj.get("text", obj.get("body", "")) or ""
            yield {"id": str(obj.get("id", lineno)), "title": obj.get("title", "") or "",
                   "text": text}


def base_id(article_id):
    """The id of the article a copy was made from."""
    return article_id.split(COPY_MARK, 1)[0]


def prepare(source, target_mb, out_dir, rebuild=False):
    """Writes the corpus of `source` repeated up to target_mb megabytes
    (at least once) to out_dir, unless it is already there and rebuild is
    not set; returns
    (path, info) with info {source, articles, copies, bytes}."""
    name = os.path.basename(os.path.normpath(source)).replace(".", "_")
    path = os.path.join(out_dir, f"corpus-{name}-{target_mb}mb.jsonl")
    info_path = path + ".info.json"
    if os.path.exists(path) and os.path.exists(info_path) and not rebuild:
        with open(info_path) as f:
            info = json.load(f)
        if info.get("source") == os.path.abspath(source):
            return path, info
    reader = read_reuters if os.path.isdir(source) else read_jsonl
    lines = [json.dumps(a, ensure_ascii=False) + "\n" for a in reader(source)]
    if not lines:
        raise SystemExit(f"compare: no articles in {source}")
    one_copy = sum(len(line.encode()) for line in lines)
    copies = max(1, round(target_mb * 1e6 / one_copy))
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.writelines(lines)
        for k in range(2, copies + 1):
            for line in lines:
                a = json.loads(line)
                a["id"] = f"{a['id']}{COPY_MARK}{k}"
                f.write(json.dumps(a, ensure_ascii=False) + "\n")
    os.replace(tmp, path)
    info = {"source": os.path.abspath(source), "articles": len(lines) * copies,
            "unique_articles": len(lines), "copies": copies, "bytes": os.path.getsize(path)}
    with open(info_path, "w") as f:
        json.dump(info, f)
    return path, info


def articles(path):
    """Yields the {id, title, text} of each line of a prepared corpus."""
    with open(path, encoding="utf-8") as f:
        for line in f:
            yield json.loads(line)
