"""One run per run dir: a second run fails naming the first one's pid; a dead run's lock is taken over.

Also temp files: two writers of the same output never share a temp file.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from quotecontra import stages
from quotecontra.records import Article, read_jsonl, write_jsonl
from quotecontra.runpaths import RunLock, RunLockedError, RunPaths, temp_path
from quotecontra.stages import StageResult, StageSpec, run_stage

ROOT = Path(__file__).resolve().parents[2]
HOLD = "import sys, time; from quotecontra.runpaths import RunLock; RunLock(sys.argv[1]).acquire(); time.sleep(120)"


@pytest.fixture
def holder(tmp_path: Path):
    """Another process holding run_dir's lock; yields (run_dir, its pid); killed at the end."""
    run_dir = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(run_dir)], cwd=ROOT)
    lock = RunPaths.of(run_dir).lock
    deadline = time.monotonic() + 60
    while RunLock.owner(lock).get("pid") != proc.pid:
        assert proc.poll() is None and time.monotonic() < deadline, "the holder never took the lock"
        time.sleep(0.05)
    yield run_dir, proc
    proc.kill()
    proc.wait()


@pytest.fixture
def touch_stage(monkeypatch, tmp_path: Path) -> list[int]:
    calls: list[int] = []
    src, out = tmp_path / "in.txt", tmp_path / "run" / "out.txt"
    src.write_text("x")

    def _run(cfg, tracker) -> StageResult:
        calls.append(1)
        out.write_text("done")
        return StageResult(outputs=[out])

    monkeypatch.setitem(stages.STAGES, "touch", StageSpec("touch", _run, "t", lambda c: [src], lambda c: [out], ()))
    return calls


def test_second_run_on_a_locked_run_dir_fails_naming_the_pid(make_cfg, holder, touch_stage) -> None:
    run_dir, proc = holder
    with pytest.raises(
        RunLockedError, match=rf"run_dir {run_dir} is in use by another quotecontra run \(pid {proc.pid} "
    ):
        run_stage("touch", make_cfg(run_dir=run_dir))
    assert touch_stage == []


def test_cli_on_a_locked_run_dir_exits_with_one_line(holder) -> None:
    run_dir, proc = holder
    res = subprocess.run(
        [sys.executable, "-m", "quotecontra.cli", "annotate", f"run_dir={run_dir}", "mlflow.enabled=false"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert res.returncode != 0
    last = res.stderr.strip().splitlines()[-1]
    assert last.startswith("quotecontra: run_dir ") and f"(pid {proc.pid} " in last
    assert not (run_dir / "articles.jsonl").exists()


def test_stale_lock_of_a_dead_run_is_taken_over(make_cfg, holder, touch_stage, caplog) -> None:
    run_dir, proc = holder
    proc.kill()  # killed: its lock file stays behind, naming a pid that no longer runs
    proc.wait()
    assert RunLock.owner(RunPaths.of(run_dir).lock)["pid"] == proc.pid
    with caplog.at_level(logging.WARNING, logger="quotecontra.runpaths"):
        run_stage("touch", make_cfg(run_dir=run_dir))
    assert touch_stage == [1]
    assert f"taking over the stale lock {run_dir / '.lock'} of pid {proc.pid}" in caplog.text
    assert not (run_dir / ".lock").exists(), "the lock is released when the run ends"


def test_lock_is_reentrant_within_one_run(tmp_path: Path) -> None:
    """``all`` holds the lock while each of its stages takes it again."""
    with RunLock(tmp_path), RunLock(tmp_path):
        assert json.loads((tmp_path / ".lock").read_text())["pid"]
    assert not (tmp_path / ".lock").exists()


def test_temp_names_are_unique() -> None:
    target = Path("/x/articles.jsonl")
    names = {temp_path(target) for _ in range(100)}
    assert len(names) == 100
    assert all(n.parent == target.parent and n.name != "articles.jsonl.tmp" for n in names)


def test_concurrent_writers_never_share_a_temp_file(tmp_path: Path) -> None:
    """Two writers of one file: each write lands whole (with a shared temp name they interleave or fail)."""
    path = tmp_path / "articles.jsonl"
    text = "The council said on Monday that the vote on the bridge would be delayed until the spring."
    versions = {w: [Article(id=f"{w}-{i}", text=text) for i in range(300)] for w in ("a", "b")}
    errors: list[BaseException] = []

    def writer(w: str) -> None:
        try:
            for _ in range(15):
                write_jsonl(path, versions[w])
        except BaseException as exc:  # collected: a thread's exception would otherwise vanish
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(w,)) for w in versions]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    ids = [a.id for a in read_jsonl(path, Article)]
    assert ids in ([a.id for a in versions["a"]], [a.id for a in versions["b"]])
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
