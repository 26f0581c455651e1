"""Coordinator accounts: creating them and checking a login. No Flask request in here."""
from __future__ import annotations

import datetime as dt
import re
import secrets

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..models import USER_ROLES, Area, User, audit, hash_token, utcnow
from ..web import DomainError
from . import sessions

MIN_PASSWORD_LENGTH = 8
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Checked against when the e-mail is unknown, so that a miss takes as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not a real password")


class AccountError(DomainError):
    """A bad account request: a message a person understands (and the form field, if any)."""


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


# --- the users page: invitations, one-time password links, roles, areas, deactivation ----------------

ROLE_LABELS = {"admin": _l("Administrator"), "coordinator": _l("Coordinator"), "viewer": _l("Viewer")}


def list_users() -> list[User]:
    return list(db.session.scalars(sa.select(User).order_by(User.active.desc(), sa.func.lower(User.email))))


def _areas(area_ids) -> list[Area]:
    ids = {int(i) for i in area_ids or ()}
    areas = list(db.session.scalars(sa.select(Area).where(Area.id.in_(ids)))) if ids else []
    if len(areas) != len(ids):
        raise AccountError(_l("One of the chosen areas does not exist (any more). Reload the page."))
    return areas


def _check_role(role: str) -> None:
    if role not in USER_ROLES:
        raise AccountError(_l("Unknown role “%(role)s”: choose admin, coordinator or viewer.", role=role))


def issue_password_link(user: User, valid_for: dt.timedelta, now: dt.datetime | None = None) -> str:
    """A new one-time token to set the password (any older one stops working); only its hash is kept."""
    token = secrets.token_urlsafe(32)
    user.password_token_hash = hash_token(token)
    user.password_token_expires_at = (now or utcnow()) + valid_for
    db.session.flush()
    return token


def invite_user(actor: User, email: str, role: str, name: str, area_ids, valid_for: dt.timedelta) -> tuple[User, str]:
    """An account without a usable password, and the token of the link where the invitee sets one."""
    email = normalize_email(email)
    if not EMAIL_PATTERN.match(email) or len(email) > 254:
        raise AccountError(_l("“%(email)s” is not a valid e-mail address.", email=email))
    _check_role(role)
    if find_user(email) is not None:
        raise AccountError(_l("There is already an account for %(email)s.", email=email))
    user = User(email=email, name=(name or "").strip()[:120], role=role, areas=_areas(area_ids),
                password_hash=generate_password_hash(secrets.token_urlsafe(32)))
    db.session.add(user)
    db.session.flush()
    audit(actor, user, "invite", role=role, areas=[a.id for a in user.areas])
    return user, issue_password_link(user, valid_for)


def update_user(actor: User, user: User, role: str, name: str, area_ids) -> None:
    _check_role(role)
    if user.id == actor.id and role != "admin":
        raise AccountError(_l("You cannot take away your own administrator role."))
    user.role = role
    user.name = (name or "").strip()[:120]
    user.areas = _areas(area_ids)
    db.session.flush()
    audit(actor, user, "update", role=role, areas=[a.id for a in user.areas])


def deactivate_user(actor: User, user: User) -> None:
    """The user can no longer log in, and every session they have ends at once."""
    if user.id == actor.id:
        raise AccountError(_l("You cannot deactivate your own account."))
    user.active = False
    user.password_token_hash = None
    user.password_token_expires_at = None
    sessions.end_all(user)
    audit(actor, user, "deactivate")


def activate_user(actor: User, user: User) -> None:
    user.active = True
    db.session.flush()
    audit(actor, user, "activate")


def user_for_password_token(token: str, now: dt.datetime | None = None) -> User | None:
    """The active user whose unexpired link this is, or None."""
    if not token or len(token) > 200:
        return None
    user = db.session.scalar(sa.select(User).where(User.password_token_hash == hash_token(token)))
    if user is None or not user.active or user.password_token_expires_at is None \
            or user.password_token_expires_at <= (now or utcnow()):
        return None
    return user


def set_password(user: User, password: str) -> None:
    """A new password; the one-time link is used up and every session of the user ends."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise AccountError(_l("The password must have at least %(n)s characters.", n=MIN_PASSWORD_LENGTH))
    user.password_hash = generate_password_hash(password)
    user.password_token_hash = None
    user.password_token_expires_at = None
    user.failed_logins = 0
    sessions.end_all(user)
    audit(user, user, "set_password")
