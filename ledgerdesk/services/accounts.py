"""User accounts: roles, village limits, passwords, login and lockout (quality.md, "Trust: access").

* Roles are :data:`ledgerdesk.core.vocab.ROLES`: 管理员 (everything, and
  accounts), 书记 (the secretary-reviewer: decisions and sign-off), 录入员
  (records facts), 只读 (reads only). What each may do is checked in the
  services (:mod:`ledgerdesk.services.permissions`, :mod:`ledgerdesk.core.lifecycle`).
* An account may be limited to some villages (``user_account.village_ids``,
  a comma list of village ids; empty = every village); its sessions carry
  them as ``Session.villages``.
* Passwords are hashed with argon2id (argon2-cffi's defaults: memory-hard,
  salted); the hash string carries its own parameters, so they can be raised
  later without breaking stored accounts. At least :data:`MIN_PASSWORD_LENGTH`
  characters.
* Login is required once the ledger has an active account with a password
  (:func:`has_login`); a ledger without one opens as the system administrator.
  :func:`login` gives the same message for an unknown user name and a wrong
  password. After :data:`LOCKOUT_AFTER` consecutive failures for a user name,
  each further failure locks that name for a growing delay (30 s, 60 s,
  120 s … at most 1 h, :func:`lockout_delay`), during which even the right
  password is refused with :class:`LockedOutError`. The counts live in the
  LOCAL table ``login_attempt`` (db/migrations/0007_login.sql) and use the
  ledger's clock.
* Managing accounts is for 管理员 only. The ledger always keeps at least one
  active administrator with a password once any account has one, so login
  can neither lock everybody out nor be switched off by accident.

Accounts are synced like any record (their id derives from the user name, so
two copies that each create ``admin`` converge on one account); lockout
state is per machine.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Iterable, Mapping

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ledgerdesk.core.errors import (
    LockedOutError,
    LoginFailedError,
    LoginRequiredError,
    NotFoundError,
    ValidationError,
)
from ledgerdesk.core.ids import link_id
from ledgerdesk.core.text import clean
from ledgerdesk.core.vocab import ROLES
from ledgerdesk.services.permissions import ACCOUNT_ADMINS, ADMIN, require
from ledgerdesk.services.session import SYSTEM_USER, Session
from ledgerdesk.store.models import UserAccount

ADMIN_USERNAME = "admin"
ADMIN_DISPLAY_NAME = "管理员"
ADMIN_ROLE = "管理员"

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128
MAX_USERNAME_LENGTH = 32
LOCKOUT_AFTER = 5  # failures before the first lock
LOCKOUT_FIRST_SECONDS = 30
LOCKOUT_MAX_SECONDS = 3600

WRONG_CREDENTIALS = "用户名或密码不正确"
DISABLED_ACCOUNT = "该账号已停用，请联系管理员"
ENV_USER = "LEDGERDESK_USER"
ENV_PASSWORD = "LEDGERDESK_PASSWORD"

#: English names the command line accepts for the roles.
ROLE_ALIASES = {"admin": "管理员", "secretary": "书记", "clerk": "录入员", "viewer": "只读"}

_hasher = PasswordHasher()
_dummy_hash: str | None = None


# -- hashing --------------------------------------------------------------------------------------


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (a new random salt each call)."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash``; False for an empty or malformed hash."""
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _verify_nobody(password: str) -> None:
    """Spend the time of one verification, so an unknown user name is not answered faster."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = hash_password("ledgerdesk-no-such-account")
    verify_password(_dummy_hash, password)


def account_id(username: str) -> str:
    """The id of the account named ``username``.

    Derived from the name, like other rows identified by what they are: two
    copies of a new ledger that each create ``admin`` converge on one account
    when synced instead of holding two.
    """
    return link_id("user_account", username)


# -- validation -----------------------------------------------------------------------------------


def check_password(password: object, field: str = "password") -> str:
    """``password`` if it is acceptable as a new password; ValidationError (Chinese, at ``field``) otherwise."""
    if not isinstance(password, str) or not password:
        raise ValidationError("请输入密码", field=field)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(f"密码至少需要 {MIN_PASSWORD_LENGTH} 个字符（现在是 {len(password)} 个）", field=field)
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValidationError(f"密码过长（最多 {MAX_PASSWORD_LENGTH} 个字符）", field=field)
    if password != password.strip():
        raise ValidationError("密码的开头和结尾不能是空格", field=field)
    return password


def check_username(username: object, field: str = "username") -> str:
    name = clean(username)
    if not name:
        raise ValidationError("请输入用户名", field=field)
    if len(name) > MAX_USERNAME_LENGTH:
        raise ValidationError(f"用户名过长（最多 {MAX_USERNAME_LENGTH} 个字符）", field=field)
    if any(c.isspace() for c in name) or any(c in name for c in ",，;；:：/\\\"'"):
        raise ValidationError("用户名不能含空格和标点（, ; : / \\ 引号）", field=field)
    if name == SYSTEM_USER:
        raise ValidationError(f"“{SYSTEM_USER}”是系统保留的名称，请换一个用户名", field=field)
    return name


def role_code(role: object, field: str = "role") -> str:
    """The role of :data:`ROLES` named by ``role`` (the Chinese name, or admin/secretary/clerk/viewer)."""
    s = clean(role)
    s = ROLE_ALIASES.get(s.lower(), s)
    if s not in ROLES:
        raise ValidationError(f"角色只能是{'、'.join(ROLES)}之一，不能是“{clean(role)}”", field=field)
    return s


def _villages_of(value: str) -> frozenset[str] | None:
    ids = frozenset(v for v in (value or "").split(",") if v)
    return ids or None


def _village_ids(session, villages: Iterable[str] | str | None) -> str:
    """The stored comma list for ``villages`` (ids or names of live villages); "" = every village."""
    if villages is None:
        return ""
    if isinstance(villages, str):
        villages = villages.replace("，", ",").replace("、", ",").split(",")
    wanted = [clean(v) for v in villages if clean(v)]
    found: list[str] = []
    db = session.ledger.db
    for v in wanted:
        row = db.execute_sql("SELECT id FROM village WHERE id = ? AND deleted = 0", (v,)).fetchone() or \
            db.execute_sql("SELECT id FROM village WHERE name = ? AND deleted = 0 ORDER BY id LIMIT 1",
                           (v,)).fetchone()
        if row is None:
            raise ValidationError(f"台账中没有“{v}”这个村（社区、嘎查）", field="villages")
        if row[0] not in found:
            found.append(row[0])
    return ",".join(sorted(found))


# -- reading --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UserInfo:
    """One account as the 账号管理 page and ``user list`` show it (never the password hash)."""

    id: str
    username: str
    display_name: str
    role: str
    village_ids: tuple[str, ...]  # () = every village
    villages: str  # their names, "全部" when not limited
    active: bool
    has_password: bool


def has_login(ledger) -> bool:
    """True iff the ledger has an active account with a password: then every start asks who is there."""
    with ledger.reading():
        return ledger.db.execute_sql(
            "SELECT 1 FROM user_account WHERE deleted = 0 AND active = 1 AND password_hash != '' LIMIT 1"
        ).fetchone() is not None


_USER_SQL = ("SELECT id, username, display_name, role, village_ids, active, password_hash != '' "
             "FROM user_account WHERE deleted = 0")
_ROLE_ORDER = "CASE role " + " ".join(f"WHEN '{r}' THEN {i}" for i, r in enumerate(ROLES)) + " ELSE 9 END"


def _names(session) -> dict[str, str]:
    return dict(session.ledger.db.execute_sql("SELECT id, name FROM village").fetchall())


def _info(row, names: Mapping[str, str], order: Mapping[str, int]) -> UserInfo:
    ids = tuple(sorted((v for v in (row[4] or "").split(",") if v), key=lambda v: (order.get(v, 1 << 30), v)))
    return UserInfo(row[0], row[1], row[2] or "", row[3], ids,
                    "、".join(names.get(v, "（已删除的村）") for v in ids) if ids else "全部",
                    bool(row[5]), bool(row[6]))


def list_users(session) -> list[UserInfo]:
    """Every live account, administrators first, then by user name (管理员 only)."""
    require(session, ACCOUNT_ADMINS, "查看账号")
    with session.reading():
        rows = session.ledger.db.execute_sql(f"{_USER_SQL} ORDER BY {_ROLE_ORDER}, username, id").fetchall()
        names = _names(session)
        order = dict(session.ledger.db.execute_sql("SELECT id, sort_order FROM village").fetchall())
    return [_info(r, names, order) for r in rows]


def _live(session, username) -> tuple:
    name = clean(username)
    row = session.ledger.db.execute_sql(f"{_USER_SQL} AND username = ? ORDER BY id LIMIT 1", (name,)).fetchone()
    if row is None:
        raise NotFoundError(f"没有名为“{name}”的账号")
    return row


def describe_session(session) -> str:
    """Who is working, for the status bar: "张三（录入员，限红旗村）"; the system user of a ledger without login."""
    if session.user == SYSTEM_USER:
        return f"系统{session.role}（本台账未设登录密码）"
    with session.reading():
        row = session.ledger.db.execute_sql(
            "SELECT display_name FROM user_account WHERE username = ? AND deleted = 0 LIMIT 1",
            (session.user,)).fetchone()
        names = _names(session)
    shown = session.user if not row or not row[0] or row[0] == session.user else f"{row[0]}（{session.user}）"
    limit = "" if session.villages is None else "，限" + "、".join(sorted(names.get(v, v) for v in session.villages))
    return f"{shown} · {session.role}{limit}"


# -- login ----------------------------------------------------------------------------------------


def lockout_delay(failures: int) -> int:
    """Seconds a user name is locked after its ``failures``-th consecutive failure (0: not locked)."""
    if failures < LOCKOUT_AFTER:
        return 0
    return min(LOCKOUT_FIRST_SECONDS * 2 ** min(failures - LOCKOUT_AFTER, 20), LOCKOUT_MAX_SECONDS)


def locked_for(ledger, username: str) -> int:
    """Seconds ``username`` stays locked out on this machine (0 when it may try now)."""
    with ledger.reading():
        row = ledger.db.execute_sql("SELECT locked_until FROM login_attempt WHERE username = ?",
                                    (clean(username),)).fetchone()
    remaining = (row[0] if row else 0) - ledger.clock.now_ms()
    return math.ceil(remaining / 1000) if remaining > 0 else 0


def _record_failure(ledger, name: str) -> int:
    """Count one more failure for ``name``; returns the lock it now has in seconds (0: none)."""
    now = ledger.clock.now_ms()
    with ledger.db.atomic():
        row = ledger.db.execute_sql("SELECT failures FROM login_attempt WHERE username = ?", (name,)).fetchone()
        failures = (row[0] if row else 0) + 1
        delay = lockout_delay(failures)
        ledger.db.execute_sql(
            "INSERT INTO login_attempt (username, failures, last_failure, locked_until) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (username) DO UPDATE SET failures = excluded.failures, "
            "last_failure = excluded.last_failure, locked_until = excluded.locked_until",
            (name, failures, now, now + delay * 1000 if delay else 0))
    return delay


def _clear_failures(ledger, name: str) -> None:
    with ledger.db.atomic():
        ledger.db.execute_sql("DELETE FROM login_attempt WHERE username = ?", (name,))


def login(ledger, username: str, password: str) -> Session:
    """The session of the account ``username`` if ``password`` is its password.

    :class:`LoginFailedError` with one message for an unknown user name and a
    wrong password (and a disabled account, once its password is right);
    :class:`LockedOutError` while the name is locked out — even with the right
    password — and on the failure that locks it. A success clears the count.
    """
    name = clean(username)
    if not name or not password:
        raise LoginFailedError("请输入用户名和密码")
    remaining = locked_for(ledger, name)
    if remaining:
        raise LockedOutError(remaining)
    with ledger.reading():
        row = ledger.db.execute_sql(
            "SELECT username, role, village_ids, password_hash, active FROM user_account "
            "WHERE username = ? AND deleted = 0 ORDER BY active DESC, id LIMIT 1", (name,)).fetchone()
    if row is None or not row[3]:
        _verify_nobody(password)
        ok = False
    else:
        ok = verify_password(row[3], password)
    if not ok:
        locked = _record_failure(ledger, name)
        if locked:
            raise LockedOutError(locked)
        raise LoginFailedError(WRONG_CREDENTIALS)
    _clear_failures(ledger, name)
    if not row[4]:
        raise LoginFailedError(DISABLED_ACCOUNT)
    return Session(ledger, row[0], row[1], _villages_of(row[2]))


def session_from_env(ledger, environ: Mapping[str, str] | None = None) -> Session:
    """The session for a command line or unattended start.

    A ledger without login (:func:`has_login` False) opens as the system
    administrator. Otherwise the credentials are LEDGERDESK_USER and
    LEDGERDESK_PASSWORD: :class:`LoginRequiredError` when either is missing,
    :class:`LoginFailedError` / :class:`LockedOutError` as :func:`login`.
    """
    if not has_login(ledger):
        return Session(ledger)
    env = os.environ if environ is None else environ
    user, password = env.get(ENV_USER, ""), env.get(ENV_PASSWORD, "")
    if not user or not password:
        raise LoginRequiredError(f"此台账已设置账号密码，请先设置环境变量 {ENV_USER}（用户名）和 "
                                 f"{ENV_PASSWORD}（密码）")
    return login(ledger, user, password)


# -- managing accounts (管理员) ------------------------------------------------------------------


def ensure_admin(session: Session, password: str | None) -> str:
    """Create the ``admin`` account if the ledger has no live one; returns its id.

    ``password`` empty or None leaves the account without a password (login
    is then not yet required). A live account is left as it is; a deleted one
    is restored with the given password.
    """
    with session.reading():
        live = (UserAccount.select(UserAccount.id)
                .where(UserAccount.username == ADMIN_USERNAME, UserAccount.deleted == False)  # noqa: E712
                .first())
        if live is not None:
            return live.id
        entity_id = account_id(ADMIN_USERNAME)
        tombstone = UserAccount.get_or_none(UserAccount.id == entity_id)
    values = {
        "username": ADMIN_USERNAME,
        "display_name": ADMIN_DISPLAY_NAME,
        "role": ADMIN_ROLE,
        "password_hash": hash_password(password) if password else "",
        "active": True,
    }
    with session.writing() as w:
        if tombstone is not None:
            w.update(UserAccount, entity_id, {**values, "deleted": False})
            return entity_id
        return w.insert(UserAccount, values, id=entity_id)


def _check_admin_remains(session, field: str) -> None:
    """Refuse a change after which login is required but no administrator could log in."""
    db = session.ledger.db
    if db.execute_sql("SELECT 1 FROM user_account WHERE deleted = 0 AND active = 1 AND password_hash != '' "
                      "LIMIT 1").fetchone() is None:
        return
    if db.execute_sql("SELECT 1 FROM user_account WHERE deleted = 0 AND active = 1 AND password_hash != '' "
                      "AND role = ? LIMIT 1", (ADMIN,)).fetchone() is None:
        raise ValidationError("这样保存后将没有能登录的管理员：至少要保留一个设有密码、未停用的管理员账号"
                              "（可先给管理员账号设置密码）", field=field)


def create_user(session, username, *, display_name="", role, password, villages=()) -> str:
    """A new account (管理员 only); returns its id. ``villages``: ids or names; empty = every village."""
    require(session, ACCOUNT_ADMINS, "新建账号")
    name = check_username(username)
    role = role_code(role)
    shown = clean(display_name)
    if len(shown) > 40:
        raise ValidationError("姓名过长（最多40个字）", field="display_name")
    password_hash = hash_password(check_password(password))
    entity_id = account_id(name)
    with session.writing() as w:
        db = session.ledger.db
        if db.execute_sql("SELECT 1 FROM user_account WHERE username = ? AND deleted = 0", (name,)).fetchone():
            raise ValidationError(f"已有名为“{name}”的账号", field="username")
        values = {"username": name, "display_name": shown, "role": role, "village_ids": _village_ids(session, villages),
                  "password_hash": password_hash, "active": True}
        if db.execute_sql("SELECT 1 FROM user_account WHERE id = ?", (entity_id,)).fetchone():
            w.update(UserAccount, entity_id, {**values, "deleted": False})  # a deleted account of that name
        else:
            w.insert(UserAccount, values, id=entity_id)
        _check_admin_remains(session, "role")
    return entity_id


def set_password(session, username, password) -> None:
    """Give the account a new password (管理员 only; the old one is not needed)."""
    require(session, ACCOUNT_ADMINS, "重置密码")
    password_hash = hash_password(check_password(password))
    with session.writing() as w:
        row = _live(session, username)
        w.update(UserAccount, row[0], {"password_hash": password_hash})
        _check_admin_remains(session, "password")
    _clear_failures(session.ledger, row[1])


def update_user(session, username, *, display_name=None, role=None, villages=None) -> bool:
    """Change an account's shown name, role and/or villages in one transaction (管理员 only); None keeps a value.

    ``villages``: ids or names, empty = every village. One's own role cannot
    be changed here (another administrator does it). True if something changed.
    """
    require(session, ACCOUNT_ADMINS, "修改账号")
    values: dict = {}
    if display_name is not None:
        shown = clean(display_name)
        if len(shown) > 40:
            raise ValidationError("姓名过长（最多40个字）", field="display_name")
        values["display_name"] = shown
    if role is not None:
        values["role"] = role_code(role)
    with session.writing() as w:
        row = _live(session, username)
        if villages is not None:
            values["village_ids"] = _village_ids(session, villages)
        current = {"display_name": row[2] or "", "role": row[3], "village_ids": row[4] or ""}
        changed = {k: v for k, v in values.items() if current[k] != v}
        if "role" in changed and row[1] == session.user:
            raise ValidationError("不能更改自己正在使用的账号的角色，请由另一位管理员操作", field="role")
        if changed:
            w.update(UserAccount, row[0], changed)
        _check_admin_remains(session, "role")
        return bool(changed)


def set_role(session, username, role) -> None:
    """Change the account's role (管理员 only); one's own administrator role cannot be given up here."""
    update_user(session, username, role=role)


def set_villages(session, username, villages) -> None:
    """Limit the account to ``villages`` (ids or names); empty = every village (管理员 only)."""
    update_user(session, username, villages=villages or ())


def set_display_name(session, username, display_name) -> None:
    """Change the name shown for the account (管理员 only)."""
    update_user(session, username, display_name=display_name)


def deactivate_user(session, username) -> None:
    """Disable the account: it can no longer log in; its records stay attributed to it (管理员 only)."""
    require(session, ACCOUNT_ADMINS, "停用账号")
    with session.writing() as w:
        row = _live(session, username)
        if row[1] == session.user:
            raise ValidationError("不能停用自己正在使用的账号", field="username")
        if row[5]:
            w.update(UserAccount, row[0], {"active": False})
        _check_admin_remains(session, "username")


def activate_user(session, username) -> None:
    """Enable a disabled account again (管理员 only)."""
    require(session, ACCOUNT_ADMINS, "启用账号")
    with session.writing() as w:
        row = _live(session, username)
        if not row[5]:
            w.update(UserAccount, row[0], {"active": True})
        _check_admin_remains(session, "username")


__all__ = [
    "ADMIN_USERNAME", "MIN_PASSWORD_LENGTH", "LOCKOUT_AFTER", "UserInfo",
    "hash_password", "verify_password", "account_id", "check_password", "check_username", "role_code",
    "has_login", "list_users", "describe_session", "lockout_delay", "locked_for", "login", "session_from_env",
    "ensure_admin", "create_user", "update_user", "set_password", "set_role", "set_villages", "set_display_name",
    "deactivate_user", "activate_user",
]
