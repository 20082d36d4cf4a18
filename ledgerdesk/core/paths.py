"""Where the files that ship with LedgerDesk are, installed or in a checkout.

In a wheel, ``resources/`` and ``db/`` are installed as the sub-packages
``ledgerdesk/resources`` and ``ledgerdesk/db`` (see setup.cfg). In a source
checkout they sit beside the package at the top of the repository.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent.parent


@cache
def shipped_dir(name: str) -> Path:
    """The directory of shipped data ``name`` ("resources" or "db")."""
    for candidate in (_PACKAGE_DIR / name, _PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"LedgerDesk is installed without its {name}/ directory")


def resource(*parts: str) -> Path:
    """A file under resources/, e.g. ``resource("fonts", "wqy-microhei.ttc")``."""
    return shipped_dir("resources").joinpath(*parts)


def migrations_dir() -> Path:
    return shipped_dir("db") / "migrations"
