"""花名册 (household roster) import and export, as plan → preview → apply.

A roster row is one person; the columns are :data:`ROSTER_COLUMNS` (with the
aliases real files use). Rows are grouped into households by:

1. 户号 (with the village), else
2. 户主姓名 (with the village and 村民小组), else
3. the 户主 row itself (与户主关系 = 户主/本人): the rows after it without 户号
   or 户主姓名 are its members, as in the usual printed roster.

:func:`plan_roster_import` reads the file and compares it with the ledger
without writing anything: which households and persons are new, changed or
unchanged, which villages, 小组, 网格 and 标签 will be created, every row error
and warning (row number as Excel shows it, column, Chinese reason), duplicates
within the file and 身份证号 already in the ledger under another household.

:func:`apply_roster_import` writes a plan in ONE transaction: all-or-nothing by
default (a plan with row errors is refused and nothing is written), or only the
valid rows. Re-importing the same file matches everything and changes nothing:
households match by village + 户号, else by the 户主's 身份证号, else by the
户主's name and birth date; persons match within their household by 身份证号,
else by name + birth date (else by name alone when the row has neither and the
name is unique in the household).

Conservative updates: a blank cell never clears a value already in the
ledger, tags are added (never removed), and a household is never moved to
another village by an import.

Person rules are :func:`ledgerdesk.core.person_rules.check_person`: its errors
are row errors; its warnings (a wrong check digit) are saved with
``id_status = 'invalid'``. A masked 身份证号 or phone (with *, from a masked
export) is ignored with a warning, so a round trip never writes stars over
real numbers.
"""

from __future__ import annotations

import os
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ledgerdesk.core.errors import Cancelled
from ledgerdesk.core.ids import link_id, uuid7_fast_factory
from ledgerdesk.core.masking import mask_id_number, mask_phone
from ledgerdesk.core.person_rules import check_person, clean_name
from ledgerdesk.core.vocab import LEVELS, PERSON_STATUSES
from ledgerdesk.interchange.common import (ID_NUMBER_ALIASES, VILLAGE_ALIASES, ImportPlan, VillageNames, done_message,
    file_line, issue_lines, ledger_mark, list_preview, refuse_errors, refuse_stale, split_list)
from ledgerdesk.interchange.sheet import BOOL, CODE, DATE, ID_NUMBER, PHONE, Column, RowIssue, read_sheet
from ledgerdesk.interchange.workbook_out import (TemplateSheet, date_cell, new_sheet, new_workbook, save_workbook,
    text_cell, write_template)
from ledgerdesk.services.backup import ROSTER_IMPORT, backup_now
from ledgerdesk.services.permissions import EDITORS, may_reveal, require, require_all_villages
from ledgerdesk.store import search_index
from ledgerdesk.store.models import Grid, Household, HouseholdTag, Person, Tag, Village, VillageGroup

Progress = Callable[[str, float], None]
CancelCheck = Callable[[], bool]

# -- the columns ---------------------------------------------------------------------------------------

ROSTER_COLUMNS: tuple[Column, ...] = (
    Column("village", "村(社区)", VILLAGE_ALIASES),
    Column("group", "村民小组", ("小组", "组", "组别", "村民组", "组名", "所属小组", "牧民小组", "居民小组", "村小组")),
    Column("grid", "网格", ("网格名称", "所属网格", "网格号", "网格编号")),
    Column("hh_no", "户号", ("户编号", "户籍编号", "家庭编号", "户代码", "户序号"), kind=CODE),
    Column("head_name", "户主姓名", ("户主", "户主名", "户主名字")),
    Column("name", "姓名", ("人员姓名", "成员姓名", "家庭成员姓名", "名字", "家庭成员"), required=True),
    Column("relation", "与户主关系", ("关系", "与户主的关系", "家庭关系", "户主关系", "与户主关系(称谓)")),
    Column("gender", "性别", ()),
    Column("birth_date", "出生日期", ("出生年月日", "出生年月", "生日", "出生时间"), kind=DATE),
    Column("id_number", "身份证号", ID_NUMBER_ALIASES, kind=ID_NUMBER),
    Column("phone", "联系电话", ("联系方式", "手机号", "手机号码", "电话", "电话号码", "手机", "联系手机"), kind=PHONE),
    Column("ethnicity", "民族", ()),
    Column("party", "是否党员", ("党员", "是否中共党员", "政治面貌"), kind=BOOL),
    Column("address", "现住址", ("住址", "家庭住址", "居住地址", "现居住地址", "现居住地", "地址", "家庭地址")),
    Column("status", "人员状态", ("状态", "在册状态", "人员情况")),
    Column("tags", "标签", ("户标签", "家庭标签", "户类别", "人员类别", "特殊人群")),
    Column("level", "三色等级", ("三色", "等级", "户等级", "三色管理", "颜色等级", "风险等级")),
)
TEMPLATE_HEADERS: tuple[str, ...] = tuple(c.label for c in ROSTER_COLUMNS)
_LABEL = {c.key: c.label for c in ROSTER_COLUMNS}

HEAD_RELATIONS = frozenset({"户主", "本人", "户主本人"})
_STATUS_ALIASES = {"正常": "在册", "在家": "在册", "在户": "在册", "外出务工": "外出", "务工": "外出", "死亡": "去世",
                   "已故": "去世", "迁移": "迁出", "已迁出": "迁出"}
_LEVEL_ALIASES = {"绿色": "绿", "黄色": "黄", "红色": "红", "G": "绿", "Y": "黄", "R": "红"}

BULK_MIN_ROWS = 5000  # new households + persons from which the search index is rebuilt once

_PERSON_FIELDS = ("name", "gender", "birth_date", "id_number", "id_status", "phone", "relation", "ethnicity",
                  "status", "is_party_member")


# -- plan types ----------------------------------------------------------------------------------------


@dataclass
class PlannedPerson:
    """One valid roster row as a person to create (``person_id`` None) or to update."""

    row: int
    values: dict[str, Any]  # person columns to write (ISO dates, 0/1)
    person_id: str | None = None
    changes: dict[str, Any] = field(default_factory=dict)  # for a matched person: only what differs
    is_head: bool = False


@dataclass
class PlannedHousehold:
    """One household of the file: new (``household_id`` None) or matched to the ledger."""

    key: tuple
    first_row: int
    village: str  # name as it will be in the ledger
    village_id: str | None  # None: the village is created by the import
    group: str = ""
    grid: str = ""
    hh_no: str = ""
    address: str = ""
    level: str = ""
    tags: tuple[str, ...] = ()
    persons: list[PlannedPerson] = field(default_factory=list)
    household_id: str | None = None
    matched_by: str = ""  # 户号 / 户主身份证号 / 户主姓名和出生日期
    changes: dict[str, Any] = field(default_factory=dict)  # household columns that differ (names for group/grid)
    new_tags: tuple[str, ...] = ()  # tags to add to a matched household
    head_row: int | None = None

    @property
    def is_new(self) -> bool:
        return self.household_id is None

    @property
    def is_changed(self) -> bool:
        return bool(self.changes or self.new_tags or any(p.person_id is None or p.changes for p in self.persons))


@dataclass(frozen=True)
class PlanCounts:
    rows: int  # data rows read
    valid_rows: int
    error_rows: int
    households_new: int
    households_updated: int
    households_unchanged: int
    persons_new: int
    persons_updated: int
    persons_unchanged: int


@dataclass
class RosterPlan(ImportPlan):
    """What an import would do; nothing has been written. Show it, then :func:`apply_roster_import`."""

    def row_counts(self) -> tuple[int, int, int]:
        return self.counts.rows, self.counts.valid_rows, self.counts.error_rows

    path: str
    sheet: str
    header_row: int
    headers: dict[str, str]  # column key -> header text in the file
    ignored_headers: tuple[str, ...]
    households: list[PlannedHousehold]
    errors: list[RowIssue]
    warnings: list[RowIssue]
    duplicates_in_file: list[RowIssue]  # also in errors
    duplicates_in_ledger: list[RowIssue]  # also in warnings
    new_villages: tuple[str, ...]
    new_groups: tuple[tuple[str, str], ...]  # (village, group)
    new_grids: tuple[tuple[str, str], ...]
    new_tags: tuple[str, ...]
    counts: PlanCounts
    ledger_mark: int  # the ledger's last version when planned (apply refuses a changed ledger)
    error_rows: frozenset[int] = frozenset()

    kind = "roster"

    def summary_lines(self, max_errors: int = 20) -> list[str]:
        """The preview as Chinese lines (CLI and logs)."""
        c = self.counts
        lines = [
            file_line(self.path, self.sheet, self.header_row),
            f"数据行：{c.rows}，有效 {c.valid_rows}，有错误 {c.error_rows}",
            f"户：新增 {c.households_new}，更新 {c.households_updated}，不变 {c.households_unchanged}",
            f"人员：新增 {c.persons_new}，更新 {c.persons_updated}，不变 {c.persons_unchanged}",
        ]
        if self.new_villages:
            lines.append("将新建村（社区）：" + "、".join(self.new_villages))
        if self.new_groups:
            lines.append(f"将新建村民小组 {len(self.new_groups)} 个：" + list_preview(f"{v}{g}" for v, g in self.new_groups))
        if self.new_grids:
            lines.append(f"将新建网格 {len(self.new_grids)} 个：" + list_preview(f"{v}{g}" for v, g in self.new_grids))
        if self.new_tags:
            lines.append("将新建标签：" + "、".join(self.new_tags))
        return lines + issue_lines(self.warnings, self.errors, max_errors, ignored_headers=self.ignored_headers)


@dataclass(frozen=True)
class ImportResult:
    """What an applied import wrote."""

    households_created: int
    households_updated: int
    persons_created: int
    persons_updated: int
    villages_created: tuple[str, ...]
    groups_created: int
    grids_created: int
    tags_created: tuple[str, ...]
    rows_skipped: int  # rows with errors left out (only_valid)
    tables: frozenset[str]  # tables changed, for views to refresh

    @property
    def message(self) -> str:
        parts = [f"新增户 {self.households_created}", f"更新户 {self.households_updated}",
                 f"新增人员 {self.persons_created}", f"更新人员 {self.persons_updated}"]
        if self.villages_created:
            parts.append("新建村（社区）" + "、".join(self.villages_created))
        return done_message(parts, self.rows_skipped)


# -- reading the ledger (batched) -------------------------------------------------------------------------


class _LedgerIndex:
    """What the plan compares against, read in a few queries."""

    def __init__(self, session, village_ids: set[str] | None, id_numbers: set[str]):
        db = session.ledger.db
        q = db.execute_sql
        self.villages = {r[0]: (r[1], r[2]) for r in q("SELECT id, name, kind FROM village WHERE deleted = 0")}
        self.village_for = VillageNames((vid, name) for vid, (name, _) in self.villages.items()).find
        self.groups = {(r[1], r[2]): r[0] for r in q(
            "SELECT id, village_id, name FROM village_group WHERE deleted = 0")}
        self.grids = {(r[1], r[2]): r[0] for r in q("SELECT id, village_id, name FROM grid WHERE deleted = 0")}
        # the oldest tag of a name wins, as in registry.set_household_tags
        self.tags = {r[1]: r[0] for r in q("SELECT id, name FROM tag WHERE deleted = 0 ORDER BY id DESC")}
        self.mark = ledger_mark(db)
        self.households: dict[str, tuple] = {}
        self.by_hh_no: dict[tuple[str, str], str] = {}
        self.persons_of: dict[str, list[tuple]] = {}
        self.person_by_id: dict[str, tuple] = {}
        if village_ids:
            ids = sorted(village_ids)
            marks = ", ".join("?" * len(ids))
            for r in q(f"SELECT id, village_id, group_id, grid_id, hh_no, head_person_id, address, phone, level "
                       f"FROM household WHERE deleted = 0 AND village_id IN ({marks})", ids):
                self.households[r[0]] = r
                if r[4]:
                    self.by_hh_no.setdefault((r[1], r[4]), r[0])
            for r in q(f"SELECT p.id, p.household_id, p.name, p.gender, p.birth_date, p.id_number, p.id_status, "
                       f"p.phone, p.relation, p.ethnicity, p.status, p.is_party_member FROM person p "
                       f"JOIN household h ON h.id = p.household_id WHERE p.deleted = 0 AND h.deleted = 0 "
                       f"AND h.village_id IN ({marks})", ids):
                self.persons_of.setdefault(r[1], []).append(r)
                self.person_by_id[r[0]] = r
        self.head_of_id: dict[tuple[str, str], str] = {}  # (village, id_number) -> household
        self.head_of_name_birth: dict[tuple[str, str, str], str] = {}
        for hid, h in self.households.items():
            head = self.person_by_id.get(h[5]) if h[5] else None
            if head is not None:
                if head[5]:
                    self.head_of_id.setdefault((h[1], head[5]), hid)
                self.head_of_name_birth.setdefault((h[1], head[2], head[4] or ""), hid)
        # 身份证号 anywhere in the ledger (for duplicates against it), by index lookups
        self.id_owner: dict[str, tuple] = {}
        numbers = sorted(n for n in id_numbers if n)
        for i in range(0, len(numbers), 500):
            chunk = numbers[i:i + 500]
            for r in q(f"SELECT p.id_number, p.id, p.household_id, p.name, coalesce(v.name, ''), h.hh_no "
                       f"FROM person p LEFT JOIN household h ON h.id = p.household_id "
                       f"LEFT JOIN village v ON v.id = h.village_id "
                       f"WHERE p.deleted = 0 AND p.id_number IN ({', '.join('?' * len(chunk))})", chunk):
                self.id_owner.setdefault(r[0], r[1:])


def _village_kind(name: str) -> str:
    if name.endswith("社区") or name.endswith("居委会") or name.endswith("居民委员会"):
        return "社区"
    if name.endswith("嘎查"):
        return "嘎查"
    return "村"


def _group_kind(village_kind: str) -> str:
    return {"嘎查": "牧民小组", "社区": "居民小组"}.get(village_kind, "村民小组")


# -- planning --------------------------------------------------------------------------------------------


@dataclass
class _Row:
    number: int
    household_key: tuple | None
    village: str
    values: dict[str, Any]  # person columns
    hh: dict[str, Any]  # household-level cells: group, grid, hh_no, address, level, tags
    is_head: bool
    head_name: str


def plan_roster_import(session, path: str | os.PathLike, *, village_id: str | None = None,
                       sheet: str | int | None = None, progress: Progress | None = None,
                       cancel: CancelCheck | None = None) -> RosterPlan:
    """Read the roster at ``path`` and compare it with the ledger; writes nothing.

    ``village_id``: the village for rows whose 村(社区) cell is blank (the
    ledger's only village is used when the file has no such column).
    """
    require(session, EDITORS, "导入花名册")
    data = read_sheet(path, ROSTER_COLUMNS, sheet=sheet, progress=progress, cancel=cancel)
    if progress:
        progress("正在核对数据…", 0.5)
    today = session.ledger.clock.today()
    errors: list[RowIssue] = list(data.issues)
    warnings: list[RowIssue] = []
    dup_file: list[RowIssue] = []
    dup_ledger: list[RowIssue] = []
    header = data.headers
    bad_rows: set[int] = {i.row for i in data.issues}

    def err(row: int, key: str, reason: str) -> None:
        errors.append(RowIssue(row, header.get(key, _LABEL.get(key, "")), reason, _cell(data, key, row)))
        bad_rows.add(row)

    def warn(row: int, key: str, reason: str) -> None:
        warnings.append(RowIssue(row, header.get(key, _LABEL.get(key, "")), reason, _cell(data, key, row)))

    with session.reading():
        db = session.ledger.db
        village_rows = db.execute_sql("SELECT id, name FROM village WHERE deleted = 0").fetchall()
        default_village = None
        if village_id:
            default_village = next((n for i, n in village_rows if i == village_id), None)
        elif not data.has("village") and len(village_rows) == 1:
            default_village = village_rows[0][1]

        # 1. cells → person values and household cells; grouping into households by file order
        rows: list[_Row] = []
        current_head: dict[str, tuple] = {}  # village -> key of the last 户主 row without 户号/户主姓名
        seen_id: dict[str, int] = {}
        for n, sr in enumerate(data.rows):
            if cancel is not None and n % 2000 == 0 and cancel():
                raise Cancelled("已取消导入预览")
            v = sr.values
            r = sr.number
            village = v.get("village", "") or default_village or ""
            if not village:
                if "village" not in sr.bad:
                    err(r, "village", "未填写村（社区）")
                continue
            if len(village) > 40:
                err(r, "village", "村（社区）名称过长（最多40个字）")
                continue
            relation = v.get("relation", "")
            head_name = clean_name(v.get("head_name", ""))
            name_text = clean_name(v.get("name", ""))
            is_head = relation in HEAD_RELATIONS or (bool(head_name) and name_text == head_name
                                                     and not relation)
            hh_no = v.get("hh_no", "")
            group = v.get("group", "")
            if hh_no:
                key = ("no", village, hh_no)
            elif head_name:
                key = ("head", village, group, head_name)
            elif is_head:
                key = ("row", village, r)
                current_head[village] = key
            else:
                key = current_head.get(village)
                if key is None:
                    err(r, "hh_no", "无法确定所属的户：请填写“户号”或“户主姓名”，或把户主行放在家庭成员之前")
                    continue
            if hh_no and len(hh_no) > 30:
                err(r, "hh_no", "户号过长（最多30个字符）")

            # masked numbers from a masked export: ignore them, never write stars
            id_raw = v.get("id_number", "")
            if "*" in id_raw:
                warn(r, "id_number", "身份证号是打码后的（含*号），本行不导入身份证号")
                id_raw = ""
            phone_raw = v.get("phone", "")
            if "*" in phone_raw:
                warn(r, "phone", "联系电话是打码后的（含*号），本行不导入电话")
                phone_raw = ""
            checked = check_person(name=v.get("name", ""), id_number=id_raw, gender=_gender(v.get("gender", "")),
                                   birth_date=v.get("birth_date"), phone=phone_raw, today=today)
            for issue in checked.errors:
                if issue.field == "name" and "name" in sr.bad:
                    continue
                err(r, issue.field, issue.message)
            for issue in checked.warnings:
                warn(r, issue.field, issue.message)
            status = v.get("status", "")
            status = _STATUS_ALIASES.get(status, status)
            if status and status not in PERSON_STATUSES:
                err(r, "status", f"人员状态只能是{'、'.join(PERSON_STATUSES)}，不能是“{status}”")
            level = v.get("level", "").upper()
            level = _LEVEL_ALIASES.get(level, level)
            if level and level not in LEVELS:
                err(r, "level", f"三色等级只能是绿、黄、红，不能是“{v.get('level')}”")
            tags = split_list(v.get("tags", ""))
            for t in tags:
                if len(t) > 20:
                    err(r, "tags", f"标签“{t}”过长（最多20个字）")
            for k, limit in (("relation", 20), ("ethnicity", 20), ("group", 40), ("grid", 40), ("address", 200)):
                if len(v.get(k, "")) > limit:
                    err(r, k, f"{_LABEL[k]}过长（最多{limit}个字）")
            if checked.id_number and checked.ok:
                first = seen_id.get(checked.id_number)
                if first is not None:
                    issue = RowIssue(r, header.get("id_number", "身份证号"),
                                     f"身份证号与第{first}行重复", _cell(data, "id_number", r))
                    errors.append(issue)
                    dup_file.append(issue)
                    bad_rows.add(r)
                else:
                    seen_id[checked.id_number] = r
            values = {
                "name": checked.name,
                "gender": checked.gender,
                "birth_date": checked.birth_date.isoformat() if checked.birth_date else None,
                "id_number": checked.id_number,
                "id_status": checked.id_status,
                "phone": checked.phone,
                "relation": relation,
                "ethnicity": v.get("ethnicity", ""),
                "status": status,
                "is_party_member": v.get("party"),
            }
            hh = {"group": group, "grid": v.get("grid", ""), "hh_no": hh_no,
                  "address": v.get("address", ""), "level": level, "tags": tags}
            rows.append(_Row(r, key, village, values, hh, is_head, head_name))

        # same person twice in one household (no 身份证号 to tell them apart)
        seen_person: dict[tuple, int] = {}
        for row in rows:
            if row.number in bad_rows or row.values["id_number"]:
                continue
            pk = (row.household_key, row.values["name"], row.values["birth_date"] or "")
            first = seen_person.get(pk)
            if first is not None:
                issue = RowIssue(row.number, header.get("name", "姓名"),
                                 f"与第{first}行是同一人（同一户、同名、同出生日期），请删除重复行",
                                 _cell(data, "name", row.number))
                errors.append(issue)
                dup_file.append(issue)
                bad_rows.add(row.number)
            else:
                seen_person[pk] = row.number

        # 2. the ledger, in a few queries
        # the ledger villages the file names: only their households are loaded
        find = VillageNames(village_rows).find
        village_ids = {vid for vid in map(find, {row.village for row in rows}) if vid}
        index = _LedgerIndex(session, village_ids,
                             {row.values["id_number"] for row in rows if row.number not in bad_rows})

        # 3. households of the valid rows, matched against the ledger
        households: dict[tuple, PlannedHousehold] = {}
        head_rows: dict[tuple, int] = {}
        for row in rows:
            if row.number in bad_rows:
                continue
            h = households.get(row.household_key)
            vid = index.village_for(row.village)
            vname = index.villages[vid][0] if vid else row.village
            if h is None:
                h = households[row.household_key] = PlannedHousehold(row.household_key, row.number, vname, vid)
            if row.is_head:
                if row.household_key in head_rows:
                    err(row.number, "relation", f"同一户已有户主（第{head_rows[row.household_key]}行）")
                    continue
                head_rows[row.household_key] = row.number
                h.head_row = row.number
            h.persons.append(PlannedPerson(row.number, row.values, is_head=row.is_head))
            for k in ("group", "grid", "hh_no", "address", "level"):
                val = row.hh[k]
                if val and (not getattr(h, k) or row.is_head):
                    setattr(h, k, val)
            if row.hh["tags"]:
                h.tags = tuple(dict.fromkeys((*h.tags, *row.hh["tags"])))
        # rows dropped by the second-户主 check
        for h in households.values():
            h.persons = [p for p in h.persons if p.row not in bad_rows]
        households = {k: h for k, h in households.items() if h.persons}

        new_groups: dict[tuple[str, str], None] = {}
        new_grids: dict[tuple[str, str], None] = {}
        new_tags: dict[str, None] = {}
        used_hh: dict[str, int] = {}
        used_persons: set[str] = set()
        for h in households.values():
            head = next((p for p in h.persons if p.is_head), None)
            if head is None and h.key[0] == "head":
                head = next((p for p in h.persons if p.values["name"] == h.key[3]), None)
                if head is not None:
                    head.is_head = True
            hid = None
            if h.village_id:
                if h.hh_no and (h.village_id, h.hh_no) in index.by_hh_no:
                    hid, h.matched_by = index.by_hh_no[(h.village_id, h.hh_no)], "户号"
                elif head is not None and head.values["id_number"] and \
                        (h.village_id, head.values["id_number"]) in index.head_of_id:
                    hid, h.matched_by = index.head_of_id[(h.village_id, head.values["id_number"])], "户主身份证号"
                elif head is not None and head.values["birth_date"] and \
                        (h.village_id, head.values["name"], head.values["birth_date"]) in index.head_of_name_birth:
                    hid = index.head_of_name_birth[(h.village_id, head.values["name"], head.values["birth_date"])]
                    h.matched_by = "户主姓名和出生日期"
            if hid is not None and hid in used_hh:
                err(h.first_row, "hh_no", f"与第{used_hh[hid]}行对应台账中的同一户，请检查户号或户主")
                for p in h.persons:
                    bad_rows.add(p.row)
                h.persons = []
                continue
            if hid is not None:
                used_hh[hid] = h.first_row
            h.household_id = hid
            if h.group and (not h.village_id or (h.village_id, h.group) not in index.groups):
                new_groups[(h.village, h.group)] = None
            if h.grid and (not h.village_id or (h.village_id, h.grid) not in index.grids):
                new_grids[(h.village, h.grid)] = None
            for t in h.tags:
                if t not in index.tags:
                    new_tags[t] = None
            if hid is None:
                for p in h.persons:
                    _dup_against_ledger(p, index, None, data, dup_ledger, warnings)
                continue
            # a matched household: what changes
            cur = index.households[hid]
            if h.group:
                gid = index.groups.get((h.village_id, h.group))
                if gid != cur[2]:
                    h.changes["group"] = h.group
            if h.grid:
                gid = index.grids.get((h.village_id, h.grid))
                if gid != cur[3]:
                    h.changes["grid"] = h.grid
            if h.hh_no and h.hh_no != cur[4] and (h.village_id, h.hh_no) not in index.by_hh_no:
                h.changes["hh_no"] = h.hh_no
            if h.address and h.address != cur[6]:
                h.changes["address"] = h.address
            if h.level and h.level != cur[8]:
                h.changes["level"] = h.level
            members = index.persons_of.get(hid, [])
            for p in h.persons:
                match = _match_person(p.values, members, used_persons)
                if match is None:
                    _dup_against_ledger(p, index, hid, data, dup_ledger, warnings)
                    continue
                used_persons.add(match[0])
                p.person_id = match[0]
                p.changes = _person_changes(p.values, match)
            if head is not None:
                head_id = head.person_id
                if head_id is None or head_id != cur[5]:
                    h.changes["head_person_id"] = head.row  # resolved at apply (may be a new person)
        households = {k: h for k, h in households.items() if h.persons}

        # tags already on matched households
        matched = [h for h in households.values() if h.household_id and h.tags]
        have: dict[str, set[str]] = {}
        ids = [h.household_id for h in matched]
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            for hid, tag_id in db.execute_sql(
                    f"SELECT household_id, tag_id FROM household_tag WHERE deleted = 0 AND household_id IN "
                    f"({', '.join('?' * len(chunk))})", chunk):
                have.setdefault(hid, set()).add(tag_id)
        for h in matched:
            h.new_tags = tuple(t for t in h.tags if index.tags.get(t) not in have.get(h.household_id, set()))

    planned = list(households.values())
    new_villages = tuple(dict.fromkeys(h.village for h in planned if h.village_id is None))
    valid_rows = sum(len(h.persons) for h in planned)
    counts = PlanCounts(
        rows=len(data.rows),
        valid_rows=valid_rows,
        error_rows=len(bad_rows),
        households_new=sum(1 for h in planned if h.is_new),
        households_updated=sum(1 for h in planned if not h.is_new and h.is_changed),
        households_unchanged=sum(1 for h in planned if not h.is_new and not h.is_changed),
        persons_new=sum(1 for h in planned for p in h.persons if p.person_id is None),
        persons_updated=sum(1 for h in planned for p in h.persons if p.person_id and p.changes),
        persons_unchanged=sum(1 for h in planned for p in h.persons if p.person_id and not p.changes),
    )
    errors.sort(key=lambda i: (i.row, i.cell))
    warnings.sort(key=lambda i: (i.row, i.cell))
    if progress:
        progress("预览完成", 1.0)
    return RosterPlan(
        path=str(path), sheet=data.sheet, header_row=data.header_row, headers=dict(data.headers),
        ignored_headers=data.ignored_headers, households=planned, errors=errors, warnings=warnings,
        duplicates_in_file=dup_file, duplicates_in_ledger=dup_ledger, new_villages=new_villages,
        new_groups=tuple(new_groups), new_grids=tuple(new_grids), new_tags=tuple(new_tags), counts=counts,
        ledger_mark=index.mark, error_rows=frozenset(bad_rows))


def _cell(data, key: str, row: int) -> str:
    letter = data.letters.get(key)
    return f"{letter}{row}" if letter else ""


def _gender(s: str) -> str:
    return {"男性": "男", "女性": "女", "M": "男", "F": "女", "m": "男", "f": "女"}.get(s, s)


def _match_person(values: dict, members: list[tuple], used: set[str]) -> tuple | None:
    """The ledger person (row tuple) of this household that the roster row is, or None."""
    number = values["id_number"]
    if number:
        for m in members:
            if m[5] == number and m[0] not in used:
                return m
    name, birth = values["name"], values["birth_date"]
    if birth:
        for m in members:
            if m[2] == name and m[4] == birth and m[0] not in used and (not number or not m[5]):
                return m
        return None
    if not number:
        hits = [m for m in members if m[2] == name and m[0] not in used]
        if len(hits) == 1:
            return hits[0]
    return None


# ledger person tuple: id, household_id, name, gender, birth_date, id_number, id_status, phone, relation,
# ethnicity, status, is_party_member
_TUPLE_INDEX = {"name": 2, "gender": 3, "birth_date": 4, "id_number": 5, "id_status": 6, "phone": 7,
                "relation": 8, "ethnicity": 9, "status": 10, "is_party_member": 11}


def _person_changes(values: dict, current: tuple) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, idx in _TUPLE_INDEX.items():
        new = values.get(key)
        if key == "id_status":
            continue
        if new is None or new == "":
            continue  # a blank cell never clears
        if key == "is_party_member":
            new = int(bool(new))
        if new != current[idx]:
            out[key] = new
            if key == "id_number":
                out["id_status"] = values["id_status"]
    return out


def _dup_against_ledger(p: PlannedPerson, index: _LedgerIndex, household_id: str | None, data,
                        dup_ledger: list[RowIssue], warnings: list[RowIssue]) -> None:
    number = p.values["id_number"]
    owner = index.id_owner.get(number) if number else None
    if owner is None or owner[1] == household_id:
        return
    _, _, name, village, hh_no = owner
    where = f"{village}{'户号' + hh_no if hh_no else ''}".strip() or "另一户"
    issue = RowIssue(p.row, data.headers.get("id_number", "身份证号"),
                     f"身份证号已在台账中（{where}的{name}），本行将作为另一人导入；"
                     "如是同一人，导入后可在“疑似重复人员”中合并", _cell(data, "id_number", p.row))
    dup_ledger.append(issue)
    warnings.append(issue)


# -- applying ---------------------------------------------------------------------------------------------


def apply_roster_import(session, plan: RosterPlan, *, only_valid: bool = False, progress: Progress | None = None,
                        cancel: CancelCheck | None = None) -> ImportResult:
    """Write ``plan`` in one transaction; all-or-nothing unless ``only_valid``.

    Raises :class:`ImportHasErrorsError` (nothing written) when the plan has row
    errors and ``only_valid`` is False, and :class:`StalePlanError` when the
    ledger changed since the plan was made.
    """
    require(session, EDITORS, "导入花名册")
    require_all_villages(session, "导入花名册")
    refuse_errors(plan, only_valid, "花名册")
    backup_now(session, ROSTER_IMPORT, progress=progress)  # automatic backup before an import writes
    clock = session.ledger.clock
    new_id = uuid7_fast_factory(clock.now_ms(), os.urandom(16)).__next__
    households = plan.households
    with session.writing() as w:
        db = session.ledger.db
        refuse_stale(db, plan)
        if progress:
            progress("正在写入村、小组、网格…", 0.1)
        township_id = session.ledger.get_meta("township_id") or db.execute_sql(
            "SELECT id FROM township WHERE deleted = 0 ORDER BY id LIMIT 1").fetchone()[0]
        villages = {name: (vid, kind) for vid, name, kind in db.execute_sql(
            "SELECT id, name, kind FROM village WHERE deleted = 0")}
        order = db.execute_sql("SELECT coalesce(max(sort_order), 0) FROM village").fetchone()[0]
        created_villages = []
        for name in plan.new_villages:
            if name in villages:
                continue
            order += 1
            kind = _village_kind(name)
            vid = w.insert(Village, {"township": township_id, "name": name, "kind": kind, "sort_order": order},
                           id=new_id())
            villages[name] = (vid, kind)
            created_villages.append(name)
        groups = {(v, n): i for i, v, n in db.execute_sql(
            "SELECT id, village_id, name FROM village_group WHERE deleted = 0")}
        grids = {(v, n): i for i, v, n in db.execute_sql("SELECT id, village_id, name FROM grid WHERE deleted = 0")}
        group_rows, grid_rows = [], []

        def unit(h: PlannedHousehold, name: str, table: dict, rows: list, group: bool) -> str | None:
            if not name:
                return None
            vid, kind = villages[h.village]
            found = table.get((vid, name))
            if found is None:
                found = table[(vid, name)] = new_id()
                rows.append((found, vid, name, _group_kind(kind)) if group else (found, vid, name))
            return found

        tag_ids = {n: i for i, n in db.execute_sql("SELECT id, name FROM tag WHERE deleted = 0 ORDER BY id DESC")}
        created_tags = []
        for name in plan.new_tags:
            if name in tag_ids:
                continue
            tid = link_id("tag", name)
            if db.execute_sql("SELECT 1 FROM tag WHERE id = ?", (tid,)).fetchone():
                w.update(Tag, tid, {"deleted": False, "name": name})
            else:
                w.insert(Tag, {"name": name, "builtin": False}, id=tid)
            tag_ids[name] = tid
            created_tags.append(name)

        if progress:
            progress("正在写入户和人员…", 0.3)
        hh_rows, person_rows, link_rows = [], [], []
        hh_updated = persons_updated = 0
        skipped = len(plan.error_rows) if only_valid else 0
        for n, h in enumerate(households):
            if cancel is not None and n % 2000 == 0 and cancel():
                raise Cancelled("已取消导入")
            group_id = unit(h, h.group, groups, group_rows, True)
            grid_id = unit(h, h.grid, grids, grid_rows, False)
            if h.household_id is None:
                hid = new_id()
                head_id = None
                phone = ""
                for p in h.persons:
                    pid = new_id()
                    if p.is_head:
                        head_id = pid
                        phone = p.values["phone"]
                    person_rows.append(_person_row(pid, hid, p.values))
                vid = villages[h.village][0]
                hh_rows.append((hid, vid, group_id, grid_id, h.hh_no, head_id, h.address, phone,
                                h.level or "绿"))
                for t in h.tags:
                    link_rows.append((link_id("household_tag", hid, tag_ids[t]), hid, tag_ids[t]))
                continue
            hid = h.household_id
            changed = False
            head_pid = None
            for p in h.persons:
                if p.person_id is None:
                    pid = new_id()
                    person_rows.append(_person_row(pid, hid, p.values))
                    changed = True
                else:
                    pid = p.person_id
                    if p.changes:
                        w.update(Person, pid, p.changes)
                        persons_updated += 1
                        changed = True
                if p.is_head:
                    head_pid = pid
            values: dict[str, Any] = {}
            for k, v in h.changes.items():
                if k == "group":
                    values["group"] = group_id
                elif k == "grid":
                    values["grid"] = grid_id
                elif k == "head_person_id":
                    values["head_person_id"] = head_pid
                else:
                    values[k] = v
            if values and w.update(Household, hid, values) is not None:
                changed = True
            for t in h.new_tags:
                _put_tag_link(db, w, link_rows, hid, tag_ids[t])
                changed = True
            hh_updated += changed
        if group_rows:
            w.insert_many(VillageGroup, ["id", "village_id", "name", "kind"], group_rows)
        if grid_rows:
            w.insert_many(Grid, ["id", "village_id", "name"], grid_rows)
        if progress:
            progress("正在保存…", 0.7)
        # A big load into a small ledger: one search-index rebuild beats per-row trigger upkeep.
        indexed = db.execute_sql("SELECT count(*) FROM search_ref").fetchone()[0]
        new_rows = len(hh_rows) + len(person_rows)
        bulk = search_index.deferred(db) if new_rows >= BULK_MIN_ROWS and new_rows >= indexed else nullcontext()
        big = new_rows >= BULK_MIN_ROWS
        guards = w.guards_parked(Household, Person) if big else nullcontext()
        indexes = w.indexes_parked(Household, Person) if big and new_rows >= indexed else nullcontext()
        with bulk, guards, indexes:
            w.insert_many(Household, ["id", "village_id", "group_id", "grid_id", "hh_no", "head_person_id",
                                      "address", "phone", "level"], hh_rows)
            w.insert_many(Person, ["id", "household_id", *_PERSON_FIELDS], person_rows)
        if link_rows:
            w.insert_many(HouseholdTag, ["id", "household_id", "tag_id"], link_rows)
        tables = frozenset(w.changes.tables())
    if progress:
        progress("导入完成", 1.0)
    persons_new = sum(1 for h in households for p in h.persons if p.person_id is None)
    return ImportResult(
        households_created=len(hh_rows), households_updated=hh_updated, persons_created=persons_new,
        persons_updated=persons_updated, villages_created=tuple(created_villages), groups_created=len(group_rows),
        grids_created=len(grid_rows), tags_created=tuple(created_tags), rows_skipped=skipped, tables=tables)


def _person_row(pid: str, hid: str, values: dict) -> tuple:
    return (pid, hid, values["name"], values["gender"], values["birth_date"], values["id_number"],
            values["id_status"], values["phone"], values["relation"], values["ethnicity"],
            values["status"] or "在册", int(bool(values["is_party_member"])))


def _put_tag_link(db, w, link_rows: list, hid: str, tag_id: str) -> None:
    lid = link_id("household_tag", hid, tag_id)
    row = db.execute_sql("SELECT deleted FROM household_tag WHERE id = ?", (lid,)).fetchone()
    if row is None:
        link_rows.append((lid, hid, tag_id))
    elif row[0]:
        w.update(HouseholdTag, lid, {"deleted": False})


def import_roster(session, path: str | os.PathLike, *, only_valid: bool = False) -> ImportResult:
    """Plan and apply in one call (scripts)."""
    return apply_roster_import(session, plan_roster_import(session, path), only_valid=only_valid)


# -- export ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportResult:
    path: str
    rows: int
    households: int
    masked: bool


_EXPORT_SQL = """
    SELECT v.name, coalesce(g.name, ''), coalesce(gr.name, ''), h.hh_no, coalesce(hp.name, ''), p.name,
           p.relation, p.gender, p.birth_date, p.id_number, p.phone, p.ethnicity, p.is_party_member, h.address,
           p.status, h.id, h.level, (p.id = h.head_person_id) AS is_head
      FROM person p
      JOIN household h ON h.id = p.household_id AND h.deleted = 0 AND h.status = '在册'
      JOIN village v ON v.id = h.village_id
      LEFT JOIN village_group g ON g.id = h.group_id
      LEFT JOIN grid gr ON gr.id = h.grid_id
      LEFT JOIN person hp ON hp.id = h.head_person_id AND hp.deleted = 0
     WHERE p.deleted = 0 {where}
     ORDER BY v.sort_order, v.name, h.hh_no, h.id, is_head DESC, p.birth_date, p.id
"""

_TEXT_COLUMNS = {"hh_no", "id_number", "phone"}


def _column_widths() -> list[int]:
    widths = {"village": 14, "group": 10, "grid": 10, "hh_no": 14, "head_name": 10, "name": 10, "relation": 10,
              "gender": 6, "birth_date": 12, "id_number": 22, "phone": 14, "ethnicity": 8, "party": 9,
              "address": 30, "status": 9, "tags": 18, "level": 9}
    return [widths[c.key] for c in ROSTER_COLUMNS]


def export_roster(session, path: str | os.PathLike, *, village_id: str | None = None, reveal: bool = False,
                  progress: Progress | None = None) -> ExportResult:
    """Write the roster (one row per person of the 在册 households) in the import layout.

    身份证号 and phone are masked unless ``reveal`` and the role may see them
    (a masked file re-imports without overwriting real numbers).
    """
    show = reveal and may_reveal(session)
    path = Path(path)
    where, params = ("AND h.village_id = ?", [village_id]) if village_id else ("", [])
    with session.reading():
        db = session.ledger.db
        rows = db.execute_sql(_EXPORT_SQL.format(where=where), params).fetchall()
        tags: dict[str, list[str]] = {}
        for hid, name in db.execute_sql(
                "SELECT ht.household_id, t.name FROM household_tag ht JOIN tag t ON t.id = ht.tag_id "
                "WHERE ht.deleted = 0 AND t.deleted = 0 ORDER BY t.name"):
            tags.setdefault(hid, []).append(name)
    wb = new_workbook()
    ws = new_sheet(wb, "花名册", TEMPLATE_HEADERS, _column_widths())
    households = set()
    for n, r in enumerate(rows):
        if progress and n % 5000 == 0:
            progress("正在导出花名册…", n / max(len(rows), 1))
        (village, group, grid, hh_no, head, name, relation, gender, birth, number, phone, ethnicity, party,
         address, status, hid, level, _) = r
        households.add(hid)
        ws.append([village, group, grid, text_cell(ws, hh_no), head, name, relation, gender, date_cell(ws, birth),
                   text_cell(ws, number if show else mask_id_number(number)),
                   text_cell(ws, phone if show else mask_phone(phone)),
                   ethnicity, "是" if party else "否", address, status, "、".join(tags.get(hid, ())), level])
    save_workbook(wb, path)
    if progress:
        progress("导出完成", 1.0)
    return ExportResult(str(path), len(rows), len(households), not show)


UNCOVERED_KINDS = {"center": "党员中心户", "link_head": "联户长"}


def export_uncovered(session, path: str | os.PathLike, kind: str, village_id: str | None = None, *,
                     reveal: bool = False) -> ExportResult:
    """The 在册 households not covered by a 中心户 (``kind`` "center") or not linked to a 联户长 ("link_head")."""
    from ledgerdesk.core.errors import ValidationError
    from ledgerdesk.services.coverage import uncovered_household_ids
    from ledgerdesk.services.registry_queries import household_rows

    if kind not in UNCOVERED_KINDS:
        raise ValidationError(f"未知的类别“{kind}”，应为 center（党员中心户）或 link_head（联户长）", field="kind")
    show = reveal and may_reveal(session)
    ids = uncovered_household_ids(session, kind, village_id)
    rows = household_rows(session, ids, reveal=show)
    path = Path(path)
    wb = new_workbook()
    label = UNCOVERED_KINDS[kind]
    headers = ("村(社区)", "村民小组", "网格", "户号", "户主姓名", "现住址", "联系电话", "人数", "标签", "三色等级")
    title = ("未被党员中心户覆盖的户" if kind == "center" else "未联系联户长的户") + \
        f"（共 {len(rows)} 户，导出日期 {session.ledger.clock.today().isoformat()}）"
    ws = new_sheet(wb, f"未覆盖{label}的户" if kind == "center" else "未联系联户长的户", headers,
                   (14, 10, 10, 14, 10, 30, 14, 6, 18, 9), title_row=title)
    for r in rows:
        ws.append([r.village, r.group, r.grid, r.hh_no, r.head_name, r.address, r.phone, r.members,
                   "、".join(r.tags), r.level])
    save_workbook(wb, path)
    return ExportResult(str(path), len(rows), len(rows), not show)


def write_roster_template(path: str | os.PathLike) -> Path:
    """The blank roster template: the import headers, text-formatted number columns, value lists, a help sheet."""
    lists = (("gender", "男,女"), ("party", "是,否"), ("status", ",".join(PERSON_STATUSES)), ("level", ",".join(LEVELS)))
    sheet = TemplateSheet("花名册", ROSTER_COLUMNS, _column_widths(), frozenset(_TEXT_COLUMNS), lists)
    return write_template(path, [sheet], _TEMPLATE_NOTES)


_TEMPLATE_NOTES = (
    "花名册填写说明",
    "1. 每行填写一个人；同一户的人员填写相同的“户号”，或填写相同的“户主姓名”。",
    "2. “与户主关系”填“户主”的那一行为户主；没有户号时，户主行之后的家庭成员行归入该户。",
    "3. 身份证号、联系电话、户号请保持“文本”格式，不要让 Excel 变成科学计数法（如 1.52E+17）。",
    "4. 出生日期可写作 1980-05-01、1980/5/1、1980.5.1、1980年5月1日 或 19800501；留空时按身份证号推算。",
    "5. 是否党员填“是”或“否”；人员状态填 在册、外出、迁出、去世；三色等级填 绿、黄、红。",
    "6. 标签可填多个，用顿号分隔，例如：低保、留守老人。",
    "7. 表格中没有的村（社区）、村民小组、网格会在导入时自动新建（导入前会列出）。",
    "8. 重复导入同一文件只更新，不会重复建户、建人；空白单元格不会清除台账中已有的内容。",
)


def template_path() -> Path:
    """The shipped blank template (resources/templates/花名册模板.xlsx, inside the wheel too)."""
    from ledgerdesk.core.paths import resource

    return resource("templates", "花名册模板.xlsx")
