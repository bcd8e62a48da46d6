"""Which files under the packages folder belong to the index: the one rule every walk of it follows.

A name that starts with a dot is not the index's (pypiserver's own rule: uploads in progress,
editor and sync files), nor is a symbolic link, file or folder (a link could hand the server,
a backup or an ownership change something outside the folder), nor a name that is not UTF-8
text (no page or URL can carry it: one such file made every page answer 500). Used by the server's fresh
index, the app's listing, the backup and (run as a script in a helper container, printing
one JSON array a line) the listing of a volume.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator


def listed_entries(folder: str) -> tuple[list[os.DirEntry], list[os.DirEntry]]:
    """The regular files and the folders directly in ``folder`` that belong to the index; raises OSError."""
    files: list[os.DirEntry] = []
    folders: list[os.DirEntry] = []
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.name.startswith(".") or entry.is_symlink() or not _text(entry.name):
                continue
            if entry.is_dir(follow_symlinks=False):
                folders.append(entry)
            elif entry.is_file(follow_symlinks=False):
                files.append(entry)
    return files, folders


def _text(name: str) -> bool:
    """Whether a file name is UTF-8 text (a page and a URL can carry it); bytes that are not come back from
    the file system as surrogates."""
    if name.isascii():
        return True
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def walk(root: str) -> Iterator[tuple[str, os.DirEntry]]:
    """(path relative to ``root`` with ``/``, entry) of every file of the index below ``root``; a folder
    that cannot be read is passed over."""
    skip = len(os.path.join(root, ""))
    pending = [root]
    while pending:
        try:
            files, folders = listed_entries(pending.pop())
        except OSError:
            continue
        pending.extend(folder.path for folder in folders)
        for entry in files:
            yield entry.path[skip:].replace(os.sep, "/"), entry


def main(root: str) -> None:
    """One JSON array a line: [relative path, size, mtime]; names with any character survive."""
    if not os.path.isdir(root):
        return
    out = sys.stdout
    for relative, entry in walk(root):
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        out.write(json.dumps([relative, info.st_size, info.st_mtime]) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
