"""Early stopping reads the synthetic dev split only when the model trains on synthetic pairs: a natural-only model
(train.synthetic=false) must not be stopped, nor have its checkpoint picked, by a task it never sees."""

from __future__ import annotations

import pytest

from quotecontra import train
from quotecontra.tracking import Tracker


def _rows(split: str, n: int, group: str) -> list[dict]:
    labels = ("contradiction", "entailment", "neutral")
    return [
        {"premise": f"The depot {i} will close.", "hypothesis": f"The depot {i} stays open.", "label": labels[i % 3],
         "origin": "natural" if split == "natural" else "negation", "group": group, "split": split, "id": f"{split}{i}"}
        for i in range(n)
    ]  # fmt: skip


@pytest.mark.parametrize(("synthetic", "dev_expected"), [(True, 6), (False, 0)])
def test_dev_split_only_steers_synthetic_training(make_cfg, tmp_path, monkeypatch, synthetic, dev_expected) -> None:
    seen: dict[str, int] = {}

    def fake_fit(clf, train_rows, dev_rows, *args, **kwargs):
        seen["train"], seen["dev"] = len(train_rows), len(dev_rows)
        return {}

    monkeypatch.setattr(train, "fit_transformer", fake_fit)
    cfg = make_cfg(f"train.synthetic={str(synthetic).lower()}", "train.natural_repeat=1", run_dir=tmp_path)
    pairs = {"train": _rows("train", 9, "a1"), "dev": _rows("dev", 6, "a2"), "natural": _rows("natural", 6, "a3")}
    train.train_model(cfg, pairs, [], [], Tracker(), tmp_path / "checkpoints")
    assert seen["dev"] == dev_expected
    assert seen["train"] >= (15 if synthetic else 6)
