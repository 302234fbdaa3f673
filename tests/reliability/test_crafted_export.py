"""Crafted Label Studio exports: each bad task fails alone, named by its id; the good ones still import.

Covers offsets out of range or negative, wrong types, missing keys, ``annotation: null``, non-string, NUL and
over-long ids, ``ground_truth: "false"``, ``article_ids: "notalist"`` and duplicate tasks for one article.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from quotecontra.export.demo import fixture_records
from quotecontra.export.label_studio import article_task, gold_files, pair_task, parse_export

Task = dict[str, Any]


def ann(result: Any, who: int = 1, when: str = "2025-01-01T00:00:00Z", **kw: Any) -> dict[str, Any]:
    return {"id": who * 100 + len(when), "completed_by": who, "result": result, "updated_at": when, **kw}


def choice(label: str) -> list[dict[str, Any]]:
    return [{"id": "l", "from_name": "label", "to_name": "premise", "type": "choices", "value": {"choices": [label]}}]


@pytest.fixture(scope="module")
def base() -> dict[str, Task]:
    articles, quotes, splits = fixture_records()
    out = {}
    for a in articles:
        t = article_task(a, [q for q in quotes if q.article_id == a.id], "t")
        out[a.id] = {"data": t["data"], "annotations": [ann(t["predictions"][0]["result"])]}
    out["pair"] = {"data": pair_task(splits["candidates"][0], "t")["data"], "annotations": [ann(choice("neutral"))]}
    return out


def _first_label(task: Task) -> dict[str, Any]:
    return next(r for r in task["annotations"][0]["result"] if r.get("from_name") == "label")


def _set(path: str, value: Any) -> Callable[[Task], None]:
    """A mutation setting a dotted path (``data.article_id``, ``label.value.start``: the first span region)."""

    def apply(task: Task) -> None:
        head, *rest = path.split(".")
        obj: Any = _first_label(task) if head == "label" else task[head]
        for key in rest[:-1]:
            obj = obj[key]
        obj[rest[-1]] = value

    return apply


# (task id, which base task, mutation, words the message must contain)
CASES: list[tuple[str, str, Callable[[Task], None], str]] = [
    ("end-past-text", "bridge", _set("label.value.end", 10**6), "outside the article text"),
    ("negative-start", "bridge", _set("label.value.start", -5), "outside the article text"),
    ("start-as-string", "bridge", _set("label.value.start", "3"), "non-integer 'start'"),
    ("value-as-list", "bridge", _set("label.value", [1, 2]), "missing 'value' object"),
    ("labels-unknown", "bridge", _set("label.value.labels", ["Person"]), "must be exactly one of"),
    ("region-id-dict", "bridge", _set("label.id", {"x": 1}), "region id must be a non-empty string"),
    ("text-not-string", "bridge", _set("data.text", 42), "'text' string"),
    ("result-as-dict", "bridge", lambda t: t["annotations"][0].update(result={"a": 1}), "missing 'result' list"),
    ("annotation-null", "bridge", lambda t: t.update(annotations=[None]), "annotation #0 is not an object"),
    ("annotations-null", "bridge", lambda t: t.update(annotations=None), "no 'annotations' list"),
    ("no-data", "bridge", lambda t: t.pop("data"), "no 'data' object"),
    ("item-no-control", "bridge", lambda t: _first_label(t).pop("from_name"), "control None"),
    ("article-id-int", "bridge", _set("data.article_id", 7), "must be a non-empty string, got int"),
    ("article-id-nul", "bridge", _set("data.article_id", "bri\0dge"), "NUL byte"),
    ("article-id-long", "bridge", _set("data.article_id", "b" * 256), "256 bytes long"),
    ("pred-of-other", "bridge", _set("data.article_id", "clinic-2"), "not a record of this article"),
    ("regions-not-map", "bridge", _set("data.qc_regions", ["c0"]), "qc_regions must map"),
    ("time-as-int", "bridge", lambda t: t["annotations"][0].update(updated_at=5), "timestamp string"),
    ("gt-maybe", "bridge", lambda t: t["annotations"][0].update(ground_truth="maybe"), "true or false"),
    ("pair-id-list", "pair", _set("data.pair_id", ["p"]), "data.pair_id must be a non-empty string"),
    ("pair-id-nul", "pair", _set("data.pair_id", "p\0"), "NUL byte"),
    ("article-ids-str", "pair", _set("data.article_ids", "notalist"), "must be a list of article ids"),
    ("article-ids-int", "pair", _set("data.article_ids", [1]), "data.article_ids[0] must be a non-empty string"),
    ("label-unknown", "pair", lambda t: t["annotations"][0].update(result=choice("maybe")), "exactly one of"),
    ("empty-premise", "pair", _set("data.premise", "  "), "non-empty 'premise'"),
    ("predicted-label", "pair", _set("data.predicted_label", 3), "must be a string or null"),
]


def test_each_bad_task_fails_alone_and_is_named(base):
    export = [{"id": "good-bridge", **copy.deepcopy(base["bridge"])}, {"id": 2, **copy.deepcopy(base["pair"])}]
    for tid, which, mutate, _ in CASES:
        task = {"id": tid, **copy.deepcopy(base[which])}
        mutate(task)
        export.append(task)
    export.append({"id": {"nested": 1}, **copy.deepcopy(base["pair"])})  # a task id that is not an id
    res = parse_export(export)
    errors = {e.task: e.message for e in res.errors}
    assert set(errors) == {tid for tid, *_ in CASES} | {f"#{len(export) - 1} (id {{'nested': 1}})"}
    for tid, _, _, words in CASES:
        assert words in errors[tid], (tid, errors[tid])
    assert [a.task for a in res.articles] == ["good-bridge"] and [p.task for p in res.pairs] == ["2"]
    assert res.counts["tasks_failed"] == len(CASES) + 1 and res.counts["tasks_imported"] == 2
    # a failed task leaves nothing behind: one gold file, of the good article only, and its counts are not counted
    assert set(gold_files(res, "dev")) == {"bridge"}
    assert res.counts["annotations_total"] == 2


def test_a_bad_second_annotation_fails_the_whole_task(base):
    """No partial gold: when one annotation of a task is malformed, none of the task's annotations import."""
    task = {"id": 5, **copy.deepcopy(base["clinic"])}
    task["annotations"].append(ann([{"id": "x", "from_name": "label", "value": {"start": 0}}], who=2))
    res = parse_export([task])
    assert [e.task for e in res.errors] == ["5"] and not res.articles and gold_files(res, "dev") == {}


def test_string_false_flags_are_false(base):
    tie = {"id": 1, **copy.deepcopy(base["pair"])}
    tie["annotations"] = [
        ann(choice("neutral"), who=1, ground_truth="false"),
        ann(choice("contradiction"), who=2, ground_truth=False, was_cancelled="false"),
    ]
    res = parse_export([tie])
    (p,) = res.pairs
    assert p.label is None  # a tie: "false" is no ground truth to break it
    assert p.votes == {"1": "neutral", "2": "contradiction"} and res.counts["annotations_cancelled"] == 0
    tie["annotations"][0]["ground_truth"] = "true"
    assert parse_export([tie]).pairs[0].label == "neutral"


def test_duplicate_article_tasks_never_let_an_empty_one_win(base):
    good = {"id": 1, **copy.deepcopy(base["bridge"])}
    unannotated = {"id": 2, **copy.deepcopy(base["bridge"]), "annotations": []}
    emptied = {"id": 3, **copy.deepcopy(base["bridge"])}
    emptied["annotations"] = [ann([], who=2, when="2026-01-01T00:00:00Z")]  # later, but with no regions at all
    res = parse_export([good, unannotated, emptied])
    (art,) = res.articles
    assert art.task == "1" and len(art.quotes) == 4
    assert [(e.task, "duplicate of task 1" in e.message) for e in res.errors] == [("3", True)]
    assert res.counts["tasks_duplicate"] == 1 and res.counts["tasks_imported"] == 1
    # a ground-truth duplicate does win, and the other is the one reported
    gt = {"id": 4, **copy.deepcopy(base["bridge"])}
    gt["annotations"][0].update(ground_truth=True, completed_by=9)
    res = parse_export([good, gt])
    assert [a.task for a in res.articles] == ["4"] and [e.task for e in res.errors] == ["1"]
    # the same article id with another text is refused, not merged
    other = {"id": 6, **copy.deepcopy(base["bridge"])}
    other["data"]["text"] += " More."
    res = parse_export([good, other])
    assert [a.task for a in res.articles] == ["1"] and "another text" in res.errors[0].message


def test_duplicate_pair_tasks_keep_the_one_with_more_votes(base):
    one = {"id": 1, **copy.deepcopy(base["pair"])}
    two = {"id": 2, **copy.deepcopy(base["pair"])}
    two["annotations"] = [ann(choice("contradiction"), who=1), ann(choice("contradiction"), who=2)]
    res = parse_export([two, one])
    assert [p.task for p in res.pairs] == ["2"] and res.pairs[0].label == "contradiction"
    assert [e.task for e in res.errors] == ["1"]


def _leaves(obj: Any, at: tuple = ()) -> list[tuple]:
    """Every path into a task (the first three items of each list), for the mutation sweep."""
    out = [at] if at else []
    if isinstance(obj, dict):
        for k, v in obj.items():
            out += _leaves(v, (*at, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj[:3]):
            out += _leaves(v, (*at, i))
    return out


@pytest.mark.parametrize("which", ["bridge", "pair"])
def test_no_wrong_typed_field_crashes_the_import(base, which):
    """Every field of a task replaced by a value of the wrong kind: the import reports or accepts it, never raises,
    and a good task beside it still imports."""
    weird = [None, -1, "\0", [], {"a": None}, "é" * 300]
    good = {"id": "good", **copy.deepcopy(base["clinic"])}
    for path in _leaves(base[which]):
        for value in weird:
            task = {"id": "bad", **copy.deepcopy(base[which])}
            obj: Any = task
            for key in path[:-1]:
                obj = obj[key]
            obj[path[-1]] = value
            res = parse_export([task, copy.deepcopy(good)])
            assert "good" in [a.task for a in res.articles], (path, value)
            assert all(e.task == "bad" and not e.message.startswith("malformed") for e in res.errors), (path, value)
            gold_files(res, "dev")
