"""Reading the input on Ray: the same files in the same order as the local reader, parsed by its public functions
(readers.parse_file, readers.parse_jsonl) on the bytes the workers read."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quotecontra.readers import (
    HTML_SUFFIXES,
    JSONL_SUFFIXES,
    TEXT_SUFFIXES,
    ReaderOptions,
    Skip,
    make_article,
)
from quotecontra.records import Article

if TYPE_CHECKING:
    pass
from quotecontra.scale.cluster import PARQUET_SUFFIXES


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
    if kind == "file":
        yield 0, readers.parse_file(raw, display, opts)
        return
    for item in readers.parse_jsonl(io.BytesIO(raw), display, opts):
        # parse_jsonl names each line "path:lineno"; the line number is the ordinal inside the shard.
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
