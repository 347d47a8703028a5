"""The house plan as an import contract, checked on the AST of every module (lazy imports included).

core imports nothing of ours; ingest only core; knowledge only core and ingest; reminders only those and
knowledge; bot only those and reminders; only cchc imports bot. No import circle between modules.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = ("core", "ingest", "knowledge", "reminders", "bot", "cchc")
ALLOWED: dict[str, set[str]] = {
    "core": set(),
    "ingest": {"core"},
    "knowledge": {"core", "ingest"},
    "reminders": {"core", "ingest", "knowledge"},
    "bot": {"core", "ingest", "knowledge", "reminders"},
    "cchc": {"core", "ingest", "knowledge", "reminders", "bot"},
}


def _modules() -> dict[str, Path]:
    out = {}
    for pkg in OURS:
        for path in (ROOT / pkg).rglob("*.py"):
            rel = path.relative_to(ROOT).with_suffix("")
            parts = list(rel.parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = path
    return out


def _imports(path: Path, module: str) -> list[tuple[str, bool]]:
    """(imported module, under TYPE_CHECKING) for every import of ours in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    type_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for sub in ast.walk(node):
                type_only.add(id(sub))
    found: list[tuple[str, bool]] = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative import
                base = module.split(".")[: -node.level] if path.name != "__init__.py" else module.split(".")
                names = [".".join([*base, node.module or ""]).strip(".")]
            elif node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        for n in names:
            if n.split(".")[0] in OURS:
                found.append((n, id(node) in type_only))
    return found


MODULES = _modules()


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_down(module: str) -> None:
    layer = module.split(".")[0]
    bad = sorted({n for n, _ in _imports(MODULES[module], module)
                  if n.split(".")[0] != layer and n.split(".")[0] not in ALLOWED[layer]})
    assert not bad, f"{module} ({layer}) imports {bad}; allowed: {sorted(ALLOWED[layer]) or 'nothing of ours'}"


def test_no_import_circle_between_packages() -> None:
    """Package-level graph (core, ingest, ...): an arrow upward would be a circle; checked above.
    Module-level graph: no circle among run-time imports (TYPE_CHECKING imports excluded)."""
    graph: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        deps = set()
        for name, type_only in _imports(path, module):
            if type_only:
                continue
            target = name
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != module:
                deps.add(target)
        graph[module] = deps
    # A package __init__ that only documents itself is not an edge; a module importing its own
    # package's __init__ is allowed (Python loads it first anyway).
    for m, deps in graph.items():
        graph[m] = {d for d in deps if not m.startswith(d + ".")}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for d in sorted(graph.get(m, ())):
            if state.get(d) == 1:
                cycle = [*stack[stack.index(d):], d]
                raise AssertionError("import circle: " + " -> ".join(cycle))
            if d not in state:
                visit(d)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)


def test_the_contract_sees_lazy_imports(tmp_path: Path) -> None:
    """A function-level import is found too (the contract would miss a lazy upward import otherwise)."""
    f = tmp_path / "m.py"
    f.write_text("def f():\n    from bot.router import Router\n    return Router\n", encoding="utf-8")
    assert ("bot.router", False) in _imports(f, "core.m")
