"""The local tools' layout rules: the provider never imports them, their modules stay small, no import cycles."""

from __future__ import annotations

from pathlib import Path

import gemini_batch_local
from tests.layout_rules import MAX_MODULE_LINES, find_cycle, import_graph, imported_modules, oversized, package_modules
from tests.paths import REPO

LOCAL = Path(gemini_batch_local.__file__).parent
MODULES = package_modules(LOCAL)


def test_the_provider_never_imports_the_local_tools() -> None:
    found = [f"{path.relative_to(REPO)}:{line} imports {name}"
             for module, path in package_modules(REPO / "airflow_batch_gemini").items()
             for name, line in imported_modules(path, module) if name.split(".")[0] == LOCAL.name]
    assert not found, "\n".join(found)


def test_local_tools_modules_stay_small() -> None:
    assert {f"{LOCAL.name}.emulator.service", f"{LOCAL.name}.cli"} <= set(MODULES)
    large = oversized(MODULES)
    assert not large, f"over {MAX_MODULE_LINES} lines: {large}"


def test_local_tools_have_no_import_cycles() -> None:
    graph = import_graph(MODULES)
    assert any(graph.values()), "no import between the local tools' modules was found"
    assert find_cycle(graph) is None
