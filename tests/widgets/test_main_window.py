"""The main window, driven like a user: clicks, real engine, signals (no sleeps)."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from PySide6.QtCore import Qt

from gui.services.core import DeskServices
from gui.services.errors import EngineUnavailableError, PortInUseError
from gui.services.index.datadir import DataDir, open_data_dir
from gui.services.index.settings import ServerSettings
from gui.services.server.phase import Phase
from gui.services.server.runtime import PullProgress, ServerStatus
from gui.widgets.main_window import MainWindow


def wait_for_phase(qtbot, window: MainWindow, phase: Phase, timeout: int = 60_000) -> None:
    if window.phase is phase:
        return
    with qtbot.waitSignal(window.phase_changed, check_params_cb=lambda p: p is phase, timeout=timeout):
        pass


def desk(server, tmp_path: Path | None = None) -> DeskServices:
    """The window's services around ``server`` (real or fake), with users and .pypirc in temp places."""
    return DeskServices.open(server=server, pypirc=(tmp_path or server.data_dir.root) / ".pypirc")


def open_window(qtbot, service) -> MainWindow:
    window = MainWindow(desk(service))
    qtbot.addWidget(window)
    window.show()
    return window


@pytest.mark.docker
@pytest.mark.usefixtures("docker_cleanup")
def test_click_start_see_requests_click_stop(qtbot, data_dir: DataDir, port: int, docker_client) -> None:
    service = DeskServices.open(data_dir).server
    window = open_window(qtbot, service)
    wait_for_phase(qtbot, window, Phase.STOPPED)
    window.settings_form.port_spin.setValue(port)
    window.settings_form.runtime_combo.setCurrentIndex(window.settings_form.runtime_combo.findData("docker"))

    qtbot.mouseClick(window.server_bar.toggle_button, Qt.MouseButton.LeftButton)
    wait_for_phase(qtbot, window, Phase.RUNNING)
    assert window.server_bar.url_edit.text() == f"http://127.0.0.1:{port}/simple/"
    assert window.server_bar.toggle_button.text() == "Stop server"
    assert window.settings_form.port_spin.isEnabled() and not window.settings_form.apply_button.isVisible()

    assert requests.get(f"http://127.0.0.1:{port}/simple/", timeout=5).status_code == 200
    qtbot.waitUntil(
        lambda: any('"GET /simple/ HTTP/1.1" 200' in line for line in window.log_pane.model.text_lines()),
        timeout=10_000,
    )

    qtbot.mouseClick(window.server_bar.toggle_button, Qt.MouseButton.LeftButton)
    wait_for_phase(qtbot, window, Phase.STOPPED)
    assert not docker_client.containers.list(all=True, filters={"name": data_dir.container_name})
    assert service.load_settings().port == port  # what was started with is remembered
    window.close()
    assert not window.worker.isRunning() and not window.monitor.log_feed.following


@pytest.mark.docker
@pytest.mark.usefixtures("docker_cleanup")
def test_apply_and_restart_runs_the_server_with_the_new_port(qtbot, data_dir: DataDir, port: int) -> None:
    from PySide6.QtWidgets import QMessageBox

    from tests.conftest import free_port

    service = DeskServices.open(data_dir).server
    service.save_and_start(ServerSettings(port=port, runtime="docker"))
    window = open_window(qtbot, DeskServices.open(open_data_dir(data_dir.root)).server)
    wait_for_phase(qtbot, window, Phase.RUNNING)
    moved_to = free_port()
    window.settings_form.port_spin.setValue(moved_to)
    qtbot.mouseClick(window.settings_form.apply_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(window.phase_changed, check_params_cb=lambda p: p is Phase.RUNNING, timeout=60_000):
        qtbot.mouseClick(window.confirm_box.button(QMessageBox.StandardButton.Yes), Qt.MouseButton.LeftButton)
    assert window.server_bar.url_edit.text() == f"http://127.0.0.1:{moved_to}/simple/"
    assert requests.get(f"http://127.0.0.1:{moved_to}/simple/", timeout=5).status_code == 200
    assert service.load_settings().port == moved_to
    window.close()


@pytest.mark.docker
@pytest.mark.usefixtures("docker_cleanup")
def test_a_reopened_window_adopts_the_running_server_and_notices_it_vanish(
    qtbot, data_dir: DataDir, port: int, docker_client
) -> None:
    service = DeskServices.open(data_dir).server
    service.start(ServerSettings(port=port), runtime="docker")
    window = open_window(qtbot, DeskServices.open(open_data_dir(data_dir.root)).server)
    wait_for_phase(qtbot, window, Phase.RUNNING)
    qtbot.waitUntil(lambda: any("Listening at" in line for line in window.log_pane.model.text_lines()), timeout=10_000)
    docker_client.containers.get(data_dir.container_name).remove(force=True)  # from outside the app
    wait_for_phase(qtbot, window, Phase.STOPPED, timeout=5_000)
    assert "outside PyPI Desk" in window.server_bar.message_label.text()
    window.close()


class FakeService:
    """Reaches states the real engine rarely shows: a pull in progress, then a busy port."""

    def __init__(self, root: Path) -> None:
        self.data_dir = open_data_dir(root)
        self.saved: list[ServerSettings] = []

    def load_settings(self) -> ServerSettings:
        return ServerSettings()

    def close(self) -> None:
        """Nothing opened: no SSH tunnels."""

    def save_settings(self, settings: ServerSettings) -> ServerSettings:
        self.saved.append(settings)
        return settings

    def save_changes(self, loaded: ServerSettings, edited: ServerSettings) -> ServerSettings:
        return self.save_settings(edited)

    def status(self, runtime: str = "auto") -> ServerStatus:
        return ServerStatus(runtime="docker", state="absent")

    def save_and_start(self, settings, progress=None, runtime=None, loaded=None) -> ServerStatus:
        self.save_settings(settings)
        progress(PullProgress(0.5, "Pulling image: 1 of 2 layers"))
        raise PortInUseError("127.0.0.1", 8080)

    def logs(self, tail=None, follow=False):
        return EmptyLog()


class EmptyLog:
    """A LogStream with nothing in it."""

    def __iter__(self):
        return iter(())

    def close(self) -> None:
        pass


def test_pull_progress_then_an_error_in_words_and_a_retry_button(qtbot, tmp_path: Path) -> None:
    window = open_window(qtbot, FakeService(tmp_path))
    wait_for_phase(qtbot, window, Phase.STOPPED)
    with qtbot.waitSignals([window.phase_changed] * 3, timeout=5000):  # starting, pulling, error
        qtbot.mouseClick(window.server_bar.toggle_button, Qt.MouseButton.LeftButton)
    assert window.phase is Phase.ERROR
    assert "already in use" in window.server_bar.message_label.text()
    assert window.server_bar.toggle_button.isEnabled() and window.server_bar.toggle_button.text() == "Start server"
    assert any("already in use" in line for line in window.log_pane.model.text_lines())
    window.close()


def test_bad_settings_are_refused_before_anything_starts(qtbot, tmp_path: Path) -> None:
    service = FakeService(tmp_path)
    window = open_window(qtbot, service)
    wait_for_phase(qtbot, window, Phase.STOPPED)
    window.settings_form.host_combo.setEditText("")
    qtbot.keyClicks(window.settings_form.host_combo, "not-an-address")
    assert "not an IP address" in window.settings_form.error_label.text()
    qtbot.mouseClick(window.server_bar.toggle_button, Qt.MouseButton.LeftButton)
    assert window.phase is Phase.ERROR and service.saved == []
    window.close()


def test_exposing_without_passwords_or_https_shows_a_warning(qtbot, tmp_path: Path) -> None:
    window = open_window(qtbot, FakeService(tmp_path))
    form = window.settings_form
    assert not form.https_panel.isVisible()
    form.host_combo.setCurrentIndex(form.host_combo.findData("0.0.0.0"))
    form.auth_combo.setCurrentIndex(form.auth_combo.findData("none"))
    assert form.warning_label.isVisible() and "anyone on your network" in form.warning_label.text()
    form.auth_combo.setCurrentIndex(form.auth_combo.findData("update"))
    assert form.warning_label.isVisible() and "in clear text" in form.warning_label.text()
    form.https_box.setChecked(True)
    assert not form.warning_label.isVisible()
    assert form.https_panel.isVisible() and form.values().https and form.values().url.startswith("https://")
    form.cert_edit.setText("/somewhere/cert.pem")  # your own certificate needs its key too
    assert form.error_label.isVisible() and "needs both files" in form.error_label.text()
    window.close()


def test_saving_the_log_writes_the_lines(qtbot, tmp_path: Path) -> None:
    window = open_window(qtbot, FakeService(tmp_path))
    window.log_pane.append_lines(["first", "second"])
    target = tmp_path / "saved.log"
    with qtbot.waitSignal(window.transfers.busy_changed, check_params_cb=lambda busy: not busy):
        window.log_pane.save_requested.emit(str(target), window.log_pane.model.text_lines())
    assert target.read_text() == "first\nsecond\n"
    assert any("Saved 2 lines" in line for line in window.log_pane.model.text_lines())
    window.close()


@pytest.mark.docker
@pytest.mark.usefixtures("docker_cleanup")
def test_a_missing_image_shows_a_progress_bar_then_runs(qtbot, data_dir: DataDir, port: int, registry, docker_client):
    registry.forget_image(docker_client)
    window = open_window(qtbot, DeskServices.open(data_dir).server)
    wait_for_phase(qtbot, window, Phase.STOPPED)
    window.settings_form.port_spin.setValue(port)
    window.settings_form.image_edit.setText(registry.image)
    progress_values: list[int] = []
    window.phase_changed.connect(
        lambda phase: (
            progress_values.append(window.server_bar.progress.value())
            if phase is Phase.PULLING and window.server_bar.progress.isVisible()
            else None
        )
    )
    qtbot.mouseClick(window.server_bar.toggle_button, Qt.MouseButton.LeftButton)
    wait_for_phase(qtbot, window, Phase.RUNNING)
    assert progress_values and progress_values[-1] == 100
    assert not window.server_bar.progress.isVisible()
    window.close()


def test_choosing_another_data_folder_shows_that_server(qtbot, tmp_path: Path) -> None:
    made: list[str] = []

    def make_service(path: str) -> FakeService:
        made.append(path)
        return FakeService(Path(path))

    window = MainWindow(
        desk(FakeService(tmp_path / "first")), make_services=lambda path, **_where: desk(make_service(path))
    )
    qtbot.addWidget(window)
    wait_for_phase(qtbot, window, Phase.STOPPED)
    window.log_pane.append_lines(["a line of the first server"])
    with qtbot.waitSignal(window.phase_changed, check_params_cb=lambda p: p is Phase.STOPPED):
        window.settings_form.data_dir_change_requested.emit(str(tmp_path / "second"))
    assert made == [str(tmp_path / "second")]
    assert window.settings_form.data_dir_label.text() == str((tmp_path / "second").resolve())
    assert str(tmp_path / "second") in window.windowTitle()
    assert window.log_pane.model.rowCount() == 0
    window.close()


class EngineThatGoesAway(FakeService):
    """Runs in Docker, then the engine stops answering, then it is back."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.engine_up = True
        self.asked: list[str] = []

    def status(self, runtime: str = "auto") -> ServerStatus:
        self.asked.append(runtime)
        if not self.engine_up:
            raise EngineUnavailableError("No Docker engine answers at the default socket.", "Start Docker, then retry.")
        return ServerStatus(runtime="docker", state="running", url="http://127.0.0.1:8080", detail="container x")


def test_a_lost_engine_is_not_a_stop_and_the_server_is_adopted_again(qtbot, tmp_path: Path) -> None:
    service = EngineThatGoesAway(tmp_path)
    window = open_window(qtbot, service)
    wait_for_phase(qtbot, window, Phase.RUNNING)
    service.engine_up = False
    wait_for_phase(qtbot, window, Phase.DISCONNECTED, timeout=5_000)
    assert "Docker engine stopped answering" in window.server_bar.message_label.text()
    assert "No Docker engine answers" in window.engine_banner.reason_label.text()
    assert not window.server_bar.toggle_button.isEnabled()
    assert "need" in window.server_bar.toggle_button.toolTip()
    assert service.asked[-1] == "docker"  # it looked for the server where it ran
    service.engine_up = True
    wait_for_phase(qtbot, window, Phase.RUNNING, timeout=5_000)
    assert window.server_bar.url_edit.text() == "http://127.0.0.1:8080/simple/"
    window.close()


def test_polling_an_unchanged_server_leaves_the_screen_alone(qtbot, tmp_path: Path) -> None:
    service = EngineThatGoesAway(tmp_path)
    window = open_window(qtbot, service)
    wait_for_phase(qtbot, window, Phase.RUNNING)
    window.activateWindow()  # as a user who selects text in the address: the window and the field have focus
    window.server_bar.url_edit.setFocus()
    qtbot.waitUntil(window.server_bar.url_edit.hasFocus)
    window.server_bar.url_edit.setSelection(0, 4)
    changes: list[Phase] = []
    window.phase_changed.connect(changes.append)
    asked = len(service.asked)
    qtbot.waitUntil(lambda: len(service.asked) >= asked + 2, timeout=10_000)  # two more polls
    assert changes == []
    assert window.server_bar.url_edit.selectedText() == "http"
    window.close()


def restore_through_the_dialog(qtbot, window: MainWindow, archive: Path, folder: Path) -> None:
    """Restore… has chosen ``archive``; in the dialog that follows, a folder, then Restore here."""
    window.location_dialog = None
    window.settings_form.restore_archive_chosen.emit(str(archive))
    qtbot.waitUntil(lambda: window.location_dialog is not None, timeout=10_000)
    dialog = window.location_dialog
    qtbot.waitExposed(dialog)
    assert archive.name in dialog.windowTitle() and not dialog.move_button.isVisible()
    qtbot.keyClicks(dialog.folder_edit, str(folder))
    qtbot.mouseClick(dialog.open_button, Qt.MouseButton.LeftButton)


def test_backup_then_restore_shows_the_restored_folders_server(qtbot, tmp_path: Path) -> None:
    first = FakeService(tmp_path / "first")
    services = desk(first)
    services.data_dir.ensure()
    services.users.add("alice", "alice-Pa55", "apr1", role="read")
    window = MainWindow(services, make_services=lambda path, **_where: desk(FakeService(Path(path))))
    qtbot.addWidget(window)
    wait_for_phase(qtbot, window, Phase.STOPPED)
    archive = tmp_path / "saved" / "backup.tar.gz"
    with qtbot.waitSignal(window.worker.busy_changed, check_params_cb=lambda busy: not busy, timeout=30_000):
        window.settings_form.backup_requested.emit(str(archive))
    assert archive.is_file() and any(f"to {archive}" in line for line in window.log_pane.model.text_lines())
    box = window.data_actions.box  # where the file went, in a box, not only in the log
    assert box is not None and box.isVisible() and str(archive) in box.text()
    box.accept()

    restored = tmp_path / "restored"
    with qtbot.waitSignal(window.phase_changed, check_params_cb=lambda p: p is Phase.STOPPED, timeout=30_000):
        restore_through_the_dialog(qtbot, window, archive, restored)
    assert window.settings_form.data_dir_label.text() == str(restored.resolve())
    box = window.data_actions.box  # the switch to the restored folder is said, with what to do next
    assert box.isVisible() and str(restored.resolve()) in box.text() and "now shows that index" in box.text()
    assert "Start it there" in box.text()
    box.accept()
    with qtbot.waitSignal(window.users_tab.model.modelReset, timeout=30_000):
        window.users_tab.refresh()
    assert [(user.name, user.role) for user in window.users_tab.model.rows] == [("alice", "read")]

    restore_through_the_dialog(qtbot, window, archive, restored)  # not into a folder in use
    qtbot.waitUntil(lambda: any("is not empty" in line for line in window.log_pane.model.text_lines()), timeout=30_000)
    window.close()


def test_move_to_shows_the_moved_index(qtbot, tmp_path: Path) -> None:
    services = desk(FakeService(tmp_path / "first"))
    services.data_dir.ensure()
    services.users.add("alice", "alice-Pa55", "apr1")
    window = MainWindow(services, make_services=lambda path, **_where: desk(FakeService(Path(path))))
    qtbot.addWidget(window)
    wait_for_phase(qtbot, window, Phase.STOPPED)
    with qtbot.waitSignal(window.phase_changed, check_params_cb=lambda p: p is Phase.STOPPED, timeout=30_000):
        window.settings_form.move_requested.emit(str(tmp_path / "moved"))
    assert window.settings_form.data_dir_label.text() == str((tmp_path / "moved").resolve())
    assert (tmp_path / "first" / "auth" / ".htpasswd").is_file()  # the old folder stays
    assert (tmp_path / "moved" / "auth" / ".htpasswd").read_bytes() == (
        tmp_path / "first" / "auth" / ".htpasswd"
    ).read_bytes()
    window.close()
