"""The index's trash: files a cleanup removed, kept restorable for a set number of days (standard library only:
run by the app on a folder, or in the engine as the server's user for a volume; ``facts_main.py`` is its
command line).

``packages/.pypi-desk/trash/ENTRY/`` holds ``manifest.json`` (written first, whole, before any file
moves: what each file was, its upload time and how it is known) and ``files/`` (the files, moved
there by a rename on the same disk). A dot folder: no walk of the index lists it, so nothing in
the trash is served. A cleanup names each file with the size and modification time its preview
saw: a file changed since stays. A restore moves each file back where it was, unless another file
took its place meanwhile (then it stays in the trash and is named), and records its upload time
again; its download counts were never taken away (they are kept by path). A file in an entry
that its manifest does not name (a damaged manifest) is listed and restored all the same. No path
through a link is followed, in the index or in the trash.
"""

import json
import math
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
FILES = "files"
_ENTRY = re.compile(r"^[0-9]{8}T[0-9]{6}-[0-9a-f]{6}$")


class TrashError(ValueError):
    """A request the trash refuses (a path outside the index, an entry that is not one): says which."""


def trash_dir(root: str) -> str:
    """The trash folder; refused when it, or the folder it is in, is a link (it could lead anywhere)."""
    for part in (os.path.join(root, FOLDER), os.path.join(root, FOLDER, TRASH)):
        if os.path.islink(part):
            raise TrashError(f"{part} is a link, not the index's own folder: move it away.")
    return os.path.join(root, FOLDER, TRASH)


def check_entry(entry: str) -> str:
    if not _ENTRY.match(entry or ""):
        raise TrashError(f"{entry!r} is not a trash entry (they are named like 20261203T071500-a1b2c3)")
    return entry


def new_entry(now: float | None = None) -> str:
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(now if now is not None else time.time()))
    return f"{stamp}-{os.urandom(3).hex()}"


def _entry_dir(root: str, entry: str) -> str:
    return os.path.join(trash_dir(root), check_entry(entry))


def _checked(path: object) -> str:
    """A path below packages/ as the index names it (``a/b.whl``); anything else is refused."""
    parts = path.split("/") if isinstance(path, str) else [""]
    if not path or path.startswith("/") or any(p in ("", ".", "..") or p.startswith(".") for p in parts):
        raise TrashError(f"{path!r} is not a file of the index")
    return path


def _no_links(base: str, path: str) -> bool:
    """Whether no part of ``base/path`` that exists is a link (a linked folder could lead anywhere)."""
    here = base
    for part in path.split("/"):
        here = os.path.join(here, part)
        if os.path.islink(here):
            return False
        if not os.path.exists(here):
            return True
    return True


def move_to_trash(store: FactsStore, wanted: list, entry: str | None = None, now: float | None = None) -> dict:
    """Move files into a trash entry (a new one, or ``entry`` to add to one this cleanup made). ``wanted``: paths
    below packages/, or [path, size, mtime] as the preview saw them (a file changed since stays). Returns
    {"entry", "moved", "missing", "changed": [paths], "bytes"}."""
    root = os.path.dirname(os.path.dirname(store.path))
    expected = {}
    for item in wanted:
        path = _checked(item if isinstance(item, str) else item[0] if isinstance(item, list) and item else None)
        expected[path] = None if isinstance(item, str) else [*item[1:3], None, None][:2]
    entry = check_entry(entry) if entry else new_entry(now)
    folder = _entry_dir(root, entry)
    known = store.rows(list(expected))
    releases = _releases_of(store, list(expected))
    yanks = store.yanks()
    described, missing, changed = [], [], []
    for path, seen in expected.items():
        whole = os.path.join(root, path)
        if not _no_links(root, path):
            raise TrashError(f"{path!r} lies in a linked folder, or is a link: not a file of the index")
        try:
            info = os.lstat(whole)
        except FileNotFoundError:
            missing.append(path)
            continue
        if not os.path.isfile(whole):
            missing.append(path)
            continue
        if seen is not None and not _same(info, seen):
            changed.append(path)  # replaced or rewritten since the preview: not what was shown
            continue
        fact = known.get(path)
        name, version = releases.get(path) or _release_from_name(path)
        described.append({"path": path, "size": info.st_size, "project": name, "version": version,
                          "upload_time": fact.upload_time if fact else info.st_mtime,
                          "time_source": fact.time_source if fact else "file",
                          "yanked": yanks.get((name, version))})  # fmt: skip
    if not described:
        return {"entry": entry if os.path.isdir(folder) else None, "moved": [], "missing": missing,
                "changed": changed, "bytes": 0}  # fmt: skip
    _make_folders(root, os.path.join(folder, FILES))
    manifest = _manifest(folder) if os.path.exists(os.path.join(folder, MANIFEST)) else {"made": now or time.time()}
    listed = {f["path"]: f for f in manifest.get("files", [])}
    listed.update((f["path"], f) for f in described)
    _write_manifest(folder, {"made": manifest["made"], "files": list(listed.values())})  # before any file moves
    moved, size = [], 0
    for item in described:
        target = os.path.join(folder, FILES, item["path"])
        _make_folders(root, os.path.dirname(target))
        try:
            os.rename(os.path.join(root, item["path"]), target)
        except FileNotFoundError:
            missing.append(item["path"])
            continue
        moved.append(item["path"])
        size += item["size"]
    return {"entry": entry, "moved": moved, "missing": missing, "changed": changed, "bytes": size}


def _same(info: os.stat_result, seen: list) -> bool:
    size, mtime = seen
    if isinstance(size, int) and size != info.st_size:
        return False
    return not isinstance(mtime, (int, float)) or abs(info.st_mtime - mtime) < 0.001


def _releases_of(store: FactsStore, paths: list[str]) -> dict[str, tuple[str, str]]:
    """{path: (project, version)} as the database keys the files it has rows for (a query per 500)."""
    found: dict[str, tuple[str, str]] = {}
    for start in range(0, len(paths), 500):
        chunk = paths[start : start + 500]
        query = f"SELECT path, project, version FROM files WHERE path IN ({','.join('?' * len(chunk))})"
        found.update(store.guarded(lambda c, q=query, p=chunk: {r[0]: (r[1], r[2]) for r in c.execute(q, p)}, {}))
    return found


def _project_of(store: FactsStore, path: str) -> tuple[str, str]:
    """(project, version) as the database keys the file; from its name when it has no row."""
    return _releases_of(store, [path]).get(path) or _release_from_name(path)


def _release_from_name(path: str) -> tuple[str, str]:
    """(project, version) from a file's name, for a file the database has no row for."""
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
    """The entry's manifest as far as it can be trusted: {"made": a time, "files": [each well-formed file]}."""
    try:
        with open(os.path.join(folder, MANIFEST), encoding="utf-8") as handle:
            raw = json.load(handle)
    except (OSError, ValueError, RecursionError):
        raw = {}
    raw = raw if isinstance(raw, dict) else {}
    made = raw.get("made")
    files = []
    for item in raw.get("files") if isinstance(raw.get("files"), list) else []:
        try:
            path = _checked(item.get("path"))
            size = int(item.get("size", 0))
            uploaded = float(item.get("upload_time", 0.0))
        except (AttributeError, TypeError, ValueError, TrashError):
            continue
        if math.isfinite(uploaded) and abs(uploaded) < 1e11:
            files.append({**item, "path": path, "size": size, "upload_time": uploaded})
    plausible = isinstance(made, (int, float)) and 0 < made < time.time() + 86400  # else: the entry's own name
    return {"made": float(made) if plausible else 0.0, "files": files}


def _held(folder: str) -> dict[str, int]:
    """The files an entry holds now (path below packages/: size), found on disk; links are not followed."""
    base = os.path.join(folder, FILES)
    found = {}
    for parent, folders, names in os.walk(base):
        folders[:] = [f for f in folders if not os.path.islink(os.path.join(parent, f))]
        for name in names:
            whole = os.path.join(parent, name)
            if os.path.isfile(whole) and not os.path.islink(whole):
                found[os.path.relpath(whole, base).replace(os.sep, "/")] = os.lstat(whole).st_size
    return found


def _files_of(folder: str) -> list[dict]:
    """An entry's files: those its manifest names, then any it holds that the manifest does not."""
    held = _held(folder)
    listed = [f for f in _manifest(folder)["files"] if f["path"] in held]
    named = {f["path"] for f in listed}
    return listed + [{"path": path, "size": size} for path, size in sorted(held.items()) if path not in named]


def entries(root: str) -> list[dict]:
    """Each trash entry, newest first: {"entry", "made", "files": [{path, size, ...}], "bytes"}; only the files
    still in it."""
    folder = trash_dir(root)
    try:
        names = sorted((n for n in os.listdir(folder) if _ENTRY.match(n)), reverse=True)
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise TrashError(f"The trash ({folder}) cannot be read: {exc.strerror or exc}") from exc
    found = []
    for name in names:
        folder = os.path.join(trash_dir(root), name)
        if os.path.islink(folder) or not os.path.isdir(folder):
            continue
        files = _files_of(folder)
        found.append({"entry": name, "made": _manifest(folder)["made"] or _made_of(name), "files": files,
                      "bytes": sum(f["size"] for f in files)})  # fmt: skip
    return found


def _made_of(entry: str) -> float:
    import calendar

    try:
        return float(calendar.timegm(time.strptime(entry[:15], "%Y%m%dT%H%M%S")))
    except ValueError:  # a name shaped like an entry's with no real date in it: as old as can be
        return 1.0


def restore(store: FactsStore, entry: str) -> dict:
    """Move an entry's files back, with their upload times; {"restored": [paths], "taken": [paths whose place
    another file took, or that lie behind a link: left in the trash]}. The entry goes once it holds nothing."""
    root = os.path.dirname(os.path.dirname(store.path))
    folder = _entry_dir(root, entry)
    if os.path.islink(folder) or not os.path.isdir(folder):
        raise TrashError(f"There is no trash entry {entry}: it was restored or emptied already.")
    restored, taken = [], []
    for item in _files_of(folder):
        path = item["path"]
        source, target = os.path.join(folder, FILES, path), os.path.join(root, path)
        if not _no_links(os.path.join(folder, FILES), path) or not _no_links(root, path) or os.path.lexists(target):
            taken.append(path)
            continue
        uploaded, source_of_time = item.get("upload_time"), str(item.get("time_source", "file"))
        if not isinstance(uploaded, float):
            uploaded, source_of_time = os.lstat(source).st_mtime, "file"
        project, version = item.get("project"), item.get("version")
        if not isinstance(project, str) or not isinstance(version, str):
            project, version = _project_of(store, path)
        store.record([(path, project, version, uploaded, source_of_time)])
        if isinstance(item.get("yanked"), str) and (project, version) not in store.yanks():
            store.set_yank(project, version, item["yanked"])  # yanked when it went: yanked again
        _make_folders(root, os.path.dirname(target))
        os.rename(source, target)
        restored.append(path)
    if not _held(folder):
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
            _remove(_entry_dir(root, found["entry"]))
            gone.append(found["entry"])
    return gone


def _remove(folder: str) -> None:
    """An entry emptied for good (a link in it is removed, never followed); raises when it could not be."""
    if os.path.islink(folder):
        os.unlink(folder)
        return
    shutil.rmtree(folder, ignore_errors=True)
    if os.path.lexists(folder):
        raise TrashError(f"The trash entry {os.path.basename(folder)} could not be emptied: its files belong to "
                         "another user; empty it as that user, or while the server runs.")  # fmt: skip
