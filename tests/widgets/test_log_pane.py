"""The log pane: bounded, coloured by status, filtered while typing, saved to a file."""

from __future__ import annotations

from PySide6.QtCore import Qt

from gui.widgets.log_model import LogModel
from gui.widgets.log_pane import LogPane

OK = '1.2.3.4 - - [t] "GET /simple/ HTTP/1.1" 200 265 "-" "pip"'
DENIED = '1.2.3.4 - u [t] "POST / HTTP/1.1" 403 701 "-" "twine"'
BROKEN = '1.2.3.4 - - [t] "GET /simple/x/ HTTP/1.1" 500 1 "-" "pip"'


def test_only_the_newest_lines_are_kept(qtbot) -> None:
    model = LogModel(max_lines=100)
    for start in range(0, 1000, 30):
        model.append_lines([f"line {n}" for n in range(start, start + 30)])
    assert model.rowCount() == 100
    assert model.text_lines()[-1] == "line 1019"
    assert model.text_lines()[0] == "line 920"


def test_status_codes_are_shown_and_coloured_by_class(qtbot) -> None:
    model = LogModel()
    model.append_lines([OK, DENIED, BROKEN, "plain line"])
    colours = [model.data(model.index(row, 1), Qt.ItemDataRole.ForegroundRole) for row in range(4)]
    assert [model.data(model.index(row, 0)) for row in range(4)] == ["200", "403", "500", ""]
    assert len({c.name() for c in colours[:3]}) == 3 and colours[3] is None


def test_filter_while_typing_and_clear(qtbot) -> None:
    pane = LogPane()
    qtbot.addWidget(pane)
    pane.append_lines([OK, DENIED, BROKEN] * 10)
    qtbot.keyClicks(pane.filter_edit, "POST")
    assert pane.proxy.rowCount() == 10
    pane.append_lines([DENIED, OK])  # new lines are filtered as they arrive
    assert pane.proxy.rowCount() == 11
    pane.filter_edit.clear()
    assert pane.proxy.rowCount() == 32
    qtbot.mouseClick(pane.clear_button, Qt.MouseButton.LeftButton)
    assert pane.proxy.rowCount() == 0


def test_auto_scroll_can_be_paused(qtbot) -> None:
    pane = LogPane()
    qtbot.addWidget(pane)
    pane.resize(600, 300)
    pane.show()
    pane.append_lines([f"line {n}" for n in range(500)])
    bar = pane.view.verticalScrollBar()
    assert bar.value() == bar.maximum()
    pane.follow_box.setChecked(False)
    bar.setValue(0)
    pane.append_lines([f"more {n}" for n in range(100)])
    assert bar.value() == 0
