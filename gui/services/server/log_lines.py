"""Turning byte chunks (Docker frames, file reads) into whole lines: one splitter for every log."""

from __future__ import annotations

from collections.abc import Iterable, Iterator


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
    """A raw line as text, without its line end (``\\r\\n`` or ``\\n``)."""
    return raw.decode("utf-8", "replace").rstrip("\n").rstrip("\r")


def split_lines(chunks: Iterable[bytes]) -> Iterator[str]:
    """Yield complete lines as text; a chunk may hold part of a line or many lines."""
    return (decode_line(raw) for raw in raw_lines(chunks))
