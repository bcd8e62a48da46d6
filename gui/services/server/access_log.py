"""Reading the HTTP status code out of a server log line (gunicorn's access log)."""

from __future__ import annotations

import re

# gunicorn's default access format: host - user [time] "METHOD path HTTP/x.y" STATUS size "referer" "agent"
_REQUEST_STATUS = re.compile(r'"[A-Z]+ [^"]* HTTP/[0-9.]+" (\d{3}) ')


def status_code(line: str) -> int | None:
    """The status code of an access log line, or None for other lines."""
    match = _REQUEST_STATUS.search(line)
    return int(match.group(1)) if match else None
