"""Label Studio conversion without a server: records -> tasks -> simulated export -> records and gold.

The simulated export has the shape of Label Studio's JSON export (task id, data, annotations with result,
completed_by, timestamps), which the integration test checks against a real server.
"""

from __future__ import annotations

import copy
import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from quotecontra.export.agreement import fleiss_kappa, majority, pairwise_cohen, span_f1
from quotecontra.export.demo import fixture_records
from quotecontra.export.label_studio import (
    HTML_TAGS,
    PAIRS_CONFIG,
    QUOTES_CONFIG,
    article_task,
    gold_files,
    labeling_config,
    pair_records,
    pair_task,
    parse_export,
    quote_id_map,
    regions_of,
)
from quotecontra.records import Quote


def exported(tid: int, task: dict[str, Any], *annotations: dict[str, Any]) -> dict[str, Any]:
    """A task as Label Studio exports it, with the given annotations."""
    return {"id": tid, "data": copy.deepcopy(task["data"]), "annotations": list(annotations), "predictions": []}


def ann(result: list[dict[str, Any]], who: int, when: str, aid: int = 0, **kw: Any) -> dict[str, Any]:
    return {
        "id": aid or who * 100,
        "completed_by": who,
        "result": copy.deepcopy(result),
        "was_cancelled": False,
        "ground_truth": False,
        "created_at": when,
        "updated_at": when,
        **kw,
    }


def choice(label: str, why: str = "") -> list[dict[str, Any]]:
    res = [{"id": "x1", "from_name": "label", "to_name": "premise", "type": "choices", "value": {"choices": [label]}}]
    if why:
        res.append({"id": "x2", "from_name": "why", "to_name": "premise", "type": "textarea", "value": {"text": [why]}})
    return res


@pytest.fixture()
def recs():
    articles, quotes, splits = fixture_records()
    by = {a.id: [q for q in quotes if q.article_id == a.id] for a in articles}
    tasks = [article_task(a, by[a.id], "test") for a in articles]
    return articles, quotes, splits, tasks


def test_labeling_configs_name_the_controls_the_import_reads():
    q = ET.fromstring(QUOTES_CONFIG)
    names = {el.get("name") for el in q.iter() if el.get("toName")}
    assert names == {"label", "type", "target", "optional", "speaker_name"}
    assert {el.get("value") for el in q.iter("Label")} == {"Content", "Speaker", "Cue"}
    per_region = {"type", "target", "optional", "speaker_name"}
    assert all(el.get("perRegion") == "true" for el in q.iter() if el.get("name") in per_region)
    p = ET.fromstring(PAIRS_CONFIG)
    assert {el.get("value") for el in p.iter("Choice")} == {"contradiction", "entailment", "neutral"}
    assert {el.get("name") for el in p.iter("Text")} == {"premise", "hypothesis"}


def test_per_region_fields_sit_in_a_side_panel_beside_the_text():
    q = ET.fromstring(QUOTES_CONFIG)
    (row,) = [v for v in q.iter("View") if "display: flex" in (v.get("style") or "")]
    text_col, side = list(row)
    assert [t.get("name") for t in text_col.iter("Text")] == ["text"]
    assert not list(side.iter("Text"))
    assert {el.get("name") for el in side.iter() if el.get("perRegion") == "true"} == {
        "type",
        "target",
        "optional",
        "speaker_name",
    }


def test_configs_are_shipped_files_and_never_render_article_text_as_html():
    for kind, cfg in (("quotes", QUOTES_CONFIG), ("pairs", PAIRS_CONFIG)):
        assert cfg == labeling_config(kind)
        tree = ET.fromstring(cfg)
        tags = {el.tag for el in tree.iter()}
        assert not tags & HTML_TAGS, f"{kind}: {tags & HTML_TAGS} render task data as HTML"
        # task data ($field) is shown only through Text (escapes HTML) and Header (plain text), as text, never a URL
        shown = {el.tag for el in tree.iter() if (el.get("value") or "").startswith("$")}
        assert shown <= {"Text", "Header"}
        assert all(el.get("valueType") == "text" for el in tree.iter("Text"))
    with pytest.raises(ValueError, match="no labeling config"):
        labeling_config("images")


def test_region_ids_are_short_plain_and_mapped_in_the_task_data(recs):
    articles, quotes, _, tasks = recs
    text = articles[0].text
    result = tasks[0]["predictions"][0]["result"]
    regions = tasks[0]["data"]["qc_regions"]
    ids = {r["id"] for r in result if "id" in r} | {
        r[k] for r in result if r["type"] == "relation" for k in ("from_id", "to_id")
    }
    assert ids == set(regions) and all(re.fullmatch(r"[A-Za-z0-9_-]{1,8}", i) for i in ids)
    spans = [r for r in result if r.get("from_name") == "label"]
    assert all(r["value"]["text"] == text[r["value"]["start"] : r["value"]["end"]] for r in spans)
    # Each quote's Content regions are its record's spans, piece by piece, and read the record's own words (the
    # record's text, built by annotate, not from the task): a shifted or dropped piece fails here.
    by_id = {r["id"]: r for r in spans}
    for q in (q for q in quotes if q.article_id == articles[0].id):
        rids = regions_of(tasks[0], q.id)
        assert [(by_id[i]["value"]["start"], by_id[i]["value"]["end"]) for i in rids] == [tuple(s) for s in q.spans]
        assert " ".join(by_id[i]["value"]["text"] for i in rids) == q.text
        assert all(by_id[i]["value"]["labels"] == ["Content"] for i in rids)
    split_quote = next(q for q in quotes if len(q.spans) == 2)
    pieces = regions_of(tasks[0], split_quote.id)
    assert len(pieces) == 2
    rels = [(r["from_id"], r["to_id"]) for r in result if r["type"] == "relation"]
    assert tuple(pieces) in rels
    # the speakerless quote has no relation at all, and a second export gives the same ids
    lonely = next(q for q in quotes if q.speaker is None)
    assert not [r for r in rels if regions_of(tasks[0], lonely.id)[0] in r]
    again = article_task(articles[0], [q for q in quotes if q.article_id == articles[0].id], "test")
    assert again == tasks[0]


def test_accepted_predictions_import_unchanged(recs):
    articles, quotes, _, tasks = recs
    export = [
        exported(i + 1, t, ann(t["predictions"][0]["result"], 7, "2025-01-01T10:00:00Z")) for i, t in enumerate(tasks)
    ]
    res = parse_export(export, {a.id: a.text for a in articles})
    assert not res.errors
    assert res.counts["tasks_imported"] == 2
    got = {iq.quote.id: iq for a in res.articles for iq in a.quotes}
    assert set(got) == {q.id for q in quotes}
    for q in quotes:
        iq = got[q.id]
        assert not iq.changed
        assert iq.quote.model_dump(exclude={"annotator"}) == q.model_dump(exclude={"annotator"})
        assert iq.quote.annotator == "7"
        assert iq.updated_at == "2025-01-01T10:00:00Z"


def test_annotator_edits_override_and_untouched_records_stay(recs):
    articles, quotes, _, tasks = recs
    bridge = articles[0]
    result = copy.deepcopy(tasks[0]["predictions"][0]["result"])
    q1, q2, _, q4 = [q for q in quotes if q.article_id == "bridge"]
    (c1,), (c2,), (c4,) = (regions_of(tasks[0], q.id) for q in (q1, q2, q4))
    # shrink q1's content by its last word, drop q4 entirely, retarget q2, add a new unattributed quote
    for r in result:
        if r.get("id") == c1:
            r["value"]["end"] -= len(" bridge")
            r["value"].pop("text", None)
        if r.get("id") == c2 and r["from_name"] == "target":
            r["value"]["text"] = ["the town of Harwick"]
    result = [r for r in result if c4 not in (r.get("id"), r.get("to_id"))]
    s = bridge.text.index("Nobody expected")
    result.append(
        {
            "id": "new1",
            "from_name": "label",
            "to_name": "text",
            "type": "labels",
            "value": {"start": s, "end": s + len("Nobody expected the vote"), "labels": ["Content"]},
        }
    )
    res = parse_export([exported(5, tasks[0], ann(result, 3, "2025-02-02T00:00:00Z"))])
    assert not res.errors
    art = res.articles[0]
    by_pred = {iq.predicted_id: iq for iq in art.quotes}
    assert by_pred[q1.id].changed and by_pred[q1.id].quote.text == "the budget contained 48 million for the"
    assert by_pred[q1.id].quote.id != q1.id
    assert by_pred[q2.id].quote.target == "the town of Harwick" and by_pred[q2.id].changed
    untouched = next(iq for iq in art.quotes if iq.quote.speaker == "Tomas Adeyemi")
    assert not untouched.changed and untouched.quote.rule == "fixture"
    new = by_pred[None]
    assert new.quote.text == "Nobody expected the vote" and new.quote.speaker is None and new.quote.type == "direct"
    assert art.removed == [q4.id]
    assert quote_id_map(res)[q1.id] == by_pred[q1.id].quote.id


def test_pairs_majority_vote_agreement_and_gold(recs):
    articles, _, splits, tasks = recs
    cands = splits["candidates"]
    ptasks = [pair_task(p, "test") for p in cands]
    a_tasks = [exported(i + 1, t, ann(t["predictions"][0]["result"], 1, "2025-01-01")) for i, t in enumerate(tasks)]
    p_export = [
        exported(
            10,
            ptasks[0],
            ann(choice("contradiction", "twice vs all"), 1, "t1"),
            ann(choice("contradiction"), 2, "t2"),
            ann(choice("neutral"), 3, "t3"),
        ),
        exported(11, ptasks[1], ann(choice("neutral"), 1, "t1"), ann(choice("contradiction"), 2, "t2")),
        exported(
            12,
            ptasks[2],
            ann(choice("neutral"), 1, "t1"),
            ann(choice("neutral"), 2, "t2"),
            ann(choice("neutral"), 3, "t3"),
        ),
    ]
    res = parse_export(a_tasks + p_export)
    assert not res.errors and res.counts["tasks_imported"] == 5
    by = {p.pair_id: p for p in res.pairs}
    assert (by["cand-1"].label, by["cand-1"].strict_majority) == ("contradiction", True)
    assert by["cand-1"].votes == {"1": "contradiction", "2": "contradiction", "3": "neutral"}
    assert by["cand-2"].label is None  # a tie with no ground truth is not gold
    assert by["cand-3"].label == "neutral"
    expected_fleiss = fleiss_kappa(
        [["contradiction", "contradiction", "neutral"], ["neutral", "contradiction"], ["neutral"] * 3]
    )
    assert res.agreement["pairs"]["fleiss_kappa"] == pytest.approx(expected_fleiss)
    assert set(res.agreement["pairs"]["cohen_kappa"]) == {"1|2", "1|3", "2|3"}
    assert res.agreement["pairs"]["ties"] == 1

    docs = gold_files(res, "dev")
    assert set(docs) == {"bridge", "clinic"}
    bridge = docs["bridge"]
    ids = {q["id"] for q in bridge["quotes"]}
    assert bridge["article"] == "bridge.txt" and bridge["split"] == "dev"
    (p1,) = bridge["pairs"]
    assert (p1["a"], p1["b"], p1["label"], p1["why"]) == (
        cands[0].premise_quote_id,
        cands[0].hypothesis_quote_id,
        "contradiction",
        "twice vs all",
    )
    assert {p1["a"], p1["b"]} <= ids
    split = next(q for q in bridge["quotes"] if "pieces" in q)
    assert " ".join(split["pieces"]) == split["text"] and all(p in articles[0].text for p in split["pieces"])
    assert all(isinstance(q["target"], list) and q["target"] for q in bridge["quotes"])
    assert docs["clinic"]["disputed_pairs"][0]["pair_id"] == "cand-2"
    # cand-3 pairs a bridge quote with a clinic quote: kept with its texts, outside "pairs"
    assert [p["pair_id"] for p in bridge.get("extra_pairs", [])] == ["cand-3"]
    recs_out = pair_records(res, quote_id_map(res))
    assert sorted(p.id for p in recs_out) == ["cand-1", "cand-3"]
    assert recs_out[0].annotator == "1,2,3"


def test_ground_truth_breaks_a_tie_and_cancelled_annotations_do_not_vote(recs):
    _, _, splits, _ = recs
    t = pair_task(splits["candidates"][0], "test")
    export = [
        exported(
            1,
            t,
            ann(choice("neutral"), 1, "t1"),
            ann(choice("entailment"), 2, "t2", ground_truth=True),
            ann(choice("contradiction"), 3, "t3", was_cancelled=True),
        )
    ]
    res = parse_export(export)
    (p,) = res.pairs
    assert p.label == "entailment" and not p.strict_majority
    assert p.votes == {"1": "neutral", "2": "entailment"}
    assert res.counts["annotations_cancelled"] == 1


def test_quote_span_agreement_between_annotators(recs):
    _, quotes, _, tasks = recs
    pred = tasks[1]["predictions"][0]["result"]  # clinic: two quotes
    q5 = next(q for q in quotes if q.article_id == "clinic")
    (c5,) = regions_of(tasks[1], q5.id)
    fewer = [r for r in pred if c5 not in (r.get("id"), r.get("to_id"))]
    res = parse_export([exported(1, tasks[1], ann(pred, 1, "a"), ann(fewer, 2, "b"))])
    art = res.articles[0]
    assert art.used.annotator == "2"  # the most recent annotation is the gold one
    want = span_f1(
        [q.spans for q in quotes if q.article_id == "clinic"],
        [q.spans for q in quotes if q.id not in {q5.id} and q.article_id == "clinic"],
    )
    assert art.agreement["span_f1_exact"] == pytest.approx(want["exact"]) == pytest.approx(2 / 3)
    assert res.agreement["quotes"]["multiply_annotated_articles"] == 1


def test_bad_tasks_fail_alone_with_a_message_naming_them(recs):
    articles, _, splits, tasks = recs
    good = exported(1, tasks[0], ann(tasks[0]["predictions"][0]["result"], 1, "a"))
    other_config = exported(
        2,
        tasks[1],
        ann(
            [
                {
                    "id": "s",
                    "from_name": "sentiment",
                    "to_name": "text",
                    "type": "choices",
                    "value": {"choices": ["Positive"]},
                }
            ],
            1,
            "a",
        ),
    )
    missing = exported(
        3,
        tasks[1],
        ann(
            [{"id": "r", "from_name": "label", "to_name": "text", "type": "labels", "value": {"labels": ["Content"]}}],
            1,
            "a",
        ),
    )
    shifted = copy.deepcopy(tasks[1]["predictions"][0]["result"])
    first = next(r for r in shifted if r["from_name"] == "label")
    first["value"]["start"] += 3
    first["value"]["end"] += 3
    mismatch = exported(4, tasks[1], ann(shifted, 1, "a"))
    foreign = {"id": 5, "data": {"text": "hello"}, "annotations": []}
    json_min = {"id": 6, "text": "hello", "label": []}
    no_label = exported(7, pair_task(splits["candidates"][0], "t"), ann([], 1, "a"))
    res = parse_export(
        [good, other_config, missing, mismatch, foreign, json_min, no_label], {a.id: a.text for a in articles}
    )
    errors = {e.task: e.message for e in res.errors}
    assert set(errors) == {"2", "3", "4", "5", "6", "7"}
    assert "'sentiment'" in errors["2"] and "another project" in errors["2"]
    assert "'start'" in errors["3"]
    assert "do not match the article text" in errors["4"]
    assert "not a quotecontra task" in errors["5"]
    assert "JSON export" in errors["6"]
    assert "no label" in errors["7"]
    assert [a.task for a in res.articles] == ["1"] and res.counts["tasks_failed"] == 6
    with pytest.raises(ValueError, match="list of tasks"):
        parse_export({"tasks": []})


def test_changed_article_text_is_refused(recs):
    articles, _, _, tasks = recs
    t = exported(9, tasks[0], ann(tasks[0]["predictions"][0]["result"], 1, "a"))
    res = parse_export([t], {articles[0].id: articles[0].text + " Updated."})
    assert res.errors[0].task == "9" and "differs" in res.errors[0].message


def test_majority():
    assert majority(["a", "a", "b"]) == ("a", True)
    assert majority(["a", "b"]) == (None, False)
    assert majority(["a", "b"], tie_breaker="b") == ("b", False)
    assert majority([]) == (None, False)


def test_fleiss_kappa_matches_the_textbook_example():
    # Fleiss (1971) as worked on Wikipedia: 10 subjects, 14 raters, 5 categories -> kappa 0.210
    table = [
        [0, 0, 0, 0, 14],
        [0, 2, 6, 4, 2],
        [0, 0, 3, 5, 6],
        [0, 3, 9, 2, 0],
        [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0],
        [3, 2, 6, 3, 0],
        [2, 5, 3, 2, 2],
        [6, 5, 2, 1, 0],
        [0, 2, 2, 3, 7],
    ]
    items = [[str(c) for c, n in enumerate(row) for _ in range(n)] for row in table]
    assert fleiss_kappa(items) == pytest.approx(0.20993, abs=1e-4)
    assert fleiss_kappa([["a", "a"], ["b", "b"]]) == pytest.approx(1.0)
    assert fleiss_kappa([["a", "b"], ["a", "b"]]) == pytest.approx(-1.0)
    assert fleiss_kappa([["a"]]) is None and fleiss_kappa([["a", "a"]]) is None


def test_cohen_kappa_by_hand():
    # p_o = 3/4; p_e = .5*.25 + .25*.5 + .25*.25 = .3125; kappa = (.75 - .3125) / .6875
    ratings = {
        "x": dict(zip("1234", ["c", "c", "e", "n"], strict=True)),
        "y": dict(zip("1234", ["c", "e", "e", "n"], strict=True)),
        "z": {"9": "c"},
    }
    got = pairwise_cohen(ratings)
    assert got == {"x|y": pytest.approx(0.4375 / 0.6875)}


def test_span_f1():
    got = span_f1([[(0, 5)], [(10, 20)]], [[(0, 5)], [(10, 15)]])
    assert got["exact"] == pytest.approx(0.5)
    assert got["overlap"] == pytest.approx(0.8)  # 10 shared chars: p = 10/15, r = 10/10
    assert span_f1([], []) == {"exact": 1.0, "overlap": 1.0}
    assert span_f1([[(0, 5)]], []) == {"exact": 0.0, "overlap": 0.0}


def test_overlapping_content_regions_joined_into_one_quote_are_rejected(recs):
    _, quotes, _, tasks = recs
    result = copy.deepcopy(tasks[1]["predictions"][0]["result"])
    c = [r for r in result if r.get("from_name") == "label" and r["value"]["labels"] == ["Content"]]
    dup = copy.deepcopy(c[0])
    dup["id"] = "dup"
    dup["value"]["start"] += 1
    dup["value"].pop("text")
    result += [dup, {"type": "relation", "from_id": c[0]["id"], "to_id": "dup", "direction": "right", "labels": []}]
    res = parse_export([exported(3, tasks[1], ann(result, 1, "a"))])
    assert res.errors and res.errors[0].task == "3" and "not a valid quote record" in res.errors[0].message
    assert isinstance(quotes[0], Quote)


def test_normalised_cue_and_canonical_speaker_survive_an_untouched_round_trip():
    from quotecontra.records import Article, quote_id

    text = "According to the budget office, the deficit will rise to 310 million next year."
    art = Article(id="a", text=text)
    content = (text.index("the deficit"), text.index(" next year"))
    q = Quote(
        id=quote_id("a", [content]),
        article_id="a",
        text=text[content[0] : content[1]],
        type="indirect",
        speaker="Budget Office",
        cue="according to",
        target="the deficit",
        spans=[content],
        speaker_span=(13, 30),
        cue_span=(0, 12),
    )
    task = article_task(art, [q], "t")
    res = parse_export([exported(1, task, ann(task["predictions"][0]["result"], 1, "a"))])
    (iq,) = res.articles[0].quotes
    assert (iq.quote.cue, iq.quote.speaker, iq.changed) == ("according to", "Budget Office", False)
