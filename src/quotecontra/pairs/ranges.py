"""Robust relations between sets of values whose ends are only known within bounds (times, counts).

A claim with a time or a count restricts one value: "will reopen by March" allows the reopening any time up to
March, "at least four depots will close" allows any count from four. Such a set is an interval whose ends are
vague: "by March" ends at the start or at the end of March depending on the reader; a bare "six depots" is
exactly six for one reader and at least six for another. A :class:`Span` keeps the range of each end, and
:func:`relation` returns a label only when it is the same under every reading of both sides. Pairs whose label
depends on the reading are never made.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from quotecontra.records import Label

INF = math.inf


@dataclass(frozen=True)
class Span:
    """The allowed values ``[lo, hi]`` with ``lo`` somewhere in ``[lo_min, lo_max]`` and ``hi`` in ``[hi_min, hi_max]``.

    ``empty_ok`` marks a set that also allows "no such event at all" ("will not reopen before the summer" is true
    if the plant never reopens): such a premise never entails a claim that the event happens, and two such sets
    are always compatible.
    """

    lo_min: float
    lo_max: float
    hi_min: float
    hi_max: float
    empty_ok: bool = False

    def __post_init__(self) -> None:
        if not (self.lo_min <= self.lo_max and self.hi_min <= self.hi_max and self.lo_min <= self.hi_max):
            raise ValueError(f"inconsistent span bounds {self}")

    @property
    def core(self) -> tuple[float, float]:
        """Values allowed under every reading (may be empty: lo > hi)."""
        return self.lo_max, self.hi_min

    @property
    def hull(self) -> tuple[float, float]:
        """Values allowed under some reading."""
        return self.lo_min, self.hi_max


def exact(lo: float, hi: float | None = None, empty_ok: bool = False) -> Span:
    """A span with sharp ends (one value when ``hi`` is omitted)."""
    hi = lo if hi is None else hi
    return Span(lo, lo, hi, hi, empty_ok)


def relation(p: Span, h: Span) -> Label | None:
    """Entailment when every value p allows is allowed by h, contradiction when no value is allowed by both,
    neutral when some value is allowed by both and some value of p is not allowed by h; each under every
    reading. None when the readings disagree."""
    (pc_lo, pc_hi), (ph_lo, ph_hi) = p.core, p.hull
    (hc_lo, hc_hi), (hh_lo, hh_hi) = h.core, h.hull
    p_core = pc_lo <= pc_hi
    h_core = hc_lo <= hc_hi
    if (not p.empty_ok or h.empty_ok) and h_core and hc_lo <= ph_lo and ph_hi <= hc_hi:
        return "entailment"
    if not (p.empty_ok and h.empty_ok) and (ph_hi < hh_lo or hh_hi < ph_lo):
        return "contradiction"
    compatible = (p.empty_ok and h.empty_ok) or (p_core and h_core and max(pc_lo, hc_lo) <= min(pc_hi, hc_hi))
    not_entailed = (p.empty_ok and not h.empty_ok) or (p_core and (pc_lo < hh_lo or pc_hi > hh_hi))
    if compatible and not_entailed:
        return "neutral"
    return None
