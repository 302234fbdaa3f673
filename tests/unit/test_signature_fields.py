"""Generated from the config schema: every setting either changes the skip signature of each stage that declares it,
or is a run key, or belongs to a stage that has no signature (it always runs).

Together with the runtime slice (a stage is given only its declared keys: tests/unit/test_stages.py), this proves a
changed setting can never leave a stage "unchanged: skipped" with outputs made under the old value.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from omegaconf import DictConfig, ListConfig, OmegaConf

from quotecontra.stage_graph import RUN_KEYS, STAGES, signature

# Read only by stages without inputs (evaluate-quotes, import-annotations, predict): they never skip.
UNSIGNED = ("gold", "dataset", "split", "file", "predict", "quote_eval")


def _leaves(node: Any, prefix: str = "") -> list[str]:
    if isinstance(node, DictConfig):
        out: list[str] = []
        for k in node:
            out += _leaves(node._get_node(k), f"{prefix}{k}.")
        return out or [prefix[:-1]]
    return [prefix[:-1]]


def _under(key: str, roots: tuple[str, ...]) -> bool:
    return any(key == r or key.startswith(r + ".") for r in roots)


def _changed(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        return value / 2 + 0.125
    if isinstance(value, list):
        return value[:-1] if value else ["x"]
    if value is None:
        return "changed"
    return f"{value}_changed"


@pytest.fixture(scope="module")
def cfg(make_cfg, tmp_path_factory) -> DictConfig:
    c = make_cfg(run_dir=tmp_path_factory.mktemp("sig"))
    OmegaConf.resolve(c)
    return c


def _signed(cfg: DictConfig) -> list[str]:
    return [n for n, s in STAGES.items() if s.inputs(cfg)]


def test_every_setting_is_declared_by_a_stage_or_exempt(cfg: DictConfig) -> None:
    signed = _signed(cfg)
    declared = tuple(k for n in signed for k in STAGES[n].config_keys)
    loose = [k for k in _leaves(cfg) if not _under(k, (*declared, *RUN_KEYS, *UNSIGNED))]
    assert not loose, f"settings no stage signs and no rule exempts (a change to them reruns nothing): {loose}"


def _cases() -> list[tuple[str, str]]:
    """(stage, setting) for every leaf setting under each signed stage's config_keys, read from the schema."""
    from hydra import compose, initialize_config_dir

    from quotecontra.cli import conf_dir
    from quotecontra.config import register_configs

    register_configs()
    with initialize_config_dir(config_dir=conf_dir(), version_base="1.3"):
        c = compose(config_name="config", overrides=["experiment=smoke", "run_dir=/tmp/sig-cases"])
    out = []
    for name, spec in STAGES.items():
        if not spec.inputs(c):
            continue
        for key in _leaves(c):
            if _under(key, spec.config_keys) and not _under(key, RUN_KEYS):
                out.append((name, key))
    return out


CASES = _cases()


def test_the_generated_cases_cover_every_signed_stage() -> None:
    assert {n for n, _ in CASES} >= {"annotate", "pairs", "train", "evaluate", "crossval", "report", "export"}
    assert len(CASES) > 100


@pytest.mark.parametrize(("stage", "key"), CASES, ids=[f"{s}:{k}" for s, k in CASES])
def test_changing_a_declared_setting_changes_the_stage_signature(cfg: DictConfig, stage: str, key: str) -> None:
    spec = STAGES[stage]
    before = signature(spec, cfg)
    changed = cfg.copy()
    value = OmegaConf.select(changed, key)
    plain = OmegaConf.to_container(value) if isinstance(value, ListConfig) else value
    OmegaConf.update(changed, key, _changed(plain), force_add=True)
    assert signature(spec, changed) != before, f"{stage}: changing {key} does not change its signature"


def test_the_probe_itself_fails_on_an_undeclared_key(cfg: DictConfig) -> None:
    """The check can fail: a setting left out of config_keys leaves the signature unchanged."""
    spec = STAGES["evaluate"]
    changed = cfg.copy()
    OmegaConf.update(changed, "pairs.min_similarity", 0.9)
    assert signature(spec, changed) == signature(spec, cfg)
    assert Path(str(cfg.run_dir)).name.startswith("sig")
