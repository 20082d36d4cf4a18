"""The rules a person record must follow, shared by forms, services and roster imports.

:func:`check_person` normalises what a user typed (or a spreadsheet held) and
sorts the findings in two kinds:

* **errors** block saving: a missing name, a gender or birth date that
  contradicts a well-formed 身份证号, a phone number that is not one;
* **warnings** are saved with a flag (``person.id_status``): a wrong check
  digit or a malformed 身份证号. Real rosters contain such numbers and the
  record matters more than the digit (domain.md, "Registry").

When gender or birth date are left empty they are taken from the 身份证号.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ledgerdesk.core.dates import parse_date
from ledgerdesk.core.idcard import INVALID, VALID, IdVerdict, check_id_number
from ledgerdesk.core.phone import normalise_phone, phone_problem
from ledgerdesk.core.text import clean, clean_code
from ledgerdesk.core.vocab import GENDERS


@dataclass(frozen=True)
class FieldIssue:
    """One finding about one field; ``message`` is Chinese and complete."""

    field: str  # name, gender, birth_date, id_number, phone
    message: str


@dataclass(frozen=True)
class PersonCheck:
    """The normalised values and the findings of :func:`check_person`."""

    name: str
    gender: str
    birth_date: dt.date | None
    id_number: str
    id_status: str  # idcard.VALID / INVALID / MISSING
    phone: str
    errors: tuple[FieldIssue, ...]
    warnings: tuple[FieldIssue, ...]

    @property
    def ok(self) -> bool:
        return not self.errors


def _is_cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\U00020000" <= ch <= "\U0003134f" or ch == "·"


def clean_name(value: object) -> str:
    """Spaces inside a Chinese name are typing noise (“张 三” is 张三); Latin names keep them."""
    s = clean(value)
    if " " in s and all(_is_cjk(c) for c in s.replace(" ", "")):
        s = s.replace(" ", "")
    return s


def check_person(*, name: object, id_number: object = "", gender: object = "",
                 birth_date: object = None, phone: object = "", today: dt.date | None = None) -> PersonCheck:
    """Normalise and check one person's identifying fields (see the module docstring)."""
    errors: list[FieldIssue] = []
    warnings: list[FieldIssue] = []
    name_s = clean_name(name)
    if not name_s:
        errors.append(FieldIssue("name", "姓名不能为空"))
    elif len(name_s) > 40:
        errors.append(FieldIssue("name", "姓名过长（最多40个字）"))

    number = clean_code(id_number)
    verdict = check_id_number(number)
    if verdict.status == VALID and today and verdict.birth_date > today:
        # A well-formed number cannot belong to someone not yet born: flag it like a wrong digit.
        verdict = IdVerdict(INVALID, "身份证号中的出生日期晚于今天", verdict.birth_date, verdict.gender)
    if verdict.status == INVALID:
        warnings.append(FieldIssue("id_number", f"{verdict.reason}，已按“待核实”保存"))

    gender_s = clean(gender)
    if gender_s and gender_s not in GENDERS:
        errors.append(FieldIssue("gender", f"性别只能是“男”或“女”，不能是“{gender_s}”"))
    elif verdict.status == VALID and gender_s and gender_s != verdict.gender:
        errors.append(FieldIssue("gender", f"性别“{gender_s}”与身份证号（{verdict.gender}）不一致"))
    if not gender_s and verdict.gender and verdict.status == VALID:
        gender_s = verdict.gender

    try:
        birth = parse_date(birth_date)
    except (TypeError, ValueError):
        errors.append(FieldIssue("birth_date", f"出生日期“{clean(birth_date)}”不是有效日期（例如 1980-05-01）"))
        birth = None
    else:
        if birth and verdict.status == VALID and birth != verdict.birth_date:
            errors.append(FieldIssue("birth_date", f"出生日期 {birth.isoformat()} 与身份证号"
                                                   f"（{verdict.birth_date.isoformat()}）不一致"))
        if birth and today and birth > today:
            errors.append(FieldIssue("birth_date", "出生日期不能晚于今天"))
        if birth is None and verdict.status == VALID:
            birth = verdict.birth_date

    phone_s = normalise_phone(phone)
    problem = phone_problem(phone_s)
    if problem:
        errors.append(FieldIssue("phone", problem))

    return PersonCheck(name_s, gender_s, birth, number, verdict.status, phone_s, tuple(errors), tuple(warnings))
