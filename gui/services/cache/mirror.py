"""Sets for machines without internet: requirements resolved for each target machine with that machine's
markers (uv's ``--python-platform``/``--python-version``; never the host's), through this index, and every file
each target needs fetched through the cache, so the index keeps it, verified.

Resolution and fetching both go through the running server: the pages and metadata uv reads are
kept by the cache as it reads them, and each file is asked of the server, which fetches it from
upstream once, checks upstream's hash and keeps it; here its sha256 is checked once more against
the page. A name the team hosts resolves to the team's release, whose files are already here.
The report says, per target, what it needs, what came now and its size.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin

import requests
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name, parse_sdist_filename

from gui.services.cache.targets import Target
from gui.services.errors import DeskError

JSON_TYPE = "application/vnd.pypi.simple.v1+json"
CHUNK = 1024 * 1024
_INDEX_OPTIONS = ("-i", "--index-url", "--extra-index-url", "-f", "--find-links", "--index", "--default-index")
#: What the progress callback is told: (steps done, steps in all, what happens now).
Progress = Callable[[int, int, str], None]


class SetCancelled(DeskError):
    """The set was stopped before it was whole: what came so far is kept (each file verified)."""


@dataclass
class TargetReport:
    """What one target machine needs of the set, and what of it came now."""

    target: Target
    files: list[tuple[str, int, bool]] = field(default_factory=list)  # (filename, size, fetched now)
    sdist_only: list[str] = field(default_factory=list)  # projects with no wheel for the target: the sdist came
    hosted: list[str] = field(default_factory=list)  # the team's own releases in the set (already here)

    @property
    def size(self) -> int:
        return sum(size for _, size, _ in self.files)

    @property
    def fetched(self) -> int:
        return sum(1 for _, _, new in self.files if new)


def requirement_lines(lines: list[str], where: str) -> list[str]:
    """The requirements in a requirements file's lines (comments, ``--hash`` pins and continuations as pip reads
    them); an index option is refused (the set comes through this index), and so is any other option."""
    found = []
    for line in _joined(lines):
        text = " ".join(part for part in line.split("#", 1)[0].split() if not part.startswith("--hash"))
        if not text:
            continue
        if text.startswith(_INDEX_OPTIONS):
            raise DeskError(f"{where} names an index ({text}): the set comes through this index only. Remove "
                            "that line and try again.")  # fmt: skip
        if text.startswith("-"):
            raise DeskError(f"{where} has {text.split()[0]} ({text}): list requirements only (a local project or "
                            "another file cannot be fetched from upstream).")  # fmt: skip
        found.append(text)
    return found


def read_requirements(names: list[str], files: list[Path]) -> list[str]:
    """The requirements given (names and ``-r`` files), checked."""
    found = list(names)
    for path in files:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise DeskError(f"Cannot read the requirements file {path}: {exc}.") from exc
        found += requirement_lines(lines, str(path))
    for text in found:
        try:
            if Requirement(text).url:
                raise DeskError(f"{text!r} names a file by its URL: a set comes through this index, so name the "
                                "project and version instead (such as name==1.0).")  # fmt: skip
        except InvalidRequirement as exc:
            raise DeskError(
                f"{text!r} is not a requirement ({exc}): write it as a name, such as requests>=2.31."
            ) from None
    if not found:
        raise DeskError("Name at least one requirement (such as requests), or give a requirements file with -r.")
    return found


def _joined(lines: list[str]) -> list[str]:
    """Lines with a trailing backslash joined to the next (hash-pinned files: ``uv export``, ``pip-compile``)."""
    joined, pending = [], ""
    for line in lines:
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        joined.append(pending + line)
        pending = ""
    return [*joined, pending] if pending else joined


class SetFetcher:
    """Resolves and fetches a set through the server at ``url`` (with ``auth`` when it asks a password)."""

    def __init__(self, url: str, auth: tuple[str, str] | None, verify: str | bool, uv: str,
                 cancelled: threading.Event | None = None) -> None:  # fmt: skip
        self.cancelled = cancelled or threading.Event()
        self.url = url.rstrip("/")
        self.auth = auth
        self.verify = verify
        self.uv = uv
        self.http = requests.Session()
        self.http.auth = auth
        self.http.verify = verify
        self.http.trust_env = False  # the server is reached directly, never through a proxy

    def resolve(self, target: Target, requirements: list[str]) -> list[tuple[str, str]]:
        """(name, version) of everything the target needs, resolved by uv with the target's own markers."""
        index = self.url
        if self.auth:
            scheme, rest = index.split("://", 1)
            user, password = (requests.utils.quote(part, safe="") for part in self.auth)
            index = f"{scheme}://{user}:{password}@{rest}"
        with tempfile.TemporaryDirectory(prefix="pypi-desk-set-") as scratch:
            given = Path(scratch) / "requirements.in"
            given.write_text("\n".join(requirements) + "\n", encoding="utf-8")
            command = [
                self.uv,
                "pip",
                "compile",
                str(given),
                "--python-platform",
                target.uv_platform,
                "--python-version",
                target.python,
                "--index-url",
                f"{index}/simple/",
                "--no-config",
                "--no-header",
                "--no-annotate",
                "--quiet",
                "--cache-dir",
                f"{scratch}/uv",
                "--no-python-downloads",
            ]  # fmt: skip  (the target's markers need no interpreter of it)
            env = {k: v for k, v in os.environ.items() if not k.startswith(("UV_", "PIP_"))}
            env["NO_PROXY"] = env["no_proxy"] = "*"  # this index is reached directly
            if isinstance(self.verify, str):
                env["SSL_CERT_FILE"] = self.verify
            done = self._run(command, env)
        if done.returncode != 0:
            said = done.stderr.strip().replace(index, self.url)[-1500:]
            raise DeskError(f"The set cannot be resolved for {target}:\n{said}")
        pins = []
        for line in done.stdout.splitlines():
            text = line.split("#", 1)[0].strip()
            if text and "==" in text:
                requirement = Requirement(text.split(";", 1)[0])
                pins.append((canonicalize_name(requirement.name), next(iter(requirement.specifier)).version))
        return pins

    def _run(self, command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
        """uv, stopped (and reaped) as soon as the set is cancelled."""
        with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) as child:
            while True:
                try:
                    out, err = child.communicate(timeout=0.2)
                    return subprocess.CompletedProcess(command, child.returncode, out, err)
                except subprocess.TimeoutExpired:
                    if self.cancelled.is_set():
                        child.kill()
                        child.communicate()
                        raise SetCancelled("The set was stopped; what came before is kept.") from None

    def check(self) -> None:
        if self.cancelled.is_set():
            raise SetCancelled("The set was stopped; what came before is kept.")

    def page(self, project: str) -> dict:
        answer = self.http.get(f"{self.url}/simple/{project}/", headers={"Accept": JSON_TYPE}, timeout=120,
                               allow_redirects=False)  # fmt: skip
        if answer.is_redirect:
            raise DeskError(f"The running server sends {project} to upstream instead of keeping it: it started before "
                            "the cache was turned on: restart it (Apply and restart).")  # fmt: skip
        if answer.status_code != 200:
            raise DeskError(f"The index answered {answer.status_code} for {project}: {answer.text.strip()[:300]}")
        return answer.json()

    def choose(self, target: Target, project: str, version: str, page: dict, sdists: bool) -> tuple[list[dict], bool]:
        """The files the target needs of one release (the best wheel; the sdist when there is no wheel for it, or
        when asked), and whether only an sdist suits it."""
        wheels, sdist = [], None
        for entry in page.get("files", []):
            filename = entry["filename"]
            if filename.endswith(".whl"):
                from packaging.utils import parse_wheel_filename

                try:
                    wheel_version = parse_wheel_filename(filename)[1]
                except ValueError:
                    continue
                rank = target.wheel_rank(filename)
                if str(wheel_version) == version and rank is not None:  # yanked too: uv chose it, pinned
                    wheels.append((rank, entry))
            elif filename.endswith((".tar.gz", ".zip")):
                try:
                    sdist_version = parse_sdist_filename(filename)[1]
                except ValueError:
                    continue
                if str(sdist_version) == version:
                    sdist = entry
        chosen = [min(wheels, key=lambda pair: pair[0])[1]] if wheels else []
        if sdist is not None and (sdists or not chosen):
            chosen.append(sdist)
        if not chosen:
            raise DeskError(f"{project} {version} has no file for {target} on the index.")
        return chosen, not wheels

    def fetch(self, project: str, entry: dict) -> int:
        """Ask the server for one file (the cache fetches and keeps it); its sha256 checked here too."""
        url = urljoin(f"{self.url}/simple/{project}/", entry["url"])
        wanted = (entry.get("hashes") or {}).get("sha256")
        digest, size = hashlib.sha256(), 0
        with self.http.get(url, stream=True, timeout=600) as answer:
            if answer.status_code != 200:
                raise DeskError(f"{entry['filename']} could not be fetched: {answer.status_code} "
                                f"{answer.text.strip()[:300]}")  # fmt: skip
            for chunk in answer.iter_content(CHUNK):
                self.check()
                digest.update(chunk)
                size += len(chunk)
        if wanted and digest.hexdigest() != wanted:
            raise DeskError(f"{entry['filename']} came with sha256 {digest.hexdigest()}, its page says {wanted}.")
        return size


def fetch_set(fetcher: SetFetcher, requirements: list[str], targets: list[Target], sdists: bool,
              already: set[str], progress: Progress | None = None) -> list[TargetReport]:  # fmt: skip
    """Resolve and fetch the set for every target; ``already`` names the files the cache held before."""
    reports = []
    step, steps = 0, len(targets)
    for target in targets:
        report = TargetReport(target)
        if progress:
            progress(step, steps, f"Resolving for {target}…")
        pins = fetcher.resolve(target, requirements)
        steps += len(pins)
        for project, version in pins:
            fetcher.check()
            step += 1
            if progress:
                progress(step, steps, f"{target}: {project} {version}")
            page = fetcher.page(project)
            files, sdist_only = fetcher.choose(target, project, version, page, sdists)
            if sdist_only:
                report.sdist_only.append(f"{project} {version}")
            for entry in files:
                where = urljoin(f"{fetcher.url}/simple/{project}/", entry["url"])
                if where.startswith(f"{fetcher.url}/packages/"):
                    report.hosted.append(entry["filename"])  # the team's own file: already here
                    continue
                if not where.startswith(f"{fetcher.url}/cached/"):
                    raise DeskError(f"The index links {entry['filename']} elsewhere ({where}): it is not kept.")
                new = entry["filename"] not in already
                size = fetcher.fetch(project, entry)
                already.add(entry["filename"])
                report.files.append((entry["filename"], size, new))
        step += 1
        if progress:
            progress(step, steps, f"{target}: done")
        reports.append(report)
    return reports
