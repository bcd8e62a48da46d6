"""A log followed again after its stream broke goes on where it stopped: nothing repeated, nothing lost."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from gui.services.index.settings import ServerSettings
from gui.services.server.container import DockerRuntime
from gui.services.server.container_log import DockerLogStream, timestamp_ns
from gui.services.server.file_log import FileLogStream
from gui.services.server.process import ProcessRuntime
from gui.services.server.runtime import LogPosition
from tests.helpers import wait_for_log_line


def docker_frames(*lines: str) -> list[bytes]:
    return [f"{line}\n".encode() for line in lines]


def test_docker_timestamps_are_read_to_the_nanosecond() -> None:
    assert timestamp_ns("1970-01-01T00:00:01.5Z") == 1_500_000_000
    assert timestamp_ns("2026-11-24T08:04:37.123456789Z") % 1_000_000_000 == 123_456_789
    assert timestamp_ns("2026-11-24T08:04:37Z") % 1_000_000_000 == 0
    with pytest.raises(ValueError):
        timestamp_ns("GET /simple/ 200")


def test_lines_that_share_a_timestamp_are_resumed_exactly() -> None:
    log = docker_frames(
        "2026-11-24T08:00:00.000000001Z first",
        "2026-11-24T08:00:00.000000002Z second",
        "2026-11-24T08:00:00.000000002Z third",
        "2026-11-24T08:00:00.000000002Z fourth",
        "2026-11-24T08:00:00.000000003Z fifth",
    )
    broken = DockerLogStream(iter(log[:3]), "container-a")  # the stream broke after "third"
    assert list(broken) == ["first", "second", "third"]
    position = broken.position
    assert position == LogPosition("container-a", (timestamp_ns("2026-11-24T08:00:00.000000002Z"), 2))

    again = DockerLogStream(iter(log), "container-a", after=position)  # Docker sends from a second early
    assert list(again) == ["fourth", "fifth"]
    elsewhere = DockerLogStream(iter(log), "container-b", after=position)  # another container: all of its log
    assert len(list(elsewhere)) == 5


def test_the_log_file_resumes_at_the_byte_after_the_last_whole_line(tmp_path: Path) -> None:
    path = tmp_path / "server.log"
    path.write_bytes("one\ntwo ü\nthree (half".encode())
    stream = FileLogStream(path, tail=None, follow=False, still_running=lambda: False, source="process 1")
    assert list(stream) == ["one", "two ü", "three (half"]
    with path.open("r+b") as log:  # as the server would: the half line completed, one more written
        log.truncate(len("one\ntwo ü\n".encode()))
        log.seek(0, 2)
        log.write(b"three\nfour\n")
    whole = LogPosition("process 1", (len("one\ntwo ü\n".encode()),))
    again = FileLogStream(path, None, False, lambda: False, source="process 1", offset=whole.mark[0])
    assert list(again) == ["three", "four"]
    assert again.position == LogPosition("process 1", (path.stat().st_size,))


def test_a_tail_knows_where_it_ends(tmp_path: Path) -> None:
    path = tmp_path / "server.log"
    path.write_text("".join(f"line {n}\n" for n in range(10)))
    stream = FileLogStream(path, tail=3, follow=False, still_running=lambda: False, source="process 1")
    assert list(stream) == ["line 7", "line 8", "line 9"]
    assert stream.position == LogPosition("process 1", (path.stat().st_size,))


@pytest.mark.docker
@pytest.mark.usefixtures("docker_client", "docker_cleanup")
def test_the_container_log_goes_on_after_a_position(data_dir, port) -> None:
    runtime = DockerRuntime(data_dir)
    status = runtime.start(ServerSettings(port=port, auth="none"))
    for path in ("/simple/a/", "/simple/b/"):
        requests.get(f"{status.url}{path}", timeout=5, allow_redirects=False)
    wait_for_log_line(runtime, lambda line: "GET /simple/b/ " in line)
    first = runtime.logs()
    seen = list(first)
    assert any("GET /simple/b/ " in line for line in seen)
    assert not any(line[:4].isdigit() and "T" in line[:11] for line in seen)  # Docker's timestamps are stripped
    requests.get(f"{status.url}/simple/c/", timeout=5, allow_redirects=False)
    wait_for_log_line(runtime, lambda line: "GET /simple/c/ " in line)

    rest = list(runtime.logs(after=first.position))
    assert [line for line in rest if "GET /simple/" in line] == [
        next(line for line in rest if "GET /simple/c/ " in line)
    ]
    runtime.stop()


def test_the_process_log_goes_on_after_a_position(data_dir, port) -> None:
    runtime = ProcessRuntime(data_dir)
    status = runtime.start(ServerSettings(port=port, auth="none"))
    try:
        requests.get(f"{status.url}/simple/a/", timeout=5, allow_redirects=False)
        wait_for_log_line(runtime, lambda line: "GET /simple/a/ " in line)  # written (gunicorn buffers a little)
        first = runtime.logs()
        assert any("GET /simple/a/ " in line for line in list(first))
        requests.get(f"{status.url}/simple/b/", timeout=5, allow_redirects=False)
        wait_for_log_line(runtime, lambda line: "GET /simple/b/ " in line)
        rest = [line for line in runtime.logs(after=first.position) if "GET /simple/" in line]
        assert len(rest) == 1 and "GET /simple/b/ " in rest[0]
    finally:
        runtime.stop()
