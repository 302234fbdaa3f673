"""Incremental annotate through the stage runner: a grown corpus costs only its new articles.

(The unchanged-rerun, edited-article and changed-config cases are in tests/data/test_quote_spans.py.)
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from quotecontra.runpaths import RunPaths
from quotecontra.stages import run_stage


@pytest.fixture
def folder(root: Path, tmp_path: Path) -> Path:
    samples = sorted((root / "data" / "samples").glob("*.txt"))[:3]
    if len(samples) < 3:
        pytest.skip("data/samples holds fewer than 3 articles")
    out = tmp_path / "in"
    out.mkdir()
    for p in samples[:2]:
        shutil.copy(p, out / p.name)
    shutil.copy(samples[2], tmp_path / samples[2].name)  # kept aside: the article the corpus grows by
    return out


def _report(run_dir: Path) -> dict:
    return json.loads(RunPaths.of(run_dir).annotate_report.read_text())


def test_grown_corpus_parses_only_the_new_article(make_cfg, folder: Path, tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    cfg = make_cfg(f"input={folder}", run_dir=run_dir)
    first = run_stage("annotate", cfg)
    assert first["cached_articles"] == 0 and first["articles"] == 2
    words_first = _report(run_dir)["parsed_words"]

    new = next(tmp_path.glob("*.txt"))
    shutil.copy(new, folder / new.name)
    grown = run_stage("annotate", cfg)  # the input digest changed, so the stage reruns; the cache does the rest
    rep = _report(run_dir)
    assert grown["articles"] == 3 and grown["cached_articles"] == 2
    assert rep["parsed_words"] == len(new.read_text(encoding="utf-8").split()) != words_first
    ids = [json.loads(line)["id"] for line in RunPaths.of(run_dir).articles.read_text().splitlines()]
    assert ids == sorted(p.stem for p in folder.glob("*.txt")), "cached and new articles keep the input order"


def test_force_rerun_of_unchanged_corpus_parses_nothing(make_cfg, folder: Path, tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    run_stage("annotate", make_cfg(f"input={folder}", run_dir=run_dir))
    quotes = RunPaths.of(run_dir).quotes.read_text()
    again = run_stage("annotate", make_cfg(f"input={folder}", "force=true", run_dir=run_dir))
    assert again["cached_articles"] == again["articles"] == 2
    assert _report(run_dir)["parsed_words"] == 0
    assert RunPaths.of(run_dir).quotes.read_text() == quotes


def test_incremental_off_parses_everything(make_cfg, folder: Path, tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    run_stage("annotate", make_cfg(f"input={folder}", run_dir=run_dir))
    again = run_stage(
        "annotate", make_cfg(f"input={folder}", "force=true", "annotate.incremental=false", run_dir=run_dir)
    )
    assert again["cached_articles"] == 0 and _report(run_dir)["parsed_words"] > 0
