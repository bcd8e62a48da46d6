"""The Doctor's check of what the server records of downloads, and of the cleanup's trash."""

from __future__ import annotations

import time

from gui.services.core import DeskServices
from gui.services.doctor.findings import Finding, Outcome
from gui.services.errors import DeskError
from gui.services.index.settings import ServerSettings
from gui.services.packages.listing import counted, human_size


def download_records(services: DeskServices, settings: ServerSettings) -> Finding:
    """Whether downloads are recorded (and since when), and whether the trash holds entries past their days."""
    name = "Download records and trash"
    facts = services.packages.facts()
    if facts.problem:
        return Finding(name, Outcome.SKIPPED, "The index database cannot be read (see Index database).")
    if settings.usage_days == 0:
        recorded = ("Downloads are not recorded (usage_days is 0): the Usage tab shows none, and a cleanup rule on "
                    "downloads is refused.")  # fmt: skip
    elif facts.recording_since is None:
        recorded = "Downloads are recorded from the server's next start."
    else:
        since = time.strftime("%Y-%m-%d", time.localtime(facts.recording_since))
        recorded = (
            f"Downloads are recorded since {since}; each download's own record is kept {settings.usage_days} days."
        )
    try:
        entries = services.usage.trash()
    except DeskError as exc:
        return Finding(name, Outcome.WARNING, f"{recorded} The trash cannot be read: {exc}", "Run the Doctor again.")
    files = sum(len(entry.files) for entry in entries)
    size = sum(entry.size for entry in entries)
    overdue = [entry for entry in entries if entry.expires < time.time()]
    held = f" The trash holds {counted(files, 'file')} ({human_size(size)})." if files else ""
    if overdue:
        return Finding(
            name, Outcome.WARNING,
            f"{recorded}{held} {counted(len(overdue), 'cleanup')} in it are past their {settings.trash_days} days: "
            "they go at the next cleanup.",
            "Empty them now with: pypi-desk trash empty (or Trash… → Empty for good), or restore what should stay.",
        )  # fmt: skip
    return Finding(name, Outcome.OK, recorded + held)
