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
from ledgerdesk.core.errors import LedgerDeskError, LedgerExistsError, UsageError


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
    i.add_argument("--encrypt", action="store_true",
                   help="加密台账文件（数据库密码取自 LEDGERDESK_PASSPHRASE，不给则提示输入两次）")
    sub.add_parser("encrypt", help="把已有的未加密台账转为加密台账（先关闭 LedgerDesk；仅管理员）")
    sub.add_parser("passphrase", help="更改加密台账的数据库密码（新密码取自 LEDGERDESK_NEW_PASSPHRASE 或提示输入；仅管理员）")

    d = sub.add_parser("demo", help="生成演示台账")
    d.add_argument("--scale", choices=("township", "county"), default="township")
    d.add_argument("--seed", type=int, default=1)

    s = sub.add_parser("stats", help="统计数字")
    s.add_argument("--json", action="store_true", help="输出 JSON")
    s.add_argument("--month", metavar="YYYY-MM", help="问题台账统计的月份（默认本月）")
    s.add_argument("--from", dest="date_from", metavar="D", help="统计起始日期 YYYY-MM-DD（与 --to 合用）")
    s.add_argument("--to", dest="date_to", metavar="D", help="统计截止日期 YYYY-MM-DD（默认今天）")
    s.add_argument("--village", metavar="NAME", help="只统计这个村/社区/嘎查")

    sub.add_parser("check", help="检查数据库完整性与数据一致性")

    se = sub.add_parser("search", help="按姓名、身份证号/电话片段、户号或地址查找人和户")
    se.add_argument("text", metavar="TEXT", help="要查找的文字")
    se.add_argument("--json", action="store_true", help="输出 JSON")
    se.add_argument("--limit", type=int, default=50, help="最多显示多少条（默认 50）")

    im = sub.add_parser("import", help="从 Excel 导入（花名册等），先预览再写入")
    im.add_argument("kind", choices=sorted(IMPORT_KINDS), metavar="KIND", help="导入什么：" + "、".join(sorted(IMPORT_KINDS)))
    im.add_argument("file", metavar="FILE.xlsx", help="Excel 文件（.xlsx）")
    im.add_argument("--dry-run", action="store_true", help="只预览，不写入")
    im.add_argument("--only-valid", action="store_true", help="跳过有错误的行，只导入有效行")
    ex = sub.add_parser("export", help="导出到 Excel（花名册、未覆盖户等）")
    ex.add_argument("kind", choices=sorted(EXPORT_KINDS), metavar="KIND", help="导出什么：" + "、".join(sorted(EXPORT_KINDS)))
    ex.add_argument("file", metavar="FILE.xlsx", help="要写入的 Excel 文件")
    ex.add_argument("--village", metavar="NAME", help="只导出这个村/社区/嘎查")
    ex.add_argument("--kind", dest="uncovered_kind", choices=("center", "link_head"), default="center",
                    help="export uncovered：center 未被党员中心户覆盖 / link_head 未联系联户长")
    ex.add_argument("--reveal", action="store_true", help="身份证号和电话不打码（仅管理员、书记）")
    rp = sub.add_parser("report", help="生成打印报表 PDF（台账、公示表、六会、简报、户情卡）")
    rp.add_argument("sheet", choices=REPORT_SHEETS, metavar="SHEET", help="报表：" + "、".join(REPORT_SHEETS))
    rp.add_argument("--month", metavar="YYYY-MM", help="月份（默认本月）")
    rp.add_argument("--village", metavar="NAME", help="只打印这个村/社区/嘎查")
    rp.add_argument("--paper", choices=("A4", "A3", "A5"), type=str.upper, help="纸张（默认按报表）")
    rp.add_argument("--household", metavar="ID-或-户号", help="household-card：户的编号或户号")
    rp.add_argument("--out", required=True, metavar="FILE.pdf", help="要写入的 PDF 文件")

    sy = sub.add_parser("sync", help="用文件同步：导出给其他设备 / 导入其他设备的文件")
    sy_sub = sy.add_subparsers(dest="sync_command", parser_class=_Parser, required=True)
    sye = sy_sub.add_parser("export", help="导出同步文件（默认只含对方尚未确认收到的修改）")
    sye.add_argument("--out", required=True, metavar="FILE.ldsync", help="要写入的同步文件")
    sye.add_argument("--full", action="store_true", help="导出全部修改（新设备、县里）")
    sye.add_argument("--to", metavar="NAME", help="只为这台设备准备（按它确认收到的内容）")
    syi = sy_sub.add_parser("import", help="导入同步文件（自动先备份）")
    syi.add_argument("file", metavar="FILE.ldsync", help="同步文件")
    syi.add_argument("--dry-run", action="store_true", help="只预览：新增、更新、冲突和缺失的条数，不写入")
    syi.add_argument("--json", action="store_true", help="输出 JSON")
    sub.add_parser("digest", help="显示数据指纹：各台账同步一致时指纹相同")
    bk = sub.add_parser("backup", help="立即备份台账（默认存入台账旁的“备份”文件夹）")
    bk.add_argument("--out", metavar="F", help="备份到这个文件（不覆盖已有文件；不参与自动轮换）")
    rs = sub.add_parser("restore", help="用备份文件恢复台账：先检查备份，再自动备份当前台账，然后替换（仅管理员）")
    rs.add_argument("file", metavar="F", help="备份文件（.ldbak）")

    dv = sub.add_parser("device", help="同步设备：登记、加入、列出、吊销")
    dv_sub = dv.add_subparsers(dest="device_command", parser_class=_Parser, required=True)
    dva = dv_sub.add_parser("add", help="在乡镇办公室登记一台设备：生成加密的配对文件和配对码（仅管理员）")
    dva.add_argument("name", metavar="NAME", help="设备名称，如“张三的笔记本”")
    dva.add_argument("--role", choices=("laptop", "county"), default="laptop",
                     help="laptop 下乡用的笔记本（默认）/ county 县里")
    dva.add_argument("--out", required=True, metavar="FILE.ldkey", help="要写入的配对文件")
    dvj = dv_sub.add_parser("join", help="用配对文件让本台账加入乡镇同步组（--db 指向的文件不存在时新建空白台账）")
    dvj.add_argument("file", metavar="FILE.ldkey", help="乡镇办公室给的配对文件")
    dvj.add_argument("--code", metavar="CODE", help="12 位配对码（也可用环境变量 LEDGERDESK_PAIRING_CODE；不给则提示输入）")
    dvl = dv_sub.add_parser("list", help="列出同步组的设备")
    dvl.add_argument("--json", action="store_true", help="输出 JSON")
    dvr = dv_sub.add_parser("revoke", help="吊销一台设备（如丢失的笔记本）：此后拒收它导出的文件（仅管理员）")
    dvr.add_argument("name", metavar="NAME", help="设备名称")

    us = sub.add_parser("user", help="账号：新增、列出、重设密码、停用（仅管理员）")
    us_sub = us.add_subparsers(dest="user_command", parser_class=_Parser, required=True)
    usa = us_sub.add_parser("add", help="新增账号（密码取自 LEDGERDESK_NEW_PASSWORD，不给则提示输入两次）")
    usa.add_argument("name", metavar="NAME", help="用户名（登录用）")
    usa.add_argument("--role", required=True, metavar="ROLE",
                     help="角色：管理员/书记/录入员/只读（或 admin/secretary/clerk/viewer）")
    usa.add_argument("--villages", metavar="A,B", help="只负责这些村/社区/嘎查（名称，逗号分隔；不给则全部）")
    usa.add_argument("--display-name", metavar="姓名", default="", help="显示的姓名")
    usl = us_sub.add_parser("list", help="列出账号")
    usl.add_argument("--json", action="store_true", help="输出 JSON")
    usp = us_sub.add_parser("passwd", help="重设账号的密码（新密码取自 LEDGERDESK_NEW_PASSWORD，不给则提示输入两次）")
    usp.add_argument("name", metavar="NAME", help="用户名")
    usd = us_sub.add_parser("disable", help="停用账号（不能再登录；其录入的记录保留）")
    usd.add_argument("name", metavar="NAME", help="用户名")
    return p


def _db_path(args) -> Path:
    from ledgerdesk.services.workspace import default_ledger_path

    return Path(args.db) if args.db else default_ledger_path()


@contextmanager
def _opened(args):
    """The session on the ledger the arguments name, closed afterwards."""
    from ledgerdesk.services import workspace

    session = _logged_in(workspace.open_ledger(_db_path(args), passphrase=_passphrase()))
    try:
        yield session
    finally:
        session.close()


def _logged_in(session):
    """The session of LEDGERDESK_USER / LEDGERDESK_PASSWORD when the ledger has login (else the system
    administrator, as before); the ledger is closed when they are missing or wrong."""
    from ledgerdesk.services import accounts

    try:
        return accounts.session_from_env(session.ledger)
    except BaseException:
        session.close()
        raise


def _typed_twice(env: str, what: str, hint: str) -> str | None:
    """A secret to set: ``env``'s value, else typed twice at a terminal (UsageError when the two differ);
    None when there is neither."""
    if os.environ.get(env):
        return os.environ[env]
    if not sys.stdin.isatty():
        return None
    import getpass

    try:
        first = getpass.getpass(f"请设置{what}（{hint}）：")
        second = getpass.getpass(f"请再输入一次{what}：")
    except EOFError:
        raise UsageError(f"未输入{what}，未做任何改动") from None
    if first != second:
        raise UsageError("两次输入的密码不一致，未做任何改动")
    return first


def _new_password(env: str, what: str) -> str:
    """A login password to set: from ``env``, else typed twice at a terminal, else UsageError; checked for length."""
    from ledgerdesk.services import accounts

    password = _typed_twice(env, what, f"至少 {accounts.MIN_PASSWORD_LENGTH} 个字符")
    if not password:
        raise UsageError(f"请给出{what}：设置环境变量 {env}（不在终端中运行时无法提示输入）")
    return accounts.check_password(password)


def _passphrase() -> str | None:
    """The database passphrase of an encrypted ledger: LEDGERDESK_PASSPHRASE (ignored by a plain ledger)."""
    return os.environ.get("LEDGERDESK_PASSPHRASE") or None


def _new_passphrase(env: str, what: str) -> str:
    """A passphrase to set: from the environment variable ``env``, else typed twice at a terminal, else UsageError."""
    passphrase = _typed_twice(env, what, "至少 8 个字符；忘记后数据无法找回")
    if passphrase is None:
        raise UsageError(f"请给出{what}：设置环境变量 {env}")
    return passphrase


def _progress_printer(label: str, fraction: float) -> None:
    if sys.stderr.isatty():
        print(f"\r{label} {fraction:5.0%}", end="", file=sys.stderr, flush=True)


def cmd_gui(args) -> int:
    from ledgerdesk.ui.app import exit_now, run_gui

    exit_now(run_gui(_db_path(args), exit_after_ready=args.exit_after_ready, demo=args.demo,
                     started_at=_STARTED_AT))


def cmd_init(args) -> int:
    from ledgerdesk.services import workspace

    from ledgerdesk.services import accounts

    if _db_path(args).exists():  # refused before asking for passwords
        raise LedgerExistsError(f"文件“{_db_path(args)}”已存在，不会覆盖")
    passphrase = _new_passphrase("LEDGERDESK_PASSPHRASE", "数据库密码") if args.encrypt else None
    password = _new_password("LEDGERDESK_PASSWORD", "管理员账号 admin 的登录密码")
    session = workspace.create_ledger(_db_path(args), township=args.township or workspace.DEFAULT_TOWNSHIP,
                                      passphrase=passphrase)
    try:
        accounts.ensure_admin(session, password)
        info = workspace.ledger_info(session)
    finally:
        session.close()
    print(f"已新建{'加密' if passphrase else ''}台账：{info.path}（{info.township}）")
    print(f"管理员账号：{accounts.ADMIN_USERNAME}。今后打开此台账须登录；命令行用环境变量 LEDGERDESK_USER 和 "
          "LEDGERDESK_PASSWORD 给出用户名和密码。")
    return 0


def cmd_encrypt(args) -> int:
    from ledgerdesk.services import encryption

    with _opened(args) as session:  # the ledger opens, and the acting account may do this
        encryption.require_key_admin(session)
        if session.ledger.encrypted:
            raise UsageError("台账已经加密；要更换数据库密码请用 passphrase 命令")
    result = encryption.encrypt_ledger(_db_path(args), _new_passphrase("LEDGERDESK_PASSPHRASE", "数据库密码"))
    print(f"已加密台账：{result.path}。今后打开需要数据库密码（命令行：环境变量 LEDGERDESK_PASSPHRASE）；"
          "请妥善保管，忘记密码则数据无法找回。")
    if result.backups_encrypted:
        print(f"备份文件夹里原有的 {result.backups_encrypted} 份备份也已用同一密码加密。")
    for left in result.backups_left_plain:
        print(f"注意：备份“{left}”无法加密（不是台账或已损坏），仍可被直接读取，请检查后删除。")
    return 0


def cmd_passphrase(args) -> int:
    from ledgerdesk.services import encryption

    with _opened(args) as session:
        encryption.require_key_admin(session)
        if not session.ledger.encrypted:
            raise UsageError("台账没有加密；请先用 encrypt 命令加密")
        followed = encryption.change_passphrase(
            session, _passphrase(), _new_passphrase("LEDGERDESK_NEW_PASSPHRASE", "新的数据库密码"))
    print("数据库密码已更改，今后请用新密码打开台账" + (f"；{followed} 份备份也已改用新密码" if followed else ""))
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


def _stats_period(args, today):
    """The problem-statistics period of `stats`: --month, or --from [--to], else the current month."""
    from ledgerdesk.core.errors import ValidationError
    from ledgerdesk.services.problem_stats import Period

    if args.month and (args.date_from or args.date_to):
        raise UsageError("--month 与 --from/--to 只能选一种")
    if args.date_to and not args.date_from:
        raise UsageError("使用 --to 时须同时给出 --from")
    try:
        if args.month:
            return Period.month(args.month)
        if args.date_from:
            return Period.parse(args.date_from, args.date_to or today)
        return Period.month(f"{today:%Y-%m}")
    except ValidationError as exc:
        raise UsageError(exc.message) from None


def cmd_stats(args) -> int:
    from ledgerdesk.services import coverage, problem_stats, stats, workspace

    with _opened(args) as session:
        period = _stats_period(args, session.ledger.clock.today())
        village_id = problem_stats.village_id_by_name(session, args.village) if args.village else None
        info = workspace.ledger_info(session)
        counts = stats.entity_counts(session).as_dict()
        problems = problem_stats.problem_stats(session, period, village_id=village_id)
        cover = coverage.coverage(session, village_id)
        from ledgerdesk.services.committee_supervision import committee_stats_json, stats_lines

        committees = committee_stats_json(session, period.start, period.end, village_id)
    if args.json:
        print(json.dumps({"ledger": {"path": info.path, "township": info.township,
                                     "schema_version": info.schema_version},
                          "counts": counts,
                          "problems": {"from": period.start.isoformat(), "to": period.end.isoformat(),
                                       "as_of": problems.as_of.isoformat(), "village": args.village or None,
                                       **problem_stats.problem_stats_json(problems)},
                          "coverage": coverage.coverage_json(cover),
                          "committees": {"from": period.start.isoformat(), "to": period.end.isoformat(),
                                         **committees}},
                         ensure_ascii=False, indent=2))
    else:
        print(f"{info.township}（{info.path}）")
        for key, value in counts.items():
            print(f"  {stats.LABELS[key]}：{value}")
        if args.village:
            print(f"{args.village}：")
        for line in problem_stats.summary_lines(problems):
            print(line)
        for line in coverage.coverage_lines(cover):
            print(line)
        for line in stats_lines(committees):
            print(line)
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


def cmd_search(args) -> int:
    from ledgerdesk.services.search import search

    if args.limit < 1:
        raise UsageError("命令参数有误：--limit 必须是正整数")
    with _opened(args) as session:
        hits = search(session, args.text, limit=args.limit)  # masked, as in the window
    if args.json:
        print(json.dumps({"query": args.text, "hits": [h._asdict() for h in hits]}, ensure_ascii=False, indent=2))
        return 0
    labels = {"person": "人", "household": "户"}
    for h in hits:
        print(f"[{labels[h.kind]}] {h.title}  {h.detail}  {h.village}".rstrip())
    print(f"共 {len(hits)} 条" if hits else "没有找到")
    return 0


def _village_id(session, name: str | None) -> str | None:
    if not name:
        return None
    from ledgerdesk.core.errors import NotFoundError
    from ledgerdesk.services.problem_stats import village_id_by_name

    try:
        return village_id_by_name(session, name)
    except NotFoundError:
        raise UsageError(f"台账中没有名为“{name}”的村/社区/嘎查") from None


def _import_roster(session, args) -> int:
    from ledgerdesk.interchange.roster import apply_roster_import, plan_roster_import

    return _run_import(session, args, plan_roster_import, apply_roster_import)


def _export_roster(session, args) -> int:
    from ledgerdesk.interchange.roster import export_roster

    result = export_roster(session, args.file, village_id=_village_id(session, args.village), reveal=args.reveal)
    masked = "（身份证号、电话已打码）" if result.masked else ""
    print(f"已导出花名册：{result.path}，{result.households} 户 {result.rows} 人{masked}")
    return 0


def _export_uncovered(session, args) -> int:
    from ledgerdesk.interchange.roster import UNCOVERED_KINDS, export_uncovered

    result = export_uncovered(session, args.file, args.uncovered_kind, _village_id(session, args.village),
                              reveal=args.reveal)
    print(f"已导出未覆盖{UNCOVERED_KINDS[args.uncovered_kind]}的户：{result.path}，共 {result.rows} 户")
    return 0


def _import_committees(session, args) -> int:
    from ledgerdesk.interchange.committees import apply_committee_import, plan_committee_import

    return _run_import(session, args, plan_committee_import, apply_committee_import)


def _export_committees(session, args) -> int:
    from ledgerdesk.interchange.committees import export_committees

    result = export_committees(session, args.file, village_id=_village_id(session, args.village), reveal=args.reveal)
    masked = "（身份证号已打码）" if result.masked else ""
    print(f"已导出六会：{result.path}，组织 {result.committees} 个，成员 {result.members} 人次，"
          f"活动 {result.activities} 次{masked}")
    return 0


def _run_import(session, args, plan, apply) -> int:
    """Preview ``plan(session, file)``, then ``apply`` it unless --dry-run (every import kind)."""
    planned = plan(session, args.file)
    for line in planned.summary_lines(max_errors=20):
        print(line)
    if args.dry_run:
        print("预览完成（--dry-run），未写入任何数据。")
        return 1 if planned.errors else 0
    print(apply(session, planned, only_valid=args.only_valid).message)
    return 0


def _import_ledger(session, args) -> int:
    from ledgerdesk.interchange.ledger_xlsx import apply_ledger_import, plan_ledger_import

    return _run_import(session, args, plan_ledger_import, apply_ledger_import)


def _export_ledger(session, args) -> int:
    from ledgerdesk.interchange.ledger_xlsx import export_ledger

    result = export_ledger(session, args.file, village_id=_village_id(session, args.village))
    print(f"已导出问题台账：{result.path}，共 {result.rows} 条")
    return 0


# KIND of `import` / `export` -> handler(session, args).
IMPORT_KINDS = {"roster": _import_roster, "committees": _import_committees, "ledger": _import_ledger}
EXPORT_KINDS = {"roster": _export_roster, "uncovered": _export_uncovered, "committees": _export_committees,
                "ledger": _export_ledger}


def cmd_import(args) -> int:
    with _opened(args) as session:
        return IMPORT_KINDS[args.kind](session, args)


def cmd_export(args) -> int:
    with _opened(args) as session:
        return EXPORT_KINDS[args.kind](session, args)


REPORT_SHEETS = ("ledger-monthly", "coverage-notice", "linkage-notice", "committees", "bulletin", "household-card")


def cmd_report(args) -> int:
    from ledgerdesk.reports.generate import make_sheet

    with _opened(args) as session:
        result = make_sheet(session, args.sheet, args.out, month=args.month, village=args.village, paper=args.paper,
                            household=args.household)
    for line in result.warnings():
        print(f"警告：{line}", file=sys.stderr)
    print(f"已生成：{result.path}，共 {result.pages} 页" + (f"，{len(result.missing)} 处缺字（见上）" if result.missing else ""))
    return 0


def cmd_sync(args) -> int:
    from ledgerdesk.sync import exchange

    with _opened(args) as session:
        if args.sync_command == "export":
            result = exchange.export_bundle(session, Path(args.out), full=args.full, to=args.to,
                                            progress=_sync_progress)
            print(result.message)
            return 0
        run = exchange.preview_import if args.dry_run else exchange.import_bundle
        report = run(session, Path(args.file), progress=_sync_progress)
    if args.json:
        print(json.dumps(_report_json(report), ensure_ascii=False, indent=2))
    else:
        print(report.message)
        for line in [*report.alarms, *(g.describe() for g in report.gaps[1:]), report.clock_warning]:
            if line:
                print(f"注意：{line}", file=sys.stderr)
    return 0


def _sync_progress(done: int, total: int, label: str) -> None:
    _progress_printer(label, done / total if total else 1.0)


def _report_json(report) -> dict:
    keys = ("file_id", "sender_name", "already_imported", "applied", "versions", "new_versions", "created",
            "updated", "conflicts", "held", "quarantined", "flagged_problems", "clock_warning", "alarms")
    out = {k: getattr(report, k) for k in keys}
    out["gaps"] = [g._asdict() for g in report.gaps]
    out["backup"] = str(report.backup) if report.backup else None
    out["message"] = report.message
    return out


def cmd_backup(args) -> int:
    from ledgerdesk.services import backup

    t0 = time.perf_counter()
    with _opened(args) as session:
        path = backup.backup_to(session, args.out) if args.out else backup.backup_now(session, backup.MANUAL)
    print(f"已备份：{path}（{backup.human_size(path.stat().st_size)}，用时 {time.perf_counter() - t0:.1f} 秒）")
    return 0


def cmd_restore(args) -> int:
    from ledgerdesk.core.errors import NotALedgerError
    from ledgerdesk.services import backup

    path = _db_path(args)
    if path.exists():  # who may restore is checked on the ledger being replaced, when it can still be opened
        try:
            with _opened(args) as session:
                backup.require_restore(session)
        except NotALedgerError:
            pass
    t0 = time.perf_counter()
    saved = backup.restore(Path(args.file), path, passphrase=_passphrase(), progress=_progress_printer)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    before = f"恢复前的台账已备份为 {saved}" if saved else "原来没有台账文件"
    print(f"已用备份 {args.file} 恢复台账 {path}（用时 {time.perf_counter() - t0:.1f} 秒）；{before}。"
          "恢复后的台账下次打开时换用新的站点编号。")
    return 0


def cmd_digest(args) -> int:
    from ledgerdesk.sync.digest import ledger_digest

    with _opened(args) as session:
        print(ledger_digest(session))
    return 0


def _device_add(args) -> int:
    from ledgerdesk.sync import devices

    with _opened(args) as session:
        e = devices.add_device(session, args.name, role=args.role, out=Path(args.out))
    print(f"已登记设备“{e.name}”（{devices.ROLE_LABELS[e.role]}），配对文件：{e.path}")
    print(f"配对码：{e.code}（只显示这一次）")
    print("下一步：把配对文件拷给该设备（U 盘、聊天软件均可）；配对码另行告诉使用人（当面或电话，不要和文件一起发送）。"
          "在该设备上用一个新的台账文件运行：")
    print(f"  ledgerdesk --db 新台账.sqlite3 device join {e.path.name}")
    print("然后为它导出一个完整同步文件（sync export --full）带过去导入。")
    return 0


def _pairing_code(args) -> str:
    code = args.code or os.environ.get("LEDGERDESK_PAIRING_CODE")
    if code:
        return code
    if sys.stdin.isatty():
        try:
            return input("请输入乡镇办公室给出的 12 位配对码：")
        except EOFError:
            pass
    raise UsageError("请给出配对码：--code 1234-5678-9012，或设置环境变量 LEDGERDESK_PAIRING_CODE")


def _device_join(args) -> int:
    from ledgerdesk.services import workspace
    from ledgerdesk.sync import devices

    path = _db_path(args)
    created = not path.exists()
    if created:  # a NEW bare ledger: the office's data (township row included) arrives with the first sync file
        session = devices.join_new_ledger(path, Path(args.file), _pairing_code(args))
    else:
        with _opened(args) as session, session.reading():  # refuse a ledger with data before asking for the code
            devices.check_joinable(session)
        package = devices.open_enrollment(Path(args.file), _pairing_code(args))
        session = workspace.open_ledger(path, passphrase=_passphrase())
        try:
            devices.join_package(session, package)
        except BaseException:
            session.close()
            raise
    try:
        status = devices.group_status(session)
    finally:
        session.close()
    print(f"已加入“{status.township}”的同步组：本机设备“{status.device_name}”（{devices.ROLE_LABELS[status.role]}），"
          f"台账 {path}" + ("（新建）" if created else ""))
    print("下一步：导入乡镇办公室为本设备导出的完整同步文件（sync import FILE.ldsync），即有全乡镇的台账数据。")
    return 0


def _device_list(args) -> int:
    from ledgerdesk.sync import devices

    with _opened(args) as session:
        status = devices.group_status(session)
        found = devices.list_devices(session)
    if args.json:
        print(json.dumps({"group": status.group_id, "township": status.township, "self": status.device_id,
                          "devices": [{"id": d.id, "name": d.name, "role": d.role, "verify_key": d.verify_key,
                                       "enrolled_at": d.enrolled_at.isoformat(" ") if d.enrolled_at else None,
                                       "revoked_at": d.revoked_at.isoformat(" ") if d.revoked_at else None,
                                       "is_self": d.is_self} for d in found]},
                         ensure_ascii=False, indent=2))
        return 0
    if not status.enrolled:
        print("本台账还没有加入同步组（乡镇办公室用 device add 登记设备，设备用 device join 加入）")
        return 0
    print(f"“{status.township}”同步组，本机：{status.device_name}")
    for d in found:
        when = f"登记于 {d.enrolled_at:%Y-%m-%d %H:%M}" if d.enrolled_at else "登记信息待同步"
        state = f"  已吊销（{d.revoked_at:%Y-%m-%d %H:%M}）" if d.revoked_at else ""
        print(f"  {d.name}  {d.role_label}  {when}  公钥 {d.fingerprint}{state}{'  ← 本机' if d.is_self else ''}")
    revoked = sum(1 for d in found if d.revoked_at)
    print(f"共 {len(found)} 台设备" + (f"，其中 {revoked} 台已吊销" if revoked else ""))
    return 0


def _device_revoke(args) -> int:
    from ledgerdesk.sync import devices

    with _opened(args) as session:
        d = devices.revoke(session, args.name)
    print(f"已吊销设备“{d.name}”（{d.revoked_at:%Y-%m-%d %H:%M}）。各台账导入本机此后导出的同步文件时收到吊销，"
          "从那时起拒收该设备导出的文件；已经导入的数据、以及其他设备已转交的它的修改不会撤回。")
    return 0


def _user_add(session, args) -> int:
    from ledgerdesk.services import accounts
    from ledgerdesk.services.permissions import ACCOUNT_ADMINS, require

    require(session, ACCOUNT_ADMINS, "新建账号")  # before asking for a password
    password = _new_password("LEDGERDESK_NEW_PASSWORD", f"账号 {args.name} 的登录密码")
    accounts.create_user(session, args.name, display_name=args.display_name, role=args.role, password=password,
                         villages=args.villages or ())
    info = next(u for u in accounts.list_users(session) if u.username == args.name.strip())
    print(f"已新增账号“{info.username}”（{info.role}，负责：{info.villages}）")
    return 0


def _user_list(session, args) -> int:
    from ledgerdesk.services import accounts

    users = accounts.list_users(session)
    if args.json:
        print(json.dumps({"users": [{"username": u.username, "display_name": u.display_name, "role": u.role,
                                     "villages": list(u.village_ids), "village_names": u.villages,
                                     "active": u.active, "has_password": u.has_password} for u in users]},
                         ensure_ascii=False, indent=2))
        return 0
    for u in users:
        state = "" if u.active else "  已停用"
        nopass = "" if u.has_password else "  未设密码"
        shown = f"（{u.display_name}）" if u.display_name and u.display_name != u.username else ""
        print(f"  {u.username}{shown}  {u.role}  负责：{u.villages}{state}{nopass}")
    print(f"共 {len(users)} 个账号")
    return 0


def _user_passwd(session, args) -> int:
    from ledgerdesk.services import accounts
    from ledgerdesk.services.permissions import ACCOUNT_ADMINS, require

    require(session, ACCOUNT_ADMINS, "重置密码")
    password = _new_password("LEDGERDESK_NEW_PASSWORD", f"账号 {args.name} 的新密码")
    accounts.set_password(session, args.name, password)
    print(f"已重设账号“{args.name}”的密码")
    return 0


def _user_disable(session, args) -> int:
    from ledgerdesk.services import accounts

    accounts.deactivate_user(session, args.name)
    print(f"已停用账号“{args.name}”：不能再登录，其录入的记录保留")
    return 0


USER_ACTIONS = {"add": _user_add, "list": _user_list, "passwd": _user_passwd, "disable": _user_disable}


def cmd_user(args) -> int:
    with _opened(args) as session:
        return USER_ACTIONS[args.user_command](session, args)


# ACTION of `device` -> handler(args).
DEVICE_ACTIONS = {"add": _device_add, "join": _device_join, "list": _device_list, "revoke": _device_revoke}


def cmd_device(args) -> int:
    return DEVICE_ACTIONS[args.device_command](args)


COMMANDS = {"gui": cmd_gui, "init": cmd_init, "encrypt": cmd_encrypt, "passphrase": cmd_passphrase,
            "demo": cmd_demo, "stats": cmd_stats, "check": cmd_check, "search": cmd_search, "import": cmd_import,
            "export": cmd_export,
            "report": cmd_report, "sync": cmd_sync, "digest": cmd_digest,
            "backup": cmd_backup, "restore": cmd_restore, "device": cmd_device, "user": cmd_user}


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
    except BrokenPipeError:  # output piped into `head` and the like: the reader left, not a failure
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
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
