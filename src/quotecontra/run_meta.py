"""What an MLflow run says about itself, so runs compare: its name, its params, its config, its model versions.

* The run name says what differs: ``train · smoke · learning_rate=1e-4`` (stage, experiment, the job's overrides).
* The params are the stage's own config slice, read from the stage graph (``StageSpec.config_keys``), so a train
  run lists ``train.*``/``model.*`` and an annotate run ``annotate.*``; the whole resolved config is the run's
  ``config.yaml`` artifact. ``all`` takes the union of the stages it runs.
* A model version registered inside a stage run gets a description and ``data``/``git_commit`` tags.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf

from quotecontra.mlflow_uri import redact
from quotecontra.stage_graph import STAGES
from quotecontra.tracking import MlflowTracker, Tracker, flatten, git_commit, is_main_process, setup_mlflow

log = logging.getLogger(__name__)

# Overrides a run name leaves out: the stage and experiment have their own place, the rest says where, not what.
NAME_SKIPPED = ("stage", "experiment", "run_dir", "force", "mlflow", "data.shared_dir", "hydra")
NAME_SEPARATOR = " · "
MAX_NAME = 200
MAX_VALUE = 40


@dataclass(frozen=True)
class JobContext:
    """The Hydra job a stage runs in: the experiment chosen, the command-line overrides, the sweep job number."""

    experiment: str | None = None
    overrides: tuple[str, ...] = ()
    sweep_job: int | None = None


def job_context() -> JobContext:
    """Read from Hydra when the stage runs under the CLI; empty when a test composed the config itself."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    if not HydraConfig.initialized():
        return JobContext()
    hc = HydraConfig.get()
    experiment = hc.runtime.choices.get("experiment")
    # HydraConfig.get() is typed HydraConf but returns the DictConfig (hydra ignores that on its own return)
    sweep = int(hc.job.num) if hc.mode == RunMode.MULTIRUN and hc.job.get("num") is not None else None  # type: ignore[attr-defined]
    return JobContext(str(experiment) if experiment else None, tuple(str(o) for o in hc.overrides.task), sweep)


def _short(value: str) -> str:
    return value if len(value) <= MAX_VALUE else value[: MAX_VALUE - 1] + "…"


def _within(key: str, keys: Sequence[str]) -> bool:
    """``key`` is one of ``keys``, inside one (``train.lr`` in ``train``) or holds one (``data`` holds ``data.x``)."""
    return any(key == k or key.startswith(k + ".") or k.startswith(key + ".") for k in keys)


def override_labels(overrides: Sequence[str], keys: Sequence[str] = ()) -> list[str]:
    """``train.learning_rate=1e-4`` -> ``learning_rate=1e-4`` (the full key when two overrides share the last part).

    With ``keys`` (a stage's config slice) only the overrides within it count: a swept learning rate names the
    train runs, not the annotate runs it leaves unchanged.
    """
    items: list[tuple[str, str]] = []
    for ov in overrides:
        key, sep, value = ov.partition("=")
        key = key.lstrip("+~")
        skipped = any(key == k or key.startswith(k + ".") for k in NAME_SKIPPED)
        if not sep or skipped or (keys and not _within(key, keys)):
            continue
        if key == "input":
            value = Path(value).name or value
        items.append((key, redact(value)))
    tails = Counter(k.rsplit(".", 1)[-1] for k, _ in items)
    labels = []
    for key, value in items:
        tail = key.rsplit(".", 1)[-1]
        labels.append(f"{tail if tails[tail] == 1 else key}={_short(value)}")
    return labels


def run_name(stage: str, ctx: JobContext) -> str:
    """``<stage> · <experiment> · <overrides>``, each part only when there is one; the overrides are those within
    the stage's config slice (all of them for ``all`` and for a stage that declares no slice)."""
    keys = config_keys(stage) if stage != "all" else ()
    parts = [stage, *([ctx.experiment] if ctx.experiment else []), *override_labels(ctx.overrides, keys)]
    name = NAME_SEPARATOR.join(parts)
    return name if len(name) <= MAX_NAME else name[: MAX_NAME - 1] + "…"


def config_keys(stage: str) -> tuple[str, ...]:
    """The config slice of ``stage`` from the stage graph; for ``all`` the union over the stages it runs."""
    if stage in STAGES:
        return STAGES[stage].config_keys
    if stage == "all":
        keys = [k for spec in STAGES.values() if spec.in_all for k in spec.config_keys]
        return tuple(dict.fromkeys(keys))
    return ()


def _redacted(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {k: _redacted(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redacted(v) for v in value]
    return value


def stage_params(cfg: DictConfig, stage: str) -> dict[str, Any]:
    """The flattened config slice of ``stage`` (credentials in URIs redacted), plus ``stage`` itself."""
    out: dict[str, Any] = {}
    for key in config_keys(stage):
        node = OmegaConf.select(cfg, key)
        value: Any = OmegaConf.to_container(node, resolve=True) if isinstance(node, DictConfig | ListConfig) else node
        value = _redacted(value)
        if isinstance(value, Mapping):
            out.update(flatten(value, key + "."))
        elif isinstance(value, list):
            out[key] = json.dumps(value)
        else:
            out[key] = value
    out["stage"] = stage
    return out


def config_yaml(cfg: DictConfig) -> str:
    """The whole resolved config as YAML (the run's ``config.yaml``), URIs without credentials."""
    container = OmegaConf.to_container(cfg, resolve=True)
    return OmegaConf.to_yaml(OmegaConf.create(_redacted(container)))


def version_tags(stage: str, run_name: str, commit: str, inputs: Mapping[str, str], ctx: JobContext) -> dict[str, str]:
    """Tags of a model version: what it was trained on (``data``), from which code (``git_commit``) and run."""
    tags = {
        "data": ", ".join(f"{name}@{digest}" for name, digest in inputs.items()) or "none logged",
        "git_commit": commit,
        "stage": stage,
        "run_name": run_name,
    }
    if ctx.experiment:
        tags["experiment"] = ctx.experiment
    return tags


def version_description(cfg: DictConfig, stage: str, run_name: str, commit: str, inputs: Mapping[str, str]) -> str:
    """One paragraph for the registry page: the model kind, the run, the data digests and the commit."""
    kind = OmegaConf.select(cfg, "model.kind", default=None)
    base = OmegaConf.select(cfg, "model.name_or_path", default=None)
    data = ", ".join(f"{name} (digest {digest})" for name, digest in inputs.items()) or "no dataset logged"
    what = f"{kind} classifier" if kind else "Model"
    start = f" starting from {redact(str(base))}" if base else ""
    return f"{what}{start}, logged by the {stage} stage in run '{run_name}'. Data: {data}. Git commit: {commit}."


def describe_model_versions(
    client: Any, run_id: str, cfg: DictConfig, stage: str, run_name: str, commit: str, inputs: Mapping[str, str]
) -> int:
    """Describe and tag every model version registered from ``run_id``; returns how many. A registry that
    refuses (an old server, no permission) costs a warning, never the stage that already finished."""
    from mlflow.exceptions import MlflowException

    try:
        versions = client.search_model_versions(f"run_id='{run_id}'")
        ctx = job_context()
        for v in versions:
            for key, value in version_tags(stage, run_name, commit, inputs, ctx).items():
                client.set_model_version_tag(v.name, v.version, key, value)
            if not v.description:
                client.update_model_version(
                    v.name, v.version, description=version_description(cfg, stage, run_name, commit, inputs)
                )
    except MlflowException as exc:
        log.warning("could not describe the model versions of run %s: %s", run_id, redact(str(exc)))
        return 0
    return len(versions)


@contextmanager
def stage_run(cfg: DictConfig, stage: str) -> Iterator[Tracker]:
    """An MLflow run for one stage (nested when a parent run is active), with params and tags logged."""
    if not cfg.mlflow.enabled or not is_main_process():
        yield Tracker()
        return
    import mlflow

    exp_id = setup_mlflow(cfg.mlflow)
    parent = mlflow.active_run()
    ctx = job_context()
    name = run_name(stage, ctx)
    with mlflow.start_run(run_name=name, nested=parent is not None) as run:
        tracker = MlflowTracker(run.info.run_id, exp_id)
        tracker.log_params(stage_params(cfg, stage))
        mlflow.log_text(config_yaml(cfg), "config.yaml")
        commit = git_commit()
        tags = {
            "stage": stage,
            "git_commit": commit,
            "run_dir": str(Path(cfg.run_dir).resolve()),
            "experiment": ctx.experiment or "",
            "overrides": redact(" ".join(ctx.overrides))[:5000],
        }
        if ctx.sweep_job is not None:
            tags["sweep_job"] = str(ctx.sweep_job)
        if parent is not None:
            tags["parent_run_id"] = parent.info.run_id
        tracker.set_tags(tags)
        yield tracker
        describe_model_versions(mlflow.MlflowClient(), run.info.run_id, cfg, stage, name, commit, tracker.inputs)
