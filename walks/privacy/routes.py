"""The privacy page, a walker's own data, erasure on request, and the admins' audit log. Thin routes."""
from __future__ import annotations

import sqlalchemy as sa
from flask import (Blueprint, Response, current_app, flash, redirect, render_template, request, url_for)
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from ..capture import service as capture
from ..capture.forms import ROLE_LABELS
from ..capture.routes import COOKIE_PREFIX
from ..extensions import db
from ..models import Area, Participant, User, Walk
from .. import access
from ..access import admin_only
from ..safe_text import content_disposition
from ..web import editor_required, fail, save
from . import service
from .forms import AuditFilterForm, EraseForm

bp = Blueprint("privacy", __name__)


@bp.get("/privacy")
def privacy():
    return render_template("privacy/privacy.html", contact=current_app.config.get("PRIVACY_CONTACT"),
                           photo_months=current_app.config["PHOTO_RETENTION_MONTHS"],
                           name_months=current_app.config["NAME_RETENTION_MONTHS"])


# ---- the walker's own data (recognised by the walk's cookie, as on the capture pages) -----------

def _walker(code: str) -> tuple[Walk, Participant]:
    walk = capture.find_walk(code)
    if walk is None:
        fail(404, _("There is no walk with that code."))
    participant = capture.participant_for_token(walk, request.cookies.get(f"{COOKIE_PREFIX}{walk.id}"))
    if participant is None:
        fail(403, _("This phone has not joined that walk, or its data has already been deleted."))
    return walk, participant


def _download(body, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = content_disposition(filename)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/j/<code>/my-data")
def my_data(code: str):
    walk, participant = _walker(code)
    return render_template("privacy/my_data.html", walk=walk, participant=participant,
                           data=service.participant_data(participant), form=EraseForm())


@bp.get("/j/<code>/my-data.<fmt>")
def my_data_download(code: str, fmt: str):
    walk, participant = _walker(code)
    return _export(participant, fmt, f"tryggvandring-{walk.join_code.lower()}")


def _export(participant: Participant, fmt: str, stem: str) -> Response:
    if fmt == "json":
        return _download(service.as_json(service.participant_data(participant)), "application/json",
                         f"{stem}.json")
    if fmt == "csv":
        return _download(service.as_csv(service.participant_data(participant)), "text/csv", f"{stem}.csv")
    if fmt == "zip":
        return _download(service.as_zip(participant, current_app.config["UPLOAD_DIR"]), "application/zip",
                         f"{stem}.zip")
    fail(404, _("Downloads are available as JSON, CSV or zip."))


@bp.post("/j/<code>/my-data/delete")
def my_data_delete(code: str):
    walk, participant = _walker(code)
    form = EraseForm()
    if not form.validate_on_submit():
        return render_template("privacy/my_data.html", walk=walk, participant=participant,
                               data=service.participant_data(participant), form=form), 400
    result = save(lambda: service.erase_participant(participant, current_app.config["UPLOAD_DIR"])).value
    flash(_("Your data was deleted: %(deleted)d observations. %(kept)d already passed on to those who fix "
            "faults are kept without your name.", deleted=result.deleted, kept=result.anonymised), "success")
    response = redirect(url_for("privacy.privacy"))
    response.delete_cookie(f"{COOKIE_PREFIX}{walk.id}", path="/")
    return response


# ---- coordinators: a participant's data on request ----------------------------------------------

def _coordinated_walk(walk_id: int) -> Walk:
    return access.get_visible(current_user, Walk, walk_id, write=True, message=_("That walk was not found."))


def _walk_participant(walk: Walk, participant_id: int) -> Participant:
    participant = db.session.get(Participant, participant_id)
    if participant is None or participant.walk_id != walk.id:
        fail(404, _("That participant was not found."))
    return participant


@bp.get("/walks/<int:walk_id>/participants")
@editor_required
def participants(walk_id: int):
    walk = _coordinated_walk(walk_id)
    rows = [(p, len(service.own_observations(p))) for p in
            db.session.scalars(sa.select(Participant).where(Participant.walk_id == walk.id).order_by(Participant.id))]
    return render_template("privacy/participants.html", walk=walk, rows=rows, form=EraseForm(),
                           roles=ROLE_LABELS)


@bp.get("/walks/<int:walk_id>/participants/<int:participant_id>/data.<fmt>")
@editor_required
def participant_download(walk_id: int, participant_id: int, fmt: str):
    walk = _coordinated_walk(walk_id)
    participant = _walk_participant(walk, participant_id)
    return _export(participant, fmt, f"tryggvandring-{walk.join_code.lower()}-{participant.id}")


@bp.post("/walks/<int:walk_id>/participants/<int:participant_id>/erase")
@editor_required
def participant_erase(walk_id: int, participant_id: int):
    walk = _coordinated_walk(walk_id)
    participant = _walk_participant(walk, participant_id)
    form = EraseForm()
    if not form.validate_on_submit():
        flash(_("Tick the box to confirm."), "error")
        return redirect(url_for("privacy.participants", walk_id=walk.id))
    result = save(lambda: service.erase_participant(participant, current_app.config["UPLOAD_DIR"],
                                                    current_user)).value
    flash(_("The participant's data was deleted: %(deleted)d observations; %(kept)d in sent reports or actions "
            "are kept without name.", deleted=result.deleted, kept=result.anonymised), "success")
    return redirect(url_for("privacy.participants", walk_id=walk.id))


# ---- the audit log -------------------------------------------------------------------------------

def _id_or_none(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 10 else None


@bp.get("/admin/audit")
@admin_only
def audit():
    form = AuditFilterForm(request.args)
    form.area.choices = [SelectChoice("", _("All areas"))] + [
        SelectChoice(str(a.id), a.name) for a in db.session.scalars(sa.select(Area).order_by(Area.name))]
    form.user.choices = [SelectChoice("", _("All users"))] + [
        SelectChoice(str(u.id), u.email) for u in db.session.scalars(sa.select(User).order_by(User.email))]
    form.kind.choices = [SelectChoice("", _("All kinds"))] + [SelectChoice(k, k) for k in service.audit_kinds()]
    if request.args and not form.validate():
        fail(400, _("The filter is not valid. Choose from the lists."))
    page = form.page.data or 1
    events = service.audit_events(area_id=_id_or_none(form.area.data), user_id=_id_or_none(form.user.data),
                                  kind=form.kind.data or None, page=page)
    return render_template("privacy/audit.html", form=form, events=events, page=page,
                           has_next=len(events) == service.AUDIT_PAGE)
