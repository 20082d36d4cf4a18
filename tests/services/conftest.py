"""Fixtures of the service tests, and the path to their shared checks.

The tests run with ``--import-mode=importlib`` (setup.cfg), so a plain helper
module beside them is not importable by itself: this folder is put on
``sys.path`` here, before the test modules are collected, so that they can
``from ledger_checks import refused, versions, q, row``.
"""


import pytest

from ledgerdesk.store.models import Village

@pytest.fixture
def villages(memory_session):
    """The in-memory ledger with two villages: v-1 红旗村 (sort order 1) and v-2 巴音嘎查 (2)."""
    s = memory_session
    tid = s.ledger.get_meta("township_id")
    with s.writing() as w:
        w.insert_many(Village, ["id", "township_id", "name", "sort_order"],
                      [("v-1", tid, "红旗村", 1), ("v-2", tid, "巴音嘎查", 2)])
    return s
