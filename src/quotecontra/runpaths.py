"""Where each stage reads and writes inside ``run_dir``: the one place that knows the layout.

Also the two guards that keep concurrent runs apart: :class:`RunLock` (one run per run dir at a time) and
:func:`temp_path` (a temporary file name no other run can share).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import secrets
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunPaths:
    root: Path

    @classmethod
    def of(cls, run_dir: str | Path) -> RunPaths:
        return cls(Path(run_dir))

    @property
    def articles(self) -> Path:
        """Normalised articles (annotate writes them so later stages never re-read raw input)."""
        return self.root / "articles.jsonl"

    @property
    def quotes(self) -> Path:
        return self.root / "quotes.jsonl"

    @property
    def annotate_report(self) -> Path:
        return self.root / "annotate_report.json"

    @property
    def annotate_cache(self) -> Path:
        """Per-article content+config hashes for incremental annotate runs."""
        return self.root / ".cache" / "annotate"

    @property
    def pairs(self) -> Path:
        return self.root / "pairs"

    @property
    def pairs_hf(self) -> Path:
        """The pairs as a Hugging Face DatasetDict (splits train, dev, test, natural) saved with save_to_disk."""
        return self.pairs / "hf"

    def pairs_parquet(self, split: str) -> Path:
        return self.pairs / f"{split}.parquet"

    @property
    def pairs_card(self) -> Path:
        return self.pairs / "README.md"

    @property
    def claims(self) -> Path:
        return self.pairs / "claims.jsonl"

    @property
    def model(self) -> Path:
        return self.root / "model"

    @property
    def checkpoints(self) -> Path:
        return self.root / "checkpoints"

    @property
    def metrics(self) -> Path:
        return self.root / "metrics.json"

    @property
    def plots(self) -> Path:
        return self.root / "plots"

    @property
    def quote_metrics(self) -> Path:
        return self.root / "quote_metrics.json"

    @property
    def stages(self) -> Path:
        """Stage signatures (inputs + config digests) used to skip unchanged stages."""
        return self.root / ".stages"

    @property
    def lock(self) -> Path:
        """Held by the run working in this run dir (see :class:`RunLock`)."""
        return self.root / ".lock"

    def piped_input(self, suffix: str) -> Path:
        """Where input read from a pipe (``input=/dev/stdin``) is kept, so it is read once and can be re-read."""
        return self.root / "input" / f"stdin{suffix}"


def temp_path(path: Path) -> Path:
    """A hidden sibling of ``path`` unique to this process and call: two runs never write the same temp file."""
    path = Path(path)
    return path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")


@contextlib.contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """Write ``path`` atomically: the block writes the temp path it is given, renamed over ``path`` when the block
    ends and removed when it raises, so a killed or failed write leaves the old file or the new one, never half."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path(path)
    try:
        yield tmp
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


class RunLockedError(RuntimeError):
    """Another live run holds the run dir."""


class RunLock:
    """An exclusive lock on a run dir: ``flock`` on ``run_dir/.lock``, which records the owner's pid and host.

    ``flock`` ends with its process, so the lock of a killed run is stale by construction and is taken over (with a
    logged note naming the dead pid). Re-entrant within one process: ``all`` holds it while each stage takes it again.
    """

    _held: ClassVar[dict[str, tuple[int, int]]] = {}  # resolved lock path -> (fd, depth)

    def __init__(self, root: str | Path) -> None:
        self.path = RunPaths.of(root).lock

    def _key(self) -> str:
        return str(self.path.resolve())

    @staticmethod
    def owner(path: Path) -> dict[str, Any]:
        """What the lock file says about its (last) owner; {} when unreadable."""
        try:
            data = json.loads(path.read_text(encoding="utf-8") or "{}")
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def acquire(self) -> None:
        key = self._key()
        if key in self._held:
            fd, depth = self._held[key]
            self._held[key] = (fd, depth + 1)
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(10):
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                who = self.owner(self.path)
                raise RunLockedError(
                    f"run_dir {self.path.parent} is in use by another quotecontra run (pid {who.get('pid', '?')} on "
                    f"{who.get('host', '?')}, stage {who.get('stage', '?')}, since {who.get('since', '?')}); wait for "
                    "it to finish or choose another run_dir"
                ) from None
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if not same:  # the previous owner removed the file between our open and flock: lock the new one
                os.close(fd)
                continue
            stale = self.owner(self.path)
            if stale.get("pid"):
                log.warning("taking over the stale lock %s of pid %s (no longer running)", self.path, stale["pid"])
            info = {"pid": os.getpid(), "host": socket.gethostname(), "since": time.strftime("%Y-%m-%d %H:%M:%S")}
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(info).encode(), 0)
            self._held[key] = (fd, 1)
            return
        raise RunLockedError(f"could not lock {self.path}: it keeps being replaced")

    def note(self, **fields: str) -> None:
        """Add context (the running stage) to the lock file for the message another run would show."""
        held = self._held.get(self._key())
        if held is None:
            return
        info = {**self.owner(self.path), **fields}
        os.ftruncate(held[0], 0)
        os.pwrite(held[0], json.dumps(info).encode(), 0)

    def release(self) -> None:
        key = self._key()
        fd, depth = self._held[key]
        if depth > 1:
            self._held[key] = (fd, depth - 1)
            return
        del self._held[key]
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()  # before unlocking: a waiting run then locks a fresh file, not this one
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


@contextlib.contextmanager
def locked(root: str | Path, enabled: bool = True) -> Iterator[RunLock | None]:
    """Hold the run dir's lock for the block (``enabled=False``, e.g. on non-zero torchrun ranks: no lock)."""
    if not enabled:
        yield None
        return
    with RunLock(root) as lock:
        yield lock
