"""The contrast families that real disagreements use, run together for one claim, and the negation-hinge measure.

:mod:`perturb` makes minimal edits whose contradictions mostly insert or remove a "not"; a classifier trained on
them learns the edit. These families contradict the way quotes do: an incompatible predicate (:mod:`contrast`),
a denial (:mod:`frames`), a moved date (:mod:`timeline`), a bounded count (:mod:`quantity`), a conflict with
another claim about the same target (:mod:`crossclaim`). Each also yields entailments and neutrals from the same
surface forms, so no frame word predicts a label.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from quotecontra.pairs.contrast import ORIGIN as PREDICATE
from quotecontra.pairs.contrast import predicate_pairs
from quotecontra.pairs.crossclaim import ORIGIN as CROSS_CLAIM
from quotecontra.pairs.crossclaim import cross_claim_pairs, hinges_on_negation
from quotecontra.pairs.edits import is_question_or_fragment
from quotecontra.pairs.frames import ORIGIN as DENIAL
from quotecontra.pairs.frames import denial_pairs, frame_lattice_pairs
from quotecontra.pairs.perturb import PerturbOptions, SynPair
from quotecontra.pairs.quantity import ORIGIN as QUANTITY
from quotecontra.pairs.quantity import quantity_pairs
from quotecontra.pairs.timeline import ORIGIN as TIMELINE
from quotecontra.pairs.timeline import timeline_pairs

FAMILY_ORIGINS = (PREDICATE, DENIAL, TIMELINE, QUANTITY, CROSS_CLAIM)
__all__ = ["FAMILY_ORIGINS", "ClaimContext", "family_pairs", "hinge_by_origin", "hinges_on_negation"]


@dataclass(frozen=True)
class ClaimContext:
    """What the article adds to one claim: other speakers (for denials) and other claims about its target."""

    speakers: tuple[str, ...] = ()
    mates: tuple[tuple[int, Any], ...] = ()  # (index of the other claim, its parsed doc)


def family_pairs(doc, ctx: ClaimContext, opts: PerturbOptions, rng: random.Random) -> list[tuple[SynPair, int | None]]:
    """Pairs of every enabled family for one parsed claim, each with the index of the other claim it used (if any)."""
    want = set(opts.origins)
    if sum(1 for t in doc if not t.is_punct) < opts.min_claim_words or is_question_or_fragment(doc):
        return []
    out: list[tuple[SynPair, int | None]] = []
    if PREDICATE in want:
        out += [(p, None) for p in predicate_pairs(doc, rng, opts.max_per_family)]
    if TIMELINE in want:
        out += [(p, None) for p in timeline_pairs(doc, rng)]
    if QUANTITY in want:
        out += [(p, None) for p in quantity_pairs(doc, rng)]
    if DENIAL in want:
        out += [(p, None) for p in denial_pairs(doc, list(ctx.speakers), rng)]
        out += [(p, None) for p in frame_lattice_pairs(doc, rng, opts.max_per_family)]
    if CROSS_CLAIM in want:
        mates = list(ctx.mates)
        rng.shuffle(mates)
        for j, mate in mates:
            made = cross_claim_pairs(doc, mate, rng)
            out += [(p, j) for p in made]
            if made:
                break  # one partner per claim: every claim is also someone's partner
    return out


def negation_hinge_share(pairs: Iterable[Any]) -> float | None:
    """Share of contradictions (objects with premise/hypothesis/label) that hinge on a negation word."""
    con = [p for p in pairs if p.label == "contradiction"]
    return sum(hinges_on_negation(p.premise, p.hypothesis) for p in con) / len(con) if con else None


def hinge_by_origin(pairs: Sequence[Any]) -> dict[str, float | None]:
    origins = sorted({p.origin for p in pairs})
    return {o: negation_hinge_share([p for p in pairs if p.origin == o]) for o in origins}
