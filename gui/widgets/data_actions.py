"""The Server tab's actions on the data itself: Backup…, Restore…, Move to…, Export CA certificate…, Renew.

Each forwards one core call to a worker and reports the outcome in the log pane and in a box
that says where the file went; a backup, restore or move shows a busy dialog while it runs. A
restore or move then shows the new place's server, and the box says so.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMessageBox, QProgressDialog

from gui.services.backup.archive import BackupSummary
from gui.services.core import DeskServices
from gui.services.index.datadir import DataDir, open_data_dir
from gui.widgets.location_dialog import OPEN, Location
from gui.widgets.notices import busy, tell
from gui.widgets.settings_form import SettingsForm
from gui.workers.service_worker import ServiceWorker


class DataActions(QObject):
    def __init__(
        self,
        form: SettingsForm,
        worker: ServiceWorker,
        current: Callable[[], DeskServices],
        say: Callable[[str], None],
        show_folder: Callable[[str], None],
        show_place: Callable[[Location], None] | None = None,
    ) -> None:
        super().__init__(form)
        self._form, self._worker, self._current, self._say, self._show_folder = form, worker, current, say, show_folder
        self._show_place = show_place
        self.box: QMessageBox | None = None  # the last outcome shown
        self.progress: QProgressDialog | None = None  # while a backup, restore or move runs
        form.export_ca_requested.connect(self.export_ca)
        form.renew_requested.connect(self.renew_certificate)
        form.backup_requested.connect(self.backup)
        form.move_requested.connect(self.move)

    def _submit(self, call, done: Callable[[object], None], doing: str = "", measured: bool = False) -> None:
        """Run ``call`` on the worker; with ``doing``, a busy dialog says so until it ends. ``measured``: ``call``
        takes ``progress`` and reports (what it does, share done), shown as a percentage."""
        if doing:
            self._busy(doing)

        def succeeded(result: object) -> None:
            self._idle()
            done(result)

        self._worker.submit(call, succeeded, self._failed, self._advance if measured else None)

    def _advance(self, step: object) -> None:
        """A step of a measured job; one that arrives after the job ended (signals queue) is passed over."""
        text, fraction = step  # type: ignore[misc]
        dialog = self.progress
        if dialog is None:
            return
        dialog.setLabelText(text)
        dialog.setRange(0, 100)
        dialog.setValue(round(100 * fraction))  # last: a modal dialog handles events here, the job's end too

    def _busy(self, doing: str) -> None:
        self._idle()
        self.progress = busy(self._form, "PyPI Desk", doing)

    def _idle(self) -> None:
        if self.progress is not None:
            self.progress.close()
            self.progress.deleteLater()
            self.progress = None

    def _failed(self, error: Exception) -> None:
        self._idle()
        self._say(str(error))
        self.box = tell(self._form, "That did not work", str(error), QMessageBox.Icon.Warning)

    def _tell(self, title: str, text: str) -> None:
        """The outcome in the log and in a box."""
        self._say(text)
        self.box = tell(self._form, title, text)

    def export_ca(self, path: str) -> None:
        server, settings = self._current().server, self._form.values()
        self._submit(
            lambda: server.tls.export_ca(settings, Path(path)),
            lambda written: self._tell(
                "CA certificate exported",
                f"Wrote the CA certificate to {written}. Teammates trust the server with it: "
                f"pip install --cert {written.name} --index-url {settings.url}/simple/ PACKAGE",
            ),
        )

    def renew_certificate(self) -> None:
        server, settings = self._current().server, self._form.values()
        self._submit(
            lambda: server.tls.renew(settings),
            lambda made: self._say(
                f"Made a new certificate for {', '.join(made.facts.names)}, valid until "
                f"{made.facts.not_after:%Y-%m-%d}; a running server presents it after a restart."
            ),
        )

    def backup(self, path: str) -> None:
        from gui.services.backup.volume_copy import backup_any

        services = self._current()
        self._submit(
            lambda: backup_any(services, Path(path), replace=True),  # the save dialog asked before replacing
            lambda summary: self._tell(
                "Backup written",
                f"Backed up {services.data_dir.describe()} to {summary.path} ({summary.files} files, "
                f"{summary.bytes / 1e6:.1f} MB). Restore… puts it back into a new folder or volume.",
            ),
            f"Backing up {services.data_dir.describe()} to {path}…",
        )

    def restore(self, archive: str, folder: str) -> None:
        from gui.services.backup.archive import restore_backup

        def restored(summary) -> None:
            self._tell("Backup restored", _restored(summary.path, summary.files, ""))
            self._show_folder(str(summary.path))

        doing = f"Restoring {archive} into {folder}…"
        self._submit(lambda: restore_backup(Path(archive), open_data_dir(folder)), restored, doing)

    def restore_into(self, archive: str, place: Location) -> None:
        """Restore a backup into a new folder, or a new volume on any engine; then show that server."""
        if not place.volume:
            self.restore(archive, place.folder)
            return
        from gui.services.backup.volume_copy import restore_any

        def restored(result: tuple[DataDir, BackupSummary]) -> None:
            data, summary = result
            self._tell("Backup restored", _restored(data.describe(), summary.files, ", in the volume too"))
            self._show(data)

        def into_volume() -> tuple[DataDir, BackupSummary]:
            target = DeskServices.open(engine=place.engine or None, volume=place.volume)
            try:
                return target.data_dir, restore_any(Path(archive), target)
            finally:
                target.close()

        self._submit(into_volume, restored, f"Restoring {archive} into the volume {place.volume}…")

    def move(self, folder: str) -> None:
        from gui.services.backup.move import move_to_folder

        services = self._current()
        self._submit(
            lambda progress: move_to_folder(services, Path(folder), lambda text, share: progress((text, share))),
            lambda result: self._moved(services, *result),
            _moving(services, folder),
            measured=True,
        )

    def move_to(self, place: Location) -> None:
        """Move this index to a folder or a volume on any engine (the location dialog's "Move this index here")."""
        if not place.volume:
            self.move(place.folder)
            return
        from gui.services.backup.move import move_to_volume

        services = self._current()
        self._submit(
            lambda progress: move_to_volume(
                services, place.volume, place.engine, lambda text, share: progress((text, share))
            ),
            lambda result: self._moved(services, *result),
            _moving(services, f"the volume {place.volume}"),
            measured=True,
        )

    def _moved(self, old: DeskServices, new: DeskServices, summary: BackupSummary) -> None:
        self._tell(
            "Index moved",
            f"Moved {summary.files} files to {new.data_dir.describe()}; {old.data_dir.describe()} is left as it was "
            "(remove it when you no longer need it). The window now shows the moved index, and opens it next time.",
        )
        new.close()  # the window opens the moved index anew, through its own factory
        self._show(new.data_dir)

    def _show(self, data: DataDir) -> None:
        """Have the window show the server of ``data``, a folder or a volume."""
        if data.is_volume and self._show_place is not None:
            self._show_place(Location(engine=data.engine, volume=data.volume, folder="", action=OPEN))
        else:
            self._show_folder(str(data.root))


def _restored(where: object, files: int, also: str) -> str:
    return (
        f"Restored {files} files into {where}; every file matched the backup's manifest{also}. The window now "
        "shows that index. Its server is stopped: Start it there (if the index you backed up still runs on the "
        "same port, stop that one first, or choose another port)."
    )


def _moving(services: DeskServices, where: str) -> str:
    return (
        f"Moving {services.data_dir.describe()} to {where}: copying, then checking every file. "
        "A running server is stopped only while its files are copied."
    )
