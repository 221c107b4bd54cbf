"""The package's layout rules, checked on its source: stable public paths, pure stages, no import cycles, small
modules."""

from __future__ import annotations

import ast
import importlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import airflow_batch_gemini

PACKAGE = Path(airflow_batch_gemini.__file__).parent
ROOT = PACKAGE.name

#: What users' DAGs import: these module paths and class names stay across refactors.
PUBLIC_NAMES = {
    "airflow_batch_gemini.operators.prepare_input": ["GeminiBatchPrepareInputOperator"],
    "airflow_batch_gemini.operators.submit_job": ["GeminiBatchSubmitJobOperator"],
    "airflow_batch_gemini.operators.split_output": ["GeminiBatchSplitOutputOperator"],
    "airflow_batch_gemini.operators.resubmit_failed": ["GeminiBatchResubmitFailedOperator"],
    "airflow_batch_gemini.hooks.batch_prediction": ["GeminiBatchHook", "GeminiBatchAsyncHook"],
    "airflow_batch_gemini.hooks.storage": ["GeminiBatchStorageHook"],
    "airflow_batch_gemini.triggers.batch_job": ["GeminiBatchJobTrigger"],
    "airflow_batch_gemini.sensors.batch_job": ["GeminiBatchJobSensor"],
    "airflow_batch_gemini.exceptions": [
        "GeminiBatchError",
        "GeminiBatchApiError",
        "GeminiBatchTransientError",
        "GeminiBatchJobFailedError",
        "GeminiBatchUnknownStateError",
        "GeminiBatchTimeoutError",
        "GeminiBatchInputError",
        "GeminiBatchUploadConflictError",
        "GeminiBatchOutputError",
        "GeminiBatchInputChangedError",
        "GeminiBatchPartialFailureError",
    ],
}
#: The pure cores of the pipeline's stages and the helpers they share: no Airflow, no service client, no I/O.
PURE = ("input", "job", "output", "uris", "fieldnames", "manifests", "exceptions")
#: Imports a pure module may not make (Airflow, Google's clients, network and process I/O).
IMPURE_IMPORTS = ("airflow", "google", "requests", "aiohttp", "urllib.request", "http.client", "socket",
                  "subprocess")
#: "One module per concern, under about 400 lines."
MAX_MODULE_LINES = 400


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def package_modules() -> Iterator[Path]:
    """Every Python module of the package except the example DAGs (which are DAG files, not modules)."""
    for path in sorted(PACKAGE.rglob("*.py")):
        if "example_dags" not in path.parts:
            yield path


def imported_modules(path: Path) -> Iterator[tuple[str, int]]:
    """``(module, line)`` of every import in a file, also those inside functions, resolved to module names
    (``from pkg import name`` yields ``pkg.name`` too, which is a module when ``name`` is one)."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module, node.lineno
            for alias in node.names:
                yield f"{node.module}.{alias.name}", node.lineno


def is_pure(name: str) -> bool:
    return any(name == f"{ROOT}.{part}" or name.startswith(f"{ROOT}.{part}.") for part in PURE)


@pytest.mark.parametrize("module", sorted(PUBLIC_NAMES))
def test_public_paths_and_class_names_stay(module: str) -> None:
    imported = importlib.import_module(module)
    for name in PUBLIC_NAMES[module]:
        assert isinstance(getattr(imported, name, None), type), f"{module}.{name} is gone"


def test_every_stage_is_a_package_of_its_own() -> None:
    for stage in ("input", "job", "output"):
        assert (PACKAGE / stage / "__init__.py").is_file(), f"{stage}/ is no package"
        assert len(list((PACKAGE / stage).glob("*.py"))) > 1, f"{stage}/ holds no module"


def test_pure_modules_import_no_airflow_no_client_and_no_io() -> None:
    pure = [path for path in package_modules() if is_pure(module_name(path))]
    assert len(pure) >= 10, "the stage packages were not found"
    found = [
        f"{path.relative_to(PACKAGE.parent)}:{line} imports {name}"
        for path in pure
        for name, line in imported_modules(path)
        if any(name == banned or name.startswith(f"{banned}.") for banned in IMPURE_IMPORTS)
    ]
    assert not found, "\n".join(found)


def test_importing_the_pure_modules_loads_no_airflow() -> None:
    """The same rule at run time: importing every pure module pulls in no Airflow module at all."""
    names = [module_name(path) for path in package_modules() if is_pure(module_name(path))]
    script = (
        "import importlib, json, sys\n"
        f"for name in {names!r}: importlib.import_module(name)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m == 'airflow' or m.startswith('airflow.'))))"
    )
    loaded = json.loads(subprocess.run([sys.executable, "-c", script], check=True, capture_output=True,
                                       text=True).stdout)
    assert loaded == []


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


def test_find_cycle_finds_a_cycle_and_only_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_no_import_cycles_not_even_through_imports_inside_functions() -> None:
    modules = {module_name(path): path for path in package_modules()}
    packages = {module_name(path) for path in package_modules() if path.name == "__init__.py"}
    graph = {
        name: {target for target, _ in imported_modules(path) if target in modules and target not in packages}
        - {name}
        for name, path in modules.items()
    }
    assert find_cycle(graph) is None


def test_modules_stay_small() -> None:
    sizes = {module_name(path): len(path.read_text().splitlines()) for path in package_modules()}
    assert sizes, "no module found"
    large = {name: lines for name, lines in sizes.items() if lines > MAX_MODULE_LINES}
    assert not large, f"over {MAX_MODULE_LINES} lines: {large}"
