"""Cross-claim contradictions: two claims about the same target, one of them contradicted (origin "cross_claim").

Natural contradictions sit between different claims: the shared words are the target, the conflict is one
predicate somewhere else. Given claims A and B of one article about one target, B' is B with its predicate made
incompatible (a :mod:`contrast` rewrite; failing that, its negation). The premise "A B" (both claims, as a
multi-sentence quote) asserts B, so it contradicts B' and entails A and B; A alone says nothing about B, so A vs B'
is neutral, the same independence the ``other_claim`` family assumes. The contradiction can thus sit in either
half of a long premise, and the same hypotheses B' and A occur with every label.

Pairs are made only when A and B share little wording (near-paraphrases could entail each other) and B' differs
from A.
"""

from __future__ import annotations

import random
import re
from typing import TYPE_CHECKING

from quotecontra.baselines import words
from quotecontra.pairs.contrast import rewrites, with_negation
from quotecontra.pairs.edits import NEGATION_WORDS, is_question_or_fragment, negate, render
from quotecontra.pairs.frames import DENIALS, embeddable
from quotecontra.pairs.perturb import SynPair
from quotecontra.pairs.quantity import quantity_pairs
from quotecontra.pairs.timeline import timeline_pairs

if TYPE_CHECKING:
    from quotecontra.records import Label


def hinges_on_negation(premise: str, hypothesis: str) -> bool:
    """True when one side has a negation word the other lacks (the pair can be told by spotting the "not")."""

    def count(text: str) -> list[str]:
        return sorted(w for w in re.findall(r"[a-z']+", text.lower().replace("n't", " n't")) if w in NEGATION_WORDS)

    return count(premise) != count(hypothesis)


ORIGIN = "cross_claim"
MAX_OVERLAP = 0.5  # Jaccard of the two claims' words above which they may restate each other
MAX_WORDS = 45


def overlap(a: str, b: str) -> float:
    wa, wb = set(words(a)), set(words(b))
    return len(wa & wb) / len(wa | wb) if wa | wb else 1.0


def _single(doc) -> bool:
    sents = list(doc.sents)
    n = sum(1 for t in doc if not t.is_punct)
    return len(sents) == 1 and 4 <= n <= MAX_WORDS and not is_question_or_fragment(doc)


def contradicted(doc, rng: random.Random) -> tuple[str, str | None] | None:
    """(B', B' negated or None): B contradicted without a negation word when possible (an incompatible predicate,
    a moved date, a bounded count, a denial frame), its negation only as a last resort."""
    root = next(iter(doc.sents)).root
    cands = rewrites(doc, root)
    if cands:
        rw, _ = rng.choice(cands)
        neg = with_negation(doc, root, rw.ops, rw.base)
        return render(doc, rw.ops), (render(doc, neg) if neg is not None and rw.kind == "contrary" else None)
    claim = render(doc, {})
    for made in (timeline_pairs(doc, rng), quantity_pairs(doc, rng)):
        opposed = [p.hypothesis for p in made if p.premise == claim and p.label == "contradiction"]
        clean = [h for h in opposed if not hinges_on_negation(claim, h)]
        if clean or opposed:
            return rng.choice(clean or opposed), None
    body = embeddable(doc)
    if body is not None:
        return rng.choice([f for f in DENIALS if f.bare]).fill(body), None
    neg = negate(doc, root)
    return (render(doc, neg), None) if neg is not None else None


def _join(a: str, b: str) -> str:
    a = a.strip()
    return (a if re.search(r"[.!?]$", a) else a + ".") + " " + b.strip()


def cross_claim_pairs(doc_a, doc_b, rng: random.Random) -> list[SynPair]:
    """Pairs from claim A (this claim) and B (another claim about the same target); empty when unsafe."""
    if not (_single(doc_a) and _single(doc_b)):
        return []
    a, b = render(doc_a, {}), render(doc_b, {})
    if overlap(a, b) > MAX_OVERLAP:
        return []
    made = contradicted(doc_b, rng)
    if made is None:
        return []
    b_x, b_nx = made
    if b_x == b or overlap(b_x, a) > MAX_OVERLAP:
        return []
    ab, ab_x = _join(a, b), _join(a, b_x)
    fam = f"{ORIGIN}:{a}|{b}"
    triples: list[tuple[str, str, Label, str]] = [
        (ab, b_x, "contradiction", "hypothesis"), (b_x, ab, "contradiction", "premise"),
        (ab, a, "entailment", "premise"), (ab, b, "entailment", "hypothesis"),
        (a, b_x, "neutral", "hypothesis"), (b_x, a, "neutral", "premise"),
        (a, ab, "neutral", "hypothesis"), (b, ab, "neutral", "premise"),
        (ab_x, b, "contradiction", "premise"), (b, ab_x, "contradiction", "hypothesis"),
        (ab_x, a, "entailment", "premise"), (ab_x, b_x, "entailment", "hypothesis"),
    ]  # fmt: skip
    if b_nx:  # a contrary rewrite: B entails "not B'"
        triples += [(ab, b_nx, "entailment", "hypothesis"), (a, b_nx, "neutral", "hypothesis")]
    return [SynPair(p, h, lab, ORIGIN, side, fam) for p, h, lab, side in triples if p != h]
