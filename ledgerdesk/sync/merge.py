"""Applying a file's versions: the union of the logs, one winner per field, conflicts kept (sync.md).

This is the second entrance to the versioned write path (the first is
store/writes.py): versions go into the log first, then each touched row is
re-materialised from *all* its versions with the one rule of
store/versions.py, so the result depends only on the set of versions held,
never on the order files arrive in. The guard triggers still apply: a row is
written only with the local id of one of its own new versions.

* A version already held (same site, seq and content) is skipped: importing a
  file twice changes nothing.
* The same (site, seq) with *different* content means a cloned device: those
  versions, and every later one of that site, are quarantined (kept in
  ``sync_quarantine``, not applied) and an alarm is raised. If the cloned site
  is this file's own, it takes a new site id so it stops issuing the same numbers.
* A row whose creating version has not arrived yet is not shown; its versions
  wait in the log ("held") and the gap is reported.

:func:`merge` runs inside the caller's write transaction.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Callable

import peewee

from ledgerdesk.services import audit
from ledgerdesk.services.ledger_queries import rebuild_problem_state
from ledgerdesk.store import conflicts
from ledgerdesk.store.models import MODEL_BY_TABLE
from ledgerdesk.store.search_index import deferred
from ledgerdesk.store.versions import VersionRow, is_creation, rows_from_db, settle
from ledgerdesk.store.writes import TableInfo
from ledgerdesk.sync.errors import BundleDamagedError
from ledgerdesk.sync.payload import Incoming

# What SQLite (or a value parser behind it) says about data that passed the payload checks.
_SCHEMA_ERRORS = (sqlite3.Error, peewee.DatabaseError, ValueError, UnicodeError)

_CHUNK = 500
# From this many person/household rows touched (and a quarter of those indexed), the search index is rebuilt once.
_SEARCH_BULK = 20_000

Progress = Callable[[int, int, str], None]


@dataclass
class MergeResult:
    """What one file did to this replica."""

    versions: int = 0            # distinct versions in the file
    new_versions: int = 0        # of which were not held here before
    created: int = 0             # rows that appeared
    updated: int = 0             # rows whose visible values changed
    conflicts: int = 0           # open conflicts on the rows this file touched
    held: int = 0                # new versions whose row's creation has not arrived
    quarantined: int = 0         # versions from a cloned site, kept aside
    clone_sites: list[str] = field(default_factory=list)
    own_site_cloned: bool = False
    max_hlc: int = 0
    flagged_problems: int = 0    # problems whose interleaved events include a step the lifecycle refuses
    sites: set[str] = field(default_factory=set)


def merge(session, incoming: list[Incoming], *, file_id: str, progress: Progress | None = None) -> MergeResult:
    """Fold ``incoming`` into the ledger of ``session`` (inside its write transaction).

    Data the payload checks let through but the schema refuses (a CHECK
    constraint) is :class:`BundleDamagedError`; the caller's transaction then
    rolls back, so nothing of the file remains.
    """
    try:
        return _merge(session, incoming, file_id=file_id, progress=progress)
    except _SCHEMA_ERRORS as exc:
        raise BundleDamagedError("同步文件中有不符合台账格式的数据（例如取值不在允许范围内），"
                                 "文件已损坏或来自有问题的设备，未导入任何内容") from exc


def _merge(session, incoming: list[Incoming], *, file_id: str, progress: Progress | None) -> MergeResult:
    ledger = session.ledger
    db = ledger.db
    report = MergeResult(versions=len(incoming), sites={v.site for v in incoming})
    report.max_hlc = max((v.hlc for v in incoming), default=0)
    fresh = _fresh_versions(session, incoming, file_id, report)
    report.new_versions = len(fresh)
    if not fresh:
        return report
    if progress:
        progress(0, len(fresh), "写入修改记录")
    first_id = db.execute_sql("SELECT coalesce(max(id), 0) FROM version").fetchone()[0] + 1
    db.connection().executemany(
        "INSERT INTO version (id, site, seq, hlc, author, tbl, entity_id, op, fields, parents) "
        "VALUES (?,?,?,?,?,?,?,?,?,?)",
        [(first_id + i, v.site, v.seq, v.hlc, v.author, v.tbl, v.entity_id, v.op, v.fields, v.parents)
         for i, v in enumerate(fresh)])
    audit.chain_new_events(session)  # imported 办结/评价/销号/回访/撤销 get their hash-chain links
    by_entity: dict[str, list[tuple[int, Incoming]]] = defaultdict(list)
    for i, v in enumerate(fresh):
        by_entity[v.entity_id].append((first_id + i, v))
    if _rebuild_search_instead(db, by_entity):
        with deferred(db):
            problems = _materialise(session, by_entity, first_id, report, progress)
    else:
        problems = _materialise(session, by_entity, first_id, report, progress)
    if problems:
        if progress:
            progress(len(fresh), len(fresh), "重算问题状态")
        rebuild_problem_state(session, problems)
        report.flagged_problems = sum(
            db.execute_sql(f"SELECT count(*) FROM problem_state WHERE flags > 0 AND problem_id IN "
                           f"({', '.join('?' * len(part))})", part).fetchone()[0]
            for part in _chunks(sorted(problems)))
    return report


def _rebuild_search_instead(db, by_entity) -> bool:
    """Whether so many indexed rows change that one rebuild of the search index beats row-by-row triggers."""
    touched = sum(1 for vs in by_entity.values() if vs[0][1].tbl in ("person", "household"))
    if touched < _SEARCH_BULK:
        return False
    indexed = db.execute_sql("SELECT count(*) FROM search_ref").fetchone()[0]
    return touched > indexed // 4


# -- which versions are new ------------------------------------------------------------------


def _fresh_versions(session, incoming: list[Incoming], file_id: str, report: MergeResult) -> list[Incoming]:
    """The versions not held yet, minus those of cloned sites (quarantined, with an alarm)."""
    db = session.ledger.db
    cuts = dict(db.execute_sql("SELECT site, min(seq) FROM sync_alarm WHERE kind = 'clone' GROUP BY site"))
    by_site: dict[str, list[Incoming]] = defaultdict(list)
    for v in incoming:
        by_site[v.site].append(v)
    fresh: list[Incoming] = []
    for site, versions in by_site.items():
        lo, hi = min(v.seq for v in versions), max(v.seq for v in versions)
        held = {seq: rest for seq, *rest in db.execute_sql(
            "SELECT seq, hlc, author, tbl, entity_id, op, fields, parents FROM version "
            "WHERE site = ? AND seq BETWEEN ? AND ?", (site, lo, hi))}
        clashes = [v.seq for v in versions if v.seq in held and tuple(held[v.seq]) != v.stored()]
        if clashes:
            cut = min(clashes)
            db.execute_sql("INSERT INTO sync_alarm (at, kind, site, seq, file_id, detail) VALUES (?,?,?,?,?,?)",
                           (_now(session), "clone", site, cut, file_id,
                            f"设备 {site[:8]} 的第 {cut} 条修改出现了两个不同的版本：该设备的数据库被复制过"))
            report.clone_sites.append(site)
            if site == session.ledger.site_id:
                session.ledger.start_new_site()  # in memory too: a caller that rolls back must restore it
                report.own_site_cloned = True
            cuts[site] = min(cut, cuts.get(site, cut))
        cut = cuts.get(site)
        for v in versions:
            if cut is not None and v.seq >= cut:
                if v.seq not in held or tuple(held[v.seq]) != v.stored():
                    _quarantine(db, v, file_id)
                    report.quarantined += 1
            elif v.seq not in held:
                fresh.append(v)
    return fresh


def _quarantine(db, v: Incoming, file_id: str) -> None:
    db.execute_sql("INSERT OR IGNORE INTO sync_quarantine (site, seq, file_id, hlc, author, tbl, entity_id, op, "
                   "fields, parents) VALUES (?,?,?,?,?,?,?,?,?,?)",
                   (v.site, v.seq, file_id, v.hlc, v.author, v.tbl, v.entity_id, v.op, v.fields, v.parents))


def _now(session) -> str:
    return session.ledger.clock.now().isoformat(" ", "seconds")


# -- rows from versions ------------------------------------------------------------------------


def _materialise(session, by_entity: dict[str, list[tuple[int, Incoming]]], first_id: int,
                 report: MergeResult, progress: Progress | None) -> set[str]:
    """Re-derive every touched row; returns the problems whose state must be recomputed."""
    db = session.ledger.db
    conn = db.connection()
    prior = _prior_histories(db, list(by_entity), first_id)
    problems: set[str] = set()
    inserts: dict[str, list[tuple]] = defaultdict(list)
    candidates: dict[str, list[tuple[str, dict, int]]] = defaultdict(list)  # tbl -> (id, winners, vid)
    multi: list[str] = []  # entities with more than one version: their conflict rows are re-derived
    found: list[tuple[str, str, str, str]] = []
    done = 0
    for entity_id, news in by_entity.items():
        tbl = news[0][1].tbl
        if any(v.tbl != tbl for _, v in news):
            raise BundleDamagedError(f"同步文件中同一条记录（{entity_id}）属于不同的数据表，文件已损坏")
        old_tbl, old = prior.get(entity_id, (tbl, []))
        if old_tbl != tbl:
            raise BundleDamagedError(f"同步文件中的记录（{entity_id}）与本机同一记录属于不同的数据表，文件已损坏")
        mine = [VersionRow(v.key, v.hlc, v.site, v.op, v.values, v.parent_keys) for _, v in news]
        versions = old + mine if old else mine
        vid = max(i for i, _ in news)
        if not any(is_creation(v) for v in mine) and not any(is_creation(v) for v in old):
            report.held += len(news)
            continue
        if len(versions) == 1:
            shown = mine[0].fields
        else:
            shown, open_ = settle(versions)
            multi.append(entity_id)
            found.extend((entity_id, tbl, f, kind) for f, kind in open_)
        if any(is_creation(v) for v in old):
            candidates[tbl].append((entity_id, shown, vid))
        else:
            info = TableInfo.of(MODEL_BY_TABLE[tbl])
            inserts[tbl].append((entity_id, vid, *[shown[c] if c in shown else info.default(f)
                                                   for c, f in zip(info.columns, info.fields)]))
            report.created += 1
        if tbl == "problem":
            problems.add(entity_id)
        elif tbl == "problem_event":
            problems.add(shown.get("problem_id"))
        done += len(news)
        if progress and done % 20_000 < len(news):
            progress(done, report.new_versions, "合并记录")
    for tbl, rows in inserts.items():
        info = TableInfo.of(MODEL_BY_TABLE[tbl])
        conn.executemany(f'INSERT INTO "{tbl}" (id, vid, {", ".join(info.columns)}) '
                         f'VALUES ({", ".join("?" * (len(info.columns) + 2))})', rows)
    for tbl, items in candidates.items():
        report.updated += _update_rows(db, tbl, items, problems)
    report.conflicts = conflicts.store(db, multi, found) if multi else 0
    problems.discard(None)
    return problems


def _prior_histories(db, entity_ids: list[str], first_id: int) -> dict[str, tuple[str, list[VersionRow]]]:
    """Versions held before this merge, of the entities it touches."""
    out: dict[str, tuple[str, list[VersionRow]]] = {}
    for part in _chunks(entity_ids):
        found = db.execute_sql(
            "SELECT entity_id, tbl, site, seq, hlc, op, fields, parents FROM version "
            f"WHERE entity_id IN ({', '.join('?' * len(part))}) AND id < ? ORDER BY id", (*part, first_id)).fetchall()
        for (entity_id, tbl, *_), version in zip(found, rows_from_db([r[2:] for r in found])):
            entry = out.get(entity_id)
            if entry is None:
                entry = out[entity_id] = (tbl, [])
            entry[1].append(version)
    return out


def _update_rows(db, tbl: str, items: list[tuple[str, dict, int]], problems: set) -> int:
    """Write the winners that differ from what the rows show; returns how many rows changed."""
    info = TableInfo.of(MODEL_BY_TABLE[tbl])
    cols = info.columns
    conn = db.connection()
    by_shape: dict[tuple[str, ...], list[tuple]] = defaultdict(list)
    changed_rows = 0
    for part in _chunks(items):
        current = {r[0]: r[1:] for r in db.execute_sql(
            f'SELECT id, {", ".join(cols)} FROM "{tbl}" WHERE id IN ({", ".join("?" * len(part))})',
            [i[0] for i in part])}
        for entity_id, shown, vid in part:
            row = current[entity_id]
            diff = tuple(c for c, old in zip(cols, row) if c in shown and shown[c] != old)
            if not diff:
                continue
            changed_rows += 1
            by_shape[diff].append((vid, *[shown[c] for c in diff], entity_id))
            if tbl == "problem_event":
                problems.add(dict(zip(cols, row)).get("problem_id"))
    for diff, rows in by_shape.items():
        sets = ", ".join(f"{c} = ?" for c in diff)
        conn.executemany(f'UPDATE "{tbl}" SET vid = ?, {sets} WHERE id = ?', rows)
    return changed_rows


def _chunks(items: list) -> list:
    return [items[i:i + _CHUNK] for i in range(0, len(items), _CHUNK)]
