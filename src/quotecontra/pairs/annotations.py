"""Annotation batches fed back into the pairs stage (``pairs.annotations``): imports are data.

``quotecontra import-annotations`` turns a Label Studio export into gold files (one per annotated article: the
annotators' quote records and labelled pairs), ``imported_pairs.jsonl`` (every majority-labelled pair) and an import
summary. Each entry of ``pairs.annotations`` is one batch, oldest first: an import dir, an imported pairs file, one
gold file, or an import summary (which brings the gold files and the pairs file it lists). With them the stage

- replaces the pipeline's quote records of every article an imported gold file covers, before claims, synthetic
  pairs and candidates are built (the annotators fixed spans, speakers and targets);
- adds the labelled pairs to the natural pool (split ``natural``, or ``heldout`` when the batch was imported with
  ``export.import_split=heldout``), deduplicated by quote pair: for one quote pair a later batch's label replaces an
  earlier one's and the pipeline's own label (an ``other_claim`` neutral, a candidate); a gold file of
  ``pairs.gold_dirs`` is the adjudicated reference, so an imported label that disagrees with it is reported and
  left out;
- puts articles linked by a cross-article pair into one group, so no article lands in two folds or splits;
- records where each pair came from: ``annotator`` is ``'<batch id>:<voters>'`` and the batch table (file digest,
  annotators, time range) goes to the dataset card, ``pairs/annotations.json`` and MLflow.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from quotecontra.gold import GoldRecords, article_file, load_records
from quotecontra.records import Article, Pair, Quote, quote_id
from quotecontra.tracking import file_digest

log = logging.getLogger(__name__)
__all__ = ["ORIGIN", "AnnotationBatch", "article_of", "batch_files", "load_batch", "load_batches", "load_imported_gold"]

ORIGIN = "annotated"  # the origin of every pair a batch brings (a gold file of pairs.gold_dirs gives "gold")


@dataclass
class AnnotationBatch:
    """One entry of ``pairs.annotations``: its labelled pairs, its gold quote files and where they came from."""

    id: str  # "ls-" + the first 8 hex digits of the batch digest
    path: str
    digest: str  # over every file of the batch (names and bytes)
    split: str  # natural | heldout
    files: list[str] = field(default_factory=list)
    pairs: list[Pair] = field(default_factory=list)  # labelled pairs of the imported pairs file(s)
    gold: list[GoldRecords] = field(default_factory=list)  # imported gold files (their quotes replace the pipeline's)
    extra_pairs: list[Pair] = field(default_factory=list)  # pairs of the gold files given with their texts
    annotators: list[str] = field(default_factory=list)
    first: str | None = None  # earliest annotation time seen in the batch
    last: str | None = None
    source: str | None = None  # the Label Studio export the import summary names
    voters: dict[tuple[str, str], str] = field(default_factory=dict)  # gold-file pair (quote ids) -> its annotators
    skipped: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------- reading


def _kind(doc: Any) -> str | None:
    if isinstance(doc, dict) and "quotes" in doc and "article" in doc:
        return "gold"
    if isinstance(doc, dict) and "counts" in doc and "gold_files" in doc:
        return "summary"
    return None


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: not readable JSON ({exc})") from exc


def _summary_files(summary: Mapping[str, Any], where: Path) -> list[Path]:
    """The gold files and the pairs file an import summary lists; paths that moved are looked up beside it."""
    batch = summary.get("batch") or {}
    named = [*summary.get("gold_files", []), *([batch["pairs_file"]] if batch.get("pairs_file") else [])]
    sub = Path(str(batch.get("import_dir") or "imported_gold")).name
    out = []
    for name in named:
        p = Path(str(name))
        for cand in (p, where / p.name, where / sub / p.name):
            if cand.is_file():
                out.append(cand)
                break
    return out


def batch_files(entry: str | Path) -> list[Path]:
    """Every file one entry stands for (the stage's skip signature digests them): sorted, existing, unique.

    A dir gives its ``*.json`` and ``*.jsonl``; a pairs file brings the import summary beside it that names it; an
    import summary brings the gold files and the pairs file it lists.
    """
    entry = Path(entry)
    if entry.is_dir():
        found = sorted([*entry.glob("*.json"), *entry.glob("*.jsonl")])
    elif entry.is_file():
        found = [entry]
    else:
        return []
    found += [s for f in found if f.suffix == ".jsonl" for s in _sibling_summaries(f)]
    for f in list(found):
        doc = _safe_json(f) if f.suffix == ".json" else None
        if _kind(doc) == "summary":
            assert isinstance(doc, dict)  # what _kind calls a summary is a dict
            found += _summary_files(doc, f.parent)
    seen: dict[str, Path] = {}
    for p in found:
        if p.is_file():
            seen.setdefault(str(p.resolve()), p)
    return sorted(seen.values(), key=str)


def _safe_json(path: Path) -> Any:
    try:
        return _read_json(path)
    except ValueError:
        return None


def _sibling_summaries(pairs_file: Path) -> list[Path]:
    """Import summaries beside an imported pairs file that name it (import-annotations writes both)."""
    out = []
    for cand in sorted(pairs_file.parent.glob("*.json")):
        doc = _safe_json(cand)
        if _kind(doc) != "summary":
            continue
        named = (doc.get("batch") or {}).get("pairs_file")
        if named and Path(str(named)).name == pairs_file.name:
            out.append(cand)
    return out


def _digest(files: Sequence[Path]) -> str:
    h = hashlib.sha256()
    for f in files:
        h.update(f"{f.name}\0{file_digest(f)}\n".encode())
    return h.hexdigest()[:16]


def _read_pairs(path: Path, skipped: list[str]) -> list[Pair]:
    """Labelled Pair records of an imported pairs file; a bad or unlabelled line is a logged skip, and a file whose
    first record is not a Pair (another jsonl in the folder) is skipped whole."""
    out: list[Pair] = []
    bad = 0
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                p = Pair.model_validate_json(line)
            except (ValidationError, ValueError) as exc:
                if not out and not bad:
                    skipped.append(f"{path}: not an imported pairs file (line {lineno} is not a Pair record)")
                    return []
                bad += 1
                if bad <= 3:
                    skipped.append(f"{path}:{lineno}: not a Pair record ({str(exc).splitlines()[0][:120]})")
                continue
            if p.label is None:
                skipped.append(f"{path}:{lineno}: pair {p.id} has no label")
                continue
            out.append(p)
    if bad > 3:
        skipped.append(f"{path}: {bad - 3} more lines that are not Pair records")
    return out


def _span(value: Any, n: int) -> tuple[int, int] | None:
    if isinstance(value, list | tuple) and len(value) == 2 and all(isinstance(v, int) for v in value):
        s, e = value
        if 0 <= s < e <= n:
            return s, e
    return None


def _first(value: Any) -> str | None:
    if isinstance(value, list):
        return str(value[0]) if value else None
    return None if value is None else str(value)


def _article(doc: Mapping[str, Any], path: Path, articles: Mapping[str, Article], search: Sequence[Path]) -> Article:
    aid = str(doc.get("article_id") or Path(str(doc["article"])).stem)
    if aid in articles:
        return articles[aid]
    f = article_file(path, str(doc["article"]), search)  # the gold module's lookup order
    return Article(id=aid, text=f.read_text(encoding="utf-8"), source=str(f))


def load_imported_gold(
    path: Path, doc: Mapping[str, Any], articles: Mapping[str, Article], search: Sequence[Path], skipped: list[str]
) -> tuple[GoldRecords, list[tuple[dict[str, Any], str | None, str | None]]]:
    """An imported gold file with the annotators' spans as written (the data/gold reader would search the text).

    Returns the gold article (quotes keyed by their file ids, annotator kept) and its ``extra_pairs`` entries with
    the article ids of their two quotes. A file without spans (hand-written) is read by the data/gold reader.
    """
    art = _article(doc, path, articles, search)
    if not all(_span(s, len(art.text)) for q in doc["quotes"] for s in q.get("spans") or [None]):
        g = load_records(path, {art.id: art, **articles}, search)
        return g, []
    quotes: dict[str, Quote] = {}
    for q in doc["quotes"]:
        spans = [_span(s, len(art.text)) for s in q["spans"]]
        try:
            quotes[str(q["id"])] = Quote(
                id=quote_id(art.id, spans),  # type: ignore[arg-type]
                article_id=art.id,
                text=str(q["text"]),
                type=q["type"],
                speaker=_first(q.get("speaker")),
                cue=q.get("cue"),
                target=_first(q.get("target")),
                spans=spans,  # type: ignore[arg-type]
                speaker_span=_span(q.get("speaker_span"), len(art.text)),
                cue_span=_span(q.get("cue_span"), len(art.text)),
                rule="annotated",
                annotator=str(q.get("annotator") or "annotator"),
            )
        except (ValidationError, KeyError) as exc:
            skipped.append(f"{path}: quote {q.get('id')!r} skipped ({str(exc).splitlines()[0][:120]})")
    pairs = [
        (str(p["a"]), str(p["b"]), str(p["label"]))
        for p in doc.get("pairs", [])
        if p.get("label") and str(p["a"]) in quotes and str(p["b"]) in quotes
    ]
    extra = [(p, article_of(p.get("a")), article_of(p.get("b"))) for p in doc.get("extra_pairs", [])]
    split = "heldout" if doc.get("split") == "heldout" else "dev"
    return GoldRecords(article=art, quotes=quotes, pairs=pairs, split=split), extra


def article_of(qid: Any) -> str | None:
    """The article id of a quote id ``<article>:<start>-<end>[+...]``."""
    return str(qid).rsplit(":", 1)[0] if isinstance(qid, str) and ":" in qid else None


def _times(doc: Mapping[str, Any]) -> list[str]:
    out = []
    for a in doc.get("annotations", []) or []:
        out += [a.get("created_at"), a.get("updated_at")]
    for key in ("pairs", "extra_pairs", "disputed_pairs", "quotes"):
        out += [p.get("updated_at") for p in doc.get(key, []) or []]
    return [str(t) for t in out if t]


def load_batch(entry: str | Path, articles: Mapping[str, Article], search: Sequence[Path]) -> AnnotationBatch:
    """Read one entry; files it cannot use are logged skips, a missing entry is an error naming it."""
    entry = Path(entry)
    if not entry.exists():
        raise FileNotFoundError(f"pairs.annotations: {entry} not found (an import dir or imported pairs file)")
    files = batch_files(entry)
    digest = _digest(files)
    batch = AnnotationBatch(id=f"ls-{digest[:8]}", path=str(entry), digest=digest, split="natural")
    batch.files = [str(f) for f in files]
    names: set[str] = set()
    times: list[str] = []
    heldout = False
    a: Quote | str | None  # the quotes of a gold pair, then the quote ids of an extra pair
    b: Quote | str | None
    for f in files:
        if f.suffix == ".jsonl":
            pairs = _read_pairs(f, batch.skipped)
            batch.pairs += pairs
            names |= {v for p in pairs for v in p.annotator.split(",") if v}
            continue
        doc = _safe_json(f)
        kind = _kind(doc)
        if kind == "summary":
            info = doc.get("batch") or {}
            batch.source = batch.source or doc.get("source")
            names |= set(info.get("annotators", []))
            times += [t for t in (info.get("first_annotation"), info.get("last_annotation")) if t]
            heldout |= info.get("split") == "heldout"
        elif kind == "gold":
            try:
                g, extra = load_imported_gold(f, doc, articles, search, batch.skipped)
            except (OSError, ValueError, KeyError) as exc:
                batch.skipped.append(f"{f}: gold file skipped ({exc})")
                continue
            batch.gold.append(g)
            heldout |= g.split == "heldout"
            for p in doc.get("pairs", []):
                a, b = g.quotes.get(str(p.get("a"))), g.quotes.get(str(p.get("b")))
                if a is not None and b is not None:
                    batch.voters[(a.id, b.id)] = ",".join(str(v) for v in p.get("annotators", []))
            names |= {str(a) for a in doc.get("annotators", [])}
            times += _times(doc)
            for p, a, b in extra:
                made = _extra_pair(p, a, b, g, batch.skipped, f)
                if made is not None:
                    batch.extra_pairs.append(made)
        else:
            batch.skipped.append(f"{f}: neither a gold file nor an import summary")
    batch.split = "heldout" if heldout else "natural"
    batch.annotators = sorted(names)
    batch.first, batch.last = (min(times), max(times)) if times else (None, None)
    for s in batch.skipped:
        log.warning("pairs.annotations %s: %s", batch.id, s)
    return batch


def _extra_pair(p: Mapping[str, Any], a: str | None, b: str | None, g: GoldRecords, skipped: list[str], f: Path):
    label = p.get("label")
    if not label or not str(p.get("premise", "")).strip() or not str(p.get("hypothesis", "")).strip():
        skipped.append(f"{f}: extra pair {p.get('pair_id')!r} has no label or texts")
        return None
    return Pair(
        id=str(p.get("pair_id") or f"ann:{g.article.id}:{p.get('a')}-{p.get('b')}"),
        premise=str(p["premise"]),
        hypothesis=str(p["hypothesis"]),
        label=label,
        origin=ORIGIN,
        premise_quote_id=p.get("a"),
        hypothesis_quote_id=p.get("b"),
        article_ids=sorted({x for x in (a, b, g.article.id) if x}),
        annotator=",".join(str(v) for v in p.get("annotators", [])),
    )


def load_batches(
    entries: Iterable[str | Path], articles: Mapping[str, Article], search: Sequence[Path]
) -> list[AnnotationBatch]:
    """Every entry of ``pairs.annotations`` in order; two entries with the same content count once."""
    out: list[AnnotationBatch] = []
    for e in entries:
        b = load_batch(e, articles, search)
        if any(o.digest == b.digest for o in out):
            log.warning("pairs.annotations: %s repeats an earlier entry (same files): read once", e)
            continue
        out.append(b)
    return out
