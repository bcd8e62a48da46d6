"""Answers as a static file server gives them: validators, conditional requests, byte ranges, HEAD (runs
inside the server, standard library only).

Every answer carries an ``ETag`` (and a file its ``Last-Modified``); ``If-None-Match`` or
``If-Modified-Since`` that still hold get 304 with no body. A file also answers ``Range``
(RFC 9110): one range gets 206 with ``Content-Range`` (uv reads a wheel's zip index this way),
a range past the end 416, several ranges the whole file (which the RFC allows); ``If-Range``
that no longer matches gets the whole file too. HEAD gets the headers a GET would.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator
from email.utils import formatdate, parsedate_to_datetime

CHUNK = 1024 * 1024
_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d{0,18})\s*-\s*(\d{0,18})\s*$", re.IGNORECASE)  # longer: ignored


def http_date(seconds: float) -> str:
    return formatdate(seconds, usegmt=True)


def _etag_matches(header: str, etag: str) -> bool:
    """``If-None-Match``'s weak comparison: any listed tag (``W/`` or not) equal to ours, or ``*``."""
    if header.strip() == "*":
        return True
    ours = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == ours for tag in header.split(","))


def _not_modified_since(header: str, modified: float | None) -> bool:
    if modified is None:
        return False
    try:
        since = parsedate_to_datetime(header).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return False
    return int(modified) <= since


def still_fresh(environ: dict, etag: str, modified: float | None = None) -> bool:
    """Whether the client's copy is this one (answer 304). ``If-Modified-Since`` counts only without
    ``If-None-Match``, as RFC 9110 says."""
    if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
        return False
    match = environ.get("HTTP_IF_NONE_MATCH")
    if match is not None:
        return _etag_matches(match, etag)
    since = environ.get("HTTP_IF_MODIFIED_SINCE")
    return since is not None and _not_modified_since(since, modified)


def not_modified(start_response: Callable, headers: list[tuple[str, str]]) -> Iterable[bytes]:
    kept = [(k, v) for k, v in headers if k.lower() in ("etag", "last-modified", "vary", "cache-control")]
    start_response("304 Not Modified", kept)
    return [b""]


def send_bytes(environ: dict, start_response: Callable, body: bytes, content_type: str, etag: str,
               extra: list[tuple[str, str]] = ()) -> Iterable[bytes]:  # fmt: skip
    """A page or a metadata file: 200 with its ETag, or 304 when the client has it."""
    headers = [("Content-Type", content_type), ("ETag", etag), *extra]
    if still_fresh(environ, etag):
        return not_modified(start_response, headers)
    start_response("200 OK", [*headers, ("Content-Length", str(len(body)))])
    return [b"" if environ.get("REQUEST_METHOD") == "HEAD" else body]


def requested_range(environ: dict, size: int, etag: str, modified: float) -> tuple[int, int] | str | None:
    """(first, last) byte of a single satisfiable range; None for the whole file; ``"unsatisfiable"``."""
    header = environ.get("HTTP_RANGE")
    if not header or environ.get("REQUEST_METHOD") != "GET":
        return None
    if_range = environ.get("HTTP_IF_RANGE")
    if if_range is not None:
        if if_range.strip().startswith(('"', "W/")):
            if if_range.strip() != etag:  # a strong comparison: a weak tag never matches
                return None
        elif not _same_date(if_range, modified):
            return None
    match = _RANGE.match(header)
    if not match or (not match[1] and not match[2]):
        return None  # several ranges, or another unit: the whole file
    if not match[1]:  # the last N bytes
        length = int(match[2])
        if length == 0 or size == 0:
            return "unsatisfiable"
        return max(0, size - length), size - 1
    first = int(match[1])
    last = min(int(match[2]), size - 1) if match[2] else size - 1
    if match[2] and int(match[2]) < first:
        return None  # invalid: ignored, as the RFC says
    if first >= size:
        return "unsatisfiable"
    return first, last


def _same_date(header: str, modified: float) -> bool:
    try:
        return int(parsedate_to_datetime(header).timestamp()) == int(modified)
    except (TypeError, ValueError, IndexError, OverflowError):
        return False


def send_file(environ: dict, start_response: Callable, handle, content_type: str) -> Iterable[bytes]:
    """An open file: whole, a range of it, 304 or 416; ``handle`` is closed when done."""
    info = os.fstat(handle.fileno())
    size, modified = info.st_size, info.st_mtime
    etag = f'"{size:x}-{info.st_mtime_ns:x}"'
    headers = [("Content-Type", content_type), ("ETag", etag), ("Last-Modified", http_date(modified)),
               ("Accept-Ranges", "bytes")]  # fmt: skip
    if still_fresh(environ, etag, modified):
        handle.close()
        return not_modified(start_response, headers)
    wanted = requested_range(environ, size, etag, modified)
    if wanted == "unsatisfiable":
        handle.close()
        start_response("416 Range Not Satisfiable",
                       [*headers, ("Content-Range", f"bytes */{size}"), ("Content-Length", "0")])  # fmt: skip
        return [b""]
    if wanted is not None:
        first, last = wanted
        start_response("206 Partial Content",
                       [*headers, ("Content-Range", f"bytes {first}-{last}/{size}"),
                        ("Content-Length", str(last - first + 1))])  # fmt: skip
        return _slice(handle, first, last - first + 1)
    start_response("200 OK", [*headers, ("Content-Length", str(size))])
    if environ.get("REQUEST_METHOD") == "HEAD":
        handle.close()
        return [b""]
    wrapper = environ.get("wsgi.file_wrapper")
    return wrapper(handle, CHUNK) if wrapper else _slice(handle, 0, size)


def _slice(handle, offset: int, length: int) -> Iterator[bytes]:
    try:
        handle.seek(offset)
        while length > 0:
            chunk = handle.read(min(CHUNK, length))
            if not chunk:
                return
            length -= len(chunk)
            yield chunk
    finally:
        handle.close()
