"""``quotecontra <stage> [hydra overrides]``: a thin Hydra wrapper per stage that returns the metrics dict.

Every Hydra flag works after the stage name (``--cfg job``, ``--help``, ``--multirun``, ``experiment=smoke``).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
# Sleeping (not spinning) OpenMP threads: on a shared 2-core box spinning torch threads ran 7x slower (4.6 vs 35 pairs/s).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import hydra
from omegaconf import DictConfig

from quotecontra.config import register_configs
from quotecontra.console import quiet_console
from quotecontra.mlflow_uri import TrackingUnavailableError, scrub_override
from quotecontra.validate import check_experiment, validate, validate_sweep

log = logging.getLogger("quotecontra")


def conf_dir() -> str:
    """The configs shipped with the package (the checkout's conf/ in an editable install); see quotecontra.bundled."""
    from quotecontra.bundled import conf_dir as shipped_conf_dir

    return str(shipped_conf_dir())


ALL_DOC = "annotate -> pairs -> train -> evaluate -> export (nested MLflow runs)"


def _usage() -> str:
    from quotecontra.stages import STAGES

    lines = ["usage: quotecontra <stage> [key=value ...] [--cfg job] [--multirun] [--help]", "", "stages:"]
    lines.append(f"  {'all':<20} {ALL_DOC}")
    lines += [f"  {n:<20} {s.doc}" for n, s in STAGES.items()]
    lines.append(f"  {'schema':<20} write the JSON Schemas of the records (schema_dir=DIR, default docs/schemas)")
    return "\n".join(lines)


def stage_help(stage: str) -> str:
    """What ``quotecontra <stage> --help`` prints above Hydra's help: the stage's description and every setting the
    stage reads (its slice of the config, as in the stage graph), as ``quotecontra help`` shows them."""
    from quotecontra import config_help
    from quotecontra.run_meta import config_keys
    from quotecontra.stages import STAGES

    docs = [d for key in config_keys(stage) for d in config_help.describe(key)]
    head = f"quotecontra {stage}: {ALL_DOC if stage == 'all' else STAGES[stage].doc}"
    return f"{head}\n\n== Options ==\n{config_help.render(docs)}\n"


def config_help_main(args: list[str]) -> int:
    """``quotecontra help [GROUP | GROUP.KEY] [overrides]``: the settings with type, default and help; with
    overrides (``experiment=smoke``, ``model=tiny_bert``) also the value that run would use."""
    from hydra import compose, initialize_config_dir
    from omegaconf import OmegaConf

    from quotecontra import config_help

    selectors = [a for a in args if "=" not in a and not a.startswith("-")]
    overrides = [a for a in args if "=" in a]
    if len(selectors) > 1:
        print(f"quotecontra help: one GROUP or GROUP.KEY at a time, got {selectors}", file=sys.stderr)
        return 2
    if not selectors:
        options = {g: sorted(p.stem for p in Path(conf_dir(), g).glob("*.yaml")) for g in config_help.groups()}
        print(f"{_usage()}\n\n{config_help.overview(options)}")
        return 0
    register_configs()
    try:
        with initialize_config_dir(config_dir=conf_dir(), version_base="1.3"):
            composed = OmegaConf.to_container(compose(config_name="config", overrides=overrides), resolve=False)
    except Exception as exc:  # Hydra's and OmegaConf's errors name the bad override
        print(f"quotecontra help: {exc}", file=sys.stderr)
        return 2
    try:
        print(config_help.render(config_help.describe(selectors[0], composed)))  # type: ignore[arg-type]
    except KeyError as exc:
        print(f"quotecontra help: {exc.args[0]}", file=sys.stderr)
        return 2
    return 0


def dispatch(cfg: DictConfig) -> dict[str, float]:
    """Run the stage named in ``cfg.stage``; shared by the CLI and by tests that compose a config.

    The config is validated first (choices, ranges), so a misspelt value fails before any stage touches a file.
    """
    from quotecontra.stages import STAGES, run_all, run_stage

    validate(cfg)
    if cfg.stage == "all":
        return run_all(cfg)
    if cfg.stage not in STAGES:
        raise SystemExit(f"quotecontra: unknown stage {cfg.stage!r}\n{_usage()}")
    return run_stage(cfg.stage, cfg)


_VALUE_FLAGS = {"--cfg", "-c", "--package", "-p", "--config-path", "-cp", "--config-name", "-cn", "--config-dir", "-cd"}
_INFO_CHOICES = {"all", "config", "defaults", "defaults-tree", "plugins", "searchpath"}


def _flags_first(args: list[str]) -> tuple[list[str], list[str]]:
    """Hydra flags (with their values) apart from overrides: argparse rejects overrides on both sides of a flag,
    so ``quotecontra all --multirun a=1,2`` would fail once the CLI's own overrides are put in front."""
    flags: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg.startswith("-"):
            flags.append(arg)
            nxt = args[i + 1] if i + 1 < len(args) else None
            takes = arg in _VALUE_FLAGS or (arg in {"--info", "-i"} and nxt in _INFO_CHOICES)
            if takes and nxt is not None and not nxt.startswith("-") and "=" not in nxt:
                flags.append(nxt)
                i += 1
        else:
            rest.append(arg)
        i += 1
    return flags, rest


def main(argv: list[str] | None = None) -> None:
    # Progress bars only on a terminal. It sets the libraries' switches, read when they load: nothing imported
    # above loads tqdm, transformers, datasets or mlflow.
    quiet_console()
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in {"-h", "--help"}:
        print(_usage())
        return
    if argv[0] == "help":
        raise SystemExit(config_help_main(argv[1:]))
    stage, rest = argv[0], argv[1:]
    if stage == "schema":
        from quotecontra.records import dump_schemas

        out = next((a.split("=", 1)[1] for a in rest if a.startswith("schema_dir=")), "docs/schemas")
        for p in dump_schemas(Path(out)):
            print(p)
        return
    from quotecontra.stages import STAGES

    if stage != "all" and stage not in STAGES:
        print(f"quotecontra: unknown stage {stage!r}\n\n{_usage()}", file=sys.stderr)
        raise SystemExit(2)
    overrides = [f"stage={stage}", f"hydra.job.name={stage}"]
    multirun = any(a in {"-m", "--multirun"} for a in rest)
    if multirun and not any(a.startswith("run_dir=") for a in rest):
        # Each sweep job gets its own run dir next to Hydra's sweep folder.
        overrides.append("run_dir=${hydra:sweep.dir}/${hydra:job.num}")
    register_configs()
    flags, user_overrides = _flags_first(rest)
    # Credentials in mlflow.tracking_uri go to MLflow's variables now, so Hydra never saves or prints them.
    user_overrides = [scrub_override(o) for o in user_overrides]
    sys.argv = [f"quotecontra {stage}", *flags, *overrides, *user_overrides]
    info_only = any(f in {"--cfg", "-c", "--info", "-i", "--help", "-h", "--hydra-help"} for f in flags)
    if any(f in {"--help", "-h"} for f in flags):
        print(stage_help(stage))
    if multirun and not info_only:
        _refuse(lambda: validate_sweep(conf_dir(), [*overrides, *user_overrides]))

    @hydra.main(config_path=conf_dir(), config_name="config", version_base="1.3")
    def _run(cfg: DictConfig) -> dict[str, float]:
        def _checked() -> dict[str, float]:
            check_experiment()
            return dispatch(cfg)

        return _refuse(_checked)

    _run()


def _refuse(func: Callable[[], Any]) -> Any:
    """Run ``func``; a bad config, a locked run dir or an empty result ends the command with a one-line error."""
    from quotecontra.runpaths import RunLockedError
    from quotecontra.scale import MissingExtraError
    from quotecontra.stages import EmptyOutputError
    from quotecontra.validate import ConfigError

    try:
        return func()
    except (ConfigError, RunLockedError, EmptyOutputError, TrackingUnavailableError, MissingExtraError) as exc:
        raise SystemExit(f"quotecontra: {exc}") from None


if __name__ == "__main__":
    main()
