"""PyPI Desk's simple-API pages in front of pypiserver: fast at 50,000 files, and always fresh.

Runs inside the server (the image's Python, with pypiserver; nothing of PyPI Desk's own).
pypiserver's simple-dir backend walks and parses the whole folder for every page (1.4 s
at 50,000 files); its cached backend is stale under gunicorn's preload, and drops its
whole cache whenever a file is opened (pypiserver issues 449, 455, 502). Here the pages
come from a :class:`~fresh_index.FreshIndex`, rendered by ``simple_pages`` (pypiserver's
HTML with PEP 592/658 attributes, or PEP 691/700 JSON); each file's facts (digest, metadata,
upload time) are kept with its size and mtime and checked with a ``stat`` per page, so a file
replaced in place is described again. Known files and their ``.metadata`` are served
straight from the disk and the index database, as a static server would (``static_files``:
ETag, 304, ranges); each whole download is counted (``usage.py``). Anything else (uploads, removals,
``/health``, redirects of unnormalized names, refusals) is pypiserver's own.
"""

from __future__ import annotations

import base64
import hashlib
import mimetypes
import os
import sys
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING
from urllib.parse import urljoin

from pypiserver.core import PkgFile
from pypiserver.pkg_helpers import normalize_pkgname_for_url

if __package__:  # imported as part of PyPI Desk (the app, the bundle)
    from gui.services.server.inside import simple_pages, static_files, usage
    from gui.services.server.inside.pull_through import NotAvailable
    from gui.services.server.inside.tokens import TOKEN_USER
else:  # run as a script from this folder, inside the image or as the local process
    import simple_pages
    import static_files
    import usage
    from pull_through import NotAvailable
    from tokens import TOKEN_USER

if TYPE_CHECKING:  # the launcher hands the index in
    from fresh_index import FreshIndex
    from pull_through import PullThrough
    from usage import DownloadRecorder

JSON_TYPE = simple_pages.JSON_TYPE
CACHED_PREFIX = "/cached/"  # upstream's files, kept (``pull_through.PREFIX``)
METADATA_SUFFIX = ".metadata"


class FastPages:
    """WSGI middleware: serves ``/simple/``, ``/simple/NAME/`` and known ``/packages/FILE`` from a
    :class:`FreshIndex` (pypiserver walks every package for each download, too)."""

    def __init__(
        self,
        app: Callable,
        index: FreshIndex,
        fallback_url: str | None,
        list_auther: Callable[[str, str], bool] | None,
        download_auther: Callable[[str, str], bool] | None = None,
        recorder: DownloadRecorder | None = None,
        token_owner: Callable[[str], str | None] | None = None,
        pull_through: PullThrough | None = None,
    ) -> None:
        self._app = app
        self.index = index
        self._fallback_url = fallback_url
        self._list_auther = list_auther  # set when listing needs a password
        self._download_auther = download_auther  # set when downloading needs one
        self._index_pages: tuple[int, bytes, bytes] | None = None
        self._recorder = recorder  # downloads counted (``usage.py``); None: not recorded
        self._token_owner = token_owner  # a token's user, for the counts
        self._pull_through = pull_through  # names the index lacks, from upstream's cache (``pull_through.py``)

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")  # decoded once already, by the WSGI server (PEP 3333)
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return self._app(environ, start_response)
        if path.startswith(CACHED_PREFIX) and self._pull_through is not None:
            return self._cached_file(environ, start_response, path[len(CACHED_PREFIX) :])
        if path.startswith("/packages/") and len(path) > len("/packages/"):
            return self._download(environ, start_response, path[len("/packages/") :])
        if not path.startswith("/simple/"):
            return self._app(environ, start_response)
        name = path[len("/simple/") :]
        if name and (name.count("/") != 1 or not name.endswith("/")):
            return self._app(environ, start_response)
        if not self._allowed(environ, self._list_auther):
            return self._app(environ, start_response)  # pypiserver answers 401/403 itself
        project = name.rstrip("/")
        if project and project != normalize_pkgname_for_url(project):
            return self._app(environ, start_response)  # pypiserver redirects to the normalized name
        self.index.refresh()
        wants_json = JSON_TYPE in environ.get("HTTP_ACCEPT", "")
        if not project:
            return self._send(environ, start_response, self._index_page(wants_json), wants_json)
        packages = self.index.packages_of(project)
        if not packages:
            return self._missing(environ, start_response, project)
        try:
            page = self._project_page(environ, project, packages, wants_json)
        except OSError as exc:  # a file the server's user cannot read: pypiserver answered 500 too
            body = f"{project}: {exc.filename or 'a file'} cannot be read by the server ({exc.strerror}).\n"
            print(f"pypi-desk-pages: {body.strip()}", file=sys.stderr, flush=True)
            headers = [("Content-Type", "text/plain; charset=UTF-8"), ("Content-Length", str(len(body.encode())))]
            start_response("500 Internal Server Error", headers)
            return [body.encode()]
        return self._send(environ, start_response, page, wants_json)

    @staticmethod
    def _login(environ: dict) -> tuple[str, str] | None:
        """(user, password) of a Basic ``Authorization`` header; None without one."""
        header = environ.get("HTTP_AUTHORIZATION", "")
        if not header.lower().startswith("basic "):
            return None
        try:
            user, _, password = base64.b64decode(header[6:]).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        return user, password

    def _allowed(self, environ: dict, auther: Callable[[str, str], bool] | None) -> bool:
        """Whether the request passes the password check pypiserver would make (None: none needed)."""
        if auther is None:
            return True
        login = self._login(environ)
        return login is not None and bool(auther(*login))

    def _download(self, environ: dict, start_response: Callable, relfn: str) -> Iterable[bytes]:
        """A known file straight from the disk, or its ``.metadata``; anything else (and any refusal) is
        pypiserver's."""
        if not self._allowed(environ, self._download_auther):
            return self._app(environ, start_response)
        self.index.refresh()
        package = self.index.package_at(relfn)
        if package is None and relfn.endswith(METADATA_SUFFIX):
            return self._metadata(environ, start_response, relfn[: -len(METADATA_SUFFIX)])
        if package is None:
            return self._app(environ, start_response)
        try:
            handle = open(package.fn, "rb")  # noqa: SIM115 - closed once sent (static_files.send_file)
        except OSError:
            return self._app(environ, start_response)  # gone, or unreadable: pypiserver says so
        kind = mimetypes.guess_type(relfn)[0] or "application/octet-stream"
        if self._recorder is None or environ.get("REQUEST_METHOD") != "GET":
            return static_files.send_file(environ, start_response, handle, kind)
        answered = []

        def noting_start_response(status: str, headers: list, *rest):
            answered.append(status)
            return start_response(status, headers, *rest)

        body = static_files.send_file(environ, noting_start_response, handle, kind)
        if answered and answered[0].startswith("200"):  # the whole file: not a 206 (a range), 304 or 416
            self._recorder.note(package.relfn_unix, package.pkgname, package.version, self._downloader(environ),
                                usage.client_of(environ.get("HTTP_USER_AGENT", "")))  # fmt: skip
        return body

    def _downloader(self, environ: dict) -> str:
        """Who downloads, as the counts name them: the user whose password was checked (a token's user); anonymous
        when downloading needs no password (a name then sent is nobody's word)."""
        login = self._login(environ) if self._download_auther is not None else None
        if login is None:
            return usage.ANONYMOUS
        user, password = login
        if user == TOKEN_USER:
            owner = self._token_owner(password) if self._token_owner is not None else None
            return owner or usage.ANONYMOUS
        return user

    def _metadata(self, environ: dict, start_response: Callable, relfn: str) -> Iterable[bytes]:
        """PEP 658's ``FILE.metadata``: the wheel's METADATA (or a reliable sdist's PKG-INFO)."""
        package = self.index.package_at(relfn)
        data = self.index.facts.metadata_of(package) if package is not None else None
        if data is None:
            return self._app(environ, start_response)  # pypiserver's 404
        etag = f'"{hashlib.sha256(data).hexdigest()[:32]}"'
        return static_files.send_bytes(environ, start_response, data, "application/octet-stream", etag)

    def _index_page(self, wants_json: bool) -> bytes:
        generation = self.index.generation
        if self._index_pages is None or self._index_pages[0] != generation:
            self._index_pages = (generation, *simple_pages.index_pages(self.index.project_names()))
        return self._index_pages[2] if wants_json else self._index_pages[1]

    def _project_page(self, environ: dict, project: str, packages: list[PkgFile], wants_json: bool) -> bytes:
        here = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
        links = []
        for package, facts in zip(packages, self.index.facts.facts_of_all(packages), strict=True):
            if facts is None:
                continue  # removed since the folder was read
            links.append(simple_pages.FileLink(
                filename=os.path.basename(package.relfn),
                url=urljoin(here, f"../../packages/{package.relfn_unix}"),
                digest=facts.digest, size=facts.size, upload_time=facts.upload_time,
                requires_python=facts.requires_python, metadata_sha256=facts.metadata_sha256,
                yanked=self.index.facts.yank_reason(package),
            ))  # fmt: skip
        if wants_json:
            versions = simple_pages.distinct_versions([package.version for package in packages])
            return simple_pages.project_json(project, links, versions)
        return simple_pages.project_html(project, links)

    def _missing(self, environ: dict, start_response: Callable, project: str) -> Iterable[bytes]:
        """A name the index does not host: upstream's page from the cache; else as pypiserver answers, a 303 to the
        fallback index (302 for HTTP/1.0), or 404 when there is none."""
        if self._pull_through is not None:
            return self._cached_page(environ, start_response, project)
        if self._fallback_url:
            status = "303 See Other" if environ.get("SERVER_PROTOCOL") == "HTTP/1.1" else "302 Found"
            location = f"{self._fallback_url.rstrip('/')}/{project}/"
            start_response(status, [("Location", location), ("Content-Length", "0"), ("Content-Type", "text/html")])
            return [b""]
        body = f"Not Found ({simple_pages.escape(project)} does not exist)\n\n".encode()
        start_response(
            "404 Not Found", [("Content-Type", "text/html; charset=UTF-8"), ("Content-Length", str(len(body)))]
        )
        return [body]

    def _cached_page(self, environ: dict, start_response: Callable, project: str) -> Iterable[bytes]:
        try:
            page = self._pull_through.page(project)
        except NotAvailable as exc:
            return _text(start_response, exc.status, exc.text)
        links, versions = self._pull_through.links(page)
        wants_json = JSON_TYPE in environ.get("HTTP_ACCEPT", "")
        body = (
            simple_pages.project_json(project, links, versions)
            if wants_json
            else simple_pages.project_html(project, links)
        )
        return self._send(environ, start_response, body, wants_json)

    def _cached_file(self, environ: dict, start_response: Callable, rest: str) -> Iterable[bytes]:
        """``/cached/PROJECT/FILE``: upstream's file, kept; with the password and role a team's file needs."""
        if not self._allowed(environ, self._download_auther):
            start_response("401 Unauthorized", [("WWW-Authenticate", 'Basic realm="pypi"'),
                                                ("Content-Type", "text/plain"), ("Content-Length", "0")])  # fmt: skip
            return [b""]
        project, _, filename = rest.partition("/")
        if not filename or project != normalize_pkgname_for_url(project):
            return _text(start_response, "404 Not Found", f"{rest} is not a cached file.")
        self.index.refresh()
        if self.index.packages_of(project):  # the team's own name: upstream's files are never served for it
            return _text(start_response, "404 Not Found", f"{project} is hosted here: upstream's files are not "
                                                          f"served for it (see /simple/{project}/).")  # fmt: skip
        try:
            return self._pull_through.answer_file(environ, start_response, project, filename)
        except NotAvailable as exc:
            return _text(start_response, exc.status, exc.text)

    @staticmethod
    def _send(environ: dict, start_response: Callable, body: bytes, wants_json: bool) -> Iterable[bytes]:
        kind = JSON_TYPE if wants_json else simple_pages.HTML_TYPE
        etag = f'"{hashlib.blake2b(body, digest_size=16).hexdigest()}"'
        return static_files.send_bytes(environ, start_response, body, kind, etag, [("Vary", "Accept")])


def _text(start_response: Callable, status: str, text: str) -> Iterable[bytes]:
    body = (text.rstrip() + "\n").encode("utf-8")
    start_response(status, [("Content-Type", "text/plain; charset=UTF-8"), ("Content-Length", str(len(body)))])
    return [body]
