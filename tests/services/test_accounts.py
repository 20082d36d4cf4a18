"""services.accounts: argon2id hashes, login, lockout with a growing delay, account management, village limits."""

import pytest

from ledgerdesk.core.errors import (
    LockedOutError,
    LoginFailedError,
    LoginRequiredError,
    NotFoundError,
    OutsideVillagesError,
    PermissionDeniedError,
    ValidationError,
)
from ledgerdesk.services import accounts, committees, ledger, registry, visits
from ledgerdesk.services.ledger_queries import ProblemQuery, problem_ids
from ledgerdesk.services.registry_queries import HouseholdQuery, household_ids
from ledgerdesk.services.search import search
from ledgerdesk.services.session import Session

ADMIN_PW = "管理员口令-2026"
CLERK_PW = "clerk-pass-1"


def versions(session) -> int:
    return session.ledger.db.execute_sql("SELECT count(*) FROM version").fetchone()[0]


@pytest.fixture
def town(villages):
    """Two villages (v-1 红旗村, v-2 巴音嘎查), admin with a password, a clerk limited to 红旗村."""
    s = villages
    accounts.ensure_admin(s, ADMIN_PW)
    accounts.create_user(s, "zhang", display_name="张三", role="录入员", password=CLERK_PW, villages=["v-1"])
    return s


# -- hashing ------------------------------------------------------------------------------------


def test_passwords_are_stored_as_argon2id_hashes_never_in_clear(town):
    stored = dict(town.ledger.db.execute_sql("SELECT username, password_hash FROM user_account").fetchall())
    assert set(stored) == {"admin", "zhang"}
    for name, password in (("admin", ADMIN_PW), ("zhang", CLERK_PW)):
        assert stored[name].startswith("$argon2id$v=19$m=65536,t=3,p=4$")
        assert password not in stored[name]
        assert accounts.verify_password(stored[name], password)
        assert not accounts.verify_password(stored[name], password + "x")
    assert accounts.hash_password(ADMIN_PW) != accounts.hash_password(ADMIN_PW)  # salted
    assert not accounts.verify_password("", "") and not accounts.verify_password("not a hash", "x")
    # Nor in the version log, which is what sync carries.
    log = town.ledger.db.execute_sql("SELECT group_concat(fields, '') FROM version").fetchone()[0]
    assert ADMIN_PW not in log and CLERK_PW not in log


# -- login ----------------------------------------------------------------------------------------


def test_has_login_only_once_an_active_account_has_a_password(villages):
    s = villages
    assert not accounts.has_login(s.ledger)
    accounts.ensure_admin(s, None)  # as a demo built without LEDGERDESK_PASSWORD
    assert not accounts.has_login(s.ledger)
    accounts.set_password(s, "admin", ADMIN_PW)
    assert accounts.has_login(s.ledger)


def test_login_gives_the_accounts_session(town):
    s = accounts.login(town.ledger, "zhang", CLERK_PW)
    assert (s.user, s.role, s.villages) == ("zhang", "录入员", frozenset({"v-1"}))
    admin = accounts.login(town.ledger, " admin ", ADMIN_PW)
    assert (admin.user, admin.role, admin.villages) == ("admin", "管理员", None)
    assert accounts.describe_session(s) == "张三（zhang） · 录入员，限红旗村"
    assert accounts.describe_session(Session(town.ledger)) == "系统管理员（本台账未设登录密码）"


def test_unknown_user_and_wrong_password_get_the_same_message(town):
    with pytest.raises(LoginFailedError) as wrong:
        accounts.login(town.ledger, "zhang", "not-the-password")
    with pytest.raises(LoginFailedError) as unknown:
        accounts.login(town.ledger, "nobody", "not-the-password")
    assert wrong.value.message == unknown.value.message == "用户名或密码不正确"
    assert wrong.value.one_line() == "错误：用户名或密码不正确 (login-failed)"
    with pytest.raises(LoginFailedError, match="请输入用户名和密码"):
        accounts.login(town.ledger, "zhang", "")


def test_lockout_after_five_failures_with_a_growing_delay(town, clock):
    ledger_ = town.ledger
    for _ in range(4):
        with pytest.raises(LoginFailedError):
            accounts.login(ledger_, "zhang", "wrong-password")
    with pytest.raises(LockedOutError) as locked:  # the 5th failure locks the name for 30 s
        accounts.login(ledger_, "zhang", "wrong-password")
    assert locked.value.seconds == 30 and "30 秒" in locked.value.message
    clock.advance(seconds=10)
    with pytest.raises(LockedOutError) as still:  # even the right password is refused meanwhile
        accounts.login(ledger_, "zhang", CLERK_PW)
    assert still.value.seconds == 20 and "20 秒后再试" in still.value.message
    assert accounts.locked_for(ledger_, "zhang") == 20
    assert accounts.login(ledger_, "admin", ADMIN_PW).user == "admin"  # other names are not affected
    expected = [60, 120, 240, 480, 960, 1920, 3600, 3600]
    for delay in expected:
        clock.advance(seconds=accounts.locked_for(ledger_, "zhang"))
        with pytest.raises(LockedOutError) as again:
            accounts.login(ledger_, "zhang", "wrong-password")
        assert again.value.seconds == delay
    assert "1 小时" in again.value.message
    clock.advance(seconds=3599)
    with pytest.raises(LockedOutError, match="1 秒"):
        accounts.login(ledger_, "zhang", CLERK_PW)
    clock.advance(seconds=1)
    assert accounts.login(ledger_, "zhang", CLERK_PW).user == "zhang"  # and the count starts again
    for _ in range(4):
        with pytest.raises(LoginFailedError):
            accounts.login(ledger_, "zhang", "wrong-password")


def test_unknown_names_lock_out_like_real_ones(town):
    for _ in range(4):
        with pytest.raises(LoginFailedError):
            accounts.login(town.ledger, "ghost", "whatever-1")
    with pytest.raises(LockedOutError):
        accounts.login(town.ledger, "ghost", "whatever-1")


def test_lockout_is_local_and_writes_no_version(town):
    before = versions(town)
    for _ in range(6):
        with pytest.raises((LoginFailedError, LockedOutError)):
            accounts.login(town.ledger, "zhang", "wrong-password")
    assert versions(town) == before
    assert town.ledger.db.execute_sql("SELECT failures FROM login_attempt WHERE username = 'zhang'").fetchone() == (5,)


def test_lockout_delays():
    assert [accounts.lockout_delay(n) for n in range(1, 13)] == [0, 0, 0, 0, 30, 60, 120, 240, 480, 960, 1920, 3600]
    assert accounts.lockout_delay(10_000) == 3600


def test_a_disabled_account_cannot_log_in(town):
    accounts.deactivate_user(town, "zhang")
    with pytest.raises(LoginFailedError, match="已停用"):
        accounts.login(town.ledger, "zhang", CLERK_PW)
    with pytest.raises(LoginFailedError, match="用户名或密码不正确"):  # wrong password: says nothing more
        accounts.login(town.ledger, "zhang", "wrong-password")
    accounts.activate_user(town, "zhang")
    assert accounts.login(town.ledger, "zhang", CLERK_PW).role == "录入员"


def test_session_from_env(town, villages):
    assert accounts.session_from_env(town.ledger, {"LEDGERDESK_USER": "zhang",
                                                   "LEDGERDESK_PASSWORD": CLERK_PW}).user == "zhang"
    with pytest.raises(LoginRequiredError, match="LEDGERDESK_USER.*LEDGERDESK_PASSWORD"):
        accounts.session_from_env(town.ledger, {"LEDGERDESK_USER": "zhang"})
    with pytest.raises(LoginFailedError):
        accounts.session_from_env(town.ledger, {"LEDGERDESK_USER": "zhang", "LEDGERDESK_PASSWORD": "nope-nope"})


def test_a_ledger_without_passwords_opens_as_the_system_administrator(villages):
    s = accounts.session_from_env(villages.ledger, {})
    assert (s.user, s.role, s.villages) == ("system", "管理员", None)


# -- managing accounts ----------------------------------------------------------------------------


def test_only_an_administrator_manages_accounts(town):
    clerk = accounts.login(town.ledger, "zhang", CLERK_PW)
    before = versions(town)
    for call in (lambda: accounts.list_users(clerk),
                 lambda: accounts.create_user(clerk, "li", role="只读", password="password-1"),
                 lambda: accounts.set_password(clerk, "zhang", "password-2"),
                 lambda: accounts.set_role(clerk, "zhang", "管理员"),
                 lambda: accounts.set_villages(clerk, "zhang", ()),
                 lambda: accounts.deactivate_user(clerk, "admin")):
        with pytest.raises(PermissionDeniedError):
            call()
    assert versions(town) == before


@pytest.mark.parametrize("kwargs,field,message", [
    ({"password": "short"}, "password", "密码至少需要 8 个字符"),
    ({"password": " padded-password "}, "password", "开头和结尾"),
    ({"username": "zhang"}, "username", "已有名为“zhang”的账号"),
    ({"username": ""}, "username", "请输入用户名"),
    ({"username": "system"}, "username", "保留"),
    ({"username": "li si"}, "username", "不能含空格"),
    ({"role": "组长"}, "role", "角色只能是管理员、书记、录入员、只读之一"),
    ({"villages": ["v-9"]}, "villages", "没有“v-9”"),
])
def test_bad_account_input_is_refused_at_its_field(town, kwargs, field, message):
    args = {"username": "li", "role": "书记", "password": "password-1", **kwargs}
    before = versions(town)
    with pytest.raises(ValidationError) as err:
        accounts.create_user(town, args.pop("username"), **args)
    assert err.value.field == field and message in err.value.message
    assert versions(town) == before


def test_roles_villages_and_passwords_change(town):
    accounts.create_user(town, "li", display_name="李四", role="secretary", password="password-1", villages="巴音嘎查")
    users = {u.username: u for u in accounts.list_users(town)}
    assert [u.username for u in accounts.list_users(town)] == ["admin", "li", "zhang"]
    assert (users["li"].role, users["li"].village_ids, users["li"].villages) == ("书记", ("v-2",), "巴音嘎查")
    assert users["admin"].villages == "全部" and users["admin"].has_password
    accounts.set_role(town, "li", "只读")
    accounts.set_villages(town, "li", ["v-2", "v-1"])
    accounts.set_password(town, "li", "another-password")
    s = accounts.login(town.ledger, "li", "another-password")
    assert (s.role, s.villages) == ("只读", frozenset({"v-1", "v-2"}))
    assert accounts.update_user(town, "li", villages=()) is True
    assert accounts.login(town.ledger, "li", "another-password").villages is None
    assert accounts.update_user(town, "li", villages=()) is False
    with pytest.raises(NotFoundError):
        accounts.set_role(town, "nobody", "只读")


def test_the_last_administrator_who_can_log_in_is_kept(villages):
    s = villages
    accounts.ensure_admin(s, None)  # an admin without a password
    with pytest.raises(ValidationError, match="没有能登录的管理员"):  # a clerk first would lock the admin out
        accounts.create_user(s, "zhang", role="录入员", password=CLERK_PW)
    accounts.set_password(s, "admin", ADMIN_PW)
    accounts.create_user(s, "zhang", role="录入员", password=CLERK_PW)
    admin = accounts.login(s.ledger, "admin", ADMIN_PW)
    with pytest.raises(ValidationError, match="不能停用自己"):
        accounts.deactivate_user(admin, "admin")
    with pytest.raises(ValidationError, match="不能更改自己"):
        accounts.set_role(admin, "admin", "书记")
    with pytest.raises(ValidationError, match="没有能登录的管理员"):  # the system user may try; still refused
        accounts.deactivate_user(s, "admin")
    accounts.create_user(admin, "wang", role="管理员", password="password-3")
    accounts.deactivate_user(admin, "wang")
    assert [u.active for u in accounts.list_users(admin) if u.username == "wang"] == [False]


# -- village limits ------------------------------------------------------------------------------


@pytest.fixture
def two_villages(town):
    """Households, a committee, a visit and a problem in each village; a clerk of 红旗村 and one of 巴音嘎查."""
    s = town
    data = {}
    for v in ("v-1", "v-2"):
        hid = registry.create_household(s, village_id=v, hh_no=f"{v}-01")
        pid = registry.add_person(s, hid, name="王建国" if v == "v-1" else "王巴特", make_head=True).id
        data[v] = {
            "household": hid, "person": pid,
            "committee": committees.form(s, village_id=v, kind="hongbai"),
            "visit": visits.record_visit(s, village_id=v, visited_on="2026-11-19", household_ids=[hid]),
            "problem": ledger.register_problem(s, title=f"{v} 路灯坏了", source="群众反映", village_id=v).id,
        }
    return s, data


def test_a_limited_clerk_writes_only_in_their_village(two_villages):
    s, data = two_villages
    clerk = accounts.login(s.ledger, "zhang", CLERK_PW)  # 红旗村 (v-1) only
    other = data["v-2"]
    refused = [
        lambda: registry.create_household(clerk, village_id="v-2", hh_no="x"),
        lambda: registry.update_household(clerk, other["household"], address="新地址"),
        lambda: registry.add_person(clerk, other["household"], name="李四"),
        lambda: registry.update_person(clerk, other["person"], phone="13800001111"),
        lambda: registry.move_household(clerk, data["v-1"]["household"], village_id="v-2"),
        lambda: registry.create_village(clerk, name="新村"),
        lambda: committees.add_member(clerk, other["committee"], person_id=other["person"]),
        lambda: committees.record_activity(clerk, other["committee"], held_on="2026-11-19"),
        lambda: visits.record_visit(clerk, village_id="v-2", visited_on="2026-11-19"),
        lambda: visits.problem_from_visit(clerk, other["visit"], title="需要修路"),
        lambda: ledger.register_problem(clerk, title="水管漏水", source="群众反映", village_id="v-2"),
        lambda: ledger.register_problem(clerk, title="水管漏水", source="群众反映",
                                        household_ids=[other["household"]]),
        lambda: ledger.register_problem(clerk, title="全镇的问题", source="群众反映"),  # no village: township-wide
        lambda: ledger.add_note(clerk, other["problem"], "已联系电工"),
    ]
    before = versions(s)
    for call in refused:
        with pytest.raises(OutsideVillagesError) as err:
            call()
        assert isinstance(err.value, PermissionDeniedError)
        assert err.value.message.startswith("您的账号只负责红旗村")
    assert versions(s) == before
    # In 红旗村 the same clerk works as usual.
    mine = data["v-1"]
    registry.update_household(clerk, mine["household"], address="红旗村1号")
    committees.add_member(clerk, mine["committee"], person_id=mine["person"])
    visits.record_visit(clerk, village_id="v-1", visited_on="2026-11-20", household_ids=[mine["household"]])
    ledger.register_problem(clerk, title="路灯", source="群众反映", village_id="v-1")
    ledger.dispatch(s, mine["problem"], responsible_person="李电工", responsible_unit="村委会")
    ledger.add_note(clerk, mine["problem"], "已报修")
    assert versions(s) > before


def test_lists_and_search_show_a_limited_account_only_its_villages(two_villages):
    s, data = two_villages
    clerk = accounts.login(s.ledger, "zhang", CLERK_PW)
    assert household_ids(clerk) == [data["v-1"]["household"]]
    assert household_ids(clerk, HouseholdQuery(village_id="v-2")) == []
    assert household_ids(clerk, HouseholdQuery(sort="address")) == [data["v-1"]["household"]]
    assert set(household_ids(s)) == {data["v-1"]["household"], data["v-2"]["household"]}
    assert problem_ids(clerk) == [data["v-1"]["problem"]] == problem_ids(clerk, limit=5)
    assert household_ids(clerk, limit=5) == [data["v-1"]["household"]]
    assert problem_ids(clerk, ProblemQuery(village_id="v-2")) == []
    assert len(problem_ids(s)) == 2
    assert [h.title for h in search(clerk, "王")] == ["王建国"]
    assert {h.title for h in search(s, "王")} == {"王建国", "王巴特"}
    accounts.set_villages(s, "zhang", ["v-1", "v-2"])  # two villages: the general list path
    both = accounts.login(s.ledger, "zhang", CLERK_PW)
    assert set(household_ids(both)) == {data["v-1"]["household"], data["v-2"]["household"]}
    assert {h.title for h in search(both, "王")} == {"王建国", "王巴特"}


# -- command line ---------------------------------------------------------------------------------


def cli(capsys, *args) -> tuple[int, str, str]:
    from ledgerdesk import cli as cli_module

    code = cli_module.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_init_user_commands_and_login_from_the_environment(tmp_path, monkeypatch, capsys):
    db = tmp_path / "l.sqlite3"
    monkeypatch.setenv("LEDGERDESK_PASSWORD", ADMIN_PW)
    monkeypatch.setenv("LEDGERDESK_USER", "admin")
    code, out, _ = cli(capsys, "--db", db, "init", "--township", "乌兰镇")
    assert code == 0 and "管理员账号：admin" in out
    code, out, _ = cli(capsys, "--db", db, "stats", "--json")
    assert code == 0
    monkeypatch.setenv("LEDGERDESK_NEW_PASSWORD", CLERK_PW)
    code, out, err = cli(capsys, "--db", db, "user", "add", "zhang", "--role", "clerk", "--display-name", "张三")
    assert code == 0 and "已新增账号“zhang”（录入员，负责：全部）" in out, err
    code, out, _ = cli(capsys, "--db", db, "user", "list", "--json")
    import json

    listed = {u["username"]: u for u in json.loads(out)["users"]}
    assert listed["zhang"]["role"] == "录入员" and listed["admin"]["has_password"] and "password_hash" not in out
    code, out, _ = cli(capsys, "--db", db, "user", "list")
    assert "zhang（张三）  录入员  负责：全部" in out and "共 2 个账号" in out

    monkeypatch.setenv("LEDGERDESK_USER", "zhang")
    monkeypatch.setenv("LEDGERDESK_PASSWORD", CLERK_PW)
    code, _, err = cli(capsys, "--db", db, "user", "list")  # a 录入员 may not
    assert code == 1 and err == "错误：“录入员”角色无权进行“查看账号”操作 (permission-denied)\n"
    assert cli(capsys, "--db", db, "stats")[0] == 0  # but may read
    monkeypatch.setenv("LEDGERDESK_PASSWORD", "wrong-password")
    code, _, err = cli(capsys, "--db", db, "stats")
    assert code == 1 and err == "错误：用户名或密码不正确 (login-failed)\n"
    monkeypatch.delenv("LEDGERDESK_PASSWORD")
    code, _, err = cli(capsys, "--db", db, "check")
    assert code == 1 and err.count("\n") == 1 and "LEDGERDESK_PASSWORD" in err and "(login-required)" in err

    monkeypatch.setenv("LEDGERDESK_USER", "admin")
    monkeypatch.setenv("LEDGERDESK_PASSWORD", ADMIN_PW)
    monkeypatch.setenv("LEDGERDESK_NEW_PASSWORD", "short")
    code, _, err = cli(capsys, "--db", db, "user", "passwd", "zhang")
    assert code == 1 and "密码至少需要 8 个字符" in err and "(invalid-value)" in err
    monkeypatch.setenv("LEDGERDESK_NEW_PASSWORD", "new-password-1")
    assert cli(capsys, "--db", db, "user", "passwd", "zhang")[0] == 0
    code, out, _ = cli(capsys, "--db", db, "user", "disable", "zhang")
    assert code == 0 and "已停用账号“zhang”" in out
    monkeypatch.setenv("LEDGERDESK_USER", "zhang")
    monkeypatch.setenv("LEDGERDESK_PASSWORD", "new-password-1")
    code, _, err = cli(capsys, "--db", db, "stats")
    assert code == 1 and "已停用" in err


def test_cli_init_needs_a_password(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("LEDGERDESK_PASSWORD", raising=False)
    db = tmp_path / "l.sqlite3"
    code, _, err = cli(capsys, "--db", db, "init")  # stdin is not a terminal here: nobody to ask
    assert code == 2 and err.count("\n") == 1 and "LEDGERDESK_PASSWORD" in err and "(usage)" in err
    assert not db.exists()
    monkeypatch.setenv("LEDGERDESK_PASSWORD", "1234567")
    code, _, err = cli(capsys, "--db", db, "init")
    assert code == 1 and "密码至少需要 8 个字符" in err and not db.exists()
