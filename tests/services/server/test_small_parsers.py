"""Access-log status codes, line splitting and pull progress."""

from __future__ import annotations

from gui.services.server.access_log import status_code
from gui.services.server.log_lines import split_lines
from gui.services.server.pull_progress import PullTracker


def test_status_code_is_read_from_gunicorn_access_lines_only() -> None:
    line = '172.17.0.1 - a [24/Nov/2026:02:24:34 +0000] "POST / HTTP/1.1" 403 701 "-" "twine/7.0.0"'
    assert status_code(line) == 403
    assert status_code('1.2.3.4 - - [t] "GET /simple/toy/ HTTP/1.1" 303 0 "-" "pip"') == 303
    assert status_code("[2026-11-24 02:24:31 +0000] [1] [INFO] Listening at: http://0.0.0.0:8080 (1)") is None
    assert status_code("200 OK") is None


def test_split_lines_joins_partial_chunks_and_splits_many() -> None:
    chunks = [b"one\ntw", b"o\r\nthr", "ée\n".encode()[:3], "ée\n".encode()[3:], b"tail"]
    assert list(split_lines(chunks)) == ["one", "two", "thrée", "tail"]


def test_pull_progress_grows_with_layer_bytes() -> None:
    tracker = PullTracker()
    events = [
        {"status": "Pulling from pypiserver/pypiserver", "id": "latest"},
        {"status": "Already exists", "id": "base"},  # nothing to download: not counted
        {"status": "Pulling fs layer", "id": "a"},
        {"status": "Pulling fs layer", "id": "b"},
        {"status": "Downloading", "id": "a", "progressDetail": {"current": 50, "total": 100}},
        {"status": "Downloading", "id": "b", "progressDetail": {"current": 0, "total": 300}},
        {"status": "Download complete", "id": "a"},
        {"status": "Downloading", "id": "b", "progressDetail": {"current": 150, "total": 300}},
        {"status": "Pull complete", "id": "b"},
    ]
    fractions = [p.fraction for p in map(tracker.update, events) if p is not None and p.fraction is not None]
    assert fractions == sorted(fractions)
    assert fractions[-1] == 1.0
    assert fractions[2] == 0.25  # layer a half done, b not started


def test_a_log_line_shows_control_characters_as_escapes_and_keeps_tabs_and_text() -> None:
    from gui.services.server.log_lines import decode_line

    assert decode_line(b"plain \xc3\xa9t\xc3\xa9 line\r\n") == "plain \u00e9t\u00e9 line"  # the fast path: as it was
    assert decode_line(b"a\tb \x1b]0;t\x07 \xe2\x80\xae \xc2\x85 \x7f end\n") == (
        "a\tb \\x1b]0;t\\x07 \\u202e \\x85 \\x7f end"
    )


def test_a_failed_tls_handshake_is_one_line_and_any_other_traceback_stays_whole() -> None:
    from gui.services.server.log_lines import TlsNoise
    from tests.widgets.test_outcomes_are_said import GEVENT_TLS_TRACEBACK

    noise = TlsNoise()
    cut = 7  # the traceback arrives in two batches
    shown = noise.feed(["GET /simple/ 200", *GEVENT_TLS_TRACEBACK[:cut]])
    assert shown == ["GET /simple/ 200"] and noise.pending
    shown = noise.feed([*GEVENT_TLS_TRACEBACK[cut:], "next line"])
    assert len(shown) == 2 and shown[1] == "next line"
    assert "does not trust this server's CA" in shown[0] and "TLSV1_ALERT_UNKNOWN_CA" in shown[0]

    plain_http = [*GEVENT_TLS_TRACEBACK[:-3], "ssl.SSLError: [SSL: HTTP_REQUEST] http request (_ssl.c:992)"]
    assert "plain HTTP" in noise.feed(plain_http)[0]

    other = ["Traceback (most recent call last):", '  File "x.py", line 1, in <module>', "ValueError: bad"]
    assert noise.feed(other) == other  # not a handshake: shown as it is
    assert noise.feed(other[:2]) == [] and noise.flush() == other[:2]  # a cut one is given back whole
