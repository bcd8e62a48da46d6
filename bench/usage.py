"""Recording downloads: what it costs a loaded server, and how fast the Usage figures come back.

In one run, on loopback, bounded in time:
  load    bench/serve.py's load round on its index (projects of 10 versions, tiny real wheels; 50,000 files
          by default) and the app's server in Docker: 50 clients (Apache's ab) for 30 s, with downloads
          recorded (usage_days 90) and not (usage_days 0), alternated off, on, off, on on the same folder to
          cancel drift, each round after 3 s of the same load with HEADs (never recorded). Here the clients
          mostly download: 40 of the 50 GET whole files (8 files, as pip, uv, poetry and ab itself), 10 read
          project pages; no uploads, so that the rounds differ in the recording only. Requests per second and
          p95 (every request's time, from ab's -g files) of each round, and the ratios on/off. Then what the
          "on" rounds recorded, against the whole downloads ab counted (complete, 2xx) and the GETs of
          /packages/ the server's access log answered 200, and the total the app reads
          (``services.usage.figures``). Targets: requests/s within 5 %, p95 within 10 %, every download
          recorded once.
  query   1,000,000 downloads over 365 days (300 of the index's projects with a Zipf-like popularity, their 5
          newest versions, 40 users, pip/uv/poetry/other) recorded into that folder's index database by
          ``usage.record_downloads`` in batches of 50,000 (timed), then trimmed to 90 days of raw events as the
          server does; ``usage.figures`` for 30, 90 and 365 days, all projects and the most popular one, p50 of
          5 runs. Target: under 200 ms.
  view    the 30 days' figures through the app's service (a read-only store, the query, ``figures_from``),
          and the window's Usage tab (``UsageTab``) opened on that data until its figures are drawn.
          Target: under 1 s.

    .venv/bin/python bench/usage.py [--files 50000] [--seconds 30] [--pairs 2] [--downloads 1000000]
    .venv/bin/python bench/usage.py --files 5000 --seconds 10      # a quick run
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import docker
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from bench.serve import CLIENTS, VERSIONS, _ab, make_index, p
from gui.services.core import DeskServices
from gui.services.index.settings import ServerSettings
from gui.services.packages.listing import Listing
from gui.services.server.inside import facts, usage
from gui.services.usage.figures import PERIODS, figures_from
from tests.conftest import free_port

FILE_TARGETS, PAGE_TARGETS = 8, 2  # ab processes; CLIENTS spread evenly over them (5 each)
AGENTS = ("pip/24.2 {}", "uv/0.4.0", "poetry/1.8.3", "")  # "": ab's own, counted as "other"
PROJECTS, RELEASES, USERS, DAYS = 300, 5, 40, 365
BATCH = 50_000
RUNS = 5
WARM_UP = 3.0  # seconds of load before each round (HEADs for the downloads: nothing recorded)
QUERY_TARGET_MS, VIEW_TARGET_S = 200.0, 1.0
RPS_TARGET, P95_TARGET = 0.95, 1.10  # "on" at least 95 % of "off"'s requests/s, p95 at most 110 %
ACCESS_LINE = re.compile(r'"GET /packages/[^" ]+ HTTP/1\.[01]" 200 ')


@dataclass
class Round:
    label: str
    rps: float
    p95: float  # ms, every request of the round
    p95_files: float  # ms, the downloads only
    downloads: int  # whole downloads ab counted: complete, neither failed nor non-2xx
    errors: int
    logged: int  # GET /packages/... answered 200, in the server's access log
    recorded: int  # what the index database gained while the server ran (settled)
    after_stop: int  # ... and once it stopped (its last write)


# -- load: recording on and off --------------------------------------------------------------------------------------


def ab_times(plot: Path) -> list[float]:
    """Each request's total time in seconds, from ab's ``-g`` file (starttime, seconds, ctime, dtime, ttime, wait)."""
    lines = plot.read_text().splitlines()[1:]
    return [float(line.split("\t")[4]) / 1000 for line in lines if line.count("\t") >= 5]


def load(files: list[str], pages: list[str], seconds: float, scratch: Path, head: bool = False) -> dict:
    """CLIENTS clients over ``files`` (whole downloads; ``head``: HEADs, which are not recorded) and ``pages`` for
    ``seconds``, one ab per URL."""
    per_target = CLIENTS // (len(files) + len(pages))
    scratch.mkdir(parents=True, exist_ok=True)
    runs = []
    for n, target in enumerate(files + pages):
        plot = scratch / f"ab-{n}.tsv"
        command = ["ab", "-q", "-s", "600", "-t", str(seconds), "-n", "9999999", "-c", str(per_target),
                   "-g", str(plot)]  # fmt: skip
        agent = AGENTS[n % len(AGENTS)] if n < len(files) else ""
        if agent:
            command += ["-H", f"User-Agent: {agent}"]
        if head and n < len(files):
            command.append("-i")
        client = subprocess.Popen([*command, target], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        runs.append((n < len(files), plot, client))
    rps, downloads, errors, every, file_times = 0.0, 0, 0, [], []
    for is_file, plot, client in runs:
        out = client.communicate(timeout=seconds + 120)[0]
        rps += float(_ab(out, r"Requests per second:\s+([\d.]+)"))
        bad = int(_ab(out, r"Failed requests:\s+(\d+)")) + int(_ab(out, r"Non-2xx responses:\s+(\d+)", "0"))
        errors += bad
        took = ab_times(plot)
        every += took
        if is_file:
            downloads += int(_ab(out, r"Complete requests:\s+(\d+)")) - bad
            file_times += took
    return {"rps": rps, "p95": p(every, 0.95), "p95_files": p(file_times, 0.95), "downloads": downloads,
            "errors": errors}  # fmt: skip


def recorded_total(packages: Path, days: int = 2) -> int:
    """Downloads in the index database's day totals (the last ``days`` UTC days), read as the app reads them."""
    store = facts.FactsStore(str(packages), read_only=True)
    try:
        return int(usage.figures(store, days)["total"])
    finally:
        store.close()


def settled(read: Callable[[], int], quiet: float = 2.5, limit: float = 30.0) -> int:
    """``read()`` once it has not changed for ``quiet`` seconds (the server writes once a second)."""
    last, since, deadline = read(), time.monotonic(), time.monotonic() + limit
    while time.monotonic() < deadline:
        time.sleep(0.25)
        now = read()
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            break
    return last


def warm_up(url: str, files: list[str], pages: list[str], scratch: Path) -> None:
    """The index read, the pages described and the server warmed under the same load for WARM_UP seconds, with
    nothing recorded: pages are no downloads, and neither is a HEAD."""
    session = requests.Session()
    for page in pages:
        assert session.get(url + page, timeout=600).status_code == 200, page
    for file in files:
        assert session.head(url + file, timeout=600).status_code == 200, file
    load([url + f for f in files], [url + page for page in pages], WARM_UP, scratch / "warm-up", head=True)


def load_round(services: DeskServices, client: docker.DockerClient, label: str, files: list[str],
               pages: list[str], seconds: float, scratch: Path) -> Round:  # fmt: skip
    packages = services.data_dir.packages_dir
    settings = ServerSettings(port=free_port(), runtime="docker", usage_days=90 if label == "on" else 0)
    url = services.server.save_and_start(settings).url
    try:
        warm_up(url, files, pages, scratch)
        before = recorded_total(packages)
        result = load([url + f for f in files], [url + page for page in pages], seconds, scratch)
        recorded = settled(lambda: recorded_total(packages)) - before
        logs = client.containers.get(services.data_dir.container_name).logs().decode("utf-8", "replace")
    finally:
        services.server.stop()
    return Round(label, result["rps"], result["p95"], result["p95_files"], result["downloads"], result["errors"],
                 len(ACCESS_LINE.findall(logs)), recorded, recorded_total(packages) - before)  # fmt: skip


def bench_load(services: DeskServices, client: docker.DockerClient, projects: list[str], seconds: float,
               pairs: int, scratch: Path, rng: random.Random) -> list[Round]:  # fmt: skip
    names = sorted(entry.name for entry in os.scandir(services.data_dir.packages_dir) if entry.name.endswith(".whl"))
    files = [f"/packages/{name}" for name in rng.sample(names, FILE_TARGETS)]
    pages = [f"/simple/{project}/" for project in rng.sample(projects, PAGE_TARGETS)]
    per_target = CLIENTS // (FILE_TARGETS + PAGE_TARGETS)
    print(f"  load: {CLIENTS} clients for {seconds:.0f} s a round, {FILE_TARGETS * per_target} downloading "
          f"{FILE_TARGETS} files, {PAGE_TARGETS * per_target} reading {PAGE_TARGETS} project pages")  # fmt: skip
    print(f"  {'round':<7} {'req/s':>7} {'p95':>7} {'p95 dl':>7} {'errors':>6} {'ab: dl 2xx':>11} "
          f"{'log: 200':>9} {'recorded':>9} {'+ at stop':>9}")  # fmt: skip
    rounds = []
    for number in range(2 * pairs):
        label = ("off", "on")[number % 2]
        one = load_round(services, client, label, files, pages, seconds, scratch / f"round-{number}")
        rounds.append(one)
        print(f"  {label:<7} {one.rps:7.0f} {one.p95:5.0f}ms {one.p95_files:5.0f}ms {one.errors:6} "
              f"{one.downloads:11,} {one.logged:9,} {one.recorded:9,} {one.after_stop - one.recorded:9,}")  # fmt: skip
    return rounds


# -- query: a year of downloads -----------------------------------------------------------------------------------


def year_of_downloads(projects: list[str], count: int, rng: random.Random, now: float) -> list[tuple]:
    """``count`` downloads of the index's files over the last DAYS UTC days, oldest first, as the recorder notes
    them: (when, path, project, version, user, client). Project popularity ~ 1/rank^1.1, newer versions more."""
    chosen = rng.sample(projects, min(PROJECTS, len(projects)))
    releases, weights = [], []
    for rank, project in enumerate(chosen, 1):
        for age in range(RELEASES):
            version = f"1.0.{VERSIONS - 1 - age}"
            releases.append((f"{project.replace('-', '_')}-{version}-py3-none-any.whl", project, version))
            weights.append(1 / rank**1.1 / (age + 1))
    picked = rng.choices(releases, weights, k=count)
    users = ["anonymous", "ci", *(f"dev-{n:02d}" for n in range(USERS - 2))]
    who = rng.choices(users, [1 / rank for rank in range(1, len(users) + 1)], k=count)
    clients = rng.choices(usage.CLIENTS, (55, 25, 12, 8), k=count)
    span = (DAYS - 1) * 86400 + now % 86400  # from the first day's midnight: every one within the 365 days
    when = sorted(now - rng.random() * span for _ in range(count))
    return [(at, path, project, version, user, agent)
            for at, (path, project, version), user, agent in zip(when, picked, who, clients, strict=True)]  # fmt: skip


def bench_query(packages: Path, projects: list[str], count: int, rng: random.Random) -> tuple[float, str]:
    """Records ``count`` downloads, then times the figures; (the slowest p50 in ms, the most popular project)."""
    began = time.perf_counter()
    events = year_of_downloads(projects, count, rng, time.time())
    made = time.perf_counter() - began
    store = facts.FactsStore(str(packages))
    store.open()
    batches = []
    try:
        for start in range(0, len(events), BATCH):
            began = time.perf_counter()
            if not usage.record_downloads(store, events[start : start + BATCH]):
                raise SystemExit("the downloads could not be written into the index database")
            batches.append(time.perf_counter() - began)
        began = time.perf_counter()
        while usage.trim(store, usage.DEFAULT_KEEP_DAYS):  # as the server does: a batch a write
            pass
        trimmed = time.perf_counter() - began
        tables = ("downloads", "day_projects", "day_releases", "day_users", "day_clients", "month_users", "file_usage")
        rows = store.guarded(lambda c: {t: c.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables})
        store.guarded(lambda c: c.execute("PRAGMA wal_checkpoint(TRUNCATE)"))
    finally:
        store.close()
    size = os.path.getsize(facts.database_path(str(packages))) / 1024**2
    print(f"\n  query: {count:,} downloads over {DAYS} days ({min(PROJECTS, len(projects))} projects x {RELEASES} "
          f"versions, {USERS} users, {len(usage.CLIENTS)} clients), made in {made:.1f} s")  # fmt: skip
    print(f"  recorded in {sum(batches):.1f} s: {len(batches)} batches of {BATCH:,}, p50 {p(batches, 0.5):.0f} ms "
          f"a batch ({statistics.median(batches) / BATCH * 1e6:.1f} us a download); raw events trimmed to "
          f"{usage.DEFAULT_KEEP_DAYS} days in {trimmed:.1f} s; database {size:.0f} MB")  # fmt: skip
    print("  rows: " + ", ".join(f"{table} {n:,}" for table, n in rows.items()))
    del events
    popular = _most_popular(packages)
    print(f"  {'days':>5} {'project':<14} {'p50':>9} {'worst':>9} {'downloads':>11}")
    reader = facts.FactsStore(str(packages), read_only=True)
    slowest = 0.0
    try:
        for days in PERIODS:
            for project in (None, popular):
                took, answer = [], {}
                for _ in range(RUNS):
                    began = time.perf_counter()
                    answer = usage.figures(reader, days, project)
                    took.append(time.perf_counter() - began)
                slowest = max(slowest, p(took, 0.5))
                print(f"  {days:5} {project or 'all':<14} {p(took, 0.5):7.1f}ms {max(took) * 1000:7.1f}ms "
                      f"{answer['total']:11,}")  # fmt: skip
        print(f"  where {DAYS} days' time goes (all projects): {query_breakdown(reader, DAYS)}")
    finally:
        reader.close()
    return slowest, popular


def query_breakdown(reader: facts.FactsStore, days: int) -> str:
    """``usage.figures``'s statements, each timed from its start to the next one's (SQLite's trace callback)."""
    marks: list[tuple[float, str]] = []
    connection = reader.connection
    assert connection is not None
    connection.set_trace_callback(lambda sql: marks.append((time.perf_counter(), sql)))
    try:
        usage.figures(reader, days)
    finally:
        connection.set_trace_callback(None)
    marks.append((time.perf_counter(), "end"))
    steps = []
    for (began, sql), (ended, _) in itertools.pairwise(marks):
        grouped = re.search(r"FROM (\w+) .*GROUP BY ([\w, ]+?) ORDER", sql)
        if grouped:
            steps.append(f"{grouped[1]} by {grouped[2]} {(ended - began) * 1000:.0f} ms")
    return ", ".join(steps)


def _most_popular(packages: Path) -> str:
    store = facts.FactsStore(str(packages), read_only=True)
    try:
        return str(usage.figures(store, DAYS, top=1)["projects"][0][0])
    finally:
        store.close()


# -- view: what the app shows ----------------------------------------------------------------------------------------


def bench_service(services: DeskServices) -> tuple[Listing, float]:
    """The figures through the app's service (30 days); returns the listing and the service's p50 in seconds."""
    began = time.perf_counter()
    listing = services.packages.listing()
    listed = time.perf_counter() - began
    reader = facts.FactsStore(str(services.data_dir.packages_dir), read_only=True)
    try:
        raw = usage.figures(reader, 30)
    finally:
        reader.close()
    took, converting = [], []
    for _ in range(RUNS):
        began = time.perf_counter()
        services.usage.figures(30, listing=listing)
        took.append(time.perf_counter() - began)
        began = time.perf_counter()
        figures_from(raw, listing, 30, None)
        converting.append(time.perf_counter() - began)
    print(f"\n  view: the listing ({len(listing.projects):,} projects, what the Packages tab holds) "
          f"{listed * 1000:.0f} ms, not counted below")  # fmt: skip
    print(f"  services.usage.figures(30), listing given: p50 {p(took, 0.5):.1f} ms, worst {max(took) * 1000:.1f} ms "
          f"(of which figures_from p50 {p(converting, 0.5):.1f} ms)")  # fmt: skip
    return listing, p(took, 0.5) / 1000


def time_usage_view(services: DeskServices, listing: Listing | None = None, limit: float = 30.0) -> float | None:
    """Seconds from constructing the Usage view to its 30 days' figures drawn, on the listing the Packages tab
    holds (the window hands it over), the figures read on the app's worker thread as the window does. None,
    with the reason printed, when it cannot be opened here."""
    try:
        from gui.widgets.usage_tab import UsageTab
    except ImportError as exc:  # no Qt here
        print(f"  Usage view: skipped: it cannot be imported ({exc})")
        return None
    from PySide6.QtWidgets import QApplication

    from gui.workers.service_worker import ServiceWorker

    app = QApplication.instance() or QApplication([])
    worker = ServiceWorker()
    shown: list[float] = []
    marks = [("made", time.perf_counter())]
    view = UsageTab(worker, services)
    view.figures_shown.connect(lambda _figures: shown.append(time.perf_counter()))
    marks.append(("constructed", time.perf_counter()))
    if listing is not None:
        view.set_listing(listing)
        marks.append(("listing set", time.perf_counter()))
    view.resize(1200, 800)
    view.show()
    marks.append(("shown", time.perf_counter()))
    while not shown and time.perf_counter() - marks[0][1] < limit:
        app.processEvents()
        time.sleep(0.001)
    if shown:
        marks.append(("figures read and set", shown[0]))
    app.processEvents()  # the paint that drawing them asked for
    marks.append(("painted", time.perf_counter()))
    took = marks[-1][1] - marks[0][1]
    view.close()
    worker.shutdown()
    if not shown:
        print(f"  Usage view: drew no figures within {limit:.0f} s")
        return None
    steps = ", ".join(f"{name} {(at - before) * 1000:.0f}" for (_, before), (name, at) in itertools.pairwise(marks))
    print(f"  Usage view (the window's Usage tab): opened, figures drawn in {took * 1000:.0f} ms "
          f"({steps} ms)")  # fmt: skip
    return took


# -- the run -------------------------------------------------------------------------------------------------------


def _verdict(met: bool | None) -> str:
    return "skipped" if met is None else ("met" if met else "NOT MET")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=50_000)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--pairs", type=int, default=2, help="off/on pairs of load rounds")
    parser.add_argument("--downloads", type=int, default=1_000_000)
    args = parser.parse_args()
    client = docker.from_env()
    rng = random.Random(7)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-usage-", ignore_cleanup_errors=True) as scratch_name:
        scratch = Path(scratch_name)
        services = DeskServices.open(scratch / "data")
        services.data_dir.ensure()
        packages = services.data_dir.packages_dir
        began = time.monotonic()
        projects = make_index(packages, args.files)
        print(f"{args.files:,} files ({len(projects):,} projects), made in {time.monotonic() - began:.0f} s")
        try:
            rounds = bench_load(services, client, projects, args.seconds, args.pairs, scratch, rng)
            listing = services.packages.listing()
            app_total = services.usage.figures(2, listing=listing).total
            slowest, popular = bench_query(packages, projects, args.downloads, rng)
            listing, service_s = bench_service(services)
            view_s = time_usage_view(services, listing)
        finally:
            services.server.stop()
            services.close()

    on = [r for r in rounds if r.label == "on"]
    off = [r for r in rounds if r.label == "off"]
    rps_ratio = statistics.mean(r.rps for r in on) / statistics.mean(r.rps for r in off)
    p95_ratio = statistics.mean(r.p95 for r in on) / statistics.mean(r.p95 for r in off)
    recorded = sum(r.after_stop for r in on)
    served = sum(r.logged for r in on)
    counted = sum(r.downloads for r in on)
    slack = sum(r.after_stop - r.downloads for r in on)
    in_flight = CLIENTS // (FILE_TARGETS + PAGE_TARGETS) * FILE_TARGETS
    print(f"\n  on / off: requests/s {rps_ratio:.3f}x ({statistics.mean(r.rps for r in on):.0f} against "
          f"{statistics.mean(r.rps for r in off):.0f}), p95 {p95_ratio:.3f}x ({statistics.mean(r.p95 for r in on):.0f} "
          f"against {statistics.mean(r.p95 for r in off):.0f} ms)")  # fmt: skip
    print(f"  recorded in the 'on' rounds {recorded:,}; the server answered 200 to {served:,} downloads; ab counted "
          f"{counted:,} whole ({slack:+,}: requests ab left in flight at its time limit, at most {in_flight} a round)"
          f"; the 'off' rounds recorded {sum(r.after_stop for r in off):,}; the app's total {app_total:,}")  # fmt: skip
    exact = (recorded == served == app_total and all(r.after_stop == 0 for r in off)
             and all(0 <= r.after_stop - r.downloads <= in_flight for r in on))  # fmt: skip
    print(f"\nTargets ({args.files:,} files, {args.seconds:.0f} s rounds, {args.downloads:,} downloads; "
          f"{time.monotonic() - started:.0f} s in all):")  # fmt: skip
    for text, met in (
        (f"recording costs at most 5 % of requests/s: on/off {rps_ratio:.3f}x", rps_ratio >= RPS_TARGET),
        (f"p95 within 10 %: on/off {p95_ratio:.3f}x", p95_ratio <= P95_TARGET),
        (f"every whole download recorded once, nothing with recording off, "
         f"{sum(r.errors for r in rounds)} errors", exact and not any(r.errors for r in rounds)),
        (f"stats query over {args.downloads:,} downloads < {QUERY_TARGET_MS:.0f} ms: slowest p50 {slowest:.1f} ms "
         f"(30/90/365 days, all and {popular})", slowest < QUERY_TARGET_MS),
        (f"the service's 30 days' figures < 1 s: {service_s * 1000:.0f} ms", service_s < VIEW_TARGET_S),
        ("the Usage view opens on that data < 1 s" + (f": {view_s * 1000:.0f} ms" if view_s is not None else ""),
         None if view_s is None else view_s < VIEW_TARGET_S),
    ):  # fmt: skip
        print(f"  {_verdict(met):<8} {text}")


if __name__ == "__main__":
    main()
