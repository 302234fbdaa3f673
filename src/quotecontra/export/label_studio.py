"""Label Studio round trip: pipeline output -> tasks with pre-annotations, and an annotated export -> gold.

Article tasks carry the pipeline's quote records as a prediction: one ``Content`` region per content span, one
``Speaker`` and one ``Cue`` region per mention, relations from speaker and cue to the content (and between the
pieces of a split quote), and per-region controls for the quote type, the target and the canonical speaker.
Region ids are stable (built from the quote id), so an annotation that keeps a region maps back to its record.
Pair tasks carry the pipeline's label, when it has one, as a prediction on a three-way choice.

The import reads Label Studio's JSON export. A task that does not parse (another labeling config, a missing
field, a span that does not match the article text) is reported with its id and skipped; the others import.
Everything here is pure: no paths, no network.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations, pairwise
from typing import Any

from pydantic import ValidationError

from quotecontra.export.agreement import fleiss_kappa, majority, pairwise_cohen, span_f1
from quotecontra.records import LABELS, Article, Pair, Quote, quote_id

QUOTE_TASK = "quotes"
PAIR_TASK = "pair"
CONTENT, SPEAKER, CUE = "Content", "Speaker", "Cue"
SPAN_LABELS = (CONTENT, SPEAKER, CUE)
QUOTE_TYPES = ("direct", "mixed", "indirect")
# Control tag names of the two labeling configs: an export that uses others came from another project.
QUOTE_CONTROLS = frozenset({"label", "type", "target", "speaker_name", "optional"})
PAIR_CONTROLS = frozenset({"label", "why"})

QUOTES_CONFIG = """<View>
  <Header value="$title"/>
  <Labels name="label" toName="text">
    <Label value="Content" background="#91d5ff" hotkey="c"/>
    <Label value="Speaker" background="#ff7875" hotkey="s"/>
    <Label value="Cue" background="#ffc069" hotkey="k"/>
  </Labels>
  <Relations>
    <Relation value="speaker_of"/>
    <Relation value="cue_of"/>
    <Relation value="continues"/>
  </Relations>
  <Text name="text" value="$text" granularity="symbol"/>
  <View visibleWhen="region-selected" whenTagName="label" whenLabelValue="Content">
    <Header value="Quote type (on the first piece of the quote)"/>
    <Choices name="type" toName="text" perRegion="true" choice="single-radio">
      <Choice value="direct"/>
      <Choice value="mixed"/>
      <Choice value="indirect"/>
    </Choices>
    <Header value="Target: whom or what the content is about (canonical name)"/>
    <TextArea name="target" toName="text" perRegion="true" maxSubmissions="1" editable="true" rows="1"/>
    <Choices name="optional" toName="text" perRegion="true" choice="multiple">
      <Choice value="optional" hint="A careful system may or may not report it (nominal or group source)"/>
    </Choices>
  </View>
  <View visibleWhen="region-selected" whenTagName="label" whenLabelValue="Speaker">
    <Header value="Canonical speaker name (fullest name in the article, no titles)"/>
    <TextArea name="speaker_name" toName="text" perRegion="true" maxSubmissions="1" editable="true" rows="1"/>
  </View>
</View>
"""

PAIRS_CONFIG = """<View>
  <Header value="Claim A (premise)"/>
  <Text name="premise" value="$premise"/>
  <Header value="Claim B (hypothesis)"/>
  <Text name="hypothesis" value="$hypothesis"/>
  <Header value="Can both contents be true of the same event and time?"/>
  <Choices name="label" toName="premise" choice="single-radio" required="true">
    <Choice value="contradiction" hotkey="1"/>
    <Choice value="entailment" hotkey="2"/>
    <Choice value="neutral" hotkey="3"/>
  </Choices>
  <TextArea name="why" toName="premise" placeholder="Why (optional)" maxSubmissions="1" editable="true" rows="1"/>
</View>
"""


class BadTask(ValueError):
    """A task that cannot be imported; the message says what is wrong, the caller adds which task."""


@dataclass(frozen=True)
class TaskError:
    task: str
    message: str

    def __str__(self) -> str:
        return f"task {self.task}: {self.message}"


# ---------------------------------------------------------------------------------------------- export side


def content_region_id(q: Quote, i: int) -> str:
    return f"{q.id}#c{i}"


def mention_region_id(article_id: str, kind: str, span: tuple[int, int]) -> str:
    """Speaker and cue mentions are shared by every quote that uses them, so one region per mention."""
    return f"{article_id}#{kind}:{span[0]}-{span[1]}"


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


def quote_result(article: Article, quotes: Sequence[Quote]) -> list[dict[str, Any]]:
    """The Label Studio result items (regions, per-region values, relations) of an article's quote records."""
    text = article.text
    items: list[dict[str, Any]] = []
    mentions: dict[str, dict[str, Any]] = {}
    for q in quotes:
        cids = [content_region_id(q, i) for i in range(len(q.spans))]
        for cid, span in zip(cids, q.spans, strict=True):
            items.append(_span_item(cid, CONTENT, span, text))
        first = q.spans[0]
        items.append(_region_attr(cids[0], first, "type", "choices", [q.type]))
        if q.target:
            items.append(_region_attr(cids[0], first, "target", "textarea", [q.target]))
        for a, b in pairwise(cids):
            items.append(_relation(a, b, "continues"))
        for kind, span, label, rel in (
            ("speaker", q.speaker_span, SPEAKER, "speaker_of"),
            ("cue", q.cue_span, CUE, "cue_of"),
        ):
            if span is None:
                continue
            mid = mention_region_id(article.id, kind, span)
            if mid not in mentions:
                mentions[mid] = _span_item(mid, label, span, text)
                items.append(mentions[mid])
                if kind == "speaker" and q.speaker:
                    items.append(_region_attr(mid, span, "speaker_name", "textarea", [q.speaker]))
            items.append(_relation(mid, cids[0], rel))
    return items


def article_task(article: Article, quotes: Sequence[Quote], model_version: str) -> dict[str, Any]:
    """One task per article; the predicted records ride along in ``data`` so the import can keep what nobody touched."""
    score = sum(q.confidence for q in quotes) / len(quotes) if quotes else 0.0
    return {
        "data": {
            "qc_task": QUOTE_TASK,
            "article_id": article.id,
            "title": article.title or article.id,
            "text": article.text,
            "qc_predicted": [q.model_dump(mode="json") for q in quotes],
        },
        "predictions": [
            {"model_version": model_version, "score": round(score, 4), "result": quote_result(article, quotes)}
        ],
    }


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
        predictions.append(
            {
                "model_version": model_version,
                "result": [
                    {
                        "id": "label",
                        "from_name": "label",
                        "to_name": "premise",
                        "type": "choices",
                        "value": {"choices": [pair.label]},
                    }
                ],
            }
        )
    return {"data": data, "predictions": predictions}


# ---------------------------------------------------------------------------------------------- import side


@dataclass
class AnnotationInfo:
    id: Any
    annotator: str
    created_at: str | None
    updated_at: str | None
    ground_truth: bool
    result: list[dict[str, Any]]


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


def _annotator(ann: Mapping[str, Any]) -> str:
    """The annotator's Label Studio user id (what its JSON export gives; the People page maps ids to emails)."""
    cb = ann.get("completed_by")
    if isinstance(cb, Mapping):  # an expanded user object (SDK exports)
        cb = cb.get("id") or cb.get("email")
    return "unknown" if cb is None else str(cb)


def _annotations(task: Mapping[str, Any], counts: dict[str, int]) -> list[AnnotationInfo]:
    raw = task.get("annotations")
    if raw is None:
        raise BadTask("no 'annotations' field: use Label Studio's JSON export (not JSON_MIN or CSV)")
    if not isinstance(raw, list):
        raise BadTask("'annotations' is not a list")
    out = []
    for ann in raw:
        counts["annotations_total"] += 1
        if ann.get("was_cancelled"):
            counts["annotations_cancelled"] += 1
            continue
        result = ann.get("result")
        if not isinstance(result, list):
            raise BadTask(f"annotation {ann.get('id')}: missing 'result' list")
        out.append(
            AnnotationInfo(
                id=ann.get("id"),
                annotator=_annotator(ann),
                created_at=ann.get("created_at"),
                updated_at=ann.get("updated_at") or ann.get("created_at"),
                ground_truth=bool(ann.get("ground_truth")),
                result=result,
            )
        )
    return out


def _chosen(anns: Sequence[AnnotationInfo]) -> AnnotationInfo:
    """A ground-truth annotation wins; otherwise the most recently updated one."""
    return max(anns, key=lambda a: (a.ground_truth, a.updated_at or "", str(a.id)))


def _latest_per_annotator(anns: Sequence[AnnotationInfo]) -> list[AnnotationInfo]:
    by: dict[str, AnnotationInfo] = {}
    for a in anns:
        if a.annotator not in by or (a.updated_at or "") >= (by[a.annotator].updated_at or ""):
            by[a.annotator] = a
    return [by[k] for k in sorted(by)]


def _int(value: Mapping[str, Any], key: str, where: str) -> int:
    v = value.get(key)
    if not isinstance(v, int) or isinstance(v, bool):
        raise BadTask(f"{where}: missing or non-integer '{key}'")
    return v


def _strings(value: Mapping[str, Any], key: str) -> list[str]:
    v = value.get(key)
    if isinstance(v, str):
        return [v]
    if isinstance(v, list):
        return [str(x) for x in v]
    return []


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


def quotes_from_result(
    article_id: str, text: str, result: Sequence[Mapping[str, Any]], predicted: Mapping[str, Quote], annotator: str
) -> tuple[list[tuple[Quote, bool, str | None]], set[str]]:
    """Map one annotation's regions back to quote records.

    A quote is a connected group of Content regions (pieces of a split quote are linked by a relation); its
    speaker and cue are the Speaker and Cue regions related to any of its pieces. A group whose region ids come
    from a predicted record keeps that record's rule, confidence and any value the annotation does not carry.
    Returns (quote, required, predicted id) triples and the predicted ids the annotation kept.
    """
    spans: dict[str, tuple[int, int, str]] = {}
    attrs: dict[str, dict[str, list[str]]] = defaultdict(dict)
    edges: list[tuple[str, str]] = []
    for n, item in enumerate(result):
        where = f"result item {n}"
        if not isinstance(item, Mapping):
            raise BadTask(f"{where} is not an object")
        if item.get("type") == "relation":
            a, b = item.get("from_id"), item.get("to_id")
            if not a or not b:
                raise BadTask(f"{where}: relation without from_id/to_id")
            edges.append((str(a), str(b)))
            continue
        name = item.get("from_name")
        if name not in QUOTE_CONTROLS:
            raise BadTask(
                f"{where}: control {name!r} is not in the quotecontra quotes labeling config "
                f"(expected one of {sorted(QUOTE_CONTROLS)}); was this exported from another project?"
            )
        rid, value = item.get("id"), item.get("value")
        if not rid or not isinstance(value, Mapping):
            raise BadTask(f"{where} ({name}): missing 'id' or 'value'")
        rid = str(rid)
        if name == "label":
            labels = _strings(value, "labels")
            if len(labels) != 1 or labels[0] not in SPAN_LABELS:
                raise BadTask(f"region {rid}: labels {labels} must be exactly one of {list(SPAN_LABELS)}")
            s, e = _int(value, "start", f"region {rid}"), _int(value, "end", f"region {rid}")
            if not 0 <= s < e <= len(text):
                raise BadTask(f"region {rid}: span [{s}, {e}) is outside the article text (length {len(text)})")
            said = value.get("text")
            if said is not None and said != text[s:e]:
                raise BadTask(
                    f"region {rid}: span [{s}, {e}) reads {text[s:e]!r} but the region's text is {said!r}; "
                    "the spans do not match the article text"
                )
            spans[rid] = (s, e, labels[0])
        else:
            key = "choices" if name in {"type", "optional"} else "text"
            attrs[rid][name] = [v.strip() for v in _strings(value, key) if v.strip()]
    for rid in attrs:
        if rid not in spans:
            raise BadTask(f"per-region value for region {rid!r}, which the annotation does not have")
    for a, b in edges:
        for x in (a, b):
            if x not in spans:
                raise BadTask(f"relation names region {x!r}, which the annotation does not have")

    content = sorted((r for r, v in spans.items() if v[2] == CONTENT), key=lambda r: spans[r][:2])
    cc_edges = [(a, b) for a, b in edges if spans[a][2] == CONTENT and spans[b][2] == CONTENT]
    neighbours: dict[str, set[str]] = defaultdict(set)
    for a, b in edges:
        neighbours[a].add(b)
        neighbours[b].add(a)

    out: list[tuple[Quote, bool, str | None]] = []
    kept: set[str] = set()
    for group in _group_regions(content, cc_edges):
        group.sort(key=lambda r: spans[r][:2])
        qspans = [(spans[r][0], spans[r][1]) for r in group]
        pids = [r.rsplit("#c", 1)[0] for r in group if "#c" in r and r.rsplit("#c", 1)[0] in predicted]
        pred = predicted[pids[0]] if pids else None
        if pred is not None:
            kept.add(pred.id)

        def related(label: str, group: list[str] = group) -> str | None:
            found = sorted({n for r in group for n in neighbours[r] if spans[n][2] == label}, key=lambda r: spans[r])
            return found[0] if found else None

        def attr(name: str, group: list[str] = group) -> str | None:
            for r in group:
                if attrs[r].get(name):
                    return attrs[r][name][0]
            return None

        sp, cu = related(SPEAKER), related(CUE)
        speaker_span = (spans[sp][0], spans[sp][1]) if sp else None
        cue_span = (spans[cu][0], spans[cu][1]) if cu else None
        speaker = None
        if sp:
            speaker = (attrs[sp].get("speaker_name") or [None])[0]
            if speaker is None and pred is not None and pred.speaker_span == speaker_span:
                speaker = pred.speaker
            speaker = speaker or text[speaker_span[0] : speaker_span[1]]
        qtype = attr("type") or (pred.type if pred else _infer_type(text, qspans))
        if qtype not in QUOTE_TYPES:
            raise BadTask(f"region {group[0]}: quote type {qtype!r} is not one of {list(QUOTE_TYPES)}")
        target = attr("target") or (pred.target if pred else None)
        fields = {
            "spans": qspans,
            "type": qtype,
            "speaker": speaker,
            "speaker_span": speaker_span,
            "cue": _cue(text, cue_span, pred),
            "cue_span": cue_span,
            "target": target,
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
        out.append((q, "optional" not in (attr("optional") or ""), pred.id if pred else None))
    out.sort(key=lambda t: t[0].spans)
    return out, kept


def _cue(text: str, span: tuple[int, int] | None, pred: Quote | None) -> str | None:
    """The cue as the pipeline wrote it while its span is unchanged (it may normalise case), else as in the text."""
    if span is None:
        return None
    if pred is not None and pred.cue_span == span and pred.cue:
        return pred.cue
    return text[span[0] : span[1]]


def _article_task(
    tid: str, task: Mapping[str, Any], articles: Mapping[str, str] | None, res: ImportResult
) -> ArticleImport | None:
    data = task["data"]
    article_id, text = data.get("article_id"), data.get("text")
    if not isinstance(article_id, str) or not isinstance(text, str):
        raise BadTask("quotes task without 'article_id' and 'text' in its data")
    if articles is not None and article_id in articles and articles[article_id] != text:
        raise BadTask(f"the text of article {article_id!r} differs from the run's articles.jsonl")
    try:
        predicted = {q["id"]: Quote.model_validate(q) for q in data.get("qc_predicted") or []}
    except (ValidationError, KeyError, TypeError) as exc:
        raise BadTask(f"data.qc_predicted is not a list of quote records: {exc}") from exc
    anns = _annotations(task, res.counts)
    if not anns:
        res.counts["tasks_unannotated"] += 1
        return None
    parsed: dict[str, list[tuple[Quote, bool, str | None]]] = {}
    kept: dict[str, set[str]] = {}
    for ann in anns:
        try:
            parsed[str(ann.id)], kept[str(ann.id)] = quotes_from_result(
                article_id, text, ann.result, predicted, ann.annotator
            )
        except BadTask as exc:
            raise BadTask(f"annotation {ann.id} by {ann.annotator}: {exc}") from exc
    used = _chosen(anns)
    # "changed" compares everything but who reviewed it (and the rule/confidence that follow from a change).
    quotes = [
        ImportedQuote(q, required, pid, pid is None or _with(predicted[pid], q) != q, used.updated_at)
        for q, required, pid in parsed[str(used.id)]
    ]
    agreement: dict[str, float] = {}
    per_annotator = _latest_per_annotator(anns)
    if len(per_annotator) >= 2:
        scores = [
            span_f1([q.spans for q, _, _ in parsed[str(a.id)]], [q.spans for q, _, _ in parsed[str(b.id)]])
            for a, b in combinations(per_annotator, 2)
        ]
        agreement = {
            "annotators": float(len(per_annotator)),
            "span_f1_exact": sum(s["exact"] for s in scores) / len(scores),
            "span_f1_overlap": sum(s["overlap"] for s in scores) / len(scores),
        }
    res.counts["annotations_used"] += 1
    return ArticleImport(
        task=tid,
        article_id=article_id,
        text=text,
        quotes=quotes,
        annotations=anns,
        used=used,
        removed=sorted(set(predicted) - kept[str(used.id)]),
        agreement=agreement,
    )


def _with(pred: Quote, new: Quote) -> Quote:
    """The predicted record as the new one would be if the annotator had changed nothing."""
    return pred.model_copy(update={"annotator": new.annotator, "confidence": new.confidence, "rule": new.rule})


def _pair_task(tid: str, task: Mapping[str, Any], res: ImportResult) -> PairImport | None:
    data = task["data"]
    for key in ("pair_id", "premise", "hypothesis"):
        if not isinstance(data.get(key), str):
            raise BadTask(f"pair task without {key!r} in its data")
    anns = _annotations(task, res.counts)
    if not anns:
        res.counts["tasks_unannotated"] += 1
        return None
    labelled: list[tuple[AnnotationInfo, str, str]] = []
    for ann in anns:
        label, why = None, ""
        for n, item in enumerate(ann.result):
            name = item.get("from_name") if isinstance(item, Mapping) else None
            if name not in PAIR_CONTROLS:
                raise BadTask(
                    f"annotation {ann.id}, result item {n}: control {name!r} is not in the quotecontra pair "
                    f"labeling config (expected one of {sorted(PAIR_CONTROLS)}); was this exported from another project?"
                )
            value = item.get("value")
            if not isinstance(value, Mapping):
                raise BadTask(f"annotation {ann.id}, result item {n}: missing 'value'")
            if name == "label":
                choices = _strings(value, "choices")
                if len(choices) != 1 or choices[0] not in LABELS:
                    raise BadTask(f"annotation {ann.id}: label {choices} must be exactly one of {list(LABELS)}")
                label = choices[0]
            else:
                why = " ".join(_strings(value, "text")).strip()
        if label is None:
            raise BadTask(f"annotation {ann.id} by {ann.annotator}: no label chosen")
        labelled.append((ann, label, why))
    latest = {a.annotator: a for a in _latest_per_annotator([a for a, _, _ in labelled])}
    votes = {a.annotator: lab for a, lab, _ in labelled if latest[a.annotator] is a}
    gt = [lab for a, lab, _ in labelled if a.ground_truth]
    label, strict = majority(list(votes.values()), tie_breaker=gt[-1] if gt else None)
    res.counts["annotations_used"] += len(votes)
    whys = [w for a, _, w in labelled if w and latest[a.annotator] is a]
    return PairImport(
        task=tid,
        pair_id=data["pair_id"],
        premise=data["premise"],
        hypothesis=data["hypothesis"],
        premise_quote_id=data.get("premise_quote_id"),
        hypothesis_quote_id=data.get("hypothesis_quote_id"),
        article_ids=list(data.get("article_ids") or []),
        origin=str(data.get("origin") or "natural"),
        target=data.get("target"),
        predicted_label=data.get("predicted_label"),
        votes=votes,
        label=label,
        strict_majority=strict,
        why=" | ".join(whys),
        updated_at=max((a.updated_at or "" for a, _, _ in labelled), default=None) or None,
    )


def parse_export(tasks: Any, articles: Mapping[str, str] | None = None) -> ImportResult:
    """Read a Label Studio JSON export (a list of tasks); bad tasks become errors, good ones import.

    ``articles`` (article id -> text from the run's articles.jsonl), when given, guards against importing spans
    into an article whose text has changed since the export.
    """
    if not isinstance(tasks, list):
        raise ValueError("a Label Studio JSON export is a list of tasks; this file holds something else")
    res = ImportResult()
    for n, task in enumerate(tasks):
        tid = str(task.get("id", f"#{n}")) if isinstance(task, Mapping) else f"#{n}"
        res.counts["tasks_total"] += 1
        try:
            if not isinstance(task, Mapping) or not isinstance(task.get("data"), Mapping):
                raise BadTask("no 'data' object: use Label Studio's JSON export (not JSON_MIN or CSV)")
            kind = task["data"].get("qc_task")
            if kind == QUOTE_TASK:
                res.counts["article_tasks"] += 1
                got: ArticleImport | PairImport | None = _article_task(tid, task, articles, res)
                if got is not None:
                    res.articles.append(got)
            elif kind == PAIR_TASK:
                res.counts["pair_tasks"] += 1
                got = _pair_task(tid, task, res)
                if got is not None:
                    res.pairs.append(got)
            else:
                raise BadTask(
                    f"not a quotecontra task (data keys {sorted(task['data'])}); "
                    "export the project created from quotecontra's labeling configs"
                )
            if got is not None:
                res.counts["tasks_imported"] += 1
        except BadTask as exc:
            res.errors.append(TaskError(tid, str(exc)))
            res.counts["tasks_failed"] += 1
    res.agreement = agreement_summary(res)
    return res


def agreement_summary(res: ImportResult) -> dict[str, Any]:
    """Pairs: Fleiss' kappa over multiply-labeled pairs and Cohen's kappa per annotator pair; quotes: span F1."""
    multi = [list(p.votes.values()) for p in res.pairs if len(p.votes) >= 2]
    ratings: dict[str, dict[str, str]] = defaultdict(dict)
    for p in res.pairs:
        for who, lab in p.votes.items():
            ratings[who][p.pair_id] = lab
    cohen = pairwise_cohen(ratings)
    defined = [v for v in cohen.values() if v is not None]
    arts = [a.agreement for a in res.articles if a.agreement]
    return {
        "pairs": {
            "multiply_labeled": len(multi),
            "fleiss_kappa": fleiss_kappa(multi),
            "cohen_kappa": cohen,
            "cohen_kappa_mean": sum(defined) / len(defined) if defined else None,
            "ties": sum(1 for p in res.pairs if p.label is None),
        },
        "quotes": {
            "multiply_annotated_articles": len(arts),
            "span_f1_exact": sum(a["span_f1_exact"] for a in arts) / len(arts) if arts else None,
            "span_f1_overlap": sum(a["span_f1_overlap"] for a in arts) / len(arts) if arts else None,
        },
    }


# ---------------------------------------------------------------------------------------------- to gold


def _gold_quote(iq: ImportedQuote, text: str) -> dict[str, Any]:
    q = iq.quote
    out: dict[str, Any] = {
        "id": q.id,
        "type": q.type,
        "required": iq.required,
        "text": q.text,
        "speaker": None if q.speaker is None else _aliases(q.speaker, q.speaker_span, text),
        "cue": q.cue,
        "target": [q.target] if q.target else [],
    }
    if len(q.spans) > 1:
        out["pieces"] = [text[s:e] for s, e in q.spans]
    out.update(
        {
            "spans": [list(s) for s in q.spans],
            "speaker_span": list(q.speaker_span) if q.speaker_span else None,
            "cue_span": list(q.cue_span) if q.cue_span else None,
            "annotator": q.annotator,
            "updated_at": iq.updated_at,
            "changed": iq.changed,
            "predicted_id": iq.predicted_id,
        }
    )
    return out


def _aliases(canonical: str, span: tuple[int, int] | None, text: str) -> list[str]:
    """Canonical name first, then the mention as written when it differs (the gold format lists aliases)."""
    names = [canonical]
    if span is not None:
        mention = text[span[0] : span[1]]
        if mention and mention != canonical and mention.lower() not in {"he", "she", "they", "it", "we", "i"}:
            names.append(mention)
    return names


def pair_records(res: ImportResult, id_map: Mapping[str, str]) -> list[Pair]:
    """The labeled pairs as records (annotator = the voters), for the pairs stage or a dataset."""
    out = []
    for p in res.pairs:
        if p.label is None:
            continue
        out.append(
            Pair(
                id=p.pair_id,
                premise=p.premise,
                hypothesis=p.hypothesis,
                label=p.label,  # type: ignore[arg-type]
                origin=p.origin,
                premise_quote_id=id_map.get(p.premise_quote_id or "", p.premise_quote_id),
                hypothesis_quote_id=id_map.get(p.hypothesis_quote_id or "", p.hypothesis_quote_id),
                article_ids=p.article_ids,
                target=p.target,
                annotator=",".join(sorted(p.votes)),
            )
        )
    return out


def quote_id_map(res: ImportResult) -> dict[str, str]:
    """Predicted quote id -> imported id (they differ when an annotator moved a content span)."""
    return {iq.predicted_id: iq.quote.id for a in res.articles for iq in a.quotes if iq.predicted_id}


def gold_files(res: ImportResult, split: str) -> dict[str, dict[str, Any]]:
    """One gold document per annotated article, in the data/gold format plus provenance keys.

    A pair goes under ``pairs`` of its premise's article when both its quotes are in that file; a pair across
    articles, or one whose quotes are not (or no longer) annotated, goes under ``extra_pairs`` with its texts, so
    no label is lost and the gold checker's invariant (pairs name quotes of the file) holds. Tied votes go under
    ``disputed_pairs``.
    """
    id_map = quote_id_map(res)
    docs: dict[str, dict[str, Any]] = {}
    for art in res.articles:
        text = art.text
        docs[art.article_id] = {
            "article": f"{art.article_id}.txt",
            "split": split,
            "quotes": [_gold_quote(iq, text) for iq in art.quotes],
            "pairs": [],
            "label_studio_task": art.task,
            "annotators": sorted({a.annotator for a in art.annotations}),
            "annotations": [
                {
                    "id": a.id,
                    "annotator": a.annotator,
                    "created_at": a.created_at,
                    "updated_at": a.updated_at,
                    "ground_truth": a.ground_truth,
                    "used": a is art.used,
                }
                for a in art.annotations
            ],
            "agreement": art.agreement,
            "removed_predictions": art.removed,
        }
    for p in res.pairs:
        a = id_map.get(p.premise_quote_id or "", p.premise_quote_id)
        b = id_map.get(p.hypothesis_quote_id or "", p.hypothesis_quote_id)
        home = p.article_ids[0] if p.article_ids else (a.rsplit(":", 1)[0] if a else None)
        doc = docs.get(home or "")
        if doc is None:
            continue  # no annotated article to hold it: it is still in the imported pairs file
        entry = {
            "a": a,
            "b": b,
            "label": p.label,
            "why": p.why,
            "pair_id": p.pair_id,
            "votes": p.votes,
            "majority": p.strict_majority,
            "annotators": sorted(p.votes),
            "updated_at": p.updated_at,
            "predicted_label": p.predicted_label,
            "label_studio_task": p.task,
        }
        ids = {q["id"] for q in doc["quotes"]}
        if p.label is None:
            doc.setdefault("disputed_pairs", []).append({**entry, "premise": p.premise, "hypothesis": p.hypothesis})
        elif a in ids and b in ids:
            doc["pairs"].append(entry)
        else:
            doc.setdefault("extra_pairs", []).append({**entry, "premise": p.premise, "hypothesis": p.hypothesis})
    return docs
