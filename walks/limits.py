"""Abuse limits (Flask-Limiter): how often a walker, an address or an account may do a thing.

Walkers are counted per participant (their token is checked against the database, so made-up
cookies do not buy fresh counters): twenty walkers behind one mobile-carrier address do not block
each other. Requests without a participant are counted per client address (behind a proxy, see
TRUSTED_PROXIES). Logins are counted three ways, failed attempts only: per address, per account and
address, and per account from everywhere. The per-account limit slows a targeted account down
without locking it: it answers 429 only to attempts inside its short window, so strangers who try
five wrong passwords from five addresses cannot stop the right password from a sixth, and the
account is free again within that window (README: "Abuse limits").

The numbers are settings (LIMIT_*); RATELIMIT_STORAGE_URI (memory:// by default) shares the
counters between workers, e.g. redis://host:6379.
"""
from __future__ import annotations

import hashlib
import time

import sqlalchemy as sa
from flask import current_app, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_limiter import Limiter, RequestLimit
from flask_limiter.errors import RateLimitExceeded
from flask_limiter.util import get_remote_address

from .auth.forms import LoginForm
from .extensions import db
from .models import ApiKey, Participant, hash_token
from .open311.routes import bp as open311_bp
from .open311.routes import error_response as open311_error

PARTICIPANT_COOKIE_PREFIX = "tvp_"

limiter = Limiter(key_func=get_remote_address)


def client_address() -> str:
    return "address:" + get_remote_address()


def participant_or_address() -> str:
    """The walker's participant id when one of their cookies holds a real token, else the address."""
    hashes = {}
    for name, token in request.cookies.items():
        walk_id = name[len(PARTICIPANT_COOKIE_PREFIX):]
        if name.startswith(PARTICIPANT_COOKIE_PREFIX) and walk_id.isdigit() and 0 < len(token) <= 200:
            hashes[hash_token(token)] = int(walk_id)
    if hashes:
        found = db.session.execute(sa.select(Participant.id, Participant.walk_id, Participant.token_hash)
                                   .where(Participant.token_hash.in_(hashes))).all()
        for participant_id, walk_id, token_hash in sorted(found):
            if hashes[token_hash] == walk_id:
                return f"participant:{participant_id}"
    return client_address()


def api_key_or_address() -> str:
    """An Open311 client's key when it is a real one, else the address."""
    key = request.values.get("api_key")
    if key and len(key) <= 200:
        key_id = db.session.scalar(sa.select(ApiKey.id).where(ApiKey.key_hash == hash_token(key),
                                                              ApiKey.revoked_at.is_(None)))
        if key_id is not None:
            return f"api_key:{key_id}"
    return client_address()


def account() -> str:
    """The login's account, by a digest of the e-mail typed (unknown e-mails are counted alike)."""
    email = (request.form.get("email") or "").strip().lower()
    return "account:" + hashlib.sha256(email.encode()).hexdigest()[:32]


def account_and_address() -> str:
    return account() + "|" + client_address()


def _setting(name: str):
    return lambda: current_app.config[name]


def per_participant(setting: str, methods: list[str] | None = None):
    """A decorator: at most config[setting] (e.g. "60 per minute") per walker, or per address."""
    return limiter.limit(_setting(setting), key_func=participant_or_address, methods=methods)


def _failed_login(response) -> bool:
    return response.status_code not in (302, 303, 429)


def _minutes_left(request_limit: RequestLimit) -> int:
    return max(1, round((request_limit.reset_at - time.time()) / 60))


def _login_refused(request_limit: RequestLimit):
    form = LoginForm()
    form.validate()
    message = ngettext("Too many failed attempts. Try again in %(num)d minute.",
                       "Too many failed attempts. Try again in %(num)d minutes.", _minutes_left(request_limit))
    return current_app.make_response(render_template("auth/login.html", form=form, status_message=message))


def login_limits(view):
    """Failed logins per address, per account and address, and per account (README: "Abuse limits")."""
    for setting, key_func in (("LIMIT_LOGIN_ADDRESS", client_address),
                              ("LIMIT_LOGIN_ACCOUNT_ADDRESS", account_and_address),
                              ("LIMIT_LOGIN_ACCOUNT", account)):
        view = limiter.limit(_setting(setting), key_func=key_func, methods=["POST"], deduct_when=_failed_login,
                             on_breach=_login_refused)(view)
    return view


def _too_many(error: RateLimitExceeded):
    db.session.rollback()
    message = _("Too many attempts. Wait a while and try again.")
    if request.path.startswith("/open311/"):
        return open311_error(429, message, "xml" if request.path.endswith(".xml") else "json")
    if error.response is not None:
        return error.response, 429
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        return jsonify(error=message), 429
    return render_template("error.html", code=429, message=message), 429


limiter.limit(_setting("LIMIT_OPEN311"), key_func=api_key_or_address)(open311_bp)


def init_app(app) -> None:
    limiter.init_app(app)
    app.register_error_handler(RateLimitExceeded, _too_many)
