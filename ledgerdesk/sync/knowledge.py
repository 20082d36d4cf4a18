"""What each replica holds of every site's versions, and what its peers have acknowledged.

*Knowledge* is ``{site: n}``: the replica holds every version of ``site``
numbered 1…n (a file imported before an earlier one leaves a gap above n).
Every file carries its sender's knowledge; the receiver keeps it in
``sync_peer`` as that device's acknowledgement, which is what makes the next
export incremental. Sites are named after their devices in ``sync_site`` so a
gap can be reported as "the file from 牧区走访笔记本 with changes 41–57".
"""

from __future__ import annotations

import json
from typing import NamedTuple


class Gap(NamedTuple):
    """Versions ``first``…``last`` of ``site`` are missing here (an earlier file not imported yet)."""

    site: str
    device_name: str
    first: int
    last: int

    def describe(self) -> str:
        who = f"“{self.device_name}”" if self.device_name else f"设备 {self.site[:8]}"
        span = f"第 {self.first} 条" if self.first == self.last else f"第 {self.first}–{self.last} 条"
        return f"缺少{who}的{span}修改：有一个更早的同步文件还没有导入"


def ranges_of(db, site: str) -> list[tuple[int, int]]:
    """The runs of consecutive seqs held for ``site``."""
    return [tuple(r) for r in db.execute_sql(
        "SELECT min(seq), max(seq) FROM (SELECT seq, seq - row_number() OVER (ORDER BY seq) AS g "
        "FROM version WHERE site = ?) GROUP BY g ORDER BY 1", (site,))]


def knowledge(db) -> dict[str, int]:
    """``{site: n}`` for every site held: all of 1…n are present."""
    out = {}
    for site, lo, hi, count in db.execute_sql("SELECT site, min(seq), max(seq), count(*) FROM version GROUP BY site"):
        if lo == 1 and count == hi:
            out[site] = hi
        else:
            runs = ranges_of(db, site)
            out[site] = runs[0][1] if runs[0][0] == 1 else 0
    return out


def gaps(db, sites) -> list[Gap]:
    """Missing runs below the highest seq held, for ``sites``."""
    names = site_names(db)
    found = []
    for site in sorted(set(sites)):
        expected = 1
        for lo, hi in ranges_of(db, site):
            if lo > expected:
                found.append(Gap(site, names.get(site, ""), expected, lo - 1))
            expected = hi + 1
    return found


def runs(seqs_by_site: dict[str, list[int]]) -> dict[str, list[list[int]]]:
    """Sorted seq lists → ``{site: [[lo, hi], ...]}`` (what a file includes)."""
    out = {}
    for site, seqs in seqs_by_site.items():
        spans: list[list[int]] = []
        for s in sorted(seqs):
            if spans and s == spans[-1][1] + 1:
                spans[-1][1] = s
            else:
                spans.append([s, s])
        out[site] = spans
    return out


def site_names(db) -> dict[str, str]:
    return dict(db.execute_sql("SELECT site, device_name FROM sync_site"))


def sites_directory(db, own_site: str, own_device: tuple[str, str] | None) -> dict[str, list[str]]:
    """``{site: [device_id, device_name]}`` to send along, so receivers can name gaps."""
    out = {site: [dev, name] for site, dev, name in db.execute_sql("SELECT site, device_id, device_name FROM sync_site")}
    if own_device:
        out[own_site] = list(own_device)
    return out


def learn_sites(db, directory: dict) -> None:
    """Remember which device each site belongs to (from a file's directory)."""
    good = [(s, d[0], d[1]) for s, d in directory.items()
            if isinstance(s, str) and isinstance(d, list) and len(d) == 2 and all(isinstance(x, str) for x in d)]
    db.connection().executemany(
        "INSERT INTO sync_site (site, device_id, device_name) VALUES (?,?,?) ON CONFLICT (site) DO UPDATE SET "
        "device_id = excluded.device_id, device_name = excluded.device_name", good)


def acknowledge(db, device_id: str, name: str, known: dict, file_id: str, at: str) -> None:
    """Fold a peer's knowledge in (never lowering it: an old file may arrive after a newer one)."""
    row = db.execute_sql("SELECT knowledge FROM sync_peer WHERE device_id = ?", (device_id,)).fetchone()
    merged = json.loads(row[0]) if row else {}
    for site, n in known.items():
        if isinstance(site, str) and type(n) is int and n > merged.get(site, 0):
            merged[site] = n
    db.execute_sql(
        "INSERT INTO sync_peer (device_id, name, knowledge, last_file, last_seen) VALUES (?,?,?,?,?) "
        "ON CONFLICT (device_id) DO UPDATE SET name = excluded.name, knowledge = excluded.knowledge, "
        "last_file = excluded.last_file, last_seen = excluded.last_seen",
        (device_id, name, json.dumps(merged, sort_keys=True), file_id, at))


def peer_knowledge(db, revoked: frozenset[str] = frozenset()) -> dict[str, tuple[str, dict[str, int]]]:
    """``{device_id: (name, knowledge)}`` of every peer that has sent a file here and is not revoked."""
    return {d: (n, json.loads(k)) for d, n, k in db.execute_sql("SELECT device_id, name, knowledge FROM sync_peer")
            if d not in revoked}
