"""Backups and restore (services/backup.py; the migration backup of store/database.py).

Automatic backups before Excel and sync imports and before a schema upgrade,
the daily one, rotation in two pools, and restore: verified first (a damaged,
foreign or newer file is refused and nothing changes), the current ledger
backed up, the file replaced; the restored ledger has the backup's digest and
a new site id.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import sys
from pathlib import Path

import pytest

from ledgerdesk.core.errors import (
    BackupDamagedError,
    BackupFailedError,
    Cancelled,
    ForeignBackupError,
    LedgerExistsError,
    LedgerInUseError,
    NotALedgerError,
    PermissionDeniedError,
    SchemaTooNewError,
)
from ledgerdesk.core.ids import link_id
from ledgerdesk.core.paths import migrations_dir
from ledgerdesk.services import backup, registry, workspace
from ledgerdesk.services.session import Session
from ledgerdesk.store.database import Ledger
from ledgerdesk.store.migrations import available, latest_version, migrate
from ledgerdesk.store.models import Setting
from ledgerdesk.sync.digest import ledger_digest


def sha(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def folder_state(ledger_path: Path) -> dict[str, str]:
    """Every file next to the ledger and in its backup folder, with its content hash."""
    files = [p for p in ledger_path.parent.rglob("*") if p.is_file()]
    return {str(p.relative_to(ledger_path.parent)): sha(p) for p in files}


def add_village(session, name: str) -> str:
    return registry.create_village(session, name=name)


def set_keep(session, n: int) -> None:
    with session.writing() as w:
        w.insert(Setting, {"key": backup.KEEP_SETTING, "value": str(n)}, id=link_id("setting", backup.KEEP_SETTING))


def open_copy(path: Path, tmp: Path, clock) -> Session:
    """Open a private copy of a ledger or backup file (opening settles its site id: never open the original)."""
    tmp.mkdir(parents=True, exist_ok=True)
    copy = tmp / f"{path.stem}-copy.sqlite3"
    shutil.copyfile(path, copy)
    return workspace.open_ledger(copy, clock=clock)


@pytest.fixture
def ledger(file_session):
    """A file ledger with two villages."""
    add_village(file_session, "红旗村")
    add_village(file_session, "巴音嘎查")
    return file_session


# -- taking backups ------------------------------------------------------------------------------


def test_a_backup_is_a_self_contained_ledger_with_the_same_digest(ledger, clock, tmp_path):
    path = backup.backup_now(ledger, backup.MANUAL)
    assert path.parent == Path(ledger.ledger.path).parent / "备份" and path.suffix == ".ldbak"
    assert path.name.startswith("ledger-20261120-093000-手动")
    assert not path.with_name(path.name + "-wal").exists() and not list(path.parent.glob("*.part"))
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    copy = open_copy(path, tmp_path / "c", clock)
    try:
        assert ledger_digest(copy) == ledger_digest(ledger)
    finally:
        copy.close()
    (info,) = backup.list_backups(ledger.ledger.path)
    assert (info.path, info.reason, info.size) == (path, "手动", path.stat().st_size)
    assert "手动备份" in backup.describe(info)


def test_rotation_keeps_the_newest_n_per_pool(ledger, clock):
    set_keep(ledger, 3)
    daily = []
    for _ in range(2):
        daily.append(backup.backup_now(ledger, backup.DAILY))
        clock.advance(seconds=1)
    others = []
    for reason in ("手动", "导入花名册", "同步导入", "手动", "恢复前"):
        others.append(backup.backup_now(ledger, reason))
        clock.advance(seconds=1)
    found = backup.list_backups(ledger.ledger.path)
    assert [b.path for b in found if not b.daily] == others[:-4:-1]  # the newest 3 others, newest first
    assert [b.path for b in found if b.daily] == daily[::-1]  # the other pool never evicts a daily backup
    for _ in range(4):
        backup.backup_now(ledger, backup.DAILY)
        clock.advance(seconds=1)
    assert sum(b.daily for b in backup.list_backups(ledger.ledger.path)) == 3
    assert sum(not b.daily for b in backup.list_backups(ledger.ledger.path)) == 3
    backup.backup_now(ledger, backup.MANUAL, keep=1)  # an explicit keep wins over the setting
    assert sum(not b.daily for b in backup.list_backups(ledger.ledger.path)) == 1


def test_the_default_keep_is_ten_and_same_second_backups_get_numbers(ledger):
    paths = [backup.backup_now(ledger, backup.MANUAL) for _ in range(12)]  # the fixed clock stands still
    assert len(set(paths)) == 12 and paths[1].name.endswith("-手动-2.ldbak")
    kept = backup.list_backups(ledger.ledger.path)
    assert len(kept) == backup.DEFAULT_KEEP == 10
    assert [b.path for b in kept] == paths[:1:-1]


def test_a_memory_ledger_has_no_backups(memory_session):
    assert backup.backup_now(memory_session, backup.MANUAL) is None
    assert backup.daily_backup_if_due(memory_session) is None


def test_backup_to_writes_exactly_there_and_never_overwrites(ledger, tmp_path):
    out = tmp_path / "elsewhere" / "台账.ldbak"
    out.parent.mkdir()
    assert backup.backup_to(ledger, out) == out and out.exists()
    before = sha(out)
    with pytest.raises(LedgerExistsError):
        backup.backup_to(ledger, out)
    assert sha(out) == before
    assert backup.list_backups(ledger.ledger.path) == []  # --out files are not in the rotation
    with pytest.raises(BackupFailedError):
        backup.backup_to(ledger, tmp_path / "no-such-folder" / "x.ldbak")


def test_a_backup_that_cannot_be_written_is_one_clear_error(ledger):
    (Path(ledger.ledger.path).parent / "备份").write_text("a file where the folder should be")
    with pytest.raises(BackupFailedError) as err:
        backup.backup_now(ledger, backup.MANUAL)
    assert "未做任何改动" in err.value.message


def test_a_backup_inside_a_write_transaction_is_refused_not_hung(ledger):
    with pytest.raises(RuntimeError):
        with ledger.writing():
            backup.backup_now(ledger, backup.MANUAL)


def test_the_daily_backup_is_taken_once_per_day(ledger, clock):
    first = backup.daily_backup_if_due(ledger)
    assert first is not None and first.name.startswith("ledger-20261120-")
    backup.backup_now(ledger, backup.MANUAL)  # other backups do not count as the day's
    clock.advance(seconds=3600 * 8)  # 17:30, same day
    assert backup.daily_backup_if_due(ledger) is None
    clock.advance(days=1)
    second = backup.daily_backup_if_due(ledger)
    assert second is not None and second.name.startswith("ledger-20261121-")
    assert backup.daily_backup_if_due(ledger) is None
    assert [b.reason for b in backup.list_backups(ledger.ledger.path)].count("每日") == 2


# -- automatic backups before imports and migrations -------------------------------------------------


def test_every_excel_import_backs_up_before_it_writes(ledger, tmp_path):
    from ledgerdesk.interchange import committees, ledger_xlsx, roster

    imports = [(roster.export_roster, roster.plan_roster_import, roster.apply_roster_import, "导入花名册"),
               (ledger_xlsx.export_ledger, ledger_xlsx.plan_ledger_import, ledger_xlsx.apply_ledger_import,
                "导入问题台账"),
               (committees.export_committees, committees.plan_committee_import,
                committees.apply_committee_import, "导入六会")]
    for n, (export, plan, apply, reason) in enumerate(imports):
        book = tmp_path / f"book{n}.xlsx"
        export(ledger, book)
        before = ledger_digest(ledger)
        labels = []
        apply(ledger, plan(ledger, book), progress=lambda label, fraction: labels.append(label))
        newest = backup.list_backups(ledger.ledger.path)[0]
        assert newest.reason == reason and "正在备份台账…" in labels
        ledger.ledger.clock.advance(seconds=1)
        copy = open_copy(newest.path, tmp_path / f"c{n}", ledger.ledger.clock)
        try:
            assert ledger_digest(copy) == before  # the state before the import
        finally:
            copy.close()


def test_a_refused_excel_import_takes_no_backup(ledger, tmp_path):
    import openpyxl

    from ledgerdesk.interchange.errors import ImportHasErrorsError
    from ledgerdesk.interchange.roster import TEMPLATE_HEADERS, apply_roster_import, plan_roster_import

    wb = openpyxl.Workbook()
    wb.active.append(list(TEMPLATE_HEADERS))
    wb.active.append(["红旗村", "H9", "无名", "", "户主"])  # no name: a row error
    wb.save(tmp_path / "bad.xlsx")
    plan = plan_roster_import(ledger, tmp_path / "bad.xlsx")
    assert plan.errors
    with pytest.raises(ImportHasErrorsError):
        apply_roster_import(ledger, plan)
    assert backup.list_backups(ledger.ledger.path) == []


def test_a_sync_import_backs_up_first(tmp_path):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sync"))
    import sync_support as S

    from ledgerdesk.sync import exchange

    replicas = S.group_copy(tmp_path / "town", only=2)
    office, laptop = replicas["office"], replicas["笔记本A"]
    try:
        registry.create_village(laptop, name="新建村")
        file = S.export(laptop, tmp_path / "a.ldsync")
        before = ledger_digest(office)
        report = exchange.import_bundle(office, file)
        assert report.backup is not None
        (info,) = backup.list_backups(office.ledger.path)
        assert info.path == report.backup and info.reason == "同步导入"
        copy = open_copy(info.path, tmp_path / "c", office.ledger.clock)
        try:
            assert ledger_digest(copy) == before != ledger_digest(office)
        finally:
            copy.close()
    finally:
        for s in replicas.values():
            s.close()


def _old_ledger(tmp_path: Path, version: int) -> Path:
    """A ledger file at schema ``version`` (the migration runner with only the first ``version`` files)."""
    folder = tmp_path / f"migrations-{version}"
    folder.mkdir()
    for mig in available(migrations_dir()):
        if mig.version <= version:
            shutil.copy(mig.path, folder / mig.path.name)
    path = tmp_path / "old" / "ledger.sqlite3"
    path.parent.mkdir()
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, folder)
    conn.execute("PRAGMA journal_mode = wal")
    conn.execute("INSERT INTO meta (key, value) VALUES ('note', '升级前的数据')")
    conn.close()
    return path


def _schema(path: Path) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY type, name").fetchall()
    finally:
        conn.close()


def test_opening_an_older_ledger_backs_it_up_before_the_upgrade(tmp_path, clock):
    old_version = latest_version() - 1
    path = _old_ledger(tmp_path, old_version)
    old_schema = _schema(path)
    ledger = Ledger.open(path, clock=clock)
    try:
        assert ledger.schema_version == latest_version()
    finally:
        ledger.close()
    (info,) = backup.list_backups(path)
    assert info.reason == f"升级前第{old_version}版" and info.taken_at == clock.now().replace(microsecond=0)
    conn = sqlite3.connect(info.path)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == old_version
        assert conn.execute("SELECT value FROM meta WHERE key = 'note'").fetchone()[0] == "升级前的数据"
    finally:
        conn.close()
    assert _schema(info.path) == old_schema != _schema(path)
    # a ledger already at the newest version is not backed up when opened
    Ledger.open(path, clock=clock).close()
    assert len(backup.list_backups(path)) == 1


def test_no_upgrade_when_its_backup_cannot_be_written(tmp_path, clock):
    old_version = latest_version() - 1
    path = _old_ledger(tmp_path, old_version)
    (path.parent / "备份").write_text("a file where the folder should be")
    with pytest.raises(BackupFailedError):
        Ledger.open(path, clock=clock)
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == old_version
    finally:
        conn.close()


# -- restore --------------------------------------------------------------------------------------------


def test_restore_round_trip_gives_the_backups_digest_and_a_new_site(ledger, clock, tmp_path):
    path = Path(ledger.ledger.path)
    taken = backup.backup_now(ledger, backup.MANUAL)
    digest_then, site_then = ledger_digest(ledger), ledger.ledger.site_id
    clock.advance(seconds=60)
    add_village(ledger, "后来村")
    digest_now = ledger_digest(ledger)
    ledger.close()
    taken_sha = sha(taken)
    steps = []
    saved = backup.restore(taken, path, progress=lambda label, fraction: steps.append((label, fraction)))
    assert saved is not None and backup.backup_info(saved).reason == "恢复前"
    assert steps[-1] == ("恢复完成", 1.0) and [f for _, f in steps] == sorted(f for _, f in steps)
    assert sha(taken) == taken_sha  # the backup itself is untouched
    assert not [p for p in path.parent.iterdir() if p.name != path.name and p.name.startswith(path.name)]
    restored = workspace.open_ledger(path, clock=clock)
    try:
        assert ledger_digest(restored) == digest_then
        assert restored.ledger.site_id != site_then
        assert site_then in json.loads(restored.ledger.get_meta("site_history"))
        add_village(restored, "恢复后新村")  # writes go on under the new site
        row = restored.ledger.db.execute_sql("SELECT site FROM version ORDER BY id DESC LIMIT 1").fetchone()
        assert row[0] == restored.ledger.site_id
    finally:
        restored.close()
    reopened = workspace.open_ledger(path, clock=clock)  # the new site id sticks
    try:
        assert reopened.ledger.site_id == restored.ledger.site_id
    finally:
        reopened.close()
    before_restore = open_copy(saved, tmp_path / "c", clock)
    try:
        assert ledger_digest(before_restore) == digest_now  # nothing is lost: the replaced state was kept
    finally:
        before_restore.close()


@pytest.fixture
def closed_ledger(ledger):
    """(ledger path, a good backup of it): the ledger has changed since and is closed."""
    taken = backup.backup_now(ledger, backup.MANUAL)
    add_village(ledger, "后来村")
    ledger.close()
    yield Path(ledger.ledger.path), taken
    ledger.ledger.db.connect(reuse_if_open=True)  # for the fixture's teardown check


def _refused(path: Path, bad: Path, error, **kwargs) -> str:
    before = folder_state(path)
    with pytest.raises(error) as err:
        backup.restore(bad, path, **kwargs)
    assert folder_state(path) == before  # nothing changed: ledger, backups, no leftovers
    assert "\n" not in err.value.message
    return err.value.message


def test_a_damaged_backup_is_refused_and_nothing_changes(closed_ledger, tmp_path):
    path, taken = closed_ledger
    data = taken.read_bytes()
    page = sqlite3.connect(taken).execute("PRAGMA page_size").fetchone()[0]
    for first in (len(data) // page // 2, 2):  # pages in the middle (integrity_check), or the schema's too
        scribbled = bytearray(data)
        for n in range(first, len(data) // page, 3):  # every third page's b-tree header
            scribbled[n * page: n * page + 64] = b"\xa5" * 64
        bad = tmp_path / f"damaged-{first}.ldbak"
        bad.write_bytes(bytes(scribbled))
        message = _refused(path, bad, BackupDamagedError)
        assert "已损坏" in message and "未做任何改动" in message

    truncated = tmp_path / "truncated.ldbak"
    truncated.write_bytes(taken.read_bytes()[: len(data) // 3])
    _refused(path, truncated, (BackupDamagedError, NotALedgerError))


def test_a_backup_whose_rows_differ_from_their_versions_is_refused(closed_ledger, tmp_path):
    path, taken = closed_ledger
    forged = tmp_path / "forged.ldbak"
    shutil.copyfile(taken, forged)
    conn = sqlite3.connect(forged, isolation_level=None)
    conn.execute('DROP TRIGGER "village_guard_update"')
    conn.execute("UPDATE village SET name = '改过的村' WHERE name = '红旗村'")
    conn.close()
    assert "不一致" in _refused(path, forged, BackupDamagedError)


def test_foreign_files_are_refused_and_nothing_changes(closed_ledger, tmp_path, clock):
    path, _ = closed_ledger
    junk = tmp_path / "junk.ldbak"
    junk.write_bytes(b"not a database at all " * 500)
    assert "未做任何改动" in _refused(path, junk, NotALedgerError)

    other_db = tmp_path / "other.ldbak"
    conn = sqlite3.connect(other_db)
    conn.execute("CREATE TABLE t (x)")
    conn.close()
    _refused(path, other_db, NotALedgerError)

    empty = tmp_path / "empty.ldbak"
    sqlite3.connect(empty).close()
    _refused(path, empty, NotALedgerError)

    elsewhere = workspace.create_ledger(tmp_path / "other-town" / "ledger.sqlite3", township="别的镇", clock=clock)
    theirs = backup.backup_now(elsewhere, backup.MANUAL)
    elsewhere.close()
    assert "别的镇" in _refused(path, theirs, ForeignBackupError)

    missing = tmp_path / "missing.ldbak"
    _refused(path, missing, Exception)


def test_a_backup_from_a_newer_ledgerdesk_is_refused(closed_ledger, tmp_path):
    path, taken = closed_ledger
    newer = tmp_path / "newer.ldbak"
    shutil.copyfile(taken, newer)
    conn = sqlite3.connect(newer)
    conn.execute(f"PRAGMA user_version = {latest_version() + 1}")
    conn.close()
    assert "请升级" in _refused(path, newer, SchemaTooNewError)


def test_an_open_ledger_is_not_replaced(ledger):
    path = Path(ledger.ledger.path)
    taken = backup.backup_now(ledger, backup.MANUAL)
    ledger.ledger.db.execute_sql("SELECT count(*) FROM village").fetchone()  # the connection is open
    before = folder_state(path)
    with pytest.raises(LedgerInUseError):
        backup.restore(taken, path)
    assert folder_state(path) == before


def test_a_cancelled_restore_changes_nothing(closed_ledger):
    path, taken = closed_ledger
    calls = []

    def cancel():
        calls.append(1)
        return len(calls) > 3

    before = folder_state(path)
    with pytest.raises(Cancelled):
        backup.restore(taken, path, cancel=cancel)
    assert folder_state(path) == before


def test_restore_into_a_missing_ledger_file_makes_it(closed_ledger, tmp_path, clock):
    _, taken = closed_ledger
    target = tmp_path / "new-machine" / "ledger.sqlite3"
    assert backup.restore(taken, target) is None
    session = workspace.open_ledger(target, clock=clock)
    try:
        assert {r[0] for r in session.ledger.db.execute_sql("SELECT name FROM village WHERE deleted = 0")} == {
            "红旗村", "巴音嘎查"}
    finally:
        session.close()


def test_only_the_administrator_may_restore(ledger):
    assert backup.may_restore(ledger)
    clerk = Session(ledger.ledger, "clerk", "录入员")
    assert not backup.may_restore(clerk)
    with pytest.raises(PermissionDeniedError):
        backup.require_restore(clerk)


def test_backup_info_reads_any_file(tmp_path):
    named = tmp_path / "台账-20261119-080000-每日.ldbak"
    named.write_bytes(b"x" * 3000)
    info = backup.backup_info(named)
    assert (info.reason, info.taken_at.isoformat(), info.size) == ("每日", "2026-11-19T08:00:00", 3000)
    other = tmp_path / "copy.sqlite3"
    other.write_bytes(b"y")
    assert backup.backup_info(other).reason == "" and backup.reason_label("") == "备份文件"


def test_a_copy_cut_short_is_cleaned_up_later(ledger, clock):
    import os

    folder = Path(ledger.ledger.path).parent / "备份"
    folder.mkdir()
    stale = folder / "ledger-20261119-080000-每日.ldbak.part"
    fresh = folder / "ledger-20261120-092959-导入花名册.ldbak.part"  # perhaps still being written by another process
    for part in (stale, fresh):
        part.write_bytes(b"half a copy")
    os.utime(stale, (0, 0))
    backup.backup_now(ledger, backup.MANUAL)
    assert not stale.exists() and fresh.exists()


def test_an_encrypted_ledgers_backups_are_encrypted_and_restore_with_its_key(tmp_path, clock):
    from ledgerdesk.core.errors import PassphraseRequiredError
    from ledgerdesk.store import encryption

    path = tmp_path / "secret.sqlite3"
    secret = "一二三四五六七八"
    session = workspace.create_ledger(path, township="测试镇", clock=clock, passphrase=secret)
    add_village(session, "红旗村")
    taken = backup.backup_now(session, backup.MANUAL)
    digest_then, key = ledger_digest(session), session.ledger.cipher_key
    add_village(session, "后来村")
    session.close()
    assert encryption.is_encrypted(taken) and b"\xe7\xba\xa2\xe6\x97\x97" not in taken.read_bytes()  # 红旗
    before = folder_state(path)
    with pytest.raises(PassphraseRequiredError):
        backup.restore(taken, path)
    assert folder_state(path) == before
    plain = workspace.create_ledger(tmp_path / "plain" / "ledger.sqlite3", clock=clock)
    plain_backup = backup.backup_now(plain, backup.MANUAL)
    plain.close()
    before = folder_state(path)
    with pytest.raises(PassphraseRequiredError):  # the encrypted ledger could not be backed up first
        backup.restore(plain_backup, path)
    assert folder_state(path) == before
    saved = backup.restore(taken, path, key=key)  # the window passes the open ledger's key
    assert encryption.is_encrypted(saved) and encryption.is_encrypted(path)
    restored = workspace.open_ledger(path, clock=clock, passphrase=secret)
    try:
        assert ledger_digest(restored) == digest_then
    finally:
        restored.close()
    backup.restore(saved, path, passphrase=secret)  # and back, with the passphrase (the command line)
    again = workspace.open_ledger(path, clock=clock, passphrase=secret)
    try:
        assert ledger_digest(again) != digest_then
    finally:
        again.close()
