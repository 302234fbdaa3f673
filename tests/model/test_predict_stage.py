"""`quotecontra predict`: label pairs from a jsonl or two strings with a run dir or a registered MLflow model."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from quotecontra import predict
from quotecontra.models import fit_sklearn
from quotecontra.tracking import Tracker

ADJ = [("open", "closed"), ("early", "late"), ("full", "empty")]


def toy(n: int) -> list[dict]:
    rng = random.Random(0)
    rows = []
    for i in range(n):
        a, b = rng.choice(ADJ)
        label = ("entailment", "contradiction", "neutral")[i % 3]
        hyp = {
            "entailment": f"The plant is {a}.",
            "contradiction": f"The plant is {b}.",
            "neutral": f"The depot is {b}.",
        }
        rows.append({"premise": f"The plant is {a}.", "hypothesis": hyp[label], "label": label})
    return rows


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    rows = toy(90)
    mcfg = {"kind": "tfidf", "tfidf_max_features": 1000, "tfidf_c": 1.0}
    clf = fit_sklearn(
        mcfg, [r["premise"] for r in rows], [r["hypothesis"] for r in rows], [r["label"] for r in rows], 13
    )
    clf.save(tmp_path / "model")
    return tmp_path


def test_predict_file_skips_bad_lines(make_cfg, run_dir: Path, tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    lines = [
        json.dumps({"id": "a", "premise": "The plant is open.", "hypothesis": "The plant is closed."}),
        "not json",
        "{}",
        json.dumps({"id": "n", "premise": 42, "hypothesis": "The plant is closed."}),
        json.dumps({"id": "l", "premise": ["a", "list"], "hypothesis": "The plant is closed."}),
        json.dumps(["premise", "hypothesis"]),
    ]
    src.write_text("\n".join(lines) + "\n")
    cfg = make_cfg(f"predict.file={src}", f"predict.model={run_dir}", run_dir=run_dir)
    res = predict.run(cfg, Tracker())
    out = [json.loads(x) for x in (run_dir / "predictions.jsonl").read_text().splitlines()]
    assert res.metrics["n"] == 1 and len(out) == 1
    assert out[0]["id"] == "a" and out[0]["predicted"] == "contradiction"
    assert sum(out[0]["probs"].values()) == pytest.approx(1.0, abs=1e-3)
    assert not list(run_dir.glob(".predictions.jsonl.*"))  # no temp file left beside the output


def test_predict_two_strings(make_cfg, run_dir: Path) -> None:
    cfg = make_cfg("predict.premise=The plant is open.", "predict.hypothesis=The plant is open.", run_dir=run_dir)
    res = predict.run(cfg, Tracker())  # predict.model defaults to ${run_dir}/model
    assert res.metrics["predicted.entailment"] == 1.0
    assert any("entailment" in line for line in res.summary)


def test_predict_needs_input(make_cfg, run_dir: Path) -> None:
    with pytest.raises(ValueError, match=r"predict\.file"):
        predict.run(make_cfg(run_dir=run_dir), Tracker())


def test_bad_model_uri() -> None:
    with pytest.raises(ValueError, match="models:/NAME/VERSION"):
        predict.resolve_registered("models:/only-a-name")


@pytest.mark.slow
def test_registered_model_round_trip(make_cfg, tmp_path: Path) -> None:
    """Log a tiny BERT with the transformers flavor, register it, and predict through models:/NAME/latest."""
    import mlflow

    from quotecontra.models import build_transformer
    from quotecontra.tracking import setup_mlflow
    from quotecontra.train import log_model

    cfg = make_cfg(run_dir=tmp_path, mlflow=True)
    rows = toy(30)
    clf = build_transformer(cfg.model, [r["premise"] + " " + r["hypothesis"] for r in rows], seed=13)
    setup_mlflow(cfg.mlflow)
    with mlflow.start_run():
        uri = log_model(clf, "qc-test-classifier")
    assert uri
    pcfg = make_cfg(
        "predict.model=models:/qc-test-classifier/latest",
        "predict.premise=The plant is open.",
        "predict.hypothesis=The plant is closed.",
        run_dir=tmp_path,
        mlflow=True,
    )
    res = predict.run(pcfg, Tracker())
    out = json.loads((tmp_path / "predictions.jsonl").read_text())
    expected = clf.predict(["The plant is open."], ["The plant is closed."])[0]
    assert res.metrics["n"] == 1 and out["predicted"] == expected
