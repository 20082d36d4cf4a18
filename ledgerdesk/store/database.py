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
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from peewee import SqliteDatabase

if TYPE_CHECKING:  # for the annotation only; writing() imports it when called (start-up stays light)
    from ledgerdesk.store.writes import VersionedWriter

from ledgerdesk.core.clock import Clock, SystemClock
from ledgerdesk.core.errors import (
    LedgerExistsError,
    LedgerNotFoundError,
    NotALedgerError,
    SchemaTooNewError,
)
from ledgerdesk.core.ids import new_site_id
from ledgerdesk.core.machine import machine_fingerprint
from ledgerdesk.store import migrations
from ledgerdesk.store.models import ALL_MODELS, Meta

MEMORY = ":memory:"

PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "synchronous": 2,  # FULL: a laptop that loses power keeps every committed ledger write
    "busy_timeout": 5000,
    "cache_size": -65536,  # 64 MiB
    "temp_store": 2,  # memory
}


def preflight(path: Path) -> int:
    """Check, read-only, that ``path`` is a ledger this version can open; returns its schema version."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise NotALedgerError(f"“{path}”不是台账数据库文件，或文件已损坏（{exc}）") from exc
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

    def __init__(self, path: str, db: SqliteDatabase, clock: Clock):
        self.path = path
        self.db = db
        self.clock = clock
        self._local = threading.local()
        self.site_id = ""

    # -- opening -------------------------------------------------------------

    @classmethod
    def open(cls, path: str | os.PathLike, *, clock: Clock | None = None, create: bool = False,
             pragmas: dict | None = None) -> "Ledger":
        """Open (and upgrade) the ledger at ``path``; with ``create``, make it if missing."""
        p = Path(path)
        if p.exists():
            preflight(p)
        elif not create:
            raise LedgerNotFoundError(f"找不到台账文件“{p}”")
        else:
            p.parent.mkdir(parents=True, exist_ok=True)
        db = SqliteDatabase(str(p), pragmas={**PRAGMAS, **(pragmas or {})},
                            lock_type="IMMEDIATE", check_same_thread=False)
        ledger = cls(str(p.resolve()), db, clock or SystemClock())
        ledger._initialise()
        return ledger

    @classmethod
    def create(cls, path: str | os.PathLike, *, clock: Clock | None = None, pragmas: dict | None = None) -> "Ledger":
        """Make a new, empty ledger at ``path``; refuses to overwrite a file."""
        if Path(path).exists():
            raise LedgerExistsError(f"文件“{path}”已存在，不会覆盖")
        return cls.open(path, clock=clock, create=True, pragmas=pragmas)

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
            migrations.migrate(conn)
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
