"""`quotecontra report` over the demo run dir with a fake classifier: ranking, both directions, calibration
threshold and temperature, claim fallbacks, HTML escaping, and the files written."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from quotecontra import models, report
from quotecontra.calibrate import read_calibration
from quotecontra.export.demo import build_run_dir
from quotecontra.pairs.claims import Claim
from quotecontra.records import write_jsonl
from quotecontra.tracking import Tracker

EVIL = 'Tax <b>cuts</b> & "growth"'
GHOST = "ghost:1-2"  # a quote id with neither a claim nor a quote record
DEFAULT = {"contradiction": 0.05, "entailment": 0.15, "neutral": 0.8}


class FakeClassifier(models.Classifier):
    """Probabilities from a table keyed by (premise, hypothesis): each direction has its own, like a real model."""

    kind = "fake"
    labels = ("entailment", "neutral", "contradiction")  # not LABELS' order: the report must use clf.labels

    def __init__(self, table: dict[tuple[str, str], dict[str, float]]) -> None:
        self.table = table
        self.calls: list[int] = []

    def predict_proba(
        self, premises: Sequence[str], hypotheses: Sequence[str], batch_size: int = 64, progress: bool = False
    ) -> np.ndarray:
        self.calls.append(len(premises))
        rows = [self.table.get((p, h), DEFAULT) for p, h in zip(premises, hypotheses, strict=True)]
        return np.array([[r[label] for label in self.labels] for r in rows], dtype=np.float32)


def probs(c: float, e: float, n: float) -> dict[str, float]:
    return {"contradiction": c, "entailment": e, "neutral": n}


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, FakeClassifier]:
    """Demo run dir + a 4th candidate (same target as cand-2 in another spelling, HTML in its text, a ghost quote id);
    claims.jsonl only for the clinic quotes; the fake model served by load_classifier."""
    run_dir = tmp_path / "run"
    _, quotes, splits = build_run_dir(run_dir)
    q = {x.id: x for x in quotes}
    cands = [p.model_dump(mode="json") for p in splits["candidates"]]
    c1, c2, c3 = cands
    c4 = {**c2, "id": "cand-4", "premise": EVIL, "premise_quote_id": GHOST, "target": "The Millbeck Clinic"}
    c2["label"] = "contradiction"  # a gold label travels into the report
    pd.DataFrame([c1, c2, c3, c4]).to_parquet(run_dir / "pairs" / "natural_candidates.parquet")
    claims = [
        Claim(quote_id=i, claim=f"CLAIM {q[i].speaker}.", original=q[i].text, speaker=q[i].speaker, article_id="clinic")
        for i in (c2["premise_quote_id"], c2["hypothesis_quote_id"])
    ]
    write_jsonl(run_dir / "pairs" / "claims.jsonl", claims)
    (run_dir / "model").mkdir()
    (run_dir / "model" / "model.json").write_text(json.dumps({"kind": "fake", "config": {}}))
    table = {
        (c2["premise"], c2["hypothesis"]): probs(0.9, 0.05, 0.05),
        (c2["hypothesis"], c2["premise"]): probs(0.7, 0.1, 0.2),
        (c1["premise"], c1["hypothesis"]): probs(0.2, 0.6, 0.2),
        (c1["hypothesis"], c1["premise"]): probs(0.5, 0.3, 0.2),
        (EVIL, c4["hypothesis"]): probs(0.1, 0.1, 0.8),
        (c4["hypothesis"], EVIL): probs(0.3, 0.1, 0.6),
    }
    clf = FakeClassifier(table)

    def load(path: Path) -> FakeClassifier:  # like models.load_classifier: the calibration travels with the model
        clf.calibration = read_calibration(Path(path) / "calibration.json")
        return clf

    monkeypatch.setattr(models, "load_classifier", load)
    return run_dir, clf


def read_out(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "contradictions.jsonl").read_text().splitlines()]


def test_report_ranks_both_directions_argmax(make_cfg, demo) -> None:
    run_dir, clf = demo
    cfg = make_cfg("report.formats=[md,html]", run_dir=run_dir)
    res = report.run(cfg, Tracker())
    rows = read_out(run_dir)
    assert clf.calls == [8]  # 4 pairs, both directions, one call
    assert [r["id"] for r in rows] == ["cand-2", "cand-1", "cand-4", "cand-3"]
    assert [r["rank"] for r in rows] == [1, 2, 3, 4]
    assert [r["p_contradiction"] for r in rows] == pytest.approx([0.8, 0.35, 0.2, 0.05], abs=1e-4)
    top, second, ghost, _ = rows
    assert top["probs"] == pytest.approx(probs(0.8, 0.075, 0.125), abs=1e-4)
    assert (top["predicted"], top["gold"]) == ("contradiction", "contradiction")
    assert second["predicted"] == "entailment"  # argmax without calibration.json: 0.45 entailment beats 0.35
    # claims from claims.jsonl; without one, speaker and quote from quotes.jsonl and the claim from the pair text
    assert (top["premise_claim"], top["premise_speaker"]) == ("CLAIM Health officials.", "Health officials")
    assert second["premise_speaker"] == "Rhona Delacourt" and second["premise_claim"] == second["premise_quote"]
    assert second["hypothesis_speaker"] == "Tomas Adeyemi"
    assert (ghost["premise_claim"], ghost["premise_speaker"], ghost["premise_quote"]) == (EVIL, None, None)
    assert res.metrics == pytest.approx(
        {"n_pairs": 4, "n_predicted_contradictions": 1, "mean_p_contradiction": 0.35, "n_shown": 4}, abs=1e-4
    )
    assert "top pair: P=0.800 [the Millbeck clinic] Health officials" in res.summary[1]
    assert set(res.outputs) == {run_dir / f"contradictions.{x}" for x in ("jsonl", "md", "html")}

    md = (run_dir / "contradictions.md").read_text()
    # cand-4 (rank 3) sits in the clinic group, which comes first; the budget group (rank 2) after it
    assert md.index("### #1:") < md.index("### #3:") < md.index("## the budget") < md.index("### #2:")
    assert md.index("## the budget") < md.index("## Harwick")
    assert "**B: Sara Oduya** (clinic)" in md and "**A: unattributed**" in md
    page = (run_dir / "contradictions.html").read_text()
    assert EVIL not in page and "Tax &lt;b&gt;cuts&lt;/b&gt; &amp; &quot;growth&quot;" in page
    assert page.count('<section class="pair"') == 4


def test_report_calibration_threshold_and_temperature(make_cfg, demo) -> None:
    run_dir, _ = demo
    (run_dir / "model" / "calibration.json").write_text(json.dumps({"temperature": 2.0, "threshold": 0.3}))
    cfg = make_cfg("report.top_k=2", run_dir=run_dir)
    res = report.run(cfg, Tracker())
    rows = {r["id"]: r for r in read_out(run_dir)}
    # T=2: softmax(log p / 2) per direction, then the mean (values worked out by hand)
    assert rows["cand-2"]["p_contradiction"] == pytest.approx(0.6013, abs=1e-3)
    assert rows["cand-1"]["p_contradiction"] == pytest.approx(0.3417, abs=1e-3)
    assert rows["cand-4"]["p_contradiction"] == pytest.approx(0.2707, abs=1e-3)
    assert rows["cand-1"]["predicted"] == "contradiction"  # 0.342 >= 0.3 though entailment (0.393) is likelier
    assert rows["cand-4"]["predicted"] == "neutral"  # below the threshold: the likelier of the other two
    assert res.metrics["n_predicted_contradictions"] == 2 and res.metrics["n_shown"] == 2
    assert not (run_dir / "contradictions.html").exists()
    md = (run_dir / "contradictions.md").read_text()
    assert "P(contradiction) >= 0.300 (temperature 2.000)" in md
    assert "### #2:" in md and "### #3:" not in md  # top_k trims the readable report only
    assert len(read_out(run_dir)) == 4


def test_report_without_candidates(make_cfg, demo, monkeypatch: pytest.MonkeyPatch) -> None:
    run_dir, _ = demo
    path = run_dir / "pairs" / "natural_candidates.parquet"
    pd.read_parquet(path).iloc[0:0].to_parquet(path)

    def no_model(_path: Path) -> models.Classifier:
        raise AssertionError("the model is not needed when there is nothing to score")

    monkeypatch.setattr(models, "load_classifier", no_model)
    res = report.run(make_cfg("report.formats=[md,html]", run_dir=run_dir), Tracker())
    assert (run_dir / "contradictions.jsonl").read_text() == ""
    for fmt in ("md", "html"):
        assert "No natural candidate pairs in this run" in (run_dir / f"contradictions.{fmt}").read_text()
    assert res.metrics["n_pairs"] == 0 and "empty report" in res.summary[0]


def test_report_rejects_bad_options(make_cfg, demo) -> None:
    run_dir, _ = demo
    with pytest.raises(ValueError, match=r"report\.formats"):
        report.run(make_cfg("report.formats=[pdf]", run_dir=run_dir), Tracker())
    with pytest.raises(ValueError, match=r"report\.min_probability"):
        report.run(make_cfg("report.min_probability=1.5", run_dir=run_dir), Tracker())
