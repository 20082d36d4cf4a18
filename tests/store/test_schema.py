"""The peewee models and the migrated schema describe the same tables."""

import pytest

from ledgerdesk.store.database import Ledger
from ledgerdesk.store.migrations import synced_tables
from ledgerdesk.store.models import (ALL_MODELS, AUDIT_TABLES, DERIVED_TABLES, LOGIN_TABLES, SYNC_LOCAL_TABLES,
                                     SYNCED_MODELS)


@pytest.fixture
def conn():
    ledger = Ledger.memory()
    yield ledger.db.connection()
    ledger.close()


def test_every_model_matches_its_table_column_for_column(conn):
    for model in ALL_MODELS:
        table = model._meta.table_name
        columns = [c[1] for c in conn.execute(f'PRAGMA table_info("{table}")')]
        assert columns == [f.column_name for f in model._meta.sorted_fields], table


def test_every_table_has_a_model(conn):
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    fts_shadow = {t for t in tables if any(t.startswith(f"{d}_") for d in DERIVED_TABLES)}
    assert tables - fts_shadow == {m._meta.table_name for m in ALL_MODELS} | set(DERIVED_TABLES) | set(SYNC_LOCAL_TABLES) \
        | set(AUDIT_TABLES) | set(LOGIN_TABLES)


def test_synced_tables_are_exactly_the_synced_models_and_all_are_guarded(conn):
    assert set(synced_tables(conn)) == {m._meta.table_name for m in SYNCED_MODELS}
    triggers = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='trigger'")}
    indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    for table in synced_tables(conn):
        assert {f"{table}_guard_insert", f"{table}_guard_update", f"{table}_guard_delete"} <= triggers
        assert f"{table}_tombstones" in indexes


def test_model_defaults_match_the_schema_defaults(conn):
    """A default that differs would make a replayed version disagree with its row."""
    for model in SYNCED_MODELS:
        info = {c[1]: c for c in conn.execute(f'PRAGMA table_info("{model._meta.table_name}")')}
        for f in model._meta.sorted_fields:
            if f.column_name in ("id", "vid"):
                continue
            sql_default = info[f.column_name][4]
            if f.default is None:
                assert sql_default is None or f.null, (model, f.name)
                continue
            expected = int(f.default) if isinstance(f.default, bool) else f.default
            literal = sql_default.strip("'") if isinstance(expected, str) else int(sql_default)
            assert literal == expected, (model._meta.table_name, f.name)
