"""Why a sync file or a device operation was refused: one class per failure kind.

All are :class:`SyncError`, a :class:`LedgerDeskError`, so the CLI prints one
line and the GUI one dialog. A refused file has changed nothing.
"""

from __future__ import annotations

from ledgerdesk.core.errors import LedgerDeskError


class SyncError(LedgerDeskError):
    """A sync file or device operation was refused; nothing was changed."""

    key = "sync"


class BundleDamagedError(SyncError):
    """The file is truncated, corrupted or not a LedgerDesk sync file."""

    key = "sync-file-damaged"


class BundleForgedError(SyncError):
    """A signature or digest does not match: the file was altered or forged."""

    key = "sync-file-forged"


class ForeignGroupError(SyncError):
    """The file was made by a device of another township (another sync group)."""

    key = "sync-foreign-file"


class RevokedDeviceError(SyncError):
    """The file was signed by a device the office has revoked."""

    key = "sync-device-revoked"


class FormatTooNewError(SyncError):
    """The file was written by a newer LedgerDesk: 请升级."""

    key = "sync-format-too-new"


class NotEnrolledError(SyncError):
    """This ledger has not joined a township's sync group (or its keys are not on this machine)."""

    key = "sync-not-enrolled"


class NotAuthorityError(SyncError):
    """Only the township office's ledger (the group's authority) may enrol or revoke devices."""

    key = "sync-not-authority"


class EnrollmentError(SyncError):
    """An enrolment file is damaged, or its pairing code is wrong."""

    key = "sync-enrollment"


class DeviceExistsError(SyncError):
    """A device of that name is already enrolled."""

    key = "sync-device-exists"


class KeyStoreError(SyncError):
    """The key store of this machine cannot be read or written."""

    key = "sync-keystore"


class FileIdReusedError(SyncError):
    """A file id seen before arrived with other content: an alarm, the file is refused."""

    key = "sync-file-id-reused"


class ConflictGoneError(SyncError):
    """The conflict to resolve is no longer open (resolved elsewhere meanwhile)."""

    key = "sync-conflict-gone"
