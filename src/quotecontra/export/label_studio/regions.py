"""One annotation's result items -> quote records: regions, per-region values and relations, mapped back to records.

A region maps to the predicted record it was exported for through the task's ``qc_regions`` map; tasks exported
before that map existed carry ids of the form ``<quote id>#c<n>``, which are still read. A group of content regions
whose spans equal a predicted record's spans is that record too, so an annotation whose region ids Label Studio
regenerated still keeps the record's rule and confidence.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from pydantic import ValidationError

from quotecontra.export.label_studio.tasks import CONTENT, CUE, QUOTE_CONTROLS, SPAN_LABELS, SPEAKER
from quotecontra.records import QUOTE_TYPES, Quote, quote_id

LEGACY_MARK = "#c"
REEXPORT = (
    "the task was exported by an older quotecontra whose region ids Label Studio cuts at '#'; "
    "re-export the tasks (quotecontra export) into a new project and annotate them there"
)


class BadTask(ValueError):
    """A task that cannot be imported; the message says what is wrong, the caller adds which task."""


@dataclass(frozen=True)
class Parsed:
    """One imported record: the quote, whether gold requires it, and the predicted record it came from."""

    quote: Quote
    required: bool
    predicted_id: str | None


def _int(value: Mapping[str, Any], key: str, where: str) -> int:
    v = value.get(key)
    if not isinstance(v, int) or isinstance(v, bool):
        raise BadTask(f"{where}: missing or non-integer '{key}' (got {v!r:.40})")
    return v


def strings(value: Mapping[str, Any], key: str) -> list[str]:
    v = value.get(key)
    if isinstance(v, str):
        return [v]
    if isinstance(v, list):
        return [str(x) for x in v]
    return []


def _rid(value: Any, where: str) -> str:
    """A region id as Label Studio writes it: a string (or a number from a hand-written export)."""
    if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
        raise BadTask(f"{where}: region id must be a non-empty string, got {value!r:.40}")
    return str(value)


def _group_regions(content: list[str], edges: Iterable[tuple[str, str]]) -> list[list[str]]:
    """Connected components of content regions joined by content-content relations (pieces of one quote)."""
    parent = {c: c for c in content}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        if a in parent and b in parent:
            parent[find(a)] = find(b)
    groups: dict[str, list[str]] = defaultdict(list)
    for c in content:
        groups[find(c)].append(c)
    return list(groups.values())


def _infer_type(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """For a quote an annotator added without choosing a type: direct when it opens right after a quotation mark."""
    s = spans[0][0]
    return "direct" if s > 0 and text[s - 1] in "\"“‘'" else "indirect"


def _cue(text: str, span: tuple[int, int] | None, pred: Quote | None) -> str | None:
    """The cue as the pipeline wrote it while its span is unchanged (it may normalise case), else as in the text."""
    if span is None:
        return None
    if pred is not None and pred.cue_span == span and pred.cue:
        return pred.cue
    return text[span[0] : span[1]]


def _read_items(
    result: Sequence[Any], text: str, legacy: bool
) -> tuple[dict[str, tuple[int, int, str]], dict[str, dict[str, list[str]]], list[tuple[str, str]]]:
    """Regions (id -> start, end, label), per-region values (id -> control -> values) and relations."""
    spans: dict[str, tuple[int, int, str]] = {}
    attrs: dict[str, dict[str, list[str]]] = defaultdict(dict)
    edges: list[tuple[str, str]] = []
    for n, item in enumerate(result):
        where = f"result item {n}"
        if not isinstance(item, Mapping):
            raise BadTask(f"{where} is not an object (got {item!r:.40})")
        if item.get("type") == "relation":
            edges.append((_rid(item.get("from_id"), f"{where} (relation from_id)"), _rid(item.get("to_id"), where)))
            continue
        name = item.get("from_name")
        if not isinstance(name, str) or name not in QUOTE_CONTROLS:
            raise BadTask(
                f"{where}: control {name!r:.60} is not in the quotecontra quotes labeling config "
                f"(expected one of {sorted(QUOTE_CONTROLS)}); was this exported from another project?"
            )
        rid, value = _rid(item.get("id"), f"{where} ({name})"), item.get("value")
        if not isinstance(value, Mapping):
            raise BadTask(f"{where} ({name}): missing 'value' object")
        if name == "label":
            labels = strings(value, "labels")
            if len(labels) != 1 or labels[0] not in SPAN_LABELS:
                raise BadTask(f"region {rid}: labels {labels!r:.80} must be exactly one of {list(SPAN_LABELS)}")
            s, e = _int(value, "start", f"region {rid}"), _int(value, "end", f"region {rid}")
            if not 0 <= s < e <= len(text):
                raise BadTask(f"region {rid}: span [{s}, {e}) is outside the article text (length {len(text)})")
            said = value.get("text")
            if said is not None and said != text[s:e]:
                raise BadTask(
                    f"region {rid}: span [{s}, {e}) reads {text[s:e]!r} but the region's text is {said!r:.80}; "
                    "the spans do not match the article text"
                )
            if rid in spans:
                hint = REEXPORT if legacy else "every region needs its own id"
                raise BadTask(f"region id {rid!r:.80} is used by more than one region: {hint}")
            spans[rid] = (s, e, labels[0])
        else:
            key = "choices" if name in {"type", "optional"} else "text"
            attrs[rid][name] = [v.strip() for v in strings(value, key) if v.strip()]
    for rid in attrs:
        if rid not in spans:
            raise BadTask(f"per-region value for region {rid!r:.80}, which the annotation does not have")
    for a, b in edges:
        for x in (a, b):
            if x not in spans:
                raise BadTask(f"relation names region {x!r:.80}, which the annotation does not have")
    return spans, attrs, edges


def _predicted_for(rid: str, regions: Mapping[str, Mapping[str, Any]] | None, predicted: Mapping[str, Quote]) -> str:
    """The predicted record a content region was exported for, or '' (a region the annotator drew)."""
    if regions is not None:
        entry = regions.get(rid)
        qid = entry.get("quote") if isinstance(entry, Mapping) and entry.get("label") == CONTENT else None
        return qid if isinstance(qid, str) and qid in predicted else ""
    if LEGACY_MARK in rid:
        qid = rid.rsplit(LEGACY_MARK, 1)[0]
        return qid if qid in predicted else ""
    return ""


def quotes_from_result(
    article_id: str,
    text: str,
    result: Sequence[Any],
    predicted: Mapping[str, Quote],
    annotator: str,
    regions: Mapping[str, Mapping[str, Any]] | None = None,
) -> tuple[list[Parsed], set[str]]:
    """Map one annotation's regions back to quote records.

    A quote is a connected group of Content regions (pieces of a split quote are linked by a relation); its
    speaker and cue are the Speaker and Cue regions related to any of its pieces. A group that maps to a predicted
    record (by ``regions``, the task's ``qc_regions``, or ``None`` for a legacy task; else by equal spans) keeps
    that record's rule, confidence and any value the annotation does not carry.
    Returns the records and the predicted ids the annotation kept.
    """
    spans, attrs, edges = _read_items(result, text, legacy=regions is None)
    content = sorted((r for r, v in spans.items() if v[2] == CONTENT), key=lambda r: spans[r][:2])
    cc_edges = [(a, b) for a, b in edges if spans[a][2] == CONTENT and spans[b][2] == CONTENT]
    neighbours: dict[str, set[str]] = defaultdict(set)
    for a, b in edges:
        neighbours[a].add(b)
        neighbours[b].add(a)

    groups = [sorted(g, key=lambda r: spans[r][:2]) for g in _group_regions(content, cc_edges)]
    preds: list[Quote | None] = []
    for group in groups:
        pids = [p for p in (_predicted_for(r, regions, predicted) for r in group) if p]
        preds.append(predicted[pids[0]] if pids else None)
    claimed = {p.id for p in preds if p is not None}
    for i, group in enumerate(groups):  # regions Label Studio re-numbered: the same spans are the same record
        same = predicted.get(quote_id(article_id, [spans[r][:2] for r in group]))
        if preds[i] is None and same is not None and same.id not in claimed:
            preds[i] = same
            claimed.add(same.id)

    out = [
        _record(article_id, text, group, pred, spans, attrs, neighbours, regions, annotator)
        for group, pred in zip(groups, preds, strict=True)
    ]
    out.sort(key=lambda t: t.quote.spans)
    return out, claimed


def _record(
    article_id: str,
    text: str,
    group: list[str],
    pred: Quote | None,
    spans: Mapping[str, tuple[int, int, str]],
    attrs: Mapping[str, Mapping[str, list[str]]],
    neighbours: Mapping[str, set[str]],
    regions: Mapping[str, Mapping[str, Any]] | None,
    annotator: str,
) -> Parsed:
    qspans = [(spans[r][0], spans[r][1]) for r in group]

    def related(label: str) -> str | None:
        found = sorted({n for r in group for n in neighbours[r] if spans[n][2] == label}, key=lambda r: spans[r])
        return found[0] if found else None

    def attr(name: str) -> str | None:
        for r in group:
            if attrs[r].get(name):
                return attrs[r][name][0]
        return None

    sp, cu = related(SPEAKER), related(CUE)
    speaker_span = (spans[sp][0], spans[sp][1]) if sp else None
    cue_span = (spans[cu][0], spans[cu][1]) if cu else None
    speaker = None
    if sp and speaker_span:
        typed = (cast("list[str | None] | None", attrs[sp].get("speaker_name")) or [None])[0]
        entry = regions.get(sp) if regions is not None else None
        exported = entry.get("speaker_name") if isinstance(entry, Mapping) else None
        # A shared mention shows one name; a record whose mention and name nobody changed keeps its own.
        if pred is not None and pred.speaker_span == speaker_span and (typed is None or typed == exported):
            speaker = pred.speaker
        else:
            speaker = typed
        speaker = speaker or text[speaker_span[0] : speaker_span[1]]
    qtype = attr("type") or (pred.type if pred else _infer_type(text, qspans))
    if qtype not in QUOTE_TYPES:
        raise BadTask(f"region {group[0]}: quote type {qtype!r:.40} is not one of {list(QUOTE_TYPES)}")
    fields: dict[str, Any] = {
        "spans": qspans,
        "type": qtype,
        "speaker": speaker,
        "speaker_span": speaker_span,
        "cue": _cue(text, cue_span, pred),
        "cue_span": cue_span,
        "target": attr("target") or (pred.target if pred else None),
    }
    changed = pred is None or any(getattr(pred, k) != (list(v) if k == "spans" else v) for k, v in fields.items())
    try:
        q = Quote(
            id=quote_id(article_id, qspans),
            article_id=article_id,
            text=" ".join(text[s:e] for s, e in qspans),
            rule=pred.rule if pred else "annotator",
            confidence=pred.confidence if pred is not None and not changed else 1.0,
            annotator=annotator,
            **fields,
        )
    except ValidationError as exc:
        raise BadTask(f"regions {group}: not a valid quote record: {exc.errors()[0]['msg']}") from exc
    return Parsed(q, "optional" not in (attr("optional") or ""), pred.id if pred else None)
