"""The Usage tab of the real window on an index whose database holds recorded downloads: the charts draw
them, a click on a bar selects the project in the Packages tab, the Packages tab shows the counts; a
cleanup previews, moves exactly the previewed files to the trash, and the trash restores them."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from gui.services.core import DeskServices
from gui.services.index.datadir import DataDir
from gui.services.server.inside import facts, usage
from gui.widgets.main_window import MainWindow
from tests.helpers import OLD, hosted, seed_usage_index, wheel_path


@pytest.fixture
def seeded(data_dir: DataDir) -> DataDir:
    seed_usage_index(data_dir)
    return data_dir


@pytest.fixture
def window(qtbot, seeded: DataDir, isolated_home: Path):
    window = MainWindow(DeskServices.open(seeded, pypirc=isolated_home / ".pypirc"))
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.packages_tab.listing_shown, check_params_cb=lambda listing: bool(listing.projects)):
        window.show()
    yield window
    window.close()


def show_usage(qtbot, window: MainWindow):
    with qtbot.waitSignal(window.usage_tab.figures_shown, timeout=20_000) as shown:
        window.show_tab("usage")
    return shown.args[0]


def test_the_charts_draw_the_recorded_downloads_and_a_click_selects_the_project(qtbot, window, tmp_path):
    figures = show_usage(qtbot, window)
    tab = window.usage_tab
    assert figures.total == 13
    assert tab.top_projects.rows == [("alpha", 10), ("beta", 3)]
    assert tab.top_versions.rows == [("alpha 3.0", 10), ("beta 1.0", 3)]
    assert tab.users.rows == [("alice", 10), ("bob", 3)] and tab.clients.rows == [("pip", 10), ("uv", 3)]
    storage = [name for name, _ in tab.storage.rows]
    assert storage[:2] == ["alpha", "gamma"] and set(storage[2:]) == {"beta", "delta"}  # three, two, one files
    assert sum(count for _, count in tab.over_time.days) == 13 and len(tab.over_time.days) == 30

    picture = tab.grab()
    picture.save(str(tmp_path / "usage.png"))
    image = picture.toImage()
    bar = tab.top_projects.bar_colour.rgb()
    coloured = sum(image.pixel(x, y) == bar for x in range(0, image.width(), 2) for y in range(0, image.height(), 2))
    assert coloured > 500, "the bars are not on screen"

    chart = tab.top_projects
    where = chart.mapFromScene(chart.point_of_row(1))  # beta's bar
    qtbot.mouseClick(chart.viewport(), Qt.MouseButton.LeftButton, pos=where)
    assert window.tabs.currentWidget() is window.packages_tab
    assert window.packages_tab.selected_project().name == "beta"

    model = window.packages_tab.model
    alpha = model.row_of("alpha")
    assert model.index(alpha, 5).data() == "10"  # downloads in 30 days: the one 200 days ago is older
    assert model.index(model.row_of("delta"), 6).data() == "never"
    assert model.headerData(5, Qt.Orientation.Horizontal) == "Downloads (30 d)"

    with qtbot.waitSignal(tab.figures_shown) as longer:
        tab.period_box.setCurrentIndex(tab.period_box.findData(365))
    assert longer.args[0].total == 14


def test_a_cleanup_removes_exactly_the_preview_and_the_trash_restores_it(qtbot, window, seeded):
    show_usage(qtbot, window)
    tab = window.usage_tab
    qtbot.mouseClick(tab.prune_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.prune_dialog is not None and tab.prune_dialog.isVisible())
    dialog = tab.prune_dialog
    dialog.older_days.setValue(365)
    dialog.unused_days.setValue(90)
    dialog.keep_box.setValue(1)
    assert not dialog.apply_button.isEnabled()  # no preview yet
    with qtbot.waitSignal(dialog.previewed) as previewed:
        qtbot.mouseClick(dialog.preview_button, Qt.MouseButton.LeftButton)
    plan = previewed.args[0]
    going = [wheel_path("alpha", "1.0"), wheel_path("alpha", "2.0"), wheel_path("gamma", "1.0")]
    assert sorted(item.path for item in plan.items) == going  # delta 1.0 is old and unused, but its only version
    assert sorted(dialog.model.index(row, 0).data() for row in range(dialog.model.rowCount())) == going
    assert "15.0 KB" in dialog.summary_label.text() or "KB freed" in dialog.summary_label.text()

    dialog.keep_box.setValue(2)  # a changed rule: the preview is stale
    assert not dialog.apply_button.isEnabled() and dialog.model.rowCount() == 0
    dialog.keep_box.setValue(1)
    with qtbot.waitSignal(dialog.previewed):
        qtbot.mouseClick(dialog.preview_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(tab.message) as said:
        qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    assert "Moved 3 files" in said.args[0]
    left = {path.name for path in hosted(seeded.packages_dir)}
    assert left.isdisjoint(going) and wheel_path("delta", "1.0") in left and wheel_path("alpha", "3.0") in left

    qtbot.mouseClick(tab.trash_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.trash_dialog is not None)
    trash = tab.trash_dialog
    if not trash.model.rows:
        with qtbot.waitSignal(trash.loaded):
            pass
    assert sorted(trash.model.rows[0].files) == going
    with qtbot.waitSignal(trash.restored):
        qtbot.mouseClick(trash.restore_button, Qt.MouseButton.LeftButton)
    assert set(going) <= {path.name for path in hosted(seeded.packages_dir)}
    store = facts.FactsStore(str(seeded.packages_dir), read_only=True)
    try:
        rows = store.rows(going)
        assert all(abs(rows[path].upload_time - OLD) < 1 and rows[path].time_source == "upload" for path in going)
        assert usage.file_usage(store)[wheel_path("alpha", "1.0")][0] == 1  # its count came back with it
    finally:
        store.close()


def test_another_index_never_shows_the_first_ones_figures(qtbot, window, tmp_path):
    show_usage(qtbot, window)
    other = DeskServices.open(tmp_path / "other")
    with qtbot.waitSignal(window.usage_tab.figures_shown, timeout=20_000) as shown:
        window.usage_tab.set_services(other)  # the window switches data folders while the tab is on screen
    assert shown.args[0].total == 0 and window.usage_tab.storage.rows == []
    assert window.usage_tab.top_projects.rows == []
