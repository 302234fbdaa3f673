"""Natural gold pairs in training and the crossval stage: no fold model ever sees the articles it is scored on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from quotecontra import crossval, train
from quotecontra.tracking import Tracker

SYNTH = [
    ("The plant will reopen in March.", "The plant will not reopen in March.", "contradiction"),
    ("The plant will reopen in March.", "The plant will reopen.", "entailment"),
    ("The plant will reopen in March.", "Workers met on Tuesday.", "neutral"),
    ("Fares will rise next year.", "Fares will not rise next year.", "contradiction"),
    ("Fares will rise next year.", "Fares will rise.", "entailment"),
    ("Fares will rise next year.", "The depot has a new roof.", "neutral"),
]


def _row(i: int, p: str, h: str, label: str, group: str, split: str, origin: str = "negation") -> dict:
    return {
        "id": f"{group}:{i}",
        "premise": p,
        "hypothesis": h,
        "label": label,
        "origin": origin,
        "group": group,
        "target": None,
        "split": split,
    }


def natural_rows() -> list[dict]:
    rows = []
    for a in range(4):
        g = f"art{a}"
        rows += [
            _row(
                0,
                f"Not a single depot in {g} will close.",
                f"Six depots in {g} will be sold.",
                "contradiction",
                g,
                "natural",
                "gold",
            ),
            _row(
                1,
                f"The {g} budget is balanced.",
                f"The {g} budget has a deficit.",
                "contradiction",
                g,
                "natural",
                "gold",
            ),
            _row(2, f"The {g} council met.", f"The {g} mayor spoke.", "neutral", g, "natural", "gold"),
            _row(3, f"All {g} clinics are open.", f"The {g} clinics are open.", "entailment", g, "natural", "gold"),
        ]
    rows.append(_row(9, "Held out claim.", "Held out other claim.", "neutral", "held", "heldout", "gold"))
    return rows


def test_natural_training_rows_keep_heldout_out_and_reverse_symmetric_pairs():
    rows = natural_rows()
    out = train.natural_training_rows(rows, repeat=2, exclude_groups=frozenset({"art0"}))
    assert {r["group"] for r in out} == {"art1", "art2", "art3"}  # neither the excluded fold nor heldout
    per_article = [r for r in out if r["group"] == "art1"]
    # 4 pairs + 3 symmetric reversed (2 contradiction + 1 neutral), twice over
    assert len(per_article) == 2 * 7
    assert not any(r["label"] == "entailment" and r["premise"] == "The art1 clinics are open." for r in out)
    assert train.natural_training_rows(rows, repeat=0) == []


@pytest.fixture()
def run_dir(tmp_path: Path) -> Path:
    """A pairs dataset on disk: synthetic train/dev/test and the natural split (4 trainable articles + heldout)."""
    import datasets

    from quotecontra.pairs_store import features

    feats = features()

    def ds(rows: list[dict]) -> datasets.Dataset:
        full = [{k: r.get(k) for k in feats} | {"article_ids": [r["group"]]} for r in rows]
        return datasets.Dataset.from_list(full, features=feats)

    synth = [
        _row(i, p, h, lab, f"art{i % 4}" if i < 4 else "other", "train") for i, (p, h, lab) in enumerate(SYNTH * 3)
    ]
    dd = datasets.DatasetDict(
        {
            "train": ds(synth),
            "dev": ds([_row(i, p, h, lab, "devart", "dev") for i, (p, h, lab) in enumerate(SYNTH)]),
            "test": ds([_row(i, p, h, lab, "testart", "test") for i, (p, h, lab) in enumerate(SYNTH)]),
            "natural": ds(natural_rows()),
        }
    )
    run = tmp_path / "run"
    dd.save_to_disk(str(run / "pairs" / "hf"))
    return run


def test_crossval_scores_every_trainable_pair_out_of_fold(make_cfg, run_dir: Path, monkeypatch):
    seen_groups: list[tuple[frozenset, set]] = []
    real = train.train_model

    def spy(cfg, pairs, nli_rows, texts, tracker, ckpt, exclude_groups=frozenset(), phase="quotes"):
        clf, m = real(cfg, pairs, nli_rows, texts, tracker, ckpt, exclude_groups, phase)
        used = {r["group"] for r in pairs["train"] if r["group"] not in exclude_groups}
        used |= {r["group"] for r in train.natural_training_rows(pairs["natural"], 1, exclude_groups)}
        seen_groups.append((exclude_groups, used))
        return clf, m

    monkeypatch.setattr(train, "train_model", spy)
    cfg = make_cfg("model=tfidf", "crossval.folds=2", run_dir=run_dir, smoke=False)
    res = crossval.run(cfg, Tracker())
    report = json.loads((run_dir / "crossval.json").read_text())
    assert report["n"] == 16 and report["articles"] == 4 and report["folds"] == 2
    assert len(seen_groups) == 2
    for held, used in seen_groups:
        assert held and not held & used  # a fold model never trains on the articles it predicts
    held_all = set().union(*(h for h, _ in seen_groups))
    assert held_all == {"art0", "art1", "art2", "art3"}  # every trainable article is scored once
    preds = [json.loads(x) for x in (run_dir / "crossval_predictions.jsonl").read_text().splitlines()]
    assert len(preds) == 16 and not any(p["id"].startswith("held") for p in preds)
    cal = json.loads((run_dir / "calibration.json").read_text())
    assert cal["temperature"] > 0 and 0 <= cal["threshold"] <= 1
    lo, hi = report["argmax"]["macro_f1"]["ci95"]
    assert lo <= report["argmax"]["macro_f1"]["value"] <= hi
    assert res.metrics["n"] == 16
    assert any("95% bootstrap CI" in line for line in res.summary)


class _OneSided:
    """A stand-in fold model that leans to contradiction A -> B and to neutral B -> A (it knows the premises)."""

    labels = ("contradiction", "entailment", "neutral")
    calibration = None

    def __init__(self, premises: set[str]) -> None:
        self.premises = premises

    def predict_proba(self, premises, hypotheses, batch_size=64, progress=False):
        import numpy as np

        return np.array([[0.6, 0.3, 0.1] if p in self.premises else [0.0, 0.1, 0.9] for p in premises])


def test_crossval_also_scores_both_directions_averaged(make_cfg, run_dir: Path, monkeypatch):
    """A -> B figures from one direction; ``symmetric`` from the mean of A -> B and B -> A, as the report scores."""
    from quotecontra import calibrate
    from quotecontra.records import LABELS

    rows = [r for r in natural_rows() if r["split"] == "natural"]
    stub = _OneSided({r["premise"] for r in rows})
    monkeypatch.setattr(train, "train_model", lambda *a, **k: (stub, {"n_train": 1.0}))
    res = crossval.run(make_cfg("model=tfidf", "crossval.folds=2", run_dir=run_dir, smoke=False), Tracker())
    report = json.loads((run_dir / "crossval.json").read_text())
    preds = [json.loads(x) for x in (run_dir / "crossval_predictions.jsonl").read_text().splitlines()]
    y = [LABELS.index(p["label"]) for p in preds]
    # mean of (0.6, 0.3, 0.1) and (0.0, 0.1, 0.9) is (0.3, 0.2, 0.5): neutral, where one direction said contradiction
    one_way = calibrate.scores(y, [LABELS.index("contradiction")] * len(y))["macro_f1"]
    both_ways = calibrate.scores(y, [LABELS.index("neutral")] * len(y))["macro_f1"]
    assert one_way != both_ways
    assert report["argmax"]["macro_f1"]["value"] == pytest.approx(one_way)
    assert report["symmetric"]["argmax"]["macro_f1"]["value"] == pytest.approx(both_ways)
    assert res.metrics["symmetric.macro_f1"] == pytest.approx(both_ways)
    assert {tuple(p["probs_reversed"].values()) for p in preds} == {(0.0, 0.1, 0.9)}
    assert any("both directions averaged" in line for line in res.summary)


def test_crossval_needs_two_articles(make_cfg, run_dir: Path):
    import datasets

    dd = datasets.load_from_disk(str(run_dir / "pairs" / "hf"))
    one = dd["natural"].filter(lambda r: r["group"] in {"art0", "held"})
    dd = datasets.DatasetDict({**{k: dd[k] for k in ("train", "dev", "test")}, "natural": one})
    target = run_dir / "pairs" / "hf2"
    dd.save_to_disk(str(target))
    (run_dir / "pairs" / "hf").rename(run_dir / "pairs" / "hf_old")
    target.rename(run_dir / "pairs" / "hf")
    cfg = make_cfg("model=tfidf", run_dir=run_dir, smoke=False)
    with pytest.raises(ValueError, match="at least 2 articles"):
        crossval.run(cfg, Tracker())
