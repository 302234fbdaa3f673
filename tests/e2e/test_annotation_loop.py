"""The annotator loop without a Label Studio server: export (diverse selection) -> annotations in Label Studio's
JSON export format -> import-annotations -> the pairs stage takes the labels up; a new import rebuilds the pairs,
an unchanged rerun skips."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from quotecontra.export.demo import build_run_dir
from quotecontra.stages import run_stage

SKIPPED = "unchanged since the last run: skipped"


def _natural(run_dir) -> list[dict]:
    """The natural split as written (parquet: a DatasetDict with an empty split does not load back whole)."""
    return pd.read_parquet(run_dir / "pairs" / "natural.parquet").to_dict("records")


def _annotated_export(run_dir, labels: dict[str, str]) -> list[dict]:
    """Every exported task annotated by user 4: article tasks keep the prediction, pair tasks get ``labels``."""
    ls = run_dir / "export" / "label_studio"
    tasks = json.loads((ls / "quotes_tasks.json").read_text()) + json.loads((ls / "pairs_tasks.json").read_text())
    out = []
    for i, t in enumerate(tasks, 1):
        if t["data"]["qc_task"] == "pair":
            choice = labels[t["data"]["pair_id"]]
            result = [
                {
                    "id": "l",
                    "from_name": "label",
                    "to_name": "premise",
                    "type": "choices",
                    "value": {"choices": [choice]},
                }
            ]
        else:
            result = t["predictions"][0]["result"]
        who = {"id": 4, "email": "ann@example.org"}
        ann = {"id": i, "completed_by": who, "result": result, "created_at": "2026-12-01T08:00:00Z"}
        out.append({"id": i, "data": t["data"], "annotations": [{**ann, "updated_at": f"2026-12-01T09:{i:02d}:00Z"}]})
    return out


@pytest.mark.slow
def test_imported_labels_reach_the_pairs_stage(tmp_path, make_cfg, capsys):
    _, _, splits = build_run_dir(tmp_path)
    export_cfg = make_cfg(
        "export.select=diverse", "export.max_pair_tasks=2", "export.formats=[label_studio]", run_dir=tmp_path
    )
    run_stage("export", export_cfg)
    tasks = json.loads((tmp_path / "export" / "label_studio" / "pairs_tasks.json").read_text())
    chosen = [t["data"]["pair_id"] for t in tasks]
    assert len(chosen) == 2 and set(chosen) <= {p.id for p in splits["candidates"]}

    labels = dict(zip(chosen, ["contradiction", "neutral"], strict=True))
    src = tmp_path / "ls_export.json"
    src.write_text(json.dumps(_annotated_export(tmp_path, labels)))
    run_stage("import-annotations", make_cfg(f"file={src}", run_dir=tmp_path))
    summary = json.loads((tmp_path / "import_summary.json").read_text())
    assert summary["batch"]["annotators"] == ["4"] and summary["batch"]["last_annotation"].startswith("2026-12-01T09")

    pairs_overrides = (
        f"pairs.annotations=[{tmp_path / 'imported_pairs.jsonl'}]",
        "pairs.gold_dirs=[]",
        "pairs.encoder=tfidf",
        "allow_empty=true",
    )
    pairs_cfg = make_cfg(*pairs_overrides, run_dir=tmp_path)
    metrics = run_stage("pairs", pairs_cfg)
    assert metrics["annotations/pairs"] == 2 and metrics["annotations/conflicts"] == 0
    got = {r["id"]: r for r in _natural(tmp_path)}
    assert {pid: got[pid]["label"] for pid in chosen} == labels
    assert all(got[pid]["origin"] == "annotated" and got[pid]["split"] == "natural" for pid in chosen)
    lineage = json.loads((tmp_path / "pairs" / "annotations.json").read_text())
    batch = lineage["batches"][0]
    assert sorted(batch["pair_ids"]) == sorted(chosen) and batch["annotators"] == ["4"]
    assert all(got[pid]["annotator"] == f"{batch['batch']}:4" for pid in chosen)
    card = (tmp_path / "pairs" / "README.md").read_text()
    assert batch["batch"] in card and batch["digest"] in card
    assert len(batch["articles_replaced"]) == 2  # both articles' records now come from the annotators

    capsys.readouterr()
    run_stage("pairs", pairs_cfg)
    assert SKIPPED in capsys.readouterr().out  # nothing new: no rebuild
    labels[chosen[1]] = "entailment"  # a second look at the pair, exported again
    src.write_text(json.dumps(_annotated_export(tmp_path, labels)))
    run_stage("import-annotations", make_cfg(f"file={src}", run_dir=tmp_path))
    logged_cfg = make_cfg(*pairs_overrides, run_dir=tmp_path, mlflow=True)
    run_stage("pairs", logged_cfg)
    assert SKIPPED not in capsys.readouterr().out
    assert {r["id"]: r["label"] for r in _natural(tmp_path)}[chosen[1]] == "entailment"

    # the MLflow run names the batch: a param with its digest and annotators, and the batch as an input dataset
    from mlflow.tracking import MlflowClient

    new_batch = json.loads((tmp_path / "pairs" / "annotations.json").read_text())["batches"][0]
    assert new_batch["batch"] != batch["batch"]  # a new import is a new batch
    client = MlflowClient(tracking_uri=f"sqlite:///{tmp_path}/mlflow.db")
    exp = client.get_experiment_by_name("quotecontra")
    (run,) = [r for r in client.search_runs([exp.experiment_id]) if r.data.tags.get("stage") == "pairs"]
    param = run.data.params[f"annotations.{new_batch['batch']}"]
    assert new_batch["digest"] in param and "annotators=4" in param and "pairs=2" in param
    inputs = {d.dataset.name: d.dataset.digest for d in run.inputs.dataset_inputs}
    assert inputs[f"annotations/{new_batch['batch']}"] == new_batch["digest"]
