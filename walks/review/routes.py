"""Coordinator review pages. Looking needs a login; changing needs an editor (admin or coordinator)."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from .. import access
from ..capture import metoo
from ..capture.forms import FINER_LABELS, ROLE_LABELS, SAFETY_LABELS
from ..categories.service import THEME_NAMES, active_categories, theme_name
from ..extensions import db
from ..geo import to_sweref99tm
from ..models import FINER_RATINGS, OBSERVATION_STATUSES, Category, Observation, Walk
from ..web import ButtonForm, editor_required, fail, save
from . import service
from .forms import EditForm, HideForm, MergeForm

bp = Blueprint("review", __name__)

def _status_label(status: str) -> str:
    return {"new": _("New"), "reported": _("Reported"), "in_action": _("In the action plan"),
            "resolved": _("Resolved"), "dismissed": _("Dismissed"),
            "partly_fixed": _("Partly fixed"), "closed_not_fixed": _("Closed, not fixed")}.get(status, status)


def _user():
    return current_user._get_current_object()


def _walk(walk_id: int) -> Walk:
    return access.get_visible(_user(), Walk, walk_id, message=_("That walk was not found."))


def _observation(observation_id: int, write: bool = False) -> Observation:
    return access.get_visible(_user(), Observation, observation_id, write=write,
                              message=_("That observation was not found."))


def _category_choices():
    locale = str(get_locale())
    return [SelectChoice(c.code, f"{c.icon} {c.name(locale)}") for c in active_categories()]


@bp.app_context_processor
def review_helpers():
    return {"status_label": _status_label}


@bp.get("/walks/<int:walk_id>/observations")
@login_required
def walk(walk_id: int):
    walk = _walk(walk_id)
    filters = service.Filters.from_args(request.args)
    observations = service.walk_observations(walk, filters)
    locale = str(get_locale())
    categories = db.session.scalars(db.select(Category).order_by(Category.sort_order)).all()
    return render_template(
        "review/walk.html", walk=walk, observations=observations, filters=filters, categories=categories,
        themes=[(t, theme_name(t, locale)) for t in THEME_NAMES], roles=ROLE_LABELS,
        safety_labels=SAFETY_LABELS, statuses=OBSERVATION_STATUSES, editable=access.can_edit(_user(), walk),
        metoo=metoo.counts(o.id for o in observations))


@bp.get("/observations/<int:observation_id>")
@login_required
def observation(observation_id: int):
    observation = _observation(observation_id)
    return _render_detail(observation)


def _render_detail(observation: Observation, edit_form=None, hide_form=None, merge_form=None, status=200):
    edit_form = edit_form or EditForm(data={"category": observation.category.code, "text": observation.text,
                                            "lat": observation.lat, "lon": observation.lon})
    edit_form.category.choices = _category_choices()
    merge_form = merge_form or MergeForm()
    locale = str(get_locale())
    candidates = service.merge_candidates(observation)
    merge_form.other.choices = [SelectChoice(o.id, str(o.id)) for o, _metres in candidates]
    northing, easting = to_sweref99tm(observation.lat, observation.lon)
    merged_from = db.session.scalars(db.select(Observation).where(
        Observation.merged_into_id == observation.id)).all()
    return render_template(
        "review/observation.html", observation=observation, edit_form=edit_form,
        hide_form=hide_form or HideForm(), merge_form=merge_form, button_form=ButtonForm(),
        safety_labels=SAFETY_LABELS, roles=ROLE_LABELS, sweref=(round(northing), round(easting)),
        finer=[(FINER_LABELS[name], getattr(observation, f"rating_{name}")) for name in FINER_RATINGS],
        merged_from=merged_from, theme=theme_name(observation.category.theme, locale), candidates=candidates,
        editable=access.can_edit(_user(), observation)), status


@bp.post("/observations/<int:observation_id>/edit")
@editor_required
def edit(observation_id: int):
    observation = _observation(observation_id, write=True)
    form = EditForm()
    form.category.choices = _category_choices()
    if form.validate_on_submit():
        saved = save(lambda: service.edit_observation(
            observation, _user(), category_code=form.category.data, text=form.text.data, lat=form.lat.data,
            lon=form.lon.data), form, "text")
        if saved:
            flash(_("The observation was updated.") if saved.value else _("Nothing was changed."), "success")
            return redirect(url_for("review.observation", observation_id=observation.id))
    return _render_detail(observation, edit_form=form, status=400)


@bp.post("/observations/<int:observation_id>/hide")
@editor_required
def hide(observation_id: int):
    observation = _observation(observation_id, write=True)
    form = HideForm()
    if form.validate_on_submit() and save(lambda: service.hide(observation, _user(), form.reason.data or ""),
                                          form, "reason"):
        flash(_("The observation is hidden. It is kept and can be shown again."), "success")
        return redirect(url_for("review.observation", observation_id=observation.id))
    return _render_detail(observation, hide_form=form, status=400)


@bp.post("/observations/<int:observation_id>/unhide")
@editor_required
def unhide(observation_id: int):
    observation = _observation(observation_id, write=True)
    if not ButtonForm().validate_on_submit():
        fail(400, _("The form has expired or was not sent from this site. Reload the page and try again."))
    save(lambda: service.unhide(observation, _user()))
    flash(_("The observation is shown again."), "success")
    return redirect(url_for("review.observation", observation_id=observation.id))


@bp.post("/observations/<int:observation_id>/merge")
@editor_required
def merge(observation_id: int):
    survivor = _observation(observation_id, write=True)
    form = MergeForm()
    form.other.choices = [SelectChoice(o.id, str(o.id)) for o, _metres in service.merge_candidates(survivor)]
    if form.validate_on_submit():
        duplicate = _observation(form.other.data, write=True)
        if save(lambda: service.merge(survivor, duplicate, _user(), current_app.config["UPLOAD_DIR"]),
                form, "other"):
            flash(_("Observation #%(id)s was merged into this one.", id=duplicate.id), "success")
            return redirect(url_for("review.observation", observation_id=survivor.id))
    return _render_detail(survivor, merge_form=form, status=400)
