"""The pages of the main window, in navigation order.

Each :class:`PageSpec` names a page and the widget class that shows it; the
class is called as ``cls(context, spec)``. The main window builds a page the
first time it is shown, so start-up pays only for the 工作台.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication
from PySide6.QtWidgets import QWidget

from ledgerdesk.services.session import Session
from ledgerdesk.services.workspace import LedgerInfo
from ledgerdesk.ui.pages.committees import CommitteesPage
from ledgerdesk.ui.pages.dashboard import DashboardPage
from ledgerdesk.ui.pages.link_heads import LinkHeadsPage
from ledgerdesk.ui.pages.party_centers import PartyCentersPage
from ledgerdesk.ui.pages.planned import PlannedPage
from ledgerdesk.ui.pages.problems import ProblemsPage
from ledgerdesk.ui.pages.reports import ReportsPage
from ledgerdesk.ui.pages.registry import RegistryPage
from ledgerdesk.ui.pages.settings import SettingsPage
from ledgerdesk.ui.pages.visits import VisitsPage
from ledgerdesk.ui.tasks import TaskRunner


@dataclass(frozen=True)
class PageContext:
    """What a page may use: the open ledger, its facts, and the worker thread."""

    session: Session
    info: LedgerInfo
    runner: TaskRunner


@dataclass(frozen=True)
class PageSpec:
    key: str
    source_title: str  # untranslated; show :attr:`title`
    widget: Callable[[PageContext, "PageSpec"], QWidget]

    @property
    def title(self) -> str:
        return QCoreApplication.translate("Navigation", self.source_title)


PAGES: tuple[PageSpec, ...] = (
    PageSpec("dashboard", QT_TRANSLATE_NOOP("Navigation", "工作台"), DashboardPage),
    PageSpec("registry", QT_TRANSLATE_NOOP("Navigation", "户籍"), RegistryPage),
    PageSpec("party_centers", QT_TRANSLATE_NOOP("Navigation", "党员中心户"), PartyCentersPage),
    PageSpec("link_heads", QT_TRANSLATE_NOOP("Navigation", "联户长"), LinkHeadsPage),
    PageSpec("committees", QT_TRANSLATE_NOOP("Navigation", "六会"), CommitteesPage),
    PageSpec("visits", QT_TRANSLATE_NOOP("Navigation", "走访"), VisitsPage),
    PageSpec("problems", QT_TRANSLATE_NOOP("Navigation", "问题台账"), ProblemsPage),
    PageSpec("reports", QT_TRANSLATE_NOOP("Navigation", "报表打印"), ReportsPage),
    PageSpec("interchange", QT_TRANSLATE_NOOP("Navigation", "数据交换"), PlannedPage),
    PageSpec("settings", QT_TRANSLATE_NOOP("Navigation", "设置"), SettingsPage),
)
