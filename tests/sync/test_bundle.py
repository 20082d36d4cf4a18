"""The .ldsync file: round trip, encryption, and one clear SyncError for every damaged, forged or foreign file."""

import hashlib
import os
import random
import struct
import zlib

import nacl.utils
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nacl.signing import SigningKey

from ledgerdesk.core.ids import uuid7
from ledgerdesk.services.session import Session
from ledgerdesk.store.database import Ledger
from ledgerdesk.sync import bundle, devices
from ledgerdesk.sync.devices import DeviceIdentity, TrustAnchor, make_cert
from ledgerdesk.sync.errors import (
    BundleDamagedError,
    BundleForgedError,
    ForeignGroupError,
    FormatTooNewError,
    RevokedDeviceError,
    SyncError,
)

MARKER = "身份证号152501199001011234MARKER"


@pytest.fixture(autouse=True)
def keys_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("LEDGERDESK_KEYS", str(tmp_path / "keys"))


class Group:
    """A sync group built from the primitives (no ledgers): an authority, the township key, devices."""

    def __init__(self):
        self.id = uuid7()
        self.authority = SigningKey.generate()
        self.township_key = nacl.utils.random(32)

    def device(self, name="一号笔记本", role="laptop", device_id=None) -> DeviceIdentity:
        key = SigningKey.generate()
        device_id = device_id or uuid7()
        cert, sig = make_cert(self.authority, group_id=self.id, device_id=device_id, name=name, role=role,
                              verify_key=bytes(key.verify_key), issued_hlc=1)
        return DeviceIdentity(self.id, device_id, name, role, "site-1", key, self.township_key,
                              bytes(self.authority.verify_key), cert, sig)

    def trust(self, revoked=()) -> TrustAnchor:
        return TrustAnchor(self.id, bytes(self.authority.verify_key), self.township_key, frozenset(revoked))


@pytest.fixture(scope="module")
def group():
    return Group()


@pytest.fixture(scope="module")
def sender(group):
    return group.device()


def payload_bytes(size=2000) -> bytes:
    text = (MARKER * (size // len(MARKER.encode()) + 1)).encode()[:size]
    return text


def write(tmp_path, sender, payload=None, extra=None, name="f.ldsync"):
    path = tmp_path / name
    bundle.write_bundle(path, identity=sender, manifest=extra if extra is not None else {"count": 3, "ranges": {}},
                        payload=payload if payload is not None else payload_bytes())
    return path


def regions(data: bytes) -> dict:
    """Byte offsets (start, end) of each region of a bundle, read from its own length fields."""
    out, pos = {}, 0

    def span(name, n):
        nonlocal pos
        out[name] = (pos, pos + n)
        pos += n

    span("magic", len(bundle.MAGIC))
    span("versions", 4)
    for name, cap in (("group", 0), ("cert", 1)):
        span(f"{name}_len", 4)
        span(name, struct.unpack_from(">I", data, pos - 4)[0])
        if cap:
            span("cert_sig", 64)
    span("manifest_len", 4)
    span("manifest", struct.unpack_from(">I", data, pos - 4)[0])
    span("manifest_sig", 64)
    span("payload_len", 8)
    span("payload", struct.unpack_from(">Q", data, pos - 8)[0])
    assert pos == len(data)
    return out


def flip(data: bytes, at: int, mask: int = 0x01) -> bytes:
    return data[:at] + bytes([data[at] ^ mask]) + data[at + 1:]


# -- round trip -----------------------------------------------------------------------------------


def test_round_trip(tmp_path, group, sender):
    raw = payload_bytes(50_000) + os.urandom(1000)
    extra = {"knowledge": {"a1": 5}, "ranges": {"a1": [[1, 5]]}, "count": 5, "full": True, "to": None,
             "名称": "牧区"}
    m = bundle.write_bundle(tmp_path / "x.ldsync", identity=sender, manifest=extra, payload=raw, created_hlc=77)
    data = (tmp_path / "x.ldsync").read_bytes()
    got = bundle.read_bundle(tmp_path / "x.ldsync", trust=group.trust())
    assert got.payload == raw and got.manifest == m and got.file_digest == hashlib.sha256(data).hexdigest()
    assert m.extra == extra and m.raw_size == len(raw) and m.created_hlc == 77
    assert (m.format_version, m.min_reader_version) == (bundle.FORMAT_VERSION, bundle.MIN_READER_VERSION)
    assert (m.group_id, m.sender_id, m.sender_name, m.sender_role, m.sender_site) == (
        group.id, sender.device_id, "一号笔记本", "laptop", "site-1")
    assert m.sender_key == sender.verify_key.hex() and m.payload_size == regions(data)["payload"][1] - \
        regions(data)["payload"][0]
    manifest, digest = bundle.read_manifest(tmp_path / "x.ldsync", trust=group.trust())
    assert manifest == m and digest == got.file_digest
    assert bundle.parse_bundle(data, trust=group.trust()).payload == raw


def test_every_file_gets_a_new_id_and_empty_payloads_work(tmp_path, group, sender):
    a = bundle.write_bundle(tmp_path / "a", identity=sender, manifest={}, payload=b"")
    b = bundle.write_bundle(tmp_path / "b", identity=sender, manifest={}, payload=b"")
    assert a.file_id != b.file_id
    assert bundle.read_bundle(tmp_path / "a", trust=group.trust()).payload == b""


def test_the_payload_is_encrypted(tmp_path, group, sender):
    path = write(tmp_path, sender, payload=payload_bytes(20_000))
    data = path.read_bytes()
    for needle in (MARKER.encode(), MARKER.encode("utf-16-le"), b"MARKER", "身份证号".encode(),
                   zlib.compress(payload_bytes(20_000))[:16]):
        assert needle not in data
    # read_manifest does not need to decrypt: a reader with the wrong township key gets the manifest...
    wrong_key = TrustAnchor(group.id, bytes(group.authority.verify_key), nacl.utils.random(32), frozenset())
    assert bundle.read_manifest(path, trust=wrong_key)[0].sender_id == sender.device_id
    # ...but never the payload.
    with pytest.raises(BundleForgedError):
        bundle.read_bundle(path, trust=wrong_key)


def test_write_is_atomic_and_reports_failures(tmp_path, group, sender):
    path = write(tmp_path, sender)
    first = path.read_bytes()
    write(tmp_path, sender)  # replaces in one rename
    assert path.read_bytes() != first
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "keys") == ["f.ldsync"]
    with pytest.raises(SyncError) as info:
        write(tmp_path / "no such folder", sender)
    assert info.value.key == "sync-write-failed"


def test_a_manifest_must_be_a_json_object(tmp_path, sender):
    with pytest.raises(TypeError):
        bundle.write_bundle(tmp_path / "x", identity=sender, manifest=[1, 2], payload=b"")
    with pytest.raises(ValueError):
        bundle.write_bundle(tmp_path / "x", identity=sender, manifest={"x": float("nan")}, payload=b"")


def test_real_enrolment_end_to_end(memory_session, clock, tmp_path):
    """Keys made by add_device/join (not the primitives): the laptop writes, the office reads."""
    office = memory_session
    e = devices.add_device(office, "牧区笔记本", out=tmp_path / "m.ldkey")
    laptop = Session(Ledger.memory(clock=clock), "张三")
    devices.join(laptop, e.path, e.code)
    raw = payload_bytes(5000)
    bundle.write_bundle(tmp_path / "up.ldsync", identity=devices.identity(laptop), manifest={"n": 1}, payload=raw)
    got = bundle.read_bundle(tmp_path / "up.ldsync", trust=devices.trust_anchor(office))
    assert got.payload == raw and got.manifest.sender_name == "牧区笔记本"
    assert got.manifest.sender_site == laptop.ledger.site_id
    devices.revoke(office, "牧区笔记本")
    with pytest.raises(RevokedDeviceError) as info:
        bundle.read_bundle(tmp_path / "up.ldsync", trust=devices.trust_anchor(office))
    assert "牧区笔记本" in info.value.message
    laptop.close()


# -- refusals, each with its class ---------------------------------------------------------------------


def refused(exc_type, data: bytes, trust, tmp_path, name="bad.ldsync"):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(exc_type) as info:
        bundle.read_bundle(path, trust=trust)
    assert type(info.value) is exc_type
    assert any("\u4e00" <= ch <= "\u9fff" for ch in info.value.message), info.value.message
    return info.value


def test_another_groups_file_is_foreign(tmp_path, group, sender):
    other = Group()
    data = write(tmp_path, other.device()).read_bytes()
    err = refused(ForeignGroupError, data, group.trust(), tmp_path)
    assert "另一个乡镇" in err.message
    # A file claiming our group id but certified by another authority is foreign too.
    pretender = Group()
    pretender.id = group.id
    data = write(tmp_path, pretender.device()).read_bytes()
    refused(ForeignGroupError, data, group.trust(), tmp_path)


def test_a_revoked_devices_file_is_refused(tmp_path, group, sender):
    data = write(tmp_path, sender).read_bytes()
    err = refused(RevokedDeviceError, data, group.trust(revoked={sender.device_id}), tmp_path)
    assert "已吊销" in err.message
    # Another device's revocation does not matter.
    assert bundle.parse_bundle(data, trust=group.trust(revoked={"someone-else"})).payload


def test_a_newer_format_asks_to_upgrade(tmp_path, group, sender, monkeypatch):
    monkeypatch.setattr(bundle, "FORMAT_VERSION", 2)
    monkeypatch.setattr(bundle, "MIN_READER_VERSION", 2)
    data = write(tmp_path, sender).read_bytes()
    monkeypatch.undo()
    err = refused(FormatTooNewError, data, group.trust(), tmp_path)
    assert "请升级" in err.message
    # Even a newer file that is otherwise garbage is refused as newer, before anything else is read.
    refused(FormatTooNewError, data[:len(bundle.MAGIC) + 4], group.trust(), tmp_path)


def test_a_newer_format_that_old_readers_may_read_is_read(tmp_path, group, sender, monkeypatch):
    monkeypatch.setattr(bundle, "FORMAT_VERSION", 3)
    data = write(tmp_path, sender).read_bytes()
    monkeypatch.undo()
    assert bundle.parse_bundle(data, trust=group.trust()).manifest.format_version == 3


def test_tampering_with_each_region(tmp_path, group, sender):
    data = write(tmp_path, sender).read_bytes()
    r = regions(data)
    trust = group.trust()
    mid = lambda name: (r[name][0] + r[name][1]) // 2
    refused(BundleDamagedError, flip(data, 0), trust, tmp_path)
    v = r["versions"][0]
    refused(FormatTooNewError, data[:v + 2] + struct.pack(">H", 7) + data[v + 4:], trust, tmp_path)
    refused(BundleForgedError, data[:v] + struct.pack(">H", 5) + data[v + 2:], trust, tmp_path)  # header ≠ signed
    refused(BundleDamagedError, data[:v] + struct.pack(">HH", 1, 0) + data[v + 4:], trust, tmp_path)
    refused(ForeignGroupError, flip(data, mid("group")), trust, tmp_path)
    refused(ForeignGroupError, flip(data, mid("cert")), trust, tmp_path)
    refused(ForeignGroupError, flip(data, mid("cert_sig")), trust, tmp_path)
    refused(BundleForgedError, flip(data, mid("manifest")), trust, tmp_path)
    refused(BundleForgedError, flip(data, mid("manifest_sig")), trust, tmp_path)
    refused(BundleForgedError, flip(data, mid("payload")), trust, tmp_path)
    refused(BundleForgedError, flip(data, r["payload"][1] - 1), trust, tmp_path)  # the MAC's last byte
    refused(BundleDamagedError, data + b"\0", trust, tmp_path)  # trailing bytes
    refused(BundleDamagedError, flip(data, r["payload_len"][1] - 1), trust, tmp_path)


def test_a_manifest_signed_by_another_device_of_the_group_is_forged(tmp_path, group, sender):
    """Splice: the cert of one device with the manifest and payload another device signed."""
    a = write(tmp_path, sender, name="a").read_bytes()
    b = write(tmp_path, group.device("二号"), name="b").read_bytes()
    ra, rb = regions(a), regions(b)
    spliced = a[:ra["cert_sig"][1]] + b[rb["manifest_len"][0]:]
    refused(BundleForgedError, spliced, group.trust(), tmp_path)


@pytest.mark.parametrize("field,value", [("group_len", 2 ** 32 - 1), ("cert_len", 2 ** 32 - 1),
                                         ("manifest_len", 2 ** 32 - 1), ("payload_len", 2 ** 64 - 1),
                                         ("cert_len", bundle.MAX_CERT + 1), ("manifest_len", 0),
                                         ("payload_len", 0), ("group_len", 0)])
def test_absurd_length_fields_are_damage(tmp_path, group, sender, field, value):
    data = write(tmp_path, sender).read_bytes()
    start, end = regions(data)[field]
    data = data[:start] + value.to_bytes(end - start, "big") + data[end:]
    err = refused(BundleDamagedError, data, group.trust(), tmp_path)
    assert "损坏" in err.message or "不完整" in err.message


def test_a_file_truncated_anywhere_is_damaged(tmp_path, group, sender):
    data = write(tmp_path, sender).read_bytes()
    trust = group.trust()
    cuts = set(range(200)) | set(range(len(data) - 100, len(data)))
    for start, end in regions(data).values():
        cuts |= {start, start + 1, end - 1, end, (start + end) // 2}
    cuts = sorted(c for c in cuts if 0 <= c < len(data))
    for cut in cuts:
        with pytest.raises(BundleDamagedError):
            bundle.parse_bundle(data[:cut], trust=trust)


def test_files_that_are_not_bundles(tmp_path, group):
    trust = group.trust()
    for content in (b"", b"\0" * 100_000, os.urandom(5000), b"PK\x03\x04" + os.urandom(100), bundle.MAGIC[:5]):
        refused(BundleDamagedError, content, trust, tmp_path)
    with pytest.raises(BundleDamagedError) as info:
        bundle.read_bundle(tmp_path / "missing.ldsync", trust=trust)
    assert "找不到" in info.value.message
    with pytest.raises(BundleDamagedError):
        bundle.read_bundle(tmp_path, trust=trust)  # a folder
    with pytest.raises(BundleDamagedError):
        bundle.read_manifest(tmp_path, trust=trust)


def test_size_cap(tmp_path, group, sender):
    path = write(tmp_path, sender, payload=os.urandom(10_000))
    with pytest.raises(BundleDamagedError) as info:
        bundle.read_bundle(path, trust=group.trust(), max_bytes=5_000)
    assert "上限" in info.value.message
    with pytest.raises(BundleDamagedError):
        bundle.read_manifest(path, trust=group.trust(), max_bytes=5_000)


def test_decompression_stops_at_the_signed_size(tmp_path, group, sender, monkeypatch):
    """A 'zip bomb' signed by a real device: the payload inflates beyond the raw size it declared."""
    bomb = zlib.compress(b"\0" * 20_000_000)

    class Bomb:  # the writer's compressor, made to emit the bomb whatever it is given
        def compress(self, data):
            return b""

        def flush(self):
            return bomb

    monkeypatch.setattr(bundle.zlib, "compressobj", lambda level=6: Bomb())
    path = write(tmp_path, sender, payload=b"tiny")
    monkeypatch.undo()
    err = refused(BundleDamagedError, path.read_bytes(), group.trust(), tmp_path)
    assert "解压" in err.message


def test_fuzzed_files_raise_only_sync_errors(tmp_path, group, sender):
    """A few hundred mutations of a real file: bit flips in every region, cuts at every boundary, splices."""
    data = write(tmp_path, sender, payload=payload_bytes(3000)).read_bytes()
    r = regions(data)
    trust = group.trust()
    rng = random.Random(7)
    mutants = []
    for start, end in r.values():
        for _ in range(25):
            at = rng.randrange(start, end)
            mutants.append(flip(data, at, 1 << rng.randrange(8)))
        mutants.append(data[:start])
        mutants.append(data[:start] + os.urandom(rng.randrange(1, 64)) + data[end:])
        mutants.append(data[:start] + b"\xff" * (end - start) + data[end:])
        mutants.append(data[:start] + data[end:])
    for _ in range(50):
        a, b = sorted(rng.randrange(len(data)) for _ in range(2))
        mutants.append(data[:a] + data[b:])
        mutants.append(data[:a] + data[a:b] * 2 + data[b:])
    assert len(mutants) > 300
    outcomes = {}
    for m in mutants:
        try:
            bundle.parse_bundle(m, trust=trust)
            outcomes["read"] = outcomes.get("read", 0) + 1
        except SyncError as exc:
            assert exc.message and exc.key.startswith("sync")
            outcomes[type(exc).__name__] = outcomes.get(type(exc).__name__, 0) + 1
    # Nothing altered gets through, and every kind of refusal occurs.
    assert "read" not in outcomes, outcomes
    assert {"BundleDamagedError", "BundleForgedError", "ForeignGroupError", "FormatTooNewError"} <= set(outcomes)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), min_size=1, max_size=4),
       cut=st.none() | st.integers(0, 10_000))
def test_any_edit_of_a_file_is_one_sync_error(group, sender, tmp_path_factory, edits, cut):
    data = _fuzz_base(group, sender, tmp_path_factory)
    out = bytearray(data)
    for at, value in edits:
        out[at % len(out)] = value
    if cut is not None:
        out = out[:cut % len(out)]
    if bytes(out) == data:
        return
    with pytest.raises(SyncError):
        bundle.parse_bundle(bytes(out), trust=group.trust())


_BASE = {}


def _fuzz_base(group, sender, tmp_path_factory) -> bytes:
    if "data" not in _BASE:
        folder = tmp_path_factory.mktemp("fuzz")
        _BASE["data"] = write(folder, sender, payload=payload_bytes(1500)).read_bytes()
    return _BASE["data"]


def test_a_payload_given_in_pieces_reads_back_as_their_join(tmp_path, group, sender):
    import json as _json

    from ledgerdesk.sync import payload as payload_codec

    rows = [(f"s{i % 3}", i + 1, 1000 + i, "admin", "person", f"e{i}", "put", _json.dumps({"name": f"名{i}"}), "[]")
            for i in range(12_345)]
    pieces = list(payload_codec.encode_chunks(rows))
    assert len(pieces) > 3 and b"".join(pieces) == payload_codec.encode(rows)
    out = tmp_path / "pieces.ldsync"
    manifest = bundle.write_bundle(out, identity=sender, manifest={"n": 1}, payload=iter(pieces))
    verified = bundle.read_bundle(out, trust=group.trust())
    assert verified.payload == b"".join(pieces)
    assert manifest.raw_size == len(verified.payload)
