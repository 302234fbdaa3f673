"""The stage runner: one stage, or ``all``, inside MLflow runs, skipping stages whose signature did not change.

The graph it runs is :mod:`quotecontra.stage_graph`: each :class:`StageSpec` declares its inputs, outputs, config
keys and code. A stage whose input digests and config slice equal the last run's, whose last run finished and whose outputs
still have the digests it recorded, is skipped; pass ``force=true`` to rerun it anyway. One run at a time works
in a run dir (:class:`~quotecontra.runpaths.RunLock`), and a stage refuses to replace its outputs with an empty
result unless ``allow_empty=true`` (:mod:`quotecontra.stage_guard`). Stage logic lives in the stage modules and
knows no MLflow run handling.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from omegaconf import DictConfig

from quotecontra.run_meta import stage_run
from quotecontra.runpaths import locked
from quotecontra.stage_graph import PIPELINE_VERSION, STAGES, StageSpec, config_slice, record_path, signature
from quotecontra.stage_guard import (
    EmptyOutputError,
    mark_finished,
    mark_started,
    materialize_input,
    read_record,
    require_output,
    rerun_reason,
    restore_record,
)
from quotecontra.stage_result import StageResult
from quotecontra.tracking import is_main_process, run_url

log = logging.getLogger(__name__)

__all__ = [
    "PIPELINE_VERSION",
    "STAGES",
    "EmptyOutputError",
    "StageResult",
    "StageSpec",
    "require_output",
    "run_all",
    "run_stage",
    "signature",
]


def run_stage(name: str, cfg: DictConfig) -> dict[str, float]:
    """Run one stage inside its MLflow run (holding its run dir's lock), skipping it when nothing changed."""
    spec = STAGES[name]
    record = record_path(spec, cfg)
    roots = sorted({str(Path(str(cfg.run_dir)).resolve()), str(record.parent.parent.resolve())})
    with locked(roots[0], is_main_process()) as lock, locked(roots[-1], is_main_process() and len(roots) > 1):
        if lock is not None:
            lock.note(stage=name)
        if Path(str(cfg.input)) in spec.inputs(cfg):
            cfg = materialize_input(cfg)
        return _run_stage(spec, cfg, record)


def _run_stage(spec: StageSpec, cfg: DictConfig, record: Path) -> dict[str, float]:
    name = spec.name
    sig = signature(spec, cfg)
    previous = read_record(record)
    reason = rerun_reason(previous, sig, spec.outputs(cfg), bool(cfg.force))
    unchanged = reason is None
    if previous and reason:
        log.info("[%s] runs: %s", name, reason)
    t0 = time.perf_counter()
    with stage_run(cfg, name) as tracker:
        if unchanged:
            result = StageResult(
                metrics={k: float(v) for k, v in previous.get("metrics", {}).items()},
                outputs=[Path(p) for p in previous.get("outputs", [])],
                summary=["inputs and config unchanged since the last run: skipped (force=true reruns it)"],
            )
            tracker.set_tags({"skipped": "true", "signature": sig or ""})
            tracker.log_metrics(result.metrics)
        else:
            missing = [str(p) for p in spec.inputs(cfg) if not p.exists()]
            if missing:
                raise FileNotFoundError(
                    f"stage '{name}' needs {', '.join(missing)}: run the stage that writes it first "
                    f"(quotecontra all run_dir={cfg.run_dir})"
                )
            if sig is not None and is_main_process():
                mark_started(record, sig)
            try:
                result = spec.load()(config_slice(spec, cfg), tracker)
            except EmptyOutputError:
                if sig is not None and is_main_process():
                    restore_record(record, previous)  # the stage refused before writing: its outputs are intact
                raise
            if result.count is not None and is_main_process():
                require_output(cfg, name, result.count, "results", "the stage record is not updated, so it reruns")
            tracker.log_metrics(result.metrics)
            for out in result.outputs:
                tracker.log_artifact(out)
            tracker.set_tags({"skipped": "false", "signature": sig or ""})
            if sig is not None and is_main_process():
                mark_finished(record, sig, result.metrics, result.outputs, spec.outputs(cfg))
        elapsed = time.perf_counter() - t0
        if is_main_process():
            _print_summary(name, result, elapsed, run_url(tracker, cfg))
    return result.metrics


def _print_summary(name: str, result: StageResult, elapsed: float, run: str) -> None:
    lines = [f"[{name}] done in {elapsed:.1f}s", *(f"  {s}" for s in result.summary)]
    if result.outputs:
        lines.append("  wrote: " + ", ".join(str(p) for p in result.outputs))
    lines.append(f"  logged: {run}")
    print("\n".join(lines), flush=True)


def run_all(cfg: DictConfig) -> dict[str, float]:
    """annotate -> pairs -> train -> evaluate -> export, each a nested MLflow run under one parent."""
    metrics: dict[str, float] = {}
    with locked(cfg.run_dir, is_main_process()):
        cfg = materialize_input(cfg)  # a piped input is read once, before any stage digests it
        with stage_run(cfg, "all") as parent:
            for name, spec in STAGES.items():
                if spec.in_all and (spec.when is None or spec.when(cfg)):
                    metrics.update({f"{name}/{k}": v for k, v in run_stage(name, cfg).items()})
            parent.log_metrics(metrics)
    return metrics
