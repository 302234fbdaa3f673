"""reproduce: tolerances come from the spread across seeds, counts are reported but never gated."""

from quotecontra.reproduce import TRACKED, compare, count_notes, split_counts, tolerances


def test_tolerance_is_seed_spread_with_a_floor_and_skips_counts():
    runs = [
        {"natural.macro_f1": 0.40, "synthetic.acc": 0.800, "natural.n": 96.0, "train.n_train": 900.0},
        {"natural.macro_f1": 0.31, "synthetic.acc": 0.801, "natural.n": 97.0, "train.n_train": 910.0},
    ]
    tol = tolerances(runs, "transformer")
    assert tol == {"natural.macro_f1": 0.09, "synthetic.acc": 0.02}


def test_counts_are_split_out_and_reported_not_gated():
    gated, counts = split_counts({"natural.macro_f1": 0.4, "natural.n": 96.0, "train.n_train": 900.0})
    assert gated == {"natural.macro_f1": 0.4}
    assert counts == {"natural.n": 96.0, "train.n_train": 900.0}
    expected = {"metrics": gated, "counts": counts, "tolerance": {"natural.macro_f1": 0.05}}
    got = {"natural.macro_f1": 0.42, "natural.n": 99.0, "train.n_train": 900.0}
    assert compare("x", expected, got) == []
    assert count_notes("x", expected, got) == ["x: natural.n 96 -> 99"]


def test_a_metric_beyond_its_tolerance_fails_naming_it():
    expected = {"metrics": {"quotes.quote.f1": 0.97}, "tolerance": {"quotes.quote.f1": 0.002}}
    fails = compare("baseline_tfidf", expected, {"quotes.quote.f1": 0.95})
    assert len(fails) == 1 and "quotes.quote.f1" in fails[0] and "baseline_tfidf" in fails[0]
    assert "missing" in compare("b", expected, {})[0]


def test_annotation_quality_is_tracked():
    assert TRACKED.match("quotes.speaker.acc") and TRACKED.match("quotes.quote.f1")
    assert not TRACKED.match("quotes")
