"""The pieces that bound one article's cost: subtree index, paragraph windows, time budget, clause cap.

The subtree index replaces spaCy's ``Token.subtree`` in the rules, so it is checked against spaCy token by token
on real parses; the repeated-cue article of issue 13 must annotate well inside a budget it used to blow.
"""

from __future__ import annotations

import time
from itertools import pairwise

import pytest

from quotecontra.annotate import AnnotateOptions, annotate_doc, build_nlp, span_text
from quotecontra.annotate.limits import MAX_CLAUSE_TOKENS, Budget, BudgetExceeded, shift, windows
from quotecontra.annotate.marks import paragraphs
from quotecontra.annotate.tree import SubtreeIndex
from quotecontra.records import Article

CUE = "the mayor said it was good and the council said "


@pytest.fixture(scope="module")
def pipeline():
    return build_nlp(AnnotateOptions().spacy_model)


def test_subtree_index_matches_spacy_on_every_token(pipeline, root) -> None:
    texts = [p.read_text(encoding="utf-8") for p in sorted((root / "data" / "samples").glob("*.txt"))[:3]]
    texts.append("Council row\n" + (CUE * 20).strip() + ".\n")
    for text in texts:
        doc = pipeline(text)
        tree = SubtreeIndex(doc)
        for tok in doc:
            want = sorted(t.i for t in tok.subtree)
            assert tree.ids(tok.i) == want
            assert tree.size(tok.i) == len(want)
            for child in tok.children:  # a subtree minus one branch, as the ccomp rule asks for
                minus = sorted(set(want) - {t.i for t in child.subtree})
                assert tree.ids(tok.i, [child.i]) == minus
                assert tree.kept_size(tok.i, [child.i]) == len(minus)
        ccomps = [t.i for t in doc if t.dep_ == "ccomp"]
        inner = {i for c in ccomps for i in (t.i for t in doc[c].subtree)}
        cover = tree.cover(ccomps)
        assert {t.i for t in doc if t.i in cover} == inner


def test_repeated_cue_article_annotates_within_a_budget_it_used_to_blow(pipeline) -> None:
    """300 repeats took about 8 s of rules before the fix (cubic in the repeats); now a fraction of a second."""
    text = "Council row\n" + (CUE * 300).strip() + ".\n"
    doc = pipeline(text)
    quotes = annotate_doc(doc, Article(id="cue", text=text), AnnotateOptions(), budget=Budget(3.0))
    assert len(quotes) >= 299  # one reported clause per "said", as on a short article
    assert {q.text for q in quotes} == {"it was good", "the mayor said it was good and"}
    for q in quotes:
        assert q.text == span_text(text, q.spans)


def test_nested_chain_lists_no_clause_over_the_cap(pipeline) -> None:
    text = "Council row\nThe mayor said that " + " ".join(["the council said that"] * 200) + " the plan was good.\n"
    quotes = annotate_doc(pipeline(text), Article(id="chain", text=text), AnnotateOptions(), budget=Budget(10.0))
    assert quotes, "the innermost clauses are still records"
    assert max(len(q.text.split()) for q in quotes) <= MAX_CLAUSE_TOKENS
    assert all(q.text.endswith("the plan was good") for q in quotes)


def test_budget_stops_the_rules_with_a_reason(pipeline) -> None:
    text = "Council row\n" + (CUE * 50).strip() + ".\n"
    doc = pipeline(text)
    spent = Budget(1e-9)
    time.sleep(0.01)
    with pytest.raises(BudgetExceeded, match=r"max_seconds_per_article=1e-09 .*stopped at"):
        annotate_doc(doc, Article(id="cue", text=text), AnnotateOptions(), budget=spent)
    Budget(0).check("anywhere")  # 0 = no limit


def test_budget_projection_gives_up_early() -> None:
    budget = Budget(10.0)
    budget.started -= 2.0  # one of twenty windows took 2 s: all would take 40 s
    with pytest.raises(BudgetExceeded, match=r"1 of 20 windows took .*about 40s"):
        budget.project(1, 20)
    budget.project(1, 4)  # 8 s projected: in time
    budget.project(20, 20)  # done


def test_windows_hold_whole_paragraphs_and_cut_long_ones_at_sentence_ends() -> None:
    short = ["Headline", "A first paragraph of some length.", "A second one.", "A third paragraph here."]
    long_para = " ".join(f"Sentence number {i} ends here." for i in range(40))
    text = "\n".join([*short, long_para, "The last paragraph."]) + "\n"
    paras = paragraphs(text)
    limit = 120
    spans = windows(text, paras, limit)
    assert all(e - s <= limit for s, e in spans)
    assert all(s < e for s, e in spans) and all(a[1] <= b[0] for a, b in pairwise(spans))
    covered = [any(s <= i < e for s, e in spans) for i in range(len(text))]
    for ps, pe in paras:  # every paragraph character in a window
        assert all(covered[ps:pe])
    assert (paras[0][0], paras[3][1]) == spans[0], "short paragraphs share a window"
    pieces = [text[s:e] for s, e in spans if paras[4][0] <= s < paras[4][1]]
    assert len(pieces) > 1 and all(p.rstrip().endswith(".") for p in pieces), "cut after a sentence end"
    assert windows("x" * 50, [(0, 50)], 20) == [(0, 20), (20, 40), (40, 50)], "no sentence end: a hard cut"
    with pytest.raises(ValueError, match="positive"):
        windows(text, paras, 0)


def test_shift_moves_spans_and_id(pipeline) -> None:
    text = "Council row\nThe mayor said the plan would be ready by May.\n"
    (q,) = annotate_doc(pipeline(text), Article(id="a", text=text), AnnotateOptions())
    moved = shift(q, 100, "a")
    assert moved.spans == [(s + 100, e + 100) for s, e in q.spans]
    assert moved.cue_span == (q.cue_span[0] + 100, q.cue_span[1] + 100)
    assert moved.id == "a:" + "+".join(f"{s}-{e}" for s, e in moved.spans) != q.id
    assert moved.text == q.text
