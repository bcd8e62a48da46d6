"""Turning byte chunks (Docker frames, file reads) into whole lines: one splitter for every log.

What clients send ends up in the log (user names, paths, user agents), so a line's control
characters are shown as visible escapes (``\\x1b``) before anyone sees it: a User-Agent of
``ESC ] 0;pwned BEL ESC [2J`` would otherwise retitle and clear the terminal of whoever runs
``pypi-desk server logs``. Every reader of both logs (the command line, the log pane, a saved
log) gets its lines from :func:`decode_line`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

#: C0 controls but tab, DEL, C1 controls, and the line, paragraph and direction marks that can
#: make a line read as something else ("Trojan source").
_UNSAFE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def raw_lines(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Yield each line with its ``\\n`` (the last one without, when the input ends mid-line).

    A chunk may hold part of a line or many lines. The lengths of what is yielded add up to
    the bytes read, so a reader can keep its byte offset. UTF-8 never puts a ``\\n`` byte
    inside a character, so a line can be decoded on its own.
    """
    pending = b""
    for chunk in chunks:
        pending += chunk
        if b"\n" not in chunk:
            continue
        *complete, pending = pending.split(b"\n")
        for line in complete:
            yield line + b"\n"
    if pending:
        yield pending


def decode_line(raw: bytes) -> str:
    """A raw line as text, without its line end (``\\r\\n`` or ``\\n``), control characters made visible."""
    return visible(raw.decode("utf-8", "replace").rstrip("\n").rstrip("\r"))


def visible(text: str) -> str:
    """``text`` with each control character written as an escape (``\\x1b``, ``\\u202e``)."""
    if text.isprintable():  # nearly every line: one pass in C, and nothing of the class below can be there
        return text
    return _UNSAFE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def split_lines(chunks: Iterable[bytes]) -> Iterator[str]:
    """Yield complete lines as text; a chunk may hold part of a line or many lines."""
    return (decode_line(raw) for raw in raw_lines(chunks))
