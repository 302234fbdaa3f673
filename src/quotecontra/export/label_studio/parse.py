"""Import side: Label Studio's JSON export -> imported articles and pairs, one task at a time.

An export is untrusted input (it may be hand-edited or crafted): every field is checked for its type and range,
and a task that does not parse (another labeling config, a missing field, a span off the article text, an id that
no file can carry) is reported with its id and skipped while the others import. Two tasks for one article or one
pair are reported, and the better-annotated one is kept, so an empty duplicate never replaces real work.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from itertools import combinations
from typing import Any

from pydantic import ValidationError

from quotecontra.export.agreement import majority, span_f1
from quotecontra.export.label_studio.gold import agreement_summary
from quotecontra.export.label_studio.model import (
    AnnotationInfo,
    ArticleImport,
    ImportedQuote,
    ImportResult,
    PairImport,
    TaskError,
    check_id,
)
from quotecontra.export.label_studio.regions import BadTask, Parsed, quotes_from_result, strings
from quotecontra.export.label_studio.tasks import CONTENT, PAIR_CONTROLS, PAIR_TASK, QUOTE_TASK
from quotecontra.records import LABELS, Pair, Quote


def _flag(ann: Mapping[str, Any], key: str) -> bool:
    """A Label Studio boolean; the string "false" is false (bool("false") would say true)."""
    v = ann.get(key)
    if v is None or isinstance(v, bool):
        return bool(v)
    if isinstance(v, int) and v in (0, 1):
        return bool(v)
    if isinstance(v, str) and v.strip().lower() in {"true", "false", "1", "0", ""}:
        return v.strip().lower() in {"true", "1"}
    raise BadTask(f"annotation {ann.get('id')!r:.40}: '{key}' must be true or false, got {v!r:.40}")


def _time(ann: Mapping[str, Any], key: str) -> str | None:
    v = ann.get(key)
    if v is not None and not isinstance(v, str):
        raise BadTask(f"annotation {ann.get('id')!r:.40}: '{key}' must be a timestamp string, got {v!r:.40}")
    return v or None


def _annotator(ann: Mapping[str, Any]) -> str:
    """The annotator's Label Studio user id (what its JSON export gives; the People page maps ids to emails)."""
    cb = ann.get("completed_by")
    if isinstance(cb, Mapping):  # an expanded user object (SDK exports)
        cb = cb.get("id") or cb.get("email")
    return "unknown" if cb is None else str(cb)[:200]


def _annotations(task: Mapping[str, Any], counts: Counter[str]) -> list[AnnotationInfo]:
    raw = task.get("annotations")
    if raw is None:
        raise BadTask("no 'annotations' list: use Label Studio's JSON export (not JSON_MIN or CSV)")
    if not isinstance(raw, list):
        raise BadTask(f"'annotations' is not a list (got {type(raw).__name__})")
    out = []
    for i, ann in enumerate(raw):
        counts["annotations_total"] += 1
        if not isinstance(ann, Mapping):
            raise BadTask(f"annotation #{i} is not an object (got {ann!r:.40})")
        if _flag(ann, "was_cancelled"):
            counts["annotations_cancelled"] += 1
            continue
        result = ann.get("result")
        if not isinstance(result, list):
            raise BadTask(f"annotation {ann.get('id')!r:.40}: missing 'result' list")
        out.append(
            AnnotationInfo(
                id=ann.get("id") if isinstance(ann.get("id"), int | str) else f"#{i}",
                annotator=_annotator(ann),
                created_at=_time(ann, "created_at"),
                updated_at=_time(ann, "updated_at") or _time(ann, "created_at"),
                ground_truth=_flag(ann, "ground_truth"),
                result=result,
            )
        )
    return out


def _rank(a: AnnotationInfo) -> tuple[bool, str, str]:
    return a.ground_truth, a.updated_at or "", str(a.id)


def _chosen(anns: Sequence[AnnotationInfo]) -> AnnotationInfo:
    """A ground-truth annotation wins; otherwise the most recently updated one."""
    return max(anns, key=_rank)


def _latest_per_annotator(anns: Sequence[AnnotationInfo]) -> list[AnnotationInfo]:
    by: dict[str, AnnotationInfo] = {}
    for a in anns:
        if a.annotator not in by or (a.updated_at or "") >= (by[a.annotator].updated_at or ""):
            by[a.annotator] = a
    return [by[k] for k in sorted(by)]


def _predicted(data: Mapping[str, Any], article_id: str, text: str) -> dict[str, Quote]:
    raw = data.get("qc_predicted") or []
    if not isinstance(raw, list):
        raise BadTask(f"data.qc_predicted is not a list of quote records (got {type(raw).__name__})")
    out: dict[str, Quote] = {}
    for i, rec in enumerate(raw):
        try:
            q = Quote.model_validate(rec)
        except ValidationError as exc:
            raise BadTask(f"data.qc_predicted[{i}] is not a quote record: {exc.errors()[0]['msg']}") from exc
        check_id(q.id, f"data.qc_predicted[{i}].id")
        if q.article_id != article_id or q.spans[-1][1] > len(text) or q.id in out:
            raise BadTask(f"data.qc_predicted[{i}] ({q.id!r:.60}) is not a record of this article's text")
        out[q.id] = q
    return out


def _regions(data: Mapping[str, Any], predicted: Mapping[str, Quote]) -> dict[str, Mapping[str, Any]] | None:
    """The task's region map (None for a task exported before there was one: legacy ``<quote id>#c<n>`` ids)."""
    raw = data.get("qc_regions")
    if raw is None:
        return None
    if not isinstance(raw, Mapping) or not all(isinstance(v, Mapping) for v in raw.values()):
        raise BadTask("data.qc_regions must map region ids to objects")
    for rid, entry in raw.items():
        quote = entry.get("quote")
        if entry.get("label") == CONTENT and (not isinstance(quote, str) or quote not in predicted):
            raise BadTask(f"data.qc_regions[{rid!r:.40}] names quote {quote!r:.60}, not in qc_predicted")
    return dict(raw)


def _article_task(
    tid: str, task: Mapping[str, Any], articles: Mapping[str, str] | None, counts: Counter[str]
) -> ArticleImport | None:
    data = task["data"]
    article_id = check_id(data.get("article_id"), "data.article_id")
    text = data.get("text")
    if not isinstance(text, str):
        raise BadTask(f"quotes task without a 'text' string in its data (got {type(text).__name__})")
    if articles is not None and article_id in articles and articles[article_id] != text:
        raise BadTask(f"the text of article {article_id!r} differs from the run's articles.jsonl")
    predicted = _predicted(data, article_id, text)
    regions = _regions(data, predicted)
    anns = _annotations(task, counts)
    if not anns:
        counts["tasks_unannotated"] += 1
        return None
    parsed: dict[int, list[Parsed]] = {}  # keyed by the object: crafted exports may repeat annotation ids
    kept: dict[int, set[str]] = {}
    for ann in anns:
        try:
            parsed[id(ann)], kept[id(ann)] = quotes_from_result(
                article_id, text, ann.result, predicted, ann.annotator, regions
            )
        except BadTask as exc:
            raise BadTask(f"annotation {ann.id} by {ann.annotator}: {exc}") from exc
    used = _chosen(anns)
    # "changed" compares everything but who reviewed it (and the rule/confidence that follow from a change).
    quotes = [
        ImportedQuote(p.quote, p.required, p.predicted_id, _changed(p, predicted), used.updated_at)
        for p in parsed[id(used)]
    ]
    agreement: dict[str, float] = {}
    per_annotator = _latest_per_annotator(anns)
    if len(per_annotator) >= 2:
        scores = [
            span_f1([p.quote.spans for p in parsed[id(a)]], [p.quote.spans for p in parsed[id(b)]])
            for a, b in combinations(per_annotator, 2)
        ]
        agreement = {
            "annotators": float(len(per_annotator)),
            "span_f1_exact": sum(s["exact"] for s in scores) / len(scores),
            "span_f1_overlap": sum(s["overlap"] for s in scores) / len(scores),
        }
    counts["annotations_used"] += 1
    return ArticleImport(
        task=tid,
        article_id=article_id,
        text=text,
        quotes=quotes,
        annotations=anns,
        used=used,
        removed=sorted(set(predicted) - kept[id(used)]),
        agreement=agreement,
    )


def _changed(p: Parsed, predicted: Mapping[str, Quote]) -> bool:
    if p.predicted_id is None:
        return True
    new = p.quote
    same = predicted[p.predicted_id].model_copy(
        update={"annotator": new.annotator, "confidence": new.confidence, "rule": new.rule}
    )
    return same != new


def _pair_data(data: Mapping[str, Any]) -> Pair:
    """The pair task's data as a record (label still unknown): every field checked before any vote is read."""
    for key in ("premise", "hypothesis"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise BadTask(f"pair task without a non-empty {key!r} string in its data")
    ids = data.get("article_ids")
    if ids is None:
        ids = []
    if not isinstance(ids, list):
        raise BadTask(f"data.article_ids must be a list of article ids, got {type(ids).__name__} {ids!r:.40}")
    for key in ("origin", "target", "predicted_label"):
        if data.get(key) is not None and not isinstance(data.get(key), str):
            raise BadTask(f"data.{key} must be a string or null, got {data.get(key)!r:.40}")
    if data.get("predicted_label") not in (None, *LABELS):
        raise BadTask(f"data.predicted_label {data['predicted_label']!r:.40} is not one of {list(LABELS)}")
    try:
        return Pair(
            id=check_id(data.get("pair_id"), "data.pair_id"),
            premise=data["premise"],
            hypothesis=data["hypothesis"],
            origin=data.get("origin") or "natural",
            premise_quote_id=check_id(data.get("premise_quote_id"), "data.premise_quote_id", optional=True),
            hypothesis_quote_id=check_id(data.get("hypothesis_quote_id"), "data.hypothesis_quote_id", optional=True),
            article_ids=[check_id(a, f"data.article_ids[{i}]") for i, a in enumerate(ids)],
            target=data.get("target"),
        )
    except ValidationError as exc:
        raise BadTask(f"pair data is not a valid pair: {exc.errors()[0]['msg']}") from exc


def _vote(ann: AnnotationInfo) -> tuple[str, str]:
    label, why = None, ""
    for n, item in enumerate(ann.result):
        where = f"annotation {ann.id}, result item {n}"
        if not isinstance(item, Mapping):
            raise BadTask(f"{where} is not an object (got {item!r:.40})")
        name = item.get("from_name")
        if not isinstance(name, str) or name not in PAIR_CONTROLS:
            raise BadTask(
                f"{where}: control {name!r:.60} is not in the quotecontra pair labeling config "
                f"(expected one of {sorted(PAIR_CONTROLS)}); was this exported from another project?"
            )
        value = item.get("value")
        if not isinstance(value, Mapping):
            raise BadTask(f"{where}: missing 'value' object")
        if name == "label":
            choices = strings(value, "choices")
            if len(choices) != 1 or choices[0] not in LABELS:
                raise BadTask(f"annotation {ann.id}: label {choices!r:.80} must be exactly one of {list(LABELS)}")
            label = choices[0]
        else:
            why = " ".join(strings(value, "text")).strip()
    if label is None:
        raise BadTask(f"annotation {ann.id} by {ann.annotator}: no label chosen")
    return label, why


def _pair_task(tid: str, task: Mapping[str, Any], counts: Counter[str]) -> PairImport | None:
    data = task["data"]
    pair = _pair_data(data)
    anns = _annotations(task, counts)
    if not anns:
        counts["tasks_unannotated"] += 1
        return None
    labelled = [(ann, *_vote(ann)) for ann in anns]
    latest = {a.annotator: a for a in _latest_per_annotator([a for a, _, _ in labelled])}
    votes = {a.annotator: lab for a, lab, _ in labelled if latest[a.annotator] is a}
    gt = [lab for a, lab, _ in labelled if a.ground_truth]
    label, strict = majority(list(votes.values()), tie_breaker=gt[-1] if gt else None)
    counts["annotations_used"] += len(votes)
    whys = [w for a, _, w in labelled if w and latest[a.annotator] is a]
    return PairImport(
        task=tid,
        pair_id=pair.id,
        premise=pair.premise,
        hypothesis=pair.hypothesis,
        premise_quote_id=pair.premise_quote_id,
        hypothesis_quote_id=pair.hypothesis_quote_id,
        article_ids=list(pair.article_ids),
        origin=pair.origin,
        target=pair.target,
        predicted_label=data.get("predicted_label"),
        votes=votes,
        label=label,
        strict_majority=strict,
        why=" | ".join(whys),
        updated_at=max((a.updated_at or "" for a, _, _ in labelled), default=None) or None,
    )


def _task_id(task: Any, n: int) -> str:
    """The task's Label Studio id for messages, or its position when it has none that can be printed."""
    tid = task.get("id") if isinstance(task, Mapping) else None
    if isinstance(tid, int) and not isinstance(tid, bool):
        return str(tid)
    if isinstance(tid, str) and tid and "\0" not in tid and len(tid) <= 100:
        return tid
    return f"#{n}" if tid is None else f"#{n} (id {tid!r:.40})"


def _one_task(
    tid: str, task: Any, articles: Mapping[str, str] | None, counts: Counter[str]
) -> ArticleImport | PairImport | None:
    if not isinstance(task, Mapping) or not isinstance(task.get("data"), Mapping):
        raise BadTask("no 'data' object: use Label Studio's JSON export (not JSON_MIN or CSV)")
    tid_raw = task.get("id")
    if tid_raw is not None and (isinstance(tid_raw, bool) or not isinstance(tid_raw, int | str)):
        raise BadTask(f"task id must be a number or a string, got {type(tid_raw).__name__}")
    kind = task["data"].get("qc_task")
    if kind == QUOTE_TASK:
        counts["article_tasks"] += 1
        return _article_task(tid, task, articles, counts)
    if kind == PAIR_TASK:
        counts["pair_tasks"] += 1
        return _pair_task(tid, task, counts)
    raise BadTask(
        f"not a quotecontra task (data keys {sorted(map(str, task['data']))[:12]}); "
        "export the project created from quotecontra's labeling configs"
    )


def parse_export(tasks: Any, articles: Mapping[str, str] | None = None) -> ImportResult:
    """Read a Label Studio JSON export (a list of tasks); bad tasks become errors, good ones import.

    ``articles`` (article id -> text from the run's articles.jsonl), when given, guards against importing spans
    into an article whose text has changed since the export.
    """
    if not isinstance(tasks, list):
        raise ValueError("a Label Studio JSON export is a list of tasks; this file holds something else")
    res = ImportResult()
    arts: dict[str, ArticleImport] = {}
    pairs: dict[str, PairImport] = {}
    for n, task in enumerate(tasks):
        tid = _task_id(task, n)
        res.counts["tasks_total"] += 1
        counts: Counter[str] = Counter()  # merged only when the task imports: a failed task counts as failed
        try:
            got = _one_task(tid, task, articles, counts)
        except BadTask as exc:
            res.errors.append(TaskError(tid, str(exc)))
            res.counts["tasks_failed"] += 1
            continue
        except (TypeError, KeyError, AttributeError, ValueError) as exc:  # a shape no check above foresaw
            res.errors.append(TaskError(tid, f"malformed task ({type(exc).__name__}: {exc})"[:500]))
            res.counts["tasks_failed"] += 1
            continue
        for k, v in counts.items():
            res.counts[k] += v
        if isinstance(got, ArticleImport):
            _keep_best(arts, got.article_id, got, _article_rank, res, "article")
        elif isinstance(got, PairImport):
            _keep_best(pairs, got.pair_id, got, _pair_rank, res, "pair")
    res.articles, res.pairs = list(arts.values()), list(pairs.values())
    res.counts["tasks_imported"] = len(res.articles) + len(res.pairs)
    res.agreement = agreement_summary(res)
    return res


def _article_rank(a: ArticleImport) -> tuple[bool, bool, str]:
    return a.used.ground_truth, bool(a.used.result), a.used.updated_at or ""


def _pair_rank(p: PairImport) -> tuple[bool, int, str]:
    return p.label is not None, len(p.votes), p.updated_at or ""


def _keep_best(seen: dict[str, Any], key: str, got: Any, rank: Any, res: ImportResult, what: str) -> None:
    """Two tasks for one article (or pair): keep the better one (ground truth, then non-empty, then latest)."""
    old = seen.get(key)
    if old is None:
        seen[key] = got
        return
    if what == "article" and old.text != got.text:
        res.errors.append(TaskError(got.task, f"article {key!r} is also task {old.task}, with another text"))
        res.counts["tasks_failed"] += 1
        return
    keep, drop = (got, old) if rank(got) > rank(old) else (old, got)
    seen[key] = keep
    res.errors.append(
        TaskError(
            drop.task,
            f"duplicate of task {keep.task} ({what} {key!r}): task {keep.task}'s annotation is used; "
            "merge the two tasks in Label Studio to keep both",
        )
    )
    res.counts["tasks_duplicate"] += 1
