"""sd_notify(3) in a few lines: one datagram to ``$NOTIFY_SOCKET``, a no-op outside systemd.

The protocol is newline-separated ``KEY=VALUE`` lines in one AF_UNIX datagram; an address
starting with ``@`` is in the abstract namespace. No library: this is all of it.
"""

from __future__ import annotations

import os
import socket

from syncd.logs import get_logger

log = get_logger(__name__)


def _address() -> str | None:
    addr = os.environ.get("NOTIFY_SOCKET", "")
    if not addr or addr[0] not in "/@":
        return None  # unset, or a kind we do not speak (vsock: is for VMs)
    return "\0" + addr[1:] if addr[0] == "@" else addr


def enabled() -> bool:
    return _address() is not None


def notify(*lines: str) -> bool:
    """Send ``lines`` as one message; False when not under systemd or the send failed (never raises)."""
    addr = _address()
    if addr is None:
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(addr)
            sock.sendall("\n".join(lines).encode("utf-8"))
    except OSError as exc:
        # The service manager going away must not take the daemon with it.
        log.debug("sd_notify_failed", error=type(exc).__name__)
        return False
    return True


def watchdog_interval() -> float | None:
    """Seconds between WATCHDOG=1 pings (half of ``$WATCHDOG_USEC``), or None without a watchdog."""
    pid = os.environ.get("WATCHDOG_PID")
    if pid and pid != str(os.getpid()):
        return None  # meant for another process (we were started by one that was watched)
    try:
        usec = int(os.environ.get("WATCHDOG_USEC", ""))
    except ValueError:
        return None
    return usec / 2e6 if usec > 0 else None
