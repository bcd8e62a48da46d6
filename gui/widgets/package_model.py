"""The hosted packages as a tree: project, then its versions (newest first), then their files."""

from __future__ import annotations

import time

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt

from gui.services.packages import Listing, PackageFile, ProjectGroup, VersionGroup

AnyIndex = QModelIndex | QPersistentModelIndex

# internalId of an index: 0 for a project row; project row + 1 for a version row;
# FILE_FLAG | project row << 24 | version row for a file row.
FILE_FLAG = 1 << 62
HEADERS = ("Project / version / file", "Details", "Size", "Uploaded")


def human_size(size: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:,.0f} {unit}" if unit == "B" else f"{size:,.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    return ""


def _when(seconds: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(seconds))


class PackageTreeModel(QAbstractItemModel):
    """``UserRole`` gives the row's ProjectGroup, VersionGroup or PackageFile."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.listing = Listing((), ())

    def set_listing(self, listing: Listing) -> None:
        self.beginResetModel()
        self.listing = listing
        self.endResetModel()

    def _item(self, index: AnyIndex) -> ProjectGroup | VersionGroup | PackageFile:
        ident = index.internalId()
        if ident == 0:
            return self.listing.projects[index.row()]
        if ident & FILE_FLAG:
            project, version = (ident >> 24) & 0xFFFFFF, ident & 0xFFFFFF
            return self.listing.projects[project].versions[version].files[index.row()]
        return self.listing.projects[ident - 1].versions[index.row()]

    def index(self, row: int, column: int, parent: AnyIndex = QModelIndex()) -> QModelIndex:  # noqa: B008
        if not self.hasIndex(row, column, parent):
            return QModelIndex()
        if not parent.isValid():
            return self.createIndex(row, column, 0)
        ident = parent.internalId()
        if ident == 0:
            return self.createIndex(row, column, parent.row() + 1)
        return self.createIndex(row, column, FILE_FLAG | ((ident - 1) << 24) | parent.row())

    def parent(self, index: AnyIndex = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not index.isValid():
            return QModelIndex()
        ident = index.internalId()
        if ident == 0:
            return QModelIndex()
        if ident & FILE_FLAG:
            project, version = (ident >> 24) & 0xFFFFFF, ident & 0xFFFFFF
            return self.createIndex(version, 0, project + 1)
        return self.createIndex(ident - 1, 0, 0)

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        if not parent.isValid():
            return len(self.listing.projects)
        if parent.column() != 0:
            return 0
        item = self._item(parent)
        if isinstance(item, ProjectGroup):
            return len(item.versions)
        if isinstance(item, VersionGroup):
            return len(item.files)
        return 0

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return HEADERS[section]
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        item = self._item(index)
        if role == Qt.ItemDataRole.UserRole:
            return item
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() == 2:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        column = index.column()
        if isinstance(item, ProjectGroup):
            count = len(item.versions)
            values = (item.name, f"{count} version{'s' if count != 1 else ''}, latest {item.versions[0].version}")
        elif isinstance(item, VersionGroup):
            kinds = sorted({f.kind for f in item.files})
            values = (str(item.version), ", ".join(kinds))
        else:
            values = (item.filename, f"{item.kind} {item.tags}".strip())
        if column < 2:
            return values[column]
        return human_size(item.size) if column == 2 else _when(item.uploaded)
