"""One planned edit of a client's configuration file: previewed as a diff, then written safely.

Every file the client setup touches (``.pypirc``, ``pip.conf``, ``uv.toml``) is
planned first and written only as planned: a backup of the previous file next to
it, an atomic replace, and a refusal when the file changed on disk since the
preview (so an edit made meanwhile is not lost). A link is written through (a
dotfiles repository), but only to a regular file.
"""

from __future__ import annotations

import difflib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from gui.services.atomic import write_atomic
from gui.services.clients.ini_lines import KEY, is_comment, split_eol
from gui.services.errors import ConfigFileError

_MASK = "********"
NEW_FILE_MODE = 0o644  # files that hold no secret


@dataclass(frozen=True)
class FileChange:
    """What writing one file would do: compare, preview, then :meth:`apply`."""

    path: Path
    old_text: str | None  # None: the file does not exist yet
    new_text: str
    mode: int | None = None  # None: keep the file's mode (a new file gets NEW_FILE_MODE)

    @property
    def changed(self) -> bool:
        return self.old_text != self.new_text

    def preview(self) -> str:
        """A unified diff with every password value masked."""
        old_lines = (self.old_text or "").splitlines(keepends=True)
        everything = frozenset(old_lines + self.new_text.splitlines(keepends=True))
        old = _mask_passwords(self.old_text or "", everything).splitlines(keepends=True)
        new = _mask_passwords(self.new_text, frozenset(old_lines)).splitlines(keepends=True)
        label = str(self.path)
        return "".join(difflib.unified_diff(old, new, f"{label} (now)", f"{label} (after)"))

    def apply(self) -> Path | None:
        """Write the planned text (backup first, atomic). Returns the backup's path, if one was made."""
        writable_target(self.path)  # it may have become a link since the preview
        if read_text(self.path) != self.old_text:
            raise ConfigFileError(f"{self.path} changed since the preview; look at the preview again, then write.")
        if not self.changed:
            return None
        mode = self.mode if self.mode is not None else _current_mode(self.path)
        backup = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if self.old_text is not None:
                backup = self.path.with_name(self.path.name + ".bak")
                write_atomic(backup, self.old_text.encode("utf-8"), mode=mode)
            write_atomic(self.path, self.new_text.encode("utf-8"), mode=mode)
        except OSError as exc:
            raise ConfigFileError(
                f"Cannot write {self.path}: {exc.strerror or exc}. The file was not changed."
            ) from exc
        return backup


def read_text(path: Path) -> str | None:
    """The file's text with its line ends as they are (None when it does not exist)."""
    try:
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigFileError(f"Cannot read {path}: {exc}. Nothing was changed.") from exc


def writable_target(path: Path) -> Path:
    """The file a write of ``path`` would replace: through a link (a dotfiles repository), but only ever
    a regular file. A link to a device, a folder or a pipe (``~/.pypirc -> /dev/null``) is refused."""
    target = path.resolve() if path.is_symlink() else path
    try:
        mode = target.stat().st_mode
    except FileNotFoundError:
        return target  # a new file (or a link to one not made yet)
    except OSError as exc:
        raise ConfigFileError(f"Cannot look at {target}: {exc.strerror or exc}. Nothing was written.") from exc
    if not stat.S_ISREG(mode):
        shown = f"{path} is a link to {target}, which" if target != path else f"{path}"
        raise ConfigFileError(
            f"{shown} is not a regular file (a device, a folder or a pipe), so PyPI Desk will not write it. "
            "Nothing was written: remove it, or make it a link to a file."
        )
    return target


def _current_mode(path: Path) -> int:
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        return NEW_FILE_MODE


def _mask_passwords(text: str, unchanged: frozenset[str] = frozenset()) -> str:
    """Hide password values; one not among ``unchanged`` lines shows as changed."""
    out = []
    for line in text.splitlines(keepends=True):
        body, eol = split_eol(line)
        match = KEY.match(body) if body and not body[0].isspace() and not is_comment(body) else None
        if match and match["key"].strip().lower() == "password" and match["value"]:
            mask = _MASK if line in unchanged else f"{_MASK} (new)"
            line = f"{match['key']}{match['sep']}{mask}{match['trail']}{eol}"
        out.append(line)
    return "".join(out)
