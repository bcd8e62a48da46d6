"""How an upload reaches the disk: whole, checked, or not at all (runs inside the server).

:class:`WholeBodies` holds a POST's body to its declared end: a client that went away halfway
(its body shorter than its ``Content-Length``) gets 400 and nothing is stored, where bottle
would parse the part that came as if it were all.
:func:`store_upload` writes the file under a dot name in the same folder, checks it against the
``sha256_digest`` the client sent (twine, uv and poetry send one), and renames it into place
only when whole: a cut-off or damaged upload is never listed or served. What a killed server
left under a dot name is removed at the next start (:func:`remove_partial_uploads`).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
from collections.abc import Callable, Iterable
from pathlib import Path

PARTIAL_SUFFIX = ".partial"
CHUNK = 1024 * 1024


class WholeBodies:
    """WSGI middleware: a POST's body ends where its ``Content-Length`` says, or the request is refused (400)
    the moment it ends sooner; bottle would otherwise parse the part that came as if it were all."""

    def __init__(self, app: Callable) -> None:
        self._app = app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        declared = environ.get("CONTENT_LENGTH", "")
        if environ.get("REQUEST_METHOD") == "POST" and declared.isdigit():
            environ["wsgi.input"] = _ExactBody(environ["wsgi.input"], int(declared))
        return self._app(environ, start_response)


class _ExactBody:
    """The request body, read as it comes (no copy); an early end raises bottle's 400 with the reason."""

    def __init__(self, stream, expected: int) -> None:
        self._stream, self._expected, self._received = stream, expected, 0

    def read(self, size: int = -1) -> bytes:
        left = self._expected - self._received
        if left <= 0:
            return b""
        wanted = left if size is None or size < 0 else min(size, left)
        try:
            chunk = self._stream.read(wanted)
        except Exception as exc:  # the connection broke: gunicorn and gevent raise their own kinds
            self._cut_off(f" ({exc})")
        if not chunk:
            self._cut_off("")
        self._received += len(chunk)
        return chunk

    def _cut_off(self, why: str) -> None:
        from pypiserver.bottle_wrapper import HTTPError

        print(f"pypi-desk: an upload was cut off at {self._received} of {self._expected} bytes{why}; "
              "nothing stored", flush=True)  # fmt: skip
        raise HTTPError(400, f"The upload was cut off: {self._received} of {self._expected} bytes arrived. "
                             "Nothing was stored; send it again.")  # fmt: skip


class UploadRefused(Exception):
    """An upload that was not stored: ``status`` and ``reason`` for the client."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


def store_upload(root: Path, filename: str, stream, expected_sha256: str | None) -> None:
    """Write ``stream`` to ``root/filename`` atomically, checked against ``expected_sha256`` when the client
    sent one; raises :class:`UploadRefused` (and leaves nothing) when it cannot."""
    temporary = root.joinpath(f".{filename}.{os.urandom(6).hex()}{PARTIAL_SUFFIX}")
    digest = hashlib.sha256()
    try:
        with open(temporary, "xb") as out:
            for chunk in iter(lambda: stream.read(CHUNK), b""):
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if expected_sha256 and digest.hexdigest() != expected_sha256.strip().lower():
            os.unlink(temporary)
            print(f"pypi-desk: {filename} arrived with another sha256 than the client sent; not stored", flush=True)
            raise UploadRefused(400, f"{filename} arrived damaged or cut off (its sha256 is not the one the client "
                                     "sent): nothing was stored; upload it again.")  # fmt: skip
        os.replace(temporary, root.joinpath(filename))
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        print(f"pypi-desk: {filename} was not stored: {exc.strerror or exc}", flush=True)
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise UploadRefused(507, f"The server's disk is full: {filename} was not stored. "
                                     "Free space on the server, then upload again.") from None  # fmt: skip
        raise UploadRefused(500, f"{filename} was not stored: {exc.strerror or exc}.") from None


def remove_partial_uploads(root: str) -> int:
    """Remove what cut-off uploads left (a server killed while writing one); returns how many."""
    removed = 0
    with contextlib.suppress(OSError), os.scandir(root) as entries:
        for entry in entries:
            if entry.name.startswith(".") and entry.name.endswith(PARTIAL_SUFFIX) and entry.is_file():
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
                    removed += 1
    return removed
