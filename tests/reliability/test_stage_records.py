"""The stage record: a stage whose last run did not finish, or whose outputs changed since, reruns instead of skipping."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from quotecontra import stages
from quotecontra.stages import EmptyOutputError, StageResult, StageSpec, run_stage
from quotecontra.tracking import file_digest

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class FakeStage:
    src: Path
    out: Path
    calls: list[str] = field(default_factory=list)
    count: float | None = None  # what the stage reports it produced (None: no count)
    fail_after_partial_write: bool = False

    def __call__(self, cfg, tracker) -> StageResult:
        self.calls.append(self.src.read_text())
        self.out.parent.mkdir(parents=True, exist_ok=True)
        if self.fail_after_partial_write:
            self.out.write_text("partial")
            raise RuntimeError("stage died mid-write")
        self.out.write_text(json.dumps({"copy": self.src.read_text()}))
        return StageResult(metrics={"runs": float(len(self.calls))}, outputs=[self.out], count=self.count)


@pytest.fixture
def fake_stage(monkeypatch, tmp_path: Path) -> FakeStage:
    src = tmp_path / "in.txt"
    src.write_text("v1")
    stage = FakeStage(src, tmp_path / "run" / "out.json")
    spec = StageSpec("fake", stage, "test stage", lambda c: [src], lambda c: [stage.out], ("seed",))
    monkeypatch.setitem(stages.STAGES, "fake", spec)
    return stage


def _record(tmp_path: Path) -> dict:
    return json.loads((tmp_path / "run" / ".stages" / "fake.json").read_text())


def test_record_holds_a_completion_marker_and_output_digests(make_cfg, tmp_path: Path, fake_stage) -> None:
    run_stage("fake", make_cfg(run_dir=tmp_path / "run"))
    rec = _record(tmp_path)
    assert rec["complete"] is True
    assert rec["output_digests"] == {str(fake_stage.out): file_digest(fake_stage.out)}


def test_unchanged_stage_with_intact_outputs_is_skipped(make_cfg, tmp_path: Path, fake_stage, capsys) -> None:
    cfg = make_cfg(run_dir=tmp_path / "run")
    run_stage("fake", cfg)
    run_stage("fake", cfg)
    assert len(fake_stage.calls) == 1
    assert "skipped" in capsys.readouterr().out


@pytest.mark.parametrize("damage", ["changed", "truncated", "emptied"])
def test_changed_or_truncated_output_reruns(make_cfg, tmp_path: Path, fake_stage, damage: str) -> None:
    cfg = make_cfg(run_dir=tmp_path / "run")
    run_stage("fake", cfg)
    good = fake_stage.out.read_text()
    fake_stage.out.write_text({"changed": good.replace("v1", "v9"), "truncated": good[:5], "emptied": ""}[damage])
    run_stage("fake", cfg)
    assert len(fake_stage.calls) == 2, f"an output that was {damage} after the run was skipped as unchanged"
    assert fake_stage.out.read_text() == good


def test_a_run_that_died_mid_write_is_not_skipped_later(make_cfg, tmp_path: Path, fake_stage) -> None:
    """v1 ok; v2 dies after a partial write; back to v1 (the old signature): the partial output must be redone."""
    cfg = make_cfg(run_dir=tmp_path / "run")
    run_stage("fake", cfg)
    fake_stage.src.write_text("v2")
    fake_stage.fail_after_partial_write = True
    with pytest.raises(RuntimeError, match="mid-write"):
        run_stage("fake", cfg)
    assert _record(tmp_path)["complete"] is False
    fake_stage.src.write_text("v1")
    fake_stage.fail_after_partial_write = False
    run_stage("fake", cfg)
    assert len(fake_stage.calls) == 3
    assert json.loads(fake_stage.out.read_text()) == {"copy": "v1"}


KILLED = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from hydra import compose, initialize_config_dir
    from quotecontra import stages
    from quotecontra.cli import conf_dir
    from quotecontra.config import register_configs
    from quotecontra.stages import StageResult, StageSpec, run_stage

    base, mode = Path(sys.argv[1]), sys.argv[2]
    src, out = base / "in.txt", base / "run" / "out.txt"

    def _run(cfg, tracker):
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("w") as fh:
            fh.write("half of " + src.read_text())
            fh.flush()
            if mode == "kill":
                os.kill(os.getpid(), signal.SIGKILL)
            fh.write(" and the rest")
        return StageResult(outputs=[out])

    stages.STAGES["fake"] = StageSpec("fake", _run, "test", lambda c: [src], lambda c: [out], ("seed",))
    register_configs()
    with initialize_config_dir(config_dir=conf_dir(), version_base="1.3"):
        cfg = compose("config", overrides=[f"run_dir={base / 'run'}", "mlflow.enabled=false"])
    run_stage("fake", cfg)
    """
)


def test_a_stage_killed_mid_write_reruns(tmp_path: Path) -> None:
    (tmp_path / "in.txt").write_text("v1")

    def go(mode: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-c", KILLED, str(tmp_path), mode], cwd=ROOT, capture_output=True, text=True, timeout=120
        )

    assert go("ok").returncode == 0
    (tmp_path / "in.txt").write_text("v2")
    assert go("kill").returncode == -9
    assert (tmp_path / "run" / "out.txt").read_text() == "half of v2"
    (tmp_path / "in.txt").write_text("v1")  # the signature of the last complete run
    res = go("ok")
    assert res.returncode == 0, res.stderr
    assert "skipped" not in res.stdout
    assert (tmp_path / "run" / "out.txt").read_text() == "half of v1 and the rest"


def test_runner_refuses_a_zero_count_and_does_not_record_it(make_cfg, tmp_path: Path, fake_stage) -> None:
    cfg = make_cfg(run_dir=tmp_path / "run")
    fake_stage.count = 0
    with pytest.raises(EmptyOutputError, match=r"stage 'fake' produced 0 results.*allow_empty=true"):
        run_stage("fake", cfg)
    assert _record(tmp_path)["complete"] is False  # so the next run does not skip over the empty result
    run_stage("fake", make_cfg("allow_empty=true", run_dir=tmp_path / "run"))
    assert _record(tmp_path)["complete"] is True


def test_a_refused_empty_result_keeps_the_last_good_record(make_cfg, tmp_path: Path, fake_stage, monkeypatch) -> None:
    """A stage that refuses before writing leaves outputs and record as they were: the good run still skips."""
    cfg = make_cfg(run_dir=tmp_path / "run")
    run_stage("fake", cfg)
    before = _record(tmp_path)

    def refuse(cfg, tracker):
        raise EmptyOutputError("stage 'fake' produced 0 things")

    fake_stage.src.write_text("v2")
    monkeypatch.setattr(type(fake_stage), "__call__", lambda self, c, t: refuse(c, t))
    with pytest.raises(EmptyOutputError):
        run_stage("fake", cfg)
    assert _record(tmp_path) == before
