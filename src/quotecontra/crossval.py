"""The crossval stage: natural-pair figures you can trust, and the temperature and threshold the model ships with.

The gold natural pairs that may train (split ``natural``) are cut into article-grouped folds. For each fold a model
is trained exactly as the train stage would (same config, synthetic and natural pairs of the fold's articles left
out) and predicts the fold. The pooled out-of-fold predictions give macro-F1 and contradiction F1 with bootstrap
intervals over articles; a temperature and a P(contradiction) threshold are fitted on them (cross-fitted for the
reported figures, on all folds for ``calibration.json``, which the train stage copies into the model). Each held-out
pair is also scored B -> A; ``symmetric`` holds the figures on the mean of both directions, which is how the report
stage scores a pair.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import DictConfig, OmegaConf

from quotecontra import calibrate
from quotecontra.records import LABELS
from quotecontra.runpaths import RunPaths
from quotecontra.stage_result import StageResult
from quotecontra.tracking import Tracker

log = logging.getLogger(__name__)
Row = dict[str, Any]


def output(cfg: DictConfig) -> Path:
    return RunPaths.of(cfg.run_dir).root / "crossval.json"


def calibration_path(cfg: DictConfig) -> Path:
    return RunPaths.of(cfg.run_dir).root / "calibration.json"


def fold_config(cfg: DictConfig) -> DictConfig:
    """The run's config with the cheaper per-fold schedule of ``crossval`` (so k folds fit a run's time)."""
    cv = cfg.crossval
    over: dict[str, Any] = {}
    if float(cv.epochs) > 0:
        over["epochs"] = float(cv.epochs)
    if int(cv.max_train_pairs) > 0:
        over["max_train_pairs"] = int(cv.max_train_pairs)
    out = OmegaConf.merge(cfg, {"train": over})
    assert isinstance(out, DictConfig)
    return out


def summarise(probs: np.ndarray, y: list[int], folds: list[int], groups: list[str], seed: int) -> dict[str, Any]:
    """Out-of-fold scores: raw argmax, and with cross-fitted temperature + threshold, each with a 95% interval."""
    cross = calibrate.cross_fit(probs, y, folds)
    out: dict[str, Any] = {"n": len(y), "articles": len(set(groups)), "folds": len(set(folds))}
    for name, pred in (("argmax", probs.argmax(axis=1)), ("decision", cross.pred_threshold)):
        s = calibrate.scores(y, pred.tolist())
        ci = calibrate.bootstrap_ci(y, pred.tolist(), groups, seed=seed)
        out[name] = {k: {"value": v, "ci95": list(ci[k])} for k, v in s.items()}
    out["ece_before"] = calibrate.ece(probs, y)
    out["ece_after"] = calibrate.ece(cross.calibrated, y)
    out["fold_temperatures"] = cross.temperatures
    out["fold_thresholds"] = cross.thresholds
    out["fold_entailment_offsets"] = cross.offsets
    return out


def summarise_symmetric(
    probs: np.ndarray, reversed_: np.ndarray, y: list[int], folds: list[int], groups: list[str], seed: int
) -> dict[str, Any]:
    """Out-of-fold scores of both directions averaged, exactly as the report stage scores a pair
    (:func:`calibrate.symmetric`): argmax of the raw mean, and the decision with each fold's temperature, threshold
    and entailment offset cross-fitted on the other folds' A -> B probabilities (what the shipped model carries)."""
    cross = calibrate.cross_fit(probs, y, folds)
    raw, _ = calibrate.symmetric(probs, reversed_, LABELS, None)
    scaled = np.zeros_like(probs)
    decision = np.zeros(len(y), dtype=int)
    f_arr = np.asarray(folds)
    for i, f in enumerate(sorted(set(folds))):
        idx = f_arr == f
        cal = {"temperature": cross.temperatures[i], "threshold": cross.thresholds[i]}
        cal["entailment_offset"] = cross.offsets[i]
        scaled[idx], labels = calibrate.symmetric(probs[idx], reversed_[idx], LABELS, cal)
        decision[idx] = [LABELS.index(lab) for lab in labels]
    out: dict[str, Any] = {}
    for name, pred in (("argmax", raw.argmax(axis=1)), ("decision", decision)):
        s = calibrate.scores(y, pred.tolist())
        ci = calibrate.bootstrap_ci(y, pred.tolist(), groups, seed=seed)
        out[name] = {k: {"value": v, "ci95": list(ci[k])} for k, v in s.items()}
    out["ece_before"] = calibrate.ece(raw, y)
    out["ece_after"] = calibrate.ece(scaled, y)
    return out


def plot_pr(curve: dict[str, list[float]], threshold: float, path: Path) -> Path:
    """Precision-recall of 'contradiction' on the out-of-fold natural pairs, with the chosen cut-off marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.5, 4))
    ax.plot(curve["recall"], curve["precision"], drawstyle="steps-post")
    t = np.asarray(curve["thresholds"])
    if len(t):
        i = int(np.argmin(np.abs(t - threshold)))
        ax.scatter(
            [curve["recall"][i]], [curve["precision"][i]], color="red", zorder=3, label=f"threshold {threshold:.2f}"
        )
        ax.legend(loc="lower left")
    ax.set(
        xlabel="recall",
        ylabel="precision",
        title="contradiction, natural pairs (out of fold)",
        xlim=(0, 1),
        ylim=(0, 1.02),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def run(cfg: DictConfig, tracker: Tracker) -> StageResult:
    """Train one model per article fold, predict its natural pairs, write crossval.json and calibration.json."""
    from transformers import set_seed

    from quotecontra.models import set_inference_precision
    from quotecontra.pairs_store import read_rows
    from quotecontra.train import corpus_texts, train_model

    paths = RunPaths.of(cfg.run_dir)
    seed = int(cfg.seed)
    pairs = read_rows(paths.pairs_hf)
    natural = [r for r in pairs.get("natural", []) if r.get("split") == "natural"]
    groups = [str(r["group"]) for r in natural]
    k = min(int(cfg.crossval.folds), len(set(groups)))
    if k < 2:
        raise ValueError(f"crossval needs natural pairs from at least 2 articles, found {len(set(groups))}")
    folds = calibrate.group_folds(groups, k, seed)
    fcfg = fold_config(cfg)
    nli_rows: list[Row] = []
    if cfg.nli.sources:
        from quotecontra.nli_data import load_sources

        nli_rows = load_sources(cfg.nli.sources, Path(cfg.data.shared_dir), int(cfg.nli.max_pairs), seed)
    texts = corpus_texts(paths.articles) if cfg.model.kind == "tiny_bert" else []
    probs = np.zeros((len(natural), len(LABELS)), dtype=np.float64)
    probs_reversed = np.zeros_like(probs)
    per_fold = []
    for f in range(k):
        idx = [i for i, ff in enumerate(folds) if ff == f]
        held = frozenset(groups[i] for i in idx)
        set_seed(seed)
        clf, m = train_model(fcfg, pairs, nli_rows, texts, tracker, paths.checkpoints / "crossval", held, f"fold{f}")
        set_inference_precision(clf, cfg.runtime.bf16)
        premises, hypotheses = [natural[i]["premise"] for i in idx], [natural[i]["hypothesis"] for i in idx]
        order = [list(clf.labels).index(lab) for lab in LABELS]  # columns in LABELS order
        probs[idx] = clf.predict_proba(premises, hypotheses)[:, order]
        # B -> A as well, in its own call so the A -> B figures do not depend on it (batches pad differently).
        probs_reversed[idx] = clf.predict_proba(hypotheses, premises)[:, order]
        y_f = [LABELS.index(natural[i]["label"]) for i in idx]
        s = calibrate.scores(y_f, probs[idx].argmax(axis=1).tolist())
        per_fold.append({"fold": f, "n": len(idx), "articles": sorted(held), **s, "n_train": m.get("n_train", 0.0)})
        log.info("crossval fold %d/%d: n=%d macro-F1 %.3f", f + 1, k, len(idx), s["macro_f1"])
    y = [LABELS.index(r["label"]) for r in natural]
    report = summarise(probs, y, folds, groups, seed)
    # What the report stage shows a user: the mean of both directions (contradiction is symmetric, a model is not).
    report["symmetric"] = summarise_symmetric(probs, probs_reversed, y, folds, groups, seed)
    report["per_fold"] = per_fold
    temperature = calibrate.fit_temperature(probs, y)
    calibrated = calibrate.apply_temperature(probs, temperature)
    threshold, offset = calibrate.pick_decision(calibrated, y)
    curve = calibrate.pr_curve(calibrated, y)
    calibration = {
        "temperature": temperature,
        "threshold": threshold,
        "entailment_offset": offset,
        "max_f1_threshold": calibrate.pick_threshold(calibrated, y),
        "labels": list(LABELS),
        "fitted_on": f"out-of-fold predictions on {len(y)} natural gold pairs from {len(set(groups))} articles",
    }
    report["calibration"] = calibration
    report["pr_curve"] = curve
    output(cfg).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    calibration_path(cfg).write_text(json.dumps(calibration, indent=2) + "\n", encoding="utf-8")
    oof = paths.root / "crossval_predictions.jsonl"
    with oof.open("w", encoding="utf-8") as fh:
        for r, f, p, q in zip(natural, folds, probs, probs_reversed, strict=True):
            fh.write(
                json.dumps(
                    {
                        "id": r.get("id"),
                        "fold": f,
                        "label": r["label"],
                        "probs": dict(zip(LABELS, p.round(4).tolist(), strict=True)),
                        "probs_reversed": dict(zip(LABELS, q.round(4).tolist(), strict=True)),
                    }
                )
                + "\n"
            )
    plot = plot_pr(curve, threshold, paths.plots / "pr_natural_crossval.png")
    th, am = report["decision"], report["argmax"]
    sym_am, sym_th = report["symmetric"]["argmax"], report["symmetric"]["decision"]
    metrics = {
        "n": float(len(y)),
        "macro_f1": am["macro_f1"]["value"],
        "contradiction_f1": am["contradiction_f1"]["value"],
        "decision.macro_f1": th["macro_f1"]["value"],
        "decision.contradiction_f1": th["contradiction_f1"]["value"],
        "decision.contradiction_precision": th["contradiction_precision"]["value"],
        "decision.contradiction_recall": th["contradiction_recall"]["value"],
        "ece_before": report["ece_before"],
        "ece_after": report["ece_after"],
        "temperature": temperature,
        "threshold": threshold,
        "symmetric.macro_f1": sym_am["macro_f1"]["value"],
        "symmetric.contradiction_f1": sym_am["contradiction_f1"]["value"],
        "symmetric.decision.macro_f1": sym_th["macro_f1"]["value"],
        "symmetric.decision.contradiction_f1": sym_th["contradiction_f1"]["value"],
    }

    def fmt(d: dict[str, Any], key: str) -> str:
        lo, hi = d[key]["ci95"]
        return f"{d[key]['value']:.3f} [{lo:.3f}, {hi:.3f}]"

    summary = [
        f"{k}-fold article-grouped CV on n={len(y)} natural pairs ({len(set(groups))} articles), 95% bootstrap CI:",
        f"argmax:      macro-F1 {fmt(am, 'macro_f1')}, contradiction F1 {fmt(am, 'contradiction_f1')}",
        f"decision:    macro-F1 {fmt(th, 'macro_f1')}, contradiction F1 {fmt(th, 'contradiction_f1')} "
        f"(P {th['contradiction_precision']['value']:.3f}, R {th['contradiction_recall']['value']:.3f})",
        f"both directions averaged: argmax macro-F1 {fmt(sym_am, 'macro_f1')}, decision macro-F1 "
        f"{fmt(sym_th, 'macro_f1')}, contradiction F1 {fmt(sym_th, 'contradiction_f1')}",
        f"temperature {temperature:.2f}, threshold {threshold:.2f}, entailment offset {offset:+.2f} (best contradiction-F1 "
        f"threshold {calibration['max_f1_threshold']:.2f}); ECE {report['ece_before']:.3f} -> "
        f"{report['ece_after']:.3f} (cross-fitted)",
    ]
    return StageResult(metrics=metrics, outputs=[output(cfg), calibration_path(cfg), oof, plot], summary=summary)
