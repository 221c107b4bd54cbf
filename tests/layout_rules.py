"""What the layout tests read from source: a package's modules, their imports, the import graph, cycles and
sizes. Shared by the provider's and the local tools' layout tests."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

#: "One module per concern, under about 400 lines."
MAX_MODULE_LINES = 400


def package_modules(package: Path, skip: tuple[str, ...] = ()) -> dict[str, Path]:
    """Module name -> file of every Python module under ``package`` (a package's folder), except under the
    folders named in ``skip``."""
    modules = {}
    for path in sorted(package.rglob("*.py")):
        if not skip or not set(path.relative_to(package).parts) & set(skip):
            parts = path.relative_to(package.parent).with_suffix("").parts
            modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def imported_modules(path: Path, module: str) -> Iterator[tuple[str, int]]:
    """``(module, line)`` of every import in the file ``path`` of ``module``, also those inside functions,
    relative ones resolved (``from pkg import name`` yields ``pkg.name`` too, a module when ``name`` is one)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            parts = package.split(".")
            parent = parts[: len(parts) - node.level + 1] if node.level else []
            base = ".".join([*parent, node.module] if node.module else parent)
            yield base, node.lineno
            for alias in node.names:
                yield f"{base}.{alias.name}", node.lineno


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Which of ``modules`` each one imports (packages' ``__init__`` left out as targets: importing a module
    of a package runs it, but it imports nothing of its own here)."""
    packages = {name for name, path in modules.items() if path.name == "__init__.py"}
    return {
        name: {target for target, _ in imported_modules(path, name) if target in modules and target not in packages}
        - {name}
        for name, path in modules.items()
    }


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``graph`` (``[a, b, ..., a]``), or ``None``."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*path[path.index(target):], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def oversized(modules: dict[str, Path]) -> dict[str, int]:
    """The modules over :data:`MAX_MODULE_LINES` lines, with their line counts."""
    sizes = {name: len(path.read_text().splitlines()) for name, path in modules.items()}
    return {name: lines for name, lines in sizes.items() if lines > MAX_MODULE_LINES}
