"""Log in and out."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from ..extensions import db
from ..i18n import safe_next
from ..limits import login_limits
from ..web import ButtonForm
from . import service, sessions
from .forms import LoginForm

bp = Blueprint("auth", __name__)


def _next_target() -> str:
    return safe_next(request.args.get("next"), url_for("areas.index"))


@bp.route("/login", methods=["GET", "POST"])
@login_limits
def login():
    if current_user.is_authenticated and request.method == "GET":
        return redirect(_next_target())
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = service.authenticate(form.email.data, form.password.data)
        except service.LoginRefused as refused:
            db.session.commit()  # keep the failure count
            return render_template("auth/login.html", form=form, status_message=str(refused.message))
        db.session.commit()
        login_user(user)
        sessions.start(user)
        return redirect(_next_target())
    return render_template("auth/login.html", form=form, status_message=None)


@bp.post("/logout")
def logout():
    form = ButtonForm()
    if form.validate_on_submit():
        if current_user.is_authenticated:
            sessions.end_all(current_user)
            db.session.commit()
        logout_user()
        flash(_("You are logged out."), "success")
    return redirect(url_for("index"))
