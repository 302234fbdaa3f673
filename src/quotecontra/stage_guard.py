"""What keeps the stage runner from losing or misreading data (used by :mod:`quotecontra.stages`).

* :class:`EmptyOutputError` / :func:`require_output`: a stage never replaces good outputs with an empty result
  (0 articles, 0 pairs, 0 training steps) unless ``allow_empty=true``.
* The stage record (``run_dir/.stages/<stage>.json``) says whether the last run finished and holds a digest of
  each output, so a stage killed mid-write, or whose outputs were changed or truncated since, runs again instead
  of being skipped as unchanged.
* :func:`materialize_input`: input from a pipe (``input=/dev/stdin``) is read once, into the run dir, so the
  signature digests exactly what the reader then reads.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import shutil
import stat
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from quotecontra.runpaths import RunPaths, replacing, temp_path
from quotecontra.tracking import file_digest

log = logging.getLogger(__name__)
RECORD_VERSION = 2  # records without the completion marker and output digests (version 1) never skip


class EmptyOutputError(RuntimeError):
    """A stage produced nothing: its previous outputs are left as they were (``allow_empty=true`` overrides)."""


def allow_empty(cfg: DictConfig) -> bool:
    return bool(OmegaConf.select(cfg, "allow_empty", default=False))


def require_output(cfg: DictConfig, stage: str, count: float, what: str, hint: str = "") -> None:
    """Refuse an empty result before the stage writes it; call it just before the outputs are replaced."""
    if count > 0 or allow_empty(cfg):
        return
    raise EmptyOutputError(
        f"stage '{stage}' produced 0 {what}{': ' + hint if hint else ''}; its previous outputs in {cfg.run_dir} "
        "are kept (allow_empty=true writes the empty result)"
    )


# --- the stage record ---------------------------------------------------------------------------------------------


def output_digests(paths: Iterable[Path]) -> dict[str, str | None]:
    """Digest of each declared output (None when absent)."""
    return {str(p): (file_digest(p) if p.exists() else None) for p in paths}


def read_record(path: Path) -> dict[str, Any]:
    """The last run's record, or {} when there is none or it is unreadable (then the stage reruns)."""
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        log.warning("ignoring the unreadable stage record %s: %s", path, exc)
        return {}
    return data if isinstance(data, dict) else {}


def write_record(path: Path, data: dict[str, Any]) -> None:
    """Atomically (temp file + rename): a killed write leaves the old record or the new one, never half."""
    with replacing(path) as tmp:
        tmp.write_text(json.dumps({"version": RECORD_VERSION, **data}, indent=2, default=str), encoding="utf-8")


def mark_started(path: Path, signature: str) -> None:
    """Before a stage writes anything: until it finishes, its record says the outputs may be incomplete."""
    write_record(
        path,
        {"signature": signature, "complete": False, "pid": os.getpid(), "started": time.strftime("%Y-%m-%d %H:%M:%S")},
    )


def mark_finished(
    path: Path, signature: str, metrics: dict[str, float], outputs: list[Path], declared: list[Path]
) -> None:
    write_record(
        path,
        {
            "signature": signature,
            "complete": True,
            "finished": time.strftime("%Y-%m-%d %H:%M:%S"),
            "metrics": metrics,
            "outputs": [str(p) for p in outputs],
            "output_digests": output_digests(declared),
        },
    )


def restore_record(path: Path, previous: dict[str, Any]) -> None:
    """Put back the record a refused run replaced with its 'started' marker (or remove it if there was none)."""
    if previous:
        write_record(path, previous)
    else:
        path.unlink(missing_ok=True)


def rerun_reason(previous: dict[str, Any], signature: str | None, outputs: list[Path], force: bool) -> str | None:
    """Why the stage must run; None when it can be skipped (same inputs and config, outputs complete and intact)."""
    if signature is None:
        return "the stage declares no inputs: it always runs"
    if force:
        return "force=true"
    if not previous:
        return "no record of an earlier run"
    if previous.get("version") != RECORD_VERSION or previous.get("complete") is not True:
        return "the last run did not finish (killed or failed): its outputs may be incomplete"
    if previous.get("signature") != signature:
        return "inputs or config changed"
    digests = previous.get("output_digests") or {}
    for p in outputs:
        if not p.exists():
            return f"output {p} is missing"
        if digests.get(str(p)) != file_digest(p):
            return f"output {p} changed since the last run"
    return None


# --- piped input --------------------------------------------------------------------------------------------------


def _suffix(head: bytes, fmt: str) -> str:
    """Suffix the readers recognise for the copied stream: from data.format, else sniffed from its first bytes."""
    from quotecontra.readers import looks_like_html

    if fmt in {"jsonl", "html", "txt"}:
        return f".{fmt}"
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    if text.startswith("{"):
        return ".jsonl"
    return ".html" if looks_like_html(text) else ".txt"


def is_stream(path: Path) -> bool:
    """A pipe, FIFO, socket or device (``/dev/stdin``): it can be read only once, so it is never digested."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def materialize_input(cfg: DictConfig) -> DictConfig:
    """Copy a streamed ``input`` into the run dir once and return a config pointing at the copy.

    Digesting a pipe consumed it and the reader then got 0 articles; the copy is digested and read like any file,
    and re-running with the same bytes piped in skips the stage as unchanged.
    """
    dash = str(cfg.input) == "-"  # input=- is stdin, whatever stdin is
    src = Path("/dev/stdin") if dash else Path(str(cfg.input))
    if not dash and not is_stream(src):
        return cfg
    paths = RunPaths.of(str(cfg.run_dir))
    paths.root.mkdir(parents=True, exist_ok=True)
    tmp = temp_path(paths.piped_input(".part"))
    tmp.parent.mkdir(parents=True, exist_ok=True)
    with src.open("rb") as fin, tmp.open("wb") as fout:
        head = fin.read(4096)
        fout.write(head)
        shutil.copyfileobj(fin, fout, 1 << 20)
    dest = paths.piped_input(_suffix(head, str(OmegaConf.select(cfg, "data.format", default="auto"))))
    tmp.replace(dest)
    log.info("input=%s is a stream: read %d bytes into %s", src, dest.stat().st_size, dest)
    out = copy.deepcopy(cfg)
    OmegaConf.update(out, "input", str(dest), merge=False)
    return out
