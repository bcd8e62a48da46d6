"""Cleanup rules and the preview they make: which releases go, every file and the bytes freed, before anything
is removed (as Nexus's and Artifactory's cleanup policies: age, not downloaded since, keep the newest N).

A release (all files of one version) goes when every rule given holds: uploaded more than
``older_than`` days ago, not downloaded for ``unused_for`` days (or never), not among its
project's newest ``keep`` versions, and its project matches a pattern (when any are given). The
only version a project has never goes. With ``yanked_first``, yanked releases do not count among
the newest kept, so they go before any other (given alone, it removes yanked releases only).
"""

from __future__ import annotations

import fnmatch
import re
import time
from dataclasses import dataclass

from gui.services.errors import DeskError
from gui.services.packages.listing import Listing, VersionGroup

DAY = 86400
_DURATION = re.compile(r"^\s*(\d{1,5})\s*(d|w|y)?\s*$", re.IGNORECASE)


def parse_days(text: str, what: str) -> int:
    """``180d``, ``26w``, ``1y`` or ``180`` as days; raises DeskError naming ``what`` and what to type."""
    match = _DURATION.match(text or "")
    if not match:
        raise DeskError(f"{what} {text!r} is not a duration: use days such as 180d, weeks such as 26w, or 1y.")
    return int(match[1]) * {"d": 1, "w": 7, "y": 365}[(match[2] or "d").lower()]


@dataclass(frozen=True)
class PruneRules:
    older_than: int | None = None  # days since upload
    unused_for: int | None = None  # days since the last download (never downloaded counts as unused)
    keep: int = 3  # the newest versions of each project that always stay
    patterns: tuple[str, ...] = ()  # project name patterns (fnmatch, on PEP 503 names); () = every project
    yanked_first: bool = False

    def validate(self) -> None:
        if self.older_than is None and self.unused_for is None and not self.yanked_first:
            raise DeskError(
                "Give at least one rule: older than N days, not downloaded for M days, or yanked versions first."
            )
        if self.keep < 0:
            raise DeskError("Keep is the number of newest versions each project keeps: 0 or more (3 is common).")
        for pattern in self.patterns:
            if not pattern.strip() or any(c.isspace() for c in pattern.strip()):
                raise DeskError(f"{pattern!r} is not a project name pattern: use names or wildcards, such as corp-*.")

    def describe(self) -> str:
        parts = []
        if self.older_than is not None:
            parts.append(f"uploaded more than {self.older_than} days ago")
        if self.unused_for is not None:
            parts.append(f"not downloaded for {self.unused_for} days")
        parts.append(f"keeping the newest {self.keep} of each project")
        if self.patterns:
            parts.append(f"projects {', '.join(self.patterns)}")
        if self.yanked_first:
            parts.append("yanked versions first")
        return "; ".join(parts)


@dataclass(frozen=True)
class PruneItem:
    path: str  # below packages/, as the listing names it
    filename: str
    project: str
    version: str
    size: int
    uploaded: float
    last_download: float | None
    yanked: bool
    mtime: float  # the file's modification time when previewed: a file changed since is not removed


@dataclass(frozen=True)
class PrunePlan:
    rules: PruneRules
    items: tuple[PruneItem, ...]  # every file that goes, by project and version

    @property
    def size(self) -> int:
        return sum(item.size for item in self.items)

    @property
    def releases(self) -> int:
        return len({(item.project, item.version) for item in self.items})


def plan_prune(listing: Listing, rules: PruneRules, now: float | None = None) -> PrunePlan:
    """The files these rules remove from this listing (nothing is touched)."""
    rules.validate()
    now = time.time() if now is None else now
    if rules.unused_for is not None:
        _check_downloads_known(listing, rules.unused_for, now)
    items: list[PruneItem] = []
    for project in listing.projects:
        if rules.patterns and not any(fnmatch.fnmatchcase(project.name, _normalized(p)) for p in rules.patterns):
            continue
        versions = project.versions  # newest first
        yanked = {v.version for v in versions if listing.yank_reason(project.name, v.version) is not None}
        counted = [v for v in versions if not (rules.yanked_first and v.version in yanked)]
        kept = {v.version for v in counted[: rules.keep]}
        going = [v for v in versions if v.version not in kept and _expired(listing, v, rules, now)]
        if rules.older_than is None and rules.unused_for is None:  # "yanked first" alone: the yanked only
            going = [v for v in going if v.version in yanked]
        if len(going) == len(versions):  # never the only (or last) version
            going = going[1:]
        for version in going:
            last = _last_download(listing, version)
            for file in version.files:
                items.append(PruneItem(
                    file.relative_path.replace("\\", "/"), file.filename, project.name, str(version.version),
                    file.size, listing.upload_of(file)[0], last, version.version in yanked, file.uploaded,
                ))  # fmt: skip
    return PrunePlan(rules, tuple(items))


def _normalized(pattern: str) -> str:
    """A name pattern as PEP 503 normalizes names: ``Corp_Data.*`` matches ``corp-data-x``."""
    return re.sub(r"[-_.]+", "-", pattern.strip().lower())


def _check_downloads_known(listing: Listing, days: int, now: float) -> None:
    """A rule on downloads needs the server's records: readable, and kept long enough to say anything."""
    if listing.facts.problem:
        raise DeskError(
            f"The index database cannot be read ({listing.facts.problem}), so nobody can say what was downloaded: "
            "nothing was removed. Run the Doctor, or leave out the rule on downloads."
        )
    if listing.facts.recording_since is None:
        raise DeskError(
            "This index has no record of downloads yet (the server records them from its first start with this "
            "version, unless usage_days is 0): a rule on downloads would remove what is in use. Leave it out, or "
            f"run it once downloads have been recorded for {days} days."
        )


def _expired(listing: Listing, version: VersionGroup, rules: PruneRules, now: float) -> bool:
    uploaded = max(listing.upload_of(file)[0] for file in version.files)
    if rules.older_than is not None and now - uploaded < rules.older_than * DAY:
        return False
    if rules.unused_for is None:
        return True
    # never downloaded, or not since: as far as the records go back (a download before them is unknown)
    seen = max(_last_download(listing, version) or 0.0, listing.facts.recording_since or 0.0)
    return now - seen >= rules.unused_for * DAY


def _last_download(listing: Listing, version: VersionGroup) -> float | None:
    times = [listing.usage_of(file).last_download for file in version.files]
    found = [t for t in times if t is not None]
    return max(found) if found else None
