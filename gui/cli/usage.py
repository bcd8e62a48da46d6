"""`pypi-desk stats|prune|trash`: what the index is used for, and cleanup by rules (cron can run it)."""

from __future__ import annotations

import argparse
import datetime
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gui.services.core import DeskServices
    from gui.services.usage.prune import PrunePlan


def add_parser(commands: argparse._SubParsersAction) -> None:
    stats = commands.add_parser("stats", help="downloads by day, project, version, user and client; storage")
    stats.add_argument("--project", help="one project's figures (default: all)")
    stats.add_argument("--days", type=int, default=30, help="the period, ending today (default 30)")
    stats.add_argument("--json", action="store_true", help="machine-readable output")
    stats.set_defaults(handler=_stats)
    prune = commands.add_parser(
        "prune", help="remove old, unused releases by rules: a preview first; into the trash (restorable) or an archive"
    )
    prune.add_argument("--older-than", metavar="AGE", help="uploaded more than AGE ago: 180d, 26w, 1y")
    prune.add_argument("--unused-for", metavar="AGE", help="not downloaded for AGE (never downloaded counts)")
    prune.add_argument("--keep", type=int, default=3, help="the newest versions of each project always stay (3)")
    prune.add_argument("--match", action="append", default=[], metavar="PATTERN",
                       help="only projects matching this name pattern, e.g. 'corp-*' (repeat for more)")  # fmt: skip
    prune.add_argument("--yanked-first", action="store_true", help="yanked versions do not count among those kept")
    prune.add_argument("--archive", type=Path, metavar="FILE", help="move the files into this .tar.gz, not the trash")
    prune.add_argument("--dry-run", action="store_true", help="show what would go, remove nothing")
    prune.add_argument("--yes", action="store_true", help="do not ask (for cron)")
    prune.add_argument("--json", action="store_true", help="the preview (and what was done) as JSON")
    prune.set_defaults(handler=_prune)
    trash = commands.add_parser("trash", help="what cleanups removed: list, restore an entry, empty")
    actions = trash.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser("list", help="the trash's entries and their files").set_defaults(handler=_trash_list)
    restore = actions.add_parser("restore", help="put an entry's files back, with their upload times and counts")
    restore.add_argument("entry")
    restore.set_defaults(handler=_trash_restore)
    empty = actions.add_parser("empty", help="empty one entry for good, or (no entry) those past trash_days")
    empty.add_argument("entry", nargs="?")
    empty.set_defaults(handler=_trash_empty)


def _day(seconds: float | None) -> str:
    return datetime.datetime.fromtimestamp(seconds).strftime("%Y-%m-%d") if seconds else "never"


def _stats(services: DeskServices, args: argparse.Namespace) -> int:
    from gui.services.packages.listing import human_size

    figures = services.usage.figures(args.days, args.project)
    if args.json:
        print(json.dumps(figures.as_json(), indent=2))
        return 0
    scope = f"{figures.project}, " if figures.project else ""
    print(f"Downloads, {scope}last {figures.days} days (UTC): {figures.total:,}")
    if not figures.recording:
        print("  Downloads are not being recorded on this index (usage_days is 0).")
    busiest = max(figures.per_day, key=lambda row: row[1], default=None)
    if busiest is not None and busiest[1]:
        print(f"  busiest day {busiest[0].isoformat()}: {busiest[1]:,}")
    versions = [(f"{name} {version}", count) for name, version, count in figures.versions]
    users = [(name or "no password asked", count) for name, count in figures.users]
    for title, rows in (("Projects", figures.projects), ("Versions", versions), ("Users", users),
                        ("Clients", figures.clients)):  # fmt: skip
        if rows:
            print(f"{title}:")
        for name, count in rows:
            print(f"  {name:<44} {count:>10,}")
    if figures.storage:
        print("Storage:")
    for name, size in figures.storage[:20]:
        print(f"  {name:<44} {human_size(size):>10}")
    return 0


def _rules(args: argparse.Namespace):
    from gui.services.usage.prune import PruneRules, parse_days

    return PruneRules(
        older_than=parse_days(args.older_than, "--older-than") if args.older_than else None,
        unused_for=parse_days(args.unused_for, "--unused-for") if args.unused_for else None,
        keep=args.keep,
        patterns=tuple(args.match),
        yanked_first=args.yanked_first,
    )


def _show_plan(plan: PrunePlan) -> None:
    from gui.services.packages.listing import counted, human_size

    print(f"Rules: {plan.rules.describe()}.")
    for item in plan.items:
        flag = " (yanked)" if item.yanked else ""
        print(f"  {item.path}  {human_size(item.size)}  uploaded {_day(item.uploaded)}, "
              f"last downloaded {_day(item.last_download)}{flag}")  # fmt: skip
    print(f"{counted(len(plan.items), 'file')} of {counted(plan.releases, 'version')}, {human_size(plan.size)} freed.")


def _prune(services: DeskServices, args: argparse.Namespace) -> int:
    from gui.services.errors import DeskError

    plan = services.usage.plan(_rules(args))
    if args.json:
        print(json.dumps({"rules": plan.rules.describe(), "bytes": plan.size,
                          "files": [item.__dict__ for item in plan.items]}, indent=2))  # fmt: skip
    else:
        _show_plan(plan)
    if args.dry_run or not plan.items:
        return 0
    if not args.yes:
        if not sys.stdin.isatty():
            raise DeskError("Nothing was removed: give --yes to remove these files without asking (cron), or run "
                            "it in a terminal to be asked.")  # fmt: skip
        answer = input(f"Move these files {'into ' + str(args.archive) if args.archive else 'to the trash'}? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("Nothing was removed.")
            return 0
    result = services.usage.apply(plan, args.archive)
    said = sys.stderr if args.json else sys.stdout
    print(result.summary(), file=said)
    if result.entry:
        print(f"Restore them with: pypi-desk trash restore {result.entry}", file=said)
    return 0


def _trash_list(services: DeskServices, args: argparse.Namespace) -> int:
    from gui.services.packages.listing import counted, human_size

    entries = services.usage.trash()
    if not entries:
        print("The trash is empty.")
    for entry in entries:
        print(f"{entry.entry}  {counted(len(entry.files), 'file')}, {human_size(entry.size)}; "
              f"emptied after {_day(entry.expires)}")  # fmt: skip
        for path in entry.files:
            print(f"  {path}")
    return 0


def _trash_restore(services: DeskServices, args: argparse.Namespace) -> int:
    restored, taken = services.usage.restore(args.entry)
    print(f"Restored {len(restored)} file(s).")
    if taken:
        print(f"Left in the trash, as another file took their place: {', '.join(taken)}", file=sys.stderr)
        return 1
    return 0


def _trash_empty(services: DeskServices, args: argparse.Namespace) -> int:
    gone = services.usage.empty_trash(args.entry)
    print(f"Emptied {len(gone)} entr{'y' if len(gone) == 1 else 'ies'}." if gone else "Nothing to empty.")
    return 0
