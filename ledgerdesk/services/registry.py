"""Registry writes: villages, groups, grids, households, persons, tags, posts (domain.md "Registry").

Every public call is one transaction through the versioned writer; bad input
raises :class:`ValidationError` (Chinese message, ``field=``) or
:class:`NotFoundError` and changes nothing. Person fields go through
:func:`ledgerdesk.core.person_rules.check_person`: errors block, warnings (an
invalid 身份证号) are saved with ``person.id_status`` and returned in
:class:`PersonSaved`.

This module is the public import path for all registry writes. It holds the
hierarchy and households; persons and their posts live in
:mod:`registry_persons`, 党员中心户 and 联户长 in :mod:`registry_centers`,
duplicate detection and merging in :mod:`registry_merge`; all are re-exported
here.

Roles: ordinary edits need an editor (管理员/书记/录入员); designating and
ending 中心户/联户长 and merging persons need a reviewer (管理员/书记).
"""

from __future__ import annotations

from typing import Any

from ledgerdesk.core.errors import ValidationError
from ledgerdesk.core.ids import link_id
from ledgerdesk.core.phone import normalise_phone, phone_problem
from ledgerdesk.core.text import clean, clean_code
from ledgerdesk.core.vocab import GROUP_KINDS, HOUSEHOLD_STATUSES, LEVELS, VILLAGE_KINDS
from ledgerdesk.services.permissions import EDITORS, require, require_all_villages, require_village
from ledgerdesk.services.registry_common import (
    LIVING,
    AssignmentResult,
    DeactivatedHousehold,
    DuplicateGroup,
    PersonSaved,
    check_unit,
    choice,
    fetch,
    household_label,
    live_household,
    note_text,
    required_text,
    rows,
    scalar,
)
from ledgerdesk.services.registry_centers import (
    assign_to_center,
    designate_center,
    designate_link_head,
    end_center,
    end_link_head,
    link_to_head,
    set_center_types,
    unassign_from_center,
    unlink_from_head,
)
from ledgerdesk.services.registry_merge import merge_persons, possible_duplicates
from ledgerdesk.services.registry_persons import (
    add_grid_worker,
    add_person,
    move_person,
    set_person_post,
    set_person_status,
    update_person,
)
from ledgerdesk.store.models import Grid, Household, HouseholdTag, Person, Tag, Village, VillageGroup

__all__ = [
    "PersonSaved", "AssignmentResult", "DuplicateGroup", "DeactivatedHousehold",
    "create_village", "create_group", "create_grid", "create_household", "update_household",
    "move_household", "deactivate_household", "add_person", "update_person", "move_person",
    "set_person_status", "set_household_head", "set_household_tags", "set_level",
    "designate_center", "set_center_types", "end_center", "assign_to_center", "unassign_from_center",
    "designate_link_head", "end_link_head", "link_to_head", "unlink_from_head",
    "add_grid_worker", "set_person_post", "possible_duplicates", "merge_persons",
]

# -- villages, groups, grids ------------------------------------------------------------


def create_village(session, *, name, kind="村", code="") -> str:
    """A new 村/社区/嘎查 of this ledger's township; names are unique in the township."""
    require(session, EDITORS, "新建村")
    require_all_villages(session, "新建村")
    name = required_text(name, "name", "村名", 40)
    kind = choice(kind, VILLAGE_KINDS, "kind", "类型")
    with session.writing() as w:
        township_id = session.ledger.get_meta("township_id") or scalar(
            session, "SELECT id FROM township WHERE deleted = 0 ORDER BY id LIMIT 1")
        if not township_id:
            raise ValidationError("台账尚未设置乡镇，不能新建村", field="name")
        if scalar(session, "SELECT 1 FROM village WHERE township_id = ? AND name = ? AND deleted = 0",
                  (township_id, name)):
            raise ValidationError(f"“{name}”已存在", field="name")
        order = scalar(session, "SELECT coalesce(max(sort_order), 0) FROM village WHERE township_id = ?",
                       (township_id,))
        return w.insert(Village, {"township": township_id, "name": name, "kind": kind,
                                  "code": clean_code(code), "sort_order": order + 1})


def create_group(session, *, village_id, name, kind="村民小组") -> str:
    """A 村民小组/牧民小组/居民小组 of a village; names are unique in the village."""
    require(session, EDITORS, "新建村民小组")
    name = required_text(name, "name", "小组名称", 40)
    kind = choice(kind, GROUP_KINDS, "kind", "小组类型")
    with session.writing() as w:
        fetch(session, "village", village_id, "id")
        require_village(session, village_id, "新建村民小组")
        if scalar(session, "SELECT 1 FROM village_group WHERE village_id = ? AND name = ? AND deleted = 0",
                  (village_id, name)):
            raise ValidationError(f"本村已有“{name}”", field="name")
        return w.insert(VillageGroup, {"village": village_id, "name": name, "kind": kind})


def create_grid(session, *, village_id, name, code="") -> str:
    """A 网格 of a village; names are unique in the village."""
    require(session, EDITORS, "新建网格")
    name = required_text(name, "name", "网格名称", 40)
    with session.writing() as w:
        fetch(session, "village", village_id, "id")
        require_village(session, village_id, "新建网格")
        if scalar(session, "SELECT 1 FROM grid WHERE village_id = ? AND name = ? AND deleted = 0",
                  (village_id, name)):
            raise ValidationError(f"本村已有“{name}”", field="name")
        return w.insert(Grid, {"village": village_id, "name": name, "code": clean_code(code)})


# -- households ----------------------------------------------------------------------------

_HOUSEHOLD_FIELDS = ("hh_no", "group_id", "grid_id", "address", "phone", "level", "note", "lat", "lon",
                     "winter_pasture", "summer_pasture")
_HOUSEHOLD_ELSEWHERE = {
    "village_id": "请用“迁移户”（move_household）更换所属村",
    "status": "请用“注销/迁出户”（deactivate_household）更改户状态",
    "head_person_id": "请用“设为户主”（set_household_head）更换户主",
    "center_id": "请在党员中心户中分配联系户",
    "link_head_id": "请在联户长中分配联系户",
}




def _check_hh_no(session, hh_no: object, village_id: str, exclude: str | None = None) -> str:
    value = clean_code(hh_no)
    if len(value) > 30:
        raise ValidationError("户号过长（最多30个字符）", field="hh_no")
    if value and scalar(session, "SELECT 1 FROM household WHERE village_id = ? AND hh_no = ? AND deleted = 0 "
                                 "AND id != ?", (village_id, value, exclude or "")):
        raise ValidationError(f"本村已有户号“{value}”的户", field="hh_no")
    return value


def _check_phone(value: object, field: str = "phone") -> str:
    s = normalise_phone(value)
    problem = phone_problem(s)
    if problem:
        raise ValidationError(problem, field=field)
    return s


def _coordinate(value: object, field: str, limit: float, label: str) -> float | None:
    if value is None or value == "":
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        raise ValidationError(f"{label}“{value}”不是数字", field=field) from None
    if not -limit <= f <= limit:
        raise ValidationError(f"{label}应在 -{limit:g} 到 {limit:g} 之间", field=field)
    return f


def _household_values(session, village_id: str, fields: dict[str, Any], exclude: str | None = None) -> dict:
    """Validated column values for the household ``fields`` given (names of _HOUSEHOLD_FIELDS)."""
    out: dict[str, Any] = {}
    for name, value in fields.items():
        if name == "hh_no":
            out["hh_no"] = _check_hh_no(session, value, village_id, exclude)
        elif name == "group_id":
            out["group"] = check_unit(session, "village_group", value, village_id, "group_id", "小组")
        elif name == "grid_id":
            out["grid"] = check_unit(session, "grid", value, village_id, "grid_id", "网格")
        elif name == "phone":
            out["phone"] = _check_phone(value)
        elif name == "level":
            out["level"] = choice(value, LEVELS, "level", "三色等级")
        elif name in ("address", "winter_pasture", "summer_pasture"):
            out[name] = clean(value)
        elif name == "note":
            out["note"] = note_text(value)
        elif name == "lat":
            out["lat"] = _coordinate(value, "lat", 90, "纬度")
        elif name == "lon":
            out["lon"] = _coordinate(value, "lon", 180, "经度")
        elif name in _HOUSEHOLD_ELSEWHERE:
            raise ValidationError(_HOUSEHOLD_ELSEWHERE[name], field=name)
        else:
            raise ValidationError(f"户没有可修改的字段“{name}”", field=name)
    return out






def create_household(session, *, village_id, hh_no="", group_id=None, grid_id=None, address="", phone="",
                     level="绿", note="") -> str:
    """A new 在册 household in ``village_id``; group and grid must be of that village."""
    require(session, EDITORS, "新建户")
    if not village_id:
        raise ValidationError("请选择所属村", field="village_id")
    with session.writing() as w:
        fetch(session, "village", village_id, "id")
        require_village(session, village_id, "新建户")
        values = _household_values(session, village_id, {
            "hh_no": hh_no, "group_id": group_id, "grid_id": grid_id, "address": address, "phone": phone,
            "level": level, "note": note})
        return w.insert(Household, {"village": village_id, **values})


def update_household(session, household_id, **fields) -> bool:
    """Change household fields (hh_no, group_id, grid_id, address, phone, level, note, lat, lon,
    winter_pasture, summer_pasture). True if something changed."""
    require(session, EDITORS, "修改户信息")
    with session.writing() as w:
        h = live_household(session, household_id)
        require_village(session, h["village_id"], "修改户信息")
        values = _household_values(session, h["village_id"], fields, exclude=h["id"])
        return bool(values) and w.update(Household, h["id"], values) is not None


def set_level(session, household_id, level) -> None:
    """三色 level: 绿 stable, 黄 attention, 红 key concern."""
    require(session, EDITORS, "设置三色等级")
    level = choice(level, LEVELS, "level", "三色等级")
    with session.writing() as w:
        h = live_household(session, household_id)
        require_village(session, h["village_id"], "设置三色等级")
        w.update(Household, h["id"], {"level": level})


def _homes_of_active_roles(session, household_id: str) -> tuple[list[str], list[str]]:
    centers = [r[0] for r in rows(session, "SELECT id FROM party_center WHERE household_id = ? AND deleted = 0 "
                                           "AND ended_on IS NULL ORDER BY id", (household_id,))]
    heads = [r[0] for r in rows(session, "SELECT id FROM link_head WHERE household_id = ? AND deleted = 0 "
                                         "AND ended_on IS NULL ORDER BY id", (household_id,))]
    return centers, heads


def move_household(session, household_id, *, village_id, group_id=None, grid_id=None) -> None:
    """Move a household to another group/grid, or another village.

    Moving to another village clears its 中心户 and 联户长 links (both are
    village-scoped) and its group/grid unless new ones (of the new village)
    are given. A household that is itself the home of an active 中心户 or
    联户长 cannot change village until those are ended. Within the same
    village, None keeps the current group/grid.
    """
    require(session, EDITORS, "迁移户")
    if not village_id:
        raise ValidationError("请选择迁入的村", field="village_id")
    with session.writing() as w:
        h = live_household(session, household_id)
        fetch(session, "village", village_id, "id")
        require_village(session, h["village_id"], "迁移户")
        require_village(session, village_id, "迁移户")
        values: dict[str, Any] = {}
        if village_id != h["village_id"]:
            centers, heads = _homes_of_active_roles(session, h["id"])
            if centers or heads:
                what = "党员中心户" if centers else "联户长"
                raise ValidationError(f"{household_label(h)}是{what}所在户，请先结束该{what}再迁往其他村",
                                      field="village_id")
            values = {"village": village_id, "center_id": None, "link_head_id": None,
                      "hh_no": _check_hh_no(session, h["hh_no"], village_id, h["id"])}
            values["group"] = check_unit(session, "village_group", group_id, village_id, "group_id", "小组")
            values["grid"] = check_unit(session, "grid", grid_id, village_id, "grid_id", "网格")
        else:
            if group_id is not None:
                values["group"] = check_unit(session, "village_group", group_id, village_id, "group_id", "小组")
            if grid_id is not None:
                values["grid"] = check_unit(session, "grid", grid_id, village_id, "grid_id", "网格")
        if values:
            w.update(Household, h["id"], values)


def deactivate_household(session, household_id, status="迁出") -> DeactivatedHousehold:
    """Mark a household 迁出 or 注销 and take it out of its 中心户 and 联户长.

    With 迁出 its living members (在册/外出) become 迁出 too. If an active
    中心户 or 联户长 has this household as home, it is NOT ended here (ending
    unassigns every household it covers, a reviewer's decision): the ids are
    returned so the caller can offer end_center / end_link_head, and coverage
    reports them as invalid meanwhile.
    """
    require(session, EDITORS, "注销/迁出户")
    status = choice(status, [s for s in HOUSEHOLD_STATUSES if s != "在册"], "status", "户状态")
    with session.writing() as w:
        h = live_household(session, household_id)
        require_village(session, h["village_id"], "注销/迁出户")
        w.update(Household, h["id"], {"status": status, "center_id": None, "link_head_id": None})
        moved = 0
        if status == "迁出":
            for (pid,) in rows(session, "SELECT id FROM person WHERE household_id = ? AND deleted = 0 "
                                        "AND status IN ('在册', '外出')", (h["id"],)):
                w.update(Person, pid, {"status": "迁出"})
                moved += 1
        centers, heads = _homes_of_active_roles(session, h["id"])
        return DeactivatedHousehold(h["id"], tuple(centers), tuple(heads), moved)


def set_household_head(session, household_id, person_id) -> None:
    """Make a living member of the household its 户主 (relation set to 户主 when empty)."""
    require(session, EDITORS, "设置户主")
    with session.writing() as w:
        h = live_household(session, household_id)
        require_village(session, h["village_id"], "设置户主")
        p = fetch(session, "person", person_id, "id, name, household_id, status, relation")
        if p["household_id"] != h["id"]:
            raise ValidationError(f"{p['name']}不是该户成员，不能设为户主", field="person_id")
        if p["status"] not in LIVING:
            raise ValidationError(f"{p['name']}已{p['status']}，不能设为户主", field="person_id")
        w.update(Household, h["id"], {"head_person_id": p["id"]})
        if not p["relation"]:
            w.update(Person, p["id"], {"relation": "户主"})


def set_household_tags(session, household_id, tag_names) -> None:
    """Replace the household's tags with ``tag_names``; names not yet known become new tags."""
    require(session, EDITORS, "设置户标签")
    names: dict[str, None] = {}
    for raw in tag_names or ():
        name = clean(raw)
        if not name:
            continue
        if len(name) > 20:
            raise ValidationError(f"标签“{name}”过长（最多20个字）", field="tags")
        names.setdefault(name, None)
    with session.writing() as w:
        h = live_household(session, household_id)
        require_village(session, h["village_id"], "设置户标签")
        wanted: set[str] = set()
        for name in names:
            tag_id = scalar(session, "SELECT id FROM tag WHERE name = ? AND deleted = 0 ORDER BY id LIMIT 1",
                            (name,))
            if tag_id is None:
                tag_id = link_id("tag", name)
                if scalar(session, "SELECT 1 FROM tag WHERE id = ?", (tag_id,)):
                    w.update(Tag, tag_id, {"deleted": False, "name": name})
                else:
                    w.insert(Tag, {"name": name, "builtin": False}, id=tag_id)
            wanted.add(tag_id)
        current = dict(rows(session, "SELECT tag_id, id FROM household_tag WHERE household_id = ? AND deleted = 0",
                            (h["id"],)))
        for tag_id, link in current.items():
            if tag_id not in wanted:
                w.delete(HouseholdTag, link)
        for tag_id in sorted(wanted - set(current)):
            _put_link(session, w, HouseholdTag, link_id("household_tag", h["id"], tag_id),
                      {"household": h["id"], "tag": tag_id})


def _put_link(session, w, model, entity_id: str, values: dict) -> None:
    """Create (or bring back from its tombstone) a link row with a deterministic id."""
    table = model._meta.table_name
    if scalar(session, f'SELECT 1 FROM "{table}" WHERE id = ?', (entity_id,)):
        w.update(model, entity_id, {"deleted": False, **values})
    else:
        w.insert(model, values, id=entity_id)

