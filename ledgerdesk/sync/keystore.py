"""The key store: this machine's private sync keys, kept OUTSIDE the ledger database.

Contract (brief SYNC_API.md). One JSON file per ledger, named by the ledger's
meta ``keystore_id`` (32 random hex digits, set on first use), in the folder
``$LEDGERDESK_KEYS`` or else ``platformdirs.user_data_path("LedgerDesk")/keys``.
The folder is mode 0700 and each file 0600 (POSIX); a file is written
atomically (temporary file, fsync, rename, fsync of the folder), so a crash
leaves the old keys or the new ones, never half of each.

A file holds: the group id, this device's id and Ed25519 signing seed, the
township key (SecretBox, encrypts sync payloads) and, on the township office's
ledger only, the authority signing seed (signs device certificates).

Threat model, briefly: a ledger file copied to another machine carries no keys,
so it cannot sign as that device nor read sync files. The store protects keys
from other user accounts by file modes only; whoever can read this user's
files (a lost laptop without disk encryption) has the keys — revocation
(devices.revoke) is the answer to that. Anything unreadable or malformed is a
:class:`KeyStoreError`; nothing here guesses or repairs.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ledgerdesk.store.database import fsync_folder
from ledgerdesk.sync.errors import KeyStoreError

ENV_VAR = "LEDGERDESK_KEYS"
STORE_FORMAT = 1
META_KEYSTORE_ID = "keystore_id"
_ID_RE = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True)
class DeviceKeys:
    """The private material of one ledger's device identity (never written to the database)."""

    group_id: str
    device_id: str
    signing_seed: bytes = b""  # Ed25519 seed, 32 bytes
    township_key: bytes = b""  # SecretBox key, 32 bytes
    authority_seed: bytes | None = None  # only on the township office's ledger

    def __repr__(self) -> str:  # never print secrets into logs or tracebacks
        return (f"DeviceKeys(group_id={self.group_id!r}, device_id={self.device_id!r}, "
                f"authority={'yes' if self.authority_seed else 'no'})")


def keys_dir() -> Path:
    """The key store folder: LEDGERDESK_KEYS, else the user data folder's ``keys``."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env)
    from platformdirs import user_data_path

    return user_data_path("LedgerDesk", appauthor=False) / "keys"


def new_keystore_id() -> str:
    return secrets.token_hex(16)


def keystore_id_of(ledger, *, create: bool = False) -> str | None:
    """The ledger's meta ``keystore_id``; with ``create``, set a new one when missing (inside a write)."""
    value = ledger.get_meta(META_KEYSTORE_ID)
    if value is None and create:
        value = new_keystore_id()
        ledger.set_meta(META_KEYSTORE_ID, value)
    if value is not None and not _ID_RE.match(value):
        raise KeyStoreError(f"台账记录的密钥编号“{value[:40]}”格式不对，无法找到本机密钥")
    return value


def key_path(keystore_id: str) -> Path:
    if not _ID_RE.match(keystore_id or ""):
        raise KeyStoreError(f"密钥编号“{str(keystore_id)[:40]}”格式不对")
    return keys_dir() / f"{keystore_id}.json"


def _hex(data: dict, key: str, size: int, path: Path, *, optional: bool = False) -> bytes | None:
    value = data.get(key)
    if value is None and optional:
        return None
    try:
        raw = bytes.fromhex(value)
    except (TypeError, ValueError):
        raw = b""
    if len(raw) != size:
        raise KeyStoreError(f"密钥文件“{path}”已损坏（{key} 不对），请从备份恢复或重新登记本设备")
    return raw


def load(keystore_id: str) -> DeviceKeys | None:
    """The keys saved under ``keystore_id``; None when this machine has none."""
    path = key_path(keystore_id)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyStoreError(f"无法读取密钥文件“{path}”（{exc}）") from None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        data = None
    if not isinstance(data, dict) or data.get("format") != STORE_FORMAT:
        raise KeyStoreError(f"密钥文件“{path}”已损坏或格式不对，请从备份恢复或重新登记本设备")
    group, device = data.get("group"), data.get("device")
    if not isinstance(group, str) or not group or not isinstance(device, str) or not device:
        raise KeyStoreError(f"密钥文件“{path}”已损坏（缺少同步组或设备编号），请从备份恢复或重新登记本设备")
    return DeviceKeys(group_id=group, device_id=device,
                      signing_seed=_hex(data, "signing_seed", 32, path),
                      township_key=_hex(data, "township_key", 32, path),
                      authority_seed=_hex(data, "authority_seed", 32, path, optional=True))


def save(keystore_id: str, keys: DeviceKeys, *, ledger_path: str = "") -> Path:
    """Write ``keys`` under ``keystore_id`` atomically (0600 in a 0700 folder).

    Keys of another group already stored under that id are not lost: they are
    kept in the file's ``superseded`` list.
    """
    path = key_path(keystore_id)
    folder = path.parent
    superseded: list = []
    try:
        old = load(keystore_id)
    except KeyStoreError:
        old = None  # a corrupt file is set aside (kept for a specialist), then replaced
        try:
            os.replace(path, path.with_name(f"{path.name}.corrupt-{int(time.time())}"))
        except OSError:
            pass
    if old is not None:
        try:
            previous = json.loads(path.read_text(encoding="utf-8")).get("superseded")
        except (OSError, ValueError):
            previous = None
        superseded = previous if isinstance(previous, list) else []
        if (old.group_id, old.device_id) != (keys.group_id, keys.device_id):
            superseded.append(_as_json(old, ledger_path))
    data = _as_json(keys, ledger_path)
    data["superseded"] = superseded
    body = json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        if os.name == "posix" and (folder.stat().st_mode & 0o777) != 0o700:
            os.chmod(folder, 0o700)
        write_atomically(path, body, mode=0o600)
    except OSError as exc:
        raise KeyStoreError(f"无法写入密钥文件“{path}”（{exc}）") from None
    return path


def _as_json(keys: DeviceKeys, ledger_path: str) -> dict:
    return {
        "format": STORE_FORMAT,
        "ledger": ledger_path,  # informational: which ledger file these keys were made for
        "group": keys.group_id,
        "device": keys.device_id,
        "signing_seed": keys.signing_seed.hex(),
        "township_key": keys.township_key.hex(),
        "authority_seed": keys.authority_seed.hex() if keys.authority_seed else None,
    }


def write_atomically(path: Path, data: bytes, *, mode: int = 0o600) -> None:
    """Write ``data`` to ``path`` so that it is either all there or not at all.

    A temporary file in the same folder (created with ``mode``) is written and
    fsynced, renamed over ``path``, then the folder is fsynced. Raises OSError.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        if os.name == "posix":
            os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_folder(path.parent)
