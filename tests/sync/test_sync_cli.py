"""Sync end to end through the command line (ledgerdesk.cli.main, --db on real files), as issue 7 runs it.

The township office enrols two laptops and the county (`device add`, pairing code
printed once), the devices join with NEW ledger files (`device join`), the office
sends its full file, two laptops edit the same person differently, and files go
laptop → office → county → office. Along the way: `sync import --dry-run --json`
previews exactly what the import then does, a file imported twice says so and
changes nothing, the conflict shows on the office and the county with both sides
until someone resolves it and the resolution travels, a revoked laptop's later
file is refused, and `digest` prints the same fingerprint on converged ledgers.
Data edits are made with the services on the opened ledgers (the CLI has no
command to edit a person).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from ledgerdesk import cli
from ledgerdesk.services import registry, workspace
from ledgerdesk.sync import conflicts

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sync_support as S

CODE = re.compile(r"配对码：(\d{4}-\d{4}-\d{4})")


class Township:
    """The ledger files of one township and a way to run ledgerdesk on each."""

    def __init__(self, root: Path, capsys):
        self.root = root
        self.capsys = capsys
        self.db = {"office": root / "office.sqlite3", "笔记本A": root / "a.sqlite3", "笔记本B": root / "b.sqlite3",
                   "县里": root / "county.sqlite3"}

    def run(self, who: str, *args, ok: bool = True) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = cli.main(["--db", str(self.db[who]), *map(str, args)])
        out, err = self.capsys.readouterr()
        if ok:
            assert code == 0, f"{who} {args}: {err}"
        return code, out, err

    def file(self, name: str) -> Path:
        return self.root / name

    def open(self, who: str, user: str | None = None):
        return workspace.open_ledger(self.db[who], user=user or who)

    def digest(self, who: str) -> str:
        out = self.run(who, "digest")[1].strip()
        assert re.fullmatch(r"[0-9a-f]{64}", out)
        return out

    def sync(self, sender: str, receiver: str, name: str, *extra) -> str:
        """sender exports (with ``extra`` options), receiver imports; returns the import's output line."""
        path = self.file(name)
        self.run(sender, "sync", "export", "--out", path, *extra)
        return self.run(receiver, "sync", "import", path)[1]


@pytest.fixture
def town(tmp_path, capsys):
    t = Township(tmp_path, capsys)
    t.run("office", "init", "--township", "乌兰镇")
    office = t.open("office", "办公室")
    v = registry.create_village(office, name="巴音嘎查")
    h = registry.create_household(office, village_id=v, hh_no="001", address="冬草场")
    registry.add_person(office, h, name="巴特尔", make_head=True)
    registry.add_person(office, h, name="其其格")
    office.close()
    for name, role in (("笔记本A", "laptop"), ("笔记本B", "laptop"), ("县里", "county")):
        _, out, _ = t.run("office", "device", "add", name, "--role", role, "--out", t.file(f"{name}.ldkey"))
        (code,) = CODE.findall(out)
        assert f"已登记设备“{name}”" in out
        assert not t.db[name].exists()
        _, out, _ = t.run(name, "device", "join", t.file(f"{name}.ldkey"), "--code", code)
        assert "已加入“乌兰镇”的同步组" in out and t.db[name].exists()
    t.run("office", "sync", "export", "--out", t.file("office-full.ldsync"), "--full")
    for name in ("笔记本A", "笔记本B", "县里"):
        _, out, _ = t.run(name, "sync", "import", t.file("office-full.ldsync"))
        assert out.startswith("已导入来自“乡镇办公室”的文件：新增")
    return t


def person_named(session, name: str) -> str:
    with session.reading():
        return session.ledger.db.execute_sql("SELECT id FROM person WHERE name = ? AND deleted = 0",
                                             (name,)).fetchone()[0]


def conflicts_of(t: Township, who: str):
    s = t.open(who)
    try:
        return conflicts.open_conflicts(s)
    finally:
        s.close()


def test_enrolled_devices_hold_the_office_data(town):
    _, out, _ = town.run("office", "device", "list", "--json")
    listed = json.loads(out)
    assert {d["name"]: d["role"] for d in listed["devices"]} == {
        "乡镇办公室": "office", "笔记本A": "laptop", "笔记本B": "laptop", "县里": "county"}
    digests = {who: town.digest(who) for who in town.db}
    assert len(set(digests.values())) == 1
    for who in town.db:
        s = town.open(who)
        S.check_ledger(s)
        s.close()


def test_a_wrong_pairing_code_is_refused_in_one_line(town):
    town.run("office", "device", "add", "笔记本C", "--out", town.file("c.ldkey"))
    town.db["笔记本C"] = town.file("c.sqlite3")
    code, out, err = town.run("笔记本C", "device", "join", town.file("c.ldkey"), "--code", "0000-0000-0000", ok=False)
    assert code != 0 and len(err.strip().splitlines()) == 1 and err.startswith("错误：")
    assert "Traceback" not in out + err and not town.db["笔记本C"].exists()


def test_conflicting_laptop_edits_travel_laptop_office_county_office(town):
    # two laptops edit the same person while out in the pastures
    for who, name in (("笔记本A", "巴特尔大"), ("笔记本B", "巴图")):
        s = town.open(who)
        registry.update_person(s, person_named(s, "巴特尔"), name=name)
        s.close()
    town.run("笔记本A", "sync", "export", "--out", town.file("a1.ldsync"))
    town.run("笔记本B", "sync", "export", "--out", town.file("b1.ldsync"))

    # the office previews A's file: the counts, and nothing changes
    before = town.digest("office")
    _, out, _ = town.run("office", "sync", "import", town.file("a1.ldsync"), "--dry-run", "--json")
    preview = json.loads(out)
    assert preview["applied"] is False and preview["already_imported"] is False
    assert (preview["new_versions"], preview["updated"], preview["created"], preview["conflicts"]) == (1, 1, 0, 0)
    assert preview["sender_name"] == "笔记本A" and preview["message"].startswith("预览")
    assert town.digest("office") == before
    _, out, _ = town.run("office", "sync", "import", town.file("a1.ldsync"), "--json")
    real = json.loads(out)
    counts = ("versions", "new_versions", "created", "updated", "conflicts", "held", "quarantined", "gaps")
    assert real["applied"] is True and [real[k] for k in counts] == [preview[k] for k in counts]
    assert real["backup"] and Path(real["backup"]).exists()  # the automatic backup before an import
    after_a = town.digest("office")
    assert after_a != before

    # the same file again: says so, changes nothing
    _, out, _ = town.run("office", "sync", "import", town.file("a1.ldsync"))
    assert "已经导入过" in out and town.digest("office") == after_a

    # B's file: the conflict, with both sides, on the office
    _, out, _ = town.run("office", "sync", "import", town.file("b1.ldsync"))
    assert "冲突待核实 1 处" in out
    (c,) = conflicts_of(town, "office")
    assert (c.table, c.field, c.kind) == ("person", "name", "value")
    assert {(side.value, side.device) for side in c.sides} == {("巴特尔大", "笔记本A"), ("巴图", "笔记本B")}
    assert {side.author for side in c.sides} == {"笔记本A", "笔记本B"}

    # office → county (never sent a file: --to gives it everything it lacks)
    out = town.sync("office", "县里", "o-county.ldsync", "--to", "县里")
    assert "冲突待核实 1 处" in out
    (cc,) = conflicts_of(town, "县里")
    assert (cc.entity_id, cc.field) == (c.entity_id, c.field)
    assert {(side.value, side.device) for side in cc.sides} == {(side.value, side.device) for side in c.sides}
    assert town.digest("县里") == town.digest("office")

    # county → office: an edit made at the county comes back
    s = town.open("县里")
    registry.update_household(s, s.ledger.db.execute_sql("SELECT id FROM household").fetchone()[0], note="县里核实")
    s.close()
    out = town.sync("县里", "office", "county-office.ldsync")
    assert "更新 1 条" in out
    assert town.digest("县里") == town.digest("office")

    # resolved at the office: the resolution travels and closes the conflict everywhere
    s = town.open("office", "办公室")
    conflicts.resolve(s, c.entity_id, "name", "巴图")
    s.close()
    assert conflicts_of(town, "office") == []
    assert len(conflicts_of(town, "县里")) == 1
    town.run("office", "sync", "export", "--out", town.file("o-resolved.ldsync"), "--full")
    for who in ("县里", "笔记本A", "笔记本B"):
        town.run(who, "sync", "import", town.file("o-resolved.ldsync"))
        assert conflicts_of(town, who) == []
    digests = {who: town.digest(who) for who in town.db}
    assert len(set(digests.values())) == 1, digests
    s = town.open("笔记本A")
    assert s.ledger.db.execute_sql("SELECT name FROM person WHERE id = ?", (c.entity_id,)).fetchone()[0] == "巴图"
    S.check_ledger(s)
    s.close()


def test_a_revoked_laptops_later_file_is_refused(town):
    town.run("office", "device", "revoke", "笔记本B")
    town.sync("office", "笔记本A", "o-a.ldsync", "--to", "笔记本A")  # the revocation reaches A
    s = town.open("笔记本B")
    registry.update_person(s, person_named(s, "其其格"), phone="13800000001")
    s.close()
    town.run("笔记本B", "sync", "export", "--out", town.file("b-late.ldsync"))
    for who in ("office", "笔记本A"):
        before = town.digest(who)
        code, out, err = town.run(who, "sync", "import", town.file("b-late.ldsync"), ok=False)
        assert code != 0 and out == ""
        assert len(err.strip().splitlines()) == 1 and err.strip().endswith("(sync-device-revoked)")
        assert town.digest(who) == before
    # the county refuses it too once the office's next file has brought the revocation
    town.sync("office", "县里", "o-county.ldsync", "--to", "县里")
    code, _, err = town.run("县里", "sync", "import", town.file("b-late.ldsync"), ok=False)
    assert code != 0 and "(sync-device-revoked)" in err


def test_a_damaged_file_is_refused_in_one_line(town):
    path = town.file("a1.ldsync")
    town.run("笔记本A", "sync", "export", "--out", path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x55
    bad = town.file("damaged.ldsync")
    bad.write_bytes(bytes(data))
    before = town.digest("office")
    code, _out, err = town.run("office", "sync", "import", bad, ok=False)
    assert code != 0 and len(err.strip().splitlines()) == 1 and err.startswith("错误：")
    assert re.search(r"\(sync-file-(damaged|forged)\)$", err.strip())
    assert town.digest("office") == before
