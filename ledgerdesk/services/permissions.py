"""Who may do what, checked in services (quality.md: roles are enforced here, not only by hidden buttons).

The problem ledger's per-event rules live in :mod:`ledgerdesk.core.lifecycle`
(:func:`~ledgerdesk.core.lifecycle.check_permission`); this module holds the
rules of everything else. Roles are :data:`ledgerdesk.core.vocab.ROLES`.

Village limits: an account may be limited to some villages
(``Session.villages``; None = every village). Write services call
:func:`require_village` with the village of the record they write (a new
record's chosen village, an existing record's own) and
:func:`require_all_villages` for township-wide writes (a new village, a whole
roster or ledger import); list queries narrow themselves with
:func:`village_limit`.
"""

from __future__ import annotations

from typing import Iterable

from ledgerdesk.core.errors import OutsideVillagesError, PermissionDeniedError
from ledgerdesk.core.vocab import ROLES

ADMIN, SECRETARY, CLERK, VIEWER = ROLES

EDITORS = frozenset({ADMIN, SECRETARY, CLERK})  # may change registry, committee and visit records
REVIEWERS = frozenset({ADMIN, SECRETARY})  # designate centers and heads, merge persons, settings
REVEALERS = frozenset({ADMIN, SECRETARY})  # may see full 身份证号 and phone numbers
ACCOUNT_ADMINS = frozenset({ADMIN})  # manage user accounts


def require(session, roles: frozenset[str], action: str) -> None:
    """Raise :class:`PermissionDeniedError` unless the session's role is in ``roles``."""
    if session.role not in roles:
        raise PermissionDeniedError(session.role, action)


def may_reveal(session) -> bool:
    """Whether this session may see 身份证号 and phone numbers unmasked."""
    return session.role in REVEALERS


def village_limit(session) -> frozenset[str] | None:
    """The villages this session is limited to; None when it may work on all of them."""
    return getattr(session, "villages", None)


def may_work_in(session, village_id: str | None) -> bool:
    """Whether the session may write records of ``village_id`` (None: a township-level record)."""
    allowed = village_limit(session)
    return allowed is None or (village_id is not None and village_id in allowed)


def _village_names(session, ids: Iterable[str]) -> str:
    ids = sorted(ids)
    if not ids:
        return "（无）"
    marks = ", ".join("?" * len(ids))
    found = dict(session.ledger.db.execute_sql(f"SELECT id, name FROM village WHERE id IN ({marks})", ids).fetchall())
    return "、".join(found.get(i, i) for i in ids)


def require_village(session, village_id: str | None, action: str) -> None:
    """Raise :class:`OutsideVillagesError` (a PermissionDeniedError) unless the session may work in ``village_id``.

    A record with no village (a township-level problem) counts as outside
    every limited account's villages.
    """
    if may_work_in(session, village_id):
        return
    allowed = _village_names(session, village_limit(session) or ())
    if village_id:
        where = f"“{_village_names(session, [village_id])}”的记录"
    else:
        where = "不属于任何村的记录"
    raise OutsideVillagesError(session.role, action,
                               f"您的账号只负责{allowed}，不能对{where}进行“{action}”操作")


def require_villages(session, village_ids: Iterable[str | None], action: str) -> None:
    """:func:`require_village` for each of ``village_ids``."""
    if village_limit(session) is None:
        return
    for village_id in dict.fromkeys(village_ids):
        require_village(session, village_id, action)


def require_all_villages(session, action: str) -> None:
    """Raise :class:`OutsideVillagesError` when the session is limited to some villages (township-wide writes)."""
    allowed = village_limit(session)
    if allowed is None:
        return
    raise OutsideVillagesError(session.role, action,
                               f"您的账号只负责{_village_names(session, allowed)}，不能进行全乡镇范围的“{action}”操作")
