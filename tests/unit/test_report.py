"""The contradiction report's pure parts: calibration, decisions, ranking, grouping and both renderings."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from quotecontra import report

LABELS = ("contradiction", "entailment", "neutral")


def row(pid: str, p: float, target: str | None, **kw) -> dict:
    """A hand-made report row (what build_rows makes), P(contradiction) = p."""
    base = {
        "id": pid,
        "target": target,
        "article_ids": ["a1"],
        "premise_quote_id": f"{pid}-a",
        "hypothesis_quote_id": f"{pid}-b",
        "premise_speaker": "Ann Lee",
        "hypothesis_speaker": None,
        "premise_quote": "We will open it.",
        "hypothesis_quote": None,
        "premise_claim": "The plant will open.",
        "hypothesis_claim": "The plant will close.",
        "premise_article_id": "a1",
        "hypothesis_article_id": "a1",
        "similarity": 0.5,
        "p_contradiction": p,
        "probs": {"contradiction": p, "entailment": round(1 - p, 4), "neutral": 0.0},
        "predicted": "contradiction" if p >= 0.5 else "entailment",
        "gold": None,
    }
    return {**base, **kw}


def header(rows: list[dict], shown: list[dict], **kw) -> dict:
    ps = [r["p_contradiction"] for r in rows]
    return {
        "run_dir": "runs/x",
        "model": "fake",
        "decision": "argmax",
        "n_pairs": len(rows),
        "n_targets": len(report.group_by_target(rows)),
        "n_contradictions": sum(r["predicted"] == "contradiction" for r in rows),
        "mean_p": float(np.mean(ps)) if ps else 0.0,
        "max_p": max(ps, default=0.0),
        "n_shown": len(shown),
        "top_k": 0,
        "min_probability": 0.0,
        **kw,
    }


def test_temperature_scale_matches_dividing_logits() -> None:
    logits = np.array([[2.0, 0.5, -1.0], [0.0, 0.0, 3.0]])
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    for t in (0.5, 2.0):
        want = np.exp(logits / t) / np.exp(logits / t).sum(axis=1, keepdims=True)
        assert report.temperature_scale(probs, t) == pytest.approx(want, abs=1e-9)
    assert report.temperature_scale(probs, 1.0) is not None
    assert report.temperature_scale(probs, 1.0) == pytest.approx(probs)
    # a zero probability (a baseline that never saw a label) stays finite
    assert np.isfinite(report.temperature_scale(np.array([[1.0, 0.0, 0.0]]), 2.0)).all()


def test_decide_argmax_and_threshold() -> None:
    probs = np.array([[0.35, 0.45, 0.20], [0.25, 0.30, 0.45], [0.60, 0.30, 0.10]])
    assert report.decide(probs, LABELS, None) == ["entailment", "neutral", "contradiction"]
    assert report.decide(probs, LABELS, 0.3) == ["contradiction", "neutral", "contradiction"]
    assert report.decide(probs, LABELS, 0.7) == ["entailment", "neutral", "entailment"]
    # the label order is the classifier's, not LABELS
    assert report.decide(probs[:, ::-1], LABELS[::-1], 0.3)[0] == "contradiction"


def test_load_calibration(tmp_path: Path) -> None:
    assert report.load_calibration(tmp_path) == report.Calibration()
    (tmp_path / "calibration.json").write_text(json.dumps({"temperature": 1.5, "threshold": 0.4, "ece": 0.02}))
    cal = report.load_calibration(tmp_path)
    assert (cal.temperature, cal.threshold) == (1.5, 0.4)
    assert "0.400" in cal.describe()
    (tmp_path / "calibration.json").write_text(json.dumps({"temperature": 1.5, "threshold": 1.4}))
    with pytest.raises(ValueError, match="threshold"):
        report.load_calibration(tmp_path)
    (tmp_path / "calibration.json").write_text(json.dumps({"temperature": 0, "threshold": 0.4}))
    with pytest.raises(ValueError, match="temperature"):
        report.load_calibration(tmp_path)
    (tmp_path / "calibration.json").write_text(json.dumps({"threshold": 0.4}))
    with pytest.raises(ValueError, match=r"calibration\.json"):
        report.load_calibration(tmp_path)


def test_rank_select_and_group() -> None:
    rows = [
        row("b", 0.2, "the plant"),
        row("a", 0.2, "Harbour"),
        row("c", 0.9, "The Plant"),
        row("d", 0.5, "Harbour"),
        row("e", 0.4, None),
    ]
    ranked = report.rank_rows(rows)
    assert [r["id"] for r in ranked] == ["c", "d", "e", "a", "b"]  # ties by id
    assert [r["rank"] for r in ranked] == [1, 2, 3, 4, 5]
    groups = report.group_by_target(ranked)
    # "The Plant" and "the plant" are one target, named as its top pair writes it; groups by their top P
    assert [(name, [r["id"] for r in g]) for name, g in groups] == [
        ("The Plant", ["c", "b"]),
        ("Harbour", ["d", "a"]),
        (report.NO_TARGET, ["e"]),
    ]
    assert [r["id"] for r in report.select_rows(ranked, 2, 0.0)] == ["c", "d"]
    assert [r["id"] for r in report.select_rows(ranked, 0, 0.4)] == ["c", "d", "e"]
    assert report.select_rows(ranked, 0, 0.95) == []


def test_render_markdown_groups_and_escapes() -> None:
    rows = report.rank_rows(
        [row("x", 0.3, "Harbour"), row("y", 0.8, "the *plant*", premise_claim="Tax <b>cuts</b> [now]")]
    )
    md = report.render_markdown(rows, header(rows, rows))
    assert md.index("## the \\*plant\\*") < md.index("## Harbour")
    assert "Tax \\<b>cuts\\</b> \\[now\\]" in md and " <b>" not in md
    assert report.md_text("run_dir _x_ a\nb") == "run_dir \\_x\\_ a b"  # intraword _ stays readable
    assert "**A: Ann Lee**" in md and "**B: unattributed**" in md
    assert "quote: “We will open it.”" in md
    assert "### #1: P(contradiction) 0.800, contradiction" in md
    assert "2 candidate pairs over 2 targets, 1 predicted contradictions" in md


def test_render_html_escapes_every_text() -> None:
    evil = '<script>alert("x")</script> & co'
    rows = report.rank_rows(
        [row("z", 0.7, evil, premise_speaker=evil, premise_quote=evil, hypothesis_claim=evil, article_ids=[evil])]
    )
    page = report.render_html(rows, header(rows, rows, model=evil))
    assert "<script>" not in page
    escaped = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co"
    assert page.count(escaped) >= 6  # target, speaker, quote, claim, articles, model
    assert page.startswith("<!doctype html>") and page.rstrip().endswith("</html>")


def test_empty_reports_say_why() -> None:
    for render in (report.render_markdown, report.render_html):
        assert "No natural candidate pairs in this run" in render([], header([], []))
    rows = report.rank_rows([row("x", 0.3, "Harbour")])
    text = report.render_markdown([], header(rows, [], min_probability=0.9))
    assert "No pair reaches min_probability=0.9 (the highest is 0.300)" in text
    assert "## Harbour" not in text
