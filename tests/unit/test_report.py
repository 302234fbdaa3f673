"""The contradiction report's pure parts: ranking, grouping and both renderings (decisions: test_calibrate)."""

from __future__ import annotations

import numpy as np

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
