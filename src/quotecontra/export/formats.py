"""The dataset in the formats people use: JSONL, CSV, a Hugging Face dataset, doccano span JSONL.

Row builders are pure; the writers take an explicit output path and return what they wrote.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from itertools import pairwise
from pathlib import Path
from typing import Any

import pandas as pd

from quotecontra.export.label_studio import CONTENT, CUE, SPEAKER
from quotecontra.records import Article, Pair, Quote


def quote_rows(quotes: Iterable[Quote]) -> list[dict[str, Any]]:
    return [q.model_dump(mode="json") for q in quotes]


def pair_rows(pairs: Iterable[Pair]) -> list[dict[str, Any]]:
    return [p.model_dump(mode="json") for p in pairs]


def flat_for_csv(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """CSV cells are strings: lists and spans become their JSON text, so they load back exactly."""
    return [{k: json.dumps(v) if isinstance(v, list | dict | tuple) else v for k, v in r.items()} for r in rows]


def write_jsonl_rows(path: Path, rows: Iterable[Mapping[str, Any]]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with path.open("w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
            n += 1
    return n


def write_csv_rows(path: Path, rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(flat_for_csv(rows), columns=list(columns)).to_csv(path, index=False)
    return len(rows)


def doccano_record(article: Article, quotes: Sequence[Quote]) -> dict[str, Any]:
    """doccano's relation-extraction JSONL line: entities with character offsets, relations between them."""
    entities: list[dict[str, Any]] = []
    relations: list[dict[str, Any]] = []
    index: dict[tuple[str, int, int], int] = {}

    def entity(label: str, span: tuple[int, int]) -> int:
        key = (label, *span)
        if key not in index:
            index[key] = len(entities) + 1
            entities.append({"id": index[key], "label": label, "start_offset": span[0], "end_offset": span[1]})
        return index[key]

    for q in quotes:
        pieces = [entity(CONTENT, s) for s in q.spans]
        for a, b in pairwise(pieces):
            relations.append({"id": len(relations) + 1, "from_id": a, "to_id": b, "type": "continues"})
        for label, span, rel in ((SPEAKER, q.speaker_span, "speaker_of"), (CUE, q.cue_span, "cue_of")):
            if span is not None:
                relations.append(
                    {"id": len(relations) + 1, "from_id": entity(label, span), "to_id": pieces[0], "type": rel}
                )
    return {
        "text": article.text,
        "article_id": article.id,
        "entities": entities,
        "relations": relations,
        "quote_ids": [q.id for q in quotes],
    }


def hf_datasets(quotes: Sequence[Quote], pair_splits: Mapping[str, Sequence[Pair]]):
    """Quotes as one Dataset, pairs as a DatasetDict with explicit features so empty splits keep their schema."""
    import datasets

    span = datasets.Sequence(datasets.Value("int64"), length=2)
    qfeat = _features(
        Quote,
        {
            "spans": datasets.Sequence(span),
            "speaker_span": span,
            "cue_span": span,
            "confidence": datasets.Value("float64"),
        },
    )
    pfeat = _features(
        Pair, {"article_ids": datasets.Sequence(datasets.Value("string")), "similarity": datasets.Value("float64")}
    )
    qds = _dataset(quote_rows(quotes), qfeat)
    pdd = datasets.DatasetDict({name: _dataset(pair_rows(rows), pfeat) for name, rows in pair_splits.items()})
    return qds, pdd


def _dataset(rows: Sequence[Mapping[str, Any]], features: Any):
    """Column-wise, so an empty split still gets every column."""
    import datasets

    return datasets.Dataset.from_dict({k: [r[k] for r in rows] for k in features}, features=features)


def _features(model: type[Quote] | type[Pair], special: Mapping[str, Any]):
    """Every record field is a string column unless listed: the schema follows the record when it gains a field."""
    import datasets

    return datasets.Features({name: special.get(name, datasets.Value("string")) for name in model.model_fields})


def save_hf(ds: Any, path: Path) -> Path:
    """save_to_disk that keeps empty splits loadable (datasets writes zero shards for them, then cannot load)."""
    import datasets

    if isinstance(ds, datasets.DatasetDict):
        ds.save_to_disk(str(path), num_shards={k: 1 for k, v in ds.items() if len(v) == 0} or None)
    else:
        ds.save_to_disk(str(path), num_shards=1 if len(ds) == 0 else None)
    return path
