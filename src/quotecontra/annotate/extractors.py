"""``annotate.extractor``: rules, learned or hybrid behind one streaming call, and its part of the cache key.

The annotate stage and ``evaluate-quotes`` call :func:`extractor_of` and then ``stream(...)`` with the same
arguments as the rule engine's :func:`~quotecontra.annotate.stream.annotate_articles`, so the stage code does not
know which extractor runs. The rules' cache digest is left as it was (existing caches stay valid); learned and
hybrid add the extractor's name and the tagger's digest, so retraining the tagger re-annotates.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from quotecontra.annotate.extract import AnnotateOptions
from quotecontra.records import Article, Quote

log = logging.getLogger(__name__)

EXTRACTORS = ("rules", "learned", "hybrid")


@lru_cache(maxsize=2)
def load_tagger(path: str, batch_size: int, threads: int) -> Any:
    """The tagger once per process (torch threads set first: a shared CPU must not be oversubscribed)."""
    import torch

    from quotecontra.annotate.learned import Tagger

    torch.set_num_threads(threads)
    return Tagger.load(path, batch_size=batch_size)


def model_digest(path: str) -> str:
    """Digest of a local tagger dir (its files), or the registry URI itself (a version is immutable)."""
    from quotecontra.annotate.learned import VERSION
    from quotecontra.tracking import file_digest

    local = Path(path)
    if not path.startswith("models:/") and not (local / "config.json").exists():
        raise FileNotFoundError(
            f"annotate.attribution_model={path}: no trained tagger there; run `quotecontra train-attribution` "
            "(PolNeAR in data.shared_dir) or point it to a model dir or models:/quotecontra-attribution/latest"
        )
    return f"{VERSION}:{path if path.startswith('models:/') else file_digest(local)}"


@dataclass(frozen=True)
class Extractor:
    """One configured extractor: its name, the tagger it reads and how the tagger is run."""

    name: str
    model: str = ""
    batch_size: int = 16
    batch_articles: int = 8
    threads: int = 2

    def digest(self, rules_digest: str) -> str:
        """The per-article cache key part: unchanged for rules."""
        if self.name == "rules":
            return rules_digest
        payload = json.dumps({"rules": rules_digest, "extractor": self.name, "model": model_digest(self.model)})
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    def tagger(self) -> Any:
        return load_tagger(self.model, self.batch_size, self.threads)

    def stream(
        self,
        articles: Iterable[Article],
        nlp: Any,
        options: AnnotateOptions,
        known: Callable[[Article], list[Quote] | None] | None = None,
        errors: list[tuple[str, str]] | None = None,
    ) -> Iterator[tuple[Article, list[Quote]]]:
        """(article, records) in input order; ``nlp`` a spaCy pipeline or its loader (learned never loads it)."""
        if self.name == "rules":
            from quotecontra.annotate.stream import annotate_articles

            return annotate_articles(articles, nlp, options, known=known, errors=errors)
        model_digest(self.model)  # fail before the first article when the tagger is missing
        if self.name == "learned":
            from quotecontra.annotate.learned import annotate_learned

            return annotate_learned(articles, self.tagger, known, errors, self.batch_articles)
        from quotecontra.annotate.hybrid import annotate_hybrid

        return annotate_hybrid(articles, self.tagger, nlp, options, known, errors, self.batch_articles)


def extractor_of(cfg: Any) -> Extractor:
    """The extractor that ``annotate.extractor`` names (the whole config: tagger threads come from train.*)."""
    acfg = cfg.annotate
    name = str(acfg.get("extractor", "rules"))
    if name not in EXTRACTORS:
        raise ValueError(f"annotate.extractor={name!r}: expected one of {EXTRACTORS}")
    if name != "rules" and str(acfg.get("backend", "local")) != "local":
        raise NotImplementedError(f"annotate.extractor={name} runs on the local backend only (annotate.backend=local)")
    if name == "rules":
        return Extractor("rules")
    return Extractor(
        name,
        model=str(acfg.attribution_model),
        batch_articles=int(acfg.attribution_batch_articles),
        threads=int(cfg.runtime.torch_threads),
    )
