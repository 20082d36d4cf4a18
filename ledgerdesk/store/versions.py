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
from dataclasses import dataclass

@dataclass(frozen=True)
class VersionRow:
    """One version as read from the log."""

    key: str  # "site:seq"
    hlc: int
    site: str
    op: str
    fields: dict
    parents: tuple[str, ...]

    @classmethod
    def from_db(cls, site: str, seq: int, hlc: int, op: str, fields: str, parents: str) -> "VersionRow":
        return cls(f"{site}:{seq}", hlc, site, op, json.loads(fields), tuple(json.loads(parents)))


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


def winners(versions: list[VersionRow]) -> dict[str, object]:
    """The visible value of every field set by ``versions``."""
    return {f: max(cands, key=lambda v: (v.hlc, v.site)).fields[f]
            for f, cands in field_candidates(versions).items()}


def frontier(versions: list[VersionRow], fields) -> list[str]:
    """Keys of the candidate versions for ``fields``: what a new edit of them replaces."""
    heads = field_candidates(versions)
    keys: list[str] = []
    for f in fields:
        for v in heads.get(f, ()):
            if v.key not in keys:
                keys.append(v.key)
    return keys
