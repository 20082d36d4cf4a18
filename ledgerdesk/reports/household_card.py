"""户情卡 — one household on a page (A4) or half a page (A5), for visits without the laptop.

Members (身份证号 and phones masked), tags, 三色 level, the 党员中心户 and 联户长, open
problems and the last visits.
"""

from __future__ import annotations

from typing import BinaryIO

from ledgerdesk.reports.fonts import GlyphReport, chain
from ledgerdesk.reports.layout import FlowDocument, PageFrame, RenderResult, fmt_date, page_size, plain_table, spacer
from ledgerdesk.reports.layout import GRID_COLOR, HEAD_FILL
from ledgerdesk.services.sheets import HouseholdCard


def render(card: HouseholdCard, out: str | BinaryIO, *, paper: str = "A4", report: GlyphReport | None = None,
           progress=None) -> RenderResult:
    report = report or GlyphReport(chain())
    h = card.header
    size = page_size(paper)
    small = size[0] < 450  # A5
    doc = FlowDocument(PageFrame(h.unit, h.title, f"户号 {card.hh_no}", h.printed_on, size,
                                 margin=(9 if small else 12) * 2.8346), report)
    rec = card.record
    chk = report.check
    w = doc.width
    info = [
        ["户号", card.hh_no, "户主", chk(card.head_name, f"{rec} 户主")],
        ["村（社区）", card.village, "小组 / 网格", f"{card.group} / {card.grid}".strip(" /")],
        ["住址", chk(card.address, f"{rec} 住址"), "联系电话", card.phone or "—"],
        ["三色等级", card.level, "标签", "、".join(card.tags) or "—"],
        ["党员中心户", chk(card.center, f"{rec} 中心户") or "未覆盖", "联户长", chk(card.link_head, f"{rec} 联户长") or "未联系"],
    ]
    st = "cell"
    info_rows = [[doc.para(a, st), doc.para(b, st), doc.para(c, st), doc.para(d, st)] for a, b, c, d in info]
    t = plain_table(info_rows, [w * 0.15, w * 0.35, w * 0.15, w * 0.35],
                    [("GRID", (0, 0), (-1, -1), 0.5, GRID_COLOR), ("BACKGROUND", (0, 0), (0, -1), HEAD_FILL),
                     ("BACKGROUND", (2, 0), (2, -1), HEAD_FILL), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")])
    story = [doc.para(f"户情卡　{card.village} {card.hh_no} 户主 {chk(card.head_name, f'{rec} 户主')}", "title"),
             doc.para(f"打印日期 {fmt_date(h.printed_on)}；身份证号、电话已隐去中间几位", "subtitle"), t, spacer(3),
             doc.para("家庭成员", "h2")]
    people = [[chk(p.name, f"{rec} 成员"), p.relation, p.gender, fmt_date(p.birth_date), p.id_number, p.phone,
               p.status + ("、党员" if p.party_member else "")] for p in card.persons]
    story.append(doc.table(["姓名", "关系", "性别", "出生日期", "身份证号", "电话", "状态"], people or [["—"] + [""] * 6],
                           [w * x for x in (0.13, 0.08, 0.06, 0.15, 0.30, 0.17, 0.11)],
                           align=["left", "center", "center", "center", "center", "center", "center"]))
    story.append(doc.para(f"未办结问题（{len(card.open_problems)} 件）", "h2"))
    if card.open_problems:
        story.append(doc.table(["编号", "问题", "状态", "办理时限"],
                               [[n, chk(t_, f"问题 {n}"), s, fmt_date(d)] for n, t_, s, d in card.open_problems],
                               [w * x for x in (0.26, 0.44, 0.15, 0.15)], align=["left", "left", "center", "center"]))
    else:
        story.append(doc.para("无", "body"))
    story.append(doc.para(f"最近走访（{len(card.visits)} 次）", "h2"))
    if card.visits:
        story.append(doc.table(["日期", "方式", "走访人", "情况"],
                               [[fmt_date(d), k, chk(who, f"{rec} 走访人"), chk(f_, f"{rec} 走访情况")]
                                for d, k, who, f_ in card.visits],
                               [w * x for x in (0.15, 0.1, 0.2, 0.55)], align=["center", "center", "left", "left"]))
    else:
        story.append(doc.para("无", "body"))
    story += [spacer(4), doc.para("本次走访记录：", "body"), spacer(18 if not small else 10),
              doc.para("走访人：________________　日期：______年____月____日", "body")]
    return RenderResult(doc.build(out, story), tuple(report.missing))
