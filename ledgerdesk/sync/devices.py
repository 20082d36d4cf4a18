"""The township's sync group: device identities, certificates, enrolment and revocation.

Contract (brief SYNC_API.md, "Keys and devices"):

* The GROUP is one township. Its AUTHORITY is the township office's ledger,
  which holds the authority signing key. The first :func:`add_device` on a
  ledger in no group creates the group there: group id, authority key,
  township key, and the office's own device (role ``office``).
* Every device has an Ed25519 signing key and a CERTIFICATE: canonical JSON
  ``{"group", "device", "name", "role", "verify_key", "issued_hlc"}`` signed by
  the authority. A receiver checks a certificate with the authority verify key
  alone, so it accepts files from devices it has not heard of yet.
* :func:`add_device` writes a ``.ldkey`` enrolment file encrypted with a key
  derived (argon2id) from a fresh 12-digit pairing code; :func:`join` opens it
  on a NEW ledger with that code. Private keys go to the key store
  (:mod:`ledgerdesk.sync.keystore`), public facts to ledger meta
  (sync_group, sync_township, authority_key, device_id, device_name,
  device_role, device_cert, device_cert_sig, keystore_id) and the synced
  ``device`` table (so revocations travel with sync files).

Threat model, briefly: the ``.ldkey`` alone (a lost USB stick) reveals
nothing without the pairing code, which travels by another channel (phone, in
person); guessing it costs an argon2id derivation per try. A lost laptop gives
its holder that device's signing key and the township key (it can read sync
files and sign new ones as itself) until the office revokes it; revocation
reaches a replica with the ``device`` rows of a sync file, and only then are
that device's files refused there. Revocation does not re-key the township and
does not remove versions already merged, nor versions of the revoked device
that another, trusted device relays in its own signed file.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import nacl.exceptions
import nacl.pwhash
import nacl.secret
import nacl.utils
from nacl.signing import SigningKey, VerifyKey

from ledgerdesk.core.errors import NotFoundError, ValidationError
from ledgerdesk.core.ids import uuid7
from ledgerdesk.core.text import clean
from ledgerdesk.services.permissions import ADMIN, require
from ledgerdesk.store.models import Device, Township
from ledgerdesk.sync import keystore
from ledgerdesk.sync.credentials import (  # noqa: F401  (re-exported: the contract of SYNC_API.md)
    LDKEY_MAGIC,
    NAME_MAX,
    ROLE_LABELS,
    TrustAnchor,
    Certificate,
    DeviceIdentity,
    EnrollmentPackage,
    canonical_json,
    cert_signed_by,
    load_canonical,
    make_cert,
    new_pairing_code,
    normalize_code,
    open_enrollment,
    parse_cert,
    seal_enrollment,
)
from ledgerdesk.sync.errors import (
    DeviceExistsError,
    KeyStoreError,
    NotAuthorityError,
    NotEnrolledError,
    SyncError,
)

OFFICE_NAME = "乡镇办公室"
ENROLLABLE_ROLES = ("laptop", "county")
DEVICE_ADMINS = frozenset({ADMIN})  # only 管理员 enrols and revokes devices

# Ledger meta keys (public facts; the private keys are in the key store).
META_GROUP = "sync_group"
META_TOWNSHIP = "sync_township"
META_AUTHORITY_KEY = "authority_key"
META_DEVICE_ID = "device_id"
META_DEVICE_NAME = "device_name"
META_DEVICE_ROLE = "device_role"
META_CERT = "device_cert"
META_CERT_SIG = "device_cert_sig"

# -- plain data ------------------------------------------------------------------


@dataclass(frozen=True)
class GroupStatus:
    enrolled: bool
    is_authority: bool
    group_id: str | None
    device_id: str | None
    device_name: str | None
    role: str | None
    township: str | None = None


@dataclass(frozen=True)
class Enrollment:
    """A device just enrolled at the office: its .ldkey file and the pairing code to tell its user."""

    device_id: str
    name: str
    role: str
    path: Path
    code: str  # "1234-5678-9012"; shown once, never stored


@dataclass(frozen=True)
class DeviceInfo:
    id: str
    name: str
    role: str
    verify_key: str  # hex
    enrolled_at: dt.datetime | None
    revoked_at: dt.datetime | None
    is_self: bool
    enrolled_by: str = ""
    revoked_by: str = ""

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)

    @property
    def fingerprint(self) -> str:
        """The first 16 hex digits of the public key, grouped for reading aloud."""
        k = self.verify_key[:16].upper()
        return " ".join(k[i:i + 4] for i in range(0, len(k), 4))


# -- reading the ledger's sync state ------------------------------------------------------


def _meta(session, key: str) -> str | None:
    return session.ledger.get_meta(key)


def group_status(session) -> GroupStatus:
    """Whether and how this ledger belongs to a township's sync group (meta only; never raises)."""
    with session.reading():
        group = _meta(session, META_GROUP)
        role = _meta(session, META_DEVICE_ROLE)
        return GroupStatus(enrolled=group is not None, is_authority=group is not None and role == "office",
                           group_id=group, device_id=_meta(session, META_DEVICE_ID),
                           device_name=_meta(session, META_DEVICE_NAME), role=role,
                           township=_meta(session, META_TOWNSHIP))


def _not_enrolled() -> NotEnrolledError:
    return NotEnrolledError("本台账还没有加入乡镇的同步组：请在乡镇办公室登记本设备（device add），"
                            "再在本机用配对文件加入（device join）")


def _keys(session, group: str, device_id: str) -> keystore.DeviceKeys:
    kid = keystore.keystore_id_of(session.ledger)
    keys = keystore.load(kid) if kid else None
    if keys is None:
        raise NotEnrolledError(f"本机没有此台账的设备密钥（密钥目录 {keystore.keys_dir()}）：台账文件可能是从别的电脑"
                               "复制来的。请在乡镇办公室重新登记一台设备，用新的空白台账加入")
    if (keys.group_id, keys.device_id) != (group, device_id):
        raise KeyStoreError(f"本机密钥文件（{keystore.key_path(kid)}）与此台账的同步组或设备不符，"
                            "请从备份恢复密钥目录或重新登记本设备")
    return keys


def identity(session) -> DeviceIdentity:
    """This ledger's device identity with its private keys (NotEnrolledError / KeyStoreError)."""
    with session.reading():
        meta = {k: _meta(session, k) for k in (META_GROUP, META_TOWNSHIP, META_AUTHORITY_KEY, META_DEVICE_ID,
                                                META_DEVICE_NAME, META_DEVICE_ROLE, META_CERT, META_CERT_SIG)}
        if meta[META_GROUP] is None or meta[META_DEVICE_ID] is None:
            raise _not_enrolled()
        keys = _keys(session, meta[META_GROUP], meta[META_DEVICE_ID])
    try:
        cert = base64.b64decode(meta[META_CERT] or "", validate=True)
        cert_sig = base64.b64decode(meta[META_CERT_SIG] or "", validate=True)
        authority_key = bytes.fromhex(meta[META_AUTHORITY_KEY] or "")
        signing_key = SigningKey(keys.signing_seed)
        parsed = parse_cert(cert, cert_sig)
    except (ValueError, TypeError, nacl.exceptions.CryptoError):
        raise KeyStoreError("台账中记录的设备证书已损坏，请重新登记本设备") from None
    if parsed.verify_key != bytes(signing_key.verify_key) or not cert_signed_by(authority_key, cert, cert_sig):
        raise KeyStoreError("本机密钥与台账中记录的设备证书不符，请从备份恢复密钥目录或重新登记本设备")
    return DeviceIdentity(group_id=meta[META_GROUP], device_id=meta[META_DEVICE_ID], name=parsed.name,
                          role=parsed.role, site=session.ledger.site_id, signing_key=signing_key,
                          township_key=keys.township_key, authority_key=authority_key, cert=cert,
                          cert_sig=cert_sig, township=meta[META_TOWNSHIP] or "")


def revocation_statement(group_id: str, device_id: str) -> bytes:
    """What the authority signs to revoke ``device_id``."""
    return canonical_json({"group": group_id, "revoke": device_id})


def revoked_ids(session) -> frozenset[str]:
    """Ids of the devices whose revocation, signed by the township office, this ledger has ever held.

    Read from the version log, not the ``device`` rows: only a revocation the
    authority signed counts (an enrolled laptop can write ``device`` rows, but
    cannot revoke the office), and a later version cannot take one back.
    """
    db = session.ledger.db
    with session.reading():
        group, key = _meta(session, META_GROUP), _meta(session, META_AUTHORITY_KEY)
        found = db.execute_sql("SELECT entity_id, fields FROM version WHERE tbl = 'device' "
                               "AND fields LIKE '%\"revocation\"%'").fetchall()
    if not group or not key:
        return frozenset()
    try:
        authority = VerifyKey(bytes.fromhex(key))
    except (ValueError, TypeError, nacl.exceptions.CryptoError):
        return frozenset()
    revoked = set()
    for device_id, fields in found:
        try:
            signature = base64.b64decode(json.loads(fields).get("revocation") or "", validate=True)
            authority.verify(revocation_statement(group, device_id), signature)
        except (ValueError, TypeError, AttributeError, nacl.exceptions.BadSignatureError, nacl.exceptions.CryptoError):
            continue
        revoked.add(device_id)
    return frozenset(revoked)


def trust_anchor(session) -> TrustAnchor:
    """What files are checked against: the group, the authority key, the township key, the revoked devices."""
    with session.reading():
        group, device_id = _meta(session, META_GROUP), _meta(session, META_DEVICE_ID)
        if group is None or device_id is None:
            raise _not_enrolled()
        keys = _keys(session, group, device_id)
        try:
            authority_key = bytes.fromhex(_meta(session, META_AUTHORITY_KEY) or "")
        except ValueError:
            authority_key = b""
        if len(authority_key) != 32:
            raise KeyStoreError("台账中记录的乡镇办公室公钥已损坏，请重新登记本设备")
        return TrustAnchor(group, authority_key, keys.township_key, revoked_ids(session))


def _info(row, self_id: str | None) -> DeviceInfo:
    return DeviceInfo(id=row.id, name=row.name, role=row.role, verify_key=row.verify_key,
                      enrolled_at=row.enrolled_at, revoked_at=row.revoked_at, is_self=row.id == self_id,
                      enrolled_by=row.enrolled_by or "", revoked_by=row.revoked_by or "")


_ROLE_ORDER = {"office": 0, "county": 1, "laptop": 2}


def list_devices(session) -> list[DeviceInfo]:
    """The group's devices known to this ledger (office first, then by enrolment); revoked ones included.

    On a ledger that has just joined, the device rows arrive with the first
    sync file from the office; until then this device itself is listed from
    its certificate.
    """
    with session.reading():
        self_id = _meta(session, META_DEVICE_ID)
        infos = [_info(r, self_id) for r in Device.select().where(Device.deleted == 0)]
        if self_id and not any(i.is_self for i in infos):
            try:
                cert = parse_cert(base64.b64decode(_meta(session, META_CERT) or ""), b"")
                infos.append(DeviceInfo(self_id, cert.name, cert.role, cert.verify_key.hex(), None, None, True))
            except ValueError:
                pass
    return sorted(infos, key=lambda i: (_ROLE_ORDER.get(i.role, 9), i.enrolled_at or dt.datetime.min, i.name))


# -- the office: creating the group, enrolling and revoking ------------------------------


def _authority_keys(session, w) -> keystore.DeviceKeys:
    """The authority's keys, creating the group when this ledger is in none."""
    group = _meta(session, META_GROUP)
    if group is not None:
        if _meta(session, META_DEVICE_ROLE) != "office":
            raise NotAuthorityError("只有乡镇办公室的台账能登记或吊销设备；本台账是同步组中的一台设备")
        keys = _keys(session, group, _meta(session, META_DEVICE_ID))
        if keys.authority_seed is None:
            raise NotAuthorityError("本机密钥中没有乡镇办公室的签发密钥，不能登记或吊销设备")
        return keys
    ledger = session.ledger
    group = uuid7(ledger.clock.now_ms())
    authority = SigningKey.generate()
    device_key = SigningKey.generate()
    device_id = uuid7(ledger.clock.now_ms())
    township_id = ledger.get_meta("township_id")
    row = Township.get_or_none(Township.id == township_id) if township_id else None
    township = row.name if row else ""
    cert, sig = make_cert(authority, group_id=group, device_id=device_id, name=OFFICE_NAME, role="office",
                          verify_key=bytes(device_key.verify_key), issued_hlc=w.hlc.tick())
    w.insert(Device, {"name": OFFICE_NAME, "role": "office", "verify_key": bytes(device_key.verify_key).hex(),
                      "enrolled_at": ledger.clock.now(), "enrolled_by": session.user}, id=device_id)
    keys = keystore.DeviceKeys(group, device_id, bytes(device_key), nacl.utils.random(32), bytes(authority))
    _store_identity(session, keys, township=township, authority_key=bytes(authority.verify_key),
                    name=OFFICE_NAME, role="office", cert=cert, cert_sig=sig)
    return keys


def _store_identity(session, keys: keystore.DeviceKeys, *, township: str, authority_key: bytes, name: str,
                    role: str, cert: bytes, cert_sig: bytes) -> None:
    """Write the key store, then the public facts to meta (inside the caller's write transaction)."""
    ledger = session.ledger
    kid = keystore.keystore_id_of(ledger, create=True)
    keystore.save(kid, keys, ledger_path=ledger.path)
    for key, value in ((META_GROUP, keys.group_id), (META_TOWNSHIP, township),
                       (META_AUTHORITY_KEY, authority_key.hex()), (META_DEVICE_ID, keys.device_id),
                       (META_DEVICE_NAME, name), (META_DEVICE_ROLE, role),
                       (META_CERT, base64.b64encode(cert).decode("ascii")),
                       (META_CERT_SIG, base64.b64encode(cert_sig).decode("ascii"))):
        ledger.set_meta(key, value)


def _live_named(name: str):
    return list(Device.select().where(Device.deleted == 0, Device.name == name))


def _clean_name(name: str) -> str:
    name = clean(name)
    if not name:
        raise ValidationError("请填写设备名称（如“张三的笔记本”）", field="name")
    if len(name) > NAME_MAX:
        raise ValidationError(f"设备名称太长（最多 {NAME_MAX} 个字）", field="name")
    return name


def add_device(session, name: str, *, role: str = "laptop", out: Path) -> Enrollment:
    """Enrol a new device at the office; writes its encrypted .ldkey to ``out`` and returns the pairing code."""
    require(session, DEVICE_ADMINS, "登记同步设备")
    name = _clean_name(name)
    if role not in ENROLLABLE_ROLES:
        raise ValidationError(f"设备类型只能是：{'、'.join(f'{r}（{ROLE_LABELS[r]}）' for r in ENROLLABLE_ROLES)}",
                              field="role")
    out = Path(out)
    if out.exists():
        raise ValidationError(f"文件“{out}”已存在，不会覆盖；请换一个文件名", field="out")
    if not out.parent.is_dir():
        raise ValidationError(f"文件夹“{out.parent}”不存在", field="out")
    ledger = session.ledger
    with session.writing() as w:
        keys = _authority_keys(session, w)
        if any(r.revoked_at is None for r in _live_named(name)):
            raise DeviceExistsError(f"已有名为“{name}”的设备，请换一个名称（如加上使用人姓名）")
        authority = SigningKey(keys.authority_seed)
        device_key = SigningKey.generate()
        device_id = uuid7(ledger.clock.now_ms())
        cert, sig = make_cert(authority, group_id=keys.group_id, device_id=device_id, name=name, role=role,
                              verify_key=bytes(device_key.verify_key), issued_hlc=w.hlc.tick())
        w.insert(Device, {"name": name, "role": role, "verify_key": bytes(device_key.verify_key).hex(),
                          "enrolled_at": ledger.clock.now(), "enrolled_by": session.user}, id=device_id)
        code = new_pairing_code()
        package = EnrollmentPackage(
            group_id=keys.group_id, township=_meta(session, META_TOWNSHIP) or "",
            township_id=_meta(session, "township_id") or "", authority_key=bytes(authority.verify_key),
            township_key=keys.township_key, device_id=device_id, name=name, role=role,
            signing_seed=bytes(device_key), cert=cert, cert_sig=sig)
        try:
            keystore.write_atomically(out, seal_enrollment(package, code), mode=0o600)
        except OSError as exc:
            raise SyncError(f"无法写入配对文件“{out}”（{exc.strerror or exc}）", key="sync-write-failed") from None
    return Enrollment(device_id, name, role, out, code)


def revoke(session, name: str) -> DeviceInfo:
    """Revoke a device by name (authority only): its files are refused wherever the revocation has arrived."""
    require(session, DEVICE_ADMINS, "吊销同步设备")
    name = clean(name)
    with session.writing() as w:
        if _meta(session, META_GROUP) is None:
            raise NotAuthorityError("本台账还没有同步组，没有可吊销的设备")
        keys = _authority_keys(session, w)
        rows = _live_named(name)
        if not rows:
            raise NotFoundError(f"没有名为“{name}”的设备（用 device list 查看）")
        live = [r for r in rows if r.revoked_at is None]
        row = live[0] if live else max(rows, key=lambda r: r.revoked_at)
        self_id = _meta(session, META_DEVICE_ID)
        if row.id == self_id:
            raise SyncError("不能吊销乡镇办公室自己的设备", key="sync-revoke-self")
        if row.revoked_at is None:
            signature = SigningKey(keys.authority_seed).sign(
                revocation_statement(_meta(session, META_GROUP), row.id)).signature
            w.update(Device, row.id, {"revoked_at": session.ledger.clock.now(), "revoked_by": session.user,
                                      "revocation": base64.b64encode(signature).decode("ascii")})
            row = Device.get_by_id(row.id)
        return _info(row, self_id)


# -- a new device joins ---------------------------------------------------------------------


def check_joinable(session, device_id: str | None = None) -> None:
    """Refuse (SyncError) a ledger that is already enrolled or holds data: only a NEW ledger may join."""
    ledger = session.ledger
    group = ledger.get_meta(META_GROUP)
    if group is not None:
        raise SyncError(f"本台账已加入同步组（设备“{ledger.get_meta(META_DEVICE_NAME)}”），不能再次加入",
                        key="sync-already-enrolled")
    others = ledger.db.execute_sql(
        "SELECT count(*) FROM version WHERE NOT (tbl = 'device' AND entity_id = ?)", (device_id or "",)).fetchone()[0]
    if others:
        raise SyncError("只有新建的空白台账才能加入同步组：本台账已有数据。请用一个新的台账文件加入"
                        "（device join 的 --db 指向一个还不存在的文件即可），数据会在第一次同步时从乡镇办公室传来",
                        key="sync-ledger-not-empty")


def join(session, ldkey: Path, code: str) -> DeviceInfo:
    """Join the township's sync group on a NEW ledger with the office's .ldkey file and its pairing code."""
    require(session, DEVICE_ADMINS, "加入同步组")
    with session.reading():
        check_joinable(session)
    return join_package(session, open_enrollment(ldkey, code))


def join_package(session, package: EnrollmentPackage) -> DeviceInfo:
    """:func:`join` with a .ldkey already opened by :func:`open_enrollment` (the CLI checks the code first)."""
    require(session, DEVICE_ADMINS, "加入同步组")
    with session.writing():
        check_joinable(session, package.device_id)
        keys = keystore.DeviceKeys(package.group_id, package.device_id, package.signing_seed,
                                   package.township_key, None)
        _store_identity(session, keys, township=package.township, authority_key=package.authority_key,
                        name=package.name, role=package.role, cert=package.cert, cert_sig=package.cert_sig)
        if package.township_id and session.ledger.get_meta("township_id") is None:
            session.ledger.set_meta("township_id", package.township_id)  # the row arrives with the first sync
    verify_key = bytes(SigningKey(package.signing_seed).verify_key).hex()
    return DeviceInfo(package.device_id, package.name, package.role, verify_key, None, None, True)


def join_new_ledger(path: Path, ldkey: Path, code: str, *, clock=None, user: str = "system"):
    """A NEW bare ledger at ``path`` joined with ``ldkey`` and ``code``; returns its open Session.

    The code is checked first (the argon2id work), so a wrong code creates nothing. The ledger is bare
    (schema only, no reference rows): the office's data arrives with its first full sync file. If joining
    fails after the file was made, it is deleted again with its -wal/-shm. LedgerExistsError if ``path`` exists.
    """
    from ledgerdesk.core.errors import LedgerExistsError
    from ledgerdesk.services.session import Session
    from ledgerdesk.store.database import Ledger

    path = Path(path)
    if path.exists():
        raise LedgerExistsError(f"文件“{path}”已存在，不会覆盖；加入乡镇需要一个新的台账文件")
    package = open_enrollment(ldkey, code)
    session = Session(Ledger.create(path, clock=clock), user)
    try:
        join_package(session, package)
    except BaseException:
        session.close()
        for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            leftover.unlink(missing_ok=True)
        raise
    return session
