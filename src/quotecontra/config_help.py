"""``quotecontra help [GROUP | GROUP.KEY] [overrides]``: every setting's type, default, checks and help text.

The help lives once, in the field metadata of :mod:`quotecontra.config` (the one source of defaults); this module
only reads it. With overrides (``experiment=smoke``) or a swapped group (``model=tiny_bert``) the value that run
would use is shown beside the default, so a user sees what an experiment changes before running it.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from omegaconf import MISSING

from quotecontra.config import Config

CHECK_KEYS = ("choices", "min", "max", "gt", "lt", "exists")


@dataclass(frozen=True)
class FieldDoc:
    """One setting as the help shows it."""

    key: str
    type: str
    default: Any
    help: str
    checks: str = ""
    value: Any = MISSING  # the composed value when it differs from the default


def type_name(tp: Any) -> str:
    """``int``, ``list[str]``, ``str | None``: a field's annotation as a user would write it."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return " | ".join("None" if a is type(None) else type_name(a) for a in typing.get_args(tp))
    if origin is not None:
        args = ", ".join(type_name(a) for a in typing.get_args(tp))
        return f"{getattr(origin, '__name__', str(origin))}[{args}]"
    return getattr(tp, "__name__", str(tp))


def _checks(meta: Mapping[str, Any]) -> str:
    parts = []
    if "choices" in meta:
        parts.append("one of " + ", ".join(map(str, meta["choices"])))
    bounds = {"min": ">=", "max": "<=", "gt": ">", "lt": "<"}
    parts += [f"{op} {meta[k]}" for k, op in bounds.items() if k in meta]
    if "exists" in meta:
        parts.append(f"must exist ({meta['exists']})")
    return "; ".join(parts)


def _default(f: dataclasses.Field) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return MISSING


def groups() -> dict[str, type]:
    """Config group name -> its dataclass, in the order of :class:`Config`."""
    return {f.name: tp for f, tp in _fields(Config) if isinstance(tp, type) and dataclasses.is_dataclass(tp)}


def _fields(cls: type) -> list[tuple[dataclasses.Field, Any]]:
    """Each field with its resolved annotation (config.py's annotations are strings under postponed evaluation)."""
    hints = typing.get_type_hints(cls)
    return [(f, hints[f.name]) for f in dataclasses.fields(cls)]


def group_doc(cls: type) -> str:
    """A group's one-line summary: the first line of its dataclass docstring."""
    doc = cls.__doc__ or ""
    return "" if doc.startswith(f"{cls.__name__}(") else doc.strip().splitlines()[0]


def describe(selector: str = "", composed: Mapping[str, Any] | None = None) -> list[FieldDoc]:
    """The settings a selector names: ``""`` (the top-level keys), a group (``train``) or one key (``train.epochs``).

    ``composed`` is the resolved config of a run (the CLI composes it with the user's overrides); each setting whose
    value there differs from its default carries that value. Raises KeyError naming what exists.
    """
    group, _, key = selector.partition(".")
    known = groups()
    if group and group not in known:
        top = {f.name for f, _ in _fields(Config) if f.name not in known}
        if group in top and not key:
            return [d for d in describe("", composed) if d.key == group]
        raise KeyError(f"no config group or key {selector!r}; groups: {', '.join(known)}")
    cls = known[group] if group else Config
    docs = []
    for f, tp in _fields(cls):
        if not group and f.name in known:
            continue
        if key and f.name != key:
            continue
        full = f"{group}.{f.name}" if group else f.name
        doc = FieldDoc(full, type_name(tp), _default(f), f.metadata.get("help", ""), _checks(f.metadata))
        if composed is not None:
            node = composed.get(group, {}) if group else composed
            value = node.get(f.name, MISSING) if isinstance(node, Mapping) else MISSING
            if value is not MISSING and value != doc.default:
                doc = dataclasses.replace(doc, value=value)
        docs.append(doc)
    if key and not docs:
        names = ", ".join(f.name for f, _ in _fields(cls))
        raise KeyError(f"no key {key!r} in config group {group!r}; it has: {names}")
    return docs


def render(docs: Sequence[FieldDoc], width: int = 100) -> str:
    """One block per setting: ``key: type = default`` (and ``-> value`` where the run differs), then the help."""
    import textwrap

    lines = []
    for d in docs:
        head = f"{d.key}: {d.type} = {_show(d.default)}"
        if d.value is not MISSING:
            head += f"   (this run: {_show(d.value)})"
        lines.append(head)
        text = d.help + (f" [{d.checks}]" if d.checks else "")
        lines += textwrap.wrap(text, width, initial_indent="    ", subsequent_indent="    ")
    return "\n".join(lines)


def overview(options: Mapping[str, Sequence[str]]) -> str:
    """The groups with their summaries and, for swappable ones, the option files (``model=tiny_bert``)."""
    lines = ["config groups (quotecontra help GROUP lists the settings; GROUP.KEY one of them):"]
    for name, cls in groups().items():
        lines.append(f"  {name:<12} {group_doc(cls)}")
        if len(options.get(name, ())) > 1:
            lines.append(f"  {'':<12} options: {', '.join(f'{name}={o}' for o in options[name])}")
    lines += ["", "top-level settings:", render(describe(""))]
    return "\n".join(lines)


def _show(value: Any) -> str:
    if value is MISSING:
        return "(required)"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    return repr(value) if isinstance(value, str) and (not value or " " in value) else str(value)
