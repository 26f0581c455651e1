"""The action plan, its spreadsheets and the follow-up meeting: thin views over the services."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import SelectChoice

from ..extensions import db
from ..models import ACTION_HORIZONS, ACTION_STATUSES, ActionItem, Area, Meeting, Observation, Organization
from ..web import editor_required, fail, get_or_fail
from ..safe_text import content_disposition
from . import service, spreadsheet
from .forms import ActionForm, ButtonForm, CommentForm, ImportForm, MeetingForm, StatusForm

bp = Blueprint("actions", __name__)

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def today() -> dt.date:
    """The date where the collaboration is (the app's time zone), not the server's."""
    return dt.datetime.now(ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "UTC"))).date()


def _area(area_id: int) -> Area:
    return get_or_fail(Area, area_id, _("That area does not exist."))


def _action(action_id: int) -> ActionItem:
    return get_or_fail(ActionItem, action_id, _("That action does not exist."))


FIELD_LABELS = {
    "title": _l("What is to be done"), "description": _l("Description"), "organization": _l("Responsible actor"),
    "contact": _l("Contact person"), "mandate": _l("Mandate"), "resources": _l("Resources"),
    "start_date": _l("Start"), "due_date": _l("Finished by"), "goal": _l("What should be achieved"),
    "indicators": _l("Indicators"), "outcome": _l("What we have achieved"), "horizon": _l("Time horizon"),
    "priority": _l("Priority"), "status": _l("Status"),
}


def _resolved(labels: dict) -> dict:
    """Translate once per request, not once per row."""
    return {key: str(label) for key, label in labels.items()}


def _labels() -> dict:
    horizons, priorities = _resolved(service.HORIZON_LABELS), _resolved(service.PRIORITY_LABELS)
    return {"status_labels": _resolved(service.STATUS_LABELS), "horizon_labels": horizons,
            "priority_labels": priorities, "field_labels": _resolved(FIELD_LABELS),
            "value_labels": {"horizon": horizons, "priority": priorities},
            "observation_status_labels": _resolved(service.OBSERVATION_STATUS_LABELS),
            "is_overdue": service.is_overdue, "today": today()}


def _apply_errors(form, error: service.ActionError) -> None:
    for name, message in error.errors.items():
        field = getattr(form, name, None)
        if field is not None and name != "observation_ids":
            field.errors = list(field.errors) + [str(message)]
        else:
            flash(str(message), "error")


def _organization_choices(area: Area):
    """Actors of the area first, then the others; contacts grouped by actor."""
    orgs = list(db.session.scalars(sa.select(Organization).order_by(Organization.name)))
    in_area = {o.id for o in area.organizations}
    orgs.sort(key=lambda o: (o.id not in in_area, o.name.lower()))
    org_choices = [SelectChoice(0, _("– not decided –"))] + [SelectChoice(o.id, o.name) for o in orgs]
    contact_choices = [SelectChoice(0, _("– none –"))]
    for org in orgs:
        contact_choices += [SelectChoice(c.id, c.name + (f" ({c.role})" if c.role else ""), optgroup=org.name)
                            for c in org.contacts]
    return org_choices, contact_choices


def _prepare_form(form: ActionForm, area: Area, action: ActionItem | None) -> None:
    form.organization_id.choices, form.contact_id.choices = _organization_choices(area)
    if action is not None:
        form.status.choices = [SelectChoice(s, service.STATUS_LABELS[s])
                               for s in (action.status,) + service.allowed_next(action.status)]
    if request.method == "GET" and action is not None:
        form.organization_id.data = action.organization_id or 0
        form.contact_id.data = action.contact_id or 0


def _form_values(form: ActionForm) -> dict:
    values = {name: form[name].data for name in service.TEXT_FIELDS}
    values.update(organization_id=form.organization_id.data or None, contact_id=form.contact_id.data or None,
                  start_date=form.start_date.data, due_date=form.due_date.data, horizon=form.horizon.data,
                  priority=form.priority.data, status=form.status.data)
    return values


def _observation_ids() -> list[str]:
    ids = []
    for value in request.form.getlist("observation_ids"):
        ids.extend(part.strip() for part in value.split(",") if part.strip())
    return ids


# --- The plan ------------------------------------------------------------------------------------

@bp.get("/actions", defaults={"area_id": None})
@bp.get("/areas/<int:area_id>/actions")
@login_required
def index(area_id: int | None):
    if area_id is None:
        areas = list(db.session.scalars(sa.select(Area).order_by(Area.name)))
        return render_template("actions/areas.html", areas=areas,
                               counts={a.id: service.status_counts(a, today()) for a in areas}, **_labels())
    area = _area(area_id)
    status = request.args.get("status", "")
    status = status if status in ACTION_STATUSES else ""
    horizon = request.args.get("horizon", "")
    horizon = horizon if horizon in ACTION_HORIZONS else ""
    actor = request.args.get("actor", "")
    organization_id = 0 if actor == "none" else (int(actor) if actor.isdigit() else None)
    overdue_only = request.args.get("overdue") == "1"
    actions = service.plan(area, status, organization_id, horizon, overdue_only, today())
    used = sa.select(ActionItem.organization_id).where(ActionItem.area_id == area.id)
    used_orgs = db.session.scalars(sa.select(Organization).where(Organization.id.in_(used))
                                   .order_by(Organization.name))
    return render_template("actions/plan.html", area=area, actions=actions, status=status, horizon=horizon,
                           actor=actor, overdue_only=overdue_only, actors=list(used_orgs),
                           counts=service.status_counts(area, today()), **_labels())


def _render_form(area, form, action=None, observations=(), status=200):
    return render_template("actions/form.html", area=area, form=form, action=action,
                           observations=observations, **_labels()), status


@bp.route("/areas/<int:area_id>/actions/new", methods=["GET", "POST"])
@editor_required
def create(area_id: int):
    area = _area(area_id)
    form = ActionForm()
    _prepare_form(form, area, None)
    try:
        observations = service.area_observations(area, _observation_ids())
    except service.ActionError as error:
        fail(400, error.errors["observation_ids"])
    if form.validate_on_submit():
        try:
            action = service.create_action(area, {**_form_values(form), "comment": form.comment.data},
                                           current_user, observations)
        except service.ActionError as error:
            _apply_errors(form, error)
        else:
            db.session.commit()
            flash(_("The action was added to the plan."), "success")
            return redirect(url_for(".detail", action_id=action.id))
    return _render_form(area, form, None, observations, 400 if form.is_submitted() else 200)


@bp.post("/areas/<int:area_id>/actions/from-observations")
@editor_required
def from_observations(area_id: int):
    """The new-action form, filled in from the chosen observations (nothing is stored yet)."""
    area = _area(area_id)
    ids = _observation_ids()
    if not ids:
        fail(400, _("Choose at least one observation."))
    try:
        observations = service.area_observations(area, ids)
    except service.ActionError as error:
        fail(400, error.errors["observation_ids"])
    form = ActionForm(formdata=None)
    _prepare_form(form, area, None)
    form.title.data = service.suggested_title(observations, str(get_locale()))
    form.description.data = "\n".join(f"- {o.text}" for o in observations if o.text)
    return _render_form(area, form, None, observations)


@bp.get("/actions/<int:action_id>")
@login_required
def detail(action_id: int):
    action = _action(action_id)
    status_form = StatusForm()
    allowed = service.allowed_next(action.status)
    status_form.status.choices = [SelectChoice(s, service.STATUS_LABELS[s]) for s in allowed]
    return render_template("actions/detail.html", action=action, area=action.area, status_form=status_form,
                           allowed=allowed,
                           comment_form=CommentForm(), button_form=ButtonForm(),
                           meetings=service.meetings_for(action), **_labels())


@bp.route("/actions/<int:action_id>/edit", methods=["GET", "POST"])
@editor_required
def edit(action_id: int):
    action = _action(action_id)
    form = ActionForm(obj=action)
    _prepare_form(form, action.area, action)
    if form.validate_on_submit():
        try:
            service.update_action(action, _form_values(form), current_user, form.comment.data,
                                  resolve_observations=form.resolve_observations.data)
        except service.ActionError as error:
            _apply_errors(form, error)
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for(".detail", action_id=action.id))
    return _render_form(action.area, form, action, action.observations, 400 if form.is_submitted() else 200)


@bp.post("/actions/<int:action_id>/status")
@editor_required
def change_status(action_id: int):
    action = _action(action_id)
    form = StatusForm()
    form.status.choices = [SelectChoice(s, service.STATUS_LABELS[s]) for s in ACTION_STATUSES]
    if not form.validate_on_submit():
        fail(400, _("Choose a status."))
    try:
        service.transition(action, form.status.data, current_user, form.comment.data,
                           resolve_observations=form.resolve_observations.data)
    except service.ActionError as error:
        fail(409, error.errors["status"])
    db.session.commit()
    flash(_("The action is now %(status)s.", status=service.STATUS_LABELS[action.status]), "success")
    return redirect(url_for(".detail", action_id=action.id))


@bp.post("/actions/<int:action_id>/comment")
@editor_required
def comment(action_id: int):
    action = _action(action_id)
    form = CommentForm()
    if not form.validate_on_submit():
        fail(400, _("Write a comment."))
    service.update_action(action, {}, current_user, form.comment.data)
    db.session.commit()
    return redirect(url_for(".detail", action_id=action.id) + "#log")


@bp.post("/actions/<int:action_id>/observations/<int:observation_id>/unlink")
@editor_required
def unlink(action_id: int, observation_id: int):
    action = _action(action_id)
    observation = db.session.get(Observation, observation_id)
    if observation is None or observation not in action.observations:
        fail(404, _("That observation is not linked to this action."))
    service.unlink_observation(action, observation, current_user)
    db.session.commit()
    return redirect(url_for(".detail", action_id=action.id))


# --- Spreadsheets --------------------------------------------------------------------------------

def _download(body, mimetype: str, filename: str) -> Response:
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": content_disposition(filename)})


@bp.get("/areas/<int:area_id>/actions.xlsx")
@login_required
def export_xlsx(area_id: int):
    area = _area(area_id)
    return _download(spreadsheet.export_xlsx(area), XLSX_MIME, f"atgardsplan-omrade-{area.id}.xlsx")


@bp.get("/areas/<int:area_id>/actions.csv")
@login_required
def export_csv(area_id: int):
    area = _area(area_id)
    return _download("\ufeff" + spreadsheet.export_csv(area), "text/csv; charset=utf-8",
                     f"atgardsplan-omrade-{area.id}.csv")


@bp.route("/areas/<int:area_id>/actions/import", methods=["GET", "POST"])
@editor_required
def import_plan(area_id: int):
    area = _area(area_id)
    form = ImportForm()
    result, file_error = None, None
    if form.validate_on_submit():
        try:
            result = spreadsheet.import_xlsx(area, form.file.data.stream, current_user)
        except spreadsheet.ImportFileError as error:
            file_error = str(error)
        else:
            if result.ok:
                db.session.commit()
                flash(_("Imported: %(created)d new, %(updated)d updated, %(unchanged)d unchanged.",
                        created=len(result.created), updated=len(result.updated), unchanged=result.unchanged),
                      "success")
                return redirect(url_for(".index", area_id=area.id))
            db.session.rollback()
    status = 400 if form.is_submitted() else 200
    return render_template("actions/import.html", area=area, form=form, result=result,
                           file_error=file_error, columns=spreadsheet.COLUMNS), status


# --- Follow-up meetings --------------------------------------------------------------------------

def _render_meeting(area: Area, form: MeetingForm, status: int = 200, chosen=None):
    overview = service.meeting_overview(area, today())
    if chosen is None:  # by default the notes concern what is due
        chosen = [a.id for _, actions in overview["groups"] for a in actions]
    open_actions = [a for a in service.plan(area) if a.status in service.OPEN_STATUSES]
    return render_template("actions/meeting.html", area=area, form=form, overview=overview,
                           open_actions=open_actions, chosen={int(i) for i in chosen if str(i).isdigit()},
                           meetings=service.past_meetings(area), **_labels()), status


@bp.get("/areas/<int:area_id>/meeting")
@login_required
def meeting(area_id: int):
    return _render_meeting(_area(area_id), MeetingForm(formdata=None, held_on=today()))


@bp.post("/areas/<int:area_id>/meetings")
@editor_required
def record_meeting(area_id: int):
    area = _area(area_id)
    form = MeetingForm()
    chosen = request.form.getlist("action_ids")
    if form.validate_on_submit():
        try:
            actions = service.area_actions(area, chosen)
            record = service.record_meeting(area, form.data, current_user, actions)
        except service.ActionError as error:
            _apply_errors(form, error)
        else:
            db.session.commit()
            flash(_("The meeting was recorded."), "success")
            return redirect(url_for(".meeting_detail", meeting_id=record.id))
    return _render_meeting(area, form, 400, chosen)


@bp.get("/areas/<int:area_id>/meeting/agenda")
@login_required
def agenda(area_id: int):
    area = _area(area_id)
    return render_template("actions/agenda.html", area=area, overview=service.meeting_overview(area, today()),
                           counts=service.status_counts(area, today()), **_labels())


@bp.get("/meetings/<int:meeting_id>")
@login_required
def meeting_detail(meeting_id: int):
    record = db.session.get(Meeting, meeting_id)
    if record is None:
        fail(404, _("That meeting does not exist."))
    return render_template("actions/meeting_detail.html", meeting=record, area=record.area, **_labels())
