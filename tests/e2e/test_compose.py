"""``docker-compose.yaml`` without a Docker engine: valid against the Compose Specification's JSON Schema,
and every service runs a command that the end-to-end deployment of this folder runs too."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.e2e.cluster import AIRFLOW_COMPONENTS, DB_MIGRATE

REPO = Path(__file__).resolve().parents[2]
SCHEMA = Path(__file__).parent / "data" / "compose-spec.json"
#: Services of the CeleryExecutor only; the end-to-end deployment uses the LocalExecutor.
CELERY_ONLY = {"redis": "redis-server", "airflow-worker": "celery worker"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return dict(yaml.safe_load((REPO / "docker-compose.yaml").read_text()))


def command_of(service: dict[str, Any]) -> list[str]:
    """A service's command as a list (compose takes a string or a list)."""
    command = service.get("command", [])
    return shlex.split(command) if isinstance(command, str) else [str(part) for part in command]


def contains(argv: list[str], part: list[str]) -> bool:
    """Whether ``part`` occurs in ``argv`` as consecutive arguments."""
    return any(argv[i:i + len(part)] == part for i in range(len(argv) - len(part) + 1))


def test_compose_file_is_valid_against_the_compose_specification(compose) -> None:
    validator = jsonschema.Draft7Validator(json.loads(SCHEMA.read_text()))
    problems = [f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
                for error in validator.iter_errors(compose)]
    assert not problems, "\n".join(problems)


def test_compose_has_the_official_shape_plus_the_emulators(compose) -> None:
    services = compose["services"]
    assert set(services) == {
        "postgres", "redis", "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-worker",
        "airflow-triggerer", "airflow-init", "fake-gcs", "vertex-emulator",
    }
    airflow = [name for name in services if name.startswith("airflow-")]
    for name in airflow:
        assert "./airflow_batch_gemini/example_dags:/opt/airflow/dags:ro" in services[name]["volumes"], name
        assert services[name]["environment"]["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
        dockerfile = services[name]["build"]["dockerfile_inline"]
        assert "/opt/airflow-batch-gemini" in dockerfile, "the package is installed"
        assert "/opt/airflow-batch-gemini/local-tools" in dockerfile, "the local tools too (the emulator service)"
    published = [port for service in services.values() for port in service.get("ports", [])]
    assert published and all(port.startswith("127.0.0.1:") for port in published), "publish on loopback only"


def test_every_service_runs_a_command_the_e2e_deployment_runs(compose, deployment) -> None:
    ran = deployment.commands
    airflow_ran = [argv[argv.index("airflow") + 1:] for argv in ran if "airflow" in argv]
    for name, service in compose["services"].items():
        command = command_of(service)
        if name in CELERY_ONLY:
            continue
        if name == "postgres":
            assert any(Path(arg).name == "postgres" for argv in ran for arg in argv), "PostgreSQL server"
        elif name == "fake-gcs":
            assert any(contains(argv, ["-scheme", "http"]) and contains(argv, ["-backend", "memory"]) for argv in ran)
        elif name == "vertex-emulator":
            assert command[:3] == ["python", "-m", "gemini_batch_local.emulator"]
            assert any(contains(argv, ["-m", "gemini_batch_local.emulator"]) for argv in ran)
        elif name == "airflow-init":
            assert f"airflow {' '.join(DB_MIGRATE)}" in command[-1]
            assert DB_MIGRATE in airflow_ran
        else:
            subcommand = command[0]
            assert subcommand in AIRFLOW_COMPONENTS, f"{name} runs {command}, which the e2e deployment does not"
            assert any(args[:1] == [subcommand] for args in airflow_ran), f"the e2e deployment ran no {subcommand}"
    assert {name for name in compose["services"] if name in CELERY_ONLY} == set(CELERY_ONLY)


def test_the_image_copies_only_files_that_exist(compose) -> None:
    dockerfile = compose["x-airflow-common"]["build"]["dockerfile_inline"]
    copies = [shlex.split(line)[1:] for line in dockerfile.splitlines() if line.strip().startswith("COPY ")]
    sources = [arg for args in copies for arg in args[:-1] if not arg.startswith("--")]
    assert sources and all((REPO / source).exists() for source in sources), sources
