"""Scale-out benchmark: articles/s, time and peak memory of annotate, local vs Ray, 1 vs 2 workers, 1x/4x/16x.

The corpus is the sample corpus repeated with new ids (file names) in a temp dir. Each configuration (local
backend with ``n_process`` 1 and 2, Ray backend with 1 and 2 workers) runs in its own child process, which times
the annotate stage (``run_stage``, as a user runs it, MLflow off) at each size in a fresh run dir and samples the
resident memory of its whole process tree (spaCy and Ray workers included) in a thread. The Ray cluster starts
once per configuration (its start is reported apart: a cluster outlives one run). The local configuration with
one process also times the incremental cases on the 16x run dir: an unchanged rerun (the stage is skipped), a
forced rerun (every article comes from the per-article cache) and a corpus grown by 1x (only the new articles
are parsed). Writes experiments/bench/scale.json with the ratios the issue asks for.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
OUT = ROOT / "experiments" / "bench" / "scale.json"
SIZES = (1, 4, 16)
CONFIGS = ("local:1", "local:2", "ray:1", "ray:2")


class PeakRSS:
    """Peak resident memory of this process and all its descendants, sampled in a thread."""

    def __init__(self, interval: float = 0.1) -> None:
        import psutil

        self.proc = psutil.Process()
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def sample(self) -> int:
        import psutil

        total = 0
        for p in [self.proc, *self.proc.children(recursive=True)]:
            try:
                total += p.memory_info().rss
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
        return total

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.sample())
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakRSS:
        self.peak = self.sample()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.peak = max(self.peak, self.sample())


def build_corpora(base: Path, out: Path, sizes: tuple[int, ...] = SIZES) -> dict[int, Path]:
    """``out/x{m}/``: the .txt files of ``base`` copied m times, each copy with a new id (file stem)."""
    files = sorted(base.glob("*.txt"))
    if not files:
        raise FileNotFoundError(f"{base} holds no .txt articles to benchmark on")
    folders = {}
    for m in sizes:
        folder = out / f"x{m}"
        folder.mkdir(parents=True, exist_ok=True)
        for k in range(m):
            for f in files:
                shutil.copy(f, folder / f"{f.stem}-r{k:02d}.txt")
        folders[m] = folder
    return folders


def corpus_words(folder: Path) -> int:
    return sum(len(p.read_text(encoding="utf-8").split()) for p in folder.glob("*.txt"))


def _cfg(input_dir: Path, run_dir: Path, backend: str, workers: int, *extra: str) -> Any:
    from quotecontra.benchmarks.annotate import load_config

    overrides = [
        f"input={input_dir}",
        f"run_dir={run_dir}",
        "mlflow.enabled=false",
        f"annotate.backend={backend}",
        f"annotate.n_process={workers if backend == 'local' else 1}",
        f"ray.num_workers={workers}",
        *extra,
    ]
    return load_config(overrides)


def _timed(input_dir: Path, run_dir: Path, backend: str, workers: int, *extra: str) -> dict[str, Any]:
    from quotecontra.stages import run_stage

    cfg = _cfg(input_dir, run_dir, backend, workers, *extra)
    with PeakRSS() as mem:
        t0 = time.perf_counter()
        metrics = run_stage("annotate", cfg)
        seconds = time.perf_counter() - t0
    return {"seconds": seconds, "peak_rss_mb": mem.peak / 2**20, "metrics": metrics}


def child(config: str, corpora: dict[int, Path], work: Path, extra_dir: Path | None) -> dict[str, Any]:
    """One configuration at every size (runs in its own process so memory figures do not mix)."""
    from contextlib import nullcontext

    backend, workers_s = config.split(":")
    workers = int(workers_s)
    result: dict[str, Any] = {"backend": backend, "workers": workers, "sizes": {}}
    session: Any = nullcontext()
    if backend == "ray":
        from quotecontra.scale import ray_session

        t0 = time.perf_counter()
        session = ray_session(None, workers)
        session.__enter__()
        result["cluster_start_seconds"] = time.perf_counter() - t0
    try:
        # Warm-up (untimed): the first run in a process pays for lazy imports and cold model files.
        warm = work / f"warmup-{backend}{workers}"
        shutil.rmtree(warm, ignore_errors=True)
        (warm / "in").mkdir(parents=True)
        for f in sorted(corpora[min(corpora)].glob("*.txt"))[:3]:
            shutil.copy(f, warm / "in" / f.name)
        _timed(warm / "in", warm / "run", backend, workers)
        for m, folder in sorted(corpora.items()):
            run_dir = work / f"{backend}{workers}-x{m}"
            shutil.rmtree(run_dir, ignore_errors=True)
            r = _timed(folder, run_dir, backend, workers)
            n = int(r["metrics"]["articles"])
            result["sizes"][str(m)] = {
                "articles": n,
                "seconds": round(r["seconds"], 3),
                "articles_per_s": round(n / r["seconds"], 3),
                "peak_rss_mb": round(r["peak_rss_mb"], 1),
                "quotes": int(r["metrics"]["quotes"]),
            }
            print(f"[bench scale] {config} x{m}: {n} articles in {r['seconds']:.1f}s", file=sys.stderr, flush=True)
        if config == "local:1" and extra_dir is not None:
            result["incremental"] = _incremental(corpora[max(corpora)], extra_dir, work / f"{backend}{workers}-x16")
    finally:
        if backend == "ray":
            session.__exit__(None, None, None)
    return result


def _incremental(folder: Path, extra: Path, run_dir: Path) -> dict[str, Any]:
    """Reruns on the largest corpus's run dir: unchanged (stage skipped), forced (article cache), grown by 1x."""
    unchanged = _timed(folder, run_dir, "local", 1)
    forced = _timed(folder, run_dir, "local", 1, "force=true")
    # The grown corpus is a copy (the other configurations still read ``folder``) with one more 1x inside.
    grown_dir = folder.parent / f"{folder.name}-grown"
    shutil.copytree(folder, grown_dir, dirs_exist_ok=True)
    for f in extra.glob("*.txt"):
        shutil.copy(f, grown_dir / f"{f.stem}-grown.txt")
    grown = _timed(grown_dir, run_dir, "local", 1)
    return {
        "unchanged_rerun_seconds": round(unchanged["seconds"], 3),
        "forced_rerun_seconds": round(forced["seconds"], 3),
        "forced_rerun_cached_articles": int(forced["metrics"]["cached_articles"]),
        "grown_seconds": round(grown["seconds"], 3),
        "grown_articles": int(grown["metrics"]["articles"]),
        "grown_cached_articles": int(grown["metrics"]["cached_articles"]),
    }


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 3) if b else None


def linear_fit(points: list[tuple[float, float]]) -> dict[str, float]:
    """Least-squares t = fixed + n / rate over (articles, seconds); max_deviation is relative to each point's time.

    Time "grows linearly" when the points sit on this line: a per-run fixed cost (model and actor start) plus a
    constant cost per article.
    """
    n = [p[0] for p in points]
    t = [p[1] for p in points]
    mn, mt = sum(n) / len(n), sum(t) / len(t)
    var = sum((x - mn) ** 2 for x in n)
    slope = sum((x - mn) * (y - mt) for x, y in zip(n, t, strict=True)) / var if var else 0.0
    fixed = mt - slope * mn
    dev = max(abs(y - (fixed + slope * x)) / y for x, y in zip(n, t, strict=True) if y)
    return {
        "fixed_seconds": round(fixed, 3),
        "marginal_articles_per_s": round(1 / slope, 3) if slope > 0 else 0.0,
        "max_deviation": round(dev, 3),
    }


def summarise(runs: dict[str, dict[str, Any]], words: dict[int, int]) -> dict[str, Any]:
    """The issue's figures: speed-up of 2 workers, linearity of time 1x -> 16x, memory 1x -> 16x, rerun cost."""
    lo, hi = str(min(SIZES)), str(max(SIZES))
    scale = max(SIZES) // min(SIZES)
    out: dict[str, Any] = {}
    for name, r in runs.items():
        s = r["sizes"]
        for m, row in s.items():
            row["words_per_s"] = round(words[int(m)] / row["seconds"], 1)
        out[name] = {
            "time_16x_over_16_times_1x": _ratio(s[hi]["seconds"], scale * s[lo]["seconds"]),
            "time_16x_over_4_times_4x": _ratio(s[hi]["seconds"], 4 * s["4"]["seconds"]),
            "peak_rss_16x_over_1x": _ratio(s[hi]["peak_rss_mb"], s[lo]["peak_rss_mb"]),
            "linear_fit": linear_fit([(row["articles"], row["seconds"]) for row in s.values()]),
        }
    for backend in ("local", "ray"):
        one, two = runs.get(f"{backend}:1"), runs.get(f"{backend}:2")
        if one and two:
            out[f"{backend}_speedup_2_over_1_workers_at_16x"] = _ratio(
                two["sizes"][hi]["articles_per_s"], one["sizes"][hi]["articles_per_s"]
            )
            # Steady state: the per-article rates of the linear fits, without the per-run start-up cost.
            out[f"{backend}_marginal_speedup_2_over_1_workers"] = _ratio(
                out[f"{backend}:2"]["linear_fit"]["marginal_articles_per_s"],
                out[f"{backend}:1"]["linear_fit"]["marginal_articles_per_s"],
            )
    inc = runs.get("local:1", {}).get("incremental")
    if inc:
        first = runs["local:1"]["sizes"][hi]["seconds"]
        out["unchanged_rerun_over_first_run"] = _ratio(inc["unchanged_rerun_seconds"], first)
        out["forced_rerun_over_first_run"] = _ratio(inc["forced_rerun_seconds"], first)
        out["grown_by_1x_over_first_16x_run"] = _ratio(inc["grown_seconds"], first)
    return out


def main(out: Path = OUT, configs: tuple[str, ...] = CONFIGS) -> dict[str, Any]:
    """Run every configuration in a child process and write the JSON (about 6-8 minutes on 2 busy cores)."""
    from quotecontra.benchmarks.annotate import machine

    load_before = os.getloadavg() if hasattr(os, "getloadavg") else None
    t_start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="qc-bench-scale-") as tmp:
        tmp_path = Path(tmp)
        corpora = build_corpora(ROOT / "data" / "samples", tmp_path / "corpora")
        words = {m: corpus_words(f) for m, f in corpora.items()}
        extra = build_corpora(ROOT / "data" / "samples", tmp_path / "extra", (1,))[1]
        runs: dict[str, dict[str, Any]] = {}
        for config in configs:
            result_file = tmp_path / f"{config.replace(':', '-')}.json"
            args = [
                sys.executable,
                "-m",
                "quotecontra.benchmarks.scale",
                "--child",
                config,
                "--corpora",
                json.dumps({m: str(f) for m, f in corpora.items()}),
                "--work",
                str(tmp_path / "runs"),
                "--extra",
                str(extra),
                "--result",
                str(result_file),
            ]
            subprocess.run(args, check=True, cwd=ROOT, env={**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"})
            runs[config] = json.loads(result_file.read_text())
    result = {
        "corpus": {
            "input": "data/samples repeated with new ids",
            "sizes": {
                str(m): {"articles": runs[configs[0]]["sizes"][str(m)]["articles"], "words": words[m]} for m in SIZES
            },
        },
        "runs": runs,
        "ratios": summarise(runs, words),
        "notes": (
            "seconds: the annotate stage (run_stage) from start to written outputs, spaCy/actor start included, "
            "Ray cluster start excluded (cluster_start_seconds); peak_rss_mb: summed RSS of the process tree "
            "(driver, spaCy processes, Ray daemons and workers; shared pages counted once per process). "
            "The machine's 2 cores are shared with other jobs: see load_average_before."
        ),
        "load_average_before": load_before,
        "load_average_after": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "bench_seconds": round(time.perf_counter() - t_start, 1),
        "machine": machine(),
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


def _cli(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--child", help="run one configuration (backend:workers) and write --result")
    parser.add_argument("--corpora", help="JSON {size: folder}")
    parser.add_argument("--work", help="where the run dirs go")
    parser.add_argument("--extra", help="folder of articles the incremental case grows the corpus by")
    parser.add_argument("--result", help="where the child writes its JSON")
    parser.add_argument("--configs", default=",".join(CONFIGS), help="parent: configurations to run")
    args = parser.parse_args(argv)
    if args.child:
        corpora = {int(m): Path(f) for m, f in json.loads(args.corpora).items()}
        res = child(args.child, corpora, Path(args.work), Path(args.extra) if args.extra else None)
        Path(args.result).write_text(json.dumps(res, indent=2), encoding="utf-8")
        return
    print(json.dumps(main(configs=tuple(args.configs.split(","))), indent=2))


if __name__ == "__main__":
    _cli()
