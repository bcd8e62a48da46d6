"""The usage area's facade: the figures the Usage view and ``pypi-desk stats`` show, and cleanup by rules (a
preview, then the trash or an archive), the same for the window and the command line."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.version import Version

from gui.services.errors import DeskError
from gui.services.usage import trash_bin
from gui.services.usage.figures import UsageFigures, read_figures
from gui.services.usage.prune import PruneItem, PrunePlan, PruneRules, plan_prune

if TYPE_CHECKING:
    from gui.services.packages.listing import Listing
    from gui.services.packages.service import PackageService
    from gui.services.server.service import ServerService

log = logging.getLogger(__name__)
CLEANUP_LOCK = ".cleanup.lock"  # in the data folder, beside the settings' lock
CLEANUP_LOCK_TIMEOUT = 600.0  # a cleanup of 50,000 files through the engine takes a while
CLEANUP_STALE = 6 * 3600.0  # a volume's cleanup lock older than this was left by a PyPI Desk that died


@dataclass(frozen=True)
class PruneResult:
    moved: tuple[str, ...]  # paths below packages/
    missing: tuple[str, ...]  # in the preview, gone before the cleanup came to them
    size: int
    entry: str | None  # the trash entry that holds them (None once archived)
    archive: Path | None
    changed: tuple[str, ...] = ()  # replaced or rewritten since the preview: they stay
    kept: tuple[str, ...] = ()  # now their project's only version (others went meanwhile): they stay

    def summary(self) -> str:
        from gui.services.packages.listing import counted, human_size

        where = f"into {self.archive}" if self.archive else f"to the trash ({self.entry})"
        text = f"Moved {counted(len(self.moved), 'file')} ({human_size(self.size)}) {where}." if self.moved else (
            "Nothing was moved.")  # fmt: skip
        for paths, why in ((self.missing, "had gone already"), (self.changed, "changed since the preview and stay"),
                           (self.kept, "are now their project's only version and stay")):  # fmt: skip
            if paths:
                text += f" {counted(len(paths), 'file')} {why}: {', '.join(paths[:5])}."
        return text


def check_archive(target: Path, packages: Path) -> Path:
    """Where a cleanup's archive may go: a new .tar.gz in an existing folder this user may write, outside the
    index (a file there would be served); checked before any file moves."""
    target = target.expanduser().absolute()
    if not target.name.endswith((".tar.gz", ".tgz")):
        raise DeskError(f"{target} is not a .tar.gz name: end the archive's name with .tar.gz.")
    if target.exists() or target.is_symlink():
        raise DeskError(f"{target} exists already: choose a new file name for the archive.")
    if not target.parent.is_dir():
        raise DeskError(f"The folder {target.parent} does not exist: choose an archive in an existing folder.")
    if not os.access(target.parent, os.W_OK):
        raise DeskError(f"The folder {target.parent} cannot be written by you: choose another folder for the archive.")
    if target.resolve().is_relative_to(packages.resolve()):
        raise DeskError(f"{target} is inside the index's packages folder, where it would be served: choose another.")
    return target


def _still_not_the_last(plan: PrunePlan, now: Listing) -> tuple[list[PruneItem], list[PruneItem]]:
    """(what may go, what stays): a planned release stays when its project would have no version left now."""
    present = {(p.name, str(v.version)) for p in now.projects for v in p.versions}
    planned: dict[str, set[str]] = {}
    for item in plan.items:
        planned.setdefault(item.project, set()).add(item.version)
    keep: set[tuple[str, str]] = set()
    for project, versions in planned.items():
        left = {v for p, v in present if p == project} - versions
        still = sorted((v for v in versions if (project, v) in present), key=Version, reverse=True)
        if not left and still:
            keep.add((project, still[0]))  # the newest of what is there stays
    going = [item for item in plan.items if (item.project, item.version) not in keep]
    return going, [item for item in plan.items if (item.project, item.version) in keep]


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
        if rules.unused_for is not None and self.server.load_settings().usage_days == 0:
            raise DeskError(
                "Downloads are not recorded on this index (usage_days is 0), so nobody can say what is unused: "
                "leave out the rule on downloads, or turn recording on (Download records, in the Server tab)."
            )
        return plan_prune(listing or self.packages.listing(), rules, now)

    def apply(self, plan: PrunePlan, archive: Path | None = None) -> PruneResult:
        """Remove the preview's files: into the trash, or (``archive``) into a .tar.gz and then gone. Only what the
        preview showed goes: a file changed since stays, and so does a project's only version (its others may have
        gone meanwhile). Trash entries past their days are emptied first."""
        target = check_archive(Path(archive), self.server.data_dir.packages_dir) if archive is not None else None
        with self._one_at_a_time():  # two cleanups at once could each leave the other's last version alone
            try:
                trash_bin.empty(self.server)
            except DeskError as exc:  # housekeeping: the cleanup itself goes on
                log.warning("the trash could not be emptied of old entries: %s", exc)
            going, kept = _still_not_the_last(plan, self.packages.listing())
            moved = trash_bin.move_to_trash(self.server, [(item.path, item.size, item.mtime) for item in going])
        if target is not None and moved.entry is not None:
            try:
                trash_bin.archive(self.server, moved.entry, target)
            except DeskError as exc:
                raise DeskError(f"{exc} The files are in the trash entry {moved.entry}: restore them with "
                                f"'pypi-desk trash restore {moved.entry}', or Trash….") from exc  # fmt: skip
            trash_bin.empty(self.server, moved.entry)
        return PruneResult(moved.moved, moved.missing, moved.size, None if target else moved.entry, target,
                           moved.changed, tuple(item.path for item in kept))  # fmt: skip

    def trash(self) -> list[trash_bin.TrashEntry]:
        return trash_bin.entries(self.server)

    def restore(self, entry: str) -> tuple[list[str], list[str]]:
        """(restored, taken): files whose place another file took stay in the trash."""
        with self._one_at_a_time():
            return trash_bin.restore(self.server, entry)

    @contextlib.contextmanager
    def _one_at_a_time(self) -> Iterator[None]:
        """Held while a cleanup or a restore changes the files: in the data folder, or on the volume's engine."""
        if self.server.data_dir.is_volume and self.server.volume is not None:
            with self.server.volume.locked("files (a cleanup or a restore)", kind="cleanup", stale_after=CLEANUP_STALE):
                yield
            return
        from filelock import FileLock, Timeout

        lock = FileLock(str(self.server.data_dir.root / CLEANUP_LOCK), timeout=CLEANUP_LOCK_TIMEOUT)
        try:
            lock.acquire()
        except Timeout:
            raise DeskError("Another cleanup or restore of this index is running: try again once it ends.") from None
        except OSError as exc:  # a lock file another user made (root's cron)
            raise DeskError(f"The cleanup's lock {lock.lock_file} cannot be taken ({exc.strerror or exc}): delete it "
                            "if no cleanup runs, or run as the user who made it.") from exc  # fmt: skip
        try:
            yield
        finally:
            lock.release()

    def empty_trash(self, entry: str | None = None) -> list[str]:
        return trash_bin.empty(self.server, entry)
