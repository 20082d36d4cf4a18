"""Pages not built yet: each says, in the users' terms, what it will hold — and shows no data.

The descriptions follow the product brief (shared/design/domain.md,
reports.md, sync.md). When a page is built it gets its own module and its
entry here goes.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt
from PySide6.QtWidgets import QLabel

from ledgerdesk.ui.pages.base import Page

if TYPE_CHECKING:
    from ledgerdesk.ui.pages import PageContext, PageSpec

_CONTEXT = "PlannedPage"

# page key -> (one-line purpose, what the page will hold)
PLANS: dict[str, tuple[str, tuple[str, ...]]] = {
    "registry": (
        QT_TRANSLATE_NOOP("PlannedPage", "全乡镇的户和人：户籍花名册。"),
        (
            QT_TRANSLATE_NOOP("PlannedPage", "户：户号、户主、所属村/小组/网格、住址、电话、标签（留守老人、低保、牧户等）、三色等级（绿/黄/红）"),
            QT_TRANSLATE_NOOP("PlannedPage", "人：姓名、性别、出生日期、身份证号、电话、与户主关系、党员信息、状态（在册/外出/迁出/去世）"),
            QT_TRANSLATE_NOOP("PlannedPage", "按姓名、身份证号或电话的一部分快速查找；按村、网格、标签、三色等级筛选"),
            QT_TRANSLATE_NOOP("PlannedPage", "身份证号和电话默认隐去中间几位（如 1523**********1234、138****5678），有权限的角色才能看到完整号码"),
            QT_TRANSLATE_NOOP("PlannedPage", "身份证号校验位不对时提醒，但仍可加标记保存"),
        ),
    ),
    "party_centers": (
        QT_TRANSLATE_NOOP("PlannedPage", "村党支部确定的党员中心户，以及每户联系的农牧户（一户带一片）。"),
        (
            QT_TRANSLATE_NOOP("PlannedPage", "中心户名单：中心户主（党员）、六大员类型、“四好四强”评选情况"),
            QT_TRANSLATE_NOOP("PlannedPage", "联系户：每户最多归属一个中心户"),
            QT_TRANSLATE_NOOP("PlannedPage", "覆盖情况：按村、乡镇统计覆盖率（目标 90% 以上），列出未覆盖的户"),
            QT_TRANSLATE_NOOP("PlannedPage", "提醒：联系户过多或过少、中心户主已不是党员或已迁出、六大员类型缺项、四岗一肩挑"),
        ),
    ),
    "link_heads": (
        QT_TRANSLATE_NOOP("PlannedPage", "联户长（十联户）和网格：每户都有人联系、有人巡查。"),
        (
            QT_TRANSLATE_NOOP("PlannedPage", "联户长名单和每人联系的相邻农户（户数上下限可在设置中调整，如 5–15 户）"),
            QT_TRANSLATE_NOOP("PlannedPage", "每户应有且只有一位联户长：列出没有联系或重复联系的户"),
            QT_TRANSLATE_NOOP("PlannedPage", "网格和网格员：每户属于一个网格，网格员巡查并上报问题"),
        ),
    ),
    "committees": (
        QT_TRANSLATE_NOOP("PlannedPage", "各村“六会合一”的组织和活动情况。"),
        (
            QT_TRANSLATE_NOOP("PlannedPage", "红白理事会、互帮互助会、联防联治会、乡贤参事会、禁毒禁赌会、道德评议会"),
            QT_TRANSLATE_NOOP("PlannedPage", "每个村的六会是否成立：会长、副会长、成员、成立日期、章程"),
            QT_TRANSLATE_NOOP("PlannedPage", "会议和活动记录：日期、类型、议题、参加人员、决定事项、结果"),
            QT_TRANSLATE_NOOP("PlannedPage", "常态化督导：成员是否够、最近一次活动、本季度活动次数，超过 3 个月没有活动的标为不活跃"),
        ),
    ),
    "visits": (
        QT_TRANSLATE_NOOP("PlannedPage", "入户走访记录（敲门行动、院坝会、田埂会）。"),
        (
            QT_TRANSLATE_NOOP("PlannedPage", "走访日期、走访人员、走访的户、发现的情况、群众提出的诉求"),
            QT_TRANSLATE_NOOP("PlannedPage", "群众诉求一步转为问题台账里的问题"),
            QT_TRANSLATE_NOOP("PlannedPage", "下次走访日期提醒；下乡没有网络时也能在笔记本上录入"),
        ),
    ),
    "problems": (
        QT_TRANSLATE_NOOP("PlannedPage", "问题从挂号到销号的全过程台账。"),
        (
            QT_TRANSLATE_NOOP("PlannedPage", "来源：网格员巡查、群众反映/点单、走访发现、12345 热线工单、信访、上级交办、述职评议"),
            QT_TRANSLATE_NOOP("PlannedPage", "流程：登记（挂号）→ 交办 → 办理中 → 办结 → 评价 → 销号；另有退回、延期、重新打开、合并、撤销"),
            QT_TRANSLATE_NOOP("PlannedPage", "每一步都留痕；台账编号本乡镇当年唯一，几台电脑离线登记也不会重号"),
            QT_TRANSLATE_NOOP("PlannedPage", "办理期限按自然日或工作日（含法定节假日和调休）计算；超期未办结自动黄牌预警"),
            QT_TRANSLATE_NOOP("PlannedPage", "统计：受理数、办结数、办结率、按期办结率、满意率、超期未办结数、平均办理天数"),
        ),
    ),
    "reports": (
        QT_TRANSLATE_NOOP("PlannedPage", "打印上报和张贴公示用的表格，数字与工作台一致。"),
        (
            QT_TRANSLATE_NOOP("PlannedPage", "月度问题台账、月度工作简报"),
            QT_TRANSLATE_NOOP("PlannedPage", "党员中心户联系户公示表、联户长公示表（身份证号和电话隐去中间几位）"),
            QT_TRANSLATE_NOOP("PlannedPage", "六会组织及活动情况表、户情卡"),
            QT_TRANSLATE_NOOP("PlannedPage", "打印前预览，可直接打印或保存为 PDF"),
        ),
    ),
    "interchange": (
        QT_TRANSLATE_NOOP("PlannedPage", "在电脑之间交换台账数据，导入导出 Excel。"),
        (
            QT_TRANSLATE_NOOP("PlannedPage", "用 U 盘或聊天软件附件传递同步文件，笔记本下乡录入的数据回到乡镇"),
            QT_TRANSLATE_NOOP("PlannedPage", "两边都改过的内容不会被悄悄覆盖，会列入“待核实”由人确认"),
            QT_TRANSLATE_NOOP("PlannedPage", "县里汇总各乡镇的台账"),
            QT_TRANSLATE_NOOP("PlannedPage", "从 Excel 花名册导入户籍、问题台账和六会情况，也可导出为 Excel"),
        ),
    ),
}


def _tr(text: str) -> str:
    return QCoreApplication.translate(_CONTEXT, text)


class PlannedPage(Page):
    """A page that is not built yet: its title, a notice, and what it will hold."""

    def __init__(self, context: "PageContext", spec: "PageSpec"):
        super().__init__(spec.title)
        purpose, items = PLANS[spec.key]
        self.set_subtitle(_tr(purpose))

        notice = QLabel(self.tr("本页面正在建设中，暂无数据。建成后将在这里："))
        notice.setObjectName("notice")
        notice.setWordWrap(True)
        self.body.addWidget(notice)

        bullets = "".join(f"<li style='margin-bottom:8px'>{html.escape(_tr(item))}</li>" for item in items)
        plan = QLabel(f"<ul style='margin-left:-10px'>{bullets}</ul>")
        plan.setObjectName("plan")
        plan.setTextFormat(Qt.TextFormat.RichText)
        plan.setWordWrap(True)
        self.body.addWidget(plan)
        self.body.addStretch(1)
