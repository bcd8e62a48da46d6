"""The command line, run as a user would: `pypi-desk server start|status|logs|stop`."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests


def desk(data_dir: Path, *args: str, timeout: float = 120, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "gui", "--data-dir", str(data_dir), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.parametrize("runtime", ["process", pytest.param("docker", marks=pytest.mark.docker)])
def test_start_status_logs_stop(runtime: str, tmp_path: Path, port: int, request: pytest.FixtureRequest) -> None:
    if runtime == "docker":
        request.getfixturevalue("docker_client")
    data_dir = tmp_path / "server"
    try:
        started = desk(data_dir, "server", "start", "--port", str(port), "--runtime", runtime)
        assert started.returncode == 0, started.stderr
        assert f"Running at http://127.0.0.1:{port}" in started.stdout
        assert requests.get(f"http://127.0.0.1:{port}/simple/", timeout=5).status_code == 200
        status = desk(data_dir, "server", "status")
        assert status.returncode == 0 and f"http://127.0.0.1:{port}" in status.stdout
        logs = desk(data_dir, "server", "logs", "--tail", "5")
        assert '"GET /simple/ HTTP/1.1" 200' in logs.stdout
    finally:
        stopped = desk(data_dir, "server", "stop")
    assert stopped.returncode == 0
    after = desk(data_dir, "server", "status")
    assert after.returncode == 3 and "Stopped" in after.stdout
    assert f'"port": {port}' in (data_dir / "pypi-desk.json").read_text()  # --port is remembered


def test_bad_port_is_refused_in_words_and_nothing_is_saved(tmp_path: Path) -> None:
    result = desk(tmp_path / "server", "server", "start", "--port", "70000")
    assert result.returncode == 1
    assert "choose a number from 1 to 65535" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "server" / "pypi-desk.json").exists()


def test_auto_without_an_engine_says_it_runs_a_process(tmp_path: Path, port: int, monkeypatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    data_dir = tmp_path / "server"
    try:
        started = desk(data_dir, "server", "start", "--port", str(port))
        assert started.returncode == 0, started.stderr
        assert "No Docker engine answers: running the server as a local process" in started.stderr
    finally:
        desk(data_dir, "server", "stop")


def test_status_with_an_engine_gone_and_runtime_docker_explains(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    result = desk(tmp_path / "server", "server", "start", "--runtime", "docker", "--port", "18999")
    assert result.returncode == 1 and "No Docker engine answers" in result.stderr


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None, reason="needs root and setpriv")
def test_permission_denied_on_the_socket_says_how_to_fix(tmp_path: Path) -> None:
    """A real socket this process may not open: root without CAP_DAC_OVERRIDE, socket mode 0000."""
    path = tmp_path / "engine.sock"
    with socket.socket(socket.AF_UNIX) as engine:
        engine.bind(str(path))
        engine.listen()
        path.chmod(0)
        result = subprocess.run(
            [
                "setpriv",
                "--bounding-set=-dac_override,-dac_read_search",
                sys.executable,
                "-m",
                "gui",
                "--data-dir",
                str(tmp_path / "server"),
                "server",
                "start",
                "--runtime",
                "docker",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            env=dict(os.environ, DOCKER_HOST=f"unix://{path}"),
        )
    assert result.returncode == 1
    assert "permission denied" in result.stderr and "usermod -aG docker" in result.stderr


def test_screenshot_renders_the_window_to_a_png(tmp_path: Path) -> None:
    target = tmp_path / "window.png"
    result = desk(tmp_path / "server", "--screenshot", str(target), timeout=60)
    assert result.returncode == 0, result.stderr
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and target.stat().st_size > 10_000


def test_user_commands_add_list_passwd_remove(tmp_path: Path) -> None:
    data_dir = tmp_path / "server"
    added = desk(data_dir, "user", "add", "urunimi", "--password-stdin", stdin="pypi\n", timeout=60)
    assert added.returncode == 0 and "Added urunimi (bcrypt, publish)" in added.stdout
    again = desk(data_dir, "user", "add", "urunimi", "--password-stdin", stdin="other\n", timeout=60)
    assert again.returncode == 1 and "exists already" in again.stderr
    changed = desk(
        data_dir, "user", "passwd", "urunimi", "--password-stdin", "--scheme", "sha512", stdin="new\n", timeout=60
    )
    assert changed.returncode == 0
    listed = desk(data_dir, "user", "list")
    assert listed.stdout.splitlines() == ["urunimi\tpublish\tSHA-512 crypt"]
    assert desk(data_dir, "user", "remove", "urunimi").returncode == 0
    assert desk(data_dir, "user", "list").stdout == ""
    gone = desk(data_dir, "user", "remove", "urunimi")
    assert gone.returncode == 1 and "There is no user urunimi" in gone.stderr


def test_user_list_reports_broken_lines_and_repair_fixes_them(tmp_path: Path) -> None:
    data_dir = tmp_path / "server"
    (data_dir / "auth").mkdir(parents=True)
    (data_dir / "auth" / ".htpasswd").write_text("urunimi:$apr1$x$y\ngarbage\nplain:text\n")
    listed = desk(data_dir, "user", "list")
    assert "warning: Line 2" in listed.stdout and "warning: Line 3" in listed.stdout
    assert "Removed 1 broken line(s)" in desk(data_dir, "user", "repair").stdout


def test_help_and_status_load_only_what_they_use(tmp_path: Path) -> None:
    """``--help`` imports neither Docker nor passlib nor requests; ``server status`` no passlib, no upload code."""
    probe = (
        "import sys, runpy\n"
        "sys.argv = ['pypi-desk'] + sys.argv[1:]\n"
        "try:\n"
        "    runpy.run_module('gui', run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = ['docker', 'passlib', 'requests', 'pkginfo', 'requests_toolbelt', 'watchdog', 'PySide6']\n"
        "print('loaded:', *[name for name in heavy if name in sys.modules], file=sys.stderr)\n"
    )

    def loaded(*args: str) -> set[str]:
        run = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True)
        return set(run.stderr.strip().splitlines()[-1].split()[1:])

    assert loaded("--help") == set()
    env_data = str(tmp_path / "data")
    assert loaded("--data-dir", env_data, "server", "status") <= {"docker", "requests"}


def test_package_list_counts_in_words(tmp_path: Path, capsys) -> None:
    from gui.cli import main
    from tests.helpers import make_sdist

    packages = tmp_path / "data" / "packages"
    make_sdist(packages, "toy", "1.0.0")
    assert main(["--data-dir", str(tmp_path / "data"), "package", "list"]) == 0
    assert capsys.readouterr().err.startswith("1 project, 1 version, 1 file, ")


def test_a_malformed_or_unreadable_pypirc_is_named_not_called_missing(tmp_path: Path) -> None:
    """'package upload' said 'run client setup first' for a .pypirc twine refuses, or one it cannot read."""
    home = tmp_path / "home"
    home.mkdir()
    rc = home / ".pypirc"
    rc.write_text("[local]\nrepository = http://127.0.0.1:8080\n\n[local]\nusername = x\npassword = y\n")
    env = dict(os.environ, HOME=str(home))
    upload = [sys.executable, "-m", "gui", "--data-dir", str(tmp_path / "data"), "package", "upload", "x.whl"]
    result = subprocess.run(upload, capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 1 and "cannot be read as twine reads it" in result.stderr
    assert "client setup" not in result.stderr


def test_a_data_folder_under_a_file_says_so(tmp_path: Path) -> None:
    """Once: 'fix its permissions'. And 'user list' created the data folder as a side effect."""
    (tmp_path / "a-file").write_text("")
    result = desk(tmp_path / "a-file" / "data", "server", "start")
    assert result.returncode == 1 and f"{tmp_path / 'a-file'} is a file" in result.stderr
    assert "permissions" not in result.stderr
    assert desk(tmp_path / "never" / "data", "user", "list").returncode == 0
    assert not (tmp_path / "never").exists()


def test_settings_show_and_set_check_each_value_and_keep_the_old_file_on_a_bad_one(tmp_path: Path) -> None:
    folder = tmp_path / "server"
    shown = desk(folder, "settings", "show")
    assert shown.returncode == 0
    assert "port = 8080\n" in shown.stdout and "auth = update\n" in shown.stdout and "overwrite = off\n" in shown.stdout

    changed = desk(folder, "settings", "set", "port=9010", "host=0.0.0.0", "auth=list,download,update", "overwrite=on")
    assert changed.returncode == 0, changed.stderr
    assert "port = 9010" in changed.stdout and "auth = list,download,update" in changed.stdout
    saved = (folder / "pypi-desk.json").read_bytes()

    for bad, words in (
        ("port=eighty", "whole number"),
        ("port=70000", "1 to 65535"),
        ("auth=everyone", "update, download,update"),
        ("overwrite=maybe", "on or off"),
        ("colour=red", "port, host, image, auth"),
        ("port", "KEY=VALUE"),
    ):
        refused = desk(folder, "settings", "set", "host=127.0.0.1", bad)
        assert refused.returncode == 1 and words in refused.stderr, (bad, refused.stderr)
        assert (folder / "pypi-desk.json").read_bytes() == saved  # nothing half-applied
    exposed = desk(folder, "settings", "set", "auth=none")
    assert "warning:" in exposed.stdout and "without passwords" in exposed.stdout
    assert "port = 9010\n" in desk(folder, "settings", "show").stdout


def test_password_stdin_takes_one_line_without_its_cr(tmp_path: Path) -> None:
    from gui.services.core import DeskServices

    data_dir = tmp_path / "server"
    added = desk(data_dir, "user", "add", "ci", "--password-stdin", stdin="s3cret-Pw\r\n", timeout=60)
    assert added.returncode == 0, added.stderr
    assert DeskServices.open(data_dir).users.verify("ci", "s3cret-Pw")  # not "s3cret-Pw\r"
    two = desk(data_dir, "user", "add", "bob", "--password-stdin", stdin="first\nsecond\n", timeout=60)
    assert two.returncode != 0 and "one line" in two.stderr
    assert [user.name for user in DeskServices.open(data_dir).users.users()] == ["ci"]


def test_user_edits_on_a_read_only_disk_are_said_in_one_sentence(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to mount a read-only file system")
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "tmpfs", str(mount)], check=True)
    try:
        data_dir = mount / "server"
        assert desk(data_dir, "user", "add", "ci", "--password-stdin", stdin="pw-12345\n", timeout=60).returncode == 0
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
        for args in (
            ("user", "add", "bob", "--password-stdin"),
            ("user", "role", "ci", "read"),
            ("user", "remove", "ci"),
        ):
            done = desk(data_dir, *args, stdin="pw-12345\n", timeout=60)
            assert done.returncode != 0 and "read-only" in done.stderr and "unexpected" not in done.stderr.lower()
    finally:
        subprocess.run(["umount", str(mount)], check=False)
