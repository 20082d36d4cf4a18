"""Registry writes for persons: add, edit, move, status, and the posts they hold.

Import these from :mod:`ledgerdesk.services.registry`. Person fields go through
:func:`ledgerdesk.core.person_rules.check_person`: errors raise
:class:`ValidationError` and nothing is written; warnings (an invalid
身份证号, a 身份证号 another person already has) are saved — the number
flagged in ``person.id_status`` — and returned in :class:`PersonSaved`.
"""

from __future__ import annotations

from typing import Any

from ledgerdesk.core.dates import date_arg
from ledgerdesk.core.errors import ValidationError
from ledgerdesk.core.idcard import VALID, check_id_number
from ledgerdesk.core.person_rules import FieldIssue, check_person
from ledgerdesk.core.text import clean, clean_code
from ledgerdesk.core.vocab import GRID_ROLES, PERSON_POSTS, PERSON_STATUSES
from ledgerdesk.services.permissions import EDITORS, require, require_village
from ledgerdesk.services.registry_common import (
    LIVING,
    PersonSaved,
    active_household,
    changed_only,
    check_unit,
    choice,
    fetch,
    insert_row,
    iso,
    note_text,
    rows,
    scalar,
    today,
)
from ledgerdesk.store.models import GridWorker, Household, LinkHead, Person, PersonPost


# -- persons ------------------------------------------------------------------------------


def _require_home_village(session, household_id, action: str) -> None:
    """The session may work in the village of ``household_id`` (a person's home)."""
    require_village(session, scalar(session, "SELECT village_id FROM household WHERE id = ?", (household_id,)), action)

_PERSON_FIELDS = ("name", "id_number", "gender", "birth_date", "phone", "relation", "ethnicity",
                  "is_party_member", "party_branch", "party_joined_on", "note")
_PERSON_ELSEWHERE = {
    "household_id": "请用“迁移人员”（move_person）更换所在户",
    "status": "请用“设置人员状态”（set_person_status）更改状态",
    "id_status": "身份证号状态由系统根据身份证号判定",
}


def person_values(session, given: dict[str, Any], current: dict | None) -> tuple[dict, tuple[FieldIssue, ...]]:
    """Validated column values for a new person (current None) or an update; raises on the first error."""
    for name in given:
        if name in _PERSON_ELSEWHERE:
            raise ValidationError(_PERSON_ELSEWHERE[name], field=name)
        if name not in _PERSON_FIELDS:
            raise ValidationError(f"人员没有可修改的字段“{name}”", field=name)
    cur = current or {}
    merged = {k: given.get(k, cur.get(k)) for k in ("name", "id_number", "gender", "birth_date", "phone")}
    if current is not None and "id_number" in given:
        # A gender/birth date that was derived from the old number follows the new valid one.
        old = check_id_number(cur["id_number"])
        new = check_id_number(clean_code(given["id_number"]))
        if old.status == VALID and new.status == VALID:
            if "gender" not in given and cur["gender"] == old.gender:
                merged["gender"] = ""
            if "birth_date" not in given and cur["birth_date"] == old.birth_date.isoformat():
                merged["birth_date"] = None
    today_ = today(session)
    checked = check_person(name=merged["name"], id_number=merged["id_number"] or "",
                           gender=merged["gender"] or "", birth_date=merged["birth_date"],
                           phone=merged["phone"] or "", today=today_)
    if checked.errors:
        first = checked.errors[0]
        raise ValidationError(first.message, field=first.field)
    values: dict[str, Any] = {
        "name": checked.name, "gender": checked.gender, "birth_date": iso(checked.birth_date),
        "id_number": checked.id_number, "id_status": checked.id_status, "phone": checked.phone,
    }
    for name in ("relation", "ethnicity", "party_branch"):
        if current is None or name in given:
            values[name] = clean(given.get(name, ""))
            if len(values[name]) > 40:
                raise ValidationError(f"“{values[name]}”过长（最多40个字）", field=name)
    if current is None or "note" in given:
        values["note"] = note_text(given.get("note", ""))
    if current is None or "is_party_member" in given:
        values["is_party_member"] = bool(given.get("is_party_member", False))
    if current is None or "party_joined_on" in given:
        joined = date_arg(given.get("party_joined_on"), "party_joined_on", "入党日期", not_after=today_)
        if joined and checked.birth_date and joined < checked.birth_date:
            raise ValidationError("入党日期不能早于出生日期", field="party_joined_on")
        values["party_joined_on"] = iso(joined)
    warnings = list(checked.warnings)
    if checked.id_number:
        other = scalar(session, "SELECT name FROM person WHERE id_number = ? AND deleted = 0 AND id != ? "
                                "ORDER BY id LIMIT 1", (checked.id_number, cur.get("id", "")))
        if other is not None:
            warnings.append(FieldIssue("id_number", f"已有人员“{other}”使用同一身份证号，可能重复登记，请核实"))
    return values, tuple(warnings)


def add_person(session, household_id, *, name, id_number="", gender="", birth_date=None, phone="",
               relation="", ethnicity="", is_party_member=False, party_branch="", party_joined_on=None,
               note="", make_head=False) -> PersonSaved:
    """A new 在册 member of a 在册 household (optionally its 户主)."""
    require(session, EDITORS, "添加人员")
    given = {"name": name, "id_number": id_number, "gender": gender, "birth_date": birth_date, "phone": phone,
             "relation": relation, "ethnicity": ethnicity, "is_party_member": is_party_member,
             "party_branch": party_branch, "party_joined_on": party_joined_on, "note": note}
    with session.writing() as w:
        h = active_household(session, household_id)
        require_village(session, h["village_id"], "添加人员")
        values, warnings = person_values(session, given, None)
        if make_head and not values["relation"]:
            values["relation"] = "户主"
        pid = insert_row(w, Person, {"household": h["id"], **values})
        if make_head:
            w.update(Household, h["id"], {"head_person_id": pid})
        return PersonSaved(pid, warnings)


def update_person(session, person_id, **fields) -> PersonSaved:
    """Change person fields (name, id_number, gender, birth_date, phone, relation, ethnicity,
    is_party_member, party_branch, party_joined_on, note), checked like add_person."""
    require(session, EDITORS, "修改人员信息")
    with session.writing() as w:
        cur = fetch(session, "person", person_id)
        _require_home_village(session, cur["household_id"], "修改人员信息")
        values, warnings = person_values(session, fields, cur)
        w.update(Person, cur["id"], changed_only(cur, values))
        return PersonSaved(cur["id"], warnings)


def _active_roles_of(session, person_id: str) -> tuple[list[dict], list[dict]]:
    centers = [dict(zip(("id", "household_id", "village_id"), r)) for r in rows(
        session, "SELECT id, household_id, village_id FROM party_center WHERE person_id = ? AND deleted = 0 "
                 "AND ended_on IS NULL", (person_id,))]
    heads = [dict(zip(("id", "household_id", "village_id"), r)) for r in rows(
        session, "SELECT id, household_id, village_id FROM link_head WHERE person_id = ? AND deleted = 0 "
                 "AND ended_on IS NULL", (person_id,))]
    return centers, heads


def move_person(session, person_id, household_id) -> None:
    """Move a person to another 在册 household.

    A 户主 stops being head of the old household. The center person of an
    active 中心户 cannot move (end the 中心户 first); an active 联户长 may move
    within the village (the 联户长 record follows) but not to another village.
    """
    require(session, EDITORS, "迁移人员")
    with session.writing() as w:
        p = fetch(session, "person", person_id, "id, name, household_id")
        if p["household_id"] == household_id:
            return
        target = active_household(session, household_id)
        _require_home_village(session, p["household_id"], "迁移人员")
        require_village(session, target["village_id"], "迁移人员")
        centers, heads = _active_roles_of(session, p["id"])
        if centers:
            raise ValidationError(f"{p['name']}是党员中心户的中心户人员，请先结束该中心户再迁移", field="household_id")
        for head in heads:
            if head["village_id"] != target["village_id"]:
                raise ValidationError(f"{p['name']}是本村联户长，迁往其他村前请先结束其联户长身份",
                                      field="household_id")
        w.update(Person, p["id"], {"household": target["id"]})
        for head in heads:
            w.update(LinkHead, head["id"], {"household": target["id"]})
        for (hid,) in rows(session, "SELECT id FROM household WHERE head_person_id = ? AND deleted = 0",
                           (p["id"],)):
            w.update(Household, hid, {"head_person_id": None})


def set_person_status(session, person_id, status) -> None:
    """在册/外出/迁出/去世. A 中心户 or 联户长 whose person leaves is not ended here;
    coverage reports it as invalid until a reviewer ends or replaces it."""
    require(session, EDITORS, "设置人员状态")
    status = choice(status, PERSON_STATUSES, "status", "人员状态")
    with session.writing() as w:
        p = fetch(session, "person", person_id, "id, household_id")
        _require_home_village(session, p["household_id"], "设置人员状态")
        w.update(Person, p["id"], {"status": status})


# -- grid workers and posts ---------------------------------------------------------------


def _person_village(session, person_id) -> tuple[dict, str]:
    p = fetch(session, "person", person_id, "id, name, household_id, status")
    village = scalar(session, "SELECT village_id FROM household WHERE id = ?", (p["household_id"],))
    return p, village


def add_grid_worker(session, *, grid_id, person_id, role="网格员") -> str:
    """Make a living person a 网格员/网格长 of a grid (since today)."""
    require(session, EDITORS, "设置网格员")
    role = choice(role, GRID_ROLES, "role", "网格职务")
    with session.writing() as w:
        grid = fetch(session, "grid", grid_id, "id, name, village_id")
        require_village(session, grid["village_id"], "设置网格员")
        p, _ = _person_village(session, person_id)
        if p["status"] not in LIVING:
            raise ValidationError(f"{p['name']}已{p['status']}，不能担任{role}", field="person_id")
        if scalar(session, "SELECT 1 FROM grid_worker WHERE grid_id = ? AND person_id = ? AND deleted = 0 "
                           "AND until IS NULL", (grid["id"], p["id"])):
            raise ValidationError(f"{p['name']}已是“{grid['name']}”的网格员", field="person_id")
        return insert_row(w, GridWorker, {"grid": grid["id"], "person": p["id"], "role": role,
                                     "since": iso(today(session))})


def set_person_post(session, *, person_id, post, unit_id=None) -> str:
    """Record a post (党小组长/村民小组长/牧民小组长); ``unit_id`` a group of the person's village.
    Returns the existing record when the person already holds that post for that unit."""
    require(session, EDITORS, "设置职务")
    post = choice(post, PERSON_POSTS, "post", "职务")
    with session.writing() as w:
        p, village_id = _person_village(session, person_id)
        require_village(session, village_id, "设置职务")
        if p["status"] not in LIVING:
            raise ValidationError(f"{p['name']}已{p['status']}，不能担任{post}", field="person_id")
        unit = check_unit(session, "village_group", unit_id, village_id, "unit_id", "小组") if unit_id else None
        existing = scalar(session, "SELECT id FROM person_post WHERE person_id = ? AND post = ? AND deleted = 0 "
                                   "AND until IS NULL AND coalesce(unit_id, '') = ?", (p["id"], post, unit or ""))
        if existing:
            return existing
        return insert_row(w, PersonPost, {"person": p["id"], "post": post, "unit_id": unit, "since": iso(today(session))})
