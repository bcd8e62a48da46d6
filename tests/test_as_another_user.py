"""Run as an unprivileged user (nobody, via setpriv), as most of our users are: words, not wrong advice."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import IN_CI

NOBODY = 65534


@pytest.fixture
def nobody_home() -> Iterator[Path]:
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        message = "needs root and setpriv (util-linux) to run a command as another user"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    home = Path(tempfile.mkdtemp(prefix="pypi-desk-nobody-"))
    os.chown(home, NOBODY, NOBODY)
    yield home
    shutil.rmtree(home, ignore_errors=True)


def as_nobody(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"HOME": str(home), "PATH": os.environ["PATH"], "LANG": "C.UTF-8"}
    return subprocess.run(
        ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", sys.executable, "-m", "gui", *args],
        capture_output=True, text=True, env=env, cwd=home, timeout=120,
    )  # fmt: skip


def test_a_privileged_port_is_called_that_not_in_use(nobody_home: Path) -> None:
    """'--port 80' said 'already in use by another program'; the cause is a privileged port (EACCES)."""
    data = nobody_home / "data"
    started = as_nobody(nobody_home, "--data-dir", str(data), "server", "start", "--runtime", "process", "--port", "80")
    assert started.returncode == 1
    assert "needs administrator rights" in started.stderr and "1024" in started.stderr
    assert "in use" not in started.stderr


def test_stop_without_docker_access_when_running_without_docker_says_stopped(nobody_home: Path) -> None:
    """With 'runtime = process' saved, a second 'server stop' failed with Docker's permission message."""
    data = nobody_home / "data"
    assert as_nobody(nobody_home, "--data-dir", str(data), "user", "list").returncode == 0
    data.mkdir()
    (data / "pypi-desk.json").write_text(json.dumps({"runtime": "process"}))
    os.chown(data, NOBODY, NOBODY)
    os.chown(data / "pypi-desk.json", NOBODY, NOBODY)
    for _ in range(2):
        stopped = as_nobody(nobody_home, "--data-dir", str(data), "server", "stop")
        assert (stopped.returncode, stopped.stdout, stopped.stderr) == (0, "Stopped.\n", "")
    status = as_nobody(nobody_home, "--data-dir", str(data), "server", "status")
    assert (status.returncode, status.stdout) == (3, "Stopped.\n") and "ermission" not in status.stderr


def test_an_unreadable_pypirc_is_named_not_called_missing(nobody_home: Path) -> None:
    rc = nobody_home / ".pypirc"
    rc.write_text("[distutils]\nindex-servers = local\n[local]\nrepository = http://127.0.0.1:8080\n")
    os.chown(rc, NOBODY, NOBODY)
    rc.chmod(0o000)
    upload = as_nobody(nobody_home, "--data-dir", str(nobody_home / "data"), "package", "upload", "x.whl")
    assert upload.returncode == 1 and f"Cannot read {rc}" in upload.stderr and "Permission denied" in upload.stderr
    assert "client setup" not in upload.stderr
