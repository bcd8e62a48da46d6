"""SIGKILL while the app saves .htpasswd, ~/.pypirc or its settings: 500 times each, never a partial file."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tests.faults.kill_trials import KINDS, run_trials

TRIALS = 500


@pytest.mark.parametrize("kind", KINDS)
def test_a_kill_during_a_save_leaves_the_old_file_or_the_new_one(kind: str, tmp_path: Path) -> None:
    report = run_trials(kind, tmp_path / kind, TRIALS, random.Random(kind))
    assert report.trials == TRIALS
    assert report.partial == [], f"{report.broken} of {TRIALS} files were not whole: {report.partial[:3]}"
    assert report.mid_write > 0, "no kill landed inside a save: the trials proved nothing"
