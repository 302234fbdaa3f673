"""The train-nli stage: an NLI base model (the encoder trained on the shared English NLI sets) for quote fine-tunes.

Synthetic quote edits teach a classifier what a minimal edit looks like, not what a disagreement is; real NLI data
does. This stage trains the configured encoder once on the union of the training-allowed sets (balanced, deduplicated
against every evaluation file, capped), scores it on each set's evaluation files, saves it to ``nli_base.out_dir``
(shared by every run dir, so it is built once) and registers it in MLflow as ``quotecontra-nli-base``. A quote
fine-tune starts from it with ``model=minilm_nli`` (or ``model.name_or_path=models:/quotecontra-nli-base/latest``).
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from quotecontra import nli_sets
from quotecontra.models import TransformerClassifier, build_transformer, clear_dir, set_inference_precision
from quotecontra.stage_result import StageResult
from quotecontra.tracking import Tracker, is_main_process

log = logging.getLogger(__name__)


def out_dir(cfg: DictConfig) -> Path:
    return Path(str(cfg.nli_base.out_dir))


def model_dir(cfg: DictConfig) -> Path:
    return out_dir(cfg) / "model"


def metrics_path(cfg: DictConfig) -> Path:
    return out_dir(cfg) / "nli_metrics.json"


def uses_nli_base(cfg: DictConfig) -> bool:
    """True when the quote model starts from this stage's output (so ``all`` builds it first)."""
    return cfg.model.kind == "transformer" and Path(str(cfg.model.name_or_path)) == model_dir(cfg)


def train_settings(cfg: DictConfig) -> dict[str, Any]:
    """The fine-tune settings of the NLI phase: its own schedule, the run's device/precision/thread settings."""
    from quotecontra.train import trainer_settings

    # The stage is given only the train.* keys it declares (stage_graph): the others keep their defaults.
    tcfg = trainer_settings(cfg.train, cfg.runtime)
    nb = cfg.nli_base
    tcfg.update(
        epochs=float(nb.epochs),
        learning_rate=float(nb.learning_rate),
        batch_size=int(nb.batch_size),
        max_steps=int(nb.max_steps),
        early_stopping_patience=int(nb.early_stopping_patience),
    )
    return tcfg


def score_sets(clf: TransformerClassifier, sets: dict[str, list[dict]], batch_size: int) -> dict[str, Any]:
    """Accuracy, macro-F1 and per-label F1 per evaluation set, with the published figure where one exists."""
    from quotecontra.evaluate import classification_metrics

    out: dict[str, Any] = {}
    for name, rows in sets.items():
        probs = clf.predict_proba([r["premise"] for r in rows], [r["hypothesis"] for r in rows], batch_size, True)
        pred = [clf.labels[i] for i in probs.argmax(axis=1)]
        m = classification_metrics([r["label"] for r in rows], pred, list(clf.labels))
        out[name] = {
            "n": m["n"],
            "acc": m["acc"],
            "macro_f1": m["macro_f1"],
            "contradiction_f1": m["contradiction"]["f1"],
            "labels": dict(Counter(r["label"] for r in rows)),
        }
    return out


def model_card(report: dict[str, Any]) -> str:
    """A short README for the NLI base from its nli_metrics.json: data (with licences), training, per-set scores.

    Published reference figures are looked up when the card is rendered (``nli_sets.PUBLISHED``), not stored with
    the scores, so ``python -m quotecontra.train_nli OUT_DIR`` re-renders a card without retraining.
    """
    st = report["settings"]
    lines = [
        "# quotecontra NLI base",
        "",
        f"Encoder `{st['base_model']}` fine-tuned for 3-way NLI on {report['n_train']:,} pairs "
        f"({st['max_length']} tokens, {st['epochs']:g} epoch(s), lr {st['learning_rate']:g}, seed {st['seed']}); "
        f"{report['n_dev']} held-out dev pairs for early stopping; {report['duplicates']} training pairs dropped as "
        "duplicates of each other or of an evaluation file.",
        "",
        "## Training data (per set and label)",
        "",
        "| set | entailment | neutral | contradiction | domain | licence |",
        "|---|---|---|---|---|---|",
    ]
    for name, counts in sorted(report["train"].items()):
        s = nli_sets.get_set(name)
        lines.append(
            f"| {name} | {counts.get('entailment', 0)} | {counts.get('neutral', 0)} | "
            f"{counts.get('contradiction', 0)} | {s.domain} | {s.licence} |"
        )
    lines += ["", "## Evaluation (each set's evaluation files, never trained on)", ""]
    lines += [
        "| set | n | accuracy | macro-F1 | contradiction F1 | published reference (other training) |",
        "|---|---|---|---|---|---|",
    ]
    for name, m in report["eval"].items():
        pub = nli_sets.PUBLISHED.get(name)
        ref = f"{pub['figure']:.3f}: {pub['what']}" if pub else ""
        lines.append(
            f"| {name} | {m['n']} | {m['acc']:.3f} | {m['macro_f1']:.3f} | {m['contradiction_f1']:.3f} | {ref} |"
        )
    if report.get("steps") is not None:
        lines += [
            "",
            f"Trained {int(report['steps'])} steps; best dev macro-F1 {report.get('best_dev_macro_f1', 0):.3f}.",
        ]
    return "\n".join(lines) + "\n"


def register(clf: TransformerClassifier, name: str | None, description: str) -> str:
    """Log the base with the transformers flavor in the stage's run and register it (so fine-tunes can name it)."""
    import mlflow

    from quotecontra.train import pip_requirements

    info = mlflow.transformers.log_model(
        transformers_model={"model": clf.model, "tokenizer": clf.tokenizer},
        name="nli_base",
        task="text-classification",
        pip_requirements=pip_requirements(),
        registered_model_name=name or None,
    )
    if name:
        client = mlflow.MlflowClient()
        client.update_registered_model(name, description=description)
    return str(info.model_uri)


def run(cfg: DictConfig, tracker: Tracker) -> StageResult:
    """Build the corpus, fine-tune the encoder, score every evaluation set, save and register the NLI base."""
    import torch
    from transformers import set_seed

    from quotecontra.train import fit_transformer

    nb = cfg.nli_base
    seed = int(cfg.seed)
    set_seed(seed)
    torch.set_num_threads(int(cfg.runtime.torch_threads))
    shared = Path(cfg.data.shared_dir)
    if not (shared / "nli").is_dir():
        raise FileNotFoundError(
            f"{shared / 'nli'}: no NLI sets (data.shared_dir); see README 'Data' for how to get them"
        )
    held_out = [r for name in nli_sets.REGISTRY for r in nli_sets.read_files(shared, nli_sets.get_set(name), "eval")]
    corpus = nli_sets.build_corpus(
        shared,
        list(nb.sets),
        int(nb.max_per_set),
        int(nb.max_pairs),
        float(nb.dev_fraction),
        seed,
        do_balance=bool(nb.balance),
        exclude=held_out,
    )
    if not corpus.train:
        raise ValueError(f"nli_base.sets={list(nb.sets)} gave no training pairs under {shared / 'nli'}")
    evals = nli_sets.eval_sets(shared, list(nb.eval_sets), int(nb.max_eval_per_set), seed)
    mcfg = {"kind": "transformer", "name_or_path": str(nb.base_model), "max_length": int(nb.max_length)}
    clf = build_transformer(mcfg, [], seed)
    ckpt = out_dir(cfg) / "checkpoints"
    metrics: dict[str, Any] = {"n_train": float(len(corpus.train)), "n_dev": float(len(corpus.dev))}
    metrics |= fit_transformer(clf, corpus.train, corpus.dev, train_settings(cfg), seed, ckpt, tracker, "nli")
    if not is_main_process():
        return StageResult(metrics=metrics)
    set_inference_precision(clf, cfg.runtime.bf16)
    scores = score_sets(clf, evals, int(cfg.runtime.eval_batch_size))
    for name, m in scores.items():
        metrics |= {f"{name}/acc": m["acc"], f"{name}/macro_f1": m["macro_f1"], f"{name}/n": float(m["n"])}
    clear_dir(model_dir(cfg))
    meta = {
        "nli_base": OmegaConf.to_container(nb, resolve=True),
        "seed": seed,
        "train_sets": corpus.per_set,
        "licences": {n: nli_sets.get_set(n).licence for n in corpus.per_set},
    }
    clf.save(model_dir(cfg), meta)
    report = {
        "settings": {
            "base_model": str(nb.base_model),
            "max_length": int(nb.max_length),
            "epochs": float(nb.epochs),
            "learning_rate": float(nb.learning_rate),
            "seed": seed,
        },
        "train": corpus.per_set,
        "n_train": len(corpus.train),
        "n_dev": len(corpus.dev),
        "duplicates": corpus.duplicates,
        "steps": metrics.get("nli.steps"),
        "best_dev_macro_f1": metrics.get("nli.best_dev_macro_f1"),
        "eval": scores,
    }
    metrics_path(cfg).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    card = out_dir(cfg) / "README.md"
    card.write_text(model_card(report), encoding="utf-8")
    if ckpt.exists():
        clear_dir(ckpt)  # the best weights are saved; checkpoints of a finished base only cost disk
    summary = [
        f"NLI base from {nb.base_model}: {len(corpus.train):,} pairs from {len(corpus.per_set)} sets "
        f"({corpus.duplicates} duplicates dropped), {int(metrics.get('nli.steps', 0))} steps",
        *(f"{n:<14} n={m['n']:<5} acc {m['acc']:.3f}  macro-F1 {m['macro_f1']:.3f}" for n, m in scores.items()),
    ]
    outputs = [metrics_path(cfg), card, model_dir(cfg) / "model.json"]
    if tracker.run_id is not None and cfg.mlflow.log_model:
        desc = (
            f"3-way NLI base ({nb.base_model}) trained on {', '.join(sorted(corpus.per_set))}; see README.md artifact"
        )
        uri = register(clf, nb.registered_model, desc)
        summary.append(
            f"MLflow model {uri}" + (f", registered as {nb.registered_model}" if nb.registered_model else "")
        )
    return StageResult(metrics={k: float(v) for k, v in metrics.items()}, outputs=outputs, summary=summary)


if __name__ == "__main__":  # re-render README.md of a built base from its nli_metrics.json
    import sys

    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "runs/nli_base")
    saved = json.loads((folder / "nli_metrics.json").read_text(encoding="utf-8"))
    (folder / "README.md").write_text(model_card(saved), encoding="utf-8")
    print(f"wrote {folder / 'README.md'}")
