"""Dates given by a user or a spreadsheet, and dates read back from the ledger's ISO text columns.

* :func:`parse_date` — a date from a date, a datetime or ISO text; None when
  empty; ``ValueError`` otherwise (for code that sorts its own findings, such
  as :func:`ledgerdesk.core.person_rules.check_person`);
* :func:`date_arg` — the same for a service argument: a
  :class:`~ledgerdesk.core.errors.ValidationError` at ``field`` whose Chinese
  message names the field (``label``), with an optional default, "required"
  and "not after today" rule (the default is not checked against it);
* :func:`stored_date` — a ``date`` from a stored column (``YYYY-MM-DD``, or a
  timestamp whose first ten characters are the day); None when empty.
"""

from __future__ import annotations

import datetime as dt

from ledgerdesk.core.errors import ValidationError
from ledgerdesk.core.text import clean

EXAMPLE = "2026-05-01"


def parse_date(value: object) -> dt.date | None:
    """A date from a date, a datetime or ISO text; None when empty. Raises ValueError otherwise."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(clean(value))


def date_arg(value: object, field: str, label: str, *, default: dt.date | None = None,
             required: bool = False, not_after: dt.date | None = None) -> dt.date | None:
    """``value`` as a date for the argument ``field`` (Chinese name ``label``).

    Empty gives ``default`` (with ``required`` and no default: “请填写{label}”).
    Not a date: “{label}“…”不是有效日期（例如 2026-05-01）”. Later than
    ``not_after`` (today, as the caller's clock says): “{label}不能晚于今天”.
    """
    try:
        day = parse_date(value)
    except (TypeError, ValueError):
        raise ValidationError(f"{label}“{clean(value)}”不是有效日期（例如 {EXAMPLE}）", field=field) from None
    if day is None:
        if default is None and required:
            raise ValidationError(f"请填写{label}", field=field)
        return default
    if not_after is not None and day > not_after:
        raise ValidationError(f"{label}不能晚于今天", field=field)
    return day


def stored_date(value: object) -> dt.date | None:
    """A date column (or the day of a timestamp column) as read from SQL; None when empty or not a date."""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None
