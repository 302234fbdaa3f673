"""Number and quantifier edits: a figure moved within or beyond a tolerance, all/some/none forms of a quantifier."""

from __future__ import annotations

import math
import random
import re

from quotecontra.pairs.edits import Ops, modal, positive
from quotecontra.pairs.morphology import match_case

_HEDGED = frozenset(
    [
        "about",
        "around",
        "nearly",
        "almost",
        "over",
        "under",
        "roughly",
        "approximately",
        "some",
        "only",
        "just",
        "least",
        "most",
        "than",
        "up",
        "more",
        "less",
        "fewer",
        "below",
        "above",
        "exceeding",
    ]
)
_NUM_WORDS = {
    w: i
    for i, w in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
            "twenty",
        ]
    )
}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}


def _parse_number(tok) -> tuple[float, str] | None:
    """Value and format ("int", "comma", "dec<n>", "word") of a numeric token."""
    t = tok.text.lower()
    if re.fullmatch(r"\d{1,3}(,\d{3})+", t):
        return float(t.replace(",", "")), "comma"
    if re.fullmatch(r"\d+", t):
        return float(t), "int"
    if m := re.fullmatch(r"\d+\.(\d+)", t):
        return float(t), f"dec{len(m.group(1))}"
    if t in _NUM_WORDS:
        return float(_NUM_WORDS[t]), "word"
    if t in _TENS:
        return float(_TENS[t]), "word"
    m = re.fullmatch(r"([a-z]+)-([a-z]+)", t)
    if m and m.group(1) in _TENS and m.group(2) in _NUM_WORDS and _NUM_WORDS[m.group(2)] < 10:
        return float(_TENS[m.group(1)] + _NUM_WORDS[m.group(2)]), "word"
    return None


def _format_number(value: float, fmt: str) -> str:
    if fmt.startswith("dec"):
        return f"{value:.{int(fmt[3:])}f}"
    v = round(value)
    return f"{v:,}" if fmt == "comma" or v >= 10000 else str(v)


def _nice(value: float, figures: int = 2) -> float:
    """Round to a few significant figures (the kind of figure a hedged claim uses)."""
    if value <= 0:
        return value
    mag = 10 ** (math.floor(math.log10(value)) - (figures - 1))
    return round(value / mag) * mag


def _numbers(doc, root) -> list[tuple]:
    found = []
    for tok in root.sent:
        parsed = _parse_number(tok)
        if parsed is None or tok.ent_type_ in {"ORDINAL"}:
            continue
        if tok.ent_type_ not in {"", "CARDINAL", "MONEY", "PERCENT", "QUANTITY", "DATE"}:
            continue
        prev = {doc[j].lower_ for j in range(max(0, tok.i - 2), tok.i)}
        if prev & _HEDGED or any(c.dep_ in {"quantmod", "advmod"} for c in tok.children):
            continue
        if tok.head.lower_ in _HEDGED:
            continue
        found.append((tok, *parsed))
    return found


def number_edits(doc, root, tolerance: float, rng: random.Random) -> tuple[list[Ops], list[Ops]]:
    """(changes beyond tolerance -> contradiction, hedged changes within tolerance -> entailed).

    A year moves by 1-5 years (always a contradiction). Other numbers are scaled by a factor well outside the
    tolerance, or rounded to two significant figures and hedged with "about" when that stays within it.
    """
    if not positive(root) or modal(root):
        return [], []
    beyond: list[Ops] = []
    within: list[Ops] = []
    for tok, value, fmt in _numbers(doc, root):
        is_year = fmt == "int" and 1900 <= value <= 2100 and len(tok.text) == 4
        if is_year:
            new = value + rng.choice([-3, -2, -1, 1, 2, 3])
            beyond.append({tok.i: str(int(new))})
            continue
        if value == 0:
            continue
        factor = rng.choice([0.5, 2.0, 3.0, 1.5]) if value >= 2 else rng.choice([2.0, 3.0])
        new = value * factor
        if fmt in {"int", "comma", "word"}:
            new = round(new)
        if abs(new - value) / value > 2 * tolerance and new != value:
            beyond.append({tok.i: _format_number(new, "int" if fmt == "word" else fmt)})
        if value >= 20:
            options = [_nice(value, 1), _nice(value, 2), _nice(value * (1 + tolerance / 2), 2)]
            hedged = next((h for h in options if h != value and abs(h - value) / value < tolerance), value)
            if hedged != value:
                start = tok.i
                while start > 0 and (doc[start - 1].tag_ == "$" or doc[start - 1].text in {"€", "£", "$"}):
                    start -= 1
                ops: Ops = {tok.i: _format_number(hedged, "int" if fmt == "word" else fmt)}
                first = doc[start]
                if start == tok.i:
                    ops[tok.i] = "about " + ops[tok.i]
                else:
                    ops[first.i] = "about " + first.text
                within.append(ops)
    return beyond, within


_QUANT = {
    # word -> (universal form, existential form, negative form)
    "all": ("all", "some", "no"),
    "every": ("every", "some", "no"),
    "each": ("each", "some", "no"),
    "everyone": ("everyone", "someone", "no one"),
    "everybody": ("everybody", "somebody", "nobody"),
    "everything": ("everything", "something", "nothing"),
    "always": ("always", "sometimes", "never"),
    "some": ("all", "some", "no"),
    "someone": ("everyone", "someone", "no one"),
    "somebody": ("everybody", "somebody", "nobody"),
    "something": ("everything", "something", "nothing"),
    "sometimes": ("always", "sometimes", "never"),
    "nobody": ("everybody", "somebody", "nobody"),
    "nothing": ("everything", "something", "nothing"),
    "never": ("always", "sometimes", "never"),
}


def quantifier_forms(doc) -> tuple[Ops, Ops, Ops, str] | None:
    """Universal, existential and negative versions of the first quantifier: (all, some, none, original form)."""
    for tok in doc:
        low = tok.lower_
        if low not in _QUANT:
            continue
        if low == "some" and tok.dep_ != "det":
            continue
        if low == "all" and tok.dep_ not in {"det", "predet", "nsubj", "dobj"}:
            continue
        uni, exi, neg = _QUANT[low]
        nxt = doc[tok.i + 1] if tok.i + 1 < len(doc) else None
        if low in {"all", "some"} and nxt is not None and nxt.lower_ == "of":
            neg = "none"
        if low == "never":
            forms = ("always", "sometimes", "never")
            kind = "never"
        else:
            forms = (uni, exi, neg)
            kind = {uni: "all", exi: "some"}.get(low, "none")
        ops = tuple({tok.i: match_case(f, tok.text)} for f in forms)
        return ops[0], ops[1], ops[2], kind
    return None
