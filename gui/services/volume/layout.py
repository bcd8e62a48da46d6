"""What a server volume holds, and where the server container sees it.

auth/.htpasswd  auth/roles.json     the users and their roles (root's, 0644: the server reads them)
auth/upstream.json                  the upstream index's credentials, when it needs them (0600, root; copied)
upstream-ca.pem                     the CA bundle the app's machine trusts, for reaching upstream
packages/                           the hosted files (uid 9898)
tls/server.pem  tls/server-key.pem  the server certificate (the key 0600, root; copied for uid 9898 at start)
launcher/                           PyPI Desk's launcher, replaced at each start (so it follows the app's version)
pypi-desk.json                      the settings, for whoever adopts the volume
"""

from __future__ import annotations

import re

from gui.services.errors import DataDirError
from gui.services.names import PASSWORD_FILE_NAME, ROLES_FILE_NAME, TOKENS_FILE_NAME, UPSTREAM_CREDENTIALS_NAME

MOUNT = "/data/desk"  # the volume in the server container and in every helper (gunicorn.conf.py stays in /data)
AUTH = "auth"
PACKAGES = "packages"
TLS = "tls"
LAUNCHER = "launcher"
SETTINGS = "pypi-desk.json"
PASSWORD_FILE = f"{AUTH}/{PASSWORD_FILE_NAME}"
ROLES_FILE = f"{AUTH}/{ROLES_FILE_NAME}"
TOKENS_FILE = f"{AUTH}/{TOKENS_FILE_NAME}"
UPSTREAM_CREDENTIALS = f"{AUTH}/{UPSTREAM_CREDENTIALS_NAME}"
UPSTREAM_CA = "upstream-ca.pem"  # the CA bundle of the app's machine, for the server to reach upstream

_VOLUME_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$")


def in_container(relative: str) -> str:
    return f"{MOUNT}/{relative}"


def check_volume_name(name: str) -> str:
    if not _VOLUME_NAME.match(name or ""):
        raise DataDirError(
            f"{name!r} cannot name a Docker volume: use letters, digits, '_', '.' and '-' (up to 63, starting "
            "with a letter or digit), such as team-index."
        )
    return name
