"""The users page for admins: invite, set role and areas, deactivate, reset a password (/admin/users).

Everyone else gets 404, as if the page did not exist. The create-user command stays for the first admin.
"""
from __future__ import annotations

import datetime as dt
from email.message import EmailMessage

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from ..access import admin_only
from ..extensions import db
from ..models import Area, User
from ..reports.delivery import DeliveryError, smtp_send
from ..safe_text import mail_header
from ..web import ButtonForm, get_or_fail, save
from . import service
from .forms import InviteForm, SetPasswordForm, UserForm

bp = Blueprint("users", __name__)


def _area_choices() -> list[SelectChoice]:
    return [SelectChoice(a.id, a.name) for a in db.session.scalars(sa.select(Area).order_by(Area.name))]


def _user_or_404(user_id: int) -> User:
    return get_or_fail(User, user_id, _("There is no such user."))


def _link_lifetime() -> dt.timedelta:
    return dt.timedelta(days=current_app.config["PASSWORD_LINK_DAYS"])


def _password_link(token: str) -> str:
    base = current_app.config.get("PUBLIC_BASE_URL") or request.host_url
    return base.rstrip("/") + url_for("users.set_password", token=token)


def _mail_link(user: User, link: str, invited: bool) -> str | None:
    """E-mail the link when mail is configured; the reason it could not be sent, or None."""
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        return _("No mail server is configured: give the link to the person yourself.")
    message = EmailMessage()
    message["From"] = config["MAIL_SENDER"]
    message["To"] = user.email
    message["Subject"] = mail_header(_("Your account on Tryggvandring") if invited
                                     else _("A new password for Tryggvandring"))
    message.set_content("\n\n".join([
        _("Open this link to choose your password:") if invited else _("Open this link to choose a new password:"),
        link,
        _("The link works once and for %(days)s days.", days=config["PASSWORD_LINK_DAYS"]),
    ]) + "\n")
    try:
        smtp_send(message)
    except DeliveryError as error:
        return str(error)
    return None


def _show_link(user: User, token: str, invited: bool):
    link = _password_link(token)
    mail_error = _mail_link(user, link, invited)
    response = current_app.make_response(render_template(
        "auth/password_link.html", user=user, link=link, invited=invited, mail_error=mail_error,
        days=current_app.config["PASSWORD_LINK_DAYS"]))
    response.headers["Cache-Control"] = "no-store"  # the link is a secret: keep it out of caches
    return response


@bp.route("/admin/users", methods=["GET", "POST"])
@admin_only
def index():
    form = InviteForm()
    form.area_ids.choices = _area_choices()
    if form.validate_on_submit():
        saved = save(lambda: service.invite_user(current_user, form.email.data, form.role.data, form.name.data,
                                                 form.area_ids.data, _link_lifetime()), form, "email")
        if saved:
            user, token = saved.value
            return _show_link(user, token, invited=True)
    status = 400 if request.method == "POST" else 200
    return render_template("auth/users.html", users=service.list_users(), form=form,
                           roles=service.ROLE_LABELS, now=service.utcnow()), status


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@admin_only
def edit(user_id: int):
    user = _user_or_404(user_id)
    form = UserForm(obj=user) if request.method == "GET" else UserForm()
    form.area_ids.choices = _area_choices()
    if request.method == "GET":
        form.area_ids.data = [a.id for a in user.areas]
    if form.validate_on_submit() and save(
            lambda: service.update_user(current_user, user, form.role.data, form.name.data, form.area_ids.data),
            form, "role"):
        flash(_("Saved."), "success")
        return redirect(url_for("users.index"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/user_edit.html", user=user, form=form, action_form=ButtonForm()), status


def _state_change(user_id: int, change, done_message):
    user = _user_or_404(user_id)
    form = ButtonForm()
    if not form.validate_on_submit():
        abort(400)
    if save(lambda: change(current_user, user), form):  # a refusal is flashed by save()
        flash(done_message, "success")
    return redirect(url_for("users.edit", user_id=user.id))


@bp.post("/admin/users/<int:user_id>/deactivate")
@admin_only
def deactivate(user_id: int):
    return _state_change(user_id, service.deactivate_user,
                         _("Deactivated: the user cannot log in, and their sessions have ended."))


@bp.post("/admin/users/<int:user_id>/activate")
@admin_only
def activate(user_id: int):
    return _state_change(user_id, service.activate_user, _("Active again. Send a password link if needed."))


@bp.post("/admin/users/<int:user_id>/password-link")
@admin_only
def password_link(user_id: int):
    user = _user_or_404(user_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    if not user.active:
        flash(_("Activate the user first."), "error")
        return redirect(url_for("users.edit", user_id=user.id))
    token = save(lambda: service.issue_password_link(user, _link_lifetime())).value
    return _show_link(user, token, invited=False)


@bp.route("/password/<token>", methods=["GET", "POST"])
def set_password(token: str):
    user = service.user_for_password_token(token)
    if user is None:
        return render_template("error.html", code=404, message=_(
            "This link does not work any more: it has been used or has expired. Ask an administrator for a new one.")), 404
    form = SetPasswordForm()
    if form.validate_on_submit() and save(lambda: service.set_password(user, form.password.data), form, "password"):
        flash(_("Your password is set. Log in with it."), "success")
        return redirect(url_for("auth.login"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/set_password.html", user=user, form=form,
                           min_length=service.MIN_PASSWORD_LENGTH), status
