"""Waiting for a started server to answer HTTP, with a way to give up early."""

from __future__ import annotations

import http.client
import ssl
import time
from collections.abc import Callable
from urllib.parse import urlsplit

POLL_INTERVAL = 0.02  # as often as a person polling by hand would; a request costs ~1 ms


def answers(url: str, timeout: float = 1.0) -> bool:
    """True when ``url`` answers 200 (redirects are not followed).

    A liveness probe of the server just started: over HTTPS it completes the TLS handshake
    without judging the certificate (the Doctor and the clients do that, with the CA they trust).
    """
    parts = urlsplit(url)
    if parts.scheme == "https":
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(
            parts.hostname or "", parts.port, timeout=timeout, context=context
        )
    else:
        connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=timeout)
    try:
        connection.request("GET", parts.path or "/")
        return connection.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()


def wait_until_answers(url: str, still_alive: Callable[[], bool], timeout: float) -> bool:
    """Poll ``url`` until it answers (True), ``still_alive()`` is False or time runs out (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if answers(url, timeout=min(1.0, max(0.1, deadline - time.monotonic()))):
            return True
        if not still_alive():
            return False
        time.sleep(POLL_INTERVAL)
    return False
