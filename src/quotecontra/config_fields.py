"""The one way a config field is declared: its default, its help text and its checks, kept in the field metadata.

:mod:`quotecontra.validate` enforces the checks and :mod:`quotecontra.config_help` prints the help, so neither
keeps a second copy.
"""

from __future__ import annotations

from dataclasses import field
from typing import TYPE_CHECKING, Any, cast

from omegaconf import MISSING

if TYPE_CHECKING:
    from collections.abc import Callable


def setting(
    text: str,
    default: Any = MISSING,
    *,
    choices: tuple[str, ...] | None = None,
    min: float | None = None,
    max: float | None = None,
    gt: float | None = None,
    lt: float | None = None,
    exists: str | None = None,
    **kw: Any,
) -> Any:
    """A dataclass field with help text and its checks kept in its metadata.

    ``choices`` (allowed values; for a list, of each item) and the bounds ``min``/``max`` (inclusive) and
    ``gt``/``lt`` (exclusive) are enforced by :func:`quotecontra.validate.validate` before any stage runs;
    ``exists`` (what the path should be) makes each value (or item) a path that must exist.
    """
    meta: dict[str, Any] = {"help": text}
    checks = {"choices": choices, "min": min, "max": max, "gt": gt, "lt": lt, "exists": exists}
    meta.update({k: v for k, v in checks.items() if v is not None})
    if isinstance(default, list | dict):
        # mypy cannot infer a lambda with a default argument against default_factory's Callable[[], T]
        return field(default_factory=cast("Callable[[], Any]", lambda d=default: type(d)(d)), metadata=meta, **kw)
    return field(default=default, metadata=meta, **kw)
