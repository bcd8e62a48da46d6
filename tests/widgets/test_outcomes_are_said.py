"""What the window says and keeps: a failed start stays on the badge, settings apply with a restart,
the index shown last opens again, a TLS refusal is one line, a move shows its progress."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from gui import APP_NAME
from gui.gui_app import where_to_open
from gui.services.core import DeskServices
from gui.services.index.datadir import open_data_dir
from gui.services.index.settings import ServerSettings
from gui.services.server.phase import Phase
from gui.services.server.runtime import ServerStatus
from gui.widgets.main_window import MainWindow
from tests.widgets.test_main_window import FakeService, desk, open_window, wait_for_phase

#: What gevent prints when a client refuses the server's certificate (from the image's server, verbatim).
GEVENT_TLS_TRACEBACK = """\
Traceback (most recent call last):
  File "src/gevent/greenlet.py", line 900, in gevent._gevent_cgreenlet.Greenlet.run
  File "/opt/pypiserver/lib/python3.11/site-packages/gevent/baseserver.py", line 34, in _handle_and_close_when_done
    return handle(*args_tuple)
           ^^^^^^^^^^^^^^^^^^^
  File "/opt/pypiserver/lib/python3.11/site-packages/gevent/server.py", line 209, in wrap_socket_and_handle
    with _closing_socket(self.wrap_socket(client_socket, **self.ssl_args)) as ssl_socket:
                         ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "/opt/pypiserver/lib/python3.11/site-packages/gevent/ssl.py", line 122, in wrap_socket
    return self.sslsocket_class(
           ^^^^^^^^^^^^^^^^^^^^^
  File "/opt/pypiserver/lib/python3.11/site-packages/gevent/ssl.py", line 351, in __init__
    self.do_handshake()
  File "/opt/pypiserver/lib/python3.11/site-packages/gevent/ssl.py", line 740, in do_handshake
    self._sslobj.do_handshake()
ssl.SSLError: [SSL: TLSV1_ALERT_UNKNOWN_CA] tlsv1 alert unknown ca (_ssl.c:992)
{greenlet}

""".format(
    greenlet="2026-12-02T13:57:34Z <Greenlet at 0x7fd2dcc336a0: _handle_and_close_when_done(<bound method "
    "StreamServer.wrap_socket_and_handle , <bound method StreamServer.do_close of <StreamServ, "
    "(<gevent._socket3.socket [closed] at 0x7fd2dca6c9a)> failed with SSLError"
).splitlines()


class CountedStops(FakeService):
    """Stopped; a start fails with a busy port; every status poll is counted."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.polls = 0

    def status(self, runtime: str = "auto") -> ServerStatus:
        self.polls += 1
        return super().status(runtime)


def test_a_failed_start_stays_on_the_badge_and_is_said_in_a_box(qtbot, tmp_path: Path) -> None:
    service = CountedStops(tmp_path)
    window = open_window(qtbot, service)
    wait_for_phase(qtbot, window, Phase.STOPPED)
    qtbot.mouseClick(window.server_bar.toggle_button, Qt.MouseButton.LeftButton)
    wait_for_phase(qtbot, window, Phase.ERROR, timeout=5_000)
    polls = service.polls
    qtbot.waitUntil(lambda: service.polls >= polls + 2, timeout=10_000)  # the poll finds it stopped: still an error
    assert window.phase is Phase.ERROR and window.server_bar.state_label.text() == "Error"
    assert "already in use" in window.server_bar.message_label.text()
    box = window.notice_box
    assert box is not None and box.isVisible() and "already in use" in box.text()
    box.accept()
    window.close()


class Running(FakeService):
    """Runs at the saved port; stop and start do what they say; its log holds a client's TLS refusal."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.settings = ServerSettings(port=18080)
        self.running = True
        self.calls: list[str] = []

    def load_settings(self) -> ServerSettings:
        return self.settings

    def save_settings(self, settings: ServerSettings) -> ServerSettings:
        self.settings = settings
        return settings

    def status(self, runtime: str = "auto") -> ServerStatus:
        if not self.running:
            return ServerStatus(runtime="docker", state="absent")
        return ServerStatus(runtime="docker", state="running", url=f"http://127.0.0.1:{self.settings.port}")

    def stop(self) -> None:
        self.calls.append("stop")
        self.running = False

    def start(self, settings: ServerSettings, progress=None, runtime=None) -> ServerStatus:
        self.calls.append(f"start {settings.port}")
        self.running = True
        return self.status()

    def logs(self, tail=None, follow=False, after=None):
        return Lines(["before", *GEVENT_TLS_TRACEBACK, "after"])


class Lines(list):
    """A LogStream of these lines."""

    def close(self) -> None:
        pass


def test_settings_change_while_running_then_apply_and_restart_after_a_confirmation(qtbot, tmp_path: Path) -> None:
    service = Running(tmp_path)
    window = open_window(qtbot, service)
    wait_for_phase(qtbot, window, Phase.RUNNING)
    form = window.settings_form
    assert form.port_spin.isEnabled() and form.https_box.isEnabled() and not form.apply_button.isVisible()
    form.https_box.setChecked(True)
    assert all(button.isEnabled() for button in form._choose_buttons)  # the certificate's Choose… buttons
    form.https_box.setChecked(False)
    assert not form.apply_button.isVisible()  # as it runs: nothing to apply
    form.port_spin.setValue(18081)
    assert (
        form.apply_button.isVisible()
        and form.apply_button.isEnabled()
        and "Apply and restart" in form.note_label.text()
    )

    qtbot.mouseClick(form.apply_button, Qt.MouseButton.LeftButton)
    box = window.confirm_box
    assert box is not None and box.isVisible() and "Restart the server" in box.text() and service.calls == []
    with qtbot.waitSignal(window.phase_changed, check_params_cb=lambda p: p is Phase.RUNNING, timeout=5_000):
        qtbot.mouseClick(box.button(QMessageBox.StandardButton.Yes), Qt.MouseButton.LeftButton)
    assert service.calls == ["stop", "start 18081"]
    assert window.server_bar.url_edit.text() == "http://127.0.0.1:18081/simple/"
    assert not form.apply_button.isVisible()
    window.close()


def test_a_client_that_does_not_trust_the_ca_is_one_line_in_the_log(qtbot, tmp_path: Path) -> None:
    window = open_window(qtbot, Running(tmp_path))
    wait_for_phase(qtbot, window, Phase.RUNNING)
    qtbot.waitUntil(lambda: "after" in window.log_pane.model.text_lines(), timeout=5_000)
    lines = window.log_pane.model.text_lines()
    assert lines[lines.index("before") + 1 : lines.index("after")] == [
        "A client was refused at the TLS handshake: it does not trust this server's CA. "
        "Give that client the server's CA certificate. [TLSV1_ALERT_UNKNOWN_CA]"
    ]
    window.close()


def test_the_window_reopens_the_index_it_showed_last(qtbot, tmp_path: Path) -> None:
    assert where_to_open(None, None, None) == (None, None, None)  # nothing shown yet: the default folder
    moved = tmp_path / "moved"
    window = MainWindow(
        desk(FakeService(tmp_path / "first")), make_services=lambda path, **_: desk(FakeService(Path(path)))
    )
    qtbot.addWidget(window)
    wait_for_phase(qtbot, window, Phase.STOPPED)
    assert window.windowTitle() == str((tmp_path / "first").resolve())  # Qt adds " — PyPI Desk" once
    assert APP_NAME not in window.windowTitle()
    with qtbot.waitSignal(window.phase_changed, check_params_cb=lambda p: p is Phase.STOPPED):
        window.settings_form.data_dir_change_requested.emit(str(moved))
    qtbot.waitUntil(lambda: window.worker.idle)
    window.close()
    assert where_to_open(None, None, None) == (str(moved.resolve()), None, None)
    assert where_to_open(str(tmp_path / "asked"), None, None) == (str(tmp_path / "asked"), None, None)


def test_a_move_shows_its_progress_then_says_where_the_index_went(qtbot, tmp_path: Path) -> None:
    services = desk(FakeService(tmp_path / "first"))
    services.data_dir.ensure()
    services.users.add("alice", "alice-Pa55", "apr1")
    window = MainWindow(services, make_services=lambda path, **_: desk(FakeService(Path(path))))
    qtbot.addWidget(window)
    wait_for_phase(qtbot, window, Phase.STOPPED)
    shown: list[tuple[str, int]] = []
    advance = window.data_actions._advance

    def seen(step) -> None:
        dialog = window.data_actions.progress
        advance(step)
        shown.append((dialog.labelText(), dialog.value()))  # what the dialog showed for this step

    window.data_actions._advance = seen  # the dialog as the user sees it after each step
    with qtbot.waitSignal(window.phase_changed, check_params_cb=lambda p: p is Phase.STOPPED, timeout=30_000):
        window.settings_form.move_requested.emit(str(tmp_path / "moved"))
        progress = window.data_actions.progress
        assert progress is not None and progress.isVisible() and "Moving" in progress.labelText()
    assert window.data_actions.progress is None
    assert shown and shown[0][0].startswith("Copying") and any(text.startswith("Placing") for text, _ in shown)
    values = [value for _, value in shown if value >= 0]  # -1: the job ended (and the dialog closed) meanwhile
    assert values == sorted(values) and values[-1] >= 45
    box = window.data_actions.box
    assert box.isVisible() and str((tmp_path / "moved").resolve()) in box.text() and "left as it was" in box.text()
    window.close()


def test_the_users_tab_shows_a_user_added_from_the_command_line(qtbot, tmp_path: Path) -> None:
    data = open_data_dir(tmp_path / "index")
    services = DeskServices.open(data, pypirc=tmp_path / ".pypirc")
    data.ensure()
    services.users.add("alice", "alice-Pa55", "apr1")
    window = MainWindow(services)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.users_tab.model.names() == {"alice"}, timeout=10_000)
    subprocess.run(
        [sys.executable, "-m", "gui", "--data-dir", str(data.root), "user", "add", "bob", "--password-stdin"],
        input="bob-Pa55-word\n",
        text=True,
        check=True,
        capture_output=True,
    )
    qtbot.waitUntil(lambda: window.users_tab.model.names() == {"alice", "bob"}, timeout=10_000)
    window.close()
