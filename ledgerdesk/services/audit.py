"""The audit trail (quality.md, "Trust: audit"): who changed what, on which device, when — and a hash chain.

**Attribution.** Every change is already an immutable version (store/writes.py):
site (the database file that wrote it, named after its device in ``sync_site``
or, for this file, meta ``device_name``), per-site seq, HLC time and author.
:func:`entry_ids` lists the versions newest first (HLC order), filtered by
user, action, table, date range and village, as one indexed query (the indexes
of db/migrations/0006_audit.sql); :func:`entry_rows` turns a page of them into
:class:`AuditEntry` rows: time, user, device, table, the record's readable
label, the action and what was set (身份证号 and phone masked unless the role
may see them and the caller asks; password hashes never shown).
:func:`entries` is both at once. Reading the trail is for 书记 and 管理员.

Readable names of tables, columns and records come from
``ledgerdesk.services.labels``, passed as ``labels=`` (the audit page does);
without it the raw table and column names are shown.

**The hash chain.** Problem events that close, rate, sign off, revisit or
void a problem (:data:`CHAINED_KINDS`) get a link in the local
``audit_chain`` table, in the same transaction that brings the event version
into this file — a local step (services/ledger.py) or a sync import
(sync/merge.py): both call :func:`chain_new_events`, which links every such
version that arrived since the chain last looked (meta ``audit_chain_vid``),
so events written in bulk (a demo build, an Excel ledger import) are linked
by the next step or import. A link holds

* ``digest`` = sha256 of the version's canonical content: site, seq, hlc,
  author, tbl, entity_id, op, fields, parents as stored (``fields`` and
  ``parents`` are the JSON texts of the version row), each framed as
  ``<length in characters>:<text>``, the whole as UTF-8;
* ``hash`` = sha256 of prev_hash, digest, seq, version_key, at, author,
  device, action, problem_id, framed the same way; ``prev_hash`` is the
  previous link's hash (:data:`GENESIS` for the first).

Meta ``audit_chain_head`` ("seq:hash") records the last link.
:func:`verify_chain` recomputes every link and checks each digest against the
version row it names and each link's author, device, action, problem and time
against that version, so editing a version row or a chain row, deleting a
link (anywhere, the last one included) or reordering links are all reported
as :class:`AuditBreak` with the link's seq; an event version the chain has
already looked at but that has no link is reported too.

What the chain cannot do: it has no secret and no outside anchor, so someone
who rewrites the version log, every later link and the two meta values
consistently is not detected; it detects edits, not a complete forgery.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Protocol, Sequence

from peewee import BooleanField, ForeignKeyField

from ledgerdesk.core import lifecycle as L
from ledgerdesk.core.dates import date_arg
from ledgerdesk.core.errors import ValidationError
from ledgerdesk.core.hlc import pack, unpack
from ledgerdesk.core.masking import mask_id_number, mask_phone
from ledgerdesk.core.vocab import CENTER_TYPES, COMMITTEE_KINDS
from ledgerdesk.services.permissions import REVIEWERS, may_reveal, require, require_village, village_limit
from ledgerdesk.services.sql import chunks, marks
from ledgerdesk.store.models import MODEL_BY_TABLE

#: Problem-event kinds that get a link in the hash chain.
CHAINED_KINDS = (L.RESOLVE, L.RATE, L.CLOSE, L.REVISIT, L.VOID)
GENESIS = "0" * 64

CREATE, UPDATE, DELETE = "新增", "修改", "删除"
#: What an entry did: a creation, an edit or a deletion — for problem events, the step (登记 … 回访).
ACTIONS = (CREATE, UPDATE, DELETE, *L.KINDS)

META_HEAD = "audit_chain_head"
META_WATERMARK = "audit_chain_vid"

#: Entries the audit page lists at most (newest first); narrower filters reach older ones.
LIST_LIMIT = 10_000
SUMMARY_CHARS = 160

_KIND_SQL = "json_extract(fields, '$.kind')"
_MASKS: dict[str, Callable[[str], str]] = {
    "id_number": mask_id_number, "phone": mask_phone, "reporter_phone": mask_phone}
_SECRET = frozenset({"password_hash"})
_CODES = {("party_center", "types"): CENTER_TYPES, ("committee", "kind"): COMMITTEE_KINDS}
# Fields of a problem event that say which event it is rather than what it recorded.
_EVENT_IDENTITY = ("problem_id", "kind", "at", "actor")

# Ids of the rows of each table that belong to the villages ``{v}`` (the row's village as it is now).
_VILLAGE_SCOPE = {
    "village": "SELECT id FROM village WHERE id IN ({v})",
    "village_group": "SELECT id FROM village_group WHERE village_id IN ({v})",
    "grid": "SELECT id FROM grid WHERE village_id IN ({v})",
    "household": "SELECT id FROM household WHERE village_id IN ({v})",
    "person": "SELECT p.id FROM person p JOIN household h ON h.id = p.household_id WHERE h.village_id IN ({v})",
    "household_tag": "SELECT t.id FROM household_tag t JOIN household h ON h.id = t.household_id "
                     "WHERE h.village_id IN ({v})",
    "party_center": "SELECT id FROM party_center WHERE village_id IN ({v})",
    "link_head": "SELECT id FROM link_head WHERE village_id IN ({v})",
    "grid_worker": "SELECT w.id FROM grid_worker w JOIN grid g ON g.id = w.grid_id WHERE g.village_id IN ({v})",
    "person_post": "SELECT pp.id FROM person_post pp JOIN person p ON p.id = pp.person_id "
                   "JOIN household h ON h.id = p.household_id WHERE h.village_id IN ({v})",
    "committee": "SELECT id FROM committee WHERE village_id IN ({v})",
    "committee_member": "SELECT m.id FROM committee_member m JOIN committee c ON c.id = m.committee_id "
                        "WHERE c.village_id IN ({v})",
    "committee_activity": "SELECT a.id FROM committee_activity a JOIN committee c ON c.id = a.committee_id "
                          "WHERE c.village_id IN ({v})",
    "activity_attendee": "SELECT t.id FROM activity_attendee t JOIN committee_activity a ON a.id = t.activity_id "
                         "JOIN committee c ON c.id = a.committee_id WHERE c.village_id IN ({v})",
    "visit": "SELECT id FROM visit WHERE village_id IN ({v})",
    "visit_household": "SELECT t.id FROM visit_household t JOIN visit v ON v.id = t.visit_id WHERE v.village_id IN ({v})",
    "problem": "SELECT id FROM problem WHERE village_id IN ({v})",
    "problem_household": "SELECT t.id FROM problem_household t JOIN problem p ON p.id = t.problem_id "
                         "WHERE p.village_id IN ({v})",
    "problem_event": "SELECT e.id FROM problem_event e JOIN problem p ON p.id = e.problem_id WHERE p.village_id IN ({v})",
}


class Labels(Protocol):
    """Where readable names come from: ``ledgerdesk.services.labels`` (a module) has exactly these."""

    def table_label(self, table: str) -> str: ...

    def field_label(self, table: str, column: str) -> str: ...

    def record_label_sql(self, table: str) -> str | None: ...


class _RawLabels:
    """The stored names themselves (when the caller passes no labels)."""

    @staticmethod
    def table_label(table: str) -> str:
        return table

    @staticmethod
    def field_label(table: str, column: str) -> str:
        return column

    @staticmethod
    def record_label_sql(table: str) -> str | None:
        return None


# -- reading the trail ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditQuery:
    """The filters of the trail; None = any. ``since``/``until`` are days (inclusive) of the change's time."""

    user: str | None = None
    action: str | None = None  # one of ACTIONS
    table: str | None = None
    since: dt.date | str | None = None
    until: dt.date | str | None = None
    village_id: str | None = None


@dataclass(frozen=True)
class AuditEntry:
    """One change, readable: the version ``site:seq`` that ``user`` wrote on ``device`` at ``at``."""

    id: str  # the version's local id (as text): the list's row id
    at: dt.datetime  # when it was written (the HLC's wall time, local)
    user: str  # the author as recorded (a user name)
    user_name: str  # the account's display name, else the author
    device: str  # the device's name (this machine: its enrolled name, else 本机)
    site: str
    seq: int
    table: str
    table_label: str
    entity_id: str
    record: str  # a readable label of the row (as it is now)
    action: str  # 新增 / 修改 / 删除, or the problem step (办结 …)
    summary: str  # what was set, on one line (shortened)
    fields: tuple[tuple[str, str], ...]  # (column label, value) of every field set
    chain_seq: int | None = None  # its link in the hash chain, if it has one

    @property
    def version_key(self) -> str:
        return f"{self.site}:{self.seq}"


@dataclass(frozen=True)
class AuditChoices:
    """What the filters offer: ``users`` as (author, shown name), ``tables`` as (table, label), ``actions``."""

    users: tuple[tuple[str, str], ...]
    tables: tuple[tuple[str, str], ...]
    actions: tuple[str, ...] = ACTIONS


def _hlc_bounds(query: AuditQuery) -> tuple[int | None, int | None]:
    since = date_arg(query.since, "since", "开始日期")
    until = date_arg(query.until, "until", "结束日期")
    if since and until and since > until:
        raise ValidationError(f"开始日期{since.isoformat()}晚于结束日期{until.isoformat()}", field="since")

    def ms(day: dt.date) -> int:
        return int(dt.datetime.combine(day, dt.time()).timestamp() * 1000)

    low = pack(ms(since), 0) if since else None
    high = pack(ms(until + dt.timedelta(days=1)), 0) - 1 if until else None
    return low, high


def _where(query: AuditQuery, limit: list[str] | None = None) -> tuple[str, list[Any]]:
    """The WHERE clause of ``query`` over the version log; ``limit``: the only villages the reader may see."""
    conditions: list[str] = []
    params: list[Any] = []
    if query.user is not None:
        conditions.append("author = ?")
        params.append(query.user)
    if query.table is not None:
        if query.table not in MODEL_BY_TABLE:
            raise ValidationError(f"没有名为“{query.table}”的数据表", field="table")
        conditions.append("tbl = ?")
        params.append(query.table)
    action = query.action
    if action is not None:
        if action not in ACTIONS:
            raise ValidationError(f"操作应为{'、'.join(ACTIONS)}之一，实际为“{action}”", field="action")
        if action == DELETE:
            conditions.append("op = 'del'")
        elif action in (CREATE, UPDATE):
            conditions.append("op = 'put' AND tbl != 'problem_event' AND parents " +
                              ("= '[]'" if action == CREATE else "!= '[]'"))
        else:
            conditions.append(f"tbl = 'problem_event' AND {_KIND_SQL} = ?")
            params.append(action)
    low, high = _hlc_bounds(query)
    if low is not None:
        conditions.append("hlc >= ?")
        params.append(low)
    if high is not None:
        conditions.append("hlc <= ?")
        params.append(high)
    villages = [query.village_id] if query.village_id is not None else limit
    if villages is not None:
        tables = [query.table] if query.table is not None else list(_VILLAGE_SCOPE)
        scopes = [_VILLAGE_SCOPE[t].format(v=marks(len(villages))) for t in tables if t in _VILLAGE_SCOPE]
        if not scopes or not villages:
            conditions.append("0")
        else:
            conditions.append(f"entity_id IN ({' UNION ALL '.join(scopes)})")
            params.extend(list(villages) * len(scopes))
    return (" AND ".join(conditions) or "1"), params


def entry_ids(session, query: AuditQuery = AuditQuery(), *, limit: int = LIST_LIMIT) -> list[str]:
    """The ids of the changes ``query`` selects, newest first (HLC order), at most ``limit`` (书记/管理员).

    An account limited to some villages sees only the changes of records in them.
    """
    require(session, REVIEWERS, "查看审计记录")
    allowed = village_limit(session)
    if query.village_id is not None:
        require_village(session, query.village_id, "查看审计记录")
    where, params = _where(query, sorted(allowed) if allowed is not None else None)
    with session.reading():
        found = session.ledger.db.execute_sql(
            f"SELECT group_concat(id, ',') FROM (SELECT id FROM version WHERE {where} "
            f"ORDER BY hlc DESC, id DESC LIMIT ?)", [*params, int(limit)]).fetchone()[0]
    return found.split(",") if found else []


def entries(session, *, user: str | None = None, action: str | None = None, table: str | None = None,
            since=None, until=None, village: str | None = None, limit: int = 500,
            labels: Labels | None = None, reveal: bool = False) -> list[AuditEntry]:
    """The changes the filters select, newest first, at most ``limit``, as readable rows (书记/管理员).

    ``village`` is a village id; ``since``/``until`` are days (a date or ISO text).
    Pass ``labels=ledgerdesk.services.labels`` for Chinese names (see the module docstring).
    """
    query = AuditQuery(user=user, action=action, table=table, since=since, until=until, village_id=village)
    return entry_rows(session, entry_ids(session, query, limit=limit), labels=labels, reveal=reveal)


def entry_rows(session, ids: Sequence[str], *, labels: Labels | None = None,
               reveal: bool = False) -> list[AuditEntry]:
    """Readable rows of the changes ``ids``, in that order (书记/管理员); unknown ids are left out.

    身份证号 and phone numbers are masked unless ``reveal`` and the role may see them.
    """
    require(session, REVIEWERS, "查看审计记录")
    show = _Shower(session, labels or _RawLabels(), reveal and may_reveal(session))
    out: dict[str, AuditEntry] = {}
    with session.reading():
        db = session.ledger.db
        for part in chunks([int(i) for i in ids]):
            rows = db.execute_sql(
                "SELECT v.id, v.site, v.seq, v.hlc, v.author, v.tbl, v.entity_id, v.op, v.fields, v.parents, c.seq "
                "FROM version v LEFT JOIN audit_chain c ON v.tbl = 'problem_event' "
                f"AND c.version_key = v.site || ':' || v.seq WHERE v.id IN ({marks(len(part))})", part).fetchall()
            for row in rows:
                entry = show.entry(row)
                out[entry.id] = entry
    return [out[str(i)] for i in ids if str(i) in out]


def filter_choices(session, *, labels: Labels | None = None, from_log: bool = True) -> AuditChoices:
    """The users who wrote changes here and the tables, for the filters (书记/管理员).

    ``from_log``: every author of the version log (one pass over the log: half
    a second on a county ledger, so callers on the GUI thread pass False and get
    the ledger's accounts at once, then ask again on the worker).
    """
    require(session, REVIEWERS, "查看审计记录")
    labels = labels or _RawLabels()
    with session.reading():
        db = session.ledger.db
        if from_log:
            authors = [r[0] for r in db.execute_sql("SELECT DISTINCT author FROM version ORDER BY author")]
        else:
            authors = [r[0] for r in db.execute_sql("SELECT DISTINCT username FROM user_account ORDER BY username")]
        names = _display_names(db)
    users = tuple((a, _user_label(a, names.get(a, ""))) for a in authors)
    tables = tuple((t, labels.table_label(t)) for t in MODEL_BY_TABLE)
    return AuditChoices(users, tables)


def _display_names(db) -> dict[str, str]:
    return {u: d for u, d in db.execute_sql(
        "SELECT username, display_name FROM user_account WHERE deleted = 0 AND display_name != ''")}


def _user_label(author: str, display: str) -> str:
    return f"{display}（{author}）" if display and display != author else author


def _references() -> dict[tuple[str, str], str]:
    from ledgerdesk.services.check import references  # check imports this module

    return {(t, c): target for t, c, target in references()}


class _Shower:
    """Turns version rows into :class:`AuditEntry`, with lookups cached for one call."""

    _refs: dict[tuple[str, str], str] | None = None

    def __init__(self, session, labels: Labels, reveal: bool):
        self.db = session.ledger.db
        self.labels = labels
        self.reveal = reveal
        self.record_labels: dict[tuple[str, str], str] = {}
        if _Shower._refs is None:
            _Shower._refs = _references()
        with session.reading():
            self.devices = device_names(session)
            self.names = _display_names(self.db)

    def entry(self, row: tuple) -> AuditEntry:
        vid, site, seq, hlc, author, tbl, entity_id, op, fields_text, parents_text, chain_seq = row
        fields = json.loads(fields_text)
        if op == "put" and parents_text == "[]":
            fields.pop("deleted", None)  # every creation sets it to 0
        if tbl == "problem_event" and op == "put" and "kind" in fields:
            action = fields["kind"]
            shown = [(c, v) for c, v in fields.items() if c not in _EVENT_IDENTITY]
        elif op == "del":
            action, shown = DELETE, list(fields.items())
        else:
            action = CREATE if parents_text == "[]" else UPDATE
            shown = list(fields.items())
        pairs = tuple((self.field_label(tbl, c), self.value(tbl, c, v)) for c, v in fields.items())
        if op == "del":
            summary = "删除记录"
        elif fields == {"deleted": 0}:
            summary = "恢复记录"
        else:
            parts = [f"{self.field_label(tbl, c)}：{self.value(tbl, c, v)}" for c, v in shown
                     if action == UPDATE or v not in (None, "")]
            summary = "；".join(parts)
            if len(summary) > SUMMARY_CHARS:
                summary = summary[:SUMMARY_CHARS - 1] + "…"
        return AuditEntry(
            id=str(vid), at=dt.datetime.fromtimestamp(unpack(hlc)[0] / 1000).replace(microsecond=0),
            user=author, user_name=_user_label(author, self.names.get(author, "")),
            device=self.devices.get(site) or f"设备 {site[:8]}", site=site, seq=seq,
            table=tbl, table_label=self.labels.table_label(tbl), entity_id=entity_id,
            record=self.record(tbl, entity_id), action=action, summary=summary, fields=pairs, chain_seq=chain_seq)

    def field_label(self, table: str, column: str) -> str:
        label = self.labels.field_label(table, column)
        return label

    def value(self, table: str, column: str, value: Any) -> str:
        if column in _SECRET:
            return "（已设置）" if value else "（空）"
        if value is None or value == "":
            return "（空）"
        model = MODEL_BY_TABLE.get(table)
        field = model._meta.columns.get(column) if model is not None else None
        if isinstance(field, BooleanField) or column == "deleted":
            return "是" if value else "否"
        text = str(value)
        if column in _MASKS and not self.reveal:
            return _MASKS[column](text)
        codes = _CODES.get((table, column))
        if codes is not None:
            return "、".join(codes.get(c, c) for c in text.split(",") if c)
        target = (self._refs or {}).get((table, column))
        if target is None and isinstance(field, ForeignKeyField):
            target = field.rel_model._meta.table_name
        if target is not None:
            return self.record(target, text)
        return text

    def record(self, table: str, entity_id: str) -> str:
        """A readable label of one row; for rows without one, the rows it links (户 · 标签)."""
        key = (table, entity_id)
        if key in self.record_labels:
            return self.record_labels[key]
        self.record_labels[key] = f"#{entity_id[-8:]}"  # guards against reference cycles
        label = None
        sql = self.labels.record_label_sql(table)
        if sql:
            row = self.db.execute_sql(sql, (entity_id,)).fetchone()
            label = row[0] if row and row[0] else None
        elif table in MODEL_BY_TABLE and not isinstance(self.labels, _RawLabels):
            label = self._linked(table, entity_id)
        label = label or f"#{entity_id[-8:]}"
        self.record_labels[key] = label
        return label

    def _linked(self, table: str, entity_id: str) -> str | None:
        refs = [(c, t) for (tbl, c), t in (self._refs or {}).items() if tbl == table]
        if not refs:
            return None
        cols = ", ".join(f'"{c}"' for c, _ in refs)
        row = self.db.execute_sql(f'SELECT {cols} FROM "{table}" WHERE id = ?', (entity_id,)).fetchone()
        if row is None:
            return None
        parts = [self.record(t, v) for (c, t), v in zip(refs, row) if v and t != "village"]
        return " · ".join(parts[:2]) or None


def device_names(session) -> dict[str, str]:
    """``{site: device name}`` for the sites known here; this file's sites (now and before) are its own device."""
    db = session.ledger.db
    names = {site: name for site, name in db.execute_sql("SELECT site, device_name FROM sync_site") if name}
    ledger = session.ledger
    own = ledger.get_meta("device_name") or "本机"
    for site in json.loads(ledger.get_meta("site_history") or "[]"):
        names[site] = own
    names[ledger.site_id] = own
    return names


# -- the hash chain -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditBreak:
    """Where the chain does not hold: ``seq`` is the link (None: an event with no link), ``message`` says what."""

    seq: int | None
    kind: str  # missing | link | altered | version-missing | version-altered | mismatch | truncated | unchained
    message: str
    version_key: str = ""


@dataclass(frozen=True)
class ChainStatus:
    """How long the chain is, its last link, and how many chained events still wait for their link."""

    links: int
    last_at: str | None
    pending: int


def _frame(parts: Iterable[Any]) -> str:
    """``parts`` as one unambiguous text: each as ``<length in characters>:<text>`` (integers in decimal)."""
    return "".join([f"{len(text)}:{text}" for text in map(str, parts)])


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def version_digest(site: str, seq: int, hlc: int, author: str, tbl: str, entity_id: str, op: str,
                   fields: str, parents: str) -> str:
    """sha256 of a version's canonical content: its columns in this order (``fields`` and ``parents`` as the
    stored JSON texts), framed by :func:`_frame`, as UTF-8."""
    return _sha256(_frame((site, seq, hlc, author, tbl, entity_id, op, fields, parents)))


def link_hash(prev_hash: str, digest: str, seq: int, version_key: str, at: str, author: str, device: str,
              action: str, problem_id: str) -> str:
    """sha256 of one link: the previous link's hash, the version digest and the link's other columns, framed
    as in :func:`version_digest`."""
    return _sha256(_frame((prev_hash, digest, seq, version_key, at, author, device, action, problem_id)))


def _frame_sql(*expressions: str) -> str:
    """The SQL that builds :func:`_frame` of ``expressions`` (SQLite's length() counts characters too)."""
    return " || ".join(f"length({e}) || ':' || {e}" for e in expressions)


_CHAINED_SQL = f"{_KIND_SQL} IN ({', '.join(repr(k) for k in CHAINED_KINDS)})"
_V = "v.site, v.seq, v.hlc, v.author, v.tbl, v.entity_id, v.op, v.fields, v.parents".split(", ")
# The framed content of version v (NULL when there is no such version): what its digest is taken of.
_VERSION_FRAME = _frame_sql(*_V)
# The facts a link repeats, read from a version's fields ('' when absent, NULL when the JSON is not valid).
_FACTS = {k: f"CASE WHEN json_valid(v.fields) THEN coalesce(json_extract(v.fields, '$.{k}'), '') END"
          for k in ("at", "kind", "problem_id")}
# Above this many new versions, walk the version_step index instead of the rowid range.
_INDEX_WALK = 20_000


def chain_new_events(session) -> int:
    """Link every chained event version that arrived since the chain last looked; returns how many.

    Call inside the write transaction that brought the versions in (a ledger
    step, a sync merge): the links commit or roll back with them. Usually
    that is a rowid range of the few versions just written; after a bulk
    load (a demo build, an Excel import) the first call links them all.
    """
    ledger = session.ledger
    db = ledger.db
    seen = int(ledger.get_meta(META_WATERMARK) or 0)
    top = db.execute_sql("SELECT coalesce(max(id), 0) FROM version").fetchone()[0]
    if top <= seen:
        return 0
    table = "v.tbl" if top - seen > _INDEX_WALK else "+v.tbl"  # "+": a rowid range, not an index walk
    # What the link hashes after prev_hash, digest and seq, framed by SQLite: key, at, author, device, action, problem.
    rest = _frame_sql("(v.site || ':' || v.seq)", _FACTS["at"], "v.author", "v.site", _FACTS["kind"],
                      _FACTS["problem_id"])
    rows = db.execute_sql(
        f"SELECT v.site || ':' || v.seq, {_FACTS['at']}, v.author, v.site, {_FACTS['kind']}, {_FACTS['problem_id']}, "
        f"{_VERSION_FRAME}, {rest} FROM version v WHERE v.id > ? AND {table} = 'problem_event' AND v.op = 'put' "
        f"AND {_CHAINED_SQL.replace('fields', 'v.fields')} ORDER BY v.id", (seen,)).fetchall()
    last = db.execute_sql("SELECT seq, hash FROM audit_chain ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev = last if last else (0, GENESIS)
    linked: set[str] = set()
    if last:  # normally none of these has a link yet; a lowered meta value must not make a second one
        for part in chunks([r[0] for r in rows]):
            linked.update(r[0] for r in db.execute_sql(
                f"SELECT version_key FROM audit_chain WHERE version_key IN ({marks(len(part))})", part))
    links = []
    for key, at, author, site, action, problem_id, frame, rest_frame in rows:
        if key in linked:
            continue
        digest = _sha256(frame)
        seq += 1
        link = _sha256(f"64:{prev}64:{digest}{len(str(seq))}:{seq}{rest_frame}")
        links.append((seq, key, at, author, site, action, problem_id, digest, prev, link))
        prev = link
    if links:
        db.connection().executemany(
            "INSERT INTO audit_chain (seq, version_key, at, author, device, action, problem_id, digest, prev_hash, "
            "hash) VALUES (?,?,?,?,?,?,?,?,?,?)", links)
        ledger.set_meta(META_HEAD, f"{seq}:{prev}")
    ledger.set_meta(META_WATERMARK, str(top))
    return len(links)


def chain_status(session) -> ChainStatus:
    """The chain's length and last link's time, and the chained events not linked yet (written in bulk)."""
    with session.reading():
        db = session.ledger.db
        links, last_at = db.execute_sql(
            "SELECT count(*), (SELECT at FROM audit_chain ORDER BY seq DESC LIMIT 1) FROM audit_chain").fetchone()
        seen = int(session.ledger.get_meta(META_WATERMARK) or 0)
        pending = db.execute_sql(
            f"SELECT count(*) FROM version WHERE id > ? AND tbl = 'problem_event' AND op = 'put' AND {_CHAINED_SQL}",
            (seen,)).fetchone()[0]
    return ChainStatus(links, last_at, pending)


_CHUNK = 5000
_LINK_FRAME = _frame_sql(*"c.prev_hash c.digest c.seq c.version_key c.at c.author c.device c.action c.problem_id"
                         .split())


def verify_chain(session, *, progress: Callable[[int, int], None] | None = None) -> list[AuditBreak]:
    """Every break in the chain, by link: recomputed hashes, links, digests against the versions, the end.

    Empty when the chain holds. Read-only. ``progress(done, total)`` is called per chunk of links.
    """
    breaks: list[AuditBreak] = []
    with session.reading():
        db = session.ledger.db
        total = db.execute_sql("SELECT count(*) FROM audit_chain").fetchone()[0]
        expected, prev, after, done = 1, GENESIS, 0, 0
        last: tuple[int, str] | None = None
        while True:
            rows = db.execute_sql(
                "SELECT c.seq, c.version_key, c.action, c.digest, c.prev_hash, c.hash, "
                f"{_LINK_FRAME}, {_VERSION_FRAME}, "
                "v.tbl IS 'problem_event' AND c.author IS v.author AND c.device IS v.site AND CASE WHEN "
                "json_valid(v.fields) THEN json_extract(v.fields, '$.at', '$.kind', '$.problem_id') "
                "IS json_array(nullif(c.at, ''), c.action, nullif(c.problem_id, '')) END "
                "FROM audit_chain c "
                "LEFT JOIN version v ON v.site = substr(c.version_key, 1, instr(c.version_key, ':') - 1) "
                "AND v.seq = CAST(substr(c.version_key, instr(c.version_key, ':') + 1) AS INTEGER) "
                "WHERE c.seq > ? ORDER BY c.seq LIMIT ?", (after, _CHUNK)).fetchall()
            if not rows:
                break
            for seq, key, action, digest, prev_hash, stored, link_frame, version_frame, facts_agree in rows:
                if seq != expected:
                    span = f"第 {expected} 环" if seq == expected + 1 else f"第 {expected}–{seq - 1} 环"
                    breaks.append(AuditBreak(expected, "missing", f"审计链条{span}缺失（被删除）"))
                elif prev_hash != prev:
                    breaks.append(AuditBreak(seq, "link", f"审计链条第 {seq} 环与上一环衔接不上（链条被改动或重排）",
                                             key))
                if link_frame is None or _sha256(link_frame) != stored:
                    breaks.append(AuditBreak(seq, "altered", f"审计链条第 {seq} 环的内容被改动（与它的校验值不符）",
                                             key))
                if version_frame is None:
                    breaks.append(AuditBreak(seq, "version-missing",
                                             f"审计链条第 {seq} 环记录的{action}（{key}）在版本记录中已不存在", key))
                elif _sha256(version_frame) != digest:
                    breaks.append(AuditBreak(seq, "version-altered",
                                             f"审计链条第 {seq} 环记录的{action}（{key}）在版本记录中被改动", key))
                elif not facts_agree:
                    breaks.append(AuditBreak(seq, "mismatch",
                                             f"审计链条第 {seq} 环的时间、人员、设备或环节与版本记录不符", key))
                prev, expected, last = stored, seq + 1, (seq, stored)
            after = rows[-1][0]
            done += len(rows)
            if progress:
                progress(done, total)
        head = session.ledger.get_meta(META_HEAD)
        if head != (f"{last[0]}:{last[1]}" if last else None):
            breaks.append(_end_break(head, last))
        breaks.extend(_unlinked(session))
    breaks.sort(key=lambda b: (b.seq is None, b.seq or 0))
    return breaks


def _end_break(head: str | None, last: tuple[int, str] | None) -> AuditBreak:
    """The chain's last link is not the one meta recorded: links were cut off, or the end was rewritten."""
    recorded = head.split(":", 1)[0] if head else ""
    recorded_seq = int(recorded) if recorded.isdigit() else 0
    have = last[0] if last else 0
    if recorded_seq > have:
        return AuditBreak(have + 1, "truncated", f"审计链条末尾被截断：应有 {recorded_seq} 环，现在只到第 {have} 环")
    seq = max(have, 1)
    return AuditBreak(seq, "truncated", f"审计链条的末环（第 {seq} 环）与记录的链尾不符（链条被改动）")


def _unlinked(session) -> list[AuditBreak]:
    """Chained event versions the chain has already looked at that have no link (their link was removed)."""
    seen = int(session.ledger.get_meta(META_WATERMARK) or 0)
    rows = session.ledger.db.execute_sql(
        f"SELECT v.site, v.seq, {_KIND_SQL} FROM version v WHERE v.tbl = 'problem_event' AND v.id <= ? "
        f"AND v.op = 'put' AND {_CHAINED_SQL} "
        "AND NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.version_key = v.site || ':' || v.seq)",
        (seen,)).fetchall()
    return [AuditBreak(None, "unchained", f"{kind}记录（{site}:{seq}）不在审计链条中（它的链环被删除）",
                       f"{site}:{seq}") for site, seq, kind in rows]


def summarise(breaks: Iterable[AuditBreak], limit: int = 20) -> list[str]:
    """The breaks' messages, at most ``limit`` and a last line counting the rest."""
    breaks = list(breaks)
    lines = [b.message for b in breaks[:limit]]
    if len(breaks) > limit:
        lines.append(f"另有 {len(breaks) - limit} 处断裂未列出")
    return lines
