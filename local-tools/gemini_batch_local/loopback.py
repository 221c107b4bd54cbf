"""Which addresses are loopback: the only ones the local servers bind to unless told otherwise."""

from __future__ import annotations

import ipaddress
import socket

#: The flag of the emulator (and the argument of the local stack) that lets it bind beyond loopback.
ALLOW_NON_LOOPBACK_FLAG = "--allow-non-loopback"
#: What is said when the emulator is told to bind beyond loopback.
EXPOSED_WARNING = (
    "WARNING: the Vertex AI batch emulator listens on {host}, beyond loopback. It is unauthenticated: anyone "
    "who reaches it can create, read and cancel jobs and use its /emulator/ admin endpoints (reset, set-state). "
    "Never expose it to a network you do not control."
)


def _is_loopback_address(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:
        return False


def is_loopback(host: str) -> bool:
    """Whether ``host`` is an address in 127.0.0.0/8 or ``::1``, or ``localhost`` resolving to such
    addresses only (a hosts file may map ``localhost`` elsewhere)."""
    if host.lower() != "localhost":
        return _is_loopback_address(host)
    try:
        found = socket.getaddrinfo(host, None)
    except OSError:
        return False
    return bool(found) and all(_is_loopback_address(str(info[4][0])) for info in found)
