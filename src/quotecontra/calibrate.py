"""Decisions from probabilities: article-grouped folds, temperature scaling, a contradiction threshold, intervals.

Natural pair sets are small (about a hundred pairs from fifteen articles), so every figure here is computed the way
a small set demands: folds never split an article, the threshold and the temperature are picked on folds other than
the one they are scored on (cross-fitting), and intervals come from a bootstrap over articles, not pairs (pairs of
one article are not independent).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from quotecontra.records import LABELS

C, E, N = (LABELS.index(x) for x in ("contradiction", "entailment", "neutral"))


def group_folds(groups: Sequence[str], k: int, seed: int) -> list[int]:
    """A fold per item, whole groups per fold, folds as even in size as the groups allow (greedy, seeded order)."""
    sizes: dict[str, int] = {}
    for g in groups:
        sizes[g] = sizes.get(g, 0) + 1
    order = sorted(sizes, key=lambda g: (-sizes[g], hashlib.sha1(f"{seed}:{g}".encode()).hexdigest()))
    k = max(1, min(k, len(order)))
    load = [0] * k
    fold_of: dict[str, int] = {}
    for g in order:
        f = min(range(k), key=lambda i: (load[i], i))
        fold_of[g] = f
        load[f] += sizes[g]
    return [fold_of[g] for g in groups]


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def apply_temperature(probs: np.ndarray, temperature: float) -> np.ndarray:
    """Probabilities rescaled as softmax(log p / T): T > 1 softens an over-confident model."""
    logp = np.log(np.clip(probs, 1e-12, 1.0))
    return softmax(logp / float(temperature))


def nll(probs: np.ndarray, y: Sequence[int]) -> float:
    return float(-np.mean(np.log(np.clip(probs[np.arange(len(y)), list(y)], 1e-12, 1.0))))


def fit_temperature(probs: np.ndarray, y: Sequence[int], grid: Sequence[float] | np.ndarray | None = None) -> float:
    """The temperature minimising negative log-likelihood (a fine log grid: robust on a hundred pairs)."""
    if len(y) == 0:
        return 1.0
    grid = grid if grid is not None else np.exp(np.linspace(math.log(0.25), math.log(8.0), 121))
    return float(min(grid, key=lambda t: (nll(apply_temperature(probs, t), y), abs(math.log(t)))))


def decide(probs: np.ndarray, threshold: float | None, entail_offset: float = 0.0) -> np.ndarray:
    """Label ids: contradiction when P(contradiction) >= threshold; otherwise entailment or neutral, whichever is
    likelier once ``entail_offset`` (a log-odds shift fitted on natural pairs, where entailment is rare) is added."""
    if threshold is None and entail_offset == 0.0:
        return probs.argmax(axis=1)
    logp = np.log(np.clip(probs, 1e-12, 1.0))
    rest = np.where(logp[:, E] + entail_offset >= logp[:, N], E, N)
    if threshold is None:  # plain argmax for contradiction against the better of the other two
        best_other = np.maximum(logp[:, E] + entail_offset, logp[:, N])
        return np.where(logp[:, C] > best_other, C, rest)
    return np.where(probs[:, C] >= threshold, C, rest)


OFFSETS = np.round(np.arange(-3.0, 3.01, 0.25), 2)


def macro_f1(y: np.ndarray, pred: np.ndarray) -> float:
    """Macro-F1 over the three labels, as sklearn's ``f1_score(average="macro", zero_division=0)`` gives it, from one
    confusion count: the decision grid scores thousands of rules, and sklearn's checks cost a millisecond each."""
    k = len(LABELS)
    cm = np.bincount(y * k + pred, minlength=k * k).reshape(k, k)
    tp = np.diag(cm).astype(float)
    denom = cm.sum(axis=0) + cm.sum(axis=1)  # 2tp + fp + fn
    return float(np.mean(np.divide(2 * tp, denom, out=np.zeros(k), where=denom > 0)))


def pick_decision(probs: np.ndarray, y: Sequence[int]) -> tuple[float, float]:
    """(threshold, entailment offset) with the best macro-F1 on these pairs: the decision rule users get.

    Natural pairs are not balanced like the synthetic ones (contradiction common, entailment rare), so a model's argmax
    is the wrong rule there. Ties go to the higher threshold and the smaller offset.
    """
    y_arr = np.asarray(list(y), dtype=int)
    if not len(y_arr):
        return 0.5, 0.0
    cuts = sorted(set(np.round(probs[:, C], 4).tolist()) | {1.0})
    best, best_key = (0.5, 0.0), None
    for t in cuts:
        for b in OFFSETS:
            f1 = macro_f1(y_arr, decide(probs, t, float(b)))
            key = (round(f1, 9), t, -abs(float(b)))
            if best_key is None or key > best_key:
                best, best_key = (float(t), float(b)), key
    return best


def pick_threshold(probs: np.ndarray, y: Sequence[int]) -> float:
    """The P(contradiction) cut-off with the best contradiction F1 (ties: the higher cut-off, fewer false alarms)."""
    y_arr = np.asarray(y)
    is_c = y_arr == C
    if not is_c.any():
        return 0.5
    best, best_f1 = 0.5, -1.0
    for t in np.unique(np.round(probs[:, C], 4)):
        pred = probs[:, C] >= t
        tp = float((pred & is_c).sum())
        f1 = 2 * tp / (pred.sum() + is_c.sum()) if (pred.sum() + is_c.sum()) else 0.0
        if f1 > best_f1 + 1e-12 or (abs(f1 - best_f1) <= 1e-12 and t > best):
            best, best_f1 = float(t), f1
    return best


def pr_curve(probs: np.ndarray, y: Sequence[int]) -> dict[str, list[float]]:
    """Precision and recall of 'contradiction' at every cut-off (for the saved plot)."""
    from sklearn.metrics import precision_recall_curve

    p, r, t = precision_recall_curve(np.asarray(y) == C, probs[:, C])
    return {"precision": p.tolist(), "recall": r.tolist(), "thresholds": t.tolist()}


def scores(y: Sequence[int], pred: Sequence[int]) -> dict[str, float]:
    """Macro-F1, accuracy and contradiction precision/recall/F1 over the three labels."""
    from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

    labels = list(range(len(LABELS)))
    p, r, f, _ = precision_recall_fscore_support(y, pred, labels=labels, zero_division=0)
    return {
        "macro_f1": float(f1_score(y, pred, labels=labels, average="macro", zero_division=0)),
        "acc": float(accuracy_score(y, pred)) if len(y) else 0.0,
        "contradiction_precision": float(p[C]),
        "contradiction_recall": float(r[C]),
        "contradiction_f1": float(f[C]),
    }


def bootstrap_ci(
    y: Sequence[int],
    pred: Sequence[int],
    groups: Sequence[str],
    metric: Callable[[Sequence[int], Sequence[int]], dict[str, float]] = scores,
    n_boot: int = 2000,
    seed: int = 13,
    alpha: float = 0.05,
) -> dict[str, tuple[float, float]]:
    """Percentile intervals of each metric from resampling whole groups (articles) with replacement."""
    y_arr, p_arr = np.asarray(y), np.asarray(pred)
    uniq = sorted(set(groups))
    idx_of = {g: np.flatnonzero(np.asarray(groups) == g) for g in uniq}
    rng = np.random.default_rng(seed)
    draws: dict[str, list[float]] = {}
    for _ in range(n_boot):
        pick = rng.integers(0, len(uniq), len(uniq))
        idx = np.concatenate([idx_of[uniq[i]] for i in pick])
        for k, v in metric(y_arr[idx].tolist(), p_arr[idx].tolist()).items():
            draws.setdefault(k, []).append(v)
    lo, hi = 100 * alpha / 2, 100 * (1 - alpha / 2)
    return {k: (float(np.percentile(v, lo)), float(np.percentile(v, hi))) for k, v in draws.items()}


def ece(probs: np.ndarray, y: Sequence[int], n_bins: int = 10) -> float:
    """Expected calibration error of the top label (equal-width confidence bins)."""
    if len(y) == 0:
        return 0.0
    conf = probs.max(axis=1)
    correct = probs.argmax(axis=1) == np.asarray(y)
    bins = np.minimum((conf * n_bins).astype(int), n_bins - 1)
    return float(
        sum(abs(correct[bins == b].mean() - conf[bins == b].mean()) * (bins == b).mean() for b in np.unique(bins))
    )


@dataclass
class CrossFit:
    """Out-of-fold decisions: each fold's temperature, threshold and offset were fitted on the other folds."""

    calibrated: np.ndarray
    pred_argmax: np.ndarray
    pred_threshold: np.ndarray
    temperatures: list[float]
    thresholds: list[float]
    offsets: list[float]


def cross_fit(probs: np.ndarray, y: Sequence[int], folds: Sequence[int]) -> CrossFit:
    """Temperature and decision rule per fold from the other folds' out-of-fold probabilities (honest on small sets)."""
    y_arr, f_arr = np.asarray(y), np.asarray(folds)
    cal = np.zeros_like(probs)
    by_rule = np.zeros(len(y_arr), dtype=int)
    temps, thrs, offs = [], [], []
    for f in sorted(set(f_arr.tolist())):
        test, fit = f_arr == f, f_arr != f
        t = fit_temperature(probs[fit], y_arr[fit].tolist()) if fit.any() else 1.0
        thr, off = pick_decision(apply_temperature(probs[fit], t), y_arr[fit].tolist()) if fit.any() else (0.5, 0.0)
        cal[test] = apply_temperature(probs[test], t)
        by_rule[test] = decide(cal[test], thr, off)
        temps.append(t)
        thrs.append(thr)
        offs.append(off)
    return CrossFit(cal, cal.argmax(axis=1), by_rule, temps, thrs, offs)


def read_calibration(path: Path) -> dict | None:
    """A model's calibration.json (temperature, contradiction threshold), validated; None when there is none."""
    if not path.exists():
        return None
    return validate_calibration(json.loads(path.read_text(encoding="utf-8")), str(path))


def validate_calibration(cal: dict, where: str) -> dict:
    """Temperature > 0 and a threshold in [0, 1] (or none), as floats; anything else names ``where``."""
    try:
        t, thr = float(cal.get("temperature", 1.0)), cal.get("threshold")
        thr = None if thr is None else float(thr)
        off = float(cal.get("entailment_offset", 0.0))
    except (TypeError, ValueError, AttributeError) as exc:
        raise ValueError(f"{where}: temperature, threshold and entailment_offset must be numbers: {exc}") from exc
    if not (math.isfinite(t) and t > 0) or (thr is not None and not 0.0 <= thr <= 1.0) or not math.isfinite(off):
        raise ValueError(
            f"{where}: temperature must be > 0, threshold in [0, 1] and entailment_offset finite, got {t}, {thr}, {off}"
        )
    return {**cal, "temperature": t, "threshold": thr, "entailment_offset": off}


def calibrated(probs: np.ndarray, labels: Sequence[str], cal: dict | None) -> tuple[np.ndarray, list[str]]:
    """(probabilities after the temperature, predicted labels after the threshold), columns in ``labels`` order.

    Without a calibration this is the identity and the argmax: one decision rule for evaluate, predict and report.
    """
    labels = list(labels)
    if cal is None:
        return probs, [labels[i] for i in probs.argmax(axis=1)]
    order = [labels.index(lab) for lab in LABELS]
    p = apply_temperature(probs[:, order], float(cal.get("temperature", 1.0)))
    pred = [LABELS[i] for i in decide(p, cal.get("threshold"), float(cal.get("entailment_offset", 0.0)))]
    back = np.zeros_like(p)
    back[:, order] = p
    return back, pred


def symmetric(
    forward: np.ndarray, reversed_: np.ndarray, labels: Sequence[str], cal: dict | None
) -> tuple[np.ndarray, list[str]]:
    """A pair scored both ways: each direction calibrated (temperature), the two averaged, then the decision rule
    (threshold, entailment offset) applied to the mean, so A->B and B->A always get one label.

    The one definition of the report stage's scores and of crossval's ``symmetric`` figures.
    """
    n = len(forward)
    scale = None if cal is None else {"temperature": float(cal.get("temperature", 1.0))}
    both, _ = calibrated(np.concatenate([forward, reversed_]), labels, scale)
    mean = (both[:n] + both[n:]) / 2.0
    _, pred = calibrated(mean, labels, None if cal is None else {**cal, "temperature": 1.0})
    return mean, pred
