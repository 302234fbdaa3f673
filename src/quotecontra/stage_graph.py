"""The stage graph: what each stage runs, reads, writes and depends on, and the skip signature built from that.

Like a DVC stage, each :class:`StageSpec` declares its inputs, outputs and the config keys that matter to it;
:func:`signature` digests those with the stage's code (:mod:`quotecontra.code_digest`). The runner that uses them
is :mod:`quotecontra.stages`; this module imports no runner, so run metadata can read the graph without a cycle.
"""

from __future__ import annotations

import hashlib
import importlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from quotecontra.code_digest import code_digest
from quotecontra.runpaths import RunPaths
from quotecontra.stage_result import StageResult
from quotecontra.tracking import Tracker, file_digest

PIPELINE_VERSION = "1"

# Settings that never change what a stage writes: where and whether it runs, logging and execution resources. Every
# stage may read them; they are in no signature.
RUN_KEYS = (
    "run_dir",
    "stage",
    "force",
    "allow_empty",
    "mlflow",
    "ray",
    "runtime.torch_threads",
    "train.resume",
    "train.logging_steps",
)
_ABSENT = object()
# The runtime settings that can change what a model stage writes (runtime.torch_threads is a run key).
_RUNTIME = ("runtime.bf16", "runtime.device", "runtime.eval_batch_size")


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
                *_RUNTIME,
                # the train.* settings train_settings() does not replace with nli_base.*
                "train.weight_decay",
                "train.warmup_ratio",
                "train.group_by_length",
            ),
            record_dir=lambda c: Path(str(c.nli_base.out_dir)) / ".stages",
            when=lambda c: _uses_nli_base(c),
        ),
        StageSpec(
            "annotate",
            "quotecontra.backends:annotate",
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
            config_keys=("crossval", "model", "train", *_RUNTIME, "nli", "seed", "data.shared_dir"),
            when=lambda c: bool(c.crossval.enabled),
        ),
        StageSpec(
            "train",
            "quotecontra.train:run",
            "pairs -> fine-tuned classifier or baseline (model/)",
            inputs=lambda c: [_p(c).pairs, *_model_inputs(c), *_calibration_inputs(c)],
            outputs=lambda c: [_p(c).model],
            config_keys=("model", "train", *_RUNTIME, "nli", "seed", "data.shared_dir", "crossval.enabled"),
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
                "runtime.bf16",
                "runtime.eval_batch_size",
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
            config_keys=("report", "runtime.bf16", "runtime.eval_batch_size"),
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
            config_keys=("attribution", "seed", "data.shared_dir", "runtime.device"),
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
            "quotecontra.backends:predict",
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


def config_slice(spec: StageSpec, cfg: DictConfig) -> DictConfig:
    """What a signed stage is given: its declared config_keys and the RUN_KEYS, interpolations resolved.

    The slice is in struct mode, so a stage reading a key it did not declare fails at once naming it
    (``Key 'epochs' is not in struct ... full_key: train.epochs``) instead of going stale when the key changes. A
    stage without inputs has no signature, always runs, and gets the whole config.
    """
    if not spec.inputs(cfg):
        return cfg
    full = cfg.copy()
    OmegaConf.resolve(full)
    out = OmegaConf.create({})
    for key in (*RUN_KEYS, *spec.config_keys):
        node = OmegaConf.select(full, key, default=_ABSENT)
        if node is _ABSENT:
            continue
        parent, _, leaf = key.rpartition(".")
        holder = OmegaConf.select(out, parent) if parent else out
        if holder is None:
            OmegaConf.update(out, parent, {}, force_add=True)
            holder = OmegaConf.select(out, parent)
        holder[leaf] = node
    OmegaConf.set_struct(out, True)
    return out


def record_path(spec: StageSpec, cfg: DictConfig) -> Path:
    folder = spec.record_dir(cfg) if spec.record_dir is not None else _p(cfg).stages
    return folder / f"{spec.name}.json"
