"""The add-user dialog, the Users tab and the Client setup tab, typed into and clicked like a user."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import keyring
import pytest
import requests
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox

from gui.services.core import DeskServices
from gui.services.index.datadir import DataDir, open_data_dir
from gui.services.index.settings import ServerSettings
from gui.services.server.phase import Phase
from gui.services.server.service import ServerService
from gui.services.users.store import UserStore
from gui.widgets.main_window import MainWindow
from gui.widgets.user_dialog import UserDialog
from tests.helpers import make_sdist


def ok_button(dialog: UserDialog):
    return dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)


def fill(qtbot, dialog: UserDialog, name: str, password: str, again: str | None = None) -> None:
    for edit, text in (
        (dialog.name_edit, name),
        (dialog.password_edit, password),
        (dialog.confirm_edit, password if again is None else again),
    ):
        edit.clear()
        qtbot.keyClicks(edit, text)


@pytest.mark.parametrize(
    ("name", "password", "again", "words"),
    [
        ("", "pw", None, "user name is empty"),
        ("bad name", "pw", None, "cannot contain spaces"),
        ("a:b", "pw", None, "cannot contain ':'"),
        ("urunimi", "pw", None, "exists already"),
        ("alice", "", None, "password is empty"),
        ("alice", "one", "two", "two passwords differ"),
        ("alice", "x" * 73, None, "only the first 72 bytes"),
    ],
)
def test_the_dialog_refuses_bad_input(qtbot, name, password, again, words) -> None:
    dialog = UserDialog({"urunimi"})
    qtbot.addWidget(dialog)
    dialog.open()
    fill(qtbot, dialog, name, password, again)
    assert words in dialog.validate()
    assert words in dialog.error_label.text()
    assert not ok_button(dialog).isEnabled()


def test_generate_fills_a_strong_password_shows_it_and_enables_ok(qtbot) -> None:
    dialog = UserDialog(set())
    qtbot.addWidget(dialog)
    dialog.open()
    qtbot.keyClicks(dialog.name_edit, "alice")
    assert not ok_button(dialog).isEnabled()
    qtbot.mouseClick(dialog.generate_button, Qt.MouseButton.LeftButton)
    values = dialog.values()
    assert len(values.password) >= 20 and dialog.confirm_edit.text() == values.password
    assert dialog.password_edit.echoMode() == dialog.password_edit.EchoMode.Normal
    assert ok_button(dialog).isEnabled() and dialog.validate() is None
    assert values.scheme == "bcrypt" and values.set_up_client


def open_window(qtbot, server: ServerService, pypirc: Path) -> MainWindow:
    window = MainWindow(DeskServices.open(server=server, pypirc=pypirc))
    qtbot.addWidget(window)
    window.show()
    return window


def wait_idle(qtbot, window: MainWindow) -> None:
    if not window.worker.idle:
        with qtbot.waitSignal(window.worker.busy_changed, check_params_cb=lambda busy: not busy, timeout=30_000):
            pass


@pytest.mark.docker
@pytest.mark.usefixtures("docker_client", "docker_cleanup")
def test_a_user_added_in_the_dialog_uploads_with_the_setup_the_tab_wrote_its_password_in_the_keyring(
    qtbot, secret_service, data_dir: DataDir, port: int, tmp_path: Path, isolated_home: Path
) -> None:
    server = DeskServices.open(data_dir).server
    server.save_settings(ServerSettings(port=port))
    server.start(server.load_settings(), runtime="docker")
    window = open_window(qtbot, server, isolated_home / ".pypirc")
    if window.phase is not Phase.RUNNING:
        with qtbot.waitSignal(window.phase_changed, check_params_cb=lambda p: p is Phase.RUNNING, timeout=30_000):
            pass
    wait_idle(qtbot, window)
    window.show_tab("users")
    qtbot.mouseClick(window.users_tab.add_button, Qt.MouseButton.LeftButton)
    dialog = window.users_tab.dialog
    assert dialog is not None and dialog.isVisible()
    fill(qtbot, dialog, "urunimi", "pypi-pass-1")
    with qtbot.waitSignal(window.users_tab.model.modelReset, timeout=30_000):
        qtbot.mouseClick(ok_button(dialog), Qt.MouseButton.LeftButton)
    assert "urunimi" in window.users_tab.model.names()
    refused = requests.post(
        f"http://127.0.0.1:{port}/",
        auth=("urunimi", "pypi-pass-1"),
        data={":action": "remove_pkg", "name": "x", "version": "0"},
        timeout=10,
    )
    assert refused.status_code != 403  # the new user is accepted at once

    # "Then set up this computer's twine" was ticked: the Client setup tab shows the change, one click writes it.
    wait_idle(qtbot, window)
    assert window.tabs.currentWidget() is window.client_tab
    assert window.client_tab.keyring_radio.isChecked()  # a keyring works: it is the default
    assert window.client_tab.write_button.isEnabled()
    preview = window.client_tab.preview_view.toPlainText()
    assert "pypi-pass-1" not in preview and "System keyring (SecretService Keyring)" in preview
    qtbot.mouseClick(window.client_tab.write_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window)
    assert "Stored the password in the system keyring" in window.client_tab.status_label.text()
    assert "pypi-pass-1" not in (isolated_home / ".pypirc").read_text()

    sdist = make_sdist(tmp_path / "dist")
    twine = subprocess.run(
        [sys.executable, "-m", "twine", "upload", "--non-interactive", "-r", "local", str(sdist)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert twine.returncode == 0, twine.stdout
    assert (data_dir.packages_dir / sdist.name).exists()

    window.show_tab("users")  # removing the user removes the keyring entries the tab wrote
    window.users_tab.view.selectRow(0)
    qtbot.mouseClick(window.users_tab.remove_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(window.users_tab.model.modelReset, timeout=10_000):
        qtbot.mouseClick(window.users_tab.confirm_box.button(QMessageBox.StandardButton.Yes), Qt.MouseButton.LeftButton)
    assert keyring.get_password(f"http://127.0.0.1:{port}", "urunimi") is None
    window.close()


def test_move_the_password_into_the_keyring_in_one_click(qtbot, secret_service, tmp_path: Path) -> None:
    services = DeskServices.open(open_data_dir(tmp_path / "server"), pypirc=tmp_path / ".pypirc")
    services.data_dir.ensure()
    services.users.add("alice", "alice-pass-1", "apr1")
    settings = services.server.load_settings()
    services.pypirc.write_text(
        f"# mine\n[distutils]\nindex-servers = local\n\n[local]\nrepository = {settings.url}\n"
        "username = alice\npassword = alice-pass-1\n"
    )
    window = open_window(qtbot, services.server, services.pypirc)
    window.show_tab("client")
    wait_idle(qtbot, window)
    tab = window.client_tab
    assert tab.move_button.isVisible()
    qtbot.mouseClick(tab.move_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window)
    assert "-password = ********" in tab.preview_view.toPlainText()
    qtbot.mouseClick(tab.write_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window)
    assert services.pypirc.read_text().endswith("username = alice\n")  # only the password line went
    assert keyring.get_password(settings.url, "alice") == "alice-pass-1"
    assert not tab.move_button.isVisible()
    window.close()


def test_remove_asks_first_then_removes(qtbot, tmp_path: Path) -> None:
    server = DeskServices.open(open_data_dir(tmp_path)).server
    store = UserStore(server.data_dir.password_file)
    store.add("alice", "pw", "apr1")
    store.add("bob", "pw", "apr1")
    window = open_window(qtbot, server, tmp_path / ".pypirc")
    window.show_tab("users")
    wait_idle(qtbot, window)
    view = window.users_tab.view
    row = next(
        r for r in range(window.users_tab.proxy.rowCount()) if window.users_tab.proxy.index(r, 0).data() == "bob"
    )
    view.selectRow(row)
    qtbot.mouseClick(window.users_tab.remove_button, Qt.MouseButton.LeftButton)
    box = window.users_tab.confirm_box
    assert box is not None and "Remove bob?" in box.text()
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.Cancel), Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window)
    assert {u.name for u in store.users()} == {"alice", "bob"}
    view.selectRow(row)
    qtbot.mouseClick(window.users_tab.remove_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(window.users_tab.model.modelReset, timeout=10_000):
        qtbot.mouseClick(window.users_tab.confirm_box.button(QMessageBox.StandardButton.Yes), Qt.MouseButton.LeftButton)
    assert {u.name for u in store.users()} == {"alice"}
    assert window.users_tab.model.names() == {"alice"}
    window.close()


def test_broken_lines_are_shown_with_their_fix_and_can_be_removed(qtbot, tmp_path: Path) -> None:
    server = DeskServices.open(open_data_dir(tmp_path)).server
    server.data_dir.ensure()
    server.data_dir.password_file.write_text("urunimi:$apr1$x$y\nthis is not a user\n")
    window = open_window(qtbot, server, tmp_path / ".pypirc")
    window.show_tab("users")
    wait_idle(qtbot, window)
    tab = window.users_tab
    assert "Line 2" in tab.problems_label.text() and "answers 500" in tab.problems_label.text()
    assert tab.repair_button.isVisible()
    with qtbot.waitSignal(tab.model.modelReset, timeout=10_000):
        qtbot.mouseClick(tab.repair_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window)
    assert not tab.repair_button.isVisible()
    assert server.data_dir.password_file.read_text() == "urunimi:$apr1$x$y\n"
    window.close()


def test_the_add_user_dialog_tabs_from_password_to_again_and_says_differ_only_once_again_is_typed(qtbot) -> None:
    dialog = UserDialog(set())
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.name_edit.setFocus()
    qtbot.keyClicks(dialog.name_edit, "alice")
    qtbot.keyClick(dialog.name_edit, Qt.Key.Key_Tab)
    assert dialog.focusWidget() is dialog.password_edit
    qtbot.keyClicks(dialog.password_edit, "alice-Pa55")
    assert "differ" not in dialog.error_label.text()  # "Again" not reached yet
    qtbot.keyClick(dialog.password_edit, Qt.Key.Key_Tab)
    assert dialog.focusWidget() is dialog.confirm_edit  # not Show, Generate: the second password lands here
    qtbot.keyClicks(dialog.confirm_edit, "alice-Pa")
    assert "differ" not in dialog.error_label.text()  # still typing it
    qtbot.keyClicks(dialog.confirm_edit, "X")
    assert "differ" in dialog.error_label.text() and not ok_button(dialog).isEnabled()


def test_a_reader_is_not_set_up_on_this_computer_unless_asked(qtbot) -> None:
    dialog = UserDialog(set())
    qtbot.addWidget(dialog)
    assert dialog.client_box.isChecked()  # a publisher: twine on this computer, by default
    dialog.role_combo.setCurrentIndex(dialog.role_combo.findData("read"))
    assert not dialog.client_box.isChecked()
    qtbot.mouseClick(dialog.client_box, Qt.MouseButton.LeftButton)  # asked for: kept
    dialog.role_combo.setCurrentIndex(dialog.role_combo.findData("publish"))
    dialog.role_combo.setCurrentIndex(dialog.role_combo.findData("read"))
    assert dialog.client_box.isChecked()


def test_a_generated_password_shows_whole_and_copies(qtbot) -> None:
    from PySide6.QtGui import QGuiApplication

    dialog = UserDialog(set())
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert not dialog.copy_button.isEnabled()
    qtbot.mouseClick(dialog.generate_button, Qt.MouseButton.LeftButton)
    password = dialog.password_edit.text()
    shown = dialog.password_edit.fontMetrics().horizontalAdvance(password)
    assert shown < dialog.password_edit.contentsRect().width()  # not cut off
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == password


def test_the_client_preview_has_room_and_ticking_pip_moves_nothing_above_it(qtbot, tmp_path: Path) -> None:
    data = open_data_dir(tmp_path / "index")
    data.ensure()
    UserStore(data.password_file).add("alice", "alice-Pa55", "apr1")
    window = open_window(qtbot, DeskServices.open(data).server, tmp_path / ".pypirc")
    window.show_tab("client")
    tab = window.client_tab
    tab.file_radio.setChecked(True)
    with qtbot.waitSignal(tab.preview_shown, timeout=10_000):
        tab.prefill("alice", "alice-Pa55")
    qtbot.waitUntil(lambda: window.worker.idle, timeout=10_000)  # the keyring's check has said its piece
    line = tab.preview_view.fontMetrics().lineSpacing()
    assert tab.preview_view.height() >= 12 * line  # the .pypirc diff, not four lines of it
    before = {w: w.mapTo(tab, w.rect().topLeft()) for w in (tab.section_edit, tab.password_edit, tab.pip_box)}
    with qtbot.waitSignal(tab.preview_shown, timeout=10_000):
        qtbot.mouseClick(tab.pip_box, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.worker.idle, timeout=10_000)
    assert {w: w.mapTo(tab, w.rect().topLeft()) for w in before} == before
    assert "keyring command" in tab.preview_view.toPlainText()  # pip.conf asks it: said before Write
    window.close()
