"""The township and the laptop the sync benchmarks measure (workloads_sync.py). Deterministic (seeded).

* The OFFICE ledger: 15 villages, 12,000 households, 40,000 persons (the
  township profile's registry, written with VersionedWriter.insert_many), and
  300 problems registered and dispatched through services.ledger. It enrols
  the laptop "牧区走访笔记本" (devices.add_device) and sends it a full file.
* The LAPTOP: a new ledger that joins (devices.join) and imports that full
  file, so both sides share every row. A copy of it is kept right then
  (``laptop_fresh``) for the one-week file.
* Meanwhile the office edits 500 persons/households of the laptop's villages
  (office_edits): some of the laptop's edits then meet concurrent ones.
* Then the laptop's field work in five of the fifteen villages (a registry
  review campaign: about 165 working days, each: 2 visits, 40 household
  edits, 120 person edits, 4 new households with 1–5 members, up to 6
  problem events, 1 new problem — ``_field_day``), one write transaction per
  working day, until the laptop's own
  versions set ≥ ``target_changes`` fields: edits of existing persons (phone,
  note, status, relation, ethnicity: 1–3 fields each) and households (level,
  note, phone, address), new households with their members, visits
  (services.visits.record_visit) and problem events on the office's problems
  (services.ledger: notes, resolutions, ratings) and new problems.
* The laptop's INCREMENTAL export of that work (what the office has not
  acknowledged: exactly the laptop's own versions) is the file measured.

A FIELD CHANGE is one column set by one version: the sum over the versions in
the file of the number of keys of their ``fields`` (a creation counts every
column it writes, an edit the columns it changed, a tombstone 1).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import shutil
import sqlite3
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤巴乌其"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华玉萍红娥玲芬燕鹏辉建国志海林文斌宇浩俊凯婷雪梅晨阳欣怡子涵梓萱然轩巴图其木格那仁花赛罕"
VILLAGES = "红旗 胜利 团结 幸福 光明 东风 新华 和平 前进 永安 太平 富民 兴隆 长青 双河".split()
ETHNIC = ("汉族",) * 6 + ("蒙古族",) * 3 + ("回族", "满族")
NOTES = ("已入户核实家庭情况", "家中老人身体不好，需要定期走访", "外出务工，电话联系", "低保年审材料已收齐", "牧场草场纠纷已调解",
         "申请危房改造，待村委会研究", "孩子在镇上读初中", "医保已缴费", "联系电话变更", "冬季转场到冬营盘", "养殖合作社社员",
         "需要协调饮水工程", "家庭收入稳定", "残疾证已办理", "独居，邻居照看")
FINDINGS = ("房屋墙体有裂缝", "冬季取暖煤不足", "饮水井水量减少", "网围栏损坏", "老人行动不便需要照护", "学生上学路远",
            "牲畜防疫未完成", "用电线路老化", "草场退化", "家庭矛盾需要调解")
PROBLEM_TITLES = ("饮水工程入户管道漏水", "网围栏被大风刮倒", "冬季取暖煤发放不到位", "牧道被占用", "低保认定有异议",
                  "危房改造进度慢", "路灯不亮", "垃圾清运不及时", "邻里宅基地纠纷", "医疗报销材料退回")

START = dt.datetime(2026, 9, 1, 8, 0)   # the office builds the ledger
FIELD_START = dt.date(2026, 9, 14)      # the laptop's field work begins (a Monday)
LAPTOP = "牧区走访笔记本"


@dataclass
class Scenario:
    root: Path
    office: Path                      # the office ledger file before the laptop's file (closed)
    laptop_path: Path
    laptop_fresh: Path                # the laptop right after its first (full) import (closed copy)
    bundle: Path                      # the laptop's incremental file: the measured content
    changes: int                      # field changes in ``bundle``
    versions: int
    by_table: dict = field(default_factory=dict)   # table -> [versions, field changes, creations]
    setup: dict = field(default_factory=dict)      # timings and sizes of the build
    keys_dir: Path | None = None
    end: dt.datetime = START                       # the laptop's clock when it exported


class SteppingClock:
    """A FixedClock moved by hand: field work happens on given days (deterministic HLCs and dates)."""

    def __init__(self, at: dt.datetime):
        from ledgerdesk.core.clock import FixedClock

        self.clock = FixedClock(at)

    def set(self, at: dt.datetime) -> None:
        self.clock.set(at)


def _name(rnd: random.Random) -> str:
    return rnd.choice(SURNAMES) + "".join(rnd.choice(GIVEN) for _ in range(rnd.choice((1, 2, 2, 2))))


def _phone(rnd: random.Random) -> str:
    return f"1{rnd.choice('35789')}{rnd.randrange(10 ** 9):09d}"


def _ids(seed: str):
    from ledgerdesk.core.ids import uuid7_fast_factory

    return uuid7_fast_factory(int(START.timestamp() * 1000), seed.encode()).__next__


def build_office(path: Path, clock, rnd: random.Random, *, households: int = 12_000, persons: int = 40_000,
                 problems: int = 300):
    """The office ledger: registry via insert_many, problems via services.ledger. Returns (session, facts)."""
    from ledgerdesk.core.idcard import make_id_number
    from ledgerdesk.services import ledger as L
    from ledgerdesk.services import workspace
    from ledgerdesk.store.models import Household, Person, Village

    session = workspace.create_ledger(path, township="示范镇", clock=clock, user="乡镇管理员")
    new_id = _ids("ledgerdesk-bench-sync")
    tid = session.ledger.get_meta("township_id")
    villages = [new_id() for _ in VILLAGES]
    hh_rows, p_rows = [], []
    per_hh = [1] * households
    for _ in range(persons - households):
        per_hh[rnd.randrange(households)] += 1
    seq = 0
    hh_of_village: dict[str, list[str]] = {v: [] for v in villages}
    persons_of_hh: dict[str, list[str]] = {}
    for i in range(households):
        v = i % len(villages)
        hid = new_id()
        head = None
        members = []
        for k in range(per_hh[i]):
            pid = new_id()
            male = rnd.random() < 0.5 if k else True
            birth = dt.date(2026, 1, 1) - dt.timedelta(days=rnd.randint(1, 85) * 365 + rnd.randint(0, 364))
            seq += 1
            p_rows.append((pid, hid, _name(rnd), "男" if male else "女", birth.isoformat(),
                           make_id_number(f"1525{v:02d}", birth, seq, male), "valid",
                           _phone(rnd) if rnd.random() < 0.6 else "", "户主" if k == 0 else rnd.choice(
                               ("配偶", "子", "女", "孙子", "孙女", "父亲", "母亲")), rnd.choice(ETHNIC),
                           "在册" if rnd.random() < 0.92 else "外出", 1 if rnd.random() < 0.06 else 0))
            head = head or pid
            members.append(pid)
        hh_rows.append((hid, villages[v], f"{v + 1:02d}{i // len(villages) + 1:05d}", head,
                        f"{VILLAGES[v]}嘎查{rnd.randint(1, 8)}组{rnd.randint(1, 300)}号", _phone(rnd) if rnd.random() < 0.5 else "",
                        rnd.choice("绿绿绿绿绿绿黄黄红"), "在册", ""))
        hh_of_village[villages[v]].append(hid)
        persons_of_hh[hid] = members
    with session.writing() as w:
        w.insert_many(Village, ["id", "township_id", "name", "kind", "code", "sort_order"],
                      [(vid, tid, f"{VILLAGES[i]}嘎查", "嘎查", f"1525{i:02d}", i + 1) for i, vid in enumerate(villages)])
        w.insert_many(Household, ["id", "village_id", "hh_no", "head_person_id", "address", "phone", "level", "status",
                                  "note"], hh_rows)
        w.insert_many(Person, ["id", "household_id", "name", "gender", "birth_date", "id_number", "id_status", "phone",
                               "relation", "ethnicity", "status", "is_party_member"], p_rows)
    problem_ids = []
    with session.writing():
        for i in range(problems):
            v = villages[i % len(villages)]
            hh = rnd.choice(hh_of_village[v])
            ref = L.register_problem(session, title=rnd.choice(PROBLEM_TITLES), source=rnd.choice(("群众反映", "网格员巡查", "走访发现")),
                                     description=rnd.choice(FINDINGS), village_id=v, household_ids=[hh],
                                     registered_at=START - dt.timedelta(days=rnd.randint(1, 60)))
            L.dispatch(session, ref.id, responsible_person="包村干部" + _name(rnd), responsible_unit=f"{VILLAGES[i % 15]}嘎查村委会",
                       days=15)
            problem_ids.append(ref.id)
    return session, {"villages": villages, "households": hh_of_village, "persons": persons_of_hh,
                     "problems": problem_ids}


def office_edits(office, clock: SteppingClock, rnd: random.Random, facts: dict, n: int = 500) -> None:
    """Meanwhile at the office: ``n`` edits of persons and households the laptop also works on (some of the
    laptop's edits of the same fields then arrive as conflicts)."""
    from ledgerdesk.store.models import Household, Person

    clock.set(dt.datetime.combine(FIELD_START + dt.timedelta(days=3), dt.time(15, 0)))
    with office.writing() as w:
        for i in range(n):
            v = rnd.choice(facts["villages"][:5])
            hid = rnd.choice(facts["households"][v])
            if i % 3 == 0:
                w.update(Household, hid, {"level": rnd.choice("绿黄红"), "note": "乡镇复核：" + rnd.choice(NOTES)})
            else:
                w.update(Person, rnd.choice(facts["persons"][hid]), {"phone": _phone(rnd), "note": "乡镇复核"})


def _field_day(laptop, rnd: random.Random, facts: dict, day: dt.date, state: dict, *, scale: float = 1.0) -> None:
    """One working day on the laptop, in one write transaction."""
    from ledgerdesk.services import ledger as L
    from ledgerdesk.services import visits
    from ledgerdesk.store.models import Household, Person

    covered = state["covered"]
    with laptop.writing() as w:
        for _ in range(round(2 * scale) or 1):                        # visits with their households
            v = rnd.choice(covered)
            hhs = rnd.sample(facts["households"][v], rnd.randint(1, 3))
            visits.record_visit(laptop, village_id=v, visited_on=day, visitors="走访组" + _name(rnd),
                                household_ids=hhs, findings=rnd.choice(FINDINGS), needs=rnd.choice(NOTES),
                                next_due=day + dt.timedelta(days=30))
        for _ in range(round(40 * scale)):                            # household edits
            v = rnd.choice(covered)
            hid = rnd.choice(facts["households"][v])
            choice = rnd.sample(("level", "note", "phone", "address"), rnd.choice((1, 1, 2, 2, 3)))
            values = {"level": rnd.choice("绿黄红"), "note": rnd.choice(NOTES) + f"（{day:%m-%d}）",
                      "phone": _phone(rnd), "address": f"{rnd.choice(VILLAGES)}嘎查{rnd.randint(1, 8)}组{rnd.randint(1, 300)}号"}
            w.update(Household, hid, {k: values[k] for k in choice})
        for _ in range(round(120 * scale)):                           # person edits
            v = rnd.choice(covered)
            hid = rnd.choice(facts["households"][v])
            pid = rnd.choice(facts["persons"][hid])
            choice = rnd.sample(("phone", "note", "status", "relation", "ethnicity"), rnd.choice((1, 1, 2, 2, 3)))
            values = {"phone": _phone(rnd), "note": rnd.choice(NOTES), "status": rnd.choice(("在册", "外出")),
                      "relation": rnd.choice(("配偶", "子", "女", "孙子", "孙女", "父亲", "母亲", "其他")),
                      "ethnicity": rnd.choice(ETHNIC)}
            w.update(Person, pid, {k: values[k] for k in choice})
        for _ in range(round(4 * scale)):                             # new households with their members
            v = rnd.choice(covered)
            state["new_hh"] += 1
            hid = w.insert(Household, {"village_id": v, "hh_no": f"N{state['new_hh']:05d}",
                                       "address": f"新建{rnd.randint(1, 300)}号", "phone": _phone(rnd), "level": "绿"})
            members = []
            for k in range(rnd.randint(1, 5)):
                members.append(w.insert(Person, {
                    "household_id": hid, "name": _name(rnd), "gender": rnd.choice("男女"),
                    "birth_date": dt.date(1950 + rnd.randrange(70), 1 + rnd.randrange(12), 1 + rnd.randrange(28)),
                    "phone": _phone(rnd) if rnd.random() < 0.6 else "", "relation": "户主" if k == 0 else "子",
                    "ethnicity": rnd.choice(ETHNIC), "note": "新迁入"}))
            w.update(Household, hid, {"head_person_id": members[0]})
            facts["households"][v].append(hid)
            facts["persons"][hid] = members
        problems = state["problems"]
        for _ in range(round(6 * scale)):                             # events on problems both sides share
            pid = rnd.choice(problems)
            legal = L.legal_actions(laptop, pid)
            if "办结" in legal and rnd.random() < 0.4:
                L.resolve(laptop, pid, "已协调解决：" + rnd.choice(NOTES))
            elif "评价" in legal:
                L.rate(laptop, pid, rating=rnd.choice(("满意", "满意", "基本满意")), rated_by=_name(rnd), method="上门")
            elif "办理" in legal:
                L.add_note(laptop, pid, rnd.choice(NOTES))
        for _ in range(round(1 * scale)):                             # a new problem found on a visit
            v = rnd.choice(covered)
            ref = L.register_problem(laptop, title=rnd.choice(PROBLEM_TITLES), source="走访发现",
                                     description=rnd.choice(FINDINGS), village_id=v,
                                     household_ids=[rnd.choice(facts["households"][v])])
            problems.append(ref.id)


def field_work(laptop, clock: SteppingClock, rnd: random.Random, facts: dict, *, start: dt.date,
               target_changes: int | None = None, days: int | None = None, scale: float = 1.0) -> int:
    """Working days (Mon–Fri) from ``start`` until the laptop's versions set ``target_changes`` fields or
    ``days`` days have been worked. Returns the working days done."""
    site = laptop.ledger.site_id
    state = {"covered": facts["villages"][:5], "new_hh": 0, "problems": list(facts["problems"]), "steps": {}}
    day, worked = start, 0
    while True:
        if day.weekday() < 5:
            clock.set(dt.datetime.combine(day, dt.time(9, 0)))
            _field_day(laptop, rnd, facts, day, state, scale=scale)
            worked += 1
            if days is not None and worked >= days:
                break
            if target_changes is not None and worked % 5 == 0 and own_changes(laptop, site)[0] >= target_changes:
                break
        day += dt.timedelta(days=1)
    return worked


def own_changes(session, site: str) -> tuple[int, int, dict]:
    """(field changes, versions, by table) of the versions of ``site`` (what an incremental export carries)."""
    by_table: dict[str, list[int]] = {}
    total = n = 0
    for tbl, fields, parents in session.ledger.db.execute_sql(
            "SELECT tbl, fields, parents FROM version WHERE site = ?", (site,)):
        k = len(json.loads(fields))
        entry = by_table.setdefault(tbl, [0, 0, 0])
        entry[0] += 1
        entry[1] += k
        entry[2] += parents == "[]"
        total += k
        n += 1
    return total, n, by_table


def payload_changes(path: Path, trust) -> tuple[int, int]:
    """(field changes, versions) counted in the file itself."""
    from ledgerdesk.sync import bundle

    rows = json.loads(bundle.read_bundle(path, trust=trust).payload)
    return sum(len(fields_of(r)) for r in rows), len(rows)


def fields_of(row: list) -> dict:
    """The ``fields`` of a payload row (a JSON object, or its JSON text as the log stores it)."""
    f = row[7]
    return json.loads(f) if isinstance(f, str) else f


def use_private_keys(root: Path) -> Path:
    """Device keys of the benchmark go to a throw-away key store (never the user's own)."""
    keys = root / "keys"
    keys.mkdir(exist_ok=True, mode=0o700)
    os.environ["LEDGERDESK_KEYS"] = str(keys)
    return keys


def build(root: Path | None = None, *, target_changes: int = 100_000, seed: int = 7,
          log=lambda msg: None) -> Scenario:
    """Build everything in ``root`` (a new temporary folder by default)."""
    from ledgerdesk.services.session import Session
    from ledgerdesk.store.database import Ledger
    from ledgerdesk.sync import devices, exchange

    root = Path(root or tempfile.mkdtemp(prefix="ledgerdesk-bench-sync-"))
    keys = use_private_keys(root)
    rnd = random.Random(seed)
    clock = SteppingClock(START)
    setup = {}
    t0 = time.perf_counter()
    office, facts = build_office(root / "office.sqlite3", clock.clock, rnd)
    setup["office_build_s"] = round(time.perf_counter() - t0, 1)
    log(f"office built in {setup['office_build_s']} s")
    enrol = devices.add_device(office, LAPTOP, out=root / "laptop.ldkey")
    t0 = time.perf_counter()
    full = exchange.export_bundle(office, root / "office-full.ldsync", full=True)
    setup["office_full_export_s"] = round(time.perf_counter() - t0, 2)
    setup["office_full_versions"] = full.versions
    setup["office_full_bytes"] = full.size
    laptop = Session(Ledger.create(root / "laptop.sqlite3", clock=clock.clock), "走访干部")
    devices.join(laptop, enrol.path, enrol.code)
    t0 = time.perf_counter()
    exchange.import_bundle(laptop, full.path, backup=False)
    setup["laptop_full_import_s"] = round(time.perf_counter() - t0, 2)
    changes, _ = payload_changes(full.path, devices.trust_anchor(laptop))
    setup["office_full_changes"] = changes
    setup["laptop_full_import_changes_per_s"] = round(changes / setup["laptop_full_import_s"])
    log(f"laptop joined; full file {full.versions} versions / {changes} changes imported in "
        f"{setup['laptop_full_import_s']} s")
    office_edits(office, clock, rnd, facts)
    office.close()
    laptop.close()
    shutil.copyfile(root / "laptop.sqlite3", root / "laptop-fresh.sqlite3")
    laptop = Session(Ledger.open(root / "laptop.sqlite3", clock=clock.clock), "走访干部")
    t0 = time.perf_counter()
    days = field_work(laptop, clock, rnd, facts, start=FIELD_START, target_changes=target_changes)
    setup["field_work_days"] = days
    setup["field_work_build_s"] = round(time.perf_counter() - t0, 1)
    bundle_path = root / "laptop-work.ldsync"
    result = exchange.export_bundle(laptop, bundle_path)
    changes, versions = payload_changes(bundle_path, devices.trust_anchor(laptop))
    own, own_versions, by_table = own_changes(laptop, laptop.ledger.site_id)
    assert (changes, versions) == (own, own_versions) == (changes, result.versions), \
        "the incremental file should carry exactly the laptop's own versions"
    log(f"{days} days of field work: {versions} versions, {changes} field changes, {result.size} bytes")
    laptop.close()
    return Scenario(root, root / "office.sqlite3", root / "laptop.sqlite3", root / "laptop-fresh.sqlite3",
                    bundle_path, changes, versions, by_table, setup, keys, clock.clock.now())


def week_file(scn: Scenario, *, seed: int = 11) -> tuple[Path, dict]:
    """One week of one laptop's field work exported as an incremental file, on a copy of the laptop as it was
    right after joining. Assumed: 5 working days, each 2 visits (1–3 households each), 8 household edits,
    24 person edits, about 1 new household (with 1–5 members), 1 problem event, and 1 new problem every
    five days (``_field_day`` at scale 0.2)."""
    from ledgerdesk.services.session import Session
    from ledgerdesk.store.database import Ledger
    from ledgerdesk.sync import devices, exchange

    rnd = random.Random(seed)
    copy = scn.root / "laptop-week.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{copy}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(scn.laptop_fresh, copy)
    clock = SteppingClock(START)
    laptop = Session(Ledger.open(copy, clock=clock.clock), "走访干部")
    try:
        facts = _facts_of(laptop)
        field_work(laptop, clock, rnd, facts, start=FIELD_START, days=5, scale=0.2)
        out = scn.root / "laptop-week.ldsync"
        result = exchange.export_bundle(laptop, out)
        changes, versions = payload_changes(out, devices.trust_anchor(laptop))
        _, _, by_table = own_changes(laptop, laptop.ledger.site_id)
    finally:
        laptop.close()
    return out, {"bytes": result.size, "versions": versions, "changes": changes, "by_table": by_table}


def _facts_of(session) -> dict:
    """Villages, households, persons and problems of a ledger, in id order (for the week's edits)."""
    db = session.ledger.db
    villages = [r[0] for r in db.execute_sql("SELECT id FROM village WHERE deleted = 0 ORDER BY sort_order")]
    households: dict[str, list[str]] = {v: [] for v in villages}
    for hid, vid in db.execute_sql("SELECT id, village_id FROM household WHERE deleted = 0 ORDER BY id"):
        households[vid].append(hid)
    persons: dict[str, list[str]] = {}
    for pid, hid in db.execute_sql("SELECT id, household_id FROM person WHERE deleted = 0 ORDER BY id"):
        persons.setdefault(hid, []).append(pid)
    problems = [r[0] for r in db.execute_sql("SELECT id FROM problem WHERE deleted = 0 ORDER BY id")]
    return {"villages": villages, "households": households, "persons": persons, "problems": problems}


def copy_ledger(src: Path, dest: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{dest}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(src, dest)


def pragmas_connection(path: Path) -> sqlite3.Connection:
    """A raw sqlite3 connection with the ledger's own pragmas (store/database.py PRAGMAS)."""
    from ledgerdesk.store.database import PRAGMAS

    conn = sqlite3.connect(path, isolation_level=None)
    for k, v in PRAGMAS.items():
        conn.execute(f"PRAGMA {k} = {v}")
    return conn
