"""User accounts: password hashing and the first administrator.

Minimal for now (login, roles and lockout arrive with the trust issue).
Passwords are hashed with argon2id (argon2-cffi's defaults: memory-hard, salted),
as quality.md asks; the hash string carries its own parameters, so they can be
raised later without breaking stored accounts.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ledgerdesk.core.ids import link_id
from ledgerdesk.services.session import Session
from ledgerdesk.store.models import UserAccount

ADMIN_USERNAME = "admin"
ADMIN_DISPLAY_NAME = "管理员"
ADMIN_ROLE = "管理员"

_hasher = PasswordHasher()


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


def account_id(username: str) -> str:
    """The id of the account named ``username``.

    Derived from the name, like other rows identified by what they are: two
    copies of a new ledger that each create ``admin`` converge on one account
    when synced instead of holding two.
    """
    return link_id("user_account", username)


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
