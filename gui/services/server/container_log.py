"""A container's log as text lines, with the position to resume from after the stream breaks.

The log is asked for with Docker's timestamps. Each line's timestamp (in ns) is stripped and
remembered, with how many lines carried that very timestamp, so a follow that starts again
``after`` that position skips exactly the lines already read, even when several share a stamp.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime, timezone

import requests

from gui.services.server.log_lines import split_lines
from gui.services.server.runtime import LogPosition

NANOSECONDS = 1_000_000_000


def timestamp_ns(stamp: str) -> int:
    """``2026-11-24T08:04:37.123456789Z`` (Docker's RFC 3339 with nanoseconds) as ns since the epoch."""
    if not stamp.endswith("Z"):
        raise ValueError(f"not a UTC timestamp: {stamp!r}")
    seconds, _, fraction = stamp[:-1].partition(".")
    whole = datetime.strptime(seconds, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
    if fraction and not fraction.isdigit():
        raise ValueError(f"not a timestamp: {stamp!r}")
    return int(whole.timestamp()) * NANOSECONDS + int(fraction[:9].ljust(9, "0") or 0)


def since_for(after: LogPosition | None, source: str) -> float | None:
    """The ``since`` to ask Docker for (a second early: the stream filters exactly), or None."""
    if after is None or after.source != source or after.mark[0] <= 0:
        return None
    return max(after.mark[0] / NANOSECONDS - 1.0, 1.0)


class DockerLogStream:
    """A container's timestamped log as lines; ``close()`` from another thread ends a follow."""

    def __init__(self, raw, source: str = "", after: LogPosition | None = None) -> None:
        self._raw = raw
        self._source = source
        last_ns, same = after.mark if after is not None and after.source == source else (0, 0)
        self._last_ns = last_ns
        self._same = same  # lines read with the timestamp ``_last_ns``
        self._skip = same  # of those, how many the stream will send again

    @property
    def position(self) -> LogPosition | None:
        return LogPosition(self._source, (self._last_ns, self._same)) if self._source else None

    def __iter__(self) -> Iterator[str]:
        if self._raw is None:
            return iter(())
        return self._lines()

    def _lines(self) -> Iterator[str]:
        try:
            for line in split_lines(self._raw):
                stamp, _, text = line.partition(" ")
                try:
                    ns = timestamp_ns(stamp)
                except ValueError:  # not timestamped (cannot happen with timestamps=True): pass it on
                    yield line
                    continue
                if ns < self._last_ns:
                    continue
                if ns == self._last_ns:
                    if self._skip:
                        self._skip -= 1
                        continue
                    self._same += 1
                else:
                    self._last_ns, self._same, self._skip = ns, 1, 0
                yield text
        except (requests.RequestException, OSError, AttributeError, ValueError):
            # close() from another thread tears the socket down under the reader.
            return

    def close(self) -> None:
        if self._raw is not None:
            with contextlib.suppress(Exception):
                self._raw.close()
