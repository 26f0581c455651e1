"""Small helpers shared by the blueprints."""
from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required
from werkzeug.exceptions import default_exceptions

from .extensions import db


def fail(code: int, message) -> None:
    """Abort with a message a person understands (shown as is, in HTML or JSON)."""
    error = default_exceptions[code](description=str(message))
    error.custom_message = True
    raise error


def get_or_fail(model, ident, message):
    """The row with this primary key, or a 404 with a message a person understands."""
    obj = db.session.get(model, ident)
    if obj is None:
        fail(404, message)
    return obj


def editor_required(view):
    """Logged in as an admin or coordinator (viewers may look, not change)."""
    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.can_edit():
            abort(403)
        return view(*args, **kwargs)
    return wrapped


def admin_required(view):
    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if current_user.role != "admin":
            abort(403)
        return view(*args, **kwargs)
    return wrapped
