"""Runs the server as the pypiserver container, through the Docker SDK.

The container mounts the data folder's password folder (read-only) at
``/data/auth`` and its packages at ``/data/packages``, publishes port 8080 on the
chosen host address, and is named and labelled after the data folder so that a
reopened app adopts it instead of starting a second one.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import docker
import docker.errors
import requests
from docker.types import Mount

from gui.services.errors import (
    DeskError,
    EngineUnavailableError,
    ImagePullError,
    PortInUseError,
    ServerStartError,
)
from gui.services.server.command import (
    CONTAINER_ENTRYPOINT,
    GUNICORN_ACCESS_LOG,
    HEALTH_PATH,
    LAUNCHER_DIR,
    LAUNCHER_IN_CONTAINER,
    launcher_note,
    launcher_options,
    pypiserver_args,
)
from gui.services.server.container_log import DockerLogStream, since_for
from gui.services.server.datadir import LABEL_DATA_DIR, LABEL_ROLE, LABEL_SCHEME, DataDir
from gui.services.server.health import wait_until_answers
from gui.services.server.pull_progress import PullTracker
from gui.services.server.runtime import LogPosition, ProgressCallback, ServerStatus
from gui.services.server.settings import ServerSettings

CONTAINER_PORT = 8080
START_TIMEOUT = 60.0
STOP_TIMEOUT = 10
LOG_TAIL_ON_ERROR = 30

ClientFactory = Callable[[], docker.DockerClient]


def engine_error(exc: BaseException) -> EngineUnavailableError:
    """Turn a failure to reach the engine into words that say how to fix it."""
    where = os.environ.get("DOCKER_HOST") or "the default socket (/var/run/docker.sock)"
    text = str(exc)
    if "Permission denied" in text or isinstance(exc.__context__, PermissionError):
        return EngineUnavailableError(
            f"This user may not use the Docker engine at {where} (permission denied).",
            "Add yourself to the docker group (sudo usermod -aG docker $USER), log out and back in, "
            "then retry; or run the server without Docker.",
        )
    return EngineUnavailableError(
        f"No Docker engine answers at {where}.",
        "Start Docker (Docker Desktop, or "
        "'sudo systemctl start docker'), then retry; or run the server without Docker.",
    )


class DockerRuntime:
    """The server as a Docker container; see the module docstring."""

    name = "docker"

    def __init__(self, data_dir: DataDir, client_factory: ClientFactory = docker.from_env) -> None:
        self._data_dir = data_dir
        self._client_factory = client_factory
        self._client: docker.DockerClient | None = None

    # -- engine ---------------------------------------------------------------

    @contextlib.contextmanager
    def _engine(self) -> Iterator[docker.DockerClient]:
        """The client, with lost-connection errors turned into EngineUnavailableError."""
        try:
            if self._client is None:
                self._client = self._client_factory()
            yield self._client
        except docker.errors.APIError as exc:
            raise DeskError(f"The Docker engine refused the request: {exc.explanation or exc}.") from exc
        except (requests.ConnectionError, docker.errors.DockerException) as exc:
            self._client = None
            raise engine_error(exc) from exc

    def engine_available(self) -> bool:
        return self.engine_problem() is None

    def engine_problem(self) -> EngineUnavailableError | None:
        """None when the engine answers; otherwise why not, and how to fix it."""
        try:
            with self._engine() as client:
                client.ping()
        except EngineUnavailableError as exc:
            return exc
        return None

    def image_present(self, image: str) -> bool:
        with self._engine() as client:
            try:
                client.images.get(image)
            except docker.errors.ImageNotFound:
                return False
        return True

    def server_can_read(self, path_in_container: str) -> bool | None:
        """Whether the running container's own user can read a file (None: no container runs)."""
        with self._engine() as client:
            container = self._find(client)
            if container is None or container.status != "running":
                return None
            # The user the server runs as (the entrypoint drops from root to it), as the server's PID 1 shows.
            owner = container.exec_run(["stat", "-c", "%u:%g", "/proc/1"])
            user = owner.output.decode().strip() if owner.exit_code == 0 else None
            result = container.exec_run(["test", "-r", path_in_container], user=user or "")
            return result.exit_code == 0

    def _engine_host(self, client: docker.DockerClient) -> str | None:
        """The engine's host name when it is remote (tcp://), where the port is published."""
        base = urlsplit(client.api.base_url)
        if base.scheme in ("http", "https") and base.hostname not in (None, "localhost", "127.0.0.1"):
            return base.hostname
        return None

    # -- lifecycle ------------------------------------------------------------

    def _find(self, client: docker.DockerClient):  # -> Container | None
        """This folder's server container: by its name, or by its labels when someone renamed it."""
        try:
            container = client.containers.get(self._data_dir.container_name)
        except docker.errors.NotFound:
            container = None
        if container is not None:
            if container.labels.get(LABEL_DATA_DIR) != str(self._data_dir.root):
                raise DeskError(
                    f"A container named {container.name} exists that PyPI Desk did not start for "
                    f"{self._data_dir.root}. Remove or rename it (docker rm -f {container.name})."
                )
            return container
        labelled = client.containers.list(all=True, filters={"label": f"{LABEL_DATA_DIR}={self._data_dir.root}"})
        servers = [c for c in labelled if c.labels.get(LABEL_ROLE, "server") == "server"]
        servers.sort(key=lambda c: c.status != "running")  # a running one first
        return servers[0] if servers else None

    def status(self) -> ServerStatus:
        with self._engine() as client:
            container = self._find(client)
            if container is None:
                return ServerStatus(runtime=self.name, state="absent")
            return self._status_of(client, container)

    def _status_of(self, client: docker.DockerClient, container) -> ServerStatus:
        if container.status != "running":
            code = container.attrs.get("State", {}).get("ExitCode")
            how = " (killed)" if code == 137 else ""
            detail = f"container {container.name} is {container.status}, exit code {code}{how}"
            return ServerStatus(runtime=self.name, state="exited", detail=detail)
        bindings = container.attrs["HostConfig"]["PortBindings"].get(f"{CONTAINER_PORT}/tcp") or [{}]
        host_ip = bindings[0].get("HostIp") or "0.0.0.0"
        port = int(bindings[0].get("HostPort") or 0)
        https = container.labels.get(LABEL_SCHEME) == "https"
        url = ServerSettings(port=port, host=host_ip, https=https).url if port else None
        remote = self._engine_host(client)
        if remote and port:
            url = f"{'https' if https else 'http'}://{remote}:{port}"
        return ServerStatus(
            runtime=self.name, state="running", url=url, detail=f"container {container.name} ({container.short_id})"
        )

    def start(self, settings: ServerSettings, progress: ProgressCallback | None = None) -> ServerStatus:
        """Start (or adopt) the container; returns once the server answers HTTP."""
        settings.validate()
        with self._engine() as client:
            existing = self._find(client)  # also the first request: a missing engine fails here
            if existing is not None and existing.status == "running":
                return self._status_of(client, existing)
            if existing is not None:
                existing.remove(force=True)
            self._ensure_image(client, settings.image, progress)
            self._data_dir.ensure()
            container = self._create(client, settings)
            try:
                container.start()
            except docker.errors.APIError as exc:
                container.remove(force=True)
                message = str(exc.explanation or exc)
                if "port is already allocated" in message or "address already in use" in message:
                    raise PortInUseError(settings.host, settings.port) from exc
                raise ServerStartError(f"Docker could not start the server container: {message}") from exc
            return self._wait_until_ready(client, container, settings)

    def _create(self, client: docker.DockerClient, settings: ServerSettings):
        options = launcher_options(settings, tls_dir="/data/tls", roles_file="/data/auth/roles.json")
        command = options + pypiserver_args(
            settings,
            port=CONTAINER_PORT,
            password_file="/data/auth/.htpasswd",
            packages_dir="/data/packages",
            server="gunicorn",
        )
        tls = [Mount("/data/tls", str(self._data_dir.tls_dir), type="bind", read_only=True)] if settings.https else []
        try:
            return client.containers.create(
                settings.image,
                entrypoint=CONTAINER_ENTRYPOINT,
                command=command,
                name=self._data_dir.container_name,
                labels={**self._data_dir.labels(), LABEL_SCHEME: settings.scheme},
                environment={"GUNICORN_CMD_ARGS": GUNICORN_ACCESS_LOG},  # for the plain way, if it comes to that
                ports={f"{CONTAINER_PORT}/tcp": (settings.host, settings.port)},
                mounts=[  # source and target apart: a ':' in a path is just a character
                    Mount("/data/auth", str(self._data_dir.auth_dir), type="bind", read_only=True),
                    Mount("/data/packages", str(self._data_dir.packages_dir), type="bind"),
                    Mount(LAUNCHER_IN_CONTAINER, str(LAUNCHER_DIR), type="bind", read_only=True),
                    *tls,  # the server's certificate and key only: the CA's key is never mounted
                ],
                detach=True,
            )
        except docker.errors.APIError as exc:
            raise ServerStartError(f"Docker could not create the server container: {exc.explanation or exc}") from exc

    def _wait_until_ready(self, client: docker.DockerClient, container, settings: ServerSettings) -> ServerStatus:
        def still_running() -> bool:
            container.reload()
            return container.status in ("created", "running")

        host = self._engine_host(client) or settings.local_host
        if wait_until_answers(f"{settings.scheme}://{host}:{settings.port}{HEALTH_PATH}", still_running, START_TIMEOUT):
            container.reload()
            started = self._status_of(client, container)
            note = launcher_note(container.logs(tail=LOG_TAIL_ON_ERROR).decode("utf-8", "replace"))
            return dataclasses.replace(started, note=note) if note else started
        tail = container.logs(tail=LOG_TAIL_ON_ERROR).decode("utf-8", "replace").strip()
        container.reload()
        exited = container.status not in ("created", "running")
        code = container.attrs.get("State", {}).get("ExitCode")
        container.remove(force=True)
        if exited:
            raise ServerStartError(f"The server container exited at start (exit code {code}).", tail)
        raise ServerStartError(
            f"The server container did not answer on port {settings.port} within {START_TIMEOUT:.0f} s; "
            "it was stopped.",
            tail,
        )

    def _ensure_image(self, client: docker.DockerClient, image: str, progress: ProgressCallback | None) -> None:
        try:
            client.images.get(image)
            return
        except docker.errors.ImageNotFound:
            pass
        tracker = PullTracker()
        try:
            for event in client.api.pull(image, stream=True, decode=True):
                if "error" in event:
                    raise ImagePullError(_pull_failed(image, event["error"]))
                update = tracker.update(event)
                if progress is not None and update is not None:
                    progress(update)
        except docker.errors.APIError as exc:
            raise ImagePullError(_pull_failed(image, str(exc.explanation or exc))) from exc
        try:
            client.images.get(image)
        except docker.errors.ImageNotFound:
            raise ImagePullError(_pull_failed(image, "the registry sent no image")) from None

    def stop(self) -> None:
        """Stop and remove the container; the data folder stays as it is."""
        with self._engine() as client:
            container = self._find(client)
            if container is None:
                return
            with contextlib.suppress(docker.errors.NotFound):
                container.stop(timeout=STOP_TIMEOUT)
            with contextlib.suppress(docker.errors.NotFound):
                container.remove(force=True)

    def remove_package_files(self, image: str, relative_paths: list[str]) -> None:
        """Delete files under packages/ that only the container's user may delete (a one-shot container)."""
        paths = [f"/data/packages/{path}" for path in relative_paths]
        with self._engine() as client:
            client.containers.run(
                image,
                entrypoint=["rm", "-f", "--", *paths],
                user="root",
                remove=True,
                mounts=[Mount("/data/packages", str(self._data_dir.packages_dir), type="bind")],
                labels=self._data_dir.labels("cleanup"),
            )

    def logs(self, tail: int | None = None, follow: bool = False, after: LogPosition | None = None) -> DockerLogStream:
        """The container's log; ``after`` a position in it, only the lines that came later."""
        with self._engine() as client:
            container = self._find(client)
            if container is None:
                return DockerLogStream(None)
            if after is not None and after.source == container.id:
                tail = None  # the position says where to go on, not the tail
            since = since_for(after, container.id)
            raw = container.logs(
                stream=True, follow=follow, timestamps=True, since=since, tail="all" if tail is None else tail
            )
            return DockerLogStream(raw, container.id, after)


def _pull_failed(image: str, reason: str) -> str:
    return (
        f"The image {image} is not on this machine and could not be pulled: {reason}. "
        "Check the network and the image name, or load the image by hand (docker load), then retry."
    )
