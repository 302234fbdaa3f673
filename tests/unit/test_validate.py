"""Config validation: every choice field and every ranged field is checked, generated from the dataclass metadata.

The parametrised cases below are built from ``quotecontra.config``: a field that gains ``choices=`` or ``min=``
in its metadata is tested here without anyone writing a test for it.
"""

from __future__ import annotations

import copy
import typing
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from quotecontra.validate import BOUNDS, ConfigError, checked_fields, problems, validate

ROOT = Path(__file__).resolve().parents[2]
WRONG = "definitely_not_a_choice"


def _choice_fields() -> list[tuple[str, tuple[str, ...]]]:
    return [(key, tuple(f.metadata["choices"])) for key, f, _ in checked_fields() if "choices" in f.metadata]


def _out_of_range_cases() -> list[tuple[str, str, float]]:
    """(key, bound, a value just outside it) for every bound of every ranged field."""
    cases = []
    for key, f, tp in checked_fields():
        is_int = int in (tp, *typing.get_args(tp))  # int, Optional[int], list[int]
        step = 1 if is_int else 0.5
        for bound in BOUNDS:
            if bound not in f.metadata:
                continue
            lim = f.metadata[bound]
            value = {"min": lim - step, "max": lim + step, "gt": lim, "lt": lim}[bound]
            cases.append((key, bound, int(value) if is_int else float(value)))
    return cases


def _with(cfg, key: str, value) -> object:
    """A copy of cfg with key set to value; a list field gets the value as its first item."""
    cfg = copy.deepcopy(cfg)
    current = OmegaConf.select(cfg, key)
    if OmegaConf.is_list(current):
        items = list(OmegaConf.to_container(current)) or [value]
        items[0] = value
        value = items
    OmegaConf.update(cfg, key, value, merge=False)
    return cfg


@pytest.fixture(scope="module")
def base(make_cfg):
    return make_cfg(smoke=False)


def test_generated_cases_cover_the_fields_named_in_the_issue() -> None:
    choice_keys = {k for k, _ in _choice_fields()}
    assert {"data.format", "pairs.origins", "nli.mode", "export.import_split", "runtime.device"} <= choice_keys
    ranged = {k for k, _, _ in _out_of_range_cases()}
    assert {"annotate.batch_size", "annotate.n_process", "train.batch_size", "train.learning_rate"} <= ranged


@pytest.mark.parametrize(("key", "choices"), _choice_fields(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_choice_field_rejects_a_wrong_value(base, key: str, choices: tuple[str, ...]) -> None:
    with pytest.raises(ConfigError) as err:
        validate(_with(base, key, WRONG))
    msg = str(err.value)
    assert key in msg and WRONG in msg
    assert all(c in msg for c in choices), f"the error should list the allowed values {choices}: {msg}"


@pytest.mark.parametrize(("key", "bound", "value"), _out_of_range_cases())
def test_every_ranged_field_rejects_an_out_of_range_value(base, key: str, bound: str, value: float) -> None:
    found = [p for p in problems(_with(base, key, value)) if p.startswith(f"{key}=")]
    assert found and "out of range" in found[0], f"{key}={value} (past its {bound}) was accepted"


@pytest.mark.parametrize("experiment", [None, *sorted(p.stem for p in (ROOT / "conf" / "experiment").glob("*.yaml"))])
def test_defaults_and_shipped_experiments_are_valid(make_cfg, experiment: str | None) -> None:
    cfg = make_cfg(*([f"experiment={experiment}"] if experiment else []), smoke=False)
    assert [p for p in problems(cfg) if not p.startswith("runtime.device")] == []


@pytest.mark.parametrize(
    ("override", "key", "allowed"),
    [
        ("data.format=json", "data.format", "jsonl"),
        ("pairs.origins=[negaton]", "pairs.origins", "speaker_swap"),
        ("nli.mode=befor", "nli.mode", "before"),
        ("export.import_split=held-out", "export.import_split", "heldout"),
        ("annotate.batch_size=0", "annotate.batch_size", ">= 1"),
        ("annotate.n_process=0", "annotate.n_process", ">= 1"),
        ("train.batch_size=0", "train.batch_size", ">= 1"),
        ("train.learning_rate=0", "train.learning_rate", "> 0"),
        ("pairs.split_ratios=[0.7,0.2,0.2]", "pairs.split_ratios", "not 1"),
        ("pairs.split_ratios=[0.5,0.5]", "pairs.split_ratios", "three"),
        ("train.warmup_ratio=1.5", "train.warmup_ratio", "< 1"),
        ("quote_eval.threshold=0", "quote_eval.threshold", "> 0"),
    ],
)
def test_misspelt_values_from_the_issue_fail_naming_key_and_allowed(make_cfg, override, key, allowed) -> None:
    with pytest.raises(ConfigError, match="invalid config") as err:
        validate(make_cfg(override))
    assert key in str(err.value) and allowed in str(err.value)


def test_every_synthetic_origin_and_speaker_swap_are_valid(make_cfg) -> None:
    from quotecontra.config import SYNTHETIC_ORIGINS

    validate(make_cfg(f"pairs.origins=[{','.join([*SYNTHETIC_ORIGINS, 'speaker_swap'])}]"))


def test_zero_epochs_only_with_max_steps(make_cfg) -> None:
    validate(make_cfg("train.epochs=0", "train.max_steps=5"))
    with pytest.raises(ConfigError, match=r"train.epochs=0.0 with train.max_steps=0 trains 0 steps"):
        validate(make_cfg("train.epochs=0", "train.max_steps=0"))


def test_boundaries_are_accepted(make_cfg) -> None:
    validate(make_cfg("annotate.batch_size=1", "annotate.n_process=1", "train.batch_size=1", "train.warmup_ratio=0"))


def test_bf16_booleans_from_yaml_are_accepted(make_cfg) -> None:
    """YAML/CLI true lands in the str field as 'True'; it is the documented value, not a typo."""
    validate(make_cfg("runtime.bf16=true"))
    validate(make_cfg("runtime.bf16=false"))
    with pytest.raises(ConfigError, match=r"runtime\.bf16"):
        validate(make_cfg("runtime.bf16=maybe"))


def test_tiny_bert_heads_must_divide_hidden_size(make_cfg) -> None:
    with pytest.raises(ConfigError, match=r"not a multiple of model\.num_heads=3"):
        validate(make_cfg("model.hidden_size=32", "model.num_heads=3"))


def test_bad_boilerplate_regex_is_named(make_cfg) -> None:
    with pytest.raises(ConfigError, match=r"data.boilerplate\[0\]"):
        validate(make_cfg("data.boilerplate=['(unclosed']"))


def test_cuda_requested_without_cuda_fails(make_cfg) -> None:
    import torch

    cfg = make_cfg("runtime.device=cuda")
    if torch.cuda.is_available():
        validate(cfg)  # a GPU box: cuda is a valid request
    else:
        with pytest.raises(ConfigError, match=r"runtime\.device=.cuda. but no CUDA device is available"):
            validate(cfg)


def test_choices_agree_with_the_code() -> None:
    """The config's lists of allowed values are the ones the stages implement."""
    from quotecontra.config import Config, ExportConfig, ModelConfig
    from quotecontra.export import FORMATS
    from quotecontra.models import KINDS

    def choices(cls, name):
        return set(cls.__dataclass_fields__[name].metadata["choices"])

    assert choices(ModelConfig, "kind") == set(KINDS)
    assert choices(ExportConfig, "formats") == set(FORMATS)
    assert choices(Config, "dataset") == {"gold", "polnear"}
