"""The CLI validates the composed config before any stage: a one-line error naming the problem, a non-zero exit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "quotecontra.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=180
    )


def _error_line(res: subprocess.CompletedProcess) -> str:
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert lines, f"no error message (rc {res.returncode}): {res.stdout[-2000:]}"
    return lines[-1]


def test_bad_values_fail_before_any_stage(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    res = _cli(
        "annotate", "data.format=json", "annotate.batch_size=0", f"run_dir={run_dir}", f"input={tmp_path}",
        "mlflow.enabled=false",
    )  # fmt: skip
    assert res.returncode != 0
    line = _error_line(res)
    assert line.startswith("quotecontra: invalid config: ")
    assert "data.format='json' is not one of: auto, txt, jsonl, html" in line
    assert "annotate.batch_size=0 is out of range (must be >= 1)" in line
    assert "Traceback" not in res.stderr
    assert not (run_dir / ".stages").exists() and not (run_dir / "articles.jsonl").exists()


def test_missing_experiment_fails_listing_the_available_ones(tmp_path: Path) -> None:
    res = _cli("annotate", "experiment=nope", f"run_dir={tmp_path / 'run'}", "mlflow.enabled=false")
    assert res.returncode != 0
    line = _error_line(res)
    assert "conf/experiment/nope.yaml not found" in line
    available = sorted(p.stem for p in (ROOT / "conf" / "experiment").glob("*.yaml"))
    assert "available experiments: " + ", ".join(available) in line
    assert not (tmp_path / "run" / ".stages").exists()


def test_experiment_from_an_added_search_path_is_found(tmp_path: Path) -> None:
    exp = tmp_path / "experiment"
    exp.mkdir()
    (exp / "mine.yaml").write_text("# @package _global_\nseed: 7\n")
    shown = _cli("annotate", f"hydra.searchpath=[file://{tmp_path}]", "experiment=mine", "--cfg", "job")
    assert shown.returncode == 0, shown.stderr
    assert "seed: 7" in shown.stdout
    # a real run gets past the experiment check to the stage, which then wants its input
    res = _cli(
        "pairs", f"hydra.searchpath=[file://{tmp_path}]", "experiment=mine", f"run_dir={tmp_path / 'run'}",
        "mlflow.enabled=false",
    )  # fmt: skip
    assert "not found" not in res.stderr
    assert "stage 'pairs' needs" in res.stderr


def test_multirun_validates_every_job_before_the_first_runs(tmp_path: Path) -> None:
    sweep = tmp_path / "sweep"
    res = _cli(
        "annotate", "--multirun", "annotate.batch_size=4,0", f"hydra.sweep.dir={sweep}", f"input={tmp_path}",
        "mlflow.enabled=false",
    )  # fmt: skip
    assert res.returncode != 0
    line = _error_line(res)
    assert "sweep job 1 (annotate.batch_size=0): annotate.batch_size=0 is out of range" in line
    assert not sweep.exists(), "job 0 ran although job 1 was invalid"


def test_multirun_with_a_missing_experiment_fails_up_front(tmp_path: Path) -> None:
    sweep = tmp_path / "sweep"
    res = _cli("annotate", "-m", "experiment=smoke,nope", f"hydra.sweep.dir={sweep}", "mlflow.enabled=false")
    assert res.returncode != 0
    assert "experiment=nope" in _error_line(res) and "not found" in _error_line(res)
    assert not sweep.exists()
