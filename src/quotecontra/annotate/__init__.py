"""The annotate stage: articles -> quote records (quotes.jsonl), normalised articles (articles.jsonl), a report.

I/O lives here; the rules in :mod:`quotecontra.annotate.extract` know no paths. Records of an article whose text
and record-relevant settings are unchanged are reused from a per-article cache (``annotate.incremental``), so
re-running on an unchanged corpus never loads spaCy.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quotecontra.annotate.cues import lexicon_digest
from quotecontra.annotate.marks import span_text
from quotecontra.annotate.options import AnnotateOptions
from quotecontra.readers import ReaderOptions, ReadReport, iter_articles
from quotecontra.records import Article, Quote
from quotecontra.runpaths import RunPaths, replacing
from quotecontra.safepath import inside

if TYPE_CHECKING:
    from omegaconf import DictConfig
    from spacy.language import Language

    from quotecontra.stage_result import StageResult
    from quotecontra.tracking import Tracker

__all__ = [
    "AnnotateOptions",
    "QuoteCache",
    "annotate_articles",
    "annotate_doc",
    "build_nlp",
    "config_digest",
    "run",
    "span_text",
]

log = logging.getLogger(__name__)
TYPES = ("direct", "mixed", "indirect")
# Loaded on first use, so that importing a spaCy-free submodule (marks, cues, limits) does not load spaCy and torch.
_LAZY = {
    "annotate_doc": "quotecontra.annotate.extract",
    "build_nlp": "quotecontra.annotate.extract",
    "annotate_articles": "quotecontra.annotate.stream",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def config_digest(options: AnnotateOptions) -> str:
    """Digest of everything that changes records: settings, extractor version, lexicon file."""
    payload = json.dumps({**options.record_settings(), "lexicon": lexicon_digest()}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


class QuoteCache:
    """Per-article records keyed by sha256(article id, text, config digest): one small jsonl file per article."""

    def __init__(self, root: Path, digest: str, enabled: bool = True) -> None:
        self.root, self.digest, self.enabled = root, digest, enabled
        self.hits = 0

    def key(self, article: Article) -> str:
        h = hashlib.sha256()
        for part in (article.id, article.text, self.digest):
            h.update(part.encode("utf-8"))
            h.update(b"\0")
        return h.hexdigest()

    def _path(self, key: str) -> Path:
        return inside(self.root, f"{key[:2]}/{key}.jsonl")  # a hex digest, checked anyway: never outside the root

    def get(self, article: Article) -> list[Quote] | None:
        if not self.enabled:
            return None
        path = self._path(self.key(article))
        if not path.exists():
            return None
        try:
            quotes = [Quote.model_validate_json(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
        except ValueError:
            log.warning("ignoring a corrupt cache entry %s", path)
            return None
        self.hits += 1
        return quotes

    def put(self, article: Article, quotes: list[Quote]) -> None:
        if not self.enabled:
            return
        with replacing(self._path(self.key(article))) as tmp:  # unique temp: parallel runs never share one
            tmp.write_text("".join(q.model_dump_json() + "\n" for q in quotes), encoding="utf-8")


def reader_options(cfg: DictConfig) -> ReaderOptions:
    d = cfg.data
    return ReaderOptions(
        format=str(d.format),
        max_bytes=int(d.max_bytes),
        min_words=int(d.min_words),
        require_english=bool(d.require_english),
        boilerplate=tuple(str(b) for b in d.boilerplate),
    )


def error_kind(reason: str) -> str:
    """The kind of an annotate failure: its reason up to the first colon ('annotate error', 'annotate over budget')."""
    return reason.split(":", 1)[0]


def _summary_line(n_articles: int, types: Counter[str], report: ReadReport, errors: list[tuple[str, str]]) -> str:
    total = sum(types.values())
    line = f"{n_articles} articles -> {total} quotes (" + ", ".join(f"{t} {types[t]}" for t in TYPES) + ")"
    skipped = sum(report.skipped.values()) + len(errors)
    if skipped:
        reasons = Counter(report.skipped) + Counter(error_kind(why) for _, why in errors)
        line += f"; skipped {skipped} (" + ", ".join(f"{why} {n}" for why, n in sorted(reasons.items())) + ")"
    return line


def report_counts(
    report: ReadReport,
    errors: list[tuple[str, str]],
    types: Counter[str],
    rules: Counter[str],
    n_articles: int,
    cache_hits: int,
) -> dict[str, Any]:
    """The counts every backend (local, Ray) writes into annotate_report.json.

    ``annotate_errors``: articles that were read but yielded no records because their parse or rules failed or ran
    past ``annotate.max_seconds_per_article`` (id and reason); they are also in ``skips``.
    """
    return {
        "articles": n_articles,
        "articles_with_errors": len(errors),
        "annotate_errors": [{"id": aid, "kind": error_kind(why), "reason": why} for aid, why in errors],
        "annotate_errors_by_kind": dict(Counter(error_kind(why) for _, why in errors)),
        "cached_articles": cache_hits,
        "skipped": sum(report.skipped.values()),
        "skipped_by_reason": dict(report.skipped),
        "skips": [{"source": s.source, "reason": s.reason} for s in report.skips]
        + [{"source": aid, "reason": why} for aid, why in errors],
        "quotes": sum(types.values()),
        "quotes_by_type": {t: types[t] for t in TYPES},
        "quotes_by_rule": dict(sorted(rules.items())),
    }


def run(cfg: DictConfig, tracker: Tracker) -> StageResult:
    """Read ``cfg.input``, annotate every article, write articles.jsonl, quotes.jsonl and the report."""
    from tqdm import tqdm

    from quotecontra.annotate.extractors import extractor_of
    from quotecontra.stage_guard import allow_empty, require_output
    from quotecontra.stage_result import StageResult

    paths = RunPaths.of(cfg.run_dir)
    options = AnnotateOptions.from_config(cfg.annotate)
    extractor = extractor_of(cfg)  # rules | learned | hybrid (quotecontra.annotate.extractors)
    if str(cfg.annotate.backend) != "local":  # ray runs through quotecontra.backends.annotate
        raise NotImplementedError(
            f"annotate.backend={cfg.annotate.backend!r}: this is the local backend (ray: quotecontra.backends)"
        )
    input_path = Path(cfg.input)
    tracker.log_input("articles", input_path, context="annotate")
    report = ReadReport()
    cache = QuoteCache(
        paths.annotate_cache, extractor.digest(config_digest(options)), enabled=bool(cfg.annotate.incremental)
    )
    errors: list[tuple[str, str]] = []
    types: Counter[str] = Counter()
    rules: Counter[str] = Counter()
    n_articles = parsed_words = 0
    parse_seconds = 0.0
    t0 = time.perf_counter()

    cached_ids: set[str] = set()  # cached articles between lookup and output: bounded by nlp.pipe's look-ahead

    def known(article: Article) -> list[Quote] | None:
        quotes = cache.get(article)
        if quotes is not None:
            cached_ids.add(article.id)
        return quotes

    load_seconds = [0.0]

    def load_nlp() -> Language:
        from quotecontra.annotate.extract import build_nlp

        start = time.perf_counter()
        nlp = build_nlp(options.spacy_model)
        load_seconds[0] += time.perf_counter() - start
        return nlp

    paths.root.mkdir(parents=True, exist_ok=True)
    failed = {aid for aid, _ in errors}
    # unique temps renamed over the outputs when the block ends; removed when it raises (require_output included)
    with replacing(paths.articles) as art_tmp, replacing(paths.quotes) as quo_tmp:
        with art_tmp.open("w", encoding="utf-8") as af, quo_tmp.open("w", encoding="utf-8") as qf:
            stream = extractor.stream(
                iter_articles(input_path, reader_options(cfg), report),
                load_nlp,
                options,
                known=known,
                errors=errors,
            )
            last = time.perf_counter()
            for article, quotes in tqdm(stream, desc="annotate", unit="article", mininterval=2.0):
                now = time.perf_counter()
                n_articles += 1
                af.write(article.model_dump_json() + "\n")
                for q in quotes:
                    qf.write(q.model_dump_json() + "\n")
                    types[q.type] += 1
                    rules[q.rule] += 1
                if article.id in cached_ids:
                    cached_ids.discard(article.id)
                else:
                    parse_seconds += now - last
                    failed.update(aid for aid, _ in errors)
                    if article.id not in failed:
                        parsed_words += len(article.text.split())  # a skipped article's words were not annotated
                        cache.put(article, quotes)
                last = time.perf_counter()
        if n_articles == 0 and not allow_empty(cfg):
            require_output(cfg, "annotate", 0, "articles", f"input={cfg.input}: {report.summary()}")
    elapsed = time.perf_counter() - t0
    parse_seconds -= load_seconds[0]  # throughput of the annotation, not of loading the model
    words_per_s = parsed_words / parse_seconds if parse_seconds > 0 else 0.0

    n_errors = len(errors)
    skipped = sum(report.skipped.values())
    summary_report = {
        "input": str(input_path),
        **report_counts(report, errors, types, rules, n_articles, cache.hits),
        "seconds": round(elapsed, 3),
        "model_load_seconds": round(load_seconds[0], 3),
        "parsed_words": parsed_words,
        "words_per_s": round(words_per_s, 1),
        "config_digest": cache.digest,
    }
    paths.annotate_report.write_text(json.dumps(summary_report, indent=2) + "\n", encoding="utf-8")
    metrics = {
        "articles": float(n_articles),
        "skipped": float(skipped + n_errors),
        "quotes": float(sum(types.values())),
        **{f"quotes_{t}": float(types[t]) for t in TYPES},
        "cached_articles": float(cache.hits),
        "words_per_s": float(words_per_s),
    }
    summary = [_summary_line(n_articles, types, report, errors)]
    if cache.hits:
        summary.append(f"{cache.hits} articles unchanged: records reused from {paths.annotate_cache}")
    if parsed_words:
        summary.append(f"parsed {parsed_words} words at {words_per_s:,.0f} words/s")
    return StageResult(
        metrics=metrics,
        outputs=[paths.quotes, paths.articles, paths.annotate_report],
        summary=summary,
        count=n_articles,
    )
