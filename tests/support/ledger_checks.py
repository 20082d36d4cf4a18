"""Checks the service tests share (tests/support is on the test path: ``from ledger_checks import refused``).

``q`` reads one value, ``row`` one row as a dict, ``versions`` counts the
version log, and ``refused`` calls a service expecting an error and asserts
that nothing was written (``refusal_check`` makes one with a wider snapshot).
"""

from __future__ import annotations

import pytest


def q(session, sql, *params):
    """The first value of the first row."""
    return session.ledger.db.execute_sql(sql, params).fetchone()[0]


def row(session, table, entity_id) -> dict:
    cur = session.ledger.db.execute_sql(f'SELECT * FROM "{table}" WHERE id = ?', (entity_id,))
    return dict(zip([d[0] for d in cur.description], cur.fetchone()))


def versions(session) -> int:
    return q(session, "SELECT count(*) FROM version")


def refusal_check(snapshot):
    """``refused(session, exc_type, fn, *args, **kwargs)``: fn raises exc_type and ``snapshot(session)`` is unchanged."""

    def refused(session, exc_type, fn, *args, **kwargs):
        before = snapshot(session)
        with pytest.raises(exc_type) as info:
            fn(*args, **kwargs)
        assert snapshot(session) == before
        return info.value

    return refused


refused = refusal_check(versions)
