"""账号管理 (ui/pages/accounts.py): the account list and its forms for 管理员; nothing for the other roles."""

from pathlib import Path

import pytest

from ledgerdesk.services import accounts, registry
from ledgerdesk.services.session import Session

PAGE_KEY = "accounts"
SHOTS = Path("/tmp/shots")
ADMIN_PW = "管理员口令-2026"


@pytest.fixture
def town(file_session):
    s = file_session
    village = registry.create_village(s, name="红旗村")
    registry.create_village(s, name="巴音嘎查", kind="嘎查")
    accounts.ensure_admin(s, ADMIN_PW)
    accounts.create_user(s, "zhang", display_name="张三", role="录入员", password="clerk-pass-1", villages=[village])
    return s


def test_the_administrator_sees_every_account(qtbot, qtmodeltester, make_page, town):
    page = make_page(town)
    qtmodeltester.check(page.model)
    assert page.model.ids() == ["admin", "zhang"]
    assert [page.model.data(page.model.index(1, c)) for c in range(page.model.columnCount())] == \
        ["zhang", "张三", "录入员", "红旗村", "在用", "已设置"]
    assert page.users["zhang"].villages == "红旗村" and page.users["admin"].villages == "全部"
    assert page.notice.isHidden()  # login is on: no warning
    SHOTS.mkdir(exist_ok=True)
    assert page.grab().save(str(SHOTS / "accounts-page.png"))


def test_new_account_form_refuses_a_short_password_at_its_field(qtbot, make_page, town):
    page = make_page(town)
    dialog = page.new_dialog()
    qtbot.addWidget(dialog)
    dialog.username_edit.setText("li")
    dialog.display_name_edit.setText("李四")
    dialog.role_combo.setCurrentIndex(1)  # 书记
    dialog.villages.set_chosen([page.users["zhang"].village_ids[0]])
    dialog.password_edit.setText("short")
    dialog.repeat_edit.setText("short")
    dialog.accept()
    assert dialog.field_error("password") == "密码至少需要 8 个字符（现在是 5 个）"
    assert "li" not in {u.username for u in accounts.list_users(town)}
    dialog.password_edit.setText("long-enough-1")
    dialog.repeat_edit.setText("long-enough-2")
    dialog.accept()
    assert dialog.field_error("repeat") == "两次输入的密码不一致"
    dialog.repeat_edit.setText("long-enough-1")
    dialog.accept()
    assert dialog.result() == dialog.DialogCode.Accepted
    page.reload("li")
    li = page.users["li"]
    assert (li.display_name, li.role, li.villages) == ("李四", "书记", "红旗村")
    assert accounts.login(town.ledger, "li", "long-enough-1").role == "书记"
    SHOTS.mkdir(exist_ok=True)
    dialog.show()
    assert dialog.grab().save(str(SHOTS / "accounts-new.png"))


def test_edit_reset_disable_and_enable(qtbot, make_page, town):
    page = make_page(town)
    page.table.select_ids(["zhang"])
    assert page.disable_button.isEnabled() and not page.enable_button.isEnabled()
    edit = page.edit_dialog()
    qtbot.addWidget(edit)
    edit.role_combo.setCurrentIndex(3)  # 只读
    edit.villages.set_chosen([])
    edit.accept()
    reset = page.password_dialog()
    qtbot.addWidget(reset)
    reset.password_edit.setText("new-password-1")
    reset.repeat_edit.setText("new-password-1")
    reset.accept()
    page.reload("zhang")
    s = accounts.login(town.ledger, "zhang", "new-password-1")
    assert (s.role, s.villages) == ("只读", None)
    assert page.set_active(False, ask=False)
    assert page.users["zhang"].active is False and page.enable_button.isEnabled()
    assert page.set_active(True)
    assert page.users["zhang"].active is True


def test_other_roles_get_no_account_list(qtbot, make_page, town):
    clerk = Session(town.ledger, "zhang", "录入员", frozenset())
    page = make_page(clerk)
    assert page.table is None
    assert "只有管理员" in page.subtitle_label.text()


def test_a_ledger_without_passwords_is_pointed_out(qtbot, make_page, file_session):
    accounts.ensure_admin(file_session, None)
    page = make_page(file_session)
    assert not page.notice.isHidden() and "还没有设置登录密码" in page.notice.text()
