"""The PyInstaller one-folder bundle: it starts, renders the window, and serves with its own pypiserver."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.helpers import make_sdist

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "packaging" / "pypi-desk.spec"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built as packaging/pypi-desk.spec says, into a temp folder (about 30 s)."""
    out = tmp_path_factory.mktemp("bundle")
    subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
         "--distpath", str(out / "dist"), "--workpath", str(out / "work"), str(SPEC)],
        check=True, env=dict(os.environ, PYINSTALLER_CONFIG_DIR=str(out / "cache")),
    )  # fmt: skip
    program = out / "dist" / "pypi-desk" / "pypi-desk"
    assert program.is_file()
    return program


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header.startswith(b"\x89PNG\r\n\x1a\n"), "not a PNG"
    return struct.unpack(">II", header[16:24])


def run(bundle: Path, *args: str, data_dir: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(bundle), "--data-dir", str(data_dir), *args], input=stdin, capture_output=True, text=True, timeout=120,
        env=dict(os.environ, QT_QPA_PLATFORM="offscreen"),
    )  # fmt: skip


@pytest.mark.parametrize("program", ["pypi-desk", "pypi-desk-gui"])
def test_both_executables_start_and_render_the_window(bundle: Path, tmp_path: Path, program: str) -> None:
    """The console one (no command: the window) and the windowed one the desktop file starts."""
    shot = tmp_path / "window.png"
    result = run(bundle.with_name(program), "--screenshot", str(shot), data_dir=tmp_path / "data")
    assert result.returncode == 0, result.stderr
    width, height = png_size(shot)
    assert width >= 800 and height >= 500


def test_the_bundle_serves_uploads_with_its_own_pypiserver(bundle: Path, tmp_path: Path, port: int) -> None:
    """Without Docker and without a Python: the bundle runs pypiserver (gunicorn, passlib, bcrypt) itself."""
    data = tmp_path / "data"
    added = run(bundle, "user", "add", "urunimi", "--password-stdin", data_dir=data, stdin="pypi\n")
    assert added.returncode == 0, added.stderr
    started = run(bundle, "server", "start", "--runtime", "process", "--port", str(port), data_dir=data)
    assert started.returncode == 0, started.stderr
    try:
        url = f"http://127.0.0.1:{port}"
        twine = [sys.executable, "-m", "twine", "upload", "--non-interactive"]
        upload = [*twine, "--repository-url", url, "-u", "urunimi"]
        sdist = str(make_sdist(tmp_path / "dist"))
        refused = subprocess.run([*upload, "-p", "wrong", sdist], capture_output=True, text=True)
        accepted = subprocess.run([*upload, "-p", "pypi", sdist], capture_output=True, text=True)
        listing = requests.get(f"{url}/simple/toy/", timeout=10)
        logs = run(bundle, "server", "logs", data_dir=data)
    finally:
        stopped = run(bundle, "server", "stop", data_dir=data)

    assert refused.returncode != 0
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert "toy-1.0.0.tar.gz" in listing.text
    assert '"POST / HTTP/1.1" 200' in logs.stdout and '"POST / HTTP/1.1" 403' in logs.stdout
    assert stopped.returncode == 0, stopped.stderr
