"""A real Secret Service for the tests: a private D-Bus session bus with GNOME Keyring on it, unlocked.

Debian's ``dbus`` and ``gnome-keyring`` (installed by .ci/run). The daemon keeps its
keyring files in its own folder, never under a test's HOME, so a test can search
HOME for a password. Tests point ``DBUS_SESSION_BUS_ADDRESS`` at the bus and put a
``keyring`` command on PATH outside this interpreter's scripts folder (pip's
``subprocess`` provider skips one in its own environment, as it would on a real
machine with keyring installed by pipx).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

UNLOCK_PASSWORD = "keyring-unlock-for-tests"


@dataclass
class SecretService:
    bus_address: str
    command_dir: Path  # holds `keyring`, for pip's and uv's subprocess provider
    pids: list[int] = field(default_factory=list)

    def env(self) -> dict[str, str]:
        return {
            "DBUS_SESSION_BUS_ADDRESS": self.bus_address,
            "PATH": f"{self.command_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        }

    def stop(self) -> None:
        for pid in self.pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)


def missing_programs() -> list[str]:
    return [name for name in ("dbus-daemon", "gnome-keyring-daemon") if shutil.which(name) is None]


def start_secret_service(folder: Path) -> SecretService:
    """A session bus and an unlocked GNOME Keyring whose files live in ``folder``."""
    home, runtime = folder / "home", folder / "run"
    for path in (home, runtime):
        path.mkdir(parents=True, exist_ok=True)
    runtime.chmod(0o700)
    env = {**os.environ, "HOME": str(home), "XDG_DATA_HOME": str(home / "data"), "XDG_RUNTIME_DIR": str(runtime)}
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    bus = subprocess.run(
        ["dbus-daemon", "--session", "--fork", "--print-address=1", "--print-pid=1"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    address, pid = bus.stdout.split("\n")[:2]
    env["DBUS_SESSION_BUS_ADDRESS"] = address.strip()
    keyring_daemon = subprocess.run(
        ["gnome-keyring-daemon", "--daemonize", "--unlock", "--components=secrets"],
        input=UNLOCK_PASSWORD,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    pids = [int(pid)]
    for line in keyring_daemon.stdout.splitlines():
        if line.startswith("GNOME_KEYRING_PID="):
            pids.append(int(line.partition("=")[2]))
    command_dir = folder / "bin"
    command_dir.mkdir(exist_ok=True)
    (command_dir / "keyring").symlink_to(Path(sys.executable).parent / "keyring")
    return SecretService(address.strip(), command_dir, pids)
