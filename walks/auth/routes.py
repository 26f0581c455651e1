"""Log in and out."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm

from ..extensions import db
from ..i18n import safe_next
from . import service
from .forms import LoginForm

bp = Blueprint("auth", __name__)


def _throttles():
    return current_app.extensions["login_throttle"]


def _next_target() -> str:
    return safe_next(request.args.get("next"), url_for("areas.index"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated and request.method == "GET":
        return redirect(_next_target())
    form = LoginForm()
    ip_key = "ip:" + (request.remote_addr or "unknown")
    by_address, by_email = _throttles()
    if request.method == "POST" and by_address.blocked(ip_key):
        minutes = max(1, (by_address.retry_after(ip_key) + 59) // 60)
        form.validate()
        return render_template("auth/login.html", form=form, status_message=_(
            "Too many failed logins from your network. Try again in %(minutes)s minutes.", minutes=minutes)), 429
    if form.validate_on_submit():
        try:
            user = service.authenticate(
                form.email.data, form.password.data,
                max_failures=current_app.config["LOGIN_MAX_FAILURES"],
                lock_seconds=current_app.config["LOGIN_LOCK_SECONDS"], unknown_throttle=by_email)
        except service.LoginRefused as refused:
            by_address.record(ip_key)
            db.session.commit()  # keep the failure count
            return render_template("auth/login.html", form=form, status_message=str(refused.message)), \
                429 if refused.locked else 200
        db.session.commit()
        login_user(user)
        return redirect(_next_target())
    return render_template("auth/login.html", form=form, status_message=None)


@bp.post("/logout")
def logout():
    form = FlaskForm()
    if form.validate_on_submit():
        logout_user()
        flash(_("You are logged out."), "success")
    return redirect(url_for("index"))
