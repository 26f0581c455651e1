"""Actors and contact lists: thin views over walks.actors.service."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms import SelectChoice

from ..extensions import db
from ..models import ORGANIZATION_KINDS, Area, Contact, Organization
from ..web import editor_required, fail, get_or_fail
from ..safe_text import content_disposition
from . import service
from .forms import ButtonForm, ContactForm, OrganizationForm

bp = Blueprint("actors", __name__)


def _all_areas() -> list[Area]:
    return list(db.session.scalars(sa.select(Area).order_by(Area.name)))


def _organization(org_id: int) -> Organization:
    return get_or_fail(Organization, org_id, _("That actor does not exist."))


def _area(area_id: int) -> Area:
    return get_or_fail(Area, area_id, _("That area does not exist."))


def _apply_error(form, error: service.ActorError) -> None:
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = list(field.errors) + [str(error.message)]
    else:
        flash(str(error.message), "error")


@bp.get("/actors")
@login_required
def index():
    kind = request.args.get("kind", "")
    kind = kind if kind in ORGANIZATION_KINDS else ""
    area_id = request.args.get("area", type=int)
    q = request.args.get("q", "")[:200]
    organizations = service.search_organizations(q, kind, area_id)
    return render_template("actors/index.html", organizations=organizations, q=q, kind=kind,
                           area_id=area_id, areas=_all_areas(), kinds=service.KIND_LABELS,
                           kind_label=service.kind_label)


def _organization_form(org: Organization | None):
    form = OrganizationForm(obj=org)
    form.area_ids.choices = [SelectChoice(a.id, a.name) for a in _all_areas()]
    if request.method == "GET":
        if org is not None:
            form.area_ids.data = [a.id for a in org.areas]
            form.open311_service_codes.data = service.format_service_codes(org.open311_service_codes)
        elif request.args.get("area", type=int):
            form.area_ids.data = [request.args.get("area", type=int)]
    if form.validate_on_submit():
        try:
            saved = service.save_organization(org, form.data, current_user)
        except service.ActorError as error:
            _apply_error(form, error)
        else:
            db.session.commit()
            flash(_("Saved %(name)s.", name=saved.name), "success")
            return redirect(url_for(".detail", org_id=saved.id))
    status = 400 if form.is_submitted() else 200
    return render_template("actors/form.html", form=form, org=org), status


@bp.route("/actors/new", methods=["GET", "POST"])
@editor_required
def create():
    return _organization_form(None)


@bp.route("/actors/<int:org_id>/edit", methods=["GET", "POST"])
@editor_required
def edit(org_id: int):
    return _organization_form(_organization(org_id))


@bp.get("/actors/<int:org_id>")
@login_required
def detail(org_id: int):
    org = _organization(org_id)
    return render_template("actors/detail.html", org=org, kind_label=service.kind_label,
                           channel_labels=service.CHANNEL_LABELS, button_form=ButtonForm(),
                           in_use=service.organization_in_use(org),
                           service_codes=service.format_service_codes(org.open311_service_codes))


@bp.post("/actors/<int:org_id>/delete")
@editor_required
def delete(org_id: int):
    org = _organization(org_id)
    if not ButtonForm().validate_on_submit():
        fail(400, _("The form has expired. Reload the page and try again."))
    name = org.name
    try:
        service.delete_organization(org, current_user)
    except service.ActorError as error:
        fail(409, error.message)
    db.session.commit()
    flash(_("Deleted %(name)s.", name=name), "success")
    return redirect(url_for(".index"))


def _contact_form(org: Organization, contact: Contact | None):
    form = ContactForm(obj=contact)
    if form.validate_on_submit():
        try:
            service.save_contact(org, contact, form.data, current_user)
        except service.ActorError as error:
            _apply_error(form, error)
        else:
            db.session.commit()
            flash(_("Saved the contact %(name)s.", name=form.name.data.strip()), "success")
            return redirect(url_for(".detail", org_id=org.id))
    status = 400 if form.is_submitted() else 200
    return render_template("actors/contact_form.html", form=form, org=org, contact=contact), status


@bp.route("/actors/<int:org_id>/contacts/new", methods=["GET", "POST"])
@editor_required
def contact_create(org_id: int):
    return _contact_form(_organization(org_id), None)


def _contact(org_id: int, contact_id: int) -> Contact:
    contact = db.session.get(Contact, contact_id)
    if contact is None or contact.organization_id != org_id:
        fail(404, _("That contact does not exist."))
    return contact


@bp.route("/actors/<int:org_id>/contacts/<int:contact_id>/edit", methods=["GET", "POST"])
@editor_required
def contact_edit(org_id: int, contact_id: int):
    contact = _contact(org_id, contact_id)
    return _contact_form(contact.organization, contact)


@bp.post("/actors/<int:org_id>/contacts/<int:contact_id>/delete")
@editor_required
def contact_delete(org_id: int, contact_id: int):
    contact = _contact(org_id, contact_id)
    if not ButtonForm().validate_on_submit():
        fail(400, _("The form has expired. Reload the page and try again."))
    name = contact.name
    service.delete_contact(contact, current_user)
    db.session.commit()
    flash(_("Deleted the contact %(name)s.", name=name), "success")
    return redirect(url_for(".detail", org_id=org_id))


@bp.get("/areas/<int:area_id>/contacts")
@login_required
def contact_list(area_id: int):
    area = _area(area_id)
    return render_template("actors/contact_list.html", area=area,
                           organizations=service.area_organizations(area), kind_label=service.kind_label)


def _download(body: str, mimetype: str, filename: str) -> Response:
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": content_disposition(filename)})


@bp.get("/areas/<int:area_id>/contacts.vcf")
@login_required
def contact_vcards(area_id: int):
    area = _area(area_id)
    return _download(service.area_vcards(area), "text/vcard; charset=utf-8", f"kontakter-omrade-{area.id}.vcf")


@bp.get("/areas/<int:area_id>/contacts.csv")
@login_required
def contact_csv(area_id: int):
    area = _area(area_id)
    return _download("\ufeff" + service.area_contacts_csv(area), "text/csv; charset=utf-8",
                     f"kontakter-omrade-{area.id}.csv")
