"""The package's layout rules, checked on its source: stable public paths, pure stages, no import cycles, small
modules."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

import airflow_batch_gemini
from tests.layout_rules import (
    MAX_MODULE_LINES,
    find_cycle,
    import_graph,
    imported_modules,
    oversized,
    package_modules,
)

PACKAGE = Path(airflow_batch_gemini.__file__).parent
ROOT = PACKAGE.name
#: Every module of the package; the example DAGs are DAG files, not modules.
MODULES = package_modules(PACKAGE, skip=("example_dags",))

#: What users' DAGs import: these module paths and class names stay across refactors.
PUBLIC_NAMES = {
    "airflow_batch_gemini.operators.prepare_input": ["GeminiBatchPrepareInputOperator"],
    "airflow_batch_gemini.operators.submit_job": ["GeminiBatchSubmitJobOperator"],
    "airflow_batch_gemini.operators.split_output": ["GeminiBatchSplitOutputOperator"],
    "airflow_batch_gemini.operators.resubmit_failed": ["GeminiBatchResubmitFailedOperator"],
    "airflow_batch_gemini.operators.orphaned_jobs": ["GeminiBatchCancelOrphanedJobsOperator"],
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
        "GeminiBatchConfigurationError",
        "GeminiBatchPreflightError",
        "GeminiBatchWaitInterruptedError",
    ],
}
#: The pure cores of the pipeline's stages and the helpers they share: no Airflow, no service client, no I/O.
PURE = ("input", "job", "output", "lines", "bounds", "uris", "fieldnames", "manifests", "exceptions")
#: Imports a pure module may not make (Airflow, Google's clients, network and process I/O).
IMPURE_IMPORTS = ("airflow", "google", "requests", "aiohttp", "urllib.request", "http.client", "socket",
                  "subprocess")


def pure_modules() -> dict[str, Path]:
    return {name: path for name, path in MODULES.items() if is_pure(name)}


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
    pure = pure_modules()
    assert len(pure) >= 10, "the stage packages were not found"
    found = [
        f"{path.relative_to(PACKAGE.parent)}:{line} imports {name}"
        for module, path in pure.items()
        for name, line in imported_modules(path, module)
        if any(name == banned or name.startswith(f"{banned}.") for banned in IMPURE_IMPORTS)
    ]
    assert not found, "\n".join(found)


def test_importing_the_pure_modules_loads_no_airflow() -> None:
    """The same rule at run time: importing every pure module pulls in no Airflow module at all."""
    names = sorted(pure_modules())
    script = (
        "import importlib, json, sys\n"
        f"for name in {names!r}: importlib.import_module(name)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m == 'airflow' or m.startswith('airflow.'))))"
    )
    loaded = json.loads(subprocess.run([sys.executable, "-c", script], check=True, capture_output=True,
                                       text=True).stdout)
    assert loaded == []


def test_find_cycle_finds_a_cycle_and_only_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_no_import_cycles_not_even_through_imports_inside_functions() -> None:
    graph = import_graph(MODULES)
    assert any(graph.values()), "no import between the package's modules was found"
    assert find_cycle(graph) is None


def test_modules_stay_small() -> None:
    assert f"{ROOT}.input.scanner" in MODULES, "the package's modules were not found"
    large = oversized(MODULES)
    assert not large, f"over {MAX_MODULE_LINES} lines: {large}"
