"""What a backup may hold, name by name: the one list a backup writes from and a restore accepts.

A restore takes only these members, whatever the archive says: the users and roles, the
settings, the server certificate and the app's CA (under fixed names), and files below
``packages/`` whose every part is a plain name (no ``..``, no dot name, no backslash or
drive, so neither POSIX nor Windows reads it as leaving the folder). Each gets the mode its
kind has, never the archive's: keys 0600, the rest 0644. The sizes are capped while
extracting, so a small archive that unpacks to gigabytes (a "gzip bomb") stops early.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path, PurePosixPath, PureWindowsPath

from gui.services.index.datadir import DataDir
from gui.services.names import PASSWORD_FILE_NAME, ROLES_FILE_NAME, SETTINGS_FILE_NAME, TOKENS_FILE_NAME
from gui.services.server.inside.tokens import MAX_FILE as MAX_TOKENS_FILE
from gui.services.server.inside.tokens import TokensError, parse_tokens

#: Every fixed member and its mode once restored.
FIXED: dict[str, int] = {
    f"auth/{PASSWORD_FILE_NAME}": 0o644,  # the server's user reads it through the mount
    f"auth/{ROLES_FILE_NAME}": 0o644,
    f"auth/{TOKENS_FILE_NAME}": 0o644,  # API tokens' digests (never a token): the server's user reads them
    SETTINGS_FILE_NAME: 0o644,
    "tls/server.pem": 0o644,
    "tls/server-key.pem": 0o600,
    "ca/ca.pem": 0o644,
    "ca/ca-key.pem": 0o600,
    "ca/clients-bundle.pem": 0o644,
    "packages/.pypi-desk/index.sqlite3": 0o644,  # the index database: upload times, yanks (a consistent copy)
}
FACTS_MEMBER = "packages/.pypi-desk/index.sqlite3"
CACHE_MEMBERS = "packages/.pypi-desk/cache"  # upstream's files kept, each in its project's folder
PACKAGES = "packages"
PACKAGE_MODE = 0o644
_FORBIDDEN = set('\\:*?"<>|\0')

#: A restore may unpack at most this many times the archive's own size (plus the slack below):
#: packages are compressed already, so a real backup unpacks to little more than its size.
EXPANSION_LIMIT = 20
EXPANSION_SLACK = 64 * 1024 * 1024
DISK_RESERVE = 64 * 1024 * 1024
#: What each member costs the budget besides its bytes (a file's block and inode): 300,000 empty files in a
#: 1 MB archive are refused early too.
MEMBER_COST = 4096


def restored_mode(name: str) -> int | None:
    """The mode a member gets once restored; None when a backup never holds such a member."""
    if name in FIXED:
        return FIXED[name]
    if name.startswith(CACHE_MEMBERS + "/"):
        return PACKAGE_MODE if is_cache_member(name) else None
    parts = PurePosixPath(name).parts
    if len(parts) < 2 or parts[0] != PACKAGES or name != PurePosixPath(*parts).as_posix():
        return None
    for part in parts[1:]:
        if part.startswith(".") or _FORBIDDEN & set(part) or any(ord(c) < 32 for c in part):
            return None
        if any(0xD800 <= ord(c) <= 0xDFFF for c in part):  # bytes that are not UTF-8 text
            return None
    windows = PureWindowsPath(name)
    if windows.drive or windows.root or ".." in windows.parts:
        return None
    return PACKAGE_MODE


def is_cache_member(name: str) -> bool:
    """``packages/.pypi-desk/cache/PROJECT/FILE``: a PEP 503 name's folder, a plain file name in it."""
    from gui.services.server.inside.cache_store import _PROJECT
    from gui.services.server.inside.upstream import safe_filename

    project, _, filename = name[len(CACHE_MEMBERS) + 1 :].partition("/")
    return bool(_PROJECT.match(project)) and safe_filename(filename) and not _FORBIDDEN & set(filename)


def restore_budget(archive: Path, staging: Path) -> int:
    """How many bytes a restore of ``archive`` may write into ``staging``: bounded by the expansion limit and
    by the free space of the disk (less a reserve)."""
    expansion = archive.stat().st_size * EXPANSION_LIMIT + EXPANSION_SLACK
    free = shutil.disk_usage(staging).free - DISK_RESERVE
    return max(0, min(expansion, free))


def unusable_tokens(data_dir: DataDir) -> str:
    """Why the tokens file cannot go into a backup ("" when it can, or there is none)."""
    path = data_dir.auth_dir / TOKENS_FILE_NAME
    if not os.path.lexists(path):
        return ""
    try:
        if not path.is_file() or path.stat().st_size > MAX_TOKENS_FILE:
            raise TokensError("not a regular file of a size PyPI Desk writes")
        parse_tokens(path.read_bytes(), f"auth/{TOKENS_FILE_NAME}")
    except (OSError, TokensError) as exc:
        return f"auth/{TOKENS_FILE_NAME} cannot be read ({exc}) and is not in the backup: a restore of it has no tokens"
    return ""
