"""SSH forwards the app opens and closes: one to a server's port on another machine's loopback, and
one to that machine's Docker socket, which every Docker API call of an ``ssh://`` engine goes through.

Why the socket forward: the Docker SDK's own ``ssh://`` transports either start one ``ssh``
process per request (``use_ssh_client``: measured 0.45 s per call here, 9 s to add a user) and
cannot cancel a followed log, or use paramiko (the ``docker[ssh]`` extra), which refuses hosts
missing from known_hosts and follows only part of ``ssh_config``. One ``ssh -N -L
local.sock:/var/run/docker.sock`` gives the SDK a plain Unix socket: every API call at local speed
plus the network's, streams that close, and the user's own ssh (keys, agent, ``~/.ssh/config``,
known hosts).
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from gui.services.engines.ssh import explain, remote_docker_socket, ssh_target
from gui.services.errors import EngineUnavailableError

TUNNEL_TIMEOUT = 15.0


def free_local_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Forward:
    """``ssh -N -L SPEC`` to the machine of ``url``, open while the object is (or until :meth:`close`)."""

    def __init__(self, url: str, what: str) -> None:
        self.url = url
        self._what = what
        self._process: subprocess.Popen | None = None

    @property
    def open(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def _start(self, spec: str, ready: Callable[[], bool], options: tuple[str, ...] = ()) -> None:
        command = ["ssh", "-N", "-o", "BatchMode=yes", "-o", "ExitOnForwardFailure=yes", *options, "-L", spec]
        self._process = subprocess.Popen(
            [*command, *ssh_target(self.url)], stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        deadline = time.monotonic() + TUNNEL_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                stderr = self._process.stderr.read() if self._process.stderr else ""
                self._process = None
                raise explain(self.url, stderr)
            if ready():
                return
            time.sleep(0.05)
        self.close()
        raise EngineUnavailableError(
            f"The SSH tunnel to {self._what} on {urlsplit(self.url).hostname} did not open within "
            f"{TUNNEL_TIMEOUT:.0f} s.",
            "Check that the machine allows forwarding (AllowTcpForwarding and AllowStreamLocalForwarding in its "
            "sshd_config).",
        )

    def close(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=5)


class SshTunnel(_Forward):
    """A port on this machine's loopback that reaches a port on the remote machine's loopback."""

    def __init__(self, url: str, remote_port: int, remote_host: str = "127.0.0.1") -> None:
        super().__init__(url, f"{remote_host}:{remote_port}")
        self.remote = (remote_host, remote_port)
        self.local_port = 0

    def start(self) -> int:
        """Open the tunnel; returns the local port once it accepts connections."""
        if self.open:
            return self.local_port
        self.local_port = free_local_port()
        self._start(f"127.0.0.1:{self.local_port}:{self.remote[0]}:{self.remote[1]}", self._accepts)
        return self.local_port

    def _accepts(self) -> bool:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.local_port), timeout=1):
            return True
        return False


class DockerSocketTunnel(_Forward):
    """The remote machine's Docker socket as a Unix socket in a private folder of this machine."""

    def __init__(self, url: str) -> None:
        super().__init__(url, "the Docker socket")
        self._folder: Path | None = None

    def start(self) -> str:
        """Ask where the remote engine listens (and that it answers this user), forward it; the local path."""
        remote = remote_docker_socket(self.url)
        self._folder = Path(tempfile.mkdtemp(prefix="pypi-desk-ssh-"))  # 0700: only this user reaches the engine
        local = self._folder / "docker.sock"
        self._start(f"{local}:{remote}", local.exists, ("-o", "StreamLocalBindUnlink=yes"))
        return str(local)

    def close(self) -> None:
        super().close()
        folder, self._folder = self._folder, None
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
