"""Roster import speed: a 50,000-person 花名册 into a fresh empty ledger in ≤ 10 s (plan + apply).

The workbook is generated once per generator version into ctx["cache"]
(seeded: ~15,000 households in 15 villages, realistic names, valid 身份证号,
Excel date cells, a few text dates, tags and levels, a title row above the
header) and written by openpyxl's normal mode, i.e. with shared strings as
Excel and WPS write them.
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from workloads import Entry

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

PERSONS = 50_000
VILLAGES = 15
GENERATOR_VERSION = 1
TARGET_S = 10.0

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
_GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍红娥玲芬燕鹏辉建国志强海林文斌宇浩俊凯婷雪梅晨阳欣怡子涵梓萱浩然宇轩"
_ETHNIC = ("汉族",) * 12 + ("蒙古族", "回族", "满族")
_TAGS = ("低保", "留守老人", "留守儿童", "残疾", "脱贫监测户", "外出务工", "独居老人")
_HEADERS = ("村(社区)", "村民小组", "网格", "户号", "户主姓名", "姓名", "与户主关系", "性别", "出生日期", "身份证号",
            "联系电话", "民族", "是否党员", "现住址", "人员状态", "标签", "三色等级")


def _name(rnd: random.Random) -> str:
    given = "".join(rnd.choice(_GIVEN) for _ in range(rnd.choice((1, 2, 2, 2))))
    return rnd.choice(_SURNAMES) + given


def generate_roster(path: Path, persons: int = PERSONS, villages: int = VILLAGES, seed: int = 7) -> dict:
    """Write a realistic roster of ``persons`` rows; returns its shape."""
    from openpyxl import Workbook

    from ledgerdesk.core.idcard import make_id_number

    rnd = random.Random(seed)
    wb = Workbook()
    ws = wb.active
    ws.title = "花名册"
    ws.append(["示范镇 户籍人口花名册（2026年）"])
    ws.append(list(_HEADERS))
    village_names = [f"{'红旗 胜利 团结 幸福 光明 东风 新华 和平 前进 永安 太平 富民 兴隆 长青 双河'.split()[i % 15]}村"
                     if i < 15 else f"新村{i}" for i in range(villages)]
    today = dt.date(2026, 11, 20)
    seq = 0
    used: set[str] = set()
    households = 0
    n = 0
    while n < persons:
        v = households % villages
        vname = village_names[v]
        households += 1
        hh_no = f"{v + 1:02d}{households // villages + 1:05d}"
        group = f"第{rnd.randint(1, 8)}村民小组"
        grid = f"网格{rnd.randint(1, 6)}"
        address = f"{vname}{group}{rnd.randint(1, 300)}号"
        size = min(persons - n, rnd.choice((1, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 6)))
        head = _name(rnd)
        tags = "、".join(rnd.sample(_TAGS, rnd.choice((0, 0, 0, 1, 1, 2))))
        level = rnd.choice("绿绿绿绿绿绿黄黄红")
        for k in range(size):
            male = rnd.random() < 0.5 if k else True
            age = rnd.randint(25, 80) if k == 0 else rnd.randint(1, 75)
            birth = today - dt.timedelta(days=age * 365 + rnd.randint(0, 364))
            seq += 1
            number = make_id_number(f"1525{v:02d}", birth, seq % 999 + 1, male)
            while number in used:
                seq += 1
                number = make_id_number(f"1525{v:02d}", birth, seq % 999 + 1, male)
            used.add(number)
            name = head if k == 0 else _name(rnd)
            relation = "户主" if k == 0 else rnd.choice(("配偶", "子", "女", "孙子", "孙女", "父亲", "母亲"))
            phone = f"1{rnd.choice('3578')}{rnd.randint(0, 999999999):09d}" if rnd.random() < 0.7 else ""
            birth_cell = birth if rnd.random() < 0.9 else f"{birth.year}.{birth.month}.{birth.day}"
            ws.append([vname, group, grid, hh_no, head, name, relation, "", birth_cell, number, phone,
                       rnd.choice(_ETHNIC), "是" if rnd.random() < 0.06 else "否", address,
                       "在册" if rnd.random() < 0.9 else "外出", tags if k == 0 else "", level if k == 0 else ""])
            n += 1
    wb.save(path)
    return {"persons": n, "households": households, "villages": villages}


def _roster_file(ctx) -> Path:
    cache: Path = ctx["cache"]
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"roster-{PERSONS}-v{GENERATOR_VERSION}.xlsx"
    if not path.exists():
        tmp = path.with_suffix(".part.xlsx")
        generate_roster(tmp)
        tmp.replace(path)
    return path


def roster_import(ctx) -> Entry:
    """Plan + apply of a 50K-person roster into a fresh empty ledger (seconds; median of ``repeat``)."""
    from ledgerdesk.interchange.roster import apply_roster_import, plan_roster_import
    from ledgerdesk.services import workspace

    path = _roster_file(ctx)
    times, plan_times = [], []
    counts = None
    for _ in range(max(1, ctx["repeat"])):
        with tempfile.TemporaryDirectory() as tmp:
            session = workspace.create_ledger(Path(tmp) / "import.sqlite3", township="示范镇")
            try:
                t0 = time.perf_counter()
                plan = plan_roster_import(session, path)
                t1 = time.perf_counter()
                result = apply_roster_import(session, plan)
                t2 = time.perf_counter()
            finally:
                session.close()
        times.append(t2 - t0)
        plan_times.append(t1 - t0)
        counts = {"persons": result.persons_created, "households": result.households_created,
                  "villages": len(result.villages_created), "errors": len(plan.errors)}
    value = statistics.median(times)
    return Entry(round(value, 2), "s", f"≤ {TARGET_S:g} s", value <= TARGET_S,
                 detail={"scale": "new ledger", "plan_s": round(statistics.median(plan_times), 2), "runs_s": [round(t, 2) for t in times],
                         **(counts or {})})


WORKLOADS = {"roster_import": roster_import}
