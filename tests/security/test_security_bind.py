"""Every server the project starts listens on 127.0.0.1 unless told otherwise; the emulator, which is
unauthenticated, binds beyond loopback only with ``--allow-non-loopback``, and then warns."""

from __future__ import annotations

import subprocess
import sys
from urllib.parse import urlparse

import psutil
import pytest

from gemini_batch_local.emulator.__main__ import build_parser
from gemini_batch_local.local_stack import LOOPBACK, LocalStack


def listening(process: psutil.Process) -> list[tuple[str, int]]:
    """``(address, port)`` of every TCP socket ``process`` and its children listen on."""
    sockets = []
    for member in (process, *process.children(recursive=True)):
        for connection in member.net_connections(kind="inet"):
            if connection.status == psutil.CONN_LISTEN:
                sockets.append((connection.laddr.ip, connection.laddr.port))
    return sockets


def test_the_local_stack_listens_on_loopback_only(stack: LocalStack) -> None:
    sockets = listening(psutil.Process())
    ports = {urlparse(stack.gcs_url).port, urlparse(stack.vertex_url).port}
    assert ports <= {port for _, port in sockets}, "both servers of the stack were found"
    assert {address for address, _ in sockets} == {LOOPBACK}, sockets


def test_the_emulator_binds_loopback_by_default(stack: LocalStack) -> None:
    assert build_parser().parse_args([]).host == LOOPBACK
    assert LocalStack().host == LOOPBACK
    process = subprocess.Popen(
        [sys.executable, "-m", "gemini_batch_local.emulator", "--port", "0", "--gcs-endpoint", stack.gcs_url,
         "--log-level", "WARNING"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert process.stdout is not None
        ready = process.stdout.readline()
        assert ready.startswith(f"READY http://{LOOPBACK}:")
        sockets = listening(psutil.Process(process.pid))
        assert sockets and all(address == LOOPBACK for address, _ in sockets), sockets
    finally:
        process.terminate()
        process.wait(timeout=20)


def emulator_command(stack: LocalStack, *flags: str) -> list[str]:
    return [sys.executable, "-m", "gemini_batch_local.emulator", "--port", "0", "--gcs-endpoint", stack.gcs_url,
            "--log-level", "WARNING", *flags]


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "", "example.com"])
def test_the_emulator_refuses_to_bind_beyond_loopback_unless_told(stack: LocalStack, host: str) -> None:
    # on a version without the check this binds (and then never exits): the timeout ends it
    result = subprocess.run(emulator_command(stack, "--host", host), capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and "READY" not in result.stdout, result.stdout
    assert "is not a loopback address" in result.stderr and "--allow-non-loopback" in result.stderr


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "localhost", "::1"])
def test_the_emulator_binds_any_loopback_address_without_a_warning(stack: LocalStack, host: str) -> None:
    process = subprocess.Popen(emulator_command(stack, "--host", host), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        shown = f"[{host}]" if ":" in host else host
        assert process.stdout.readline().startswith(f"READY http://{shown}:")
    finally:
        process.terminate()
        _, errors = process.communicate(timeout=20)
    assert "WARNING" not in errors


def test_told_to_bind_beyond_loopback_the_emulator_warns(stack: LocalStack, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    from gemini_batch_local.emulator import __main__ as emulator

    bound: list[str] = []

    async def serve(host: str, port: int, service: object) -> None:  # binds nothing: the test stays on loopback
        bound.append(host)

    monkeypatch.setattr(emulator, "serve", serve)
    assert emulator.main(["--host", "0.0.0.0", "--allow-non-loopback", "--gcs-endpoint", stack.gcs_url]) == 0
    assert bound == ["0.0.0.0"]
    warning = capsys.readouterr().err
    assert "0.0.0.0" in warning and "unauthenticated" in warning and "Never expose it" in warning


def test_the_emulators_help_says_its_admin_endpoints_are_unauthenticated_and_local_only() -> None:
    text = " ".join(build_parser().format_help().split())
    assert "unauthenticated and for local use only" in text and "admin endpoints under /emulator/" in text
    assert "Never expose it" in text and "--allow-non-loopback" in text


def test_the_local_stack_binds_beyond_loopback_only_when_told() -> None:
    with pytest.raises(ValueError, match=r"not a loopback address.*allow_non_loopback=True"):
        LocalStack(host="0.0.0.0")
    told = LocalStack(host="0.0.0.0", allow_non_loopback=True, emulator_args=["--seed", "1"])
    assert told.emulator_args == ["--allow-non-loopback", "--seed", "1"], "the emulator is told too"
    told.stop()
