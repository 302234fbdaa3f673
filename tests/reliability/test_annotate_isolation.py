"""One article can at worst be skipped: pathological, oversized and failing articles beside normal ones.

Every test runs a batch that mixes normal articles with bad ones and asserts both halves: the normal articles'
records are written, and each bad article is in annotate_report.json with its id and reason (or, where it is only
slow, annotated in time). Window sizes are lowered in some tests only so that an over-budget article trips its
budget after a small window rather than after a 100,000-character one; the logic is the same.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from quotecontra.annotate import AnnotateOptions, build_nlp, run, span_text, stream
from quotecontra.annotate.stream import annotate_articles
from quotecontra.records import Article, Quote, read_jsonl
from quotecontra.runpaths import RunPaths
from quotecontra.tracking import Tracker

NORMAL = {
    "good-1": "Council votes on the budget\n\n"
    "“We will balance the books this year,” said Mayor Helena Voss on Tuesday.\n\n"
    "Opposition leader Owen Pritchard said the figures had been inflated by the council.\n",
    "good-2": "Clinic to close\n\n"
    "The trust said the clinic would reopen in March once new staff had been recruited.\n\n"
    "“This is a pause, not a closure,” said Dr Helen Ashcombe, the trust’s chief executive.\n",
}
CUE = "the mayor said it was good and the council said "


def _prose(root: Path, chars: int) -> str:
    """Real article prose (the sample corpus's bodies) repeated to ``chars`` characters, one paragraph a line."""
    body = "".join(
        p.read_text(encoding="utf-8").split("\n", 1)[1] for p in sorted((root / "data/samples").glob("*.txt"))[:4]
    )
    body = "\n".join(line for line in body.splitlines() if line.strip()) + "\n"
    return "Long article\n" + body * (chars // len(body) + 1)


def _run(tmp_path: Path, make_cfg, files: dict[str, str], *overrides: str) -> tuple[dict, list[str], list[Quote]]:
    folder = tmp_path / "in"
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / f"{name}.txt").write_text(text, encoding="utf-8")
    cfg = make_cfg(f"input={folder}", *overrides, run_dir=tmp_path / "run")
    result = run(cfg, Tracker())
    paths = RunPaths.of(tmp_path / "run")
    report = json.loads(paths.annotate_report.read_text())
    articles = {a.id: a for a in read_jsonl(paths.articles, Article)}
    quotes = list(read_jsonl(paths.quotes, Quote))
    for q in quotes:
        assert span_text(articles[q.article_id].text, q.spans) == q.text
    report["summary"] = result.summary[0]
    return report, list(articles), quotes


def _by_article(quotes: list[Quote]) -> dict[str, list[Quote]]:
    out: dict[str, list[Quote]] = {}
    for q in quotes:
        out.setdefault(q.article_id, []).append(q)
    return out


def _assert_normal(by: dict[str, list[Quote]]) -> None:
    assert any(q.speaker == "Helena Voss" and q.type == "direct" for q in by["good-1"])
    assert any(q.speaker == "Owen Pritchard" and q.type == "indirect" for q in by["good-1"])
    assert any(q.speaker == "Helen Ashcombe" for q in by["good-2"])


def test_pathological_folder_annotates_the_normal_articles_and_reports_the_bad(
    tmp_path, make_cfg, root, monkeypatch
) -> None:
    monkeypatch.setattr(stream, "WINDOW_CHARS", 8_000)  # the other articles are parsed whole
    files = {
        **NORMAL,
        "repeated-cue": "Council row\n" + (CUE * 150).strip() + ".\n",
        "nested-chain": "Council row\nThe mayor said that " + " ".join(["the council said that"] * 150) + " it was.\n",
        "many-quotes": "Quotes\n" + " ".join(f"“Point {i} stands,” said Ann Lee." for i in range(100)) + "\n",
        "hopeless": _prose(root, 800_000),  # 100 windows: far more than 5 s of parsing
    }
    report, ids, quotes = _run(tmp_path, make_cfg, files, "annotate.max_seconds_per_article=5")
    by = _by_article(quotes)
    assert ids == sorted(files), "every article read is written, in input order"
    _assert_normal(by)
    assert len(by["repeated-cue"]) >= 149
    assert by["nested-chain"] and all(q.text.endswith("it was") for q in by["nested-chain"])
    assert sum(q.type == "direct" and q.speaker == "Ann Lee" for q in by["many-quotes"]) == 100
    assert "hopeless" not in by
    (err,) = report["annotate_errors"]
    assert err["id"] == "hopeless" and err["kind"] == "annotate over budget"
    assert "max_seconds_per_article=5" in err["reason"] and "window" in err["reason"]
    assert report["annotate_errors_by_kind"] == {"annotate over budget": 1}
    assert {"source": "hopeless", "reason": err["reason"]} in report["skips"]
    assert "annotate over budget 1" in report["summary"]


def test_thirteen_megabyte_article_over_max_length_is_skipped_and_the_batch_written(
    tmp_path, make_cfg, root, monkeypatch
) -> None:
    """data.max_bytes above nlp.max_length used to end the run with spaCy's E088; now one article is skipped."""
    monkeypatch.setattr(stream, "WINDOW_CHARS", 5_000)
    huge = _prose(root, 13_000_000)
    assert len(huge) > build_nlp(AnnotateOptions().spacy_model).max_length
    report, ids, quotes = _run(
        tmp_path, make_cfg, {**NORMAL, "huge": huge}, "data.max_bytes=20000000", "annotate.max_seconds_per_article=1"
    )
    by = _by_article(quotes)
    _assert_normal(by)
    assert ids == ["good-1", "good-2", "huge"] and "huge" not in by
    assert [(e["id"], e["kind"]) for e in report["annotate_errors"]] == [("huge", "annotate over budget")]
    assert report["parsed_words"] == sum(len(t.split()) for t in NORMAL.values()), "a skipped article is not counted"


def test_article_longer_than_max_length_is_annotated_in_windows() -> None:
    """Below the budget, an article over ``nlp.max_length`` is parsed in paragraph windows, not refused."""
    nlp = build_nlp(AnnotateOptions().spacy_model)
    paras = [f"Councillor Number{i} said the bridge number {i} would reopen in the spring." for i in range(120)]
    text = "Bridges\n" + "\n".join(paras) + "\n"
    saved = nlp.max_length
    nlp.max_length = 2_000
    try:
        assert len(text) > nlp.max_length
        errors: list[tuple[str, str]] = []
        ((_, quotes),) = list(annotate_articles([Article(id="long", text=text)], nlp, AnnotateOptions(), errors=errors))
    finally:
        nlp.max_length = saved
    assert errors == []
    assert len(quotes) == 120, "one record per paragraph, the windows' records at the article's offsets"
    for q, i in zip(quotes, range(120), strict=True):
        assert q.text == span_text(text, q.spans) == f"the bridge number {i} would reopen in the spring"
        assert q.id == "long:" + "+".join(f"{s}-{e}" for s, e in q.spans)
        assert text[slice(*q.cue_span)] == "said"


def test_injected_exception_is_isolated_and_not_cached(tmp_path, make_cfg, monkeypatch) -> None:
    real = stream.annotate_doc

    def flaky(doc, article, options, **kw):
        if article.id == "boom":
            raise RuntimeError("injected failure")
        return real(doc, article, options, **kw)

    monkeypatch.setattr(stream, "annotate_doc", flaky)
    files = {**NORMAL, "boom": NORMAL["good-1"].replace("Tuesday", "Wednesday")}
    for attempt in (1, 2):  # the failed article is not cached: the rerun tries it again
        report, ids, quotes = _run(tmp_path, make_cfg, files, "annotate.incremental=true")
        by = _by_article(quotes)
        _assert_normal(by)
        assert ids == ["boom", "good-1", "good-2"] and "boom" not in by
        assert report["annotate_errors"] == [
            {"id": "boom", "kind": "annotate error", "reason": "annotate error: RuntimeError: injected failure"}
        ]
        assert report["cached_articles"] == (0 if attempt == 1 else 2)


class BreakingParser:
    """The real pipeline, except that a batch holding one marked text fails as a whole (as spaCy's pipe does)."""

    def __init__(self, nlp, marker: str) -> None:
        self.nlp, self.marker, self.max_length = nlp, marker, nlp.max_length
        self.batches = 0

    def pipe(self, items, as_tuples: bool = True, batch_size: int = 16, n_process: int = 1):
        batch: list = []
        for item in items:
            batch.append(item)
            if len(batch) == batch_size:
                yield from self._run(batch)
                batch = []
        if batch:
            yield from self._run(batch)

    def _run(self, batch):
        self.batches += 1
        if any(self.marker in text for text, _ in batch):
            raise ValueError("a component failed on this batch")
        yield from self.nlp.pipe(batch, as_tuples=True)

    def __call__(self, text: str):
        if self.marker in text:
            raise ValueError("a component failed on this text")
        return self.nlp(text)


def test_parse_failure_loses_only_the_article_that_caused_it() -> None:
    parser = BreakingParser(build_nlp(AnnotateOptions().spacy_model), "BREAKS THE PARSER")
    texts = [NORMAL["good-1"], NORMAL["good-2"], "Bad\nBREAKS THE PARSER, said the mayor of the town.\n"]
    articles = [Article(id=f"a{i}", text=texts[i % 3]) for i in range(8)]  # a2 and a5 break their batch
    errors: list[tuple[str, str]] = []
    out = list(annotate_articles(articles, lambda: parser, AnnotateOptions(batch_size=4), errors=errors))
    assert [a.id for a, _ in out] == [a.id for a in articles]
    assert errors == [
        ("a2", "annotate error: ValueError: a component failed on this text"),
        ("a5", "annotate error: ValueError: a component failed on this text"),
    ]
    for art, quotes in out:
        assert bool(quotes) == (art.id not in {"a2", "a5"}), art.id


def test_ray_actor_isolates_a_failing_article(tmp_path, monkeypatch) -> None:
    """The Ray backend's actor runs the same stream: one failing row, the others annotated (no cluster needed)."""
    from quotecontra.scale import AnnotateActor

    real = stream.annotate_doc

    def flaky(doc, article, options, **kw):
        if article.id == "boom":
            raise RuntimeError("injected failure")
        return real(doc, article, options, **kw)

    monkeypatch.setattr(stream, "annotate_doc", flaky)
    arts = [Article(id=i, text=NORMAL["good-1"]) for i in ("a", "boom", "c")]
    batch = {
        "path": np.array(["f"] * 3),
        "line": np.array([1, 2, 3]),
        "source": np.array(["f:1", "f:2", "f:3"]),
        "id": np.array([a.id for a in arts]),
        "article": np.array([a.model_dump_json() for a in arts]),
        "skip": np.array([""] * 3),
    }
    out = AnnotateActor(AnnotateOptions(), str(tmp_path / "cache"), "digest", incremental=True)(batch)
    assert out["error"] == ["", "annotate error: RuntimeError: injected failure", ""]
    assert [n > 0 for n in out["n_quotes"]] == [True, False, True]
    assert out["words"][1] == 0 and out["words"][0] > 0


@pytest.mark.parametrize("seconds", [0.0, -1.0])
def test_a_budget_of_zero_or_less_means_no_limit(seconds: float) -> None:
    text = "Council row\n" + (CUE * 40).strip() + ".\n"
    opts = AnnotateOptions(max_seconds_per_article=seconds)
    errors: list[tuple[str, str]] = []
    ((_, quotes),) = list(
        annotate_articles([Article(id="c", text=text)], build_nlp(opts.spacy_model), opts, errors=errors)
    )
    assert errors == [] and len(quotes) >= 39


def test_a_failing_input_stream_is_not_mistaken_for_one_bad_article() -> None:
    """An error of the input itself (the reader) propagates: swallowing it would silently drop the rest."""

    def articles():
        yield Article(id="a", text=NORMAL["good-1"])
        raise OSError("the input disk went away")

    nlp = build_nlp(AnnotateOptions().spacy_model)
    with pytest.raises(OSError, match="disk went away"):
        list(annotate_articles(articles(), nlp, AnnotateOptions()))


def test_an_unreadable_cache_entry_means_parsing_the_article_again() -> None:
    def known(article: Article):
        raise OSError("cache unreadable")

    nlp = build_nlp(AnnotateOptions().spacy_model)
    errors: list[tuple[str, str]] = []
    ((_, quotes),) = list(
        annotate_articles([Article(id="a", text=NORMAL["good-1"])], nlp, AnnotateOptions(), known, errors)
    )
    assert errors == [] and any(q.speaker == "Helena Voss" for q in quotes)
