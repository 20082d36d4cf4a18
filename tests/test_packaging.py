"""A non-editable install works: the wheel carries fonts, migrations and the entry points."""

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(out)], check=True, capture_output=True, timeout=300)
    return next(out.glob("ledgerdesk-*.whl"))


def test_wheel_carries_resources_and_migrations(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in ("ledgerdesk/resources/fonts/wqy-microhei.ttc",
                     "ledgerdesk/resources/fonts/DroidSansFallbackFull.ttf",
                     "ledgerdesk/resources/fonts/LICENSE-wqy-microhei.txt",
                     "ledgerdesk/resources/fonts/LICENSE-DroidSansFallback.txt",
                     "ledgerdesk/db/migrations/0001_initial.sql",
                     "ledgerdesk/db/schema.sql",
                     "ledgerdesk/cli.py"):
        assert required in names, required
    assert not any(n.startswith("tests/") for n in names)


def test_installed_wheel_runs_outside_the_checkout(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
                   check=True, capture_output=True, timeout=300)
    env = {**os.environ, "PYTHONPATH": str(target)}
    work = tmp_path / "elsewhere"
    work.mkdir()

    def run(*args):
        return subprocess.run([sys.executable, *args], cwd=work, env=env, capture_output=True, text=True, timeout=120)

    where = run("-c", "import ledgerdesk, ledgerdesk.core.paths as p; print(ledgerdesk.__file__);"
                      "print(p.resource('fonts', 'wqy-microhei.ttc')); print(p.migrations_dir())")
    assert where.returncode == 0, where.stderr
    lines = where.stdout.splitlines()
    assert all(line.startswith(str(target)) for line in lines), lines
    assert (target / "bin" / "ledgerdesk").exists()
    db = tmp_path / "w.sqlite3"
    init = run("-m", "ledgerdesk", "--db", str(db), "init", "--township", "包内镇")
    assert init.returncode == 0, init.stderr
    check = run("-m", "ledgerdesk", "--db", str(db), "check")
    assert check.returncode == 0 and "检查通过" in check.stdout


def test_every_python_folder_of_the_package_is_in_the_wheel(wheel):
    """setup.cfg lists packages explicitly; a new sub-package left out would be missing after `pip install .`."""
    folders = {p.parent.relative_to(ROOT).as_posix() for p in (ROOT / "ledgerdesk").rglob("*.py")}
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = sorted(f for f in folders if not any(n.startswith(f + "/") for n in names))
    assert not missing, f"add these to [options] packages in setup.cfg: {missing}"
