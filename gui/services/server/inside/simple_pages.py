"""The simple API's pages, as HTML (PEP 503, with PEP 592's and 658's attributes) and as JSON (PEP 691 with
PEP 700's api-version 1.1): what pip and uv read (runs inside the server, standard library only).

A file's link says what its file's facts say: ``data-requires-python``, ``data-core-metadata``
and ``data-dist-info-metadata`` (older pip's name) when a ``.metadata`` file is served beside
it, ``data-yanked`` with the reason. The JSON says the same, with ``size``, ``upload-time``
and the project's ``versions``. The HTML is pypiserver's own page with these attributes added.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass

JSON_TYPE = "application/vnd.pypi.simple.v1+json"
HTML_TYPE = "text/html; charset=UTF-8"
API_VERSION = "1.1"
_INDEX_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
    <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="pypi:repository-version" content="{api}">
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
        <meta name="pypi:repository-version" content="{api}">
        <title>Links for {project}</title>
    </head>
    <body>
        <h1>Links for {project}</h1>
{links}
    </body>
</html>
    """


@dataclass(frozen=True)
class FileLink:
    """One file on a project's page."""

    filename: str
    url: str  # without the fragment
    digest: str | None  # pypiserver's ``algo=hex``
    size: int | None
    upload_time: float | None
    requires_python: str | None
    metadata_sha256: str | None
    yanked: str | None  # None: not yanked; else the reason (maybe "")


def escape(text: str) -> str:
    """As bottle's templates escape ``{{ }}`` (quotes too: the text goes into attributes)."""
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#039;")
    )


def iso_time(seconds: float) -> str:
    """PEP 700's ``upload-time``: ISO 8601 in UTC, ``yyyy-mm-ddThh:mm:ss.ffffffZ``."""
    moment = datetime.datetime.fromtimestamp(seconds, tz=datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def index_pages(names: list[str]) -> tuple[bytes, bytes]:
    """(HTML, JSON) of the list of projects."""
    links = "\n".join(f'                <a href="{escape(n)}/">{escape(n)}</a><br>' for n in names)
    html = _INDEX_TEMPLATE.format(api=API_VERSION, links=links).encode("utf-8")
    data = json.dumps({"meta": {"api-version": API_VERSION}, "projects": [{"name": n} for n in names]})
    return html, data.encode("utf-8")


def project_html(project: str, links: list[FileLink]) -> bytes:
    rows = []
    for link in links:
        href = link.url + (f"#{link.digest}" if link.digest else "")
        attributes = [f'href="{escape(href)}"']
        if link.requires_python:
            attributes.append(f'data-requires-python="{escape(link.requires_python)}"')
        if link.metadata_sha256:
            value = f"sha256={link.metadata_sha256}"
            attributes += [f'data-dist-info-metadata="{value}"', f'data-core-metadata="{value}"']
        if link.yanked is not None:
            attributes.append(f'data-yanked="{escape(link.yanked)}"')
        rows.append(f"            <a {' '.join(attributes)}>{escape(link.filename)}</a><br>")
    page = _PROJECT_TEMPLATE.format(api=API_VERSION, project=escape(project), links="\n".join(rows))
    return page.encode("utf-8")


def project_json(project: str, links: list[FileLink], versions: list[str]) -> bytes:
    files = []
    for link in links:
        entry: dict = {"filename": link.filename, "url": link.url, "hashes": _hashes(link.digest)}
        if link.requires_python:
            entry["requires-python"] = link.requires_python
        metadata = {"sha256": link.metadata_sha256} if link.metadata_sha256 else False
        entry["core-metadata"] = metadata  # never "dist-info-metadata" in JSON: pip 22.3-23.0 crash on it (PEP 714)
        entry["yanked"] = (link.yanked or True) if link.yanked is not None else False
        if link.size is not None:
            entry["size"] = link.size
        if link.upload_time is not None:
            entry["upload-time"] = iso_time(link.upload_time)
        files.append(entry)
    page = {"meta": {"api-version": API_VERSION}, "name": project, "versions": versions, "files": files}
    return json.dumps(page).encode("utf-8")


def distinct_versions(versions: list[str]) -> list[str]:
    """PEP 700's ``versions``: each release once (its first spelling: ``1.0`` and ``1.0.0`` are one), in PEP 440
    order; text that is no version comes last."""
    try:
        from packaging.utils import canonicalize_version
        from packaging.version import InvalidVersion, Version
    except ImportError:  # pragma: no cover - pypiserver depends on packaging
        return list(dict.fromkeys(versions))
    first: dict[str, str] = {}
    for version in versions:
        first.setdefault(canonicalize_version(version), version)

    def order(version: str):
        try:
            return (0, Version(version), "")
        except InvalidVersion:
            return (1, Version("0"), version)

    return sorted(first.values(), key=order)


def _hashes(digest: str | None) -> dict[str, str]:
    """PEP 691's ``hashes`` from pypiserver's ``sha256=HEX``."""
    if not digest:
        return {}
    algo, _, value = digest.partition("=")
    return {algo: value}
