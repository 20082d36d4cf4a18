"""Devices of a township's sync group: enrol at the office, join on a new ledger, list, revoke — services and CLI."""

import base64
import io
import json
import os
import re
import stat
import sys

import pytest

from ledgerdesk import cli
from ledgerdesk.core.errors import NotFoundError, PermissionDeniedError, ValidationError
from ledgerdesk.services import workspace
from ledgerdesk.services.session import Session
from ledgerdesk.store.database import Ledger
from ledgerdesk.store.verify import replay_mismatches
from ledgerdesk.sync import devices, keystore
from ledgerdesk.sync.errors import (
    DeviceExistsError,
    EnrollmentError,
    NotAuthorityError,
    NotEnrolledError,
    SyncError,
)

CODE_RE = re.compile(r"^\d{4}-\d{4}-\d{4}$")


@pytest.fixture(autouse=True)
def keys_dir(tmp_path, monkeypatch):
    folder = tmp_path / "keys"
    monkeypatch.setenv("LEDGERDESK_KEYS", str(folder))
    monkeypatch.delenv("LEDGERDESK_PAIRING_CODE", raising=False)
    return folder


@pytest.fixture
def office(memory_session):
    return memory_session


@pytest.fixture
def bare(clock):
    """A new, empty ledger (schema only), as `device join` makes one."""
    session = Session(Ledger.memory(clock=clock), "李四")
    yield session
    session.close()


def versions(session) -> int:
    return session.ledger.db.execute_sql("SELECT count(*) FROM version").fetchone()[0]


def meta(session) -> dict:
    return dict(session.ledger.db.execute_sql("SELECT key, value FROM meta").fetchall())


def enrol(office, tmp_path, name="张三笔记本", role="laptop"):
    return devices.add_device(office, name, role=role, out=tmp_path / f"{name}.ldkey")


# -- the office ---------------------------------------------------------------------------------


def test_first_enrolment_creates_the_group_at_the_office(office, tmp_path):
    assert devices.group_status(office) == devices.GroupStatus(False, False, None, None, None, None)
    e = enrol(office, tmp_path)
    assert CODE_RE.match(e.code) and e.role == "laptop" and e.path.exists()
    status = devices.group_status(office)
    assert status.enrolled and status.is_authority and status.role == "office"
    assert status.device_name == devices.OFFICE_NAME and status.township == "测试镇"
    listed = devices.list_devices(office)
    assert [(d.name, d.role, d.is_self) for d in listed] == [("乡镇办公室", "office", True),
                                                            ("张三笔记本", "laptop", False)]
    assert all(d.enrolled_at == office.ledger.clock.now() and d.enrolled_by == "tester" for d in listed)
    assert listed[1].id == e.device_id and len(listed[1].verify_key) == 64
    m = meta(office)
    for key in ("sync_group", "sync_township", "authority_key", "device_id", "device_name", "device_role",
                "device_cert", "device_cert_sig", "keystore_id"):
        assert m[key], key
    # The office's own certificate verifies with the authority key it published.
    cert, sig = base64.b64decode(m["device_cert"]), base64.b64decode(m["device_cert_sig"])
    assert devices.cert_signed_by(bytes.fromhex(m["authority_key"]), cert, sig)
    assert devices.parse_cert(cert, sig).device_id == m["device_id"]


def test_a_second_enrolment_reuses_the_group(office, tmp_path):
    enrol(office, tmp_path, "一号")
    group = devices.group_status(office).group_id
    e = enrol(office, tmp_path, "县里", role="county")
    assert devices.group_status(office).group_id == group and e.code != ""
    assert [d.role for d in devices.list_devices(office)] == ["office", "county", "laptop"]


def test_ldkey_is_encrypted_and_private(office, tmp_path):
    e = enrol(office, tmp_path)
    data = e.path.read_bytes()
    assert data.startswith(devices.LDKEY_MAGIC)
    for plain in ("张三笔记本".encode(), devices.group_status(office).group_id.encode(), b"township_key", b"seed"):
        assert plain not in data
    if os.name == "posix":
        assert stat.S_IMODE(e.path.stat().st_mode) == 0o600


@pytest.mark.parametrize("name,role,field", [("", "laptop", "name"), ("  ", "laptop", "name"),
                                             ("长" * 41, "laptop", "name"), ("甲", "office", "role"),
                                             ("甲", "phone", "role")])
def test_bad_name_or_role_changes_nothing(office, tmp_path, name, role, field):
    before = versions(office), meta(office)
    with pytest.raises(ValidationError) as info:
        devices.add_device(office, name, role=role, out=tmp_path / "x.ldkey")
    assert info.value.field == field
    assert (versions(office), meta(office)) == before and not (tmp_path / "x.ldkey").exists()


def test_duplicate_live_name_is_refused_and_changes_nothing(office, tmp_path):
    enrol(office, tmp_path, "一号")
    before = versions(office), meta(office)
    with pytest.raises(DeviceExistsError):
        devices.add_device(office, " 一号 ", out=tmp_path / "again.ldkey")
    assert (versions(office), meta(office)) == before and not (tmp_path / "again.ldkey").exists()


def test_an_existing_out_file_is_never_overwritten(office, tmp_path):
    target = tmp_path / "taken.ldkey"
    target.write_text("mine")
    with pytest.raises(ValidationError):
        devices.add_device(office, "一号", out=target)
    assert target.read_text() == "mine" and not devices.group_status(office).enrolled


@pytest.mark.parametrize("role", ["书记", "录入员", "只读", None])
def test_only_admins_enrol_and_revoke(office, tmp_path, role):
    enrol(office, tmp_path, "一号")
    before = versions(office)
    office.role = role
    with pytest.raises(PermissionDeniedError):
        devices.add_device(office, "二号", out=tmp_path / "b.ldkey")
    with pytest.raises(PermissionDeniedError):
        devices.revoke(office, "一号")
    assert versions(office) == before


def test_a_device_is_not_the_authority(office, bare, tmp_path):
    e = enrol(office, tmp_path)
    devices.join(bare, e.path, e.code)
    with pytest.raises(NotAuthorityError):
        devices.add_device(bare, "偷偷加的", out=tmp_path / "x.ldkey")
    with pytest.raises(NotAuthorityError):
        devices.revoke(bare, "张三笔记本")


# -- joining ------------------------------------------------------------------------------------


def test_join_a_new_ledger(office, bare, tmp_path, keys_dir):
    e = enrol(office, tmp_path)
    info = devices.join(bare, e.path, e.code.replace("-", " "))
    assert (info.id, info.name, info.role, info.is_self) == (e.device_id, "张三笔记本", "laptop", True)
    status = devices.group_status(bare)
    assert status.enrolled and not status.is_authority and status.group_id == devices.group_status(office).group_id
    assert status.township == "测试镇"
    assert bare.ledger.get_meta("township_id") == office.ledger.get_meta("township_id")
    me = devices.identity(bare)
    assert me.device_id == e.device_id and me.site == bare.ledger.site_id and me.role == "laptop"
    office_row = next(d for d in devices.list_devices(office) if d.id == e.device_id)
    assert me.verify_key.hex() == office_row.verify_key
    # Both sides trust the same authority and township key.
    a, b = devices.trust_anchor(office), devices.trust_anchor(bare)
    assert (a.group_id, a.authority_key, a.township_key) == (b.group_id, b.authority_key, b.township_key)
    # Until the office's device rows arrive, the device lists itself from its certificate.
    assert [(d.name, d.is_self, d.enrolled_at) for d in devices.list_devices(bare)] == [("张三笔记本", True, None)]
    assert keystore.load(bare.ledger.get_meta("keystore_id")).authority_seed is None
    assert versions(bare) == 0  # joining writes no synced row


def test_wrong_code_is_refused_and_changes_nothing(office, bare, tmp_path):
    e = enrol(office, tmp_path)
    wrong = "0000-0000-0000" if e.code != "0000-0000-0000" else "1111-1111-1111"
    before = meta(bare)
    with pytest.raises(EnrollmentError) as info:
        devices.join(bare, e.path, wrong)
    assert "配对码" in info.value.message
    assert meta(bare) == before and not devices.group_status(bare).enrolled


@pytest.mark.parametrize("code", ["", "1234", "1234-5678-901", "1234-5678-90123", "abcd-efgh-ijkl"])
def test_malformed_code_is_refused(office, bare, tmp_path, code):
    e = enrol(office, tmp_path)
    with pytest.raises(EnrollmentError) as info:
        devices.join(bare, e.path, code)
    assert "12 位数字" in info.value.message


def test_full_width_digits_in_the_code_are_accepted(office, bare, tmp_path):
    e = enrol(office, tmp_path)
    full = e.code.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})
    assert devices.join(bare, e.path, full).id == e.device_id


def test_damaged_ldkey_files_are_refused(office, clock, tmp_path):
    e = enrol(office, tmp_path)
    data = e.path.read_bytes()
    head = len(devices.LDKEY_MAGIC)
    variants = {
        "empty": b"", "truncated": data[:-1], "header only": data[:head + 10], "not ldkey": b"PK\x03\x04" + data,
        "flipped body": data[:-5] + bytes([data[-5] ^ 1]) + data[-4:],
        "huge memlimit": data[:head + 6] + (2 ** 32 - 1).to_bytes(4, "big") + data[head + 10:],
        "newer": data[:head] + (9).to_bytes(2, "big") + data[head + 2:],
    }
    for label, content in variants.items():
        bad = tmp_path / f"bad-{len(content)}.ldkey"
        bad.write_bytes(content)
        session = Session(Ledger.memory(clock=clock))
        with pytest.raises(EnrollmentError):
            devices.join(session, bad, e.code)
        assert not devices.group_status(session).enrolled, label
        session.close()
    with pytest.raises(EnrollmentError):
        devices.open_enrollment(tmp_path / "missing.ldkey", e.code)


def test_joining_a_ledger_with_data_is_refused(office, memory_session, tmp_path, clock):
    e = enrol(office, tmp_path)
    other = workspace.create_ledger(tmp_path / "seeded.sqlite3", clock=clock)  # seed rows, like the office's
    before = versions(other), meta(other)
    with pytest.raises(SyncError) as info:
        devices.join(other, e.path, e.code)
    assert info.value.key == "sync-ledger-not-empty" and "空白台账" in info.value.message
    assert (versions(other), meta(other)) == before
    other.close()


def test_joining_twice_is_refused(office, bare, tmp_path):
    e = enrol(office, tmp_path)
    devices.join(bare, e.path, e.code)
    with pytest.raises(SyncError) as info:
        devices.join(bare, e.path, e.code)
    assert info.value.key == "sync-already-enrolled"
    with pytest.raises(SyncError):  # nor can the office join anything
        devices.join(office, e.path, e.code)


def test_not_enrolled_ledgers(bare):
    with pytest.raises(NotEnrolledError):
        devices.identity(bare)
    with pytest.raises(NotEnrolledError):
        devices.trust_anchor(bare)
    assert devices.list_devices(bare) == []
    with pytest.raises(NotAuthorityError):
        devices.revoke(bare, "谁")


# -- revoking -----------------------------------------------------------------------------------


def test_revoke(office, bare, tmp_path, clock):
    e = enrol(office, tmp_path)
    enrol(office, tmp_path, "二号")
    clock.advance(days=3)
    info = devices.revoke(office, "张三笔记本")
    assert info.id == e.device_id and info.revoked_at == clock.now() and info.revoked_by == "tester"
    assert devices.trust_anchor(office).revoked == frozenset({e.device_id})
    # Idempotent: revoking again changes nothing.
    before = versions(office)
    assert devices.revoke(office, "张三笔记本").revoked_at == info.revoked_at and versions(office) == before
    # The name may be given to a new device, which is then the one a later revoke means.
    e2 = devices.add_device(office, "张三笔记本", out=tmp_path / "again.ldkey")
    assert devices.revoke(office, "张三笔记本").id == e2.device_id
    assert devices.trust_anchor(office).revoked == frozenset({e.device_id, e2.device_id})


def test_revoke_unknown_or_self(office, tmp_path):
    enrol(office, tmp_path)
    before = versions(office)
    with pytest.raises(NotFoundError):
        devices.revoke(office, "没有这台")
    with pytest.raises(SyncError) as info:
        devices.revoke(office, devices.OFFICE_NAME)
    assert info.value.key == "sync-revoke-self" and versions(office) == before


# -- the command line ----------------------------------------------------------------------------


def run(capsys, *args):
    code = cli.main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def assert_replayed(path):
    session = workspace.open_ledger(path)
    try:
        assert not replay_mismatches(session.ledger.db)
    finally:
        session.close()


def test_cli_add_join_list_revoke(tmp_path, capsys, monkeypatch):
    office, laptop, ldkey = tmp_path / "office.sqlite3", tmp_path / "sub" / "laptop.sqlite3", tmp_path / "z.ldkey"
    assert run(capsys, "--db", office, "init", "--township", "乌兰镇")[0] == 0
    code, out, err = run(capsys, "--db", office, "device", "add", "张三笔记本", "--out", ldkey)
    assert code == 0, err
    pairing = re.search(r"配对码：(\d{4}-\d{4}-\d{4})", out).group(1)
    assert "device join z.ldkey" in out and "不要和文件一起发送" in out and ldkey.exists()

    monkeypatch.setenv("LEDGERDESK_PAIRING_CODE", pairing)
    code, out, err = run(capsys, "--db", laptop, "device", "join", ldkey)
    assert code == 0, err
    assert "乌兰镇" in out and "（新建）" in out and laptop.exists()
    # A bare ledger: none of the office's seed rows were duplicated.
    s = workspace.open_ledger(laptop)
    assert versions(s) == 0 and devices.group_status(s).device_name == "张三笔记本"
    s.close()

    code, out, err = run(capsys, "--db", office, "device", "list", "--json")
    listed = json.loads(out)
    assert [d["name"] for d in listed["devices"]] == ["乡镇办公室", "张三笔记本"]
    assert listed["devices"][0]["is_self"] and listed["devices"][1]["revoked_at"] is None

    code, out, err = run(capsys, "--db", office, "device", "revoke", "张三笔记本")
    assert code == 0 and "已吊销" in out and "不会撤回" in out
    code, out, err = run(capsys, "--db", office, "device", "list")
    assert code == 0 and "已吊销" in out and "← 本机" in out and "共 2 台设备" in out
    code, out, err = run(capsys, "--db", laptop, "device", "list")
    assert code == 0 and "张三笔记本" in out and "登记信息待同步" in out
    assert_replayed(office)


def test_cli_join_errors(tmp_path, capsys, monkeypatch):
    office, ldkey = tmp_path / "office.sqlite3", tmp_path / "z.ldkey"
    run(capsys, "--db", office, "init")
    out = run(capsys, "--db", office, "device", "add", "一号", "--out", ldkey)[1]
    pairing = re.search(r"配对码：(\d{4}-\d{4}-\d{4})", out).group(1)

    # No code, stdin not a terminal: a usage error, and no ledger is created.
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    new = tmp_path / "new.sqlite3"
    code, out, err = run(capsys, "--db", new, "device", "join", ldkey)
    assert code == 2 and err.strip().endswith("(usage)") and "LEDGERDESK_PAIRING_CODE" in err
    assert not new.exists()

    # A wrong code: one line, nothing created.
    wrong = "9999-9999-9999" if pairing != "9999-9999-9999" else "8888-8888-8888"
    code, out, err = run(capsys, "--db", new, "device", "join", ldkey, "--code", wrong)
    assert code == 1 and len(err.strip().splitlines()) == 1 and err.strip().endswith("(sync-enrollment)")
    assert not new.exists() and not list(tmp_path.glob("new.sqlite3*"))

    # A ledger with data is refused before the code is even asked for.
    code, out, err = run(capsys, "--db", office, "device", "join", ldkey)
    assert code == 1 and err.strip().endswith("(sync-already-enrolled)")
    seeded = tmp_path / "seeded.sqlite3"
    run(capsys, "--db", seeded, "init")
    code, out, err = run(capsys, "--db", seeded, "device", "join", ldkey)
    assert code == 1 and err.strip().endswith("(sync-ledger-not-empty)")

    # The code from the prompt when stdin is a terminal.
    class Tty(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setattr(sys, "stdin", Tty(pairing + "\n"))
    code, out, err = run(capsys, "--db", new, "device", "join", ldkey)
    assert code == 0, err


def test_cli_device_errors_are_one_line(tmp_path, capsys):
    office = tmp_path / "office.sqlite3"
    run(capsys, "--db", office, "init")
    for args, key, status in [(["device"], "usage", 2), (["device", "add", "x"], "usage", 2),
                              (["device", "add", "x", "--role", "office", "--out", tmp_path / "a"], "usage", 2),
                              (["device", "revoke", "没有"], "sync-not-authority", 1),
                              (["device", "join", tmp_path / "none.ldkey", "--code", "1234-5678-9012"],
                               "sync-ledger-not-empty", 1)]:
        code, out, err = run(capsys, "--db", office, *args)
        lines = err.strip().splitlines()
        assert code == status and len(lines) == 1 and lines[0].endswith(f"({key})"), (args, err)
    code, out, err = run(capsys, "--db", office, "device", "list")
    assert code == 0 and "还没有加入同步组" in out
    run(capsys, "--db", office, "device", "add", "一号", "--out", tmp_path / "a.ldkey")
    code, out, err = run(capsys, "--db", office, "device", "revoke", "没有")
    assert code == 1 and err.strip().endswith("(not-found)")
    code, out, err = run(capsys, "--db", office, "device", "add", "一号", "--out", tmp_path / "b.ldkey")
    assert code == 1 and err.strip().endswith("(sync-device-exists)")
