"""The ``keyring`` command pip and uv run for a password (``keyring-provider = subprocess``), as they find it.

Both run the first ``keyring`` on PATH; pip skips one in the scripts folder of its own
environment (so a ``keyring`` installed beside pip in a virtual environment is not used by that
pip). Client setup says so when it writes the provider, and the Doctor checks it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

KEYRING_COMMAND_FIX = (
    "Install the keyring command once for your user, outside any virtual environment (pip skips one in its "
    "own environment's scripts folder): pipx install keyring, or uv tool install keyring "
    "(Debian and Ubuntu: sudo apt install python3-keyring)."
)


def keyring_commands() -> list[Path]:
    """Every ``keyring`` command on PATH, in the order a shell finds them."""
    found: list[Path] = []
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        hit = shutil.which("keyring", path=folder) if folder else None
        if hit and Path(hit) not in found:
            found.append(Path(hit))
    return found


def pip_scripts_folder() -> Path | None:
    """The scripts folder of the environment the ``pip`` on PATH runs in."""
    pip = shutil.which("pip") or shutil.which("pip3")
    return Path(pip).parent if pip else None


def pip_skips(command: Path) -> bool:
    """Whether the ``pip`` on PATH passes over ``command`` (it sits in pip's own scripts folder)."""
    folder = pip_scripts_folder()
    if folder is None:
        return False
    try:
        return command.parent.samefile(folder)
    except OSError:
        return False


def command_note(pip: bool, uv: bool, downloads_need_password: bool) -> str:
    """What client setup says when pip's or uv's file asks the keyring command for the password."""
    clients = " and ".join(name for name, used in (("pip", pip), ("uv", uv)) if used)
    on_path = keyring_commands()
    usable = [c for c in on_path if not pip_skips(c)] if pip else on_path
    if usable:
        have = f"it is on PATH ({usable[0]})."
    elif on_path:
        have = f"the only one on PATH ({on_path[0]}) is in pip's own environment, which pip skips. "
        have += KEYRING_COMMAND_FIX
    else:
        have = f"there is none on PATH yet. {KEYRING_COMMAND_FIX}"
    when = "" if downloads_need_password else " (this server asks for it only on upload: downloads work without)"
    return f"{clients} get the password by running the keyring command{when}; {have}"
