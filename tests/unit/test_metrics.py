"""Evaluation metrics on inputs whose answers are worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from quotecontra.evaluate import (
    behavioural_checks,
    calibration_bins,
    classification_metrics,
    expected_calibration_error,
    flat_metrics,
    negate_text,
    negation_cases,
    rename,
    rename_name_cases,
    rename_target_cases,
    slice_metrics,
)
from quotecontra.train import eval_every


def test_ece_zero_when_confidence_matches_accuracy() -> None:
    # Confidence 1.0 and always right: perfectly calibrated.
    probs = np.eye(3)[[0, 1, 2, 0]]
    assert expected_calibration_error(probs, [0, 1, 2, 0]) == pytest.approx(0.0)


def test_ece_hand_computed() -> None:
    # Two pairs at confidence 0.9 (one right), two at 0.6 (both right).
    # bin [0.9,1.0): acc 0.5, conf 0.9 -> |0.4| * 2/4; bin [0.6,0.7): acc 1.0, conf 0.6 -> |0.4| * 2/4. ECE = 0.4
    probs = np.array([[0.9, 0.05, 0.05], [0.9, 0.05, 0.05], [0.6, 0.3, 0.1], [0.2, 0.6, 0.2]])
    assert expected_calibration_error(probs, [0, 1, 0, 1], n_bins=10) == pytest.approx(0.4)


def test_calibration_bins_put_confidence_one_in_last_bin() -> None:
    bins = calibration_bins(np.array([[1.0, 0.0, 0.0], [0.35, 0.33, 0.32]]), [0, 1], n_bins=10)
    assert bins[-1]["n"] == 1 and bins[-1]["accuracy"] == 1.0
    assert bins[3]["n"] == 1 and bins[3]["accuracy"] == 0.0
    assert sum(b["n"] for b in bins) == 2


def test_classification_metrics_known_confusion() -> None:
    gold = ["contradiction", "contradiction", "entailment", "neutral", "neutral", "neutral"]
    pred = ["contradiction", "neutral", "entailment", "neutral", "neutral", "contradiction"]
    m = classification_metrics(gold, pred)
    assert m["n"] == 6 and m["acc"] == pytest.approx(4 / 6)
    # contradiction: P 1/2, R 1/2 -> F1 0.5; entailment: 1, 1 -> 1; neutral: P 2/3, R 2/3 -> 2/3
    assert m["contradiction"]["f1"] == pytest.approx(0.5)
    assert m["entailment"]["f1"] == pytest.approx(1.0)
    assert m["neutral"]["precision"] == pytest.approx(2 / 3)
    assert m["macro_f1"] == pytest.approx((0.5 + 1.0 + 2 / 3) / 3)
    assert m["confusion"] == [[1, 0, 1], [0, 1, 0], [1, 0, 2]]


def test_classification_metrics_rejects_length_mismatch() -> None:
    with pytest.raises(ValueError, match="gold labels"):
        classification_metrics(["neutral"], [])


def test_slice_metrics_per_origin_and_small_slices_dropped() -> None:
    gold = ["contradiction"] * 6 + ["neutral"] * 2
    pred = ["contradiction"] * 3 + ["neutral"] * 3 + ["neutral"] * 2
    keys = ["negation"] * 6 + ["gold"] * 2
    s = slice_metrics(gold, pred, keys, min_size=5)
    assert set(s) == {"negation"}
    assert s["negation"]["n"] == 6 and s["negation"]["acc"] == pytest.approx(0.5)
    assert slice_metrics(gold, pred, keys, min_size=1)["gold"]["acc"] == 1.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The plant will close in May.", "The plant will not close in May."),
        ("Talks were productive", "Talks were not productive"),
        ("The deal is not dead.", None),
        ("Nobody can't win.", None),
        ("The council approved the budget.", "It is not true that the council approved the budget."),
    ],
)
def test_negate_text(text: str, expected: str | None) -> None:
    assert negate_text(text) == expected


def test_rename_whole_words_only() -> None:
    assert rename("Ann Lee met Ann Leeds.", "Ann Lee", "Marion Kessler") == "Marion Kessler met Ann Leeds."


def test_perturbation_cases() -> None:
    rows = [
        {
            "premise": "Harwick will reopen the bridge.",
            "hypothesis": "Harwick will not reopen it.",
            "label": "contradiction",
            "target": "Harwick",
        },
        {
            "premise": "Jane Doe backs the plan.",
            "hypothesis": "The plan is popular.",
            "label": "entailment",
            "target": "the plan",
        },
    ]
    tgt = rename_target_cases(rows)
    assert len(tgt) == 1 and "Harwick" not in tgt[0][1]["premise"] + tgt[0][1]["hypothesis"]
    names = rename_name_cases(rows)
    assert len(names) == 1 and "Jane Doe" not in names[0][1]["premise"]
    neg = negation_cases(rows)
    assert [r["hypothesis"] for r in neg] == ["The plan is not popular."]
    assert neg[0]["label"] == "contradiction"


class _Keyword:
    """A stand-in classifier that reads the text: contradiction when the hypothesis has 'not', else entailment;
    neutral whenever the premise names "Marion Kessler" or "Varrow" (the first substitute person and the third
    substitute place), so only the renamed copies of rows 0 and 2 below change its answer."""

    labels = ("contradiction", "entailment", "neutral")

    def predict(self, premises, hypotheses, batch_size=64):
        out = []
        for p, h in zip(premises, hypotheses, strict=True):
            if "Marion Kessler" in p or "Varrow" in p:
                out.append("neutral")
            else:
                out.append("contradiction" if " not " in f" {h} " else "entailment")
        return out


def test_behavioural_pass_rates() -> None:
    rows = [
        {
            "premise": "Jane Doe says the plan is fine.",
            "hypothesis": "The plan is good.",
            "label": "entailment",
            "target": None,
        },
        {"premise": "Sam Hill will go.", "hypothesis": "Sam Hill will go now.", "label": "entailment", "target": None},
        {
            "premise": "Ann Lee said Paris will vote.",
            "hypothesis": "Paris will vote.",
            "label": "neutral",
            "target": "Paris",
        },
    ]
    # The renamed copies, written out: row i's first person name becomes SUBSTITUTE_NAMES[i], row 2's target
    # becomes SUBSTITUTE_PLACES[2].
    assert [b["premise"] for _, b in rename_name_cases(rows)] == [
        "Marion Kessler says the plan is fine.",
        "Tobias Wren will go.",
        "Adaeze Brook said Paris will vote.",
    ]
    assert [b["premise"] for _, b in rename_target_cases(rows)] == ["Ann Lee said Varrow will vote."]
    out = behavioural_checks(_Keyword(), rows)
    # Renaming Jane Doe -> Marion Kessler flips the stand-in's answer (entailment -> neutral); the other two renamed
    # copies keep theirs. Scoring the original pairs twice would give 1.0.
    assert out["rename_name"] == {"n": 3, "pass_rate": pytest.approx(2 / 3)}
    # Paris -> Varrow flips the one target case: 0.0 (1.0 if the originals were scored twice).
    assert out["rename_target"] == {"n": 1, "pass_rate": 0.0}
    # Both gold entailments, negated ("The plan is not good.", "Sam Hill will not go now."), read as contradiction;
    # the un-negated originals would read as entailment (0.0). The neutral row is no negation case.
    assert out["negate_entailment"] == {"n": 2, "pass_rate": 1.0}
    assert "rename_target" not in behavioural_checks(_Keyword(), rows[:2])  # no target given: the check does not apply


def test_flat_metrics_keys() -> None:
    gold = ["contradiction", "entailment", "neutral"] * 2
    m = classification_metrics(gold, gold)
    m |= {
        "ece": 0.1,
        "labels": ["contradiction", "entailment", "neutral"],
        "slices": {"negation": {"acc": 1.0, "macro_f1": 1.0, "n": 6}},
    }
    flat = flat_metrics(
        {"sets": {"natural": m, "cad": {"n": 0}}, "behavioural": {"negate_entailment": {"n": 3, "pass_rate": 0.5}}}
    )
    assert flat["natural.macro_f1"] == 1.0 and flat["natural.contradiction.f1"] == 1.0
    assert flat["natural.origin.negation.acc"] == 1.0 and flat["cad.n"] == 0.0
    assert flat["behavioural.negate_entailment.pass_rate"] == 0.5
    assert not any(math.isnan(v) for v in flat.values())


def test_eval_every_about_six_evaluations_at_most_one_epoch_apart() -> None:
    assert eval_every(2000, 32, 3.0, -1) == (189, 32)
    assert eval_every(100, 32, 10.0, -1) == (40, 4)
    assert eval_every(64, 32, 1.0, 20) == (20, 2)
