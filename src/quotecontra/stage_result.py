"""What a stage function hands back to the runner; a leaf module, so stage modules never import the stage graph."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class StageResult:
    """What a stage hands back: metrics for MLflow and the caller, and the lines of its summary."""

    metrics: dict[str, float] = field(default_factory=dict)
    outputs: list[Path] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)
    # How much the stage produced (articles, pairs, training steps); 0 fails unless allow_empty=true.
    count: float | None = None
