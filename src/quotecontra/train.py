"""The train stage: pairs (+ optional external NLI) -> a fine-tuned transformer or a TF-IDF baseline in model/.

Transformers train with the Hugging Face Trainer: dynamic padding (about 3x faster than padding to max_length on
CPU), dev macro-F1 for early stopping and the best checkpoint, resumable checkpoints, and no Trainer-side MLflow
runs (``report_to="none"``): everything is logged through the stage's tracker so it lands in the stage's own run.
"""

from __future__ import annotations

import json
import logging
import math
import random
import shutil
from collections import Counter
from collections.abc import Mapping, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, cast

import numpy as np
from omegaconf import DictConfig, OmegaConf

from quotecontra.calibrate import read_calibration
from quotecontra.models import (
    SKLEARN_KINDS,
    TRANSFORMER_KINDS,
    Classifier,
    TransformerClassifier,
    bf16_enabled,
    build_transformer,
    clear_dir,
    fit_sklearn,
    label_maps,
)
from quotecontra.pairs_store import read_rows
from quotecontra.records import LABELS
from quotecontra.runpaths import RunPaths
from quotecontra.stage_result import StageResult
from quotecontra.tracking import Tracker, is_main_process

log = logging.getLogger(__name__)

Row = dict[str, Any]
# Registered model versions carry the crossval stage's temperature and threshold under this tag (JSON).
CALIBRATION_TAG = "quotecontra.calibration"
# What the logged MLflow model needs to load and run: pinned to the versions it was trained with.
MODEL_REQUIREMENTS = ("torch", "transformers", "tokenizers", "accelerate", "numpy", "safetensors")


# Contradiction and neutrality hold in both directions; entailment does not.
SYMMETRIC_LABELS = frozenset({"contradiction", "neutral"})


def natural_training_rows(rows: Sequence[Row], repeat: int, exclude_groups: frozenset[str] = frozenset()) -> list[Row]:
    """Gold natural pairs that may train, each symmetric pair also reversed, repeated ``repeat`` times.

    Only split ``natural`` trains (``heldout`` gold never does), and never an article in ``exclude_groups`` (the
    cross-validation fold being scored). A hundred natural pairs beside thousands of synthetic ones would be drowned
    out, hence the repeat.
    """
    if repeat <= 0:
        return []
    base = [r for r in rows if r.get("split") == "natural" and r.get("group") not in exclude_groups]
    both = base + [
        {**r, "premise": r["hypothesis"], "hypothesis": r["premise"]} for r in base if r["label"] in SYMMETRIC_LABELS
    ]
    return [dict(r) for _ in range(repeat) for r in both]


def subsample(rows: list[Row], n: int, seed: int) -> list[Row]:
    if n <= 0 or len(rows) <= n:
        return rows
    return [rows[i] for i in sorted(random.Random(seed).sample(range(len(rows)), n))]


def compute_metrics(eval_pred: Any) -> dict[str, float]:
    """Trainer hook: dev accuracy and macro-F1 (the early-stopping metric), computed with scikit-learn."""
    from sklearn.metrics import accuracy_score, f1_score

    logits, labels = eval_pred.predictions, eval_pred.label_ids
    preds = np.asarray(logits).argmax(axis=-1)
    return {
        "accuracy": float(accuracy_score(labels, preds)),
        "macro_f1": float(f1_score(labels, preds, average="macro", labels=list(range(len(LABELS))), zero_division=0)),
    }


def tokenize(rows: Sequence[Row], tokenizer: Any, max_length: int) -> Any:
    """A datasets.Dataset of input ids and labels, unpadded: the collator pads each batch to its longest pair."""
    import datasets

    _, label2id = label_maps()
    ds = datasets.Dataset.from_dict(
        {
            "premise": [r["premise"] for r in rows],
            "hypothesis": [r["hypothesis"] for r in rows],
            "labels": [label2id[r["label"]] for r in rows],
        }
    )
    return ds.map(
        lambda b: tokenizer(b["premise"], b["hypothesis"], truncation=True, max_length=max_length),
        batched=True,
        remove_columns=["premise", "hypothesis"],
        desc="tokenize",
    )


def eval_every(n_train: int, batch_size: int, epochs: float, max_steps: int) -> tuple[int, int]:
    """(total steps, steps between dev evaluations): about six evaluations, at most one epoch apart."""
    per_epoch = max(1, math.ceil(n_train / batch_size))
    total = max_steps if max_steps > 0 else max(1, math.ceil(epochs * per_epoch))
    return total, max(1, min(per_epoch, math.ceil(total / 6)))


def tracker_callback(tracker: Tracker, prefix: str) -> Any:
    """A TrainerCallback forwarding the Trainer's log lines (loss, learning rate, dev metrics) to the tracker."""
    from transformers import TrainerCallback

    class _ToTracker(TrainerCallback):
        def on_log(self, args: Any, state: Any, control: Any, logs: Mapping[str, Any] | None = None, **kw: Any) -> None:
            nums = {f"{prefix}.{k}": float(v) for k, v in (logs or {}).items() if isinstance(v, int | float)}
            if nums:
                tracker.log_metrics(nums, step=int(state.global_step))

    return _ToTracker()


def fit_transformer(
    clf: TransformerClassifier,
    train_rows: Sequence[Row],
    dev_rows: Sequence[Row],
    tcfg: Mapping[str, Any],
    seed: int,
    checkpoints: Path,
    tracker: Tracker,
    phase: str = "quotes",
    epochs: float | None = None,
) -> dict[str, float]:
    """Fine-tune in place with early stopping on dev macro-F1; returns the Trainer's run metrics."""
    from transformers import DataCollatorWithPadding, EarlyStoppingCallback, Trainer, TrainingArguments
    from transformers.trainer_utils import get_last_checkpoint

    from quotecontra.console import quiet_trainer

    epochs = float(tcfg["epochs"] if epochs is None else epochs)
    bs = int(tcfg["batch_size"])
    max_steps = int(tcfg["max_steps"])
    total, every = eval_every(len(train_rows), bs, epochs, max_steps)
    has_dev = len(dev_rows) > 0
    out_dir = checkpoints / phase
    resume_from = get_last_checkpoint(str(out_dir)) if tcfg["resume"] and out_dir.exists() else None
    if resume_from is None and out_dir.exists():
        shutil.rmtree(out_dir)
    args = TrainingArguments(
        output_dir=str(out_dir),
        per_device_train_batch_size=bs,
        per_device_eval_batch_size=int(tcfg["eval_batch_size"]),
        num_train_epochs=epochs,
        max_steps=max_steps,
        learning_rate=float(tcfg["learning_rate"]),
        weight_decay=float(tcfg["weight_decay"]),
        warmup_steps=float(tcfg["warmup_ratio"]),
        eval_strategy="steps" if has_dev else "no",
        eval_steps=every,
        save_strategy="steps",
        save_steps=every,
        save_total_limit=2,
        load_best_model_at_end=has_dev,
        metric_for_best_model="macro_f1",
        greater_is_better=True,
        logging_steps=int(tcfg["logging_steps"]),
        seed=seed,
        data_seed=seed,
        report_to="none",
        use_cpu=use_cpu(tcfg),
        bf16=bf16_enabled(tcfg["bf16"], on_cuda=not use_cpu(tcfg)),
        train_sampling_strategy="group_by_length" if tcfg["group_by_length"] else "random",
        dataloader_num_workers=0,
        optim="adamw_torch",
    )
    callbacks: list[Any] = [tracker_callback(tracker, f"train.{phase}")]
    if has_dev:
        callbacks.append(EarlyStoppingCallback(early_stopping_patience=int(tcfg["early_stopping_patience"])))
    trainer = Trainer(
        model=clf.model,
        args=args,
        data_collator=DataCollatorWithPadding(clf.tokenizer),
        train_dataset=tokenize(train_rows, clf.tokenizer, clf.max_length),
        eval_dataset=tokenize(dev_rows, clf.tokenizer, clf.max_length) if has_dev else None,
        processing_class=clf.tokenizer,
        compute_metrics=compute_metrics,
        callbacks=callbacks,
    )
    quiet_trainer(trainer, log)  # off a terminal: one line per dev evaluation instead of a dict per logging step
    log.info(
        "%s: %d train pairs, %d dev pairs, %d steps, dev eval every %d",
        phase,
        len(train_rows),
        len(dev_rows),
        total,
        every,
    )
    result = trainer.train(resume_from_checkpoint=resume_from)
    # Unwrap: under mixed precision accelerate patches forward() with autocast, which would otherwise leak into
    # the returned model's inference (inference precision is chosen by set_inference_precision instead).
    clf.model = trainer.accelerator.unwrap_model(trainer.model, keep_fp32_wrapper=False)
    out = {f"{phase}.{k}": float(v) for k, v in result.metrics.items() if isinstance(v, int | float)}
    out[f"{phase}.steps"] = float(trainer.state.global_step)
    if has_dev and trainer.state.best_metric is not None:
        out[f"{phase}.best_dev_macro_f1"] = float(trainer.state.best_metric)
    return out


def corpus_texts(articles: Path, limit: int = 2000) -> list[str]:
    """Article texts for the tiny BERT's WordPiece vocabulary (its tokenizer learns the corpus's own words)."""
    import json

    if not articles.exists():
        return []
    texts = []
    with articles.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                texts.append(json.loads(line).get("text", ""))
            if len(texts) >= limit:
                break
    return texts


def pip_requirements() -> list[str]:
    """Explicit pins for the logged model (MLflow's inference would otherwise guess from the whole environment)."""
    pins = []
    for pkg in MODEL_REQUIREMENTS:
        try:
            pins.append(f"{pkg}=={version(pkg)}")
        except PackageNotFoundError:
            continue
    return pins


def log_model(clf: TransformerClassifier, registered: str | None) -> str | None:
    """Log with the transformers flavor (inside the stage's active run) and register it; returns the model URI."""
    import mlflow

    info = mlflow.transformers.log_model(
        transformers_model={"model": clf.model, "tokenizer": clf.tokenizer},
        name="classifier",
        task="text-classification",
        pip_requirements=pip_requirements(),
        registered_model_name=registered or None,
    )
    version = getattr(info, "registered_model_version", None)
    if registered and version is not None and clf.calibration is not None:
        # the flavor folder holds weights and tokenizer only: the decision rule travels as a version tag
        mlflow.MlflowClient().set_model_version_tag(
            registered, str(version), CALIBRATION_TAG, json.dumps(clf.calibration)
        )
    return str(info.model_uri)


def train_model(
    cfg: DictConfig,
    pairs: Mapping[str, list[Row]],
    nli_rows: list[Row],
    texts: Sequence[str],
    tracker: Tracker,
    ckpt: Path,
    exclude_groups: frozenset[str] = frozenset(),
    phase: str = "quotes",
) -> tuple[Classifier, dict[str, float]]:
    """Build and fit the configured kind; external NLI rows go before (a first phase) or beside the quote pairs.

    Synthetic and natural pairs of articles in ``exclude_groups`` are left out (a cross-validation fold).
    """
    mcfg = cast("dict[str, Any]", OmegaConf.to_container(cfg.model, resolve=True))
    tcfg = trainer_settings(cfg.train, cfg.runtime)
    assert isinstance(mcfg, dict)
    seed = int(cfg.seed)
    synthetic = [r for r in pairs.get("train", []) if r.get("group") not in exclude_groups] if tcfg["synthetic"] else []
    natural = natural_training_rows(pairs.get("natural", []), int(tcfg["natural_repeat"]), exclude_groups)
    train_rows = subsample(synthetic, int(tcfg["max_train_pairs"]), seed) + natural
    random.Random(seed).shuffle(train_rows)
    before = cfg.nli.mode == "before" and bool(nli_rows)
    if nli_rows and not (before and mcfg["kind"] in TRANSFORMER_KINDS):
        train_rows = train_rows + nli_rows
    if not train_rows:
        raise ValueError("no labelled training pairs: the train split is empty")
    metrics: dict[str, float] = {
        "n_train": float(len(train_rows)),
        "n_nli": float(len(nli_rows)),
        "n_natural": float(len(natural)),
    }
    clf: Classifier
    if mcfg["kind"] in SKLEARN_KINDS:
        clf = fit_sklearn(
            mcfg,
            [r["premise"] for r in train_rows],
            [r["hypothesis"] for r in train_rows],
            [r["label"] for r in train_rows],
            seed,
        )
        return clf, metrics
    import torch

    torch.set_num_threads(int(tcfg["torch_threads"]))
    tok_texts = [t for r in train_rows + nli_rows for t in (r["premise"], r["hypothesis"])] + list(texts)
    clf = build_transformer(mcfg, tok_texts, seed)
    # Early stopping reads the synthetic dev split, so it only steers a model that trains on synthetic pairs: a
    # natural-only model (train.synthetic=false) would be stopped by a task it never sees, and runs its full schedule.
    dev_rows = [r for r in pairs.get("dev", []) if r.get("group") not in exclude_groups] if tcfg["synthetic"] else []
    if before:
        metrics |= fit_transformer(clf, nli_rows, dev_rows, tcfg, seed, ckpt, tracker, "nli", float(cfg.nli.epochs))
    metrics |= fit_transformer(clf, train_rows, dev_rows, tcfg, seed, ckpt, tracker, phase)
    return clf, metrics


def trainer_settings(train: Any, runtime: Any) -> dict[str, Any]:
    """What fit_transformer reads: the train.* schedule and the runtime.* device, precision and batch settings.

    A stage given only some train.* keys (its declared slice) gets the defaults for the rest.
    """
    from quotecontra.config_model import RuntimeConfig, TrainConfig

    out: dict[str, Any] = {}
    for schema, node in ((TrainConfig, train), (RuntimeConfig, runtime)):
        merged = OmegaConf.merge(OmegaConf.structured(schema), node)
        out |= cast("dict[str, Any]", OmegaConf.to_container(merged, resolve=True))
    return out


def use_cpu(tcfg: Any) -> bool:
    """runtime.device=cpu forces the CPU; auto takes CUDA when torch sees it (one GPU per torchrun process)."""
    import torch

    return str(tcfg["device"]) == "cpu" or not torch.cuda.is_available()


def run(cfg: DictConfig, tracker: Tracker) -> StageResult:
    """Train the configured model on the pairs and save it (with model.json) to run_dir/model."""
    from transformers import set_seed

    paths = RunPaths.of(cfg.run_dir)
    set_seed(int(cfg.seed))
    pairs = read_rows(paths.pairs_hf)
    tracker.log_input("pairs", paths.pairs, context="training")
    nli_rows: list[Row] = []
    if cfg.nli.sources:
        from quotecontra.nli_data import load_sources

        nli_rows = load_sources(cfg.nli.sources, Path(cfg.data.shared_dir), int(cfg.nli.max_pairs), int(cfg.seed))
    texts = corpus_texts(paths.articles) if cfg.model.kind == "tiny_bert" else []
    clf, metrics = train_model(cfg, pairs, nli_rows, texts, tracker, paths.checkpoints)
    if not is_main_process():  # other torchrun ranks trained their shard; rank 0 saves and logs
        return StageResult(metrics=metrics)
    # A transformer that took no optimiser step is its random or base weights: never let it replace a model.
    from quotecontra.stage_guard import require_output

    produced = metrics.get("quotes.steps", metrics["n_train"])
    why = f"train.epochs={cfg.train.epochs}, train.max_steps={cfg.train.max_steps}"
    require_output(cfg, "train", produced, "training steps", why)
    clear_dir(paths.model)
    meta = {
        "model": OmegaConf.to_container(cfg.model, resolve=True),
        "train": OmegaConf.to_container(cfg.train, resolve=True),
        "nli": OmegaConf.to_container(cfg.nli, resolve=True),
        "seed": int(cfg.seed),
    }
    clf.save(paths.model, meta)
    calibration = paths.root / "calibration.json"
    if cfg.crossval.enabled and calibration.exists():
        shutil.copy2(calibration, paths.model / "calibration.json")  # evaluate, predict and report apply it
        clf.calibration = read_calibration(paths.model / "calibration.json")
    summary = [
        f"{cfg.model.kind}: {int(metrics['n_train'])} training pairs ({int(metrics['n_nli'])} external NLI), "
        f"labels {dict(Counter(r['label'] for r in pairs.get('train', [])))}"
    ]
    if "quotes.best_dev_macro_f1" in metrics:
        summary.append(
            f"best dev macro-F1 {metrics['quotes.best_dev_macro_f1']:.3f} after {int(metrics['quotes.steps'])} steps"
        )
    if "quotes.train_samples_per_second" in metrics:
        summary.append(f"training speed {metrics['quotes.train_samples_per_second']:.1f} pairs/s")
    outputs = [paths.model]
    if tracker.run_id is not None and cfg.mlflow.log_model and isinstance(clf, TransformerClassifier):
        uri = log_model(clf, cfg.mlflow.registered_model)
        summary.append(
            f"MLflow model {uri}"
            + (f", registered as {cfg.mlflow.registered_model}" if cfg.mlflow.registered_model else "")
        )
        outputs = [paths.model / "model.json"]  # the weights are in the logged model; don't store them twice
    return StageResult(metrics=metrics, outputs=outputs, summary=summary, count=produced)
