"""``quotecontra help``, and one source of defaults: the dataclasses hold every default, YAML only what differs."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path
from typing import Any, Optional

import pytest
import yaml
from omegaconf import OmegaConf

from quotecontra import config_help
from quotecontra.config import Config, TrainConfig

ROOT = Path(__file__).resolve().parents[2]
CONF = ROOT / "conf"


def compose(*overrides: str) -> dict[str, Any]:
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    from quotecontra.config import register_configs

    register_configs()
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = hydra_compose(config_name="config", overrides=list(overrides))
    return OmegaConf.to_container(cfg, resolve=False)  # type: ignore[return-value]


def test_every_group_field_is_described_with_its_help_and_checks() -> None:
    for group, cls in config_help.groups().items():
        docs = config_help.describe(group)
        assert [d.key for d in docs] == [f"{group}.{f.name}" for f in dataclasses.fields(cls)]
        assert all(d.help for d in docs), [d.key for d in docs if not d.help]
    (batch,) = config_help.describe("train.batch_size")
    assert (batch.type, batch.default, batch.checks) == ("int", TrainConfig().batch_size, ">= 1")
    (bf16,) = config_help.describe("runtime.bf16")
    assert bf16.checks == "one of auto, true, false"


def test_top_level_settings_are_listed_apart_from_the_groups() -> None:
    keys = [d.key for d in config_help.describe("")]
    assert "seed" in keys and "run_dir" in keys
    assert not set(keys) & set(config_help.groups())
    assert [d.key for d in config_help.describe("seed")] == ["seed"]


def test_the_value_of_a_run_is_shown_where_it_differs_from_the_default() -> None:
    smoke = yaml.safe_load((CONF / "experiment" / "smoke.yaml").read_text())
    docs = {d.key: d for d in config_help.describe("train", compose("experiment=smoke"))}
    for key, value in smoke["train"].items():
        doc = docs[f"train.{key}"]
        assert (doc.default if doc.value is config_help.MISSING else doc.value) == value
        assert (doc.value is config_help.MISSING) == (value == getattr(TrainConfig(), key))
    assert docs["train.weight_decay"].value is config_help.MISSING  # smoke leaves it alone
    text = config_help.render([docs["train.max_steps"]])
    assert f"(this run: {smoke['train']['max_steps']})" in text and "Stop after" in text


def test_unknown_group_or_key_names_what_exists() -> None:
    with pytest.raises(KeyError, match="groups: data, annotate"):
        config_help.describe("trian")
    with pytest.raises(KeyError, match="it has: epochs, learning_rate"):
        config_help.describe("train.epocs")


def test_type_names_read_like_annotations() -> None:
    assert config_help.type_name(Optional[str]) == "str | None"  # noqa: UP045 (config.py's spelling, for OmegaConf)
    assert config_help.type_name(str | None) == "str | None"
    assert config_help.type_name(list[str]) == "list[str]"
    assert config_help.type_name(float) == "float"


def test_cli_help_prints_a_group_and_fails_on_a_typo() -> None:
    def cli(*args: str) -> subprocess.CompletedProcess:
        cmd = [sys.executable, "-m", "quotecontra.cli", "help", *args]
        return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)

    res = cli("model", "model=tiny_bert")
    assert res.returncode == 0, res.stderr
    help_text = dataclasses.fields(config_help.groups()["model"])[0].metadata["help"]
    assert help_text in res.stdout
    assert "model.kind: str = transformer   (this run: tiny_bert)" in res.stdout
    bad = cli("trian")
    assert bad.returncode == 2 and "no config group or key 'trian'" in bad.stderr


# ------------------------------------------------------------------------------------- one source of defaults


def _option_files() -> list[Path]:
    return sorted(p for g in config_help.groups() if (CONF / g).is_dir() for p in (CONF / g).glob("*.yaml"))


def test_option_files_set_only_what_differs_from_the_dataclass_defaults() -> None:
    """A YAML value equal to the dataclass default is a second copy of it, free to drift: none is allowed."""
    defaults = OmegaConf.to_container(OmegaConf.structured(Config), resolve=False)
    restated = []
    for path in _option_files():
        group = path.parent.name
        for key, value in (yaml.safe_load(path.read_text()) or {}).items():
            if key in defaults[group] and value == defaults[group][key]:
                restated.append(f"{path.relative_to(ROOT)}: {key}")
    assert not restated, restated


def test_the_default_config_is_the_dataclass_defaults_plus_the_chosen_options() -> None:
    """With no overrides every setting is its dataclass default, except those the root defaults list's chosen
    option files set (``model: minilm_nli`` points name_or_path at the NLI base)."""
    chosen = {}
    for entry in yaml.safe_load((CONF / "config.yaml").read_text())["defaults"]:
        if isinstance(entry, dict):
            ((group, option),) = entry.items()
            if group in config_help.groups() and option:
                chosen[group] = yaml.safe_load((CONF / group / f"{option}.yaml").read_text()) or {}
    composed = compose()
    defaults = OmegaConf.to_container(OmegaConf.structured(Config), resolve=False)
    for group in config_help.groups():
        for key, default in defaults[group].items():
            want = chosen.get(group, {}).get(key, default)
            assert composed[group][key] == want, f"{group}.{key}: composed {composed[group][key]!r}, want {want!r}"
