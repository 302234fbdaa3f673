"""The claim metric: normalisation, token F1, exact match and skip precision/recall, and the fixture loader."""

from __future__ import annotations

import json

import pytest

from quotecontra.pairs.claim_eval import SKIP, load_gold, normalise, score, token_f1


def test_normalise_ignores_case_quote_marks_and_punctuation():
    assert normalise("Pellham Foods\u2019 sales rose.") == normalise("pellham foods' sales rose")
    assert normalise("It's  in writing!") == ["it's", "in", "writing"]
    assert normalise("a four-day week") == ["a", "four-day", "week"]


def test_token_f1_is_bag_of_words_overlap():
    assert token_f1("The plan is a betrayal.", "The plan is a betrayal.") == 1.0
    assert token_f1("The plan a betrayal.", "The plan is a betrayal.") == pytest.approx(2 * 1.0 * 0.8 / 1.8)
    assert token_f1("Nothing alike.", "The plan is a betrayal.") == 0.0


def test_score_counts_exact_f1_and_skips():
    expected = {"a": "The quay is shut.", "b": None, "c": "Bills will rise.", "d": None}
    predicted = {"a": "the quay is shut", "b": None, "c": None, "d": "June."}
    s = score(predicted, expected, {"a": "x", "b": "x", "c": "y", "d": "y"})
    assert s.n == 4
    assert s.exact == 0.5  # a (after normalisation) and b (skip = skip)
    assert s.token_f1 == 0.5  # a: 1, b: 1, c: claim skipped = 0, d: skip given a claim = 0
    assert s.claim_exact == 0.5
    assert s.skip_precision == 0.5  # predicted skips b, c; only b expected
    assert s.skip_recall == 0.5  # expected skips b, d; only b predicted
    assert s.by_category["x"]["exact"] == 1.0 and s.by_category["y"]["exact"] == 0.0


def test_score_without_skips_has_perfect_skip_figures_and_missing_ids_raise():
    s = score({"a": "X happened."}, {"a": "X happened."})
    assert (s.exact, s.skip_precision, s.skip_recall) == (1.0, 1.0, 1.0)
    with pytest.raises(ValueError, match="no prediction"):
        score({}, {"a": "X happened."})


def _write(tmp_path, *records):
    p = tmp_path / "gold.jsonl"
    p.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return p


def test_load_gold_builds_spans_shares_passages_and_reads_skips(tmp_path):
    passage = "Wexley Council said it would close the library. \u201cJune,\u201d she replied."
    p = _write(
        tmp_path,
        {
            "id": "r1",
            "article": "a",
            "passage": passage,
            "quote": {"text": "it would close the library", "type": "indirect", "speaker": "Wexley Council"},
            "expected": "Wexley Council would close the library.",
        },
        {"id": "r2", "article": "a", "quote": {"text": "June,", "type": "direct"}, "expected": SKIP},
    )
    gold = load_gold(p)
    assert list(gold.articles) == ["a"]
    q1, q2 = gold.quotes
    assert passage[q1.spans[0][0] : q1.spans[0][1]] == "it would close the library"
    assert gold.expected[q2.id] is None
    assert gold.record_ids[q1.id] == "r1"


def test_load_gold_names_the_record_whose_quote_is_not_in_its_passage(tmp_path):
    p = _write(
        tmp_path,
        {"id": "r9", "passage": "Nothing here.", "quote": {"text": "absent words", "type": "direct"}, "expected": "x"},
    )
    with pytest.raises(ValueError, match=r"r9.*not in the passage"):
        load_gold(p)
    with pytest.raises(ValueError, match="malformed"):
        load_gold(_write(tmp_path, {"id": "r1", "quote": {"text": "x", "type": "direct"}, "expected": "x"}))
