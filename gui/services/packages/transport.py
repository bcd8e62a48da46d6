"""Talking to the running server the way twine does: the legacy upload API, and remove_pkg.

Uploads stream from disk (requests-toolbelt's MultipartEncoder): a 500 MB wheel is
never read into memory. Replies become plain words.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Callable
from pathlib import Path

import requests
from requests_toolbelt import MultipartEncoder, MultipartEncoderMonitor

from gui import __version__
from gui.services.clients.pypirc_reader import Credentials
from gui.services.errors import (
    AlreadyExistsError,
    DeskError,
    ServerDiskFullError,
    ServerNotRunningError,
    UploadRefusedError,
    WrongCredentialsError,
)
from gui.services.packages.distribution import Distribution

CHUNK = 1024 * 1024
_PRE = re.compile(r"<pre>(.*?)</pre>", re.S | re.I)
_BODY = re.compile(r"<body[^>]*>(.*?)</body>", re.S | re.I)
_TAG = re.compile(r"<[^>]+>")
USER_AGENT = f"pypi-desk/{__version__}"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _post(
    url: str, credentials: Credentials, data, headers: dict[str, str] | None = None, verify: str | bool = True
) -> requests.Response:
    try:
        return requests.post(
            url.rstrip("/") + "/",
            data=data,
            headers={"User-Agent": USER_AGENT, **(headers or {})},
            auth=(credentials.username, credentials.password),
            allow_redirects=False,
            timeout=(10, 600),
            verify=verify,
        )
    except requests.exceptions.SSLError as exc:
        raise DeskError(
            f"{url} presents a certificate this computer does not trust ({_first_line(exc)}). "
            "Trust the server's CA (its Export CA certificate), or check the names in its certificate."
        ) from exc
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
    if reply.status_code == 507:
        raise ServerDiskFullError(
            f"{what} was not stored: the server's disk is full ({server_reason(reply)}). Free space where the "
            "server keeps its packages, then upload again.",
            reply.status_code,
        )
    if reply.status_code == 409 or (reply.status_code == 400 and "already exists" in reply.text):
        raise AlreadyExistsError(
            f"{what} is already on the server, and the server does not allow overwriting. Upload a new version, "
            "or allow overwriting in the server's settings.",
            reply.status_code,
        )
    raise UploadRefusedError(
        f"The server answered {reply.status_code} for {what}: {server_reason(reply)}", reply.status_code
    )


def server_reason(reply: requests.Response) -> str:
    """The server's reason in words: the ``<pre>`` of pypiserver's (bottle's) error page, not its HTML."""
    text = reply.text or ""
    found = _PRE.search(text)
    if found is None and "<" in text:
        found = _BODY.search(text)
        text = _TAG.sub(" ", found.group(1)) if found else _TAG.sub(" ", text)
    elif found is not None:
        text = found.group(1)
    words = " ".join(html.unescape(text).split())
    return (words[:300] + "…" if len(words) > 300 else words) or reply.reason or "no reason given"


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__


def listed_with_digest(
    url: str, project: str, filename: str, digest: str, credentials: Credentials, verify: str | bool = True
) -> bool:
    """Whether the index's page for ``project`` links ``filename`` with this sha256 (an upload that did land)."""
    try:
        page = requests.get(
            f"{url.rstrip('/')}/simple/{project}/",
            auth=(credentials.username, credentials.password),
            headers={"User-Agent": USER_AGENT},
            allow_redirects=False,
            timeout=30,
            verify=verify,
        )
    except requests.RequestException:
        return False
    return page.status_code == 200 and f"{filename}#sha256={digest}" in page.text


def upload(
    url: str,
    distribution: Distribution,
    credentials: Credentials,
    progress: Callable[[int, int], None] | None = None,
    verify: str | bool = True,
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
        reply = _post(url, credentials, monitor, {"Content-Type": monitor.content_type}, verify)
    _explain(reply, credentials, distribution.filename)


def remove(
    url: str, name_as_written: str, version_as_written: str, credentials: Credentials, verify: str | bool = True
) -> bool:
    """Ask the server to remove one spelling of a version; False when it had no such files."""
    fields = {":action": "remove_pkg", "name": name_as_written, "version": version_as_written}
    reply = _post(url, credentials, fields, verify=verify)
    if reply.status_code == 404:
        return False
    _explain(reply, credentials, f"{name_as_written} {version_as_written}")
    return True
