"""The local tools' layout rules: the provider never imports them, their modules stay small, no import cycles."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import gemini_batch_local
from tests.paths import REPO
from tests.unit.test_layout import MAX_MODULE_LINES, find_cycle

LOCAL = Path(gemini_batch_local.__file__).parent
PROVIDER = REPO / "airflow_batch_gemini"


def local_module_name(path: Path) -> str:
    parts = path.relative_to(LOCAL.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, module: str) -> Iterator[str]:
    """Every module ``path`` (the module ``module``) imports, relative imports resolved, inside functions too."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            parts = package.split(".")
            parent = parts[: len(parts) - node.level + 1] if node.level else []
            base = ".".join([*parent, node.module] if node.module else parent)
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def test_the_provider_never_imports_the_local_tools() -> None:
    found = [f"{path.relative_to(REPO)} imports {name}" for path in sorted(PROVIDER.rglob("*.py"))
             for name in imports_of(path, "airflow_batch_gemini") if name.split(".")[0] == LOCAL.name]
    assert not found, "\n".join(found)


def test_local_tools_modules_stay_small() -> None:
    sizes = {local_module_name(path): len(path.read_text().splitlines()) for path in LOCAL.rglob("*.py")}
    assert {f"{LOCAL.name}.emulator.service", f"{LOCAL.name}.cli"} <= set(sizes)
    large = {name: lines for name, lines in sizes.items() if lines > MAX_MODULE_LINES}
    assert not large, f"over {MAX_MODULE_LINES} lines: {large}"


def test_local_tools_have_no_import_cycles() -> None:
    modules = {local_module_name(path): path for path in LOCAL.rglob("*.py")}
    packages = {local_module_name(path) for path in LOCAL.rglob("__init__.py")}
    graph = {
        name: {target for target in imports_of(path, name) if target in modules and target not in packages} - {name}
        for name, path in modules.items()
    }
    assert any(graph.values()), "no import between the local tools' modules was found"
    assert find_cycle(graph) is None
