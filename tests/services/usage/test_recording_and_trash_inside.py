"""What runs inside the server: the client named from a User-Agent; the recorder keeps what it could not write
and writes it once it can; day totals and raw events; the trash refuses paths outside the index, keeps a
file whose place was taken, restores upload times, empties by age."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

import pytest

from gui.services.server.inside import facts, trash, usage


@pytest.fixture
def store(tmp_path: Path):
    opened = facts.FactsStore(str(tmp_path))
    opened.open()
    yield opened
    opened.close()


@pytest.mark.parametrize(
    ("agent", "client"),
    [
        ('pip/24.2 {"ci":null,"cpu":"x86_64"}', "pip"),
        ("uv/0.4.18", "uv"),
        ("poetry/1.8.3 (python 3.12)", "poetry"),
        ("python-requests/2.32.3", "other"),
        ("", "other"),
        ("pipx/1.0", "other"),
    ],
)
def test_the_client_comes_from_the_user_agent(agent, client):
    assert usage.client_of(agent) == client


def test_the_recorder_writes_once_a_second_and_keeps_what_it_could_not_write(store, monkeypatch):
    recorder = usage.DownloadRecorder(store, keep_days=90, interval=3600)  # written by hand here
    for _ in range(3):
        recorder.note("app-1.0.tar.gz", "App", "1.0.0", "alice", "pip")
    monkeypatch.setattr(usage, "record_downloads", lambda *_args: False)  # a full disk, a lock held too long
    recorder.flush()
    assert usage.figures(store, 1)["total"] == 0
    monkeypatch.undo()
    recorder.note("app-1.0.tar.gz", "app", "1.0", "bob", "uv")
    recorder.close()
    figures = usage.figures(store, 1)
    assert figures["total"] == 4 and figures["versions"] == [["app", "1", 4]]
    assert figures["users"] == [["alice", 3], ["bob", 1]]
    assert usage.file_usage(store)["app-1.0.tar.gz"][0] == 4


def test_raw_events_are_trimmed_but_day_totals_stay(store):
    old = time.time() - 100 * 86400
    usage.record_downloads(
        store, [(old, "a-1.whl", "a", "1", "u", "pip"), (time.time(), "a-1.whl", "a", "1", "u", "pip")]
    )
    assert usage.trim(store, keep_days=1000, batch=1) is False  # nothing that old: done
    assert usage.trim(store, keep_days=90, batch=1) is True  # one deleted, perhaps more left: again next write
    raw = store.guarded(lambda c: c.execute("SELECT count(*) FROM downloads").fetchone()[0])
    assert raw == 1 and usage.figures(store, 365)["total"] == 2


def test_a_database_from_before_downloads_reads_as_none_recorded(tmp_path):
    folder = tmp_path / ".pypi-desk"
    folder.mkdir()
    with sqlite3.connect(folder / facts.NAME) as old:
        old.executescript("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
                          "INSERT INTO meta VALUES ('schema', '1');")  # fmt: skip
    reader = facts.FactsStore(str(tmp_path), read_only=True)
    try:
        assert usage.figures(reader, 30)["total"] == 0 and usage.file_usage(reader) == {}
    finally:
        reader.close()


@pytest.mark.parametrize("path", ["../outside.whl", "/etc/passwd", ".pypi-desk/index.sqlite3", "a/../../b.whl", ""])
def test_the_trash_takes_only_files_of_the_index(store, path):
    with pytest.raises(trash.TrashError):
        trash.move_to_trash(store, [path])


def test_an_entry_name_is_checked_before_any_path_is_made(store, tmp_path):
    for name in ("../../etc", "20261203T071500-a1b2c3/../x", "x"):
        with pytest.raises(trash.TrashError):
            trash.restore(store, name)
        with pytest.raises(trash.TrashError):
            trash.purge(str(tmp_path), None, entry=name)


def test_a_restore_leaves_a_file_whose_place_was_taken_and_keeps_its_time(store, tmp_path):
    (tmp_path / "sub").mkdir()
    for name in ("sub/app-1.0.tar.gz", "app-2.0.tar.gz"):
        (tmp_path / name).write_bytes(b"old")
    store.record([("sub/app-1.0.tar.gz", "app", "1.0", 1000.0, "upload")])
    moved = trash.move_to_trash(store, ["sub/app-1.0.tar.gz", "app-2.0.tar.gz", "gone-1.0.tar.gz"])
    assert moved["moved"] == ["sub/app-1.0.tar.gz", "app-2.0.tar.gz"] and moved["missing"] == ["gone-1.0.tar.gz"]
    assert not (tmp_path / "app-2.0.tar.gz").exists()
    (tmp_path / "app-2.0.tar.gz").write_bytes(b"new")  # uploaded again meanwhile
    store.forget(["sub/app-1.0.tar.gz"])  # what the server does when it sees the file gone
    outcome = trash.restore(store, moved["entry"])
    assert outcome == {"restored": ["sub/app-1.0.tar.gz"], "taken": ["app-2.0.tar.gz"]}
    assert (tmp_path / "app-2.0.tar.gz").read_bytes() == b"new"  # never overwritten
    assert store.rows(["sub/app-1.0.tar.gz"])["sub/app-1.0.tar.gz"].upload_time == 1000.0
    [entry] = trash.entries(str(tmp_path))
    assert [f["path"] for f in entry["files"]] == ["app-2.0.tar.gz"]  # still restorable once its place is free


def test_entries_older_than_the_trash_days_are_emptied(store, tmp_path):
    (tmp_path / "app-1.0.tar.gz").write_bytes(b"x")
    made = trash.move_to_trash(store, ["app-1.0.tar.gz"], now=time.time() - 40 * 86400)["entry"]
    assert trash.purge(str(tmp_path), keep_days=60) == []
    assert trash.purge(str(tmp_path), keep_days=30) == [made]
    assert not os.path.exists(os.path.join(trash.trash_dir(str(tmp_path)), made))


def test_a_file_reached_through_a_linked_folder_is_not_taken(store, tmp_path):
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    (outside / "secret-1.0.tar.gz").write_bytes(b"keep me")
    (tmp_path / "linked").symlink_to(outside)
    with pytest.raises(trash.TrashError, match="linked folder"):
        trash.move_to_trash(store, ["linked/secret-1.0.tar.gz"])
    assert (outside / "secret-1.0.tar.gz").read_bytes() == b"keep me"


@pytest.mark.parametrize("days", [1, 7, 30, 31, 60, 90, 365, 400])
def test_figures_read_from_days_and_months_equal_a_count_of_the_raw_events(store, days):
    import calendar
    import collections
    import random

    now = calendar.timegm((2026, 3, 1, 0, 30, 0))  # just after a month's end
    chance = random.Random(days)
    events = [(now - chance.random() * 420 * 86400, f"p{n}-1.whl", f"p{n}", chance.choice(["1", "2"]),
               chance.choice(["ann", "bo"]), chance.choice(usage.CLIENTS))
              for n in (chance.randrange(5) for _ in range(3000))]  # fmt: skip
    usage.record_downloads(store, events)
    since = usage.day_of(now - (days - 1) * 86400)
    kept = [e for e in events if usage.day_of(e[0]) >= since]
    figures = usage.figures(store, days, now=now, top=100)

    def counted(*fields: int) -> list[list]:
        found = collections.Counter(tuple(e[f] for f in fields) for e in kept)
        return sorted([*key, n] for key, n in found.items())

    assert figures["total"] == len(kept)
    assert sorted(figures["projects"]) == counted(2)
    assert sorted(figures["versions"]) == counted(2, 3)
    assert sorted(figures["users"]) == counted(4) and sorted(figures["clients"]) == counted(5)
    one = usage.figures(store, days, project="P1", now=now, top=100)
    assert one["total"] == sum(e[2] == "p1" for e in kept) == sum(n for _, n in one["per_day"])


def test_a_file_changed_since_the_preview_stays_and_an_entry_grows_by_chunks(store, tmp_path):
    for name in ("a-1.0.tar.gz", "b-1.0.tar.gz", "c-1.0.tar.gz"):
        (tmp_path / name).write_bytes(b"seen")
    seen = {name: [name, 4, os.stat(tmp_path / name).st_mtime] for name in ("a-1.0.tar.gz", "b-1.0.tar.gz")}
    (tmp_path / "b-1.0.tar.gz").write_bytes(b"uploaded again, bigger")
    first = trash.move_to_trash(store, [seen["a-1.0.tar.gz"], seen["b-1.0.tar.gz"]])
    assert first["moved"] == ["a-1.0.tar.gz"] and first["changed"] == ["b-1.0.tar.gz"]
    more = trash.move_to_trash(store, ["c-1.0.tar.gz"], entry=first["entry"])  # the next chunk, the same entry
    assert more["entry"] == first["entry"]
    [entry] = trash.entries(str(tmp_path))
    assert sorted(f["path"] for f in entry["files"]) == ["a-1.0.tar.gz", "c-1.0.tar.gz"]
    assert (tmp_path / "b-1.0.tar.gz").read_bytes() == b"uploaded again, bigger"


DAMAGED_MANIFESTS = [b"{trunc", b'{"files": {"a": 1}}', b"[1, 2]", b'{"made": 1e308, "files": [1]}',
                     b'{"made": NaN, "files": [{"path": "x-1.0.tar.gz", "size": "big"}]}']  # fmt: skip


@pytest.mark.parametrize("manifest", DAMAGED_MANIFESTS)
def test_an_entry_whose_manifest_is_damaged_still_lists_and_restores_its_files(store, tmp_path, manifest):
    (tmp_path / "x-1.0.tar.gz").write_bytes(b"keep me")
    made = trash.move_to_trash(store, ["x-1.0.tar.gz"])["entry"]
    (Path(trash.trash_dir(str(tmp_path))) / made / trash.MANIFEST).write_bytes(manifest)
    [entry] = trash.entries(str(tmp_path))
    assert [f["path"] for f in entry["files"]] == ["x-1.0.tar.gz"] and entry["bytes"] == 7
    assert trash.restore(store, made) == {"restored": ["x-1.0.tar.gz"], "taken": []}
    assert (tmp_path / "x-1.0.tar.gz").read_bytes() == b"keep me"


def test_a_link_inside_the_trash_is_never_followed(store, tmp_path):
    outside = tmp_path.parent / f"{tmp_path.name}-elsewhere"
    outside.mkdir()
    (outside / "evil-1.0.tar.gz").write_bytes(b"not the index's")
    (tmp_path / "x-1.0.tar.gz").write_bytes(b"x")
    made = trash.move_to_trash(store, ["x-1.0.tar.gz"])["entry"]
    files = Path(trash.trash_dir(str(tmp_path))) / made / trash.FILES
    (files / "sub").symlink_to(outside)
    assert [f["path"] for f in trash.entries(str(tmp_path))[0]["files"]] == ["x-1.0.tar.gz"]
    assert trash.restore(store, made)["restored"] == ["x-1.0.tar.gz"]
    assert (outside / "evil-1.0.tar.gz").exists() and not (tmp_path / "sub").exists()


def test_anonymous_downloads_stay_apart_from_a_user_named_anonymous(store):
    now = time.time()
    usage.record_downloads(store, [(now, "a-1.whl", "a", "1", usage.ANONYMOUS, "pip"),
                                   (now, "a-1.whl", "a", "1", "anonymous", "pip")])  # fmt: skip
    assert sorted(usage.figures(store, 1)["users"]) == [["", 1], ["anonymous", 1]]


def test_a_pause_in_recording_restarts_what_the_records_can_say(store):
    usage.mark_recording(store, now=1000.0)
    assert usage.recording_since(store) == 1000.0
    usage.mark_recording(store, now=2000.0)  # a restart while recording: the records go on
    assert usage.recording_since(store) == 1000.0
    usage.stop_recording(store)  # a start with usage_days 0: what follows is nobody's record
    assert usage.recording_since(store) is None
    usage.record_downloads(store, [(5000.0, "a-1.whl", "a", "1", "u", "pip")])  # recording again
    assert usage.recording_since(store) == 5000.0


def test_days_after_today_written_by_a_clock_that_ran_ahead_are_left_out(store):
    now = time.time()
    usage.record_downloads(
        store, [(now, "a-1.whl", "a", "1", "u", "pip"), (now + 2 * 86400, "a-1.whl", "a", "1", "u", "uv")]
    )
    figures = usage.figures(store, 30)
    assert figures["total"] == 1 and figures["projects"] == [["a", 1]] and figures["clients"] == [["pip", 1]]


def test_a_file_uploaded_again_under_the_same_name_starts_with_no_downloads(store):
    usage.record_downloads(store, [(time.time(), "app-1.0.tar.gz", "app", "1.0", "ann", "pip")])
    store.record([("app-1.0.tar.gz", "app", "1.0", time.time(), "upload")])  # a restore from the trash
    assert usage.file_usage(store)["app-1.0.tar.gz"][0] == 1
    store.record([("app-1.0.tar.gz", "app", "1.0", time.time(), "upload")], uploaded=True)  # deleted, uploaded anew
    assert "app-1.0.tar.gz" not in usage.file_usage(store)
    assert usage.figures(store, 1)["total"] == 1  # the release's history stays


def test_a_yanked_release_comes_back_from_the_trash_yanked(store, tmp_path):
    (tmp_path / "app-1.1.tar.gz").write_bytes(b"broken")
    store.record([("app-1.1.tar.gz", "app", "1.1", 1000.0, "upload")])
    store.set_yank("app", "1.1", "breaks on import")
    made = trash.move_to_trash(store, ["app-1.1.tar.gz"])["entry"]
    store.forget(["app-1.1.tar.gz"])  # the server sees it gone: its yank goes with its last file
    assert store.yanks() == {}
    trash.restore(store, made)
    assert store.yanks() == {("app", "1.1"): "breaks on import"}


def test_a_link_in_place_of_the_trash_is_refused(store, tmp_path):
    outside = tmp_path.parent / f"{tmp_path.name}-other"
    (outside / "20261203T071500-a1b2c3").mkdir(parents=True)
    os.symlink(outside, trash.trash_dir(str(tmp_path)))
    for attempt in (lambda: trash.entries(str(tmp_path)), lambda: trash.purge(str(tmp_path), 0)):
        with pytest.raises(trash.TrashError, match="is a link"):
            attempt()
    assert (outside / "20261203T071500-a1b2c3").is_dir()


def test_an_entry_named_like_one_with_no_real_date_is_listed_as_old(store, tmp_path):
    (Path(trash.trash_dir(str(tmp_path))) / "00001399T999999-abcdef" / trash.FILES).mkdir(parents=True)
    assert [e["entry"] for e in trash.entries(str(tmp_path))] == ["00001399T999999-abcdef"]
    assert trash.purge(str(tmp_path), 30) == ["00001399T999999-abcdef"]


def test_the_plain_way_ends_what_the_records_can_say(store, tmp_path):
    usage.mark_recording(store, now=1000.0)
    usage.records_stop(str(tmp_path))  # what the launcher does before it serves the plain way
    assert usage.recording_since(store) is None


def test_the_packages_column_leaves_out_days_after_today(store):
    now = time.time()
    usage.record_downloads(
        store, [(now, "a-1.whl", "a", "1", "u", "pip"), (now + 3 * 86400, "a-1.whl", "a", "1", "u", "pip")]
    )
    assert usage.release_downloads(store) == [["a", "1", 1]]
