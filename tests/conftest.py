"""Shared fixtures. Qt runs offscreen for every test (set here, before Qt loads).

Three database fixtures (architecture.md): ``memory_session`` (empty, in
memory), ``demo_session`` (a copy of a township demo ledger built once per
run) and, for benchmarks only, the county ledger in tests/bench. Every ledger
a fixture hands out is checked at teardown: its rows must equal the fold of
its version log, so any write that went around the versioned path fails the
test that made it.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_FONT_DPI", "96")
# Device keys go to a throw-away key store, never the tester's own (sync/keystore.py).
if "LEDGERDESK_KEYS" not in os.environ:
    import tempfile

    os.environ["LEDGERDESK_KEYS"] = tempfile.mkdtemp(prefix="ledgerdesk-keys-")
# Credentials of the test run: `init` (and `demo`) give the account admin this password, and every
# command that opens such a ledger logs in with them (services/accounts.py session_from_env). Tests of
# login itself set or remove them with monkeypatch.
os.environ.setdefault("LEDGERDESK_USER", "admin")
os.environ.setdefault("LEDGERDESK_PASSWORD", "测试口令-2026")

import pytest

from ledgerdesk.core.clock import FixedClock
from ledgerdesk.services import workspace
from ledgerdesk.store.verify import replay_mismatches

@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_sessionfinish(session, exitstatus):
    """End the run without the interpreter's final teardown once Qt has been used.

    PySide6 6.12 can abort the process while objects are torn down after the
    run ("bool_dealloc: deallocating True or False", from wrappers of widgets
    Qt already deleted), turning a green run into exit 134. This outermost
    wrapper runs after every other finishing step, the summary included, and
    leaves with pytest's own status. The app does the same after its window
    closes (ledgerdesk.ui.app.exit_now).
    """
    result = yield
    if "PySide6.QtCore" in sys.modules:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(int(session.exitstatus))
    return result


# A fixed "today" for every test: no test depends on the real date.
TEST_NOW = dt.datetime(2026, 11, 20, 9, 30)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(TEST_NOW)


def _assert_versioned(session) -> None:
    if session.ledger.db.is_closed():
        session.ledger.db.connect(reuse_if_open=True)
    session.ledger.bind()
    bad = replay_mismatches(session.ledger.db)
    assert not bad, f"rows that differ from their version log: {bad}"


@pytest.fixture
def memory_session(clock):
    """An empty in-memory ledger with the reference data of a new township."""
    from ledgerdesk.services.session import Session
    from ledgerdesk.store.database import Ledger

    session = Session(Ledger.memory(clock=clock), "tester")
    workspace.seed_reference_data(session, "测试镇")
    yield session
    _assert_versioned(session)
    session.close()


@pytest.fixture
def ledger_path(tmp_path):
    return tmp_path / "ledger.sqlite3"


@pytest.fixture
def file_session(ledger_path, clock):
    """A new, empty ledger in a real SQLite file."""
    session = workspace.create_ledger(ledger_path, township="测试镇", clock=clock, user="tester")
    yield session
    _assert_versioned(session)
    session.close()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory):
    """A township demo ledger built once per run (seed 7); tests get copies."""
    from ledgerdesk.services.demo import create_demo_ledger

    path = tmp_path_factory.mktemp("demo") / "township.sqlite3"
    # password "": no login on the demo (as built without LEDGERDESK_PASSWORD), whatever the environment says
    session = create_demo_ledger(path, scale="township", seed=7, clock=FixedClock(TEST_NOW), password="")
    session.close()
    return path


@pytest.fixture
def demo_path(demo_template, tmp_path):
    """A private copy of the township demo ledger file."""
    target = tmp_path / "demo.sqlite3"
    shutil.copyfile(demo_template, target)
    yield target
    # ~100 MB a test: leaving the copies to pytest's basetemp rotation filled the disk
    # when several runs overlapped.
    for leftover in tmp_path.glob("demo.sqlite3*"):
        leftover.unlink(missing_ok=True)


@pytest.fixture
def demo_session(demo_path, clock):
    session = workspace.open_ledger(demo_path, clock=clock, user="tester")
    yield session
    session.close()


@pytest.fixture
def villages(memory_session):
    """The in-memory ledger with two villages: v-1 红旗村 (sort order 1) and v-2 巴音嘎查 (2)."""
    from ledgerdesk.store.models import Village

    s = memory_session
    tid = s.ledger.get_meta("township_id")
    with s.writing() as w:
        w.insert_many(Village, ["id", "township_id", "name", "sort_order"],
                      [("v-1", tid, "红旗村", 1), ("v-2", tid, "巴音嘎查", 2)])
    return s
