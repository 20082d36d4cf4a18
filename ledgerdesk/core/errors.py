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


class PassphraseRequiredError(LedgerDeskError):
    """The ledger file is encrypted and no database passphrase was given."""

    key = "passphrase-required"


class WrongPassphraseError(LedgerDeskError):
    """The database passphrase does not open the encrypted ledger; nothing was changed."""

    key = "wrong-passphrase"


class MigrationError(LedgerDeskError):
    """A schema upgrade step failed; the database was left at its previous version."""

    key = "migration-failed"


class BackupFailedError(LedgerDeskError):
    """A backup copy could not be written (disk full, folder not writable); the ledger is unchanged."""

    key = "backup-failed"


class BackupDamagedError(LedgerDeskError):
    """A backup to restore from fails its integrity or version-log check; nothing was changed."""

    key = "backup-damaged"


class ForeignBackupError(LedgerDeskError):
    """A backup to restore from belongs to another township's ledger; nothing was changed."""

    key = "backup-foreign"


class LedgerInUseError(LedgerDeskError):
    """The ledger file is open in another program or window, so it cannot be replaced now."""

    key = "ledger-in-use"


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


class OutsideVillagesError(PermissionDeniedError):
    """The user's account is limited to some villages and the record belongs to another."""

    key = "outside-villages"

    def __init__(self, role: str, kind: str, message: str):
        LedgerDeskError.__init__(self, message)
        self.role = role
        self.kind = kind


class LoginFailedError(LedgerDeskError):
    """The user name or password is wrong (one message for both), or the account is disabled."""

    key = "login-failed"


class LockedOutError(LedgerDeskError):
    """Too many failed logins for this user name: refused for ``seconds`` more, even with the right password."""

    key = "locked-out"

    def __init__(self, seconds: int):
        seconds = max(1, int(seconds))
        if seconds < 60:
            wait = f"{seconds} 秒"
        elif seconds < 3600:
            minutes, rest = divmod(seconds, 60)
            wait = f"{minutes} 分 {rest} 秒" if rest else f"{minutes} 分钟"
        else:
            wait = "1 小时"
        super().__init__(f"密码输错次数过多，该账号已暂时锁定，请 {wait}后再试")
        self.seconds = seconds


class LoginRequiredError(LedgerDeskError):
    """The ledger has accounts with passwords and no credentials were given."""

    key = "login-required"


class NotFoundError(LedgerDeskError):
    """A record that was asked for does not exist (or was deleted)."""

    key = "not-found"


class Cancelled(LedgerDeskError):
    """The user cancelled a long operation; error dialogs ignore it."""

    key = "cancelled"
