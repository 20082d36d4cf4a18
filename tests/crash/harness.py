"""Crash-safety harness: SIGKILL a real workload at a chosen moment, then prove the file is exactly a committed state.

quality.md, Trust: "kill -9 at random points during import, edit bursts and
migrations, ≥ 200 trials | integrity_check ok every time; state is exactly
before or after, never partial".

How one trial goes (:func:`run_trial`):

1. A copy of the workload's starting ledger (a real SQLite file, WAL,
   synchronous=FULL, as the app opens it) is made in the trial's folder.
2. ``workers.py`` runs the workload on it in a child process and prints
   progress markers (``ready``, ``begin``, ``committed N``). The parent waits
   for the planned anchor marker, sleeps the planned delay, and sends SIGKILL.
3. The files left behind (database, -wal, -shm) are copied aside and read with
   plain sqlite3 — the state exactly as the crash left it, WAL recovery
   included: ``PRAGMA integrity_check`` must say ok, and the fingerprint
   (tests/crash/crash_state.py: schema + every table) must be one of the allowed
   states below.
4. The file itself is then opened the way the app opens it (``Ledger.open``:
   WAL recovery, pending migrations, site settling; in a ``workers.py check``
   child): integrity_check ok, ``replay_mismatches`` empty, and
   ``ledger_digest`` + version count equal the allowed state's.

Children run a snapshot of ledgerdesk/ and db/ taken when the run starts
(:func:`snapshot_code`): the checkout is shared with engineers editing it, and
a long run must compare like with like.

Allowed states come from reference runs of the same deterministic child
(``--record``: it prints the fingerprint and digest after every commit):

* one-transaction workloads (roster import, sync import): before or after —
  and after whenever ``committed 1`` was seen (a reported commit must survive);
* the edit burst: the state after exactly k or k+1 committed service calls,
  k = the last ``committed`` marker seen;
* the migration (one transaction per migration file): the database at any
  schema version between the old one and the newest, and at the newest once
  ``committed`` was seen; after ``Ledger.open`` it must be the fully migrated
  state.

Anything else is *partial* (it equals no reference state) or a *lost commit*
(it equals an earlier state than a reported commit).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
WORKERS = HERE / "workers.py"
for _p in (HERE, REPO / "tests" / "sync"):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

import crash_state as S  # noqa: E402  (tests/crash/crash_state.py)

NOW = dt.datetime(2026, 11, 20, 9, 30)
CHILD_SEED = 7              # every run of a workload's child uses it: the reference reproduces the trial exactly
ROSTER_PERSONS = 4000       # + ~1,300 households: over BULK_MIN_ROWS, so the import parks triggers and indexes
BURST_STEPS = 300
WORKLOAD_NAMES = ("roster", "burst", "migration", "sync")
MARKER_TIMEOUT_S = 300

# The code the children run: a snapshot of ledgerdesk/ and db/ taken when the run starts (snapshot_code), so
# edits other engineers make to the shared checkout during a long run cannot change the workload between the
# reference run and the trials. Until a snapshot is taken: the checkout.
_CODE = [REPO]


def snapshot_code(root: Path) -> Path:
    """Copy ledgerdesk/ and db/ into ``root`` (resources/ linked) and make the children run that copy."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(REPO / "ledgerdesk", root / "ledgerdesk", ignore=ignore)
    shutil.copytree(REPO / "db", root / "db", ignore=ignore)
    (root / "resources").symlink_to(REPO / "resources", target_is_directory=True)
    for name in ("workers.py", "crash_state.py"):  # the child programs too: edited files never mix into a run
        shutil.copyfile(HERE / name, root / name)
    _CODE[0] = root
    return root


def code_root() -> Path:
    return _CODE[0]


# -- inputs -----------------------------------------------------------------------------------------------


def make_roster_xlsx(path: Path, persons: int = ROSTER_PERSONS, seed: int = 11) -> Path:
    """A realistic 花名册 of ``persons`` rows in 5 villages (valid 身份证号, Excel dates, tags, levels)."""
    from openpyxl import Workbook

    from ledgerdesk.core.idcard import make_id_number
    from ledgerdesk.interchange.roster import TEMPLATE_HEADERS

    rnd = random.Random(seed)
    surnames, given = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹", "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂华玉兰萍红"
    villages = ("红旗村", "胜利村", "团结村", "幸福社区", "巴音嘎查")
    tags = ("低保", "留守老人", "留守儿童", "残疾", "脱贫监测户", "外出务工")
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("花名册")
    ws.append(["测试镇 户籍人口花名册"])
    ws.append(list(TEMPLATE_HEADERS))
    col = {h: i for i, h in enumerate(TEMPLATE_HEADERS)}
    n = seq = households = 0
    while n < persons:
        households += 1
        v = households % len(villages)
        hh_no = f"{v + 1:02d}{households:05d}"
        group = f"第{rnd.randint(1, 6)}村民小组"
        size = min(persons - n, rnd.choice((1, 2, 2, 3, 3, 3, 4, 4, 5)))
        head = rnd.choice(surnames) + "".join(rnd.choice(given) for _ in range(rnd.choice((1, 2))))
        for k in range(size):
            male = True if k == 0 else rnd.random() < 0.5
            birth = dt.date(2026, 1, 1) - dt.timedelta(days=rnd.randint(365 * (25 if k == 0 else 1), 365 * 85))
            seq += 1
            row = [None] * len(TEMPLATE_HEADERS)
            row[col["村(社区)"]] = villages[v]
            row[col["村民小组"]] = group
            row[col["户号"]] = hh_no
            row[col["户主姓名"]] = head
            row[col["姓名"]] = head if k == 0 else rnd.choice(surnames) + rnd.choice(given) + rnd.choice(given)
            row[col["与户主关系"]] = "户主" if k == 0 else rnd.choice(("配偶", "子", "女", "孙子", "父亲", "母亲"))
            row[col["出生日期"]] = birth
            row[col["身份证号"]] = make_id_number(f"1523{v:02d}", birth, seq, male)
            row[col["联系电话"]] = f"13{rnd.randint(0, 999999999):09d}" if rnd.random() < 0.7 else ""
            row[col["民族"]] = rnd.choice(("汉族", "汉族", "蒙古族"))
            row[col["是否党员"]] = "是" if rnd.random() < 0.06 else "否"
            row[col["现住址"]] = f"{villages[v]}{group}{rnd.randint(1, 300)}号"
            if k == 0:
                row[col["标签"]] = "、".join(rnd.sample(tags, rnd.choice((0, 0, 1, 2))))
                row[col["三色等级"]] = rnd.choice("绿绿绿绿黄红")
            ws.append(row)
            n += 1
    wb.save(path)
    return path


def make_fresh_ledger(path: Path) -> Path:
    """A new township ledger (reference data, one village 红旗村), closed."""
    from ledgerdesk.core.clock import FixedClock
    from ledgerdesk.services import registry, workspace

    session = workspace.create_ledger(path, township="测试镇", clock=FixedClock(NOW), user="建库")
    registry.create_village(session, name="红旗村")
    session.close()
    return path


def migrations_upto(version: int, root: Path) -> Path:
    """A folder with the shipped migration files 0001..``version`` (like tests/store/test_migrations.py)."""
    from ledgerdesk.store.migrations import available

    d = root / f"migrations-{version:04d}"
    if not d.exists():
        d.mkdir(parents=True)
        for mig in available(code_root() / "db" / "migrations"):
            if mig.version <= version:
                shutil.copyfile(mig.path, d / mig.path.name)
    return d


def make_old_schema_ledger(source: Path, target: Path, root: Path, version: int = 1) -> Path:
    """``source``'s data in a database at schema ``version``: how a ledger from an older LedgerDesk looks.

    The schema comes from the migration runner with only the first ``version``
    migration files; the version log, meta and every synced table that schema
    has are copied over (the version log first, so the guard triggers accept
    the rows).
    """
    from ledgerdesk.store.migrations import migrate

    conn = sqlite3.connect(str(target), isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = wal")
        migrate(conn, migrations_upto(version, root))
        conn.execute("ATTACH DATABASE ? AS src", (str(source),))
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM main.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name = 'version' DESC, name")]
        conn.execute("BEGIN")
        for table in tables:
            mine = [c[1] for c in conn.execute(f'PRAGMA main.table_info("{table}")')]
            theirs = {c[1] for c in conn.execute(f'PRAGMA src.table_info("{table}")')}
            cols = ", ".join(c for c in mine if c in theirs)
            conn.execute(f'INSERT INTO main."{table}" ({cols}) SELECT {cols} FROM src."{table}"')
        conn.execute("COMMIT")
        conn.execute("DETACH DATABASE src")
        assert conn.execute("PRAGMA user_version").fetchone()[0] == version
    finally:
        conn.close()
    return target


def make_sync_inputs(root: Path, roster: Path) -> tuple[Path, Path]:
    """An enrolled device ledger (closed) and a real signed sync file from its office carrying a roster
    and a few problems; keys are in the LEDGERDESK_KEYS key store the children inherit."""
    import sync_support as SS

    from ledgerdesk.interchange.roster import import_roster
    from ledgerdesk.services import ledger as problems

    group = SS.group_copy(root / "group", devices=(("笔记本A", "laptop"),))
    office, device = group["office"], group["笔记本A"]
    import_roster(office, roster)
    village = office.ledger.db.execute_sql("SELECT id FROM village WHERE name = '红旗村'").fetchone()[0]
    for i in range(5):
        ref = problems.register_problem(office, title=f"水渠堵塞{i}", source="群众反映", village_id=village)
        problems.dispatch(office, ref.id, responsible_person="王主任", responsible_unit="水利站", days=5)
    bundle = SS.export(office, root / "office-to-A.ldsync", full=True)
    device_path = Path(device.ledger.path)
    office.close()
    device.close()
    return device_path, bundle


# -- running a child ----------------------------------------------------------------------------------------


def child_env() -> dict:
    env = dict(os.environ)
    env["PYTHONHASHSEED"] = "0"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(code_root()), env.get("PYTHONPATH", "")) if p)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    assert env.get("LEDGERDESK_KEYS"), "the sync workload needs the test key store (tests/conftest.py sets it)"
    return env


@dataclass(frozen=True)
class KillPlan:
    """When to SIGKILL: ``delay`` seconds after the child prints the marker line ``anchor`` ("ready", "begin",
    "committed 17", "between"), or at once on the final commit marker (``anchor="final"``); ``label`` says how
    the point was chosen."""

    anchor: str
    delay: float
    label: str


@dataclass
class ChildRun:
    markers: list[tuple[float, str]]   # (seconds since start, line)
    returncode: int | None
    killed: bool                        # SIGKILL was sent while the child was alive
    kill_at: float | None               # seconds since start
    stderr: str

    def last_commit(self) -> int:
        n = 0
        for _, line in self.markers:
            if line.startswith("committed "):
                n = max(n, int(line.split()[1]))
        return n

    def seen(self, name: str) -> bool:
        return any(line == name for _, line in self.markers)

    def time_of(self, name: str) -> float | None:
        for t, line in self.markers:
            if line == name or line.startswith(name + " "):
                return t
        return None

    def states(self) -> dict[int, dict]:
        out = {}
        for _, line in self.markers:
            if line.startswith("state "):
                _, n, payload = line.split(" ", 2)
                out[int(n)] = json.loads(payload)
        return out


def run_child(workload: str, ledger: Path, *, input: Path | None = None, steps: int | None = None,
              record: bool = False, kill: KillPlan | None = None, final_commit: int | None = None,
              log: Path | None = None, extra: tuple[str, ...] = ()) -> ChildRun:
    """Run ``workers.py`` on ``ledger``; with ``kill``, SIGKILL it as planned. Always reaps the child."""
    program = code_root() / "workers.py" if (code_root() / "workers.py").exists() else WORKERS
    cmd = [sys.executable, str(program), workload, str(ledger), "--seed", str(CHILD_SEED), "--now", NOW.isoformat()]
    if input is not None:
        cmd += ["--input", str(input)]
    if steps is not None:
        cmd += ["--steps", str(steps)]
    if record:
        cmd.append("--record")
    cmd += extra
    log = log or ledger.with_name(ledger.name + ".stderr")
    markers: list[tuple[float, str]] = []
    target = None
    if kill is not None:
        target = f"committed {final_commit}" if kill.anchor == "final" else kill.anchor
    anchored = threading.Event()
    killed = threading.Event()
    kill_time: list[float] = []
    with open(log, "wb") as err:
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, env=child_env(), cwd=str(REPO))

        def do_kill() -> None:
            if proc.poll() is None and not killed.is_set():
                try:
                    os.kill(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    return
                kill_time.append(time.monotonic() - t0)
                killed.set()

        def read() -> None:
            for raw in proc.stdout:
                line = raw.decode("utf-8", "replace").rstrip("\n")
                markers.append((time.monotonic() - t0, line))
                if line == target and not anchored.is_set():
                    if kill.delay <= 0:
                        do_kill()  # from this thread: the least latency after the marker
                    anchored.set()

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        try:
            if kill is not None:
                while not anchored.wait(0.05):
                    if proc.poll() is not None or time.monotonic() - t0 > MARKER_TIMEOUT_S:
                        break
                if anchored.is_set() and kill.delay > 0:
                    time.sleep(kill.delay)
                    do_kill()
            proc.wait(timeout=MARKER_TIMEOUT_S)
        finally:
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
            reader.join(timeout=30)
            proc.stdout.close()
    return ChildRun(markers, proc.returncode, killed.is_set() and proc.returncode == -signal.SIGKILL,
                    kill_time[0] if kill_time else None, log.read_text(encoding="utf-8", errors="replace"))


def copy_ledger(src: Path, dst: Path) -> Path:
    """Copy a ledger file with whatever -wal/-shm it has (as a crash left it)."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        s = Path(str(src) + suffix)
        if s.exists():
            shutil.copyfile(s, str(dst) + suffix)
    return dst


# -- workloads and their reference states -----------------------------------------------------------------


@dataclass
class Reference:
    key: str
    label: str          # "before", "after", "k=12", "v3"
    index: int          # commits (burst), 0/1 (single), schema version (migration)
    digest: str | None
    versions: int
    tables: dict


@dataclass
class Workload:
    name: str
    template: Path
    input: Path | None = None
    steps: int | None = None
    single: bool = True
    commits: int = 1                    # commits of a complete run
    states: dict[int, Reference] = field(default_factory=dict)      # by commit count (by version for migration)
    after: Reference | None = None      # the complete run's state (after Ledger.open, for migration)
    timing: dict = field(default_factory=dict)   # seconds: ready_to_end, begin_to_end (medians so far)
    observed: list = field(default_factory=list)  # the same, from every run that got to its last commit
    extra: tuple[str, ...] = ()         # more child arguments (the split self-test's pause)

    def run(self, ledger: Path, **kw) -> ChildRun:
        return run_child(self.name, ledger, input=self.input, steps=self.steps, extra=self.extra, **kw)

    def by_key(self) -> dict[str, Reference]:
        return {r.key: r for r in self.states.values()}


def _reference(fp: dict, label: str, index: int) -> Reference:
    return Reference(fp["key"], label, index, fp.get("digest"), fp["versions"], fp["tables"])


def record_references(w: Workload, work: Path, *, timed: bool = True) -> None:
    """Run the workload to completion with ``--record`` (and, with ``timed``, once more plainly: for the
    timing of the kill points and as a determinism check); fill ``states``, ``after`` and ``timing``."""
    run = w.run(copy_ledger(w.template, work / "record" / "ledger.sqlite3"), record=True)
    if run.returncode != 0 or not run.seen("done"):
        raise RuntimeError(f"reference run of {w.name} failed ({run.returncode}):\n{run.stderr[-3000:]}")
    code = next((line[5:] for _, line in run.markers if line.startswith("code ")), "")
    if Path(code) != (code_root() / "ledgerdesk").resolve():
        raise RuntimeError(f"the child ran {code}, not the code snapshot {code_root()}")
    states = run.states()
    w.commits = run.last_commit()
    clocked = run
    if timed:
        clocked = w.run(copy_ledger(w.template, work / "timed" / "ledger.sqlite3"))
        if clocked.returncode != 0 or clocked.last_commit() != w.commits:
            raise RuntimeError(f"timing run of {w.name} failed ({clocked.returncode}):\n{clocked.stderr[-3000:]}")
        final = S.file_fingerprint(work / "timed" / "ledger.sqlite3")
        if final["key"] != states[w.commits]["key"]:
            raise RuntimeError(f"{w.name} is not deterministic: two complete runs differ in "
                               f"{S.differing_tables(final, states[w.commits])}")
    w.observed = []
    observe_timing(w, clocked)
    if w.name == "migration":
        w.after = _reference(states[1], "after", 1)
        w.states = migration_states(w.template, work / "versions")
        if w.states[max(w.states)].key != w.after.key:
            raise RuntimeError("opening the old ledger does not give the state of the migrations applied one by one")
        return
    for n, fp in sorted(states.items()):
        label = "before" if n == 0 else "after" if n == w.commits else f"k={n}"
        w.states[n] = _reference(fp, label, n)
    w.after = w.states[w.commits]


def observe_timing(w: Workload, run: ChildRun) -> None:
    """Learn the workload's durations from a run that reached its last commit: kill points are fractions of
    the median durations seen so far (the machine is shared and its speed drifts during a long run)."""
    end, ready, begin = run.time_of(f"committed {w.commits}"), run.time_of("ready"), run.time_of("begin")
    if end is None or ready is None or begin is None:
        return
    w.observed.append((end - ready, end - begin))
    w.timing = {"ready_to_end": statistics.median(o[0] for o in w.observed),
                "begin_to_end": statistics.median(o[1] for o in w.observed), "runs": len(w.observed)}


def migration_states(template: Path, work: Path) -> dict[int, Reference]:
    """The old ledger migrated one version at a time: the state after each migration's transaction."""
    from ledgerdesk.store.migrations import latest_version, migrate

    latest = latest_version(code_root() / "db" / "migrations")
    path = copy_ledger(template, work / "steps.sqlite3")
    out = {}
    conn = sqlite3.connect(str(path), isolation_level=None)
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        out[version] = _reference(S.fingerprint(conn), "before", version)
        for v in range(version + 1, latest + 1):
            migrate(conn, migrations_upto(v, work))
            out[v] = _reference(S.fingerprint(conn), "after" if v == latest else f"v{v}", v)
    finally:
        conn.close()
    return out


def build_workloads(root: Path, names=WORKLOAD_NAMES) -> dict[str, Workload]:
    """Make every input once (roster workbook, starting ledgers, sync file) and record each workload's states."""
    root.mkdir(parents=True, exist_ok=True)
    snapshot_code(root / "code")
    roster = make_roster_xlsx(root / "roster.xlsx")
    fresh = make_fresh_ledger(root / "fresh.sqlite3")
    out: dict[str, Workload] = {}
    out["roster"] = Workload("roster", fresh, input=roster)
    out["burst"] = Workload("burst", fresh, steps=BURST_STEPS, single=False)
    record_references(out["roster"], root / "roster")
    if "migration" in names:
        imported = root / "roster" / "record" / "ledger.sqlite3"
        old = make_old_schema_ledger(imported, root / "old-schema.sqlite3", root)
        out["migration"] = Workload("migration", old)
    if "sync" in names:
        device, bundle = make_sync_inputs(root / "sync", roster)
        out["sync"] = Workload("sync", device, input=bundle)
    for name in names:
        if name != "roster":
            record_references(out[name], root / name)
    return {n: out[n] for n in names}


# -- kill points -------------------------------------------------------------------------------------------


def plan_kills(w: Workload, n: int, seed: int) -> list[KillPlan]:
    """``n`` kill points for ``w``, seeded.

    The random parts are seeded fractions; the times are those fractions of
    the median durations measured so far (the timing run, then every trial
    that reached its last commit: the machine is shared and its speed
    drifts). Where a kill actually landed is judged from the markers the
    child printed, not from the plan.

    With 4 or more trials the first is at 0 s after ``ready`` and the second at
    the final commit marker (the very end: committed, not yet closed). The rest
    take turns: uniform over the whole workload (ready → end, +10 %); for a
    one-transaction workload, uniform over its write phase (begin → end,
    +15 %) and over that phase's last quarter (where the commit is); for the
    burst, right after a commit drawn uniformly (within 1.5 calls' time).
    Fewer trials: only the write-phase kinds.
    """
    rng = random.Random(f"{seed}:{w.name}")
    whole, write = w.timing["ready_to_end"] * 1.10, w.timing["begin_to_end"] * 1.15
    step = w.timing["begin_to_end"] / max(w.commits, 1)
    kinds = (["whole"] if n >= 4 else []) + (["write", "tail"] if w.single else ["calls"])
    plans = []
    for i in range(n):
        if n >= 4 and i < 2:
            plans.append(KillPlan("ready", 0.0, "at 0") if i == 0 else KillPlan("final", 0.0, "at the end"))
            continue
        kind = kinds[i % len(kinds)]
        if kind == "whole":
            plans.append(KillPlan("ready", rng.uniform(0, whole), "uniform over the workload"))
        elif kind == "write":
            plans.append(KillPlan("begin", rng.uniform(0, write), "uniform over the write phase"))
        elif kind == "tail":
            plans.append(KillPlan("begin", rng.uniform(0.75 * write / 1.15, write), "last quarter of the write phase"))
        else:
            j = rng.randrange(w.commits)
            plans.append(KillPlan(f"committed {j}" if j else "begin", rng.uniform(0, step * 1.5),
                                  "uniform over the calls"))
    return plans


# -- one trial ---------------------------------------------------------------------------------------------


@dataclass
class TrialResult:
    workload: str
    index: int
    plan: KillPlan
    kill_at: float | None
    killed: bool
    commits_seen: int
    phase: str                    # where the kill landed by the markers seen: before / mid / after
    found: str                    # the reference state the file equals ("before", "k=12", "v3", ... or "none")
    verdict: str                  # "ok", "partial", "lost-commit", "integrity", "replay", "digest", "child-error"
    detail: str = ""
    seconds: float = 0.0
    leftovers: tuple[str, ...] = ()  # files a killed automatic backup left in 备份/ (*.part): noted, not a failure

    @property
    def ok(self) -> bool:
        return self.verdict == "ok"


def _phase(w: Workload, run: ChildRun) -> str:
    k = run.last_commit()
    if not run.killed:
        return "after" if k == w.commits else "before"
    if k >= w.commits:
        return "after"
    if w.single:
        return "mid" if run.seen("begin") else "before"
    return "mid" if k > 0 else "before"


def allowed(w: Workload, run: ChildRun) -> list[Reference]:
    """The states the file may be in, given the commit markers the child printed before it died."""
    k = run.last_commit()
    if w.name == "migration":
        top = max(w.states)
        return [w.states[top]] if k >= 1 else [w.states[v] for v in sorted(w.states)]
    return [w.states[n] for n in (k, k + 1) if n in w.states]


def check_file(w: Workload, path: Path, run: ChildRun, scratch: Path) -> tuple[str, str, str]:
    """(found, verdict, detail) for the ledger file a killed child left at ``path``."""
    # 1. The state exactly as the crash left it, read on a copy with plain sqlite3.
    raw_path = copy_ledger(path, scratch / "as-left.sqlite3")
    conn = sqlite3.connect(str(raw_path), isolation_level=None)
    try:
        raw_integrity = S.integrity(conn)
        raw = S.fingerprint(conn)
    finally:
        conn.close()
    refs = w.by_key()
    found = refs[raw["key"]].label if raw["key"] in refs else "none"
    if raw_integrity != ["ok"]:
        return found, "integrity", f"integrity_check on the file as left: {raw_integrity[:5]}"
    ok_states = allowed(w, run)
    if raw["key"] not in {r.key for r in ok_states}:
        names = [r.label for r in ok_states]
        if raw["key"] in refs:
            return found, "lost-commit", f"file is {found}, but the child had reported {run.last_commit()} " \
                                         f"commit(s): allowed {names}"
        near = min(ok_states, key=lambda r: len(S.differing_tables(raw, {"tables": r.tables})))
        return found, "partial", (f"file equals no committed state (allowed {names}); differs from {near.label} "
                                  f"in {S.differing_tables(raw, {'tables': near.tables})}, "
                                  f"user_version {raw['user_version']}, versions {raw['versions']}")
    # 2. As the app opens it (Ledger.open in a child running the same code as the workload).
    expected = w.after if w.name == "migration" else refs[raw["key"]]
    checked = open_as_the_app(path, scratch)
    if checked["integrity"] != ["ok"]:
        return found, "integrity", f"integrity_check after Ledger.open: {checked['integrity'][:5]}"
    if checked["replay"]:
        return found, "replay", f"rows that differ from their version log: {checked['replay'][:3]}"
    digest, versions, opened = checked["digest"], checked["versions"], checked["fingerprint"]
    if (digest, versions) != (expected.digest, expected.versions):
        return found, "digest", (f"after Ledger.open: digest {digest[:12]}…/{versions} versions, expected "
                                 f"{(expected.digest or '')[:12]}…/{expected.versions} ({expected.label})")
    if opened["key"] != expected.key:
        return found, "partial", (f"after Ledger.open the file is not {expected.label}: differs in "
                                  f"{S.differing_tables(opened, {'tables': expected.tables})}")
    return found, "ok", ""


def open_as_the_app(path: Path, scratch: Path) -> dict:
    """``workers.py check``: Ledger.open (WAL recovery, migrations), integrity_check, replay_mismatches,
    ledger_digest, version count and fingerprint of ``path``."""
    run = run_child("check", path, log=scratch / "check.stderr")
    lines = [line for _, line in run.markers if line.startswith("check ")]
    if run.returncode != 0 or not lines:
        return {"integrity": [f"Ledger.open failed ({run.returncode}): {run.stderr[-1500:]}"], "replay": [],
                "digest": "", "versions": -1, "fingerprint": {"key": "", "tables": {}}}
    return json.loads(lines[0][len("check "):])


def run_trial(w: Workload, index: int, plan: KillPlan, folder: Path) -> TrialResult:
    """One kill-and-check trial of ``w`` in ``folder`` (removed afterwards unless it failed)."""
    t0 = time.monotonic()
    path = copy_ledger(w.template, folder / "ledger.sqlite3")
    run = w.run(path, kill=plan, final_commit=w.commits)
    observe_timing(w, run)
    phase = _phase(w, run)
    if run.returncode not in (0, -signal.SIGKILL):
        found, verdict, detail = "?", "child-error", run.stderr[-2000:]
    else:
        found, verdict, detail = check_file(w, path, run, folder / "scratch")
    backups = folder / "备份"
    leftovers = tuple(sorted(p.name for p in backups.glob("*.part*"))) if backups.is_dir() else ()
    result = TrialResult(w.name, index, plan, run.kill_at, run.killed, run.last_commit(), phase, found, verdict,
                         detail, time.monotonic() - t0, leftovers)
    if result.ok:
        shutil.rmtree(folder, ignore_errors=True)
    return result


# -- the figures -------------------------------------------------------------------------------------------


def summarize(results: list[TrialResult], seconds: float | None = None) -> dict:
    """Per workload: trials, kill points by phase and by state found, failures by kind."""
    out: dict = {"trials": len(results), "integrity_failures": 0, "partial_states": 0, "failures": [],
                 "workloads": {}}
    for r in results:
        wl = out["workloads"].setdefault(r.workload, {"trials": 0, "phase": Counter(), "found": Counter(),
                                                      "verdicts": Counter(), "killed_while_running": 0,
                                                      "backup_part_left": 0})
        wl["trials"] += 1
        wl["phase"][r.phase] += 1
        wl["found"][_found_class(r)] += 1
        wl["verdicts"][r.verdict] += 1
        wl["killed_while_running"] += int(r.killed)
        wl["backup_part_left"] += int(bool(r.leftovers))
        out["integrity_failures"] += r.verdict == "integrity"
        out["partial_states"] += r.verdict == "partial"
        if not r.ok:
            out["failures"].append({"workload": r.workload, "trial": r.index, "plan": r.plan.label,
                                    "kill_at_s": r.kill_at, "commits_seen": r.commits_seen, "phase": r.phase,
                                    "verdict": r.verdict, "detail": r.detail})
    for wl in out["workloads"].values():
        for k in ("phase", "found", "verdicts"):
            wl[k] = dict(sorted(wl[k].items()))
    if seconds is not None:
        out["seconds"] = round(seconds, 1)
    return out


def _found_class(r: TrialResult) -> str:
    """before / after / "k calls" (a burst between its first and last call) / vN (a migration stopped after
    the migration to schema version N, not the last) / none (partial)."""
    return "k calls" if r.found.startswith("k=") else r.found


def format_summary(s: dict) -> str:
    lines = [f"crash safety: {s['trials']} trials, integrity failures {s['integrity_failures']}, "
             f"partial states {s['partial_states']}, failures {len(s['failures'])}"
             + (f", {s['seconds']} s" if "seconds" in s else "")]
    for name, wl in s["workloads"].items():
        lines.append(f"  {name:<10} {wl['trials']:>3} trials  kill point {wl['phase']}  state found {wl['found']}"
                     f"  verdicts {wl['verdicts']}"
                     + (f"  (a killed backup left a .part file in {wl['backup_part_left']})"
                        if wl["backup_part_left"] else ""))
    for f in s["failures"][:20]:
        lines.append(f"  FAILED {f['workload']} #{f['trial']} ({f['plan']}, killed at {f['kill_at_s']}, "
                     f"{f['commits_seen']} commits seen): {f['verdict']}: {f['detail'][:300]}")
    return "\n".join(lines)
