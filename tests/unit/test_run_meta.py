"""Run names, params and metric keys that make MLflow runs comparable; links without credentials."""

from __future__ import annotations

import pytest
import yaml

from quotecontra import run_meta
from quotecontra.run_meta import JobContext, override_labels, run_name, stage_params
from quotecontra.stages import STAGES
from quotecontra.tracking import MlflowTracker, _metric_key, run_url

TOKEN = "s3cr3t-T0KEN"


def test_run_name_says_what_differs() -> None:
    ctx = JobContext("smoke", ("stage=all", "experiment=smoke", "train.learning_rate=1e-4", "run_dir=/x/3"))
    assert run_name("train", ctx) == "train · smoke · learning_rate=1e-4"
    assert run_name("all", ctx) == "all · smoke · learning_rate=1e-4"
    assert run_name("annotate", ctx) == "annotate · smoke"  # the learning rate does not change annotate
    assert run_name("annotate", JobContext()) == "annotate"


def test_override_labels_skip_where_and_shorten() -> None:
    overrides = [
        f"mlflow.tracking_uri=http://u:{TOKEN}@h",
        "data.shared_dir=/s",
        "hydra.job.name=x",
        "force=true",
        "input=/some/where/corpus",
        "+train.epochs=2",
        "nli.epochs=1",
        "model=tfidf",
        "pairs.note=" + "x" * 100,
    ]
    labels = override_labels(overrides)
    assert labels[:4] == ["input=corpus", "train.epochs=2", "nli.epochs=1", "model=tfidf"]
    assert labels[4].startswith("note=xxx") and labels[4].endswith("…") and len(labels[4]) == len("note=") + 40
    assert not any(TOKEN in label or "tracking_uri" in label for label in labels)
    assert override_labels(["data=samples"]) == ["data=samples"]  # a group choice is not data.shared_dir


def test_long_names_are_cut() -> None:
    ctx = JobContext(None, tuple(f"train.k{i}={'v' * 30}" for i in range(20)))
    assert len(run_name("all", ctx)) == run_meta.MAX_NAME


def test_params_are_the_stage_slice_from_the_stage_graph(make_cfg) -> None:
    cfg = make_cfg()
    for stage in ("annotate", "train"):
        params = stage_params(cfg, stage)
        assert params["stage"] == stage
        for key in params:
            assert key == "stage" or any(key == k or key.startswith(k + ".") for k in STAGES[stage].config_keys), key
    assert "model.kind" in stage_params(cfg, "train")
    assert "model.kind" not in stage_params(cfg, "annotate")
    assert any(k.startswith("annotate.") for k in stage_params(cfg, "annotate"))
    everything = stage_params(cfg, "all")
    assert everything["stage"] == "all"
    assert {"model.kind", "input"} <= set(everything)


def test_config_artifact_is_whole_and_redacted(make_cfg) -> None:
    cfg = make_cfg(f"mlflow.tracking_uri=http://user:{TOKEN}@127.0.0.1:1")
    text = run_meta.config_yaml(cfg)
    assert TOKEN not in text
    loaded = yaml.safe_load(text)
    assert loaded["mlflow"]["tracking_uri"] == "http://***@127.0.0.1:1"
    assert loaded["model"]["kind"] == "tiny_bert"
    assert set(loaded) >= {"annotate", "pairs", "train", "evaluate", "export"}


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("train.quotes.eval_loss", "train/quotes/eval_loss"),
        ("synthetic.macro_f1", "synthetic/macro_f1"),
        ("evaluate/natural.macro_f1", "evaluate/natural/macro_f1"),
        ("train.fold0.epoch", "train/fold0/epoch"),
        ("ece_0.05", "ece_0.05"),
        ("skipped/not a proposition (question)", "skipped/not a proposition _question_"),
    ],
)
def test_one_metric_name_scheme(key: str, expected: str) -> None:
    assert _metric_key(key) == expected


def test_summary_link_has_no_credentials(make_cfg) -> None:
    cfg = make_cfg(f"mlflow.tracking_uri=http://user:{TOKEN}@mlflow.example:5000")
    line = run_url(MlflowTracker("abc123", "7"), cfg)
    assert (
        line == "MLflow run abc123 at http://mlflow.example:5000/#/experiments/7/runs/abc123 (experiment quotecontra)"
    )
    local = run_url(MlflowTracker("abc123", "7"), make_cfg("mlflow.tracking_uri=sqlite:///x.db"))
    assert local == "MLflow run abc123 (sqlite:///x.db, experiment quotecontra)"


def test_version_description_and_tags(make_cfg) -> None:
    cfg = make_cfg()
    inputs = {"pairs": "0123abcd"}
    tags = run_meta.version_tags("train", "train · smoke", "deadbeef", inputs, JobContext("smoke"))
    assert tags == {
        "data": "pairs@0123abcd",
        "git_commit": "deadbeef",
        "stage": "train",
        "run_name": "train · smoke",
        "experiment": "smoke",
    }
    text = run_meta.version_description(cfg, "train", "train · smoke", "deadbeef", inputs)
    assert text.startswith("tiny_bert classifier")
    assert "pairs (digest 0123abcd)" in text and "deadbeef" in text
