"""`pypi-desk stats`, `prune` and `trash` on a folder whose database holds recorded downloads: the same figures
as the charts, a dry run that removes nothing, no removal without --yes when nobody can be asked, an archive
that holds exactly the preview, the trash listed and restored."""

from __future__ import annotations

import io
import json
import tarfile

import pytest

from gui.cli import main
from tests.helpers import seed_usage_index, wheel_path

GOING = sorted([wheel_path("alpha", "1.0"), wheel_path("alpha", "2.0"), wheel_path("gamma", "1.0")])


@pytest.fixture
def seeded(data_dir):
    seed_usage_index(data_dir)
    return data_dir


RULES = ["prune", "--older-than", "1y", "--unused-for", "90d", "--keep", "1"]


def run(seeded, capsys, *args: str) -> tuple[int, str, str]:
    code = main(["--data-dir", str(seeded.root), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_stats_prints_the_charts_figures(seeded, capsys):
    code, out, _ = run(seeded, capsys, "stats", "--json", "--days", "365")
    figures = json.loads(out)
    assert code == 0 and figures["total"] == 14
    assert figures["projects"] == [["alpha", 11], ["beta", 3]] and figures["clients"] == [["pip", 11], ["uv", 3]]
    assert figures["versions"][0] == ["alpha", "3.0", 10]
    code, out, _ = run(seeded, capsys, "stats", "--project", "Beta")
    assert code == 0 and "Downloads, beta, last 30 days (UTC): 3" in out and "bob" in out


def test_prune_previews_asks_and_archives_exactly_the_preview(seeded, capsys, tmp_path, monkeypatch):
    code, out, _ = run(seeded, capsys, *RULES, "--dry-run")
    assert code == 0 and all(name in out for name in GOING) and "3 files of 3 versions" in out
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))  # not a terminal: nobody to ask
    code, _, err = run(seeded, capsys, *RULES)
    assert code == 1 and "--yes" in err
    assert all((seeded.packages_dir / name).exists() for name in GOING)

    archive = tmp_path / "old.tar.gz"
    code, out, _ = run(seeded, capsys, *RULES, "--archive", str(archive), "--yes")
    assert code == 0 and f"into {archive}" in out
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    assert sorted(n.split("/files/", 1)[1] for n in names if "/files/" in n and n.endswith(".whl")) == GOING
    assert any(n.endswith("manifest.json") for n in names)
    assert not any((seeded.packages_dir / name).exists() for name in GOING)
    assert run(seeded, capsys, "trash", "list")[1].strip() == "The trash is empty."  # archived: not kept twice
    code, _, err = run(seeded, capsys, *RULES, "--archive", str(archive), "--yes")
    assert code == 0  # nothing matches any more: the existing archive is not touched
    assert archive.stat().st_size > 0


def test_the_trash_lists_restores_and_empties(seeded, capsys):
    code, out, _ = run(seeded, capsys, *RULES, "--yes")
    assert code == 0
    entry = out.split("pypi-desk trash restore ")[1].split()[0]
    code, out, _ = run(seeded, capsys, "trash", "list")
    assert entry in out and all(name in out for name in GOING)
    assert run(seeded, capsys, "trash", "restore", entry)[0] == 0
    assert all((seeded.packages_dir / name).exists() for name in GOING)
    code, _, err = run(seeded, capsys, "trash", "restore", entry)
    assert code == 1 and "no trash entry" in err
    code, _, err = run(seeded, capsys, "trash", "empty", "../../etc")
    assert code == 1 and "not a trash entry" in err


@pytest.mark.parametrize("bad", [["--older-than", "soon"], ["--keep", "-1", "--older-than", "1d"], []])
def test_bad_rules_say_what_to_type(seeded, capsys, bad):
    code, _, err = run(seeded, capsys, "prune", *bad, "--dry-run")
    assert code == 1 and err.startswith("pypi-desk: ")


def test_only_what_the_preview_showed_goes_and_never_a_projects_last_version(seeded, tmp_path):
    from gui.services.core import DeskServices
    from gui.services.usage.prune import PruneRules

    usage = DeskServices.open(seeded).usage
    plan = usage.plan(PruneRules(older_than=365, keep=1))  # alpha 1.0, 2.0 and gamma 1.0
    packages = seeded.packages_dir
    (packages / wheel_path("alpha", "1.0")).write_bytes(b"uploaded again meanwhile")  # changed since the preview
    (packages / wheel_path("gamma", "2.0")).unlink()  # gamma 1.0 is now gamma's only version
    result = usage.apply(plan)
    assert result.moved == (wheel_path("alpha", "2.0"),)
    assert result.changed == (wheel_path("alpha", "1.0"),) and result.kept == (wheel_path("gamma", "1.0"),)
    assert (packages / wheel_path("alpha", "1.0")).read_bytes() == b"uploaded again meanwhile"
    assert (packages / wheel_path("gamma", "1.0")).exists()
    assert "changed since the preview" in result.summary() and "only version" in result.summary()


@pytest.mark.parametrize("where", ["missing/folder/old.tar.gz", "old.zip", "PACKAGES/served.tar.gz"])
def test_a_bad_archive_is_refused_before_anything_moves(seeded, capsys, tmp_path, where):
    target = str(seeded.packages_dir / "served.tar.gz") if where.startswith("PACKAGES") else str(tmp_path / where)
    code, _, err = run(seeded, capsys, *RULES, "--archive", target, "--yes")
    assert code == 1 and err.startswith("pypi-desk: ")
    assert all((seeded.packages_dir / name).exists() for name in GOING)
    assert run(seeded, capsys, "trash", "list")[1].strip() == "The trash is empty."


def test_no_rule_on_downloads_while_none_are_recorded(seeded, capsys):
    assert run(seeded, capsys, "settings", "set", "usage_days=0")[0] == 0
    code, _, err = run(seeded, capsys, *RULES, "--dry-run")
    assert code == 1 and "usage_days is 0" in err
    code, _, err = run(seeded, capsys, "settings", "set", "usage_days=abc")
    assert code == 1 and "such as 90" in err


def test_two_cleanups_at_once_never_take_a_projects_last_version(seeded):
    import concurrent.futures

    from gui.services.core import DeskServices
    from gui.services.usage.prune import PruneRules

    first, second = DeskServices.open(seeded), DeskServices.open(seeded)
    first.packages.set_yanked("alpha", "3.0", "broken")
    plans = [
        (first.usage, first.usage.plan(PruneRules(older_than=0, keep=1, patterns=("alpha",)))),  # 1.0, 2.0
        (second.usage, second.usage.plan(PruneRules(older_than=0, keep=1, patterns=("alpha",), yanked_first=True))),
    ]  # the second: 3.0 and 1.0; either alone leaves one version, both at once none
    assert {item.version for item in plans[1][1].items} == {"1.0", "3.0"}
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda pair: pair[0].apply(pair[1]), plans))
    left = [p for p in first.packages.listing().projects if p.name == "alpha"]
    assert left and len(left[0].versions) == 1


def test_the_doctor_says_whether_downloads_are_recorded_and_what_the_trash_holds(seeded, capsys):
    from gui.services.core import DeskServices
    from gui.services.doctor.findings import Outcome
    from gui.services.doctor.usage_checks import download_records

    services = DeskServices.open(seeded)
    found = download_records(services, services.server.load_settings())
    assert found.outcome is Outcome.OK and "recorded since" in found.detail and "trash" not in found.detail
    assert run(seeded, capsys, *RULES, "--yes")[0] == 0
    assert run(seeded, capsys, "settings", "set", "trash_days=0", "usage_days=0")[0] == 0
    found = download_records(services, services.server.load_settings())
    assert found.outcome is Outcome.WARNING and "not recorded" in found.detail and "3 files" in found.detail
    assert "trash empty" in found.fix
