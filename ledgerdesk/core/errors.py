"""One exception class per failure kind, all under :class:`LedgerDeskError`.

Every error carries a Chinese message for the user and a stable English key for
scripts and logs. The CLI prints ``message (key)`` on one line and exits
non-zero; the GUI shows ``message`` in a dialog. Nothing else is shown to users.
"""

from __future__ import annotations


class LedgerDeskError(Exception):
    """Root of every error LedgerDesk reports to a user."""

    key = "error"
    exit_code = 1

    def __init__(self, message: str, *, key: str | None = None):
        super().__init__(message)
        self.message = message
        if key is not None:
            self.key = key

    def __str__(self) -> str:
        return self.message

    def one_line(self) -> str:
        """The single line the CLI prints: Chinese message, then the English key."""
        return f"错误：{self.message} ({self.key})"


class UsageError(LedgerDeskError):
    """The command line was given arguments that do not fit."""

    key = "usage"
    exit_code = 2


class LedgerNotFoundError(LedgerDeskError):
    """The ledger file named does not exist."""

    key = "ledger-not-found"


class LedgerExistsError(LedgerDeskError):
    """A new ledger was asked for where a file already exists."""

    key = "ledger-exists"


class NotALedgerError(LedgerDeskError):
    """The file is not a LedgerDesk database (or is damaged beyond opening)."""

    key = "not-a-ledger"


class SchemaTooNewError(LedgerDeskError):
    """The database was written by a newer LedgerDesk; it is refused untouched."""

    key = "schema-too-new"


class MigrationError(LedgerDeskError):
    """A schema upgrade step failed; the database was left at its previous version."""

    key = "migration-failed"


class UnversionedWriteError(LedgerDeskError):
    """A write to a synced table tried to go around the versioned write path."""

    key = "unversioned-write"


class ValidationError(LedgerDeskError):
    """A field value is not acceptable; ``field`` names the form field."""

    key = "invalid-value"

    def __init__(self, message: str, *, field: str | None = None, key: str | None = None):
        super().__init__(message, key=key)
        self.field = field


class PermissionDeniedError(LedgerDeskError):
    """The user's role may not do this (checked in services, not only by hidden buttons)."""

    key = "permission-denied"

    def __init__(self, role: str, kind: str):
        super().__init__(f"“{role}”角色无权进行“{kind}”操作")
        self.role = role
        self.kind = kind


class NotFoundError(LedgerDeskError):
    """A record that was asked for does not exist (or was deleted)."""

    key = "not-found"


class Cancelled(LedgerDeskError):
    """The user cancelled a long operation; error dialogs ignore it."""

    key = "cancelled"
