"""TF-IDF and hypothesis-only baselines as model kinds: fit, save/load, and the train -> evaluate stages on them."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

from quotecontra.models import SklearnClassifier, fit_sklearn, load_classifier
from quotecontra.records import Pair
from quotecontra.tracking import Tracker

NOUNS = ["plant", "bridge", "clinic", "school", "library", "depot", "market", "budget", "stadium", "hospital"]
ANTONYMS = [("open", "closed"), ("early", "late"), ("safe", "unsafe"), ("cheap", "expensive"), ("full", "empty")]


def relational_pairs(n: int, seed: int) -> list[dict]:
    """Labels readable only from premise AND hypothesis: every hypothesis wording occurs under every label."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        noun = rng.choice(NOUNS)
        a, b = rng.choice(ANTONYMS)
        adj, anti = (a, b) if rng.random() < 0.5 else (b, a)
        label = ("entailment", "contradiction", "neutral")[i % 3]
        premise = f"The {noun} is {adj}."
        if label == "entailment":
            hyp = f"The {noun} is {adj}."
        elif label == "contradiction":
            hyp = f"The {noun} is {anti}."
        else:
            premise = f"The {rng.choice([x for x in NOUNS if x != noun])} is {adj}."
            hyp = f"The {noun} is {rng.choice((adj, anti))}."
        rows.append({"premise": premise, "hypothesis": hyp, "label": label, "origin": "toy", "group": str(i)})
    return rows


def _fit(kind: str, rows: list[dict]) -> SklearnClassifier:
    mcfg = {"kind": kind, "tfidf_max_features": 5000, "tfidf_c": 1.0}
    return fit_sklearn(
        mcfg, [r["premise"] for r in rows], [r["hypothesis"] for r in rows], [r["label"] for r in rows], 13
    )


def _acc(clf, rows) -> float:
    preds = clf.predict([r["premise"] for r in rows], [r["hypothesis"] for r in rows])
    return float(np.mean([p == r["label"] for p, r in zip(preds, rows, strict=True)]))


def test_tfidf_reads_the_pair_and_hypothesis_only_cannot() -> None:
    train, test = relational_pairs(600, 1), relational_pairs(300, 2)
    tfidf, hyp = _fit("tfidf", train), _fit("hypothesis_only", train)
    assert _acc(tfidf, test) >= 0.8
    assert _acc(hyp, test) <= 0.5  # chance is 1/3: the hypothesis alone carries no label signal here


def test_save_load_round_trip(tmp_path: Path) -> None:
    rows = relational_pairs(120, 3)
    clf = _fit("tfidf", rows)
    clf.save(tmp_path / "model", {"seed": 13})
    meta = json.loads((tmp_path / "model" / "model.json").read_text())
    assert meta["kind"] == "tfidf" and meta["labels"] == ["contradiction", "entailment", "neutral"]
    again = load_classifier(tmp_path / "model")
    p, h = [r["premise"] for r in rows], [r["hypothesis"] for r in rows]
    np.testing.assert_allclose(clf.predict_proba(p, h), again.predict_proba(p, h))


class _Reordered:
    """A baseline whose classes_ are in another order and lack one label."""

    classes_ = np.array(["neutral", "contradiction"])

    def predict_proba(self, premises, hypotheses):
        return np.array([[0.25, 0.75]] * len(premises))


def test_probabilities_follow_our_label_order() -> None:
    probs = SklearnClassifier(_Reordered(), "tfidf").predict_proba(["a"], ["b"])
    np.testing.assert_allclose(probs, [[0.75, 0.0, 0.25]])  # contradiction, entailment, neutral


def _reference_ece(probs: np.ndarray, gold: list[str], n_bins: int) -> float:
    """ECE written out plainly, independent of quotecontra.evaluate: loop over bins [k/n, (k+1)/n), 1.0 in the last."""
    labels = ["contradiction", "entailment", "neutral"]
    conf = [float(max(row)) for row in probs]
    right = [labels[int(np.argmax(row))] == g for row, g in zip(probs, gold, strict=True)]
    total = 0.0
    for k in range(n_bins):
        lo, hi = k / n_bins, (k + 1) / n_bins
        members = [i for i, c in enumerate(conf) if lo <= c < hi or (k == n_bins - 1 and c == 1.0)]
        if members:
            acc = sum(right[i] for i in members) / len(members)
            mean_conf = sum(conf[i] for i in members) / len(members)
            total += len(members) / len(conf) * abs(acc - mean_conf)
    return total


def test_reference_ece_on_hand_checkable_cases() -> None:
    # The reference itself, on cases worked out by hand: confident and right -> 0; confident and wrong -> 1;
    # 0.7 confident and right 3 times in 4 -> |0.75 - 0.7| = 0.05.
    sure = np.eye(3)[[0, 1, 2]]
    assert _reference_ece(sure, ["contradiction", "entailment", "neutral"], 10) == pytest.approx(0.0)
    assert _reference_ece(sure, ["entailment", "neutral", "contradiction"], 10) == pytest.approx(1.0)
    seventy = np.array([[0.7, 0.2, 0.1]] * 4)
    gold = ["contradiction"] * 3 + ["neutral"]
    assert _reference_ece(seventy, gold, 10) == pytest.approx(0.05)


@pytest.fixture
def pairs_run(tmp_path: Path) -> Path:
    """A run dir holding a pairs DatasetDict shaped like the pairs stage's output."""
    import datasets

    def split(rows: list[dict], name: str) -> datasets.Dataset:
        return datasets.Dataset.from_list(
            [Pair(id=f"{name}-{i}", split=name, **r).model_dump() for i, r in enumerate(rows)]
        )

    dd = datasets.DatasetDict(
        {
            "train": split(relational_pairs(300, 1), "train"),
            "dev": split(relational_pairs(60, 2), "dev"),
            "test": split(relational_pairs(90, 3), "test"),
            "natural": split(relational_pairs(30, 4), "natural"),
        }
    )
    dd.save_to_disk(str(tmp_path / "pairs" / "hf"))
    return tmp_path


def test_train_and_evaluate_stages_on_tfidf(make_cfg, pairs_run: Path) -> None:
    from quotecontra import evaluate, train

    # natural pairs only test here (natural_repeat=0); natural-in-training is covered by tests/model/test_crossval.py
    cfg = make_cfg("model.kind=tfidf", "evaluate.sets=[synthetic,natural]", "train.natural_repeat=0", run_dir=pairs_run)
    res = train.run(cfg, Tracker())
    assert res.metrics["n_train"] == 300 and res.metrics["n_natural"] == 0
    assert json.loads((pairs_run / "model" / "model.json").read_text())["kind"] == "tfidf"
    ev = evaluate.run(cfg, Tracker())
    report = json.loads((pairs_run / "metrics.json").read_text())
    assert set(report["sets"]) == {"synthetic", "natural"}
    assert ev.metrics["synthetic.n"] == 90 and ev.metrics["synthetic.macro_f1"] >= 0.8
    # ECE recomputed here from the saved model's probabilities on the test split, bin by bin (10 equal-width bins of
    # the top-1 confidence, weighted by their share of pairs): the stage must report exactly this.
    test_rows = relational_pairs(90, 3)
    probs = load_classifier(pairs_run / "model").predict_proba(
        [r["premise"] for r in test_rows], [r["hypothesis"] for r in test_rows]
    )
    expected = _reference_ece(probs, [r["label"] for r in test_rows], n_bins=cfg.evaluate.calibration_bins)
    assert cfg.evaluate.calibration_bins == 10 and 0.0 < expected < 1.0
    assert ev.metrics["synthetic.ece"] == pytest.approx(expected, abs=1e-9)
    assert report["sets"]["synthetic"]["ece"] == pytest.approx(expected, abs=1e-9)
    for name in ("synthetic", "natural"):
        assert (pairs_run / "plots" / f"confusion_{name}.png").stat().st_size > 0
        assert (pairs_run / "plots" / f"reliability_{name}.png").stat().st_size > 0
    assert "behavioural.negate_entailment.pass_rate" in ev.metrics
