"""Two windows on one data folder: the second adopts the server the first started; no user is lost."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from gui.services.index.datadir import DataDir
from gui.services.server.phase import Phase
from gui.widgets.main_window import MainWindow
from tests.faults.test_server_faults import open_window, wait_for
from tests.widgets.test_users_and_clients import fill, ok_button, wait_idle


def add_user(qtbot, window: MainWindow, name: str) -> None:
    window.show_tab("users")
    window.users_tab.open_add_dialog()
    fill(qtbot, window.users_tab.dialog, name, f"{name}-Pa55word")
    with qtbot.waitSignal(window.users_tab.model.modelReset, timeout=30_000):
        qtbot.mouseClick(ok_button(window.users_tab.dialog), Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window)


@pytest.mark.docker
@pytest.mark.usefixtures("docker_cleanup")
def test_the_second_window_adopts_the_server_and_edits_from_both_keep_every_user(
    qtbot, data_dir: DataDir, port: int, isolated_home: Path, docker_client
) -> None:
    first = open_window(qtbot, data_dir, isolated_home)
    second = open_window(qtbot, data_dir, isolated_home)
    first.settings_form.port_spin.setValue(port)
    qtbot.mouseClick(first.server_bar.toggle_button, Qt.MouseButton.LeftButton)
    wait_for(qtbot, first, Phase.RUNNING, timeout=60_000)

    wait_for(qtbot, second, Phase.RUNNING, timeout=5_000)  # noticed by its status poll, not started again
    assert second.server_bar.url_edit.text() == f"http://127.0.0.1:{port}/simple/"
    assert len(docker_client.containers.list(filters={"name": data_dir.container_name})) == 1

    add_user(qtbot, first, "alice")
    add_user(qtbot, second, "bob")  # the second window's list was read before alice was added
    assert sorted(second.users_tab.model.names()) == ["alice", "bob"]
    assert sorted(user.name for user in first.services.users.users()) == ["alice", "bob"]

    qtbot.mouseClick(second.server_bar.toggle_button, Qt.MouseButton.LeftButton)  # either window may stop it
    wait_for(qtbot, second, Phase.STOPPED, timeout=30_000)
    wait_for(qtbot, first, Phase.STOPPED, timeout=5_000)
    first.close()
    second.close()
