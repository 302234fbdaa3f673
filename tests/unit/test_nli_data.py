"""External NLI readers: CAD tsv, Breaking NLI jsonl, configured sources; bad rows are skipped, not crashed on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from quotecontra import nli_data


def test_cad_tsv_skips_rows_without_a_label(tmp_path: Path) -> None:
    p = tmp_path / "x.tsv"
    p.write_text(
        "sentence1\tsentence2\tgold_label\nA dog runs.\tAn animal moves.\tentailment\nA.\tB.\t-\n\tB.\tneutral\n"
    )
    rows = nli_data.read_cad_tsv(p)
    assert rows == [
        {"premise": "A dog runs.", "hypothesis": "An animal moves.", "label": "entailment", "origin": "cad"}
    ]


def test_cad_tsv_wrong_header_is_a_clear_error(tmp_path: Path) -> None:
    p = tmp_path / "x.tsv"
    p.write_text("premise\thypothesis\nA\tB\n")
    with pytest.raises(ValueError, match="missing columns"):
        nli_data.read_cad_tsv(p)


def test_jsonl_keeps_category_as_origin_and_skips_bad_lines(tmp_path: Path) -> None:
    p = tmp_path / "b.jsonl"
    good = {"sentence1": "A red car.", "sentence2": "A blue car.", "gold_label": "contradiction", "category": "colors"}
    p.write_text(json.dumps(good) + "\nnot json\n" + json.dumps({**good, "gold_label": "-"}) + "\n")
    rows = nli_data.read_jsonl_nli(p)
    assert len(rows) == 1 and rows[0]["origin"] == "breaking_nli:colors"


def test_sample_is_seeded_and_capped() -> None:
    rows = [{"premise": str(i), "hypothesis": "h", "label": "neutral", "origin": "x"} for i in range(50)]
    a, b = nli_data.sample(rows, 10, seed=1), nli_data.sample(rows, 10, seed=1)
    assert a == b and len(a) == 10
    assert nli_data.sample(rows, 0, seed=1) == rows


def test_unknown_source_names_the_options(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="hub:NAME"):
        nli_data.load_source("nope.tsv", tmp_path)


def test_shared_sets_read(shared_dir: Path) -> None:
    cad = nli_data.load_sources(["cad"], shared_dir, max_pairs=0, seed=1, split="test")
    assert len(cad) == 1600 and {r["label"] for r in cad} == {"contradiction", "entailment", "neutral"}
    breaking = nli_data.load_source("breaking_nli", shared_dir)
    assert len(breaking) > 8000 and all(r["origin"].startswith("breaking_nli") for r in breaking[:10])
