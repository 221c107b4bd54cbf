"""Which addresses are loopback: the only ones the local servers bind to unless told otherwise."""

from __future__ import annotations

import ipaddress

#: The flag of the emulator (and the argument of the local stack) that lets it bind beyond loopback.
ALLOW_NON_LOOPBACK_FLAG = "--allow-non-loopback"
#: What is said when the emulator is told to bind beyond loopback.
EXPOSED_WARNING = (
    "WARNING: the Vertex AI batch emulator listens on {host}, beyond loopback. It is unauthenticated: anyone "
    "who reaches it can create, read and cancel jobs and use its /emulator/ admin endpoints (reset, set-state). "
    "Never expose it to a network you do not control."
)


def is_loopback(host: str) -> bool:
    """Whether ``host`` is ``localhost`` or an address in 127.0.0.0/8 or ``::1``."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
