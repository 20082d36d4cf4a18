"""Qt's own strings (standard buttons, file dialogs) are Chinese like the rest of the UI."""

from PySide6.QtWidgets import QDialogButtonBox


def test_standard_buttons_are_chinese(app):
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    texts = {button.text().replace("&", "") for button in box.buttons()}
    assert texts == {"确定", "取消"}
