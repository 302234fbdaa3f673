"""Digest of the code a stage runs, so that editing a stage's modules reruns it (a DVC stage's ``deps`` on code).

The code of a stage is its target module and every ``quotecontra`` module it imports, at module level or inside a
function, followed transitively; plus the packaged resource files (lexicons, cue lists, Label Studio configs) those
modules name. Modules that only run the stage around its logic (the runner, tracking, console, CLI) are left out:
changing how a run is logged does not change what it produces.
"""

from __future__ import annotations

import ast
import hashlib
from collections.abc import Callable
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path

PACKAGE = "quotecontra"
# Orchestration only: these decide how a stage is run and logged, never what it writes.
RUNNER_MODULES = frozenset(
    {
        "quotecontra.cli",
        "quotecontra.console",
        "quotecontra.mlflow_uri",
        "quotecontra.run_meta",
        "quotecontra.runpaths",
        "quotecontra.stage_graph",
        "quotecontra.stage_guard",
        "quotecontra.stage_result",
        "quotecontra.stages",
        "quotecontra.tracking",
    }
)


def package_root() -> Path:
    spec = find_spec(PACKAGE)
    assert spec is not None and spec.submodule_search_locations, PACKAGE
    return Path(next(iter(spec.submodule_search_locations)))


def module_path(name: str, root: Path) -> Path | None:
    """The source file of a quotecontra module (package ``__init__`` or plain module); None when absent."""
    rel = Path(*name.split(".")[1:])
    for cand in (root / rel / "__init__.py", root.joinpath(rel).with_suffix(".py")):
        if cand.is_file():
            return cand
    return None


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node that can run: ``if TYPE_CHECKING:`` blocks (annotations only) are left out."""
    out: list[ast.AST] = []
    todo = [tree]
    while todo:
        node = todo.pop()
        out.append(node)
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            todo += node.orelse
            continue
        todo += list(ast.iter_child_nodes(node))
    return out


def imported_modules(
    source: str, name: str, is_package: bool, is_module: Callable[[str], bool] = lambda m: False
) -> set[str]:
    """quotecontra modules a source imports where it runs, at module level or in a function (not under
    ``TYPE_CHECKING``); ``from X import y`` counts X.y when ``is_module`` says it is a submodule, and X itself only
    when some name imported from it is not a submodule."""
    out: set[str] = set()
    package = name if is_package else name.rpartition(".")[0]
    for node in _runtime_nodes(ast.parse(source)):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.split(".")[0] == PACKAGE}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            if base.split(".")[0] != PACKAGE:
                continue
            subs = {f"{base}.{a.name}" for a in node.names if is_module(f"{base}.{a.name}")}
            out |= subs
            if len(subs) < len(node.names):
                out.add(base)
    return out


def all_modules(root: Path | None = None) -> dict[str, Path]:
    """Every quotecontra module by dotted name (a package by its ``__init__``)."""
    root = root or package_root()
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join([PACKAGE, *parts])] = path
    return out


def import_graph(root: Path | None = None) -> dict[str, set[str]]:
    """module -> the quotecontra modules it imports where it runs (see :func:`imported_modules`)."""
    mods = all_modules(root)
    return {
        name: {
            m
            for m in imported_modules(
                path.read_text(encoding="utf-8"), name, path.name == "__init__.py", mods.__contains__
            )
            if m in mods and m != name
        }
        for name, path in mods.items()
    }


@lru_cache(maxsize=64)
def stage_code(target_module: str, root: Path | None = None) -> tuple[tuple[str, Path], ...]:
    """(name, file) of every module and resource in the stage's code, sorted by name."""
    root = root or package_root()
    seen: dict[str, Path] = {}
    todo = [target_module]
    while todo:
        name = todo.pop()
        if name in seen or name in RUNNER_MODULES:
            continue
        path = module_path(name, root)
        if path is None:
            continue
        seen[name] = path
        parents = [".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)]
        is_module = lambda m: module_path(m, root) is not None  # noqa: E731
        todo += imported_modules(path.read_text(encoding="utf-8"), name, path.name == "__init__.py", is_module)
        todo += parents  # importing a.b.c runs a.b's __init__ too
    sources = "\n".join(p.read_text(encoding="utf-8") for p in seen.values())
    resources = root / "resources"
    files = sorted(p for p in resources.rglob("*") if p.is_file()) if resources.is_dir() else []
    for f in files:
        names = {f.name, f.stem, *(part for part in f.relative_to(resources).parts[:-1])}
        if any(f'"{n}"' in sources or f"'{n}'" in sources for n in names):
            seen[f"resources/{f.relative_to(resources).as_posix()}"] = f
    return tuple(sorted(seen.items()))


def code_digest(target_module: str, root: Path | None = None) -> str:
    """sha256 over the names and bytes of the stage's code (see :func:`stage_code`)."""
    h = hashlib.sha256()
    for name, path in stage_code(target_module, root):
        h.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:20]
