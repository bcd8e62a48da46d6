"""How an upload reaches the disk: whole, checked, or not at all (runs inside the server).

:class:`WholeBodies` reads a POST's body to its declared end before pypiserver parses it; a
client that went away halfway (its body shorter than its ``Content-Length``) gets 400 and
nothing is stored, where bottle would parse the part that came as if it were all.
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
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

PARTIAL_SUFFIX = ".partial"
CHUNK = 1024 * 1024
SPOOL_IN_MEMORY = 1024 * 1024


class WholeBodies:
    """WSGI middleware: a POST is passed on only once its whole body has arrived."""

    def __init__(self, app: Callable) -> None:
        self._app = app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        declared = environ.get("CONTENT_LENGTH", "")
        if environ.get("REQUEST_METHOD") != "POST" or not declared.isdigit():
            return self._app(environ, start_response)
        expected = int(declared)
        body = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115 - closed with the request
        received = 0
        try:
            source = environ["wsgi.input"]
            while received < expected:
                chunk = source.read(min(CHUNK, expected - received))
                if not chunk:
                    break
                body.write(chunk)
                received += len(chunk)
        except Exception as exc:  # the connection broke: gunicorn and gevent raise their own kinds
            print(f"pypi-desk: an upload broke off after {received} of {expected} bytes ({exc}); nothing stored",
                  flush=True)  # fmt: skip
            body.close()
            return _refuse(start_response, received, expected)
        if received < expected:
            print(f"pypi-desk: an upload was cut off at {received} of {expected} bytes; nothing stored", flush=True)
            body.close()
            return _refuse(start_response, received, expected)
        body.seek(0)
        environ["wsgi.input"] = body
        return self._app(environ, start_response)


def _refuse(start_response: Callable, received: int, expected: int) -> list[bytes]:
    text = f"The upload was cut off: {received} of {expected} bytes arrived. Nothing was stored; send it again.\n"
    data = text.encode()
    start_response(
        "400 Bad Request", [("Content-Type", "text/plain; charset=UTF-8"), ("Content-Length", str(len(data)))]
    )
    return [data]


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
