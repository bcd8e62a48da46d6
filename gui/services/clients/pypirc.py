"""Writing this server's section of ``~/.pypirc`` without disturbing anything else in it.

The file is edited line by line, never round-tripped through ``configparser``:
comments, other sections, their order, tokens and the layout of the
``index-servers`` list stay byte for byte. One section (``[local]`` by default)
gets ``repository``, ``username`` and ``password``; its name is added to
``[distutils] index-servers`` once. Running it twice changes nothing. twine
reads the file with ``RawConfigParser`` (no interpolation) and, when there is no
``index-servers``, behaves as if it were ``pypi testpypi``; the edit keeps that.

Writes keep a backup of the previous file next to it, are atomic, and leave the
file at mode 0600 (it holds passwords). A symlinked ``.pypirc`` (a dotfiles
repository) is written through the link.
"""

from __future__ import annotations

import difflib
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from gui.services.atomic import write_atomic
from gui.services.clients.pypirc_reader import TWINE_DEFAULT_SERVERS, parse, read_text
from gui.services.errors import PypircError

PYPIRC_MODE = 0o600
_SECTION = re.compile(r"^\[(?P<name>[^\]]+)\]\s*$")
_KEY = re.compile(r"^(?P<key>[^\s:=][^:=]*?)(?P<sep>\s*[:=]\s*)(?P<value>.*?)(?P<trail>\s*)$")
_SECTION_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_MASK = "********"


@dataclass(frozen=True)
class PypircChange:
    """What writing the section would do: compare, preview, then :func:`apply_change`."""

    path: Path
    old_text: str | None  # None: the file does not exist yet
    new_text: str

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


def _check_values(name: str, repository: str, username: str, password: str) -> None:
    if not _SECTION_NAME.match(name) or name == "distutils":
        raise PypircError(
            f"{name!r} cannot name a .pypirc section: use letters, digits, '.', '_' or '-', such as 'local'."
        )
    for label, value in (("repository URL", repository), ("user name", username), ("password", password)):
        if not value:
            raise PypircError(f"The {label} is empty.")
        if value != value.strip() or "\n" in value or "\r" in value:
            raise PypircError(
                f"The {label} starts or ends with spaces or has a line break; .pypirc cannot hold it "
                "(twine would read it differently). Choose another."
            )


def _eol(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def _split_eol(line: str) -> tuple[str, str]:
    body = line.rstrip("\r\n")
    return body, line[len(body) :]


def _is_comment(body: str) -> bool:
    return body.lstrip().startswith(("#", ";"))


def _sections(lines: list[str]) -> list[tuple[str, int, int]]:
    """(name, header line index, end index) of each section."""
    found: list[tuple[str, int]] = []
    for index, line in enumerate(lines):
        match = _SECTION.match(_split_eol(line)[0])
        if match:
            found.append((match["name"], index))
    if not found:
        return []
    ends = [index for _, index in found[1:]] + [len(lines)]
    return [(name, start, end) for (name, start), end in zip(found, ends, strict=True)]


def _find_key(lines: list[str], start: int, end: int, key: str) -> tuple[int, int] | None:
    """(key line index, index after its last continuation line) of ``key`` in a section."""
    for index in range(start + 1, end):
        body = _split_eol(lines[index])[0]
        if _is_comment(body) or not body or body[0].isspace():
            continue
        match = _KEY.match(body)
        if match and match["key"].strip().lower() == key:
            # As configparser reads it: indented lines continue the value, across blank and comment lines.
            after = index + 1
            for scan in range(index + 1, end):
                next_body = _split_eol(lines[scan])[0]
                if not next_body.strip() or _is_comment(next_body):
                    continue
                if not next_body[0].isspace():
                    break
                after = scan + 1
            return index, after
    return None


def _last_entry(lines: list[str], start: int, end: int) -> int:
    """Index after the section's last key or continuation line (before trailing blanks and comments)."""
    last = start + 1
    for index in range(start + 1, end):
        body = _split_eol(lines[index])[0]
        if body.strip() and not _is_comment(body):
            last = index + 1
    return last


def _set_value(line: str, value: str) -> str:
    body, eol = _split_eol(line)
    match = _KEY.match(body)
    assert match is not None
    sep = match["sep"] if match["value"] or match["sep"].endswith(" ") else match["sep"] + " "
    return f"{match['key']}{sep}{value}{match['trail']}{eol}"


def _add_to_index_servers(lines: list[str], name: str, eol: str) -> None:
    sections = {section: (start, end) for section, start, end in reversed(_sections(lines))}
    if "distutils" not in sections:
        block = ["[distutils]" + eol, "index-servers =" + eol]
        block += [f"    {server}{eol}" for server in (*TWINE_DEFAULT_SERVERS, name)]
        lines[0:0] = [*block, eol] if lines else block
        return
    start, end = sections["distutils"]
    found = _find_key(lines, start, end, "index-servers")
    if found is None:
        block = ["index-servers =" + eol] + [f"    {server}{eol}" for server in (*TWINE_DEFAULT_SERVERS, name)]
        lines[start + 1 : start + 1] = block
        return
    key_index, after = found
    values = [_KEY.match(_split_eol(lines[key_index])[0])["value"]]  # type: ignore[index]
    values += [_split_eol(line)[0] for line in lines[key_index + 1 : after] if not _is_comment(line)]
    if name in " ".join(values).split():
        return
    if after > key_index + 1:  # a list laid out one per line: one more line, indented alike
        last_body, last_eol = _split_eol(lines[after - 1])
        indent = last_body[: len(last_body) - len(last_body.lstrip())]
        if not last_eol:  # the list ends the file, without a line end: give it one first
            lines[after - 1] = last_body + eol
        lines.insert(after, f"{indent}{name}{eol}")
        return
    body, line_eol = _split_eol(lines[key_index])
    match = _KEY.match(body)
    assert match is not None
    if match["value"]:  # "index-servers = pypi": "index-servers = pypi local"
        lines[key_index] = f"{match['key']}{match['sep']}{match['value']} {name}{match['trail']}{line_eol}"
    else:
        lines[key_index] = _set_value(lines[key_index], name)


def _set_section(lines: list[str], name: str, values: dict[str, str], eol: str) -> None:
    sections = {section: (start, end) for section, start, end in reversed(_sections(lines))}
    if name not in sections:
        if lines and not lines[-1].endswith(("\n", "\r")):
            lines[-1] += eol
        if lines and _split_eol(lines[-1])[0].strip():
            lines.append(eol)
        lines.append(f"[{name}]{eol}")
        lines += [f"{key} = {value}{eol}" for key, value in values.items()]
        return
    start, end = sections[name]
    missing: list[str] = []
    for key, value in values.items():
        found = _find_key(lines, start, end, key)
        if found is None:
            missing.append(f"{key} = {value}{eol}")
            continue
        key_index, after = found
        lines[key_index] = _set_value(lines[key_index], value)
        del lines[key_index + 1 : after]  # continuation lines of the old value
        end -= after - key_index - 1
    if missing:
        insert_at = _last_entry(lines, start, end)
        if insert_at == len(lines) and lines and not lines[-1].endswith(("\n", "\r")):
            lines[-1] += eol
        lines[insert_at:insert_at] = missing


def writable_target(path: Path) -> Path:
    """The file a write of ``path`` would replace: through a link (a dotfiles repository), but only ever
    a regular file. A link to a device, a folder or a pipe (``~/.pypirc -> /dev/null``) is refused."""
    target = path.resolve() if path.is_symlink() else path
    try:
        mode = target.stat().st_mode
    except FileNotFoundError:
        return target  # a new file (or a link to one not made yet)
    except OSError as exc:
        raise PypircError(f"Cannot look at {target}: {exc.strerror or exc}. Nothing was written.") from exc
    if not stat.S_ISREG(mode):
        shown = f"{path} is a link to {target}, which" if target != path else f"{path}"
        raise PypircError(
            f"{shown} is not a regular file (a device, a folder or a pipe), so PyPI Desk will not write it. "
            "Nothing was written: remove it, or make it a link to a file."
        )
    return target


def plan_change(path: Path, name: str, repository: str, username: str, password: str) -> PypircChange:
    """What the file would become with section ``name`` set (nothing is written)."""
    _check_values(name, repository, username, password)
    target = writable_target(path)
    old_text = read_text(target)
    if old_text is not None:
        parse(old_text, path)  # a file twine refuses is not edited into one that looks fine
    text = old_text or ""
    eol = _eol(text)
    lines = text.splitlines(keepends=True)
    _add_to_index_servers(lines, name, eol)
    _set_section(lines, name, {"repository": repository, "username": username, "password": password}, eol)
    return PypircChange(path=target, old_text=old_text, new_text="".join(lines))


def apply_change(change: PypircChange) -> Path | None:
    """Write the planned text (backup first, atomic, 0600). Returns the backup's path, if one was made.

    Refuses when the file changed on disk since the plan, so an edit made meanwhile is not lost.
    """
    writable_target(change.path)  # it may have become a link since the preview
    if read_text(change.path) != change.old_text:
        raise PypircError(f"{change.path} changed since the preview; look at the preview again, then write.")
    if not change.changed:
        return None
    backup = None
    try:
        change.path.parent.mkdir(parents=True, exist_ok=True)
        if change.old_text is not None:
            backup = change.path.with_name(change.path.name + ".bak")
            write_atomic(backup, change.old_text.encode("utf-8"), mode=PYPIRC_MODE)
        write_atomic(change.path, change.new_text.encode("utf-8"), mode=PYPIRC_MODE)
    except OSError as exc:
        raise PypircError(f"Cannot write {change.path}: {exc.strerror or exc}. The file was not changed.") from exc
    return backup


def _mask_passwords(text: str, unchanged: frozenset[str] = frozenset()) -> str:
    """Hide password values; one not among ``unchanged`` lines shows as changed."""
    out = []
    for line in text.splitlines(keepends=True):
        body, eol = _split_eol(line)
        match = _KEY.match(body) if body and not body[0].isspace() and not _is_comment(body) else None
        if match and match["key"].strip().lower() == "password" and match["value"]:
            mask = _MASK if line in unchanged else f"{_MASK} (new)"
            line = f"{match['key']}{match['sep']}{mask}{match['trail']}{eol}"
        out.append(line)
    return "".join(out)
