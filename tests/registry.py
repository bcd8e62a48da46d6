"""A real image registry on loopback (Debian's docker-registry), for pull-with-progress tests.

It serves an image built on the pypiserver image plus one layer of random bytes,
removed from the engine after the push, so pulling it downloads a real layer.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import requests

LAYER_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class LocalRegistry:
    image: str

    def forget_image(self, client) -> None:
        """Remove the image from the engine, so the next start must pull it."""
        with contextlib.suppress(Exception):
            client.images.remove(self.image, force=True)


@contextlib.contextmanager
def local_registry(client, folder: Path, port: int) -> Iterator[LocalRegistry]:
    binary = shutil.which("docker-registry")
    if binary is None:
        raise FileNotFoundError("docker-registry (Debian's package docker-registry) is not installed")
    config = folder / "config.yml"
    config.write_text(
        f"version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {folder / 'data'}\n"
        f"http:\n  addr: 127.0.0.1:{port}\n"
    )
    with open(folder / "registry.log", "wb") as log:
        server = subprocess.Popen([binary, "serve", str(config)], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while True:
            with contextlib.suppress(requests.ConnectionError):
                if requests.get(f"http://127.0.0.1:{port}/v2/", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError(f"docker-registry did not start: {(folder / 'registry.log').read_text()}")
            time.sleep(0.1)
        context = folder / "context"
        context.mkdir()
        (context / "blob").write_bytes(os.urandom(LAYER_BYTES))
        (context / "Dockerfile").write_text("FROM pypiserver/pypiserver:latest\nCOPY blob /opt/blob\n")
        image = f"127.0.0.1:{port}/pypi-desk-pull-test:latest"
        client.images.build(path=str(context), tag=image, rm=True)
        for event in client.api.push(image, stream=True, decode=True):
            if "error" in event:
                raise RuntimeError(f"push failed: {event['error']}")
        registry = LocalRegistry(image)
        registry.forget_image(client)
        yield registry
        registry.forget_image(client)
    finally:
        server.terminate()
        server.wait(10)
