"""PyPI Desk's simple-API pages in front of pypiserver: fast at 50,000 files, and always fresh.

Runs inside the server (the image's Python, with pypiserver; nothing of PyPI Desk's own).
pypiserver's simple-dir backend walks and parses the whole folder for every page (1.4 s
at 50,000 files); its cached backend is stale under gunicorn's preload, and drops its
whole cache whenever a file is opened (pypiserver issues 449, 455, 502). Here the pages
come from a :class:`~fresh_index.FreshIndex`, rendered as pypiserver renders them (or,
with ``Accept: application/vnd.pypi.simple.v1+json``, as PEP 691's JSON); digests are
pypiserver's, kept with each file's size and mtime and checked with a ``stat`` per page,
so a file replaced in place is hashed again. Known files are downloaded straight from
the disk. Anything else (uploads, removals, ``/health``, redirects of unnormalized names,
refusals) is pypiserver's own.
"""

from __future__ import annotations

import base64
import json
import mimetypes
import os
import sys
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING
from urllib.parse import urljoin

from pypiserver.core import PkgFile
from pypiserver.pkg_helpers import normalize_pkgname_for_url

if TYPE_CHECKING:  # the launcher hands the index in: no import of a sibling that may be packaged or not
    from fresh_index import FreshIndex

JSON_TYPE = "application/vnd.pypi.simple.v1+json"
_INDEX_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
    <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Simple Index</title>
    </head>
    <body>
        <h1>Simple Index</h1>
{links}
    </body>
</html>
    """
_PROJECT_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
    <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Links for {project}</title>
    </head>
    <body>
        <h1>Links for {project}</h1>
{links}
    </body>
</html>
    """


def _escape(text: str) -> str:
    """As bottle's templates escape ``{{ }}``."""
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#039;")
    )


def _hashes(digest: str | None) -> dict[str, str]:
    """PEP 691's ``hashes`` from pypiserver's ``sha256=HEX``."""
    if not digest:
        return {}
    algo, _, value = digest.partition("=")
    return {algo: value}


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
    ) -> None:
        self._app = app
        self.index = index
        self._fallback_url = fallback_url
        self._list_auther = list_auther  # set when listing needs a password
        self._download_auther = download_auther  # set when downloading needs one
        self._index_pages: tuple[int, bytes, bytes] | None = None

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")  # decoded once already, by the WSGI server (PEP 3333)
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return self._app(environ, start_response)
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
    def _allowed(environ: dict, auther: Callable[[str, str], bool] | None) -> bool:
        """Whether the request passes the password check pypiserver would make (None: none needed)."""
        if auther is None:
            return True
        header = environ.get("HTTP_AUTHORIZATION", "")
        if not header.lower().startswith("basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        return bool(auther(user, password))

    def _download(self, environ: dict, start_response: Callable, relfn: str) -> Iterable[bytes]:
        """A known file straight from the disk; anything else (and any refusal) is pypiserver's."""
        if not self._allowed(environ, self._download_auther):
            return self._app(environ, start_response)
        self.index.refresh()
        package = self.index.package_at(relfn)
        if package is None:
            return self._app(environ, start_response)
        try:
            handle = open(package.fn, "rb")  # noqa: SIM115 - closed by the server through the file wrapper
            size = os.fstat(handle.fileno()).st_size
        except OSError:
            return self._app(environ, start_response)  # gone, or unreadable: pypiserver says so
        kind = mimetypes.guess_type(relfn)[0] or "application/octet-stream"
        start_response("200 OK", [("Content-Type", kind), ("Content-Length", str(size))])
        if environ.get("REQUEST_METHOD") == "HEAD":
            handle.close()
            return [b""]
        wrapper = environ.get("wsgi.file_wrapper")
        return wrapper(handle, 1024 * 1024) if wrapper else iter(lambda: handle.read(1024 * 1024), b"")

    def _index_page(self, wants_json: bool) -> bytes:
        generation = self.index.generation
        if self._index_pages is None or self._index_pages[0] != generation:
            names = self.index.project_names()
            links = "\n".join(f'                <a href="{_escape(n)}/">{_escape(n)}</a><br>' for n in names)
            html = _INDEX_TEMPLATE.format(links=links).encode("utf-8")
            data = json.dumps({"meta": {"api-version": "1.0"}, "projects": [{"name": n} for n in names]})
            self._index_pages = (generation, html, data.encode("utf-8"))
        return self._index_pages[2] if wants_json else self._index_pages[1]

    def _project_page(self, environ: dict, project: str, packages: list[PkgFile], wants_json: bool) -> bytes:
        here = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
        rows = []
        for package in packages:
            digest = self.index.digest(package)
            if digest is None and self.index.hash_algo:  # digest() found no file to stat
                continue  # removed since the folder was read
            target = package.relfn_unix + (f"#{digest}" if digest else "")
            rows.append((os.path.basename(package.relfn), urljoin(here, f"../../packages/{target}"), digest))
        if wants_json:
            files = [
                {
                    "filename": name,
                    "url": href.split("#", 1)[0],
                    "hashes": _hashes(digest),
                }
                for name, href, digest in rows
            ]
            return json.dumps({"meta": {"api-version": "1.0"}, "name": project, "files": files}).encode("utf-8")
        links = "\n".join(f'            <a href="{_escape(href)}">{_escape(name)}</a><br>' for name, href, _ in rows)
        return _PROJECT_TEMPLATE.format(project=_escape(project), links=links).encode("utf-8")

    def _missing(self, environ: dict, start_response: Callable, project: str) -> Iterable[bytes]:
        """As pypiserver: 303 to the fallback index (302 for HTTP/1.0), or 404 when there is none."""
        if self._fallback_url:
            status = "303 See Other" if environ.get("SERVER_PROTOCOL") == "HTTP/1.1" else "302 Found"
            location = f"{self._fallback_url.rstrip('/')}/{project}/"
            start_response(status, [("Location", location), ("Content-Length", "0"), ("Content-Type", "text/html")])
            return [b""]
        body = f"Not Found ({_escape(project)} does not exist)\n\n".encode()
        start_response(
            "404 Not Found", [("Content-Type", "text/html; charset=UTF-8"), ("Content-Length", str(len(body)))]
        )
        return [body]

    @staticmethod
    def _send(environ: dict, start_response: Callable, body: bytes, wants_json: bool) -> Iterable[bytes]:
        kind = JSON_TYPE if wants_json else "text/html; charset=UTF-8"
        start_response("200 OK", [("Content-Type", kind), ("Content-Length", str(len(body))), ("Vary", "Accept")])
        return [b"" if environ.get("REQUEST_METHOD") == "HEAD" else body]
