"""Invariants of the annotate stage's records on every article of the sample corpus.

Every span slices exactly to its record's text; ids are unique and the same in two runs; every record names its
rule and carries a confidence; articles.jsonl holds every article that was read.
"""

from __future__ import annotations

import json
from itertools import pairwise

import pytest

from quotecontra.annotate import run, span_text
from quotecontra.records import Article, Quote, quote_id, read_jsonl
from quotecontra.runpaths import RunPaths
from quotecontra.tracking import Tracker


@pytest.fixture(scope="module")
def sample_runs(make_cfg, root, tmp_path_factory):
    """The stage run twice from scratch on data/samples (no cache), plus a third, cached, run."""
    if not any((root / "data" / "samples").glob("*.txt")):
        pytest.skip("data/samples holds no articles yet")
    out = []
    for name in ("a", "b"):
        run_dir = tmp_path_factory.mktemp(name)
        cfg = make_cfg(f"input={root / 'data' / 'samples'}", "annotate.incremental=false", run_dir=run_dir)
        run(cfg, Tracker())
        out.append(RunPaths.of(run_dir))
    return out


def _load(paths: RunPaths) -> tuple[dict[str, Article], list[Quote]]:
    articles = {a.id: a for a in read_jsonl(paths.articles, Article)}
    return articles, list(read_jsonl(paths.quotes, Quote))


def test_every_span_slices_to_its_text(sample_runs):
    articles, quotes = _load(sample_runs[0])
    assert quotes, "the sample corpus must give records"
    bad = [q.id for q in quotes if span_text(articles[q.article_id].text, q.spans) != q.text]
    assert bad == []


def test_spans_are_trimmed_and_inside_the_article(sample_runs):
    articles, quotes = _load(sample_runs[0])
    for q in quotes:
        text = articles[q.article_id].text
        for s, e in q.spans:
            assert 0 <= s < e <= len(text)
            assert text[s:e] == text[s:e].strip()
        for span in (q.speaker_span, q.cue_span):
            if span is not None:
                assert 0 <= span[0] < span[1] <= len(text)


def test_ids_are_unique_derived_from_spans_and_stable_across_runs(sample_runs):
    _, first = _load(sample_runs[0])
    _, second = _load(sample_runs[1])
    ids = [q.id for q in first]
    assert len(ids) == len(set(ids))
    assert all(q.id == quote_id(q.article_id, q.spans) for q in first)
    assert ids == [q.id for q in second]
    assert [q.model_dump() for q in first] == [q.model_dump() for q in second]


def test_every_record_names_its_rule_and_a_confidence(sample_runs):
    _, quotes = _load(sample_runs[0])
    assert all(q.rule and 0.0 < q.confidence <= 1.0 for q in quotes)
    assert all(q.cue is None or q.cue_span is not None for q in quotes)
    # the rules that carry the guide's patterns all fire on the corpus
    prefixes = {q.rule.split(":")[0].split("+")[0] for q in quotes}
    assert {"direct", "indirect", "mixed", "according_to"} <= prefixes


def test_no_text_inside_quote_marks_of_a_mixed_record(sample_runs):
    _, quotes = _load(sample_runs[0])
    for q in quotes:
        if q.type != "direct":
            assert not any(m in q.text for m in "“”«»"), q.id


def test_records_do_not_overlap_within_an_article(sample_runs):
    _, quotes = _load(sample_runs[0])
    by_article: dict[str, list[tuple[int, int]]] = {}
    for q in quotes:
        by_article.setdefault(q.article_id, []).extend(q.spans)
    for spans in by_article.values():
        spans.sort()
        assert all(a[1] <= b[0] for a, b in pairwise(spans))


def test_report_counts_match_the_files(sample_runs):
    paths = sample_runs[0]
    articles, quotes = _load(paths)
    report = json.loads(paths.annotate_report.read_text())
    assert report["articles"] == len(articles)
    assert report["quotes"] == len(quotes) == sum(report["quotes_by_type"].values())
    assert sum(report["quotes_by_rule"].values()) == len(quotes)


def test_incremental_rerun_reuses_every_unchanged_article(make_cfg, root, tmp_path):
    """An unchanged corpus is served from the cache (no parse at all); an edited article alone is re-parsed."""
    samples = sorted((root / "data" / "samples").glob("*.txt"))[:3]
    if len(samples) < 3:
        pytest.skip("data/samples holds fewer than 3 articles")
    folder = tmp_path / "in"
    folder.mkdir()
    for p in samples:
        (folder / p.name).write_text(p.read_text(encoding="utf-8"), encoding="utf-8")
    cfg = make_cfg(f"input={folder}", "annotate.incremental=true", run_dir=tmp_path / "run")
    paths = RunPaths.of(tmp_path / "run")
    first = run(cfg, Tracker())
    quotes_first = paths.quotes.read_text()
    second = run(cfg, Tracker())
    report = json.loads(paths.annotate_report.read_text())
    assert second.metrics["cached_articles"] == 3 and report["parsed_words"] == 0
    assert paths.quotes.read_text() == quotes_first
    assert second.metrics["quotes"] == first.metrics["quotes"]
    edited = folder / samples[0].name
    edited.write_text(edited.read_text(encoding="utf-8") + "\nThe mayor said the plan would be ready by May.\n")
    third = run(cfg, Tracker())
    assert third.metrics["cached_articles"] == 2
    assert any("the plan would be ready by May" in q.text for q in read_jsonl(paths.quotes, Quote))
    changed = make_cfg(f"input={folder}", "annotate.min_indirect_words=4", run_dir=tmp_path / "run")
    assert run(changed, Tracker()).metrics["cached_articles"] == 0, "a record-relevant setting invalidates the cache"
