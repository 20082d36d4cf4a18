"""One search box for persons and households: name, 身份证号 or phone fragment, 户号, address.

:func:`search` turns any text into a valid query (ledgerdesk.store.search_index
explains the indexed paths) and returns plain :class:`SearchHit` rows, best
first: exact matches (a whole name, 身份证号, phone or 户号), then those that
start with the text, then those that contain it. 身份证号 and phone numbers are
masked unless the caller asks for them and the session may see them
(:func:`ledgerdesk.services.permissions.may_reveal`).
"""

from __future__ import annotations

from typing import NamedTuple

from ledgerdesk.core.masking import mask_id_number, mask_phone
from ledgerdesk.services.permissions import may_reveal, village_limit
from ledgerdesk.store import search_index

MAX_LIMIT = 500


class SearchHit(NamedTuple):
    """One found person or household, ready to show in a list.

    A named tuple rather than a frozen dataclass: a search builds up to
    hundreds of hits per keystroke, and a tuple is several times cheaper to
    make (this kept the service within 1.5× of the raw FTS query).
    """

    kind: str  # "person" | "household"
    id: str
    household_id: str  # the person's household; a household's own id
    title: str  # the person's name; "户号 … 户主 …" for a household
    detail: str  # 身份证号 / phone / 户号 or address / phone, masked unless revealed
    village: str
    match: str = "infix"  # "exact" | "prefix" | "infix": how the text matched


def search(session, text, *, limit: int = 50, reveal: bool = False) -> list[SearchHit]:
    """Persons and households matching ``text``, best first, at most ``limit`` (1–500).

    Never raises for any text: text that cannot match anything gives [].
    """
    query = search_index.parse_query(text)
    limit = max(1, min(int(limit), MAX_LIMIT))
    if query is None:
        return []
    show = reveal and may_reveal(session)
    db = session.ledger.db
    allowed = village_limit(session)
    with session.reading():
        found = search_index.find(db, query, limit if allowed is None else MAX_LIMIT)
        persons = search_index.person_rows(db, [ref for kind, ref, _ in found if kind == "p"])
        households = search_index.household_rows(db, [ref for kind, ref, _ in found if kind == "h"])
        if allowed is not None:  # an account limited to some villages finds only their people
            found = _within(db, found, persons, allowed)[:limit]
    hits = []
    for kind, ref, tier in found:
        if kind == "p":
            row = persons.get(ref)
            if row is not None:
                hits.append(_person_hit(row, tier, show))
        else:
            row = households.get(ref)
            if row is not None:
                hits.append(_household_hit(row, tier, show))
    return hits


def _within(db, found, persons, allowed) -> list:
    homes = {ref: persons[ref][1] if kind == "p" and ref in persons else ref for kind, ref, _ in found}
    ids = sorted(set(homes.values()))
    village = {}
    for i in range(0, len(ids), 500):
        part = ids[i:i + 500]
        village.update(db.execute_sql(f"SELECT id, village_id FROM household WHERE id IN ({', '.join('?' * len(part))})",
                                      part).fetchall())
    return [hit for hit in found if village.get(homes[hit[1]]) in allowed]


# The two builders below run once per hit (up to hundreds per keystroke), so they
# append to a list instead of filtering a generator: a third of the service's
# own time went to the generator-based join.
_SEP = " · "


def _person_hit(row: tuple, tier: str, show: bool) -> SearchHit:
    pid, household_id, name, id_number, phone, status, hh_no, village = row
    parts = []
    if id_number:
        parts.append("身份证 " + (id_number if show else mask_id_number(id_number)))
    if phone:
        parts.append("电话 " + (phone if show else mask_phone(phone)))
    if hh_no:
        parts.append("户号 " + hh_no)
    if status and status != "在册":
        parts.append(status)
    return SearchHit("person", pid, household_id, name, _SEP.join(parts), village or "", tier)


def _household_hit(row: tuple, tier: str, show: bool) -> SearchHit:
    hid, hh_no, address, phone, status, head, village = row
    title = ("户号 " + hh_no if hh_no else "户") + (_SEP + "户主 " + head if head else "")
    parts = [address] if address else []
    if phone:
        parts.append("电话 " + (phone if show else mask_phone(phone)))
    if status and status != "在册":
        parts.append(status)
    return SearchHit("household", hid, hid, title, _SEP.join(parts), village or "", tier)
