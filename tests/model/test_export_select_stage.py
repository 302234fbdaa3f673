"""The export stage with export.select: the run's model picks and pre-annotates the pair tasks, the manifest says
how, and a retrained model makes the stage export again."""

from __future__ import annotations

import json

from quotecontra.export.demo import build_run_dir
from quotecontra.records import LABELS
from quotecontra.stages import STAGES, run_stage, signature


def _save_model(run_dir, seed: int) -> None:
    from quotecontra.models import fit_sklearn

    prem = ["The plan will be ready", "The clinic will close", "Nobody expected this"] * 6
    hyp = ["The plan is late", "The clinic stays open", "It was expected"] * 6
    labels = [LABELS[(i + seed) % 3] for i in range(18)]
    clf = fit_sklearn({"kind": "tfidf", "tfidf_max_features": 200, "tfidf_c": 1.0}, prem, hyp, labels, seed)
    clf.save(run_dir / "model")


def test_uncertainty_selection_in_the_export_stage(tmp_path, make_cfg):
    _, _, splits = build_run_dir(tmp_path)
    _save_model(tmp_path, 0)
    cfg = make_cfg(
        "export.select=uncertainty", "export.max_pair_tasks=2", "export.formats=[label_studio]", run_dir=tmp_path
    )
    metrics = run_stage("export", cfg)
    assert metrics["ls_pair_tasks"] == 2
    manifest = json.loads((tmp_path / "export" / "manifest.json").read_text())
    sel = manifest["selection"]
    assert sel["strategy"] == "uncertainty" and sel["pool"] == len(splits["candidates"]) and sel["batch"] == 2
    assert sel["model"]["kind"] == "tfidf" and sel["measure"].startswith("entropy")
    tasks = json.loads((tmp_path / "export" / "label_studio" / "pairs_tasks.json").read_text())
    assert [t["data"]["pair_id"] for t in tasks] == [r["pair_id"] for r in sel["selected"]]
    for t, r in zip(tasks, sel["selected"], strict=True):
        assert t["predictions"][0]["score"] == r["probability"]
        assert t["data"]["qc_selection"]["strategy"] == "uncertainty"

    before = signature(STAGES["export"], cfg)
    _save_model(tmp_path, 1)  # retrained: other scores, so the export is stale
    assert signature(STAGES["export"], cfg) != before
    first = make_cfg("export.max_pair_tasks=2", "export.formats=[label_studio]", run_dir=tmp_path)
    assert tmp_path / "model" not in STAGES["export"].inputs(first)  # the default needs no model
