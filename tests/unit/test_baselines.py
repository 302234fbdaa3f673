"""The shared sklearn baselines: what each one may look at, and that they pickle."""

from __future__ import annotations

import joblib

from quotecontra.baselines import (
    fit_hypothesis_only,
    fit_overlap_only,
    fit_tfidf_pair,
    majority_rate,
    overlap_features,
)

PREMISES = ["the plan passed", "the plan failed", "the bridge opened", "the bridge closed"] * 6
HYPS = ["yes it did", "no it did not", "yes it did", "no it did not"] * 6
LABELS = ["entailment", "contradiction", "entailment", "contradiction"] * 6


def test_hypothesis_only_ignores_the_premise():
    m = fit_hypothesis_only(PREMISES, HYPS, LABELS, seed=0)
    a = m.predict_proba(["anything at all"], ["no it did not"])
    b = m.predict_proba(["something else entirely"], ["no it did not"])
    assert (a == b).all()
    assert m.predict(["x"], ["no it did not"])[0] == "contradiction"


def test_overlap_only_sees_counts_not_words():
    # same overlap statistics, different words: identical features
    assert overlap_features("the plan passed", "the plan failed") == overlap_features("a cat sat", "a cat ran")
    m = fit_overlap_only(PREMISES, HYPS, LABELS, seed=0)
    assert m.predict_proba(["the plan passed"], ["the plan failed"]).shape == (1, 2)


def test_tfidf_pair_learns_and_pickles(tmp_path):
    m = fit_tfidf_pair(PREMISES, HYPS, LABELS, seed=0)
    assert list(m.predict(PREMISES[:4], HYPS[:4])) == LABELS[:4]
    joblib.dump(m, tmp_path / "m.joblib")
    m2 = joblib.load(tmp_path / "m.joblib")
    assert (m2.predict_proba(PREMISES[:4], HYPS[:4]) == m.predict_proba(PREMISES[:4], HYPS[:4])).all()


def test_majority_rate():
    assert majority_rate(["a", "a", "b", "c"]) == 0.5
    assert majority_rate([]) == 0.0
