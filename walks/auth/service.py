"""Coordinator accounts: creating them and checking a login. No Flask request in here."""
from __future__ import annotations

import datetime as dt
import re
import threading
import time
from collections import defaultdict, deque

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..models import USER_ROLES, User, audit, utcnow

MIN_PASSWORD_LENGTH = 8
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Checked against when the e-mail is unknown, so that a miss takes as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not a real password")


class AccountError(ValueError):
    """A bad account request; str(error) is a message a person understands."""


class LoginRefused(Exception):
    """The login did not succeed; `message` is what the person is told."""

    def __init__(self, message, locked: bool = False):
        super().__init__(str(message))
        self.message = message
        self.locked = locked


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


def _locked_message(until: dt.datetime, now: dt.datetime):
    minutes = max(1, int((until - now).total_seconds() + 59) // 60)
    return _l("Too many failed attempts. Try again in %(minutes)s minutes.", minutes=minutes)


def authenticate(email: str, password: str, *, max_failures: int, lock_seconds: int,
                 now: dt.datetime | None = None, unknown_throttle: "FailureWindow | None" = None) -> User:
    """The user whose password this is, or LoginRefused.

    After `max_failures` wrong passwords in a row the account refuses every login, even a right one,
    for `lock_seconds`. Unknown e-mails get the same message and, given `unknown_throttle`, the same
    lock, so neither the message nor the lock tells whether an account exists.
    """
    now = now or utcnow()
    user = find_user(email)
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
        key = "email:" + normalize_email(email)
        if unknown_throttle is not None:
            if unknown_throttle.blocked(key):
                raise LoginRefused(_locked_message(now + dt.timedelta(seconds=unknown_throttle.retry_after(key)),
                                                   now), locked=True)
            unknown_throttle.record(key)
        raise LoginRefused(INVALID_LOGIN)
    if user.locked_until and user.locked_until > now:
        check_password_hash(_DUMMY_HASH, password or "")
        raise LoginRefused(_locked_message(user.locked_until, now), locked=True)
    if user.locked_until:  # the lock has run out: a fresh start
        user.locked_until = None
        user.failed_logins = 0
    if not check_password_hash(user.password_hash, password or "") or not user.active:
        user.failed_logins += 1
        if user.failed_logins >= max_failures:
            user.locked_until = now + dt.timedelta(seconds=lock_seconds)
            user.failed_logins = 0
            audit(None, user, "locked", seconds=lock_seconds)
        db.session.flush()
        raise LoginRefused(INVALID_LOGIN)
    user.failed_logins = 0
    db.session.flush()
    return user


class FailureWindow:
    """Failures per key (a client address, an unknown e-mail) in a sliding window, kept in memory.

    Per process: behind gunicorn with N workers an address gets up to N times the limit, which still
    stops guessing at scale; the per-account lock in the database holds across processes.
    """

    def __init__(self, limit: int, window_seconds: int, clock=time.monotonic):
        self.limit = limit
        self.window = window_seconds
        self.clock = clock
        self._failures: dict[str, deque] = defaultdict(deque)
        self._lock = threading.Lock()

    def _trim(self, key: str) -> deque:
        failures = self._failures[key]
        cutoff = self.clock() - self.window
        while failures and failures[0] <= cutoff:
            failures.popleft()
        return failures

    def record(self, key: str) -> None:
        with self._lock:
            self._trim(key).append(self.clock())
            if len(self._failures) > 10_000:  # forget idle keys so memory stays bounded
                for stale in [k for k, v in self._failures.items() if not v]:
                    del self._failures[stale]

    def blocked(self, key: str) -> bool:
        with self._lock:
            return len(self._trim(key)) >= self.limit

    def retry_after(self, key: str) -> int:
        with self._lock:
            failures = self._trim(key)
            if not failures:
                return 0
            return max(1, int(failures[0] + self.window - self.clock()) + 1)

    def clear(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)
