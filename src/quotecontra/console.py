"""Quiet, useful console output: progress bars only on a terminal, library warnings that repeat filtered out.

``make run > run.log`` used to be hundreds of carriage-return progress frames (tqdm, datasets, the Trainer) around
the stage summaries. :func:`quiet_console` runs before the libraries are imported (it sets their environment
switches), so one call at the CLI's start covers every stage. Each switch is a default: a variable the user set
wins, e.g. ``TQDM_DISABLE=0 quotecontra all > run.log`` keeps the bars in the file.
"""

from __future__ import annotations

import os
import sys
import warnings
from typing import TextIO

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
