"""annotate.backend=ray writes exactly what the local backend writes, record by record, skips included."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from quotecontra.tracking import Tracker

pytest.importorskip("ray")


@pytest.fixture(scope="module")
def corpus(root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A handful of sample articles, a nested folder, a jsonl shard with a bad line, and three bad files."""
    src = tmp_path_factory.mktemp("corpus")
    samples = sorted((root / "data" / "samples").glob("*.txt"))[:4]
    assert len(samples) == 4, "needs the sample corpus in data/samples"
    for p in samples[:3]:
        shutil.copy(p, src / p.name)
    (src / "sub").mkdir()
    shutil.copy(samples[3], src / "sub" / samples[3].name)
    (src / "zz-binary.txt").write_bytes(b"\x00\x01\x02 not text" * 10)
    (src / "zz-latin1.txt").write_bytes("Der Bürgermeister sagte".encode("latin-1"))
    (src / "aa-empty.txt").write_text("Headline only\n", encoding="utf-8")
    text = samples[0].read_text(encoding="utf-8")
    lines = [
        json.dumps({"id": "j-1", "title": "From jsonl", "text": text, "url": "http://x"}),
        "{not json",
        "",
        json.dumps({"id": samples[1].stem, "text": text}),  # a duplicate id of a .txt article
        json.dumps({"text": samples[2].read_text(encoding="utf-8")}),  # no id: the reader names it
    ]
    (src / "m-shard.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return src


def _run(make_cfg, corpus: Path, run_dir: Path, *overrides: str):
    from quotecontra.annotate import run

    cfg = make_cfg(f"input={corpus}", *overrides, run_dir=run_dir)
    return run(cfg, Tracker())


@pytest.fixture(scope="module")
def both(make_cfg, corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, object]:
    local, ray_dir = tmp_path_factory.mktemp("local"), tmp_path_factory.mktemp("ray")
    _run(make_cfg, corpus, local, "annotate.backend=local")
    res = _run(make_cfg, corpus, ray_dir, "annotate.backend=ray", "ray.num_workers=2", "ray.batch_size=2")
    return local, ray_dir, res


@pytest.mark.parametrize("name", ["quotes.jsonl", "articles.jsonl"])
def test_ray_output_equals_local_record_by_record(both, name: str) -> None:
    from quotecontra.scale import same_records

    local, ray_dir, _ = both
    left = (local / name).read_text(encoding="utf-8").splitlines()
    assert left, f"the local backend wrote no {name}: nothing to compare"
    assert same_records(local / name, ray_dir / name) == []


def test_skips_and_counts_match(both) -> None:
    local, ray_dir, res = both
    lrep = json.loads((local / "annotate_report.json").read_text())
    rrep = json.loads((ray_dir / "annotate_report.json").read_text())
    assert rrep["backend"] == "ray"
    for key in ("articles", "skipped", "skipped_by_reason", "skips", "quotes", "quotes_by_type", "quotes_by_rule"):
        assert rrep[key] == lrep[key], key
    reasons = {s["reason"].split(":")[0] for s in rrep["skips"]}
    assert {"binary", "not utf-8", "empty", "bad json", "duplicate id"} <= reasons
    assert res.metrics["articles"] == 6  # 3 + 1 nested .txt, 2 from the jsonl shard


def test_parquet_shards_hold_the_quotes(both) -> None:
    import pyarrow.parquet as pq

    _, ray_dir, _ = both
    table = pq.read_table(ray_dir / "quotes_parquet")
    quotes = [json.loads(line) for line in (ray_dir / "quotes.jsonl").read_text().splitlines()]
    assert table.num_rows == len(quotes) > 0
    assert table.column("id").to_pylist() == [q["id"] for q in quotes]
    assert [[list(s) for s in sp] for sp in table.column("spans").to_pylist()] == [q["spans"] for q in quotes]


def test_ray_rerun_reuses_every_article(make_cfg, corpus: Path, both) -> None:
    _, ray_dir, first = both
    again = _run(make_cfg, corpus, ray_dir, "annotate.backend=ray", "ray.num_workers=1")
    assert again.metrics["cached_articles"] == first.metrics["articles"]
    assert again.metrics["quotes"] == first.metrics["quotes"]


def test_predict_on_ray_equals_local(make_cfg, tmp_path: Path) -> None:
    """predict.backend=ray over two jsonl shards labels every pair as the local stage does, in input order."""
    from quotecontra import predict
    from quotecontra.models import fit_sklearn

    pairs = [
        {"id": f"p{i}", "premise": f"The plant is {a}.", "hypothesis": f"The plant is {b}."}
        for i, (a, b) in enumerate([("open", "closed"), ("open", "open"), ("full", "empty")] * 5)
    ]
    labels = ["contradiction", "entailment", "contradiction"] * 5
    clf = fit_sklearn(
        {"kind": "tfidf", "tfidf_max_features": 500, "tfidf_c": 1.0},
        [p["premise"] for p in pairs],
        [p["hypothesis"] for p in pairs],
        labels,
        13,
    )
    clf.save(tmp_path / "model")
    shards = tmp_path / "pairs"
    shards.mkdir()
    (shards / "a.jsonl").write_text("\n".join(json.dumps(p) for p in pairs[:9]) + "\n{bad\n")
    (shards / "b.jsonl").write_text("\n".join(json.dumps(p) for p in pairs[9:]) + "\n")
    joined = tmp_path / "all.jsonl"
    joined.write_text("".join(json.dumps(p) + "\n" for p in pairs))
    local = make_cfg(f"predict.file={joined}", f"predict.output={tmp_path / 'local.jsonl'}", run_dir=tmp_path)
    ray_cfg = make_cfg(
        f"predict.file={shards}",
        f"predict.output={tmp_path / 'ray.jsonl'}",
        "predict.backend=ray",
        "ray.num_workers=2",
        "train.eval_batch_size=4",
        run_dir=tmp_path,
    )
    assert predict.run(local, Tracker()).metrics["n"] == len(pairs)
    res = predict.run(ray_cfg, Tracker())
    assert res.metrics["n"] == len(pairs)
    assert (tmp_path / "ray.jsonl").read_text() == (tmp_path / "local.jsonl").read_text()
