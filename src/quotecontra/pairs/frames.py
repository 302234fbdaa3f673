"""Denials and confirmations of a claim: "X denied that P" / "It is false that P" vs P (origin "denial").

Labels follow the annotation guide's rule that a pair compares *contents*: a denial's content is not-P, so it
contradicts P (the seed's Lavrov-vs-Trump pair is a contradiction between two reports for the same reason), and
"X confirmed/acknowledged that P" is veridical, so it entails P. Impersonal frames ("It is false that P", "Claims
that P are false") say not-P outright. A pair is only made when its label holds both under this content reading and
under a literal reading of the frame, except the denial-vs-claim contradiction itself, which is the content rule.
So "P" vs "X confirmed that P" (a report that need not exist) is never made, while "It is true that P" vs P is.

Frames must not be label cues, so the same frames appear in every label: "X flatly denied that P" entails "X
denied that P" (and not the reverse); the claim with a modifier dropped (b, entailed by P) gives "X denied that b"
contradicting P but "X denied that P" only neutral to b; "X confirmed that not-P" contradicts P; "It is false that
P" entails not-P.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from quotecontra.pairs.contrast import plainly_negated
from quotecontra.pairs.edits import add_detail, modifier_drops, negate, pick_detail, positive, render
from quotecontra.pairs.perturb import Sentence, SynPair, lattice

if TYPE_CHECKING:
    from quotecontra.records import Label

ORIGIN = "denial"
_PERSONAL = frozenset(
    [
        "i",
        "me",
        "my",
        "mine",
        "myself",
        "we",
        "us",
        "our",
        "ours",
        "ourselves",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
    ]
)
_OPENERS = re.compile(r"^(?:but|and|so|yet|still|however|indeed|now)\b,?\s+", re.IGNORECASE)
MAX_WORDS = 30


@dataclass(frozen=True)
class Frame:
    template: str  # "{s}" speaker, "{a}" adverb slot (with its space), "{p}" the embedded claim
    denial: bool
    adverbs: tuple[str, ...] = ()

    @property
    def personal(self) -> bool:
        return "{s}" in self.template

    @property
    def bare(self) -> bool:
        """ "It is false that P" asserts only (not-)P; "Claims that P are false" also presupposes the claims."""
        return self.template.startswith("it is")

    def fill(self, p: str, speaker: str | None = None, adverb: str = "") -> str:
        text = self.template.format(s=speaker or "", a=f"{adverb} " if adverb else "", p=p)
        return text[:1].upper() + text[1:] + "."


DENIALS = (
    Frame("{s} {a}denied that {p}", True, ("flatly", "firmly", "strongly", "publicly")),
    Frame("{s} {a}rejected claims that {p}", True, ("firmly", "publicly", "angrily")),
    Frame("{s} {a}dismissed reports that {p}", True, ("publicly", "swiftly")),
    Frame("{s} {a}refuted suggestions that {p}", True, ("publicly", "firmly")),
    Frame("it is {a}false that {p}", True, ("simply", "plainly")),
    Frame("it is {a}untrue that {p}", True, ("simply", "plainly")),
    Frame("claims that {p} are {a}false", True, ("simply", "plainly")),
    Frame("reports that {p} are {a}wrong", True, ("simply", "plainly")),
)
# Exact negations without a negation word: "It is false that P" is true exactly when P is false.
BARE_DENIALS = (DENIALS[4], DENIALS[5], Frame("it is {a}wrong to say that {p}", True, ("simply",)))
_TWINS = {DENIALS[4].template: DENIALS[5], DENIALS[5].template: DENIALS[4]}  # "It is false" / "It is untrue"
CONFIRMATIONS = (
    Frame("{s} {a}confirmed that {p}", False, ("publicly", "formally", "privately")),
    Frame("{s} {a}acknowledged that {p}", False, ("publicly", "privately")),
    Frame("it is {a}true that {p}", False, ("certainly", "undeniably")),
    Frame("reports that {p} are {a}correct", False, ("entirely", "broadly")),
)


def embeddable(doc) -> str | None:
    """The claim as a "that"-clause body ("The plant will close." -> "the plant will close"), or None if it cannot
    be embedded: several sentences, a question, a first/second-person pronoun, a quotation, an imperative, an
    existing truth frame, or too many words."""
    sents = list(doc.sents)
    words = [t for t in doc if not t.is_punct]
    if len(sents) != 1 or "?" in doc.text or not 3 <= len(words) <= MAX_WORDS:
        return None
    if any(t.lower_ in _PERSONAL or t.text in '"\u201c\u201d\u2018\u2019\u00ab\u00bb' for t in doc):
        return None
    root = sents[0].root
    if root.tag_ == "VB" and root.i == 0:
        return None
    body = as_clause(doc, doc.text)
    if re.match(r"(?i)it is (not )?(true|false|untrue)\b|(claims|reports) that", body):
        return None
    return body


def as_clause(doc, text: str) -> str:
    """A rendering of the claim (or of an edit of it) without the opener and final stop, lower-cased unless it
    starts with a name or an acronym."""
    text = _OPENERS.sub("", text.strip()).rstrip(" .!;:")
    first = next((t for t in doc if not t.is_punct and not _OPENERS.match(t.text + " ")), None)
    keep = first is not None and (
        first.pos_ == "PROPN" or first.text == "I" or (first.text.isupper() and len(first) > 1)
    )
    return text if keep else text[:1].lower() + text[1:]


def denial_pairs(doc, speakers: list[str], rng: random.Random, max_frames: int = 1) -> list[SynPair]:
    """Denial and confirmation frames around the claim, its negation and a weaker version, every pair labelled."""
    body = embeddable(doc)
    if body is None:
        return []
    root = next(iter(doc.sents)).root
    if any(c.dep_ == "mark" and c.lower_ in {"if", "unless", "whether"} for c in root.children):
        return []
    negative = not positive(root)  # "Claims that the plant will not reopen are false": a "not" on both sides
    claim = render(doc, {})
    neg_ops = negate(doc, root)
    nclaim = render(doc, neg_ops) if neg_ops is not None else None
    nbody = as_clause(doc, nclaim) if nclaim else None
    drops = modifier_drops(doc, root) if not negative else []  # under negation a dropped modifier strengthens
    weak = rng.choice(drops) if drops else None
    wclaim = render(doc, weak) if weak is not None else None
    wbody = as_clause(doc, wclaim) if wclaim else None
    speaker = rng.choice(speakers) if speakers else None
    personal_ok = speaker is not None
    denials = [f for f in DENIALS if personal_ok or not f.personal]
    confirms = [f for f in CONFIRMATIONS if personal_ok or not f.personal]
    fam = f"{ORIGIN}:{claim}"
    out: list[SynPair] = []

    def add(p: str | None, h: str | None, label: Label, side: str) -> None:
        if p and h and p != h:
            out.append(SynPair(p, h, label, ORIGIN, side, fam))

    for d in rng.sample(denials, min(max_frames, len(denials))):
        f = rng.choice(confirms)
        dc, fc = d.fill(body, speaker), f.fill(body, speaker)
        add(claim, dc, "contradiction", "hypothesis")
        add(dc, claim, "contradiction", "premise")
        add(fc, claim, "entailment", "premise")
        if f.bare:
            add(claim, fc, "entailment", "hypothesis")
        add(fc, dc, "contradiction", "hypothesis")
        add(dc, fc, "contradiction", "premise")
        if d.adverbs:
            strong = d.fill(body, speaker, rng.choice(d.adverbs))
            add(strong, dc, "entailment", "premise")
            add(dc, strong, "neutral", "hypothesis")
        if f.adverbs:
            strong = f.fill(body, speaker, rng.choice(f.adverbs))
            add(strong, fc, "entailment", "premise")
            add(fc, strong, "neutral", "hypothesis")
        # same shape, other labels: two people's denials are independent reports; two adverbs neither entail;
        # "false" and "untrue" say the same
        others = [x for x in speakers if x != speaker]
        if d.personal and others:
            dy = d.fill(body, rng.choice(others))
            add(dc, dy, "neutral", "hypothesis")
            add(dy, dc, "neutral", "premise")
        if len(d.adverbs) > 1:
            a1, a2 = rng.sample(d.adverbs, 2)
            add(d.fill(body, speaker, a1), d.fill(body, speaker, a2), "neutral", "hypothesis")
        twin = _TWINS.get(d.template)
        if twin is not None:
            add(dc, twin.fill(body, speaker), "entailment", "hypothesis")
            add(twin.fill(body, speaker), dc, "entailment", "premise")
        if wbody:  # claim entails weak: denying weak denies the claim, denying the claim leaves weak open
            dw, fw = d.fill(wbody, speaker), f.fill(wbody, speaker)
            add(claim, dw, "contradiction", "hypothesis")
            add(dw, claim, "contradiction", "premise")
            add(wclaim, dc, "neutral", "hypothesis")
            add(dc, wclaim, "neutral", "premise")
            add(fc, wclaim, "entailment", "premise")
            add(fw, claim, "neutral", "premise")
            add(wclaim, fc, "neutral", "hypothesis")
            add(dc, dw, "neutral", "hypothesis")
            add(fw, fc, "neutral", "hypothesis")
        if nbody:  # the negated claim: entailments and neutrals with a "not", so "not" is no contradiction cue
            fn = f.fill(nbody, speaker)
            add(fn, nclaim, "entailment", "premise")
            add(nclaim, fn, "neutral" if f.personal or not f.bare else "entailment", "hypothesis")
            if not d.personal:  # "It is false that P" and "Claims that P are false" say not-P
                add(dc, nclaim, "entailment", "premise")
            if d.bare:  # ... and "It is false that P" says nothing else
                add(nclaim, dc, "entailment", "hypothesis")
                add(fn, dc, "entailment", "premise")
    return out


def frame_lattice_pairs(doc, rng: random.Random, max_per_family: int = 3) -> list[SynPair]:
    """The entailment lattice of :func:`perturb.lattice` with "not" written as "It is false that": for a claim a
    that entails b (a modifier dropped, or a detail added), "It is false that b" contradicts a and b and entails
    "It is false that a", and so on. The same shapes as the negation lattice, so no easier for a shortcut model,
    and no negation word of its own. It is built over the claim and over the claim negated ("The plant will not
    reopen" vs "It is false that the plant will not reopen"), so contradictions with a "not" on both sides occur as
    often as the negation lattice's one-sided ones. Under negation the entailment between a claim and its edit
    reverses ("did not rise" entails "did not rise sharply"), as in :func:`perturb.synthesize`."""
    body = embeddable(doc)
    root = next(iter(doc.sents)).root
    pos = positive(root)
    if body is None or not (pos or plainly_negated(root)):
        return []
    edits: list[tuple[dict[int, str], bool]] = []  # (ops, the edit drops a modifier)
    drops = modifier_drops(doc, root)
    rng.shuffle(drops)
    edits += [(d, True) for d in drops[:max_per_family]]
    detail = add_detail(doc, root, pick_detail(doc, rng))
    if detail:
        edits.append((detail, False))
    neg = negate(doc, root)
    polarities: list[tuple[dict[int, str], bool]] = [({}, pos)] + ([(neg, not pos)] if neg is not None and pos else [])
    out: list[SynPair] = []
    for base, positive_base in polarities:
        for ops, drop in edits:
            merged = {**base, **ops}
            if any(i in base and base[i] != v for i, v in ops.items()):
                continue
            c_text, v_text = render(doc, base), render(doc, merged)
            if c_text == v_text:
                continue
            frame = rng.choice(BARE_DENIALS)
            c, v = Sentence(c_text, len(base) > 0), Sentence(v_text, 1 + (len(base) > 0), merged)
            nc, nv = (
                Sentence(frame.fill(as_clause(doc, c_text)), c.edits + 1),
                Sentence(frame.fill(as_clause(doc, v_text)), v.edits + 1),
            )
            v_weaker = drop == positive_base  # a dropped modifier weakens a positive clause, strengthens a negated one
            a, b, na, nb = (c, v, nc, nv) if v_weaker else (v, c, nv, nc)
            for p in lattice(a, b, na, nb, ORIGIN, rng):
                if p.origin != ORIGIN:  # the pairs with a framed side (a-vs-b is the plain edit's own family)
                    out.append(SynPair(p.premise, p.hypothesis, p.label, ORIGIN, p.edited_side, p.family))
    return out
