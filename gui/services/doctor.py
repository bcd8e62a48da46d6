"""Doctor: the checks behind "why does my index not work?", each finding with a fix where one exists.

Shared by the Doctor tab and ``pypi-desk doctor``. Every check looks at the real
thing (the engine, the image, the port, the files, the container's own view of
the password file, ``~/.pypirc``, ``/simple/``) and never changes anything.

A finding's ``fix`` is neutral text; its ``action`` names what to do in a word the
caller turns into where to go (a tab and button in the window, a command line).
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

import requests

from gui.services.core import DeskServices
from gui.services.errors import DeskError
from gui.services.server.ports import port_is_free
from gui.services.server.runtime import ServerStatus
from gui.services.server.settings import ServerSettings

CONTAINER_UID = 9898  # the official image's user; its entrypoint hands packages/ to it
HTTP_TIMEOUT = 5.0


class Outcome(Enum):
    OK = "ok"
    WARNING = "warning"
    PROBLEM = "problem"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Finding:
    """One check's result: ``detail`` says what was found, ``fix`` what to do about it."""

    check: str
    outcome: Outcome
    detail: str
    fix: str = ""
    action: str = ""  # one of ACTIONS: where the caller sends the user to fix it


#: What a finding may ask the user to do; the window and the command line say where.
ACTIONS = ("choose_port", "choose_data_dir", "repair_users", "add_user", "set_up_client", "start_server")


def diagnose(services: DeskServices) -> list[Finding]:
    """Run every check for one data folder, in the order a user would fix them."""
    server = services.server
    findings: list[Finding] = []
    try:
        settings = server.load_settings()
    except DeskError as exc:
        findings.append(Finding("Settings", Outcome.PROBLEM, str(exc), "Fix or delete the settings file."))
        settings = ServerSettings()
    engine = _engine(services, settings)
    findings.append(engine)
    findings.append(_image(services, settings, engine))
    try:
        status = server.status(settings.runtime)
    except DeskError as exc:
        status = ServerStatus(runtime=settings.runtime, state="absent", detail=str(exc))
    findings.append(_port(settings, status))
    findings.append(_data_dir(services))
    findings.append(_password_file(services, settings, status))
    findings.append(_users(services, settings))
    findings.append(_pypirc(services, settings))
    findings.append(_index(status))
    return findings


def _engine(services: DeskServices, settings: ServerSettings) -> Finding:
    name = "Docker engine"
    if settings.runtime == "process":
        return Finding(name, Outcome.SKIPPED, "The server runs without Docker (the runtime chosen in the settings).")
    problem = services.server.engine_problem()
    if problem is None:
        return Finding(name, Outcome.OK, "The Docker engine answers.")
    if settings.runtime == "auto":
        detail = f"{problem.reason} The server runs as a local process instead."
        return Finding(name, Outcome.WARNING, detail, problem.fix)
    return Finding(name, Outcome.PROBLEM, problem.reason, problem.fix)


def _image(services: DeskServices, settings: ServerSettings, engine: Finding) -> Finding:
    name = "Server image"
    if engine.outcome is not Outcome.OK:
        return Finding(name, Outcome.SKIPPED, "No Docker engine to ask.")
    try:
        present = services.server.image_present(settings.image)
    except DeskError as exc:
        return Finding(name, Outcome.PROBLEM, str(exc))
    if present:
        return Finding(name, Outcome.OK, f"{settings.image} is on this machine.")
    return Finding(
        name,
        Outcome.WARNING,
        f"{settings.image} is not on this machine yet: the first start pulls it from its registry.",
        f"Without internet access: 'docker save {settings.image} -o pypiserver.tar' on a machine that has it, "
        "then 'docker load -i pypiserver.tar' here.",
    )


def _port(settings: ServerSettings, status: ServerStatus) -> Finding:
    name = "Port"
    where = f"{settings.host}:{settings.port}"
    if status.running and status.url and status.url.rstrip("/").endswith(f":{settings.port}"):
        return Finding(name, Outcome.OK, f"{where} is this index's ({status.detail or status.runtime}).")
    try:
        free = port_is_free(settings.host, settings.port)
    except (OSError, ValueError) as exc:
        return Finding(name, Outcome.PROBLEM, f"Cannot use the address {settings.host}: {exc}.", "Choose another.")
    if free:
        return Finding(name, Outcome.OK, f"{where} is free.")
    return Finding(
        name,
        Outcome.PROBLEM,
        f"{where} is used by another program, so the server cannot start there.",
        "Stop that program, or choose another port.",
        "choose_port",
    )


def _data_dir(services: DeskServices) -> Finding:
    name = "Data folder"
    data_dir = services.server.data_dir
    root, packages = data_dir.root, data_dir.packages_dir
    existing = next((path for path in (root, *root.parents) if path.exists()), None)
    if existing is None or not os.access(existing, os.W_OK | os.X_OK):
        return Finding(
            name,
            Outcome.PROBLEM,
            f"{existing or root} cannot be written by this user, so {root} cannot be set up.",
            "Fix its permissions, or choose another data folder.",
            "choose_data_dir",
        )
    if not packages.exists():
        return Finding(name, Outcome.OK, f"{root} is set up at the first start.")
    owner = packages.stat().st_uid
    if hasattr(os, "getuid") and owner == CONTAINER_UID and os.getuid() not in (0, CONTAINER_UID):
        return Finding(
            name,
            Outcome.WARNING,
            f"{packages} belongs to uid {CONTAINER_UID}, the container's user (the image's entrypoint hands it "
            "over when that user cannot write it). You cannot add or remove files there yourself; "
            "PyPI Desk uploads and deletes through the server.",
            f"To own it again: sudo chown -R $(id -u):$(id -g) {packages} "
            "(the container takes it back at its next start unless the folder is writable by all).",
        )
    if not os.access(packages, os.R_OK | os.X_OK):
        return Finding(
            name, Outcome.PROBLEM, f"{packages} cannot be read by this user.", f"sudo chown -R $(id -u) {packages}"
        )
    return Finding(name, Outcome.OK, f"{root} is readable and writable.")


def _password_file(services: DeskServices, settings: ServerSettings, status: ServerStatus) -> Finding:
    name = "Password file"
    path = services.server.data_dir.password_file
    if settings.auth == "none":
        return Finding(name, Outcome.SKIPPED, "Authentication is off: the server reads no password file.")
    if not path.exists():
        return Finding(name, Outcome.OK, f"{path} is created (empty) at the first start.")
    try:
        problems = services.users.problems()
    except DeskError as exc:
        return Finding(name, Outcome.PROBLEM, str(exc), f"Make {path} readable by this user.")
    if problems:
        listed = "; ".join(str(problem) for problem in problems[:3])
        return Finding(
            name,
            Outcome.PROBLEM,
            f"{len(problems)} line(s) the server cannot use ({listed}): it answers 500 to every upload.",
            "Remove the broken lines.",
            "repair_users",
        )
    if status.running and status.runtime == "docker":
        try:
            readable = services.server.server_can_read("/data/auth/.htpasswd")
        except DeskError:
            readable = None
        if readable is not None:
            if readable:
                return Finding(name, Outcome.OK, "The running container's user can read it.")
            return Finding(name, Outcome.PROBLEM, "The running container's user cannot read it.", _chmod_fix(path))
    if _others_can_read(path):
        return Finding(name, Outcome.OK, f"{path} is readable by the container's user (uid {CONTAINER_UID}).")
    return Finding(
        name, Outcome.PROBLEM, f"The container's user (uid {CONTAINER_UID}) cannot read {path}.", _chmod_fix(path)
    )


def _others_can_read(path: Path) -> bool:
    if os.name == "nt":
        return True
    mode, folder = path.stat(), path.parent.stat()
    file_ok = mode.st_uid == CONTAINER_UID or bool(mode.st_mode & stat.S_IROTH)
    folder_ok = folder.st_uid == CONTAINER_UID or bool(folder.st_mode & stat.S_IXOTH)
    return file_ok and folder_ok


def _chmod_fix(path: Path) -> str:
    return f"chmod 644 {path} && chmod 755 {path.parent}"


def _users(services: DeskServices, settings: ServerSettings) -> Finding:
    name = "Users"
    if settings.auth == "none":
        return Finding(name, Outcome.SKIPPED, "Authentication is off: anyone who reaches the server may upload.")
    try:
        count = len(services.users.users())
    except DeskError as exc:
        return Finding(name, Outcome.PROBLEM, str(exc))
    if count == 0:
        return Finding(
            name,
            Outcome.WARNING,
            "No user yet, so nobody can upload.",
            "Add a user.",
            "add_user",
        )
    return Finding(name, Outcome.OK, f"{count} user(s) may upload.")


def _pypirc(services: DeskServices, settings: ServerSettings) -> Finding:
    name = "~/.pypirc"
    path = services.pypirc
    try:
        sections = services.clients.sections_for(settings.url)
    except DeskError as exc:
        return Finding(name, Outcome.PROBLEM, str(exc))
    if not sections:
        return Finding(
            name,
            Outcome.WARNING,
            f"No section of {path} points at {settings.url}, so 'twine upload -r local' cannot reach this index.",
            "Write this server's section.",
            "set_up_client",
        )
    if os.name != "nt" and path.stat().st_mode & 0o077:
        return Finding(
            name,
            Outcome.WARNING,
            f"[{sections[0]}] points at this index, but other users can read {path}, which holds passwords.",
            f"chmod 600 {path}",
        )
    listed = ", ".join(f"[{section}]" for section in sections)
    return Finding(name, Outcome.OK, f"{listed} points at {settings.url}: twine upload -r {sections[0]} dist/*")


def _index(status: ServerStatus) -> Finding:
    name = "/simple/"
    if not status.running or not status.url:
        return Finding(
            name, Outcome.SKIPPED, "The server is not running.", "Start it, then check again.", "start_server"
        )
    url = f"{status.url}/simple/"
    try:
        response = requests.get(url, timeout=HTTP_TIMEOUT)
    except requests.RequestException as exc:
        return Finding(name, Outcome.PROBLEM, f"{url} does not answer: {exc}.", "Look at the server's log.")
    if response.status_code != 200:
        return Finding(name, Outcome.PROBLEM, f"{url} answers {response.status_code}.", "Look at the server's log.")
    return Finding(name, Outcome.OK, f"{url} answers: pip install NAME --index-url {url}")
