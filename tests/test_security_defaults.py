"""The security defaults README promises, asserted where a user would notice them.

Some promises are asserted next to the feature they belong to; README's "Security and
reliability notes" names the test for each. Here: deletes need a password, and no password
shows anywhere: not in the window (log pane, messages, previews, lists), not in an error,
not on the command line of any process on the machine or in the container.
"""

from __future__ import annotations

from pathlib import Path

import psutil
import pytest
import requests
from PySide6.QtCore import QAbstractItemModel, Qt
from PySide6.QtWidgets import QAbstractButton, QLabel, QLineEdit, QPlainTextEdit, QTextEdit

from gui.services.clients.pypirc_reader import Credentials
from gui.services.core import DeskServices
from gui.services.errors import DeskError, WrongCredentialsError
from gui.services.index.settings import ServerSettings
from gui.services.packages.transport import remove
from gui.services.server.phase import Phase
from gui.services.users.store import UserStore
from gui.widgets.main_window import MainWindow
from tests.faults.test_server_faults import running_window
from tests.helpers import hosted, make_sdist
from tests.widgets.test_packages_tab import drop, wait_idle
from tests.widgets.test_users_and_clients import fill, ok_button

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("docker_client", "docker_cleanup")]

FIRST_PASSWORD = "Only-Here-7f1c-first"
SECOND_PASSWORD = "Only-Here-9a4e-second"


def test_deleting_needs_the_password_and_a_refusal_does_not_repeat_it(data_dir, port, tmp_path: Path) -> None:
    server = DeskServices.open(data_dir).server
    data_dir.ensure()
    UserStore(data_dir.password_file).add("alice", FIRST_PASSWORD)
    url = server.start(server.save_settings(ServerSettings(port=port)), runtime="docker").url
    services = DeskServices.open(server=server, pypirc=tmp_path / ".pypirc")
    services.packages.upload(make_sdist(tmp_path / "dist"), Credentials("alice", FIRST_PASSWORD))

    anonymous = requests.post(f"{url}/", data={":action": "remove_pkg", "name": "toy", "version": "1.0.0"}, timeout=10)
    with pytest.raises(WrongCredentialsError) as refused:
        remove(url, "toy", "1.0.0", Credentials("alice", SECOND_PASSWORD))

    assert anonymous.status_code in (401, 403)
    assert SECOND_PASSWORD not in str(refused.value) and "alice" in str(refused.value)
    assert [path.name for path in hosted(data_dir.packages_dir)] == ["toy-1.0.0.tar.gz"]  # still there


def everything_shown(window: MainWindow) -> str:
    """All text the window shows or holds for display: labels, buttons, fields, models, tool tips."""
    texts = [window.windowTitle()]
    for widget in window.findChildren(QLabel):
        texts += [widget.text(), widget.toolTip()]
    for widget in window.findChildren(QAbstractButton):
        texts += [widget.text(), widget.toolTip()]
    for widget in window.findChildren(QLineEdit):
        if widget.echoMode() is QLineEdit.EchoMode.Normal:  # a password field holds it, masked: that is its job
            texts.append(widget.text())
    for kind in (QPlainTextEdit, QTextEdit):
        texts += [widget.toPlainText() for widget in window.findChildren(kind)]
    for model in window.findChildren(QAbstractItemModel):
        for row in range(model.rowCount()):
            for column in range(model.columnCount()):
                for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
                    texts.append(str(model.index(row, column).data(role)))
    texts += window.log_pane.model.text_lines()
    return "\n".join(texts)


def every_command_line(docker_client, container_name: str) -> str:
    lines = []
    for process in psutil.process_iter(["cmdline"]):
        lines.append(" ".join(process.info["cmdline"] or []))
    lines += [row[-1] for row in docker_client.containers.get(container_name).top(ps_args="-o pid,args")["Processes"]]
    return "\n".join(lines)


def test_no_password_shows_in_the_window_its_errors_or_any_command_line(
    qtbot, data_dir, port: int, tmp_path: Path, isolated_home: Path, docker_client
) -> None:
    window = running_window(qtbot, data_dir, port, isolated_home)
    services = window.services

    window.show_tab("users")  # add a user, then write ~/.pypirc with her password (the dialog goes on there)
    window.users_tab.open_add_dialog()
    fill(qtbot, window.users_tab.dialog, "alice", FIRST_PASSWORD)
    with qtbot.waitSignal(window.users_tab.model.modelReset, timeout=30_000):
        qtbot.mouseClick(ok_button(window.users_tab.dialog), Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window)
    assert not window.client_tab.keyring_radio.isEnabled()  # no keyring here: the file only when chosen
    with qtbot.waitSignal(window.client_tab.preview_shown, timeout=30_000):
        qtbot.mouseClick(window.client_tab.file_radio, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(window.client_tab.write_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window)
    assert FIRST_PASSWORD in services.pypirc.read_text()  # where twine needs it, and only there

    drop(window, [make_sdist(tmp_path / "dist", "toy", "1.0")])  # uploaded with ~/.pypirc's password
    wait_idle(qtbot, window)
    services.users.change_password("alice", SECOND_PASSWORD)  # changed elsewhere: the remembered one is wrong
    drop(window, [make_sdist(tmp_path / "dist", "toy", "2.0")])
    wait_idle(qtbot, window)
    first, second = window.packages_tab.queue.rows[-2:]
    assert first.state == "done"
    assert second.state == "failed" and "wrong user name or password" in second.message
    with pytest.raises(DeskError) as refused:
        services.packages.upload(make_sdist(tmp_path / "dist", "toy", "3.0"), Credentials("alice", FIRST_PASSWORD))

    shown = everything_shown(window) + "\n" + str(refused.value)
    commands = every_command_line(docker_client, data_dir.container_name)
    assert "alice" in shown and "toy-2.0.tar.gz" in shown and "gunicorn" in commands  # the search sees things
    for password in (FIRST_PASSWORD, SECOND_PASSWORD):
        assert password not in shown
        assert password not in commands
    qtbot.mouseClick(window.server_bar.toggle_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(window.phase_changed, check_params_cb=lambda phase: phase is Phase.STOPPED, timeout=30_000):
        pass
    window.close()
