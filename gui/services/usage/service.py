"""The usage area's facade: the figures the Usage view and ``pypi-desk stats`` show, and cleanup by rules (a
preview, then the trash or an archive), the same for the window and the command line."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from gui.services.errors import DeskError
from gui.services.usage import trash_bin
from gui.services.usage.figures import UsageFigures, read_figures
from gui.services.usage.prune import PrunePlan, PruneRules, plan_prune

if TYPE_CHECKING:
    from gui.services.packages.listing import Listing
    from gui.services.packages.service import PackageService
    from gui.services.server.service import ServerService

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PruneResult:
    moved: tuple[str, ...]  # paths below packages/
    missing: tuple[str, ...]  # in the preview, gone before the cleanup came to them
    size: int
    entry: str | None  # the trash entry that holds them (None once archived)
    archive: Path | None

    def summary(self) -> str:
        from gui.services.packages.listing import counted, human_size

        where = f"into {self.archive}" if self.archive else f"to the trash ({self.entry})"
        text = f"Moved {counted(len(self.moved), 'file')} ({human_size(self.size)}) {where}."
        if self.missing:
            text += f" {counted(len(self.missing), 'file')} had gone already: {', '.join(self.missing[:5])}."
        return text


class UsageService:
    def __init__(self, server: ServerService, packages: PackageService) -> None:
        self.server = server
        self.packages = packages

    def figures(self, days: int = 30, project: str | None = None, listing: Listing | None = None) -> UsageFigures:
        if not 1 <= days <= 3650:
            raise DeskError(f"{days} days is not a period the figures cover: choose 1 to 3650 days (30, 90, 365).")
        return read_figures(self.server, listing or self.packages.listing(), days, project)

    def plan(self, rules: PruneRules, listing: Listing | None = None, now: float | None = None) -> PrunePlan:
        """What these rules would remove now: every file, nothing touched."""
        return plan_prune(listing or self.packages.listing(), rules, now)

    def apply(self, plan: PrunePlan, archive: Path | None = None) -> PruneResult:
        """Remove exactly the preview's files: into the trash, or (``archive``) into a .tar.gz and then gone.
        Trash entries past their days are emptied first."""
        if archive is not None and Path(archive).exists():
            raise DeskError(f"{archive} exists already: choose a new file name for the archive.")
        try:
            trash_bin.empty(self.server)
        except DeskError as exc:  # housekeeping: the cleanup itself goes on
            log.warning("the trash could not be emptied of old entries: %s", exc)
        moved = trash_bin.move_to_trash(self.server, [item.path for item in plan.items])
        if archive is not None and moved.entry is not None:
            trash_bin.archive(self.server, moved.entry, Path(archive))
            trash_bin.empty(self.server, moved.entry)
        return PruneResult(moved.moved, moved.missing, moved.size, None if archive else moved.entry,
                           Path(archive) if archive else None)  # fmt: skip

    def trash(self) -> list[trash_bin.TrashEntry]:
        return trash_bin.entries(self.server)

    def restore(self, entry: str) -> tuple[list[str], list[str]]:
        """(restored, taken): files whose place another file took stay in the trash."""
        return trash_bin.restore(self.server, entry)

    def empty_trash(self, entry: str | None = None) -> list[str]:
        return trash_bin.empty(self.server, entry)
