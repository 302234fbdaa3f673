"""Config checks run before any stage: allowed values, numeric ranges and the rules that tie settings together.

The schema's types catch a misspelt key or a word where a number belongs; they do not catch ``data.format=json``
or ``annotate.batch_size=0``, which would otherwise run with a silently wrong reading of the setting or fail deep
inside a stage. Choices and bounds are declared once, in each field's metadata in :mod:`quotecontra.config`
(``config_fields.setting(..., choices=..., min=...)``); :func:`validate` walks the dataclasses, so a new field with checks is
enforced without touching this module.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import re
import typing
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from omegaconf import DictConfig, ListConfig, OmegaConf

from quotecontra.config import Config

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

__all__ = ["ConfigError", "checked_fields", "problems", "validate"]

BOUNDS = ("min", "max", "gt", "lt")
_BOUND_TEXT = {"min": ">= {}", "max": "<= {}", "gt": "> {}", "lt": "< {}"}


class ConfigError(ValueError):
    """One or more settings are invalid; the message names each key, its value and what is allowed."""

    def __init__(self, found: Sequence[str]) -> None:
        self.problems = list(found)
        super().__init__("invalid config: " + "; ".join(self.problems))


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def checked_fields(cls: type = Config, prefix: str = "") -> Iterator[tuple[str, dataclasses.Field, Any]]:
    """(dotted key, field, resolved type) of every field of ``cls`` and of its nested config dataclasses."""
    hints = _hints(cls)
    for f in dataclasses.fields(cls):
        tp = hints[f.name]
        if dataclasses.is_dataclass(tp):
            yield from checked_fields(typing.cast(type, tp), f"{prefix}{f.name}.")
        else:
            yield f"{prefix}{f.name}", f, tp


def _value(cfg: DictConfig, key: str) -> Any:
    node = OmegaConf.select(cfg, key, throw_on_missing=False)
    if isinstance(node, DictConfig | ListConfig):
        return OmegaConf.to_container(node, resolve=True)
    return node


def _fmt(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def _choice_norm(value: Any) -> Any:
    """YAML/CLI booleans land in a str field as 'True'/'False'; the documented spelling is lower case."""
    return value.lower() if value in ("True", "False") else value


def _field_problems(key: str, meta: dict[str, Any], value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    out = []
    choices = meta.get("choices")
    if choices is not None:
        bad = [v for v in items if _choice_norm(v) not in choices]
        if bad:
            shown = _fmt(bad[0]) if not isinstance(value, list) else "[" + ", ".join(_fmt(b) for b in bad) + "]"
            what = "is not one of" if not isinstance(value, list) else "has values not in"
            out.append(f"{key}={shown} {what}: {', '.join(choices)}")
    if meta.get("exists"):
        for i, v in enumerate(items):
            if isinstance(v, str) and not Path(v).exists():
                where = f"{key}[{i}]" if isinstance(value, list) else key
                out.append(f"{where}={v!r} does not exist (resolved: {Path(v).resolve()}); expected {meta['exists']}")
    bounds = {b: meta[b] for b in BOUNDS if b in meta}
    if bounds:
        ok = {
            "min": lambda v, b: v >= b,
            "max": lambda v, b: v <= b,
            "gt": lambda v, b: v > b,
            "lt": lambda v, b: v < b,
        }
        for v in items:
            if isinstance(v, bool) or not isinstance(v, int | float):
                continue  # the schema's type check owns non-numbers
            if math.isnan(v) or not all(ok[b](v, lim) for b, lim in bounds.items()):
                rng = " and ".join(_BOUND_TEXT[b].format(lim) for b, lim in bounds.items())
                out.append(f"{key}={_fmt(value)} is out of range (must be {rng})")
                break
    return out


def _cuda_problem() -> str | None:
    import torch

    if torch.cuda.is_available():
        return None
    return (
        f"runtime.device='cuda' but no CUDA device is available (torch {torch.__version__}); "
        "use runtime.device=auto or runtime.device=cpu"
    )


def _cross_problems(cfg: DictConfig) -> list[str]:
    """Rules that involve more than one setting."""
    out: list[str] = []
    sel = functools.partial(_value, cfg)
    epochs, max_steps = sel("train.epochs"), sel("train.max_steps")
    if isinstance(epochs, int | float) and isinstance(max_steps, int) and epochs <= 0 and max_steps <= 0:
        out.append(
            f"train.epochs={epochs} with train.max_steps={max_steps} trains 0 steps: set epochs > 0 or max_steps > 0"
        )
    ratios = sel("pairs.split_ratios")
    if isinstance(ratios, list):
        if len(ratios) != 3:
            out.append(f"pairs.split_ratios={ratios} needs three fractions (train, dev, test)")
        elif not math.isclose(sum(ratios), 1.0, abs_tol=1e-6):
            out.append(f"pairs.split_ratios={ratios} sums to {sum(ratios):g}, not 1")
    if sel("model.kind") == "tiny_bert":
        hidden, heads = sel("model.hidden_size"), sel("model.num_heads")
        if isinstance(hidden, int) and isinstance(heads, int) and heads > 0 and hidden % heads:
            out.append(f"model.hidden_size={hidden} is not a multiple of model.num_heads={heads}")
    for i, rx in enumerate(sel("data.boilerplate") or []):
        try:
            re.compile(str(rx))
        except re.error as exc:
            out.append(f"data.boilerplate[{i}]={rx!r} is not a valid regex: {exc}")
    if sel("runtime.device") == "cuda" and (p := _cuda_problem()):
        out.append(p)
    return out


def problems(cfg: DictConfig) -> list[str]:
    """Every problem found in ``cfg`` (empty when it is valid), one readable line each."""
    out = []
    for key, f, _ in checked_fields():
        meta = dict(f.metadata)
        if "choices" not in meta and "exists" not in meta and not any(b in meta for b in BOUNDS):
            continue
        value = _value(cfg, key)
        if value is not None:
            out += _field_problems(key, meta, value)
    return out + _cross_problems(cfg)


def validate(cfg: DictConfig) -> None:
    """Raise :class:`ConfigError` naming every invalid setting; called by the CLI before any stage runs."""
    found = problems(cfg)
    if found:
        raise ConfigError(found)


# --- Hydra-level checks: the experiment file, and every job of a --multirun sweep ---------------------------------


def experiment_options(sources: Sequence[Any]) -> list[str]:
    """Names of the experiment files in Hydra's config search path (``runtime.config_sources``)."""
    import importlib.resources
    from pathlib import Path

    from hydra.core.config_store import ConfigStore

    names: set[str] = set()
    root: Path | Traversable
    for src in sources:
        schema, path = str(src.schema), str(src.path)
        if schema == "file" and Path(path, "experiment").is_dir():
            root = Path(path, "experiment")
            names |= {str(p.relative_to(root).with_suffix("")) for p in root.rglob("*.yaml")}
        elif schema == "pkg":
            try:
                root = importlib.resources.files(path.replace("/", ".")) / "experiment"
                names |= {p.name.removesuffix(".yaml") for p in root.iterdir() if p.name.endswith(".yaml")}
            except (ModuleNotFoundError, FileNotFoundError, NotADirectoryError):
                continue
        elif schema == "structured":
            try:
                names |= {n.removesuffix(".yaml") for n in ConfigStore.instance().list("experiment")}
            except OSError:
                continue
    return sorted(names)


def experiment_problem(choices: Any, sources: Sequence[Any]) -> str | None:
    """Hydra's ``optional experiment`` silently skips a missing file: ``experiment=nope`` would run the defaults."""
    name = choices.get("experiment") if choices is not None else None
    if name is None:
        return None
    available = experiment_options(sources)
    if str(name) in available:
        return None
    main = next((str(s.path) for s in sources if str(s.provider) == "main"), "conf")
    return (
        f"experiment={name}: {main}/experiment/{name}.yaml not found; "
        f"available experiments: {', '.join(available) or 'none'}"
    )


def check_experiment(cfg: DictConfig | None = None) -> None:
    """Raise :class:`ConfigError` when the selected experiment file does not exist (inside a Hydra app)."""
    from hydra.core.hydra_config import HydraConfig

    hydra = cfg.hydra if cfg is not None and "hydra" in cfg else HydraConfig.get()
    problem = experiment_problem(hydra.runtime.choices, hydra.runtime.config_sources)
    if problem:
        raise ConfigError([problem])


def sweep_jobs(overrides: Sequence[str]) -> list[list[str]]:
    """The override lists of every job of a sweep, expanded the way Hydra's basic sweeper does it."""
    import itertools

    from hydra.core.override_parser.overrides_parser import OverridesParser

    per_key = []
    for ov in OverridesParser.create().parse_overrides(list(overrides)):
        key = ov.get_key_element()
        if ov.is_sweep_override():
            per_key.append([f"{key}={v}" for v in ov.sweep_string_iterator()])
        else:
            per_key.append([f"{key}={ov.get_value_element_as_str()}"])
    return [list(job) for job in itertools.product(*per_key)]


def validate_sweep(config_dir: str, overrides: Sequence[str], max_jobs: int = 500) -> None:
    """Compose and validate every job of a ``--multirun`` sweep before the first one runs.

    Without this a bad value in the last job fails only after the earlier jobs ran (a training each). Each job is
    validated again when it starts; sweeps over ``max_jobs`` rely on that alone.
    """
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    jobs = sweep_jobs(overrides)
    if len(jobs) > max_jobs:
        return
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=config_dir, version_base="1.3"):
            varying = [i for i in range(len(jobs[0])) if len({j[i] for j in jobs}) > 1] if jobs else []
            for num, job in enumerate(jobs):
                cfg = compose(config_name="config", overrides=job, return_hydra_config=True)
                found = problems(cfg)
                if (p := experiment_problem(cfg.hydra.runtime.choices, cfg.hydra.runtime.config_sources)) is not None:
                    found.insert(0, p)
                if found:
                    sweep = " ".join(job[i] for i in varying) or "no swept keys"
                    raise ConfigError([f"sweep job {num} ({sweep}): {found[0]}", *found[1:]])
    finally:
        GlobalHydra.instance().clear()
