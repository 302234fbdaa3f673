"""BIO tags of attribution roles over sub-word tokens, and the decoder from tags back to attribution records.

Pure logic (no torch, no spaCy), so the encoding and the decoding are tested against gold without a model. The
tagger labels every token with one of :data:`LABELS` (cue, source, content; B- opens a span, I- continues one).
PolNeAR attributions do not nest (no cue lies inside another attribution's content), so one flat tag per token
holds them; where roles would overlap, cue beats source beats content.

Decoding (:func:`decode`) turns the tagged spans into records: every cue span is one attribution; each content
piece joins the cue it is nearest to (character gap, with penalties for sentence and paragraph breaks and for
another cue in between), so a quote split around its frame ("A," he said, "B") or running over several
sentences becomes one record with several pieces; each source joins its nearest cue, and a cue left without
one borrows the nearest source of its own sentence ("X said A and added B").
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

Span = tuple[int, int]
ROLES = ("cue", "source", "content")
LABELS = ("O", "B-cue", "I-cue", "B-source", "I-source", "B-content", "I-content")
LABEL2ID = {name: i for i, name in enumerate(LABELS)}
_PRIORITY = {"cue": 3, "source": 2, "content": 1}  # where two roles cover a character, the higher one tags it
_ROLE_OF_CODE = {0: None, 1: "content", 2: "source", 3: "cue"}
_WORDY = re.compile(r"[^\W_]")
_SENT_BREAK = re.compile(r"[.!?…][\"”’')\]]*\s+(?=[\"“‘'(\[]?[A-Z0-9])")


@dataclass(frozen=True)
class Linking:
    """Costs of the content/source-to-cue assignment (characters; set on PolNeAR dev with gold tags)."""

    sentence_penalty: float = 60.0
    paragraph_penalty: float = 400.0
    crossing_cue_penalty: float = 1000.0
    max_cost: float = 400.0
    source_max_cost: float = 150.0
    borrow_source: bool = True


@dataclass
class TaggedSpan:
    role: str
    start: int
    end: int
    score: float = 1.0


@dataclass
class Record:
    """One decoded attribution: a cue, its source (possibly none) and its content pieces, in text order."""

    cue: tuple[Span, ...]
    content: tuple[Span, ...]
    source: tuple[Span, ...] = ()
    confidence: float = 1.0
    scores: list[float] = field(default_factory=list, repr=False)


# ---- encoding: gold spans -> token labels ------------------------------------------------------------------------
def char_roles(length: int, attributions: Iterable[object]) -> tuple[np.ndarray, dict[str, list[int]]]:
    """Per-character role code (0 none, 1 content, 2 source, 3 cue) and the span starts of each role.

    ``attributions``: objects with ``.cue``, ``.source`` and ``.content`` tuples of (start, end) spans.
    """
    codes = np.zeros(length, dtype=np.int8)
    starts: dict[str, set[int]] = {r: set() for r in ROLES}
    for role in ("content", "source", "cue"):  # ascending priority: later roles overwrite
        code = _PRIORITY[role]
        for att in attributions:
            for s, e in getattr(att, role):
                s, e = max(0, s), min(length, e)
                if s < e:
                    codes[s:e] = np.maximum(codes[s:e], code)
                    starts[role].add(s)
    return codes, {r: sorted(v) for r, v in starts.items()}


def token_labels(offsets: Sequence[Span], codes: np.ndarray, starts: dict[str, list[int]]) -> list[int]:
    """Label ids of tokens given by character ``offsets`` (special tokens with an empty span get label O)."""
    labels: list[int] = []
    prev_role: str | None = None
    for s, e in offsets:
        if e <= s:
            labels.append(LABEL2ID["O"])
            prev_role = None
            continue
        role = _ROLE_OF_CODE[int(codes[s:e].max())]
        if role is None:
            labels.append(LABEL2ID["O"])
        else:
            marks = starts[role]
            begins = role != prev_role or bisect.bisect_left(marks, s) < bisect.bisect_left(marks, e)
            labels.append(LABEL2ID[("B-" if begins else "I-") + role])
        prev_role = role
    return labels


# ---- tags -> spans -------------------------------------------------------------------------------------------
def tag_spans(
    offsets: Sequence[Span], label_ids: Sequence[int], probs: Sequence[float] | None = None
) -> list[TaggedSpan]:
    """Maximal runs of one role: a B- tag or a change of role opens a span (an I- after O is read as B-)."""
    out: list[TaggedSpan] = []
    cur: TaggedSpan | None = None
    scores: list[float] = []
    for k, ((s, e), lid) in enumerate(zip(offsets, label_ids, strict=True)):
        name = LABELS[int(lid)]
        if e <= s:
            continue
        if name == "O":
            if cur is not None:
                cur.score = float(np.mean(scores))
                out.append(cur)
            cur = None
            continue
        bio, role = name.split("-", 1)
        if cur is None or cur.role != role or bio == "B":
            if cur is not None:
                cur.score = float(np.mean(scores))
                out.append(cur)
            cur, scores = TaggedSpan(role, s, e), []
        cur.end = max(cur.end, e)
        scores.append(float(probs[k]) if probs is not None else 1.0)
    if cur is not None:
        cur.score = float(np.mean(scores))
        out.append(cur)
    return out


def sentence_starts(text: str) -> list[int]:
    """Offsets where a sentence starts: after end punctuation followed by a capital, and after every line break."""
    starts = {0}
    starts.update(m.end() for m in _SENT_BREAK.finditer(text))
    starts.update(m.end() for m in re.finditer(r"\n+", text))
    return sorted(starts)


def paragraph_starts(text: str) -> list[int]:
    return sorted({0, *(m.end() for m in re.finditer(r"\n+", text))})


class _Layout:
    """Sentence and paragraph numbers of character offsets."""

    def __init__(self, text: str) -> None:
        self.sents = sentence_starts(text)
        self.paras = paragraph_starts(text)

    def sent(self, pos: int) -> int:
        return bisect.bisect_right(self.sents, pos) - 1

    def para(self, pos: int) -> int:
        return bisect.bisect_right(self.paras, pos) - 1


def _cost(a: TaggedSpan, cue: TaggedSpan, lay: _Layout, cue_starts: list[int], link: Linking) -> float:
    """How far apart a span and a cue are: the character gap, plus penalties for breaks and cues in between."""
    if a.end <= cue.start:
        lo, hi = a.end, cue.start
    elif cue.end <= a.start:
        lo, hi = cue.end, a.start
    else:
        lo = hi = max(a.start, cue.start)
    cost = float(hi - lo)
    cost += link.sentence_penalty * abs(lay.sent(a.start if a.start > cue.start else a.end - 1) - lay.sent(cue.start))
    if lay.para(a.start) != lay.para(cue.start):
        cost += link.paragraph_penalty * abs(lay.para(a.start) - lay.para(cue.start))
    between = bisect.bisect_left(cue_starts, hi) - bisect.bisect_left(cue_starts, lo)
    if between > 0:
        cost += link.crossing_cue_penalty * between
    return cost


def decode(text: str, spans: Sequence[TaggedSpan], link: Linking | None = None) -> list[Record]:
    """Attribution records from tagged spans: one per cue that gets at least one content piece."""
    link = link or Linking()
    lay = _Layout(text)
    cues = sorted((s for s in spans if s.role == "cue"), key=lambda s: s.start)
    if not cues:
        return []
    cue_starts = [c.start for c in cues]
    contents: dict[int, list[TaggedSpan]] = {}
    sources: dict[int, list[tuple[float, TaggedSpan]]] = {}
    for sp in spans:
        if sp.role == "cue" or not _WORDY.search(text, sp.start, sp.end):
            continue  # a piece of punctuation alone ("," between two quoted pieces) is no content or source
        costs = [_cost(sp, c, lay, cue_starts, link) for c in cues]
        k = int(np.argmin(costs))
        if sp.role == "content" and costs[k] <= link.max_cost:
            contents.setdefault(k, []).append(sp)
        elif sp.role == "source" and costs[k] <= link.source_max_cost:
            sources.setdefault(k, []).append((costs[k], sp))
    src_spans = [sp for sp in spans if sp.role == "source" and _WORDY.search(text, sp.start, sp.end)]
    records: list[Record] = []
    for k, cue in enumerate(cues):
        pieces = sorted(contents.get(k, []), key=lambda s: s.start)
        if not pieces:
            continue
        mine = sources.get(k, [])
        source: TaggedSpan | None = min(mine, key=lambda t: t[0])[1] if mine else None
        if source is None and link.borrow_source:
            same = [s for s in src_spans if lay.sent(s.start) == lay.sent(cue.start) and s.end <= cue.start]
            source = max(same, key=lambda s: s.start) if same else None
        parts = [cue, *pieces, *([source] if source else [])]
        scores = [p.score for p in parts]
        records.append(
            Record(
                cue=((cue.start, cue.end),),
                content=tuple(merge_spans((p.start, p.end) for p in pieces)),
                source=((source.start, source.end),) if source else (),
                confidence=float(np.mean(scores)),
                scores=scores,
            )
        )
    return records


def merge_spans(spans: Iterable[Span]) -> list[Span]:
    """Sorted, overlapping or touching spans merged: a record's spans must be ordered and disjoint."""
    out: list[list[int]] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return [(s, e) for s, e in out]


def gold_spans(offsets: Sequence[Span], text_len: int, attributions: Iterable[object]) -> list[TaggedSpan]:
    """The spans a perfect tagger would output for ``attributions`` (the decoder's ceiling, and its tests)."""
    codes, starts = char_roles(text_len, list(attributions))
    return tag_spans(offsets, token_labels(offsets, codes, starts))
