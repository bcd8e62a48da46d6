"""The Packages tab's cache of upstream's projects, in the real window over a local server and a stand-in
upstream: cached projects listed with their size, a name that is also the team's flagged in both lists,
Add from PyPI… with its progress and report, Clear."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from gui.services.core import DeskServices
from gui.services.index.datadir import DataDir
from gui.services.index.settings import ServerSettings
from gui.services.server.phase import Phase
from gui.widgets.cache_panel import BOTH
from gui.widgets.main_window import MainWindow
from tests.helpers import make_wheel
from tests.test_usage_end_to_end import upload
from tests.upstream_standin import StandInIndex
from tests.widgets.test_packages_tab import wait_for_listing, wait_idle


@pytest.fixture
def upstream(tmp_path: Path):
    folder = tmp_path / "upstream"
    make_wheel(folder, "leftpad", "1.0", b"A" * 1000, metadata="Requires-Dist: rightpad")
    make_wheel(folder, "rightpad", "2.0", b"B" * 300_000)
    standin = StandInIndex(folder).start()
    yield standin
    standin.stop()


@pytest.fixture
def window(qtbot, data_dir: DataDir, port: int, isolated_home: Path, upstream):
    services = DeskServices.open(data_dir, pypirc=isolated_home / ".pypirc")
    data_dir.ensure()
    services.users.add("urunimi", "pypi-pass-word")
    settings = ServerSettings(port=port, runtime="process", fallback="cache", upstream=upstream.url)
    services.server.start(services.server.save_settings(settings), runtime="process")
    window = MainWindow(services)
    qtbot.addWidget(window)
    window.show()
    if window.phase is not Phase.RUNNING:
        with qtbot.waitSignal(window.phase_changed, check_params_cb=lambda p: p is Phase.RUNNING, timeout=30_000):
            pass
    wait_idle(qtbot, window)
    yield window
    window.close()
    services.server.stop()


def test_cached_projects_are_listed_flagged_when_also_the_teams_and_cleared(qtbot, window, port, tmp_path):
    url = f"http://127.0.0.1:{port}"
    assert requests.get(f"{url}/cached/rightpad/rightpad-2.0-py3-none-any.whl", timeout=30).status_code == 200
    assert requests.get(f"{url}/cached/leftpad/leftpad-1.0-py3-none-any.whl", timeout=30).status_code == 200
    upload(url, "urunimi", "pypi-pass-word", make_wheel(tmp_path / "ours", "leftpad", "0.1"))
    tab = window.packages_tab
    wait_for_listing(qtbot, window, lambda listing: {"leftpad", "rightpad"} <= set(listing.facts.cached)
                     and [p.name for p in listing.projects] == ["leftpad"], timeout=20_000)  # fmt: skip
    panel = tab.cache_panel
    rows = {panel.model.index(row, 0).data(): panel.model.index(row, 4).data() for row in range(panel.model.rowCount())}
    assert rows == {"leftpad": BOTH, "rightpad": ""}
    assert "2 projects" in panel.summary_label.text() and "also the team's" in panel.summary_label.text()
    team_row = tab.model.index(tab.model.row_of("leftpad"), 0)
    assert "also cached from upstream" in team_row.data(Qt.ItemDataRole.ToolTipRole)
    assert tab.model.listing.facts.files  # the team's upload times are still read beside the cache's rows
    assert tab.model.index(team_row.row(), 4).data().startswith("20")  # its last upload, a date

    panel.view.selectRow(1)  # rightpad
    qtbot.mouseClick(panel.clear_button, Qt.MouseButton.LeftButton)
    panel.confirm_box.button(QMessageBox.StandardButton.Yes).click()
    wait_for_listing(qtbot, window, lambda listing: set(listing.facts.cached) == {"leftpad"}, timeout=20_000)
    assert panel.model.rowCount() == 1


def test_add_from_pypi_fetches_a_set_with_progress_and_reports_each_target(qtbot, window):
    panel = window.packages_tab.cache_panel
    qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    dialog = panel.dialog
    assert not dialog.fetch_button.isEnabled()  # nothing named yet
    qtbot.keyClicks(dialog.requirements_edit, "leftpad")
    dialog.python_edit.clear()
    qtbot.keyClicks(dialog.python_edit, "3.11, 2.7")
    assert "not a Python version" in dialog.error_label.text() and not dialog.fetch_button.isEnabled()
    dialog.python_edit.clear()
    qtbot.keyClicks(dialog.python_edit, "3.11")
    dialog.platform_boxes["win-amd64"].setChecked(True)
    assert dialog.fetch_button.isEnabled()
    with qtbot.waitSignal(dialog.finished_set, timeout=120_000) as done:
        qtbot.mouseClick(dialog.fetch_button, Qt.MouseButton.LeftButton)
    assert "linux-x86_64, Python 3.11: 2 files" in done.args[0] and "win-amd64, Python 3.11: 2 files" in done.args[0]
    assert dialog.progress_bar.value() == dialog.progress_bar.maximum()
    wait_for_listing(qtbot, window, lambda listing: {"leftpad", "rightpad"} <= set(listing.facts.cached), 20_000)


def test_a_set_under_way_survives_its_dialog_closing_and_stops_when_asked(qtbot, window, upstream):
    """Pasted requirements are read as a requirements file is; closing the dialog leaves the fetch running (its end
    reaches the log pane); editing meanwhile never offers a second Fetch; Stop ends it; so does closing the window."""
    upstream.delay = 1.0  # each request a second: the set is still under way while the test acts
    panel = window.packages_tab.cache_panel
    dialog = panel.open_add_dialog()
    dialog.requirements_edit.setPlainText("leftpad==1.0 \\\n    --hash=sha256:00  # pinned\n# a comment line\n")
    assert dialog.error_label.text() == "" and dialog.fetch_button.isEnabled()
    with qtbot.waitSignal(window.transfers.busy_changed, timeout=10_000):
        qtbot.mouseClick(dialog.fetch_button, Qt.MouseButton.LeftButton)
    dialog.reject()  # closed while it fetches
    assert panel.open_add_dialog() is dialog and dialog.fetching  # reopened: the same fetch, its progress
    qtbot.keyClicks(dialog.python_edit, "0")
    assert not dialog.fetch_button.isEnabled()  # no second set while one runs
    with qtbot.waitSignal(dialog.failed_set, timeout=30_000) as stopped:
        qtbot.mouseClick(dialog.stop_button, Qt.MouseButton.LeftButton)
    assert "stopped" in stopped.args[0]
    assert any("Add from PyPI" in text and "stopped" in text for _, text in window.log_pane.model.rows)
    assert not dialog.fetching
    dialog.python_edit.setText("3.12")
    assert dialog.fetch_button.isEnabled()
    qtbot.mouseClick(dialog.fetch_button, Qt.MouseButton.LeftButton)
    assert dialog.fetching
    window.close()  # the set is stopped, so the window closes at once and its threads end
    assert window.transfers.isFinished()
