"""End to end: `quotecontra all` with the smoke experiment on 3 sample articles, every stage's outputs and MLflow runs."""

from __future__ import annotations

import csv
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


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _checkout_commit() -> str | None:
    """HEAD of the checkout these tests run from, or None outside a git checkout (an unpacked sdist)."""
    res = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return res.stdout.strip() if res.returncode == 0 else None


def test_every_stage_wrote_its_outputs(pipeline_run) -> None:
    from quotecontra.evaluate import negation_cases
    from quotecontra.pairs_store import read_rows
    from quotecontra.records import Article, Quote, read_jsonl

    base, res = pipeline_run
    run = base / "run"
    articles = list(read_jsonl(run / "articles.jsonl", Article))
    quotes = list(read_jsonl(run / "quotes.jsonl", Quote))
    assert len(articles) == E2E_ARTICLES
    assert len(quotes) >= 3 * E2E_ARTICLES
    assert {q.article_id for q in quotes} == {a.id for a in articles}

    # pairs: the DatasetDict with its four splits, and the dataset card
    splits = json.loads((run / "pairs" / "hf" / "dataset_dict.json").read_text())["splits"]
    assert {"train", "dev", "test", "natural"} <= set(splits)
    pairs = read_rows(run / "pairs" / "hf")
    assert pairs["train"] and pairs["test"] and pairs["natural"]
    assert (run / "pairs" / "README.md").read_text().strip()

    # train: the tiny BERT, saved with its description and the calibration that crossval fitted
    model = json.loads((run / "model" / "model.json").read_text())
    assert model["kind"] == "tiny_bert"
    assert (run / "model" / "config.json").exists() and (run / "model" / "calibration.json").exists()

    # evaluate: each set scored on the rows it holds, with numbers in range and consistent with each other
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["model"]["kind"] == "tiny_bert"
    sets = metrics["sets"]
    # CAD and Breaking NLI come from ../shared/nli: scored when it is there, absent (not empty) when it is not
    external = ("cad", "breaking_nli") if (ROOT / ".." / "shared" / "nli").is_dir() else ()
    assert {"synthetic", "natural", "natural_seen", *external} <= set(sets)
    assert sets["synthetic"]["n"] == len(pairs["test"])
    assert sets["natural"]["n"] + sets["natural_seen"]["n"] == len(pairs["natural"])
    assert all(0 < sets[name]["n"] <= 100 for name in external)  # evaluate.max_external=100
    for name in ("synthetic", "natural_seen", *external):
        m = sets[name]
        confusion = m["confusion"]
        assert sum(map(sum, confusion)) == m["n"], name
        assert m["acc"] == pytest.approx(sum(confusion[i][i] for i in range(len(confusion))) / m["n"]), name
        assert 0 <= m["macro_f1"] <= 1 and 0 <= m["ece"] <= 1, name
        assert sum(b["n"] for b in m["calibration"]) == m["n"], name
        assert sum(s["n"] for s in m["slices"].values()) <= m["n"], name  # slices under 5 pairs are left out
        assert m["labels"] == ["contradiction", "entailment", "neutral"]
    behavioural = metrics["behavioural"]
    negated = negation_cases(pairs["test"] + pairs["natural"])[:500]
    assert behavioural["negate_entailment"]["n"] == len(negated) > 0
    assert all(0 <= b["pass_rate"] <= 1 and b["n"] > 0 for b in behavioural.values())
    plots = {f"{kind}_{name}.png" for kind in ("confusion", "reliability") for name in sets if sets[name]["n"]}
    assert {p.name for p in (run / "plots").glob("*.png")} == plots | {"pr_natural_crossval.png"}  # + crossval's

    # crossval: every trainable gold pair scored out of fold
    cv = json.loads((run / "crossval.json").read_text())
    assert cv["n"] == sets["natural_seen"]["n"] > 0
    assert cv["calibration"]["temperature"] > 0 and 0 <= cv["calibration"]["threshold"] <= 1
    assert metrics["natural_crossval"]["n"] == cv["n"]

    # report
    assert (run / "contradictions.jsonl").exists() and (run / "contradictions.md").read_text().strip()

    # export: every configured format, by name, and a manifest whose counts are those of the files
    export = run / "export"
    manifest = json.loads((export / "manifest.json").read_text())
    assert manifest["formats"] == ["label_studio", "jsonl", "csv", "hf", "doccano"]
    counts = manifest["counts"]
    assert counts["quotes"] == len(quotes) and counts["articles"] == E2E_ARTICLES and counts["quotes_skipped"] == 0
    assert set(splits) <= set(manifest["pair_sources"])
    for source in manifest["pair_sources"]:
        assert len(_lines(export / "jsonl" / f"pairs_{source}.jsonl")) == counts[f"pairs_{source}"], source
        assert (export / "csv" / f"pairs_{source}.csv").exists(), source
    assert counts["pairs_test"] == len(pairs["test"]) and counts["pairs_natural"] == len(pairs["natural"])
    assert sorted(r["id"] for r in _lines(export / "jsonl" / "quotes.jsonl")) == sorted(q.id for q in quotes)
    with (export / "csv" / "quotes.csv").open(newline="", encoding="utf-8") as f:
        assert sorted(r["id"] for r in csv.DictReader(f)) == sorted(q.id for q in quotes)
    ls = export / "label_studio"
    quote_tasks = json.loads((ls / "quotes_tasks.json").read_text())
    assert len(quote_tasks) == counts["ls_article_tasks"] == E2E_ARTICLES
    # export.select=first, max_pair_tasks=0: every candidate pair becomes a task
    assert len(json.loads((ls / "pairs_tasks.json").read_text())) == counts["ls_pair_tasks"]
    assert counts["ls_pair_tasks"] == counts.get("pairs_candidates", 0)
    assert "<View" in (ls / "quotes_config.xml").read_text() and "<View" in (ls / "pairs_config.xml").read_text()
    assert (export / "hf" / "quotes").is_dir() and (export / "hf" / "pairs").is_dir()
    assert len(_lines(export / "doccano" / "quotes.jsonl")) == counts["doccano_lines"] == E2E_ARTICLES

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
        # the commit of the code that ran, although the pipeline ran from a folder outside the checkout
        assert child.data.tags["git_commit"] == (_checkout_commit() or "unknown"), stage
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
