"""Where a server in a Docker volume is: its volume and engine, and the folder of this machine that keeps
PyPI Desk's own state for it (settings, the CA, locks; never the data)."""

from __future__ import annotations

from pathlib import Path

import platformdirs

from gui.services.engines.choice import parse_engine
from gui.services.index.datadir import DataDir
from gui.services.volume.layout import check_volume_name


def volume_state_dir(engine_slug: str, volume: str) -> Path:
    """Where PyPI Desk keeps its own state for a server in a volume (settings, the CA, locks): never the data."""
    return platformdirs.user_state_path("pypi-desk", appauthor=False) / "volumes" / engine_slug / volume


def open_volume(volume: str, engine: str = "") -> DataDir:
    """The server whose data is the named volume on ``engine`` (a context name or URL; "" is this machine's)."""
    check_volume_name(volume)
    slug = parse_engine(engine).slug
    return DataDir(root=volume_state_dir(slug, volume), legacy_layout=False, volume=volume, engine=engine.strip())
