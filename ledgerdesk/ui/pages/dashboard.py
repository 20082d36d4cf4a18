"""工作台: the ledger's facts and how many records of each kind it holds.

Every figure comes from :func:`ledgerdesk.services.stats.entity_counts` (the
same call behind ``stats --json`` and the printed sheets), labelled with
:data:`ledgerdesk.services.stats.LABELS`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QLocale, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
)

from ledgerdesk.services import stats
from ledgerdesk.ui.pages.base import Page, selectable_label

if TYPE_CHECKING:
    from ledgerdesk.ui.pages import PageContext, PageSpec

TILE_COLUMNS = 7  # 14 figures in two rows fit a 1366-pixel-wide screen


class DashboardPage(Page):
    """Ledger facts plus one tile per entity count; F5 re-reads the counts."""

    def __init__(self, context: "PageContext", spec: "PageSpec"):
        super().__init__(spec.title)
        info = context.info
        self.set_subtitle(self.tr("{township} 台账概况").format(township=info.township))
        self._session = context.session
        self.value_labels: dict[str, QLabel] = {}

        facts = QGroupBox(self.tr("台账信息"))
        form = QFormLayout(facts)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.addRow(self.tr("乡镇/街道："), selectable_label(info.township))
        form.addRow(self.tr("台账文件："), selectable_label(info.path))
        form.addRow(self.tr("数据库版本："), QLabel(self.tr("第 {n} 版").format(n=info.schema_version)))
        form.addRow(self.tr("本机站点标识："), selectable_label(info.site_id))
        self.body.addWidget(facts)

        figures = QGroupBox(self.tr("数据概况"))
        grid = QGridLayout(figures)
        grid.setSpacing(10)
        for index, (key, label) in enumerate(stats.LABELS.items()):
            grid.addWidget(self._tile(key, label), index // TILE_COLUMNS, index % TILE_COLUMNS)
        self.body.addWidget(figures)

        actions = QHBoxLayout()
        hint = QLabel(self.tr("按 Ctrl+1 … Ctrl+0 切换左侧页面"))
        hint.setObjectName("pageSubtitle")
        actions.addWidget(hint, 1)
        refresh = QPushButton(self.tr("刷新数字 (F5)"))
        refresh.clicked.connect(self.refresh)
        actions.addWidget(refresh)
        self.body.addLayout(actions)
        self.body.addStretch(1)

        refresh_key = QShortcut(QKeySequence(Qt.Key.Key_F5), self, self.refresh)
        refresh_key.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)  # only while this page shows
        self.refresh()

    def _tile(self, key: str, label: str) -> QFrame:
        tile = QFrame()
        tile.setObjectName("countTile")
        layout = QVBoxLayout(tile)
        layout.setContentsMargins(10, 8, 10, 8)
        value = QLabel("—")
        value.setObjectName("countValue")
        value.setAlignment(Qt.AlignmentFlag.AlignCenter)
        caption = QLabel(label)
        caption.setObjectName("countLabel")
        caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(value)
        layout.addWidget(caption)
        self.value_labels[key] = value
        return tile

    def refresh(self) -> None:
        """Re-read the counts (a few indexed count(*) queries: fast enough for the GUI thread)."""
        locale = QLocale()
        for key, value in stats.entity_counts(self._session).as_dict().items():
            if key in self.value_labels:
                self.value_labels[key].setText(locale.toString(value))
