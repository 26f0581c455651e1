"""Small helpers shared by the blueprints: errors a person understands, the one commit of a request."""
from __future__ import annotations

from functools import wraps
from typing import Any, Callable

from flask import abort, flash
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.exceptions import default_exceptions

from .extensions import db


class DomainError(ValueError):
    """A rule said no: a message a person understands, the form field it concerns, an HTTP status.

    Services raise it (or a subclass); `save()` puts it on the form field, and the app's error handler
    answers it as JSON for the API or as a page, after rolling the session back.
    """

    status = 400

    def __init__(self, message, field: str | None = None, status: int | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field
        if status is not None:
            self.status = status

    def as_json(self) -> dict:
        body = {"error": str(self.message)}
        if self.field:
            body["field"] = self.field
        return body


class ButtonForm(FlaskForm):
    """The empty form behind every POST-only button (delete, close, resolve): a CSRF token, nothing else."""


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


def attach_error(form: FlaskForm, error: DomainError, fallback: str | None = None,
                 aliases: dict[str, str] | None = None) -> None:
    """Put the error's message next to the field it concerns (or `fallback`, or flash it)."""
    name = (aliases or {}).get(error.field, error.field) if error.field else None
    target = getattr(form, name, None) if name else None
    if target is None and fallback:
        target = getattr(form, fallback, None)
    if target is None:
        flash(str(error.message), "error")
        form.form_errors.append(str(error.message))
        return
    target.errors = list(target.errors) + [str(error.message)]


class Saved:
    """What `save()` did: `ok`, and the service's return value."""

    def __init__(self, ok: bool, value: Any = None):
        self.ok, self.value = ok, value

    def __bool__(self) -> bool:
        return self.ok


def save(call: Callable[[], Any], form: FlaskForm | None = None, fallback: str | None = None,
         aliases: dict[str, str] | None = None) -> Saved:
    """The one commit of a request: run the service call and commit.

    On a DomainError the session rolls back and the message goes onto the form's field (or, with no
    form, to the app's error handler, which answers it). Any other exception rolls back and rises.
    """
    try:
        value = call()
    except DomainError as error:
        db.session.rollback()
        if form is None:
            raise
        attach_error(form, error, fallback, aliases)
        return Saved(False)
    except BaseException:
        db.session.rollback()
        raise
    try:
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return Saved(True, value)


def editor_required(view):
    """Logged in as an admin or coordinator (viewers may look, not change)."""
    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.can_edit():
            abort(403)
        return view(*args, **kwargs)
    return wrapped
