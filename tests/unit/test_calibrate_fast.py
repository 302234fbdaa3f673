"""The decision grid's fast macro-F1 equals sklearn's on every input, so the chosen rule does not change."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import f1_score

from quotecontra.calibrate import macro_f1


def test_macro_f1_matches_sklearn() -> None:
    rng = np.random.default_rng(0)
    for n in (1, 2, 5, 40, 300):
        for _ in range(50):
            y = rng.integers(0, 3, n)
            pred = rng.integers(0, 3, n) if n > 2 else np.zeros(n, dtype=int)
            want = f1_score(y, pred, labels=[0, 1, 2], average="macro", zero_division=0)
            assert abs(macro_f1(y, pred) - want) < 1e-12, (y, pred)


def test_symmetric_scales_each_direction_then_applies_the_whole_rule() -> None:
    """calibrate.symmetric is the report's scoring: temperature per direction, mean, threshold and entailment offset."""
    from quotecontra.calibrate import apply_temperature, decide, symmetric
    from quotecontra.records import LABELS

    rng = np.random.default_rng(1)
    fwd = rng.dirichlet([0.5, 0.5, 0.5], size=200)
    rev = rng.dirichlet([0.5, 0.5, 0.5], size=200)
    cal = {"temperature": 3.0, "threshold": 0.4, "entailment_offset": 1.5}
    mean, labels = symmetric(fwd, rev, LABELS, cal)
    want = (apply_temperature(fwd, 3.0) + apply_temperature(rev, 3.0)) / 2
    np.testing.assert_allclose(mean, want)
    assert np.abs(mean - apply_temperature((fwd + rev) / 2, 3.0)).max() > 1e-3  # not "average, then scale"
    assert labels == [LABELS[i] for i in decide(want, 0.4, 1.5)]
    assert labels != [LABELS[i] for i in decide(want, 0.4, 0.0)]  # the entailment offset is applied, not dropped
    raw, raw_labels = symmetric(fwd, rev, LABELS, None)
    np.testing.assert_allclose(raw, (fwd + rev) / 2)
    assert raw_labels == [LABELS[i] for i in raw.argmax(axis=1)]


def test_symmetric_keeps_the_classifier_label_order() -> None:
    """A model whose labels are in another order gets its columns back in that order."""
    from quotecontra.calibrate import symmetric
    from quotecontra.records import LABELS

    order = ["neutral", "contradiction", "entailment"]
    fwd = np.array([[0.1, 0.8, 0.1], [0.7, 0.2, 0.1]])
    mean, labels = symmetric(fwd, fwd, order, {"temperature": 1.0})
    np.testing.assert_allclose(mean, fwd)
    assert labels == ["contradiction", "neutral"] and LABELS[0] == "contradiction"
