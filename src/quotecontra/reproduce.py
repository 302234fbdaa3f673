"""``python -m quotecontra.reproduce [--write]``: rerun the baseline experiments and check their numbers.

Each ``conf/experiment/baseline_*.yaml`` runs through the real pipeline (annotate -> pairs -> train -> evaluate) on
the sample corpus in one temporary run dir: annotate and pairs run once and are reused through the stage
signatures, crossval, train and evaluate are forced per experiment, and ``evaluate-quotes`` scores the annotations
against ``data/gold`` (quote F1, speaker/cue/target accuracy), so an annotate regression fails too. Every headline
metric is compared with ``experiments/baselines/<name>.json`` within the tolerance stored beside it; a metric that
moved further exits non-zero, naming it. Set sizes (``*.n``, ``train.n_train``) are reported, not gated: an annotate
improvement changes them legitimately. ``--write`` regenerates the JSONs, running each experiment once per seed
(``--seeds``, the experiment's own seed first) and setting each tolerance from the spread actually seen across
seeds (never below a floor per model kind); the pinned values are those of the experiment's own seed.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # see cli.py: spinning torch threads stall on a busy 2-core box

ROOT = Path(__file__).resolve().parents[2]
BASELINES = ROOT / "experiments" / "baselines"
EXPERIMENTS = ROOT / "conf" / "experiment"
STAGES = ("annotate", "pairs", "crossval", "train", "evaluate", "evaluate-quotes")
# Annotation quality on data/gold (evaluate-quotes, all articles): tracked under ``quotes.``.
QUOTE_METRICS = ("quote.f1", "quote_exact.f1", "speaker.acc", "cue.acc", "target.acc")
# The metrics a baseline pins: headline scores per set, calibration, set sizes and behavioural pass rates.
TRACKED = re.compile(
    r"^(?:\w+\.(?:n|acc|macro_f1|ece|contradiction\.f1)|behavioural\.\w+\.(?:pass_rate|n)|train\.n_train"
    r"|natural_crossval\.\w+\.(?:macro_f1|contradiction_f1)|quotes\.[\w.]+)$"
)
# Smallest tolerance per model kind: sklearn fits are deterministic up to float summation order; a fine-tuned
# transformer on CPU can flip a few borderline pairs when a BLAS kernel changes.
FLOOR = {"tfidf": 0.002, "hypothesis_only": 0.002, "transformer": 0.02, "tiny_bert": 0.02}


def experiment_names(only: Sequence[str] = ()) -> list[str]:
    names = sorted(p.stem for p in EXPERIMENTS.glob("baseline_*.yaml"))
    if only:
        unknown = sorted(set(only) - set(names))
        if unknown:
            raise SystemExit(f"reproduce: unknown baseline experiments {unknown}; have {names}")
        names = [n for n in names if n in only]
    return names


def compose(name: str, run_dir: Path, extra: Sequence[str] = ()) -> Any:
    """The experiment's config exactly as ``quotecontra all experiment=NAME`` would build it, MLflow off."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    from quotecontra.cli import conf_dir
    from quotecontra.config import register_configs

    register_configs()
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=conf_dir(), version_base="1.3"):
        return hydra_compose(
            config_name="config",
            overrides=[f"experiment={name}", f"run_dir={run_dir}", "mlflow.enabled=false", *extra],
        )


def is_count(key: str) -> bool:
    """Set sizes: reported beside the metrics, never gated."""
    return key.endswith(".n") or key == "train.n_train"


def tracked_metrics(
    report: Mapping[str, Any], train_metrics: Mapping[str, float], quote_metrics: Mapping[str, float] | None = None
) -> dict[str, float]:
    from quotecontra.evaluate import flat_metrics

    flat = flat_metrics(report)
    flat["train.n_train"] = float(train_metrics.get("n_train", math.nan))
    for key in QUOTE_METRICS:
        if quote_metrics and key in quote_metrics:
            flat[f"quotes.{key}"] = float(quote_metrics[key])
    return {k: round(v, 6) for k, v in sorted(flat.items()) if TRACKED.match(k) and not math.isnan(v)}


def run_experiment(name: str, run_dir: Path, extra: Sequence[str] = ()) -> tuple[dict[str, float], dict[str, Any]]:
    """Run the four stages (annotate/pairs reused when unchanged); returns tracked metrics and the config slice."""
    from omegaconf import OmegaConf

    from quotecontra.stages import run_stage

    cfg = compose(name, run_dir, extra)
    stage_metrics: dict[str, dict[str, float]] = {}
    for stage in STAGES:
        if stage == "crossval" and not cfg.crossval.enabled:
            continue
        cfg.force = stage in {"crossval", "train", "evaluate", "evaluate-quotes"}
        stage_metrics[stage] = run_stage(stage, cfg)
    report = json.loads((run_dir / "metrics.json").read_text(encoding="utf-8"))
    config = {
        k: OmegaConf.to_container(cfg[k], resolve=True)
        for k in ("model", "train", "nli", "pairs", "crossval", "evaluate")
    }
    config["seed"] = int(cfg.seed)
    tracked = tracked_metrics(report, stage_metrics.get("train", {}), stage_metrics.get("evaluate-quotes"))
    return tracked, config


def tolerances(runs: Sequence[Mapping[str, float]], kind: str) -> dict[str, float]:
    """Per gated metric: max(floor, the spread seen across runs with different seeds); counts are not gated."""
    floor = FLOOR.get(kind, 0.02)
    out = {}
    for key in runs[0]:
        if is_count(key):
            continue
        values = [r[key] for r in runs if key in r]
        out[key] = round(max(floor, max(values) - min(values)), 4)
    return out


def split_counts(metrics: Mapping[str, float]) -> tuple[dict[str, float], dict[str, float]]:
    """(gated metrics, counts)."""
    gated = {k: v for k, v in metrics.items() if not is_count(k)}
    return gated, {k: v for k, v in metrics.items() if is_count(k)}


def count_notes(name: str, expected: Mapping[str, Any], got: Mapping[str, float]) -> list[str]:
    """Set sizes that changed since the baseline was written (reported so a reader sees why metrics moved)."""
    return [
        f"{name}: {key} {want:g} -> {got[key]:g}"
        for key, want in expected.get("counts", {}).items()
        if key in got and got[key] != want
    ]


def compare(name: str, expected: Mapping[str, Any], got: Mapping[str, float]) -> list[str]:
    """Human-readable failures: each names the experiment, the metric, both values and the tolerance."""
    failures = []
    tol = expected.get("tolerance", {})
    for key, want in expected.get("metrics", {}).items():
        if is_count(key):
            continue
        if key not in got:
            failures.append(f"{name}: metric {key} missing from this run (baseline {want})")
            continue
        t = float(tol.get(key, 0.0))
        if abs(got[key] - float(want)) > t + 1e-9:
            failures.append(
                f"{name}: {key} moved {float(want):.4f} -> {got[key]:.4f} (|diff| {abs(got[key] - float(want)):.4f} > tolerance {t})"
            )
    return failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true", help="regenerate experiments/baselines/*.json")
    parser.add_argument(
        "--seeds",
        type=int,
        default=2,
        help="with --write: runs per experiment, seeds seed, seed+1, ... (tolerances from their spread)",
    )
    parser.add_argument("--only", nargs="*", default=[], help="subset of baseline experiment names")
    parser.add_argument("--run-dir", type=Path, default=None, help="keep the run dir here instead of a temp dir")
    parser.add_argument("overrides", nargs="*", help="extra Hydra overrides (e.g. data.shared_dir=...)")
    args = parser.parse_args(argv)
    os.chdir(ROOT)  # input=data/samples and data.shared_dir=../shared are relative to the checkout
    names = experiment_names(args.only)
    if not names:
        raise SystemExit(f"reproduce: no conf/experiment/baseline_*.yaml under {EXPERIMENTS}")
    tmp = tempfile.TemporaryDirectory(prefix="qc-reproduce-") if args.run_dir is None else None
    run_dir = Path(tmp.name if tmp else args.run_dir) / "run"
    failures: list[str] = []
    t_all = time.perf_counter()
    try:
        for name in names:
            t0 = time.perf_counter()
            print(f"== reproduce {name}", flush=True)
            target = BASELINES / f"{name}.json"
            if args.write:
                got, config = run_experiment(name, run_dir, args.overrides)
                runs, seeds = [got], [int(config["seed"])]
                for i in range(1, max(1, args.seeds)):
                    seeds.append(seeds[0] + i)
                    runs.append(run_experiment(name, run_dir, [*args.overrides, f"seed={seeds[-1]}"])[0])
                kind = str(config["model"]["kind"])
                gated, counts = split_counts(runs[0])
                record = {
                    "experiment": name,
                    "metrics": gated,
                    "counts": counts,
                    "tolerance": tolerances(runs, kind),
                    "seeds": seeds,
                    "spread_across_seeds": {
                        k: round(max(r.get(k, v) for r in runs) - min(r.get(k, v) for r in runs), 6)
                        for k, v in gated.items()
                    },
                    "seconds_per_run": round((time.perf_counter() - t0) / len(runs), 1),
                    "config": config,
                    "command": f"python -m quotecontra.reproduce --write --only {name}",
                }
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
                print(f"wrote {target.relative_to(ROOT)} ({len(runs[0])} metrics)", flush=True)
                continue
            if not target.exists():
                failures.append(f"{name}: no {target.relative_to(ROOT)}; run `make baselines` to create it")
                continue
            expected = json.loads(target.read_text(encoding="utf-8"))
            got, config = run_experiment(name, run_dir, args.overrides)
            if expected.get("config") not in (None, config):
                print(f"note: {name}'s config differs from the one its baseline was written with", flush=True)
            fails = compare(name, expected, got)
            failures += fails
            for note in count_notes(name, expected, got):
                print(f"note: set size changed (not gated): {note}", flush=True)
            status = "FAIL" if fails else "ok"
            print(
                f"== {name}: {status}, {len(expected.get('metrics', {}))} metrics in {time.perf_counter() - t0:.0f}s",
                flush=True,
            )
    finally:
        if tmp is not None:
            tmp.cleanup()
    print(f"== reproduce done in {time.perf_counter() - t_all:.0f}s", flush=True)
    if failures:
        print("reproduce FAILED: metrics moved beyond their tolerance:", file=sys.stderr)
        for f in failures:
            print(f"  {f}", file=sys.stderr)
        return 1
    if not args.write:
        print(f"reproduce passed: {len(names)} baseline experiments within tolerance", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
