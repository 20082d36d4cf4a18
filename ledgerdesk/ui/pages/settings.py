"""设置: where the ledger and the application's data live, and 备份与恢复 (ui/dialogs/backup_dialog.py)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QGridLayout, QGroupBox, QLabel, QPushButton

from ledgerdesk.services import workspace
from ledgerdesk.ui.dialogs.backup_dialog import BackupPanel
from ledgerdesk.ui.pages.base import Page, selectable_label

if TYPE_CHECKING:
    from ledgerdesk.ui.pages import PageContext, PageSpec


class SettingsPage(Page):
    """The ledger file, its folder and the default data folder, each with an 打开文件夹 button."""

    def __init__(self, context: "PageContext", spec: "PageSpec"):
        super().__init__(spec.title)
        self.set_subtitle(self.tr("台账文件和数据文件夹的位置。"))
        ledger_file = Path(context.info.path)
        self.locations = {
            "ledger_file": ledger_file,
            "ledger_folder": ledger_file.parent,
            "data_folder": workspace.default_ledger_path().parent,
        }
        captions = {
            "ledger_file": self.tr("当前台账文件："),
            "ledger_folder": self.tr("台账所在文件夹："),
            "data_folder": self.tr("默认数据文件夹："),
        }

        box = QGroupBox(self.tr("文件位置"))
        grid = QGridLayout(box)
        grid.setColumnStretch(1, 1)
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(10)
        for row, (key, path) in enumerate(self.locations.items()):
            grid.addWidget(QLabel(captions[key]), row, 0)
            grid.addWidget(selectable_label(str(path), f"location_{key}"), row, 1)
            if key != "ledger_file":
                button = QPushButton(self.tr("打开文件夹"))
                button.clicked.connect(lambda _=False, folder=path: self.open_folder(folder))
                grid.addWidget(button, row, 2)
        self.body.addWidget(box)

        self.backup_panel = BackupPanel(context, self)
        self.body.addWidget(self.backup_panel, 1)

        later = QLabel(self.tr("账号和角色在“账号管理”页设置。以后还将在这里设置：中心户和联户长联系户数的上下限、"
                               "六会多久没有活动算不活跃。"))
        later.setObjectName("notice")
        later.setWordWrap(True)
        self.body.addWidget(later)

    @staticmethod
    def open_folder(folder: Path) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))
