"""annotate.backend=ray: spaCy on a pool of actors, records streamed in input order into the local outputs."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quotecontra.annotate.stage import Annotated
from quotecontra.readers import ReadReport, Skip
from quotecontra.records import Article
from quotecontra.runpaths import RunPaths

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


class RaySource:
    """``annotate.backend=ray``: articles read and annotated on a pool of Ray actors, yielded back in input order
    to the one annotate stage (:func:`quotecontra.annotate.stage.run`), which writes what the local backend writes.
    The quote records also go to ``quotes_parquet/`` shards, renamed into place on :meth:`close`."""

    def __init__(self, cfg: DictConfig) -> None:
        from quotecontra.annotate.cache import config_digest
        from quotecontra.annotate.options import AnnotateOptions
        from quotecontra.annotate.stage import reader_options

        self.cfg = cfg
        self.paths = RunPaths.of(cfg.run_dir)
        self.options = AnnotateOptions.from_config(cfg.annotate)
        self.digest = config_digest(self.options)  # rules only on Ray (backends checks): its digest is the rules'
        self.ropts = reader_options(cfg)
        self.workers, self.batch_size = int(cfg.ray.num_workers), int(cfg.ray.batch_size)
        self.parquet_tmp = self.paths.root / "quotes_parquet.tmp"
        self.how = "local"
        self.t0 = self.t_ready = self.t_end = 0.0
        self.n_articles = 0

    def stream(self, report: ReadReport, errors: list[tuple[str, str]]) -> Iterator[Annotated]:
        ray = import_ray()
        from quotecontra.records import Quote

        inputs = list_inputs(self.cfg.input, self.ropts.format)
        abs_files = inputs.absolute()
        position = {p: i for i, p in enumerate(abs_files)}
        seen: set[str] = set()
        self.paths.root.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(self.parquet_tmp, ignore_errors=True)
        self.shards = ShardWriter(self.parquet_tmp, quote_schema())
        self.t0 = time.perf_counter()
        with ray_session(self.cfg.ray.address, self.workers) as how:
            self.how, self.t_ready = how, time.perf_counter()
            ds = ray.data.read_binary_files(abs_files, include_paths=True, num_cpus=READ_CPUS)
            ds = ds.map_batches(
                expand_files,
                fn_kwargs={
                    "root_abs": os.path.abspath(inputs.root) if inputs.root is not None else None,
                    "display": inputs.display,
                    "fmt": self.ropts.format,
                    "opts": self.ropts,
                },
                batch_size=None,
                batch_format="numpy",
                num_cpus=READ_CPUS,
            )
            ds = ds.map_batches(
                AnnotateActor,
                fn_constructor_kwargs={
                    "options": self.options,
                    "cache_root": os.path.abspath(self.paths.annotate_cache),
                    "digest": self.digest,
                    "incremental": bool(self.cfg.annotate.incremental),
                },
                batch_size=self.batch_size,
                compute=ray.data.ActorPoolStrategy(size=self.workers),
                num_cpus=1,
                batch_format="numpy",
            )
            last = (-1, -1)
            for batch in ds.iter_batches(batch_size=None, batch_format="numpy"):
                for row in rows(batch):
                    ordinal = (position[row["path"]], int(row["line"]))
                    if ordinal <= last:
                        raise RuntimeError(f"Ray returned {row['source']} out of input order: refusing to write")
                    last = ordinal
                    if not _accept(row, report, errors, seen):
                        continue
                    quotes = [Quote.model_validate_json(line) for line in str(row["quotes"]).splitlines()]
                    for q in quotes:
                        self.shards.add(q.model_dump(mode="json"))
                    self.n_articles += 1
                    article = Article.model_validate_json(str(row["article"]))
                    yield Annotated(article, quotes, cached=bool(row["cached"]), words=int(row["words"]))
        self.t_end = time.perf_counter()

    def close(self) -> None:
        self.shards.close()
        final = self.paths.root / "quotes_parquet"
        shutil.rmtree(final, ignore_errors=True)
        self.parquet_tmp.replace(final)

    @property
    def seconds(self) -> float:
        return self.t_end - self.t_ready  # the cluster's start is not annotation time

    @property
    def details(self) -> dict[str, Any]:
        work = self.seconds
        articles_per_s = self.n_articles / work if work > 0 else 0.0
        return {
            "head": {"backend": "ray", "cluster": self.how, "workers": self.workers},
            "tail": {
                "cluster_start_seconds": round(self.t_ready - self.t0, 3),
                "articles_per_s": round(articles_per_s, 2),
            },
            "metrics": {"articles_per_s": float(articles_per_s)},
            "summary": [
                f"ray backend: {self.workers} workers ({self.how} cluster), {articles_per_s:.1f} articles/s, "
                f"parquet shards in {self.paths.root / 'quotes_parquet'}"
            ],
            "outputs": [self.paths.root / "quotes_parquet"],
        }


def annotate_ray(cfg: DictConfig, tracker: Tracker) -> StageResult:
    """The annotate stage with :class:`RaySource` (``quotecontra.backends`` calls it for ``annotate.backend=ray``)."""
    from quotecontra.annotate.stage import run

    return run(cfg, tracker, RaySource(cfg))


def rows(batch: dict[str, Any]) -> Iterator[dict[str, Any]]:
    keys = list(batch)
    for i in range(len(batch[keys[0]])):
        yield {k: batch[k][i] for k in keys}


def _accept(row: dict[str, Any], report: ReadReport, errors: list[tuple[str, str]], seen: set[str]) -> bool:
    """One article's outcome, applied exactly as the local reader applies it (skips, duplicate ids, errors)."""
    if row["skip"]:
        report.add_skip(Skip(str(row["source"]), str(row["skip"])))
        return False
    aid = str(row["id"])
    if aid in seen:
        report.add_skip(Skip(str(row["source"]), f"duplicate id: {aid}"))
        return False
    seen.add(aid)
    report.read += 1
    if row["error"]:
        errors.append((aid, str(row["error"])))
    return True
