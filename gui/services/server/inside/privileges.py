"""The image entrypoint's duties when the launcher starts as root: the packages folder usable by the
server's user (uid 9898), the TLS files (and upstream's credentials) copied for it, then the drop to that user.

The ownership walk never follows a link: a link planted in ``packages/`` (by anyone who could
write there) would otherwise hand its target to uid 9898. Links are passed over, as the index
passes them over. The TLS copy goes into a folder made fresh for this start (``mkdtemp``: a
new name, 0700), with files created exclusively and without following links, so nothing left
in ``/tmp`` by an earlier run (it survives ``docker restart``) can redirect it.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import tempfile

SERVER_USER = "pypiserver"  # uid/gid 9898 in the official image
PACKAGES = "/data/packages"


def become_server_user(options: dict[str, str], packages: str = PACKAGES) -> dict[str, str]:
    """As root: ``packages`` usable by uid 9898, the TLS files copied for it, then drop to it. Returns the
    options with the copies' paths. Does nothing when not root."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return options
    import pwd

    user = pwd.getpwnam(SERVER_USER)
    os.makedirs(packages, exist_ok=True)
    if not _usable_by(user, packages):
        hand_over(packages, user.pw_uid, user.pw_gid)
    database = os.path.join(packages, ".pypi-desk")
    if os.path.isdir(database) and not os.path.islink(database):  # the index database, maybe just restored
        hand_over(database, user.pw_uid, user.pw_gid)
    if not _usable_by(user, packages):
        sys.exit(f"Cannot start pypiserver: the {SERVER_USER} user (uid {user.pw_uid}) must be able to read, "
                 f"write and enter {packages}")  # fmt: skip
    options = copy_tls_for(user.pw_uid, user.pw_gid, options)
    os.setgroups([user.pw_gid])
    os.setgid(user.pw_gid)
    os.setuid(user.pw_uid)
    os.environ["HOME"] = user.pw_dir
    return options


def hand_over(folder: str, uid: int, gid: int) -> None:
    """``chown -R`` that never follows a link and passes links over (their targets stay whose they are)."""
    pending = [folder]
    while pending:
        current = pending.pop()
        with contextlib.suppress(OSError):  # the check after it says what still is wrong
            if stat.S_ISLNK(os.lstat(current).st_mode):
                continue
            os.chown(current, uid, gid, follow_symlinks=False)
        try:
            entries = list(os.scandir(current))
        except OSError:
            continue
        for entry in entries:
            if entry.is_symlink():
                continue
            if entry.is_dir(follow_symlinks=False):
                pending.append(entry.path)
            else:
                with contextlib.suppress(OSError):
                    os.chown(entry.path, uid, gid, follow_symlinks=False)


def _usable_by(user, folder: str) -> bool:
    """Whether ``user`` may read, write and enter ``folder`` (asked as that user, in a child)."""
    pid = os.fork()
    if pid == 0:  # the child becomes the user and asks
        try:
            os.setgroups([user.pw_gid])
            os.setgid(user.pw_gid)
            os.setuid(user.pw_uid)
            os._exit(0 if os.access(folder, os.R_OK | os.W_OK | os.X_OK) else 1)
        except BaseException:
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


PRIVATE_FILES = ("--certfile", "--keyfile", "--upstream-credentials")


def copy_tls_for(uid: int, gid: int, options: dict[str, str]) -> dict[str, str]:
    """As root: the certificate and key (and upstream's credentials) copied into a new private folder of
    ``uid``'s; the options point there."""
    present = [option for option in PRIVATE_FILES if option in options]
    if not present:
        return options
    folder = tempfile.mkdtemp(prefix="pypi-desk-tls-")  # a new name, 0700: nothing planted can be in it
    copied = dict(options)
    for option in present:
        target = os.path.join(folder, os.path.basename(options[option]))
        source = os.open(options[option], os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(source, "rb") as handle:
            data = handle.read(1024 * 1024)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        with os.fdopen(os.open(target, flags, 0o600), "wb") as out:
            out.write(data)
            os.fchown(out.fileno(), uid, gid)
        copied[option] = target
    os.chown(folder, uid, gid)
    return copied
