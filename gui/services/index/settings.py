"""A server's settings (port, bind address, image, auth, overwrite, upstream and fallback, runtime).

Stored as JSON in the data folder, written atomically; invalid values are
refused with a message and the previous file is kept.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from gui.services.atomic import write_atomic
from gui.services.errors import SettingsError
from gui.services.index.public_names import is_public_suffix, overlaps_public_index

DEFAULT_IMAGE = "pypiserver/pypiserver:latest"
DEFAULT_UPSTREAM = "https://pypi.org/simple/"
#: What the server does for a name it does not host.
FALLBACKS: dict[str, str] = {
    "cache": "Fetch it from upstream, verified, and keep it (works offline afterwards)",
    "redirect": "Send pip to upstream (nothing is kept)",
    "off": "Answer 404: only this index's own packages",
}

#: pypiserver's ``-a`` value for each auth mode the app offers.
AUTH_MODES: dict[str, str] = {
    "update": "Uploads and deletes need a password",
    "download,update": "Downloads need a password too",
    "list,download,update": "Everything needs a password",
    "none": "No passwords (anyone who can reach it may upload)",
}
RUNTIMES: dict[str, str] = {
    "auto": "Docker when available, else a local process",
    "docker": "Docker container",
    "process": "Local process (no Docker)",
}

_HOST_NAME = re.compile(
    r"^(?:[A-Za-z0-9*](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9-]{1,63})*$|^[0-9a-fA-F:.]+$"
)

# The distribution reference grammar, as Docker accepts it: [host[:port]/]path[:tag][@digest].
_IMAGE_RE = re.compile(
    r"^(?:(?:[a-zA-Z0-9-]+\.)*[a-zA-Z0-9-]+(?::[0-9]+)?/)?"
    r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"
    r"(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$"
)


@dataclass(frozen=True)
class ServerSettings:
    """Everything the app needs to run one server, besides its data folder."""

    port: int = 8080
    host: str = "127.0.0.1"
    image: str = DEFAULT_IMAGE
    auth: str = "update"
    overwrite: bool = False
    fallback: str = "cache"  # see FALLBACKS; folders from before the cache keep "redirect" (or "off")
    upstream: str = DEFAULT_UPSTREAM  # the index names this one does not host come from (PEP 503/691)
    cache_minutes: int = 10  # how long a kept upstream page is served before it is fetched again
    runtime: str = "auto"
    https: bool = False
    tls_names: str = ""  # extra names and addresses for the app's certificate, comma-separated
    tls_cert: str = ""  # your own certificate and key instead of the app's (both or neither)
    tls_key: str = ""
    tls_ca: str = ""  # the CA clients must trust for your own certificate ("" = the system's)
    public_name: str = ""  # the host name clients use ("" = this computer, or the engine's machine)
    usage_days: int = 90  # days each download's own record is kept (daily totals stay); 0 = record none
    trash_days: int = 30  # days files removed by a cleanup stay in the trash, restorable

    def validate(self) -> None:
        """Raise :class:`SettingsError` naming the first bad value and what to use."""
        for field in dataclasses.fields(self):
            value, wanted = getattr(self, field.name), _FIELD_TYPES[field.name]
            if isinstance(value, bool) is not (wanted is bool) or not isinstance(value, wanted):
                example = json.dumps(getattr(ServerSettings(), field.name))
                raise SettingsError(
                    f"{field.name} is {json.dumps(value)}, which is not {_TYPE_WORDS[wanted]} (such as {example})."
                )
        if isinstance(self.port, bool) or not isinstance(self.port, int) or not 1 <= self.port <= 65535:
            raise SettingsError(f"Port {self.port!r} is not usable: choose a number from 1 to 65535, such as 8080.")
        try:
            ipaddress.ip_address(self.host)
        except ValueError:
            raise SettingsError(
                f"Bind address {self.host!r} is not an IP address: use 127.0.0.1 (this computer only) "
                "or 0.0.0.0 (all interfaces, for a team)."
            ) from None
        if not _IMAGE_RE.match(self.image):
            raise SettingsError(f"{self.image!r} is not an image name: use a name such as {DEFAULT_IMAGE}.")
        if self.auth not in AUTH_MODES:
            raise SettingsError(f"Unknown authentication mode {self.auth!r}: use one of {', '.join(AUTH_MODES)}.")
        if self.fallback not in FALLBACKS:
            raise SettingsError(f"Unknown fallback {self.fallback!r}: use one of {', '.join(FALLBACKS)}.")
        if self.fallback != "off":  # answering 404, the server never asks upstream: its URL waits to be fixed
            self._validate_upstream()
        for name, top, unit in (("usage_days", 3650, "days"), ("trash_days", 3650, "days"),
                                ("cache_minutes", 10080, "minutes")):  # fmt: skip
            if not 0 <= getattr(self, name) <= top:
                raise SettingsError(f"{name} is {getattr(self, name)}: choose a number of {unit} from 0 to {top}.")
        if self.runtime not in RUNTIMES:
            raise SettingsError(f"Unknown runtime {self.runtime!r}: use one of {', '.join(RUNTIMES)}.")
        if bool(self.tls_cert) != bool(self.tls_key):
            raise SettingsError(
                "Your own certificate needs both files: tls_cert (the certificate) and tls_key (its private "
                "key). Give both, or neither to use PyPI Desk's own certificate."
            )
        if self.public_name and not _HOST_NAME.match(self.public_name):
            raise SettingsError(
                f"{self.public_name!r} is not a host name or an IP address for clients: use a name such as "
                "pypi.example.lan, or leave it empty."
            )
        for name in self.extra_names:
            if not _HOST_NAME.match(name):
                raise SettingsError(
                    f"{name!r} in tls_names is not a host name or an IP address: use names such as "
                    "pypi.example.lan or 192.168.1.20, separated by commas."
                )
        fallback_host = urlsplit(self.upstream).hostname or ""
        for setting, name in [("public_name", self.public_name)] + [("tls_names", n) for n in self.extra_names]:
            if "*" in name:
                raise SettingsError(
                    f"{name!r} in {setting} has a wildcard: give each name the server answers to, such as "
                    "pypi.example.lan."
                )
            if name and is_public_suffix(name):
                raise SettingsError(
                    f"{name!r} in {setting} is a public suffix (like org or co.uk), not a server's name: a "
                    "certificate for it would vouch for every site below it. Use the server's own name, such as "
                    "pypi.example.lan."
                )
            if name and overlaps_public_index(name, (fallback_host,)):
                raise SettingsError(
                    f"{name!r} in {setting} is (or holds) the public index's name ({fallback_host or 'pypi.org'}): "
                    "pip reaches it with the same trust, so this server's certificate authority must never vouch "
                    "for it. Use the server's own name, such as pypi.example.lan."
                )

    def _validate_upstream(self) -> None:
        if any(char.isspace() or not char.isprintable() for char in self.upstream):
            raise SettingsError(
                f"Upstream URL {self.upstream!r} has a space or a control character (a line break?): "
                f"type the URL alone, such as {DEFAULT_UPSTREAM}."
            )
        try:
            parts = urlsplit(self.upstream)
            parts.port  # noqa: B018 - raises for a port that is not one
        except ValueError:
            parts = urlsplit("")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SettingsError(
                f"Upstream URL {self.upstream!r} is not an http(s) URL: use {DEFAULT_UPSTREAM}, or another index's "
                "simple API (such as https://pypi.example.com/simple/)."
            )
        if parts.username is not None or parts.password is not None:
            raise SettingsError(
                "Give the upstream URL without a user name or password (a redirect would hand them to every client, "
                "and the log would show them): set the URL alone, with fallback=cache, then `pypi-desk cache login "
                "USER` keeps the password with the server's secrets."
            )
        if parts.hostname in ("pypi.org", "www.pypi.org") and parts.path.rstrip("/") != "/simple":
            raise SettingsError(f"{self.upstream!r} is PyPI's site, not its index: use {DEFAULT_UPSTREAM}.")
        local = ("127.0.0.1", "localhost", "::1", "0.0.0.0", self.host, self.public_name)
        if parts.hostname in local and (parts.port or {"http": 80, "https": 443}[parts.scheme]) == self.port:
            raise SettingsError(
                f"{self.upstream!r} is this server itself: every name it does not host would ask itself. Give "
                f"another index, such as {DEFAULT_UPSTREAM}."
            )
        if parts.query or parts.fragment:
            raise SettingsError(f"{self.upstream!r} has a query or a fragment: give the upstream index URL only.")

    @property
    def redirect_url(self) -> str:
        """Where pypiserver sends pip for names it lacks ("" : nowhere); the cache answers them itself."""
        return self.upstream if self.fallback == "redirect" else ""

    @property
    def exposed(self) -> bool:
        """True when other machines can reach the server."""
        return not ipaddress.ip_address(self.host).is_loopback

    @property
    def local_host(self) -> str:
        """The address this machine uses to reach the server."""
        address = ipaddress.ip_address(self.host)
        if address.is_unspecified:
            return "127.0.0.1" if address.version == 4 else "[::1]"
        return f"[{self.host}]" if address.version == 6 else self.host

    @property
    def scheme(self) -> str:
        return "https" if self.https else "http"

    @property
    def url(self) -> str:
        """The address clients use: the public name when there is one, else how this computer reaches it."""
        host = self.public_name or self.local_host
        host = f"[{host}]" if ":" in host and not host.startswith("[") else host
        return f"{self.scheme}://{host}:{self.port}"

    @property
    def extra_names(self) -> list[str]:
        """The names and addresses the user added for the certificate."""
        return [name.strip() for name in self.tls_names.split(",") if name.strip()]

    def warnings(self) -> list[str]:
        """Plain-words risks of these settings, for the window and the command line."""
        found = []
        if self.exposed and self.auth == "none":
            found.append(
                f"The server listens on {self.host} without passwords: anyone on your network "
                "can upload or replace packages. Turn authentication on, or bind to 127.0.0.1."
            )
        if self.exposed and not self.https and self.auth != "none":
            found.append(
                f"The server listens on {self.host} without HTTPS: passwords cross the network in clear text, "
                "and pip refuses the host unless told --trusted-host. Turn on HTTPS."
            )
        return found

    def replace(self, **changes: object) -> ServerSettings:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


def load_settings(path: Path) -> ServerSettings:
    """Read settings; a missing file gives the defaults."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return ServerSettings()
    except (OSError, ValueError) as exc:
        raise SettingsError(
            f"Cannot read the settings file {path}: {exc}. Fix or delete it to start from the defaults."
        ) from exc
    if not isinstance(raw, dict):
        raise SettingsError(f"The settings file {path} does not hold a JSON object. Fix or delete it.")
    try:
        return settings_from_mapping(raw)
    except SettingsError as exc:
        raise SettingsError(
            f"The settings file {path} has a value PyPI Desk cannot use. {exc} "
            "Fix that field, or delete the file to start from the defaults."
        ) from exc


def settings_from_mapping(raw: dict) -> ServerSettings:
    """Settings from stored JSON: keys this version does not know are left out; raises SettingsError."""
    known = {field.name for field in dataclasses.fields(ServerSettings)}
    raw = _from_before_the_cache(raw)
    settings = ServerSettings(**{key: value for key, value in raw.items() if key in known})
    settings.validate()
    return settings


def _from_before_the_cache(raw: dict) -> dict:
    """Settings written before the cache had ``fallback_url`` (empty: none): they keep redirecting (or not)."""
    if "fallback_url" not in raw or "fallback" in raw:
        return raw
    old = raw["fallback_url"]
    changed = {key: value for key, value in raw.items() if key != "fallback_url"}
    changed["fallback"] = "redirect" if old else "off"
    if old:
        changed.setdefault("upstream", _without_login(old))
    return changed


def _without_login(url: object) -> object:
    """An old fallback URL without its ``user:password@`` (a redirect handed them to every client)."""
    if not isinstance(url, str):
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if parts.username is None and parts.password is None:
        return url
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()


def settings_json(settings: ServerSettings) -> bytes:
    """The settings as they are stored: in the data folder, and in a server's volume."""
    return (json.dumps(dataclasses.asdict(settings), indent=2, sort_keys=True) + "\n").encode("utf-8")


#: The JSON type each field must have: "false" in quotes is a string, and a string is not "off".
_FIELD_TYPES: dict[str, type] = {
    "port": int,
    "host": str,
    "image": str,
    "auth": str,
    "overwrite": bool,
    "fallback": str,
    "upstream": str,
    "cache_minutes": int,
    "runtime": str,
    "https": bool,
    "tls_names": str,
    "tls_cert": str,
    "tls_key": str,
    "tls_ca": str,
    "public_name": str,
    "usage_days": int,
    "trash_days": int,
}
_TYPE_WORDS = {int: "a whole number", str: "text in quotes", bool: "true or false (without quotes)"}


def save_settings(path: Path, settings: ServerSettings) -> None:
    """Validate, then replace the file atomically; on a bad value nothing is written."""
    settings.validate()
    write_atomic(path, settings_json(settings), mode=0o644)


_ON, _OFF = ("on", "true", "yes", "1"), ("off", "false", "no", "0")
_PATH_FIELDS = ("tls_cert", "tls_key", "tls_ca")


def settings_as_text(settings: ServerSettings) -> list[tuple[str, str]]:
    """Each setting as ``pypi-desk settings set`` takes it back (booleans as on/off)."""
    shown = []
    for field in dataclasses.fields(settings):
        value = getattr(settings, field.name)
        shown.append((field.name, ("on" if value else "off") if isinstance(value, bool) else str(value)))
    return shown


def settings_with_text(settings: ServerSettings, changes: list[str]) -> ServerSettings:
    """``settings`` with ``KEY=VALUE`` changes typed and checked; raises naming the bad one and what to use."""
    types = {field.name: _FIELD_TYPES[field.name] for field in dataclasses.fields(settings)}
    typed: dict[str, object] = {}
    for change in changes:
        key, sep, text = change.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or key not in types:
            raise SettingsError(
                f"{change!r} is not KEY=VALUE with a known key: use one of {', '.join(types)} (such as port=8080)."
            )
        wanted = types[key]
        if wanted is int:
            try:
                typed[key] = int(text)
            except ValueError:
                example = getattr(ServerSettings(), key)
                raise SettingsError(f"{key} must be a whole number, such as {example}; {text!r} is not.") from None
        elif wanted is bool:
            if text.lower() not in _ON + _OFF:
                raise SettingsError(f"{key} is on or off; {text!r} is neither.")
            typed[key] = text.lower() in _ON
        elif key in _PATH_FIELDS and text.strip():
            typed[key] = str(Path(text.strip()).expanduser().absolute())  # as typed, from where it was typed
        else:
            typed[key] = text
    changed = dataclasses.replace(settings, **typed)  # type: ignore[arg-type]
    changed.validate()
    return changed
