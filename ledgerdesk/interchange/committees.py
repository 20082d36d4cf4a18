"""六会 rosters and activity records from and to Excel, as plan → preview → apply.

A workbook may hold up to three kinds of sheet, recognised by their headers (any
sheet names, any order, title rows above the header, column aliases — the shared
reader :mod:`ledgerdesk.interchange.sheet`):

* **组织** (:data:`COMMITTEE_COLUMNS`): 村, 组织名称, 成立日期, 章程 — committees to form;
* **组织成员** (:data:`MEMBER_COLUMNS`): 村, 组织名称/类别, 职务, 姓名, 身份证号, 加入日期 (离任日期);
* **活动记录** (:data:`ACTIVITY_COLUMNS`): 村, 组织, 日期, 类型, 主题, 参加人员 (names separated
  by 、), 决定事项, 结果, and the figures of the kinds that keep them.

Matching: the village by name (a unique match without its 村/社区/嘎查 suffix also counts;
an unknown village is a row error — villages come from the roster import); the committee
within the village by one of the six names (红白理事会 …) or by a custom committee's name
(a committee not in the ledger is formed by the import); persons by 身份证号, else by name
among the village's persons — several persons of that name is a row error ("请填写身份证号").
A masked 身份证号 (from a masked export) is ignored and the name used.

:func:`plan_committee_import` reads and checks everything without writing;
:func:`apply_committee_import` writes ONE transaction through the committee services:
all-or-nothing by default (any row error refuses the whole file), or only the valid rows.
Re-importing the same file changes nothing: a person already a current member is matched
(a different role or a 离任日期 is an update), an activity is matched by committee + date +
type + topic; a blank cell never clears what the ledger holds.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ledgerdesk.core.errors import Cancelled, ValidationError
from ledgerdesk.core.masking import mask_id_number
from ledgerdesk.core.text import clean
from ledgerdesk.core.vocab import COMMITTEE_KINDS, COMMITTEE_ROLES, CUSTOM_COMMITTEE
from ledgerdesk.interchange.common import (ID_NUMBER_ALIASES, VILLAGE_ALIASES, ImportPlan, VillageNames, done_message,
    issue_lines, ledger_mark, list_preview, refuse_errors, refuse_stale, split_list, text_key, village_base)
from ledgerdesk.interchange.errors import HeaderNotFoundError, ImportHasErrorsError
from ledgerdesk.interchange.sheet import (
    DATE,
    HEADER_SCAN_ROWS,
    ID_NUMBER,
    PROSE,
    Column,
    HeaderMap,
    RowIssue,
    Workbook,
    find_header,
    read_sheet,
)
from ledgerdesk.interchange.workbook_out import (TemplateSheet, date_cell, new_sheet, new_workbook, save_workbook,
    text_cell, write_template)
from ledgerdesk.services import committees as C
from ledgerdesk.services.backup import COMMITTEE_IMPORT, backup_now
from ledgerdesk.services.permissions import EDITORS, may_reveal, require

Progress = Callable[[str, float], None]

_VILLAGE = Column("village", "村(社区)", VILLAGE_ALIASES, required=True)
_COMMITTEE = Column("committee", "组织名称", ("组织", "组织类别", "类别", "组织名称/类别", "六会", "六会名称", "协会名称",
                                          "所属组织", "组织名", "会名"), required=True)
COMMITTEE_COLUMNS: tuple[Column, ...] = (
    _VILLAGE, _COMMITTEE,
    Column("founded_on", "成立日期", ("成立时间", "组建日期", "成立年月"), kind=DATE),
    Column("charter", "章程", ("章程摘要", "组织章程", "章程内容"), kind=PROSE),
)
MEMBER_COLUMNS: tuple[Column, ...] = (
    _VILLAGE, _COMMITTEE,
    Column("role", "职务", ("职位", "担任职务", "会内职务", "职务(会长/副会长/秘书长/成员)")),
    Column("name", "姓名", ("成员姓名", "人员姓名", "名字"), required=True),
    Column("id_number", "身份证号", ID_NUMBER_ALIASES, kind=ID_NUMBER),
    Column("joined_on", "加入日期", ("入会日期", "加入时间", "任职日期", "入会时间"), kind=DATE),
    Column("left_on", "离任日期", ("退出日期", "离任时间", "离会日期"), kind=DATE),
)
FIGURE_COLUMNS: tuple[Column, ...] = (
    Column("events_handled", "办理红白事（场）", ("办理红白事", "红白事场次", "办理场次", "办理红白事(场次)")),
    Column("guests", "宴请人数", ("宾客人数", "宴席人数", "参加宴席人数")),
    Column("money_saved_yuan", "节约资金（元）", ("节约资金", "节约金额", "节约开支", "节约资金(万元)")),
    Column("evaluations", "评议（人次）", ("评议人次", "评议人数", "评议")),
    Column("red_list", "红榜（人）", ("红榜人数", "上红榜", "红榜", "上红榜人数")),
    Column("black_list", "黑榜（人）", ("黑榜人数", "上黑榜", "黑榜", "上黑榜人数")),
    Column("patrols", "巡逻（次）", ("巡逻次数", "巡逻", "巡逻(次数)")),
)
ACTIVITY_COLUMNS: tuple[Column, ...] = (
    _VILLAGE, _COMMITTEE,
    Column("held_on", "日期", ("活动日期", "会议日期", "时间", "活动时间", "开展日期"), kind=DATE, required=True),
    Column("kind", "类型", ("活动类型", "形式", "活动形式", "会议类型")),
    Column("topic", "主题", ("议题", "活动主题", "会议主题", "活动内容", "内容", "事由"), kind=PROSE),
    Column("attendees", "参加人员", ("参会人员", "出席人员", "参加人", "参与人员", "参会人")),
    Column("decisions", "决定事项", ("决议", "议定事项", "决定", "决议事项"), kind=PROSE),
    Column("outcome", "结果", ("成效", "活动结果", "效果", "办理结果", "活动成效"), kind=PROSE),
    *FIGURE_COLUMNS,
)
_FIGURE_BY_COLUMN = {c.key: c for c in FIGURE_COLUMNS}
SHEETS = {"committees": "组织", "members": "组织成员", "activities": "活动记录"}
_NAME_WITH_SUFFIX = re.compile(r"^(.+?)[(（]([0-9Xx]{4})[)）]$")
_ROLE_ALIASES = {"": "成员", "理事": "成员", "委员": "成员", "会员": "成员", "主任": "会长", "理事长": "会长",
                 "副主任": "副会长", "副理事长": "副会长", "秘书": "秘书长"}


# -- plan types -----------------------------------------------------------------------------------------


@dataclass
class PlannedCommittee:
    village_id: str
    village: str
    kind: str
    name: str
    committee_id: str | None  # None: formed by the import
    founded_on: dt.date | None = None
    charter: str = ""
    first_row: tuple[str, int] = ("", 0)


@dataclass
class PlannedMember:
    sheet: str
    row: int
    committee: tuple[str, str]  # (village_id, name) key of the committee
    person_id: str
    name: str
    role: str
    joined_on: dt.date | None
    left_on: dt.date | None
    member_id: str | None = None  # a current membership matched in the ledger
    change_role: bool = False
    end: bool = False


@dataclass
class PlannedActivity:
    sheet: str
    row: int
    committee: tuple[str, str]
    values: dict[str, Any]  # held_on, kind, topic, decisions, outcome, figures
    attendee_ids: tuple[str, ...]
    activity_id: str | None = None
    changes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CommitteePlanCounts:
    rows: int
    error_rows: int
    committees_new: int
    members_new: int
    members_updated: int
    members_unchanged: int
    activities_new: int
    activities_updated: int
    activities_unchanged: int


@dataclass
class CommitteePlan(ImportPlan):
    """What a committee import would do; nothing has been written yet."""

    def row_counts(self) -> tuple[int, int, int]:
        return self.counts.rows, self.counts.rows - self.counts.error_rows, self.counts.error_rows

    path: str
    sheets: dict[str, str]  # kind -> sheet name found
    committees: dict[tuple[str, str], PlannedCommittee]
    members: list[PlannedMember]
    activities: list[PlannedActivity]
    errors: list[RowIssue]
    warnings: list[RowIssue]
    error_rows: frozenset[tuple[str, int]]
    ledger_mark: int

    kind = "committees"

    @property
    def counts(self) -> CommitteePlanCounts:
        valid = [m for m in self.members if (m.sheet, m.row) not in self.error_rows]
        acts = [a for a in self.activities if (a.sheet, a.row) not in self.error_rows]
        rows = len({(m.sheet, m.row) for m in self.members} | {(a.sheet, a.row) for a in self.activities}
                   | set(self.error_rows))
        return CommitteePlanCounts(
            rows=rows, error_rows=len(self.error_rows),
            committees_new=sum(1 for c in self.committees.values() if c.committee_id is None),
            members_new=sum(1 for m in valid if m.member_id is None),
            members_updated=sum(1 for m in valid if m.member_id and (m.change_role or m.end)),
            members_unchanged=sum(1 for m in valid if m.member_id and not (m.change_role or m.end)),
            activities_new=sum(1 for a in acts if a.activity_id is None),
            activities_updated=sum(1 for a in acts if a.activity_id and a.changes),
            activities_unchanged=sum(1 for a in acts if a.activity_id and not a.changes))

    def summary_lines(self, max_errors: int = 20) -> list[str]:
        c = self.counts
        found = "、".join(f"“{name}”" for name in self.sheets.values()) or "（无）"
        lines = [f"文件：{Path(self.path).name}（工作表 {found}）",
                 f"数据行：{c.rows}，有错误 {c.error_rows}",
                 f"组织：新成立 {c.committees_new}",
                 f"成员：新增 {c.members_new}，更新 {c.members_updated}，不变 {c.members_unchanged}",
                 f"活动：新增 {c.activities_new}，更新 {c.activities_updated}，不变 {c.activities_unchanged}"]
        new = [f"{p.village}{p.name}" for p in self.committees.values() if p.committee_id is None]
        if new:
            lines.append("将成立：" + list_preview(new))
        return lines + issue_lines(self.warnings, self.errors, max_errors)


@dataclass(frozen=True)
class CommitteeImportResult:
    committees_created: int
    members_created: int
    members_updated: int
    activities_created: int
    activities_updated: int
    rows_skipped: int

    @property
    def message(self) -> str:
        parts = [f"新成立组织 {self.committees_created}", f"新增成员 {self.members_created}",
                 f"更新成员 {self.members_updated}", f"新增活动 {self.activities_created}",
                 f"更新活动 {self.activities_updated}"]
        return done_message(parts, self.rows_skipped)


# -- the ledger, read once ---------------------------------------------------------------------------------


class _Index:
    def __init__(self, session):
        q = session.ledger.db.execute_sql
        self.mark = ledger_mark(session.ledger.db)
        self.villages = {r[0]: r[1] for r in q("SELECT id, name FROM village WHERE deleted = 0")}
        self.village_names = VillageNames(self.villages.items())
        self.village = self.village_names.find  # name -> id, or None
        self.committees: dict[tuple[str, str], tuple] = {}  # (village, name) -> (id, kind, founded, dissolved)
        self.by_kind: dict[tuple[str, str], tuple] = {}
        for cid, vid, kind, name, founded, dissolved in q(
                "SELECT id, village_id, kind, name, founded_on, dissolved_on FROM committee WHERE deleted = 0 "
                "AND dissolved_on IS NULL ORDER BY founded_on, id"):
            self.committees.setdefault((vid, name), (cid, kind, founded, dissolved))
            if kind in COMMITTEE_KINDS:
                self.by_kind.setdefault((vid, kind), (cid, kind, founded, dissolved, name))
        self.persons_by_name: dict[tuple[str, str], list[tuple]] = {}
        self.persons_by_id: dict[str, list[tuple]] = {}
        self.status: dict[str, tuple[str, str]] = {}  # person -> (name, status)
        for pid, name, number, status, vid in q(
                "SELECT p.id, p.name, p.id_number, p.status, h.village_id FROM person p "
                "JOIN household h ON h.id = p.household_id WHERE p.deleted = 0"):
            self.persons_by_name.setdefault((vid, name), []).append((pid, status, number or ""))
            self.status[pid] = (name, status)
            if number:
                self.persons_by_id.setdefault(number, []).append((pid, status, name))
        self.members: dict[tuple[str, str], tuple] = {}  # (committee, person) -> (member id, role)
        self.former: set[tuple[str, str, str]] = set()  # (committee, person, left_on) of former members
        self.chairs: dict[str, str] = {}  # committee -> person id of its current 会长
        for mid, cid, pid, role, left in q("SELECT id, committee_id, person_id, role, left_on FROM committee_member "
                                           "WHERE deleted = 0"):
            if left:
                self.former.add((cid, pid, left))
                continue
            self.members[(cid, pid)] = (mid, role)
            if role == C.CHAIR:
                self.chairs[cid] = pid
        self.activities: dict[tuple, tuple] = {}
        cols = ("id", "committee_id", "held_on", "kind", "topic", "decisions", "outcome", *C.FIGURE_FIELDS)
        for r in q(f"SELECT {', '.join(cols)} FROM committee_activity WHERE deleted = 0"):
            row = dict(zip(cols, r))
            self.activities.setdefault((row["committee_id"], row["held_on"], row["kind"], text_key(row["topic"])), row)
        self.attendees: dict[str, set[str]] = {}
        for aid, pid in q("SELECT activity_id, person_id FROM activity_attendee WHERE deleted = 0"):
            self.attendees.setdefault(aid, set()).add(pid)


# -- reading the workbook -------------------------------------------------------------------------------------


def _classify(path: Path) -> dict[str, str]:
    """kind -> sheet name: which sheet holds committees, members, activities (by their headers)."""
    maps = {"members": HeaderMap(MEMBER_COLUMNS), "activities": HeaderMap(ACTIVITY_COLUMNS),
            "committees": HeaderMap(COMMITTEE_COLUMNS)}
    found: dict[str, tuple[str, int]] = {}
    with Workbook(path) as wb:
        for name in wb.sheet_names:
            head = []
            for item in wb.rows(name):
                head.append(item)
                if len(head) >= HEADER_SCAN_ROWS:
                    break
            guesses = {k: find_header(head, m) for k, m in maps.items()}
            keys = {k: set(g.mapping.values()) if g else set() for k, g in guesses.items()}
            if "name" in keys["members"] and {"village", "committee"} <= keys["members"]:
                kind = "members"
            elif "held_on" in keys["activities"] and {"village", "committee"} <= keys["activities"]:
                kind = "activities"
            elif {"village", "committee"} <= keys["committees"] and keys["committees"] & {"founded_on", "charter"}:
                kind = "committees"
            else:
                continue
            score = guesses[kind].score
            if kind not in found or score > found[kind][1]:
                found[kind] = (name, score)
    if not found:
        raise HeaderNotFoundError(
            f"在“{path.name}”中找不到六会表格：组织成员表的表头应包含“村(社区)”“组织名称”“姓名”等列，"
            "活动记录表的表头应包含“村(社区)”“组织名称”“日期”等列。请使用六会模板")
    return {k: v[0] for k, v in found.items()}


def _fits_mask(number: str, masked: str) -> bool:
    """Whether ``number`` could be shown as ``masked`` (1523**********1234: the visible ends agree)."""
    return len(number) == len(masked) and all(m == "*" or m == n for m, n in zip(masked, number.upper()))


def _int_cell(value: object) -> int | None:
    s = clean(value).replace(",", "")
    if not s:
        return None
    try:
        number = float(s)
    except ValueError:
        raise ValueError(f"应为整数，不能是“{s}”") from None
    if not number.is_integer() or number < 0:
        raise ValueError(f"应为不小于 0 的整数，不能是“{s}”")
    return int(number)


# -- planning ----------------------------------------------------------------------------------------------


def plan_committee_import(session, path: str | os.PathLike, *, progress: Progress | None = None,
                          cancel=None) -> CommitteePlan:
    """Read ``path`` and compare it with the ledger; nothing is written."""
    path = Path(path)
    today = session.ledger.clock.today()
    sheets = _classify(path)
    with session.reading():
        index = _Index(session)
    errors: list[RowIssue] = []
    warnings: list[RowIssue] = []
    bad: set[tuple[str, int]] = set()
    committees: dict[tuple[str, str], PlannedCommittee] = {}
    members: list[PlannedMember] = []
    activities: list[PlannedActivity] = []

    def err(sheet: str, row: int, column: str, reason: str) -> None:
        errors.append(RowIssue(row, column, f"［{sheet}］{reason}"))
        bad.add((sheet, row))

    def committee_of(sheet: str, row: int, data, values: dict, *, founded=None, charter="") -> tuple | None:
        vname = clean(values.get("village"))
        cname = clean(values.get("committee"))
        if not vname:
            err(sheet, row, data.header("village"), "请填写村（社区）")
            return None
        vid = index.village(vname)
        if vid is None:
            similar = index.village_names.similar(vname)
            err(sheet, row, data.header("village"),
                f"“{vname}”可能是{'、'.join(similar)}，请写村（社区）的全称" if len(similar) > 1 else
                f"台账中没有名为“{vname}”的村（社区、嘎查），请先导入花名册或新建该村")
            return None
        village = index.villages[vid]
        if not cname:
            err(sheet, row, data.header("committee"), "请填写组织名称，如“红白理事会”")
            return None
        for prefix in (village, village_base(village)):
            if prefix and cname.startswith(prefix) and len(cname) > len(prefix):
                cname = cname[len(prefix):]
                break
        kind = next((k for k, label in COMMITTEE_KINDS.items() if cname in (label, k)), CUSTOM_COMMITTEE)
        if kind != CUSTOM_COMMITTEE:
            cname = COMMITTEE_KINDS[kind]
            hit = index.by_kind.get((vid, kind))
            existing = (hit[0], hit[1], hit[2], hit[3]) if hit else None
            key_name = hit[4] if hit else cname
        else:
            existing = index.committees.get((vid, cname))
            key_name = cname
        key = (vid, key_name)
        planned = committees.get(key)
        if planned is None:
            planned = committees[key] = PlannedCommittee(
                vid, village, kind, key_name, existing[0] if existing else None,
                dt.date.fromisoformat(existing[2]) if existing and existing[2] else None, "", (sheet, row))
        if planned.committee_id is None:
            if founded and (planned.founded_on is None or founded < planned.founded_on):
                planned.founded_on = founded
            if charter and not planned.charter:
                planned.charter = charter
        return key

    def person_of(sheet: str, row: int, data, vid: str, name: str, number: str | None, column: str) -> str | None:
        if number and "*" not in number:
            hits = index.persons_by_id.get(number, [])
            if len(hits) == 1:
                if name and hits[0][2] != name:
                    warnings.append(RowIssue(row, data.header("id_number"),
                                             f"［{sheet}］身份证号属于“{hits[0][2]}”，与所填姓名“{name}”不同，按身份证号匹配"))
                return hits[0][0]
            if len(hits) > 1:
                err(sheet, row, data.header("id_number"), "台账中有多人使用此身份证号，请先在户籍中合并重复人员")
                return None
            err(sheet, row, data.header("id_number"), f"台账中没有身份证号为 {mask_id_number(number)} 的人员，"
                                                      "请先导入花名册")
            return None
        suffix = ""
        marked = _NAME_WITH_SUFFIX.match(name)
        if marked:  # 张伟（1234）: the last four characters of the 身份证号 tell namesakes apart
            name, suffix = marked.group(1), marked.group(2).upper()
        hits = index.persons_by_name.get((vid, name), [])
        living = [h for h in hits if h[1] in ("在册", "外出")] or hits
        if not living:
            err(sheet, row, column, f"{index.villages[vid]}没有名为“{name}”的人员，请核对姓名或先导入花名册")
            return None
        if len(living) > 1 and (suffix or (number and "*" in number)):
            narrowed = [h for h in living if (not suffix or h[2].endswith(suffix))
                        and (not number or "*" not in number or _fits_mask(h[2], number))]
            if narrowed:
                living = narrowed
        if len(living) > 1:
            err(sheet, row, column, f"{index.villages[vid]}有 {len(living)} 人名为“{name}”，请填写身份证号以区分"
                                    f"（参加人员可写作“{name}（身份证号后4位）”）")
            return None
        return living[0][0]

    def read(kind: str, columns: tuple[Column, ...]):
        """The sheet of ``kind``, its cell issues recorded as row errors."""
        data = read_sheet(path, columns, sheet=sheets[kind], progress=progress, cancel=cancel)
        for issue in data.issues:
            err(data.sheet, issue.row, issue.column, issue.reason)
        return data, data.sheet

    # -- 组织 -------------------------------------------------------------------------
    if "committees" in sheets:
        data, sheet = read("committees", COMMITTEE_COLUMNS)
        for r in data.rows:
            founded = r.get("founded_on")
            if founded and founded > today:
                err(sheet, r.number, data.header("founded_on"), "成立日期不能晚于今天")
                continue
            committee_of(sheet, r.number, data, r.values, founded=founded, charter=r.get("charter") or "")

    # -- 组织成员 ----------------------------------------------------------------------
    if "members" in sheets:
        data, sheet = read("members", MEMBER_COLUMNS)
        seen: dict[tuple, int] = {}
        chairs: dict[tuple, tuple[str, int]] = {}
        for r in data.rows:
            if (sheet, r.number) in bad:
                continue
            name = clean(r.get("name")).replace(" ", "")
            if not name:
                err(sheet, r.number, data.header("name"), "请填写姓名")
                continue
            role = clean(r.get("role"))
            role = _ROLE_ALIASES.get(role, role)
            if role not in COMMITTEE_ROLES:
                err(sheet, r.number, data.header("role"), f"职务应为{'、'.join(COMMITTEE_ROLES)}之一，不能是“{role}”")
                continue
            joined, left = r.get("joined_on"), r.get("left_on")
            if joined and joined > today:
                err(sheet, r.number, data.header("joined_on"), "加入日期不能晚于今天")
                continue
            if left and (left > today or (joined and left < joined)):
                err(sheet, r.number, data.header("left_on"), "离任日期不能晚于今天，也不能早于加入日期")
                continue
            key = committee_of(sheet, r.number, data, r.values, founded=joined)
            if key is None:
                continue
            pid = person_of(sheet, r.number, data, key[0], name, r.get("id_number"), data.header("name"))
            if pid is None:
                continue
            person_name, status = index.status[pid]
            if status not in ("在册", "外出"):
                err(sheet, r.number, data.header("name"), f"{person_name}已{status}，不能担任组织成员")
                continue
            if (key, pid) in seen:
                err(sheet, r.number, data.header("name"), f"{name}在本表第{seen[(key, pid)]}行已列为该组织成员")
                continue
            seen[(key, pid)] = r.number
            planned = committees[key]
            if planned.committee_id and planned.founded_on and joined and joined < planned.founded_on:
                err(sheet, r.number, data.header("joined_on"),
                    f"加入日期早于{planned.name}的成立日期 {planned.founded_on.isoformat()}")
                continue
            member = index.members.get((planned.committee_id, pid)) if planned.committee_id else None
            m = PlannedMember(sheet, r.number, key, pid, name, role, joined, left)
            if member is None and left and (planned.committee_id, pid, left.isoformat()) in index.former:
                m.member_id = "former"  # already recorded as a former member: unchanged
            elif member is not None:
                m.member_id = member[0]
                m.change_role = member[1] != role
                m.end = left is not None
            if role == C.CHAIR and not left:
                if key in chairs:
                    err(sheet, r.number, data.header("role"), f"同一组织只能有一位会长（第{chairs[key][1]}行已是会长）")
                    continue
                chairs[key] = (pid, r.number)
            members.append(m)
        # a new 会长 while the ledger's current one stays 会长 (not in the file as something else)
        in_file = {(m.committee, m.person_id): m for m in members}
        for key, (pid, row) in chairs.items():
            cid = committees[key].committee_id
            current = index.chairs.get(cid) if cid else None
            if current and current != pid:
                other = in_file.get((key, current))
                if other is None or (other.role == C.CHAIR and not other.left_on):
                    err(sheet, row, data.header("role"),
                        f"{committees[key].village}{committees[key].name}已有会长，同一组织只能有一位会长；"
                        "请在表中同时写明原会长的新职务或离任日期")

    # -- 活动记录 ----------------------------------------------------------------------
    if "activities" in sheets:
        data, sheet = read("activities", ACTIVITY_COLUMNS)
        seen_acts: dict[tuple, int] = {}
        for r in data.rows:
            if (sheet, r.number) in bad:
                continue
            held = r.get("held_on")
            if held is None:
                err(sheet, r.number, data.header("held_on"), "请填写活动日期")
                continue
            if held > today:
                err(sheet, r.number, data.header("held_on"), "活动日期不能晚于今天")
                continue
            kind = clean(r.get("kind")) or "会议"
            if kind not in C.ACTIVITY_KINDS:
                err(sheet, r.number, data.header("kind"), f"类型应为{'、'.join(C.ACTIVITY_KINDS)}之一，不能是“{kind}”")
                continue
            key = committee_of(sheet, r.number, data, r.values, founded=held)
            if key is None:
                continue
            planned = committees[key]
            if planned.committee_id and planned.founded_on and held < planned.founded_on:
                err(sheet, r.number, data.header("held_on"),
                    f"活动日期早于{planned.name}的成立日期 {planned.founded_on.isoformat()}")
                continue
            figures: dict[str, int] = {}
            failed = False
            for f in C.FIGURE_FIELDS:
                try:
                    value = _int_cell(r.get(f))
                except ValueError as exc:
                    err(sheet, r.number, data.header(f), f"{_FIGURE_BY_COLUMN[f].label}{exc}")
                    failed = True
                    continue
                if value and f not in C.figures_of(planned.kind):
                    err(sheet, r.number, data.header(f),
                        f"{planned.name}不记录“{_FIGURE_BY_COLUMN[f].label}”，请留空或改填到相应组织")
                    failed = True
                    continue
                if value is not None:
                    figures[f] = value
            people: list[str] = []
            for name in split_list(r.get("attendees", "")):
                pid = person_of(sheet, r.number, data, key[0], name, None, data.header("attendees"))
                if pid is None:
                    failed = True
                    break
                people.append(pid)
            if failed:
                continue
            topic = " ".join((r.get("topic") or "").split())  # one line; its punctuation kept
            ident = (key, held, kind, text_key(topic))
            if ident in seen_acts:
                err(sheet, r.number, "", f"与第{seen_acts[ident]}行是同一次活动（组织、日期、类型、主题相同）")
                continue
            seen_acts[ident] = r.number
            values = {"held_on": held, "kind": kind, "topic": topic, "decisions": r.get("decisions") or "",
                      "outcome": r.get("outcome") or "", **figures}
            a = PlannedActivity(sheet, r.number, key, values, tuple(dict.fromkeys(people)))
            found = index.activities.get((planned.committee_id, held.isoformat(), kind, text_key(topic))) \
                if planned.committee_id else None
            if found is not None:
                a.activity_id = found["id"]
                for k in ("decisions", "outcome", *figures):
                    # text compared by text_key: what an earlier import stored with half-width punctuation
                    # is the same text as the Chinese-punctuated cell
                    new, stored = values[k], found[k]
                    if isinstance(new, str):
                        new, stored = text_key(new), text_key(stored)
                    if values[k] not in ("", None) and new != stored:
                        a.changes[k] = values[k]
                if people and set(people) != index.attendees.get(found["id"], set()):
                    a.changes["attendee_ids"] = a.attendee_ids
            activities.append(a)

    return CommitteePlan(str(path), {k: v for k, v in sheets.items()}, committees, members, activities, errors,
                         warnings, frozenset(bad), index.mark)


# -- applying ----------------------------------------------------------------------------------------------


def apply_committee_import(session, plan: CommitteePlan, *, only_valid: bool = False,
                           progress: Progress | None = None, cancel=None) -> CommitteeImportResult:
    """Write ``plan`` in one transaction through the committee services; all-or-nothing unless ``only_valid``."""
    require(session, EDITORS, "导入六会")
    refuse_errors(plan, only_valid, "六会表格")
    backup_now(session, COMMITTEE_IMPORT, progress=progress)  # automatic backup before an import writes
    skip = plan.error_rows if only_valid else frozenset()
    members = [m for m in plan.members if (m.sheet, m.row) not in skip]
    activities = [a for a in plan.activities if (a.sheet, a.row) not in skip]
    used = {m.committee for m in members} | {a.committee for a in activities} | {
        k for k, c in plan.committees.items() if (c.first_row not in skip)}
    created = m_new = m_upd = a_new = a_upd = 0
    with session.writing():
        refuse_stale(session.ledger.db, plan)
        ids: dict[tuple[str, str], str] = {}
        for key, c in plan.committees.items():
            if c.committee_id is not None:
                ids[key] = c.committee_id
            elif key in used:
                ids[key] = C.form(session, village_id=c.village_id, kind=c.kind,
                                  name=c.name if c.kind == CUSTOM_COMMITTEE else None,
                                  founded_on=c.founded_on, charter=c.charter)
                created += 1
        if progress:
            progress("正在写入组织成员…", 0.3)
        # demotions and leavers first, so a new 会长 never meets the old one
        order = sorted(members, key=lambda m: (m.role == C.CHAIR and not m.left_on, m.row))
        for n, m in enumerate(order):
            if cancel is not None and n % 500 == 0 and cancel():
                raise Cancelled("已取消导入")
            cid = ids[m.committee]
            try:
                if m.member_id is None:
                    # a former 会长 is recorded as a former member: the current 会长 stays the only one
                    role = C.MEMBER if m.left_on and m.role == C.CHAIR else m.role
                    mid = C.add_member(session, cid, person_id=m.person_id, role=role, joined_on=m.joined_on)
                    if m.left_on:
                        C.end_membership(session, mid, m.left_on)
                    m_new += 1
                elif m.change_role or m.end:
                    if m.change_role and not m.left_on:
                        C.set_member_role(session, m.member_id, m.role)
                    if m.end:
                        C.end_membership(session, m.member_id, m.left_on)
                    m_upd += 1
            except ValidationError as exc:
                raise ImportHasErrorsError(f"［{m.sheet}］第{m.row}行：{exc.message}；没有导入任何数据") from None
        if progress:
            progress("正在写入活动记录…", 0.6)
        for n, a in enumerate(activities):
            if cancel is not None and n % 500 == 0 and cancel():
                raise Cancelled("已取消导入")
            try:
                if a.activity_id is None:
                    C.record_activity(session, ids[a.committee], attendee_ids=a.attendee_ids, **a.values)
                    a_new += 1
                elif a.changes:
                    C.update_activity(session, a.activity_id, **a.changes)
                    a_upd += 1
            except ValidationError as exc:
                raise ImportHasErrorsError(f"［{a.sheet}］第{a.row}行：{exc.message}；没有导入任何数据") from None
    if progress:
        progress("导入完成", 1.0)
    return CommitteeImportResult(created, m_new, m_upd, a_new, a_upd, len(skip))


def import_committees(session, path: str | os.PathLike, *, only_valid: bool = False) -> CommitteeImportResult:
    """Plan and apply in one call (scripts)."""
    return apply_committee_import(session, plan_committee_import(session, path), only_valid=only_valid)


# -- export ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CommitteeExportResult:
    path: str
    committees: int
    members: int
    activities: int
    masked: bool


_COMMITTEE_HEADERS = ("村(社区)", "组织名称", "类别", "成立日期", "解散日期", "现有成员", "会长", "章程")
_WIDTHS = {"村(社区)": 14, "组织名称": 16, "类别": 12, "职务": 8, "姓名": 10, "身份证号": 22, "主题": 24,
           "参加人员": 40, "决定事项": 30, "结果": 24, "章程": 40}


def _sheet(wb, title: str, headers):
    headers = list(headers)
    return new_sheet(wb, title, headers, [_WIDTHS.get(h, 12) for h in headers])


def export_committees(session, path: str | os.PathLike, *, village_id: str | None = None, reveal: bool = False,
                      include_dissolved: bool = False) -> CommitteeExportResult:
    """Committees, members and activities to .xlsx in the import layout (身份证号 masked unless ``reveal``)."""
    show = reveal and may_reveal(session)
    path = Path(path)
    ids = C.committee_ids(session, village_id=village_id, include_dissolved=include_dissolved)
    rows = C.committee_rows(session, ids)
    db = session.ledger.db
    marks = ", ".join("?" * len(ids)) or "''"
    with session.reading():
        member_rows = db.execute_sql(
            "SELECT m.committee_id, m.role, coalesce(p.name, ''), coalesce(p.id_number, ''), m.joined_on, m.left_on "
            "FROM committee_member m LEFT JOIN person p ON p.id = m.person_id "
            f"WHERE m.deleted = 0 AND m.committee_id IN ({marks}) "
            "ORDER BY m.left_on IS NOT NULL, CASE m.role WHEN '会长' THEN 0 WHEN '副会长' THEN 1 WHEN '秘书长' THEN 2 "
            "ELSE 3 END, m.joined_on, p.name, m.id", list(ids)).fetchall()
        activity_rows = db.execute_sql(
            "SELECT a.id, a.committee_id, a.held_on, a.kind, a.topic, a.decisions, a.outcome, "
            f"{', '.join('a.' + f for f in C.FIGURE_FIELDS)} FROM committee_activity a "
            f"WHERE a.deleted = 0 AND a.committee_id IN ({marks}) ORDER BY a.held_on, a.id", list(ids)).fetchall()
        # namesakes in a village get the last four characters of their 身份证号 (as a masked number shows them)
        namesakes = {(r[0], r[1]) for r in db.execute_sql(
            "SELECT h.village_id, p.name FROM person p JOIN household h ON h.id = p.household_id "
            "WHERE p.deleted = 0 GROUP BY h.village_id, p.name HAVING count(*) > 1")}
        names: dict[str, list[str]] = {}
        for aid, village_id, name, number in db.execute_sql(
                "SELECT t.activity_id, c.village_id, p.name, p.id_number FROM activity_attendee t "
                "JOIN person p ON p.id = t.person_id "
                f"JOIN committee_activity a ON a.id = t.activity_id AND a.deleted = 0 AND a.committee_id IN ({marks}) "
                "JOIN committee c ON c.id = a.committee_id WHERE t.deleted = 0 ORDER BY p.name", list(ids)):
            if (village_id, name) in namesakes and len(number or "") >= 4:
                name = f"{name}（{number[-4:]}）"
            names.setdefault(aid, []).append(name)
    by_id = {r.id: r for r in rows}
    wb = new_workbook()
    ws = _sheet(wb, SHEETS["committees"], _COMMITTEE_HEADERS)
    for r in rows:
        ws.append([r.village, r.name, r.kind_label if r.kind != CUSTOM_COMMITTEE else "其他组织",
                   date_cell(ws, r.founded_on), date_cell(ws, r.dissolved_on), r.members, r.chair, r.charter])
    ws = _sheet(wb, SHEETS["members"], [c.label for c in MEMBER_COLUMNS])
    for cid, role, name, number, joined, left in member_rows:
        c = by_id[cid]
        ws.append([c.village, c.name, role, name, text_cell(ws, number if show else mask_id_number(number)),
                   date_cell(ws, joined), date_cell(ws, left)])
    ws = _sheet(wb, SHEETS["activities"], [c.label for c in ACTIVITY_COLUMNS])
    for r in activity_rows:
        c = by_id[r[1]]
        figures = [v if v else None for v in r[7:]]
        ws.append([c.village, c.name, date_cell(ws, r[2]), r[3], r[4], "、".join(names.get(r[0], ())), r[5], r[6],
                   *figures])
    save_workbook(wb, path)
    return CommitteeExportResult(str(path), len(rows), len(member_rows), len(activity_rows), not show)


def write_committee_template(path: str | os.PathLike) -> Path:
    """The blank 六会 template: 组织成员 and 活动记录 sheets with value lists, and a help sheet."""
    kinds = ",".join(COMMITTEE_KINDS.values())
    sheets = [TemplateSheet(title, columns, [_WIDTHS.get(c.label, 12) for c in columns],
                            frozenset({"id_number"}), (("committee", kinds), extra), list_rows=3000, wrap_headers=True)
              for title, columns, extra in (
                  (SHEETS["members"], MEMBER_COLUMNS, ("role", ",".join(COMMITTEE_ROLES))),
                  (SHEETS["activities"], ACTIVITY_COLUMNS, ("kind", ",".join(C.ACTIVITY_KINDS))))]
    notes = [
        "六会（红白理事会、互帮互助会、联防联治会、乡贤参事会、禁毒禁赌会、道德评议会）填写说明",
        "1. “组织成员”表每行一名成员；“活动记录”表每行一次会议或活动。两张表可只填一张。",
        "2. 组织名称填六会之一，或自定义组织的名称（如 老年协会）；台账中还没有的组织会在导入时成立（导入前会列出）。",
        "3. 村（社区）须是台账中已有的村；人员须已在花名册中。同村有同名的人时，请填写身份证号。",
        "4. 职务填 会长、副会长、秘书长 或 成员（留空按成员）；每个组织只能有一位会长。",
        "5. 日期可写作 2026-05-01、2026/5/1、2026.5.1、2026年5月1日 或 20260501。",
        "6. 参加人员填姓名，多人用顿号分隔，例如：张三、李四。",
        "7. 类型填 " + "、".join(C.ACTIVITY_KINDS) + "。",
        "8. 数字列只填对应组织的：红白理事会填办理红白事、宴请人数、节约资金；道德评议会填评议人次、红榜、黑榜；"
        "联防联治会填巡逻次数。其他组织请留空。",
        "9. 身份证号请保持“文本”格式，不要让 Excel 变成科学计数法（如 1.52E+17）。",
        "10. 重复导入同一文件只更新，不会重复添加成员或活动；空白单元格不会清除台账中已有的内容。",
    ]
    return write_template(path, sheets, notes, notes_width=110)


def template_path() -> Path:
    """The shipped blank template (resources/templates/六会模板.xlsx)."""
    from ledgerdesk.core.paths import resource

    return resource("templates", "六会模板.xlsx")
