"""Simulated annotation loop: does choosing pairs by model uncertainty beat choosing them at random?

The gold natural pairs (split ``natural``; ``heldout`` gold never trains, so it is only scored) are the oracle. Per
seed, their articles are cut into a pool (whose labels can be "bought") and test articles. Round 0 trains on the
synthetic train split alone; each round then buys ``k`` pool labels chosen by a strategy, retrains on synthetic +
bought natural pairs (exactly as the train stage mixes them: ``train.natural_repeat`` copies, symmetric labels also
reversed) and scores macro-F1 on the test articles' natural pairs. Strategies are those of ``export.select``:
``uncertainty`` (entropy of the current model under the per-target/per-article caps) and ``random``.

CPU is scarce, so the default model is the TF-IDF pair model (``model=tfidf``: seconds per fit); any model config
works (``--model minilm``) through the train stage's own ``train_model``. Writes experiments/bench/active_loop.json
and active_loop.png, and logs the curves to MLflow with ``--mlflow`` (or QC_BENCH_MLFLOW=1 under ``make bench``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[3]
OUT = ROOT / "experiments" / "bench" / "active_loop.json"
RUN_DIR = ROOT / "runs" / "default"
STRATEGIES = ("uncertainty", "random")
ROUNDS, K, SEEDS, TEST_FRACTION = 5, 8, 8, 0.35
Row = dict[str, Any]


def ensure_pairs(run_dir: Path) -> Path:
    """run_dir/pairs/hf, built with the annotate and pairs stages (MLflow off) when it is not there yet."""
    hf = run_dir / "pairs" / "hf"
    if not hf.exists():
        exe = Path(sys.executable).with_name("quotecontra")
        for stage in ("annotate", "pairs"):
            subprocess.run([str(exe), stage, f"run_dir={run_dir}", "mlflow.enabled=false"], check=True, cwd=ROOT)
    return hf


def compose(model: str, overrides: Sequence[str]) -> Any:
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir

    from quotecontra.cli import conf_dir
    from quotecontra.config import register_configs

    register_configs()
    with initialize_config_dir(config_dir=conf_dir(), version_base="1.3"):
        return hydra_compose(config_name="config", overrides=[f"model={model}", "mlflow.enabled=false", *overrides])


def split_articles(groups: Sequence[str], test_fraction: float, seed: int) -> tuple[set[str], set[str]]:
    """(pool articles, test articles): a seeded shuffle, at least one article on each side."""
    arts = sorted(set(groups))
    if len(arts) < 2:
        raise ValueError(f"the active loop needs natural gold pairs from at least 2 articles, found {len(arts)}")
    random.Random(f"split:{seed}").shuffle(arts)
    n_test = min(len(arts) - 1, max(1, round(test_fraction * len(arts))))
    return set(arts[n_test:]), set(arts[:n_test])


def macro_f1(clf: Any, rows: Sequence[Row]) -> float:
    from quotecontra.calibrate import scores
    from quotecontra.records import LABELS

    if not rows:
        return float("nan")
    probs = clf.predict_proba([r["premise"] for r in rows], [r["hypothesis"] for r in rows])
    _, pred = clf.decide(probs)
    return scores([LABELS.index(r["label"]) for r in rows], [LABELS.index(p) for p in pred])["macro_f1"]


def choose(strategy: str, clf: Any, pool: Sequence[Row], k: int, seed: int, caps: tuple[int, int]) -> list[int]:
    """Indices of the pool rows to label next, by the export stage's own selection functions."""
    from quotecontra.export.select import entropy, pick
    from quotecontra.records import LABELS

    scores = None
    if strategy == "uncertainty" and pool:
        probs, _ = clf.decide(clf.predict_proba([r["premise"] for r in pool], [r["hypothesis"] for r in pool]))
        cols = [list(clf.labels).index(lab) for lab in LABELS]
        scores = entropy(np.asarray(probs)[:, cols]).tolist()
    return pick(
        strategy,
        len(pool),
        k,
        targets=[(r.get("target") or "").lower() or None for r in pool],
        articles=[[str(r["group"])] for r in pool],
        scores=scores,
        seed=seed,
        per_target=caps[0],
        per_article=caps[1],
    )


def run_seed(
    cfg: Any,
    synthetic: list[Row],
    natural: list[Row],
    heldout: list[Row],
    seed: int,
    strategies: Sequence[str],
    rounds: int,
    k: int,
    test_fraction: float,
    caps: tuple[int, int],
) -> dict[str, Any]:
    """One seed: the article split, round 0, then every strategy's rounds; macro-F1 after each round."""
    from omegaconf import OmegaConf

    pool_arts, test_arts = split_articles([r["group"] for r in natural], test_fraction, seed)
    pool = [r for r in natural if r["group"] in pool_arts]
    test = [r for r in natural if r["group"] in test_arts]
    scfg = OmegaConf.merge(cfg, {"seed": seed})
    with tempfile.TemporaryDirectory(prefix="active_loop_") as tmp:
        return _rounds(scfg, synthetic, pool, test, heldout, seed, strategies, rounds, k, caps, Path(tmp), test_arts)


def _rounds(
    cfg: Any,
    synthetic: list[Row],
    pool: list[Row],
    test: list[Row],
    heldout: list[Row],
    seed: int,
    strategies: Sequence[str],
    rounds: int,
    k: int,
    caps: tuple[int, int],
    ckpt: Path,
    test_arts: set[str],
) -> dict[str, Any]:
    from quotecontra.tracking import Tracker
    from quotecontra.train import train_model

    def fit(bought: list[Row]) -> Any:
        return train_model(cfg, {"train": synthetic, "natural": bought}, [], [], Tracker(), ckpt)[0]

    start = fit([])
    f1_0, held_0 = macro_f1(start, test), macro_f1(start, heldout)
    out: dict[str, Any] = {"seed": seed, "pool": len(pool), "test": len(test), "test_articles": sorted(test_arts)}
    out["pool_labels"] = dict(sorted(Counter(r["label"] for r in pool).items()))
    for strategy in strategies:
        clf, left, bought = start, list(pool), []
        f1s, held, labels_bought = [f1_0], [held_0], []
        for r in range(rounds):
            if not left:
                break
            idx = set(choose(strategy, clf, left, k, seed * 1000 + r, caps))
            bought += [left[i] for i in sorted(idx)]
            labels_bought.append(dict(sorted(Counter(left[i]["label"] for i in idx).items())))
            left = [x for i, x in enumerate(left) if i not in idx]
            clf = fit([{**x, "split": "natural"} for x in bought])
            f1s.append(macro_f1(clf, test))
            held.append(macro_f1(clf, heldout))
        out[strategy] = {"macro_f1": f1s, "heldout_macro_f1": held, "labels_per_round": labels_bought}
    return out


def summarise(per_seed: Sequence[Mapping[str, Any]], strategies: Sequence[str], k: int) -> dict[str, Any]:
    """Mean, sd, min and max per round, and uncertainty minus random per round (mean, sd, seeds where >= 0)."""
    n = min(len(s[st]["macro_f1"]) for s in per_seed for st in strategies)
    curves: dict[str, Any] = {}
    for st in strategies:
        m = np.array([s[st]["macro_f1"][:n] for s in per_seed])
        h = np.array([s[st]["heldout_macro_f1"][:n] for s in per_seed])
        curves[st] = {
            "labels": [k * i for i in range(n)],
            "mean": m.mean(0).round(4).tolist(),
            "sd": m.std(0, ddof=1).round(4).tolist() if len(m) > 1 else [0.0] * n,
            "min": m.min(0).round(4).tolist(),
            "max": m.max(0).round(4).tolist(),
            "heldout_mean": np.nanmean(h, 0).round(4).tolist(),
            "bought_label_share": _share(r for s in per_seed for r in s[st]["labels_per_round"]),
        }
    out: dict[str, Any] = {"curves": curves, "rounds_compared": n - 1}
    if {"uncertainty", "random"} <= set(strategies):
        d = np.array([np.array(s["uncertainty"]["macro_f1"][:n]) - s["random"]["macro_f1"][:n] for s in per_seed])
        out["uncertainty_minus_random"] = {
            "mean": d.mean(0).round(4).tolist(),
            "sd": d.std(0, ddof=1).round(4).tolist() if len(d) > 1 else [0.0] * n,
            "seeds_ge": [int((d[:, i] >= 0).sum()) for i in range(n)],
            "seeds": len(d),
        }
        means_u, means_r = curves["uncertainty"]["mean"], curves["random"]["mean"]
        out["uncertainty_ge_random_every_round"] = all(u >= r for u, r in zip(means_u[1:], means_r[1:], strict=True))
        out["area_difference"] = round(float(d[:, 1:].mean()), 4)
    return out


def _share(counts: Any) -> dict[str, float]:
    """Share of each label among the labels bought (all rounds and seeds): does a strategy skew the classes?"""
    total: Counter[str] = Counter()
    for c in counts:
        total.update(c)
    n = sum(total.values()) or 1
    return {lab: round(v / n, 3) for lab, v in sorted(total.items())}


def plot(summary: Mapping[str, Any], path: Path, title: str) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 4))
    for st, c in summary["curves"].items():
        x, m, sd = np.array(c["labels"]), np.array(c["mean"]), np.array(c["sd"])
        ax.plot(x, m, marker="o", label=st)
        ax.fill_between(x, m - sd, m + sd, alpha=0.2)
    ax.set(xlabel="natural labels bought", ylabel="macro-F1, test articles (mean ± sd over seeds)", title=title)
    ax.legend(loc="lower right")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def log_mlflow(result: Mapping[str, Any], files: Sequence[Path], uri: str) -> str:
    import mlflow

    from quotecontra.tracking import setup_mlflow

    setup_mlflow({"tracking_uri": uri, "experiment": "quotecontra-bench"})
    with mlflow.start_run(run_name="active_loop") as run:
        mlflow.log_params({k: str(v) for k, v in result["setup"].items() if not isinstance(v, list | dict)})
        for st, c in result["summary"]["curves"].items():
            for labels, m, sd in zip(c["labels"], c["mean"], c["sd"], strict=True):
                mlflow.log_metrics({f"{st}/macro_f1": m, f"{st}/macro_f1_sd": sd}, step=labels)
        for f in files:
            mlflow.log_artifact(str(f), artifact_path="active_loop")
        return run.info.run_id


def main(
    out: Path = OUT,
    run_dir: Path = RUN_DIR,
    model: str = "tfidf",
    rounds: int = ROUNDS,
    k: int = K,
    seeds: int = SEEDS,
    strategies: Sequence[str] = STRATEGIES,
    test_fraction: float = TEST_FRACTION,
    overrides: Sequence[str] = (),
    mlflow_uri: str | None = None,
) -> dict[str, Any]:
    from quotecontra.pairs_store import read_rows

    t0 = time.perf_counter()
    if mlflow_uri is None and os.environ.get("QC_BENCH_MLFLOW") == "1":  # `make bench` passes no arguments
        mlflow_uri = os.environ.get("QC_BENCH_MLFLOW_URI", "sqlite:///mlflow.db")
    cfg = compose(model, overrides)
    caps = (int(cfg.export.select_per_target), int(cfg.export.select_per_article))
    pairs = read_rows(ensure_pairs(Path(run_dir)))
    synthetic = pairs.get("train", [])
    natural = [r for r in pairs.get("natural", []) if r.get("split") == "natural"]
    heldout = [r for r in pairs.get("natural", []) if r.get("split") == "heldout"]
    per_seed = []
    for s in range(seeds):
        per_seed.append(run_seed(cfg, synthetic, natural, heldout, 13 + s, strategies, rounds, k, test_fraction, caps))
        print(f"active loop seed {s + 1}/{seeds} done ({time.perf_counter() - t0:.0f}s)", flush=True)
    summary = summarise(per_seed, strategies, k)
    result = {
        "setup": {
            "model": model,
            "model_note": "TF-IDF pair model by default: CPU is scarce and a fit takes seconds; pass --model for others"
            if model == "tfidf"
            else f"model={model}",
            "run_dir": str(run_dir),
            "synthetic_train_pairs": len(synthetic),
            "natural_pairs": len(natural),
            "natural_articles": len({r["group"] for r in natural}),
            "heldout_pairs": len(heldout),
            "rounds": rounds,
            "labels_per_round": k,
            "seeds": seeds,
            "test_fraction": test_fraction,
            "strategies": list(strategies),
            "caps": {"per_target": caps[0], "per_article": caps[1]},
            "natural_repeat": int(cfg.train.natural_repeat),
            "overrides": list(overrides),
            "metric": "macro-F1 on the natural gold pairs of the seed's test articles (never in the pool)",
        },
        "summary": summary,
        "per_seed": per_seed,
        "seconds": round(time.perf_counter() - t0, 1),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    png = plot(summary, out.with_suffix(".png"), f"active loop, {model}, {seeds} seeds, {k} labels/round")
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    if mlflow_uri:
        result["mlflow_run"] = log_mlflow(result, [out, png], mlflow_uri)
        out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return {"summary": summary, "setup": result["setup"], "seconds": result["seconds"]}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run-dir", type=Path, default=RUN_DIR, help="run dir whose pairs/ is the oracle")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--model", default="tfidf", help="model config name (conf/model/): tfidf, minilm, ...")
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--k", type=int, default=K, help="labels bought per round")
    parser.add_argument("--seeds", type=int, default=SEEDS)
    parser.add_argument("--strategies", nargs="+", default=list(STRATEGIES))
    parser.add_argument("--mlflow", action="store_true", default=os.environ.get("QC_BENCH_MLFLOW") == "1")
    parser.add_argument("--mlflow-uri", default="sqlite:///mlflow.db")
    parser.add_argument("overrides", nargs="*", help="config overrides, e.g. train.natural_repeat=2")
    a = parser.parse_args()
    res = main(
        a.out,
        a.run_dir,
        a.model,
        a.rounds,
        a.k,
        a.seeds,
        a.strategies,
        TEST_FRACTION,
        a.overrides,
        a.mlflow_uri if a.mlflow else None,
    )
    print(json.dumps(res["summary"], indent=2))
