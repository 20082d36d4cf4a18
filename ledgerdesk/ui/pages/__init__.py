"""The pages of the main window, in navigation order.

Each :class:`PageSpec` names a page and the widget class that shows it; the
class is called as ``cls(context, spec)``. The main window builds a page the
first time it is shown, so start-up pays only for the 工作台.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import Callable

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication
from PySide6.QtWidgets import QWidget

from ledgerdesk.services.session import Session
from ledgerdesk.services.workspace import LedgerInfo
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
    target: str  # _HERE + "registry:RegistryPage"

    @property
    def widget(self) -> Callable[[PageContext, "PageSpec"], QWidget]:
        """The page class (its module is imported on first use)."""
        module, _, name = self.target.partition(":")
        return getattr(import_module(module), name)

    @property
    def module(self) -> str:
        """The dotted name of the page's module."""
        return self.target.partition(":")[0]

    @property
    def title(self) -> str:
        return QCoreApplication.translate("Navigation", self.source_title)


_HERE = "ledgerdesk.ui.pages."

PAGES: tuple[PageSpec, ...] = (
    PageSpec("dashboard", QT_TRANSLATE_NOOP("Navigation", "工作台"), _HERE + "dashboard:DashboardPage"),
    PageSpec("registry", QT_TRANSLATE_NOOP("Navigation", "户籍"), _HERE + "registry:RegistryPage"),
    PageSpec("party_centers", QT_TRANSLATE_NOOP("Navigation", "党员中心户"), _HERE + "party_centers:PartyCentersPage"),
    PageSpec("link_heads", QT_TRANSLATE_NOOP("Navigation", "联户长"), _HERE + "link_heads:LinkHeadsPage"),
    PageSpec("committees", QT_TRANSLATE_NOOP("Navigation", "六会"), _HERE + "committees:CommitteesPage"),
    PageSpec("visits", QT_TRANSLATE_NOOP("Navigation", "走访"), _HERE + "visits:VisitsPage"),
    PageSpec("problems", QT_TRANSLATE_NOOP("Navigation", "问题台账"), _HERE + "problems:ProblemsPage"),
    PageSpec("reports", QT_TRANSLATE_NOOP("Navigation", "报表打印"), _HERE + "reports:ReportsPage"),
    PageSpec("interchange", QT_TRANSLATE_NOOP("Navigation", "数据交换"), _HERE + "interchange:InterchangePage"),
    PageSpec("settings", QT_TRANSLATE_NOOP("Navigation", "设置"), _HERE + "settings:SettingsPage"),
    PageSpec("accounts", QT_TRANSLATE_NOOP("Navigation", "账号管理"), _HERE + "accounts:AccountsPage"),
    PageSpec("audit", QT_TRANSLATE_NOOP("Navigation", "审计记录"), _HERE + "audit:AuditPage"),
)
