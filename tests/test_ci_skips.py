"""In CI a missing required component fails the run instead of skipping its tests (tests/conftest.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROBE = """
import pytest
from conftest import require


def test_needs_a_missing_component():
    require(False, "frobnicator is missing")


def test_skips_for_another_reason():
    pytest.skip("not today")


def test_has_what_it_needs():
    require(True, "never shown")
"""


def _run(tmp_path: Path, ci: str) -> str:
    shutil.copy(ROOT / "tests" / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "test_probe.py").write_text(PROBE, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "CI"} | {"CI": ci, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.stdout


@pytest.mark.parametrize("ci", ["true", "1"])
def test_in_ci_a_skip_is_a_failure(tmp_path, ci):
    out = _run(tmp_path, ci)
    assert "2 failed, 1 passed" in out, out
    assert "frobnicator is missing (CI is set" in out


def test_outside_ci_a_missing_component_skips(tmp_path):
    out = _run(tmp_path, "")
    assert "1 passed, 2 skipped" in out, out


def test_the_ci_entry_point_sets_ci():
    assert "export CI=true" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
