"""Bounds on one article's cost: a time budget, paragraph windows for long texts, a cap on one reported clause.

A corpus must never be hostage to one article. Long articles are parsed in windows of whole paragraphs (so spaCy's
``nlp.max_length`` and its memory per Doc never matter), every rule loop checks the article's time budget, and a
reported clause longer than any real sentence is not listed at all (a chain of nested clauses would otherwise cost
the square of its length). An article over budget is skipped with a logged reason; the batch goes on.
"""

from __future__ import annotations

import re
import time

from quotecontra.records import Quote, quote_id

WINDOW_CHARS = 100_000
"""Articles longer than this (characters) are parsed window by window, each at most this long."""
MAX_CLAUSE_TOKENS = 300
"""A reported clause with more tokens is not a record (the longest on the sample corpus has 36 words)."""

_SENT_END_RX = re.compile(r"[.!?…][\"”’')\]]*\s")
_SPACE_RX = re.compile(r"\s")


class BudgetExceeded(RuntimeError):
    """One article ran past ``annotate.max_seconds_per_article``."""


class Budget:
    """A deadline for one article; ``seconds <= 0`` means no limit."""

    def __init__(self, seconds: float) -> None:
        self.seconds = float(seconds)
        self.started = time.perf_counter()
        self.deadline = self.started + self.seconds if self.seconds > 0 else float("inf")

    def check(self, where: str) -> None:
        """Raise :class:`BudgetExceeded` once the deadline has passed (``where`` says how far the article got)."""
        if time.perf_counter() > self.deadline:
            spent = time.perf_counter() - self.started
            raise BudgetExceeded(
                f"over annotate.max_seconds_per_article={self.seconds:g} ({spent:.1f}s spent, stopped at {where})"
            )

    def project(self, done: int, total: int) -> None:
        """After ``done`` of ``total`` equal steps: give up now if the pace so far cannot finish in time.

        A 13 MB article parsed in windows would otherwise spend the whole budget before being skipped anyway.
        """
        spent = time.perf_counter() - self.started
        if self.seconds > 0 and 0 < done < total and spent / done * total > self.seconds:
            raise BudgetExceeded(
                f"over annotate.max_seconds_per_article={self.seconds:g}: {done} of {total} windows took "
                f"{spent:.1f}s, all would take about {spent / done * total:.0f}s"
            )


def _cut(text: str, start: int, end: int, limit: int) -> list[tuple[int, int]]:
    """A paragraph longer than ``limit`` in pieces: after the last sentence end, else the last space, else hard."""
    pieces: list[tuple[int, int]] = []
    while end - start > limit:
        stop = start + limit
        ends = [m.end() for m in _SENT_END_RX.finditer(text, start, stop)]
        if not ends:
            ends = [m.end() for m in _SPACE_RX.finditer(text, max(start, stop - limit // 4), stop)]
        cut = ends[-1] if ends and ends[-1] > start else stop
        pieces.append((start, cut))
        start = cut
    pieces.append((start, end))
    return pieces


def windows(text: str, paras: list[tuple[int, int]], limit: int = WINDOW_CHARS) -> list[tuple[int, int]]:
    """Character ranges of at most ``limit`` characters that hold whole paragraphs (``paras``, in order).

    Consecutive paragraphs share a window while they fit; one paragraph longer than the limit is cut into pieces
    at sentence ends. Every paragraph character falls in exactly one window.
    """
    if limit < 1:
        raise ValueError(f"window limit must be positive, got {limit}")
    out: list[tuple[int, int]] = []
    ws = we = -1
    for s, e in paras:
        if ws >= 0 and e - ws <= limit:
            we = e
            continue
        if ws >= 0:
            out.append((ws, we))
        if e - s > limit:
            *whole, last = _cut(text, s, e, limit)
            out.extend(whole)
            ws, we = last
        else:
            ws, we = s, e
    if ws >= 0:
        out.append((ws, we))
    return out


def shift(quote: Quote, offset: int, article_id: str) -> Quote:
    """A record found in a window, moved to the article's offsets (its id follows its spans)."""
    if offset == 0:
        return quote

    def moved(span: tuple[int, int] | list[int] | None) -> tuple[int, int] | None:
        return None if span is None else (span[0] + offset, span[1] + offset)

    spans = [(s + offset, e + offset) for s, e in quote.spans]
    return quote.model_copy(
        update={
            "id": quote_id(article_id, spans),
            "spans": spans,
            "speaker_span": moved(quote.speaker_span),
            "cue_span": moved(quote.cue_span),
        }
    )
