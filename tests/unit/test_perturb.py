"""Each synthetic edit family on small sentences: the edit made and the label it implies."""

from __future__ import annotations

import random

import pytest

from quotecontra.pairs.edits import antonym_kind, antonym_lexicon, antonym_swaps, negate, render
from quotecontra.pairs.morphology import inflect
from quotecontra.pairs.numbers import number_edits
from quotecontra.pairs.perturb import PerturbOptions, has_negation, speaker_swap, synthesize
from quotecontra.records import LABELS


def _root(doc):
    return next(iter(doc.sents)).root


def _negated(nlp, text: str) -> str | None:
    doc = nlp(text)
    ops = negate(doc, _root(doc))
    return None if ops is None else render(doc, ops)


def _pairs(nlp, text: str, **kw):
    pairs, reason = synthesize(nlp(text), PerturbOptions(**kw), random.Random(0))
    return pairs, reason


def _find(pairs, premise: str, hypothesis: str):
    return [p for p in pairs if p.premise == premise and p.hypothesis == hypothesis]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The council approved the plan.", "The council did not approve the plan."),
        ("The bridge will reopen in March.", "The bridge will not reopen in March."),
        ("The bridge is open.", "The bridge is not open."),
        ("The company sells brakes.", "The company does not sell brakes."),
    ],
)
def test_negation_insertion(nlp, text, expected):
    assert _negated(nlp, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("He did not sign the deal.", "He signed the deal."),
        ("The plant won't close.", "The plant will close."),
        ("The bridge is not safe.", "The bridge is safe."),
    ],
)
def test_negation_removal(nlp, text, expected):
    assert _negated(nlp, text) == expected


def test_negation_refuses_ambiguous_scope(nlp):
    # "All farmers do not oppose" reads as "not all": no single safe negation
    assert _negated(nlp, "All farmers oppose the tax.") is None
    assert _negated(nlp, "Nobody can say that.") is None


def test_negation_pairs_are_contradictions_both_ways(nlp):
    pairs, _ = _pairs(nlp, "The council approved the plan.")
    a, b = "The council approved the plan.", "The council did not approve the plan."
    assert {p.label for p in _find(pairs, a, b)} == {"contradiction"}
    assert {p.label for p in _find(pairs, b, a)} == {"contradiction"}


def test_antonym_substitution_is_contradiction(nlp):
    pairs, _ = _pairs(nlp, "The council approved the plan.")
    got = _find(pairs, "The council approved the plan.", "The council rejected the plan.")
    assert got and all(p.label == "contradiction" and p.origin == "antonym" for p in got)
    # contraries: approving entails not rejecting; "did not approve" and "did not reject" are compatible
    assert (
        _find(pairs, "The council approved the plan.", "The council did not reject the plan.")[0].label == "entailment"
    )
    assert _find(pairs, "The council did not approve the plan.", "The council did not reject the plan.")[0].label == (
        "neutral"
    )


def test_contradictory_antonyms_keep_contradiction_under_negation(nlp):
    assert antonym_kind("legal", "illegal", "ADJ") == "contradictory"
    assert antonym_kind("accept", "reject", "VERB") == "contrary"
    pairs, _ = _pairs(nlp, "The bridge is open.")
    assert _find(pairs, "The bridge is not open.", "The bridge is not closed.")[0].label == "contradiction"
    assert _find(pairs, "The bridge is not open.", "The bridge is closed.")[0].label == "entailment"


def test_no_antonym_in_modal_or_negated_clause(nlp):
    for text in ("Prices could rise next year.", "The council did not approve the plan."):
        doc = nlp(text)
        assert antonym_swaps(doc, _root(doc)) == []


def test_antonym_lexicon_is_documented_and_large():
    lex = antonym_lexicon()
    assert len(lex) > 300
    assert "reject" in lex[("accept", "VERB")] and "accept" in lex[("reject", "VERB")]
    assert "closed" in lex[("open", "ADJ")]


def test_number_beyond_tolerance_is_contradiction(nlp):
    doc = nlp("The deficit will rise to €310 million next year.")
    beyond, within = number_edits(doc, _root(doc), 0.1, random.Random(0))
    assert beyond and within
    for ops in beyond:
        new = float(next(iter(ops.values())).replace(",", ""))
        assert abs(new - 310) / 310 > 0.1
    pairs, _ = _pairs(nlp, "The deficit will rise to €310 million next year.")
    changed = [p for p in pairs if p.origin == "number" and p.premise.startswith("The deficit will rise to €310")]
    assert any(p.label == "contradiction" and "about" not in p.hypothesis for p in changed)


def test_number_below_tolerance_is_hedged_entailment(nlp):
    pairs, _ = _pairs(nlp, "The deficit will rise to €310 million next year.")
    exact, hedged = (
        "The deficit will rise to €310 million next year.",
        "The deficit will rise to about €300 million next year.",
    )
    assert {p.label for p in _find(pairs, exact, hedged)} == {"entailment"}
    # the exact figure does not follow from the approximate one
    assert {p.label for p in _find(pairs, hedged, exact)} == {"neutral"}


def test_years_move_and_contradict(nlp):
    doc = nlp("The factory opened in 2019.")
    beyond, within = number_edits(doc, _root(doc), 0.1, random.Random(1))
    assert within == []
    assert beyond and all(next(iter(o.values())) != "2019" for o in beyond)


def test_quantifier_flip(nlp):
    pairs, _ = _pairs(nlp, "All farmers oppose the new tax.", origins=("quantifier",))
    lab = {(p.premise, p.hypothesis): p.label for p in pairs}
    assert lab[("All farmers oppose the new tax.", "No farmers oppose the new tax.")] == "contradiction"
    assert lab[("All farmers oppose the new tax.", "Some farmers oppose the new tax.")] == "entailment"
    assert lab[("Some farmers oppose the new tax.", "All farmers oppose the new tax.")] == "neutral"


def test_drop_modifier_entails_and_reverse_is_neutral(nlp):
    pairs, _ = _pairs(nlp, "The minister accepted the offer on Tuesday.")
    full, short = "The minister accepted the offer on Tuesday.", "The minister accepted the offer."
    assert [p.label for p in _find(pairs, full, short) if p.origin == "drop_modifier"] == ["entailment"]
    assert [p.label for p in _find(pairs, short, full) if p.origin == "drop_modifier"] == ["neutral"]


def test_drop_modifier_reverses_under_negation(nlp):
    pairs, _ = _pairs(nlp, "The minister did not accept the offer on Tuesday.")
    full, short = "The minister did not accept the offer on Tuesday.", "The minister did not accept the offer."
    assert [p.label for p in _find(pairs, short, full) if p.origin == "drop_modifier"] == ["entailment"]
    assert [p.label for p in _find(pairs, full, short) if p.origin == "drop_modifier"] == ["neutral"]


def test_double_negation_entailment(nlp):
    pairs, _ = _pairs(nlp, "The minister accepted the offer on Tuesday.")
    got = _find(pairs, "The minister did not accept the offer.", "The minister did not accept the offer on Tuesday.")
    assert [p.label for p in got] == ["entailment"]
    assert got[0].origin == "double_negation"
    assert has_negation(got[0].premise) and has_negation(got[0].hypothesis)


def test_one_sentence_of_several_is_entailed(nlp):
    text = "The plant will close in March. Two hundred jobs will go."
    pairs, _ = _pairs(nlp, text)
    assert [p.label for p in _find(pairs, text, "Two hundred jobs will go.")] == ["entailment"]
    assert [p.label for p in _find(pairs, "Two hundred jobs will go.", text)] == ["neutral"]
    assert [p.label for p in _find(pairs, text, "Two hundred jobs will not go.")] == ["contradiction"]


def test_added_detail_neutral_forward_entailment_back(nlp):
    pairs, _ = _pairs(nlp, "The council approved the plan.", origins=("added_detail",))
    forward = [p for p in pairs if p.premise == "The council approved the plan."]
    assert forward and all(p.label == "neutral" for p in forward)
    back = [p for p in pairs if p.hypothesis == "The council approved the plan."]
    assert back and all(p.label == "entailment" for p in back)


def test_speaker_swap_never_contradiction():
    pairs = speaker_swap("The plant will close.", "Ann Lee", "Bo Chan", "The plant will not close.")
    assert len(pairs) == 2
    assert all(p.label != "contradiction" for p in pairs)
    assert all(p.premise.startswith("Ann Lee said") and p.hypothesis.startswith("Bo Chan said") for p in pairs)


def test_too_short_and_fragments_are_skipped(nlp):
    assert _pairs(nlp, "No.")[1] == "too short to perturb"
    assert _pairs(nlp, "How long will you stay out?")[1] == "question or verbless fragment"


def test_every_pair_is_well_formed(nlp):
    for text in ("The deficit will rise sharply to €310 million next year.", "Talks would resume on Thursday."):
        pairs, _ = _pairs(nlp, text)
        assert pairs
        for p in pairs:
            assert p.label in LABELS
            assert p.premise != p.hypothesis
            assert p.edited_side in {"premise", "hypothesis"}


@pytest.mark.parametrize(
    ("lemma", "tag", "form"),
    [
        ("rise", "VBD", "rose"),
        ("approve", "VBD", "approved"),
        ("stop", "VBD", "stopped"),
        ("open", "VBD", "opened"),
        ("reject", "VBZ", "rejects"),
        ("close", "VBG", "closing"),
        ("lay off", "VBD", "laid off"),
    ],
)
def test_inflect(lemma, tag, form):
    assert inflect(lemma, tag) == form
