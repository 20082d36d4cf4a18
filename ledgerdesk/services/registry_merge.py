"""Possible duplicate persons and merging two records of one person.

Import these from :mod:`ledgerdesk.services.registry`.

身份证号 and 户号 are indexed but not unique (architecture.md): merged rosters
and offline laptops produce the same person twice. :func:`possible_duplicates`
proposes groups, a human picks which record to keep, and :func:`merge_persons`
moves every reference to the other record, fills the kept record's empty
fields from it and tombstones it, in one transaction.
"""

from __future__ import annotations

from peewee import ForeignKeyField

from ledgerdesk.core.errors import ValidationError
from ledgerdesk.core.idcard import VALID
from ledgerdesk.core.ids import link_id
from ledgerdesk.core.masking import mask_id_number
from ledgerdesk.services.permissions import REVIEWERS, require, require_villages
from ledgerdesk.services.registry_common import DuplicateGroup, changed_only, fetch, rows
from ledgerdesk.services.registry_persons import person_values
from ledgerdesk.services.sql import chunks, marks
from ledgerdesk.store.models import SYNCED_MODELS, Household, Person

# Tables whose row id is link_id(table, <other id>, person_id): the row is re-created under the new id.
_LINK_TABLES = {"activity_attendee": "activity_id"}
# A live row of the kept person with the same values here makes the dropped person's row redundant.
_SAME_ROLE = {
    "grid_worker": ("grid_id", "role"),
    "person_post": ("post", "unit_id"),
    "committee_member": ("committee_id",),
}
_FILLABLE = ("gender", "birth_date", "id_number", "phone", "relation", "ethnicity", "party_branch",
             "party_joined_on", "note")


def person_references() -> list[tuple[type, str]]:
    """(model, column) of every synced column that refers to a person (besides household.head_person_id)."""
    out = []
    for model in SYNCED_MODELS:
        for f in model._meta.sorted_fields:
            if isinstance(f, ForeignKeyField) and f.rel_model is Person:
                out.append((model, f.column_name))
    return out


def possible_duplicates(session, village_id=None) -> list[DuplicateGroup]:
    """Groups of live persons that may be one person, for a human to review.

    * the same non-empty 身份证号 (valid or not) anywhere in the ledger;
    * the same name and birth date within one village — unless every one of
      them has a distinct valid 身份证号 (then they are demonstrably different).

    With ``village_id``, only groups with at least one person of that village.
    """
    groups: list[DuplicateGroup] = []
    with session.reading():
        id_sets: list[frozenset[str]] = []
        # Candidates from the id_number index alone (tombstones included), then their live rows.
        numbers = [r[0] for r in rows(session, "SELECT id_number FROM person WHERE id_number != '' "
                                               "GROUP BY id_number HAVING count(*) > 1")]
        live: dict[str, list[str]] = {}
        for part in chunks(numbers):
            for number, pid in rows(session, f"SELECT id_number, id FROM person WHERE deleted = 0 AND id_number IN "
                                             f"({marks(len(part))})", part):
                live.setdefault(number, []).append(pid)
        for number in sorted(live):
            if len(live[number]) < 2:
                continue
            members = tuple(sorted(live[number]))
            id_sets.append(frozenset(members))
            groups.append(DuplicateGroup(f"身份证号相同（{mask_id_number(number)}）", members, "id_number"))
        where = "AND h.village_id = ?" if village_id else ""
        params = (village_id,) if village_id else ()
        named = rows(session, "SELECT p.name, p.birth_date, group_concat(p.id) FROM person p "
                              "JOIN household h ON h.id = p.household_id "
                              f"WHERE p.deleted = 0 AND p.birth_date IS NOT NULL {where} "
                              "GROUP BY h.village_id, p.name, p.birth_date HAVING count(*) > 1 "
                              "ORDER BY h.village_id, p.name, p.birth_date", params)
        for name, birth, ids in named:
            members = tuple(sorted(ids.split(",")))
            if any(frozenset(members) <= s for s in id_sets):
                continue
            ids_of = rows(session, f"SELECT id_number, id_status FROM person WHERE id IN "
                                   f"({marks(len(members))})", members)
            valid = [n for n, status in ids_of if status == VALID]
            if len(valid) == len(members) and len(set(valid)) == len(valid):
                continue
            groups.append(DuplicateGroup(f"同村同名且出生日期相同（{name}，{birth}）", members, "name_birth"))
        if village_id:
            in_village = {r[0] for r in rows(
                session, "SELECT p.id FROM person p JOIN household h ON h.id = p.household_id "
                         "WHERE h.village_id = ? AND p.deleted = 0 AND p.id_number != ''", (village_id,))}
            groups = [g for g in groups if g.kind != "id_number" or in_village.intersection(g.person_ids)]
    return groups


def merge_persons(session, keep_id, drop_id) -> int:
    """Merge ``drop_id`` into ``keep_id``; returns how many references were moved.

    Every reference to the dropped person moves to the kept one: 户主
    (household.head_person_id), 中心户 and 联户长 persons, grid workers,
    posts, committee members and activity attendees (link rows are
    re-created under their new link id, the old ones tombstoned; a role the
    kept person already holds is not duplicated). Empty fields of the kept
    record are filled from the dropped one (checked like any edit: a
    contradiction, e.g. a gender that does not fit the 身份证号, refuses the
    merge), then the dropped record is tombstoned. The kept person stays in
    their own household: if the dropped one was 户主 of another household,
    that household's 户主 becomes the kept person (``check`` will point out
    a head living elsewhere).
    """
    require(session, REVIEWERS, "合并重复人员")

    if keep_id == drop_id:
        raise ValidationError("不能把一条人员记录与它自己合并", field="drop_id")
    with session.writing() as w:
        keep = fetch(session, "person", keep_id)
        drop = fetch(session, "person", drop_id)
        require_villages(session, [r[0] for r in rows(
            session, "SELECT village_id FROM household WHERE id IN (?, ?)",
            (keep["household_id"], drop["household_id"]))], "合并重复人员")
        fill = {f: drop[f] for f in _FILLABLE if not keep[f] and drop[f]}
        if drop["is_party_member"] and not keep["is_party_member"]:
            fill["is_party_member"] = True
        try:
            values, _ = person_values(session, fill, keep)
        except ValidationError as exc:
            raise ValidationError(f"合并后信息矛盾：{exc.message}，请先修正其中一条记录", field=exc.field) from None
        w.update(Person, keep["id"], changed_only(keep, values))
        moved = 0
        for (hid,) in rows(session, "SELECT id FROM household WHERE head_person_id = ? AND deleted = 0",
                           (drop["id"],)):
            w.update(Household, hid, {"head_person_id": keep["id"]})
            moved += 1
        for model, column in person_references():
            moved += _repoint(session, w, model, column, drop["id"], keep["id"])
        w.delete(Person, drop["id"])
        return moved


def _repoint(session, w, model, column: str, old: str, new: str) -> int:
    table = model._meta.table_name
    cur = session.ledger.db.execute_sql(f'SELECT * FROM "{table}" WHERE "{column}" = ? AND deleted = 0', (old,))
    names = [d[0] for d in cur.description]
    found = [dict(zip(names, r)) for r in cur.fetchall()]
    for row in found:
        if table in _LINK_TABLES:
            other = _LINK_TABLES[table]
            new_id = link_id(table, row[other], new)
            values = {k: v for k, v in row.items() if k not in ("id", "vid", "deleted")}
            values[column] = new
            existing = session.ledger.db.execute_sql(f'SELECT deleted FROM "{table}" WHERE id = ?',
                                                     (new_id,)).fetchone()
            if existing is None:
                w.insert(model, values, id=new_id)
            elif existing[0]:
                w.update(model, new_id, {**values, "deleted": False})
            w.delete(model, row["id"])
            continue
        same = _SAME_ROLE.get(table)
        end_col = next((c for c in ("until", "left_on") if c in names), None)
        if same and (end_col is None or row[end_col] is None):
            # The kept person already holds this role (still open): the dropped copy goes.
            cond = " AND ".join(f'"{c}" IS ?' for c in same)
            open_ = f' AND "{end_col}" IS NULL' if end_col else ""
            dup = session.ledger.db.execute_sql(
                f'SELECT 1 FROM "{table}" WHERE "{column}" = ? AND deleted = 0 AND {cond}{open_}',
                (new, *(row[c] for c in same))).fetchone()
            if dup:
                w.delete(model, row["id"])
                continue
        w.update(model, row["id"], {column: new})
    return len(found)
