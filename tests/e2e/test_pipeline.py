"""End to end: `quotecontra all` with the smoke experiment on 3 sample articles, every stage's outputs and MLflow runs."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
E2E_ARTICLES = 3


@pytest.fixture(scope="module")
def pipeline_run(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    base = tmp_path_factory.mktemp("e2e")
    corpus = base / "corpus"
    corpus.mkdir()
    gold_stems = sorted(p.stem for p in (ROOT / "data" / "gold").glob("*.json"))
    if len(gold_stems) < E2E_ARTICLES:
        pytest.fail("the sample corpus needs gold articles for the end-to-end test")
    for stem in gold_stems[:E2E_ARTICLES]:
        shutil.copy(ROOT / "data" / "samples" / f"{stem}.txt", corpus)
    run_dir = base / "run"
    res = subprocess.run(
        [
            sys.executable, "-m", "quotecontra.cli", "all", "experiment=smoke",
            f"input={corpus}", f"run_dir={run_dir}", f"mlflow.tracking_uri=sqlite:///{base}/mlflow.db",
            f"data.shared_dir={(ROOT / '..' / 'shared').resolve()}",
        ],
        cwd=base, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-5000:]
    return base, res


def test_every_stage_wrote_its_outputs(pipeline_run) -> None:
    from quotecontra.records import Article, Quote, read_jsonl

    base, res = pipeline_run
    run = base / "run"
    articles = list(read_jsonl(run / "articles.jsonl", Article))
    quotes = list(read_jsonl(run / "quotes.jsonl", Quote))
    assert len(articles) == E2E_ARTICLES
    assert len(quotes) >= 3 * E2E_ARTICLES
    assert {q.article_id for q in quotes} == {a.id for a in articles}
    assert (run / "pairs" / "hf" / "dataset_dict.json").exists()
    assert (run / "pairs" / "README.md").read_text().strip()
    assert (run / "model").is_dir() and any((run / "model").iterdir())
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics, "metrics.json is empty"
    assert any((run / "export").rglob("*.json"))
    cv = json.loads((run / "crossval.json").read_text())
    assert cv["n"] == metrics["sets"]["natural_seen"]["n"] > 0  # every trainable gold pair scored out of fold
    assert cv["calibration"]["temperature"] > 0 and 0 <= cv["calibration"]["threshold"] <= 1
    assert (run / "model" / "calibration.json").exists()
    assert (run / "contradictions.jsonl").exists() and (run / "contradictions.md").read_text().strip()
    for stage in ["annotate", "pairs", "crossval", "train", "evaluate", "report", "export"]:
        assert f"[{stage}] done" in res.stdout, f"no summary printed for {stage}"
    assert "logged: MLflow run" in res.stdout


def test_mlflow_parent_with_one_nested_run_per_stage(pipeline_run) -> None:
    from mlflow.tracking import MlflowClient

    from quotecontra.run_meta import config_keys

    base, _ = pipeline_run
    client = MlflowClient(tracking_uri=f"sqlite:///{base}/mlflow.db")
    exp = client.get_experiment_by_name("quotecontra")
    runs = client.search_runs([exp.experiment_id])
    parents = [r for r in runs if r.data.tags.get("stage") == "all"]
    assert len(parents) == 1
    parent = parents[0]
    children = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parent.info.run_id]
    # train-nli is not a child: the smoke model is a tiny BERT, which does not start from the NLI base
    assert sorted(r.data.tags["stage"] for r in children) == [
        "annotate",
        "crossval",
        "evaluate",
        "export",
        "pairs",
        "report",
        "train",
    ]
    assert exp.tags["mlflow.experimentKind"] == "custom_model_development"  # not opened as a GenAI experiment
    assert parent.info.run_name == "all · smoke · input=corpus"
    for child in children:
        stage = child.data.tags["stage"]
        assert child.info.status == "FINISHED"
        reads_input = "input" in config_keys(stage)  # a run name shows the overrides within the stage's slice
        assert child.info.run_name == f"{stage} · smoke" + (" · input=corpus" if reads_input else "")
        assert child.data.params["stage"] == stage  # its own stage, not `all`
        assert child.data.tags["git_commit"]
        assert child.data.metrics, f"{stage} logged no metrics"
        dotted = [k for k in child.data.metrics if re.search(r"(?<!\d)\.|\.(?!\d)", k)]
        assert not dotted, f"{stage}: metric names outside the <group>/<name> scheme: {dotted}"
        artifacts = {a.path for a in client.list_artifacts(child.info.run_id)}
        assert "config.yaml" in artifacts and len(artifacts) > 1, f"{stage} logged no artifacts"
    by_stage = {r.data.tags["stage"]: r for r in children}
    assert by_stage["train"].data.params["model.kind"] == "tiny_bert"
    assert "model.kind" not in by_stage["annotate"].data.params  # params: the stage's own config slice
    assert any(k.startswith("annotate.") for k in by_stage["annotate"].data.params)
    assert by_stage["annotate"].inputs.dataset_inputs, "annotate did not log its input dataset"
    assert parent.data.metrics


def test_logs_are_quiet_in_a_file(pipeline_run) -> None:
    """Output not on a terminal: no progress-bar frames, no repeated mlflow warning (issue 14.2)."""
    _, res = pipeline_run
    both = res.stdout + res.stderr
    assert "\r" not in both and "it/s]" not in both, "progress bars drawn into a pipe"
    assert "interpreted in multiple ways" not in both
    assert "View run" not in both


def test_second_run_skips_unchanged_stages(pipeline_run) -> None:
    base, _ = pipeline_run
    cmd = [
        sys.executable, "-m", "quotecontra.cli", "annotate", "experiment=smoke", f"input={base / 'corpus'}",
        f"run_dir={base / 'run'}", "mlflow.enabled=false", f"data.shared_dir={(ROOT / '..' / 'shared').resolve()}",
    ]  # fmt: skip
    res = subprocess.run(cmd, cwd=base, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    assert "unchanged since the last run: skipped" in res.stdout
