"""Stage runs in a local MLflow store: names, params slices, config artifact, metric scheme, model-version notes;
and a tracking URI with credentials on a closed port: the command fails in seconds and never prints the token."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from quotecontra import stages
from quotecontra.run_meta import stage_run
from quotecontra.stages import StageResult, StageSpec, run_stage
from quotecontra.tracking import Tracker

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "s3cr3t-T0KEN"


def _toy(cfg, tracker: Tracker) -> StageResult:
    """A stage that logs a dataset, metrics in the stages' own spelling, and registers a model version."""
    import mlflow

    data = Path(cfg.run_dir) / "pairs.txt"
    data.write_text("premise\thypothesis\n")
    tracker.log_input("pairs", data, context="training")
    run_id = mlflow.active_run().info.run_id
    mlflow.log_text("weights", "model/weights.txt")
    client = mlflow.MlflowClient()
    if not client.search_registered_models("name='toy-model'"):
        client.create_registered_model("toy-model")
    client.create_model_version("toy-model", source=f"runs:/{run_id}/model", run_id=run_id)
    return StageResult(metrics={"synthetic.macro_f1": 0.5, "train.quotes.eval_loss": 1.25}, summary=["toy done"])


@pytest.fixture
def toy_stage(monkeypatch: pytest.MonkeyPatch) -> str:
    spec = StageSpec("toy", _toy, "toy", inputs=lambda c: [], outputs=lambda c: [], config_keys=("seed", "train"))
    monkeypatch.setitem(stages.STAGES, "toy", spec)
    return "toy"


def test_stage_run_is_comparable(toy_stage: str, make_cfg, tmp_path: Path, capsys) -> None:
    from mlflow import MlflowClient

    cfg = make_cfg(run_dir=tmp_path, mlflow=True)
    with stage_run(cfg, "all"):
        run_stage(toy_stage, cfg)
    out = capsys.readouterr().out
    assert "[toy] done" in out and "logged: MLflow run" in out
    assert "View run" not in out

    client = MlflowClient(tracking_uri=f"sqlite:///{tmp_path}/mlflow.db")
    exp = client.get_experiment_by_name("quotecontra")
    assert exp.tags["mlflow.experimentKind"] == "custom_model_development"
    runs = {r.data.tags["stage"]: r for r in client.search_runs([exp.experiment_id])}
    parent, child = runs["all"], runs["toy"]
    assert child.data.tags["mlflow.parentRunId"] == parent.info.run_id
    assert child.info.run_name == "toy"
    assert child.data.params["stage"] == "toy" and parent.data.params["stage"] == "all"
    assert all(k in {"stage", "seed"} or k.startswith("train.") for k in child.data.params), child.data.params
    assert "model.kind" in parent.data.params  # all: the union of the stages it runs
    assert set(child.data.metrics) == {"synthetic/macro_f1", "train/quotes/eval_loss"}

    config = Path(client.download_artifacts(child.info.run_id, "config.yaml", str(tmp_path)))
    assert yaml.safe_load(config.read_text())["model"]["kind"] == "tiny_bert"

    (version,) = client.search_model_versions("name='toy-model'")
    assert version.tags["data"].startswith("pairs@") and len(version.tags["data"]) == len("pairs@") + 16
    assert version.tags["git_commit"] and version.tags["stage"] == "toy"
    assert version.description.startswith("tiny_bert classifier")
    assert "logged by the toy stage" in version.description


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_server_fails_fast_and_never_prints_the_token(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text((ROOT / "data" / "samples" / "biz-01-brackenford-plant-closure.txt").read_text())
    port = _closed_port()
    t0 = time.monotonic()
    res = subprocess.run(
        [
            sys.executable, "-m", "quotecontra.cli", "annotate", f"input={corpus}", f"run_dir={tmp_path / 'run'}",
            f"mlflow.tracking_uri=http://user:{TOKEN}@127.0.0.1:{port}",
        ],
        cwd=tmp_path, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    elapsed = time.monotonic() - t0
    assert res.returncode != 0
    assert f"MLflow tracking server http://127.0.0.1:{port} does not answer" in res.stderr, res.stderr[-3000:]
    assert "Traceback" not in res.stderr
    assert TOKEN not in res.stdout + res.stderr
    leaked = [p for p in tmp_path.rglob("*") if p.is_file() and TOKEN.encode() in p.read_bytes()]
    assert not leaked, f"token written to {leaked}"  # Hydra's saved overrides and config included
    assert elapsed < 60, f"took {elapsed:.0f}s"  # Python and mlflow start-up on a busy box; the probe takes < 1 s
