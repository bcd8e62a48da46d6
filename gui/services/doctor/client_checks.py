"""The Doctor's checks of what twine, pip and uv read from the system keyring for this server."""

from __future__ import annotations

from gui.services.clients import pypirc_reader
from gui.services.clients.keyring_command import KEYRING_COMMAND_FIX, keyring_commands, pip_skips
from gui.services.clients.pip_conf import pip_config_path, uses_keyring
from gui.services.clients.uv_toml import uses_keyring as uv_uses_keyring
from gui.services.clients.uv_toml import uv_config_path
from gui.services.core import DeskServices
from gui.services.doctor.findings import Finding, Outcome
from gui.services.errors import DeskError
from gui.services.index.settings import ServerSettings


def keyring(services: DeskServices, settings: ServerSettings) -> Finding:
    """A backend works, and it holds the right password for the user ``.pypirc`` names for this server."""
    name = "System keyring"
    clients = services.clients
    try:
        sections = [
            r for r in pypirc_reader.repositories(services.pypirc) if pypirc_reader.same_server(r.url, settings.url)
        ]
    except DeskError:
        return Finding(name, Outcome.SKIPPED, "~/.pypirc cannot be read (see its check).")
    relying = [r for r in sections if r.username and not r.password]
    state = clients.keyring_state()
    if not relying:
        plain = clients.plaintext_sections(settings.url) if settings.auth != "none" else []
        if plain and state.usable:
            return Finding(
                name,
                Outcome.WARNING,
                f"{services.pypirc} holds the password for this server in clear ([{plain[0]}]); the system "
                f"keyring ({state.backend}) could hold it instead.",
                "Move the password into the keyring.",
                "move_to_keyring",
            )
        detail = "No client of this machine reads this server's password from the keyring."
        return Finding(name, Outcome.SKIPPED, detail if state.usable else f"{detail} {state.problem}")
    if not state.usable:
        return Finding(
            name, Outcome.PROBLEM, f"[{relying[0].name}] leaves the password to the keyring, but: {state.problem}"
        )
    section = relying[0]
    try:
        password = clients.keyring.get(section.url, section.username)
    except DeskError as exc:
        return Finding(name, Outcome.PROBLEM, str(exc))
    if password is None:
        return Finding(
            name,
            Outcome.PROBLEM,
            f"The keyring ({state.backend}) has no password for {section.username} at {section.url}: twine, pip "
            "and uv will be refused.",
            "Set up the client again (it stores the password).",
            "set_up_client",
        )
    if settings.auth != "none":
        try:
            known = section.username in {user.name for user in services.users.users()}
            matches = known and services.users.verify(section.username, password)
        except DeskError:
            matches = True  # the password file's own problems are reported by its check
        if not matches:
            why = "is not a user of this server" if not known else "has another password now"
            return Finding(
                name,
                Outcome.PROBLEM,
                f"The keyring holds a password for {section.username}, who {why}: uploads are refused.",
                "Set up the client again.",
                "set_up_client",
            )
    return Finding(name, Outcome.OK, f"{state.backend} holds {section.username}'s password for {section.url}.")


def keyring_command(services: DeskServices, settings: ServerSettings) -> Finding:
    """pip's and uv's ``subprocess`` provider runs the ``keyring`` command found on PATH; pip skips one in its
    own environment's scripts folder. Without one they are refused only where downloads need a password."""
    name = "keyring command"
    readers = [
        label
        for label, path, check in (("pip", pip_config_path(), uses_keyring), ("uv", uv_config_path(), uv_uses_keyring))
        if check(path)
    ]
    if not readers:
        return Finding(name, Outcome.SKIPPED, "Neither pip's nor uv's configuration asks the keyring.")
    found = keyring_commands()
    usable = {label: [c for c in found if not (label == "pip" and pip_skips(c))] for label in readers}
    missing = [label for label in readers if not usable[label]]
    if not missing:
        asked = "; ".join(f"{label} asks {usable[label][0]}" for label in readers)
        return Finding(name, Outcome.OK, f"{asked} for the password.")
    lacking = " and ".join(missing)
    if found and missing == ["pip"]:
        why = f"the only keyring command on PATH, {found[0]}, is in pip's own environment, which pip skips"
    else:
        why = "there is no keyring command on PATH"
    if "download" not in settings.auth:
        return Finding(
            name,
            Outcome.WARNING,
            f"{lacking} would ask the keyring command for the password, but {why}. Downloads from this server need "
            "no password, so installing works now; only if downloads came to need one would they be refused.",
            KEYRING_COMMAND_FIX,
        )
    return Finding(
        name,
        Outcome.PROBLEM,
        f"{lacking} ask the keyring command for the password, but {why}: their downloads will be refused.",
        KEYRING_COMMAND_FIX,
    )
