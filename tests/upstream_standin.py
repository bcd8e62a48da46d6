"""A stand-in for PyPI: a real HTTP index (PEP 691 JSON and PEP 503 HTML, PEP 658 metadata files) over a folder
of distribution files, for the cache's tests and its benchmark.

It serves ``/simple/PROJECT/`` and ``/files/FILE`` (and ``FILE.metadata`` for wheels), with an
added delay per request (a modelled internet round trip), counts every request by path, can be
stopped and started again on the same port, and can have a file altered after its page was read.
Asked as an HTTP proxy (``GET http://any.host/simple/...``), it answers as that host would, and
counts the request under its whole URL: a test sees that the server went through the proxy.

    python -m tests.upstream_standin FOLDER --port 9000 [--delay-ms 30]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import threading
import time
import zipfile
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

JSON_TYPE = "application/vnd.pypi.simple.v1+json"
_NAME = re.compile(r"^([A-Za-z0-9_.]+?)-[0-9]")  # a distribution file's project part


def project_of(filename: str) -> str:
    match = _NAME.match(filename)
    return re.sub(r"[-_.]+", "-", match[1]).lower() if match else ""


def wheel_metadata(path: Path) -> bytes | None:
    if path.suffix != ".whl":
        return None
    try:
        with zipfile.ZipFile(path) as archive:
            name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
            return archive.read(name)
    except (zipfile.BadZipFile, StopIteration):  # a file of bytes only (the benchmark's large one)
        return None


class StandInIndex:
    """The index over ``folder``; :meth:`start` listens on ``host:port`` (0: any free port)."""

    def __init__(self, folder: Path, host: str = "127.0.0.1", port: int = 0, delay: float = 0.0) -> None:
        self.folder = Path(folder)
        self.host = host
        self.port = port
        self.delay = delay
        self.requests: Counter[str] = Counter()
        self.altered: dict[str, bytes] = {}  # filename: the bytes served instead of the file's own
        self._server: ThreadingHTTPServer | None = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/simple/"

    def start(self) -> StandInIndex:
        index = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms wait on a kept-alive line

            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:  # http.server's name
                index._answer(self)

        self._server = _Listening((self.host, self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def files_of(self, project: str) -> list[Path]:
        return sorted(p for p in self.folder.iterdir() if p.is_file() and project_of(p.name) == project)

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        path = handler.path.split("?", 1)[0]
        with self._lock:
            self.requests[path] += 1
        if path.startswith("http://"):  # asked as a proxy (absolute form): answered as the host it names
            path = "/" + path.split("/", 3)[3]
        if self.delay:
            time.sleep(self.delay)
        if path.startswith("/simple/") and path.count("/") == 3 and path.endswith("/"):
            project = path.split("/")[2]
            files = self.files_of(project)
            if not files:
                return _send(handler, 404, b"no such project", "text/plain")
            if JSON_TYPE in handler.headers.get("Accept", ""):
                return _send(handler, 200, self._json_page(project, files), JSON_TYPE)
            return _send(handler, 200, self._html_page(project, files), "text/html")
        if path.startswith("/files/"):
            name = path[len("/files/") :]
            if name.endswith(".metadata"):
                metadata = wheel_metadata(self.folder / name[: -len(".metadata")])
                return (
                    _send(handler, 200, metadata, "application/octet-stream")
                    if metadata
                    else _send(handler, 404, b"", "text/plain")
                )
            target = self.folder / name
            if "/" in name or not target.is_file():
                return _send(handler, 404, b"no such file", "text/plain")
            return self._send_file(handler, name, target)
        return _send(handler, 404, b"not here", "text/plain")

    def _send_file(self, handler: BaseHTTPRequestHandler, name: str, target: Path) -> None:
        altered = self.altered.get(name)
        handler.send_response(200)
        handler.send_header("Content-Type", "application/octet-stream")
        handler.send_header("Content-Length", str(len(altered) if altered is not None else target.stat().st_size))
        handler.end_headers()
        if altered is not None:
            handler.wfile.write(altered)
            return
        with open(target, "rb") as handle:
            while chunk := handle.read(1024 * 1024):
                handler.wfile.write(chunk)

    def _entries(self, files: list[Path]) -> list[dict]:
        entries = []
        for path in files:
            metadata = wheel_metadata(path)
            described = {"sha256": hashlib.sha256(metadata).hexdigest()} if metadata else False
            entry = {"filename": path.name, "url": f"../../files/{path.name}",
                     "hashes": {"sha256": _sha256(path)}, "size": path.stat().st_size,
                     "upload-time": "2024-01-02T03:04:05.000000Z", "core-metadata": described}  # fmt: skip
            entries.append(entry)
        return entries

    def _json_page(self, project: str, files: list[Path]) -> bytes:
        page = {"meta": {"api-version": "1.1"}, "name": project, "files": self._entries(files), "versions": []}
        return json.dumps(page).encode()

    def _html_page(self, project: str, files: list[Path]) -> bytes:
        rows = []
        for entry in self._entries(files):
            metadata = entry["core-metadata"]
            extra = f' data-core-metadata="sha256={metadata["sha256"]}"' if metadata else ""
            rows.append(f'<a href="{entry["url"]}#sha256={entry["hashes"]["sha256"]}"{extra}>{entry["filename"]}</a>')
        return f"<html><body><h1>{project}</h1>{'<br>'.join(rows)}</body></html>".encode()


class _Listening(ThreadingHTTPServer):
    """As a real index listens: many connections at once wait to be accepted (socketserver's default backlog of 5
    drops the rest, and each dropped client waits a second to try again)."""

    allow_reuse_address = True
    request_queue_size = 1024


_DIGESTS: dict[tuple[str, int, int], str] = {}


def _sha256(path: Path) -> str:
    info = path.stat()
    key = (str(path), info.st_size, info.st_mtime_ns)
    if key not in _DIGESTS:
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            while chunk := handle.read(1024 * 1024):
                digest.update(chunk)
        _DIGESTS[key] = digest.hexdigest()
    return _DIGESTS[key]


def _send(handler: BaseHTTPRequestHandler, status: int, body: bytes, kind: str) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", kind)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--delay-ms", type=float, default=30.0)
    arguments = parser.parse_args()
    standin = StandInIndex(arguments.folder, arguments.host, arguments.port, arguments.delay_ms / 1000).start()
    print(f"serving {arguments.folder} at {standin.url}", flush=True)
    threading.Event().wait()
