"""Talking to the running server the way twine does: the legacy upload API, and remove_pkg.

Uploads stream from disk (requests-toolbelt's MultipartEncoder): a 500 MB wheel is
never read into memory. Replies become plain words.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import requests
from requests_toolbelt import MultipartEncoder, MultipartEncoderMonitor

from gui import __version__
from gui.services.clients.pypirc_reader import Credentials
from gui.services.errors import (
    AlreadyExistsError,
    DeskError,
    ServerNotRunningError,
    UploadRefusedError,
    WrongCredentialsError,
)
from gui.services.packages.distribution import Distribution

CHUNK = 1024 * 1024
USER_AGENT = f"pypi-desk/{__version__}"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _post(url: str, credentials: Credentials, data, headers: dict[str, str] | None = None) -> requests.Response:
    try:
        return requests.post(
            url.rstrip("/") + "/",
            data=data,
            headers={"User-Agent": USER_AGENT, **(headers or {})},
            auth=(credentials.username, credentials.password),
            allow_redirects=False,
            timeout=(10, 600),
        )
    except requests.ConnectionError as exc:
        raise ServerNotRunningError(url=url) from exc
    except requests.RequestException as exc:  # the reply broke off, timed out, ...
        raise DeskError(
            f"The connection to {url} broke off before the server answered ({type(exc).__name__}). "
            "Look at the server's log, then try again."
        ) from exc


def _explain(reply: requests.Response, credentials: Credentials, what: str) -> None:
    if reply.status_code == 200:
        return
    if reply.status_code in (401, 403):
        raise WrongCredentialsError(
            f"The server refused user {credentials.username}: wrong user name or password. "
            "Check the user name and password (the server's users, or ~/.pypirc), then try again.",
            reply.status_code,
        )
    first_line = reply.text.strip().splitlines()[0] if reply.text.strip() else reply.reason
    if reply.status_code == 409 or (reply.status_code == 400 and "already exists" in reply.text):
        raise AlreadyExistsError(
            f"{what} is already on the server, and the server does not allow overwriting. Upload a new version, "
            "or allow overwriting in the server's settings.",
            reply.status_code,
        )
    raise UploadRefusedError(f"The server answered {reply.status_code} for {what}: {first_line}", reply.status_code)


def upload(
    url: str,
    distribution: Distribution,
    credentials: Credentials,
    progress: Callable[[int, int], None] | None = None,
) -> None:
    """Upload one checked distribution; ``progress(sent, total)`` follows the bytes on the wire."""
    fields: list[tuple[str, object]] = [
        (":action", "file_upload"),
        ("protocol_version", "1"),
        ("name", distribution.name),
        ("version", distribution.version),
        ("filetype", distribution.filetype),
        ("pyversion", distribution.pyversion),
        ("sha256_digest", sha256_of(distribution.path)),
        *((key, value) for key, value in distribution.metadata.items() if value),
    ]
    with open(distribution.path, "rb") as content:
        fields.append(("content", (distribution.filename, content, "application/octet-stream")))
        encoder = MultipartEncoder(fields=fields)
        monitor = MultipartEncoderMonitor(
            encoder, (lambda m: progress(m.bytes_read, m.len)) if progress is not None else None
        )
        reply = _post(url, credentials, monitor, {"Content-Type": monitor.content_type})
    _explain(reply, credentials, distribution.filename)


def remove(url: str, name_as_written: str, version_as_written: str, credentials: Credentials) -> bool:
    """Ask the server to remove one spelling of a version; False when it had no such files."""
    reply = _post(url, credentials, {":action": "remove_pkg", "name": name_as_written, "version": version_as_written})
    if reply.status_code == 404:
        return False
    _explain(reply, credentials, f"{name_as_written} {version_as_written}")
    return True
