"""The evaluate stage: score the trained classifier on every evaluation set and write metrics.json + plots.

Sets: the synthetic test split, the natural gold pairs, CAD revised_combined/test (out of domain) and Breaking NLI
(stress test). For each: accuracy, macro-F1, per-class precision/recall/F1, per-origin slices, expected calibration
error, a confusion matrix and a reliability diagram. Behavioural checks (CheckList-style invariance and directional
tests) are reported as pass rates. The metric functions are pure and know no paths.
"""

from __future__ import annotations

import json
import logging
import math
import random
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import DictConfig

from quotecontra.records import LABELS
from quotecontra.runpaths import RunPaths
from quotecontra.stage_result import StageResult
from quotecontra.tracking import Tracker

log = logging.getLogger(__name__)

Row = dict[str, Any]
MIN_SLICE = 5  # slices smaller than this are too noisy to report


def classification_metrics(
    y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str] = LABELS
) -> dict[str, Any]:
    """Accuracy, macro-F1 over the three classes, per-class P/R/F1/support and the confusion matrix (rows = gold)."""
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

    if len(y_true) != len(y_pred):
        raise ValueError(f"{len(y_true)} gold labels but {len(y_pred)} predictions")
    if not y_true:
        return {"n": 0}
    labels = list(labels)
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    out: dict[str, Any] = {
        "n": len(y_true),
        "acc": float(accuracy_score(y_true, y_pred)),
        "macro_f1": float(f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)),
        "confusion": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
    }
    for i, label in enumerate(labels):
        out[label] = {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(s[i])}
    return out


def calibration_bins(probs: np.ndarray, y_true: Sequence[int], n_bins: int = 10) -> list[dict[str, float]]:
    """Equal-width confidence bins: count, mean confidence and accuracy of the top-1 prediction in each."""
    probs = np.asarray(probs, dtype=np.float64)
    conf = probs.max(axis=1)
    correct = (probs.argmax(axis=1) == np.asarray(y_true)).astype(np.float64)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    # A confidence of exactly 1.0 belongs to the last bin; everything else to [lo, hi).
    idx = np.clip(np.digitize(conf, edges[1:-1], right=False), 0, n_bins - 1)
    bins = []
    for b in range(n_bins):
        mask = idx == b
        n = int(mask.sum())
        bins.append(
            {
                "lo": float(edges[b]),
                "hi": float(edges[b + 1]),
                "n": n,
                "confidence": float(conf[mask].mean()) if n else 0.0,
                "accuracy": float(correct[mask].mean()) if n else 0.0,
            }
        )
    return bins


def expected_calibration_error(probs: np.ndarray, y_true: Sequence[int], n_bins: int = 10) -> float:
    """ECE = sum over bins of (bin share) * |accuracy - mean confidence| (Guo et al., 2017)."""
    bins = calibration_bins(probs, y_true, n_bins)
    total = sum(b["n"] for b in bins)
    if total == 0:
        return float("nan")
    return float(sum(b["n"] / total * abs(b["accuracy"] - b["confidence"]) for b in bins))


def slice_metrics(
    y_true: Sequence[str], y_pred: Sequence[str], keys: Sequence[str], min_size: int = MIN_SLICE
) -> dict[str, dict[str, float]]:
    """Accuracy and macro-F1 per slice (e.g. per origin); slices under ``min_size`` pairs are left out."""
    from sklearn.metrics import f1_score

    groups: dict[str, list[int]] = defaultdict(list)
    for i, k in enumerate(keys):
        groups[str(k)].append(i)
    out = {}
    for key in sorted(groups):
        idx = groups[key]
        if len(idx) < min_size:
            continue
        t = [y_true[i] for i in idx]
        p = [y_pred[i] for i in idx]
        out[key] = {
            "n": len(idx),
            "acc": float(np.mean([a == b for a, b in zip(t, p, strict=True)])),
            "macro_f1": float(f1_score(t, p, labels=sorted(set(t)), average="macro", zero_division=0)),
        }
    return out


# --- behavioural checks -------------------------------------------------------------------------------------------

NEGATABLE_AUX = re.compile(r"\b(is|are|was|were|will|would|can|could|should|has|have|had|must|may|might|does|do|did)\b")
NEGATED = re.compile(r"\b(not|never|no|none|nobody|nothing)\b|n't\b", re.IGNORECASE)
PROPER_NAME = re.compile(r"\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)+\b")
SUBSTITUTE_NAMES = ("Marion Kessler", "Tobias Wren", "Adaeze Brook")
SUBSTITUTE_PLACES = ("Northgate", "Elmstead", "Varrow")
SENTENCE_START_WORDS = {"the", "a", "an", "we", "it", "they", "this", "that", "there", "our", "i", "he", "she"}


def negate_text(text: str) -> str | None:
    """Negate a plain string (the behavioural check): 'not' after its first auxiliary, else 'It is not true that
    ...'; None if already negative. (pairs.edits.negate edits a spaCy parse instead, for the synthetic pairs.)"""
    text = text.strip()
    if not text or NEGATED.search(text):
        return None
    m = NEGATABLE_AUX.search(text)
    if m:
        return f"{text[: m.end()]} not{text[m.end() :]}"
    first, _, rest = text.partition(" ")
    head = first.lower() if first.lower() in SENTENCE_START_WORDS else first
    return f"It is not true that {head} {rest}".rstrip()


def rename(text: str, old: str, new: str) -> str:
    """Replace whole-word occurrences of a name (the entity is renamed, its role is unchanged)."""
    return re.sub(rf"(?<!\w){re.escape(old)}(?!\w)", new, text)


def substitute_for(name: str, i: int) -> str | None:
    """A fresh name of the same shape: multi-word proper names get a person name, one-word ones a place name."""
    words = name.split()
    if not words or not all(w[:1].isupper() for w in words):
        return None
    pool = SUBSTITUTE_NAMES if len(words) > 1 else SUBSTITUTE_PLACES
    choice = pool[i % len(pool)]
    return None if choice == name else choice


def rename_target_cases(rows: Sequence[Row]) -> list[tuple[Row, Row]]:
    """(original, renamed) pairs: the pair's target, where it is a proper name in the premise, renamed on both sides."""
    cases = []
    for i, r in enumerate(rows):
        target = (r.get("target") or "").strip()
        new = substitute_for(target, i) if target else None
        if new and rename(r["premise"], target, new) != r["premise"]:
            cases.append(
                (
                    r,
                    {
                        **r,
                        "premise": rename(r["premise"], target, new),
                        "hypothesis": rename(r["hypothesis"], target, new),
                    },
                )
            )
    return cases


def rename_name_cases(rows: Sequence[Row]) -> list[tuple[Row, Row]]:
    """(original, renamed) pairs: the first multi-word proper name (a speaker or any person) renamed on both sides."""
    cases = []
    for i, r in enumerate(rows):
        m = PROPER_NAME.search(r["premise"]) or PROPER_NAME.search(r["hypothesis"])
        if not m:
            continue
        new = substitute_for(m.group(0), i)
        if new:
            cases.append(
                (
                    r,
                    {
                        **r,
                        "premise": rename(r["premise"], m.group(0), new),
                        "hypothesis": rename(r["hypothesis"], m.group(0), new),
                    },
                )
            )
    return cases


def negation_cases(rows: Sequence[Row]) -> list[Row]:
    """Gold entailment pairs with the hypothesis negated: the expected label becomes contradiction."""
    out = []
    for r in rows:
        if r.get("label") != "entailment":
            continue
        neg = negate_text(r["hypothesis"])
        if neg:
            out.append({**r, "hypothesis": neg, "label": "contradiction"})
    return out


def behavioural_checks(
    clf: Any, rows: Sequence[Row], batch_size: int = 64, max_cases: int = 500
) -> dict[str, dict[str, float]]:
    """Pass rates: invariance (renaming keeps the predicted label) and direction (negation gives contradiction)."""
    out: dict[str, dict[str, float]] = {}
    for name, cases in (("rename_target", rename_target_cases(rows)), ("rename_name", rename_name_cases(rows))):
        cases = cases[:max_cases]
        if not cases:
            continue
        before = clf.predict([a["premise"] for a, _ in cases], [a["hypothesis"] for a, _ in cases], batch_size)
        after = clf.predict([b["premise"] for _, b in cases], [b["hypothesis"] for _, b in cases], batch_size)
        passed = sum(x == y for x, y in zip(before, after, strict=True))
        out[name] = {"n": len(cases), "pass_rate": passed / len(cases)}
    neg = negation_cases(rows)[:max_cases]
    if neg:
        preds = clf.predict([r["premise"] for r in neg], [r["hypothesis"] for r in neg], batch_size)
        out["negate_entailment"] = {"n": len(neg), "pass_rate": sum(p == "contradiction" for p in preds) / len(neg)}
    return out


# --- plots --------------------------------------------------------------------------------------------------------


def plot_confusion(confusion: Sequence[Sequence[int]], labels: Sequence[str], title: str, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import ConfusionMatrixDisplay

    fig, ax = plt.subplots(figsize=(4.5, 4))
    ConfusionMatrixDisplay(np.asarray(confusion), display_labels=list(labels)).plot(ax=ax, colorbar=False, cmap="Blues")
    ax.set_title(title)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_reliability(bins: Sequence[Mapping[str, float]], ece: float, title: str, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.5, 4))
    width = bins[0]["hi"] - bins[0]["lo"] if bins else 0.1
    lows = [b["lo"] for b in bins]
    ax.bar(
        lows, [b["accuracy"] if b["n"] else 0 for b in bins], width=width, align="edge", edgecolor="k", label="accuracy"
    )
    ax.plot([0, 1], [0, 1], "--", color="grey", label="perfect calibration")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("confidence (top-1 probability)")
    ax.set_ylabel("accuracy")
    ax.set_title(f"{title} (ECE {ece:.3f})")
    ax.legend(loc="upper left")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


# --- evaluation sets ----------------------------------------------------------------------------------------------


def split_natural(rows: Sequence[Row], natural_repeat: int) -> tuple[list[Row], list[Row]]:
    """(never trained on, trained on): held-out gold always tests; other gold trains when natural_repeat > 0.

    ``natural`` figures are the first list only; the second is reported as ``natural_seen`` for reference (a
    model scores well on pairs it saw). Cross-validated figures on the trainable gold come from the crossval stage.
    """
    if natural_repeat <= 0:
        return list(rows), []
    return [r for r in rows if r.get("split") != "natural"], [r for r in rows if r.get("split") == "natural"]


def calibrated_metrics(
    probs: np.ndarray, gold: Sequence[str], labels: Sequence[str], cal: Mapping[str, Any], n_bins: int
) -> dict[str, Any]:
    """Metrics after the model's temperature and threshold: the decision rule users get from predict and report."""
    from quotecontra import calibrate

    p, pred = calibrate.calibrated(probs, labels, dict(cal))
    m = classification_metrics(list(gold), pred, list(labels))
    return {
        "acc": m["acc"],
        "macro_f1": m["macro_f1"],
        "contradiction": m["contradiction"],
        "ece": calibrate.ece(p, [list(labels).index(g) for g in gold], n_bins),
        "temperature": float(cal.get("temperature", 1.0)),
        "threshold": cal.get("threshold"),
    }


def load_eval_sets(cfg: DictConfig, pairs: Mapping[str, list[Row]]) -> dict[str, list[Row]]:
    """The configured sets; an external set whose file is absent is skipped with a logged reason."""
    from quotecontra import nli_data

    shared = Path(cfg.data.shared_dir)
    cap, seed = int(cfg.evaluate.max_external), int(cfg.seed)
    sets: dict[str, list[Row]] = {}
    for name in cfg.evaluate.sets:
        if name == "synthetic":
            sets[name] = pairs.get("test", [])
        elif name == "natural":
            unseen, seen = split_natural(pairs.get("natural", []), int(cfg.train.natural_repeat))
            sets[name] = unseen
            if seen:
                sets["natural_seen"] = seen
        elif name in {"cad", "breaking_nli"}:
            path = nli_data.cad_path(shared, "test") if name == "cad" else nli_data.breaking_nli_path(shared)
            if not path.exists():
                log.warning("evaluation set %s skipped: %s not found (data.shared_dir=%s)", name, path, shared)
                continue
            rows = nli_data.read_cad_tsv(path) if name == "cad" else nli_data.read_jsonl_nli(path)
            sets[name] = nli_data.sample(rows, cap, seed)
        else:
            raise ValueError(f"evaluate.sets: unknown set {name!r} (synthetic, natural, cad, breaking_nli)")
    return sets


def evaluate_set(clf: Any, rows: Sequence[Row], n_bins: int, batch_size: int) -> tuple[dict[str, Any], np.ndarray]:
    """Metrics for one set (with per-origin slices and calibration) and the probabilities behind them."""
    probs = clf.predict_proba([r["premise"] for r in rows], [r["hypothesis"] for r in rows], batch_size, progress=True)
    labels = list(clf.labels)
    gold = [r["label"] for r in rows]
    pred = [labels[i] for i in probs.argmax(axis=1)]
    gold_idx = [labels.index(g) for g in gold]
    m = classification_metrics(gold, pred, labels)
    m["ece"] = expected_calibration_error(probs, gold_idx, n_bins)
    m["calibration"] = calibration_bins(probs, gold_idx, n_bins)
    m["slices"] = slice_metrics(gold, pred, [r.get("origin") or "unknown" for r in rows])
    m["labels"] = labels
    return m, probs


def flat_metrics(report: Mapping[str, Any]) -> dict[str, float]:
    """The MLflow view of metrics.json: synthetic.acc, natural.macro_f1, cad.contradiction.f1, behavioural...."""
    flat: dict[str, float] = {}
    for name, m in report.get("sets", {}).items():
        flat[f"{name}.n"] = float(m["n"])
        if not m["n"]:
            continue
        for key in ("acc", "macro_f1", "ece"):
            flat[f"{name}.{key}"] = float(m[key])
        for label in m["labels"]:
            for key in ("precision", "recall", "f1"):
                flat[f"{name}.{label}.{key}"] = float(m[label][key])
        for key, value in (m.get("calibrated") or {}).items():
            if key in ("acc", "macro_f1", "ece"):
                flat[f"{name}.calibrated.{key}"] = float(value)
        if "calibrated" in m:
            flat[f"{name}.calibrated.contradiction.f1"] = float(m["calibrated"]["contradiction"]["f1"])
        for origin, s in m["slices"].items():
            flat[f"{name}.origin.{origin}.acc"] = float(s["acc"])
            flat[f"{name}.origin.{origin}.macro_f1"] = float(s["macro_f1"])
    cv = report.get("natural_crossval")
    if cv:
        flat["natural_crossval.n"] = float(cv["n"])
        for rule in ("argmax", "decision"):
            for key, d in cv[rule].items():
                flat[f"natural_crossval.{rule}.{key}"] = float(d["value"])
    for check, b in report.get("behavioural", {}).items():
        flat[f"behavioural.{check}.pass_rate"] = float(b["pass_rate"])
        flat[f"behavioural.{check}.n"] = float(b["n"])
    return {k: v for k, v in flat.items() if not math.isnan(v)}


def run(cfg: DictConfig, tracker: Tracker) -> StageResult:
    """Score run_dir/model on every configured set; write metrics.json and plots/, log the flat metrics."""
    import torch

    from quotecontra.models import load_classifier, set_inference_precision
    from quotecontra.pairs_store import read_rows

    paths = RunPaths.of(cfg.run_dir)
    torch.set_num_threads(int(cfg.runtime.torch_threads))
    random.seed(int(cfg.seed))
    model_dir = Path(cfg.evaluate.model) if cfg.evaluate.model else paths.model
    clf = set_inference_precision(load_classifier(model_dir), cfg.runtime.bf16)
    pairs = read_rows(paths.pairs_hf)
    sets = load_eval_sets(cfg, pairs)
    bs = int(cfg.runtime.eval_batch_size)
    meta = model_dir / "model.json" if (model_dir / "model.json").exists() else model_dir / "model" / "model.json"
    report: dict[str, Any] = {"model": json.loads(meta.read_text()), "model_dir": str(model_dir), "sets": {}}
    calibration = clf.calibration
    if calibration is not None:
        report["calibration"] = calibration
    crossval = paths.root / "crossval.json"
    if cfg.crossval.enabled and crossval.exists():
        cv = json.loads(crossval.read_text(encoding="utf-8"))
        report["natural_crossval"] = {
            k: cv[k] for k in ("n", "articles", "folds", "argmax", "decision", "ece_before", "ece_after")
        }
    outputs: list[Path] = [paths.metrics]
    summary = []
    for name, rows in sets.items():
        if not rows:
            log.warning("evaluation set %s is empty: skipped", name)
            report["sets"][name] = {"n": 0}
            continue
        m, probs = evaluate_set(clf, rows, int(cfg.evaluate.calibration_bins), bs)
        if calibration is not None:
            m["calibrated"] = calibrated_metrics(
                probs, [r["label"] for r in rows], m["labels"], calibration, int(cfg.evaluate.calibration_bins)
            )
        if name.startswith("natural"):
            from quotecontra import calibrate

            y = [LABELS.index(r["label"]) for r in rows]
            pred = [LABELS.index(m["labels"][i]) for i in probs.argmax(axis=1)]
            ci = calibrate.bootstrap_ci(y, pred, [str(r.get("group")) for r in rows], seed=int(cfg.seed))
            m["ci95"] = {k: list(v) for k, v in ci.items()}
        report["sets"][name] = m
        outputs.append(
            plot_confusion(m["confusion"], m["labels"], f"{name} (n={m['n']})", paths.plots / f"confusion_{name}.png")
        )
        outputs.append(plot_reliability(m["calibration"], m["ece"], name, paths.plots / f"reliability_{name}.png"))
        summary.append(
            f"{name:<13} n={m['n']:<5} acc {m['acc']:.3f}  macro-F1 {m['macro_f1']:.3f}  "
            f"contradiction F1 {m['contradiction']['f1']:.3f}  ECE {m['ece']:.3f}"
            + (
                f"  (95% CI macro-F1 {m['ci95']['macro_f1'][0]:.3f}-{m['ci95']['macro_f1'][1]:.3f})"
                if "ci95" in m
                else ""
            )
        )
        if "calibrated" in m:
            c = m["calibrated"]
            summary.append(
                f"{'':<13} calibrated (T={c['temperature']:.2f}, threshold {c['threshold']}): macro-F1 "
                f"{c['macro_f1']:.3f}, contradiction P/R/F1 {c['contradiction']['precision']:.3f}/"
                f"{c['contradiction']['recall']:.3f}/{c['contradiction']['f1']:.3f}, ECE {c['ece']:.3f}"
            )
    if cfg.evaluate.behavioural:
        rows = pairs.get("test", []) + pairs.get("natural", [])
        report["behavioural"] = behavioural_checks(clf, rows, bs)
        summary += [
            f"behavioural {k}: pass {b['pass_rate']:.2f} (n={b['n']})" for k, b in report["behavioural"].items()
        ]
    paths.metrics.parent.mkdir(parents=True, exist_ok=True)
    paths.metrics.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    return StageResult(metrics=flat_metrics(report), outputs=outputs, summary=summary)
