"""Which addresses the local servers may bind without being told (gemini_batch_local.loopback)."""

from __future__ import annotations

import pytest

from gemini_batch_local.loopback import is_loopback


@pytest.mark.parametrize("host", ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "LOCALHOST"])
def test_loopback_addresses(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "", "10.0.0.1", "192.168.1.2", "example.com", "localhost.evil",
                                  "128.0.0.1", "::ffff:8.8.8.8"])
def test_addresses_beyond_loopback(host: str) -> None:
    assert not is_loopback(host)
