"""Reading articles at the edge: folders of .txt, .jsonl files and HTML pages.

Bad input never stops a batch: each unreadable article becomes a :class:`Skip` with its reason, the others
go on, and the caller reports the counts.
"""

from __future__ import annotations

import json
import logging
import os
import re
import stat
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from quotecontra.records import Article

log = logging.getLogger(__name__)

TEXT_SUFFIXES = {".txt"}
HTML_SUFFIXES = {".html", ".htm"}
JSONL_SUFFIXES = {".jsonl"}

# The commonest English function words: an article with almost none of them is not English (or not prose).
_EN_STOPWORDS = frozenset(
    [
        "the",
        "of",
        "and",
        "to",
        "a",
        "in",
        "that",
        "is",
        "was",
        "he",
        "for",
        "it",
        "with",
        "as",
        "his",
        "on",
        "be",
        "at",
        "by",
        "i",
        "this",
        "had",
        "not",
        "are",
        "but",
        "from",
        "or",
        "have",
        "an",
        "they",
        "which",
        "one",
        "you",
        "were",
        "her",
        "all",
        "she",
        "there",
        "would",
        "their",
        "we",
        "him",
        "been",
        "has",
        "when",
        "who",
        "will",
        "more",
        "no",
        "if",
        "out",
        "so",
        "said",
        "what",
        "up",
        "its",
        "about",
        "into",
        "than",
        "them",
        "can",
        "only",
        "other",
        "new",
        "some",
        "could",
        "time",
        "these",
        "two",
        "may",
        "then",
        "do",
        "first",
        "any",
        "my",
        "now",
        "such",
        "like",
        "our",
        "over",
        "man",
        "me",
        "even",
        "most",
        "made",
        "after",
        "also",
        "did",
        "many",
        "before",
        "must",
        "through",
        "back",
        "years",
        "where",
        "much",
        "your",
        "way",
        "well",
    ]
)
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


@dataclass(frozen=True)
class Skip:
    """An input that produced no article, and why."""

    source: str
    reason: str


@dataclass
class ReadReport:
    """What reading the input produced: counts of articles and of skips by reason."""

    read: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    skips: list[Skip] = field(default_factory=list)

    def add_skip(self, skip: Skip) -> None:
        log.warning("skipped %s: %s", skip.source, skip.reason)
        self.skipped[skip.reason.split(":")[0]] += 1
        self.skips.append(skip)

    def summary(self) -> str:
        parts = [f"{self.read} articles read"]
        if self.skipped:
            parts.append("skipped " + ", ".join(f"{n} {why}" for why, n in sorted(self.skipped.items())))
        return "; ".join(parts)


@dataclass(frozen=True)
class ReaderOptions:
    """Plain options so the reader does not depend on Hydra."""

    format: str = "auto"
    max_bytes: int = 2_000_000
    min_words: int = 5
    require_english: bool = True
    boilerplate: tuple[str, ...] = ()


def english_score(text: str) -> float:
    """Share of words that are common English function words (~0.4 for English news, <0.05 otherwise)."""
    words = [w.lower() for w in _WORD.findall(text[:20000])]
    if not words:
        return 0.0
    return sum(w in _EN_STOPWORDS for w in words) / len(words)


def strip_boilerplate(text: str, patterns: tuple[str, ...]) -> str:
    """Drop whole lines that match a furniture pattern ("Leave A Comment", "Subscribe to our newsletter"...).

    Only short lines are candidates, so a sentence that merely mentions a newsletter survives.
    """
    if not patterns:
        return text
    rx = re.compile(r"^\s*(?:" + "|".join(patterns) + r")\s*[.!:]?\s*$", re.IGNORECASE)
    kept = [line for line in text.split("\n") if not (len(line) < 80 and rx.match(line))]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()


def html_to_text(html: str) -> str:
    """Main text of a web page via trafilatura (a maintained extractor), paragraphs separated by blank lines."""
    import trafilatura

    extracted = trafilatura.extract(html, include_comments=False, include_tables=False, favor_recall=True)
    if not extracted:
        return ""
    title = ""
    meta = trafilatura.extract_metadata(html)
    if meta is not None and meta.title:
        title = meta.title.strip()
    body = "\n\n".join(p.strip() for p in extracted.split("\n") if p.strip())
    return f"{title}\n\n{body}" if title and not body.startswith(title) else body


def looks_like_html(text: str) -> bool:
    head = text[:2000].lower()
    return "<html" in head or "<!doctype html" in head or ("<body" in head and "</" in head)


def decode(raw: bytes, source: str) -> str | Skip:
    """UTF-8 text, or a Skip for binary and non-UTF-8 bytes (never a guess that garbles the spans)."""
    if b"\x00" in raw[:8192]:
        return Skip(source, "binary: NUL bytes")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return Skip(source, f"not utf-8: byte {exc.start}")
    controls = sum(1 for ch in text[:8192] if ord(ch) < 32 and ch not in "\n\r\t\f")
    if controls > 0.01 * max(1, min(len(text), 8192)):
        return Skip(source, "binary: control characters")
    return text


def make_article(
    article_id: str, text: str, source: str, opts: ReaderOptions, title: str = "", meta: dict[str, str] | None = None
) -> Article | Skip:
    """Normalise one article's text and apply the skip rules."""
    if looks_like_html(text):
        text = html_to_text(text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = strip_boilerplate(text, opts.boilerplate)
    if len(text.encode("utf-8")) > opts.max_bytes:
        return Skip(source, f"too large: {len(text.encode('utf-8'))} bytes > data.max_bytes={opts.max_bytes}")
    if len(text.split()) < opts.min_words:
        return Skip(source, f"empty: fewer than {opts.min_words} words")
    if opts.require_english and english_score(text) < 0.12:
        return Skip(source, "not English: too few English function words")
    if not title:
        title = text.split("\n", 1)[0].strip()[:300]
    return Article(id=article_id, title=title, text=text, source=source, meta=meta or {})


def parse_file(raw: bytes, source: str, opts: ReaderOptions) -> Article | Skip:
    """One whole-file article from its bytes (the id is the file's stem); too large or undecodable is a skip.

    Public so that every backend parses the same way: the local reader after reading the file, the Ray backend on
    the bytes its workers read.
    """
    if len(raw) > opts.max_bytes * 4:
        return Skip(source, f"too large: {len(raw)} bytes > data.max_bytes={opts.max_bytes}")
    text = decode(raw, source)
    if isinstance(text, Skip):
        return text
    return make_article(Path(source).stem, text, source, opts)


def parse_jsonl(lines: Iterable[bytes], source: str, opts: ReaderOptions) -> Iterator[Article | Skip]:
    """The articles of a jsonl file's lines (``source:lineno`` names each); a bad line is a skip, never fatal."""
    stem = Path(source).stem
    for lineno, raw in enumerate(lines, 1):
        where = f"{source}:{lineno}"
        if not raw.strip():
            continue
        line = decode(raw, where)
        if isinstance(line, Skip):
            yield line
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Skip(where, f"bad json: {exc.msg}")
            continue
        if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
            yield Skip(where, "bad json: no 'text' string")
            continue
        article_id = str(obj.get("id") or obj.get("article_id") or f"{stem}-{lineno}")
        meta = {k: str(v) for k, v in obj.items() if k not in {"id", "article_id", "text", "title"}}
        yield make_article(article_id, obj["text"], where, opts, title=str(obj.get("title") or ""), meta=meta)


def _iter_file(path: Path, opts: ReaderOptions) -> Iterator[Article | Skip]:
    try:
        size = path.stat().st_size
        if size > opts.max_bytes * 4:  # do not even load absurd files; the text check is exact
            yield Skip(str(path), f"too large: {size} bytes > data.max_bytes={opts.max_bytes}")
            return
        raw = path.read_bytes()
    except OSError as exc:
        yield Skip(str(path), f"unreadable: {exc.strerror}")
        return
    yield parse_file(raw, str(path), opts)


def _iter_jsonl(path: Path, opts: ReaderOptions) -> Iterator[Article | Skip]:
    try:
        fh = path.open("rb")
    except OSError as exc:
        yield Skip(str(path), f"unreadable: {exc.strerror}")
        return
    with fh:
        yield from parse_jsonl(fh, str(path), opts)


def list_input_files(folder: Path, suffixes: set[str], report: ReadReport) -> list[Path]:
    """The article files under ``folder`` (recursively, sorted); what cannot be read becomes a logged skip.

    An unreadable subfolder, and a pipe, socket or broken link with an article suffix, are skips with the reason
    rather than a crash or a silent gap (a pipe would also block the reader).
    """
    files: list[Path] = []

    def unreadable(err: OSError) -> None:
        report.add_skip(Skip(str(err.filename), f"unreadable folder: {err.strerror}"))

    for root, _, names in os.walk(folder, onerror=unreadable):
        for name in names:
            p = Path(root, name)
            if p.suffix.lower() not in suffixes:
                continue
            try:
                regular = stat.S_ISREG(p.stat().st_mode)
            except OSError as exc:
                report.add_skip(Skip(str(p), f"unreadable: {exc.strerror}"))
                continue
            if regular:
                files.append(p)
            else:
                report.add_skip(Skip(str(p), "not a regular file: a pipe, socket or device"))
    return sorted(files)


def iter_articles(input_path: str | Path, opts: ReaderOptions, report: ReadReport | None = None) -> Iterator[Article]:
    """Stream articles from a folder, a .jsonl file or an HTML file; skips go to ``report``.

    Streaming keeps memory flat however large the corpus; ids must be unique, a repeated id is skipped.
    """
    report = report if report is not None else ReadReport()
    path = Path(input_path)
    if not path.exists():
        raise FileNotFoundError(f"input={input_path} does not exist")
    fmt = opts.format
    if path.is_dir():
        suffixes = {"txt": TEXT_SUFFIXES, "html": HTML_SUFFIXES, "jsonl": JSONL_SUFFIXES}.get(
            fmt, TEXT_SUFFIXES | HTML_SUFFIXES | JSONL_SUFFIXES
        )
        files = list_input_files(path, suffixes, report)
        if not files and not report.skips:
            raise FileNotFoundError(f"input={input_path} holds no {sorted(suffixes)} files")
    else:
        files = [path]
    seen: set[str] = set()
    for f in files:
        is_jsonl = fmt == "jsonl" or (fmt == "auto" and f.suffix.lower() in JSONL_SUFFIXES)
        for item in _iter_jsonl(f, opts) if is_jsonl else _iter_file(f, opts):
            if isinstance(item, Skip):
                report.add_skip(item)
            elif item.id in seen:
                report.add_skip(Skip(item.source, f"duplicate id: {item.id}"))
            else:
                seen.add(item.id)
                report.read += 1
                yield item
