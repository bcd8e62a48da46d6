"""Runs the server as a local ``pypi-server`` process, for machines without Docker.

Same arguments, data folder, port and log capture as the container. The
process outlives the app (like a container does): its pid and start time are
recorded in the data folder, so a reopened app or the command line adopts it,
and its output goes to a log file that ``logs()`` reads and follows.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import json
import os
import subprocess
import sys
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING

from gui.services.atomic import write_atomic
from gui.services.errors import PortInUseError, ServerStartError
from gui.services.index.datadir import DataDir
from gui.services.index.settings import ServerSettings
from gui.services.server.command import (
    FROZEN_SERVER_ARGUMENT,
    GUNICORN_ACCESS_LOG,
    HEALTH_PATH,
    launcher_note,
    launcher_options,
    pypiserver_args,
)
from gui.services.server.file_log import FileLogStream
from gui.services.server.health import wait_until_answers
from gui.services.server.inside import LAUNCHER_DIR
from gui.services.server.inside.options import needs_launcher, redirect_instead_of_cache, split_options
from gui.services.server.inside.usage import records_stop
from gui.services.server.log_lines import split_lines
from gui.services.server.ports import port_problem
from gui.services.server.runtime import LogPosition, ProgressCallback, ServerStatus
from gui.services.server.upstream_network import host_ca_bundle

if TYPE_CHECKING:
    import psutil

START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
LOG_TAIL_ON_ERROR = 30


def _server_kind() -> str:
    """Gunicorn prints each request with its real status code; it needs a POSIX system."""
    return "gunicorn" if os.name != "nt" and importlib.util.find_spec("gunicorn") else "auto"


def server_command(python: str) -> list[str]:
    """How to run the server here: PyPI Desk's launcher, the bundle itself, or (Windows, no gunicorn)
    ``python -m pypiserver``; each takes ``pypi-server``'s arguments."""
    if getattr(sys, "frozen", False):
        return [sys.executable, FROZEN_SERVER_ARGUMENT]
    if os.name == "nt":
        return [python, "-m", "pypiserver"]
    return [python, str(LAUNCHER_DIR / "launcher.py")]


def serves_plainly() -> bool:
    """Whether the local process is plain pypiserver (Windows: no gunicorn, so no launcher)."""
    return os.name == "nt"


def refuse_what_plain_cannot_honour(settings: ServerSettings, roles_file: Path) -> None:
    """Raise when plain pypiserver would serve these settings less safely than asked: HTTPS, or readers
    (plain pypiserver lets every correct password publish)."""
    if settings.https:
        raise ServerStartError("HTTPS needs gunicorn, which does not run on Windows: run the server in Docker.")
    if needs_launcher({"--roles": str(roles_file)}):
        raise ServerStartError(
            "This index has readers (users who may download but not publish), and the local server on Windows "
            "cannot tell them apart from publishers: it would let them upload. Run the server in Docker, or make "
            "every reader a publisher (or remove them) first."
        )


class ProcessRuntime:
    """The server as a detached child process; see the module docstring."""

    name = "process"

    def __init__(self, data_dir: DataDir, python: str = sys.executable) -> None:
        self._data_dir = data_dir
        self._python = python
        self._child: subprocess.Popen | None = None

    @property
    def _record_file(self) -> Path:
        return self._data_dir.process_dir / "server.json"

    @property
    def log_file(self) -> Path:
        return self._data_dir.process_dir / "server.log"

    def _running_process(self) -> tuple[psutil.Process, dict] | None:
        """The recorded server process, if it still runs (and is the same process)."""
        try:
            record = json.loads(self._record_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None  # no record: nothing to ask psutil about (and no need to load it)
        import psutil

        try:
            process = psutil.Process(int(record["pid"]))
            if abs(process.create_time() - float(record["create_time"])) > 0.01:
                return None
            if process.status() == psutil.STATUS_ZOMBIE:
                return None
        except (OSError, ValueError, KeyError, TypeError, AttributeError, psutil.Error):
            return None
        return process, record

    def status(self) -> ServerStatus:
        found = self._running_process()
        if found is None:
            return ServerStatus(runtime=self.name, state="absent")
        process, record = found
        return ServerStatus(runtime=self.name, state="running", url=record["url"], detail=f"process {process.pid}")

    def start(self, settings: ServerSettings, progress: ProgressCallback | None = None) -> ServerStatus:
        settings.validate()
        current = self.status()
        if current.running:
            return current
        problem = port_problem(settings.host, settings.port)
        if problem is not None:
            raise problem
        self._data_dir.ensure()
        self._data_dir.process_dir.mkdir(exist_ok=True)
        login, ca = self._data_dir.upstream_credentials_file, host_ca_bundle()
        options = launcher_options(
            settings, tls_dir=str(self._data_dir.tls_dir), roles_file=str(self._data_dir.roles_file),
            upstream_ca=str(ca) if ca else None, upstream_credentials=str(login) if login.is_file() else None,
        )  # fmt: skip
        plain_options = options
        if serves_plainly():  # `python -m pypiserver`: neither TLS nor roles, no download records, no cache
            refuse_what_plain_cannot_honour(settings, self._data_dir.roles_file)
            options = []
            records_stop(str(self._data_dir.packages_dir))
        args = pypiserver_args(
            settings,
            port=settings.port,
            host=settings.host,
            password_file=str(self._data_dir.password_file),
            packages_dir=str(self._data_dir.packages_dir),
            server=_server_kind(),
        )
        if serves_plainly():
            args = redirect_instead_of_cache(split_options(plain_options)[0], args)
        env = dict(os.environ, PYTHONUNBUFFERED="1", GUNICORN_CMD_ARGS=f"{GUNICORN_ACCESS_LOG} --no-control-socket")
        with open(self.log_file, "wb") as log:
            self._child = subprocess.Popen(
                [*server_command(self._python), *options, *args],
                cwd=self._data_dir.process_dir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                **_detached(),
            )
        import psutil

        child = self._child
        record = {
            "pid": child.pid,
            "create_time": psutil.Process(child.pid).create_time(),
            "url": settings.url,
        }
        write_atomic(self._record_file, json.dumps(record).encode(), mode=0o644)
        health = f"{settings.scheme}://{settings.local_host}:{settings.port}{HEALTH_PATH}"
        if wait_until_answers(health, lambda: child.poll() is None, START_TIMEOUT):
            note = launcher_note("\n".join(self._tail_lines(LOG_TAIL_ON_ERROR)))
            return dataclasses.replace(self.status(), note=note) if note else self.status()
        tail = "\n".join(self._tail_lines(LOG_TAIL_ON_ERROR))
        exited = child.poll() is not None
        self.stop()
        if "Address already in use" in tail:
            raise PortInUseError(settings.host, settings.port)
        if exited:
            raise ServerStartError(f"The server process exited at start (exit code {child.returncode}).", tail)
        raise ServerStartError(f"The server did not answer within {START_TIMEOUT:.0f} s; it was stopped.", tail)

    def stop(self) -> None:
        found = self._running_process()
        if found is not None:
            import psutil

            process, _ = found
            family = [*process.children(recursive=True), process]
            for member in family:
                with contextlib.suppress(psutil.Error):
                    member.terminate()
            _, alive = psutil.wait_procs(family, timeout=STOP_TIMEOUT)
            for member in alive:
                with contextlib.suppress(psutil.Error):
                    member.kill()
        if self._child is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._child.wait(timeout=STOP_TIMEOUT)  # reap our own child
            self._child = None
        with contextlib.suppress(FileNotFoundError):
            self._record_file.unlink()

    def _tail_lines(self, count: int) -> list[str]:
        try:
            with open(self.log_file, "rb") as handle:
                return list(deque(split_lines(handle), maxlen=count))
        except FileNotFoundError:
            return []

    def logs(self, tail: int | None = None, follow: bool = False, after: LogPosition | None = None) -> FileLogStream:
        """The log file; ``after`` a position in this same server's log, only what came later."""
        found = self._running_process()
        source = f"process {found[1]['pid']} {found[1]['create_time']}" if found else ""
        offset = after.mark[0] if after is not None and source and after.source == source else None
        return FileLogStream(
            self.log_file, tail, follow, lambda: self._running_process() is not None, source=source, offset=offset
        )


def desk_process_on(port: int) -> str:
    """The data folder of the PyPI Desk server that listens on ``port`` as a local process ("" when none does):
    its command line is the launcher's (or the bundle's), whose last argument is the folder's packages/."""
    import psutil

    try:
        listening = [c.pid for c in psutil.net_connections("inet") if c.laddr and c.laddr.port == port and c.pid
                     and c.status == psutil.CONN_LISTEN]  # fmt: skip
    except (psutil.Error, OSError):
        return ""
    for pid in listening:
        try:
            command = psutil.Process(pid).cmdline()
        except psutil.Error:
            continue
        ours = str(LAUNCHER_DIR / "launcher.py") in command or FROZEN_SERVER_ARGUMENT in command
        if ours and command and Path(command[-1]).name == "packages":
            return str(Path(command[-1]).parent)
    return ""


def _detached() -> dict:
    """Popen options that let the server outlive the app, as a container does."""
    if os.name == "nt":
        return {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP | subprocess.DETACHED_PROCESS}
    return {"start_new_session": True}
