"""The train-attribution stage: a cue/source/content tagger fine-tuned on PolNeAR train, scored on dev.

The rule engine reads text written like our samples well but misses most attributions of real news (PolNeAR dev
content exact F1 0.32); this stage teaches the shipped encoder PolNeAR's 840 training articles instead. Articles
are cut into overlapping token windows (:mod:`quotecontra.annotate.learned`), labelled with BIO role tags
(:mod:`quotecontra.annotate.tags`) and trained with AdamW under a linear schedule that ends at ``max_steps``, at
the end of ``epochs`` or at ``max_minutes`` of wall time, whichever comes first (so a run on a busy CPU still ends
in time, fully annealed). After every epoch, and at the end, the tagger is decoded and scored on dev with the
same scorer as ``evaluate-quotes dataset=polnear``; the best state is kept. The model is saved to
``attribution.out_dir``/model (shared by every run dir) and registered in MLflow as ``quotecontra-attribution``.
The test split is never read here: ``quotecontra evaluate-quotes dataset=polnear split=test
annotate.extractor=learned`` reports it once.
"""

from __future__ import annotations

import json
import logging
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import DictConfig

from quotecontra.annotate.learned import Tagger, to_quotes, windows_of
from quotecontra.annotate.tags import LABELS, char_roles, token_labels
from quotecontra.polnear import PolnearDoc, iter_polnear
from quotecontra.readers import ReadReport
from quotecontra.tracking import Tracker, is_main_process

log = logging.getLogger(__name__)
IGNORE = -100  # label of [CLS], [SEP] and padding: no loss


@dataclass(frozen=True)
class FitSettings:
    """The optimisation schedule (from ``attribution.*``)."""

    epochs: float = 2.0
    max_steps: int = -1
    max_minutes: float = 25.0
    learning_rate: float = 1e-4
    batch_size: int = 16
    weight_decay: float = 0.01
    warmup_ratio: float = 0.06
    train_stride: int = 32
    freeze_embeddings: bool = True
    seed: int = 13
    log_every: int = 20
    eval_each_epoch: bool = True  # dev scores after every epoch (the best state is kept), not only at the end


def out_dir(cfg: DictConfig) -> Path:
    return Path(str(cfg.attribution.out_dir))


def model_dir(cfg: DictConfig) -> Path:
    return out_dir(cfg) / "model"


def metrics_path(cfg: DictConfig) -> Path:
    return out_dir(cfg) / "attribution_metrics.json"


def polnear_root(cfg: DictConfig) -> Path:
    return Path(str(cfg.data.shared_dir)) / "polnear"


# ---- data ------------------------------------------------------------------------------------------------------
def training_windows(tagger: Tagger, docs: Sequence[Any], stride: int) -> list[tuple[list[int], list[int]]]:
    """(input ids, labels) of every window of every doc, [CLS] and [SEP] included (their label ignored).

    ``docs``: objects with ``.article.text`` and ``.attributions`` (PolNeAR docs, or gold located in text).
    """
    tok = tagger.tokenizer
    body = tagger.max_length - 2
    out = []
    for doc in docs:
        text = doc.article.text
        ids, offsets = tagger.encode(text)
        codes, starts = char_roles(len(text), doc.attributions)
        labels = token_labels(offsets, codes, starts)
        for s, e in windows_of(len(ids), body, min(stride, body - 1)):
            out.append(([tok.cls_token_id, *ids[s:e], tok.sep_token_id], [IGNORE, *labels[s:e], IGNORE]))
    return out


def _batches(rows: list[tuple[list[int], list[int]]], batch_size: int, rng: random.Random) -> list[list[int]]:
    """Index batches of similar length (sorted in shuffled chunks), in random order: little padding."""
    order = list(range(len(rows)))
    rng.shuffle(order)
    chunk = batch_size * 20
    batches = []
    for c in range(0, len(order), chunk):
        part = sorted(order[c : c + chunk], key=lambda i: len(rows[i][0]))
        batches += [part[b : b + batch_size] for b in range(0, len(part), batch_size)]
    rng.shuffle(batches)
    return batches


def _collate(rows: list[tuple[list[int], list[int]]], idx: list[int], pad_id: int) -> dict[str, Any]:
    import torch

    width = max(len(rows[i][0]) for i in idx)
    ids = torch.full((len(idx), width), pad_id, dtype=torch.long)
    labels = torch.full((len(idx), width), IGNORE, dtype=torch.long)
    mask = torch.zeros((len(idx), width), dtype=torch.long)
    for r, i in enumerate(idx):
        x, y = rows[i]
        ids[r, : len(x)] = torch.tensor(x)
        labels[r, : len(y)] = torch.tensor(y)
        mask[r, : len(x)] = 1
    return {"input_ids": ids, "attention_mask": mask, "labels": labels}


# ---- scoring ---------------------------------------------------------------------------------------------------
def score_docs(tagger: Tagger, docs: Sequence[PolnearDoc]) -> dict[str, Any]:
    """PolNeAR exact/overlap P/R/F1 of the decoded tagger (the evaluate-quotes scorer)."""
    from quotecontra.quote_eval import score_polnear

    preds = []
    texts = [d.article.text for d in docs]
    for doc, recs in zip(docs, tagger.records(texts), strict=True):
        preds += to_quotes(doc.article, recs)
    return score_polnear(preds, docs)


def headline(result: dict[str, Any]) -> float:
    """Model selection: the mean exact F1 of content, source and cue."""
    return float(np.mean([result[r]["exact"]["f1"] for r in ("content", "source", "cue")]))


# ---- training --------------------------------------------------------------------------------------------------
def fit(
    tagger: Tagger,
    train_docs: Sequence[Any],
    dev_docs: Sequence[PolnearDoc],
    settings: FitSettings,
    tracker: Tracker | None = None,
    on_eval: Callable[[int, dict[str, Any]], None] | None = None,
) -> dict[str, float]:
    """Fine-tune ``tagger.model`` in place; keeps the state with the best dev headline (when there is a dev set)."""
    import torch

    torch.manual_seed(settings.seed)
    rng = random.Random(settings.seed)
    rows = training_windows(tagger, train_docs, settings.train_stride)
    if not rows:
        raise ValueError("no training windows: the training articles are empty")
    model = tagger.model
    device = next(model.parameters()).device
    if settings.freeze_embeddings:
        emb = model.get_input_embeddings()
        emb.weight.requires_grad_(False)  # 30k x 384 rows: most of the optimiser's work for little gain
    params = [p for p in model.parameters() if p.requires_grad]
    decay = [p for p in params if p.ndim > 1]
    no_decay = [p for p in params if p.ndim <= 1]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": settings.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=settings.learning_rate,
    )
    per_epoch = math.ceil(len(rows) / settings.batch_size)
    total = settings.max_steps if settings.max_steps > 0 else max(1, math.ceil(per_epoch * settings.epochs))
    budget = settings.max_minutes * 60 if settings.max_minutes > 0 else math.inf
    warm = max(1, int(total * settings.warmup_ratio))
    pad = tagger.tokenizer.pad_token_id
    t0 = time.perf_counter()
    step, losses = 0, []
    best: tuple[float, dict[str, Any] | None, dict[str, Any] | None] = (-1.0, None, None)
    metrics: dict[str, float] = {"n_windows": float(len(rows)), "planned_steps": float(total)}

    def evaluate(at: int) -> None:
        nonlocal best
        if not dev_docs:
            return
        result = score_docs(tagger, dev_docs)
        score = headline(result)
        if tracker is not None:
            tracker.log_metrics(
                {f"dev.{r}.exact.f1": result[r]["exact"]["f1"] for r in ("content", "source", "cue")}, at
            )
        if on_eval is not None:
            on_eval(at, result)
        log.info("step %d: dev mean exact F1 %.3f", at, score)
        if score > best[0]:
            state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            best = (score, state, result)
        model.train()

    model.train()
    done = False
    while not done:
        for idx in _batches(rows, settings.batch_size, rng):
            elapsed = time.perf_counter() - t0
            progress = max(step / total, elapsed / budget)
            if progress >= 1.0:
                done = True
                break
            lr = settings.learning_rate * (min(1.0, (step + 1) / warm) if step < warm else max(0.0, 1.0 - progress))
            for g in opt.param_groups:
                g["lr"] = lr
            batch = {k: v.to(device) for k, v in _collate(rows, idx, pad).items()}
            loss = model(**batch).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            opt.zero_grad(set_to_none=True)
            losses.append(float(loss.detach()))
            step += 1
            if step % settings.log_every == 0:
                mean = float(np.mean(losses[-settings.log_every :]))
                if tracker is not None:
                    tracker.log_metrics({"train.loss": mean, "train.lr": lr}, step)
                log.info("step %d/%d loss %.4f lr %.2e (%.0fs)", step, total, mean, lr, elapsed)
        else:
            if step < total and time.perf_counter() - t0 < budget:
                if settings.eval_each_epoch:
                    evaluate(step)  # end of an epoch with time and steps left
                continue
            done = True
    metrics |= {"steps": float(step), "train_seconds": time.perf_counter() - t0}
    metrics["final_loss"] = float(np.mean(losses[-settings.log_every :])) if losses else float("nan")
    evaluate(step)
    score, state, result = best
    if state is not None:
        model.load_state_dict(state)
        metrics["best_dev_mean_exact_f1"] = score
        for r in ("content", "source", "cue"):
            for kind in ("exact", "overlap"):
                metrics[f"dev.{r}.{kind}.f1"] = float(result[r][kind]["f1"])  # type: ignore[index]
    model.eval()
    return metrics


def build_tagger(base: str, max_length: int, stride: int, batch_size: int, device: str) -> Tagger:
    """The encoder with a fresh token-classification head over :data:`LABELS`."""
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    from quotecontra.models import resolve_name_or_path

    path = resolve_name_or_path(base)
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForTokenClassification.from_pretrained(
        path,
        num_labels=len(LABELS),
        id2label=dict(enumerate(LABELS)),
        label2id={n: i for i, n in enumerate(LABELS)},
    )
    model.to(device)
    return Tagger(model, tokenizer, max_length=max_length, stride=stride, batch_size=batch_size)


def settings_of(cfg: DictConfig) -> FitSettings:
    a = cfg.attribution
    return FitSettings(
        epochs=float(a.epochs),
        max_steps=int(a.max_steps),
        max_minutes=float(a.max_minutes),
        learning_rate=float(a.learning_rate),
        batch_size=int(a.batch_size),
        weight_decay=float(a.weight_decay),
        warmup_ratio=float(a.warmup_ratio),
        train_stride=int(a.train_stride),
        freeze_embeddings=bool(a.freeze_embeddings),
        seed=int(cfg.seed),
    )


def _device(setting: str) -> str:
    import torch

    if setting == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("runtime.device=cuda but torch sees no CUDA device")
    return "cuda" if setting != "cpu" and torch.cuda.is_available() else "cpu"


def register(tagger: Tagger, name: str | None, description: str) -> str:
    """Log the tagger with the transformers flavor in the stage's run and register it."""
    import mlflow

    from quotecontra.train import pip_requirements

    info = mlflow.transformers.log_model(
        transformers_model={"model": tagger.model, "tokenizer": tagger.tokenizer},
        name="attribution",
        task="token-classification",
        pip_requirements=pip_requirements(),
        registered_model_name=name or None,
    )
    if name:
        mlflow.MlflowClient().update_registered_model(name, description=description)
    return str(info.model_uri)


def run(cfg: DictConfig, tracker: Tracker) -> Any:
    """Read PolNeAR train/dev (+ gold when asked), fine-tune, score on dev, save and register the tagger."""
    import torch

    from quotecontra.models import clear_dir
    from quotecontra.stage_result import StageResult

    a = cfg.attribution
    torch.manual_seed(int(cfg.seed))
    torch.set_num_threads(int(cfg.runtime.torch_threads))
    root = polnear_root(cfg)
    if not (root / "metadata.tsv").exists():
        raise FileNotFoundError(f"{root}: no PolNeAR (data.shared_dir); see README 'Data' for how to get it")
    report = ReadReport()
    train_docs: list[Any] = list(iter_polnear(root, "train", int(a.max_train_articles), report))
    dev_docs = list(iter_polnear(root, "dev", int(a.max_dev_articles), report))
    n_polnear = len(train_docs)
    if a.gold_dirs:
        from quotecontra.gold_spans import located_gold

        gold, missed = located_gold([Path(str(g)) for g in a.gold_dirs])
        train_docs += gold * int(a.gold_repeat)
        log.info("gold: %d articles added x%d (%d quotes not found in their text)", len(gold), a.gold_repeat, missed)
    if not train_docs:
        raise ValueError(f"no PolNeAR train articles read from {root}: {report.summary()}")
    device = _device(str(cfg.runtime.device))
    tagger = build_tagger(str(a.base_model), int(a.max_length), int(a.stride), int(a.eval_batch_size), device)
    metrics = {"n_train_articles": float(len(train_docs)), "n_polnear_train": float(n_polnear)}
    metrics |= {"n_dev_articles": float(len(dev_docs))}
    metrics |= fit(tagger, train_docs, dev_docs, settings_of(cfg), tracker)
    if not is_main_process():
        return StageResult(metrics=metrics)
    clear_dir(model_dir(cfg))
    tagger.save(model_dir(cfg), {"base_model": str(a.base_model), "seed": int(cfg.seed), "train": metrics})
    metrics_path(cfg).write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    summary = [
        f"tagger from {a.base_model}: {len(train_docs)} train articles ({int(metrics['n_windows'])} windows), "
        f"{int(metrics['steps'])} steps in {metrics['train_seconds']:.0f}s on {device}",
    ]
    if dev_docs:
        summary.append(
            "dev exact F1 "
            + ", ".join(f"{r} {metrics[f'dev.{r}.exact.f1']:.3f}" for r in ("content", "source", "cue"))
            + f" ({len(dev_docs)} articles)"
        )
    outputs = [metrics_path(cfg), model_dir(cfg) / "config.json"]
    if tracker.run_id is not None and cfg.mlflow.log_model:
        uri = register(tagger, a.registered_model, f"cue/source/content tagger ({a.base_model}) on PolNeAR train")
        summary.append(f"MLflow model {uri}" + (f", registered as {a.registered_model}" if a.registered_model else ""))
    return StageResult(metrics=metrics, outputs=outputs, summary=summary, count=metrics["steps"])
