"""The machines a set is fetched for: an operating system and CPU, and a Python version, each with the markers
uv resolves for and the wheel tags that machine installs (``packaging.tags``), never the host's."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from packaging.tags import Tag, compatible_tags, cpython_tags, mac_platforms
from packaging.utils import parse_wheel_filename

from gui.services.errors import DeskError


def _manylinux(arch: str, newest: int, oldest: int) -> list[str]:
    names = [f"manylinux_2_{minor}_{arch}" for minor in range(newest, oldest - 1, -1)]
    legacy = {17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}
    return names + [f"{legacy[minor]}_{arch}" for minor in sorted(legacy, reverse=True) if oldest <= minor <= newest]


#: A name users type: (uv's ``--python-platform``, the platform tags that machine installs, best first).
PLATFORMS: dict[str, tuple[str, list[str]]] = {
    "linux-x86_64": ("x86_64-manylinux_2_28", _manylinux("x86_64", 28, 5)),
    "linux-aarch64": ("aarch64-manylinux_2_28", _manylinux("aarch64", 28, 17)),
    "win-amd64": ("x86_64-pc-windows-msvc", ["win_amd64"]),
    "win-arm64": ("aarch64-pc-windows-msvc", ["win_arm64"]),
    "macos-arm64": ("aarch64-apple-darwin", list(mac_platforms((13, 0), "arm64"))),
    "macos-x86_64": ("x86_64-apple-darwin", list(mac_platforms((13, 0), "x86_64"))),
}
_PYTHON = re.compile(r"^3\.(\d{1,2})$")


@dataclass(frozen=True)
class Target:
    """One machine: ``platform`` a key of PLATFORMS, ``python`` such as "3.12"."""

    platform: str
    python: str

    def __str__(self) -> str:
        return f"{self.platform}, Python {self.python}"

    @property
    def uv_platform(self) -> str:
        return PLATFORMS[self.platform][0]

    @cached_property
    def tags(self) -> dict[Tag, int]:
        """Every wheel tag the machine installs, with its rank (0 is the best)."""
        version = (3, int(self.python.split(".")[1]))
        interpreter = f"cp3{version[1]}"
        platforms = PLATFORMS[self.platform][1]
        ordered = [*cpython_tags(version, [interpreter, "abi3", "none"], platforms),
                   *compatible_tags(version, interpreter, platforms)]  # fmt: skip
        return {tag: rank for rank, tag in reversed(list(enumerate(ordered)))}

    def wheel_rank(self, filename: str) -> int | None:
        """How well a wheel suits the machine (lower is better); None when it cannot be installed there."""
        try:
            tags = parse_wheel_filename(filename)[3]
        except ValueError:
            return None
        ranks = [self.tags[tag] for tag in tags if tag in self.tags]
        return min(ranks) if ranks else None


def parse_targets(platforms: list[str], pythons: list[str]) -> list[Target]:
    """Every platform with every Python version; raises DeskError naming what is not known."""
    names = [name.strip().lower() for item in platforms for name in item.split(",") if name.strip()]
    versions = [v.strip() for item in pythons for v in item.split(",") if v.strip()]
    for name in names:
        if name not in PLATFORMS:
            raise DeskError(f"{name!r} is not a platform PyPI Desk fetches for: use {', '.join(PLATFORMS)}.")
    for version in versions:
        match = _PYTHON.match(version)
        if not match or not 8 <= int(match[1]) <= 15:
            raise DeskError(f"{version!r} is not a Python version to fetch for: use 3.8 to 3.15, such as 3.12.")
    if not names or not versions:
        raise DeskError("Give at least one platform (such as linux-x86_64) and one Python version (such as 3.12).")
    return [Target(name, version) for name in dict.fromkeys(names) for version in dict.fromkeys(versions)]
