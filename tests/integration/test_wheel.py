"""The wheel works without the checkout: built, installed into a fresh venv with constraints.txt, and run from an
empty folder (``quotecontra all experiment=smoke``), configs and sample corpus coming from inside the package.

Slow: the fresh venv installs every dependency (torch, spaCy, mlflow, ...) from the index, several minutes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def _run(cmd: list[str], cwd: Path, timeout: int, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    res = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)
    assert res.returncode == 0, f"{' '.join(cmd)} failed:\n{res.stdout[-3000:]}\n{res.stderr[-5000:]}"
    return res


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    # The checkout's own setuptools (no isolated build env to fetch); the build step copies conf/ and data/.
    _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(dist), str(ROOT)],
        ROOT,
        600,
    )
    (whl,) = dist.glob("quotecontra-*.whl")
    return whl


def test_wheel_carries_configs_and_sample_data(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "quotecontra/conf/config.yaml" in names
    assert "quotecontra/conf/experiment/smoke.yaml" in names
    shipped_samples = {n for n in names if n.startswith("quotecontra/data/samples/") and n.endswith(".txt")}
    assert len(shipped_samples) == len(list((ROOT / "data" / "samples").glob("*.txt")))
    assert any(n.startswith("quotecontra/data/gold/") for n in names)
    assert any(n.startswith("quotecontra/resources/") for n in names)
    assert not any(n.startswith(("conf/", "data/")) for n in names), "top-level folders leaked into site-packages"
    metadata = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("/METADATA"))).decode()
    assert "Provides-Extra: ray" in metadata
    assert "Requires-Dist: ray[data]" in metadata and 'extra == "ray"' in metadata


def test_installed_wheel_runs_the_smoke_pipeline_from_an_empty_folder(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], tmp_path, 300)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "-c", str(ROOT / "constraints.txt")]
    _run([*pip, str(wheel)], tmp_path, 3000)
    freeze = _run([str(venv / "bin" / "python"), "-m", "pip", "freeze"], tmp_path, 120).stdout
    assert "torch==2.13.0+cpu" in freeze  # the lock keeps the CPU build
    assert "\nray==" not in freeze  # the [ray] extra stays optional

    work = tmp_path / "empty"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.update(HF_HUB_OFFLINE="1", MLFLOW_DISABLE_TELEMETRY="true", TOKENIZERS_PARALLELISM="false")
    res = _run([str(venv / "bin" / "quotecontra"), "all", "experiment=smoke"], work, 3000, env)
    assert str(ROOT) not in res.stdout, "the installed package read the checkout"
    for stage in ("annotate", "pairs", "train", "evaluate", "export"):
        assert f"[{stage}] done" in res.stdout
    assert (work / "runs" / "default" / "metrics.json").exists()
    assert (work / "mlflow.db").exists()
    assert len((res.stdout + res.stderr).splitlines()) < 200, "logs not quiet in a file"
