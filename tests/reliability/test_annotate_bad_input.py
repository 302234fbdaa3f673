"""Bad input through the annotate stage: each bad file is skipped (or repaired) and counted, the good articles
beside it still give records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from quotecontra.annotate import run, span_text
from quotecontra.records import Article, Quote, read_jsonl
from quotecontra.runpaths import RunPaths
from quotecontra.tracking import Tracker

GOOD = {
    "good-1.txt": "Council votes on the budget\n\n"
    "“We will balance the books this year,” said Mayor Helena Voss on Tuesday.\n\n"
    "Opposition leader Owen Pritchard said the figures had been inflated by the council.\n",
    "good-2.txt": "Clinic to close\n\n"
    "The trust said the clinic would reopen in March once new staff had been recruited.\n\n"
    "“This is a pause, not a closure,” said Dr Helen Ashcombe, the trust’s chief executive.\n",
}


def run_folder(tmp_path: Path, make_cfg, bad: dict[str, bytes]) -> tuple[dict, dict[str, Article], list[Quote]]:
    folder = tmp_path / "in"
    folder.mkdir()
    for name, text in GOOD.items():
        (folder / name).write_text(text, encoding="utf-8")
    for name, raw in bad.items():
        (folder / name).write_bytes(raw)
    cfg = make_cfg(f"input={folder}", run_dir=tmp_path / "run")
    result = run(cfg, Tracker())
    paths = RunPaths.of(tmp_path / "run")
    report = json.loads(paths.annotate_report.read_text())
    articles = {a.id: a for a in read_jsonl(paths.articles, Article)}
    quotes = list(read_jsonl(paths.quotes, Quote))
    assert result.metrics["articles"] == len(articles)
    assert {"good-1", "good-2"} <= {q.article_id for q in quotes}, "the good articles still give records"
    for q in quotes:
        assert span_text(articles[q.article_id].text, q.spans) == q.text
    return report, articles, quotes


def assert_skipped(report: dict, reason: str, name: str) -> None:
    assert report["skipped_by_reason"].get(reason) == 1, report["skipped_by_reason"]
    assert report["skipped"] == 1
    assert any(s["source"].endswith(name) and s["reason"].startswith(reason) for s in report["skips"])


def test_empty_file_is_skipped(tmp_path, make_cfg):
    report, articles, _ = run_folder(tmp_path, make_cfg, {"empty.txt": b""})
    assert_skipped(report, "empty", "empty.txt")
    assert "empty" not in articles


def test_binary_file_is_skipped(tmp_path, make_cfg):
    report, articles, _ = run_folder(tmp_path, make_cfg, {"blob.txt": bytes(range(256)) * 40})
    assert_skipped(report, "binary", "blob.txt")
    assert "blob" not in articles


def test_non_utf8_file_is_skipped(tmp_path, make_cfg):
    latin1 = "Le maire a déclaré que le budget était équilibré, selon le conseil municipal.".encode("latin-1")
    report, articles, _ = run_folder(tmp_path, make_cfg, {"latin1.txt": latin1})
    assert_skipped(report, "not utf-8", "latin1.txt")
    assert "latin1" not in articles


def test_html_page_is_reduced_to_text_and_annotated(tmp_path, make_cfg):
    paragraphs = "".join(
        f"<p>{p}</p>"
        for p in [
            "The regional assembly passed the budget on Thursday after a long debate in the chamber.",
            "“This is the largest single investment in Harwick for a generation,” said Rhona Delacourt, "
            "the finance minister, after the vote.",
            "Opposition leader Tomas Adeyemi said the bridge money had been counted twice by the government.",
        ]
    )
    html = (
        "<!DOCTYPE html><html><head><title>Assembly passes budget</title></head><body>"
        "<nav>Home | News | Sport</nav><article><h1>Assembly passes budget</h1>"
        f"{paragraphs}</article><footer>Copyright 2025</footer></body></html>"
    )
    report, articles, quotes = run_folder(tmp_path, make_cfg, {"page.html": html.encode()})
    assert report["skipped"] == 0
    page = articles["page"]
    assert "<p>" not in page.text and "Home | News" not in page.text
    page_quotes = [q for q in quotes if q.article_id == "page"]
    assert any(q.type == "direct" and q.speaker == "Rhona Delacourt" for q in page_quotes)


def test_ten_megabyte_file_is_skipped_without_stopping_the_batch(tmp_path, make_cfg):
    big = ("The council said the budget was balanced. " * 250_000).encode()
    assert len(big) > 10_000_000
    report, articles, _ = run_folder(tmp_path, make_cfg, {"huge.txt": big})
    assert_skipped(report, "too large", "huge.txt")
    assert "huge" not in articles


def test_unbalanced_marks_are_recovered_not_dropped(tmp_path, make_cfg):
    text = (
        "Bridge row deepens\n\n"
        "“The bridge will reopen in March, said Mayor Helena Voss at the council meeting.\n\n"
        "Engineers said the repairs would take until the summer at the earliest.\n\n"
        'Nobody believes the date,” said Owen Pritchard. He said "the council has "no plan.\n'
    )
    report, articles, quotes = run_folder(tmp_path, make_cfg, {"unbalanced.txt": text.encode()})
    assert report["skipped"] == 0 and "unbalanced" in articles
    mine = [q for q in quotes if q.article_id == "unbalanced"]
    assert any(q.text.startswith("The bridge will reopen in March") for q in mine)
    assert any(q.text.startswith("Nobody believes the date") and q.speaker == "Owen Pritchard" for q in mine)
    assert any(q.text == "the repairs would take until the summer at the earliest" for q in mine)


def test_non_english_article_is_skipped(tmp_path, make_cfg):
    german = (
        "Der Bürgermeister sagte am Dienstag, dass die Brücke im März wieder geöffnet werde. "
        "Die Opposition bezweifelt diese Angaben und fordert eine unabhängige Prüfung der Kosten."
    )
    report, articles, _ = run_folder(tmp_path, make_cfg, {"german.txt": german.encode()})
    assert_skipped(report, "not English", "german.txt")
    assert "german" not in articles


@pytest.mark.parametrize("incremental", [True, False])
def test_summary_line_counts_skips_by_reason(tmp_path, make_cfg, incremental):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.txt").write_text(GOOD["good-1.txt"], encoding="utf-8")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "blob.txt").write_bytes(b"\x00\x01" * 100)
    cfg = make_cfg(f"input={folder}", f"annotate.incremental={str(incremental).lower()}", run_dir=tmp_path / "r")
    result = run(cfg, Tracker())
    assert result.metrics["skipped"] == 2 and result.metrics["articles"] == 1
    assert "skipped 2 (binary 1, empty 1)" in result.summary[0]
