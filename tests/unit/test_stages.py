"""The stage runner: runs a stage, records its signature, and skips it when inputs and config are unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from quotecontra import stages
from quotecontra.stages import StageResult, StageSpec, run_stage


@pytest.fixture
def counting_stage(monkeypatch, tmp_path: Path):
    calls: list[int] = []
    src = tmp_path / "in.txt"
    src.write_text("v1")
    out = tmp_path / "run" / "out.json"

    def _run(cfg, tracker) -> StageResult:
        calls.append(1)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps({"n": len(calls)}))
        return StageResult(metrics={"n": float(len(calls))}, outputs=[out], summary=["counted"])

    spec = StageSpec("count", _run, "test stage", lambda c: [src], lambda c: [out], ("seed",))
    monkeypatch.setitem(stages.STAGES, "count", spec)
    return calls, src, out


def test_unchanged_stage_is_skipped_and_changes_rerun(make_cfg, tmp_path: Path, counting_stage, capsys) -> None:
    calls, src, out = counting_stage
    cfg = make_cfg(run_dir=tmp_path / "run")
    assert run_stage("count", cfg) == {"n": 1.0}
    assert run_stage("count", cfg) == {"n": 1.0}  # skipped: metrics come from the record
    assert len(calls) == 1
    assert "skipped" in capsys.readouterr().out

    src.write_text("v2")  # input changed
    run_stage("count", cfg)
    assert len(calls) == 2

    run_stage("count", make_cfg("seed=99", run_dir=tmp_path / "run"))  # config slice changed
    assert len(calls) == 3

    out.unlink()  # output missing
    run_stage("count", make_cfg("seed=99", run_dir=tmp_path / "run"))
    assert len(calls) == 4

    run_stage("count", make_cfg("seed=99", "force=true", run_dir=tmp_path / "run"))
    assert len(calls) == 5


def test_missing_input_names_the_stage_that_writes_it(make_cfg, tmp_path: Path) -> None:
    cfg = make_cfg(run_dir=tmp_path / "empty")
    with pytest.raises(FileNotFoundError, match=r"stage 'pairs' needs .*quotes.jsonl"):
        run_stage("pairs", cfg)


def _reading_stage(monkeypatch, tmp_path: Path, read, keys: tuple[str, ...]) -> list:
    seen: list = []
    src = tmp_path / "in.txt"
    src.write_text("v1")

    def _run(cfg, tracker) -> StageResult:
        seen.append(read(cfg))
        return StageResult(metrics={}, outputs=[], summary=["read"])

    monkeypatch.setitem(
        stages.STAGES, "reader", StageSpec("reader", _run, "test stage", lambda c: [src], lambda c: [], keys)
    )
    return seen


def test_a_stage_cannot_read_a_key_it_did_not_declare(make_cfg, tmp_path: Path, monkeypatch) -> None:
    """Reading an undeclared key fails at once naming it, instead of a skip going stale when the key changes."""
    from omegaconf.errors import ConfigAttributeError

    _reading_stage(monkeypatch, tmp_path, lambda cfg: cfg.train.epochs, ("seed", "runtime.bf16"))
    with pytest.raises(ConfigAttributeError, match=r"train\.epochs"):
        run_stage("reader", make_cfg(run_dir=tmp_path / "run"))
    _reading_stage(monkeypatch, tmp_path, lambda cfg: cfg.pairs.encoder, ("seed",))
    with pytest.raises(ConfigAttributeError, match=r"pairs"):
        run_stage("reader", make_cfg(run_dir=tmp_path / "run2"))


def test_declared_keys_reach_the_stage_typed_and_resolved(make_cfg, tmp_path: Path, monkeypatch) -> None:
    from omegaconf import OmegaConf

    from quotecontra.config_model import EvaluateConfig

    seen = _reading_stage(
        monkeypatch,
        tmp_path,
        lambda cfg: (OmegaConf.get_type(cfg.evaluate), cfg.runtime.eval_batch_size, cfg.predict.output, cfg.run_dir),
        ("evaluate", "runtime.eval_batch_size", "predict.output"),
    )
    run_stage("reader", make_cfg("runtime.eval_batch_size=7", run_dir=tmp_path / "run"))
    kind, batch, output, run_dir = seen[0]
    assert kind is EvaluateConfig  # a whole group keeps its dataclass type (and its validation)
    assert batch == 7
    assert output == f"{tmp_path / 'run'}/predictions.jsonl"  # ${run_dir} resolved against the full config
    assert run_dir == str(tmp_path / "run")  # run keys are always there
