"""One call for the CLI and the 报表打印 page: gather a sheet's data (services.sheets) and render its PDF."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from typing import TYPE_CHECKING

from ledgerdesk.core.errors import ValidationError
from ledgerdesk.services import sheets
from ledgerdesk.services.problem_stats import Period

SHEETS = sheets.SHEETS  # key -> Chinese title
PAPERS = {  # key -> papers offered (the first is the default)
    "ledger-monthly": ("A4", "A3"),
    "coverage-notice": ("A4", "A3"),
    "linkage-notice": ("A4", "A3"),
    "committees": ("A4", "A3"),
    "bulletin": ("A4",),
    "household-card": ("A4", "A5"),
}

Progress = Callable[[str, float], None]

if TYPE_CHECKING:
    from ledgerdesk.reports.fonts import MissingGlyph


@dataclass(frozen=True)
class SheetResult:
    sheet: str
    path: str
    pages: int
    missing: tuple[MissingGlyph, ...]

    def warnings(self) -> list[str]:
        """One line per character no bundled font has, naming its record."""
        return [m.message() for m in self.missing]


def make_sheet(session, sheet: str, out: str | Path, *, month: str | None = None, village: str | None = None,
               paper: str | None = None, household: str | None = None, today=None,
               progress: Progress | None = None) -> SheetResult:
    """Build ``sheet`` (a key of :data:`SHEETS`) for ``month`` ("YYYY-MM", default this month) into ``out``."""
    if sheet not in SHEETS:
        raise ValidationError(f"没有名为“{sheet}”的报表，可选：{'、'.join(SHEETS)}", field="sheet")
    paper = (paper or PAPERS[sheet][0]).upper()
    if paper not in PAPERS[sheet]:
        raise ValidationError(f"{SHEETS[sheet]}可用纸张：{'、'.join(PAPERS[sheet])}", field="paper")
    # The renderers (reportlab, its chart package) are imported here, on the caller's thread:
    # the 报表打印 page imports this module on the GUI thread, where they cost 0.4 s.
    from ledgerdesk.reports import bulletin, committees_sheet, coverage_notice, household_card, ledger_monthly
    from ledgerdesk.reports.fonts import GlyphReport, chain

    today = today or session.ledger.clock.today()
    period = Period.month(month) if month else Period.month(f"{today:%Y-%m}")
    step = progress or (lambda label, fraction: None)
    step("正在读取数据…", 0.02)
    report = GlyphReport(chain())

    def pages_done(done: int, total: int) -> None:
        step(f"正在排版：{done}/{total}", 0.5 + 0.5 * done / max(1, total))

    if sheet == "ledger-monthly":
        data = sheets.ledger_sheet(session, period, village=village, today=today)
        render = ledger_monthly.render
    elif sheet in ("coverage-notice", "linkage-notice"):
        data = sheets.notice_sheet(session, "center" if sheet == "coverage-notice" else "link_head", village=village,
                                   today=today)
        render = coverage_notice.render
    elif sheet == "committees":
        data = sheets.committees_sheet(session, period, village=village, today=today)
        render = committees_sheet.render
    elif sheet == "bulletin":
        data = sheets.bulletin(session, period, village=village, today=today,
                               progress=lambda n, t: step(f"正在统计近 {t} 个月：{n}/{t}", 0.05 + 0.4 * n / t))
        render = bulletin.render
    else:
        if not household:
            raise ValidationError("户情卡需要指定户（--household 户号或编号）", field="household")
        data = sheets.household_card(session, household, village=village, today=today)
        render = household_card.render
    step("正在排版…", 0.5)
    out = Path(out)
    tmp = out.with_name(out.name + ".part")
    try:
        result = render(data, str(tmp), paper=paper, report=report, progress=pages_done)
        tmp.replace(out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ValidationError(f"无法写入文件“{out}”：{exc.strerror or exc}", field="out") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    step("完成", 1.0)
    return SheetResult(sheet, str(out), result.pages, result.missing)
