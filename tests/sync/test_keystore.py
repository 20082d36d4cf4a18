"""The key store: private keys outside the ledger, 0700/0600, atomic, corruption refused clearly."""

import json
import os
import stat

import pytest

from ledgerdesk.sync import devices, keystore
from ledgerdesk.sync.errors import KeyStoreError, NotEnrolledError

posix_only = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")


@pytest.fixture(autouse=True)
def keys_dir(tmp_path, monkeypatch):
    folder = tmp_path / "keys"
    monkeypatch.setenv("LEDGERDESK_KEYS", str(folder))
    return folder


def sample(group="g-1", device="d-1", authority=True):
    return keystore.DeviceKeys(group, device, os.urandom(32), os.urandom(32), os.urandom(32) if authority else None)


def test_keys_dir_follows_the_environment(keys_dir):
    assert keystore.keys_dir() == keys_dir


def test_save_and_load_round_trip(keys_dir):
    kid = keystore.new_keystore_id()
    keys = sample()
    path = keystore.save(kid, keys, ledger_path="/x/ledger.sqlite3")
    assert path == keys_dir / f"{kid}.json"
    assert keystore.load(kid) == keys
    assert keystore.load(keystore.new_keystore_id()) is None  # nothing stored: None, not an error
    assert sorted(p.name for p in keys_dir.iterdir()) == [path.name]  # no temporary file left behind


def test_secrets_never_show_in_repr():
    keys = sample()
    assert keys.signing_seed.hex() not in repr(keys) and keys.township_key.hex() not in repr(keys)


@posix_only
def test_folder_is_0700_and_files_0600(keys_dir):
    keys_dir.mkdir(mode=0o755)
    os.chmod(keys_dir, 0o755)
    path = keystore.save(keystore.new_keystore_id(), sample())
    assert stat.S_IMODE(keys_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize("content", [
    b"", b"\x00\xff garbage", b"[]", b'{"format": 99}', b'{"format": 1, "group": "g", "device": "d"}',
    b'{"format": 1, "group": "g", "device": "d", "signing_seed": "zz", "township_key": "00"}',
    json.dumps({"format": 1, "group": "g", "device": "d", "signing_seed": "00" * 31,
                "township_key": "00" * 32}).encode(),
    b"[" * 100000,
])
def test_a_corrupt_file_is_a_keystore_error(keys_dir, content):
    kid = keystore.new_keystore_id()
    keys_dir.mkdir()
    (keys_dir / f"{kid}.json").write_bytes(content)
    with pytest.raises(KeyStoreError) as info:
        keystore.load(kid)
    assert "密钥文件" in info.value.message


@posix_only
def test_an_unreadable_file_is_a_keystore_error(keys_dir):
    if os.geteuid() == 0:
        pytest.skip("root reads any file")
    kid = keystore.new_keystore_id()
    path = keystore.save(kid, sample())
    os.chmod(path, 0)
    with pytest.raises(KeyStoreError):
        keystore.load(kid)


@pytest.mark.parametrize("bad", ["../../etc/passwd", "", "ABC", "0" * 31, "g" * 32])
def test_keystore_ids_cannot_name_other_paths(bad):
    with pytest.raises(KeyStoreError):
        keystore.key_path(bad)


def test_a_failed_write_leaves_the_old_keys(keys_dir, monkeypatch):
    kid = keystore.new_keystore_id()
    old = sample()
    keystore.save(kid, old)

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as m:
        m.setattr(keystore.os, "replace", broken_replace)
        with pytest.raises(KeyStoreError):
            keystore.save(kid, sample())
    assert keystore.load(kid) == old
    assert len(list(keys_dir.iterdir())) == 1  # the temporary file was removed


def test_keys_of_another_group_are_kept_as_superseded(keys_dir):
    kid = keystore.new_keystore_id()
    first = sample("g-1")
    keystore.save(kid, first)
    keystore.save(kid, sample("g-2"))
    data = json.loads((keys_dir / f"{kid}.json").read_text())
    assert keystore.load(kid).group_id == "g-2"
    assert [s["group"] for s in data["superseded"]] == ["g-1"]
    assert data["superseded"][0]["authority_seed"] == first.authority_seed.hex()


def test_a_corrupt_file_is_set_aside_not_lost_when_replaced(keys_dir):
    kid = keystore.new_keystore_id()
    keys_dir.mkdir()
    (keys_dir / f"{kid}.json").write_text("{broken")
    keystore.save(kid, sample())
    assert keystore.load(kid) is not None
    aside = [p for p in keys_dir.iterdir() if ".corrupt-" in p.name]
    assert len(aside) == 1 and aside[0].read_text() == "{broken"


def test_enrolment_records_a_keystore_id_and_keeps_secrets_out_of_the_ledger(file_session, ledger_path, tmp_path):
    s = file_session
    devices.add_device(s, "一号笔记本", out=tmp_path / "a.ldkey")
    kid = s.ledger.get_meta("keystore_id")
    keys = keystore.load(kid)
    assert keys.authority_seed is not None and keys.group_id == s.ledger.get_meta("sync_group")
    on_disk = b"".join(p.read_bytes() for p in ledger_path.parent.glob(ledger_path.name + "*"))
    assert s.ledger.get_meta("device_cert").encode() in on_disk  # public facts are there
    for secret in (keys.signing_seed, keys.township_key, keys.authority_seed):
        assert secret not in on_disk and secret.hex().encode() not in on_disk


def test_corrupt_or_missing_store_after_enrolment(memory_session, tmp_path, keys_dir, monkeypatch):
    s = memory_session
    devices.add_device(s, "一号笔记本", out=tmp_path / "a.ldkey")
    assert devices.identity(s).role == "office"
    path = keys_dir / f"{s.ledger.get_meta('keystore_id')}.json"
    good = path.read_bytes()
    path.write_bytes(good[: len(good) // 2])
    with pytest.raises(KeyStoreError):
        devices.identity(s)
    with pytest.raises(KeyStoreError):
        devices.trust_anchor(s)
    path.write_bytes(good)
    # The same ledger on another machine (another key store): not enrolled there.
    monkeypatch.setenv("LEDGERDESK_KEYS", str(tmp_path / "elsewhere"))
    with pytest.raises(NotEnrolledError) as info:
        devices.identity(s)
    assert "复制" in info.value.message
    monkeypatch.setenv("LEDGERDESK_KEYS", str(keys_dir))
    assert devices.identity(s).device_id == s.ledger.get_meta("device_id")


def test_keys_of_another_device_under_this_id_are_refused(memory_session, tmp_path):
    s = memory_session
    devices.add_device(s, "一号笔记本", out=tmp_path / "a.ldkey")
    kid = s.ledger.get_meta("keystore_id")
    keystore.save(kid, sample(s.ledger.get_meta("sync_group"), "someone-else"))
    with pytest.raises(KeyStoreError):
        devices.identity(s)
