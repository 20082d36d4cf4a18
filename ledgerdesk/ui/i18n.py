"""Translations: the UI is written in Simplified Chinese, other locales load a .qm.

Source strings in the code are the Chinese text. For a system locale that has
``resources/translations/ledgerdesk_<locale>.qm`` the app loads it (and Qt's
own strings for that locale); otherwise it stays Chinese and loads Qt's
Chinese strings, so standard buttons and file dialogs match the rest.

The catalogue for translators is refreshed from the code with::

    pyside6-lupdate $(find ledgerdesk/ui -name '*.py' | sort) -source-language zh_CN \
        -target-language en -ts resources/translations/ledgerdesk_en.ts

and compiled with ``pyside6-lrelease`` into the ``.qm`` this module loads.
"""

from __future__ import annotations

from PySide6.QtCore import QLibraryInfo, QLocale, QTranslator
from PySide6.QtWidgets import QApplication

from ledgerdesk.core.paths import resource

SOURCE_LOCALE = "zh_CN"


def install_translators(app: QApplication, locale: QLocale | None = None) -> str:
    """Install the translators for ``locale`` (default: the system's); returns the UI locale name."""
    locale = locale or QLocale.system()
    ui_locale = SOURCE_LOCALE
    own = QTranslator(app)
    if locale.name() != SOURCE_LOCALE and own.load(f"ledgerdesk_{locale.name()}", str(resource("translations"))):
        app.installTranslator(own)
        ui_locale = locale.name()
    qt_strings = QTranslator(app)
    if qt_strings.load(f"qtbase_{ui_locale}", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
        app.installTranslator(qt_strings)
    QLocale.setDefault(QLocale(ui_locale))
    return ui_locale
