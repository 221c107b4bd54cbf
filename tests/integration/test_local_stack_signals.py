"""A process holding the local stack that gets SIGTERM (``kill``, a CI timeout) stops both servers."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import textwrap
from urllib.parse import urlsplit

HOLD_THE_STACK = textwrap.dedent("""
    import time
    from gemini_batch_local.local_stack import running_stack
    with running_stack() as stack:
        print(stack.gcs_url, stack.vertex_url, flush=True)
        time.sleep(120)
""")


def accepts_connections(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port), timeout=1):
            return True
    except OSError:
        return False


def test_sigterm_stops_both_servers() -> None:
    process = subprocess.Popen([sys.executable, "-c", HOLD_THE_STACK], stdout=subprocess.PIPE, text=True)
    try:
        urls = process.stdout.readline().split() if process.stdout else []
        assert len(urls) == 2 and all(accepts_connections(url) for url in urls)
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    finally:
        process.kill()
    assert process.returncode != 0, "interrupted, not finished"
    assert not any(accepts_connections(url) for url in urls), "a server outlived its stack"
