"""Credentials of the sync group: device certificates and the sealed .ldkey enrolment file.

Pure crypto and encoding, no database: a CERTIFICATE is canonical JSON
``{"group", "device", "name", "role", "verify_key", "issued_hlc"}`` signed by
the township office's authority key; a ``.ldkey`` file is an
:class:`EnrollmentPackage` sealed (SecretBox) with a key derived by argon2id
from a 12-digit pairing code. The service calls that use them are in
:mod:`ledgerdesk.sync.devices`.
"""

from __future__ import annotations

import base64
import json
import secrets
import struct
from dataclasses import dataclass, field
from pathlib import Path

import nacl.exceptions
import nacl.pwhash
import nacl.secret
import nacl.utils
from nacl.signing import SigningKey, VerifyKey

from ledgerdesk.core.text import to_halfwidth
from ledgerdesk.sync.errors import EnrollmentError

ROLE_LABELS = {"office": "乡镇办公室", "laptop": "笔记本", "county": "县级"}
NAME_MAX = 40
# .ldkey enrolment file: magic, u16 version, u32 opslimit, u32 memlimit, 16-byte salt, SecretBox(JSON).
LDKEY_MAGIC = b"LDKEY\r\n\x1a\n"
LDKEY_VERSION = 1
LDKEY_MAX_BYTES = 1 << 20
_LDKEY_HEAD = struct.Struct(">HII")
ARGON_OPSLIMIT = 3
ARGON_MEMLIMIT = 128 * 1024 * 1024  # ~0.25 s on a 2-core laptop
_ARGON_OPS_MAX = 16
_ARGON_MEM_MAX = 1 << 30
CODE_DIGITS = 12



@dataclass(frozen=True)
class Certificate:
    """A device certificate, parsed after its signature was checked."""

    group_id: str
    device_id: str
    name: str
    role: str
    verify_key: bytes
    issued_hlc: int
    raw: bytes
    signature: bytes


@dataclass(frozen=True)
class EnrollmentPackage:
    """The decrypted contents of a .ldkey file (verified: the certificate matches the key)."""

    group_id: str
    township: str
    township_id: str
    authority_key: bytes = field(repr=False)
    township_key: bytes = field(repr=False)
    device_id: str = ""
    name: str = ""
    role: str = ""
    signing_seed: bytes = field(default=b"", repr=False)
    cert: bytes = field(default=b"", repr=False)
    cert_sig: bytes = field(default=b"", repr=False)


# -- canonical JSON and certificates -----------------------------------------------


def canonical_json(value) -> bytes:
    """The one byte form that is signed: sorted keys, compact, UTF-8, no NaN."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def load_canonical(data: bytes) -> dict:
    """A JSON object from ``data``, which must be exactly its canonical form; ValueError otherwise."""
    try:
        value = json.loads(bytes(data).decode("utf-8"))
        same = isinstance(value, dict) and canonical_json(value) == bytes(data)
    except (ValueError, TypeError, RecursionError, MemoryError):
        raise ValueError("not canonical JSON") from None
    if not same:
        raise ValueError("not a canonical JSON object")
    return value


def _is_int(v) -> bool:
    return type(v) is int and v >= 0


def _is_text(v, limit: int = 200) -> bool:
    return isinstance(v, str) and 0 < len(v) <= limit


def make_cert(authority: SigningKey, *, group_id: str, device_id: str, name: str, role: str,
              verify_key: bytes, issued_hlc: int) -> tuple[bytes, bytes]:
    """(certificate bytes, authority signature) for a device."""
    cert = canonical_json({"group": group_id, "device": device_id, "name": name, "role": role,
                           "verify_key": verify_key.hex(), "issued_hlc": issued_hlc})
    return cert, authority.sign(cert).signature


def cert_signed_by(authority_key: bytes, cert: bytes, signature: bytes) -> bool:
    """Whether ``signature`` is the authority's over ``cert`` (any malformed input: False)."""
    try:
        VerifyKey(bytes(authority_key)).verify(bytes(cert), bytes(signature))
        return True
    except (nacl.exceptions.BadSignatureError, nacl.exceptions.CryptoError, ValueError, TypeError):
        return False


def parse_cert(cert: bytes, signature: bytes) -> Certificate:
    """A certificate's fields, checked strictly; ValueError when anything is odd. Check the signature first."""
    d = load_canonical(cert)
    try:
        key = bytes.fromhex(d["verify_key"])
    except (KeyError, TypeError, ValueError):
        key = b""
    if (len(key) != 32 or not _is_text(d.get("group")) or not _is_text(d.get("device"))
            or not _is_text(d.get("name"), NAME_MAX * 2) or d.get("role") not in ROLE_LABELS
            or not _is_int(d.get("issued_hlc"))):
        raise ValueError("malformed certificate")
    return Certificate(d["group"], d["device"], d["name"], d["role"], key, d["issued_hlc"],
                       bytes(cert), bytes(signature))


# -- pairing code and the .ldkey file --------------------------------------------------


def new_pairing_code() -> str:
    digits = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
    return "-".join(digits[i:i + 4] for i in range(0, CODE_DIGITS, 4))


def normalize_code(code: str) -> str:
    """The 12 digits of a pairing code as typed (spaces, dashes, full-width digits allowed)."""
    digits = "".join(ch for ch in to_halfwidth(str(code or "")) if ch not in " -\t\u2010\u2013\u2014")
    if len(digits) != CODE_DIGITS or not digits.isascii() or not digits.isdigit():
        raise EnrollmentError("配对码应为 12 位数字（如 1234-5678-9012），请核对办公室给出的配对码")
    return digits


def _code_key(code: str, salt: bytes, ops: int, mem: int) -> bytes:
    return nacl.pwhash.argon2id.kdf(nacl.secret.SecretBox.KEY_SIZE, normalize_code(code).encode("ascii"),
                                    salt, opslimit=ops, memlimit=mem)


def seal_enrollment(package: EnrollmentPackage, code: str) -> bytes:
    """The .ldkey bytes: the package encrypted with a key derived from ``code``."""
    body = canonical_json({
        "kind": "ledgerdesk-enrollment", "group": package.group_id, "township": package.township,
        "township_id": package.township_id, "authority_key": package.authority_key.hex(),
        "township_key": package.township_key.hex(),
        "device": {"id": package.device_id, "name": package.name, "role": package.role,
                   "seed": package.signing_seed.hex()},
        "cert": base64.b64encode(package.cert).decode("ascii"),
        "cert_sig": base64.b64encode(package.cert_sig).decode("ascii"),
    })
    salt = nacl.utils.random(nacl.pwhash.argon2id.SALTBYTES)
    box = nacl.secret.SecretBox(_code_key(code, salt, ARGON_OPSLIMIT, ARGON_MEMLIMIT))
    return (LDKEY_MAGIC + _LDKEY_HEAD.pack(LDKEY_VERSION, ARGON_OPSLIMIT, ARGON_MEMLIMIT) + salt
            + bytes(box.encrypt(body)))


def _damaged_ldkey(path) -> EnrollmentError:
    return EnrollmentError(f"“{path}”不是有效的设备配对文件（.ldkey），或文件已损坏；请让乡镇办公室重新生成")


def open_enrollment(ldkey: Path, code: str) -> EnrollmentPackage:
    """Decrypt and verify a .ldkey file with its pairing code (EnrollmentError when wrong or damaged)."""
    ldkey = Path(ldkey)
    digits = normalize_code(code)
    try:
        with open(ldkey, "rb") as fh:
            data = fh.read(LDKEY_MAX_BYTES + 1)
    except OSError as exc:
        raise EnrollmentError(f"无法读取设备配对文件“{ldkey}”（{exc.strerror or exc}）") from None
    head_end = len(LDKEY_MAGIC) + _LDKEY_HEAD.size + nacl.pwhash.argon2id.SALTBYTES
    if len(data) > LDKEY_MAX_BYTES or len(data) < head_end + 40 or not data.startswith(LDKEY_MAGIC):
        raise _damaged_ldkey(ldkey)
    version, ops, mem = _LDKEY_HEAD.unpack_from(data, len(LDKEY_MAGIC))
    if version > LDKEY_VERSION:
        raise EnrollmentError("此配对文件由更新版本的 LedgerDesk 生成，请升级后再加入")
    if (version != LDKEY_VERSION or not nacl.pwhash.argon2id.OPSLIMIT_MIN <= ops <= _ARGON_OPS_MAX
            or not nacl.pwhash.argon2id.MEMLIMIT_MIN <= mem <= _ARGON_MEM_MAX):
        raise _damaged_ldkey(ldkey)
    salt = data[head_end - nacl.pwhash.argon2id.SALTBYTES:head_end]
    try:
        body = nacl.secret.SecretBox(_code_key(digits, salt, ops, mem)).decrypt(data[head_end:])
    except (nacl.exceptions.CryptoError, ValueError, TypeError):
        raise EnrollmentError("配对码不对，或配对文件已损坏：请核对乡镇办公室给出的 12 位配对码") from None
    except MemoryError:
        raise EnrollmentError("本机内存不足，无法打开配对文件") from None
    try:
        return _package_from(body)
    except (ValueError, KeyError, TypeError):
        raise _damaged_ldkey(ldkey) from None


def _package_from(body: bytes) -> EnrollmentPackage:
    d = load_canonical(body)
    dev = d["device"]
    if d.get("kind") != "ledgerdesk-enrollment" or not isinstance(dev, dict):
        raise ValueError("not an enrolment")
    pkg = EnrollmentPackage(
        group_id=d["group"], township=d["township"], township_id=d.get("township_id") or "",
        authority_key=bytes.fromhex(d["authority_key"]), township_key=bytes.fromhex(d["township_key"]),
        device_id=dev["id"], name=dev["name"], role=dev["role"], signing_seed=bytes.fromhex(dev["seed"]),
        cert=base64.b64decode(d["cert"], validate=True), cert_sig=base64.b64decode(d["cert_sig"], validate=True))
    if not all(isinstance(v, str) for v in (pkg.group_id, pkg.township, pkg.township_id, pkg.name, pkg.role)):
        raise ValueError("bad field types")
    if len(pkg.authority_key) != 32 or len(pkg.township_key) != 32 or len(pkg.signing_seed) != 32:
        raise ValueError("bad key sizes")
    if not cert_signed_by(pkg.authority_key, pkg.cert, pkg.cert_sig):
        raise ValueError("certificate not signed by the authority")
    cert = parse_cert(pkg.cert, pkg.cert_sig)
    if ((cert.group_id, cert.device_id, cert.name, cert.role) != (pkg.group_id, pkg.device_id, pkg.name, pkg.role)
            or cert.verify_key != bytes(SigningKey(pkg.signing_seed).verify_key)):
        raise ValueError("certificate does not match the key")
    return pkg


@dataclass(frozen=True)
class DeviceIdentity:
    """What an export signs and encrypts with (never persisted as a whole)."""

    group_id: str
    device_id: str
    name: str
    role: str
    site: str
    signing_key: SigningKey = field(repr=False)
    township_key: bytes = field(repr=False)
    authority_key: bytes = field(repr=False)  # the authority's public verify key
    cert: bytes = field(repr=False)
    cert_sig: bytes = field(repr=False)
    township: str = ""

    @property
    def verify_key(self) -> bytes:
        return bytes(self.signing_key.verify_key)


@dataclass(frozen=True)
class TrustAnchor:
    """What a reader checks a sync file against."""

    group_id: str
    authority_key: bytes = field(repr=False)  # Ed25519 verify key of the township office
    township_key: bytes = field(repr=False)  # SecretBox key of the payloads
    revoked: frozenset[str] = frozenset()  # device ids
