"""predict.backend=ray: pair files labelled on classifier actors; a record-level comparison of two outputs."""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from omegaconf import DictConfig

    from quotecontra.stage_result import StageResult
    from quotecontra.tracking import Tracker
from quotecontra.runpaths import replacing
from quotecontra.scale.annotate import AnnotateActor, ShardWriter, annotate_ray, quote_schema, rows
from quotecontra.scale.cluster import READ_CPUS, import_ray, ray_session
from quotecontra.scale.inputs import InputFiles, expand_files, list_inputs, read_shard


# ---- predict on the actors ------------------------------------------------------------------------------------
def list_pair_files(path: str | Path) -> list[Path]:
    """predict.file: one jsonl, or a folder of jsonl shards (sorted)."""
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"predict.file={path} does not exist")
    files = sorted(f for f in p.rglob("*.jsonl") if f.is_file()) if p.is_dir() else [p]
    if not files:
        raise FileNotFoundError(f"predict.file={path} holds no .jsonl files")
    return files


def expand_pairs(batch: dict[str, Any]) -> dict[str, list]:
    """Ray map step: a pairs file -> one row per valid record (the local reader's rules and skips)."""
    from quotecontra.predict import read_pairs

    out: dict[str, list] = {"file": [], "k": [], "record": []}
    for idx, path in zip(batch["file"], batch["path"], strict=True):
        for k, rec in enumerate(read_pairs(Path(str(path)))):
            out["file"].append(int(idx))
            out["k"].append(k)
            out["record"].append(json.dumps(rec, ensure_ascii=False))
    return out


class PredictActor:
    """One Ray actor: the classifier loaded once, batches of pairs labelled as the local stage labels them."""

    def __init__(self, spec: str, cfg: dict[str, Any], threads: int, batch_size: int) -> None:
        import torch
        from omegaconf import OmegaConf

        from quotecontra.models import set_inference_precision
        from quotecontra.predict import load_model

        torch.set_num_threads(max(1, threads))
        conf = OmegaConf.create(cfg)
        self.clf = set_inference_precision(load_model(spec, conf), conf.runtime.bf16)
        self.batch_size = batch_size

    def __call__(self, batch: dict[str, Any]) -> dict[str, list]:
        from quotecontra.predict import label_pairs

        records = [json.loads(r) for r in batch["record"]]
        labelled = label_pairs(self.clf, records, self.batch_size)
        return {
            "file": list(batch["file"]),
            "k": list(batch["k"]),
            "out": [json.dumps(r, ensure_ascii=False) for r in labelled],
            "predicted": [r["predicted"] for r in labelled],
        }


def predict_ray(cfg: DictConfig, tracker: Tracker) -> StageResult:
    """``predict.backend=ray`` with ``predict.file``: label every pair on Ray actors; output as the local stage."""
    ray = import_ray()
    from omegaconf import OmegaConf
    from tqdm import tqdm

    from quotecontra.stage_result import StageResult

    pcfg = cfg.predict
    files = list_pair_files(pcfg.file)
    workers = int(cfg.ray.num_workers)
    batch_size = int(cfg.runtime.eval_batch_size)
    threads = max(1, int(cfg.runtime.torch_threads) // workers) if not cfg.ray.address else 1
    counts: Counter[str] = Counter()
    out = Path(pcfg.output)
    t0 = time.perf_counter()
    with ray_session(cfg.ray.address, workers) as how:
        items = [{"file": i, "path": os.path.abspath(f)} for i, f in enumerate(files)]
        ds = ray.data.from_items(items).map_batches(
            expand_pairs, batch_size=1, batch_format="numpy", num_cpus=READ_CPUS
        )
        ds = ds.map_batches(
            PredictActor,
            fn_constructor_kwargs={
                "spec": str(pcfg.model),
                "cfg": OmegaConf.to_container(cfg, resolve=True),
                "threads": threads,
                "batch_size": batch_size,
            },
            batch_size=batch_size,
            compute=ray.data.ActorPoolStrategy(size=workers),
            num_cpus=1,
            batch_format="numpy",
        )
        last = (-1, -1)
        with replacing(out) as tmp, tmp.open("w", encoding="utf-8") as fh:
            for batch in tqdm(ds.iter_batches(batch_size=None, batch_format="numpy"), desc="predict[ray]"):
                for row in rows(batch):
                    ordinal = (int(row["file"]), int(row["k"]))
                    if ordinal <= last:
                        raise RuntimeError("Ray returned predictions out of input order: refusing to write")
                    last = ordinal
                    fh.write(str(row["out"]) + "\n")
                    counts[str(row["predicted"])] += 1
    n = sum(counts.values())
    seconds = time.perf_counter() - t0
    summary = [f"{n} pairs labelled with {pcfg.model} on Ray ({workers} workers, {how} cluster): {dict(counts)}"]
    metrics = {"n": float(n), **{f"predicted.{k}": float(v) for k, v in counts.items()}}
    metrics["pairs_per_s"] = n / seconds if seconds > 0 else 0.0
    return StageResult(metrics=metrics, outputs=[out], summary=summary)


def same_records(a: Path, b: Path) -> list[str]:
    """Differences between two jsonl files, line by line (empty when identical): used by tests and the bench."""
    left = Path(a).read_text(encoding="utf-8").splitlines()
    right = Path(b).read_text(encoding="utf-8").splitlines()
    diffs = [
        f"line {i}: {x[:80]!r} != {y[:80]!r}" for i, (x, y) in enumerate(zip(left, right, strict=False), 1) if x != y
    ]
    if len(left) != len(right):
        diffs.append(f"{len(left)} lines != {len(right)} lines")
    return diffs


__all__: Sequence[str] = [
    "AnnotateActor",
    "InputFiles",
    "PredictActor",
    "ShardWriter",
    "annotate_ray",
    "expand_files",
    "list_inputs",
    "predict_ray",
    "quote_schema",
    "ray_session",
    "read_shard",
    "same_records",
]
