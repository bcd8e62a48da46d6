"""The Usage view's figures (and ``pypi-desk stats``'s): downloads per day, top projects and versions, by user
and by client, from the server's records; storage by project, from the listing."""

from __future__ import annotations

import dataclasses
import datetime
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from gui.services.server.inside import usage
from gui.services.usage import index_script

if TYPE_CHECKING:
    from gui.services.packages.listing import Listing
    from gui.services.server.service import ServerService

PERIODS = (30, 90, 365)


@dataclass(frozen=True)
class UsageFigures:
    """What the charts draw. Counts are whole downloads (no HEAD, range, 304 or refusal); days are UTC days."""

    days: int
    project: str | None  # one project's figures, or None for all
    per_day: tuple[tuple[datetime.date, int], ...]  # every day of the period, oldest first, 0 where none
    projects: tuple[tuple[str, int], ...]  # most downloaded first
    versions: tuple[tuple[str, str, int], ...]  # (project, version, downloads), most downloaded first
    users: tuple[tuple[str, int], ...]
    clients: tuple[tuple[str, int], ...]
    storage: tuple[tuple[str, int], ...] = field(default=())  # (project, bytes), largest first
    recording: bool = True  # whether downloads are recorded now (usage_days above 0, and PyPI Desk's server ran)

    @property
    def total(self) -> int:
        return sum(count for _, count in self.per_day)

    def as_json(self) -> dict:
        return {"days": self.days, "project": self.project, "total": self.total,
                "per_day": [[day.isoformat(), count] for day, count in self.per_day],
                "projects": [list(row) for row in self.projects], "versions": [list(row) for row in self.versions],
                "users": [list(row) for row in self.users], "clients": [list(row) for row in self.clients],
                "storage": [list(row) for row in self.storage], "recording": self.recording}  # fmt: skip


def read_figures(server: ServerService, listing: Listing, days: int, project: str | None = None) -> UsageFigures:
    """The figures for the last ``days`` days (today included); raises DeskError when the database cannot be read."""
    args = ["stats", str(days), *([project] if project else [])]
    raw = index_script.read(server, args, lambda store: usage.figures(store, days, project))
    return dataclasses.replace(
        figures_from(raw, listing, days, project), recording=server.load_settings().usage_days > 0
    )


def figures_from(raw: dict, listing: Listing, days: int, project: str | None, today: datetime.date | None = None):
    """``usage.figures``'s JSON as :class:`UsageFigures`: days filled in, versions as the files spell them."""
    today = today or datetime.datetime.now(datetime.timezone.utc).date()
    counts = {str(day): int(count) for day, count in raw.get("per_day", [])}
    first = today - datetime.timedelta(days=days - 1)
    per_day = tuple(
        (first + datetime.timedelta(days=n), counts.get(str(first + datetime.timedelta(days=n)), 0))
        for n in range(days)
    )
    spelled = _version_spellings(listing, {str(name) for name, _, _ in raw.get("versions", [])})
    chosen = [p for p in listing.projects if project is None or p.name == usage.project_key(project)]
    storage = tuple(sorted(((p.name, p.size) for p in chosen), key=lambda row: (-row[1], row[0])))
    return UsageFigures(
        days=days,
        project=usage.project_key(project) if project else None,
        per_day=per_day,
        projects=tuple((str(name), int(n)) for name, n in raw.get("projects", [])),
        versions=tuple(
            (str(name), spelled.get((str(name), str(version)), str(version)), int(n))
            for name, version, n in raw.get("versions", [])
        ),
        users=tuple((str(name), int(n)) for name, n in raw.get("users", [])),
        clients=tuple((str(name), int(n)) for name, n in raw.get("clients", [])),
        storage=storage,
    )


def _version_spellings(listing: Listing, names: set[str]) -> dict[tuple[str, str], str]:
    """(project, canonical version): the version as the index shows it (``1.0``, where the database keys ``1``),
    for the projects ``names`` only (the figures name a few of 5,000)."""
    return {
        (p.name, usage.version_key(str(v.version))): str(v.version)
        for p in listing.projects
        if p.name in names
        for v in p.versions
    }
