"""Gold files in data/gold: each loads with its article, quotes are verbatim, pairs name real quotes with valid labels.

The logic follows tools/check_gold.py (the corpus authors' checker); the loader is the one evaluate-quotes uses.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from quotecontra.quote_eval import QUOTE_TYPES, load_gold, normalize_text
from quotecontra.records import LABELS

GOLD_DIR = Path(__file__).resolve().parents[2] / "data" / "gold"
GOLD_FILES = sorted(GOLD_DIR.glob("*.json"))


def _raw(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_enough_gold_files():
    assert len(GOLD_FILES) >= 12, f"{len(GOLD_FILES)} gold files in {GOLD_DIR}; the corpus needs at least 12"


@pytest.mark.parametrize("path", GOLD_FILES, ids=lambda p: p.stem)
def test_gold_file_loads_and_quotes_are_verbatim(path: Path):
    (g,) = load_gold(path)  # raises on a malformed file or a missing article
    assert g.article_path.parent.name == "samples"
    assert g.group in {"dev", "heldout"}, f"{path.name}: split must be dev or heldout"
    text = normalize_text(g.article_text)
    ids = [q.id for q in g.quotes]
    assert len(ids) == len(set(ids)), f"{path.name}: duplicate quote ids"
    for q in g.quotes:
        assert q.type in QUOTE_TYPES
        for piece in q.pieces or (q.text,):
            assert normalize_text(piece) in text, f"{path.name} {q.id}: not verbatim in the article: {piece[:60]!r}"
    for q in _raw(path)["quotes"]:
        assert q["speaker"] is None or (isinstance(q["speaker"], list) and q["speaker"]), f"{path.name} {q['id']}"
        assert isinstance(q["target"], list) and q["target"], f"{path.name} {q['id']}: target must be a non-empty list"


@pytest.mark.parametrize("path", GOLD_FILES, ids=lambda p: p.stem)
def test_pairs_name_existing_quotes_with_valid_labels(path: Path):
    raw = _raw(path)
    ids = {q["id"] for q in raw["quotes"]}
    for p in raw.get("pairs", []):
        assert p["a"] in ids and p["b"] in ids, f"{path.name}: pair {p} names an unknown quote"
        assert p["a"] != p["b"]
        assert p["label"] in LABELS, f"{path.name}: label {p['label']!r}"


def test_enough_pairs_with_every_label():
    labels = Counter(p["label"] for f in GOLD_FILES for p in _raw(f).get("pairs", []))
    assert sum(labels.values()) >= 40, f"only {sum(labels.values())} gold pairs: {dict(labels)}"
    assert set(labels) == set(LABELS), f"labels present: {dict(labels)}"


def test_one_gold_file_per_article():
    articles = Counter(_raw(f)["article"] for f in GOLD_FILES)
    assert not [a for a, n in articles.items() if n > 1]
