"""Quiet, useful console output: progress bars only on a terminal, library warnings that repeat filtered out.

``make run > run.log`` used to be hundreds of carriage-return progress frames (tqdm, datasets, the Trainer) around
the stage summaries. :func:`quiet_console` runs before the libraries are imported (it sets their environment
switches), so one call at the CLI's start covers every stage. Each switch is a default: a variable the user set
wins, e.g. ``TQDM_DISABLE=0 quotecontra all > run.log`` keeps the bars in the file.
"""

from __future__ import annotations

import logging
import os
import sys
import warnings
from typing import Any, TextIO

# Environment switches read at import time by tqdm (every bar without an explicit ``disable=``, the Trainer's
# included), huggingface_hub (transformers' weight loading) and datasets (map, save_to_disk, to_parquet).
PROGRESS_SWITCHES: dict[str, str] = {
    "TQDM_DISABLE": "1",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "HF_DATASETS_DISABLE_PROGRESS_BARS": "1",
}

# (category, message regex, module regex) of library warnings that carry no information for a quotecontra user.
# Keep each one precise: a new, different warning from the same library must still show.
QUIET_WARNINGS: tuple[tuple[type[Warning], str, str], ...] = (
    # mlflow registers two local dataset sources (schemes '' and 'file') and warns on every log_input.
    (UserWarning, r"The specified dataset source can be interpreted in multiple ways", r"mlflow\.data"),
)


def is_terminal(stream: TextIO | None = None) -> bool:
    """True when ``stream`` (default stderr, where the bars go) is an interactive terminal."""
    stream = sys.stderr if stream is None else stream
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # a closed or replaced stream
        return False


def quiet_console(stream: TextIO | None = None, environ: dict[str, str] | None = None) -> bool:
    """Turn progress bars off unless ``stream`` is a terminal, and filter :data:`QUIET_WARNINGS`.

    Returns whether the bars stay on. ``environ`` (default ``os.environ``) is a parameter for the tests.
    """
    env = os.environ if environ is None else environ
    bars = is_terminal(stream)
    if not bars:
        for name, value in PROGRESS_SWITCHES.items():
            env.setdefault(name, value)
    filter_library_warnings()
    return bars


def filter_library_warnings() -> None:
    """Install the :data:`QUIET_WARNINGS` filters (idempotent: ``warnings`` drops duplicate filters)."""
    for category, message, module in QUIET_WARNINGS:
        warnings.filterwarnings("ignore", message=message, category=category, module=module)


# Dev metrics the console line of one evaluation shows (all of them still go to MLflow).
EVAL_SHOWN = ("eval_loss", "eval_accuracy", "eval_macro_f1")


def quiet_trainer(trainer: Any, logger: logging.Logger, stream: TextIO | None = None) -> bool:
    """Off a terminal, a transformers Trainer prints one line per dev evaluation, not a dict per logging step.

    With its bars off the Trainer still writes every log dict (loss every ``train.logging_steps``), a few hundred
    lines per training. Every value keeps reaching MLflow through the tracker callback; only the console changes.
    Returns whether the Trainer was quietened.
    """
    if is_terminal(stream):
        return False
    from transformers.trainer_callback import PrinterCallback, ProgressCallback, TrainerCallback

    class _EvalLines(TrainerCallback):
        def on_evaluate(self, args: Any, state: Any, control: Any, metrics: dict[str, float] | None = None, **kw: Any):
            if state.is_world_process_zero and metrics:
                shown = ", ".join(f"{k.removeprefix('eval_')} {metrics[k]:.4g}" for k in EVAL_SHOWN if k in metrics)
                logger.info(
                    "step %d/%d (epoch %.2f): dev %s", state.global_step, state.max_steps, state.epoch or 0, shown
                )

    trainer.remove_callback(ProgressCallback)
    trainer.remove_callback(PrinterCallback)
    trainer.add_callback(_EvalLines())
    return True
