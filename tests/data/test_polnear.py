"""PolNeAR reader: brat parsing (inline, no data needed) and invariants on the real dev split (../shared/polnear)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from quotecontra.polnear import ROLES, attributions_from, iter_polnear, parse_ann, split_filenames
from quotecontra.quote_eval import polnear_gold_quotes, score_polnear, word_spans
from quotecontra.readers import ReadReport

ANN = (
    "T1\tSource 0 3\tShe\n"
    "T2\tCue 4 8\tsaid\n"
    "T3\tContent 9 20;25 30\tsomething else\n"
    "T4\tAttribution 4 8\tsaid\n"
    "E1\tAttribution:T4 Content:T3 Cue:T2 Source:T1 Content2:T5\n"
    "T5\tContent 40 44\tmore\n"
    "T6\tCue 50 54\twrote\n"
    "T7\tContent 60 70\ta span that\n"
    "continues on the next line\n"
    "E2\tAttribution-no-source:T8 Content:T7 Cue:T6\n"
    "T8\tAttribution 50 54\twrote\n"
    "E3\tAttribution-no-source:T9 \n"
    "#1\tAnnotatorNotes T3\tis this content?\n"
    "T10\tDiscard 80 90\tFollow us\n"
)


def test_parse_ann_roles_discontinuous_spans_and_incomplete_events():
    ann = parse_ann(ANN)
    assert ann.spans["T3"][1] == ((9, 20), (25, 30))
    atts, skipped = attributions_from(ann)
    assert skipped == 1  # E3 has neither content nor cue
    by_id = {a.id: a for a in atts}
    assert by_id["E1"].content == ((9, 20), (25, 30), (40, 44))  # Content2 continues the content
    assert by_id["E1"].source == ((0, 3),) and by_id["E1"].cue == ((4, 8),)
    assert by_id["E2"].source == () and by_id["E2"].content == ((60, 70),)


@pytest.fixture(scope="module")
def polnear_root(shared_dir: Path) -> Path:
    root = shared_dir / "polnear"
    if not (root / "metadata.tsv").exists():
        pytest.skip(f"PolNeAR not found under {root}")
    return root


@pytest.fixture(scope="module")
def dev_docs(polnear_root: Path):
    report = ReadReport()
    docs = list(iter_polnear(polnear_root, "dev", report=report))
    return docs, report


def test_split_sizes_by_article_listing(polnear_root):
    sizes = {s: len(split_filenames(polnear_root, s)) for s in ("train", "dev", "test")}
    assert sizes == {"train": 840, "dev": 84, "test": 84}
    assert not set(split_filenames(polnear_root, "dev")) & set(split_filenames(polnear_root, "test"))


def test_dev_reads_every_article_once(dev_docs):
    docs, report = dev_docs
    assert report.read == len(docs) == 84 and not report.skips
    assert len({d.article.id for d in docs}) == 84


def _norm(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


def test_every_span_slices_to_its_annotated_text(dev_docs, polnear_root):
    docs, _ = dev_docs
    checked = mismatched = 0
    for d in docs:
        text = d.article.text
        ann = parse_ann(
            (polnear_root / "dev" / "attributions" / f"{d.article.id}_{d.annotator}.ann").read_text("utf-8")
        )
        for a in d.attributions:
            for role in ROLES:
                for s, e in a.role(role):
                    assert 0 <= s < e <= len(text)
        for _tid, (_typ, spans, echoed) in ann.spans.items():
            sliced = _norm(" ".join(text[s:e] for s, e in spans))
            checked += 1
            # brat echoes the span text; one that crosses a newline is echoed only up to it
            mismatched += not sliced.startswith(_norm(echoed))
    assert checked > 1000 and mismatched == 0


def test_dev_counts_are_plausible(dev_docs):
    docs, _ = dev_docs
    n = sum(len(d.attributions) for d in docs)
    # PolNeAR: ~24k attributions over ~1000 articles
    assert 10 * len(docs) <= n <= 45 * len(docs)
    with_source = sum(bool(a.source) for d in docs for a in d.attributions)
    assert 0.8 < with_source / n < 0.99
    assert sum(d.skipped_events for d in docs) < 0.02 * n


def test_gold_as_prediction_scores_one_and_perturbations_cost(dev_docs):
    docs, _ = dev_docs
    preds = [q for d in docs for q in polnear_gold_quotes(d)]
    res = score_polnear(preds, docs)
    contiguous_sources = all(len(a.source) <= 1 for d in docs for a in d.attributions)
    for role in ROLES:
        if role == "source" and not contiguous_sources:
            assert res[role]["exact"]["f1"] > 0.99
            continue
        assert res[role]["exact"]["f1"] == 1.0
        assert res[role]["overlap"]["f1"] == 1.0

    half = preds[::2]
    r = score_polnear(half, docs)["content"]
    assert r["exact"]["p"] == 1.0 and r["exact"]["r"] == pytest.approx(len(half) / len(preds), abs=0.01)

    # drop the final word of each content: no longer exact, still mostly overlapping
    trimmed = []
    for d in docs:
        words = word_spans(d.article.text)
        for q in polnear_gold_quotes(d):
            s, e = q.spans[-1]
            inside = [w for w in words if s <= w[0] and w[1] <= e]
            if len(inside) >= 2:
                q = q.model_copy(update={"spans": [*q.spans[:-1], (s, inside[-1][0])]})
            trimmed.append(q)
    t = score_polnear(trimmed, docs)["content"]
    assert t["exact"]["f1"] < 0.2
    assert t["overlap"]["p"] == 1.0 and 0.85 < t["overlap"]["r"] < 1.0


def test_polnear_stage_scores_whatever_the_engine_predicts(make_cfg, tmp_path, polnear_root, monkeypatch):
    """The stage wiring (read, cap, predict, score, write, metric keys) with gold attributions as the 'engine'."""
    import json

    from quotecontra import quote_eval
    from quotecontra.cli import dispatch
    from quotecontra.runpaths import RunPaths

    gold = {d.article.id: d for d in iter_polnear(polnear_root, "train", max_articles=5)}

    def fake_engine(articles, cfg):
        return [q for a in articles for q in polnear_gold_quotes(gold[a.id])][::2]

    monkeypatch.setattr(quote_eval, "_annotate", fake_engine)
    cfg = make_cfg(
        "stage=evaluate-quotes", "dataset=polnear", "split=train", "quote_eval.max_articles=5", run_dir=tmp_path
    )
    metrics = dispatch(cfg)
    written = json.loads(RunPaths.of(tmp_path).quote_metrics.read_text())
    assert written["n_articles"] == 5 and written["split"] == "train"
    assert metrics["polnear.content.exact.p"] == 1.0
    assert metrics["polnear.content.exact.r"] == pytest.approx(0.5, abs=0.05)
    assert set(metrics) >= {f"polnear.{r}.{k}.f1" for r in ROLES for k in ("exact", "overlap")}
