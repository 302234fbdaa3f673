"""What an annotate run produced, counted the same way whatever ran it (locally or on Ray): the tally of records,
``annotate_report.json``, the stage metrics and the summary lines."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from quotecontra.readers import ReadReport
from quotecontra.records import QUOTE_TYPES, Quote

TYPES = QUOTE_TYPES


@dataclass
class Tally:
    """Articles written, their records by type and rule, cache hits and the words annotated (cached ones excluded)."""

    n_articles: int = 0
    parsed_words: int = 0
    cache_hits: int = 0
    types: Counter[str] = field(default_factory=Counter)
    rules: Counter[str] = field(default_factory=Counter)

    def add(self, quotes: list[Quote], cached: bool, words: int) -> None:
        self.n_articles += 1
        self.cache_hits += int(cached)
        self.parsed_words += words
        for q in quotes:
            self.types[q.type] += 1
            self.rules[q.rule] += 1


def error_kind(reason: str) -> str:
    """The kind of an annotate failure: its reason up to the first colon ('annotate error', 'annotate over budget')."""
    return reason.split(":", 1)[0]


def summary_line(n_articles: int, types: Counter[str], report: ReadReport, errors: list[tuple[str, str]]) -> str:
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


def stage_metrics(
    tally: Tally, report: ReadReport, errors: list[tuple[str, str]], words_per_s: float
) -> dict[str, float]:
    """The annotate stage's MLflow metrics (a backend may add its own)."""
    return {
        "articles": float(tally.n_articles),
        "skipped": float(sum(report.skipped.values()) + len(errors)),
        "quotes": float(sum(tally.types.values())),
        **{f"quotes_{t}": float(tally.types[t]) for t in TYPES},
        "cached_articles": float(tally.cache_hits),
        "words_per_s": float(words_per_s),
    }
