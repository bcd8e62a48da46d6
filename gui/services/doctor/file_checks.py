"""The Doctor's checks of the files: the data folder, the package files, the password file, ~/.pypirc."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from gui.services.clients import pypirc_reader
from gui.services.core import DeskServices
from gui.services.doctor.findings import CONTAINER_UID, Finding, Outcome
from gui.services.errors import DeskError
from gui.services.index.settings import ServerSettings
from gui.services.server.runtime import ServerStatus
from gui.services.users.rules import PUBLISH


def data_dir(services: DeskServices, status: ServerStatus) -> Finding:
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
        if status.running:
            return Finding(
                name,
                Outcome.PROBLEM,
                f"{packages} was removed while the server runs: it cannot store uploads (they answer 500).",
                "Stop the server and start it again: the start makes the folder anew.",
                "restart_server",
            )
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


def password_file(services: DeskServices, settings: ServerSettings, status: ServerStatus) -> Finding:
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
    blocking = [problem for problem in problems if problem.blocks_edits]
    if blocking:
        listed = "; ".join(str(problem) for problem in blocking[:3])
        return Finding(
            name,
            Outcome.PROBLEM,
            f"{len(blocking)} line(s) the server cannot read ({listed}): it answers 500 to every login.",
            "Remove the broken lines.",
            "repair_users",
        )
    if problems:  # the file loads; these are about who can log in, and how safely
        listed = "; ".join(str(problem) for problem in problems[:3])
        repairable = all(problem.repairable for problem in problems)
        return Finding(
            name,
            Outcome.PROBLEM,
            f"{listed}",
            "Remove the broken lines." if repairable else problems[0].fix[:1].upper() + problems[0].fix[1:],
            "repair_users" if repairable else "",
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


def users(services: DeskServices, settings: ServerSettings) -> Finding:
    name = "Users"
    if settings.auth == "none":
        return Finding(name, Outcome.SKIPPED, "Authentication is off: anyone who reaches the server may upload.")
    try:
        everyone = services.users.users()
    except DeskError as exc:
        return Finding(name, Outcome.PROBLEM, str(exc))
    if not everyone:
        return Finding(
            name,
            Outcome.WARNING,
            "No user yet, so nobody can upload.",
            "Add a user.",
            "add_user",
        )
    publishers = sum(user.role == PUBLISH for user in everyone)
    readers = len(everyone) - publishers
    also = f"; {_count(readers, 'reader')} may list and download" if readers else ""
    if not publishers:
        return Finding(
            name,
            Outcome.WARNING,
            f"Nobody may upload: {'the one user is a reader' if readers == 1 else f'all {readers} users are readers'}.",
            "Add a publisher, or make a user a publisher.",
            "add_user",
        )
    return Finding(name, Outcome.OK, f"{_count(publishers, 'publisher')} may upload{also}.")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def pypirc(services: DeskServices, settings: ServerSettings) -> Finding:
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
    stale = _stale_credentials(services, settings)
    if stale:
        return Finding(name, Outcome.PROBLEM, stale, "Write this server's section again.", "set_up_client")
    listed = ", ".join(f"[{section}]" for section in sections)
    return Finding(name, Outcome.OK, f"{listed} points at {settings.url}: twine upload -r {sections[0]} dist/*")


def _stale_credentials(services: DeskServices, settings: ServerSettings) -> str:
    """Why the user and password ~/.pypirc holds for this server would be refused, or ""."""
    if settings.auth == "none":
        return ""
    try:
        saved = pypirc_reader.credentials_for(services.pypirc, settings.url)  # the file's own password
        if saved is None:
            return ""
        if saved.username not in {user.name for user in services.users.users()}:
            return (
                f"{services.pypirc} logs in as {saved.username}, who is not a user of this server: uploads are refused."
            )
        if not services.users.verify(saved.username, saved.password):
            return (
                f"The password {services.pypirc} holds for {saved.username} is not {saved.username}'s password "
                "any more (it was changed since): uploads are refused with 403."
            )
    except DeskError:
        return ""  # the password file's own problems are reported above
    return ""


def package_files(services: DeskServices, settings: ServerSettings, status: ServerStatus) -> Finding:
    """Files the server's own user cannot read answer 500 (their project's page with them)."""
    name = "Package files"
    packages = services.data_dir.packages_dir
    if not packages.is_dir():
        return Finding(name, Outcome.SKIPPED, "There is no packages folder yet.")
    in_docker = status.runtime == "docker" if status.running else settings.runtime != "process"
    reader = f"the container's user (uid {CONTAINER_UID})" if in_docker else "the server's user (you)"
    can_read = _readable_by_container if in_docker else _readable_by_me
    unreadable = [path for path in _walk(packages) if not can_read(path)]
    if not unreadable:
        return Finding(name, Outcome.OK, f"Every file in {packages} is readable by {reader}.")
    shown = ", ".join(str(path.relative_to(packages)) for path in unreadable[:5])
    more = f" and {len(unreadable) - 5} more" if len(unreadable) > 5 else ""
    return Finding(
        name,
        Outcome.PROBLEM,
        f"{len(unreadable)} file(s) cannot be read by {reader}, so their pages answer 500: {shown}{more}.",
        f"Make them readable: chmod -R a+rX {packages}",
    )


def _walk(folder: Path) -> list[Path]:
    """Every file and folder below ``folder`` (the folders too: the server must enter them)."""
    found: list[Path] = []
    pending = [folder]
    while pending:
        try:
            entries = list(os.scandir(pending.pop()))
        except OSError:
            continue
        for entry in entries:
            found.append(Path(entry.path))
            if entry.is_dir(follow_symlinks=False):
                pending.append(Path(entry.path))
    return found


def _readable_by_container(path: Path) -> bool:
    try:
        info = path.stat()
    except OSError:
        return False
    need = 0o5 if stat.S_ISDIR(info.st_mode) else 0o4  # folders: read and enter
    if info.st_uid == CONTAINER_UID:
        return (info.st_mode >> 6) & need == need
    if info.st_gid == CONTAINER_UID:
        return (info.st_mode >> 3) & need == need
    return info.st_mode & need == need


def _readable_by_me(path: Path) -> bool:
    return os.access(path, os.R_OK | (os.X_OK if path.is_dir() else 0))
