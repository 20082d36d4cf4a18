"""`ledgerdesk backup` and `ledgerdesk restore` through the command line (ledgerdesk.cli.main, real files)."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from ledgerdesk import cli
from ledgerdesk.services import backup, registry, workspace


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def db(tmp_path, clock):
    path = tmp_path / "台账.sqlite3"
    session = workspace.create_ledger(path, township="测试镇", clock=clock)
    registry.create_village(session, name="红旗村")
    session.close()
    return path


def run(capsys, *args) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def one_line_error(err: str, key: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("错误：") and lines[0].endswith(f"({key})"), err
    return lines[0]


def digest(capsys, db: Path) -> str:
    code, out, _ = run(capsys, "--db", db, "digest")
    assert code == 0
    return out.strip()


def site_of(db: Path) -> tuple[str, list[str]]:
    session = workspace.open_ledger(db)
    try:
        return session.ledger.site_id, json.loads(session.ledger.get_meta("site_history") or "[]")
    finally:
        session.close()


def test_backup_goes_to_the_backup_folder_and_restore_brings_it_back(capsys, db):
    code, out, _ = run(capsys, "--db", db, "backup")
    assert code == 0
    taken = Path(re.search(r"已备份：(\S+?)（", out).group(1))
    assert taken.parent == db.parent / "备份" and "-手动" in taken.name and taken.exists()
    at_backup = digest(capsys, db)
    site_before, _ = site_of(db)

    session = workspace.open_ledger(db)
    registry.create_village(session, name="后来村")
    session.close()
    changed = digest(capsys, db)
    assert changed != at_backup

    code, out, _ = run(capsys, "--db", db, "restore", taken)
    assert code == 0 and "已用备份" in out and "恢复前的台账已备份为" in out
    assert digest(capsys, db) == at_backup
    site_after, history = site_of(db)
    assert site_after != site_before and site_before in history
    kinds = sorted(b.reason for b in backup.list_backups(db))
    assert kinds == ["恢复前", "手动"]


def test_backup_out_writes_that_file_and_never_overwrites(capsys, db, tmp_path):
    out_file = tmp_path / "u盘" / "台账备份.ldbak"
    out_file.parent.mkdir()
    code, out, _ = run(capsys, "--db", db, "backup", "--out", out_file)
    assert code == 0 and str(out_file) in out and out_file.exists()
    before = sha(out_file)
    code, _, err = run(capsys, "--db", db, "backup", "--out", out_file)
    assert code != 0 and "不会覆盖" in one_line_error(err, "ledger-exists")
    assert sha(out_file) == before
    assert backup.list_backups(db) == []


def test_restore_refuses_a_foreign_or_damaged_file_in_one_line_and_changes_nothing(capsys, db, tmp_path):
    junk = tmp_path / "junk.ldbak"
    junk.write_bytes(b"\x00garbage" * 4000)
    before = sha(db)
    code, _, err = run(capsys, "--db", db, "restore", junk)
    assert code != 0 and "未做任何改动" in one_line_error(err, "not-a-ledger")

    code, out, _ = run(capsys, "--db", db, "backup", "--out", tmp_path / "good.ldbak")
    assert code == 0
    data = bytearray((tmp_path / "good.ldbak").read_bytes())
    data[len(data) // 2: len(data) // 2 + 4096] = b"\xff" * 4096
    (tmp_path / "bad.ldbak").write_bytes(bytes(data))
    code, _, err = run(capsys, "--db", db, "restore", tmp_path / "bad.ldbak")
    assert code != 0 and "已损坏" in one_line_error(err, "backup-damaged")

    code, _, err = run(capsys, "--db", db, "restore", tmp_path / "missing.ldbak")
    one_line_error(err, "not-found")
    assert sha(db) == before and backup.list_backups(db) == []


def test_restore_needs_the_administrator_when_the_ledger_has_login(capsys, db, monkeypatch, tmp_path):
    from ledgerdesk.services import accounts

    session = workspace.open_ledger(db)
    try:
        accounts.ensure_admin(session, "管理员的密码123")
        accounts.create_user(session, "clerk", role="录入员", password="录入员的密码123")
    finally:
        session.close()
    monkeypatch.setenv("LEDGERDESK_USER", "clerk")
    monkeypatch.setenv("LEDGERDESK_PASSWORD", "录入员的密码123")
    code, _, _ = run(capsys, "--db", db, "backup", "--out", tmp_path / "b.ldbak")
    assert code == 0  # anyone who may open the ledger may back it up
    before = sha(db)
    code, _, err = run(capsys, "--db", db, "restore", tmp_path / "b.ldbak")
    one_line_error(err, "permission-denied")
    assert sha(db) == before
