"""Annotate throughput: words/s and articles/s of the full annotate path beside spaCy's bare ``nlp.pipe``.

Both run in the same process on the same text (the sample corpus repeated to at least ``MIN_WORDS`` words) with
the same spaCy pipeline, after a warm-up, ``ROUNDS`` times in alternating order; rates use the median time. The
ratio says what the quote rules cost on top of parsing on this machine.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any

from tqdm import tqdm

from quotecontra.records import Article

MIN_WORDS = 20_000
ROUNDS = 3
ROOT = Path(__file__).resolve().parents[3]
OUT = ROOT / "experiments" / "bench" / "annotate.json"


def load_config(overrides: list[str] | None = None) -> Any:
    """The project config (conf/) composed the way the CLI does."""
    from hydra import compose, initialize_config_dir

    from quotecontra.cli import conf_dir
    from quotecontra.config import register_configs

    register_configs()
    with initialize_config_dir(config_dir=conf_dir(), version_base="1.3"):
        return compose(config_name="config", overrides=overrides or [])


def corpus(articles: list[Article], min_words: int = MIN_WORDS) -> list[Article]:
    """Repeat the articles (with distinct ids) until they hold at least ``min_words`` words."""
    if not articles:
        raise ValueError("no articles to benchmark on")
    out: list[Article] = []
    words, rep = 0, 0
    while words < min_words:
        for a in articles:
            out.append(a.model_copy(update={"id": f"{a.id}~{rep}"}))
            words += len(a.text.split())
        rep += 1
    return out


def _rate(n_articles: int, n_words: int, seconds: float) -> dict[str, float]:
    return {
        "seconds": seconds,
        "articles_per_s": n_articles / seconds if seconds else 0.0,
        "words_per_s": n_words / seconds if seconds else 0.0,
    }


def machine() -> dict[str, Any]:
    import spacy

    info: dict[str, Any] = {
        "cpu_count": os.cpu_count(),
        "cpu_affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "spacy": spacy.__version__,
    }
    try:
        import psutil

        info["memory_gb"] = round(psutil.virtual_memory().total / 2**30, 1)
    except ImportError:  # psutil is a dependency, but the figures do not need it
        pass
    return info


def main(out: Path = OUT, min_words: int = MIN_WORDS, rounds: int = ROUNDS) -> dict[str, Any]:
    from quotecontra.annotate.extract import build_nlp
    from quotecontra.annotate.stream import annotate_articles
    from quotecontra.quote_eval import annotate_options, reader_options
    from quotecontra.readers import ReadReport, iter_articles

    cfg = load_config()
    report = ReadReport()
    base = list(iter_articles(ROOT / cfg.input, reader_options(cfg), report))
    articles = corpus(base, min_words)
    n_words = sum(len(a.text.split()) for a in articles)
    options = annotate_options(cfg)
    # One pipeline for both timings, so the ratio is what the quote rules add on top of parsing.
    nlp = build_nlp(options.spacy_model)
    batch_size, n_process = options.batch_size, options.n_process

    # warm-up: first calls pay for lazy loading in spaCy and in the rules
    list(nlp.pipe([a.text for a in base[:2]], batch_size=batch_size))
    list(annotate_articles(base[:2], nlp, options))

    def time_pipe() -> float:
        t0 = time.perf_counter()
        docs = nlp.pipe((a.text for a in articles), batch_size=batch_size, n_process=n_process)
        for _ in tqdm(docs, total=len(articles), desc="nlp.pipe", unit="article", leave=False):
            pass
        return time.perf_counter() - t0

    def time_annotate() -> tuple[float, int]:
        t0 = time.perf_counter()
        n = 0
        stream = annotate_articles(articles, nlp, options)
        for _, records in tqdm(stream, total=len(articles), desc="annotate", unit="article", leave=False):
            n += len(records)
        return time.perf_counter() - t0, n

    # Alternate the order each round so drift in machine load (a shared box) hits both sides alike.
    load_before = os.getloadavg() if hasattr(os, "getloadavg") else None
    bare_runs: list[float] = []
    full_runs: list[float] = []
    n_quotes = 0
    for r in range(rounds):
        if r % 2 == 0:
            bare_runs.append(time_pipe())
            seconds, n_quotes = time_annotate()
            full_runs.append(seconds)
        else:
            seconds, n_quotes = time_annotate()
            full_runs.append(seconds)
            bare_runs.append(time_pipe())
    bare, full = statistics.median(bare_runs), statistics.median(full_runs)

    result = {
        "corpus": {
            "input": str(cfg.input),
            "distinct_articles": len(base),
            "articles": len(articles),
            "words": n_words,
            "repeats": len(articles) // max(1, len(base)),
        },
        "spacy_model": cfg.annotate.spacy_model,
        "batch_size": batch_size,
        "n_process": n_process,
        "rounds": rounds,
        "nlp_pipe": _rate(len(articles), n_words, bare) | {"runs_s": bare_runs},
        "annotate": _rate(len(articles), n_words, full) | {"runs_s": full_runs, "quotes": n_quotes},
        "annotate_over_pipe_time": full / bare if bare else None,
        "load_average_before": load_before,
        "machine": machine(),
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
