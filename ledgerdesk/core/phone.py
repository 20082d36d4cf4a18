"""Phone numbers: mainland mobiles (11 digits, 1[3-9]…) and fixed lines with area code."""

from __future__ import annotations

import re

from ledgerdesk.core.text import clean_code

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_FIXED = re.compile(r"^0\d{2,3}\d{7,8}$")


def normalise_phone(value: object) -> str:
    """Strip spaces, dashes, a +86/0086 prefix and full-width digits."""
    s = clean_code(value)
    for prefix in ("+86", "0086"):
        if s.startswith(prefix):
            s = s[len(prefix):]
    return s


def phone_problem(value: str) -> str | None:
    """None if ``value`` (normalised) looks like a phone number, else a Chinese reason."""
    if not value:
        return None
    if _MOBILE.match(value) or _FIXED.match(value):
        return None
    return "电话号码格式不正确（手机11位，座机需带区号）"
