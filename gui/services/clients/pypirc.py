"""Writing this server's section of ``~/.pypirc`` without disturbing anything else in it.

The file is edited line by line, never round-tripped through ``configparser``:
comments, other sections, their order, tokens and the layout of the
``index-servers`` list stay byte for byte. One section (``[local]`` by default)
gets ``repository``, ``username`` and, unless the password is kept in the system
keyring, ``password``; its name is added to
``[distutils] index-servers`` once. Running it twice changes nothing. twine
reads the file with ``RawConfigParser`` (no interpolation) and, when there is no
``index-servers``, behaves as if it were ``pypi testpypi``; the edit keeps that.

Writes keep a backup of the previous file next to it, are atomic, and leave the
file at mode 0600 (it holds passwords). A symlinked ``.pypirc`` (a dotfiles
repository) is written through the link.
"""

from __future__ import annotations

import re
from pathlib import Path

from gui.services.clients.file_change import FileChange, read_text, writable_target
from gui.services.clients.ini_lines import (
    KEY,
    eol_of,
    find_key,
    is_comment,
    remove_key,
    set_section,
    set_value,
    split_eol,
)
from gui.services.clients.ini_lines import (
    sections as ini_sections,
)
from gui.services.clients.pypirc_reader import TWINE_DEFAULT_SERVERS, parse
from gui.services.errors import PypircError

PYPIRC_MODE = 0o600
_SECTION_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
#: What :func:`plan_change` returns: the change to ``.pypirc`` (written at mode 0600).
PypircChange = FileChange


def _check_values(name: str, repository: str, username: str, password: str | None) -> None:
    if not _SECTION_NAME.match(name) or name == "distutils":
        raise PypircError(
            f"{name!r} cannot name a .pypirc section: use letters, digits, '.', '_' or '-', such as 'local'."
        )
    values = [("repository URL", repository), ("user name", username)]
    for label, value in values if password is None else [*values, ("password", password)]:
        if not value:
            raise PypircError(f"The {label} is empty.")
        if value != value.strip() or "\n" in value or "\r" in value:
            raise PypircError(
                f"The {label} starts or ends with spaces or has a line break; .pypirc cannot hold it "
                "(twine would read it differently). Choose another."
            )


def _add_to_index_servers(lines: list[str], name: str, eol: str) -> None:
    spans = {section: (start, end) for section, start, end in reversed(ini_sections(lines))}
    if "distutils" not in spans:
        block = ["[distutils]" + eol, "index-servers =" + eol]
        block += [f"    {server}{eol}" for server in (*TWINE_DEFAULT_SERVERS, name)]
        lines[0:0] = [*block, eol] if lines else block
        return
    start, end = spans["distutils"]
    found = find_key(lines, start, end, "index-servers")
    if found is None:
        block = ["index-servers =" + eol] + [f"    {server}{eol}" for server in (*TWINE_DEFAULT_SERVERS, name)]
        lines[start + 1 : start + 1] = block
        return
    key_index, after = found
    values = [KEY.match(split_eol(lines[key_index])[0])["value"]]  # type: ignore[index]
    values += [split_eol(line)[0] for line in lines[key_index + 1 : after] if not is_comment(line)]
    if name in " ".join(values).split():
        return
    if after > key_index + 1:  # a list laid out one per line: one more line, indented alike
        last_body, last_eol = split_eol(lines[after - 1])
        indent = last_body[: len(last_body) - len(last_body.lstrip())]
        if not last_eol:  # the list ends the file, without a line end: give it one first
            lines[after - 1] = last_body + eol
        lines.insert(after, f"{indent}{name}{eol}")
        return
    body, line_eol = split_eol(lines[key_index])
    match = KEY.match(body)
    assert match is not None
    if match["value"]:  # "index-servers = pypi": "index-servers = pypi local"
        lines[key_index] = f"{match['key']}{match['sep']}{match['value']} {name}{match['trail']}{line_eol}"
    else:
        lines[key_index] = set_value(lines[key_index], name)


def plan_change(
    path: Path, name: str, repository: str, username: str, password: str | None, ca_cert: str | None = None
) -> FileChange:
    """What the file would become with section ``name`` set (nothing is written).

    With ``password=None`` (the password lives in the system keyring) the section gets no
    ``password`` line, and one it had is removed."""
    _check_values(name, repository, username, password)
    target = writable_target(path)
    old_text = read_text(target)
    if old_text is not None:
        parse(old_text, path)  # a file twine refuses is not edited into one that looks fine
    text = old_text or ""
    eol = eol_of(text)
    lines = text.splitlines(keepends=True)
    _add_to_index_servers(lines, name, eol)
    values = {"repository": repository, "username": username}
    if ca_cert is not None:  # twine verifies the server with this CA (its `ca_cert` key)
        values["ca_cert"] = ca_cert
    if password is None:
        remove_key(lines, name, "password")
    else:
        values["password"] = password
    set_section(lines, name, values, eol)
    return FileChange(path=target, old_text=old_text, new_text="".join(lines), mode=PYPIRC_MODE)


def apply_change(change: FileChange) -> Path | None:
    """Write the planned text (backup first, atomic, 0600). Returns the backup's path, if one was made."""
    return change.apply()


def plan_without_password(path: Path, names: list[str]) -> FileChange:
    """The file with the ``password`` line of each section in ``names`` removed, the rest untouched."""
    target = writable_target(path)
    old_text = read_text(target) or ""
    parse(old_text, path)
    lines = old_text.splitlines(keepends=True)
    for name in names:
        remove_key(lines, name, "password")
    return FileChange(path=target, old_text=old_text, new_text="".join(lines), mode=PYPIRC_MODE)
