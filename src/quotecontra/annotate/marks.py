"""Quotation-mark pairing: pure string logic, no spaCy.

News text mixes curly and straight marks, uses apostrophes that look like closing single quotes
(``the Farmers’ Union``, ``don’t``), forgets closing marks, and runs a quotation over several paragraphs by
repeating only the opening mark. Pairing is done per paragraph with a small state machine so that one bad mark
costs at most its own paragraph, never the article.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

Span = tuple[int, int]

DOUBLE_OPEN = frozenset("“«„‟")
DOUBLE_CLOSE = frozenset("”»")
SINGLE_OPEN = frozenset("‘‹")
SINGLE_CLOSE = frozenset("’›")
STRAIGHT_DOUBLE = '"'
STRAIGHT_SINGLE = "'"
ALL_MARKS = DOUBLE_OPEN | DOUBLE_CLOSE | SINGLE_OPEN | SINGLE_CLOSE | {STRAIGHT_DOUBLE, STRAIGHT_SINGLE}

_DOUBLE_RX = re.compile(r"[“”«»„‟\"]")
_SINGLE_RX = re.compile(r"[‘’‹›']")
_PARA_RX = re.compile(r"[^\n]+")
_OPEN_CONTEXT = set(" \t\n([{—–-/:;")
_CLOSE_PUNCT = set(",.;:!?)]}—–-…")
_SENT_END_RX = re.compile(r"[.!?…](?=\s|$)")


@dataclass
class Quotation:
    """One quotation: the words inside its marks, possibly in several pieces (split quote) or paragraphs."""

    spans: list[Span]
    """Content offsets [start, end) inside the marks, whitespace-trimmed; one per piece or paragraph."""
    outer: list[Span]
    """Offsets of each piece including its marks (a recovered side ends at the paragraph edge)."""
    marks: list[int] = field(default_factory=list)
    """Positions of the quotation-mark characters that belong to this quotation."""
    closed: bool = True
    recovered: bool = False
    multi_paragraph: bool = False
    split: bool = False

    @property
    def start(self) -> int:
        return self.outer[0][0]

    @property
    def end(self) -> int:
        return self.outer[-1][1]


def span_text(text: str, spans: Iterable[Span]) -> str:
    """The text a record's spans denote: the pieces joined with one space (the invariant every record obeys)."""
    return " ".join(text[s:e] for s, e in spans)


def paragraphs(text: str) -> list[Span]:
    """Offsets of the non-empty lines: news text puts each paragraph on its own line."""
    return [(m.start(), m.end()) for m in _PARA_RX.finditer(text) if text[m.start() : m.end()].strip()]


def trim(text: str, start: int, end: int) -> Span | None:
    """Shrink [start, end) past surrounding whitespace; None when nothing is left."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


def cut_spans(text: str, start: int, end: int, cuts: Iterable[int]) -> list[Span]:
    """Split [start, end) around the characters at ``cuts`` (quotation marks), trimming each piece."""
    out: list[Span] = []
    pos = start
    for c in sorted(c for c in cuts if start <= c < end):
        piece = trim(text, pos, c)
        if piece:
            out.append(piece)
        pos = c + 1
    piece = trim(text, pos, end)
    if piece:
        out.append(piece)
    return out


def _double_role(text: str, i: int, lo: int, hi: int, depth: int) -> str:
    ch = text[i]
    if ch in DOUBLE_OPEN:
        return "open"
    if ch in DOUBLE_CLOSE:
        return "close"
    prev = text[i - 1] if i > lo else " "
    nxt = text[i + 1] if i + 1 < hi else " "
    opens = prev in _OPEN_CONTEXT and not nxt.isspace()
    closes = not prev.isspace() and (nxt.isspace() or nxt in _CLOSE_PUNCT or nxt in ALL_MARKS)
    if opens and not closes:
        return "open"
    if closes and not opens:
        return "close"
    return "close" if depth else "open"


def _is_apostrophe(text: str, i: int, lo: int, hi: int) -> bool:
    prev = text[i - 1] if i > lo else " "
    nxt = text[i + 1] if i + 1 < hi else " "
    return prev.isalnum() and nxt.isalnum()  # don’t, O’Brien, rock’n’roll


def _single_openers(text: str, lo: int, hi: int) -> list[int]:
    out = []
    for m in _SINGLE_RX.finditer(text, lo, hi):
        i = m.start()
        ch = text[i]
        if ch in SINGLE_CLOSE or _is_apostrophe(text, i, lo, hi):
            continue
        prev = text[i - 1] if i > lo else " "
        nxt = text[i + 1] if i + 1 < hi else " "
        opens = prev in _OPEN_CONTEXT or prev in DOUBLE_OPEN or i == lo
        if opens and (nxt.isalnum() or nxt in DOUBLE_OPEN or nxt == STRAIGHT_DOUBLE):
            if ch == STRAIGHT_SINGLE and nxt.isdigit():
                continue  # '90s
            out.append(i)
    return out


def _single_closer(text: str, opener: int, lo: int, hi: int) -> int | None:
    """The closing single mark for ``opener``: a mark after punctuation or before punctuation wins; possessive
    plurals (``Farmers’ Union``) are taken only when nothing better closes the quotation."""
    weak: list[int] = []
    for m in _SINGLE_RX.finditer(text, opener + 1, hi):
        i = m.start()
        ch = text[i]
        if ch in SINGLE_OPEN or _is_apostrophe(text, i, lo, hi):
            continue
        prev = text[i - 1]
        nxt = text[i + 1] if i + 1 < hi else " "
        if prev.isspace():
            continue  # an opener or a leading elision (’em)
        if prev in _CLOSE_PUNCT or prev in "!?" or nxt in _CLOSE_PUNCT or i + 1 >= hi:
            return i
        if nxt.isspace():
            weak.append(i)
    if not weak:
        return None
    plain = [i for i in weak if text[i - 1].lower() != "s"]
    return (plain or weak)[0]


@dataclass
class _Open:
    para: int
    mark: int
    content_start: int
    pieces: list[Span] = field(default_factory=list)
    outer: list[Span] = field(default_factory=list)
    marks: list[int] = field(default_factory=list)


def _starts_with_opener(text: str, lo: int, hi: int) -> bool:
    span = trim(text, lo, hi)
    if span is None:
        return False
    ch = text[span[0]]
    return ch in DOUBLE_OPEN or ch == STRAIGHT_DOUBLE


def _pair_doubles(text: str, paras: Sequence[Span]) -> list[Quotation]:
    out: list[Quotation] = []
    carry: _Open | None = None  # a quotation continuing from the previous paragraph
    top: _Open | None
    for pi, (lo, hi) in enumerate(paras):
        stack: list[_Open] = []
        marks = [m.start() for m in _DOUBLE_RX.finditer(text, lo, hi)]
        if carry is not None:
            # Multi-paragraph quotation: this paragraph starts with a fresh opening mark for the same quotation.
            first = marks.pop(0)
            carry.mark = first
            carry.content_start = first + 1
            carry.marks.append(first)
            carry.para = pi
            stack.append(carry)
            carry = None
        last_end = lo
        for i in marks:
            role = _double_role(text, i, lo, hi, len(stack))
            if role == "open":
                if stack:
                    # A nested double quotation stays inside its parent: count it, do not emit it.
                    stack.append(_Open(pi, i, i + 1, marks=[-1]))
                    continue
                stack.append(_Open(pi, i, i + 1, marks=[i]))
                continue
            if not stack:
                # Stray closer: recover the opening at the paragraph start when nothing was quoted before it.
                if last_end == lo:
                    content = trim(text, lo, i)
                    if content:
                        out.append(Quotation([content], [(lo, i + 1)], [i], closed=True, recovered=True))
                        last_end = i + 1
                continue
            top = stack.pop()
            if top.marks == [-1]:
                continue  # closes a nested quotation
            content = trim(text, top.content_start, i)
            top.marks.append(i)
            if content:
                top.pieces.append(content)
                top.outer.append((top.mark, i + 1))
                out.append(
                    Quotation(
                        top.pieces,
                        top.outer,
                        top.marks,
                        closed=True,
                        multi_paragraph=len(top.pieces) > 1,
                    )
                )
            last_end = i + 1
        # Paragraph ends with a quotation still open: continue it, or recover its end at the paragraph edge.
        top = next((o for o in stack if o.marks != [-1]), None)
        if top is None:
            continue
        content = trim(text, top.content_start, hi)
        if content:
            top.pieces.append(content)
            top.outer.append((top.mark, hi))
        nxt = paras[pi + 1] if pi + 1 < len(paras) else None
        if content and nxt is not None and _starts_with_opener(text, *nxt):
            carry = top
        elif top.pieces:
            out.append(
                Quotation(
                    top.pieces, top.outer, top.marks, closed=False, recovered=True, multi_paragraph=len(top.pieces) > 1
                )
            )
    if carry is not None and carry.pieces:
        out.append(
            Quotation(carry.pieces, carry.outer, carry.marks, closed=False, recovered=True, multi_paragraph=True)
        )
    return out


def _pair_singles(text: str, paras: Sequence[Span], taken: Sequence[Span]) -> list[Quotation]:
    """Top-level single-quoted quotations (British style) outside every double-quoted region."""

    def inside(i: int) -> bool:
        return any(s <= i < e for s, e in taken)

    out: list[Quotation] = []
    for lo, hi in paras:
        pos = lo
        for opener in _single_openers(text, lo, hi):
            if opener < pos or inside(opener):
                continue
            closer = _single_closer(text, opener, lo, hi)
            if closer is None or any(s > opener and s < closer for s, _ in taken):
                continue
            content = trim(text, opener + 1, closer)
            if content:
                out.append(Quotation([content], [(opener, closer + 1)], [opener, closer]))
            pos = closer + 1
    return out


def _gap_is_attribution(text: str, gap: Span) -> bool:
    """A short frame between two pieces of one sentence: no sentence end, no paragraph break."""
    s = text[gap[0] : gap[1]]
    return "\n" not in s and len(s.split()) <= 12 and not _SENT_END_RX.search(s.rstrip().rstrip(",:—–-"))


def join_split(text: str, quotations: list[Quotation]) -> list[Quotation]:
    """Join the pieces of one sentence broken by an attribution: “The plan,” she said, “will be ready.”

    The first piece must not end its sentence and the second must start in lower case; a capitalised second
    piece starts a new quotation (the guide's "adding, “We only agreed …”" case).
    """
    out: list[Quotation] = []
    for q in quotations:
        prev = out[-1] if out else None
        if prev is not None and not prev.multi_paragraph and not q.multi_paragraph and prev.closed and q.end > prev.end:
            last = text[prev.spans[-1][1] - 1]
            first = text[q.spans[0][0]]
            if last in ",—–-…" and first.islower() and _gap_is_attribution(text, (prev.end, q.start)):
                prev.spans = prev.spans + q.spans
                prev.outer = prev.outer + q.outer
                prev.marks = prev.marks + q.marks
                prev.closed = q.closed
                prev.recovered = prev.recovered or q.recovered
                prev.split = True
                continue
        out.append(q)
    return out


def find_quotations(text: str, paras: Sequence[Span] | None = None) -> list[Quotation]:
    """All quotations of a text, in order: doubles first, then top-level single quotes, split pieces joined."""
    paras = paragraphs(text) if paras is None else paras
    doubles = _pair_doubles(text, paras)
    taken = [o for q in doubles for o in q.outer]
    singles = _pair_singles(text, paras, taken)
    found = sorted(doubles + singles, key=lambda q: q.start)
    return join_split(text, found)


def gaps(q: Quotation) -> list[Span]:
    """The attribution frames between the pieces of a split quotation."""
    return [(a[1], b[0]) for a, b in zip(q.outer, q.outer[1:], strict=False)] if q.split else []
