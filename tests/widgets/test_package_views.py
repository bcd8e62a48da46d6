"""The Packages tab's lists without a server: filter while typing, versions newest first, copy commands."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from gui.services.core import DeskServices
from gui.services.index.datadir import open_data_dir
from gui.services.packages.listing import group, scan
from gui.widgets.packages_tab import PackagesTab
from gui.workers.service_worker import ServiceWorker


def make_tab(qtbot, tmp_path: Path) -> PackagesTab:
    data_dir = open_data_dir(tmp_path / "server")
    data_dir.packages_dir.mkdir(parents=True)
    for name in ("alpha-1.0.tar.gz", "alpha-1.10.tar.gz", "alpha-1.9.tar.gz", "alpha-1.10-py3-none-any.whl",
                 "beta_tool-0.1.tar.gz", "Gamma-2.0.zip"):  # fmt: skip
        (data_dir.packages_dir / name).write_bytes(b"x")
    worker = ServiceWorker()
    services = DeskServices.open(data_dir, pypirc=tmp_path / "rc")
    tab = PackagesTab(worker, worker, services)
    qtbot.addWidget(tab)
    tab.show()
    files, unrecognized = scan(data_dir.packages_dir)
    tab.show_listing(group(files.values(), unrecognized))
    return tab


def shown_projects(tab: PackagesTab) -> list[str]:
    return [tab.proxy.index(row, 0).data() for row in range(tab.proxy.rowCount())]


def test_filter_while_typing_and_totals(qtbot, tmp_path: Path) -> None:
    tab = make_tab(qtbot, tmp_path)
    assert shown_projects(tab) == ["alpha", "beta-tool", "gamma"]
    assert tab.totals_label.text().startswith("3 projects, 5 versions, 6 files")
    qtbot.keyClicks(tab.filter_edit, "TA")
    assert shown_projects(tab) == ["beta-tool"]
    tab.filter_edit.clear()
    qtbot.keyClicks(tab.filter_edit, "a")
    assert shown_projects(tab) == ["alpha", "beta-tool", "gamma"]
    qtbot.keyClicks(tab.filter_edit, "zzz")
    assert shown_projects(tab) == []


def test_a_project_shows_its_versions_newest_first_and_commands_copy(qtbot, tmp_path: Path) -> None:
    tab = make_tab(qtbot, tmp_path)
    tab.view.selectRow(0)
    versions = [tab.versions.index(row, 0).data() for row in range(tab.versions.rowCount())]
    assert versions == ["1.10", "1.9", "1.0"]
    newest = tab.versions.index(0, 0)
    assert [tab.versions.index(r, 0, newest).data() for r in range(tab.versions.rowCount(newest))] == [
        "alpha-1.10-py3-none-any.whl",
        "alpha-1.10.tar.gz",
    ]
    assert not tab.delete_button.isEnabled()  # a version must be chosen to delete
    qtbot.mouseClick(tab.pip_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == "pip install alpha==1.10 --index-url http://127.0.0.1:8080/simple/"
    tab.detail.setCurrentIndex(tab.versions.index(2, 0))
    assert tab.delete_button.isEnabled()
    qtbot.mouseClick(tab.uv_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == "uv pip install alpha==1.0 --index-url http://127.0.0.1:8080/simple/"
    tab.set_configured_url("http://127.0.0.1:9123")  # the port chosen in the settings, server stopped
    qtbot.mouseClick(tab.pip_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == "pip install alpha==1.0 --index-url http://127.0.0.1:9123/simple/"
    tab.shutdown()
