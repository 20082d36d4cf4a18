"""Who is acting on which ledger: the first argument of every service call."""

from __future__ import annotations

from dataclasses import dataclass

from ledgerdesk.store.database import Ledger

SYSTEM_USER = "system"


@dataclass
class Session:
    """An open ledger plus the acting user (accounts and roles arrive with the trust issue)."""

    ledger: Ledger
    user: str = SYSTEM_USER
    role: str = "管理员"

    def writing(self):
        """One write transaction attributed to this session's user."""
        return self.ledger.writing(self.user)

    def reading(self):
        return self.ledger.reading()

    def close(self) -> None:
        self.ledger.close()
