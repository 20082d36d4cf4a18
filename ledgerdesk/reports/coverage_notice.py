"""党员中心户联系户公示表 — per village, each 党员中心户, its 六大员 types and the households it covers.

A4 portrait (A3 for the notice board). Meant to be posted: the contact phone is
masked (services.sheets masks it); names and 户号 are printed in full.
"""

from __future__ import annotations

from typing import BinaryIO

from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak

from ledgerdesk.reports.fonts import GlyphReport
from ledgerdesk.reports.layout import RenderResult, fmt_rate, sheet_document, signoff_flowable, spacer
from ledgerdesk.services.sheets import NoticeSheet


def render(sheet: NoticeSheet, out: str | BinaryIO, *, paper: str = "A4", report: GlyphReport | None = None,
           progress=None) -> RenderResult:
    h = sheet.header
    doc = sheet_document(h, paper, report)
    report = doc.report
    center = sheet.kind == "center"
    who, verb = ("党员中心户", "覆盖") if center else ("联户长", "联系")
    story = [doc.para(f"{h.unit}{h.title}", "title"),
             doc.para(f"截至 {h.as_of.isoformat()}：在册 {sheet.households} 户，{who}{verb} {sheet.covered} 户"
                      f"（{fmt_rate(sheet.rate)}）。联系电话已隐去中间几位。", "subtitle")]
    w = doc.width
    if center:
        header = ["中心户", "户号", "联系电话", "六大员类型", "联系户（户号 户主）", "户数"]
        widths = [w * f for f in (0.11, 0.14, 0.12, 0.16, 0.40, 0.07)]
    else:
        header = ["联户长", "户号", "联系电话", "联系户（户号 户主）", "户数"]
        widths = [w * f for f in (0.12, 0.15, 0.13, 0.53, 0.07)]
    for n, v in enumerate(sheet.villages, 1):
        story.append(CondPageBreak(40 * mm))
        story.append(doc.para(f"{v.village}：在册 {v.households} 户，{who} {len(v.entries)} 名，{verb} {v.covered} 户"
                              f"（{fmt_rate(v.rate)}）", "h2", record=f"村 {v.village}"))
        if not v.entries:
            story.append(doc.para(f"本村暂无{who}。", "body"))
            continue
        rows = []
        for e in v.entries:
            name = report.check(e.name, e.record)
            homes = "、".join(report.check(x, f"{e.record} 联系户 {x}") for x in e.households)
            cells = [name, e.hh_no, e.phone]
            if center:
                cells.append("、".join(e.types) or "—")
            cells += [homes or "—", str(len(e.households))]
            rows.append(cells)
        align = ["left", "center", "center"] + (["left"] if center else []) + ["left", "center"]
        story.append(doc.table(header, rows, widths, align=align))
        if progress:
            progress(n, len(sheet.villages))
    story += [spacer(6), doc.para("如有异议，请在公示期内向村党组织反映。", "body"), spacer(4), signoff_flowable(doc)]
    pages = doc.build(out, story)
    return RenderResult(pages, tuple(report.missing))
