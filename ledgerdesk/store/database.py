"""An open ledger: one SQLite file, its site identity, its clock and its transactions.

:class:`Ledger` is the object every service takes. Opening one refuses files
that are not ledgers or were written by a newer LedgerDesk *before* touching
them, then applies pending migrations, then settles the site id.

Site identity: each database file has a random site id, used to number its
versions. The id is anchored to (machine fingerprint, absolute path); when a
file is opened under a different anchor it has been copied, so it gets a new
site id, and two copies can never issue the same (site, seq). Earlier ids are
kept in meta ``site_history``. Moving a ledger to another folder therefore
also starts a new site id; that costs nothing.

Encryption at rest: a ledger file may be a SQLCipher database
(store/encryption.py). :func:`is_encrypted` tells from its first bytes; such a
file opens only with its passphrase, through the same pragmas (WAL included),
migrations and site settling. The cipher binding is imported only then, so a
plain ledger starts as fast as before.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from peewee import SqliteDatabase

if TYPE_CHECKING:  # for the annotation only; writing() imports it when called (start-up stays light)
    from ledgerdesk.store.writes import VersionedWriter

from ledgerdesk.core.clock import Clock, SystemClock
from ledgerdesk.core.errors import (
    BackupFailedError,
    LedgerExistsError,
    LedgerNotFoundError,
    NotALedgerError,
    SchemaTooNewError,
)
from ledgerdesk.core.ids import new_site_id
from ledgerdesk.core.machine import machine_fingerprint
from ledgerdesk.store import encryption, migrations
from ledgerdesk.store.encryption import is_encrypted  # noqa: F401 — part of this module's API (TRUST_API.md)
from ledgerdesk.store.models import ALL_MODELS, Meta

MEMORY = ":memory:"

PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "synchronous": 2,  # FULL: a laptop that loses power keeps every committed ledger write
    "busy_timeout": 5000,
    # 16 MiB per connection (the GUI thread and the worker each have one): reads of a county
    # ledger run as fast as with 64 MiB, the operating system caches the file anyway, and
    # the app stays within its memory budget (quality.md: 300 MB with every page open).
    "cache_size": -16384,
    "temp_store": 2,  # memory
}


def preflight(path: Path) -> int:
    """Check, read-only, that ``path`` is a plain ledger this version can open; returns its schema version."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            app_id, version, tables = migrations.ledger_facts(conn)
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise NotALedgerError(f"“{path}”不是台账数据库文件，或文件已损坏（{exc}）") from exc
    return _check_ledger(path, app_id, version, tables)


def preflight_encrypted(path: Path, passphrase: str | None) -> tuple[str, int]:
    """:func:`preflight` for an encrypted file: (its key, its schema version).

    PassphraseRequiredError / WrongPassphraseError before anything is written.
    """
    key, app_id, version, tables = encryption.unlock(path, passphrase)
    return key, _check_ledger(path, app_id, version, tables)


def _check_ledger(path: Path, app_id: int, version: int, tables: int) -> int:
    if app_id != migrations.APPLICATION_ID and (app_id != 0 or tables):
        raise NotALedgerError(f"“{path}”不是 LedgerDesk 台账数据库")
    latest = migrations.latest_version()
    if version > latest:
        raise SchemaTooNewError(
            f"此台账由更新版本的 LedgerDesk 创建（数据库第 {version} 版，本程序支持到第 {latest} 版），"
            "请升级软件后再打开；文件未做任何改动")
    return version


class Ledger:
    """An open ledger database. Use :meth:`open`, :meth:`create` or :meth:`memory`."""

    def __init__(self, path: str, db: SqliteDatabase, clock: Clock, *, cipher_key: str | None = None):
        self.path = path
        self.db = db
        self.clock = clock
        # SECRET, for an encrypted ledger: SQLCipher's raw key (see store/encryption.py); None for a plain one.
        # Backups and verification key their connections with it; never log or show it.
        self.cipher_key = cipher_key
        self._local = threading.local()
        self.site_id = ""

    @property
    def encrypted(self) -> bool:
        return self.cipher_key is not None

    # -- opening -------------------------------------------------------------

    @classmethod
    def open(cls, path: str | os.PathLike, *, passphrase: str | None = None, clock: Clock | None = None,
             create: bool = False, pragmas: dict | None = None) -> "Ledger":
        """Open (and upgrade) the ledger at ``path``; with ``create``, make it if missing.

        An encrypted file needs its ``passphrase`` (PassphraseRequiredError,
        WrongPassphraseError; nothing is written before it is checked); a plain
        file ignores one. A file made here (``create``) is encrypted when a
        ``passphrase`` is given.
        """
        p = Path(path)
        key = None
        if p.exists():
            if encryption.is_encrypted(p):
                key, _ = preflight_encrypted(p, passphrase)
            else:
                preflight(p)
        elif not create:
            raise LedgerNotFoundError(f"找不到台账文件“{p}”")
        else:
            if passphrase is not None:
                key = encryption.new_key(passphrase)
            p.parent.mkdir(parents=True, exist_ok=True)
        options = dict(pragmas={**PRAGMAS, **(pragmas or {})}, lock_type="IMMEDIATE", check_same_thread=False)
        db = encryption.cipher_database(str(p), key, **options) if key else SqliteDatabase(str(p), **options)
        ledger = cls(str(p.resolve()), db, clock or SystemClock(), cipher_key=key)
        ledger._initialise()
        return ledger

    @classmethod
    def create(cls, path: str | os.PathLike, *, passphrase: str | None = None, clock: Clock | None = None,
               pragmas: dict | None = None) -> "Ledger":
        """Make a new, empty ledger at ``path`` (encrypted with ``passphrase`` if given); refuses to overwrite a file."""
        if Path(path).exists():
            raise LedgerExistsError(f"文件“{path}”已存在，不会覆盖")
        return cls.open(path, passphrase=passphrase, clock=clock, create=True, pragmas=pragmas)

    @classmethod
    def memory(cls, *, clock: Clock | None = None) -> "Ledger":
        """An empty in-memory ledger (tests). Single-threaded: each thread would see its own."""
        db = SqliteDatabase(MEMORY, pragmas={k: v for k, v in PRAGMAS.items() if k != "journal_mode"},
                            lock_type="IMMEDIATE")
        ledger = cls(MEMORY, db, clock or SystemClock())
        ledger._initialise()
        return ledger

    def _initialise(self) -> None:
        conn = self.db.connection()
        try:
            migrations.migrate(conn, backup_hook=self._backup_before_migration)
        except Exception:
            self.db.close()
            raise
        self.bind()
        self._settle_site()

    def _settle_site(self) -> None:
        anchor = hashlib.sha256(f"{machine_fingerprint()}\0{self.path}".encode()).hexdigest()[:32]
        with self.db.atomic():
            site = self.get_meta("site_id")
            if site and (self.path == MEMORY or self.get_meta("site_anchor") == anchor):
                self.site_id = site
                return
            if site:
                self.site_id = site
                self.start_new_site()
            else:
                self.site_id = new_site_id()
                self.set_meta("site_id", self.site_id)
            self.set_meta("site_anchor", anchor)

    def start_new_site(self) -> None:
        """Continue under a fresh site id (this file's id turned out to be shared with a clone).

        Call inside a write transaction; the old id goes to ``site_history``.
        """
        history = json.loads(self.get_meta("site_history") or "[]")
        history.append(self.site_id)
        self.set_meta("site_history", json.dumps(history))
        self.site_id = new_site_id()
        self.set_meta("site_id", self.site_id)

    def close(self) -> None:
        if not self.db.is_closed():
            self.db.close()

    # -- binding and transactions --------------------------------------------

    def bind(self) -> None:
        """Point the peewee models at this ledger (one ledger is active at a time)."""
        if Meta._meta.database is not self.db:
            self.db.bind(ALL_MODELS, bind_refs=False, bind_backrefs=False)

    @contextmanager
    def reading(self) -> Iterator[None]:
        """A consistent snapshot for several queries (a deferred read transaction)."""
        self.bind()
        if self.db.in_transaction():
            yield
            return
        with self.db.atomic("DEFERRED"):
            yield

    @contextmanager
    def writing(self, author: str) -> Iterator["VersionedWriter"]:
        """One write transaction; every change inside goes through the yielded writer.

        Nested calls on the same thread join the outer transaction, so a
        service built from other services is still one transaction.
        """
        from ledgerdesk.store.writes import VersionedWriter

        current = getattr(self._local, "writer", None)
        if current is not None:
            yield current
            return
        self.bind()
        with self.db.atomic():
            writer = VersionedWriter(self, author)
            self._local.writer = writer
            try:
                yield writer
                writer.finish()
            finally:
                self._local.writer = None

    # -- local metadata ----------------------------------------------------------

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self.db.execute_sql("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute_sql(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))

    @property
    def schema_version(self) -> int:
        return self.db.execute_sql("PRAGMA user_version").fetchone()[0]

    def _backup_before_migration(self, version: int) -> None:
        """Before an existing ledger file is upgraded: copy it, still at ``version``, into ``备份/``.

        Named like every other backup (services/backup.py lists and rotates them); if the copy
        cannot be written the upgrade does not start and the file is left as it was.
        """
        if self.path == MEMORY:
            return
        try:
            target = backup_target(self.path, f"升级前第{version}版", self.clock.now())
            copy_database(self.db.connection(), target, key=self.cipher_key)
        except (OSError, sqlite3.Error) as exc:
            raise BackupFailedError(f"升级数据库前的自动备份没有成功（{exc}），台账未做任何改动；"
                                    "请检查“备份”文件夹所在磁盘的空间和写入权限后再打开") from exc


# -- backup copies (services/backup.py names, lists, rotates and restores them) ------------------

BACKUP_FOLDER = "备份"  # next to the ledger file
BACKUP_SUFFIX = ".ldbak"
_COPY_STEP_PAGES = 2048


def backup_target(ledger_path: str | os.PathLike, reason: str, when) -> Path:
    """A new file ``备份/<ledger name>-<YYYYmmdd-HHMMSS>-<reason>[-n].ldbak`` next to the ledger (folder made)."""
    folder = Path(ledger_path).parent / BACKUP_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    _remove_stale_parts(folder)
    base = f"{Path(ledger_path).stem}-{when:%Y%m%d-%H%M%S}-{reason}"
    taken = [p.name[len(base):-len(BACKUP_SUFFIX)] for p in folder.glob(f"{base}*{BACKUP_SUFFIX}")]
    counters = [1 if t == "" else int(t[1:]) for t in taken if t == "" or (t[:1] == "-" and t[1:].isdigit())]
    n = max(counters, default=0) + 1  # after every copy of that second, even when older ones were rotated out
    return folder / (f"{base}{BACKUP_SUFFIX}" if n == 1 else f"{base}-{n}{BACKUP_SUFFIX}")


def _remove_stale_parts(folder: Path, older_than_s: float = 600) -> None:
    """Remove half-written copies a killed process left behind (a copy still being written is younger)."""
    cutoff = time.time() - older_than_s
    for part in folder.glob(f"*{BACKUP_SUFFIX}.part*"):
        try:
            if part.stat().st_mtime < cutoff:
                part.unlink()
        except OSError:
            pass


def copy_database(conn, target: str | os.PathLike, *, key: str | None = None, progress=None) -> Path:
    """Copy the committed state of the database behind ``conn`` to the new file ``target``: THE copy step
    of every backup (before imports, migrations and restores, daily, by hand) and of a restore.

    SQLite's online backup (consistent while the ledger is open and in use) into ``target.part``,
    switched to a rollback journal so the copy is one self-contained file, fsynced, then renamed
    into place. ``key``: the source's SQLCipher key; the copy is encrypted with it (a backup is
    never less protected than its ledger). ``progress(done_pages, total_pages)`` after each step.
    ``conn`` must not be inside a write transaction (SQLite would wait for it forever).
    """
    target = Path(target)
    temp = target.with_name(target.name + ".part")
    leftovers = [temp, *(temp.with_name(temp.name + s) for s in ("-journal", "-wal", "-shm"))]
    for path in leftovers:
        path.unlink(missing_ok=True)
    try:
        dest = encryption.copy_target(temp, key)
        try:
            if progress is None:
                conn.backup(dest)
            else:
                conn.backup(dest, pages=_COPY_STEP_PAGES,
                            progress=lambda _status, remaining, total: progress(total - remaining, total))
            dest.execute("PRAGMA journal_mode = DELETE")
        finally:
            dest.close()
        with open(temp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(temp, target)
    except BaseException:
        for path in leftovers:
            path.unlink(missing_ok=True)
        raise
    fsync_folder(target.parent)
    return target


def fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (POSIX; Windows has no directory handles to sync)."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
