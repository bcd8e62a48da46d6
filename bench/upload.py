"""What a whole-or-nothing upload costs: the same large file uploaded to plain pypiserver and to PyPI Desk's
launcher (which waits for the whole body, checks the sha256 the client sent, fsyncs, then renames).

Both run as local processes under gunicorn on loopback, one after the other, in one run; each takes
the same incompressible file ``--rounds`` times (new versions), and the median is compared.

    .venv/bin/python bench/upload.py [--megabytes 200] [--rounds 3]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from requests_toolbelt import MultipartEncoder

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gui.services.index.settings import ServerSettings
from gui.services.server.command import pypiserver_args
from gui.services.server.health import wait_until_answers
from gui.services.server.inside import LAUNCHER_DIR
from tests.conftest import free_port


def median_upload(command: list[str], payload: Path, digest: str, rounds: int) -> float:
    packages, port = Path(tempfile.mkdtemp(prefix="bench-upload-")), free_port()
    args = pypiserver_args(ServerSettings(auth="none"), port=port, host="127.0.0.1", password_file=".",
                           packages_dir=str(packages), server="gunicorn")  # fmt: skip
    server = subprocess.Popen([*command, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env=dict(os.environ, GUNICORN_CMD_ARGS="--timeout 600"))  # fmt: skip
    try:
        assert wait_until_answers(f"http://127.0.0.1:{port}/health", lambda: server.poll() is None, 60)
        took = []
        for round_ in range(rounds):
            with open(payload, "rb") as content:
                fields = {":action": "file_upload", "name": "big", "version": f"1.{round_}", "sha256_digest": digest,
                          "content": (f"big-1.{round_}.tar.gz", content, "application/octet-stream")}  # fmt: skip
                body = MultipartEncoder(fields)
                began = time.perf_counter()
                reply = requests.post(f"http://127.0.0.1:{port}/", data=body, timeout=600,
                                      headers={"Content-Type": body.content_type})  # fmt: skip
                took.append(time.perf_counter() - began)
            assert reply.status_code == 200, reply.text
        return sorted(took)[len(took) // 2]
    finally:
        server.terminate()
        server.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    payload = Path(tempfile.mkdtemp(prefix="bench-upload-")) / "big.tar.gz"
    payload.write_bytes(os.urandom(options.megabytes * 1024 * 1024))
    digest = hashlib.sha256(payload.read_bytes()).hexdigest()
    plain = median_upload([sys.executable, "-m", "pypiserver"], payload, digest, options.rounds)
    ours = median_upload([sys.executable, str(LAUNCHER_DIR / "launcher.py")], payload, digest, options.rounds)
    print(f"{options.megabytes} MB upload, median of {options.rounds}: plain pypiserver {plain:.2f} s, "
          f"PyPI Desk {ours:.2f} s ({ours / plain:.2f}x)")  # fmt: skip


if __name__ == "__main__":
    main()
