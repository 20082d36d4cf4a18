"""The command line: a thin layer over services (architecture.md, "Command line").

Exit 0 on success. A user error prints one line — Chinese message, then the
English key — and exits non-zero; never a traceback. An unexpected failure
prints one line too and writes the traceback to the log file it names.
"""

from __future__ import annotations

import time

_STARTED_AT = time.perf_counter()  # start-up time for `gui --exit-after-ready` counts from here

import argparse
import json
import os
import sys
from contextlib import contextmanager
from pathlib import Path

from ledgerdesk import __version__
from ledgerdesk.core.errors import LedgerDeskError, UsageError


class _Parser(argparse.ArgumentParser):
    """argparse that reports mistakes as one UsageError line instead of exiting."""

    def error(self, message: str):
        raise UsageError(f"命令参数有误：{message}；用 --help 查看用法")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="ledgerdesk", description="LedgerDesk 基层治理台账")
    p.add_argument("--version", action="version", version=f"LedgerDesk {__version__}")
    p.add_argument("--db", metavar="PATH", help="台账文件（默认：LEDGERDESK_DB 或用户数据目录）")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)

    g = sub.add_parser("gui", help="打开图形界面（默认）")
    g.add_argument("--exit-after-ready", action="store_true", help="主窗口就绪后打印启动用时并退出")
    g.add_argument("--demo", action="store_true", help="台账文件不存在时先生成乡镇规模演示台账")

    i = sub.add_parser("init", help="新建空白台账")
    i.add_argument("--township", default=None, help="乡镇/街道名称")

    d = sub.add_parser("demo", help="生成演示台账")
    d.add_argument("--scale", choices=("township", "county"), default="township")
    d.add_argument("--seed", type=int, default=1)

    s = sub.add_parser("stats", help="统计数字")
    s.add_argument("--json", action="store_true", help="输出 JSON")

    sub.add_parser("check", help="检查数据库完整性与数据一致性")
    return p


def _db_path(args) -> Path:
    from ledgerdesk.services.workspace import default_ledger_path

    return Path(args.db) if args.db else default_ledger_path()


@contextmanager
def _opened(args):
    """The session on the ledger the arguments name, closed afterwards."""
    from ledgerdesk.services import workspace

    session = workspace.open_ledger(_db_path(args))
    try:
        yield session
    finally:
        session.close()


def _progress_printer(label: str, fraction: float) -> None:
    if sys.stderr.isatty():
        print(f"\r{label} {fraction:5.0%}", end="", file=sys.stderr, flush=True)


def cmd_gui(args) -> int:
    from ledgerdesk.ui.app import run_gui

    return run_gui(_db_path(args), exit_after_ready=args.exit_after_ready, demo=args.demo,
                   started_at=_STARTED_AT)


def cmd_init(args) -> int:
    from ledgerdesk.services import workspace

    session = workspace.create_ledger(_db_path(args), township=args.township or workspace.DEFAULT_TOWNSHIP)
    info = workspace.ledger_info(session)
    session.close()
    print(f"已新建台账：{info.path}（{info.township}）")
    return 0


def cmd_demo(args) -> int:
    from ledgerdesk.services.demo import create_demo_ledger

    t0 = time.perf_counter()
    session = create_demo_ledger(_db_path(args), scale=args.scale, seed=args.seed, progress=_progress_printer)
    session.close()
    if sys.stderr.isatty():
        print(file=sys.stderr)
    print(f"已生成演示台账：{_db_path(args)}（{args.scale}，种子 {args.seed}，用时 {time.perf_counter() - t0:.1f} 秒）")
    return 0


def cmd_stats(args) -> int:
    from ledgerdesk.services import stats, workspace

    with _opened(args) as session:
        info = workspace.ledger_info(session)
        counts = stats.entity_counts(session).as_dict()
    if args.json:
        print(json.dumps({"ledger": {"path": info.path, "township": info.township,
                                     "schema_version": info.schema_version},
                          "counts": counts}, ensure_ascii=False, indent=2))
    else:
        print(f"{info.township}（{info.path}）")
        for key, value in counts.items():
            print(f"  {stats.LABELS[key]}：{value}")
    return 0


def cmd_check(args) -> int:
    from ledgerdesk.services import check

    with _opened(args) as session:
        report = check.run_checks(session)
    if report.ok:
        print("检查通过：数据库完整，数据与版本记录一致。")
        return 0
    for f in report.findings:
        print(f"[{f.kind}] {f.message}")
    print(f"发现 {len(report.findings)} 类问题。")
    return 1


COMMANDS = {"gui": cmd_gui, "init": cmd_init, "demo": cmd_demo, "stats": cmd_stats, "check": cmd_check}


def _log_unexpected(exc: BaseException) -> Path | None:
    import traceback

    try:
        from platformdirs import user_log_path

        log_dir = Path(os.environ.get("LEDGERDESK_LOG_DIR") or user_log_path("LedgerDesk", appauthor=False))
        log_dir.mkdir(parents=True, exist_ok=True)
        path = log_dir / "ledgerdesk-error.log"
        with path.open("a", encoding="utf-8") as fh:
            fh.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} LedgerDesk {__version__}\n")
            fh.write("".join(traceback.format_exception(exc)))
        return path
    except OSError:
        return None


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    try:
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command or "gui"](args if args.command else _gui_defaults(args))
    except LedgerDeskError as exc:
        print(exc.one_line(), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("已中断 (interrupted)", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug, not bad input: one line for the user, the details in the log
        log = _log_unexpected(exc)
        where = f"；详情已写入 {log}" if log else ""
        print(f"错误：程序内部错误 {type(exc).__name__}{where} (internal-error)", file=sys.stderr)
        return 70


def _gui_defaults(args):
    args.exit_after_ready = False
    args.demo = False
    return args


def main_gui() -> int:
    """Entry point of the windowed launcher (no console on Windows)."""
    return main(sys.argv[1:] or ["gui"])
