"""Engine and storage…: choose another engine and a volume in the real dialog, start there, add a user, upload."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from pathlib import Path

import docker
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QDialogButtonBox

from gui.services.core import DeskServices
from gui.services.server.phase import Phase
from gui.widgets.location_dialog import LocationDialog
from gui.widgets.main_window import MainWindow
from tests.conftest import free_port
from tests.helpers import make_wheel, remove_volume, unique_volume
from tests.widgets.test_main_window import wait_for_phase
from tests.widgets.test_users_and_clients import fill

pytestmark = [pytest.mark.docker]


def click_radio(qtbot, radio) -> None:
    """Click a radio button on its indicator: the middle of a wide one is past its text, where a click does nothing."""
    qtbot.mouseClick(radio, Qt.MouseButton.LeftButton, pos=QPoint(8, radio.height() // 2))


def test_the_dialog_says_what_cannot_work(qtbot) -> None:
    dialog = LocationDialog([], current_folder="/srv/pypi")
    qtbot.addWidget(dialog)
    with qtbot.waitExposed(dialog):  # laid out: clicks land on the buttons
        dialog.open()
    dialog.engine_combo.setEditText("ssh://deploy@pypi.example.lan")
    assert dialog.volume_radio.isChecked()  # another machine's engine: its data in a volume there
    click_radio(qtbot, dialog.folder_radio)
    assert "keeps its data in a volume" in dialog.error_label.text() and not dialog.open_button.isEnabled()
    click_radio(qtbot, dialog.volume_radio)
    dialog.volume_edit.clear()
    qtbot.keyClicks(dialog.volume_edit, "team index")
    assert "cannot name a Docker volume" in dialog.error_label.text()
    dialog.volume_edit.clear()
    qtbot.keyClicks(dialog.volume_edit, "team-index")
    assert dialog.validate() is None and dialog.open_button.isEnabled()
    assert dialog.values().engine == "ssh://deploy@pypi.example.lan" and dialog.values().volume == "team-index"
    dialog.engine_combo.setEditText("ftp://nope")
    assert "not a Docker engine address" in dialog.error_label.text()


def test_choose_another_engine_and_a_volume_then_add_a_user_who_uploads_at_once(
    qtbot, second_engine: str, data_dir, tmp_path: Path
) -> None:
    volume = unique_volume("team-gui")
    window = MainWindow(DeskServices.open(data_dir), make_services=DeskServices.open)
    qtbot.addWidget(window)
    window.show()
    wait_for_phase(qtbot, window, Phase.STOPPED)
    try:
        qtbot.mouseClick(window.settings_form.location_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: getattr(window, "location_dialog", None) is not None, timeout=10_000)
        dialog = window.location_dialog
        qtbot.waitExposed(dialog)
        dialog.engine_combo.setEditText(second_engine)
        click_radio(qtbot, dialog.volume_radio)
        dialog.volume_edit.clear()
        qtbot.keyClicks(dialog.volume_edit, volume)
        with qtbot.waitSignal(window.phase_changed, timeout=30_000):
            qtbot.mouseClick(dialog.open_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: f"volume {volume}" in window.settings_form.data_dir_label.text(), timeout=10_000)
        assert second_engine in window.windowTitle()
        wait_for_phase(qtbot, window, Phase.STOPPED)

        port = free_port()
        window.settings_form.port_spin.setValue(port)
        qtbot.mouseClick(window.server_bar.toggle_button, Qt.MouseButton.LeftButton)
        wait_for_phase(qtbot, window, Phase.RUNNING)
        running = docker.DockerClient(base_url=second_engine).containers.get(f"pypi-desk-vol-{volume}")
        assert {m["Type"] for m in running.attrs["Mounts"]} <= {"volume", "tmpfs"}

        window.show_tab("users")
        qtbot.mouseClick(window.users_tab.add_button, Qt.MouseButton.LeftButton)
        user_dialog = window.users_tab.dialog
        fill(qtbot, user_dialog, "alice", "alice-Pa55-word")
        user_dialog.client_box.setChecked(False)
        qtbot.mouseClick(user_dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
        qtbot.waitUntil(
            lambda: "alice" in window.users_tab.model.names() or bool(window.users_tab.error_label.text()),
            timeout=30_000,
        )
        assert "alice" in window.users_tab.model.names(), window.users_tab.error_label.text()

        wheel = make_wheel(tmp_path / "dist", "guitoy", "1.0")
        twine = [sys.executable, "-m", "twine", "upload", "--non-interactive", "--repository-url"]
        sent = subprocess.run(
            [*twine, f"http://127.0.0.1:{port}", "-u", "alice", "-p", "alice-Pa55-word", str(wheel)],
            capture_output=True, text=True,
        )  # fmt: skip
        log = running.logs(tail=30).decode()
        assert sent.returncode == 0, sent.stdout + sent.stderr + log  # no restart: the server reads the volume's file
        assert not (data_dir.root / "auth" / ".htpasswd").exists()  # the first folder was never touched
    finally:
        with contextlib.suppress(Exception):
            window.services.server.stop()
        window.close()
        remove_volume(docker.DockerClient(base_url=second_engine), volume)
