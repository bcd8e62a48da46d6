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


#: TLS alerts and errors a client's failed handshake leaves, in words: what the client did.
_TLS_REASONS = {
    "TLSV1_ALERT_UNKNOWN_CA": "does not trust this server's CA",
    "SSLV3_ALERT_CERTIFICATE_UNKNOWN": "does not trust this server's CA",
    "SSLV3_ALERT_BAD_CERTIFICATE": "refused this server's certificate",
    "TLSV1_ALERT_DECRYPT_ERROR": "refused this server's certificate",
    "HTTP_REQUEST": "spoke plain HTTP to this HTTPS server (its URL must start with https://)",
}
_SSL_ERROR = re.compile(r"^(?:ssl\.)?SSL\w*Error: \[SSL: (?P<code>\w+)\] (?P<text>[^(]*)")
_GREENLET_FAILED = re.compile(r"^(?P<when>\S+Z )?<Greenlet at .*> failed with SSL\w*Error$")
_PEER = re.compile(r"'(?P<ip>[0-9a-fA-F.:]+)', (?P<port>\d+)\)")
_MAX_TRACEBACK = 200  # lines: a longer block is shown as it is


class TlsNoise:
    """Folds the traceback a failed TLS handshake prints (gevent's, gunicorn's) into one line that says
    who failed and why, such as "a client ... does not trust this server's CA"; every other line passes.

    Lines are fed in batches; a traceback cut between two batches waits in :attr:`pending` for the
    rest (or for :meth:`flush`, which returns it as it is).
    """

    def __init__(self) -> None:
        self._block: list[str] = []
        self._after_summary = 0  # lines after a folded block that belong to it (gevent's "failed with")

    @property
    def pending(self) -> bool:
        return bool(self._block)

    def feed(self, lines: list[str]) -> list[str]:
        out: list[str] = []
        for line in lines:
            if self._after_summary:
                self._after_summary -= 1
                if _GREENLET_FAILED.match(line) or not line.strip():
                    continue
                self._after_summary = 0
            if self._block:
                self._block.append(line)
                if line.startswith((" ", "\t")) and len(self._block) < _MAX_TRACEBACK:
                    continue
                out += self._end_block()
            elif line.startswith("Traceback (most recent call last):"):
                self._block = [line]
            else:
                out.append(line)
        return out

    def flush(self) -> list[str]:
        """Whatever waits, as it is."""
        block, self._block = self._block, []
        return block

    def _end_block(self) -> list[str]:
        block, self._block = self._block, []
        found = _SSL_ERROR.match(block[-1])
        if found is None:
            return block
        self._after_summary = 2  # gevent's "<Greenlet …> failed with SSLError", then a blank line
        peer = next((m for m in map(_PEER.search, block) if m), None)
        who = f"A client ({peer['ip']})" if peer else "A client"
        code = found["code"]
        why = _TLS_REASONS.get(code, f"failed the TLS handshake ({found['text'].strip() or code})")
        hint = " Give that client the server's CA certificate." if "CA" in why else ""
        return [f"{who} was refused at the TLS handshake: it {why}.{hint} [{code}]"]
