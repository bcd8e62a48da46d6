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
        recorded = (
            "No download is being recorded: they are from the server's next start with PyPI Desk's launcher "
            "(not while it runs the plain way); a cleanup rule on downloads is refused until then."
        )
    else:
        since = time.strftime("%Y-%m-%d", time.localtime(facts.recording_since))
        recorded = (
            f"Downloads are recorded since {since}; each download's own record is kept {settings.usage_days} days."
        )
    try:
        entries = services.usage.trash()
    except DeskError as exc:
        return Finding(name, Outcome.WARNING, f"{recorded} The trash cannot be read: {exc}",
                       "Give packages/.pypi-desk/trash back to the server's user, or move it away if it is not the "
                       "app's (a link, a file).")  # fmt: skip
    files = sum(len(entry.files) for entry in entries)
    size = sum(entry.size for entry in entries)
    overdue = [entry for entry in entries if entry.expires < time.time()]
    held = f" The trash holds {counted(files, 'file')} ({human_size(size)})." if files else ""
    if overdue:
        return Finding(
            name, Outcome.WARNING,
            f"{recorded}{held} {counted(len(overdue), 'cleanup')} in it passed the {settings.trash_days} days the "
            "trash keeps them: emptied at the next cleanup.",
            "Empty them now with: pypi-desk trash empty (or Trash… → Empty for good), or restore what should stay.",
        )  # fmt: skip
    return Finding(name, Outcome.OK, recorded + held)
