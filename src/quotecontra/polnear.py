"""PolNeAR reader: brat standoff attributions (Source / Cue / Content) over the article texts.

Layout (``../shared/polnear``): ``metadata.tsv`` lists every article with its compartment (train/dev/test) and its
annotators; ``<split>/text/<filename>.txt`` is the raw text and ``<split>/attributions/<filename>_<annotator>.ann``
the annotation of one annotator. Offsets are code points, end-exclusive; a discontinuous span is written
``start end;start end``. Articles annotated by several annotators (agreement checks) are read once, with the first
annotator listed in the metadata that has a file, so every run reads the same annotation.
"""

from __future__ import annotations

import csv
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from quotecontra.readers import ReadReport, Skip
from quotecontra.records import Article, Span

log = logging.getLogger(__name__)

SPLITS = ("train", "dev", "test")
ROLES = ("content", "source", "cue")
_T_LINE = re.compile(r"^(T\d+)\t(\S+) ([\d ;]+)\t(.*)$")
_E_LINE = re.compile(r"^(E\d+)\t(.*)$")


@dataclass(frozen=True)
class Attribution:
    """One gold attribution: the spans of its content, source (empty when unattributed) and cue."""

    id: str
    content: tuple[Span, ...]
    cue: tuple[Span, ...]
    source: tuple[Span, ...] = ()

    def role(self, name: str) -> tuple[Span, ...]:
        return {"content": self.content, "cue": self.cue, "source": self.source}[name]


@dataclass
class PolnearDoc:
    """An article and its gold attributions (one annotator's)."""

    article: Article
    attributions: list[Attribution]
    annotator: str
    skipped_events: int = 0


@dataclass
class AnnFile:
    """A parsed .ann file: text-bound annotations by id and attribution events as role -> T ids."""

    spans: dict[str, tuple[str, tuple[Span, ...], str]] = field(default_factory=dict)  # id -> (type, spans, text)
    events: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # id -> {role: [T ids]}
    bad_lines: int = 0


def parse_spans(field_text: str) -> tuple[Span, ...]:
    """'12 20;25 30' -> ((12, 20), (25, 30)); raises ValueError on a malformed or empty fragment."""
    out: list[Span] = []
    for frag in field_text.split(";"):
        start, end = (int(x) for x in frag.split())
        if not 0 <= start < end:
            raise ValueError(f"bad span {frag!r}")
        out.append((start, end))
    return tuple(out)


def parse_ann(text: str) -> AnnFile:
    """Parse brat standoff. A T line's text may contain a newline (a span across lines): its continuation
    lines match no pattern and are ignored, since offsets, not the echoed text, are authoritative."""
    ann = AnnFile()
    for line in text.splitlines():
        if m := _T_LINE.match(line):
            tid, typ, offsets, span_text = m.groups()
            try:
                ann.spans[tid] = (typ, parse_spans(offsets), span_text)
            except ValueError:
                ann.bad_lines += 1
        elif m := _E_LINE.match(line):
            eid, args = m.groups()
            roles: dict[str, list[str]] = {}
            for arg in args.split():
                if ":" not in arg:
                    continue
                role, ref = arg.split(":", 1)
                # Content2, Content3 ... continue the content; the trigger (Attribution[-no-source]) is the event type.
                key = re.sub(r"\d+$", "", role).lower()
                roles.setdefault(key, []).append(ref)
            ann.events[eid] = roles
        # Comments (#), relations and continuation lines carry nothing the evaluation uses.
    return ann


def attributions_from(ann: AnnFile) -> tuple[list[Attribution], int]:
    """Attribution events with a content and a cue; returns them and the count of incomplete events skipped."""
    out: list[Attribution] = []
    skipped = 0
    for eid, roles in ann.events.items():

        def spans_of(role: str, roles: dict[str, list[str]] = roles) -> tuple[Span, ...]:
            found = [s for ref in roles.get(role, []) if ref in ann.spans for s in ann.spans[ref][1]]
            return tuple(sorted(set(found)))

        content, cue, source = spans_of("content"), spans_of("cue"), spans_of("source")
        if not content or not cue:
            skipped += 1
            continue
        out.append(Attribution(id=eid, content=content, cue=cue, source=source))
    out.sort(key=lambda a: (a.content[0], a.id))
    return out, skipped


def read_metadata(root: Path) -> list[dict[str, str]]:
    """Rows of metadata.tsv (compartment, filename, annotators, publisher, title, ...)."""
    path = Path(root) / "metadata.tsv"
    if not path.exists():
        raise FileNotFoundError(f"PolNeAR metadata not found at {path}: set data.shared_dir to the shared folder")
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))


def split_filenames(root: Path, split: str) -> list[str]:
    """Article file stems of one split, in metadata order."""
    if split not in SPLITS:
        raise ValueError(f"unknown PolNeAR split {split!r}; expected one of {SPLITS}")
    return [r["filename"] for r in read_metadata(root) if r["compartment"] == split]


def iter_polnear(
    root: Path, split: str, max_articles: int = 0, report: ReadReport | None = None
) -> Iterator[PolnearDoc]:
    """Stream one split's articles with gold attributions; unreadable articles become counted skips."""
    root = Path(root)
    report = report if report is not None else ReadReport()
    if split not in SPLITS:
        raise ValueError(f"unknown PolNeAR split {split!r}; expected one of {SPLITS}")
    rows = [r for r in read_metadata(root) if r["compartment"] == split]
    n = 0
    for row in rows:
        if max_articles and n >= max_articles:
            break
        name = row["filename"]
        text_path = root / split / "text" / f"{name}.txt"
        annotators = [a for a in row.get("annotators", "").split("|") if a]
        ann_path = next(
            (p for a in annotators if (p := root / split / "attributions" / f"{name}_{a}.ann").exists()), None
        )
        if ann_path is None:
            candidates = sorted((root / split / "attributions").glob(f"{name}_*.ann"))
            ann_path = candidates[0] if candidates else None
        if not text_path.exists() or ann_path is None:
            report.add_skip(Skip(str(text_path), "missing: text or annotation file absent"))
            continue
        try:
            # newline="" keeps the text byte-for-byte so the code-point offsets stay valid.
            with text_path.open(encoding="utf-8", newline="") as fh:
                text = fh.read()
            ann = parse_ann(ann_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            report.add_skip(Skip(str(text_path), f"unreadable: {exc}"))
            continue
        attributions, skipped = attributions_from(ann)
        out_of_range = [a for a in attributions if any(e > len(text) for r in ROLES for _, e in a.role(r))]
        if out_of_range:
            report.add_skip(Skip(str(ann_path), f"offsets: {len(out_of_range)} attributions beyond the text"))
            continue
        title = text.split("\n", 1)[0].strip()
        article = Article(
            id=name,
            title=row.get("title") or title,
            text=text,
            source=str(text_path),
            meta={k: row.get(k, "") for k in ("publisher", "publication_date", "author", "compartment")},
        )
        report.read += 1
        n += 1
        yield PolnearDoc(
            article=article,
            attributions=attributions,
            annotator=ann_path.stem.rsplit("_", 1)[1],
            skipped_events=skipped,
        )
