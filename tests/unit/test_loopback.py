"""Which addresses the local servers may bind without being told (gemini_batch_local.loopback)."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import pytest

from gemini_batch_local.loopback import is_loopback


@pytest.mark.parametrize("host", ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "LOCALHOST"])
def test_loopback_addresses(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "", "10.0.0.1", "192.168.1.2", "example.com", "localhost.evil",
                                  "128.0.0.1", "::ffff:8.8.8.8"])
def test_addresses_beyond_loopback(host: str) -> None:
    assert not is_loopback(host)


def test_localhost_counts_only_when_it_resolves_to_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    def resolved_to(*addresses: str) -> Callable[..., list[tuple[Any, ...]]]:
        return lambda host, port: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, 0)) for address in addresses]

    monkeypatch.setattr(socket, "getaddrinfo", resolved_to("127.0.0.1", "::1"))
    assert is_loopback("localhost")
    monkeypatch.setattr(socket, "getaddrinfo", resolved_to("127.0.0.1", "10.0.0.7"))
    assert not is_loopback("localhost"), "a hosts file that maps localhost elsewhere too"
    monkeypatch.setattr(socket, "getaddrinfo", resolved_to())
    assert not is_loopback("localhost")
