"""One server (one data folder): its settings and its lifecycle, whichever runtime runs it.

``auto`` runs the server in Docker when an engine answers and as a local process
otherwise, and says which it picked in ``ServerStatus.note``.
"""

from __future__ import annotations

from dataclasses import replace

from gui.services.errors import DataDirError, EngineUnavailableError
from gui.services.server.container import DockerRuntime
from gui.services.server.datadir import DataDir
from gui.services.server.process import ProcessRuntime
from gui.services.server.runtime import LogPosition, LogStream, ProgressCallback, Runtime, ServerStatus
from gui.services.server.settings import ServerSettings, load_settings, save_settings


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
        return load_settings(self.data_dir.settings_file)

    def save_settings(self, settings: ServerSettings) -> ServerSettings:
        """Validate and store ``settings``; on a bad value the previous file stays."""
        settings.validate()
        self.data_dir.ensure()
        try:
            save_settings(self.data_dir.settings_file, settings)
        except OSError as exc:
            raise DataDirError(
                f"Cannot save the settings in {self.data_dir.root}: {exc.strerror or exc}. "
                "Fix the folder's permissions or choose another data folder."
            ) from exc
        return settings

    def _runtime_for(self, choice: str) -> tuple[Runtime, str]:
        if choice == "docker":
            return self.docker, ""
        if choice == "process":
            return self.process, ""
        if self.docker.engine_available():
            return self.docker, "Docker engine found: running the server in a container."
        return self.process, "No Docker engine answers: running the server as a local process."

    def start(
        self, settings: ServerSettings, progress: ProgressCallback | None = None, runtime: str | None = None
    ) -> ServerStatus:
        """Start the server (or adopt the one already running for this folder)."""
        settings.validate()
        current = self.status(runtime or settings.runtime)
        if current.running:
            return current
        chosen, note = self._runtime_for(runtime or settings.runtime)
        status = chosen.start(settings, progress)
        return ServerStatus(status.runtime, status.state, status.url, status.detail, note)

    def save_and_start(
        self, settings: ServerSettings, progress: ProgressCallback | None = None, runtime: str | None = None
    ) -> ServerStatus:
        """Store ``settings`` (refused whole when one is bad), then start with them: Start, in one call."""
        return self.start(self.save_settings(settings), progress=progress, runtime=runtime)

    def status(self, runtime: str = "auto") -> ServerStatus:
        """The running server of this folder, looking in the runtimes ``runtime`` allows."""
        process_status = self.process.status()
        if process_status.running or runtime == "process":
            return process_status
        try:
            return self.docker.status()
        except EngineUnavailableError as exc:
            if runtime == "docker":
                raise
            return replace(process_status, engine_problem=str(exc))

    def stop(self) -> None:
        """Stop whichever runtime runs this folder's server; the data stays."""
        if self.process.status().running:
            self.process.stop()
            return
        self.docker.stop()

    # -- what other areas ask of the server (they never reach into a runtime) ----------

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
        """Delete files under packages/ that only the container's user may delete (a one-shot container)."""
        self.docker.remove_package_files(self.load_settings().image, relative_paths)

    def logs(self, tail: int | None = None, follow: bool = False, after: LogPosition | None = None) -> LogStream:
        """The log of the server that runs now, or of the last local process.

        ``after`` a position a stream gave, only the lines that came later (the same server's).
        """
        status = self.status()
        if status.runtime == "docker" and status.state != "absent":
            return self.docker.logs(tail=tail, follow=follow, after=after)
        return self.process.logs(tail=tail, follow=follow, after=after)
