"""annotate.backend=ray: spaCy on a pool of actors, records streamed in input order into the local outputs."""

from __future__ import annotations

import json
import os
import shutil
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quotecontra.readers import (
    ReadReport,
    Skip,
)
from quotecontra.records import Article
from quotecontra.runpaths import RunPaths, replacing

if TYPE_CHECKING:
    import pyarrow as pa
    from omegaconf import DictConfig

    from quotecontra.stage_result import StageResult
    from quotecontra.tracking import Tracker
from quotecontra.scale.cluster import READ_CPUS, SHARD_ROWS, import_ray, ray_session
from quotecontra.scale.inputs import expand_files, list_inputs


# ---- annotate on the actors -----------------------------------------------------------------------------------
class AnnotateActor:
    """One Ray actor: spaCy loaded once (lazily: a batch of cached articles never loads it), records per article."""

    def __init__(self, options: Any, cache_root: str, digest: str, incremental: bool) -> None:
        from quotecontra.annotate import QuoteCache

        self.options = replace(options, n_process=1)  # the actor is the unit of parallelism
        self.cache = QuoteCache(Path(cache_root), digest, enabled=incremental)
        self._nlp: Any = None

    def _load(self) -> Any:
        from quotecontra.annotate import build_nlp

        if self._nlp is None:
            self._nlp = build_nlp(self.options.spacy_model)
        return self._nlp

    def __call__(self, batch: dict[str, Any]) -> dict[str, list]:
        from quotecontra.annotate import annotate_articles

        n = len(batch["path"])
        quotes: list[str] = [""] * n
        n_quotes, cached, errors_out, words = [0] * n, [False] * n, [""] * n, [0] * n
        rows = [i for i in range(n) if batch["article"][i]]
        articles = [Article.model_validate_json(batch["article"][i]) for i in rows]
        hits: set[int] = set()

        def known(art: Article) -> Any:
            got = self.cache.get(art)
            if got is not None:
                hits.add(id(art))
            return got

        errors: list[tuple[str, str]] = []
        stream = annotate_articles(articles, self._load, self.options, known=known, errors=errors)
        for i, art, (got, records) in zip(rows, articles, stream, strict=True):
            if got is not art:
                raise RuntimeError(f"annotate_articles changed the article order at {art.id}")
            failed = len(errors) > 0 and errors[-1][0] == art.id
            errors_out[i] = errors.pop()[1] if failed else ""
            cached[i] = id(art) in hits
            if not cached[i] and not failed:  # a skipped article's words were not annotated (as the local stage)
                words[i] = len(art.text.split())
                self.cache.put(art, records)
            quotes[i] = "".join(q.model_dump_json() + "\n" for q in records)
            n_quotes[i] = len(records)
        return {
            **{k: list(batch[k]) for k in ("path", "line", "source", "id", "article", "skip")},
            "quotes": quotes,
            "n_quotes": n_quotes,
            "cached": cached,
            "error": errors_out,
            "words": words,
        }


def quote_schema() -> pa.Schema:
    """Typed columns for quotes_parquet/ (fixed, so an all-null column never changes a shard's schema)."""
    import pyarrow as pa

    span = pa.list_(pa.int64())
    return pa.schema(
        [
            ("id", pa.string()),
            ("article_id", pa.string()),
            ("text", pa.string()),
            ("type", pa.string()),
            ("speaker", pa.string()),
            ("cue", pa.string()),
            ("target", pa.string()),
            ("spans", pa.list_(span)),
            ("speaker_span", span),
            ("cue_span", span),
            ("rule", pa.string()),
            ("confidence", pa.float64()),
            ("annotator", pa.string()),
        ]
    )


class ShardWriter:
    """Rows into part-00000.parquet, part-00001.parquet, ... of at most ``rows_per_shard`` rows each."""

    def __init__(self, out_dir: Path, schema: pa.Schema, rows_per_shard: int = SHARD_ROWS) -> None:
        self.out_dir, self.schema, self.rows_per_shard = out_dir, schema, rows_per_shard
        self.buffer: list[dict[str, Any]] = []
        self.shards: list[Path] = []
        out_dir.mkdir(parents=True, exist_ok=True)

    def add(self, row: dict[str, Any]) -> None:
        self.buffer.append(row)
        if len(self.buffer) >= self.rows_per_shard:
            self._flush()

    def _flush(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        path = self.out_dir / f"part-{len(self.shards):05d}.parquet"
        pq.write_table(pa.Table.from_pylist(self.buffer, schema=self.schema), path)
        self.shards.append(path)
        self.buffer = []

    def close(self) -> list[Path]:
        if self.buffer or not self.shards:  # an empty corpus still gets one (empty) shard with the schema
            self._flush()
        return self.shards


@dataclass
class _Tally:
    n_articles: int = 0
    parsed_words: int = 0
    cache_hits: int = 0
    types: Counter[str] = field(default_factory=Counter)
    rules: Counter[str] = field(default_factory=Counter)


def annotate_ray(cfg: DictConfig, tracker: Tracker) -> StageResult:
    """``annotate.backend=ray``: the annotate stage on a Ray cluster, writing what the local backend writes."""
    ray = import_ray()
    from tqdm import tqdm

    from quotecontra.annotate import (
        TYPES,
        AnnotateOptions,
        QuoteCache,
        _summary_line,
        config_digest,
        reader_options,
        report_counts,
    )
    from quotecontra.stage_result import StageResult

    paths = RunPaths.of(cfg.run_dir)
    options = AnnotateOptions.from_config(cfg.annotate)
    ropts = reader_options(cfg)
    inputs = list_inputs(cfg.input, ropts.format)
    tracker.log_input("articles", Path(cfg.input), context="annotate")
    digest = config_digest(options)
    cache = QuoteCache(paths.annotate_cache, digest, enabled=bool(cfg.annotate.incremental))
    workers, batch_size = int(cfg.ray.num_workers), int(cfg.ray.batch_size)
    abs_files = inputs.absolute()
    position = {p: i for i, p in enumerate(abs_files)}
    errors: list[tuple[str, str]]
    report, errors = ReadReport(), []
    tally = _Tally()
    seen: set[str] = set()
    paths.root.mkdir(parents=True, exist_ok=True)
    parquet_tmp = paths.root / "quotes_parquet.tmp"
    shutil.rmtree(parquet_tmp, ignore_errors=True)
    shards = ShardWriter(parquet_tmp, quote_schema())
    t0 = time.perf_counter()
    with ray_session(cfg.ray.address, workers) as how:
        t_ready = time.perf_counter()
        ds = ray.data.read_binary_files(abs_files, include_paths=True, num_cpus=READ_CPUS)
        ds = ds.map_batches(
            expand_files,
            fn_kwargs={
                "root_abs": os.path.abspath(inputs.root) if inputs.root is not None else None,
                "display": inputs.display,
                "fmt": ropts.format,
                "opts": ropts,
            },
            batch_size=None,
            batch_format="numpy",
            num_cpus=READ_CPUS,
        )
        ds = ds.map_batches(
            AnnotateActor,
            fn_constructor_kwargs={
                "options": options,
                "cache_root": os.path.abspath(paths.annotate_cache),
                "digest": digest,
                "incremental": bool(cfg.annotate.incremental),
            },
            batch_size=batch_size,
            compute=ray.data.ActorPoolStrategy(size=workers),
            num_cpus=1,
            batch_format="numpy",
        )
        last = (-1, -1)
        bar = tqdm(desc="annotate[ray]", unit="article", mininterval=2.0)
        with (
            replacing(paths.articles) as art_tmp,
            replacing(paths.quotes) as quo_tmp,
            art_tmp.open("w", encoding="utf-8") as af,
            quo_tmp.open("w", encoding="utf-8") as qf,
        ):
            for batch in ds.iter_batches(batch_size=None, batch_format="numpy"):
                for row in rows(batch):
                    ordinal = (position[row["path"]], int(row["line"]))
                    if ordinal <= last:
                        raise RuntimeError(f"Ray returned {row['source']} out of input order: refusing to write")
                    last = ordinal
                    _write_row(row, af, qf, shards, report, errors, seen, tally)
                    bar.update(1)
        bar.close()
    shards.close()
    shutil.rmtree(paths.root / "quotes_parquet", ignore_errors=True)
    parquet_tmp.replace(paths.root / "quotes_parquet")
    elapsed = time.perf_counter() - t0
    work_seconds = time.perf_counter() - t_ready
    words_per_s = tally.parsed_words / work_seconds if tally.parsed_words and work_seconds > 0 else 0.0
    articles_per_s = tally.n_articles / work_seconds if work_seconds > 0 else 0.0
    types, rules = tally.types, tally.rules
    skipped = sum(report.skipped.values())
    out = {
        "input": str(cfg.input),
        "backend": "ray",
        "cluster": how,
        "workers": workers,
        **report_counts(report, errors, types, rules, tally.n_articles, tally.cache_hits),
        "seconds": round(elapsed, 3),
        "cluster_start_seconds": round(t_ready - t0, 3),
        "parsed_words": tally.parsed_words,
        "words_per_s": round(words_per_s, 1),
        "articles_per_s": round(articles_per_s, 2),
        "config_digest": digest,
    }
    paths.annotate_report.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    metrics = {
        "articles": float(tally.n_articles),
        "skipped": float(skipped + len(errors)),
        "quotes": float(sum(types.values())),
        **{f"quotes_{t}": float(types[t]) for t in TYPES},
        "cached_articles": float(tally.cache_hits),
        "words_per_s": float(words_per_s),
        "articles_per_s": float(articles_per_s),
    }
    summary = [
        _summary_line(tally.n_articles, types, report, errors),
        f"ray backend: {workers} workers ({how} cluster), {articles_per_s:.1f} articles/s, "
        f"parquet shards in {paths.root / 'quotes_parquet'}",
    ]
    if tally.cache_hits:
        summary.append(f"{tally.cache_hits} articles unchanged: records reused from {cache.root}")
    return StageResult(
        metrics=metrics,
        outputs=[paths.quotes, paths.articles, paths.annotate_report, paths.root / "quotes_parquet"],
        summary=summary,
    )


def rows(batch: dict[str, Any]) -> Iterator[dict[str, Any]]:
    keys = list(batch)
    for i in range(len(batch[keys[0]])):
        yield {k: batch[k][i] for k in keys}


def _write_row(
    row: dict[str, Any],
    af: Any,
    qf: Any,
    shards: ShardWriter,
    report: ReadReport,
    errors: list[tuple[str, str]],
    seen: set[str],
    tally: _Tally,
) -> None:
    """One article's outcome, applied exactly as the local backend applies it (skips, duplicate ids, errors)."""
    if row["skip"]:
        report.add_skip(Skip(str(row["source"]), str(row["skip"])))
        return
    aid = str(row["id"])
    if aid in seen:
        report.add_skip(Skip(str(row["source"]), f"duplicate id: {aid}"))
        return
    seen.add(aid)
    report.read += 1
    tally.n_articles += 1
    if row["error"]:
        errors.append((aid, str(row["error"])))
    if row["cached"]:
        tally.cache_hits += 1
    tally.parsed_words += int(row["words"])
    af.write(str(row["article"]) + "\n")
    text = str(row["quotes"])
    qf.write(text)
    for line in text.splitlines():
        q = json.loads(line)
        tally.types[q["type"]] += 1
        tally.rules[q["rule"]] += 1
        shards.add(q)
