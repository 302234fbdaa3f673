"""The stage graph: what each stage reads, writes and depends on, and the runner that skips unchanged stages.

Like a DVC stage, each :class:`StageSpec` declares its inputs, outputs and the config keys that matter to it.
A stage whose input digests and config slice equal the last run's, whose last run finished and whose outputs
still have the digests it recorded, is skipped; pass ``force=true`` to rerun it anyway. One run at a time works
in a run dir (:class:`~quotecontra.runpaths.RunLock`), and a stage refuses to replace its outputs with an empty
result unless ``allow_empty=true`` (:mod:`quotecontra.stage_guard`). Stage logic lives in the stage modules and
knows no MLflow run handling.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from quotecontra.code_digest import code_digest
from quotecontra.runpaths import RunPaths, locked
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
from quotecontra.tracking import Tracker, file_digest, is_main_process, run_url, stage_run

log = logging.getLogger(__name__)
PIPELINE_VERSION = "1"


@dataclass
class StageResult:
    """What a stage hands back: metrics for MLflow and the caller, and the lines of its summary."""

    metrics: dict[str, float] = field(default_factory=dict)
    outputs: list[Path] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)
    # How much the stage produced (articles, pairs, training steps); 0 fails unless allow_empty=true.
    count: float | None = None


@dataclass(frozen=True)
class StageSpec:
    name: str
    target: str | Callable[[DictConfig, Tracker], StageResult]  # "module:function": imported when the stage runs
    doc: str
    inputs: Callable[[DictConfig], list[Path]]
    outputs: Callable[[DictConfig], list[Path]]
    config_keys: tuple[str, ...]
    in_all: bool = True
    # Where the stage's record lives (default run_dir/.stages): a stage whose output is shared by run dirs keeps it there.
    record_dir: Callable[[DictConfig], Path] | None = None
    # ``all`` runs the stage only when this holds (default: always).
    when: Callable[[DictConfig], bool] | None = None

    def load(self) -> Callable[[DictConfig, Tracker], StageResult]:
        if callable(self.target):
            return self.target
        module, func = self.target.split(":")
        return getattr(importlib.import_module(module), func)


def _p(cfg: DictConfig) -> RunPaths:
    return RunPaths.of(cfg.run_dir)


def _nli_inputs(cfg: DictConfig) -> list[Path]:
    """The NLI files the base reads (their digests decide whether it is rebuilt)."""
    from quotecontra import nli_sets

    root = Path(str(cfg.data.shared_dir)) / "nli"
    files = {root / f for name in cfg.nli_base.sets for f in nli_sets.get_set(str(name)).train}
    return sorted(files) or [root]


def _uses_nli_base(cfg: DictConfig) -> bool:
    from quotecontra.train_nli import uses_nli_base

    return uses_nli_base(cfg)


def _model_inputs(cfg: DictConfig) -> list[Path]:
    """A local encoder dir the quote model starts from (the NLI base): retraining it retrains the model."""
    path = Path(str(cfg.model.name_or_path)) / "model.json"
    return [path] if cfg.model.kind == "transformer" and path.exists() else []


def _calibration_inputs(cfg: DictConfig) -> list[Path]:
    """The crossval stage's calibration.json, which the train stage ships inside the model."""
    path = _p(cfg).root / "calibration.json"
    return [path] if cfg.crossval.enabled and path.exists() else []


def _attribution_inputs(cfg: DictConfig) -> list[Path]:
    """The tagger a learned or hybrid annotate reads (a local dir): retraining it re-annotates."""
    path = Path(str(cfg.annotate.attribution_model))
    return [path] if cfg.annotate.extractor != "rules" and path.is_dir() else []


def _polnear_inputs(cfg: DictConfig) -> list[Path]:
    root = Path(str(cfg.data.shared_dir)) / "polnear"
    return [root / "metadata.tsv", root / "train", root / "dev", *(Path(str(g)) for g in cfg.attribution.gold_dirs)]


def _gold_inputs(cfg: DictConfig) -> list[Path]:
    return [Path(g) for g in cfg.pairs.gold_dirs if Path(g).exists()]


def _annotation_inputs(cfg: DictConfig) -> list[Path]:
    """Every file of the annotation batches (pairs.annotations): a new import rebuilds the pairs."""
    from quotecontra.pairs.annotations import batch_files

    return [f for entry in cfg.pairs.annotations for f in batch_files(entry)]


STAGES: dict[str, StageSpec] = {
    s.name: s
    for s in [
        StageSpec(
            "train-nli",
            "quotecontra.train_nli:run",
            "shared NLI sets -> NLI base model (nli_base.out_dir), registered as quotecontra-nli-base",
            inputs=lambda c: _nli_inputs(c),
            outputs=lambda c: [Path(str(c.nli_base.out_dir)) / "model" / "model.json"],
            config_keys=(
                "nli_base",
                "seed",
                "data.shared_dir",
                "train.bf16",
                "train.device",
                # the train.* settings train_settings() does not replace with nli_base.*
                "train.eval_batch_size",
                "train.weight_decay",
                "train.warmup_ratio",
                "train.group_by_length",
            ),
            record_dir=lambda c: Path(str(c.nli_base.out_dir)) / ".stages",
            when=lambda c: _uses_nli_base(c),
        ),
        StageSpec(
            "annotate",
            "quotecontra.annotate:run",
            "articles -> quote records (quotes.jsonl, articles.jsonl)",
            inputs=lambda c: [Path(c.input), *_attribution_inputs(c)],
            outputs=lambda c: [_p(c).quotes, _p(c).articles],
            config_keys=("input", "data", "annotate"),
        ),
        StageSpec(
            "pairs",
            "quotecontra.pairs:run",
            "quote records -> natural + synthetic pairs (pairs/: DatasetDict, parquet, dataset card)",
            inputs=lambda c: [_p(c).quotes, _p(c).articles, *_gold_inputs(c), *_annotation_inputs(c)],
            outputs=lambda c: [_p(c).pairs],
            config_keys=("pairs", "seed", "annotate.spacy_model", "input"),
        ),
        StageSpec(
            "crossval",
            "quotecontra.crossval:run",
            "pairs -> article-grouped CV on natural gold pairs (crossval.json), calibration.json for the model",
            inputs=lambda c: [_p(c).pairs, *_model_inputs(c)],
            outputs=lambda c: [_p(c).root / "crossval.json", _p(c).root / "calibration.json"],
            config_keys=("crossval", "model", "train", "nli", "seed", "data.shared_dir"),
            when=lambda c: bool(c.crossval.enabled),
        ),
        StageSpec(
            "train",
            "quotecontra.train:run",
            "pairs -> fine-tuned classifier or baseline (model/)",
            inputs=lambda c: [_p(c).pairs, *_model_inputs(c), *_calibration_inputs(c)],
            outputs=lambda c: [_p(c).model],
            config_keys=("model", "train", "nli", "seed", "data.shared_dir", "crossval.enabled"),
        ),
        StageSpec(
            "evaluate",
            "quotecontra.evaluate:run",
            "model + pairs -> metrics.json, plots/ (synthetic, natural, CAD, Breaking NLI)",
            inputs=lambda c: [Path(c.evaluate.model) if c.evaluate.model else _p(c).model, _p(c).pairs],
            outputs=lambda c: [_p(c).metrics],
            config_keys=(
                "evaluate",
                "seed",
                "data.shared_dir",
                "train.bf16",
                "train.eval_batch_size",
                "train.natural_repeat",
                "crossval.enabled",
            ),
        ),
        StageSpec(
            "report",
            "quotecontra.report:run",
            "model + natural candidates -> contradictions.jsonl, .md/.html (pairs ranked by P(contradiction))",
            inputs=lambda c: [_p(c).model, _p(c).pairs],
            outputs=lambda c: [
                _p(c).root / "contradictions.jsonl",
                *(_p(c).root / f"contradictions.{f}" for f in c.report.formats),
            ],
            config_keys=("report", "train.bf16", "train.eval_batch_size"),
        ),
        StageSpec(
            "export",
            "quotecontra.export:run",
            "quotes + pairs -> Label Studio tasks, JSONL, CSV, HF dataset, doccano (export/)",
            inputs=lambda c: [
                _p(c).quotes,
                _p(c).articles,
                _p(c).pairs,
                *([_p(c).model] if c.export.select == "uncertainty" else []),  # its scores pick the tasks
            ],
            outputs=lambda c: [Path(c.export.out_dir)],
            config_keys=("export", "seed"),
        ),
        StageSpec(
            "evaluate-quotes",
            "quotecontra.quote_eval:run",
            "quotes.jsonl vs gold (gold=...) or PolNeAR (dataset=polnear split=dev) -> quote_metrics.json",
            inputs=lambda c: [],
            outputs=lambda c: [_p(c).quote_metrics],
            config_keys=(),
            in_all=False,
        ),
        StageSpec(
            "train-attribution",
            "quotecontra.train_attribution:run",
            "PolNeAR train (+ gold) -> cue/source/content tagger (attribution.out_dir), quotecontra-attribution",
            inputs=lambda c: _polnear_inputs(c),
            outputs=lambda c: [Path(str(c.attribution.out_dir)) / "model" / "config.json"],
            config_keys=("attribution", "seed", "data.shared_dir", "train.device"),
            in_all=False,
            record_dir=lambda c: Path(str(c.attribution.out_dir)) / ".stages",
        ),
        StageSpec(
            "import-annotations",
            "quotecontra.export:import_annotations",
            "Label Studio export (file=...) -> gold files in the data/gold format",
            inputs=lambda c: [],
            outputs=lambda c: [],
            config_keys=(),
            in_all=False,
        ),
        StageSpec(
            "predict",
            "quotecontra.predict:run",
            "registered model or run dir -> labels for new pairs (predict.file=... or predict.premise/hypothesis)",
            inputs=lambda c: [],
            outputs=lambda c: [],
            config_keys=(),
            in_all=False,
        ),
    ]
}


def signature(spec: StageSpec, cfg: DictConfig) -> str | None:
    """Digest of the stage's inputs, config slice and code; None when the stage has no declared inputs (always runs)."""
    inputs = spec.inputs(cfg)
    if not inputs:
        return None
    parts: dict[str, Any] = {"version": PIPELINE_VERSION, "stage": spec.name}
    for key in spec.config_keys:
        node = OmegaConf.select(cfg, key)
        parts[key] = OmegaConf.to_container(node, resolve=True) if isinstance(node, DictConfig) else node
    parts["inputs"] = {str(p): (file_digest(p) if p.exists() else None) for p in inputs}
    if isinstance(spec.target, str):  # the stage's own code: editing a module it runs reruns it
        parts["code"] = code_digest(spec.target.split(":")[0])
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:20]


def _record_path(spec: StageSpec, cfg: DictConfig) -> Path:
    folder = spec.record_dir(cfg) if spec.record_dir is not None else _p(cfg).stages
    return folder / f"{spec.name}.json"


__all__ = ["STAGES", "EmptyOutputError", "StageResult", "StageSpec", "require_output", "run_all", "run_stage"]


def run_stage(name: str, cfg: DictConfig) -> dict[str, float]:
    """Run one stage inside its MLflow run (holding its run dir's lock), skipping it when nothing changed."""
    spec = STAGES[name]
    record = _record_path(spec, cfg)
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
                result = spec.load()(cfg, tracker)
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
