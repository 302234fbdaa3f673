"""Quantity conflicts: counts bounded differently ("only 41 ballots" vs "more than 300 ballots"), universals vs
counted exceptions ("No child will cross the road" vs "At least two children will cross the road", "All the depots
will stay open" vs "At least two of the depots will close") (origin "quantity").

A counted noun phrase restricts how many things the clause is true of. Its quantifier maps to a set of counts
(:class:`~quotecontra.pairs.ranges.Span`): "at least 14" is 14 or more, "fewer than 40" is 0-39, "none" is 0, and a
bare "300 jobs" is read both as exactly 300 and as at least 300 (news numbers are often floors), so only labels that
hold under both readings are made. Approximate quantifiers ("about", "nearly", "up to") are left alone, as are
measures and durations ("ten weeks", "four per cent": not counts of things the clause is about).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

from quotecontra.pairs.contrast import copula_rewrites, disjunct, pluralize, verb_rewrites
from quotecontra.pairs.edits import Ops, modal, render
from quotecontra.pairs.morphology import match_case
from quotecontra.pairs.numbers import _NUM_WORDS, _nice, _parse_number
from quotecontra.pairs.perturb import Sentence, SynPair, edited_side
from quotecontra.pairs.ranges import INF, Span, exact, relation

if TYPE_CHECKING:
    from spacy.tokens import Token

    from quotecontra.records import Label

ORIGIN = "quantity"
_UNITS = frozenset(
    [
        "percent",
        "cent",
        "point",
        "pence",
        "penny",
        "pound",
        "euro",
        "dollar",
        "hour",
        "day",
        "week",
        "month",
        "year",
        "minute",
        "second",
        "time",
        "mile",
        "kilometre",
        "metre",
        "litre",
        "tonne",
        "kilo",
        "gram",
        "third",
        "quarter",
        "half",
        "times",
        "lap",
        "goal",
    ]
)
_WORD_OF = {v: k for k, v in _NUM_WORDS.items()}
# source quantifier words before the number -> the counts it allows for a number n
_BOUNDS = {
    "at least": lambda n: exact(n, INF),
    "no fewer than": lambda n: exact(n, INF),
    "more than": lambda n: exact(n + 1, INF),
    "over": lambda n: exact(n + 1, INF),
    "fewer than": lambda n: exact(0, n - 1),
    "less than": lambda n: exact(0, n - 1),
    "under": lambda n: exact(0, n - 1),
    "at most": lambda n: exact(0, n),
    "no more than": lambda n: exact(0, n),
    "only": lambda n: exact(n),
    "just": lambda n: exact(n),
    "": lambda n: Span(n, n, n, INF),  # exactly n, or at least n
}
_APPROX = frozenset({"about", "around", "nearly", "almost", "roughly", "some", "up", "approximately", "close"})
_AGREE = {"is": "are", "was": "were", "has": "have", "does": "do"}


@dataclass(frozen=True)
class Count:
    """A counted noun phrase of the claim: tokens to replace, the counts it allows, and how to write new ones."""

    start: int  # replaced tokens: the quantifier and number, or "No" / "Not a single" / "Nobody" / "None"
    end: int
    span: Span
    value: int  # the number written (0 for a negative universal)
    words: bool  # the number was written as a word
    noun: Token  # the counted noun token
    kind: str = "num"  # "num" | "no" (made plural) | "nobody" | "none"
    subject: Token | None = None  # the subject token when the count is the subject (for verb agreement)


def _fmt(k: int, words: bool) -> str:
    return _WORD_OF[k] if words and k in _WORD_OF else (f"{k:,}" if k >= 10000 else str(k))


def counts(doc, root) -> list[Count]:
    """Counted subjects and objects of the clause: "more than 300 ballots", "No child", "None of the depots"."""
    out = []
    for arg in (c for c in root.children if c.dep_ in {"nsubj", "nsubjpass", "dobj", "attr"}):
        if arg.lemma_.lower() in _UNITS or arg.ent_type_ in {"MONEY", "PERCENT", "QUANTITY", "DATE", "TIME"}:
            continue
        num = next((c for c in arg.children if c.dep_ == "nummod" and c.i < arg.i), None)
        if num is not None and arg.tag_ in {"NNS", "NNPS"}:
            parsed = _parse_number(num)
            if parsed is None or parsed[1] not in {"int", "comma", "word"} or parsed[0] < 2:
                continue
            n = int(parsed[0])
            if (parsed[1] == "int" and 1900 <= n <= 2100) or any(
                doc[j].like_num for j in (num.i - 1, num.i + 1) if 0 <= j < len(doc)
            ):
                continue
            mods = [t for t in num.subtree if t.i < num.i]
            quant = " ".join(t.lower_ for t in mods)
            if (
                any(t.lower_ in _APPROX for t in mods)
                or quant not in _BOUNDS
                or any(d.dep_ == "det" for d in arg.children)
            ):
                continue
            start = mods[0].i if mods else num.i
            subj = arg if arg.dep_ in {"nsubj", "nsubjpass"} else None
            out.append(Count(start, num.i, _BOUNDS[quant](n), n, parsed[1] == "word", arg, "num", subj))
        elif arg.dep_ in {"nsubj", "nsubjpass"}:
            out += _negative_universal(doc, arg)
    return out


def _negative_universal(doc, arg) -> list[Count]:
    """ "No child", "Not a single depot", "None of the depots", "Nobody": a count of zero."""
    first = doc[arg.left_edge.i]
    if arg.lower_ in {"nobody", "noone"} and first.i == arg.i:
        return [Count(arg.i, arg.i, exact(0), 0, True, arg, "nobody", arg)]
    if arg.lower_ == "none" and first.i == arg.i:
        of = next((c for c in arg.children if c.dep_ == "prep" and c.lower_ == "of"), None)
        pobj = next((c for c in of.children if c.dep_ == "pobj"), None) if of is not None else None
        if pobj is not None and pobj.tag_ in {"NNS", "NNPS"} and of is not None and of.i == arg.i + 1:
            return [Count(arg.i, arg.i, exact(0), 0, True, pobj, "none", arg)]
        return []
    if arg.tag_ not in {"NN", "NNS"} or arg.lemma_.lower() in _UNITS:
        return []
    lead = [t.lower_ for t in doc[first.i : arg.i]]
    if lead[:1] == ["no"] and all(t.dep_ in {"amod", "compound"} for t in doc[first.i + 1 : arg.i]):
        end = first.i
    elif lead[:3] == ["not", "a", "single"] and all(t.dep_ in {"amod", "compound"} for t in doc[first.i + 3 : arg.i]):
        end = first.i + 2
    else:
        return []
    return [Count(first.i, end, exact(0), 0, True, arg, "no", arg)]


def _variant_ops(doc, c: Count, quant: str, k: int) -> Ops:
    words = f"{quant} {_fmt(k, c.words)}".strip() + (" people" if c.kind == "nobody" else "")
    ops: Ops = {j: "" for j in range(c.start, c.end + 1)}
    ops[c.start] = match_case(words, doc[c.start].text)
    if c.kind == "no" and c.noun.tag_ == "NN":
        ops[c.noun.i] = pluralize(c.noun.text)
    if c.kind != "num" and c.subject is not None:
        _agree_plural(c.subject, ops)
    return ops


def _agree_plural(subj, ops: Ops) -> None:
    """A subject made plural: "is" -> "are", "has" -> "have", "closes" -> "close"."""
    verb = subj.head
    finite = [c for c in verb.children if c.dep_ in {"aux", "auxpass"} and c.i < verb.i] or [verb]
    t = finite[0]
    if t.i in ops:
        return
    if t.lower_ in _AGREE:
        ops[t.i] = match_case(_AGREE[t.lower_], t.text)
    elif t.tag_ == "VBZ":
        ops[t.i] = match_case(t.lemma_.lower(), t.text)


def _alternatives(c: Count) -> list[tuple[str, int, Span]]:
    n = max(c.value, 1)
    low = int(_nice(n / 2)) if n >= 8 else max(2, n - 2)
    high = int(_nice(n * 2)) if n >= 2 else 5
    ks = sorted({k for k in (low, high, 2 if c.value == 0 else low, c.value) if k >= 2})
    out = []
    for quant, bound in _BOUNDS.items():
        if quant in {"over", "under", "less than", "just"}:
            continue
        for k in ks:
            out.append((quant, k, bound(k)))
    return out


def quantity_pairs(doc, rng: random.Random, per_label: int = 2) -> list[SynPair]:
    """Versions of the claim with a count bounded differently, and every robustly labelled pair among them."""
    out: list[SynPair] = []
    for sent in doc.sents:
        root = sent.root
        if modal(root) or disjunct(root) or any(c.dep_ == "neg" for c in root.children):
            continue
        for c in counts(doc, root)[:1]:
            out += _count_family(doc, c, rng, per_label)
        out += universal_exceptions(doc, root, rng)
    return out


def _count_family(doc, c: Count, rng: random.Random, per_label: int) -> list[SynPair]:
    source = Sentence(render(doc, {}), 0)
    by_label: dict[str, list[tuple[Sentence, Span]]] = {"contradiction": [], "entailment": [], "neutral": []}
    for quant, k, span in _alternatives(c):
        text = render(doc, _variant_ops(doc, c, quant, k))
        label = relation(c.span, span)
        if label is not None and text != source.text:
            by_label[label].append((Sentence(text, 1), span))
    versions = [(source, c.span)]
    for cands in by_label.values():
        rng.shuffle(cands)
        versions += cands[:per_label]
    fam = f"{ORIGIN}:{source.text}"
    return [
        SynPair(a.text, b.text, label, ORIGIN, edited_side(a, b, rng), fam)
        for a, sa in versions
        for b, sb in versions
        if a is not b and (label := relation(sa, sb)) is not None
    ]


def universal_exceptions(doc, root, rng: random.Random) -> list[SynPair]:
    """ "All the depots will stay open" vs "At least two of the depots will close" (an incompatible predicate)."""
    subj = next((c for c in root.children if c.dep_ in {"nsubj", "nsubjpass"}), None)
    if subj is None or subj.tag_ not in {"NNS", "NNPS"}:
        return []
    lead = [t for t in doc[subj.left_edge.i : subj.i]]
    if not lead or lead[0].lower_ != "all" or any(t.like_num for t in lead):
        return []
    end = lead[1].i if len(lead) > 1 and lead[1].lower_ == "the" else lead[0].i
    rws = verb_rewrites(doc, root) if root.pos_ == "VERB" else copula_rewrites(doc, root)
    if not rws:
        return []
    rw = rng.choice(rws)
    some = {j: "" for j in range(lead[0].i, end + 1)}
    some[lead[0].i] = match_case("at least two of the", lead[0].text)
    none = dict(some)
    none[lead[0].i] = match_case("none of the", lead[0].text)
    src = Sentence(render(doc, {}), 0)
    some_p = Sentence(render(doc, some), 1)
    some_q = Sentence(render(doc, {**some, **rw.ops}), 2)
    none_q = Sentence(render(doc, {**none, **rw.ops}), 2)
    # none close => all stay open, if complementary
    back: Label = "entailment" if rw.kind == "contradictory" else "neutral"
    triples: list[tuple[Sentence, Sentence, Label]] = [
        (src, some_q, "contradiction"), (some_q, src, "contradiction"), (src, none_q, "entailment"),
        (none_q, src, back), (src, some_p, "entailment"), (some_p, src, "neutral"),
        (some_q, none_q, "contradiction"), (none_q, some_q, "contradiction"),
    ]  # fmt: skip
    fam = f"{ORIGIN}:{src.text}"
    return [
        SynPair(p.text, h.text, lab, ORIGIN, edited_side(p, h, rng), fam) for p, h, lab in triples if p.text != h.text
    ]
