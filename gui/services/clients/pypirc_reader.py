"""The one reader of ``~/.pypirc``: which sections reach a server, and their credentials, as twine sees them.

twine (``twine.utils.get_config``) reads the file with ``RawConfigParser`` (no
interpolation), takes the names in ``[distutils] index-servers`` (``pypi testpypi``
when there is none) and for each of those its ``repository``, ``username`` and
``password``, with ``[server-login]`` as the fallback for the last two. A section
that is not listed is invisible to ``twine upload -r NAME``, so it is invisible here
too: the app's uploads, the Doctor and the first-run guide all ask this module and
so always agree.

Two addresses name the same server when scheme, host, port (80 and 443 filled in
when absent) and path (without its trailing ``/``) agree; ``localhost`` stands for
either loopback address (it resolves to both), while ``127.0.0.1`` and ``::1`` stay
different servers (one may listen where the other does not).
"""

from __future__ import annotations

import configparser
import ipaddress
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from gui.services.clients.file_change import read_text
from gui.services.errors import PypircError

TWINE_DEFAULT_SERVERS = ("pypi", "testpypi")
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str


@dataclass(frozen=True)
class Repository:
    """One index twine can upload to: a section listed in ``index-servers``."""

    name: str
    url: str
    username: str
    password: str
    own_password: bool = False  # the section's own ``password`` line, not ``[server-login]``'s


def default_pypirc() -> Path:
    return Path.home() / ".pypirc"


def parse(text: str, path: Path) -> configparser.RawConfigParser:
    """The file as twine reads it; a file twine would refuse (a section twice, a broken line) is refused."""
    parser = configparser.RawConfigParser()
    try:
        parser.read_string(text, source=str(path))
    except configparser.Error as exc:
        reason = " ".join(str(exc).split())
        raise PypircError(
            f"{path} cannot be read as twine reads it ({reason}); twine would refuse it too. "
            "Fix that line, then try again."
        ) from exc
    return parser


def repositories(path: Path) -> list[Repository]:
    """The indexes twine can upload to with this file, in ``index-servers`` order."""
    text = read_text(path.resolve() if path.is_symlink() else path)
    if text is None:
        return []
    parser = parse(text, path)
    listed = parser.get("distutils", "index-servers", fallback=" ".join(TWINE_DEFAULT_SERVERS)).split()
    default_user = parser.get("server-login", "username", fallback="")
    default_password = parser.get("server-login", "password", fallback="")
    return [
        Repository(
            name,
            parser.get(name, "repository", fallback=""),
            parser.get(name, "username", fallback=default_user),
            parser.get(name, "password", fallback=default_password),
            parser.has_option(name, "password"),
        )
        for name in dict.fromkeys(listed)
        if parser.has_section(name)
    ]


def same_server(one: str, other: str) -> bool:
    """True when two index addresses reach the same server (see the module docstring)."""
    a, b = _address(one), _address(other)
    if a is None or b is None:
        return False
    (scheme_a, host_a, port_a, path_a), (scheme_b, host_b, port_b, path_b) = a, b
    return (scheme_a, port_a, path_a) == (scheme_b, port_b, path_b) and _same_host(host_a, host_b)


def _address(url: str) -> tuple[str, str, int | None, str] | None:
    parts = urlsplit(url.strip())
    if not parts.scheme or not parts.hostname:
        return None
    try:
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme.lower())
    except ValueError:
        return None
    return parts.scheme.lower(), parts.hostname.lower(), port, parts.path.rstrip("/")


def _same_host(one: str, other: str) -> bool:
    if one == other:
        return True
    if "localhost" not in (one, other):
        return False
    ip = other if one == "localhost" else one
    try:
        return ipaddress.ip_address(ip).is_loopback
    except ValueError:
        return False


def sections_for(path: Path, url: str) -> list[str]:
    """The sections twine would use to reach ``url``."""
    return [repository.name for repository in repositories(path) if same_server(repository.url, url)]


def credentials_for(path: Path, url: str) -> Credentials | None:
    """The user name and password of the first section that reaches ``url`` with both set."""
    for repository in repositories(path):
        if same_server(repository.url, url) and repository.username and repository.password:
            return Credentials(repository.username, repository.password)
    return None
