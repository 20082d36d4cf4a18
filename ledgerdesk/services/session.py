"""Who is acting on which ledger: the first argument of every service call."""

from __future__ import annotations

from dataclasses import dataclass

from ledgerdesk.store.database import Ledger

SYSTEM_USER = "system"


@dataclass
class Session:
    """An open ledger plus the acting user, their role and the villages they may work on.

    ``villages`` is None for an account that covers every village of the
    township (and for the system user of a ledger without login); otherwise
    the ids of the villages the account is limited to (``user_account.village_ids``).
    Services check both (:mod:`ledgerdesk.services.permissions`). Sessions of
    logged-in users come from :func:`ledgerdesk.services.accounts.login`.
    """

    ledger: Ledger
    user: str = SYSTEM_USER
    role: str = "管理员"
    villages: frozenset[str] | None = None

    def writing(self):
        """One write transaction attributed to this session's user."""
        return self.ledger.writing(self.user)

    def reading(self):
        return self.ledger.reading()

    def close(self) -> None:
        self.ledger.close()
