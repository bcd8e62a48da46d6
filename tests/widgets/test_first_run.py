"""First run: no engine (Retry, Run without Docker, remembered), the three-step guide, the Doctor tab.

Real services throughout: "no engine" is DOCKER_HOST pointing at a socket that is
not there yet, and "the engine is back" is that path becoming the real engine's socket.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from gui.services.core import DeskServices
from gui.services.doctor import Outcome
from gui.services.index.datadir import DataDir
from gui.services.server.phase import Phase
from gui.widgets.main_window import MainWindow
from tests.widgets.test_users_and_clients import fill, ok_button, wait_idle

ENGINE_SOCKET = "/var/run/docker.sock"


def open_window(qtbot, data_dir: DataDir, pypirc: Path) -> MainWindow:
    services = DeskServices.open(data_dir, pypirc=pypirc)
    window = MainWindow(services)
    qtbot.addWidget(window)
    window.show()
    return window


def wait_for_phase(qtbot, window: MainWindow, phase: Phase) -> None:
    if window.phase is not phase:
        with qtbot.waitSignal(window.phase_changed, check_params_cb=lambda p: p is phase, timeout=60_000):
            pass
    wait_idle(qtbot, window)


@pytest.fixture
def engine_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where the app looks for the engine; nothing answers there until the test links the real socket."""
    path = tmp_path / "engine" / "docker.sock"
    path.parent.mkdir()
    monkeypatch.setenv("DOCKER_HOST", f"unix://{path}")
    return path


@pytest.mark.docker
@pytest.mark.usefixtures("docker_client")
def test_no_engine_says_why_and_retry_finds_it_when_it_is_back(qtbot, data_dir, engine_path, isolated_home) -> None:
    window = open_window(qtbot, data_dir, isolated_home / ".pypirc")
    wait_for_phase(qtbot, window, Phase.STOPPED)
    banner = window.engine_banner
    assert banner.isVisible()
    assert f"No Docker engine answers at unix://{engine_path}" in banner.reason_label.text()
    assert "Start Docker" in banner.reason_label.text()

    os.symlink(ENGINE_SOCKET, engine_path)  # the engine is back
    qtbot.mouseClick(banner.retry_button, Qt.MouseButton.LeftButton)
    assert not banner.retry_button.isEnabled()  # "Checking…" while it looks
    qtbot.waitUntil(lambda: not banner.isVisible(), timeout=10_000)
    assert window.phase is Phase.STOPPED
    window.close()


def test_run_without_docker_is_remembered_and_starts_a_local_server(
    qtbot, data_dir, engine_path, isolated_home, port: int
) -> None:
    window = open_window(qtbot, data_dir, isolated_home / ".pypirc")
    wait_for_phase(qtbot, window, Phase.STOPPED)
    window.settings_form.port_spin.setValue(port)
    assert window.engine_banner.isVisible()
    qtbot.mouseClick(window.engine_banner.local_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window)
    assert not window.engine_banner.isVisible()
    assert window.settings_form.values().runtime == "process"
    assert window.services.server.load_settings().runtime == "process"  # remembered on disk
    window.close()

    again = open_window(qtbot, data_dir, isolated_home / ".pypirc")  # the app opened another day
    wait_for_phase(qtbot, again, Phase.STOPPED)
    assert not again.engine_banner.isVisible()
    assert again.settings_form.values().runtime == "process"
    qtbot.mouseClick(again.server_bar.toggle_button, Qt.MouseButton.LeftButton)
    wait_for_phase(qtbot, again, Phase.RUNNING)
    status = again.services.server.status("process")
    assert status.running and status.url == f"http://127.0.0.1:{port}"
    qtbot.mouseClick(again.server_bar.toggle_button, Qt.MouseButton.LeftButton)
    wait_for_phase(qtbot, again, Phase.STOPPED)
    again.close()


def test_the_guide_ticks_each_step_and_goes_away_once_all_are_done(
    qtbot, data_dir, engine_path, isolated_home, port: int
) -> None:
    data_dir.ensure()
    window = open_window(qtbot, data_dir, isolated_home / ".pypirc")
    wait_for_phase(qtbot, window, Phase.STOPPED)
    window.settings_form.port_spin.setValue(port)
    window.settings_form.set_runtime("process")
    guide = window.guide
    assert guide.isVisible() and not any(guide.done.values())
    assert guide.titles["start"].text().startswith("1.")

    qtbot.mouseClick(guide.buttons["start"], Qt.MouseButton.LeftButton)
    wait_for_phase(qtbot, window, Phase.RUNNING)
    assert guide.done["start"] and guide.titles["start"].text().startswith("✓")
    assert not guide.buttons["start"].isVisible()

    qtbot.mouseClick(guide.buttons["users"], Qt.MouseButton.LeftButton)
    dialog = window.users_tab.dialog
    assert window.tabs.currentWidget() is window.users_tab and dialog is not None and dialog.isVisible()
    fill(qtbot, dialog, "urunimi", "pypi-pass-1")
    with qtbot.waitSignal(window.users_tab.model.modelReset, timeout=30_000):
        qtbot.mouseClick(ok_button(dialog), Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window)
    assert guide.done["users"] and guide.isVisible()

    assert window.tabs.currentWidget() is window.client_tab  # the dialog's "set up this computer" goes on
    assert "gnome-keyring" in window.client_tab.keyring_label.text()  # no keyring: it says what to install
    with qtbot.waitSignal(window.client_tab.preview_shown, timeout=30_000):  # the file only when chosen
        qtbot.mouseClick(window.client_tab.file_radio, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(window.client_tab.write_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window)
    assert guide.done["client"]
    assert not guide.isVisible()  # configured: the guide has done its job
    qtbot.mouseClick(window.server_bar.toggle_button, Qt.MouseButton.LeftButton)
    wait_for_phase(qtbot, window, Phase.STOPPED)
    window.close()


def test_the_doctor_tab_runs_its_checks_when_shown(qtbot, data_dir, engine_path, isolated_home) -> None:
    window = open_window(qtbot, data_dir, isolated_home / ".pypirc")
    wait_for_phase(qtbot, window, Phase.STOPPED)
    with qtbot.waitSignal(window.doctor_tab.finished, timeout=30_000):
        window.show_tab("doctor")
    findings = {finding.check: finding for finding in window.doctor_tab.model.rows}
    assert findings["Docker engine"].outcome is Outcome.WARNING
    assert findings["Users"].outcome is Outcome.WARNING
    model = window.doctor_tab.model
    assert model.rowCount() == len(findings) and model.index(0, 1).data() == "Warning"
    assert "warning(s)" in window.doctor_tab.summary_label.text()
    window.close()
