"""What a client sends reaches the log: its control characters show as escapes in all three places.

A User-Agent of ``ESC ] 0;pwned BEL ESC [2J`` retitles and clears the terminal of whoever reads the
log raw. A real server (gunicorn, which escapes its own access lines) gets such requests, and a raw
line is written into its log the way any other part of the server might log what a client sent;
`pypi-desk server logs`, the log pane and a saved log must show all of it as visible text.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import requests

from gui.services.index.datadir import DataDir
from gui.services.index.settings import ServerSettings
from gui.services.server.phase import Phase
from tests.widgets.test_main_window import open_window, wait_for_phase

HOSTILE_AGENT = "evil\x1b]0;pwned\x07\x1b[2J\u202eagent"
SHOWN_AGENT = "evil\\x1b]0;pwned\\x07\\x1b[2J"  # gunicorn escapes its own access lines
#: A line written raw into the server's output, as any part of the server might log what a client sent.
INJECTED = "injected \x1b]0;pwned\x07\x1b[2J\u202edone"
SHOWN_INJECTED = "injected \\x1b]0;pwned\\x07\\x1b[2J\\u202edone"
RAW = ("\x1b", "\x07", "\u202e")


def test_control_characters_from_clients_are_escaped_in_the_cli_the_pane_and_a_saved_log(
    qtbot, data_dir: DataDir, port: int, tmp_path: Path
) -> None:
    from gui.services.core import DeskServices

    services = DeskServices.open(data_dir)
    status = services.server.save_and_start(ServerSettings(port=port, runtime="process"))
    headers = {"User-Agent": HOSTILE_AGENT.encode()}
    answered = requests.get(f"{status.url}/simple/", headers=headers, timeout=10).status_code
    assert answered in (200, 400)  # gunicorn 25 refuses control characters in a header; the image's takes them
    requests.post(f"{status.url}/", auth=("mallory\x1b[2J", "x"), headers=headers, timeout=10)
    with open(services.server.process.log_file, "ab") as log:  # as the server writes its output
        log.write((INJECTED + "\n").encode())

    window = open_window(qtbot, services.server)
    wait_for_phase(qtbot, window, Phase.RUNNING)
    qtbot.waitUntil(lambda: any(SHOWN_INJECTED in line for line in window.log_pane.model.text_lines()), timeout=15_000)
    if answered == 200:
        assert any(SHOWN_AGENT in line for line in window.log_pane.model.text_lines())
    pane = "\n".join(window.log_pane.model.text_lines())
    assert not any(char in pane for char in RAW)
    saved = tmp_path / "saved.log"
    with qtbot.waitSignal(window.transfers.busy_changed, check_params_cb=lambda busy: not busy, timeout=10_000):
        window.log_pane.save_requested.emit(str(saved), window.log_pane.model.text_lines())
    saved_text = saved.read_text("utf-8")
    assert SHOWN_INJECTED in saved_text and not any(char in saved_text for char in RAW)
    window.close()

    printed = subprocess.run(
        [sys.executable, "-m", "gui", "--data-dir", str(data_dir.root), "server", "logs"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert printed.returncode == 0, printed.stderr
    assert SHOWN_INJECTED in printed.stdout
    assert not any(char in printed.stdout for char in RAW)
    services.server.stop()
