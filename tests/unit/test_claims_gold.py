"""Claims against the hand-written gold fixture (fictional text): a floor that fails when claims regress.

The fixture covers direct, mixed and indirect quotes, first person singular and plural, "we" for organisations,
pronoun speakers, predicate complements, denials, questions, fragments and multi-sentence quotes; see
tests/fixtures/claims_gold.jsonl and quotecontra.pairs.claim_eval. `make bench` writes the same figures to
experiments/bench/claims.json.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from quotecontra.pairs.claim_eval import evaluate, load_gold

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "claims_gold.jsonl"
FLOOR = {"exact": 0.95, "token_f1": 0.98, "skip_precision": 0.95, "skip_recall": 0.95}


def test_fixture_is_large_and_covers_every_kind_of_quote():
    gold = load_gold(FIXTURE)
    assert len(gold.quotes) >= 60
    types = Counter(q.type for q in gold.quotes)
    assert min(types["direct"], types["mixed"], types["indirect"]) >= 10
    cats = set(gold.categories.values())
    for cat in (
        "first-singular",
        "first-plural",
        "we-org",
        "pronoun",
        "predicate-complement",
        "denial",
        "question",
        "fragment",
        "multi-sentence",
    ):
        assert cat in cats, cat
    assert sum(v is None for v in gold.expected.values()) >= 10  # skips to be found, not only claims to be made


@pytest.fixture(scope="module")
def result(nlp):
    return evaluate(FIXTURE, nlp)


def test_claims_meet_the_quality_floor(result):
    scores, misses = result
    report = "\n".join(
        f"{m['id']} [{m['category']}]: expected {m['expected']!r}, got {m['predicted']!r}" for m in misses
    )
    for name, floor in FLOOR.items():
        assert getattr(scores, name) >= floor, f"{name} {getattr(scores, name):.3f} < {floor}\n{report}"


def test_no_category_collapses(result):
    scores, _ = result
    for cat, figures in scores.by_category.items():
        assert figures["token_f1"] >= 0.75, (cat, figures)
