"""annotate.backend=ray writes exactly what the local backend writes, record by record, skips included."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from quotecontra.tracking import Tracker

pytest.importorskip("ray")
pytestmark = pytest.mark.integration  # a real cluster/server: make test-integration, not make test


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
    from quotecontra.backends import annotate

    cfg = make_cfg(f"input={corpus}", *overrides, run_dir=run_dir)
    return annotate(cfg, Tracker())


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
    from quotecontra import backends
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
        "runtime.eval_batch_size=4",
        run_dir=tmp_path,
    )
    assert backends.predict(local, Tracker()).metrics["n"] == len(pairs)
    res = backends.predict(ray_cfg, Tracker())
    assert res.metrics["n"] == len(pairs)
    assert (tmp_path / "ray.jsonl").read_text() == (tmp_path / "local.jsonl").read_text()


# ---- the pure parts (no cluster) ----------------------------------------------------------------------------
def test_list_inputs_follows_the_local_reader_order(tmp_path: Path) -> None:
    """Sorted Paths, not sorted strings: 'a/x.txt' comes before 'a-b/w.txt' (part by part), as in iter_articles."""
    from quotecontra.readers import ReaderOptions, iter_articles
    from quotecontra.scale import list_inputs

    text = "The mayor said that the bridge would reopen in the spring after the repairs were done."
    for rel in ["a-b/w.txt", "a/x.txt", "a/y.txt", "b.txt", "c.jsonl", "skip.csv"]:
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        body = json.dumps({"id": "j", "text": text}) if rel.endswith(".jsonl") else text
        p.write_text(body, encoding="utf-8")
    listed = list_inputs(tmp_path)
    opts = ReaderOptions(require_english=False)
    local_sources = [a.source.rsplit(":", 1)[0] for a in iter_articles(tmp_path, opts)]
    assert [str(f) for f in listed.files] == list(dict.fromkeys(local_sources))
    assert listed.kinds == ["file", "file", "file", "file", "jsonl"]
    assert [f.relative_to(tmp_path).as_posix() for f in listed.files][:2] == ["a/x.txt", "a/y.txt"]


def test_read_shard_makes_the_local_readers_articles_and_skips(tmp_path: Path) -> None:
    from quotecontra.readers import ReaderOptions, ReadReport, iter_articles
    from quotecontra.records import Article
    from quotecontra.scale.inputs import read_shard

    text = "The minister said on Monday that the budget would be balanced by the end of the year."
    lines = [json.dumps({"id": "a", "text": text}), "{bad", "", json.dumps({"text": text, "src": "wire"}), "[1]"]
    path = tmp_path / "s.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    opts = ReaderOptions()
    report = ReadReport()
    local = list(iter_articles(path, opts, report))
    items = list(read_shard(path.read_bytes(), str(path), "jsonl", opts))
    assert [n for n, _ in items] == [1, 2, 4, 5]
    got = [it for _, it in items if isinstance(it, Article)]
    assert [a.model_dump_json() for a in got] == [a.model_dump_json() for a in local]
    skips = [(it.source, it.reason) for _, it in items if not isinstance(it, Article)]
    assert skips == [(s.source, s.reason) for s in report.skips]


def test_shard_writer_rolls_over_and_keeps_the_schema(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    from quotecontra.scale.annotate import ShardWriter, quote_schema

    rows = [
        {"id": f"a:{i}-{i + 5}", "article_id": "a", "text": "hello there", "type": "direct", "speaker": None,
         "cue": None, "target": None, "spans": [[i, i + 5]], "speaker_span": None, "cue_span": [1, 2],
         "rule": "r", "confidence": 0.5, "annotator": "pipeline"}
        for i in range(5)
    ]  # fmt: skip
    w = ShardWriter(tmp_path / "q", quote_schema(), rows_per_shard=2)
    for r in rows:
        w.add(r)
    shards = w.close()
    assert [p.name for p in shards] == ["part-00000.parquet", "part-00001.parquet", "part-00002.parquet"]
    table = pq.read_table(tmp_path / "q")
    assert table.schema.equals(quote_schema()) and table.to_pylist() == rows
    empty = ShardWriter(tmp_path / "e", quote_schema()).close()
    assert len(empty) == 1 and pq.read_table(empty[0]).num_rows == 0


def test_bench_ratios_are_computed_from_the_runs() -> None:
    from quotecontra.benchmarks.scale import summarise

    def run(s1: float, s4: float, s16: float, mem: tuple[float, float]) -> dict:
        sizes = {"1": (40, s1, mem[0]), "4": (160, s4, mem[0]), "16": (640, s16, mem[1])}
        return {
            "sizes": {
                m: {"articles": n, "seconds": s, "articles_per_s": n / s, "peak_rss_mb": p}
                for m, (n, s, p) in sizes.items()
            }
        }

    runs = {"ray:1": run(10, 40, 160, (100, 120)), "ray:2": run(6, 30, 100, (150, 150))}
    out = summarise(runs, {1: 1000, 4: 4000, 16: 16000})
    assert out["ray_speedup_2_over_1_workers_at_16x"] == 1.6
    assert out["ray:1"]["time_16x_over_16_times_1x"] == 1.0 and out["ray:1"]["peak_rss_16x_over_1x"] == 1.2
    assert runs["ray:2"]["sizes"]["16"]["words_per_s"] == 160.0
    fit = out["ray:2"]["linear_fit"]  # 6, 30, 100 s for 40, 160, 640 articles: not on one line
    assert fit["max_deviation"] > 0.1 and out["ray:1"]["linear_fit"]["max_deviation"] == 0.0
    assert out["ray:1"]["linear_fit"]["marginal_articles_per_s"] == 4.0
    assert out["ray_marginal_speedup_2_over_1_workers"] == round(fit["marginal_articles_per_s"] / 4.0, 3)


def test_linear_fit_recovers_fixed_cost_and_rate() -> None:
    from quotecontra.benchmarks.scale import linear_fit

    fit = linear_fit([(40, 5 + 40 / 8), (160, 5 + 160 / 8), (640, 5 + 640 / 8)])
    assert fit == {"fixed_seconds": 5.0, "marginal_articles_per_s": 8.0, "max_deviation": 0.0}
