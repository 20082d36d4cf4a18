"""Helpers shared by the sync tests (tests/sync/*): replicas, shipping versions, real files, comparing.

tests/sync is not on the test path (pytest runs with ``--import-mode=importlib``), so a
test module there imports this one with::

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import sync_support as S

The API, small on purpose:

Merge level (no keys, no files; the lead's payload codec and merge, as an import runs them):
    ``new_replica(clock, user, path=None)``  an EMPTY ledger (no reference data), as a device before its first import
    ``log_rows(session, site=None, above=0)`` the version log as an export reads it
    ``ship(src, dst, rows=None, file_id=None)`` payload.encode → payload.decode → merge.merge in one write
                                             transaction of ``dst`` (what import_bundle does, minus the bundle)
Comparing replicas:
    ``version_set(session)``  every version as a tuple (site, seq, hlc, author, tbl, entity_id, op, fields, parents)
    ``open_conflict_rows(session)``  the sync_conflict rows, sorted
    ``content(session)``  (digest, version_set): what a re-import must leave unchanged
    ``check_ledger(session)``  PRAGMA integrity_check is ok and the rows equal the fold of the version log
File level (real device keys, real .ldsync files):
    ``Township(root, clock_factory)``  the office ledger in ``root``; ``.enroll(name, role=...)`` makes a new
                                       device ledger file, enrolled with a real .ldkey and pairing code
    ``group_copy(root, devices, clocks=None, only=None, seed=None)``
                                       byte copies in ``root`` of an office and enrolled devices built
                                       ONCE per test session (argon2id makes each enrolment cost ~0.5 s); every copy
                                       is its own site (a copied ledger takes a new site id), keys are the real ones
    ``open_replica(path, clock, user)``  reopen a ledger file written by the helpers
    ``export(session, path, full=False)`` / ``import_file(session, path)``  exchange.export_bundle / import_bundle
                                       (no automatic backup: the tests import hundreds of files)
"""

from __future__ import annotations

import atexit
import datetime as dt
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ledgerdesk.core.clock import FixedClock
from ledgerdesk.services import workspace
from ledgerdesk.services.session import Session
from ledgerdesk.store.database import Ledger
from ledgerdesk.store.verify import replay_mismatches
from ledgerdesk.sync import digest, merge, payload

START = dt.datetime(2026, 11, 20, 9, 30)

# Sync tests write many small transactions: FULL fsync per commit only slows them down.
FAST = {"synchronous": 0}

_LOG_COLUMNS = "site, seq, hlc, author, tbl, entity_id, op, fields, parents"


# -- merge level ---------------------------------------------------------------------------------------


def new_replica(clock: FixedClock | None = None, user: str = "乙", path: Path | None = None) -> Session:
    """An empty ledger (schema only, no reference data): a device before its first import."""
    clock = clock or FixedClock(START)
    ledger = Ledger.memory(clock=clock) if path is None else Ledger.create(path, clock=clock, pragmas=FAST)
    return Session(ledger, user)


def log_rows(session, *, site: str | None = None, above: int = 0) -> list[tuple]:
    """The versions of ``session`` (of ``site`` only, with seq > ``above``) as an export reads them."""
    db = session.ledger.db
    if site is None:
        return db.execute_sql(f"SELECT {_LOG_COLUMNS} FROM version ORDER BY site, seq").fetchall()
    return db.execute_sql(f"SELECT {_LOG_COLUMNS} FROM version WHERE site = ? AND seq > ? ORDER BY seq",
                          (site, above)).fetchall()


def ship(src, dst, *, rows: list[tuple] | None = None, file_id: str | None = None) -> merge.MergeResult:
    """Carry ``rows`` (default: every version of ``src``) into ``dst`` through the payload codec and the merge."""
    rows = log_rows(src) if rows is None else rows
    incoming = payload.decode(payload.encode(rows))
    with dst.writing() as w:
        result = merge.merge(dst, incoming, file_id=file_id or f"test-{id(rows)}")
        w.hlc.observe(result.max_hlc)
    return result


# -- comparing -----------------------------------------------------------------------------------------


def version_set(session) -> frozenset[tuple]:
    """Every version held, content included: equal sets = equal logs."""
    with session.reading():
        return frozenset(session.ledger.db.execute_sql(f"SELECT {_LOG_COLUMNS} FROM version").fetchall())


def open_conflict_rows(session) -> list[tuple]:
    with session.reading():
        return session.ledger.db.execute_sql(
            "SELECT entity_id, tbl, field, kind FROM sync_conflict ORDER BY entity_id, field").fetchall()


def content(session) -> tuple[str, frozenset[tuple]]:
    """(visible-data digest, version set): what importing a file again must leave unchanged."""
    return digest.ledger_digest(session), version_set(session)


def check_ledger(session) -> None:
    """The file is sound and every row equals the fold of its versions."""
    with session.reading():
        db = session.ledger.db
        assert db.execute_sql("PRAGMA integrity_check").fetchall() == [("ok",)]
        bad = replay_mismatches(db)
    assert not bad, f"rows that differ from their version log: {bad}"


# -- file level ----------------------------------------------------------------------------------------


@dataclass
class Township:
    """A township office ledger in ``root`` that enrols devices with real keys.

    ``clock_factory()`` gives each ledger its own clock (skewable per device).
    Devices are new ledger files joined with the .ldkey file and pairing code
    that ``devices.add_device`` produced, exactly as on a real laptop.
    """

    root: Path
    clock_factory: Callable[[], FixedClock] = lambda: FixedClock(START)
    township: str = "测试镇"
    office: Session = field(init=False)
    codes: dict[str, str] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.office = workspace.create_ledger(self.root / "office.sqlite3", township=self.township,
                                              clock=self.clock_factory(), user="办公室", pragmas=FAST)

    def enroll(self, name: str, *, role: str = "laptop", user: str | None = None) -> Session:
        """A new device ledger ``<name>.sqlite3`` in ``root``, enrolled in this township as ``name``."""
        from ledgerdesk.sync import devices

        enrollment = devices.add_device(self.office, name, role=role, out=self.root / f"{name}.ldkey")
        self.codes[name] = enrollment.code
        session = new_replica(self.clock_factory(), user or name, self.root / f"{name}.sqlite3")
        devices.join(session, enrollment.path, enrollment.code)
        return session


def open_replica(path: Path, clock: FixedClock | None = None, user: str = "乙") -> Session:
    return Session(Ledger.open(path, clock=clock or FixedClock(START), pragmas=FAST), user)


_TEMPLATES: dict[tuple, Path] = {}


def _template(devices: tuple[tuple[str, str], ...], seed: Callable[[Session], None] | None) -> Path:
    """A folder with office.sqlite3 and <name>.sqlite3 per device, enrolled and synced once (built on first use)."""
    folder = _TEMPLATES.get((devices, seed))
    if folder is None:
        folder = Path(tempfile.mkdtemp(prefix="ledgerdesk-sync-template-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        town = Township(folder / "build")
        sessions = {name: town.enroll(name, role=role) for name, role in devices}
        if seed is not None:
            seed(town.office)
        first = export(town.office, folder / "first.ldsync", full=True)
        for s in sessions.values():
            import_file(s, first)
        for name, s in [("office", town.office), *sessions.items()]:
            s.close()
            shutil.copyfile(folder / "build" / ("office.sqlite3" if name == "office" else f"{name}.sqlite3"),
                            folder / f"{name}.sqlite3")
        _TEMPLATES[(devices, seed)] = folder
    return folder


def group_copy(root: Path, devices: tuple[tuple[str, str], ...] = (("笔记本A", "laptop"), ("笔记本B", "laptop")),
               clocks: dict[str, FixedClock] | None = None, only: int | None = None,
               seed: Callable[[Session], None] | None = None) -> dict[str, Session]:
    """Copies in ``root`` of the township office ("office") and ``devices`` ((name, role) pairs), each enrolled
    with real keys and holding the office's first full sync file; returns ``{name: Session}``.

    The enrolment is done once per test session and copied: a copy opens as a NEW site (its path changed),
    so replicas never share a site id, while the device keys (in the key store, by meta keystore_id) are the
    enrolled ones. ``clocks`` gives a replica its own clock (default: a FixedClock at START each);
    ``only=n`` copies just the office and the first n-1 devices (one template serves 3, 4 or 5 replicas);
    ``seed(office_session)`` (a module-level function: templates are cached by it) writes shared data at the
    office before its first full file, so every replica starts with it.
    """
    folder = _template(tuple(devices), seed)
    root.mkdir(parents=True, exist_ok=True)
    out = {}
    for name in ["office", *(n for n, _ in devices)][:only]:
        path = root / f"{name}.sqlite3"
        shutil.copyfile(folder / f"{name}.sqlite3", path)
        clock = (clocks or {}).get(name) or FixedClock(START)
        out[name] = open_replica(path, clock, "办公室" if name == "office" else name)
    return out


def export(session, path: Path, *, full: bool = False, to: str | None = None) -> Path:
    """A real signed, encrypted sync file of ``session`` at ``path``."""
    from ledgerdesk.sync import exchange

    exchange.export_bundle(session, Path(path), full=full, to=to)
    return Path(path)


def import_file(session, path: Path):
    """Import a real sync file (without the automatic backup); returns the ImportReport."""
    from ledgerdesk.sync import exchange

    return exchange.import_bundle(session, Path(path), backup=False)
