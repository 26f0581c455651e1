"""Fault-report pages: routing rules, drafts from a walk, the report page, outputs and sending."""
from __future__ import annotations

import json

import sqlalchemy as sa
from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError
from wtforms import SelectChoice

from .. import access
from .. import photos as photo_pipeline
from ..categories.service import active_categories
from ..extensions import db
from ..models import Area, FaultReport, FaultReportItem, Observation, Organization, Photo, RoutingRule, Walk
from ..safe_text import content_disposition
from ..web import ButtonForm, editor_required, fail, save
from . import delivery, outputs, service
from .forms import (ACTION_LABELS, CHANNEL_LABELS, REJECT_REASON_LABELS, STATUS_LABELS, AddressForm, CoverForm,
                    ExternalRefForm, MoveForm, PublishForm, RuleForm, SenderForm, StatusForm)

bp = Blueprint("reports", __name__)


def _locale() -> str:
    return str(get_locale() or "sv")


def _report(report_id: int, write: bool = False) -> FaultReport:
    return access.get_visible(current_user, FaultReport, report_id, write=write,
                              message=_("That fault report does not exist."))


def _area(area_id: int, write: bool = False) -> Area:
    return access.get_visible(current_user, Area, area_id, write=write, message=_("That area does not exist."))


def _rule(area: Area, rule_id: int) -> RoutingRule:
    rule = db.session.get(RoutingRule, rule_id)
    if rule is None or rule.area_id != area.id:
        fail(404, _("That routing rule does not exist."))
    return rule


def _item(report: FaultReport, item_id: int) -> FaultReportItem:
    item = db.session.get(FaultReportItem, item_id)
    if item is None or item.report_id != report.id:
        fail(404, _("That item is not in this report."))
    return item


def _check_csrf(form) -> None:
    if not form.validate_on_submit():
        errors = [str(e) for errors in form.errors.values() for e in errors]
        fail(400, "; ".join(errors) or _("The request could not be understood."))


@bp.context_processor
def labels():
    return {"status_labels": STATUS_LABELS, "reason_labels": REJECT_REASON_LABELS,
            "channel_labels": CHANNEL_LABELS}


# --- routing rules ----------------------------------------------------------------------------------

def _rule_form(area: Area, rule: RoutingRule | None = None) -> RuleForm:
    form = RuleForm(data={"category_id": str(rule.category_id), "organization_id": str(rule.organization_id),
                          "sub_area_name": rule.sub_area_name,
                          "sub_area": _json(rule.sub_area)} if rule and request.method == "GET" else None)
    form.category_id.choices = [SelectChoice("", "–")] + [SelectChoice(str(c.id), c.name(_locale()))
                                                         for c in active_categories() if service.is_fault_category(c)]
    form.organization_id.choices = [SelectChoice("", "–")] + [
        SelectChoice(str(o.id), f"{o.name} ({CHANNEL_LABELS.get(o.report_channel, o.report_channel)})")
        for o in db.session.scalars(sa.select(Organization).where(access.organization_filter(current_user))
                                    .order_by(Organization.name))]
    return form


def _json(value) -> str:
    return json.dumps(value) if value else ""


def _save_rule(area: Area, form: RuleForm, rule: RoutingRule | None):
    """Validate and save; on a refused input return the form page with the error next to its field."""
    if form.validate_on_submit() and save(lambda: service.save_rule(
            area, current_user, category_id=form.category_id.data, organization_id=form.organization_id.data,
            sub_area_raw=form.sub_area.data or "", sub_area_name=form.sub_area_name.data or "", rule=rule), form):
        flash(_("The routing rule was saved."), "success")
        return redirect(url_for("reports.rules", area_id=area.id), 303)
    return None


@bp.route("/areas/<int:area_id>/routing", methods=["GET", "POST"])
@login_required
def rules(area_id: int):
    area = _area(area_id, write=request.method == "POST")
    form = _rule_form(area)
    if request.method == "POST":
        done = _save_rule(area, form, None)
        if done:
            return done
    status = 400 if request.method == "POST" else 200
    return render_template("reports/rules.html", area=area, rules=service.rules_for_area(area), form=form,
                           button=ButtonForm(), locale=_locale(),
                           publish_form=PublishForm(data={"open311_public": area.open311_public})), status


@bp.post("/areas/<int:area_id>/routing/open311")
@editor_required
def publish(area_id: int):
    area = _area(area_id, write=True)
    form = PublishForm()
    _check_csrf(form)
    save(lambda: service.publish_on_open311(area, current_user, form.open311_public.data))
    flash(_("The area's fault items are now published on the Open311 API.") if area.open311_public
          else _("The area's fault items are not published on the Open311 API."), "success")
    return redirect(url_for("reports.rules", area_id=area.id), 303)


@bp.route("/areas/<int:area_id>/mail-sender", methods=["GET", "POST"])
@editor_required
def mail_sender(area_id: int):
    """Reply-To and signature of the area's fault report mails."""
    area = access.get_visible(current_user, Area, area_id, write=True)
    form = SenderForm(obj=area)
    if form.validate_on_submit():
        try:
            service.set_area_sender(area, current_user, reply_to=form.reply_to.data,
                                    reply_name=form.reply_name.data, reply_phone=form.reply_phone.data)
        except service.ReportError as error:
            db.session.rollback()
            getattr(form, error.field).errors = list(getattr(form, error.field).errors) + [str(error)]
        else:
            db.session.commit()
            flash(_("Fault report mails of %(name)s will be answered to this address.", name=area.name), "success")
            return redirect(url_for("reports.rules", area_id=area.id), 303)
    status = 400 if request.method == "POST" else 200
    return render_template("reports/sender.html", area=area, form=form,
                           fallback=delivery.sender_for(area) if not area.reply_to else None), status


@bp.route("/areas/<int:area_id>/routing/<int:rule_id>", methods=["GET", "POST"])
@editor_required
def edit_rule(area_id: int, rule_id: int):
    area = _area(area_id, write=True)
    rule = _rule(area, rule_id)
    form = _rule_form(area, rule)
    if request.method == "POST":
        done = _save_rule(area, form, rule)
        if done:
            return done
    status = 400 if request.method == "POST" else 200
    return render_template("reports/rule_form.html", area=area, rule=rule, form=form), status


@bp.post("/areas/<int:area_id>/routing/<int:rule_id>/delete")
@editor_required
def delete_rule(area_id: int, rule_id: int):
    rule = _rule(_area(area_id, write=True), rule_id)
    _check_csrf(ButtonForm())
    save(lambda: service.delete_rule(rule, current_user))
    flash(_("The routing rule was deleted."), "success")
    return redirect(url_for("reports.rules", area_id=area_id), 303)


# --- overview and drafts ----------------------------------------------------------------------------

@bp.get("/reports")
@login_required
def index():
    walk_id = request.args.get("walk", type=int)
    walk = access.get_visible(current_user, Walk, walk_id, message=_("That walk does not exist.")) \
        if walk_id else None
    unrouted = service.unrouted_faults(walk.observations) if walk else []
    walks = db.session.scalars(sa.select(Walk).where(access.area_filter(current_user, Walk.area_id))
                               .order_by(Walk.starts_at.desc()).limit(20)).all()
    return render_template("reports/index.html", open_reports=service.open_reports(current_user),
                           drafts=service.draft_reports(current_user, walk.id if walk else None), walk=walk,
                           unrouted=unrouted, closed=service.closed_reports(current_user),
                           days_open=service.days_open, walks=walks, areas=access.visible_areas(current_user),
                           locale=_locale(), button=ButtonForm())


@bp.post("/walks/<int:walk_id>/reports")
@editor_required
def new_from_walk(walk_id: int):
    walk = access.get_visible(current_user, Walk, walk_id, write=True, message=_("That walk does not exist."))
    _check_csrf(ButtonForm())

    def build():
        observations = db.session.scalars(sa.select(Observation).where(Observation.walk_id == walk.id)).all()
        return service.build_drafts(observations, current_user)

    for attempt in range(3):
        try:
            drafts, unrouted = save(build).value
            break
        except IntegrityError:  # another request took the same reference number at the same moment
            continue
    else:
        fail(409, _("Reports were being made at the same moment. Try again."))
    flash(ngettext("%(num)d draft report, one per recipient.", "%(num)d draft reports, one per recipient.",
                   len(drafts)), "success")
    if unrouted:
        flash(ngettext("%(num)d fault has no recipient: add a routing rule for it.",
                       "%(num)d faults have no recipient: add routing rules for them.", len(unrouted)), "warning")
    return redirect(url_for("reports.index", walk=walk.id), 303)


def _render_detail(report: FaultReport, status: int = 200, error: str | None = None, cover_form=None):
    locale = _locale()
    others = [d for d in service.draft_reports(current_user)
              if d.id != report.id and access.can_edit(current_user, d)] if report.status == "draft" else []
    move_form = MoveForm()
    move_form.target_id.choices = [SelectChoice(str(d.id), f"{d.reference} – {d.organization.name}")
                                   for d in others]
    status_form = StatusForm()
    next_statuses = [s for s in service.REPORT_TRANSITIONS.get(report.status, ()) if s != "sent"]
    return render_template(
        "reports/detail.html", report=report, views=outputs.item_views(report, locale), locale=locale,
        cover_form=cover_form or CoverForm(data={"cover_text": report.cover_text}), move_form=move_form,
        others=others, address_form=AddressForm(), status_form=status_form, next_statuses=next_statuses,
        item_next=lambda item: [s for s in service.ITEM_TRANSITIONS.get(item.status, ()) if s != "sent"],
        ref_form=ExternalRefForm(data={"external_ref": report.external_ref}), button=ButtonForm(),
        error=error, days_open=service.days_open(report),
        history=service.report_history(report), action_labels=ACTION_LABELS,
        problem=service.recipient_problem(report.organization)), status


@bp.get("/reports/<int:report_id>")
@login_required
def detail(report_id: int):
    return _render_detail(_report(report_id))


def _field_errors(form) -> str | None:
    """The messages save() put on the form's fields (one without a field is flashed already)."""
    return "; ".join(str(e) for name, errors in form.errors.items() if name for e in errors) or None


def _change(report: FaultReport, action, success: str, form):
    """Run a service change; a refused one re-renders the page with its message and a 400."""
    if not save(action, form):
        return _render_detail(db.session.get(FaultReport, report.id), 400, _field_errors(form))
    flash(success, "success")
    return redirect(url_for("reports.detail", report_id=report.id), 303)


@bp.post("/reports/<int:report_id>/cover")
@editor_required
def edit_cover(report_id: int):
    report = _report(report_id, write=True)
    form = CoverForm()
    if not form.validate_on_submit():
        return _render_detail(report, 400, None, cover_form=form)
    return _change(report, lambda: service.update_draft(report, current_user, cover_text=form.cover_text.data),
                   _("The cover text was saved."), form)


@bp.post("/reports/<int:report_id>/items/<int:item_id>/move")
@editor_required
def move_item(report_id: int, item_id: int):
    report = _report(report_id, write=True)
    item = _item(report, item_id)
    form = MoveForm()
    _check_csrf(form)
    target_id = service._int_or_none(form.target_id.data)
    target = db.session.get(FaultReport, target_id) if target_id else None
    if target is None or not access.can_edit(current_user, target):
        return _render_detail(report, 400, _("Choose a draft to move the item to."))
    return _change(report, lambda: service.move_item(item, target, current_user),
                   _("The item was moved to %(reference)s.", reference=target.reference), form)


@bp.post("/reports/<int:report_id>/items/<int:item_id>/remove")
@editor_required
def remove_item(report_id: int, item_id: int):
    report = _report(report_id, write=True)
    item = _item(report, item_id)
    form = ButtonForm()
    _check_csrf(form)
    return _change(report, lambda: service.remove_item(item, current_user), _("The item was left out."), form)


@bp.post("/reports/<int:report_id>/items/<int:item_id>/address")
@editor_required
def set_address(report_id: int, item_id: int):
    report = _report(report_id, write=True)
    item = _item(report, item_id)
    form = AddressForm()
    if not form.validate_on_submit():
        return _render_detail(report, 400, _("The address is too long (at most 300 characters)."))
    return _change(report, lambda: service.set_address(item, current_user, form.address.data or ""),
                   _("The address was saved."), form)


@bp.post("/reports/<int:report_id>/items/<int:item_id>/status")
@editor_required
def item_status(report_id: int, item_id: int):
    report = _report(report_id, write=True)
    item = _item(report, item_id)
    form = StatusForm()
    _check_csrf(form)
    return _change(report, lambda: service.set_item_status(item, form.status.data, current_user,
                                                           reason=form.reason.data or None),
                   _("The item's status was changed."), form)


@bp.post("/reports/<int:report_id>/status")
@editor_required
def report_status(report_id: int):
    report = _report(report_id, write=True)
    form = StatusForm()
    _check_csrf(form)
    return _change(report, lambda: service.set_report_status(report, form.status.data, current_user,
                                                             reason=form.reason.data or None),
                   _("The report's status was changed."), form)


@bp.post("/reports/<int:report_id>/external-ref")
@editor_required
def external_ref(report_id: int):
    report = _report(report_id, write=True)
    form = ExternalRefForm()
    if not form.validate_on_submit():
        return _render_detail(report, 400, _("The reference is too long (at most 120 characters)."))
    return _change(report, lambda: service.set_external_ref(report, current_user, form.external_ref.data or ""),
                   _("The recipient's reference was saved."), form)


@bp.post("/reports/<int:report_id>/delete")
@editor_required
def delete(report_id: int):
    report = _report(report_id, write=True)
    form = ButtonForm()
    _check_csrf(form)
    if not save(lambda: service.delete_draft(report, current_user), form):
        return _render_detail(db.session.get(FaultReport, report.id), 400, _field_errors(form))
    flash(_("The draft was deleted; its observations can be reported again."), "success")
    return redirect(url_for("reports.index"), 303)


@bp.post("/reports/<int:report_id>/send")
@editor_required
def send(report_id: int):
    """Claim, commit, send, commit: a double click or a retry finds the claim and sends nothing."""
    report = _report(report_id, write=True)
    form = ButtonForm()
    _check_csrf(form)
    problem = service.recipient_problem(report.organization)
    if problem and report.status == "draft":
        return _render_detail(report, 400, problem)
    claimed = save(lambda: service.claim_for_sending(report), form)
    if not claimed:
        return _render_detail(db.session.get(FaultReport, report.id), 400, _field_errors(form))
    if not claimed.value:
        flash(_("This report has already been sent or is being sent; it was not sent again."), "warning")
        return redirect(url_for("reports.detail", report_id=report.id), 303)
    if save(lambda: delivery.deliver(report, current_user, _locale())).value:
        flash(_("Report %(reference)s was sent.", reference=report.reference), "success")
    else:
        flash(_("Report %(reference)s could not be sent; it is still a draft and can be sent again.",
                reference=report.reference), "error")
    return redirect(url_for("reports.detail", report_id=report.id), 303)


# --- outputs ----------------------------------------------------------------------------------------

@bp.get("/reports/<int:report_id>/print", endpoint="print")
@login_required
def print_view(report_id: int):
    report = _report(report_id)
    return render_template("reports/print.html", report=report, views=outputs.item_views(report, _locale()))


def _download(data: bytes, mimetype: str, filename: str) -> Response:
    return Response(data, mimetype=mimetype,
                    headers={"Content-Disposition": content_disposition(filename)})


@bp.get("/reports/<int:report_id>.pdf")
@login_required
def pdf(report_id: int):
    report = _report(report_id)
    return _download(outputs.report_pdf(report, _locale()), "application/pdf", f"{report.reference}.pdf")


@bp.get("/reports/<int:report_id>.csv")
@login_required
def csv(report_id: int):
    report = _report(report_id)
    return _download(outputs.items_csv(report, _locale()), "text/csv", f"{report.reference}.csv")


@bp.get("/reports/<int:report_id>.xlsx")
@login_required
def xlsx(report_id: int):
    report = _report(report_id)
    return _download(outputs.items_xlsx(report, _locale()),
                     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                     f"{report.reference}.xlsx")


@bp.get("/reports/<int:report_id>/photos/<filename>")
def photo(report_id: int, filename: str):
    """A report's photo, for its area's staff (recipients get signed links that expire: capture.links)."""
    report = access.get_visible(current_user, FaultReport, report_id, message=_("That photo does not exist."))
    found = db.session.scalar(sa.select(Photo).join(FaultReportItem, FaultReportItem.observation_id ==
                                                    Photo.observation_id)
                              .where(FaultReportItem.report_id == report.id,
                                     sa.or_(Photo.filename == filename, Photo.thumb_filename == filename)))
    if found is None:
        fail(404, _("That photo does not exist."))
    return photo_pipeline.send(filename, max_age=3600)


@bp.get("/reports/<int:report_id>/items/<int:item_id>/map.png")
@login_required
def item_map(report_id: int, item_id: int):
    report = _report(report_id)
    item = _item(report, item_id)
    view = next(v for v in outputs.item_views(report, _locale()) if v.item.id == item.id)
    png = outputs.map_png(view, report.area.boundary if report.area else None)
    if png is None:
        fail(404, _("No map image is available."))
    return Response(png, mimetype="image/png", headers={"Cache-Control": "private, max-age=3600"})

