"""Every server the project starts listens on 127.0.0.1 unless told otherwise."""

from __future__ import annotations

import subprocess
import sys
from urllib.parse import urlparse

import psutil

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
