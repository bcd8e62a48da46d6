"""The Doctor's checks of a server whose data is a Docker volume: all through the engine, none on this disk."""

from __future__ import annotations

from gui.services.core import DeskServices
from gui.services.doctor.findings import CONTAINER_UID, Finding, Outcome
from gui.services.errors import DeskError
from gui.services.index.settings import ServerSettings
from gui.services.server.runtime import ServerStatus
from gui.services.volume.layout import PACKAGES, PASSWORD_FILE, in_container

#: One helper run: does packages/ exist, who owns it, how many files the server's user does not own.
_FACTS = f"""
if [ -d {in_container(PACKAGES)} ]; then stat -c 'packages %u' {in_container(PACKAGES)}; fi
echo "foreign $(find {in_container(PACKAGES)} -type f ! -user {CONTAINER_UID} 2>/dev/null | wc -l)"
if [ -f {in_container(PASSWORD_FILE)} ]; then stat -c 'password %a' {in_container(PASSWORD_FILE)}; fi
"""


def volume(services: DeskServices, status: ServerStatus) -> Finding:
    name = "Data volume"
    files = services.server.volume
    assert files is not None
    where = services.data_dir.describe()
    try:
        if not files.exists():
            if status.running:
                return Finding(name, Outcome.PROBLEM, f"The server runs, but {where} is gone.", "", "restart_server")
            return Finding(name, Outcome.OK, f"{where} is created at the first start.")
        facts = dict(
            line.split(" ", 1) for line in files.run(_FACTS, what="check the files").splitlines() if " " in line
        )
    except DeskError as exc:
        return Finding(name, Outcome.PROBLEM, str(exc))
    if "packages" not in facts:
        return Finding(name, Outcome.PROBLEM, f"{where} has no packages folder.", "", "restart_server")
    if facts["packages"].strip() != str(CONTAINER_UID):
        return Finding(
            name,
            Outcome.PROBLEM,
            f"packages/ in {where} belongs to uid {facts['packages'].strip()}, not the server's user "
            f"(uid {CONTAINER_UID}): uploads fail.",
            "Start the server again: the start hands the folder to the server's user.",
            "restart_server",
        )
    foreign = int(facts.get("foreign", "0").strip() or 0)
    if foreign:
        return Finding(
            name,
            Outcome.WARNING,
            f"{foreign} file(s) under packages/ in {where} do not belong to the server's user: it cannot delete them.",
            "Start the server again: the start hands them to the server's user.",
        )
    return Finding(name, Outcome.OK, f"{where} holds the packages and users; the server's user owns packages/.")


def password_file(services: DeskServices, settings: ServerSettings) -> Finding:
    name = "Password file"
    if settings.auth == "none":
        return Finding(name, Outcome.SKIPPED, "Authentication is off: the server reads no password file.")
    try:
        problems = services.users.problems()
    except DeskError as exc:
        return Finding(name, Outcome.PROBLEM, str(exc))
    if problems:
        listed = "; ".join(str(problem) for problem in problems[:3])
        repairable = all(problem.repairable for problem in problems)
        return Finding(
            name,
            Outcome.PROBLEM,
            listed,
            "Remove the broken lines." if repairable else problems[0].fix[:1].upper() + problems[0].fix[1:],
            "repair_users" if repairable else "",
        )
    return Finding(name, Outcome.OK, f"{PASSWORD_FILE} in the volume: every line is one the server can use.")
