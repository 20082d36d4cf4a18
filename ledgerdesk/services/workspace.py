"""Creating, locating and opening ledgers; the township a ledger belongs to."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ledgerdesk.core.clock import Clock
from ledgerdesk.core.ids import link_id
from ledgerdesk.core.vocab import BUILTIN_CATEGORIES, BUILTIN_TAGS
from ledgerdesk.services.session import Session
from ledgerdesk.store.database import Ledger
from ledgerdesk.store.models import Category, Setting, Tag, Township

APP_NAME = "LedgerDesk"
DEFAULT_TOWNSHIP = "示范镇"

DEFAULT_SETTINGS = {
    "center.min_households": "5",
    "center.max_households": "15",
    "link_head.min_households": "5",
    "link_head.max_households": "15",
    "committee.inactive_months": "3",
    "committee.min_members": "5",
    "coverage.target_rate": "0.9",
    "yellow_card.stale_days": "0",  # >0: also a yellow card after N days without a progress note
}


def default_ledger_path() -> Path:
    """LEDGERDESK_DB, else ledger.sqlite3 in the platform's user data folder."""
    env = os.environ.get("LEDGERDESK_DB")
    if env:
        return Path(env)
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False) / "ledger.sqlite3"


@dataclass(frozen=True)
class LedgerInfo:
    path: str
    township: str
    site_id: str
    schema_version: int


def create_ledger(path: str | os.PathLike, *, township: str = DEFAULT_TOWNSHIP, clock: Clock | None = None,
                  user: str = "system", pragmas: dict | None = None, numbering_authority: bool = True,
                  passphrase: str | None = None) -> Session:
    """Make a new ledger for ``township`` with the built-in tags, categories and settings.

    With ``passphrase`` the file is encrypted (SQLCipher, store/encryption.py).

    A fresh township ledger is the township's numbering authority (official
    problem numbers, see services/ledger_numbers.py); pass
    ``numbering_authority=False`` for a device that will join an existing township.
    """
    ledger = Ledger.create(path, passphrase=passphrase, clock=clock, pragmas=pragmas)
    session = Session(ledger, user)
    seed_reference_data(session, township)
    if numbering_authority:
        from ledgerdesk.services.ledger_numbers import make_numbering_authority

        make_numbering_authority(session)
    return session


def seed_reference_data(session: Session, township: str) -> str:
    """Write the township row and the built-in reference data; returns the township id."""
    with session.writing() as w:
        township_id = w.insert(Township, {"name": township})
        session.ledger.set_meta("township_id", township_id)
        w.insert_many(Tag, ["id", "name", "builtin"], [(link_id("tag", n), n, 1) for n in BUILTIN_TAGS])
        rows, order = [], 0
        for domain, names in BUILTIN_CATEGORIES.items():
            for name in names:
                order += 1
                rows.append((link_id("category", domain, name), domain, name, order))
        w.insert_many(Category, ["id", "domain", "name", "sort_order"], rows)
        w.insert_many(Setting, ["id", "key", "value"],
                      [(link_id("setting", k), k, v) for k, v in DEFAULT_SETTINGS.items()])
    return township_id


def open_ledger(path: str | os.PathLike, *, clock: Clock | None = None, user: str = "system",
                passphrase: str | None = None) -> Session:
    """Open an existing ledger (upgrading its schema if needed); an encrypted one needs its ``passphrase``."""
    return Session(Ledger.open(path, passphrase=passphrase, clock=clock), user)


def ledger_info(session: Session) -> LedgerInfo:
    ledger = session.ledger
    with ledger.reading():
        tid = ledger.get_meta("township_id")
        row = Township.get_or_none(Township.id == tid) if tid else None
        # A device that joined a township but has not imported its first file yet knows the name from the enrolment.
        name = row.name if row else (ledger.get_meta("sync_township") or "")
    return LedgerInfo(ledger.path, name, ledger.site_id, ledger.schema_version)
