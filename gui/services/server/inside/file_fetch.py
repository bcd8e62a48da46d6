"""One upstream file on its way into the cache, read by every client that asks for it meanwhile (runs inside
the server, standard library only).

The file is fetched once, on a thread of its own (a greenlet under gevent), into a temporary
name beside its place (``.NAME.part-RANDOM``), its hash computed as it comes. Each client that
asks meanwhile reads that temporary file as it grows, so ten clients cost one upstream fetch and
memory stays one chunk per client whatever the file's size. The last byte is held back from every
client until the hash has matched: a file that does not match upstream's page is deleted, never
kept, every client's answer is broken off (the transfer is incomplete, so no client installs it),
and the log names both hashes. A file that matches is renamed into place, whole.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
import time
from collections.abc import Callable, Iterator

CHUNK = 256 * 1024
MAX_SIZE = 4 * 1024**3  # a file upstream sends without a length is cut off here
WAIT = 60.0  # a client waits this long for the next bytes (upstream's own timeout comes first)


class FetchFailed(Exception):
    """The fetch ended without a verified file: ``why`` says what happened."""


class FileFetch:
    """Fetches ``url`` to ``final``, checking ``algorithm``'s digest; :meth:`start`, then :meth:`reader`."""

    def __init__(self, open_url: Callable, url: str, final: str, algorithm: str, expected: str,
                 size: int | None, on_done: Callable[[FileFetch], None]) -> None:  # fmt: skip
        self.url = url
        self.final = final
        self.filename = os.path.basename(final)
        self.part = os.path.join(os.path.dirname(final), f".{self.filename}.part-{os.urandom(4).hex()}")
        self._open_url = open_url
        self._algorithm = algorithm
        self._expected = expected.lower()
        self.size = size
        self._on_done = on_done
        self._changed = threading.Condition()
        self.written = 0
        self.state = "starting"  # then "streaming", and "verified" or "failed"
        self.readers = 0  # clients reading it now; a file of no known length is given up when the last one leaves
        self.held = False  # from a private network's address: no byte reaches a client before the hash matched
        self._read_by_any = False
        self.why = ""
        self.seconds = 0.0

    def start(self) -> None:
        open(self.part, "xb").close()  # readers may open it at once
        threading.Thread(target=self._run, name=f"fetch {self.filename}", daemon=True).start()

    def _run(self) -> None:
        began = time.monotonic()
        try:
            self._fetch()
        except Exception as exc:  # upstream's error, a full disk: the file is not kept
            self._finish("failed", str(getattr(exc, "why", "") or exc))
            with contextlib.suppress(OSError):
                os.unlink(self.part)
        finally:
            self.seconds = time.monotonic() - began
            self._on_done(self)

    def _fetch(self) -> None:
        digest = hashlib.new(self._algorithm)
        with self._open_url(self.url) as response:
            self.held = not getattr(response, "peer_is_global", True)
            length = response.headers.get("Content-Length")
            if length and length.isdigit():
                if self.size is not None and int(length) != self.size:
                    raise FetchFailed(f"upstream sends {length} bytes for {self.filename}, its page says {self.size}")
                self.size = int(length)
            self._set("streaming")
            with open(self.part, "r+b", buffering=0) as out:
                while chunk := response.read(CHUNK):
                    if self.written + len(chunk) > (self.size if self.size is not None else MAX_SIZE):
                        raise FetchFailed(f"upstream sends more of {self.filename} than its length says")
                    if self.size is None and self._read_by_any and self.readers == 0:
                        raise FetchFailed(f"{self.filename} has no length and nobody waits for it any more")
                    digest.update(chunk)
                    out.write(chunk)
                    with self._changed:
                        self.written += len(chunk)
                        self._changed.notify_all()
                got = digest.hexdigest()
                if self.size is not None and self.written != self.size:
                    raise FetchFailed(f"{self.filename} came short from upstream ({self.written} of {self.size} bytes)")
                if got != self._expected:
                    raise FetchFailed(f"{self.filename} refused: upstream's page names {self._algorithm} "
                                      f"{self._expected}, the file that came has {got}; it was not kept")  # fmt: skip
                off_the_loop(os.fsync, out.fileno())
        with self._changed:  # renamed while no reader chooses which name to open
            os.replace(self.part, self.final)
            self.state = "verified"
            self.size = self.written
            self._changed.notify_all()

    def _set(self, state: str) -> None:
        with self._changed:
            self.state = state
            self._changed.notify_all()

    def _finish(self, state: str, why: str) -> None:
        with self._changed:
            self.state, self.why = state, why
            self._changed.notify_all()

    def wait_for_headers(self) -> None:
        """Until upstream answered (its length known) or the fetch failed."""
        with self._changed:
            while self.state == "starting":
                if not self._changed.wait(WAIT):
                    raise FetchFailed(f"upstream did not answer for {self.filename} within {WAIT:.0f} s")
            if self.state == "failed":
                raise FetchFailed(self.why)

    def reader(self) -> Iterator[bytes]:
        """The file's bytes as they arrive; raises :class:`FetchFailed` midway when the file is not kept."""
        with self._changed:
            handle = open(self.final if self.state == "verified" else self.part, "rb")  # noqa: SIM115
        return self._read(handle)

    def _read(self, handle) -> Iterator[bytes]:
        sent = 0
        with self._changed:
            self.readers += 1
            self._read_by_any = True
        try:
            while True:
                with self._changed:
                    while self.state not in ("verified", "failed") and (self.held or self.written - sent <= 1):
                        if not self._changed.wait(WAIT):
                            raise FetchFailed(f"upstream sent nothing more of {self.filename} for {WAIT:.0f} s")
                    state, written = self.state, self.written
                if state == "failed":
                    raise FetchFailed(self.why)
                # the last byte waits for the hash (held: all of them did, above)
                ready = written - sent if state == "verified" else written - sent - 1
                if ready <= 0:
                    return
                chunk = handle.read(min(CHUNK, ready))
                if not chunk:
                    raise FetchFailed(f"{self.filename} was removed from the cache while it was sent")
                sent += len(chunk)
                yield chunk
        finally:
            with self._changed:
                self.readers -= 1
            handle.close()


def off_the_loop(work: Callable, *args: object) -> object:
    """Blocking disk work (an fsync) on a real thread when the server runs on gevent, so that every other request
    goes on meanwhile; called directly otherwise."""
    try:
        from gevent import get_hub, monkey
    except ImportError:
        return work(*args)
    if not monkey.is_module_patched("threading"):
        return work(*args)
    return get_hub().threadpool.apply(work, args)
