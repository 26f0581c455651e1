"""Coordinator accounts: creating them and checking a login. No Flask request in here."""
from __future__ import annotations

import re

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..models import USER_ROLES, User, audit

MIN_PASSWORD_LENGTH = 8
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Checked against when the e-mail is unknown, so that a miss takes as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not a real password")


class AccountError(ValueError):
    """A bad account request; str(error) is a message a person understands."""


class LoginRefused(Exception):
    """The login did not succeed; `message` is what the person is told."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


INVALID_LOGIN = _l("The e-mail address or the password is wrong.")


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def create_user(email: str, password: str, role: str = "coordinator", name: str = "") -> User:
    """Add an account; raises AccountError (nothing stored) on a bad value or a taken e-mail."""
    email = normalize_email(email)
    if not EMAIL_PATTERN.match(email) or len(email) > 254:
        raise AccountError(_l("“%(email)s” is not a valid e-mail address.", email=email))
    if role not in USER_ROLES:
        raise AccountError(_l("Unknown role “%(role)s”: choose admin, coordinator or viewer.", role=role))
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise AccountError(_l("The password must have at least %(n)s characters.", n=MIN_PASSWORD_LENGTH))
    if find_user(email) is not None:
        raise AccountError(_l("There is already an account for %(email)s.", email=email))
    user = User(email=email, name=(name or "").strip()[:120], role=role,
                password_hash=generate_password_hash(password))
    db.session.add(user)
    db.session.flush()
    audit(None, user, "create", role=role)
    return user


def find_user(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(sa.func.lower(User.email) == normalize_email(email)))


def authenticate(email: str, password: str) -> User:
    """The user whose password this is, or LoginRefused with one message for every miss.

    There is no account lock a stranger could set off: repeated failures are slowed down by the
    abuse limits (walks/limits.py). The count of failures in a row is kept for the users page.
    """
    user = find_user(email)
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")  # a miss takes as long as a wrong password
        raise LoginRefused(INVALID_LOGIN)
    if not check_password_hash(user.password_hash, password or "") or not user.active:
        user.failed_logins += 1
        db.session.flush()
        raise LoginRefused(INVALID_LOGIN)
    user.failed_logins = 0
    db.session.flush()
    return user
