"""Label Studio region ids and speakers: short plain ids mapped in the task data, legacy exports, shared mentions.

Label Studio 1.23 cuts a region id at '#' and puts it into CSS class names; these tests pin that the ids we write
are plain, that what they stand for travels in ``data.qc_regions``, and that exports written before that still
import (or say to re-export).
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest

from quotecontra.export.demo import fixture_records
from quotecontra.export.label_studio import article_task, parse_export, regions_of
from quotecontra.records import Article, Quote, quote_id


def exported(tid: int, task: dict[str, Any], result: list[dict[str, Any]], who: int = 1) -> dict[str, Any]:
    annotation = {"id": tid * 10, "completed_by": who, "result": copy.deepcopy(result), "updated_at": "2025-01-01"}
    return {"id": tid, "data": copy.deepcopy(task["data"]), "annotations": [annotation]}


def prediction(task: dict[str, Any]) -> list[dict[str, Any]]:
    return copy.deepcopy(task["predictions"][0]["result"])


def renamed(task: dict[str, Any], new_id: dict[str, str]) -> list[dict[str, Any]]:
    """The prediction with every region id replaced, as another tool (or an older export) would have them."""
    out = prediction(task)
    for r in out:
        for key in ("id", "from_id", "to_id"):
            if key in r:
                r[key] = new_id[r[key]]
    return out


@pytest.fixture()
def bridge():
    articles, quotes, _ = fixture_records()
    mine = [q for q in quotes if q.article_id == "bridge"]
    return articles[0], mine, article_task(articles[0], mine, "t")


def test_every_id_the_task_uses_is_plain_and_the_map_names_its_record(bridge):
    _, quotes, task = bridge
    raw = json.dumps(task["predictions"])
    ids = set(re.findall(r'"(?:id|from_id|to_id)": "([^"]*)"', raw))
    assert ids and all(re.fullmatch(r"[A-Za-z0-9_-]+", i) for i in ids)
    regions = task["data"]["qc_regions"]
    assert set(regions) == ids
    for q in quotes:
        pieces = regions_of(task, q.id)
        assert [regions[p]["piece"] for p in pieces] == list(range(len(q.spans)))
    # one Speaker region per mention, listing every record that uses it
    speakers = {rid: v for rid, v in regions.items() if v["label"] == "Speaker"}
    assert sorted(v["speaker_name"] for v in speakers.values()) == [
        "Rhona Delacourt",
        "Rhona Delacourt",
        "Tomas Adeyemi",
    ]
    assert all(set(v["quotes"]) <= {q.id for q in quotes} for v in speakers.values())


def test_legacy_export_with_hash_ids_still_imports(bridge):
    """Tasks exported before qc_regions carried '<quote id>#c<n>' ids; annotations made on them keep their records."""
    article, quotes, task = bridge
    new_id = {}
    for q in quotes:
        for i, rid in enumerate(regions_of(task, q.id)):
            new_id[rid] = f"{q.id}#c{i}"
    for rid, v in task["data"]["qc_regions"].items():
        if v["label"] != "Content":
            new_id[rid] = f"{article.id}#{v['label'].lower()}:{rid}"
    result = renamed(task, new_id)
    moved = f"{quotes[0].id}#c0"
    for r in result:  # the annotator shortened one content region: only its id still ties it to its record
        if r.get("id") == moved and r["from_name"] == "label":
            r["value"]["end"] -= len(" bridge")
            del r["value"]["text"]
    old = exported(4, task, result)
    del old["data"]["qc_regions"]
    res = parse_export([old])
    assert not res.errors
    got = {iq.predicted_id: iq for iq in res.articles[0].quotes}
    assert set(got) == {q.id for q in quotes}
    assert [p for p, iq in got.items() if iq.changed] == [quotes[0].id]
    assert got[quotes[0].id].quote.text.endswith("for the")


def test_legacy_export_whose_ids_label_studio_cut_says_to_re_export(bridge):
    """Label Studio cut '<quote id>#c0' and '#c1' to one id: the pieces of a split quote collide."""
    article, quotes, task = bridge
    new_id = {}
    for q in quotes:
        for rid in regions_of(task, q.id):
            new_id[rid] = q.id
    for rid, v in task["data"]["qc_regions"].items():
        if v["label"] != "Content":
            new_id[rid] = article.id
    cut = exported(5, task, renamed(task, new_id))
    del cut["data"]["qc_regions"]
    res = parse_export([cut])
    (err,) = res.errors
    assert err.task == "5" and "re-export" in err.message and "more than one region" in err.message
    assert not res.articles


def test_regions_label_studio_renumbered_still_map_by_their_spans(bridge):
    """An annotation made from the prediction in the UI may get fresh region ids; equal spans are the same record."""
    _, quotes, task = bridge
    new_id = {rid: f"r{n:08d}x" for n, rid in enumerate(task["data"]["qc_regions"])}
    res = parse_export([exported(6, task, renamed(task, new_id))])
    assert not res.errors
    got = {iq.predicted_id: iq for iq in res.articles[0].quotes}
    assert set(got) == {q.id for q in quotes} and not any(iq.changed for iq in got.values())
    assert res.articles[0].removed == []


COMPANY = (
    "Halvorsen Components will close its Brackenford plant in March, the company said on Tuesday. "
    "It said that 40 jobs would go."
)


def company_quotes() -> tuple[Article, list[Quote]]:
    """Two records sharing the mention 'the company' (a nominal): one resolved, one not (as an unlucky rule)."""
    art = Article(id="biz", text=COMPANY)
    mention = (COMPANY.index("the company"), COMPANY.index("the company") + len("the company"))
    cue = (COMPANY.index("said"), COMPANY.index("said") + 4)
    a = (0, COMPANY.index(", the company"))
    b = (COMPANY.index("40 jobs"), COMPANY.index(" would go") + len(" would go"))
    common = {"article_id": "biz", "type": "indirect", "speaker_span": mention, "cue": "said", "cue_span": cue}
    qa = Quote(id=quote_id("biz", [a]), text=COMPANY[a[0] : a[1]], speaker="Halvorsen Components", spans=[a], **common)
    qb = Quote(id=quote_id("biz", [b]), text=COMPANY[b[0] : b[1]], speaker="Halvorsen", spans=[b], **common)
    return art, [qa, qb]


def test_speaker_name_in_the_task_is_the_records_canonical_name_not_the_mention():
    art, (qa, qb) = company_quotes()
    task = article_task(art, [qa, qb], "t")
    names = [r for r in task["predictions"][0]["result"] if r.get("from_name") == "speaker_name"]
    assert [r["value"]["text"] for r in names] == [["Halvorsen Components"]]
    (sid,) = [rid for rid, v in task["data"]["qc_regions"].items() if v["label"] == "Speaker"]
    region = next(r for r in task["predictions"][0]["result"] if r.get("id") == sid and r.get("from_name") == "label")
    assert region["value"]["text"] == "the company"
    # untouched, each record keeps its own canonical name although the shared mention shows one
    res = parse_export([exported(1, task, prediction(task))])
    got = {iq.quote.id: iq for iq in res.articles[0].quotes}
    assert (got[qa.id].quote.speaker, got[qb.id].quote.speaker) == ("Halvorsen Components", "Halvorsen")
    assert not got[qa.id].changed and not got[qb.id].changed


def test_a_typed_speaker_name_applies_to_every_quote_of_the_mention():
    art, (qa, qb) = company_quotes()
    task = article_task(art, [qa, qb], "t")
    result = prediction(task)
    for r in result:
        if r.get("from_name") == "speaker_name":
            r["value"]["text"] = ["Halvorsen Components Ltd"]
    res = parse_export([exported(1, task, result)])
    assert {iq.quote.speaker for iq in res.articles[0].quotes} == {"Halvorsen Components Ltd"}
    assert all(iq.changed for iq in res.articles[0].quotes)
