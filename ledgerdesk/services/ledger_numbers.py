"""Ledger numbers (台账编号) of problems: readable, unique per township and year, safe offline.

domain.md asks for a readable number, unique per township and year and stable
across sync, and says two offline laptops must never issue the same number.
No device can count for the whole township while offline, so there are two
kinds of number, both stored on the ``problem`` row:

* **Official number** (``problem.ledger_no``) — ``{乡镇简称}-{year}-{seq:04d}``,
  e.g. ``示范镇-2026-0001`` (the sequence simply grows a digit after 9999).
  Only the township office's ledger, the *numbering authority*, issues them:
  at registration on that machine, and for problems registered elsewhere by
  :func:`assign_official_numbers` once a sync import has brought them in.
  Because one machine alone writes ``ledger_no``, official numbers never
  collide and never conflict in sync.
* **Provisional number** (``problem.provisional_no``) — ``{year}-{device}-{seq:03d}``,
  e.g. ``2026-3FA2-001``, issued by any other device (a village laptop, a
  copied file). ``device`` is the first four hex digits of the ledger's site
  id, upper case; site ids are random per database file and a copied file
  gets a new one (:mod:`ledgerdesk.store.database`), so copies number apart.
  If the ledger already holds provisional numbers of that year written by
  *another* site with the same code (1 in 65 536 for two random sites; e.g. a
  copy that inherited the original's numbers), the code is lengthened with
  further hex digits of the site id until no other site's numbers use it. Two devices that have never seen each other's numbers
  and drew the same four digits could still issue the same provisional number;
  that is why the office replaces provisional numbers by official ones, and a
  problem's identity is always its UUID, never its number.

The sequence is ``max(existing seq for that year and prefix) + 1``, computed
inside the writing transaction; ledgers open with ``BEGIN IMMEDIATE`` so two
writers on one file cannot draw the same number.

**Who is the authority.** Local meta ``numbering_authority`` = ``1`` together
with ``numbering_authority_site`` = the site id that was made authority.
:func:`make_numbering_authority` sets both; ``workspace.create_ledger`` calls it
for a fresh township ledger. The authority is tied to the site id on purpose:
a copied file (or one moved to another folder or machine) gets a new site id
and stops issuing official numbers, so a cloned office ledger can never issue
official numbers that collide with the original's; it issues provisional ones
until an administrator deliberately runs :func:`make_numbering_authority` on
the one machine that is the office's.
"""

from __future__ import annotations

from ledgerdesk.core.errors import LedgerDeskError
from ledgerdesk.services.permissions import ADMIN, EDITORS, require
from ledgerdesk.store.models import Problem

AUTHORITY_KEY = "numbering_authority"
AUTHORITY_SITE_KEY = "numbering_authority_site"
PREFIX_SETTING = "numbering.prefix"  # optional setting: the township's short name or code

_DEVICE_CODE_LEN = 4


class NotNumberingAuthorityError(LedgerDeskError):
    """Official ledger numbers may only be issued by the township office's ledger."""

    key = "not-numbering-authority"


# -- who numbers -------------------------------------------------------------------------------


def is_numbering_authority(session) -> bool:
    """True when this ledger file (this site) issues official numbers."""
    ledger = session.ledger
    return (ledger.get_meta(AUTHORITY_KEY) == "1"
            and ledger.get_meta(AUTHORITY_SITE_KEY) == ledger.site_id)


def make_numbering_authority(session) -> None:
    """Make this ledger the township's numbering authority (管理员 only; local, not synced).

    Run it on the township office's ledger only, once; a copy of the file does
    not inherit it (see the module docstring).
    """
    require(session, frozenset({ADMIN}), "设为乡镇编号机关")
    ledger = session.ledger
    with ledger.db.atomic():
        ledger.set_meta(AUTHORITY_KEY, "1")
        ledger.set_meta(AUTHORITY_SITE_KEY, ledger.site_id)


def revoke_numbering_authority(session) -> None:
    """This ledger stops issuing official numbers (e.g. a laptop set up from the office's file)."""
    require(session, frozenset({ADMIN}), "取消乡镇编号机关")
    with session.ledger.db.atomic():
        session.ledger.set_meta(AUTHORITY_KEY, "0")


# -- the parts of a number -------------------------------------------------------------------


def number_prefix(session) -> str:
    """The township part of official numbers: the ``numbering.prefix`` setting, else the township's name/code."""
    db = session.ledger.db
    row = db.execute_sql("SELECT value FROM setting WHERE key = ? AND deleted = 0 ORDER BY id LIMIT 1",
                         (PREFIX_SETTING,)).fetchone()
    if row and row[0].strip():
        return row[0].strip()
    tid = session.ledger.get_meta("township_id")
    row = db.execute_sql("SELECT name, code FROM township WHERE id = ?", (tid,)).fetchone() if tid else None
    if row:
        return (row[0] or row[1]).strip() or "台账"
    return "台账"


def _used_by_other_site(session, prefix: str) -> bool:
    """Whether a problem registered on another site already has a provisional number starting ``prefix``.

    The site that set ``provisional_no`` is the one that created the row (its
    first version); numbers inherited by a copied file count as another site's.
    """
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    row = session.ledger.db.execute_sql(
        "SELECT 1 FROM problem p WHERE p.provisional_no >= ? AND p.provisional_no < ? AND ("
        "  SELECT site FROM version WHERE entity_id = p.id ORDER BY id LIMIT 1) != ? LIMIT 1",
        (prefix, upper, session.ledger.site_id)).fetchone()
    return row is not None


def device_code(session, year: int) -> str:
    """This ledger's code in provisional numbers of ``year``: 4 upper-case hex digits of the site id.

    Lengthened by further digits of the site id while another site's
    provisional numbers of that year already use the code.
    """
    site = session.ledger.site_id
    length = _DEVICE_CODE_LEN
    code = site[:length].upper()
    while length < len(site) and _used_by_other_site(session, f"{year}-{code}-"):
        length += 1
        code = site[:length].upper()
    return code


def _next_seq(db, column: str, prefix: str) -> int:
    """1 + the largest sequence number after ``prefix`` (which holds the year) in ``column``."""
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)  # every text that starts with prefix sorts below this
    row = db.execute_sql(
        f"SELECT max(CAST(substr({column}, ?) AS INTEGER)) FROM problem "
        f"WHERE {column} >= ? AND {column} < ?", (len(prefix) + 1, prefix, upper)).fetchone()
    return (row[0] or 0) + 1


def official_prefix(session, year: int) -> str:
    return f"{number_prefix(session)}-{year}-"


def next_official_number(session, year: int) -> str:
    """The next official number of ``year`` (call inside the writing transaction)."""
    prefix = official_prefix(session, year)
    return f"{prefix}{_next_seq(session.ledger.db, 'ledger_no', prefix):04d}"


def next_provisional_number(session, year: int) -> str:
    """The next provisional number of ``year`` for this device (call inside the writing transaction)."""
    prefix = f"{year}-{device_code(session, year)}-"
    return f"{prefix}{_next_seq(session.ledger.db, 'provisional_no', prefix):03d}"


def new_numbers(session, year: int) -> tuple[str, str]:
    """``(ledger_no, provisional_no)`` for a problem being registered here: exactly one is filled."""
    if is_numbering_authority(session):
        return next_official_number(session, year), ""
    return "", next_provisional_number(session, year)


def display_number(ledger_no: str, provisional_no: str) -> str:
    """The number to show: the official one, else the provisional one."""
    return ledger_no or provisional_no


# -- the office's catch-up after a sync import -------------------------------------------------


def assign_official_numbers(session) -> int:
    """Give official numbers to this township's live problems that only have a provisional one; returns how many.

    Only on the numbering authority (:class:`NotNumberingAuthorityError`
    otherwise). Numbers follow registration time within each year, so a
    laptop's problems slot in after those already numbered; problems of other
    townships (a county ledger) are left alone. One transaction.
    """
    require(session, EDITORS, "编排台账编号")
    if not is_numbering_authority(session):
        raise NotNumberingAuthorityError("本台账不是乡镇编号机关，不能编排正式台账编号；请在乡镇办公室的台账上操作")
    count = 0
    with session.writing() as w:
        rows = session.ledger.db.execute_sql(
            "SELECT id, year FROM problem WHERE deleted = 0 AND ledger_no = '' AND township_id = ? "
            "ORDER BY year, registered_at, provisional_no, id", (session.ledger.get_meta("township_id") or "",)
        ).fetchall()
        next_by_year: dict[int, int] = {}
        for problem_id, year in rows:
            prefix = official_prefix(session, year)
            if year not in next_by_year:
                next_by_year[year] = _next_seq(session.ledger.db, "ledger_no", prefix)
            w.update(Problem, problem_id, {"ledger_no": f"{prefix}{next_by_year[year]:04d}"})
            next_by_year[year] += 1
            count += 1
    return count

