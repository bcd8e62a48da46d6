"""Talking to the running server the way twine does: the legacy upload API, and remove_pkg.

Uploads stream from disk (requests-toolbelt's MultipartEncoder): a 500 MB wheel is
never read into memory. Replies become plain words.
"""

from __future__ import annotations

import configparser
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import requests
from requests_toolbelt import MultipartEncoder, MultipartEncoderMonitor

from gui import __version__
from gui.services.distribution import Distribution
from gui.services.errors import DeskError

CHUNK = 1024 * 1024
USER_AGENT = f"pypi-desk/{__version__}"


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str


class UploadRefusedError(DeskError):
    """The server answered no; ``status`` is its HTTP code."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class WrongCredentialsError(UploadRefusedError):
    pass


class AlreadyExistsError(UploadRefusedError):
    pass


class ServerDownError(DeskError):
    """Nothing answers at the server's address."""


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
        raise ServerDownError(
            f"The server is not running: nothing answers at {url}. Start it, then try again."
        ) from exc


def _explain(reply: requests.Response, credentials: Credentials, what: str) -> None:
    if reply.status_code == 200:
        return
    if reply.status_code in (401, 403):
        raise WrongCredentialsError(
            f"The server refused user {credentials.username}: wrong user name or password. "
            "Check them in Users (or in ~/.pypirc), then try again.",
            reply.status_code,
        )
    first_line = reply.text.strip().splitlines()[0] if reply.text.strip() else reply.reason
    if reply.status_code == 409 or (reply.status_code == 400 and "already exists" in reply.text):
        raise AlreadyExistsError(
            f"{what} is already on the server, and the server does not allow overwriting. Upload a new version, "
            "or tick 'Allow uploading a version that already exists' in the Server settings.",
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


def _same_server(one: str, other: str) -> bool:
    a, b = urlsplit(one), urlsplit(other)
    local = {"127.0.0.1", "localhost", "::1"}
    host_a = "localhost" if a.hostname in local else a.hostname
    host_b = "localhost" if b.hostname in local else b.hostname
    return (a.scheme, host_a, a.port) == (b.scheme, host_b, b.port) and a.path.strip("/") == b.path.strip("/")


def credentials_from_pypirc(pypirc: Path, url: str) -> Credentials | None:
    """The user name and password of the ~/.pypirc section whose repository is ``url``."""
    parser = configparser.RawConfigParser()
    try:
        parser.read_string(pypirc.read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError, configparser.Error):
        return None
    for section in parser.sections():
        repository = parser.get(section, "repository", fallback="")
        if repository and _same_server(repository, url):
            username = parser.get(section, "username", fallback="")
            password = parser.get(section, "password", fallback="")
            if username and password:
                return Credentials(username, password)
    return None
