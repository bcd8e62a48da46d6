"""How this machine reaches a server's published port: directly, by the engine host's name, or through an SSH tunnel."""

from __future__ import annotations

import ipaddress

from gui.services.engines.choice import Engine
from gui.services.engines.tunnels import SshTunnel
from gui.services.index.settings import ServerSettings


class Reach:
    """The URL of a server on ``engine`` for this machine's clients; holds the tunnels it opened."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._tunnels: dict[int, SshTunnel] = {}

    def url(self, *, scheme: str, bind_host: str, port: int, public_name: str = "") -> tuple[str | None, str]:
        """(URL, a note in words when it is not the plain one); the URL is None when unreachable from here."""
        host = self.engine.host()
        address = ipaddress.ip_address(bind_host)
        if host is None:
            return f"{scheme}://{ServerSettings(host=bind_host).local_host}:{port}", ""
        if not address.is_loopback:
            return f"{scheme}://{public_name or host}:{port}", ""
        if self.engine.is_ssh:
            tunnel = self._tunnels.get(port)
            if tunnel is None:
                tunnel = self._tunnels[port] = SshTunnel(self.engine.url(), port, bind_host)
            local_port = tunnel.start()
            return f"{scheme}://127.0.0.1:{local_port}", (
                f"The server listens only on {host}'s loopback: PyPI Desk reaches it through an SSH tunnel "
                f"(127.0.0.1:{local_port} on this computer), open while PyPI Desk runs. For teammates, bind it "
                "to 0.0.0.0 with HTTPS on."
            )
        return None, (
            f"The server listens only on {host}'s own loopback ({bind_host}), which this computer cannot reach. "
            "Bind it to 0.0.0.0 (with HTTPS on), or manage the engine over ssh:// so PyPI Desk can open a tunnel."
        )

    def close(self) -> None:
        for tunnel in self._tunnels.values():
            tunnel.close()
        self._tunnels.clear()
