"""Typed records shared by every stage: articles, quote records and pairs.

The fields follow ``ANNOTATION_GUIDE.md`` (the contract with annotators). Records are validated when written
and when read, so a malformed line fails loudly at the edge instead of corrupting a later stage.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Literal, TypeVar, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

QuoteType = Literal["direct", "mixed", "indirect"]
QUOTE_TYPES: tuple[str, ...] = get_args(QuoteType)  # the one list of quote types (annotate, gold, Label Studio)
Label = Literal["contradiction", "entailment", "neutral"]
LABELS: tuple[Label, ...] = ("contradiction", "entailment", "neutral")
# "natural": gold pairs that may train (cross-validated by article); "heldout": gold pairs that only ever test.
Split = Literal["train", "dev", "test", "natural", "heldout"]
Span = tuple[int, int]
T = TypeVar("T", bound=BaseModel)


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


class Article(_Record):
    """One news article as read from the input, after boilerplate removal."""

    id: str = Field(description="Stable article id: the file stem for .txt input, the `id` field for jsonl.")
    title: str = Field("", description="Headline (first line of a .txt file).")
    text: str = Field(description="Full article text; quote spans index into it.")
    source: str = Field("", description="Where the article was read from (path, or path:line for jsonl).")
    meta: dict[str, str] = Field(default_factory=dict, description="Free-form provenance (url, date, publisher...).")


class Quote(_Record):
    """One attribution: a speaker says some content, signalled by a cue, about a target."""

    id: str = Field(description="Stable id derived from the article id and the content spans.")
    article_id: str
    text: str = Field(description="The content: quoted words (direct) or the reported clause (mixed/indirect).")
    type: QuoteType
    speaker: str | None = Field(description="Canonical speaker name, or null when the article gives none.")
    cue: str | None = Field(None, description="Reporting word or phrase as written (said, according to...).")
    target: str | None = Field(None, description="Main entity or topic the content is about (canonical name).")
    spans: list[Span] = Field(description="Character offsets [start, end) of the content in the article text.")
    speaker_span: Span | None = Field(None, description="Offsets of the speaker mention that the sieve used.")
    cue_span: Span | None = Field(None, description="Offsets of the cue.")
    rule: str = Field("", description="The extraction/attribution rule that produced the record.")
    confidence: float = Field(1.0, ge=0.0, le=1.0)
    annotator: str = Field("pipeline", description="'pipeline' for predictions, else the annotator id.")

    @field_validator("spans")
    @classmethod
    def _spans_ordered(cls, spans: list[Span]) -> list[Span]:
        if not spans:
            raise ValueError("a quote needs at least one span")
        prev_end = -1
        for start, end in spans:
            if not 0 <= start < end:
                raise ValueError(f"bad span [{start}, {end})")
            if start < prev_end:
                raise ValueError("spans must be sorted and must not overlap")
            prev_end = end
        return spans


class Pair(_Record):
    """Two claims to compare (premise = A, hypothesis = B) with a 3-way label, or null to annotate."""

    id: str
    premise: str
    hypothesis: str
    label: Label | None = Field(None, description="Null for natural pairs nobody has labelled yet.")
    origin: str = Field(description="How the pair was made: natural, gold, negation, antonym, number, ...")
    premise_quote_id: str | None = None
    hypothesis_quote_id: str | None = None
    article_ids: list[str] = Field(default_factory=list)
    group: str = Field("", description="Grouping key for splits: all pairs of one group stay in one split.")
    target: str | None = None
    split: Split | None = None
    edited_side: Literal["premise", "hypothesis"] | None = Field(
        None, description="Which side carries the synthetic edit (artifact control)."
    )
    similarity: float | None = Field(None, description="Semantic similarity of the two claims (natural pairs).")
    annotator: str = "pipeline"

    @model_validator(mode="after")
    def _distinct(self) -> Pair:
        if not self.premise.strip() or not self.hypothesis.strip():
            raise ValueError("premise and hypothesis must be non-empty")
        return self


def quote_id(article_id: str, spans: Iterable[Span]) -> str:
    """Stable, readable id: the same article and spans give the same id in every run."""
    return f"{article_id}:" + "+".join(f"{s}-{e}" for s, e in spans)


def write_jsonl(path: Path, records: Iterable[BaseModel]) -> int:
    """Write validated records, one JSON object a line; returns the count.

    Through a temp file unique to this process (two runs never share one), renamed over ``path`` at the end.
    """
    from quotecontra.runpaths import replacing

    n = 0
    with replacing(path) as tmp, tmp.open("w", encoding="utf-8") as fh:
        for rec in records:
            rec = type(rec).model_validate(rec.model_dump())
            fh.write(rec.model_dump_json() + "\n")
            n += 1
    return n


def read_jsonl(path: Path, model: type[T]) -> Iterator[T]:
    """Read and validate records; a bad line raises naming the file and line number."""
    with Path(path).open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                yield model.model_validate_json(line)
            except ValueError as exc:
                raise ValueError(f"{path}:{lineno}: invalid {model.__name__}: {exc}") from exc


SCHEMAS: dict[str, type[BaseModel]] = {"article": Article, "quote": Quote, "pair": Pair}


def json_schemas() -> dict[str, dict]:
    """JSON Schema of every record, generated from the code (``quotecontra schema`` writes them)."""
    return {name: model.model_json_schema() for name, model in SCHEMAS.items()}


def dump_schemas(out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, schema in json_schemas().items():
        p = out_dir / f"{name}.schema.json"
        p.write_text(json.dumps(schema, indent=2) + "\n", encoding="utf-8")
        paths.append(p)
    return paths
