"""One server (one data folder): its settings and its lifecycle, whichever runtime runs it.

``auto`` runs the server in Docker when an engine answers and as a local process
otherwise, and says which it picked in ``ServerStatus.note``.

One folder, one server: start and stop hold a lock in the data folder, so two commands
(or two windows) at once end with one server, the second adopting the first's; and a
start looks for this folder's server in both runtimes before it starts one.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import TYPE_CHECKING

from gui.services.errors import DataDirError, DeskError, EngineUnavailableError, SettingsError
from gui.services.index.datadir import DataDir
from gui.services.index.settings import ServerSettings, load_settings, save_settings
from gui.services.server.container import DockerRuntime
from gui.services.server.process import ProcessRuntime
from gui.services.server.runtime import LogPosition, LogStream, ProgressCallback, Runtime, ServerStatus

if TYPE_CHECKING:
    from gui.services.tls.service import TlsService
    from gui.services.volume.files import VolumeFiles

LOCK_FILE_NAME = ".pypi-desk-server.lock"
LOCK_TIMEOUT = 600  # a start may be pulling the image
SETTINGS_LOCK_FILE_NAME = ".pypi-desk-settings.lock"
SETTINGS_LOCK_TIMEOUT = 30


def _where(status: ServerStatus) -> str:
    return f"in a Docker container ({status.detail})" if status.runtime == "docker" else f"as a local {status.detail}"


def _how(runtime: str) -> str:
    return "in Docker" if runtime == "docker" else "as a local process"


class ServerService:
    """Start, stop, watch and configure the server of one data folder."""

    def __init__(self, data_dir: DataDir, docker_runtime: DockerRuntime, process_runtime: ProcessRuntime) -> None:
        self.data_dir = data_dir
        self.docker = docker_runtime
        self.process = process_runtime

    @classmethod
    def for_data_dir(cls, data_dir: DataDir) -> ServerService:
        return cls(data_dir, DockerRuntime(data_dir), ProcessRuntime(data_dir))

    def load_settings(self) -> ServerSettings:
        """The saved settings; a volume's server first opened here takes those the volume carries."""
        if self.data_dir.is_volume and not self.data_dir.settings_file.exists():
            self._adopt_volume_settings()
        return self._filled(load_settings(self.data_dir.settings_file))

    def _filled(self, settings: ServerSettings) -> ServerSettings:
        """``settings`` with the name clients use for another machine's server (its engine's host) filled in."""
        remote_host = self.docker.engine.host()
        if remote_host and not settings.public_name:
            return settings.replace(public_name=remote_host)
        return settings

    def _adopt_volume_settings(self) -> None:
        from gui.services.volume.prepare import saved_settings

        with contextlib.suppress(DeskError):  # the engine does not answer: the defaults until it does
            carried = saved_settings(self.docker.volume)
            if carried is not None:
                self.save_settings(carried)

    def save_settings(self, settings: ServerSettings) -> ServerSettings:
        """Validate and store ``settings`` whole (under the settings lock); on a bad value the previous file stays.
        To change some settings, use :meth:`change_settings`: it cannot lose another's change."""
        settings.validate()
        stored = settings
        if settings.public_name and settings.public_name == self.docker.engine.host():
            stored = settings.replace(public_name="")  # the engine's own name is the default: it moves with it
        if stored.tls_cert or stored.tls_key or stored.tls_ca:  # cryptography only when files are named
            from gui.services.tls.files import check_tls_files

            check_tls_files(stored)
        self.data_dir.ensure()
        with self._settings_locked():
            try:
                save_settings(self.data_dir.settings_file, stored)
            except OSError as exc:
                raise DataDirError(
                    f"Cannot save the settings in {self.data_dir.root}: {exc.strerror or exc}. "
                    "Fix the folder's permissions or choose another data folder."
                ) from exc
        return settings

    def change_settings(
        self, change: Callable[[ServerSettings], ServerSettings]
    ) -> tuple[ServerSettings, ServerSettings]:
        """``change`` applied to the settings as stored, read and written under one lock, so two changes at
        once (two commands, a command and the window) both land; returns (before, after)."""
        self.data_dir.ensure()
        with self._settings_locked():
            before = self.load_settings()
            return before, self.save_settings(change(before))

    def save_changes(self, loaded: ServerSettings, edited: ServerSettings) -> ServerSettings:
        """The fields a form changed (``edited`` against what it ``loaded``) applied to the stored settings:
        what someone else changed meanwhile is kept."""
        changed = {
            field.name: getattr(edited, field.name)
            for field in dataclasses.fields(edited)
            if getattr(edited, field.name) != getattr(loaded, field.name)
        }
        return self.change_settings(lambda current: current.replace(**changed))[1]

    @functools.cached_property
    def _settings_lock(self):
        from filelock import FileLock

        return FileLock(str(self.data_dir.root / SETTINGS_LOCK_FILE_NAME), timeout=SETTINGS_LOCK_TIMEOUT)

    @contextlib.contextmanager
    def _settings_locked(self) -> Iterator[None]:
        from filelock import Timeout

        try:
            with self._settings_lock:
                yield
        except Timeout as exc:
            raise DeskError(
                f"Another PyPI Desk has been changing this server's settings for {SETTINGS_LOCK_TIMEOUT} s; "
                "try again in a moment."
            ) from exc
        except OSError as exc:
            raise DataDirError(
                f"Cannot lock the settings in {self.data_dir.root}: {exc.strerror or exc}. "
                "Fix the folder's permissions (or a read-only disk), or choose another data folder."
            ) from exc

    def _runtime_for(self, choice: str) -> tuple[Runtime, str]:
        if choice == "docker":
            return self.docker, ""
        if choice == "process":
            return self.process, ""
        if self.docker.engine_available():
            return self.docker, "Docker engine found: running the server in a container."
        return self.process, "No Docker engine answers: running the server as a local process."

    @contextlib.contextmanager
    def _one_at_a_time(self) -> Iterator[None]:
        """Held while starting or stopping: another start waits, then finds the server and adopts it."""
        from filelock import FileLock, Timeout

        lock = FileLock(str(self.data_dir.root / LOCK_FILE_NAME), timeout=LOCK_TIMEOUT)
        try:
            with lock:
                yield
        except Timeout as exc:
            raise DeskError(
                f"Another PyPI Desk has been starting or stopping this server for {LOCK_TIMEOUT} s; "
                "let it finish, then try again."
            ) from exc

    def start(
        self, settings: ServerSettings, progress: ProgressCallback | None = None, runtime: str | None = None
    ) -> ServerStatus:
        """Start the server, or adopt the one already running for this folder (in either runtime)."""
        settings = self._filled(settings)
        settings.validate()
        if self.data_dir.is_volume and runtime == "process":
            raise DeskError(
                f"The server of {self.data_dir.describe()} runs in Docker: a local process cannot reach a Docker "
                "volume. Start it without --runtime, or move the index to a folder first."
            )
        wanted = "docker" if self.data_dir.is_volume else (runtime or settings.runtime)
        self.data_dir.ensure()
        with self._one_at_a_time():
            current = self.status("docker" if wanted == "docker" else "auto")
            if current.running:
                if wanted in ("docker", "process") and current.runtime != wanted:
                    raise DeskError(
                        f"This folder's server already runs {_where(current)} at {current.url}. One folder has "
                        f"one server: stop that one first, then start it again {_how(wanted)}."
                    )
                return current
            chosen, note = self._runtime_for(wanted)
            tls_note = self.tls.ensure(settings).note if settings.https else ""  # before the server reads it
            status = chosen.start(settings, progress)
        said = " ".join(part for part in (note, status.note, tls_note) if part)  # where, how, and a new CA
        return replace(status, note=said)

    def save_and_start(
        self,
        settings: ServerSettings,
        progress: ProgressCallback | None = None,
        runtime: str | None = None,
        loaded: ServerSettings | None = None,
    ) -> ServerStatus:
        """Store ``settings`` (refused whole when one is bad), then start with them: Start, in one call. With
        ``loaded`` (what a form showed before its edits), only the fields changed since are stored."""
        saved = self.save_settings(settings) if loaded is None else self.save_changes(loaded, settings)
        return self.start(saved, progress=progress, runtime=runtime)

    def status(self, runtime: str = "auto") -> ServerStatus:
        """This folder's server, wherever it runs. ``runtime`` is where it last ran (or is meant to):
        with ``docker`` a lost engine is an error (the server may run there still); with ``process``
        Docker is asked quietly, and an engine that does not answer is no problem to report."""
        if self.data_dir.is_volume:
            return self.docker.status()
        process_status = self.process.status()
        if process_status.running:
            return process_status
        try:
            return self.docker.status()
        except EngineUnavailableError as exc:
            if runtime == "docker":
                raise
            return replace(process_status, engine_problem="" if runtime == "process" else str(exc))
        except DeskError:
            if runtime == "process":  # a foreign container under this folder's name is Docker's business
                return process_status
            raise

    def stop(self) -> None:
        """Stop whichever runtime runs this folder's server; the data stays."""
        if not self.data_dir.root.exists():
            self.docker.stop()  # a container may outlive its folder
            return
        with self._one_at_a_time():
            if self.process.status().running:
                self.process.stop()
                return
            try:
                self.docker.stop()
            except EngineUnavailableError:
                if self._saved_runtime() != "process":
                    raise  # the server may run in the engine that does not answer
                # runs without Docker: no container of this folder to stop, nothing to say

    def _saved_runtime(self) -> str:
        try:
            return self.load_settings().runtime
        except SettingsError:
            return "auto"

    # -- what other areas ask of the server (they never reach into a runtime) ----------

    @functools.cached_property
    def tls(self) -> TlsService:
        from gui.services.tls.service import TlsService

        return TlsService(self.data_dir)

    def verify(self) -> str | bool:
        """What an HTTP client of the app checks the server's certificate with (``requests``' verify)."""
        return self.tls.verify(self.load_settings())

    @property
    def volume(self) -> VolumeFiles | None:
        """The volume that holds this server's data (None with a data folder): read and written through the API."""
        return self.docker.volume

    def close(self) -> None:
        """Close what this service opened on the way (SSH tunnels, connections); the server keeps running."""
        self.docker.close()

    def engine_problem(self) -> EngineUnavailableError | None:
        """None when the Docker engine answers; otherwise why not, and how to fix it."""
        return self.docker.engine_problem()

    def image_present(self, image: str) -> bool:
        return self.docker.image_present(image)

    def server_can_read(self, path_in_container: str) -> bool | None:
        """Whether the running container's own user can read a file (None: no container runs)."""
        return self.docker.server_can_read(path_in_container)

    def running_url(self) -> str | None:
        """The running server's address, or None when it is stopped."""
        status = self.status()
        return status.url if status.running else None

    def remove_package_files(self, relative_paths: list[str]) -> None:
        """Delete files under packages/ through the engine (a one-shot container): those only the container's
        user may delete in a folder, and any in a volume."""
        self.docker.remove_package_files(self.load_settings().image, relative_paths)

    def facts_command(self, args: list[str]) -> str:
        """``inside/facts.py ARGS`` through the engine (the index database of a volume, or of a folder the
        container's user owns); see ``packages.index_facts``."""
        return self.docker.facts_command(self.load_settings().image, args)

    def logs(self, tail: int | None = None, follow: bool = False, after: LogPosition | None = None) -> LogStream:
        """The log of the server that runs now, or of the last local process.

        ``after`` a position a stream gave, only the lines that came later (the same server's).
        """
        status = self.status()
        if status.runtime == "docker" and status.state != "absent":
            return self.docker.logs(tail=tail, follow=follow, after=after)
        return self.process.logs(tail=tail, follow=follow, after=after)
