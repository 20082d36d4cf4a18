"""六会组织及活动情况表 — per village: the six committees, officers, members, activities this period, flags.

A4 portrait. The figures on top are committee_supervision.committee_stats_json (the
``committees`` object of ``stats --json``); flagged lines (未成立, 成员不足, 长期没有活动)
are shaded.
"""

from __future__ import annotations

from typing import BinaryIO

from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak

from ledgerdesk.reports.fonts import GlyphReport
from ledgerdesk.reports.layout import RenderResult, fmt_date, sheet_document, signoff_flowable, spacer
from ledgerdesk.services.sheets import CommitteesSheet

HEADER = ["组织", "成立日期", "负责人", "成员数", "本期活动", "最近活动", "督导提示"]


def render(sheet: CommitteesSheet, out: str | BinaryIO, *, paper: str = "A4", report: GlyphReport | None = None,
           progress=None) -> RenderResult:
    h = sheet.header
    doc = sheet_document(h, paper, report)
    report = doc.report
    f = sheet.figures
    story = [doc.para(f"{h.unit}{h.title}", "title"),
             doc.para(f"{h.period}（截至 {fmt_date(h.as_of)}）", "subtitle"),
             doc.para(f"全{('村' if h.village else '乡镇')}共 {f.get('villages', 0)} 个村（社区），六会齐全 "
                      f"{f.get('villages_all_six_formed', 0)} 个；现有组织 {f.get('committees_formed', 0)} 个；"
                      f"超过 {f.get('inactive_months', 3)} 个月没有活动 {f.get('committees_inactive', 0)} 个；"
                      f"成员不足 {f.get('min_members', 5)} 人 {f.get('committees_under_minimum', 0)} 个；"
                      f"本期活动 {f.get('activities_in_period', 0)} 次。", "body"),
             spacer(2)]
    w = doc.width
    widths = [w * x for x in (0.15, 0.11, 0.26, 0.07, 0.08, 0.11, 0.22)]
    align = ["left", "center", "left", "center", "center", "center", "left"]
    for n, v in enumerate(sheet.villages, 1):
        story.append(CondPageBreak(50 * mm))
        story.append(doc.para(v.village, "h2", record=f"村 {v.village}"))
        rows, marks = [], []
        for ln in v.lines:
            record = f"{v.village} {ln.kind}"
            officers = "、".join(report.check(o, f"{record} 负责人") for o in ln.officers)
            rows.append([ln.kind, fmt_date(ln.founded_on), officers or ("—" if ln.formed else ""),
                         str(ln.members) if ln.formed else "", str(ln.activities_in_period) if ln.formed else "",
                         fmt_date(ln.last_activity) or ("无" if ln.formed else ""), "；".join(ln.flags) or "正常"])
            marks.append(bool(ln.flags))
        story.append(doc.table(HEADER, rows, widths, marks=marks, align=align))
        if progress:
            progress(n, len(sheet.villages))
    story += [spacer(3), doc.para("说明：灰底行为需督导跟进的组织（未成立、成员不足或长期没有活动）。", "small"), spacer(4),
              signoff_flowable(doc)]
    return RenderResult(doc.build(out, story), tuple(report.missing))
