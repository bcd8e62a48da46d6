"""The index database's command line, for the app: run in the server's container, a one-shot container or a
helper (standard library only; ``command.facts_script`` runs it as ``python3 -c`` with ``facts.py``'s source
joined in front, so nothing of PyPI Desk's needs to be in the container).

    dump PACKAGES                         the facts as JSON (for the app), with each file's downloads
    yank PACKAGES PROJECT VERSION [REASON] / unyank PACKAGES PROJECT VERSION
    backup PACKAGES NAME                  a consistent copy at .pypi-desk/NAME (SQLite's backup API)
    stats PACKAGES DAYS [PROJECT]         the Usage view's figures (``usage.figures``)
    trash PACKAGES ENTRY|new JSON         files ([[path, size, mtime], ...]) into a trash entry (``trash.py``)
    trash-list PACKAGES / restore PACKAGES ENTRY / purge PACKAGES DAYS|ENTRY
    cache-clear PACKAGES [PROJECT]        the cache of upstream's projects emptied, or one project (``cache_store``)
    cache-allow PACKAGES PROJECT          upstream's project served again for a name the team hosted once
"""

import contextlib
import json
import os
import sqlite3
import sys

if __package__:  # imported as part of PyPI Desk (the app, the bundle)
    from gui.services.server.inside import cache_store, trash, usage
    from gui.services.server.inside.facts import DAMAGED, FOLDER, NAME, FactsStore
elif "FactsStore" not in globals():  # run from this folder (with python3 -c, the other sources come first)
    import cache_store
    import trash
    import usage
    from facts import DAMAGED, FOLDER, NAME, FactsStore
else:  # python3 -c: usage.py's and trash.py's functions are right here
    cache_store = trash = usage = sys.modules[__name__]


def dump(store: FactsStore) -> dict:
    """The facts the app shows: each file's upload time and how it is known, requires-python; the yanks."""
    files = {path: [f.upload_time, f.time_source, f.requires_python] for path, f in store.all_files().items()}
    yanks = [[project, version, reason] for (project, version), reason in store.yanks().items()]
    return {"files": files, "yanks": yanks, "token_use": store.token_uses(),
            "set_aside": set_aside(os.path.dirname(os.path.dirname(store.path))),
            "usage": usage.file_usage(store), "releases": usage.release_downloads(store),
            "recording_since": usage.recording_since(store), "cached": cache_store.cached_projects(store),
            "upstream": cache_store.upstream_state(store)}  # fmt: skip


def set_aside(packages_root: str) -> list[str]:
    """The damaged databases set aside so far (their file names), oldest first."""
    try:
        names = os.listdir(os.path.join(packages_root, FOLDER))
    except OSError:
        return []
    return sorted(n for n in names if n.startswith(NAME + DAMAGED) and not n.endswith(("-wal", "-shm")))


COMMANDS = ("dump", "yank", "unyank", "backup", "stats", "trash", "trash-list", "restore", "purge", "cache-clear",
            "cache-allow")  # fmt: skip
READING = ("dump", "backup", "stats", "trash-list")


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] not in COMMANDS:
        print(f"usage: {'|'.join(COMMANDS)} PACKAGES ...", file=sys.stderr)
        return 2
    command, root = argv[0], argv[1]
    store = FactsStore(root, read_only=command in READING, strict=True)
    try:
        if command == "dump":
            json.dump(dump(store), sys.stdout)
        elif command == "cache-allow":
            print(json.dumps({"allowed": cache_store.allow_upstream(store, argv[2])}))
        elif command == "cache-clear":
            print(json.dumps(cache_store.clear_cache(store, root, argv[2] if len(argv) > 2 else None)))
        elif command in ("stats", "trash", "trash-list", "restore", "purge"):
            print(json.dumps(_usage_command(store, root, command, argv[2:])))
        elif command == "backup":
            if os.path.basename(argv[2]) != argv[2] or argv[2] in (NAME, "", ".", ".."):
                print("backup: give a plain file name for the copy", file=sys.stderr)
                return 2
            target = os.path.join(root, FOLDER, argv[2])
            with contextlib.suppress(FileNotFoundError):
                os.unlink(target)  # never an older copy when there is no database to copy now
            try:
                print(json.dumps({"copied": store.backup_to(target)}))
            except sqlite3.DatabaseError as exc:  # damaged: the server rebuilds it; the backup goes on without
                print(json.dumps({"copied": False, "problem": str(exc)}))
        else:
            reason = (argv[4] if len(argv) > 4 else "") if command == "yank" else None
            count = store.set_yank(argv[2], argv[3], reason)
            print(json.dumps({"files": count}))
    except (trash.TrashError, cache_store.CacheError, ValueError) as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except (sqlite3.Error, OSError) as exc:  # one line the app shows, not a traceback
        print(f"the index database {store.path}: {exc}", file=sys.stderr)
        return 1
    finally:
        store.close()
    return 0


def _usage_command(store: FactsStore, root: str, command: str, args: list[str]) -> object:
    if command == "stats":
        return usage.figures(store, int(args[0]), args[1] if len(args) > 1 else None)
    if command == "trash":
        wanted = json.loads(args[1])
        if not isinstance(wanted, list):
            raise trash.TrashError("trash: give the files as a JSON list")
        return trash.move_to_trash(store, wanted, None if args[0] == "new" else args[0])
    if command == "trash-list":
        return {"entries": trash.entries(root)}
    if command == "restore":
        return trash.restore(store, args[0])
    days = int(args[0]) if args[0].isdigit() else None
    return {"purged": trash.purge(root, days, entry=None if days is not None else args[0])}


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
