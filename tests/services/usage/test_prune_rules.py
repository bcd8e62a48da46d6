"""Cleanup rules on a listing: the preview names exactly what goes, the keep-N floor and the only version
always stay, patterns narrow it, yanked releases go first when asked, durations parse or say what to type."""

from __future__ import annotations

import dataclasses
import time

import pytest
from packaging.version import Version

from gui.services.errors import DeskError
from gui.services.packages.index_facts import FileFact, FileUsage, IndexFacts
from gui.services.packages.listing import PackageFile, group
from gui.services.usage.prune import PruneRules, parse_days, plan_prune

NOW = time.time()
DAY = 86400


def listing(releases: dict[tuple[str, str], tuple[int, int | None]], yanked=(), recording_days: float | None = 1000):
    """{(project, version): (uploaded days ago, last downloaded days ago or None)}; downloads recorded for
    ``recording_days`` days (None: never)."""
    files, facts, usage = [], {}, {}
    for (name, version), (age, unused) in releases.items():
        path = f"{name}-{version}-py3-none-any.whl"
        files.append(PackageFile(path, path, name, name, Version(version), version, "wheel", "py3-none-any", 1000,
                                 NOW))  # fmt: skip
        facts[path] = FileFact(NOW - age * DAY, "upload")
        if unused is not None:
            usage[path] = FileUsage(5, NOW - unused * DAY, "alice")
    found = group(files)
    since = NOW - recording_days * DAY if recording_days is not None else None
    return dataclasses.replace(found, facts=IndexFacts(files=facts, usage=usage, recording_since=since,
                                                       yanks={(n, v): "" for n, v in yanked}))  # fmt: skip


def going(plan) -> list[tuple[str, str]]:
    return sorted({(item.project, item.version) for item in plan.items})


def test_old_and_unused_releases_go_but_the_newest_k_stay():
    index = listing({("app", f"1.{n}"): (400 - n, None) for n in range(6)})
    plan = plan_prune(index, PruneRules(older_than=180, unused_for=90, keep=3), NOW)
    assert going(plan) == [("app", "1.0"), ("app", "1.1"), ("app", "1.2")]
    assert plan.size == 3000 and plan.releases == 3


def test_a_recent_download_or_a_recent_upload_keeps_a_release():
    index = listing({("app", "1.0"): (400, 10), ("app", "1.1"): (100, None), ("app", "1.2"): (400, 200),
                     ("app", "2.0"): (1, 1)})  # fmt: skip
    plan = plan_prune(index, PruneRules(older_than=180, unused_for=90, keep=1), NOW)
    assert going(plan) == [("app", "1.2")]


def test_the_only_version_never_goes_even_with_keep_zero():
    index = listing({("solo", "1.0"): (900, None), ("pair", "1.0"): (900, None), ("pair", "2.0"): (900, None)})
    plan = plan_prune(index, PruneRules(older_than=1, keep=0), NOW)
    assert going(plan) == [("pair", "1.0")]  # the newest of each stays when all would go


def test_patterns_narrow_the_projects():
    index = listing({("corp-a", "1.0"): (900, None), ("corp-a", "2.0"): (1, None), ("other", "1.0"): (900, None),
                     ("other", "2.0"): (1, None)})  # fmt: skip
    plan = plan_prune(index, PruneRules(older_than=30, keep=1, patterns=("corp-*",)), NOW)
    assert going(plan) == [("corp-a", "1.0")]


def test_yanked_releases_do_not_count_among_those_kept():
    releases = {("app", "1.0"): (900, None), ("app", "2.0"): (900, None), ("app", "3.0"): (900, None)}
    index = listing(releases, yanked=[("app", "3")])
    assert going(plan_prune(index, PruneRules(older_than=30, keep=1), NOW)) == [("app", "1.0"), ("app", "2.0")]
    first = plan_prune(index, PruneRules(older_than=30, keep=1, yanked_first=True), NOW)
    assert going(first) == [("app", "1.0"), ("app", "3.0")]
    alone = plan_prune(index, PruneRules(keep=1, yanked_first=True), NOW)  # only "yanked first": the yanked only
    assert going(alone) == [("app", "3.0")] and all(item.yanked for item in alone.items)


def test_a_rule_is_needed_and_bad_values_say_what_to_type():
    with pytest.raises(DeskError, match="at least one rule"):
        PruneRules(keep=3).validate()
    with pytest.raises(DeskError, match="0 or more"):
        PruneRules(older_than=1, keep=-1).validate()
    with pytest.raises(DeskError, match="180d"):
        parse_days("six months", "--older-than")
    assert (parse_days("180d", "x"), parse_days("26w", "x"), parse_days("1y", "x"), parse_days("90", "x")) == (
        180, 182, 365, 90,
    )  # fmt: skip


def test_a_rule_on_downloads_needs_records_that_go_back_far_enough():
    releases = {("app", "1.0"): (900, None), ("app", "2.0"): (900, None), ("app", "3.0"): (1, 1)}
    with pytest.raises(DeskError, match="no record of downloads"):
        plan_prune(listing(releases, recording_days=None), PruneRules(unused_for=90, keep=1), NOW)
    damaged = dataclasses.replace(listing(releases), facts=IndexFacts(problem="file is not a database"))
    with pytest.raises(DeskError, match="cannot be read"):
        plan_prune(damaged, PruneRules(unused_for=90, keep=1), NOW)
    recent = listing(releases, recording_days=30)  # never downloaded in 30 days: unknown before that
    assert plan_prune(recent, PruneRules(unused_for=90, keep=1), NOW).items == ()
    assert going(plan_prune(recent, PruneRules(unused_for=20, keep=1), NOW)) == [("app", "1.0"), ("app", "2.0")]


def test_patterns_are_matched_as_pep_503_names():
    index = listing({("corp-data-x", "1.0"): (900, None), ("corp-data-x", "2.0"): (1, None)})
    assert going(plan_prune(index, PruneRules(older_than=30, keep=1, patterns=("Corp_Data.*",)), NOW)) == [
        ("corp-data-x", "1.0")
    ]
