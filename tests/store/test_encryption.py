"""Encryption at rest (quality.md "Trust: lost laptop"): an encrypted ledger is unreadable without its passphrase.

Covers store/encryption.py, Ledger.open/create with a passphrase,
services/encryption.py (convert, change passphrase), encrypted backups and the
command line with LEDGERDESK_PASSPHRASE.
"""

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from ledgerdesk.core.errors import (
    LedgerNotFoundError,
    NotALedgerError,
    PassphraseRequiredError,
    PermissionDeniedError,
    ValidationError,
    WrongPassphraseError,
)
from ledgerdesk.services import backup, encryption, registry, registry_persons, workspace
from ledgerdesk.services.search import search
from ledgerdesk.services.session import Session
from ledgerdesk.store import encryption as crypt
from ledgerdesk.store.database import Ledger, is_encrypted
from ledgerdesk.store.verify import replay_mismatches
from ledgerdesk.sync.digest import ledger_digest

PASS = "乌兰镇 2026 台账"
NAME = "额尔德尼巴雅尔"
ID_NUMBER = "152530196601019999"
PHONE = "13904751234"
ADDRESS = "宝日嘎查幸福路八号院"
ADMIN_PASSWORD = "管理员的登录密码 9"


def add_people(session) -> dict:
    """One village, one household, two persons with text no encrypted page may show."""
    vid = registry.create_village(session, name="宝日嘎查", kind="嘎查")
    hid = registry.create_household(session, village_id=vid, hh_no="1502020001", address=ADDRESS)
    pid = registry_persons.add_person(session, hid, name=NAME, id_number=ID_NUMBER, phone=PHONE, make_head=True).id
    registry_persons.add_person(session, hid, name="乌云其其格", relation="配偶")
    return {"village": vid, "household": hid, "person": pid}


def all_bytes(path: Path) -> bytes:
    """The ledger file and whatever sits beside it (WAL, shared memory) right now."""
    return b"".join(f.read_bytes() for f in sorted(path.parent.glob(path.name + "*")) if f.is_file())


def plaintext_in(data: bytes) -> list[str]:
    return [t for t in (NAME, ID_NUMBER, PHONE, ADDRESS, "宝日嘎查", "CREATE TABLE", "SQLite format 3")
            if t.encode("utf-8") in data]


def assert_versioned(session) -> None:
    assert not replay_mismatches(session.ledger.db)


@pytest.fixture
def encrypted(ledger_path, clock):
    """A new encrypted ledger with two persons, still open."""
    session = workspace.create_ledger(ledger_path, township="测试镇", clock=clock, user="tester", passphrase=PASS)
    ids = add_people(session)
    yield session, ids
    if not session.ledger.db.is_closed():
        assert_versioned(session)
    session.close()


# -- the file itself --------------------------------------------------------------------------


def test_encrypted_file_shows_no_plaintext_while_open_and_after_close(encrypted, ledger_path):
    session, _ = encrypted
    assert session.ledger.encrypted and is_encrypted(ledger_path)
    assert plaintext_in(all_bytes(ledger_path)) == []  # the WAL holds the fresh writes: encrypted too
    session.close()
    data = all_bytes(ledger_path)
    assert len(data) > 100_000 and plaintext_in(data) == []


def test_plain_sqlite_cannot_read_the_encrypted_file(encrypted, ledger_path):
    encrypted[0].close()
    conn = sqlite3.connect(ledger_path)
    with pytest.raises(sqlite3.DatabaseError, match="not a database"):
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    conn.close()


def test_the_file_opens_with_the_passphrase_alone_as_standard_sqlcipher(encrypted, ledger_path):
    """SQLCipher's own KDF from the passphrase, so any SQLCipher 4 tool opens it (the raw key is only a shortcut)."""
    encrypted[0].close()
    dbapi2 = crypt.cipher_module()
    conn = dbapi2.connect(str(ledger_path))
    conn.execute("PRAGMA key = '%s'" % PASS.replace("'", "''"))
    assert conn.execute("SELECT name FROM person WHERE id_number = ?", (ID_NUMBER,)).fetchone() == (NAME,)
    conn.close()


def test_reopening_needs_the_passphrase_and_keeps_everything(encrypted, ledger_path, clock):
    session, ids = encrypted
    site, digest = session.ledger.site_id, ledger_digest(session)
    session.close()
    with pytest.raises(PassphraseRequiredError) as err:
        workspace.open_ledger(ledger_path, clock=clock)
    assert "已加密" in err.value.message and "LEDGERDESK_PASSPHRASE" in err.value.message
    again = workspace.open_ledger(ledger_path, clock=clock, passphrase=PASS)
    try:
        assert again.ledger.encrypted and again.ledger.site_id == site
        assert ledger_digest(again) == digest
        assert again.ledger.db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert again.ledger.db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
        assert_versioned(again)
    finally:
        again.close()


def test_wrong_passphrase_is_refused_in_chinese_and_changes_nothing(encrypted, ledger_path, clock):
    encrypted[0].close()
    before = {f.name: (f.read_bytes(), f.stat().st_mtime_ns) for f in ledger_path.parent.glob(ledger_path.name + "*")}
    for wrong in ("乌兰镇 2026 台帐", PASS + " ", "x" * 40):
        with pytest.raises(WrongPassphraseError) as err:
            Ledger.open(ledger_path, passphrase=wrong, clock=clock)
        assert "数据库密码不正确" in err.value.message and err.value.key == "wrong-passphrase"
    after = {f.name: (f.read_bytes(), f.stat().st_mtime_ns) for f in ledger_path.parent.glob(ledger_path.name + "*")}
    assert after == before


def test_a_plain_ledger_ignores_a_passphrase(file_session, ledger_path, clock):
    file_session.close()
    session = workspace.open_ledger(ledger_path, clock=clock, passphrase=PASS)
    assert not session.ledger.encrypted and not is_encrypted(ledger_path)
    session.close()


def test_a_new_passphrase_must_be_long_enough(tmp_path, clock):
    for weak in ("", "   ", "1234567"):
        with pytest.raises(ValidationError) as err:
            workspace.create_ledger(tmp_path / "w.sqlite3", clock=clock, passphrase=weak)
        assert err.value.field == "passphrase"
    assert not (tmp_path / "w.sqlite3").exists()


# -- recognising files ----------------------------------------------------------------------------


def test_is_encrypted_tells_plain_empty_junk_and_encrypted_apart(encrypted, ledger_path, tmp_path, clock):
    encrypted[0].close()
    plain = tmp_path / "plain.sqlite3"
    workspace.create_ledger(plain, clock=clock).close()
    empty = tmp_path / "empty.sqlite3"
    empty.write_bytes(b"")
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"\x00garbage" * 1000)
    text = tmp_path / "notes.txt"
    text.write_text("台账说明\n" * 2000, encoding="utf-8")
    assert is_encrypted(ledger_path)
    assert not is_encrypted(plain)
    assert not any(is_encrypted(p) for p in (empty, junk, text, tmp_path / "missing.sqlite3"))
    with pytest.raises(NotALedgerError):
        Ledger.open(junk)


@settings(max_examples=60, deadline=None)
@given(st.binary(min_size=0, max_size=5000))
def test_is_encrypted_never_fails_on_any_bytes(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("bytes") / "f.sqlite3"
    path.write_bytes(data)
    result = is_encrypted(path)
    assert isinstance(result, bool)
    if data.startswith(b"SQLite format 3\x00") or len(data) % 512:
        assert result is False


def test_opening_a_plain_ledger_does_not_load_the_cipher(file_session, ledger_path):
    file_session.close()
    code = ("import sys; from ledgerdesk.store.database import Ledger; "
            f"Ledger.open({str(ledger_path)!r}).close(); print('sqlcipher3' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"


# -- working inside -------------------------------------------------------------------------------


def test_search_works_inside_the_encrypted_ledger(encrypted):
    session, ids = encrypted
    by_fragment = search(session, ID_NUMBER[6:14])  # FTS5 trigram: an 8-digit 身份证号 fragment
    assert [(h.id, h.match) for h in by_fragment] == [(ids["person"], "infix")]
    assert ID_NUMBER not in by_fragment[0].detail  # still masked
    assert [h.id for h in search(session, "尔德尼巴")] == [ids["person"]]  # trigram on the name
    assert [h.id for h in search(session, "幸福路")] == [ids["household"]]  # address
    assert ids["person"] in [h.id for h in search(session, "额尔")]  # the short-query path
    conn = session.ledger.db.connection()
    assert conn.execute("INSERT INTO search_fts (search_fts) VALUES ('integrity-check')").fetchall() == []
    rows = conn.execute("SELECT row_number() OVER (ORDER BY name), name FROM person WHERE deleted = 0").fetchall()
    assert [r[0] for r in rows] == [1, 2]


def test_sqlite_errors_are_caught_as_sqlite3_errors_in_an_encrypted_ledger(encrypted):
    """store/ and sync/ catch sqlite3.IntegrityError / sqlite3.Error on raw connections; the binding's match."""
    session, _ = encrypted
    conn = session.ledger.db.connection()
    assert type(conn).__module__.startswith("sqlcipher3")
    with pytest.raises(sqlite3.IntegrityError, match="unversioned"):
        conn.execute("UPDATE township SET name = '篡改'")
    with pytest.raises(sqlite3.Error):
        conn.execute("SELECT * FROM no_such_table")


def test_a_second_thread_opens_its_own_connection_with_the_key(encrypted):
    import threading

    session, _ = encrypted
    out = []

    def read():
        with session.reading():
            out.append(session.ledger.db.execute_sql("SELECT count(*) FROM person").fetchone()[0])
        session.ledger.db.close()  # this thread's connection

    t = threading.Thread(target=read)
    t.start()
    t.join()
    assert out == [2]


# -- backups ----------------------------------------------------------------------------------------


def test_backups_of_an_encrypted_ledger_are_encrypted_with_the_same_passphrase(encrypted, clock):
    session, _ = encrypted
    digest = ledger_digest(session)
    copy = backup.backup_now(session, "test")
    assert copy is not None and is_encrypted(copy)
    assert plaintext_in(all_bytes(copy)) == []
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(copy).execute("SELECT count(*) FROM sqlite_master").fetchone()
    with pytest.raises(WrongPassphraseError):
        Ledger.open(copy, passphrase="另一个密码12345")
    restored = workspace.open_ledger(copy, passphrase=PASS, clock=clock)
    try:
        assert ledger_digest(restored) == digest
    finally:
        restored.close()


def test_backups_of_a_plain_ledger_stay_plain(file_session):
    copy = backup.backup_now(file_session, "test")
    assert copy is not None and not is_encrypted(copy)


# -- converting an existing ledger ----------------------------------------------------------------


def test_converting_keeps_the_digest_site_and_search_and_encrypts_old_backups(ledger_path, clock):
    plain = workspace.create_ledger(ledger_path, township="测试镇", clock=clock, user="tester")
    ids = add_people(plain)
    digest, site = ledger_digest(plain), plain.ledger.site_id
    old_backup = backup.backup_now(plain, "before")
    assert not is_encrypted(old_backup) and plaintext_in(all_bytes(old_backup))
    plain.close()

    result = encryption.encrypt_ledger(ledger_path, PASS, clock=clock)
    assert result.backups_encrypted == 1 and result.backups_left_plain == []
    assert is_encrypted(ledger_path) and plaintext_in(all_bytes(ledger_path)) == []
    assert sorted(p.name for p in ledger_path.parent.iterdir() if p.is_file()) == [ledger_path.name]  # no leftovers
    assert is_encrypted(old_backup) and plaintext_in(all_bytes(old_backup)) == []

    with pytest.raises(PassphraseRequiredError):
        workspace.open_ledger(ledger_path, clock=clock)
    session = workspace.open_ledger(ledger_path, clock=clock, passphrase=PASS)
    try:
        assert ledger_digest(session) == digest
        assert session.ledger.site_id == site
        assert [h.id for h in search(session, ID_NUMBER[4:12])] == [ids["person"]]
        assert_versioned(session)
    finally:
        session.close()
    copy = workspace.open_ledger(old_backup, clock=clock, passphrase=PASS)
    try:
        assert ledger_digest(copy) == digest
    finally:
        copy.close()


def test_converting_the_township_demo_keeps_its_digest(demo_session, demo_path, clock):
    digest = ledger_digest(demo_session)
    count = demo_session.ledger.db.execute_sql("SELECT count(*) FROM person WHERE deleted = 0").fetchone()[0]
    demo_session.close()
    encryption.encrypt_ledger(demo_path, PASS, clock=clock)
    session = workspace.open_ledger(demo_path, clock=clock, passphrase=PASS)
    try:
        assert ledger_digest(session) == digest
        db = session.ledger.db
        assert db.execute_sql("SELECT count(*) FROM person WHERE deleted = 0").fetchone()[0] == count
        assert db.execute_sql("PRAGMA quick_check").fetchone()[0] == "ok"
        name = db.execute_sql("SELECT name FROM person WHERE deleted = 0 AND length(name) = 3 LIMIT 1").fetchone()[0]
        assert name in [h.title for h in search(session, name)]
    finally:
        session.close()


def test_converting_refuses_what_it_cannot_convert_and_changes_nothing(encrypted, ledger_path, tmp_path, clock):
    encrypted[0].close()
    before = ledger_path.read_bytes()
    with pytest.raises(ValidationError) as err:
        encryption.encrypt_ledger(ledger_path, PASS)
    assert err.value.key == "already-encrypted"
    assert ledger_path.read_bytes() == before
    with pytest.raises(LedgerNotFoundError):
        encryption.encrypt_ledger(tmp_path / "none.sqlite3", PASS)
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"\x00garbage" * 1000)
    with pytest.raises(NotALedgerError):
        encryption.encrypt_ledger(junk, PASS)
    plain = tmp_path / "plain.sqlite3"
    workspace.create_ledger(plain, clock=clock).close()
    plain_before = plain.read_bytes()
    with pytest.raises(ValidationError):
        encryption.encrypt_ledger(plain, "short")
    assert plain.read_bytes() == plain_before and sorted(p.name for p in tmp_path.iterdir()).count("plain.sqlite3") == 1
    assert not list(tmp_path.glob("plain.sqlite3.*"))


# -- changing the passphrase --------------------------------------------------------------------


def test_change_passphrase_rekeys_the_ledger_and_its_backups(encrypted, ledger_path, clock):
    session, _ = encrypted
    digest = ledger_digest(session)
    copy = backup.backup_now(session, "test")
    with pytest.raises(WrongPassphraseError):
        encryption.change_passphrase(session, "不是原来的密码", "新的数据库密码 2027")
    with pytest.raises(ValidationError):
        encryption.change_passphrase(session, PASS, "短")
    assert encryption.change_passphrase(session, PASS, "新的数据库密码 2027") == 1
    registry.create_village(session, name="新村")  # keeps working under the new key
    session.close()
    for path in (ledger_path, copy):
        with pytest.raises(WrongPassphraseError):
            Ledger.open(path, passphrase=PASS)
    again = workspace.open_ledger(ledger_path, clock=clock, passphrase="新的数据库密码 2027")
    try:
        assert again.ledger.db.execute_sql("SELECT count(*) FROM village WHERE name = '新村'").fetchone()[0] == 1
        assert_versioned(again)
    finally:
        again.close()
    old = workspace.open_ledger(copy, clock=clock, passphrase="新的数据库密码 2027")
    try:
        assert ledger_digest(old) == digest
    finally:
        old.close()


def test_only_an_admin_may_change_the_passphrase(encrypted):
    session, _ = encrypted
    clerk = Session(session.ledger, "录入员甲", "录入员")
    with pytest.raises(PermissionDeniedError):
        encryption.change_passphrase(clerk, PASS, "新的数据库密码 2027")


def test_change_passphrase_on_a_plain_ledger_is_refused(file_session):
    with pytest.raises(ValidationError) as err:
        encryption.change_passphrase(file_session, PASS, "新的数据库密码 2027")
    assert err.value.key == "not-encrypted"


# -- the command line --------------------------------------------------------------------------------


def cli(*args, passphrase=None, **env):
    environ = {k: v for k, v in os.environ.items() if k not in ("LEDGERDESK_PASSPHRASE", "LEDGERDESK_NEW_PASSPHRASE")}
    environ.update(LEDGERDESK_USER="admin", LEDGERDESK_PASSWORD=ADMIN_PASSWORD)  # the account init makes
    if passphrase is not None:
        environ["LEDGERDESK_PASSPHRASE"] = passphrase
    environ.update(env)
    return subprocess.run([sys.executable, "-m", "ledgerdesk", *map(str, args)], capture_output=True, text=True,
                          env=environ, stdin=subprocess.DEVNULL, timeout=120)


def one_error_line(proc, key):
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode != 0 and len(lines) == 1, proc.stderr
    assert lines[0].startswith("错误：") and lines[0].endswith(f"({key})")
    assert "Traceback" not in proc.stderr + proc.stdout and "ERROR CORE" not in proc.stderr


def test_cli_init_encrypt_then_stats_and_search_with_the_passphrase(tmp_path, clock):
    db = tmp_path / "cli.sqlite3"
    one_error_line(cli("--db", db, "init", "--encrypt"), "usage")  # no passphrase and no terminal
    assert not db.exists()
    proc = cli("--db", db, "init", "--encrypt", "--township", "乌兰镇", passphrase=PASS)
    assert proc.returncode == 0 and "加密" in proc.stdout, proc.stderr
    assert is_encrypted(db)
    session = workspace.open_ledger(db, clock=clock, passphrase=PASS)
    ids = add_people(session)
    session.close()
    assert plaintext_in(all_bytes(db)) == []

    stats = cli("--db", db, "stats", "--json", passphrase=PASS)
    assert stats.returncode == 0, stats.stderr
    data = json.loads(stats.stdout)
    assert data["ledger"]["township"] == "乌兰镇" and data["counts"]["persons"] == 2
    found = cli("--db", db, "search", ID_NUMBER[5:13], "--json", passphrase=PASS)
    assert found.returncode == 0, found.stderr
    assert [h["id"] for h in json.loads(found.stdout)["hits"]] == [ids["person"]]
    check = cli("--db", db, "check", passphrase=PASS)
    assert check.returncode == 0 and "检查通过" in check.stdout

    one_error_line(cli("--db", db, "stats"), "passphrase-required")
    one_error_line(cli("--db", db, "search", "尔德尼", passphrase="错误的数据库密码"), "wrong-passphrase")


def test_cli_encrypt_and_passphrase_commands(tmp_path):
    db = tmp_path / "plain.sqlite3"
    assert cli("--db", db, "init").returncode == 0
    digest = cli("--db", db, "digest").stdout.strip()
    one_error_line(cli("--db", db, "encrypt"), "usage")
    one_error_line(cli("--db", db, "encrypt", passphrase="short"), "invalid-value")
    assert not is_encrypted(db)
    proc = cli("--db", db, "encrypt", passphrase=PASS)
    assert proc.returncode == 0 and "已加密台账" in proc.stdout, proc.stderr
    assert is_encrypted(db)
    assert cli("--db", db, "digest", passphrase=PASS).stdout.strip() == digest
    one_error_line(cli("--db", db, "encrypt", passphrase=PASS), "usage")  # already encrypted

    one_error_line(cli("--db", db, "passphrase", passphrase=PASS), "usage")  # no new passphrase given
    proc = cli("--db", db, "passphrase", passphrase=PASS, LEDGERDESK_NEW_PASSPHRASE="第二个数据库密码")
    assert proc.returncode == 0 and "已更改" in proc.stdout, proc.stderr
    one_error_line(cli("--db", db, "digest", passphrase=PASS), "wrong-passphrase")
    assert cli("--db", db, "digest", passphrase="第二个数据库密码").stdout.strip() == digest
