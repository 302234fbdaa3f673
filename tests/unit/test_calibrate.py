"""Folds, temperature, threshold and intervals: the pure functions behind natural-pair figures."""

from __future__ import annotations

import numpy as np
import pytest

from quotecontra import calibrate
from quotecontra.records import LABELS

C, E, N = (LABELS.index(x) for x in ("contradiction", "entailment", "neutral"))


def test_group_folds_keep_articles_whole_and_balanced():
    groups = ["a"] * 5 + ["b"] * 4 + ["c"] * 3 + ["d"] * 3 + ["e"] * 2 + ["f"]
    folds = calibrate.group_folds(groups, 3, seed=1)
    by_group = {}
    for g, f in zip(groups, folds, strict=True):
        by_group.setdefault(g, set()).add(f)
    assert all(len(fs) == 1 for fs in by_group.values())  # no article in two folds
    sizes = np.bincount(folds)
    assert len(sizes) == 3 and sizes.max() - sizes.min() <= 1
    assert calibrate.group_folds(groups, 3, seed=1) == folds  # deterministic


def test_group_folds_caps_k_at_number_of_groups():
    assert sorted(set(calibrate.group_folds(["x", "y", "x"], 5, seed=0))) == [0, 1]


def test_temperature_softens_an_overconfident_model():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 300)
    # right 60% of the time, but always 99% sure
    pred = np.where(rng.random(300) < 0.6, y, (y + 1) % 3)
    probs = np.full((300, 3), 0.005)
    probs[np.arange(300), pred] = 0.99
    t = calibrate.fit_temperature(probs, y.tolist())
    assert t > 2.0
    assert calibrate.nll(calibrate.apply_temperature(probs, t), y.tolist()) < calibrate.nll(probs, y.tolist())
    assert calibrate.ece(calibrate.apply_temperature(probs, t), y.tolist()) < calibrate.ece(probs, y.tolist())


def test_apply_temperature_one_is_identity_and_keeps_ranking():
    probs = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]])
    assert np.allclose(calibrate.apply_temperature(probs, 1.0), probs, atol=1e-6)
    hot = calibrate.apply_temperature(probs, 3.0)
    assert (hot.argmax(axis=1) == probs.argmax(axis=1)).all()
    assert hot.max() < probs.max()


def test_decide_uses_threshold_on_contradiction_only():
    p = np.zeros((3, 3))
    p[0, [C, E, N]] = [0.35, 0.40, 0.25]  # contradiction above 0.3 although not the argmax
    p[1, [C, E, N]] = [0.20, 0.30, 0.50]
    p[2, [C, E, N]] = [0.29, 0.60, 0.11]
    assert calibrate.decide(p, 0.3).tolist() == [C, N, E]
    assert calibrate.decide(p, None).tolist() == [E, N, E]


def test_pick_threshold_maximises_contradiction_f1():
    pc = np.array([0.9, 0.8, 0.45, 0.4, 0.2, 0.1])
    y = [C, C, C, E, N, E]
    probs = np.zeros((6, 3))
    probs[:, C] = pc
    probs[:, E] = (1 - pc) / 2
    probs[:, N] = (1 - pc) / 2
    assert calibrate.pick_threshold(probs, y) == pytest.approx(0.45)


def test_bootstrap_over_articles_is_wider_when_errors_cluster_by_article():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 3, 200).tolist()
    article = [str(i // 20) for i in range(200)]
    # half the articles are read perfectly, half mostly wrong: pairs of one article are not independent
    pred = [v if (i // 20) % 2 == 0 or rng.random() < 0.3 else (v + 1) % 3 for i, v in enumerate(y)]
    point = calibrate.scores(y, pred)["macro_f1"]
    by_article = calibrate.bootstrap_ci(y, pred, article, n_boot=500)["macro_f1"]
    by_pair = calibrate.bootstrap_ci(y, pred, [str(i) for i in range(200)], n_boot=500)["macro_f1"]
    assert by_article[0] <= point <= by_article[1]
    assert (by_article[1] - by_article[0]) > 1.5 * (by_pair[1] - by_pair[0])


def test_cross_fit_never_uses_a_fold_to_fit_its_own_threshold():
    # fold 0 alone would want a low threshold; the other folds a high one: fold 0 must get the others' choice
    probs = np.zeros((8, 3))
    probs[:, C] = [0.3, 0.3, 0.2, 0.2, 0.9, 0.95, 0.1, 0.15]
    probs[:, E] = 1 - probs[:, C]
    y = [C, C, E, E, C, C, E, E]
    folds = [0, 0, 0, 0, 1, 1, 1, 1]
    cf = calibrate.cross_fit(probs, y, folds)
    assert cf.thresholds[0] > 0.5  # fitted on fold 1, where contradictions score 0.9+
    assert cf.pred_threshold[:2].tolist() == [E, E]


def test_calibrated_respects_the_classifier_label_order():
    order = ("entailment", "neutral", "contradiction")  # not LABELS' order
    probs = np.array([[0.45, 0.20, 0.35], [0.30, 0.45, 0.25]])
    p, labels = calibrate.calibrated(probs, order, {"temperature": 1.0, "threshold": 0.3})
    assert labels == ["contradiction", "neutral"]
    assert np.allclose(p, probs, atol=1e-6)  # T=1: probabilities unchanged, still in the classifier's order
    _, plain = calibrate.calibrated(probs, order, None)
    assert plain == ["entailment", "neutral"]


def test_read_calibration_validates(tmp_path):
    path = tmp_path / "calibration.json"
    assert calibrate.read_calibration(path) is None
    path.write_text('{"temperature": 1.5, "threshold": 0.4}')
    assert calibrate.read_calibration(path)["threshold"] == 0.4
    for bad in ('{"temperature": 0, "threshold": 0.4}', '{"temperature": 1.0, "threshold": 1.4}'):
        path.write_text(bad)
        with pytest.raises(ValueError, match=r"calibration\.json"):
            calibrate.read_calibration(path)
