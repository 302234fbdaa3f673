"""Annotate throughput: words/s and articles/s of the full annotate path beside spaCy's bare ``nlp.pipe``.

Both run in the same process on the same text (the sample corpus repeated to at least ``MIN_WORDS`` words), after
a warm-up, so the ratio says what the quote rules cost on top of parsing on this machine.
"""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path
from typing import Any

from quotecontra.records import Article

MIN_WORDS = 20_000
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


def main(out: Path = OUT, min_words: int = MIN_WORDS) -> dict[str, Any]:
    import spacy

    from quotecontra.annotate.extract import annotate_articles
    from quotecontra.quote_eval import annotate_options, reader_options
    from quotecontra.readers import ReadReport, iter_articles

    cfg = load_config()
    report = ReadReport()
    base = list(iter_articles(ROOT / cfg.input, reader_options(cfg), report))
    articles = corpus(base, min_words)
    n_words = sum(len(a.text.split()) for a in articles)
    nlp = spacy.load(cfg.annotate.spacy_model)
    options = annotate_options(cfg)
    batch_size = int(cfg.annotate.batch_size)

    # warm-up: first calls pay for lazy loading in spaCy and in the rules
    list(nlp.pipe([a.text for a in base[:2]], batch_size=batch_size))
    list(annotate_articles(base[:2], nlp, options))

    t0 = time.perf_counter()
    for _ in nlp.pipe((a.text for a in articles), batch_size=batch_size):
        pass
    bare = time.perf_counter() - t0

    t0 = time.perf_counter()
    n_quotes = sum(1 for _ in annotate_articles(articles, nlp, options))
    full = time.perf_counter() - t0

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
        "nlp_pipe": _rate(len(articles), n_words, bare),
        "annotate": _rate(len(articles), n_words, full) | {"quotes": n_quotes},
        "annotate_over_pipe_time": full / bare if bare else None,
        "machine": machine(),
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
