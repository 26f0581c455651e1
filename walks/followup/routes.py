"""Follow-up pages: an area's dashboard and the before/after comparison of two walks."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, current_app, jsonify, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import login_required

from ..extensions import db
from ..models import Area, Observation, Walk
from ..web import fail, get_or_fail
from . import presenters, service

bp = Blueprint("followup", __name__)


def _area(area_id: int) -> Area:
    return get_or_fail(Area, area_id, _("There is no area with that number."))


def _locale() -> str:
    return str(get_locale() or "sv")


def _today() -> dt.date:
    return dt.date.today()


def observation_link(observation: Observation) -> str:
    """The review page of an observation."""
    return url_for("review.observation", observation_id=observation.id)


def leaflet_assets() -> dict:
    """Leaflet's CSS and JS, served by the app itself (no CDN) through the maps capability."""
    return {"css": url_for("maps.leaflet_asset", filename="leaflet.css"),
            "js": url_for("maps.leaflet_asset", filename="leaflet.js")}


@bp.get("/areas/<int:area_id>/dashboard")
@login_required
def dashboard(area_id: int):
    area = _area(area_id)
    figures = service.area_figures(area, _today())
    return render_template("followup/dashboard.html", area=area, figures=figures,
                           charts=presenters.dashboard_charts(figures, _locale()),
                           fault_statuses=presenters.fault_status_rows(figures),
                           number=presenters.number)


@bp.get("/areas/<int:area_id>/dashboard.json")
@login_required
def dashboard_json(area_id: int):
    area = _area(area_id)
    return jsonify(service.figures_json(service.area_figures(area, _today())))


def _walk_arg(name: str) -> Walk | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()):
        fail(400, _("The walk to compare must be given by its number, not “%(value)s”.", value=raw[:40]))
    walk = db.session.get(Walk, int(raw)) if len(raw) <= 12 else None
    if walk is None:
        fail(404, _("There is no walk number %(number)s.", number=raw))
    return walk


def _pair(area: Area) -> tuple[Walk | None, Walk | None]:
    """The two walks from the query (?before=&after=), or the area's first and latest walk."""
    before, after = _walk_arg("before"), _walk_arg("after")
    first, latest = service.default_pair(area)
    before, after = before or first, after or latest
    if before is None or after is None:
        return None, None
    try:
        service.check_pair(before, after, area)
    except service.CompareError as error:
        fail(400, error)
    return before, after


@bp.get("/areas/<int:area_id>/compare")
@login_required
def compare(area_id: int):
    area = _area(area_id)
    before, after = _pair(area)
    walks = service.area_walks(area)
    if before is None:
        return render_template("followup/compare.html", area=area, walks=walks, comparison=None)
    comparison = service.compare_walks(before, after)
    locale = _locale()
    return render_template(
        "followup/compare.html", area=area, walks=walks, comparison=comparison,
        charts=presenters.compare_charts(comparison, locale),
        mean_change=service.mean_change(comparison),
        points=service.map_points(comparison, locale, observation_link),
        centre=[area.centre_lat, area.centre_lon] if area.centre_lat is not None else None,
        leaflet=leaflet_assets(), observation_link=observation_link, number=presenters.number,
        status_labels={k: str(v) for k, v in presenters.OBSERVATION_STATUS_LABELS.items()},
        tiles={"url": current_app.config["TILE_URL"], "attribution": current_app.config["TILE_ATTRIBUTION"]})


@bp.get("/areas/<int:area_id>/compare.json")
@login_required
def compare_json(area_id: int):
    area = _area(area_id)
    before, after = _pair(area)
    if before is None:
        fail(404, _("This area needs two walks before they can be compared."))
    return jsonify(service.comparison_json(service.compare_walks(before, after), _locale()))
