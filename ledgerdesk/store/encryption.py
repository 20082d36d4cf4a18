"""Encryption at rest: a ledger file may be a SQLCipher 4 database (quality.md, "Trust: lost laptop").

Binding: the ``sqlcipher3`` module of the ``sqlcipher3-wheels`` package (SQLCipher
4 with SQLite's FTS5, so the trigram search index works inside the encrypted
file), through peewee's ``playhouse.sqlcipher_ext``. It is imported lazily, on
the first encrypted ledger: opening a plain ledger never loads it.

Key derivation — SQLCipher's own, unchanged. SQLCipher 4 derives the page key
with PBKDF2-HMAC-SHA512, 256,000 iterations, from the passphrase and a random
16-byte salt that it keeps in the first 16 bytes of the file (the only
unencrypted bytes; pages are AES-256-CBC with a random IV each and an
HMAC-SHA512). We keep exactly that derivation and do it once per open in
Python (:func:`derive_key`, ~0.3 s), then hand SQLCipher the derived key in
its raw-key form ``x'<key><salt>'``, so every further connection (the GUI's
worker thread, backups, verification) opens in milliseconds. Because it is the
standard derivation, the file still opens with the passphrase alone in any
SQLCipher 4 tool (``sqlcipher`` shell, DB Browser for SQLite). argon2id with the
salt in a sidecar file was considered and not taken: a sidecar can be lost or
separated from a copied ledger or backup (the data would then be gone for
good), and the file would no longer open in standard tools; PBKDF2 at 256,000
iterations plus a minimum passphrase length (:data:`MIN_PASSPHRASE_CHARS`) is
SQLCipher's vetted default.

Exceptions: the binding raises its own ``sqlcipher3.dbapi2`` exception classes.
Code in store/ and sync/ catches ``sqlite3.IntegrityError`` / ``sqlite3.Error``
on raw connections, so :func:`cipher_module` makes each sqlcipher3 error class
also a subclass of its ``sqlite3`` namesake (all but the root ``Error`` and
``Warning``, whose layout Python will not re-base; both are never raised for
SQL failures). peewee maps errors by class name, so its wrappers need nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import os
import sqlite3
from collections import Counter
from pathlib import Path

from ledgerdesk.core.errors import PassphraseRequiredError, ValidationError, WrongPassphraseError
from ledgerdesk.store.migrations import ledger_facts

SQLITE_HEADER = b"SQLite format 3\x00"
SALT_BYTES = 16
KDF_ITERATIONS = 256_000  # SQLCipher 4's default (PRAGMA kdf_iter)
KDF_DIGEST = "sha512"  # SQLCipher 4's default (PRAGMA cipher_kdf_algorithm = PBKDF2_HMAC_SHA512)
KEY_BYTES = 32  # AES-256
MIN_PASSPHRASE_CHARS = 8
ENV_PASSPHRASE = "LEDGERDESK_PASSPHRASE"

_cipher = None  # the sqlcipher3.dbapi2 module once loaded


def cipher_module():
    """``sqlcipher3.dbapi2``, loaded on first use (quiet logging, sqlite3-compatible errors)."""
    global _cipher
    if _cipher is None:
        from sqlcipher3 import dbapi2

        for name in ("InterfaceError", "DatabaseError", "DataError", "OperationalError", "IntegrityError",
                     "InternalError", "ProgrammingError", "NotSupportedError"):
            ours, theirs = getattr(dbapi2, name, None), getattr(sqlite3, name)
            if ours is not None and not issubclass(ours, theirs):
                try:
                    ours.__bases__ = (*ours.__bases__, theirs)
                except TypeError:  # pragma: no cover - a binding whose classes cannot be re-based
                    pass
        # SQLCipher logs a failed HMAC check ("wrong key") to stderr; our error says it in Chinese instead.
        probe = dbapi2.connect(":memory:")
        try:
            probe.execute("PRAGMA cipher_log_level = NONE")
        finally:
            probe.close()
        _cipher = dbapi2
    return _cipher


# -- recognising an encrypted file ------------------------------------------------------


def is_encrypted(path: str | os.PathLike) -> bool:
    """True when ``path`` looks like a SQLCipher database rather than a plain SQLite file.

    A plain SQLite file starts with ``SQLite format 3\\0``; an empty file is a
    (new) plain database. Otherwise the file is taken as encrypted when it has
    the shape SQLCipher writes: whole pages (a multiple of 512 bytes) of bytes
    that look random (ciphertext). Without the key nothing more can be proven:
    random junk of that shape is reported later as a wrong passphrase.
    """
    p = Path(path)
    try:
        size = p.stat().st_size
        if size == 0:
            return False
        with p.open("rb") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    if head.startswith(SQLITE_HEADER) or size % 512 or len(head) < 512:
        return False
    return _entropy_bits(head) > 7.0  # ciphertext ≈ 7.95 bits per byte; text, zeros, most formats far less


def _entropy_bits(data: bytes) -> float:
    n = len(data)
    return -sum(c / n * math.log2(c / n) for c in Counter(data).values())


def file_salt(path: str | os.PathLike) -> bytes:
    """The KDF salt SQLCipher keeps in the first 16 bytes of an encrypted file."""
    with open(path, "rb") as fh:
        salt = fh.read(SALT_BYTES)
    if len(salt) != SALT_BYTES:
        raise WrongPassphraseError(f"“{path}”不是完整的加密台账文件")
    return salt


# -- keys ---------------------------------------------------------------------------------


def check_new_passphrase(passphrase: str | None) -> str:
    """A passphrase good enough to protect a ledger; ValidationError (field ``passphrase``) otherwise."""
    if not passphrase or not passphrase.strip():
        raise ValidationError("请设置数据库密码", field="passphrase")
    if len(passphrase) < MIN_PASSPHRASE_CHARS:
        raise ValidationError(f"数据库密码至少要 {MIN_PASSPHRASE_CHARS} 个字符（可以是汉字、字母、数字的组合）",
                              field="passphrase")
    return passphrase


def derive_key(passphrase: str, salt: bytes) -> str:
    """SQLCipher's raw-key literal for ``passphrase`` and ``salt``: ``x'<64 hex key><32 hex salt>'``.

    The same PBKDF2 SQLCipher runs for ``PRAGMA key = 'passphrase'`` on that file.
    """
    key = hashlib.pbkdf2_hmac(KDF_DIGEST, passphrase.encode("utf-8"), salt, KDF_ITERATIONS, KEY_BYTES)
    return f"x'{key.hex()}{salt.hex()}'"


def new_key(passphrase: str) -> str:
    """A key for a new encrypted file: a fresh random salt (checks the passphrase's length first)."""
    return derive_key(check_new_passphrase(passphrase), os.urandom(SALT_BYTES))


def key_salt(key: str) -> bytes:
    """The salt inside a raw-key literal made by :func:`derive_key`."""
    return bytes.fromhex(key[2 + 2 * KEY_BYTES:-1])


def same_key(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and hmac.compare_digest(a.encode(), b.encode())


def key_pragma(key: str) -> str:
    """``PRAGMA key = "x'…'"``; the literal holds only hex digits, x and quotes."""
    _check_literal(key)
    return f'PRAGMA key = "{key}"'


def rekey_pragma(key: str) -> str:
    _check_literal(key)
    return f'PRAGMA rekey = "{key}"'


def attach_sql(alias: str, key: str) -> str:
    """``ATTACH DATABASE ? AS alias KEY "x'…'"`` (the file name is the one parameter)."""
    _check_literal(key)
    return f'ATTACH DATABASE ? AS {alias} KEY "{key}"'


def _check_literal(key: str) -> None:
    body = key[2:-1] if key.startswith("x'") and key.endswith("'") else ""
    if len(body) not in (2 * KEY_BYTES, 2 * (KEY_BYTES + SALT_BYTES)) or any(c not in "0123456789abcdef" for c in body):
        raise ValueError("not a raw SQLCipher key literal")


# -- connections ------------------------------------------------------------------------------


def connect(path: str | os.PathLike, key: str | None, *, readonly: bool = False, timeout: float = 5.0):
    """A DB-API connection (autocommit) to ``path`` keyed with ``key`` (plain sqlite3 when ``key`` is None).

    Keying does not read the file: the first statement does, and fails with
    "file is not a database" when the key is wrong.
    """
    if key is None:
        uri = f"file:{Path(path)}?mode=ro" if readonly else str(path)
        return sqlite3.connect(uri, uri=readonly, isolation_level=None, timeout=timeout)
    dbapi2 = cipher_module()
    uri = f"file:{Path(path)}?mode=ro" if readonly else str(path)
    conn = dbapi2.connect(uri, uri=readonly, isolation_level=None, timeout=timeout)
    try:
        conn.execute(key_pragma(key))
    except BaseException:
        conn.close()
        raise
    return conn


def unlock(path: Path, passphrase: str | None) -> tuple[str, int, int, int]:
    """The key of the encrypted ledger at ``path``, checked read-only: (key, application_id, user_version, tables).

    PassphraseRequiredError without a passphrase; WrongPassphraseError when it
    does not open the file (or the file is damaged: without the right key the
    two look the same). Nothing is written either way.
    """
    if not passphrase:
        raise PassphraseRequiredError(
            f"台账“{path}”已加密，需要数据库密码才能打开（命令行请设置环境变量 {ENV_PASSPHRASE}）")
    key = derive_key(passphrase, file_salt(path))
    dbapi2 = cipher_module()
    try:
        conn = connect(path, key, readonly=True)
        try:
            app_id, version, tables = ledger_facts(conn)
        finally:
            conn.close()
    except dbapi2.DatabaseError as exc:
        if "not a database" in str(exc) or "encrypted" in str(exc):
            raise WrongPassphraseError(
                f"数据库密码不正确，无法打开台账“{path}”（文件未做任何改动；如果确认密码无误，则文件可能已损坏）") from None
        raise
    return key, app_id, version, tables


def cipher_database(path: str, key: str, **kwargs):
    """A peewee database on the encrypted file ``path`` (created, encrypted, when missing)."""
    cipher_module()
    from playhouse.sqlcipher_ext import SqlCipherDatabase

    class LedgerCipherDatabase(SqlCipherDatabase):
        def _connect(self):
            params = dict(self.connect_params)
            params.pop("passphrase", None)
            conn = _cipher.connect(self.database, timeout=getattr(self, "_timeout", 5), isolation_level=None,
                                   **params)
            try:
                conn.execute(key_pragma(self.connect_params["passphrase"]))
                self._add_conn_hooks(conn)
            except BaseException:
                conn.close()
                raise
            return conn

    return LedgerCipherDatabase(path, passphrase=key, **kwargs)


# -- copies -------------------------------------------------------------------------------------


def copy_target(path: str | os.PathLike, key: str | None):
    """A connection to a NEW file ``path`` for ``source.backup(target)``: keyed like the source ledger.

    A backup of an encrypted ledger is encrypted with the same key (and salt),
    so it opens with the same passphrase; the binding refuses to back an
    encrypted connection up into a plain one.
    """
    return connect(path, key)


def table_hashes(conn, schema: str = "main") -> dict[str, str]:
    """SHA-256 of every stored table's rows in scan order (virtual tables are covered by their shadow tables)."""
    out = {}
    names = [r[0] for r in conn.execute(
        f"SELECT name FROM {schema}.sqlite_master WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%' "
        "ORDER BY name")]
    for name in names:
        h = hashlib.sha256()
        cursor = conn.execute(f'SELECT * FROM {schema}."{name}"')
        while batch := cursor.fetchmany(5000):
            h.update(repr(batch).encode("utf-8"))
        out[name] = h.hexdigest()
    return out


def export_encrypted(source: Path, target: Path, key: str) -> None:
    """Write an encrypted copy of the plain database ``source`` to the new file ``target`` and verify it.

    ``sqlcipher_export`` copies schema and rows in one read transaction of the
    source; the copy is then checked (``quick_check``, and every table's rows
    equal to the source's, byte for byte) before this returns. On any failure
    ``target`` is removed and the source is untouched.
    """
    dbapi2 = cipher_module()
    for leftover in (target, *(target.with_name(target.name + s) for s in ("-wal", "-shm", "-journal"))):
        leftover.unlink(missing_ok=True)
    conn = dbapi2.connect(str(source), isolation_level=None, timeout=5.0)
    try:
        conn.execute(attach_sql("enc", key), (str(target),))
        conn.execute("BEGIN")  # one snapshot of the source for the export and the comparison
        app_id = conn.execute("PRAGMA main.application_id").fetchone()[0]
        version = conn.execute("PRAGMA main.user_version").fetchone()[0]
        conn.execute("SELECT sqlcipher_export('enc')")
        conn.execute(f"PRAGMA enc.application_id = {int(app_id)}")
        conn.execute(f"PRAGMA enc.user_version = {int(version)}")
        conn.execute("COMMIT")
        conn.execute("BEGIN")
        problems = [r[0] for r in conn.execute("PRAGMA enc.quick_check").fetchall() if r[0] != "ok"]
        if table_hashes(conn, "main") != table_hashes(conn, "enc"):
            problems.append("rows differ")
        if conn.execute("PRAGMA enc.user_version").fetchone()[0] != version:
            problems.append("user_version differs")
        conn.execute("COMMIT")
        conn.execute("DETACH DATABASE enc")
    except BaseException:
        conn.close()
        target.unlink(missing_ok=True)
        raise
    conn.close()
    if problems:
        target.unlink(missing_ok=True)
        raise RuntimeError(f"encrypted copy of {source} failed verification: {problems[:3]}")
