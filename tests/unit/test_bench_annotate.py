"""The annotate benchmark's corpus builder (the timing itself runs under `make bench`)."""

from __future__ import annotations

import pytest

from quotecontra.benchmarks.annotate import corpus
from quotecontra.records import Article


def test_corpus_repeats_to_the_word_budget_with_distinct_ids():
    base = [Article(id="a", text="one two three " * 100), Article(id="b", text="four five " * 50)]
    out = corpus(base, min_words=1000)
    assert sum(len(a.text.split()) for a in out) >= 1000
    assert len(out) % len(base) == 0 and len({a.id for a in out}) == len(out)
    assert [a.text for a in out[:2]] == [a.text for a in base]


def test_corpus_needs_articles():
    with pytest.raises(ValueError):
        corpus([], min_words=10)
