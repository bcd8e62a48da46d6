"""The Packages tab with the real container: files dropped on the window, refusals, delete."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QMessageBox

from gui.services.clients.pypirc_reader import Credentials
from gui.services.core import DeskServices
from gui.services.index.datadir import DataDir
from gui.services.index.settings import ServerSettings
from gui.services.packages.listing import VersionGroup
from gui.services.server.phase import Phase
from gui.services.users.store import UserStore
from gui.widgets.main_window import MainWindow
from tests.helpers import hosted, make_sdist, make_wheel

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("docker_client", "docker_cleanup")]


@pytest.fixture
def window(qtbot, data_dir: DataDir, port: int, isolated_home: Path):
    """The real window on a running server with user urunimi, and no ~/.pypirc yet."""
    server = DeskServices.open(data_dir).server
    users = UserStore(data_dir.password_file)
    data_dir.ensure()
    users.add("urunimi", "pypi-pass", "apr1")
    server.start(server.save_settings(ServerSettings(port=port)), runtime="docker")
    window = MainWindow(DeskServices.open(server=server, pypirc=isolated_home / ".pypirc"))
    qtbot.addWidget(window)
    window.show()
    if window.phase is not Phase.RUNNING:
        with qtbot.waitSignal(window.phase_changed, check_params_cb=lambda p: p is Phase.RUNNING, timeout=30_000):
            pass
    wait_idle(qtbot, window)
    yield window
    window.close()


def wait_idle(qtbot, window: MainWindow) -> None:
    for worker in (window.worker, window.transfers):
        if not worker.idle:
            with qtbot.waitSignal(worker.busy_changed, check_params_cb=lambda busy: not busy, timeout=60_000):
                pass


def drop(window: MainWindow, paths: list[Path]) -> None:
    """Drop files on the window as a file manager does: drag enter, then drop, with file URLs."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path)) for path in paths])
    center = window.rect().center()
    enter = QDragEnterEvent(center, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)  # fmt: skip
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    event = QDropEvent(QPointF(QPoint(center)), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)  # fmt: skip
    QApplication.sendEvent(window, event)


def wait_for_listing(qtbot, window: MainWindow, condition, timeout: int = 10_000) -> None:
    if condition(window.packages_tab.model.listing):
        return
    with qtbot.waitSignal(window.packages_tab.listing_shown, check_params_cb=condition, timeout=timeout):
        pass


def post_count(data_dir: DataDir, docker_client) -> int:
    logs = docker_client.containers.get(data_dir.container_name).logs().decode()
    return logs.count('"POST / HTTP/1.1"')


def test_dropped_files_are_checked_uploaded_and_fetchable(qtbot, window, data_dir, port, tmp_path, docker_client):
    good = [make_sdist(tmp_path / "dist"), make_wheel(tmp_path / "dist")]
    junk = tmp_path / "junk-1.0.tar.gz"
    junk.write_bytes(b"not an archive at all")
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    drop(window, [*good, junk, text])
    wait_idle(qtbot, window)  # it looked in ~/.pypirc (off the UI thread) and found nothing
    dialog = window.packages_tab.dialog  # so it asks
    assert dialog is not None and dialog.isVisible()
    dialog.user_combo.setEditText("urunimi")
    qtbot.keyClicks(dialog.password_edit, "pypi-pass")
    qtbot.mouseClick(dialog.buttons.buttons()[0], Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window)

    rows = {row.name: row for row in window.packages_tab.queue.rows}
    assert rows[good[0].name].state == rows[good[1].name].state == "done"
    assert rows[good[0].name].percent == 100
    assert rows[junk.name].state == "failed" and "not a readable tar.gz" in rows[junk.name].message
    assert rows[text.name].state == "failed" and "only sdists" in rows[text.name].message
    assert sorted(p.name for p in hosted(data_dir.packages_dir)) == sorted(p.name for p in good)
    assert post_count(data_dir, docker_client) == 2  # nothing of the refused files reached the server
    wait_for_listing(qtbot, window, lambda listing: listing.file_count == 2)
    assert window.packages_tab.totals_label.text().startswith("1 project, 1 version, 2 files")

    fetched = subprocess.run(
        [sys.executable, "-m", "pip", "download", "toy==1.0.0", "--no-deps", "--only-binary=:all:",
         "--index-url", f"http://127.0.0.1:{port}/simple/", "-d", str(tmp_path / "fetched")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert fetched.returncode == 0, fetched.stderr
    assert (tmp_path / "fetched" / good[1].name).read_bytes() == good[1].read_bytes()

    drop(window, [good[0]])  # the same file again: the credentials are remembered, the reply is explained
    wait_idle(qtbot, window)
    again = window.packages_tab.queue.rows[-1]
    assert again.state == "failed"
    assert "already on the server" in again.message and "does not allow overwriting" in again.message


def test_a_twine_upload_shows_up_without_a_click(qtbot, window, port, tmp_path) -> None:
    sdist = make_sdist(tmp_path / "dist", "from-twine", "3.1")
    uploaded = subprocess.run(
        [sys.executable, "-m", "twine", "upload", "--non-interactive", "--repository-url",
         f"http://127.0.0.1:{port}", "-u", "urunimi", "-p", "pypi-pass", str(sdist)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert uploaded.returncode == 0, uploaded.stdout
    wait_for_listing(qtbot, window, lambda listing: [p.name for p in listing.projects] == ["from-twine"])


def test_delete_removes_every_spelling_of_the_version_and_the_list_follows(qtbot, window, data_dir, tmp_path):
    packages = window.services.packages
    credentials = Credentials("urunimi", "pypi-pass")
    wheel = make_wheel(tmp_path, "my_pkg", "1.0")  # my_pkg-1.0-py3-none-any.whl
    sdist = make_sdist(tmp_path, "my-pkg", "1.0")  # my-pkg-1.0.tar.gz
    other = make_sdist(tmp_path, "my-pkg", "2.0")
    for path in (wheel, sdist, other):
        packages.upload(path, credentials)
    wait_for_listing(qtbot, window, lambda listing: listing.file_count == 3)
    tab = window.packages_tab
    tab._credentials = credentials  # as after a first upload in this session
    tab.view.selectRow(0)  # my-pkg, in the project table
    versions = tab.versions
    version_row = next(r for r in range(versions.rowCount())
                       if str(versions.index(r, 0).data(Qt.ItemDataRole.UserRole).version) == "1.0")  # fmt: skip
    tab.detail.setCurrentIndex(versions.index(version_row, 0))
    assert isinstance(tab.selected_item(), VersionGroup)
    qtbot.mouseClick(tab.delete_button, Qt.MouseButton.LeftButton)
    box = tab.confirm_box
    assert wheel.name in box.text() and sdist.name in box.text()
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.Yes), Qt.MouseButton.LeftButton)
    wait_for_listing(qtbot, window, lambda listing: listing.file_count == 1)
    assert [p.name for p in hosted(data_dir.packages_dir)] == [other.name]
    assert [str(v.version) for v in tab.model.listing.projects[0].versions] == ["2.0"]


def test_a_dropped_project_folder_is_built_and_both_files_uploaded(qtbot, window, data_dir, tmp_path) -> None:
    project = tmp_path / "dropped_project"
    (project / "dropped_project").mkdir(parents=True)
    (project / "dropped_project" / "__init__.py").write_text('__version__ = "0.3"\n')
    (project / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n\n'
        '[project]\nname = "dropped-project"\nversion = "0.3"\n'
    )
    window.packages_tab._credentials = Credentials("urunimi", "pypi-pass")  # as after a first upload
    drop(window, [project])
    wait_idle(qtbot, window)  # the build, then the uploads it queued
    rows = {row.name: row for row in window.packages_tab.queue.rows}
    assert rows["dropped_project/"].state == "done", rows["dropped_project/"].message
    uploaded = sorted(p.name for p in hosted(data_dir.packages_dir))
    assert uploaded == ["dropped_project-0.3-py3-none-any.whl", "dropped_project-0.3.tar.gz"]
    assert all(rows[name].state == "done" for name in uploaded)


def test_yank_asks_why_shows_it_and_unyank_undoes_it(qtbot, window, tmp_path) -> None:
    packages = window.services.packages
    for version in ("1.0", "1.1"):
        packages.upload(make_wheel(tmp_path, "yank-me", version), Credentials("urunimi", "pypi-pass"))
    wait_for_listing(qtbot, window, lambda listing: listing.file_count == 2)
    tab = window.packages_tab
    tab.view.selectRow(0)
    tab.detail.setCurrentIndex(tab.versions.index(0, 0))  # 1.1, the newest
    assert tab.yank_button.text() == "Yank…" and tab.yank_button.isEnabled()
    qtbot.mouseClick(tab.yank_button, Qt.MouseButton.LeftButton)
    dialog = tab.yank_dialog
    qtbot.keyClicks(dialog.reason_edit, "breaks on import")
    assert dialog.validate()
    with qtbot.waitSignal(tab.message, timeout=30_000) as said:
        qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Ok), Qt.MouseButton.LeftButton)
    assert said.args == ["Yanked yank-me 1.1."]
    shown = tab.versions.index(0, 0).data()
    assert shown == "1.1  (yanked: breaks on import)" and tab.yank_button.text() == "Unyank"
    assert "breaks on import" in tab.versions.index(0, 0).data(Qt.ItemDataRole.ToolTipRole)
    assert packages.facts().yank_reason("yank-me", "1.1") == "breaks on import"  # the server's database says so
    with qtbot.waitSignal(tab.message, timeout=30_000):
        qtbot.mouseClick(tab.yank_button, Qt.MouseButton.LeftButton)
    assert tab.versions.index(0, 0).data() == "1.1" and tab.yank_button.text() == "Yank…"
    file_row = tab.versions.index(0, 3, tab.versions.index(0, 0))
    assert file_row.data(Qt.ItemDataRole.ToolTipRole) == "<p>Upload time: uploaded.</p>"
