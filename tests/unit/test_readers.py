"""Reading articles: formats, boilerplate, and bad input that must be skipped without losing the rest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from quotecontra.readers import ReaderOptions, ReadReport, english_score, iter_articles, strip_boilerplate

BOILER = ("leave a comment", "live tv", "newsletter", r"subscribe( to)?( our)?( newsletter)?.*")
GOOD = (
    "Harbour vote delayed\n\nThe council said on Monday that the vote on the harbour bridge would be delayed "
    "until the spring, and the mayor told reporters that he was not worried about the cost of the work."
)


def _opts(**kw) -> ReaderOptions:
    return ReaderOptions(boilerplate=BOILER, **kw)


def test_txt_folder_ids_and_titles(tmp_path: Path) -> None:
    (tmp_path / "a-1.txt").write_text(GOOD, encoding="utf-8")
    (tmp_path / "b-2.txt").write_text(GOOD.replace("Harbour", "River"), encoding="utf-8")
    arts = list(iter_articles(tmp_path, _opts()))
    assert [a.id for a in arts] == ["a-1", "b-2"]
    assert arts[0].title == "Harbour vote delayed"
    assert arts[1].title == "River vote delayed"


def test_boilerplate_lines_removed_but_sentences_kept() -> None:
    text = GOOD + "\n\nLeave A Comment\n\nLive Tv\n\n\nNewsletter\n\nSubscribe to our newsletter to stay."
    out = strip_boilerplate(text, BOILER)
    assert out == GOOD
    sentence = "She said the newsletter she edits was closed by the council after a long dispute over funding."
    assert strip_boilerplate(sentence, BOILER) == sentence


def test_jsonl_input_with_bad_lines(tmp_path: Path) -> None:
    f = tmp_path / "arts.jsonl"
    lines = [
        json.dumps({"id": "x1", "title": "T", "text": GOOD, "url": "http://example.org/x1"}),
        "{not json",
        json.dumps({"id": "x2"}),
        json.dumps({"id": "x3", "text": GOOD}),
        json.dumps({"id": "x1", "text": GOOD}),
    ]
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = ReadReport()
    arts = list(iter_articles(f, _opts(), report))
    assert [a.id for a in arts] == ["x1", "x3"]
    assert arts[0].meta["url"] == "http://example.org/x1"
    assert report.read == 2
    assert report.skipped == {"bad json": 2, "duplicate id": 1}


def test_bad_files_are_skipped_and_batch_goes_on(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text(GOOD, encoding="utf-8")
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02PNG" * 100)
    (tmp_path / "latin1.txt").write_bytes(GOOD.replace("was", "wäs").encode("latin-1"))
    (tmp_path / "huge.txt").write_text(GOOD * 2000, encoding="utf-8")
    (tmp_path / "german.txt").write_text(
        "Der Stadtrat hat am Montag beschlossen, die Abstimmung über die Brücke zu verschieben, "
        "sagte die Bürgermeisterin, und sie werde im Frühjahr stattfinden.",
        encoding="utf-8",
    )
    report = ReadReport()
    arts = list(iter_articles(tmp_path, _opts(max_bytes=100_000), report))
    assert [a.id for a in arts] == ["good"]
    assert report.skipped == {"binary": 1, "empty": 1, "not utf-8": 1, "too large": 1, "not English": 1}
    assert report.summary().startswith("1 articles read; skipped ")
    assert "1 binary" in report.summary()


def test_html_main_text_extracted(tmp_path: Path) -> None:
    body = "".join(f"<p>{s}.</p>" for s in GOOD.split("\n\n")[1].split(", and "))
    html = (
        "<!DOCTYPE html><html><head><title>Harbour vote delayed</title></head><body>"
        "<nav><a href='/'>Home</a> <a href='/news'>News</a></nav>"
        f"<article><h1>Harbour vote delayed</h1>{body}</article>"
        "<footer>Subscribe to our newsletter</footer></body></html>"
    )
    (tmp_path / "page.html").write_text(html, encoding="utf-8")
    arts = list(iter_articles(tmp_path / "page.html", _opts()))
    assert len(arts) == 1
    assert "harbour bridge would be delayed" in arts[0].text
    assert "Home" not in arts[0].text
    assert "<p>" not in arts[0].text


def test_missing_input_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="input="):
        list(iter_articles(tmp_path / "nope", _opts()))


def test_english_score_separates_languages() -> None:
    assert english_score(GOOD) > 0.25
    assert english_score("Der Stadtrat hat am Montag beschlossen, die Abstimmung zu verschieben.") < 0.12
