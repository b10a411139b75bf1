"""The installed packages carry what they load at run time: the HTML reports' templates.

setuptools builds the packages from a copy of the sources (as a wheel or a fresh install does,
from pyproject.toml's package data), and every template must be among the built files.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("cutover", "sim", "sip_harness")


@pytest.mark.slow
def test_a_build_holds_every_template(tmp_path: Path) -> None:
    templates = sorted(p.relative_to(ROOT).as_posix()
                       for package in PACKAGES for p in (ROOT / package).glob("**/templates/*"))
    assert templates, "no templates found"
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for package in PACKAGES:
        shutil.copytree(ROOT / package, source / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    build = tmp_path / "build"
    proc = subprocess.run(
        [sys.executable, "-c", "from setuptools import setup; setup()", "-q", "build_py",
         "--build-lib", str(build)],
        capture_output=True, text=True, timeout=120, check=False, cwd=source)
    assert proc.returncode == 0, proc.stderr[-2000:]
    built = {p.relative_to(build).as_posix() for p in build.rglob("*") if p.is_file()}
    missing = [t for t in templates if t not in built]
    assert not missing, f"not installed with the packages: {missing}"
    assert "sim/report/run_report.py" in built
