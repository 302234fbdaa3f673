"""What an import produces: per-task errors, imported annotations, quotes, articles and pairs; the id check."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from quotecontra.export.label_studio.regions import BadTask
from quotecontra.records import Quote

MAX_ID_BYTES = 255


@dataclass(frozen=True)
class TaskError:
    task: str
    message: str

    def __str__(self) -> str:
        return f"task {self.task}: {self.message}"


@dataclass
class AnnotationInfo:
    id: Any
    annotator: str
    created_at: str | None
    updated_at: str | None
    ground_truth: bool
    result: list[Any]


@dataclass
class ImportedQuote:
    quote: Quote
    required: bool
    predicted_id: str | None
    changed: bool
    updated_at: str | None


@dataclass
class ArticleImport:
    task: str
    article_id: str
    text: str
    quotes: list[ImportedQuote]
    annotations: list[AnnotationInfo]
    used: AnnotationInfo
    removed: list[str]
    agreement: dict[str, float]


@dataclass
class PairImport:
    task: str
    pair_id: str
    premise: str
    hypothesis: str
    premise_quote_id: str | None
    hypothesis_quote_id: str | None
    article_ids: list[str]
    origin: str
    target: str | None
    predicted_label: str | None
    votes: dict[str, str]
    label: str | None
    strict_majority: bool
    why: str
    updated_at: str | None


@dataclass
class ImportResult:
    articles: list[ArticleImport] = field(default_factory=list)
    pairs: list[PairImport] = field(default_factory=list)
    errors: list[TaskError] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    agreement: dict[str, Any] = field(default_factory=dict)


def check_id(value: Any, what: str, optional: bool = False) -> Any:
    """An id that may become a file name or a record key: a non-empty string, no NUL, at most 255 UTF-8 bytes."""
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value:
        raise BadTask(f"{what} must be a non-empty string, got {type(value).__name__} {value!r:.60}")
    if "\0" in value:
        raise BadTask(f"{what} {value!r:.60} contains a NUL byte")
    try:
        size = len(value.encode("utf-8"))
    except UnicodeEncodeError as exc:
        raise BadTask(f"{what} {value!r:.60} is not valid Unicode ({exc.reason})") from exc
    if size > MAX_ID_BYTES:
        raise BadTask(f"{what} is {size} bytes long (at most {MAX_ID_BYTES}): {value[:60]!r}...")
    return value
