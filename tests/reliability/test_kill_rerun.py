"""kill -9 at several points of a real ``quotecontra all`` run, then rerun: the outputs equal an uninterrupted run's.

One run dir is killed inside annotate, inside pairs, inside crossval and inside train (each restart picks up what the
stage records say is complete), then run to the end. Every data output (articles, quotes, pairs, crossval
predictions, calibration, metrics) must equal the uninterrupted reference byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow

# Outputs that depend only on inputs, config and seed (timings and MLflow ids live elsewhere).
COMPARED = ("articles.jsonl", "quotes.jsonl", "pairs", "crossval_predictions.jsonl", "calibration.json")


def _command(corpus: Path, run_dir: Path, base: Path) -> list[str]:
    return [
        sys.executable, "-m", "quotecontra.cli", "all", "experiment=smoke", "runtime.torch_threads=1",
        f"input={corpus}", f"run_dir={run_dir}", f"mlflow.tracking_uri=sqlite:///{base}/mlflow.db",
        f"data.shared_dir={(ROOT / '..' / 'shared').resolve()}",
    ]  # fmt: skip


def _digests(run_dir: Path) -> dict[str, str]:
    out = {}
    for name in COMPARED:
        path = run_dir / name
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for f in files:
            out[str(f.relative_to(run_dir))] = hashlib.sha256(f.read_bytes()).hexdigest()
    metrics = json.loads((run_dir / "metrics.json").read_text(encoding="utf-8"))
    out["metrics.json:sets"] = hashlib.sha256(json.dumps(metrics["sets"], sort_keys=True).encode()).hexdigest()
    return out


def _started(run_dir: Path, stage: str) -> Callable[[], bool]:
    """True once the stage has marked its record as started (it is about to write, or writing)."""
    record = run_dir / ".stages" / f"{stage}.json"

    def check() -> bool:
        try:
            return record.exists() and json.loads(record.read_text(encoding="utf-8")).get("complete") is False
        except (OSError, ValueError):
            return False

    return check


def _run_until(cmd: list[str], cwd: Path, condition: Callable[[], bool], delay: float, timeout: float = 600) -> int:
    """Start the pipeline; SIGKILL its process group ``delay`` s after ``condition`` holds. Returns the exit code."""
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    t_end = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < t_end:
        if condition():
            time.sleep(delay)
            os.killpg(proc.pid, signal.SIGKILL)
            break
        time.sleep(0.05)
    return proc.wait(timeout=60)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("kill") / "corpus"
    folder.mkdir()
    for stem in sorted(p.stem for p in (ROOT / "data" / "gold").glob("*.json"))[:3]:
        shutil.copy(ROOT / "data" / "samples" / f"{stem}.txt", folder)
    return folder


@pytest.fixture(scope="module")
def reference_and_killed(corpus: Path, tmp_path_factory) -> tuple[dict[str, str], dict[str, str]]:
    """Digests of an uninterrupted run, and of a run killed in four stages and then run to the end."""
    base = tmp_path_factory.mktemp("runs")
    ref, killed = base / "ref", base / "killed"
    res = subprocess.run(_command(corpus, ref, base), cwd=base, capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stderr[-3000:]
    cmd = _command(corpus, killed, base)
    codes = {}
    for stage, delay in (("annotate", 0.3), ("pairs", 0.5), ("crossval", 1.0), ("train", 1.0)):
        codes[stage] = _run_until(cmd, base, _started(killed, stage), delay)
    assert any(code == -signal.SIGKILL for code in codes.values()), codes  # at least one kill landed mid-run
    res = subprocess.run(cmd, cwd=base, capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stderr[-3000:]
    return _digests(ref), _digests(killed)


DATA = ("articles.jsonl", "quotes.jsonl", "pairs/")


def test_data_outputs_equal_an_uninterrupted_run(reference_and_killed) -> None:
    expected, got = reference_and_killed
    data = [k for k in expected if k.startswith(DATA)]
    assert data and {k: got.get(k) for k in data} == {k: expected[k] for k in data}


def test_model_outputs_equal_an_uninterrupted_run(reference_and_killed) -> None:
    expected, got = reference_and_killed
    model = [k for k in expected if not k.startswith(DATA)]
    assert {k: got.get(k) for k in model} == {k: expected[k] for k in model}
