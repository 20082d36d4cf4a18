"""What the spreadsheet imports (花名册, 六会, 问题台账) share.

* village names: a name matches a ledger village exactly, else by its base
  without the 村/社区/嘎查 suffix when only one village has that base
  (:class:`VillageNames`, :func:`village_base`);
* the column aliases every import accepts for 村(社区) and 身份证号;
* :class:`ImportPlan`, the base of every plan (``ok``, ``kind``);
* the guards of every ``apply_*``: a plan with row errors is refused unless
  only the valid rows are wanted (:func:`refuse_errors`), and a plan made
  before the ledger last changed is stale (:func:`ledger_mark`,
  :func:`refuse_stale`);
* the Chinese lines of previews and results (:func:`file_line`,
  :func:`issue_lines`, :func:`list_preview`, :func:`done_message`);
* free text compared as the old reader cleaned it (:func:`text_key`), so a
  re-import of text stored before PROSE columns kept their Chinese
  punctuation still matches.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable, Sequence

from ledgerdesk.core.text import clean
from ledgerdesk.interchange.errors import ImportHasErrorsError, StalePlanError

VILLAGE_SUFFIX = re.compile(r"(村民委员会|居民委员会|村委会|居委会|村|社区|嘎查)$")
VILLAGE_ALIASES: tuple[str, ...] = (
    "村（社区）", "村", "村名", "村名称", "社区", "嘎查", "村/社区", "村社区", "所属村", "所属村(社区)", "所在村",
    "村居", "行政村", "嘎查村", "村(社区、嘎查)", "村委会")
ID_NUMBER_ALIASES: tuple[str, ...] = (
    "公民身份号码", "身份证号码", "证件号码", "身份证", "身份证件号码", "身份证件号", "证件号", "居民身份证号码",
    "公民身份证号码")
LIST_SPLIT = re.compile(r"[、,，;；/|\s]+")  # 张三、李四 / 低保，留守老人


def split_list(text: str) -> tuple[str, ...]:
    """The items of a cell listing several (names, tags), in order, each once."""
    return tuple(dict.fromkeys(t for t in LIST_SPLIT.split(text or "") if t))


def text_key(value: object) -> str:
    """Free text as compared for matching and idempotence: :func:`~ledgerdesk.core.text.clean` of it."""
    return clean(value)


# -- villages -------------------------------------------------------------------------------------------


def village_base(name: str) -> str:
    """A village name without its 村/社区/嘎查 suffix: 红旗村 and 红旗 are the same village."""
    s = clean(name)
    return VILLAGE_SUFFIX.sub("", s) or s


class VillageNames:
    """The ledger's villages by name: exact, else a unique match without the suffix."""

    def __init__(self, villages: Iterable[tuple[str, str]]):  # (id, name)
        self.by_name: dict[str, str] = {}
        self.by_base: dict[str, list[str]] = {}
        self.names: dict[str, str] = {}
        for vid, name in villages:
            self.names[vid] = name
            self.by_name.setdefault(name, vid)
            self.by_base.setdefault(village_base(name), []).append(vid)

    def find(self, name: str) -> str | None:
        """The id of the village ``name`` means, or None (unknown, or several villages share its base)."""
        if name in self.by_name:
            return self.by_name[name]
        hits = self.by_base.get(village_base(name), [])
        return hits[0] if len(hits) == 1 else None

    def similar(self, name: str) -> list[str]:
        """The names of the villages sharing the base of ``name`` (several: the name is ambiguous)."""
        return [self.names[v] for v in self.by_base.get(village_base(name), [])]


# -- plans and applying -------------------------------------------------------------------------------


class ImportPlan:
    """What every import plan offers the CLI and the import dialog (besides ``summary_lines()``)."""

    kind = ""  # "roster", "committees", "ledger"
    errors: list

    @property
    def ok(self) -> bool:
        return not self.errors

    def row_counts(self) -> tuple[int, int, int]:
        """``(data rows read, valid rows, rows with errors)``, as the preview shows them."""
        raise NotImplementedError


def ledger_mark(db) -> int:
    """The ledger's last version: a plan remembers it, apply refuses a ledger changed since."""
    return db.execute_sql("SELECT coalesce(max(id), 0) FROM version").fetchone()[0]


def refuse_errors(plan, only_valid: bool, what: str) -> None:
    """All-or-nothing: raise :class:`ImportHasErrorsError` when ``plan`` has row errors and not ``only_valid``."""
    if plan.errors and not only_valid:
        raise ImportHasErrorsError(
            f"{what}中有 {len(plan.error_rows)} 行数据有错误（如{plan.errors[0]}），没有导入任何数据。"
            "请改正后重新导入，或选择“仅导入有效行”")


def refuse_stale(db, plan) -> None:
    """Raise :class:`StalePlanError` when the ledger changed after ``plan`` was made (call inside the write)."""
    if ledger_mark(db) != plan.ledger_mark:
        raise StalePlanError("预览之后台账已被修改，请重新预览后再导入")


# -- Chinese lines ----------------------------------------------------------------------------------------


def file_line(path: str, sheet: str, header_row: int) -> str:
    return f"文件：{Path(path).name}（工作表“{sheet}”，表头在第{header_row}行）"


def list_preview(items: Iterable[str], limit: int = 10) -> str:
    """Up to ``limit`` items joined by 、, then “ 等” when there are more."""
    items = list(items)
    return "、".join(items[:limit]) + (" 等" if len(items) > limit else "")


def issue_lines(warnings: Sequence, errors: Sequence, max_errors: int, *, ignored_headers: Sequence[str] = (),
                list_warnings: bool = False) -> list[str]:
    """The end of a preview: the columns not imported, the warnings (counted, or listed), the first errors."""
    lines = []
    if ignored_headers:
        lines.append("未导入的列：" + "、".join(ignored_headers))
    if warnings:
        lines.append(f"提醒 {len(warnings)} 条（仍会导入）" + ("：" if list_warnings else ""))
        if list_warnings:
            lines.extend(f"  {w}" for w in warnings[:max_errors])
    if errors:
        lines.append(f"错误 {len(errors)} 条（前 {min(max_errors, len(errors))} 条）：")
        lines.extend(f"  {e}" for e in errors[:max_errors])
    return lines


def done_message(parts: Iterable[str], rows_skipped: int) -> str:
    """“导入完成：…，…。” with the skipped rows last."""
    parts = list(parts)
    if rows_skipped:
        parts.append(f"跳过有错误的行 {rows_skipped}")
    return "导入完成：" + "，".join(parts) + "。"
