"""Gold files (the ``data/gold`` format of ANNOTATION_GUIDE.md): the one reader of that contract.

pairs (natural gold pairs), evaluate-quotes (quote scores), train-attribution (tagger data) and the files
import-annotations writes all go through :func:`load_gold`, with one article lookup order: the run's articles
(annotate's cleaned text, by article id), then the folders the caller names (the input corpus, ``articles_dir``),
then beside the gold file, then ``../samples/`` beside its folder. :func:`records` turns a gold file into pipeline
records (quotes with the spans found in the article text, labelled pairs).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from quotecontra.readers import ReadReport, Skip
from quotecontra.records import QUOTE_TYPES, Article, Quote, quote_id
from quotecontra.text_match import tokenize


@dataclass(frozen=True)
class GoldQuote:
    id: str
    text: str
    type: str
    speaker: tuple[str, ...] | None
    cue: str | None
    target: tuple[str, ...]
    required: bool = True
    pieces: tuple[str, ...] = ()

    @property
    def tokens(self) -> list[str]:
        """The pieces of a split quote joined, else the text."""
        return tokenize(" ".join(self.pieces) if self.pieces else self.text)


@dataclass
class GoldArticle:
    """One gold file with its article text resolved."""

    path: Path
    article_id: str
    article_path: Path
    article_text: str
    group: str  # dev | heldout | seed
    quotes: list[GoldQuote]
    pairs: list[dict[str, Any]] = field(default_factory=list)


Dirs = Path | Sequence[Path] | None


def _dirs(articles_dir: Dirs) -> list[Path]:
    if articles_dir is None:
        return []
    return [Path(articles_dir)] if isinstance(articles_dir, str | Path) else [Path(d) for d in articles_dir]


def _article_candidates(gold_path: Path, article: str, articles_dir: Dirs) -> list[Path]:
    out = [d / article for d in _dirs(articles_dir)]
    out += [gold_path.parent / article, gold_path.parent.parent / "samples" / article]
    return out


def article_file(gold_path: Path, article: str, articles_dir: Dirs = None) -> Path:
    """The article a gold file names, by the lookup order (the caller's folders, beside the file, ../samples/)."""
    candidates = _article_candidates(gold_path, article, articles_dir)
    found = next((p for p in candidates if p.is_file()), None)
    if found is None:
        raise FileNotFoundError(f"{gold_path}: article {article!r} not found in {[str(p.parent) for p in candidates]}")
    return found


def parse_gold(
    obj: dict[str, Any], path: Path, articles_dir: Dirs = None, articles: Mapping[str, Article] | None = None
) -> GoldArticle:
    """One gold JSON object -> GoldArticle; raises ValueError naming the file on a malformed entry.

    The article is the run's (``articles``, by id) when it has it, else the first file of the lookup order.
    """
    try:
        article = obj["article"]
        quotes = [
            GoldQuote(
                id=str(q["id"]),
                text=q["text"],
                type=q["type"],
                speaker=tuple(q["speaker"]) if q.get("speaker") else None,
                cue=q.get("cue"),
                target=tuple(q.get("target") or ()),
                required=bool(q.get("required", True)),
                pieces=tuple(q.get("pieces") or ()),
            )
            for q in obj["quotes"]
        ]
    except (KeyError, TypeError) as exc:
        raise ValueError(f"{path}: malformed gold file ({exc!r})") from exc
    bad = [q.id for q in quotes if q.type not in QUOTE_TYPES]
    if bad:
        raise ValueError(f"{path}: unknown quote type in {bad}")
    aid = str(obj.get("article_id") or Path(article).stem)  # import-annotations writes the id beside the file name
    group = str(obj.get("split") or "seed")
    pairs = list(obj.get("pairs", []))
    known = (articles or {}).get(aid)
    if known is not None:
        return GoldArticle(path, aid, Path(known.source or article), known.text, group, quotes, pairs)
    art_path = article_file(path, article, articles_dir)
    return GoldArticle(path, aid, art_path, art_path.read_text(encoding="utf-8"), group, quotes, pairs)


def gold_files(paths: Sequence[str | Path], missing_ok: bool = True) -> list[Path]:
    """The gold files of files and folders (a folder's ``*.json``, sorted); a missing path is skipped or raises."""
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            files += sorted(p.glob("*.json"))
        elif p.is_file():
            files.append(p)
        elif not missing_ok:
            raise FileNotFoundError(f"gold={p} does not exist")
    return files


def load_gold(
    path: str | Path | Iterable[str | Path],
    articles_dir: Dirs = None,
    report: ReadReport | None = None,
    articles: Mapping[str, Article] | None = None,
    missing_ok: bool = False,
) -> list[GoldArticle]:
    """Gold files from a file, a folder of *.json, or several of those; with ``report``, bad files are skipped."""
    paths = [Path(path)] if isinstance(path, str | Path) else [Path(p) for p in path]
    files = gold_files(paths, missing_ok=missing_ok)
    out: list[GoldArticle] = []
    seen: set[str] = set()
    for f in files:
        try:
            g = parse_gold(json.loads(f.read_text(encoding="utf-8")), f, articles_dir, articles)
            if g.article_id in seen:
                raise ValueError(f"{f}: a second gold file for article {g.article_id}")
        except (ValueError, OSError) as exc:
            if report is None:
                raise
            report.add_skip(Skip(str(f), f"bad gold: {exc}"))
            continue
        seen.add(g.article_id)
        if report is not None:
            report.read += 1
        out.append(g)
    return out


# ---------------------------------------------------------------- as pipeline records


@dataclass
class GoldRecords:
    """A gold file as pipeline records: its article, quote records (spans found in the text), labelled pairs."""

    article: Article
    quotes: dict[str, Quote]  # gold id (q1..) -> record
    pairs: list[tuple[str, str, str]]  # (gold id a, gold id b, label)
    split: str = "dev"  # heldout files never train


def find_piece(text: str, piece: str, start: int = 0) -> tuple[int, int] | None:
    """Offsets of a verbatim piece, tolerant of curly/straight quotes, dashes and quote marks around words."""
    i = text.find(piece, start)
    if i >= 0:
        return i, i + len(piece)
    toks = re.findall(r"\w+", piece)
    if not toks:
        return None
    pattern = r"\W*".join(re.escape(t) for t in toks)
    m = re.compile(pattern).search(text, start)
    return (m.start(), m.end()) if m else None


def _spans(text: str, pieces: Sequence[str]) -> list[tuple[int, int]]:
    """The pieces' offsets in order, or [] when one is missing or out of order."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for piece in pieces:
        found = find_piece(text, piece, pos) or find_piece(text, piece)
        if found is None or (spans and found[0] < spans[-1][1]):
            return []
        spans.append(found)
        pos = found[1]
    return spans


def records(gold: GoldArticle) -> GoldRecords:
    """Quote records with spans located in the article text (a quote whose words are not found keeps a stub span
    and a ``:gold:`` id), and the file's pairs whose two quotes it has."""
    aid, text = gold.article_id, gold.article_text
    quotes: dict[str, Quote] = {}
    for q in gold.quotes:
        spans = _spans(text, list(q.pieces) or [q.text])
        quotes[q.id] = Quote(
            id=quote_id(aid, spans) if spans else f"{aid}:gold:{q.id}",
            article_id=aid,
            text=q.text,
            type=q.type,  # type: ignore[arg-type]  # parse_gold checked it
            speaker=q.speaker[0] if q.speaker else None,
            target=q.target[0] if q.target else None,
            spans=spans or [(0, 1)],
            annotator="gold",
        )
    pairs = [(str(p["a"]), str(p["b"]), str(p["label"])) for p in gold.pairs if p["a"] in quotes and p["b"] in quotes]
    article = Article(id=aid, text=text, source=str(gold.article_path))
    return GoldRecords(
        article=article, quotes=quotes, pairs=pairs, split="heldout" if gold.group == "heldout" else "dev"
    )


def load_records(path: Path, articles: Mapping[str, Article], search_dirs: Sequence[Path]) -> GoldRecords:
    """One gold file as records, its article from the run (``articles``) or the lookup order over ``search_dirs``."""
    return records(load_gold(path, search_dirs, articles=articles)[0])
