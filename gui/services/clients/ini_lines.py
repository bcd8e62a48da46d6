"""Line-level edits of an INI file as ``configparser`` reads it (``.pypirc``, ``pip.conf``).

Files are edited line by line, never round-tripped through ``configparser``:
comments, other sections, their order and layout stay byte for byte. A value's
indented continuation lines belong to it (as ``configparser`` reads them), so
replacing or removing a key takes them along.
"""

from __future__ import annotations

import re

SECTION = re.compile(r"^\[(?P<name>[^\]]+)\]\s*$")
KEY = re.compile(r"^(?P<key>[^\s:=][^:=]*?)(?P<sep>\s*[:=]\s*)(?P<value>.*?)(?P<trail>\s*)$")


def eol_of(text: str) -> str:
    """The file's own line end (``\\r\\n`` when it uses it anywhere)."""
    return "\r\n" if "\r\n" in text else "\n"


def split_eol(line: str) -> tuple[str, str]:
    body = line.rstrip("\r\n")
    return body, line[len(body) :]


def is_comment(body: str) -> bool:
    return body.lstrip().startswith(("#", ";"))


def sections(lines: list[str]) -> list[tuple[str, int, int]]:
    """(name, header line index, end index) of each section."""
    found: list[tuple[str, int]] = []
    for index, line in enumerate(lines):
        match = SECTION.match(split_eol(line)[0])
        if match:
            found.append((match["name"], index))
    if not found:
        return []
    ends = [index for _, index in found[1:]] + [len(lines)]
    return [(name, start, end) for (name, start), end in zip(found, ends, strict=True)]


def section_span(lines: list[str], name: str) -> tuple[int, int] | None:
    """(header index, end index) of the first section called ``name``."""
    return next(((start, end) for section, start, end in sections(lines) if section == name), None)


def find_key(lines: list[str], start: int, end: int, key: str) -> tuple[int, int] | None:
    """(key line index, index after its last continuation line) of ``key`` in a section."""
    for index in range(start + 1, end):
        body = split_eol(lines[index])[0]
        if is_comment(body) or not body or body[0].isspace():
            continue
        match = KEY.match(body)
        if match and match["key"].strip().lower() == key:
            # As configparser reads it: indented lines continue the value, across blank and comment lines.
            after = index + 1
            for scan in range(index + 1, end):
                next_body = split_eol(lines[scan])[0]
                if not next_body.strip() or is_comment(next_body):
                    continue
                if not next_body[0].isspace():
                    break
                after = scan + 1
            return index, after
    return None


def key_value(line: str) -> str:
    """The value on a ``key = value`` line."""
    match = KEY.match(split_eol(line)[0])
    return match["value"] if match else ""


def last_entry(lines: list[str], start: int, end: int) -> int:
    """Index after the section's last key or continuation line (before trailing blanks and comments)."""
    last = start + 1
    for index in range(start + 1, end):
        body = split_eol(lines[index])[0]
        if body.strip() and not is_comment(body):
            last = index + 1
    return last


def set_value(line: str, value: str) -> str:
    """The line with its value replaced, keeping the key's spelling, separator and line end."""
    body, eol = split_eol(line)
    match = KEY.match(body)
    assert match is not None
    sep = match["sep"] if match["value"] or match["sep"].endswith(" ") else match["sep"] + " "
    return f"{match['key']}{sep}{value}{match['trail']}{eol}"


def set_section(lines: list[str], name: str, values: dict[str, str], eol: str) -> None:
    """Give section ``name`` these values: existing keys are changed in place, missing ones added after
    its last entry, and a missing section is appended to the file."""
    span = section_span(lines, name)
    if span is None:
        if lines and not lines[-1].endswith(("\n", "\r")):
            lines[-1] += eol
        if lines and split_eol(lines[-1])[0].strip():
            lines.append(eol)
        lines.append(f"[{name}]{eol}")
        lines += [f"{key} = {value}{eol}" for key, value in values.items()]
        return
    start, end = span
    missing: list[str] = []
    for key, value in values.items():
        found = find_key(lines, start, end, key)
        if found is None:
            missing.append(f"{key} = {value}{eol}")
            continue
        key_index, after = found
        lines[key_index] = set_value(lines[key_index], value)
        del lines[key_index + 1 : after]  # continuation lines of the old value
        end -= after - key_index - 1
    if missing:
        insert_at = last_entry(lines, start, end)
        if insert_at == len(lines) and lines and not lines[-1].endswith(("\n", "\r")):
            lines[-1] += eol
        lines[insert_at:insert_at] = missing


def remove_key(lines: list[str], name: str, key: str) -> bool:
    """Remove ``key`` (and its continuation lines) from section ``name``; True when it was there."""
    span = section_span(lines, name)
    if span is None:
        return False
    found = find_key(lines, *span, key)
    if found is None:
        return False
    del lines[found[0] : found[1]]
    return True
