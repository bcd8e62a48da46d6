"""A Docker engine as the user names it: "" (this machine's default), a ``docker context`` name, or a URL.

Contexts are read as the docker CLI writes them (``docker context ls``; see
:mod:`gui.services.engines.contexts`), with their TLS files. An ``ssh://`` engine is reached
through one ``ssh`` that forwards the remote Docker socket (see :mod:`gui.services.engines.tunnels`
for why not the SDK's own ssh transports), so the user's ``~/.ssh/config``, agent and known_hosts
apply as they do for ``docker -H ssh://``. ``tcp://`` URLs use ``DOCKER_TLS_VERIFY`` and
``DOCKER_CERT_PATH`` as the CLI does.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import docker

from gui.services.engines.contexts import contexts, get_context
from gui.services.engines.tunnels import DockerSocketTunnel
from gui.services.errors import EngineUnavailableError

URL_SCHEMES = ("unix", "tcp", "ssh", "npipe", "http", "https")
_CONTEXT_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.+-]*$")
ClientFactory = Callable[[], docker.DockerClient]


@dataclass(frozen=True)
class EngineOption:
    """One engine the user may choose: ``ref`` is what to pass back, ``label`` what to show."""

    ref: str
    label: str
    url: str


@dataclass(frozen=True)
class Engine:
    """An engine reference, resolved to the URL the SDK talks to and its TLS settings."""

    ref: str = ""

    @property
    def is_default(self) -> bool:
        return self.ref in ("", "default")

    @property
    def is_url(self) -> bool:
        return "://" in self.ref

    def url(self) -> str:
        """The engine's address (``unix://…``, ``tcp://host:2376``, ``ssh://user@host``)."""
        if self.is_default:
            return os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
        if self.is_url:
            return self.ref
        return self._context_host

    @functools.cached_property
    def _context_host(self) -> str:
        """A context's address, read from its file once (not again at every status poll)."""
        return self._context().host or "unix:///var/run/docker.sock"

    def _context(self):
        context = get_context(self.ref)
        if context is None:
            names = ", ".join(["default", *(c.name for c in contexts())])
            raise EngineUnavailableError(
                f"There is no Docker context named {self.ref!r} (this machine has: {names}).",
                "Pick one that 'docker context ls' lists, or give the engine's URL, such as ssh://user@host.",
            )
        return context

    @property
    def is_ssh(self) -> bool:
        return urlsplit(self.url()).scheme == "ssh"

    @property
    def is_local(self) -> bool:
        """True when the engine runs on this machine (its published ports are this machine's)."""
        return self.host() is None

    def host(self) -> str | None:
        """The machine the engine runs on, as clients name it; None when that is this machine."""
        parts = urlsplit(self.url())
        if parts.scheme == "ssh":  # another machine by nature, even when reached through a name for this one
            return parts.hostname
        if parts.scheme in ("unix", "npipe") or parts.hostname in (None, "localhost", "127.0.0.1", "::1"):
            return None
        return parts.hostname

    def label(self) -> str:
        if self.is_default:
            return "This computer's Docker"
        return self.ref if self.is_url else f"{self.ref} ({self.url()})"

    def client(self) -> docker.DockerClient:
        """A client for this engine (raises when the reference, its TLS files or its ssh login are unusable)."""
        url = self.url()
        check_url(url)  # a URL typed, a shared context or DOCKER_HOST: input all the same
        if self.is_ssh:  # DOCKER_HOST=ssh://… too: the SDK alone would need paramiko for it
            return TunnelledClient.open(url)
        if self.is_default:
            return docker.from_env()
        if self.is_url:
            tls = docker.utils.kwargs_from_env().get("tls") if url.startswith("tcp://") else None
            return docker.DockerClient(base_url=url, tls=tls or False)
        return docker.DockerClient(base_url=url, tls=self._context().tls or False)

    @property
    def slug(self) -> str:
        """A short, file-name-safe name for this engine (for local state kept per engine)."""
        if self.is_default:
            return "default"
        text = re.sub(r"[^A-Za-z0-9_.-]+", "_", self.ref).strip("_.")
        return text[:80] or "engine"


class TunnelledClient(docker.DockerClient):
    """A client of another machine's engine through an SSH forward of its socket; closing it ends the forward."""

    tunnel: DockerSocketTunnel

    @classmethod
    def open(cls, url: str) -> TunnelledClient:
        tunnel = DockerSocketTunnel(url)
        client = cls(base_url=f"unix://{tunnel.start()}")
        client.tunnel = tunnel
        return client

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.tunnel.close()


def check_url(ref: str) -> None:
    parts = urlsplit(ref)
    if parts.scheme not in URL_SCHEMES or not (parts.netloc or parts.path):
        raise EngineUnavailableError(
            f"{ref!r} is not a Docker engine address.",
            "Use ssh://user@host, tcp://host:2376, unix:///path/to/docker.sock, or the name of a Docker context.",
        )
    if any(part.startswith("-") for part in (parts.hostname or "", parts.username or "")):
        raise EngineUnavailableError(
            f"{ref!r} has a host or user name that starts with '-', which ssh would take as an option.",
            "Use the machine's real name, such as ssh://deploy@pypi.team.lan.",
        )


def parse_engine(text: str | None) -> Engine:
    """The engine the user typed (a context name or a URL); blank is this machine's."""
    text = (text or "").strip()
    if text and "://" not in text and not _CONTEXT_NAME.match(text):
        raise EngineUnavailableError(
            f"{text!r} is neither a Docker context name nor an engine URL.",
            "Use a name that 'docker context ls' lists, or a URL such as ssh://user@host.",
        )
    engine = Engine(text)
    if engine.is_url:
        check_url(text)
    return engine


def engine_options() -> list[EngineOption]:
    """This machine's engine, then every Docker context the user has (as ``docker context ls`` lists them)."""
    options = [EngineOption("", Engine().label(), Engine().url())]
    for context in contexts():
        if context.name != "default":
            options.append(EngineOption(context.name, f"{context.name} ({context.host})", context.host))
    return options
