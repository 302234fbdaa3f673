"""Where each stage reads and writes inside ``run_dir``: the one place that knows the layout."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RunPaths:
    root: Path

    @classmethod
    def of(cls, run_dir: str | Path) -> RunPaths:
        return cls(Path(run_dir))

    @property
    def articles(self) -> Path:
        """Normalised articles (annotate writes them so later stages never re-read raw input)."""
        return self.root / "articles.jsonl"

    @property
    def quotes(self) -> Path:
        return self.root / "quotes.jsonl"

    @property
    def annotate_report(self) -> Path:
        return self.root / "annotate_report.json"

    @property
    def annotate_cache(self) -> Path:
        """Per-article content+config hashes for incremental annotate runs."""
        return self.root / ".cache" / "annotate"

    @property
    def pairs(self) -> Path:
        return self.root / "pairs"

    @property
    def pairs_hf(self) -> Path:
        """The pairs as a Hugging Face DatasetDict (splits train, dev, test, natural) saved with save_to_disk."""
        return self.pairs / "hf"

    def pairs_parquet(self, split: str) -> Path:
        return self.pairs / f"{split}.parquet"

    @property
    def pairs_card(self) -> Path:
        return self.pairs / "README.md"

    @property
    def claims(self) -> Path:
        return self.pairs / "claims.jsonl"

    @property
    def model(self) -> Path:
        return self.root / "model"

    @property
    def checkpoints(self) -> Path:
        return self.root / "checkpoints"

    @property
    def metrics(self) -> Path:
        return self.root / "metrics.json"

    @property
    def plots(self) -> Path:
        return self.root / "plots"

    @property
    def quote_metrics(self) -> Path:
        return self.root / "quote_metrics.json"

    @property
    def stages(self) -> Path:
        """Stage signatures (inputs + config digests) used to skip unchanged stages."""
        return self.root / ".stages"
