"""月度问题台账 — the monthly (or yearly) problem ledger, A4 landscape.

Page 1: the title, the period and cut-off, the summary figures (受理 / 办结 / 办结率 /
按期办结率 / 满意率 / 超期未办结 / 黄牌 / 平均办理天数, from problem_stats: the same numbers
as the screen and ``stats --json``). Then one row per problem, its header repeated
on every page, overdue rows shaded and marked "▲超期". The last page ends with the
sign-off block (填报人 / 审核人 / 日期) and a seal box.

Drawn with :class:`~ledgerdesk.reports.layout.GridPainter` straight onto the
canvas: a county's year (≈50,000 problems, ≈2,000 pages) in one pass.
"""

from __future__ import annotations

from typing import BinaryIO

from reportlab.lib import colors
from reportlab.lib.units import mm

from ledgerdesk.reports.fonts import GlyphReport, chain
from ledgerdesk.reports.layout import (GRID_COLOR, Column, GridPainter, PageFrame, ProgressFn, RenderResult,
                                       draw_string, fmt_date, fmt_rate, new_canvas, page_size)
from ledgerdesk.services.sheets import LedgerSheet

SUMMARY = (("received", "受理数", "n"), ("resolved", "办结数", "n"), ("resolution_rate", "办结率", "r"),
           ("resolved_on_time", "按期办结数", "n"), ("on_time_rate", "按期办结率", "r"),
           ("satisfaction_rate", "满意率", "r"), ("overdue_open", "超期未办结", "n"),
           ("yellow_cards", "黄牌数", "n"), ("avg_days_to_resolve", "平均办理天数", "d"))

OVERDUE_MARK = "▲超期"


def columns(width: float) -> list[Column]:
    """The ledger's columns, scaled to the usable width."""
    spec = [("编号", 30, "left", 2), ("来源", 17, "center", 2), ("村（社区）", 20, "left", 2), ("问题", 62, "left", 6),
            ("责任人（单位）", 38, "left", 4), ("登记日期", 18, "center", 1), ("办理时限", 18, "center", 1),
            ("状态", 17, "center", 2), ("办结日期", 18, "center", 1), ("群众评价", 14, "center", 1)]
    total = sum(s[1] for s in spec)
    return [Column(t, width * w / total, a, m) for t, w, a, m in spec]


def figure_text(key: str, value, kind: str) -> str:
    if kind == "r":
        return fmt_rate(value)
    if value is None:
        return "—"
    return f"{value}"


def row_cells(line) -> list[str]:
    state = f"{line.state}\n{OVERDUE_MARK}" if line.overdue else line.state
    return [line.number, line.source, line.village, line.title, line.responsible, fmt_date(line.registered),
            fmt_date(line.deadline), state, fmt_date(line.resolved), line.rating]


def render(sheet: LedgerSheet, out: str | BinaryIO, *, paper: str = "A4", progress: ProgressFn | None = None,
           report: GlyphReport | None = None) -> RenderResult:
    fonts = chain()
    report = report or GlyphReport(fonts)
    size = page_size(paper, landscape=True)
    h = sheet.header
    frame = PageFrame(h.unit, h.title, h.period, h.printed_on, size, margin=10 * mm)
    width = size[0] - 2 * frame.margin
    grid = GridPainter(columns(width), frame.margin, fonts, size=8.0, leading=10.0)

    # 1. cells (missing characters reported against the problem) and row heights
    check = report.check
    rows: list[list[str]] = []
    heights: list[float] = []
    layouts: list[list] = []
    marks: list[bool] = []
    for line in sheet.lines:
        cells = row_cells(line)
        for text in (line.title, line.responsible, line.village):
            if text and not fonts.simple(text):
                check(text, f"问题 {line.number}")
        rows.append(cells)
        height, layout = grid.layout_row(cells)
        heights.append(height)
        layouts.append(layout)
        marks.append(line.overdue)

    # 2. pages: the first one starts below the title and summary; the sign-off needs its room at the end
    intro = 40 * mm
    signoff = 36 * mm
    space = frame.top - frame.bottom
    pages = GridPainter.paginate(heights, space - intro, space, grid.header_height) if rows else [(0, 0)]
    last_used = grid.header_height + sum(heights[pages[-1][0]:pages[-1][1]]) + (intro if len(pages) == 1 else 0)
    extra_page = last_used + signoff > space
    total = len(pages) + (1 if extra_page else 0)

    # 3. draw
    canvas = new_canvas(out, size, f"{h.unit}{h.title}", h.period)
    for n, (start, end) in enumerate(pages, 1):
        frame.draw(canvas, n, total, fonts)
        top = frame.top
        if n == 1:
            top = _draw_intro(canvas, sheet, frame, width, fonts)
        if end > start or n == 1:
            bottom = grid.draw_rows(canvas, top, rows[start:end], heights[start:end], marks[start:end],
                                    layouts[start:end])
        else:
            bottom = top
        if n == len(pages):
            if extra_page:
                canvas.showPage()
                frame.draw(canvas, total, total, fonts)
                bottom = frame.top
            _draw_signoff(canvas, sheet, frame, width, bottom, fonts)
        canvas.showPage()
        if progress is not None and (n % 20 == 0 or n == len(pages)):
            progress(n, total)
    canvas.save()
    return RenderResult(total, tuple(report.missing))


def _draw_intro(canvas, sheet: LedgerSheet, frame: PageFrame, width: float, fonts) -> float:
    h = sheet.header
    x0 = frame.margin
    y = frame.top - 6 * mm
    canvas.setFillColor(colors.black)
    draw_string(canvas, x0 + width / 2, y, f"{h.unit}{h.title}", 16, fonts, "center")
    y -= 6.5 * mm
    sub = f"统计期间：{h.period}（数字截至 {fmt_date(h.as_of)}）　共 {len(sheet.lines)} 件"
    if sheet.left_out:
        sub += f"（另有已撤销、已合并 {sheet.left_out} 件不计入）"
    draw_string(canvas, x0 + width / 2, y, sub, 9, fonts, "center")
    y -= 4 * mm
    # the summary: one row of labels, one of values
    n = len(SUMMARY)
    cw = width / n
    lab_h, val_h = 6 * mm, 8 * mm
    canvas.setFillColor(colors.Color(0.93, 0.93, 0.93))
    canvas.rect(x0, y - lab_h, width, lab_h, stroke=0, fill=1)
    canvas.setFillColor(colors.black)
    canvas.setStrokeColor(GRID_COLOR)
    canvas.setLineWidth(0.5)
    canvas.rect(x0, y - lab_h - val_h, width, lab_h + val_h, stroke=1, fill=0)
    canvas.line(x0, y - lab_h, x0 + width, y - lab_h)
    for i, (key, label, kind) in enumerate(SUMMARY):
        cx = x0 + cw * i
        if i:
            canvas.line(cx, y, cx, y - lab_h - val_h)
        draw_string(canvas, cx + cw / 2, y - lab_h + 1.9 * mm, label, 8.5, fonts, "center")
        draw_string(canvas, cx + cw / 2, y - lab_h - val_h + 2.4 * mm, figure_text(key, sheet.figures[key], kind), 12,
                    fonts, "center")
    y -= lab_h + val_h + 4 * mm
    draw_string(canvas, x0, y, f"说明：{OVERDUE_MARK} 表示已过办理时限仍未办结（整行加灰）；状态、办结日期、评价均为截至 "
                f"{fmt_date(h.as_of)} 的情况。", 8, fonts)
    return y - 3 * mm


def _draw_signoff(canvas, sheet: LedgerSheet, frame: PageFrame, width: float, top: float, fonts) -> None:
    x0 = frame.margin
    y = top - 12 * mm
    canvas.setFillColor(colors.black)
    draw_string(canvas, x0, y, "填报人：", 10.5, fonts)
    draw_string(canvas, x0 + width * 0.25, y, "审核人：", 10.5, fonts)
    draw_string(canvas, x0 + width * 0.5, y, "日期：　　　年　　月　　日", 10.5, fonts)
    canvas.setStrokeColor(GRID_COLOR)
    canvas.setLineWidth(0.5)
    for a, b in ((0.06, 0.22), (0.31, 0.47)):
        canvas.line(x0 + width * a, y - 1.2 * mm, x0 + width * b, y - 1.2 * mm)
    box_w, box_h = 34 * mm, 28 * mm
    bx = x0 + width - box_w
    canvas.setLineWidth(0.8)
    canvas.rect(bx, y - 4 * mm, box_w, box_h, stroke=1, fill=0)
    draw_string(canvas, bx + box_w / 2, y - 1.5 * mm, "（单位盖章）", 9, fonts, "center")
