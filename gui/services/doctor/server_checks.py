"""The Doctor's checks of the server itself: the engine, the image, the container, the port, /simple/."""

from __future__ import annotations

import requests

from gui.services.core import DeskServices
from gui.services.doctor.findings import HTTP_TIMEOUT, Finding, Outcome
from gui.services.engines.choice import Engine
from gui.services.errors import DeskError, PortInUseError, PortNotAllowedError
from gui.services.index.settings import ServerSettings
from gui.services.server.ports import port_problem
from gui.services.server.runtime import ServerStatus


def server_status(services: DeskServices, settings: ServerSettings) -> tuple[ServerStatus, Finding | None]:
    """The server's status, and a finding when it cannot be had (a foreign container holds its name)."""
    try:
        return services.server.status(settings.runtime), None
    except DeskError as exc:
        status = ServerStatus(runtime=settings.runtime, state="absent", detail=str(exc))
        return status, Finding("Server", Outcome.PROBLEM, str(exc))


def engine(services: DeskServices, settings: ServerSettings) -> Finding:
    name = "Docker engine"
    if settings.runtime == "process":
        return Finding(name, Outcome.SKIPPED, "The server runs without Docker (the runtime chosen in the settings).")
    problem = services.server.engine_problem()
    if problem is None:
        engine = Engine(services.data_dir.engine)
        return Finding(
            name, Outcome.OK, "The Docker engine answers." if engine.is_default else f"{engine.label()} answers."
        )
    if settings.runtime == "auto":
        detail = f"{problem.reason} The server runs as a local process instead."
        return Finding(name, Outcome.WARNING, detail, problem.fix)
    return Finding(name, Outcome.PROBLEM, problem.reason, problem.fix)


def image(services: DeskServices, settings: ServerSettings, engine: Finding) -> Finding:
    name = "Server image"
    if engine.outcome is not Outcome.OK:
        return Finding(name, Outcome.SKIPPED, "No Docker engine to ask.")
    try:
        present = services.server.image_present(settings.image)
    except DeskError as exc:
        return Finding(name, Outcome.PROBLEM, str(exc))
    engine = Engine(services.data_dir.engine)
    where = "this machine" if engine.is_default else engine.label()
    if present:
        return Finding(name, Outcome.OK, f"{settings.image} is on {where}.")
    return Finding(
        name,
        Outcome.WARNING,
        f"{settings.image} is not on {where} yet: the first start pulls it from its registry.",
        f"Without internet access: 'docker save {settings.image} -o pypiserver.tar' on a machine that has it, "
        "then 'docker load -i pypiserver.tar' here.",
    )


def port(settings: ServerSettings, status: ServerStatus, services: DeskServices | None = None) -> Finding:
    """Free, or this index's; otherwise who holds it: another PyPI Desk server is named as such."""
    name = "Port"
    where = f"{settings.host}:{settings.port}"
    if status.running and status.url and status.url.rstrip("/").endswith(f":{settings.port}"):
        return Finding(name, Outcome.OK, f"{where} is this index's ({status.detail or status.runtime}).")
    try:
        problem = port_problem(settings.host, settings.port)
    except (OSError, ValueError) as exc:
        return Finding(name, Outcome.PROBLEM, f"Cannot use the address {settings.host}: {exc}.", "Choose another.")
    if problem is None:
        return Finding(name, Outcome.OK, f"{where} is free.")
    if isinstance(problem, PortInUseError):
        holder = _desk_server_on(services, settings) if services is not None else ""
        if holder:
            return Finding(
                name,
                Outcome.PROBLEM,
                f"{where} is used by another PyPI Desk server, the one of {holder}, so this one cannot start there.",
                f"Stop the server of {holder} (open it in PyPI Desk), or choose another port.",
                "choose_port",
            )
        return Finding(
            name,
            Outcome.PROBLEM,
            f"{where} is used by another program, so the server cannot start there.",
            "Stop that program, or choose another port.",
            "choose_port",
        )
    if isinstance(problem, PortNotAllowedError) and settings.runtime != "process":
        return Finding(name, Outcome.OK, f"{where}: the Docker engine may publish it (a local process could not).")
    return Finding(name, Outcome.PROBLEM, str(problem), "Choose another port.", "choose_port")


def _desk_server_on(services: DeskServices, settings: ServerSettings) -> str:
    """The other PyPI Desk server on the port: a container that publishes it (if the engine answers), or a
    local process of PyPI Desk's that listens on it."""
    from gui.services.server.process import desk_process_on

    try:
        found = services.server.docker.desk_server_on(settings.port)
    except DeskError:
        found = ""
    return found or desk_process_on(settings.port)


def index(status: ServerStatus, settings: ServerSettings, verify: str | bool = True) -> Finding:
    name = "/simple/"
    if not status.running or not status.url:
        return Finding(
            name, Outcome.SKIPPED, "The server is not running.", "Start it, then check again.", "start_server"
        )
    url = f"{status.url}/simple/"
    try:
        response = requests.get(url, timeout=HTTP_TIMEOUT, verify=verify)
    except requests.exceptions.SSLError as exc:
        return Finding(name, Outcome.PROBLEM, f"{url} presents a certificate the app does not trust: {exc}.",
                       "Renew the certificate.", "renew_certificate")  # fmt: skip
    except requests.RequestException as exc:
        return Finding(name, Outcome.PROBLEM, f"{url} does not answer: {exc}.", "Look at the server's log.")
    if response.status_code == 401 and "list" in settings.auth:
        return Finding(name, Outcome.OK, f"{url} asks for a password, as set (everything needs one).")
    if response.status_code != 200:
        return Finding(name, Outcome.PROBLEM, f"{url} answers {response.status_code}.", "Look at the server's log.")
    return Finding(name, Outcome.OK, f"{url} answers: pip install NAME --index-url {url}")
