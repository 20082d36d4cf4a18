"""Encryption at rest for an existing ledger: convert a plain file, change the passphrase.

A ledger is encrypted at creation (``create_ledger(..., passphrase=)``,
``init --encrypt``) or converted later with :func:`encrypt_ledger`. The key
scheme is in :mod:`ledgerdesk.store.encryption`.

There is deliberately no "decrypt" here. quality.md asks that a lost laptop's
ledger be unreadable without the password and that copies never be less
protected than the database; a one-click way back to a plain file would leave
every 身份证号 readable on the disk, and no LedgerDesk function needs it (the
file opens in standard SQLCipher 4 tools with the passphrase, which is the
administrator's way out should one ever be needed).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from ledgerdesk.core.clock import Clock
from ledgerdesk.core.errors import LedgerNotFoundError, ValidationError, WrongPassphraseError
from ledgerdesk.services.permissions import ADMIN, require
from ledgerdesk.store import encryption as crypt
from ledgerdesk.store.database import Ledger, preflight
from ledgerdesk.store.encryption import (  # noqa: F401 — for the UI, which asks through services
    ENV_PASSPHRASE,
    MIN_PASSPHRASE_CHARS,
    check_new_passphrase,
    is_encrypted,
)

KEY_ADMINS = frozenset({ADMIN})
ACTION = "加密台账、更改数据库密码"


@dataclass(frozen=True)
class EncryptResult:
    path: Path
    backups_encrypted: int = 0  # earlier plain backups in 备份/ now encrypted with the same key
    backups_left_plain: list[Path] = field(default_factory=list)  # could not be converted (damaged, not a ledger)


def require_key_admin(session) -> None:
    """Only a 管理员 may encrypt a ledger or change its passphrase (PermissionDeniedError otherwise)."""
    require(session, KEY_ADMINS, ACTION)


def encrypt_ledger(path: str | os.PathLike, passphrase: str, *, clock: Clock | None = None) -> EncryptResult:
    """Convert the plain ledger at ``path`` into an encrypted one, in place; the passphrase opens it from now on.

    The ledger must not be open anywhere (close LedgerDesk first). Steps: an
    encrypted copy is written next to it with ``sqlcipher_export`` and checked
    (integrity, every table's rows equal); the original is kept under
    ``<name>.before-encrypt`` while the copy atomically takes its name and is
    opened once with the passphrase; only then is the plain original removed
    (on any failure it is put back and nothing changed). Plain backups in
    ``备份/`` are then encrypted with the same key, so no copy stays readable.

    The site id is kept (same path, same machine), so ``digest`` and sync are
    unaffected. Note: like any deletion, removing the plain file does not wipe
    the disk blocks it occupied.
    """
    p = Path(path)
    if not p.exists():
        raise LedgerNotFoundError(f"找不到台账文件“{p}”")
    if crypt.is_encrypted(p):
        raise ValidationError(f"台账“{p}”已经加密；要更换数据库密码请用 passphrase 命令", key="already-encrypted")
    preflight(p)  # a ledger this version can open, or a clear error before anything is written
    key = crypt.new_key(passphrase)
    temp = p.with_name(p.name + ".encrypting")
    crypt.export_encrypted(p, temp, key)
    wal = p.with_name(p.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        temp.unlink(missing_ok=True)
        raise ValidationError(f"台账“{p}”正在被使用（可能 LedgerDesk 还开着），请先关闭再加密", key="ledger-in-use")
    original = p.with_name(p.name + ".before-encrypt")
    original.unlink(missing_ok=True)
    try:
        os.link(p, original)
    except OSError:  # a file system without hard links
        shutil.copy2(p, original)
    try:
        os.replace(temp, p)
        ledger = Ledger.open(p, passphrase=passphrase, clock=clock)
    except BaseException:
        for side in ("-wal", "-shm"):  # the encrypted copy's, never to be replayed into the plain original
            p.with_name(p.name + side).unlink(missing_ok=True)
        os.replace(original, p)
        raise
    try:
        if not crypt.same_key(ledger.cipher_key, key):
            raise RuntimeError("the converted ledger does not open with the new key")
        converted, left = _encrypt_backups(ledger)
    finally:
        ledger.close()
    original.unlink(missing_ok=True)
    return EncryptResult(p, converted, left)


def _encrypt_backups(ledger: Ledger) -> tuple[int, list[Path]]:
    from ledgerdesk.services.backup import SUFFIX, backup_folder

    folder = backup_folder(ledger)
    converted, left = 0, []
    for copy in sorted(folder.glob(f"*{SUFFIX}")) if folder.is_dir() else []:
        if crypt.is_encrypted(copy):
            continue
        temp = copy.with_name(copy.name + ".encrypting")
        try:
            preflight(copy)
            crypt.export_encrypted(copy, temp, ledger.cipher_key)
            os.replace(temp, copy)
            converted += 1
        except Exception:  # noqa: BLE001 — reported to the user by name; the ledger itself is converted
            temp.unlink(missing_ok=True)
            left.append(copy)
    return converted, left


def change_passphrase(session, old: str, new: str) -> int:
    """Re-encrypt the session's ledger under ``new`` (``PRAGMA rekey``); returns how many backups followed.

    ``old`` must be the current passphrase (WrongPassphraseError otherwise;
    nothing changes). Backups in ``备份/`` that open with ``old`` are re-keyed
    too, so a leaked old passphrase opens no copy. Call it with no other
    thread using the ledger (the command line; the GUI has no such action).
    """
    require_key_admin(session)
    ledger = session.ledger
    if not ledger.encrypted:
        raise ValidationError("台账没有加密；请先用 encrypt 命令加密", key="not-encrypted")
    salt = crypt.key_salt(ledger.cipher_key)
    if not crypt.same_key(crypt.derive_key(old or "", salt), ledger.cipher_key):
        raise WrongPassphraseError("原数据库密码不正确，密码未更改")
    crypt.check_new_passphrase(new)
    new_key = crypt.derive_key(new, salt)
    db = ledger.db
    if db.in_transaction():
        raise RuntimeError("change_passphrase inside a transaction")
    db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.execute_sql(crypt.rekey_pragma(new_key))
    db.connect_params["passphrase"] = new_key  # connections opened from now on (other threads)
    ledger.cipher_key = new_key
    db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return _rekey_backups(ledger, old, new)


def _rekey_backups(ledger: Ledger, old: str, new: str) -> int:
    from ledgerdesk.services.backup import SUFFIX, backup_folder

    folder = backup_folder(ledger)
    done = 0
    for copy in sorted(folder.glob(f"*{SUFFIX}")) if folder.is_dir() else []:
        if not crypt.is_encrypted(copy):
            continue
        salt = crypt.file_salt(copy)
        try:
            conn = crypt.connect(copy, crypt.derive_key(old, salt))
            try:
                conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
                conn.execute(crypt.rekey_pragma(crypt.derive_key(new, salt)))
            finally:
                conn.close()
            done += 1
        except Exception:  # noqa: BLE001 — a copy under an even older passphrase, or damaged: left as it is
            continue
    return done
