"""Timeline, quantity, denial-frame and cross-claim families on parsed sentences, and their wiring."""

from __future__ import annotations

import random

import pytest

from quotecontra.config import SYNTHETIC_ORIGINS
from quotecontra.pairs.card import ORIGIN_DOC, render_card
from quotecontra.pairs.crossclaim import cross_claim_pairs
from quotecontra.pairs.families import FAMILY_ORIGINS, ClaimContext, family_pairs, hinges_on_negation
from quotecontra.pairs.frames import denial_pairs, frame_lattice_pairs
from quotecontra.pairs.perturb import PerturbOptions, has_negation
from quotecontra.pairs.quantity import quantity_pairs
from quotecontra.pairs.timeline import TimePhrase, time_relation, timeline_pairs
from quotecontra.records import Pair


def _labels(pairs, premise: str, hypothesis: str) -> set[str]:
    return {p.label for p in pairs if p.premise == premise and p.hypothesis == hypothesis}


# ---------------------------------------------------------------- timeline


@pytest.mark.parametrize(
    ("a", "b", "tense", "label"),
    [
        (("in", "March"), ("in", "December"), "future", "contradiction"),
        (("in", "March"), ("by", "April"), "future", "entailment"),
        (("by", "April"), ("in", "March"), "future", "neutral"),
        (("in", "March"), ("by", "March"), "future", None),  # by the start or the end of March
        (("in", "June"), ("before", "the summer"), "future", None),  # summer starts on 1 or 21 June
        (("", "this year"), ("by", "the end of the year"), "future", "entailment"),
        (("by", "the end of the year"), ("", "this year"), "future", "entailment"),  # a future event: not last year
        (("", "next year"), ("", "early next year"), "future", "neutral"),
        (("on", "Thursday"), ("before", "the weekend"), "future", "entailment"),
    ],
)
def test_time_relation(a, b, tense, label):
    assert time_relation(TimePhrase(*a), TimePhrase(*b), tense) == label


def test_negated_time_allows_no_event():
    not_until_june = TimePhrase("until", "June", True)
    assert time_relation(TimePhrase("in", "September"), not_until_june, "future") == "entailment"
    assert time_relation(not_until_june, TimePhrase("in", "September"), "future") == "neutral"  # or never
    assert time_relation(TimePhrase("by", "April"), not_until_june, "future") == "contradiction"


def test_timeline_pairs(nlp):
    src = "The plant will reopen in March once the new line is installed."
    pairs = timeline_pairs(nlp(src), random.Random(0))
    assert {"contradiction", "entailment", "neutral"} <= {p.label for p in pairs}
    assert _labels(pairs, src, "The plant will reopen by April once the new line is installed.") == {"entailment"}
    hyps = {p.hypothesis for p in pairs if p.premise == src and p.label == "contradiction"}
    assert hyps and all("March" not in h for h in hyps)


@pytest.mark.parametrize(
    "text",
    [
        "The minister visited the plant in March.",  # visits repeat: two months can both be right
        "The plant could reopen in March.",  # possibility modal
        "The plant reopens in March.",  # simple present: habitual
    ],
)
def test_timeline_skips(nlp, text):
    assert timeline_pairs(nlp(text), random.Random(0)) == []


# ---------------------------------------------------------------- quantity


def test_bounded_counts(nlp):
    src = "Only 41 postal ballots had been rejected."
    pairs = quantity_pairs(nlp(src), random.Random(1))
    assert _labels(pairs, src, "At most 20 postal ballots had been rejected.") == {"contradiction"}
    assert _labels(pairs, src, "More than 20 postal ballots had been rejected.") == {"entailment"}
    assert _labels(pairs, "More than 20 postal ballots had been rejected.", src) == {"neutral"}


def test_negative_universal_vs_counted_exception(nlp):
    src = "No child will have to cross the ring road."
    pairs = quantity_pairs(nlp(src), random.Random(1))
    assert _labels(pairs, src, "Two children will have to cross the ring road.") == {"contradiction"}
    src = "Nobody is being pushed out."
    pairs = quantity_pairs(nlp(src), random.Random(1))
    assert _labels(pairs, src, "Two people are being pushed out.") == {"contradiction"}  # plural agreement


def test_universal_vs_exception_with_incompatible_predicate(nlp):
    src = "All the depots will stay open."
    pairs = quantity_pairs(nlp(src), random.Random(1))
    con = {p.hypothesis for p in pairs if p.premise == src and p.label == "contradiction"}
    assert con and all(h.startswith("At least two of the depots will") and "open" not in h for h in con)
    assert _labels(pairs, src, "At least two of the depots will stay open.") == {"entailment"}


@pytest.mark.parametrize(
    "text", ["About 400 people had attended the protest.", "The work took ten weeks.", "The 2021 deal covered it."]
)
def test_quantity_skips_approximations_and_measures(nlp, text):
    assert quantity_pairs(nlp(text), random.Random(0)) == []


# ---------------------------------------------------------------- denial frames


def test_denial_and_confirmation(nlp):
    claim = "The plant will reopen in March."
    pairs = denial_pairs(nlp(claim), ["Tobias Wrenn"], random.Random(1))
    by_pair = {(p.premise, p.hypothesis): p.label for p in pairs}
    deny = ("denied", "rejected claims", "dismissed reports", "refuted", "false", "untrue", "wrong")
    full = [h for p, h in by_pair if p == claim and "the plant will reopen in March" in h and any(w in h for w in deny)]
    assert full and {by_pair[(claim, h)] for h in full} == {"contradiction"}
    assert {by_pair[(h, claim)] for h in full} == {"contradiction"}
    assert all(p.origin == "denial" for p in pairs)
    # a personal confirmation entails the claim, but the claim does not entail that anyone confirmed it
    confirmed = [p for (p, h), lab in by_pair.items() if h == claim and lab == "entailment" and "Tobias" in p]
    assert all((claim, c) not in by_pair for c in confirmed)


def test_frames_are_not_label_cues(nlp):
    pairs = denial_pairs(nlp("The plant will reopen in March."), ["Tobias Wrenn", "the union"], random.Random(1))
    pairs += frame_lattice_pairs(nlp("The council quietly approved the plan."), random.Random(1))
    framed = [p for p in pairs if any(w in p.hypothesis for w in ("denied", "rejected", "false", "untrue", "wrong"))]
    assert {p.label for p in framed} == {"contradiction", "entailment", "neutral"}


def test_frame_lattice(nlp):
    pairs = frame_lattice_pairs(nlp("The council quietly approved the plan."), random.Random(2))
    plain = [p for p in pairs if not has_negation(p.premise + " " + p.hypothesis)]
    assert any(p.label == "contradiction" and p.premise == "The council quietly approved the plan." for p in plain)
    framed = [(p.premise, p.hypothesis, p.label) for p in plain if " that " in p.premise and " that " in p.hypothesis]
    assert any(lab == "entailment" and "quietly" in h and "quietly" not in p for p, h, lab in framed)  # ¬b ⊨ ¬a
    # built over the negated claim as well: contradictions with a "not" on both sides do not hinge on it
    pairs = frame_lattice_pairs(nlp("The council will approve the plan on Monday."), random.Random(2))
    both = [p for p in pairs if p.label == "contradiction" and "not" in p.premise and "not" in p.hypothesis]
    assert both and not any(hinges_on_negation(p.premise, p.hypothesis) for p in both)


@pytest.mark.parametrize(
    "text", ["We will close the plant.", "Will the plant close?", "The plant will close. The staff will move."]
)
def test_denial_skips_unembeddable_claims(nlp, text):
    assert denial_pairs(nlp(text), ["Tobias Wrenn"], random.Random(0)) == []


# ---------------------------------------------------------------- cross-claim


def test_cross_claim(nlp):
    a, b = "Halvorsen will close the Brackenford plant in March.", "The union turned down the pay offer."
    pairs = cross_claim_pairs(nlp(a), nlp(b), random.Random(0))
    con = {p.hypothesis for p in pairs if p.premise == f"{a} {b}" and p.label == "contradiction"}
    assert con and all(h.startswith("The union") and "turned down" not in h for h in con)
    b_x = con.pop()
    assert _labels(pairs, a, b_x) == {"neutral"}
    assert _labels(pairs, f"{a} {b}", a) == {"entailment"}


def test_cross_claim_skips_near_paraphrases(nlp):
    a, b = "Halvorsen will close the plant in March.", "Halvorsen will close the plant in April."
    assert cross_claim_pairs(nlp(a), nlp(b), random.Random(0)) == []


# ---------------------------------------------------------------- wiring


def test_origins_registered_and_documented():
    assert set(FAMILY_ORIGINS) <= set(SYNTHETIC_ORIGINS)
    assert all(ORIGIN_DOC.get(o) for o in SYNTHETIC_ORIGINS)


def test_family_pairs_follow_enabled_origins(nlp):
    doc = nlp("The plant will close in March.")
    ctx = ClaimContext(("Tobias Wrenn",), ())
    only = family_pairs(doc, ctx, PerturbOptions(origins=("timeline",)), random.Random(0))
    assert only and {p.origin for p, _ in only} == {"timeline"}
    assert family_pairs(doc, ctx, PerturbOptions(origins=("negation",)), random.Random(0)) == []


def _pair(i: int, premise: str, hypothesis: str, label: str, origin: str) -> Pair:
    return Pair(
        id=f"p{i}", premise=premise, hypothesis=hypothesis, label=label, origin=origin, group="g", split="train"
    )


def test_card_reports_negation_hinge_per_origin():
    train = [
        _pair(0, "The plant will close.", "The plant will not close.", "contradiction", "negation"),
        _pair(1, "The plant will close.", "The plant will stay open.", "contradiction", "predicate"),
        _pair(2, "The plant will close.", "The plant will not stay open.", "entailment", "predicate"),
    ]
    card = render_card({"train": train}, [], {}, {}, {}, "seed: 1", [], "tfidf")
    assert "Contradictions hinging on a negation word: train 50.0%." in card
    row = next(line for line in card.splitlines() if line.startswith("| predicate |"))
    assert row.endswith("| 0 |") and "1/1/0" in row
