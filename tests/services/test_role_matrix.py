"""The role matrix (quality.md, "Trust: access"): every service action, every role, checked in the services.

Each public write function of the services (registry and its 中心户/联户长,
persons and merge; 六会; visits; the problem ledger's steps; ledger numbers;
accounts; sync devices, conflicts and import; the Excel imports) is one
:class:`Action` below with the roles that may do it. For every role it runs
on a fresh copy of one small ledger: an allowed role succeeds, a refused one
gets PermissionDeniedError and the ledger's version log does not grow.
:func:`test_every_write_function_is_in_the_matrix` fails when a module gains
a public function taking a session that is neither here nor listed as a read.

Village limits: an administrator limited to the other village is refused every
action on a record of 红旗村 (and township-wide ones), and is allowed them when
limited to 红旗村.
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pytest

from ledgerdesk.core.clock import FixedClock
from ledgerdesk.core.errors import LedgerDeskError, OutsideVillagesError, PermissionDeniedError
from ledgerdesk.core.vocab import ROLES
from ledgerdesk.interchange import committees as committees_xlsx
from ledgerdesk.interchange import ledger_xlsx, roster
from ledgerdesk.services import accounts, committees, ledger, ledger_numbers, registry, visits, workspace
from ledgerdesk.services.session import Session
from ledgerdesk.store.database import Ledger
from ledgerdesk.store.verify import replay_mismatches
from ledgerdesk.sync import conflicts, devices, exchange
from ledgerdesk.sync.credentials import open_enrollment

NOW = dt.datetime(2026, 11, 20, 9, 30)
ADMIN, SECRETARY, CLERK, VIEWER = ROLES
ALL = frozenset(ROLES)
EDITORS = frozenset({ADMIN, SECRETARY, CLERK})
REVIEWERS = frozenset({ADMIN, SECRETARY})
ADMINS = frozenset({ADMIN})

SCOPED, TOWNSHIP, ANY = "scoped", "township", "any"  # how an action meets an account's village limit


@dataclass(frozen=True)
class Action:
    name: str
    allowed: frozenset[str]
    call: Callable[[Session, dict], Any]
    prepare: Callable[[dict], dict] | None = None  # done by the system user before the versions are counted
    villages: str = SCOPED
    # The allowed roles get past the role check but the call then fails for another reason this small
    # ledger gives it (joining a group it already leads, a conflict that does not exist): any
    # LedgerDeskError except PermissionDeniedError counts as allowed.
    loose: bool = False


def _with(**values) -> Callable[[dict], dict]:
    return lambda ctx: values


def _device(ctx: dict) -> dict:
    out = ctx["tmp"] / "laptop.ldkey"
    enrolled = devices.add_device(ctx["system"], "王五的笔记本", out=out)
    return {"ldkey": out, "code": enrolled.code}


def _plan(plan_fn, file_key):
    return lambda ctx: {"plan": plan_fn(ctx["system"], ctx["files"][file_key])}


def _not_authority(ctx: dict) -> dict:
    ledger_numbers.revoke_numbering_authority(ctx["system"])
    return {}


def _authority(ctx: dict) -> dict:
    """A copied file is a new site, no longer the township's numbering authority: make it one again."""
    ledger_numbers.make_numbering_authority(ctx["system"])
    return {}


ACTIONS: tuple[Action, ...] = (
    # -- registry: hierarchy and households
    Action("create_village", EDITORS, lambda s, c: registry.create_village(s, name="新建村"), villages=TOWNSHIP),
    Action("create_group", EDITORS, lambda s, c: registry.create_group(s, village_id=c["v1"], name="三组")),
    Action("create_grid", EDITORS, lambda s, c: registry.create_grid(s, village_id=c["v1"], name="三号网格")),
    Action("create_household", EDITORS, lambda s, c: registry.create_household(s, village_id=c["v1"], hh_no="H9")),
    Action("update_household", EDITORS, lambda s, c: registry.update_household(s, c["h2"], address="红旗村9号")),
    Action("set_level", EDITORS, lambda s, c: registry.set_level(s, c["h2"], "红")),
    Action("move_household", EDITORS, lambda s, c: registry.move_household(s, c["h2"], village_id=c["v1"],
                                                                          group_id=c["group"])),
    Action("deactivate_household", EDITORS, lambda s, c: registry.deactivate_household(s, c["h2"], "迁出")),
    Action("set_household_head", EDITORS, lambda s, c: registry.set_household_head(s, c["h2"], c["p5"])),
    Action("set_household_tags", EDITORS, lambda s, c: registry.set_household_tags(s, c["h2"], ["低保", "新标签"])),
    # -- registry: persons
    Action("add_person", EDITORS, lambda s, c: registry.add_person(s, c["h2"], name="赵六")),
    Action("update_person", EDITORS, lambda s, c: registry.update_person(s, c["p3"], phone="13800001111")),
    Action("move_person", EDITORS, lambda s, c: registry.move_person(s, c["p5"], c["h1"])),
    Action("set_person_status", EDITORS, lambda s, c: registry.set_person_status(s, c["p5"], "外出")),
    Action("add_grid_worker", EDITORS, lambda s, c: registry.add_grid_worker(s, grid_id=c["grid"], person_id=c["p3"])),
    Action("set_person_post", EDITORS, lambda s, c: registry.set_person_post(s, person_id=c["p3"], post="党小组长")),
    Action("merge_persons", REVIEWERS, lambda s, c: registry.merge_persons(s, c["p5"], c["p6"])),
    # -- registry: 党员中心户 and 联户长
    Action("designate_center", REVIEWERS,
           lambda s, c: registry.designate_center(s, household_id=c["h2"], person_id=c["p3"], types=["xuanchuan"])),
    Action("set_center_types", REVIEWERS, lambda s, c: registry.set_center_types(s, c["center"], ["wangge"])),
    Action("end_center", REVIEWERS, lambda s, c: registry.end_center(s, c["center"])),
    Action("assign_to_center", EDITORS, lambda s, c: registry.assign_to_center(s, c["center"], [c["h2"]])),
    Action("unassign_from_center", EDITORS, lambda s, c: registry.unassign_from_center(s, [c["h1"]])),
    Action("designate_link_head", REVIEWERS, lambda s, c: registry.designate_link_head(s, person_id=c["p3"])),
    Action("end_link_head", REVIEWERS, lambda s, c: registry.end_link_head(s, c["head"])),
    Action("link_to_head", EDITORS, lambda s, c: registry.link_to_head(s, c["head"], [c["h2"]])),
    Action("unlink_from_head", EDITORS, lambda s, c: registry.unlink_from_head(s, [c["h1"]])),
    # -- 六会
    Action("form", EDITORS, lambda s, c: committees.form(s, village_id=c["v1"], kind="huzhu")),
    Action("update_committee", EDITORS, lambda s, c: committees.update_committee(s, c["committee"], charter="新章程")),
    Action("dissolve", EDITORS, lambda s, c: committees.dissolve(s, c["committee"])),
    Action("add_member", EDITORS, lambda s, c: committees.add_member(s, c["committee"], person_id=c["p3"])),
    Action("end_membership", EDITORS, lambda s, c: committees.end_membership(s, c["member"])),
    Action("set_member_role", EDITORS, lambda s, c: committees.set_member_role(s, c["member"], "副会长")),
    Action("record_activity", EDITORS,
           lambda s, c: committees.record_activity(s, c["committee"], held_on="2026-11-18", topic="例会")),
    Action("update_activity", EDITORS, lambda s, c: committees.update_activity(s, c["activity"], topic="改期")),
    Action("delete_activity", EDITORS, lambda s, c: committees.delete_activity(s, c["activity"])),
    # -- visits
    Action("record_visit", EDITORS,
           lambda s, c: visits.record_visit(s, village_id=c["v1"], visited_on="2026-11-19", household_ids=[c["h1"]])),
    Action("problem_from_visit", EDITORS, lambda s, c: visits.problem_from_visit(s, c["visit"], title="修路")),
    # -- the problem ledger (core.lifecycle.PERMISSIONS): a 录入员 records facts, never decisions or 销号
    Action("register_problem", EDITORS,
           lambda s, c: ledger.register_problem(s, title="路灯坏了", source="群众反映", village_id=c["v1"])),
    Action("dispatch", REVIEWERS, lambda s, c: ledger.dispatch(s, c["p_reg"], responsible_person="李四",
                                                               responsible_unit="村委会")),
    Action("add_note", EDITORS, lambda s, c: ledger.add_note(s, c["p_disp"], "已联系")),
    Action("resolve", EDITORS, lambda s, c: ledger.resolve(s, c["p_disp"], "已修好")),
    Action("rate", EDITORS, lambda s, c: ledger.rate(s, c["p_res"], rating="满意", rated_by="王大爷")),
    Action("close", REVIEWERS, lambda s, c: ledger.close(s, c["p_ok"], "同意销号")),
    Action("return_problem", REVIEWERS, lambda s, c: ledger.return_problem(s, c["p_res"], "没修好")),
    Action("extend", REVIEWERS, lambda s, c: ledger.extend(s, c["p_disp"], reason="等配件", approved_by="书记",
                                                           days=5)),
    Action("reopen", REVIEWERS, lambda s, c: ledger.reopen(s, c["p_bad"], "群众不满意")),
    Action("merge", REVIEWERS, lambda s, c: ledger.merge(s, c["p_reg"], c["p_into"])),
    Action("void", REVIEWERS, lambda s, c: ledger.void(s, c["p_reg"], "重复登记")),
    Action("revisit", EDITORS, lambda s, c: ledger.revisit(s, c["p_res"], result="情况良好")),
    Action("claim_by_center", REVIEWERS, lambda s, c: ledger.claim_by_center(s, c["p_reg"], c["center"])),
    Action("branch_study", EDITORS, lambda s, c: ledger.branch_study(s, c["p_disp"], "支部决定本周修")),
    Action("feedback", REVIEWERS, lambda s, c: ledger.feedback(s, c["p_disp"], "已告知群众")),
    # -- ledger numbers (township-wide)
    Action("make_numbering_authority", ADMINS, lambda s, c: ledger_numbers.make_numbering_authority(s),
           prepare=_not_authority, villages=ANY),
    Action("revoke_numbering_authority", ADMINS, lambda s, c: ledger_numbers.revoke_numbering_authority(s),
           prepare=_authority, villages=ANY),
    Action("assign_official_numbers", EDITORS, lambda s, c: ledger_numbers.assign_official_numbers(s),
           prepare=_authority, villages=ANY),
    # -- accounts (管理员 only; not village-limited)
    Action("list_users", ADMINS, lambda s, c: accounts.list_users(s), villages=ANY),
    Action("create_user", ADMINS, lambda s, c: accounts.create_user(s, "li", role="书记", password="password-1"),
           villages=ANY),
    Action("update_user", ADMINS, lambda s, c: accounts.update_user(s, "zhang", display_name="张三丰"), villages=ANY),
    Action("set_role", ADMINS, lambda s, c: accounts.set_role(s, "zhang", "只读"), villages=ANY),
    Action("set_villages", ADMINS, lambda s, c: accounts.set_villages(s, "zhang", [c["v2"]]), villages=ANY),
    Action("set_display_name", ADMINS, lambda s, c: accounts.set_display_name(s, "zhang", "张三"), villages=ANY),
    Action("set_password", ADMINS, lambda s, c: accounts.set_password(s, "zhang", "new-password-1"), villages=ANY),
    Action("deactivate_user", ADMINS, lambda s, c: accounts.deactivate_user(s, "zhang"), villages=ANY),
    Action("activate_user", ADMINS, lambda s, c: accounts.activate_user(s, "zhang"),
           prepare=lambda c: (accounts.deactivate_user(c["system"], "zhang"), {})[1], villages=ANY),
    # -- sync
    Action("add_device", ADMINS, lambda s, c: devices.add_device(s, "李四的笔记本", out=c["tmp"] / "li.ldkey"),
           villages=ANY),
    Action("revoke", ADMINS, lambda s, c: devices.revoke(s, "王五的笔记本"), prepare=_device, villages=ANY),
    Action("join", ADMINS, lambda s, c: devices.join(s, c["ldkey"], c["code"]), prepare=_device, villages=ANY,
           loose=True),
    Action("join_package", ADMINS, lambda s, c: devices.join_package(s, open_enrollment(c["ldkey"], c["code"])),
           prepare=_device, villages=ANY, loose=True),
    Action("import_bundle", EDITORS, lambda s, c: exchange.import_bundle(s, c["tmp"] / "none.ldsync"), villages=ANY,
           loose=True),
    Action("resolve_conflict", EDITORS, lambda s, c: conflicts.resolve(s, c["h1"], "address", "x"), villages=ANY,
           loose=True),
    Action("resolve_delete", EDITORS, lambda s, c: conflicts.resolve_delete(s, c["h1"], keep_deleted=True),
           villages=ANY, loose=True),
    # -- Excel imports (re-importing the ledger's own export: allowed means it runs and changes nothing)
    Action("apply_roster_import", EDITORS, lambda s, c: roster.apply_roster_import(s, c["plan"]),
           prepare=_plan(roster.plan_roster_import, "roster"), villages=TOWNSHIP),
    Action("import_roster", EDITORS, lambda s, c: roster.import_roster(s, c["files"]["roster"]), villages=TOWNSHIP),
    Action("apply_ledger_import", REVIEWERS, lambda s, c: ledger_xlsx.apply_ledger_import(s, c["plan"]),
           prepare=_plan(ledger_xlsx.plan_ledger_import, "ledger"), villages=TOWNSHIP),
    Action("import_ledger", REVIEWERS, lambda s, c: ledger_xlsx.import_ledger(s, c["files"]["ledger"]),
           villages=TOWNSHIP),
    # Committee rows are written through the committee services, which check each row's village.
    Action("apply_committee_import", EDITORS, lambda s, c: committees_xlsx.apply_committee_import(s, c["plan"]),
           prepare=_plan(committees_xlsx.plan_committee_import, "committees"), villages=ANY),
    Action("import_committees", EDITORS, lambda s, c: committees_xlsx.import_committees(s, c["files"]["committees"]),
           villages=ANY),
)

# Functions of those modules that take a session and are NOT writes (or are not role-checked on purpose).
READS = {
    "ledgerdesk.services.registry_persons": {"person_values"},  # the validation helper of add/update_person
    "ledgerdesk.services.registry_merge": {"possible_duplicates"},
    "ledgerdesk.services.committees": {"committee_ids", "committee_rows", "current_officers", "committee_detail",
                                       "activity_ids", "activity_rows", "activity_detail", "find_persons"},
    "ledgerdesk.services.visits": {"visit_ids", "visit_rows", "visit_detail", "visits_due"},
    "ledgerdesk.services.ledger": {"problem_state", "legal_actions", "problems_of_households"},
    "ledgerdesk.services.ledger_numbers": {"is_numbering_authority", "number_prefix", "device_code", "official_prefix",
                                           "next_official_number", "next_provisional_number",
                                           "new_numbers"},  # new_numbers: inside register_problem's transaction
    # describe_session reads; ensure_admin bootstraps `init`/`demo` on a new ledger and never changes a live admin.
    "ledgerdesk.services.accounts": {"describe_session", "ensure_admin"},
    "ledgerdesk.sync.devices": {"group_status", "identity", "revoked_ids", "trust_anchor", "list_devices",
                                "check_joinable"},
    "ledgerdesk.sync.exchange": {"export_bundle", "preview_import", "alarms", "imported_files"},
    "ledgerdesk.sync.conflicts": {"open_count", "open_conflicts"},
    "ledgerdesk.interchange.roster": {"plan_roster_import", "export_roster", "export_uncovered"},
    "ledgerdesk.interchange.ledger_xlsx": {"plan_ledger_import", "export_ledger"},
    "ledgerdesk.interchange.committees": {"plan_committee_import", "export_committees"},
    # Printed sheets and reports only read.
    "ledgerdesk.services.sheets": {"resolve_village", "ledger_lines", "ledger_sheet", "notice_sheet",
                                   "committees_sheet", "bulletin", "find_household", "household_card"},
}
MODULES = ("ledgerdesk.services.registry", "ledgerdesk.services.registry_centers", *READS)
ALIASES = {"resolve_conflict": ("ledgerdesk.sync.conflicts", "resolve")}


# -- the small ledger every case copies --------------------------------------------------------------


@dataclass
class Template:
    path: Path
    ids: dict[str, str] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Template:
    """红旗村 (v1: 3 households, a 中心户, a 联户长, a committee, a visit, problems in six states) and 巴音嘎查 (v2)."""
    folder = tmp_path_factory.mktemp("matrix")
    t = Template(folder / "template.sqlite3")
    s = workspace.create_ledger(t.path, township="测试镇", clock=FixedClock(NOW))
    i = t.ids
    i["v1"] = registry.create_village(s, name="红旗村")
    i["v2"] = registry.create_village(s, name="巴音嘎查", kind="嘎查")
    i["group"] = registry.create_group(s, village_id=i["v1"], name="一组")
    i["grid"] = registry.create_grid(s, village_id=i["v1"], name="一号网格")
    i["h1"] = registry.create_household(s, village_id=i["v1"], hh_no="H1")
    i["h2"] = registry.create_household(s, village_id=i["v1"], hh_no="H2")
    i["h3"] = registry.create_household(s, village_id=i["v2"], hh_no="B1")
    i["p1"] = registry.add_person(s, i["h1"], name="王建国", is_party_member=True, make_head=True).id
    i["p2"] = registry.add_person(s, i["h1"], name="王芳").id
    i["p3"] = registry.add_person(s, i["h2"], name="李明", is_party_member=True, make_head=True).id
    i["p5"] = registry.add_person(s, i["h2"], name="李小红", birth_date="1990-01-01").id
    registry.add_person(s, i["h3"], name="巴特尔", make_head=True)
    i["center"] = registry.designate_center(s, household_id=i["h1"], person_id=i["p1"], types=["xuanchuan"])
    i["head"] = registry.designate_link_head(s, person_id=i["p2"])
    i["committee"] = committees.form(s, village_id=i["v1"], kind="hongbai", founded_on="2026-01-05")
    i["member"] = committees.add_member(s, i["committee"], person_id=i["p1"], role="会长", joined_on="2026-01-05")
    i["activity"] = committees.record_activity(s, i["committee"], held_on="2026-11-10", topic="例会",
                                               attendee_ids=[i["p1"]])
    i["visit"] = visits.record_visit(s, village_id=i["v1"], visited_on="2026-11-19", household_ids=[i["h1"]],
                                     needs="路灯不亮")

    def problem(title: str, *steps: str) -> str:
        pid = ledger.register_problem(s, title=title, source="群众反映", village_id=i["v1"],
                                      household_ids=[i["h1"]]).id
        for step in steps:
            if step == "dispatch":
                ledger.dispatch(s, pid, responsible_person="李电工", responsible_unit="村委会")
            elif step == "resolve":
                ledger.resolve(s, pid, "已修好")
            else:
                ledger.rate(s, pid, rating=step, rated_by="王大爷")
        return pid

    i["p_reg"] = problem("待交办")
    i["p_into"] = problem("重复的问题")
    i["p_disp"] = problem("办理中", "dispatch")
    i["p_res"] = problem("已办结", "dispatch", "resolve")
    i["p_ok"] = problem("已评价满意", "dispatch", "resolve", "满意")
    i["p_bad"] = problem("已评价不满意", "dispatch", "resolve", "不满意")
    accounts.ensure_admin(s, "管理员口令-2026")
    accounts.create_user(s, "zhang", role="录入员", password="clerk-pass-1")
    for key, export in (("roster", roster.export_roster), ("ledger", ledger_xlsx.export_ledger),
                        ("committees", committees_xlsx.export_committees)):
        t.files[key] = folder / f"{key}.xlsx"
        export(s, t.files[key])
    # A duplicate (for merge_persons) after the export: the roster would refuse it as a duplicate row.
    i["p6"] = registry.add_person(s, i["h2"], name="李小红", birth_date="1990-01-01").id
    s.close()
    return t


def versions(ledger_: Ledger) -> int:
    return ledger_.db.execute_sql("SELECT count(*) FROM version").fetchone()[0]


def run_case(template: Template, tmp_path: Path, action: Action, role: str, villages=None):
    """Run ``action`` as ``role`` (limited to ``villages``) on a fresh copy; returns (error or None, versions added)."""
    path = tmp_path / "case.sqlite3"
    shutil.copyfile(template.path, path)
    opened = Ledger.open(path, clock=FixedClock(NOW))
    try:
        ctx: dict[str, Any] = {**template.ids, "system": Session(opened), "tmp": tmp_path, "files": template.files}
        if action.prepare is not None:
            ctx.update(action.prepare(ctx))
        before = versions(opened)
        session = Session(opened, f"matrix-{role}", role, villages)
        error = None
        try:
            action.call(session, ctx)
        except LedgerDeskError as exc:
            error = exc
        assert not replay_mismatches(opened.db)
        return error, versions(opened) - before
    finally:
        opened.close()


CASES = [pytest.param(a, role, id=f"{a.name}-{role}") for a in ACTIONS for role in ROLES]


@pytest.mark.parametrize("action,role", CASES)
def test_role_matrix(template, tmp_path, action, role):
    error, added = run_case(template, tmp_path, action, role)
    if role in action.allowed:
        if action.loose:
            assert not isinstance(error, PermissionDeniedError), error
        else:
            assert error is None, f"{action.name} refused to {role}: {error}"
    else:
        assert isinstance(error, PermissionDeniedError), f"{action.name} not refused to {role}: {error}"
        assert role in error.message and "无权" in error.message
        assert added == 0, f"a refused {action.name} wrote {added} versions"


VILLAGE_CASES = [pytest.param(a, id=a.name) for a in ACTIONS if a.villages != ANY and not a.loose]


@pytest.mark.parametrize("action", VILLAGE_CASES)
def test_an_account_limited_to_the_other_village_is_refused(template, tmp_path, action):
    error, added = run_case(template, tmp_path, action, ADMIN, frozenset({template.ids["v2"]}))
    assert isinstance(error, OutsideVillagesError), f"{action.name} not refused outside the account's villages: {error}"
    assert error.message.startswith("您的账号只负责巴音嘎查")
    assert added == 0


@pytest.mark.parametrize("action", [pytest.param(a, id=a.name) for a in ACTIONS if a.villages == SCOPED])
def test_an_account_limited_to_the_records_village_may_act(template, tmp_path, action):
    error, _ = run_case(template, tmp_path, action, ADMIN, frozenset({template.ids["v1"]}))
    assert error is None, f"{action.name} refused inside the account's villages: {error}"


@pytest.mark.parametrize("action", [pytest.param(a, id=a.name) for a in ACTIONS if a.villages == ANY and not a.loose])
def test_township_tasks_ignore_village_limits(template, tmp_path, action):
    error, _ = run_case(template, tmp_path, action, ADMIN, frozenset({template.ids["v2"]}))
    assert error is None, f"{action.name}: {error}"


def test_a_clerk_cannot_sign_off_a_problem(template, tmp_path):
    close = next(a for a in ACTIONS if a.name == "close")
    error, added = run_case(template, tmp_path, close, CLERK)
    assert isinstance(error, PermissionDeniedError) and error.message == "“录入员”角色无权进行“销号”操作"
    assert added == 0


def test_every_write_function_is_in_the_matrix():
    covered: dict[str, set[str]] = {}
    for a in ACTIONS:
        module, name = ALIASES.get(a.name, (None, a.name))
        covered.setdefault(name, set()).add(module or "*")
    missing = []
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        for name, fn in vars(module).items():
            if name.startswith("_") or not inspect.isfunction(fn) or fn.__module__ != module_name:
                continue
            if list(inspect.signature(fn).parameters)[:1] != ["session"]:
                continue
            if name in READS.get(module_name, ()):
                continue
            where = covered.get(name, set())
            if "*" not in where and module_name not in where:
                missing.append(f"{module_name}.{name}")
    assert not missing, f"public functions taking a session, neither in the role matrix nor listed as reads: {missing}"
    assert len({a.name for a in ACTIONS}) == len(ACTIONS)
