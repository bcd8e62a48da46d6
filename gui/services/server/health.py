"""Waiting for a started server to answer HTTP, with a way to give up early."""

from __future__ import annotations

import time
from collections.abc import Callable

import requests

POLL_INTERVAL = 0.02  # as often as a person polling by hand would; a request costs ~1 ms


def answers(url: str, timeout: float = 1.0) -> bool:
    """True when ``url`` answers 200 (redirects are not followed)."""
    try:
        return requests.get(url, timeout=timeout, allow_redirects=False).status_code == 200
    except requests.RequestException:
        return False


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
