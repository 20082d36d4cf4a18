"""月度工作简报 — the month in one or two pages (A4 portrait).

Key figures with the change from last month (problem_stats of both months), the
closure-rate trend over the last 12 months and coverage by village as charts
(reportlab.graphics, labels in the bundled font), the current yellow cards and the
month's notable closures.
"""

from __future__ import annotations

from typing import BinaryIO

from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.units import mm

from ledgerdesk.reports.fonts import PRIMARY, GlyphReport, placeholder
from ledgerdesk.reports.layout import (GRID_COLOR, HEAD_FILL, RenderResult, fmt_date, fmt_rate, plain_table,
                                       sheet_document, signoff_flowable, spacer)
from ledgerdesk.services.sheets import Bulletin, KeyFigure


MAX_CARDS = 15


def value_text(k: KeyFigure) -> str:
    if k.kind == "rate":
        return fmt_rate(k.value)
    return "—" if k.value is None else f"{k.value}"


def change_text(k: KeyFigure) -> str:
    d = k.change
    if d is None:
        return "上月无可比"
    if k.kind == "rate":
        d = round(d * 100, 1)
        unit = "个百分点"
    elif k.kind == "days":
        d = round(d, 1)
        unit = "天"
    else:
        unit = ""
    if d == 0:
        return "与上月持平"
    return f"比上月{'增加' if d > 0 else '减少'} {abs(d):g}{unit}"


def _label(text: str, report: GlyphReport, record: str) -> str:
    """Chart labels are drawn in the primary font only: any other character is printed as its placeholder."""
    fonts = report.fonts
    if fonts.simple(text):
        return text
    report.check(text, record)
    return "".join(c if fonts.font_for(c) == PRIMARY else placeholder(c) for c in text)


def _drawing(width: float, height: float) -> Drawing:
    d = Drawing(width, height)
    d.initialFontName, d.initialFontSize = PRIMARY, 8  # the drawing's initial font state (default: Helvetica)
    return d


def _percent_axes(chart, step: int) -> None:
    """Axis labels in the primary font at 8 pt; the value axis 0–100 % in steps of ``step``."""
    for axis in (chart.categoryAxis, chart.valueAxis):
        axis.labels.fontName = PRIMARY
        axis.labels.fontSize = 8
    chart.valueAxis.valueMin, chart.valueAxis.valueMax, chart.valueAxis.valueStep = 0, 100, step
    chart.valueAxis.labelTextFormat = "%d%%"


def trend_chart(b: Bulletin, width: float, report: GlyphReport) -> Drawing:
    h = 62 * mm
    d = _drawing(width, h)
    chart = HorizontalLineChart()
    chart.x, chart.y, chart.width, chart.height = 12 * mm, 12 * mm, width - 18 * mm, h - 22 * mm
    values = [(p.resolution_rate or 0) * 100 for p in b.trend]
    chart.data = [values]
    chart.categoryAxis.categoryNames = [f"{int(p.month[5:])}月" for p in b.trend]
    _percent_axes(chart, 20)
    chart.lines[0].strokeColor = colors.black
    chart.lines[0].strokeWidth = 1.5
    chart.lineLabelFormat = "%.0f"
    chart.lineLabels.fontName = PRIMARY
    chart.lineLabels.fontSize = 7
    d.add(chart)
    d.add(String(12 * mm, h - 6 * mm, f"办结率走势（近 {len(b.trend)} 个月，各月按月末口径）", fontName=PRIMARY,
                 fontSize=9.5))
    return d


def coverage_chart(b: Bulletin, width: float, report: GlyphReport) -> Drawing:
    n = max(1, len(b.coverage))
    bar = 5.2 * mm
    h = n * bar + 22 * mm
    d = _drawing(width, h)
    chart = HorizontalBarChart()
    chart.x, chart.y, chart.width, chart.height = 30 * mm, 10 * mm, width - 40 * mm, n * bar
    chart.data = [[v.center_coverage_rate * 100 for v in reversed(b.coverage)],
                  [v.head_linkage_rate * 100 for v in reversed(b.coverage)]]
    chart.categoryAxis.categoryNames = [_label(v.village, report, f"村 {v.village}") for v in reversed(b.coverage)]
    _percent_axes(chart, 10)
    chart.bars[0].fillColor = colors.Color(0.2, 0.2, 0.2)
    chart.bars[1].fillColor = colors.Color(0.7, 0.7, 0.7)
    chart.barLabelFormat = "%.0f"
    chart.barLabels.fontName = PRIMARY
    chart.barLabels.fontSize = 6
    chart.barLabels.boxAnchor = "w"
    chart.barLabels.dx = 2
    d.add(chart)
    d.add(String(30 * mm, h - 6 * mm, "各村覆盖率：■ 党员中心户覆盖率　■ 联户长联系率（浅色）", fontName=PRIMARY, fontSize=9.5))
    return d


def render(b: Bulletin, out: str | BinaryIO, *, paper: str = "A4", report: GlyphReport | None = None,
           progress=None) -> RenderResult:
    h = b.header
    doc = sheet_document(h, paper, report)
    report = doc.report
    w = doc.width
    story = [doc.para(f"{h.unit}{h.title}", "title"),
             doc.para(f"{h.period}（数字截至 {fmt_date(h.as_of)}）", "subtitle")]
    # key figures: 4 per row, value big, change below
    cells = [[doc.para(k.label, "cell_c"), doc.para(value_text(k), "figure"), doc.para(change_text(k), "cell_c")]
             for k in b.key_figures]
    grid = []
    for i in range(0, len(cells), 4):
        part = cells[i:i + 4] + [[""] * 3] * (4 - len(cells[i:i + 4]))
        for r in range(3):
            grid.append([c[r] for c in part])
    cmds = [("BOX", (0, 0), (-1, -1), 0.5, GRID_COLOR), ("INNERGRID", (0, 0), (-1, -1), 0.25, colors.white),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]
    for r in range(0, len(grid), 3):
        cmds += [("BACKGROUND", (0, r), (-1, r), HEAD_FILL), ("LINEBELOW", (0, r + 2), (-1, r + 2), 0.5, GRID_COLOR)]
    story += [plain_table(grid, [w / 4] * 4, cmds), spacer(2)]
    s = b.stats
    cov = b.coverage_figures
    text = (f"本月受理问题 {s.received} 件，办结 {s.resolved} 件，办结率 {fmt_rate(s.resolution_rate)}；"
            f"按期办结率 {fmt_rate(s.on_time_rate)}，满意率 {fmt_rate(s.satisfaction_rate)}；超期未办结 {s.overdue_open} 件，"
            f"本月新增黄牌 {s.yellow_cards} 张。党员中心户覆盖 {cov.get('center_covered', 0)} 户"
            f"（{fmt_rate(cov.get('center_coverage_rate'))}），联户长联系 {cov.get('head_linked', 0)} 户"
            f"（{fmt_rate(cov.get('head_linkage_rate'))}）。")
    if b.committees:
        text += (f"六会：{b.committees.get('villages_all_six_formed', 0)}/{b.committees.get('villages', 0)} 个村六会齐全，"
                 f"本月活动 {b.committees.get('activities_in_period', 0)} 次。")
    story += [doc.para(text, "body"), spacer(3), trend_chart(b, w, report), coverage_chart(b, w, report)]
    shown = sorted(b.yellow_cards, key=lambda c: (c.since or h.printed_on, c.number))[:MAX_CARDS]
    more = f"，列出亮牌最早的 {len(shown)} 张" if len(shown) < len(b.yellow_cards) else ""
    story.append(doc.para(f"当前黄牌（{len(b.yellow_cards)} 张{more}）", "h2"))
    if shown:
        rows = [[c.number, report.check(c.title, f"问题 {c.number}"), report.check(c.person, f"问题 {c.number} 责任人"),
                 c.unit, fmt_date(c.since)] for c in shown]
        story.append(doc.table(["编号", "问题", "责任人", "责任单位", "亮牌日期"], rows,
                               [w * x for x in (0.22, 0.36, 0.1, 0.2, 0.12)],
                               align=["left", "left", "center", "left", "center"]))
    else:
        story.append(doc.para("无", "body"))
    story.append(doc.para("本月重点办结事项", "h2"))
    if b.closures:
        rows = [[ln.number, ln.urgency, report.check(ln.title, f"问题 {ln.number}"), ln.responsible,
                 fmt_date(ln.resolved), ln.rating or "待评价"] for ln in b.closures]
        story.append(doc.table(["编号", "紧急程度", "问题", "责任人（单位）", "办结日期", "评价"], rows,
                               [w * x for x in (0.21, 0.09, 0.32, 0.18, 0.11, 0.09)],
                               align=["left", "center", "left", "left", "center", "center"]))
    else:
        story.append(doc.para("无", "body"))
    story += [spacer(4), signoff_flowable(doc, seal=False)]
    return RenderResult(doc.build(out, story), tuple(report.missing))
