"""Timeline conflicts: the time of a one-off event moved, widened or narrowed ("by March" vs "not before the summer").

A claim about a single event at a time ("The plant will reopen in March") restricts when the event happens. Each
time phrase maps to a set of possible times (a :class:`~quotecontra.pairs.ranges.Span`, with vague ends where
readers differ: "by March" ends at the start or the end of March, summer starts on 1 or 21 June), and the label of
two versions of the claim follows from the sets: disjoint -> contradiction, contained -> entailment, overlapping ->
neutral, made only when every reading agrees (``ranges.relation``).

Times are compared only inside one *frame*: unqualified months, seasons, halves and quarters are assumed to be in
the same year; "this/next/last year" form another frame; weekdays, weeks and months relative to now are frames of
their own. A month is never compared with "next year" (whether "March" is this year's depends on when it was said).
Only once-only events (close, reopen, resign, sign ...) are used: "visited in March" and "visited in June" can both
be true. Negated variants ("will not reopen until June") also allow the event never to happen.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from quotecontra.pairs.contrast import glued_modal
from quotecontra.pairs.edits import merge_ops, modal, negate, positive, render
from quotecontra.pairs.morphology import match_case
from quotecontra.pairs.perturb import Sentence, SynPair, edited_side
from quotecontra.pairs.ranges import INF, Span, exact, relation

if TYPE_CHECKING:
    from quotecontra.records import Label

ORIGIN = "timeline"
# Once-only events: two different times for one of these cannot both be right.
_ONCE = frozenset(
    [
        "close",
        "shut",
        "reopen",
        "open",
        "launch",
        "resume",
        "restart",
        "start",
        "begin",
        "end",
        "finish",
        "complete",
        "stop",
        "halt",
        "cease",
        "resign",
        "retire",
        "quit",
        "leave",
        "join",
        "arrive",
        "die",
        "sign",
        "ratify",
        "approve",
        "pass",
        "sell",
        "buy",
        "acquire",
        "merge",
        "collapse",
        "fold",
        "publish",
        "release",
        "introduce",
        "implement",
        "expire",
        "lapse",
        "conclude",
        "settle",
        "return",
        "unveil",
        "announce",
        "deliver",
        "install",
        "finalise",
        "finalize",
        "submit",
        "file",
        "scrap",
        "cancel",
        "abandon",
        "award",
        "hand",
        "declare",
        "elect",
        "appoint",
        "sack",
        "dismiss",
        "fire",
        "hire",
        "reach",
        "take",
        "come",
        "go",
        "step",
    ]
)
# Verbs whose infinitive complement carries the event ("expected production to resume in March").
_CARRIERS = frozenset(
    ["expect", "plan", "aim", "intend", "hope", "promise", "pledge", "agree", "decide", "schedule", "set", "due", "vow"]
)
_MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
_DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_ORDINAL = {"first": 1, "second": 2, "third": 3, "fourth": 4}
# frame -> (first unit, last unit); months are counted in half months so seasons can start mid-month
FRAMES = {"month": (1, 24), "year": (1, 36), "day": (1, 7), "week": (1, 21), "relmonth": (1, 93)}


def _expressions() -> dict[str, tuple[str, Span]]:
    """Lower-case time expression -> (frame, the times it denotes)."""
    ex: dict[str, tuple[str, Span]] = {}
    for m, name in enumerate(_MONTHS, 1):
        ex[name] = ("month", exact(2 * m - 1, 2 * m))
        ex[f"early {name}"] = ("month", exact(2 * m - 1))
        ex[f"late {name}"] = ("month", exact(2 * m))
        ex[f"the end of {name}"] = ("month", exact(2 * m))
        ex[f"the start of {name}"] = ex[f"the beginning of {name}"] = ("month", exact(2 * m - 1))
    seasons = {"spring": Span(5, 6, 10, 11), "summer": Span(11, 12, 16, 17), "autumn": Span(17, 18, 22, 23)}
    seasons["fall"] = seasons["autumn"]
    for name, span in seasons.items():
        ex[name] = ex[f"the {name}"] = ("month", span)
    for word, k in _ORDINAL.items():
        ex[f"the {word} quarter"] = ex[f"the {word} quarter of the year"] = ("month", exact(6 * k - 5, 6 * k))
    for word, k in (("first", 1), ("second", 2)):
        ex[f"the {word} half"] = ex[f"the {word} half of the year"] = ("month", exact(12 * k - 11, 12 * k))
    for word, start in (("last", 1), ("this", 13), ("next", 25)):
        ex[f"{word} year"] = ("year", exact(start, start + 11))
        ex[f"early {word} year"] = ("year", Span(start, start, start + 1, start + 3))
        ex[f"late {word} year"] = ("year", Span(start + 8, start + 10, start + 11, start + 11))
        ex[f"the end of {word} year"] = ("year", Span(start + 9, start + 11, start + 11, start + 11))
        week = {"last": 1, "this": 8, "next": 15}[word]
        ex[f"{word} week"] = ("week", exact(week, week + 6))
        month = {"last": 1, "this": 32, "next": 63}[word]
        ex[f"{word} month"] = ("relmonth", exact(month, month + 30))
        ex[f"early {word} month"] = ("relmonth", Span(month, month, month + 4, month + 10))
        ex[f"the end of {word} month"] = ("relmonth", Span(month + 22, month + 28, month + 30, month + 30))
    ex["the end of the year"] = ex["the end of this year"]
    ex["the end of the month"] = ex["the end of this month"]
    ex["the end of the week"] = ("week", Span(11, 12, 14, 14))
    for d, name in enumerate(_DAYS, 1):
        ex[name] = ("day", exact(d))
    ex["the weekend"] = ("day", exact(6, 7))
    return ex


EXPRESSIONS = _expressions()
_PREPS = frozenset({"in", "by", "before", "after", "during", "on", "at", "until", "till"})


# When "now" can be in a frame that is relative to it; unqualified months and weekdays are not tied to now.
_NOW = {"year": range(13, 25), "week": range(8, 15), "relmonth": range(32, 63, 3)}


def event_span(
    prep: str,
    when: Span,
    frame: str,
    negated: bool = False,
    tense: str = "future",
    now: float | None = None,
    closing: bool = False,
) -> Span | None:
    """The times a claim allows for its event, from the preposition and the time it names (None: unsupported).

    ``now`` (in a frame relative to it) bounds a future event from below and a past one from above; "by/before
    the end of X" means within X or earlier.
    """
    lo: float
    lo, hi = FRAMES[frame]
    if now is not None and tense == "future":
        lo = now
    if negated:  # "will not reopen before/until X": not earlier than X (or never)
        if prep not in {"before", "until", "till"}:
            return None
        span = Span(max(when.lo_min, lo), max(when.lo_max, lo), hi, INF, empty_ok=True)
    elif prep in {"", "in", "during", "on", "at"}:
        span = when
    elif closing and prep in {"by", "before"}:
        span = Span(lo if now is not None else -INF, lo, when.hi_max, when.hi_max)
    elif prep == "by":  # by the start or by the end of X
        span = Span(lo if now is not None else -INF, lo, when.lo_min - 1, when.hi_max)
    elif prep == "before":
        span = Span(lo if now is not None else -INF, lo, when.lo_min - 1, when.lo_max - 1)
    elif prep == "after":
        span = Span(when.hi_min + 1, when.hi_max + 1, hi, INF)
    else:
        return None
    return _clip(span, now, tense)


def _clip(span: Span, now: float | None, tense: str) -> Span | None:
    """The span cut to the future (or past) of now; None when nothing is left (a future event last year)."""
    if now is None or tense not in {"future", "past"}:
        return span
    if tense == "future":
        if span.hi_max < now:
            return None
        lo_min, lo_max = max(span.lo_min, now), max(span.lo_max, now)
        hi_min, hi_max = max(span.hi_min, now), span.hi_max
    else:
        if span.lo_min > now:
            return None
        lo_min, lo_max = span.lo_min, min(span.lo_max, now)
        hi_min, hi_max = min(span.hi_min, now), min(span.hi_max, now)
    if hi_min < lo_min:
        return None
    return Span(lo_min, lo_max, hi_min, hi_max, span.empty_ok)


@dataclass(frozen=True)
class TimePhrase:
    """A time phrase of the claim (or a replacement for it): preposition, expression and whether it is negated."""

    prep: str
    expr: str
    negated: bool = False
    start: int = -1  # token indices of the phrase in the claim (source phrases only)
    end: int = -1

    @property
    def frame(self) -> str:
        return EXPRESSIONS[self.expr.lower()][0]

    def span(self, tense: str, now: float | None) -> Span | None:
        when = EXPRESSIONS[self.expr.lower()][1]
        prep = "until" if self.prep == "till" else self.prep
        closing = self.expr.lower().startswith("the end of")
        return event_span(prep, when, self.frame, self.negated, tense, now, closing)


def time_relation(a: TimePhrase, b: TimePhrase, tense: str) -> Label | None:
    """The label of "event at a" vs "event at b", the same for every position of now (None otherwise)."""
    labels = set()
    for now in _NOW.get(a.frame, [None]):
        sa, sb = a.span(tense, now), b.span(tense, now)
        if sa is None or sb is None:
            return None
        labels.add(relation(sa, sb))
    return labels.pop() if len(labels) == 1 else None


def _tense(doc, verb) -> str:
    """'past', 'future' or 'other' (simple present is habitual: no single event)."""
    auxes = [c.lower_ for c in verb.children if c.dep_ in {"aux", "auxpass"}]
    if verb.dep_ == "xcomp":
        return "future"
    if any(a in {"will", "'ll", "would", "shall", "wo", "'d"} for a in auxes) or "going" in auxes or glued_modal(verb):
        return "future"
    if verb.tag_ == "VBD" or any(a in {"had", "has", "have", "was", "were", "did"} for a in auxes):
        return "past"
    if verb.tag_ == "VBG" and auxes:
        return "future"
    return "other"


def event_verbs(doc, root) -> list:
    """The main verb when it is a once-only event, or the event verb under "expected/plans ... to"."""
    out = []
    if root.pos_ == "VERB" and root.lemma_.lower() in _ONCE:
        out.append(root)
    if root.lemma_.lower() in _CARRIERS:
        out += [c for c in root.children if c.dep_ == "xcomp" and c.lemma_.lower() in _ONCE]
    return out


def time_phrases(doc, verb) -> list[TimePhrase]:
    """Time phrases attached to the verb that name a known expression (no digits: years are the number family's)."""
    out = []
    for c in verb.children:
        toks = list(c.subtree)
        text = " ".join(t.lower_ for t in toks)
        text = re.sub(r"\s+-\s+", "-", text)
        if any(t.like_num and t.lower_ not in _ORDINAL for t in toks) or re.search(r"\d", text):
            continue
        if (c.dep_ == "prep" or (c.dep_ == "agent" and c.lower_ == "by")) and c.lower_ in _PREPS and len(toks) > 1:
            prep, expr = c.lower_, text.split(" ", 1)[1]
        elif c.dep_ in {"npadvmod", "advmod", "tmod", "obl"}:
            prep, expr = "", text
        else:
            continue
        if expr in EXPRESSIONS:
            out.append(TimePhrase(prep, expr, False, toks[0].i, toks[-1].i))
    return out


def alternatives(frame: str, tense: str) -> list[tuple[str, str, bool]]:
    """(preposition, expression, negated) replacements within one frame that read naturally for the tense."""
    if frame == "month":
        alts = [("in", m.capitalize(), False) for m in _MONTHS] + [("by", m.capitalize(), False) for m in _MONTHS]
        alts += [("before", "the summer", False), ("after", "the summer", False), ("by", "the summer", False)]
        alts += [("in", "the autumn", False), ("in", "the first half of the year", False)]
        alts += [("in", "the second half of the year", False), ("in", "early March", False)]
        alts += [("until", "the summer", True), ("until", "June", True), ("until", "the autumn", True)]
        alts += [("before", "April", True), ("until", "September", True), ("before", "February", True)]
    elif frame == "year":
        alts = [("", "this year", False), ("", "next year", False), ("", "last year", False)]
        alts += [("", "early next year", False), ("by", "the end of the year", False)]
        alts += [("by", "the end of next year", False), ("until", "next year", True)]
    elif frame == "day":
        alts = [("on", d.capitalize(), False) for d in _DAYS[:5]] + [("by", "Friday", False)]
        alts += [("before", "the weekend", False), ("until", "Thursday", True), ("until", "the weekend", True)]
    elif frame == "week":
        alts = [("", "last week", False), ("", "this week", False), ("", "next week", False)]
        alts += [("by", "the end of the week", False), ("until", "next week", True)]
    else:
        alts = [("", "last month", False), ("", "this month", False), ("", "next month", False)]
        alts += [("at", "the end of the month", False), ("by", "the end of the month", False)]
        alts += [("", "early next month", False), ("until", "next month", True)]
    if tense == "past":
        alts = [a for a in alts if a[0] not in {"by", "before"} or a[2]]
        alts = [a for a in alts if "next" not in a[1]]
    elif tense == "future":
        alts = [a for a in alts if "last" not in a[1]]
    return alts


def _phrase_ops(doc, tp: TimePhrase, prep: str, expr: str) -> dict[int, str]:
    text = f"{prep} {expr}".strip()
    first = doc[tp.start]
    ops = {i: "" for i in range(tp.start, tp.end + 1)}
    ops[tp.start] = match_case(text, first.text) if tp.start == first.sent.start else text
    return ops


def timeline_pairs(doc, rng: random.Random, per_label: int = 2) -> list[SynPair]:
    """Versions of the claim with its event's time changed, and every robustly labelled pair among them."""
    out: list[SynPair] = []
    for sent in doc.sents:
        root = sent.root
        if not positive(root) or modal(root):
            continue
        for verb in event_verbs(doc, root):
            tense = _tense(doc, verb)
            if tense == "other":
                continue
            for tp in time_phrases(doc, verb):
                out += _phrase_family(doc, root, verb, tp, tense, rng, per_label)
                break  # one time phrase per verb: two moved at once would blur which one conflicts
    return out


def _phrase_family(doc, root, verb, tp: TimePhrase, tense: str, rng: random.Random, per_label: int):
    source = Sentence(render(doc, {}), 0)
    versions: list[tuple[Sentence, TimePhrase]] = [(source, tp)]
    by_label: dict[str, list[tuple[Sentence, TimePhrase]]] = {"contradiction": [], "entailment": [], "neutral": []}
    neg_ops = negate(doc, root) if verb.i == root.i else None
    ops: dict[int, str] | None
    for prep, expr, negated in alternatives(tp.frame, tense):
        alt = TimePhrase(prep, expr, negated)
        if (prep, expr.lower(), negated) == (tp.prep, tp.expr, False):
            continue
        ops = _phrase_ops(doc, tp, prep, expr)
        if negated and (neg_ops is None or (ops := merge_ops(ops, neg_ops)) is None):
            continue
        text = render(doc, ops)
        label = time_relation(tp, alt, tense)
        if label is None or text == source.text:
            continue
        by_label[label].append((Sentence(text, 1 + int(negated), ops), alt))
    for cands in by_label.values():
        rng.shuffle(cands)
        versions += cands[:per_label]
    fam = f"{ORIGIN}:{source.text}"
    pairs = []
    for a, ta in versions:
        for b, tb in versions:
            if a is b or (label := time_relation(ta, tb, tense)) is None:
                continue
            pairs.append(SynPair(a.text, b.text, label, ORIGIN, edited_side(a, b, rng), fam))
    return pairs
