"""The index's trash: files a cleanup removed, kept restorable for a set number of days (standard library only:
run by the app on a folder, or in the engine as the server's user for a volume; ``facts_main.py`` is its
command line).

``packages/.pypi-desk/trash/ENTRY/`` holds ``manifest.json`` (written first, whole, before any file
moves: what each file was, its upload time and how it is known) and ``files/`` (the files, moved
there by a rename on the same disk). A dot folder: no walk of the index lists it, so nothing in
the trash is served. A restore moves each file back where it was, unless another file took its
place meanwhile (then it stays in the trash and is named), and records its upload time again; its
download counts were never taken away (they are kept by path).
"""

import json
import os
import re
import shutil
import time

if __package__:  # imported as part of PyPI Desk (the app, the bundle)
    from gui.services.server.inside.facts import FOLDER, FactsStore, project_key, version_key
elif "FactsStore" not in globals():  # run from this folder (with python3 -c, facts.py's source comes first)
    from facts import FOLDER, FactsStore, project_key, version_key

TRASH = "trash"
MANIFEST = "manifest.json"
_ENTRY = re.compile(r"^[0-9]{8}T[0-9]{6}-[0-9a-f]{6}$")


class TrashError(ValueError):
    """A request the trash refuses (a path outside the index, an entry that is not one): says which."""


def trash_dir(root: str) -> str:
    return os.path.join(root, FOLDER, TRASH)


def check_entry(entry: str) -> str:
    if not _ENTRY.match(entry or ""):
        raise TrashError(f"{entry!r} is not a trash entry (they are named like 20261203T071500-a1b2c3)")
    return entry


def _entry_dir(root: str, entry: str) -> str:
    return os.path.join(trash_dir(root), check_entry(entry))


def _checked(path: str) -> str:
    """A path below packages/ as the index names it (``a/b.whl``); anything else is refused."""
    parts = path.split("/")
    if not path or path.startswith("/") or any(p in ("", ".", "..") or p.startswith(".") for p in parts):
        raise TrashError(f"{path!r} is not a file of the index")
    return path


def _within(root: str, path: str) -> bool:
    """Whether ``root/path`` is there through no link (a linked folder could lead anywhere)."""
    folder = os.path.dirname(path)
    return os.path.realpath(os.path.join(root, folder)) == os.path.normpath(
        os.path.join(os.path.realpath(root), folder)
    )


def move_to_trash(store: FactsStore, paths: list[str], now: float | None = None) -> dict:
    """Move these files (paths below packages/) into a new trash entry, with their facts; returns
    {"entry", "moved": [paths], "missing": [paths], "bytes"}."""
    root = os.path.dirname(os.path.dirname(store.path))
    paths = [_checked(p) for p in dict.fromkeys(paths)]
    now = now if now is not None else time.time()
    entry = f"{time.strftime('%Y%m%dT%H%M%S', time.gmtime(now))}-{os.urandom(3).hex()}"
    folder = _entry_dir(root, entry)
    known = store.rows(paths)
    described = []
    for path in paths:
        try:
            info = os.lstat(os.path.join(root, path))
        except FileNotFoundError:
            continue
        if not os.path.isfile(os.path.join(root, path)) or os.path.islink(os.path.join(root, path)):
            continue
        if not _within(root, path):
            raise TrashError(f"{path!r} lies in a linked folder, not in the index")
        fact = known.get(path)
        name, version = _project_of(store, path)
        described.append({"path": path, "size": info.st_size, "project": name, "version": version,
                          "upload_time": fact.upload_time if fact else info.st_mtime,
                          "time_source": fact.time_source if fact else "file"})  # fmt: skip
    _make_folders(root, os.path.join(folder, "files"))
    _write_manifest(folder, {"made": now, "files": described})
    moved, missing, size = [], [p for p in paths if p not in {d["path"] for d in described}], 0
    for item in described:
        target = os.path.join(folder, "files", item["path"])
        _make_folders(root, os.path.dirname(target))
        try:
            os.rename(os.path.join(root, item["path"]), target)
        except FileNotFoundError:
            missing.append(item["path"])
            continue
        moved.append(item["path"])
        size += item["size"]
    if not moved:
        shutil.rmtree(folder, ignore_errors=True)
    return {"entry": entry if moved else None, "moved": moved, "missing": missing, "bytes": size}


def _project_of(store: FactsStore, path: str) -> tuple[str, str]:
    """(project, version) as the database keys the file; from its name when it has no row."""
    row = store.guarded(lambda c: c.execute("SELECT project, version FROM files WHERE path=?", (path,)).fetchone())
    if row:
        return row[0], row[1]
    name = os.path.basename(path)
    stem = name[: -len(".whl")] if name.endswith(".whl") else re.sub(r"\.(tar\.gz|zip|tar\.bz2|tgz)$", "", name)
    parts = stem.split("-")
    return project_key(parts[0]), version_key(parts[1] if len(parts) > 1 else "")


def _make_folders(root: str, folder: str) -> None:
    """``folder`` (below ``root``) and its missing parents, owned as ``root`` is when made by root (a one-shot
    container or a volume's helper): the server's own user moves the files back later."""
    missing = []
    here = folder
    while not os.path.isdir(here) and here != root:
        missing.append(here)
        here = os.path.dirname(here)
    os.makedirs(folder, mode=0o755, exist_ok=True)
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        owner = os.stat(root)
        for made in missing:
            os.chown(made, owner.st_uid, owner.st_gid)


def _write_manifest(folder: str, manifest: dict) -> None:
    temporary = os.path.join(folder, f".{MANIFEST}.{os.getpid()}")
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(manifest, handle)
        handle.flush()
        os.fsync(handle.fileno())
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            owner = os.stat(folder)
            os.fchown(handle.fileno(), owner.st_uid, owner.st_gid)
    os.replace(temporary, os.path.join(folder, MANIFEST))


def _manifest(folder: str) -> dict:
    try:
        with open(os.path.join(folder, MANIFEST), encoding="utf-8") as handle:
            manifest = json.load(handle)
    except (OSError, ValueError):
        return {"made": 0.0, "files": []}
    files = [f for f in manifest.get("files", []) if isinstance(f, dict) and isinstance(f.get("path"), str)]
    return {"made": float(manifest.get("made", 0.0)), "files": files}


def entries(root: str) -> list[dict]:
    """Each trash entry, newest first: {"entry", "made", "files": [{path, size, project, version, upload_time}],
    "bytes"}; only the files still in it."""
    try:
        names = sorted((n for n in os.listdir(trash_dir(root)) if _ENTRY.match(n)), reverse=True)
    except OSError:
        return []
    found = []
    for name in names:
        folder = os.path.join(trash_dir(root), name)
        manifest = _manifest(folder)
        files = [f for f in manifest["files"] if os.path.isfile(os.path.join(folder, "files", f["path"]))]
        found.append({"entry": name, "made": manifest["made"] or _made_of(name), "files": files,
                      "bytes": sum(int(f.get("size", 0)) for f in files)})  # fmt: skip
    return found


def _made_of(entry: str) -> float:
    import calendar

    return float(calendar.timegm(time.strptime(entry[:15], "%Y%m%dT%H%M%S")))


def restore(store: FactsStore, entry: str) -> dict:
    """Move an entry's files back, with their upload times; {"restored": [paths], "taken": [paths whose place
    another file took: left in the trash]}. The entry goes once it is empty."""
    root = os.path.dirname(os.path.dirname(store.path))
    folder = _entry_dir(root, entry)
    if not os.path.isdir(folder):
        raise TrashError(f"There is no trash entry {entry}: it was restored or emptied already.")
    restored, taken = [], []
    for item in _manifest(folder)["files"]:
        path = _checked(item["path"])
        source, target = os.path.join(folder, "files", path), os.path.join(root, path)
        if not os.path.isfile(source):
            continue
        if os.path.lexists(target):
            taken.append(path)
            continue
        store.record([(path, str(item.get("project", "")), str(item.get("version", "")),
                       float(item.get("upload_time", time.time())), str(item.get("time_source", "file")))])  # fmt: skip
        _make_folders(root, os.path.dirname(target))
        if not _within(root, path):
            taken.append(path)
            continue
        os.rename(source, target)
        restored.append(path)
    if not taken:
        shutil.rmtree(folder, ignore_errors=True)
    return {"restored": restored, "taken": taken}


def purge(root: str, keep_days: int | None, now: float | None = None, entry: str | None = None) -> list[str]:
    """Empty the entries older than ``keep_days`` (or the one ``entry``); returns their names."""
    now = now if now is not None else time.time()
    if entry is not None and not os.path.isdir(_entry_dir(root, entry)):
        raise TrashError(f"There is no trash entry {entry}: it was restored or emptied already.")
    gone = []
    for found in entries(root):
        if (entry is not None and found["entry"] == entry) or (
            entry is None and keep_days is not None and now - found["made"] > keep_days * 86400
        ):
            shutil.rmtree(_entry_dir(root, found["entry"]), ignore_errors=True)
            gone.append(found["entry"])
    return gone
