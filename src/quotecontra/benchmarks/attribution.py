"""Learned-extractor throughput: annotate words/s with ``annotate.extractor=learned`` beside spaCy's ``nlp.pipe``.

Same text for both (the sample corpus repeated to at least ``MIN_WORDS`` words), same process, the tagger's
``runtime.torch_threads`` threads, after a warm-up, ``ROUNDS`` rounds in alternating order, median times (as in
:mod:`quotecontra.benchmarks.annotate`). The issue's target is learned >= 50% of ``nlp.pipe`` words/s on the CPU.
The tagger's training time comes from its ``attribution_metrics.json``. Without a trained tagger the benchmark
writes why it was skipped instead of figures.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from pathlib import Path
from typing import Any

from quotecontra.benchmarks.annotate import ROOT, _rate, corpus, load_config, machine

MIN_WORDS = 20_000
ROUNDS = 3
OUT = ROOT / "experiments" / "bench" / "attribution.json"


def main(out: Path = OUT, min_words: int = MIN_WORDS, rounds: int = ROUNDS) -> dict[str, Any]:
    import torch

    from quotecontra.annotate.extract import build_nlp
    from quotecontra.annotate.extractors import extractor_of
    from quotecontra.quote_eval import annotate_options, reader_options
    from quotecontra.readers import ReadReport, iter_articles

    cfg = load_config(["annotate.extractor=learned"])
    model = Path(str(cfg.annotate.attribution_model))
    if not (ROOT / model / "config.json").exists() and not (model / "config.json").exists():
        result: dict[str, Any] = {"skipped": f"no trained tagger at {model}: run `quotecontra train-attribution` first"}
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        return result
    if not model.is_absolute() and not model.exists():
        cfg.annotate.attribution_model = str(ROOT / model)
    threads = int(cfg.runtime.torch_threads)
    torch.set_num_threads(threads)
    base = list(iter_articles(ROOT / cfg.input, reader_options(cfg), ReadReport()))
    articles = corpus(base, min_words)
    n_words = sum(len(a.text.split()) for a in articles)
    options = annotate_options(cfg)
    nlp = build_nlp(options.spacy_model)
    extractor = extractor_of(cfg)
    list(nlp.pipe([a.text for a in base[:2]]))  # warm-up: lazy loading on both sides
    list(extractor.stream(base[:2], nlp, options))

    def time_pipe() -> float:
        t0 = time.perf_counter()
        for _ in nlp.pipe((a.text for a in articles), batch_size=options.batch_size):
            pass
        return time.perf_counter() - t0

    def time_learned() -> tuple[float, int]:
        t0 = time.perf_counter()
        n = sum(len(records) for _, records in extractor.stream(articles, nlp, options))
        return time.perf_counter() - t0, n

    load_before = os.getloadavg() if hasattr(os, "getloadavg") else None
    pipe_runs, learned_runs, n_quotes = [], [], 0
    for r in range(rounds):
        order = (0, 1) if r % 2 == 0 else (1, 0)
        for side in order:
            if side == 0:
                pipe_runs.append(time_pipe())
            else:
                seconds, n_quotes = time_learned()
                learned_runs.append(seconds)
    pipe, learned = statistics.median(pipe_runs), statistics.median(learned_runs)
    train_file = Path(str(cfg.attribution.out_dir)) / "attribution_metrics.json"
    train_file = train_file if train_file.is_absolute() else ROOT / train_file
    trained = json.loads(train_file.read_text(encoding="utf-8")) if train_file.exists() else {}
    result = {
        "corpus": {"input": str(cfg.input), "articles": len(articles), "words": n_words},
        "tagger": str(cfg.annotate.attribution_model),
        "torch_threads": threads,
        "rounds": rounds,
        "nlp_pipe": _rate(len(articles), n_words, pipe) | {"runs_s": pipe_runs},
        "learned": _rate(len(articles), n_words, learned) | {"runs_s": learned_runs, "quotes": n_quotes},
        "learned_over_pipe_words_per_s": (pipe / learned) if learned else None,
        "target_learned_over_pipe": 0.5,
        "training": {k: trained.get(k) for k in ("train_seconds", "steps", "n_windows", "best_dev_mean_exact_f1")},
        "load_average_before": load_before,
        "machine": machine(),
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
