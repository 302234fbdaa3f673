"""The per-article record cache of ``annotate.incremental``: an unchanged article (same id, text and record settings)
gets its records back without a parse."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

from quotecontra.annotate.cues import lexicon_digest
from quotecontra.annotate.options import AnnotateOptions
from quotecontra.records import Article, Quote
from quotecontra.runpaths import replacing
from quotecontra.safepath import inside

log = logging.getLogger(__name__)


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
