"""The upload queue keeps each item on its own row, whatever is cleared meanwhile."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from gui.services.core import DeskServices
from gui.services.errors import DistributionError
from gui.services.packages.service import UploadEvent
from gui.widgets.packages_tab import PackagesTab
from gui.workers.service_worker import ServiceWorker


def test_clear_finished_while_one_still_sends_keeps_its_progress_on_its_row(qtbot, tmp_path: Path) -> None:
    """Clicking Clear finished mid-upload once moved later progress onto another file's row (or raised)."""
    worker, transfers = ServiceWorker(name="w"), ServiceWorker(name="t")
    tab = PackagesTab(worker, transfers, DeskServices.open(tmp_path / "data"))
    qtbot.addWidget(tab)
    broken = DistributionError("junk-1.0.tar.gz: the archive is empty. Nothing was sent.")
    for event in (
        UploadEvent(1, "junk-1.0.tar.gz", "waiting", message="Waiting"),
        UploadEvent(2, "toy-1.0.tar.gz", "waiting", message="Waiting"),
        UploadEvent(3, "toy-1.0-py3-none-any.whl", "waiting", message="Waiting"),
        UploadEvent(1, "junk-1.0.tar.gz", "failed", message=str(broken), error=broken),
        UploadEvent(2, "toy-1.0.tar.gz", "sending", 40, "Sending…"),
    ):
        tab._upload_step(event)
    tab.clear_button.show()

    qtbot.mouseClick(tab.clear_button, Qt.MouseButton.LeftButton)  # the failed junk row goes; toy is still sending
    tab._upload_step(UploadEvent(2, "toy-1.0.tar.gz", "sending", 90, "Sending…"))
    tab._upload_step(UploadEvent(2, "toy-1.0.tar.gz", "done", 100, "Uploaded"))

    shown = [[tab.queue.index(row, column).data() for column in range(3)] for row in range(tab.queue.rowCount())]
    assert shown == [
        ["toy-1.0.tar.gz", "100%", "Uploaded"],
        ["toy-1.0-py3-none-any.whl", "0%", "Waiting"],  # untouched by the other file's progress
    ]
    qtbot.mouseClick(tab.clear_button, Qt.MouseButton.LeftButton)
    tab._upload_step(UploadEvent(3, "toy-1.0-py3-none-any.whl", "done", 100, "Uploaded"))
    assert [tab.queue.index(0, column).data() for column in range(3)] == [
        "toy-1.0-py3-none-any.whl",
        "100%",
        "Uploaded",
    ]
    assert tab.queue.rowCount() == 1
    tab.shutdown()
    worker.shutdown()
    transfers.shutdown()
