"""The command line, run as a real process: exit codes, one-line errors, no tracebacks."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from ledgerdesk.cli import COMMANDS, build_parser

ROOT = Path(__file__).resolve().parent.parent


def run(*args, env_extra=None, **kw):
    import os

    env = {**os.environ, **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "ledgerdesk", *map(str, args)], capture_output=True,
                          text=True, env=env, timeout=120, **kw)


def assert_one_line_error(proc, key):
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("错误：") and lines[0].endswith(f"({key})")
    assert "Traceback" not in proc.stderr + proc.stdout


def test_version():
    proc = run("--version")
    assert proc.returncode == 0 and re.match(r"LedgerDesk \d+\.\d+\.\d+", proc.stdout)


def test_init_stats_check_round_trip(tmp_path):
    db = tmp_path / "l.sqlite3"
    proc = run("--db", db, "init", "--township", "乌兰镇")
    assert proc.returncode == 0, proc.stderr
    assert db.exists()
    stats = json.loads(run("--db", db, "stats", "--json").stdout)
    assert stats["ledger"]["township"] == "乌兰镇"
    assert stats["counts"]["households"] == 0
    proc = run("--db", db, "check")
    assert proc.returncode == 0 and "检查通过" in proc.stdout


def test_ledgerdesk_db_environment_variable_names_the_ledger(tmp_path):
    db = tmp_path / "env.sqlite3"
    assert run("init", env_extra={"LEDGERDESK_DB": str(db)}).returncode == 0
    assert db.exists()


@pytest.mark.parametrize("args,key", [
    (["stats", "--bogus"], "usage"),
    (["demo", "--scale", "planet"], "usage"),
])
def test_bad_arguments_give_one_line(tmp_path, args, key):
    assert_one_line_error(run("--db", tmp_path / "x.sqlite3", *args), key)


def test_missing_existing_and_foreign_files(tmp_path):
    assert_one_line_error(run("--db", tmp_path / "none.sqlite3", "stats"), "ledger-not-found")
    db = tmp_path / "l.sqlite3"
    run("--db", db, "init")
    before = db.read_bytes()
    assert_one_line_error(run("--db", db, "init"), "ledger-exists")
    assert db.read_bytes() == before
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"\x00garbage" * 1000)
    assert_one_line_error(run("--db", junk, "check"), "not-a-ledger")


def test_check_reports_a_row_written_around_the_version_log(tmp_path):
    import sqlite3

    db = tmp_path / "l.sqlite3"
    run("--db", db, "init")
    conn = sqlite3.connect(db)
    # Drop a guard the way a careless tool might, then edit a row behind the log's back.
    conn.execute("DROP TRIGGER township_guard_update")
    conn.execute("UPDATE township SET name = '篡改', vid = vid + 1000")
    conn.commit()
    conn.close()
    proc = run("--db", db, "check")
    assert proc.returncode == 1
    assert "版本记录不一致" in proc.stdout


def test_every_command_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    assert set(sub.choices) == set(COMMANDS)
    for name in COMMANDS:
        assert re.search(rf"ledgerdesk .*\b{name}\b", readme), f"README does not document `{name}`"
