"""The sync file (.ldsync): a signed manifest and an encrypted payload, read defensively.

Contract (brief SYNC_API.md, "Bundle file"). Binary layout, big-endian:

    magic            b"LDSYNC\\r\\n\\x1a\\n"
    u16 format_version, u16 min_reader_version
    u32 n + group id (UTF-8)                   to choose the trust anchor / say "another township"
    u32 n + certificate (canonical JSON) + 64-byte authority signature
    u32 n + manifest (canonical JSON)    + 64-byte signature by the certificate's device key
    u64 n + payload = SecretBox(township key, zlib(raw payload))   (24-byte nonce + ciphertext)

and nothing after. The manifest names the format versions, file id, group,
sender (device id, name, role, site, key), created HLC, the payload's SHA-256
and sizes, and the caller's own manifest dict under ``extra``.

Reading takes the file into memory once and checks, in this order: size cap,
magic, header versions (a newer format is refused with 请升级 before anything
else is read), the frame's lengths (caps: cert ≤ 64 KiB, manifest ≤ 16 MiB;
nothing may be left over), the group, the certificate's signature by the
township office, revocation, the manifest's signature by that device, the
manifest's fields (strictly), header = signed manifest, the payload digest;
only then is the payload decrypted and decompressed (capped at the signed raw
size). Whatever goes wrong raises one :mod:`ledgerdesk.sync.errors` class with
a Chinese message; no other exception type leaves this module's readers.

Threat model, briefly: without the township key the payload is unreadable
(the manifest is signed, not encrypted: it holds device names and counts,
never personal data — callers must keep ``extra`` that way). A file cannot be
altered without breaking a signature or the digest, nor forged without a
device key the office certified; a revoked device's files are refused where
the revocation has arrived. A stolen, unrevoked device key can still sign.
"""

from __future__ import annotations

import hashlib
import os
import struct
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import nacl.exceptions
import nacl.secret
from nacl.signing import VerifyKey

from ledgerdesk.core.hlc import pack
from ledgerdesk.core.ids import uuid7
from ledgerdesk.sync import keystore
from ledgerdesk.sync.credentials import (
    DeviceIdentity,
    TrustAnchor,
    canonical_json,
    cert_signed_by,
    load_canonical,
    parse_cert,
)
from ledgerdesk.sync.errors import (
    BundleDamagedError,
    BundleForgedError,
    ForeignGroupError,
    FormatTooNewError,
    RevokedDeviceError,
    SyncError,
)

FORMAT_VERSION = 1
READER_VERSION = 1
MIN_READER_VERSION = 1  # what files written by this version require of a reader

MAGIC = b"LDSYNC\r\n\x1a\n"
SIG_SIZE = 64
MAX_GROUP_ID = 256
MAX_CERT = 64 * 1024
MAX_MANIFEST = 16 * 1024 * 1024
MAX_BUNDLE_BYTES = 1 << 30  # default cap on a whole file read into memory
MAX_RAW_BYTES = 1 << 31  # cap on a decompressed payload, whatever the signed raw size says
COMPRESSION = "zlib"

_HEADER = struct.Struct(">HH")
_U16 = struct.Struct(">H")
_U32 = struct.Struct(">I")
_U64 = struct.Struct(">Q")

TOO_NEW_MESSAGE = "此文件由更新版本的 LedgerDesk 导出，请升级后再导入"


@dataclass(frozen=True)
class Manifest:
    format_version: int
    min_reader_version: int
    file_id: str
    group_id: str
    sender_id: str
    sender_name: str
    sender_role: str
    sender_site: str
    created_hlc: int
    payload_sha256: str  # of the encrypted payload bytes
    raw_size: int  # of the caller's payload before compression
    extra: dict  # the caller's manifest dict
    sender_key: str = ""  # hex Ed25519 verify key of the sender (from its certificate)
    payload_size: int = 0  # encrypted payload bytes in the file
    compression: str = COMPRESSION


@dataclass(frozen=True)
class VerifiedBundle:
    manifest: Manifest
    payload: bytes
    file_digest: str  # sha256 hex of the whole file


# -- writing ------------------------------------------------------------------------------


def write_bundle(path: Path, *, identity: DeviceIdentity, manifest: dict, payload: bytes | Iterable[bytes],
                 created_hlc: int | None = None, level: int = 6) -> Manifest:
    """Compress, encrypt, sign and write a sync file atomically; returns its manifest.

    ``payload``: the bytes, or pieces of them (compressed as they come, so a
    large file never exists uncompressed in memory). ``manifest`` is the
    caller's JSON object (string keys; no NaN); it is signed but NOT encrypted.
    ``created_hlc`` defaults to the wall clock. A file system failure raises
    SyncError (key ``sync-write-failed``).
    """
    if not isinstance(manifest, dict):
        raise TypeError("manifest must be a dict")
    pieces = [bytes(payload)] if isinstance(payload, (bytes, bytearray, memoryview)) else payload
    compressor = zlib.compressobj(level)
    compressed, raw_size = [], 0
    for piece in pieces:
        raw_size += len(piece)
        compressed.append(compressor.compress(piece))
    compressed.append(compressor.flush())
    sealed = bytes(nacl.secret.SecretBox(identity.township_key).encrypt(b"".join(compressed)))
    del compressed
    body = {
        "format_version": FORMAT_VERSION,
        "min_reader_version": MIN_READER_VERSION,
        "file_id": uuid7(),
        "group": identity.group_id,
        "sender": {"id": identity.device_id, "name": identity.name, "role": identity.role,
                   "site": identity.site, "key": identity.verify_key.hex()},
        "created_hlc": int(created_hlc if created_hlc is not None else pack(time.time_ns() // 1_000_000, 0)),
        "payload_sha256": hashlib.sha256(sealed).hexdigest(),
        "payload_size": len(sealed),
        "raw_size": raw_size,
        "compression": COMPRESSION,
        "extra": manifest,
    }
    manifest_bytes = canonical_json(body)
    if len(manifest_bytes) > MAX_MANIFEST:
        raise ValueError(f"manifest too large: {len(manifest_bytes)} bytes")
    group = identity.group_id.encode("utf-8")
    parts = [
        MAGIC, _HEADER.pack(FORMAT_VERSION, MIN_READER_VERSION),
        _U32.pack(len(group)), group,
        _U32.pack(len(identity.cert)), identity.cert, identity.cert_sig,
        _U32.pack(len(manifest_bytes)), manifest_bytes, identity.signing_key.sign(manifest_bytes).signature,
        _U64.pack(len(sealed)), sealed,
    ]
    path = Path(path)
    try:
        keystore.write_atomically(path, b"".join(parts), mode=0o644)
    except OSError as exc:
        raise SyncError(f"无法写入同步文件“{path}”（{exc.strerror or exc}）", key="sync-write-failed") from None
    return _manifest_from(load_canonical(manifest_bytes))


# -- reading ------------------------------------------------------------------------------


def read_bundle(path: Path, *, trust: TrustAnchor, max_bytes: int = MAX_BUNDLE_BYTES) -> VerifiedBundle:
    """Read, verify, decrypt and decompress a sync file (one SyncError subclass on any problem)."""
    data = _read_file(path, max_bytes)
    return _guarded(lambda: _open(data, trust, decrypt=True))


def read_manifest(path: Path, *, trust: TrustAnchor, max_bytes: int = MAX_BUNDLE_BYTES) -> tuple[Manifest, str]:
    """The verified manifest and the file's sha256 (payload digest checked, payload not decrypted)."""
    data = _read_file(path, max_bytes)
    bundle = _guarded(lambda: _open(data, trust, decrypt=False))
    return bundle.manifest, bundle.file_digest


def parse_bundle(data: bytes, *, trust: TrustAnchor) -> VerifiedBundle:
    """:func:`read_bundle` on bytes already in memory."""
    return _guarded(lambda: _open(bytes(data), trust, decrypt=True))


def _guarded(fn):
    """Run a reader; anything but a SyncError becomes BundleDamagedError (the last safety net)."""
    try:
        return fn()
    except SyncError:
        raise
    except MemoryError:
        raise BundleDamagedError("同步文件过大，本机内存不足，无法读取") from None
    except Exception as exc:  # noqa: BLE001 - the contract: nothing else escapes a reader
        raise BundleDamagedError(f"同步文件已损坏，无法读取（{type(exc).__name__}）") from None


def _read_file(path: Path, max_bytes: int) -> bytes:
    path = Path(path)
    try:
        if path.exists() and not path.is_file():  # a folder, a device or a pipe: never read (it could block)
            raise BundleDamagedError(f"“{path}”不是一个同步文件")
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size > max_bytes:
                raise _too_big(path, size, max_bytes)
            data = fh.read(max_bytes + 1)
    except SyncError:
        raise
    except FileNotFoundError:
        raise BundleDamagedError(f"找不到同步文件“{path}”") from None
    except MemoryError:
        raise BundleDamagedError("同步文件过大，本机内存不足，无法读取") from None
    except OSError as exc:
        raise BundleDamagedError(f"无法读取同步文件“{path}”（{exc.strerror or exc}）") from None
    if len(data) > max_bytes:
        raise _too_big(path, len(data), max_bytes)
    return data


def _too_big(path, size: int, cap: int) -> BundleDamagedError:
    return BundleDamagedError(f"“{path}”有 {size / 1e6:.0f} MB，超过同步文件的上限 {cap / 1e6:.0f} MB，"
                              "不是正常的同步文件")


class _Frame:
    """A cursor over the file's bytes that refuses any length beyond what is left."""

    def __init__(self, data: bytes):
        self.data = data
        self.view = memoryview(data)
        self.pos = 0

    def left(self) -> int:
        return len(self.data) - self.pos

    def take(self, n: int, what: str) -> memoryview:
        if n > self.left():
            raise BundleDamagedError(f"同步文件不完整或已损坏（{what}被截断），请重新拷贝或重新导出")
        chunk = self.view[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def number(self, fmt: struct.Struct, what: str) -> int:
        return fmt.unpack(self.take(fmt.size, what))[0]

    def sized(self, fmt: struct.Struct, cap: int, what: str) -> memoryview:
        n = self.number(fmt, f"{what}长度")
        if n > cap:
            raise BundleDamagedError(f"同步文件已损坏（{what}长度 {n} 超出上限）")
        return self.take(n, what)


def _open(data: bytes, trust: TrustAnchor, *, decrypt: bool) -> VerifiedBundle:
    if not data.startswith(MAGIC):
        if MAGIC.startswith(data):
            raise BundleDamagedError("同步文件不完整（文件被截断），请重新拷贝或重新导出")
        raise BundleDamagedError("这不是 LedgerDesk 同步文件（.ldsync），或文件已损坏")
    frame = _Frame(data)
    frame.take(len(MAGIC), "文件头")
    format_version = frame.number(_U16, "版本号")
    min_reader = frame.number(_U16, "版本号")
    if min_reader > READER_VERSION:
        raise FormatTooNewError(TOO_NEW_MESSAGE)
    if format_version < 1 or min_reader < 1 or min_reader > format_version:
        raise BundleDamagedError("同步文件已损坏（文件头的版本号不对）")
    group_raw = frame.sized(_U32, MAX_GROUP_ID, "同步组编号")
    cert = bytes(frame.sized(_U32, MAX_CERT, "设备证书"))
    cert_sig = bytes(frame.take(SIG_SIZE, "设备证书签名"))
    manifest_bytes = bytes(frame.sized(_U32, MAX_MANIFEST, "清单"))
    manifest_sig = bytes(frame.take(SIG_SIZE, "清单签名"))
    payload_size = frame.number(_U64, "数据长度")
    if payload_size > frame.left():
        raise BundleDamagedError("同步文件不完整或已损坏（数据被截断），请重新拷贝或重新导出")
    if payload_size < frame.left():
        raise BundleDamagedError("同步文件已损坏（数据之后还有多余内容）")
    payload = bytes(frame.take(payload_size, "数据"))
    try:
        group = bytes(group_raw).decode("utf-8")
    except UnicodeDecodeError:
        raise BundleDamagedError("同步文件已损坏（同步组编号不对）") from None
    if group != trust.group_id:
        raise ForeignGroupError(f"此同步文件属于另一个乡镇的同步组（{group[:40]}），本台账不能导入")

    # The certificate: signed by this township's office, then parsed.
    if not cert_signed_by(trust.authority_key, cert, cert_sig):
        raise ForeignGroupError("此同步文件的设备证书不是本乡镇办公室签发的：文件来自其他乡镇，或已被篡改")
    try:
        certificate = parse_cert(cert, cert_sig)
    except ValueError:
        raise BundleDamagedError("同步文件已损坏（设备证书内容不对）") from None
    if certificate.group_id != trust.group_id:
        raise ForeignGroupError("此同步文件的设备属于另一个乡镇的同步组，本台账不能导入")
    if certificate.device_id in trust.revoked:
        raise RevokedDeviceError(f"此同步文件由已吊销的设备“{certificate.name}”导出，不能导入"
                                 "（如设备已找回，请在乡镇办公室重新登记）")

    # The manifest: signed by that device, then parsed strictly.
    try:
        VerifyKey(certificate.verify_key).verify(manifest_bytes, manifest_sig)
    except (nacl.exceptions.BadSignatureError, nacl.exceptions.CryptoError, ValueError, TypeError):
        raise BundleForgedError(f"同步文件的签名不对：文件在导出后被改动过，或不是设备“{certificate.name}”"
                                "导出的。请让对方重新导出") from None
    try:
        manifest = _manifest_from(load_canonical(manifest_bytes))
    except (ValueError, KeyError, TypeError):
        raise BundleDamagedError("同步文件的清单内容不对，无法读取") from None
    if ((manifest.format_version, manifest.min_reader_version) != (format_version, min_reader)
            or manifest.group_id != group or manifest.payload_size != payload_size):
        raise BundleForgedError("同步文件的文件头与签名内容不符：文件在导出后被改动过")
    if (manifest.sender_id, manifest.sender_name, manifest.sender_role, manifest.sender_key) != (
            certificate.device_id, certificate.name, certificate.role, certificate.verify_key.hex()):
        raise BundleForgedError("同步文件的发送设备与其证书不符：文件不可信")
    if hashlib.sha256(payload).hexdigest() != manifest.payload_sha256:
        raise BundleForgedError("同步文件的数据校验不符：文件在导出后被改动过，请重新拷贝或重新导出")
    file_digest = hashlib.sha256(data).hexdigest()
    if not decrypt:
        return VerifiedBundle(manifest, b"", file_digest)

    if manifest.raw_size > MAX_RAW_BYTES:
        raise BundleDamagedError(f"同步文件解压后有 {manifest.raw_size / 1e6:.0f} MB，超过上限，不能导入")
    try:
        compressed = nacl.secret.SecretBox(trust.township_key).decrypt(payload)
    except (nacl.exceptions.CryptoError, ValueError, TypeError):
        raise BundleForgedError("同步文件无法用本乡镇的密钥解密：文件不是本乡镇的设备导出的，或已被篡改") from None
    return VerifiedBundle(manifest, _inflate(compressed, manifest.raw_size), file_digest)



def _inflate(compressed: bytes, raw_size: int) -> bytes:
    """Decompress, never beyond ``raw_size`` bytes (zip bombs), and exactly that many."""
    try:
        d = zlib.decompressobj()
        raw = d.decompress(compressed, raw_size + 1)
        complete = len(raw) == raw_size and d.eof and not d.unconsumed_tail and not d.unused_data
    except zlib.error:
        complete = False
    if not complete:
        raise BundleDamagedError("同步文件的数据解压失败或大小不符，无法读取")
    return raw


_SENDER_KEYS = ("id", "name", "role", "site", "key")


def _manifest_from(d: dict) -> Manifest:
    """A Manifest from the signed JSON, every field type checked (ValueError/KeyError/TypeError otherwise)."""
    sender = d["sender"]
    ints = [d[k] for k in ("format_version", "min_reader_version", "created_hlc", "payload_size", "raw_size")]
    if not all(type(v) is int and v >= 0 for v in ints):
        raise ValueError("numbers")
    if not isinstance(sender, dict) or not all(isinstance(sender.get(k), str) for k in _SENDER_KEYS):
        raise ValueError("sender")
    texts = [d["file_id"], d["group"], d["payload_sha256"]]
    if not all(isinstance(v, str) and 0 < len(v) <= 200 for v in texts) or not sender["id"]:
        raise ValueError("texts")
    digest = d["payload_sha256"]
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise ValueError("digest")
    if d["compression"] != COMPRESSION or not isinstance(d["extra"], dict):
        raise ValueError("compression / extra")
    return Manifest(format_version=d["format_version"], min_reader_version=d["min_reader_version"],
                    file_id=d["file_id"], group_id=d["group"], sender_id=sender["id"], sender_name=sender["name"],
                    sender_role=sender["role"], sender_site=sender["site"], created_hlc=d["created_hlc"],
                    payload_sha256=digest, raw_size=d["raw_size"], extra=d["extra"], sender_key=sender["key"],
                    payload_size=d["payload_size"], compression=d["compression"])
