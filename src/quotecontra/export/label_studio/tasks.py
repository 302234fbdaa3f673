"""Export side: the labeling configs and the tasks (article tasks with the quote records as a prediction, pair tasks).

Region ids are short and plain (``c0``, ``s0``, ``k0``: [A-Za-z0-9_-] only). Label Studio cuts a region id at ``#``
and puts it into CSS class names, so ids built from quote ids (``bridge:10-40#c0``) broke every task. What a region
stands for rides in the task data instead: ``data.qc_regions`` maps each region id to its quote (content pieces) or
to the quotes and the canonical name it was exported with (speaker and cue mentions). Task data comes back
untouched in Label Studio's JSON export, so the import reads the same map.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from importlib import resources
from itertools import pairwise
from typing import Any

from quotecontra.records import Article, Pair, Quote

QUOTE_TASK = "quotes"
PAIR_TASK = "pair"
CONTENT, SPEAKER, CUE = "Content", "Speaker", "Cue"
SPAN_LABELS = (CONTENT, SPEAKER, CUE)
# Control tag names of the two labeling configs: an export that uses others came from another project.
QUOTE_CONTROLS = frozenset({"label", "type", "target", "speaker_name", "optional"})
PAIR_CONTROLS = frozenset({"label", "why"})
REGION_PREFIX = {CONTENT: "c", SPEAKER: "s", CUE: "k"}
# Object tags that render their value as HTML; the configs must show article text only through Text.
HTML_TAGS = frozenset({"HyperText", "HyperTextLabels", "Markdown", "Html"})


@cache
def labeling_config(kind: str) -> str:
    """The shipped labeling config ``quotes`` or ``pairs`` (resources/label_studio/<kind>_config.xml)."""
    if kind not in {"quotes", "pairs"}:
        raise ValueError(f"no labeling config {kind!r}: choose quotes or pairs")
    path = resources.files("quotecontra").joinpath(f"resources/label_studio/{kind}_config.xml")
    return path.read_text(encoding="utf-8")


QUOTES_CONFIG = labeling_config("quotes")
PAIRS_CONFIG = labeling_config("pairs")


def _span_item(rid: str, label: str, span: tuple[int, int], text: str) -> dict[str, Any]:
    s, e = span
    return {
        "id": rid,
        "from_name": "label",
        "to_name": "text",
        "type": "labels",
        "value": {"start": s, "end": e, "text": text[s:e], "labels": [label]},
    }


def _region_attr(rid: str, span: tuple[int, int], name: str, kind: str, payload: list[str]) -> dict[str, Any]:
    key = "choices" if kind == "choices" else "text"
    return {
        "id": rid,
        "from_name": name,
        "to_name": "text",
        "type": kind,
        "value": {"start": span[0], "end": span[1], key: payload},
    }


def _relation(a: str, b: str, label: str) -> dict[str, Any]:
    return {"type": "relation", "from_id": a, "to_id": b, "direction": "right", "labels": [label]}


def quote_regions(article: Article, quotes: Sequence[Quote]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The Label Studio result items of an article's records, and the region map that goes into ``qc_regions``.

    Content pieces are numbered in text order (c0, c1, ...). A speaker or cue mention is one region however many
    quotes use it (s0, k0, ...); a speaker mention carries the canonical name of the first record that has one, and
    the map keeps that name so the import can tell an untouched name from one the annotator typed.
    """
    text = article.text
    items: list[dict[str, Any]] = []
    regions: dict[str, dict[str, Any]] = {}
    mention_ids: dict[tuple[str, tuple[int, ...]], str] = {}
    span: tuple[int, int] | None
    n_content = 0
    for q in sorted(quotes, key=lambda q: (q.spans, q.id)):
        cids = [f"c{n_content + i}" for i in range(len(q.spans))]
        n_content += len(cids)
        for i, (cid, span) in enumerate(zip(cids, q.spans, strict=True)):
            items.append(_span_item(cid, CONTENT, span, text))
            regions[cid] = {"label": CONTENT, "quote": q.id, "piece": i}
        first = q.spans[0]
        items.append(_region_attr(cids[0], first, "type", "choices", [q.type]))
        if q.target:
            items.append(_region_attr(cids[0], first, "target", "textarea", [q.target]))
        for a, b in pairwise(cids):
            items.append(_relation(a, b, "continues"))
        for label, span, rel in ((SPEAKER, q.speaker_span, "speaker_of"), (CUE, q.cue_span, "cue_of")):
            if span is None:
                continue
            key = (label, tuple(span))
            mid = mention_ids.get(key)
            if mid is None:
                mid = f"{REGION_PREFIX[label]}{sum(k[0] == label for k in mention_ids)}"
                mention_ids[key] = mid
                items.append(_span_item(mid, label, span, text))
                regions[mid] = {"label": label, "quotes": []}
            entry = regions[mid]
            entry["quotes"].append(q.id)
            if label == SPEAKER and q.speaker and "speaker_name" not in entry:
                entry["speaker_name"] = q.speaker
                items.append(_region_attr(mid, span, "speaker_name", "textarea", [q.speaker]))
            items.append(_relation(mid, cids[0], rel))
    return items, regions


def quote_result(article: Article, quotes: Sequence[Quote]) -> list[dict[str, Any]]:
    """The Label Studio result items (regions, per-region values, relations) of an article's quote records."""
    return quote_regions(article, quotes)[0]


def article_task(article: Article, quotes: Sequence[Quote], model_version: str) -> dict[str, Any]:
    """One task per article; the predicted records ride along in ``data`` so the import can keep what nobody touched."""
    score = sum(q.confidence for q in quotes) / len(quotes) if quotes else 0.0
    result, regions = quote_regions(article, quotes)
    return {
        "data": {
            "qc_task": QUOTE_TASK,
            "article_id": article.id,
            "title": article.title or article.id,
            "text": article.text,
            "qc_predicted": [q.model_dump(mode="json") for q in quotes],
            "qc_regions": regions,
        },
        "predictions": [{"model_version": model_version, "score": round(score, 4), "result": result}],
    }


def regions_of(task: dict[str, Any], quote: str) -> list[str]:
    """The content region ids of one quote in an exported article task, piece by piece (for tests and tools)."""
    found = [(v["piece"], rid) for rid, v in task["data"]["qc_regions"].items() if v.get("quote") == quote]
    return [rid for _, rid in sorted(found)]


def pair_task(pair: Pair, model_version: str) -> dict[str, Any]:
    """One task per pair; a label the pipeline already has (synthetic edits) is the pre-annotation."""
    data = {
        "qc_task": PAIR_TASK,
        "pair_id": pair.id,
        "premise": pair.premise,
        "hypothesis": pair.hypothesis,
        "premise_quote_id": pair.premise_quote_id,
        "hypothesis_quote_id": pair.hypothesis_quote_id,
        "article_ids": list(pair.article_ids),
        "origin": pair.origin,
        "target": pair.target,
        "predicted_label": pair.label,
    }
    predictions = []
    if pair.label is not None:
        choice = {"id": "label", "from_name": "label", "to_name": "premise", "type": "choices"}
        predictions.append({"model_version": model_version, "result": [{**choice, "value": {"choices": [pair.label]}}]})
    return {"data": data, "predictions": predictions}
