"""The annotate stage: one function, :func:`run`, whatever annotates the articles.

A *source* yields each article's records in input order (:class:`Annotated`) and puts input skips and annotate
errors into the run's report; :func:`run` writes ``articles.jsonl`` and ``quotes.jsonl`` (atomically, refusing an
empty result before anything is replaced), counts them (:mod:`quotecontra.annotate.report`), and writes
``annotate_report.json``, the metrics and the summary. :class:`LocalSource` runs the configured extractor in this
process; the Ray backend (:mod:`quotecontra.scale.annotate`) is another source, chosen by
:mod:`quotecontra.backends`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from quotecontra.annotate.cache import QuoteCache, config_digest
from quotecontra.annotate.options import AnnotateOptions
from quotecontra.annotate.report import Tally, report_counts, stage_metrics, summary_line
from quotecontra.readers import ReaderOptions, ReadReport, iter_articles
from quotecontra.records import Article, Quote
from quotecontra.runpaths import RunPaths, replacing

if TYPE_CHECKING:
    from omegaconf import DictConfig
    from spacy.language import Language

    from quotecontra.stage_result import StageResult
    from quotecontra.tracking import Tracker


@dataclass
class Annotated:
    """One article as written: its normalised record, its quote records, whether they came from the cache, and the
    words annotated for them (0 when cached or when annotating it failed)."""

    article: Article
    quotes: list[Quote]
    cached: bool = False
    words: int = 0


class AnnotateSource(Protocol):
    """Where articles are annotated. ``stream`` yields in input order; ``close`` runs once the outputs are written.
    Then ``seconds`` is the annotation time (the basis of words/s) and ``details`` what the backend adds: report
    keys before the counts (``head``) and after the timing (``tail``), ``metrics``, ``summary`` lines, ``outputs``."""

    digest: str  # the per-article cache digest, written into the report as config_digest

    def stream(self, report: ReadReport, errors: list[tuple[str, str]]) -> Iterator[Annotated]: ...

    def close(self) -> None: ...

    @property
    def seconds(self) -> float: ...

    @property
    def details(self) -> dict[str, Any]: ...


def reader_options(cfg: DictConfig) -> ReaderOptions:
    d = cfg.data
    return ReaderOptions(
        format=str(d.format),
        max_bytes=int(d.max_bytes),
        min_words=int(d.min_words),
        require_english=bool(d.require_english),
        boilerplate=tuple(str(b) for b in d.boilerplate),
    )


class LocalSource:
    """The configured extractor (rules, learned or hybrid) in this process, with the per-article cache."""

    def __init__(self, cfg: DictConfig) -> None:
        from quotecontra.annotate.extractors import extractor_of

        self.cfg = cfg
        self.options = AnnotateOptions.from_config(cfg.annotate)
        self.extractor = extractor_of(cfg)  # rules | learned | hybrid (quotecontra.annotate.extractors)
        self.digest = self.extractor.digest(config_digest(self.options))  # its version and model too
        self.cache = QuoteCache(
            RunPaths.of(cfg.run_dir).annotate_cache, self.digest, enabled=bool(cfg.annotate.incremental)
        )
        self.parse_seconds = self.load_seconds = 0.0

    def _load_nlp(self) -> Language:
        from quotecontra.annotate.extract import build_nlp

        start = time.perf_counter()
        nlp = build_nlp(self.options.spacy_model)
        self.load_seconds += time.perf_counter() - start
        return nlp

    def stream(self, report: ReadReport, errors: list[tuple[str, str]]) -> Iterator[Annotated]:
        cached_ids: set[str] = set()  # cached articles between lookup and output: bounded by nlp.pipe's look-ahead

        def known(article: Article) -> list[Quote] | None:
            quotes = self.cache.get(article)
            if quotes is not None:
                cached_ids.add(article.id)
            return quotes

        articles = iter_articles(Path(self.cfg.input), reader_options(self.cfg), report)
        failed = {aid for aid, _ in errors}
        last = time.perf_counter()
        for article, quotes in self.extractor.stream(articles, self._load_nlp, self.options, known, errors):
            now = time.perf_counter()
            item = Annotated(article, quotes)
            if article.id in cached_ids:
                cached_ids.discard(article.id)
                item.cached = True
            else:
                self.parse_seconds += now - last
                failed.update(aid for aid, _ in errors)
                if article.id not in failed:
                    item.words = len(article.text.split())  # a skipped article's words were not annotated
                    self.cache.put(article, quotes)
            yield item
            last = time.perf_counter()

    def close(self) -> None:
        return None

    @property
    def seconds(self) -> float:
        return self.parse_seconds - self.load_seconds  # the annotation's throughput, not loading the model

    @property
    def details(self) -> dict[str, Any]:
        return {"tail": {"model_load_seconds": round(self.load_seconds, 3)}}


def run(cfg: DictConfig, tracker: Tracker, source: AnnotateSource | None = None) -> StageResult:
    """Annotate ``cfg.input`` with ``source`` (default: :class:`LocalSource`) and write the stage's outputs."""
    from tqdm import tqdm

    from quotecontra.stage_guard import allow_empty, require_output
    from quotecontra.stage_result import StageResult

    if source is None and str(cfg.annotate.backend) != "local":  # ray runs through quotecontra.backends.annotate
        raise NotImplementedError(f"annotate.backend={cfg.annotate.backend!r}: pass its source (quotecontra.backends)")
    paths = RunPaths.of(cfg.run_dir)
    source = source if source is not None else LocalSource(cfg)
    input_path = Path(cfg.input)
    tracker.log_input("articles", input_path, context="annotate")
    report, tally = ReadReport(), Tally()
    errors: list[tuple[str, str]] = []
    t0 = time.perf_counter()
    paths.root.mkdir(parents=True, exist_ok=True)
    # unique temps renamed over the outputs when the block ends; removed when it raises (require_output included)
    with replacing(paths.articles) as art_tmp, replacing(paths.quotes) as quo_tmp:
        with art_tmp.open("w", encoding="utf-8") as af, quo_tmp.open("w", encoding="utf-8") as qf:
            for item in tqdm(source.stream(report, errors), desc="annotate", unit="article", mininterval=2.0):
                af.write(item.article.model_dump_json() + "\n")
                for q in item.quotes:
                    qf.write(q.model_dump_json() + "\n")
                tally.add(item.quotes, item.cached, item.words)
        if tally.n_articles == 0 and not allow_empty(cfg):
            require_output(cfg, "annotate", 0, "articles", f"input={cfg.input}: {report.summary()}")
    source.close()
    elapsed = time.perf_counter() - t0
    seconds = source.seconds
    words_per_s = tally.parsed_words / seconds if tally.parsed_words and seconds > 0 else 0.0
    details = source.details
    annotate_report = {
        "input": str(input_path),
        **details.get("head", {}),
        **report_counts(report, errors, tally.types, tally.rules, tally.n_articles, tally.cache_hits),
        "seconds": round(elapsed, 3),
        **details.get("tail", {}),
        "parsed_words": tally.parsed_words,
        "words_per_s": round(words_per_s, 1),
        "config_digest": source.digest,
    }
    paths.annotate_report.write_text(json.dumps(annotate_report, indent=2) + "\n", encoding="utf-8")
    metrics = {**stage_metrics(tally, report, errors, words_per_s), **details.get("metrics", {})}
    summary = [summary_line(tally.n_articles, tally.types, report, errors), *details.get("summary", [])]
    if tally.cache_hits:
        summary.append(f"{tally.cache_hits} articles unchanged: records reused from {paths.annotate_cache}")
    if tally.parsed_words:
        summary.append(f"parsed {tally.parsed_words} words at {words_per_s:,.0f} words/s")
    return StageResult(
        metrics=metrics,
        outputs=[paths.quotes, paths.articles, paths.annotate_report, *details.get("outputs", [])],
        summary=summary,
        count=tally.n_articles,
    )
