"""MLflow at the edge: one run per stage, nested under a parent for ``all``.

Stages talk to a :class:`Tracker`; with ``mlflow.enabled=false`` they get one that only records locally, so the
stage code has no ``if mlflow`` branches.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import stat
import subprocess
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("MLFLOW_ENABLE_TELEMETRY", "false")
os.environ.setdefault("DO_NOT_TRACK", "true")

from omegaconf import DictConfig

from quotecontra.console import filter_library_warnings
from quotecontra.mlflow_uri import check_reachable, http_defaults, redact, split_credentials, use_credentials

log = logging.getLogger(__name__)
# The experiment kind MLflow 3's UI reads: without it an experiment may open in the GenAI (traces) view.
EXPERIMENT_TAGS = {"mlflow.experimentKind": "custom_model_development"}


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
    """HEAD of the git checkout that holds the running code (of ``cwd`` where given); 'unknown' outside one.

    The default looks where this package is imported from, not the working directory: a run started from
    another folder (or inside another repository) still records the commit of its code. A package installed
    from a wheel is not tracked by any checkout (even in a .venv inside one), so it records 'unknown'.
    """
    try:
        if cwd is None:
            here = Path(__file__).resolve()
            cwd = here.parent
            subprocess.run(
                ["git", "ls-files", "--error-unmatch", here.name], cwd=cwd, capture_output=True, timeout=5, check=True
            )
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
    def __init__(self, run_id: str, experiment_id: str | None = None) -> None:
        super().__init__()
        self.run_id = run_id
        self.experiment_id = experiment_id
        self.inputs: dict[str, str] = {}  # dataset name -> digest, for the tags of a model version

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

        with warnings.catch_warnings():
            filter_library_warnings()  # mlflow warns that a local path matches two of its source kinds, every time
            source = resolve_dataset_source(str(Path(path).resolve()))
        # mlflow marks Dataset.profile abstract, but Dataset is no ABC and MetaDataset is its documented concrete class
        dataset = MetaDataset(source=source, name=name, digest=digest or file_digest(Path(path)))  # type: ignore[abstract]
        self.inputs[name] = dataset.digest
        mlflow.log_input(dataset, context=context)

    def set_tags(self, tags: Mapping[str, str]) -> None:
        import mlflow

        mlflow.set_tags(dict(tags))

    def log_params(self, params: Mapping[str, Any]) -> None:
        import mlflow

        items = [(k[:250], "" if v is None else str(v)[:6000]) for k, v in params.items()]
        for i in range(0, len(items), 100):
            mlflow.log_params(dict(items[i : i + 100]))


# A "." that separates name parts (not a decimal point between two digits).
_DOT_SEPARATOR = re.compile(r"(?<!\d)\.|\.(?!\d)")


def _metric_key(key: str) -> str:
    """One metric-name scheme in MLflow: ``<group>/<name>``, "/" the only separator (``synthetic/macro_f1``,
    ``train/quotes/eval_loss``, ``evaluate/natural/macro_f1`` in the parent run). The stages' own keys (metrics.json,
    baselines) keep their spelling; "." separators become "/" here. MLflow keys allow letters, digits, _ - . / and
    spaces."""
    key = _DOT_SEPARATOR.sub("/", key)
    return "".join(c if c.isalnum() or c in "_-./ " else "_" for c in key)


def _artifact_root(tracking_uri: str) -> str | None:
    """Keep artifacts next to a local sqlite store instead of in whatever folder the command ran from."""
    if tracking_uri.startswith("sqlite:///"):
        db = Path(tracking_uri.removeprefix("sqlite:///")).resolve()
        return (db.parent / "mlartifacts").as_uri()
    return None


_answered: set[str] = set()  # server URIs that answered the probe in this process


def setup_mlflow(mcfg: DictConfig | Mapping[str, Any]) -> str:
    """Point MLflow at the configured store and experiment (tagged as model training); returns the experiment id.

    Credentials in the URI move to MLflow's own variables (MLflow, and so its messages, only see the bare URI),
    and a server that does not answer raises :class:`~quotecontra.mlflow_uri.TrackingUnavailableError` within
    seconds instead of retrying for minutes.
    """
    import mlflow
    from mlflow.exceptions import MlflowException

    from quotecontra.mlflow_uri import TrackingUnavailableError

    filter_library_warnings()
    http_defaults()
    # The stage summary prints the run's link itself, without credentials (MLflow's "View run" lines had them).
    os.environ.setdefault("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", "true")
    uri = use_credentials(str(mcfg["tracking_uri"]))
    if uri not in _answered:
        check_reachable(uri)
        _answered.add(uri)
    mlflow.set_tracking_uri(uri)
    name = str(mcfg["experiment"])
    try:
        with _store_lock(uri):  # parallel sweep jobs on one fresh sqlite store: one creates it, the others wait
            exp_id = _experiment_id(mlflow, name, uri)
        mlflow.set_experiment(experiment_id=exp_id)
    except MlflowException as exc:
        raise TrackingUnavailableError(f"MLflow store {redact(uri)} refused: {redact(str(exc))}") from None
    return exp_id


@contextmanager
def _store_lock(uri: str) -> Iterator[None]:
    """An exclusive lock beside a local sqlite store while its schema and experiment are created (no-op otherwise)."""
    if not uri.startswith("sqlite:///"):
        yield
        return
    import fcntl

    db = Path(uri.removeprefix("sqlite:///"))
    db.parent.mkdir(parents=True, exist_ok=True)
    with open(db.with_name(db.name + ".lock"), "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _experiment_id(mlflow: Any, name: str, uri: str, attempts: int = 5) -> str:
    """The experiment's id, created (tagged as model training) if missing; a store busy with another job is retried."""
    import time

    from mlflow.exceptions import MlflowException

    for attempt in range(attempts):
        try:
            exp = mlflow.get_experiment_by_name(name)
            if exp is None:
                return mlflow.create_experiment(name, artifact_location=_artifact_root(uri), tags=EXPERIMENT_TAGS)
            client = mlflow.MlflowClient()
            for key, value in EXPERIMENT_TAGS.items():
                current = exp.tags.get(key)  # a kind the user chose stays; a missing or UI-inferred one is set
                if current is None or (current != value and current.endswith("_inferred")):
                    client.set_experiment_tag(exp.experiment_id, key, value)
            return exp.experiment_id
        except MlflowException as exc:  # another process created it meanwhile, or holds the sqlite write lock
            busy = "already exists" in str(exc) or "database is locked" in str(exc)
            if not busy or attempt == attempts - 1:
                raise
            log.info("MLflow store busy (%s); retrying", str(exc).splitlines()[0][:120])
            time.sleep(0.5 * (attempt + 1))
    raise AssertionError("unreachable")


def run_url(tracker: Tracker, cfg: DictConfig) -> str:
    """A short pointer to the run for the stage summary: the UI link for a server, never its credentials."""
    if tracker.run_id is None:
        return "MLflow disabled"
    bare = split_credentials(str(cfg.mlflow.tracking_uri))[0]
    exp_id = getattr(tracker, "experiment_id", None)
    if bare.startswith(("http://", "https://")) and exp_id is not None:
        link = f"{bare.rstrip('/')}/#/experiments/{exp_id}/runs/{tracker.run_id}"
        return redact(f"MLflow run {tracker.run_id} at {link} (experiment {cfg.mlflow.experiment})")
    return redact(f"MLflow run {tracker.run_id} ({bare}, experiment {cfg.mlflow.experiment})")
