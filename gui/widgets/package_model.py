"""The hosted packages for the Packages tab: a flat table of projects (filtered by a proxy, fast at
5,000 projects) and, for the selected project, a tree of its versions (newest first) and their files."""

from __future__ import annotations

import html
import time

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QBrush, QColor

from gui.services.packages.index_facts import TIME_SOURCES
from gui.services.packages.listing import Listing, PackageFile, ProjectGroup, VersionGroup, human_size
from gui.widgets.table_model import AnyIndex, RowTableModel

_DISPLAY = Qt.ItemDataRole.DisplayRole
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


SHORT_SOURCES = {"upload": "", "seen": "first seen", "file": "file time"}


def when(seconds: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(seconds))


def plain(text: str) -> str:
    """A tooltip shown as the text it is: a user name or a reason with markup in it is never drawn as markup."""
    return f"<p>{html.escape(text)}</p>"


def last_downloaded(seconds: float | None) -> str:
    return when(seconds) if seconds else "never"


def project_usage(listing: Listing, project: ProjectGroup) -> tuple[int, float | None]:
    """(downloads in the last 30 days, the last download) of a project, as the server recorded them."""
    downloads = sum(listing.facts.recent_downloads(project.name, v.version) for v in project.versions)
    times = [listing.usage_of(f).last_download for v in project.versions for f in v.files]
    found = [t for t in times if t is not None]
    return downloads, max(found) if found else None


class ProjectTableModel(RowTableModel):
    """One row per project; ``rows`` are the names. ``UserRole`` gives the ProjectGroup."""

    HEADERS = ("Project", "Versions", "Latest", "Size", "Last upload", "Downloads (30 d)", "Last downloaded")

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.listing = Listing((), ())
        self._lowered: list[str] = []
        self._row_of: dict[str, int] = {}
        self._usage: dict[int, tuple[int, float | None]] = {}  # by row, once shown: downloads in 30 days, last

    def set_listing(self, listing: Listing) -> None:
        self.listing = listing
        names = [project.name for project in listing.projects]
        self._lowered = [name.lower() for name in names]
        self._row_of = {name: row for row, name in enumerate(names)}
        self._usage = {}
        self.set_rows(names)

    def lowered_names(self) -> list[str]:
        return self._lowered

    def row_of(self, name: str) -> int | None:
        return self._row_of.get(name)

    def data(self, index: AnyIndex, role: int = _DISPLAY):
        column = index.column()
        if role == _DISPLAY and column == 0:  # the filter reads this for every row: keep it short
            return self.rows[index.row()]
        project = self.listing.projects[index.row()]
        if role == Qt.ItemDataRole.UserRole:
            return project
        if column == 0 and role in (Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.ToolTipRole):
            if project.name not in self.listing.facts.cached:
                return None
            if role == Qt.ItemDataRole.ForegroundRole:
                return QBrush(QColor("#b35c00"))
            return ("The team's project, and also cached from upstream (from before the team hosted it): only the "
                    "team's files are served. Clear the cached copy below.")  # fmt: skip
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (1, 3, 5):
            return _RIGHT
        if role != _DISPLAY:
            return None
        if column >= 5:
            row = index.row()
            if row not in self._usage:  # the rows on screen only: 5,000 projects are not summed each listing
                self._usage[row] = project_usage(self.listing, project)
            downloads, last = self._usage[row]
            return f"{downloads:,}" if column == 5 else last_downloaded(last)
        if column == 1:
            return str(len(project.versions))
        if column == 2:
            return str(project.versions[0].version)
        if column == 3:
            return human_size(project.size)
        return when(max(self.listing.upload_of(f)[0] for v in project.versions for f in v.files))


class VersionTreeModel(QAbstractItemModel):
    """One project's versions (top level) and their files. ``UserRole`` gives the VersionGroup or PackageFile."""

    HEADERS = ("Version / file", "Kind", "Size", "Uploaded", "Downloads (30 d)", "Last downloaded")

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.project: ProjectGroup | None = None
        self.listing = Listing((), ())

    def set_project(self, project: ProjectGroup | None, listing: Listing | None = None) -> None:
        """Show ``project``; ``listing`` (what it came from) says when each file came and what is yanked."""
        self.beginResetModel()
        self.project = project
        self.listing = listing or self.listing
        self.endResetModel()

    def yank_reason(self, version: VersionGroup) -> str | None:
        return self.listing.yank_reason(self.project.name, version.version) if self.project else None

    def _item(self, index: AnyIndex) -> VersionGroup | PackageFile:
        assert self.project is not None
        ident = index.internalId()  # 0: a version row; version row + 1: a file row
        if ident == 0:
            return self.project.versions[index.row()]
        return self.project.versions[ident - 1].files[index.row()]

    def index(self, row: int, column: int, parent: AnyIndex = QModelIndex()) -> QModelIndex:  # noqa: B008
        if not self.hasIndex(row, column, parent):
            return QModelIndex()
        return self.createIndex(row, column, parent.row() + 1 if parent.isValid() else 0)

    def parent(self, index: AnyIndex = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not index.isValid() or index.internalId() == 0:
            return QModelIndex()
        return self.createIndex(index.internalId() - 1, 0, 0)

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        if self.project is None:
            return 0
        if not parent.isValid():
            return len(self.project.versions)
        if parent.internalId() == 0 and parent.column() == 0:
            return len(self.project.versions[parent.row()].files)
        return 0

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY):
        if role == _DISPLAY and orientation == Qt.Orientation.Horizontal:
            return self.HEADERS[section]
        return None

    def data(self, index: AnyIndex, role: int = _DISPLAY):
        if not index.isValid():
            return None
        item = self._item(index)
        if role == Qt.ItemDataRole.UserRole:
            return item
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() in (2, 4):
            return _RIGHT
        version = item if isinstance(item, VersionGroup) else None
        yanked = self.yank_reason(version) if version is not None else None
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(item, yanked)
        if role == Qt.ItemDataRole.ForegroundRole and yanked is not None:
            return QBrush(QColor("gray"))
        if role != _DISPLAY:
            return None
        if version is not None:
            label = str(version.version) + ("" if yanked is None else f"  (yanked{': ' + yanked if yanked else ''})")
            first = (label, ", ".join(sorted({f.kind for f in version.files})))
        else:
            first = (item.filename, f"{item.kind} {item.tags}".strip())
        column = index.column()
        if column < 2:
            return first[column]
        if column == 2:
            return human_size(item.size)
        files = version.files if version is not None else (item,)
        if column == 4:
            return f"{self.listing.facts.recent_downloads(self.project.name, version.version):,}" if version else ""
        if column == 5:
            times = [t for t in (self.listing.usage_of(f).last_download for f in files) if t is not None]
            return last_downloaded(max(times) if times else None)
        uploaded, source = max(self.listing.upload_of(f) for f in files)
        return when(uploaded) + ("" if source == "upload" else f" ({SHORT_SOURCES[source]})")

    def _tooltip(self, item: VersionGroup | PackageFile, yanked: str | None) -> str | None:
        if isinstance(item, VersionGroup):
            if yanked is None:
                return None
            return plain(
                "Yanked: pip and uv skip it unless it is pinned with ==." + (f" Reason: {yanked}" if yanked else "")
            )
        said = f"Upload time: {TIME_SOURCES[self.listing.upload_of(item)[1]]}."
        used = self.listing.usage_of(item)
        if used.downloads:
            times = "once" if used.downloads == 1 else f"{used.downloads:,} times"
            said += f" Downloaded {times}, the last time by {used.last_user or 'someone no password was asked of'}."
        return plain(said)


class ProjectFilterProxy(QSortFilterProxyModel):
    """Filters projects by a substring of their name, matched once in Python per keystroke.

    The stock filter asks the model for every row's text (a Python call, a copy and a match each);
    here each row costs one set lookup, which keeps typing under 30 ms at 5,000 projects.
    """

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._text = ""
        self._accepted: set[int] | None = None  # None: every row

    def set_text(self, text: str) -> None:
        self._text = text.strip().lower()
        self._refilter()

    def _refilter(self) -> None:
        model = self.sourceModel()
        names = model.lowered_names() if isinstance(model, ProjectTableModel) else []
        text = self._text
        accepted = {row for row, name in enumerate(names) if text in name} if text else None
        if hasattr(self, "beginFilterChange"):  # Qt 6.9+; invalidateRowsFilter is deprecated there
            self.beginFilterChange()
            self._accepted = accepted
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            self._accepted = accepted
            self.invalidateRowsFilter()

    def setSourceModel(self, model) -> None:
        super().setSourceModel(model)
        model.modelReset.connect(self._refilter)

    def filterAcceptsRow(self, source_row: int, source_parent: AnyIndex) -> bool:
        return self._accepted is None or source_row in self._accepted
