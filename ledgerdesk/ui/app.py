"""Starting the desktop app: :func:`run_gui` is what ``ledgerdesk gui`` calls."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from ledgerdesk.core.errors import LedgerDeskError
from ledgerdesk.core.paths import resource
from ledgerdesk.services import workspace
from ledgerdesk.services.session import Session
from ledgerdesk.ui.error_dialog import show_error
from ledgerdesk.ui.first_run import FirstRunDialog, build_demo_with_progress, demo_job
from ledgerdesk.ui.i18n import install_translators
from ledgerdesk.ui.main_window import MainWindow
from ledgerdesk.ui.passphrase_dialog import open_ledger_asking
from ledgerdesk.ui.stall_meter import stall_log_from_env
from ledgerdesk.ui.style import apply_app_style
from ledgerdesk.ui.tasks import TaskRunner, TaskState

class NoDisplayError(LedgerDeskError):
    """There is no graphical display to open the window on."""

    key = "no-display"


def choose_platform(*, unattended: bool) -> None:
    """Pick Qt's platform before the QApplication exists.

    On Linux without DISPLAY or WAYLAND_DISPLAY, Qt would abort the process
    with a plugin error. An unattended start (``--exit-after-ready``, used by
    scripts and benchmarks) renders offscreen instead; an interactive start
    gets one clear sentence. An explicit QT_QPA_PLATFORM always wins.
    """
    if os.environ.get("QT_QPA_PLATFORM") or not sys.platform.startswith("linux"):
        return
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return
    if unattended:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        return
    raise NoDisplayError("没有可用的图形显示（未设置 DISPLAY / WAYLAND_DISPLAY），无法打开窗口；"
                         "命令行功能可照常使用，见 ledgerdesk --help")


ORGANISATION = "LedgerDesk"
APPLICATION = "LedgerDesk"


def application() -> QApplication:
    """The QApplication (created if there is none yet), named, styled and translated; once per process."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
    if app.property("ledgerdesk_configured"):
        return app
    app.setProperty("ledgerdesk_configured", True)
    app.setOrganizationName(ORGANISATION)
    app.setApplicationName(APPLICATION)
    app.setWindowIcon(QIcon(str(resource("icons", "ledgerdesk.svg"))))
    install_translators(app)
    apply_app_style(app)
    return app


def run_gui(db_path: Path, *, exit_after_ready: bool = False, demo: bool = False,
            started_at: float | None = None) -> int:
    """Show the main window on the ledger at ``db_path``; returns the process exit code.

    If the file is missing: with ``demo`` the township demo is built there
    (behind a progress dialog with 取消, or silently with ``exit_after_ready``);
    otherwise the first-run dialog offers blank / demo / open / quit
    (``exit_after_ready`` without ``demo``: the file must exist).

    With ``exit_after_ready`` nothing waits for the user: once the main window
    is shown and painted, one line ``ready_ms=<int>`` (milliseconds since
    ``started_at``, a ``time.perf_counter()`` value, else since this call) is
    printed to stdout and 0 returned.

    Exit codes: 0 after the window closes, or when the user chose 退出 or
    cancelled the demo; the error's ``exit_code`` (1) when the ledger cannot be
    opened or made — shown in a message box, or with ``exit_after_ready`` as
    one ``错误：… (key)`` line on stderr.
    """
    started_at = time.perf_counter() if started_at is None else started_at
    path = Path(db_path)
    choose_platform(unattended=exit_after_ready)
    app = application()
    runner = TaskRunner()
    session: Session | None = None
    try:
        try:
            session = _log_in(_open_or_create(path, runner, demo=demo, unattended=exit_after_ready),
                              unattended=exit_after_ready)
        except LedgerDeskError as exc:
            if exit_after_ready:
                print(exc.one_line(), file=sys.stderr, flush=True)
            else:
                show_error(None, exc)
            return exc.exit_code
        except _StartAbandoned as stop:
            return stop.exit_code
        except Exception as exc:
            if exit_after_ready:
                raise  # scripts and benchmarks want the traceback
            show_error(None, exc)  # logged with its traceback; the user gets a plain sentence
            return 1
        window = MainWindow(session, runner)
        window.show()
        window.stall_meter = stall_log_from_env(window)  # LEDGERDESK_STALL_LOG=<ms>: stalls to stderr
        if not exit_after_ready:
            from ledgerdesk.ui.dialogs.backup_dialog import start_daily_backup

            start_daily_backup(window, session, runner)  # the day's first start backs up, on the worker
            window.preload_pages()
            return app.exec()
        _let_window_paint(app)
        print(f"ready_ms={round((time.perf_counter() - started_at) * 1000)}", flush=True)
        window.close()
        return 0
    finally:
        runner.shutdown()
        if session is not None:
            session.close()


def exit_now(code: int) -> None:
    """Leave the process with ``code`` without the interpreter's final teardown.

    Called by the ``gui`` command once the window has closed and the ledger
    is closed (every write committed, the database file consistent). PySide6
    6.12 can abort during interpreter finalisation ("bool_dealloc"), which
    would show a crash report after a clean session; nothing is left to clean.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


class _StartAbandoned(Exception):
    """Start-up stops here; the user chose to, or has already been told why."""

    def __init__(self, exit_code: int):
        super().__init__(exit_code)
        self.exit_code = exit_code


def _open_or_create(path: Path, runner: TaskRunner, *, demo: bool, unattended: bool) -> Session:
    """The session to show; LedgerDeskError for an unusable or (unattended) missing file."""
    if not path.exists():
        if demo and unattended:
            demo_job(path)(lambda label, fraction: None, lambda: False)
        elif demo:
            state = build_demo_with_progress(runner, path)
            if state is not TaskState.FINISHED:
                raise _StartAbandoned(1 if state is TaskState.FAILED else 0)
        elif not unattended:
            dialog = FirstRunDialog(path, runner)
            dialog.exec()
            if dialog.session is None:
                raise _StartAbandoned(0)
            return dialog.session
    if unattended:  # an encrypted ledger: LEDGERDESK_PASSPHRASE or one error line, nobody to ask
        return workspace.open_ledger(path, passphrase=os.environ.get("LEDGERDESK_PASSPHRASE") or None)
    session = open_ledger_asking(path)  # asks for the database passphrase when the file is encrypted
    if session is None:
        raise _StartAbandoned(0)
    return session


def _log_in(session: Session, *, unattended: bool) -> Session:
    """The session of the user who logs in, when the ledger has accounts with passwords (accounts.has_login).

    Unattended (``--exit-after-ready``): LEDGERDESK_USER / LEDGERDESK_PASSWORD or
    one error line, no dialog. Interactive: those two when both are set and
    right, else the login dialog (which shows why they were refused); 退出 ends
    the start. The opened ledger is closed when no session comes out of it.
    """
    from ledgerdesk.core.errors import LockedOutError, LoginFailedError
    from ledgerdesk.services import accounts

    try:
        if not accounts.has_login(session.ledger):
            return session
        if unattended:
            return accounts.session_from_env(session.ledger)
        user, password = os.environ.get(accounts.ENV_USER, ""), os.environ.get(accounts.ENV_PASSWORD, "")
        refused = None
        if user and password:
            try:
                return accounts.login(session.ledger, user, password)
            except (LoginFailedError, LockedOutError) as exc:
                refused = exc.message
        from ledgerdesk.ui.login_dialog import LoginDialog

        dialog = LoginDialog(session.ledger, username=user, message=refused)
        dialog.exec()
        if dialog.session is None:
            raise _StartAbandoned(0)
        return dialog.session
    except BaseException:
        session.close()
        raise


def _let_window_paint(app: QApplication) -> None:
    """Deliver the show/expose/paint events, then one more turn of the loop."""
    app.processEvents()
    loop = QEventLoop()
    QTimer.singleShot(0, loop.quit)
    loop.exec()
