"""党员中心户 and 联户长: designating, ending, and assigning households (domain.md).

Import these from :mod:`ledgerdesk.services.registry`.

* A 中心户 is a 在册 household with a living (在册/外出) party member of that
  household as its center person, and one or more 六大员 types
  (codes of :data:`ledgerdesk.core.vocab.CENTER_TYPES`; Chinese labels are
  accepted and stored as codes). A household belongs to at most one center
  (``household.center_id``); the center's own household is assigned to it
  when it is designated.
* A 联户长 is any 在册 resident; its household and village are the person's.
  Its own household is linked to it when designated (``household.link_head_id``).
* Assignment is village-scoped and only for 在册 households. A household
  assigned elsewhere is moved (``moved_from_other``). Going beyond the bounds
  in settings (``center.min_households`` …) is allowed, but the result says so.
* Designating and ending need a reviewer (管理员/书记); assigning households
  is an ordinary edit.
"""

from __future__ import annotations

from typing import Iterable

from ledgerdesk.core.dates import date_arg
from ledgerdesk.core.errors import ValidationError
from ledgerdesk.core.text import clean
from ledgerdesk.core.vocab import CENTER_TYPES
from ledgerdesk.services.permissions import EDITORS, REVIEWERS, require, require_village
from ledgerdesk.services.registry_queries import bounds
from ledgerdesk.services.registry_common import (
    LIVING,
    AssignmentResult,
    bounds_message,
    fetch,
    household_label,
    insert_row,
    rows,
    scalar,
    today,
    unique_ids,
)
from ledgerdesk.store.models import Household, LinkHead, PartyCenter

_LABEL_TO_CODE = {label: code for code, label in CENTER_TYPES.items()}


class _Kind:
    """A 中心户 or a 联户长: its table, household column, bounds setting and the Chinese words of its actions."""

    def __init__(self, table, model, column, setting, label, *, end, assign, release):
        self.table, self.model, self.column, self.setting, self.label = table, model, column, setting, label
        self.end_action, self.assign_action, self.release_action = end, assign, release


_CENTER = _Kind("party_center", PartyCenter, "center_id", "center", "中心户",
                end="结束党员中心户", assign="分配中心户联系户", release="取消中心户联系户")
_HEAD = _Kind("link_head", LinkHead, "link_head_id", "link_head", "联户长",
              end="结束联户长", assign="分配联户长联系户", release="取消联户长联系户")


def center_type_codes(types: Iterable[str] | str | None) -> str:
    """The stored comma list of 六大员 codes for ``types`` (codes or labels), in vocabulary order."""
    if types is None:
        return ""
    if isinstance(types, str):
        types = types.replace("，", ",").replace("、", ",").split(",")
    chosen = set()
    for raw in types:
        t = clean(raw)
        if not t:
            continue
        code = t if t in CENTER_TYPES else _LABEL_TO_CODE.get(t)
        if code is None:
            raise ValidationError(f"未知的中心户类型“{t}”（应为六大员之一：{'、'.join(CENTER_TYPES.values())}）",
                                  field="types")
        chosen.add(code)
    return ",".join(c for c in CENTER_TYPES if c in chosen)


def _active(session, kind: _Kind, entity_id) -> dict:
    row = fetch(session, kind.table, entity_id)
    if row["ended_on"]:
        raise ValidationError(f"该{kind.label}已于 {row['ended_on']} 结束", field="id")
    return row


def _take_households(session, w, kind: _Kind, owner: dict, household_ids) -> AssignmentResult:
    ids = unique_ids(household_ids or ())
    households = [fetch(session, "household", hid, f"id, hh_no, village_id, status, {kind.column}")
                  for hid in ids]
    for h in households:
        if h["village_id"] != owner["village_id"]:
            raise ValidationError(f"{household_label(h)}不属于该{kind.label}所在的村，只能分配本村的户",
                                  field="household_ids")
        if h["status"] != "在册":
            raise ValidationError(f"{household_label(h)}已{h['status']}，不能分配", field="household_ids")
    assigned = moved = 0
    for h in households:
        if h[kind.column] == owner["id"]:
            continue
        if h[kind.column]:
            moved += 1
        w.update(Household, h["id"], {kind.column: owner["id"]})
        assigned += 1
    return _result(session, kind, owner["id"], assigned, moved)


def _result(session, kind: _Kind, owner_id: str, assigned: int, moved: int) -> AssignmentResult:
    total = scalar(session, f"SELECT count(*) FROM household WHERE {kind.column} = ? AND deleted = 0 "
                            "AND status = '在册'", (owner_id,))
    lo, hi = bounds(session, kind.setting)
    done = f"已分配 {assigned} 户"
    if moved:
        done += f"（其中 {moved} 户从其他{kind.label}转入）"
    ok, message = bounds_message(done, f"该{kind.label}", total, lo, hi)
    return AssignmentResult(assigned, moved, total, lo, hi, ok, message)


def _release(session, kind: _Kind, household_ids) -> int:
    require(session, EDITORS, kind.release_action)
    with session.writing() as w:
        changed = 0
        households = [fetch(session, "household", hid, f"id, village_id, {kind.column}")
                      for hid in unique_ids(household_ids or ())]
        for h in households:
            require_village(session, h["village_id"], kind.release_action)
        for h in households:
            if h[kind.column] is not None:
                w.update(Household, h["id"], {kind.column: None})
                changed += 1
        return changed


def _assign(session, kind: _Kind, owner_id, household_ids) -> AssignmentResult:
    require(session, EDITORS, kind.assign_action)
    with session.writing() as w:
        owner = _active(session, kind, owner_id)
        require_village(session, owner["village_id"], kind.assign_action)
        return _take_households(session, w, kind, owner, household_ids)


def _end(session, kind: _Kind, entity_id, ended_on) -> int:
    require(session, REVIEWERS, kind.end_action)
    with session.writing() as w:
        row = _active(session, kind, entity_id)
        require_village(session, row["village_id"], kind.end_action)
        on = date_arg(ended_on, "ended_on", "结束日期", default=today(session))
        if row["designated_on"] and on.isoformat() < row["designated_on"]:
            raise ValidationError(f"结束日期不能早于设立日期 {row['designated_on']}", field="ended_on")
        w.update(kind.model, row["id"], {"ended_on": on.isoformat()})
        released = 0
        for (hid,) in rows(session, f"SELECT id FROM household WHERE {kind.column} = ? AND deleted = 0",
                           (row["id"],)):
            w.update(Household, hid, {kind.column: None})
            released += 1
        return released


def _designate(session, w, kind: _Kind, household: dict, designated_on, values: dict) -> str:
    """Insert the 中心户/联户长 row (``values`` plus village, household, date) and point its household at it."""
    on = date_arg(designated_on, "designated_on", "设立日期", default=today(session), not_after=today(session))
    owner_id = insert_row(w, kind.model, {"village": household["village_id"], "household": household["id"],
                                          **values, "designated_on": on.isoformat()})
    w.update(Household, household["id"], {kind.column: owner_id})
    return owner_id


# -- 党员中心户 ------------------------------------------------------------------------------


def designate_center(session, *, household_id, person_id, types=(), designated_on=None) -> str:
    """Designate a 在册 household as 党员中心户 with one of its party members as center person."""
    require(session, REVIEWERS, "设立党员中心户")
    codes = center_type_codes(types)
    with session.writing() as w:
        h = fetch(session, "household", household_id, "id, hh_no, village_id, status")
        require_village(session, h["village_id"], "设立党员中心户")
        if h["status"] != "在册":
            raise ValidationError(f"{household_label(h)}已{h['status']}，不能设为党员中心户", field="household_id")
        p = fetch(session, "person", person_id, "id, name, household_id, status, is_party_member")
        if p["household_id"] != h["id"]:
            raise ValidationError(f"{p['name']}不是该户成员，中心户人员必须是本户的党员", field="person_id")
        if not p["is_party_member"]:
            raise ValidationError(f"{p['name']}不是党员，不能作为党员中心户的中心户人员", field="person_id")
        if p["status"] not in LIVING:
            raise ValidationError(f"{p['name']}已{p['status']}，不能作为中心户人员", field="person_id")
        if scalar(session, "SELECT 1 FROM party_center WHERE household_id = ? AND deleted = 0 AND ended_on IS NULL",
                  (h["id"],)):
            raise ValidationError(f"{household_label(h)}已是党员中心户，不能重复设立", field="household_id")
        return _designate(session, w, _CENTER, h, designated_on, {"person": p["id"], "types": codes})


def set_center_types(session, center_id, types) -> None:
    """Replace the 六大员 types of an active 中心户 (codes of CENTER_TYPES, or their labels)."""
    require(session, REVIEWERS, "设置中心户类型")
    codes = center_type_codes(types)
    with session.writing() as w:
        row = _active(session, _CENTER, center_id)
        require_village(session, row["village_id"], "设置中心户类型")
        w.update(PartyCenter, row["id"], {"types": codes})


def end_center(session, center_id, ended_on=None) -> int:
    """End a 中心户 (ended_on, default today); its households are unassigned. Returns how many."""
    return _end(session, _CENTER, center_id, ended_on)


def assign_to_center(session, center_id, household_ids) -> AssignmentResult:
    """Assign 在册 households of the center's village to it (moving them from another center)."""
    return _assign(session, _CENTER, center_id, household_ids)


def unassign_from_center(session, household_ids) -> int:
    """Take households out of whatever 中心户 covers them; returns how many had one."""
    return _release(session, _CENTER, household_ids)


# -- 联户长 -----------------------------------------------------------------------------------


def designate_link_head(session, *, person_id, designated_on=None) -> str:
    """Make a 在册 resident a 联户长 of their village; their own household is linked to them."""
    require(session, REVIEWERS, "设立联户长")
    with session.writing() as w:
        p = fetch(session, "person", person_id, "id, name, household_id, status")
        if p["status"] != "在册":
            raise ValidationError(f"{p['name']}当前为“{p['status']}”，联户长须为在册居民", field="person_id")
        h = fetch(session, "household", p["household_id"], "id, hh_no, village_id, status")
        require_village(session, h["village_id"], "设立联户长")
        if h["status"] != "在册":
            raise ValidationError(f"{p['name']}所在的{household_label(h)}已{h['status']}，不能担任联户长",
                                  field="person_id")
        if scalar(session, "SELECT 1 FROM link_head WHERE person_id = ? AND deleted = 0 AND ended_on IS NULL",
                  (p["id"],)):
            raise ValidationError(f"{p['name']}已是联户长", field="person_id")
        return _designate(session, w, _HEAD, h, designated_on, {"person": p["id"]})


def end_link_head(session, head_id, ended_on=None) -> int:
    """End a 联户长 (ended_on, default today); its households are unlinked. Returns how many."""
    return _end(session, _HEAD, head_id, ended_on)


def link_to_head(session, head_id, household_ids) -> AssignmentResult:
    """Link 在册 households of the head's village to a 联户长 (moving them from another head)."""
    return _assign(session, _HEAD, head_id, household_ids)


def unlink_from_head(session, household_ids) -> int:
    """Take households away from whatever 联户长 links them; returns how many had one."""
    return _release(session, _HEAD, household_ids)
