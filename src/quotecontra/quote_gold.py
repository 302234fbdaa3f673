"""Gold files (``data/gold`` format) as quote evaluation reads them: each quote's text, pieces, type, speaker, cue
and target, with the article text found beside the file, in ``../samples/`` or in ``articles_dir``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from quotecontra.readers import ReadReport, Skip
from quotecontra.text_match import tokenize

QUOTE_TYPES = ("direct", "mixed", "indirect")


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


def _article_candidates(gold_path: Path, article: str, articles_dir: Path | None) -> list[Path]:
    out = [articles_dir / article] if articles_dir else []
    out += [gold_path.parent / article, gold_path.parent.parent / "samples" / article]
    return out


def parse_gold(obj: dict[str, Any], path: Path, articles_dir: Path | None = None) -> GoldArticle:
    """One gold JSON object -> GoldArticle; raises ValueError naming the file on a malformed entry."""
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
    art_path = next((p for p in _article_candidates(path, article, articles_dir) if p.exists()), None)
    if art_path is None:
        raise FileNotFoundError(f"{path}: article {article!r} not found beside it or in ../samples/")
    group = obj.get("split") or "seed"
    return GoldArticle(
        path=path,
        article_id=Path(article).stem,
        article_path=art_path,
        article_text=art_path.read_text(encoding="utf-8"),
        group=str(group),
        quotes=quotes,
        pairs=list(obj.get("pairs", [])),
    )


def load_gold(
    path: str | Path | Iterable[str | Path], articles_dir: Path | None = None, report: ReadReport | None = None
) -> list[GoldArticle]:
    """Gold files from a file, a folder of *.json, or several of those; with ``report``, bad files are skipped."""
    paths = [Path(path)] if isinstance(path, str | Path) else [Path(p) for p in path]
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            files += sorted(p.glob("*.json"))
        elif p.exists():
            files.append(p)
        else:
            raise FileNotFoundError(f"gold={p} does not exist")
    out: list[GoldArticle] = []
    seen: set[str] = set()
    for f in files:
        try:
            g = parse_gold(json.loads(f.read_text(encoding="utf-8")), f, articles_dir)
            if g.article_id in seen:
                raise ValueError(f"{f}: a second gold file for article {g.article_id}")
        except (ValueError, FileNotFoundError) as exc:
            if report is None:
                raise
            report.add_skip(Skip(str(f), f"bad gold: {exc}"))
            continue
        seen.add(g.article_id)
        if report is not None:
            report.read += 1
        out.append(g)
    return out
