"""MLflow at the edge: one run per stage, nested under a parent for ``all``.

Stages talk to a :class:`Tracker`; with ``mlflow.enabled=false`` they get one that only records locally, so the
stage code has no ``if mlflow`` branches.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import stat
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("MLFLOW_ENABLE_TELEMETRY", "false")
os.environ.setdefault("DO_NOT_TRACK", "true")

from omegaconf import DictConfig, OmegaConf

log = logging.getLogger(__name__)


def flatten(d: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """{'a': {'b': 1}} -> {'a.b': 1}; lists become their JSON text (MLflow params are strings)."""
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping):
            out.update(flatten(v, key + "."))
        elif isinstance(v, list | tuple):
            out[key] = json.dumps(list(v))[:6000]
        else:
            out[key] = v
    return out


def git_commit(cwd: Path | None = None) -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=5, check=True
        )
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def file_digest(path: Path, chunk: int = 1 << 20) -> str:
    """sha256 of a file, or of a folder's files (names and bytes), shortened to 16 hex digits.

    Never fails and never consumes a stream: an unreadable file or folder, a pipe or a broken link counts by its
    name and what it is, not its bytes (the reader logs such inputs as skips).
    """
    h = hashlib.sha256()
    path = Path(path)
    if path.is_dir():
        unreadable: list[OSError] = []
        files = sorted(Path(root, n) for root, _, names in os.walk(path, onerror=unreadable.append) for n in names)
        for err in sorted(unreadable, key=lambda e: str(e.filename)):
            h.update(f"{err.filename}\0unreadable folder: {err.strerror}".encode())
    else:
        files = [path]
    for f in files:
        h.update(str(f.relative_to(path) if path.is_dir() else f.name).encode())
        try:
            if not stat.S_ISREG(f.stat().st_mode):
                h.update(b"\0not a regular file")
                continue
            with f.open("rb") as fh:
                while block := fh.read(chunk):
                    h.update(block)
        except OSError as exc:
            h.update(f"\0unreadable: {exc.strerror}".encode())
    return h.hexdigest()[:16]


def is_main_process() -> bool:
    """False on the non-zero ranks of a torchrun/accelerate job: only rank 0 logs and writes outputs."""
    return int(os.environ.get("RANK", "0")) == 0


class Tracker:
    """What a stage may log. This base class keeps everything in memory (MLflow disabled)."""

    run_id: str | None = None

    def __init__(self) -> None:
        self.metrics: dict[str, float] = {}

    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        self.metrics.update({k: float(v) for k, v in metrics.items()})

    def log_artifact(self, path: Path, artifact_path: str | None = None) -> None:
        pass

    def log_input(self, name: str, path: Path, context: str, digest: str | None = None) -> None:
        pass

    def set_tags(self, tags: Mapping[str, str]) -> None:
        pass

    def log_params(self, params: Mapping[str, Any]) -> None:
        pass


class MlflowTracker(Tracker):
    def __init__(self, run_id: str) -> None:
        super().__init__()
        self.run_id = run_id

    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        import mlflow

        super().log_metrics(metrics, step)
        clean = {_metric_key(k): float(v) for k, v in metrics.items() if v is not None}
        if clean:
            mlflow.log_metrics(clean, step=step)

    def log_artifact(self, path: Path, artifact_path: str | None = None) -> None:
        import mlflow

        path = Path(path)
        if path.is_dir():
            mlflow.log_artifacts(str(path), artifact_path=artifact_path or path.name)
        elif path.exists():
            mlflow.log_artifact(str(path), artifact_path=artifact_path)

    def log_input(self, name: str, path: Path, context: str, digest: str | None = None) -> None:
        import mlflow
        from mlflow.data.dataset_source_registry import resolve_dataset_source
        from mlflow.data.meta_dataset import MetaDataset

        source = resolve_dataset_source(str(Path(path).resolve()))
        dataset = MetaDataset(source=source, name=name, digest=digest or file_digest(Path(path)))
        mlflow.log_input(dataset, context=context)

    def set_tags(self, tags: Mapping[str, str]) -> None:
        import mlflow

        mlflow.set_tags(dict(tags))

    def log_params(self, params: Mapping[str, Any]) -> None:
        import mlflow

        items = [(k[:250], "" if v is None else str(v)[:6000]) for k, v in params.items()]
        for i in range(0, len(items), 100):
            mlflow.log_params(dict(items[i : i + 100]))


def _metric_key(key: str) -> str:
    """MLflow keys allow letters, digits, _ - . / and spaces."""
    return "".join(c if c.isalnum() or c in "_-./ " else "_" for c in key)


def _artifact_root(tracking_uri: str) -> str | None:
    """Keep artifacts next to a local sqlite store instead of in whatever folder the command ran from."""
    if tracking_uri.startswith("sqlite:///"):
        db = Path(tracking_uri.removeprefix("sqlite:///")).resolve()
        return (db.parent / "mlartifacts").as_uri()
    return None


def setup_mlflow(mcfg: DictConfig | Mapping[str, Any]) -> str:
    """Point MLflow at the configured store and experiment; returns the experiment id."""
    import mlflow

    mlflow.set_tracking_uri(mcfg["tracking_uri"])
    name = mcfg["experiment"]
    exp = mlflow.get_experiment_by_name(name)
    if exp is None:
        exp_id = mlflow.create_experiment(name, artifact_location=_artifact_root(mcfg["tracking_uri"]))
    else:
        exp_id = exp.experiment_id
    mlflow.set_experiment(experiment_id=exp_id)
    return exp_id


@contextmanager
def stage_run(cfg: DictConfig, stage: str) -> Iterator[Tracker]:
    """An MLflow run for one stage (nested when a parent run is active), with params and tags logged."""
    if not cfg.mlflow.enabled or not is_main_process():
        yield Tracker()
        return
    import mlflow

    setup_mlflow(cfg.mlflow)
    parent = mlflow.active_run()
    with mlflow.start_run(run_name=stage, nested=parent is not None) as run:
        tracker = MlflowTracker(run.info.run_id)
        container = OmegaConf.to_container(cfg, resolve=True)
        assert isinstance(container, dict)
        tracker.log_params(flatten(container))
        tags = {"stage": stage, "git_commit": git_commit(), "run_dir": str(Path(cfg.run_dir).resolve())}
        if parent is not None:
            tags["parent_run_id"] = parent.info.run_id
        tracker.set_tags(tags)
        yield tracker


def run_url(tracker: Tracker, cfg: DictConfig) -> str:
    """A short pointer to the run for the stage summary."""
    if tracker.run_id is None:
        return "MLflow disabled"
    return f"MLflow run {tracker.run_id} ({cfg.mlflow.tracking_uri}, experiment {cfg.mlflow.experiment})"
