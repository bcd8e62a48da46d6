"""Uploads and deletes as the server sees them: its own parse of names, its reasons in words, and
an outcome that is checked against the index before it is called a failure (real engine, real server)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import requests

from gui.services.clients.setup import Storage
from gui.services.core import DeskServices
from gui.services.errors import DistributionError
from gui.services.index.settings import ServerSettings
from gui.services.packages.distribution import inspect_distribution
from gui.services.packages.transport import server_reason
from tests.helpers import make_sdist, make_wheel

BOTTLE_400 = """<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">
<html><head><title>Error: 400 Bad Request</title><style type="text/css">pre {color: red}</style></head>
<body><h1>Error: 400 Bad Request</h1><p>Sorry, the requested URL <tt>&#039;http://x/&#039;</tt> caused an error:</p>
<pre>Missing &#039;:action&#039; field!</pre></body></html>"""


def test_the_servers_reason_is_its_words_not_its_html() -> None:
    reply = requests.Response()
    reply.status_code, reply._content, reply.reason = 400, BOTTLE_400.encode(), "Bad Request"
    assert server_reason(reply) == "Missing ':action' field!"


def test_a_file_the_index_would_serve_under_another_name_is_refused(tmp_path: Path) -> None:
    """foo-2d-1.0.tar.gz is listed by pypiserver as project 'foo': pip install foo-2d would go to PyPI."""
    sdist = make_sdist(tmp_path, "foo-2d", "1.0")
    assert sdist.name == "foo-2d-1.0.tar.gz"
    with pytest.raises(DistributionError) as refused:
        inspect_distribution(sdist)
    words = str(refused.value)
    assert "serve it as project 'foo'" in words and "pip install foo-2d" in words and "foo_2d-1.0.tar.gz" in words
    renamed = make_sdist(tmp_path / "good", "foo_2d", "1.0")  # as python -m build names it today
    assert inspect_distribution(renamed).name == "foo_2d"


@pytest.fixture
def served(data_dir, port: int, docker_client, docker_cleanup, isolated_home: Path):
    services = DeskServices.open(data_dir)
    data_dir.ensure()
    services.users.add("urunimi", "pypi", "apr1")
    services.clients.apply(services.clients.plan(ServerSettings(port=port), "urunimi", "pypi", storage=Storage.FILE))
    services.server.save_and_start(ServerSettings(port=port, runtime="docker"))
    return services


def build_tag_wheel(folder: Path) -> Path:
    """bt 1.0 with build tag 1: pypiserver files it as version '1.0-1'."""
    plain = make_wheel(folder, "bt", "1.0")
    return plain.rename(folder / "bt-1.0-1-py3-none-any.whl")


@pytest.mark.docker
def test_a_wheel_with_a_build_tag_is_deleted_by_the_servers_own_parse(served, tmp_path: Path) -> None:
    """'package remove bt 1.0' once failed: the server knows that file as bt 1.0-1."""
    from gui.cli import main

    wheel = build_tag_wheel(tmp_path)
    assert [e.state for e in served.packages.upload_paths([wheel], served.packages.saved_credentials())] == ["done"]
    assert (served.data_dir.packages_dir / wheel.name).exists()
    assert main(["--data-dir", str(served.data_dir.root), "package", "remove", "bt", "1.0"]) == 0
    assert not (served.data_dir.packages_dir / wheel.name).exists()


def big_wheel(folder: Path, megabytes: int) -> Path:
    wheel = make_wheel(folder, "heavy", "1.0")
    with zipfile.ZipFile(wheel, "a") as archive:
        archive.writestr("heavy/blob.bin", os.urandom(megabytes * 1024 * 1024))
    return wheel


@pytest.mark.docker
def test_five_concurrent_uploads_of_one_wheel_end_in_words_and_one_stored_file(served, tmp_path: Path) -> None:
    """Once: an uncaught ChunkedEncodingError, raw HTML, and nobody said 'uploaded' though the file was stored."""
    wheel = big_wheel(tmp_path, 30)
    command = [sys.executable, "-m", "gui", "--data-dir", str(served.data_dir.root), "package", "upload", str(wheel)]
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(5)]
    results = [(run.wait(timeout=300), *run.communicate()) for run in runs]

    for code, out, err in results:
        assert "Traceback" not in err and "<html" not in err.lower() and "<pre>" not in err, err
        assert (code, out.strip()) == (0, f"uploaded {wheel.name}") or (code == 1 and err.startswith("pypi-desk: ")), (
            code,
            out,
            err,
        )
    stored = served.data_dir.packages_dir / wheel.name
    assert stored.exists() == any(code == 0 for code, _, _ in results)  # stored if and only if someone said so
    if stored.exists():
        assert hashlib.sha256(stored.read_bytes()).digest() == hashlib.sha256(wheel.read_bytes()).digest()
