"""The tiny random BERT learns a toy contradiction task from scratch, and survives a save/load round trip."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

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
FLOOR = 0.9  # chance is 0.33; the toy task is learnable from its cue words in a few hundred steps


def toy_pairs(n: int, seed: int) -> list[dict]:
    """entailment: the claim restated; contradiction: its negation; neutral: a claim about the future."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        noun, adj = rng.choice(NOUNS), rng.choice(ADJS)
        premise = f"The {noun} is {adj}, the council said."
        label = ("entailment", "contradiction", "neutral")[i % 3]
        if label == "entailment":
            hyp = f"The {noun} is {adj}."
        elif label == "contradiction":
            hyp = f"The {noun} is not {adj}."
        else:
            hyp = f"The {noun} will be {rng.choice(ADJS)} next year."
        rows.append({"premise": premise, "hypothesis": hyp, "label": label, "origin": "toy"})
    return rows


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


def test_tiny_bert_beats_floor(trained) -> None:
    clf, test, _ = trained
    preds = clf.predict([r["premise"] for r in test], [r["hypothesis"] for r in test])
    acc = float(np.mean([p == r["label"] for p, r in zip(preds, test, strict=True)]))
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
