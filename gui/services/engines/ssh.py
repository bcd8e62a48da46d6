"""The system ``ssh`` for ``ssh://`` engines: what to run, and why a connection fails, in words.

A failed ssh only shows as a closed connection to the Docker client; :func:`ssh_problem` runs
the same login with ``BatchMode`` and reads ssh's own message (an unknown host key, a refused
key, no Docker for that user) to say what to do.
"""

from __future__ import annotations

import shutil
import subprocess
from urllib.parse import urlsplit

from gui.services.errors import EngineUnavailableError

PROBE_TIMEOUT = 20
DEFAULT_SOCKET = "/var/run/docker.sock"
#: Where the remote machine's docker CLI says its engine is, and that the engine answers this user.
_REMOTE_PROBE = (
    "docker context inspect --format '{{.Endpoints.docker.Host}}' && docker version --format '{{.Server.Version}}'"
)


def ssh_target(url: str) -> list[str]:
    """``ssh`` arguments that reach the machine of ``ssh://[user@]host[:port]`` (after ``--``: a host
    such as ``-oProxyCommand=…`` is a name, never an option)."""
    parts = urlsplit(url)
    where = f"{parts.username}@{parts.hostname}" if parts.username else str(parts.hostname)
    return (["-p", str(parts.port)] if parts.port else []) + ["--", where]


def _login_words(url: str) -> str:
    parts = urlsplit(url)
    port = f" -p {parts.port}" if parts.port else ""
    return f"ssh{port} {parts.username + '@' if parts.username else ''}{parts.hostname}"


def remote_docker_socket(url: str) -> str:
    """The Unix socket the remote user's docker CLI uses, once its engine answered that user; raises, in
    words, when ssh or Docker there fails."""
    if shutil.which("ssh") is None:
        raise EngineUnavailableError(
            "The ssh command is not installed, and ssh:// engines go through it.",
            "Install the OpenSSH client (openssh-client), then retry.",
        )
    command = ["ssh", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", *ssh_target(url), _REMOTE_PROBE]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=PROBE_TIMEOUT, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise EngineUnavailableError(
            f"{url} did not answer within {PROBE_TIMEOUT} s.", "Check the host and network."
        ) from None
    if done.returncode != 0:
        raise explain(url, done.stderr)
    host = (done.stdout.splitlines() or [""])[0].strip()
    return host.removeprefix("unix://") if host.startswith("unix://") else DEFAULT_SOCKET


def ssh_problem(url: str) -> EngineUnavailableError | None:
    """Why ``ssh`` cannot reach Docker at ``url``; None when it can."""
    try:
        remote_docker_socket(url)
    except EngineUnavailableError as exc:
        return exc
    return None


def explain(url: str, stderr: str) -> EngineUnavailableError:
    """ssh's (and the remote docker's) complaint, turned into what to do."""
    login = _login_words(url)
    text = stderr.strip()
    host = urlsplit(url).hostname
    user = urlsplit(url).username or "that user"
    if "IDENTIFICATION HAS CHANGED" in text:
        return EngineUnavailableError(
            f"The host key of {host} has changed since you last connected: that may be an attack, or a reinstall.",
            f"Ask the machine's owner for its key fingerprint; if the change is expected, remove the old key "
            f"(ssh-keygen -R {host}), then run '{login}' once and accept the new one.",
        )
    if "Host key verification failed" in text or "host key is known" in text:
        return EngineUnavailableError(
            f"This computer does not know {host}'s host key yet, so ssh will not connect without asking you.",
            f"Run '{login}' once in a terminal, compare the fingerprint it shows with the machine's, "
            "answer yes, then retry.",
        )
    if "Permission denied (" in text:
        return EngineUnavailableError(
            f"{host} refused the login of {user}.",
            f"Install your public key there (ssh-copy-id {login.removeprefix('ssh ')}) or load it into your "
            "ssh agent, check that the user name is right, then retry.",
        )
    if "docker daemon socket" in text.lower() and "permission denied" in text.lower():
        return EngineUnavailableError(
            f"{user} may log in to {host} but may not use its Docker engine.",
            f"On {host}, add the user to the docker group (sudo usermod -aG docker {user}), log in again, then retry.",
        )
    if "command not found" in text or "docker: not found" in text:
        return EngineUnavailableError(
            f"{host} has no docker command for {user}; Docker over SSH needs the docker CLI on that machine.",
            f"Install Docker on {host} (or put docker on that user's PATH), then retry.",
        )
    if "Cannot connect to the Docker daemon" in text:
        return EngineUnavailableError(
            f"ssh reaches {host}, but no Docker engine runs there.",
            f"Start Docker on {host} (sudo systemctl start docker), then retry.",
        )
    if "Could not resolve hostname" in text or "Connection refused" in text or "timed out" in text:
        return EngineUnavailableError(
            f"ssh cannot reach {host}: {text.splitlines()[-1] if text else 'no answer'}.",
            "Check the host name and port, that the machine is on, and that sshd runs there.",
        )
    last = text.splitlines()[-1] if text else "ssh failed without a message"
    return EngineUnavailableError(f"Docker at {url} cannot be reached over ssh: {last}.", f"Try '{login}' by hand.")
