"""Annotation batches (pairs.annotations): reading an import, merging labels, the config check, the skip signature."""

from __future__ import annotations

import json

import pytest

from quotecontra.pairs.annotation_merge import article_groups, merge_natural
from quotecontra.pairs.annotations import AnnotationBatch, batch_files, load_batch
from quotecontra.records import Pair, write_jsonl


def _p(pid, a, b, label, arts=None, annotator="ann1", split=None):
    arts = arts or sorted({a.split(":")[0], b.split(":")[0]})
    return Pair(
        id=pid,
        premise=f"text {a}",
        hypothesis=f"text {b}",
        label=label,
        origin="natural",
        premise_quote_id=a,
        hypothesis_quote_id=b,
        article_ids=arts,
        group=arts[0],
        annotator=annotator,
        split=split,
    )


def _batch(bid, pairs, split="natural"):
    return AnnotationBatch(id=bid, path=f"/x/{bid}", digest=bid * 2, split=split, pairs=pairs, annotators=["ann1"])


def _gold(pid, a, b, label, split="natural"):
    p = _p(pid, a, b, label, annotator="gold", split=split)
    return p.model_copy(update={"origin": "gold"})


def test_a_later_batch_replaces_an_earlier_label_and_a_gold_file_wins():
    gold = [_gold("gold:1", "A:1-2", "A:3-4", "contradiction")]
    b1 = _batch("one", [_p("n1", "A:5-6", "A:7-8", "neutral"), _p("n2", "A:3-4", "A:1-2", "neutral")])
    b2 = _batch("two", [_p("n1b", "A:5-6", "A:7-8", "entailment")])
    m = merge_natural(gold, [b1, b2], {})
    by_id = {p.id: p for p in m.natural}
    assert set(by_id) == {"gold:1", "n1b"}  # n1 replaced by the later batch; n2 contradicts the gold file
    assert by_id["n1b"].annotator == "two:ann1" and by_id["n1b"].origin == "annotated"
    assert len(m.conflicts) == 1 and "n2" in m.conflicts[0] and "gold:1" in m.conflicts[0]
    assert m.per_batch["two"]["replaced an earlier batch's label"] == 1


def test_reversed_entailment_is_another_pair_but_reversed_neutral_is_the_same():
    b = _batch(
        "one",
        [
            _p("e1", "A:1-2", "A:3-4", "entailment"),
            _p("e2", "A:3-4", "A:1-2", "neutral"),  # b does not entail a: compatible with e1
            _p("n1", "A:5-6", "A:7-8", "neutral"),
            _p("n2", "A:7-8", "A:5-6", "neutral"),  # the same neutral pair, reversed
        ],
    )
    ids = {p.id for p in merge_natural([], [b], {}).natural}
    assert ids == {"e1", "e2", "n2"}


def test_linked_articles_share_a_group_and_a_held_out_link_holds_them_out():
    gold = [_gold("g1", "A:1-2", "A:3-4", "neutral"), _gold("g2", "H:1-2", "H:3-4", "neutral", split="heldout")]
    b = _batch("one", [_p("x", "A:5-6", "B:1-2", "neutral"), _p("y", "C:1-2", "C:3-4", "neutral")])
    m = merge_natural(gold, [b], {}, heldout_articles={"H"})
    by_id = {p.id: p for p in m.natural}
    assert by_id["g1"].group == by_id["x"].group == "A+B" and by_id["y"].group == "C"
    assert by_id["g2"].split == "heldout" and by_id["x"].split == "natural"
    # a pair linking C to the held-out article H holds C's pairs out too
    b2 = _batch("two", [_p("z", "C:5-6", "H:5-6", "neutral")])
    m2 = merge_natural(gold, [b, b2], {}, heldout_articles={"H"})
    by_id = {p.id: p for p in m2.natural}
    assert by_id["y"].split == by_id["z"].split == "heldout" and by_id["y"].group == "C+H"
    assert m2.counts["held out with a linked held-out article"] == 2
    assert article_groups([_p("w", "D:1-2", "E:1-2", "neutral", arts=["D", "E"])]) == {"D": "D+E", "E": "D+E"}


def _write_import(tmp_path, split="dev"):
    pairs = [_p("nat:1", "A:1-2", "A:3-4", "contradiction", annotator="ann1,ann2")]
    write_jsonl(tmp_path / "imported_pairs.jsonl", pairs)
    (tmp_path / "import_summary.json").write_text(
        json.dumps(
            {
                "source": "exports/pairs.json",
                "counts": {},
                "gold_files": [],
                "batch": {
                    "split": split,
                    "annotators": ["ann1", "ann2"],
                    "first_annotation": "2026-11-01T10:00:00Z",
                    "last_annotation": "2026-11-02T10:00:00Z",
                    "pairs_file": "somewhere/else/imported_pairs.jsonl",
                },
            }
        )
    )
    (tmp_path / "metrics.json").write_text("{}")


def test_a_pairs_file_brings_its_import_summary(tmp_path):
    _write_import(tmp_path, split="heldout")
    entry = tmp_path / "imported_pairs.jsonl"
    assert [f.name for f in batch_files(entry)] == ["import_summary.json", "imported_pairs.jsonl"]
    b = load_batch(entry, {}, [])
    assert b.split == "heldout" and b.annotators == ["ann1", "ann2"] and b.source == "exports/pairs.json"
    assert (b.first, b.last) == ("2026-11-01T10:00:00Z", "2026-11-02T10:00:00Z")
    assert [p.id for p in b.pairs] == ["nat:1"] and b.id == f"ls-{b.digest[:8]}"
    before = b.digest
    with entry.open("a") as fh:
        fh.write('{"id": "broken"}\n')
    b2 = load_batch(entry, {}, [])
    assert b2.digest != before and len(b2.pairs) == 1 and "not a Pair record" in b2.skipped[0]


def test_a_folder_of_other_files_is_skipped_with_reasons(tmp_path):
    (tmp_path / "quotes.jsonl").write_text('{"id": "q", "article_id": "a"}\n')
    (tmp_path / "notes.json").write_text('{"hello": 1}')
    b = load_batch(tmp_path, {}, [])
    assert not b.pairs and not b.gold
    assert any("not an imported pairs file" in s for s in b.skipped)
    assert any("neither a gold file nor an import summary" in s for s in b.skipped)
    with pytest.raises(FileNotFoundError, match=r"pairs\.annotations: .*nope not found"):
        load_batch(tmp_path / "nope", {}, [])


def test_config_rejects_a_missing_annotation_path(make_cfg, tmp_path):
    from quotecontra.validate import ConfigError, problems, validate

    missing = tmp_path / "no_such_import" / "imported_pairs.jsonl"
    with pytest.raises(ConfigError) as err:
        validate(make_cfg(f"pairs.annotations=[{missing}]"))
    msg = str(err.value)
    assert f"pairs.annotations[0]='{missing}' does not exist" in msg and "import-annotations" in msg
    _write_import(tmp_path)
    assert problems(make_cfg(f"pairs.annotations=[{tmp_path / 'imported_pairs.jsonl'}]")) == []
    assert any("export.select='best'" in p for p in problems(make_cfg("export.select=best")))


def test_pairs_stage_signature_follows_the_annotation_files(make_cfg, tmp_path):
    from quotecontra.stages import STAGES, signature

    _write_import(tmp_path)
    cfg = make_cfg(f"pairs.annotations=[{tmp_path / 'imported_pairs.jsonl'}]", run_dir=tmp_path / "run")
    first = signature(STAGES["pairs"], cfg)
    assert signature(STAGES["pairs"], cfg) == first  # unchanged import: the stage can skip
    summary = json.loads((tmp_path / "import_summary.json").read_text())
    summary["batch"]["last_annotation"] = "2026-11-03T10:00:00Z"
    (tmp_path / "import_summary.json").write_text(json.dumps(summary))
    assert signature(STAGES["pairs"], cfg) != first  # a new import: rebuild
