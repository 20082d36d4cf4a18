"""The GUI probe: open every page once, then run the long operations, measuring GUI-thread stalls and memory.

    python tests/bench/gui_probe.py --db COPY.sqlite3 --json OUT.json [--ops search_name scroll …]
                                    [--roster ROSTER.xlsx] [--screenshots DIR] [--profile DIR]
    python tests/bench/gui_probe.py --warm-up     # import (and so byte-compile) what the probe will import

Run it as a subprocess on a COPY of a ledger: some operations write (a roster
import, a backup, a device added to the sync group). The app is started the way
``ledgerdesk gui --exit-after-ready`` starts it (``ui/app.py``: platform, the
configured QApplication, the ledger opened unattended, log-in from
LEDGERDESK_USER / LEDGERDESK_PASSWORD when the ledger has passwords); the
MainWindow is shown on a 1366×768 offscreen screen and a
:class:`~ledgerdesk.ui.stall_meter.StallMeter` runs on the GUI thread.

1. Every page of ``ui.pages.PAGES`` is opened once (``MainWindow.show_page``),
   each one operation, waited for until the worker has nothing pending, the
   page is not ``busy`` and that has held for 400 ms; then the RSS is read
   (VmRSS and VmHWM of /proc/self/status, MiB).
2. The long operations (:data:`LONG_OPS`) run through the pages' own methods,
   the ones their buttons call. Only Qt's static QFileDialog / QMessageBox
   calls (and QMessageBox.exec) are replaced, so nothing waits for a user;
   modal dialogs the code opens itself (the import dialog, progress dialogs)
   run their own event loops and are driven by timers. An operation the ledger
   cannot do (no rights, no sync group and no way to make one) is recorded as
   skipped, with the reason.
3. The JSON: ``{"ops": [{label, duration_ms, longest_stall_ms,
   stalls_over_100ms, stalls_ms, rss_mb, …}], "rss_after_all_pages_mb",
   "peak_rss_mb", "rss_end_mb", "peak_rss_end_mb", "longest_stall_ms" (over
   the operations), "worst_op", "longest_stall_any_ms" (the whole run,
   set-up between operations included)}``. ``duration_ms`` runs to the moment
   the operation had settled (not including the 400 ms quiet check).

Exit status 0 when the JSON was written (failed operations are in it, with
their error); 2 with one line on stderr when the ledger cannot be opened; 1
when the main window itself could not be built.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

OFFSCREEN_CONFIG = ROOT / "tests" / "ui" / "offscreen-1366x768.json"
QUIET_MS = 400  # longer than any page's own delay (dashboard 150 ms, search debounce 300 ms)
OP_TIMEOUT_S = 900.0
SEARCH_NAME = "王秀"  # a name fragment: a few dozen households in the township demo
SEARCH_DIGITS = "1525"  # an ID-number fragment: hits the search limit
SCROLL_STEPS = 40  # the scroll bar dragged to the bottom in this many moves, one frame each
DEMO_ROSTER_PERSONS = 3000  # when no --roster is given

LONG_OPS = ("search_name", "search_id", "clear_search", "scroll", "dashboard_refresh", "audit_verify",
            "report_monthly", "backup_now", "sync_export_full", "roster_import")


class Skip(Exception):
    """The ledger lacks what this operation needs."""


def rss_mb() -> dict[str, float]:
    """VmRSS and VmHWM (peak) of this process in MiB."""
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = round(int(value.split()[0]) / 1024, 1)
    return out


def _prepare_environment(scratch: Path) -> None:
    """Offscreen 1366×768 unless a platform was chosen; keys, temp files and QSettings inside ``scratch``."""
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if platform in ("", "offscreen"):
        os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={OFFSCREEN_CONFIG}"
    os.environ["LEDGERDESK_KEYS"] = str(scratch / "keys")  # a device added here never touches the user's keys
    (scratch / "tmp").mkdir()
    tempfile.tempdir = str(scratch / "tmp")  # the reports page's PDFs

    from PySide6.QtCore import QSettings

    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
        QSettings.setPath(QSettings.Format.IniFormat, scope, str(scratch / "qsettings"))


# -- nobody answers dialogs --------------------------------------------------------------------------


class Answers:
    """Replaces Qt's static file and message dialogs; what was shown is kept in :attr:`messages`."""

    def __init__(self):
        self.messages: list[str] = []
        self.open_path = ""
        self.save_path = ""

    def install(self) -> None:
        from PySide6.QtWidgets import QFileDialog, QMessageBox

        answers = self
        ok = QMessageBox.StandardButton.Ok

        def note(title, text):
            answers.messages.append(f"{title}: {text}"[:300])

        def static(kind, answer):
            def show(parent, title, text, *args, **kwargs):
                note(f"[{kind}] {title}", text)
                return answer
            return staticmethod(show)

        QMessageBox.information = static("information", ok)
        QMessageBox.warning = static("warning", ok)
        QMessageBox.critical = static("critical", ok)
        QMessageBox.question = static("question", QMessageBox.StandardButton.Yes)
        QMessageBox.exec = lambda box: (note(f"[box] {box.windowTitle()}", box.text()), ok)[1]

        def get_open(*args, **kwargs):
            path, answers.open_path = answers.open_path, ""
            return path, ""

        def get_save(*args, **kwargs):
            path, answers.save_path = answers.save_path, ""
            return path, ""

        QFileDialog.getOpenFileName = staticmethod(get_open)
        QFileDialog.getSaveFileName = staticmethod(get_save)


# -- the probe ---------------------------------------------------------------------------------------


class Probe:
    def __init__(self, app, window, runner, meter, answers: Answers, scratch: Path, args):
        self.app, self.window, self.runner, self.meter = app, window, runner, meter
        self.answers, self.scratch, self.args = answers, scratch, args
        self.ops: list[dict] = []
        self.profile_dir: Path | None = args.profile
        self.shots: Path | None = args.screenshots

    # -- waiting ----------------------------------------------------------------------------------

    def turn(self, ms: int) -> None:
        """Let the event loop run for ``ms`` (sleeping in the dispatcher, not spinning)."""
        from PySide6.QtCore import QEventLoop, QTimer

        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    def settle(self, page=None, until=None, timeout_s: float = OP_TIMEOUT_S) -> float:
        """Turn the loop until the worker has nothing pending, ``page`` is not busy and ``until()`` holds, for
        :data:`QUIET_MS` in a row; returns the ``perf_counter`` at which that quiet stretch began."""
        deadline = time.perf_counter() + timeout_s
        quiet_since = None
        while True:
            self.turn(10)
            now = time.perf_counter()
            idle = (self.runner.pending() == 0 and not getattr(page, "busy", False)
                    and (until is None or until()))
            if not idle:
                quiet_since = None
            elif quiet_since is None:
                quiet_since = now
            elif (now - quiet_since) * 1000 >= QUIET_MS:
                return quiet_since
            if now > deadline:
                raise TimeoutError(f"not settled after {timeout_s:.0f} s (worker jobs pending: "
                                   f"{self.runner.pending()}, page busy: {getattr(page, 'busy', None)})")

    # -- measuring --------------------------------------------------------------------------------

    def measure(self, label: str, action, *, page=None, until=None) -> dict:
        """Run ``action()`` (which may return a detail dict) as one measured operation, then settle."""
        messages = len(self.answers.messages)
        profiler = None
        record: dict = {"label": label}
        op = self.meter.begin(label)
        settled = None
        try:
            if self.profile_dir is not None:
                from pyinstrument import Profiler

                profiler = Profiler(interval=0.001)
                profiler.start()
            detail = action()
            settled = self.settle(page, until)
            if detail:
                record["detail"] = detail
        except Skip as skip:
            record["skipped"] = str(skip)
        except Exception as exc:  # noqa: BLE001 — recorded; the other operations still run
            record["error"] = f"{type(exc).__name__}: {exc}"
            record["traceback"] = traceback.format_exc(limit=8)
        finally:
            self.meter.end()
            if profiler is not None:
                profiler.stop()
                if "skipped" not in record:
                    self.profile_dir.mkdir(parents=True, exist_ok=True)
                    name = label.replace(":", "_")
                    (self.profile_dir / f"{name}.txt").write_text(
                        profiler.output_text(unicode=True, show_all=False), encoding="utf-8")
        if "skipped" not in record:
            figures = op.as_dict()
            if settled is not None:
                figures["duration_ms"] = round((settled - op.started) * 1000, 1)
            record = {**figures, **record}
        if len(self.answers.messages) > messages:
            record["messages"] = self.answers.messages[messages:]
        record["rss_mb"] = rss_mb().get("VmRSS")
        self.ops.append(record)
        shown = ("skipped: " + record["skipped"]) if "skipped" in record else (
            f"{record['duration_ms']:.0f} ms, longest stall {record['longest_stall_ms']:.0f} ms"
            + (f", ERROR {record['error']}" if "error" in record else ""))
        print(f"  {label}: {shown}", file=sys.stderr, flush=True)
        if self.shots is not None and self.window is not None:
            self.shots.mkdir(parents=True, exist_ok=True)
            self.window.grab().save(str(self.shots / f"{len(self.ops):02d}-{label.replace(':', '_')}.png"))
        return record

    def page(self, key: str):
        """Show page ``key`` (not measured) and wait until it has settled."""
        from ledgerdesk.ui.pages import PAGES

        page = self.window.show_page([spec.key for spec in PAGES].index(key))
        self.settle(page)
        return page

    # -- 1. every page once -----------------------------------------------------------------------

    def open_pages(self) -> None:
        from ledgerdesk.ui.pages import PAGES

        for index, spec in enumerate(PAGES):
            holder = {}

            def show(index=index, holder=holder):
                holder["page"] = self.window.show_page(index)

            self.measure(f"open:{spec.key}", show, page=_Lazy(holder, "page"))

    # -- 2. the long operations -------------------------------------------------------------------

    def type_into(self, widget, text: str, pause_ms: int = 120) -> None:
        """Type ``text`` one character at a time as an input method commits it, a pause after each."""
        from PySide6.QtGui import QInputMethodEvent
        from PySide6.QtWidgets import QApplication

        for ch in text:
            event = QInputMethodEvent()
            event.setCommitString(ch)
            QApplication.sendEvent(widget, event)
            self.turn(pause_ms)

    def search(self, label: str, text: str) -> None:
        page = self.page("registry")
        page.search.clear()
        self.settle(page, until=lambda: not page.search.text())

        def run():
            self.type_into(page.search, text)

        record = self.measure(label, run, page=page, until=lambda: page.searching == text)
        record.setdefault("detail", {})["households"] = page.model.rowCount()

    def op_search_name(self) -> None:
        self.search("search_name", SEARCH_NAME)

    def op_search_id(self) -> None:
        self.search("search_id", SEARCH_DIGITS)

    def op_clear_search(self) -> None:
        page = self.page("registry")
        if not page.search.text():
            page.search.setText(SEARCH_NAME)
            self.settle(page, until=lambda: page.searching == SEARCH_NAME)
        record = self.measure("clear_search", page.search.clear, page=page, until=lambda: page.searching == "")
        record.setdefault("detail", {})["households"] = page.model.rowCount()

    def op_scroll(self) -> None:
        page = self.page("registry")
        if page.search.text():
            page.search.clear()
        self.settle(page, until=lambda: page.searching == "")
        bar = page.table.verticalScrollBar()
        bar.setValue(0)
        self.turn(50)
        before = page.model.page_fetches

        def run():
            top = bar.maximum()
            if top <= 0:
                raise Skip("户籍列表只有一屏，无需滚动")
            for step in range(1, SCROLL_STEPS + 1):  # a drag of the scroll bar's thumb, one frame per move
                bar.setValue(round(top * step / SCROLL_STEPS))
                self.turn(16)
            return {"rows": page.model.rowCount(), "steps": SCROLL_STEPS}

        record = self.measure("scroll", run, page=page)
        if "detail" in record:
            record["detail"]["page_fetches"] = page.model.page_fetches - before
            record["detail"]["at_bottom"] = bar.value() == bar.maximum()

    def op_dashboard_refresh(self) -> None:
        page = self.page("dashboard")
        self.measure("dashboard_refresh", page.refresh, page=page)

    def op_audit_verify(self) -> None:
        page = self.page("audit")
        if not getattr(page, "allowed", False):
            self.measure("audit_verify", _skip("当前角色不能查看审计记录"))
            return

        record = self.measure("audit_verify", page.verify, page=page)
        if "error" not in record and "skipped" not in record:
            record.setdefault("detail", {})["result"] = page.chain_label.text()[:120]

    def op_report_monthly(self) -> None:
        from PySide6.QtPdf import QPdfDocument

        page = self.page("reports")
        page.sheet_box.setCurrentIndex(page.sheet_box.findData("ledger-monthly"))
        page.village_box.setCurrentIndex(0)  # the whole township; the month is the current one

        def run():
            result = page.preview()
            if result is None:
                raise RuntimeError("报表未生成：" + page.status_label.text())
            return {"pdf_pages": result.pages, "month": page.month_edit.date().toString("yyyy-MM")}

        self.measure("report_monthly", run, page=page,
                     until=lambda: page.document.status() == QPdfDocument.Status.Ready)

    def op_backup_now(self) -> None:
        page = self.page("settings")

        def run():
            path = page.backup_panel.backup_now()
            if path is None:
                raise RuntimeError("备份未完成：" + page.backup_panel.status_label.text())
            return {"backup_mb": round(Path(path).stat().st_size / 2**20, 1)}

        self.measure("backup_now", run, page=page)

    def op_sync_export_full(self) -> None:
        page = self.page("interchange")
        status = page.overview.status if page.overview is not None else None
        if status is None:
            self.measure("sync_export_full", _skip("数据交换页没有读出本机的同步状态"))
            return
        if not status.enrolled:
            panel = page.devices
            if not panel.add_button.isEnabled():
                reason = "本机未加入同步组，且当前角色或台账不能添加设备（成为同步中心）"
                self.measure("sync_add_device", _skip(reason))
                self.measure("sync_export_full", _skip(reason))
                return

            def add():
                dialog = panel.add_dialog()
                dialog.name_edit.setText("下乡笔记本 1")
                dialog.path_edit.setText(str(self.scratch / "laptop-1.ldkey"))
                dialog.create()  # the 生成配对文件 button
                enrolled = dialog.enrollment is not None or dialog.stack.currentIndex() == 1
                dialog.accept()
                dialog.deleteLater()
                if not enrolled:
                    raise RuntimeError("添加设备没有成功")

            self.measure("sync_add_device", add, page=page)
            self.settle(page)
        if not page.export_button.isEnabled():
            reason = page.export_button.toolTip() or "导出按钮不可用"
            self.measure("sync_export_full", _skip(reason))
            return
        page.full_check.setChecked(True)
        page.target_box.setCurrentIndex(0)
        target = self.scratch / "full.ldsync"

        def run():
            self.answers.save_path = str(target)
            result = page.export()  # the 导出同步文件… button: the save dialog answers ``target``
            if result is None:
                raise RuntimeError("导出没有完成")
            return {"versions": result.versions, "file_mb": round(result.size / 2**20, 1)}

        self.measure("sync_export_full", run, page=page)

    def op_roster_import(self) -> None:
        from PySide6.QtCore import QTimer

        from ledgerdesk.ui.import_dialog import ImportDialog

        page = self.page("registry")
        if not page.import_button.isEnabled():
            self.measure("roster_import", _skip("当前角色不能导入花名册"))
            return
        roster = self.roster()
        state: dict = {"dialog": None, "error": None}

        def close(dialog) -> None:
            if dialog._task is not None:  # ended signals still on their way
                QTimer.singleShot(20, lambda: close(dialog))
                return
            dialog.close_button.click()

        def drive(tries: int = 0) -> None:
            dialogs = [d for d in page.findChildren(ImportDialog) if d.isVisible()]
            if not dialogs:
                if tries > 500:
                    state["error"] = "导入对话框没有出现"
                    return
                QTimer.singleShot(10, lambda: drive(tries + 1))
                return
            dialog = state["dialog"] = dialogs[0]

            def planned(plan) -> None:
                def apply() -> None:
                    button = dialog.valid_button if plan.errors else dialog.import_button
                    if button.isEnabled():
                        button.click()  # 导入 / 仅导入有效行
                    else:
                        state["error"] = "预览后没有可导入的行：" + dialog.summary_label.text()[:200]
                        close(dialog)
                QTimer.singleShot(0, apply)

            dialog.planned.connect(planned)
            dialog.imported.connect(lambda _result: QTimer.singleShot(0, lambda: close(dialog)))
            dialog.failed.connect(lambda exc: (state.update(error=f"{type(exc).__name__}: {exc}"),
                                               QTimer.singleShot(0, lambda: close(dialog))))
            self.answers.open_path = str(roster)
            dialog.browse()  # 选择文件…: the open dialog answers the roster; the preview starts

        def run():
            QTimer.singleShot(0, drive)
            page.import_roster()  # the 导入花名册… button: runs the dialog modally until it is closed
            if state["error"]:
                raise RuntimeError(state["error"])
            dialog = state["dialog"]
            result = dialog.result if dialog is not None else None
            if result is None:
                raise RuntimeError("花名册没有导入")
            return {"roster": roster.name, "persons_created": getattr(result, "persons_created", None),
                    "households_created": getattr(result, "households_created", None)}

        self.measure("roster_import", run, page=page)

    def roster(self) -> Path:
        if self.args.roster is not None:
            return self.args.roster
        sys.path.insert(0, str(BENCH))
        import workloads  # noqa: F401 — first, so workloads_roster's own `from workloads import` finds it whole
        from workloads_roster import generate_roster

        path = self.scratch / f"roster-{DEMO_ROSTER_PERSONS}.xlsx"
        if not path.exists():
            generate_roster(path, persons=DEMO_ROSTER_PERSONS, villages=5)
        return path


class _Lazy:
    """``busy`` of a page that exists only once the operation has built it."""

    def __init__(self, holder: dict, key: str):
        self.holder, self.key = holder, key

    @property
    def busy(self) -> bool:
        return bool(getattr(self.holder.get(self.key), "busy", False))


def _skip(reason: str):
    def action():
        raise Skip(reason)
    return action


# -- main --------------------------------------------------------------------------------------------


def warm_up() -> None:
    """Import every module the probe's pages and operations import, so their bytecode is cached.

    Run once before a measured probe in an environment whose bytecode cache
    is empty or switched off (PYTHONDONTWRITEBYTECODE): an installed app has
    its .pyc files, and compiling sources would otherwise count as stalls.
    """
    import importlib

    from ledgerdesk.ui import app  # noqa: F401
    from ledgerdesk.ui.pages import PAGES

    for spec in PAGES:
        importlib.import_module(spec.target.partition(":")[0])
    for name in ("ledgerdesk.ui.import_dialog", "ledgerdesk.interchange.roster", "ledgerdesk.sync.exchange",
                 "ledgerdesk.reports.generate", "ledgerdesk.services.backup", "ledgerdesk.ui.dialogs.sync_devices",
                 "PySide6.QtPdf", "PySide6.QtPdfWidgets", "openpyxl"):
        importlib.import_module(name)


def main(argv=None) -> int:
    if argv is None and sys.argv[1:] == ["--warm-up"]:
        warm_up()
        return 0
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", type=Path, required=True, help="a COPY of the ledger (some operations write)")
    ap.add_argument("--json", dest="json_out", type=Path, required=True)
    ap.add_argument("--ops", nargs="*", choices=LONG_OPS, help="only these long operations (pages always open)")
    ap.add_argument("--roster", type=Path, default=None,
                    help=f"the .xlsx to import (default: a generated {DEMO_ROSTER_PERSONS}-person roster)")
    ap.add_argument("--screenshots", type=Path, default=None, help="save the window after each operation here")
    ap.add_argument("--profile", type=Path, default=None,
                    help="write a pyinstrument profile of the GUI thread per operation into this folder")
    args = ap.parse_args(argv)

    scratch = Path(tempfile.mkdtemp(prefix="ledgerdesk-gui-probe-"))
    try:
        return _run(args, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _run(args, scratch: Path) -> int:
    _prepare_environment(scratch)
    from ledgerdesk.core.errors import LedgerDeskError
    from ledgerdesk.ui import app as gui
    from ledgerdesk.ui.main_window import MainWindow
    from ledgerdesk.ui.stall_meter import StallMeter
    from ledgerdesk.ui.tasks import TaskRunner

    gui.choose_platform(unattended=True)
    qapp = gui.application()
    answers = Answers()
    answers.install()
    runner = TaskRunner()
    session = None
    try:
        try:  # exactly as `ledgerdesk gui --exit-after-ready` opens a ledger and logs in
            session = gui._log_in(gui._open_or_create(args.db, runner, demo=False, unattended=True), unattended=True)
        except LedgerDeskError as exc:
            print(f"gui_probe: {exc.one_line()}", file=sys.stderr, flush=True)
            return 2
        except Exception as exc:  # noqa: BLE001 — not a ledger at all, unreadable …
            print(f"gui_probe: 不能打开台账 {args.db}：{type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
            return 2
        meter = StallMeter()
        meter.start()
        holder: dict = {}

        def show_window():
            holder["window"] = window = MainWindow(session, runner)
            window.show()
            gui._let_window_paint(qapp)

        # The window itself is the first operation (it builds and loads the 工作台).
        probe = Probe(qapp, None, runner, meter, answers, scratch, args)
        first = probe.measure("open:main_window", show_window, page=_Lazy(holder, "window"))
        if "window" not in holder:
            print(f"gui_probe: 主窗口没有打开：{first.get('error')}\n{first.get('traceback', '')}", file=sys.stderr,
                  flush=True)
            return 1
        probe.window = window = holder["window"]
        # As the app does once its window shows: the page modules are imported in the background.
        preload = {}
        def start_preload():
            preload["thread"] = window.preload_pages()

        probe.measure("preload_pages", start_preload,
                      until=lambda: "thread" in preload and not preload["thread"].is_alive())
        probe.open_pages()
        memory = rss_mb()
        for name in (args.ops if args.ops is not None else LONG_OPS):
            try:
                getattr(probe, f"op_{name}")()
            except Exception as exc:  # noqa: BLE001 — set-up of the operation failed; recorded, go on
                probe.ops.append({"label": name, "error": f"set-up: {type(exc).__name__}: {exc}",
                                  "traceback": traceback.format_exc(limit=8)})
                print(f"  {name}: set-up failed: {exc}", file=sys.stderr, flush=True)
        meter.stop()
        end_memory = rss_mb()
        measured = [op for op in probe.ops if "longest_stall_ms" in op]
        worst = max(measured, key=lambda op: op["longest_stall_ms"], default=None)
        out = {
            "ledger": str(args.db),
            "window_size": [window.width(), window.height()],
            "ops": probe.ops,
            "rss_after_all_pages_mb": memory.get("VmRSS"),
            "peak_rss_mb": memory.get("VmHWM"),
            "rss_end_mb": end_memory.get("VmRSS"),
            "peak_rss_end_mb": end_memory.get("VmHWM"),
            "longest_stall_ms": worst["longest_stall_ms"] if worst else None,
            "worst_op": worst["label"] if worst else None,
            "longest_stall_any_ms": round(meter.longest_ms, 1),
            "errors": sum(1 for op in probe.ops if "error" in op),
            "skipped": [op["label"] for op in probe.ops if "skipped" in op],
        }
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(json.dumps(out, ensure_ascii=False, indent=2), encoding="utf-8")
        window.close()
        return 0
    finally:
        runner.shutdown()
        if session is not None:
            session.close()


if __name__ == "__main__":
    code = main()
    from ledgerdesk.ui.app import exit_now

    exit_now(code)  # PySide6 can abort during interpreter teardown; everything is closed and written
