"""六会 (six village committees, 六会合一): formation, members, activities.

Each village should have the six committees of :data:`ledgerdesk.core.vocab.COMMITTEE_KINDS`
(红白理事会, 互帮互助会, 联防联治会, 乡贤参事会, 禁毒禁赌会, 道德评议会); a village may add
any number of custom committees (kind :data:`~ledgerdesk.core.vocab.CUSTOM_COMMITTEE`,
with a name: 老年协会 …).

Rules (each refusal is a :class:`ValidationError` at its field and changes nothing):

* one *current* committee (not dissolved) per kind per village for the six; a dissolved
  one may be formed again. Custom committees need a name, unique among the village's
  current committees, and may not take the name of one of the six;
* officers (会长/副会长/秘书长) and members are persons of the ledger whose status is
  在册 or 外出, with join and leave dates; a person holds one current membership per
  committee; a committee has at most one current 会长;
* an activity has a date (not in the future, not before the founding, not after the
  dissolution), a kind of :data:`ACTIVITY_KINDS`, topic, attendees (persons), decisions
  and outcome, and only the figures its committee kind keeps (:data:`FIGURES`):
  红白理事会 events handled / guests / money saved, 道德评议会 evaluations / 红黑榜,
  联防联治会 patrols. Attendee rows have the id ``link_id("activity_attendee", activity, person)``.

Reads return plain frozen dataclasses. The supervision checklist is in
:mod:`ledgerdesk.services.committee_supervision`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Iterable, Sequence


from ledgerdesk.core.dates import date_arg
from ledgerdesk.core.dates import stored_date
from ledgerdesk.core.errors import NotFoundError, ValidationError
from ledgerdesk.core.ids import link_id
from ledgerdesk.core.text import clean, clean_prose
from ledgerdesk.core.vocab import ACTIVITY_KINDS, COMMITTEE_KINDS, COMMITTEE_ROLES, CUSTOM_COMMITTEE  # noqa: F401 (ACTIVITY_KINDS re-exported)
from ledgerdesk.services.permissions import EDITORS, require, require_village
from ledgerdesk.services.registry_common import (
    LIVING,
    fetch,
    insert_row,
    note_text,
    rows,
    scalar,
    today,
)
from ledgerdesk.services.sql import Where, chunks, marks, rows_by_id
from ledgerdesk.store.models import ActivityAttendee, Committee, CommitteeActivity, CommitteeMember

# committee_activity.kind (the schema comment names them); stored values, add never rename.
OFFICER_ROLES = tuple(r for r in COMMITTEE_ROLES if r != "成员")  # 会长, 副会长, 秘书长
CHAIR = "会长"
MEMBER = "成员"

# The figures each committee kind keeps (the seed reports' numbers); any other kind keeps none.
FIGURE_FIELDS = ("events_handled", "guests", "money_saved_yuan", "evaluations", "red_list", "black_list", "patrols")
FIGURES: dict[str, tuple[str, ...]] = {
    "hongbai": ("events_handled", "guests", "money_saved_yuan"),
    "daode": ("evaluations", "red_list", "black_list"),
    "lianfang": ("patrols",),
}
FIGURE_LABELS = {
    "events_handled": "办理红白事（场）",
    "guests": "宴请人数",
    "money_saved_yuan": "节约资金（元）",
    "evaluations": "评议（人次）",
    "red_list": "上红榜（人）",
    "black_list": "上黑榜（人）",
    "patrols": "巡逻（次）",
}
MAX_FIGURE = 100_000_000

def kind_label(kind: str, name: str = "") -> str:
    """The Chinese name of a committee kind (a custom committee: its own name)."""
    return COMMITTEE_KINDS.get(kind) or name or "其他组织"


def figures_of(kind: str) -> tuple[str, ...]:
    """The figure fields a committee of ``kind`` keeps (empty for most kinds)."""
    return FIGURES.get(kind, ())


# -- plain results -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CommitteeRow:
    id: str
    village_id: str
    village: str
    kind: str  # a six code or "custom"
    kind_label: str
    name: str
    founded_on: dt.date | None
    dissolved_on: dt.date | None
    charter: str
    members: int  # current members (not left, person 在册/外出)
    chair: str  # name of the current 会长 ("" when none)
    activities: int
    last_activity: dt.date | None

    @property
    def active(self) -> bool:
        """Formed and not dissolved."""
        return self.dissolved_on is None


@dataclass(frozen=True)
class MemberRow:
    id: str
    committee_id: str
    person_id: str
    name: str
    role: str
    joined_on: dt.date | None
    left_on: dt.date | None
    person_status: str
    village: str  # the person's village

    @property
    def current(self) -> bool:
        return self.left_on is None


@dataclass(frozen=True)
class ActivityRow:
    id: str
    committee_id: str
    committee: str  # its name
    village: str
    held_on: dt.date
    kind: str
    topic: str
    decisions: str
    outcome: str
    attendees: int
    events_handled: int = 0
    guests: int = 0
    money_saved_yuan: int = 0
    evaluations: int = 0
    red_list: int = 0
    black_list: int = 0
    patrols: int = 0

    def figures(self) -> dict[str, int]:
        return {f: getattr(self, f) for f in FIGURE_FIELDS}


@dataclass(frozen=True)
class ActivityDetail:
    row: ActivityRow
    attendee_ids: tuple[str, ...]
    attendee_names: tuple[str, ...]


@dataclass(frozen=True)
class CommitteeDetail:
    row: CommitteeRow
    members: tuple[MemberRow, ...]  # current first (officers first), then former
    activities: tuple[ActivityRow, ...]  # newest first
    figures: tuple[str, ...]  # the figure fields this kind keeps


# -- small helpers -------------------------------------------------------------------------------

def _ids(values: Iterable[str] | None) -> list[str]:
    return list(dict.fromkeys(str(v) for v in (values or ()) if v))


def _kind_code(kind) -> str:
    s = clean(kind)
    if s in COMMITTEE_KINDS or s == CUSTOM_COMMITTEE:
        return s
    for code, label in COMMITTEE_KINDS.items():
        if s == label:
            return code
    if s in ("自定义", "其他", "其他组织"):
        return CUSTOM_COMMITTEE
    raise ValidationError(f"组织类别应为{'、'.join(COMMITTEE_KINDS.values())}之一，或“其他组织”（自定义名称），"
                          f"不能是“{s}”", field="kind")


def _committee(session, committee_id) -> dict:
    try:
        return fetch(session, "committee", committee_id)
    except NotFoundError:
        raise NotFoundError("找不到该组织，可能已被删除") from None


def _in_village_of(session, committee_id, action: str) -> None:
    """The session may work in the committee's village (accounts limited to some villages)."""
    require_village(session, scalar(session, "SELECT village_id FROM committee WHERE id = ?", (committee_id,)), action)


def _current_committee(session, committee_id) -> dict:
    c = _committee(session, committee_id)
    if c["dissolved_on"]:
        raise ValidationError(f"“{c['name']}”已于 {c['dissolved_on']} 解散，不能再进行此操作", field="committee_id")
    return c


def _living_person(session, person_id, field: str = "person_id") -> dict:
    if not person_id:
        raise ValidationError("请选择人员", field=field)
    row = session.ledger.db.execute_sql(
        "SELECT id, name, status FROM person WHERE id = ? AND deleted = 0", (person_id,)).fetchone()
    if row is None:
        raise ValidationError("所选人员不存在或已删除", field=field)
    if row[2] not in LIVING:
        raise ValidationError(f"{row[1]}已{row[2]}，不能担任组织成员", field=field)
    return {"id": row[0], "name": row[1], "status": row[2]}


def _role(value) -> str:
    s = clean(value) or MEMBER
    if s not in COMMITTEE_ROLES:
        raise ValidationError(f"职务只能是{'、'.join(COMMITTEE_ROLES)}之一，不能是“{s}”", field="role")
    return s


def _check_single_chair(session, committee_id: str, except_member: str | None = None) -> None:
    row = session.ledger.db.execute_sql(
        "SELECT m.id, coalesce(p.name, '') FROM committee_member m LEFT JOIN person p ON p.id = m.person_id "
        "WHERE m.committee_id = ? AND m.deleted = 0 AND m.left_on IS NULL AND m.role = ? AND m.id != ?",
        (committee_id, CHAIR, except_member or "")).fetchone()
    if row is not None:
        raise ValidationError(f"该组织已有会长{row[1]}；一个组织同时只能有一位会长，请先更改其职务或办理离任",
                              field="role")


def _short_text(value, field: str, label: str, max_len: int = 60) -> str:
    """One line of text (a name, a topic): Chinese punctuation kept, line breaks folded."""
    s = " ".join(clean_prose(value).split())
    if len(s) > max_len:
        raise ValidationError(f"{label}过长（最多{max_len}个字）", field=field)
    return s


def _long_text(value, field: str, label: str, max_len: int = 4000) -> str:
    s = note_text(value)
    if len(s) > max_len:
        raise ValidationError(f"{label}过长（最多{max_len}个字）", field=field)
    return s


def _figure(value, field: str) -> int:
    label = FIGURE_LABELS[field]
    if value is None or value == "":
        return 0
    if isinstance(value, bool):
        raise ValidationError(f"{label}应为整数", field=field)
    if isinstance(value, float):
        if not value.is_integer():
            raise ValidationError(f"{label}应为整数，不能是“{value}”", field=field)
        value = int(value)
    if not isinstance(value, int):
        try:
            value = int(clean(value))
        except ValueError:
            raise ValidationError(f"{label}应为整数，不能是“{clean(value)}”", field=field) from None
    if value < 0:
        raise ValidationError(f"{label}不能为负数", field=field)
    if value > MAX_FIGURE:
        raise ValidationError(f"{label}数值过大（{value}）", field=field)
    return value


def _figures(kind: str, name: str, given: dict[str, Any]) -> dict[str, int]:
    out = {}
    kept = figures_of(kind)
    for field in FIGURE_FIELDS:
        value = _figure(given.get(field), field)
        if value and field not in kept:
            label = kind_label(kind, name)
            what = "、".join(FIGURE_LABELS[f] for f in kept)
            hint = f"（{label}只记录{what}）" if kept else f"（{label}不记录此类数字）"
            raise ValidationError(f"{FIGURE_LABELS[field]}只适用于"
                                  f"{'、'.join(kind_label(k) for k, fs in FIGURES.items() if field in fs)}{hint}",
                                  field=field)
        out[field] = value
    return out


def _activity_kind(value) -> str:
    s = clean(value) or "会议"
    if s not in ACTIVITY_KINDS:
        raise ValidationError(f"活动类型应为{'、'.join(ACTIVITY_KINDS)}之一，不能是“{s}”", field="kind")
    return s


def _held_on(session, value, c: dict) -> dt.date:
    day = date_arg(value, "held_on", "活动日期", required=True, not_after=today(session))
    if c["founded_on"] and day.isoformat() < c["founded_on"]:
        raise ValidationError(f"活动日期不能早于“{c['name']}”的成立日期 {c['founded_on']}", field="held_on")
    if c["dissolved_on"] and day.isoformat() > c["dissolved_on"]:
        raise ValidationError(f"活动日期不能晚于“{c['name']}”的解散日期 {c['dissolved_on']}", field="held_on")
    return day


def _check_attendees(session, person_ids: list[str]) -> None:
    for part in chunks(person_ids):
        found = {r[0] for r in rows(session, f"SELECT id FROM person WHERE deleted = 0 AND id IN ({marks(len(part))})",
                                    part)}
        if len(found) != len(part):
            raise ValidationError("所选参加人员中有人不存在或已删除，请重新选择", field="attendee_ids")


def _set_attendees(session, w, activity_id: str, person_ids: list[str]) -> None:
    """Make the live attendee links of ``activity_id`` exactly ``person_ids``."""
    db = session.ledger.db
    existing = {r[0]: (r[1], r[2]) for r in db.execute_sql(
        "SELECT id, person_id, deleted FROM activity_attendee WHERE activity_id = ?", (activity_id,))}
    wanted = {link_id("activity_attendee", activity_id, pid): pid for pid in person_ids}
    new_rows = []
    for lid, pid in wanted.items():
        if lid not in existing:
            new_rows.append((lid, activity_id, pid))
        elif existing[lid][1]:
            w.update(ActivityAttendee, lid, {"deleted": False})
    for lid, (_, deleted) in existing.items():
        if lid not in wanted and not deleted:
            w.delete(ActivityAttendee, lid)
    if new_rows:
        w.insert_many(ActivityAttendee, ["id", "activity_id", "person_id"], new_rows)


# -- committees ------------------------------------------------------------------------------------


def form(session, *, village_id, kind, name=None, founded_on=None, charter="") -> str:
    """Form a committee in a village; returns its id.

    ``kind``: a code of COMMITTEE_KINDS (or its Chinese name), or "custom" with ``name``.
    ``founded_on`` defaults to today and may not be in the future.
    """
    require(session, EDITORS, "成立组织")
    code = _kind_code(kind)
    given = _short_text(name, "name", "组织名称")
    if code == CUSTOM_COMMITTEE:
        if not given:
            raise ValidationError("请填写组织名称（如：老年协会）", field="name")
        for six, label in COMMITTEE_KINDS.items():
            if given == label:
                raise ValidationError(f"“{label}”是六会之一，请在类别中选择“{label}”", field="name")
        final = given
    else:
        final = given or COMMITTEE_KINDS[code]
    founded = date_arg(founded_on, "founded_on", "成立日期", default=today(session), not_after=today(session))
    charter_text = _long_text(charter, "charter", "章程")
    with session.writing() as w:
        if not village_id or scalar(session, "SELECT 1 FROM village WHERE id = ? AND deleted = 0",
                                    (village_id,)) is None:
            raise ValidationError("请选择村（社区、嘎查）", field="village_id")
        require_village(session, village_id, "成立组织")
        village = scalar(session, "SELECT name FROM village WHERE id = ?", (village_id,))
        if code != CUSTOM_COMMITTEE:
            other = rows(session, "SELECT coalesce(founded_on, '') FROM committee WHERE village_id = ? AND kind = ? "
                                  "AND deleted = 0 AND dissolved_on IS NULL", (village_id, code))
            if other:
                since = f"（{other[0][0]}成立）" if other[0][0] else ""
                raise ValidationError(f"{village}已有{COMMITTEE_KINDS[code]}{since}，每村只能有一个；"
                                      "如需重新组建，请先解散原有的", field="kind")
        if scalar(session, "SELECT 1 FROM committee WHERE village_id = ? AND name = ? AND deleted = 0 "
                           "AND dissolved_on IS NULL", (village_id, final)):
            raise ValidationError(f"{village}已有名为“{final}”的组织", field="name")
        return insert_row(w, Committee, {"village_id": village_id, "kind": code, "name": final,
                                         "founded_on": founded.isoformat(), "dissolved_on": None,
                                         "charter": charter_text})


def update_committee(session, committee_id, *, name=None, founded_on=None, charter=None) -> bool:
    """Change a committee's name (custom ones), founding date or charter; True if something changed."""
    require(session, EDITORS, "修改组织信息")
    with session.writing() as w:
        c = _committee(session, committee_id)
        require_village(session, c["village_id"], "修改组织信息")
        values: dict[str, Any] = {}
        if name is not None:
            new = _short_text(name, "name", "组织名称")
            if c["kind"] != CUSTOM_COMMITTEE and new != c["name"]:
                raise ValidationError("六会的名称不能修改", field="name")
            if not new:
                raise ValidationError("请填写组织名称", field="name")
            if new != c["name"] and scalar(session, "SELECT 1 FROM committee WHERE village_id = ? AND name = ? "
                                                    "AND deleted = 0 AND dissolved_on IS NULL AND id != ?",
                                           (c["village_id"], new, c["id"])):
                raise ValidationError(f"本村已有名为“{new}”的组织", field="name")
            values["name"] = new
        if founded_on is not None:
            day = date_arg(founded_on, "founded_on", "成立日期", not_after=today(session))
            first = scalar(session, "SELECT min(held_on) FROM committee_activity WHERE committee_id = ? "
                                    "AND deleted = 0", (c["id"],))
            if day is not None and first and day.isoformat() > first:
                raise ValidationError(f"成立日期不能晚于第一次活动的日期 {first}", field="founded_on")
            values["founded_on"] = day
        if charter is not None:
            values["charter"] = _long_text(charter, "charter", "章程")
        return bool(values) and w.update(Committee, c["id"], values) is not None


def dissolve(session, committee_id, on=None) -> None:
    """Dissolve a committee (``on`` defaults to today); its record, members and activities stay."""
    require(session, EDITORS, "解散组织")
    with session.writing() as w:
        c = _current_committee(session, committee_id)
        require_village(session, c["village_id"], "解散组织")
        day = date_arg(on, "dissolved_on", "解散日期", default=today(session), not_after=today(session))
        if c["founded_on"] and day.isoformat() < c["founded_on"]:
            raise ValidationError(f"解散日期不能早于成立日期 {c['founded_on']}", field="dissolved_on")
        last = scalar(session, "SELECT max(held_on) FROM committee_activity WHERE committee_id = ? AND deleted = 0",
                      (c["id"],))
        if last and day.isoformat() < last:
            raise ValidationError(f"解散日期不能早于最近一次活动的日期 {last}", field="dissolved_on")
        w.update(Committee, c["id"], {"dissolved_on": day})


# -- members -----------------------------------------------------------------------------------------


def add_member(session, committee_id, *, person_id, role=MEMBER, joined_on=None) -> str:
    """Add a person (在册 or 外出) to a committee; returns the membership id."""
    require(session, EDITORS, "添加组织成员")
    role = _role(role)
    with session.writing() as w:
        c = _current_committee(session, committee_id)
        require_village(session, c["village_id"], "添加组织成员")
        p = _living_person(session, person_id)
        day = date_arg(joined_on, "joined_on", "加入日期", default=today(session), not_after=today(session))
        if c["founded_on"] and day.isoformat() < c["founded_on"]:
            raise ValidationError(f"加入日期不能早于组织成立日期 {c['founded_on']}", field="joined_on")
        if scalar(session, "SELECT 1 FROM committee_member WHERE committee_id = ? AND person_id = ? AND deleted = 0 "
                           "AND left_on IS NULL", (c["id"], p["id"])):
            raise ValidationError(f"{p['name']}已是“{c['name']}”的成员", field="person_id")
        if role == CHAIR:
            _check_single_chair(session, c["id"])
        return insert_row(w, CommitteeMember, {"committee_id": c["id"], "person_id": p["id"], "role": role,
                                               "joined_on": day.isoformat(), "left_on": None})


def _member(session, member_id) -> dict:
    row = session.ledger.db.execute_sql(
        "SELECT m.id, m.committee_id, m.person_id, m.role, m.joined_on, m.left_on, coalesce(p.name, '') "
        "FROM committee_member m LEFT JOIN person p ON p.id = m.person_id WHERE m.id = ? AND m.deleted = 0",
        (member_id,)).fetchone()
    if row is None:
        raise NotFoundError("找不到该成员记录，可能已被删除")
    return dict(zip(("id", "committee_id", "person_id", "role", "joined_on", "left_on", "name"), row))


def end_membership(session, member_id, left_on=None) -> None:
    """A member leaves the committee on ``left_on`` (default today)."""
    require(session, EDITORS, "办理成员离任")
    with session.writing() as w:
        m = _member(session, member_id)
        _in_village_of(session, m["committee_id"], "办理成员离任")
        if m["left_on"]:
            raise ValidationError(f"{m['name']}已于 {m['left_on']} 离任", field="left_on")
        day = date_arg(left_on, "left_on", "离任日期", default=today(session), not_after=today(session))
        if m["joined_on"] and day.isoformat() < m["joined_on"]:
            raise ValidationError(f"离任日期不能早于加入日期 {m['joined_on']}", field="left_on")
        w.update(CommitteeMember, m["id"], {"left_on": day})


def set_member_role(session, member_id, role) -> None:
    """Change a current member's role (会长/副会长/秘书长/成员); one 会长 at a time."""
    require(session, EDITORS, "更改成员职务")
    role = _role(role)
    with session.writing() as w:
        m = _member(session, member_id)
        _in_village_of(session, m["committee_id"], "更改成员职务")
        if m["left_on"]:
            raise ValidationError(f"{m['name']}已离任，不能更改职务", field="role")
        _current_committee(session, m["committee_id"])
        if role == m["role"]:
            return
        if role == CHAIR:
            _check_single_chair(session, m["committee_id"], except_member=m["id"])
        w.update(CommitteeMember, m["id"], {"role": role})


# -- activities -------------------------------------------------------------------------------------


def record_activity(session, committee_id, *, held_on, kind="会议", topic="", decisions="", outcome="",
                    attendee_ids=(), events_handled=0, guests=0, money_saved_yuan=0, evaluations=0, red_list=0,
                    black_list=0, patrols=0) -> str:
    """Record a meeting or activity with its attendees; returns its id. One transaction."""
    require(session, EDITORS, "登记组织活动")
    kind = _activity_kind(kind)
    topic = _short_text(topic, "topic", "主题", 200)
    decisions = _long_text(decisions, "decisions", "决定事项")
    outcome = _long_text(outcome, "outcome", "结果")
    people = _ids(attendee_ids)
    with session.writing() as w:
        c = _current_committee(session, committee_id)
        require_village(session, c["village_id"], "登记组织活动")
        day = _held_on(session, held_on, c)
        figures = _figures(c["kind"], c["name"], dict(
            events_handled=events_handled, guests=guests, money_saved_yuan=money_saved_yuan,
            evaluations=evaluations, red_list=red_list, black_list=black_list, patrols=patrols))
        _check_attendees(session, people)
        activity_id = insert_row(w, CommitteeActivity, {
            "committee_id": c["id"], "held_on": day.isoformat(), "kind": kind, "topic": topic,
            "decisions": decisions, "outcome": outcome, **figures})
        _set_attendees(session, w, activity_id, people)
        return activity_id


_ACTIVITY_FIELDS = ("held_on", "kind", "topic", "decisions", "outcome", "attendee_ids", *FIGURE_FIELDS)


def update_activity(session, activity_id, **fields) -> bool:
    """Change an activity: any of held_on, kind, topic, decisions, outcome, attendee_ids (the full new
    list) and the figures of its committee kind. True if something changed."""
    require(session, EDITORS, "修改组织活动")
    unknown = [k for k in fields if k not in _ACTIVITY_FIELDS]
    if unknown:
        raise ValidationError(f"不能修改活动的“{'、'.join(unknown)}”", field=unknown[0])
    with session.writing() as w:
        a = _activity(session, activity_id)
        c = _committee(session, a["committee_id"])
        require_village(session, c["village_id"], "修改组织活动")
        values: dict[str, Any] = {}
        if "held_on" in fields:
            values["held_on"] = _held_on(session, fields["held_on"], c).isoformat()
        if "kind" in fields:
            values["kind"] = _activity_kind(fields["kind"])
        if "topic" in fields:
            values["topic"] = _short_text(fields["topic"], "topic", "主题", 200)
        for key, label in (("decisions", "决定事项"), ("outcome", "结果")):
            if key in fields:
                values[key] = _long_text(fields[key], key, label)
        if any(f in fields for f in FIGURE_FIELDS):
            merged = {f: fields.get(f, a[f]) for f in FIGURE_FIELDS}
            values.update(_figures(c["kind"], c["name"], merged))
        changed = {k: v for k, v in values.items() if a[k] != v}
        done = bool(changed) and w.update(CommitteeActivity, a["id"], changed) is not None
        if "attendee_ids" in fields:
            people = _ids(fields["attendee_ids"])
            _check_attendees(session, people)
            before = len(w.changes.changes) + sum(w.changes.bulk.values())
            _set_attendees(session, w, a["id"], people)
            done = done or len(w.changes.changes) + sum(w.changes.bulk.values()) != before
        return done


def delete_activity(session, activity_id) -> None:
    """Delete an activity record (a tombstone) with its attendee links."""
    require(session, EDITORS, "删除组织活动")
    with session.writing() as w:
        a = _activity(session, activity_id)
        _in_village_of(session, a["committee_id"], "删除组织活动")
        for (lid,) in rows(session, "SELECT id FROM activity_attendee WHERE activity_id = ? AND deleted = 0",
                           (a["id"],)):
            w.delete(ActivityAttendee, lid)
        w.delete(CommitteeActivity, a["id"])


def _activity(session, activity_id) -> dict:
    cur = session.ledger.db.execute_sql("SELECT * FROM committee_activity WHERE id = ? AND deleted = 0",
                                        (activity_id,))
    row = cur.fetchone()
    if row is None:
        raise NotFoundError("找不到该活动记录，可能已被删除")
    return dict(zip([d[0] for d in cur.description], row))


# -- reading ------------------------------------------------------------------------------------------

_ROW_SQL = """
SELECT c.id, c.village_id, coalesce(v.name, ''), c.kind, c.name, c.founded_on, c.dissolved_on, c.charter,
       (SELECT count(*) FROM committee_member m JOIN person p ON p.id = m.person_id AND p.deleted = 0
         WHERE m.committee_id = c.id AND m.deleted = 0 AND m.left_on IS NULL AND p.status IN ('在册', '外出')),
       (SELECT p.name FROM committee_member m JOIN person p ON p.id = m.person_id
         WHERE m.committee_id = c.id AND m.deleted = 0 AND m.left_on IS NULL AND m.role = '会长' LIMIT 1),
       (SELECT count(*) FROM committee_activity a WHERE a.committee_id = c.id AND a.deleted = 0),
       (SELECT max(held_on) FROM committee_activity a WHERE a.committee_id = c.id AND a.deleted = 0)
  FROM committee c LEFT JOIN village v ON v.id = c.village_id
 WHERE c.deleted = 0 AND c.id IN ({marks})
"""


def committee_ids(session, *, village_id: str | None = None, kind: str | None = None,
                  include_dissolved: bool = False) -> list[str]:
    """Ids of the live committees, by village order then the six in order, custom ones last."""
    where = Where("c.deleted = 0").equal("c.village_id", village_id)
    if kind is not None:
        where.add("c.kind = ?", _kind_code(kind))
    if not include_dissolved:
        where.add("c.dissolved_on IS NULL")
    order = " ".join(f"WHEN '{code}' THEN {i}" for i, code in enumerate(COMMITTEE_KINDS))
    with session.reading():
        return [r[0] for r in session.ledger.db.execute_sql(
            f"SELECT c.id FROM committee c LEFT JOIN village v ON v.id = c.village_id WHERE {where} "
            f"ORDER BY v.sort_order, v.name, CASE c.kind {order} ELSE 99 END, c.dissolved_on IS NOT NULL, "
            f"c.name, c.id", where.params)]


def committee_rows(session, ids: Sequence[str]) -> list[CommitteeRow]:
    """Rows for ``ids`` in the same order; missing or deleted committees are left out."""
    def make(r: tuple) -> CommitteeRow:
        return CommitteeRow(r[0], r[1], r[2], r[3], kind_label(r[3], r[4]), r[4], stored_date(r[5]),
                            stored_date(r[6]), r[7], r[8], r[9] or "", r[10], stored_date(r[11]))

    with session.reading():
        return rows_by_id(session, _ROW_SQL, ids, make)


_ROLE_ORDER = " ".join(f"WHEN '{r}' THEN {i}" for i, r in enumerate(COMMITTEE_ROLES))


def current_officers(session, committee_ids: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """committee id -> "会长 张三" … of its current officers, in the order of :func:`committee_detail`'s members."""
    out: dict[str, list[str]] = {}
    with session.reading():
        for part in chunks(committee_ids):
            for cid, name, role, left_on in rows(
                    session, "SELECT m.committee_id, coalesce(p.name, '（已删除）'), m.role, m.left_on "
                             "FROM committee_member m LEFT JOIN person p ON p.id = m.person_id "
                             f"WHERE m.deleted = 0 AND m.committee_id IN ({marks(len(part))}) "
                             f"AND m.role IN ({marks(len(OFFICER_ROLES))}) "
                             f"ORDER BY m.committee_id, m.left_on IS NOT NULL, CASE m.role {_ROLE_ORDER} END, "
                             "m.joined_on, p.name, m.id", [*part, *OFFICER_ROLES]):
                if stored_date(left_on) is None:
                    out.setdefault(cid, []).append(f"{role} {name}")
    return {cid: tuple(names) for cid, names in out.items()}


def committee_detail(session, committee_id: str) -> CommitteeDetail:
    """One committee with its members (current officers first, then members, then former) and activity log."""
    found = committee_rows(session, [committee_id])
    if not found:
        raise NotFoundError("找不到该组织，可能已被删除")
    row = found[0]
    with session.reading():
        members = tuple(MemberRow(r[0], r[1], r[2], r[3], r[4], stored_date(r[5]), stored_date(r[6]), r[7], r[8])
                        for r in session.ledger.db.execute_sql(
            "SELECT m.id, m.committee_id, m.person_id, coalesce(p.name, '（已删除）'), m.role, m.joined_on, m.left_on, "
            "coalesce(p.status, ''), coalesce(v.name, '') FROM committee_member m "
            "LEFT JOIN person p ON p.id = m.person_id LEFT JOIN household h ON h.id = p.household_id "
            "LEFT JOIN village v ON v.id = h.village_id "
            f"WHERE m.committee_id = ? AND m.deleted = 0 ORDER BY m.left_on IS NOT NULL, CASE m.role {_ROLE_ORDER} END, "
            "m.joined_on, p.name, m.id", (committee_id,)))
    activities = tuple(activity_rows(session, activity_ids(session, committee_id=committee_id)))
    return CommitteeDetail(row, members, activities, figures_of(row.kind))


def activity_ids(session, *, committee_id: str | None = None, village_id: str | None = None,
                 start: dt.date | None = None, end: dt.date | None = None) -> list[str]:
    """Ids of the live activities (newest first), filtered by committee, village and date range (inclusive)."""
    where = Where("a.deleted = 0").equal("a.committee_id", committee_id)
    if village_id is not None:
        where.add("a.committee_id IN (SELECT id FROM committee WHERE village_id = ? AND deleted = 0)", village_id)
    if start is not None:
        where.add("a.held_on >= ?", start.isoformat())
    if end is not None:
        where.add("a.held_on <= ?", end.isoformat())
    with session.reading():
        return [r[0] for r in session.ledger.db.execute_sql(
            f"SELECT a.id FROM committee_activity a WHERE {where} ORDER BY a.held_on DESC, a.id DESC",
            where.params)]


_ACTIVITY_ROW_SQL = (
    "SELECT a.id, a.committee_id, coalesce(c.name, ''), coalesce(v.name, ''), a.held_on, a.kind, "
    "a.topic, a.decisions, a.outcome, (SELECT count(*) FROM activity_attendee t "
    "WHERE t.activity_id = a.id AND t.deleted = 0), "
    f"{', '.join('a.' + f for f in FIGURE_FIELDS)} FROM committee_activity a "
    "LEFT JOIN committee c ON c.id = a.committee_id LEFT JOIN village v ON v.id = c.village_id "
    "WHERE a.deleted = 0 AND a.id IN ({marks})")


def activity_rows(session, ids: Sequence[str]) -> list[ActivityRow]:
    """Rows for ``ids`` in the same order; missing or deleted activities are left out."""
    with session.reading():
        return rows_by_id(session, _ACTIVITY_ROW_SQL, ids,
                          lambda r: ActivityRow(r[0], r[1], r[2], r[3], dt.date.fromisoformat(r[4]), *r[5:]))


def activity_detail(session, activity_id: str) -> ActivityDetail:
    """One activity with its attendees (ids and names)."""
    found = activity_rows(session, [activity_id])
    if not found:
        raise NotFoundError("找不到该活动记录，可能已被删除")
    with session.reading():
        people = session.ledger.db.execute_sql(
            "SELECT t.person_id, coalesce(p.name, '（已删除）') FROM activity_attendee t "
            "LEFT JOIN person p ON p.id = t.person_id WHERE t.activity_id = ? AND t.deleted = 0 "
            "ORDER BY p.name, t.person_id", (activity_id,)).fetchall()
    return ActivityDetail(found[0], tuple(p[0] for p in people), tuple(p[1] for p in people))


def find_persons(session, text, *, limit: int = 20):
    """Persons (not households) matching ``text`` — for picking members and attendees.

    Returns :class:`ledgerdesk.services.search.SearchHit` rows of kind "person", masked.
    """
    from ledgerdesk.services.search import search

    return [h for h in search(session, text, limit=limit * 2) if h.kind == "person"][:limit]
