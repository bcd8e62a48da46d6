"""Kill a process with SIGKILL while it saves a file, many times; then judge what is on disk.

A *zygote* process imports the app's services once; for each trial it forks a writer that
saves the file over and over (each save a new, known version), and the caller kills that
writer after a varying number of saves plus a random fraction of one. The file must then be
one whole version: the one before the kill or one the writer completed, never partial, never
empty. A temp file left beside it shows that the kill landed in the middle of a save.

Used by tests/faults/test_kill_during_write.py and bench/faults.py.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

#: Run by the zygote: ``writer(path, n)`` saves version ``n`` of the file.
WRITERS = """
import json, sys
from pathlib import Path
from gui.services.users.store import UserStore
from gui.services.clients.pypirc import apply_change, plan_change
from gui.services.index.settings import ServerSettings, save_settings

def htpasswd(path, n):
    UserStore(path).add(f"user{n}", "pw", "apr1")

def pypirc(path, n):
    apply_change(plan_change(path, "local", "http://127.0.0.1:8080", "urunimi", f"pw{n}"))

def settings(path, n):
    save_settings(path, ServerSettings(port=10000 + n))
"""

ZYGOTE = (
    WRITERS
    + """
import os
kind, path = sys.argv[1], Path(sys.argv[2])
writer = globals()[kind]
print("ready", flush=True)
for command in sys.stdin:
    pid = os.fork()
    if pid == 0:
        n = 0
        while True:
            writer(path, n)
            n += 1
    print(pid, flush=True)
    os.waitpid(pid, 0)
    print("reaped", flush=True)
"""
)

KINDS = ("htpasswd", "pypirc", "settings")

PYPIRC_SEED = """# my uploads
[distutils]
index-servers =
    pypi
    local

[pypi]
username = __token__
password = pypi-AgEIcHlwaS5vcmc

[local]
repository = http://127.0.0.1:8080
username = urunimi
password = seed
"""


@dataclass
class TrialReport:
    kind: str
    trials: int = 0
    whole: int = 0
    partial: list[str] | None = None  # what was found instead of a whole version
    mid_write: int = 0  # kills that left a temp file: the save was cut off

    @property
    def broken(self) -> int:
        return len(self.partial or [])


def seed(kind: str, path: Path) -> None:
    """The file before the first trial: a version no writer makes."""
    if kind == "htpasswd":
        from gui.services.users.store import UserStore

        path.unlink(missing_ok=True)
        UserStore(path).add("seed", "pw", "apr1")
    elif kind == "pypirc":
        path.write_text(PYPIRC_SEED)
        path.chmod(0o600)
    else:
        from gui.services.index.settings import ServerSettings, save_settings

        save_settings(path, ServerSettings(port=9999))


def judge(kind: str, path: Path, seed_text: str) -> str | None:
    """None when the file is one whole version; else what is wrong with it."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return f"unreadable: {exc}"
    if not text:
        return "empty"
    if text == seed_text:
        return None
    if kind == "htpasswd":
        from gui.services.users.password_file import check_lines

        names = [line.split(":", 1)[0] for line in text.splitlines()]
        whole = text.endswith("\n") and not check_lines(text)
        ok = whole and names[0] == "seed" and names[1:] == [f"user{n}" for n in range(len(names) - 1)]
        return None if ok else f"not a whole version: {text[-80:]!r}"
    if kind == "pypirc":
        password = text.rsplit("password = ", 1)[-1].strip()
        expected = PYPIRC_SEED.replace("password = seed\n", f"password = {password}\n")
        return None if password.startswith("pw") and text == expected else f"not a whole version: {text!r}"
    try:
        port = json.loads(text)["port"]
    except (ValueError, KeyError, TypeError):
        return f"not JSON: {text!r}"
    from gui.services.index.settings import ServerSettings, save_settings

    probe = path.with_name("expected.json")
    save_settings(probe, ServerSettings(port=port))
    return None if probe.read_text() == text else f"not a whole version: {text!r}"


def run_trials(kind: str, folder: Path, trials: int, rng: random.Random | None = None) -> TrialReport:
    """``trials`` kills of a writer saving ``kind`` in ``folder``; the file is judged after each."""
    rng = rng or random.Random(0)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / {"htpasswd": ".htpasswd", "pypirc": ".pypirc", "settings": "pypi-desk.json"}[kind]
    report = TrialReport(kind, partial=[])
    pid = None
    zygote = subprocess.Popen(
        [sys.executable, "-c", ZYGOTE, kind, str(path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1,
    )  # fmt: skip
    try:
        assert zygote.stdout.readline() == "ready\n"
        for trial in range(trials):
            seed(kind, path)
            seed_text = path.read_text()
            temp_files = _temp_files(folder)
            zygote.stdin.write("go\n")
            zygote.stdin.flush()
            pid = int(zygote.stdout.readline())
            _wait_for_saves(path, trial % 5 + 1)
            _spin(rng.uniform(0, 0.003))  # a random moment within the next save
            os.kill(pid, signal.SIGKILL)
            assert zygote.stdout.readline() == "reaped\n"
            report.trials += 1
            left = _temp_files(folder) - temp_files
            report.mid_write += bool(left)
            for name in left:
                (folder / name).unlink()
            problem = judge(kind, path, seed_text)
            if problem is None:
                report.whole += 1
            else:
                report.partial.append(problem)
    finally:
        if pid is not None:  # a trial that failed half way: its writer must not outlive it
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        zygote.stdin.close()
        zygote.wait(10)
    return report


def _temp_files(folder: Path) -> set[str]:
    return {path.name for path in folder.iterdir() if path.name.endswith(".tmp")}


def _wait_for_saves(path: Path, count: int, timeout: float = 30.0) -> None:
    """Until the file was saved ``count`` times (a new inode on each atomic save, else a new mtime)."""
    deadline = time.monotonic() + timeout
    seen = _identity(path)
    while count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path} was not saved in {timeout} s")
        now = _identity(path)
        if now is not None and now != seen:
            seen, count = now, count - 1


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_ino, stat.st_mtime_ns


def _spin(seconds: float, clock: Callable[[], float] = time.perf_counter) -> None:
    end = clock() + seconds
    while clock() < end:
        pass
