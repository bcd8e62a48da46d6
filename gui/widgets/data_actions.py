"""The Server tab's actions on the data itself: Backup…, Restore…, Move to…, Export CA certificate…, Renew.

Each forwards one core call to a worker and reports the outcome in the log pane; a restore
then shows the restored folder's server.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject

from gui.services.backup.archive import BackupSummary
from gui.services.core import DeskServices
from gui.services.server.datadir import DataDir, open_data_dir
from gui.widgets.location_dialog import OPEN, Location
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
        form.export_ca_requested.connect(self.export_ca)
        form.renew_requested.connect(self.renew_certificate)
        form.backup_requested.connect(self.backup)
        form.move_requested.connect(self.move)

    def _submit(self, call, done: Callable[[object], None]) -> None:
        self._worker.submit(call, done, lambda error: self._say(str(error)))

    def export_ca(self, path: str) -> None:
        server, settings = self._current().server, self._form.values()
        self._submit(
            lambda: server.tls.export_ca(settings, Path(path)),
            lambda written: self._say(
                f"Wrote the CA certificate to {written}. Teammates trust the server with it: "
                f"pip install --cert {written.name} --index-url {settings.url}/simple/ PACKAGE"
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
        self._submit(lambda: backup_any(services, Path(path)), lambda summary: self._say(f"Backed up to {summary}."))

    def restore(self, archive: str, folder: str) -> None:
        from gui.services.backup.archive import restore_backup

        def restored(summary) -> None:
            self._say(f"Restored {summary}; every file matched the manifest. Showing that folder's server.")
            self._show_folder(str(summary.path))

        self._submit(lambda: restore_backup(Path(archive), open_data_dir(folder)), restored)

    def restore_into(self, archive: str, place: Location) -> None:
        """Restore a backup into a new folder, or a new volume on any engine; then show that server."""
        if not place.volume:
            self.restore(archive, place.folder)
            return
        from gui.services.backup.volume_copy import restore_any

        def restored(result: tuple[DataDir, BackupSummary]) -> None:
            data, summary = result
            self._say(f"Restored {summary}; every file matched the manifest, in the volume too. Showing its server.")
            self._show(data)

        def into_volume() -> tuple[DataDir, BackupSummary]:
            target = DeskServices.open(engine=place.engine or None, volume=place.volume)
            try:
                return target.data_dir, restore_any(Path(archive), target)
            finally:
                target.close()

        self._submit(into_volume, restored)

    def move(self, folder: str) -> None:
        from gui.services.backup.move import move_to_folder

        services = self._current()
        self._submit(lambda: move_to_folder(services, Path(folder)), lambda result: self._moved(services, *result))

    def move_to(self, place: Location) -> None:
        """Move this index to a folder or a volume on any engine (the location dialog's "Move this index here")."""
        if not place.volume:
            self.move(place.folder)
            return
        from gui.services.backup.move import move_to_volume

        services = self._current()
        self._submit(
            lambda: move_to_volume(services, place.volume, place.engine), lambda result: self._moved(services, *result)
        )

    def _moved(self, old: DeskServices, new: DeskServices, summary: BackupSummary) -> None:
        self._say(
            f"Moved {summary.files} files to {new.data_dir.describe()}; {old.data_dir.describe()} is left as it was "
            "(remove it when you no longer need it). Showing the moved index."
        )
        new.close()  # the window opens the moved index anew, through its own factory
        self._show(new.data_dir)

    def _show(self, data: DataDir) -> None:
        """Have the window show the server of ``data``, a folder or a volume."""
        if data.is_volume and self._show_place is not None:
            self._show_place(Location(engine=data.engine, volume=data.volume, folder="", action=OPEN))
        else:
            self._show_folder(str(data.root))
