"""Input that is not a plain folder of readable files: pipes, unreadable files and folders.

A pipe is read once into the run dir (the signature used to consume it, leaving the reader 0 articles); an
unreadable file or folder is a logged skip with its reason, never a crash in the reader or in the digest.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import textwrap
import threading
from pathlib import Path

import pytest

from quotecontra.readers import ReaderOptions, ReadReport, iter_articles
from quotecontra.stage_guard import materialize_input
from quotecontra.stages import STAGES, signature
from quotecontra.tracking import file_digest

ROOT = Path(__file__).resolve().parents[2]
TEXT = (
    "The council said on Monday that the vote on the harbour bridge would be delayed until the spring, and the "
    "mayor told reporters that he was not worried about the cost of the work."
)
LINES = "".join(json.dumps({"id": f"a{i}", "text": TEXT.replace("Monday", day)}) + "\n" for i, day in enumerate("MTW"))


def test_fifo_input_is_read_once_into_the_run_dir(make_cfg, tmp_path: Path) -> None:
    fifo = tmp_path / "articles.pipe"
    os.mkfifo(fifo)
    writer = threading.Thread(target=fifo.write_text, args=(LINES,))
    writer.start()
    cfg = make_cfg(f"input={fifo}", "data.format=jsonl", run_dir=tmp_path / "run")
    copied = materialize_input(cfg)
    writer.join(timeout=30)
    kept = Path(copied.input)
    assert kept == tmp_path / "run" / "input" / "stdin.jsonl"
    assert kept.read_text() == LINES
    assert signature(STAGES["annotate"], copied) == signature(STAGES["annotate"], copied)  # a file: re-readable
    assert [a.id for a in iter_articles(kept, ReaderOptions(format="jsonl"))] == ["a0", "a1", "a2"]
    assert file_digest(fifo)  # digesting the pipe itself neither blocks nor reads it


DASH = textwrap.dedent(
    """
    import sys
    from hydra import compose, initialize_config_dir
    from quotecontra.cli import conf_dir
    from quotecontra.config import register_configs
    from quotecontra.stage_guard import materialize_input

    register_configs()
    with initialize_config_dir(config_dir=conf_dir(), version_base="1.3"):
        cfg = compose("config", overrides=["input=-", f"run_dir={sys.argv[1]}", "mlflow.enabled=false"])
    print(materialize_input(cfg).input)
    """
)


def test_dash_input_reads_stdin_even_when_it_is_a_file(tmp_path: Path) -> None:
    """``input=- < a.jsonl``: stdin is a regular file here, but '-' names no file, so it is copied as well."""
    src = tmp_path / "a.jsonl"
    src.write_text(LINES)
    with src.open("rb") as stdin:
        res = subprocess.run(
            [sys.executable, "-c", DASH, str(tmp_path / "run")], stdin=stdin, cwd=ROOT, capture_output=True,
            text=True, timeout=120,
        )  # fmt: skip
    assert res.returncode == 0, res.stderr[-2000:]
    copy = Path(res.stdout.strip().splitlines()[-1])
    assert copy == tmp_path / "run" / "input" / "stdin.jsonl"  # suffix sniffed: the text starts with '{'
    assert copy.read_text() == LINES


@pytest.mark.slow
def test_piped_stdin_annotates_and_an_identical_pipe_skips(tmp_path: Path) -> None:
    src = tmp_path / "a.jsonl"
    src.write_text(LINES)
    run_dir = tmp_path / "run"
    cmd = (
        f"cat {src} | {sys.executable} -m quotecontra.cli annotate input=/dev/stdin data.format=jsonl "
        f"run_dir={run_dir} mlflow.enabled=false"
    )

    def go() -> subprocess.CompletedProcess:
        return subprocess.run(["bash", "-c", cmd], cwd=ROOT, capture_output=True, text=True, timeout=300)

    first = go()
    assert first.returncode == 0, first.stderr[-3000:]
    articles = [json.loads(line)["id"] for line in (run_dir / "articles.jsonl").read_text().splitlines()]
    assert articles == ["a0", "a1", "a2"]
    assert (run_dir / "input" / "stdin.jsonl").read_text() == LINES
    second = go()
    assert second.returncode == 0, second.stderr[-3000:]
    assert "skipped" in second.stdout


UNREADABLE = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from quotecontra.readers import ReaderOptions, ReadReport, iter_articles
    from quotecontra.tracking import file_digest

    folder, single = Path(sys.argv[1]), Path(sys.argv[2])
    try:
        single.read_bytes()
        print(json.dumps({"privileged": True}))  # permissions do not apply to this process
        sys.exit(0)
    except PermissionError:
        pass
    report = ReadReport()
    ids = [a.id for a in iter_articles(folder, ReaderOptions(format="auto"), report)]
    single_report = ReadReport()
    single_ids = [a.id for a in iter_articles(single, ReaderOptions(format="jsonl"), single_report)]
    print(json.dumps({
        "ids": ids, "skips": [[s.source, s.reason] for s in report.skips],
        "single_ids": single_ids, "single_skips": [[s.source, s.reason] for s in single_report.skips],
        "digest": file_digest(folder), "single_digest": file_digest(single),
    }))
    """
)


def _drop_file_override() -> None:
    """In the child, before exec: drop the capabilities that let root read chmod-000 files (prctl CAPBSET_DROP)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        libc.prctl(24, cap, 0, 0, 0)  # PR_CAPBSET_DROP: gone from the bounding set, so from the exec'd process


def test_unreadable_files_and_folders_are_logged_skips() -> None:
    base = Path(tempfile.mkdtemp(prefix="qc-unreadable-"))  # not under pytest's root-only tmp dir
    try:
        base.chmod(0o755)
        corpus = base / "corpus"
        (corpus / "locked").mkdir(parents=True)
        (corpus / "good.txt").write_text(TEXT)
        (corpus / "secret.txt").write_text(TEXT)
        (corpus / "locked" / "inner.txt").write_text(TEXT)
        os.mkfifo(corpus / "pipe.txt")
        single = base / "single.jsonl"
        single.write_text(LINES)
        for p in (corpus / "secret.txt", corpus / "locked", single):
            p.chmod(0)
        corpus.chmod(0o755)
        res = subprocess.run(
            [sys.executable, "-c", UNREADABLE, str(corpus), str(single)],
            cwd=ROOT, capture_output=True, text=True, timeout=120, env={**os.environ, "HOME": str(base)},
            preexec_fn=_drop_file_override if os.geteuid() == 0 else None,
        )  # fmt: skip
        assert res.returncode == 0, res.stderr[-3000:]
        out = json.loads(res.stdout.strip().splitlines()[-1])
    finally:
        for p in base.rglob("*"):
            if not p.is_fifo():
                p.chmod(0o755)
        subprocess.run(["rm", "-rf", str(base)], check=False)
    if out.get("privileged"):
        pytest.skip("this process reads chmod-000 files regardless (root with CAP_DAC_OVERRIDE kept)")
    assert out["ids"] == ["good"]
    skips = dict(out["skips"])
    assert skips[str(corpus / "secret.txt")] == "unreadable: Permission denied"
    assert skips[str(corpus / "locked")] == "unreadable folder: Permission denied"
    assert skips[str(corpus / "pipe.txt")] == "not a regular file: a pipe, socket or device"
    assert out["single_ids"] == [] and out["single_skips"] == [[str(single), "unreadable: Permission denied"]]
    assert out["digest"] and out["single_digest"]


def test_skips_are_counted_by_reason(tmp_path: Path) -> None:
    """The report's counts group skips by the reason before the colon ('unreadable', 'not a regular file')."""
    (tmp_path / "good.txt").write_text(TEXT)
    os.mkfifo(tmp_path / "pipe.txt")
    report = ReadReport()
    assert [a.id for a in iter_articles(tmp_path, ReaderOptions(), report)] == ["good"]
    assert report.skipped == {"not a regular file": 1}
