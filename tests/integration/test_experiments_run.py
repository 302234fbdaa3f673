"""Every shipped experiment runs end to end, not only composes (tests/unit/test_validate.py composes all of them).

``smoke`` runs in tests/e2e and the ``baseline_*`` experiments run in full in ``make reproduce`` (CI); the others run
here as `quotecontra all` on 3 sample articles with every expensive setting capped, so an override that breaks a
stage (a renamed key, a stage reading what it did not declare) fails in CI rather than in a user's long run.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHARED = (ROOT / ".." / "shared").resolve()
pytestmark = pytest.mark.integration  # minutes of model loading: make test-integration, not make test

EXPERIMENTS = sorted(p.stem for p in (ROOT / "conf" / "experiment").glob("*.yaml"))
RUN_ELSEWHERE = {
    "smoke": "tests/e2e/test_pipeline.py",
    "baseline_hypothesis_only": "make reproduce",
    "baseline_minilm": "make reproduce",
    "baseline_tfidf": "make reproduce",
}
RUN_HERE = [e for e in EXPERIMENTS if e not in RUN_ELSEWHERE]
SHRINK = [
    "train.max_steps=2",
    "crossval.folds=2",
    "crossval.max_train_pairs=40",
    "nli.max_pairs=40",
    "nli_base.max_pairs=120",
    "nli_base.max_steps=2",
    "nli_base.max_eval_per_set=10",
    "evaluate.max_external=10",
    "runtime.torch_threads=1",
]


def test_every_shipped_experiment_is_run_by_some_test() -> None:
    assert set(RUN_HERE) | set(RUN_ELSEWHERE) == set(EXPERIMENTS)
    assert set(RUN_ELSEWHERE) <= set(EXPERIMENTS), "a listed experiment no longer exists"
    assert RUN_HERE, "nothing left to run here: drop this module"


@pytest.mark.parametrize("name", RUN_HERE)
def test_experiment_runs_all_stages(name: str, tmp_path: Path) -> None:
    if not (SHARED / "nli").is_dir():
        pytest.skip(f"{SHARED / 'nli'} is absent: the NLI stages of {name} need ../shared (README 'Data')")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for stem in sorted(p.stem for p in (ROOT / "data" / "gold").glob("*.json"))[:3]:
        shutil.copy(ROOT / "data" / "samples" / f"{stem}.txt", corpus)
    run_dir = tmp_path / "run"
    res = subprocess.run(
        [
            sys.executable, "-m", "quotecontra.cli", "all", f"experiment={name}", *SHRINK,
            f"input={corpus}", f"run_dir={run_dir}", f"nli_base.out_dir={tmp_path / 'nli_base'}",
            f"mlflow.tracking_uri=sqlite:///{tmp_path}/mlflow.db", f"data.shared_dir={SHARED}",
        ],
        cwd=tmp_path, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-5000:]
    metrics = json.loads((run_dir / "metrics.json").read_text())
    sets = metrics["sets"]
    assert metrics["model"]["kind"] == "transformer"
    assert "synthetic" in sets and sets["natural"]["n"] + sets["natural_seen"]["n"] > 0, sorted(sets)
    assert (run_dir / "contradictions.jsonl").exists()
    if name == "nli_base_large":  # its point: the quote model starts from the NLI base it built
        assert (tmp_path / "nli_base" / "model" / "model.json").exists()
