"""Reading the version log: which versions head each field, and which value wins.

The rule (sync.md): for each field of an entity, the *candidates* are the
versions that set it and are not replaced by another present version; the
winner is the candidate with the highest (hlc, site). A version replaces its
parents for the fields it sets. A ``del`` (tombstone) sets only ``deleted``,
so the row keeps its last values (for undelete and for showing a
delete-versus-edit conflict), but its parents are the whole frontier of the
row: a field head that is *not* among a tombstone's parents was written
concurrently with the delete, which sync reports as a conflict. Local writes,
replay checks and sync merges all use this one definition.
"""

from __future__ import annotations

import json
from typing import NamedTuple


class VersionRow(NamedTuple):
    """One version as read from the log (a named tuple: merges build hundreds of thousands)."""

    key: str  # "site:seq"
    hlc: int
    site: str
    op: str
    fields: dict
    parents: tuple[str, ...]

    @classmethod
    def from_db(cls, site: str, seq: int, hlc: int, op: str, fields: str, parents: str) -> "VersionRow":
        return cls(f"{site}:{seq}", hlc, site, op, json.loads(fields), tuple(json.loads(parents)))


def rows_from_db(rows: list[tuple]) -> list[VersionRow]:
    """``from_db`` for many ``(site, seq, hlc, op, fields, parents)`` rows, parsing all their JSON in two calls."""
    if not rows:
        return []
    fields = json.loads("[" + ",".join(r[4] for r in rows) + "]")
    parents = json.loads("[" + ",".join(r[5] for r in rows) + "]")
    return [VersionRow(f"{r[0]}:{r[1]}", r[2], r[0], r[3], f, tuple(p)) for r, f, p in zip(rows, fields, parents)]


def version_key(site: str, seq: int) -> str:
    return f"{site}:{seq}"


def field_candidates(versions: list[VersionRow]) -> dict[str, list[VersionRow]]:
    """For each field, the versions that set it and that no present version replaced."""
    replaced: set[tuple[str, str]] = set()
    for v in versions:
        for parent in v.parents:
            for f in v.fields:
                replaced.add((parent, f))
    heads: dict[str, list[VersionRow]] = {}
    for v in versions:
        for f in v.fields:
            if (v.key, f) not in replaced:
                heads.setdefault(f, []).append(v)
    return heads


def _rank(v: VersionRow) -> tuple[int, str]:
    return v.hlc, v.site


def _shown(heads: dict[str, list[VersionRow]]) -> dict[str, object]:
    return {f: (c[0] if len(c) == 1 else max(c, key=_rank)).fields[f] for f, c in heads.items()}


def winners(versions: list[VersionRow]) -> dict[str, object]:
    """The visible value of every field set by ``versions``."""
    return _shown(field_candidates(versions))


def settle(versions: list[VersionRow]) -> tuple[dict[str, object], list[tuple[str, str]]]:
    """``(winners, conflicts_of)`` of one entity's versions, from one pass over the candidates."""
    if len(versions) == 2:
        first, second = versions
        if is_creation(first) and second.parents == (first.key,):
            # The commonest history by far: a row and one edit that saw it. The edit replaces the
            # creation for the fields it sets, so nothing competes (the general rule gives the same).
            return {**first.fields, **second.fields}, []
    heads = field_candidates(versions)
    return _shown(heads), _conflicts(heads)


def is_creation(v: VersionRow) -> bool:
    """A version that created its row: a 'put' replacing nothing (every insert writes the whole row).

    A row exists only once one of its creations is present; versions of a row
    whose creation has not arrived yet (a file imported before an earlier one)
    are kept in the log but not shown ("held").
    """
    return v.op == "put" and not v.parents


def conflicts_of(versions: list[VersionRow]) -> list[tuple[str, str]]:
    """Open conflicts of one entity as ``(field, kind)``, derived from its versions alone.

    * ``(field, "value")``: the field has more than one candidate and they do
      not all hold the same value (the winner shows, the others wait for a person).
    * ``("*", "delete")``: the row is deleted, but some field's candidate was
      written concurrently with every tombstone (it is among none of their
      parents): delete versus edit, never a silent loss.
    Same versions, same answer, on every replica.
    """
    return _conflicts(field_candidates(versions))


def _conflicts(heads: dict[str, list[VersionRow]]) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for f, cands in heads.items():
        if len(cands) > 1 and len({json.dumps(v.fields[f], sort_keys=True) for v in cands}) > 1:
            found.append((f, "value"))
    tombs = heads.get("deleted", ())
    if tombs and max(tombs, key=_rank).fields["deleted"] == 1:
        seen = {p for v in tombs if v.op == "del" for p in v.parents} | {v.key for v in tombs}
        if any(v.key not in seen for f, cands in heads.items() if f != "deleted" for v in cands):
            found.append(("*", "delete"))
    found.sort()
    return found


def frontier(versions: list[VersionRow], fields) -> list[str]:
    """Keys of the candidate versions for ``fields``: what a new edit of them replaces."""
    heads = field_candidates(versions)
    keys: list[str] = []
    for f in fields:
        for v in heads.get(f, ()):
            if v.key not in keys:
                keys.append(v.key)
    return keys
