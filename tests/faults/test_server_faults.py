"""The engine and the container fail under a running window, against the real engine.

"The engine goes away" is the engine's socket going away (tests/engine_proxy.py): every
connection is cut, as when the daemon stops or restarts, while the container keeps running.
Each fault must show in the window within 2 seconds.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from PySide6.QtCore import Qt

from gui.services.core import DeskServices
from gui.services.index.datadir import DataDir
from gui.services.server.phase import Phase
from gui.widgets.main_window import MainWindow
from tests.engine_proxy import EngineProxy
from tests.widgets.test_users_and_clients import wait_idle

NOTICE_MS = 2_000  # the promise: a fault shows within 2 seconds

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("docker_client", "docker_cleanup")]


@pytest.fixture
def engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    proxy = EngineProxy(tmp_path / "engine.sock")
    proxy.start()
    monkeypatch.setenv("DOCKER_HOST", proxy.url)
    yield proxy
    proxy.stop()


def open_window(qtbot, data_dir: DataDir, home: Path) -> MainWindow:
    """The real window on ``data_dir``, once it shows the server stopped; ~/.pypirc in ``home``."""
    services = DeskServices.open(data_dir, pypirc=home / ".pypirc")
    window = MainWindow(services)
    qtbot.addWidget(window)
    window.show()
    wait_for(qtbot, window, Phase.STOPPED, timeout=30_000)
    return window


def running_window(qtbot, data_dir: DataDir, port: int, home: Path) -> MainWindow:
    """:func:`open_window`, then Start clicked with ``port``, once it shows Running."""
    window = open_window(qtbot, data_dir, home)
    window.settings_form.port_spin.setValue(port)
    qtbot.mouseClick(window.server_bar.toggle_button, Qt.MouseButton.LeftButton)
    wait_for(qtbot, window, Phase.RUNNING, timeout=60_000)
    return window


def wait_for(qtbot, window: MainWindow, phase: Phase, timeout: int) -> None:
    if window.phase is not phase:
        with qtbot.waitSignal(window.phase_changed, check_params_cb=lambda p: p is phase, timeout=timeout):
            pass


def request_shown(qtbot, window: MainWindow, url: str, path: str) -> None:
    """Ask the server for ``path`` and wait until the log pane shows the request."""
    requests.get(f"{url}{path}", timeout=5, allow_redirects=False)
    qtbot.waitUntil(lambda: times_shown(window, path) > 0, timeout=10_000)


def times_shown(window: MainWindow, path: str) -> int:
    return sum(f"GET {path} " in line for line in window.log_pane.model.text_lines())


def test_the_engine_going_away_shows_and_the_app_recovers_without_repeating_log_lines(
    qtbot, data_dir: DataDir, port: int, isolated_home: Path, engine: EngineProxy
) -> None:
    window = running_window(qtbot, data_dir, port, isolated_home)
    url = f"http://127.0.0.1:{port}"
    request_shown(qtbot, window, url, "/simple/before-the-outage/")

    engine.stop()
    wait_for(qtbot, window, Phase.DISCONNECTED, timeout=NOTICE_MS)
    assert not window.server_bar.toggle_button.isEnabled()
    assert "Start and Stop need it" in window.server_bar.toggle_button.toolTip()
    assert window.engine_banner.isVisible() and "No Docker engine answers" in window.engine_banner.reason_label.text()
    assert any("The log stream broke off" in line for line in window.log_pane.model.text_lines())
    requests.get(f"{url}/simple/during-the-outage/", timeout=5, allow_redirects=False)  # the server still serves

    engine.start()
    wait_for(qtbot, window, Phase.RUNNING, timeout=10_000)  # adopted again, no restart of the app
    assert window.server_bar.url_edit.text() == f"{url}/simple/"
    assert not window.engine_banner.isVisible()
    qtbot.waitUntil(lambda: times_shown(window, "/simple/during-the-outage/") > 0, timeout=10_000)
    request_shown(qtbot, window, url, "/simple/after-the-outage/")
    wait_idle(qtbot, window)

    assert times_shown(window, "/simple/before-the-outage/") == 1  # not repeated on resume
    assert times_shown(window, "/simple/during-the-outage/") == 1  # not lost either
    assert times_shown(window, "/simple/after-the-outage/") == 1
    assert any("Following the log again" in line for line in window.log_pane.model.text_lines())
    window.close()


@pytest.mark.parametrize("fault", ["docker kill", "docker rm -f"])
def test_a_container_killed_or_removed_from_outside_shows_as_stopped_with_its_last_lines(
    qtbot, data_dir: DataDir, port: int, isolated_home: Path, engine: EngineProxy, docker_client, fault: str
) -> None:
    window = running_window(qtbot, data_dir, port, isolated_home)
    request_shown(qtbot, window, f"http://127.0.0.1:{port}", "/simple/last-words/")
    container = docker_client.containers.get(data_dir.container_name)

    if fault == "docker kill":
        container.kill()
    else:
        container.remove(force=True)
    wait_for(qtbot, window, Phase.STOPPED, timeout=NOTICE_MS)

    message = window.server_bar.message_label.text()
    assert "stopped outside PyPI Desk" in message
    assert ("exit code 137 (killed)" if fault == "docker kill" else "removed") in message
    assert times_shown(window, "/simple/last-words/") == 1
    assert window.server_bar.toggle_button.isEnabled() and window.server_bar.toggle_button.text() == "Start server"
    window.close()
