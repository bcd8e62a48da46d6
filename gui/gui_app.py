"""Starts the window: the display check, the app log, the QApplication, icon and style, the screenshot mode."""

from __future__ import annotations

import sys
from importlib import resources

from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import QApplication, QMessageBox

from gui import APP_ID, APP_NAME
from gui.services.app_log import configure_logging
from gui.services.core import DeskServices
from gui.services.display_check import display_problem  # before any QApplication: Qt would abort
from gui.services.errors import DeskError
from gui.services.last_index import recall
from gui.services.server.phase import Phase
from gui.widgets.main_window import MainWindow
from gui.widgets.palette import themed_stylesheet
from gui.workers.main_thread_gc import MainThreadGarbageCollector

SCREENSHOT_TIMEOUT_MS = 15_000


def application() -> QApplication:
    """The QApplication, set up with the app's name, id, icon and stylesheet."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName(APP_NAME)
    app.setDesktopFileName(APP_ID)
    assets = resources.files("gui.resources")
    icon = QPixmap()
    icon.loadFromData(assets.joinpath(f"{APP_ID}.svg").read_bytes())
    app.setWindowIcon(QIcon(icon))
    app.setStyleSheet(themed_stylesheet(assets.joinpath("style.qss").read_text(encoding="utf-8")))
    return app  # type: ignore[return-value]


def run_gui(
    data_dir: str | None,
    screenshot: str | None = None,
    tab: str = "server",
    verbose: bool = False,
    engine: str | None = None,
    volume: str | None = None,
) -> int:
    configure_logging(verbose=verbose)
    problem = display_problem()
    if problem is not None:  # Qt itself would abort with a message about plugins
        print(problem, file=sys.stderr)
        return 1
    app = application()
    MainThreadGarbageCollector(app)  # Qt objects are never finalized on a worker thread
    data_dir, engine, volume = where_to_open(data_dir, engine, volume)
    try:
        services = DeskServices.open(data_dir, engine=engine, volume=volume)
    except DeskError as error:
        if screenshot:
            print(f"pypi-desk: {error}", file=sys.stderr)
            return 1
        QMessageBox.critical(None, APP_NAME, str(error))
        return 1
    window = MainWindow(services, make_services=DeskServices.open)
    window.show_tab(tab)
    window.show()
    if screenshot:
        return _screenshot(app, window, screenshot)
    return app.exec()


def where_to_open(
    data_dir: str | None, engine: str | None, volume: str | None
) -> tuple[str | None, str | None, str | None]:
    """(folder, engine, volume) the window opens: what was asked for, or else the index it showed last."""
    if data_dir is not None or volume or engine:
        return data_dir, engine, volume
    last = recall()
    if last is None:
        return None, None, None  # the default folder
    return last.folder or None, last.engine or None, last.volume or None


def _screenshot(app: QApplication, window: MainWindow, path: str) -> int:
    """Render the window once its state is known, save it as PNG, and quit."""

    def grab() -> None:
        if window.grab().save(path, "PNG"):
            app.exit(0)
        else:
            print(f"pypi-desk: could not write the screenshot to {path}", file=sys.stderr)
            app.exit(1)

    def phase_changed(phase: Phase) -> None:
        if phase is not Phase.CHECKING:
            QTimer.singleShot(300, grab)  # let the first log batch paint

    window.phase_changed.connect(phase_changed)
    QTimer.singleShot(SCREENSHOT_TIMEOUT_MS, grab)
    code = app.exec()
    window.close()
    return code
