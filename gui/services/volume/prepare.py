"""Everything a server in a volume needs before it starts, put into the volume through the API.

PyPI Desk's launcher (replaced at each start, so it always matches the app that starts the
server), the settings (for whoever adopts the volume), the server certificate and key when
HTTPS is on, an empty password file and a packages folder the server's user owns.
"""

from __future__ import annotations

import json
from pathlib import Path

from gui.services.errors import SettingsError
from gui.services.index.settings import ServerSettings, settings_from_mapping, settings_json
from gui.services.names import SERVER_UID
from gui.services.server.inside import LAUNCHER_DIR
from gui.services.volume.files import VolumeFiles
from gui.services.volume.layout import (
    AUTH,
    LAUNCHER,
    PACKAGES,
    PASSWORD_FILE,
    SETTINGS,
    TLS,
    UPSTREAM_CA,
    in_container,
)

_SETUP = f"""
mkdir -p {in_container(AUTH)} {in_container(PACKAGES)}
chmod 755 {in_container(AUTH)}
if [ ! -e {in_container(PASSWORD_FILE)} ]; then
  : > {in_container(PASSWORD_FILE)}; chmod 644 {in_container(PASSWORD_FILE)}
fi
chown {SERVER_UID}:{SERVER_UID} {in_container(PACKAGES)}
"""


def launcher_files() -> dict[str, bytes]:
    return {f"{LAUNCHER}/{path.name}": path.read_bytes() for path in sorted(LAUNCHER_DIR.glob("*.py"))}


def prepare_volume(
    files: VolumeFiles, settings: ServerSettings, tls_dir: Path, upstream_ca: Path | None = None
) -> None:
    """Create the volume when missing and put in what the server reads (with the CA bundle for upstream, when
    the cache reaches it through one); raises DeskError in words."""
    if not files.exists():
        files.create()
    files.run(_SETUP, what="prepare the folders")
    public = {**launcher_files(), SETTINGS: settings_json(settings)}
    if settings.https:
        public[f"{TLS}/server.pem"] = (tls_dir / "server.pem").read_bytes()
        files.write({f"{TLS}/server-key.pem": (tls_dir / "server-key.pem").read_bytes()}, private=True)
    if upstream_ca is not None:
        public[UPSTREAM_CA] = upstream_ca.read_bytes()
    files.write(public)


def saved_settings(files: VolumeFiles) -> ServerSettings | None:
    """The settings the volume carries (None when it has none, or none this version can use)."""
    data = files.read(SETTINGS)
    try:
        raw = json.loads(data) if data else None
        return settings_from_mapping(raw) if isinstance(raw, dict) else None
    except (ValueError, SettingsError):  # not JSON, or a value this version cannot use
        return None
