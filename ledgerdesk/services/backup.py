"""Backups of a ledger file and restoring one (quality.md, "Trust: backups").

**When.** A backup is taken automatically before every import that writes
(sync files: ``同步导入``; Excel: ``导入花名册``, ``导入问题台账``, ``导入六会``),
before a schema upgrade of an existing ledger (``升级前第N版``, taken by
``Ledger.open`` of the file as it was, store/database.py), before a restore
(``恢复前``: the ledger being replaced), daily on the first start of the
window each day (``每日``, :func:`daily_backup_if_due`; the command line takes
none, scripts run it too often), and by hand (``手动``: ``ledgerdesk backup``,
the 立即备份 button).

**Where.** ``备份/<ledger name>-<YYYYmmdd-HHMMSS>-<reason>.ldbak`` next to the
ledger file. Each is an ordinary ledger database in one self-contained file
(SQLite's online backup, consistent while the ledger is in use; rollback
journal, so no ``-wal`` beside it), encrypted with the ledger's key when the
ledger is encrypted. ``ledgerdesk backup --out F`` writes one elsewhere (never
rotated). An in-memory ledger has no backups.

**Rotation**, two pools, each keeping the newest ``backup.keep`` copies
(setting, default 10): the daily backups (so ten days of history survive a
busy day of imports), and all the others together (imports, upgrades,
restores, by hand). A pool is trimmed when a backup of that pool is taken.

**Restore** (:func:`restore`): the backup is copied next to the ledger and the
copy verified (a LedgerDesk ledger, not from a newer version, ``PRAGMA
integrity_check``, every row equal to the fold of its version log, the same
township as the ledger it replaces) before anything else happens; a file that
fails is refused with one Chinese sentence and nothing changes. Then the
current ledger is backed up (``恢复前``), its write-ahead log checkpointed and
closed, and the verified copy renamed over it (atomic; fsynced). The restored
file keeps every row as in the backup (its ``digest`` equals the backup's) but
takes a NEW site id when it is next opened: it must not number new versions
with its old site id, whose later numbers its old self may already have sent
to other devices (sync.md, "cloned device").
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ledgerdesk.core.errors import (
    BackupDamagedError,
    BackupFailedError,
    Cancelled,
    ForeignBackupError,
    LedgerExistsError,
    LedgerDeskError,
    LedgerInUseError,
    NotALedgerError,
    NotFoundError,
    PassphraseRequiredError,
    SchemaTooNewError,
    UsageError,
    WrongPassphraseError,
)
from ledgerdesk.services.permissions import ADMIN, require
from ledgerdesk.store import encryption
from ledgerdesk.store.database import (
    BACKUP_FOLDER,
    BACKUP_SUFFIX,
    MEMORY,
    backup_target,
    copy_database,
    fsync_folder,
    preflight,
    preflight_encrypted,
)
from ledgerdesk.store.migrations import APPLICATION_ID, latest_version, ledger_facts

KEEP_SETTING = "backup.keep"
DEFAULT_KEEP = 10
SUFFIX = BACKUP_SUFFIX

DAILY = "每日"
MANUAL = "手动"
BEFORE_RESTORE = "恢复前"
SYNC_IMPORT = "同步导入"
ROSTER_IMPORT = "导入花名册"
LEDGER_IMPORT = "导入问题台账"
COMMITTEE_IMPORT = "导入六会"

Progress = Callable[[str, float], None]  # (label, fraction 0..1), as ui/tasks.py jobs report
CancelCheck = Callable[[], bool]


@dataclass(frozen=True)
class BackupInfo:
    """One backup in a ledger's ``备份`` folder."""

    path: Path
    taken_at: dt.datetime
    reason: str
    size: int  # bytes
    counter: int = 1  # 2, 3 … for several backups within one second
    modified_ns: int = 0  # orders backups of the same second

    @property
    def daily(self) -> bool:
        return self.reason == DAILY


def backup_folder(ledger) -> Path:
    """The ``备份`` folder next to the ledger file of ``ledger`` (a Ledger, or a path)."""
    return Path(getattr(ledger, "path", ledger)).parent / BACKUP_FOLDER


def list_backups(ledger_path: str | os.PathLike) -> list[BackupInfo]:
    """The backups of the ledger file ``ledger_path`` in its ``备份`` folder, newest first."""
    path = Path(ledger_path)
    folder = path.parent / BACKUP_FOLDER
    if not folder.is_dir():
        return []
    found = []
    for candidate in folder.iterdir():
        info = _parse(candidate, path.stem)
        if info is not None:
            found.append(info)
    return sorted(found, key=lambda b: (b.taken_at, b.counter, b.modified_ns, b.path.name), reverse=True)


def _parse(path: Path, stem: str) -> BackupInfo | None:
    m = re.fullmatch(re.escape(stem) + r"-(\d{8}-\d{6})-(.+?)(?:-(\d+))?" + re.escape(SUFFIX), path.name)
    if m is None:
        return None
    try:
        taken = dt.datetime.strptime(m.group(1), "%Y%m%d-%H%M%S")
        stat = path.stat()
    except (ValueError, OSError):
        return None
    return BackupInfo(path, taken, m.group(2), stat.st_size, int(m.group(3) or 1), stat.st_mtime_ns)


def backup_info(path: str | os.PathLike) -> BackupInfo:
    """What a backup file's name says (time, reason), for any file: one not named like a backup shows its
    modification time and an empty reason."""
    path = Path(path)
    m = re.fullmatch(r"(.+)-(\d{8}-\d{6})-(.+?)(?:-(\d+))?" + re.escape(SUFFIX), path.name)
    if m is not None:
        info = _parse(path, m.group(1))
        if info is not None:
            return info
    stat = path.stat()
    return BackupInfo(path, dt.datetime.fromtimestamp(stat.st_mtime).replace(microsecond=0), "", stat.st_size)


def keep_count(session) -> int:
    """How many backups each pool keeps: the setting ``backup.keep`` (default 10)."""
    return _keep(session)


def describe(info: BackupInfo) -> str:
    """One line for a person: “2026-11-20 09:30 每日备份（108.7 MB）”."""
    return f"{info.taken_at:%Y-%m-%d %H:%M} {reason_label(info.reason)}（{human_size(info.size)}）"


def reason_label(reason: str) -> str:
    if not reason:
        return "备份文件"
    if reason == DAILY:
        return "每日自动备份"
    if reason == MANUAL:
        return "手动备份"
    if reason == BEFORE_RESTORE:
        return "恢复前自动备份"
    return f"{reason}自动备份"


def human_size(size: int) -> str:
    if size >= 1024 ** 3:
        return f"{size / 1024 ** 3:.1f} GB"
    if size >= 1024 ** 2:
        return f"{size / 1024 ** 2:.1f} MB"
    return f"{max(size, 1) / 1024:.0f} KB"


# -- taking backups ---------------------------------------------------------------------------


def backup_now(session, reason: str, *, keep: int | None = None, progress: Progress | None = None) -> Path | None:
    """Copy the ledger of ``session`` into its backup folder and trim that reason's pool; returns the copy
    (None for a memory ledger). Must run outside a write transaction (the copy is of committed data)."""
    ledger = session.ledger
    if ledger.path == MEMORY:
        return None
    try:
        target = backup_target(ledger.path, reason, ledger.clock.now())
    except OSError as exc:
        raise _failed(exc, backup_folder(ledger)) from exc
    _copy_database(ledger, target, progress)
    _rotate(ledger.path, keep if keep is not None else _keep(session), daily=reason == DAILY)
    return target


def backup_to(session, target: str | os.PathLike, *, progress: Progress | None = None) -> Path:
    """Copy the ledger of ``session`` to the new file ``target`` (``backup --out``); never overwrites."""
    target = Path(target)
    if target.exists():
        raise LedgerExistsError(f"文件“{target}”已存在，不会覆盖；请换一个文件名")
    if session.ledger.path == MEMORY:
        raise UsageError("内存中的台账不能备份")
    if not target.parent.is_dir():
        raise BackupFailedError(f"备份没有成功：文件夹“{target.parent}”不存在")
    return _copy_database(session.ledger, target, progress)


def daily_backup_if_due(session, *, progress: Progress | None = None) -> Path | None:
    """The daily backup, if this ledger has none from today yet (by the ledger's clock); else None.

    Called once when the window has opened a ledger (ui/app.py), on the worker.
    """
    ledger = session.ledger
    if ledger.path == MEMORY:
        return None
    today = ledger.clock.today()
    if any(b.daily and b.taken_at.date() == today for b in list_backups(ledger.path)):
        return None
    return backup_now(session, DAILY, progress=progress)


def _copy_database(ledger, target: Path, progress: Progress | None = None) -> Path:
    """The one copy step of every backup of an open ledger: store.database.copy_database on this thread's
    connection, keyed like the ledger (an encrypted ledger's backups are encrypted with its key)."""
    if ledger.db.in_transaction() or ledger.db.connection().in_transaction:
        raise RuntimeError("a backup must not be taken inside a write transaction")
    pages = None
    if progress is not None:
        progress("正在备份台账…", 0.0)
        pages = lambda done, total: progress("正在备份台账…", done / total if total else 1.0)  # noqa: E731
    try:
        return copy_database(ledger.db.connection(), target, key=getattr(ledger, "cipher_key", None),
                             progress=pages)
    except (OSError, sqlite3.Error) as exc:
        raise _failed(exc, target.parent) from exc


def _failed(exc: BaseException, folder: Path) -> BackupFailedError:
    return BackupFailedError(f"备份没有成功（{exc}），台账未做任何改动；请检查“{folder}”所在磁盘的空间和写入权限")


def _keep(session) -> int:
    from ledgerdesk.services.registry_common import setting_int

    n = setting_int(session, KEEP_SETTING)
    return n if n > 0 else DEFAULT_KEEP


def _rotate(ledger_path, keep: int, *, daily: bool) -> None:
    """Keep the newest ``keep`` backups of the pool (daily, or all the others); ``keep`` <= 0 keeps all."""
    folder = Path(ledger_path).parent / BACKUP_FOLDER
    stale = dt.datetime.now().timestamp() - 3600
    for part in folder.glob(f"{Path(ledger_path).stem}-*{SUFFIX}.part"):  # a copy cut short (power loss, kill)
        try:
            if part.stat().st_mtime < stale:
                part.unlink()
        except OSError:
            pass
    if keep <= 0:
        return
    pool = [b for b in list_backups(ledger_path) if b.daily == daily]
    for old in pool[keep:]:
        old.path.unlink(missing_ok=True)


# -- restoring --------------------------------------------------------------------------------


def may_restore(session) -> bool:
    """Restoring rewinds everyone's work to the backup's day: the administrator only."""
    return session.role == ADMIN


def require_restore(session) -> None:
    """PermissionDeniedError unless :func:`may_restore`."""
    require(session, frozenset({ADMIN}), "从备份恢复台账")


class _RawDb:
    """What store/verify.replay_mismatches needs of a database: ``connection()``."""

    def __init__(self, conn):
        self._conn = conn

    def connection(self):
        return self._conn


class _Steps:
    def __init__(self, progress: Progress | None, cancel: CancelCheck | None):
        self.progress, self.cancel = progress, cancel

    def __call__(self, label: str, fraction: float) -> None:
        if self.cancel is not None and self.cancel():
            raise Cancelled("已取消恢复，台账未做任何改动")
        if self.progress is not None:
            self.progress(label, fraction)


def restore(backup_path: str | os.PathLike, ledger_path: str | os.PathLike, *, passphrase: str | None = None,
            key: str | None = None, progress: Progress | None = None,
            cancel: CancelCheck | None = None) -> Path | None:
    """Replace the ledger file ``ledger_path`` by the backup ``backup_path``, verified first.

    Returns the backup taken of the replaced ledger (``恢复前``; None when there
    was no ledger file). The ledger must be closed (every connection, in every
    thread): an open one is refused (:class:`LedgerInUseError`) and nothing
    changes. Refusals, each with nothing changed: NotFoundError (no such
    file), NotALedgerError (not a LedgerDesk file, or unreadable),
    SchemaTooNewError (from a newer LedgerDesk), BackupDamagedError (integrity
    or version-log check fails), ForeignBackupError (another township's
    ledger), PassphraseRequiredError / WrongPassphraseError (an encrypted
    backup). ``cancel()`` is honoured until the file is replaced. An encrypted
    backup or ledger opens with ``key`` (the open ledger's ``cipher_key``: its
    backups share it) or else with ``passphrase``.

    Site id: the copy's ``site_anchor`` is removed before it replaces the ledger,
    so the next :meth:`Ledger.open` (store/database.py ``_settle_site``) sees a
    file it cannot vouch for and continues under a fresh site id, keeping the
    old one in ``site_history``. The backup's site id issued, after the backup
    was taken, version numbers that other devices may already hold; numbering
    new versions from the backup's last number would reissue them with other
    content, the cloned-device case of sync.md.
    """
    backup_path, ledger_path = Path(backup_path), Path(ledger_path).absolute()
    step = _Steps(progress, cancel)
    if not backup_path.is_file():
        raise NotFoundError(f"找不到备份文件“{backup_path}”")
    if ledger_path.exists() and os.path.samefile(backup_path, ledger_path):
        raise UsageError("备份文件就是当前台账文件本身，不能用它恢复")
    step("正在检查备份文件…", 0.0)
    secret = (key, passphrase)
    key = _backup_key(backup_path, *secret)
    secret = (_refuse_locked(ledger_path, secret) or secret[0], passphrase)  # derive the ledger's key once
    _close_out(ledger_path, secret, saved=False)  # refuse an open ledger before doing anything
    ledger_path.parent.mkdir(parents=True, exist_ok=True)
    staged = ledger_path.with_name(f"{ledger_path.name}.restoring")
    try:
        _stage(backup_path, staged, key, ledger_path, secret, step)
        step("正在备份当前台账…", 0.75)
        saved = _backup_current(ledger_path, secret) if ledger_path.exists() else None
        step("正在替换台账文件…", 0.95)
        _close_out(ledger_path, secret, saved=saved is not None)
        os.replace(staged, ledger_path)
        fsync_folder(ledger_path.parent)
    finally:
        for leftover in (staged, *(staged.with_name(staged.name + s) for s in ("-journal", "-wal", "-shm"))):
            leftover.unlink(missing_ok=True)
    if progress is not None:
        progress("恢复完成", 1.0)
    return saved


def _backup_key(path: Path, key: str | None, passphrase: str | None) -> str | None:
    """The backup's SQLCipher key (None when plain) after store.database's read-only preflight."""
    try:
        if not encryption.is_encrypted(path):
            key, version = None, preflight(path)
        elif key is not None and _opens(path, key):
            version = _preflight_with_key(path, key)
        else:
            key, version = preflight_encrypted(path, passphrase)
    except NotALedgerError as exc:
        if isinstance(exc.__cause__, sqlite3.DatabaseError) and _sqlite_header(path):
            raise BackupDamagedError(f"备份文件“{path.name}”已损坏，无法读取（{exc.__cause__}），不能用它恢复；"
                                     "台账未做任何改动，请换一个备份") from None
        raise NotALedgerError(f"{exc.message}；不能用它恢复，台账未做任何改动") from None
    if version == 0:
        raise NotALedgerError(f"“{path}”不是 LedgerDesk 台账的备份（空数据库）；不能用它恢复，台账未做任何改动")
    return key


def _refuse_locked(ledger_path: Path, secret) -> str | None:
    """An encrypted ledger is only replaced when it opens (so it can be backed up, and be seen to be closed);
    returns its key (None for a plain or missing ledger)."""
    if not ledger_path.exists() or not encryption.is_encrypted(ledger_path):
        return None
    opened = _open_current(ledger_path, secret)
    if opened is not None:
        opened[0].close()
        return opened[1]
    error = WrongPassphraseError if secret[1] else PassphraseRequiredError
    raise error(f"当前台账“{ledger_path.name}”已加密，恢复前须先备份它，需要它的数据库密码（命令行：环境变量 "
                f"{encryption.ENV_PASSPHRASE}）；台账未做任何改动。如果密码已遗失，可先把该文件移到别处再恢复")


def _sqlite_header(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(16) == encryption.SQLITE_HEADER


def _opens(path: Path, key: str) -> bool:
    try:
        conn = encryption.connect(path, key, readonly=True)
    except sqlite3.Error:
        return False
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return True
    except sqlite3.Error:
        return False
    finally:
        conn.close()


def _preflight_with_key(path: Path, key: str) -> int:
    """store.database's preflight checks of an encrypted file that ``key`` opens; its schema version."""
    conn = encryption.connect(path, key, readonly=True)
    try:
        app_id, version, tables = ledger_facts(conn)
    finally:
        conn.close()
    if app_id != APPLICATION_ID and (app_id != 0 or tables):
        raise NotALedgerError(f"“{path}”不是 LedgerDesk 台账数据库")
    if version > latest_version():
        raise SchemaTooNewError(f"此备份由更新版本的 LedgerDesk 创建（数据库第 {version} 版，本程序支持到第 "
                                f"{latest_version()} 版），请升级软件后再恢复；台账未做任何改动")
    return version


def _stage(backup_path: Path, staged: Path, key: str | None, ledger_path: Path, secret, step: _Steps) -> None:
    """Copy the backup to ``staged`` and verify the copy; BackupDamagedError / ForeignBackupError otherwise."""
    from ledgerdesk.store.verify import replay_mismatches

    name = backup_path.name
    try:
        step("正在复制备份文件…", 0.05)
        # read-write (a read-only file still opens): its close removes the -wal/-shm a WAL-mode file gets on reading
        source = encryption.connect(backup_path, key)
        try:
            copy_database(source, staged, key=key,
                          progress=lambda done, total: step("正在复制备份文件…", 0.05 + 0.25 * done / max(total, 1)))
        finally:
            source.close()
        conn = encryption.connect(staged, key)
        try:
            step("正在检查备份文件的完整性…", 0.3)
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            if app_id != APPLICATION_ID:
                raise NotALedgerError(f"“{name}”不是 LedgerDesk 台账的备份，未做任何改动")
            problems = [r[0] for r in conn.execute("PRAGMA integrity_check(5)").fetchall() if r[0] != "ok"]
            if problems:
                raise BackupDamagedError(f"备份文件“{name}”已损坏（完整性检查：{problems[0]}），不能用它恢复；"
                                         "台账未做任何改动，请换一个备份")
            step("正在核对备份中的数据与版本记录…", 0.45)
            mismatches = replay_mismatches(_RawDb(conn), limit=3)
            if mismatches:
                m = mismatches[0]
                raise BackupDamagedError(f"备份文件“{name}”中的数据与其修改记录不一致（{m.table} {m.entity_id}），"
                                         "可能已损坏或被改动，不能用它恢复；台账未做任何改动，请换一个备份")
            _refuse_foreign(conn, name, ledger_path, secret)
            conn.execute("DELETE FROM meta WHERE key = 'site_anchor'")  # a new site id at the next open
        finally:
            conn.close()
        with open(staged, "rb") as fh:
            os.fsync(fh.fileno())
    except sqlite3.DatabaseError as exc:
        raise BackupDamagedError(f"备份文件“{name}”已损坏，无法读取（{exc}），不能用它恢复；台账未做任何改动") from exc


def _township(conn) -> tuple[str | None, str]:
    row = conn.execute("SELECT value FROM meta WHERE key = 'township_id'").fetchone()
    if not row or not row[0]:
        return None, ""
    name = conn.execute("SELECT name FROM township WHERE id = ?", (row[0],)).fetchone()
    return row[0], name[0] if name else ""


def _open_current(ledger_path: Path, secret, *, readonly: bool = False):
    """(raw connection, key) to the ledger being replaced, keyed when encrypted; None when it cannot be read.

    ``secret``: (key, passphrase) as given to :func:`restore`.
    """
    key, passphrase = secret
    if encryption.is_encrypted(ledger_path):
        if key is None or not _opens(ledger_path, key):
            if not passphrase:
                return None
            try:
                key = encryption.derive_key(passphrase, encryption.file_salt(ledger_path))
            except LedgerDeskError:
                return None
    else:
        key = None
    conn = None
    try:
        conn = encryption.connect(ledger_path, key, readonly=readonly)
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return conn, key
    except (sqlite3.Error, OSError, ValueError, LedgerDeskError):
        if conn is not None:
            conn.close()
        return None


def _refuse_foreign(conn, name: str, ledger_path: Path, secret) -> None:
    """ForeignBackupError when the backup and the ledger it would replace belong to different townships."""
    if not ledger_path.exists():
        return
    theirs, their_name = _township(conn)
    opened = _open_current(ledger_path, secret)  # not read-only: a read-only close would leave -wal/-shm behind
    if opened is None or theirs is None:
        return  # an unreadable ledger may be replaced by any ledger's backup
    current, _ = opened
    try:
        ours, our_name = _township(current)
    except sqlite3.Error:
        return
    finally:
        current.close()
    if ours is not None and ours != theirs:
        raise ForeignBackupError(f"备份文件“{name}”是另一个台账（{their_name or '其他乡镇'}）的备份，"
                                 f"不是本台账（{our_name}）的，不能用它恢复；台账未做任何改动")


def _backup_current(ledger_path: Path, secret) -> Path:
    """``恢复前``: the ledger about to be replaced, into its backup folder (a byte copy if it is unreadable)."""
    target = backup_target(ledger_path, BEFORE_RESTORE, dt.datetime.now())
    opened = _open_current(ledger_path, secret)
    try:
        if opened is not None:
            conn, key = opened
            try:
                copy_database(conn, target, key=key)
                keep = _keep_raw(conn)
            finally:
                conn.close()
        else:  # damaged, or encrypted with a passphrase we do not have: keep its bytes as they are
            keep = DEFAULT_KEEP
            shutil.copyfile(ledger_path, target)
            wal = ledger_path.with_name(ledger_path.name + "-wal")
            if wal.exists():
                shutil.copyfile(wal, target.with_name(target.name + "-wal"))
    except (OSError, sqlite3.Error) as exc:
        raise BackupFailedError(f"恢复前备份当前台账没有成功（{exc}），没有恢复，台账未做任何改动") from exc
    _rotate(ledger_path, keep, daily=False)
    return target


def _keep_raw(conn) -> int:
    try:
        row = conn.execute("SELECT value FROM setting WHERE key = ? AND deleted = 0 ORDER BY id LIMIT 1",
                           (KEEP_SETTING,)).fetchone()
        n = int(str(row[0]).strip()) if row else 0
    except (sqlite3.Error, ValueError):
        n = 0
    return n if n > 0 else DEFAULT_KEEP


def _close_out(ledger_path: Path, secret, *, saved: bool) -> None:
    """Make sure nobody else has the ledger open, and that its write-ahead log is in the file.

    The last connection to close checkpoints the log into the file and removes
    ``-wal`` and ``-shm``; so we open and close one: if the ``-wal`` is still
    there, another window or program has the ledger open (replacing the file
    under it would mix its log into the restored file): LedgerInUseError,
    nothing replaced, nothing written.
    """
    if not ledger_path.exists():
        return
    wal = ledger_path.with_name(ledger_path.name + "-wal")
    shm = ledger_path.with_name(ledger_path.name + "-shm")
    opened = _open_current(ledger_path, secret)
    if opened is not None:
        opened[0].close()
        if wal.exists():
            raise LedgerInUseError(f"台账“{ledger_path.name}”正在被另一个窗口或程序使用，请先关闭它再恢复；"
                                   "台账未做任何改动" + ("（恢复前的备份已保存）" if saved else ""))
        shm.unlink(missing_ok=True)
    elif saved:  # an unreadable file: its log was copied with it (_backup_current) and goes with it
        wal.unlink(missing_ok=True)
        shm.unlink(missing_ok=True)
