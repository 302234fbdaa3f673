"""Every config key a stage reads is in its skip signature (StageSpec.config_keys).

A key the stage reads but does not declare is a silent staleness bug: changing it leaves the stage "unchanged:
skipped" with outputs made under the old value. The reads are found statically: attribute chains on ``cfg`` (and
on names bound to ``cfg.<group>``) in the stage function and in every function it passes the whole ``cfg`` to,
across quotecontra modules.
"""

from __future__ import annotations

import ast
import importlib.util
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from quotecontra.stage_graph import RUN_KEYS
from quotecontra.stages import STAGES

# Settings that never change what a stage writes (where and whether to run, logging, execution resources).
EXEMPT = RUN_KEYS
_CFG_METHODS = {"get", "items", "keys", "values", "copy"}
# Whole-group reads a stage narrows itself, with the keys it keeps declared one by one in its config_keys.
NARROWED = {
    # train_nli.train_settings() copies cfg.train and replaces the schedule with nli_base.* settings.
    ("train-nli", "train"): "the NLI base trains on its own nli_base.* schedule",
    # train.trainer_settings(cfg.train, cfg.runtime) reads the runtime group; the keys that change what is written are
    # declared one by one (stage_graph._RUNTIME) and runtime.torch_threads is a run key.
    **{(stage, "runtime"): "runtime keys declared one by one" for stage in ("train-nli", "train", "crossval")},
}


@cache
def _module_ast(module: str) -> tuple[ast.Module, str] | None:
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
        return None
    return ast.parse(Path(spec.origin).read_text(encoding="utf-8")), spec.origin


def _functions(tree: ast.AST) -> dict[str, ast.FunctionDef]:
    return {n.name: n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}


def _imports(tree: ast.AST) -> dict[str, tuple[str, str | None]]:
    """Local name -> (module, function or None for a module) for quotecontra imports anywhere in the file."""
    out: dict[str, tuple[str, str | None]] = {}
    for n in ast.walk(tree):
        if isinstance(n, ast.ImportFrom) and n.module and n.module.startswith("quotecontra"):
            for a in n.names:
                sub = f"{n.module}.{a.name}"
                is_module = importlib.util.find_spec(sub) is not None if _is_pkg(n.module) else False
                out[a.asname or a.name] = (sub, None) if is_module else (n.module, a.name)
        elif isinstance(n, ast.Import):
            for a in n.names:
                if a.name.startswith("quotecontra") and a.asname:
                    out[a.asname] = (a.name, None)
    return out


def _is_pkg(module: str) -> bool:
    spec = importlib.util.find_spec(module)
    return bool(spec and spec.submodule_search_locations)


def _chain(node: ast.AST) -> list[str] | None:
    """['cfg', 'runtime', 'bf16'] for cfg.runtime.bf16; None when the chain is not rooted at a plain name."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return [node.id, *reversed(parts)]


@dataclass
class _Scan:
    reads: set[str] = field(default_factory=set)
    seen: set[tuple[str, str, str]] = field(default_factory=set)

    def function(self, module: str, name: str, cfg_param: str) -> None:
        if (module, name, cfg_param) in self.seen or (parsed := _module_ast(module)) is None:
            return
        self.seen.add((module, name, cfg_param))
        tree, _ = parsed
        fn = _functions(tree).get(name)
        if fn is None:
            return
        roots = {cfg_param: ""}  # name -> the config path it stands for ("" is the whole cfg)
        for n in ast.walk(fn):  # aliases: ecfg = cfg.export
            if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name):
                ch = _chain(n.value)
                if ch and ch[0] == cfg_param and len(ch) > 1:
                    roots[n.targets[0].id] = ".".join(ch[1:])
        parents = {id(c): p for p in ast.walk(fn) for c in ast.iter_child_nodes(p)}
        for n in ast.walk(fn):
            if isinstance(n, ast.Attribute):
                parent = parents.get(id(n))
                if isinstance(parent, ast.Attribute) and parent.value is n:
                    continue  # only the longest chain counts: cfg.runtime.bf16, not cfg.runtime
                ch = _chain(n)
                if not ch or ch[0] not in roots:
                    continue
                keys = ch[1:]
                if keys and keys[-1] in _CFG_METHODS:
                    keys = keys[:-1]
                    if isinstance(parent, ast.Call) and parent.args and isinstance(parent.args[0], ast.Constant):
                        keys.append(str(parent.args[0].value))  # cfg.get("key")
                key = ".".join(k for k in (roots[ch[0]], *keys) if k)
                if key:
                    self.reads.add(key)
            elif isinstance(n, ast.Call):
                self._follow(n, module, tree, {k for k, v in roots.items() if v == ""})

    def _follow(self, call: ast.Call, module: str, tree: ast.Module, whole: set[str]) -> None:
        """Scan the callee when the whole cfg is one of its arguments."""
        pos = [i for i, a in enumerate(call.args) if isinstance(a, ast.Name) and a.id in whole]
        kws = [k.arg for k in call.keywords if isinstance(k.value, ast.Name) and k.value.id in whole and k.arg]
        if not pos and not kws:
            return
        target = self._resolve(call.func, module, tree)
        if target is None:
            return
        mod, name = target
        parsed = _module_ast(mod)
        fn = _functions(parsed[0]).get(name) if parsed else None
        if fn is None:
            return
        params = [a.arg for a in fn.args.posonlyargs + fn.args.args]
        for i in pos:
            if i < len(params):
                self.function(mod, name, params[i])
        for k in kws:
            self.function(mod, name, k)

    @staticmethod
    def _resolve(func: ast.AST, module: str, tree: ast.Module) -> tuple[str, str] | None:
        imports = _imports(tree)
        if isinstance(func, ast.Name):
            if func.id in _functions(tree):
                return module, func.id
            if func.id in imports and imports[func.id][1] is not None:
                mod, name = imports[func.id]
                return mod, str(name)
        elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            imp = imports.get(func.value.id)
            if imp is not None and imp[1] is None:
                return imp[0], func.attr
        return None


def stage_reads(target: str) -> set[str]:
    module, func = target.split(":")
    scan = _Scan()
    parsed = _module_ast(module)
    assert parsed is not None, f"{target}: module source not found"
    fn = _functions(parsed[0]).get(func)
    assert fn is not None, f"{target}: function not found"
    scan.function(module, func, fn.args.args[0].arg)
    return scan.reads


def _covered(key: str, declared: tuple[str, ...]) -> bool:
    return any(key == d or key.startswith(d + ".") for d in (*declared, *EXEMPT))


SIGNED = [n for n, s in STAGES.items() if isinstance(s.target, str)]


@pytest.mark.parametrize("name", SIGNED)
def test_stage_declares_every_config_key_it_reads(name: str, make_cfg, tmp_path: Path) -> None:
    spec = STAGES[name]
    cfg = make_cfg(run_dir=tmp_path)
    if not spec.inputs(cfg):
        pytest.skip(f"{name} declares no inputs: it has no signature and always runs")
    assert isinstance(spec.target, str)
    reads = stage_reads(spec.target)
    assert reads, f"found no cfg reads in {spec.target}: the scan is broken"
    missing = sorted(k for k in reads if not _covered(k, spec.config_keys) and (name, k) not in NARROWED)
    assert not missing, f"stage {name} reads {missing} but its config_keys {spec.config_keys} omit them"


@pytest.mark.parametrize("name", list(STAGES))
def test_declared_config_keys_exist(name: str, make_cfg, tmp_path: Path) -> None:
    """A misspelt key in config_keys selects nothing and silently leaves the setting out of the signature."""
    cfg = make_cfg(run_dir=tmp_path)
    absent = [k for k in STAGES[name].config_keys if OmegaConf.select(cfg, k, default="<absent>") == "<absent>"]
    assert not absent, f"stage {name}: config_keys {absent} are not config keys"


def test_scan_finds_reads_through_aliases_and_helpers() -> None:
    """The scanner itself: evaluate reads runtime.bf16 directly and data.shared_dir through load_eval_sets(cfg)."""
    reads = stage_reads("quotecontra.evaluate:run")
    assert {"runtime.bf16", "runtime.eval_batch_size", "data.shared_dir", "evaluate.sets"} <= reads
    assert "runtime" not in reads  # cfg.runtime.bf16 is a read of one key, not of the group
    export_reads = stage_reads("quotecontra.export:run")
    assert "export.formats" in export_reads  # through ecfg = cfg.export
