"""Names every area agrees on: the data folder's file names, the labels on PyPI Desk's containers, the
server image's user. A leaf: it imports nothing of PyPI Desk's but the package's id, so any module may import it."""

from __future__ import annotations

from gui import APP_ID

PASSWORD_FILE_NAME = ".htpasswd"
SETTINGS_FILE_NAME = "pypi-desk.json"
UPSTREAM_CREDENTIALS_NAME = "upstream.json"  # upstream index's user name and password (0600)
ROLES_FILE_NAME = "roles.json"
TOKENS_FILE_NAME = "tokens.json"  # API tokens (their digests), beside the roles

LABEL_MANAGED = f"{APP_ID}.managed"
LABEL_DATA_DIR = f"{APP_ID}.data-dir"
LABEL_SCHEME = f"{APP_ID}.scheme"  # "https" when the server speaks TLS (its URL, for whoever adopts it)
LABEL_VOLUME = f"{APP_ID}.volume"
LABEL_PUBLIC_NAME = f"{APP_ID}.public-name"  # the name clients use for a server on another machine
LABEL_ROLE = f"{APP_ID}.role"  # "server", or "cleanup" for a one-shot container that deletes files

#: The official image's pypiserver user (and group): its entrypoint, and the launcher, hand packages/ to it.
SERVER_UID = 9898
