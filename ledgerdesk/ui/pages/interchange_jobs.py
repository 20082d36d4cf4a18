"""What the 数据交换 page runs on the database worker, and the small facts its parts share.

* :func:`sync_job` turns a sync service call (``progress(done, total, label)``,
  ledgerdesk/sync/exchange.py) into a worker job (``progress(label, fraction)``,
  ``cancel()``: ui/tasks.py); a cancel request raises
  :class:`~ledgerdesk.core.errors.Cancelled` at the service's next progress report,
  which rolls its transaction back.
* :func:`load_overview` reads everything the page shows (enrolment, devices, alarms,
  imported files, open conflicts) in one job.
* :func:`refresh_other_pages` asks the other open pages of the main window to re-read
  their data after an import or a resolved conflict changed it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QCoreApplication, QSettings
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QWidget

from ledgerdesk.core.errors import Cancelled, LedgerDeskError
from ledgerdesk.services import permissions
from ledgerdesk.sync import conflicts as conflict_service
from ledgerdesk.sync import devices, exchange

ROLE_LABELS = {"office": "乡镇办公室", "laptop": "下乡笔记本", "county": "县里汇总"}
SYNC_FILTER = "LedgerDesk 同步文件 (*.ldsync);;所有文件 (*)"
KEY_FILTER = "LedgerDesk 设备配对文件 (*.ldkey);;所有文件 (*)"
FOLDER_KEY = "interchange/folder"  # QSettings: the folder last used for sync and key files
MONO_FAMILIES = ("WenQuanYi Micro Hei Mono", "DejaVu Sans Mono", "Monospace")


def tr(text: str) -> str:
    return QCoreApplication.translate("InterchangePage", text)


def role_label(role: str | None) -> str:
    return tr(ROLE_LABELS.get(role or "", role or ""))


def mono_font(point_size: int) -> QFont:
    font = QFont()
    font.setFamilies(list(MONO_FAMILIES))
    font.setStyleHint(QFont.StyleHint.Monospace)
    font.setPointSize(point_size)
    return font


def last_folder() -> Path:
    """The folder last used for sync or pairing files (the home folder at first)."""
    saved = QSettings().value(FOLDER_KEY)
    folder = Path(str(saved)) if saved else Path.home()
    return folder if folder.is_dir() else Path.home()


def remember_folder(path: str | Path) -> None:
    QSettings().setValue(FOLDER_KEY, str(Path(path).parent))


def may_edit(session) -> bool:
    """May import files and settle conflicts (the services check the same)."""
    return session.role in permissions.EDITORS


def may_manage_devices(session) -> bool:
    """May add, revoke and join devices: the administrator."""
    return session.role == permissions.ADMIN


def safe_file_part(text: str) -> str:
    """``text`` usable inside a file name on every system."""
    return re.sub(r'[\\/:*?"<>|\s]+', "_", text).strip("._") or "本机"


def default_sync_name(device_name: str | None, now: dt.datetime) -> str:
    """台账同步-<device>-<YYYYmmdd-HHMM>.ldsync"""
    return f"台账同步-{safe_file_part(device_name or '本机')}-{now:%Y%m%d-%H%M}.ldsync"


def sync_job(session, fn: Callable[..., Any], *args, **kwargs):
    """A worker job calling ``fn(session, *args, progress=…, **kwargs)``; closes the worker's connection."""

    def job(progress, cancel):
        def report(done: int, total: int, label: str) -> None:
            if cancel():
                raise Cancelled("已取消")
            progress(label, done / total if total else 1.0)

        try:
            return fn(session, *args, progress=report, **kwargs)
        finally:
            session.ledger.db.close()  # the worker thread's own connection

    return job


@dataclass
class Overview:
    """Everything the page shows, read in one go on the worker."""

    status: Any  # devices.GroupStatus
    devices: list = field(default_factory=list)  # devices.DeviceInfo
    alarms: list = field(default_factory=list)  # (at, kind, detail), newest first
    files: list = field(default_factory=list)  # ImportedFile
    conflicts: list = field(default_factory=list)  # conflicts.Conflict
    open_count: int = 0
    join_refusal: str | None = None  # why this ledger may not join a group (None: it may, or it is enrolled)
    key_problem: str | None = None  # enrolled, but this machine's keys for it are missing or do not fit


@dataclass(frozen=True)
class ImportedFile:
    """One row of 已导入的文件."""

    id: str  # the file id
    imported_at: str
    sender_name: str
    versions: int
    new_versions: int


def load_overview(session) -> Overview:
    status = devices.group_status(session)
    listed = devices.list_devices(session) if status.enrolled else []
    files = [ImportedFile(file_id, str(at), sender or "", int(versions or 0), int(new or 0))
             for at, sender, versions, new, file_id in exchange.imported_files(session)]
    refusal = key_problem = None
    if status.enrolled:
        try:
            devices.identity(session)
        except LedgerDeskError as exc:
            key_problem = exc.message
    else:
        try:
            with session.reading():
                devices.check_joinable(session)
        except LedgerDeskError as exc:
            refusal = tr("本台账已有数据。下乡笔记本要用一个新建、还没有任何数据的台账文件加入，"
                         "数据会在第一次导入办公室的同步文件时传来。") if exc.key == "sync-ledger-not-empty" else exc.message
    return Overview(status, listed, exchange.alarms(session), files, conflict_service.open_conflicts(session),
                    conflict_service.open_count(session), refusal, key_problem)


def refresh_other_pages(widget: QWidget) -> int:
    """Ask every other page built in ``widget``'s main window to re-read its data; returns how many.

    The main window has no change hook yet (architecture.md: "one hook refreshes the
    affected views"); until it has, each built page's own ``refresh()`` or ``reload()``
    is called. Pages not built yet read fresh data when first shown.
    """
    stack = getattr(widget.window(), "stack", None)
    if stack is None:
        return 0
    count = 0
    for index in range(stack.count()):
        page = stack.widget(index)
        if page is widget:
            continue
        method = getattr(page, "refresh", None) or getattr(page, "reload", None)
        if callable(method):
            method()
            count += 1
    return count
