"""Make README's screenshots from the real app: a real server, real requests, the real window.

Starts a server on a scratch data folder (Docker when an engine answers, else a local
process), adds a user, sends the how-to's requests (a listing, an upload with a wrong
password and with the right one, an install lookup), then renders the window with
`pypi-desk --screenshot` and stops the server.

    .venv/bin/python docs/make_screenshots.py
"""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import requests
from passlib.apache import HtpasswdFile

from gui.services.datadir import open_data_dir
from gui.services.server_service import ServerService
from gui.services.settings import ServerSettings

OUT = Path(__file__).parent / "screenshots"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def toy_sdist(folder: Path) -> Path:
    """The how-to's `toy` package as an sdist (what `python -m build --sdist` writes, minimally)."""
    path = folder / "toy-1.0.0.tar.gz"
    members = {
        "PKG-INFO": b"Metadata-Version: 2.1\nName: toy\nVersion: 1.0.0\nSummary: A toy package\n",
        "pyproject.toml": b'[project]\nname = "toy"\nversion = "1.0.0"\n',
    }
    with tarfile.open(path, "w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(f"toy-1.0.0/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        data_dir = open_data_dir(Path(scratch) / "pypi")
        data_dir.ensure()
        users = HtpasswdFile(str(data_dir.password_file), new=True, default_scheme="bcrypt")
        users.set_password("urunimi", "pypi")
        users.save()
        data_dir.password_file.chmod(0o644)
        service = ServerService.for_data_dir(data_dir)
        settings = service.save_settings(ServerSettings(port=free_port()))
        status = service.start(settings)
        try:
            sdist = toy_sdist(Path(scratch))
            requests.get(f"{status.url}/simple/", timeout=5)
            for password, should_work in (("wrong", False), ("pypi", True)):
                upload = subprocess.run(
                    [
                        sys.executable,
                        "-m",
                        "twine",
                        "upload",
                        "--non-interactive",
                        "--repository-url",
                        status.url,
                        "-u",
                        "urunimi",
                        "-p",
                        password,
                        str(sdist),
                    ],
                    capture_output=True,
                    text=True,
                    check=False,
                )
                if (upload.returncode == 0) != should_work:
                    raise SystemExit(f"twine upload with password {password!r} went wrong:\n{upload.stdout}")
            requests.get(f"{status.url}/simple/toy/", timeout=5)
            requests.get(f"{status.url}/simple/requests/", timeout=5, allow_redirects=False)
            env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "gui",
                    "--data-dir",
                    str(data_dir.root),
                    "--screenshot",
                    str(OUT / "server.png"),
                ],
                check=True,
                env=env,
            )
        finally:
            service.stop()
    print(f"wrote {OUT / 'server.png'}")


if __name__ == "__main__":
    main()
