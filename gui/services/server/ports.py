"""Whether a port is free on this machine, as the server would bind it."""

from __future__ import annotations

import ipaddress
import os
import socket


def port_is_free(host: str, port: int) -> bool:
    """True when a server could listen on ``host:port`` now (as gunicorn binds: SO_REUSEADDR)."""
    family = socket.AF_INET6 if ipaddress.ip_address(host).version == 6 else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        if os.name != "nt":
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True
