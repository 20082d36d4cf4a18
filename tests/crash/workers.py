"""The child programs of the crash harness: one real workload on a real ledger file, with progress markers.

Run by tests/crash/harness.py as a separate process, killed with SIGKILL at a
chosen moment::

    python tests/crash/workers.py WORKLOAD LEDGER [--input FILE] [--seed N] [--now ISO] [--steps N] [--record]

WORKLOAD is one of

``roster``     plan and apply an Excel 花名册 (``--input``) with the real import service: one transaction;
``burst``      ``--steps`` small service calls (households, persons, updates, tags, problem steps), each its
               own transaction, chosen by a seeded generator;
``migration``  open a ledger at an older schema version: ``Ledger.open`` applies the pending migrations,
               each in its own transaction;
``sync``       import a real signed sync file (``--input``) with ``exchange.import_bundle`` (automatic
               backup, then one transaction);
``split``      a harness self-test ONLY: two transactions presented as one (it must be caught as partial);
``check``      not a workload: open LEDGER with ``Ledger.open`` and print integrity_check, replay_mismatches,
               ledger_digest, the version count and the fingerprint as one ``check JSON`` line.

Markers, one per line on stdout, flushed at once (the parent timestamps them):

``code PATH``      the ledgerdesk package this child runs;
``ready``          imports done, ledger open (for ``migration``: not yet opened);
``begin``          the write is about to start;
``committed N``    N transactions have committed (printed after the service call returned);
``state N JSON``   with ``--record`` only: the fingerprint (tests/crash/crash_state.py) after N commits;
``done``           finished, ledger closed.

Determinism: the app draws record ids (UUIDv7 random bits), site ids and the
roster import's id stream from ``os.urandom``; here ``os.urandom`` is replaced by
a stream seeded from ``--seed``, the clock is a ``FixedClock`` at ``--now``
(moved one minute per burst step), and the parent sets ``PYTHONHASHSEED=0``.
So a reference run of the same command reproduces every state exactly, which
is what lets the parent say "this file is exactly the state after k commits".
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import random
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
# The harness points PYTHONPATH at a snapshot of the code taken when its run started (other engineers edit
# the checkout meanwhile); run by hand, the checkout is used.
sys.path.append(str(REPO))

AUTHOR = "崩溃测试"
BURST_VILLAGE = "红旗村"


def seed_urandom(seed: int) -> None:
    """Make ``os.urandom`` a deterministic stream (this process only: ids and site ids become reproducible)."""
    state = {"block": 0, "buf": b""}
    key = hashlib.sha256(f"ledgerdesk-crash-{seed}".encode()).digest()

    def urandom(n: int) -> bytes:
        while len(state["buf"]) < n:
            state["buf"] += hashlib.blake2b(state["block"].to_bytes(8, "big"), key=key, digest_size=64).digest()
            state["block"] += 1
        out, state["buf"] = state["buf"][:n], state["buf"][n:]
        return out

    os.urandom = urandom


def mark(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


class Recorder:
    """Prints commit markers, and with ``record`` the fingerprint of each committed state."""

    def __init__(self, record: bool):
        self.record = record
        self.n = 0

    def state(self, conn, session=None) -> None:
        """With ``record``: the fingerprint of the committed state (and the app's digest when a session is open)."""
        if self.record:
            from crash_state import fingerprint

            fp = fingerprint(conn)
            if session is not None:
                from ledgerdesk.sync.digest import ledger_digest

                fp["digest"] = ledger_digest(session)
            mark(f"state {self.n} {json.dumps(fp, sort_keys=True)}")

    def committed(self, conn, session=None) -> None:
        self.n += 1
        mark(f"committed {self.n}")
        self.state(conn, session)


def _open(path: str, clock):
    from ledgerdesk.services.session import Session
    from ledgerdesk.store.database import Ledger

    return Session(Ledger.open(path, clock=clock), AUTHOR)


# -- workloads ----------------------------------------------------------------------------------------


def run_roster(args, clock, rec: Recorder) -> None:
    from ledgerdesk.interchange.roster import apply_roster_import, plan_roster_import

    session = _open(args.ledger, clock)
    conn = session.ledger.db.connection()
    rec.state(conn, session)
    mark("ready")
    plan = plan_roster_import(session, args.input)
    if plan.error_rows:
        raise SystemExit(f"the roster has row errors: {plan.summary_lines()[:5]}")
    mark("begin")
    apply_roster_import(session, plan)
    rec.committed(conn, session)
    session.close()


def run_sync(args, clock, rec: Recorder) -> None:
    from ledgerdesk.sync import exchange

    session = _open(args.ledger, clock)
    conn = session.ledger.db.connection()
    rec.state(conn, session)
    mark("ready")
    mark("begin")
    report = exchange.import_bundle(session, Path(args.input))
    if not report.new_versions:
        raise SystemExit("the sync file brought nothing new")
    rec.committed(conn, session)
    session.close()


def run_migration(args, clock, rec: Recorder) -> None:
    import sqlite3

    from ledgerdesk.store.database import Ledger  # noqa: F401  (imported before "ready": the window is the open)

    if rec.record:
        conn = sqlite3.connect(args.ledger, isolation_level=None)
        rec.state(conn)
        conn.close()
    mark("ready")
    mark("begin")
    session = _open(args.ledger, clock)
    rec.committed(session.ledger.db.connection(), session)
    session.close()


def run_split(args, clock, rec: Recorder) -> None:
    """NOT atomic on purpose: two transactions, with a pause between them (harness self-test)."""
    from ledgerdesk.services import registry

    session = _open(args.ledger, clock)
    conn = session.ledger.db.connection()
    rec.state(conn, session)
    village = conn.execute("SELECT id FROM village WHERE deleted = 0 ORDER BY name LIMIT 1").fetchone()[0]
    mark("ready")
    mark("begin")
    registry.create_household(session, village_id=village, hh_no="SPLIT-1", address="一半")
    mark("between")  # no "committed": the harness believes this is one transaction
    time.sleep(args.pause)
    registry.create_household(session, village_id=village, hh_no="SPLIT-2", address="另一半")
    rec.committed(conn, session)
    session.close()


def burst_steps(session, rng: random.Random, steps: int, clock):
    """Yield ``steps`` zero-argument service calls, each one transaction (deterministic for a seed)."""
    from ledgerdesk.core.idcard import make_id_number
    from ledgerdesk.core.vocab import BUILTIN_TAGS, LEVELS, RATINGS
    from ledgerdesk.services import ledger as problems
    from ledgerdesk.services import registry

    db = session.ledger.db
    village = db.execute_sql("SELECT id FROM village WHERE name = ? AND deleted = 0", (BURST_VILLAGE,)).fetchone()[0]
    households: list[str] = []
    persons: list[str] = []
    open_problems: dict[str, int] = {}  # problem id -> next step index
    surnames, given = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗", "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超霞"
    counter = [0]

    def name() -> str:
        return rng.choice(surnames) + "".join(rng.choice(given) for _ in range(rng.choice((1, 2))))

    def new_household():
        n = counter[0] = counter[0] + 1
        hid = registry.create_household(session, village_id=village, hh_no=f"B{n:04d}", address=f"红旗村{n}号",
                                        level=rng.choice(LEVELS))
        households.append(hid)

    def new_person():
        hid = rng.choice(households[-5:])
        male = rng.random() < 0.5
        birth = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(70 * 365))
        n = counter[0] = counter[0] + 1
        saved = registry.add_person(
            session, hid, name=name(), id_number=make_id_number("152301", birth, n, male),
            gender="男" if male else "女", birth_date=birth, phone=f"138{rng.randrange(10 ** 8):08d}",
            relation=rng.choice(("配偶", "子女", "父母", "孙子女")), ethnicity=rng.choice(("汉族", "蒙古族")))
        persons.append(saved.id)

    def edit_person():
        registry.update_person(session, rng.choice(persons), phone=f"139{rng.randrange(10 ** 8):08d}")

    def edit_household():
        registry.update_household(session, rng.choice(households), address=f"红旗村{rng.randrange(1000)}号院")

    def level():
        registry.set_level(session, rng.choice(households), rng.choice(LEVELS))

    def tags():
        registry.set_household_tags(session, rng.choice(households), rng.sample(BUILTIN_TAGS, rng.randrange(3)))

    def new_problem():
        ref = problems.register_problem(session, title=f"{name()}反映道路积水", source="群众反映", village_id=village,
                                        household_ids=(rng.choice(households),), description="雨后路面积水，出行不便")
        open_problems[ref.id] = 0

    advance_steps = (
        lambda pid: problems.dispatch(session, pid, responsible_person="王主任", responsible_unit="村委会", days=5),
        lambda pid: problems.add_note(session, pid, "已到现场查看，安排清理"),
        lambda pid: problems.resolve(session, pid, "已清理疏通"),
        lambda pid: problems.rate(session, pid, rating=rng.choice(RATINGS[:2]), rated_by="反映人"),
        lambda pid: problems.close(session, pid, "同意销号"),
    )

    def advance():
        pid = rng.choice(sorted(open_problems))
        advance_steps[open_problems[pid]](pid)
        open_problems[pid] += 1
        if open_problems[pid] == len(advance_steps):
            del open_problems[pid]

    weighted = [(new_household, 3), (new_person, 6), (edit_person, 3), (edit_household, 2), (level, 1), (tags, 2),
                (new_problem, 2), (advance, 5)]
    for i in range(steps):
        if i < 2:
            yield new_household if i == 0 else new_person
            continue
        while True:
            fn = rng.choices([f for f, _ in weighted], [w for _, w in weighted])[0]
            if fn is advance and not open_problems:
                continue
            break
        yield fn


def run_burst(args, clock, rec: Recorder) -> None:
    session = _open(args.ledger, clock)
    conn = session.ledger.db.connection()
    rec.state(conn, session)
    rng = random.Random(args.seed)
    mark("ready")
    mark("begin")
    for step in burst_steps(session, rng, args.steps, clock):
        clock.advance(seconds=60)
        step()
        rec.committed(conn, session)
    session.close()


def run_check(args, clock, rec: Recorder) -> None:
    """Not a workload: open a (crashed) ledger as the app does and print what the harness checks, as JSON."""
    from ledgerdesk.store.verify import replay_mismatches
    from ledgerdesk.sync.digest import ledger_digest
    from crash_state import fingerprint

    session = _open(args.ledger, clock)
    try:
        db = session.ledger.db
        integrity = [r[0] for r in db.execute_sql("PRAGMA integrity_check").fetchall()]
        with session.reading():
            replay = [f"{m.table} {m.entity_id}: {m.detail}" for m in replay_mismatches(db)]
        out = {"integrity": integrity, "replay": replay, "digest": ledger_digest(session),
               "versions": db.execute_sql("SELECT count(*) FROM version").fetchone()[0],
               "fingerprint": fingerprint(db.connection())}
    finally:
        session.close()
    mark("check " + json.dumps(out, sort_keys=True))


WORKLOADS = {"roster": run_roster, "sync": run_sync, "migration": run_migration, "burst": run_burst,
             "split": run_split, "check": run_check}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("workload", choices=sorted(WORKLOADS))
    p.add_argument("ledger")
    p.add_argument("--input")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--now", default="2026-11-20T09:30:00")
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--record", action="store_true")
    p.add_argument("--pause", type=float, default=0.0, help="split only: seconds between its two transactions")
    args = p.parse_args(argv)
    seed_urandom(args.seed)
    from ledgerdesk.core.clock import FixedClock

    clock = FixedClock(dt.datetime.fromisoformat(args.now))
    import ledgerdesk

    mark(f"code {Path(ledgerdesk.__file__).resolve().parent}")
    WORKLOADS[args.workload](args, clock, Recorder(args.record))
    mark("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
