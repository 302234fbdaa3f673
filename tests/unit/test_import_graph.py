"""The package's imports point one way: no module imports, directly or through others, a module that imports it,
counting imports inside functions (a lazy import hides a cycle; it does not remove it)."""

from __future__ import annotations

from pathlib import Path

from quotecontra.code_digest import import_graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_cycle_finder_sees_a_lazy_cycle(tmp_path: Path) -> None:
    root = tmp_path / "quotecontra"
    root.mkdir()
    (root / "__init__.py").write_text("")
    (root / "a.py").write_text("from quotecontra.b import f\n")
    (root / "b.py").write_text("def f():\n    from quotecontra import a\n")
    (root / "c.py").write_text("from quotecontra import a\n")
    assert cycles(import_graph(root)) == [["quotecontra.a", "quotecontra.b"]]


def test_no_import_cycles_in_the_package() -> None:
    found = cycles(import_graph())
    graph = import_graph()
    detail = [{m: sorted(graph[m] & set(c)) for m in c} for c in found]
    assert not found, f"import cycles: {detail}"
