"""Sync by exported file, as the CLI and the 数据交换 page use it: export, preview, import.

* **Export** writes what the destination has not acknowledged yet (each
  device's knowledge travels inside its files). Without ``to``, the
  destinations are the devices that have sent files here and, on the office
  (the group's authority), every enrolled device: one never heard from has
  acknowledged nothing, so it gets everything. ``full`` sends everything. It is signed with
  this device's key and encrypted with the township key (sync/bundle.py).
* **Preview** verifies the file and runs the whole merge inside a transaction
  that is rolled back: the counts it shows are exactly what the import does.
* **Import** verifies the signature and digest before parsing anything, takes
  an automatic backup, then applies every version in one transaction and
  records the file. The same file again changes nothing and says so; a file
  id seen before with other content is refused with an alarm.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ledgerdesk.core.errors import NotFoundError
from ledgerdesk.core.hlc import pack, unpack
from ledgerdesk.services.backup import backup_now
from ledgerdesk.services.ledger_numbers import assign_official_numbers, is_numbering_authority
from ledgerdesk.services.permissions import EDITORS, require
from ledgerdesk.sync import bundle, devices, knowledge as K, payload
from ledgerdesk.sync.errors import BundleDamagedError, FileIdReusedError
from ledgerdesk.sync.merge import MergeResult, merge

Progress = Callable[[int, int, str], None]

# A clock this far behind what arrives gets a warning (never a refusal: sync.md).
DRIFT_WARNING_MS = 10 * 60 * 1000


@dataclass(frozen=True)
class ExportResult:
    path: Path
    file_id: str
    versions: int
    size: int
    full: bool
    to: str | None
    message: str


@dataclass
class ImportReport:
    """What a file did (or, for a preview, would do) to this ledger."""

    file_id: str
    sender_name: str
    already_imported: bool = False
    applied: bool = False
    versions: int = 0
    new_versions: int = 0
    created: int = 0
    updated: int = 0
    conflicts: int = 0
    held: int = 0
    quarantined: int = 0
    flagged_problems: int = 0
    gaps: list[K.Gap] = field(default_factory=list)
    clock_warning: str | None = None
    alarms: list[str] = field(default_factory=list)
    backup: Path | None = None
    numbered: int = 0  # problems the office gave official ledger numbers to (services/ledger_numbers.py)

    @property
    def message(self) -> str:
        """One Chinese line for the user."""
        if self.already_imported:
            return f"此文件（来自“{self.sender_name}”）已经导入过，本次没有任何改动"
        verb = "已导入" if self.applied else "预览："
        text = (f"{verb}来自“{self.sender_name}”的文件：新增 {self.created} 条记录，更新 {self.updated} 条，"
                f"冲突待核实 {self.conflicts} 处")
        if self.new_versions == 0:
            text = f"来自“{self.sender_name}”的文件没有本机尚缺的修改，台账没有任何改动"
        if self.quarantined:
            text += f"；{self.quarantined} 条修改来自克隆设备，已隔离，未写入台账"
        if self.held:
            text += f"，{self.held} 条修改在等更早的文件"
        if self.numbered:
            text += f"，已为 {self.numbered} 个新问题编排正式台账编号"
        if self.gaps:
            text += f"；{self.gaps[0].describe()}"
        return text


# -- export ---------------------------------------------------------------------------------------


def export_bundle(session, out: Path, *, full: bool = False, to: str | None = None,
                  progress: Progress | None = None) -> ExportResult:
    """Write a sync file for the peers (or for ``to``, a device name) to ``out``."""
    me = devices.identity(session)
    anchor = devices.trust_anchor(session)
    db = session.ledger.db
    with session.reading():
        held = K.knowledge(db)
        peers = {d: p for d, p in K.peer_knowledge(db, anchor.revoked).items() if d != me.device_id}
        if devices.group_status(session).is_authority:
            # The office serves every enrolled device; one that never sent a file has acknowledged nothing.
            for d in devices.list_devices(session):
                if d.revoked_at is None and not d.is_self and d.id not in peers:
                    peers[d.id] = (d.name, {})
        if to is not None:
            peers = {d: p for d, p in peers.items() if p[0] == to}
            if db.execute_sql("SELECT 1 FROM device WHERE name = ? AND deleted = 0", (to,)).fetchone() is None:
                raise NotFoundError(f"没有名为“{to}”的设备（用 device list 查看已登记的设备）")
        everything = full or not peers
        floor = {site: 0 if everything else min(k.get(site, 0) for _, k in peers.values()) for site in held}
        total = sum(max(0, n - floor[s]) for s, n in held.items())
        rows, seqs = [], {}
        for site in sorted(held):
            part = db.execute_sql(
                "SELECT site, seq, hlc, author, tbl, entity_id, op, fields, parents FROM version "
                "WHERE site = ? AND seq > ? ORDER BY seq", (site, floor[site])).fetchall()
            if part:
                rows.extend(part)
                seqs[site] = [r[1] for r in part]
            if progress:
                progress(len(rows), max(total, len(rows)), "读取修改记录")
        extra = {
            "knowledge": held,
            "sites": K.sites_directory(db, session.ledger.site_id, (me.device_id, me.name)),
            "ranges": K.runs(seqs),
            "count": len(rows),
            "full": everything,
            "to": to,
        }
        data = payload.encode_chunks(rows)
    stamp = max(int(session.ledger.get_meta("hlc", "0")), pack(session.ledger.clock.now_ms(), 0))
    manifest = bundle.write_bundle(Path(out), identity=me, manifest=extra, payload=data, created_hlc=stamp)
    size = Path(out).stat().st_size
    kind = "完整" if everything else "增量"
    return ExportResult(Path(out), manifest.file_id, len(rows), size, everything, to,
                        f"已导出{kind}同步文件“{Path(out).name}”：{len(rows)} 条修改，{size / 1024:.0f} KB")


# -- import ---------------------------------------------------------------------------------------


class _Preview(Exception):
    """Unwinds the preview's transaction (never escapes this module)."""

    def __init__(self, result: MergeResult):
        super().__init__("preview")
        self.result = result


def preview_import(session, path: Path, progress: Progress | None = None) -> ImportReport:
    """What importing ``path`` would do; nothing changes."""
    return _import(session, Path(path), apply=False, backup=False, progress=progress)


def import_bundle(session, path: Path, *, backup: bool = True, progress: Progress | None = None) -> ImportReport:
    """Verify ``path``, back the ledger up, and apply the file in one transaction."""
    return _import(session, Path(path), apply=True, backup=backup, progress=progress)


def _import(session, path: Path, *, apply: bool, backup: bool, progress: Progress | None) -> ImportReport:
    require(session, EDITORS, "导入同步文件")
    anchor = devices.trust_anchor(session)
    if progress:
        progress(0, 1, "校验文件")
    verified = bundle.read_bundle(path, trust=anchor)
    m = verified.manifest
    report = ImportReport(m.file_id, m.sender_name)
    db = session.ledger.db
    seen = db.execute_sql("SELECT digest FROM sync_file WHERE file_id = ?", (m.file_id,)).fetchone()
    if seen is not None:
        if seen[0] == verified.file_digest:
            report.already_imported = True
            return report
        if apply:  # a preview changes nothing, not even the alarm list
            _alarm(session, "file-id-reused", m.sender_site, m.file_id, f"文件编号 {m.file_id} 曾以不同内容导入过")
        raise FileIdReusedError(f"此文件的编号与以前导入过的另一个文件相同而内容不同（来自“{m.sender_name}”），"
                                "已拒绝导入并记录报警，请联系乡镇管理员")
    incoming = payload.decode(verified.payload)
    if m.extra.get("count") != len(incoming):
        raise BundleDamagedError("同步文件中的修改条数与清单不符，文件已损坏，未导入任何内容")
    if apply and backup:
        report.backup = backup_now(session, "同步导入")
    old_site = session.ledger.site_id
    try:
        with session.writing() as w:
            result = merge(session, incoming, file_id=m.file_id, progress=progress)
            w.hlc.observe(result.max_hlc)
            sites = m.extra.get("sites")
            if isinstance(sites, dict):
                K.learn_sites(db, sites)
            report.gaps = K.gaps(db, result.sites)  # as the import leaves the ledger, for a preview too
            if not apply:
                raise _Preview(result)
            _record(session, m, verified.file_digest, result)
            if result.new_versions and not result.own_site_cloned and is_numbering_authority(session):
                report.numbered = assign_official_numbers(session)
    except _Preview as p:
        result = p.result
        session.ledger.site_id = old_site  # rolled back, and with it any new site id
    except BaseException:
        session.ledger.site_id = old_site  # the transaction rolled back, and with it any new site id
        raise
    _fill(report, result)
    report.applied = apply
    report.clock_warning = _clock_warning(session, result.max_hlc)
    return report


def _record(session, m, digest: str, result: MergeResult) -> None:
    db = session.ledger.db
    now = session.ledger.clock.now().isoformat(" ", "seconds")
    db.execute_sql(
        "INSERT INTO sync_file (file_id, digest, sender, sender_name, sender_site, exported_hlc, imported_at, "
        "versions, new_versions, ranges) VALUES (?,?,?,?,?,?,?,?,?,?)",
        (m.file_id, digest, m.sender_id, m.sender_name, m.sender_site, m.created_hlc, now, result.versions,
         result.new_versions, _json(m.extra.get("ranges", {}))))
    known = m.extra.get("knowledge")
    if isinstance(known, dict):
        K.acknowledge(db, m.sender_id, m.sender_name, known, m.file_id, now)


def _fill(report: ImportReport, r: MergeResult) -> None:
    report.versions, report.new_versions = r.versions, r.new_versions
    report.created, report.updated, report.conflicts = r.created, r.updated, r.conflicts
    report.held, report.quarantined, report.flagged_problems = r.held, r.quarantined, r.flagged_problems
    for site in r.clone_sites:
        report.alarms.append(f"检测到克隆设备（{site[:8]}）：同一编号的修改有两个不同版本，"
                             f"已隔离 {r.quarantined} 条修改，请联系乡镇管理员")
    if r.own_site_cloned:
        report.alarms.append("本台账文件在别处有一个副本也在记账；本机已改用新的设备编号继续记账")
    if r.flagged_problems:
        report.alarms.append(f"{r.flagged_problems} 个问题的办理步骤在合并后顺序不合流程，已标记待核实")


def _clock_warning(session, max_hlc: int) -> str | None:
    ahead = unpack(max_hlc)[0] - session.ledger.clock.now_ms()
    if ahead <= DRIFT_WARNING_MS:
        return None
    hours = ahead / 3_600_000
    span = f"约 {hours:.0f} 小时" if hours >= 1 else f"约 {ahead // 60000} 分钟"
    return f"本机时钟比收到的修改时间慢{span}，请校对电脑的日期和时间（数据已照常导入）"


def _alarm(session, kind: str, site: str, file_id: str, detail: str) -> None:
    """Record an alarm in its own transaction (the refused import changes nothing else)."""
    with session.ledger.db.atomic():
        session.ledger.db.execute_sql(
            "INSERT INTO sync_alarm (at, kind, site, file_id, detail) VALUES (?,?,?,?,?)",
            (session.ledger.clock.now().isoformat(" ", "seconds"), kind, site, file_id, detail))


def _json(value) -> str:
    return json.dumps(value, sort_keys=True)


def alarms(session) -> list[tuple[str, str, str]]:
    """(time, kind, detail) of every sync alarm, newest first."""
    with session.reading():
        return [tuple(r) for r in session.ledger.db.execute_sql(
            "SELECT at, kind, detail FROM sync_alarm ORDER BY id DESC")]


def imported_files(session) -> list[tuple]:
    """(imported_at, sender_name, versions, new_versions, file_id) of the files applied here, newest first."""
    with session.reading():
        return [tuple(r) for r in session.ledger.db.execute_sql(
            "SELECT imported_at, sender_name, versions, new_versions, file_id FROM sync_file "
            "ORDER BY imported_at DESC, rowid DESC")]

