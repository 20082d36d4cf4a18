"""Who may do what, checked in services (quality.md: roles are enforced here, not only by hidden buttons).

The problem ledger's per-event rules live in :mod:`ledgerdesk.core.lifecycle`
(:func:`~ledgerdesk.core.lifecycle.check_permission`); this module holds the
rules of everything else. Roles are :data:`ledgerdesk.core.vocab.ROLES`.
"""

from __future__ import annotations

from ledgerdesk.core.errors import PermissionDeniedError
from ledgerdesk.core.vocab import ROLES

ADMIN, SECRETARY, CLERK, VIEWER = ROLES

EDITORS = frozenset({ADMIN, SECRETARY, CLERK})  # may change registry, committee and visit records
REVIEWERS = frozenset({ADMIN, SECRETARY})  # designate centers and heads, merge persons, settings
REVEALERS = frozenset({ADMIN, SECRETARY})  # may see full 身份证号 and phone numbers


def require(session, roles: frozenset[str], action: str) -> None:
    """Raise :class:`PermissionDeniedError` unless the session's role is in ``roles``."""
    if session.role not in roles:
        raise PermissionDeniedError(session.role, action)


def may_reveal(session) -> bool:
    """Whether this session may see 身份证号 and phone numbers unmasked."""
    return session.role in REVEALERS
