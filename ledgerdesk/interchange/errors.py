"""Failures of spreadsheet import and export, one class per kind (all under LedgerDeskError).

Each message is complete Chinese for a township cadre and names the file;
the English ``key`` is what the CLI prints after it. Row-level problems of an
otherwise readable sheet are not exceptions: they are :class:`~ledgerdesk.
interchange.sheet.RowIssue` values in the plan; only an apply that refuses
them raises :class:`ImportHasErrorsError`.
"""

from __future__ import annotations

from ledgerdesk.core.errors import LedgerDeskError


class InterchangeError(LedgerDeskError):
    """Root of the spreadsheet import/export failures."""

    key = "interchange-error"


class WorkbookNotFoundError(InterchangeError):
    """The spreadsheet file named does not exist."""

    key = "workbook-not-found"


class NotAWorkbookError(InterchangeError):
    """The file is not an .xlsx workbook (old .xls, .csv, a password-protected file, anything else)."""

    key = "not-xlsx"


class CorruptWorkbookError(InterchangeError):
    """The file looks like .xlsx but its contents are damaged or unreadable."""

    key = "workbook-corrupt"


class WorkbookTooLargeError(InterchangeError):
    """The workbook unpacks to far more data than any roster (a zip bomb, or a sheet with millions of rows)."""

    key = "workbook-too-large"


class HeaderNotFoundError(InterchangeError):
    """No row of the first sheets looks like a header with the expected column names."""

    key = "header-not-found"


class MissingColumnsError(InterchangeError):
    """A header was found but a required column (e.g. 姓名) is not in it."""

    key = "missing-columns"


class ImportHasErrorsError(InterchangeError):
    """An all-or-nothing import was refused because some rows have errors; nothing was written."""

    key = "import-has-errors"


class StalePlanError(InterchangeError):
    """The ledger changed between the preview and the import; the preview must be made again."""

    key = "stale-plan"


class ExportWriteError(InterchangeError):
    """The spreadsheet could not be written (folder missing, no permission, file open in Excel)."""

    key = "export-write-failed"
