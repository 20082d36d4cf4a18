"""Deterministic demo ledgers at township and county scale (quality.md, "Scale profiles").

:func:`create_demo_ledger` makes a new ledger file full of realistic, made-up
data; :func:`build_demo` fills an open, empty ledger. For a given seed and
clock the result is identical row for row, ids included: randomness comes only
from ``random.Random(seed)`` and ids from :func:`uuid7_fast_factory` started at
the clock's time. Everything is written through the versioned writer
(``insert_many``), in one transaction.

Generation is separate from writing: :class:`_Builder` turns a :class:`_Spec`
(scale, seed, clock reading, township) into a stream of messages — batches of
rows per table and progress ticks — and :func:`build_demo` writes the batches.
At county scale the stream is produced in a child Python process, so making
up the rows overlaps with the writer's own per-row work (versions, JSON,
SQLite); both ways give the same rows. The builder runs phase by phase — registry
(villages, households, persons, 中心户, 联户长, grids), 六会, visits, problems —
keeping only a compact summary of each village for the later phases.

Codes stored in rows (六会 kinds, 六大员 types) are in :mod:`demo_data`.
"""

from __future__ import annotations

import bisect
import datetime as dt
import gc
import os
import pickle
import queue as queue_module
import random
import subprocess
import sys
import threading
import time
import traceback
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Sequence

from ledgerdesk.core.clock import Clock
from ledgerdesk.core.errors import Cancelled, LedgerExistsError, NotFoundError, ValidationError
from ledgerdesk.core.gc_pause import collector_paused
from ledgerdesk.core.idcard import CHECK_CHARS, check_char
from ledgerdesk.core.ids import link_id, uuid7_fast_factory
from ledgerdesk.core import workdays
from ledgerdesk.core.vocab import BUILTIN_TAGS
from ledgerdesk.services import demo_data as D
from ledgerdesk.services import workspace
from ledgerdesk.services.accounts import ensure_admin
from ledgerdesk.services.session import Session
from ledgerdesk.core.lifecycle import derive
from ledgerdesk.services.ledger_queries import event_from_row, state_values, store_states
from ledgerdesk.store import search_index  # search-index bulk-load deferral (helper "search")
from ledgerdesk.store.models import (
    MODEL_BY_TABLE, ActivityAttendee, Committee, CommitteeActivity, CommitteeMember, Grid, GridWorker,
    Household, HouseholdTag, LinkHead, PartyCenter, Person, PersonPost, Problem, ProblemEvent,
    ProblemHousehold, Setting, Township, Village, VillageGroup, Visit, VisitHousehold,
)

Progress = Callable[[str, float], None]
CancelCheck = Callable[[], bool]


@dataclass(frozen=True)
class ScaleProfile:
    """How much a demo ledger holds (quality.md); ``center_bounds`` go into the ledger's settings.

    The default 5–15 households per 中心户 cannot hold with these figures
    (township ≈18, county ≈31 covered households per center), so a demo ledger
    sets bounds that fit its own density and leaves a few centers outside them.
    ``committees`` is always six per village: a village missing one of the six
    has a custom committee (老年协会 …) in its place.
    """

    villages: int
    households: int
    persons: int
    centers: int
    link_heads: int
    committees: int
    problems: int
    visits: int
    townships: int = 1
    center_bounds: tuple[int, int] = (5, 15)
    link_head_bounds: tuple[int, int] = (5, 15)

    def __post_init__(self):
        if self.committees != 6 * self.villages:
            raise ValueError("a demo village holds six committees")


SCALES: dict[str, ScaleProfile] = {
    "township": ScaleProfile(villages=15, households=12_000, persons=40_000, centers=600, link_heads=1_200,
                             committees=90, problems=3_000, visits=8_000, townships=1, center_bounds=(5, 30)),
    "county": ScaleProfile(villages=217, households=200_000, persons=680_000, centers=5_800, link_heads=16_000,
                           committees=1_302, problems=50_000, visits=100_000, townships=13,
                           center_bounds=(10, 50)),
}


@dataclass(frozen=True)
class DemoSummary:
    """What :func:`build_demo` wrote: rows inserted per table name, and how long it took."""

    scale: str
    seed: int
    counts: dict[str, int]
    seconds: float


# Connection settings for the private file a demo is built in (create_demo_ledger):
# no fsync and no rollback journal (a failed build is deleted, never rolled back),
# and CHECK constraints not evaluated per row — SQLite re-evaluates every
# `IN (…)` list for each inserted row, which costs as much as the insert itself.
# The generator only writes values from fixed tables; tests run integrity_check.
BUILD_PRAGMAS = {"synchronous": 0, "journal_mode": "off", "cache_size": -100_000,
                 "ignore_check_constraints": 1, "threads": 2, "page_size": 8192}

# From this size on, rows are made up in a child process while this one writes.
PARALLEL_MIN_PERSONS = 100_000

# Rates of the deliberate irregularities the analytics pages must find.
CENTER_OUTLIER_RATE = 0.02      # 中心户 covering too few or too many households
CENTER_LAPSED_RATE = 0.015      # center person died, moved away or left the party
LINK_OUTLIER_RATE = 0.015
LOW_COVERAGE_VILLAGES = 0.12    # share of villages with 60–72 % coverage
MISSING_COMMITTEE_VILLAGES = 0.07
INACTIVE_COMMITTEE_RATE = 0.1

WORK_START_MIN, WORK_END_MIN = 8 * 60 + 30, 17 * 60 + 30


# -- public API ------------------------------------------------------------------------------


def build_demo(session: Session, *, scale: str, seed: int = 1, progress: Progress | None = None,
               cancel: CancelCheck | None = None) -> DemoSummary:
    """Fill the open, empty ledger of ``session`` with demo data of ``scale``.

    One write transaction; ``progress(label, fraction)`` is called about fifty
    times, ``cancel()`` is polled between batches and a True answer raises
    :class:`Cancelled`. Refuses a ledger that already has villages.
    """
    profile = _profile(scale)
    ticker = _Ticker(progress, cancel)
    started = time.perf_counter()
    counts: dict[str, int] = {}
    # search_index.deferred: no per-row search-index triggers during the bulk insert; one rebuild at the end.
    with collector_paused(), session.writing() as writer, search_index.deferred(session.ledger.db):
        spec = _prepare(session, writer, scale, seed)

        def handle(message: tuple) -> None:
            if message[0] == "tick":
                ticker(message[1], message[2])
                return
            if message[0] == "states":  # problem_state rows derived by the generator (a local table)
                store_states(session.ledger.db, message[1])
                return
            _, table, columns, rows = message
            writer.insert_many(MODEL_BY_TABLE[table], columns, rows)
            counts[table] = counts.get(table, 0) + len(rows)

        _run_generator(spec, handle, parallel=profile.persons >= PARALLEL_MIN_PERSONS)
    return DemoSummary(scale, seed, dict(sorted(counts.items())), round(time.perf_counter() - started, 3))


def create_demo_ledger(path: str | os.PathLike, *, scale: str, seed: int = 1, clock: Clock | None = None,
                       progress: Progress | None = None, cancel: CancelCheck | None = None,
                       password: str | None = None) -> Session:
    """Build a new demo ledger file at ``path`` and return it opened.

    Refuses an existing file (:class:`LedgerExistsError`). The ledger is built
    in a sibling ``.building`` file with bulk-load settings and renamed into
    place only when complete, so a failure or a cancel leaves nothing at
    ``path``. An ``admin`` account is created, with ``password``, else
    LEDGERDESK_PASSWORD, else none yet.
    """
    path = Path(path)
    _profile(scale)
    _refuse_existing(path)
    tmp = path.with_name(path.name + ".building")
    _remove_db_files(tmp)
    session = workspace.create_ledger(tmp, township=workspace.DEFAULT_TOWNSHIP, clock=clock,
                                      pragmas=BUILD_PRAGMAS, numbering_authority=False)
    try:
        with _indexes_deferred(session):
            build_demo(session, scale=scale, seed=seed, progress=progress, cancel=cancel)
        ensure_admin(session, password if password is not None else os.environ.get("LEDGERDESK_PASSWORD"))
        session.close()
        _refuse_existing(path)
        os.replace(tmp, path)
    except BaseException:
        session.close()
        _remove_db_files(tmp)
        raise
    session = workspace.open_ledger(path, clock=clock)
    # Renamed into place, the file has a new site id (the authority is bound to it): only now
    # make it the township's numbering authority (the .building file was created without).
    from ledgerdesk.services.ledger_numbers import make_numbering_authority

    make_numbering_authority(session)
    return session


def _profile(scale: str) -> ScaleProfile:
    try:
        return SCALES[scale]
    except KeyError:
        raise ValidationError(f"未知的示范数据规模“{scale}”，可选：{'、'.join(SCALES)}", field="scale") from None


def _refuse_existing(path: Path) -> None:
    if path.exists():
        raise LedgerExistsError(f"文件“{path}”已存在，不会覆盖")


def _remove_db_files(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        try:
            os.remove(f"{path}{suffix}")
        except FileNotFoundError:
            pass


@contextmanager
def _indexes_deferred(session: Session) -> Iterator[None]:
    """Drop the secondary indexes and the insert guards for a bulk load; recreate them, from their own SQL, after.

    Building an index once over all keys is several times cheaper than keeping
    it up to date row by row, and the guard triggers (store/migrations.py) cost
    a version lookup per inserted row although every row here comes through
    the versioned writer. Only for the private file being built.
    """
    db = session.ledger.db
    objects = db.execute_sql(
        "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND "
        "(type = 'index' OR (type = 'trigger' AND name LIKE '%\\_guard\\_insert' ESCAPE '\\')) "
        "ORDER BY type, name").fetchall()
    for kind, name, _ in objects:
        db.execute_sql(f'DROP {kind.upper()} "{name}"')
    yield
    for _, _, sql in objects:
        db.execute_sql(sql)


# -- preparing, and running the generator -------------------------------------------------------


@dataclass(frozen=True)
class _Spec:
    """Everything the generator depends on; the same spec always gives the same rows."""

    scale: str
    seed: int
    now_ms: int
    now: dt.datetime
    township_id: str
    township_name: str


def _township_code(n: int) -> str:
    return f"{D.COUNTY_AREA_CODE}{100 + 2 * n:03d}"


def _prepare(session: Session, w, scale: str, seed: int) -> _Spec:
    """Check the ledger is empty; set the demo's center bounds and the township's county and code."""
    ledger = session.ledger
    if ledger.db.execute_sql("SELECT 1 FROM village LIMIT 1").fetchone():
        raise ValidationError("台账中已有村居数据，示范数据只能生成到新建的空台账")
    lo, hi = SCALES[scale].center_bounds
    for key, value in (("center.min_households", lo), ("center.max_households", hi)):
        sid = link_id("setting", key)
        try:
            w.update(Setting, sid, {"value": str(value)})
        except NotFoundError:
            w.insert(Setting, {"key": key, "value": str(value)}, id=sid)
    tid = ledger.get_meta("township_id")
    row = Township.get_or_none(Township.id == tid) if tid else None
    if row is None:
        tid = w.insert(Township, {"name": workspace.DEFAULT_TOWNSHIP})
        ledger.set_meta("township_id", tid)
        name = workspace.DEFAULT_TOWNSHIP
    else:
        name = row.name
    w.update(Township, tid, {"county": D.COUNTY_NAME, "code": _township_code(0)})
    clock = ledger.clock
    return _Spec(scale, seed, clock.now_ms(), clock.now().replace(microsecond=0), tid, name)


def _run_generator(spec: _Spec, handle: Callable[[tuple], None], *, parallel: bool) -> None:
    """Feed every message of the generator to ``handle``, made here or in a child process."""
    child = _start_child(spec) if parallel else None
    if child is None:
        _Builder(spec, handle).run()
        return
    try:
        while True:
            try:
                message = pickle.load(child.stdout)
            except (EOFError, pickle.UnpicklingError):
                raise RuntimeError(f"示范数据生成进程意外退出（退出码 {child.wait()}）") from None
            if message[0] == "done":
                break
            if message[0] == "error":
                raise RuntimeError(f"示范数据生成失败：\n{message[1]}")
            handle(message)
    finally:
        if child.poll() is None:
            child.kill()
        child.wait()
        child.stdout.close()


def _start_child(spec: _Spec) -> subprocess.Popen | None:
    """A Python child running :func:`_child_main`, or None where there is no interpreter to start.

    A plain ``python -c`` rather than multiprocessing: spawn would re-run the
    caller's unguarded ``__main__`` script, and fork is unsafe in a Qt process.
    """
    if getattr(sys, "frozen", False):
        return None
    package_root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (package_root, os.environ.get("PYTHONPATH"))))}
    try:
        child = subprocess.Popen(
            [sys.executable, "-c", "from ledgerdesk.services.demo import _child_main; _child_main()"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, bufsize=1 << 20,
            creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0))  # no console flashing up on Windows
    except OSError:
        return None
    pickle.dump(spec, child.stdin)
    child.stdin.close()
    return child


def _child_main() -> None:
    """The generator process: a spec on stdin, pickled messages on stdout, ending with "done".

    A writer thread sends while the main thread goes on generating.
    """
    gc.disable()  # this process only makes acyclic rows
    spec = pickle.load(sys.stdin.buffer)
    out = sys.stdout.buffer
    outbox: queue_module.Queue = queue_module.Queue(maxsize=64)  # a few villages ahead of the writer

    def drain() -> None:
        try:
            while (blob := outbox.get()) is not None:
                out.write(blob)
            out.flush()
        except OSError:  # the parent has gone (cancelled or died): stop at once
            os._exit(1)

    writer = threading.Thread(target=drain, name="demo-writer", daemon=True)
    writer.start()

    def send(message: tuple) -> None:
        outbox.put(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))

    try:
        _Builder(spec, send).run()
        send(("done",))
    except BaseException:  # reported to the parent, which raises it
        send(("error", traceback.format_exc()))
    outbox.put(None)
    writer.join()


# -- progress and small helpers ------------------------------------------------------------


class _Ticker:
    """Throttled progress reports and cancel polling."""

    def __init__(self, progress: Progress | None, cancel: CancelCheck | None):
        self._progress = progress
        self._cancel = cancel
        self._last = -1.0
        self._label = ""

    def __call__(self, label: str, fraction: float) -> None:
        if self._cancel is not None and self._cancel():
            raise Cancelled("已取消")
        if self._progress is not None and (label != self._label or fraction - self._last >= 0.02
                                           or fraction >= 1.0 > self._last):
            self._label, self._last = label, fraction
            self._progress(label, min(1.0, fraction))


def _expand(pairs: Sequence[tuple[object, int]]) -> tuple:
    """A weighted table flattened so one ``seq[int(random() * len)]`` draws from it."""
    return tuple(v for v, w in pairs for _ in range(w))


def _pick(rng: random.Random, seq: Sequence):
    return seq[int(rng.random() * len(seq))]


def _apportion(total: int, weights: Sequence[float]) -> list[int]:
    """Split ``total`` into integers proportional to ``weights`` (largest remainder)."""
    s = sum(weights)
    raw = [total * w / s for w in weights]
    out = [int(x) for x in raw]
    order = sorted(range(len(raw)), key=lambda i: (out[i] - raw[i], i))
    for i in order[: total - sum(out)]:
        out[i] += 1
    return out


def _split_sizes(rng: random.Random, total: int, parts: int, lo: int, hi: int, outlier_rate: float) -> list[int]:
    """``parts`` sizes summing to ``total``, mostly within [lo, hi], a few deliberately outside."""
    mean = total / parts
    spread = max(0.0, min(mean - lo, hi - mean)) * 0.85
    sizes = [max(1, round(mean + rng.uniform(-spread, spread))) for _ in range(parts)]
    fixed = set()
    for i in range(parts):
        if rng.random() < outlier_rate and lo > 1:
            sizes[i] = rng.randint(max(1, lo - 4), lo - 1) if rng.random() < 0.5 else rng.randint(hi + 2, hi + 12)
            fixed.add(i)
    adjustable = [i for i in range(parts) if i not in fixed] or list(range(parts))
    floor, ceiling = (lo, hi) if lo <= mean <= hi else (1, total)
    diff = total - sum(sizes)
    while diff:
        moved = False
        rng.shuffle(adjustable)
        for i in adjustable:
            step = 1 if diff > 0 else -1
            if floor <= sizes[i] + step <= ceiling:
                sizes[i] += step
                diff -= step
                moved = True
                if not diff:
                    break
        if not moved:
            floor, ceiling = 1, total
    return sizes


def _cn_number(n: int) -> str:
    """1 → 一, 12 → 十二, 25 → 二十五 (for group and grid names)."""
    digits = D.CN_NUMERALS
    if n <= 10:
        return digits[n]
    tens, ones = divmod(n, 10)
    return (digits[tens] if tens > 1 else "") + "十" + (digits[ones] if ones else "")


def _ts(at: dt.datetime) -> str:
    return at.isoformat(" ")


# -- the compact picture of a village the later phases need -----------------------------------


@dataclass
class _Village:
    id: str
    township: "_Township"
    index: int
    name: str
    kind: str
    code: str
    households: int
    coverage: float
    lat: float
    lon: float
    missing_types: tuple[str, ...] = ()   # 六大员 types no center of this village has
    # filled by the registry phase
    group_names: list[str] = field(default_factory=list)
    grid_ids: list[str] = field(default_factory=list)
    hh_ids: list[str] = field(default_factory=list)
    hh_grid: list[int] = field(default_factory=list)
    hh_group: list[int] = field(default_factory=list)
    hh_contact: list[tuple[str, str]] = field(default_factory=list)  # head's name and phone
    grid_workers: list[str] = field(default_factory=list)            # name per grid
    pastures: list[tuple[str, str]] = field(default_factory=list)     # winter, summer per group
    residents: list[tuple[str, str, bool]] = field(default_factory=list)  # sample: id, name, party
    cadres: list[str] = field(default_factory=list)
    secretary: str = ""

    @property
    def pastoral(self) -> bool:
        return self.kind == "嘎查"

    @property
    def unit(self) -> str:
        return self.name + D.VILLAGE_UNIT[self.kind]

    @property
    def branch(self) -> str:
        return self.name + D.BRANCH_SUFFIX[self.kind]


@dataclass
class _Township:
    id: str
    name: str
    code: str
    staff: list[str] = field(default_factory=list)   # office cadres: registrars
    leaders: list[str] = field(default_factory=list)  # dispatch and approve


class _Member:
    """One person while its household is being put together (a mutable row plus its age)."""

    __slots__ = ("row", "age", "male")

    def __init__(self, row: list, age: int, male: bool):
        self.row, self.age, self.male = row, age, male

    @property
    def present(self) -> bool:
        return self.row[P_STATUS] == "在册"

    @property
    def party(self) -> bool:
        return self.row[P_PARTY] == 1


class _Home:
    """One household while its village is being built."""

    __slots__ = ("row", "members", "tags")

    def __init__(self, row: list, members: list[_Member]):
        self.row, self.members, self.tags = row, members, []

    @property
    def id(self) -> str:
        return self.row[0]


PERSON_COLS = ("id", "household_id", "name", "gender", "birth_date", "id_number", "id_status", "phone",
               "relation", "ethnicity", "status", "is_party_member", "party_branch", "party_joined_on", "note")
P_NAME, P_PHONE, P_STATUS, P_PARTY, P_BRANCH, P_JOINED, P_NOTE = 2, 7, 10, 11, 12, 13, 14
HOUSEHOLD_COLS = ("id", "village_id", "group_id", "grid_id", "hh_no", "head_person_id", "address", "phone",
                  "level", "lat", "lon", "winter_pasture", "summer_pasture", "center_id", "link_head_id",
                  "status", "note")
H_PHONE, H_LEVEL, H_CENTER, H_LINK = 7, 8, 13, 14
EVENT_COLS = ("id", "problem_id", "kind", "at", "actor", "note", "responsible_person", "responsible_unit",
              "deadline", "deadline_kind", "reason", "approved_by", "rating", "rated_by", "rating_method",
              "revisit_result", "merged_into_id")
_EVENT_DEFAULTS = ("", "", None, None, "", "", None, "", "", "", None)
_EVENT_INDEX = {c: i for i, c in enumerate(EVENT_COLS)}
PROBLEM_COLS = ("id", "township_id", "year", "ledger_no", "title", "description", "source", "hotline_no",
                "category_id", "urgency", "village_id", "grid_id", "reporter", "reporter_phone", "registered_at")


# -- people ---------------------------------------------------------------------------------


def _residue(digits: str) -> int:
    """The weighted digit sum mod 11 of a partial number (positions not given count as zeros)."""
    return CHECK_CHARS.index(check_char(digits))


class _IdNumbers:
    """Valid 身份证号 at bulk speed, equal to :func:`core.idcard.make_id_number`'s.

    The check character depends only on the weighted digit sum mod 11, which is
    the sum of the parts' residues; so each area code, birth date and sequence
    number is summed once instead of once per person (tests compare the two).
    """

    def __init__(self):
        self._area: dict[str, int] = {}
        self._seq = [(f"{n:03d}", _residue("0" * 14 + f"{n:03d}")) for n in range(1000)]

    def make(self, area: str, birth: "_Birth", seq: int, male: bool) -> str:
        if (seq % 2 == 1) != male:
            seq = (seq + 1) % 1000
        ra = self._area.get(area)
        if ra is None:
            ra = self._area[area] = _residue(area)
        seq_text, rs = self._seq[seq]
        return f"{area}{birth[1]}{seq_text}{CHECK_CHARS[(ra + birth[2] + rs) % 11]}"


# A birth date as the generator needs it: (ISO text, YYYYMMDD, residue of those digits, year).
_Birth = tuple


class _People:
    """Names, birth dates, identity numbers and phones of made-up residents."""

    def __init__(self, today: dt.date):
        self.today = today
        self.today_ord = today.toordinal()
        self.surnames = _expand(D.SURNAMES)
        self.area_codes = _expand(D.OTHER_AREA_CODES)
        self.ethnicities = _expand(D.ETHNICITIES_FARMING)
        eras = sorted(D.GIVEN_CHARS)
        self.given_chars = {year: D.GIVEN_CHARS[eras[max(0, bisect.bisect_right(eras, year) - 1)]]
                            for year in range(1880, today.year + 1)}
        self.ids = _IdNumbers()
        self._births: dict[int, _Birth] = {}

    def surname(self, rnd) -> str:
        return self.surnames[int(rnd() * len(self.surnames))]

    def given(self, rnd, male: bool, year: int) -> str:
        male_chars, female_chars, two_share = self.given_chars[year]
        chars = male_chars if male else female_chars
        name = chars[int(rnd() * len(chars))]
        if rnd() < two_share:
            name += chars[int(rnd() * len(chars))]
        if rnd() < D.RARE_NAME_RATE:
            name = name[:-1] + D.RARE_CHARS[int(rnd() * len(D.RARE_CHARS))]
        return name

    def mongol(self, rnd, male: bool) -> str:
        names = D.MONGOL_GIVEN[male]
        given = names[int(rnd() * len(names))]
        if rnd() < 0.3 and len(given) <= 3:
            return D.MONGOL_SURNAMES[int(rnd() * len(D.MONGOL_SURNAMES))] + given
        return given

    def birth(self, rnd, age: int) -> _Birth:
        ordinal = self.today_ord - int(age * 365.25) - int(rnd() * 365)
        found = self._births.get(ordinal)
        if found is None:
            day = dt.date.fromordinal(ordinal)
            digits = f"{day:%Y%m%d}"
            found = self._births[ordinal] = (day.isoformat(), digits, _residue("000000" + digits), day.year)
        return found

    def id_number(self, rnd, birth: _Birth, male: bool) -> tuple[str, str]:
        """(身份证号, id_status): mostly valid, a few with a wrong check digit or missing."""
        r = rnd()
        if r < D.MISSING_ID_RATE:
            return "", "missing"
        area = D.COUNTY_AREA_CODE if rnd() < D.LOCAL_AREA_SHARE else self.area_codes[
            int(rnd() * len(self.area_codes))]
        number = self.ids.make(area, birth, int(rnd() * 1000), male)
        if r < D.MISSING_ID_RATE + D.INVALID_ID_RATE:
            wrong = CHECK_CHARS.replace(number[17], "")
            return number[:17] + wrong[int(rnd() * len(wrong))], "invalid"
        return number, "valid"

    @staticmethod
    def phone(rnd) -> str:
        return D.PHONE_PREFIXES[int(rnd() * len(D.PHONE_PREFIXES))] + "%08d" % int(rnd() * 100_000_000)


def _between(rnd, lo: int, hi: int) -> int:
    """Like ``randint`` for a bound ``random`` method, at a fraction of its cost."""
    return lo + int(rnd() * (hi - lo + 1))


def _triangular(rnd, lo: float, hi: float, mode: float) -> float:
    """``random.triangular`` for a bound ``random`` method."""
    u, c = rnd(), (mode - lo) / (hi - lo)
    if u > c:
        u, c, lo, hi = 1.0 - u, 1.0 - c, hi, lo
    return lo + (hi - lo) * (u * c) ** 0.5


def _household_shape(rnd, size: int) -> list[tuple[str, bool, int, str]]:
    """(relation, male, age, lineage) of each member, head first; lineage "s" shares the head's surname."""
    if size == 1:
        age = _between(rnd, 62, 90) if rnd() < 0.6 else _between(rnd, 24, 61)
        return [("户主", rnd() < 0.62, age, "s")]
    head_male = rnd() < 0.86
    three_gen = size >= 4 and rnd() < 0.35
    head_age = _between(rnd, 50, 76) if three_gen else int(_triangular(rnd, 25, 80, 44))
    shape = [("户主", head_male, head_age, "s")]
    if size >= 3 or rnd() < 0.75:
        shape.append(("配偶", not head_male, max(20, head_age + _between(rnd, -4, 3)), "o"))
    if three_gen and size - len(shape) >= 2:
        son_age = head_age - _between(rnd, 23, 30)
        shape.append(("子", True, son_age, "s"))
        shape.append(("儿媳", False, max(20, son_age + _between(rnd, -3, 2)), "o"))
        kid_age = _between(rnd, 0, max(0, son_age - 21))
        while len(shape) < size:
            male = rnd() < 0.52
            shape.append(("孙子" if male else "孙女", male, kid_age, "s"))
            kid_age = max(0, kid_age - _between(rnd, 1, 5))
        return shape
    if size - len(shape) >= 2 and head_age < 58 and rnd() < 0.2:
        father = rnd() < 0.4
        shape.append(("父亲" if father else "母亲", father, head_age + _between(rnd, 24, 32), "s" if father else "o"))
    kid_age = head_age - _between(rnd, 22, 32)
    while len(shape) < size:
        male = rnd() < 0.52
        shape.append(("子" if male else "女", male, max(0, kid_age), "s"))
        kid_age -= _between(rnd, 1, 5)
    return shape


# -- the builder ----------------------------------------------------------------------------


class _Builder:
    """Makes up one demo ledger as messages for a sink; phases run in a fixed order for determinism.

    Messages: ``("rows", table, columns, rows)`` and ``("tick", label, fraction)``.
    """

    def __init__(self, spec: _Spec, emit: Callable[[tuple], None]):
        self.spec, self.emit = spec, emit
        self.profile = SCALES[spec.scale]
        self.now = spec.now
        self.today = spec.now.date()
        self.master = random.Random(spec.seed)
        self.new_id = uuid7_fast_factory(spec.now_ms, f"ledgerdesk-demo:{spec.seed}".encode()).__next__
        self.people = _People(self.today)
        self.tag_ids = {name: link_id("tag", name) for name in BUILTIN_TAGS}
        self.townships: list[_Township] = []
        self.villages: list[_Village] = []

    def rng(self) -> random.Random:
        """A fresh stream drawn from the seed (in build order, so runs repeat exactly)."""
        return random.Random(self.master.getrandbits(64))

    def put(self, model, columns: Sequence[str], rows: list) -> None:
        if rows:
            self.emit(("rows", model._meta.table_name, tuple(columns), rows))

    def tick(self, label: str, fraction: float) -> None:
        self.emit(("tick", label, fraction))

    def put_links(self, model, columns: Sequence[str], rows: list, label: str, start: float, end: float) -> None:
        """Link rows have hash ids: written sorted, in chunks, so index pages fill in order."""
        rows.sort()
        chunk = 20_000
        for i in range(0, len(rows), chunk):
            self.tick(label, start + (end - start) * i / max(1, len(rows)))
            self.put(model, columns, rows[i:i + chunk])

    def run(self) -> None:
        self.tick("准备示范数据", 0.0)
        self._townships()
        self._villages()
        _Registry(self).run(0.02, 0.62)
        _Committees(self).run(0.62, 0.68)
        _Visits(self).run(0.68, 0.8)
        _Problems(self).run(0.8, 1.0)
        self.tick("示范数据已生成", 1.0)

    # -- townships and villages ------------------------------------------------------------

    def _townships(self) -> None:
        spec = self.spec
        self.townships.append(_Township(spec.township_id, spec.township_name, _township_code(0)))
        extra = []
        for i, other in enumerate(D.OTHER_TOWNSHIPS[: self.profile.townships - 1], start=1):
            t = _Township(self.new_id(), other, _township_code(i))
            self.townships.append(t)
            extra.append((t.id, t.name, D.COUNTY_NAME, t.code))
        self.put(Township, ("id", "name", "county", "code"), extra)
        rng = self.rng()
        for t in self.townships:
            t.staff = [self._cadre_name(rng) for _ in range(8)]
            t.leaders = [self._cadre_name(rng) for _ in range(4)]

    def _cadre_name(self, rng: random.Random) -> str:
        male = rng.random() < 0.6
        return self.people.surname(rng.random) + self.people.given(rng.random, male, rng.randint(1965, 1995))

    def _villages(self) -> None:
        rng = self.rng()
        p = self.profile
        kinds = [k for k, n in zip((k for k, _ in D.VILLAGE_KINDS),
                                   _apportion(p.villages, [w for _, w in D.VILLAGE_KINDS])) for _ in range(n)]
        rng.shuffle(kinds)
        names = _village_names(rng, kinds)
        weights = [D.VILLAGE_SIZE_FACTOR[k] * rng.lognormvariate(0, 0.3) for k in kinds]
        sizes = _apportion(p.households, weights)
        per_township = _apportion(p.villages, [1.0 + 0.3 * rng.random() for _ in self.townships])
        low = set(rng.sample(range(p.villages), max(1, round(p.villages * LOW_COVERAGE_VILLAGES))))
        township_of = [t for t, n in zip(self.townships, per_township) for _ in range(n)]
        rows, seq_in_township = [], {}
        for i, (kind, name, size, township) in enumerate(zip(kinds, names, sizes, township_of)):
            n = seq_in_township[township.id] = seq_in_township.get(township.id, 0) + 1
            coverage = rng.uniform(0.6, 0.72) if i in low else rng.uniform(0.91, 0.985)
            missing = ("zhifu",) if i in low else ()
            v = _Village(self.new_id(), township, i, name, kind, f"{township.code}{200 + n:03d}", size, coverage,
                         round(rng.uniform(*D.LAT_RANGE), 6), round(rng.uniform(*D.LON_RANGE), 6), missing)
            self.villages.append(v)
            rows.append((v.id, township.id, name, kind, v.code, n))
        self.put(Village, ("id", "township_id", "name", "kind", "code", "sort_order"), rows)


def _village_names(rng: random.Random, kinds: list[str]) -> list[str]:
    """Distinct village names in the style of each kind."""
    pools = {
        "村": [w + s + "村" for w in D.VILLAGE_WORDS for s in ("", "营子", "沟", "屯", "堡", "湾", "台")],
        "嘎查": [w + s + "嘎查" for w in D.GACHA_WORDS for s in ("", "图", "高勒", "淖尔", "宝力格")],
        "社区": [w + s + "社区" for w in D.COMMUNITY_WORDS for s in ("", "东", "西", "新")],
    }
    for pool in pools.values():
        rng.shuffle(pool)
    return [pools[k].pop() for k in kinds]


# -- phase 1: registry ----------------------------------------------------------------------


class _Registry:
    """Groups, grids, households, persons, tags, 中心户, 联户长, grid workers and posts, village by village."""

    def __init__(self, b: _Builder):
        self.b = b
        self.people = b.people
        p = b.profile
        rng = b.rng()
        sizes = _household_sizes(rng, p.households, p.persons)
        self.sizes = iter(sizes)
        villages = b.villages
        self.centers = _apportion(p.centers, [v.households * v.coverage for v in villages])
        self.link_heads = _apportion(p.link_heads, [v.households for v in villages])
        self.tag_rows: list[tuple[str, str, str]] = []

    def run(self, start: float, end: float) -> None:
        b = self.b
        n = len(b.villages)
        for i, v in enumerate(b.villages):
            b.tick("生成户籍、中心户和联户长", start + (end - start - 0.04) * i / n)
            self._village(v, b.rng(), self.centers[i], self.link_heads[i])
        b.put_links(HouseholdTag, ("id", "household_id", "tag_id"), self.tag_rows, "写入户标签", end - 0.04, end)

    def _village(self, v: _Village, rng: random.Random, n_centers: int, n_links: int) -> None:
        b = self.b
        groups, grids = self._layout(v, rng)
        homes = [self._home(v, rng, i, next(self.sizes), groups, grids) for i in range(v.households)]
        centers = self._centers(v, rng, homes, n_centers)
        links = self._link_heads(v, rng, homes, n_links)
        workers, posts = self._staff(v, rng, homes, groups, grids, centers)
        self._summarise(v, rng, homes)
        b.put(VillageGroup, ("id", "village_id", "name", "kind"), [(g[0], v.id, g[1], g[2]) for g in groups])
        b.put(Grid, ("id", "village_id", "name", "code"), [(g[0], v.id, g[1], g[2]) for g in grids])
        b.put(Household, HOUSEHOLD_COLS, [h.row for h in homes])
        b.put(Person, PERSON_COLS, [m.row for h in homes for m in h.members])
        b.put(PartyCenter, ("id", "village_id", "household_id", "person_id", "types", "designated_on",
                            "standard_notes"), centers)
        b.put(LinkHead, ("id", "village_id", "person_id", "household_id", "designated_on"), links)
        b.put(GridWorker, ("id", "grid_id", "person_id", "role", "since"), workers)
        b.put(PersonPost, ("id", "person_id", "post", "unit_id", "since"), posts)
        tag_ids = b.tag_ids
        self.tag_rows.extend((link_id("household_tag", h.id, tag_ids[t]), h.id, tag_ids[t])
                             for h in homes for t in h.tags)

    # -- layout and households ------------------------------------------------------------

    def _layout(self, v: _Village, rng: random.Random) -> tuple[list, list]:
        """Groups and grids as (id, name, kind-or-code); households fill them in order."""
        n_groups = max(2, round(v.households / D.GROUP_SIZE[v.kind]))
        n_grids = max(1, round(v.households / D.GRID_SIZE[v.kind]))
        group_kind = D.GROUP_KIND[v.kind]
        groups = [(self.b.new_id(), f"第{_cn_number(i)}{group_kind}", group_kind) for i in range(1, n_groups + 1)]
        grids = [(self.b.new_id(), f"{v.name}第{_cn_number(i)}网格", f"{v.code}{i:02d}")
                 for i in range(1, n_grids + 1)]
        v.group_names = [g[1] for g in groups]
        v.grid_ids = [g[0] for g in grids]
        v.hh_group = [i * n_groups // v.households for i in range(v.households)]
        v.hh_grid = [i * n_grids // v.households for i in range(v.households)]
        v.hh_ids = [self.b.new_id() for _ in range(v.households)]
        v.pastures = [(_pick(rng, D.PASTURE_WORDS) + "冬营盘", _pick(rng, D.PASTURE_WORDS) + "夏营盘")
                      for _ in groups]
        return groups, grids

    def _home(self, v: _Village, rng: random.Random, i: int, size: int, groups: list, grids: list) -> _Home:
        hid = v.hh_ids[i]
        g = v.hh_group[i]
        members = self._members(v, rng, hid, size)
        head = members[0].row
        phone = next((m.row[P_PHONE] for m in members if m.row[P_PHONE]), "")
        lat = lon = None
        winter = summer = ""
        if v.pastoral:
            lat = round(v.lat + rng.gauss(0, 0.06), 6)
            lon = round(v.lon + rng.gauss(0, 0.08), 6)
            winter, summer = v.pastures[g]
        row = [hid, v.id, groups[g][0], v.grid_ids[v.hh_grid[i]], f"{v.code[-6:]}{i + 1:04d}", head[0],
               self._address(v, i, groups[g][1]), phone, "绿", lat, lon, winter, summer, None, None, "在册", ""]
        home = _Home(row, members)
        self._tags(v, rng, home)
        return home

    @staticmethod
    def _address(v: _Village, i: int, group: str) -> str:
        if v.kind == "社区":
            estate = D.ESTATE_WORDS[(i // 240) % len(D.ESTATE_WORDS)]
            return f"{v.name}{estate}{i // 24 % 10 + 1}号楼{i // 8 % 3 + 1}单元{i % 8 // 2 + 1}0{i % 2 + 1}室"
        if v.pastoral:
            return f"{v.name}{group}"
        first_in_group = -(-v.hh_group[i] * v.households // len(v.group_names))
        return f"{v.name}{group}{i - first_in_group + 1}号"

    def _members(self, v: _Village, rng: random.Random, hid: str, size: int) -> list[_Member]:
        people, rnd, new_id = self.people, rng.random, self.b.new_id
        mongol = v.pastoral and rnd() < D.MONGOL_HOUSEHOLD_SHARE_GACHA
        ethnicity = "蒙古族" if mongol else people.ethnicities[int(rnd() * len(people.ethnicities))]
        surname = people.surname(rnd)
        this_year = people.today.year
        members = []
        for relation, male, age, lineage in _household_shape(rnd, size):
            birth = people.birth(rnd, age)
            if mongol and (lineage == "s" or rnd() < 0.8):
                name, eth = people.mongol(rnd, male), "蒙古族"
            elif lineage == "s":
                name, eth = surname + people.given(rnd, male, birth[3]), ethnicity
            else:
                name, eth = people.surname(rnd) + people.given(rnd, male, birth[3]), "汉族"
            number, id_status = people.id_number(rnd, birth, male)
            status = _status(rnd, age, relation)
            phone = people.phone(rnd) if age >= 16 and status != "去世" and rnd() < (
                0.45 if age >= 75 else 0.9) else ""
            gender = "男" if male else "女"
            row = [new_id(), hid, name, gender, birth[0], number, id_status, phone, relation, eth, status, 0, "",
                   None, ""]
            if age >= 20 and rnd() < D.PARTY_RATE[gender]:
                _join_party(rnd, row, v.branch, birth[3], this_year)
            members.append(_Member(row, age, male))
        return members

    def _tags(self, v: _Village, rng: random.Random, home: _Home) -> None:
        """Tags follow the members where they can (留守, 独居, 外出) and base rates otherwise; then 三色."""
        present = [m for m in home.members if m.present]
        away = any(m.row[P_STATUS] == "外出" for m in home.members)
        elderly = any(m.age >= 60 for m in present)
        working = any(18 <= m.age < 60 for m in present)
        tags = home.tags
        if away:
            if rng.random() < 0.6:
                tags.append("外出务工")
            if elderly and (not working or rng.random() < 0.35):
                tags.append("留守老人")
            if any(m.age < 16 for m in present) and rng.random() < 0.7:
                tags.append("留守儿童")
        if len(present) == 1 and present[0].age >= 60:
            tags.append("独居老人")
        for tag, rate in D.RANDOM_TAG_RATES:
            if rng.random() < rate * (2.5 if tag in ("低保", "特困") and "独居老人" in tags else 1):
                tags.append(tag)
        for tag, rate in (D.COMMUNITY_TAG_RATES if v.kind == "社区" else D.VILLAGE_TAG_RATES):
            if rng.random() < rate:
                tags.append(tag)
        if v.pastoral and rng.random() < 0.92:
            tags.append("牧户")
        level = "绿"
        if ("特困" in tags and rng.random() < 0.5) or rng.random() < 0.012:
            level = "红"
        elif (rng.random() < 0.35 and any(t in tags for t in ("低保", "独居老人", "留守儿童", "残疾", "脱贫监测户"))
              or rng.random() < 0.05):
            level = "黄"
        if level == "红" or (level == "黄" and rng.random() < 0.1):
            tags.append("重点关注")
        home.row[H_LEVEL] = level

    # -- coverage: 中心户 and 联户长 ----------------------------------------------------------

    def _centers(self, v: _Village, rng: random.Random, homes: list[_Home], n_centers: int) -> list[tuple]:
        """中心户 over contiguous runs of covered households; gaps bunched in low-coverage villages."""
        n = len(homes)
        uncovered = round(n * (1 - v.coverage))
        mask = bytearray(b"\x01") * n
        if v.coverage < 0.8:
            block = round(uncovered * 0.85)
            first = rng.randrange(n - block + 1)
            mask[first:first + block] = bytes(block)
        rest = uncovered - (n - sum(mask))
        for i in rng.sample([i for i in range(n) if mask[i]], max(0, rest)):
            mask[i] = 0
        lo, hi = self.b.profile.center_bounds
        types = [t for t in D.CENTER_TYPES if t not in v.missing_types]
        rows = []
        for run in _runs(rng, [h for h, m in zip(homes, mask) if m], n_centers, lo, hi, CENTER_OUTLIER_RATE):
            home, member = _party_member_in(rng, run, v, self.b.today.year)
            cid = self.b.new_id()
            for h in run:
                h.row[H_CENTER] = cid
            chosen = set(rng.sample(types, rng.choice((1, 1, 2, 2, 3))))
            if rng.random() < CENTER_LAPSED_RATE:
                _lapse(rng, member.row)
            rows.append((cid, v.id, home.id, member.row[0], ",".join(t for t in types if t in chosen),
                         (self.b.today - dt.timedelta(days=rng.randint(60, 1800))).isoformat(),
                         _pick(rng, D.STANDARD_NOTES)))
        return rows

    def _link_heads(self, v: _Village, rng: random.Random, homes: list[_Home], n_links: int) -> list[tuple]:
        unlinked = set(rng.sample(range(len(homes)), round(len(homes) * rng.uniform(0.002, 0.015))))
        linked = [h for i, h in enumerate(homes) if i not in unlinked]
        lo, hi = self.b.profile.link_head_bounds
        rows = []
        for run in _runs(rng, linked, n_links, lo, hi, LINK_OUTLIER_RATE):
            home, member = _resident_in(rng, run)
            lid = self.b.new_id()
            for h in run:
                h.row[H_LINK] = lid
            rows.append((lid, v.id, member.row[0], home.id,
                         (self.b.today - dt.timedelta(days=rng.randint(30, 1500))).isoformat()))
        return rows

    # -- grid workers, group posts, the village's cadres -------------------------------------

    def _staff(self, v: _Village, rng: random.Random, homes: list[_Home], groups: list, grids: list,
               centers: list[tuple]) -> tuple[list, list]:
        """One 网格员 per grid, one 网格长 per village, group leaders and 党小组长.

        In a 嘎查 the first group's 中心户 person is also its 党小组长, 牧民小组长
        and the 网格长: 四岗一肩挑, which the coverage page reports.
        """
        b = self.b

        def since() -> str:
            return (b.today - dt.timedelta(days=rng.randint(90, 2000))).isoformat()

        by_group: list[list[_Home]] = [[] for _ in groups]
        for i, h in enumerate(homes):
            by_group[v.hh_group[i]].append(h)
        by_id = {m.row[0]: m for h in homes for m in h.members}
        workers, posts = [], []
        v.grid_workers = []
        for gi, grid in enumerate(grids):
            run = [h for i, h in enumerate(homes) if v.hh_grid[i] == gi]
            _, m = _resident_in(rng, run, prefer_party=True)
            workers.append((b.new_id(), grid[0], m.row[0], "网格员", since()))
            v.grid_workers.append(m.row[P_NAME])
        _, secretary = _party_member_in(rng, homes, v, b.today.year)
        v.secretary = secretary.row[P_NAME]
        chief = secretary
        four_posts = None
        if v.pastoral:
            group_one = {h.id for h in by_group[0]}
            four_posts = next((by_id[c[3]] for c in centers if c[2] in group_one and by_id[c[3]].party
                               and by_id[c[3]].present), None)
            chief = four_posts or secretary
        workers.append((b.new_id(), grids[0][0], chief.row[0], "网格长", since()))
        leader_post = D.GROUP_LEADER_POST.get(v.kind)
        for gi, (gid, _, _) in enumerate(groups):
            if leader_post is None:
                break
            special = four_posts if gi == 0 else None
            leader = special or _resident_in(rng, by_group[gi])[1]
            posts.append((b.new_id(), leader.row[0], leader_post, gid, since()))
            if special or rng.random() < 0.5:
                member = special or _party_member_in(rng, by_group[gi], v, b.today.year)[1]
                posts.append((b.new_id(), member.row[0], "党小组长", gid, since()))
        v.cadres = [v.secretary, *v.grid_workers, *(by_id[c[3]].row[P_NAME] for c in centers[:6])]
        return workers, posts

    def _summarise(self, v: _Village, rng: random.Random, homes: list[_Home]) -> None:
        """Keep what the later phases need: contacts per household and a sample of residents."""
        v.hh_contact = [(h.members[0].row[P_NAME], h.row[H_PHONE]) for h in homes]
        adults = [(m.row[0], m.row[P_NAME], m.party) for h in homes for m in h.members
                  if m.present and 20 <= m.age <= 75]
        v.residents = rng.sample(adults, min(len(adults), 300))


def _household_sizes(rng: random.Random, households: int, persons: int) -> list[int]:
    """Household sizes from a realistic distribution, nudged to sum to exactly ``persons``."""
    table = _expand(D.HOUSEHOLD_SIZES)
    sizes = [_pick(rng, table) for _ in range(households)]
    diff = persons - sum(sizes)
    while diff:
        i = rng.randrange(households)
        if diff > 0 and sizes[i] < 9:
            sizes[i] += 1
            diff -= 1
        elif diff < 0 and sizes[i] > 1:
            sizes[i] -= 1
            diff += 1
    return sizes


def _status(rnd, age: int, relation: str) -> str:
    r = rnd()
    if 18 <= age <= 50 and r < D.AWAY_RATE_WORKING_AGE * (0.4 if relation == "户主" else 1):
        return "外出"
    if relation != "户主":
        if age >= 70 and r > 1 - D.DECEASED_RATE_ELDERLY:
            return "去世"
        if r > 1 - D.MOVED_OUT_RATE:
            return "迁出"
    return "在册"


def _join_party(rnd, row: list, branch: str, birth_year: int, this_year: int) -> None:
    year = min(birth_year + _between(rnd, 21, 45), this_year - 1)
    row[P_PARTY], row[P_BRANCH] = 1, branch
    row[P_JOINED] = f"{year:04d}-{_between(rnd, 1, 12):02d}-{_between(rnd, 1, 28):02d}"


def _lapse(rng: random.Random, row: list) -> None:
    """Make a center person no longer fit: died, moved away, or left the party."""
    r = rng.random()
    if r < 1 / 3:
        row[P_STATUS] = "去世"
    elif r < 2 / 3:
        row[P_STATUS] = "迁出"
    else:
        row[P_PARTY] = 0
        row[P_NOTE] = "党组织关系已转出"


def _runs(rng: random.Random, homes: list[_Home], parts: int, lo: int, hi: int, outlier_rate: float
          ) -> Iterator[list[_Home]]:
    """Split households (in neighbourhood order) into ``parts`` contiguous runs."""
    parts = min(parts, len(homes))
    if not parts:
        return
    at = 0
    for size in _split_sizes(rng, len(homes), parts, lo, hi, outlier_rate):
        yield homes[at:at + size]
        at += size


def _resident_in(rng: random.Random, homes: list[_Home], prefer_party: bool = False) -> tuple[_Home, _Member]:
    """An adult present member of one of ``homes`` (the head when possible)."""
    order = list(homes)
    rng.shuffle(order)
    fallback = None
    for h in order:
        adults = [m for m in h.members if m.present and 20 <= m.age <= 70]
        if adults:
            if prefer_party and not any(m.party for m in adults) and fallback is None:
                fallback = (h, adults[0])
                continue
            party = [m for m in adults if m.party] if prefer_party else []
            return h, (party or adults)[0]
    if fallback:
        return fallback
    h = order[0]
    h.members[0].row[P_STATUS] = "在册"
    return h, h.members[0]


def _party_member_in(rng: random.Random, homes: list[_Home], v: _Village, this_year: int
                     ) -> tuple[_Home, _Member]:
    """A present party member among ``homes``; if there is none, one of them joins the party."""
    candidates = [(h, m) for h in homes for m in h.members if m.party and m.present]
    if candidates:
        return _pick(rng, candidates)
    home, member = _resident_in(rng, homes)
    _join_party(rng.random, member.row, v.branch, int(member.row[4][:4]), this_year)
    return home, member


# -- phase 2: 六会 ------------------------------------------------------------------------------


class _Committees:
    """Six committees per village with members, monthly activities and attendees."""

    def __init__(self, b: _Builder):
        self.b = b
        self.attendees: list[tuple[str, str, str]] = []

    def run(self, start: float, end: float) -> None:
        b = self.b
        rng = b.rng()
        villages = b.villages
        missing = set(rng.sample(range(len(villages)), max(1, round(len(villages) * MISSING_COMMITTEE_VILLAGES))))
        committees, members, activities = [], [], []
        for i, v in enumerate(villages):
            if i % 10 == 0:
                b.tick("生成六会组织和活动", start + (end - start) * 0.7 * i / len(villages))
            kinds = list(D.COMMITTEE_KINDS)
            if i in missing:
                kinds[rng.randrange(6)] = D.CUSTOM_COMMITTEE
            for kind in kinds:
                self._committee(v, rng, kind, committees, members, activities)
        b.put(Committee, ("id", "village_id", "kind", "name", "founded_on", "charter"), committees)
        b.put(CommitteeMember, ("id", "committee_id", "person_id", "role", "joined_on"), members)
        b.put(CommitteeActivity, ACTIVITY_COLS, activities)
        b.put_links(ActivityAttendee, ("id", "activity_id", "person_id"), self.attendees,
                    "写入活动参与人", start + (end - start) * 0.85, end)

    def _committee(self, v: _Village, rng: random.Random, kind: str, committees: list, members: list,
                   activities: list) -> None:
        b = self.b
        cid = b.new_id()
        name = D.COMMITTEE_KINDS.get(kind) or _pick(rng, D.CUSTOM_COMMITTEE_NAMES)
        founded = dt.date(rng.randint(2018, 2023), rng.randint(1, 12), rng.randint(1, 28))
        committees.append((cid, v.id, kind, name, founded.isoformat(),
                           f"{v.name}{name}章程（{founded.year}年{founded.month}月村民代表大会通过）"))
        people = rng.sample(v.residents, min(len(v.residents), rng.randint(7, 13)))
        people.sort(key=lambda p: not p[2])  # party members lead more often
        roles = ["会长", "副会长"] + (["副会长"] if rng.random() < 0.4 else []) + ["秘书长"]
        for j, (pid, _, _) in enumerate(people):
            joined = founded if j < 4 or rng.random() < 0.6 else founded + dt.timedelta(days=rng.randint(30, 900))
            members.append((b.new_id(), cid, pid, roles[j] if j < len(roles) else "成员",
                            min(joined, b.today).isoformat()))
        for held in _activity_dates(rng, b.today, founded, kind):
            activities.append(self._activity(v, rng, cid, kind, held, [p[0] for p in people]))

    def _activity(self, v: _Village, rng: random.Random, cid: str, kind: str, held: dt.date,
                  member_ids: list[str]) -> tuple:
        aid = self.b.new_id()
        kinds, topics = D.COMMITTEE_ACTIVITIES[kind]
        figures = _activity_figures(rng, kind)
        present = rng.sample(member_ids, max(1, round(len(member_ids) * rng.uniform(0.6, 1.0))))
        guests = [r[0] for r in rng.sample(v.residents, min(len(v.residents), rng.randint(0, 3)))]
        for pid in dict.fromkeys(present + guests):
            self.attendees.append((link_id("activity_attendee", aid, pid), aid, pid))
        return (aid, cid, held.isoformat(), _pick(rng, kinds), _pick(rng, topics), _pick(rng, D.ACTIVITY_DECISIONS),
                _pick(rng, D.ACTIVITY_OUTCOMES), *figures)


ACTIVITY_COLS = ("id", "committee_id", "held_on", "kind", "topic", "decisions", "outcome", "events_handled",
                 "guests", "money_saved_yuan", "evaluations", "red_list", "black_list", "patrols")


def _activity_dates(rng: random.Random, today: dt.date, founded: dt.date, kind: str) -> list[dt.date]:
    """Roughly monthly over the past year; an inactive committee stopped some months ago."""
    rate = 0.4 if kind == D.CUSTOM_COMMITTEE else rng.uniform(0.55, 0.9)
    quiet_months = rng.randint(4, 9) if rng.random() < INACTIVE_COMMITTEE_RATE else 0
    dates = []
    for back in range(quiet_months, 12):
        if rng.random() >= rate:
            continue
        month_start = _add_months(today.replace(day=1), -back)
        held = month_start.replace(day=rng.randint(1, 28))
        if founded <= held <= today:
            dates.append(held)
    return sorted(dates)


def _add_months(d: dt.date, months: int) -> dt.date:
    y, m = divmod(d.month - 1 + months, 12)
    return d.replace(year=d.year + y, month=m + 1)


def _activity_figures(rng: random.Random, kind: str) -> tuple[int, ...]:
    """(events_handled, guests, money_saved_yuan, evaluations, red_list, black_list, patrols)."""
    if kind == "hongbai":
        events = rng.randint(1, 6)
        return (events, events * rng.randint(60, 260), events * rng.randrange(5_000, 30_000, 500), 0, 0, 0, 0)
    if kind == "daode":
        return (0, 0, 0, rng.randint(5, 30), rng.randint(1, 8), rng.randint(0, 3), 0)
    if kind == "lianfang":
        return (0, 0, 0, 0, 0, 0, rng.randint(2, 12))
    return (0, 0, 0, 0, 0, 0, 0)


# -- phase 3: visits --------------------------------------------------------------------------


class _Visits:
    """Visits over the past year, with the households visited."""

    def __init__(self, b: _Builder):
        self.b = b

    def run(self, start: float, end: float) -> None:
        b = self.b
        rng = b.rng()
        kinds = _expand(D.VISIT_KINDS)
        per_village = _apportion(b.profile.visits, [v.households for v in b.villages])
        visits, links = [], []
        for i, (v, count) in enumerate(zip(b.villages, per_village)):
            if i % 10 == 0:
                b.tick("生成走访记录", start + (end - start) * 0.6 * i / len(b.villages))
            for _ in range(count):
                visits.append(self._visit(v, rng, _pick(rng, kinds), links))
            if len(visits) >= 20_000:
                b.put(Visit, VISIT_COLS, visits)
                visits = []
        b.put(Visit, VISIT_COLS, visits)
        b.put_links(VisitHousehold, ("id", "visit_id", "household_id"), links, "写入走访户", start + (end - start) * 0.7,
                    end)

    def _visit(self, v: _Village, rng: random.Random, kind: str, links: list) -> tuple:
        vid = self.b.new_id()
        day = self.b.today - dt.timedelta(days=int(rng.random() * 365))
        n = len(v.hh_ids)
        count = rng.randint(2, 5) if kind in ("院坝会", "田埂会") else (1 if rng.random() < 0.93 else 2)
        first = rng.randrange(n)
        for k in range(min(count, n)):
            hid = v.hh_ids[(first + k) % n]
            links.append((link_id("visit_household", vid, hid), vid, hid))
        visitors = "、".join(rng.sample(v.cadres, min(len(v.cadres), rng.randint(1, 2))))
        findings = "；".join(rng.sample(D.VISIT_FINDINGS, rng.randint(1, 2)))
        needs = _pick(rng, D.VISIT_NEEDS) if rng.random() < D.NEED_RATE else ""
        return (vid, v.id, day.isoformat(), kind, visitors, findings, needs,
                (day + dt.timedelta(days=rng.choice((30, 60, 90)))).isoformat())


VISIT_COLS = ("id", "village_id", "visited_on", "kind", "visitors", "findings", "needs", "next_due")


# -- phase 4: problems ------------------------------------------------------------------------


@dataclass
class _Draft:
    """A problem before it is numbered: registration facts plus what its lifecycle needs."""

    registered_at: dt.datetime
    village: _Village
    source: str
    category: tuple[str, str]
    urgency: str
    homes: list[int]
    reporter: str
    reporter_phone: str
    place: str
    id: str = ""


class _Problems:
    """The problem ledger: registrations numbered per township and year, then each lifecycle."""

    def __init__(self, b: _Builder):
        self.b = b
        self.sources = _expand(D.SOURCES)
        self.urgencies = _expand(D.URGENCIES)
        self.categories = _expand(list(D.CATEGORY_WEIGHTS.items()))
        self.category_ids = {c: link_id("category", *c) for c in D.CATEGORY_WEIGHTS}
        self.ratings = _expand(D.RATINGS)
        self.methods = _expand(D.RATING_METHODS)
        self.hotline_seq = 0
        self.links: list[tuple[str, str, str]] = []

    def run(self, start: float, end: float) -> None:
        b = self.b
        rng = b.rng()
        weights = [v.households * (1.3 if v.coverage < 0.8 else 1.0) for v in b.villages]
        drafts = []
        for v, count in zip(b.villages, _apportion(b.profile.problems, weights)):
            drafts.extend(self._draft(v, rng) for _ in range(count))
        drafts.sort(key=lambda d: (d.registered_at, d.village.index))
        numbers: dict[tuple[str, int], int] = {}
        last_in_village: dict[str, str] = {}
        chunk = 2_000
        for at in range(0, len(drafts), chunk):
            b.tick("生成问题台账", start + (end - start) * 0.85 * at / len(drafts))
            problems, events, states = [], [], []
            for d in drafts[at:at + chunk]:
                d.id = b.new_id()
                problems.append(self._problem_row(d, rng, numbers))
                self.links.extend((link_id("problem_household", d.id, d.village.hh_ids[i]), d.id, d.village.hh_ids[i])
                             for i in d.homes)
                merge_into = last_in_village.get(d.village.id) if rng.random() < 0.008 else None
                story = _Lifecycle(self, rng, d).events(merge_into)
                events.extend(story)
                # Derived here, in the generator (a child process at county scale), so the parent
                # need not replay every event again after the bulk insert.
                states.append(state_values(d.id, derive([event_from_row((r[2], r[3], r[0], *r[4:])) for r in story])))
                last_in_village[d.village.id] = d.id
            b.put(Problem, PROBLEM_COLS, problems)
            b.put(ProblemEvent, EVENT_COLS, events)
            b.emit(("states", states))
        b.put_links(ProblemHousehold, ("id", "problem_id", "household_id"), self.links, "写入问题关联户",
                    start + (end - start) * 0.9, end)

    def _draft(self, v: _Village, rng: random.Random) -> _Draft:
        source = _pick(rng, self.sources)
        category = _pick(rng, self.categories)
        n = len(v.hh_ids)
        if category[1] in ("邻里纠纷", "土地草场纠纷"):
            first = rng.randrange(n)
            homes = sorted({first, (first + rng.randint(1, 5)) % n})
        elif category[1] in ("道路交通", "环境卫生", "饮水安全", "集体经济") and rng.random() < 0.5:
            homes = []
        else:
            homes = [rng.randrange(n)]
        reporter, phone = self._reporter(v, rng, source, homes)
        place = v.name + v.group_names[v.hh_group[homes[0]]] if homes and v.kind != "社区" else v.name
        return _Draft(self._registered_at(rng, source), v, source, category, _pick(rng, self.urgencies), homes,
                      reporter, phone, place)

    def _registered_at(self, rng: random.Random, source: str) -> dt.datetime:
        b = self.b
        day = b.today - dt.timedelta(days=int(rng.random() * 365))
        minute = rng.randrange(24 * 60) if source == "12345热线" else rng.randint(WORK_START_MIN, WORK_END_MIN)
        at = dt.datetime.combine(day, dt.time(minute // 60, minute % 60, rng.randrange(60)))
        return at if at <= b.now else at - dt.timedelta(days=1)

    def _reporter(self, v: _Village, rng: random.Random, source: str, homes: list[int]) -> tuple[str, str]:
        if source == "网格员巡查":
            return v.grid_workers[v.hh_grid[homes[0]] if homes else 0], ""
        if source == "走访发现":
            return _pick(rng, v.cadres), ""
        if source == "上级交办":
            return _pick(rng, D.HIGHER_REPORTERS), ""
        if source == "述职评议":
            return "述职评议会", ""
        if homes:
            return v.hh_contact[homes[0]]
        return _pick(rng, v.residents)[1], self.b.people.phone(rng.random)

    def _problem_row(self, d: _Draft, rng: random.Random, numbers: dict) -> tuple:
        township = d.village.township
        year = d.registered_at.year
        n = numbers[township.id, year] = numbers.get((township.id, year), 0) + 1
        titles, details = D.PROBLEM_TEXTS[d.category[1]]
        title = _pick(rng, titles).format(p=d.place)
        description = f"{d.reporter or '群众'}反映：{title}，{_pick(rng, details)}。"
        hotline = ""
        if d.source == "12345热线":
            self.hotline_seq += 1
            hotline = f"{d.registered_at:%Y%m%d}{self.hotline_seq % 1_000_000:06d}"
        grid = d.village.grid_ids[d.village.hh_grid[d.homes[0]]] if d.homes else None
        return (d.id, township.id, year, f"{township.name}-{year}-{n:04d}", title, description, d.source, hotline,
                self.category_ids[d.category], d.urgency, d.village.id, grid, d.reporter, d.reporter_phone,
                _ts(d.registered_at))


class _Lifecycle:
    """The events of one problem: 登记 → 交办 → 办理 → 办结 → 评价 → 销号, with side paths.

    Times only move forward; the story stops at the clock's now, which leaves
    recent problems (and a few stuck ones) open, some of them overdue.
    """

    def __init__(self, problems: _Problems, rng: random.Random, d: _Draft):
        self.p, self.rng, self.d = problems, rng, d
        self.b = problems.b
        self.out: list[list] = []
        self.last = d.registered_at
        self.stopped = False

    def add(self, kind: str, at: dt.datetime, actor: str, note: str = "", **extra) -> bool:
        """Record an event unless the story has reached the present; False once it has."""
        if self.stopped or at > self.b.now:
            self.stopped = True
            return False
        row = [self.b.new_id(), self.d.id, kind, _ts(at), actor, note, *_EVENT_DEFAULTS]
        for key, value in extra.items():
            row[_EVENT_INDEX[key]] = value
        self.out.append(row)
        self.last = at
        return True

    def later(self, days: int) -> dt.datetime:
        """A working-hours time ``days`` after the last event, never before it."""
        minute = self.rng.randint(WORK_START_MIN, WORK_END_MIN)
        at = dt.datetime.combine(self.last.date() + dt.timedelta(days=days), dt.time(minute // 60, minute % 60))
        return at if at > self.last else self.last + dt.timedelta(minutes=self.rng.randint(5, 90))

    def events(self, merge_into: str | None) -> list[list]:
        rng, d, v = self.rng, self.d, self.d.village
        staff, leaders = v.township.staff, v.township.leaders
        self.add("登记", d.registered_at, _pick(rng, staff), f"来源：{d.source}")
        if merge_into:
            self.add("合并", self.later(rng.randint(0, 2)), _pick(rng, staff), D.MERGE_NOTE, merged_into_id=merge_into)
            return self.out
        unit = v.unit if rng.random() < 0.5 else D.RESPONSIBLE_UNITS[d.category[1]]
        person = v.secretary if unit == v.unit else _pick(rng, staff)
        dispatched = self.later(rng.choice((0, 0, 1, 1, 2)))
        deadline, deadline_kind = self._deadline(dispatched.date())
        if not self.add("交办", dispatched, _pick(rng, leaders), "请按期办结并反馈",
                        responsible_person=person, responsible_unit=unit, deadline=deadline.isoformat(),
                        deadline_kind=deadline_kind):
            return self.out
        r = rng.random()
        if r < 0.008:
            self.add("撤销", self.later(rng.randint(1, 5)), _pick(rng, leaders), reason=_pick(rng, D.VOID_REASONS))
            return self.out
        if r < 0.043:
            deadline = self._extend(deadline, deadline_kind, leaders)
        if rng.random() < 0.035:  # stuck: worked on, never finished
            self._progress_notes(person, self.last + dt.timedelta(days=rng.randint(5, 40)), rng.randint(1, 2))
            return self.out
        self._resolve(person, deadline)
        self._rate_and_close(person)
        return self.out

    def _deadline(self, start: dt.date) -> tuple[dt.date, str]:
        """By urgency: 3 calendar days, 5 working / 7 calendar days, or 15 working / 30 calendar days."""
        if self.d.urgency == "急难险重":
            n, kind = 3, workdays.CALENDAR_DAYS
        else:
            working = self.rng.random() < 0.6
            n = (5 if working else 7) if self.d.urgency == "紧急" else (15 if working else 30)
            kind = workdays.WORKING_DAYS if working else workdays.CALENDAR_DAYS
        return workdays.deadline(start, n, kind).date, kind

    def _extend(self, deadline: dt.date, deadline_kind: str, leaders: list[str]) -> dt.date:
        span = max(1, (deadline - self.last.date()).days)
        new = deadline + dt.timedelta(days=self.rng.randint(10, 20))
        self.add("延期", self.later(max(1, span * 2 // 3)), _pick(self.rng, leaders),
                 reason=_pick(self.rng, D.EXTENSION_REASONS), approved_by=_pick(self.rng, leaders),
                 deadline=new.isoformat(), deadline_kind=deadline_kind)
        return new

    def _progress_notes(self, person: str, until: dt.datetime, count: int) -> None:
        """``count`` 办理 notes on distinct days between the last event and ``until``."""
        span = max(1, (until.date() - self.last.date()).days)
        previous = 0
        for offset in sorted(self.rng.sample(range(span), min(span, count))):
            self.add("办理", self.later(offset - previous), person, _pick(self.rng, D.PROGRESS_NOTES))
            previous = offset

    def _resolve(self, person: str, deadline: dt.date) -> None:
        rng = self.rng
        span = max(0, (deadline - self.last.date()).days)
        if rng.random() < 0.05:
            done_day = deadline + dt.timedelta(days=rng.randint(1, 20))
        else:
            done_day = self.last.date() + dt.timedelta(days=round(span * rng.uniform(0.15, 1.0)))
        self._progress_notes(person, dt.datetime.combine(done_day, dt.time()), rng.choice((0, 1, 1, 2)))
        self.add("办结", self.later(max(0, (done_day - self.last.date()).days)), person,
                 _pick(rng, D.RESOLUTION_NOTES))
        if rng.random() < 0.02:
            self.add("退回", self.later(rng.randint(1, 3)), _pick(rng, self.d.village.township.leaders),
                     reason=_pick(rng, D.RETURN_REASONS))
            self.add("办理", self.later(rng.randint(1, 3)), person, _pick(rng, D.PROGRESS_NOTES))
            self.add("办结", self.later(rng.randint(2, 7)), person, _pick(rng, D.RESOLUTION_NOTES))

    def _rate_and_close(self, person: str) -> None:
        rng, d, v = self.rng, self.d, self.d.village
        resident = d.reporter if d.reporter_phone or d.source in ("群众反映", "信访") else (
            v.hh_contact[d.homes[0]][0] if d.homes else _pick(rng, v.residents)[1])
        rating = _pick(rng, self.p.ratings)
        self._rate(resident, rating)
        if rating == "不满意":
            self.add("重新打开", self.later(rng.randint(1, 3)), v.secretary, reason=_pick(rng, D.REOPEN_REASONS))
            self.add("办理", self.later(rng.randint(1, 4)), person, _pick(rng, D.PROGRESS_NOTES))
            self.add("办结", self.later(rng.randint(3, 12)), person, _pick(rng, D.RESOLUTION_NOTES))
            second = rng.random()
            rating = "满意" if second < 0.7 else "基本满意" if second < 0.9 else "不满意"
            self._rate(resident, rating)
            if rating == "不满意":  # still not satisfied: stays open for the secretary's decision
                return
        self.add("销号", self.later(rng.randint(1, 5)), v.secretary, "经支部书记审核，同意销号")
        if rng.random() < 0.15:
            self.add("回访", self.later(rng.randint(15, 60)), _pick(rng, v.cadres), "回头看",
                     revisit_result=_pick(rng, D.REVISIT_RESULTS))

    def _rate(self, resident: str, rating: str) -> None:
        self.add("评价", self.later(self.rng.randint(1, 4)), self.d.village.secretary, rating=rating,
                 rated_by=resident, rating_method=_pick(self.rng, self.p.methods))
