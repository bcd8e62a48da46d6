"""The Users tab's tokens: New token… typed into and clicked, shown once with Copy and snippets, Revoke…"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox

from gui.services.core import DeskServices
from gui.services.index.datadir import open_data_dir
from gui.services.server.inside.tokens import digest_of, parse_tokens
from gui.widgets.main_window import MainWindow
from gui.widgets.token_dialog import TokenDialog


def test_a_token_is_made_shown_once_and_revoked_from_the_users_tab(qtbot, tmp_path: Path) -> None:
    data = open_data_dir(tmp_path / "index")
    services = DeskServices.open(data, pypirc=tmp_path / ".pypirc")
    data.ensure()
    services.users.add("alice", "alice-Pa55", "apr1")
    window = MainWindow(services)
    qtbot.addWidget(window)
    window.show()
    tab = window.users_tab
    qtbot.waitUntil(lambda: tab.model.names() == {"alice"}, timeout=10_000)
    tab.view.selectRow(0)
    panel = tab.tokens_panel
    assert panel.user == "alice" and panel.new_button.isEnabled() and not panel.revoke_button.isEnabled()
    qtbot.mouseClick(panel.new_button, Qt.MouseButton.LeftButton)
    dialog = panel.dialog
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert not ok.isEnabled()  # no name yet
    qtbot.keyClicks(dialog.name_edit, "release job")
    qtbot.mouseClick(dialog.some_button, Qt.MouseButton.LeftButton)
    assert not ok.isEnabled() and "Name the projects" in dialog.error_label.text()
    qtbot.keyClicks(dialog.projects_edit, "my-lib, my_app")
    dialog.expiry_combo.setCurrentIndex(dialog.expiry_combo.findData("never"))
    assert dialog.warning_label.isVisibleTo(dialog) and ok.isEnabled()
    with qtbot.waitSignal(panel.message, timeout=10_000) as said:
        qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert said.args[0].startswith("Created token 'release job'")
    shown = panel.shown
    secret = shown.token_edit.text()
    qtbot.mouseClick(shown.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == secret
    snippets = shown.snippets_edit.toPlainText()
    assert "TWINE_USERNAME=__token__" in snippets and "POETRY_PYPI_TOKEN_LOCAL" in snippets
    assert snippets.count(secret) == 1  # set once, as a variable: never on a command line
    assert "secrets.PYPI_DESK_TOKEN" in snippets and "uv publish" in snippets
    shown.close()
    key, tokens = parse_tokens((data.auth_dir / "tokens.json").read_bytes(), "tokens.json")
    (token,) = tokens.values()
    assert token.digest == digest_of(key, secret) and secret not in (data.auth_dir / "tokens.json").read_text()
    assert token.projects == ("my-app", "my-lib") and token.expires is None
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1, timeout=10_000)
    assert panel.model.index(0, 1).data() == "publish my-app, my-lib"
    assert panel.model.index(0, 3).data() == "never used"
    panel.view.selectRow(0)
    qtbot.mouseClick(panel.revoke_button, Qt.MouseButton.LeftButton)
    assert "release job" in panel.confirm_box.text()
    with qtbot.waitSignal(panel.message, timeout=10_000):
        qtbot.mouseClick(panel.confirm_box.button(QMessageBox.StandardButton.Yes), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.model.rowCount() == 0, timeout=10_000)
    assert services.users.token_store().tokens() == []
    window.close()


def test_a_readers_token_can_only_read(qtbot) -> None:
    dialog = TokenDialog("bob", reader=True)
    qtbot.addWidget(dialog)
    assert dialog.read_button.isChecked() and not dialog.all_button.isEnabled() and not dialog.some_button.isEnabled()
    qtbot.keyClicks(dialog.name_edit, "ci install")
    assert dialog.validate() and dialog.values().read_only
