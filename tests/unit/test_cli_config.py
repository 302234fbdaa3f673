"""The CLI and the structured config: typos fail at start naming the key; Hydra flags work for every stage."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "quotecontra.cli", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("override", ["data.typo=1", "annotate.n_procs=2", "typo=1"])
def test_misspelt_key_fails_at_start_naming_it(override: str) -> None:
    res = _cli("annotate", override)
    key = override.split("=")[0]
    assert res.returncode != 0
    assert f"Could not override '{key}'" in res.stderr
    assert f"Key '{key.split('.')[-1]}' not in" in res.stderr


def test_misspelt_key_in_an_experiment_file_fails(tmp_path: Path) -> None:
    exp_dir = tmp_path / "experiment"
    exp_dir.mkdir()
    (exp_dir / "bad.yaml").write_text("# @package _global_\ntrain:\n  epocs: 3\n")
    res = _cli("train", f"hydra.searchpath=[file://{tmp_path}]", "experiment=bad", "--cfg", "job")
    assert res.returncode != 0
    assert "epocs" in res.stderr


def test_wrong_type_fails_naming_the_key() -> None:
    res = _cli("train", "train.batch_size=many")
    assert res.returncode != 0
    assert "train.batch_size" in res.stderr + res.stdout


def test_cfg_job_shows_resolved_config_with_experiment() -> None:
    res = _cli("train", "experiment=smoke", "--cfg", "job")
    assert res.returncode == 0, res.stderr
    assert "stage: train" in res.stdout
    assert "kind: tiny_bert" in res.stdout


def test_usage_lists_every_stage() -> None:
    res = _cli("--help")
    for stage in ["annotate", "pairs", "train", "evaluate", "export", "all", "evaluate-quotes", "predict"]:
        assert f"  {stage} " in res.stdout
    bad = _cli("anotate")
    assert bad.returncode == 2
    assert "unknown stage 'anotate'" in bad.stderr


def test_hydra_help_works_per_stage() -> None:
    """`<stage> --help` shows the project's own help: the stage's description and the help text of the config
    fields that stage reads (from the config dataclasses), and not those of other stages; then Hydra's help."""
    import dataclasses

    from quotecontra.config import PairsConfig, TrainConfig
    from quotecontra.stages import STAGES

    def help_of(cls: type, name: str) -> str:
        return next(f.metadata["help"] for f in dataclasses.fields(cls) if f.name == name)

    def flat(text: str) -> str:  # the help is wrapped to the terminal width
        return " ".join(text.split())

    res = _cli("pairs", "--help")
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith(f"quotecontra pairs: {STAGES['pairs'].doc}\n")
    out = flat(res.stdout)
    assert f"pairs.min_similarity: float = 0.2 {help_of(PairsConfig, 'min_similarity')}" in out
    assert f"pairs.dedup: bool = true {help_of(PairsConfig, 'dedup')}" in out
    assert flat(help_of(TrainConfig, "batch_size")) not in out  # train's fields belong to `train --help`
    assert "min_similarity: 0.2" in res.stdout.split("== Config ==")[1]  # Hydra's part: the composed config
    train = _cli("train", "--help")
    assert train.returncode == 0, train.stderr
    assert f"train.batch_size: int = 16 {help_of(TrainConfig, 'batch_size')}" in flat(train.stdout)
    assert flat(help_of(PairsConfig, "min_similarity")) not in flat(train.stdout)


def test_compose_matches_schema(make_cfg, tmp_path: Path) -> None:
    cfg = make_cfg("pairs.min_similarity=0.5", run_dir=tmp_path)
    assert cfg.pairs.min_similarity == 0.5
    assert cfg.model.kind == "tiny_bert"
    assert cfg.run_dir == str(tmp_path)
