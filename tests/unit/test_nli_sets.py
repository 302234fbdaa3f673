"""The NLI base corpus: train files only, deduplicated against evaluation files, balanced and capped."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path

import pytest

from quotecontra import nli_sets


def _write(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


@pytest.fixture()
def shared(tmp_path: Path) -> Path:
    nli = tmp_path / "nli"
    labels = ["entailment"] * 30 + ["neutral"] * 20 + ["contradiction"] * 10
    _write(
        nli / "mnli_dev_matched" / "mnli_dev_matched.jsonl",
        [{"id": i, "premise": f"p{i}", "hypothesis": f"h{i}", "label": lab} for i, lab in enumerate(labels)]
        + [{"id": "x", "premise": "p", "hypothesis": "h", "label": "-"}],
    )
    _write(
        nli / "mnli_dev_mismatched_sample1000" / "mnli_dev_mismatched_sample1000.jsonl",
        [{"id": "e0", "premise": "p0", "hypothesis": "h0", "label": "entailment"}],  # also a train pair: dropped
    )
    _write(
        nli / "fnc1" / "fnc1_train_all_stances_ref.jsonl",
        [
            {"id": "f0", "hypothesis": "Headline agrees", "label": "entailment", "body_id": "7"},
            {"id": "f1", "hypothesis": "Headline denies", "label": "contradiction", "body_id": "7"},
            {"id": "f2", "hypothesis": "Other story", "label": "unrelated", "body_id": "7"},
            {"id": "f3", "hypothesis": "Missing body", "label": "neutral", "body_id": "99"},
        ],
    )
    _write(nli / "fnc1" / "fnc1_train_bodies.jsonl", [{"body_id": "7", "text": "The  article\nbody."}])
    return tmp_path


def test_reader_keeps_three_way_labels_and_joins_fnc1_bodies(shared: Path):
    rows = nli_sets.read_files(shared, nli_sets.get_set("mnli"), "train")
    assert len(rows) == 60 and {r["origin"] for r in rows} == {"mnli"}
    fnc = nli_sets.read_files(shared, nli_sets.get_set("fnc1"), "train")
    assert [(r["premise"], r["label"]) for r in fnc] == [
        ("The article body.", "entailment"),
        ("The article body.", "contradiction"),
    ]


def test_missing_files_are_skipped_not_fatal(shared: Path):
    assert nli_sets.read_files(shared, nli_sets.get_set("anli"), "train") == []


def test_corpus_excludes_eval_pairs_balances_and_caps(shared: Path):
    held = nli_sets.read_files(shared, nli_sets.get_set("mnli"), "eval")
    corpus = nli_sets.build_corpus(shared, ["mnli", "fnc1"], 1000, 0, 0.0, seed=1, exclude=held)
    keys = {(r["premise"], r["hypothesis"]) for r in corpus.train}
    assert ("p0", "h0") not in keys and corpus.duplicates == 1
    counts = Counter(r["label"] for r in corpus.train)
    assert set(counts.values()) == {11}  # 10 mnli + 1 fnc1 contradictions: every label cut to that
    capped = nli_sets.build_corpus(shared, ["mnli"], 1000, 15, 0.2, seed=1)
    assert len(capped.train) + len(capped.dev) == 15 and len(capped.dev) == 3


def test_unknown_set_names_the_known_ones():
    with pytest.raises(ValueError, match=r"known: .*mnli"):
        nli_sets.get_set("mnly")


def test_stratified_sample_evens_labels_as_far_as_possible():
    rows = [{"label": "entailment", "i": i} for i in range(50)] + [{"label": "neutral", "i": i} for i in range(5)]
    out = nli_sets.stratified_sample(rows, 20, random.Random(0))
    assert Counter(r["label"] for r in out) == {"entailment": 15, "neutral": 5}


def test_registry_train_and_eval_files_never_overlap():
    for s in nli_sets.REGISTRY.values():
        assert not set(s.train) & set(s.eval), s.name
    assert "breaking_nli" not in nli_sets.DEFAULT_TRAIN_SETS  # evaluation-only by its licence note
