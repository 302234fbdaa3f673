"""Incompatible-predicate rewrites (pairs.contrast), the predicate lexicon, and the robust span relation."""

from __future__ import annotations

import random

import pytest

from quotecontra.pairs.contrast import predicate_pairs, rewrites
from quotecontra.pairs.edits import antonym_lexicon, render
from quotecontra.pairs.families import hinges_on_negation
from quotecontra.pairs.predicate_lexicon import parse_lexicon, predicate_lexicon
from quotecontra.pairs.ranges import INF, Span, exact, relation


def _rewritten(nlp, text: str) -> list[str]:
    doc = nlp(text)
    return [render(doc, rw.ops) for s in doc.sents for rw, _ in rewrites(doc, s.root)]


def _labels(pairs, premise: str, hypothesis: str) -> set[str]:
    return {p.label for p in pairs if p.premise == premise and p.hypothesis == hypothesis}


# ---------------------------------------------------------------- spans


def test_relation_is_robust_to_vague_ends():
    march = exact(5, 6)  # half-months
    assert relation(march, Span(-INF, 1, 6, 8)) == "entailment"  # in March -> by April (start or end)
    assert relation(march, exact(23, 24)) == "contradiction"  # in March -> in December
    assert relation(march, Span(-INF, 1, 4, 6)) is None  # "by March": before it or within it, readers differ
    assert relation(exact(1, 24), march) == "neutral"
    assert relation(Span(300, 300, 300, INF), exact(150, INF)) == "entailment"  # "300" (exact or floor) -> at least 150
    assert relation(Span(300, 300, 300, INF), exact(0, 599)) is None  # exact: yes; as a floor: no


def test_span_rejects_inconsistent_bounds():
    with pytest.raises(ValueError, match="inconsistent span"):
        Span(5, 4, 6, 6)


# ---------------------------------------------------------------- lexicon


def test_shipped_lexicon_is_large_and_disjoint_from_antonyms():
    lex = predicate_lexicon()
    assert sum(len(v) for v in lex.values()) // 2 >= 300  # entries are stored in both directions
    assert {"VERB", "ADJ", "ADJ-A", "NOUN", "DET"} <= set(lex)
    assert any(len(e.src) > 1 for e in lex["VERB"])  # phrase-level predicates
    ant = antonym_lexicon()
    for pos in ("VERB", "ADJ"):
        for e in lex[pos]:
            if len(e.src) == 1 and len(e.tgt) == 1:
                assert e.tgt[0] not in ant.get((e.src[0], pos), ()), e


def test_lexicon_errors_name_the_line():
    with pytest.raises(ValueError, match="line 2: expected 5"):
        parse_lexicon("# header\nclose\tstay open\tVERB\n")
    with pytest.raises(ValueError, match="line 1: bad pos/kind/use"):
        parse_lexicon("close\tstay open\tVERB\tmaybe\tI\n")
    with pytest.raises(ValueError, match="object class 'venue' is not defined"):
        parse_lexicon("close\tstay open\tVERB\tcontradictory\tI:venue\n")
    entries = parse_lexicon("@venue\tdepot plant\nclose\tstay open\tVERB\tcontradictory\tI:venue\n")
    assert [e.tgt for e in entries] == [("stay", "open"), ("close",)] and entries[0].only == {"depot", "plant"}


# ---------------------------------------------------------------- rewrites read naturally


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The firm laid off 200 workers.", "The firm hired 200 workers."),  # particle removed
        ("Halvorsen will close the plant.", "Halvorsen will keep the plant open."),  # object inside the phrase
        ("The depot will be closed.", "The depot will be kept open."),  # passive
        ("The depot will close.", "The depot will stay open."),  # intransitive
        ("The company pulled out of the deal.", "The company stuck with the deal."),  # irregular + preposition
        ("The board plans to close the depot.", "The board plans to keep the depot open."),  # under "plans to"
        ("The project is on track.", "The project is behind schedule."),
        ("The firm reported a profit.", "The firm reported a loss."),
        ("There is a shortage of nurses.", "There are enough nurses."),  # be agrees with the new head
        ("There are enough flu vaccines for everyone.", "There are too few flu vaccines for everyone."),
        ("There are enough flu vaccines for everyone.", "There is a shortage of flu vaccines for everyone."),
        ("The firm posted strong sales.", "The firm posted weak sales."),
        ("The depot will not close.", "The depot will not stay open."),  # contradictory under negation
    ],
)
def test_rewrite(nlp, text, expected):
    assert expected in _rewritten(nlp, text)


@pytest.mark.parametrize(
    "text",
    [
        "The firm closed the deal.",  # "close" only swaps for venues: no "kept the deal open"
        "The trust had failed to consult residents.",  # the sense hangs on the complement
        "Nobody's take-home pay goes down.",  # "goes down" / "rises" can both be false
        "The firm did not lay off any workers.",  # contrary under negation: "did not hire" agrees
        "The firm could lay off 200 workers.",  # possibility modal
        "Halvorsen'll either cut the price or leave.",  # one disjunct changed is no contradiction
        "The real figure was over 200 jobs.",  # "over" hangs on the number: not a predicate
    ],
)
def test_no_rewrite(nlp, text):
    assert _rewritten(nlp, text) == []


def test_quantified_subject_keeps_only_quantity_swaps(nlp):
    # "Many workers joined" and "Many workers stayed away" can both be true (different workers)
    assert _rewritten(nlp, "Many workers joined the strike.") == ["Few workers joined the strike."]


def test_modal_verb_keeps_base_form(nlp):
    assert "Halvorsen'll hike the price." in _rewritten(nlp, "Halvorsen'll cut the price.")


# ---------------------------------------------------------------- labelled pairs


def test_predicate_lattice_labels(nlp):
    pairs = predicate_pairs(nlp("The firm laid off 200 workers."), random.Random(0), max_per_family=3)
    c, x, nx = "The firm laid off 200 workers.", "The firm hired 200 workers.", "The firm did not hire 200 workers."
    assert _labels(pairs, c, x) == {"contradiction"} and _labels(pairs, x, c) == {"contradiction"}
    assert _labels(pairs, c, nx) == {"entailment"}  # contrary: laying off rules hiring out
    assert _labels(pairs, nx, c) == {"neutral"}  # not hiring does not mean laying off
    assert {p.origin for p in pairs} == {"predicate"}


def test_predicate_contradictions_do_not_hinge_on_negation(nlp):
    pairs = predicate_pairs(nlp("Halvorsen will close the plant."), random.Random(0))
    con = [p for p in pairs if p.label == "contradiction"]
    assert con and not any(hinges_on_negation(p.premise, p.hypothesis) for p in con)
    # "not" appears in entailments too, so it is no contradiction cue
    assert any("not" in p.hypothesis for p in pairs if p.label == "entailment")
    # contradictory pair: not closing means keeping open
    neg_c, x = "Halvorsen will not close the plant.", "Halvorsen will keep the plant open."
    assert _labels(pairs, neg_c, x) == {"entailment"}


def test_hinge_measure():
    assert hinges_on_negation("The plant will close.", "The plant will not close.")
    assert hinges_on_negation("Nobody left.", "Somebody left.")
    assert not hinges_on_negation("The plant won't close.", "The plant won't stay open.")
    assert not hinges_on_negation("The plant will close.", "The plant will stay open.")
