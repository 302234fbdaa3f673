"""Quote attribution: articles -> quote records (quotes.jsonl), normalised articles (articles.jsonl), a report.

The stage is :mod:`quotecontra.annotate.stage` (its I/O; sources yield records, the Ray backend is one); the rules
in :mod:`quotecontra.annotate.extract` know no paths; :mod:`~quotecontra.annotate.cache` reuses the records of an
unchanged article (``annotate.incremental``), so re-running on an unchanged corpus never loads spaCy;
:mod:`~quotecontra.annotate.report` counts what a run produced.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from quotecontra.annotate.cache import QuoteCache, config_digest
from quotecontra.annotate.marks import span_text
from quotecontra.annotate.options import AnnotateOptions
from quotecontra.annotate.report import TYPES

if TYPE_CHECKING:
    from omegaconf import DictConfig

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

__all__ += ["TYPES"]
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


def run(cfg: DictConfig, tracker: Tracker) -> StageResult:
    """The annotate stage with the local extractor (:func:`quotecontra.annotate.stage.run`)."""
    from quotecontra.annotate.stage import run as run_stage

    return run_stage(cfg, tracker)
