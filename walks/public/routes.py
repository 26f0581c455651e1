"""Public pages for anyone once published; the coordinator's publish buttons. Thin: parse, call, render."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from .. import access
from ..areas import service as areas
from ..capture import outcome
from ..extensions import db
from ..models import Area, Photo, Walk, utcnow
from ..web import ButtonForm, editor_required, fail, save
from . import service

bp = Blueprint("public", __name__)


@bp.app_context_processor
def outcome_helpers():
    return {"answer_words": outcome.answer_words, "action_status": outcome.action_words}

ACTIONS = {"publish": True, "withdraw": False}


def _user():
    return current_user._get_current_object()


def _public_or_404(model, ident):
    """Anyone sees a published page; staff who may see the area also see it before it is published."""
    obj = db.session.get(model, ident)
    if obj is None or not (service.is_published(obj) or access.can_view(_user(), obj)):
        fail(404, _("This page is not published."))
    return obj


def public_url(endpoint: str, **values) -> str:
    """The full address of a public page: PUBLIC_BASE_URL if set, else this request's host."""
    base = current_app.config.get("PUBLIC_BASE_URL") or request.host_url
    return base.rstrip("/") + url_for(endpoint, **values)


def _decimals() -> int:
    return int(current_app.config["PUBLIC_POSITION_DECIMALS"])


@bp.get("/p/walks/<int:walk_id>")
def walk(walk_id: int):
    walk = _public_or_404(Walk, walk_id)
    return render_template("public/walk.html", page=service.walk_page(walk, _decimals()),
                           published=service.is_published(walk), now=utcnow())


@bp.get("/p/areas/<int:area_id>")
def area(area_id: int):
    area = _public_or_404(Area, area_id)
    return render_template("public/area.html", page=service.area_page(area, _decimals(), utcnow().date()),
                           published=service.is_published(area))


@bp.get("/p/walks/<int:walk_id>.json")
def walk_json(walk_id: int):
    walk = _public_or_404(Walk, walk_id)
    body = service.page_json(service.walk_page(walk, _decimals()), str(get_locale()))
    return jsonify({"walk": {"title": walk.title, "area": walk.area.name, "date": walk.starts_at.date().isoformat()},
                    **body})


@bp.get("/p/areas/<int:area_id>.json")
def area_json(area_id: int):
    area = _public_or_404(Area, area_id)
    body = service.page_json(service.area_page(area, _decimals(), utcnow().date()), str(get_locale()))
    return jsonify({"area": {"name": area.name}, **body})


@bp.get("/p/walks/<int:walk_id>/qr.svg")
def walk_qr_svg(walk_id: int):
    walk = _public_or_404(Walk, walk_id)  # the poster's QR code: staff before publishing, anyone after
    body = areas.qr_svg(public_url("public.walk", walk_id=walk.id), title=_("What happened next?"))
    return Response(body, mimetype="image/svg+xml", headers={"Cache-Control": "public, max-age=3600"})


def _button_or_400() -> None:
    if not ButtonForm().validate_on_submit():
        fail(400, _("The form has expired or was not sent from this site. Reload the page and try again."))


def _publishing(action: str) -> bool:
    if action not in ACTIONS:
        fail(404, _("The page was not found."))
    return ACTIONS[action]


@bp.post("/walks/<int:walk_id>/public/<action>")
@editor_required
def publish_walk(walk_id: int, action: str):
    published = _publishing(action)
    walk = access.get_visible(_user(), Walk, walk_id, write=True)
    _button_or_400()
    save(lambda: service.set_published(walk, published, _user()))
    flash(_("The public page is published.") if published else _("The public page is withdrawn."), "success")
    return redirect(url_for("areas.walk_detail", walk_id=walk.id))


@bp.post("/areas/<int:area_id>/public/<action>")
@editor_required
def publish_area(area_id: int, action: str):
    published = _publishing(action)
    area = access.get_visible(_user(), Area, area_id, write=True)
    _button_or_400()
    save(lambda: service.set_published(area, published, _user()))
    flash(_("The public page is published.") if published else _("The public page is withdrawn."), "success")
    return redirect(url_for("areas.area_detail", area_id=area.id))


@bp.post("/photos/<int:photo_id>/public/<action>")
@editor_required
def publish_photo(photo_id: int, action: str):
    published = _publishing(action)
    photo = access.get_visible(_user(), Photo, photo_id, write=True)
    _button_or_400()
    save(lambda: service.set_photo_published(photo, published, _user()))
    flash(_("The photo may be shown on the public page.") if published
          else _("The photo is no longer shown on the public page."), "success")
    return redirect(url_for("review.observation", observation_id=photo.observation_id))
