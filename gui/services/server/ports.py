"""Whether the server could listen on a port of this machine, and if not, why (in use, privileged)."""

from __future__ import annotations

import errno
import ipaddress
import os
import socket

from gui.services.errors import DeskError, PortInUseError, PortNotAllowedError


def port_problem(host: str, port: int) -> DeskError | None:
    """Why a server could not listen on ``host:port`` now (as gunicorn binds: SO_REUSEADDR), or None."""
    family = socket.AF_INET6 if ipaddress.ip_address(host).version == 6 else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        if os.name != "nt":
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EACCES:
                return PortNotAllowedError(host, port)
            if exc.errno == errno.EADDRNOTAVAIL:
                return DeskError(
                    f"{host} is not an address of this machine, so nothing can listen there. "
                    "Use 127.0.0.1 (this computer only) or 0.0.0.0 (all interfaces)."
                )
            return PortInUseError(host, port)
    return None
