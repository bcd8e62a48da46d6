"""Roles in the Users tab: the column, the role button, and two windows on one folder losing nothing."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from gui.services.core import DeskServices
from gui.services.index.datadir import open_data_dir
from tests.widgets.test_users_and_clients import fill, ok_button, open_window, wait_idle


def select(window, name: str) -> None:
    tab = window.users_tab
    row = next(r for r in range(tab.proxy.rowCount()) if tab.proxy.index(r, 0).data() == name)
    tab.view.selectRow(row)


def test_two_windows_changing_roles_lose_nothing(qtbot, tmp_path: Path) -> None:
    services = DeskServices.open(open_data_dir(tmp_path / "server"))
    for name in ("alice", "bob"):
        services.users.add(name, "pw", "apr1")
    first = open_window(qtbot, services.server, tmp_path / ".pypirc")
    second = open_window(qtbot, services.server, tmp_path / ".pypirc")
    for window in (first, second):
        window.show_tab("users")
        wait_idle(qtbot, window)
        assert window.users_tab.model.headerData(1, Qt.Orientation.Horizontal) == "Role"

    select(first, "alice")
    assert first.users_tab.role_button.text() == "Make reader"
    select(second, "bob")  # the second window has not seen alice's change: it must not undo it
    with qtbot.waitSignal(first.users_tab.model.modelReset, timeout=10_000):
        qtbot.mouseClick(first.users_tab.role_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(second.users_tab.model.modelReset, timeout=10_000):
        qtbot.mouseClick(second.users_tab.role_button, Qt.MouseButton.LeftButton)

    assert {user.name: user.role for user in services.users.users()} == {"alice": "read", "bob": "read"}
    select(second, "alice")
    assert second.users_tab.role_button.text() == "Make publisher"  # it reloaded both
    assert "Reader" in second.users_tab.proxy.index(0, 1).data()
    for window in (first, second):
        window.close()


def test_a_reader_is_added_from_the_dialog(qtbot, tmp_path: Path) -> None:
    services = DeskServices.open(open_data_dir(tmp_path / "server"))
    window = open_window(qtbot, services.server, tmp_path / ".pypirc")
    window.show_tab("users")
    wait_idle(qtbot, window)
    window.users_tab.open_add_dialog()
    dialog = window.users_tab.dialog
    fill(qtbot, dialog, "ci-bot", "ci-bot-Pa55")
    dialog.client_box.setChecked(False)
    dialog.role_combo.setCurrentIndex(dialog.role_combo.findData("read"))
    with qtbot.waitSignal(window.users_tab.model.modelReset, timeout=30_000):
        qtbot.mouseClick(ok_button(dialog), Qt.MouseButton.LeftButton)
    assert [(user.name, user.role) for user in services.users.users()] == [("ci-bot", "read")]
    window.close()
