"""Login sessions: a per-user version that ends every session at once, idle expiry, secure cookies.

Flask keeps the session in a signed cookie, so a copied cookie stays valid until the server refuses
it: the session holds the user's `session_version` from the moment of login, and the user loader
refuses a session whose version is no longer the user's (raised on logout, deactivation and a
password change) or that has been idle longer than SESSION_IDLE_SECONDS.
"""
from __future__ import annotations

import time

from flask import current_app, has_request_context, request, session
from flask.sessions import SecureCookieSessionInterface

from ..extensions import db
from ..models import User

VERSION_KEY = "session_version"
SEEN_KEY = "seen"
SEEN_REFRESH_SECONDS = 60  # rewrite the cookie at most once a minute, not on every request


class SessionInterface(SecureCookieSessionInterface):
    """The session cookie is Secure when the app is configured for https or the request came over it;
    immutable files go out without it."""

    def get_cookie_secure(self, app) -> bool:
        return bool(super().get_cookie_secure(app) or (has_request_context() and request.is_secure))

    def save_session(self, app, session, response) -> None:
        # A file cached as immutable does not depend on the session: no cookie, and no "Vary: Cookie"
        # (which would make the browser fetch the file again after logging in).
        if response.cache_control.immutable and not session.modified:
            return
        super().save_session(app, session, response)


def start(user: User) -> None:
    """Mark the session as belonging to this version of the user's login (call right after login_user)."""
    session[VERSION_KEY] = user.session_version
    session[SEEN_KEY] = int(time.time())


def end_all(user: User) -> None:
    """Every session of this user, on every device, ends with its next request. The caller commits."""
    user.session_version = (user.session_version or 1) + 1
    db.session.flush()


def load_user(user_id: str) -> User | None:
    """The logged-in user, or None (anonymous) when the session is stale, idle too long or inactive."""
    try:
        user = db.session.get(User, int(user_id))
    except (TypeError, ValueError):
        return None
    if user is None or not user.active or session.get(VERSION_KEY) != user.session_version:
        return None
    now = int(time.time())
    seen = session.get(SEEN_KEY)
    if not isinstance(seen, int) or now - seen > current_app.config["SESSION_IDLE_SECONDS"]:
        return None
    if now - seen >= SEEN_REFRESH_SECONDS:
        session[SEEN_KEY] = now
    return user


def init_app(app) -> None:
    public_url = app.config.get("PUBLIC_BASE_URL") or ""
    if public_url.lower().startswith("https://"):
        app.config["SESSION_COOKIE_SECURE"] = True
    app.session_interface = SessionInterface()
