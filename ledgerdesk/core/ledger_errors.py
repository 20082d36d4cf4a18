"""Errors of the problem-to-closure ledger (问题台账), one class per failure kind.

They follow :mod:`ledgerdesk.core.errors`: a Chinese message for the user and
a stable English ``key``. Missing or bad event fields raise the shared
:class:`~ledgerdesk.core.errors.ValidationError` (with ``field``) instead.
"""

from __future__ import annotations

from ledgerdesk.core.errors import LedgerDeskError, PermissionDeniedError  # noqa: F401 (re-exported)


class IllegalTransitionError(LedgerDeskError):
    """An event the problem's current state does not allow (e.g. 办结 after 销号)."""

    key = "illegal-transition"

    def __init__(self, state: str, kind: str, detail: str = ""):
        message = f"当前状态为“{state}”，不能“{kind}”" + (f"：{detail}" if detail else "")
        super().__init__(message)
        self.state = state
        self.kind = kind
        self.detail = detail
