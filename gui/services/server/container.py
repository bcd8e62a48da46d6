"""Runs the server as the pypiserver container, through the Docker SDK, on any engine.

With a data folder, the container mounts its password folder (read-only) at ``/data/auth``
and its packages at ``/data/packages``. With a volume (see :mod:`gui.services.volume`), it
mounts only that volume, at ``/data/desk``, into which the app has put the launcher, users and
certificate through the API: no path of this machine reaches the engine. Either way it
publishes port 8080 on the chosen address and is named and labelled after its data, so a
reopened app adopts it instead of starting a second one.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterator

import docker
import docker.errors
import requests
from docker.types import Mount

from gui.services.engines.choice import Engine
from gui.services.engines.errors import engine_error
from gui.services.engines.reach import Reach
from gui.services.errors import (
    DeskError,
    EngineUnavailableError,
    PortHeldByDeskError,
    PortInUseError,
    ServerStartError,
)
from gui.services.index.datadir import DataDir
from gui.services.index.settings import DEFAULT_IMAGE, ServerSettings
from gui.services.names import (
    LABEL_DATA_DIR,
    LABEL_MANAGED,
    LABEL_PUBLIC_NAME,
    LABEL_ROLE,
    LABEL_SCHEME,
    LABEL_VOLUME,
    UPSTREAM_CREDENTIALS_NAME,
)
from gui.services.server.command import (
    CONTAINER_ENTRYPOINT,
    GUNICORN_ACCESS_LOG,
    HEALTH_PATH,
    LAUNCHER_IN_CONTAINER,
    launcher_note,
    launcher_options,
    pypiserver_args,
)
from gui.services.server.container_log import DockerLogStream, since_for
from gui.services.server.health import wait_until_answers
from gui.services.server.inside import LAUNCHER_DIR
from gui.services.server.package_chores import PackageChores
from gui.services.server.pull_progress import ensure_image
from gui.services.server.runtime import LogPosition, ProgressCallback, ServerStatus
from gui.services.server.upstream_network import CA_IN_CONTAINER, host_ca_bundle, proxy_environment
from gui.services.volume import layout
from gui.services.volume.files import VolumeFiles

CONTAINER_PORT = 8080
START_TIMEOUT = 60.0
STOP_TIMEOUT = 10
LOG_TAIL_ON_ERROR = 30

ClientFactory = Callable[[], docker.DockerClient]


def _is_server(labels: dict[str, str]) -> bool:
    """A server PyPI Desk started (a volume's helpers and lock carry only the volume's label)."""
    return labels.get(LABEL_MANAGED) == "1" and labels.get(LABEL_ROLE, "server") == "server"


def _bindings(attrs: dict) -> list[dict]:
    """The host addresses the container's port 8080 is published on ([{}] when none: no ``PortBindings``)."""
    published = (attrs.get("HostConfig") or {}).get("PortBindings") or {}
    return published.get(f"{CONTAINER_PORT}/tcp") or [{}]


class DockerRuntime(PackageChores):
    """The server as a Docker container; see the module docstring."""

    name = "docker"

    def __init__(
        self, data_dir: DataDir, client_factory: ClientFactory | None = None, engine: Engine | None = None
    ) -> None:
        self._data_dir = data_dir
        self.engine = engine or Engine(data_dir.engine)
        self._client_factory = client_factory or self.engine.client
        self._client: docker.DockerClient | None = None
        self.reach = Reach(self.engine)
        self.helper_image = DEFAULT_IMAGE  # the image helpers of a volume run (the server's, once it started)
        self._helper_image_ready = False
        self.volume = (
            VolumeFiles(data_dir.volume, self._engine, self._ready_helper_image, self._running_container)
            if data_dir.volume
            else None
        )

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
        except (requests.ConnectionError, docker.errors.DockerException, EngineUnavailableError) as exc:
            client, self._client = self._client, None
            if client is not None:  # its connections (and an SSH forward) are of no more use
                with contextlib.suppress(Exception):
                    client.close()
            raise engine_error(exc, self.engine) from exc

    def close(self) -> None:
        """Close the tunnels and the client's connections (over ssh://, each is an ssh process)."""
        self.reach.close()
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(Exception):
                client.close()

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

    def _running_container(self):  # -> Container | None
        """This server's container while it runs."""
        with self._engine() as client:
            container = self._find(client)
        return container if container is not None and container.status == "running" else None

    def _ready_helper_image(self) -> str:
        """The image a volume's helpers run, pulled first when the engine lacks it."""
        if not self._helper_image_ready:
            with self._engine() as client:
                ensure_image(client, self.helper_image, None)
            self._helper_image_ready = True
        return self.helper_image

    # -- lifecycle ------------------------------------------------------------

    def _find(self, client: docker.DockerClient):  # -> Container | None
        """This folder's server container: by its name, or by its labels when someone renamed it."""
        try:
            container = client.containers.get(self._data_dir.container_name)
        except docker.errors.NotFound:
            container = None
        key, value = self._data_dir.identity
        if container is not None:
            if container.labels.get(key) != value:
                raise DeskError(
                    f"A container named {container.name} exists that PyPI Desk did not start for "
                    f"{self._data_dir.describe()}. Remove or rename it (docker rm -f {container.name})."
                )
            return container
        labelled = client.containers.list(all=True, filters={"label": f"{key}={value}"})
        servers = [c for c in labelled if _is_server(c.labels)]  # not a volume's helper, lock or cleanup
        servers.sort(key=lambda c: c.status != "running")  # a running one first
        return servers[0] if servers else None

    def desk_server_on(self, port: int) -> str:
        """Which other PyPI Desk server on this engine publishes ``port`` ("volume X", a folder), or ""."""
        with self._engine() as client:
            return self._desk_server_on(client, port)

    def _desk_server_on(self, client: docker.DockerClient, port: int) -> str:
        for container in client.containers.list(filters={"label": f"{LABEL_MANAGED}=1"}):
            labels = container.labels
            if not _is_server(labels) or container.name == self._data_dir.container_name:
                continue
            if any(str(binding.get("HostPort")) == str(port) for binding in _bindings(container.attrs)):
                if labels.get(LABEL_VOLUME):
                    return f"the volume {labels[LABEL_VOLUME]}"
                return labels.get(LABEL_DATA_DIR) or container.name
        return ""

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
        bindings = _bindings(container.attrs)
        host_ip = bindings[0].get("HostIp") or "0.0.0.0"
        port = int(bindings[0].get("HostPort") or 0)
        scheme = "https" if container.labels.get(LABEL_SCHEME) == "https" else "http"
        url, note = (None, "")
        if port:
            url, note = self.reach.url(
                scheme=scheme, bind_host=host_ip, port=port, public_name=container.labels.get(LABEL_PUBLIC_NAME, "")
            )
        where = f" on {self.engine.label()}" if not self.engine.is_default else ""
        return ServerStatus(
            runtime=self.name,
            state="running",
            url=url,
            detail=f"container {container.name} ({container.short_id}){where}",
            note=note,
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
            ensure_image(client, settings.image, progress)
            self._data_dir.ensure()
            if self.volume is not None:
                from gui.services.volume.prepare import prepare_volume

                self.helper_image, self._helper_image_ready = settings.image, True
                prepare_volume(self.volume, settings, self._data_dir.tls_dir, self._upstream_ca(settings))
            container = self._create(client, settings)
            try:
                container.start()
            except docker.errors.APIError as exc:
                container.remove(force=True)
                message = str(exc.explanation or exc)
                if "port is already allocated" in message or "address already in use" in message:
                    holder = self._desk_server_on(client, settings.port)
                    if holder:
                        raise PortHeldByDeskError(settings.host, settings.port, holder) from exc
                    raise PortInUseError(settings.host, settings.port) from exc
                raise ServerStartError(f"Docker could not start the server container: {message}") from exc
            return self._wait_until_ready(client, container, settings)

    @staticmethod
    def _upstream_ca(settings: ServerSettings):
        """The CA bundle this machine trusts (its SSL_CERT_FILE...), for the cache to reach upstream; None without."""
        return host_ca_bundle() if settings.fallback == "cache" else None

    def _upstream_options(self, settings: ServerSettings) -> dict[str, str | None]:
        """Where the server sees upstream's CA bundle and credentials (None: it has none)."""
        if settings.fallback != "cache":
            return {}
        has_ca = self._upstream_ca(settings) is not None
        if self.volume is not None:
            has_login = self.volume.read(layout.UPSTREAM_CREDENTIALS) is not None
            ca, login = layout.in_container(layout.UPSTREAM_CA), layout.in_container(layout.UPSTREAM_CREDENTIALS)
        else:
            has_login = self._data_dir.upstream_credentials_file.is_file()
            ca, login = CA_IN_CONTAINER, f"/data/auth/{UPSTREAM_CREDENTIALS_NAME}"
        return {"upstream_ca": ca if has_ca else None, "upstream_credentials": login if has_login else None}

    def _layout(self, settings: ServerSettings) -> tuple[list[Mount], str, list[str]]:
        """(mounts, the folder the server's files are in, the entrypoint) for a folder or a volume."""
        if self.volume is not None:
            mounts = [
                Mount(layout.MOUNT, self.volume.volume, type="volume"),
                # The image declares /data/packages a volume: an empty tmpfs there, not an anonymous volume per start.
                Mount("/data/packages", None, type="tmpfs", tmpfs_size=1024 * 1024),
            ]
            entrypoint = ["python3", layout.in_container(f"{layout.LAUNCHER}/launcher.py"), "--container"]
            return mounts, layout.MOUNT, entrypoint
        tls = [Mount("/data/tls", str(self._data_dir.tls_dir), type="bind", read_only=True)] if settings.https else []
        mounts = [  # source and target apart: a ':' in a path is just a character
            Mount("/data/auth", str(self._data_dir.auth_dir), type="bind", read_only=True),
            Mount("/data/packages", str(self._data_dir.packages_dir), type="bind"),
            Mount(LAUNCHER_IN_CONTAINER, str(LAUNCHER_DIR), type="bind", read_only=True),
            *tls,  # the server's certificate and key only: the CA's key is never mounted
        ]
        ca = self._upstream_ca(settings)
        if ca is not None:
            mounts.append(Mount(CA_IN_CONTAINER, str(ca), type="bind", read_only=True))
        return mounts, "/data", CONTAINER_ENTRYPOINT

    def _create(self, client: docker.DockerClient, settings: ServerSettings):
        mounts, base, entrypoint = self._layout(settings)
        options = launcher_options(settings, tls_dir=f"{base}/tls", roles_file=f"{base}/auth/roles.json",
                                   **self._upstream_options(settings))  # fmt: skip
        command = options + pypiserver_args(
            settings,
            port=CONTAINER_PORT,
            password_file=f"{base}/auth/.htpasswd",
            packages_dir=f"{base}/packages",
            server="gunicorn",
        )
        labels = {**self._data_dir.labels(), LABEL_SCHEME: settings.scheme, LABEL_PUBLIC_NAME: settings.public_name}
        try:
            return client.containers.create(
                settings.image,
                entrypoint=entrypoint,
                command=command,
                name=self._data_dir.container_name,
                labels=labels,
                # gunicorn's access log for the plain way, if it comes to that; the proxy the cache reaches upstream by
                environment={"GUNICORN_CMD_ARGS": GUNICORN_ACCESS_LOG, **proxy_environment()},
                ports={f"{CONTAINER_PORT}/tcp": (settings.host, settings.port)},
                mounts=mounts,
                detach=True,
            )
        except docker.errors.APIError as exc:
            raise ServerStartError(f"Docker could not create the server container: {exc.explanation or exc}") from exc

    def _wait_until_ready(self, client: docker.DockerClient, container, settings: ServerSettings) -> ServerStatus:
        def still_running() -> bool:
            container.reload()
            return container.status in ("created", "running")

        url, why = self.reach.url(
            scheme=settings.scheme, bind_host=settings.host, port=settings.port, public_name=settings.public_name
        )
        if url is None:
            container.remove(force=True)
            raise ServerStartError(why)
        if wait_until_answers(f"{url}{HEALTH_PATH}", still_running, START_TIMEOUT):
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
