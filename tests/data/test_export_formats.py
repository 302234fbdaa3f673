"""The export and import-annotations stages on a small run dir: every format written, counts right, loads back."""

from __future__ import annotations

import copy
import json
import xml.etree.ElementTree as ET

import pandas as pd
import pytest

from quotecontra.export.demo import build_run_dir
from quotecontra.records import Pair, Quote, read_jsonl
from quotecontra.stages import run_stage


@pytest.fixture(scope="module")
def exported(tmp_path_factory, make_cfg):
    run_dir = tmp_path_factory.mktemp("export_run")
    articles, quotes, splits = build_run_dir(run_dir)
    cfg = make_cfg(run_dir=run_dir)
    metrics = run_stage("export", cfg)
    return run_dir, cfg, metrics, articles, quotes, splits


def test_every_format_is_written_with_the_right_counts(exported):
    run_dir, _, metrics, articles, quotes, splits = exported
    out = run_dir / "export"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["formats"] == ["label_studio", "jsonl", "csv", "hf", "doccano"]
    assert metrics["quotes"] == len(quotes) and metrics["articles"] == len(articles)
    assert {k: metrics[f"pairs_{k}"] for k in splits} == {k: len(v) for k, v in splits.items()}

    # JSONL: records validate and equal the run's
    assert list(read_jsonl(out / "jsonl" / "quotes.jsonl", Quote)) == quotes
    for name, pairs in splits.items():
        assert list(read_jsonl(out / "jsonl" / f"pairs_{name}.jsonl", Pair)) == pairs

    # CSV: one row a record, list cells as JSON text
    qcsv = pd.read_csv(out / "csv" / "quotes.csv")
    assert len(qcsv) == len(quotes)
    assert [json.loads(s) for s in qcsv["spans"]] == [[list(s) for s in q.spans] for q in quotes]
    for name, pairs in splits.items():
        assert len(pd.read_csv(out / "csv" / f"pairs_{name}.csv")) == len(pairs)


def test_hf_dataset_loads_back_into_records(exported):
    import datasets

    run_dir, _, _, _, quotes, splits = exported
    hf = run_dir / "export" / "hf"
    qds = datasets.load_from_disk(str(hf / "quotes"))
    assert [Quote.model_validate(r) for r in qds] == quotes
    pdd = datasets.load_from_disk(str(hf / "pairs"))
    assert set(pdd) == set(splits)
    for name, pairs in splits.items():
        assert [Pair.model_validate(r) for r in pdd[name]] == pairs  # empty test split included


def test_label_studio_tasks_and_configs(exported):
    run_dir, _, metrics, articles, quotes, splits = exported
    ls = run_dir / "export" / "label_studio"
    a_tasks = json.loads((ls / "quotes_tasks.json").read_text())
    p_tasks = json.loads((ls / "pairs_tasks.json").read_text())
    assert len(a_tasks) == len(articles) == metrics["ls_article_tasks"]
    assert len(p_tasks) == len(splits["candidates"]) == metrics["ls_pair_tasks"]
    content = [
        r for t in a_tasks for r in t["predictions"][0]["result"] if r.get("value", {}).get("labels") == ["Content"]
    ]
    assert len(content) == sum(len(q.spans) for q in quotes)
    for name in ("quotes_config.xml", "pairs_config.xml"):
        ET.fromstring((ls / name).read_text())


def test_doccano_entities_read_the_text(exported):
    run_dir, _, _, articles, quotes, _ = exported
    lines = [json.loads(x) for x in (run_dir / "export" / "doccano" / "quotes.jsonl").read_text().splitlines()]
    assert [x["article_id"] for x in lines] == [a.id for a in articles]
    for line, art in zip(lines, articles, strict=True):
        assert line["text"] == art.text
        ents = {e["id"]: e for e in line["entities"]}
        content = sorted((e["start_offset"], e["end_offset"]) for e in ents.values() if e["label"] == "Content")
        assert content == sorted(s for q in quotes if q.article_id == art.id for s in q.spans)
        assert all(r["from_id"] in ents and r["to_id"] in ents for r in line["relations"])


def test_push_to_hub_is_opt_in(tmp_path, make_cfg, monkeypatch):
    import datasets

    pushed = []
    monkeypatch.setattr(datasets.DatasetDict, "push_to_hub", lambda self, repo, **kw: pushed.append((repo, kw)))
    monkeypatch.setattr(datasets.Dataset, "push_to_hub", lambda self, repo, **kw: pushed.append((repo, kw)))
    build_run_dir(tmp_path)
    run_stage("export", make_cfg("export.formats=[hf]", run_dir=tmp_path))
    assert pushed == []
    run_stage("export", make_cfg("export.formats=[hf]", "export.push_to_hub=me/quotes", "force=true", run_dir=tmp_path))
    assert pushed == [("me/quotes", {"config_name": "pairs"}), ("me/quotes", {"config_name": "quotes"})]


def test_unknown_format_is_a_clear_error(tmp_path, make_cfg):
    build_run_dir(tmp_path)
    with pytest.raises(ValueError, match="unknown \\['parquet'\\]"):
        run_stage("export", make_cfg("export.formats=[parquet]", run_dir=tmp_path))


def test_import_annotations_stage_writes_gold_summary_and_pairs(exported, tmp_path, make_cfg):
    run_dir, _, _, articles, quotes, _ = exported
    ls = run_dir / "export" / "label_studio"
    tasks = json.loads((ls / "quotes_tasks.json").read_text()) + json.loads((ls / "pairs_tasks.json").read_text())
    export = []
    for i, t in enumerate(tasks, 1):
        result = copy.deepcopy(t["predictions"][0]["result"]) if t["predictions"] else []
        if t["data"]["qc_task"] == "pair":
            result = [
                {
                    "id": "l",
                    "from_name": "label",
                    "to_name": "premise",
                    "type": "choices",
                    "value": {"choices": ["neutral"]},
                }
            ]
        who = {"id": 4, "email": "ann@example.org"}
        export.append(
            {
                "id": i,
                "data": t["data"],
                "annotations": [{"id": i, "completed_by": who, "result": result, "updated_at": "2025-03-01T09:00:00Z"}],
            }
        )
    export.append({"id": 99, "data": {"text": "x"}, "annotations": []})
    src = tmp_path / "export.json"
    src.write_text(json.dumps(export))
    cfg = make_cfg(f"file={src}", f"export.import_dir={tmp_path / 'gold'}", run_dir=run_dir)
    cfg.export.import_summary = str(tmp_path / "summary.json")
    cfg.export.import_pairs = str(tmp_path / "pairs.jsonl")
    metrics = run_stage("import-annotations", cfg)

    summary = json.loads((tmp_path / "summary.json").read_text())
    c = summary["counts"]
    assert (c["tasks_total"], c["tasks_imported"], c["tasks_failed"]) == (len(tasks) + 1, len(tasks), 1)
    assert summary["errors"][0]["task"] == "99"
    assert c["quotes"] == len(quotes) and c["quotes_changed"] == 0 and c["gold_files"] == len(articles)
    assert metrics["pairs_labeled"] == c["pairs_labeled"] == 3
    gold = {p.stem: json.loads(p.read_text()) for p in (tmp_path / "gold").glob("*.json")}
    assert set(gold) == {a.id for a in articles}
    assert {q["annotator"] for g in gold.values() for q in g["quotes"]} == {"4"}
    assert {q["updated_at"] for g in gold.values() for q in g["quotes"]} == {"2025-03-01T09:00:00Z"}
    labelled = list(read_jsonl(tmp_path / "pairs.jsonl", Pair))
    assert [p.label for p in labelled] == ["neutral"] * 3


def test_import_without_file_says_how(make_cfg, tmp_path):
    with pytest.raises(ValueError, match=r"file=EXPORT\.json"):
        run_stage("import-annotations", make_cfg(run_dir=tmp_path))


def test_pairs_with_an_empty_split_saved_by_plain_save_to_disk_still_export(tmp_path, make_cfg):
    """datasets writes no shard for an empty split and cannot load the dict back; export reads split by split."""
    import datasets

    from quotecontra.export.formats import hf_datasets
    from quotecontra.runpaths import RunPaths

    _, quotes, splits = build_run_dir(tmp_path)
    paths = RunPaths.of(tmp_path)
    _, dd = hf_datasets(quotes, {k: v for k, v in splits.items() if k != "candidates"})
    import shutil

    shutil.rmtree(paths.pairs_hf)
    dd.save_to_disk(str(paths.pairs_hf))  # the empty test split gets zero shards
    with pytest.raises(IndexError):
        datasets.load_from_disk(str(paths.pairs_hf))
    metrics = run_stage("export", make_cfg("export.formats=[jsonl]", run_dir=tmp_path))
    assert metrics["pairs_test"] == 0 and metrics["pairs_train"] == len(splits["train"])
    assert metrics["pairs_candidates"] == len(splits["candidates"])


def test_imported_gold_round_trips_into_evaluate_quotes(exported, tmp_path, make_cfg):
    """import-annotations -> evaluate-quotes: the written gold files load (articles found) and, with every prediction
    accepted unchanged, score the run's own quotes at F1 1.0; a folder without gold exits non-zero."""
    run_dir, _, _, articles, quotes, _ = exported
    ls = run_dir / "export" / "label_studio"
    tasks = json.loads((ls / "quotes_tasks.json").read_text())
    who = {"id": 4, "email": "ann@example.org"}
    export = [
        {
            "id": i,
            "data": t["data"],
            "annotations": [{"id": i, "completed_by": who, "result": copy.deepcopy(t["predictions"][0]["result"])}],
        }
        for i, t in enumerate(tasks, 1)
    ]
    src = tmp_path / "export.json"
    src.write_text(json.dumps(export))
    run_stage("import-annotations", make_cfg(f"file={src}", run_dir=run_dir))
    gold_dir = run_dir / "imported_gold"  # export.import_dir, its default
    cfg = make_cfg("stage=evaluate-quotes", f"gold={gold_dir}", run_dir=run_dir)
    metrics = run_stage("evaluate-quotes", cfg)
    written = json.loads((run_dir / "quote_metrics.json").read_text())
    assert len(list(gold_dir.glob("*.json"))) == len(articles)
    assert metrics["quote.f1"] == 1.0 and metrics["speaker.acc"] == 1.0 and metrics["n_gold"] == len(quotes), written
    bad = tmp_path / "bad_gold"
    bad.mkdir()
    (bad / "lost.json").write_text(json.dumps({"article": "lost.txt", "quotes": [], "pairs": []}))
    with pytest.raises(ValueError, match="no gold file loaded"):  # not F1 0.000 and exit 0
        run_stage("evaluate-quotes", make_cfg("stage=evaluate-quotes", f"gold={bad}", run_dir=run_dir))
