"""The tiny random BERT learns a toy contradiction task from scratch that needs both premise and hypothesis (a
hypothesis-only model is at chance on it), and survives a save/load round trip."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from quotecontra.baselines import accuracy, fit_hypothesis_only
from quotecontra.models import TransformerClassifier, load_classifier
from quotecontra.tracking import Tracker
from quotecontra.train import train_model

NOUNS = [
    "plant",
    "bridge",
    "clinic",
    "school",
    "library",
    "depot",
    "market",
    "budget",
    "strike",
    "merger",
    "trial",
    "road",
]
ADJS = ["open", "closed", "late", "safe", "cheap", "ready", "full", "empty", "busy", "quiet"]
FLOOR = 0.9  # chance is 0.5 (two labels, balanced); tiny BERT reaches 1.00 in a few hundred steps
HYP_ONLY_CEILING = 0.6  # the hypothesis alone carries no signal: a hypothesis-only model stays near 0.5


def toy_pairs(n: int, seed: int) -> list[dict]:
    """A task that needs both sides: premise and hypothesis each say, independently at random, that a claim holds
    or does not ("The plant is open" / "The plant is not open"); entailment when they agree, contradiction when
    they do not. Every hypothesis is as likely under either label, so the hypothesis (or the premise) alone
    predicts nothing; a "not" in the hypothesis is no cue."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        noun, adj = rng.choice(NOUNS), rng.choice(ADJS)
        premise_neg = rng.random() < 0.5
        label = ("entailment", "contradiction")[i % 2]
        hyp_neg = premise_neg if label == "entailment" else not premise_neg
        premise = f"The {noun} is {'not ' if premise_neg else ''}{adj}, the council said."
        hyp = f"The {noun} is {'not ' if hyp_neg else ''}{adj}."
        rows.append({"premise": premise, "hypothesis": hyp, "label": label, "origin": "toy"})
    return rows


def _accuracy(preds, rows) -> float:
    return float(np.mean([p == r["label"] for p, r in zip(preds, rows, strict=True)]))


@pytest.fixture(scope="module")
def trained(make_cfg, tmp_path_factory) -> tuple[TransformerClassifier, list[dict], Path]:
    tmp = tmp_path_factory.mktemp("tiny")
    cfg = make_cfg(
        "train.max_steps=400",
        "train.batch_size=16",
        "train.learning_rate=2e-3",
        "train.early_stopping_patience=6",
        run_dir=tmp,
    )
    pairs = {"train": toy_pairs(600, 1), "dev": toy_pairs(90, 2)}
    clf, metrics = train_model(cfg, pairs, [], [], Tracker(), tmp / "checkpoints")
    assert isinstance(clf, TransformerClassifier)
    assert metrics["n_train"] == 600
    return clf, toy_pairs(150, 3), tmp


def test_toy_task_needs_the_premise() -> None:
    """The hypothesis-only baseline, trained on the same pairs, is near chance: the floor below is not reachable
    from hypothesis cues."""
    train, test = toy_pairs(600, 1), toy_pairs(150, 3)
    hyp_only = fit_hypothesis_only(
        [r["premise"] for r in train], [r["hypothesis"] for r in train], [r["label"] for r in train]
    )
    acc = accuracy(hyp_only, [r["premise"] for r in test], [r["hypothesis"] for r in test], [r["label"] for r in test])
    assert acc <= HYP_ONLY_CEILING, f"hypothesis-only accuracy {acc:.2f}: the toy task leaks a hypothesis cue"
    # Both labels, balanced, and each hypothesis form (with or without "not") under both labels.
    forms = {(" not " in r["hypothesis"], r["label"]) for r in test}
    assert forms == {(a, b) for a in (False, True) for b in ("entailment", "contradiction")}


def test_tiny_bert_beats_floor(trained) -> None:
    clf, test, _ = trained
    preds = clf.predict([r["premise"] for r in test], [r["hypothesis"] for r in test])
    acc = _accuracy(preds, test)
    assert acc >= FLOOR, f"tiny BERT accuracy {acc:.2f} below the floor {FLOOR}"


def test_save_load_round_trip_same_predictions(trained) -> None:
    clf, test, tmp = trained
    clf.save(tmp / "model", {"note": "test"})
    again = load_classifier(tmp / "model")
    assert again.kind == "tiny_bert" and again.labels == clf.labels
    p, h = [r["premise"] for r in test], [r["hypothesis"] for r in test]
    np.testing.assert_allclose(clf.predict_proba(p, h), again.predict_proba(p, h), atol=1e-5)


def test_probabilities_are_distributions_in_input_order(trained) -> None:
    clf, test, _ = trained
    p, h = [r["premise"] for r in test[:20]], [r["hypothesis"] for r in test[:20]]
    probs = clf.predict_proba(p, h, batch_size=7)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    # Length-sorted batching must not reorder the output: each row equals its pair scored alone.
    alone = np.vstack([clf.predict_proba([a], [b]) for a, b in zip(p[:5], h[:5], strict=True)])
    np.testing.assert_allclose(probs[:5], alone, atol=1e-5)
