"""The user's ``docker context`` entries, read where the docker CLI writes them.

The Docker SDK's own reader (``docker.context.ContextAPI``) finds the contexts folder only
when ``~/.docker/config.json`` exists (without it, it looks in a relative ``contexts`` folder),
and ``docker context create`` does not make that file. So this reads the CLI's layout itself:
``$DOCKER_CONFIG`` (default ``~/.docker``) ``/contexts/meta/<sha256 of the name>/meta.json``,
with TLS files under ``contexts/tls/<same>/docker/``, and builds the SDK's ``TLSConfig``.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from docker.tls import TLSConfig


@dataclass(frozen=True)
class DockerContext:
    name: str
    host: str
    tls: TLSConfig | None


def config_dir() -> Path:
    return Path(os.environ.get("DOCKER_CONFIG") or Path.home() / ".docker")


def _load(meta: Path) -> DockerContext | None:
    try:
        data = json.loads(meta.read_text(encoding="utf-8"))
        name = data["Name"]
        endpoint = data.get("Endpoints", {}).get("docker", {})
    except (OSError, ValueError, KeyError, AttributeError):
        return None  # a broken entry is left out, as the CLI does
    host = endpoint.get("Host") or ""
    tls_dir = meta.parent.parent.parent / "tls" / meta.parent.name / "docker"
    tls = None
    if host.startswith("tcp://") and tls_dir.is_dir():
        files = {name: tls_dir / name for name in ("ca.pem", "cert.pem", "key.pem") if (tls_dir / name).is_file()}
        client_cert = (
            (str(files["cert.pem"]), str(files["key.pem"])) if "cert.pem" in files and "key.pem" in files else None
        )
        ca = str(files["ca.pem"]) if "ca.pem" in files else None
        tls = TLSConfig(client_cert=client_cert, ca_cert=ca, verify=not endpoint.get("SkipTLSVerify", False))
    return DockerContext(name, host, tls)


def contexts() -> list[DockerContext]:
    """Every context the docker CLI lists, by name."""
    metas = sorted((config_dir() / "contexts" / "meta").glob("*/meta.json"))
    found = [context for context in map(_load, metas) if context is not None]
    return sorted(found, key=lambda context: context.name)


def get_context(name: str) -> DockerContext | None:
    meta = config_dir() / "contexts" / "meta" / hashlib.sha256(name.encode()).hexdigest() / "meta.json"
    return _load(meta) if meta.is_file() else None
