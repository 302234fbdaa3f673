"""Scale-out backend: the annotate and predict stages over a Ray cluster (``annotate.backend=ray``).

The input is read as a Ray Dataset (a folder of .txt/.html files, jsonl shards or parquet shards), batches of
articles are mapped over a pool of actors that each load spaCy (or the classifier) once, and the driver streams
the results, in input order, into the same files the local backend writes (articles.jsonl, quotes.jsonl, the
report) plus sharded parquet under ``run_dir/quotes_parquet/``. Outputs equal the local backend's record for
record: the per-article reader logic of :mod:`quotecontra.readers` and the per-article cache of
:mod:`quotecontra.annotate` are reused, not re-implemented.

Order: the driver lists the input files exactly as the local reader does and Ray Data runs with
``preserve_order``; every row carries its ordinal (file index, line) and the driver checks the order, so a
reordering would fail loudly rather than silently permute records.

``ray.address`` joins an existing cluster (``auto`` or ``ray://host:port``); without it a local cluster sized to
``ray.num_workers`` starts and is shut down at the end. On a multi-node cluster the input, the run dir and its
``.cache/`` must live on storage that every node sees (the usual Ray requirement for local paths).
"""

from __future__ import annotations

import io
import json
import logging
import os
import shutil
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from quotecontra.readers import (
    HTML_SUFFIXES,
    JSONL_SUFFIXES,
    TEXT_SUFFIXES,
    ReaderOptions,
    ReadReport,
    Skip,
    make_article,
)
from quotecontra.records import Article
from quotecontra.runpaths import RunPaths

if TYPE_CHECKING:
    import pyarrow as pa
    from omegaconf import DictConfig

    from quotecontra.stages import StageResult
    from quotecontra.tracking import Tracker

log = logging.getLogger(__name__)

PARQUET_SUFFIXES = {".parquet"}
SHARD_ROWS = 100_000
"""Quote records per parquet shard under quotes_parquet/ (part-00000.parquet, ...)."""
READ_CPUS = 0.25
"""CPU share of a read task: reading is light, and a whole CPU would deadlock a cluster whose CPUs the actors hold."""


# ---- the cluster ----------------------------------------------------------------------------------------------
class MissingExtraError(ImportError):
    """An optional dependency group of quotecontra is not installed (the CLI prints this one line)."""


def import_ray() -> Any:
    """``ray`` with ``ray.data`` loaded: only backend=ray needs it, so it is the ``[ray]`` extra, imported here."""
    try:
        import ray
        import ray.data  # the submodule the backend uses
    except ImportError as exc:
        raise MissingExtraError(
            f"backend=ray needs Ray Data, which is not installed ({exc}); install the extra: "
            "pip install 'quotecontra[ray]' (or use backend=local)"
        ) from None
    return ray


@contextmanager
def ray_session(address: str | None, num_workers: int) -> Iterator[str]:
    """Join ``address`` or start a local cluster sized to the workers; shut down only what was started here.

    Yields how the cluster was obtained: ``reused`` (already initialised by the caller), ``joined`` or ``local``.
    A local cluster gets one logical CPU more than the actors so that read tasks always find a slot.
    """
    ray = import_ray()

    if ray.is_initialized():
        _quiet_ray_data()
        yield "reused"
        return
    if address:
        ray.init(address=address, log_to_driver=False, logging_level=logging.WARNING)
        how = "joined"
    else:
        ray.init(
            num_cpus=num_workers + 1,
            include_dashboard=False,
            log_to_driver=False,
            logging_level=logging.WARNING,
        )
        how = "local"
    try:
        _quiet_ray_data()
        yield how
    finally:
        ray.shutdown()


def _quiet_ray_data() -> None:
    """Order-preserving execution; Ray's own progress bars off (the driver shows one tqdm bar)."""
    ray = import_ray()

    ctx = ray.data.DataContext.get_current()
    ctx.execution_options.preserve_order = True
    ctx.enable_progress_bars = False
    logging.getLogger("ray.data").setLevel(logging.WARNING)


# ---- reading: the same files, in the same order, through the same per-article logic --------------------------
@dataclass(frozen=True)
class InputFiles:
    """The input files in the local reader's order, and how each is read (file, jsonl or parquet)."""

    files: list[Path]
    kinds: list[str]
    root: Path | None
    """The folder the files were listed from (None for a single-file input)."""
    display: str
    """``str(Path(cfg.input))``: the prefix of every ``Article.source`` (as the local reader writes it)."""

    def absolute(self) -> list[str]:
        return [os.path.abspath(f) for f in self.files]


def _kind(path: Path, fmt: str) -> str:
    suffix = path.suffix.lower()
    if fmt == "jsonl" or (fmt == "auto" and suffix in JSONL_SUFFIXES):
        return "jsonl"
    if fmt == "parquet" or (fmt == "auto" and suffix in PARQUET_SUFFIXES):
        return "parquet"
    return "file"


def list_inputs(input_path: str | Path, fmt: str = "auto") -> InputFiles:
    """The files :func:`quotecontra.readers.iter_articles` would read, sorted the same way (sorted Paths).

    ``data.format=parquet`` (or a single .parquet input) reads parquet shards with columns id, text, title;
    the local backend does not read parquet.
    """
    path = Path(input_path)
    if not path.exists():
        raise FileNotFoundError(f"input={input_path} does not exist")
    if path.is_dir():
        suffixes = {
            "txt": TEXT_SUFFIXES,
            "html": HTML_SUFFIXES,
            "jsonl": JSONL_SUFFIXES,
            "parquet": PARQUET_SUFFIXES,
        }.get(fmt, TEXT_SUFFIXES | HTML_SUFFIXES | JSONL_SUFFIXES)
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in suffixes)
        if not files:
            raise FileNotFoundError(f"input={input_path} holds no {sorted(suffixes)} files")
        root: Path | None = path
    else:
        files, root = [path], None
    return InputFiles(files=files, kinds=[_kind(f, fmt) for f in files], root=root, display=str(path))


class _MemoryFile:
    """Bytes that Ray read, dressed as the Path the local reader expects (stat, read_bytes, open, stem, str).

    It lets the reader's private per-file and per-line logic run unchanged on a Ray worker, so both backends
    make byte-identical articles and skips.
    """

    def __init__(self, raw: bytes, display: str) -> None:
        self._raw, self._display = raw, display
        self.stem = Path(display).stem

    def stat(self) -> SimpleNamespace:
        return SimpleNamespace(st_size=len(self._raw))

    def read_bytes(self) -> bytes:
        return self._raw

    def open(self, mode: str = "rb") -> io.BytesIO:
        if "b" not in mode:
            raise ValueError("_MemoryFile opens in binary mode only")
        return io.BytesIO(self._raw)

    def __str__(self) -> str:
        return self._display


def _iter_parquet(raw: bytes, display: str, opts: ReaderOptions) -> Iterator[tuple[int, Article | Skip]]:
    """Rows of a parquet shard (columns id, text, title; others go to meta), numbered from 1."""
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(io.BytesIO(raw))
    except Exception as exc:  # a corrupt shard is one skip, not a failed job
        yield 0, Skip(display, f"bad parquet: {type(exc).__name__}")
        return
    stem = Path(display).stem
    for i, row in enumerate(table.to_pylist(), 1):
        source = f"{display}:{i}"
        if not isinstance(row.get("text"), str):
            yield i, Skip(source, "bad parquet: no 'text' string")
            continue
        article_id = str(row.get("id") or f"{stem}-{i}")
        meta = {k: str(v) for k, v in row.items() if k not in {"id", "text", "title"} and v is not None}
        yield i, make_article(article_id, row["text"], source, opts, title=str(row.get("title") or ""), meta=meta)


def read_shard(raw: bytes, display: str, kind: str, opts: ReaderOptions) -> Iterator[tuple[int, Article | Skip]]:
    """(line, article or skip) for one input file's bytes, by the local reader's rules; line 0 for a whole file."""
    from quotecontra import readers

    if kind == "parquet":
        yield from _iter_parquet(raw, display, opts)
        return
    fake: Any = _MemoryFile(raw, display)
    if kind == "file":
        for item in readers._iter_file(fake, opts):
            yield 0, item
        return
    for item in readers._iter_jsonl(fake, opts):
        # _iter_jsonl names each line "path:lineno"; the line number is the ordinal inside the shard.
        yield int(item.source.rsplit(":", 1)[1]), item


def _display_of(abs_path: str, root_abs: str | None, display: str) -> str:
    """The path as the local reader prints it: ``input`` joined with the file's path below it."""
    if root_abs is None:
        return display
    return str(Path(display) / os.path.relpath(abs_path, root_abs))


def expand_files(
    batch: dict[str, Any], root_abs: str | None, display: str, fmt: str, opts: ReaderOptions
) -> dict[str, list]:
    """Ray map step: rows (bytes, path) of whole files -> one row per article or skip."""
    out: dict[str, list] = {"path": [], "line": [], "source": [], "id": [], "article": [], "skip": []}
    for raw, path in zip(batch["bytes"], batch["path"], strict=True):
        shown = _display_of(str(path), root_abs, display)
        for line, item in read_shard(bytes(raw), shown, _kind(Path(str(path)), fmt), opts):
            out["path"].append(str(path))
            out["line"].append(line)
            out["source"].append(item.source)
            if isinstance(item, Skip):
                out["id"].append("")
                out["article"].append("")
                out["skip"].append(item.reason)
            else:
                out["id"].append(item.id)
                out["article"].append(item.model_dump_json())
                out["skip"].append("")
    return out


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
    from quotecontra.stages import StageResult

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
    report, errors = ReadReport(), []
    tally = _Tally()
    seen: set[str] = set()
    paths.root.mkdir(parents=True, exist_ok=True)
    parquet_tmp = paths.root / "quotes_parquet.tmp"
    shutil.rmtree(parquet_tmp, ignore_errors=True)
    shards = ShardWriter(parquet_tmp, quote_schema())
    art_tmp, quo_tmp = paths.articles.with_suffix(".jsonl.tmp"), paths.quotes.with_suffix(".jsonl.tmp")
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
        with art_tmp.open("w", encoding="utf-8") as af, quo_tmp.open("w", encoding="utf-8") as qf:
            for batch in ds.iter_batches(batch_size=None, batch_format="numpy"):
                for row in _rows(batch):
                    ordinal = (position[row["path"]], int(row["line"]))
                    if ordinal <= last:
                        raise RuntimeError(f"Ray returned {row['source']} out of input order: refusing to write")
                    last = ordinal
                    _write_row(row, af, qf, shards, report, errors, seen, tally)
                    bar.update(1)
        bar.close()
    art_tmp.replace(paths.articles)
    quo_tmp.replace(paths.quotes)
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


def _rows(batch: dict[str, Any]) -> Iterator[dict[str, Any]]:
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


# ---- predict on the actors ------------------------------------------------------------------------------------
def list_pair_files(path: str | Path) -> list[Path]:
    """predict.file: one jsonl, or a folder of jsonl shards (sorted)."""
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"predict.file={path} does not exist")
    files = sorted(f for f in p.rglob("*.jsonl") if f.is_file()) if p.is_dir() else [p]
    if not files:
        raise FileNotFoundError(f"predict.file={path} holds no .jsonl files")
    return files


def expand_pairs(batch: dict[str, Any]) -> dict[str, list]:
    """Ray map step: a pairs file -> one row per valid record (the local reader's rules and skips)."""
    from quotecontra.predict import read_pairs

    out: dict[str, list] = {"file": [], "k": [], "record": []}
    for idx, path in zip(batch["file"], batch["path"], strict=True):
        for k, rec in enumerate(read_pairs(Path(str(path)))):
            out["file"].append(int(idx))
            out["k"].append(k)
            out["record"].append(json.dumps(rec, ensure_ascii=False))
    return out


class PredictActor:
    """One Ray actor: the classifier loaded once, batches of pairs labelled as the local stage labels them."""

    def __init__(self, spec: str, cfg: dict[str, Any], threads: int, batch_size: int) -> None:
        import torch
        from omegaconf import OmegaConf

        from quotecontra.models import set_inference_precision
        from quotecontra.predict import load_model

        torch.set_num_threads(max(1, threads))
        conf = OmegaConf.create(cfg)
        self.clf = set_inference_precision(load_model(spec, conf), conf.train.bf16)
        self.batch_size = batch_size

    def __call__(self, batch: dict[str, Any]) -> dict[str, list]:
        from quotecontra.predict import label_pairs

        records = [json.loads(r) for r in batch["record"]]
        labelled = label_pairs(self.clf, records, self.batch_size)
        return {
            "file": list(batch["file"]),
            "k": list(batch["k"]),
            "out": [json.dumps(r, ensure_ascii=False) for r in labelled],
            "predicted": [r["predicted"] for r in labelled],
        }


def predict_ray(cfg: DictConfig, tracker: Tracker) -> StageResult:
    """``predict.backend=ray`` with ``predict.file``: label every pair on Ray actors; output as the local stage."""
    ray = import_ray()
    from omegaconf import OmegaConf
    from tqdm import tqdm

    from quotecontra.stages import StageResult

    pcfg = cfg.predict
    files = list_pair_files(pcfg.file)
    workers = int(cfg.ray.num_workers)
    batch_size = int(cfg.train.eval_batch_size)
    threads = max(1, int(cfg.train.torch_threads) // workers) if not cfg.ray.address else 1
    counts: Counter[str] = Counter()
    out = Path(pcfg.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".tmp")
    t0 = time.perf_counter()
    with ray_session(cfg.ray.address, workers) as how:
        items = [{"file": i, "path": os.path.abspath(f)} for i, f in enumerate(files)]
        ds = ray.data.from_items(items).map_batches(
            expand_pairs, batch_size=1, batch_format="numpy", num_cpus=READ_CPUS
        )
        ds = ds.map_batches(
            PredictActor,
            fn_constructor_kwargs={
                "spec": str(pcfg.model),
                "cfg": OmegaConf.to_container(cfg, resolve=True),
                "threads": threads,
                "batch_size": batch_size,
            },
            batch_size=batch_size,
            compute=ray.data.ActorPoolStrategy(size=workers),
            num_cpus=1,
            batch_format="numpy",
        )
        last = (-1, -1)
        with tmp.open("w", encoding="utf-8") as fh:
            for batch in tqdm(ds.iter_batches(batch_size=None, batch_format="numpy"), desc="predict[ray]"):
                for row in _rows(batch):
                    ordinal = (int(row["file"]), int(row["k"]))
                    if ordinal <= last:
                        raise RuntimeError("Ray returned predictions out of input order: refusing to write")
                    last = ordinal
                    fh.write(str(row["out"]) + "\n")
                    counts[str(row["predicted"])] += 1
    tmp.replace(out)
    n = sum(counts.values())
    seconds = time.perf_counter() - t0
    summary = [f"{n} pairs labelled with {pcfg.model} on Ray ({workers} workers, {how} cluster): {dict(counts)}"]
    metrics = {"n": float(n), **{f"predicted.{k}": float(v) for k, v in counts.items()}}
    metrics["pairs_per_s"] = n / seconds if seconds > 0 else 0.0
    return StageResult(metrics=metrics, outputs=[out], summary=summary)


def same_records(a: Path, b: Path) -> list[str]:
    """Differences between two jsonl files, line by line (empty when identical): used by tests and the bench."""
    left = Path(a).read_text(encoding="utf-8").splitlines()
    right = Path(b).read_text(encoding="utf-8").splitlines()
    diffs = [
        f"line {i}: {x[:80]!r} != {y[:80]!r}" for i, (x, y) in enumerate(zip(left, right, strict=False), 1) if x != y
    ]
    if len(left) != len(right):
        diffs.append(f"{len(left)} lines != {len(right)} lines")
    return diffs


__all__: Sequence[str] = [
    "AnnotateActor",
    "InputFiles",
    "PredictActor",
    "ShardWriter",
    "annotate_ray",
    "expand_files",
    "list_inputs",
    "predict_ray",
    "quote_schema",
    "ray_session",
    "read_shard",
    "same_records",
]
